#!/bin/sh
# cron_cli.sh - `kobito cron next` and `kobito cron holidays` as a script
# author uses them before deploying a schedule.
. "$(dirname "$0")/lib.sh"

out=$("$KOBITO" cron next "30 2 * * *" --tz America/New_York \
	--from 2026-03-07T12:00:00-05:00 --count 3)
check "daily 02:30 across the spring-forward gap" \
"2026-03-08T03:00:00-04:00
2026-03-09T02:30:00-04:00
2026-03-10T02:30:00-04:00" "$out"

out=$("$KOBITO" cron next "0 9 * * *" --tz Asia/Tokyo \
	--from 2026-12-28T10:00:00+09:00 --count 2 --calendar jp-gov)
check "working days only: closure 29 Dec - 3 Jan, then a Monday" \
"2027-01-04T09:00:00+09:00
2027-01-05T09:00:00+09:00" "$out"

out=$("$KOBITO" cron holidays 2026 | grep 2026-09-22)
case "$out" in *国民の休日*) echo "ok: citizens' holiday 2026-09-22" ;;
*) fail "2026-09-22 should be 国民の休日: $out" ;; esac

"$KOBITO" cron next "61 * * * *" > /dev/null 2> "$T/err"
check "a bad expression exits 1" 1 $?
grep -q "minute field: 61 is out of range 0-59" "$T/err" || fail "$(cat "$T/err")"
"$KOBITO" cron next "0 * * * *" --tz Mars/Olympus > /dev/null 2> "$T/err"
check "an unknown zone exits 1" 1 $?
"$KOBITO" cron next > /dev/null 2>&1
check "usage error exits 2" 2 $?
