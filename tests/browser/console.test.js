/*
 * console.test.js - the operations console in a real browser (Debian's
 * chromium, headless, playwright-core), against the private schedulers
 * tests/e2e/browser_console.sh starts.
 *
 * Scenarios: paging through 10,000 runs by the cursor, with filters and
 * exports; each department sees its own runs only; a running job's log,
 * steps and status arrive on its page as the agent reports them, without
 * reloading, and a log past 1,000 lines is paged in its order; "my runs"
 * holds the person's own jobs and follows them live; the controls - retry,
 * run again with an edited param, cancel many jobs at once, cancelling a
 * running one (its item kept), exception minutes, a schedule made with its
 * next fire times shown as the cron is typed, paused, resumed, run now,
 * edited, pinned and deleted, a script uploaded (its file:line:col errors
 * shown), its diff and a rollback, settings written but never shown; the
 * keyboard reaches every control; axe-core finds no violation on any page;
 * the KPI page fits a 390 px phone and its printed report A4 portrait with
 * the chart whole; an admin's one-time passwords turned on, asked at the
 * login and taken away; logging in by the directory over HTTPS, with a
 * Secure cookie.
 *
 * Environment (besides lib.js's): AGENT_TOKEN (a stand-in agent's token:
 * the test plays the agent of the live log), HTTPS_URL (the scheduler
 * serving HTTPS with directory logins).
 */
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { env, check, browserFor, login, shot, open, axe, runScenarios } = require('./lib');

const { URL, OUT } = env;

