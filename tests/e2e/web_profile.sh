#!/bin/sh
# web_profile.sh - what a browser starts with.
#
#   Profiles: a persistent profile (KOBITO_WEB_PROFILES, kobito-agent
#   --web-profiles) is never shared: while one run has it open, a second
#   run's web.open is refused with a clear error; after the first run is
#   stopped (SIGTERM: it ends its step and closes the browser), the next
#   run finds what the first stored in that profile, and a run with a fresh
#   profile does not; an unknown profile is refused by name.
#   Certificates: two browsers in one run on an HTTPS server with a
#   self-signed certificate: one accepts it when asked (insecure: true),
#   the other refuses it with the browser's own error code, as it does a
#   server that is not there; closing them leaves the steps in the first.
#   A secret bound to the stand-in is not typed into the other server's
#   page, nor sent to it in a URL.
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


# --- certificates, and three browsers in one run -------------------------------------
# An HTTPS server with a certificate nobody signed.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
	-days 2 -subj "/CN=127.0.0.1" 2>"$T/openssl.log" || fail "openssl req: $(cat "$T/openssl.log")"
openssl s_server -www -accept 127.0.0.1:0 -cert "$T/cert.pem" -key "$T/key.pem" \
	>"$T/tls.log" 2>&1 </dev/null &
tls_pid=$!
at_exit "kill $tls_pid 2>/dev/null"
wait_for 100 grep -q '^ACCEPT' "$T/tls.log" || fail "openssl s_server: $(cat "$T/tls.log")"
TLS_URL="https://$(sed -n 's/^ACCEPT //p' "$T/tls.log")/"
# A port nothing listens on: bound, then let go.
CLOSED_URL="http://127.0.0.1:$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')/"
cat >"$T/tls.yaml" <<'Y'
name: tls
params:
  url: { type: string, required: true }
  tls: { type: string, required: true }
  closed: { type: string, required: true }
steps:
  - web.open: "${params.url}/login"
  - web.open: { session: tls, url: "${params.tls}", insecure: true }
  - id: tls_page
    web.read: { text: "s_server", match: contains }
  - id: strict
    web.open: { session: strict, url: "${params.tls}" }
    on_error: continue
  - id: nobody
    web.goto: { url: "${params.closed}", session: tls }
    on_error: continue
  - web.goto: { url: "${params.tls}", session: tls }
  - web.eval: { expr: "document.body.insertAdjacentHTML('beforeend', '<input id=pw>')" }
  - id: typed
    web.type: { css: "#pw", text: "${secrets.somu_password}" }
    on_error: continue
  - id: in_url
    web.goto: "${params.tls}?pw=${secrets.somu_password | urlencode}"
    on_error: continue
  - id: left
    web.read: { css: "#pw", get: value }
  - web.close: { session: tls }
  - web.close: { session: strict }
  - id: back_home
    web.eval: { expr: "location.pathname" }
output:
  tls_page: "${steps.tls_page.output.value}"
  strict: "${steps.strict.error}"
  nobody: "${steps.nobody.error}"
  back_home: "${steps.back_home.output.value}"
  typed: "${steps.typed.error}"
  in_url: "${steps.in_url.error}"
  left: "${steps.left.output.value}"
Y
web_run "$T/tls.yaml" --json --secrets "$T/secrets.yaml" --param "url=$SOMU_URL" --param "tls=$TLS_URL" \
	--param "closed=$CLOSED_URL" >"$T/tls.json" 2>"$T/tls.run.log" ||
	fail "the certificate run failed: $(tail -n 20 "$T/tls.run.log")"
out() { jq -r "$1" "$T/tls.json"; }
case $(out .output.tls_page) in *"s_server"*) ;;
*) fail "the self-signed page was not read: $(out .output.tls_page)" ;; esac
case $(out .output.strict) in
*"cannot open $TLS_URL: net::ERR_CERT_AUTHORITY_INVALID (the certificate is not trusted; insecure: true accepts it)"*) ;;
*) fail "the refused certificate: $(out .output.strict)" ;; esac
echo "ok: $(out .output.strict | cut -c1-160)"
case $(out .output.nobody) in
*"cannot open $CLOSED_URL: net::ERR_CONNECTION_REFUSED"*) ;;
*) fail "the server not there: $(out .output.nobody)" ;; esac
echo "ok: $(out .output.nobody | cut -c1-120)"
check "after closing the others, the steps are in the first browser" "/login" \
	"$(out .output.back_home)"
case $(out .output.typed) in
*"secret 'somu_password' may not be sent to $TLS_URL (it may go to $SOMU_URL/)"*) ;;
*) fail "the secret was typed into another server's page: $(out .output.typed)" ;; esac
echo "ok: $(out .output.typed | sed 's/.*: secret/secret/' | cut -c1-140)"
check "nothing was typed" "" "$(out .output.left)"
case $(out .output.in_url) in
*"secret 'somu_password' may not be sent to"*) ;;
*) fail "the secret went to another server in a URL: $(out .output.in_url)" ;; esac
grep -qF "$SOMU_PASSWORD" "$T/tls.json" "$T/tls.run.log" && fail "the password is in the output"
check "nothing is left of the three browsers" "" "$(left_behind)"
