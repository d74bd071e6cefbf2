// Lost phone, in a real browser against a running portal (PORTAL_URL):
// a customer with an authenticator app signs in with the password, opens
// "Lost your phone?" on the second-factor prompt, fills the reset form (the
// page solves ALTCHA by itself) and sees the request number and deadline; a
// support staff member (made with `portal staff add` against the portal's
// PORTAL_DATA_DIR) sets up the app at the first sign-in, finds the request in
// the console, sees the matches, takes and approves it; then the customer's
// next sign-in demands a new second factor. Also: the form's German heading.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import {
  DATA_DIR,
  PORTAL_URL,
  customerWithApp,
  dict,
  fill,
  freshTotp,
  horizontalOverflow,
  launchBrowser,
  portalCommand,
  screenshots,
  strongPassword,
  uniqueEmail,
  waitForOutbox,
  storySteps,
  axeViolations,
} from './support.mjs';

const en = dict('en');
const de = dict('de');

const TIME_ZONE = 'America/New_York';

describe('Lost phone: reset form, support console, new second factor', { concurrency: 1, skip: DATA_DIR ? false : 'needs PORTAL_DATA_DIR (the running portal\'s data dir) for `portal staff add`' }, () => {
  /** @type {import('playwright-core').Browser} */
  let browser;

  const customer = { name: 'Alex Example', email: uniqueEmail('reset'), password: strongPassword() };
  const staff = { name: 'Sam Support', email: uniqueEmail('staff'), password: strongPassword() };
  const customerSteps = new Set();
  const staffSteps = new Set();
  const phone = '+49 151 2345 6789';
  /** @type {string} */
  let requestId = '';
  /** The number read out on the phone (`K3M9-T2QX`). */
  let requestNumber = '';
  /** The staff member's authenticator key, from their first sign-in. */
  let staffKey = '';

  const step = storySteps(() => undefined);

  /**
   * A fresh browser context with its own page and screenshots.
   * @param {string} name
   * @param {{ locale?: string, width?: number }} [opts]
   */
  async function open(name, opts = {}) {
    const context = await browser.newContext({ locale: opts.locale || 'en-US', timezoneId: TIME_ZONE, viewport: { width: opts.width || 900, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const shot = screenshots(page, name);
    const d = opts.locale === 'de-DE' ? de : en;
    return {
      context,
      page,
      shot,
      /** @param {string} text */
      heading: (text) => page.getByRole('heading', { level: 1, name: text, exact: true }),
      /** @param {string} text */
      button: (text) => page.getByRole('button', { name: text, exact: true }),
      /** @param {string} email @param {string} password */
      signIn: async (email, password) => {
        await page.goto(`${PORTAL_URL}/login`);
        await page.getByRole('heading', { level: 1, name: d['login.title'], exact: true }).waitFor();
        await page.getByLabel(d['login.email'], { exact: true }).fill(email);
        await page.getByLabel(d['login.password'], { exact: true }).fill(password);
        await page.getByRole('button', { name: d['login.submit'], exact: true }).click();
      },
      /** @param {() => Promise<void>} fn */
      run: async (fn) => {
        try {
          await fn();
        } catch (err) {
          await shot('failed').catch(() => {});
          throw err;
        } finally {
          await context.close();
        }
      },
    };
  }

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  step('1. setup: a customer with an authenticator app, and a staff account (portal staff add)', async () => {
    await customerWithApp(customer, customerSteps);
    portalCommand(['staff', 'add', '--email', staff.email, '--name', staff.name], `${staff.password}\n`);
  });

  step('2. German: the link on the code prompt opens the form, 360 px wide', async () => {
    const s = await open('reset-request-german', { locale: 'de-DE', width: 360 });
    await s.run(async () => {
      await s.signIn(customer.email, customer.password);
      await s.heading(de['verify.title']).waitFor();
      await s.page.getByRole('link', { name: de['verify.lostPhone'] }).click();
      await s.heading(de['reset.title']).waitFor();
      await s.page.getByText(de['reset.phoneHint']).waitFor();
      assert.match(de['reset.phoneHint'], /inkl\. Ländervorwahl/);
      await s.page.getByText(de['altcha.done']).waitFor();
      assert.ok((await horizontalOverflow(s.page)) <= 0, 'no sideways scrolling at 360px');
      await s.shot('form');
      // Not sent: the English step sends it.
    });
  });

  step('3. the customer sends the form and sees the number and the deadline', async () => {
    const s = await open('reset-request-customer');
    await s.run(async () => {
      const { page } = s;
      await s.signIn(customer.email, customer.password);
      await s.heading(en['verify.title']).waitFor();
      await s.shot('verify');
      await page.getByRole('link', { name: en['verify.lostPhone'] }).click();
      await s.heading(en['reset.title']).waitFor();

      // Consent is required: refused in the page before anything is sent.
      await page.getByLabel(en['reset.firstName'], { exact: true }).fill('Alex');
      await page.getByLabel(en['reset.lastName'], { exact: true }).fill('Example');
      await page.getByLabel(en['reset.phone'], { exact: true }).fill(phone);
      await page.getByLabel(en['reset.email'], { exact: true }).fill(customer.email);
      await s.button(en['reset.submit']).click();
      await page.getByText(en['reset.consentRequired']).waitFor();
      await s.shot('consent-missing');

      const privacy = page.getByRole('link', { name: en['reset.privacyLink'] });
      assert.equal(await privacy.getAttribute('href'), '/privacy');
      await page.getByLabel(en['reset.consent'], { exact: true }).check();
      // The page solves ALTCHA by itself while the person types.
      await page.getByText(en['altcha.done']).waitFor();
      await s.shot('form-filled');

      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/reset-requests') && r.request().method() === 'POST'),
        s.button(en['reset.submit']).click(),
      ]);
      assert.equal(response.status(), 202);
      const sent = await response.json();
      requestId = sent.request_id;
      requestNumber = sent.request_number;
      assert.equal(sent.status, 'pending');
      // Crockford's base32: no I, L, O or U to mishear.
      assert.match(requestNumber, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);

      await s.heading(en['reset.sent.title']).waitFor();
      await page.getByText(requestNumber, { exact: true }).waitFor();
      assert.equal(await page.getByText(requestId).count(), 0, 'the page shows the number, not the 36-character id');
      const due = new Intl.DateTimeFormat('en-US', {
        weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short', timeZone: TIME_ZONE,
      }).format(new Date(sent.due_by));
      await page.getByText(due).waitFor();
      await page.getByText(en['reset.sent.email']).waitFor();
      await s.shot('sent');

      const mail = await waitForOutbox((m) => m.channel === 'email' && m.to === customer.email && `${m.subject}\n${m.body}`.includes(requestNumber));
      assert.ok(mail, 'the customer got an email with the request number');

      await page.goto(`${PORTAL_URL}/privacy`);
      await s.heading(en['privacy.title']).waitFor();
      await page.getByText(en['privacy.keep.text']).waitFor();
    });
  });

  step('4. staff: first sign-in sets up the app, the console shows the request, take and approve', async () => {
    const s = await open('reset-request-staff');
    await s.run(async () => {
      const { page } = s;
      await s.signIn(staff.email, staff.password);
      // Like any account: the app first (at once, or from the home page's notice).
      const setupTitle = s.heading(en['setup.title']);
      const setupNow = s.button(en['home.setupNow']);
      await setupTitle.or(setupNow).waitFor();
      if (await setupNow.isVisible()) await setupNow.click();
      await setupTitle.waitFor();
      const choice = page.getByLabel(en['setup.choice.app']);
      if (await choice.count()) await choice.check();
      const grouped = (await page.getByText(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/).textContent()) || '';
      const key = grouped.replace(/\s+/g, '');
      staffKey = key;
      await page.getByLabel(en['setup.app.code'], { exact: true }).fill(await freshTotp(key, staffSteps));
      await s.button(en['setup.app.submit']).click();
      await page.getByText(en['setup.app.activated']).waitFor();
      await page.getByLabel(en['recovery.stored'], { exact: true }).check();
      await s.button(en['recovery.continue']).click();
      await s.heading(fill(en['home.title'], { name: staff.name })).waitFor();

      await page.getByRole('link', { name: en['nav.support'], exact: true }).click();
      await s.heading(en['support.title']).waitFor();
      const item = page.locator('.queue-item').filter({ hasText: requestNumber });
      await item.waitFor();
      await item.getByText(/^due in \d+ (min|h|days?)$/).waitFor();
      await item.getByRole('link', { name: 'Alex Example' }).waitFor();
      await s.shot('queue');

      // The customer reads the number out on the phone; staff type it as heard.
      const find = page.getByLabel(en['support.find.number'], { exact: true });
      await find.fill('not it');
      await s.button(en['support.find.submit']).click();
      await page.getByText(en['support.find.invalid']).waitFor();
      await find.fill(`${requestNumber[0] === 'Z' ? 'Y' : 'Z'}${requestNumber.slice(1)}`);
      await s.button(en['support.find.submit']).click();
      await page.getByText(en['support.find.none']).waitFor();
      assert.deepEqual(await axeViolations(page), [], 'the queue with a refused search passes axe-core');
      await find.fill(requestNumber.toLowerCase().replace('-', ' '));
      await s.button(en['support.find.submit']).click();
      await s.heading(fill(en['support.request.title'], { id: requestNumber })).waitFor();
      const table = page.getByRole('table', { name: en['support.form.title'] });
      for (const label of ['support.form.firstName', 'support.form.lastName', 'support.form.email']) {
        const rowEl = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: en[label], exact: true }) });
        await rowEl.getByText(en['support.form.yes'], { exact: true }).waitFor();
      }
      // The account has no number on file (its factor is the app): the phone
      // is "not known", not a mismatch.
      const phoneRow = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: en['support.form.phone'], exact: true }) });
      await phoneRow.getByText(en['support.form.unknown'], { exact: true }).waitFor();
      assert.equal(await phoneRow.getByText(en['support.form.no'], { exact: true }).count(), 0);
      const history = page.getByRole('list', { name: en['support.history.title'] });
      await history.getByText(fill(en['support.history.by'], { name: staff.name })).first().waitFor();
      await s.shot('request');

      await s.button(en['support.take']).click();
      await page.getByRole('definition').filter({ hasText: staff.name }).waitFor();
      await history.getByText(en['support.history.taken'], { exact: true }).waitFor();

      await s.button(en['support.approve']).click();
      await page.getByLabel(en['support.approve.note'], { exact: true }).fill('Name and email match; called the customer back.');
      await s.button(en['support.approve.submit']).click();
      const dialog = page.getByRole('dialog', { name: en['support.approve.confirmTitle'] });
      await dialog.waitFor();
      await s.shot('approve-confirm');
      await dialog.getByRole('button', { name: en['support.approve.confirm'], exact: true }).click();
      await page.getByText(en['support.approved']).waitFor();
      await page.getByRole('definition').getByText(en['support.status.approved'], { exact: true }).waitFor();
      await history.getByText(en['support.history.approval_given'], { exact: true }).waitFor();
      await history.getByText('Name and email match; called the customer back.').waitFor();
      await s.shot('approved');

      // The queue is a projection: the decision reaches it a moment later.
      await page.getByRole('link', { name: en['support.backToQueue'] }).click();
      await s.heading(en['support.title']).waitFor();
      for (let tries = 0; await page.locator('.queue-item').filter({ hasText: requestNumber }).count(); tries += 1) {
        assert.ok(tries < 20, 'a decided request leaves the queue');
        await page.waitForTimeout(250);
        await s.button(en['support.queue.refresh']).click();
      }
      await s.shot('queue-after');
    });
  });

  step('4b. German: staff find the decided request by the number read out', async () => {
    const s = await open('reset-request-staff-german', { locale: 'de-DE' });
    await s.run(async () => {
      const { page } = s;
      await s.signIn(staff.email, staff.password);
      await s.heading(de['verify.title']).waitFor();
      await page.getByLabel(de['verify.totp.code'], { exact: true }).fill(await freshTotp(staffKey, staffSteps));
      await s.button(de['verify.submit']).click();
      await page.getByRole('link', { name: de['nav.support'], exact: true }).click();
      await s.heading(de['support.title']).waitFor();
      const find = page.getByLabel(de['support.find.number'], { exact: true });
      await find.fill('12345');
      await s.button(de['support.find.submit']).click();
      await page.getByText(de['support.find.invalid']).waitFor();
      // Decided requests are found too, and the number needs no hyphen.
      await find.fill(requestNumber.replace('-', ''));
      await s.button(de['support.find.submit']).click();
      await s.heading(fill(de['support.request.title'], { id: requestNumber })).waitFor();
      await page.getByRole('definition').getByText(de['support.status.approved'], { exact: true }).waitFor();
      assert.deepEqual(await axeViolations(page), [], 'the German request found by number passes axe-core');
      await s.shot('found');
    });
  });

  step('5. the customer signs in and must set up a new second factor', async () => {
    const s = await open('reset-request-after');
    await s.run(async () => {
      await s.signIn(customer.email, customer.password);
      await s.heading(en['setup.title']).waitFor();
      await s.page.getByText(en['setup.intro.required']).waitFor();
      await s.shot('setup-required');
    });
  });
});