/* A call of the API as the stand-in agent (the test plays it). */
async function agent(method, p, body) {
  const res = await fetch(URL + p, {
    method,
    headers: { Authorization: 'Bearer ' + process.env.AGENT_TOKEN, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/*
 * A job of live_bot queued by the person logged in on page, leased by the
 * stand-in agent: { job_id, run_id, lease_token }.
 */
async function agentLease(page) {
  const job = await page.evaluate(() => fetch('/api/session').then(r => r.json()).then(s =>
    fetch('/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token },
      body: JSON.stringify({ script: 'live_bot' }) }).then(r => r.json())));
  const reg = await agent('POST', '/api/agents/register', { name: 'stand-in', labels: ['stand-in'] });
  const lease = await agent('POST', '/api/agents/lease', { agent_id: reg.body.agent_id });
  check('the stand-in agent leased job ' + job.job_id, lease.body.job_id === job.job_id, JSON.stringify(lease.body).slice(0, 100));
  return lease.body;
}

/* The stand-in agent ends the job it leased: one item done. */
async function agentFinish(lease) {
  const res = await agent('POST', '/api/jobs/' + lease.job_id + '/result', { lease_token: lease.lease_token,
    summary: { status: 'succeeded', items: { succeeded: 1, failed: 0 } } });
  check('the stand-in agent\'s result is taken', res.status === 200, JSON.stringify(res.body));
}

/* The code an authenticator app shows for a base32 key, steps ahead. */
function totpCode(base32, ahead) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of base32.replace(/=+$/, '')) bits += abc.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map(b => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + (ahead || 0)));
  const mac = crypto.createHmac('sha1', key).update(msg).digest();
  const off = mac[19] & 15;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

/* The ids of the runs table, as numbers. */
async function runIds(page) {
  return page.$$eval('#runs-table tbody tr[id^="run-"]', rows => rows.map(r => Number(r.id.slice(4))));
}

/*
 * Press Tab through the page (in batches, a focus listener marking what
 * it reaches): whether every visible control of main (links, buttons,
 * fields) was reached.  The ones missed, as text.
 */
const CONTROLS = 'a[href], button, input, select, textarea, [tabindex]';
async function unreachable(page) {
  const total = await page.evaluate(sel => {
    window.__reached = new Set();
    document.addEventListener('focusin', e => window.__reached.add(e.target));
    return [...document.querySelectorAll(sel)].filter(e => !e.disabled && e.offsetParent !== null && e.tabIndex >= 0).length;
  }, CONTROLS);
  await page.focus('body');
  const missed = () => page.evaluate(sel => [...document.querySelectorAll('main ' + sel.split(', ').join(', main '))]
    .filter(e => !e.disabled && e.offsetParent !== null && e.tabIndex >= 0 && !window.__reached.has(e))
    .map(e => e.outerHTML.slice(0, 80)), CONTROLS);
  for (let i = 0; i < total + 5; i += 20) {
    for (let k = 0; k < 20; k++) await page.keyboard.press('Tab');
    if ((await missed()).length === 0) return [];
  }
  return missed();
}

const scenarios = [
  ['paging through 10,000 runs, with filters and files', async () => {
    const { context, page } = await browserFor('pager');
    try {
      await login(page, 'kanri');
      await open(page, '#/runs', '#runs-table');
      const first = await runIds(page);
      check('the newest page holds 100 runs, newest first', first.length === 100 && first[0] > first[99], first.length);
      let seen = new Set(first), last = first[first.length - 1];
      for (let i = 0; i < 3; i++) {
        await page.click('#page-older');
        await page.waitForFunction(l => {
          const r = document.querySelector('#runs-table tbody tr[id^="run-"]');
          return r && Number(r.id.slice(4)) < l;
        }, last);
        const ids = await runIds(page);
        check('older page ' + (i + 2) + ' follows the one before', ids[0] < last && ids.length === 100, ids[0] + ' after ' + last);
        for (const id of ids) { if (seen.has(id)) throw new Error('run ' + id + ' shown twice'); seen.add(id); }
        last = ids[ids.length - 1];
      }
      await shot(page, 'runs-page-4');
      await page.click('#page-newest');
      await page.waitForSelector('#page-older');
      check('back to the newest', (await runIds(page))[0] === first[0]);
      /* Filters: a department and a status, in the address. */
      await page.selectOption('#f-department', 'zaisei-keiri-kaikei');
      await page.selectOption('#f-status', 'failed');
      await page.click('#f-apply');
      await page.waitForFunction(() => location.hash.includes('status=failed'));
      await page.waitForSelector('#runs-table tbody tr[id^="run-"]');
      const rows = await page.$$eval('#runs-table tbody tr', trs => trs.map(tr => tr.textContent));
      check('the filter shows the failed runs of 会計課 only', rows.every(t => t.includes('会計課') && t.includes('失敗')), rows[0]);
      const csv = await page.getAttribute('#export-csv', 'href');
      check('the CSV link carries the filter', /department=zaisei-keiri-kaikei/.test(csv) && /status=failed/.test(csv) && /format=csv/.test(csv), csv);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-xlsx')]);
      const file = path.join(OUT, 'runs.xlsx');
      await download.saveAs(file);
      check('the Excel file is a workbook', fs.readFileSync(file).slice(0, 2).toString() === 'PK');
      const when = await page.textContent('#runs-table tbody tr td:nth-child(5)');
      check('times say their zone', /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d JST/.test(when), when);
      check('no script errors', page.errors.length === 0, page.errors.join('; '));
    } finally {
      await context.close();
    }
  }],

  ['each department sees its own runs', async () => {
    const { context, page } = await browserFor('ka');
    try {
      await login(page, 'ka');
      await open(page, '#/runs', '#runs-table');
      const depts = await page.$$eval('#runs-table tbody tr td:nth-child(3)', tds => tds.map(td => td.textContent));
      check('会計課 sees 会計課 only', depts.length === 100 && depts.every(d => d.includes('会計課')), depts.find(d => !d.includes('会計課')));
      const other = await page.evaluate(() => fetch('/api/runs?department=shimin-kusei-koseki&limit=5').then(r => r.json()));
      check('and not 戸籍住民課\'s, whatever it asks', other.runs.length === 0, JSON.stringify(other).slice(0, 200));
      const ids = await page.evaluate(() => fetch('/api/runs?limit=1', { headers: {} }).then(r => r.json()));
      const theirs = ids.runs[0].id % 2 === 0 ? ids.runs[0].id - 1 : ids.runs[0].id + 1;
      await page.goto(URL + '/#/run/' + theirs);
      await page.waitForSelector('main .error');
      check('another department\'s run page says why not', /権限|役割/.test(await page.textContent('main .error')), await page.textContent('main .error'));
      check('no Settings for a viewer', (await page.$('#nav-settings')) === null);
      await shot(page, 'viewer-runs');
    } finally {
      await context.close();
    }
  }],

  ['a running job\'s page follows it live', async () => {
    const { context, page } = await browserFor('live');
    try {
      await login(page, 'op');
      const lease = await agentLease(page);
      const job = { job_id: lease.job_id };
      const lt = lease.lease_token;
      await agent('POST', '/api/jobs/' + job.job_id + '/events', { lease_token: lt, events: [
        { type: 'step_start', seq: 1, step: 'first', action: 'log' },
        { type: 'log', seq: 2, level: 'info', message: 'line one', time: '2026-12-08T09:00:00.000+09:00' }] });
      await open(page, '#/run/' + lease.run_id, '#logs');
      await page.waitForSelector('.live.on');
      check('the page shows what came before', (await page.textContent('#logs')).includes('line one'));
      const t0 = Date.now();
      await agent('POST', '/api/jobs/' + job.job_id + '/events', { lease_token: lt, events: [
        { type: 'step_end', seq: 3, step: 'first', action: 'log', status: 'succeeded', duration_ms: 120 },
        { type: 'log', seq: 4, level: 'info', message: 'line two, live', time: '2026-12-08T09:00:01.000+09:00' },
        { type: 'item_end', seq: 5, index: 0, status: 'succeeded', duration_ms: 80 }] });
      await page.waitForFunction(() => document.querySelector('#logs').textContent.includes('line two, live'), null, { timeout: 10000 });
      check('a new log line shows without reloading (' + (Date.now() - t0) + ' ms)', true);
      await page.waitForSelector('#timeline li');
      check('and the step that ended', (await page.textContent('#timeline')).includes('first'));
      check('the log line says its zone', (await page.textContent('#logs')).includes('2026-12-08 09:00:01 JST'));
      await agentFinish(lease);
      await page.waitForFunction(() => document.querySelector('#run-status').textContent === '完了', null, { timeout: 10000 });
      check('the status turns to done', true);
      await shot(page, 'run-live');
      check('no script errors', page.errors.length === 0, page.errors.join('; '));
    } finally {
      await context.close();
    }
  }],

  ['a long log paged, a running job cancelled from its page', async () => {
    const { context, page } = await browserFor('cancel');
    try {
      await login(page, 'op');
      const lease = await agentLease(page);
      const lt = lease.lease_token;
      /* 1,050 lines and one item done before the page is opened. */
      let seq = 0;
      for (let from = 0; from < 1050; from += 350) {
        const events = [];
        for (let i = from; i < from + 350; i++)
          events.push({ type: 'log', seq: ++seq, level: 'info', message: 'line ' + (i + 1), time: '2026-12-08T09:00:00.000+09:00' });
        const res = await agent('POST', '/api/jobs/' + lease.job_id + '/events', { lease_token: lt, events });
        check('lines ' + (from + 1) + '-' + (from + 350) + ' taken', res.status === 200, res.status);
      }
      await agent('POST', '/api/jobs/' + lease.job_id + '/events', { lease_token: lt,
        events: [{ type: 'item_end', seq: ++seq, index: 0, status: 'succeeded', duration_ms: 50 }] });
      await open(page, '#/run/' + lease.run_id, '#more-logs');
      await page.waitForSelector('.live.on');
      const count = () => page.$eval('#logs', p => p.textContent.split('\n').length);
      check('the page holds the first 1,000 lines', (await count()) === 1000, await count());
      /* A line arriving now waits behind the 50 not yet shown; the step
       * beside it says when the page has taken the news. */
      await agent('POST', '/api/jobs/' + lease.job_id + '/events', { lease_token: lt, events: [
        { type: 'log', seq: ++seq, level: 'info', message: 'the newest line', time: '2026-12-08T09:00:02.000+09:00' },
        { type: 'step_start', seq: ++seq, step: 'paying', action: 'log' },
        { type: 'step_end', seq: ++seq, step: 'paying', action: 'log', status: 'succeeded', duration_ms: 10 }] });
      await page.waitForFunction(() => document.querySelector('#timeline').textContent.includes('paying'));
      check('a new line does not jump the queue', (await count()) === 1000 &&
        !(await page.textContent('#logs')).includes('the newest line'), await count());
      await page.click('#more-logs');
      await page.waitForSelector('#more-logs', { state: 'detached' });
      const lines = await page.$eval('#logs', p => p.textContent.split('\n'));
      check('then the rest, in their order', lines.length === 1051 && lines[1049].endsWith('line 1050') &&
        lines[1050].endsWith('the newest line'), lines.length + ': ' + lines.slice(-2).join(' / '));
      /* Cancel: asked on the page, heard by the agent, the item kept. */
      page.accepting = 1;	/* the prompt for a reason */
      await page.click('#cancel-job');
      await page.waitForFunction(() => document.querySelector('#toast').textContent.includes('取り消しを依頼'));
      const hb = await agent('POST', '/api/jobs/' + lease.job_id + '/heartbeat', { lease_token: lt });
      check('the agent hears of the cancel', hb.body && hb.body.cancel === true, JSON.stringify(hb.body));
      const res = await agent('POST', '/api/jobs/' + lease.job_id + '/result', { lease_token: lt,
        summary: { status: 'failed', error: 'stopped', items: { succeeded: 1, failed: 0 } } });
      check('its result is taken', res.status === 200, JSON.stringify(res.body));
      await page.waitForFunction(() => document.querySelector('#job-state').textContent === '取り消し', null, { timeout: 10000 });
      check('the page says cancelled, live', true);
      const items = await page.$$eval('#items-table tbody tr', trs => trs.map(tr => tr.textContent));
      check('the item done so far is kept', items.length === 1 && items[0].includes('完了'), items.join(' | '));
      const run = await page.evaluate(id => fetch('/api/runs/' + id).then(r => r.json()), lease.run_id);
      check('and counted', run.items.succeeded === 1, JSON.stringify(run).slice(0, 200));
      await shot(page, 'run-cancelled');
      check('no script errors', page.errors.length === 0, page.errors.join('; '));
    } finally {
      await context.close();
    }
  }],

  ['"my runs" is the person\'s own, following live', async () => {
    const { context, page } = await browserFor('mine');
    try {
      await login(page, 'op');
      const queue = (pg) => pg.evaluate(() => fetch('/api/session').then(r => r.json()).then(s =>
        fetch('/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token },
          body: JSON.stringify({ script: 'live_bot' }) }).then(r => r.json())));
      const cancel = (pg, id) => pg.evaluate(i => fetch('/api/session').then(r => r.json()).then(s =>
        fetch('/api/jobs/' + i + '/cancel', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: '{}' })
          .then(r => r.status)), id);
      const first = await queue(page);
      await open(page, '#/bots', '#my-runs #job-' + first.job_id);
      const rows = await page.$$eval('#my-runs tbody tr[id^="job-"]', trs => trs.map(tr => tr.textContent));
      check('only the jobs this person queued, not the 10,000 of the schedule', rows.length > 0 &&
        rows.every(r => r.includes('live_bot')), rows.join(' | '));
      /* Queued from another tab: the list shows it without reloading. */
      const tab = await context.newPage();
      await tab.goto(URL + '/#/bots');
      const job = await queue(tab);
      await page.waitForSelector('#my-runs #job-' + job.job_id, { timeout: 10000 });
      check('a job queued elsewhere appears live', true);
      check('both cancelled', (await cancel(tab, first.job_id)) === 200 && (await cancel(tab, job.job_id)) === 200);
      await page.waitForFunction(id => document.querySelector('#my-runs #job-' + id).textContent.includes('取り消し'), job.job_id, { timeout: 10000 });
      check('and its cancel shows too', true);
      await tab.close();
    } finally {
      await context.close();
    }
  }],

  ['the controls: retry, run again, many at once, exception minutes', async () => {
    const { context, page } = await browserFor('controls');
    try {
      await login(page, 'kei');
      /* The newest failed run of 会計課: retry it, then run it again. */
      await open(page, '#/runs?status=failed&department=zaisei-keiri-kaikei&script=kaikei_bot', '#runs-table');
      const id = (await runIds(page))[0];
      await open(page, '#/run/' + id, '#run-controls');
      await page.click('#retry-job');
      await page.waitForFunction(() => /#\d+/.test(document.querySelector('#toast').textContent));
      check('retry queues a new job', /再実行を受け付けました/.test(await page.textContent('#toast')), await page.textContent('#toast'));
      await page.click('#rerun-job');
      await page.waitForSelector('#run-dialog[open]');
      check('run again offers the job\'s params', (await page.inputValue('#param-who')) === 'seed');
      await page.fill('#param-who', '経理部');
      await page.click('#run-submit');
      await page.waitForSelector('#run-dialog', { state: 'detached' });
      const jobs = await page.evaluate(() => fetch('/api/jobs?limit=2&script=kaikei_bot').then(r => r.json()));
      check('with the edited param', jobs.jobs[0].params.who === '経理部' && jobs.jobs[0].retry_of !== null, JSON.stringify(jobs.jobs[0]).slice(0, 200));
      /* The two new jobs wait for an agent: cancel both at once. */
      await open(page, '#/jobs?state=queued', '#jobs-table');
      const picks = await page.$$('#jobs-table input.pick');
      check('two jobs are waiting', picks.length === 2, picks.length);
      for (const p of picks) await p.check();
      page.accepting = 1;	/* the confirm */
      await page.click('#bulk-cancel');
      await page.waitForFunction(() => document.querySelector('#toast').textContent.includes('2件'));
      const left = await page.evaluate(() => fetch('/api/jobs?state=queued').then(r => r.json()));
      check('both cancelled', left.jobs.length === 0, left.jobs.length);
      await shot(page, 'jobs-bulk');
      /* Exception minutes: the run's department's engineer, on a run
       * that ended through an agent (the seeded ones have no KPI entry);
       * after the cancel, so that the agent leases this one. */
      const ended = await agentLease(page);
      await agentFinish(ended);
      await open(page, '#/run/' + ended.run_id, '#fix-minutes');
      await page.fill('#fix-minutes', '25');
      await page.click('#fix-save');
      await page.waitForFunction(() => document.querySelector('#toast').textContent.includes('例外対応'));
      check('exception minutes recorded', true);
      check('no script errors', page.errors.length === 0, page.errors.join('; '));
    } finally {
      await context.close();
    }
  }],

  ['the controls: schedules, scripts, settings', async () => {
    const { context, page } = await browserFor('engineer');
    try {
      await login(page, 'kei');
      await open(page, '#/schedules', '#schedule-form');
      await page.fill('#s-name', 'kaikei-daily');
      await page.fill('#s-cron', '30 8 * * *');
      await page.waitForFunction(() => document.querySelectorAll('#s-next li').length === 5 &&
        document.querySelector('#s-next li').textContent.includes('08:30:00 JST'));
      check('the next five fire times show as the cron is typed', true);
      await page.fill('#s-cron', '61 8 * * *');
      await page.waitForFunction(() => document.querySelector('#s-next li.error'));
      check('and a wrong field is named', /minute/.test(await page.textContent('#s-next')), await page.textContent('#s-next'));
      await page.fill('#s-cron', '30 8 * * 1-5');
      await page.click('#s-save');
      await page.waitForSelector('#schedule-kaikei-daily');
      await page.click('#schedule-kaikei-daily button[data-action="pause"]');
      await page.waitForSelector('#schedule-kaikei-daily button[data-action="resume"]');
      check('paused', (await page.textContent('#schedule-kaikei-daily')).includes('停止中'));
      await page.click('#schedule-kaikei-daily button[data-action="resume"]');
      await page.waitForSelector('#schedule-kaikei-daily button[data-action="pause"]');
      await page.click('#schedule-kaikei-daily button[data-action="run"]');
      await page.waitForFunction(() => /#\d+/.test(document.querySelector('#toast').textContent));
      check('run now', true);
      /* Edited: another time, pinned to the version of today. */
      await page.click('#schedule-kaikei-daily button[data-action="edit"]');
      await page.waitForFunction(() => document.querySelector('#s-name').value === 'kaikei-daily' &&
        document.querySelectorAll('#s-digest option').length === 2);
      await page.fill('#s-cron', '0 9 * * 1-5');
      const digest = await page.$eval('#s-digest option:nth-child(2)', o => o.value);
      await page.selectOption('#s-digest', digest);
      await page.click('#s-save');
      await page.waitForFunction(d => ((document.querySelector('#schedule-kaikei-daily') || {}).textContent || '').includes('0 9 * * 1-5') &&
        document.querySelector('#schedule-kaikei-daily').textContent.includes('@' + d.slice(0, 8)), digest);
      check('edited and pinned', (await page.$$('#schedules-table tbody tr[id^="schedule-"]')).length === 1);
      await shot(page, 'schedules');
      page.accepting = 1;	/* the confirm */
      await page.click('#schedule-kaikei-daily button[data-action="delete"]');
      await page.waitForSelector('#schedule-kaikei-daily', { state: 'detached' });
      const left = await page.evaluate(() => fetch('/api/schedules').then(r => r.json()));
      check('deleted', !left.schedules.some(x => x.name === 'kaikei-daily'), JSON.stringify(left).slice(0, 200));
      /* Scripts: a bad upload, a good one, the diff, back again. */
      await open(page, '#/scripts', '#upload-form');
      await page.fill('#up-text', 'name: kaikei_bot\nowner: 会計課\nsteps:\n  - lgo: x\n');
      await page.click('#up-submit');
      await page.waitForSelector('#up-errors li.script-error');
      check('the errors say file:line:col', /upload\.yaml:4:\d+: /.test(await page.textContent('#up-errors')), await page.textContent('#up-errors'));
      await page.fill('#up-text', 'name: kaikei_bot\ntitle: 支払データの確認\nowner: 財政局/経理部/会計課\nparams:\n  who: { type: string, default: 会計課, title: 担当 }\nsteps:\n  - log: "check twice ${params.who}"\n');
      await page.click('#up-submit');
      await page.waitForFunction(() => document.querySelector('#toast').textContent.includes('登録しました'));
      await page.click('button[data-script="kaikei_bot"]');
      await page.waitForSelector('#versions-table');
      const vers = await page.$$('#versions-table tbody tr');
      check('two versions', vers.length === 2, vers.length);
      await page.click('#versions-table tbody tr:first-child button[data-action="diff"]');
      await page.waitForSelector('#diff');
      const diff = await page.textContent('#diff');
      check('the diff shows the line that changed', diff.includes('-  - log: "check ${params.who}"') && diff.includes('+  - log: "check twice ${params.who}"'), diff);
      await shot(page, 'script-diff');
      await page.click('#versions-table tbody tr:last-child button[data-action="rollback"]');
      await page.waitForFunction(() => document.querySelector('#toast').textContent.includes('戻しました'));
      const cur = await page.evaluate(() => fetch('/api/scripts/kaikei_bot').then(r => r.json()));
      check('rolled back', cur.text.includes('check ${params.who}'));
      /* Settings: written, listed, never shown. */
      await open(page, '#/settings', '#assets-form');
      await page.fill('#assets-name', 'kaikei_folder');
      await page.fill('#assets-value', '\\\\fs01\\kaikei');
      await page.selectOption('#assets-department', 'zaisei-keiri-kaikei');
      await page.click('#assets-save');
      await page.waitForFunction(() => ((document.querySelector('#assets-table') || {}).textContent || '').includes('kaikei_folder'));
      await page.fill('#secrets-name', 'kaikei_pw');
      await page.fill('#secrets-value', 'very-secret-value');
      await page.selectOption('#secrets-department', 'zaisei-keiri-kaikei');
      await page.click('#secrets-save');
      await page.waitForFunction(() => ((document.querySelector('#secrets-table') || {}).textContent || '').includes('kaikei_pw'));
      const html = await page.content();
      check('the values are never on the page', !html.includes('very-secret-value') && !html.includes('fs01'));
      await shot(page, 'settings');
      check('no script errors', page.errors.length === 0, page.errors.join('; '));
    } finally {
      await context.close();
    }
  }],

  ['every control is reached with the keyboard, and axe finds nothing', async () => {
    const { context, page } = await browserFor('a11y');
    try {
      await page.goto(URL + '/#/login');
      await page.waitForSelector('#login-user');
      check('no logout button when logged out', !(await page.isVisible('#logout')));
      let v = await axe(page);
      check('axe: the login page', v.length === 0, v.join('; '));
      await login(page, 'kanri');
      const runId = (await page.evaluate(() => fetch('/api/runs?limit=1').then(r => r.json()))).runs[0].id;
      const pages = [['#/kpi', '#kpi-table'], ['#/report', '#kpi-table'], ['#/bots', '#bots'],
        ['#/runs', '#runs-table'], ['#/run/' + runId, '#logs'], ['#/jobs', '#jobs-table'],
        ['#/agents', '#agents-table'], ['#/schedules', '#schedules-table'], ['#/scripts', '#scripts-table'],
        ['#/settings', '#secrets-table'], ['#/users', '#users-table'], ['#/tokens', '#tokens-table'],
        ['#/kpiconf', '#surveys-table'], ['#/audit', '#audit-table'], ['#/review', '#review-departments'],
        ['#/notices', '#notice-deliveries']];
      for (const [hash, sel] of pages) {
        await open(page, hash, sel);
        v = await axe(page);
        check('axe: ' + hash, v.length === 0, v.join('; '));
        const missed = await unreachable(page);
        check('the keyboard reaches every control of ' + hash, missed.length === 0, missed.join(' | '));
      }
      /* The run dialog, opened from the keyboard. */
      await open(page, '#/bots', 'button.run-now[data-script="kaikei_bot"]');
      await page.focus('button.run-now[data-script="kaikei_bot"]');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#run-dialog[open]');
      check('the run dialog takes the focus', await page.evaluate(() => document.activeElement.closest('#run-dialog') !== null));
      v = await axe(page);
      check('axe: the run dialog', v.length === 0, v.join('; '));
      await page.keyboard.press('Escape');
      await page.waitForSelector('#run-dialog', { state: 'detached' });
    } finally {
      await context.close();
    }
  }],

  ['the KPI page on a phone, the report on A4', async () => {
    const { context, page } = await browserFor('phone', { width: 390, height: 844 });
    try {
      await login(page, 'kanri');
      await open(page, '#/kpi', '#kpi-table');
      const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      const wide = await page.$$eval('body *', els => els.filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 &&
        !e.closest('.scroll')).slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)));
      check('the KPI page fits a 390 px phone', over <= 1, over + ' px too wide: ' + wide.join(', '));
      await shot(page, 'kpi-phone');
      /* A4 portrait: 210 mm less 2 x 12 mm margins = 703 px at 96 dpi. */
      await page.setViewportSize({ width: 703, height: 1000 });
      await open(page, '#/report', '#months-chart');
      await page.emulateMedia({ media: 'print' });
      const box = await page.evaluate(() => {
        const card = document.querySelector('#months-chart').closest('.card');
        const r = card.getBoundingClientRect();
        return { w: document.documentElement.scrollWidth, h: r.height, brk: getComputedStyle(card).breakInside,
          canvas: document.querySelector('#months-chart').getBoundingClientRect().width };
      });
      check('the report is no wider than the page', box.w <= 703 && box.canvas <= 703, JSON.stringify(box));
      /* 297 mm less the margins: 1032 px; the chart's card is kept whole. */
      check('the chart fits one page and is not cut', box.h < 1032 && box.brk === 'avoid', JSON.stringify(box));
      const pdf = await page.pdf({ format: 'A4', printBackground: true, path: path.join(OUT, 'report.pdf') });
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
      const box2 = (pdf.toString('latin1').match(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/) || []).slice(1).map(Number);
      /* A4 is 595.3 x 841.9 points. */
      check('the PDF is A4 portrait (' + pages + ' pages)', Math.abs(box2[0] - 595.3) < 1 && Math.abs(box2[1] - 841.9) < 1, box2.join(' x '));
    } finally {
      await context.close();
    }
  }],

  ['an admin\'s one-time passwords, from the users page to the login', async () => {
    const { context, page } = await browserFor('totp');
    try {
      await login(page, 'kanri2');
      await open(page, '#/users', '#totp-begin');
      await page.click('#totp-begin');
      await page.waitForSelector('#totp-secret');
      const secret = (await page.textContent('#totp-secret')).trim();
      check('the key is shown, with its otpauth address', /^[A-Z2-7]{16,}$/.test(secret) &&
        (await page.textContent('#totp-uri')).startsWith('otpauth://totp/'), secret);
      await page.fill('#totp-code', totpCode(secret, 0));
      await page.click('#totp-confirm');
      await page.waitForSelector('#totp-card:not(:has(#totp-begin))');
      check('turned on, and the key gone from the page', !(await page.content()).includes(secret));
      await page.click('#logout');
      await page.waitForSelector('#login-user');
      await page.fill('#login-user', 'kanri2');
      await page.fill('#login-password', env.PASSWORD);
      await page.click('#login-submit');
      await page.waitForSelector('#login-otp', { state: 'visible' });
      check('the password alone asks for the code', (await page.textContent('#login-error')).includes('6桁'),
        await page.textContent('#login-error'));
      await page.fill('#login-otp', '000000');
      await page.click('#login-submit');
      await page.waitForFunction(() => document.querySelector('#login-error').textContent.includes('ログインできません'));
      check('a wrong code is refused', !(await page.isVisible('#logout')), await page.textContent('#login-error'));
      await page.fill('#login-otp', totpCode(secret, 1));
      await page.click('#login-submit');
      await page.waitForSelector('#logout:not([hidden])');
      check('the code of the app lets the admin in', true);
      /* Taken away (a lost phone): the password alone again. */
      await open(page, '#/users', 'button.totp-remove[data-user="kanri2"]');
      await page.click('button.totp-remove[data-user="kanri2"]');
      await page.waitForSelector('button.totp-remove[data-user="kanri2"]', { state: 'detached' });
      const users = await page.evaluate(() => fetch('/api/users').then(r => r.json()));
      check('taken away', users.users.find(u => u.name === 'kanri2').totp === false, JSON.stringify(users.users.find(u => u.name === 'kanri2')));
      await shot(page, 'users-totp');
      check('no script errors', page.errors.length === 0, page.errors.join('; '));
    } finally {
      await context.close();
    }
  }],

  ['logging in by the directory, over HTTPS', async () => {
    const { context, page } = await browserFor('directory', null, { ignoreHTTPSErrors: true });
    try {
      await login(page, 'dsato', 'directory-pw-of-sato', process.env.HTTPS_URL);
      check('the page came over HTTPS', page.url().startsWith('https://'), page.url());
      check('a directory login of 会計課\'s operator lands on the bots', page.url().endsWith('#/bots'), page.url());
      const cookie = (await context.cookies()).find(c => c.name === 'kobito_session');
      check('the session cookie is Secure and HttpOnly', cookie && cookie.secure && cookie.httpOnly, JSON.stringify(cookie));
      const who = await page.textContent('#who');
      check('the directory\'s role shows', who.includes('dsato') && who.includes('operator'), who);
      await shot(page, 'directory-login');
    } finally {
      await context.close();
    }
  }]
];

runScenarios('console.test.js', scenarios);
