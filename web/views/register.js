// Create an account: name, email, an optional user name, password.

import * as api from '../api.js';
import { h, heading } from '../dom.js';
import { emailField, field, form, newPasswordField, showPasswordProblem, usernameField } from '../forms.js';
import { giveSignInEmail } from '../handover.js';
import { lang } from '../i18n.js';
import { flash, navigate } from '../router.js';
import { signInPath } from '../session.js';

export function registerView() {
  const name = field({ label: 'register.name', name: 'name', autocomplete: 'name' });
  const email = emailField('register.email', 'email');
  const username = usernameField('register.username', false);
  const password = newPasswordField('register.password', 'password');

  const { form: el } = form({
    fields: [name, email, username, password],
    submit: 'register.submit',
    errors: { invalid_request: 'register.invalid' },
    fieldErrors: { email_taken: email, username_taken: username },
    onSubmit: async () => {
      try {
        const chosen = username.value();
        await api.register({
          name: name.value(),
          email: email.value(),
          password: password.value(),
          locale: lang(),
          ...(chosen ? { username: chosen } : {}),
        });
      } catch (err) {
        showPasswordProblem(err, password);
        throw err;
      }
      giveSignInEmail(email.value());
      flash('login.registered', 'success');
      navigate(signInPath());
    },
  });

  return h(
    'section',
    { class: 'card' },
    heading(1, 'register.title'),
    el,
    h('p', { class: 'aside' }, h('span', { text: 'register.haveAccount' }), ' ', h('a', { text: 'register.signIn', attrs: { href: '/login' } })),
  );
}
