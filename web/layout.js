// The frame around every page: brand, navigation with sign-out when signed in,
// the language switch, and the footer (sign-in instructions, imprint, privacy).

import * as api from './api.js';
import { signOut } from './auth.js';
import { brand } from './brand.js';
import { button, h } from './dom.js';
import { lang, onLangChange, otherLang, setLang, setText } from './i18n.js';
import { onNavigate, signedIn } from './router.js';
import { sessionRoles } from './session.js';

/** @param {string} id */
function byId(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

/** Wire up the header once; it follows each navigation afterwards. */
export function startLayout() {
  setText(byId('skip-link'), { key: 'skip.main' });
  showBrand();

  const switcher = /** @type {HTMLButtonElement} */ (byId('lang-switch'));
  setText(switcher, { key: 'lang.switch' });
  const showTarget = () => {
    // The button names the language it switches to, in that language.
    switcher.lang = otherLang(lang());
  };
  showTarget();
  switcher.hidden = false;
  switcher.addEventListener('click', () => {
    const next = otherLang(lang());
    void setLang(next, { remember: true }).then(() => switcher.focus());
    // Signed in, the account's mails follow the page's language. The page
    // works on whatever the answer: a failure only leaves the mails as they were.
    if (signedIn()) api.setLanguage(next).catch(() => {});
  });
  onLangChange(showTarget);

  showFooter();
  onNavigate(updateNav);
}

/** The product's name, and its logo before it (decorative: the name is the link's text). */
function showBrand() {
  const link = byId('brand');
  setText(byId('brand-name'), { key: 'app.name' });
  const { logo_url: logo } = brand();
  if (logo) link.prepend(h('img', { class: 'brand__logo', attrs: { src: logo, alt: '' } }));
}

/** The footer: the help page always, the operator's imprint and privacy pages when configured. */
function showFooter() {
  const { imprint_url: imprint, privacy_url: privacy } = brand();
  /** @param {string} href @param {string} key */
  const link = (href, key) => h('li', {}, h('a', { text: key, attrs: { href } }));
  const footer = byId('site-footer');
  footer.replaceChildren(
    h(
      'nav',
      { i18nAttrs: { 'aria-label': 'footer.label' } },
      h(
        'ul',
        {},
        link('/help', 'footer.help'),
        imprint ? link(imprint, 'footer.imprint') : null,
        privacy ? link(privacy, 'footer.privacy') : null,
      ),
    ),
  );
  footer.hidden = heldOn !== '';
}

/** The page that holds the navigation (`holdNavigation`), if any. */
let heldOn = '';

/**
 * While fresh recovery codes are shown and not yet confirmed as stored, the
 * menu, the home link and the footer's links are gone, so nobody leaves the only view of them by
 * accident. The next page releases them.
 */
export function holdNavigation() {
  heldOn = location.pathname;
  byId('site-nav').hidden = true;
  byId('site-footer').hidden = true;
  byId('brand').removeAttribute('href');
}

/** @param {string} path */
function updateNav(path) {
  const nav = byId('site-nav');
  if (heldOn === path) {
    nav.hidden = true;
    return;
  }
  heldOn = '';
  byId('brand').setAttribute('href', '/');
  byId('site-footer').hidden = false;
  if (!signedIn()) {
    nav.hidden = true;
    nav.replaceChildren();
    return;
  }
  const roles = sessionRoles();
  if (roles === null) {
    // Not known yet in this session (pages that read the account keep it):
    // ask once, then show the menu again with what the roles allow.
    void api.account().then(
      () => {
        if (signedIn() && sessionRoles() !== null) updateNav(location.pathname);
      },
      () => {},
    );
  }
  /** @param {string} href @param {string} key @param {boolean} [current] */
  const link = (href, key, current = path === href) =>
    h('li', {}, h('a', { text: key, attrs: { href, 'aria-current': current ? 'page' : undefined } }));
  nav.setAttribute('aria-labelledby', 'nav-label');
  nav.replaceChildren(
    h('span', { class: 'visually-hidden', text: 'nav.label', attrs: { id: 'nav-label' } }),
    h(
      'ul',
      {},
      link('/', 'nav.home'),
      link('/settings', 'nav.settings'),
      roles && roles.includes('support') ? link('/support', 'nav.support', path.startsWith('/support')) : null,
      h('li', {}, button('nav.signOut', () => void signOut(), { variant: 'link' })),
    ),
  );
  nav.hidden = false;
}
