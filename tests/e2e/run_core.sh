#!/bin/sh
# run_core.sh - `kobito run` and `kobito validate` end to end with the core
# actions: items that fail alone, on_error, includes, secrets masked,
# timeouts, cancellation, dry runs, exit codes and the JSON summary.
. "$(dirname "$0")/lib.sh"

# --- items: one bad element fails alone ----------------------------------
cat > "$T/items.yaml" <<'Y'
name: items
title: 項目テスト
kpi: { manual_minutes_per_run: 10, manual_minutes_per_item: 3, vendor_minutes_per_item: 1.5 }
params:
  bad: { type: int, default: 3 }
steps:
  - id: list
    set: { values: [1, 2, 3, 4, 5] }
  - for_each: ${values}
    as: v
    steps:
      - assert: { that: "${v != params.bad}", message: "value ${v} is bad" }
      - log: "handled ${v} (${loop.number} of ${loop.count})"
Y
"$KOBITO" run "$T/items.yaml" --json > "$T/out" 2> "$T/err"
check "a run with a failed item exits 1" 1 $?
check "status" partial "$(jget "$T/out" .status)"
check "items succeeded" 4 "$(jget "$T/out" .items.succeeded)"
check "items failed" 1 "$(jget "$T/out" .items.failed)"
check "failed item index" 2 "$(jget "$T/out" '.items.failures[0].index')"
check "failure reason names the place" \
	"$T/items.yaml:12:9: assert: value 3 is bad" \
	"$(jget "$T/out" '.items.failures[0].error')"
check "minutes saved = per run + per item x succeeded" 22 \
	"$(jget "$T/out" .minutes_saved)"
check "vendor minutes" 6 "$(jget "$T/out" .vendor_minutes_saved)"
grep -q "handled 5 (5 of 5)" "$T/err" || fail "item 5 did not run after item 3 failed"

"$KOBITO" run "$T/items.yaml" --param bad=9 --json > "$T/out" 2>/dev/null
check "all items good exits 0" 0 $?
check "status succeeded" succeeded "$(jget "$T/out" .status)"
check "minutes all items" 25 "$(jget "$T/out" .minutes_saved)"

"$KOBITO" run "$T/items.yaml" > "$T/human" 2>&1
grep -q "^  item 3: failed: .*value 3 is bad" "$T/human" || fail "human output lacks the failed item"
grep -q "items 4 succeeded, 1 failed; 22.0 minutes saved" "$T/human" ||
	fail "human summary missing: $(tail -n 2 "$T/human")"

# --- a second pass over the same rows is not counted again ----------------
cat > "$T/passes.yaml" <<'Y'
name: passes
kpi: { manual_minutes_per_item: 1 }
steps:
  - set: { rows: [1, 2, 3], done: [] }
  - for_each: ${rows}
    steps:
      - set: { done: "${done + [item * 10]}" }
  - for_each: ${done}
    items: false
    steps:
      - for_each: ${[1, 2]}
        steps:
          - assert: ${item > 0}
  - assert: { that: "${done == [10, 20, 30]}", message: "done is ${done | json}" }
Y
"$KOBITO" run "$T/passes.yaml" --json > "$T/out" 2>/dev/null
check "items: false loops are not counted" 3 "$(jget "$T/out" .items.succeeded)"
check "minutes count the items once" 3 "$(jget "$T/out" .minutes_saved)"

# --- params: bad values are usage errors (exit 2) ------------------------
"$KOBITO" run "$T/items.yaml" --param bad=x > /dev/null 2> "$T/err"
check "bad int param exits 2" 2 $?
grep -q "param 'bad' must be a whole number" "$T/err" || fail "$(cat "$T/err")"
"$KOBITO" run "$T/items.yaml" --param nope=1 > /dev/null 2> "$T/err"
check "unknown param exits 2" 2 $?

# --- on_error: continue, and handler steps that see the error ------------
cat > "$T/onerr.yaml" <<'Y'
name: onerr
steps:
  - id: soft
    fail: "first problem"
    on_error: continue
  - id: handled
    fail: "second problem"
    on_error:
      - log: "handler saw: ${error.message}"
  - assert: ${steps.soft.status == 'failed'}
  - id: last
    log: "soft error was ${steps.soft.error}"
Y
"$KOBITO" run "$T/onerr.yaml" > "$T/out" 2>&1
check "handled errors let the run succeed" 0 $?
grep -q "handler saw: .*onerr.yaml:6:5: handled: second problem" "$T/out" ||
	fail "handler did not see the error: $(cat "$T/out")"

