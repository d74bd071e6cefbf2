// Copy text, or at least select it so the person can copy it themselves.

/**
 * @param {string} text what to copy
 * @param {HTMLElement} shown the element showing it, selected if copying fails
 * @returns {Promise<boolean>} whether it is on the clipboard
 */
export async function copyText(text, shown) {
  try {
    if (!navigator.clipboard) throw new Error('no clipboard');
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const range = document.createRange();
    range.selectNodeContents(shown);
    const selection = window.getSelection();
    if (selection) {
      selection.removeAllRanges();
      selection.addRange(range);
    }
    return false;
  }
}
