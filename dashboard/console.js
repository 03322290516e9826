/*
 * console.js - the dashboard's operations console: the lists people page
 * through (runs, jobs, the audit log) with their filters and exports, a
 * run's page that follows it live, and the controls (cancel, retry, run
 * again, many at once; schedules, scripts, settings, users' roles).
 * Loaded before app.js, whose helpers (el, api, t, table, when...) these
 * views use when they run; its words are in WORDS_CONSOLE.
 *
 * Live pages do not poll: live() holds a GET /api/watch open, which the
 * scheduler answers when something was committed; the page then reads
 * again what it shows (a run's page only what is new in it).
 */
'use strict';

const WORDS_CONSOLE = {
  ja: {
    actions: '操作', nav_jobs: 'ジョブ', nav_settings: '設定値', since: '開始日', until: '終了日',
    text_search: 'エラーの語句', newest: '最新へ', older: '次のページ',
    page_of: '{n}件を表示', export_csv: 'CSV出力', export_xlsx: 'Excel出力',
    mine: '自分の実行のみ', select_all: 'このページをすべて選択', select: '選択',
    cancel_selected: '選択したジョブを取り消す', retry_selected: '選択したジョブを再実行',
    cancel_matching: '条件に合うジョブをすべて取り消す', retry_matching: '条件に合うジョブをすべて再実行',
    confirm_bulk: '{n}件に「{a}」を行います。よろしいですか?',
    bulk_done: '{ok}件を処理しました({ng}件はできませんでした)',
    cancel_job: 'ジョブを取り消す', retry_job: '再実行(同じ版)', rerun_job: 'もう一度実行(最新版)',
    cancel_reason: '取り消しの理由', cancel_requested: '取り消しを依頼しました',
    retried: '再実行を受け付けました', fix_minutes: '例外対応の時間(分)', fix_saved: '例外対応の時間を記録しました',
    more_logs: '続きのログを表示', live: 'ライブ更新中', live_off: '更新待ち',
    state_live: '処理中', state_final: '終了', state_any: 'すべて',
    new_schedule: 'スケジュールの作成・変更', calendar: '休日', closures: '休止日(カンマ区切り)',
    next_times: '次の実行予定', pause: '一時停止', resume: '再開', run_now_s: '今すぐ実行',
    delete: '削除', edit: '編集', paused: '停止中', pinned: '固定した版', current_version: '最新版',
    confirm_delete: '「{n}」を削除します。よろしいですか?', params_json: 'パラメーター(JSON)',
    upload: 'スクリプトのアップロード', upload_file: 'ファイル', upload_text: 'または本文',
    upload_ok: '版 {d} を登録しました', upload_errors: 'スクリプトに誤りがあります',
    diff: '前の版との差分', rollback: 'この版に戻す', rolled_back: '版 {d} に戻しました',
    shared: '他部署と共有', share: '共有する', unshare: '共有をやめる',
    secrets: '秘密情報', assets: '設定値', value: '値', allow: '送信先', set_value: '値の登録',
    value_hidden: '値は表示されません(上書きのみ)', length: '長さ', updated_by: '更新者',
    whole_org: '全庁', roles: '部署ごとの役割', global_roles: '全体の役割', add_row: '行を追加',
    save_roles: '役割を保存', manager: '管理職(KPIの閲覧)', admin_role: '管理者',
    remove: '外す', actor_filter: '操作者', zone_note: '時刻は{z}', run_for: '実行する部署',
    departments_shown: '表示している部署: {d}',
    otp: 'ワンタイムパスワード(6桁)', otp_needed: '認証アプリに表示されている6桁のコードを入力してください',
    totp_title: 'あなたのワンタイムパスワード', totp_begin: '設定を始める', totp_key: '認証アプリに登録する鍵',
    totp_confirm: '有効にする', totp_on: 'ワンタイムパスワードを有効にしました', totp_remove: 'ワンタイムパスワードを外す',
    totp: '2要素'
  },
  en: {
    actions: 'Actions', nav_jobs: 'Jobs', nav_settings: 'Settings', since: 'From', until: 'Until',
    text_search: 'Text in the error', newest: 'Newest', older: 'Older',
    page_of: '{n} shown', export_csv: 'CSV', export_xlsx: 'Excel',
    mine: 'Only my runs', select_all: 'Select this page', select: 'Select',
    cancel_selected: 'Cancel selected jobs', retry_selected: 'Retry selected jobs',
    cancel_matching: 'Cancel every matching job', retry_matching: 'Retry every matching job',
    confirm_bulk: '{a}: {n} jobs. Go ahead?',
    bulk_done: '{ok} done ({ng} could not be)',
    cancel_job: 'Cancel the job', retry_job: 'Retry (same version)', rerun_job: 'Run again (latest version)',
    cancel_reason: 'Why cancel', cancel_requested: 'Cancel requested',
    retried: 'Queued again', fix_minutes: 'Minutes spent on exceptions', fix_saved: 'Exception minutes recorded',
    more_logs: 'More log lines', live: 'Live', live_off: 'Waiting',
    state_live: 'In progress', state_final: 'Ended', state_any: 'All',
    new_schedule: 'Create or change a schedule', calendar: 'Calendar', closures: 'Closure days (comma-separated)',
    next_times: 'Next fire times', pause: 'Pause', resume: 'Resume', run_now_s: 'Run now',
    delete: 'Delete', edit: 'Edit', paused: 'paused', pinned: 'Pinned version', current_version: 'latest',
    confirm_delete: 'Delete "{n}"?', params_json: 'Params (JSON)',
    upload: 'Upload a script', upload_file: 'File', upload_text: 'or its text',
    upload_ok: 'Version {d} stored', upload_errors: 'The script has errors',
    diff: 'Changes from the version before', rollback: 'Go back to this version', rolled_back: 'Back to version {d}',
    shared: 'Shared with other departments', share: 'Share', unshare: 'Stop sharing',
    secrets: 'Secrets', assets: 'Settings', value: 'Value', allow: 'May be sent to', set_value: 'Set a value',
    value_hidden: 'Values are never shown (write only)', length: 'Length', updated_by: 'By',
    whole_org: 'Whole organisation', roles: 'Roles by department', global_roles: 'Global roles', add_row: 'Add a row',
    save_roles: 'Save the roles', manager: 'Manager (every KPI)', admin_role: 'Admin',
    remove: 'Remove', actor_filter: 'Who', zone_note: 'Times are {z}', run_for: 'Run for',
    departments_shown: 'Departments shown: {d}',
    otp: 'One-time code (6 digits)', otp_needed: 'Enter the 6-digit code your authenticator app shows',
    totp_title: 'Your one-time passwords', totp_begin: 'Set up', totp_key: 'The key for your authenticator app',
    totp_confirm: 'Turn on', totp_on: 'One-time passwords are on', totp_remove: 'Take away one-time passwords',
    totp: '2FA'
  }
};

