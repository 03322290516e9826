#!/bin/sh
# web_totp.sh - one-time passwords for admins (RFC 6238, as an
# authenticator app makes them; here Python's hmac makes them): begun with
# a key shown once (never stored in clear), turned on by a code of the
# app, then every login of that admin needs the code of the moment: none
# (401, otp_required), a wrong one (401, counted as a failed login), one
# used before (refused) are not let in; another admin takes them away.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

printf 'the first admin password\n' > "$T/pw1"
printf 'the other admin password\n' > "$T/pw2"
"$SCHED" user set --db "$T/sched.db" --name kanri --role admin \
	--password-file "$T/pw1" 2>/dev/null || fail "user kanri"
"$SCHED" user set --db "$T/sched.db" --name hoka --role admin \
	--password-file "$T/pw2" 2>/dev/null || fail "user hoka"
start_scheduler

code() {	# code BASE32 [STEPS-AHEAD]: the app's code now
	python3 - "$1" "${2:-0}" <<'PY'
import base64, hmac, hashlib, struct, sys, time
key = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
step = int(time.time()) // 30 + int(sys.argv[2])
mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
off = mac[19] & 15
print("%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff) % 1000000))
PY
}
login() {	# login NAME PASSWORD [OTP]: status; cookies in $T/jar-NAME
	curl -s -c "$T/jar-$1" -o "$T/login" -w '%{http_code}' \
		-H 'Content-Type: application/json' \
		-d "{\"username\": \"$1\", \"password\": \"$2\"${3:+, \"otp\": \"$3\"}}" \
		"$SCHED_URL/api/session"
}
as() {	# as NAME METHOD PATH [BODY]: status of a call with NAME's session
	_n=$1 _m=$2 _p=$3
	_csrf=$(jq -r .csrf_token "$T/csrf-$_n")
	curl -s -b "$T/jar-$_n" -o "$T/out" -w '%{http_code}' -X "$_m" \
		-H "X-CSRF-Token: $_csrf" -H 'Content-Type: application/json' \
		${4:+-d "$4"} "$SCHED_URL$_p"
}

check "kanri logs in" 200 "$(login kanri 'the first admin password')"
cp "$T/login" "$T/csrf-kanri"
check "begins one-time passwords" 201 "$(as kanri POST /api/session/totp '{}')"
secret=$(jq -r .secret "$T/out")
jq -e '.uri | startswith("otpauth://totp/kobito:kanri?secret=")' "$T/out" \
	>/dev/null || fail "uri: $(cat "$T/out")"
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM user_totp WHERE instr(sealed, '$secret') > 0")
check "the key is sealed, not stored in clear" 0 "$n"
check "a login needs no code yet" 200 "$(login kanri 'the first admin password')"
cp "$T/login" "$T/csrf-kanri"
check "a wrong code does not turn them on" 400 \
	"$(as kanri PUT /api/session/totp '{"code": "000000"}')"
check "the app's code does" 200 \
	"$(as kanri PUT /api/session/totp "{\"code\": \"$(code "$secret")\"}")"

check "without a code" 401 "$(login kanri 'the first admin password')"
jq -e '.otp_required == true' "$T/login" >/dev/null || fail "401: $(cat "$T/login")"
check "with a wrong code" 401 "$(login kanri 'the first admin password' 123456)"
jq -e '.error == "wrong one-time code"' "$T/login" >/dev/null || fail "401: $(cat "$T/login")"
check "with a wrong password and a right code" 401 \
	"$(login kanri 'not the password!' "$(code "$secret" 1)")"
next=$(code "$secret" 1)
check "with the next code" 200 "$(login kanri 'the first admin password' "$next")"
check "a code used once is not taken again" 401 \
	"$(login kanri 'the first admin password' "$next")"
jq -e '.error | test("used already")' "$T/login" >/dev/null || fail "replay: $(cat "$T/login")"
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM audit WHERE path = '/api/session'
	AND json_extract(detail, '$.refused') = 'wrong one-time code'")
check "a wrong code and a used one are failed logins in the audit log" 2 "$n"

# Another admin takes them away (a lost phone).
check "hoka logs in" 200 "$(login hoka 'the other admin password')"
cp "$T/login" "$T/csrf-hoka"
check "the user list says who has them" true \
	"$([ "$(as hoka GET /api/users)" = 200 ] && jq '[.users[] | select(.name == "kanri")][0].totp' "$T/out")"
check "hoka takes kanri's away" 200 "$(as hoka DELETE /api/users/kanri/totp)"
check "kanri logs in with the password again" 200 "$(login kanri 'the first admin password')"
check "nothing to take away twice" 404 "$(as hoka DELETE /api/users/kanri/totp)"
stop_scheduler
