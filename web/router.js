// Client-side routing with the history API. The server answers every unknown
// non-API path with index.html, so each page has a real address (/settings,
// later /reset-password?token=...).

import { h, notice } from './dom.js';
import { errorMessage } from './errors.js';
import { onLangChange, t } from './i18n.js';
import { mfaToken, sessionToken } from './session.js';

/** @typedef {import('./i18n.js').Msg} Msg */
/**
 * Who may open a page:
 * - `anyone`
 * - `guest`: only without a session (signed-in people go home)
 * - `session`: only signed in
 * - `mfa`: only while a second factor is owed (after the password)
 * - `mfa-or-session`
 * @typedef {'anyone' | 'guest' | 'session' | 'mfa' | 'mfa-or-session'} Access
 */
/**
 * @typedef {{
 *   title: string,
 *   access: Access,
 *   render: (query: URLSearchParams) => HTMLElement | Promise<HTMLElement>,
 * }} Route
 */

/** @type {Map<string, Route>} */
const routes = new Map();
/** @type {Array<(path: string) => void>} */
const afterRender = [];
/** @type {{ msg: Msg, kind: 'info' | 'success' | 'warning' | 'error' } | null} */
let pendingFlash = null;
let renderSeq = 0;
let firstRender = true;
let currentTitle = 'app.name';

/**
 * @param {string} path
 * @param {Route} route
 */
export function addRoute(path, route) {
  routes.set(path, route);
}

/** @param {(path: string) => void} fn called after each page is shown */
export function onNavigate(fn) {
  afterRender.push(fn);
}

/**
 * A message for the next page shown (e.g. "You have been signed out").
 * @param {Msg | string} msg
 * @param {'info' | 'success' | 'warning' | 'error'} [kind]
 */
export function flash(msg, kind = 'info') {
  pendingFlash = { msg: typeof msg === 'string' ? { key: msg } : msg, kind };
}

/**
 * Go to a page of this app.
 * @param {string} url path (and query)
 * @param {{ replace?: boolean }} [opts] replace: the step just done makes no sense to go back to
 */
export function navigate(url, opts = {}) {
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  void render();
}

/** @returns {boolean} */
export function signedIn() {
  return sessionToken() !== null;
}

/**
 * Where a person without access to `access` belongs.
 * @param {Access} access
 * @returns {string | null} null if access is fine
 */
function redirectFor(access) {
  const session = signedIn();
  const mfa = mfaToken() !== null;
  switch (access) {
    case 'anyone':
      return null;
    case 'guest':
      return session ? '/' : null;
    case 'session':
      return session ? null : '/login';
    case 'mfa':
      return mfa ? null : session ? '/' : '/login';
    case 'mfa-or-session':
      return mfa || session ? null : '/login';
  }
}

/** Render the page for the current address. */
export async function render() {
  const seq = ++renderSeq;
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const route = routes.get(path);
  if (!route) {
    history.replaceState(null, '', signedIn() ? '/' : '/login');
    return render();
  }
  const target = redirectFor(route.access);
  if (target !== null && target !== path) {
    history.replaceState(null, '', target);
    return render();
  }

  const main = /** @type {HTMLElement} */ (document.getElementById('main'));
  main.setAttribute('aria-busy', 'true');
  let view;
  try {
    view = await route.render(new URLSearchParams(location.search));
  } catch (err) {
    if (err && typeof err === 'object' && 'handled' in err && err.handled) return;
    console.error(err);
    view = h('div', {}, notice('error', h('p', { text: errorMessage(err) })));
  }
  if (seq !== renderSeq) return; // a newer navigation won

  main.replaceChildren(view);
  const flashNow = pendingFlash;
  pendingFlash = null;
  if (flashNow) {
    // Right below the page's heading, where focus lands.
    const box = notice(flashNow.kind, h('p', { text: flashNow.msg }));
    const h1 = view.querySelector('h1');
    if (h1) h1.after(box);
    else view.prepend(box);
  }
  main.removeAttribute('aria-busy');
  setTitle(route.title);
  for (const fn of afterRender) fn(path);

  // Move focus to the new page's heading so keyboard and screen reader users
  // start there; not on the very first load, where the browser starts at the top.
  if (!firstRender) {
    const h1 = main.querySelector('h1');
    (h1 || main).focus();
  }
  firstRender = false;
}

/** @param {string} key */
function setTitle(key) {
  currentTitle = key;
  document.title = key === 'app.name' ? t('app.name') : `${t(key)} – ${t('app.name')}`;
}

onLangChange(() => setTitle(currentTitle));

/**
 * Follow links inside the app without reloading the page.
 * @param {MouseEvent} ev
 */
function onClick(ev) {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const target = ev.target instanceof Element ? ev.target.closest('a') : null;
  if (!target || target.target || target.hasAttribute('download')) return;
  const url = new URL(target.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || target.getAttribute('href')?.startsWith('#')) return;
  ev.preventDefault();
  navigate(url.pathname + url.search);
}

/** Start listening to links and the back/forward buttons. */
export function startRouter() {
  document.addEventListener('click', onClick);
  window.addEventListener('popstate', () => void render());
}