const JOB_STATES = ['queued', 'leased', 'running', 'retrying', 'succeeded', 'failed', 'cancelled', 'timed_out'];
const LIVE_STATES = 'queued,leased,running,retrying';

/* --- following what happens --------------------------------------------------- */

/*
 * Call onchange() whenever the scheduler says something changed, for as
 * long as the view r is the current one.  One request is open at a time;
 * an error waits a little and tries again.
 */
function live(r, onchange, badge) {
  const ctl = new AbortController();
  state.aborts.push(ctl);
  (async () => {
    let change = null;
    while (r.current() && !ctl.signal.aborted) {
      try {
        const q = change === null ? '' : '?change=' + change + '&wait_ms=25000';
        const res = await api('GET', '/api/watch' + q, undefined, undefined, ctl.signal);
        if (badge) { badge.textContent = t('live'); badge.className = 'live on'; }
        /* The first answer is the count to wait from; what changed
         * between the view's drawing and it is fetched then. */
        if (res.change !== change && r.current()) await onchange();
        change = res.change;
      } catch (e) {
        if (ctl.signal.aborted || !r.current()) return;
        if (badge) { badge.textContent = t('live_off'); badge.className = 'live off'; }
        await new Promise(ok => setTimeout(ok, 2000));
      }
    }
  })();
}

/*
 * draw(data), but only when data differs from what was drawn last: a
 * change elsewhere redraws nothing here, so focus and scroll stay put.
 */
function drawOnChange(draw) {
  let last = null;
  const show = data => {
    const now = JSON.stringify(data);
    if (now === last) return;
    last = now;
    draw(data);
  };
  show.forget = () => { last = null; };	/* something else was drawn there */
  return show;
}

function liveBadge() {
  return el('span', { class: 'live off', attrs: { role: 'status' }, text: t('live_off') });
}

/* --- filters, pages, exports -------------------------------------------------- */

let kpiConfCache = null;
async function kpiConf() {
  if (!kpiConfCache) kpiConfCache = await api('GET', '/api/kpi/config');
  return kpiConfCache;
}

function deptName(conf, code) {
  if (!code) return t('whole_org');
  const d = (conf.departments || []).find(x => x.code === code);
  return d ? (state.lang === 'en' && d.name_en ? d.name_en : d.path) : code;
}

function deptSelect(conf, id, value, withAll) {
  const opts = withAll ? [el('option', { value: '', text: t('all') })] : [el('option', { value: '', text: t('whole_org') })];
  for (const d of conf.departments || [])
    opts.push(el('option', { value: d.code, text: '　'.repeat(d.level) + d.name, selected: d.code === value }));
  return el('select', { id }, opts);
}

/* A labelled field for a toolbar. */
function field(label, input) {
  return el('label', null, el('span', { text: label }), input);
}

/*
 * The filter form of a list: inputs named after the query's keys; apply()
 * puts them in the location hash (the page's state, so back works).
 */
function filterBar(base, params, inputs) {
  const apply = ev => {
    if (ev) ev.preventDefault();
    const q = new URLSearchParams();
    for (const [k, input] of Object.entries(inputs)) {
      const v = input.type === 'checkbox' ? (input.checked ? '1' : '') : input.value;
      if (v) q.set(k, v);
    }
    location.hash = '#/' + base + (q.toString() ? '?' + q.toString() : '');
  };
  for (const [k, input] of Object.entries(inputs)) {
    if (input.type === 'checkbox') input.checked = params.get(k) === '1';
    else if (params.get(k) !== null) input.value = params.get(k);
  }
  return el('form', { class: 'toolbar filters', attrs: { role: 'search' }, on: { submit: apply } },
    Object.values(inputs).map(i => i.__label || i),
    el('button', { type: 'submit', id: 'f-apply', text: t('apply') }));
}

/* The query of the list from the page's params (without the cursor). */
function listQuery(params, keys) {
  const q = new URLSearchParams();
  for (const k of keys) if (params.get(k)) q.set(k, params.get(k));
  return q;
}

/* Newest and older buttons, a count, and the file links of the filter. */
function pager(base, params, page, key, api_path, keys) {
  const q = listQuery(params, keys);
  const bar = el('div', { class: 'toolbar pager' },
    el('span', { class: 'muted', id: 'page-count', text: t('page_of', { n: page[key].length }) }));
  if (params.get('before'))
    bar.appendChild(el('a', { class: 'button secondary', id: 'page-newest', href: '#/' + base + (q.toString() ? '?' + q.toString() : ''), text: t('newest') }));
  if (page.next_before) {
    const older = new URLSearchParams(q);
    older.set('before', page.next_before);
    bar.appendChild(el('a', { class: 'button secondary', id: 'page-older', href: '#/' + base + '?' + older.toString(), text: t('older') }));
  }
  if (api_path) {
    const f = new URLSearchParams(q);
    if (state.lang === 'en') f.set('lang', 'en');
    f.set('format', 'csv');
    bar.appendChild(el('a', { class: 'button secondary', id: 'export-csv', href: api_path + '?' + f.toString(), text: t('export_csv') }));
    f.set('format', 'xlsx');
    bar.appendChild(el('a', { class: 'button secondary', id: 'export-xlsx', href: api_path + '?' + f.toString(), text: t('export_xlsx') }));
  }
  return bar;
}

function statusSpan(s, id) {
  return el('span', { class: 'status ' + s, id: id || null, text: t('st_' + s) });
}

/* --- runs ------------------------------------------------------------------------ */

const RUN_KEYS = ['since', 'until', 'status', 'script', 'agent', 'department', 'q', 'mine'];

