// Support console (role `support`): the queue of open reset requests, soonest
// deadline first, and one request with what helps decide it: the form
// compared with the account, the account's age, logins and failures, earlier
// requests and the full history. Take, approve (with a note) or reject (with
// a reason); someone else deciding first (409) reloads the request.

import * as api from '../api.js';
import { durationMsg, formatAgo, timeEl } from '../dates.js';
import { confirmDialog } from '../dialog.js';
import { announce, button, h, heading, liveRegion, notice, para, uid } from '../dom.js';
import { errorMessage } from '../errors.js';
import { field, form } from '../forms.js';
import { flash, navigate } from '../router.js';

/** @typedef {import('../api.js').Account} Account */
/** @typedef {import('../api.js').QueueItem} QueueItem */
/** @typedef {import('../api.js').RequestDetail} RequestDetail */
/** @typedef {import('../api.js').HistoryEntry} HistoryEntry */
/** @typedef {import('../i18n.js').Msg} Msg */
/** @typedef {import('../dom.js').Child} Child */
/** @typedef {import('../forms.js').Field} Field */

export const ROLE = 'support';
/** Longest note or reason the console sends. */
export const MAX_TEXT_CHARS = 2000;

/** @param {string} id */
export const requestLink = (id) => `/support/request?id=${encodeURIComponent(id)}`;

/** For accounts without the role (the server says 403 too). */
export function notStaff() {
  return h('section', { class: 'card' }, heading(1, 'support.title'), notice('error', para('support.notStaff')));
}

const DUE_IN = { minutes: 'support.dueIn.minutes', hours: 'support.dueIn.hours', days: 'support.dueIn.days' };
const OVERDUE_BY = { minutes: 'support.overdueBy.minutes', hours: 'support.overdueBy.hours', days: 'support.overdueBy.days' };

/**
 * "due in 5 h" or "overdue by 2 h", from now.
 * @param {string} dueBy
 * @param {number} [now]
 * @returns {Msg}
 */
export function timeLeft(dueBy, now = Date.now()) {
  const ms = new Date(dueBy).getTime() - now;
  return ms >= 0 ? durationMsg(DUE_IN, ms) : durationMsg(OVERDUE_BY, -ms);
}

/** @param {boolean} overdue */
function overdueBadge(overdue) {
  return overdue ? h('span', { class: 'badge badge--alert', text: 'support.overdue' }) : null;
}

/** @param {import('../api.js').RequestStatus} status */
function statusBadge(status) {
  const cls = status === 'approved' ? 'badge--on' : status === 'rejected' ? 'badge--alert' : 'badge--off';
  return h('span', { class: `badge ${cls}`, text: `support.status.${status}` });
}

/**
 * A term and its description for a <dl>.
 * @param {string} term key
 * @param {...Child} value
 */
export function row(term, ...value) {
  return [h('dt', { text: term }), h('dd', {}, ...value)];
}

// ---------------------------------------------------------------- the queue

export async function supportQueueView() {
  const account = await api.account();
  if (!account.roles.includes(ROLE)) return notStaff();

  const listTitleId = uid('support-queue');
  const status = liveRegion('status', 'support__status');
  const listSlot = h('div', { class: 'support-queue' });

  /** @param {QueueItem[]} items */
  const showList = (items) => {
    const now = Date.now();
    listSlot.replaceChildren(
      items.length === 0
        ? para('support.queue.empty', 'muted')
        : h('ul', { class: 'queue', attrs: { 'aria-labelledby': listTitleId } }, ...items.map((item) => queueItem(item, now))),
    );
  };

  const load = async () => {
    const res = await api.supportQueue();
    showList(res.items);
    return res.items.length;
  };
  await load();

  const refresh = button('support.queue.refresh', async () => {
    try {
      const count = await load();
      announce(status, { key: 'support.queue.refreshed', params: { count } });
    } catch (err) {
      if (err instanceof api.ApiError && err.handled) return;
      announce(status, errorMessage(err));
    }
  });

  return h(
    'section',
    { class: 'card card--wide' },
    heading(1, 'support.title'),
    para('support.intro'),
    h('p', { class: 'aside' }, h('a', { text: 'support.accounts.link', attrs: { href: '/support/accounts' } })),
    findByNumber(),
    h('div', { class: 'support__bar' }, h('h2', { text: 'support.queue.title', attrs: { id: listTitleId } }), refresh),
    status,
    listSlot,
  );
}

