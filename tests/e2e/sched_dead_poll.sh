#!/bin/sh
# sched_dead_poll.sh - an agent killed while it waits in a long poll is
# not handed the next job: the job goes at once to an agent that is alive,
# on its first attempt, instead of waiting out a lease in a dead connection.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

printf 'name: quick\nsteps:\n  - log: done\n' >"$T/scripts/quick.yaml"
printf 'lease_ttl_ms: 30000\n' >"$T/config.yaml"
start_scheduler --config "$T/config.yaml"
polls() {
	api GET /metrics "$(admin_token)" | sed '$d' |
	    awk '/^kobito_long_polls_waiting /{ print $2 }'
}
waiting() { [ "$(polls)" = "$1" ]; }
start_agent dead
wait_for 100 waiting 1 || fail "the first agent is not waiting"
start_agent alive
wait_for 100 waiting 2 || fail "the second agent is not waiting"
stop_agent dead KILL
start=$(date +%s)
job=$(trigger quick)
wait_final "$job" 100
check "the job succeeds" succeeded "$(job_field "$job" .state)"
check "on its first attempt" 1 "$(job_field "$job" '.runs | length')"
check "on the live agent" alive "$(job_field "$job" '.runs[0].agent')"
[ $(( $(date +%s) - start )) -lt 10 ] || fail "the job waited for a lease to expire"
echo "ok: handed to the live agent at once"
