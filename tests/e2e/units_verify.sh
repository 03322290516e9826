#!/bin/sh
# units_verify.sh - the systemd units of the packages pass systemd-analyze
# verify (keys, sections, ExecStart programs, the man pages of
# Documentation=) without a word of warning, and say what the sandbox
# and the service contract need: Type=notify, a watchdog, a restart on
# failure, ProtectSystem=strict, PrivateTmp, NoNewPrivileges, writable
# paths only where the data lives.
. "$(dirname "$0")/lib.sh"
command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
D="$KOBITO_TOP/debian"

# The units as installed would run /usr/bin/...: here, this build.
mkdir -p "$T/units" "$T/run"
for u in kobito-scheduler kobito-agent; do
	sed "s#/usr/bin/#$KOBITO_BIN/#" "$D/$u.service" >"$T/units/$u.service"
done
sed "s#/usr/bin/#$KOBITO_BIN/#" "$D/kobito-agent.user.service" \
	>"$T/units/kobito-agent-session.service"
# Documentation=man:... is checked against the pages of this build.
sh "$KOBITO_TOP/tools/mkman.sh" "$KOBITO_BIN" "$T/gen" || fail "mkman.sh"
for p in "$T"/gen/*; do
	n=$(basename "$p")
	mkdir -p "$T/man/man${n##*.}"
	cp "$p" "$T/man/man${n##*.}/"
done

verify() {
	out=$(cd "$T/units" && MANPATH="$T/man" XDG_RUNTIME_DIR="$T/run" \
		systemd-analyze "$@" 2>&1) || fail "systemd-analyze $*: $out"
	[ -z "$out" ] || fail "systemd-analyze $*: $out"
	echo "ok: systemd-analyze $* is silent"
}
for u in kobito-scheduler-backup.service kobito-scheduler-backup.timer; do
	sed "s#/usr/bin/#$KOBITO_BIN/#" "$D/units/$u" >"$T/units/$u"
done
verify verify ./kobito-scheduler.service ./kobito-agent.service \
	./kobito-scheduler-backup.service ./kobito-scheduler-backup.timer
verify --user verify ./kobito-agent-session.service

# A unit with a mistake is not silent (the check can fail).
printf '[Service]\nType=notify\nExecStart=%s\nWatchdogSecs=30\n' \
	"$KOBITO_BIN/kobito-scheduler" >"$T/units/bad.service"
if out=$(cd "$T/units" && systemd-analyze verify ./bad.service 2>&1) &&
    [ -z "$out" ]; then
	fail "a misspelt key passed systemd-analyze verify"
fi
echo "ok: a misspelt key is reported"

# want UNIT KEY=VALUE: the unit says it.
want() {
	grep -qx "$2" "$D/$1" || fail "$1 lacks $2"
}
for u in kobito-scheduler.service kobito-agent.service; do
	for kv in Type=notify Restart=on-failure ProtectSystem=strict \
	    PrivateTmp=yes NoNewPrivileges=yes ProtectHome=yes; do
		want "$u" "$kv"
	done
	grep -q '^WatchdogSec=[0-9]' "$D/$u" || fail "$u has no WatchdogSec"
	# Writable: the state directory alone.
	rw=$(sed -n 's/^ReadWritePaths=//p' "$D/$u")
	case $u in
	kobito-scheduler.service) check "$u writes only" /var/lib/kobito "$rw" ;;
	kobito-agent.service) check "$u writes only" /var/lib/kobito-agent "$rw" ;;
	esac
done
want kobito-scheduler.service User=kobito
want kobito-agent.service User=kobito-agent
want kobito-agent.service KillMode=mixed
want units/kobito-scheduler-backup.timer Persistent=true
grep -q '^OnCalendar=' "$D/units/kobito-scheduler-backup.timer" || fail "the backup timer has no OnCalendar"
grep -q "^ExecStart=.*kobito-scheduler backup .*--keep [0-9]" "$D/units/kobito-scheduler-backup.service" ||
	fail "the backup service keeps no number of backups"
echo "ok: both units are sandboxed, notify systemd and have a watchdog"
