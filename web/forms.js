// Labelled fields and forms with validation and error display, shared by all views.

import { announce, h, liveRegion, uid } from './dom.js';
import { errorMessage } from './errors.js';
import { lang, onLangChange, setAttrs, setText } from './i18n.js';

/** @typedef {import('./i18n.js').Msg} Msg */
/** @typedef {import('./dom.js').Child} Child */
/**
 * @typedef {{
 *   label: string,
 *   name: string,
 *   type?: 'text' | 'email' | 'password' | 'tel',
 *   autocomplete?: string,
 *   hint?: Msg | string,
 *   inputmode?: 'text' | 'numeric' | 'email' | 'tel',
 *   pattern?: string,
 *   maxlength?: number,
 *   minlength?: number,
 *   required?: boolean,
 *   mono?: boolean,
 *   short?: boolean,
 *   normalize?: (raw: string) => string,
 *   validate?: (value: string) => Msg | null,
 *   attrs?: Record<string, string>,
 * }} FieldSpec
 * `label` and a string `hint` are keys; `normalize` defaults to trimming
 * (passwords: kept as typed); `required` defaults to true.
 */
/**
 * @typedef {{
 *   wrap: HTMLDivElement,
 *   input: HTMLInputElement,
 *   value: () => string,
 *   setError: (msg: Msg | null) => void,
 *   check: () => Msg | null,
 * }} Field
 */

/**
 * A labelled input with an optional hint and a place for its error.
 * @param {FieldSpec} spec
 * @returns {Field}
 */
export function field(spec) {
  const id = uid(`f-${spec.name}`);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const required = spec.required !== false;
  const type = spec.type || 'text';
  const normalize = spec.normalize || (type === 'password' ? (/** @type {string} */ s) => s : (/** @type {string} */ s) => s.trim());

  const input = h('input', {
    class: ['input', spec.mono ? 'input--mono' : '', spec.short ? 'input--short' : ''].filter(Boolean).join(' '),
    attrs: {
      id,
      name: spec.name,
      type,
      autocomplete: spec.autocomplete,
      inputmode: spec.inputmode,
      pattern: spec.pattern,
      maxlength: spec.maxlength,
      minlength: spec.minlength,
      required,
      spellcheck: type === 'text' ? 'false' : undefined,
      autocapitalize: type === 'text' ? 'none' : undefined,
      'aria-describedby': spec.hint ? hintId : undefined,
      ...spec.attrs,
    },
  });
  const error = h('p', { class: 'field__error', attrs: { id: errorId, hidden: true } });
  const wrap = h(
    'div',
    { class: 'field' },
    h('label', { text: spec.label, attrs: { for: id } }),
    spec.hint ? h('p', { class: 'field__hint', text: spec.hint, attrs: { id: hintId } }) : null,
    input,
    error,
  );

  const value = () => normalize(input.value);

  const setError = errorSetter({ input, error, wrap, hintId: spec.hint ? hintId : null, errorId });

  const check = () => {
    const v = value();
    if (required && v === '') return { key: 'validation.required' };
    if (v !== '' && spec.validate) return spec.validate(v);
    return null;
  };

  return { wrap, input, value, setError, check };
}

/**
 * A field for the six digits an authenticator app shows.
 * @param {string} label key
 * @param {Msg | string} [hint]
 */
export function sixDigitField(label, hint) {
  return field({
    label,
    hint,
    name: 'code',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]{6}',
    maxlength: 7,
    mono: true,
    short: true,
    normalize: (s) => s.replace(/\s+/g, ''),
    validate: (v) => (/^[0-9]{6}$/.test(v) ? null : { key: 'validation.sixDigits' }),
  });
}

/**
 * @typedef {{
 *   fields: Field[],
 *   submit: Msg | string,
 *   onSubmit: () => Promise<void>,
 *   errors?: Partial<Record<string, string>>,
 *   fieldErrors?: Partial<Record<string, Field>>,
 *   focusOnError?: Field,
 *   before?: Child[],
 *   beforeSubmit?: Child[],
 *   after?: Child[],
 *   label?: string,
 * }} FormSpec
 * `errors`: API error code -> key for wording that fits this form;
 * `fieldErrors`: API error code -> the field the message belongs to;
 * `focusOnError`: field to focus and select after a refused attempt;
 * `beforeSubmit`: shown below the fields, above the form's alert and button.
 */

/**
 * A form: checks the fields, then runs onSubmit; API errors appear in the
 * form's alert region or beside the field they concern.
 * @param {FormSpec} spec
 * @returns {{ form: HTMLFormElement, alert: HTMLElement, submitButton: HTMLButtonElement, showError: (err: unknown) => void }}
 */
