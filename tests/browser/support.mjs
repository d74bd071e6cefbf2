// Shared helpers for the browser tests: paths, the portal's address, Chromium,
// screenshots, authenticator codes (oathtool) and the local outbox.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..');
export const WEB_DIR = path.join(REPO_ROOT, 'web');
export const SHOT_DIR = path.join(REPO_ROOT, 'target', 'browser');
export const PORTAL_URL = (process.env.PORTAL_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
/** The running portal's data dir, for `portal staff add` and `portal client add` ('' when not given). */
export const DATA_DIR = process.env.PORTAL_DATA_DIR || '';
export const PORTAL_BIN =
  process.env.PORTAL_BIN || path.join(process.env.CARGO_TARGET_DIR || path.join(REPO_ROOT, 'target'), 'release', 'portal');

/** Flags without which Chromium hangs on a closed network. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The translations the page uses.
 * @param {'en' | 'de'} lang
 * @returns {Record<string, string>}
 */
export function dict(lang) {
  return JSON.parse(readFileSync(path.join(WEB_DIR, 'i18n', `${lang}.json`), 'utf8'));
}

/**
 * Fill in {name}-style parameters the way the page does.
 * @param {string} template
 * @param {Record<string, string | number>} params
 */
export function fill(template, params) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/**
 * The product's name the portal at `url` shows everywhere (GET /api/brand,
 * PORTAL_ISSUER).
 * @param {string} [url]
 * @returns {Promise<string>}
 */
export async function brandName(url = PORTAL_URL) {
  const res = await fetch(`${url}/api/brand`);
  assert.equal(res.status, 200, 'GET /api/brand');
  return (await res.json()).name;
}

/** Debian's Chromium, driven by playwright-core (no browser download). */
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/**
 * Screenshots to target/browser/<test>-<step>.png (CI keeps them). Every
 * state worth a screenshot is also checked by axe-core (WCAG 2.1 A/AA),
 * so each browser test keeps the page at zero violations in every state it
 * reaches, not only where someone thought to ask (issue 17). A screenshot
 * of a failure (`failed-…`) is not checked: the test failed already.
 * @param {import('playwright-core').Page} page
 * @param {string} testName
 */
export function screenshots(page, testName) {
  mkdirSync(SHOT_DIR, { recursive: true });
  for (const old of readdirSync(SHOT_DIR)) {
    if (old.startsWith(`${testName}-`) && old.endsWith('.png')) rmSync(path.join(SHOT_DIR, old));
  }
  let n = 0;
  /** @param {string} step */
  return async (step) => {
    n += 1;
    const file = path.join(SHOT_DIR, `${testName}-${String(n).padStart(2, '0')}-${step}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (!step.startsWith('failed-')) {
      assert.deepEqual(await axeViolations(page), [], `axe-core finds nothing at "${step}" (${file})`);
    }
  };
}

/**
 * Waits for `text` within `scope`. A time-out names what the scope showed
 * instead (an error message of another kind, the other language), which a
 * screenshot of another page would not.
 * @param {import('playwright-core').Locator} scope
 * @param {string} text
 */
export async function shownIn(scope, text) {
  try {
    await scope.getByText(text).waitFor();
  } catch (err) {
    const shown = await scope.innerText({ timeout: 1_000 }).catch(() => '(not on the page)');
    throw new Error(`${JSON.stringify(text)} is not shown; it reads: ${JSON.stringify(shown)}`, { cause: err });
  }
}

/** A unique email address for this run. */
export function uniqueEmail(prefix) {
  return `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** A strong random password. */
export function strongPassword() {
  return `Pw-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}!`;
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The authenticator code for `key` at time `ms`, from oathtool.
 * @param {string} key base32
 * @param {number} ms
 */
export function totpAt(key, ms) {
  const when = new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return execFileSync('oathtool', ['--totp', '-b', key, '--now', when], { encoding: 'utf8' }).trim();
}

/**
 * Run the portal binary's command line against the running portal's data
 * (e.g. `staff add`, `client add`).
 * @param {string[]} args
 * @param {string} [input] standard input
 * @returns {string} standard output
 */
export function portalCommand(args, input = '') {
  assert.ok(existsSync(PORTAL_BIN), `the portal binary is needed for "portal ${args[0]}": ${PORTAL_BIN} (set PORTAL_BIN)`);
  return execFileSync(PORTAL_BIN, args, {
    input,
    env: { ...process.env, PORTAL_DATA_DIR: DATA_DIR },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

/**
 * A JSON call to the API of the portal at `base`; fails on any error answer.
 * @param {string} base
 * @param {string} method
 * @param {string} apiPath
 * @param {unknown} [body]
 * @param {string} [token]
 */
export async function callAt(base, method, apiPath, body, token) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${apiPath}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${apiPath}: ${res.status} ${text}`);
  return data;
}

/**
 * A JSON call to the portal's API; fails on any error answer.
 * @param {string} method
 * @param {string} apiPath
 * @param {unknown} [body]
 * @param {string} [token]
 */
export function call(method, apiPath, body, token) {
  return callAt(PORTAL_URL, method, apiPath, body, token);
}

/**
 * A portal of a test's own, for settings the shared one cannot have (a
 * brand; `localhost` for passkeys, which refuse IP addresses): the binary
 * under test on a free port with a fresh data directory and `env` besides.
 * `stop` ends it and removes the data.
 * @param {string} name names the data directory
 * @param {{ host?: string, env?: Record<string, string> }} [opts] host: how the browser reaches it
 * @returns {Promise<{ base: string, stop: () => void }>}
 */
export async function ownPortal(name, opts = {}) {
  const port = await freePort();
  const base = `http://${opts.host || '127.0.0.1'}:${port}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `portal-${name}-`));
  const portal = spawn(PORTAL_BIN, [], {
    // Its public URL is where the browser reaches it (links, the passkeys' relying party).
    env: { ...process.env, PORTAL_DATA_DIR: dataDir, PORTAL_ADDR: `127.0.0.1:${port}`, PORTAL_PUBLIC_URL: base, ...opts.env },
    stdio: 'ignore',
  });
  const stop = () => {
    portal.kill();
    rmSync(dataDir, { recursive: true, force: true });
  };
  for (let i = 0; ; i += 1) {
    const up = await fetch(`${base}/`).then((r) => r.ok, () => false);
    if (up) break;
    if (i >= 100 || portal.exitCode !== null) {
      stop();
      assert.fail(`the ${name} portal did not start (${PORTAL_BIN})`);
    }
    await sleep(100);
  }
  return { base, stop };
}

/** A port nobody listens on yet. */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  return port;
}

/**
 * A customer whose second factor is an authenticator app, set up through the
 * API (the journey test covers doing it in the page).
 * @param {{ name: string, email: string, password: string }} who
 * @param {Set<number>} usedSteps
 * @returns {Promise<string>} the app's key (base32)
 */
export async function customerWithApp(who, usedSteps) {
  await call('POST', '/api/register', { ...who, locale: 'en' });
  const first = await call('POST', '/api/login', { email: who.email, password: who.password });
  let mfaToken = first.mfa_token;
  if (first.status === 'authenticated') {
    // The first sign-in lets a new account in; the next one demands setup.
    const second = await call('POST', '/api/login', { email: who.email, password: who.password });
    assert.equal(second.status, 'mfa_setup_required');
    mfaToken = second.mfa_token;
  }
  const setup = await call('POST', '/api/mfa/totp/setup', {}, mfaToken);
  await call('POST', '/api/mfa/totp/confirm', { code: await freshTotp(setup.secret, usedSteps) }, mfaToken);
  return setup.secret;
}

const STEP_MS = 30_000;

/**
 * A code the server accepts now and has not accepted before: it takes
 * each step once, and only steps after the last one it took (a code is
 * single-use). The current step's code when it is fresh and not in its
 * last two seconds (so the server sees the same step); otherwise the next
 * step's, which the server accepts as it accepts an app whose clock runs
 * up to one step ahead (`events::totp::check_code`); only when that one is
 * taken too does it wait for the next step. Waiting a whole step for every
 * second code made the browser tests spend minutes asleep.
 * @param {string} key
 * @param {Set<number>} usedSteps the steps this account's codes were of; updated
 * @returns {Promise<string>}
 */
export async function freshTotp(key, usedSteps) {
  for (;;) {
    const now = Date.now();
    const step = Math.floor(now / STEP_MS);
    const last = Math.max(-1, ...usedSteps);
    const currentFits = step > last && now % STEP_MS < STEP_MS - 2_000;
    const chosen = currentFits ? step : step + 1 > last ? step + 1 : null;
    if (chosen !== null) {
      usedSteps.add(chosen);
      return totpAt(key, chosen * STEP_MS + STEP_MS / 2);
    }
    await sleep(STEP_MS - (now % STEP_MS) + 300);
  }
}

/**
 * Everything the local backend "sent".
 * @returns {Promise<Array<{ channel: string, to: string, subject: string, body: string, sent_at: string }>>}
 */
export async function outbox() {
  const res = await fetch(`${PORTAL_URL}/dev/outbox`);
  if (!res.ok) throw new Error(`GET /dev/outbox: ${res.status}`);
  const data = await res.json();
  return data.items;
}

/**
 * Poll the outbox until an item matches (the mail goes out asynchronously).
 * @param {(item: { channel: string, to: string, subject: string, body: string }, index: number) => boolean} match
 * @param {number} [timeoutMs]
 */
export async function waitForOutbox(match, timeoutMs = 5_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const items = await outbox();
    const found = items.find(match);
    if (found) return found;
    if (Date.now() > until) {
      throw new Error(`no matching message in /dev/outbox after ${timeoutMs} ms; it holds:\n${JSON.stringify(items, null, 2)}`);
    }
    await sleep(250);
  }
}

/** axe-core's script, read once. */
let axeScript = '';
function axeSource() {
  axeScript = axeScript || readFileSync(path.join(here, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  return axeScript;
}

/**
 * The WCAG 2.1 A/AA rules axe-core finds broken on the page as it is now:
 * `[]` when none. Each entry names the rule and the elements.
 * @param {import('playwright-core').Page} page
 * @returns {Promise<string[]>}
 */
export async function axeViolations(page) {
  // Evaluated through the DevTools protocol: the page's Content-Security-Policy
  // (script-src 'self') stays in force and would refuse an added script tag.
  // @ts-ignore axe is the script added here, once per document
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource());
  return page.evaluate(async () => {
    // @ts-ignore axe is the script just added
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map(
      (/** @type {{ id: string, help: string, nodes: Array<{ target: unknown }> }} */ v) =>
        `${v.id} (${v.help}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`,
    );
  });
}

/**
 * Fail with a clear message if the page scrolls sideways (too wide for a phone).
 * @param {import('playwright-core').Page} page
 */
export async function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/**
 * A German mobile number no other test uses (+49151 and eight digits; each
 * number may get only 5 SMS an hour, across accounts).
 */
export function uniquePhone() {
  return `+49151${String(Math.floor(Math.random() * 100_000_000)).padStart(8, '0')}`;
}

/** How many SMS went to `phone` so far (pass to waitForSmsCode to wait for the next). */
export async function smsCount(phone) {
  return (await outbox()).filter((m) => m.channel === 'sms' && m.to === phone).length;
}

/**
 * The code of the next SMS to `phone` after `seen` earlier ones: the text
 * ends with the WebOTP line `@host #123456`.
 * @param {string} phone E.164
 * @param {number} seen
 */
export async function waitForSmsCode(phone, seen) {
  const until = Date.now() + 5_000;
  let sms;
  for (;;) {
    const to = (await outbox()).filter((m) => m.channel === 'sms' && m.to === phone);
    if (to.length > seen) {
      sms = to[seen];
      break;
    }
    if (Date.now() > until) throw new Error(`no SMS number ${seen + 1} to ${phone} in /dev/outbox`);
    await sleep(200);
  }
  const match = /#(\d{6})\s*$/.exec(sms.body);
  if (!match) throw new Error(`no code at the end of the SMS ${JSON.stringify(sms.body)}`);
  return match[1];
}

/**
 * The steps of one story, each a test: once one fails the rest are skipped
 * (they build on it), and the failing one leaves a screenshot.
 * @param {() => ((step: string) => Promise<unknown>) | undefined} currentShot the story's screenshot function, once made
 * @returns {(title: string, fn: (t: import('node:test').TestContext) => Promise<void>) => void}
 */
export function storySteps(currentShot) {
  let broken = false;
  return (title, fn) =>
    it(title, async (t) => {
      if (broken) {
        t.skip('an earlier step failed');
        return;
      }
      try {
        await fn(t);
      } catch (err) {
        broken = true;
        await currentShot()?.(`failed-${title.replace(/\W+/g, '-').toLowerCase()}`).catch(() => {});
        throw err;
      }
    });
}

/**
 * The frame of a story told in one browser, called inside `describe`: the
 * browser starts before the first step and closes after the last; `step` is
 * `storySteps`' (a failed step leaves a screenshot of the page opened last);
 * `openPage` opens a page in a fresh context (its own cookies and storage)
 * with the stories' time-out, and its screenshot function (axe-core at each).
 */
export function browserStory() {
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  /** @type {((step: string) => Promise<void>) | undefined} */
  let shot;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  return {
    step: storySteps(() => shot),
    /**
     * @param {string} name the screenshots' file prefix
     * @param {string} locale the browser's language, e.g. `de-DE`
     * @param {{ width: number, height: number }} viewport
     */
    async openPage(name, locale, viewport) {
      if (!browser) throw new Error('openPage runs within a step, once the browser has started');
      const page = await (await browser.newContext({ locale, viewport })).newPage();
      page.setDefaultTimeout(10_000);
      shot = screenshots(page, name);
      return { page, shot };
    },
  };
}

/**
 * An app of the customer's on an origin of its own (a free 127.0.0.1 port):
 * every path answers a small page titled `title` (the app's page, its
 * callback); the OpenID Connect tests read where the portal sent the browser.
 * @param {string} title
 * @returns {Promise<{ base: string, close: () => Promise<void> }>}
 */
export async function appOrigin(title) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><title>${title}</title><main><h1>${title}</h1></main></html>`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return {
    base: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

/**
 * Whether `word` inside `locator`'s text is laid out on one line (not split
 * by hyphenation or a forced break).
 * @param {import('playwright-core').Locator} locator
 * @param {string} word
 * @returns {Promise<boolean>}
 */
export async function wordOnOneLine(locator, word) {
  return locator.evaluate((el, w) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = (node.textContent || '').indexOf(w);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + w.length);
      const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      return tops.size === 1;
    }
    throw new Error(`"${w}" is not in the element's text`);
  }, word);
}

/**
 * Signs in through the API from the page's own context (its User-Agent and
 * address, as the server records them: login, then the authenticator's
 * code) and hands the session to the page as a sign-in would: for tests
 * whose subject is what comes after the sign-in.
 * @param {import('playwright-core').Page} page
 * @param {{ email: string, password: string }} who
 * @param {string} code the authenticator's code
 * @returns {Promise<string>} the session token
 */
export async function signedInThroughApi(page, who, code) {
  await page.goto(`${PORTAL_URL}/`);
  const token = await page.evaluate(
    async ({ email, password, code }) => {
      const post = async (path, body, token) => {
        const headers = { 'Content-Type': 'application/json' };
        if (token) headers.Authorization = `Bearer ${token}`;
        const res = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
        return res.json();
      };
      const login = await post('/api/login', { email, password });
      const verified = await post('/api/mfa/verify', { method: 'totp', code }, login.mfa_token);
      if (!verified.session_token) return JSON.stringify({ login, verified });
      sessionStorage.setItem('portal:session-token', verified.session_token);
      return { token: verified.session_token };
    },
    { email: who.email, password: who.password, code },
  );
  assert.equal(typeof token, 'object', `signed in: ${token}`);
  return token.token;
}

/**
 * Type the address and password into the page's sign-in form and send it.
 * @param {import('playwright-core').Page} page
 * @param {Record<string, string>} d the page's language (`dict`)
 * @param {string} email
 * @param {string} password
 */
export async function signInOnPage(page, d, email, password) {
  await page.goto(`${PORTAL_URL}/login`);
  await page.getByRole('heading', { level: 1, name: d['login.title'], exact: true }).waitFor();
  await page.getByLabel(d['login.email'], { exact: true }).fill(email);
  await page.getByLabel(d['login.password'], { exact: true }).fill(password);
  await page.getByRole('button', { name: d['login.submit'], exact: true }).click();
}

/**
 * A customer without a second factor whose first sign-in (the one allowed
 * without) is used up through the API: the next sign-in forces the setup.
 * @param {{ name: string, email: string, password: string }} who
 * @param {'en' | 'de'} locale
 */
export async function customerOwingSetup(who, locale) {
  await call('POST', '/api/register', { ...who, locale });
  const first = await call('POST', '/api/login', { email: who.email, password: who.password });
  assert.equal(first.status, 'authenticated');
}

/**
 * What a QR code on the page holds, read from a screenshot of `locator` by
 * zbarimg (Debian's zbar-tools), a decoder that knows nothing of the portal.
 * @param {import('playwright-core').Locator} locator
 * @returns {Promise<string>}
 */
export async function readQrCode(locator) {
  mkdirSync(SHOT_DIR, { recursive: true });
  const file = path.join(SHOT_DIR, `qr-${process.pid}-${Date.now()}.png`);
  await locator.screenshot({ path: file });
  try {
    return execFileSync('zbarimg', ['--quiet', '--raw', file], { encoding: 'utf8' }).trim();
  } finally {
    rmSync(file, { force: true });
  }
}
