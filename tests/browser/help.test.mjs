// "Sign-in instructions" on the running portal (PORTAL_URL), which has no
// brand settings: reachable from the sign-in page and from the second step,
// in English and German, every topic, the product's name, no support
// contact configured said so plainly; back to the second step; axe clean.
// The configured contacts are brand.test.mjs's.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import {
  PORTAL_URL,
  axeViolations,
  brandName,
  customerWithApp,
  dict,
  fill,
  launchBrowser,
  screenshots,
  storySteps,
  strongPassword,
  uniqueEmail,
} from './support.mjs';

const en = dict('en');
const de = dict('de');
const TOPICS = ['install', 'scan', 'ownPhone', 'everySignIn', 'lost', 'appPasswords', 'forgot', 'support'];

describe('Sign-in instructions: from the sign-in page and the second step, English and German', { concurrency: 1 }, () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {(step: string) => Promise<void>} */
  let shot;
  let name = '';

  const step = storySteps(() => shot);
  const who = { name: 'Hanna Hilfe', email: uniqueEmail('help'), password: strongPassword() };

  /** @param {string} text */
  const heading = (text) => page.getByRole('heading', { level: 1, name: text, exact: true });

  before(async () => {
    browser = await launchBrowser();
    name = await brandName();
    await customerWithApp(who, new Set());
  });

  after(async () => {
    await browser?.close();
  });

  /** @param {'en-US' | 'de-DE'} locale */
  async function openPage(locale) {
    await page?.context().close();
    const context = await browser.newContext({ locale, viewport: { width: 390, height: 844 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    shot = screenshots(page, `help-${locale}`);
  }

  /** @param {Record<string, string>} d */
  async function checkHelp(d) {
    await heading(d['help.title']).waitFor();
    assert.equal(await page.title(), `${d['help.title']} – ${name}`);
    await page.getByText(fill(d['help.intro'], { brand: name }), { exact: true }).waitFor();
    for (const topic of TOPICS) {
      await page.getByRole('heading', { level: 2, name: d[`help.${topic}.title`], exact: true }).waitFor();
    }
    for (const topic of TOPICS.filter((t) => t !== 'support')) {
      await page.getByText(fill(d[`help.${topic}.text`], { brand: name }), { exact: true }).waitFor();
    }
    // Nothing configured: said so, and no contact links.
    await page.getByText(fill(d['help.support.none'], { brand: name }), { exact: true }).waitFor();
    assert.equal(await page.locator('a[href^="mailto:"], a[href^="tel:"]').count(), 0);
    assert.deepEqual(await axeViolations(page), []);
  }

  /** @param {Record<string, string>} d */
  async function toSecondStep(d) {
    await page.goto(`${PORTAL_URL}/login`);
    await page.getByLabel(d['login.email'], { exact: true }).fill(who.email);
    await page.getByLabel(d['login.password'], { exact: true }).fill(who.password);
    await page.getByRole('button', { name: d['login.submit'], exact: true }).click();
    await heading(d['verify.title']).waitFor();
  }

  for (const [locale, d] of /** @type {const} */ ([['en-US', en], ['de-DE', de]])) {
    step(`${locale}: from the sign-in page, and back to it`, async () => {
      await openPage(locale);
      await page.goto(`${PORTAL_URL}/login`);
      await heading(d['login.title']).waitFor();
      await page.getByRole('main').getByRole('link', { name: d['help.link'], exact: true }).click();
      await checkHelp(d);
      await shot('from-sign-in');
      await page.getByRole('link', { name: d['help.back'], exact: true }).click();
      await heading(d['login.title']).waitFor();
      // The footer links it on every page too.
      await page.getByRole('contentinfo').getByRole('link', { name: d['footer.help'], exact: true }).click();
      await heading(d['help.title']).waitFor();
    });

    step(`${locale}: from the second step, and back to it`, async () => {
      await toSecondStep(d);
      await page.getByRole('main').getByRole('link', { name: d['help.link'], exact: true }).click();
      await checkHelp(d);
      await shot('from-second-step');
      await page.getByRole('link', { name: d['help.back'], exact: true }).click();
      await heading(d['verify.title']).waitFor();
      await page.getByLabel(d['verify.totp.code'], { exact: true }).waitFor();
    });
  }
});
