#!/bin/sh
# queue_api.sh - work queues through the scheduler's API: a queue made by
# an engineer, items added by people of its department (a duplicate
# reference refused, another department refused), files stored by content
# and served inert, a job that takes items with its lease (fencing: a
# stale token refused, a repeated done acknowledged), business and
# application exceptions, review (lock, the template's checks, approval
# back to the bot, another department refused), rejection (open first, a
# reason required: failed, a business exception), a lost job's items back
# to new, retries, the export, /metrics (an item past its deadline
# counted), and the audit of every change.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

cat > "$T/scripts/perform.yaml" <<'EOF'
name: perform
steps:
  - log: performing
EOF
start_scheduler
ADMIN=$(make_token admin root)
ENG=$(make_token engineer eng)
printf 'staff-pass-2030\n' | "$SCHED" user set --db "$T/sched.db" --name hanako \
	--role operator --department 財政局/経理部/会計課 --password-stdin >/dev/null 2>&1
printf 'staff-pass-2030\n' | "$SCHED" user set --db "$T/sched.db" --name jiro \
	--role operator --department 市民局/区政部/戸籍住民課 --password-stdin >/dev/null 2>&1
HANAKO=$(make_token operator hanako)
JIRO=$(make_token operator jiro)
AGENT=$(make_token agent pc-01)

# --- a queue ----------------------------------------------------------------
out=$(api PUT /api/queues/invoices "$ENG" '{"title": "請求書", "department": "財政局/経理部/会計課", "max_attempts": 2, "retry_ms": 0, "sla_minutes": 60}')
check "an engineer creates the queue" 201 "$(status_of "$out")"
check "references are unique, a duplicate refused" "true|refuse" \
	"$(body_of "$out" | jq -r '"\(.unique_references)|\(.on_duplicate)"')"
out=$(api PUT /api/queues/Bad! "$ENG" '{"department": "x"}')
check "a bad queue name" 400 "$(status_of "$out")"
out=$(api PUT /api/queues/x "$HANAKO" '{"department": "x"}')
check "an operator cannot make queues" 403 "$(status_of "$out")"

# --- adding -----------------------------------------------------------------
out=$(api POST /api/queues/invoices/items "$HANAKO" '{"items": [
	{"reference": "INV-000001", "payload": {"amount": 100}},
	{"reference": "INV-000002", "priority": 5, "payload": {"amount": 200}}]}')
check "two items added" "200|2|0" \
	"$(status_of "$out")|$(body_of "$out" | jq -r '"\(.created)|\(.duplicates)"')"
I1=$(body_of "$out" | jq -r '.items[0].id')
I2=$(body_of "$out" | jq -r '.items[1].id')
out=$(api POST /api/queues/invoices/items "$HANAKO" '{"items": [{"reference": "INV-000001", "payload": {"amount": 999}}]}')
check "a duplicate reference is refused, naming the item" "409|$I1" \
	"$(body_of "$out" | jq -r '.items[0] | "\(.status)|\(.id)"')"
out=$(api GET "/api/queue-items/$I1" "$HANAKO")
check "the first payload is kept (refused, not merged)" 100 "$(body_of "$out" | jq -r .payload.amount)"
out=$(api POST /api/queues/invoices/items "$JIRO" '{"items": [{"reference": "X"}]}')
check "another department may not add" 403 "$(status_of "$out")"
out=$(api POST /api/queues/invoices/items "$HANAKO" '{"items": [{"priority": 5000}]}')
check "a bad item names its place" "400|items[0]: priority: expected -1000 to 1000" \
	"$(status_of "$out")|$(body_of "$out" | jq -r .error)"
out=$(api GET "/api/queue-items/$I1" "$JIRO")
check "another department may not read the items" 403 "$(status_of "$out")"

# A file, stored once by its content.
printf 'PNG-bytes' > "$T/scan.png"
f1=$(curl -s -X POST -H "Authorization: Bearer $HANAKO" -H 'Content-Type: image/png' \
	--data-binary @"$T/scan.png" "$SCHED_URL/api/queues/invoices/files")
f2=$(curl -s -X POST -H "Authorization: Bearer $HANAKO" -H 'Content-Type: image/png' \
	--data-binary @"$T/scan.png" "$SCHED_URL/api/queues/invoices/files")