/**
 * Find a request by the number the owner reads out on the phone: one match
 * opens it, several (numbers are short, so two requests can share one) are
 * listed, none says so at the field.
 */
function findByNumber() {
  const titleId = uid('support-find');
  const matches = h('div', { class: 'support-find__matches' });
  const number = field({
    label: 'support.find.number',
    name: 'request_number',
    hint: 'support.find.hint',
    mono: true,
    short: true,
    autocomplete: 'off',
    maxlength: 11,
    // Crockford's base32: the server also reads I and L as 1 and O as 0.
    validate: (v) => (/^[0-9a-z]{4}[- ]?[0-9a-z]{4}$/i.test(v) ? null : { key: 'support.find.invalid' }),
  });
  const { form: find } = form({
    label: titleId,
    fields: [number],
    submit: 'support.find.submit',
    onSubmit: async () => {
      matches.replaceChildren();
      const { items } = await api.findRequests(number.value());
      if (items.length === 1) return navigate(requestLink(items[0].request_id));
      if (items.length === 0) return number.setError({ key: 'support.find.none' });
      matches.replaceChildren(
        h(
          'ul',
          { class: 'plain-list' },
          ...items.map(summaryItem),
        ),
      );
    },
  });
  return h('section', { class: 'support-find' }, h('h2', { text: 'support.find.title', attrs: { id: titleId } }), find, matches);
}

/**
 * @param {QueueItem} item
 * @param {number} now
 */
function queueItem(item, now) {
  return h(
    'li',
    { class: item.overdue ? 'queue-item queue-item--overdue' : 'queue-item' },
    h(
      'p',
      { class: 'queue-item__title' },
      // The names come from the sealed form; once it can no longer be read, the email stands in.
      h('a', { attrs: { href: requestLink(item.request_id) } }, item.first_name || item.last_name ? `${item.first_name || ''} ${item.last_name || ''}`.trim() : item.email),
      ' ',
      overdueBadge(item.overdue),
    ),
    h('p', { class: 'queue-item__meta' }, h('span', { text: 'support.queue.accountEmail' }), ' ', item.email),
    h(
      'p',
      { class: 'queue-item__meta' },
      h('span', { class: item.overdue ? 'queue-item__due queue-item__due--overdue' : 'queue-item__due', text: timeLeft(item.due_by, now) }),
      ' (',
      h('span', { text: 'support.dueBy' }),
      ' ',
      timeEl(item.due_by),
      ')',
    ),
    h(
      'p',
      { class: 'queue-item__meta' },
      h('span', { text: 'support.requestNumber' }),
      ' ',
      h('span', { class: 'request-id' }, item.request_number),
      ' · ',
      h('span', { text: 'support.submitted' }),
      ' ',
      timeEl(item.submitted_at),
    ),
    h(
      'p',
      { class: 'queue-item__meta' },
      item.taken_by
        ? h('span', { text: { key: 'support.takenBy', params: { name: item.taken_by.name } } })
        : h('span', { text: 'support.notTaken' }),
    ),
  );
}

// ------------------------------------------------------------- one request

/** @param {URLSearchParams} query */
export async function supportRequestView(query) {
  const id = query.get('id') || '';
  const me = await api.account();
  if (!me.roles.includes(ROLE)) return notStaff();
  if (!id) {
    navigate('/support', { replace: true });
    return h('div', {});
  }
  const detail = await api.supportRequest(id);
  return requestPage(me, detail);
}

/** Load the page again (the request changed, here or elsewhere). */
function reload() {
  navigate(location.pathname + location.search, { replace: true });
}

/**
 * @param {Account} me
 * @param {RequestDetail} initial
 */
