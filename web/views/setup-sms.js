// Set up SMS: pick the country code, type the number, get a six-digit code by
// SMS and type it back; then the recovery codes, as with the app. The same
// steps serve Settings (add or change the number), where a person who already
// has a second factor first proves it (`verification`).

import * as api from '../api.js';
import { append, button, h, heading, para } from '../dom.js';
import { form, phoneField, sixDigitField } from '../forms.js';
import { giveCodes } from '../handover.js';
import { resendButton } from '../resend.js';
import { navigate } from '../router.js';
import { afterSignInPath, startSession } from '../session.js';
import { receiveSmsCode } from '../webotp.js';

/** @typedef {import('../api.js').Activation} Activation */
/** @typedef {import('../api.js').SmsCountry} SmsCountry */
/** @typedef {import('../forms.js').Field} Field */
/**
 * Proof of the current factor, shown above the new number.
 * @typedef {{ before: import('../dom.js').Child[], field: Field, presented: () => Promise<api.Presented> }} Verification
 */
/**
 * @typedef {{
 *   countries: SmsCountry[],
 *   verification?: () => Verification,
 *   onConfirmed: (res: Activation) => void,
 *   onCancel?: () => void,
 * }} EnrolmentSpec
 * `verification` is called afresh each time the number form is shown (a
 * proof works once); `onCancel` adds a Cancel button.
 */

/**
 * The steps of setting up a number: number (and proof), then the code.
 * @param {EnrolmentSpec} spec
 * @returns {HTMLDivElement}
 */
export function smsEnrolment(spec) {
  const slot = h('div', { class: 'sms-enrolment' });
  const phone = phoneField(spec.countries);
  const cancel = () =>
    spec.onCancel ? h('div', { class: 'form__actions' }, button('setup.sms.cancel', spec.onCancel, { variant: 'link' })) : null;

  const askNumber = () => {
    const proof = spec.verification ? spec.verification() : null;
    const { form: el } = form({
      fields: proof ? [proof.field, phone] : [phone],
      before: proof ? proof.before : [],
      after: [cancel()],
      submit: 'setup.sms.send',
      errors: { invalid_request: 'setup.sms.invalidPhone', invalid_code: 'setup.sms.invalidProof' },
      fieldErrors: proof ? { invalid_request: phone, invalid_code: proof.field } : { invalid_request: phone },
      focusOnError: phone,
      onSubmit: async () => {
        const number = phone.value();
        const sent = await api.smsSetup(number, proof ? await proof.presented() : undefined);
        askCode(number, sent);
      },
    });
    slot.replaceChildren();
    append(slot, proof ? null : para('setup.sms.enterNumber'), el);
  };

  /** @param {string} number @param {api.SmsSent} sent */
  const askCode = (number, sent) => {
    const code = sixDigitField('setup.sms.code', 'setup.sms.codeHint');
    // A change needs a new proof for every code; a first setup may simply resend.
    const sentLine = h('p', {
      class: 'sms-status',
      attrs: { role: 'status' },
      text: { key: 'sms.sent', params: { phone: sent.masked_phone || number, count: Math.max(1, Math.round(sent.expires_in / 60)) } },
    });
    const resend = spec.verification
      ? null
      : resendButton({
          first: 'sms.resend',
          again: 'sms.resend',
          wait: 'sms.resendIn',
          sent: 'sms.sent',
          send: () => api.smsSetup(number),
          status: sentLine,
          onSent: () => receiveSmsCode(code.input, () => el.requestSubmit()),
        });
    if (resend) resend.waitFor(sent.resend_after);
    const { form: el } = form({
      fields: [code],
      submit: 'setup.sms.submit',
      errors: { invalid_code: 'setup.sms.invalidCode', invalid_request: 'setup.sms.expired' },
      focusOnError: code,
      onSubmit: async () => spec.onConfirmed(await api.smsConfirm(code.value())),
    });
    slot.replaceChildren();
    append(
      slot,
      sentLine,
      el,
      resend ? h('div', { class: 'resend-row' }, resend.el) : null,
      h('p', { class: 'aside' }, button('setup.sms.otherNumber', () => {
        askNumber();
        phone.input.focus();
      }, { variant: 'link' })),
      cancel(),
    );
    code.input.focus();
    receiveSmsCode(code.input, () => el.requestSubmit());
  };

  askNumber();
  return slot;
}

/** @returns {Promise<HTMLElement>} the SMS panel of the setup page */
export async function smsSetupPanel() {
  const { countries } = await api.smsCountries();
  return h(
    'div',
    { class: 'method' },
    heading(2, 'setup.sms.title'),
    smsEnrolment({
      countries,
      onConfirmed: (res) => {
        startSession(res.session_token);
        giveCodes({ codes: res.recovery_codes, done: 'setup.sms.activated', next: afterSignInPath(), activated: true });
        navigate('/recovery-codes', { replace: true });
      },
    }),
  );
}
