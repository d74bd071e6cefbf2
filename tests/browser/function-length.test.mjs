// No function of the page is longer than a screen (80 lines, from its first
// line to its closing brace, comments above it not counted): a reader should
// not have to scroll within one. Parsed with TypeScript (already here for the
// type check), so arrows and methods count as well as declarations.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { WEB_DIR } from './support.mjs';

const MAX_LINES = 80;

/** @param {string} dir @returns {string[]} */
function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return jsFiles(p);
    return e.name.endsWith('.js') ? [p] : [];
  });
}

test(`every function in web/ has at most ${MAX_LINES} lines`, () => {
  const ts = createRequire(import.meta.url)('typescript');
  const tooLong = [];
  for (const file of jsFiles(WEB_DIR)) {
    const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
    const line = (pos) => src.getLineAndCharacterOfPosition(pos).line + 1;
    const visit = (node) => {
      if (ts.isFunctionLike(node) && node.body) {
        const first = line(node.getStart(src));
        const lines = line(node.end) - first + 1;
        if (lines > MAX_LINES) tooLong.push(`${path.relative(WEB_DIR, file)}:${first}: ${lines} lines`);
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
  }
  assert.deepEqual(tooLong, []);
});