sha=$(printf '%s' "$f1" | jq -r .sha256)
check "the same content, the same digest" "$(sha256sum "$T/scan.png" | cut -c1-64)" "$sha"
check "stored once" "$sha" "$(printf '%s' "$f2" | jq -r .sha256)"
check "one row" 1 "$(sqlite3 "$T/sched.db" 'SELECT count(*) FROM queue_files')"
out=$(api POST /api/queues/invoices/items "$HANAKO" "{\"items\": [{\"reference\": \"INV-000003\", \"priority\": 1, \"files\": [{\"name\": \"scan.png\", \"sha256\": \"$sha\"}]}]}")
I3=$(body_of "$out" | jq -r '.items[0].id')
curl -s -D "$T/h" -o "$T/got.png" -H "Authorization: Bearer $HANAKO" \
	"$SCHED_URL/api/queue-items/$I3/files/scan.png"
cmp -s "$T/scan.png" "$T/got.png" || fail "the file came back changed"
grep -qi '^content-security-policy: .*sandbox' "$T/h" || fail "the file is not served inert"
grep -qi '^x-content-type-options: nosniff' "$T/h" || fail "no nosniff on the file"
out=$(api POST /api/queues/invoices/items "$HANAKO" '{"items": [{"files": [{"name": "a.png", "sha256": "00"}]}]}')
check "a file never uploaded is refused" 400 "$(status_of "$out")"

# --- a job takes items ------------------------------------------------------------
api POST /api/agents/register "$AGENT" '{"name": "pc-01"}' >/dev/null
JOB=$(body_of "$(api POST /api/jobs "$ADMIN" '{"script": "perform"}')" | jq -r .job_id)
lease=$(body_of "$(api POST /api/agents/lease "$AGENT" '{"agent_id": 1}')")
JTOK=$(printf '%s' "$lease" | jq -r .lease_token)
out=$(api POST "/api/jobs/$JOB/queue-take" "$AGENT" "{\"lease_token\": \"$JTOK\", \"queue\": \"invoices\", \"max\": 3}")
check "the highest priority first" "$I2,$I3,$I1" "$(body_of "$out" | jq -r '[.items[].id] | join(",")')"
T2=$(body_of "$out" | jq -r '.items[0].lease_token')
T3=$(body_of "$out" | jq -r '.items[1].lease_token')
T1=$(body_of "$out" | jq -r '.items[2].lease_token')
check "its files are listed" scan.png "$(body_of "$out" | jq -r '.items[1].files[0].name')"
out=$(api POST "/api/jobs/$JOB/queue-take" "$AGENT" '{"lease_token": "0000", "queue": "invoices"}')
check "a take with a stale job token is refused" 409 "$(status_of "$out")"
out=$(api POST "/api/queue-items/$I2/done" "$AGENT" "{\"lease_token\": \"$T1\"}")
check "another item's token is stale" 409 "$(status_of "$out")"
out=$(api POST "/api/queue-items/$I2/done" "$AGENT" "{\"lease_token\": \"$T2\", \"output\": {\"voucher\": \"V-2\"}}")
check "done" "200|done|false" "$(status_of "$out")|$(body_of "$out" | jq -r '"\(.state)|\(.duplicate)"')"
out=$(api POST "/api/queue-items/$I2/done" "$AGENT" "{\"lease_token\": \"$T2\"}")
check "the same done again is acknowledged" "200|true" "$(status_of "$out")|$(body_of "$out" | jq -r .duplicate)"
out=$(api POST "/api/queue-items/$I1/fail" "$AGENT" "{\"lease_token\": \"$T1\", \"kind\": \"application\", \"reason\": \"finance down\"}")
check "an application exception: back to new" "200|new" "$(status_of "$out")|$(body_of "$out" | jq -r .state)"
out=$(api POST "/api/queue-items/$I1/fail" "$AGENT" "{\"lease_token\": \"$T1\", \"kind\": \"oops\", \"reason\": \"x\"}")
check "an unknown kind of exception" 400 "$(status_of "$out")"

# The file of an item, for the bot holding it.
curl -s -o "$T/fetched.png" -X POST -H "Authorization: Bearer $AGENT" \
	-H 'Content-Type: application/json' --data-binary "{\"lease_token\": \"$T3\", \"name\": \"scan.png\"}" \
	"$SCHED_URL/api/queue-items/$I3/fetch"
cmp -s "$T/scan.png" "$T/fetched.png" || fail "the bot got another file"

# --- review ------------------------------------------------------------------------
review='{"reason": "total: low_confidence", "image": "scan.png", "fields": {
	"total": {"value": null, "raw": "1,2?0", "confidence": 40.5, "box": [10, 20, 30, 40],
	          "status": "low_confidence", "kind": "amount", "decimals": 2, "required": true},
	"subtotal": {"value": 1000, "kind": "amount"}, "tax": {"value": 100, "kind": "amount"}},
	"checks": [{"sum": ["subtotal", "tax"], "equals": "total"}]}'