async function viewRuns(main, r) {
  const conf = await kpiConf();
  const q = listQuery(r.params, RUN_KEYS.concat(['before']));
  q.set('limit', '100');
  const [runs, agents] = await Promise.all([api('GET', '/api/runs?' + q.toString()),
    api('GET', '/api/agents').catch(() => ({ agents: [] }))]);
  if (!take(main, r)) return;
  const badge = liveBadge();
  main.appendChild(el('h1', null, t('nav_runs') + ' ', badge));
  const inputs = {
    since: el('input', { type: 'date', id: 'f-since' }),
    until: el('input', { type: 'date', id: 'f-until' }),
    status: el('select', { id: 'f-status' }, el('option', { value: '', text: t('all') }),
      RUN_STATUSES.map(s => el('option', { value: s, text: t('st_' + s) }))),
    script: el('input', { id: 'f-script', attrs: { 'aria-label': t('script') } }),
    agent: el('select', { id: 'f-agent' }, el('option', { value: '', text: t('all') }),
      agents.agents.map(a => el('option', { value: a.name, text: a.name }))),
    department: deptSelect(conf, 'f-department', '', true),
    q: el('input', { type: 'search', id: 'f-q' }),
    mine: el('input', { type: 'checkbox', id: 'f-mine' })
  };
  const labels = { since: t('since'), until: t('until'), status: t('status'), script: t('script'),
    agent: t('agent'), department: t('department'), q: t('text_search'), mine: t('mine') };
  for (const [k, i] of Object.entries(inputs)) i.__label = field(labels[k], i);
  main.appendChild(filterBar('runs', r.params, inputs));
  main.appendChild(el('p', { class: 'muted', text: t('zone_note', { z: 'JST' }) }));
  const box = el('div');
  main.appendChild(box);
  const draw = page => {
    clear(box);
    box.appendChild(pager('runs', r.params, page, 'runs', '/api/runs', RUN_KEYS));
    box.appendChild(table([
      { label: '#', num: true, cell: x => el('a', { href: '#/run/' + x.id, text: '#' + x.id }) },
      { label: t('script'), cell: x => x.script },
      { label: t('department'), cell: x => deptName(conf, x.department) },
      { label: t('status'), cell: x => statusSpan(x.status) },
      { label: t('started'), cell: x => when(x.started_at) },
      { label: t('duration'), num: true, cell: x => x.duration_ms === null ? '–' : fmt(x.duration_ms / 1000, 1) + ' s' },
      { label: t('items'), num: true, cell: x => x.items ? x.items.succeeded + ' / ' + (x.items.succeeded + x.items.failed) + (x.items.skipped ? ' (+' + x.items.skipped + ' skip)' : '') : '' },
      { label: t('agent'), cell: x => x.agent || '' },
      { label: t('error'), cell: x => x.error || '' }
    ], page.runs, { id: 'runs-table', rowId: x => 'run-' + x.id }));
  };
  const show = drawOnChange(draw);
  show(runs);
  /* The newest page follows what happens; an older one stays still. */
  if (!r.params.get('before'))
    live(r, async () => show(await api('GET', '/api/runs?' + q.toString())), badge);
}

/* --- one run, live ------------------------------------------------------------- */

function logLine(l) {
  return (l.time ? when(l.time) + ' ' : '') + (l.level || '') + ' ' + (l.step ? '[' + l.step + '] ' : '') + (l.message || '');
}

async function viewRun(main, r) {
  const run = await api('GET', '/api/runs/' + encodeURIComponent(r.arg));
  const job = await api('GET', '/api/jobs/' + run.job_id);
  const conf = await kpiConf();
  if (!take(main, r)) return;
  const badge = liveBadge();
  let after = 0;
  for (const list of [run.steps || [], run.item_events || [], run.logs || []])
    for (const e of list) after = Math.max(after, e.seq || 0);
  main.appendChild(el('h1', null, '#' + run.id + ' ' + run.script + ' ', badge));
  const status = statusSpan(run.status, 'run-status');
  const jobState = statusSpan(job.state, 'job-state');
  main.appendChild(el('p', null, status, ' · ', t('job') + ' #' + run.job_id + ' ', jobState,
    ' · ' + t('attempt') + ' ' + run.attempt + ' · ' + (run.agent || '') + ' · ' + when(run.started_at) +
    ' · ' + t('department') + ': ' + deptName(conf, run.department)));
  const errBox = el('p', { class: 'error', id: 'run-error', text: run.error || '' });
  main.appendChild(errBox);
  main.appendChild(runControls(run, job, r));

  /* Steps: the timeline of ended steps, redrawn as steps end. */
  const steps = (run.steps || []).slice();
  const timeline = el('ol', { class: 'timeline', id: 'timeline' });
  const drawSteps = () => {
    const ends = steps.filter(s => s.type === 'step_end');
    const longest = Math.max(1, ...ends.map(s => s.duration_ms || 0));
    clear(timeline);
    for (const s of ends) {
      const span = el('div', { class: 'span ' + (s.status === 'failed' ? 'failed' : '') });
      span.style.width = Math.max(0.5, 100 * (s.duration_ms || 0) / longest) + '%';
      const label = (s.step || '') + (s.action && s.action !== s.step ? ' (' + s.action + ')' : '');
      timeline.appendChild(el('li', null, el('span', { text: label }), el('div', null, span),
        el('span', { class: 'num', text: fmt((s.duration_ms || 0) / 1000, 2) + ' s' })));
    }
  };
  drawSteps();
  main.appendChild(el('div', { class: 'card' }, el('h2', { text: t('steps') }), timeline));

  const items = (run.item_events || []).slice();
  const failures = (run.summary && run.summary.items && run.summary.items.failures) || [];
  const itemsBox = el('div');
  const drawItems = () => clear(itemsBox).appendChild(table([
    { label: '#', num: true, cell: x => x.index },
    { label: t('status'), cell: x => statusSpan(x.status) },
    { label: t('duration'), num: true, cell: x => x.duration_ms === undefined ? '' : fmt(x.duration_ms / 1000, 2) + ' s' },
    { label: t('error'), cell: x => x.error || x.reason || ((failures.find(f => f.index === x.index) || {}).error) || '' }
  ], items, { id: 'items-table' }));
  drawItems();
  main.appendChild(el('div', { class: 'card' }, el('h2', { text: t('item_list') }), itemsBox));

  /* Logs: the first 1,000 lines, the rest by their cursor. */
  const logs = el('pre', { class: 'logs', id: 'logs', attrs: { tabindex: '0', role: 'log', 'aria-label': t('logs') } });
  logs.textContent = (run.logs || []).map(logLine).join('\n');
  const logCard = el('div', { class: 'card' }, el('h2', { text: t('logs') }), logs);
  let lastLog = (run.logs || []).length ? run.logs[run.logs.length - 1].seq : 0;
  let more = null;	/* while there, older lines wait behind it */
  if ((run.logs || []).length >= 1000) {
    more = el('button', { type: 'button', class: 'secondary', id: 'more-logs', text: t('more_logs'), on: { click: async () => {
      const page = await api('GET', '/api/runs/' + run.id + '/logs?after=' + lastLog + '&limit=1000');
      if (page.logs.length) logs.textContent += '\n' + page.logs.map(logLine).join('\n');
      lastLog = page.next_after;
      if (page.logs.length < 1000) { more.remove(); more = null; }
    } } });
    logCard.appendChild(more);
  }
  main.appendChild(logCard);

  const arts = run.artifacts || [];
  main.appendChild(el('div', { class: 'card shots' }, el('h2', { text: t('screenshots') }),
    arts.length === 0 ? el('p', { class: 'muted', text: t('none') }) : null,
    arts.map(a => /^image\//.test(a.content_type || '') ?
      el('figure', null, el('img', { src: a.url, alt: a.name }), el('figcaption', { text: a.name })) :
      el('p', null, el('a', { href: a.url, text: a.name + ' (' + fmt(a.size, 0) + ' B)' })))));

  /* Live: what is new in the run, while it runs. */
  const final = s => s !== 'running';
  if (final(run.status) && ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(job.state)) return;
  live(r, async () => {
    const news = await api('GET', '/api/runs/' + run.id + '/events?after=' + after);
    after = news.next_after;
    const newLogs = [];
    for (const e of news.events) {
      if (e.type === 'log') newLogs.push(e);
      else if (e.type === 'step_start' || e.type === 'step_end') steps.push(e);
      else if (e.type === 'item_end') items.push(e);
    }
    /* Behind the unread lines of the button, new ones wait for it too. */
    if (newLogs.length && !more) {
      logs.textContent += (logs.textContent ? '\n' : '') + newLogs.map(logLine).join('\n');
      logs.scrollTop = logs.scrollHeight;
      lastLog = newLogs[newLogs.length - 1].seq;
    }
    if (news.events.some(e => e.type !== 'log')) {
      drawSteps();
      drawItems();
    }
    status.textContent = t('st_' + news.run.status);
    status.className = 'status ' + news.run.status;
    jobState.textContent = t('st_' + news.job.state);
    jobState.className = 'status ' + news.job.state;
    errBox.textContent = news.run.error || '';
  }, badge);
}

