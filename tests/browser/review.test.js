/*
 * review.test.js - the review station in a real browser (headless
 * Chromium through playwright-core), against the scheduler, agent and
 * stand-in finance screen that tests/e2e/review_browser.sh starts.
 *
 * Scenarios: a reviewer of another department sees nothing of the item
 * and is refused on its page and by the API; a staff member of the
 * queue's department finds the item in her inbox, opens it and corrects
 * the total with the keyboard alone - the doubtful field first, its box
 * highlighted on the scan - a total that does not add up is refused
 * before approval, the right one is approved with Ctrl+Enter.
 *
 * Environment: as lib.js, plus ITEM (the item's id) and TOTAL (the total
 * printed on the scan).
 */
'use strict';

const { URL, check, browserFor, login, shot, open, runScenarios } = require('./lib');

const ITEM = process.env.ITEM;
const TOTAL = process.env.TOTAL;

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

  ['a staff member corrects the total with the keyboard alone and approves it', async () => {
    const { context, page } = await browserFor('hanako');
    try {
      await login(page, 'hanako');
      await open(page, '#/review', '#review-item-' + ITEM);
      check('the inbox opens with the first item ready for Enter',
        (await page.evaluate(() => document.activeElement.dataset.item)) === ITEM);
      await shot(page, 'review-inbox');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#review-form');
      await page.waitForFunction(() => {
        const img = document.querySelector('.scan-img');
        return img && img.complete && img.naturalWidth > 1000;
      });
      check('the scan is shown', true);
      const first = await page.getAttribute('.field', 'data-field');
      check('the doubtful field comes first', first === 'total', first);
      check('and has the keyboard', (await focused(page)) === 'total', await focused(page));
      check('its box is highlighted on the scan',
        (await page.$('.scan-box.active[data-field="total"]')) !== null);
      const read = await page.textContent('.field[data-field="total"] .field-read');
      check('with what the bot read and how sure it was', read.includes('確信度') && read.includes('読み取った文字'), read);
      await page.waitForSelector('#review-summary.error');
      await shot(page, 'review-station');

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
      await page.waitForFunction(() => location.hash === '#/review');
      const note = await page.textContent('#toast');
      check('approved, with the time it took', note.includes('承認しました'), note);
      await page.waitForSelector('#review-items');
      check('nothing is left waiting for her', (await page.$('#review-item-' + ITEM)) === null);
      await shot(page, 'review-done');
      check('no script errors on the page', page.errors.length === 0, page.errors.join('; '));
    } finally {
      await context.close();
    }
  }]
];

if (!ITEM || !TOTAL) {
  console.error('review.test.js: set ITEM and TOTAL');
  process.exit(2);
}
runScenarios('review.test.js', scenarios);
