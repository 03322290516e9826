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
# The held-out set (BENCH_OCR_HELDOUT forms of each of four layouts,
# default 125: 500 pages, half clean, half degraded) is made by a second,
# independent generator, tests/fixtures/formgen2 heldout2, and read with
# the templates of tests/heldout2/, written from docs/ocr.md before any of
# its pages existed and never changed.  The first held-out set (formgen2
# forms, tests/heldout/) has had its failures studied and the reader
# tuned on it: it is read too, as a development set, and reported as
# dev2_* (the same figures, no goals).  Reported apart: fields accepted but wrong
# (the goal is 0 in 2,000 or more accepted; 99.9% precision is the
# floor), the share accepted without review (goal 85%), exact fields per
# language and variant (goals 99% clean, 97% degraded), and pages per
# second of kobito against the tesseract command line (--psm 3, the
# default), one thread each, one after the other, on BENCH_OCR_SPEED pages
# of it (default 100; goal 1.5 times).  Full-page reading without a
# template: BENCH_OCR_TEXT pages (default 40) of small print at 100-150
# dpi, noisy, with lines and boxes across the text (formgen2 text), word
# recall of `kobito ocr --lang eng` and of the command line, and their
# speed one thread each (goals 75% recall, 1 times the command line's
# speed).  The bench fails, after printing its line, when a goal is
# missed.
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
HELD=${BENCH_OCR_HELDOUT:-125}
SPEED=${BENCH_OCR_SPEED:-100}
TEXTN=${BENCH_OCR_TEXT:-40}
GEN2="$BUILD/fixtures/formgen2"
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

[ -x "$GEN" ] && [ -x "$GEN2" ] && [ -x "$SCORE" ] && [ -x "$BIN/kobito" ] ||
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
tuning="pages=$PAGES \
kobito_clean_eng=$(g k_eng clean_eng) kobito_degraded_eng=$(g k_eng degraded_eng) \
kobito_clean_jpn=$(g k_jpn clean_jpn) kobito_degraded_jpn=$(g k_jpn degraded_jpn) \
accepted_pct=$(calc "100 * $k_acc / $k_fields") \
accepted_precision=$(calc "100 * $k_accr / ($k_acc > 0 ? $k_acc : 1)") \
kobito_pages_per_s=$k_pps \
peer_psm=$best_psm \
peer_clean_eng=$(g "p$best_psm.eng" clean_eng) peer_degraded_eng=$(g "p$best_psm.eng" degraded_eng) \
peer_clean_jpn=$(g "p$best_psm.jpn" clean_jpn) peer_degraded_jpn=$(g "p$best_psm.jpn" degraded_jpn) \
peer_pages_per_s=$p_pps peer_parallel_pages_per_s=$p_par_pps \
throughput_ratio=$(calc "$k_pps / $p_pps") \
throughput_ratio_parallel=$(calc "$k_pps / $p_par_pps") \
kobito_cpu_s_per_page=$k_cpu peer_cpu_s_per_page=$best_cpu \
cpu_ratio=$(calc "$best_cpu / $k_cpu") \
recall_kobito=$rk recall_peer=$rp"

# --- the development set (formerly held out) and the held-out set ---------
# read_set NAME MODE TEMPLATES SEED LAYOUTS...: render BENCH_OCR_HELDOUT
# forms of each layout with `formgen2 MODE`, read them with the fixed
# templates, and set NAME_fields, _acc, _wrong, _accpct, _prec, _ce, _de,
# _cj, _dj.  The first set (formgen2 forms, tests/heldout/) was held out
# once; its failures have since been studied and the reader tuned on it,
# so it is reported as a development set, "dev2".  The held-out set is
# formgen2 heldout2 with the templates of tests/heldout2/.
read_set() {
	name=$1 mode=$2 tdir=$3 seed=$4
	shift 4
	log "$name: rendering $HELD forms of each of $# layouts (formgen2 $mode)"
	"$GEN2" "$mode" -o "$TMP/$name" -n "$HELD" -s "$seed"
	for l in "$@"; do
		log "$name: kobito ocr $l"
		"$BIN/kobito" ocr "$TMP/$name/$l" --template "$tdir/$l.yaml" --json > "$TMP/${name}_$l.json" ||
			[ $? -eq 1 ] || { echo "bench ocr: kobito failed on $l" >&2; exit 1; }
		OCRSCORE_VERBOSE=1 "$SCORE" fields "$TMP/${name}_$l.json" > "$TMP/${name}_$l.score" 2> "$TMP/${name}_$l.misses"
		cat "$TMP/${name}_$l.score" >&2
		grep "(ok" "$TMP/${name}_$l.misses" | sed "s/^/bench ocr: $name: accepted but wrong: /" >&2 || true
	done
	LAYS="$*"
	# Sums over the layouts: ssum GROUP KEY
	ssum() { t=0; for l in $LAYS; do v=$(score "$TMP/${name}_$l.score" "$1" "$2"); t=$((t + ${v:-0})); done; echo "$t"; }
	s_fields=$(ssum all fields)
	s_acc=$(ssum all accepted)
	s_right=$(ssum all accepted_right)
	spct() { f=$(ssum "$1" fields); e=$(ssum "$1" exact); calc "100 * $e / ($f > 0 ? $f : 1)"; }
	eval "${name}_fields=$s_fields ${name}_acc=$s_acc"
	eval "${name}_wrong=$((s_acc - s_right))"
	eval "${name}_accpct=$(calc "100 * $s_acc / ($s_fields > 0 ? $s_fields : 1)")"
	eval "${name}_prec=$(calc "100 * $s_right / ($s_acc > 0 ? $s_acc : 1)")"
	eval "${name}_ce=$(spct clean_eng) ${name}_de=$(spct degraded_eng)"
	eval "${name}_cj=$(spct clean_jpn) ${name}_dj=$(spct degraded_jpn)"
}
read_set dev2 forms "$TOP/tests/heldout" 7001 invoice_en order_en seikyu_ja shinsei_ja
LAYOUTS="furikomi_ja tenkyo_ja delivery_en remit_en"
HTPL="$TOP/tests/heldout2"
read_set held heldout2 "$HTPL" 8101 $LAYOUTS
h_fields=$held_fields h_acc=$held_acc h_wrong=$held_wrong
h_accpct=$held_accpct h_prec=$held_prec
h_ce=$held_ce h_de=$held_de h_cj=$held_cj h_dj=$held_dj

