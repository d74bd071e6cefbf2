// The HTTP API (see shared/api.md): JSON in and out, errors as {error, message}.

import { mfaToken, rememberRoles, sessionToken } from './session.js';

/**
 * Which token a request carries.
 * - `none`: no Authorization header
 * - `session`: the session token
 * - `mfa`: the mfa token while a second factor is owed, otherwise the session
 *   token (the /api/mfa/* endpoints accept either)
 * @typedef {'none' | 'session' | 'mfa'} Auth
 */

/** @typedef {import('./session.js').Method} Method */

/**
 * @typedef {{ status: 'authenticated', session_token: string, expires_in: number, mfa_setup_due?: boolean }
 *   | { status: 'mfa_setup_required', mfa_token: string, methods: Method[] }
 *   | { status: 'mfa_required', mfa_token: string, methods: Method[] }} LoginResponse
 */
/**
 * A pending authenticator setup: the same key until it is confirmed or
 * `expires_in` seconds have passed; `replaces_earlier_key` when an earlier,
 * unconfirmed key expired (its entry in the app is void).
 * @typedef {{ secret: string, otpauth_uri: string, qr_svg: string, expires_in: number, replaces_earlier_key: boolean }} TotpSetup
 */
/** @typedef {{ recovery_codes: string[], session_token: string, expires_in: number }} Activation */
/** @typedef {{ session_token: string, expires_in: number, recovery_codes_remaining?: number }} Verified */
/** @typedef {{ code: string, dial_code: string }} SmsCountry a country numbers may come from, e.g. `{ code: 'DE', dial_code: '+49' }` */
/**
 * A code is on its way: valid `expires_in` seconds; the next one may be asked
 * for after `resend_after` seconds. `masked_phone` (e.g. `+49 151 ••••5678`)
 * is sent by the portal beyond the contract, so it may be missing.
 * @typedef {{ expires_in: number, resend_after: number, masked_phone?: string }} SmsSent
 */
/**
 * Proof of a current second factor, for changes a signed-in person makes: a
 * code, or a passkey's answer to `passkeyVerificationOptions`.
 * @typedef {{ method: Method, code: string } | { method: 'passkey', credential: unknown }} Presented
 */
/**
 * The signed-in account. `mfa.methods`: what a step-up may be proven with, by
 * the server's rule (the app, SMS, recovery codes while one is left, passkeys), in that order.
 * @typedef {{ user_id: string, email: string, name: string, username: string | null, roles: string[],
 *   mfa: { totp: boolean, sms: string | null, recovery_codes_remaining: number, methods: Array<Method | 'passkey'> },
 *   app_passwords: unknown[] }} Account
 */

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the server could not be reached
   * @param {string} code the contract's error code, or `network` / `unknown`
   * @param {string} serverMessage the server's text for people ('' if none)
   * @param {Record<string, unknown>} body the whole error body
   */
  constructor(status, code, serverMessage, body) {
    super(`${status} ${code}: ${serverMessage}`);
    this.status = status;
    this.code = code;
    this.serverMessage = serverMessage;
    this.body = body;
    /** true once the app has already reacted (e.g. sent the person back to sign in) */
    this.handled = false;
  }

  /** @returns {number | null} seconds to wait, for too_many_attempts */
  get retryAfter() {
    const v = this.body.retry_after;
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  }
}

/** @type {(kind: 'session' | 'mfa') => void} */
let onUnauthorized = () => {};

/**
 * What to do when a token is refused (expired or signed out elsewhere).
 * @param {(kind: 'session' | 'mfa') => void} fn
 */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/**
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, auth?: Auth }} [opts]
 * @returns {Promise<any>} the parsed JSON body, or null for an empty one
 */
