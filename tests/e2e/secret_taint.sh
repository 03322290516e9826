#!/bin/sh
# secret_taint.sh - what a script computes from a secret is a secret too:
# lower and upper case, a substring, a concatenation, a variable set from
# one, a loop over a list built from one, a list one was appended to,
# json.format of it, a sub-flow's param and output - none shows in the log or the summary, and none may
# be sent where the secret itself may not go.  A value that did not come
# from a secret stays visible.
. "$(dirname "$0")/lib.sh"

"$FIXTURES/echo_http" --port-file "$T/echo.port" 2>"$T/echo.log" &
at_exit "kill $! 2>/dev/null"
wait_for 100 test -s "$T/echo.port" || fail "echo_http did not start"
ECHO="http://127.0.0.1:$(cat "$T/echo.port")"

mkdir -p "$T/lib"
cat >"$T/lib/shout.yaml" <<'Y'
name: shout
params:
  word: { type: string, required: true }
steps:
  - log: "sub sees ${params.word | upper}"
output: "${params.word | replace('y', 'Y')}!"
Y
cat >"$T/taint.yaml" <<Y
name: taint
params:
  plain: { type: string, default: "plainvalue-visible" }
steps:
  - log: "lower \${secrets.canary | lower}"
  - set:
      up: "\${secrets.canary | upper}"
      part: "\${secrets.canary | substr(1, 9)}"
      joined: "\${'pre-' + secrets.canary + '-post'}"
      plain: "\${params.plain}"
  - log: "up=\${up} part=\${part} joined=\${joined} plain=\${plain}"
  - log: "again \${vars.up | lower | replace('a', '4')}"
  - for_each: "\${[secrets.canary + '-one', secrets.canary + '-two']}"
    steps:
      - log: "item \${item | upper}"
  - append: { to: collected, value: "\${secrets.canary | upper}" }
  - log: "collected \${collected[0] | lower | replace('c', '(')}"
  - id: j
    json.format: { value: { k: "\${secrets.canary | lower}" } }
  - log: "json \${steps.j.output | upper}"
  - id: s
    include: lib/shout.yaml
    with: { word: "\${secrets.canary | lower}" }
  - log: "sub said \${steps.s.output | lower}"
  - id: send
    http.request: { url: "$ECHO/x", auth: { bearer: "\${secrets.canary | lower}" } }
    on_error: continue
output: "\${up | lower}"
Y
printf 'canary: { value: TaintCanary-XyZ123, allow: ["https://only.example/"] }\n' >"$T/secrets.yaml"
chmod 600 "$T/secrets.yaml"
"$KOBITO" run "$T/taint.yaml" --secrets "$T/secrets.yaml" --json >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || fail "the run: exit $rc: $(tail -n 5 "$T/err")"
# Any piece of the canary, in any case, is a leak.
if grep -i -n 'aintcanar\|anary-x\|xyz123' "$T/out" "$T/err" >"$T/hit"; then
	fail "derived from the secret and shown: $(cat "$T/hit")"
fi
echo "ok: nothing derived from the secret is shown"
grep -q 'plain=plainvalue-visible' "$T/err" || fail "a clean value was hidden: $(grep plain= "$T/err")"
grep -q "again \*\*\*" "$T/err" || fail "the log line around a derived value: $(grep again "$T/err")"
echo "ok: values not derived from it stay visible"
grep -q "send: secret 'canary' may not be sent to $ECHO/x" "$T/err" ||
	fail "a derived value was sent: $(grep 'send' "$T/err")"
grep -q 'echo_http: ' "$T/echo.log" && fail "the server got it: $(cat "$T/echo.log")"
check "the summary's output is masked" '***' "$(jget "$T/out" .output)"
