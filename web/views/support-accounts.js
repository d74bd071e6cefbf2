// Support console: find a customer's account by email and disable it (fraud,
// a dispute) with a reason, or enable it again. Disabling ends every session
// at once; the person then gets the wrong password's answer at sign-in.
// Every change is listed with who made it and why. Support can also delete
// an account for good (with four eyes where configured).

import * as api from '../api.js';
import { timeEl } from '../dates.js';
import { confirmDialog } from '../dialog.js';
import { h, heading, notice, para, uid } from '../dom.js';
import { emailField, form } from '../forms.js';
import { ROLE, accountSection, notStaff, textareaField } from './support.js';

/** @typedef {import('../api.js').StaffAccountView} StaffAccountView */

export async function supportAccountsView() {
  const me = await api.account();
  if (!me.roles.includes(ROLE)) return notStaff();
  const result = h('div', { class: 'support-account' });
  const email = emailField('support.accounts.email', 'off');
  const { form: lookup } = form({
    fields: [email],
    submit: 'support.accounts.find',
    errors: { not_found: 'support.accounts.notFound' },
    onSubmit: async () => {
      result.replaceChildren();
      show(result, await api.lookupAccount(email.value()));
    },
  });
  return h(
    'section',
    { class: 'card card--wide' },
    h('p', { class: 'support__back' }, h('a', { text: 'support.backToQueue', attrs: { href: '/support' } })),
    heading(1, 'support.accounts.title'),
    para('support.accounts.intro'),
    lookup,
    result,
  );
}

/**
 * Shows an account, what can be done with it, and its changes.
 * @param {HTMLElement} slot
 * @param {StaffAccountView} view
 */
function show(slot, view) {
  slot.replaceChildren(accountSection(view.account), change(slot, view), deletion(slot, view), changes(view));
}

/**
 * Delete for good, after a confirmation naming the person; with four eyes
 * the first staff member's call is an approval that a second one completes.
 * @param {HTMLElement} slot
 * @param {StaffAccountView} view
 */
function deletion(slot, view) {
  const a = view.account;
  const titleId = uid('support-delete');
  const { form: el } = form({
    fields: [],
    before: [para('support.accounts.deleteExplain')],
    submit: 'support.accounts.delete',
    onSubmit: async () => {
      const ok = await confirmDialog({
        title: 'support.accounts.deleteTitle',
        text: { key: 'support.accounts.deleteText', params: { name: a.name } },
        confirm: 'support.accounts.delete',
        cancel: 'support.cancel',
      });
      if (!ok) return;
      const res = await api.deleteAccountByStaff(a.user_id);
      show(slot, res);
      slot.prepend(notice('success', h('p', { text: res.status === 'deleted' ? 'support.accounts.deletedNow' : 'support.accounts.approvalNeeded' })));
    },
  });
  return h(
    'section',
    { class: 'support__section', attrs: { 'aria-labelledby': titleId } },
    h('h2', { text: 'support.accounts.deleteHeading', attrs: { id: titleId } }),
    el,
  );
}

/**
 * Disable with a reason, or enable; each after a confirmation naming the person.
 * @param {HTMLElement} slot
 * @param {StaffAccountView} view
 */
function change(slot, view) {
  const a = view.account;
  const titleId = uid('support-change');
  const section = h(
    'section',
    { class: 'support__section', attrs: { 'aria-labelledby': titleId } },
    h('h2', { text: 'support.accounts.change', attrs: { id: titleId } }),
  );
  if (a.disabled) {
    const { form: el } = form({
      fields: [],
      before: [para('support.accounts.enableExplain')],
      submit: 'support.accounts.enable',
      onSubmit: async () => {
        const ok = await confirmDialog({
          title: 'support.accounts.enableTitle',
          text: { key: 'support.accounts.enableText', params: { name: a.name } },
          confirm: 'support.accounts.enable',
          cancel: 'support.cancel',
        });
        if (ok) show(slot, await api.enableAccount(a.user_id));
      },
    });
    section.append(el);
    return section;
  }
  const reason = textareaField({ label: 'support.accounts.reason', name: 'reason', hint: 'support.accounts.reasonHint', required: true });
  const { form: el } = form({
    fields: [reason],
    before: [para('support.accounts.disableExplain')],
    submit: 'support.accounts.disable',
    onSubmit: async () => {
      const ok = await confirmDialog({
        title: 'support.accounts.disableTitle',
        text: { key: 'support.accounts.disableText', params: { name: a.name } },
        confirm: 'support.accounts.disable',
        cancel: 'support.cancel',
      });
      if (ok) show(slot, await api.disableAccount(a.user_id, reason.value()));
    },
  });
  section.append(el);
  return section;
}

/** @param {StaffAccountView} view */
function changes(view) {
  const titleId = uid('support-changes');
  const title = h('h2', { text: 'support.accounts.history', attrs: { id: titleId } });
  const list =
    view.history.length === 0
      ? para('support.accounts.noHistory', 'muted')
      : h(
          'ol',
          { class: 'history', attrs: { 'aria-labelledby': titleId } },
          ...view.history.map((e) =>
            h(
              'li',
              { class: 'history__entry' },
              h('p', { class: 'history__when' }, timeEl(e.at)),
              h('p', {}, h('strong', { text: `support.accounts.${e.what}` }), ' ', h('span', { text: { key: 'support.history.by', params: { name: e.by.name || '?' } } })),
              e.reason ? h('p', { class: 'history__text' }, h('span', { text: 'support.history.reason' }), ' ', e.reason) : null,
            ),
          ),
        );
  return h('section', { class: 'support__section', attrs: { 'aria-labelledby': titleId } }, title, list);
}
