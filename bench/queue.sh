#!/bin/sh
# bench/queue.sh - work queues: how fast items go in and out, durably,
# and how fast the review station's item page answers with a full queue.
#
#   - add: BENCH_ITEMS items added one per call by BENCH_CLIENTS clients
#     (wrk, each sending its next add once the last is acknowledged: each
#     acknowledgement is a durable commit), with a unique reference each;
#     items/s from the first item's creation to the last's;
#   - take: the queue's trigger then starts a performer on two agents of
#     eight slots (BENCH_SLOTS), each run taking 32 items and finishing
#     each (queue.get, queue.done: a durable commit per item); items/s
#     from the first take to the last done;
#   - review page: with BENCH_FILL (100,000) items waiting in the queue,
#     one item in review; the server time (curl's time to first byte) of
#     every request the review station's item page makes when it opens
#     (open with its lock, the check of the values, the scan), summed,
#     p50 and max over 30 openings.  Goal: at most 100 ms.  The inbox (the
#     list the page goes back to, with every department's counts) is
#     timed beside it.
#   - beside them, the job dispatch rate of bench/scheduler.sh on the
#     same machine (BENCH_PEER=0: kobito alone, BENCH_JOBS jobs).
#
# Prints one line:
# bench queue: add_per_s=... take_per_s=... add_take_per_s=...
#   review_page_p50_ms=... review_page_max_ms=... inbox_p50_ms=...
#   queued=... jobs_per_s=...
# and exits 1 when the review page misses its goal.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${KOBITO_BIN:-$TOP/bin}
ITEMS=${BENCH_ITEMS:-5000}
CLIENTS=${BENCH_CLIENTS:-16}
SLOTS=${BENCH_SLOTS:-8}
FILL=${BENCH_FILL:-100000}
GOAL_MS=100
export OMP_THREAD_LIMIT=1
TMP=$(mktemp -d "${TMPDIR:-/var/tmp}/kobito-bench.XXXXXX")
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
note() { echo "bench queue: $*" >&2; }
die() { note "$*"; exit 1; }
for t in curl sqlite3 jq wrk; do
	command -v $t >/dev/null || die "$t is required (bench/scheduler.sh installs wrk)"
