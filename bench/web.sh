#!/bin/sh
# bench/web.sh - web.* against Python Selenium, on the same task, back to
# back: log in to the 総務事務 stand-in, enter 50 overtime orders (the entry
# screen, the confirmation page, the completion number read back), read
# the list of orders back and check it holds all 50.
#
#   kobito:   one `kobito run` of a script that finds every field by its
#             label, as the shipped overtime script does;
#   selenium: bench/web_selenium.py, Debian's python3-selenium driving the
#             same chromedriver and chromium with the same flags, finding
#             fields by name (no label look-up) and reading the list in one
#             script call.
#
# Each side runs ROUNDS times (default 2), alternating, each against a
# fresh stand-in; the best wall time of each counts (the machine is
# shared).  Printed: both wall times (process start to exit, browser start
# included), their ratio, each side's time to its first action (process
# start until the browser takes its first command), and kobito's overhead
# per step over the WebDriver round trips: the run's time between the
# browser's start and its close, less the time spent waiting on
# chromedriver, over the steps run.
# Goals: kobito no slower than Selenium; under 1 ms a step.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
KOBITO_TOP=$TOP
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/web.inc"
ORDERS=${ORDERS:-50}
ROUNDS=${ROUNDS:-2}
PY=/usr/bin/python3	# Debian's, with Debian's python3-selenium
"$PY" -c 'import selenium' 2>/dev/null ||
	fail "bench web: python3-selenium is not installed (make deps)"

now_ms() { date +%s%3N; }

# The order book: employees, dates, times and reasons in turn.
awk -v n="$ORDERS" 'BEGIN {
	split("100101 100102 100103 100104 100106 100107 100108 100109 100110 100111", emp)
	split("窓口繁忙 議会対応 災害対応 予算編成 選挙事務 行事対応", why)
	print "emp_no,date,start,end,reason,note"
	for (i = 0; i < n; i++)
		printf "%s,2026-04-%02d,%02d:%02d,%02d:30,%s,残業その%d\n",
		    emp[i % 10 + 1], i % 28 + 1, 17 + i % 3, (i % 2) * 30,
		    19 + i % 3, why[i % 6 + 1], i + 1
}' >"$T/orders.csv"

cat >"$T/bench.yaml" <<'Y'
name: bench_web
params:
  url: { type: string, required: true }
  book: { type: path, required: true }
steps:
  - id: book
    csv.read: { path: "${params.book}" }
  - web.open:
  - web.goto: "${params.url}/login"
  - web.type: { label: 職員ID, text: s100101 }
  - web.type: { label: パスワード, text: "${secrets.somu_password}" }
  - web.click: ログイン
  - for_each: ${steps.book.output.rows}
    as: o
    steps:
      - web.goto: "${params.url}/overtime/new"
      - web.type: { label: 職員番号, text: "${o.emp_no}" }
      - web.type: { label: 勤務日, text: "${o.date}" }
      - web.type: { label: 開始時刻, text: "${o.start}" }
      - web.type: { label: 終了時刻, text: "${o.end}" }
      - web.select: { label: 事由, option: "${o.reason}" }
      - web.type: { label: 備考, text: "${o.note}" }
      - web.click: 確認
      - web.click: 登録
      - id: no
        web.read: { css: "#receipt-no" }
      - assert: { that: "${starts_with(steps.no.output.value, 'OT-')}" }
  - web.goto: "${params.url}/overtime/list?per=100"
  - id: list
    web.read: { css: "#list", get: table }
  - assert: { that: "${steps.list.output.count == steps.book.output.count}" }
  - id: stats
    web.close:
output:
  stats: "${steps.stats.output}"
Y

# A fresh stand-in for each run: no orders yet.
fresh_somu() {
	[ -n "${SOMU_PID:-}" ] && { kill "$SOMU_PID"; wait "$SOMU_PID" 2>/dev/null; }
	rm -rf "$T/somu" "$T/somu.port"
	start_somu
}

