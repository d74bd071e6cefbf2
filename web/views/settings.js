// Settings > Security: the password, the email address, the user name, the second factors and
// recovery codes, app passwords, and the recent activity with "Sign out everywhere else".

import * as api from '../api.js';
import { announce, button, h, heading, liveRegion, para } from '../dom.js';
import { confirmDialog } from '../dialog.js';
import { errorMessage } from '../errors.js';
import { form } from '../forms.js';
import { giveCodes } from '../handover.js';
import { flash, navigate } from '../router.js';
import { startSession } from '../session.js';
import { activitySection } from './activity.js';
import { appPasswordsSection } from './app-passwords.js';
import { deleteAccountSection } from './delete-account.js';
import { exportSection } from './export.js';
import { emailSection } from './email-change.js';
import { passkeysSection } from './passkeys.js';
import { passwordSection } from './password-change.js';
import { appSetupSteps } from './setup-app.js';
import { smsEnrolment } from './setup-sms.js';
import { currentFactorProof, withStepUp } from './step-up.js';
import { usernameSection } from './username.js';

/** @typedef {import('../api.js').Account} Account */
/** @typedef {(account: Account) => HTMLElement | null} SecuritySection */
/** @typedef {{ panel: HTMLElement, actions: HTMLElement, close: () => void }} ChangePanel */

/**
 * The parts of the security settings, in order.
 * @type {SecuritySection[]}
 */
const SECURITY_SECTIONS = [passwordSection, emailSection, usernameSection, appSection, phoneSection, recoveryCodesSection, passkeysSection, appPasswordsSection, activitySection, exportSection, deleteAccountSection];

export async function settingsView() {
  const account = await api.account();
  return h(
    'section',
    { class: 'card' },
    heading(1, 'settings.title'),
    h(
      'section',
      { class: 'settings-group', attrs: { 'aria-labelledby': 'settings-security' } },
      heading(2, 'settings.security', { id: 'settings-security' }),
      ...SECURITY_SECTIONS.map((section) => section(account)),
    ),
  );
}

/**
 * @param {string} titleKey
 * @param {...import('../dom.js').Child} children
 */
export function subsection(titleKey, ...children) {
  return h('section', { class: 'setting' }, heading(3, titleKey), ...children);
}

/**
 * The buttons of a setting and the panel that takes their place while a
 * change is under way; `close` empties the panel and brings the buttons back.
 * @returns {ChangePanel}
 */
export function changePanel() {
  const panel = h('div', { class: 'setting__panel' });
  const actions = h('div', { class: 'button-row' });
  const close = () => {
    panel.replaceChildren();
    actions.hidden = false;
    const first = actions.querySelector('button');
    if (first) first.focus();
  };
  return { panel, actions, close };
}

/**
 * Authenticator app: set up (the setup page while there is no factor yet),
 * add beside SMS or replace it (a new phone): both after a proof of the
 * current factor, then the setup steps in place.
 * @type {SecuritySection}
 */
function appSection(account) {
  const active = account.mfa.totp;
  const hasFactor = active || account.mfa.sms !== null;
  const { panel, actions, close } = changePanel();

  const enrol = () => {
    actions.hidden = true;
    const title = h('h4', { class: 'setting__panel-title', text: active ? 'settings.app.replaceTitle' : 'settings.app.addTitle' });
    const cancel = () => h('div', { class: 'form__actions' }, button('setup.sms.cancel', close, { variant: 'link' }));
    const proof = currentFactorProof(account)();
    const { form: el } = form({
      fields: [proof.field],
      before: proof.before,
      submit: 'settings.app.continue',
      errors: { invalid_code: 'setup.sms.invalidProof' },
      fieldErrors: { invalid_code: proof.field },
      focusOnError: proof.field,
      after: [cancel()],
      onSubmit: async () => {
        const setup = await api.totpSetup(await proof.presented());
        const steps = appSetupSteps(setup, (res) => {
          // Confirming ends every session and starts this one; new recovery codes come with it.
          startSession(res.session_token);
          giveCodes({ codes: res.recovery_codes, done: active ? 'settings.app.replaced' : 'settings.app.added', next: '/settings' });
          navigate('/recovery-codes', { replace: true });
        });
        panel.replaceChildren(title, steps, cancel());
        const first = steps.querySelector('input');
        if (first) first.focus();
      },
    });
    panel.replaceChildren(title, el);
    proof.field.input.focus();
  };

  if (!hasFactor) {
    actions.append(button('settings.app.setup', () => navigate('/setup?method=totp'), { variant: 'primary' }));
  } else {
    actions.append(button(active ? 'settings.app.replace' : 'settings.app.setup', enrol, { variant: active ? 'secondary' : 'primary' }));
  }

  return subsection(
    'settings.app.title',
    h('p', {},
      h('span', { class: active ? 'badge badge--on' : 'badge badge--off', text: active ? 'settings.app.active' : 'settings.app.inactive' }),
      ' ',
      h('span', { text: active ? 'settings.app.activeText' : 'settings.app.inactiveText' })),
    actions,
    panel,
  );
}

