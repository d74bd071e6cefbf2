// Language choice and translations. All visible text comes from i18n/<lang>.json.
//
// Elements built with dom.js remember which key (and parameters) their text came
// from in data attributes, so switching the language re-translates the page in
// place without losing what the person typed or what the server sent.

import { brand } from './brand.js';

/** @typedef {'en' | 'de'} Lang */
/** @typedef {Record<string, string | number>} Params */
/**
 * A translatable message: a key of i18n/*.json with optional parameters.
 * Parameter `count` (a number) picks the plural form `<key>.one` / `<key>.other`.
 * `text` instead of `key` is a literal (e.g. a server message shown as a fallback).
 * @typedef {{ key: string, params?: Params } | { text: string }} Msg
 */

/** @type {readonly Lang[]} */
export const LANGS = ['en', 'de'];
const STORAGE_KEY = 'portal:lang';

/** @type {Lang} */
let current = 'en';
/** @type {Record<string, string>} */
let dict = {};
/** @type {Array<(lang: Lang) => void>} */
const listeners = [];

/**
 * German for de*, English otherwise; a choice made with the switch wins.
 * @returns {Lang}
 */
export function chooseLang() {
  const stored = safeStorageGet(STORAGE_KEY);
  if (stored === 'en' || stored === 'de') return stored;
  const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  for (const tag of prefs) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'de') return 'de';
    if (primary === 'en') return 'en';
  }
  return 'en';
}

/** @returns {Lang} */
export function lang() {
  return current;
}

/** @param {Lang} l */
export function otherLang(l) {
  return l === 'de' ? 'en' : 'de';
}

/**
 * Load the dictionary for `l`, make it current and re-translate the document.
 * @param {Lang} l
 * @param {{ remember?: boolean }} [opts]
 */
export async function setLang(l, opts = {}) {
  const res = await fetch(`/i18n/${l}.json`, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`cannot load /i18n/${l}.json: ${res.status}`);
  dict = /** @type {Record<string, string>} */ (await res.json());
  current = l;
  if (opts.remember) safeStorageSet(STORAGE_KEY, l);
  document.documentElement.lang = l;
  translateTree(document.body);
  for (const fn of listeners) fn(l);
}

/** @param {(lang: Lang) => void} fn called after every language change */
export function onLangChange(fn) {
  listeners.push(fn);
}

/**
 * Translate a key. Missing keys show the key itself, so gaps are visible.
 * @param {string} key
 * @param {Params} [params]
 * @returns {string}
 */
export function t(key, params) {
  let k = key;
  if (params && typeof params.count === 'number' && !(key in dict)) {
    const form = new Intl.PluralRules(current).select(params.count) === 'one' ? 'one' : 'other';
    k = `${key}.${form}`;
  }
  const template = dict[k];
  if (template === undefined) return key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => {
    if (params && name in params) return String(params[name]);
    // The operator's product name, the same in every language (brand.js).
    return name === 'brand' ? brand().name : whole;
  });
}

/**
 * Text for a message.
 * @param {Msg} msg
 * @returns {string}
 */
export function msgText(msg) {
  return 'text' in msg ? msg.text : t(msg.key, msg.params);
}

/**
 * Set an element's text from a message and remember it for re-translation.
 * @param {HTMLElement} el
 * @param {Msg | null} msg null empties the element
 */
export function setText(el, msg) {
  delete el.dataset.i18n;
  delete el.dataset.i18nParams;
  if (!msg) {
    el.textContent = '';
    return;
  }
  if ('key' in msg) {
    el.dataset.i18n = msg.key;
    if (msg.params) el.dataset.i18nParams = JSON.stringify(msg.params);
  }
  el.textContent = msgText(msg);
}

/**
 * Set attributes (e.g. aria-label) from keys and remember them.
 * @param {HTMLElement} el
 * @param {Record<string, string>} attrKeys attribute name -> key
 */
export function setAttrs(el, attrKeys) {
  el.dataset.i18nAttrs = JSON.stringify(attrKeys);
  for (const [attr, key] of Object.entries(attrKeys)) el.setAttribute(attr, t(key));
}

/**
 * Re-translate every remembered text and attribute below `root`.
 * @param {ParentNode} root
 */
export function translateTree(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const h = /** @type {HTMLElement} */ (el);
    const params = h.dataset.i18nParams ? /** @type {Params} */ (JSON.parse(h.dataset.i18nParams)) : undefined;
    h.textContent = t(/** @type {string} */ (h.dataset.i18n), params);
  }
  for (const el of root.querySelectorAll('[data-i18n-attrs]')) {
    const h = /** @type {HTMLElement} */ (el);
    const attrs = /** @type {Record<string, string>} */ (JSON.parse(h.dataset.i18nAttrs || '{}'));
    for (const [attr, key] of Object.entries(attrs)) h.setAttribute(attr, t(key));
  }
}

/** @param {string} key */
function safeStorageGet(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** @param {string} key @param {string} value */
function safeStorageSet(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private mode or storage disabled: the choice lasts for this page only.
  }
}
