// Makes web/apple-touch-icon.png (180 px) and web/favicon.ico (one 32 px PNG inside)
// from web/favicon.svg with Chromium, for browsers that take no SVG icon. Run it
// (node tests/browser/make-icons.mjs, after npm ci there) when favicon.svg changes.

import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
const svg = readFileSync(new URL('../../web/favicon.svg', import.meta.url), 'utf8');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
async function png(size) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`);
  const buf = await page.screenshot({ omitBackground: true });
  await page.close();
  return buf;
}
const touch = await png(180);
writeFileSync(new URL('../../web/apple-touch-icon.png', import.meta.url), touch);
const small = await png(32);
// ICO with one PNG image (Windows Vista and every browser since read PNG inside ICO).
const header = Buffer.alloc(6); header.writeUInt16LE(0, 0); header.writeUInt16LE(1, 2); header.writeUInt16LE(1, 4);
const entry = Buffer.alloc(16);
entry.writeUInt8(32, 0); entry.writeUInt8(32, 1); entry.writeUInt8(0, 2); entry.writeUInt8(0, 3);
entry.writeUInt16LE(1, 4); entry.writeUInt16LE(32, 6); entry.writeUInt32LE(small.length, 8); entry.writeUInt32LE(22, 12);
writeFileSync(new URL('../../web/favicon.ico', import.meta.url), Buffer.concat([header, entry, small]));
await browser.close();
