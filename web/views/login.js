// Sign in with email and password.

import * as api from '../api.js';
import { afterPassword } from '../auth.js';
import { h, heading } from '../dom.js';
import { emailField, field, form } from '../forms.js';
import { takeSignInEmail } from '../handover.js';

export function loginView() {
  const email = emailField('login.email', 'username');
  const password = field({ label: 'login.password', name: 'password', type: 'password', autocomplete: 'current-password' });
  const prefill = takeSignInEmail();
  if (prefill) email.input.value = prefill;

  const { form: el } = form({
    fields: [email, password],
    submit: 'login.submit',
    focusOnError: password,
    onSubmit: async () => {
      afterPassword(await api.login(email.value(), password.value()));
    },
  });

  return h(
    'section',
    { class: 'card' },
    heading(1, 'login.title'),
    el,
    h('p', { class: 'aside' }, h('a', { text: 'login.forgot', attrs: { href: '/password-forgot' } })),
    h('p', { class: 'aside' }, h('span', { text: 'login.noAccount' }), ' ', h('a', { text: 'login.register', attrs: { href: '/register' } })),
  );
}
