#!/bin/sh
# bench/engine.sh - the script engine's speed and memory, beside Python 3.
#
# 1. load and run a generated script of 1,000 steps (set/assert/log);
# 2. a for_each over the 10,000 rows of a CSV file, read a row at a time;
# 3. a 100,000-row CSV transform (read, filter, three fields computed
#    with expressions, write) against the same job in Python 3's csv
#    module, run back to back on this machine;
# 4. 40,000 appends into a list (the for_each step's own duration, from
#    the run's summary) beside Python's list.append.
#
# Wall times are the best of several runs (five; three of each side of
# the transform, in turn): on a shared machine the best is the one least
# disturbed.  Peak RSS comes from GNU time.  Goals: <= 50 ms for
# the 1,000 steps, <= 1 s and <= 16 MB for the 10,000 rows, the transform
# no slower than Python and <= 2x its peak RSS, <= 50 ms for the appends.
# A missed goal fails the benchmark (exit 1) after the line is printed.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
KOBITO=${KOBITO_BIN:-$TOP/bin}/kobito
PYTHON=${PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# 1,000 steps: a third each of set, assert and log.
{
	echo "name: bench_steps"
	echo "steps:"
	echo "  - set: { n: 0 }"
	i=1
	while [ $i -lt 1000 ]; do
		case $((i % 3)) in
		0) echo "  - set: { n: \"\${n + 1}\" }" ;;
		1) echo "  - assert: \${n >= 0}" ;;
		2) echo "  - log: \"step $i n=\${n}\"" ;;
		esac
		i=$((i + 1))
	done
} > "$TMP/steps.yaml"

# 10,000 rows of a CSV with Japanese text, read a row at a time.
awk 'BEGIN {
	print "id,vendor,amount,date"
	for (i = 1; i <= 10000; i++)
		printf "%d,株式会社テスト%d,%d,2024-04-%02d\n", i, i, i * 100, i % 28 + 1
}' > "$TMP/rows.csv"
cat > "$TMP/rows.yaml" <<'YAML'
name: bench_rows
params:
  input: { type: path, required: true }
steps:
  - set: { total: 0 }
  - for_each: { csv: "${params.input}" }
    as: row
    steps:
      - assert: ${row.amount | number > 0}
      - set: { total: "${total + (row.amount | number)}" }
  - assert:
      that: ${total == 5000500000}
      message: "total is ${total}"
YAML

# 100,000 rows to transform: keep those of 1,000 yen or more, and write
# the id as a number, the vendor trimmed in upper case and the amount
# with 10% tax, cut to whole yen.
awk 'BEGIN {
	print "id,vendor,amount,date"
	for (i = 1; i <= 100000; i++)
		printf "%d, 株式会社テスト%d ,%d,2024-04-%02d\n", i, i, (i * 37) % 5000, i % 28 + 1
}' > "$TMP/big.csv"
cat > "$TMP/transform.yaml" <<'YAML'
name: bench_transform
params:
  input: { type: path, required: true }
  output: { type: path, required: true }
steps:
  - id: out
    csv.open: { path: "${params.output}", columns: [id, vendor, amount_tax] }
  - for_each: { csv: "${params.input}" }
    as: r
    steps:
      - csv.write:
          handle: ${steps.out.output.handle}
          rows: ["${ {'id': number(r.id), 'vendor': upper(trim(r.vendor)), 'amount_tax': int(number(r.amount) * 1.1)} }"]
        if: ${number(r.amount) >= 1000}
YAML
cat > "$TMP/transform.py" <<'PY'
import csv, sys
with open(sys.argv[1], newline='', encoding='utf-8') as f, \
        open(sys.argv[2], 'w', newline='', encoding='utf-8') as g:
    w = csv.writer(g, lineterminator='\r\n')
    w.writerow(['id', 'vendor', 'amount_tax'])
    for r in csv.DictReader(f):
        a = int(r['amount'])
        if a >= 1000:
            w.writerow([int(r['id']), r['vendor'].strip().upper(),
                int(a * 1.1)])
PY

# 40,000 appends.
cat > "$TMP/append.yaml" <<'YAML'
name: bench_append
steps:
  - for_each: ${range(40000)}
    items: false
    steps:
      - append: { to: out, value: "${item}" }
  - assert: ${len(out) == 40000 and out[39999] == 39999}
