#!/bin/sh
# bench/scheduler.sh - the scheduler and its agents, end to end, against
# the job queue a Linux shop would reach for: Celery with a Redis broker.
#
# kobito: one kobito-scheduler (SQLite on disk, synchronous=FULL) and
# BENCH_AGENTS local kobito-agent processes of BENCH_SLOTS slots each, all
# talking HTTP on loopback, running a one-step script.
#   - throughput: BENCH_JOBS jobs triggered by BENCH_CLIENTS clients, each
#     sending its next trigger once the last one is acknowledged (each
#     acknowledgement is a durable commit, so one client alone measures
#     the disk's fsync time, not the scheduler); jobs/s = jobs / (last
#     job's final time - first job's creation time), both from the
#     scheduler's database, so every job counted went trigger -> lease ->
#     run -> result stored durably (the agent journals its result first);
#     CPU time per job of the scheduler and of the agents, and the
#     database writes and commits (fsyncs) per job, go to stderr;
#   - latency: with the agents idle and waiting, BENCH_LAT_JOBS jobs
#     triggered 20 ms apart; trigger-to-start = when the agent's engine
#     started the run (its summary's started_at) minus when the trigger
#     was committed, p50 and p99.
# Celery 5 (Debian's python3-celery) with redis-server: two worker
# processes (prefork, concurrency 2), a no-op task; BENCH_CELERY_JOBS
# tasks sent as fast as the producer can, jobs/s until the last one ran;
# once with early acknowledgement (the default: a worker crash loses the
# task) and once with late acknowledgement (acks_late, prefetch 1: a task
# is redelivered if its worker dies - at-least-once, like kobito's leases).
# Celery's packages are installed here when missing (they are not needed
# by `make test`).
#
# BENCH_PEER=0 skips Celery (for quick runs while tuning kobito);
# BENCH_SCHED_ARGS adds options to the scheduler's command line;
# BENCH_CONFINE=1 gives the agents a policy (--config) that confines every
# job to a process of its own in a Landlock sandbox (docs/agent.md);
# BENCH_AGENT_ARGS adds options to the agents' command lines.
#
# Prints one line:
# bench scheduler: kobito_jobs_per_s=... kobito_p50_ms=... kobito_p99_ms=...
#   celery_early_jobs_per_s=... celery_late_jobs_per_s=... ratio_early=...
#   ratio_late=...
# (ratios: kobito's jobs/s over Celery's) and details on stderr.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${KOBITO_BIN:-$TOP/bin}
AGENTS=${BENCH_AGENTS:-2}
SLOTS=${BENCH_SLOTS:-8}
CLIENTS=${BENCH_CLIENTS:-16}
JOBS=${BENCH_JOBS:-10000}
LAT_JOBS=${BENCH_LAT_JOBS:-200}
CELERY_JOBS=${BENCH_CELERY_JOBS:-2000}
CELERY_SECS=${BENCH_CELERY_SECS:-30}
PEER=${BENCH_PEER:-1}
export OMP_THREAD_LIMIT=1
TMP=$(mktemp -d "${TMPDIR:-/var/tmp}/kobito-bench.XXXXXX")
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
note() { echo "bench scheduler: $*" >&2; }
die() { note "$*"; exit 1; }
for t in curl sqlite3 jq; do
	command -v $t >/dev/null || die "$t is required"
done
# wrk (Debian's package) sends the triggers; installed here when missing.
if ! command -v wrk >/dev/null; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	{ $SUDO apt-get install -y -qq --no-install-recommends wrk ||
		{ $SUDO apt-get update -qq &&
		$SUDO apt-get install -y -qq --no-install-recommends wrk; }; } \
		>/dev/null 2>&1 || die "cannot install wrk"
fi
[ -x "$BIN/kobito-scheduler" ] && [ -x "$BIN/kobito-agent" ] ||
	die "build first: $BIN/kobito-scheduler and kobito-agent are missing"

