#!/bin/sh
# sched_tls.sh - the scheduler serving HTTPS itself: a certificate of a
# private CA made for the test, Strict-Transport-Security on every answer,
# the session cookie Secure, no plain HTTP on that port, a key readable by
# others refused; an agent that verifies the scheduler with --ca-file runs
# a job over HTTPS, one without it cannot connect; behind a TLS proxy,
# --secure-cookies marks the cookies Secure on plain HTTP; the same from the
# configuration files (tls_cert, tls_key; the agent's ca_file).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

command -v openssl >/dev/null || skip "openssl is not installed"
# A CA and a certificate for 127.0.0.1 signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kobito test CA" \
	-keyout "$T/ca.key" -out "$T/ca.pem" 2>/dev/null || fail "the CA"
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	-keyout "$T/server.key" -out "$T/server.csr" 2>/dev/null || fail "the request"
printf 'subjectAltName=IP:127.0.0.1\n' > "$T/ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
	-CAcreateserial -days 2 -extfile "$T/ext" -out "$T/server.pem" 2>/dev/null ||
	fail "the certificate"
chmod 644 "$T/server.key"
cat > "$T/scripts/hello.yaml" <<'YAML'
name: hello
steps:
  - log: hello over https
YAML
printf 'a long enough secret\n' > "$T/pw"
"$SCHED" user set --db "$T/sched.db" --name alice --role operator \
	--password-file "$T/pw" 2>/dev/null || fail "user alice"

# A key others may read is refused.
"$SCHED" --db "$T/sched.db" --listen 127.0.0.1:0 --scripts "$T/scripts" \
	--tls-cert "$T/server.pem" --tls-key "$T/server.key" > "$T/refused" 2>&1 &&
	fail "started with a key readable by others"
grep -q "readable by others (mode 644)" "$T/refused" || fail "message: $(cat "$T/refused")"
chmod 600 "$T/server.key"

start_scheduler --tls-cert "$T/server.pem" --tls-key "$T/server.key"
URL="https://127.0.0.1:$(cat "$T/port")"
h=$(curl -s -D - -o /dev/null --cacert "$T/ca.pem" "$URL/health" | tr -d '\r')
echo "$h" | grep -q '^HTTP/1.1 200' || fail "health over https: $h"
echo "$h" | grep -qi '^strict-transport-security: max-age=31536000' || fail "no HSTS: $h"
curl -s -o /dev/null "$URL/health" && fail "a certificate of an unknown CA was taken"
s=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat "$T/port")/health")
[ "$s" != 200 ] || fail "plain HTTP answered on the HTTPS port"
h=$(curl -s -D - -o /dev/null --cacert "$T/ca.pem" -H 'Content-Type: application/json' \
	-d '{"username": "alice", "password": "a long enough secret"}' \
	"$URL/api/session" | tr -d '\r')
echo "$h" | grep -i '^set-cookie: kobito_session=' | grep -q '; Secure' ||
	fail "the session cookie is not Secure: $h"
echo "ok: HTTPS with HSTS and Secure cookies"

# Agents verify the scheduler's certificate.
SCHED_URL=$URL
start_agent bad
wait_for 100 grep -qi 'certificate\|SSL\|TLS' "$T/agent-bad.log" ||
	fail "an agent without the CA connected: $(tail -n 3 "$T/agent-bad.log")"
stop_agent bad KILL
start_agent good --ca-file "$T/ca.pem"
tok=$(make_token operator ops)
j=$(curl -s --cacert "$T/ca.pem" -H "Authorization: Bearer $tok" \
	-H 'Content-Type: application/json' -d '{"script": "hello"}' \
	"$URL/api/jobs" | jq .job_id)
wait_for 150 sh -c "curl -s --cacert '$T/ca.pem' -H 'Authorization: Bearer $tok' \
	'$URL/api/jobs/$j' | jq -e '.state == \"succeeded\"'" ||
	fail "the job did not run over HTTPS: $(tail -n 5 "$T/agent-good.log")"
echo "ok: an agent with --ca-file ran job $j over HTTPS"
stop_agent good
stop_scheduler

# Behind a proxy that does TLS: plain HTTP here, Secure cookies.
start_scheduler --secure-cookies
h=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
	-d '{"username": "alice", "password": "a long enough secret"}' \
	"$SCHED_URL/api/session" | tr -d '\r')
echo "$h" | grep -i '^set-cookie: kobito_session=' | grep -q '; Secure' ||
	fail "--secure-cookies: $h"
echo "$h" | grep -qi 'strict-transport-security' && fail "HSTS over plain HTTP"
echo "ok: --secure-cookies behind a TLS proxy"
stop_scheduler

# The same from the configuration files: tls_cert and tls_key for the
# scheduler, ca_file for the agent.
printf 'tls_cert: %s\ntls_key: %s\n' "$T/server.pem" "$T/server.key" > "$T/sched.yaml"
printf 'ca_file: %s\n' "$T/ca.pem" > "$T/agent.yaml"
start_scheduler --config "$T/sched.yaml"
SCHED_URL="https://127.0.0.1:$(cat "$T/port")"
h=$(curl -s -D - -o /dev/null --cacert "$T/ca.pem" "$SCHED_URL/health" | tr -d '\r')
echo "$h" | grep -qi '^strict-transport-security: max-age=31536000' ||
	fail "tls_cert and tls_key of the file: $h"
start_agent cfg --config "$T/agent.yaml"
j=$(curl -s --cacert "$T/ca.pem" -H "Authorization: Bearer $tok" \
	-H 'Content-Type: application/json' -d '{"script": "hello"}' \
	"$SCHED_URL/api/jobs" | jq .job_id)
wait_for 150 sh -c "curl -s --cacert '$T/ca.pem' -H 'Authorization: Bearer $tok' \
	'$SCHED_URL/api/jobs/$j' | jq -e '.state == \"succeeded\"'" ||
	fail "ca_file of the agent's file: $(tail -n 5 "$T/agent-cfg.log")"
echo "ok: HTTPS from the configuration files (job $j)"
stop_agent cfg
stop_scheduler
