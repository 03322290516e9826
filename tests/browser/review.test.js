/*
 * review.test.js - the review station in a real browser (headless
 * Chromium through playwright-core), against the scheduler, agent and
 * stand-in finance screen that tests/e2e/review_browser.sh starts.
 *
 * Scenarios: a reviewer of another department sees nothing of the item
 * and is refused on its page and by the API; the inbox shows an item
 * taken and handed back as it happens (a long poll, not a timer); a
 * staff member of the
 * queue's department finds the item in her inbox, opens it and corrects
 * the total with the keyboard alone - the doubtful field first, its box
 * highlighted on the scan - a total that does not add up is refused
 * before approval, the right one is approved with Ctrl+Enter, which goes
 * on to the next page waiting (a letter), rejected with a reason.  On the
 * way, the scan zooms, turns and pans by its keys, a field clicked shows
 * its box, and the department's figures count what waits.  An engineer
 * of the department sees the notification of the letter waiting among
 * the deliveries.
 *
 * Environment: as lib.js, plus ITEM (the item's id), TOTAL (the total
 * printed on the scan) and LETTER (the id of a second item waiting).
 */
'use strict';

const { URL, check, browserFor, login, shot, open, axe, runScenarios } = require('./lib');

const ITEM = process.env.ITEM;
const TOTAL = process.env.TOTAL;
const LETTER = process.env.LETTER;

/* POST path as the page's own user, with the session's CSRF token. */
async function postAs(page, path, body) {
  return page.evaluate(async ([p, b]) => {
    const s = await (await fetch('/api/session')).json();
    const res = await fetch(p, { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token },
      body: JSON.stringify(b) });
    return { status: res.status, body: await res.json() };
  }, [path, body]);
}

/* The scan's transform: translate, rotate and scale, as numbers. */
async function scanPose(page) {
  const t = await page.evaluate(() => document.querySelector('.scan-layer').style.transform);
  const m = /translate\(([-\d.e]+)px, ([-\d.e]+)px\) rotate\((\d+)deg\) scale\(([\d.e]+)\)/.exec(t);
  if (!m) throw new Error('the scan has no transform: ' + t);
  return { dx: Number(m[1]), dy: Number(m[2]), rot: Number(m[3]), scale: Number(m[4]) };
}

/* The name of the focused field's input, or the focused element's id. */
async function focused(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    return e ? (e.name || e.id || e.tagName) : null;
  });
}

