// Settings > Security > App passwords: for calendar and contacts apps
// (CalDAV / CardDAV) that cannot ask for a second factor. One per app, named
// by the person; the password is shown once, with what to type into the app;
// the list shows when each was created and last used; each can be revoked.

import * as api from '../api.js';
import { copyText } from '../clipboard.js';
import { confirmDialog } from '../dialog.js';
import { announce, button, h, heading, liveRegion, para, uid } from '../dom.js';
import { errorMessage } from '../errors.js';
import { field, form } from '../forms.js';
import { credentialRow } from './credential-row.js';
import { withStepUp } from './step-up.js';

/** @typedef {import('../api.js').Account} Account */
/** @typedef {import('../api.js').AppPasswordItem} AppPasswordItem */
/** @typedef {import('../api.js').NewAppPassword} NewAppPassword */
/** @typedef {import('../i18n.js').Msg} Msg */
/** @typedef {import('../forms.js').Field} Field */

/** The server's limits (events/src/account/app_password.rs). */
export const MAX_APP_PASSWORDS = 25;
export const MAX_NAME_CHARS = 64;

/** `/settings?section=app-passwords` opens Settings at this section. */
export const SECTION_LINK = '/settings?section=app-passwords';
const SECTION_PARAM = 'app-passwords';

/**
 * What the parts of the section share: the list as last read from the server
 * and the elements that show it.
 * @typedef {{
 *   account: Account,
 *   items: AppPasswordItem[],
 *   davUrl: string | null,
 *   username: string,
 *   loaded: boolean,
 *   dialogOpen: boolean,
 *   status: HTMLElement,
 *   errors: HTMLElement,
 *   listTitle: HTMLElement,
 *   listSlot: HTMLElement,
 *   limitNote: HTMLElement,
 * }} Section
 */

const LIST_TITLE_ID = 'app-passwords-list-title';
const NEW_TITLE_ID = 'app-passwords-new-title';

/**
 * The section at the end of Settings > Security.
 * @param {Account} account
 * @returns {HTMLElement}
 */
export function appPasswordsSection(account) {
  const titleId = 'app-passwords-title';
  /** @type {Section} */
  const section = {
    account,
    items: [],
    davUrl: null,
    username: account.email,
    loaded: false,
    dialogOpen: false,
    status: liveRegion('status', 'app-passwords__status'),
    errors: liveRegion('alert', 'form__alert'),
    listTitle: h('h4', { text: 'settings.appPasswords.listTitle', attrs: { id: LIST_TITLE_ID, tabindex: '-1' } }),
    listSlot: h('div', { class: 'app-passwords__list' }, para('settings.appPasswords.loading', 'muted')),
    limitNote: h('p', { class: 'muted', attrs: { hidden: true } }),
  };

  const title = h('h3', { text: 'settings.appPasswords.title', attrs: { id: titleId, tabindex: '-1' } });
  const root = h(
    'section',
    { class: 'setting', attrs: { 'aria-labelledby': titleId } },
    title,
    para('settings.appPasswords.explain'),
    para('settings.appPasswords.notForSignIn'),
    h('p', { class: 'muted', text: 'settings.appPasswords.revokedWhen' }),
    section.listTitle,
    section.status,
    section.errors,
    section.listSlot,
  );
  root.append(h('h4', { text: 'settings.appPasswords.newTitle', attrs: { id: NEW_TITLE_ID } }), createForm(section));
  refreshWhenVisible(section, root);

  void load(section).then((ok) => {
    // Opened from the hint after setting up a second factor: go to this section.
    if (ok && new URLSearchParams(location.search).get('section') === SECTION_PARAM) {
      requestAnimationFrame(() => {
        if (title.isConnected) title.focus();
      });
    }
  });
  return root;
}

/**
 * Reads the list, and shows it when it changed; a failure is shown in its
 * place, with a button to try again.
 * @param {Section} section
 * @returns {Promise<boolean>} whether the list could be read
 */
async function load(section) {
  try {
    const res = await api.appPasswords();
    const changed = !section.loaded || JSON.stringify(res.items) !== JSON.stringify(section.items);
    section.items = res.items;
    section.davUrl = res.dav_url;
    section.username = res.username || section.account.email;
    section.loaded = true;
    if (changed) showList(section);
    return true;
  } catch (err) {
    if (err instanceof api.ApiError && err.handled) return false;
    section.listSlot.replaceChildren(
      h('div', { class: 'notice notice--error' }, para(errorMessage(err))),
      button('settings.appPasswords.retry', () => void load(section)),
    );
    return false;
  }
}

