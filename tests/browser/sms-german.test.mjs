// SMS as second factor in German on a phone-sized screen (360 px, browser
// locale de-DE): setup by SMS with the number typed with its leading 0,
// sign-in with "Code senden" and the countdown, and a change of number in
// the settings. Codes are read from /dev/outbox.

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
  uniquePhone,
} from './support.mjs';
import { masked, smsPage } from './sms-steps.mjs';

const de = dict('de');

/** @type {import('playwright-core').Browser} */
let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

test('German at 360 px: SMS setup, sign-in by SMS with the countdown, change of number', async () => {
  const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const shot = screenshots(page, 'deutsch-sms');
  const ui = smsPage(page, de);
  const fits = async (where) => assert.ok((await horizontalOverflow(page)) <= 0, `no sideways scrolling at 360px: ${where}`);
  const name = 'Erika Mustermann';
  const email = uniqueEmail('sms-de');
  const password = strongPassword();
  const phone = uniquePhone();
  const newPhone = uniquePhone();

  try {
    await page.goto(`${PORTAL_URL}/register`);
    await ui.heading(de['register.title']).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'de');
    await ui.label(de['register.name']).fill(name);
    await ui.label(de['register.email']).fill(email);
    await ui.label(de['register.password']).fill(password);
    await ui.button(de['register.submit']).click();
    await page.getByText(de['login.registered']).waitFor();
    await ui.signIn(email, password);
    await ui.heading(fill(de['home.title'], { name })).waitFor();
    await ui.signOut();

    // Setup: the app is recommended, with the reason; SMS with "inkl. Ländervorwahl".
    await ui.signIn(email, password);
    await ui.heading(de['setup.title']).waitFor();
    await page.getByText(de['setup.choice.appWhy']).waitFor();
    await ui.label(de['setup.choice.sms']).check();
    await ui.label(de['sms.phone']).waitFor();
    assert.match(de['sms.phone'], /inkl\. Ländervorwahl/);
    await ui.enterNumber('+49', `0${phone.slice(3, 6)} ${phone.slice(6, 10)} ${phone.slice(10)}`);
    await fits('SMS setup');
    await shot('setup-sms');
    await ui.button(de['setup.sms.send']).click();
    await ui.sentLine(phone).waitFor();
    await ui.countdown();
    await fits('code');
    await shot('setup-sms-code');
    await ui.typeSmsCode(phone, 0, de['setup.sms.code']);
    await ui.button(de['setup.sms.submit']).click();
    await ui.takeRecoveryCodes('setup.sms.activated');
    await fits('recovery codes');
    await shot('recovery-codes');
    await ui.button(de['recovery.continue']).click();
    await ui.heading(fill(de['home.title'], { name })).waitFor();
    await ui.signOut();

    // Sign-in by SMS.
    await ui.signIn(email, password);
    await ui.heading(de['verify.title']).waitFor();
    const seen = await ui.smsCount(phone);
    await ui.button(de['verify.sms.send']).click();
    await ui.sentLine(phone).waitFor();
    const waiting = await ui.countdown();
    assert.match((await waiting.textContent()) || '', /Neuer Code in (59|60) Sekunden/);
    await fits('verify');
    await shot('verify-sms-sent');
    await ui.typeSmsCode(phone, seen, de['verify.sms.code']);
    await ui.button(de['verify.submit']).click();
    await ui.heading(fill(de['home.title'], { name })).waitFor();

    // Settings: the masked number, then a new one.
    await page.getByRole('link', { name: de['nav.settings'], exact: true }).click();
    await ui.heading(de['settings.title']).waitFor();
    await page.getByText(fill(de['settings.sms.activeText'], { phone: masked(phone) })).waitFor();
    await fits('settings');
    await shot('settings-sms');
    await ui.button(de['settings.sms.change']).click();
    const seenOld = await ui.smsCount(phone);
    await ui.button(de['stepUp.sms.send']).click();
    await ui.countdown();
    await ui.typeSmsCode(phone, seenOld, de['stepUp.sms.code']);
    await ui.enterNumber('+49', newPhone.slice(3));
    await fits('change of number');
    await shot('settings-change-number');
    await ui.button(de['setup.sms.send']).click();
    await ui.sentLine(newPhone).waitFor();
    await ui.typeSmsCode(newPhone, 0, de['setup.sms.code']);
    await ui.button(de['setup.sms.submit']).click();
    await ui.takeRecoveryCodes('settings.sms.changed');
    await ui.button(de['recovery.continue']).click();
    await ui.heading(de['settings.title']).waitFor();
    await page.getByText(fill(de['settings.sms.activeText'], { phone: masked(newPhone) })).waitFor();
    await fits('settings after the change');
    await shot('settings-number-changed');
  } catch (err) {
    await shot('failed').catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
});
