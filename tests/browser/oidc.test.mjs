// The portal as the OpenID Provider of the customer's own apps, checked by a
// relying-party library nobody here wrote: openid-client (OpenID Certified),
// driving the real page in Chromium against a running portal (PORTAL_URL).
// Two apps are registered with `portal client add` against the portal's
// PORTAL_DATA_DIR: "Ventilation Cloud" (confidential, client_secret_basic) and
// "Tenant Portal" (public, PKCE only). Their redirect URIs are loopback URLs
// served by this test.
//
// Discovery; authorization code + PKCE through the page (the app's name, the
// email from login_hint, password, then the authenticator app's code from
// oathtool); the code exchange with the ID token checked (signature via the
// JWKS, iss, aud, nonce, amr with mfa); userinfo; refresh with rotation, and
// a reused refresh token that revokes the family; the second app signed in
// without a password (single sign-on within max_age); ui_locales=de giving the
// German page through to the second factor; prompt=login asking again, and
// cancel answering access_denied; RP-initiated logout ending the single
// sign-on and the grants.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import * as oidc from 'openid-client';
import {
  DATA_DIR,
  appOrigin,
  PORTAL_URL,
  axeViolations,
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
const de = dict('de');

const SCOPE = 'openid email profile offline_access';

/**
 * Register an app with `portal client add`; it prints one JSON line.
 * @param {string[]} args
 * @returns {{ client_id: string, client_secret?: string }}
 */
function clientAdd(args) {
  const out = portalCommand(['client', 'add', ...args]);
  const line = out.trim().split('\n').pop() || '';
  const registered = JSON.parse(line);
  assert.equal(typeof registered.client_id, 'string', `client_id in ${line}`);
  return registered;
}

/**
 * The relying party's configuration from discovery. Plain http is the
 * loopback test portal; the non-repudiation checks make openid-client verify
 * every ID token's signature with the keys of jwks_uri.
 * @param {string} clientId
 * @param {oidc.ClientAuth} auth
 */
function discover(clientId, auth) {
  return oidc.discovery(new URL(PORTAL_URL), clientId, undefined, auth, {
    execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
  });
}

/**
 * An authorization request with PKCE (S256), state and nonce.
 * @param {oidc.Configuration} config
 * @param {string} redirectUri
 * @param {Record<string, string>} [extra] more parameters (login_hint, ui_locales, prompt, max_age)
 */
async function authorization(config, redirectUri, extra = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: SCOPE,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return {
    url: url.href,
    /** @param {string} callbackUrl where the portal sent the browser back */
    exchange: (callbackUrl) =>
      oidc.authorizationCodeGrant(config, new URL(callbackUrl), {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
        maxAge: extra.max_age ? Number(extra.max_age) : undefined,
      }),
  };
}

/**
 * The parts of a JWT, unverified (openid-client verifies; this only reads).
 * @param {string} jwt
 */
function decodeJwt(jwt) {
  const [header, payload] = jwt.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
  return { header, payload };
}

/**
 * An OAuth error answer from openid-client, e.g. invalid_grant from the token
 * endpoint or access_denied in the redirect.
 * @param {string} code
 */
const oauthError = (code) => (/** @type {any} */ err) => {
  assert.equal(err?.error, code, `expected the OAuth error ${code}, got ${err?.error}: ${err?.message}`);
  return true;
};

describe('OpenID Connect with openid-client: the page, tokens, refresh, single sign-on, logout', { concurrency: 1, skip: DATA_DIR ? false : 'needs PORTAL_DATA_DIR (the running portal\'s data dir) for `portal client add`' }, () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {(step: string) => Promise<void>} */
  let shot;
  /** @type {{ base: string, close: () => Promise<void> }} */
  let app;

  const customer = { name: 'Alex Example', email: uniqueEmail('oidc'), password: strongPassword() };
  const usedSteps = new Set();
  let key = '';
  const ventilation = 'Ventilation Cloud';
  const tenant = 'Tenant Portal';
  /** @type {oidc.Configuration} */
  let confidential;
  /** @type {oidc.Configuration} */
  let publicApp;
  /** @type {string} */
  let confidentialId = '';
  /** @type {string} */
  let publicId = '';
  /** @type {Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>} */
  let first;
  /** @type {string} */
  let publicRefresh = '';

  const step = storySteps(() => shot);
  const callback = () => `${app.base}/callback`;
  const callbackB = () => `${app.base}/tenant/callback`;
  const signedOut = () => `${app.base}/signed-out`;

  /** @param {import('playwright-core').Page} p @param {string} text */
  const heading = (p, text) => p.getByRole('heading', { level: 1, name: text, exact: true });
  /** @param {import('playwright-core').Page} p @param {string} prefix */
  const landedAt = (p, prefix) => p.waitForURL((u) => u.href.startsWith(prefix));

  before(async () => {
    app = await appOrigin('The app');
    browser = await launchBrowser();
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 900, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    shot = screenshots(page, 'oidc');
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  step('1. apps registered with portal client add; discovery through openid-client', async () => {
    key = await customerWithApp(customer, usedSteps);
    const a = clientAdd(['--name', ventilation, '--redirect-uri', callback(), '--post-logout-redirect-uri', signedOut()]);
    assert.equal(typeof a.client_secret, 'string', 'a confidential client gets a secret, once');
    const b = clientAdd(['--name', tenant, '--public', '--redirect-uri', callbackB()]);
    assert.equal(b.client_secret, undefined, 'a public client gets no secret');
    confidentialId = a.client_id;
    publicId = b.client_id;

    confidential = await discover(confidentialId, oidc.ClientSecretBasic(/** @type {string} */ (a.client_secret)));
    publicApp = await discover(publicId, oidc.None());
    const meta = confidential.serverMetadata();
    assert.equal(meta.issuer, PORTAL_URL);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(meta.response_types_supported, ['code']);
    assert.deepEqual(meta.id_token_signing_alg_values_supported, ['RS256']);
    assert.ok(meta.ui_locales_supported?.includes('de'), 'German is offered');
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'revocation_endpoint', 'end_session_endpoint']) {
      assert.ok(String(meta[endpoint]).startsWith(`${PORTAL_URL}/`), `${endpoint} on the issuer: ${meta[endpoint]}`);
    }
  });

  step('2. authorization code + PKCE through the page: the app named, the hinted email, password, the app code', async () => {
    const auth = await authorization(confidential, callback(), { login_hint: customer.email });
    await page.goto(auth.url);
    await heading(page, fill(en['signIn.title'], { app: ventilation })).waitFor();
    assert.equal(new URL(page.url()).pathname, '/sign-in');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    const email = page.getByLabel(en['login.email'], { exact: true });
    assert.equal(await email.inputValue(), customer.email, 'login_hint fills in the email');
    assert.deepEqual(await axeViolations(page), [], 'the sign-in page passes axe-core (WCAG 2.1 AA)');
    await shot('sign-in');

    await page.getByLabel(en['login.password'], { exact: true }).fill(customer.password);
    await page.getByRole('button', { name: en['login.submit'], exact: true }).click();
    await heading(page, en['verify.title']).waitFor();
    await page.getByLabel(en['verify.totp.code'], { exact: true }).fill(await freshTotp(key, usedSteps));
    await shot('verify');
    await page.getByRole('button', { name: en['verify.submit'], exact: true }).click();
    await landedAt(page, callback());

    first = await auth.exchange(page.url());
    const claims = first.claims();
    assert.ok(claims, 'an ID token');
    // openid-client has checked the signature with the JWKS (by kid), iss, aud, nonce, exp.
    assert.equal(claims.iss, PORTAL_URL);
    assert.deepEqual([claims.aud].flat(), [confidentialId]);
    assert.equal(claims.email, customer.email);
    const amr = /** @type {string[]} */ (claims.amr);
    for (const method of ['pwd', 'mfa', 'otp']) assert.ok(amr.includes(method), `amr ${JSON.stringify(amr)} has ${method}`);
    assert.equal(typeof claims.auth_time, 'number');
    assert.ok(first.refresh_token, 'offline_access gives a refresh token');

    const { header } = decodeJwt(/** @type {string} */ (first.id_token));
    assert.equal(header.alg, 'RS256', 'the default id_token_signed_response_alg of OpenID Connect');
    const jwks = await (await fetch(/** @type {string} */ (confidential.serverMetadata().jwks_uri))).json();
    assert.ok(jwks.keys.some((/** @type {{ kid: string }} */ k) => k.kid === header.kid), `kid ${header.kid} is in the JWKS`);
  });

  step('3. userinfo with the access token (a JWT for this client, at most 15 minutes)', async () => {
    const sub = /** @type {string} */ (first.claims()?.sub);
    const info = await oidc.fetchUserInfo(confidential, first.access_token, sub);
    assert.equal(info.sub, sub);
    assert.equal(info.email, customer.email);
    assert.equal(info.name, customer.name);

    const { header, payload } = decodeJwt(first.access_token);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(payload.iss, PORTAL_URL);
    assert.ok(payload.exp - payload.iat <= 15 * 60, `lifetime ${payload.exp - payload.iat} s`);
  });

  step('4. refresh rotates; reusing the old refresh token revokes the whole family', async () => {
    const old = /** @type {string} */ (first.refresh_token);
    const next = await oidc.refreshTokenGrant(confidential, old);
    assert.ok(next.refresh_token && next.refresh_token !== old, 'a new refresh token');
    assert.ok(next.access_token);

    await assert.rejects(oidc.refreshTokenGrant(confidential, old), oauthError('invalid_grant'));
    await assert.rejects(
      oidc.refreshTokenGrant(confidential, /** @type {string} */ (next.refresh_token)),
      oauthError('invalid_grant'),
      'the newest refresh token of the family is revoked too',
    );
  });

  step('5. single sign-on: the second app within max_age, no password asked', async () => {
    /** @type {string[]} */
    const seen = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) seen.push(frame.url());
    });
    const auth = await authorization(publicApp, callbackB(), { max_age: '600' });
    await page.goto(auth.url);
    await landedAt(page, callbackB());
    assert.deepEqual(seen.filter((u) => u.startsWith(PORTAL_URL)), [], `the portal showed no page: ${JSON.stringify(seen)}`);

    const tokens = await auth.exchange(page.url());
    const claims = tokens.claims();
    assert.deepEqual([claims?.aud].flat(), [publicId]);
    assert.equal(claims?.sub, first.claims()?.sub);
    assert.equal(claims?.auth_time, first.claims()?.auth_time, 'the same sign-in');
    assert.ok(/** @type {string[]} */ (claims?.amr).includes('mfa'));
    publicRefresh = /** @type {string} */ (tokens.refresh_token);
    assert.ok(publicRefresh);
  });

  step('6. ui_locales=de: the German page through to the second factor; prompt=login asks again, cancel is access_denied', async () => {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 360, height: 800 } });
    const german = await context.newPage();
    german.setDefaultTimeout(15_000);
    const shotDe = screenshots(german, 'oidc-german');
    try {
      const auth = await authorization(confidential, callback(), { ui_locales: 'de-DE en' });
      await german.goto(auth.url);
      await heading(german, fill(de['signIn.title'], { app: ventilation })).waitFor();
      assert.equal(await german.locator('html').getAttribute('lang'), 'de');
      assert.deepEqual(await axeViolations(german), [], 'the German sign-in page passes axe-core');
      await shotDe('sign-in');
      await german.getByLabel(de['login.email'], { exact: true }).fill(customer.email);
      await german.getByLabel(de['login.password'], { exact: true }).fill(customer.password);
      await german.getByRole('button', { name: de['login.submit'], exact: true }).click();
      await heading(german, de['verify.title']).waitFor();
      await german.getByLabel(de['verify.totp.code'], { exact: true }).fill(await freshTotp(key, usedSteps));
      await german.getByRole('button', { name: de['verify.submit'], exact: true }).click();
      await landedAt(german, callback());
      assert.ok((await auth.exchange(german.url())).claims());

      // prompt=login: neither the single sign-on nor this tab's session is enough.
      const again = await authorization(confidential, callback(), { ui_locales: 'de', prompt: 'login' });
      await german.goto(again.url);
      await heading(german, fill(de['signIn.title'], { app: ventilation })).waitFor();
      await german.getByText(fill(de['signIn.again'], { app: ventilation })).waitFor();
      await shotDe('sign-in-again');
      await german.getByRole('button', { name: fill(de['signIn.cancel'], { app: ventilation }), exact: true }).click();
      await landedAt(german, callback());
      await assert.rejects(again.exchange(german.url()), oauthError('access_denied'));
    } catch (err) {
      await shotDe('failed').catch(() => {});
      throw err;
    } finally {
      await context.close();
    }
  });

  step('7. RP-initiated logout: back to the registered address; single sign-on and grants end', async () => {
    const logoutState = oidc.randomState();
    const url = oidc.buildEndSessionUrl(confidential, {
      id_token_hint: /** @type {string} */ (first.id_token),
      post_logout_redirect_uri: signedOut(),
      state: logoutState,
    });
    await page.goto(url.href);
    await landedAt(page, signedOut());
    assert.equal(new URL(page.url()).searchParams.get('state'), logoutState);

    await assert.rejects(oidc.refreshTokenGrant(publicApp, publicRefresh), oauthError('invalid_grant'));
    const silent = await authorization(publicApp, callbackB(), { prompt: 'none' });
    await page.goto(silent.url);
    await landedAt(page, callbackB());
    await assert.rejects(silent.exchange(page.url()), oauthError('login_required'));
    await shot('after-logout');
  });

  step('8. an app\'s sign-in left for the portal\'s own sign-in page ends in the portal, not at the app', async () => {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 900, height: 900 } });
    const left = await context.newPage();
    left.setDefaultTimeout(15_000);
    /** @type {string[]} */
    const seen = [];
    left.on('framenavigated', (frame) => {
      if (frame === left.mainFrame()) seen.push(frame.url());
    });
    try {
      const auth = await authorization(confidential, callback());
      await left.goto(auth.url);
      await heading(left, fill(en['signIn.title'], { app: ventilation })).waitFor();
      await left.goto(`${PORTAL_URL}/login`);
      await heading(left, en['login.title']).waitFor();
      await left.getByLabel(en['login.email'], { exact: true }).fill(customer.email);
      await left.getByLabel(en['login.password'], { exact: true }).fill(customer.password);
      await left.getByRole('button', { name: en['login.submit'], exact: true }).click();
      await heading(left, en['verify.title']).waitFor();
      await left.getByLabel(en['verify.totp.code'], { exact: true }).fill(await freshTotp(key, usedSteps));
      await left.getByRole('button', { name: en['verify.submit'], exact: true }).click();
      await heading(left, fill(en['home.title'], { name: customer.name })).waitFor();
      assert.deepEqual(seen.filter((u) => u.startsWith(app.base)), [], 'never sent to the app');
    } finally {
      await context.close();
    }
  });
});
