// A modal confirmation built on <dialog> (focus is kept inside while open).

import { button, h, heading } from './dom.js';

/** @typedef {import('./i18n.js').Msg} Msg */

/**
 * Ask before doing something that cannot be undone.
 * @param {{ title: Msg | string, text: Msg | string, confirm: string, cancel: string }} keys
 * title and text are keys, or messages with parameters (e.g. the name of what goes)
 * @returns {Promise<boolean>} true if confirmed
 */
export function confirmDialog(keys) {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  return new Promise((resolve) => {
    const titleId = 'dialog-title';
    const textId = 'dialog-text';
    /** @param {boolean} answer */
    const close = (answer) => {
      dialog.close(answer ? 'confirm' : 'cancel');
    };
    const dialog = h(
      'dialog',
      { class: 'dialog', attrs: { 'aria-labelledby': titleId, 'aria-describedby': textId } },
      heading(2, keys.title, { id: titleId }),
      h('p', { text: keys.text, attrs: { id: textId } }),
      h(
        'div',
        { class: 'button-row' },
        button(keys.confirm, () => close(true), { variant: 'primary' }),
        button(keys.cancel, () => close(false)),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
