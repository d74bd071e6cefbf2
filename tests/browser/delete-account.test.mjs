// "Delete my account" (Settings > Security) in a real browser against a
// running portal (PORTAL_URL): in German a wrong password is refused at its
// field and nothing is deleted; in English the password, the confirmation
// and the app's code delete the account, the page is signed out and says
// so, and the address signs in no more. axe finds nothing on either page.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { PORTAL_URL, axeViolations, customerWithApp, dict, freshTotp, launchBrowser, screenshots, signedInThroughApi, storySteps, strongPassword, uniqueEmail } from './support.mjs';

const en = dict('en');
const de = dict('de');

/** @param {string} email @param {string} password */
async function loginStatus(email, password) {
  const res = await fetch(`${PORTAL_URL}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }) });
  return res.status;
}

/**
 * The section, its password and the flow up to the step-up dialog.
 * @param {import('playwright-core').Page} page
 * @param {Record<string, string>} d
 */
async function startDeletion(page, d, password) {
  await page.goto(`${PORTAL_URL}/settings`);
  const section = page.getByRole('region', { name: d['settings.delete.title'], exact: true });
  await section.waitFor();
  assert.deepEqual(await axeViolations(page), []);
  await section.getByLabel(d['settings.delete.password'], { exact: true }).fill(password);
  await section.getByRole('button', { name: d['settings.delete.submit'], exact: true }).click();
  const confirm = page.getByRole('dialog', { name: d['settings.delete.confirmTitle'] });
  await confirm.getByText(d['settings.delete.confirmText']).waitFor();
  assert.deepEqual(await axeViolations(page), []);
  await confirm.getByRole('button', { name: d['settings.delete.confirm'], exact: true }).click();
  const stepUp = page.getByRole('dialog', { name: d['stepUp.title'] });
  await stepUp.getByText(d['settings.delete.stepUp']).waitFor();
  return { section, stepUp };
}

describe('Deleting one\'s own account in German and English', { concurrency: 1 }, () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let german;
  /** @type {import('playwright-core').Page} */
  let english;
  /** @type {(step: string) => Promise<void>} */
  let shot;
  const anna = { name: 'Anna Beispiel', email: uniqueEmail('delete-de'), password: strongPassword() };
  const alex = { name: 'Alex Example', email: uniqueEmail('delete-en'), password: strongPassword() };
  const annaSteps = new Set();
  const alexSteps = new Set();
  let annaKey = '';
  let alexKey = '';
  const step = storySteps(() => shot);

  before(async () => {
    browser = await launchBrowser();
    german = await (await browser.newContext({ locale: 'de-DE', viewport: { width: 390, height: 844 } })).newPage();
    english = await (await browser.newContext({ locale: 'en-US', viewport: { width: 900, height: 1000 } })).newPage();
    german.setDefaultTimeout(10_000);
    english.setDefaultTimeout(10_000);
    shot = screenshots(english, 'delete-account');
    annaKey = await customerWithApp(anna, annaSteps);
    alexKey = await customerWithApp(alex, alexSteps);
  });

  after(async () => {
    await browser?.close();
  });

  step('1. in German, a wrong password is refused at its field after the code, and the account stays', async () => {
    await signedInThroughApi(german, anna, await freshTotp(annaKey, annaSteps));
    const { section, stepUp } = await startDeletion(german, de, 'not the password at all');
    await stepUp.getByLabel(de['stepUp.totp.code'], { exact: true }).fill(await freshTotp(annaKey, annaSteps));
    await stepUp.getByRole('button', { name: de['settings.delete.confirm'], exact: true }).click();
    await section.getByText(de['settings.delete.wrongPassword']).waitFor();
    assert.deepEqual(await axeViolations(german), []);
    await screenshots(german, 'delete-account-de')('wrong-password');
    assert.equal(await loginStatus(anna.email, anna.password), 200, 'not deleted');
  });

  step('2. in English, the password, the confirmation and the code delete it; the page signs out and says so', async () => {
    await signedInThroughApi(english, alex, await freshTotp(alexKey, alexSteps));
    const { stepUp } = await startDeletion(english, en, alex.password);
    assert.deepEqual(await axeViolations(english), []);
    await stepUp.getByLabel(en['stepUp.totp.code'], { exact: true }).fill(await freshTotp(alexKey, alexSteps));
    await stepUp.getByRole('button', { name: en['settings.delete.confirm'], exact: true }).click();
    await english.getByText(en['settings.delete.done']).waitFor();
    await english.getByRole('heading', { level: 1, name: en['login.title'], exact: true }).waitFor();
    assert.equal(await english.evaluate(() => sessionStorage.getItem('portal:session-token')), null);
    assert.deepEqual(await axeViolations(english), []);
    await shot('deleted');
    assert.equal(await loginStatus(alex.email, alex.password), 401, 'it signs in no more');
  });
});
