// API error codes -> localized messages. The server's own text is only a fallback
// for codes this page does not know.

import { ApiError } from './api.js';

/** @typedef {import('./i18n.js').Msg} Msg */

const KNOWN = new Set([
  'invalid_request',
  'invalid_credentials',
  'invalid_code',
  'code_used',
  'unauthorized',
  'forbidden',
  'not_found',
  'email_taken',
  'username_taken',
  'invalid_token',
  'network',
  'unavailable',
  'conflict',
]);

/**
 * "Too many attempts. Try again in N seconds/minutes."
 * @param {number | null} seconds
 * @returns {Msg}
 */
export function tooManyAttempts(seconds) {
  if (seconds === null || seconds <= 0) return { key: 'error.too_many_attempts' };
  if (seconds < 120) return { key: 'error.too_many_attempts.seconds', params: { count: Math.ceil(seconds) } };
  return { key: 'error.too_many_attempts.minutes', params: { count: Math.ceil(seconds / 60) } };
}

/**
 * @param {unknown} err anything a view caught
 * @param {Partial<Record<string, string>>} [overrides] error code -> key, for wording that fits the form
 * @returns {Msg}
 */
export function errorMessage(err, overrides = {}) {
  if (!(err instanceof ApiError)) return { key: 'error.unknown' };
  const override = overrides[err.code];
  if (override) return { key: override };
  if (err.code === 'too_many_attempts') return tooManyAttempts(err.retryAfter);
  if (KNOWN.has(err.code)) return { key: `error.${err.code}` };
  if (err.serverMessage) return { text: err.serverMessage };
  return { key: 'error.unknown' };
}
