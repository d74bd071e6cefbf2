// Password forgotten, in a real browser against a running portal (PORTAL_URL):
// "Password forgotten?" on the sign-in page, the link from /dev/outbox, a new
// password typed twice, signing in with it; the same link a second time, and
// a garbled one, say at once that they are no longer valid (before anything
// is typed). An unknown address gets the very same page. axe-core checks each
// page, in English and German.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  PORTAL_URL,
  axeViolations,
  dict,
  fill,
  launchBrowser,
  screenshots,
  strongPassword,
  uniqueEmail,
  storySteps,
  waitForOutbox,
} from './support.mjs';

const en = dict('en');
const de = dict('de');

/** @param {string} email @param {string} password @param {string} name @param {string} locale */
async function register(email, password, name, locale) {
  const res = await fetch(`${PORTAL_URL}/api/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password, name, locale }),
  });
  assert.equal(res.status, 201, `register: ${await res.text()}`);
}

/**
 * The link with one character of its token's secret changed.
 * @param {string} link
 */
function garbled(link) {
  const last = link.at(-1) === 'A' ? 'B' : 'A';
  return `${link.slice(0, -1)}${last}`;
}

/**
 * A dead link opens straight onto "link not valid" with the way to a new
 * one: no password field to fill first.
 * @param {import('playwright-core').Page} page
 * @param {Record<string, string>} d
 * @param {string} link
 */
async function deadLinkSaidAtOnce(page, d, link) {
  await page.goto(link);
  await page.getByRole('heading', { level: 1, name: d['newPassword.invalidTitle'], exact: true }).waitFor();
  await page.getByText(d['newPassword.invalid'], { exact: true }).waitFor();
  await page.getByRole('link', { name: d['newPassword.requestNew'], exact: true }).waitFor();
  assert.equal(await page.getByLabel(d['newPassword.password'], { exact: true }).count(), 0, 'no password field for a dead link');
  assert.deepEqual(await axeViolations(page), []);
}

/**
 * The reset link of the newest email to `email` holding one.
 * @param {string} email
 * @param {string} [not] a link already seen, to wait for a newer one
 */
async function resetLink(email, not) {
  const mail = await waitForOutbox((m) => m.to === email && m.body.includes('/reset-password?token=') && (!not || !m.body.includes(not)));
  const link = mail.body.split(/\s+/).find((w) => w.includes('/reset-password?token='));
  assert.ok(link, mail.body);
  return link;
}

describe('Password forgotten in English: request a link, set a new password, sign in; the link works once', { concurrency: 1 }, () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {(step: string) => Promise<void>} */
  let shot;

  const name = 'Robin Reset';
  const email = uniqueEmail('forgot');
  const oldPassword = strongPassword();
  const newPassword = strongPassword();
  let link = '';

  const heading = (text) => page.getByRole('heading', { level: 1, name: text, exact: true });
  const button = (text) => page.getByRole('button', { name: text, exact: true });

  const step = storySteps(() => shot);

  /** @param {string} address */
  async function requestLink(address) {
    await page.goto(`${PORTAL_URL}/login`);
    await heading(en['login.title']).waitFor();
    await page.getByRole('link', { name: en['login.forgot'], exact: true }).click();
    await heading(en['forgot.title']).waitFor();
    await page.getByLabel(en['forgot.email'], { exact: true }).fill(address);
    await button(en['forgot.submit']).click();
    await heading(en['forgot.sentTitle']).waitFor();
    await page.getByText(en['forgot.sentSpam'], { exact: true }).waitFor();
  }

  before(async () => {
    browser = await launchBrowser();
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 900, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    shot = screenshots(page, 'password-forgot');
  });

  after(async () => {
    await browser?.close();
  });

  step('1. an unknown address gets the same "check your inbox" page', async () => {
    await requestLink(uniqueEmail('nobody'));
    await page.getByText(en['forgot.sent'], { exact: true }).waitFor();
    assert.deepEqual(await axeViolations(page), []);
    await shot('sent-unknown');
  });

  step('2. "Password forgotten?" on the sign-in page sends a link', async () => {
    await register(email, oldPassword, name, 'en');
    // The address typed on the sign-in page is filled in on the next one.
    await page.goto(`${PORTAL_URL}/login`);
    await page.getByLabel(en['login.email'], { exact: true }).fill(email);
    await page.getByRole('link', { name: en['login.forgot'], exact: true }).click();
    await heading(en['forgot.title']).waitFor();
    assert.equal(await page.getByLabel(en['forgot.email'], { exact: true }).inputValue(), email);
    await requestLink(email);
    await shot('sent');
    link = await resetLink(email);
    assert.ok(link.startsWith(`${PORTAL_URL}/reset-password?token=`), link);
  });

  step('3. the link opens the page; the two passwords must match; the new one is set', async () => {
    // A garbled copy of the link is dead from the start; the real one shows the form.
    await deadLinkSaidAtOnce(page, en, garbled(link));
    await page.goto(link);
    await heading(en['newPassword.title']).waitFor();
    assert.deepEqual(await axeViolations(page), []);
    await page.getByLabel(en['newPassword.password'], { exact: true }).fill(newPassword);
    await page.getByLabel(en['newPassword.repeat'], { exact: true }).fill(`${newPassword}x`);
    await button(en['newPassword.submit']).click();
    await page.getByText(en['newPassword.mismatch'], { exact: true }).waitFor();
    // A well-known password: the reason at the field, and the link still works.
    await page.getByLabel(en['newPassword.password'], { exact: true }).fill('password123');
    await page.getByLabel(en['newPassword.repeat'], { exact: true }).fill('password123');
    await button(en['newPassword.submit']).click();
    await page.getByText(en['password.wellKnown']).waitFor();
    await page.getByLabel(en['newPassword.password'], { exact: true }).fill(newPassword);
    await page.getByLabel(en['newPassword.repeat'], { exact: true }).fill(newPassword);
    await button(en['newPassword.submit']).click();
    await heading(en['newPassword.doneTitle']).waitFor();
    await page.getByText(en['newPassword.done'], { exact: true }).waitFor();
    assert.deepEqual(await axeViolations(page), []);
    await shot('done');
  });

  step('4. signing in works with the new password, not with the old', async () => {
    await page.getByRole('link', { name: en['newPassword.signIn'], exact: true }).click();
    await heading(en['login.title']).waitFor();
    await page.getByLabel(en['login.email'], { exact: true }).fill(email);
    await page.getByLabel(en['login.password'], { exact: true }).fill(oldPassword);
    await button(en['login.submit']).click();
    await page.getByText(en['error.invalid_credentials'], { exact: true }).waitFor();
    await page.getByLabel(en['login.password'], { exact: true }).fill(newPassword);
    await button(en['login.submit']).click();
    await heading(fill(en['home.title'], { name })).waitFor();
    await shot('signed-in');
  });

  step('5. the same link a second time: no longer valid as it opens, with a way to a new one', async () => {
    await deadLinkSaidAtOnce(page, en, link);
    await shot('used-link');
    await page.getByRole('link', { name: en['newPassword.requestNew'], exact: true }).click();
    await heading(en['forgot.title']).waitFor();
  });

  step('6. a page without a token says the link is not valid', async () => {
    await page.goto(`${PORTAL_URL}/reset-password`);
    await heading(en['newPassword.invalidTitle']).waitFor();
  });
});

describe('Passwort vergessen auf Deutsch: the email and the pages in German', { concurrency: 1 }, () => {
  /** @type {import('playwright-core').Browser} */
  let browser;

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  it('request, German email, set a new password', async () => {
    const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const shot = screenshots(page, 'password-forgot-de');
    const heading = (text) => page.getByRole('heading', { level: 1, name: text, exact: true });
    const email = uniqueEmail('vergessen');
    await register(email, strongPassword(), 'Kim Beispiel', 'de');
    await page.goto(`${PORTAL_URL}/login`);
    await page.getByRole('link', { name: de['login.forgot'], exact: true }).click();
    await heading(de['forgot.title']).waitFor();
    await page.getByLabel(de['forgot.email'], { exact: true }).fill(email);
    await page.getByRole('button', { name: de['forgot.submit'], exact: true }).click();
    await heading(de['forgot.sentTitle']).waitFor();
    await shot('gesendet');
    const mail = await waitForOutbox((m) => m.to === email && m.body.includes('/reset-password?token='));
    assert.match(mail.body, /eine Stunde/);
    const link = /** @type {string} */ (mail.body.split(/\s+/).find((w) => w.includes('/reset-password?token=')));
    await deadLinkSaidAtOnce(page, de, garbled(link));
    await shot('verstuemmelt');
    await page.goto(link);
    await heading(de['newPassword.title']).waitFor();
    assert.deepEqual(await axeViolations(page), []);
    const password = strongPassword();
    await page.getByLabel(de['newPassword.password'], { exact: true }).fill(password);
    await page.getByLabel(de['newPassword.repeat'], { exact: true }).fill(password);
    await page.getByRole('button', { name: de['newPassword.submit'], exact: true }).click();
    await heading(de['newPassword.doneTitle']).waitFor();
    await shot('geaendert');
    // Used once: the same link now opens onto "not valid", in German.
    await deadLinkSaidAtOnce(page, de, link);
    await shot('benutzt');
    await context.close();
  });
});
