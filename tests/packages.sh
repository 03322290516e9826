#!/bin/sh
# packages.sh - the Debian packages in a clean Debian 12: installed into a
# root of their own, their services started by systemd, a script run end
# to end through the scheduler and an agent, and everything removed again.
#
#   sh tests/packages.sh        (make test-packages builds deb/ first)
#
# KOBITO_PKG_CHROOT=1 takes the chroot way even where a container boots.
#
# The root is Debian 12 "minbase" with the packages' dependencies, made
# with mmdebstrap from Debian's archive once and kept as a tarball in
# KOBITO_PKG_CACHE (default /var/cache/kobito-test, else ~/.cache/kobito):
# the first run takes a minute or two more.  The root is booted with
# systemd-nspawn, so that systemd itself starts the units (sandbox,
# Type=notify, watchdog, restart on failure); where a container cannot
# boot, the units' ExecStart lines are run in a chroot as their users,
# and the test says so.  Needs root (CI runs as root).
: "${KOBITO_TOP:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$KOBITO_TOP/tests/e2e/lib.sh"
DEBS="$KOBITO_TOP/deb"
ls "$DEBS"/kobito_*.deb >/dev/null 2>&1 || fail "no packages in deb/: make deb"
command -v mmdebstrap >/dev/null || fail "mmdebstrap is not installed: make deps"
# Making the root and entering it mount /proc, /sys and /dev in it: root,
# and a container allowed to mount (CAP_SYS_ADMIN), or nothing can run.
[ "$(id -u)" = 0 ] || skip "installing into a root needs root"
unshare -m true 2>/dev/null ||
	skip "this container may not mount file systems (no CAP_SYS_ADMIN): the packages cannot be installed into a root here"

# --- the root ----------------------------------------------------------------

# The packages' dependencies (first of each alternative; not kobito's own
# packages, which come from deb/), systemd to boot, sqlite3 to look into the
# database.
deps=$(for d in "$DEBS"/kobito_*.deb "$DEBS"/kobito-agent_*.deb \
    "$DEBS"/kobito-scheduler_*.deb; do dpkg-deb -f "$d" Depends; done |
	tr ',' '\n' | sed 's/([^)]*)//g; s/|.*//; s/ //g' |
	grep -v -e '^$' -e '^kobito' | sort -u | tr '\n' ',')
include="${deps}systemd,systemd-sysv,dbus,sqlite3"
CACHE=${KOBITO_PKG_CACHE:-/var/cache/kobito-test}
mkdir -p "$CACHE" 2>/dev/null && [ -w "$CACHE" ] || CACHE="$HOME/.cache/kobito"
mkdir -p "$CACHE"
key=$(printf '%s' "$include" | sha256sum | cut -c1-16)
base="$CACHE/bookworm-$key.tar"
if [ ! -s "$base" ]; then
	echo "making the Debian 12 root (once; kept in $base)"
	# Only deb.debian.org (mmdebstrap's default adds security.debian.org),
	# through the host's proxy, with the host's view of the archive's
	# dates; the host's downloaded packages are used where they match.
	set --
	for o in Acquire::http::Proxy Acquire::Check-Valid-Until Acquire::Check-Date; do
		v=$(apt-config dump --no-empty "$o" | sed -n "s|^$o \"\(.*\)\";\$|\1|p")
		[ -z "$v" ] || set -- "$@" --aptopt="$o \"$v\""
	done
	mmdebstrap --variant=minbase --mode=root --include="$include" "$@" \
		--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
		--setup-hook='sync-in /var/cache/apt/archives/ /var/cache/apt/archives/' \
		--customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
		bookworm "$base.part.tar" \
		"deb http://deb.debian.org/debian bookworm main" \
		"deb http://deb.debian.org/debian bookworm-updates main" \
		"deb http://deb.debian.org/debian-security bookworm-security main" \
		</dev/null >"$T/mmdebstrap.log" 2>&1 || {
		tail -n 20 "$T/mmdebstrap.log" >&2
		rm -rf "$base.part.tar"
		fail "mmdebstrap could not make the root"
	}
	mv "$base.part.tar" "$base"
fi
R="$T/root"
mkdir -p "$R"
tar -C "$R" -xf "$base" || fail "cannot unpack $base"
mkdir -p "$R/debs"
cp "$DEBS"/kobito_*.deb "$DEBS"/kobito-agent_*.deb \
	"$DEBS"/kobito-scheduler_*.deb "$R/debs/"