function requestPage(me, initial) {
  const root = h('section', { class: 'card card--wide' });
  /** @param {RequestDetail} d @param {boolean} focusTitle */
  const show = (d, focusTitle) => {
    root.replaceChildren(
      h('p', { class: 'support__back' }, h('a', { text: 'support.backToQueue', attrs: { href: '/support' } })),
      heading(1, { key: 'support.request.title', params: { id: d.request_number } }),
      summary(d),
      // The evidence first, then the decision, then what happened so far.
      formSection(d),
      accountSection(d.account),
      earlierSection(d),
      actions(me, d, (next) => show(next, true)),
      historySection(d),
    );
    if (focusTitle) root.querySelector('h1')?.focus();
  };
  show(initial, false);
  return root;
}

/** @param {RequestDetail} d */
function summary(d) {
  const decided = d.status === 'approved' || d.status === 'rejected';
  const approvals = d.approvals && d.approvals.required > 1 ? d.approvals : null;
  return h(
    'dl',
    { class: 'facts' },
    ...row('support.request.status', statusBadge(d.status), ' ', decided ? null : overdueBadge(d.overdue)),
    ...row('support.request.submitted', timeEl(d.submitted_at)),
    ...row(
      'support.request.dueBy',
      timeEl(d.due_by),
      decided ? null : ' (',
      decided ? null : h('span', { text: timeLeft(d.due_by) }),
      decided ? null : ')',
    ),
    ...row('support.request.takenBy', d.taken_by ? d.taken_by.name : h('span', { class: 'muted', text: 'support.notTaken' })),
    ...(approvals
      ? row('support.request.approvals', h('span', { text: { key: 'support.request.approvalsCount', params: { given: approvals.given, required: approvals.required } } }))
      : []),
  );
}

/** @param {RequestDetail} d */
function formSection(d) {
  const titleId = uid('support-form');
  /** @type {Array<[keyof import('../api.js').RequestForm, string]>} */
  const parts = [
    ['first_name', 'support.form.firstName'],
    ['last_name', 'support.form.lastName'],
    ['phone', 'support.form.phone'],
    ['email', 'support.form.email'],
  ];
  const body = !d.form
    ? para(d.anonymised ? 'support.form.anonymised' : 'support.form.none', 'muted')
    : h(
        'table',
        { class: 'matches', attrs: { 'aria-labelledby': titleId } },
        h(
          'thead',
          {},
          h('tr', {}, h('th', { text: 'support.form.field', attrs: { scope: 'col' } }), h('th', { text: 'support.form.entered', attrs: { scope: 'col' } }), h('th', { text: 'support.form.matches', attrs: { scope: 'col' } })),
        ),
        h(
          'tbody',
          {},
          ...parts.map(([key, label]) => {
            const form = /** @type {import('../api.js').RequestForm} */ (d.form);
            const match = d.matches ? d.matches[key] : null;
            return h(
              'tr',
              {},
              h('th', { text: label, attrs: { scope: 'row' } }),
              h('td', { class: 'matches__value' }, form[key]),
              h(
                'td',
                {},
                match === null
                  ? h('span', { class: 'muted', text: 'support.form.unknown' })
                  : h('span', { class: match ? 'badge badge--on' : 'badge badge--alert', text: match ? 'support.form.yes' : 'support.form.no' }),
              ),
            );
          }),
        ),
      );
  return h('section', { class: 'support__section', attrs: { 'aria-labelledby': titleId } }, h('h2', { text: 'support.form.title', attrs: { id: titleId } }), body);
}

