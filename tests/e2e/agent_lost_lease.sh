#!/bin/sh
# agent_lost_lease.sh - a job whose lease is taken away while a step of it
# ignores the stop: the agent hears the 409 once, stops calling about the
# job, and keeps serving its other job (the agent's one reporter must not
# spin on the lost one).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

# The second step ignores SIGTERM: stopping it takes the exec action's
# two seconds before SIGKILL.  The lease is taken during the first.
cat >"$T/scripts/unyielding.yaml" <<'EOF2'
name: unyielding
steps:
  - sleep: 1.5
  - exec: { argv: [sh, -c, 'trap "" TERM; sleep 6'], check: false }
EOF2
cat >"$T/scripts/steady.yaml" <<'EOF2'
name: steady
steps:
  - sleep: 3
  - log: "steady done"
EOF2
start_scheduler
start_agent keeper --slots 2
js=$(trigger unyielding)
jt=$(trigger steady)
wait_for 100 job_in_state "$js" running || fail "the unyielding job did not start"
# Someone else's lease now (as after an expiry and a re-dispatch).
sqlite3 -batch "$T/sched.db" ".timeout 5000" \
	"UPDATE jobs SET lease_token = '0123456789abcdef0123456789abcdef' WHERE id = $js" ||
	fail "cannot take the lease"
wait_for 150 grep -q "stopping it" "$T/agent-keeper.log" ||
	fail "the agent did not hear that the lease was gone"
# The exec step takes its two seconds to die; meanwhile nothing more is
# sent about the job.
sleep 3
refused=$(sql "SELECT count(*) FROM audit WHERE path LIKE '/api/jobs/$js/%' AND status = 409")
[ "$refused" -le 3 ] || fail "the agent was refused $refused times about the lost job"
echo "ok: refused $refused time(s) about the lost job, then silent"
wait_for 100 job_in_state "$jt" succeeded ||
	fail "the other job did not finish: $(job_field "$jt" .state)"
echo "ok: the other job went on"
