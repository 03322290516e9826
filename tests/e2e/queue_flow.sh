#!/bin/sh
# queue_flow.sh - work queues with a real agent: files dropped in a
# folder the agent watches start the dispatcher once they settle (a file
# trigger); it adds one item per file, with the file; the queue trigger
# starts the performer (at most two at a time), which takes one item,
# finishes it, fails a bad one as a business exception and sends an
# unreadable one to review; a person approves it with the right value,
# the performer gets it back with that value, and the reviewer's minutes
# are in the KPI ledger as the exception minutes of the run that sent it.
# One queue.add step adds several items with their files, refusing a
# duplicate among them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

mkdir -p "$T/inbox" "$T/out"
cat > "$T/scripts/dispatch.yaml" <<'EOF'
name: dispatch
params:
  inbox: { type: path, required: true }
steps:
  - id: files
    file.list: { pattern: "${params.inbox}/*.txt" }
  - for_each: ${steps.files.output}
    as: f
    steps:
      - id: text
        file.read: { path: "${f.path}" }
      - set: { lines: "${split(trim(steps.text.output), ',')}" }
      - queue.add:
          queue: work
          reference: "${f.name}"
          payload:
            amount: "${lines[0]}"
            state: "${lines[1]}"
            fields:
              amount: { value: null, raw: "${lines[0]}", confidence: 31.5, box: [10, 20, 300, 40],
                        status: low_confidence, kind: amount, required: true }
          files: ["${f.path}"]
      - file.delete: { path: "${f.path}" }
EOF
cat > "$T/scripts/perform.yaml" <<EOF
name: perform
kpi: { manual_minutes_per_item: 3 }
steps:
  - id: got
    queue.get: { queue: work }
  - for_each: \${steps.got.output.items}
    as: it
    steps:
      - if: \${it.payload.state == 'bad'}
        queue.fail: { item: "\${it}", kind: business, reason: "the vendor is unknown" }
      - if: \${it.payload.state == 'blurred' and it.reviewed == null}
        queue.review: { item: "\${it}" }
      - if: \${it.payload.state == 'ok' or it.reviewed != null}
        set: { amount: "\${it.reviewed != null ? it.values.amount : it.payload.amount}" }
      - if: \${it.payload.state == 'ok' or it.reviewed != null}
        id: kept
        file.read: { path: "\${it.files[it.reference]}" }
      - if: \${it.payload.state == 'ok' or it.reviewed != null}
        file.write: { path: "$T/out/\${it.reference}", content: "\${amount}" }
      - if: \${it.payload.state == 'ok' or it.reviewed != null}
        queue.done: { item: "\${it}", output: { amount: "\${amount}", file: "\${trim(steps.kept.output)}" } }
EOF
# Several items in one step, with files, one a duplicate.
cat > "$T/scripts/bulk.yaml" <<EOF
name: bulk
steps:
  - id: added
    queue.add:
      queue: held
      items:
        - { reference: "x-1", priority: 2, payload: { n: 1 }, files: ["$T/out/a.txt", "$T/out/b.txt"] }
        - { reference: "x-2", payload: { n: 2 }, files: ["$T/out/b.txt"] }
        - { reference: "x-1", payload: { n: 3 } }
  - log: "added \${steps.added.output.added}, duplicates \${steps.added.output.duplicates}"
EOF
start_scheduler
ADMIN=$(admin_token)
printf 'staff-pass-2030\n' | "$SCHED" user set --db "$T/sched.db" --name hanako \
	--role operator --department 財政局/経理部/会計課 --password-stdin >/dev/null 2>&1
HANAKO=$(make_token operator hanako)
start_agent pc1 --slots 3

out=$(api PUT /api/queues/work "$ADMIN" '{"department": "財政局/経理部/会計課", "retry_ms": 0,
	"trigger": {"script": "perform", "max_running": 2}}')
check "the queue with its trigger" 201 "$(status_of "$out")"
out=$(api PUT /api/file-triggers/inbox "$ADMIN" "{\"agent\": \"pc1\", \"folder\": \"$T/inbox\",
	\"pattern\": \"*.txt\", \"settle_ms\": 700, \"script\": \"dispatch\",
	\"params\": {\"inbox\": \"$T/inbox\"}}")
check "the file trigger" 201 "$(status_of "$out")"
out=$(api PUT /api/file-triggers/bad "$ADMIN" "{\"agent\": \"pc1\", \"folder\": \"relative\", \"script\": \"dispatch\"}")
check "a folder that is not absolute is refused" 400 "$(status_of "$out")"

# The scanner writes four files, one slowly.
printf '100,ok\n' > "$T/inbox/a.txt"
printf '200,ok\n' > "$T/inbox/b.txt"
printf '999,bad\n' > "$T/inbox/c.txt"
printf '3' > "$T/inbox/d.txt"
sleep 0.4
printf '?0,blurred\n' >> "$T/inbox/d.txt"
settled() { [ "$(sql "SELECT count(*) FROM queue_items WHERE state IN ('done', 'failed', 'needs_review')")" = 4 ]; }
wait_for 300 settled ||
	fail "the items did not settle: $(sql 'SELECT id, reference, state FROM queue_items') $(sql 'SELECT summary FROM runs') $(tail -n 20 "$T/agent-pc1.log")"
