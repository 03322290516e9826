#!/bin/sh
# bench/office.sh - office documents: a 100,000-row x 10-column workbook
# read and written back as a new workbook, kobito against Python's
# openpyxl (Debian's python3-openpyxl) on the same file, back to back.
#
# The input is written by openpyxl (shared strings, dates, numbers,
# booleans, Japanese text), BENCH_OFFICE_ROWS rows (default 100000).
# kobito: one `kobito run` of xlsx.read (the data rows as lists, as
# openpyxl's values_only gives them) then xlsx.write (the header, dates as
# dates).  The peer:
# load_workbook() and a new Workbook() as a script would use them
# ("default"), and again in openpyxl's read_only / write_only modes
# ("fast"), which trade features for memory.  Times are wall clock and
# CPU seconds (user + system): on a machine shared with other work the
# clock is noisy, CPU time less so, and the speed goal is checked on it.
# Peak memory is the maximum resident set (GNU time).  Both outputs are checked:
# the same number of rows, the same last row.
#
# Goal: kobito at least 5x as fast as openpyxl's default mode (in CPU
# time), in at most a quarter of its memory; the bench fails when either
# is missed.
#
# Prints one line (details on stderr):
# bench office: rows=... kobito_s=... kobito_cpu_s=... kobito_rss_mb=...
#   openpyxl_s=... openpyxl_cpu_s=... openpyxl_rss_mb=... speed_ratio=...
#   cpu_ratio=... memory_ratio=... openpyxl_fast_s=... openpyxl_fast_cpu_s=...
#   openpyxl_fast_rss_mb=... cpu_ratio_fast=...
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${KOBITO_BIN:-$TOP/bin}
ROWS=${BENCH_OFFICE_ROWS:-100000}
PY=/usr/bin/python3
TMP=$(mktemp -d "${TMPDIR:-/var/tmp}/kobito-bench-office.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
say() { echo "bench office: $*" >&2; }
[ -x /usr/bin/time ] || { echo "bench office: GNU time is needed (make deps)" >&2; exit 1; }
$PY -c 'import openpyxl' || { echo "bench office: python3-openpyxl is needed (make deps)" >&2; exit 1; }

cat > "$TMP/gen.py" <<'PYEOF'
import sys, datetime, openpyxl
n = int(sys.argv[2])
wb = openpyxl.Workbook(write_only=True)
ws = wb.create_sheet('明細')
ws.append(['番号', '計上日', '取引先', '科目コード', '金額', '数量', '確認', '摘要', '区分', '単価'])
base = datetime.date(2024, 4, 1)
names = ['株式会社さくら商事', '有限会社やまと', '合同会社みなと設備', '東西印刷株式会社', '田中文具店']
for i in range(1, n + 1):
    ws.append([i, base + datetime.timedelta(days=i % 365), names[i % 5] + str(i % 997),
               '%04d' % (4000 + i % 900), i * 1.25, i % 50, i % 2 == 0, '摘要 第%d号' % i,
               '区分%d' % (i % 7), (i % 1000) / 8])
wb.save(sys.argv[1])
PYEOF
cat > "$TMP/peer.py" <<'PYEOF'
import sys, openpyxl
src, dst, mode = sys.argv[1:4]
if mode == 'default':
    rows = [list(r) for r in openpyxl.load_workbook(src).active.iter_rows(values_only=True)]
    out = openpyxl.Workbook(); ws = out.active; ws.title = '明細'
else:
    rows = [list(r) for r in openpyxl.load_workbook(src, read_only=True).active.iter_rows(values_only=True)]
    out = openpyxl.Workbook(write_only=True); ws = out.create_sheet('明細')
for r in rows:
    ws.append(r)
out.save(dst)
PYEOF
cat > "$TMP/copy.yaml" <<'Y'
name: bench_office
params:
  input: { type: path, required: true }
  output: { type: path, required: true }
steps:
  - id: r
    xlsx.read: { path: "${params.input}", range: "A2:J1048576", header: false }
  - xlsx.write:
      path: "${params.output}"
      sheet: 明細
      rows: "${steps.r.output.rows}"
      columns: [番号, { name: 計上日, type: date }, 取引先, { name: 科目コード, type: string }, 金額, 数量, 確認, 摘要, 区分, 単価]
Y
cat > "$TMP/check.py" <<'PYEOF'
import sys, openpyxl
for p in sys.argv[2:]:
    rows = list(openpyxl.load_workbook(p, read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == int(sys.argv[1]) + 1, (p, len(rows))
    last = rows[-1]
    assert last[0] == int(sys.argv[1]) and last[4] == int(sys.argv[1]) * 1.25, (p, last)
PYEOF

say "writing $ROWS rows x 10 columns with openpyxl"
$PY "$TMP/gen.py" "$TMP/in.xlsx" "$ROWS"
measure() {	# measure OUTFILE COMMAND...: "seconds cpu-seconds kb" of one run
	_o=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$_o" "$@" >/dev/null 2>"$_o.err" ||
		{ cat "$_o.err" >&2; exit 1; }
	awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$_o"
}
set -- $(measure "$TMP/k.time" "$BIN/kobito" run "$TMP/copy.yaml" \
	--param "input=$TMP/in.xlsx" --param "output=$TMP/k.xlsx")
k_s=$1 k_cpu=$2 k_kb=$3
say "kobito: ${k_s}s (${k_cpu}s CPU), $((k_kb / 1024)) MB"
set -- $(measure "$TMP/p.time" $PY "$TMP/peer.py" "$TMP/in.xlsx" "$TMP/p.xlsx" default)
p_s=$1 p_cpu=$2 p_kb=$3
say "openpyxl: ${p_s}s (${p_cpu}s CPU), $((p_kb / 1024)) MB"
set -- $(measure "$TMP/f.time" $PY "$TMP/peer.py" "$TMP/in.xlsx" "$TMP/f.xlsx" fast)
f_s=$1 f_cpu=$2 f_kb=$3
say "openpyxl read_only/write_only: ${f_s}s (${f_cpu}s CPU), $((f_kb / 1024)) MB"
$PY "$TMP/check.py" "$ROWS" "$TMP/k.xlsx" "$TMP/p.xlsx" "$TMP/f.xlsx" ||
	{ echo "bench office: the outputs differ from the input" >&2; exit 1; }

LINE=$(awk -v r="$ROWS" -v ks="$k_s" -v kc="$k_cpu" -v kk="$k_kb" \
	-v ps="$p_s" -v pc="$p_cpu" -v pk="$p_kb" -v fs="$f_s" -v fc="$f_cpu" \
	-v fk="$f_kb" 'BEGIN {
	printf "rows=%d kobito_s=%.2f kobito_cpu_s=%.2f kobito_rss_mb=%.0f", r, ks, kc, kk / 1024
	printf " openpyxl_s=%.2f openpyxl_cpu_s=%.2f openpyxl_rss_mb=%.0f", ps, pc, pk / 1024
	printf " speed_ratio=%.1f cpu_ratio=%.1f memory_ratio=%.2f", ps / ks, pc / kc, kk / pk
	printf " openpyxl_fast_s=%.2f openpyxl_fast_cpu_s=%.2f openpyxl_fast_rss_mb=%.0f cpu_ratio_fast=%.1f", fs, fc, fk / 1024, fc / kc }')
# Further figures (the mail server's, for one) are appended to LINE here.
echo "bench office: $LINE"
awk -v kc="$k_cpu" -v kk="$k_kb" -v pc="$p_cpu" -v pk="$p_kb" 'BEGIN {
	bad = 0
	if (pc / kc < 5) { print "bench office: GOAL MISSED: kobito is " pc / kc "x as fast as openpyxl (CPU), not 5x" > "/dev/stderr"; bad = 1 }
	if (kk / pk > 0.25) { print "bench office: GOAL MISSED: kobito needs " kk / pk " of openpyxl memory, not 1/4" > "/dev/stderr"; bad = 1 }
	exit bad }'
