// Proof of the current second factor, asked before a signed-in person changes
// a credential (a stolen session alone must not be enough): a passkey, the
// app's code, a code by SMS to the current number, or a recovery code. Inline
// in the forms that move or remove a factor, and as one dialog (`withStepUp`)
// before the changes that are a single button (new recovery codes, an app
// password).

import * as api from '../api.js';
import { announce, append, button, h, heading, liveRegion, para } from '../dom.js';
import { field, form, sixDigitField } from '../forms.js';
import { cancelled, getPasskey, passkeysSupported } from '../passkey.js';
import { resendButton } from '../resend.js';

/** @typedef {import('../forms.js').Field} Field */
/** @typedef {import('../session.js').Method | 'passkey'} Method */
/** @typedef {import('./setup-sms.js').Verification} Verification */

/**
 * @param {Method} method
 * @returns {Field}
 */
function proofField(method) {
  switch (method) {
    case 'totp':
      return sixDigitField('stepUp.totp.code');
    case 'sms':
      return sixDigitField('stepUp.sms.code');
    case 'recovery_code':
      return field({ label: 'stepUp.recovery.code', name: 'recovery-code', hint: 'verify.recovery.hint', autocomplete: 'off', mono: true });
    case 'passkey':
      return passkeyField();
  }
}

/**
 * A passkey's place among the proofs: nothing to type (the browser asks for
 * the passkey when the form is sent), only a place for what went wrong. Its
 * input is hidden, so the forms' focus on an invalid field changes nothing;
 * the message is announced instead.
 * @returns {Field}
 */
function passkeyField() {
  const status = liveRegion('alert', 'form__alert');
  const input = h('input', { attrs: { type: 'hidden', name: 'passkey' } });
  return {
    wrap: /** @type {HTMLDivElement} */ (h('div', { class: 'field' }, status, input)),
    input,
    value: () => '',
    // The only error a form routes to the proof is a refused one.
    setError: (msg) => announce(status, msg ? { key: 'verify.passkey.invalid' } : null),
    check: () => null,
  };
}

/** @type {Record<Method, string>} */
const INTRO = {
  totp: 'stepUp.totp.intro',
  sms: 'stepUp.sms.intro',
  recovery_code: 'stepUp.recovery.intro',
  passkey: 'stepUp.passkeyProof.intro',
};

/** @type {Record<Method, string>} */
const SWITCH_TO = {
  totp: 'stepUp.useApp',
  sms: 'stepUp.useSms',
  recovery_code: 'stepUp.useRecovery',
  passkey: 'stepUp.usePasskey',
};

/**
 * The passkey's answer to a fresh step-up ceremony of this session. When
 * the person cancels the browser's prompt, `field` says so and the error
 * thrown is marked handled: the form stays as it is, ready to try again.
 * @param {Field} field
 * @returns {Promise<api.Presented>}
 */
async function passkeyProof(field) {
  try {
    const { options } = await api.passkeyVerificationOptions();
    return { method: 'passkey', credential: await getPasskey(options) };
  } catch (err) {
    if (!cancelled(err)) throw err;
    announce(/** @type {HTMLElement} */ (field.wrap.firstElementChild), { key: 'verify.passkey.cancelled' });
    const handled = new api.ApiError(0, 'passkey_cancelled', '', {});
    handled.handled = true;
    throw handled;
  }
}

/**
 * A fresh proof each time it is called: the methods the server accepts for
 * `account` (`mfa.methods`), a passkey first where the browser can use one
 * (phishing cannot relay it), then the app. The returned field stands for
 * whichever method is shown.
 * @param {api.Account} account
 * @param {{ allowSms?: boolean }} [opts] allowSms false: not the number being removed
 * @returns {() => Verification}
 */
