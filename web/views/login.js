// Sign in with a user name or email, and the password.

import * as api from '../api.js';
import { afterPassword } from '../auth.js';
import { h, heading } from '../dom.js';
import { field, form } from '../forms.js';
import { takeSignInEmail } from '../handover.js';
import { keepPendingSignIn, noteTypedEmail } from '../session.js';

/**
 * The user name or email and password form; the answer leads on (second factor, setup, or
 * signed in). The sign-in for another app (sign-in.js) uses it too.
 * @param {string | null} prefill the email to start with
 * @returns {HTMLFormElement}
 */
export function passwordForm(prefill) {
  // A user name or an address: no email check here, the server tells
  // them apart by the @.
  const email = field({ label: 'login.email', name: 'username', autocomplete: 'username' });
  const password = field({ label: 'login.password', name: 'password', type: 'password', autocomplete: 'current-password' });
  if (prefill) email.input.value = prefill;
  noteTypedEmail(email.input.value);
  email.input.addEventListener('input', () => noteTypedEmail(email.input.value));

  const { form: el } = form({
    fields: [email, password],
    submit: 'login.submit',
    focusOnError: password,
    onSubmit: async () => {
      afterPassword(await api.login(email.value(), password.value()));
    },
  });
  return el;
}

/** The links below the form: a forgotten password, a new account, the sign-in instructions. */
export function loginAsides() {
  return [
    h('p', { class: 'aside' }, h('a', { text: 'login.forgot', attrs: { href: '/password-forgot' } })),
    h('p', { class: 'aside' }, h('span', { text: 'login.noAccount' }), ' ', h('a', { text: 'login.register', attrs: { href: '/register' } })),
    h('p', { class: 'aside' }, h('a', { text: 'help.link', attrs: { href: '/help' } })),
  ];
}

export function loginView() {
  // The portal's own sign-in: an app's sign-in left unfinished in this tab
  // is abandoned, so this one does not end at that app.
  keepPendingSignIn(null);
  return h('section', { class: 'card' }, heading(1, 'login.title'), passwordForm(takeSignInEmail()), ...loginAsides());
}