# --- include: a sub-flow with its own params and output -------------------
mkdir -p "$T/lib"
cat > "$T/lib/greet.yaml" <<'Y'
name: greet
params:
  who: { type: string, required: true }
  times: { type: int, default: 2 }
steps:
  - set: { greeting: "こんにちは、${params.who}" }
output: "${greeting} x${params.times}"
Y
cat > "$T/main.yaml" <<'Y'
name: main
steps:
  - id: hello
    include: lib/greet.yaml
    with: { who: "${'世界'}" }
  - assert: { that: "${steps.hello.output == 'こんにちは、世界 x2'}", message: "got ${steps.hello.output}" }
Y
"$KOBITO" run "$T/main.yaml" > "$T/out" 2>&1 || fail "include run failed: $(cat "$T/out")"
cat > "$T/badinc.yaml" <<'Y'
name: badinc
steps:
  - include: lib/greet.yaml
    with: { whom: x }
Y
"$KOBITO" validate "$T/badinc.yaml" > /dev/null 2> "$T/err"
check "include with a wrong param is invalid" 1 $?
grep -q "badinc.yaml:4:13: '.*greet.yaml' has no param 'whom' (did you mean 'who'?)" "$T/err" ||
	fail "$(cat "$T/err")"
grep -q "needs the param 'who'" "$T/err" || fail "$(cat "$T/err")"

# --- secrets never appear ------------------------------------------------
printf 'api_token: "tok-9f8e7d6c"\n' > "$T/secrets.yaml"
chmod 600 "$T/secrets.yaml"
cat > "$T/secret.yaml" <<'Y'
name: secret
steps:
  - log: "token is ${secrets.api_token} and ${secrets.other}"
  - set: { header: "Bearer ${secrets.api_token}" }
  - fail: "rejected ${header}"
Y
KOBITO_SECRET_OTHER=envsecret123 "$KOBITO" run "$T/secret.yaml" \
	--secrets "$T/secrets.yaml" --json > "$T/out" 2> "$T/err"
check "failing run exits 1" 1 $?
if grep -q "tok-9f8e7d6c\|envsecret123" "$T/out" "$T/err"; then
	fail "a secret leaked: $(cat "$T/out" "$T/err")"
fi
grep -q 'token is \*\*\* and \*\*\*' "$T/err" || fail "masked log missing"
check "error masked (the variable holds a value derived from the secret)" "$T/secret.yaml:5:5: fail: rejected ***" \
	"$(jget "$T/out" .error)"

# --- timeout and cancellation ----------------------------------------------
cat > "$T/slow.yaml" <<'Y'
name: slow
steps:
  - sleep: 30
    timeout: 300ms
Y
start=$(date +%s)
"$KOBITO" run "$T/slow.yaml" --json > "$T/out" 2>/dev/null
check "timed-out run exits 1" 1 $?
[ $(( $(date +%s) - start )) -le 3 ] || fail "timeout not honoured"
jget "$T/out" .error | grep -q "timeout" || fail "no timeout error: $(cat "$T/out")"

cat > "$T/long.yaml" <<'Y'
name: long
steps:
  - sleep: 30
Y
"$KOBITO" run "$T/long.yaml" --json > "$T/out" 2>/dev/null &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
check "cancelled run exits 1" 1 $?
check "cancelled status" failed "$(jget "$T/out" .status)"

# --- dry run and validation -----------------------------------------------
"$KOBITO" run "$T/items.yaml" --dry-run --json > "$T/out" 2>/dev/null
check "dry run flagged" true "$(jget "$T/out" .dry_run)"

cat > "$T/bad.yaml" <<'Y'
name: bad
steps:
  - file.raed: { path: x }
  - log: ${undefined_thing}
Y
"$KOBITO" validate "$T/items.yaml" "$T/main.yaml" > "$T/out" 2>&1
check "valid scripts validate" 0 $?
"$KOBITO" validate "$T/items.yaml" "$T/bad.yaml" > "$T/out" 2> "$T/err"
check "an invalid script fails validation" 1 $?
grep -q "bad.yaml:3:5: unknown action 'file.raed'" "$T/err" || fail "$(cat "$T/err")"
grep -q "bad.yaml:4:12: undefined name 'undefined_thing'" "$T/err" || fail "$(cat "$T/err")"
"$KOBITO" run "$T/bad.yaml" > /dev/null 2>&1
check "running an invalid script exits 2" 2 $?
"$KOBITO" run > /dev/null 2>&1
check "usage error exits 2" 2 $?
echo "all core run checks passed"
