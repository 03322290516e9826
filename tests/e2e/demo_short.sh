#!/bin/sh
# demo_short.sh - the demo's short run end to end (make demo's first
# minutes): a scheduler, an agent driving the stand-in finance system on
# its own display, the e-procurement API, the document store and an inbox
# of generated scans; the inboxes' file triggers start the invoice and
# subsidy dispatchers, whose work items the queues' performers enter one
# by one (the unreadable scans wait in the review station); the budget
# script runs once, and the overtime orders go into the general-affairs
# web system (headless Chromium).  Checks what arrived in every stand-in
# system, in the work queues and in the KPI ledger, against the values
# the form generator printed on the scans.
. "$(dirname "$0")/lib.sh"
command -v Xvfb >/dev/null || skip "Xvfb is not installed"
[ -x "$KOBITO_BIN/kobito-scheduler" ] || skip "the scheduler is not built"

D="$T/demo"
sh "$KOBITO_TOP/tools/demo.sh" --once --dir "$D" --port 0 >"$T/demo.out" 2>"$T/demo.err" ||
	fail "the demo failed: $(tail -n 20 "$T/demo.err")"
cat "$T/demo.err"
db="$D/kobito.db"
sql() { sqlite3 -readonly -batch -noheader "$db" "$1"; }
summary() { sql "SELECT summary FROM runs WHERE script = '$1'" | jq -r "$2"; }
# The sum of a field of the summaries of a script's runs.
total() { sql "SELECT summary FROM runs WHERE script = '$1'" | jq -s "map($2) | add"; }
item_state() { sql "SELECT i.state FROM queue_items i JOIN queues q ON q.id = i.queue_id WHERE q.name = '$1' AND i.reference = '$2'"; }

# --- 1. invoices: finance screen, procurement API, document store, review station
check "one dispatcher run read the five scans" "1|5" \
	"$(sql "SELECT count(*) || '|' || max(items_succeeded) FROM kpi_ledger WHERE script = 'invoice_dispatch'")"
check "started by the inbox's file trigger" "files:invoice-inbox" \
	"$(sql "SELECT triggered_by FROM jobs WHERE script = 'invoice_dispatch'")"
check "invoices entered, one performer run each (3 clean + 1 degraded)" 4 "$(total invoice_entry .items.succeeded)"
check "the performers were started by the queue" 0 \
	"$(sql "SELECT count(*) FROM jobs WHERE script = 'invoice_entry' AND triggered_by <> 'queue:invoices'")"
check "the unreadable invoice is not guessed: it waits for people" needs_review "$(item_state invoices invx-001.png)"
sql "SELECT summary FROM runs WHERE script = 'invoice_entry'" |
	jq -r '.items.failures[].error' | grep -q "確認画面へ回しました（invx-001.png）" ||
	fail "the performer did not say it sent the unreadable invoice to review"
check "with the fields to check, their readings and boxes, and the scan" "invx-001.png|true" \
	"$(sql "SELECT json_extract(review, '$.image') || '|' || (json_array_length(json_extract(review, '$.fields.total.box')) = 4 AND json_extract(review, '$.fields.total.kind') = 'amount') FROM queue_items WHERE reference = 'invx-001.png'" | sed 's/|1$/|true/')"
check "the four others are done" 4 "$(sql "SELECT count(*) FROM queue_items i JOIN queues q ON q.id = i.queue_id WHERE q.name = 'invoices' AND i.state = 'done'")"
check "vouchers in the finance system" 4 "$(wc -l < "$D/finance/vouchers.csv")"
check "invoices in the procurement system" 4 "$(wc -l < "$D/procure/invoices.jsonl")"
for truth in "$D"/gen/inv-*.json "$D"/gen/invd-*.json; do
	no=$(jq -r .fields.invoice_no "$truth")
	total=$(jq -r '.fields.total | . + 0.5 | floor' "$truth")
	date=$(jq -r .fields.invoice_date "$truth")
	got=$(jq -c "select(.invoice_no == \"$no\") | [.date, .amount]" "$D/procure/invoices.jsonl")
	check "invoice $no posted with the printed date and total" "[\"$date\",$total]" "$got"
	grep -q "^$date,Northwind Office Supplies Ltd,04100,$total,Invoice $no / PO " \
		"$D/finance/vouchers.csv" || fail "invoice $no is not in the finance system as printed"
	meta="$D/docstore/invoice/${date%%-*}/$no/meta.json"
	[ -f "$meta" ] || fail "invoice $no was not filed in the document store"
	check "filed invoice $no keeps its data" "$total" "$(jq -r .amount "$meta")"
	[ -f "$(dirname "$meta")/$(jq -r .image "$truth")" ] || fail "the scan of $no was not filed"
