// The signed-in home page.

import * as api from '../api.js';
import { button, h, heading, notice, para } from '../dom.js';
import { takeRecoveryRemaining } from '../handover.js';
import { navigate } from '../router.js';

/** Fewer recovery codes than this left: suggest making new ones. */
export const FEW_RECOVERY_CODES = 4;

export async function homeView() {
  const account = await api.account();
  const remaining = takeRecoveryRemaining();
  const hasSecondFactor = account.mfa.totp || account.mfa.sms !== null;

  return h(
    'section',
    { class: 'card' },
    heading(1, { key: 'home.title', params: { name: account.name } }),
    remaining !== null ? recoveryUsedNotice(remaining) : null,
    // No second factor yet (first sign-in after registering, mfa_setup_due):
    // the next sign-in will demand one.
    hasSecondFactor
      ? null
      : notice(
          'warning',
          para('home.setupDue'),
          button('home.setupNow', () => navigate('/setup'), { variant: 'primary' }),
        ),
    para({ key: 'home.signedInAs', params: { email: account.email } }),
    h(
      'nav',
      { class: 'home-links', i18nAttrs: { 'aria-label': 'home.linksLabel' } },
      h('a', { class: 'home-link', attrs: { href: '/settings' } },
        h('span', { class: 'home-link__title', text: 'home.security' }),
        h('span', { class: 'home-link__text', text: 'home.securityText' })),
    ),
  );
}

/** @param {number} remaining */
function recoveryUsedNotice(remaining) {
  const few = remaining < FEW_RECOVERY_CODES;
  return notice(
    few ? 'warning' : 'success',
    h('p', { text: { key: 'home.recoveryUsed', params: { count: remaining } } }),
    few
      ? h('p', {},
          h('span', { text: remaining === 0 ? 'home.recoveryNone' : 'home.recoveryFew' }),
          ' ',
          h('a', { text: 'home.toSettings', attrs: { href: '/settings' } }))
      : null,
  );
}
