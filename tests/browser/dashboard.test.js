/*
 * dashboard.test.js - the dashboard in a real browser: Debian's chromium,
 * headless, driven by playwright-core, against a private scheduler and a
 * real agent that tests/e2e/browser.sh starts.
 *
 * Scenarios: a staff member logs in, runs a bot with a parameter from the
 * form built from its params, and sees it succeed in plain words; a
 * manager sees the hours grow after a run and downloads the CSV; a viewer
 * cannot trigger anything (no button, and the API refuses); a script
 * title carrying markup is shown as text, never run; every page renders at
 * 1366x768 and on a tablet; the English switch works; an HTML artifact
 * is downloaded from its run's page, never run; no page breaks its
 * Content-Security-Policy.  A screenshot of each page goes to $OUT.
 *
 * Environment: URL (the scheduler), OUT (screenshots and downloads),
 * CHROMIUM (default /usr/bin/chromium), PASSWORD (every test user's),
 * ART_RUN (a run with the artifacts shot.png and evil.html).
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { URL, OUT, check, browserFor, login, shot, open, runScenarios } = require('./lib');

const XSS_TITLE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';

/* The number in the overview's actual column for a KPI row. */
async function actualOf(page, id) {
  const text = await page.textContent('#kpi-' + id + ' td:nth-child(2)');
  return Number(text.replace(/[^0-9.\-]/g, ''));
}

/* Submit the open run form; the job id the page announces. */
async function submitRun(page) {
  await page.click('#run-submit');
  await page.waitForSelector('#run-dialog', { state: 'detached' });
  const note = await page.textContent('#toast');
  const m = /#(\d+)/.exec(note);
  if (!m) throw new Error('no job id in "' + note + '"');
  return m[1];
}

async function runBot(page, script, names) {
  await page.click('button.run-now[data-script="' + script + '"]');
  await page.waitForSelector('#run-dialog[open]');
  await page.fill('#param-names', names);
  return submitRun(page);
}

/* Wait until my run of job id shows a final state; its status text. */
async function runText(page, id, want) {
  const cell = '#job-' + id + ' td:nth-child(3)';
  await page.waitForFunction(([sel, w]) => {
    const td = document.querySelector(sel);
    return td && w.some(x => td.textContent.includes(x));
  }, [cell, want], { timeout: 60000 });
  return page.textContent(cell);
}

