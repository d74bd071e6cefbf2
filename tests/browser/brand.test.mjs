// The operator's brand, in a real browser, on a portal of its own: this test
// starts one (PORTAL_BIN, a fresh data dir, a free port) with every brand
// setting, and a small server for the logo on another origin. The name in
// the header and the title, the logo, the colour on the buttons, the footer
// links, the favicon; the help page with the configured contacts in English
// and German; the authenticator entry (the QR code, decoded by zbarimg) and
// the second step naming the product; axe clean throughout.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import {
  SHOT_DIR,
  axeViolations,
  callAt,
  dict,
  fill,
  freshTotp,
  horizontalOverflow,
  launchBrowser,
  ownPortal,
  screenshots,
  storySteps,
  strongPassword,
  uniqueEmail,
} from './support.mjs';

const en = dict('en');
const de = dict('de');

const NAME = 'Stadtwerke Beispiel';
const COLOR = '#8a1538';
const COLOR_RGB = 'rgb(138, 21, 56)';
const EMAIL = 'hilfe@stadtwerke.example';
const PHONE = '+49 30 1234-567';
const IMPRINT = 'https://stadtwerke.example/impressum';
const PRIVACY = 'https://stadtwerke.example/datenschutz';
const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="32"><rect width="64" height="32" fill="#8a1538"/></svg>';