/** @param {Section} section */
function showList(section) {
  section.listSlot.replaceChildren(
    section.items.length === 0
      ? para('settings.appPasswords.none', 'muted')
      : h(
          'ul',
          { class: 'app-passwords', attrs: { 'aria-labelledby': LIST_TITLE_ID } },
          ...section.items.map((item) => credentialRow(item, ROW_TEXTS, () => void revoke(section, item))),
        ),
  );
  const full = section.items.length >= MAX_APP_PASSWORDS;
  section.limitNote.hidden = !full;
  announce(section.limitNote, full ? { key: 'settings.appPasswords.tooMany', params: { max: MAX_APP_PASSWORDS } } : null);
}

/**
 * Revokes one after asking; already revoked (another tab, a password change)
 * is said as such, and the list is read again either way.
 * @param {Section} section
 * @param {AppPasswordItem} item
 */
async function revoke(section, item) {
  announce(section.errors, null);
  announce(section.status, null);
  const ok = await confirmDialog({
    title: { key: 'settings.appPasswords.revokeTitle', params: { name: item.name } },
    text: 'settings.appPasswords.revokeText',
    confirm: 'settings.appPasswords.revokeConfirm',
    cancel: 'settings.appPasswords.cancel',
  });
  if (!ok) return;
  try {
    await api.revokeAppPassword(item.id);
    announce(section.status, { key: 'settings.appPasswords.revoked', params: { name: item.name } });
  } catch (err) {
    if (err instanceof api.ApiError && err.handled) return;
    if (!(err instanceof api.ApiError && err.code === 'not_found')) {
      announce(section.errors, errorMessage(err));
      return;
    }
    // Revoked meanwhile (another tab, or a password change): the list was stale.
    announce(section.status, { key: 'settings.appPasswords.alreadyRevoked', params: { name: item.name } });
  }
  await load(section);
  // The row and its button are gone: continue at the list.
  section.listTitle.focus();
}

/**
 * The form that names and creates one (after the step-up), then shows it once.
 * @param {Section} section
 * @returns {HTMLFormElement}
 */
function createForm(section) {
  const name = field({
    label: 'settings.appPasswords.name',
    name: 'app-password-name',
    hint: { key: 'settings.appPasswords.nameHint', params: { max: MAX_NAME_CHARS } },
    autocomplete: 'off',
    attrs: { autocapitalize: 'sentences', spellcheck: 'true' },
    validate: (v) =>
      [...v].length > MAX_NAME_CHARS ? { key: 'settings.appPasswords.nameTooLong', params: { max: MAX_NAME_CHARS } } : null,
  });
  const tooMany = () => announce(alert, { key: 'settings.appPasswords.tooMany', params: { max: MAX_APP_PASSWORDS } });

  const { form: el, alert } = form({
    fields: [name],
    submit: 'settings.appPasswords.create',
    label: NEW_TITLE_ID,
    focusOnError: name,
    before: [section.limitNote],
    onSubmit: async () => {
      if (section.loaded && section.items.length >= MAX_APP_PASSWORDS) {
        tooMany();
        return;
      }
      const created = await create(section, name, tooMany);
      if (!created) return;
      name.input.value = '';
      name.setError(null);
      section.dialogOpen = true;
      // Shown now, as the list refreshes behind the dialog.
      const closed = createdDialog(created, created.dav_url ?? section.davUrl, created.username || section.username);
      await load(section);
      await closed;
      section.dialogOpen = false;
      announce(section.status, { key: 'settings.appPasswords.createdStatus', params: { name: created.name } });
    },
  });
  return el;
}

/**
 * Creates one with the name typed, after the step-up. A refused name or the
 * limit reached meanwhile is shown here; any other failure is thrown for the form.
 * @param {Section} section
 * @param {Field} name
 * @param {() => void} tooMany shows that the limit is reached
 * @returns {Promise<NewAppPassword | null>} null when the step-up was cancelled
 */
async function create(section, name, tooMany) {
  try {
    const done = await withStepUp(
      section.account,
      { text: 'stepUp.appPassword', submit: 'settings.appPasswords.create' },
      (verification) => api.createAppPassword(name.value(), verification),
    );
    return done ? done.done : null;
  } catch (err) {
    if (err instanceof api.ApiError && err.code === 'invalid_request') {
      // Either the name (checked here too, but the server decides) or the limit.
      await load(section);
      if (section.items.length >= MAX_APP_PASSWORDS) {
        tooMany();
      } else {
        name.setError({ key: 'settings.appPasswords.nameInvalid', params: { max: MAX_NAME_CHARS } });
        name.input.focus();
      }
      err.handled = true;
    }
    throw err;
  }
}

/**
 * Back from setting up the app in another window: show "last used" fresh.
 * @param {Section} section
 * @param {HTMLElement} root stops listening once it left the page
 */
