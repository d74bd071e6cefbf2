// Set up a second factor. Each method is a panel; with more than one method
// the person chooses between them (radio buttons above the panel).

import { ApiError } from '../api.js';
import { cancelSignInLink } from '../auth.js';
import { h, heading, notice, para, uid } from '../dom.js';
import { errorMessage } from '../errors.js';
import { mfaMethods, mfaToken } from '../session.js';
import { appSetupPanel } from './setup-app.js';
import { smsSetupPanel } from './setup-sms.js';

/**
 * @typedef {{
 *   id: 'totp' | 'sms',
 *   title: string,
 *   hint?: string,
 *   panel: () => Promise<HTMLElement>,
 * }} SetupMethod
 * `title` labels the choice; `hint` is one line below it.
 */

/**
 * The methods offered, in order. The first is chosen at the start: the app,
 * because SMS can be intercepted or redirected.
 * @type {SetupMethod[]}
 */
const METHODS = [
  { id: 'totp', title: 'setup.choice.app', hint: 'setup.choice.appWhy', panel: appSetupPanel },
  { id: 'sms', title: 'setup.choice.sms', panel: smsSetupPanel },
];

/**
 * `?method=totp` or `?method=sms` offers only that one (Settings links there
 * when the other factor is already active). After a password, only what the
 * server offered (`methods` of mfa_setup_required).
 * @param {URLSearchParams} query
 */
export async function setupView(query) {
  // With an mfa token the person must set up a factor before going on;
  // with a session token (the "Set up now" button) it is their choice.
  const mandatory = mfaToken() !== null;
  const offered = mandatory ? mfaMethods() : [];
  const only = query.get('method');
  let methods = METHODS.filter((m) => (only === null || m.id === only) && (offered.length === 0 || offered.includes(m.id)));
  if (methods.length === 0) methods = METHODS;

  const slot = h('div', { class: 'setup__panel' });
  let shown = 0;
  /** @param {SetupMethod} m */
  const show = async (m) => {
    const seq = ++shown;
    /** @type {HTMLElement} */
    let panel;
    try {
      panel = await m.panel();
    } catch (err) {
      if (err instanceof ApiError && err.handled) return;
      panel = notice('error', h('p', { text: errorMessage(err) }));
    }
    if (seq === shown) slot.replaceChildren(panel); // a later choice won
  };
  await show(methods[0]);

  return h(
    'section',
    { class: 'card' },
    heading(1, 'setup.title'),
    para(mandatory ? 'setup.intro.required' : 'setup.intro.optional'),
    methods.length > 1 ? methodChoice(methods, show) : null,
    slot,
    // Forced after the password: "Cancel" is the way out (back to sign-in).
    mandatory ? cancelSignInLink() : null,
  );
}

/**
 * Radio buttons to pick a method.
 * @param {SetupMethod[]} methods
 * @param {(m: SetupMethod) => Promise<void>} onChoose
 */
function methodChoice(methods, onChoose) {
  return h(
    'fieldset',
    { class: 'choice' },
    h('legend', { text: 'setup.choose' }),
    ...methods.map((m, i) => {
      const id = `setup-method-${m.id}`;
      const hintId = m.hint ? uid('setup-method-hint') : undefined;
      return h(
        'div',
        { class: 'choice__option' },
        h('input', {
          attrs: { type: 'radio', name: 'setup-method', id, value: m.id, checked: i === 0, 'aria-describedby': hintId },
          on: { change: () => void onChoose(m) },
        }),
        h(
          'div',
          { class: 'choice__text' },
          h('label', { text: m.title, attrs: { for: id } }),
          m.hint ? h('p', { class: 'choice__hint', text: m.hint, attrs: { id: hintId } }) : null,
        ),
      );
    }),
  );
}