/* Cancel, retry, run again, and the exception minutes of a run. */
function runControls(run, job, r) {
  const bar = el('div', { class: 'toolbar', id: 'run-controls' });
  const ended = ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(job.state);
  if (!roleAtLeast('operator')) return bar;
  if (!ended)
    bar.appendChild(el('button', { type: 'button', id: 'cancel-job', class: 'secondary', text: t('cancel_job'), on: { click: async () => {
      const why = window.prompt(t('cancel_reason'), '');
      if (why === null) return;
      try {
        await api('POST', '/api/jobs/' + job.id + '/cancel', { reason: why || undefined });
        toast(t('cancel_requested'));
      } catch (e) { toast(e.message); }
    } } }));
  if (['failed', 'cancelled', 'timed_out'].includes(job.state))
    bar.appendChild(el('button', { type: 'button', id: 'retry-job', text: t('retry_job'), on: { click: async () => {
      try {
        const res = await api('POST', '/api/jobs/' + job.id + '/retry', {});
        toast(t('retried') + ' (#' + res.job_id + ')');
      } catch (e) { toast(e.message); }
    } } }));
  bar.appendChild(el('button', { type: 'button', id: 'rerun-job', class: 'secondary', text: t('rerun_job'), on: { click: async () => {
    try {
      const script = await api('GET', '/api/scripts/' + encodeURIComponent(job.script));
      const params = (script.params || []).map(p => Object.assign({}, p, { default: job.params[p.name] !== undefined ? job.params[p.name] : p.default }));
      runDialog(Object.assign({}, script, { params, title: t('rerun_job') + ': ' + (script.title || script.name) }),
        () => route(), body => api('POST', '/api/jobs/' + job.id + '/rerun', { params: body.params }));
    } catch (e) { toast(e.message); }
  } } }));
  if (roleAtLeast('engineer') && ended && run.status !== 'running') {
    const minutes = el('input', { type: 'number', id: 'fix-minutes', min: '0', step: 'any' });
    bar.appendChild(el('form', { class: 'toolbar', on: { submit: async ev => {
      ev.preventDefault();
      try {
        await api('PUT', '/api/kpi/runs/' + run.id + '/fix_minutes', { minutes: Number(minutes.value) });
        toast(t('fix_saved'));
      } catch (e) { toast(e.message); }
    } } }, field(t('fix_minutes'), minutes), el('button', { type: 'submit', id: 'fix-save', text: t('save') })));
  }
  return bar;
}

/* --- jobs, and acting on many ---------------------------------------------------- */

const JOB_KEYS = ['state', 'script', 'department', 'q', 'mine', 'since', 'until'];

