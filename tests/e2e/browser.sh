#!/bin/sh
# browser.sh - the dashboard in headless Chromium (Debian's chromium,
# driven by playwright-core from npm): a private scheduler serving the
# shipped KPI configuration and the dashboard, a real agent running the
# bots, five people with their roles, and tests/browser/dashboard.test.js
# playing their parts.  Screenshots of every page are left in
# tests/out/BUILD/browser/ as test artifacts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"
. "$(dirname "$0")/browser.inc"

cat >"$T/scripts/greet.yaml" <<'EOF'
name: greet
title: あいさつ状の作成
description: 名前の一覧から、一人ずつあいさつ状を作ります。
owner: 市民局/区政部/戸籍住民課
kpi:
  manual_minutes_per_item: 30
  replaces_inputs: [residents-to-insurance]
params:
  names: { type: string, required: true, title: 宛先の名前 (カンマ区切り) }
  greeting: { type: string, default: こんにちは, title: あいさつ }
steps:
  - for_each: ${split(params.names, ',')}
    steps:
      - log: "${params.greeting} ${item} さん"
EOF
cat >"$T/scripts/xss.yaml" <<'EOF'
name: xss
owner: 総務局/デジタル推進部/DX推進課
title: '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
description: '説明 <b>太字</b>'
steps:
  - log: markup
EOF

cat >"$T/scripts/report.yaml" <<'EOF'
name: report
owner: 総務局/デジタル推進部/DX推進課
requires: [stand-in]
steps:
  - log: played by a stand-in agent, with artifacts
EOF
cat >"$T/scripts/broken.yaml" <<'EOF'
name: broken
steps:
  - file.wirte: { path: x, content: y }
EOF

start_scheduler --kpi-config "$KOBITO_TOP/config/kpi.yaml" \
	--dashboard "$KOBITO_TOP/dashboard"
PASSWORD="pass-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$PASSWORD" >"$T/pw"
for u in sato:operator:戸籍住民課 tanaka:manager:市民局 suzuki:viewer: \
    eng:engineer:DX推進課 kanri:admin:総務局; do
	IFS=: read -r name role dept <<EOF
$u
EOF
	"$SCHED" user set --db "$T/sched.db" --name "$name" --role "$role" \
		--department "$dept" --password-file "$T/pw" 2>>"$T/users.log" ||
		fail "user set $name: $(cat "$T/users.log")"
done
# A schedule for the engineers' page that cannot fire during the test
# (its run would add hours the manager's check does not expect).
out=$(api POST /api/schedules "$(admin_token)" '{"name": "leap-day-greet",
	"script": "greet", "cron": "0 3 29 2 *", "calendar": "jp-gov",
	"params": {"names": "閏日"}}')
case $(status_of "$out") in 200|201) ;; *) fail "schedule: $out" ;; esac
start_agent a1
# A run with a screenshot and an HTML file that would create a job as
# whoever opens it, were it run in the dashboard's origin.
cat >"$T/evil.html" <<'EOF'
<script>
fetch('/api/session').then(r => r.json()).then(s => fetch('/api/jobs', {
  method: 'POST', body: '{"script": "report"}',
  headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token}}))
</script>
EOF
printf 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==' |
	base64 -d >"$T/shot.png"
ART_RUN=$(stand_in_run report shot.png:image/png evil.html:text/html)

OUT="$KOBITO_TOP/tests/out/$(basename "$KOBITO_BUILD")/browser"
rm -rf "$OUT"
mkdir -p "$OUT"
URL="$SCHED_URL" OUT="$OUT" PASSWORD="$PASSWORD" CHROMIUM="$CHROMIUM" ART_RUN="$ART_RUN" \
	node "$BT/dashboard.test.js" || {
	echo "--- scheduler log" >&2
	tail -n 30 "$T/scheduler.log" >&2
	echo "--- agent log" >&2
	tail -n 30 "$T/agent-a1.log" >&2
	fail "browser scenarios failed (screenshots in $OUT)"
}
n=$(ls "$OUT"/*.png | wc -l)
[ "$n" -ge 20 ] || fail "only $n screenshots in $OUT"
echo "browser: $n screenshots in $OUT"