export function form(spec) {
  const alert = liveRegion('alert', 'form__alert');
  const submitButton = h('button', { class: 'button button--primary', text: spec.submit, attrs: { type: 'submit' } });
  const el = h(
    'form',
    { class: 'form', attrs: { novalidate: true } },
    ...(spec.before || []),
    ...spec.fields.map((f) => f.wrap),
    ...(spec.beforeSubmit || []),
    alert,
    h('div', { class: 'form__actions' }, submitButton),
    ...(spec.after || []),
  );
  if (spec.label) el.setAttribute('aria-labelledby', spec.label);
  let busy = false;

  /** @param {unknown} err */
  const showError = (err) => {
    if (err && typeof err === 'object' && 'handled' in err && err.handled) return;
    const code = err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' ? err.code : '';
    const msg = errorMessage(err, spec.errors);
    const target = spec.fieldErrors && spec.fieldErrors[code];
    if (target) {
      target.setError(msg);
      target.input.focus();
      return;
    }
    announce(alert, msg);
    if (spec.focusOnError) {
      spec.focusOnError.input.focus();
      spec.focusOnError.input.select();
    }
  };

  el.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    announce(alert, null);
    /** @type {Field | null} */
    let firstInvalid = null;
    for (const f of spec.fields) {
      const problem = f.check();
      f.setError(problem);
      if (problem && !firstInvalid) firstInvalid = f;
    }
    if (firstInvalid) {
      firstInvalid.input.focus();
      return;
    }
    busy = true;
    el.setAttribute('aria-busy', 'true');
    submitButton.setAttribute('aria-disabled', 'true');
    try {
      await spec.onSubmit();
    } catch (err) {
      showError(err);
    } finally {
      busy = false;
      el.removeAttribute('aria-busy');
      submitButton.removeAttribute('aria-disabled');
    }
  });

  return { form: el, alert, submitButton, showError };
}

/** The server's minimum length (`events::password_policy::MIN_CHARS`), checked here first. */
const MIN_PASSWORD_LENGTH = 8;

/**
 * A new password's field, with the policy's length check and hint: the same
 * at registration, a forgotten password's link and a change in Settings.
 * @param {string} label
 * @param {string} [name]
 * @returns {Field}
 */
export function newPasswordField(label, name = 'new-password') {
  return field({
    label,
    name,
    type: 'password',
    autocomplete: 'new-password',
    minlength: MIN_PASSWORD_LENGTH,
    hint: 'register.passwordHint',
    validate: (v) => ([...v].length >= MIN_PASSWORD_LENGTH ? null : { key: 'validation.passwordLength' }),
  });
}

/**
 * The field that repeats `first`, so a typo is caught before it is sent.
 * @param {Field} first
 * @returns {Field}
 */
export function repeatedPasswordField(first) {
  return field({
    label: 'newPassword.repeat',
    name: 'repeat-password',
    type: 'password',
    autocomplete: 'new-password',
    validate: (v) => (v === first.value() ? null : { key: 'newPassword.mismatch' }),
  });
}

/**
 * What the page says at the field for each reason the server gives for
 * refusing a new password (`reason` beside `invalid_request`).
 * @type {Record<string, string>}
 */
const PASSWORD_PROBLEMS = {
  password_too_short: 'password.tooShort',
  password_too_long: 'password.tooLong',
  password_well_known: 'password.wellKnown',
};

/**
 * Shows why a new password was refused at its field (and marks the error
 * handled, so the form's alert stays quiet); false for any other error.
 * @param {unknown} err
 * @param {Field} passwordField
 */
export function showPasswordProblem(err, passwordField) {
  if (!err || typeof err !== 'object' || !('body' in err) || !err.body || typeof err.body !== 'object') return false;
  const reason = 'reason' in err.body && typeof err.body.reason === 'string' ? err.body.reason : '';
  const key = PASSWORD_PROBLEMS[reason];
  if (!key) return false;
  passwordField.setError({ key });
  passwordField.input.focus();
  /** @type {{ handled?: boolean }} */ (err).handled = true;
  return true;
}

/**
 * An email address field.
 * @param {string} label key
 * @param {string} autocomplete `username` on sign-in, `email` when registering
 * @param {{ hint?: string, validate?: (value: string) => Msg | null }} [opts] a hint key, and a check
 *   beyond the address's shape
 */
export function emailField(label, autocomplete, opts = {}) {
  const more = opts.validate || (() => null);
  return field({
    label,
    name: 'email',
    type: 'email',
    inputmode: 'email',
    autocomplete,
    hint: opts.hint,
    validate: (v) => (/^[^\s@]+@[^\s@]+$/.test(v) ? more(v) : { key: 'validation.email' }),
  });
}

/**
 * A user name (optional at registration, the value in Settings): the
 * server's rules (`events/src/username.rs`) checked here first, so the
 * reason shows at the field before anything is sent.
 * @param {string} label key
 * @param {boolean} required
 */