describe('The operator\'s brand: name, logo, colour, footer, favicon, help page, authenticator entry', { concurrency: 1 }, () => {
  /** @type {{ base: string, stop: () => void } | undefined} */
  let portal;
  /** @type {import('node:http').Server} */
  let logoServer;
  let base = '';
  let logoUrl = '';
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {(step: string) => Promise<void>} */
  let shot;
  let logoRequests = 0;
  let contexts = 0;

  const step = storySteps(() => shot);
  const email = uniqueEmail('brand');
  const password = strongPassword();
  const usedSteps = new Set();

  /** @param {string} text */
  const heading = (text) => page.getByRole('heading', { level: 1, name: text, exact: true });
  /** @param {string} text */
  const button = (text) => page.getByRole('button', { name: text, exact: true });

  before(async () => {
    logoServer = createServer((req, res) => {
      logoRequests += 1;
      res.writeHead(200, { 'Content-Type': 'image/svg+xml' });
      res.end(LOGO_SVG);
    });
    await new Promise((resolve) => logoServer.listen(0, '127.0.0.1', () => resolve(undefined)));
    const logoPort = /** @type {import('node:net').AddressInfo} */ (logoServer.address()).port;
    logoUrl = `http://127.0.0.1:${logoPort}/logo.svg`;

    portal = await ownPortal('brand', {
      env: {
        PORTAL_ISSUER: NAME,
        PORTAL_LOGO_URL: logoUrl,
        PORTAL_PRIMARY_COLOR: COLOR,
        PORTAL_CONTACT_EMAIL: EMAIL,
        PORTAL_CONTACT_PHONE: PHONE,
        PORTAL_IMPRINT_URL: IMPRINT,
        PORTAL_PRIVACY_URL: PRIVACY,
      },
    });
    base = portal.base;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    portal?.stop();
    logoServer?.close();
  });

  /** @param {'en-US' | 'de-DE'} locale */
  async function openPage(locale) {
    await page?.context().close();
    const context = await browser.newContext({ locale, viewport: { width: 900, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    contexts += 1;
    shot = screenshots(page, `brand-${contexts}-${locale}`);
  }

  /** The frame every page has: name, logo, colour, footer, favicon. @param {Record<string, string>} d */
  async function checkFrame(d) {
    const home = page.getByRole('banner').getByRole('link', { name: NAME, exact: true });
    await home.waitFor();
    const logo = home.locator('img');
    await logo.waitFor();
    assert.equal(await logo.getAttribute('src'), logoUrl);
    assert.equal(await logo.getAttribute('alt'), '', 'the logo is decorative: the name is the link text');
    await page.waitForFunction(() => {
      const img = document.querySelector('#brand img');
      return img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0;
    });
    const footer = page.getByRole('contentinfo').getByRole('navigation', { name: d['footer.label'] });
    assert.equal(await footer.getByRole('link', { name: d['footer.imprint'], exact: true }).getAttribute('href'), IMPRINT);
    assert.equal(await footer.getByRole('link', { name: d['footer.privacy'], exact: true }).getAttribute('href'), PRIVACY);
    await footer.getByRole('link', { name: d['footer.help'], exact: true }).waitFor();
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    assert.ok(icon?.startsWith('data:image/svg+xml,') && decodeURIComponent(icon).includes(`fill="${COLOR}"`), `favicon: ${icon}`);
  }

  /** The help page with the configured contacts. @param {Record<string, string>} d */
  async function checkHelp(d) {
    await heading(d['help.title']).waitFor();
    await page.getByText(fill(d['help.intro'], { brand: NAME }), { exact: true }).waitFor();
    for (const topic of ['install', 'scan', 'ownPhone', 'everySignIn', 'lost', 'appPasswords', 'forgot', 'support']) {
      await page.getByRole('heading', { level: 2, name: d[`help.${topic}.title`], exact: true }).waitFor();
    }
    assert.match(d['help.lost.text'], /24/);
    await page.getByText(d['help.lost.text'], { exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: EMAIL, exact: true }).getAttribute('href'), `mailto:${EMAIL}`);
    assert.equal(await page.getByRole('link', { name: PHONE, exact: true }).getAttribute('href'), 'tel:+49301234567');
    assert.equal(await page.getByText(fill(d['help.support.none'], { brand: NAME })).count(), 0);
    assert.equal(await page.getByRole('link', { name: d['help.forgot.link'], exact: true }).getAttribute('href'), '/password-forgot');
  }

  step('1. GET /api/brand answers what is configured, cacheable; the favicon and the CSP for the logo', async () => {
    const res = await fetch(`${base}/api/brand`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
    const body = await res.json();
    assert.equal(body.name, NAME);
    assert.equal(body.logo_url, logoUrl);
    assert.equal(body.colors.primary, COLOR);
    assert.deepEqual(body.contact, { email: EMAIL, phone: PHONE });
    assert.equal(body.imprint_url, IMPRINT);
    assert.equal(body.privacy_url, PRIVACY);
    const page = await fetch(`${base}/login`);
    assert.equal(page.headers.get('cache-control'), 'no-store', 'the page itself is still not cached');
    assert.match(page.headers.get('content-security-policy') || '', new RegExp(`img-src 'self' data: ${logoUrl.replace(/\/logo\.svg$/, '')};`));
    const favicon = await fetch(`${base}/favicon.svg`);
    assert.equal(favicon.status, 200);
    assert.equal(favicon.headers.get('content-type'), 'image/svg+xml');
    assert.match(await favicon.text(), /^<svg /);
    // For browsers without SVG icons: the same icon as PNG inside an ICO, and Apple's touch icon.
    for (const [file, type] of [['favicon.ico', 'image/x-icon'], ['apple-touch-icon.png', 'image/png']]) {
      const res = await fetch(`${base}/${file}`);
      assert.equal(res.status, 200, file);
      assert.equal(res.headers.get('content-type'), type, file);
      assert.ok((await res.arrayBuffer()).byteLength > 100, file);
    }
  });

  step('2. English: the name in header and title, the logo, the colour, footer links; axe clean', async () => {
    await openPage('en-US');
    await page.goto(`${base}/login`);
    await heading(en['login.title']).waitFor();
    await checkFrame(en);
    assert.equal(await page.title(), `${en['login.title']} – ${NAME}`);
    const submit = button(en['login.submit']);
    assert.equal(await submit.evaluate((el) => getComputedStyle(el).backgroundColor), COLOR_RGB);
    const link = page.getByRole('link', { name: en['login.forgot'], exact: true });
    assert.equal(await link.evaluate((el) => getComputedStyle(el).color), COLOR_RGB);
    assert.ok(logoRequests > 0, 'the logo was fetched from its own origin (the CSP let it through)');
    assert.deepEqual(await axeViolations(page), []);
    await shot('login');
  });

  step('2b. the dark colour scheme takes the lightened shade, axe clean; a 390 px phone keeps name and logo on screen', async () => {
    const { colors } = await (await fetch(`${base}/api/brand`)).json();
    await page.emulateMedia({ colorScheme: 'dark' });
    const rgb = (/** @type {string} */ hex) =>
      `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
    const submit = button(en['login.submit']);
    assert.equal(await submit.evaluate((el) => getComputedStyle(el).backgroundColor), rgb(colors.primary_dark));
    assert.deepEqual(await axeViolations(page), []);
    await shot('login-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 390, height: 844 });
    assert.equal(await horizontalOverflow(page), 0, 'no sideways scrolling at 390 px');
    await page.getByRole('banner').getByRole('link', { name: NAME, exact: true }).locator('img').waitFor();
    await page.setViewportSize({ width: 900, height: 900 });
  });

  step('3. English: the help page from the sign-in page, with the support contacts; axe clean', async () => {
    await page.getByRole('main').getByRole('link', { name: en['help.link'], exact: true }).click();
    await checkHelp(en);
    assert.equal(await page.title(), `${en['help.title']} – ${NAME}`);
    assert.deepEqual(await axeViolations(page), []);
    await shot('help');
    await page.getByRole('link', { name: en['help.back'], exact: true }).click();
    await heading(en['login.title']).waitFor();
  });

  step('4. German: the same name, "Impressum" and "Datenschutz", the help page in German; axe clean', async () => {
    await openPage('de-DE');
    await page.goto(`${base}/login`);
    await heading(de['login.title']).waitFor();
    await checkFrame(de);
    assert.equal(await page.title(), `${de['login.title']} – ${NAME}`);
    assert.deepEqual(await axeViolations(page), []);
    await page.getByRole('main').getByRole('link', { name: de['help.link'], exact: true }).click();
    await checkHelp(de);
    assert.deepEqual(await axeViolations(page), []);
    await shot('hilfe');
  });

  step('5. the authenticator entry: the QR code names the product as issuer and in the label', async () => {
    await openPage('en-US');
    await callAt(base, 'POST', '/api/register', { name: 'Bea Brand', email, password, locale: 'en' });
    // The first sign-in lets a new account in; the next one demands the setup.
    await callAt(base, 'POST', '/api/login', { email, password });
    await page.goto(`${base}/login`);
    await page.getByLabel(en['login.email'], { exact: true }).fill(email);
    await page.getByLabel(en['login.password'], { exact: true }).fill(password);
    await button(en['login.submit']).click();
    await heading(en['setup.title']).waitFor();
    const qr = page.getByRole('img', { name: en['setup.app.qrLabel'] });
    const file = path.join(SHOT_DIR, 'brand-qr.png');
    await qr.screenshot({ path: file });
    const uri = execFileSync('zbarimg', ['--raw', '-q', file], { encoding: 'utf8' }).trim();
    const parsed = new URL(uri);
    assert.equal(parsed.protocol, 'otpauth:');
    assert.equal(parsed.searchParams.get('issuer'), NAME);
    assert.equal(decodeURIComponent(parsed.pathname.replace(/^\/+/, '')), `${NAME}:${email}`, uri);
    await shot('setup');

    const key = ((await page.getByText(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/).textContent()) || '').replace(/ /g, '');
    assert.equal(parsed.searchParams.get('secret'), key, 'the QR code holds the key shown');
    await page.getByLabel(en['setup.app.code'], { exact: true }).fill(await freshTotp(key, usedSteps));
    await button(en['setup.app.submit']).click();
    await page.getByLabel(en['recovery.stored']).check();
    await button(en['recovery.continue']).click();
    await page.getByRole('navigation', { name: en['nav.label'] }).waitFor();
  });

  step('6. the second step names the product and links the help page, which leads back to it', async () => {
    await button(en['nav.signOut']).click();
    await heading(en['login.title']).waitFor();
    await page.getByLabel(en['login.email'], { exact: true }).fill(email);
    await page.getByLabel(en['login.password'], { exact: true }).fill(password);
    await button(en['login.submit']).click();
    await heading(en['verify.title']).waitFor();
    await page.getByText(fill(en['verify.totp.intro'], { brand: NAME }), { exact: true }).waitFor();
    await page.getByRole('main').getByRole('link', { name: en['help.link'], exact: true }).click();
    await checkHelp(en);
    await page.getByRole('link', { name: en['help.back'], exact: true }).click();
    await heading(en['verify.title']).waitFor();
    await page.getByLabel(en['verify.totp.code'], { exact: true }).waitFor();
    assert.deepEqual(await axeViolations(page), []);
    await shot('verify');
  });
});
