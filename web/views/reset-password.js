// The page the emailed link opens (/reset-password?token=...): a new password,
// typed twice. The token works once and for an hour; a dead link says so as
// the page opens (asked of the server without using the link) and offers a
// new one, rather than after the new password was typed twice.

import * as api from '../api.js';
import { ApiError } from '../api.js';
import { h, heading, notice, para } from '../dom.js';
import { form, newPasswordField, repeatedPasswordField, showPasswordProblem } from '../forms.js';
import { clearAll } from '../session.js';

/** The card shown when the link cannot be used (any more). */
function invalidLink() {
  return [
    heading(1, 'newPassword.invalidTitle'),
    notice('warning', h('p', { text: 'newPassword.invalid' })),
    h('p', {}, h('a', { class: 'button button--primary', text: 'newPassword.requestNew', attrs: { href: '/password-forgot' } })),
  ];
}

/**
 * Whether the link is worth a form: false only when the server says it is
 * dead. When the check itself fails (network), the form shows, and the
 * reset's own answer still tells a dead link.
 * @param {string} token
 */
async function linkLive(token) {
  if (!token) return false;
  try {
    return (await api.checkResetLink(token)).valid !== false;
  } catch {
    return true;
  }
}

/** @param {URLSearchParams} query */
export async function resetPasswordView(query) {
  const token = (query.get('token') || '').trim();
  const card = h('section', { class: 'card' });
  if (!(await linkLive(token))) {
    card.append(...invalidLink());
    return card;
  }

  const password = newPasswordField('newPassword.password');
  const repeat = repeatedPasswordField(password);

  const { form: el } = form({
    fields: [password, repeat],
    submit: 'newPassword.submit',
    errors: { invalid_request: 'newPassword.weak' },
    focusOnError: password,
    onSubmit: async () => {
      try {
        await api.resetPassword(token, password.value());
      } catch (err) {
        if (err instanceof ApiError && err.code === 'invalid_token') {
          card.replaceChildren(...invalidLink());
          focusHeading(card);
          return;
        }
        showPasswordProblem(err, password);
        throw err;
      }
      // Every session ended with the old password.
      clearAll();
      card.replaceChildren(
        heading(1, 'newPassword.doneTitle'),
        notice('success', h('p', { text: 'newPassword.done' })),
        h('p', {}, h('a', { class: 'button button--primary', text: 'newPassword.signIn', attrs: { href: '/login' } })),
      );
      focusHeading(card);
    },
  });

  card.append(heading(1, 'newPassword.title'), para('newPassword.intro'), el);
  return card;
}

/** @param {HTMLElement} card */
function focusHeading(card) {
  const h1 = card.querySelector('h1');
  if (h1) h1.focus();
}