const scenarios = [
  ['a reviewer of another department is refused, on the page and by the API', async () => {
    const { context, page } = await browserFor('jiro');
    try {
      await login(page, 'jiro');
      await open(page, '#/review', '#review-items');
      check('the item is not in his inbox',
        (await page.$('#review-item-' + ITEM)) === null);
      await open(page, '#/reviewitem/' + ITEM, '#review-refused');
      const why = await page.textContent('#review-refused');
      check('its page says it belongs to another department', why.includes('部署の書類ではない'), why);
      check('and shows no field to fill in', (await page.$('#review-form')) === null);
      await shot(page, 'review-refused');
      const opened = await postAs(page, '/api/queue-items/' + ITEM + '/open', {});
      check('the API refuses to open it', opened.status === 403, JSON.stringify(opened));
      const approved = await postAs(page, '/api/queue-items/' + ITEM + '/approve',
        { values: { total: TOTAL } });
      check('and to approve it', approved.status === 403, JSON.stringify(approved));
      check('no script errors on the page', page.errors.length === 0, page.errors.join('; '));
    } finally {
      await context.close();
    }
  }],

  ['the inbox follows what happens, without polling', async () => {
    const { context, page } = await browserFor('hanako');
    try {
      await login(page, 'hanako');
      await open(page, '#/review', '#review-item-' + ITEM);
      const lockedBy = () => page.evaluate(id => {
        const row = document.getElementById('review-item-' + id);
        return row ? row.cells[5].textContent.trim() : null;
      }, ITEM);
      check('nobody has the item yet', (await lockedBy()) === '', await lockedBy());
      /* Taken and handed back elsewhere: the row shows it within seconds
       * (a page that polled every half minute would not). */
      let res = await postAs(page, '/api/queue-items/' + ITEM + '/open', {});
      check('the item is taken', res.status === 200, JSON.stringify(res));
      await page.waitForFunction(id => {
        const row = document.getElementById('review-item-' + id);
        return row && row.cells[5].textContent.trim() === 'hanako';
      }, ITEM, { timeout: 10000 });
      check('the inbox shows who has it', (await lockedBy()) === 'hanako', await lockedBy());
      res = await postAs(page, '/api/queue-items/' + ITEM + '/close', {});
      check('the item is handed back', res.status === 200, JSON.stringify(res));
      await page.waitForFunction(id => {
        const row = document.getElementById('review-item-' + id);
        return row && row.cells[5].textContent.trim() === '';
      }, ITEM, { timeout: 10000 });
      check('and that nobody has it again', (await lockedBy()) === '', await lockedBy());
      check('no script errors on the page', page.errors.length === 0, page.errors.join('; '));
    } finally {
      await context.close();
    }
  }],

  ['a staff member corrects the total with the keyboard alone, approves it and rejects the next page', async () => {
    const { context, page } = await browserFor('hanako');
    try {
      await login(page, 'hanako');
      await open(page, '#/review', '#review-item-' + ITEM);
      check('the inbox opens with the first item ready for Enter',
        (await page.evaluate(() => document.activeElement.dataset.item)) === ITEM);
      check('the letter waits after it', (await page.$('#review-item-' + LETTER)) !== null);
      const depts = await page.$$eval('#review-departments tbody tr',
        rows => rows.map(r => [...r.cells].map(c => c.textContent.trim())));
      check('the department\'s figures: one waiting in each queue',
        depts.length === 2 && depts.every(r => r[2] === '1'), JSON.stringify(depts));
      await shot(page, 'review-inbox');
      let v = await axe(page);
      check('axe: the inbox', v.length === 0, v.join('; '));
      await page.keyboard.press('Enter');
      await page.waitForSelector('#review-form');
      await page.waitForFunction(() => {
        const img = document.querySelector('.scan-img');
        return img && img.complete && img.naturalWidth > 1000;
      });
      check('the scan is shown', true);
      v = await axe(page);
      check('axe: the item\'s page', v.length === 0, v.join('; '));
      const first = await page.getAttribute('.field', 'data-field');
      check('the doubtful field comes first', first === 'total', first);
      check('and has the keyboard', (await focused(page)) === 'total', await focused(page));
      check('its box is highlighted on the scan',
        (await page.$('.scan-box.active[data-field="total"]')) !== null);
      const read = await page.textContent('.field[data-field="total"] .field-read');
      check('with what the bot read and how sure it was', read.includes('確信度') && read.includes('読み取った文字'), read);
      await page.waitForSelector('#review-summary.error');
      await shot(page, 'review-station');

      /* The scan by its keys: zoom, turn, pan, fit. */
      await page.focus('#scan');
      const p0 = await scanPose(page);
      await page.keyboard.press('+');
      const p1 = await scanPose(page);
      check('+ zooms in', Math.abs(p1.scale / p0.scale - 1.25) < 0.01, JSON.stringify([p0, p1]));
      await page.keyboard.press('r');
      check('R turns the page a quarter', (await scanPose(page)).rot === 90);
      for (let i = 0; i < 3; i++) await page.keyboard.press('r');
      const p2 = await scanPose(page);
      check('four turns bring it back', p2.rot === 0);
      await page.keyboard.press('ArrowLeft');
      check('an arrow pans it', Math.abs((await scanPose(page)).dx - p2.dx - 60) < 0.01);
      await page.keyboard.press('0');
      check('0 fits the page again', Math.abs((await scanPose(page)).scale - p2.scale) < 0.001);

      /* A field clicked shows its box, and only its. */
      const other = await page.evaluate(() => [...document.querySelectorAll('.field')]
        .map(f => f.dataset.field)
        .find(n => n !== 'total' && document.querySelector('.scan-box[data-field="' + n + '"]')));
      check('another field has a box on the scan', !!other, String(other));
      await page.click('.field[data-field="' + other + '"] input');
      check('clicking it highlights its box',
        (await page.$$eval('.scan-box.active', bs => bs.map(b => b.dataset.field))).join() === other);
      await page.click('.field[data-field="total"] input');
      check('and the total\'s again when it is clicked',
        (await page.$$eval('.scan-box.active', bs => bs.map(b => b.dataset.field))).join() === 'total');

      /* A total that does not add up is refused before approval. */
      await page.keyboard.press('Control+A');
      await page.keyboard.type('1.00');
      await page.keyboard.press('Control+Enter');
      await page.waitForFunction(() => {
        const e = document.getElementById('field-0-err');
        return e && /合計が合いません/.test(e.textContent);
      });
      check('a wrong total is refused, the field says why', page.url().includes('#/reviewitem/' + ITEM));
      check('the focus stays on the field to correct', (await focused(page)) === 'total');

      /* The printed total, then Tab through a field and back, then approve. */
      await page.keyboard.press('Control+A');
      await page.keyboard.type(TOTAL);
      await page.waitForSelector('#review-summary.ok');
      await page.keyboard.press('Tab');
      check('Tab goes on to the next field', (await focused(page)) !== 'total');
      await page.keyboard.press('Shift+Tab');
      check('Shift+Tab comes back', (await focused(page)) === 'total');
      await page.keyboard.press('Control+Enter');
      await page.waitForFunction(id => location.hash === '#/reviewitem/' + id, LETTER);
      const note = await page.textContent('#toast');
      check('approved, with the time it took, and on to the next page', note.includes('承認しました'), note);

      /* The letter: its field has the keyboard; rejected with a reason. */
      await page.waitForSelector('#review-form');
      await page.waitForFunction(() => document.activeElement && document.activeElement.name === 'sender');
      check('the next page\'s doubtful field has the keyboard', true);
      await page.keyboard.press('Tab');
      for (let i = 0; i < 10 && !['review-approve', 'review-reject'].includes(await focused(page)); i++)
        await page.keyboard.press('Tab');
      if ((await focused(page)) === 'review-approve') await page.keyboard.press('Tab');
      check('Tab reaches the reject button', (await focused(page)) === 'review-reject', await focused(page));
      await page.keyboard.press('Enter');
      check('which asks why', (await focused(page)) === 'review-reject-reason', await focused(page));
      await page.keyboard.type('a letter, not an invoice');
      await page.keyboard.press('Tab');
      check('Tab goes on to confirm it', (await focused(page)) === 'review-reject-do', await focused(page));
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => location.hash === '#/review');
      const note2 = await page.textContent('#toast');
      check('rejected, as a business exception', note2.includes('差し戻しました'), note2);
      await page.waitForSelector('#review-items');
      check('nothing is left waiting for her', (await page.$('#review-item-' + ITEM)) === null &&
        (await page.$('#review-item-' + LETTER)) === null);
      await shot(page, 'review-done');
      check('no script errors on the page', page.errors.length === 0, page.errors.join('; '));
    } finally {
      await context.close();
    }
  }],

  ['an engineer sees the notifications delivered', async () => {
    const { context, page } = await browserFor('kenji');
    try {
      await login(page, 'kenji');
      await open(page, '#/notices', '#notice-deliveries');
      const rows = await page.$$eval('#notice-deliveries tbody tr',
        trs => trs.map(r => [...r.cells].map(c => c.textContent.trim())));
      const row = rows.find(r => r[1] === 'letters-waiting');
      check('the letter\'s waiting is listed', !!row, JSON.stringify(rows));
      check('for its event and webhook', row[2] === 'review_waiting' && row[4].startsWith('webhook team_hook'),
        JSON.stringify(row));
      check('delivered at the first attempt', row[5] === '1' && row[6] === '送信済み (200)', JSON.stringify(row));
      await shot(page, 'notices');
      check('no script errors on the page', page.errors.length === 0, page.errors.join('; '));
    } finally {
      await context.close();
    }
  }]
];

if (!ITEM || !TOTAL || !LETTER) {
  console.error('review.test.js: set ITEM, TOTAL and LETTER');
  process.exit(2);
}
runScenarios('review.test.js', scenarios);
