// SMS as second factor in English, in a real browser against a running portal
// (PORTAL_URL): setup by SMS, sign-in with "Send code" and the resend
// countdown (the page's clock is fast-forwarded, the server's is not, so the
// early resend gets the server's 429 with retry_after), a change of number in
// Settings (proof by SMS to the old number), then the app added and SMS
// removed with a recovery code. Codes are read from /dev/outbox.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import {
  PORTAL_URL,
  dict,
  fill,
  freshTotp,
  launchBrowser,
  screenshots,
  strongPassword,
  uniqueEmail,
  uniquePhone,
  storySteps,
} from './support.mjs';
import { masked, smsPage, withAnyCount } from './sms-steps.mjs';

const en = dict('en');

describe('English: SMS setup, sign-in with the countdown, change of number, removal', { concurrency: 1 }, () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {(step: string) => Promise<void>} */
  let shot;
  /** @type {ReturnType<typeof smsPage>} */
  let ui;

  const name = 'Sam Example';
  const email = uniqueEmail('sms');
  const password = strongPassword();
  const phone = uniquePhone();
  const newPhone = uniquePhone();
  /** @type {string[]} */
  let codes = [];

  /** A step; once one fails the rest are skipped (they build on it). */
  const step = storySteps(() => shot);

  before(async () => {
    browser = await launchBrowser();
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 900, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    // Fake timers in the page (time still runs): the countdown can be skipped.
    await page.clock.install();
    shot = screenshots(page, 'sms');
    ui = smsPage(page, en);
  });

  after(async () => {
    await browser?.close();
  });

  step('1. setup offers the app (recommended, and why) or SMS; SMS with a code to the number', async () => {
    await page.goto(`${PORTAL_URL}/register`);
    await ui.heading(en['register.title']).waitFor();
    await ui.label(en['register.name']).fill(name);
    await ui.label(en['register.email']).fill(email);
    await ui.label(en['register.password']).fill(password);
    await ui.button(en['register.submit']).click();
    await page.getByText(en['login.registered']).waitFor();
    await ui.signIn(email, password);
    await ui.heading(fill(en['home.title'], { name })).waitFor();
    await ui.signOut();

    await ui.signIn(email, password);
    await ui.heading(en['setup.title']).waitFor();
    const app = ui.label(en['setup.choice.app']);
    assert.equal(await app.isChecked(), true, 'the app is chosen at the start');
    await page.getByText(en['setup.choice.appWhy']).waitFor();
    await shot('setup-choice');

    await ui.label(en['setup.choice.sms']).check();
    await page.getByRole('heading', { level: 2, name: en['setup.sms.title'] }).waitFor();
    // A wrong number is refused with a message at the field.
    await ui.enterNumber('+49', '12');
    await ui.button(en['setup.sms.send']).click();
    await page.getByText(en['validation.phone']).waitFor();
    await ui.enterNumber('+49', '1511');
    await ui.button(en['setup.sms.send']).click();
    await page.getByText(en['setup.sms.invalidPhone']).waitFor();
    await shot('setup-sms-refused');

    await ui.enterNumber('+49', `${phone.slice(3, 6)} ${phone.slice(6)}`);
    await shot('setup-sms-number');
    await ui.button(en['setup.sms.send']).click();
    await ui.sentLine(phone).waitFor();
    await ui.countdown();
    const field = ui.label(en['setup.sms.code']);
    assert.equal(await field.getAttribute('autocomplete'), 'one-time-code');
    await field.fill('000000');
    await ui.button(en['setup.sms.submit']).click();
    await page.getByRole('alert').filter({ hasText: en['setup.sms.invalidCode'] }).waitFor();
    await shot('setup-sms-code-refused');

    await ui.typeSmsCode(phone, 0, en['setup.sms.code']);
    await ui.button(en['setup.sms.submit']).click();
    codes = await ui.takeRecoveryCodes('setup.sms.activated');
    await shot('recovery-codes');
    await ui.button(en['recovery.continue']).click();
    await ui.heading(fill(en['home.title'], { name })).waitFor();
    assert.equal(await page.getByText(en['home.setupDue']).count(), 0, 'no setup notice once SMS is active');
  });

  step('2. sign-in: Send code, countdown, an early resend shows the wait, the code signs in', async () => {
    await ui.signOut();
    await ui.signIn(email, password);
    await ui.heading(en['verify.title']).waitFor();
    await page.getByText(en['verify.sms.intro']).waitFor();
    await ui.button(en['verify.useRecovery']).waitFor();
    await shot('verify-sms');
    const seen = await ui.smsCount(phone);
    await ui.button(en['verify.sms.send']).click();
    await ui.sentLine(phone).waitFor();
    const waiting = await ui.countdown();
    assert.match((await waiting.textContent()) || '', /(59|60) seconds/);
    const code = ui.label(en['verify.sms.code']);
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await code.evaluate((el) => el === document.activeElement), true, 'the code field has focus');
    await shot('verify-sms-sent');

    // The page's countdown ends; the server's minute has not passed, so it says how long to wait.
    await page.clock.fastForward(61_000);
    await ui.button(en['sms.resend']).click();
    await page.getByRole('alert').filter({ hasText: withAnyCount(en['error.too_many_attempts.seconds.other']) }).waitFor();
    await ui.countdown();
    assert.equal(await ui.smsCount(phone), seen + 1, 'the refused resend sent nothing');
    await shot('verify-sms-resend-refused');

    await ui.typeSmsCode(phone, seen, en['verify.sms.code']);
    await ui.button(en['verify.submit']).click();
    await ui.heading(fill(en['home.title'], { name })).waitFor();
  });

  step('3. settings: the masked number; change it with a code to the old and one to the new number', async () => {
    await page.getByRole('link', { name: en['nav.settings'], exact: true }).click();
    await ui.heading(en['settings.title']).waitFor();
    await page.getByText(fill(en['settings.sms.activeText'], { phone: masked(phone) })).waitFor();
    await page.getByText(en['settings.sms.onlyFactor']).waitFor();
    assert.equal(await ui.button(en['settings.sms.remove']).count(), 0, 'no removal while SMS is the only factor');
    await shot('settings-sms');

    await ui.button(en['settings.sms.change']).click();
    await page.getByText(en['stepUp.title']).waitFor();
    const seenOld = await ui.smsCount(phone);
    await ui.button(en['stepUp.sms.send']).click();
    await ui.countdown();
    await ui.typeSmsCode(phone, seenOld, en['stepUp.sms.code']);
    await ui.enterNumber('+49', `0${newPhone.slice(3)}`);
    await shot('settings-change-number');
    await ui.button(en['setup.sms.send']).click();
    await ui.sentLine(newPhone).waitFor();
    await ui.typeSmsCode(newPhone, 0, en['setup.sms.code']);
    await ui.button(en['setup.sms.submit']).click();
    codes = await ui.takeRecoveryCodes('settings.sms.changed');
    await ui.button(en['recovery.continue']).click();
    await ui.heading(en['settings.title']).waitFor();
    await page.getByText(fill(en['settings.sms.activeText'], { phone: masked(newPhone) })).waitFor();
    await shot('settings-number-changed');
  });

  step('4. the app is added with a proof (a recovery code); then SMS can be removed (another one)', async () => {
    await ui.button(en['settings.app.setup']).click();
    await page.getByText(en['stepUp.title']).waitFor();
    assert.equal(await page.getByText(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/).count(), 0, 'no key before the proof');
    await ui.button(en['stepUp.useRecovery']).click();
    await ui.label(en['stepUp.recovery.code']).fill(codes[0]);
    await ui.button(en['settings.app.continue']).click();
    const grouped = (await page.getByText(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/).textContent()) || '';
    await shot('settings-add-app');
    await ui.label(en['setup.app.code']).fill(await freshTotp(grouped.replace(/\s+/g, ''), new Set()));
    await ui.button(en['setup.app.submit']).click();
    codes = await ui.takeRecoveryCodes('settings.app.added');
    await ui.button(en['recovery.continue']).click();
    await ui.heading(en['settings.title']).waitFor();

    await ui.button(en['settings.sms.remove']).click();
    await page.getByText(en['settings.sms.removeText']).waitFor();
    await ui.label(en['stepUp.totp.code']).waitFor();
    await ui.button(en['stepUp.useRecovery']).click();
    await ui.label(en['stepUp.recovery.code']).fill('aaaa-bbbb-cccc-dddd');
    await ui.button(en['settings.sms.removeConfirm']).click();
    await page.getByText(en['setup.sms.invalidProof']).waitFor();
    await shot('settings-remove-refused');
    await ui.label(en['stepUp.recovery.code']).fill(codes[0]);
    await ui.button(en['settings.sms.removeConfirm']).click();
    await page.getByText(en['settings.sms.removed']).waitFor();
    await page.getByText(en['settings.sms.inactiveText']).waitFor();
    await ui.button(en['settings.sms.add']).waitFor();
    await shot('settings-sms-removed');
  });
});
