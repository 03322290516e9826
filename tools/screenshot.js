/*
 * screenshot.js - log in to a running dashboard and save a picture of a
 * page, as the README's screenshot is made:
 *
 *   NODE_PATH=tests/browser/node_modules node tools/screenshot.js \
 *       URL USER PASSWORD HASH OUT.png
 *
 * Uses Debian's chromium, headless, through playwright-core.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

async function main() {
  const [url, user, password, hash, out] = process.argv.slice(2);
  if (!out) {
    console.error('usage: screenshot.js URL USER PASSWORD HASH OUT.png');
    process.exit(2);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kobito-shot-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1366, height: 768 },
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo'
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    await page.goto(url + '/#/login');
    await page.fill('#login-user', user);
    await page.fill('#login-password', password);
    await page.click('#login-submit');
    await page.waitForSelector('#logout:not([hidden])');
    await page.goto(url + '/#/' + hash);
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(1500);	/* charts animate in */
    await page.screenshot({ path: out, fullPage: true });
  } finally {
    await context.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(e => { console.error(String(e)); process.exit(1); });
