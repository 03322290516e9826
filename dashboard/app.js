/*
 * app.js - the kobito dashboard: one page, views drawn from the scheduler's
 * /api routes (the same ones bin/kobito uses), Japanese by default with an
 * English switch.
 *
 * Safety: every piece of data is put on the page with textContent or as an
 * attribute value through el(); nothing is ever parsed as HTML, so a
 * script title such as "<img onerror=...>" shows as the text it is.
 * Changes carry the session's CSRF token in X-CSRF-Token.
 */
'use strict';

/* --- words ----------------------------------------------------------------- */

const WORDS = {
  ja: {
    lang_switch: 'English', logout: 'ログアウト', login: 'ログイン',
    username: 'ユーザー名', password: 'パスワード',
    login_failed: 'ログインできませんでした',
    nav_kpi: 'KPI', nav_report: '報告書', nav_bots: 'ボット',
    nav_runs: '実行履歴', nav_agents: 'エージェント', nav_schedules: 'スケジュール',
    nav_queue: 'キュー', nav_scripts: 'スクリプト', nav_users: 'ユーザー',
    nav_tokens: 'トークン', nav_kpiconf: 'KPI設定', nav_audit: '監査ログ',
    nav_review: '確認待ち', nav_notices: '通知',
    kpi_title: '業務改善KPI', fiscal_year: '年度', year_suffix: '年度',
    kpi: '指標', actual: '今年度実績', projection: '年度見込み',
    target: '目標', progress: '進捗', as_of: '時点',
    unit_hours: '時間', unit_points: '箇所', unit_percent: '%',
    monthly_chart: '月別の削減時間と目標ペース',
    monthly_hours: '月の純削減時間', cumulative: '累計', pace: '目標ペース(累計)',
    by_department: '部署別', by_script: 'ボット別', input_points: '多重入力箇所',
    eliminated: '解消', remaining: '残り', registered: '登録',
    department: '部署', script: 'ボット', runs: '実行', items: '処理件数',
    success_rate: '成功率', hours: '純削減時間(h)', vendor_hours: '事業者(h)',
    fix_hours: '例外対応(h)', csv: 'CSV', download_csv: 'CSVをダウンロード',
    printable: '印刷用の報告書', print: '印刷',
    report_title: '業務改善KPI 報告書', generated: '作成',
    name: '名称', system: 'システム', screen: '画面', data: 'データ',
    owner: '所管', yes: 'はい', no: 'いいえ', by: '解消したボット',
    bots_title: 'ボット一覧', run_now: '今すぐ実行', run: '実行する',
    cancel: 'キャンセル', my_runs: 'あなたの実行', no_bots: '実行できるボットはありません',
    required: '必須', queued_ok: '実行を受け付けました',
    st_queued: '順番待ち', st_leased: '開始中', st_running: '実行中',
    st_succeeded: '完了', st_failed: '失敗', st_retrying: '再試行待ち',
    st_cancelled: '取り消し', st_timed_out: '時間切れ',
    st_partial: '一部完了', st_lost: '中断', st_released: '返却',
    st_skipped: 'スキップ(処理済み)',
    did_items: '{n}件を処理しました', failed_items: '{n}件は処理できませんでした',
    skipped_items: '{n}件は処理済みのためスキップ(削減時間に数えません)',
    step_now: '実行中の手順: {s}', reason: '理由: {s}',
    when: '日時', status: '状態', job: 'ジョブ', attempt: '試行',
    started: '開始', duration: '所要時間', agent: 'エージェント',
    filter: '絞り込み', all: 'すべて', apply: '適用',
    steps: '手順', logs: 'ログ', item_list: '処理項目', screenshots: '画面の記録',
    error: 'エラー', labels: 'ラベル', online: '稼働中', offline: '停止',
    last_seen: '最終応答', current_job: '実行中のジョブ',
    cron: 'cron', tz: 'タイムゾーン', next_fire: '次回', last_fire: '前回',
    enabled: '有効', priority: '優先度', version: 'バージョン',
    updated: '更新', valid: '検証済み', versions: '版',
    invalid: '検証エラー', title: '表題', invalid_files: '読み込めなかったスクリプト', file: 'ファイル',
    role: '役割', sessions: 'セッション', tokens: 'トークン', disabled: '無効',
    save: '保存', new_user: 'ユーザーの追加・変更', create_token: 'トークンの発行',
    token_once: 'このトークンは一度だけ表示されます。今すぐ控えてください。',
    revoke: '失効', revoked: '失効済み', last_used: '最終使用',
    targets: '目標値', baseline: '基準時間', departments: '部署の構成',
    rates: '例外対応の見込み時間(分)', per_item: '失敗1件あたり',
    per_run: '失敗1回あたり', surveys: 'やりがい調査', add_survey: '調査結果の登録',
    import_csv: 'CSVから取り込み', respondents: '回答者数', positive: '肯定回答数',
    date: '調査日', imported: '{n}件を取り込みました', actor: '操作者',
    method: '操作', path: '対象', remote: '接続元', detail: '詳細',
    scrolls: '{t}(横に動かせます)', none: 'ありません', loading: '読み込み中…', forbidden: 'この操作の権限がありません',
    viewer_note: '閲覧のみの権限です。ボットの実行はできません。',
    window_days: '判定期間(日)', staff_count: '職員数',
    hours_per_staff: '年間勤務時間', more: 'さらに表示'
  },
  en: {
    lang_switch: '日本語', logout: 'Log out', login: 'Log in',
    username: 'User name', password: 'Password',
    login_failed: 'Could not log in',
    nav_kpi: 'KPIs', nav_report: 'Report', nav_bots: 'Bots',
    nav_runs: 'Runs', nav_agents: 'Agents', nav_schedules: 'Schedules',
    nav_queue: 'Queue', nav_scripts: 'Scripts', nav_users: 'Users',
    nav_tokens: 'Tokens', nav_kpiconf: 'KPI settings', nav_audit: 'Audit log',
    nav_review: 'Review', nav_notices: 'Notifications',
    kpi_title: 'Back-office KPIs', fiscal_year: 'Fiscal year', year_suffix: '',
    kpi: 'KPI', actual: 'This year so far', projection: 'Projected for the year',
    target: 'Target', progress: 'Progress', as_of: 'as of',
    unit_hours: 'hours', unit_points: 'points', unit_percent: '%',
    monthly_chart: 'Hours saved per month against the pace needed',
    monthly_hours: 'Net hours saved in the month', cumulative: 'Cumulative',
    pace: 'Target pace (cumulative)',
    by_department: 'By department', by_script: 'By bot',
    input_points: 'Places where data is entered twice',
    eliminated: 'Eliminated', remaining: 'Remaining', registered: 'Registered',
    department: 'Department', script: 'Bot', runs: 'Runs', items: 'Items',
    success_rate: 'Success', hours: 'Net hours', vendor_hours: 'Business hours',
    fix_hours: 'Exception hours', csv: 'CSV', download_csv: 'Download CSV',
    printable: 'Printable report', print: 'Print',
    report_title: 'Back-office KPI report', generated: 'Generated',
    name: 'Name', system: 'System', screen: 'Screen', data: 'Data',
    owner: 'Owner', yes: 'yes', no: 'no', by: 'Eliminated by',
    bots_title: 'Bots', run_now: 'Run now', run: 'Run',
    cancel: 'Cancel', my_runs: 'Your runs', no_bots: 'No bots you can run',
    required: 'required', queued_ok: 'The run was accepted',
    st_queued: 'Waiting to start', st_leased: 'Starting', st_running: 'Running',
    st_succeeded: 'Done', st_failed: 'Failed', st_retrying: 'Will try again',
    st_cancelled: 'Cancelled', st_timed_out: 'Took too long',
    st_partial: 'Partly done', st_lost: 'Interrupted', st_released: 'Handed back',
    st_skipped: 'Skipped (done before)',
    did_items: 'handled {n} items', failed_items: '{n} items could not be handled',
    skipped_items: '{n} items skipped as done before (no hours counted)',
    step_now: 'Now: {s}', reason: 'Reason: {s}',
    when: 'When', status: 'Status', job: 'Job', attempt: 'Attempt',
    started: 'Started', duration: 'Duration', agent: 'Agent',
    filter: 'Filter', all: 'all', apply: 'Apply',
    steps: 'Steps', logs: 'Log', item_list: 'Items', screenshots: 'Screenshots',
    error: 'Error', labels: 'Labels', online: 'online', offline: 'offline',
    last_seen: 'Last heartbeat', current_job: 'Current jobs',
    cron: 'cron', tz: 'Time zone', next_fire: 'Next', last_fire: 'Last',
    enabled: 'Enabled', priority: 'Priority', version: 'Version',
    updated: 'Updated', valid: 'validated', versions: 'Versions',
    invalid: 'does not validate', title: 'Title', invalid_files: 'Script files that do not validate', file: 'File',
    role: 'Role', sessions: 'Sessions', tokens: 'Tokens', disabled: 'Disabled',
    save: 'Save', new_user: 'Add or change a user', create_token: 'Create a token',
    token_once: 'This token is shown only once. Copy it now.',
    revoke: 'Revoke', revoked: 'revoked', last_used: 'Last used',
    targets: 'Targets', baseline: 'Baseline hours', departments: 'Departments',
    rates: 'Estimated exception minutes', per_item: 'per failed item',
    per_run: 'per failed run', surveys: 'Engagement surveys',
    add_survey: 'Enter a survey result', import_csv: 'Import CSV',
    respondents: 'Respondents', positive: 'Positive answers', date: 'Survey date',
    imported: '{n} rows imported', actor: 'Who', method: 'Method', path: 'Path',
    remote: 'From', detail: 'Detail', scrolls: '{t} (scrolls sideways)', none: 'none', loading: 'Loading…',
    forbidden: 'You are not allowed to do this',
    viewer_note: 'You can look, not run bots (viewer role).',
    window_days: 'Window (days)', staff_count: 'Staff',
    hours_per_staff: 'Annual hours per staff', more: 'More'
  }
};