export function currentFactorProof(account, opts = {}) {
  /** @type {Method[]} */
  const offered = account.mfa.methods.filter(
    (m) => (m !== 'sms' || opts.allowSms !== false) && (m !== 'passkey' || passkeysSupported()),
  );
  /** @type {Method[]} */
  const methods = offered.includes('passkey') ? ['passkey', ...offered.filter((m) => m !== 'passkey')] : offered;

  return () => {
    const box = h('div', { class: 'step-up' });
    /** @type {Method} */
    let method = methods[0];
    let current = proofField(method);
    /** @type {import('../resend.js').Resend | null} */
    let sender = null;

    /** @param {Method} m @param {boolean} focus */
    const show = (m, focus) => {
      method = m;
      current = proofField(m);
      if (m === 'sms' && !sender) {
        sender = resendButton({
          first: 'stepUp.sms.send',
          again: 'sms.resend',
          wait: 'sms.resendIn',
          sent: 'sms.sent',
          send: api.smsSend,
          onSent: () => current.input.focus(),
        });
      }
      box.replaceChildren();
      append(
        box,
        para({ key: INTRO[m], params: { phone: account.mfa.sms || '' } }),
        m === 'sms' && sender ? h('div', { class: 'resend-row' }, sender.el) : null,
        current.wrap,
        ...methods
          .filter((o) => o !== m)
          .map((o) => h('p', { class: 'step-up__other' }, button(SWITCH_TO[o], () => show(o, true), { variant: 'link' }))),
      );
      if (focus) (m === 'sms' && sender ? sender.button : current.input).focus();
    };
    show(method, false);

    /** @type {Field} */
    const proxy = {
      wrap: /** @type {HTMLDivElement} */ (box),
      get input() {
        return current.input;
      },
      value: () => current.value(),
      setError: (msg) => current.setError(msg),
      check: () => current.check(),
    };
    return {
      before: [h('h4', { class: 'step-up__title', text: 'stepUp.title' })],
      field: proxy,
      presented: async () => (method === 'passkey' ? passkeyProof(current) : { method, code: current.value() }),
    };
  };
}

/**
 * Runs a change of a credential with the proof it needs: without a second
 * factor (the first session after registration) at once; otherwise after
 * the proof, asked in a modal dialog that stays open while the code is
 * wrong. Any other refusal closes the dialog and is thrown to the caller.
 * @template T
 * @param {api.Account} account
 * @param {{ text: string, submit: string }} keys what the change is, and its button
 * @param {(verification: api.Presented | undefined) => Promise<T>} change
 * @returns {Promise<{ done: T } | null>} null when the person cancelled
 */
export async function withStepUp(account, keys, change) {
  if (!account.mfa.totp && account.mfa.sms === null) return { done: await change(undefined) };
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const proof = currentFactorProof(account)();
  const titleId = 'step-up-title';
  /** @type {{ done: T } | null} */
  let result = null;
  /** @type {unknown} */
  let failure = null;
  const dialog = h('dialog', { class: 'dialog', attrs: { 'aria-labelledby': titleId } });
  const { form: el } = form({
    fields: [proof.field],
    before: [heading(2, 'stepUp.title', { id: titleId }), para(keys.text)],
    submit: keys.submit,
    errors: { invalid_code: 'setup.sms.invalidProof' },
    fieldErrors: { invalid_code: proof.field },
    focusOnError: proof.field,
    after: [h('div', { class: 'form__actions' }, button('setup.sms.cancel', () => dialog.close(), { variant: 'link' }))],
    onSubmit: async () => {
      try {
        result = { done: await change(await proof.presented()) };
      } catch (err) {
        // A wrong code, a passkey not used (or a lock) is answered here;
        // anything else is the caller's.
        const answered = ['invalid_code', 'too_many_attempts', 'passkey_cancelled'];
        if (err instanceof api.ApiError && answered.includes(err.code)) throw err;
        failure = err;
      }
      dialog.close();
    },
  });
  dialog.append(el);
  return new Promise((resolve, reject) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      if (failure) reject(failure);
      else resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    proof.field.input.focus();
  });
}
