// A single-page app on its own origin, with Chromium enforcing CORS: the
// browser, not our code, decides whether a page may read an answer. Two
// origins are served by this test on other 127.0.0.1 ports: the app's, where
// a public client (`portal client add --public`) has its redirect URI, and a
// stranger's, registered nowhere. The app gets its code through the portal's
// page (password, then the authenticator app), then from its own page
// `fetch`es the token endpoint (a form POST with the code_verifier) and
// userinfo (a Bearer header, so the browser sends a preflight first) and reads
// the JSON. The same calls from the stranger's page reject (TypeError), while
// discovery and the JWKS are readable from anywhere.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import * as oidc from 'openid-client';
import {
  DATA_DIR,
  appOrigin,
  PORTAL_URL,
  customerWithApp,
  dict,
  fill,
  freshTotp,
  launchBrowser,
  portalCommand,
  screenshots,
  storySteps,
  strongPassword,
  uniqueEmail,
} from './support.mjs';

const en = dict('en');

/**
 * What a page's `fetch` gets: the JSON it could read, or the error it
 * rejected with (a TypeError when CORS forbids reading the answer).
 * @param {import('playwright-core').Page} page
 * @param {string} url
 * @param {{ form?: Record<string, string>, bearer?: string }} how a form POST, or a GET with a Bearer header
 * @returns {Promise<{ status?: number, json?: any, rejected?: string }>}
 */
function pageFetch(page, url, how) {
  return page.evaluate(async ({ url, form, bearer }) => {
    try {
      const res = form
        ? await fetch(url, { method: 'POST', body: new URLSearchParams(form) })
        : await fetch(url, { headers: bearer ? { Authorization: `Bearer ${bearer}` } : {} });
      return { status: res.status, json: await res.json() };
    } catch (err) {
      return { rejected: err instanceof Error ? err.name : String(err) };
    }
  }, { url, ...how });
}

describe('a single-page app on its own origin reads the token and userinfo answers; a stranger\'s page cannot', { concurrency: 1, skip: DATA_DIR ? false : 'needs PORTAL_DATA_DIR (the running portal\'s data dir) for `portal client add`' }, () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {(step: string) => Promise<void>} */
  let shot;
  /** @type {{ base: string, close: () => Promise<void> }} */
  let spa;
  /** @type {{ base: string, close: () => Promise<void> }} */
  let stranger;
  const customer = { name: 'Sam Single', email: uniqueEmail('spa'), password: strongPassword() };
  const usedSteps = new Set();
  const appName = 'Calendar SPA';
  let clientId = '';
  /** @type {{ access_token: string, refresh_token: string }} */
  let tokens;

  const step = storySteps(() => shot);
  const callback = () => `${spa.base}/callback`;

  before(async () => {
    spa = await appOrigin('The calendar app');
    stranger = await appOrigin('Somebody else');
    browser = await launchBrowser();
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 900, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    shot = screenshots(page, 'oidc-cors');
  });

  after(async () => {
    await browser?.close();
    await spa?.close();
    await stranger?.close();
  });

  step('1. the app signs a person in through the portal\'s page and its own page redeems the code', async () => {
    const key = await customerWithApp(customer, usedSteps);
    const out = portalCommand(['client', 'add', '--name', appName, '--public', '--redirect-uri', callback()]);
    clientId = JSON.parse(out.trim().split('\n').pop() || '{}').client_id;
    assert.equal(typeof clientId, 'string', out);

    const config = await oidc.discovery(new URL(PORTAL_URL), clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: callback(),
      scope: 'openid email profile offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: oidc.randomState(),
      login_hint: customer.email,
    });
    await page.goto(url.href);
    await page.getByRole('heading', { level: 1, name: fill(en['signIn.title'], { app: appName }), exact: true }).waitFor();
    await page.getByLabel(en['login.password'], { exact: true }).fill(customer.password);
    await page.getByRole('button', { name: en['login.submit'], exact: true }).click();
    await page.getByRole('heading', { level: 1, name: en['verify.title'], exact: true }).waitFor();
    await page.getByLabel(en['verify.totp.code'], { exact: true }).fill(await freshTotp(key, usedSteps));
    await page.getByRole('button', { name: en['verify.submit'], exact: true }).click();
    await page.waitForURL((u) => u.href.startsWith(callback()));
    await shot('callback');

    // Now on the app's own origin, as the app's JavaScript.
    const code = /** @type {string} */ (new URL(page.url()).searchParams.get('code'));
    const answer = await pageFetch(page, config.serverMetadata().token_endpoint || '', {
      form: { grant_type: 'authorization_code', code, redirect_uri: callback(), code_verifier: verifier, client_id: clientId },
    });
    assert.equal(answer.rejected, undefined, 'the app reads the token endpoint\'s answer');
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.equal(answer.json.token_type, 'Bearer');
    assert.ok(answer.json.id_token && answer.json.access_token && answer.json.refresh_token);
    tokens = answer.json;
  });

  step('2. userinfo with a Bearer header from the app\'s page: the browser\'s preflight is allowed', async () => {
    const answer = await pageFetch(page, `${PORTAL_URL}/oidc/userinfo`, { bearer: tokens.access_token });
    assert.equal(answer.rejected, undefined, 'the preflight and the answer are allowed');
    assert.equal(answer.status, 200);
    assert.equal(answer.json.email, customer.email);
  });

  step('3. the same calls from a stranger\'s page reject; discovery and the JWKS it may read', async () => {
    await page.goto(`${stranger.base}/`);
    await shot('stranger');
    const info = await pageFetch(page, `${PORTAL_URL}/oidc/userinfo`, { bearer: tokens.access_token });
    assert.equal(info.rejected, 'TypeError', `userinfo from an unregistered origin: ${JSON.stringify(info)}`);
    const token = await pageFetch(page, `${PORTAL_URL}/oidc/token`, {
      form: { grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: callback(), code_verifier: 'x', client_id: clientId },
    });
    assert.equal(token.rejected, 'TypeError', `the token endpoint from an unregistered origin: ${JSON.stringify(token)}`);

    const discovery = await pageFetch(page, `${PORTAL_URL}/.well-known/openid-configuration`, {});
    assert.equal(discovery.json?.issuer, PORTAL_URL, JSON.stringify(discovery));
    const jwks = await pageFetch(page, `${PORTAL_URL}/oidc/jwks`, {});
    assert.ok(Array.isArray(jwks.json?.keys) && jwks.json.keys.length > 0, JSON.stringify(jwks));
  });

  step('4. once the app is removed, its own page can no longer read userinfo', async () => {
    portalCommand(['client', 'remove', clientId]);
    await page.goto(`${spa.base}/`);
    const info = await pageFetch(page, `${PORTAL_URL}/oidc/userinfo`, { bearer: tokens.access_token });
    assert.equal(info.rejected, 'TypeError', JSON.stringify(info));
  });
});
