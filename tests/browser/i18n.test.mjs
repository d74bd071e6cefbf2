// The translations: same keys in both languages, no empty texts, the same
// {placeholders}, and every key the page's code names exists.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { WEB_DIR, dict } from './support.mjs';

const en = dict('en');
const de = dict('de');

test('en.json and de.json have the same keys', () => {
  const enKeys = Object.keys(en).sort();
  const deKeys = Object.keys(de).sort();
  assert.deepEqual(
    { onlyEnglish: enKeys.filter((k) => !(k in de)), onlyGerman: deKeys.filter((k) => !(k in en)) },
    { onlyEnglish: [], onlyGerman: [] },
  );
});

test('every text is a non-empty string with the same placeholders in both languages', () => {
  const placeholders = (s) => (s.match(/\{\w+\}/g) || []).sort();
  for (const [key, value] of Object.entries(en)) {
    for (const [lang, d] of [['en', en], ['de', de]]) {
      assert.equal(typeof d[key], 'string', `${lang}: ${key} is a string`);
      assert.notEqual(d[key].trim(), '', `${lang}: ${key} is not empty`);
    }
    assert.deepEqual(placeholders(de[key]), placeholders(value), `placeholders of ${key}`);
  }
});

test('every error code of the API contract (and code_used) has a message', () => {
  for (const code of ['invalid_request', 'invalid_credentials', 'invalid_code', 'code_used', 'unauthorized', 'forbidden', 'not_found', 'email_taken', 'invalid_token', 'too_many_attempts']) {
    assert.ok(`error.${code}` in en, `error.${code}`);
  }
  for (const unit of ['seconds', 'minutes']) {
    for (const form of ['one', 'other']) assert.ok(`error.too_many_attempts.${unit}.${form}` in en);
  }
});

/** @param {string} dir @returns {string[]} */
function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return jsFiles(p);
    return e.name.endsWith('.js') ? [p] : [];
  });
}

test('every key named in the page code exists', () => {
  const missing = [];
  for (const file of jsFiles(WEB_DIR)) {
    const code = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const [, key] of code.matchAll(/'([a-z]+(?:\.[a-zA-Z_]+)+)'/g)) {
      const known = key in en || (`${key}.one` in en && `${key}.other` in en);
      if (!known) missing.push(`${path.relative(WEB_DIR, file)}: ${key}`);
    }
  }
  assert.deepEqual(missing, []);
});