const KPI_NAMES_EN = {
  multiple_input_points: 'Places where the same data is entered more than once',
  staff_hours_saved: 'Staff hours saved per year',
  business_hours_saved: 'Hours saved per year for businesses',
  productivity_percent: 'Productivity gain',
  engagement_percent: 'Staff who find their work rewarding'
};

const KPI_NAMES_JA = {
  multiple_input_points: '多重入力箇所',
  staff_hours_saved: '作業削減時間',
  business_hours_saved: '事業者負担軽減時間',
  productivity_percent: '生産性向上率',
  engagement_percent: '職員のやりがい向上'
};

const ROLES = ['user', 'viewer', 'operator', 'engineer', 'admin'];

const state = {
  lang: localStorage.getItem('kobito.lang') === 'en' ? 'en' : 'ja',
  me: null,
  csrf: null,
  timers: [],
  aborts: [],	/* live() requests of the view, stopped when it goes */
  charts: [],
  gen: 0
};

function t(key, vars) {
  let s = (WORDS[state.lang] && WORDS[state.lang][key]) ||
    (WORDS_CONSOLE[state.lang] && WORDS_CONSOLE[state.lang][key]) ||
    WORDS.ja[key] || WORDS_CONSOLE.ja[key] || key;
  if (vars)
    for (const k of Object.keys(vars))
      s = s.split('{' + k + '}').join(String(vars[k]));
  return s;
}

function roleAtLeast(role) {
  return state.me && ROLES.indexOf(state.me.role) >= ROLES.indexOf(role);
}

/* A manager (or an admin) sees every KPI figure, whatever else they hold. */
function seesKpi() {
  return roleAtLeast('viewer') || (state.me && (state.me.global || []).includes('manager'));
}

/* --- the DOM, safely --------------------------------------------------------- */

