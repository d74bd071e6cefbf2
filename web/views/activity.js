// Settings > Security > Recent activity: what happened to the account, newest
// first, each with when, the approximate client and the network it came from
// (never the full address: the server sends only the /24 or /48). Beside it
// "Sign out everywhere else", which ends every other session and keeps this
// one under a new token.

import * as api from '../api.js';
import { formatDateTime, timeEl } from '../dates.js';
import { confirmDialog } from '../dialog.js';
import { announce, button, h, liveRegion, para } from '../dom.js';
import { errorMessage } from '../errors.js';
import { startSession } from '../session.js';

/** @typedef {import('../api.js').ActivityItem} ActivityItem */
/** @typedef {import('../i18n.js').Msg} Msg */

const TITLE_ID = 'activity-title';
const SIGN_OUT_TITLE_ID = 'sign-out-others-title';

/**
 * The section after the app passwords.
 * @returns {HTMLElement}
 */
export function activitySection() {
  const status = liveRegion('status', 'activity__status');
  const errors = liveRegion('alert', 'form__alert');
  const kept = h('p', { class: 'muted' });
  const listSlot = h('div', { class: 'activity__list' }, para('settings.activity.loading', 'muted'));
  const reload = () => load(listSlot, kept);
  const root = h(
    'section',
    { class: 'setting', attrs: { 'aria-labelledby': TITLE_ID } },
    h('h3', { text: 'settings.activity.title', attrs: { id: TITLE_ID } }),
    para('settings.activity.explain'),
    kept,
    h('h4', { text: 'settings.activity.signOutOthersTitle', attrs: { id: SIGN_OUT_TITLE_ID, tabindex: '-1' } }),
    para('settings.activity.signOutOthersText'),
    status,
    errors,
    button('settings.activity.signOutOthers', () => void signOutOthers(status, errors, reload)),
    listSlot,
  );
  void reload();
  return root;
}

/**
 * Reads the activity and shows it; a failure is shown in its place, with a
 * button to try again.
 * @param {HTMLElement} listSlot
 * @param {HTMLElement} kept the note on how long sign-in activity is kept
 */
async function load(listSlot, kept) {
  try {
    const res = await api.activity();
    const days = res.sign_in_activity_days;
    announce(kept, typeof days === 'number' ? { key: 'settings.activity.keptDays', params: { count: days } } : null);
    listSlot.replaceChildren(
      res.items.length === 0
        ? para('settings.activity.none', 'muted')
        : h('ul', { class: 'activity', attrs: { 'aria-labelledby': TITLE_ID } }, ...res.items.map(entryRow)),
    );
    if (res.more) listSlot.append(para('settings.activity.more', 'muted'));
  } catch (err) {
    if (err instanceof api.ApiError && err.handled) return;
    listSlot.replaceChildren(
      h('div', { class: 'notice notice--error' }, para(errorMessage(err))),
      button('settings.activity.retry', () => void load(listSlot, kept)),
    );
  }
}

/**
 * Asks, then ends every other session; this page goes on with the new token.
 * @param {HTMLElement} status
 * @param {HTMLElement} errors
 * @param {() => Promise<void>} reload
 */
async function signOutOthers(status, errors, reload) {
  announce(status, null);
  announce(errors, null);
  const ok = await confirmDialog({
    title: 'settings.activity.confirmTitle',
    text: 'settings.activity.confirmText',
    confirm: 'settings.activity.confirm',
    cancel: 'settings.activity.cancel',
  });
  if (!ok) return;
  try {
    const res = await api.endOtherSessions();
    // The server ended every session and started this one afresh.
    startSession(res.session_token);
    announce(status, { key: 'settings.activity.signedOutOthers' });
    await reload();
  } catch (err) {
    if (err instanceof api.ApiError && err.handled) return;
    announce(errors, errorMessage(err));
  }
}

/**
 * One entry: what happened, when, and from where.
 * @param {ActivityItem} item
 */
function entryRow(item) {
  const where = whereFrom(item);
  return h(
    'li',
    { class: 'activity__entry' },
    h('p', { class: 'activity__what', text: describe(item) }),
    h('p', { class: 'activity__meta' }, timeEl(item.at), where ? ' · ' : null, where ? h('span', { text: where }) : null),
  );
}

/**
 * The client and network, as far as the server knows them.
 * @param {ActivityItem} item
 * @returns {Msg | null}
 */
function whereFrom(item) {
  const browser = item.client && item.client.browser;
  const os = item.client && item.client.os;
  const network = item.network || null;
  /** @type {string | null} */
  let client = null;
  if (browser && os) client = 'settings.activity.client.browserOnOs';
  else if (browser) client = 'settings.activity.client.browser';
  else if (os) client = 'settings.activity.client.appOnOs';
  else if (network) client = 'settings.activity.client.unknown';
  if (!client) return null;
  const key = network ? `${client}.network` : client;
  return { key, params: { browser: browser || '', os: os || '', network: network || '' } };
}

/** The kinds whose text takes no detail. */
const PLAIN = new Set([
  'account_created', 'account_imported', 'account_disabled', 'account_enabled', 'signed_out', 'signed_out_everywhere_else', 'password_failed', 'app_activated',
  'recovery_codes_issued', 'password_reset_requested', 'password_reset', 'reset_requested', 'reset_approved',
  'reset_rejected', 'password_changed', 'email_change_requested', 'email_changed',
]);

/**
 * What happened, in the page's language.
 * @param {ActivityItem} item
 * @returns {Msg}
 */
function describe(item) {
  const kind = `settings.activity.kind.${item.kind}`;
  if (PLAIN.has(item.kind)) return { key: kind };
  switch (item.kind) {
    case 'signed_in':
      return { key: `${kind}.${item.method || 'none'}` };
    case 'second_factor_failed':
      return { key: `${kind}.${item.method}` };
    case 'locked_out':
      return { key: `${kind}.${item.locked}`, params: { until: formatDateTime(item.until || '', { timeStyle: 'short' }) } };
    case 'sms_activated':
      return item.replaced_masked_phone
        ? { key: `${kind}.replaced`, params: { phone: item.masked_phone || '', old: item.replaced_masked_phone } }
        : { key: kind, params: { phone: item.masked_phone || '' } };
    case 'sms_removed':
      return { key: kind, params: { phone: item.masked_phone || '' } };
    case 'app_password_created':
    case 'app_password_used':
    case 'passkey_added':
    case 'passkey_removed':
      return { key: kind, params: { name: item.name || '' } };
    case 'passkey_counter_regressed':
      return item.name ? { key: kind, params: { name: item.name } } : { key: `${kind}.unnamed` };
    case 'app_password_revoked':
      return item.name ? { key: kind, params: { name: item.name } } : { key: `${kind}.unnamed` };
    case 'app_passwords_revoked':
      return { key: `${kind}.${item.reason}` };
    case 'username_chosen':
      return { key: kind, params: { username: item.username || '' } };
    default:
      return { key: 'settings.activity.kind.other' };
  }
}