sql() { sqlite3 -readonly -batch -noheader "$TMP/sched.db" "$1"; }
# Wait until a shell condition holds, up to $1 tenths of a second.
wait_until() {
	n=$1; shift
	while [ "$n" -gt 0 ]; do
		if eval "$*"; then return 0; fi
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# --- kobito ---------------------------------------------------------------

mkdir -p "$TMP/scripts"
cat >"$TMP/scripts/noop.yaml" <<'EOF'
name: noop
steps:
  - set: { done: true }
EOF
S="$BIN/kobito-scheduler"
"$S" token create --db "$TMP/sched.db" --role operator --name bench \
	>"$TMP/user.token" 2>/dev/null
i=1
while [ $i -le "$AGENTS" ]; do
	"$S" agent-token create --db "$TMP/sched.db" --name "bench$i" \
		>"$TMP/bench$i.token" 2>/dev/null
	i=$((i + 1))
done
"$S" --db "$TMP/sched.db" --listen 127.0.0.1:0 --port-file "$TMP/port" \
	--scripts "$TMP/scripts" ${BENCH_SCHED_ARGS:-} >"$TMP/scheduler.log" 2>&1 &
SPID=$!
PIDS="$PIDS $!"
wait_until 100 '[ -s "$TMP/port" ]' || die "the scheduler did not start"
URL="http://127.0.0.1:$(cat "$TMP/port")"
TOKEN=$(cat "$TMP/user.token")
i=1
CONFINE=${BENCH_CONFINE:-0}
AGENT_ARGS=${BENCH_AGENT_ARGS:-}
if [ "$CONFINE" = 1 ]; then
	mkdir -p "$TMP/data"
	printf 'policy:\n  programs: []\n  files: [%s]\n  hosts: []\n' \
		"$TMP/data" >"$TMP/agent.yaml"
	AGENT_ARGS="$AGENT_ARGS --config $TMP/agent.yaml"
fi
while [ $i -le "$AGENTS" ]; do
	# shellcheck disable=SC2086
	"$BIN/kobito-agent" --scheduler "$URL" --token-file "$TMP/bench$i.token" \
		--name "bench$i" --spool "$TMP/spool$i" --allow-root --slots "$SLOTS" \
		$AGENT_ARGS >"$TMP/agent$i.log" 2>&1 &
	PIDS="$PIDS $!"
	APIDS="${APIDS:-} $!"
	i=$((i + 1))
done
wait_until 100 '[ "$(sql "SELECT count(*) FROM agents WHERE last_seen IS NOT NULL")" -ge "$AGENTS" ]' ||
	die "the agents did not register"

# A curl config of n POST /api/jobs requests (one connection per curl).
requests() {
	i=0
	while [ "$i" -lt "$1" ]; do
		[ "$i" -gt 0 ] && echo next
		printf 'url = "%s/api/jobs"\nrequest = "POST"\n' "$URL"
		printf 'header = "Authorization: Bearer %s"\n' "$TOKEN"
		printf 'header = "Content-Type: application/json"\n'
		printf 'data = "{\\"script\\": \\"noop\\"}"\n'
		printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
		i=$((i + 1))
	done
}
final_count() {
	sql "SELECT count(*) FROM jobs WHERE state IN ('succeeded','failed','cancelled','timed_out')"
}

# Latency first, with idle agents waiting in their long polls.
requests "$LAT_JOBS" >"$TMP/lat.conf"
curl -s --rate 50/s -K "$TMP/lat.conf" >"$TMP/lat.out"
wait_until 300 '[ "$(final_count)" -ge "$LAT_JOBS" ]' ||
	die "latency jobs did not finish: $(sql "SELECT state, count(*) FROM jobs GROUP BY state")"
lat_ids=$(sql "SELECT max(id) FROM jobs")
# From the trigger's commit to the engine starting the run on the agent
# (the run summary's started_at, on the same clock): the lease, its answer
# to the waiting agent, and the agent getting the script ready.
sql "SELECT CAST(round((julianday(json_extract(r.summary, '$.started_at'))
	- 2440587.5) * 86400000) AS INTEGER) - j.created_at
	FROM jobs j JOIN runs r ON r.job_id = j.id AND r.attempt = 1
	ORDER BY 1" >"$TMP/lat.ms"
[ "$(wc -l <"$TMP/lat.ms")" -eq "$LAT_JOBS" ] ||
	die "latency: $(wc -l <"$TMP/lat.ms") runs with a start time, not $LAT_JOBS"
pct() {
	awk -v q="$1" '{ v[NR] = $1 } END {
		i = int(q * NR); if (i < 1) i = 1; if (i > NR) i = NR
		printf "%d", v[i] }' "$TMP/lat.ms"
}
p50=$(pct 0.50)
p99=$(pct 0.99)

