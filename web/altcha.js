// ALTCHA v1 proof of work, without the widget: the server publishes
// challenge = hex(sha256(salt + n)) for a secret n <= maxnumber; the page
// tries numbers until one matches and sends base64(JSON) of what it found.
// Solving starts as soon as the form opens and runs in chunks, so typing
// stays smooth; the person never has to click anything for it.

import * as api from './api.js';
import { announce, button, h, liveRegion } from './dom.js';

/** @typedef {import('./api.js').AltchaChallenge} AltchaChallenge */

/** Numbers hashed per chunk before the page gets the main thread back. */
const CHUNK = 500;
/** A solution this close to the salt's expiry is not worth sending. */
const EXPIRY_MARGIN_MS = 15_000;

/** @param {string} hex */
function hexBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** @param {ArrayBuffer} buf @param {Uint8Array} want */
function sameBytes(buf, want) {
  const got = new Uint8Array(buf);
  if (got.length !== want.length) return false;
  for (let i = 0; i < got.length; i += 1) if (got[i] !== want[i]) return false;
  return true;
}

/** Let the browser paint and handle input between chunks. */
const yieldToPage = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * The number that solves `c`, or null if none up to maxnumber does.
 * @param {AltchaChallenge} c
 * @param {{ cancelled?: () => boolean }} [opts] stop early (null) once cancelled() is true
 * @returns {Promise<number | null>}
 */
export async function solve(c, opts = {}) {
  if (c.algorithm !== 'SHA-256') throw new Error(`unsupported ALTCHA algorithm ${c.algorithm}`);
  const want = hexBytes(c.challenge.toLowerCase());
  const encoder = new TextEncoder();
  for (let start = 0; start <= c.maxnumber; start += CHUNK) {
    if (opts.cancelled && opts.cancelled()) return null;
    const end = Math.min(start + CHUNK - 1, c.maxnumber);
    /** @type {Promise<ArrayBuffer>[]} */
    const digests = [];
    for (let n = start; n <= end; n += 1) digests.push(crypto.subtle.digest('SHA-256', encoder.encode(c.salt + n)));
    const results = await Promise.all(digests);
    const hit = results.findIndex((d) => sameBytes(d, want));
    if (hit >= 0) return start + hit;
    await yieldToPage();
  }
  return null;
}

/**
 * What POST /api/reset-requests expects in `altcha`.
 * @param {AltchaChallenge} c
 * @param {number} number
 */
export function payload(c, number) {
  const json = JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number, salt: c.salt, signature: c.signature });
  let binary = '';
  for (const byte of new TextEncoder().encode(json)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * When the challenge stops being accepted (`?expires=<unix seconds>` in the salt).
 * @param {string} salt
 * @returns {number | null} milliseconds since the epoch
 */
export function expiresAt(salt) {
  const query = salt.split('?')[1];
  if (!query) return null;
  const value = new URLSearchParams(query).get('expires');
  const seconds = value === null ? NaN : Number(value);
  return Number.isFinite(seconds) ? seconds * 1000 : null;
}

/**
 * @typedef {{
 *   el: HTMLElement,
 *   payload: () => Promise<string>,
 *   renew: () => void,
 * }} AltchaCheck
 * `payload()` waits for the check (starting a fresh one if the last failed or
 * is about to expire); `renew()` throws the current solution away (a payload
 * is accepted once) and starts solving a new challenge.
 */

/**
 * The "checking that you are human" line of a form; starts at once.
 * @returns {AltchaCheck}
 */
export function altchaCheck() {
  const status = liveRegion('status', 'altcha__status');
  const retry = button('altcha.retry', () => void start(), { variant: 'link', attrs: { hidden: true } });
  const el = h('div', { class: 'altcha', attrs: { 'data-state': 'working' } }, status, retry);

  /** @type {Promise<{ c: AltchaChallenge, number: number } | null> | null} */
  let current = null;
  let generation = 0;

  /** @param {'working' | 'done' | 'failed'} state */
  const show = (state) => {
    el.dataset.state = state;
    retry.hidden = state !== 'failed';
    announce(status, { key: `altcha.${state}` });
  };

  const start = () => {
    const mine = ++generation;
    const cancelled = () => mine !== generation || (started && !el.isConnected);
    show('working');
    current = (async () => {
      try {
        const c = await api.altchaChallenge();
        const number = await solve(c, { cancelled });
        if (mine !== generation) return null;
        if (number === null) throw new Error('ALTCHA challenge has no solution');
        show('done');
        return { c, number };
      } catch (err) {
        if (mine === generation) show('failed');
        if (!(err instanceof api.ApiError)) console.error(err);
        return null;
      }
    })();
    return current;
  };
  // Stop solving once the form is gone (e.g. the person went back); the
  // first render happens before the element is in the page.
  let started = false;
  requestAnimationFrame(() => {
    started = true;
  });
  void start();

  return {
    el,
    renew: () => void start(),
    payload: async () => {
      let solved = await (current || start());
      const expiry = solved ? expiresAt(solved.c.salt) : null;
      if (!solved || (expiry !== null && Date.now() > expiry - EXPIRY_MARGIN_MS)) solved = await start();
      if (!solved) throw new api.ApiError(0, 'altcha_failed', '', {});
      return payload(solved.c, solved.number);
    },
  };
}
