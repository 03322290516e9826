#!/bin/sh
# service_notify.sh - what the daemons tell systemd, through a notify
# socket of the test's own (as systemd gives a Type=notify service):
# READY=1 once the scheduler listens; WATCHDOG=1 while its ticker's writes
# go through, none while the database is locked by someone else (a stuck
# scheduler is restarted), and again once it is free; the agent ready and
# pinging also while its scheduler is down (a scheduler that is down must
# not get its agents restarted).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/agent.inc"
command -v python3 >/dev/null || skip "python3 is not installed"

# listen SOCKET LOG: every datagram as a line "SECONDS MESSAGE".
listen() {
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
t0 = time.monotonic()
with open(sys.argv[2], "a") as f:
    while True:
        m = s.recv(4096).decode().replace("\n", " ")
        f.write("%.2f %s\n" % (time.monotonic() - t0, m))
        f.flush()
' "$1" "$2" &
	at_exit "kill $! 2>/dev/null"
	wait_for 50 test -S "$1" || fail "the notify socket did not appear"
}
count() { grep -c "$1" "$2" || true; }
# The number of WATCHDOG=1 lines in LOG after the first N lines.
pings_after() { tail -n +"$(($2 + 1))" "$1" | grep -c 'WATCHDOG=1' || true; }

listen "$T/sched.sock" "$T/sched.notify"
# The watchdog times out after 2 s: the scheduler pings every 0.5 s.
NOTIFY_SOCKET="$T/sched.sock" WATCHDOG_USEC=2000000 start_scheduler
wait_for 50 grep -q 'READY=1' "$T/sched.notify" || fail "no READY=1"
grep 'READY=1' "$T/sched.notify" | grep -q 'STATUS=listening on' ||
	fail "READY=1 without its status: $(cat "$T/sched.notify")"
echo "ok: the scheduler says READY=1 once it listens"
wait_for 50 sh -c "[ \$(grep -c WATCHDOG=1 '$T/sched.notify') -ge 3 ]" ||
	fail "no watchdog pings: $(cat "$T/sched.notify")"
echo "ok: the scheduler pings the watchdog"

# Another process takes the database's write lock for 4 s: the ticker's
# write waits, and so do the pings.
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(4)
c.execute("ROLLBACK")
' "$T/sched.db" "$T/locked" &
locker=$!
wait_for 50 test -e "$T/locked" || fail "the lock was not taken"
sleep 0.6	# a ping under way when the lock was taken may still come
n=$(wc -l <"$T/sched.notify")
sleep 2.5
stuck=$(pings_after "$T/sched.notify" "$n")
[ "$stuck" -eq 0 ] ||
	fail "$stuck watchdog pings while the database was locked"
echo "ok: no watchdog ping for 2.5 s while the ticker's write was blocked"
wait "$locker"
n=$(wc -l <"$T/sched.notify")
wait_for 50 sh -c "[ \$(tail -n +$((n + 1)) '$T/sched.notify' | grep -c WATCHDOG=1) -ge 2 ]" ||
	fail "the pings did not come back after the lock"
echo "ok: the pings come back once the database is free"
stop_scheduler
grep -q 'STOPPING=1' "$T/sched.notify" || fail "no STOPPING=1"
echo "ok: STOPPING=1 at the stop"

# The agent: ready, and pinging while its scheduler is away.
start_scheduler
make_token agent a1 >"$T/a1.token"
listen "$T/agent.sock" "$T/agent.notify"
NOTIFY_SOCKET="$T/agent.sock" WATCHDOG_USEC=3000000 start_agent a1
wait_for 100 grep -q 'READY=1' "$T/agent.notify" || fail "the agent said no READY=1"
wait_for 100 grep -q "STATUS=registered as 'a1'" "$T/agent.notify" ||
	fail "the agent did not report its registration: $(cat "$T/agent.notify")"
echo "ok: the agent says READY=1, then that it registered"
stop_scheduler
n=$(wc -l <"$T/agent.notify")
# Long enough for its retries to back off past the watchdog's 3 s.
sleep 8
down=$(pings_after "$T/agent.notify" "$n")
[ "$down" -ge 5 ] || fail "the agent pinged $down times in 8 s without its scheduler"
gap=$(tail -n +"$((n + 1))" "$T/agent.notify" | awk '/WATCHDOG=1/ {
	if (last != "" && $1 - last > max) max = $1 - last; last = $1 }
	END { printf "%.1f", max }')
awk "BEGIN { exit !($gap < 3) }" ||
	fail "the agent left $gap s between pings, beyond its 3 s watchdog"
echo "ok: the agent keeps pinging ($down in 8 s, at most $gap s apart) while the scheduler is down"
stop_agent a1
grep -q 'STOPPING=1' "$T/agent.notify" || fail "the agent said no STOPPING=1"
echo "ok: the agent says STOPPING=1"
