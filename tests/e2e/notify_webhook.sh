#!/bin/sh
# notify_webhook.sh - notifications: rules for a failed run, items
# waiting for review, an SLA breach and an agent gone silent send exactly
# one webhook each to a receiver that answers 500 to the first request
# (that delivery is tried again and gets through), a rule for a script
# that does not fail sends nothing, a failure is also mailed through the
# city's mail server, nothing is sent twice, and every delivery and
# attempt is listed for the dashboard.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"
. "$(dirname "$0")/mail.inc"

HOOK="$FIXTURES/hook_recv"
[ -x "$HOOK" ] || fail "$HOOK is not built"
"$HOOK" --port-file "$T/hook.port" --log "$T/hook.log" --fail-first 1 2>>"$T/hook.err" &
at_exit "kill $! 2>/dev/null"
wait_for 50 test -s "$T/hook.port" || fail "the webhook receiver did not start"
HOOK_URL="http://127.0.0.1:$(cat "$T/hook.port")/hooks/kobito"
start_mail kobito@city.example.jp:notify-pass-2030 kanri@city.example.jp:x-pass-2030

cat > "$T/scripts/boom.yaml" <<'EOF'
name: boom
owner: 財政局/経理部/会計課
steps:
  - fail: "the vendor code is unknown"
EOF
cat > "$T/scripts/fine.yaml" <<'EOF'
name: fine
owner: 財政局/経理部/会計課
steps:
  - log: all good
EOF
cat > "$T/scripts/sendrev.yaml" <<'EOF'
name: sendrev
owner: 財政局/経理部/会計課
steps:
  - id: got
    queue.get: { queue: scans }
  - for_each: ${steps.got.output.items}
    as: it
    steps:
      - queue.review:
          item: "${it}"
          fields: { total: { value: null, raw: "1?0", kind: amount, status: invalid } }
EOF
start_scheduler
ADMIN=$(admin_token)
D=財政局/経理部/会計課
api PUT /api/secrets/team_hook "$ADMIN" "{\"value\": \"$HOOK_URL\", \"allow\": [\"127.0.0.1\"]}" >/dev/null
api PUT /api/secrets/mail_pw "$ADMIN" '{"value": "notify-pass-2030", "allow": ["localhost"]}' >/dev/null
out=$(api PUT /api/notifications/mail "$ADMIN" "{\"server\": \"smtps://localhost:$MAIL_SMTPS_PORT\",
	\"from\": \"kobito <kobito@city.example.jp>\", \"user\": \"kobito@city.example.jp\",
	\"password_secret\": \"mail_pw\", \"ca_file\": \"$MAIL_CA\"}")
check "the mail settings" 200 "$(status_of "$out")"
api PUT /api/queues/scans "$ADMIN" "{\"department\": \"$D\"}" >/dev/null
api PUT /api/queues/slow "$ADMIN" "{\"department\": \"$D\"}" >/dev/null

rule() {	# rule NAME JSON: create it, 201
	out=$(api PUT "/api/notifications/rules/$1" "$ADMIN" "$2")
	check "rule $1" 201 "$(status_of "$out")"
}
rule failed '{"event": "run_failed", "script": "boom", "channel": "webhook", "target": "team_hook"}'
rule failed-mail '{"event": "run_failed", "script": "boom", "channel": "mail", "target": "kanri@city.example.jp"}'
rule fine-failed '{"event": "run_failed", "script": "fine", "channel": "webhook", "target": "team_hook"}'
rule waiting '{"event": "review_waiting", "queue": "scans", "minutes": 0.02, "channel": "webhook", "target": "team_hook"}'
rule late '{"event": "sla_breach", "queue": "slow", "channel": "webhook", "target": "team_hook"}'
rule gone '{"event": "agent_offline", "agent": "pc-gone", "minutes": 0.02, "channel": "webhook", "target": "team_hook"}'
out=$(api PUT /api/notifications/rules/bad "$ADMIN" '{"event": "run_failed", "queue": "scans", "channel": "webhook", "target": "team_hook"}')
check "a rule that narrows by the wrong thing is refused" "400" "$(status_of "$out")"
body_of "$out" | jq -r .error | grep -q "narrows by script only" || fail "400: $(body_of "$out")"

