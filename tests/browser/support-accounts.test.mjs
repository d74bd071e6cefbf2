// The support console's accounts page in Chromium: staff find a customer by
// email, disable the account with a reason (the customer's open page loses its
// session and the right password then gets the wrong one's answer), and enable
// it again in German; then deletes it for good (the address then signs in
// like an unknown one). axe-core checks the page in both languages.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import {
  DATA_DIR,
  PORTAL_URL,
  axeViolations,
  call,
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

describe('Support: disable, enable and delete an account', { concurrency: 1, skip: DATA_DIR ? false : 'needs PORTAL_DATA_DIR for `portal staff add`' }, () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  const customer = { name: 'Kim Customer', email: uniqueEmail('disable'), password: strongPassword() };
  const staff = { name: 'Sam Support', email: uniqueEmail('desk'), password: strongPassword() };
  const customerSteps = new Set();
  const staffSteps = new Set();
  let customerKey = '';
  let staffKey = '';
  const step = storySteps(() => undefined);

  /**
   * Signs in through the page: password, then the app's code.
   * @param {import('playwright-core').Page} page
   * @param {Record<string, string>} d
   * @param {{ email: string, password: string }} who
   * @param {string} key
   * @param {Set<number>} steps
   */
  async function signIn(page, d, who, key, steps) {
    await page.goto(`${PORTAL_URL}/login`);
    await page.getByLabel(d['login.email'], { exact: true }).fill(who.email);
    await page.getByLabel(d['login.password'], { exact: true }).fill(who.password);
    await page.getByRole('button', { name: d['login.submit'], exact: true }).click();
    await page.getByRole('heading', { level: 1, name: d['verify.title'] }).waitFor();
    await page.getByLabel(d['verify.totp.code'], { exact: true }).fill(await freshTotp(key, steps));
    await page.getByRole('button', { name: d['verify.submit'], exact: true }).click();
  }

  /**
   * Staff sign in and open the accounts page through the menu (a direct
   * address right after the code could be opened before the session is
   * kept, and lead to sign-in).
   * @param {import('playwright-core').Page} page
   * @param {Record<string, string>} d
   */
  async function openAccounts(page, d) {
    await signIn(page, d, staff, staffKey, staffSteps);
    await page.getByRole('link', { name: d['nav.support'], exact: true }).click();
    await page.getByRole('link', { name: d['support.accounts.link'] }).click();
    await page.getByRole('heading', { level: 1, name: d['support.accounts.title'] }).waitFor();
  }

  /**
   * Looks an account up by its email address on the accounts page.
   * @param {import('playwright-core').Page} page
   * @param {Record<string, string>} d
   * @param {string} email
   */
  async function find(page, d, email) {
    await page.getByLabel(d['support.accounts.email'], { exact: true }).fill(email);
    await page.getByRole('button', { name: d['support.accounts.find'], exact: true }).click();
  }

  /** @param {string} locale */
  async function context(locale) {
    const ctx = await browser.newContext({ locale, viewport: { width: 900, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    return { ctx, page };
  }

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  step('1. setup: a customer with the app, and a staff member with the app', async () => {
    customerKey = await customerWithApp(customer, customerSteps);
    portalCommand(['staff', 'add', '--email', staff.email, '--name', staff.name], `${staff.password}\n`);
    const login = await call('POST', '/api/login', { email: staff.email, password: staff.password });
    assert.equal(login.status, 'mfa_setup_required', 'staff set up a factor first');
    const setup = await call('POST', '/api/mfa/totp/setup', {}, login.mfa_token);
    await call('POST', '/api/mfa/totp/confirm', { code: await freshTotp(setup.secret, staffSteps) }, login.mfa_token);
    staffKey = setup.secret;
  });

  step('2. staff disable the account with a reason; the customer is signed out and refused', async () => {
    const kim = await context('en-US');
    const desk = await context('en-US');
    const shot = screenshots(desk.page, 'support-accounts');
    try {
      await signIn(kim.page, en, customer, customerKey, customerSteps);
      await kim.page.getByRole('heading', { level: 1, name: fill(en['home.title'], { name: customer.name }) }).waitFor();

      const { page } = desk;
      await openAccounts(page, en);
      await find(page, en, 'nobody-' + customer.email);
      await page.getByText(en['support.accounts.notFound']).waitFor();
      await find(page, en, customer.email);
      await page.getByText(en['support.account.enabled'], { exact: true }).waitFor();
      await page.getByText(en['support.accounts.noHistory']).waitFor();
      assert.deepEqual(await axeViolations(page), [], 'the accounts page passes axe-core');
      await shot('found');

      // A reason is required; the page says so before anything is sent.
      await page.getByRole('button', { name: en['support.accounts.disable'], exact: true }).click();
      await page.getByText(en['support.reasonRequired']).waitFor();
      await page.getByLabel(en['support.accounts.reason'], { exact: true }).fill('Chargeback fraud, ticket 4711');
      await page.getByRole('button', { name: en['support.accounts.disable'], exact: true }).click();
      const dialog = page.getByRole('dialog', { name: en['support.accounts.disableTitle'] });
      await dialog.getByText(fill(en['support.accounts.disableText'], { name: customer.name })).waitFor();
      await dialog.getByRole('button', { name: en['support.accounts.disable'], exact: true }).click();
      await page.getByRole('definition').getByText(en['support.account.disabled'], { exact: true }).waitFor();
      const changes = page.getByRole('list', { name: en['support.accounts.history'] });
      await changes.getByText(en['support.accounts.disabled'], { exact: true }).waitFor();
      await changes.getByText('Chargeback fraud, ticket 4711').waitFor();
      await changes.getByText(fill(en['support.history.by'], { name: staff.name })).waitFor();
      await shot('disabled');

      // The customer's open page: the session has ended.
      await kim.page.goto(`${PORTAL_URL}/settings`);
      await kim.page.getByRole('heading', { level: 1, name: en['login.title'] }).waitFor();
      // The right password now gets the wrong password's message.
      await kim.page.getByLabel(en['login.email'], { exact: true }).fill(customer.email);
      await kim.page.getByLabel(en['login.password'], { exact: true }).fill(customer.password);
      await kim.page.getByRole('button', { name: en['login.submit'], exact: true }).click();
      await kim.page.getByText(en['error.invalid_credentials']).waitFor();
    } catch (err) {
      await shot('failed').catch(() => {});
      throw err;
    } finally {
      await kim.ctx.close();
      await desk.ctx.close();
    }
  });

  step('3. German: staff enable it again; the customer signs in', async () => {
    const desk = await context('de-DE');
    const shot = screenshots(desk.page, 'support-accounts-german');
    try {
      const { page } = desk;
      await openAccounts(page, de);
      await find(page, de, customer.email);
      await page.getByRole('definition').getByText(de['support.account.disabled'], { exact: true }).waitFor();
      assert.deepEqual(await axeViolations(page), [], 'the German accounts page passes axe-core');
      await page.getByRole('button', { name: de['support.accounts.enable'], exact: true }).click();
      const dialog = page.getByRole('dialog', { name: de['support.accounts.enableTitle'] });
      await dialog.getByRole('button', { name: de['support.accounts.enable'], exact: true }).click();
      await page.getByText(de['support.account.enabled'], { exact: true }).waitFor();
      const changes = page.getByRole('list', { name: de['support.accounts.history'] });
      await changes.getByText(de['support.accounts.enabled'], { exact: true }).waitFor();
      await shot('enabled');
    } catch (err) {
      await shot('failed').catch(() => {});
      throw err;
    } finally {
      await desk.ctx.close();
    }
    const login = await call('POST', '/api/login', { email: customer.email, password: customer.password });
    assert.equal(login.status, 'mfa_required', 'the password and the app sign in again');
  });

  step('4. German: staff delete the account for good; the address then signs in like an unknown one', async () => {
    const desk = await context('de-DE');
    const shot = screenshots(desk.page, 'support-accounts-delete');
    try {
      const { page } = desk;
      await openAccounts(page, de);
      await find(page, de, customer.email);
      await page.getByRole('button', { name: de['support.accounts.delete'], exact: true }).click();
      const dialog = page.getByRole('dialog', { name: de['support.accounts.deleteTitle'] });
      assert.deepEqual(await axeViolations(page), [], 'the confirmation passes axe-core');
      await dialog.getByRole('button', { name: de['support.accounts.delete'], exact: true }).click();
      await page.getByText(de['support.accounts.deletedNow'], { exact: true }).waitFor();
      const changes = page.getByRole('list', { name: de['support.accounts.history'] });
      await changes.getByText(de['support.accounts.deleted'], { exact: true }).waitFor();
      assert.deepEqual(await axeViolations(page), [], 'the deleted account\'s page passes axe-core');
      await shot('deleted');
    } catch (err) {
      await shot('failed').catch(() => {});
      throw err;
    } finally {
      await desk.ctx.close();
    }
    const res = await fetch(`${PORTAL_URL}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: customer.email, password: customer.password }),
    });
    assert.equal(res.status, 401, 'the deleted account signs in no more');
  });
});