/*
 * el('td', {class: 'num', text: '3'}, child, ...): props are class, id,
 * text (textContent), on (event handlers), attrs (setAttribute: values
 * are attribute text, never markup) and any plain DOM property such as
 * type, value, href, checked.  Children are nodes or strings (text).
 */
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = String(v);
      else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
      else if (k === 'attrs') for (const [a, av] of Object.entries(v)) e.setAttribute(a, String(av));
      else e[k] = v;
    }
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.appendChild(typeof c === 'string' || typeof c === 'number' ?
      document.createTextNode(String(c)) : c);
  }
  return e;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

function fmt(n, digits) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return Number(n).toLocaleString(state.lang === 'ja' ? 'ja-JP' : 'en-US',
    { maximumFractionDigits: digits === undefined ? 1 : digits });
}

/* The zone of an ISO time's offset as people read it: JST, UTC, UTC+05:30. */
function zoneOf(off) {
  if (off === 'Z' || off === '+00:00') return 'UTC';
  return off === '+09:00' ? 'JST' : 'UTC' + off;
}

/*
 * A time the scheduler sent ("2026-12-08T09:00:01.123+09:00") as the
 * scheduler's local time with its zone ("2026-12-08 09:00:01 JST"),
 * whatever the browser's own zone.
 */
function when(iso) {
  if (!iso) return '–';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  return m ? m[1] + ' ' + m[2] + ' ' + zoneOf(m[3]) : iso;
}

function toast(msg) {
  const box = document.getElementById('toast');
  box.textContent = msg;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 5000);
}

/*
 * A table wider than its card scrolls inside it; the keyboard must reach
 * that scroll too, so the box takes the focus (a named region) while, and
 * only while, there is something to scroll.
 */
const scrollWatch = new ResizeObserver(entries => {
  for (const e of entries) {
    if (!e.target.isConnected) { scrollWatch.unobserve(e.target); continue; }	/* a page left */
    const box = e.target.classList.contains('scroll') ? e.target : e.target.parentElement;
    if (box.scrollWidth > box.clientWidth + 1) {
      const h = box.closest('.card') && box.closest('.card').querySelector('h1, h2');
      box.tabIndex = 0;
      box.setAttribute('role', 'region');
      box.setAttribute('aria-label', t('scrolls', { t: h ? h.textContent : '' }));
    } else if (box.hasAttribute('tabindex')) {
      box.removeAttribute('tabindex');
      box.removeAttribute('role');
      box.removeAttribute('aria-label');
    }
  }
});

/* A table from column specs {label, cell(row) -> node|string, num}. */
function table(cols, rows, opts) {
  const o = opts || {};
  const head = el('tr', null, cols.map(c => el('th', { class: c.num ? 'num' : null, text: c.label })));
  const body = rows.map(r => {
    const tr = el('tr', { class: o.onclick ? 'clickable' : null },
      cols.map(c => {
        const v = c.cell(r);
        const td = el('td', { class: (c.num ? 'num ' : '') + (c.cls ? c.cls(r) : '') });
        if (v instanceof Node) td.appendChild(v); else td.textContent = v === null || v === undefined ? '' : String(v);
        return td;
      }));
    if (o.onclick) tr.addEventListener('click', () => o.onclick(r));
    if (o.rowId) tr.id = o.rowId(r);
    return tr;
  });
  if (rows.length === 0)
    body.push(el('tr', null, el('td', { colSpan: cols.length, class: 'muted', text: t('none') })));
  const tab = el('table', { id: o.id || null }, el('thead', null, head), el('tbody', null, body));
  const box = el('div', { class: 'scroll' }, tab);
  scrollWatch.observe(box);
  scrollWatch.observe(tab);
  return box;
}

