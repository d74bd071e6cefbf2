// The owner's own changes in a real browser against a running portal
// (PORTAL_URL): the page's language switch sets the account's language (its
// later mails follow it); Settings > Security > Password changes the password
// with the current one and the app's code, in German on a phone and in
// English on a desktop, the other browser is signed out each time and the
// owner gets a mail in the account's language; Settings > Security > Email
// address sends a link to the new address, whose page (opened from the mail)
// moves the address, in English and in German. axe finds nothing on any state.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import {
  PORTAL_URL,
  axeViolations,
  call,
  customerWithApp,
  dict,
  fill,
  freshTotp,
  launchBrowser,
  outbox,
  screenshots,
  signedInThroughApi,
  storySteps,
  strongPassword,
  uniqueEmail,
  waitForOutbox,
} from './support.mjs';

const en = dict('en');
const de = dict('de');

/**
 * The account's language as the server holds it (GET /api/account), read
 * with the page's session until it is `expected` (the switch's call is not
 * awaited by the page).
 * @param {import('playwright-core').Page} page
 * @param {string} expected
 */
async function accountLanguage(page, expected) {
  const until = Date.now() + 5_000;
  for (;;) {
    const locale = await page.evaluate(async () => {
      const token = sessionStorage.getItem('portal:session-token');
      const res = await fetch('/api/account', { headers: { Authorization: `Bearer ${token}` } });
      return (await res.json()).locale;
    });
    if (locale === expected || Date.now() > until) return locale;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Presses the language switch and waits for the page to be in `to`.
 * @param {import('playwright-core').Page} page
 * @param {Record<string, string>} to the dictionary switched to
 */
async function switchTo(page, to) {
  await page.locator('#lang-switch').click();
  await page.getByRole('heading', { level: 1, name: to['settings.title'], exact: true }).waitFor();
}

/**
 * Settings > Security > Password: opens the form and fills it.
 * @param {import('playwright-core').Page} page
 * @param {Record<string, string>} d
 * @param {{ current: string, next: string, code: string }} values
 */
async function fillPasswordForm(page, d, { current, next, code }) {
  const section = page.locator('section.setting').filter({ has: page.getByRole('heading', { level: 3, name: d['settings.password.title'], exact: true }) });
  const open = section.getByRole('button', { name: d['settings.password.change'], exact: true });
  if (await open.isVisible()) await open.click();
  await section.getByLabel(d['settings.password.current'], { exact: true }).fill(current);
  await section.getByLabel(d['settings.password.new'], { exact: true }).fill(next);
  await section.getByLabel(d['newPassword.repeat'], { exact: true }).fill(next);
  await section.getByLabel(d['stepUp.totp.code'], { exact: true }).fill(code);
  return section;
}

/**
 * Settings > Security > Email address.
 * @param {import('playwright-core').Page} page
 * @param {Record<string, string>} d
 */
function emailSettings(page, d) {
  return page.locator('section.setting').filter({ has: page.getByRole('heading', { level: 3, name: d['settings.email.title'], exact: true }) });
}

/**
 * The confirmation link in a mail.
 * @param {{ body: string }} mail
 */
function linkIn(mail) {
  const link = mail.body.split(/\s+/).find((w) => w.includes('/confirm-email?token='));
  assert.ok(link, mail.body);
  return link;
}

/**
 * The account's mails in German, through the switch (the phone's page is German already).
 * @param {import('playwright-core').Page} page
 */
async function switchAccountToGerman(page) {
  await page.goto(`${PORTAL_URL}/settings`);
  await page.getByRole('heading', { level: 1, name: de['settings.title'], exact: true }).waitFor();
  await switchTo(page, en);
  await switchTo(page, de);
  assert.equal(await accountLanguage(page, 'de'), 'de');
}

describe('The language switch, a new password and a new email address, in German and English', { concurrency: 1 }, () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let desktop;
  /** @type {import('playwright-core').Page} */
  let phone;
  /** @type {(step: string) => Promise<void>} */
  let shot;
  const who = { name: 'Alex Example', email: uniqueEmail('changes'), password: strongPassword() };
  const usedSteps = new Set();
  let key = '';
  const step = storySteps(() => shot);

  before(async () => {
    browser = await launchBrowser();
    desktop = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1000, height: 1000 } })).newPage();
    phone = await (await browser.newContext({ locale: 'de-DE', viewport: { width: 390, height: 844 } })).newPage();
    desktop.setDefaultTimeout(10_000);
    phone.setDefaultTimeout(10_000);
    shot = screenshots(desktop, 'account-changes');
    key = await customerWithApp(who, usedSteps);
    await signedInThroughApi(desktop, who, await freshTotp(key, usedSteps));
    await signedInThroughApi(phone, who, await freshTotp(key, usedSteps));
  });

  after(async () => {
    await browser?.close();
  });

  step('1. the switch sets the account\'s language, in English and in German', async () => {
    await desktop.goto(`${PORTAL_URL}/settings`);
    await desktop.getByRole('heading', { level: 1, name: en['settings.title'], exact: true }).waitFor();
    assert.equal(await accountLanguage(desktop, 'en'), 'en', 'registered in English');
    await switchTo(desktop, de);
    assert.equal(await accountLanguage(desktop, 'de'), 'de');
    await switchTo(desktop, en);
    assert.equal(await accountLanguage(desktop, 'en'), 'en');

    await phone.goto(`${PORTAL_URL}/settings`);
    await phone.getByRole('heading', { level: 1, name: de['settings.title'], exact: true }).waitFor();
    // The German page does not change the account by being shown: only the switch does.
    assert.equal(await accountLanguage(phone, 'en'), 'en');
    await switchTo(phone, en);
    await switchTo(phone, de);
    assert.equal(await accountLanguage(phone, 'de'), 'de');
  });

  step('2. German, on a phone: a weak and a wrong password are named at their fields; axe finds nothing', async () => {
    const s = screenshots(phone, 'account-changes-de');
    let section = await fillPasswordForm(phone, de, { current: who.password, next: 'password123', code: '000000' });
    assert.deepEqual(await axeViolations(phone), []);
    await section.getByRole('button', { name: de['settings.password.submit'], exact: true }).click();
    await section.getByText(de['password.wellKnown']).waitFor();
    const next = strongPassword();
    section = await fillPasswordForm(phone, de, { current: 'not the password', next, code: await freshTotp(key, usedSteps) });
    await section.getByRole('button', { name: de['settings.password.submit'], exact: true }).click();
    await section.getByText(de['settings.password.wrongCurrent']).waitFor();
    assert.deepEqual(await axeViolations(phone), []);
    await s('errors');

    // The code was not used up by the refusal: the right password goes through with it.
    await section.getByLabel(de['settings.password.current'], { exact: true }).fill(who.password);
    await section.getByRole('button', { name: de['settings.password.submit'], exact: true }).click();
    await phone.getByText(de['settings.password.changed']).waitFor();
    assert.deepEqual(await axeViolations(phone), []);
    await s('changed');
    who.password = next;

    const mail = await waitForOutbox((m) => m.to === who.email && m.subject.endsWith('Ihr Passwort wurde geändert'));
    assert.ok(mail.body.includes('in den Einstellungen geändert'), 'in the account\'s language (German)');
    assert.ok(!mail.body.includes(next), 'never the password');
  });

  step('3. the desktop browser was signed out; the phone goes on', async () => {
    await desktop.goto(`${PORTAL_URL}/settings`);
    await desktop.getByRole('heading', { level: 1, name: en['login.title'], exact: true }).waitFor();
    await phone.goto(`${PORTAL_URL}/settings`);
    await phone.getByRole('heading', { level: 1, name: de['settings.title'], exact: true }).waitFor();
  });

  step('4. English, on a desktop: the new password signs in, and changes again; the mail follows the switch', async () => {
    await signedInThroughApi(desktop, who, await freshTotp(key, usedSteps));
    await desktop.goto(`${PORTAL_URL}/settings`);
    await desktop.getByRole('heading', { level: 1, name: en['settings.title'], exact: true }).waitFor();
    // The page is English, the account German (the phone's switch): pressing
    // the switch there and back makes the account English again.
    await switchTo(desktop, de);
    await switchTo(desktop, en);
    assert.equal(await accountLanguage(desktop, 'en'), 'en');
    const before = (await outbox()).length;
    const next = strongPassword();
    const section = await fillPasswordForm(desktop, en, { current: who.password, next, code: await freshTotp(key, usedSteps) });
    assert.deepEqual(await axeViolations(desktop), []);
    await shot('form');
    await section.getByRole('button', { name: en['settings.password.submit'], exact: true }).click();
    await desktop.getByText(en['settings.password.changed']).waitFor();
    assert.deepEqual(await axeViolations(desktop), []);
    await shot('changed');
    who.password = next;
    const mail = await waitForOutbox((m, i) => i >= before && m.to === who.email && m.subject.endsWith('Your password was changed'));
    assert.ok(mail.body.includes('changed in the settings'), mail.body);
    // The phone was signed out by this change.
    await phone.goto(`${PORTAL_URL}/settings`);
    await phone.getByRole('heading', { level: 1, name: de['login.title'], exact: true }).waitFor();
  });

  step('5. English: a new email address gets a link; its page confirms it, and the old address is told', async () => {
    const next = uniqueEmail('changes-new');
    await desktop.goto(`${PORTAL_URL}/settings`);
    const section = emailSettings(desktop, en);
    await section.getByText(fill(en['settings.email.current'], { email: who.email })).waitFor();
    await section.getByRole('button', { name: en['settings.email.change'], exact: true }).click();
    await section.getByLabel(en['settings.email.new'], { exact: true }).fill(next);
    await section.getByLabel(en['stepUp.totp.code'], { exact: true }).fill(await freshTotp(key, usedSteps));
    assert.deepEqual(await axeViolations(desktop), []);
    await section.getByRole('button', { name: en['settings.email.submit'], exact: true }).click();
    await section.getByText(fill(en['settings.email.sent'], { email: next })).waitFor();
    assert.deepEqual(await axeViolations(desktop), []);
    await shot('email-sent');

    const link = linkIn(await waitForOutbox((m) => m.to === next && m.body.includes('/confirm-email?token=')));
    await desktop.goto(link);
    await desktop.getByRole('heading', { level: 1, name: en['confirmEmail.title'], exact: true }).waitFor();
    assert.deepEqual(await axeViolations(desktop), []);
    await desktop.getByRole('button', { name: en['confirmEmail.submit'], exact: true }).click();
    await desktop.getByRole('heading', { level: 1, name: en['confirmEmail.doneTitle'], exact: true }).waitFor();
    await desktop.getByText(fill(en['confirmEmail.done'], { email: next })).waitFor();
    assert.deepEqual(await axeViolations(desktop), []);
    await shot('email-confirmed');
    const told = await waitForOutbox((m) => m.to === who.email && m.subject.endsWith('Your email address was changed'));
    assert.ok(told.body.includes(next), told.body);
    who.email = next;
    await desktop.getByRole('link', { name: en['confirmEmail.toSettings'], exact: true }).click();
    await emailSettings(desktop, en).getByText(fill(en['settings.email.current'], { email: next })).waitFor();
  });

  step('6. German, on a phone: a taken address is named at the field; the link, followed twice, works once', async () => {
    const s = screenshots(phone, 'account-changes-de');
    await signedInThroughApi(phone, who, await freshTotp(key, usedSteps));
    await switchAccountToGerman(phone);
    const taken = uniqueEmail('changes-taken');
    await call('POST', '/api/register', { name: 'Taken', email: taken, password: strongPassword() });
    await phone.goto(`${PORTAL_URL}/settings`);
    const section = emailSettings(phone, de);
    await section.getByRole('button', { name: de['settings.email.change'], exact: true }).click();
    await section.getByLabel(de['settings.email.new'], { exact: true }).fill(taken);
    await section.getByLabel(de['stepUp.totp.code'], { exact: true }).fill(await freshTotp(key, usedSteps));
    await section.getByRole('button', { name: de['settings.email.submit'], exact: true }).click();
    await section.getByText(de['settings.email.taken']).waitFor();
    assert.deepEqual(await axeViolations(phone), []);
    await s('email-taken');

    const next = uniqueEmail('changes-neu');
    await section.getByLabel(de['settings.email.new'], { exact: true }).fill(next);
    await section.getByRole('button', { name: de['settings.email.submit'], exact: true }).click();
    await section.getByText(fill(de['settings.email.sent'], { email: next })).waitFor();
    const mail = await waitForOutbox((m) => m.to === next && m.body.includes('/confirm-email?token='));
    assert.ok(mail.subject.endsWith('Neue E-Mail-Adresse bestätigen'), `in the account's language: ${mail.subject}`);
    const link = linkIn(mail);
    await phone.goto(link);
    await phone.getByRole('heading', { level: 1, name: de['confirmEmail.title'], exact: true }).waitFor();
    await phone.getByRole('button', { name: de['confirmEmail.submit'], exact: true }).click();
    await phone.getByText(fill(de['confirmEmail.done'], { email: next })).waitFor();
    assert.deepEqual(await axeViolations(phone), []);
    await s('email-confirmed');
    // The same link again: dead, said so.
    await phone.goto(link);
    await phone.getByRole('button', { name: de['confirmEmail.submit'], exact: true }).click();
    await phone.getByRole('heading', { level: 1, name: de['confirmEmail.invalidTitle'], exact: true }).waitFor();
    assert.deepEqual(await axeViolations(phone), []);
    await s('email-link-used');
    // The new address signs in, the old one no longer.
    const login = async (email) => (await fetch(`${PORTAL_URL}/api/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: who.password }),
    })).status;
    assert.equal(await login(next), 200);
    assert.equal(await login(who.email), 401);
  });
});