# What happens: a run fails for good, another succeeds, an item waits
# for review, an item passes its deadline, an agent is heard from once.
start_agent pc1
trigger boom '"max_attempts": 1' >/dev/null
trigger fine >/dev/null
api POST /api/queues/scans/items "$ADMIN" '{"items": [{"reference": "scan-1"}]}' >/dev/null
trigger sendrev >/dev/null
now=$(( $(date +%s) * 1000 ))
api POST /api/queues/slow/items "$ADMIN" "{\"items\": [{\"reference\": \"late-1\", \"deadline_ms\": $((now + 500))}]}" >/dev/null
GONE=$(make_token agent pc-gone)
api POST /api/agents/register "$GONE" '{"name": "pc-gone"}' >/dev/null

delivered() { [ "$(grep -c '"status":200' "$T/hook.log" 2>/dev/null)" -ge 4 ]; }
wait_for 300 delivered || fail "the webhooks did not arrive: $(cat "$T/hook.log" 2>/dev/null)"
sleep 2.5	# two more looks of the notifier: nothing may come twice
check "five requests: the four notifications and one retry" 5 "$(grep -c '' "$T/hook.log")"
check "the first was answered 500" 500 "$(head -n 1 "$T/hook.log" | jq .status)"
check "each event once" "agent_offline,review_waiting,run_failed,sla_breach" \
	"$(jq -r 'select(.status == 200) | .body.event' "$T/hook.log" | sort | paste -sd, -)"
check "the retry sent the same notification again" \
	"$(head -n 1 "$T/hook.log" | jq -c .body)" \
	"$(jq -c "select(.status == 200 and .body.rule == \"$(head -n 1 "$T/hook.log" | jq -r .body.rule)\") | .body" "$T/hook.log")"
check "the failure names the job and why" "boom|the vendor code is unknown" \
	"$(jq -r 'select(.status == 200 and .body.event == "run_failed") | "\(.body.job.script)|\(.body.job.reason)"' "$T/hook.log" | sed 's/; 1 of 1 attempts used//; s/^\(boom|\).*: /\1/')"
jq -e 'select(.status == 200) | .body.text | test("^【kobito】")' "$T/hook.log" >/dev/null ||
	fail "a notification has no text for the chat: $(cat "$T/hook.log")"
check "the review notification lists the item" "scan-1" \
	"$(jq -r 'select(.status == 200 and .body.event == "review_waiting") | .body.items[0].reference' "$T/hook.log")"
check "the SLA notification lists the late item" "late-1" \
	"$(jq -r 'select(.status == 200 and .body.event == "sla_breach") | .body.items[0].reference' "$T/hook.log")"
check "the silent agent is named" "pc-gone" \
	"$(jq -r 'select(.status == 200 and .body.event == "agent_offline") | .body.agent.name' "$T/hook.log")"

wait_mail kanri@city.example.jp 1
msg=$(ls "$(maildir kanri@city.example.jp)"/new/* "$(maildir kanri@city.example.jp)"/cur/* 2>/dev/null | head -n 1)
python3 - "$msg" <<'PYEOF' || fail "the mailed notification is not the failure"
import sys, email, email.policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
assert 'boom' in m['subject'], m['subject']
assert 'kobito@city.example.jp' in m['from'], m['from']
assert 'the vendor code is unknown' in m.get_content(), m.get_content()
PYEOF
echo "ok: the failure was mailed too"

out=$(api GET /api/notifications/deliveries "$ADMIN")
check "every delivery is listed, each delivered" "5|delivered" \
	"$(body_of "$out" | jq -r '"\(.deliveries | length)|\([.deliveries[].state] | unique | join(","))"')"
check "one took two attempts, after a 500" "1|200" \
	"$(body_of "$out" | jq -r '[.deliveries[] | select(.attempts == 2)] | "\(length)|\(.[0].last_status)"')"
check "the rules are listed" 6 "$(body_of "$(api GET /api/notifications/rules "$ADMIN")" | jq '.rules | length')"
stop_agent pc1
stop_scheduler
