// Set up a second factor. Each method is a panel; with more than one method
// the person chooses between them (radio buttons above the panel).

import { h, heading, para } from '../dom.js';
import { mfaToken } from '../session.js';
import { appSetupPanel } from './setup-app.js';

/**
 * @typedef {{
 *   id: string,
 *   title: string,
 *   panel: () => Promise<HTMLElement>,
 * }} SetupMethod
 */

/**
 * The methods offered, in order. The first is chosen at the start.
 * Place for the next method: `{ id: 'sms', title: 'setup.sms.title', panel: smsSetupPanel }`
 * (views/setup-sms.js, issue "second factor by SMS"); adding it makes the choice appear.
 * @type {SetupMethod[]}
 */
const METHODS = [{ id: 'totp', title: 'setup.app.title', panel: appSetupPanel }];

export async function setupView() {
  // With an mfa token the person must set up a factor before going on;
  // with a session token (the "Set up now" button) it is their choice.
  const mandatory = mfaToken() !== null;
  const slot = h('div', { class: 'setup__panel' });
  /** @param {SetupMethod} m */
  const show = async (m) => {
    slot.replaceChildren(await m.panel());
  };
  await show(METHODS[0]);

  return h(
    'section',
    { class: 'card' },
    heading(1, 'setup.title'),
    para(mandatory ? 'setup.intro.required' : 'setup.intro.optional'),
    METHODS.length > 1 ? methodChoice(METHODS, show) : null,
    slot,
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
      return h(
        'div',
        { class: 'choice__option' },
        h('input', {
          attrs: { type: 'radio', name: 'setup-method', id, value: m.id, checked: i === 0 },
          on: { change: () => void onChoose(m) },
        }),
        h('label', { text: m.title, attrs: { for: id } }),
      );
    }),
  );
}

