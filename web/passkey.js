// The browser's side of passkeys (WebAuthn): the server's options in, the
// credential out as `PublicKeyCredential.toJSON()`, which the server reads.
// parse*FromJSON and toJSON are in every browser with passkeys (Chrome 129,
// Safari 18, Firefox 119); without them the page offers no passkey.

/** @returns {any} the constructor, untyped: the DOM types here predate these methods */
function credentialClass() {
  return /** @type {any} */ (window).PublicKeyCredential;
}

/** Whether this browser can make and use passkeys the way the page asks. */
export function passkeysSupported() {
  const pkc = credentialClass();
  return typeof pkc === 'function' && typeof pkc.parseCreationOptionsFromJSON === 'function';
}

/**
 * Makes a new passkey with the server's creation options.
 * @param {unknown} options PublicKeyCredentialCreationOptionsJSON
 * @returns {Promise<unknown>} the credential as JSON
 */
export async function createPasskey(options) {
  const publicKey = credentialClass().parseCreationOptionsFromJSON(options);
  const credential = /** @type {any} */ (await navigator.credentials.create({ publicKey }));
  return credential.toJSON();
}

/**
 * Signs the server's challenge with a passkey.
 * @param {unknown} options PublicKeyCredentialRequestOptionsJSON
 * @param {{ conditional?: boolean, signal?: AbortSignal }} [how] conditional:
 *   offered in the user name field's autofill instead of a dialog
 * @returns {Promise<unknown>} the assertion as JSON
 */
export async function getPasskey(options, how = {}) {
  const publicKey = credentialClass().parseRequestOptionsFromJSON(options);
  /** @type {any} */
  const request = { publicKey, signal: how.signal };
  if (how.conditional) request.mediation = 'conditional';
  const credential = /** @type {any} */ (await navigator.credentials.get(request));
  return credential.toJSON();
}

/** Whether the browser offers passkeys in autofill (conditional mediation). */
export async function conditionalSupported() {
  const pkc = credentialClass();
  return passkeysSupported() && typeof pkc.isConditionalMediationAvailable === 'function'
    ? Boolean(await pkc.isConditionalMediationAvailable())
    : false;
}

/**
 * Whether an error is the person (or the browser) cancelling the ceremony,
 * or an authenticator that has no matching passkey: the page says so
 * rather than showing a failure.
 * @param {unknown} err
 */
export function cancelled(err) {
  return err instanceof DOMException && (err.name === 'NotAllowedError' || err.name === 'AbortError');
}
