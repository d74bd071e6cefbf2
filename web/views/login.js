// Sign in with a user name or email, and the password.

import * as api from '../api.js';
import { afterPassword } from '../auth.js';
import { announce, button, h, heading, liveRegion } from '../dom.js';
import { errorMessage } from '../errors.js';
import { field, form } from '../forms.js';
import { takeSignInEmail } from '../handover.js';
import { cancelled, conditionalSupported, getPasskey, passkeysSupported } from '../passkey.js';
import { navigate } from '../router.js';
import { afterSignInPath, keepPendingSignIn, noteTypedEmail, startSession } from '../session.js';

/**
 * The user name or email and password form; the answer leads on (second factor, setup, or
 * signed in). The sign-in for another app (sign-in.js) uses it too.
 * @param {string | null} prefill the email to start with
 * @returns {HTMLFormElement}
 */
export function passwordForm(prefill) {
  // A user name or an address: no email check here, the server tells
  // them apart by the @.
  // `webauthn`: the browser may offer passkeys in this field's autofill.
  const email = field({ label: 'login.email', name: 'username', autocomplete: 'username webauthn' });
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

/**
 * "Sign in with a passkey": a passkey alone (with the device's PIN or
 * biometric) is both factors. Where the browser offers passkeys in the user
 * name field's autofill (conditional mediation), a ceremony waits there
 * too; pressing the button ends it and starts one in a dialog.
 * @returns {HTMLElement | null} null where the browser has no passkeys
 */
export function passkeySignIn() {
  if (!passkeysSupported()) return null;
  const status = liveRegion('alert', 'form__alert');
  /** @type {AbortController | null} */
  let waiting = null;
  /** @param {boolean} conditional */
  const run = async (conditional) => {
    waiting?.abort();
    const controller = new AbortController();
    waiting = controller;
    announce(status, null);
    try {
      const { options } = await api.passkeySignInOptions();
      const credential = await getPasskey(options, { conditional, signal: controller.signal });
      const res = await api.passkeySignIn(credential);
      startSession(res.session_token);
      navigate(afterSignInPath(), { replace: true });
    } catch (err) {
      if (controller.signal.aborted || (conditional && cancelled(err))) return;
      // The network's limit of passkey sign-ins reached: the autofill just
      // offers none; the button says why.
      if (conditional && err instanceof api.ApiError && err.code === 'too_many_attempts') return;
      if (err instanceof api.ApiError && err.handled) return;
      if (cancelled(err)) announce(status, { key: 'login.passkey.cancelled' });
      else if (err instanceof api.ApiError && err.code === 'invalid_code') announce(status, { key: 'login.passkey.invalid' });
      else announce(status, errorMessage(err));
    }
  };
  void conditionalSupported().then((yes) => {
    if (yes) void run(true);
  });
  return h(
    'div',
    { class: 'passkey-sign-in' },
    status,
    h('p', { class: 'aside' }, button('login.passkey.use', () => void run(false), { variant: 'secondary' })),
  );
}

export function loginView() {
  // The portal's own sign-in: an app's sign-in left unfinished in this tab
  // is abandoned, so this one does not end at that app.
  keepPendingSignIn(null);
  return h(
    'section',
    { class: 'card' },
    heading(1, 'login.title'),
    passwordForm(takeSignInEmail()),
    passkeySignIn(),
    ...loginAsides(),
  );
}