export async function request(method, path, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  /** @type {'session' | 'mfa' | null} */
  let sent = null;
  const auth = opts.auth || 'none';
  if (auth !== 'none') {
    const mfa = auth === 'mfa' ? mfaToken() : null;
    const token = mfa || sessionToken();
    if (token) {
      headers.Authorization = `Bearer ${token}`;
      sent = mfa ? 'mfa' : 'session';
    }
  }
  /** @type {RequestInit} */
  const init = { method, headers, cache: 'no-store' };
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }

  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', '', {});
  }
  const text = await res.text();
  /** @type {any} */
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.ok) return data;

  const body = data && typeof data === 'object' ? /** @type {Record<string, unknown>} */ (data) : {};
  const code = typeof body.error === 'string' ? body.error : 'unknown';
  const message = typeof body.message === 'string' ? body.message : '';
  const err = new ApiError(res.status, code, message, body);
  if (res.status === 401 && code === 'unauthorized' && sent) {
    err.handled = true;
    onUnauthorized(sent);
  }
  throw err;
}

/**
 * Asks for a password-reset link by email. Answers alike whether or not the
 * address has an account.
 * @param {string} email
 * @returns {Promise<{}>}
 */
export const forgotPassword = (email) => request('POST', '/api/password/forgot', { body: { email } });

/**
 * Sets a new password with the token from the emailed link.
 * @param {string} token
 * @param {string} newPassword
 * @returns {Promise<null>}
 */
export const resetPassword = (token, newPassword) =>
  request('POST', '/api/password/reset', { body: { token, new_password: newPassword } });

/**
 * Whether the emailed link would still set a password, without using it.
 * @param {string} token
 * @returns {Promise<{ valid: boolean }>}
 */
export const checkResetLink = (token) => request('POST', '/api/password/reset/check', { body: { token } });

/**
 * Chooses or changes the user name to sign in with besides the email.
 * @param {string} username
 * @returns {Promise<{ username: string }>}
 */
export const chooseUsername = (username) => request('PUT', '/api/account/username', { auth: 'session', body: { username } });

/**
 * @param {{ name: string, email: string, password: string, locale: string, username?: string }} body
 * @returns {Promise<{ user_id: string }>}
 */
export const register = (body) => request('POST', '/api/register', { body });

/**
 * @param {string} email
 * @param {string} password
 * @returns {Promise<LoginResponse>}
 */
export const login = (email, password) => request('POST', '/api/login', { body: { email, password } });

/**
 * Ends the pending login of the mfa token ("Cancel" at the second step or
 * the forced setup): the token is refused from now on.
 * @returns {Promise<null>}
 */
export const cancelLogin = () => request('POST', '/api/mfa/cancel', { auth: 'mfa' });

/** @returns {Promise<null>} */
export const logout = () => request('POST', '/api/logout', { auth: 'session' });

/**
 * The account; its roles are kept for the navigation (Support for staff).
 * @returns {Promise<Account>}
 */
export async function account() {
  /** @type {Account} */
  const res = await request('GET', '/api/account', { auth: 'session' });
  rememberRoles(res.roles);
  return res;
}

/**
 * Starts an authenticator setup. A signed-in person who already has a second
 * factor proves it with `verification` (else 401 `verification_required`).
 * @param {Presented} [verification]
 * @returns {Promise<TotpSetup>}
 */
export const totpSetup = (verification) =>
  request('POST', '/api/mfa/totp/setup', { auth: 'mfa', body: verification ? { verification } : undefined });

/**
 * @param {string} code
 * @returns {Promise<Activation>}
 */
export const totpConfirm = (code) => request('POST', '/api/mfa/totp/confirm', { auth: 'mfa', body: { code } });

/**
 * @param {Method} method
 * @param {string} code
 * @returns {Promise<Verified>}
 */
export const verify = (method, code) => request('POST', '/api/mfa/verify', { auth: 'mfa', body: { method, code } });

/**
 * A new set of recovery codes, with the proof of a current factor (step-up).
 * @param {Presented} [verification]
 * @returns {Promise<{ recovery_codes: string[] }>}
 */
export const regenerateRecoveryCodes = (verification) =>
  request('POST', '/api/mfa/recovery-codes', { auth: 'session', body: verification ? { verification } : undefined });

