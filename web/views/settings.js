// Settings > Security: the second factors and recovery codes.

import * as api from '../api.js';
import { announce, button, h, heading, liveRegion, para } from '../dom.js';
import { confirmDialog } from '../dialog.js';
import { errorMessage } from '../errors.js';
import { giveCodes } from '../handover.js';
import { navigate } from '../router.js';
import { appPasswordsSection } from './app-passwords.js';

/** @typedef {import('../api.js').Account} Account */
/** @typedef {(account: Account) => HTMLElement | null} SecuritySection */

/**
 * The parts of the security settings, in order. Places for what later issues add:
 * - Phone (SMS): a section showing the masked number (`account.mfa.sms`) with
 *   add / change / remove, after the authenticator app;
 * - App passwords (CalDAV / CardDAV): a section listing `GET /api/app-passwords`
 *   with create / revoke, at the end.
 * @type {SecuritySection[]}
 */
const SECURITY_SECTIONS = [appSection, recoveryCodesSection, appPasswordsSection];

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
function subsection(titleKey, ...children) {
  return h('section', { class: 'setting' }, heading(3, titleKey), ...children);
}

/** @type {SecuritySection} */
function appSection(account) {
  const active = account.mfa.totp;
  return subsection(
    'settings.app.title',
    h('p', {},
      h('span', { class: active ? 'badge badge--on' : 'badge badge--off', text: active ? 'settings.app.active' : 'settings.app.inactive' }),
      ' ',
      h('span', { text: active ? 'settings.app.activeText' : 'settings.app.inactiveText' })),
    active ? null : button('settings.app.setup', () => navigate('/setup'), { variant: 'primary' }),
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
      const res = await api.regenerateRecoveryCodes();
      giveCodes({ codes: res.recovery_codes, reason: 'regenerated' });
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