out=$(api POST "/api/queue-items/$I3/review" "$AGENT" "{\"lease_token\": \"$T3\", \"review\": $review}")
check "sent to review" "200|needs_review" "$(status_of "$out")|$(body_of "$out" | jq -r .state)"
out=$(api GET /api/review "$HANAKO")
check "in hanako's review inbox" "$I3" "$(body_of "$out" | jq -r '[.items[].id] | join(",")')"
check "and its department's figures" 1 "$(body_of "$out" | jq -r '.departments[0].waiting')"
out=$(api GET /api/review "$JIRO")
check "not in another department's" 0 "$(body_of "$out" | jq -r '.items | length')"
out=$(api POST "/api/queue-items/$I3/open" "$JIRO" '{}')
check "another department may not open it" 403 "$(status_of "$out")"
out=$(api POST "/api/queue-items/$I3/approve" "$JIRO" '{"values": {"total": "1100"}}')
check "nor approve it" 403 "$(status_of "$out")"
out=$(api POST "/api/queue-items/$I3/open" "$HANAKO" '{}')
check "hanako opens it" "200|total" "$(status_of "$out")|$(body_of "$out" | jq -r '.review.fields | keys | last')"
out=$(api POST "/api/queue-items/$I3/open" "$ADMIN" '{}')
check "locked while she has it" 423 "$(status_of "$out")"
out=$(api POST "/api/queue-items/$I3/check" "$HANAKO" '{"values": {"total": "1,200"}}')
check "the check says the sum is off" "false" "$(body_of "$out" | jq -r .ok)"
out=$(api POST "/api/queue-items/$I3/approve" "$HANAKO" '{"values": {"total": "1,200"}}')
check "approval refused until it adds up" 422 "$(status_of "$out")"
body_of "$out" | jq -r .errors.total | grep -q "does not add up" || fail "no reason for the refusal"
out=$(api POST "/api/queue-items/$I3/approve" "$HANAKO" '{"values": {"total": "￥1,100"}}')
check "approved: back to the bot" "200|new|1100" \
	"$(status_of "$out")|$(body_of "$out" | jq -r '"\(.state)|\(.values.total)"')"
out=$(api GET "/api/queue-items/$I3" "$HANAKO")
check "the reviewed values and who" "1100|hanako" \
	"$(body_of "$out" | jq -r '"\(.reviewed.values.total)|\(.reviewed.by)"')"
check "both moves recorded" "needs_review>reviewed user:hanako|reviewed>new scheduler" \
	"$(body_of "$out" | jq -r '[.transitions[] | select(.to == "reviewed" or .from == "reviewed") | "\(.from)>\(.to) \(.actor)"] | join("|")')"

# --- rejection: a failure people decided, a business exception ------------------------------
out=$(api POST /api/queues/invoices/items "$HANAKO" '{"items": [{"reference": "INV-000004", "priority": -1}]}')
I4=$(body_of "$out" | jq -r '.items[0].id')

# --- the job is lost: its items go back -------------------------------------------------
out=$(api POST "/api/jobs/$JOB/queue-take" "$AGENT" "{\"lease_token\": \"$JTOK\", \"queue\": \"invoices\", \"max\": 5}")
check "the retried, the reviewed and the new one" "$I3,$I1,$I4" "$(body_of "$out" | jq -r '[.items[].id] | join(",")')"
T4=$(body_of "$out" | jq -r '.items[2].lease_token')
out=$(api POST "/api/queue-items/$I4/review" "$AGENT" "{\"lease_token\": \"$T4\", \"review\": {\"reason\": \"not an invoice\",
	\"fields\": {\"total\": {\"value\": null, \"kind\": \"amount\", \"status\": \"invalid\"}}}}")
check "the fourth sent to review" needs_review "$(body_of "$out" | jq -r .state)"
out=$(api GET /api/review "$HANAKO")
check "the manager's figures: one waiting, for some milliseconds" "1|true" \
	"$(body_of "$out" | jq -r '.departments[0] | "\(.waiting)|\(.oldest_ms >= 0 and .oldest_ms < 60000)"')"
out=$(api POST "/api/queue-items/$I4/reject" "$JIRO" '{"reason": "not ours"}')
check "another department may not reject it" 403 "$(status_of "$out")"
out=$(api POST "/api/queue-items/$I4/reject" "$HANAKO" '{"reason": "a letter, not an invoice"}')
check "rejecting needs the item open" 409 "$(status_of "$out")"
api POST "/api/queue-items/$I4/open" "$HANAKO" '{}' >/dev/null
out=$(api POST "/api/queue-items/$I4/reject" "$HANAKO" '{"reason": ""}')
check "a rejection without a reason" 400 "$(status_of "$out")"
out=$(api POST "/api/queue-items/$I4/reject" "$HANAKO" '{"reason": "a letter, not an invoice"}')
check "rejected: failed, a business exception" "200|failed|business" \
	"$(status_of "$out")|$(body_of "$out" | jq -r '"\(.state)|\(.exception)"')"