/** @returns {Promise<{ countries: SmsCountry[] }>} */
export const smsCountries = () => request('GET', '/api/mfa/sms/countries');

/**
 * A code to a new number. A signed-in person who already has a second factor
 * proves it with `verification` (else 401 `verification_required`).
 * @param {string} phone E.164, e.g. `+4915112345678`
 * @param {Presented} [verification]
 * @returns {Promise<SmsSent>}
 */
export const smsSetup = (phone, verification) =>
  request('POST', '/api/mfa/sms/setup', { auth: 'mfa', body: verification ? { phone, verification } : { phone } });

/**
 * A code to the account's number: for signing in (mfa token), or to confirm
 * a change (session).
 * @returns {Promise<SmsSent>}
 */
export const smsSend = () => request('POST', '/api/mfa/sms/send', { auth: 'mfa' });

/**
 * @param {string} code the code sent to the new number
 * @returns {Promise<Activation>}
 */
export const smsConfirm = (code) => request('POST', '/api/mfa/sms/confirm', { auth: 'mfa', body: { code } });

/**
 * Remove SMS (only while the authenticator app remains).
 * @param {Presented} proof a current factor
 * @returns {Promise<null>}
 */
export const smsRemove = (proof) => request('DELETE', '/api/mfa/sms', { auth: 'session', body: { verification: proof } });

/**
 * @typedef {{ id: string, name: string, created_at: string, last_used_at: string | null }} AppPasswordItem
 * @typedef {{ items: AppPasswordItem[], dav_url: string | null, username: string }} AppPasswordList
 * @typedef {{ id: string, name: string, password: string, password_grouped: string,
 *   username: string, dav_url: string | null }} NewAppPassword
 * `password` is shown this once; `dav_url` is null when the server was not told its DAV address.
 */

/** @returns {Promise<AppPasswordList>} */
export const appPasswords = () => request('GET', '/api/app-passwords', { auth: 'session' });

/**
 * A new app password; with a second factor, the proof of it (step-up).
 * @param {string} name
 * @param {Presented} [verification]
 * @returns {Promise<NewAppPassword>}
 */
export const createAppPassword = (name, verification) =>
  request('POST', '/api/app-passwords', { auth: 'session', body: verification ? { name, verification } : { name } });

/**
 * @param {string} id
 * @returns {Promise<null>}
 */
export const revokeAppPassword = (id) =>
  request('DELETE', `/api/app-passwords/${encodeURIComponent(id)}`, { auth: 'session' });

/**
 * @typedef {{ id: string, name: string, created_at: string, last_used_at: string | null, synced: boolean }} PasskeyItem
 */

/** @returns {Promise<{ items: PasskeyItem[] }>} */
export const passkeys = () => request('GET', '/api/passkeys', { auth: 'session' });

/**
 * The options for adding a passkey, after the step-up.
 * @param {Presented} [verification]
 * @returns {Promise<{ options: unknown }>}
 */
export const passkeyOptions = (verification) =>
  request('POST', '/api/passkeys/options', { auth: 'session', body: verification ? { verification } : {} });

/**
 * @param {string} name
 * @param {unknown} credential the browser's `toJSON()` of the new credential
 * @returns {Promise<{ id: string, name: string }>}
 */
export const addPasskey = (name, credential) =>
  request('POST', '/api/passkeys', { auth: 'session', body: { name, credential } });

/**
 * @param {string} id
 * @param {Presented} [verification]
 * @returns {Promise<null>}
 */
export const removePasskey = (id, verification) =>
  request('DELETE', `/api/passkeys/${encodeURIComponent(id)}`, {
    auth: 'session',
    body: verification ? { verification } : {},
  });

/** @returns {Promise<{ options: unknown }>} options of a passkey's proof of a step-up, for this session */
export const passkeyVerificationOptions = () =>
  request('POST', '/api/passkeys/verification/options', { auth: 'session' });

