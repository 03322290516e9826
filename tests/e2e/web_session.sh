#!/bin/sh
# web_session.sh - logins and sessions of the dashboard over real HTTP:
# Argon2id hashes in the database, the session cookie's attributes, the
# session authorizing the same /api routes as a token, the CSRF token on
# every change, the Origin check, logout, a disabled user's sessions
# ending, static files with their content types and no way out of the
# dashboard directory, and login throttling per user and address.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

cat >"$T/scripts/hello.yaml" <<'EOF'
name: hello
owner: 財政局/経理部/会計課
steps:
  - log: hello
EOF
printf 'a long enough secret\n' >"$T/pw"
printf 'short\n' >"$T/short"
"$SCHED" user set --db "$T/sched.db" --name alice --role operator \
	--department 会計課 --password-file "$T/pw" 2>"$T/err" ||
	fail "user set: $(cat "$T/err")"
"$SCHED" user set --db "$T/sched.db" --name vera --role viewer \
	--password-file "$T/pw" 2>/dev/null || fail "user set vera"
"$SCHED" user set --db "$T/sched.db" --name bob --role viewer \
	--password-file "$T/short" 2>"$T/err" && fail "a short password was taken"
check "a short password is refused" \
	"kobito-scheduler: user 'bob': password: 10 to 1024 characters" "$(cat "$T/err")"
h=$(sqlite3 "$T/sched.db" "SELECT password_hash FROM users WHERE name = 'alice'")
case $h in '$argon2id$v=19$'*) echo "ok: the password is an Argon2id hash" ;;
*) fail "password hash '$h'" ;; esac
"$SCHED" user list --db "$T/sched.db" | grep -q '^alice .*operator .*password .*会計課' ||
	fail "user list: $("$SCHED" user list --db "$T/sched.db")"

start_scheduler --dashboard "$KOBITO_TOP/dashboard"
ADMIN=$(make_token admin root)

# login NAME PASSWORD JAR -> status; the body in $T/body, headers $T/hdr
login() {
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -c "$3" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"username\": \"$1\", \"password\": \"$2\"}" \
		"$SCHED_URL/api/session"
}
# call METHOD PATH JAR [CSRF] [BODY] -> status, body in $T/body
call() {
	curl -s -o "$T/body" -w '%{http_code}' -b "$3" -X "$1" \
		-H 'Content-Type: application/json' ${4:+-H "X-CSRF-Token: $4"} \
		${5:+--data-binary "$5"} "$SCHED_URL$2"
}

check "alice logs in" 200 "$(login alice 'a long enough secret' "$T/a")"
check "her role" operator "$(jq -r .role "$T/body")"
CSRF=$(jq -r .csrf_token "$T/body")
[ ${#CSRF} -eq 64 ] || fail "csrf token '$CSRF'"
cookie=$(tr -d '\r' <"$T/hdr" | grep -i '^Set-Cookie: kobito_session=')
case $cookie in
*"kobito_session="*"; Path=/; HttpOnly; SameSite=Strict; Max-Age="*) echo "ok: the cookie is HttpOnly and SameSite=Strict" ;;
*) fail "cookie: $cookie" ;;
esac
value=$(echo "$cookie" | sed 's/.*kobito_session=\([^;]*\);.*/\1/')
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM web_sessions WHERE id_hash = '$value'")
check "only the cookie's hash is stored" 0 "$n"

# The session stands for a token on the API's own routes.
check "whoami with the session" 200 "$(call GET /api/whoami "$T/a")"
check "whoami names alice" alice "$(jq -r .name "$T/body")"
check "a read needs no CSRF token" 200 "$(call GET /api/jobs "$T/a")"
check "a change without the CSRF token" 403 \
	"$(call POST /api/jobs "$T/a" "" '{"script": "hello"}')"
jq -e '.error | test("X-CSRF-Token")' "$T/body" >/dev/null || fail "403 body: $(cat "$T/body")"
check "a change with a wrong CSRF token" 403 \
	"$(call POST /api/jobs "$T/a" "$(echo "$CSRF" | tr 0-9a-f a-f0-9)" '{"script": "hello"}')"
check "a change with the CSRF token" 201 \
	"$(call POST /api/jobs "$T/a" "$CSRF" '{"script": "hello"}')"
check "the job is alice's" user:alice \
	"$(api GET "/api/jobs/$(jq -r .job_id "$T/body")" "$ADMIN" | sed '$d' | jq -r .triggered_by)"
s=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/a" -X POST \
	-H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" \
	-H 'Origin: http://evil.example' --data-binary '{"script": "hello"}' \
	"$SCHED_URL/api/jobs")
check "a change from another site's page" 403 "$s"
check "the role still applies" 403 "$(call GET /api/audit "$T/a")"
# A form on another site cannot log in: it cannot send application/json,
# and JSON text sent as text/plain (enctype="text/plain") is refused.
s=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
	--data-binary '{"username": "alice", "password": "a long enough secret"}' \
	"$SCHED_URL/api/session")