/** @param {import('../api.js').RequestAccount | null} a */
export function accountSection(a) {
  const titleId = uid('support-account');
  const title = h('h2', { text: 'support.account.title', attrs: { id: titleId } });
  if (!a) return h('section', { class: 'support__section', attrs: { 'aria-labelledby': titleId } }, title, para('support.account.gone', 'muted'));
  return h(
    'section',
    { class: 'support__section', attrs: { 'aria-labelledby': titleId } },
    title,
    h(
      'dl',
      { class: 'facts' },
      ...row('support.account.name', a.name),
      ...row('support.account.email', a.email),
      ...row('support.account.created', timeEl(a.created_at), ' (', formatAgo(a.created_at), ')'),
      ...row('support.account.lastLogin', a.last_login_at ? timeEl(a.last_login_at) : h('span', { text: 'support.account.never' })),
      ...row('support.account.failedPasswords', String(a.failed_password_attempts)),
      ...row('support.account.failedSecondFactor', String(a.failed_second_factor_attempts)),
      ...row('support.account.app', h('span', { class: a.factors.totp ? 'badge badge--on' : 'badge badge--off', text: a.factors.totp ? 'support.account.active' : 'support.account.inactive' })),
      ...row('support.account.sms', a.factors.sms ? a.factors.sms : h('span', { class: 'muted', text: 'support.account.noSms' })),
      ...row('support.account.recoveryCodes', String(a.factors.recovery_codes_remaining)),
      ...row(
        'support.account.passkeys',
        a.factors.passkeys?.length
          ? a.factors.passkeys.map((p) => p.name).join(', ')
          : h('span', { class: 'muted', text: 'support.account.noPasskeys' }),
      ),
      ...row('support.account.status', disabledBadge(a)),
    ),
  );
}

/**
 * Whether staff disabled the account, and why.
 * @param {import('../api.js').RequestAccount} a
 */
function disabledBadge(a) {
  if (!a.disabled) return h('span', { class: 'badge badge--on', text: 'support.account.enabled' });
  return h('span', {}, h('span', { class: 'badge badge--alert', text: 'support.account.disabled' }), ' ', a.disabled.reason);
}

/** @param {RequestDetail} d */
function earlierSection(d) {
  const titleId = uid('support-earlier');
  const earlier = d.earlier_requests || [];
  return h(
    'section',
    { class: 'support__section', attrs: { 'aria-labelledby': titleId } },
    h('h2', { text: 'support.earlier.title', attrs: { id: titleId } }),
    earlier.length === 0
      ? para('support.earlier.none', 'muted')
      : h(
          'ul',
          { class: 'plain-list' },
          ...earlier.map(summaryItem),
        ),
  );
}

/**
 * A request in a list: its number (a link), where it stands, since when.
 * @param {import('../api.js').RequestSummary} e
 */
function summaryItem(e) {
  return h('li', {}, h('a', { attrs: { href: requestLink(e.request_id) } }, e.request_number), ' ', statusBadge(e.status), ' ', h('span', { text: 'support.submitted' }), ' ', timeEl(e.submitted_at));
}

/**
 * Who did it: a staff member, the customer (submitted), the system (overdue,
 * anonymised), or nobody named (a final approval follows the last approval
 * given, whose entry names the staff member).
 * @param {HistoryEntry} e
 * @returns {Msg | null}
 */
function byWhom(e) {
  if (e.by) return { key: 'support.history.by', params: { name: e.by.name } };
  if (e.what === 'submitted') return { key: 'support.history.byCustomer' };
  if (e.what === 'marked_overdue' || e.what === 'anonymised') return { key: 'support.history.bySystem' };
  return null;
}

/** @param {HistoryEntry} e @returns {Child[]} */
function byLine(e) {
  const who = byWhom(e);
  return who ? [' ', h('span', { text: who })] : [];
}

/** @param {RequestDetail} d */
function historySection(d) {
  const titleId = uid('support-history');
  return h(
    'section',
    { class: 'support__section', attrs: { 'aria-labelledby': titleId } },
    h('h2', { text: 'support.history.title', attrs: { id: titleId } }),
    h(
      'ol',
      { class: 'history', attrs: { 'aria-labelledby': titleId } },
      ...d.history.map((e) =>
        h(
          'li',
          { class: 'history__entry' },
          h('p', { class: 'history__when' }, timeEl(e.at)),
          h('p', {}, h('strong', { text: `support.history.${e.what}` }), ...byLine(e)),
          e.note ? h('p', { class: 'history__text' }, h('span', { text: 'support.history.note' }), ' ', e.note) : null,
          e.reason ? h('p', { class: 'history__text' }, h('span', { text: 'support.history.reason' }), ' ', e.reason) : null,
        ),
      ),
    ),
  );
}

