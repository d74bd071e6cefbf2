// What one page hands to the next, kept in memory only (recovery codes are
// secrets: never written to storage; a reload loses them on purpose).

/**
 * New codes, the key of the line saying what just happened (e.g. "SMS
 * activated"), where Continue leads, and whether a second factor was just
 * set up (then the page points out app passwords for calendar sync).
 * @typedef {{ codes: string[], done: string, next: string, activated?: boolean }} FreshCodes
 */

/** @type {FreshCodes | null} */
let freshCodes = null;
/** @type {number | null} */
let recoveryRemaining = null;

/** @param {FreshCodes} value new recovery codes to show once */
export function giveCodes(value) {
  freshCodes = value;
}

/** @returns {FreshCodes | null} the codes, once */
export function takeCodes() {
  const v = freshCodes;
  freshCodes = null;
  return v;
}

/** @param {number} n recovery codes left after signing in with one */
export function giveRecoveryRemaining(n) {
  recoveryRemaining = n;
}

/** @returns {number | null} */
export function takeRecoveryRemaining() {
  const v = recoveryRemaining;
  recoveryRemaining = null;
  return v;
}

/** @type {string | null} */
let signInEmail = null;

/** @param {string} email just registered: pre-fill the sign-in form */
export function giveSignInEmail(email) {
  signInEmail = email;
}

/** @returns {string | null} */
export function takeSignInEmail() {
  const v = signInEmail;
  signInEmail = null;
  return v;
}
