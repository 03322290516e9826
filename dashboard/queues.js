/*
 * queues.js - the dashboard's work-queue views: the review inbox (staff
 * see the items of their department waiting for them, managers the counts
 * and ages per department), the review station (the scan on the left,
 * each field on the right with the bot's value, raw reading and
 * confidence; keyboard-only work), and the notifications sent.
 *
 * Loaded before app.js, whose helpers (el, t, api, table, toast, when,
 * fmt, state, take, clear) it uses when a view is drawn; app.js lists the
 * views in its table.  Same safety rules: data goes on the page only as
 * text or attribute values, never as markup; no inline script or style.
 */
'use strict';

const QWORDS = {
  ja: {
    nav_review: '確認待ち', nav_notices: '通知',
    review_title: '確認待ちの書類', review_items: 'あなたの確認待ち',
    review_depts: '部署別の状況', waiting: '確認待ち', oldest: '最も古い',
    in_progress: '処理中', new_items: '未処理', sla_breached: '期限超過',
    queue: 'キュー', reference: '書類', reason: '確認が必要な理由',
    entered: '受付', waited: '待ち時間', locked_by: '確認中の人',
    open_item: '確認する', no_review: '確認待ちの書類はありません',
    scan: '読み取った画像', fields: '項目', value: '値',
    bot_value: 'ボットの読み取り', raw: '読み取った文字', confidence: '確信度',
    status: '状態', approve: '承認して次へ', reject: '差し戻す',
    reject_reason: '差し戻しの理由', reject_do: '差し戻しを確定',
    cancel: 'キャンセル', back: '一覧へ戻る',
    zoom_in: '拡大', zoom_out: '縮小', fit: '全体', rotate: '回転',
    shortcuts: 'Tab / Shift+Tab: 項目の移動　Enter: 次の項目（最後の項目で承認）　' +
      'Ctrl+Enter: 承認して次へ　Esc: 一覧へ戻る　+ / - / 0 / R: 画像の拡大・縮小・全体・回転（画像を選んで）',
    checks_ok: 'すべての項目が様式の条件を満たしています',
    checks_bad: '{n}件の項目を直してください',
    approved: '承認しました（確認時間 {m} 分）',
    rejected: '差し戻しました（失敗・業務例外）',
    locked: 'この書類は {u} さんが確認中です',
    not_yours: 'この書類はあなたの部署の書類ではないため確認できません',
    not_waiting: 'この書類はもう確認待ちではありません',
    st_ok: '読取済み', st_missing: '空欄', st_invalid: '不正な値',
    st_low_confidence: '確信度が低い', yes: 'あり', no: 'なし',
    readings: '他の読み取り', sum: '合計の確認',
    notices_title: '通知の送信履歴', rule: 'ルール', event: '出来事',
    channel: '送信先', attempts: '試行', last_status: '結果',
    delivered: '送信済み', pending: '再送待ち', failed_n: '送信失敗',
    created: '発生', subject: '内容', minutes_label: '分'
  },
  en: {
    nav_review: 'Review', nav_notices: 'Notifications',
    review_title: 'Documents waiting for review', review_items: 'Waiting for you',
    review_depts: 'By department', waiting: 'Waiting', oldest: 'Oldest',
    in_progress: 'Being worked', new_items: 'Not started', sla_breached: 'Past deadline',
    queue: 'Queue', reference: 'Document', reason: 'Why it needs a person',
    entered: 'Since', waited: 'Waiting', locked_by: 'Open by',
    open_item: 'Review', no_review: 'Nothing is waiting for review',
    scan: 'The scan', fields: 'Fields', value: 'Value',
    bot_value: 'The bot read', raw: 'Raw reading', confidence: 'Confidence',
    status: 'Status', approve: 'Approve and next', reject: 'Reject',
    reject_reason: 'Why it is rejected', reject_do: 'Reject it',
    cancel: 'Cancel', back: 'Back to the list',
    zoom_in: 'Zoom in', zoom_out: 'Zoom out', fit: 'Fit', rotate: 'Rotate',
    shortcuts: 'Tab / Shift+Tab: move between fields.  Enter: next field (approves on the last).  ' +
      'Ctrl+Enter: approve and go to the next.  Esc: back to the list.  + / - / 0 / R on the scan: zoom, fit, rotate.',
    checks_ok: 'Every field passes the form\'s checks',
    checks_bad: 'Correct {n} field(s)',
    approved: 'Approved ({m} min of review)',
    rejected: 'Rejected (failed, business exception)',
    locked: '{u} has this document open',
    not_yours: 'This document belongs to another department: you cannot review it',
    not_waiting: 'This document is no longer waiting for review',
    st_ok: 'read', st_missing: 'empty', st_invalid: 'invalid',
    st_low_confidence: 'low confidence', yes: 'yes', no: 'no',
    readings: 'Other readings', sum: 'Sum check',
    notices_title: 'Notifications sent', rule: 'Rule', event: 'Event',
    channel: 'To', attempts: 'Tries', last_status: 'Result',
    delivered: 'delivered', pending: 'to retry', failed_n: 'failed',
    created: 'When', subject: 'What', minutes_label: 'min'
  }
};

