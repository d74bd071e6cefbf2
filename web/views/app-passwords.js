// Settings > Security > App passwords: for calendar and contacts apps
// (CalDAV / CardDAV) that cannot ask for a second factor. One per app, named
// by the person; the password is shown once, with what to type into the app;
// the list shows when each was created and last used; each can be revoked.

import * as api from '../api.js';
import { copyText } from '../clipboard.js';
import { timeEl } from '../dates.js';
import { confirmDialog } from '../dialog.js';
import { announce, button, h, heading, liveRegion, para, uid } from '../dom.js';
import { errorMessage } from '../errors.js';
import { field, form } from '../forms.js';
import { withStepUp } from './step-up.js';

/** @typedef {import('../api.js').Account} Account */
/** @typedef {import('../api.js').AppPasswordItem} AppPasswordItem */
/** @typedef {import('../api.js').NewAppPassword} NewAppPassword */
/** @typedef {import('../i18n.js').Msg} Msg */

/** The server's limits (events/src/account/app_password.rs). */
export const MAX_APP_PASSWORDS = 25;
export const MAX_NAME_CHARS = 64;

/** `/settings?section=app-passwords` opens Settings at this section. */
export const SECTION_LINK = '/settings?section=app-passwords';
const SECTION_PARAM = 'app-passwords';

/**
 * The section at the end of Settings > Security.
 * @param {Account} account
 * @returns {HTMLElement}
 */
