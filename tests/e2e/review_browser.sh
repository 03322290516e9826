#!/bin/sh
# review_browser.sh - the review station in headless Chromium, end to end
# with every part real: an invoice scan whose total is scribbled over is
# read by the dispatcher (OCR) and goes to the invoice queue; the
# performer (started by the queue) cannot trust it and sends it to the
# review station; a staff member of the queue's department opens it,
# corrects the total with the keyboard alone (a wrong sum refused first)
# and approves; the performer enters it into the stand-in finance screen
# on a private display.  The value that arrived is the corrected one, and
# the reviewer's minutes are the exception minutes of the run that sent
# it.  The scan zooms, turns and pans by keys, a field clicked shows its
# box; approval goes on to the next page waiting (a letter in another
# queue), which she rejects with a reason; its waiting was sent to a
# webhook, a delivery an engineer sees in the dashboard.  A reviewer of
# another department is refused, on the page and by the API
# (tests/browser/review.test.js plays the three people).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"
. "$(dirname "$0")/browser.inc"

APP="$FIXTURES/legacy_finance"
[ -x "$APP" ] || fail "$APP is not built"

# The shipped scripts, with the invoice template and the finance sub-flow.
mkdir -p "$T/scripts/lib" "$T/inbox" "$T/docstore" "$T/procure"
cp "$KOBITO_TOP/scripts/invoice_dispatch.yaml" "$KOBITO_TOP/scripts/invoice_entry.yaml" "$T/scripts/"
cp "$KOBITO_TOP/scripts/lib/finance_entry.yaml" "$T/scripts/lib/"
# A second page for the station, a letter in another queue (below).
cat > "$T/scripts/sendrev.yaml" <<'EOF'
name: sendrev
owner: 財政局/経理部/会計課
steps:
  - id: got
    queue.get: { queue: letters }
  - for_each: ${steps.got.output.items}
    as: it
    steps:
      - queue.review:
          item: "${it}"
          reason: "not an invoice?"
          fields:
            sender: { value: null, raw: "N?rthw1nd", confidence: 22.5, box: [120, 90, 700, 80],
                      status: low_confidence, kind: text, required: true }
EOF
"$FIXTURES/formgen" -t "$KOBITO_TOP/scripts/templates/invoice_en.yaml" -o "$T/gen" \
	-p inv -s 301 --smudge total >/dev/null 2>&1 || fail "formgen failed"
mv "$T/gen/inv-001.png" "$T/inbox/"
TOTAL=$(jq -r '.fields.total' "$T/gen/inv-001.json")
NO=$(jq -r '.fields.invoice_no' "$T/gen/inv-001.json")

start_xvfb
# lib/finance_entry.yaml finds the screen's fields on the accessibility bus.
start_a11y
export GTK_IM_MODULE=gtk-im-context-simple
DISPLAY=$DISPLAY_NUM "$APP" --out "$T/vouchers.csv" 2>>"$T/app.log" &
at_exit "kill $! 2>/dev/null"
PTOKEN=procure-token-2030
"$FIXTURES/procure_api" --port 0 --port-file "$T/procure/port" --token "$PTOKEN" \
	--data "$T/procure" >"$T/procure.log" 2>&1 &
at_exit "kill $! 2>/dev/null"
wait_for 50 test -s "$T/procure/port" || fail "the procurement stand-in did not start"
PROCURE="http://127.0.0.1:$(cat "$T/procure/port")"

start_scheduler --kpi-config "$KOBITO_TOP/config/kpi.yaml" --dashboard "$KOBITO_TOP/dashboard"
ADMIN=$(admin_token)
PASSWORD="pass-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$PASSWORD" >"$T/pw"
"$SCHED" user set --db "$T/sched.db" --name hanako --role operator \
	--department 財政局/経理部/会計課 --password-file "$T/pw" 2>/dev/null || fail "user hanako"
"$SCHED" user set --db "$T/sched.db" --name jiro --role operator \
	--department 市民局/区政部/戸籍住民課 --password-file "$T/pw" 2>/dev/null || fail "user jiro"
"$SCHED" user set --db "$T/sched.db" --name kenji --role engineer \
	--department 財政局/経理部/会計課 --password-file "$T/pw" 2>/dev/null || fail "user kenji"
api PUT /api/secrets/procure_token "$ADMIN" "{\"value\": \"$PTOKEN\", \"allow\": [\"$PROCURE/api/\"]}" >/dev/null
out=$(api PUT /api/queues/invoices "$ADMIN" "{\"department\": \"財政局/経理部/会計課\", \"title\": \"請求書\",
	\"trigger\": {\"script\": \"invoice_entry\", \"max_running\": 1,
	\"params\": {\"docstore\": \"$T/docstore\", \"api\": \"$PROCURE\", \"method\": \"paste\"}}}")
check "the invoice queue, its performer bound" 201 "$(status_of "$out")"
start_agent pc1 --labels ocr:eng --display "$DISPLAY_NUM" --slots 2

