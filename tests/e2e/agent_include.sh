#!/bin/sh
# agent_include.sh - a script that includes sub-flows runs on an agent
# whose working directory has none of them: the sub-flows travel with the
# script's version, in a thread and in a child process alike.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

mkdir -p "$T/scripts/lib" "$T/elsewhere"
cat >"$T/scripts/main.yaml" <<'Y'
name: main
requires: [threaded]
kpi: { manual_minutes_per_item: 1 }
steps:
  - for_each: ${['甲', '乙']}
    steps:
      - id: greet
        include: lib/greet.yaml
        with: { who: "${item}" }
      - log: "got ${steps.greet.output}"
Y
cat >"$T/scripts/lib/greet.yaml" <<'Y'
name: greet
params:
  who: { type: string, required: true }
steps:
  - include: ../common/noop.yaml
output: "hello ${params.who}"
Y
mkdir -p "$T/scripts/common"
printf 'name: noop\nsteps:\n  - log: noop\n' >"$T/scripts/common/noop.yaml"
# The same flow for the agent that runs each job in a child process.
sed 's/^name: main$/name: main2/; s/threaded/isolated/' "$T/scripts/main.yaml" \
	>"$T/scripts/main2.yaml"

start_scheduler
# The agent runs elsewhere: nothing of the scripts folder is there.
cd "$T/elsewhere" || fail "no directory"
admin_token >/dev/null
start_agent a1 --isolation thread --labels threaded
start_agent a2 --isolation process --labels isolated
job=$(trigger main)
wait_final "$job" 100
check "the job with includes succeeds on the agent (thread)" succeeded \
	"$(job_field "$job" .state)"
job=$(trigger main2)
wait_final "$job" 100
check "the job with includes succeeds on the agent (process)" succeeded \
	"$(job_field "$job" .state)"
run=$(job_field "$job" .run_id)
logs=$(api GET "/api/runs/$run/logs" "$(admin_token)" | sed '$d')
printf '%s' "$logs" | grep -q "got hello 乙" || fail "no output of the sub-flow in the logs: $logs"
echo "ok: the sub-flow's output reached the log"

# The version covers the sub-flows: changing one makes a new digest.
d1=$(sql "SELECT digest FROM scripts WHERE name = 'main'")
printf 'name: noop\nsteps:\n  - log: changed\n' >"$T/scripts/common/noop.yaml"
stop_scheduler
start_scheduler
d2=$(sql "SELECT digest FROM scripts WHERE name = 'main'")
[ -n "$d1" ] && [ "$d1" != "$d2" ] ||
	fail "changing an included file did not make a new version ($d1 / $d2)"
echo "ok: changing an included file makes a new version"