function refreshWhenVisible(section, root) {
  const onVisible = () => {
    if (!root.isConnected) {
      document.removeEventListener('visibilitychange', onVisible);
      return;
    }
    if (document.visibilityState === 'visible' && section.loaded && !section.dialogOpen) void load(section);
  };
  document.addEventListener('visibilitychange', onVisible);
}

/** How its rows name what they show.
 * @type {import('./credential-row.js').RowTexts}
 */
const ROW_TEXTS = {
  created: 'settings.appPasswords.created',
  lastUsed: 'settings.appPasswords.lastUsed',
  neverUsed: 'settings.appPasswords.neverUsed',
  remove: 'settings.appPasswords.revoke',
};

/**
 * A modal showing the new password once, and what to type into the app.
 * @param {NewAppPassword} created
 * @param {string | null} server the DAV address, null when the portal does not know it
 * @param {string} username
 * @returns {Promise<void>} when closed
 */
function createdDialog(created, server, username) {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  return new Promise((resolve) => {
    const titleId = uid('app-password-created');
    const introId = `${titleId}-intro`;
    const copyStatus = liveRegion('status', 'copy-status');
    const dialog = h(
      'dialog',
      { class: 'dialog dialog--wide', attrs: { 'aria-labelledby': titleId, 'aria-describedby': introId } },
      heading(2, 'settings.appPasswords.createdTitle', { id: titleId }),
      h('div', { class: 'notice notice--warning' }, para('settings.appPasswords.onlyOnce')),
      h('p', { text: { key: 'settings.appPasswords.createdIntro', params: { name: created.name } }, attrs: { id: introId } }),
      clientSettings(created, server, username, copyStatus),
      copyStatus,
      h('div', { class: 'button-row' }, button('settings.appPasswords.done', () => dialog.close(), { variant: 'primary' })),
    );
    dialog.addEventListener('close', () => {
      // Gone from the page with the dialog: it is shown this once.
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * Server, user name and password, each with a copy button.
 * @param {NewAppPassword} created
 * @param {string | null} server
 * @param {string} username
 * @param {HTMLElement} copyStatus where "copied" is announced
 * @returns {HTMLElement}
 */
function clientSettings(created, server, username, copyStatus) {
  const [serverTerm, serverValue] = server
    ? copyEntry(copyStatus, 'settings.appPasswords.server', server, server, 'settings.appPasswords.copyServer', 'settings.appPasswords.copiedServer')
    : [h('dt', { text: 'settings.appPasswords.server' }), h('dd', { text: 'settings.appPasswords.serverUnknown' })];
  const [userTerm, userValue] = copyEntry(
    copyStatus,
    'settings.appPasswords.username',
    username,
    username,
    'settings.appPasswords.copyUsername',
    'settings.appPasswords.copiedUsername',
  );
  const [passwordTerm, passwordValue] = copyEntry(
    copyStatus,
    'settings.appPasswords.password',
    created.password_grouped,
    created.password,
    'settings.appPasswords.copyPassword',
    'settings.appPasswords.copiedPassword',
    'app-password__secret',
  );
  passwordValue.append(para('settings.appPasswords.passwordSpaces', 'field__hint'));
  return h('dl', { class: 'client-settings' }, serverTerm, serverValue, userTerm, userValue, passwordTerm, passwordValue);
}

/**
 * A term and its value with a copy button.
 * @param {HTMLElement} copyStatus
 * @param {string} label key of the term
 * @param {string} shown
 * @param {string} copyValue
 * @param {string} copyLabel key: accessible name of the copy button
 * @param {string} copiedKey
 * @param {string} [cls]
 */
function copyEntry(copyStatus, label, shown, copyValue, copyLabel, copiedKey, cls = '') {
  const value = h('code', { class: `key ${cls}`.trim() }, shown);
  const copy = h('button', {
    class: 'button button--secondary',
    text: 'settings.appPasswords.copy',
    i18nAttrs: { 'aria-label': copyLabel },
    attrs: { type: 'button' },
    on: {
      click: async () => {
        const copied = await copyText(copyValue, value);
        announce(copyStatus, { key: copied ? copiedKey : 'settings.appPasswords.copyManual' });
      },
    },
  });
  return [h('dt', { text: label }), h('dd', {}, h('div', { class: 'key-row' }, value, copy))];
}

/**
 * For the recovery-codes page after a second factor is first activated:
 * calendar and contacts apps stop syncing once signing in needs it.
 * @returns {HTMLElement}
 */
export function appPasswordsHint() {
  const titleId = uid('app-passwords-hint');
  return h(
    'section',
    { class: 'notice notice--info hint', attrs: { 'aria-labelledby': titleId } },
    heading(2, 'settings.appPasswords.hintTitle', { id: titleId }),
    para('settings.appPasswords.hintText'),
    h('p', {}, h('a', { text: 'settings.appPasswords.hintLink', attrs: { href: SECTION_LINK } })),
  );
}
