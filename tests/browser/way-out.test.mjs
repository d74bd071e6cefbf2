// A way out of the sign-in's middle steps: "Cancel" on the forced setup of a
// second factor (English) and on the code prompt (German) leads back to
// sign-in, and the pending login ends on the server: the mfa token the tab
// held is refused afterwards. axe-core checks both pages (at each screenshot).

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  PORTAL_URL,
  browserStory,
  customerOwingSetup,
  customerWithApp,
  dict,
  signInOnPage,
  strongPassword,
  uniqueEmail,
} from './support.mjs';

const en = dict('en');
const de = dict('de');

/**
 * Status and error code of an API call made with the tab's old mfa token.
 * @param {string} apiPath
 * @param {string} token
 * @param {unknown} body
 */
async function answerTo(apiPath, token, body) {
  const res = await fetch(`${PORTAL_URL}${apiPath}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return `${res.status} ${(await res.json()).error}`;
}

describe('Cancel on the forced setup and on the code prompt ends the pending sign-in', { concurrency: 1 }, () => {
  const { step, openPage } = browserStory();

  /** @param {import('playwright-core').Page} page */
  const mfaTokenOf = (page) => page.evaluate(() => sessionStorage.getItem('portal:mfa-token'));

  step('1. English, forced setup: Cancel leads to sign-in, the setup token is refused', async () => {
    const { page, shot } = await openPage('way-out-setup', 'en-US', { width: 900, height: 900 });
    const who = { name: 'Casey Cancel', email: uniqueEmail('cancel-setup'), password: strongPassword() };
    await customerOwingSetup(who, 'en');
    await signInOnPage(page, en, who.email, who.password);
    await page.getByRole('heading', { level: 1, name: en['setup.title'], exact: true }).waitFor();
    await page.getByRole('img', { name: en['setup.app.qrLabel'] }).waitFor();
    await shot('setup'); // axe-core too (support.mjs)
    const token = await mfaTokenOf(page);
    assert.ok(token, 'the tab holds an mfa token during the setup');
    assert.match(await answerTo('/api/mfa/totp/setup', token, {}), /^200 /, 'the token works before Cancel');

    await page.getByRole('button', { name: en['mfa.cancel'], exact: true }).click();
    await page.getByRole('heading', { level: 1, name: en['login.title'], exact: true }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(await page.getByLabel(en['login.email'], { exact: true }).inputValue(), who.email, 'the address stays filled in');
    assert.equal(await mfaTokenOf(page), null, 'the tab forgot the token');
    await shot('back-to-sign-in');
    assert.equal(await answerTo('/api/mfa/totp/setup', token, {}), '401 unauthorized', 'the cancelled login starts no setup');
    await page.context().close();
  });

  step('2. German code prompt at 390 px: "Abbrechen" leads to sign-in, the code is no longer taken', async () => {
    const { page, shot } = await openPage('way-out-verify', 'de-DE', { width: 390, height: 900 });
    const who = { name: 'Kai Abbruch', email: uniqueEmail('cancel-verify'), password: strongPassword() };
    await customerWithApp(who, new Set());
    await signInOnPage(page, de, who.email, who.password);
    await page.getByRole('heading', { level: 1, name: de['verify.title'], exact: true }).waitFor();
    await shot('code-prompt');
    const token = await mfaTokenOf(page);
    assert.ok(token, 'the tab holds an mfa token at the code prompt');

    await page.getByRole('button', { name: de['mfa.cancel'], exact: true }).click();
    await page.getByRole('heading', { level: 1, name: de['login.title'], exact: true }).waitFor();
    assert.equal(await mfaTokenOf(page), null);
    await shot('zurueck-zur-anmeldung');
    // Refused as a dead token (401 unauthorized), not as a wrong code.
    assert.equal(await answerTo('/api/mfa/verify', token, { method: 'totp', code: '000000' }), '401 unauthorized');
    await page.context().close();
  });
});