JOB=$(trigger invoice_dispatch "\"params\": {\"inbox\": \"$T/inbox\"}")
in_review() { [ "$(sql "SELECT state FROM queue_items WHERE reference = 'inv-001.png'")" = needs_review ]; }
wait_for 600 in_review || fail "the scan did not reach the review station: $(sql 'SELECT reference, state FROM queue_items') $(tail -n 20 "$T/agent-pc1.log")"
ITEM=$(sql "SELECT id FROM queue_items WHERE reference = 'inv-001.png'")
SENT_RUN=$(sql "SELECT review_run_id FROM queue_items WHERE id = $ITEM")
check "nothing entered before a person checked it" 0 "$(cat "$T/vouchers.csv" 2>/dev/null | wc -l)"
check "the total is what people must check (not read: null)" "invalid|" \
	"$(sql "SELECT json_extract(review, '$.fields.total.status') || '|' || coalesce(json_extract(review, '$.fields.total.value'), '') FROM queue_items WHERE id = $ITEM")"

# A second page waiting in another queue of the department (sendrev.yaml):
# a letter, not an invoice, that the clerk rejects after the first.
curl -s -o "$T/letter.png" -H "Authorization: Bearer $ADMIN" \
	"$SCHED_URL/api/queue-items/$ITEM/files/inv-001.png"
api PUT /api/queues/letters "$ADMIN" '{"department": "財政局/経理部/会計課", "title": "書簡"}' >/dev/null
sha=$(curl -s -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: image/png' \
	--data-binary @"$T/letter.png" "$SCHED_URL/api/queues/letters/files" | jq -r .sha256)
out=$(api POST /api/queues/letters/items "$ADMIN" "{\"items\": [{\"reference\": \"letter-1\",
	\"files\": [{\"name\": \"letter.png\", \"sha256\": \"$sha\"}]}]}")
LETTER=$(body_of "$out" | jq -r '.items[0].id')
# The department's chat hears of it; the delivery is in the dashboard.
"$FIXTURES/hook_recv" --port-file "$T/hook.port" --log "$T/hook.log" 2>>"$T/hook.err" &
at_exit "kill $! 2>/dev/null"
wait_for 50 test -s "$T/hook.port" || fail "the webhook receiver did not start"
api PUT /api/secrets/team_hook "$ADMIN" "{\"value\": \"http://127.0.0.1:$(cat "$T/hook.port")/hook\",
	\"allow\": [\"127.0.0.1\"]}" >/dev/null
out=$(api PUT /api/notifications/rules/letters-waiting "$ADMIN" '{"event": "review_waiting", "queue": "letters",
	"minutes": 0.01, "channel": "webhook", "target": "team_hook"}')
check "a rule for letters waiting" 201 "$(status_of "$out")"
trigger sendrev >/dev/null
letter_waits() { [ "$(sql "SELECT state FROM queue_items WHERE id = $LETTER")" = needs_review ]; }
wait_for 300 letter_waits || fail "the letter did not reach the review station: $(tail -n 20 "$T/agent-pc1.log")"
heard() { grep -q '"status":200' "$T/hook.log" 2>/dev/null; }
wait_for 300 heard || fail "no notification of the letter waiting: $(cat "$T/hook.err" 2>/dev/null)"

OUT="$KOBITO_TOP/tests/out/$(basename "$KOBITO_BUILD")/review"
rm -rf "$OUT"
mkdir -p "$OUT"
URL="$SCHED_URL" OUT="$OUT" PASSWORD="$PASSWORD" CHROMIUM="$CHROMIUM" ITEM="$ITEM" \
	TOTAL="$TOTAL" LETTER="$LETTER" node "$BT/review.test.js" || {
	tail -n 30 "$T/scheduler.log" >&2
	fail "review station scenarios failed (screenshots in $OUT)"
}

entered() { [ "$(sql "SELECT state FROM queue_items WHERE id = $ITEM")" = done ]; }
wait_for 600 entered || fail "the reviewed invoice was not entered: $(tail -n 20 "$T/agent-pc1.log")"
WANT=$(printf '%s' "$TOTAL" | awk '{ printf "%d", $1 + 0.5 }')
grep -q ",Northwind Office Supplies Ltd,04100,$WANT,Invoice $NO / PO " "$T/vouchers.csv" ||
	fail "the finance screen did not get the corrected total $WANT: $(cat "$T/vouchers.csv")"
echo "ok: the finance screen holds invoice $NO with the corrected total $WANT"
check "the reviewer and the value are kept with the item" "hanako|$TOTAL" \
	"$(sql "SELECT reviewed_by || '|' || json_extract(review_values, '$.total') FROM queue_items WHERE id = $ITEM")"
minutes=$(sql "SELECT fix_minutes FROM kpi_ledger WHERE run_id = $SENT_RUN")
awk -v m="$minutes" 'BEGIN { exit !(m > 0 && m < 10) }' ||
	fail "the reviewer's minutes are not in the ledger of run $SENT_RUN: '$minutes'"
check "measured, not estimated" 1 "$(sql "SELECT fix_entered FROM kpi_ledger WHERE run_id = $SENT_RUN")"
echo "ok: the reviewer's $minutes minutes are the exception minutes of run $SENT_RUN"
check "the letter rejected from the station: failed, a business exception, with why" \
	"failed|business|a letter, not an invoice" \
	"$(sql "SELECT state || '|' || exception || '|' || error FROM queue_items WHERE id = $LETTER")"
check "the refusals are audited" 1 \
	"$(sql "SELECT count(*) FROM audit WHERE actor = 'jiro' AND path = '/api/queue-items/$ITEM/approve' AND status = 403")"
stop_agent pc1
stop_scheduler
