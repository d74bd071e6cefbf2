// Signing in and out: where each answer of the server leads.

import * as api from './api.js';
import { button, h } from './dom.js';
import { giveSignInEmail } from './handover.js';
import { flash, navigate } from './router.js';
import { afterSignInPath, clearAll, lastTypedEmail, noteTypedEmail, signInPath, startMfa, startSession } from './session.js';

/**
 * Follow the answer to a correct password.
 * @param {api.LoginResponse} res
 */
export function afterPassword(res) {
  switch (res.status) {
    case 'authenticated':
      startSession(res.session_token);
      // The home page reads the account and shows the "set up now" notice
      // while no second factor is active (res.mfa_setup_due). An app's
      // sign-in goes back to the app, whose token then says "no mfa".
      navigate(afterSignInPath(), { replace: true });
      return;
    case 'mfa_setup_required':
      startMfa(res.mfa_token, res.methods);
      navigate('/setup', { replace: true });
      return;
    case 'mfa_required':
      startMfa(res.mfa_token, res.methods);
      navigate('/verify', { replace: true });
      return;
    default:
      throw new Error(`unexpected login status ${JSON.stringify(res)}`);
  }
}

/** Sign out on the server (best effort) and go back to the sign-in page. */
export async function signOut() {
  try {
    await api.logout();
  } catch {
    // The token may already be gone; signing out here is what counts.
  }
  clearAll();
  // Whoever signs in next on this device starts with an empty form.
  noteTypedEmail('');
  flash('login.signedOut', 'success');
  navigate('/login', { replace: true });
}

/**
 * "Cancel" at the second step or the forced setup: the pending login ends
 * on the server too (a token left in the tab is worthless), then back to
 * sign-in with the address typed before.
 */
export async function cancelSignIn() {
  try {
    await api.cancelLogin();
  } catch {
    // Expired or ended already: nothing is left to end.
  }
  clearAll();
  if (lastTypedEmail()) giveSignInEmail(lastTypedEmail());
  navigate(signInPath(), { replace: true });
}

/**
 * The "Cancel" link at the foot of the second step and the forced setup.
 * @returns {HTMLElement}
 */
export function cancelSignInLink() {
  return h('p', { class: 'aside' }, button('mfa.cancel', () => void cancelSignIn(), { variant: 'link' }));
}

/** A refused token: the session ended, or the five minutes for the second factor passed. */
api.setUnauthorizedHandler((kind) => {
  clearAll();
  // Timed out, not signed out: the same person signs in again.
  if (lastTypedEmail()) giveSignInEmail(lastTypedEmail());
  flash(kind === 'mfa' ? 'login.mfaExpired' : 'login.sessionExpired', 'warning');
  navigate(signInPath(), { replace: true });
});