function qt(key, vars) {
  let s = (QWORDS[state.lang] && QWORDS[state.lang][key]) || QWORDS.ja[key] || key;
  if (vars)
    for (const k of Object.keys(vars))
      s = s.split('{' + k + '}').join(String(vars[k]));
  return s;
}

function ageText(ms) {
  if (ms === null || ms === undefined) return '–';
  const s = Math.round(ms / 1000);
  const ja = state.lang === 'ja';
  if (s < 120) return s + (ja ? '秒' : ' s');
  if (s < 7200) return Math.round(s / 60) + (ja ? '分' : ' min');
  if (s < 172800) return Math.round(s / 3600) + (ja ? '時間' : ' h');
  return Math.round(s / 86400) + (ja ? '日' : ' d');
}

/*
 * Draw the view r again when what url answers differs from data, the
 * view's own reading, each time the scheduler says something changed
 * (live(), in console.js: a long poll, no timer).  The ages (the *_ms
 * counts) grow by themselves and are no change.
 */
function following(r, url, data) {
  const sig = d => JSON.stringify(d, (k, v) => /_ms$/.test(k) ? undefined : v);
  const drawn = sig(data);
  live(r, async () => {
    const now = await api('GET', url);
    if (r.current() && sig(now) !== drawn) route();
  });
}

/* --- the inbox ------------------------------------------------------------- */

async function viewReview(main, r) {
  const data = await api('GET', '/api/review?limit=200');
  if (!take(main, r)) return;
  main.appendChild(el('h1', { text: qt('review_title') }));
  if (roleAtLeast('operator')) {
    main.appendChild(el('h2', { text: qt('review_items') }));
    main.appendChild(table([
      { label: qt('entered'), cell: x => when(x.entered_at) },
      { label: qt('queue'), cell: x => x.title || x.queue },
      { label: qt('reference'), cell: x => el('a', { href: '#/reviewitem/' + x.id, text: x.reference || ('#' + x.id), class: 'review-open', attrs: { 'data-item': x.id } }) },
      { label: qt('reason'), cell: x => x.reason || '' },
      { label: qt('waited'), num: true, cell: x => ageText(x.waiting_ms) },
      { label: qt('locked_by'), cell: x => x.locked_by || '' }
    ], data.items, { id: 'review-items', rowId: x => 'review-item-' + x.id }));
    if (data.items.length === 0)
      main.appendChild(el('p', { class: 'muted', id: 'review-empty', text: qt('no_review') }));
  }
  main.appendChild(el('h2', { text: qt('review_depts') }));
  main.appendChild(table([
    { label: t('department'), cell: x => x.department_path || x.department },
    { label: qt('queue'), cell: x => x.queue },
    { label: qt('waiting'), num: true, cell: x => fmt(x.waiting, 0) },
    { label: qt('oldest'), num: true, cell: x => ageText(x.oldest_ms) },
    { label: qt('new_items'), num: true, cell: x => fmt(x.new, 0) },
    { label: qt('in_progress'), num: true, cell: x => fmt(x.in_progress, 0) },
    { label: qt('sla_breached'), num: true, cls: x => x.sla_breached > 0 ? 'bad' : '', cell: x => fmt(x.sla_breached, 0) }
  ], data.departments, { id: 'review-departments' }));
  const first = main.querySelector('a.review-open');
  if (first) first.focus();
  following(r, '/api/review?limit=200', data);
}

/* --- the review station ------------------------------------------------------- */