const scenarios = [
  ['a staff member runs a bot with a parameter and sees it succeed', async () => {
    const { context, page } = await browserFor('staff');
    try {
      await login(page, 'sato');
      check('the staff member lands on the bot catalogue', page.url().endsWith('#/bots'), page.url());
      await page.waitForSelector('.bot[data-script="greet"]');
      check('the catalogue shows the title in plain words',
        (await page.textContent('.bot[data-script="greet"] .bot-title')) === 'あいさつ状の作成');
      await page.click('button.run-now[data-script="greet"]');
      await page.waitForSelector('#run-dialog[open]');
      check('the form marks the required parameter',
        (await page.textContent('#run-dialog')).includes('必須'));
      check('the form offers the default of a parameter',
        (await page.inputValue('#param-greeting')) === 'こんにちは');
      await shot(page, 'staff-run-form');
      await page.fill('#param-names', '山田,佐藤,鈴木');
      const id = await submitRun(page);
      const text = await runText(page, id, ['完了', '失敗']);
      check('the run succeeded, in plain words', text.includes('完了') && text.includes('3件を処理しました'), text);
      await shot(page, 'staff-bots');
      check('no script errors on the page', page.errors.length === 0, page.errors.join('; '));
    } finally {
      await context.close();
    }
  }],

  ['a manager sees the hours grow and downloads the CSV', async () => {
    const mgr = await browserFor('manager');
    const staff = await browserFor('staff2');
    try {
      await login(mgr.page, 'tanaka');
      await open(mgr.page, '#/kpi', '#kpi-table');
      await mgr.page.waitForSelector('#months-chart');
      const before = await actualOf(mgr.page, 'staff_hours_saved');
      check('the first run counts: 3 items x 30 minutes', before >= 1.5, before);
      await shot(mgr.page, 'manager-kpi');
      await login(staff.page, 'sato');
      await staff.page.waitForSelector('.bot[data-script="greet"]');
      const id = await runBot(staff.page, 'greet', 'a,b,c,d');
      const text = await runText(staff.page, id, ['完了', '失敗']);
      check('the second run succeeded', text.includes('4件を処理しました'), text);
      await mgr.page.reload();
      await mgr.page.waitForSelector('#kpi-table');
      const after = await actualOf(mgr.page, 'staff_hours_saved');
      check('the hours grew by 4 x 30 minutes', Math.abs(after - before - 2) < 0.11, before + ' -> ' + after);
      const drawn = await mgr.page.evaluate(() => {
        const c = document.getElementById('months-chart');
        return typeof Chart !== 'undefined' && !!Chart.getChart(c) && c.width > 0;
      });
      check('the monthly chart is drawn by Chart.js', drawn);
      const [download] = await Promise.all([
        mgr.page.waitForEvent('download'),
        mgr.page.click('#csv-overview')
      ]);
      const file = path.join(OUT, 'overview.csv');
      await download.saveAs(file);
      const csv = fs.readFileSync(file);
      check('the CSV starts with a byte order mark', csv[0] === 0xef && csv[1] === 0xbb && csv[2] === 0xbf);
      const lines = csv.toString('utf8').slice(1).split('\r\n');
      check('the CSV has the Japanese header', lines[0] === 'ID,指標,単位,実績,年度見込み,目標,目標年度,進捗(%)', lines[0]);
      const row = lines.find(l => l.startsWith('staff_hours_saved,'));
      check('the CSV has this year\'s hours', row && Math.abs(Number(row.split(',')[3]) - after) < 0.06, row);
      await open(mgr.page, '#/report', '#kpi-table');
      await shot(mgr.page, 'manager-report');
      await mgr.page.emulateMedia({ media: 'print' });
      check('the report prints without the menu', !(await mgr.page.isVisible('#top')));
      await mgr.page.emulateMedia({ media: 'screen' });
      check('a manager sees no run pages', (await mgr.page.$('#nav-runs')) === null);
      await mgr.page.click('#lang');
      await mgr.page.waitForSelector('#nav-kpi');
      check('the English switch', (await mgr.page.textContent('#nav-kpi')) === 'KPIs');
      await open(mgr.page, '#/kpi', '#kpi-table');
      await shot(mgr.page, 'manager-kpi-en');
      await mgr.page.click('#lang');
      check('no script errors on the page', mgr.page.errors.length === 0, mgr.page.errors.join('; '));
    } finally {
      await mgr.context.close();
      await staff.context.close();
    }
  }],

  ['a viewer cannot trigger anything', async () => {
    const { context, page } = await browserFor('viewer');
    try {
      await login(page, 'suzuki');
      await open(page, '#/bots', '.bot');
      check('no Run now button for a viewer', (await page.$$('button.run-now')).length === 0);
      check('the page says why', await page.isVisible('#viewer-note'));
      const res = await page.evaluate(async () => {
        const s = await (await fetch('/api/session')).json();
        const r = await fetch('/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: JSON.stringify({ script: 'greet', params: { names: 'x' } }) });
        return { status: r.status, body: await r.json() };
      });
      check('the API refuses a viewer\'s trigger', res.status === 403, JSON.stringify(res));
      const nocsrf = await page.evaluate(async () => {
        const r = await fetch('/api/session', { method: 'DELETE' });
        return r.status;
      });
      check('a change without the CSRF token is refused', nocsrf === 403, nocsrf);
      await shot(page, 'viewer-bots');
    } finally {
      await context.close();
    }
  }],

  ['a script title with markup is shown as text', async () => {
    const { context, page } = await browserFor('xss');
    try {
      await login(page, 'eng');
      await open(page, '#/bots', '.bot[data-script="xss"]');
      const title = await page.textContent('.bot[data-script="xss"] .bot-title');
      check('the title is the literal text', title === XSS_TITLE, title);
      const desc = await page.textContent('.bot[data-script="xss"] .bot-desc');
      check('the description too', desc.includes('<b>太字</b>'), desc);
      await open(page, '#/scripts', '#scripts-table');
      check('the scripts page shows it as text', (await page.textContent('#scripts-table')).includes(XSS_TITLE));
      const injected = await page.evaluate(() => ({
        xss: window.__xss, imgs: document.querySelectorAll('img[src="x"]').length,
        scripts: [...document.scripts].filter(s => s.textContent.includes('__xss')).length
      }));
      check('no element was made from it and nothing ran',
        injected.xss === undefined && injected.imgs === 0 && injected.scripts === 0, JSON.stringify(injected));
      check('no dialog appeared', page.dialogs.length === 0, page.dialogs.join('; '));
      await shot(page, 'xss-escaped');
    } finally {
      await context.close();
    }
  }],

  ['engineers\' and admins\' pages render', async () => {
    const { context, page } = await browserFor('admin');
    try {
      await login(page, 'kanri');
      const views = [
        ['#/runs', '#runs-table', 'engineer-runs'],
        ['#/agents', '#agents-table', 'engineer-agents'],
        ['#/schedules', '#schedules-table', 'engineer-schedules'],
        ['#/jobs', '#jobs-table', 'engineer-jobs'],
        ['#/scripts', '#scripts-table', 'engineer-scripts'],
        ['#/users', '#users-table', 'admin-users'],
        ['#/tokens', '#tokens-table', 'admin-tokens'],
        ['#/kpiconf', '#surveys-table', 'admin-kpi-config'],
        ['#/audit', '#audit-table', 'admin-audit']
      ];
      for (const [hash, sel, name] of views) {
        await open(page, hash, sel);
        await shot(page, name);
      }
      check('the agent is listed online', (await page.goto(URL + '/#/agents'), await page.waitForSelector('#agents-table'),
        (await page.textContent('#agents-table')).includes('稼働中')));
      check('the schedule has a next fire time', (await open(page, '#/schedules', '#schedules-table'),
        /\d{4}/.test(await page.textContent('#schedules-table tbody tr td:nth-child(4)'))));
      await open(page, '#/scripts', '#invalid-table');
      const invalid = await page.textContent('#invalid-table');
      check('the scripts page shows a file that does not validate, with line:col',
        /broken\.yaml:\d+:\d+: .*file\.wirte/.test(invalid), invalid);
      await open(page, '#/runs?script=greet&status=succeeded', '#runs-table');
      const rows = await page.$$('#runs-table tbody tr a[href^="#/run/"]');
      check('the run filter finds the greet runs', rows.length >= 2, rows.length);
      await rows[0].click();
      await page.waitForSelector('#timeline li');
      check('a run shows its step timeline', (await page.$$('#timeline li')).length >= 1);
      check('and its items', (await page.$$('#items-table tbody tr')).length >= 3);
      check('and its log lines', (await page.textContent('#logs')).includes('こんにちは'));
      await shot(page, 'engineer-run');
      check('the audit log shows the logins', (await open(page, '#/audit', '#audit-table'),
        (await page.textContent('#audit-table')).includes('/api/session')));
      check('no script errors on the pages', page.errors.length === 0, page.errors.join('; '));
    } finally {
      await context.close();
    }
  }],

  ['an HTML artifact is downloaded from its run, never run', async () => {
    const { context, page } = await browserFor('artifact');
    const reports = () => page.evaluate(async () =>
      (await (await fetch('/api/jobs?script=report&limit=100')).json()).jobs.length);
    try {
      await login(page, 'eng');
      const before = await reports();
      await open(page, '#/run/' + process.env.ART_RUN, '.shots img');
      const shown = await page.waitForFunction(() => {
        const i = document.querySelector('.shots img');
        return i.complete && i.naturalWidth === 1;
      });
      check('the screenshot is shown on the run page', !!shown);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('.shots a[href$="evil.html"]')
      ]);
      check('the HTML artifact is a download', download.suggestedFilename() === 'evil.html',
        download.suggestedFilename());
      check('the page stayed the dashboard', page.url().includes('#/run/'), page.url());
      check('its script made no job', (await reports()) === before);
      await shot(page, 'engineer-run-artifacts');
    } finally {
      await context.close();
    }
  }],

  ['every page fits a tablet and a 1366x768 laptop', async () => {
    const sizes = [['laptop', { width: 1366, height: 768 }], ['tablet', { width: 820, height: 1180 }]];
    for (const [label, viewport] of sizes) {
      const { context, page } = await browserFor('size-' + label, viewport);
      try {
        await login(page, 'kanri');
        for (const [hash, sel] of [['#/kpi', '#kpi-table'], ['#/bots', '.bot'], ['#/runs', '#runs-table'], ['#/kpiconf', '#surveys-table']]) {
          await open(page, hash, sel);
          const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          check(label + ' ' + hash + ' has no sideways scrolling', over <= 1, over + ' px too wide');
        }
        await open(page, '#/kpi', '#kpi-table');
        await shot(page, 'kpi-' + label);
        await open(page, '#/bots', '.bot');
        await shot(page, 'bots-' + label);
      } finally {
        await context.close();
      }
    }
  }]
];

runScenarios('dashboard.test.js', scenarios);
