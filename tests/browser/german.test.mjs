// The page in German for a browser set to German, the language switch, and
// registering and signing in in German, on a phone-sized screen.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  PORTAL_URL,
  dict,
  fill,
  horizontalOverflow,
  launchBrowser,
  screenshots,
  strongPassword,
  uniqueEmail,
} from './support.mjs';

const de = dict('de');
const en = dict('en');

/** @type {import('playwright-core').Browser} */
let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

test('German: browser locale, language switch, register and first sign-in', async () => {
  const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const shot = screenshots(page, 'german');
  const heading = (text) => page.getByRole('heading', { level: 1, name: text, exact: true });
  const button = (text) => page.getByRole('button', { name: text, exact: true });
  const lang = () => page.locator('html').getAttribute('lang');

  try {
    await page.goto(`${PORTAL_URL}/`);
    await heading(de['login.title']).waitFor();
    await page.getByLabel(de['login.email'], { exact: true }).waitFor();
    await button(de['login.submit']).waitFor();
    assert.equal(await lang(), 'de');
    assert.ok((await horizontalOverflow(page)) <= 0, 'no sideways scrolling at 360px');
    await shot('login');

    // Switch to English; the choice is remembered across a reload.
    await button(de['lang.switch']).click();
    await heading(en['login.title']).waitFor();
    await page.getByLabel(en['login.password'], { exact: true }).waitFor();
    assert.equal(await lang(), 'en');
    await page.reload();
    await heading(en['login.title']).waitFor();
    await shot('switched-to-english');
    await button(en['lang.switch']).click();
    await heading(de['login.title']).waitFor();
    assert.equal(await lang(), 'de');

    // Register in German; a weak password is refused with a German message.
    const name = 'Erika Mustermann';
    const email = uniqueEmail('deutsch');
    const password = strongPassword();
    await page.getByRole('link', { name: de['login.register'] }).click();
    await heading(de['register.title']).waitFor();
    await page.getByLabel(de['register.name'], { exact: true }).fill(name);
    await page.getByLabel(de['register.email'], { exact: true }).fill(email);
    const pw = page.getByLabel(de['register.password'], { exact: true });
    await pw.fill('short');
    await button(de['register.submit']).click();
    await page.getByText(de['validation.passwordLength']).waitFor();
    await pw.fill('password123');
    await button(de['register.submit']).click();
    // Said at the password field, which takes the focus; the form's alert stays empty.
    await page.getByText(de['password.wellKnown']).waitFor();
    assert.equal(await pw.getAttribute('aria-invalid'), 'true');
    assert.equal(await pw.evaluate((el) => el === document.activeElement), true, 'the password field has the focus');
    assert.equal(await page.getByText(de['register.invalid']).count(), 0, 'no general error');
    await shot('register-refused');
    await pw.fill(password);
    await button(de['register.submit']).click();
    await page.getByText(de['login.registered']).waitFor();

    // The same email again: shown at the email field.
    await page.getByRole('link', { name: de['login.register'] }).click();
    await page.getByLabel(de['register.name'], { exact: true }).fill(name);
    await page.getByLabel(de['register.email'], { exact: true }).fill(email);
    await page.getByLabel(de['register.password'], { exact: true }).fill(password);
    await button(de['register.submit']).click();
    await page.getByText(de['error.email_taken']).waitFor();
    await shot('email-taken');

    await page.getByRole('link', { name: de['register.signIn'] }).click();
    await heading(de['login.title']).waitFor();
    await page.getByLabel(de['login.email'], { exact: true }).fill(email);
    await page.getByLabel(de['login.password'], { exact: true }).fill(password);
    await button(de['login.submit']).click();

    await heading(fill(de['home.title'], { name })).waitFor();
    await page.getByText(de['home.setupDue']).waitFor();
    await button(de['home.setupNow']).waitFor();
    assert.ok((await horizontalOverflow(page)) <= 0, 'no sideways scrolling at 360px');
    await shot('home-setup-due');

    await button(de['nav.signOut']).click();
    await page.getByText(de['login.signedOut']).waitFor();
  } catch (err) {
    await shot('failed').catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
});
