// App passwords for calendar and contacts apps (CalDAV / CardDAV), in a real
// browser against a running portal (PORTAL_URL): create one in Settings, read
// it from the page once, use it at /api/dav/auth, see its last-used time,
// revoke it; the hint after activating a second factor; the same in German on
// a phone-sized screen, and a session that ended meanwhile.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  PORTAL_URL,
  dict,
  fill,
  freshTotp,
  horizontalOverflow,
  launchBrowser,
  screenshots,
  strongPassword,
  uniqueEmail,
  waitForOutbox,
  storySteps,
} from './support.mjs';

const en = dict('en');
const de = dict('de');

/** 28 lower-case letters as the page shows them: seven groups of four. */
const GROUPED = /^[a-z]{4}( [a-z]{4}){6}$/;

/**
 * @param {string} path
 * @param {RequestInit} [init]
 */
async function api(path, init = {}) {
  const res = await fetch(`${PORTAL_URL}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** @param {string} email @param {string} password @param {string} name @param {string} locale */
async function register(email, password, name, locale) {
  const res = await api('/api/register', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password, name, locale }),
  });
  assert.equal(res.status, 201, `register: ${JSON.stringify(res.body)}`);
  return /** @type {string} */ (res.body.user_id);
}

/** What a CalDAV server asks the portal: 200 {user_id} or 401. */
function davAuth(user, password) {
  const basic = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
  return api('/api/dav/auth', { headers: { Authorization: `Basic ${basic}` } });
}

/**
 * The hour and minute of `iso` in `timeZone` as `locale` writes them ("3:05" / "15:05").
 * @param {string} iso @param {string} locale @param {string} timeZone
 */
function clock(iso, locale, timeZone) {
  const parts = new Intl.DateTimeFormat(locale, { timeZone, hour: 'numeric', minute: '2-digit' }).formatToParts(new Date(iso));
  const part = (type) => parts.find((p) => p.type === type)?.value;
  return `${part('hour')}:${part('minute')}`;
}

/**
 * The browser context's session token, to ask the API what the page shows.
 * @param {import('playwright-core').Page} page
 */
const sessionToken = (page) => page.evaluate(() => sessionStorage.getItem('portal:session-token'));

/**
 * @param {import('playwright-core').Page} page
 * @returns {Promise<{ items: Array<{ id: string, name: string, created_at: string, last_used_at: string | null }>, dav_url: string | null, username: string }>}
 */
async function listFromApi(page) {
  const res = await api('/api/app-passwords', { headers: { Authorization: `Bearer ${await sessionToken(page)}` } });
  assert.equal(res.status, 200, `GET /api/app-passwords: ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Helpers bound to one page and one language.
 * @param {import('playwright-core').Page} page
 * @param {Record<string, string>} d
 */
function ui(page, d) {
  const heading = (text, level = 1) => page.getByRole('heading', { level, name: text, exact: true });
  const button = (text) => page.getByRole('button', { name: text, exact: true });
  const section = page.getByRole('region', { name: d['settings.appPasswords.title'], exact: true });
  const list = section.getByRole('list', { name: d['settings.appPasswords.listTitle'], exact: true });
  const row = (name) => list.getByRole('listitem').filter({ hasText: name });
  return {
    heading,
    button,
    section,
    list,
    row,
    /** @param {string} email @param {string} password */
    async signIn(email, password) {
      await heading(d['login.title']).waitFor();
      await page.getByLabel(d['login.email'], { exact: true }).fill(email);
      await page.getByLabel(d['login.password'], { exact: true }).fill(password);
      await button(d['login.submit']).click();
    },
    async openSettings() {
      await page.getByRole('link', { name: d['nav.settings'], exact: true }).click();
      await heading(d['settings.title']).waitFor();
      await heading(d['settings.appPasswords.title'], 3).waitFor();
    },
    /** @param {string} name the app password's name @returns {Promise<string>} the password as shown */
    async create(name) {
      await section.getByLabel(d['settings.appPasswords.name'], { exact: true }).fill(name);
      await section.getByRole('button', { name: d['settings.appPasswords.create'], exact: true }).click();
      const dialog = page.getByRole('dialog', { name: d['settings.appPasswords.createdTitle'] });
      await dialog.waitFor();
      const shown = ((await dialog.getByText(GROUPED).textContent()) || '').trim();
      assert.match(shown, GROUPED, 'the password is shown in seven groups of four letters');
      return shown;
    },
  };
}

describe('App passwords in English: create, use for calendar sync, last used, revoke', { concurrency: 1 }, () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').BrowserContext} */
  let context;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {(step: string) => Promise<void>} */
  let shot;
  /** @type {ReturnType<typeof ui>} */
  let u;

  // Far from UTC, with half hours: a time shown in UTC would not match.
  const timeZone = 'Asia/Kolkata';
  const name = 'Alex Example';
  const email = uniqueEmail('apw');
  const password = strongPassword();
  const appName = 'Thunderbird calendar';
  let userId = '';
  let appPassword = '';
  // The authenticator activated in step 6, and the steps whose codes were used.
  let totpKey = '';
  const usedSteps = new Set();

  const step = storySteps(() => shot);

  before(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ locale: 'en-US', timezoneId: timeZone, viewport: { width: 900, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: PORTAL_URL });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    shot = screenshots(page, 'app-passwords');
    u = ui(page, en);
  });

  after(async () => {
    await browser?.close();
  });

  step('1. first sign-in, Settings shows the section with no app passwords yet', async () => {
    userId = await register(email, password, name, 'en');
    await page.goto(`${PORTAL_URL}/`);
    await u.signIn(email, password);
    await u.heading(fill(en['home.title'], { name })).waitFor();
    await u.openSettings();
    await u.section.getByText(en['settings.appPasswords.none']).waitFor();
    await u.section.getByText(en['settings.appPasswords.revokedWhen']).waitFor();
    await shot('settings-empty');

    // Checked in the page before anything is sent.
    const create = u.section.getByRole('button', { name: en['settings.appPasswords.create'], exact: true });
    const nameField = u.section.getByLabel(en['settings.appPasswords.name'], { exact: true });
    await create.click();
    await u.section.getByText(en['validation.required']).waitFor();
    await nameField.fill('x'.repeat(65));
    await create.click();
    await u.section.getByText(fill(en['settings.appPasswords.nameTooLong'], { max: 64 })).waitFor();
    assert.equal((await listFromApi(page)).items.length, 0, 'nothing was created');
    await shot('name-refused');
  });

  step('2. create one: shown once with server, user name and password to copy', async () => {
    appPassword = await u.create(appName);
    const dialog = page.getByRole('dialog', { name: en['settings.appPasswords.createdTitle'] });
    await dialog.getByText(en['settings.appPasswords.onlyOnce']).waitFor();
    await dialog.getByText(fill(en['settings.appPasswords.createdIntro'], { name: appName })).waitFor();
    await dialog.getByText(email, { exact: true }).waitFor();
    const { dav_url: davUrl } = await listFromApi(page);
    if (davUrl) await dialog.getByText(davUrl, { exact: true }).waitFor();
    else await dialog.getByText(en['settings.appPasswords.serverUnknown']).waitFor();

    await dialog.getByRole('button', { name: en['settings.appPasswords.copyPassword'], exact: true }).click();
    await dialog.getByText(en['settings.appPasswords.copiedPassword']).waitFor();
    const clipboard = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(clipboard, appPassword.replace(/ /g, ''), 'the copy button copies the password without spaces');
    await shot('created-dialog');

    await page.setViewportSize({ width: 360, height: 800 });
    assert.ok((await horizontalOverflow(page)) <= 0, 'no sideways scrolling at 360px');
    await shot('created-dialog-360px');
    await page.setViewportSize({ width: 900, height: 900 });

    await dialog.getByRole('button', { name: en['settings.appPasswords.done'], exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    // The dialog's close event removes it, a moment after it is hidden.
    await page.getByText(appPassword).waitFor({ state: 'detached', timeout: 2000 });
    assert.equal(await page.getByText(appPassword).count(), 0, 'the password is gone from the page once the dialog is closed');
    await u.section.getByText(fill(en['settings.appPasswords.createdStatus'], { name: appName })).waitFor();
    await u.row(appName).getByText(en['settings.appPasswords.neverUsed']).waitFor();
    await shot('list-never-used');

    const mail = await waitForOutbox((m) => m.channel === 'email' && m.to === email && m.body.includes(appName));
    assert.ok(mail, 'the owner is emailed about the new app password');
  });

  step('3. the app password works at /api/dav/auth; the account password does not', async () => {
    const ok = await davAuth(email, appPassword.replace(/ /g, ''));
    assert.equal(ok.status, 200, `app password: ${JSON.stringify(ok.body)}`);
    assert.equal(ok.body.user_id, userId);
    const typedWithSpaces = await davAuth(email, appPassword);
    assert.equal(typedWithSpaces.status, 200, 'typed with the spaces shown (the page says both work)');

    assert.equal((await davAuth(email, password)).status, 401, 'the account password is refused for DAV');
    const login = await api('/api/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, password: appPassword.replace(/ /g, '') }),
    });
    assert.equal(login.status, 401, 'an app password does not sign in to the portal');
  });

  step('4. the list shows when it was created and last used, in the browser’s time zone', async () => {
    await page.reload();
    await u.heading(en['settings.title']).waitFor();
    const row = u.row(appName);
    await row.getByText(en['settings.appPasswords.lastUsed']).waitFor();
    const [item] = (await listFromApi(page)).items;
    assert.ok(item.last_used_at, 'the server recorded the use');
    const times = row.locator('time');
    assert.equal(await times.nth(0).getAttribute('datetime'), item.created_at);
    assert.equal(await times.nth(1).getAttribute('datetime'), item.last_used_at);
    const shownUsed = (await times.nth(1).textContent()) || '';
    assert.ok(
      shownUsed.includes(clock(item.last_used_at, 'en-US', timeZone)),
      `"${shownUsed}" shows ${clock(item.last_used_at, 'en-US', timeZone)} (${timeZone})`,
    );
    await shot('list-last-used');
  });

  step('5. revoke it behind a confirmation: DAV answers 401 afterwards', async () => {
    await u.row(appName).getByRole('button', { name: en['settings.appPasswords.revoke'], exact: true }).click();
    const dialog = page.getByRole('dialog', { name: fill(en['settings.appPasswords.revokeTitle'], { name: appName }) });
    await dialog.waitFor();
    await shot('revoke-confirm');
    // Cancel keeps it.
    await dialog.getByRole('button', { name: en['settings.appPasswords.cancel'], exact: true }).click();
    await u.row(appName).waitFor();
    assert.equal((await davAuth(email, appPassword)).status, 200, 'still valid after cancelling');

    await u.row(appName).getByRole('button', { name: en['settings.appPasswords.revoke'], exact: true }).click();
    await dialog.getByRole('button', { name: en['settings.appPasswords.revokeConfirm'], exact: true }).click();
    await u.section.getByText(fill(en['settings.appPasswords.revoked'], { name: appName })).waitFor();
    await u.section.getByText(en['settings.appPasswords.none']).waitFor();
    await shot('revoked');

    assert.equal((await davAuth(email, appPassword)).status, 401, 'a revoked app password is refused');
    assert.equal((await listFromApi(page)).items.length, 0);
  });

  step('6. after activating a second factor, the codes page points to app passwords in Settings', async () => {
    await page.getByRole('link', { name: en['nav.home'], exact: true }).click();
    await u.button(en['home.setupNow']).click();
    await u.heading(en['setup.title']).waitFor();
    const key = ((await page.getByText(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/).textContent()) || '').replace(/\s+/g, '');
    await page.getByLabel(en['setup.app.code'], { exact: true }).fill(await freshTotp(key, usedSteps));
    await u.button(en['setup.app.submit']).click();
    await page.getByText(en['setup.app.activated']).waitFor();

    const hint = page.getByRole('region', { name: en['settings.appPasswords.hintTitle'] });
    await hint.getByText(en['settings.appPasswords.hintText']).waitFor();
    await shot('recovery-codes-hint');
    await hint.getByRole('link', { name: en['settings.appPasswords.hintLink'] }).click();
    await u.heading(en['settings.title']).waitFor();
    // Opened at the section: its heading has the focus.
    await page.waitForFunction(() => document.activeElement?.id === 'app-passwords-title');
    await shot('settings-from-hint');
    totpKey = key;
  });

  step('7. with a second factor, a new app password needs the app\'s code first (step-up)', async () => {
    await u.section.getByLabel(en['settings.appPasswords.name'], { exact: true }).fill('DAVx5');
    await u.section.getByRole('button', { name: en['settings.appPasswords.create'], exact: true }).click();
    const stepUp = page.getByRole('dialog', { name: en['stepUp.title'] });
    await stepUp.getByText(en['stepUp.appPassword']).waitFor();
    // Only the factors the account has: the app, and recovery codes while some are left.
    assert.equal(await stepUp.getByRole('button', { name: en['stepUp.useSms'] }).count(), 0, 'no SMS without a number');
    await stepUp.getByRole('button', { name: en['stepUp.useRecovery'] }).waitFor();
    await shot('create-step-up');
    // Cancelled: nothing is created.
    await stepUp.getByRole('button', { name: en['setup.sms.cancel'], exact: true }).click();
    await stepUp.waitFor({ state: 'detached' });
    assert.equal((await listFromApi(page)).items.length, 0, 'nothing created without the proof');

    await u.section.getByRole('button', { name: en['settings.appPasswords.create'], exact: true }).click();
    await stepUp.getByLabel(en['stepUp.totp.code'], { exact: true }).fill(await freshTotp(totpKey, usedSteps));
    await stepUp.getByRole('button', { name: en['settings.appPasswords.create'], exact: true }).click();
    const created = page.getByRole('dialog', { name: en['settings.appPasswords.createdTitle'] });
    const shown = ((await created.getByText(GROUPED).textContent()) || '').trim();
    assert.equal((await davAuth(email, shown)).status, 200, 'the app password created after the proof works');
    await shot('created-after-step-up');
  });
});

