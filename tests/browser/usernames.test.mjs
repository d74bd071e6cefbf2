// User names in the page: English registration with a user name (a taken one
// said at the field, in any case), the sign-in field "User name or email"
// taking it; in German at 390 px the field reads "Benutzername oder E-Mail",
// Settings > Sicherheit sets a name (a broken rule and a taken one said at
// the field) and the next sign-in uses it. axe-core at each screenshot.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  browserStory,
  call,
  dict,
  fill,
  PORTAL_URL,
  signInOnPage,
  strongPassword,
  uniqueEmail,
} from './support.mjs';

const en = dict('en');
const de = dict('de');

/** A user name no other run has: letters and digits of the time. */
const uniqueName = (prefix) => `${prefix}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

describe('User name or email: registration, sign-in and Settings', { concurrency: 1 }, () => {
  const { step, openPage } = browserStory();

  step('1. English: register with a user name (a taken one refused at the field), sign in with it', async () => {
    const { page, shot } = await openPage('usernames-en', 'en-US', { width: 900, height: 900 });
    const taken = uniqueName('Taken');
    await call('POST', '/api/register', { name: 'First', email: uniqueEmail('first'), password: strongPassword(), username: taken, locale: 'en' });
    const who = { name: 'Uma User', email: uniqueEmail('uma'), password: strongPassword(), username: uniqueName('uma') };

    await page.goto(`${PORTAL_URL}/register`);
    await page.getByRole('heading', { level: 1, name: en['register.title'], exact: true }).waitFor();
    await page.getByLabel(en['register.name'], { exact: true }).fill(who.name);
    await page.getByLabel(en['register.email'], { exact: true }).fill(who.email);
    await page.getByLabel(en['register.password'], { exact: true }).fill(who.password);
    const username = page.getByLabel(en['register.username'], { exact: true });
    await username.fill('uma@example.com');
    await page.getByRole('button', { name: en['register.submit'], exact: true }).click();
    await page.getByText(en['username.noEmail'], { exact: true }).waitFor();
    await username.fill(taken.toUpperCase());
    await page.getByRole('button', { name: en['register.submit'], exact: true }).click();
    await page.getByText(en['error.username_taken'], { exact: true }).waitFor();
    assert.equal(await username.getAttribute('aria-invalid'), 'true', 'the taken name is marked at its field');
    await shot('taken');
    await username.fill(who.username);
    await page.getByRole('button', { name: en['register.submit'], exact: true }).click();
    await page.getByText(en['login.registered']).waitFor();

    // The sign-in field takes the user name, in another case too.
    await signInOnPage(page, en, who.username.toUpperCase(), who.password);
    await page.getByRole('heading', { level: 1, name: fill(en['home.title'], { name: who.name }) }).waitFor();
    await shot('signed-in-by-name');
    // A wrong password by name gets the same message as by email.
    await page.getByRole('button', { name: en['nav.signOut'], exact: true }).click();
    await signInOnPage(page, en, who.username, 'Not-the-password-1');
    await page.getByText(en['error.invalid_credentials'], { exact: true }).waitFor();
    await shot('wrong-password');
    await page.context().close();
  });

  step('2. German at 390 px: "Benutzername oder E-Mail", a user name set in Settings, then signing in with it', async () => {
    const { page, shot } = await openPage('usernames-de', 'de-DE', { width: 390, height: 844 });
    const taken = uniqueName('vergeben');
    await call('POST', '/api/register', { name: 'Erste', email: uniqueEmail('erste'), password: strongPassword(), username: taken, locale: 'de' });
    const who = { name: 'Bea Beispiel', email: uniqueEmail('bea'), password: strongPassword() };
    await call('POST', '/api/register', { ...who, locale: 'de' });

    await page.goto(`${PORTAL_URL}/login`);
    await page.getByLabel('Benutzername oder E-Mail', { exact: true }).waitFor();
    await signInOnPage(page, de, who.email, who.password);
    await page.getByRole('heading', { level: 1, name: fill(de['home.title'], { name: who.name }) }).waitFor();
    await page.goto(`${PORTAL_URL}/settings`);
    await page.getByRole('heading', { level: 3, name: de['settings.username.title'], exact: true }).waitFor();
    await page.getByText(de['settings.username.none'], { exact: true }).waitFor();
    const field = page.getByLabel(de['settings.username.field'], { exact: true });
    const save = page.getByRole('button', { name: de['settings.username.save'], exact: true });
    await field.fill('be..a');
    await save.click();
    await page.getByText(de['username.rules'], { exact: true }).waitFor();
    await field.fill(taken);
    await save.click();
    await page.getByText(de['error.username_taken'], { exact: true }).waitFor();
    await shot('vergeben');
    const mine = uniqueName('Bea');
    await field.fill(mine);
    await save.click();
    await page.getByText(fill(de['settings.username.saved'], { username: mine }), { exact: true }).waitFor();
    await page.getByText(fill(de['settings.username.current'], { username: mine }), { exact: true }).waitFor();
    await shot('gespeichert');

    await page.getByRole('button', { name: de['nav.signOut'], exact: true }).click();
    await signInOnPage(page, de, mine.toLowerCase(), who.password);
    // The first sign-in was used above: now the second factor is owed.
    await page.getByRole('heading', { level: 1, name: de['setup.title'], exact: true }).waitFor();
    await shot('mit-benutzername-angemeldet');
    await page.context().close();
  });
});