export function usernameField(label, required) {
  return field({
    label,
    name: 'username',
    autocomplete: 'username',
    hint: 'username.hint',
    maxlength: 32,
    required,
    validate: (v) => {
      if (v.includes('@')) return { key: 'username.noEmail' };
      return /^[A-Za-z0-9](?:[._-]?[A-Za-z0-9])*$/.test(v) && v.length >= 3 && v.length <= 32 ? null : { key: 'username.rules' };
    },
  });
}

/**
 * Shows or clears a field's error: the message, `aria-invalid`, and
 * `aria-describedby` naming the hint and the error that are there.
 * @param {{ input: HTMLElement, error: HTMLElement, wrap: HTMLElement, hintId: string | null, errorId: string }} parts
 * @returns {(msg: Msg | null) => void}
 */
function errorSetter({ input, error, wrap, hintId, errorId }) {
  return (msg) => {
    setText(error, msg);
    error.hidden = msg === null;
    const described = [hintId, msg ? errorId : null].filter(Boolean).join(' ');
    if (described) input.setAttribute('aria-describedby', described);
    else input.removeAttribute('aria-describedby');
    if (msg) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    wrap.classList.toggle('field--invalid', msg !== null);
  };
}

/**
 * A checkbox that must be ticked (e.g. consent), with an optional hint below
 * its label. `value()` is `'yes'` when ticked, `''` otherwise.
 * @param {{ label: string, name: string, hint?: Child, required?: Msg }} spec
 * `label` is a key; `required` is the message when it is left unticked
 * @returns {Field}
 */
export function checkField(spec) {
  const id = uid(`f-${spec.name}`);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const input = h('input', { attrs: { id, name: spec.name, type: 'checkbox', required: true, 'aria-describedby': spec.hint ? hintId : undefined } });
  const error = h('p', { class: 'field__error', attrs: { id: errorId, hidden: true } });
  const wrap = h(
    'div',
    { class: 'field field--check' },
    h('div', { class: 'check' }, input, h('label', { text: spec.label, attrs: { for: id } })),
    spec.hint ? h('div', { class: 'field__hint', attrs: { id: hintId } }, spec.hint) : null,
    error,
  );
  const setError = errorSetter({ input, error, wrap, hintId: spec.hint ? hintId : null, errorId });
  input.addEventListener('change', () => {
    if (input.checked) setError(null);
  });
  const value = () => (input.checked ? 'yes' : '');
  const check = () => (input.checked ? null : spec.required || { key: 'validation.required' });
  return { wrap, input, value, setError, check };
}

/** @typedef {import('./api.js').SmsCountry} SmsCountry */

/**
 * The number as the server wants it (E.164): the chosen country code and the
 * typed number without its leading 0; a number typed with `+` or `00` in front
 * keeps its own country code. Spaces, dashes, brackets, dots and slashes go.
 * @param {string} dialCode e.g. `+49`
 * @param {string} typed
 */
export function toE164(dialCode, typed) {
  const compact = typed.replace(/[\s\-()/.]/g, '');
  if (compact.startsWith('+')) return compact;
  if (compact.startsWith('00')) return `+${compact.slice(2)}`;
  return `${dialCode}${compact.replace(/^0/, '')}`;
}

/** @param {string} code ISO 3166 code, e.g. `DE` */
function countryName(code) {
  try {
    return new Intl.DisplayNames([lang()], { type: 'region' }).of(code) || code;
  } catch {
    return code;
  }
}

/**
 * A mobile number: the country code from a list, then the number.
 * `value()` gives E.164 (see toE164).
 * @param {SmsCountry[]} countries as GET /api/mfa/sms/countries lists them
 * @returns {Field}
 */
export function phoneField(countries) {
  /** @type {HTMLSelectElement} */
  let select;
  const inner = field({
    label: 'sms.phone',
    name: 'phone',
    type: 'tel',
    hint: 'sms.phoneHint',
    inputmode: 'tel',
    autocomplete: 'tel-national',
    maxlength: 24,
    validate: (v) => (/^\+[1-9][0-9]{5,14}$/.test(toE164(select.value, v)) ? null : { key: 'validation.phone' }),
  });
  select = h(
    'select',
    { class: 'input input--country', attrs: { name: 'country', autocomplete: 'tel-country-code' } },
    ...countries.map((c) => h('option', { attrs: { value: c.dial_code, 'data-country': c.code } })),
  );
  setAttrs(select, { 'aria-label': 'sms.countryCode' });
  const nameOptions = () => {
    for (const opt of select.options) opt.textContent = `${opt.value} ${countryName(opt.dataset.country || '')}`;
  };
  nameOptions();
  // Country names come from the browser (Intl), not from i18n/*.json.
  onLangChange(() => {
    if (select.isConnected) nameOptions();
  });
  const row = h('div', { class: 'phone-row' });
  inner.input.replaceWith(row);
  row.append(select, inner.input);
  return { ...inner, value: () => toE164(select.value, inner.input.value) };
}
