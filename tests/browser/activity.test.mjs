// Recent activity and "Sign out everywhere else" in a real browser against a
// running portal (PORTAL_URL): two browser contexts of one person, one
// "Firefox on Windows" in English, one Chromium in German; each sees the
// other's sign-in with its client and network in the list; signing out
// everywhere else from the first ends the second, and the first goes on.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe } from 'node:test';
import {
  PORTAL_URL,
  axeViolations,
  customerWithApp,
  dict,
  fill,
  freshTotp,
  launchBrowser,
  screenshots,
  signedInThroughApi,
  storySteps,
  strongPassword,
  uniqueEmail,
} from './support.mjs';

const en = dict('en');
const de = dict('de');
const FIREFOX_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

/** @param {import('playwright-core').Page} page @param {string} email */
async function wrongPassword(page, email) {
  await page.goto(`${PORTAL_URL}/`);
  const status = await page.evaluate(async (email) => {
    const body = JSON.stringify({ email, password: 'not the password' });
    const res = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    return res.status;
  }, email);
  assert.equal(status, 401);
}

/**
 * @param {import('playwright-core').Page} page
 * @param {Record<string, string>} d
 */
function ui(page, d) {
  const section = page.getByRole('region', { name: d['settings.activity.title'], exact: true });
  const list = section.getByRole('list', { name: d['settings.activity.title'], exact: true });
  return {
    section,
    list,
    entries: list.getByRole('listitem'),
    async open() {
      await page.goto(`${PORTAL_URL}/settings`);
      await page.getByRole('heading', { level: 3, name: d['settings.activity.title'], exact: true }).waitFor();
      await list.waitFor();
    },
  };
}

describe('Recent activity in English and German, and signing out everywhere else', { concurrency: 1 }, () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let firefox;
  /** @type {import('playwright-core').Page} */
  let chromium;
  /** @type {(step: string) => Promise<void>} */
  let shot;
  const who = { name: 'Alex Example', email: uniqueEmail('activity'), password: strongPassword() };
  const usedSteps = new Set();
  let key = '';
  let firstToken = '';
  const step = storySteps(() => shot);

  before(async () => {
    browser = await launchBrowser();
    const a = await browser.newContext({ locale: 'en-US', userAgent: FIREFOX_ON_WINDOWS, viewport: { width: 900, height: 1000 } });
    const b = await browser.newContext({ locale: 'de-DE', viewport: { width: 390, height: 844 } });
    firefox = await a.newPage();
    chromium = await b.newPage();
    firefox.setDefaultTimeout(10_000);
    chromium.setDefaultTimeout(10_000);
    shot = screenshots(firefox, 'activity');
    key = await customerWithApp(who, usedSteps);
  });

  after(async () => {
    await browser?.close();
  });

  step('1. a wrong password and a sign-in from "Firefox on Windows", then one from Chromium', async () => {
    await wrongPassword(firefox, who.email);
    firstToken = await signedInThroughApi(firefox, who, await freshTotp(key, usedSteps));
    await signedInThroughApi(chromium, who, await freshTotp(key, usedSteps));
  });

  step('2. in German, the list names the Firefox sign-in with its client and network; axe finds nothing', async () => {
    const u = ui(chromium, de);
    await u.open();
    const firefoxSignIn = u.entries.filter({ hasText: fill(de['settings.activity.client.browserOnOs.network'], { browser: 'Firefox', os: 'Windows', network: '127.0.0.0/24' }) });
    await firefoxSignIn.filter({ hasText: de['settings.activity.kind.signed_in.totp'] }).waitFor();
    await u.entries.filter({ hasText: de['settings.activity.kind.password_failed'] }).first().waitFor();
    const newest = await u.entries.first().textContent();
    assert.ok(newest?.includes(de['settings.activity.kind.signed_in.totp']), `newest first: ${newest}`);
    assert.ok(newest?.includes(fill(de['settings.activity.client.browserOnOs'], { browser: 'Chrome', os: 'Linux' })), `Chromium's own sign-in on top: ${newest}`);
    const text = (await u.list.textContent()) || '';
    assert.ok(!text.includes('127.0.0.1'), 'never the full address');
    await u.section.getByRole('button', { name: de['settings.activity.signOutOthers'], exact: true }).waitFor();
    assert.deepEqual(await axeViolations(chromium), []);
    await screenshots(chromium, 'activity-de')('german-phone');
  });

  step('3. in English, "Sign out everywhere else" asks, then ends the other browser and keeps this one', async () => {
    const u = ui(firefox, en);
    await u.open();
    await u.entries.filter({ hasText: en['settings.activity.kind.signed_in.totp'] }).first().waitFor();
    await u.entries.filter({ hasText: en['settings.activity.kind.password_failed'] }).waitFor();
    assert.deepEqual(await axeViolations(firefox), []);
    await shot('list');

    await u.section.getByRole('button', { name: en['settings.activity.signOutOthers'], exact: true }).click();
    const dialog = firefox.getByRole('dialog', { name: en['settings.activity.confirmTitle'] });
    await dialog.getByText(en['settings.activity.confirmText']).waitFor();
    assert.deepEqual(await axeViolations(firefox), []);
    await dialog.getByRole('button', { name: en['settings.activity.confirm'], exact: true }).click();
    await u.section.getByText(en['settings.activity.signedOutOthers']).waitFor();
    await u.entries.first().filter({ hasText: en['settings.activity.kind.signed_out_everywhere_else'] }).waitFor();
    const token = await firefox.evaluate(() => sessionStorage.getItem('portal:session-token'));
    assert.ok(token && token !== firstToken, 'the page goes on under the new token');
    await shot('signed-out-elsewhere');

    // Still signed in here after a reload.
    await u.open();
    await u.entries.first().filter({ hasText: en['settings.activity.kind.signed_out_everywhere_else'] }).waitFor();
  });

  step('4. the other browser is signed out: its next page asks to sign in', async () => {
    await chromium.goto(`${PORTAL_URL}/settings`);
    await chromium.getByRole('heading', { level: 1, name: de['login.title'], exact: true }).waitFor();
    const token = await chromium.evaluate(() => sessionStorage.getItem('portal:session-token'));
    assert.equal(token, null, 'the ended session was forgotten');
  });

  step('5. "Download my data" asks for the app\'s code, then downloads the JSON', async () => {
    const button = firefox.getByRole('button', { name: en['settings.export.download'], exact: true });
    await button.click();
    const dialog = firefox.getByRole('dialog', { name: en['stepUp.title'] });
    await dialog.getByText(en['settings.export.stepUp']).waitFor();
    assert.deepEqual(await axeViolations(firefox), []);
    await dialog.getByLabel(en['stepUp.totp.code'], { exact: true }).fill(await freshTotp(key, usedSteps));
    const [download] = await Promise.all([
      firefox.waitForEvent('download'),
      dialog.getByRole('button', { name: en['settings.export.download'], exact: true }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'my-data.json');
    const path = await download.path();
    const data = JSON.parse(await readFile(path, 'utf8'));
    assert.equal(data.profile.email, who.email);
    assert.equal(data.factors[0].kind, 'totp');
    assert.ok(data.activity.some((/** @type {{ kind: string }} */ e) => e.kind === 'signed_out_everywhere_else'));
    assert.ok(!JSON.stringify(data).includes(who.password), 'never the password');
    await firefox.getByText(en['settings.export.done']).waitFor();
  });
});