echo "ok: a clean Debian 12 root ($(du -sm "$R" | cut -f1) MB)"

# --- booting it ----------------------------------------------------------------

MODE=chroot
CPID=""
# Boot with systemd-nspawn in a mount namespace of its own (its
# propagation directory must be a tmpfs); the container shares the host's
# network, so the host's curl reaches its services.
if command -v systemd-nspawn >/dev/null && [ -z "${KOBITO_PKG_CHROOT:-}" ]; then
	mkdir -p /run/systemd/nspawn
	unshare -m --propagation private sh -c '
		mount -t tmpfs tmpfs /run/systemd/nspawn &&
		exec systemd-nspawn -q -D "$1" --register=no --keep-unit \
			--boot --console=pipe' sh "$R" </dev/null >"$T/nspawn.log" 2>&1 &
	NSPAWN=$!
	at_exit "kill $NSPAWN 2>/dev/null; wait $NSPAWN 2>/dev/null"
	# The container's PID 1: systemd, child of systemd-nspawn.
	container_init() {
		_n=$(pgrep -P "$NSPAWN" -x systemd-nspawn || echo "$NSPAWN")
		pgrep -P "$_n" systemd | head -n 1
	}
	# A container that cannot boot gives up at once: no need to wait.
	booted_or_gone() { booted || ! kill -0 "$NSPAWN"; }
	booted() {
		CPID=$(container_init) && [ -n "$CPID" ] &&
			nsenter -t "$CPID" -a systemctl is-system-running 2>/dev/null |
			grep -qE 'running|degraded'
	}
	if wait_for 600 booted_or_gone && booted; then
		MODE=systemd
	else
		echo "note: systemd-nspawn could not boot the root ($(tail -n 3 "$T/nspawn.log" | tr '\n' ' '))"
		kill "$NSPAWN" 2>/dev/null
		wait "$NSPAWN" 2>/dev/null
	fi
fi
if [ "$MODE" = chroot ]; then
	for m in proc sys dev; do
		mount --bind "/$m" "$R/$m" || fail "cannot mount /$m"
		at_exit "umount -l '$R/$m' 2>/dev/null"
	done
	echo "note: no container could boot here: the units' ExecStart lines run in a chroot"
else
	echo "ok: the root booted with systemd (PID $CPID)"
fi

# inroot CMD...: run in the root, as root.
inroot() {
	if [ "$MODE" = systemd ]; then
		nsenter -t "$CPID" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			LANG=C.UTF-8 "$@"
	else
		chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			LANG=C.UTF-8 "$@"
	fi
}

# svc_start UNIT: systemctl start, or the unit's ExecStart as its User.
svc_start() {
	if [ "$MODE" = systemd ]; then
		inroot systemctl start "$1" || {
			inroot journalctl -u "$1" --no-pager | tail -n 30 >&2
			fail "systemctl start $1 failed"
		}
		return
	fi
	_u=$(sed -n 's/^User=//p' "$R/lib/systemd/system/$1.service")
	_x=$(sed -n 's/^ExecStart=//p' "$R/lib/systemd/system/$1.service")
	_w=$(sed -n 's/^WorkingDirectory=//p' "$R/lib/systemd/system/$1.service")
	for _d in $(sed -n 's/^StateDirectory=//p' "$R/lib/systemd/system/$1.service"); do
		inroot install -d -o "$_u" -g "$_u" -m 750 "/var/lib/$_d"
	done
	# shellcheck disable=SC2086
	chroot --userspec="$_u:$_u" "$R" env -i -C "${_w:-/}" PATH=/usr/bin:/bin \
		HOME="/var/lib/$_u" $_x >>"$T/$1.log" 2>&1 &
	eval "SVC_$(echo "$1" | tr - _)=$!"
	at_exit "kill $! 2>/dev/null"
}

svc_stop() {
	if [ "$MODE" = systemd ]; then
		inroot systemctl stop "$1"
	else
		eval "kill \$SVC_$(echo "$1" | tr - _)"
	fi
}

# --- installing ------------------------------------------------------------------

