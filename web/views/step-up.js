// Proof of the current second factor, asked before a signed-in person moves
// or removes a factor (a stolen session alone must not be enough): the app's
// code, a code by SMS to the current number, or a recovery code.

import * as api from '../api.js';
import { append, button, h, para } from '../dom.js';
import { field, sixDigitField } from '../forms.js';
import { resendButton } from '../resend.js';

/** @typedef {import('../forms.js').Field} Field */
/** @typedef {import('../session.js').Method} Method */
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
  }
}

/** @type {Record<Method, string>} */
const INTRO = { totp: 'stepUp.totp.intro', sms: 'stepUp.sms.intro', recovery_code: 'stepUp.recovery.intro' };

/** @type {Record<Method, string>} */
const SWITCH_TO = { totp: 'stepUp.useApp', sms: 'stepUp.useSms', recovery_code: 'stepUp.useRecovery' };

/**
 * A fresh proof each time it is called: the factors of `account`, the app
 * first. The returned field stands for whichever method is shown.
 * @param {api.Account} account
 * @param {{ allowSms?: boolean }} [opts] allowSms false: not the number being removed
 * @returns {() => Verification}
 */
export function currentFactorProof(account, opts = {}) {
  /** @type {Method[]} */
  const methods = [];
  if (account.mfa.totp) methods.push('totp');
  if (account.mfa.sms !== null && opts.allowSms !== false) methods.push('sms');
  methods.push('recovery_code');

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
      presented: () => ({ method, code: current.value() }),
    };
  };
}
