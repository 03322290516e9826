#!/bin/sh
# agent_batch.sh - an agent with four slots and a queue of forty short
# jobs: it leases several jobs per call and reports several results per
# call (POST /api/results), keeps the loaded script between jobs, and
# every job still ends succeeded exactly once, with its own events and one
# ledger row.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

cat >"$T/scripts/quick.yaml" <<'EOF2'
name: quick
kpi: { manual_minutes_per_run: 1 }
steps:
  - log: "quick ${run.id}"
EOF2
start_scheduler
N=40
i=0
while [ $i -lt $N ]; do
	trigger quick >/dev/null
	i=$((i + 1))
done
# Queued before the agent starts, so its first lease can take four.
start_agent batcher --slots 4
all_done() { [ "$(sql "SELECT count(*) FROM jobs WHERE state = 'succeeded'")" -eq $N ]; }
wait_for 300 all_done ||
	fail "not all jobs succeeded: $(sql "SELECT state, count(*) FROM jobs GROUP BY state")"

check "no job in another state" 0 "$(sql "SELECT count(*) FROM jobs WHERE state <> 'succeeded'")"
check "one run per job" "$N" "$(sql "SELECT count(*) FROM runs")"
check "one ledger row per job" "$N" "$(sql "SELECT count(DISTINCT run_id) FROM kpi_ledger")"
# The agent loads the script once and keeps it for the next job of the
# same version: each run still logs its own id.
check "every run's own log line arrived" "$N" \
	"$(sql "SELECT count(DISTINCT json_extract(event, '\$.message')) FROM run_events WHERE type = 'log' AND json_extract(event, '\$.message') LIKE 'quick %'")"
leased=$(sql "SELECT max(json_array_length(detail, '\$.jobs')) FROM audit WHERE path = '/api/agents/lease' AND status = 200")
[ "${leased:-0}" -ge 2 ] || fail "no lease call took more than one job (most: ${leased:-none})"
echo "ok: one lease call took $leased jobs"
sent=$(sql "SELECT max(json_array_length(detail, '\$.results')) FROM audit WHERE path = '/api/results' AND status = 200")
[ "${sent:-0}" -ge 2 ] || fail "no results call carried more than one result (most: ${sent:-none})"
echo "ok: one results call carried $sent results"
check "every move recorded" "queued,leased,running,succeeded" \
	"$(sql "SELECT group_concat(to_state) FROM (SELECT to_state FROM job_transitions WHERE job_id = (SELECT max(id) FROM jobs) ORDER BY id)")"
check "nothing left in the spool" 0 "$(ls "$T/spool-batcher/outbox" | wc -l)"