describe('App passwords in German on a phone-sized screen', { concurrency: 1 }, () => {
  /** @type {import('playwright-core').Browser} */
  let browser;

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  it('German: section, created dialog, list, revoke; an ended session leads to sign-in', async () => {
    const timeZone = 'Europe/Berlin';
    const context = await browser.newContext({ locale: 'de-DE', timezoneId: timeZone, viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const shot = screenshots(page, 'app-passwords-german');
    const u = ui(page, de);
    const name = 'Erika Mustermann';
    const email = uniqueEmail('apw-de');
    const password = strongPassword();
    const appName = 'Kalender auf dem iPhone';

    try {
      const userId = await register(email, password, name, 'de');
      await page.goto(`${PORTAL_URL}/`);
      await u.signIn(email, password);
      await u.heading(fill(de['home.title'], { name })).waitFor();
      await u.openSettings();
      assert.equal(await page.locator('html').getAttribute('lang'), 'de');
      await u.section.getByText(de['settings.appPasswords.explain']).waitFor();
      await u.section.getByText(de['settings.appPasswords.none']).waitFor();
      assert.ok((await horizontalOverflow(page)) <= 0, 'no sideways scrolling at 360px');
      await shot('settings');

      const shown = await u.create(appName);
      const dialog = page.getByRole('dialog', { name: de['settings.appPasswords.createdTitle'] });
      await dialog.getByText(de['settings.appPasswords.onlyOnce']).waitFor();
      await dialog.getByText(fill(de['settings.appPasswords.createdIntro'], { name: appName })).waitFor();
      for (const key of ['server', 'username', 'password']) {
        await dialog.getByText(de[`settings.appPasswords.${key}`], { exact: true }).waitFor();
      }
      await dialog.getByRole('button', { name: de['settings.appPasswords.copyPassword'], exact: true }).waitFor();
      assert.ok((await horizontalOverflow(page)) <= 0, 'the dialog fits 360px');
      await shot('created-dialog');
      await dialog.getByRole('button', { name: de['settings.appPasswords.done'], exact: true }).click();
      await u.row(appName).getByText(de['settings.appPasswords.neverUsed']).waitFor();

      const ok = await davAuth(email, shown);
      assert.equal(ok.status, 200, `app password: ${JSON.stringify(ok.body)}`);
      assert.equal(ok.body.user_id, userId);

      await page.reload();
      const row = u.row(appName);
      await row.getByText(de['settings.appPasswords.lastUsed']).waitFor();
      const used = (await row.locator('time').nth(1).getAttribute('datetime')) || '';
      const shownUsed = (await row.locator('time').nth(1).textContent()) || '';
      assert.ok(shownUsed.includes(clock(used, 'de-DE', timeZone)), `"${shownUsed}" shows ${clock(used, 'de-DE', timeZone)} (${timeZone})`);
      assert.ok(/\d{4}/.test(shownUsed) && !/[AP]M/.test(shownUsed), `a German date: "${shownUsed}"`);
      assert.ok((await horizontalOverflow(page)) <= 0, 'the list fits 360px');
      await shot('list-last-used');

      await row.getByRole('button', { name: de['settings.appPasswords.revoke'], exact: true }).click();
      const confirm = page.getByRole('dialog', { name: fill(de['settings.appPasswords.revokeTitle'], { name: appName }) });
      await confirm.getByText(de['settings.appPasswords.revokeText']).waitFor();
      await shot('revoke-confirm');
      await confirm.getByRole('button', { name: de['settings.appPasswords.revokeConfirm'], exact: true }).click();
      await u.section.getByText(fill(de['settings.appPasswords.revoked'], { name: appName })).waitFor();
      assert.equal((await davAuth(email, shown)).status, 401, 'a revoked app password is refused');

      // The session ends elsewhere (signed out in another tab): creating one
      // leads to the sign-in page with the German notice, as everywhere else.
      const token = await sessionToken(page);
      assert.equal((await api('/api/logout', { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).status, 204);
      await u.section.getByLabel(de['settings.appPasswords.name'], { exact: true }).fill('Thunderbird');
      await u.section.getByRole('button', { name: de['settings.appPasswords.create'], exact: true }).click();
      await u.heading(de['login.title']).waitFor();
      await page.getByText(de['login.sessionExpired']).waitFor();
      // Timed out, not signed out: the form starts with the address.
      assert.equal(await page.getByLabel(de['login.email'], { exact: true }).inputValue(), email);
      await shot('session-ended');
    } catch (err) {
      await shot('failed').catch(() => {});
      throw err;
    } finally {
      await context.close();
    }
  });
});
