#!/bin/sh
# secret_mask.sh - masking hides values, never the names a program reads:
# a secret that is also a JSON key ("status", "version") leaves --json
# whole, too short a secret is refused with a clear error (it crashed the
# run), a KOBITO_SECRET_ variable the script never reads is left alone,
# and a secret never comes back through an error a script can read
# (${error.message}, ${steps.ID.error}) nor through the encodings kobito
# gives it: percent-encoded (query, form), JSON-escaped in a logged
# object, base64 in a basic-auth header, quoted by a json.parse error.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is not installed"

# 1. Too short: refused, not a crash.
printf 'name: short\nsteps:\n  - log: "key ${secrets.a}"\n' >"$T/short.yaml"
KOBITO_SECRET_A=a "$KOBITO" run "$T/short.yaml" --json >"$T/out" 2>"$T/err"
rc=$?
[ $rc -ge 1 ] && [ $rc -lt 128 ] || fail "short secret: exit $rc: $(cat "$T/err")"
grep -q "secret 'a' is shorter than 6 characters" "$T/err" || fail "$(cat "$T/err")"
echo "ok: a one-letter secret is refused with a clear error (exit $rc)"

# 2. Secrets that are also the names of the summary's keys.
cat >"$T/keys.yaml" <<'Y'
name: keys
version: "1.0"
steps:
  - log: "the ${secrets.st} is fine, ${secrets.ver} too; turned on"
Y
printf 'st: status\nver: version\n' >"$T/keys_secrets.yaml"
chmod 600 "$T/keys_secrets.yaml"
KOBITO_SECRET_UNREAD=on "$KOBITO" run "$T/keys.yaml" --secrets "$T/keys_secrets.yaml" \
	--json >"$T/out" 2>"$T/err"
rc=$?
check "a run with secrets named like keys succeeds" 0 $rc
check "--json keeps its keys" "succeeded 1.0" "$(jget "$T/out" '"\(.status) \(.version)"')"
grep -q 'the \*\*\* is fine, \*\*\* too; turned on' "$T/err" ||
	fail "log not masked as expected (or the unread 'on' was): $(cat "$T/err")"

# 3. Errors and encodings, through a server that echoes what it gets.
"$FIXTURES/echo_http" --port-file "$T/echo.port" 2>"$T/echo.log" &
echo_pid=$!
at_exit "kill $echo_pid 2>/dev/null; wait $echo_pid 2>/dev/null"
wait_for 50 test -s "$T/echo.port" || fail "echo_http did not start"
URL="http://127.0.0.1:$(cat "$T/echo.port")"
CANARY='Pa+s/s="q\%7é鍵'
printf "canary: { value: '%s', allow: [127.0.0.1] }\n" "$CANARY" >"$T/secrets.yaml"
chmod 600 "$T/secrets.yaml"
cat >"$T/leak.yaml" <<Y
name: leak
steps:
  - id: q
    http.request: { url: "$URL/q", query: { status: 500, k: "\${secrets.canary}" } }
    on_error:
      - file.write: { path: "$T/error_message.txt", content: "\${error.message}" }
  - id: f
    http.request: { url: "$URL/f?status=500", method: POST, form: { k: "\${secrets.canary}" } }
    on_error: continue
  - file.write: { path: "$T/steps_error.txt", content: "\${steps.f.error}" }
  - id: b
    http.request: { url: "$URL/b?status=401", auth: { basic: { user: u, password: "\${secrets.canary}" } } }
    on_error: continue
  - set: { obj: { p: "\${secrets.canary}" } }
  - log: "the object is \${vars.obj}"
  - id: j
    json.parse: "{\"k\": \"\${secrets.canary}"
    on_error: continue
  - id: r
    http.request: { url: "$URL/r?broken=1", method: POST, body: "\${secrets.canary}" }
  - log: "parse: \${steps.j.error}"
Y
"$KOBITO" run "$T/leak.yaml" --secrets "$T/secrets.yaml" --json >"$T/out" 2>"$T/err"
rc=$?; [ $rc = 0 ] || fail "the leaky run: exit $rc: $(tail -n 5 "$T/err")"
grep -q 'the object is {"p":"\*\*\*"}' "$T/err" ||
	fail "the logged object: $(grep 'the object' "$T/err" "$T/out")"
grep -q 'j: invalid JSON at 1:' "$T/err" || fail "no json.parse error: $(cat "$T/err")"
grep -q 'Pa+s' "$T/err" && fail "json.parse quotes the start of the secret: $(grep Pa+s "$T/err")"
[ -s "$T/error_message.txt" ] && [ -s "$T/steps_error.txt" ] || fail "the error files are empty"
grep -q '500' "$T/error_message.txt" || fail "error.message: $(cat "$T/error_message.txt")"

# Every form the canary may take.
forms="$T/forms"
secret_forms "$CANARY" >"$forms"
for f in "$T/out" "$T/err" "$T/error_message.txt" "$T/steps_error.txt"; do
	if grep -F -f "$forms" "$f" >"$T/hit"; then
		fail "$(basename "$f") holds the secret: $(cat "$T/hit")"
	fi
done
echo "ok: no form of the secret in the output, the log or the error files"