async function viewJobs(main, r) {
  const conf = await kpiConf();
  const q = listQuery(r.params, JOB_KEYS.concat(['before']));
  q.set('limit', '100');
  const jobs = await api('GET', '/api/jobs?' + q.toString());
  if (!take(main, r)) return;
  const badge = liveBadge();
  main.appendChild(el('h1', null, t('nav_jobs') + ' ', badge));
  const inputs = {
    state: el('select', { id: 'f-state' }, el('option', { value: '', text: t('state_any') }),
      el('option', { value: LIVE_STATES, text: t('state_live') }),
      JOB_STATES.map(s => el('option', { value: s, text: t('st_' + s) }))),
    script: el('input', { id: 'f-script' }),
    department: deptSelect(conf, 'f-department', '', true),
    since: el('input', { type: 'date', id: 'f-since' }),
    until: el('input', { type: 'date', id: 'f-until' }),
    q: el('input', { type: 'search', id: 'f-q' }),
    mine: el('input', { type: 'checkbox', id: 'f-mine' })
  };
  const labels = { state: t('status'), script: t('script'), department: t('department'),
    since: t('since'), until: t('until'), q: t('text_search'), mine: t('mine') };
  for (const [k, i] of Object.entries(inputs)) i.__label = field(labels[k], i);
  main.appendChild(filterBar('jobs', r.params, inputs));
  const box = el('div');
  main.appendChild(box);
  const selected = new Set();
  const draw = page => {
    clear(box);
    box.appendChild(pager('jobs', r.params, page, 'jobs', '/api/jobs', JOB_KEYS));
    const all = el('input', { type: 'checkbox', id: 'select-all', attrs: { 'aria-label': t('select_all') }, on: { change: () => {
      for (const j of page.jobs) if (all.checked) selected.add(j.id); else selected.delete(j.id);
      for (const c of box.querySelectorAll('input.pick')) c.checked = all.checked;
    } } });
    box.appendChild(el('div', { class: 'toolbar' }, field(t('select_all'), all)));
    box.appendChild(table([
      { label: t('select'), cell: j => el('input', { type: 'checkbox', class: 'pick', checked: selected.has(j.id), attrs: { 'aria-label': t('select') + ' #' + j.id, 'data-job': j.id }, on: { change: ev => {
        if (ev.target.checked) selected.add(j.id); else selected.delete(j.id);
      } } }) },
      { label: '#', num: true, cell: j => j.run_id ? el('a', { href: '#/run/' + j.run_id, text: '#' + j.id }) : '#' + j.id },
      { label: t('script'), cell: j => j.script },
      { label: t('department'), cell: j => deptName(conf, j.department) },
      { label: t('status'), cell: j => statusSpan(j.state) },
      { label: t('priority'), num: true, cell: j => j.priority },
      { label: t('attempt'), num: true, cell: j => j.attempt + ' / ' + j.max_attempts },
      { label: t('agent'), cell: j => j.agent || '' },
      { label: t('when'), cell: j => when(j.created_at) },
      { label: 'by', cell: j => j.triggered_by }
    ], page.jobs, { id: 'jobs-table', rowId: j => 'job-' + j.id }));
  };
  const show = drawOnChange(draw);
  show(jobs);
  if (roleAtLeast('operator')) {
    const bulk = async (action, body, n) => {
      if (!window.confirm(t('confirm_bulk', { n, a: t(action === 'cancel' ? 'cancel_job' : 'retry_job') }))) return;
      try {
        const res = await api('POST', '/api/jobs/bulk', Object.assign({ action }, body));
        const ok = res.results.filter(x => x.status < 300).length;
        toast(t('bulk_done', { ok, ng: res.results.length - ok }));
        selected.clear();
        draw(await api('GET', '/api/jobs?' + q.toString()));	/* the boxes unticked */
      } catch (e) { toast(e.message); }
    };
    const filter = {};
    for (const k of JOB_KEYS) if (r.params.get(k)) filter[k] = k === 'mine' ? true : r.params.get(k);
    main.appendChild(el('div', { class: 'toolbar', id: 'bulk' },
      el('button', { type: 'button', id: 'bulk-cancel', class: 'secondary', text: t('cancel_selected'), on: { click: () => bulk('cancel', { ids: [...selected] }, selected.size) } }),
      el('button', { type: 'button', id: 'bulk-retry', class: 'secondary', text: t('retry_selected'), on: { click: () => bulk('retry', { ids: [...selected] }, selected.size) } }),
      el('button', { type: 'button', id: 'bulk-cancel-all', class: 'secondary', text: t('cancel_matching'), on: { click: () => bulk('cancel', { filter }, '≤500') } }),
      el('button', { type: 'button', id: 'bulk-retry-all', class: 'secondary', text: t('retry_matching'), on: { click: () => bulk('retry', { filter }, '≤500') } })));
  }
  if (!r.params.get('before'))
    live(r, async () => show(await api('GET', '/api/jobs?' + q.toString())), badge);
}

/* --- schedules ----------------------------------------------------------------- */

async function viewSchedules(main, r) {
  const [data, scripts] = await Promise.all([api('GET', '/api/schedules'), api('GET', '/api/scripts')]);
  if (!take(main, r)) return;
  main.appendChild(el('h1', { text: t('nav_schedules') }));
  const act = async (s, what) => {
    try {
      if (what === 'delete') {
        if (!window.confirm(t('confirm_delete', { n: s.name }))) return;
        await api('DELETE', '/api/schedules/' + encodeURIComponent(s.name));
      } else {
        const res = await api('POST', '/api/schedules/' + encodeURIComponent(s.name) + '/' + what, {});
        if (what === 'run') toast(t('queued_ok') + ' (#' + res.job_id + ')');
      }
      if (what !== 'run') route();
    } catch (e) { toast(e.message); }
  };
  const editor = el('div');
  main.appendChild(table([
    { label: t('name'), cell: s => s.name },
    { label: t('script'), cell: s => s.script + (s.digest ? ' @' + s.digest.slice(0, 8) : '') },
    { label: t('cron'), cell: s => s.cron + (s.calendar && s.calendar !== 'none' ? ' (' + s.calendar + ')' : '') },
    { label: t('next_fire'), cell: s => s.enabled ? when(s.next_fire) : t('paused') },
    { label: t('last_fire'), cell: s => when(s.last_fire) },
    { label: t('actions'), cell: s => el('span', { class: 'actions' },
      s.may_edit ? el('button', { type: 'button', class: 'secondary', text: s.enabled ? t('pause') : t('resume'),
        attrs: { 'data-action': s.enabled ? 'pause' : 'resume', 'data-schedule': s.name },
        on: { click: () => act(s, s.enabled ? 'pause' : 'resume') } }) : null,
      roleAtLeast('operator') ? el('button', { type: 'button', class: 'secondary', text: t('run_now_s'),
        attrs: { 'data-action': 'run', 'data-schedule': s.name }, on: { click: () => act(s, 'run') } }) : null,
      s.may_edit ? el('button', { type: 'button', class: 'secondary', text: t('edit'),
        attrs: { 'data-action': 'edit', 'data-schedule': s.name }, on: { click: () => scheduleForm(editor, scripts.scripts, s) } }) : null,
      s.may_edit ? el('button', { type: 'button', class: 'secondary', text: t('delete'),
        attrs: { 'data-action': 'delete', 'data-schedule': s.name }, on: { click: () => act(s, 'delete') } }) : null) }
  ], data.schedules, { id: 'schedules-table', rowId: s => 'schedule-' + s.name }));
  main.appendChild(editor);
  if (roleAtLeast('engineer')) await scheduleForm(editor, scripts.scripts, null);
}