done
check "the inbox is empty afterwards" 0 "$(ls "$D/inbox/invoices" | wc -l)"

# --- 2. subsidy applications: Shift_JIS import file, era dates, review station
sok=$(total subsidy_intake .items.succeeded)
sfail=$(total subsidy_intake .items.failed)
check "every application is either accepted or sent to review" 5 $((sok + sfail))
[ "$sok" -ge 2 ] || fail "fewer than 2 of 3 clean applications were accepted: $sok"
check "the blank application waits in the review station" needs_review "$(item_state applications appx-001.png)"
check "the inbox of applications is empty" 0 "$(ls "$D/inbox/applications" | wc -l)"
csv=$(ls "$D"/import/subsidy_import_*.csv)
iconv -f CP932 -t UTF-8 "$csv" > "$T/import.csv" || fail "the import file is not Shift_JIS"
check "import rows: header + accepted" $((sok + 1)) "$(wc -l < "$T/import.csv")"
for png in "$D"/archive/*.png; do
	truth="$D/gen/$(basename "$png" .png).json"
	want=$(jq -r '[.fields."受付番号", .fields."申請日", .fields."金額"] | join(",")' "$truth")
	got=$(awk -F, -v id="$(jq -r '.fields."受付番号"' "$truth")" \
		'$1 == id { sub(/\r$/, ""); print $1 "," $2 "," $10 }' "$T/import.csv")
	check "application $(basename "$png"): number, era date as ISO, amount" "$want" "$got"
done

# --- 3. budget sheet: the budget screen, full-width digits normalised -----
printf '%s\r\n' \
	"2024-04-01,庁舎維持管理事業,4100,1200000,令和６年度当初" \
	"2024-04-01,ＤＸ推進事業,4200,3500000,全角数字のまま書き出された行" \
	"2024-04-01,道路補修事業,5100,12800000," \
	"2024-04-01,地域活性化補助金,7100,2000000,補助金交付要綱による" > "$T/budget.expected"
cmp "$T/budget.expected" "$D/finance/budget.csv" ||
	fail "the budget screen holds: $(cat "$D/finance/budget.csv")"
echo "ok: the budget screen holds the four good lines byte for byte"
check "the zero-amount line failed alone" 1 "$(summary budget_entry .items.failed)"
[ "$(summary budget_entry '.artifacts | length')" -ge 1 ] || fail "no screenshot of the refused line"

# --- 4. overtime orders: the general-affairs web system ---------------------------
check "overtime orders entered (two refused by the system)" "6|2" \
	"$(summary overtime_entry '"\(.items.succeeded)|\(.items.failed)"')"
check "overtime orders stored" 6 "$(jq length "$D/somu/overtime.json")"
check "the first order as the book has it" "100101|2026-04-01|17:30|19:30|窓口繁忙" \
	"$(jq -r '.[0] | [.emp_no, .work_date, .start, .end, .reason] | join("|")' "$D/somu/overtime.json")"

# --- the KPI ledger: one row per run, the run's own figures --------------------
check "ledger rows: a run each" "$(sql 'SELECT count(*) FROM runs')" "$(sql 'SELECT count(*) FROM kpi_ledger')"
for s in invoice_dispatch invoice_entry subsidy_dispatch subsidy_intake budget_entry overtime_entry; do
	check "ledger items of $s" \
		"$(total $s .items.succeeded)|$(total $s .items.failed)" \
		"$(sql "SELECT sum(items_succeeded) || '|' || sum(items_failed) FROM kpi_ledger WHERE script = '$s'")"
	check "ledger minutes of $s" "$(total $s .minutes_saved)" \
		"$(sql "SELECT CAST(sum(minutes_saved) AS INTEGER) FROM kpi_ledger WHERE script = '$s'")"
done
check "invoice minutes: 10 a run + 2 a page read, 10 an invoice entered" \
	$((10 + 2 * 5 + 10 * 4)) \
	"$(( $(total invoice_dispatch .minutes_saved) + $(total invoice_entry .minutes_saved) ))"
check "the integrity of the database" ok "$(sql 'PRAGMA integrity_check')"
# A run that completed with items sent to people still did away with the
# re-typing it replaces: the input points of these scripts count as gone.
for s in invoice_entry budget_entry subsidy_intake overtime_entry; do
	check "$s counts for its input point" 1 \
		"$(sql "SELECT count(*) FROM kpi_script_success WHERE script = '$s'")"
done