check "a text/plain form post cannot log in" 403 "$s"

# The audit log names the session's user.
out=$(api GET "/api/audit?limit=100" "$ADMIN")
body_of "$out" | jq -e '[.audit[] | select(.path == "/api/jobs" and
	.actor == "alice" and .status == 201)] | length == 1' >/dev/null ||
	fail "the session's change is not audited as alice"
body_of "$out" | jq -e '[.audit[] | select(.path == "/api/session" and
	.actor == "alice" and .status == 200)] | length == 1' >/dev/null ||
	fail "the login is not audited"
body_of "$out" | grep -q 'a long enough secret' && fail "a password is in the audit log"

# A disabled user's sessions end at once.
check "vera logs in" 200 "$(login vera 'a long enough secret' "$T/v")"
VERA=$(make_token viewer vera)
check "vera's token works" 200 "$(status_of "$(api GET /api/whoami "$VERA")")"
out=$(api PUT /api/users/vera "$ADMIN" '{"disabled": true}')
check "an admin disables vera" 200 "$(status_of "$out")"
check "her session is gone" 401 "$(call GET /api/whoami "$T/v")"
check "and her token with it" 401 "$(status_of "$(api GET /api/whoami "$VERA")")"

# Logout ends the session and clears the cookie.
check "logout" 200 "$(call DELETE /api/session "$T/a" "$CSRF")"
check "the session is gone" 401 "$(call GET /api/whoami "$T/a")"

# Static files: types, headers, nothing outside the dashboard.
s=$(curl -s -D "$T/hdr" -o "$T/body" -w '%{http_code} %{content_type}' "$SCHED_URL/")
check "the page" "200 text/html; charset=utf-8" "$s"
grep -qi "^Content-Security-Policy: default-src 'self'" "$T/hdr" || fail "no CSP"
grep -qi '^X-Content-Type-Options: nosniff' "$T/hdr" || fail "no nosniff"
check "app.js" "200 text/javascript; charset=utf-8" \
	"$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$SCHED_URL/app.js")"
check "app.css" "200 text/css; charset=utf-8" \
	"$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$SCHED_URL/app.css")"
if [ -f /usr/share/javascript/chart.js/chart.min.js ]; then
	check "Chart.js from Debian" 200 \
		"$(curl -s -o "$T/chart" -w '%{http_code}' "$SCHED_URL/vendor/chart.min.js")"
	cmp -s "$T/chart" /usr/share/javascript/chart.js/chart.min.js || fail "chart.min.js differs"
fi
for p in /../../etc/passwd /%2e%2e/%2e%2e/etc/passwd /..%2f..%2fetc%2fpasswd \
    /.gitignore /vendor/..%2fchart.js%2f..%2f..%2f..%2f..%2fetc%2fpasswd \
    /vendor/chart.esm.js; do
	s=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' "$SCHED_URL$p")
	check "no file for $p" 404 "$s"
	grep -q root: "$T/body" && fail "$p leaked /etc/passwd"
done

# Throttling: five failures hold back the user name from this address
# (web_login_throttle checks the rest).
for i in 1 2 3 4; do
	check "failure $i" 401 "$(login alice wrong-password "$T/x")"
done
check "failure 5" 401 "$(login alice wrong-password "$T/x")"
check "then even the right password waits" 429 \
	"$(login alice 'a long enough secret' "$T/x")"
ra=$(tr -d '\r' <"$T/hdr" | sed -n 's/^Retry-After: //Ip')
[ -n "$ra" ] && [ "$ra" -ge 25 ] && [ "$ra" -le 30 ] || fail "Retry-After '$ra'"
check "the answer says why" "too many failed logins for this user from this address; wait before trying again" \
	"$(jq -r .error "$T/body")"
api PUT /api/users/vera "$ADMIN" '{"disabled": false}' >/dev/null
check "another user from this address is not held back" 200 \
	"$(login vera 'a long enough secret' "$T/x")"
# The delay doubles with each further failure: 30 s, then 60 s.
sqlite3 "$T/sched.db" "UPDATE web_login_failures SET locked_until = 0"
check "failure 6" 401 "$(login alice wrong-password "$T/x")"
check "after the sixth, a longer wait" 60000 \
	"$(sqlite3 "$T/sched.db" "SELECT locked_until - last_at FROM web_login_failures WHERE key = 'pair:alice@127.0.0.1'")"
# An unknown user name is refused like a wrong password, in about the
# same time (the hash of a dummy password is checked).
sqlite3 "$T/sched.db" "DELETE FROM web_login_failures"
check "an unknown user" 401 "$(login nobody 'a long enough secret' "$T/x")"
check "the same message" "wrong user name or password" "$(jq -r .error "$T/body")"
# A successful login clears the counts.
check "alice again" 200 "$(login alice 'a long enough secret' "$T/a")"
check "no failures kept for her" 0 \
	"$(sqlite3 "$T/sched.db" "SELECT count(*) FROM web_login_failures WHERE key = 'pair:alice@127.0.0.1'")"
echo "web_session: all checked"