/** @returns {Promise<{ options: unknown }>} the second step's passkey options */
export const mfaPasskeyOptions = () => request('POST', '/api/mfa/passkey/options', { auth: 'mfa' });

/**
 * @param {unknown} credential the assertion
 * @returns {Promise<{ session_token: string }>}
 */
export const mfaPasskeyVerify = (credential) =>
  request('POST', '/api/mfa/passkey/verify', { auth: 'mfa', body: { credential } });

/** @returns {Promise<{ options: unknown }>} options of a sign-in with a passkey alone */
export const passkeySignInOptions = () => request('POST', '/api/passkey/options');

/**
 * @param {unknown} credential the assertion
 * @returns {Promise<{ session_token: string }>}
 */
export const passkeySignIn = (credential) => request('POST', '/api/passkey/sign-in', { body: { credential } });

/**
 * One entry of the recent activity: `kind` says what happened, the other
 * fields are its details (which kinds have which: README, "Recent activity").
 * `client` and `network` say where it came from, as far as it was recorded.
 * @typedef {{ kind: string, at: string, method?: Method, locked?: 'password' | 'second_factor', until?: string,
 *   masked_phone?: string, replaced_masked_phone?: string, name?: string, reason?: string, username?: string,
 *   client?: { browser?: string, os?: string }, network?: string }} ActivityItem
 * @typedef {{ items: ActivityItem[], more: boolean, sign_in_activity_days: number | null }} Activity
 */

/** @returns {Promise<Activity>} the newest entries, newest first */
export const activity = () => request('GET', '/api/account/activity', { auth: 'session' });

/**
 * Ends every other session of the account; this one goes on under a new token.
 * @returns {Promise<{ session_token: string, expires_in: number }>}
 */
export const endOtherSessions = () => request('POST', '/api/sessions/end-others', { auth: 'session' });

/**
 * Everything the account holds, for download; with a second factor, the proof of it.
 * @param {Presented} [verification]
 * @returns {Promise<Record<string, unknown>>}
 */
export const exportData = (verification) =>
  request('POST', '/api/account/export', { auth: 'session', body: verification ? { verification } : {} });

/**
 * Deletes the account for good: the password and, with a second factor, the proof of it.
 * @param {string} password
 * @param {Presented} [verification]
 * @returns {Promise<{ status: string }>}
 */
export const deleteAccount = (password, verification) =>
  request('POST', '/api/account/delete', { auth: 'session', body: verification ? { password, verification } : { password } });

/**
 * An ALTCHA v1 proof-of-work challenge (see altcha.js).
 * @typedef {{ algorithm: string, challenge: string, maxnumber: number, salt: string, signature: string }} AltchaChallenge
 */

/** @returns {Promise<AltchaChallenge>} */
export const altchaChallenge = () => request('GET', '/api/altcha/challenge');

/**
 * @typedef {{ first_name: string, last_name: string, phone: string, email: string,
 *   privacy_consent: true, altcha: string }} ResetRequestForm
 * @typedef {{ request_id: string, request_number: string, status: 'pending', due_by: string }} ResetRequestSent
 */

/**
 * Lost second factor: ask support staff to remove it (mfa token). 409
 * `conflict` carries the open request's `request_id` and `request_number`.
 * @param {ResetRequestForm} body
 * @returns {Promise<ResetRequestSent>}
 */
export const createResetRequest = (body) => request('POST', '/api/reset-requests', { auth: 'mfa', body });

