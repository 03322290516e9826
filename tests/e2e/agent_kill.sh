#!/bin/sh
# agent_kill.sh - an agent lost mid-job.
#
# 1. kill -9 of the agent running a job: once the lease expires the job is
#    dispatched again and succeeds on another agent.
# 2. The dead agent's late result is refused: a result under the old lease
#    token, left in the dead agent's spool, is replayed by that agent when
#    it comes back; the scheduler answers 409 and the agent moves it aside.
# 3. The same with an agent that is frozen (SIGSTOP) past its lease and
#    then resumed: it learns the lease is gone and drops its run; the job
#    keeps the result of the agent that ran it again.
# Each time the KPI ledger holds exactly one row for the job.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

cat >"$T/scripts/slow.yaml" <<'EOF'
name: slow
kpi: { manual_minutes_per_run: 3 }
steps:
  - log: start
  - sleep: 2
  - log: end
EOF
cat >"$T/config.yaml" <<'EOF'
lease_ttl_ms: 2000
jobs:
  max_attempts: 3
  backoff_ms: 100
EOF
start_scheduler --config "$T/config.yaml"

# --- 1. kill -9 mid-job ------------------------------------------------
start_agent a1 --poll-wait 1500
wait_for 100 grep -q registered "$T/agent-a1.log" || fail "a1 did not register"
j1=$(trigger slow)
wait_state "$j1" running 50
check "job $j1 runs on a1" a1 "$(job_field "$j1" .agent)"
stop_agent a1 KILL
echo "ok: a1 killed with SIGKILL mid-job"
start_agent a2 --poll-wait 1500
wait_final "$j1" 150
check "job $j1 succeeded" succeeded "$(job_field "$j1" .state)"
check "attempt 1 on a1 was lost, attempt 2 on a2 succeeded" \
	"a1:lost a2:succeeded" \
	"$(job_field "$j1" '[.runs[] | "\(.agent):\(.status)"] | join(" ")')"
check "one ledger row for job $j1" 1 \
	"$(sql "SELECT count(*) FROM kpi_ledger WHERE job_id = $j1")"

# --- 2. the dead agent's late result ----------------------------------
# What a1 would have spooled had it finished: a succeeded result under
# its lease token.  When a1 starts again it delivers its spool first.
run1=$(sql "SELECT id FROM runs WHERE job_id = $j1 AND attempt = 1")
token1=$(sql "SELECT lease_token FROM runs WHERE id = $run1")
[ -n "$token1" ] || fail "no lease token recorded for run $run1"
mkdir -p "$T/spool-a1/outbox"
jq -n --arg job "$j1" --arg run "$run1" --arg tok "$token1" '{
	kind: "result", key: "job-\($job).a1", job_id: $job, attempt: 1,
	run_id: $run, lease_token: $tok,
	events: [{type: "log", level: "info", message: "late", seq: 1,
		  time: "2026-01-01T00:00:00.000+09:00"}],
	artifacts: [],
	summary: {run_id: $run, script: "slow", status: "succeeded",
		  error: null, items: {succeeded: 0, failed: 0, failures: []},
		  minutes_saved: 3, vendor_minutes_saved: 0, duration_ms: 2000,
		  steps: [], artifacts: [], output: null}}' \
	>"$T/spool-a1/outbox/job-$j1.a1.json"
start_agent a1 --poll-wait 1500
wait_for 100 test -e "$T/spool-a1/rejected/job-$j1.a1.json" ||
	fail "a1 did not settle its late result: $(cat "$T/agent-a1.log")"
check "the late result was refused as stale" \
	"409 Conflict: stale lease token for job $j1" \
	"$(jq -r .rejected "$T/spool-a1/rejected/job-$j1.a1.json")"
check "and is no longer in a1's outbox" "" "$(ls "$T/spool-a1/outbox")"
grep -q "job $j1: result refused (409 Conflict" "$T/agent-a1.log" ||
	fail "a1 did not say why it dropped the result"
check "job $j1 still has a2's result" "succeeded 2" \
	"$(job_field "$j1" '"\(.state) \(.attempt)"')"
check "still one ledger row for job $j1" 1 \
	"$(sql "SELECT count(*) FROM kpi_ledger WHERE job_id = $j1")"
check "the late run's log line was not stored" 0 \
	"$(sql "SELECT count(*) FROM run_events WHERE run_id = $run1 AND event LIKE '%\"late\"%'")"
stop_agent a1
stop_agent a2

# --- 3. frozen past the lease, then resumed ------------------------------
# The long polls a1 and a2 left parked at the scheduler must end first:
# the scheduler does not notice that a parked poll's agent has gone, and
# would lease the next job to it (the lease would then expire unseen).
# The agents here poll for 1.5 s at a time, so this takes a moment.
wait_for 50 sh -c "curl -s -H 'Authorization: Bearer $(admin_token)' \
	'$SCHED_URL/metrics' | grep -qx 'kobito_long_polls_waiting 0'" ||
	fail "parked long polls of stopped agents did not end"
start_agent a3
wait_for 100 grep -q registered "$T/agent-a3.log" || fail "a3 did not register"
j2=$(trigger slow)
wait_state "$j2" running 50
check "job $j2 runs on a3" a3 "$(job_field "$j2" .agent)"
kill -STOP "$(agent_pid a3)"
echo "ok: a3 frozen mid-job"
start_agent a2
wait_final "$j2" 150
check "job $j2 succeeded on a2" "a3:lost a2:succeeded" \
	"$(job_field "$j2" '[.runs[] | "\(.agent):\(.status)"] | join(" ")')"
kill -CONT "$(agent_pid a3)"
# Resumed, a3 hears 409 on its next heartbeat (or on its result) and
# drops the run.
wait_for 100 grep -qE "job $j2 attempt 1: lease lost; its output is dropped|job $j2: result refused \(409" \
	"$T/agent-a3.log" || fail "a3 did not drop its stale run: $(cat "$T/agent-a3.log")"
echo "ok: a3 dropped its stale run: $(grep -E "job $j2 attempt 1: lease lost|job $j2: result refused" "$T/agent-a3.log" | cut -c 31-)"
check "job $j2 keeps a2's result" "succeeded 2" \
	"$(job_field "$j2" '"\(.state) \(.attempt)"')"
check "one ledger row for job $j2" 1 \
	"$(sql "SELECT count(*) FROM kpi_ledger WHERE job_id = $j2")"
check "a3's outbox is empty" "" "$(ls "$T/spool-a3/outbox")"
stop_agent a3
check "a3 exits cleanly after all that" 0 "$?"
stop_agent a2
exit 0
