// Settings > Security > Email address: a new address, after a proof of the
// current factor; a link goes to it, and the address changes when the link is
// followed (/confirm-email?token=..., which needs no session: the link may be
// opened on another device).

import * as api from '../api.js';
import { ApiError } from '../api.js';
import { announce, button, h, heading, liveRegion, notice, para } from '../dom.js';
import { emailField, form } from '../forms.js';
import { signedIn } from '../router.js';
import { changePanel, subsection } from './settings.js';
import { currentFactorProof } from './step-up.js';

/**
 * @param {api.Account} account
 * @returns {HTMLElement}
 */
export function emailSection(account) {
  const change = changePanel();
  const status = liveRegion('status');
  change.actions.append(button('settings.email.change', () => openForm(account, change, status)));
  return subsection(
    'settings.email.title',
    para({ key: 'settings.email.current', params: { email: account.email } }),
    status,
    change.actions,
    change.panel,
  );
}

/**
 * @param {api.Account} account
 * @param {import('./settings.js').ChangePanel} change
 * @param {HTMLElement} status where "link sent" is announced
 */
function openForm(account, { panel, actions, close }, status) {
  announce(status, null);
  actions.hidden = true;
  const address = emailField('settings.email.new', 'email', {
    hint: 'settings.email.newHint',
    validate: (v) => (v.toLowerCase() === account.email ? { key: 'settings.email.same' } : null),
  });
  const proof = account.mfa.totp || account.mfa.sms !== null ? currentFactorProof(account)() : null;
  const { form: el } = form({
    fields: proof ? [address, proof.field] : [address],
    submit: 'settings.email.submit',
    errors: { email_taken: 'settings.email.taken', invalid_code: 'setup.sms.invalidProof' },
    fieldErrors: proof ? { email_taken: address, invalid_code: proof.field } : { email_taken: address },
    focusOnError: address,
    after: [h('div', { class: 'form__actions' }, button('setup.sms.cancel', close, { variant: 'link' }))],
    onSubmit: async () => {
      const to = address.value();
      await api.requestEmailChange(to, proof ? await proof.presented() : undefined);
      close();
      announce(status, { key: 'settings.email.sent', params: { email: to } });
    },
  });
  if (proof) el.insertBefore(/** @type {Node} */ (proof.before[0]), proof.field.wrap);
  panel.replaceChildren(h('h4', { class: 'setting__panel-title', text: 'settings.email.changeTitle' }), el);
  address.input.focus();
}

/** The card shown when the link cannot be used (any more). */
function invalidLink() {
  return [
    heading(1, 'confirmEmail.invalidTitle'),
    notice('warning', h('p', { text: 'confirmEmail.invalid' })),
    next(),
  ];
}

/** Where to go from here: the settings when signed in, else the sign-in. */
function next() {
  const [href, text] = signedIn() ? ['/settings', 'confirmEmail.toSettings'] : ['/login', 'confirmEmail.signIn'];
  return h('p', {}, h('a', { class: 'button button--primary', text, attrs: { href } }));
}

/**
 * The page the emailed link opens. A button confirms, rather than the page
 * opening: a mail scanner that fetches links must not use the link up.
 * @param {URLSearchParams} query
 */
export function confirmEmailView(query) {
  const token = (query.get('token') || '').trim();
  const card = h('section', { class: 'card' });
  if (!token) {
    card.append(...invalidLink());
    return card;
  }
  const { form: el } = form({
    fields: [],
    submit: 'confirmEmail.submit',
    errors: { email_taken: 'settings.email.taken' },
    onSubmit: async () => {
      let res;
      try {
        res = await api.confirmEmailChange(token);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'invalid_token') {
          card.replaceChildren(...invalidLink());
          focusHeading(card);
          return;
        }
        throw err;
      }
      card.replaceChildren(
        heading(1, 'confirmEmail.doneTitle'),
        notice('success', h('p', { text: { key: 'confirmEmail.done', params: { email: res.email } } })),
        next(),
      );
      focusHeading(card);
    },
  });
  card.append(heading(1, 'confirmEmail.title'), para('confirmEmail.intro'), el);
  return card;
}

/** @param {HTMLElement} card */
function focusHeading(card) {
  const h1 = card.querySelector('h1');
  if (h1) h1.focus();
}