/**
 * Support staff (role `support`).
 * @typedef {{ id: string, name: string }} StaffRef
 * @typedef {'pending' | 'taken' | 'approved' | 'rejected'} RequestStatus
 * @typedef {{ request_id: string, request_number: string, email: string, first_name: string | null, last_name: string | null,
 *   submitted_at: string, due_by: string, status: 'pending' | 'taken', overdue: boolean,
 *   taken_by?: StaffRef | null }} QueueItem
 * `email` is the account's; the names are the form's (null once it cannot be read).
 * @typedef {{ first_name: string, last_name: string, phone: string, email: string }} RequestForm
 * @typedef {{ first_name: boolean, last_name: boolean, phone: boolean | null, email: boolean }} RequestMatches
 * @typedef {{ user_id: string, email: string, name: string, created_at: string, last_login_at: string | null,
 *   failed_password_attempts: number, failed_second_factor_attempts: number,
 *   factors: { totp: boolean, sms: string | null, recovery_codes_remaining: number,
 *     passkeys?: Array<{ name: string, created_at: string, last_used_at: string | null }> },
 *   disabled?: { at: string, reason: string, by: string } | null }} RequestAccount
 * @typedef {{ at: string, what: 'disabled' | 'enabled' | 'deletion_approved' | 'deleted', by: StaffRef, reason?: string }} AccountChange
 * @typedef {{ account: RequestAccount, history: AccountChange[] }} StaffAccountView
 * @typedef {'submitted' | 'viewed' | 'taken' | 'approval_given' | 'approved' | 'rejected' | 'marked_overdue' | 'anonymised'} HistoryWhat
 * @typedef {{ at: string, what: HistoryWhat, by: StaffRef | null, note?: string | null, reason?: string | null }} HistoryEntry
 * @typedef {{ request_id: string, request_number: string, status: RequestStatus, overdue: boolean, submitted_at: string, due_by: string,
 *   anonymised: boolean, form: RequestForm | null, matches: RequestMatches | null, account: RequestAccount | null,
 *   approvals?: { given: number, required: number }, taken_by?: StaffRef | null, history: HistoryEntry[],
 *   earlier_requests?: RequestSummary[] }} RequestDetail
 * @typedef {{ request_id: string, request_number: string, status: RequestStatus, submitted_at: string }} RequestSummary
 * @typedef {{ status: 'approved' } | { status: 'pending' | 'taken', approvals: { given: number, required: number } }} ApproveResult
 */

/**
 * A customer's account by email (staff only; 404 `not_found` when none).
 * @param {string} email
 * @returns {Promise<StaffAccountView>}
 */
export const lookupAccount = (email) => request('POST', '/api/support/accounts/lookup', { auth: 'session', body: { email } });

/** @param {string} id */
const staffAccountPath = (id) => `/api/support/accounts/${encodeURIComponent(id)}`;

/**
 * Disable a customer's account: it cannot sign in, its sessions end.
 * @param {string} id
 * @param {string} reason
 * @returns {Promise<StaffAccountView>}
 */
export const disableAccount = (id, reason) => request('POST', `${staffAccountPath(id)}/disable`, { auth: 'session', body: { reason } });

/**
 * @param {string} id
 * @returns {Promise<StaffAccountView>}
 */
export const enableAccount = (id) => request('POST', `${staffAccountPath(id)}/enable`, { auth: 'session' });

/**
 * Deletes a customer's account for good; with four eyes the first call is an approval.
 * @param {string} id
 * @returns {Promise<StaffAccountView & { status: 'deleted' | 'approval_needed' }>}
 */
export const deleteAccountByStaff = (id) => request('POST', `${staffAccountPath(id)}/delete`, { auth: 'session' });

/** @returns {Promise<{ items: QueueItem[] }>} open requests, soonest deadline first */
export const supportQueue = () => request('GET', '/api/support/queue', { auth: 'session' });

/**
 * The requests with a number read out on the phone (any case, hyphen or
 * not), newest first; 400 `invalid_request` for what is not a number.
 * @param {string} number
 * @returns {Promise<{ items: RequestSummary[] }>}
 */
export const findRequests = (number) => request('GET', `/api/support/requests?number=${encodeURIComponent(number)}`, { auth: 'session' });

/** @param {string} id */
const supportPath = (id) => `/api/support/requests/${encodeURIComponent(id)}`;

/**
 * A request and what helps decide it (opening it is recorded as "viewed").
 * @param {string} id
 * @returns {Promise<RequestDetail>}
 */