# epoch ms of an ISO 8601 time with milliseconds and an offset.
epoch_ms() {
	_s=$(date -d "$1" +%s) || return 1
	_f=$(printf '%s' "${1#*.}" | sed 's/[^0-9].*//; s/^0*//')
	echo $((_s * 1000 + ${_f:-0}))
}

kobito_ms=0 selenium_ms=0
for r in $(seq "$ROUNDS"); do
	fresh_somu
	t0=$(now_ms)
	web_run "$T/bench.yaml" --json --secrets "$T/secrets.yaml" \
		--param "url=$SOMU_URL" --param "book=$T/orders.csv" \
		--artifacts "$T/art" >"$T/k.json" 2>"$T/k.log" ||
		fail "bench web: kobito failed: $(tail -n 5 "$T/k.log")"
	ms=$(( $(now_ms) - t0 ))
	check "bench web: kobito entered every order" "$ORDERS" \
		"$(jq length "$T/somu/overtime.json")" >/dev/null
	if [ "$kobito_ms" -eq 0 ] || [ "$ms" -lt "$kobito_ms" ]; then
		kobito_ms=$ms
		open_ms=$(jq '.steps[] | select(.action == "web.open") | .duration_ms' "$T/k.json")
		close_ms=$(jq '.steps[] | select(.action == "web.close") | .duration_ms' "$T/k.json")
		started=$(epoch_ms "$(jq -r .started_at "$T/k.json")")
		kobito_first=$((started - t0 + open_ms))
		run_ms=$(jq .duration_ms "$T/k.json")
		wire_ms=$(jq .output.stats.driver_ms "$T/k.json")
		wait_ms=$(jq .output.stats.wait_ms "$T/k.json")
		commands=$(jq .output.stats.commands "$T/k.json")
		action_own=$(jq .output.stats.overhead_ms_per_step "$T/k.json")
		# Every step the run ran, web.* or not (for_each, assert, ...).
		steps=$(grep -cE '^ *(ok|FAIL|skip) ' "$T/k.log")
	fi

	fresh_somu
	t0=$(now_ms)
	"$PY" "$TOP/bench/web_selenium.py" "$SOMU_URL" "$T/orders.csv" \
		"$SOMU_PASSWORD" >"$T/s.out" 2>"$T/s.log" ||
		fail "bench web: selenium failed: $(grep -v "^#[0-9]" "$T/s.log" | tail -n 8)"
	ms=$(( $(now_ms) - t0 ))
	grep -q "^done $ORDERS\$" "$T/s.out" || fail "bench web: selenium did not finish: $(cat "$T/s.out")"
	if [ "$selenium_ms" -eq 0 ] || [ "$ms" -lt "$selenium_ms" ]; then
		selenium_ms=$ms
		selenium_first=$(( $(sed -n 's/^ready //p' "$T/s.out") - t0 ))
	fi
done
check "bench web: nothing left behind" "" "$(left_behind)" >/dev/null

overhead=$(awk "BEGIN { printf \"%.3f\", ($run_ms - $open_ms - $close_ms - $wire_ms - $wait_ms) / $steps }")
ratio=$(awk "BEGIN { printf \"%.2f\", $selenium_ms / $kobito_ms }")
echo "bench web: orders=$ORDERS kobito_ms=$kobito_ms selenium_ms=$selenium_ms ratio=$ratio kobito_first_action_ms=$kobito_first selenium_first_action_ms=$selenium_first steps=$steps webdriver_commands=$commands step_overhead_ms=$overhead action_overhead_ms=$(printf '%.3f' "$action_own") goal_ratio=1.00 goal_overhead_ms=1"
awk "BEGIN { exit !($kobito_ms <= $selenium_ms) }" ||
	fail "bench web: goal missed: kobito ($kobito_ms ms) is slower than Selenium ($selenium_ms ms)"
awk "BEGIN { exit !($overhead < 1.0) }" ||
	fail "bench web: goal missed: $overhead ms a step over the WebDriver round trips (goal < 1 ms)"
