// Tokens live in sessionStorage: they end with the tab and are not shared with
// other tabs or kept on disk like localStorage would.

const SESSION = 'portal:session-token';
const MFA = 'portal:mfa-token';
const METHODS = 'portal:mfa-methods';
const ROLES = 'portal:roles';
const SIGN_IN = 'portal:oidc-request';
const TYPED_EMAIL = 'portal:typed-email';

/** @typedef {'totp' | 'sms' | 'recovery_code'} Method */

/** @param {string} key */
function get(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

/** @param {string} key @param {string | null} value */
function put(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Storage disabled: nothing we can keep.
  }
}

/** @returns {string | null} */
export function sessionToken() {
  return get(SESSION);
}

/** @returns {string | null} */
export function mfaToken() {
  return get(MFA);
}

/** @returns {Method[]} the second factors offered with the mfa token */
export function mfaMethods() {
  try {
    const parsed = JSON.parse(get(METHODS) || '[]');
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

/**
 * A second factor is still owed: keep the short-lived mfa token.
 * @param {string} token
 * @param {Method[]} methods
 */
export function startMfa(token, methods) {
  put(SESSION, null);
  put(ROLES, null);
  put(MFA, token);
  put(METHODS, JSON.stringify(methods));
}

/**
 * Every factor has passed: keep the session token, forget the mfa token.
 * @param {string} token
 */
export function startSession(token) {
  put(MFA, null);
  put(METHODS, null);
  put(ROLES, null);
  put(SESSION, token);
}

export function clearAll() {
  put(SESSION, null);
  put(ROLES, null);
  put(MFA, null);
  put(METHODS, null);
}

/**
 * The signed-in account's roles (e.g. `support`), as GET /api/account last
 * said; null until it was asked in this session.
 * @returns {string[] | null}
 */
export function sessionRoles() {
  try {
    const parsed = JSON.parse(get(ROLES) || 'null');
    return Array.isArray(parsed) ? parsed.filter((r) => typeof r === 'string') : null;
  } catch {
    return null;
  }
}

/** @param {string[]} roles */
export function rememberRoles(roles) {
  if (sessionToken() !== null) put(ROLES, JSON.stringify(Array.isArray(roles) ? roles : []));
}

/**
 * A sign-in for one of the customer's own apps (OpenID Connect) under way:
 * the request id from /oidc/authorize, the app's name and the language it
 * asked for. Kept here, not in memory, so it survives the pages after the
 * password (second factor, setup, recovery codes) and a reload; it is no
 * secret (the request is single-use and bound to the app's redirect URI).
 * @typedef {{ id: string, clientName: string, lang: 'en' | 'de' | null }} PendingSignIn
 */

/** @returns {PendingSignIn | null} */
export function pendingSignIn() {
  try {
    const parsed = JSON.parse(get(SIGN_IN) || 'null');
    return parsed && typeof parsed.id === 'string' && typeof parsed.clientName === 'string'
      ? { id: parsed.id, clientName: parsed.clientName, lang: parsed.lang === 'de' || parsed.lang === 'en' ? parsed.lang : null }
      : null;
  } catch {
    return null;
  }
}

/** @param {PendingSignIn | null} value null: the app's sign-in is over (done, cancelled, expired or left) */
export function keepPendingSignIn(value) {
  put(SIGN_IN, value === null ? null : JSON.stringify(value));
}

/** @returns {string} where the page goes once every factor is done: back to the app, or home */
export function afterSignInPath() {
  return pendingSignIn() ? '/sign-in' : '/';
}

/** @returns {string} where to sign in (again): the app's sign-in while one is under way */
export function signInPath() {
  return pendingSignIn() ? '/sign-in' : '/login';
}

/**
 * The address last typed into a sign-in form in this tab (it survives a
 * reload, like the tokens): "Password forgotten" and the sign-in after a
 * time-out start with it. Signing out forgets it.
 * @param {string} email
 */
export function noteTypedEmail(email) {
  put(TYPED_EMAIL, email.trim() || null);
}

/** @returns {string} the address last typed, or '' */
export function lastTypedEmail() {
  return get(TYPED_EMAIL) || '';
}
