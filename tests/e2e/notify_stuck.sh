#!/bin/sh
# notify_stuck.sh - a webhook that takes the connection and never answers
# does not hold the scheduler up: while the notifier waits on it, jobs
# are still dispatched, run and finished and the API answers; after the
# send's timeout the attempt is recorded as failed, to be tried again
# later, and the delivery is listed with why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"

# A server that accepts and then says nothing.
python3 - "$T/silent.port" "$T/silent.log" <<'PYEOF' 2>>"$T/silent.err" &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept()
    held.append(c)
    with open(sys.argv[2], "a") as f:
        f.write("accepted\n")
PYEOF
at_exit "kill $! 2>/dev/null"
wait_for 50 test -s "$T/silent.port" || fail "the silent server did not start"

cat > "$T/scripts/boom.yaml" <<'EOF'
name: boom
steps:
  - fail: "the vendor code is unknown"
EOF
cat > "$T/scripts/fine.yaml" <<'EOF'
name: fine
steps:
  - log: all good
EOF
start_scheduler
ADMIN=$(admin_token)
api PUT /api/secrets/silent_hook "$ADMIN" "{\"value\": \"http://127.0.0.1:$(cat "$T/silent.port")/hook\",
	\"allow\": [\"127.0.0.1\"]}" >/dev/null
out=$(api PUT /api/notifications/rules/failed "$ADMIN" '{"event": "run_failed", "script": "boom",
	"channel": "webhook", "target": "silent_hook"}')
check "the rule" 201 "$(status_of "$out")"
start_agent pc1

trigger boom '"max_attempts": 1' >/dev/null
wait_for 300 test -s "$T/silent.log" || fail "the notifier never called the webhook"
t0=$(date +%s%3N)

# The notifier now waits on the silent server (up to its 10 s timeout).
out=$(api GET /api/notifications/deliveries "$ADMIN")
check "the delivery is under way, not yet attempted" "pending|0" \
	"$(body_of "$out" | jq -r '.deliveries[0] | "\(.state)|\(.attempts)"')"
JOB=$(trigger fine)
wait_final "$JOB" 80
check "a job runs while the webhook hangs" succeeded "$(job_field "$JOB" .state)"
check "and the delivery has not come back yet" 0 \
	"$(body_of "$(api GET /api/notifications/deliveries "$ADMIN")" | jq -r '.deliveries[0].attempts')"
echo "ok: the job went through in $(( $(date +%s%3N) - t0 )) ms of the webhook's silence"

attempted() { [ "$(body_of "$(api GET /api/notifications/deliveries "$ADMIN")" | jq -r '.deliveries[0].attempts')" = 1 ]; }
wait_for 200 attempted || fail "the hanging attempt was never given up"
out=$(api GET /api/notifications/deliveries "$ADMIN")
check "given up after its timeout, to be tried again" "pending|1" \
	"$(body_of "$out" | jq -r '.deliveries[0] | "\(.state)|\(.attempts)"')"
[ -n "$(body_of "$out" | jq -r '.deliveries[0].last_error // empty')" ] ||
	fail "the failed attempt does not say why: $(body_of "$out")"
echo "ok: the attempt failed with: $(body_of "$out" | jq -r '.deliveries[0].last_error')"
stop_agent pc1
stop_scheduler
