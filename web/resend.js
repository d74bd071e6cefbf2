// A button that sends a code by SMS and then waits: it counts down until the
// next code may be asked for (`resend_after`), and after a 429 it counts down
// `retry_after` and says why. The countdown lives in the button's own text
// (not a live region), so screen readers are not told every second; the
// "code sent" line and errors are announced once.

import { ApiError } from './api.js';
import { announce, h, liveRegion } from './dom.js';
import { errorMessage, tooManyAttempts } from './errors.js';
import { setText } from './i18n.js';

/** @typedef {import('./api.js').SmsSent} SmsSent */
/**
 * @typedef {{
 *   first: string,
 *   again: string,
 *   wait: string,
 *   sent: string,
 *   send: () => Promise<SmsSent>,
 *   onSent?: (sent: SmsSent) => void,
 *   errors?: Partial<Record<string, string>>,
 *   status?: HTMLElement,
 * }} ResendSpec
 * Keys: `first` before any code ("Send code"), `again` once one went out,
 * `wait` ({count} seconds, plural forms) while waiting, `sent` ({phone} and
 * {count} minutes, plural forms) once a code is on its way; `status`: where
 * that line goes (an element with role status), instead of the button's own.
 */
/**
 * @typedef {{
 *   el: HTMLDivElement,
 *   button: HTMLButtonElement,
 *   waitFor: (seconds: number) => void,
 *   sentAlready: (sent: SmsSent) => void,
 * }} Resend
 */

/**
 * @param {ResendSpec} spec
 * @returns {Resend}
 */
export function resendButton(spec) {
  const status = spec.status || liveRegion('status', 'sms-status');
  const errors = liveRegion('alert', 'form__alert');
  const btn = h('button', { class: 'button button--secondary', text: spec.first, attrs: { type: 'button' } });
  let sentOnce = false;
  let busy = false;
  let deadline = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  const tick = () => {
    clearTimeout(timer);
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left > 0) {
      // aria-disabled rather than disabled: focus stays on the button.
      btn.setAttribute('aria-disabled', 'true');
      setText(btn, { key: spec.wait, params: { count: left } });
      timer = setTimeout(tick, Math.max(50, deadline - Date.now() - (left - 1) * 1000));
      return;
    }
    if (!busy) btn.removeAttribute('aria-disabled');
    setText(btn, { key: sentOnce ? spec.again : spec.first });
  };

  /** @param {number} seconds */
  const waitFor = (seconds) => {
    deadline = Date.now() + Math.max(0, seconds) * 1000;
    tick();
  };

  /** @param {SmsSent} sent */
  const sentAlready = (sent) => {
    sentOnce = true;
    const minutes = Math.max(1, Math.round(sent.expires_in / 60));
    announce(status, { key: spec.sent, params: { phone: sent.masked_phone || '…', count: minutes } });
    waitFor(sent.resend_after);
  };

  btn.addEventListener('click', async () => {
    if (busy || Date.now() < deadline) return;
    busy = true;
    btn.setAttribute('aria-disabled', 'true');
    announce(errors, null);
    try {
      const sent = await spec.send();
      sentAlready(sent);
      if (spec.onSent) spec.onSent(sent);
    } catch (err) {
      if (err instanceof ApiError && err.handled) return;
      if (err instanceof ApiError && err.code === 'too_many_attempts') {
        announce(errors, tooManyAttempts(err.retryAfter));
        if (err.retryAfter !== null) waitFor(err.retryAfter);
      } else {
        announce(errors, errorMessage(err, spec.errors));
      }
    } finally {
      busy = false;
      tick();
    }
  });

  const el = h('div', { class: 'resend' }, btn, spec.status ? null : status, errors);
  return { el, button: btn, waitFor, sentAlready };
}
