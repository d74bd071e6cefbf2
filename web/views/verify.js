// The second step of signing in: a passkey, a code from the authenticator
// app, a code by SMS ("Send code" first), or a recovery code instead.

import * as api from '../api.js';
import { cancelSignInLink } from '../auth.js';
import { announce, button, h, heading, liveRegion, para } from '../dom.js';
import { errorMessage } from '../errors.js';
import { field, form, sixDigitField } from '../forms.js';
import { giveRecoveryRemaining } from '../handover.js';
import { resendButton } from '../resend.js';
import { navigate } from '../router.js';
import { afterSignInPath, mfaMethods, startSession } from '../session.js';
import { cancelled, getPasskey, passkeysSupported } from '../passkey.js';
import { receiveSmsCode } from '../webotp.js';

/** @typedef {import('../session.js').Method} Method */
/**
 * How one way of confirming looks: intro text, its field, the message for a
 * wrong code, the text of the link that switches to it, and whether a code
 * must be sent first (SMS).
 * @typedef {{ intro: string, field: () => import('../forms.js').Field, invalid: string, other: string, send?: boolean }} Mode
 */
/** @typedef {'totp' | 'sms' | 'recovery_code'} Supported */

/**
 * The ways of confirming this page offers.
 * @type {Record<Supported, Mode>}
 */
const MODES = {
  totp: {
    intro: 'verify.totp.intro',
    field: () => sixDigitField('verify.totp.code'),
    invalid: 'verify.totp.invalid',
    other: 'verify.useApp',
  },
  sms: {
    intro: 'verify.sms.intro',
    // autocomplete="one-time-code" (sixDigitField): iOS offers the code from
    // the SMS, and the SMS ends with the WebOTP line for Chrome on Android.
    field: () => sixDigitField('verify.sms.code', 'verify.sms.hint'),
    invalid: 'verify.sms.invalid',
    other: 'verify.useSms',
    send: true,
  },
  recovery_code: {
    intro: 'verify.recovery.intro',
    field: () =>
      field({
        label: 'verify.recovery.code',
        name: 'recovery-code',
        hint: 'verify.recovery.hint',
        autocomplete: 'off',
        mono: true,
      }),
    invalid: 'verify.recovery.invalid',
    other: 'verify.useRecovery',
  },
};

export function verifyView() {
  const offered = mfaMethods().filter(/** @returns {m is Supported} */ (m) => m in MODES);
  const primary = offered.find((m) => m !== 'recovery_code') || offered[0] || 'totp';
  // A passkey first where there is one: phishing cannot relay it.
  const passkey = /** @type {string[]} */ (mfaMethods()).includes('passkey') && passkeysSupported();
  const slot = h('div', {});
  /** @param {boolean} focus */
  const showPasskey = (focus) => passkeyPanel(slot, offered, show, focus);
  /** @type {import('../resend.js').Resend | null} */
  let sender = null;
  /** @type {import('../forms.js').Field | null} */
  let currentCode = null;
  // One "Send code" button for this page: switching to another method and
  // back keeps its countdown.
  const smsSender = () => {
    sender = sender || resendButton({
      first: 'verify.sms.send',
      again: 'sms.resend',
      wait: 'sms.resendIn',
      sent: 'sms.sent',
      send: api.smsSend,
      onSent: () => {
        currentCode?.input.focus();
        const code = currentCode;
        if (code) receiveSmsCode(code.input, () => code.input.form?.requestSubmit());
      },
    });
    return sender;
  };

  /** @param {Supported} method @param {boolean} focus */
  const show = (method, focus) => {
    const mode = MODES[method];
    const code = mode.field();
    currentCode = code;
    const send = mode.send ? smsSender() : null;
    const { form: el } = form({
      fields: [code],
      before: send ? [h('div', { class: 'resend-row' }, send.el)] : [],
      submit: 'verify.submit',
      errors: { invalid_code: mode.invalid },
      focusOnError: code,
      onSubmit: async () => {
        const res = await api.verify(method, code.value());
        startSession(res.session_token);
        if (typeof res.recovery_codes_remaining === 'number') giveRecoveryRemaining(res.recovery_codes_remaining);
        navigate(afterSignInPath(), { replace: true });
      },
    });
    const others = offered.filter((m) => m !== method);
    slot.replaceChildren(
      para(mode.intro),
      el,
      ...(passkey ? [h('p', { class: 'aside' }, button('verify.usePasskey', () => showPasskey(true), { variant: 'link' }))] : []),
      ...others.map((m) =>
        h('p', { class: 'aside' }, button(MODES[m].other, () => show(m, true), { variant: 'link' })),
      ),
    );
    if (focus) (send ? send.button : code.input).focus();
  };
  if (passkey) showPasskey(false);
  else show(primary, false);

  return h(
    'section',
    { class: 'card' },
    heading(1, 'verify.title'),
    slot,
    // Phone lost (app and SMS gone): support staff can remove the second factor.
    h('p', { class: 'aside' }, h('a', { text: 'verify.lostPhone', attrs: { href: '/reset-request' } })),
    h('p', { class: 'aside' }, h('a', { text: 'help.link', attrs: { href: '/help' } })),
    cancelSignInLink(),
  );
}

/**
 * The second step with a passkey, and links to the other ways offered.
 * @param {HTMLElement} slot
 * @param {Supported[]} offered
 * @param {(m: Supported, focus: boolean) => void} show
 * @param {boolean} focus
 */
function passkeyPanel(slot, offered, show, focus) {
  const status = liveRegion('alert', 'form__alert');
  const use = button('verify.passkey.use', () => void usePasskey(status), { variant: 'primary' });
  slot.replaceChildren(
    para('verify.passkey.intro'),
    status,
    h('div', { class: 'button-row' }, use),
    ...offered.map((m) => h('p', { class: 'aside' }, button(MODES[m].other, () => show(m, true), { variant: 'link' }))),
  );
  if (focus) use.focus();
}

/**
 * The passkey ceremony of the second step; what went wrong is said in
 * `status` (cancelled, not accepted, locked).
 * @param {HTMLElement} status
 */
async function usePasskey(status) {
  announce(status, null);
  try {
    const { options } = await api.mfaPasskeyOptions();
    const credential = await getPasskey(options);
    const res = await api.mfaPasskeyVerify(credential);
    startSession(res.session_token);
    navigate(afterSignInPath(), { replace: true });
  } catch (err) {
    if (err instanceof api.ApiError && err.handled) return;
    if (cancelled(err)) announce(status, { key: 'verify.passkey.cancelled' });
    else if (err instanceof api.ApiError && err.code === 'invalid_code') announce(status, { key: 'verify.passkey.invalid' });
    else announce(status, errorMessage(err));
  }
}
