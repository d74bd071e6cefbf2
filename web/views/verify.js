// The second step of signing in: a code from the authenticator app, or a
// recovery code instead.

import * as api from '../api.js';
import { button, h, heading, para } from '../dom.js';
import { field, form, sixDigitField } from '../forms.js';
import { giveRecoveryRemaining } from '../handover.js';
import { navigate } from '../router.js';
import { clearAll, mfaMethods, startSession } from '../session.js';

/** @typedef {import('../session.js').Method} Method */
/**
 * How one way of confirming looks: intro text, its field, the message for a
 * wrong code, and the text of the link that switches to it.
 * @typedef {{ intro: string, field: () => import('../forms.js').Field, invalid: string, other: string }} Mode
 */
/** @typedef {'totp' | 'recovery_code'} Supported */

/**
 * The ways of confirming this page offers.
 * Place for SMS (next issue): a mode with a "send code" button before the field.
 * @type {Record<Supported, Mode>}
 */
const MODES = {
  totp: {
    intro: 'verify.totp.intro',
    field: () => sixDigitField('verify.totp.code'),
    invalid: 'verify.totp.invalid',
    other: 'verify.useApp',
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
  const slot = h('div', {});

  /** @param {Supported} method @param {boolean} focus */
  const show = (method, focus) => {
    const mode = MODES[method];
    const code = mode.field();
    const { form: el } = form({
      fields: [code],
      submit: 'verify.submit',
      errors: { invalid_code: mode.invalid },
      focusOnError: code,
      onSubmit: async () => {
        const res = await api.verify(method, code.value());
        startSession(res.session_token);
        if (typeof res.recovery_codes_remaining === 'number') giveRecoveryRemaining(res.recovery_codes_remaining);
        navigate('/', { replace: true });
      },
    });
    const others = offered.filter((m) => m !== method);
    slot.replaceChildren(
      para(mode.intro),
      el,
      ...others.map((m) =>
        h('p', { class: 'aside' }, button(MODES[m].other, () => show(m, true), { variant: 'link' })),
      ),
    );
    if (focus) code.input.focus();
  };
  show(primary, false);

  return h(
    'section',
    { class: 'card' },
    heading(1, 'verify.title'),
    slot,
    h(
      'p',
      { class: 'aside' },
      button(
        'verify.cancel',
        () => {
          clearAll();
          navigate('/login', { replace: true });
        },
        { variant: 'link' },
      ),
    ),
  );
}