inroot sh -c 'dpkg -i /debs/*.deb' >"$T/install.log" 2>&1 || {
	tail -n 30 "$T/install.log" >&2
	fail "dpkg -i failed"
}
for f in /usr/bin/kobito /usr/bin/kobito-agent /usr/bin/kobito-scheduler \
    /etc/kobito/scheduler.yaml /etc/kobito/agent.yaml /etc/kobito/kpi.yaml \
    /usr/share/man/man8/kobito-scheduler.8.gz /usr/share/man/man5/kobito-script.5.gz \
    /lib/systemd/system/kobito-scheduler.service; do
	[ -e "$R$f" ] || fail "the packages did not install $f"
done
inroot getent passwd kobito >/dev/null || fail "no user kobito"
inroot getent passwd kobito-agent >/dev/null || fail "no user kobito-agent"
check "/var/lib/kobito belongs to kobito" "kobito 750" \
	"$(inroot stat -c '%U %a' /var/lib/kobito)"
if [ "$MODE" = systemd ]; then
	check "the scheduler waits for init" inactive \
		"$(inroot systemctl is-active kobito-scheduler || true)"
	check "the scheduler is enabled" enabled \
		"$(inroot systemctl is-enabled kobito-scheduler)"
fi
echo "ok: installed: programs, configuration, man pages, users, units"

# --- first start -------------------------------------------------------------------

# A port the kernel chooses, written where the test can read it.
sed -i 's/^listen: .*/listen: 127.0.0.1:0\nport_file: \/var\/lib\/kobito\/port/' \
	"$R/etc/kobito/scheduler.yaml"
printf 'a packaged admin password\n' | inroot runuser -u kobito -- \
	kobito-scheduler init --password-stdin >"$T/init.out" 2>&1 ||
	fail "init: $(cat "$T/init.out")"
grep -q "created the database /var/lib/kobito/kobito.db" "$T/init.out" ||
	fail "init said: $(cat "$T/init.out")"
svc_start kobito-scheduler
wait_for 100 test -s "$R/var/lib/kobito/port" || fail "the scheduler did not listen"
URL="http://127.0.0.1:$(cat "$R/var/lib/kobito/port")"
wait_for 100 curl -sf "$URL/health" || fail "no answer from $URL/health"
echo "ok: init, then the scheduler runs ($MODE) at $URL"

ADMIN=$(inroot runuser -u kobito -- kobito-scheduler token create --role admin \
	--name pkg-test 2>/dev/null)
inroot sh -c 'runuser -u kobito -- kobito-scheduler agent-token create --name pkg-agent \
	>/etc/kobito/agent.token 2>/dev/null &&
	chown kobito-agent:kobito-agent /etc/kobito/agent.token &&
	chmod 600 /etc/kobito/agent.token' || fail "agent token"
sed -i "s|^scheduler: .*|scheduler: $URL|; s|^# name: .*|name: pkg-agent|" \
	"$R/etc/kobito/agent.yaml"
# The jobs' working directories are kept, to look at what they wrote.
printf 'work_dirs: { keep: always }\n' >>"$R/etc/kobito/agent.yaml"
svc_start kobito-agent
agent_online() {
	curl -s -H "Authorization: Bearer $ADMIN" "$URL/api/agents" |
		jq -e '.agents[] | select(.name == "pkg-agent" and .online)' >/dev/null
}
wait_for 200 agent_online || fail "the agent did not come online"
echo "ok: the agent registered as pkg-agent"

# --- a script end to end --------------------------------------------------------------

cat >"$T/hello.yaml" <<'EOF'
name: packaged_hello
kpi: { manual_minutes_per_run: 2, manual_minutes_per_item: 1 }
params:
  n: { type: int, default: 3 }
steps:
  - id: made
    set: { numbers: [1, 2, 3] }
  - for_each: ${numbers}
    as: x
    steps:
      - file.write: { path: "out-${x}.txt", content: "item ${x}" }
      - log: "wrote item ${x} of ${params.n}"
EOF
code=$(curl -s -o "$T/put" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
	-H 'Content-Type: application/json' \
	--data-binary "$(jq -n --rawfile s "$T/hello.yaml" '{source: $s}')" "$URL/api/scripts")
case $code in 200|201) ;; *) fail "POST /api/scripts: $code $(cat "$T/put")" ;; esac
# The packaged command, in the root, waits for the job.
printf '%s\n' "$ADMIN" >"$R/root/admin.token"
inroot env KOBITO_SCHEDULER="$URL" kobito trigger packaged_hello \
	--token-file /root/admin.token --wait --json >"$T/trigger.out" 2>"$T/trigger.err" ||
	fail "kobito trigger: $(cat "$T/trigger.out" "$T/trigger.err")"
