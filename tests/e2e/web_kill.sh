#!/bin/sh
# web_kill.sh - a browser never outlives what started it, however that ends.
#
#   - `kobito run` is killed with SIGKILL while its browser is open (on a
#     page of the stand-in): within seconds none of the processes below it
#     is left - the guard, chromedriver, every chromium process, the crash
#     handlers that left its process group - nor anything carrying its
#     environment, and its temporary profile is gone.
#   - the same SIGKILL, dealt to an agent (kobito-agent --web-profiles)
#     whose job has a browser open on the agent's profile: the job's
#     process dies with it, its guard cleans up, and the profile is free
#     again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web.inc"

start_somu
hold_scripts

# --- SIGKILL of kobito run ------------------------------------------------------
web_start "$T/a.log" "$T/hold.yaml" --param "url=$SOMU_URL"
run_pid=$WEB_PID
wait_for 300 grep -q 'holding the browser open' "$T/a.log" ||
	fail "the run did not get its browser: $(cat "$T/a.log")"
echo "running: $(ps_of)"
case " $(ps_of) " in
*" chromedriver "*) ;; *) fail "no chromedriver among $(ps_of)" ;; esac
# Everything below kobito now, whatever its environment: the guard, the
# driver, the browser's processes, the crash handlers it re-parented.
tree_of "$run_pid" >"$T/tree"
echo "below kobito: $(wc -l <"$T/tree") processes"
[ "$(wc -l <"$T/tree")" -ge 5 ] || fail "too few browser processes: $(cat "$T/tree")"
ls "$T/tmp" | grep -q '^kobito-web-' || fail "no temporary profile in $T/tmp"
# What the browser writes to its temporary directory goes into its own.
ls "$T/tmp" | grep -q 'org.chromium' && fail "chromium's files outside its directory: $(ls "$T/tmp")"
kill -KILL "$run_pid"
wait "$run_pid" 2>/dev/null
wait_for 100 sh -c "! ls '$T/tmp' | grep -qE '^(kobito-web-|org[.]chromium)'" ||
	fail "the temporary profile is still there: $(temp_left)"
wait_for 100 none_alive "$T/tree"
check "nothing the killed run started is left" "" "$(alive "$T/tree")"
check "nor anything carrying its environment" "" "$(left_behind)"

# --- SIGKILL of an agent with a browser open ---------------------------------------------
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"
mkdir -p "$T/profiles/kyuyo"
cp "$T/hold.yaml" "$T/scripts/hold.yaml"
start_scheduler
make_token agent c1 >"$T/c1.token"
# The agent carries the tag too: its job's process and browser inherit it.
env KOBITO_TEST_TAG="$WEB_TAG" TMPDIR="$T/tmp" "$AGENT" --scheduler "$SCHED_URL" \
	--token-file "$T/c1.token" --name c1 --spool "$T/spool-c1" --allow-root \
	--web-profiles "$T/profiles" --verbose >"$T/agent-c1.log" 2>&1 &
agent_pid=$!
at_exit "kill -9 $agent_pid 2>/dev/null"
job=$(trigger hold "\"params\": {\"url\": \"$SOMU_URL\", \"profile\": \"kyuyo\", \"mark\": \"エージェント\"}")
has_browser() { case " $(ps_of) " in *" chromium "*) return 0 ;; esac; return 1; }
wait_for 300 has_browser || fail "job $job got no browser: $(tail -n 5 "$T/agent-c1.log")"
echo "agent running: $(ps_of)"
# The job holds the agent's profile: a run of its own is refused it.
KOBITO_WEB_PROFILES="$T/profiles" web_run "$T/refuse.yaml" --json \
	--param "url=$SOMU_URL" --param profile=kyuyo >"$T/c1.json" 2>/dev/null &&
	fail "the agent's job and a run shared the profile"
case $(jq -r .error "$T/c1.json") in
*"is in use by another run"*) ;;
*) fail "agent: the job does not hold the agent's profile: $(jq -r .error "$T/c1.json")" ;;
esac
tree_of "$agent_pid" >"$T/tree"
kill -KILL "$agent_pid"
wait "$agent_pid" 2>/dev/null
wait_for 100 sh -c "! ls '$T/tmp' | grep -qE '^(kobito-web-|org[.]chromium)'" ||
	fail "the job's temporary profile is still there: $(temp_left); alive: $(alive "$T/tree")"
wait_for 100 none_alive "$T/tree"
check "agent: nothing the killed agent's job started is left" "" "$(alive "$T/tree")"
check "agent: nor anything carrying its environment" "" "$(left_behind)"
KOBITO_WEB_PROFILES="$T/profiles" web_run "$T/open.yaml" --json \
	--param "url=$SOMU_URL" --param profile=kyuyo >"$T/c2.json" 2>"$T/c2.log" ||
	fail "the agent's profile is not free again: $(cat "$T/c2.log")"
check "agent: nothing is left at the end" "" "$(left_behind)"
