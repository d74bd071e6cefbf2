// Settings > Security > Passkeys: sign in with the phone's or computer's
// screen lock or a security key instead of a code. Added after a proof of
// the current factor, named by the person, listed with when each was made
// and last used, removed after a proof again.

import * as api from '../api.js';
import { announce, h, liveRegion, para } from '../dom.js';
import { errorMessage } from '../errors.js';
import { field, form } from '../forms.js';
import { cancelled, createPasskey, passkeysSupported } from '../passkey.js';
import { credentialRow } from './credential-row.js';
import { withStepUp } from './step-up.js';

/** @typedef {import('../api.js').Account} Account */
/** @typedef {import('../api.js').PasskeyItem} PasskeyItem */

/** The server's limits (events/src/account/passkey.rs, app_password.rs). */
export const MAX_NAME_CHARS = 64;

const LIST_TITLE_ID = 'passkeys-list-title';
const NEW_TITLE_ID = 'passkeys-new-title';

/**
 * @typedef {{ account: Account, items: PasskeyItem[], status: HTMLElement, errors: HTMLElement,
 *   listTitle: HTMLElement, listSlot: HTMLElement }} Section
 */

/**
 * The section; none before a second factor is set up (a passkey comes
 * after the app or SMS, whose recovery codes cover it too).
 * @param {Account} account
 * @returns {HTMLElement | null}
 */
export function passkeysSection(account) {
  if (!account.mfa.totp && account.mfa.sms === null) return null;
  const titleId = 'passkeys-title';
  /** @type {Section} */
  const section = {
    account,
    items: [],
    status: liveRegion('status', 'passkeys__status'),
    errors: liveRegion('alert', 'form__alert'),
    listTitle: h('h4', { text: 'settings.passkeys.listTitle', attrs: { id: LIST_TITLE_ID, tabindex: '-1' } }),
    listSlot: h('div', {}, para('settings.passkeys.loading', 'muted')),
  };
  const root = h(
    'section',
    { class: 'setting', attrs: { 'aria-labelledby': titleId } },
    h('h3', { text: 'settings.passkeys.title', attrs: { id: titleId } }),
    para('settings.passkeys.explain'),
    section.listTitle,
    section.status,
    section.errors,
    section.listSlot,
    h('h4', { text: 'settings.passkeys.newTitle', attrs: { id: NEW_TITLE_ID } }),
    passkeysSupported() ? addForm(section) : para('settings.passkeys.unsupported', 'muted'),
  );
  void load(section);
  return root;
}

/** @param {Section} section */
async function load(section) {
  try {
    section.items = (await api.passkeys()).items;
  } catch (err) {
    if (err instanceof api.ApiError && err.handled) return;
    section.listSlot.replaceChildren(h('div', { class: 'notice notice--error' }, para(errorMessage(err))));
    return;
  }
  section.listSlot.replaceChildren(
    section.items.length === 0
      ? para('settings.passkeys.none', 'muted')
      : h(
          'ul',
          { class: 'app-passwords', attrs: { 'aria-labelledby': LIST_TITLE_ID } },
          ...section.items.map((item) => credentialRow(item, ROW_TEXTS, () => void remove(section, item))),
        ),
  );
}

/** How its rows name what they show.
 * @type {import('./credential-row.js').RowTexts}
 */
const ROW_TEXTS = {
  created: 'settings.passkeys.created',
  lastUsed: 'settings.passkeys.lastUsed',
  neverUsed: 'settings.passkeys.neverUsed',
  remove: 'settings.passkeys.remove',
};

/**
 * Names the passkey, proves the current factor, lets the browser make it.
 * @param {Section} section
 */
function addForm(section) {
  const name = field({
    label: 'settings.passkeys.name',
    name: 'passkey-name',
    hint: { key: 'settings.passkeys.nameHint', params: { max: MAX_NAME_CHARS } },
    autocomplete: 'off',
    validate: (v) =>
      [...v].length > MAX_NAME_CHARS ? { key: 'settings.passkeys.nameTooLong', params: { max: MAX_NAME_CHARS } } : null,
  });
  const { form: el } = form({
    fields: [name],
    submit: 'settings.passkeys.add',
    label: NEW_TITLE_ID,
    focusOnError: name,
    onSubmit: async () => {
      announce(section.status, null);
      const started = await withStepUp(
        section.account,
        { text: 'stepUp.passkey', submit: 'settings.passkeys.add' },
        (verification) => api.passkeyOptions(verification),
      );
      if (!started) return;
      let credential;
      try {
        credential = await createPasskey(started.done.options);
      } catch (err) {
        if (!cancelled(err)) throw err;
        announce(section.status, { key: 'settings.passkeys.cancelled' });
        return;
      }
      const added = await api.addPasskey(name.value(), credential);
      name.input.value = '';
      await load(section);
      announce(section.status, { key: 'settings.passkeys.added', params: { name: added.name } });
    },
  });
  return el;
}

/**
 * @param {Section} section
 * @param {PasskeyItem} item
 */
async function remove(section, item) {
  announce(section.errors, null);
  announce(section.status, null);
  try {
    const done = await withStepUp(
      section.account,
      { text: 'stepUp.passkeyRemove', submit: 'settings.passkeys.remove' },
      (verification) => api.removePasskey(item.id, verification),
    );
    if (!done) return;
    announce(section.status, { key: 'settings.passkeys.removed', params: { name: item.name } });
  } catch (err) {
    if (err instanceof api.ApiError && err.handled) return;
    if (!(err instanceof api.ApiError && err.code === 'not_found')) {
      announce(section.errors, errorMessage(err));
      return;
    }
  }
  await load(section);
  section.listTitle.focus();
}