out=$(api GET "/api/queue-items/$I4" "$HANAKO")
check "the item keeps why, and who moved it" "failed|business|user:hanako" \
	"$(body_of "$out" | jq -r '"\(.state)|\(.exception)|\(.transitions | last | .actor)"')"
body_of "$out" | jq -r '.transitions | last | .reason' | grep -q "a letter, not an invoice" ||
	fail "the rejection's reason is not in the history: $(body_of "$out" | jq -c '.transitions | last')"
api POST "/api/jobs/$JOB/cancel" "$ADMIN" '{}' >/dev/null
api POST "/api/jobs/$JOB/release" "$AGENT" "{\"lease_token\": \"$JTOK\"}" >/dev/null
wait_for 50 sh -c "[ \$(sqlite3 '$T/sched.db' \"SELECT count(*) FROM queue_items WHERE state = 'in_progress'\") = 0 ]" ||
	fail "the items of the ended job are still held"
check "the item with one attempt left is abandoned, the reviewed one new" "abandoned|new" \
	"$(sqlite3 "$T/sched.db" "SELECT group_concat(state, '|') FROM (SELECT state FROM queue_items WHERE id IN ($I1, $I3) ORDER BY id)")"
out=$(api POST "/api/queue-items/$I1/retry" "$JIRO" '{}')
check "another department may not retry" 403 "$(status_of "$out")"
out=$(api POST "/api/queue-items/$I1/retry" "$HANAKO" '{"reason": "finance is back"}')
check "hanako retries it" "200|new" "$(status_of "$out")|$(body_of "$out" | jq -r .state)"

# --- reading, exporting, metrics, audit ------------------------------------------------------
out=$(api GET "/api/queues/invoices/items?state=new,done" "$HANAKO")
check "items by state" 3 "$(body_of "$out" | jq -r '.items | length')"
out=$(api GET "/api/queues/invoices/items?state=bogus" "$HANAKO")
check "an unknown state" 400 "$(status_of "$out")"
curl -s -H "Authorization: Bearer $HANAKO" "$SCHED_URL/api/queues/invoices/export?format=csv" > "$T/export.csv"
check "the CSV export has a header and a row per item" 5 "$(grep -c '' "$T/export.csv")"
head -c 3 "$T/export.csv" | od -An -tx1 | grep -q 'ef bb bf' || fail "the CSV has no byte order mark"
api PUT /api/queues/late "$ENG" '{"department": "財政局/経理部/会計課"}' >/dev/null
api POST /api/queues/late/items "$HANAKO" "{\"items\": [{\"reference\": \"L-1\", \"deadline_ms\": $(( $(date +%s) * 1000 - 60000 ))},
	{\"reference\": \"L-2\", \"sla_minutes\": 5}]}" >/dev/null
curl -s -H "Authorization: Bearer $ADMIN" "$SCHED_URL/metrics" > "$T/metrics"
grep -q '^kobito_work_queue_sla_breached{queue="late"} 1$' "$T/metrics" ||
	fail "the item past its deadline is not counted: $(grep 'sla_breached' "$T/metrics")"
grep '^kobito_work_queue_oldest_seconds{queue="late"} ' "$T/metrics" | awk '{ exit !($2 >= 0 && $2 < 600) }' ||
	fail "the oldest item's age: $(grep 'oldest_seconds' "$T/metrics")"
grep -q '^kobito_work_queue_depth{queue="invoices"} 2$' "$T/metrics" || fail "no queue depth in /metrics: $(grep work_queue "$T/metrics")"
grep -q '^kobito_work_queue_sla_breached{queue="invoices"} 0$' "$T/metrics" || fail "no SLA figure in /metrics"
grep -q '^kobito_work_queue_oldest_seconds{queue="invoices"} ' "$T/metrics" || fail "no oldest age in /metrics"
out=$(api GET "/api/audit?limit=1000" "$ADMIN")
check "the approval is audited" 1 "$(body_of "$out" | jq -r "[.audit[] | select(.path == \"/api/queue-items/$I3/approve\" and .status == 200)] | length")"
check "the refused approvals too" 2 "$(body_of "$out" | jq -r "[.audit[] | select(.path == \"/api/queue-items/$I3/approve\" and .status >= 400)] | length")"
stop_scheduler
