#!/bin/sh
# sched_retry_items.sh - a retried job's items are credited once: items an
# attempt did before it failed are not lost when the retry skips them as
# done, nor counted twice when the retry does them again; two equal rows
# stay two items.  The agent lists each succeeded item by a key (a hash of
# the job, the loop and the item's value); the scheduler's ledger row of
# the last attempt carries the job's items, each once, and the reports
# (the rollup) count the job once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

# The first attempt registers a and b, fails c and d (the system is
# down), then fails as a whole; the second finds the system up.  With
# mode=skip an item already registered is skipped, with mode=redo it is
# registered again.
cat >"$T/scripts/register.yaml" <<'EOF'
name: register
kpi: { manual_minutes_per_item: 3 }
params:
  dir: { type: string, required: true }
  mode: { type: string, required: true }
  rows: { type: string, required: true }
steps:
  - id: second
    file.exists: "${params.dir}/attempt1"
  - for_each: ${split(params.rows, ',')}
    as: x
    steps:
      - id: done
        file.exists: "${params.dir}/done-${x}"
      - skip: already registered
        if: ${steps.done.output and params.mode == 'skip'}
      - fail: "the system is down for ${x}"
        if: ${not steps.second.output and (x == 'c' or x == 'd')}
      - file.write: { path: "${params.dir}/done-${x}", content: "${x}" }
  - file.write: { path: "${params.dir}/attempt1", content: "1" }
    if: ${not steps.second.output}
  - fail: "the first attempt fails"
    if: ${not steps.second.output}
EOF
start_scheduler
start_agent a1

# job DIR MODE ROWS: run a job of register in its own directory; sets j.
job() {
	mkdir -p "$T/$1"
	j=$(trigger register "\"max_attempts\": 2, \"backoff_ms\": 0, \"params\": {\"dir\": \"$T/$1\", \"mode\": \"$2\", \"rows\": \"$3\"}")
	wait_final "$j" 600
	check "job $j ($1) succeeded" succeeded "$(job_field "$j" .state)"
}
# ledger JOB: each attempt's "status items_succeeded items_skipped counted".
ledger() {
	sql "SELECT group_concat(status || ' ' || items_succeeded || ' ' || items_skipped || ' ' || counted, ', ') FROM (SELECT * FROM kpi_ledger WHERE job_id = $1 ORDER BY id)"
}

job skip skip a,b,c,d
check "skip: each attempt's own items in its run" "2 2 0, 2 0 2" \
	"$(sql "SELECT group_concat(items_succeeded || ' ' || items_failed || ' ' || items_skipped, ', ') FROM (SELECT * FROM runs WHERE job_id = $j ORDER BY id)")"
check "skip: the last attempt credits a and b (done before) and c and d" \
	"failed 2 0 0, succeeded 4 2 1" "$(ledger "$j")"
check "skip: 4 items of 3 minutes" 12.0 \
	"$(sql "SELECT minutes_saved FROM kpi_ledger WHERE job_id = $j AND counted = 1")"

job redo redo a,b,c,d
check "redo: a and b done twice count once" "failed 2 0 0, succeeded 4 0 1" "$(ledger "$j")"

# Two equal rows are two items, in one attempt and across two.
job dup redo a,a,c
check "equal rows: two items" "failed 2 0 0, succeeded 3 0 1" "$(ledger "$j")"

check "the reports count three jobs and their 11 items once" "3 11" \
	"$(sql "SELECT sum(runs) || ' ' || sum(items_succeeded) FROM kpi_rollup WHERE script = 'register'")"

# A summary whose item keys are not a list of keys is refused.
stop_agent a1
make_token agent stand >"$T/stand.token"
stok=$(cat "$T/stand.token")
aid=$(api POST /api/agents/register "$stok" '{"name": "stand"}' | sed '$d' | jq .agent_id)
jb=$(trigger register "\"max_attempts\": 1, \"params\": {\"dir\": \"$T/x\", \"mode\": \"skip\", \"rows\": \"\"}")
lease=$(api POST /api/agents/lease "$stok" "{\"agent_id\": $aid}" | sed '$d')
lt=$(printf '%s' "$lease" | jq -r .lease_token)
out=$(api POST "/api/jobs/$jb/result" "$stok" "{\"lease_token\": \"$lt\", \"summary\": {\"status\": \"succeeded\", \"items\": {\"succeeded\": 1, \"failed\": 0, \"done\": [1]}}}")
check "bad item keys refused" 400 "$(status_of "$out")"
body_of "$out" | grep -q "summary.items.done: expected a list of at most 10000 item keys" ||
	fail "no clear refusal: $out"
echo "ok: $(body_of "$out")"
