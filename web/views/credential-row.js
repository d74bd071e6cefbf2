// One named credential in a Settings list (an app password, a passkey): its
// name, when it was added and last used, and the button that removes it.

import { timeEl } from '../dates.js';
import { button, h, uid } from '../dom.js';

/**
 * The texts of one kind of credential, as i18n keys.
 * @typedef {{ created: string, lastUsed: string, neverUsed: string, remove: string }} RowTexts
 */

/**
 * @param {{ name: string, created_at: string, last_used_at: string | null }} item
 * @param {RowTexts} texts
 * @param {() => void} onRemove
 */
export function credentialRow(item, texts, onRemove) {
  const nameId = uid('credential-name');
  return h(
    'li',
    { class: 'app-password' },
    h(
      'div',
      { class: 'app-password__info' },
      h('p', { class: 'app-password__name', attrs: { id: nameId } }, item.name),
      h('p', { class: 'app-password__meta' }, h('span', { text: texts.created }), ' ', timeEl(item.created_at)),
      item.last_used_at
        ? h('p', { class: 'app-password__meta' }, h('span', { text: texts.lastUsed }), ' ', timeEl(item.last_used_at))
        : h('p', { class: 'app-password__meta', text: texts.neverUsed }),
    ),
    // Described by the name, so a screen reader says which one it removes.
    button(texts.remove, onRemove, { attrs: { 'aria-describedby': nameId } }),
  );
}
