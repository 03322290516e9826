/*
 * lib.js - what the browser tests share: a fresh headless Chromium per
 * person (Debian's chromium through playwright-core), logging in, checks
 * that print what passed, screenshots, Content-Security-Policy breaches
 * collected from the console, and the run of a list of scenarios.
 *
 * Environment: URL (the scheduler), OUT (screenshots and downloads),
 * CHROMIUM (default /usr/bin/chromium), PASSWORD (every test user's).
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const URL = process.env.URL;
const OUT = process.env.OUT;
const PASSWORD = process.env.PASSWORD;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

const dirs = [];
const cspViolations = [];	/* any one fails the run */

function check(what, cond, detail) {
  if (!cond) throw new Error(what + (detail !== undefined ? ': ' + detail : ''));
  console.log('ok: ' + what);
}

/* A fresh browser (its own --user-data-dir) for one person. */
async function browserFor(who, viewport) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kobito-chromium-' + who + '-'));
  dirs.push(dir);
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: viewport || { width: 1366, height: 768 },
    acceptDownloads: true,
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo'
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(20000);
  page.errors = [];
  page.dialogs = [];
  page.on('pageerror', e => page.errors.push(String(e)));
  page.on('console', m => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) cspViolations.push(who + ': ' + m.text());
  });
  page.on('dialog', d => { page.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  return { context, page };
}

async function login(page, user) {
  await page.goto(URL + '/#/login');
  await page.waitForSelector('#login-user');
  await page.fill('#login-user', user);
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#logout:not([hidden])');
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, name + '.png'), fullPage: true });
  console.log('screenshot: ' + name + '.png');
}

/* Open a view and wait until it has drawn (its heading is there). */
async function open(page, hash, selector) {
  await page.goto(URL + '/' + hash);
  await page.waitForSelector(selector || 'main h1');
}

/*
 * Run [name, async fn] scenarios one after the other; a breach of the
 * Content-Security-Policy anywhere fails the run.  Exits the process.
 */
async function runScenarios(file, scenarios) {
  let passed = 0;
  let failed = 0;

  if (!URL || !OUT || !PASSWORD) {
    console.error(file + ': set URL, OUT and PASSWORD');
    process.exit(2);
  }
  fs.mkdirSync(OUT, { recursive: true });
  for (const [name, fn] of scenarios) {
    try {
      await fn();
      passed++;
      console.log('PASS ' + name);
    } catch (e) {
      failed++;
      console.log('FAIL ' + name + ': ' + (e && e.stack || e));
    }
  }
  if (cspViolations.length) {
    failed++;
    console.log('FAIL no page breaks its Content-Security-Policy: ' + cspViolations.join('; '));
  }
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  console.log(passed + ' passed, ' + failed + ' failed');
  process.exit(failed ? 1 : 0);
}

module.exports = { URL, OUT, PASSWORD, check, browserFor, login, shot, open, runScenarios };
