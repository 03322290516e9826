#!/bin/sh
# web_profile.sh - a persistent profile (KOBITO_WEB_PROFILES, kobito-agent
# --web-profiles) is never shared: while one run has it open, a second
# run's web.open is refused with a clear error; after the first run is
# stopped (SIGTERM: it ends its step and closes the browser), the next run
# finds what the first stored in that profile, and a run with a fresh
# profile does not; an unknown profile is refused by name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web.inc"

start_somu
hold_scripts

mkdir -p "$T/profiles/kyuyo"
export KOBITO_WEB_PROFILES="$T/profiles"
web_start "$T/b1.log" "$T/hold.yaml" --param "url=$SOMU_URL" \
	--param profile=kyuyo --param mark=保存済み
b1=$WEB_PID
wait_for 300 grep -q 'holding the browser open' "$T/b1.log" ||
	fail "the first run did not open its profile: $(cat "$T/b1.log")"
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
check "the stopped run closed its browser" "" "$(left_behind)"
web_run "$T/open.yaml" --json --param "url=$SOMU_URL" --param profile=kyuyo \
	>"$T/b3.json" 2>"$T/b3.log" || fail "the profile cannot be opened again: $(cat "$T/b3.log")"
check "the profile keeps what the first run stored" "保存済み" "$(jq -r .output.mark "$T/b3.json")"
web_run "$T/open.yaml" --json --param "url=$SOMU_URL" >"$T/b4.json" 2>"$T/b4.log" ||
	fail "a fresh profile cannot be opened: $(cat "$T/b4.log")"
check "a fresh profile knows nothing of it" "null" "$(jq -r .output.mark "$T/b4.json")"
web_run "$T/open.yaml" --json --param "url=$SOMU_URL" --param profile=nosuch \
	>"$T/b5.json" 2>/dev/null && fail "an unknown profile was opened"
case $(jq -r .error "$T/b5.json") in
*"profile 'nosuch' is not configured"*) ;;
*) fail "unknown profile: $(jq -r .error "$T/b5.json")" ;;
esac
check "nothing is left" "" "$(left_behind)"
check "no temporary profile is left, not even by the refused run" "" "$(temp_left)"

