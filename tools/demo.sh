#!/bin/sh
# demo.sh - the whole of kobito at work on this one machine.
#
#   sh tools/demo.sh [--once] [--dir DIR] [--port PORT]
#
# Starts, each as a real program: stand-ins for the city's systems (the
# legacy finance desktop program on a private X display, the e-procurement
# REST API, the general-affairs web system, the document store folder, an
# inbox of scanned paper forms, the city's mail server - Dovecot and Exim,
# unprivileged - with businesses' invoices arriving by mail),
# the scheduler with its SQLite database and dashboard, and an agent that
# drives the display.  It then runs the shipped scripts on demand and on a
# schedule, and keeps feeding the inbox new scans, until Ctrl-C, which
# stops everything it started.
#
# --once runs the invoice, subsidy, budget and overtime scripts one time each
# through the scheduler and the agent, waits for them to end, prints what
# arrived where, and exits: the end-to-end test uses it.
#
# It needs no display of its own (Xvfb), no prior set-up (`make demo`
# installs and builds first) and nothing but loopback.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${KOBITO_BIN:-$TOP/bin}
FIX=${KOBITO_BUILD:-$TOP/build}/fixtures
DIR=$TOP/demo-data
PORT=8470
ONCE=0
while [ $# -gt 0 ]; do
	case $1 in
	--once) ONCE=1 ;;
	--dir) DIR=$2; shift ;;
	--port) PORT=$2; shift ;;
	*) echo "usage: demo.sh [--once] [--dir DIR] [--port PORT]" >&2; exit 2 ;;
	esac
	shift
done
export OMP_THREAD_LIMIT=1 GTK_IM_MODULE=gtk-im-context-simple

