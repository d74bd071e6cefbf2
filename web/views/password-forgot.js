// Password forgotten: ask for a link by email, then say where to look. The
// answer is the same whether or not the address has an account.

import * as api from '../api.js';
import { h, heading, para } from '../dom.js';
import { emailField, form } from '../forms.js';
import { navigate } from '../router.js';
import { lastTypedEmail } from '../session.js';

export function passwordForgotView() {
  const email = emailField('forgot.email', 'username');
  // Typed on the sign-in page a moment ago: no need to type it again.
  // A user name typed at sign-in is no address to send a link to.
  if (lastTypedEmail().includes('@')) email.input.value = lastTypedEmail();
  const { form: el } = form({
    fields: [email],
    submit: 'forgot.submit',
    onSubmit: async () => {
      await api.forgotPassword(email.value());
      navigate('/password-forgot/sent', { replace: true });
    },
  });
  return h(
    'section',
    { class: 'card' },
    heading(1, 'forgot.title'),
    para('forgot.intro'),
    el,
    h('p', { class: 'aside' }, h('a', { text: 'forgot.backToSignIn', attrs: { href: '/login' } })),
  );
}

export function passwordForgotSentView() {
  return h(
    'section',
    { class: 'card' },
    heading(1, 'forgot.sentTitle'),
    para('forgot.sent'),
    para('forgot.sentSpam'),
    h(
      'p',
      { class: 'aside' },
      h('a', { text: 'forgot.backToSignIn', attrs: { href: '/login' } }),
      ' · ',
      h('a', { text: 'forgot.again', attrs: { href: '/password-forgot' } }),
    ),
  );
}
