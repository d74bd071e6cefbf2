// Settings > Security > User name: choose or change the name to sign in with
// besides the email address.

import * as api from '../api.js';
import { announce, h, heading, liveRegion } from '../dom.js';
import { form, usernameField } from '../forms.js';
import { setText } from '../i18n.js';

/**
 * What the account signs in with today.
 * @param {string | null} username
 * @returns {import('../i18n.js').Msg}
 */
function current(username) {
  return username ? { key: 'settings.username.current', params: { username } } : { key: 'settings.username.none' };
}

/** @param {import('../api.js').Account} account */
export function usernameSection(account) {
  const now = h('p', {});
  setText(now, current(account.username));
  const status = liveRegion('status');
  const name = usernameField('settings.username.field', true);
  if (account.username) name.input.value = account.username;
  const { form: el } = form({
    fields: [name],
    submit: 'settings.username.save',
    fieldErrors: { username_taken: name },
    focusOnError: name,
    onSubmit: async () => {
      const { username } = await api.chooseUsername(name.value());
      setText(now, current(username));
      announce(status, { key: 'settings.username.saved', params: { username } });
    },
  });
  return h('section', { class: 'setting' }, heading(3, 'settings.username.title'), now, el, status);
}
