// Dates and times from the server (RFC 3339, UTC) shown in the page's
// language and the browser's time zone. Formatted by the browser (Intl), not
// translated: switching the language re-formats every <time> built here.

import { h } from './dom.js';
import { lang, onLangChange } from './i18n.js';

/**
 * The browser's own variant of the page's language (en-GB, de-AT), so dates
 * look as the person is used to; the plain language otherwise.
 * @returns {string}
 */
export function dateLocale() {
  const current = lang();
  const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || current];
  return prefs.find((tag) => tag.toLowerCase().split('-')[0] === current) || current;
}

/**
 * Date and time in the page's language and the browser's time zone.
 * @param {string} iso RFC 3339 from the server
 * @param {Intl.DateTimeFormatOptions} [style] defaults to medium date, short time
 */
export function formatDateTime(iso, style = { dateStyle: 'medium', timeStyle: 'short' }) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(dateLocale(), style).format(date);
}

/** A deadline, with weekday and time zone: "Monday, 7 December 2026 at 15:00 CET". */
export const DEADLINE = /** @type {Intl.DateTimeFormatOptions} */ ({
  weekday: 'long',
  year: 'numeric',
  month: 'long',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
});

/**
 * A <time> element that follows the language switch.
 * @param {string} iso
 * @param {Intl.DateTimeFormatOptions} [style]
 */
export function timeEl(iso, style) {
  const el = h('time', { class: 'js-datetime', attrs: { datetime: iso } }, formatDateTime(iso, style));
  if (style) el.dataset.style = JSON.stringify(style);
  return el;
}

/**
 * How long ago, in the page's language ("3 years ago", "vor 2 Stunden").
 * @param {string} iso
 * @param {number} [now] milliseconds since the epoch
 */
export function formatAgo(iso, now = Date.now()) {
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  const seconds = (then - now) / 1000;
  /** @type {Array<[Intl.RelativeTimeFormatUnit, number]>} */
  const units = [['year', 365 * 86400], ['month', 30 * 86400], ['day', 86400], ['hour', 3600], ['minute', 60]];
  const fmt = new Intl.RelativeTimeFormat(dateLocale(), { numeric: 'auto' });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return fmt.format(Math.trunc(seconds / size), unit);
  }
  return fmt.format(0, 'minute');
}

/**
 * A duration as a message with a count, in minutes, hours or days (keys with
 * .one/.other forms); never "0 minutes".
 * @param {{ minutes: string, hours: string, days: string }} keys
 * @param {number} ms positive
 * @returns {import('./i18n.js').Msg}
 */
export function durationMsg(keys, ms) {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes < 60) return { key: keys.minutes, params: { count: minutes } };
  const hours = Math.round(minutes / 60);
  if (hours < 48) return { key: keys.hours, params: { count: hours } };
  return { key: keys.days, params: { count: Math.round(hours / 24) } };
}

onLangChange(() => {
  for (const el of document.querySelectorAll('time.js-datetime')) {
    const t = /** @type {HTMLElement} */ (el);
    const style = t.dataset.style ? /** @type {Intl.DateTimeFormatOptions} */ (JSON.parse(t.dataset.style)) : undefined;
    t.textContent = formatDateTime(t.getAttribute('datetime') || '', style);
  }
});