# Speed, one thread each, one after the other, on the same pages: the
# first SPEED/4 pages of each layout.
log "held-out: speed on $SPEED pages, one thread each"
per=$((SPEED / 4))
[ "$per" -ge 1 ] || per=1
mkdir -p "$TMP/speed"
for l in $LAYOUTS; do
	mkdir -p "$TMP/speed/$l"
	ls "$TMP/held/$l"/*.png "$TMP/held/$l"/*.jpg "$TMP/held/$l"/*.tif 2>/dev/null | sort | head -n "$per" |
		while read -r f; do ln -s "$f" "$TMP/speed/$l/"; done
done
t0=$(now)
for l in $LAYOUTS; do
	"$BIN/kobito" ocr "$TMP/speed/$l" --template "$HTPL/$l.yaml" --jobs 1 --json > /dev/null || [ $? -eq 1 ]
done
t1=$(now)
hk_pps=$(calc "$((per * 4)) / ($t1 - $t0)")
t0=$(now)
for l in $LAYOUTS; do
	case $l in *_ja) lang=jpn ;; *) lang=eng ;; esac
	for f in "$TMP/speed/$l"/*; do
		tesseract "$f" "$TMP/hseq" -l "$lang" --psm 3 >/dev/null 2>&1
	done
done
t1=$(now)
hp_pps=$(calc "$((per * 4)) / ($t1 - $t0)")
h_ratio=$(calc "$hk_pps / $hp_pps")

# --- full-page text at low resolution ---------------------------------------
log "full-page text: $TEXTN pages at 100-150 dpi (formgen2 text)"
"$GEN2" text -o "$TMP/text" -n "$TEXTN" -s 7002
t0=$(now)
"$BIN/kobito" ocr "$TMP/text" --lang eng --jobs 1 --json > "$TMP/t_k.json"
t1=$(now)
tk_pps=$(calc "$TEXTN / ($t1 - $t0)")
t0=$(now)
for f in "$TMP/text"/*.png; do
	tesseract "$f" "${f%.png}" -l eng --psm 3 >/dev/null 2>&1
done
t1=$(now)
tp_pps=$(calc "$TEXTN / ($t1 - $t0)")
t_rk=$("$SCORE" recall "$TMP/t_k.json" | awk '{ sub("recall_pct=", "", $4); print $4 }')
t_rp=$("$SCORE" recall "$TMP/text"/*.txt | awk '{ sub("recall_pct=", "", $4); print $4 }')
t_ratio=$(calc "$tk_pps / $tp_pps")

echo "bench ocr: $tuning" \
	"dev2_pages=$((HELD * 4)) dev2_fields=$dev2_fields dev2_accepted=$dev2_acc" \
	"dev2_accepted_wrong=$dev2_wrong dev2_accepted_precision=$dev2_prec" \
	"dev2_accepted_pct=$dev2_accpct dev2_clean_eng=$dev2_ce dev2_degraded_eng=$dev2_de" \
	"dev2_clean_jpn=$dev2_cj dev2_degraded_jpn=$dev2_dj" \
	"heldout_pages=$((HELD * 4)) heldout_fields=$h_fields heldout_accepted=$h_acc" \
	"heldout_accepted_wrong=$h_wrong heldout_accepted_precision=$h_prec" \
	"heldout_accepted_pct=$h_accpct" \
	"heldout_clean_eng=$h_ce heldout_degraded_eng=$h_de" \
	"heldout_clean_jpn=$h_cj heldout_degraded_jpn=$h_dj" \
	"heldout_pages_per_s=$hk_pps heldout_peer_pages_per_s=$hp_pps heldout_throughput_ratio=$h_ratio" \
	"text_pages=$TEXTN text_recall_kobito=$t_rk text_recall_peer=$t_rp" \
	"text_pages_per_s=$tk_pps text_peer_pages_per_s=$tp_pps text_speed_ratio=$t_ratio"

# --- goals ----------------------------------------------------------------
missed=0
goal() { # goal NAME VALUE OP TARGET
	if awk -v v="$2" -v t="$4" -v op="$3" 'BEGIN { exit !(op == ">=" ? v + 0 >= t + 0 : v + 0 <= t + 0) }'; then
		:
	else
		echo "bench ocr: GOAL MISSED: $1 = $2 (goal $3 $4)" >&2
		missed=1
	fi
}
goal heldout_accepted_wrong "$h_wrong" "<=" 0
goal heldout_accepted "$h_acc" ">=" 2000
goal heldout_accepted_precision "$h_prec" ">=" 99.9
goal heldout_accepted_pct "$h_accpct" ">=" 85
goal heldout_clean_eng "$h_ce" ">=" 99
goal heldout_clean_jpn "$h_cj" ">=" 99
goal heldout_degraded_eng "$h_de" ">=" 97
goal heldout_degraded_jpn "$h_dj" ">=" 97
goal heldout_throughput_ratio "$h_ratio" ">=" 1.5
goal text_recall_kobito "$t_rk" ">=" 75
goal text_speed_ratio "$t_ratio" ">=" 1
exit $missed