/* The form of a schedule, with its next fire times as the cron is typed. */
async function scheduleForm(box, scripts, s) {
  const v = s || { name: '', script: (scripts[0] || {}).name || '', cron: '0 9 * * 1-5', tz: 'Asia/Tokyo', calendar: 'jp-gov', closures: [], params: {}, enabled: true, digest: null };
  const name = el('input', { id: 's-name', required: true, value: v.name });
  const script = el('select', { id: 's-script' }, scripts.filter(x => x.may_edit).map(x => el('option', { value: x.name, text: x.name, selected: x.name === v.script })));
  const cron = el('input', { id: 's-cron', required: true, value: v.cron, attrs: { autocomplete: 'off' } });
  const tz = el('input', { id: 's-tz', value: v.tz });
  const cal = el('select', { id: 's-calendar' }, ['none', 'weekdays', 'jp-gov'].map(c => el('option', { value: c, text: c, selected: c === v.calendar })));
  const closures = el('input', { id: 's-closures', value: (v.closures || []).join(',') });
  const params = el('textarea', { id: 's-params', rows: 3, value: JSON.stringify(v.params || {}) });
  const version = el('select', { id: 's-digest' }, el('option', { value: '', text: t('current_version') }));
  const next = el('ul', { id: 's-next', class: 'next-times', attrs: { 'aria-live': 'polite' } });
  const msg = el('p', { class: 'error', id: 's-error' });
  const fillVersions = async () => {
    clear(version).appendChild(el('option', { value: '', text: t('current_version') }));
    try {
      const full = await api('GET', '/api/scripts/' + encodeURIComponent(script.value));
      for (const x of full.versions || [])
        version.appendChild(el('option', { value: x.digest, text: (x.version || '') + ' ' + x.digest.slice(0, 12) + ' ' + when(x.created_at), selected: x.digest === v.digest }));
    } catch (e) { /* no versions to pin to */ }
  };
  let pending = null;
  const showNext = () => {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      const q = new URLSearchParams({ cron: cron.value, tz: tz.value || 'Asia/Tokyo', calendar: cal.value, n: '5' });
      if (closures.value) q.set('closures', closures.value);
      clear(next);
      try {
        const res = await api('GET', '/api/cron/next?' + q.toString());
        for (const x of res.next) next.appendChild(el('li', { text: when(x) }));
      } catch (e) {
        next.appendChild(el('li', { class: 'error', text: e.body && e.body.errors ? e.body.errors.join('; ') : e.message }));
      }
    }, 250);
  };
  for (const i of [cron, tz, closures]) i.addEventListener('input', showNext);
  cal.addEventListener('change', showNext);
  script.addEventListener('change', fillVersions);
  const form = el('form', { class: 'params', id: 'schedule-form', on: { submit: async ev => {
    ev.preventDefault();
    msg.textContent = '';
    let p;
    try { p = JSON.parse(params.value || '{}'); } catch (e) { msg.textContent = t('params_json') + ': ' + e.message; return; }
    const body = { name: name.value, script: script.value, cron: cron.value, tz: tz.value || undefined,
      calendar: cal.value, closures: closures.value ? closures.value.split(',').map(x => x.trim()) : [],
      params: p, enabled: v.enabled !== false, digest: version.value || null };
    try {
      await api('POST', '/api/schedules', body);
      route();
    } catch (e) { msg.textContent = e.message + (e.body && e.body.errors ? '\n' + e.body.errors.join('\n') : ''); }
  } } },
    el('h2', { text: t('new_schedule') }),
    field(t('name'), name), field(t('script'), script), field(t('pinned'), version),
    field(t('cron'), cron), el('div', null, el('span', { class: 'muted', text: t('next_times') }), next),
    field(t('tz'), tz), field(t('calendar'), cal), field(t('closures'), closures),
    field(t('params_json'), params), el('button', { type: 'submit', id: 's-save', text: t('save') }), msg);
  clear(box).appendChild(el('div', { class: 'card' }, form));
  await fillVersions();
  showNext();
  if (s) name.focus();
}

/* --- scripts ----------------------------------------------------------------------- */

function diffView(text) {
  const pre = el('pre', { class: 'diff', id: 'diff', attrs: { tabindex: '0' } });
  for (const line of text.split('\n')) {
    const cls = line.startsWith('+++') || line.startsWith('---') ? 'file' : line.startsWith('@@') ? 'hunk' :
      line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : null;
    pre.appendChild(el('span', { class: cls, text: line + '\n' }));
  }
  return pre;
}

async function scriptDetail(box, s) {
  const full = await api('GET', '/api/scripts/' + encodeURIComponent(s.name));
  const out = el('div');
  const vers = full.versions || [];
  const card = el('div', { class: 'card', id: 'script-detail' }, el('h2', { text: s.name + ' — ' + t('versions') }),
    table([
      { label: t('version'), cell: v => v.version || '' },
      { label: 'digest', cell: v => v.digest.slice(0, 12) + (v.digest === full.digest ? ' *' : '') },
      { label: t('updated'), cell: v => when(v.created_at) },
      { label: t('updated_by'), cell: v => v.created_by || v.source || '' },
      { label: t('actions'), cell: v => el('span', { class: 'actions' },
        el('button', { type: 'button', class: 'secondary', text: t('diff'), attrs: { 'data-digest': v.digest, 'data-action': 'diff' }, on: { click: async () => {
          clear(out);
          try {
            const d = await api('GET', '/api/scripts/' + encodeURIComponent(s.name) + '/diff?to=' + v.digest);
            out.appendChild(el('p', { class: 'muted', text: '+' + d.added + ' −' + d.removed }));
            out.appendChild(diffView(d.diff));
          } catch (e) { showError(out, e); }
        } } }),
        full.may_edit && v.digest !== full.digest ? el('button', { type: 'button', class: 'secondary', text: t('rollback'), attrs: { 'data-digest': v.digest, 'data-action': 'rollback' }, on: { click: async () => {
          try {
            await api('POST', '/api/scripts/' + encodeURIComponent(s.name) + '/rollback', { digest: v.digest });
            toast(t('rolled_back', { d: v.digest.slice(0, 12) }));
            route();
          } catch (e) { toast(e.message); }
        } } }) : null) }
    ], vers, { id: 'versions-table' }),
    full.may_edit ? el('div', { class: 'toolbar' }, el('button', { type: 'button', class: 'secondary', id: 'toggle-shared',
      text: full.shared ? t('unshare') : t('share'), on: { click: async () => {
        try {
          await api('PUT', '/api/scripts/' + encodeURIComponent(s.name) + '/shared', { shared: !full.shared });
          route();
        } catch (e) { toast(e.message); }
      } } })) : null,
    out, el('pre', { class: 'logs', attrs: { tabindex: '0', 'aria-label': s.name }, text: full.text || '' }));
  clear(box).appendChild(card);
}

function uploadForm(done) {
  const file = el('input', { type: 'file', id: 'up-file', accept: '.yaml,.yml' });
  const text = el('textarea', { id: 'up-text', rows: 8 });
  const errors = el('ul', { class: 'error', id: 'up-errors' });
  return el('form', { class: 'params card', id: 'upload-form', on: { submit: async ev => {
    ev.preventDefault();
    clear(errors);
    let source = text.value, filename = 'upload.yaml';
    if (file.files.length) { source = await file.files[0].text(); filename = file.files[0].name; }
    try {
      const res = await api('POST', '/api/scripts', { source, filename });
      toast(t('upload_ok', { d: res.digest.slice(0, 12) }));
      done();
    } catch (e) {
      errors.appendChild(el('li', { text: e.body && e.body.errors ? t('upload_errors') : e.message }));
      for (const x of (e.body && e.body.errors) || []) errors.appendChild(el('li', { class: 'script-error', text: x }));
    }
  } } }, el('h2', { text: t('upload') }), field(t('upload_file'), file), field(t('upload_text'), text),
  el('button', { type: 'submit', id: 'up-submit', text: t('upload') }), errors);
}

