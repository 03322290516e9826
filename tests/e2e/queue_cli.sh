#!/bin/sh
# queue_cli.sh - kobito queue list|show|add|retry|export against a private
# scheduler: an item with a file added from the command line, a duplicate
# refused with the scheduler's words and exit 1, items from a JSON-lines
# file, the tables, one item's history, a failed item retried, the CSV
# export, the queue.* actions under kobito validate, run --dry-run and
# run (outside a job: a plain error), and usage errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

cat > "$T/scripts/perform.yaml" <<'EOF'
name: perform
steps:
  - log: performing
EOF
start_scheduler
ADMIN=$(make_token admin root)
AGENT=$(make_token agent pc1)
export KOBITO_SCHEDULER="$SCHED_URL" KOBITO_TOKEN="$ADMIN"
api PUT /api/queues/invoices "$ADMIN" '{"title": "請求書", "department": "財政局/経理部/会計課"}' >/dev/null

printf 'scan-bytes' > "$T/inv-1.png"
id=$("$KOBITO" queue add invoices --reference INV-000001 --payload '{"amount": 1200}' \
	--priority 3 --file "$T/inv-1.png") || fail "add failed"
check "add prints the new item's id" 1 "$id"
"$KOBITO" queue add invoices --reference INV-000001 --payload '{"amount": 9}' 2>"$T/err" &&
	fail "a duplicate reference was accepted"
grep -q "reference 'INV-000001' is already item 1 (new): refused" "$T/err" ||
	fail "the duplicate's message: $(cat "$T/err")"
echo "ok: a duplicate is refused and says which item has it"
printf '{"reference": "INV-000002", "payload": {"amount": 1}}\n\n{"reference": "INV-000003"}\n' > "$T/items.jsonl"
"$KOBITO" queue add invoices --items "$T/items.jsonl" > "$T/ids" || fail "add --items failed"
check "two items from JSON lines" "2 3" "$(tr '\n' ' ' < "$T/ids" | sed 's/ $//')"
printf '{"reference": "X"}\nnot json\n' > "$T/bad.jsonl"
"$KOBITO" queue add invoices --items "$T/bad.jsonl" 2>"$T/err" && fail "bad JSON lines accepted"
grep -q "bad.jsonl:2:" "$T/err" || fail "no place named for bad JSON lines: $(cat "$T/err")"
echo "ok: a bad line is named by file and line"

"$KOBITO" queue list > "$T/list" || fail "list failed"
grep -q "^NAME " "$T/list" || fail "no table header: $(cat "$T/list")"
grep -q "^invoices  *財政局/経理部/会計課  *3 " "$T/list" || fail "the list: $(cat "$T/list")"
echo "ok: queue list"
"$KOBITO" queue show invoices --state new > "$T/show"
check "show NAME lists the items" 3 "$(grep -c 'INV-00000' "$T/show")"
check "as JSON too" "3" "$("$KOBITO" queue show invoices --json | jq '.items | length')"

# A failed item, retried from the command line.
api POST /api/agents/register "$AGENT" '{"name": "pc1"}' >/dev/null
JOB=$(body_of "$(api POST /api/jobs "$ADMIN" '{"script": "perform"}')" | jq -r .job_id)
JTOK=$(body_of "$(api POST /api/agents/lease "$AGENT" '{"agent_id": 1}')" | jq -r .lease_token)
out=$(api POST "/api/jobs/$JOB/queue-take" "$AGENT" "{\"lease_token\": \"$JTOK\", \"queue\": \"invoices\"}")
TOK=$(body_of "$out" | jq -r '.items[0].lease_token')
check "the priority one taken" 1 "$(body_of "$out" | jq -r '.items[0].id')"
api POST /api/queue-items/1/fail "$AGENT" "{\"lease_token\": \"$TOK\", \"kind\": \"business\", \"reason\": \"vendor unknown\"}" >/dev/null
"$KOBITO" queue show 1 > "$T/item"
grep -q "^state  *failed" "$T/item" || fail "show ID: $(cat "$T/item")"
grep -q "business exception: vendor unknown" "$T/item" || fail "the history lacks the failure: $(cat "$T/item")"
echo "ok: queue show ID, with its history"
check "retry" "item 1: new" "$("$KOBITO" queue retry 1 --reason 'vendor registered')"
"$KOBITO" queue retry 1 2>"$T/err" && fail "a new item was retried"
grep -q "409" "$T/err" || fail "retry of a new item: $(cat "$T/err")"
echo "ok: only failed and abandoned items are retried"

"$KOBITO" queue export invoices --output "$T/out.csv" || fail "export failed"
check "the export: header and three rows" 4 "$(grep -c '' "$T/out.csv")"
grep -q '"INV-000001","new"' "$T/out.csv" || fail "the export: $(cat "$T/out.csv")"
"$KOBITO" queue export invoices --format jsonl --state new > "$T/out.jsonl"
check "JSON lines by state" 3 "$(jq -s length "$T/out.jsonl")"
check "the file is listed with its digest" "$(sha256sum "$T/inv-1.png" | cut -c1-64)" \
	"$(jq -r 'select(.id == 1) | .files[0].sha256 // empty' "$T/out.jsonl")"

# The queue.* actions outside a job: checked, dry-run, refused plainly.
cat > "$T/perf.yaml" <<'EOF'
name: perf
steps:
  - id: got
    queue.get: { queue: invoices, max: 2 }
  - for_each: ${steps.got.output.items}
    as: it
    steps:
      - queue.done: { item: "${it}" }
  - id: added
    queue.add: { queue: invoices, reference: "R-1", payload: { a: 1 } }
  - queue.done: { item: 5, lease_token: "x" }
  - log: "took ${steps.got.output.count}, added ${steps.added.output.added}"
EOF
sed 's/output.count}/output.cuont}/' "$T/perf.yaml" > "$T/typo.yaml"
"$KOBITO" validate "$T/typo.yaml" 2>"$T/err"; check "validate checks queue.get's output" 1 $?
grep -q "typo.yaml:12:.*steps.got.output.cuont: queue.get's output has no 'cuont' (did you mean 'count'?)" "$T/err" ||
	fail "validate: $(cat "$T/err")"
"$KOBITO" run --dry-run "$T/perf.yaml" > "$T/dry" 2>&1 || fail "the dry run failed: $(cat "$T/dry")"
grep -q "dry run: would take up to 2 item(s) of queue 'invoices'" "$T/dry" &&
	grep -q "dry run: would add 1 item(s) to queue 'invoices'" "$T/dry" &&
	grep -q "dry run: queue.done not run" "$T/dry" && grep -q "took 0, added 0" "$T/dry" ||
	fail "the dry run: $(cat "$T/dry")"
echo "ok: a dry run takes and adds nothing, and says what it would"
"$KOBITO" run "$T/perf.yaml" > "$T/run" 2>&1; check "outside a job, queue.get fails" 1 $?
grep -q "perf.yaml:3:5: got: queue.get works only in a job run by an agent for the scheduler" "$T/run" ||
	fail "kobito run: $(cat "$T/run")"

"$KOBITO" queue frob 2>/dev/null; check "an unknown subcommand is a usage error" 2 $?
"$KOBITO" queue show 2>/dev/null; check "show without NAME is a usage error" 2 $?
"$KOBITO" queue add nosuch --reference x 2>"$T/err"; check "an unknown queue fails" 1 $?
grep -q "404" "$T/err" || fail "unknown queue: $(cat "$T/err")"
stop_scheduler
