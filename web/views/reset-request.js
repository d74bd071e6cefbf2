// Lost phone: after the password (mfa token), ask support staff to remove the
// second factor. Name, phone and email are compared with the account; staff
// decide within 24 working hours. The ALTCHA check runs by itself while the
// person types.

import * as api from '../api.js';
import { altchaCheck } from '../altcha.js';
import { DEADLINE, timeEl } from '../dates.js';
import { announce, h, heading, notice, para } from '../dom.js';
import { checkField, emailField, field, form } from '../forms.js';
import { navigate } from '../router.js';
import { clearAll } from '../session.js';

/** @typedef {import('../api.js').ResetRequestSent} ResetRequestSent */
/** @typedef {{ first_name: string, last_name: string, phone: string, email: string }} Draft */
/** @typedef {import('../forms.js').Field} Field */

/**
 * What was typed, kept in memory only (personal data) when the five minutes
 * of the mfa token ran out: after signing in again the form is filled in.
 * @type {Draft | null}
 */
let draft = null;
/** @type {ResetRequestSent | null} */
let sent = null;

/**
 * A phone number as typed with its country code: spaces, dashes, brackets,
 * dots and slashes go; a leading 00 becomes +.
 * @param {string} typed
 */
export function compactPhone(typed) {
  const compact = typed.replace(/[\s\-()/.]/g, '');
  return compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
}

/** @typedef {{ firstName: Field, lastName: Field, phone: Field, email: Field }} Fields */

/**
 * The fields compared with the account, filled in from the draft if there is one.
 * @returns {Fields}
 */
function requestFields() {
  const firstName = field({ label: 'reset.firstName', name: 'first-name', autocomplete: 'given-name', maxlength: 100, attrs: { autocapitalize: 'words' } });
  const lastName = field({ label: 'reset.lastName', name: 'last-name', autocomplete: 'family-name', maxlength: 100, attrs: { autocapitalize: 'words' } });
  const phone = field({
    label: 'reset.phone',
    name: 'phone',
    type: 'tel',
    hint: 'reset.phoneHint',
    inputmode: 'tel',
    autocomplete: 'tel',
    maxlength: 24,
    normalize: compactPhone,
    validate: (v) => (/^\+[1-9][0-9]{5,14}$/.test(v) ? null : { key: 'reset.phoneInvalid' }),
  });
  const email = emailField('reset.email', 'email');
  if (draft) {
    firstName.input.value = draft.first_name;
    lastName.input.value = draft.last_name;
    phone.input.value = draft.phone;
    email.input.value = draft.email;
    draft = null;
  }
  return { firstName, lastName, phone, email };
}

/** @returns {Field} */
function consentField() {
  return checkField({
    label: 'reset.consent',
    name: 'privacy-consent',
    required: { key: 'reset.consentRequired' },
    hint: h(
      'p',
      {},
      h('a', { text: 'reset.privacyLink', attrs: { href: '/privacy', target: '_blank', rel: 'noopener' } }),
      ' ',
      h('span', { text: 'reset.newTab' }),
    ),
  });
}

/**
 * Says what the server refused where it belongs, and marks it handled: a
 * request already open in the form's alert, a refused field at the field.
 * @param {unknown} err
 * @param {Fields} f
 * @param {HTMLElement} alert
 */
function showRefusal(err, f, alert) {
  if (err instanceof api.ApiError && err.status === 409 && typeof err.body.request_number === 'string') {
    announce(alert, { key: 'reset.alreadyOpen', params: { id: err.body.request_number } });
    err.handled = true;
  }
  if (err instanceof api.ApiError && err.code === 'invalid_request') {
    // The portal names the field first ("phone: ..."); beyond the contract, so only a hint.
    const target = new Map([['first_name', f.firstName], ['last_name', f.lastName], ['phone', f.phone], ['email', f.email]]).get(
      err.serverMessage.split(':')[0],
    );
    if (target) {
      target.setError({ key: target === f.phone ? 'reset.phoneRefused' : 'reset.fieldRefused' });
      target.input.focus();
      err.handled = true;
    }
  }
}

export function resetRequestView() {
  const f = requestFields();
  const consent = consentField();
  const check = altchaCheck();

  const { form: el, alert } = form({
    fields: [f.firstName, f.lastName, f.phone, f.email, consent],
    beforeSubmit: [check.el],
    submit: 'reset.submit',
    errors: { invalid_request: 'reset.invalid', altcha_failed: 'reset.altchaFailed' },
    onSubmit: async () => {
      /** @type {Draft} */
      const typed = { first_name: f.firstName.value(), last_name: f.lastName.value(), phone: f.phone.value(), email: f.email.value() };
      const altcha = await check.payload();
      let res;
      try {
        res = await api.createResetRequest({ ...typed, privacy_consent: true, altcha });
      } catch (err) {
        // A solution is accepted once: whatever went wrong, the next attempt needs a new one.
        check.renew();
        if (err instanceof api.ApiError && err.status === 401) draft = typed;
        showRefusal(err, f, alert);
        throw err;
      }
      // Nothing more to do with this sign-in: the five minutes would run out anyway.
      clearAll();
      sent = res;
      navigate('/reset-request/sent', { replace: true });
    },
  });

  return h(
    'section',
    { class: 'card' },
    heading(1, 'reset.title'),
    para('reset.intro'),
    para('reset.decision'),
    el,
    h('p', { class: 'aside' }, h('a', { text: 'reset.back', attrs: { href: '/verify' } })),
  );
}

/** After sending: the request number and when the answer will come. */
export function resetSentView() {
  const res = sent;
  if (!res) {
    // Reloaded: the number is in the email.
    return h(
      'section',
      { class: 'card' },
      heading(1, 'reset.sent.title'),
      para('reset.sent.gone'),
      h('p', {}, h('a', { text: 'reset.sent.toLogin', attrs: { href: '/login' } })),
    );
  }
  return h(
    'section',
    { class: 'card' },
    heading(1, 'reset.sent.title'),
    notice(
      'success',
      h('p', {}, h('span', { text: 'reset.sent.number' }), ' ', h('strong', { class: 'request-id' }, res.request_number)),
    ),
    h('p', {}, h('span', { text: 'reset.sent.dueBy' }), ' ', h('strong', {}, timeEl(res.due_by, DEADLINE)), '.'),
    para('reset.sent.email'),
    para('reset.sent.next'),
    h('p', { class: 'aside' }, h('a', { text: 'reset.sent.toLogin', attrs: { href: '/login' } })),
  );
}
