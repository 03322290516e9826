#!/bin/sh
# sched_slowloris.sh - 1,100 connections from one address that never
# finish a request (a byte a second, so an idle timeout never ends
# them), over the usual limit of 1,024 open files: the scheduler keeps
# at most its per-address share of them, closes those whose headers do
# not come within the header timeout, still answers a legitimate client
# at once, and does not flood its log.  (It used to stop answering, and
# at the file limit to write hundreds of MB of log a minute.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

SLOW="$FIXTURES/slowclient"
[ -x "$SLOW" ] || fail "$SLOW is not built"
cat >"$T/config.yaml" <<'EOF'
limits:
  connections_per_address: 32
  header_timeout_ms: 2000
EOF
# The scheduler under the usual limit of 1,024 open files, hard as well
# (so it cannot raise it): it caps connections below what it has.  The
# attacker is not limited.
cat >"$T/sched-1024" <<EOF
#!/bin/sh
ulimit -n 1024 && exec "$SCHED" "\$@"
EOF
chmod +x "$T/sched-1024"
real_sched=$SCHED
SCHED="$T/sched-1024"
start_scheduler --config "$T/config.yaml" --threads 4
SCHED=$real_sched
n=$(sed -n 's/^Max open files  *\([0-9]*\) .*/\1/p' "/proc/$SCHED_PID/limits")
check "the scheduler's open-file limit" 1024 "$n"
VIEWER=$(make_token viewer vera)
port=$(cat "$T/port")

"$SLOW" --host 127.0.0.1 --port "$port" --from 127.0.0.2 --count 1100 \
	--seconds 30 >"$T/slow.out" 2>&1 &
slow_pid=$!
at_exit "kill $slow_pid 2>/dev/null"
wait_for 100 grep -q '^started' "$T/slow.out" || fail "slowclient: $(cat "$T/slow.out")"
started=$(sed -n 's/^started //p' "$T/slow.out")
[ "$started" -ge 1000 ] || fail "only $started connections made"
echo "ok: $started connections opened from 127.0.0.2"

# A legitimate client on another address is served at once.
for i in 1 2 3; do
	out=$(curl -s -o /dev/null --max-time 10 -w '%{http_code} %{time_total}' \
		-H "Authorization: Bearer $VIEWER" "$SCHED_URL/api/whoami")
	code=${out% *}
	secs=${out#* }
	check "a legitimate request during the attack ($i)" 200 "$code"
	awk -v s="$secs" 'BEGIN { exit !(s < 2) }' ||
		fail "it took $secs s"
done
echo "ok: answered in $secs s"

# Of the attacker's connections, the scheduler keeps its share at most...
alive() { tail -n 1 "$T/slow.out" | sed -n 's/^alive \([0-9]*\) .*/\1/p'; }
sleep 1
a=$(alive)
[ -n "$a" ] && [ "$a" -le 32 ] || fail "$a connections kept from one address"
echo "ok: $a connections kept from one address"
# ...and closes those within the header timeout, byte a second or not.
none_alive() { [ "$(alive)" = 0 ]; }
wait_for 60 none_alive || fail "slow connections still open: $(tail -n 1 "$T/slow.out")"
echo "ok: connections without headers in 2 s are closed"
m=$(curl -s -H "Authorization: Bearer $VIEWER" "$SCHED_URL/metrics")
t=$(printf '%s\n' "$m" | sed -n 's/^kobito_http_header_timeouts_total //p')
[ "$t" -ge 1 ] || fail "header timeouts not counted: '$t'"

kill "$slow_pid" 2>/dev/null
wait "$slow_pid" 2>/dev/null
size=$(wc -c <"$T/scheduler.log")
[ "$size" -lt 20000 ] || { tail -n 5 "$T/scheduler.log"; fail "the log grew to $size bytes"; }
echo "ok: the log stayed small ($size bytes)"
stop_scheduler
