// Small helpers to build the page from code, with translatable text.

import { setAttrs, setText } from './i18n.js';

/** @typedef {import('./i18n.js').Msg} Msg */
/** @typedef {{ [K in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[K]) => void }} Handlers */
/**
 * @typedef {{
 *   text?: Msg | string,
 *   attrs?: Record<string, string | number | boolean | null | undefined>,
 *   i18nAttrs?: Record<string, string>,
 *   class?: string,
 *   on?: Handlers,
 * }} Props
 * `text` is a message or a key; `attrs` with false/null/undefined are left out;
 * `i18nAttrs` maps attribute names to keys (e.g. aria-label).
 */
/** @typedef {Node | string | null | undefined | false} Child */

let idCounter = 0;

/**
 * A unique id for label/aria wiring.
 * @param {string} prefix
 */
export function uid(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/**
 * Build an element.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} [props]
 * @param {...Child} children strings are literal text (e.g. codes), not keys
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.attrs) {
    for (const [name, value] of Object.entries(props.attrs)) {
      if (value === false || value === null || value === undefined) continue;
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  if (props.i18nAttrs) setAttrs(el, props.i18nAttrs);
  if (props.text !== undefined) setText(el, toMsg(props.text));
  if (props.on) {
    for (const [type, fn] of Object.entries(props.on)) {
      if (fn) el.addEventListener(type, /** @type {EventListener} */ (fn));
    }
  }
  append(el, ...children);
  return el;
}

/**
 * @param {Element} parent
 * @param {...Child} children
 */
export function append(parent, ...children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child);
  }
}

/**
 * @param {Msg | string} m a message or a key
 * @returns {Msg}
 */
export function toMsg(m) {
  return typeof m === 'string' ? { key: m } : m;
}

/**
 * A heading that can take focus when its page opens.
 * @param {1 | 2 | 3} level
 * @param {Msg | string} text
 * @param {Props['attrs']} [attrs]
 */
export function heading(level, text, attrs = {}) {
  const tag = /** @type {'h1' | 'h2' | 'h3'} */ (`h${level}`);
  return h(tag, { text, attrs: level === 1 ? { tabindex: '-1', ...attrs } : attrs });
}

/**
 * A paragraph of text.
 * @param {Msg | string} text
 * @param {string} [cls]
 */
export function para(text, cls) {
  return h('p', { text, class: cls });
}

/**
 * A button.
 * @param {Msg | string} text
 * @param {(ev: MouseEvent) => void} [onClick]
 * @param {{ type?: 'button' | 'submit', variant?: 'primary' | 'secondary' | 'link', attrs?: Props['attrs'] }} [opts]
 */
export function button(text, onClick, opts = {}) {
  const variant = opts.variant || 'secondary';
  return h('button', {
    text,
    class: variant === 'link' ? 'link-button' : `button button--${variant}`,
    attrs: { type: opts.type || 'button', ...opts.attrs },
    on: onClick ? { click: onClick } : {},
  });
}

/**
 * A notice box. Status notices are announced politely; alerts at once.
 * @param {'info' | 'success' | 'warning' | 'error'} kind
 * @param {...Child} children
 */
export function notice(kind, ...children) {
  const role = kind === 'error' ? 'alert' : 'status';
  return h('div', { class: `notice notice--${kind}`, attrs: { role } }, ...children);
}

/**
 * An empty live region for messages that appear later (form errors, "copied").
 * Present in the page from the start so assistive technology notices changes.
 * @param {'alert' | 'status'} role
 * @param {string} [cls]
 */
export function liveRegion(role, cls = '') {
  return h('div', { class: `live ${cls}`.trim(), attrs: { role, 'aria-live': role === 'alert' ? 'assertive' : 'polite' } });
}

/**
 * Show or clear a message in a live region; an error region gets the error style.
 * @param {HTMLElement} region
 * @param {Msg | null} msg
 */
export function announce(region, msg) {
  setText(region, msg);
  region.classList.toggle('live--shown', msg !== null);
}