check "one dispatcher run for the settled folder" 1 \
	"$(sql "SELECT count(*) FROM jobs WHERE script = 'dispatch' AND triggered_by = 'files:inbox'")"
check "the inbox is empty" 0 "$(ls "$T/inbox" | wc -l)"
check "each item by its state" "a.txt done|b.txt done|c.txt failed|d.txt needs_review" \
	"$(sql "SELECT group_concat(reference || ' ' || state, '|') FROM (SELECT reference, state FROM queue_items ORDER BY reference)")"
check "the failed one is a business exception, not retried" "business|1" \
	"$(sql "SELECT exception || '|' || attempt FROM queue_items WHERE reference = 'c.txt'")"
check "the performer ran per item, started by the queue" 4 \
	"$(sql "SELECT count(*) FROM jobs WHERE script = 'perform' AND triggered_by = 'queue:work' AND state = 'succeeded'")"
check "the values entered" "100|200" "$(cat "$T/out/a.txt")|$(cat "$T/out/b.txt")"
check "the bot got the file added with the item" "200,ok" \
	"$(sql "SELECT json_extract(output, '$.file') FROM queue_items WHERE reference = 'b.txt'")"
max_running=$(sql "SELECT max(n) FROM (SELECT (SELECT count(*) FROM runs r2 WHERE r2.script = 'perform' AND r2.started_at <= r1.started_at AND r2.finished_at > r1.started_at) AS n FROM runs r1 WHERE r1.script = 'perform')")
[ "$max_running" -le 2 ] || fail "$max_running performers ran at once; the queue allows 2"
echo "ok: at most two performers at once ($max_running)"

# Review: hanako corrects the amount; the performer enters it.
D=$(sql "SELECT id FROM queue_items WHERE reference = 'd.txt'")
SENT_RUN=$(sql "SELECT review_run_id FROM queue_items WHERE id = $D")
api POST "/api/queue-items/$D/open" "$HANAKO" '{}' >/dev/null
sleep 1.2
out=$(api POST "/api/queue-items/$D/approve" "$HANAKO" '{"values": {"amount": "３０"}}')
check "approved, with the value normalised" "200|30" "$(status_of "$out")|$(body_of "$out" | jq -r .values.amount)"
reviewed_done() { [ "$(sql "SELECT state FROM queue_items WHERE id = $D")" = done ]; }
wait_for 200 reviewed_done ||
	fail "the reviewed item was not done: $(tail -n 20 "$T/agent-pc1.log")"
check "the value that arrived is the corrected one" 30 "$(cat "$T/out/d.txt")"
minutes=$(sql "SELECT fix_minutes FROM kpi_ledger WHERE run_id = $SENT_RUN")
awk -v m="$minutes" 'BEGIN { exit !(m >= 0.019 && m < 1) }' ||
	fail "the reviewer's minutes are not in the ledger of run $SENT_RUN: '$minutes'"
echo "ok: the reviewer's $minutes minutes are the exception minutes of run $SENT_RUN"
check "and they were measured, not estimated" 1 \
	"$(sql "SELECT fix_entered FROM kpi_ledger WHERE run_id = $SENT_RUN")"

# The same file again: refused as a duplicate, the dispatcher does not fail.
printf '100,ok\n' > "$T/inbox/a.txt"
dispatched_twice() { [ "$(sql "SELECT count(*) FROM jobs WHERE script = 'dispatch' AND state = 'succeeded'")" = 2 ]; }
wait_for 150 dispatched_twice ||
	fail "the second file did not go through the dispatcher"
check "still one item for a.txt" 1 "$(sql "SELECT count(*) FROM queue_items WHERE reference = 'a.txt'")"
sql "SELECT event FROM run_events WHERE type = 'log'" | grep -q "a.txt: already in queue 'work' as item" ||
	fail "the duplicate was not reported in the dispatcher's log"
echo "ok: the dispatcher's log says the file was there already"

# queue.add with a list: both new items and their files, the duplicate refused.
api PUT /api/queues/held "$ADMIN" '{"department": "財政局/経理部/会計課"}' >/dev/null
BULK=$(trigger bulk)
wait_final "$BULK" 300
check "the bulk run succeeded" succeeded "$(job_field "$BULK" .state)"
check "two items in one step, the first payload kept" "x-1 1 2|x-2 2 1" \
	"$(sql "SELECT group_concat(reference || ' ' || json_extract(payload, '$.n') || ' ' || (SELECT count(*) FROM queue_item_files f WHERE f.item_id = i.id), '|') FROM (SELECT * FROM queue_items WHERE queue_id = (SELECT id FROM queues WHERE name = 'held') ORDER BY reference) i")"
sql "SELECT event FROM run_events WHERE type = 'log' AND run_id = (SELECT max(id) FROM runs WHERE script = 'bulk')" | grep -q "added 2, duplicates 1" ||
	fail "the step's output: $(sql "SELECT event FROM run_events WHERE run_id = (SELECT max(id) FROM runs WHERE script = 'bulk')")"
echo "ok: the step says what it added"
stop_agent pc1
stop_scheduler
