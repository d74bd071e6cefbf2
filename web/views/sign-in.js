// Sign in to one of the customer's own apps (OpenID Connect). The
// authorization endpoint sends the browser here with ?request=<id>: the page
// names the app, speaks the language the app asked for (ui_locales) and starts
// with the email it suggested (login_hint). After the password the usual steps
// follow (second factor, or its setup and the recovery codes), each leading
// back here (session.js afterSignInPath); with a session the page hands it to
// the request and follows the redirect back to the app.

import * as api from '../api.js';
import { ApiError } from '../api.js';
import { button, h, heading, notice, para } from '../dom.js';
import { takeSignInEmail } from '../handover.js';
import { LANGS, lang, setLang } from '../i18n.js';
import { navigate, signedIn } from '../router.js';
import { clearAll, keepPendingSignIn, pendingSignIn } from '../session.js';
import { loginAsides, passwordForm } from './login.js';

/**
 * The first of the app's languages (ui_locales, most wanted first) the page speaks.
 * @param {unknown} uiLocales
 * @returns {import('../i18n.js').Lang | null}
 */
export function pageLang(uiLocales) {
  for (const tag of Array.isArray(uiLocales) ? uiLocales : []) {
    const primary = String(tag).toLowerCase().split('-')[0];
    const found = LANGS.find((l) => l === primary);
    if (found) return found;
  }
  return null;
}

/** @param {URLSearchParams} query */
export async function signInView(query) {
  const id = query.get('request') || pendingSignIn()?.id;
  const req = id ? await requestOrNull(id) : null;
  if (!id || !req) {
    keepPendingSignIn(null);
    return gone();
  }
  const wanted = pageLang(req.ui_locales);
  keepPendingSignIn({ id, clientName: req.client_name, lang: wanted });
  if (wanted && wanted !== lang()) await setLang(wanted);
  let again = false;
  if (signedIn()) {
    const leaving = await complete(id, req.client_name);
    if (leaving) return leaving;
    again = true;
  }
  return signInCard(id, req, again);
}

/**
 * @param {string} id
 * @returns {Promise<api.OidcRequest | null>} null once it expired or was used
 */
async function requestOrNull(id) {
  try {
    return await api.oidcRequest(id);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'not_found') return null;
    throw err;
  }
}

/**
 * Hand this tab's session to the request and leave for the app.
 * @param {string} id
 * @param {string} app
 * @returns {Promise<HTMLElement | null>} what shows while the browser leaves; null: sign in afresh
 */
async function complete(id, app) {
  let res;
  try {
    res = await api.oidcComplete(id);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    // The app wants a newer sign-in than this session's (prompt=login, max_age).
    if (err.code === 'login_required') {
      clearAll();
      return null;
    }
    if (err.code !== 'not_found') throw err;
    keepPendingSignIn(null);
    return gone();
  }
  return leave(res.redirect_to, app);
}

/**
 * @param {string} redirectTo the app's redirect URI, from our server
 * @param {string} app
 */
function leave(redirectTo, app) {
  keepPendingSignIn(null);
  location.assign(redirectTo);
  return h('section', { class: 'card' }, heading(1, { key: 'signIn.leaving', params: { app } }));
}

/** @param {string} id */
async function cancel(id) {
  let res;
  try {
    res = await api.oidcCancel(id);
  } catch (err) {
    if (err instanceof ApiError && err.handled) return;
    // Expired meanwhile: show the page again, which says so.
    navigate(location.pathname + location.search, { replace: true });
    return;
  }
  leave(res.redirect_to, '');
}

/**
 * @param {string} id
 * @param {api.OidcRequest} req
 * @param {boolean} again the session in this tab was not enough for the app
 */
function signInCard(id, req, again) {
  const app = req.client_name;
  return h(
    'section',
    { class: 'card' },
    heading(1, { key: 'signIn.title', params: { app } }),
    again ? notice('info', para({ key: 'signIn.again', params: { app } })) : null,
    para({ key: 'signIn.intro', params: { app } }),
    passwordForm(takeSignInEmail() || req.login_hint),
    ...loginAsides(),
    h('p', { class: 'aside' }, button({ key: 'signIn.cancel', params: { app } }, () => void cancel(id), { variant: 'link' })),
  );
}

/** The request is unknown, expired or already used. */
function gone() {
  return h(
    'section',
    { class: 'card' },
    heading(1, 'signIn.goneTitle'),
    para('signIn.gone'),
    h('p', {}, h('a', { text: 'signIn.toPortal', attrs: { href: '/' } })),
  );
}