done
sql() { sqlite3 -readonly -batch -noheader "$TMP/sched.db" "$1"; }
wait_until() {
	n=$1; shift
	while [ "$n" -gt 0 ]; do
		if eval "$*"; then return 0; fi
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# The job dispatch rate on this machine, first (it needs the CPU alone).
BENCH_PEER=0 BENCH_JOBS=${BENCH_JOBS:-4000} sh "$TOP/bench/scheduler.sh" \
	>"$TMP/sched.out" 2>"$TMP/sched.err" || die "bench/scheduler.sh failed: $(tail -n 3 "$TMP/sched.err")"
jobs_per_s=$(sed -n 's/.*kobito_jobs_per_s=\([0-9]*\).*/\1/p' "$TMP/sched.out")

mkdir -p "$TMP/scripts"
cat >"$TMP/scripts/drain.yaml" <<'EOF'
name: drain
steps:
  - id: got
    queue.get: { queue: bench, max: 32, download: false }
  - for_each: ${steps.got.output.items}
    as: it
    steps:
      - queue.done: { item: "${it}" }
EOF
cat >"$TMP/scripts/hold.yaml" <<'EOF'
name: hold
requires: [stand-in]
steps:
  - log: leased by the benchmark itself
EOF
S="$BIN/kobito-scheduler"
"$S" token create --db "$TMP/sched.db" --role admin --name bench >"$TMP/admin.token" 2>/dev/null
for a in a1 a2 standin; do
	"$S" agent-token create --db "$TMP/sched.db" --name "$a" >"$TMP/$a.token" 2>/dev/null
done
"$S" --db "$TMP/sched.db" --listen 127.0.0.1:0 --port-file "$TMP/port" \
	--scripts "$TMP/scripts" >"$TMP/scheduler.log" 2>&1 &
PIDS="$PIDS $!"
wait_until 100 '[ -s "$TMP/port" ]' || die "the scheduler did not start"
URL="http://127.0.0.1:$(cat "$TMP/port")"
TOKEN=$(cat "$TMP/admin.token")
call() {	# call METHOD PATH [BODY] [TOKEN]: the body
	curl -sS -f -X "$1" -H "Authorization: Bearer ${4:-$TOKEN}" \
		-H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$URL$2"
}
call PUT /api/queues/bench '{"department": "総務局", "title": "bench"}' >/dev/null

# --- adding ------------------------------------------------------------------
cat >"$TMP/add.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local limit, n, acked, other = tonumber(os.getenv("BENCH_ITEMS_N")), 0, 0, 0
function request()
	n = n + 1
	return wrk.format(nil, nil, nil, string.format(
	    '{"items": [{"reference": "b%d", "payload": {"n": %d}}]}', n, n))
end
function response(status, headers, body)
	if status == 200 then acked = acked + 1 else other = other + 1 end
	if acked + other == limit then
		io.write(string.format("acked %d other %d\n", acked, other))
		wrk.thread:stop()
	end
end
EOF
BENCH_TOKEN=$TOKEN BENCH_ITEMS_N=$ITEMS wrk -t 1 -c "$CLIENTS" -d 600s \
	-s "$TMP/add.lua" "$URL/api/queues/bench/items" >"$TMP/wrk.out" 2>&1 &
wpid=$!
wait_until 6000 '[ "$(sql "SELECT count(*) FROM queue_items")" -ge "$ITEMS" ] ||
	! kill -0 $wpid 2>/dev/null' || true
kill -INT $wpid 2>/dev/null || true
wait $wpid || true
grep -q "^acked $ITEMS other 0" "$TMP/wrk.out" || die "not every add was acknowledged: $(cat "$TMP/wrk.out")"
ADDED=$(sql "SELECT count(*) FROM queue_items")
add_span=$(sql "SELECT max(created_at) - min(created_at) FROM queue_items")
add_per_s=$(awk -v n="$ADDED" -v ms="$add_span" 'BEGIN { printf "%.0f", n * 1000 / (ms > 0 ? ms : 1) }')

# --- taking --------------------------------------------------------------------
for a in a1 a2; do
	"$BIN/kobito-agent" --scheduler "$URL" --token-file "$TMP/$a.token" --name "$a" \
		--spool "$TMP/spool-$a" --allow-root --slots "$SLOTS" >"$TMP/agent-$a.log" 2>&1 &
	PIDS="$PIDS $!"
done
wait_until 100 '[ "$(sql "SELECT count(*) FROM agents WHERE last_seen IS NOT NULL")" -ge 2 ]' ||
	die "the agents did not register"
call PUT /api/queues/bench "{\"department\": \"総務局\", \"trigger\": {\"script\": \"drain\", \"max_running\": $((2 * SLOTS))}}" >/dev/null
wait_until 6000 '[ "$(sql "SELECT count(*) FROM queue_items WHERE state = '"'done'"'")" -ge "$ADDED" ]' ||
	die "not drained: $(sql "SELECT state, count(*) FROM queue_items GROUP BY state")"
take_span=$(sql "SELECT max(final_at) - min(leased_at) FROM queue_items")
take_per_s=$(awk -v n="$ADDED" -v ms="$take_span" 'BEGIN { printf "%.0f", n * 1000 / (ms > 0 ? ms : 1) }')
both=$(awk -v n="$ADDED" -v a="$add_span" -v t="$take_span" 'BEGIN { printf "%.0f", n * 1000 / (a + t) }')
once=$(sql "SELECT count(*) FROM (SELECT item_id FROM queue_item_transitions WHERE to_state = 'done' GROUP BY item_id HAVING count(*) = 1)")
[ "$once" -eq "$ADDED" ] || die "$once of $ADDED items done exactly once"
note "$ADDED items added by $CLIENTS clients in $add_span ms, taken and done by 2 agents x $SLOTS slots in $take_span ms"
call PUT /api/queues/bench '{"department": "総務局"}' >/dev/null	# no trigger: the rest stays

# --- the review page with a full queue -------------------------------------------
i=0
while [ $i -lt $((FILL / 1000)) ]; do
	jq -nc --argjson s "$((ADDED + i * 1000))" \
		'{items: [range($s; $s + 1000) | {reference: "f\(.)", payload: {n: .}}]}' >"$TMP/batch"
	call POST /api/queues/bench/items @"$TMP/batch" >/dev/null || die "filling failed"
	i=$((i + 1))
done
printf 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==' |
	base64 -d >"$TMP/scan.png"
sha=$(curl -sS -f -H "Authorization: Bearer $TOKEN" -H 'Content-Type: image/png' \
	--data-binary @"$TMP/scan.png" "$URL/api/queues/bench/files" | jq -r .sha256)
call POST /api/queues/bench/items "{\"items\": [{\"reference\": \"to-review\", \"priority\": 1000,
	\"files\": [{\"name\": \"scan.png\", \"sha256\": \"$sha\"}]}]}" >/dev/null
AGENT=$(cat "$TMP/standin.token")
call POST /api/agents/register '{"name": "standin", "labels": ["stand-in"]}' "$AGENT" >/dev/null
JOB=$(call POST /api/jobs '{"script": "hold"}' | jq -r .job_id)
aid=$(sql "SELECT id FROM agents WHERE name = 'standin'")
JTOK=$(call POST /api/agents/lease "{\"agent_id\": $aid}" "$AGENT" | jq -r .lease_token)
taken=$(call POST "/api/jobs/$JOB/queue-take" "{\"lease_token\": \"$JTOK\", \"queue\": \"bench\"}" "$AGENT")
ITEM=$(printf '%s' "$taken" | jq -r '.items[0].id')
ITOK=$(printf '%s' "$taken" | jq -r '.items[0].lease_token')
call POST "/api/queue-items/$ITEM/review" "{\"lease_token\": \"$ITOK\", \"review\": {\"image\": \"scan.png\",
	\"fields\": {\"total\": {\"value\": null, \"raw\": \"1?0\", \"kind\": \"amount\", \"status\": \"invalid\",
	\"box\": [1, 1, 1, 1]}, \"subtotal\": {\"value\": 100, \"kind\": \"amount\"}, \"tax\": {\"value\": 10,
	\"kind\": \"amount\"}}, \"checks\": [{\"sum\": [\"subtotal\", \"tax\"], \"equals\": \"total\"}]}}" "$AGENT" >/dev/null
QUEUED=$(sql "SELECT count(*) FROM queue_items WHERE state = 'new'")
ttfb() {	# ttfb METHOD PATH [BODY]: seconds to the first byte
	curl -sS -o /dev/null -w '%{time_starttransfer}\n' -X "$1" \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		${3:+--data-binary "$3"} "$URL$2"
}
: >"$TMP/page.ms"
: >"$TMP/inbox.ms"
n=0
while [ $n -lt 30 ]; do
	{
		ttfb POST "/api/queue-items/$ITEM/open" '{}'
		ttfb POST "/api/queue-items/$ITEM/check" '{"values": {"total": "110"}}'
		ttfb GET "/api/queue-items/$ITEM/files/scan.png"
	} | tee -a "$TMP/calls.s" | awk '{ s += $1 } END { printf "%.1f\n", s * 1000 }' >>"$TMP/page.ms"
	ttfb GET "/api/review?limit=200" | awk '{ printf "%.1f\n", $1 * 1000 }' >>"$TMP/inbox.ms"
	n=$((n + 1))
done
sort -n "$TMP/page.ms" >"$TMP/page.sorted"
p50=$(sed -n 15p "$TMP/page.sorted")
max=$(tail -n 1 "$TMP/page.sorted")
inbox=$(sort -n "$TMP/inbox.ms" | sed -n 15p)
awk '{ t[NR % 3] += $1 } END { printf "bench queue: per call, mean ms: open %.1f check %.1f scan %.1f\n",
	t[1] * 1000 / (NR / 3), t[2] * 1000 / (NR / 3), t[0] * 1000 / (NR / 3) }' "$TMP/calls.s" >&2
note "review page: open + check + scan, 30 times with $QUEUED items waiting: p50 $p50 ms, max $max ms; the inbox p50 $inbox ms"
echo "bench queue: add_per_s=$add_per_s take_per_s=$take_per_s add_take_per_s=$both review_page_p50_ms=$p50 review_page_max_ms=$max inbox_p50_ms=$inbox queued=$QUEUED jobs_per_s=$jobs_per_s"
awk -v p="$p50" -v g="$GOAL_MS" 'BEGIN { exit !(p <= g) }' ||
	die "the review page's server time ($p50 ms) is over the goal of $GOAL_MS ms"