function progressBar(pct, label) {
  const p = pct === null || pct === undefined ? null : Math.max(0, Math.min(100, pct));
  const fill = el('div', { class: 'fill' + (p !== null && p >= 100 ? ' done' : '') });
  fill.style.width = (p === null ? 0 : p) + '%';
  return el('div', { class: 'progress' },
    el('div', { class: 'bar', attrs: { role: 'progressbar', 'aria-label': label || t('progress'), 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': p === null ? 0 : Math.round(p) } }, fill),
    el('span', { class: 'pct', text: pct === null || pct === undefined ? '–' : fmt(pct, 1) + '%' }));
}

/* --- the API ----------------------------------------------------------------- */

class ApiError extends Error {
  constructor(status, message, body) { super(message); this.status = status; this.body = body; }
}

async function api(method, path, body, raw, signal) {
  /* The server answers its messages in the language the page shows. */
  const headers = { 'Accept-Language': state.lang };
  const init = { method, headers, credentials: 'same-origin', signal };
  if (method !== 'GET' && method !== 'HEAD' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  if (raw !== undefined) {
    headers['Content-Type'] = raw.type;
    init.body = raw.data;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  let data = null;
  const text = await res.text();
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = { error: text }; }
  if (res.status === 401 && path !== '/api/session') {
    state.me = null;
    location.hash = '#/login';
    throw new ApiError(401, (data && data.error) || 'unauthorized', data);
  }
  if (!res.ok) throw new ApiError(res.status, (data && data.error) || res.statusText, data);
  return data;
}

function showError(where, e) {
  const msg = e && e.status === 403 ? t('forbidden') + ' (' + e.message + ')' : (e && e.message) || String(e);
  where.appendChild(el('p', { class: 'error', text: msg }));
}

/* --- the views (one table of routes) ----------------------------------------- */

/*
 * Who sees a view: those of role (their highest, in any department), or
 * for whom allow() says so; what each shows them is their departments'.
 */
const VIEWS = [
  { path: 'kpi', nav: 'nav_kpi', allow: seesKpi, render: viewKpi },
  { path: 'report', nav: 'nav_report', allow: seesKpi, render: viewReport },
  { path: 'bots', nav: 'nav_bots', role: 'viewer', render: viewBots },
  { path: 'review', nav: 'nav_review', role: 'viewer', render: viewReview },
  { path: 'reviewitem', role: 'operator', render: viewReviewItem },
  { path: 'runs', nav: 'nav_runs', role: 'viewer', render: viewRuns },
  { path: 'run', role: 'viewer', render: viewRun },
  { path: 'jobs', nav: 'nav_jobs', role: 'viewer', render: viewJobs },
  { path: 'agents', nav: 'nav_agents', role: 'engineer', render: viewAgents },
  { path: 'schedules', nav: 'nav_schedules', role: 'viewer', render: viewSchedules },
  { path: 'scripts', nav: 'nav_scripts', role: 'engineer', render: viewScripts },
  { path: 'settings', nav: 'nav_settings', role: 'engineer', render: viewSettings },
  { path: 'users', nav: 'nav_users', role: 'admin', render: viewUsers },
  { path: 'tokens', nav: 'nav_tokens', role: 'admin', render: viewTokens },
  { path: 'kpiconf', nav: 'nav_kpiconf', role: 'admin', render: viewKpiConf },
  { path: 'audit', nav: 'nav_audit', role: 'admin', render: viewAudit },
  { path: 'notices', nav: 'nav_notices', role: 'engineer', render: viewNotices },
  { path: 'login', render: viewLogin }
];

function landing() {
  if (!state.me) return 'login';
  if (state.me.role === 'operator' || (state.me.role === 'viewer' && !seesKpi())) return 'bots';
  if (state.me.role === 'engineer') return 'runs';
  return seesKpi() ? 'kpi' : 'bots';
}

function mayView(v) {
  return v.allow ? v.allow() : !v.role || roleAtLeast(v.role);
}

function parseHash() {
  const h = location.hash.replace(/^#\/?/, '');
  const [path, query] = h.split('?');
  const parts = path.split('/').filter(Boolean);
  const params = new URLSearchParams(query || '');
  return { name: parts[0] || '', arg: parts[1] || null, params };
}

function drawNav(current) {
  const nav = clear(document.getElementById('nav'));
  if (state.me)
    for (const v of VIEWS)
      if (v.nav && mayView(v))
        nav.appendChild(el('a', { href: '#/' + v.path, text: t(v.nav), class: v.path === current ? 'active' : null, id: 'nav-' + v.path }));
  const who = document.getElementById('who');
  who.textContent = state.me ? state.me.name + ' (' + state.me.role + ')' : '';
  document.getElementById('logout').hidden = !state.me;
  document.getElementById('logout').textContent = t('logout');
  document.getElementById('lang').textContent = t('lang_switch');
  document.documentElement.lang = state.lang;
}

/*
 * A view fetches first and draws after; when the person has gone on to
 * another view meanwhile, the late one must not draw over it.  take()
 * clears main for the view and says whether it is still the current one.
 */
function take(main, r) {
  if (!r.current()) return false;
  clear(main);
  return true;
}

function stopTimers() {
  for (const id of state.timers) clearInterval(id);
  state.timers = [];
  for (const c of state.aborts) c.abort();
  state.aborts = [];
  for (const c of state.charts) c.destroy();
  state.charts = [];
}

async function route() {
  stopTimers();
  const r = parseHash();
  const gen = ++state.gen;
  r.current = () => gen === state.gen;
  if (!state.me && r.name !== 'login') {
    try {
      const s = await api('GET', '/api/session');
      state.me = s;
      state.csrf = s.csrf_token;
    } catch (e) {
      location.hash = '#/login';
      return;
    }
  }
  let view = VIEWS.find(v => v.path === r.name);
  if (!view || !mayView(view)) {
    location.hash = '#/' + landing();
    return;
  }
  drawNav(view.path);
  const main = clear(document.getElementById('main'));
  main.appendChild(el('p', { class: 'muted', text: t('loading') }));
  try {
    await view.render(main, r);
  } catch (e) {
    if (e.status !== 401 && r.current()) { clear(main); showError(main, e); }
  }
}

/* --- login ------------------------------------------------------------------ */

async function viewLogin(main, r) {
  if (!take(main, r)) return;
  const user = el('input', { id: 'login-user', autocomplete: 'username', required: true });
  const pass = el('input', { id: 'login-password', type: 'password', autocomplete: 'current-password', required: true });
  /* Shown when the account has one-time passwords on. */
  const otp = el('input', { id: 'login-otp', inputMode: 'numeric', autocomplete: 'one-time-code', attrs: { pattern: '[0-9]{6}', maxlength: '6' } });
  const otpLabel = el('label', { hidden: true }, t('otp'), otp);
  const msg = el('p', { class: 'error', id: 'login-error', attrs: { role: 'alert' } });
  const form = el('form', { on: { submit: async ev => {
    ev.preventDefault();
    msg.textContent = '';
    try {
      const body = { username: user.value, password: pass.value };
      if (!otpLabel.hidden && otp.value) body.otp = otp.value;
      const s = await api('POST', '/api/session', body);
      state.me = s;
      state.csrf = s.csrf_token;
      location.hash = '#/' + landing();
    } catch (e) {
      if (e.body && e.body.otp_required && otpLabel.hidden) {
        otpLabel.hidden = false;
        otp.focus();
        msg.textContent = t('otp_needed');
        return;
      }
      msg.textContent = t('login_failed') + ': ' + e.message;
    }
  } } },
    el('label', null, t('username'), user),
    el('label', null, t('password'), pass),
    otpLabel,
    el('button', { type: 'submit', id: 'login-submit', text: t('login') }),
    msg);
  main.appendChild(el('div', { class: 'card login' }, el('h1', { text: 'kobito' }), form));
  drawNav('login');
  user.focus();
}

/* --- KPIs (managers) -------------------------------------------------------- */

function kpiName(row) {
  return state.lang === 'en' ? (KPI_NAMES_EN[row.id] || row.name_en || row.name) : row.name;
}

function unitOf(row) {
  return t('unit_' + row.unit);
}

function yearLabel(fy) {
  return state.lang === 'ja' ? fy + t('year_suffix') : 'FY' + fy;
}

async function yearPicker(params, onchange) {
  const years = await api('GET', '/api/kpi/years');
  const overview = await api('GET', '/api/kpi/overview');
  const current = overview.fiscal_year;
  const list = new Set(years.rows.map(r => r.fiscal_year));
  list.add(current);
  const chosen = Number(params.get('year')) || current;
  const sel = el('select', { id: 'year', on: { change: () => onchange(Number(sel.value)) } },
    [...list].sort((a, b) => b - a).map(y => el('option', { value: String(y), text: yearLabel(y), selected: y === chosen })));
  return { sel, fy: chosen };
}

function csvLink(report, fy) {
  const q = '?year=' + fy + (state.lang === 'en' ? '&lang=en' : '');
  return el('a', { class: 'button secondary csv', href: '/api/kpi/' + report + '.csv' + q,
    attrs: { download: 'kobito-kpi-' + report + '-' + fy + '.csv' }, id: 'csv-' + report, text: t('csv') });
}

function kpiTable(ov) {
  const years = new Set();
  for (const r of ov.rows) for (const tg of r.targets) years.add(tg.year);
  const ys = [...years].sort();
  const cols = [
    { label: t('kpi'), cell: r => kpiName(r) },
    { label: t('actual'), num: true, cell: r => r.actual === null ? '–' : fmt(r.actual, r.unit === 'percent' ? 2 : 1) + ' ' + unitOf(r) },
    { label: t('projection'), num: true, cell: r => r.projection === null ? '–' : fmt(r.projection, r.unit === 'percent' ? 2 : 1) + ' ' + unitOf(r) }
  ];
  for (const y of ys)
    cols.push({ label: t('target') + ' ' + yearLabel(y), num: true, cell: r => {
      const tg = r.targets.find(x => x.year === y);
      return tg ? fmt(tg.value) + ' ' + unitOf(r) : '–';
    } });
  cols.push({ label: t('progress'), cell: r => progressBar(r.progress, t('progress') + ': ' + kpiName(r)) });
  return table(cols, ov.rows, { id: 'kpi-table', rowId: r => 'kpi-' + r.id });
}

function monthlyChart(box, months) {
  const canvas = el('canvas', { id: 'months-chart', attrs: { 'aria-label': t('monthly_chart'), role: 'img' } });
  box.appendChild(el('div', { class: 'chart-box' }, canvas));
  if (typeof Chart === 'undefined') return;
  const labels = months.rows.map(r => r.month);
  const chart = new Chart(canvas.getContext('2d'), {
    data: {
      labels,
      datasets: [
        { type: 'bar', label: t('monthly_hours'), data: months.rows.map(r => r.future ? null : r.net_staff_hours), backgroundColor: '#0b5cab', yAxisID: 'y' },
        { type: 'line', label: t('cumulative'), data: months.rows.map(r => r.future ? null : r.cumulative_net_staff_hours), borderColor: '#1e7b34', backgroundColor: '#1e7b34', yAxisID: 'y1', tension: 0 },
        { type: 'line', label: t('pace'), data: months.rows.map(r => r.pace_cumulative_hours), borderColor: '#b3261e', borderDash: [6, 4], pointRadius: 0, yAxisID: 'y1' }
      ]
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: {
        y: { beginAtZero: true, position: 'left', title: { display: true, text: t('monthly_hours') } },
        y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: t('cumulative') } }
      }
    }
  });
  state.charts.push(chart);
}

function deptTable(d) {
  return table([
    { label: t('department'), cls: r => 'indent' + r.level, cell: r => (state.lang === 'en' && r.name_en) ? r.name_en : r.name },
    { label: t('runs'), num: true, cell: r => fmt(r.runs, 0) },
    { label: t('items'), num: true, cell: r => fmt(r.items_succeeded, 0) },
    { label: t('success_rate'), num: true, cell: r => r.success_rate === null ? '–' : fmt(r.success_rate) + '%' },
    { label: t('hours'), num: true, cell: r => fmt(r.net_staff_hours) },
    { label: t('vendor_hours'), num: true, cell: r => fmt(r.vendor_hours) }
  ], d.rows, { id: 'dept-table' });
}

function scriptTable(s) {
  return table([
    { label: t('script'), cell: r => r.title },
    { label: t('runs'), num: true, cell: r => fmt(r.runs, 0) },
    { label: t('items'), num: true, cell: r => fmt(r.items_succeeded, 0) },
    { label: t('success_rate'), num: true, cell: r => r.success_rate === null ? '–' : fmt(r.success_rate) + '%' },
    { label: t('hours'), num: true, cell: r => fmt(r.net_staff_hours) },
    { label: t('fix_hours'), num: true, cell: r => fmt(r.fix_hours) },
    { label: t('vendor_hours'), num: true, cell: r => fmt(r.vendor_hours) }
  ], s.rows, { id: 'script-table', rowId: r => 'script-row-' + r.script });
}

function pointsTable(p) {
  return table([
    { label: t('name'), cell: r => r.name },
    { label: t('system'), cell: r => r.system || '' },
    { label: t('owner'), cell: r => r.owner_name || '' },
    { label: t('status'), cell: r => el('span', { class: 'status ' + (r.eliminated ? 'ok' : 'failed'), text: r.eliminated ? t('eliminated') : t('remaining') }) },
    { label: t('by'), cell: r => r.eliminated_by.join(', ') }
  ], p.rows, { id: 'points-table' });
}

async function loadKpi(fy) {
  const q = '?year=' + fy;
  const [ov, months, depts, scripts, points] = await Promise.all([
    api('GET', '/api/kpi/overview' + q), api('GET', '/api/kpi/months' + q),
    api('GET', '/api/kpi/departments' + q), api('GET', '/api/kpi/scripts' + q),
    api('GET', '/api/kpi/input_points' + q)]);
  return { ov, months, depts, scripts, points };
}

async function viewKpi(main, r) {
  const pick = await yearPicker(r.params, fy => { location.hash = '#/kpi?year=' + fy; });
  const d = await loadKpi(pick.fy);
  if (!take(main, r)) return;
  main.appendChild(el('h1', { text: t('kpi_title') + ' ' + yearLabel(d.ov.fiscal_year) }));
  main.appendChild(el('div', { class: 'toolbar' },
    el('label', null, t('fiscal_year'), pick.sel),
    el('span', { class: 'muted', id: 'as-of', text: d.ov.from + ' – ' + d.ov.to + ' (' + when(d.ov.as_of) + ' ' + t('as_of') + ')' }),
    el('a', { class: 'button secondary', href: '#/report?year=' + pick.fy, id: 'to-report', text: t('printable') }),
    csvLink('overview', pick.fy)));
  main.appendChild(el('div', { class: 'card' }, kpiTable(d.ov),
    d.ov.totals && d.ov.totals.items_skipped ? el('p', { class: 'muted', id: 'items-skipped', text: t('skipped_items', { n: d.ov.totals.items_skipped }) }) : null));
  const chartCard = el('div', { class: 'card' }, el('h2', { text: t('monthly_chart') }));
  main.appendChild(chartCard);
  monthlyChart(chartCard, d.months);
  chartCard.appendChild(el('div', { class: 'toolbar' }, csvLink('months', pick.fy)));
  main.appendChild(el('div', { class: 'grid2' },
    el('div', { class: 'card' }, el('h2', { text: t('by_department') }), deptTable(d.depts), csvLink('departments', pick.fy)),
    el('div', { class: 'card' }, el('h2', { text: t('by_script') }), scriptTable(d.scripts), csvLink('scripts', pick.fy))));
  main.appendChild(el('div', { class: 'card' },
    el('h2', { text: t('input_points') + ' — ' + t('eliminated') + ' ' + d.points.eliminated + ' / ' + t('remaining') + ' ' + d.points.remaining }),
    pointsTable(d.points), csvLink('input_points', pick.fy)));
}

async function viewReport(main, r) {
  const pick = await yearPicker(r.params, fy => { location.hash = '#/report?year=' + fy; });
  const d = await loadKpi(pick.fy);
  if (!take(main, r)) return;
  main.appendChild(el('div', { class: 'toolbar' },
    el('label', null, t('fiscal_year'), pick.sel),
    el('button', { type: 'button', id: 'print', text: t('print'), on: { click: () => window.print() } })));
  main.appendChild(el('h1', { text: t('report_title') + ' ' + yearLabel(d.ov.fiscal_year) }));
  main.appendChild(el('p', { class: 'muted', text: d.ov.from + ' – ' + d.ov.to + ' · ' + t('generated') + ' ' + when(d.ov.as_of) }));
  main.appendChild(el('div', { class: 'card' }, kpiTable(d.ov)));
  const chartCard = el('div', { class: 'card' }, el('h2', { text: t('monthly_chart') }));
  main.appendChild(chartCard);
  monthlyChart(chartCard, d.months);
  main.appendChild(el('div', { class: 'card' }, el('h2', { text: t('by_department') }), deptTable(d.depts)));
  main.appendChild(el('div', { class: 'card' }, el('h2', { text: t('by_script') }), scriptTable(d.scripts)));
  main.appendChild(el('div', { class: 'card' }, el('h2', { text: t('input_points') }), pointsTable(d.points)));
}

/* --- bots (staff) ------------------------------------------------------------ */

function statusWords(job, run) {
  const st = run && job.state === 'succeeded' && run.status === 'partial' ? 'partial' : job.state;
  const parts = [t('st_' + st)];
  if (run) {
    if ((job.state === 'running' || job.state === 'leased') && run.current_step)
      parts.push(t('step_now', { s: run.current_step }));
    if (job.state === 'succeeded' && run.items) {
      parts.push(t('did_items', { n: run.items.succeeded }));
      if (run.items.failed) parts.push(t('failed_items', { n: run.items.failed }));
      if (run.items.skipped) parts.push(t('skipped_items', { n: run.items.skipped }));
    }
    if ((job.state === 'failed' || job.state === 'retrying' || job.state === 'timed_out') && run.error)
      parts.push(t('reason', { s: run.error }));
  }
  return parts.join(' — ');
}

/* The form for a script's params: types, defaults, required. */
function paramInput(p) {
  const id = 'param-' + p.name;
  let input;
  if (p.type === 'bool') {
    input = el('input', { type: 'checkbox', id, name: p.name, checked: p.default === true });
  } else if (p.type === 'enum') {
    input = el('select', { id, name: p.name, required: !!p.required },
      (p.required ? [] : [el('option', { value: '', text: '' })]).concat(
        (p.choices || []).map(c => el('option', { value: c, text: c, selected: p.default === c }))));
  } else {
    const type = p.type === 'int' || p.type === 'number' ? 'number' : p.type === 'date' ? 'date' : p.type === 'url' ? 'url' : 'text';
    input = el('input', { type, id, name: p.name, required: !!p.required,
      value: p.default === null || p.default === undefined ? '' : String(p.default) });
    if (p.type === 'int') input.step = '1';
    if (p.type === 'number') input.step = 'any';
  }
  return el('label', null,
    el('span', null, p.title || p.name, p.required ? el('span', { class: 'req', text: ' (' + t('required') + ')' }) : null),
    input,
    p.description ? el('small', { class: 'muted', text: p.description }) : null);
}

function readParams(form, params) {
  const out = {};
  for (const p of params) {
    const input = form.querySelector('[name="' + CSS.escape(p.name) + '"]');
    if (!input) continue;
    if (p.type === 'bool') { out[p.name] = input.checked; continue; }
    if (input.value === '') continue;
    if (p.type === 'int') out[p.name] = parseInt(input.value, 10);
    else if (p.type === 'number') out[p.name] = Number(input.value);
    else out[p.name] = input.value;
  }
  return out;
}

/*
 * The form to run a script with its params; send(body) makes the call
 * (default: POST /api/jobs), after() runs once it is accepted.
 */
function runDialog(script, after, send) {
  const err = el('p', { class: 'error', id: 'run-error' });
  const form = el('form', { class: 'params', id: 'run-form', method: 'dialog' },
    el('h2', { id: 'run-title', text: script.title }),
    script.description ? el('p', { class: 'muted', text: script.description }) : null,
    (script.params || []).map(paramInput), err);
  const dlg = el('dialog', { id: 'run-dialog', attrs: { 'aria-labelledby': 'run-title' } }, form);
  dlg.addEventListener('close', () => dlg.remove());	/* Escape too */
  const go = el('button', { type: 'submit', id: 'run-submit', text: t('run') });
  const cancel = el('button', { type: 'button', class: 'secondary', text: t('cancel'), on: { click: () => { dlg.close(); dlg.remove(); } } });
  form.appendChild(el('div', { class: 'toolbar' }, go, cancel));
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    err.textContent = '';
    go.disabled = true;
    try {
      const body = { script: script.name, params: readParams(form, script.params || []) };
      const res = send ? await send(body) : await api('POST', '/api/jobs', body);
      dlg.close();
      dlg.remove();
      toast(t('queued_ok') + ' (#' + res.job_id + ')');
      after();
    } catch (e) {
      err.textContent = e.message;
      go.disabled = false;
    }
  });
  document.body.appendChild(dlg);
  dlg.showModal();
}

/* The person's own jobs (the server's "mine" query), with their runs. */
async function myRuns(show) {
  const jobs = await api('GET', '/api/jobs?mine=1&limit=20');
  const mine = jobs.jobs;
  const runs = {};
  await Promise.all(mine.filter(j => j.run_id).map(async j => {
    try {
      const r = await api('GET', '/api/runs/' + j.run_id);
      const started = (r.steps || []).filter(s => s.type === 'step_start');
      r.current_step = started.length ? started[started.length - 1].step : null;
      runs[j.id] = r;
    } catch (e) { /* the run may be purged: the job's state still shows */ }
  }));
  show({ mine, runs });
}

function drawMyRuns(box, { mine, runs }) {
  clear(box).appendChild(table([
    { label: t('when'), cell: j => when(j.created_at) },
    { label: t('script'), cell: j => j.run_id ? el('a', { href: '#/run/' + j.run_id, text: j.script }) : j.script },
    { label: t('status'), cell: j => el('span', { class: 'status ' + j.state, text: statusWords(j, runs[j.id]) }) }
  ], mine, { id: 'my-runs', rowId: j => 'job-' + j.id }));
}

async function viewBots(main, r) {
  const scripts = await api('GET', '/api/scripts');
  if (!take(main, r)) return;
  main.appendChild(el('h1', { text: t('bots_title') }));
  const canRun = roleAtLeast('operator');
  const runnable = s => canRun && s.may_run !== false;
  if (!canRun) main.appendChild(el('p', { class: 'muted', id: 'viewer-note', text: t('viewer_note') }));
  const runsBox = el('div');
  const show = drawOnChange(data => drawMyRuns(runsBox, data));
  const refresh = () => myRuns(show).catch(e => { show.forget(); showError(runsBox, e); });
  const list = scripts.scripts.map(s => el('div', { class: 'card bot', attrs: { 'data-script': s.name } },
    el('h2', { class: 'bot-title', text: s.title || s.name }),
    el('p', { class: 'bot-desc', text: s.description || '' }),
    s.owner ? el('p', { class: 'muted', text: t('owner') + ': ' + s.owner }) : null,
    runnable(s) ? el('button', { type: 'button', class: 'run-now', attrs: { 'data-script': s.name }, text: t('run_now'), on: { click: () => runDialog(s, refresh) } }) : null));
  main.appendChild(list.length ? el('div', { class: 'bots', id: 'bots' }, list) : el('p', { class: 'muted', text: t('no_bots') }));
  if (canRun) {
    main.appendChild(el('h2', { text: t('my_runs') }));
    main.appendChild(runsBox);
    await refresh();
    live(r, refresh, null);
  }
}

/* --- engineers ---------------------------------------------------------------- */

const RUN_STATUSES = ['running', 'succeeded', 'partial', 'failed', 'lost', 'released', 'timed_out', 'cancelled'];

async function viewAgents(main, r) {
  const data = await api('GET', '/api/agents');
  if (!take(main, r)) return;
  main.appendChild(el('h1', { text: t('nav_agents') }));
  main.appendChild(table([
    { label: t('name'), cell: a => a.name },
    { label: t('labels'), cell: a => (a.labels || []).join(', ') },
    { label: t('status'), cell: a => el('span', { class: 'status ' + (a.online ? 'ok' : 'failed'), text: a.online ? t('online') : t('offline') }) },
    { label: t('current_job'), cell: a => (a.jobs || []).map(j => '#' + j).join(', ') },
    { label: t('last_seen'), cell: a => when(a.last_seen) },
    { label: t('version'), cell: a => a.version || '' }
  ], data.agents, { id: 'agents-table' }));
}

/* --- admins -------------------------------------------------------------------- */

async function viewTokens(main, r) {
  const data = await api('GET', '/api/tokens');
  if (!take(main, r)) return;
  main.appendChild(el('h1', { text: t('nav_tokens') }));
  main.appendChild(table([
    { label: '#', num: true, cell: x => x.id },
    { label: t('name'), cell: x => x.name },
    { label: 'kind', cell: x => x.kind },
    { label: t('role'), cell: x => x.role },
    { label: t('updated'), cell: x => when(x.created_at) },
    { label: t('last_used'), cell: x => when(x.last_used) },
    { label: t('actions'), cell: x => x.revoked ? t('revoked') : el('button', { type: 'button', class: 'secondary', text: t('revoke'), on: { click: async ev => {
      ev.stopPropagation();
      try { await api('DELETE', '/api/tokens/' + x.id); route(); } catch (e) { toast(e.message); }
    } } }) }
  ], data.tokens, { id: 'tokens-table' }));
  const name = el('input', { id: 't-name', required: true });
  const role = el('select', { id: 't-role' }, ROLES.concat(['agent']).map(r => el('option', { value: r, text: r })));
  const out = el('div');
  main.appendChild(el('div', { class: 'card' }, el('h2', { text: t('create_token') }),
    el('form', { class: 'params', on: { submit: async ev => {
      ev.preventDefault();
      clear(out);
      try {
        const res = await api('POST', '/api/tokens', { name: name.value, role: role.value });
        out.appendChild(el('p', { text: t('token_once') }));
        out.appendChild(el('p', { class: 'token-once', id: 'new-token', text: res.token }));
      } catch (e) { showError(out, e); }
    } } }, el('label', null, t('name'), name), el('label', null, t('role'), role),
      el('button', { type: 'submit', text: t('create_token') })), out));
}

async function viewKpiConf(main, r) {
  const [conf, surveys] = await Promise.all([api('GET', '/api/kpi/config'), api('GET', '/api/kpi/surveys')]);
  if (!take(main, r)) return;
  main.appendChild(el('h1', { text: t('nav_kpiconf') }));
  main.appendChild(el('p', { class: 'muted', text: conf.file || '' }));
  const tg = Object.entries(conf.targets).map(([k, v]) => ({ id: k, v }));
  const years = [...new Set(tg.flatMap(x => Object.keys(x.v)))].sort();
  main.appendChild(el('div', { class: 'grid2' },
    el('div', { class: 'card' }, el('h2', { text: t('targets') }),
      table([{ label: t('kpi'), cell: x => (state.lang === 'en' ? KPI_NAMES_EN : KPI_NAMES_JA)[x.id] || x.id }]
        .concat(years.map(y => ({ label: yearLabel(y), num: true, cell: x => x.v[y] === undefined ? '–' : fmt(x.v[y]) }))), tg),
      el('h2', { text: t('baseline') }),
      table([
        { label: t('staff_count'), num: true, cell: b => fmt(b.staff_count, 0) },
        { label: t('hours_per_staff'), num: true, cell: b => fmt(b.annual_hours_per_staff, 0) },
        { label: t('baseline') + ' (h)', num: true, cell: b => fmt(b.hours, 0) }
      ], [conf.baseline]),
      el('h2', { text: t('rates') }),
      table([
        { label: t('script'), cell: r => r.script || '*' },
        { label: t('per_item'), num: true, cell: r => fmt(r.minutes_per_failed_item) },
        { label: t('per_run'), num: true, cell: r => fmt(r.minutes_per_failed_run) }
      ], conf.exception_rates)),
    el('div', { class: 'card' }, el('h2', { text: t('departments') }),
      table([
        { label: 'code', cell: d => d.code },
        { label: t('department'), cls: d => 'indent' + d.level, cell: d => d.name + (d.name_en ? ' / ' + d.name_en : '') }
      ], conf.departments))));
  main.appendChild(el('div', { class: 'card' }, el('h2', { text: t('input_points') + ' (' + t('window_days') + ': ' + conf.input_points.window_days + ')' }),
    table([
      { label: 'id', cell: p => p.id }, { label: t('name'), cell: p => p.name },
      { label: t('system'), cell: p => p.system || '' }, { label: t('screen'), cell: p => p.screen || '' },
      { label: t('data'), cell: p => p.data || '' }, { label: t('owner'), cell: p => p.owner || '' }
    ], conf.input_points.points)));

  const dept = el('select', { id: 's-dept' }, conf.departments.map(d => el('option', { value: d.code, text: d.path })));
  const date = el('input', { id: 's-date', type: 'date', required: true });
  const resp = el('input', { id: 's-resp', type: 'number', min: '1', required: true });
  const pos = el('input', { id: 's-pos', type: 'number', min: '0', required: true });
  const msg = el('p', { class: 'error' });
  const file = el('input', { id: 's-file', type: 'file', accept: '.csv,text/csv', attrs: { 'aria-label': t('import_csv') } });
  main.appendChild(el('div', { class: 'card' }, el('h2', { text: t('surveys') }),
    table([
      { label: t('date'), cell: s => s.survey_date }, { label: t('department'), cell: s => s.department_name },
      { label: t('respondents'), num: true, cell: s => s.respondents },
      { label: t('positive'), num: true, cell: s => s.positive },
      { label: '%', num: true, cell: s => fmt(s.percent) }
    ], surveys.rows, { id: 'surveys-table' }),
    el('h2', { text: t('add_survey') }),
    el('form', { class: 'params', on: { submit: async ev => {
      ev.preventDefault();
      msg.textContent = '';
      try {
        await api('POST', '/api/kpi/surveys', { department: dept.value, date: date.value, respondents: Number(resp.value), positive: Number(pos.value) });
        route();
      } catch (e) { msg.textContent = e.message; }
    } } }, el('label', null, t('department'), dept), el('label', null, t('date'), date),
      el('label', null, t('respondents'), resp), el('label', null, t('positive'), pos),
      el('button', { type: 'submit', text: t('save') })),
    el('h2', { text: t('import_csv') }),
    el('div', { class: 'toolbar' }, file, el('button', { type: 'button', text: t('import_csv'), on: { click: async () => {
      msg.textContent = '';
      if (!file.files.length) return;
      try {
        const text = await file.files[0].text();
        const res = await api('POST', '/api/kpi/surveys/import', undefined, { type: 'text/csv', data: text });
        toast(t('imported', { n: res.imported }));
        route();
      } catch (e) { msg.textContent = e.message + (e.body && e.body.errors ? '\n' + e.body.errors.join('\n') : ''); }
    } } })), msg));
}

/* --- start ------------------------------------------------------------------ */

document.getElementById('lang').addEventListener('click', () => {
  state.lang = state.lang === 'ja' ? 'en' : 'ja';
  localStorage.setItem('kobito.lang', state.lang);
  route();
});
document.getElementById('logout').addEventListener('click', async () => {
  try { await api('DELETE', '/api/session'); } catch (e) { /* already gone */ }
  state.me = null;
  state.csrf = null;
  location.hash = '#/login';
});
window.addEventListener('hashchange', route);
route();
