// The whole journey of one customer in English, in a real browser against a
// running portal (PORTAL_URL; the test does not start it):
// register, first sign-in with the notice, forced setup of an authenticator app,
// recovery codes, sign-in with the app, with a recovery code, regenerating codes,
// replacing the app (a new phone) in Settings with a proof of the current one.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe } from 'node:test';
import {
  PORTAL_URL,
  brandName,
  dict,
  fill,
  freshTotp,
  horizontalOverflow,
  launchBrowser,
  outbox,
  screenshots,
  strongPassword,
  uniqueEmail,
  waitForOutbox,
  storySteps,
} from './support.mjs';

const en = dict('en');

/** @param {string} text */
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('English journey: password, authenticator app, recovery codes', { concurrency: 1 }, () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {(step: string) => Promise<void>} */
  let shot;

  const name = 'Alex Example';
  const email = uniqueEmail('journey');
  const password = strongPassword();
  /** @type {string} */
  let key = '';
  /** @type {string[]} */
  let codes = [];
  const usedSteps = new Set();

  const step = storySteps(() => shot);

  const heading = (text) => page.getByRole('heading', { level: 1, name: text, exact: true });
  const button = (text) => page.getByRole('button', { name: text, exact: true });

  async function signIn() {
    await heading(en['login.title']).waitFor();
    await page.getByLabel(en['login.email'], { exact: true }).fill(email);
    await page.getByLabel(en['login.password'], { exact: true }).fill(password);
    await button(en['login.submit']).click();
  }

  async function signOut() {
    await button(en['nav.signOut']).click();
    await heading(en['login.title']).waitFor();
    await page.getByText(en['login.signedOut']).waitFor();
  }

  /** The recovery codes shown on the codes page, after checking the page's rules. */
  async function takeCodesFromPage() {
    const list = page.getByRole('list', { name: en['recovery.title'] });
    await list.waitFor();
    const shown = (await list.getByRole('listitem').allTextContents()).map((s) => s.trim());
    assert.equal(shown.length, 10, `10 recovery codes expected, got ${JSON.stringify(shown)}`);
    assert.equal(new Set(shown).size, 10, 'recovery codes are all different');
    // Nothing leads away before the codes are confirmed as stored.
    assert.equal(await page.getByRole('navigation').count(), 0, 'no menu while the codes are shown');
    assert.equal(await page.getByRole('link', { name: await brandName(), exact: true }).count(), 0, 'no home link either');

    const next = button(en['recovery.continue']);
    assert.equal(await next.isDisabled(), true, 'Continue is disabled before the codes are confirmed as stored');
    await page.getByLabel(en['recovery.stored'], { exact: true }).check();
    assert.equal(await next.isDisabled(), false, 'Continue is enabled once the box is ticked');
    return shown;
  }

  before(async () => {
    browser = await launchBrowser();
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 900, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    shot = screenshots(page, 'journey');
  });

  after(async () => {
    await browser?.close();
  });

  step('1. register, first sign-in shows that a second factor is due, sign out', async () => {
    await page.goto(`${PORTAL_URL}/`);
    await heading(en['login.title']).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await shot('login');

    await page.getByRole('link', { name: en['login.register'] }).click();
    await heading(en['register.title']).waitFor();
    await page.getByLabel(en['register.name'], { exact: true }).fill(name);
    await page.getByLabel(en['register.email'], { exact: true }).fill(email);
    // A well-known password is refused with the reason at the field.
    await page.getByLabel(en['register.password'], { exact: true }).fill('password123');
    await button(en['register.submit']).click();
    await page.getByText(en['password.wellKnown']).waitFor();
    await page.getByLabel(en['register.password'], { exact: true }).fill(password);
    await page.getByText(en['register.passwordHint']).waitFor();
    await shot('register');
    await button(en['register.submit']).click();

    await page.getByText(en['login.registered']).waitFor();
    await shot('registered');
    await signIn();

    await heading(fill(en['home.title'], { name })).waitFor();
    await page.getByText(fill(en['home.signedInAs'], { email })).waitFor();
    await page.getByText(en['home.setupDue']).waitFor();
    await button(en['home.setupNow']).waitFor();
    await shot('home-setup-due');
    await signOut();
  });

  step('2. next sign-in demands setup: authenticator app, then 10 recovery codes', async () => {
    await signIn();
    await heading(en['setup.title']).waitFor();
    await page.getByText(en['setup.intro.required']).waitFor();
    await page.getByRole('img', { name: en['setup.app.qrLabel'] }).waitFor();
    await page.getByText(/Google Authenticator.*Microsoft Authenticator.*2FAS.*Authy/).waitFor();

    const grouped = (await page.getByText(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/).textContent()) || '';
    assert.match(grouped, /^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/, 'the key is shown in blocks of four');
    key = grouped.replace(/\s+/g, '');
    assert.ok(key.length >= 32, `the key holds at least 160 bits (${key.length} base32 characters)`);
    // The time left to activate it shows (m:ss, counting down from 10 minutes).
    const [before, after] = en['setup.app.timeLeft'].split('{time}');
    const timeLeft = new RegExp(`^${escapeRegExp(before)}(\\d+):(\\d{2})${escapeRegExp(after)}$`);
    const [, minutes] = ((await page.getByText(timeLeft).textContent()) || '').match(timeLeft) || [];
    assert.ok(Number(minutes) >= 8 && Number(minutes) <= 10, `about ten minutes left, shown: ${minutes}`);
    await shot('setup');

    // A reload (or a new sign-in) shows the same key: the entry the app may
    // hold already stays good. No note about a replaced key.
    await page.reload();
    await heading(en['setup.title']).waitFor();
    const again = (await page.getByText(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/).textContent()) || '';
    assert.equal(again.replace(/\s+/g, ''), key, 'the same key after a reload');
    await page.getByText(timeLeft).waitFor();
    assert.equal(await page.getByText(en['setup.app.newKey']).count(), 0, 'no "new key" note');

    // Still usable on a phone-sized screen.
    await page.setViewportSize({ width: 360, height: 800 });
    assert.ok((await horizontalOverflow(page)) <= 0, 'no sideways scrolling at 360px');
    await shot('setup-360px');
    await page.setViewportSize({ width: 900, height: 900 });

    await page.getByLabel(en['setup.app.code'], { exact: true }).fill(await freshTotp(key, usedSteps));
    await button(en['setup.app.submit']).click();

    await page.getByText(en['setup.app.activated']).waitFor();
    codes = await takeCodesFromPage();
    await shot('recovery-codes');

    const [download] = await Promise.all([page.waitForEvent('download'), button(en['recovery.download']).click()]);
    const saved = readFileSync(await download.path(), 'utf8');
    for (const c of codes) assert.ok(saved.includes(c), `the download holds ${c}`);

    await button(en['recovery.continue']).click();
    await heading(fill(en['home.title'], { name })).waitFor();
    await page.getByRole('navigation', { name: en['nav.label'] }).getByRole('link', { name: en['nav.settings'], exact: true }).waitFor();
    await page.getByRole('link', { name: await brandName(), exact: true }).waitFor();
    assert.equal(await page.getByText(en['home.setupDue']).count(), 0, 'no setup notice once the app is active');
    await shot('home-after-setup');
  });

  step('3. sign in with a fresh code from the app', async () => {
    await signOut();
    await signIn();
    await heading(en['verify.title']).waitFor();
    await shot('verify');
    const code = await freshTotp(key, usedSteps);
    await page.getByLabel(en['verify.totp.code'], { exact: true }).fill(code);
    await button(en['verify.submit']).click();
    await heading(fill(en['home.title'], { name })).waitFor();
    await shot('home-after-code');

    // Signed out and in again at once, the same code is used: the page says
    // so, rather than "not correct", and nothing is locked.
    await signOut();
    await signIn();
    await heading(en['verify.title']).waitFor();
    await page.getByLabel(en['verify.totp.code'], { exact: true }).fill(code);
    await button(en['verify.submit']).click();
    await page.getByText(en['error.code_used']).waitFor();
    await shot('verify-code-used');
    await page.getByLabel(en['verify.totp.code'], { exact: true }).fill(await freshTotp(key, usedSteps));
    await button(en['verify.submit']).click();
    await heading(fill(en['home.title'], { name })).waitFor();
  });

  step('4. sign in with a recovery code: 9 remain, and the customer is told by email', async () => {
    const before = (await outbox()).length;
    await signOut();
    await signIn();
    await heading(en['verify.title']).waitFor();
    await button(en['verify.useRecovery']).click();
    await page.getByLabel(en['verify.recovery.code'], { exact: true }).fill(codes[0]);
    await shot('verify-recovery');
    await button(en['verify.submit']).click();

    await heading(fill(en['home.title'], { name })).waitFor();
    await page.getByText(fill(en['home.recoveryUsed.other'], { count: 9 })).waitFor();
    await shot('home-recovery-used');

    const mail = await waitForOutbox(
      (m, i) => i >= before && m.channel === 'email' && m.to === email && /recovery/i.test(`${m.subject}\n${m.body}`),
    );
    assert.ok(mail, 'an email about the recovery code went out');
  });

  step('5. regenerate recovery codes after a proof of the app: old codes are refused, new ones work', async () => {
    await page.getByRole('link', { name: en['nav.settings'], exact: true }).click();
    await heading(en['settings.title']).waitFor();
    await page.getByRole('heading', { name: en['settings.security'] }).waitFor();
    await page.getByText(en['settings.app.active'], { exact: true }).waitFor();
    await page.getByText(fill(en['settings.recovery.remaining.other'], { count: 9 })).waitFor();
    await shot('settings');

    await button(en['settings.recovery.regenerate']).click();
    const dialog = page.getByRole('dialog', { name: en['settings.recovery.confirmTitle'] });
    await dialog.waitFor();
    await shot('regenerate-confirm');
    await dialog.getByRole('button', { name: en['settings.recovery.confirm'], exact: true }).click();

    // The session alone is not enough: the step-up dialog asks for the app's code.
    const stepUp = page.getByRole('dialog', { name: en['stepUp.title'] });
    await stepUp.getByText(en['stepUp.recoveryCodes']).waitFor();
    const proof = stepUp.getByLabel(en['stepUp.totp.code'], { exact: true });
    const current = await freshTotp(key, usedSteps);
    await proof.fill(current === '000000' ? '111111' : '000000');
    await stepUp.getByRole('button', { name: en['settings.recovery.confirm'], exact: true }).click();
    await stepUp.getByText(en['setup.sms.invalidProof']).waitFor();
    await shot('regenerate-step-up-refused');
    await proof.fill(current);
    await stepUp.getByRole('button', { name: en['settings.recovery.confirm'], exact: true }).click();

    await page.getByText(en['recovery.regenerated']).waitFor();
    const fresh = await takeCodesFromPage();
    assert.equal(fresh.filter((c) => codes.includes(c)).length, 0, 'the new codes are all new');
    await shot('recovery-codes-new');
    await button(en['recovery.continue']).click();
    await heading(en['settings.title']).waitFor();
    await page.getByText(fill(en['settings.recovery.remaining.other'], { count: 10 })).waitFor();

    await signOut();
    await signIn();
    await heading(en['verify.title']).waitFor();
    await button(en['verify.useRecovery']).click();
    const field = page.getByLabel(en['verify.recovery.code'], { exact: true });
    await field.fill(codes[1]);
    await button(en['verify.submit']).click();
    await page.getByRole('alert').filter({ hasText: en['verify.recovery.invalid'] }).waitFor();
    await shot('old-code-refused');

    await field.fill(fresh[0]);
    await button(en['verify.submit']).click();
    await heading(fill(en['home.title'], { name })).waitFor();
    await page.getByText(fill(en['home.recoveryUsed.other'], { count: 9 })).waitFor();
    await shot('home-new-code');
  });

  step('6. replace the app in Settings: the current app\'s code first, then the new key; the old app stops working', async () => {
    await page.getByRole('link', { name: en['nav.settings'], exact: true }).click();
    await heading(en['settings.title']).waitFor();
    await button(en['settings.app.replace']).click();
    await page.getByText(en['stepUp.title']).waitFor();
    const proof = page.getByLabel(en['stepUp.totp.code'], { exact: true });
    const current = await freshTotp(key, usedSteps);
    await proof.fill(current === '000000' ? '111111' : '000000');
    await button(en['settings.app.continue']).click();
    await page.getByText(en['setup.sms.invalidProof']).waitFor();
    assert.equal(await page.getByText(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/).count(), 0, 'no new key without the proof');
    await shot('replace-app-refused');
    await proof.fill(current);
    await button(en['settings.app.continue']).click();

    const grouped = (await page.getByText(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/).textContent()) || '';
    const newKey = grouped.replace(/\s+/g, '');
    assert.notEqual(newKey, key, 'a new secret');
    await shot('replace-app-key');
    const newSteps = new Set();
    await page.getByLabel(en['setup.app.code'], { exact: true }).fill(await freshTotp(newKey, newSteps));
    await button(en['setup.app.submit']).click();
    await page.getByText(en['settings.app.replaced']).waitFor();
    await takeCodesFromPage();
    await button(en['recovery.continue']).click();
    await heading(en['settings.title']).waitFor();

    await signOut();
    await signIn();
    await heading(en['verify.title']).waitFor();
    const field = page.getByLabel(en['verify.totp.code'], { exact: true });
    // A code of the old app in a step it has not used yet: refused all the same.
    await field.fill(await freshTotp(key, usedSteps));
    await button(en['verify.submit']).click();
    await page.getByRole('alert').filter({ hasText: en['verify.totp.invalid'] }).waitFor();
    await field.fill(await freshTotp(newKey, newSteps));
    await button(en['verify.submit']).click();
    await heading(fill(en['home.title'], { name })).waitFor();
    await shot('home-new-app');
  });
});