PIDS=""
say() { printf 'demo: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
started() { PIDS="$1 $PIDS"; }
stop_all() {
	trap - EXIT INT TERM
	[ -n "$PIDS" ] && say "stopping everything the demo started"
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		# The agent finishes its step; the rest stop at once.
		n=50
		while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do
			sleep 0.1
			n=$((n - 1))
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# A temporary mail folder (see below) goes with its servers.
	if [ -n "${MAILTMP:-}" ]; then
		rm -rf "$MAILTMP"
		rm -f "$DIR/mail"
	fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

wait_for() {
	_w=$1; shift
	while [ "$_w" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_w=$((_w - 1))
	done
	return 1
}

for f in "$BIN/kobito" "$BIN/kobito-scheduler" "$BIN/kobito-agent" \
    "$FIX/legacy_finance" "$FIX/procure_api" "$FIX/formgen" "$FIX/surveygen" \
    "$FIX/somu_web"; do
	[ -x "$f" ] || die "$f is missing: run 'make demo' (it builds first)"
done

# --- a fresh place for everything ------------------------------------------
rm -rf "$DIR"
mkdir -p "$DIR/inbox/invoices" "$DIR/inbox/applications" "$DIR/review" \
    "$DIR/finance" "$DIR/procure" "$DIR/import" "$DIR/archive" \
    "$DIR/bank" "$DIR/search" "$DIR/gen" "$DIR/logs" "$DIR/inbox/surveys" \
    "$DIR/budget" "$DIR/somu"
cp -R "$TOP/tools/demo/docstore" "$DIR/docstore"
cp "$TOP/tools/demo/overtime_orders.csv" "$DIR/overtime_orders.csv"
cp "$TOP/tools/demo/travel.json" "$DIR/somu/travel.json"
cp "$TOP/tools/demo/payments.json" "$DIR/procure/payments.json"
cp "$TOP/tools/demo/budget_sheet.csv" "$DIR/budget_sheet.csv"
LOG=$DIR/logs

# --- the desktop: a private X display with the finance system ----------------
for n in $(seq 60 99); do
	[ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] && continue
	Xvfb ":$n" -screen 0 1280x1024x24 -nolisten tcp -noreset \
	    >"$LOG/xvfb.log" 2>&1 &
	xpid=$!
	if wait_for 50 xdpyinfo -display ":$n"; then
		DISPLAY_NUM=":$n"
		started $xpid
		break
	fi
	kill $xpid 2>/dev/null
done
[ -n "${DISPLAY_NUM:-}" ] || die "no free X display between :60 and :99"
# A session bus of the demo's own: the finance system publishes its
# controls on the accessibility bus that at-spi-bus-launcher (started by
# this bus on demand) puts on the display, where the scripts' target:
# steps find them.
mkdir -p "$DIR/run"
chmod 700 "$DIR/run"
DISPLAY=$DISPLAY_NUM XDG_RUNTIME_DIR="$DIR/run" dbus-daemon --session --nofork \
    --address="unix:path=$DIR/run/bus" >"$LOG/dbus.log" 2>&1 &
started $!
wait_for 50 test -S "$DIR/run/bus" || die "the session bus did not start: $(cat "$LOG/dbus.log")"
export DBUS_SESSION_BUS_ADDRESS="unix:path=$DIR/run/bus" XDG_RUNTIME_DIR="$DIR/run"
DISPLAY=$DISPLAY_NUM "$FIX/legacy_finance" --out "$DIR/finance/vouchers.csv" \
    >"$LOG/finance-voucher.log" 2>&1 &
started $!
DISPLAY=$DISPLAY_NUM "$FIX/legacy_finance" --screen budget \
    --out "$DIR/finance/budget.csv" >"$LOG/finance-budget.log" 2>&1 &
started $!
say "finance system (支出伝票入力, 予算登録) on display $DISPLAY_NUM"

# --- the e-procurement API -------------------------------------------------------
PROCURE_TOKEN=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
"$FIX/procure_api" --port 0 --port-file "$DIR/procure/port" \
    --token "$PROCURE_TOKEN" --data "$DIR/procure" >"$LOG/procure.log" 2>&1 &
started $!
wait_for 50 test -s "$DIR/procure/port" || die "the procurement API did not start"
PROCURE_URL="http://127.0.0.1:$(cat "$DIR/procure/port")"
say "e-procurement API (電子調達システム) at $PROCURE_URL"

# --- the general-affairs web system --------------------------------------------------
SOMU_PASSWORD=somu-pass-2030
somu_port=8480
if command -v ss >/dev/null && ss -ltn 2>/dev/null | grep -q "127.0.0.1:$somu_port "; then
	somu_port=0
fi
[ "$PORT" = 0 ] && somu_port=0
"$FIX/somu_web" --port "$somu_port" --port-file "$DIR/somu/port" \
    --data "$DIR/somu" --user s100101 --password "$SOMU_PASSWORD" \
    >"$LOG/somu.log" 2>&1 &
started $!
wait_for 50 test -s "$DIR/somu/port" || die "the general-affairs system did not start"
SOMU_URL="http://127.0.0.1:$(cat "$DIR/somu/port")"
say "general-affairs web system (総務事務システム) at $SOMU_URL"

# --- the city's mail: Dovecot and Exim, unprivileged ------------------------------
# As root they run as nobody, who must be able to reach their folder: when
# it cannot pass through this tree, the folder is a temporary one, linked
# from demo-data/mail while the demo runs.
MAIL_PASS=$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
MAILDIR=$DIR/mail
if [ "$(id -u)" -eq 0 ] &&
    ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$DIR"; then
	MAILDIR=$(mktemp -d "${TMPDIR:-/tmp}/kobito-demo-mail.XXXXXX")
	MAILTMP=$MAILDIR
	ln -s "$MAILDIR" "$DIR/mail"
fi
vendor_pass=$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
sh "$TOP/tools/mailserver.sh" start "$MAILDIR" "seikyu@city.example.jp:$MAIL_PASS" \
    "eigyo@torihiki.example.co.jp:$vendor_pass" \
    "info@yamato-print.example.jp:$vendor_pass" \
    "keiri@minato.example.jp:$vendor_pass" "sales@tozai.example.jp:$vendor_pass" \
    >"$LOG/mailserver.log" 2>&1 || die "the mail servers did not start: $(tail -n 5 "$LOG/mailserver.log")"
. "$MAILDIR/env"
for p in $MAIL_PIDS; do
	started "$p"
done
say "mail server (seikyu@city.example.jp) at imaps://localhost:$MAIL_IMAPS_PORT, smtps://localhost:$MAIL_SMTPS_PORT"
mail_invoices() {	# mail_invoices SEED FIRST LAST: businesses mail their invoices
	python3 "$TOP/tools/demo/invoicemail.py" "$BIN/kobito" "$DIR/gen/mail-$1" "$1" \
	    >>"$LOG/invoicemail.log" 2>&1 || die "invoicemail.py failed"
	for i in $(seq "$2" "$3"); do
		curl -sS --ssl-reqd --cacert "$MAIL_CA" \
		    "smtp://localhost:$MAIL_SMTP_PORT/torihiki.example.co.jp" \
		    --mail-from "$(jq -r ".[$((i - 1))].sender" "$DIR/gen/mail-$1/invoices.json")" \
		    --mail-rcpt seikyu@city.example.jp -T "$DIR/gen/mail-$1/mail-$i.eml" \
		    >>"$LOG/invoicemail.log" 2>&1 || die "the MTA refused an invoice mail"
	done
}
mail_invoices 1 1 4

# --- scanned paper in the inbox ----------------------------------------------------
gen() {	# gen TEMPLATE INBOX PREFIX SEED VARIANT COUNT
	"$FIX/formgen" -t "$TOP/scripts/templates/$1.yaml" -o "$DIR/gen" \
	    -p "$3" -s "$4" -v "$5" -n "$6" >>"$LOG/formgen.log" 2>&1 ||
	    die "formgen failed: $(tail -n 3 "$LOG/formgen.log")"
	for f in "$DIR/gen/$3"-*.png; do
		mv "$f" "$DIR/inbox/$2/"
	done
}
gen invoice_en invoices inv 101 clean 3
gen invoice_en invoices invd 102 degraded 1
gen invoice_en invoices invx 103 unreadable 1
gen subsidy_ja applications app 202 clean 3
gen subsidy_ja applications appd 205 degraded 1
gen subsidy_ja applications appx 203 blank 1
# The departments' budget survey workbooks (three good, three to send back).
"$FIX/surveygen" -d "$DIR/inbox/surveys" >>"$LOG/surveygen.log" 2>&1 ||
    die "surveygen failed: $(tail -n 3 "$LOG/surveygen.log")"
mv "$DIR/inbox/surveys/truth.json" "$DIR/gen/surveys.json"
say "inbox: $(ls "$DIR/inbox/invoices" | wc -l) invoices, $(ls "$DIR/inbox/applications" | wc -l) applications, $(ls "$DIR/inbox/surveys" | wc -l) budget surveys"

# --- the scheduler ----------------------------------------------------------------
DB=$DIR/kobito.db
SCHED="$BIN/kobito-scheduler"
"$SCHED" token create --db "$DB" --role admin --name demo-admin \
    >"$DIR/admin.token" 2>/dev/null || die "cannot create the admin token"
"$SCHED" agent-token create --db "$DB" --name demo-pc-01 \
    >"$DIR/agent.token" 2>/dev/null || die "cannot create the agent token"
chmod 600 "$DIR/admin.token" "$DIR/agent.token"
user() {	# user NAME ROLE DEPARTMENT PASSWORD
	printf '%s\n' "$4" | "$SCHED" user set --db "$DB" --name "$1" \
	    --role "$2" --department "$3" --password-stdin >/dev/null 2>&1 ||
	    die "cannot create the user $1"
}
user manager manager 財政局 kobito-manager-2030
user staff operator 財政局/経理部/会計課 kobito-staff-2030
user clerk operator 市民局/区政部/戸籍住民課 kobito-clerk-2030
user engineer engineer 総務局/デジタル推進部/DX推進課 kobito-engineer-2030

listen_port=$PORT
if command -v ss >/dev/null && ss -ltn 2>/dev/null | grep -q "127.0.0.1:$PORT "; then
	listen_port=0
fi
"$SCHED" --db "$DB" --listen "127.0.0.1:$listen_port" --port-file "$DIR/port" \
    --scripts "$TOP/scripts" --kpi-config "$TOP/config/kpi.yaml" \
    --dashboard "$TOP/dashboard" --key-file "$DIR/secrets.key" \
    >"$LOG/scheduler.log" 2>&1 &
started $!
wait_for 100 test -s "$DIR/port" || die "the scheduler did not start: $(tail -n 5 "$LOG/scheduler.log")"
URL="http://127.0.0.1:$(cat "$DIR/port")"
ADMIN=$(cat "$DIR/admin.token")

api() {	# api METHOD PATH [BODY]: prints the body; fails on >= 400
	curl -sS -f -X "$1" -H "Authorization: Bearer $ADMIN" \
	    -H 'Content-Type: application/json' ${3:+--data-binary "$3"} \
	    "$URL$2"
}
# The token may go to the e-procurement API and nowhere else.
printf '{"value": "%s", "allow": ["%s/api/"]}' "$PROCURE_TOKEN" "$PROCURE_URL" |
    curl -sS -f -X PUT -H "Authorization: Bearer $ADMIN" \
    -H 'Content-Type: application/json' --data-binary @- \
    "$URL/api/secrets/procure_token" >/dev/null || die "cannot store the secret"
printf '{"value": "%s", "allow": ["%s/"]}' "$SOMU_PASSWORD" "$SOMU_URL" |
    curl -sS -f -X PUT -H "Authorization: Bearer $ADMIN" \
    -H 'Content-Type: application/json' --data-binary @- \
    "$URL/api/secrets/somu_password" >/dev/null || die "cannot store the secret"
# The mailbox password may go to the city's mail server only.
printf '{"value": "%s", "allow": ["localhost"]}' "$MAIL_PASS" |
    curl -sS -f -X PUT -H "Authorization: Bearer $ADMIN" \
    -H 'Content-Type: application/json' --data-binary @- \
    "$URL/api/secrets/mail_password" >/dev/null || die "cannot store the secret"

# --- the agent --------------------------------------------------------------------
root_ok=""
[ "$(id -u)" -eq 0 ] && root_ok=--allow-root
"$BIN/kobito-agent" --scheduler "$URL" --token-file "$DIR/agent.token" \
    --name demo-pc-01 --labels "ocr:jpn,ocr:eng" --display "$DISPLAY_NUM" \
    --slots 2 --spool "$DIR/spool" --verbose $root_ok \
    >"$LOG/agent.log" 2>&1 &
started $!

# --- the work -----------------------------------------------------------------------
p_invoice=$(printf '{"docstore": "%s", "api": "%s"}' "$DIR/docstore" "$PROCURE_URL")
p_subsidy=$(printf '{"out_dir": "%s", "archive_dir": "%s"}' "$DIR/import" "$DIR/archive")
p_budget=$(printf '{"input": "%s"}' "$DIR/budget_sheet.csv")
p_payment=$(printf '{"api": "%s", "out_dir": "%s", "transfer_date": "%s"}' \
    "$PROCURE_URL" "$DIR/bank" "$(date +%Y-%m-%d)")
p_search=$(printf '{"store": "%s", "keyword": "空調", "out_dir": "%s"}' \
    "$DIR/docstore" "$DIR/search")
p_overtime=$(printf '{"input": "%s", "url": "%s"}' "$DIR/overtime_orders.csv" \
    "$SOMU_URL")
p_travel=$(printf '{"url": "%s"}' "$SOMU_URL")
p_invmail=$(printf '{"imap_server": "imaps://localhost:%s", "smtp_server": "smtps://localhost:%s", "ca_file": "%s", "docstore": "%s", "review_dir": "%s"}' \
    "$MAIL_IMAPS_PORT" "$MAIL_SMTPS_PORT" "$MAIL_CA" "$DIR/docstore" "$DIR/review/mail")

trigger() {	# trigger SCRIPT PARAMS-JSON: prints the job id
	api POST /api/jobs "{\"script\": \"$1\", \"params\": $2}" | jq -r .job_id
}
job_state() { api GET "/api/jobs/$1" | jq -r .state; }
wait_final() {
	n=${2:-1800}
	while [ "$n" -gt 0 ]; do
		case $(job_state "$1") in
		succeeded|failed|cancelled|timed_out) return 0 ;;
		esac
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# The scanned inboxes: each a file trigger on the agent, which starts
# the dispatcher (read each page, one work item each) once the scanner's
# files settle; each queue starts its performer when items wait, one at
# a time (the invoices need the one display; the subsidy CSV is appended
# to by one run at a time).  Pages that cannot be read with confidence
# wait in the review station for staff (invoices) and clerk (subsidies).
queue() {	# queue NAME DEPARTMENT TITLE SCRIPT PARAMS-JSON
	api PUT "/api/queues/$1" "{\"department\": \"$2\", \"title\": \"$3\", \
\"sla_minutes\": 1440, \"trigger\": {\"script\": \"$4\", \"max_running\": 1, \
\"params\": $5}}" >/dev/null || die "cannot create the queue $1"
}
inbox() {	# inbox NAME FOLDER SCRIPT
	api PUT "/api/file-triggers/$1" "{\"agent\": \"demo-pc-01\", \
\"folder\": \"$2\", \"pattern\": \"*.png\", \"settle_ms\": 2000, \
\"script\": \"$3\", \"params\": {\"inbox\": \"$2\"}}" >/dev/null ||
	    die "cannot create the file trigger $1"
}
queue invoices 財政局/経理部/会計課 請求書 invoice_entry "$p_invoice"
queue applications 市民局/区政部/戸籍住民課 補助金申請 subsidy_intake "$p_subsidy"
inbox invoice-inbox "$DIR/inbox/invoices" invoice_dispatch
inbox application-inbox "$DIR/inbox/applications" subsidy_dispatch

# Meanwhile, by hand: the agent gives its one display to one UI job at a
# time (an invoice, the budget) and runs the rest on its other slot.
j_budget=$(trigger budget_entry "$p_budget")
j_overtime=$(trigger overtime_entry "$p_overtime")
[ -n "$j_budget" ] && [ -n "$j_overtime" ] || die "cannot trigger the scripts"
for j in $j_budget $j_overtime; do
	wait_final "$j" || die "job $j did not end: $(tail -n 5 "$LOG/agent.log")"
done
# The inboxes are worked through when every page is an item that is
# done, failed, or waiting for people, and no job is left running.
settled() {
	api GET /api/queues | jq -e '[.queues[] | .counts as $c |
	    ($c.done + $c.failed + $c.needs_review + $c.abandoned) ==
	    ([$c[]] | add)] | all' >/dev/null &&
	[ "$(api GET /api/queues | jq '[.queues[].counts | [.[]] | add] | add')" -ge 10 ] &&
	[ "$(api GET '/api/jobs?state=queued,leased,running,retrying' | jq '.jobs | length')" = 0 ]
}
n=3000
until settled; do
	n=$((n - 1))
	[ $n -gt 0 ] || die "the inboxes were not worked through: $(tail -n 5 "$LOG/agent.log")"
	sleep 0.2
done
j_invoice=$(api GET '/api/jobs?script=invoice_entry&limit=1000' | jq -r '[.jobs[].id] | join(" ")')
j_subsidy=$(api GET '/api/jobs?script=subsidy_intake&limit=1000' | jq -r '[.jobs[].id] | join(" ")')

report() {
	for j in "$@"; do
		api GET "/api/jobs/$j" | jq -r '"  job \(.id) \(.script): \(.state)" +
		    (if .runs then " - items \(.runs[-1].items.succeeded) succeeded, \(.runs[-1].items.failed) failed, \(.runs[-1].minutes_saved) min saved" else "" end)'
	done
}
say "first runs:"
report $j_subsidy $j_invoice "$j_budget" "$j_overtime" >&2
api GET /api/queues | jq -r '.queues[] | "  queue \(.name): \(.counts.done) done, \(.counts.needs_review) waiting for review, \(.counts.failed) failed"' >&2

if [ $ONCE = 1 ]; then
	echo "DEMO_URL=$URL"
	echo "DEMO_DIR=$DIR"
	echo "JOBS=$j_budget $j_overtime $j_invoice $j_subsidy"
	exit 0
fi

# The budget survey: the departments' workbooks consolidated, then the
# consolidated lines entered into the budget screen by budget_entry.
p_survey=$(printf '{"inbox": "%s", "out_dir": "%s"}' "$DIR/inbox/surveys" "$DIR/budget")
j_survey=$(trigger budget_survey "$p_survey")
wait_final "$j_survey" || die "job $j_survey did not end"
j_entry=$(trigger budget_entry "$(printf '{"input": "%s"}' "$DIR/budget/予算算定調査_集計表.xlsx")")
wait_final "$j_entry" || die "job $j_entry did not end"
report "$j_survey" "$j_entry" >&2

# Invoices by mail: read (a scan by OCR), entered, filed, answered.
j_invmail=$(trigger invoice_mail "$p_invmail")
wait_final "$j_invmail" || die "job $j_invmail did not end"
report "$j_invmail" >&2

j_payment=$(trigger payment_batch "$p_payment")
j_search=$(trigger procurement_search "$p_search")
j_travel=$(trigger travel_to_finance "$p_travel")
sched() {	# sched NAME SCRIPT CRON PARAMS-JSON
	api POST /api/schedules "{\"name\": \"$1\", \"script\": \"$2\", \
\"cron\": \"$3\", \"tz\": \"Asia/Tokyo\", \"overlap\": \"forbid\", \
\"params\": $4}" >/dev/null || die "cannot create the schedule $1"
}
sched payments-hourly payment_batch "0 * * * *" "$p_payment"
sched weekday-search procurement_search "0 9 * * 1-5" "$p_search"
sched invoice-mail-every-5-min invoice_mail "*/5 * * * *" "$p_invmail"

cat <<EOF

  kobito is running.   Dashboard: $URL/

  Log in as   manager  / kobito-manager-2030   (KPIs, hours saved, reports)
              staff    / kobito-staff-2030     (run bots, see your runs,
                                                check unreadable invoices)
              clerk    / kobito-clerk-2030     (check subsidy applications)
              engineer / kobito-engineer-2030  (runs, logs, agents, schedules)

  Scans the bots could not read wait in the review station: $URL/#/review

  The finance system runs on display $DISPLAY_NUM; the e-procurement API at
  $PROCURE_URL; the general-affairs system at $SOMU_URL
  (s100101 / $SOMU_PASSWORD); the city's mail server (seikyu@city.example.jp)
  at imaps://localhost:$MAIL_IMAPS_PORT; everything the bots wrote is under
  $DIR.  New scanned forms arrive in the inbox and a new invoice by mail
  every two minutes; the inboxes' file triggers pick the scans up as soon
  as they are written, the mail is read every five minutes.  Press
  Ctrl-C to stop everything.

EOF

# Keep the paper coming, until Ctrl-C.
seed=1000
while :; do
	# In the background, so that a signal is handled at once.
	sleep 120 &
	wait $!
	seed=$((seed + 1))
	gen invoice_en invoices "inv$seed" "$seed" clean 1
	gen subsidy_ja applications "app$seed" "$seed" clean 1
	mail_invoices "$seed" 1 1
	say "two new scans in the inbox, an invoice by mail"
done
