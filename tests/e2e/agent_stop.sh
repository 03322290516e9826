#!/bin/sh
# agent_stop.sh - stopping jobs on purpose.
#
# 1. SIGTERM (default --on-term release): the agent finishes the step in
#    progress, hands the job back without using up an attempt, and exits 0;
#    another agent runs the job to the end.
# 2. --on-term finish: the agent finishes the job, reports it, exits 0.
# 3. A second signal stops the job at once and hands it back.
# 4. A user cancels a running job: the agent stops it at its next
#    heartbeat and the job ends cancelled.
# The jobs may use one attempt only, so a handed-back job that counted as
# an attempt would fail.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

cat >"$T/scripts/steps.yaml" <<'EOF'
name: steps
steps:
  - log: first
  - sleep: 1.5
  - log: second
  - sleep: 1.5
  - log: third
EOF
cat >"$T/scripts/long.yaml" <<'EOF'
name: long
steps:
  - sleep: 30
EOF
cat >"$T/config.yaml" <<'EOF'
lease_ttl_ms: 1500
jobs:
  max_attempts: 1
EOF
start_scheduler --config "$T/config.yaml"
export KOBITO_SCHEDULER="$SCHED_URL" KOBITO_TOKEN="$(admin_token)"
# Short long polls, so the stopped agents' polls do not linger at the
# scheduler (see agent_kill.sh).
start_agent a1 --poll-wait 1000
wait_for 100 grep -q registered "$T/agent-a1.log" || fail "a1 did not register"

# --- 1. SIGTERM: finish the step, hand the job back ----------------------
j1=$(trigger steps)
wait_state "$j1" running 50
sleep 0.3			# inside the first sleep step
stop_agent a1 TERM
check "a1 exits 0 on SIGTERM" 0 "$?"
grep -q "job $j1 attempt 1: handed back" "$T/agent-a1.log" ||
	fail "a1 did not hand job $j1 back: $(cat "$T/agent-a1.log")"
check "the job is queued again" queued "$(job_field "$j1" .state)"
run1=$(sql "SELECT id FROM runs WHERE job_id = $j1 AND attempt = 1")
check "a1 finished the step it was in, and no more" "first|the run was cancelled" \
	"$("$KOBITO" logs "$run1" --json | jq -r '[.logs[].message] | join("|")')"
check "that step ended normally" "succeeded" \
	"$(sql "SELECT json_extract(event, '$.status') FROM run_events WHERE run_id = $run1 AND type = 'step_end' AND json_extract(event, '$.step') = 'sleep'")"
start_agent a2 --poll-wait 1000
wait_final "$j1" 100
check "another agent ran it to the end, on its one attempt" \
	"succeeded a1:released a2:succeeded" \
	"$(job_field "$j1" '"\(.state) " + ([.runs[] | "\(.agent):\(.status)"] | join(" "))')"
stop_agent a2

# --- 2. --on-term finish ------------------------------------------------
wait_for 50 sh -c "curl -s -H 'Authorization: Bearer $KOBITO_TOKEN' \
	'$SCHED_URL/metrics' | grep -qx 'kobito_long_polls_waiting 0'" ||
	fail "parked long polls of stopped agents did not end"
start_agent a3 --poll-wait 1000 --on-term finish
j2=$(trigger steps)
wait_state "$j2" running 50
stop_agent a3 TERM
check "a3 exits 0 after finishing" 0 "$?"
check "the job was finished, not handed back" "succeeded a3:succeeded" \
	"$(job_field "$j2" '"\(.state) " + ([.runs[] | "\(.agent):\(.status)"] | join(" "))')"

# --- 3. a second signal: stop now ----------------------------------------
start_agent a4 --poll-wait 1000
wait_for 100 grep -q registered "$T/agent-a4.log" || fail "a4 did not register"
j3=$(trigger long)
wait_state "$j3" running 50
pid=$(agent_pid a4)
kill -TERM "$pid"
sleep 0.3
start=$(date +%s)
kill -TERM "$pid"
wait "$pid"
check "a4 exits 0 after the second signal" 0 "$?"
[ $(($(date +%s) - start)) -le 3 ] || fail "the second signal did not stop the 30 s step"
check "the job was handed back" queued "$(job_field "$j3" .state)"
api POST "/api/jobs/$j3/cancel" "$KOBITO_TOKEN" '{}' >/dev/null

# --- 4. a user cancels a running job -------------------------------------
start_agent a5 --poll-wait 1000
j4=$(trigger long)
wait_state "$j4" running 50
out=$(api POST "/api/jobs/$j4/cancel" "$KOBITO_TOKEN" '{"reason": "wrong month"}')
check "the cancel is accepted" 200 "$(status_of "$out")"
wait_final "$j4" 50
check "the job ends cancelled within a heartbeat" cancelled \
	"$(job_field "$j4" .state)"
grep -q "job $j4 attempt 1: cancelled by a user; stopping it" "$T/agent-a5.log" ||
	fail "a5 did not stop the cancelled job"
stop_agent a5
check "a5 exits 0" 0 "$?"
exit 0