job=$(jq -r .id "$T/trigger.out")
state=$(curl -s -H "Authorization: Bearer $ADMIN" "$URL/api/jobs/$job" | jq -r .state)
check "the job succeeded" succeeded "$state"
run=$(curl -s -H "Authorization: Bearer $ADMIN" "$URL/api/jobs/$job" | jq -r .run_id)
curl -s -H "Authorization: Bearer $ADMIN" "$URL/api/runs/$run" >"$T/run.json"
check "three items" 3 "$(jq .items.succeeded "$T/run.json")"
check "one ledger row, 5 minutes saved" "1|5.0" \
	"$(inroot sqlite3 /var/lib/kobito/kobito.db "SELECT count(*), sum(minutes_saved) FROM kpi_ledger WHERE run_id = $run")"
check "its files, in the job's working directory" "item 3" \
	"$(cat "$R/var/lib/kobito-agent/spool/work/job-$job.a1/out-3.txt")"
echo "ok: a script ran end to end on the packaged agent"

# --- the daily backup ----------------------------------------------------------------------

if [ "$MODE" = systemd ]; then
	check "the backup timer is on" active \
		"$(inroot systemctl is-active kobito-scheduler-backup.timer)"
	inroot systemctl start kobito-scheduler-backup.service || {
		inroot journalctl -u kobito-scheduler-backup --no-pager | tail -n 20 >&2
		fail "the backup service failed"
	}
else
	x=$(sed -n 's/^ExecStart=//p' "$R/lib/systemd/system/kobito-scheduler-backup.service")
	# shellcheck disable=SC2086
	chroot --userspec=kobito:kobito "$R" env -i PATH=/usr/bin:/bin $x ||
		fail "the backup service's command failed"
fi
b=$(cd "$R/var/backups/kobito" && ls kobito-*.db)
[ "$(printf '%s\n' "$b" | wc -l)" = 1 ] || fail "backups: $b"
check "the backup is whole and holds the job" "ok succeeded" \
	"$(inroot sqlite3 "/var/backups/kobito/$b" "PRAGMA integrity_check; SELECT state FROM jobs WHERE id = $job" | tr '\n' ' ' | sed 's/ $//')"
echo "ok: the backup service wrote /var/backups/kobito/$b"
inroot runuser -u kobito -- kobito-scheduler audit verify >"$T/audit.out" 2>&1 ||
	fail "audit verify: $(cat "$T/audit.out")"
grep -q "^audit log intact: [1-9][0-9]* rows" "$T/audit.out" || fail "audit verify said: $(cat "$T/audit.out")"
echo "ok: the packaged scheduler's audit log verifies"

# --- the services as systemd runs them -------------------------------------------------

