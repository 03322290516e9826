#!/bin/sh
# web_lifecycle.sh - what a browser leaves behind, and whose profile it is.
#
#   A: `kobito run` is killed with SIGKILL while its browser is open (on a
#      page of the stand-in): within seconds no chromedriver, chromium or
#      crash handler it started is left in the process table, and its
#      temporary profile is gone.
#   B: a persistent profile (KOBITO_WEB_PROFILES) is never shared: while
#      one run has it open, a second run's web.open is refused with a clear
#      error; after the first run is stopped (SIGTERM: it ends its step and
#      closes the browser), the next run finds what the first stored in
#      that profile, and a run with a fresh profile does not.
#   C: the same SIGKILL, dealt to an agent (kobito-agent --web-profiles)
#      whose job has a browser open on the agent's profile: the job's
#      process dies with it, its guard cleans up, and the profile is free
#      again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web.inc"

start_somu
ps_of() { for p in $(left_behind); do cat "/proc/$p/comm" 2>/dev/null; done | sort | uniq -c | tr -s ' \n' ' '; }

# --- A: SIGKILL of kobito run ------------------------------------------------------
cat >"$T/hold.yaml" <<'Y'
name: hold
params:
  url: { type: string, required: true }
  profile: { type: string, default: "" }
  mark: { type: string, default: "" }
steps:
  - if: "${params.profile == ''}"
    web.open: { url: "${params.url}/login" }
  - if: "${params.profile != ''}"
    web.open: { url: "${params.url}/login", profile: "${params.profile}" }
  - if: "${params.mark != ''}"
    web.eval: { expr: "localStorage.setItem('kobito', '${params.mark}')" }
  - log: holding the browser open
  - sleep: 120
Y
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
alive() {
	for p in $(cat "$1"); do
		[ -d "/proc/$p" ] && [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" != Z ] &&
			echo "$p $(cat "/proc/$p/comm" 2>/dev/null)"
	done
	return 0
}
none_alive() { [ -z "$(alive "$1")" ]; }
ls "$T/tmp" | grep -q '^kobito-web-' || fail "no temporary profile in $T/tmp"
# What the browser writes to its temporary directory goes into its own.
ls "$T/tmp" | grep -q 'org.chromium' && fail "chromium's files outside its directory: $(ls "$T/tmp")"
kill -KILL "$run_pid"
wait "$run_pid" 2>/dev/null
temp_left() { ls "$T/tmp" | grep -E '^(kobito-web-|org\.chromium)'; }
wait_for 100 sh -c "! ls '$T/tmp' | grep -qE '^(kobito-web-|org[.]chromium)'" ||
	fail "the temporary profile is still there: $(temp_left)"
wait_for 100 none_alive "$T/tree"
check "A: nothing the killed run started is left" "" "$(alive "$T/tree")"
check "A: nor anything carrying its environment" "" "$(left_behind)"

# --- B: a persistent profile, one run at a time ---------------------------------------
mkdir -p "$T/profiles/kyuyo"
export KOBITO_WEB_PROFILES="$T/profiles"
web_start "$T/b1.log" "$T/hold.yaml" --param "url=$SOMU_URL" \
	--param profile=kyuyo --param mark=保存済み
b1=$WEB_PID
wait_for 300 grep -q 'holding the browser open' "$T/b1.log" ||
	fail "the first run did not open its profile: $(cat "$T/b1.log")"
cat >"$T/open.yaml" <<'Y'
name: open
params:
  url: { type: string, required: true }
  profile: { type: string, default: "" }
steps:
  - if: "${params.profile == ''}"
    web.open: { url: "${params.url}/login" }
  - if: "${params.profile != ''}"
    web.open: { url: "${params.url}/login", profile: "${params.profile}" }
  - id: mark
    web.eval: { expr: "localStorage.getItem('kobito')" }
output:
  mark: "${steps.mark.output.value}"
Y
# The same, but giving up on the profile after 1 s.
sed 's/profile: "${params.profile}" }/&\n    timeout: 1s/' "$T/open.yaml" >"$T/refuse.yaml"
web_run "$T/refuse.yaml" --json --param "url=$SOMU_URL" --param profile=kyuyo \
	>"$T/b2.json" 2>"$T/b2.log" && fail "a second run shared the profile"
echo "refused: $(jq -r .error "$T/b2.json")"
case $(jq -r .error "$T/b2.json") in
*"profile '$T/profiles/kyuyo' is in use by another run"*) ;;
*) fail "the refusal does not say why: $(jq -r .error "$T/b2.json")" ;;
esac
kill -TERM "$b1"
wait "$b1"
grep -q 'cancelled' "$T/b1.log" || fail "the first run was not stopped: $(tail -n 3 "$T/b1.log")"
check "B: the stopped run closed its browser" "" "$(left_behind)"
web_run "$T/open.yaml" --json --param "url=$SOMU_URL" --param profile=kyuyo \
	>"$T/b3.json" 2>"$T/b3.log" || fail "the profile cannot be opened again: $(cat "$T/b3.log")"
check "B: the profile keeps what the first run stored" "保存済み" "$(jq -r .output.mark "$T/b3.json")"
web_run "$T/open.yaml" --json --param "url=$SOMU_URL" >"$T/b4.json" 2>"$T/b4.log" ||
	fail "a fresh profile cannot be opened: $(cat "$T/b4.log")"
check "B: a fresh profile knows nothing of it" "null" "$(jq -r .output.mark "$T/b4.json")"
web_run "$T/open.yaml" --json --param "url=$SOMU_URL" --param profile=nosuch \
	>"$T/b5.json" 2>/dev/null && fail "an unknown profile was opened"
case $(jq -r .error "$T/b5.json") in
*"profile 'nosuch' is not configured"*) ;;
*) fail "unknown profile: $(jq -r .error "$T/b5.json")" ;;
esac
check "B: nothing is left" "" "$(left_behind)"
check "B: no temporary profile is left, not even by the refused run" "" "$(temp_left)"
unset KOBITO_WEB_PROFILES

# --- C: SIGKILL of an agent with a browser open ---------------------------------------------
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"
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
*) fail "C: the job does not hold the agent's profile: $(jq -r .error "$T/c1.json")" ;;
esac
tree_of "$agent_pid" >"$T/tree"
kill -KILL "$agent_pid"
wait "$agent_pid" 2>/dev/null
wait_for 100 sh -c "! ls '$T/tmp' | grep -qE '^(kobito-web-|org[.]chromium)'" ||
	fail "the job's temporary profile is still there: $(temp_left); alive: $(alive "$T/tree")"
wait_for 100 none_alive "$T/tree"
check "C: nothing the killed agent's job started is left" "" "$(alive "$T/tree")"
check "C: nor anything carrying its environment" "" "$(left_behind)"
KOBITO_WEB_PROFILES="$T/profiles" web_run "$T/open.yaml" --json \
	--param "url=$SOMU_URL" --param profile=kyuyo >"$T/c2.json" 2>"$T/c2.log" ||
	fail "the agent's profile is not free again: $(cat "$T/c2.log")"
check "C: nothing is left at the end" "" "$(left_behind)"
