#!/bin/sh
# agent_scheduler_down.sh - the scheduler dies (kill -9) while an agent is
# running a job.  The agent finishes the job anyway, keeps the result in
# its spool, retries with backoff, and delivers it once the scheduler is
# back on the same address; the job ends succeeded with that result, and
# nothing is lost across a restart of the agent either.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

cat >"$T/scripts/slow.yaml" <<'EOF'
name: slow
kpi: { manual_minutes_per_run: 4 }
steps:
  - log: start
  - sleep: 1.5
  - log: "finished while nobody listened"
EOF
cat >"$T/config.yaml" <<'EOF'
lease_ttl_ms: 4000
EOF
start_scheduler --config "$T/config.yaml"
port=$(cat "$T/port")
start_agent a1
wait_for 100 grep -q registered "$T/agent-a1.log" || fail "a1 did not register"

# 1. Down while the job runs; the result waits in the spool.
j1=$(trigger slow)
wait_state "$j1" running 50
stop_scheduler KILL
echo "ok: the scheduler was killed while job $j1 ran"
wait_for 100 test -e "$T/spool-a1/outbox/job-$j1.a1.json" ||
	fail "the finished job's result was not spooled: $(cat "$T/agent-a1.log")"
check "the spooled record is the job's result" "result succeeded" \
	"$(jq -r '"\(.kind) \(.summary.status)"' "$T/spool-a1/outbox/job-$j1.a1.json")"
check "with the log line written during the outage" 1 \
	"$(jq '[.events[] | select(.message == "finished while nobody listened")] | length' \
	"$T/spool-a1/outbox/job-$j1.a1.json")"
# Let the deliverer fail a few times, with backoff.
sleep 3
grep -q "cannot deliver to the scheduler" "$T/agent-a1.log" ||
	fail "the agent did not say it keeps the result: $(cat "$T/agent-a1.log")"
kill -0 "$(agent_pid a1)" || fail "the agent died while the scheduler was down"

start_scheduler --config "$T/config.yaml" --listen "127.0.0.1:$port"
check "the scheduler is back on the same port" "$port" "$(cat "$T/port")"
wait_final "$j1" 300
check "job $j1 succeeded with the spooled result" succeeded \
	"$(job_field "$j1" .state)"
check "in one attempt" "a1:succeeded" \
	"$(job_field "$j1" '[.runs[] | "\(.agent):\(.status)"] | join(" ")')"
run=$(job_field "$j1" .run_id)
check "the outage's log line reached the scheduler" 1 \
	"$(sql "SELECT count(*) FROM run_events WHERE run_id = $run AND event LIKE '%finished while nobody listened%'")"
check "one ledger row, with the KPI minutes" "1 4.0" \
	"$(sql "SELECT count(*) || ' ' || printf('%.1f', sum(minutes_saved)) FROM kpi_ledger WHERE job_id = $j1")"
wait_for 50 sh -c "[ -z \"\$(ls '$T/spool-a1/outbox')\" ]" ||
	fail "the delivered record is still in the outbox"
echo "ok: the outbox is empty once delivered"

# 2. Down again; this time the agent is also restarted before the
# scheduler returns: the spool carries the result across.
j2=$(trigger slow)
wait_state "$j2" running 50
stop_scheduler KILL
wait_for 100 test -e "$T/spool-a1/outbox/job-$j2.a1.json" ||
	fail "the second result was not spooled"
stop_agent a1
check "the agent stops cleanly with a result undelivered" 0 "$?"
grep -q "exiting with 1 undelivered record" "$T/agent-a1.log" ||
	fail "the agent did not say what it left behind"
start_agent a1
start_scheduler --config "$T/config.yaml" --listen "127.0.0.1:$port"
wait_final "$j2" 300
check "job $j2 succeeded with the result kept across the agent's restart" \
	"succeeded a1:succeeded" \
	"$(job_field "$j2" '"\(.state) " + ([.runs[] | "\(.agent):\(.status)"] | join(" "))')"
wait_for 50 sh -c "[ -z \"\$(ls '$T/spool-a1/outbox')\" ]" ||
	fail "the second record is still in the outbox"
check "one ledger row per job" 2 "$(sql "SELECT count(*) FROM kpi_ledger")"
stop_agent a1
exit 0
