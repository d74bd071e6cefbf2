// Passkeys in Chromium with the DevTools protocol's virtual authenticator
// (WebAuthn.addVirtualAuthenticator: CTAP2, internal, resident keys, user
// verification): add one in Settings after the step-up, sign in with the
// passkey alone through the sign-in page's autofill (conditional UI) and its
// button, with password + passkey, see a second authenticator
// that was never registered refused, confirm a change (a new app password)
// with it, remove it; in English and German, axe at every screenshot.
//
// WebAuthn refuses IP addresses as relying party IDs, so this test starts a
// portal of its own (PORTAL_BIN, a fresh data dir, a free port) whose
// PORTAL_PUBLIC_URL is http://localhost:<port>, and serves the page from
// web/ (PORTAL_WEB_DIR) as it is in the work tree.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  callAt,
  dict,
  fill,
  freshTotp,
  launchBrowser,
  ownPortal,
  screenshots,
  strongPassword,
  uniqueEmail,
  WEB_DIR,
} from './support.mjs';

/** @type {{ base: string, stop: () => void } | undefined} */
let portal;
let base = '';
/** @type {import('playwright-core').Browser} */
let browser;

/**
 * A JSON call to this test's portal; fails on any error answer.
 * @param {string} method @param {string} apiPath @param {unknown} [body] @param {string} [token]
 */
const call = (method, apiPath, body, token) => callAt(base, method, apiPath, body, token);

/**
 * A customer with the authenticator app, set up through the API.
 * @param {{ name: string, email: string, password: string }} who
 * @param {'en' | 'de'} locale
 * @param {Set<number>} usedSteps
 * @returns {Promise<string>} the app's key
 */
async function customerWithApp(who, locale, usedSteps) {
  await call('POST', '/api/register', { ...who, locale });
  await call('POST', '/api/login', { email: who.email, password: who.password });
  const second = await call('POST', '/api/login', { email: who.email, password: who.password });
  const setup = await call('POST', '/api/mfa/totp/setup', {}, second.mfa_token);
  await call('POST', '/api/mfa/totp/confirm', { code: await freshTotp(setup.secret, usedSteps) }, second.mfa_token);
  return setup.secret;
}

/**
 * A virtual platform authenticator with user verification in `page`'s browser.
 * @param {import('playwright-core').Page} page
 */
async function virtualAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    async credentials() {
      return (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    },
  };
}

before(async () => {
  portal = await ownPortal('passkeys', { host: 'localhost', env: { PORTAL_WEB_DIR: WEB_DIR } });
  base = portal.base;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  portal?.stop();
});

