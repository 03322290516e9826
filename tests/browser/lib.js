/*
 * lib.js - what the browser tests share: a fresh Chromium per person
 * (Debian's, headless, driven by playwright-core), logging in, opening a
 * view, screenshots, checks, axe-core's accessibility check, and the run
 * of a list of scenarios with the Content-Security-Policy watched on every
 * page.
 *
 * Environment: URL (the scheduler), OUT (screenshots and downloads),
 * CHROMIUM (default /usr/bin/chromium), PASSWORD (the test users').
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const env = {
  URL: process.env.URL,
  OUT: process.env.OUT,
  PASSWORD: process.env.PASSWORD,
  CHROMIUM: process.env.CHROMIUM || '/usr/bin/chromium'
};

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

const dirs = [];
const cspViolations = [];	/* any one fails the run */

function check(what, cond, detail) {
  if (!cond) throw new Error(what + (detail !== undefined ? ': ' + detail : ''));
  console.log('ok: ' + what);
}

/*
 * A fresh browser (its own --user-data-dir) for one person; opts are
 * playwright's context options (viewport, ignoreHTTPSErrors, ...).
 */
async function browserFor(who, viewport, opts) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kobito-chromium-' + who + '-'));
  dirs.push(dir);
  const context = await chromium.launchPersistentContext(dir, Object.assign({
    executablePath: env.CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: viewport || { width: 1366, height: 768 },
    acceptDownloads: true,
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo'
  }, opts || {}));
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(20000);
  page.errors = [];
  page.dialogs = [];
  page.on('pageerror', e => page.errors.push(String(e)));
  page.on('console', m => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) cspViolations.push(who + ': ' + m.text());
  });
  /* Dialogs are noted and dismissed, but for page.accepting of them. */
  page.accepting = 0;
  page.on('dialog', d => {
    page.dialogs.push(d.message());
    if (page.accepting > 0) {
      page.accepting--;
      d.accept().catch(() => {});
    } else {
      d.dismiss().catch(() => {});
    }
  });
  return { context, page };
}

async function login(page, user, password, base) {
  await page.goto((base || env.URL) + '/#/login');
  await page.waitForSelector('#login-user');
  await page.fill('#login-user', user);
  await page.fill('#login-password', password || env.PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#logout:not([hidden])');
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(env.OUT, name + '.png'), fullPage: true });
  console.log('screenshot: ' + name + '.png');
}

/* Open a view and wait until it has drawn (its heading is there). */
async function open(page, hash, selector) {
  await page.goto(env.URL + '/' + hash);
  await page.waitForSelector(selector || 'main h1');
}

/*
 * axe-core on the page as it is: its violations, as text (injected
 * through the browser's own protocol, which the page's policy does not
 * govern).
 */
let axeSource = null;
async function axe(page) {
  if (axeSource === null)
    axeSource = fs.readFileSync(path.join(__dirname, 'node_modules/axe-core/axe.min.js'), 'utf8');
  /* After a frame: the tables' scroll boxes are marked once laid out. */
  await page.evaluate(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
  });
}

/* Run [name, fn] scenarios; exit 0 when each passed and no CSP broke. */
async function runScenarios(me, scenarios) {
  let passed = 0;
  let failed = 0;

  if (!env.URL || !env.OUT || !env.PASSWORD) {
    console.error(me + ': set URL, OUT and PASSWORD');
    process.exit(2);
  }
  fs.mkdirSync(env.OUT, { recursive: true });
  /* ONLY=regexp runs the scenarios whose names match (while mending one). */
  const only = process.env.ONLY ? new RegExp(process.env.ONLY) : null;
  for (const [name, fn] of scenarios) {
    if (only && !only.test(name)) continue;
    const t0 = Date.now();
    try {
      await fn();
      passed++;
      console.log('PASS ' + name + ' (' + ((Date.now() - t0) / 1000).toFixed(1) + ' s)');
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

module.exports = { env, URL: env.URL, OUT: env.OUT, PASSWORD: env.PASSWORD,
  check, browserFor, login, shot, open, axe, runScenarios };