export const supportRequest = (id) => request('GET', supportPath(id), { auth: 'session' });

/**
 * Take a request to work on it.
 * @param {string} id
 * @returns {Promise<RequestDetail>}
 */
export const takeRequest = (id) => request('POST', `${supportPath(id)}/take`, { auth: 'session', body: {} });

/**
 * Approve: the account's second factors go (or, with four eyes, one approval
 * of the ones required). 409 `conflict`: decided meanwhile.
 * @param {string} id
 * @param {string} note
 * @returns {Promise<ApproveResult>}
 */
export const approveRequest = (id, note) => request('POST', `${supportPath(id)}/approve`, { auth: 'session', body: { note } });

/**
 * Reject with a reason the owner is emailed. 409 `conflict`: decided meanwhile.
 * @param {string} id
 * @param {string} reason
 * @returns {Promise<{ status: 'rejected' }>}
 */
export const rejectRequest = (id, reason) => request('POST', `${supportPath(id)}/reject`, { auth: 'session', body: { reason } });

/**
 * A sign-in asked for by one of the customer's own apps (OpenID Connect),
 * kept by the server for ten minutes after /oidc/authorize.
 * @typedef {{ client_name: string, ui_locales: string[], login_hint: string | null, prompt: 'login' | 'none' | null }} OidcRequest
 * @typedef {{ redirect_to: string }} OidcRedirect the app's redirect URI with the code, or with `error=access_denied`
 */

/** @param {string} id */
const oidcPath = (id) => `/api/oidc/requests/${encodeURIComponent(id)}`;

/**
 * 404 `not_found` once it expired or was used.
 * @param {string} id
 * @returns {Promise<OidcRequest>}
 */
export const oidcRequest = (id) => request('GET', oidcPath(id));

/**
 * Hand the session to the request. 401 `login_required`: this session does
 * not satisfy the app (`prompt=login`, `max_age`): sign in afresh.
 * @param {string} id
 * @returns {Promise<OidcRedirect>}
 */
export const oidcComplete = (id) => request('POST', `${oidcPath(id)}/complete`, { auth: 'session', body: {} });

/**
 * The person declined: the app hears `access_denied`.
 * @param {string} id
 * @returns {Promise<OidcRedirect>}
 */
export const oidcCancel = (id) => request('POST', `${oidcPath(id)}/cancel`, { body: {} });

/**
 * The language of the signed-in account's mails and SMS (the page's switch).
 * Idempotent: the same language again changes nothing.
 * @param {'de' | 'en'} language
 * @returns {Promise<null>}
 */
export const setLanguage = (language) => request('PUT', '/api/account/language', { auth: 'session', body: { language } });

/**
 * A new password with the current one and, with a second factor, its proof.
 * Every other session ends; the answer is this browser's fresh session.
 * @param {string} currentPassword
 * @param {string} newPassword
 * @param {Presented} [verification]
 * @returns {Promise<{ session_token: string, expires_in: number }>}
 */
export const changePassword = (currentPassword, newPassword, verification) =>
  request('POST', '/api/account/password', {
    auth: 'session',
    body: { current_password: currentPassword, new_password: newPassword, ...(verification ? { verification } : {}) },
  });

/**
 * Asks to move the account to `newEmail`: a link goes to that address, and
 * the address changes only when it is followed. 409 `email_taken` when the
 * address has an account.
 * @param {string} newEmail
 * @param {Presented} [verification]
 * @returns {Promise<{ expires_in: number }>}
 */
export const requestEmailChange = (newEmail, verification) =>
  request('POST', '/api/account/email', {
    auth: 'session',
    body: { new_email: newEmail, ...(verification ? { verification } : {}) },
  });

/**
 * Follows the emailed link (no session needed): the account's address is
 * the new one from now on.
 * @param {string} token
 * @returns {Promise<{ email: string }>}
 */
export const confirmEmailChange = (token) => request('POST', '/api/account/email/confirm', { body: { token } });
