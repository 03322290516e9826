#!/bin/sh
# ocr_forms.sh - reading scanned forms end to end: formgen renders English
# invoices and Japanese subsidy applications with known values, clean and
# degraded (rotated, shifted, 200 dpi, blurred, noisy, salt and pepper);
# `kobito ocr --template` reads them and ocrscore compares field by field
# with the truth.  Asserted: exact-match rates per language and variant,
# that fields accepted without review are right, that a blank and an
# unreadable form are flagged and nothing on them is guessed, multi-page
# TIFF and PDF input page by page, full-page text, and the ocr.form and
# ocr.forms actions in a script.  (The benchmark, bench/ocr.sh, measures
# the same on 40+ pages against the goals.)
. "$(dirname "$0")/lib.sh"

GEN="$FIXTURES/formgen"
SCORE="$FIXTURES/ocrscore"
TPL="$KOBITO_TOP/scripts/templates"
[ -x "$GEN" ] && [ -x "$SCORE" ] || fail "the formgen and ocrscore fixtures are not built"
command -v tesseract >/dev/null || fail "tesseract is not installed (make deps)"
for l in eng jpn Latin Japanese; do
	tesseract --list-langs 2>/dev/null | grep -qx "$l" ||
		fail "tesseract has no $l language data (make deps)"
done

