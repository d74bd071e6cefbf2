// Settings > Security > Password: a new password with the current one and,
// when the account has a second factor, a proof of it. The server ends every
// other session and answers this browser's fresh one.

import * as api from '../api.js';
import { button, h, para } from '../dom.js';
import { field, form, newPasswordField, repeatedPasswordField, showPasswordProblem } from '../forms.js';
import { flash, navigate } from '../router.js';
import { startSession } from '../session.js';
import { changePanel, subsection } from './settings.js';
import { currentFactorProof } from './step-up.js';

/**
 * @param {api.Account} account
 * @returns {HTMLElement}
 */
export function passwordSection(account) {
  const change = changePanel();
  change.actions.append(button('settings.password.change', () => openForm(account, change)));
  return subsection('settings.password.title', para('settings.password.explain'), change.actions, change.panel);
}

/**
 * @param {api.Account} account
 * @param {import('./settings.js').ChangePanel} change
 */
function openForm(account, { panel, actions, close }) {
  actions.hidden = true;
  const current = field({ label: 'settings.password.current', name: 'current-password', type: 'password', autocomplete: 'current-password' });
  const next = newPasswordField('settings.password.new');
  const repeat = repeatedPasswordField(next);
  // Without a second factor (the first session) there is nothing to prove.
  const proof = account.mfa.totp || account.mfa.sms !== null ? currentFactorProof(account)() : null;
  const { form: el } = form({
    fields: proof ? [current, next, repeat, proof.field] : [current, next, repeat],
    submit: 'settings.password.submit',
    errors: { invalid_credentials: 'settings.password.wrongCurrent', invalid_code: 'setup.sms.invalidProof' },
    fieldErrors: proof
      ? { invalid_credentials: current, invalid_code: proof.field }
      : { invalid_credentials: current },
    focusOnError: current,
    after: [h('div', { class: 'form__actions' }, button('setup.sms.cancel', close, { variant: 'link' }))],
    onSubmit: async () => {
      try {
        const res = await api.changePassword(current.value(), next.value(), proof ? await proof.presented() : undefined);
        // Every other session ended; this browser goes on in the fresh one.
        startSession(res.session_token);
      } catch (err) {
        showPasswordProblem(err, next);
        throw err;
      }
      flash('settings.password.changed', 'success');
      navigate('/settings', { replace: true });
    },
  });
  // The step-up's heading right above its field, below the passwords.
  if (proof) el.insertBefore(/** @type {Node} */ (proof.before[0]), proof.field.wrap);
  panel.replaceChildren(h('h4', { class: 'setting__panel-title', text: 'settings.password.changeTitle' }), el);
  current.input.focus();
}