/* Fields in the order a person should check them: doubtful first. */
function fieldOrder(fields) {
  const rank = f => (f.status && f.status !== 'ok' ? 0 : 1);
  return Object.keys(fields).sort((a, b) => {
    const fa = fields[a], fb = fields[b];
    return rank(fa) - rank(fb) ||
      (fa.confidence === undefined ? 100 : fa.confidence) -
      (fb.confidence === undefined ? 100 : fb.confidence) ||
      a.localeCompare(b);
  });
}

/* The text a field's input starts with: the bot's value, else its reading. */
function startText(f) {
  if (f.value === null || f.value === undefined) return f.raw || '';
  if (typeof f.value === 'number' && Number.isInteger(f.decimals) && f.decimals >= 0 &&
      !Number.isInteger(f.value))
    return f.value.toFixed(f.decimals);
  return String(f.value);
}

/* The scheduler's reasons (the template's checks), in the page's language. */
const QREASONS = [
  [/^required$/, '必須の項目です'],
  [/^not an amount/, '金額として読めません'],
  [/^not a number/, '数値として読めません'],
  [/^not a date/, '日付として読めません'],
  [/^not an era date/, '和暦の日付として読めません'],
  [/^not a phone number/, '電話番号として読めません'],
  [/^not a postal code/, '郵便番号として読めません'],
  [/^not one of the listed codes/, '決められた値ではありません'],
  [/^does not match the pattern/, '形式が違います'],
  [/decimals where/, '小数の桁数が違います'],
  [/^characters outside/, '使えない文字があります'],
  [/^does not add up/, '合計が合いません'],
  [/^does not match the product/, '掛け算が合いません'],
  [/^is not the tax/, '税額が合いません'],
  [/^expected yes or no/, 'あり・なしを選んでください']
];

function reasonText(msg) {
  if (state.lang !== 'ja') return msg;
  for (const [re, ja] of QREASONS)
    if (re.test(msg)) return ja + '（' + msg + '）';
  return msg;
}

/* The scan: zoom, pan, rotate, and the fields' boxes over it. */
class ScanView {
  constructor(src, fields, alt) {
    this.scale = 1;
    this.rot = 0;
    this.dx = 0;
    this.dy = 0;
    this.boxes = {};
    this.img = el('img', { src, alt, class: 'scan-img', draggable: false });
    this.layer = el('div', { class: 'scan-layer' }, this.img);
    for (const name of Object.keys(fields)) {
      const b = fields[name].box;
      if (!Array.isArray(b) || b.length !== 4) continue;
      const box = el('div', { class: 'scan-box', attrs: { 'data-field': name, 'aria-hidden': 'true' } });
      box.style.left = b[0] + 'px';
      box.style.top = b[1] + 'px';
      box.style.width = b[2] + 'px';
      box.style.height = b[3] + 'px';
      this.boxes[name] = box;
      this.layer.appendChild(box);
    }
    this.frame = el('div', { class: 'scan-frame', tabIndex: 0, id: 'scan',
      attrs: { role: 'img', 'aria-label': alt } }, this.layer);
    this.frame.addEventListener('keydown', ev => this.key(ev));
    this.frame.addEventListener('wheel', ev => {
      ev.preventDefault();
      this.zoom(ev.deltaY < 0 ? 1.2 : 1 / 1.2);
    }, { passive: false });
    this.frame.addEventListener('pointerdown', ev => this.drag(ev));
    this.img.addEventListener('load', () => this.fit());
  }

  apply() {
    this.layer.style.transform = 'translate(' + this.dx + 'px, ' + this.dy + 'px) rotate(' +
      this.rot + 'deg) scale(' + this.scale + ')';
  }

  fit() {
    const w = this.img.naturalWidth || 1, h = this.img.naturalHeight || 1;
    const fw = this.frame.clientWidth || 600, fh = this.frame.clientHeight || 800;
    const turned = this.rot % 180 !== 0;
    this.scale = Math.min(fw / (turned ? h : w), fh / (turned ? w : h));
    this.layer.style.width = w + 'px';
    this.layer.style.height = h + 'px';
    this.dx = (fw - w * this.scale) / 2;
    this.dy = (fh - h * this.scale) / 2;
    if (turned) {
      this.dx = (fw - w * this.scale) / 2;
      this.dy = (fh - h * this.scale) / 2;
    }
    this.apply();
  }

  zoom(f) {
    const fw = this.frame.clientWidth / 2, fh = this.frame.clientHeight / 2;
    /* Keep the middle of the frame where it is. */
    this.dx = fw - (fw - this.dx) * f;
    this.dy = fh - (fh - this.dy) * f;
    this.scale *= f;
    this.apply();
  }

