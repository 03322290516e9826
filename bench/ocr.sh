#!/bin/sh
# bench/ocr.sh - reading scanned forms: `kobito ocr --template` against the
# tesseract command-line tool a user would reach for, on forms with known
# values rendered by the formgen fixture.
#
# The set: BENCH_OCR_PAGES forms (default 40, a multiple of 4): a quarter
# each of clean English invoices, degraded English invoices, clean Japanese
# subsidy applications and degraded ones (rotated up to 3 degrees, shifted,
# and at least two of: 200 dpi, blur, noise, salt and pepper).  The seeds
# differ from the test suite's, so nothing here was tuned on.
#
# kobito: one `kobito ocr DIR --template T --json` per template, all cores,
# engines started once per process.  Accuracy is field-level exact match
# against the truth; "accepted" are the fields with status ok (not sent to
# review), and accepted precision the share of those that are right.
#
# The peer: `tesseract PAGE out -l LANG --psm N`, one process per page,
# with OMP_THREAD_LIMIT=1 (tesseract's fastest setting here; OpenMP makes
# it several times slower on two cores).  Its accuracy and CPU time are
# measured running on all cores at once (xargs -P); its pages/s both so
# (peer_parallel_pages_per_s) and as a user runs it, in a loop one page
# after another (peer_pages_per_s, the basis of throughput_ratio).  Its field
# values are taken from its text: on the line where a field's label is, the
# text after it, normalised exactly as kobito normalises (ocrscore peer).
# Each of the modes in BENCH_OCR_PSMS (default 3 4 6 11) is tried and the
# one with the best accuracy is reported, with its time.  Seals cannot be
# read from text and are left out of the peer's fields.
#
# Time is measured both on the clock (pages/s, and their ratio) and in CPU
# seconds per page (user + system, children included, and their ratio):
# on a machine shared with other work the clock is noisy, CPU time less so.
#
# Word recall: the share of the printed words (titles, labels, values)
# found in the full-page text, spaces ignored, of `kobito ocr` (no
# template; eng for the invoices, jpn for the applications) and of the
# peer at --psm 3.
#
# Prints one line (details on stderr):
# bench ocr: pages=... kobito_clean_eng=... kobito_degraded_eng=...
#   kobito_clean_jpn=... kobito_degraded_jpn=... accepted_pct=...
#   accepted_precision=... kobito_pages_per_s=... peer_psm=...
#   peer_clean_eng=... ... peer_pages_per_s=...
#   peer_parallel_pages_per_s=... throughput_ratio=...
#   throughput_ratio_parallel=...
#   kobito_cpu_s_per_page=... peer_cpu_s_per_page=... cpu_ratio=...
#   recall_kobito=... recall_peer=...
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${KOBITO_BIN:-$TOP/bin}
BUILD=${KOBITO_BUILD:-$TOP/build}
PAGES=${BENCH_OCR_PAGES:-40}
PSMS=${BENCH_OCR_PSMS:-3 4 6 11}
NCPU=$(nproc 2>/dev/null || echo 2)
GEN="$BUILD/fixtures/formgen"
SCORE="$BUILD/fixtures/ocrscore"
TPL="$TOP/scripts/templates"
export OMP_THREAD_LIMIT=1
TMP=$(mktemp -d "${TMPDIR:-/var/tmp}/kobito-bench-ocr.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

log() { echo "bench ocr: $*" >&2; }
now() { date +%s.%N; }
# Run a command, adding its CPU seconds (user + system, children
# included) to the file $1.
cpu() { f=$1; shift; /usr/bin/time -f "%U %S" -a -o "$f" "$@"; }
cpu_sum() { awk '{ s += $1 + $2 } END { printf "%.2f", s }' "$1"; }
# A score line's value: score FILE GROUP KEY
score() { awk -v g="$2" -v k="$3" '$1 == g { for (i = 2; i <= NF; i++) {
	split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }

[ -x "$GEN" ] && [ -x "$SCORE" ] && [ -x "$BIN/kobito" ] ||
	{ echo "bench ocr: build first (make all)" >&2; exit 1; }
command -v tesseract >/dev/null ||
	{ echo "bench ocr: the tesseract command is needed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench ocr: /usr/bin/time is needed" >&2; exit 1; }
Q=$((PAGES / 4))
[ "$Q" -ge 1 ] || { echo "bench ocr: BENCH_OCR_PAGES must be 4 or more" >&2; exit 1; }

# --- the set ----------------------------------------------------------
log "rendering $PAGES forms"
mkdir -p "$TMP/eng" "$TMP/jpn"
"$GEN" -t "$TPL/invoice_en.yaml" -o "$TMP/eng" -n "$Q" -s 9001 -p clean -v clean
"$GEN" -t "$TPL/invoice_en.yaml" -o "$TMP/eng" -n "$Q" -s 9002 -p degraded -v degraded
"$GEN" -t "$TPL/subsidy_ja.yaml" -o "$TMP/jpn" -n "$Q" -s 9003 -p clean -v clean
"$GEN" -t "$TPL/subsidy_ja.yaml" -o "$TMP/jpn" -n "$Q" -s 9004 -p degraded -v degraded

# --- kobito -----------------------------------------------------------
log "kobito ocr --template"
t0=$(now)
cpu "$TMP/k.cpu" "$BIN/kobito" ocr "$TMP/eng" --template "$TPL/invoice_en.yaml" --json > "$TMP/k_eng.json"
cpu "$TMP/k.cpu" "$BIN/kobito" ocr "$TMP/jpn" --template "$TPL/subsidy_ja.yaml" --json > "$TMP/k_jpn.json"
t1=$(now)
k_secs=$(calc "$t1 - $t0")
"$SCORE" fields "$TMP/k_eng.json" > "$TMP/k_eng.score"
"$SCORE" fields "$TMP/k_jpn.json" > "$TMP/k_jpn.score"
cat "$TMP/k_eng.score" "$TMP/k_jpn.score" >&2
k_fields=$(( $(score "$TMP/k_eng.score" all fields) + $(score "$TMP/k_jpn.score" all fields) ))
k_acc=$(( $(score "$TMP/k_eng.score" all accepted) + $(score "$TMP/k_jpn.score" all accepted) ))
k_accr=$(( $(score "$TMP/k_eng.score" all accepted_right) + $(score "$TMP/k_jpn.score" all accepted_right) ))
k_pps=$(calc "$PAGES / $k_secs")
k_cpu=$(calc "$(cpu_sum "$TMP/k.cpu") / $PAGES")
log "kobito: $PAGES pages in $k_secs s, $k_cpu CPU s per page"

# --- the peer, each page segmentation mode ------------------------------
best_psm="" best_exact=-1
for psm in $PSMS; do
	mkdir -p "$TMP/p$psm"
	t0=$(now)
	for lang in eng jpn; do
		ls "$TMP/$lang"/*.png | cpu "$TMP/p$psm.cpu" xargs -P "$NCPU" -I{} sh -c \
			'b=$(basename "$1" .png); tesseract "$1" "$2/$3-$b" -l "$3" --psm "$4" >/dev/null 2>&1' \
			sh {} "$TMP/p$psm" "$lang" "$psm"
	done
	t1=$(now)
	# ocrscore finds the truth beside each text: link the texts there.
	for lang in eng jpn; do
		for f in "$TMP/p$psm/$lang"-*.txt; do
			b=$(basename "$f" .txt)
			cp "$f" "$TMP/$lang/${b#"$lang"-}.p$psm.txt"
		done
	done
	# The truth of X.p3.txt is X.p3.json for ocrscore: link it.
	for j in "$TMP"/eng/*-[0-9][0-9][0-9].json "$TMP"/jpn/*-[0-9][0-9][0-9].json; do
		ln -sf "$(basename "$j")" "${j%.json}.p$psm.json"
	done
	"$SCORE" peer "$TPL/invoice_en.yaml" "$TMP"/eng/*.p"$psm".txt > "$TMP/p$psm.eng.score"
	"$SCORE" peer "$TPL/subsidy_ja.yaml" "$TMP"/jpn/*.p"$psm".txt > "$TMP/p$psm.jpn.score"
	exact=$(( $(score "$TMP/p$psm.eng.score" all exact) + $(score "$TMP/p$psm.jpn.score" all exact) ))
	secs=$(calc "$t1 - $t0")
	pcpu=$(calc "$(cpu_sum "$TMP/p$psm.cpu") / $PAGES")
	log "peer --psm $psm: $exact fields exact, $PAGES pages in $secs s, $pcpu CPU s per page"
	cat "$TMP/p$psm.eng.score" "$TMP/p$psm.jpn.score" >&2
	if [ "$exact" -gt "$best_exact" ]; then
		best_exact=$exact best_psm=$psm best_secs=$secs best_cpu=$pcpu
	fi
done
p_par_pps=$(calc "$PAGES / $best_secs")
# The peer as a user runs it: a loop, one page after another.
log "peer --psm $best_psm, one page at a time"
t0=$(now)
for lang in eng jpn; do
	for f in "$TMP/$lang"/*-[0-9][0-9][0-9].png; do
		tesseract "$f" "$TMP/seq" -l "$lang" --psm "$best_psm" >/dev/null 2>&1
	done
done
t1=$(now)
p_pps=$(calc "$PAGES / ($t1 - $t0)")

# --- full-page word recall -----------------------------------------------
log "full-page text"
"$BIN/kobito" ocr "$TMP/eng" --lang eng --json > "$TMP/text_eng.json"
"$BIN/kobito" ocr "$TMP/jpn" --lang jpn --json > "$TMP/text_jpn.json"
rk=$("$SCORE" recall "$TMP/text_eng.json" "$TMP/text_jpn.json" | awk '{ sub("recall_pct=", "", $4); print $4 }')
rp=$("$SCORE" recall "$TMP"/eng/*.p3.txt "$TMP"/jpn/*.p3.txt 2>/dev/null | awk '{ sub("recall_pct=", "", $4); print $4 }')
[ -n "$rp" ] || rp=n/a

g() { score "$TMP/$1.score" "$2" exact_pct; }
echo "bench ocr: pages=$PAGES" \
	"kobito_clean_eng=$(g k_eng clean_eng) kobito_degraded_eng=$(g k_eng degraded_eng)" \
	"kobito_clean_jpn=$(g k_jpn clean_jpn) kobito_degraded_jpn=$(g k_jpn degraded_jpn)" \
	"accepted_pct=$(calc "100 * $k_acc / $k_fields")" \
	"accepted_precision=$(calc "100 * $k_accr / ($k_acc > 0 ? $k_acc : 1)")" \
	"kobito_pages_per_s=$k_pps" \
	"peer_psm=$best_psm" \
	"peer_clean_eng=$(g "p$best_psm.eng" clean_eng) peer_degraded_eng=$(g "p$best_psm.eng" degraded_eng)" \
	"peer_clean_jpn=$(g "p$best_psm.jpn" clean_jpn) peer_degraded_jpn=$(g "p$best_psm.jpn" degraded_jpn)" \
	"peer_pages_per_s=$p_pps peer_parallel_pages_per_s=$p_par_pps" \
	"throughput_ratio=$(calc "$k_pps / $p_pps")" \
	"throughput_ratio_parallel=$(calc "$k_pps / $p_par_pps")" \
	"kobito_cpu_s_per_page=$k_cpu peer_cpu_s_per_page=$best_cpu" \
	"cpu_ratio=$(calc "$best_cpu / $k_cpu")" \
	"recall_kobito=$rk recall_peer=$rp"
