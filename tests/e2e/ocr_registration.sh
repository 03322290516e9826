#!/bin/sh
# ocr_registration.sh - locating a form where a wrong placement looks
# right, and reading writing that crosses its zone.
#
# rows_ja has five ruled rows of equal height: its lines fit one row off
# almost as well as in place, and only the printed labels tell the rows
# apart.  Every page must be located where formgen shifted it (or flagged
# as not located), and no field accepted may be wrong.  The Japanese title
# of subsidy_ja must be found as an anchor.  A zone too small for its
# value grows to hold it; a zone that leaves a word out sends the field to
# review instead of cutting the word off.
. "$(dirname "$0")/lib.sh"

GEN="$FIXTURES/formgen"
SCORE="$FIXTURES/ocrscore"
TPL="$KOBITO_TOP/scripts/templates"
ROWS="$KOBITO_TOP/tests/fixtures/templates/rows_ja.yaml"
[ -x "$GEN" ] && [ -x "$SCORE" ] || fail "the formgen and ocrscore fixtures are not built"

mkdir -p "$T/rows" "$T/ja" "$T/en"
"$GEN" -t "$ROWS" -o "$T/rows" -n 3 -s 215 -p degraded -v degraded &&
"$GEN" -t "$TPL/subsidy_ja.yaml" -o "$T/ja" -n 1 -s 216 -p clean -v clean &&
"$GEN" -t "$TPL/invoice_en.yaml" -o "$T/en" -n 1 -s 217 -p clean -v clean ||
	fail "formgen could not render the pages"

# --- equal rows: the right row, or no row at all ---------------------------
"$KOBITO" ocr "$T/rows" --template "$ROWS" --json > "$T/rows.json"
check "the rows pages are read" 0 $?
for i in 0 1 2; do
	f=$(jq -r ".pages[$i].file" "$T/rows.json")
	want=$(jq -r '.degradation.shift_mm[1]' "${f%.png}.json")
	ok=$(jq -r ".pages[$i].located.ok" "$T/rows.json")
	got=$(jq -r ".pages[$i].located.dy_mm" "$T/rows.json")
	if [ "$ok" = true ]; then
		awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; exit !(d < 2.5 && d > -2.5) }' ||
			fail "page $((i + 1)) located at dy $got mm, shifted by $want mm: a row off"
		echo "ok: page $((i + 1)) located at dy $got mm (shifted $want mm)"
	else
		echo "ok: page $((i + 1)) not located, sent to review"
	fi
done
"$SCORE" fields "$T/rows.json" > "$T/rows.score" || fail "ocrscore failed"
cat "$T/rows.score"
check "no field on the rows pages is accepted wrong" 100.00 \
	"$(awk '$1 == "all" { for (i = 2; i <= NF; i++) if ($i ~ /^accepted_precision=/) { sub("accepted_precision=", "", $i); print $i } }' "$T/rows.score")"

# --- a Japanese title as the anchor ---------------------------------------
sed 's/^register: boxes/register: anchors/' "$TPL/subsidy_ja.yaml" > "$T/anchors.yaml"
mkdir -p "$T/dbg"
KOBITO_OCR_DEBUG="$T/dbg" "$KOBITO" ocr "$T/ja/clean-001.png" --template "$T/anchors.yaml" \
	--json > "$T/anchors.json" 2> "$T/dbg.log"
check "the page is located by its title 補助金交付申請書" true "$(jq -r '.pages[0].located.ok' "$T/anchors.json")"
[ -f "$T/dbg/search-title-補助金交付申請書-11.png" ] ||
	fail "KOBITO_OCR_DEBUG saved no crop of the anchor search: $(ls "$T/dbg")"
echo "ok: the anchor search crop is saved"

# --- writing across a zone's edge -------------------------------------------
# The customer's name printed in a 10 mm box, read through a 3.2 mm zone
# without the box: it must grow and read the name whole; through a 20 mm
# wide one the rest of the name lies beyond, and the field goes to review.
want=$(jq -r .fields.customer "$T/en/clean-001.json")
sed 's/^    zone: \[45, 58, 150, 10\]$/    zone: [47, 60.5, 90, 3.2]/; /^    zone: \[47, 60.5, 90, 3.2\]$/{n;d}' \
	"$TPL/invoice_en.yaml" > "$T/tight.yaml"
grep -q "zone: \[47, 60.5, 90, 3.2\]" "$T/tight.yaml" || fail "could not write the tight template"
"$KOBITO" ocr "$T/en/clean-001.png" --template "$T/tight.yaml" --json > "$T/tight.json"
check "a zone too small grows to hold the value" "$want" "$(jq -r '.pages[0].fields.customer.value' "$T/tight.json")"
sed 's/zone: \[47, 60.5, 90, 3.2\]/zone: [47, 60.5, 12, 3.2]/' "$T/tight.yaml" > "$T/short.yaml"
"$KOBITO" ocr "$T/en/clean-001.png" --template "$T/short.yaml" --json > "$T/short.json"
check "a zone that leaves words out is not ok" low_confidence \
	"$(jq -r '.pages[0].fields.customer.status' "$T/short.json")"
jq -r '.pages[0].fields.customer.reason' "$T/short.json" | grep -q "past the edge of the zone" ||
	fail "reason: $(jq -r '.pages[0].fields.customer.reason' "$T/short.json")"