# CPU time (user + system, in clock ticks) of the given processes.
cpu_ticks() {
	for p in "$@"; do
		# Fields 14 and 15 of /proc/PID/stat, after the "(comm)".
		sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }'
	done | awk '{ t += $1 } END { print t + 0 }'
}

# Throughput: two clients trigger as fast as they are acknowledged.
# Database commits (each one fsync) and writes, from /metrics.
store_count() {
	curl -s -H "Authorization: Bearer $TOKEN" "$URL/metrics" |
		awk -v k="kobito_store_$1_total" '$1 == k { print $2 }'
}
commits0=$(store_count commits)
writes0=$(store_count writes)
s_cpu0=$(cpu_ticks $SPID)
a_cpu0=$(cpu_ticks $APIDS)
# wrk keeps CLIENTS connections busy from one thread, each sending its
# next trigger when the last is acknowledged, and stops after JOBS
# answers (a few more may be on their way then: every job the database
# holds is counted).  A curl process per connection would take more of
# the machine than the scheduler does.
cat >"$TMP/trigger.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"script": "noop"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local limit, acked, other = tonumber(os.getenv("BENCH_JOBS_N")), 0, 0
function response(status, headers, body)
	if status == 201 then acked = acked + 1 else other = other + 1 end
	if acked + other == limit then
		io.write(string.format("acked %d other %d\n", acked, other))
		wrk.thread:stop()
	end
end
EOF
# (wrk runs for its duration even once its thread stopped: it is
# interrupted when the jobs are in.)
BENCH_TOKEN=$TOKEN BENCH_JOBS_N=$JOBS wrk -t 1 -c "$CLIENTS" -d 600s \
	-s "$TMP/trigger.lua" "$URL/api/jobs" >"$TMP/wrk.out" 2>&1 &
wpid=$!
wait_until 6000 '[ "$(sql "SELECT count(*) FROM jobs")" -ge $((LAT_JOBS + JOBS)) ] ||
	! kill -0 $wpid 2>/dev/null' || true
kill -INT $wpid 2>/dev/null || true
wait $wpid || true
grep -q "^acked $JOBS other 0" "$TMP/wrk.out" ||
	die "not every trigger was acknowledged: $(cat "$TMP/wrk.out")"
JOBS=$(( $(sql "SELECT count(*) FROM jobs") - LAT_JOBS ))
total=$((LAT_JOBS + JOBS))
wait_until 1200 '[ "$(final_count)" -ge "$total" ]' ||
	die "jobs did not finish: $(sql "SELECT state, count(*) FROM jobs GROUP BY state")"
bad=$(sql "SELECT count(*) FROM jobs WHERE state <> 'succeeded'")
[ "$bad" -eq 0 ] || die "$bad jobs did not succeed"
span=$(sql "SELECT max(final_at) - min(created_at) FROM jobs WHERE id > $lat_ids")
kobito_rate=$(awk -v n="$JOBS" -v ms="$span" 'BEGIN { printf "%.0f", n * 1000 / ms }')
hz=$(getconf CLK_TCK)
per_job() { awk -v t="$1" -v hz="$hz" -v n="$JOBS" 'BEGIN { printf "%.2f", t * 1000 / hz / n }'; }
s_ms=$(per_job $(( $(cpu_ticks $SPID) - s_cpu0 )))
a_ms=$(per_job $(( $(cpu_ticks $APIDS) - a_cpu0 )))
commits=$(awk -v a="$(store_count commits)" -v b="$commits0" -v n="$JOBS" 'BEGIN { printf "%.2f", (a - b) / n }')
writes=$(awk -v a="$(store_count writes)" -v b="$writes0" -v n="$JOBS" 'BEGIN { printf "%.2f", (a - b) / n }')
note "kobito: $AGENTS agents x $SLOTS slots, $CLIENTS clients, $JOBS jobs in $span ms; latency over $LAT_JOBS jobs p50 ${p50} ms p99 ${p99} ms"
per_call=$(sql "SELECT printf('%.1f jobs per lease call, %.1f results per results call',
	(SELECT avg(coalesce(json_array_length(detail, '\$.jobs'), 1)) FROM audit WHERE path = '/api/agents/lease' AND status = 200),
	(SELECT avg(json_array_length(detail, '\$.results')) FROM audit WHERE path = '/api/results' AND status = 200))")