async function viewScripts(main, r) {
  const data = await api('GET', '/api/scripts');
  const conf = await kpiConf();
  if (!take(main, r)) return;
  main.appendChild(el('h1', { text: t('nav_scripts') }));
  const detail = el('div');
  main.appendChild(table([
    { label: t('name'), cell: s => el('button', { type: 'button', class: 'link', text: s.name, attrs: { 'data-script': s.name }, on: { click: () => scriptDetail(detail, s).catch(e => showError(detail, e)) } }) },
    { label: t('title'), cell: s => s.title || '' },
    { label: t('version'), cell: s => s.version || '' },
    { label: 'digest', cell: s => (s.digest || '').slice(0, 12) },
    { label: t('department'), cell: s => deptName(conf, s.department) },
    { label: t('shared'), cell: s => s.shared ? t('yes') : '' },
    { label: t('updated'), cell: s => when(s.updated_at) },
    { label: t('owner'), cell: s => s.owner || '' }
  ], data.scripts, { id: 'scripts-table', rowId: s => 'script-' + s.name }));
  main.appendChild(detail);
  if (roleAtLeast('engineer')) main.appendChild(uploadForm(() => route()));
  const invalid = data.invalid || [];
  main.appendChild(el('div', { class: 'card' }, el('h2', { text: t('invalid_files') }),
    table([
      { label: t('file'), cell: f => f.filename },
      { label: t('status'), cell: () => el('span', { class: 'status failed', text: t('invalid') }) },
      { label: t('error'), cell: f => (f.errors || []).join('\n'), cls: () => 'error' }
    ], invalid, { id: 'invalid-table' })));
}

/* --- secrets and settings ------------------------------------------------------------ */

async function viewSettings(main, r) {
  const conf = await kpiConf();
  const [secrets, assets] = await Promise.all([api('GET', '/api/secrets'), api('GET', '/api/assets')]);
  if (!take(main, r)) return;
  main.appendChild(el('h1', { text: t('nav_settings') }));
  main.appendChild(el('p', { class: 'muted', text: t('value_hidden') }));
  const remove = (kind, name) => async () => {
    if (!window.confirm(t('confirm_delete', { n: name }))) return;
    try { await api('DELETE', '/api/' + kind + '/' + encodeURIComponent(name)); route(); } catch (e) { toast(e.message); }
  };
  const form = kind => {
    const name = el('input', { id: kind + '-name', required: true, attrs: { pattern: '[a-z0-9_]{1,64}' } });
    const value = el('input', { id: kind + '-value', type: kind === 'secrets' ? 'password' : 'text', required: true, attrs: { autocomplete: 'off' } });
    const dept = deptSelect(conf, kind + '-department', '', false);
    const allow = el('input', { id: kind + '-allow' });
    const msg = el('p', { class: 'error' });
    return el('form', { class: 'params', id: kind + '-form', on: { submit: async ev => {
      ev.preventDefault();
      msg.textContent = '';
      const body = { value: value.value, department: dept.value };
      if (kind === 'secrets') body.allow = allow.value ? allow.value.split(',').map(x => x.trim()) : [];
      try {
        await api('PUT', '/api/' + kind + '/' + encodeURIComponent(name.value), body);
        value.value = '';
        route();
      } catch (e) { msg.textContent = e.message; }
    } } }, el('h3', { text: t('set_value') }), field(t('name'), name), field(t('value'), value),
    field(t('department'), dept), kind === 'secrets' ? field(t('allow'), allow) : null,
    el('button', { type: 'submit', text: t('save'), id: kind + '-save' }), msg);
  };
  main.appendChild(el('div', { class: 'grid2' },
    el('div', { class: 'card' }, el('h2', { text: t('secrets') }), table([
      { label: t('name'), cell: s => s.name },
      { label: t('department'), cell: s => deptName(conf, s.department) },
      { label: t('allow'), cell: s => (s.allow || []).join(', ') },
      { label: t('updated'), cell: s => when(s.updated_at) },
      { label: t('updated_by'), cell: s => s.updated_by || '' },
      { label: t('actions'), cell: s => el('button', { type: 'button', class: 'secondary', text: t('delete'), attrs: { 'aria-label': t('delete') + ' ' + s.name }, on: { click: remove('secrets', s.name) } }) }
    ], secrets.secrets, { id: 'secrets-table' }), form('secrets')),
    el('div', { class: 'card' }, el('h2', { text: t('assets') }), table([
      { label: t('name'), cell: s => s.name },
      { label: t('department'), cell: s => deptName(conf, s.department) },
      { label: t('length'), num: true, cell: s => s.length },
      { label: t('updated'), cell: s => when(s.updated_at) },
      { label: t('updated_by'), cell: s => s.updated_by || '' },
      { label: t('actions'), cell: s => el('button', { type: 'button', class: 'secondary', text: t('delete'), attrs: { 'aria-label': t('delete') + ' ' + s.name }, on: { click: remove('assets', s.name) } }) }
    ], assets.assets, { id: 'assets-table' }), form('assets'))));
}

/* --- users and their roles ------------------------------------------------------------- */

function rolesText(conf, u) {
  const parts = (u.roles || []).map(g => deptName(conf, g.department) + ': ' + g.role);
  for (const g of u.global || []) parts.push(g);
  return parts.join(', ');
}

function rolesEditor(conf, box, u) {
  const rows = el('div', { id: 'roles-rows', class: 'roles-rows' });
  const addRow = (dept, role) => {
    const d = deptSelect(conf, null, dept, false);
    d.setAttribute('aria-label', t('department'));
    d.value = dept || '';
    const rl = el('select', { attrs: { 'aria-label': t('role') } }, ['viewer', 'operator', 'engineer'].map(x => el('option', { value: x, text: x, selected: x === role })));
    const row = el('div', { class: 'toolbar role-row' }, d, rl,
      el('button', { type: 'button', class: 'secondary', text: t('remove'), on: { click: () => row.remove() } }));
    rows.appendChild(row);
  };
  for (const g of u.roles || []) addRow(g.department, g.role);
  const manager = el('input', { type: 'checkbox', id: 'r-manager', checked: (u.global || []).includes('manager') });
  const admin = el('input', { type: 'checkbox', id: 'r-admin', checked: (u.global || []).includes('admin') });
  const msg = el('p', { class: 'error' });
  clear(box).appendChild(el('form', { class: 'params card', id: 'roles-form', on: { submit: async ev => {
    ev.preventDefault();
    msg.textContent = '';
    const roles = [...rows.querySelectorAll('.role-row')].map(x => {
      const [d, rl] = x.querySelectorAll('select');
      return { department: d.value, role: rl.value };
    });
    const global = [];
    if (manager.checked) global.push('manager');
    if (admin.checked) global.push('admin');
    try { await api('PUT', '/api/users/' + encodeURIComponent(u.name) + '/roles', { roles, global }); route(); } catch (e) { msg.textContent = e.message; }
  } } }, el('h2', { text: u.name + ' — ' + t('roles') }), rows,
  el('button', { type: 'button', class: 'secondary', id: 'add-role', text: t('add_row'), on: { click: () => addRow('', 'viewer') } }),
  el('fieldset', null, el('legend', { text: t('global_roles') }), field(t('manager'), manager), field(t('admin_role'), admin)),
  el('button', { type: 'submit', id: 'save-roles', text: t('save_roles') }), msg));
}

