#!/bin/sh
# bench/engine.sh - the script engine's speed and memory.
#
# 1. load and run a generated script of 1,000 steps (set/assert/log);
# 2. a for_each over 10,000 CSV rows.
# Prints wall time and peak RSS of each, measured by GNU time around one
# `kobito run`.  Goals: <= 50 ms for the 1,000 steps, <= 1 s for the
# 10,000 rows, peak RSS <= 16 MB.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
KOBITO=${KOBITO_BIN:-$TOP/bin}/kobito
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

# 10,000 rows of a CSV with Japanese text.
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
  - id: rows
    csv.read: { path: "${params.input}" }
  - set: { total: 0 }
  - for_each: ${steps.rows.output.rows}
    as: row
    steps:
      - assert: ${row.amount | number > 0}
      - set: { total: "${total + (row.amount | number)}" }
  - assert:
      that: ${total == 5000500000}
      message: "total is ${total}"
YAML

measure() {
	# GNU time writes "wall peak_kb" to a file; the run's own output is
	# discarded so that printing is not what is measured.
	/usr/bin/time -f "%e %M" -o "$TMP/time" "$@" > "$TMP/out" 2>&1 || {
		echo "bench engine: run failed:" >&2
		tail -n 5 "$TMP/out" >&2
		exit 1
	}
	read -r wall rss < "$TMP/time"
	ms=$(awk -v w="$wall" 'BEGIN { printf "%d", w * 1000 }')
	echo "$ms $rss"
}

set -- $(measure "$KOBITO" run --quiet "$TMP/steps.yaml")
steps_ms=$1 steps_kb=$2
set -- $(measure "$KOBITO" run --quiet "$TMP/rows.yaml" --param "input=$TMP/rows.csv")
rows_ms=$1 rows_kb=$2
echo "bench engine: steps=1000 steps_wall_ms=$steps_ms steps_peak_rss_kb=$steps_kb rows=10000 rows_wall_ms=$rows_ms rows_peak_rss_kb=$rows_kb goal_steps_ms=50 goal_rows_ms=1000 goal_rss_kb=16384"
