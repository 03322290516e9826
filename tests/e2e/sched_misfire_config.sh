#!/bin/sh
# sched_misfire_config.sh - a schedule from the --config file with
# "misfire: run_once" catches up after the scheduler was down, like one
# made through the API (starting again used to recompute its next fire
# time from the start, so the missed time was forgotten); "skip" does
# not; and a schedule whose timing changed in the file while the
# scheduler was down starts over from its new timing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

cat >"$T/scripts/hello.yaml" <<'EOF'
name: hello
steps:
  - log: hello
EOF
config() {	# config CRON_OF_MOVED
	cat >"$T/config.yaml" <<EOF
schedules:
  - { name: nightly, script: hello, cron: "0 3 * * *", misfire: run_once }
  - { name: skipper, script: hello, cron: "0 3 * * *", misfire: skip }
  - { name: moved, script: hello, cron: "$1", misfire: run_once }
EOF
}
config "0 3 * * *"
start_scheduler --config "$T/config.yaml"
OP=$(make_token operator oscar)
stop_scheduler

# Down for ten minutes, over the fire time of every schedule.
past=$(( $(date +%s) * 1000 - 600000 ))
sqlite3 "$T/sched.db" "UPDATE schedules SET next_fire = $past" || fail "sqlite3"
config "0 4 * * *"
start_scheduler --config "$T/config.yaml"

jobs_of() {
	api GET "/api/jobs?limit=100" "$OP" | sed '$d' |
		jq "[.jobs[] | select(.triggered_by == \"schedule:$1\")] | length"
}
caught_up() { [ "$(jobs_of nightly)" = 1 ]; }
wait_for 100 caught_up || fail "no catch-up job for 'nightly' ($(jobs_of nightly))"
echo "ok: run_once from the config file catches up"
# The tick that fired 'nightly' has dealt with the others too.
check "skip drops the missed time" 0 "$(jobs_of skipper)"
check "a changed timing starts over" 0 "$(jobs_of moved)"
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM schedules WHERE next_fire > $past + 600000")
check "every next fire time is in the future" 3 "$n"
stop_scheduler