# A score line's value: score FILE GROUP KEY
score() { awk -v g="$2" -v k="$3" '$1 == g { for (i = 2; i <= NF; i++) {
	split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"; }
# at_least DESCRIPTION VALUE MIN
at_least() {
	if awk -v v="$2" -v m="$3" 'BEGIN { exit !(v + 0 >= m + 0) }'; then
		echo "ok: $1: $2 >= $3"
	else
		fail "$1: $2 < $3"
	fi
}

# --- the sets: 3 clean and 3 degraded pages of each template ------------
mkdir -p "$T/en" "$T/ja" "$T/odd" "$T/multi"
"$GEN" -t "$TPL/invoice_en.yaml" -o "$T/en" -n 3 -s 301 -p clean -v clean &&
"$GEN" -t "$TPL/invoice_en.yaml" -o "$T/en" -n 3 -s 302 -p degraded -v degraded &&
"$GEN" -t "$TPL/subsidy_ja.yaml" -o "$T/ja" -n 3 -s 303 -p clean -v clean &&
"$GEN" -t "$TPL/subsidy_ja.yaml" -o "$T/ja" -n 3 -s 304 -p degraded -v degraded ||
	fail "formgen could not render the sets"

# --- read them; a template may be named instead of given by path ---------
"$KOBITO" ocr "$T/en" --template invoice_en --json > "$T/en.json" 2> "$T/err"
check "kobito ocr reads the English set" 0 $?
( cd "$KOBITO_TOP" && "$KOBITO" ocr "$T/ja" --template scripts/templates/subsidy_ja.yaml \
	--json ) > "$T/ja.json" 2>> "$T/err"
check "kobito ocr reads the Japanese set" 0 $?
check "one result per page" 6 "$(jq '.pages | length' "$T/ja.json")"
check "every field of a page is reported" 12 \
	"$(jq '.pages[0].fields | length' "$T/ja.json")"
check "a field has value, raw, confidence, box, status, opinions, evidence and readings" \
	'["box","confidence","evidence","opinions","raw","readings","status","value"]' \
	"$(jq -c '.pages[0].fields["申請日"] | del(.reason) | keys' "$T/ja.json")"
# Seals are judged from the zone's colour, not read: the rest need two.
check "every field accepted has two opinions or more" 0 \
	"$(jq '[.pages[].fields[] | select(.status == "ok" and .value != null and (.raw | startswith("red ") | not) and .opinions < 2)] | length' "$T/en.json" "$T/ja.json" | awk '{ s += $1 } END { print s }')"

"$SCORE" fields "$T/en.json" > "$T/en.score" &&
"$SCORE" fields "$T/ja.json" > "$T/ja.score" || fail "ocrscore failed"
cat "$T/en.score" "$T/ja.score"
# Small sets: one misread in 36 fields is 2.8%, so the rates asserted here
# are below the benchmark's goals (99.5% clean, 97% degraded on 40+ pages).
at_least "clean English fields exact" "$(score "$T/en.score" clean_eng exact_pct)" 97
at_least "degraded English fields exact" "$(score "$T/en.score" degraded_eng exact_pct)" 94
at_least "clean Japanese fields exact" "$(score "$T/ja.score" clean_jpn exact_pct)" 97
at_least "degraded Japanese fields exact" "$(score "$T/ja.score" degraded_jpn exact_pct)" 94
at_least "English fields accepted without review" "$(score "$T/en.score" all accepted_pct)" 85
# A Japanese text with a ha-row kana carrying either mark (ボールペン, コピー
# 用紙 among these goods) always goes to review (docs/ocr.md, "Acceptance"):
# on these six pages that leaves 80.6% of the Japanese fields accepted.
at_least "Japanese fields accepted without review" "$(score "$T/ja.score" all accepted_pct)" 75
check "every English field accepted is right" 100.00 "$(score "$T/en.score" all accepted_precision)"
check "every Japanese field accepted is right" 100.00 "$(score "$T/ja.score" all accepted_precision)"

# --- a blank form and an unreadable one: flagged, nothing guessed --------
"$GEN" -t "$TPL/subsidy_ja.yaml" -o "$T/odd" -n 1 -s 5 -p blank -v blank &&
"$GEN" -t "$TPL/invoice_en.yaml" -o "$T/odd" -n 1 -s 6 -p smeared -v unreadable ||
	fail "formgen could not render the odd pages"
"$KOBITO" ocr "$T/odd/blank-001.png" --template subsidy_ja --json > "$T/blank.json"
check "a blank form is read" 0 $?
check "a blank form needs review" true "$(jq '.pages[0].review' "$T/blank.json")"
check "nothing is guessed on a blank form" 0 \
	"$(jq '[.pages[0].fields[] | select(.value != null and .value != false)] | length' "$T/blank.json")"
check "the 8 required fields of a blank form are missing" 8 \
	"$(jq '[.pages[0].fields[] | select(.status == "missing")] | length' "$T/blank.json")"
jq -e '.pages[0].reasons | map(select(startswith("氏名: missing"))) | length == 1' \
	"$T/blank.json" >/dev/null || fail "the reasons do not name 氏名"
"$KOBITO" ocr "$T/odd/smeared-001.png" --template invoice_en --json > "$T/smear.json"
check "an unreadable form needs review" true "$(jq '.pages[0].review' "$T/smear.json")"
check "nothing is accepted on an unreadable form" 0 \
	"$(jq '[.pages[0].fields[] | select(.status == "ok" and .value != null)] | length' "$T/smear.json")"

# --- multi-page TIFF and PDF, page by page --------------------------------
"$GEN" -t "$TPL/invoice_en.yaml" -o "$T/multi" -n 2 -s 307 -p scan -v degraded \
	--tiff "$T/multi/scans.tif" --pdf "$T/multi/scans.pdf" || fail "formgen could not write the TIFF and PDF"
"$KOBITO" ocr "$T/multi/scans.tif" --template invoice_en --json > "$T/tif.json"
check "a two-page TIFF is read" 0 $?
check "two pages from the TIFF" "1 2" "$(jq -r '[.pages[].page] | join(" ")' "$T/tif.json")"
for p in 1 2; do
	check "TIFF page $p invoice_no" \
		"$(jq -r .fields.invoice_no "$T/multi/scan-00$p.json")" \
		"$(jq -r ".pages[$((p - 1))].fields.invoice_no.value" "$T/tif.json")"
done
if command -v gs >/dev/null; then
	"$KOBITO" ocr "$T/multi/scans.pdf" --template invoice_en --json > "$T/pdf.json"
	check "a two-page PDF is read" 0 $?
	check "two pages from the PDF" 2 "$(jq '.pages | length' "$T/pdf.json")"
	check "PDF page 2 total" "$(jq -r .fields.total "$T/multi/scan-002.json")" \
		"$(jq -r '.pages[1].fields.total.value' "$T/pdf.json")"
else
	echo "note: Ghostscript missing, PDF input not tested"
fi

# --- full-page text -----------------------------------------------------
"$KOBITO" ocr "$T/en/clean-001.png" --json > "$T/text.json"
check "full-page text is read" 0 $?
jq -e '.pages[0].text | test("INVOICE")' "$T/text.json" >/dev/null ||
	fail "the page text lacks INVOICE"
jq -e '.pages[0].words | map(select(.text == "INVOICE" and (.box | length) == 4 and .confidence > 50)) | length == 1' \
	"$T/text.json" >/dev/null || fail "no word INVOICE with a box and confidence"
"$KOBITO" ocr "$T/ja/clean-001.png" --lang jpn > "$T/text_ja.txt"
grep -q "交付申請書" "$T/text_ja.txt" || fail "the Japanese page text lacks its title"
"$KOBITO" ocr "$T/en/clean-001.png" --template invoice_en --lang jpn > /dev/null 2>&1
check "--lang with --template is a usage error" 2 $?
"$KOBITO" ocr "$T/en/clean-001.png" --template nosuch > /dev/null 2> "$T/err"
check "an unknown template is a usage error" 2 $?
"$KOBITO" ocr "$T/nosuch.png" > /dev/null 2> "$T/err"
check "a missing image fails" 1 $?

# --- the actions in a script --------------------------------------------
cat > "$T/forms.yaml" <<'Y'
name: ocr_actions
params:
  dir: { type: path, required: true }
  page: { type: path, required: true }
  invoice_no: { type: string, required: true }
steps:
  - id: one
    ocr.form: { path: "${params.page}", template: invoice_en }
  - assert: { that: "${steps.one.output.fields.invoice_no.value == params.invoice_no}", message: "got ${steps.one.output.fields.invoice_no.value}" }
  - assert: { that: "${steps.one.output.review == false}", message: "clean page needs review" }
  - id: all
    ocr.forms: { folder: "${params.dir}", template: invoice_en, pattern: "degraded-*.png" }
  - assert: { that: "${steps.all.output.count == 3}", message: "count ${steps.all.output.count}" }
  - assert: { that: "${steps.all.output.ok + steps.all.output.review == 3}" }
  - id: text
    ocr.text: { path: "${params.page}" }
  - assert: { that: "${steps.text.output.text | matches('Northwind')}", message: "text ${steps.text.output.text}" }
Y
"$KOBITO" run "$T/forms.yaml" --param dir="$T/en" --param page="$T/en/clean-002.png" \
	--param invoice_no="$(jq -r .fields.invoice_no "$T/en/clean-002.json")" --json > "$T/run.json" 2> "$T/err"
check "the ocr actions run in a script" 0 $?
check "the script succeeded" succeeded "$(jget "$T/run.json" .status)"
