// The WebOTP API (Chrome on Android): once an SMS code is on its way, the
// browser may read it from the SMS itself, whose last line is `@<host>
// #<code>` (functions/src/sms_text.rs), and only on this site. Where the
// browser lacks the API nothing happens; `autocomplete="one-time-code"` on
// the field still lets iOS offer the code.

/**
 * Waits for the SMS code and types it into `input`, then calls `filled`
 * (which submits). Gives up quietly when the browser refuses or times out,
 * or when the person typed the code first. Waiting again for a newer code
 * replaces the earlier wait.
 * @param {HTMLInputElement} input
 * @param {() => void} filled
 */
export function receiveSmsCode(input, filled) {
  if (!('OTPCredential' in window) || !navigator.credentials) return;
  waiting?.abort();
  const ac = new AbortController();
  waiting = ac;
  const request = /** @type {CredentialRequestOptions} */ (/** @type {unknown} */ ({ otp: { transport: ['sms'] }, signal: ac.signal }));
  navigator.credentials.get(request).then(
    (credential) => {
      const code = credential && 'code' in credential ? String(credential.code) : '';
      if (!/^[0-9]{6}$/.test(code) || !input.isConnected || input.value.trim() !== '') return;
      input.value = code;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      filled();
    },
    () => {},
  );
}

/** @type {AbortController | null} */
let waiting = null;
