#!/bin/sh
# agent_batch.sh - an agent with four slots and a queue of forty short
# jobs: it leases several jobs per call and reports several results per
# call (POST /api/results), keeps the loaded script between jobs, and
# every job still ends succeeded exactly once, with its own events and one
# ledger row.  Then an agent with two slots and one display, and two jobs
# that need a display: it never takes both at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

cat >"$T/scripts/quick.yaml" <<'EOF2'
name: quick
kpi: { manual_minutes_per_run: 1 }
steps:
  - log: "quick ${run.id}"
  # Jobs leased together end together: their results go together.
  - sleep: 0.05
EOF2
cat >"$T/scripts/screen.yaml" <<'EOF2'
name: screen
requires: [display]
steps:
  - log: "on the screen"
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
all_done() { [ "$(sql "SELECT count(*) FROM jobs WHERE state = 'succeeded'")" -eq "$N" ]; }
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

# Two slots, one display: every job of a batch must match the labels the
# agent offered, so it asks for no more jobs than it has free displays.
trigger screen >/dev/null
trigger screen >/dev/null
N=$((N + 2))
start_agent painter --slots 2 --display :99
wait_for 300 all_done ||
	fail "the display jobs did not succeed: $(sql "SELECT state, count(*) FROM jobs WHERE script = 'screen' GROUP BY state")"
check "each display job on its first attempt" 1 "$(sql "SELECT max(attempt) FROM jobs WHERE script = 'screen'")"
check "one display job per lease call" 1 \
	"$(sql "SELECT max(coalesce(json_array_length(detail, '\$.jobs'), 1)) FROM audit WHERE path = '/api/agents/lease' AND status = 200 AND actor = 'agent:painter'")"
grep -q "no free display" "$T/agent-painter.log" && fail "a job found no free display"
echo "ok: no job found its display taken"
