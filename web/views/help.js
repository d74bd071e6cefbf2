// "Sign-in instructions": the help page linked from the sign-in page, the
// second step and every page's footer. It names the operator's product and
// support contacts (brand.js).

import { brand } from '../brand.js';
import { h, heading, para } from '../dom.js';
import { signedIn } from '../router.js';
import { mfaToken, signInPath } from '../session.js';

/** One topic: a heading and its text. @param {string} key */
function topic(key) {
  return [heading(2, `help.${key}.title`), para(`help.${key}.text`)];
}

/** The configured contacts as links, or a sentence saying there are none. */
function contacts() {
  const { email, phone } = brand().contact;
  if (!email && !phone) return [para('help.support.none')];
  /** @param {string} label @param {string} href @param {string} text */
  const line = (label, href, text) => h('li', {}, h('span', { text: label }), ' ', h('a', { attrs: { href } }, text));
  return [
    h(
      'ul',
      { class: 'help-contacts' },
      email ? line('help.support.email', `mailto:${email}`, email) : null,
      // tel: takes the digits and the leading +; the text stays as configured.
      phone ? line('help.support.phone', `tel:${phone.replace(/[^\d+]/g, '')}`, phone) : null,
    ),
  ];
}

export function helpView() {
  // Back to where the sign-in stands: the second step while a code is owed.
  const back = mfaToken() !== null ? '/verify' : signedIn() ? null : signInPath();
  return h(
    'section',
    { class: 'card help' },
    heading(1, 'help.title'),
    para('help.intro'),
    ...topic('install'),
    ...topic('scan'),
    ...topic('ownPhone'),
    ...topic('everySignIn'),
    ...topic('lost'),
    ...topic('appPasswords'),
    ...topic('forgot'),
    h('p', {}, h('a', { text: 'help.forgot.link', attrs: { href: '/password-forgot' } })),
    heading(2, 'help.support.title'),
    ...contacts(),
    para('help.support.text'),
    back ? h('p', { class: 'aside' }, h('a', { text: 'help.back', attrs: { href: back } })) : null,
  );
}
