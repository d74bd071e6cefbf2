// The page's JavaScript type-checks (JSDoc types) under tsc --checkJs.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { WEB_DIR } from './support.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsc = path.join(here, 'node_modules', '.bin', 'tsc');

test('web/ type-checks: tsc --checkJs --noEmit -p web', () => {
  assert.ok(existsSync(tsc), `${tsc} is missing: run "npm ci" in tests/browser`);
  const run = spawnSync(tsc, ['--checkJs', '--noEmit', '-p', WEB_DIR], { encoding: 'utf8' });
  assert.equal(run.status, 0, `tsc found problems:\n${run.stdout}${run.stderr}`);
});