if [ "$MODE" = systemd ]; then
	prop() { inroot systemctl show -p "$2" --value "$1"; }
	check "the scheduler runs as kobito" kobito \
		"$(inroot stat -c %U "/proc/$(prop kobito-scheduler MainPID)")"
	check "the agent runs as kobito-agent" kobito-agent \
		"$(inroot stat -c %U "/proc/$(prop kobito-agent MainPID)")"
	check "the scheduler's watchdog" 30s "$(prop kobito-scheduler WatchdogUSec)"
	check "no restart so far" 0 "$(prop kobito-scheduler NRestarts)"
	# The sandbox holds: /etc is read-only for the scheduler.
	pid=$(prop kobito-scheduler MainPID)
	if inroot nsenter -t "$pid" -m sh -c 'touch /etc/kobito/x' 2>/dev/null; then
		fail "the scheduler's /etc is writable"
	fi
	# A job cannot write outside the agent's directory either.
	sed 's/path: "out-\${x}.txt"/path: "\/etc\/kobito\/out-${x}.txt"/; s/packaged_hello/packaged_etc/' \
		"$T/hello.yaml" >"$T/etc.yaml"
	curl -s -o /dev/null -H "Authorization: Bearer $ADMIN" \
		-H 'Content-Type: application/json' \
		--data-binary "$(jq -n --rawfile s "$T/etc.yaml" '{source: $s}')" "$URL/api/scripts"
	inroot env KOBITO_SCHEDULER="$URL" kobito trigger packaged_etc \
		--token-file /root/admin.token --wait --json >"$T/trigger.out" 2>/dev/null
	r=$(jq -r .run_id "$T/trigger.out")
	curl -s -H "Authorization: Bearer $ADMIN" "$URL/api/runs/$r" >"$T/run-etc.json"
	jq -r '.summary.items.failures[0].error' "$T/run-etc.json" >"$T/why" 2>&1
	grep -q "Read-only file system" "$T/why" ||
		fail "a job wrote to /etc: $(cat "$T/why" "$T/trigger.out" "$T/run-etc.json")"
	[ ! -e "$R/etc/kobito/out-1.txt" ] || fail "a job wrote to /etc"
	echo "ok: users, watchdog and a read-only /etc as the units say"
	# Killed, it comes back (Restart=on-failure), and finds its database.
	inroot systemctl kill --kill-whom=main -s KILL kobito-scheduler
	wait_for 200 sh -c "[ \"\$(nsenter -t $CPID -a systemctl show -p NRestarts --value kobito-scheduler)\" = 1 ] &&
		nsenter -t $CPID -a systemctl is-active -q kobito-scheduler" ||
		fail "the scheduler did not come back: $(prop kobito-scheduler ActiveState)"
	rm -f "$R/var/lib/kobito/port.seen"
	wait_for 100 sh -c "curl -sf http://127.0.0.1:\$(cat '$R/var/lib/kobito/port')/health" ||
		fail "the restarted scheduler does not answer"
	URL="http://127.0.0.1:$(cat "$R/var/lib/kobito/port")"
	check "the job is still there" succeeded \
		"$(curl -s -H "Authorization: Bearer $ADMIN" "$URL/api/jobs/$job" | jq -r .state)"
	echo "ok: killed with SIGKILL, systemd restarted the scheduler"

	# An upgrade (the same packages again): the scheduler being replaced
	# backs up the database before the new one is unpacked.
	sleep 1
	inroot sh -c 'dpkg -i /debs/*.deb' >"$T/upgrade.log" 2>&1 || {
		tail -n 20 "$T/upgrade.log" >&2
		fail "the upgrade failed"
	}
	wait_for 100 inroot systemctl is-active -q kobito-scheduler ||
		fail "the scheduler did not come back after the upgrade"
	n=$(cd "$R/var/backups/kobito" && ls kobito-*.db | wc -l)
	[ "$n" = 2 ] || {
		cat "$T/upgrade.log" >&2
		inroot journalctl --no-pager | grep -i backup | tail -n 20 >&2
	}
	check "the upgrade took a backup" 2 "$n"
	last=$(cd "$R/var/backups/kobito" && ls kobito-*.db | tail -n 1)
	taken=$(stat -c %Y "$R/var/backups/kobito/$last")
	started=$(inroot systemctl show -p ActiveEnterTimestamp --value kobito-scheduler)
	started=$(date -d "$started" +%s)
	[ "$taken" -le "$started" ] ||
		fail "the backup ($taken) came after the new scheduler started ($started)"
	echo "ok: the upgrade backed up the database before the new scheduler started"
fi

# --- removing everything ------------------------------------------------------------------

svc_stop kobito-agent
svc_stop kobito-scheduler
inroot dpkg --purge kobito-agent kobito-scheduler kobito >"$T/purge.log" 2>&1 || {
	tail -n 20 "$T/purge.log" >&2
	fail "dpkg --purge failed"
}
for f in /usr/bin/kobito /usr/bin/kobito-agent /usr/bin/kobito-scheduler \
    /etc/kobito/scheduler.yaml /etc/kobito/agent.yaml /etc/kobito/kpi.yaml \
    /lib/systemd/system/kobito-scheduler.service \
    /etc/systemd/system/multi-user.target.wants/kobito-scheduler.service; do
	[ ! -e "$R$f" ] || fail "$f is left after the purge"
done
left=$(inroot dpkg -l 'kobito*' 2>/dev/null | grep -c '^[a-z][a-z] ' || true)
check "no kobito package is known any more" 0 "$left"
grep -qi 'error\|warning' "$T/purge.log" && fail "purge said: $(cat "$T/purge.log")"
# The city's data stays: a purge is not a way to lose the database.
[ -s "$R/var/lib/kobito/kobito.db" ] || fail "the purge removed the database"
echo "ok: purged without a word; programs, units and /etc/kobito gone; the database kept"
