// Settings > Security > Your data: "Delete my account" for good. The
// password, a confirmation of what cannot be undone, then (with a second
// factor) the proof of it; afterwards the page is signed out and says so.

import * as api from '../api.js';
import { h, para } from '../dom.js';
import { confirmDialog } from '../dialog.js';
import { field, form } from '../forms.js';
import { flash, navigate } from '../router.js';
import { clearAll, noteTypedEmail } from '../session.js';
import { withStepUp } from './step-up.js';

/**
 * @param {api.Account} account
 * @returns {HTMLElement}
 */
export function deleteAccountSection(account) {
  const titleId = 'delete-account-title';
  const password = field({ label: 'settings.delete.password', name: 'delete-password', type: 'password', autocomplete: 'current-password' });
  const { form: el } = form({
    fields: [password],
    before: [para('settings.delete.explain')],
    submit: 'settings.delete.submit',
    errors: { invalid_request: 'settings.delete.wrongPassword' },
    fieldErrors: { invalid_request: password },
    onSubmit: async () => {
      const sure = await confirmDialog({
        title: 'settings.delete.confirmTitle',
        text: 'settings.delete.confirmText',
        confirm: 'settings.delete.confirm',
        cancel: 'settings.delete.cancel',
      });
      if (!sure) return;
      const res = await withStepUp(account, { text: 'settings.delete.stepUp', submit: 'settings.delete.confirm' }, (verification) =>
        api.deleteAccount(password.value(), verification),
      );
      if (!res) return;
      // The account is gone: so is everything this browser kept of it.
      clearAll();
      noteTypedEmail('');
      flash('settings.delete.done', 'success');
      navigate('/login', { replace: true });
    },
  });
  return h(
    'section',
    { class: 'setting', attrs: { 'aria-labelledby': titleId } },
    h('h3', { text: 'settings.delete.title', attrs: { id: titleId } }),
    el,
  );
}
