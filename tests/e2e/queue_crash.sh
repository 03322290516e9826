#!/bin/sh
# queue_crash.sh - work queues under concurrency and crashes: 5,000 items
# added by four clients, drained by two agents (a performer started by the
# queue's trigger, eight at a time, each taking 32 items), while the
# scheduler is killed with SIGKILL three times and started again.  Every
# item must end done exactly once (one move to done each, and the KPI
# ledger's items add up to 5,000), none lost, none added twice (a client
# that resends a batch whose answer was lost gets its duplicates refused),
# none left in progress.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

N=5000
CLIENTS=4
BATCH=50
cat > "$T/scripts/drain.yaml" <<'EOF'
name: drain
kpi: { manual_minutes_per_item: 1 }
steps:
  - id: got
    queue.get: { queue: load, max: 32, download: false }
  - for_each: ${steps.got.output.items}
    as: it
    steps:
      - queue.done: { item: "${it}", output: { run: "${run.id}" } }
EOF
start_scheduler
PORT=$(cat "$T/port")
ADMIN=$(admin_token)
restart() {
	"$SCHED" --db "$T/sched.db" --listen "127.0.0.1:$PORT" \
		--port-file "$T/port" --scripts "$T/scripts" \
		>>"$T/scheduler.log" 2>&1 &
	SCHED_PID=$!
	at_exit "kill -9 $SCHED_PID 2>/dev/null"
	wait_for 100 curl -sf "$SCHED_URL/health" || fail "the scheduler did not come back"
}
out=$(api PUT /api/queues/load "$ADMIN" '{"department": "総務局", "max_attempts": 10,
	"retry_ms": 0, "trigger": {"script": "drain", "max_running": 8}}')
check "the queue" 201 "$(status_of "$out")"
start_agent a1 --slots 4
start_agent a2 --slots 4

# A client adds its share in batches, each sent until it is answered.
client() {	# client INDEX
	_c=$1 _b=0
	while [ $_b -lt $((N / CLIENTS / BATCH)) ]; do
		_from=$(( (_c * N / CLIENTS) + _b * BATCH ))
		jq -nc --argjson s "$_from" --argjson n "$BATCH" \
			'{items: [range($s; $s + $n) | {reference: "r\(.)", payload: {n: .}}]}' \
			> "$T/batch-$_c"
		until curl -sf -o "$T/answer-$_c" -H "Authorization: Bearer $ADMIN" \
			-H 'Content-Type: application/json' --data-binary @"$T/batch-$_c" \
			"$SCHED_URL/api/queues/load/items"; do
			sleep 0.1
		done
		jq -r '.items[] | select(.duplicate) | .reference' "$T/answer-$_c" >> "$T/resent-$_c"
		_b=$((_b + 1))
	done
	echo done > "$T/client-$_c.done"
}
start=$(date +%s)
for c in $(seq 0 $((CLIENTS - 1))); do
	client "$c" &
done

# Three kills while the items come in and go out.
for k in 1 2 3; do
	sleep 1.5
	kill -9 "$SCHED_PID"
	wait "$SCHED_PID" 2>/dev/null
	echo "killed the scheduler ($k)"
	restart
done
all_added() { [ "$(ls "$T"/client-*.done 2>/dev/null | wc -l)" -eq $CLIENTS ]; }
wait_for 600 all_added || fail "the clients did not finish adding"
drained() { [ "$(sql "SELECT count(*) FROM queue_items WHERE state <> 'done'")" = 0 ]; }
wait_for 600 drained ||
	fail "not drained: $(sql "SELECT state, count(*) FROM queue_items GROUP BY state")"
echo "ok: $N items added and drained in $(( $(date +%s) - start )) s with 3 kills"

check "every item added once, none lost" "$N|$N" \
	"$(sql "SELECT count(*) || '|' || count(DISTINCT reference) FROM queue_items")"
check "every reference of the clients is there" "$N" \
	"$(sql "SELECT count(*) FROM queue_items WHERE CAST(substr(reference, 2) AS INTEGER) BETWEEN 0 AND $((N - 1))")"
check "each item done exactly once" "$N|1|1" \
	"$(sql "SELECT count(*) || '|' || min(n) || '|' || max(n) FROM (SELECT item_id, count(*) AS n FROM queue_item_transitions WHERE to_state = 'done' GROUP BY item_id)")"
check "none in progress" 0 "$(sql "SELECT count(*) FROM queue_items WHERE state = 'in_progress' OR lease_token IS NOT NULL")"
check "the KPI ledger counts each item once" "$N" \
	"$(sql "SELECT sum(items_succeeded) FROM kpi_ledger WHERE script = 'drain'")"

# A client that sends a batch again: every item refused as a duplicate.
jq -nc '{items: [range(0; 20) | {reference: "r\(.)", payload: {n: -1}}]}' > "$T/again"
out=$(api POST /api/queues/load/items "$ADMIN" "$(cat "$T/again")")
check "a batch sent again is refused item by item" "0|20|409" \
	"$(body_of "$out" | jq -r '"\(.created)|\(.duplicates)|\(.items[0].status)"')"
check "and nothing changed" "$N|0" \
	"$(sql "SELECT count(*) || '|' || sum(json_extract(payload, '$.n') = -1) FROM queue_items")"
resent=$(cat "$T"/resent-* 2>/dev/null | wc -l)
echo "ok: batches resent after a kill found $resent of their items there already"
check "the database is intact" ok "$(sql 'PRAGMA integrity_check')"
stop_agent a1
stop_agent a2
stop_scheduler
