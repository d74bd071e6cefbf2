// The step-up proof offers the methods GET /api/account names in
// `mfa.methods` (the server's rule), in its order, the first one shown; when
// the number is being removed, SMS is left out. Built in the page from the
// page's own module with given accounts, so each case needs no sign-in.
// axe-core checks the sign-in page and a proof with every method on it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PORTAL_URL, axeViolations, dict, launchBrowser } from './support.mjs';

const en = dict('en');

/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').Page} */
let page;

before(async () => {
  browser = await launchBrowser();
  page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  page.setDefaultTimeout(10_000);
  // Any page: the translations are loaded once it shows.
  await page.goto(`${PORTAL_URL}/login`);
  await page.getByRole('heading', { level: 1, name: en['login.title'], exact: true }).waitFor();
});

after(async () => {
  await browser?.close();
});

/** Each method's introduction, by which the test tells the one shown. */
const INTRO = {
  totp: en['stepUp.totp.intro'],
  sms: en['stepUp.sms.intro'].replace('{phone}', '+49 151 ****12'),
  recovery_code: en['stepUp.recovery.intro'],
  passkey: en['stepUp.passkeyProof.intro'],
};

/**
 * The method a fresh proof shows first (by its introduction, as a person
 * reads it), and the other methods it offers.
 * @param {{ totp: boolean, sms: string | null, recovery_codes_remaining: number, methods: string[] }} mfa
 * @param {{ allowSms?: boolean }} [opts]
 */
async function offered(mfa, opts) {
  const { intro, others } = await page.evaluate(
    async ({ mfa, opts }) => {
      const { currentFactorProof } = await import('/views/step-up.js');
      const account = { user_id: 'u', email: 'a@example.com', name: 'A', roles: [], mfa, app_passwords: [] };
      const proof = currentFactorProof(account, opts)();
      return {
        intro: proof.field.wrap.querySelector('p')?.textContent,
        others: [...proof.field.wrap.querySelectorAll('.step-up__other button')].map((b) => b.textContent),
      };
    },
    { mfa, opts },
  );
  const shown = Object.entries(INTRO).find(([, text]) => text === intro);
  assert.ok(shown, `an introduction of no method: ${intro}`);
  return { shown: shown[0], others };
}

const phone = '+49 151 ****12';

test('step-up: all three methods, the app shown first, SMS and recovery code offered', async () => {
  const mfa = { totp: true, sms: phone, recovery_codes_remaining: 10, methods: ['totp', 'sms', 'recovery_code'] };
  assert.deepEqual(await offered(mfa), { shown: 'totp', others: [en['stepUp.useSms'], en['stepUp.useRecovery']] });
});

test('step-up: removing the number leaves SMS out', async () => {
  const mfa = { totp: true, sms: phone, recovery_codes_remaining: 10, methods: ['totp', 'sms', 'recovery_code'] };
  assert.deepEqual(await offered(mfa, { allowSms: false }), { shown: 'totp', others: [en['stepUp.useRecovery']] });
});

test('step-up: SMS without the app is shown first', async () => {
  const mfa = { totp: false, sms: phone, recovery_codes_remaining: 10, methods: ['sms', 'recovery_code'] };
  assert.deepEqual(await offered(mfa), { shown: 'sms', others: [en['stepUp.useRecovery']] });
});

test('step-up: the methods the server names, not the page reading the factors again', async () => {
  // The server's list decides (it applies the rule): here it names only the app.
  const mfa = { totp: true, sms: phone, recovery_codes_remaining: 3, methods: ['totp'] };
  assert.deepEqual(await offered(mfa), { shown: 'totp', others: [] });
});

test('step-up: a passkey first where the browser can use one, and not offered where it cannot', async () => {
  const mfa = { totp: true, sms: null, recovery_codes_remaining: 10, methods: ['totp', 'recovery_code', 'passkey'] };
  assert.deepEqual(await offered(mfa), { shown: 'passkey', others: [en['stepUp.useApp'], en['stepUp.useRecovery']] });
  await page.evaluate(() => {
    /** @type {any} */ (window).PublicKeyCredential = undefined;
  });
  assert.deepEqual(await offered(mfa), { shown: 'totp', others: [en['stepUp.useRecovery']] });
  await page.reload();
  await page.getByRole('heading', { level: 1, name: en['login.title'], exact: true }).waitFor();
});

test('step-up: the proof on the page passes axe-core, as does the page it is built on', async () => {
  assert.deepEqual(await axeViolations(page), [], 'the sign-in page');
  await page.evaluate(async () => {
    const { currentFactorProof } = await import('/views/step-up.js');
    const mfa = { totp: true, sms: '+49 151 ****12', recovery_codes_remaining: 10, methods: ['totp', 'sms', 'recovery_code'] };
    const account = { user_id: 'u', email: 'a@example.com', name: 'A', roles: [], mfa, app_passwords: [] };
    const proof = currentFactorProof(account)();
    const form = document.createElement('form');
    form.append(proof.field.wrap);
    document.querySelector('main')?.append(form);
  });
  await page.locator('.step-up__other button').first().waitFor();
  assert.deepEqual(await axeViolations(page), [], 'a proof offering the app, SMS and a recovery code');
});