for (const [locale, lang] of /** @type {const} */ ([
  ['en-US', 'en'],
  ['de-DE', 'de'],
])) {
  describe(`passkeys (${lang})`, () => {
    const d = dict(lang);
    const usedSteps = new Set();
    const who = { name: 'Petra Passkey', email: uniqueEmail(`passkey-${lang}`), password: strongPassword() };
    let key = '';

    it('adds a passkey, signs in with password + passkey and with the passkey alone, refuses another, confirms a change, removes it', async () => {
      key = await customerWithApp(who, lang, usedSteps);
      const context = await browser.newContext({ locale });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      const shot = screenshots(page, `passkeys-${lang}`);
      const authenticator = await virtualAuthenticator(page);

      // Password and the app's code, then Settings.
      await passwordOnPage(page, d, who);
      await page.getByLabel(d['verify.totp.code'], { exact: true }).fill(await freshTotp(key, usedSteps));
      await page.getByRole('button', { name: d['verify.submit'], exact: true }).click();
      await page.getByRole('heading', { level: 1, name: fill(d['home.title'], { name: who.name }) }).waitFor();
      await page.goto(`${base}/settings`);
      await page.getByRole('heading', { level: 3, name: d['settings.passkeys.title'], exact: true }).waitFor();
      await page.getByText(d['settings.passkeys.none'], { exact: true }).waitFor();

      // Add: the name, the step-up, the authenticator makes the key.
      await page.getByLabel(d['settings.passkeys.name'], { exact: true }).fill('Laptop');
      await page.getByRole('button', { name: d['settings.passkeys.add'], exact: true }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel(d['stepUp.totp.code'], { exact: true }).fill(await freshTotp(key, usedSteps));
      await dialog.getByRole('button', { name: d['settings.passkeys.add'], exact: true }).click();
      await page.getByText(fill(d['settings.passkeys.added'], { name: 'Laptop' }), { exact: true }).waitFor();
      await page.getByRole('list', { name: d['settings.passkeys.listTitle'] }).getByText('Laptop', { exact: true }).waitFor();
      assert.equal((await authenticator.credentials()).length, 1, 'the authenticator holds the new passkey');
      await shot('added');

      // The passkey alone through the sign-in page's autofill (conditional
      // UI): the virtual authenticator picks its one passkey as a person
      // would pick it from the user name field's suggestions.
      await page.getByRole('button', { name: d['nav.signOut'], exact: true }).click();
      await page.getByRole('heading', { level: 1, name: fill(d['home.title'], { name: who.name }) }).waitFor();
      await shot('signed-in-by-autofill');

      // From here on a browser without passkey autofill: the button, and
      // the second step after the password.
      await page.addInitScript(() => {
        /** @type {any} */ (window).PublicKeyCredential.isConditionalMediationAvailable = async () => false;
      });
      await page.goto(`${base}/`);
      await page.getByRole('heading', { level: 1, name: fill(d['home.title'], { name: who.name }) }).waitFor();
      await signOut(page, d);
      await passwordOnPage(page, d, who);
      await page.getByText(d['verify.passkey.intro'], { exact: true }).waitFor();
      await shot('second-step');
      await page.getByRole('button', { name: d['verify.passkey.use'], exact: true }).click();
      await page.getByRole('heading', { level: 1, name: fill(d['home.title'], { name: who.name }) }).waitFor();

      await signOut(page, d);
      await page.getByRole('button', { name: d['login.passkey.use'], exact: true }).click();
      await page.getByRole('heading', { level: 1, name: fill(d['home.title'], { name: who.name }) }).waitFor();
      await shot('signed-in-with-passkey');

      // Another authenticator, never registered here: refused, nobody signed in.
      const stranger = await browser.newContext({ locale });
      const strangerPage = await stranger.newPage();
      strangerPage.setDefaultTimeout(15_000);
      await strangerPage.addInitScript(() => {
        /** @type {any} */ (window).PublicKeyCredential.isConditionalMediationAvailable = async () => false;
      });
      await virtualAuthenticator(strangerPage);
      await strangerPage.goto(`${base}/login`);
      await strangerPage.getByRole('button', { name: d['login.passkey.use'], exact: true }).click();
      await strangerPage.getByText(d['login.passkey.cancelled'], { exact: true }).waitFor();
      await screenshots(strangerPage, `passkeys-${lang}-stranger`)('refused');
      assert.equal(new URL(strangerPage.url()).pathname, '/login');
      await stranger.close();

      // A change confirmed with the passkey: the step-up offers it first,
      // and the authenticator answers when the form is sent.
      await page.goto(`${base}/settings`);
      const appPasswords = page.getByRole('region', { name: d['settings.appPasswords.title'], exact: true });
      await appPasswords.getByLabel(d['settings.appPasswords.name'], { exact: true }).fill('Calendar');
      await appPasswords.getByRole('button', { name: d['settings.appPasswords.create'], exact: true }).click();
      await dialog.getByText(d['stepUp.passkeyProof.intro'], { exact: true }).waitFor();
      await dialog.getByRole('button', { name: d['stepUp.useApp'], exact: true }).waitFor();
      await shot('step-up-with-passkey');
      await dialog.getByRole('button', { name: d['settings.appPasswords.create'], exact: true }).click();
      const created = page.getByRole('dialog', { name: d['settings.appPasswords.createdTitle'] });
      await created.waitFor();
      await created.getByRole('button', { name: d['settings.appPasswords.done'], exact: true }).click();
      await appPasswords.getByText('Calendar', { exact: true }).waitFor();
      // The activity names what happened with the passkey.
      await page.getByText(fill(d['settings.activity.kind.passkey_added'], { name: 'Laptop' }), { exact: true }).waitFor();
      await page.getByText(d['settings.activity.kind.signed_in.passkey'], { exact: true }).first().waitFor();

      // Remove, with the step-up again, this time with the app's code.
      const list = page.getByRole('list', { name: d['settings.passkeys.listTitle'] });
      await list.getByRole('button', { name: d['settings.passkeys.remove'], exact: true }).click();
      await dialog.getByRole('button', { name: d['stepUp.useApp'], exact: true }).click();
      await dialog.getByLabel(d['stepUp.totp.code'], { exact: true }).fill(await freshTotp(key, usedSteps));
      await dialog.getByRole('button', { name: d['settings.passkeys.remove'], exact: true }).click();
      await page.getByText(fill(d['settings.passkeys.removed'], { name: 'Laptop' }), { exact: true }).waitFor();
      await page.getByText(d['settings.passkeys.none'], { exact: true }).waitFor();
      await shot('removed');

      // The removed passkey no longer signs in.
      await signOut(page, d);
      await page.getByRole('button', { name: d['login.passkey.use'], exact: true }).click();
      await page.getByText(d['login.passkey.invalid'], { exact: true }).waitFor();
      await context.close();
    });
  });
}

/**
 * @param {import('playwright-core').Page} page
 * @param {Record<string, string>} d
 * @param {{ email: string, password: string }} who
 */
async function passwordOnPage(page, d, who) {
  if (new URL(page.url()).pathname !== '/login') await page.goto(`${base}/login`);
  await page.getByRole('heading', { level: 1, name: d['login.title'], exact: true }).waitFor();
  await page.getByLabel(d['login.email'], { exact: true }).fill(who.email);
  await page.getByLabel(d['login.password'], { exact: true }).fill(who.password);
  await page.getByRole('button', { name: d['login.submit'], exact: true }).click();
}

/**
 * @param {import('playwright-core').Page} page
 * @param {Record<string, string>} d
 */
async function signOut(page, d) {
  await page.getByRole('button', { name: d['nav.signOut'], exact: true }).click();
  await page.getByRole('heading', { level: 1, name: d['login.title'], exact: true }).waitFor();
}
