#!/bin/sh
# web_login_throttle.sh - login throttling under attack, over real HTTP
# from several loopback addresses: 64 guesses at once get five password
# checks (they used to get about 32); one user's failures hold back
# neither another user at the same address nor the same user elsewhere;
# an admin under attack still logs in, from a new address and from a
# browser used before (its device cookie) even at the attacker's
# address; and at most two Argon2id hashes are computed at once (64 at
# once used to take the scheduler past 1 GB; 8 at once, about 400 MB).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

printf 'a long enough secret\n' >"$T/pw"
for u in alice:operator vera:viewer root:admin; do
	"$SCHED" user set --db "$T/sched.db" --name "${u%:*}" --role "${u#*:}" \
		--password-file "$T/pw" 2>/dev/null || fail "user set $u"
done
start_scheduler --dashboard "$KOBITO_TOP/dashboard"
PW='a long enough secret'

# login NAME PASSWORD FROM [JAR] -> the status; the body in $T/body.
# With JAR, its cookies are sent and the new ones kept.
login() {
	curl -s -o "$T/body" -w '%{http_code}' --interface "$3" \
		${4:+-b "$4" -c "$4"} -H 'Content-Type: application/json' \
		--data-binary "{\"username\": \"$1\", \"password\": \"$2\"}" \
		"$SCHED_URL/api/session"
}
# at_once N FROM NAME PASSWORD: N logins at once from FROM, under NAME
# (NAME% numbered 0..N-1); their statuses in $T/at.0 ...
at_once() {
	_i=0 _pids=""
	rm -f "$T"/at.*
	while [ $_i -lt "$1" ]; do
		curl -s -o /dev/null -w '%{http_code}\n' --interface "$2" \
			-H 'Content-Type: application/json' --data-binary \
			"{\"username\": \"$(echo "$3" | sed "s/%/$_i/")\", \"password\": \"$4\"}" \
			"$SCHED_URL/api/session" >"$T/at.$_i" &
		_pids="$_pids $!"
		_i=$((_i + 1))
	done
	wait $_pids
}
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SCHED_PID/status"; }

# The admin's own browser, before any attack.
check "root logs in from his browser" 200 "$(login root "$PW" 127.0.0.4 "$T/root")"
grep -q kobito_device "$T/root" || fail "no device cookie: $(cat "$T/root")"
hwm0=$(hwm)

# 64 wrong guesses for alice at once, from one address.
at_once 64 127.0.0.2 alice 'guess guess guess'
cat "$T"/at.* | sort | uniq -c >"$T/codes"
checked=$(awk '$2 == 401 { print $1 }' "$T/codes")
[ "${checked:-0}" -le 5 ] || fail "$checked of 64 guesses were checked: $(cat "$T/codes")"
[ "$(awk '$2 == 429 { print $1 }' "$T/codes")" -ge 59 ] ||
	fail "the others were not held back: $(cat "$T/codes")"
echo "ok: of 64 guesses at once, $checked were checked"

# alice's failures at 127.0.0.2 hold back neither vera there, nor alice
# elsewhere.
check "alice at 127.0.0.2 waits" 429 "$(login alice "$PW" 127.0.0.2)"
check "vera at the same address does not" 200 "$(login vera "$PW" 127.0.0.2)"
check "nor alice at another address" 200 "$(login alice "$PW" 127.0.0.3)"

# An attack on the admin from two addresses: five failures lock each
# address for root, ten make root a user under attack.
i=0
while [ $i -lt 8 ]; do
	login root "wrong password $i" 127.0.0.4 >>"$T/attack"
	login root "wrong password $i" 127.0.0.5 >>"$T/attack"
	i=$((i + 1))
done
grep -q 429 "$T/attack" || fail "the attack was never held back"
check "the attacker waits" 429 "$(login root "$PW" 127.0.0.4)"
check "root from a new address logs in" 200 "$(login root "$PW" 127.0.0.6)"
check "and from his browser at the attacker's address" 200 \
	"$(login root "$PW" 127.0.0.4 "$T/root")"
check "his browser keeps its device" 1 "$(grep -c kobito_device "$T/root")"

# Failed logins of known users are audit rows; unknown names are counted.
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM audit WHERE path = '/api/session'
	AND status = 401 AND json_extract(detail, '$.username') = 'root'")
[ "$n" -ge 5 ] && [ "$n" -le 12 ] || fail "$n audit rows of root's failed logins"

# Eight logins at once under unknown names, from an address of their own:
# all are checked (a dummy hash), two at a time.
at_once 8 127.0.0.7 'ghost%' 'nothing at all'
check "all eight answered" 8 "$(cat "$T"/at.* | grep -c '^401$')"
hwm1=$(hwm)
grow=$(( (hwm1 - hwm0) / 1024 ))
[ "$grow" -lt 128 ] || fail "memory grew by $grow MB for 8 logins at once"
echo "ok: memory grew by $grow MB for 8 logins at once"
stop_scheduler
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM audit WHERE detail LIKE '%ghost%'")
check "unknown names are not rows" 0 "$n"