YAML
cat > "$TMP/append.py" <<'PY'
import time
t0 = time.perf_counter()
out = []
for i in range(40000):
    out.append(i)
t1 = time.perf_counter()
assert len(out) == 40000 and out[39999] == 39999
print(round((t1 - t0) * 1000, 1))
PY

# Run a command under GNU time; set ms (wall) and kb (peak RSS).  The
# command's own output is discarded so that printing is not measured.
measure() {
	/usr/bin/time -f "%e %M" -o "$TMP/time" "$@" > "$TMP/out" 2>&1 || {
		echo "bench engine: run failed: $*" >&2
		tail -n 5 "$TMP/out" >&2
		exit 1
	}
	read -r wall kb < "$TMP/time"
	ms=$(awk -v w="$wall" 'BEGIN { printf "%d", w * 1000 }')
}

# min VAR VALUE: keep the least value seen in VAR.
min() {
	eval "cur=\${$1:-}"
	if [ -z "$cur" ] || [ "$2" -lt "$cur" ]; then
		eval "$1=$2"
	fi
}

# The best of five runs of the command, into PREFIX_ms and PREFIX_kb.
best() {
	prefix=$1
	shift
	for n in 1 2 3 4 5; do
		measure "$@"
		min "${prefix}_ms" "$ms"
		min "${prefix}_kb" "$kb"
	done
}

best steps "$KOBITO" run --quiet "$TMP/steps.yaml"
best rows "$KOBITO" run --quiet "$TMP/rows.yaml" --param "input=$TMP/rows.csv"

# The transform, kobito and Python in turn, three times each.
for n in 1 2 3; do
	measure "$KOBITO" run --quiet "$TMP/transform.yaml" \
	    --param "input=$TMP/big.csv" --param "output=$TMP/k.csv"
	min k_ms "$ms"
	min k_kb "$kb"
	measure "$PYTHON" "$TMP/transform.py" "$TMP/big.csv" "$TMP/p.csv"
	min p_ms "$ms"
	min p_kb "$kb"
done
cmp -s "$TMP/k.csv" "$TMP/p.csv" || {
	echo "bench engine: the transform's output differs from Python's" >&2
	diff "$TMP/k.csv" "$TMP/p.csv" | head -n 5 >&2
	exit 1
}
rows_out=$(($(wc -l < "$TMP/k.csv") - 1))

# The appends: the loop step's duration_ms, the best of three.
for n in 1 2 3; do
	"$KOBITO" run --quiet --json "$TMP/append.yaml" > "$TMP/append.json" || {
		echo "bench engine: the appends failed" >&2
		exit 1
	}
	min a_ms "$(jq '.steps[0].duration_ms' < "$TMP/append.json")"
done
pa_ms=$("$PYTHON" "$TMP/append.py")

echo "bench engine: steps=1000 steps_wall_ms=$steps_ms steps_peak_rss_kb=$steps_kb" \
    "rows=10000 rows_wall_ms=$rows_ms rows_peak_rss_kb=$rows_kb" \
    "transform_rows=100000 transform_rows_out=$rows_out transform_wall_ms=$k_ms" \
    "transform_peak_rss_kb=$k_kb python_transform_wall_ms=$p_ms" \
    "python_transform_peak_rss_kb=$p_kb appends=40000 appends_ms=$a_ms" \
    "python_appends_ms=$pa_ms goal_steps_ms=50 goal_rows_ms=1000" \
    "goal_rss_kb=16384 goal_transform_wall=python goal_transform_rss=2x_python" \
    "goal_appends_ms=50"

missed=""
[ "$steps_ms" -le 50 ] || missed="$missed steps_wall_ms=$steps_ms>50"
[ "$rows_ms" -le 1000 ] || missed="$missed rows_wall_ms=$rows_ms>1000"
[ "$rows_kb" -le 16384 ] || missed="$missed rows_peak_rss_kb=$rows_kb>16384"
[ "$k_ms" -le "$p_ms" ] || missed="$missed transform_wall_ms=$k_ms>python's_$p_ms"
[ "$k_kb" -le $((2 * p_kb)) ] || missed="$missed transform_peak_rss_kb=$k_kb>2x_python's_$p_kb"
[ "$a_ms" -le 50 ] || missed="$missed appends_ms=$a_ms>50"
if [ -n "$missed" ]; then
	echo "bench engine: FAILED, goals missed:$missed" >&2
	exit 1
fi