// ----------------------------------------------------------------- actions

/**
 * A labelled multi-line text field, usable in forms.js forms.
 * @param {{ label: string, name: string, hint: string, required: boolean }} spec
 * @returns {Field}
 */
export function textareaField(spec) {
  const id = uid(`f-${spec.name}`);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const area = h('textarea', {
    class: 'input input--area',
    attrs: { id, name: spec.name, rows: 3, maxlength: MAX_TEXT_CHARS, required: spec.required, 'aria-describedby': hintId },
  });
  const error = h('p', { class: 'field__error', attrs: { id: errorId, hidden: true } });
  const wrap = h('div', { class: 'field' }, h('label', { text: spec.label, attrs: { for: id } }), h('p', { class: 'field__hint', text: spec.hint, attrs: { id: hintId } }), area, error);
  /** @param {Msg | null} msg */
  const setError = (msg) => {
    announce(error, msg);
    error.hidden = msg === null;
    area.setAttribute('aria-describedby', msg ? `${hintId} ${errorId}` : hintId);
    if (msg) area.setAttribute('aria-invalid', 'true');
    else area.removeAttribute('aria-invalid');
    wrap.classList.toggle('field--invalid', msg !== null);
  };
  const value = () => area.value.trim();
  const check = () => (spec.required && value() === '' ? { key: 'support.reasonRequired' } : null);
  // forms.js only focuses and selects it, which a textarea does alike.
  const input = /** @type {HTMLInputElement} */ (/** @type {unknown} */ (area));
  return { wrap, input, value, setError, check };
}

/** @typedef {'approve' | 'reject'} DecisionKind */

/**
 * What tells approving and rejecting apart: the texts, the field (a note may
 * stay empty, a reason may not), which button is primary and the endpoint.
 * @typedef {{
 *   button: string,
 *   primaryWhenTaken: boolean,
 *   title: string,
 *   explain: string,
 *   field: { label: string, name: string, hint: string, required: boolean },
 *   submit: string,
 *   confirm: { title: string, text: string, confirm: string },
 *   send: (requestId: string, text: string) => Promise<void>,
 * }} Decision
 */

/** @type {Record<DecisionKind, Decision>} */
const DECISIONS = {
  approve: {
    button: 'support.approve',
    // Once taken, approving is the likely next step.
    primaryWhenTaken: true,
    title: 'support.approve.title',
    explain: 'support.approve.explain',
    field: { label: 'support.approve.note', name: 'note', hint: 'support.approve.noteHint', required: false },
    submit: 'support.approve.submit',
    confirm: { title: 'support.approve.confirmTitle', text: 'support.approve.confirmText', confirm: 'support.approve.confirm' },
    send: async (id, note) => {
      const res = await api.approveRequest(id, note);
      // Short of the approvals required, this one is counted but decides nothing yet.
      if (res.status === 'approved') flash('support.approved', 'success');
      else flash({ key: 'support.approvalGiven', params: { given: res.approvals.given, required: res.approvals.required } }, 'success');
    },
  },
  reject: {
    button: 'support.reject',
    primaryWhenTaken: false,
    title: 'support.reject.title',
    explain: 'support.reject.explain',
    field: { label: 'support.reject.reason', name: 'reason', hint: 'support.reject.reasonHint', required: true },
    submit: 'support.reject.submit',
    confirm: { title: 'support.reject.confirmTitle', text: 'support.reject.confirmText', confirm: 'support.reject.confirm' },
    send: async (id, reason) => {
      await api.rejectRequest(id, reason);
      flash('support.rejected', 'success');
    },
  },
};

/**
 * Shows a refused action: decided by someone else meanwhile (409) reloads the
 * request, a missing role (403) and anything else is said in `errors`.
 * @param {HTMLElement} errors
 * @returns {(err: unknown) => void}
 */
function failureReport(errors) {
  return (err) => {
    if (err instanceof api.ApiError && err.handled) return;
    if (err instanceof api.ApiError && err.code === 'conflict') {
      flash('support.decidedElsewhere', 'warning');
      reload();
      return;
    }
    if (err instanceof api.ApiError && err.code === 'forbidden') {
      announce(errors, { key: 'support.notAllowed' });
      return;
    }
    announce(errors, errorMessage(err));
  };
}