note "kobito: $per_call"
note "kobito: CPU per job: scheduler $s_ms ms, agents $a_ms ms; database writes per job $writes in $commits commits"
for p in $PIDS; do kill "$p" 2>/dev/null || true; done
for p in $PIDS; do wait "$p" 2>/dev/null || true; done
PIDS=""

if [ "$PEER" = 0 ]; then
	echo "bench scheduler: kobito_jobs_per_s=$kobito_rate kobito_p50_ms=$p50 kobito_p99_ms=$p99 agents=$AGENTS slots=$SLOTS clients=$CLIENTS jobs=$JOBS confined=$CONFINE goal_jobs_per_s=1500 goal_p99_ms=20 (peer not run: BENCH_PEER=0)"
	exit 0
fi

# --- Celery with Redis ---------------------------------------------------

PY=/usr/bin/python3
celery_ok() {
	command -v redis-server >/dev/null && [ -x $PY ] &&
		$PY -c 'import celery, redis' 2>/dev/null
}
if ! celery_ok; then
	note "installing python3-celery, python3-redis and redis-server"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq >/dev/null 2>&1 || true
	$SUDO apt-get install -y -qq --no-install-recommends python3-celery \
		python3-redis redis-server >"$TMP/apt.log" 2>&1 ||
		die "cannot install Celery: $(tail -n 3 "$TMP/apt.log")"
fi
mkdir -p "$TMP/celery"
cat >"$TMP/celery/bench_celery.py" <<'EOF'
# The peer: a no-op Celery task counted in Redis.
import os, sys, time
from celery import Celery
import redis

PORT = int(os.environ["BENCH_REDIS_PORT"])
app = Celery("bench_celery", broker="redis://127.0.0.1:%d/0" % PORT)
app.conf.update(task_ignore_result=True, worker_hijack_root_logger=False,
                broker_connection_retry_on_startup=True)
if os.environ.get("BENCH_ACK") == "late":
    app.conf.update(task_acks_late=True, worker_prefetch_multiplier=1)
r = redis.Redis(port=PORT)


@app.task(name="noop")
def noop():
    r.incr("bench:done")


def main(n, limit):
    r.delete("bench:done")
    t0 = time.time()
    for _ in range(n):
        noop.apply_async()
    while int(r.get("bench:done") or 0) < n and time.time() - t0 < limit:
        time.sleep(0.002)
    done = int(r.get("bench:done") or 0)
    print("%d %.3f" % (done, time.time() - t0))


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
EOF
rport=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
	>"$TMP/redis.log" 2>&1 &
PIDS="$PIDS $!"
wait_until 50 'redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG' ||
	die "redis-server did not start"
export BENCH_REDIS_PORT=$rport
celery_run() {
	(cd "$TMP/celery" && BENCH_ACK=$1 exec $PY -m celery -A bench_celery \
		worker -c 2 -P prefork -l warning --without-heartbeat \
		--without-gossip --without-mingle) >"$TMP/worker-$1.log" 2>&1 &
	w=$!
	wait_until 100 'grep -q "ready" "$TMP/worker-$1.log" 2>/dev/null || 
		redis-cli -p "$rport" client list 2>/dev/null | grep -q "cmd=brpop"' || true
	sleep 1
	set -- $(cd "$TMP/celery" && BENCH_ACK=$1 $PY bench_celery.py \
		"$CELERY_JOBS" "$CELERY_SECS")
	kill $w 2>/dev/null || true
	wait $w 2>/dev/null || true
	redis-cli -p "$rport" flushall >/dev/null
	awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f %d %.1f", n / s, n, s }'
}
set -- $(celery_run early)
early=$1
note "celery early ack: $2 tasks in $3 s"
set -- $(celery_run late)
late=$1
note "celery late ack: $2 tasks in $3 s (stopped after ${CELERY_SECS} s)"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
echo "bench scheduler: kobito_jobs_per_s=$kobito_rate kobito_p50_ms=$p50 kobito_p99_ms=$p99 celery_early_jobs_per_s=$early celery_late_jobs_per_s=$late ratio_early=$(ratio "$kobito_rate" "$early") ratio_late=$(ratio "$kobito_rate" "$late") agents=$AGENTS slots=$SLOTS clients=$CLIENTS jobs=$JOBS goal_jobs_per_s=1500 goal_p99_ms=20"