/** @type {SecuritySection} */
function recoveryCodesSection(account) {
  if (!account.mfa.totp && account.mfa.sms === null) return null;
  const errors = liveRegion('alert', 'form__alert');
  const regenerate = async () => {
    announce(errors, null);
    const ok = await confirmDialog({
      title: 'settings.recovery.confirmTitle',
      text: 'settings.recovery.confirmText',
      confirm: 'settings.recovery.confirm',
      cancel: 'settings.recovery.cancel',
    });
    if (!ok) return;
    try {
      const res = await withStepUp(
        account,
        { text: 'stepUp.recoveryCodes', submit: 'settings.recovery.confirm' },
        api.regenerateRecoveryCodes,
      );
      if (!res) return;
      giveCodes({ codes: res.done.recovery_codes, done: 'recovery.regenerated', next: '/settings' });
      navigate('/recovery-codes');
    } catch (err) {
      if (err instanceof api.ApiError && err.handled) return;
      announce(errors, errorMessage(err));
    }
  };
  return subsection(
    'settings.recovery.title',
    para({ key: 'settings.recovery.remaining', params: { count: account.mfa.recovery_codes_remaining } }),
    para('settings.recovery.explain'),
    errors,
    button('settings.recovery.regenerate', () => void regenerate()),
  );
}

/**
 * Phone (SMS): the masked number, add, change (proof of the current factor,
 * then a code to the new number), remove while the app remains.
 * @type {SecuritySection}
 */
function phoneSection(account) {
  const masked = account.mfa.sms;
  const hasFactor = account.mfa.totp || masked !== null;
  const change = changePanel();
  const { panel, actions } = change;
  const errors = liveRegion('alert', 'form__alert');

  if (masked === null) {
    // Without any factor yet, the setup page (no proof needed) is the way.
    const add = () => (hasFactor ? void enrolPhone(account, change, errors) : navigate('/setup?method=sms'));
    actions.append(button('settings.sms.add', add, { variant: hasFactor ? 'secondary' : 'primary' }));
  } else {
    actions.append(button('settings.sms.change', () => void enrolPhone(account, change, errors)));
    if (account.mfa.totp) actions.append(button('settings.sms.remove', () => removePhone(account, change, errors)));
  }

  return subsection(
    'settings.sms.title',
    h('p', {},
      h('span', { class: masked !== null ? 'badge badge--on' : 'badge badge--off', text: masked !== null ? 'settings.app.active' : 'settings.app.inactive' }),
      ' ',
      h('span', { text: masked !== null ? { key: 'settings.sms.activeText', params: { phone: masked } } : 'settings.sms.inactiveText' })),
    masked !== null && !account.mfa.totp ? para('settings.sms.onlyFactor', 'setting__note') : null,
    errors,
    actions,
    panel,
  );
}

/**
 * Add or change the number: the same steps as at setup, with a proof first.
 * @param {Account} account
 * @param {ChangePanel} change
 * @param {HTMLElement} errors
 */
async function enrolPhone(account, { panel, actions, close }, errors) {
  const masked = account.mfa.sms;
  announce(errors, null);
  let countries;
  try {
    ({ countries } = await api.smsCountries());
  } catch (err) {
    if (err instanceof api.ApiError && err.handled) return;
    announce(errors, errorMessage(err));
    return;
  }
  actions.hidden = true;
  panel.replaceChildren(
    h('h4', { class: 'setting__panel-title', text: masked === null ? 'settings.sms.addTitle' : 'settings.sms.changeTitle' }),
    smsEnrolment({
      countries,
      verification: currentFactorProof(account),
      onCancel: close,
      onConfirmed: (res) => {
        // Confirming ends every session and starts this one; new recovery codes come with it.
        startSession(res.session_token);
        giveCodes({
          codes: res.recovery_codes,
          done: masked === null ? 'settings.sms.added' : 'settings.sms.changed',
          next: '/settings',
        });
        navigate('/recovery-codes', { replace: true });
      },
    }),
  );
  const first = panel.querySelector('input, button');
  if (first instanceof HTMLElement) first.focus();
}

/**
 * Remove the number, proven by the app or a recovery code (not by the number
 * that goes).
 * @param {Account} account
 * @param {ChangePanel} change
 * @param {HTMLElement} errors
 */
function removePhone(account, { panel, actions, close }, errors) {
  announce(errors, null);
  actions.hidden = true;
  const proof = currentFactorProof(account, { allowSms: false })();
  const { form: el } = form({
    fields: [proof.field],
    before: [para('settings.sms.removeText')],
    submit: 'settings.sms.removeConfirm',
    errors: { invalid_code: 'setup.sms.invalidProof' },
    fieldErrors: { invalid_code: proof.field },
    focusOnError: proof.field,
    after: [h('div', { class: 'form__actions' }, button('setup.sms.cancel', close, { variant: 'link' }))],
    onSubmit: async () => {
      await api.smsRemove(await proof.presented());
      flash('settings.sms.removed', 'success');
      navigate('/settings', { replace: true });
    },
  });
  panel.replaceChildren(h('h4', { class: 'setting__panel-title', text: 'settings.sms.removeTitle' }), el);
  proof.field.input.focus();
}
