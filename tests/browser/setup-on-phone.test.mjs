// Setting up the authenticator app on the phone that holds it: the setup
// page links the otpauth:// URI ("Open in authenticator app") next to the
// key, and the link is exactly what the QR code holds (read by zbarimg). On
// a desktop the page says to scan the code; at 390 px it does not (a phone
// cannot scan its own screen): the QR code gives way and the text says to
// tap the link or type the key. English and German; axe-core at each width.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  browserStory,
  customerOwingSetup,
  dict,
  horizontalOverflow,
  readQrCode,
  signInOnPage,
  strongPassword,
  uniqueEmail,
} from './support.mjs';

describe('Open in authenticator app: the link next to the key, the wording by screen width', { concurrency: 1 }, () => {
  const { step, openPage } = browserStory();

  for (const [n, lang, locale] of /** @type {const} */ ([
    [1, 'en', 'en-US'],
    [2, 'de', 'de-DE'],
  ])) {
    step(`${n}. ${lang}: desktop says scan, the link is the QR code's URI; at 390 px tap or type, no QR code`, async () => {
      const d = dict(lang);
      const { page, shot } = await openPage(`setup-on-phone-${lang}`, locale, { width: 1000, height: 900 });
      const who = { name: 'Pat Phone', email: uniqueEmail(`phone-${lang}`), password: strongPassword() };
      await customerOwingSetup(who, lang);
      await signInOnPage(page, d, who.email, who.password);
      await page.getByRole('heading', { level: 1, name: d['setup.title'], exact: true }).waitFor();

      // Desktop: scan, or type the key; the link beside it.
      const qr = page.getByRole('img', { name: d['setup.app.qrLabel'] });
      await qr.waitFor();
      const open = page.getByRole('link', { name: d['setup.app.open'], exact: true });
      const href = (await open.getAttribute('href')) || '';
      assert.match(href, /^otpauth:\/\/totp\//, 'the link is an otpauth:// URI');
      assert.equal(await readQrCode(qr), href, 'the link holds exactly what the QR code encodes');
      const key = ((await page.locator('#setup-key').textContent()) || '').replace(/\s+/g, '');
      assert.equal(new URL(href).searchParams.get('secret'), key, 'the link carries the key shown');
      await page.getByText(d['setup.app.scan'], { exact: true }).waitFor();
      await page.getByText(d['setup.app.manual'], { exact: true }).waitFor();
      assert.equal(await page.getByText(d['setup.app.onPhone'], { exact: true }).isVisible(), false);
      await shot('desktop'); // axe-core too (support.mjs)

      // A phone: no "scan", no QR code; tap the link or type the key.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByText(d['setup.app.onPhone'], { exact: true }).waitFor();
      await page.getByText(d['setup.app.manualPhone'], { exact: true }).waitFor();
      assert.equal(await page.getByText(d['setup.app.scan'], { exact: true }).isVisible(), false, 'no "scan" on a phone');
      assert.equal(await page.getByText(d['setup.app.manual'], { exact: true }).isVisible(), false);
      assert.equal(await qr.isVisible(), false, 'no QR code on a phone');
      assert.equal(await open.isVisible(), true);
      assert.equal(await open.getAttribute('href'), href, 'the same link');
      assert.equal(await page.locator('#setup-key').isVisible(), true, 'the key to type stays');
      const text = (await page.locator('main').innerText()).toLowerCase();
      assert.ok(!text.includes(lang === 'de' ? 'scannen' : 'scan'), `nothing on the phone says to scan: ${text}`);
      assert.ok((await horizontalOverflow(page)) <= 0, 'no sideways scrolling at 390 px');
      await shot('390px');
      await page.context().close();
    });
  }
});
