// Steps the SMS browser tests share (English and German run the same flow
// with their own texts): a page object over one Playwright page and one
// language's dictionary.

import assert from 'node:assert/strict';
import { brandName, fill, smsCount, waitForSmsCode, wordOnOneLine } from './support.mjs';

/** @param {string} s */
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A regular expression for a text with a {count} in it, any number.
 * @param {string} template
 */
export function withAnyCount(template) {
  return new RegExp(`^${escape(template).replace(escape('{count}'), '\\d+')}$`);
}

/** `+49 151 ••••5678`, as the portal masks `+4915112345678`. */
export function masked(phone) {
  return `${phone.slice(0, 3)} ${phone.slice(3, 6)} ••••${phone.slice(-4)}`;
}

/**
 * @param {import('playwright-core').Page} page
 * @param {Record<string, string>} d the page's texts in the test's language
 */
export function smsPage(page, d) {
  const heading = (text) => page.getByRole('heading', { level: 1, name: text, exact: true });
  const button = (text) => page.getByRole('button', { name: text, exact: true });
  const label = (text) => page.getByLabel(text, { exact: true });

  return {
    heading,
    button,
    label,

    /** @param {string} email @param {string} password */
    async signIn(email, password) {
      await heading(d['login.title']).waitFor();
      await label(d['login.email']).fill(email);
      await label(d['login.password']).fill(password);
      await button(d['login.submit']).click();
    },

    async signOut() {
      await button(d['nav.signOut']).click();
      await page.getByText(d['login.signedOut']).waitFor();
    },

    /**
     * Country code from the list, then the number as typed.
     * @param {string} dial e.g. `+49`
     * @param {string} typed
     */
    async enterNumber(dial, typed) {
      await label(d['sms.countryCode']).selectOption(dial);
      await label(d['sms.phone']).fill(typed);
    },

    /** The "code sent to" line for `phone` (5 minutes). */
    sentLine(phone) {
      return page.getByText(fill(d['sms.sent.other'], { phone: masked(phone), count: 5 }), { exact: true });
    },

    /** The button while it counts down; asserts it refuses clicks meanwhile. */
    async countdown() {
      const waiting = page.getByRole('button', { name: withAnyCount(d['sms.resendIn.other']) });
      await waiting.waitFor();
      assert.equal(await waiting.getAttribute('aria-disabled'), 'true', 'no new code while counting down');
      const ratio = await contrast(waiting);
      assert.ok(ratio >= 4.5, `the countdown's text has ${ratio.toFixed(2)}:1 against its background, at least 4.5:1 is needed`);
      return waiting;
    },

    /**
     * Read the next SMS to `phone` and type its code into the field labelled `fieldLabel`.
     * @param {string} phone @param {number} seen SMS to it before @param {string} fieldLabel
     */
    async typeSmsCode(phone, seen, fieldLabel) {
      const code = await waitForSmsCode(phone, seen);
      await label(fieldLabel).fill(code);
      return code;
    },

    smsCount,

    /** The ten recovery codes of the codes page, then Continue. */
    async takeRecoveryCodes(doneKey) {
      await page.getByText(d[doneKey]).waitFor();
      const list = page.getByRole('list', { name: d['recovery.title'] });
      await list.waitFor();
      // The title's longest word ("Wiederherstellungscodes") is never split
      // on a phone, at 360 and at 390 px (the width of the guides' walk).
      const longest = d['recovery.title'].split(' ').reduce((a, b) => (b.length > a.length ? b : a));
      const title = page.getByRole('heading', { level: 1, name: d['recovery.title'] });
      const viewport = page.viewportSize();
      for (const width of [360, 390]) {
        await page.setViewportSize({ width, height: 844 });
        assert.ok(await wordOnOneLine(title, longest), `"${longest}" is split at ${width} px`);
      }
      if (viewport) await page.setViewportSize(viewport);
      const shown = (await list.getByRole('listitem').allTextContents()).map((s) => s.trim());
      assert.equal(shown.length, 10, `10 recovery codes expected, got ${JSON.stringify(shown)}`);
      assert.equal(await page.getByRole('navigation').count(), 0, 'no menu while the codes are shown');
      assert.equal(await page.getByRole('link', { name: await brandName(), exact: true }).count(), 0, 'no home link either');
      await label(d['recovery.stored']).check();
      return shown;
    },
  };
}

/**
 * The contrast ratio (WCAG 2) of an element's text against the first opaque
 * background behind it, with the opacity of it and its ancestors applied.
 * @param {import('playwright-core').Locator} locator
 * @returns {Promise<number>}
 */
export async function contrast(locator) {
  return locator.evaluate((el) => {
    /** @param {string} css @returns {number[]} */
    const rgba = (css) => (css.match(/[\d.]+/g) || []).map(Number);
    /** @param {number[]} c */
    const luminance = ([r, g, b]) => {
      const lin = (/** @type {number} */ v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    let opacity = 1;
    let background = [255, 255, 255];
    for (let node = /** @type {Element | null} */ (el); node; node = node.parentElement) {
      const style = getComputedStyle(node);
      opacity *= Number(style.opacity);
      const bg = rgba(style.backgroundColor);
      if (bg.length >= 3 && (bg.length === 3 || bg[3] > 0)) {
        background = bg.slice(0, 3);
        break;
      }
    }
    const text = rgba(getComputedStyle(el).color).slice(0, 3);
    // Faded text is blended with what lies behind it.
    const seen = text.map((c, i) => c * opacity + background[i] * (1 - opacity));
    const [hi, lo] = [luminance(seen), luminance(background)].sort((a, b) => b - a);
    return (hi + 0.05) / (lo + 0.05);
  });
}