/* An admin's own one-time passwords: begun here, turned on by a code. */
function totpCard(me) {
  const box = el('div', { class: 'card', id: 'totp-card' }, el('h2', { text: t('totp_title') }));
  if (me && me.totp) { box.appendChild(el('p', { text: t('totp_on') })); return box; }
  const out = el('div');
  const begin = el('button', { type: 'button', id: 'totp-begin', class: 'secondary', text: t('totp_begin'), on: { click: async () => {
    clear(out);
    try {
      const res = await api('POST', '/api/session/totp', {});
      const code = el('input', { id: 'totp-code', inputMode: 'numeric', autocomplete: 'one-time-code', attrs: { pattern: '[0-9]{6}', maxlength: '6' } });
      out.appendChild(el('p', { text: t('totp_key') }));
      out.appendChild(el('p', { class: 'token-once', id: 'totp-secret', text: res.secret }));
      out.appendChild(el('p', { class: 'token-once', id: 'totp-uri', text: res.uri }));
      out.appendChild(el('form', { class: 'toolbar', on: { submit: async ev => {
        ev.preventDefault();
        try { await api('PUT', '/api/session/totp', { code: code.value }); toast(t('totp_on')); route(); } catch (e) { toast(e.message); }
      } } }, field(t('otp'), code), el('button', { type: 'submit', id: 'totp-confirm', text: t('totp_confirm') })));
    } catch (e) { showError(out, e); }
  } } });
  box.appendChild(begin);
  box.appendChild(out);
  return box;
}

async function viewUsers(main, r) {
  const data = await api('GET', '/api/users');
  const conf = await kpiConf();
  if (!take(main, r)) return;
  main.appendChild(el('h1', { text: t('nav_users') }));
  const editor = el('div');
  main.appendChild(table([
    { label: t('name'), cell: u => el('button', { type: 'button', class: 'link', text: u.name, attrs: { 'data-user': u.name }, on: { click: () => rolesEditor(conf, editor, u) } }) },
    { label: t('roles'), cell: u => rolesText(conf, u) },
    { label: t('department'), cell: u => u.department },
    { label: t('password'), cell: u => u.has_password ? t('yes') : t('no') },
    { label: t('sessions'), num: true, cell: u => u.sessions },
    { label: t('tokens'), num: true, cell: u => u.tokens },
    { label: t('disabled'), cell: u => u.disabled ? t('yes') : '' },
    { label: t('totp'), cell: u => u.totp ? el('button', { type: 'button', class: 'secondary totp-remove', text: t('totp_remove'),
      attrs: { 'data-user': u.name, 'aria-label': t('totp_remove') + ' ' + u.name }, on: { click: async () => {
        try { await api('DELETE', '/api/users/' + encodeURIComponent(u.name) + '/totp'); route(); } catch (e) { toast(e.message); }
      } } }) : '' }
  ], data.users, { id: 'users-table', rowId: u => 'user-' + u.name }));
  main.appendChild(editor);
  main.appendChild(totpCard(data.users.find(u => u.name === state.me.name)));
  const name = el('input', { id: 'u-name', required: true });
  const role = el('select', { id: 'u-role' }, ['viewer', 'operator', 'engineer', 'manager', 'admin'].map(x => el('option', { value: x, text: x })));
  const dept = deptSelect(conf, 'u-dept', '', false);
  const pw = el('input', { id: 'u-password', type: 'password', autocomplete: 'new-password' });
  const dis = el('input', { id: 'u-disabled', type: 'checkbox' });
  const msg = el('p', { class: 'error' });
  main.appendChild(el('div', { class: 'card' }, el('h2', { text: t('new_user') }),
    el('form', { class: 'params', on: { submit: async ev => {
      ev.preventDefault();
      msg.textContent = '';
      const body = { role: role.value, department: dept.value, disabled: dis.checked };
      if (pw.value) body.password = pw.value;
      try {
        await api('PUT', '/api/users/' + encodeURIComponent(name.value), body);
        route();
      } catch (e) { msg.textContent = e.message; }
    } } },
      field(t('name'), name), field(t('role'), role), field(t('department'), dept),
      field(t('password'), pw), field(t('disabled'), dis),
      el('button', { type: 'submit', text: t('save') }), msg)));
}

/* --- the audit log ------------------------------------------------------------------------ */

const AUDIT_KEYS = ['actor', 'since', 'until', 'q'];

async function viewAudit(main, r) {
  const q = listQuery(r.params, AUDIT_KEYS.concat(['before']));
  q.set('limit', '100');
  const data = await api('GET', '/api/audit?' + q.toString());
  if (!take(main, r)) return;
  main.appendChild(el('h1', { text: t('nav_audit') }));
  const inputs = {
    actor: el('input', { id: 'f-actor' }),
    since: el('input', { type: 'date', id: 'f-since' }),
    until: el('input', { type: 'date', id: 'f-until' }),
    q: el('input', { type: 'search', id: 'f-q' })
  };
  const labels = { actor: t('actor_filter'), since: t('since'), until: t('until'), q: t('path') };
  for (const [k, i] of Object.entries(inputs)) i.__label = field(labels[k], i);
  main.appendChild(filterBar('audit', r.params, inputs));
  main.appendChild(pager('audit', r.params, data, 'audit', '/api/audit', AUDIT_KEYS));
  main.appendChild(table([
    { label: t('when'), cell: a => when(a.at) },
    { label: t('actor'), cell: a => a.actor },
    { label: t('role'), cell: a => a.role || '' },
    { label: t('method'), cell: a => a.method },
    { label: t('path'), cell: a => a.path },
    { label: t('status'), num: true, cell: a => a.status },
    { label: t('remote'), cell: a => a.remote || '' },
    { label: t('detail'), cell: a => a.detail ? (typeof a.detail === 'string' ? a.detail : JSON.stringify(a.detail)) : '' }
  ], data.audit, { id: 'audit-table' }));
}