/**
 * The form that approves with a note or rejects with a reason, after a
 * confirmation naming the person.
 * @param {RequestDetail} d
 * @param {Decision} decision
 * @param {{ failed: (err: unknown) => void, cancel: () => void }} on
 * @returns {{ panel: Node[], field: Field }} the panel's content, and its field to focus
 */
function decisionForm(d, decision, on) {
  const text = textareaField(decision.field);
  const { form: el } = form({
    fields: [text],
    before: [para(decision.explain)],
    submit: decision.submit,
    after: [h('div', { class: 'form__actions' }, button('support.cancel', on.cancel, { variant: 'link' }))],
    onSubmit: async () => {
      const name = d.form ? `${d.form.first_name} ${d.form.last_name}` : d.request_number;
      const { title, text: confirmText, confirm } = decision.confirm;
      const ok = await confirmDialog({ title, text: { key: confirmText, params: { name } }, confirm, cancel: 'support.cancel' });
      if (!ok) return;
      try {
        await decision.send(d.request_id, text.value());
      } catch (err) {
        // Thrown on purpose so forms.js stops its busy state; failed() has shown it.
        on.failed(err);
        if (err instanceof api.ApiError) err.handled = true;
        throw err;
      }
      reload();
    },
  });
  return { panel: [h('h3', { class: 'setting__panel-title', text: decision.title }), el], field: text };
}

/**
 * The staff member's choices for this request.
 * @param {Account} me
 * @param {RequestDetail} d
 * @param {(next: RequestDetail) => void} onTaken
 */
function actions(me, d, onTaken) {
  const titleId = uid('support-actions');
  const section = h('section', { class: 'support__section support__actions', attrs: { 'aria-labelledby': titleId } }, h('h2', { text: 'support.actions.title', attrs: { id: titleId } }));
  if (d.status === 'approved' || d.status === 'rejected') {
    section.append(para(`support.actions.decided.${d.status}`));
    return section;
  }
  if (d.account && d.account.user_id === me.user_id) {
    section.append(notice('warning', para('support.actions.ownAccount')));
    return section;
  }
  const approvedByMe = d.history.some((e) => e.what === 'approval_given' && e.by && e.by.id === me.user_id);
  const errors = liveRegion('alert', 'form__alert');
  const panel = h('div', { class: 'setting__panel' });
  const buttons = h('div', { class: 'button-row' });
  const failed = failureReport(errors);

  const closePanel = () => {
    panel.replaceChildren();
    buttons.hidden = false;
    buttons.querySelector('button')?.focus();
  };

  const take = async () => {
    announce(errors, null);
    try {
      onTaken(await api.takeRequest(d.request_id));
    } catch (err) {
      failed(err);
    }
  };

  /** @param {Decision} decision */
  const decide = (decision) => {
    announce(errors, null);
    buttons.hidden = true;
    const { panel: content, field } = decisionForm(d, decision, { failed, cancel: closePanel });
    panel.replaceChildren(...content);
    field.input.focus();
  };

  const takenByMe = Boolean(d.taken_by && d.taken_by.id === me.user_id);
  // Taken by someone else (on leave, say): it can be taken over.
  if (!takenByMe) buttons.append(button(d.taken_by ? 'support.takeOver' : 'support.take', () => void take(), { variant: 'primary' }));
  /** @param {DecisionKind} kind */
  const decisionButton = (kind) => {
    const decision = DECISIONS[kind];
    return button(decision.button, () => decide(decision), { variant: decision.primaryWhenTaken && takenByMe ? 'primary' : 'secondary' });
  };
  if (approvedByMe) section.append(para('support.actions.approvedByMe'));
  else buttons.append(decisionButton('approve'));
  buttons.append(decisionButton('reject'));
  if (d.taken_by && !takenByMe) section.append(para({ key: 'support.actions.takenByOther', params: { name: d.taken_by.name } }));
  section.append(errors, buttons, panel);
  return section;
}