export function appPasswordsSection(account) {
  const titleId = 'app-passwords-title';
  const listTitleId = 'app-passwords-list-title';
  const newTitleId = 'app-passwords-new-title';

  /** @type {AppPasswordItem[]} */
  let items = [];
  /** @type {string | null} */
  let davUrl = null;
  let username = account.email;
  let loaded = false;
  let dialogOpen = false;

  const title = h('h3', { text: 'settings.appPasswords.title', attrs: { id: titleId, tabindex: '-1' } });
  const status = liveRegion('status', 'app-passwords__status');
  const errors = liveRegion('alert', 'form__alert');
  const listTitle = h('h4', { text: 'settings.appPasswords.listTitle', attrs: { id: listTitleId, tabindex: '-1' } });
  const listSlot = h('div', { class: 'app-passwords__list' }, para('settings.appPasswords.loading', 'muted'));
  const limitNote = h('p', { class: 'muted', attrs: { hidden: true } });

  const root = h(
    'section',
    { class: 'setting', attrs: { 'aria-labelledby': titleId } },
    title,
    para('settings.appPasswords.explain'),
    para('settings.appPasswords.notForSignIn'),
    h('p', { class: 'muted', text: 'settings.appPasswords.revokedWhen' }),
    listTitle,
    status,
    errors,
    listSlot,
  );

  /** @param {AppPasswordItem} item */
  const revoke = async (item) => {
    announce(errors, null);
    announce(status, null);
    const ok = await confirmDialog({
      title: { key: 'settings.appPasswords.revokeTitle', params: { name: item.name } },
      text: 'settings.appPasswords.revokeText',
      confirm: 'settings.appPasswords.revokeConfirm',
      cancel: 'settings.appPasswords.cancel',
    });
    if (!ok) return;
    try {
      await api.revokeAppPassword(item.id);
      announce(status, { key: 'settings.appPasswords.revoked', params: { name: item.name } });
    } catch (err) {
      if (err instanceof api.ApiError && err.handled) return;
      if (!(err instanceof api.ApiError && err.code === 'not_found')) {
        announce(errors, errorMessage(err));
        return;
      }
      // Revoked meanwhile (another tab, or a password change): the list was stale.
      announce(status, { key: 'settings.appPasswords.alreadyRevoked', params: { name: item.name } });
    }
    await load();
    // The row and its button are gone: continue at the list.
    listTitle.focus();
  };

  const showList = () => {
    listSlot.replaceChildren(
      items.length === 0
        ? para('settings.appPasswords.none', 'muted')
        : h(
            'ul',
            { class: 'app-passwords', attrs: { 'aria-labelledby': listTitleId } },
            ...items.map((item) => itemRow(item, () => void revoke(item))),
          ),
    );
    const full = items.length >= MAX_APP_PASSWORDS;
    limitNote.hidden = !full;
    announce(limitNote, full ? { key: 'settings.appPasswords.tooMany', params: { max: MAX_APP_PASSWORDS } } : null);
  };

  /** @returns {Promise<boolean>} whether the list could be read */
  const load = async () => {
    try {
      const res = await api.appPasswords();
      const changed = !loaded || JSON.stringify(res.items) !== JSON.stringify(items);
      items = res.items;
      davUrl = res.dav_url;
      username = res.username || account.email;
      loaded = true;
      if (changed) showList();
      return true;
    } catch (err) {
      if (err instanceof api.ApiError && err.handled) return false;
      listSlot.replaceChildren(
        h('div', { class: 'notice notice--error' }, para(errorMessage(err))),
        button('settings.appPasswords.retry', () => void load()),
      );
      return false;
    }
  };

  const name = field({
    label: 'settings.appPasswords.name',
    name: 'app-password-name',
    hint: { key: 'settings.appPasswords.nameHint', params: { max: MAX_NAME_CHARS } },
    autocomplete: 'off',
    attrs: { autocapitalize: 'sentences', spellcheck: 'true' },
    validate: (v) =>
      [...v].length > MAX_NAME_CHARS ? { key: 'settings.appPasswords.nameTooLong', params: { max: MAX_NAME_CHARS } } : null,
  });

  const { form: createForm, alert: createAlert } = form({
    fields: [name],
    submit: 'settings.appPasswords.create',
    label: newTitleId,
    focusOnError: name,
    before: [limitNote],
    onSubmit: async () => {
      if (loaded && items.length >= MAX_APP_PASSWORDS) {
        announce(createAlert, { key: 'settings.appPasswords.tooMany', params: { max: MAX_APP_PASSWORDS } });
        return;
      }
      /** @type {NewAppPassword} */
      let created;
      try {
        const done = await withStepUp(
          account,
          { text: 'stepUp.appPassword', submit: 'settings.appPasswords.create' },
          (verification) => api.createAppPassword(name.value(), verification),
        );
        if (!done) return;
        created = done.done;
      } catch (err) {
        if (err instanceof api.ApiError && err.code === 'invalid_request') {
          // Either the name (checked here too, but the server decides) or the limit.
          await load();
          if (items.length >= MAX_APP_PASSWORDS) {
            announce(createAlert, { key: 'settings.appPasswords.tooMany', params: { max: MAX_APP_PASSWORDS } });
          } else {
            name.setError({ key: 'settings.appPasswords.nameInvalid', params: { max: MAX_NAME_CHARS } });
            name.input.focus();
          }
          err.handled = true;
        }
        throw err;
      }
      name.input.value = '';
      name.setError(null);
      dialogOpen = true;
      // Shown now, as the list refreshes behind the dialog.
      const closed = createdDialog(created, created.dav_url ?? davUrl, created.username || username);
      await load();
      await closed;
      dialogOpen = false;
      announce(status, { key: 'settings.appPasswords.createdStatus', params: { name: created.name } });
    },
  });

  root.append(h('h4', { text: 'settings.appPasswords.newTitle', attrs: { id: newTitleId } }), createForm);

  // Back from setting up the app in another window: show "last used" fresh.
  const onVisible = () => {
    if (!root.isConnected) {
      document.removeEventListener('visibilitychange', onVisible);
      return;
    }
    if (document.visibilityState === 'visible' && loaded && !dialogOpen) void load();
  };
  document.addEventListener('visibilitychange', onVisible);

  void load().then((ok) => {
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
 * @param {AppPasswordItem} item
 * @param {() => void} onRevoke
 */
function itemRow(item, onRevoke) {
  const nameId = uid('app-password-name');
  return h(
    'li',
    { class: 'app-password' },
    h(
      'div',
      { class: 'app-password__info' },
      h('p', { class: 'app-password__name', attrs: { id: nameId } }, item.name),
      h('p', { class: 'app-password__meta' }, h('span', { text: 'settings.appPasswords.created' }), ' ', timeEl(item.created_at)),
      item.last_used_at
        ? h('p', { class: 'app-password__meta' }, h('span', { text: 'settings.appPasswords.lastUsed' }), ' ', timeEl(item.last_used_at))
        : h('p', { class: 'app-password__meta', text: 'settings.appPasswords.neverUsed' }),
    ),
    button('settings.appPasswords.revoke', onRevoke, { attrs: { 'aria-describedby': nameId } }),
  );
}

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

    /**
     * @param {string} label key of the term
     * @param {string} shown
     * @param {string} copyValue
     * @param {string} copyLabel key: accessible name of the copy button
     * @param {string} copiedKey
     * @param {string} [cls]
     */
    const entry = (label, shown, copyValue, copyLabel, copiedKey, cls = '') => {
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
    };

    const [serverTerm, serverValue] = server
      ? entry('settings.appPasswords.server', server, server, 'settings.appPasswords.copyServer', 'settings.appPasswords.copiedServer')
      : [h('dt', { text: 'settings.appPasswords.server' }), h('dd', { text: 'settings.appPasswords.serverUnknown' })];
    const [userTerm, userValue] = entry(
      'settings.appPasswords.username',
      username,
      username,
      'settings.appPasswords.copyUsername',
      'settings.appPasswords.copiedUsername',
    );
    const [passwordTerm, passwordValue] = entry(
      'settings.appPasswords.password',
      created.password_grouped,
      created.password,
      'settings.appPasswords.copyPassword',
      'settings.appPasswords.copiedPassword',
      'app-password__secret',
    );
    passwordValue.append(para('settings.appPasswords.passwordSpaces', 'field__hint'));

    const dialog = h(
      'dialog',
      { class: 'dialog dialog--wide', attrs: { 'aria-labelledby': titleId, 'aria-describedby': introId } },
      heading(2, 'settings.appPasswords.createdTitle', { id: titleId }),
      h('div', { class: 'notice notice--warning' }, para('settings.appPasswords.onlyOnce')),
      h('p', { text: { key: 'settings.appPasswords.createdIntro', params: { name: created.name } }, attrs: { id: introId } }),
      h('dl', { class: 'client-settings' }, serverTerm, serverValue, userTerm, userValue, passwordTerm, passwordValue),
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
