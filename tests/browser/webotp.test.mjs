// The WebOTP API: where the browser has it (Chrome on Android), the page asks
// it for the SMS code once one is on its way, types it in and signs in.
// Desktop Chromium has no SMS to read, so the test stands in for the
// browser's half: it defines `OTPCredential` and a `navigator.credentials.get`
// that records what the page asked for and answers with the code the test
// reads from the SMS in /dev/outbox. Everything else is the page's own.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  PORTAL_URL,
  call,
  dict,
  fill,
  launchBrowser,
  screenshots,
  smsCount,
  strongPassword,
  uniqueEmail,
  uniquePhone,
  waitForSmsCode,
} from './support.mjs';

const en = dict('en');

/**
 * A customer whose second factor is SMS, set up through the API.
 * @param {{ name: string, email: string, password: string }} who
 * @param {string} phone
 */
async function customerWithSms(who, phone) {
  await call('POST', '/api/register', { ...who, locale: 'en' });
  await call('POST', '/api/login', { email: who.email, password: who.password });
  const login = await call('POST', '/api/login', { email: who.email, password: who.password });
  assert.equal(login.status, 'mfa_setup_required');
  const seen = await smsCount(phone);
  await call('POST', '/api/mfa/sms/setup', { phone }, login.mfa_token);
  await call('POST', '/api/mfa/sms/confirm', { code: await waitForSmsCode(phone, seen) }, login.mfa_token);
}

test('WebOTP: the SMS code is read from the SMS, typed in and sent', async () => {
  const who = { name: 'Olga Otp', email: uniqueEmail('webotp'), password: strongPassword() };
  const phone = uniquePhone();
  await customerWithSms(who, phone);

  const browser = await launchBrowser();
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 390, height: 844 } });
  await context.addInitScript(() => {
    /** @type {(code: string) => void} */
    let deliver = () => {};
    const code = new Promise((resolve) => (deliver = resolve));
    // @ts-ignore the browser's half, as Chrome on Android has it
    window.OTPCredential = function OTPCredential() {};
    // @ts-ignore read by the test
    window.__webotp = { asked: [], deliver: (/** @type {string} */ c) => deliver(c) };
    const passkeys = navigator.credentials.get.bind(navigator.credentials);
    navigator.credentials.get = (/** @type {any} */ options) => {
      // The sign-in page's passkey autofill is not this test's business.
      if (!options || !options.otp) return passkeys(options);
      // @ts-ignore
      window.__webotp.asked.push(options.otp.transport);
      return code.then((c) => /** @type {any} */ ({ type: 'otp', id: 'otp', code: c }));
    };
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const shot = screenshots(page, 'webotp');
  try {
    await page.goto(`${PORTAL_URL}/login`);
    await page.getByLabel(en['login.email'], { exact: true }).fill(who.email);
    await page.getByLabel(en['login.password'], { exact: true }).fill(who.password);
    await page.getByRole('button', { name: en['login.submit'], exact: true }).click();
    await page.getByRole('heading', { level: 1, name: en['verify.title'] }).waitFor();
    const asked = () => page.evaluate(() => /** @type {any} */ (window).__webotp.asked);
    assert.deepEqual(await asked(), [], 'nothing is asked before a code is on its way');

    const seen = await smsCount(phone);
    await page.getByRole('button', { name: en['verify.sms.send'], exact: true }).click();
    const code = await waitForSmsCode(phone, seen);
    await page.waitForFunction(() => /** @type {any} */ (window).__webotp.asked.length > 0);
    assert.deepEqual(await asked(), [['sms']], 'the page asked for an SMS code, once');
    await shot('waiting');
    // The browser has read the SMS: the page types the code in and signs in.
    await page.evaluate((c) => /** @type {any} */ (window).__webotp.deliver(c), code);
    await page.getByRole('heading', { level: 1, name: fill(en['home.title'], { name: who.name }) }).waitFor();
    await shot('signed-in');
  } catch (err) {
    await shot('failed').catch(() => {});
    throw err;
  } finally {
    await browser.close();
  }
});
