// Recovery codes, shown once: after activating a second factor and after
// creating a new set.

import { button, h, heading, notice, para } from '../dom.js';
import { downloadText } from '../download.js';
import { takeCodes } from '../handover.js';
import { t } from '../i18n.js';
import { holdNavigation } from '../layout.js';
import { navigate } from '../router.js';
import { appPasswordsHint } from './app-passwords.js';

export function recoveryView() {
  const fresh = takeCodes();
  if (!fresh) {
    // Reloaded or opened directly: the codes are not kept anywhere.
    return h(
      'section',
      { class: 'card' },
      heading(1, 'recovery.title'),
      para('recovery.gone'),
      h('p', {}, h('a', { text: 'recovery.toSettings', attrs: { href: '/settings' } })),
    );
  }
  const { codes, done, next: nextPath, activated } = fresh;
  holdNavigation();

  const listId = 'recovery-title';
  const list = h(
    'ol',
    { class: 'codes', attrs: { 'aria-labelledby': listId } },
    ...codes.map((c) => h('li', {}, h('code', {}, c))),
  );

  const next = button('recovery.continue', () => navigate(nextPath, { replace: true }), {
    variant: 'primary',
    attrs: { disabled: true },
  });
  const stored = h('input', {
    attrs: { type: 'checkbox', id: 'recovery-stored' },
    on: { change: () => (next.disabled = !stored.checked) },
  });

  const fileText = () =>
    [
      `${t('app.name')} – ${t('recovery.title')}`,
      new Date().toISOString().slice(0, 10),
      t('recovery.fileNote'),
      '',
      ...codes,
      '',
    ].join('\n');

  return h(
    'section',
    { class: 'card' },
    h(
      'div',
      { class: 'print-area' },
      heading(1, 'recovery.title', { id: listId }),
      h('div', { class: 'no-print' }, notice('success', h('p', { text: done }))),
      para('recovery.intro'),
      list,
    ),
    para('recovery.keepSafe'),
    h(
      'div',
      { class: 'button-row' },
      button('recovery.download', () => downloadText(t('recovery.fileName'), fileText())),
      button('recovery.print', () => window.print()),
    ),
    h('div', { class: 'check' }, stored, h('label', { text: 'recovery.stored', attrs: { for: 'recovery-stored' } })),
    h('div', { class: 'form__actions' }, next),
    // A second factor just became active: calendar and contacts apps that
    // signed in with the password need app passwords from now on.
    activated ? appPasswordsHint() : null,
  );
}