  rotate() {
    this.rot = (this.rot + 90) % 360;
    this.fit();
  }

  pan(x, y) {
    this.dx += x;
    this.dy += y;
    this.apply();
  }

  key(ev) {
    const step = 60;
    const keys = {
      '+': () => this.zoom(1.25), '=': () => this.zoom(1.25), '-': () => this.zoom(0.8),
      '0': () => this.fit(), 'r': () => this.rotate(), 'R': () => this.rotate(),
      ArrowLeft: () => this.pan(step, 0), ArrowRight: () => this.pan(-step, 0),
      ArrowUp: () => this.pan(0, step), ArrowDown: () => this.pan(0, -step)
    };
    if (keys[ev.key] && !ev.ctrlKey && !ev.altKey && !ev.metaKey) {
      ev.preventDefault();
      keys[ev.key]();
    }
  }

  drag(ev) {
    const x0 = ev.clientX, y0 = ev.clientY, dx0 = this.dx, dy0 = this.dy;
    const move = e => { this.dx = dx0 + e.clientX - x0; this.dy = dy0 + e.clientY - y0; this.apply(); };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  /* Highlight a field's box and bring it into the middle of the frame. */
  show(name) {
    for (const [n, b] of Object.entries(this.boxes))
      b.classList.toggle('active', n === name);
    const b = this.boxes[name];
    if (!b || this.rot !== 0) return;
    const cx = (parseFloat(b.style.left) + parseFloat(b.style.width) / 2) * this.scale;
    const cy = (parseFloat(b.style.top) + parseFloat(b.style.height) / 2) * this.scale;
    const want = Math.max(this.scale, Math.min(1.2,
      this.frame.clientWidth / (parseFloat(b.style.width) * 2.2)));
    if (want > this.scale) {
      this.scale = want;
      return this.show(name);
    }
    this.dx = this.frame.clientWidth / 2 - cx;
    this.dy = this.frame.clientHeight / 2 - cy;
    this.apply();
  }
}

/* The input for one field: text, or yes/no for a seal. */
function fieldInput(name, f, id) {
  if (f.kind === 'seal') {
    const sel = el('select', { id, name },
      el('option', { value: 'true', text: qt('yes') }),
      el('option', { value: 'false', text: qt('no') }));
    sel.value = f.value === true ? 'true' : 'false';
    return sel;
  }
  return el('input', { id, name, value: startText(f), autocomplete: 'off',
    spellcheck: false, attrs: { 'aria-describedby': id + '-read ' + id + '-err' } });
}

function inputValue(f, input) {
  if (f.kind === 'seal') return input.value === 'true';
  return input.value;
}

async function nextItemId(except) {
  const data = await api('GET', '/api/review?limit=200');
  const me = state.me && state.me.name;
  const next = data.items.find(x => x.id !== except && (!x.locked_by || x.locked_by === me));
  return next ? next.id : null;
}

async function viewReviewItem(main, r) {
  const id = Number(r.arg);
  let item;
  try {
    item = await api('POST', '/api/queue-items/' + id + '/open', {});
  } catch (e) {
    if (!take(main, r)) return;
    const why = e.status === 403 ? qt('not_yours') :
      e.status === 423 ? qt('locked', { u: (e.message.match(/open by (.*)$/) || [])[1] || '' }) :
        e.status === 409 ? qt('not_waiting') : e.message;
    main.appendChild(el('h1', { text: qt('review_title') }));
    main.appendChild(el('p', { class: 'error', id: 'review-refused', attrs: { role: 'alert' }, text: why }));
    main.appendChild(el('a', { href: '#/review', class: 'button secondary', text: qt('back') }));
    return;
  }
  if (!take(main, r)) {
    api('POST', '/api/queue-items/' + id + '/close', {}).catch(() => {});
    return;
  }
  const review = item.review || {};
  const fields = review.fields || {};
  const order = fieldOrder(fields);
  const inputs = {};
  let closed = false;

  /* Leaving the page without a decision hands the item back. */
  const release = () => {
    if (closed) return;
    closed = true;
    window.removeEventListener('hashchange', release);
    fetch('/api/queue-items/' + id + '/close', { method: 'POST', keepalive: true,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': state.csrf }, body: '{}' })
      .catch(() => {});
  };
  window.addEventListener('hashchange', release);
  /* Keep it ours while the page is open. */
  state.timers.push(setInterval(() => {
    if (!closed) api('POST', '/api/queue-items/' + id + '/open', {}).catch(() => {});
  }, 30000));

  const scan = new ScanView('/api/queue-items/' + id + '/files/' + encodeURIComponent(review.image || ''),
    fields, qt('scan') + ': ' + (item.reference || ''));
  const toolbar = el('div', { class: 'toolbar scan-tools' },
    el('button', { type: 'button', class: 'secondary', text: qt('zoom_in'), on: { click: () => scan.zoom(1.25) } }),
    el('button', { type: 'button', class: 'secondary', text: qt('zoom_out'), on: { click: () => scan.zoom(0.8) } }),
    el('button', { type: 'button', class: 'secondary', text: qt('fit'), on: { click: () => scan.fit() } }),
    el('button', { type: 'button', class: 'secondary', text: qt('rotate'), on: { click: () => scan.rotate() } }));

  const summary = el('p', { id: 'review-summary', attrs: { 'aria-live': 'polite' } });
  const rows = order.map((name, i) => {
    const f = fields[name];
    const fid = 'field-' + i;
    const input = fieldInput(name, f, fid);
    inputs[name] = input;
    input.addEventListener('focus', () => {
      scan.show(name);
      for (const row of form.querySelectorAll('.field')) row.classList.toggle('active', row.dataset.field === name);
    });
    input.addEventListener('input', () => recheck());
    input.addEventListener('change', () => recheck());
    input.addEventListener('keydown', ev => {
      if (ev.key !== 'Enter') return;
      ev.preventDefault();
      if (ev.ctrlKey || ev.metaKey) return approve();
      const next = inputs[order[i + 1]];
      if (next) next.focus(); else approve();
    });
    const conf = f.confidence === undefined || f.confidence === null ? '–' : fmt(f.confidence, 1) + '%';
    const readings = Array.isArray(f.readings) && f.readings.length > 0 ?
      el('details', { class: 'readings' }, el('summary', { text: qt('readings') }),
        el('ul', null, f.readings.map(x => el('li', { text: (x.by || '') + ': ' + (x.raw || '') +
          (x.confidence !== undefined ? ' (' + fmt(x.confidence, 1) + '%)' : '') })))) : null;
    const row = el('div', { class: 'field' + (f.status && f.status !== 'ok' ? ' doubtful' : ''),
      attrs: { 'data-field': name } },
      el('label', { htmlFor: fid, class: 'field-name', text: f.label ? name + '（' + f.label + '）' : name }),
      input,
      el('div', { class: 'field-read', id: fid + '-read' },
        el('span', { text: qt('bot_value') + ': ' + (f.value === null || f.value === undefined ? '–' : String(f.value)) }),
        el('span', { text: qt('raw') + ': ' + (f.raw || '–') }),
        el('span', { class: 'conf', text: qt('confidence') + ': ' + conf }),
        el('span', { class: 'status ' + (f.status || ''), text: qt('st_' + (f.status || 'ok')) +
          (f.reason ? '（' + f.reason + '）' : '') })),
      el('div', { class: 'field-err error', id: fid + '-err', attrs: { 'aria-live': 'polite' } }),
      readings);
    row.addEventListener('click', ev => { if (ev.target === row) input.focus(); });
    return row;
  });

  const approveBtn = el('button', { type: 'submit', id: 'review-approve', text: qt('approve') });
  const rejectReason = el('textarea', { id: 'review-reject-reason', rows: 2 });
  const rejectBox = el('div', { class: 'reject-box', hidden: true },
    el('label', { htmlFor: 'review-reject-reason', text: qt('reject_reason') }), rejectReason,
    el('div', { class: 'toolbar' },
      el('button', { type: 'button', id: 'review-reject-do', class: 'danger', text: qt('reject_do'), on: { click: () => reject() } }),
      el('button', { type: 'button', class: 'secondary', text: qt('cancel'), on: { click: () => { rejectBox.hidden = true; } } })));
  const form = el('form', { id: 'review-form', class: 'review-fields', noValidate: true,
    on: { submit: ev => { ev.preventDefault(); approve(); } } },
    el('h2', { text: qt('fields') }), rows, summary,
    el('div', { class: 'toolbar' }, approveBtn,
      el('button', { type: 'button', id: 'review-reject', class: 'secondary', text: qt('reject'),
        on: { click: () => { rejectBox.hidden = false; rejectReason.focus(); } } }),
      el('a', { href: '#/review', class: 'button secondary', text: qt('back') })),
    rejectBox);

  main.appendChild(el('h1', { text: (item.reference || '#' + id) + ' – ' + (review.reason || qt('review_title')) }));
  main.appendChild(el('p', { class: 'hint', id: 'review-shortcuts', text: qt('shortcuts') }));
  main.appendChild(el('div', { class: 'review' },
    el('section', { class: 'review-scan', attrs: { 'aria-label': qt('scan') } }, toolbar, scan.frame),
    el('section', { class: 'review-side' }, form)));
  main.addEventListener('keydown', ev => {
    if (ev.key === 'Escape' && rejectBox.hidden) { ev.preventDefault(); location.hash = '#/review'; }
  });

  const values = () => {
    const v = {};
    for (const name of order) v[name] = inputValue(fields[name], inputs[name]);
    return v;
  };
  const showResult = res => {
    const errs = (res && res.errors) || {};
    let n = 0;
    order.forEach((name, i) => {
      const err = errs[name] || '';
      const box = document.getElementById('field-' + i + '-err');
      if (box) box.textContent = err ? reasonText(err) : '';
      inputs[name].setAttribute('aria-invalid', err ? 'true' : 'false');
      if (err) n++;
    });
    summary.textContent = n === 0 ? qt('checks_ok') : qt('checks_bad', { n });
    summary.className = n === 0 ? 'ok' : 'error';
    approveBtn.disabled = n > 0;
    return n;
  };
  let seq = 0;
  const recheck = async () => {
    const mine = ++seq;
    try {
      const res = await api('POST', '/api/queue-items/' + id + '/check', { values: values() });
      if (mine === seq && r.current()) showResult(res);
    } catch (e) { /* shown on approval */ }
  };
  const go = async () => {
    const next = await nextItemId(id);
    location.hash = next ? '#/reviewitem/' + next : '#/review';
  };
  let busy = false;
  const approve = async () => {
    if (busy) return;
    busy = true;
    try {
      const res = await api('POST', '/api/queue-items/' + id + '/approve', { values: values() });
      closed = true;
      window.removeEventListener('hashchange', release);
      toast(qt('approved', { m: fmt(res.minutes, 1) }));
      await go();
    } catch (e) {
      if (e.status === 422 && e.body) {
        const n = showResult(e.body);
        const first = order.find(name => e.body.errors && e.body.errors[name]);
        if (first) inputs[first].focus();
        if (!n) toast(e.message);
      } else {
        toast(e.message);
      }
    } finally {
      busy = false;
    }
  };
  const reject = async () => {
    const why = rejectReason.value.trim();
    if (!why) { rejectReason.focus(); return; }
    try {
      await api('POST', '/api/queue-items/' + id + '/reject', { reason: why });
      closed = true;
      window.removeEventListener('hashchange', release);
      toast(qt('rejected'));
      await go();
    } catch (e) {
      toast(e.message);
    }
  };
  /* The keyboard is on the doubtful field at once; the check follows. */
  if (order.length > 0) inputs[order[0]].focus();
  await recheck();
}

/* --- notifications ---------------------------------------------------------------- */

async function viewNotices(main, r) {
  const data = await api('GET', '/api/notifications/deliveries?limit=200');
  if (!take(main, r)) return;
  main.appendChild(el('h1', { text: qt('notices_title') }));
  main.appendChild(table([
    { label: qt('created'), cell: x => when(x.created_at) },
    { label: qt('rule'), cell: x => x.rule },
    { label: qt('event'), cell: x => x.event },
    { label: qt('subject'), cell: x => x.subject || '' },
    { label: qt('channel'), cell: x => x.channel + (x.target ? ' ' + x.target : '') },
    { label: qt('attempts'), num: true, cell: x => fmt(x.attempts, 0) },
    { label: qt('last_status'), cls: x => 'status ' + (x.state === 'delivered' ? 'ok' : x.state === 'failed' ? 'failed' : 'queued'),
      cell: x => qt(x.state === 'delivered' ? 'delivered' : x.state === 'failed' ? 'failed_n' : 'pending') +
        (x.last_status ? ' (' + x.last_status + ')' : '') + (x.last_error ? ' ' + x.last_error : '') }
  ], data.deliveries, { id: 'notice-deliveries' }));
  following(r, '/api/notifications/deliveries?limit=200', data);
}
