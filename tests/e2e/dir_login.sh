#!/bin/sh
# dir_login.sh - logging in with the city's directory: a real slapd started
# by the test (people and groups loaded with slapadd), over LDAPS and over
# StartTLS, its certificate checked against its CA; the groups a person is
# in give their roles (a 課's operators, managers), changed in the
# directory they change at the next login; a wrong password, an unknown
# name and someone no group gives a role are refused; a local admin logs
# in whatever the directory does; a directory that cannot be trusted or
# reached answers 503; a configuration that would send passwords in clear
# is refused with file:line:col.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/ldap.inc"

cat > "$T/people.ldif" <<'EOF'
dn: uid=sato,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
uid: sato
cn: Sato Hanako
sn: Sato
userPassword: sato-directory-pw

dn: uid=suzuki,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
uid: suzuki
cn: Suzuki Ichiro
sn: Suzuki
userPassword: suzuki-directory-pw

dn: uid=tanaka,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
uid: tanaka
cn: Tanaka Jiro
sn: Tanaka
userPassword: tanaka-directory-pw

dn: cn=kaikei-staff,ou=groups,dc=city,dc=example
objectClass: groupOfNames
cn: kaikei-staff
member: uid=sato,ou=people,dc=city,dc=example
member: cn=admin,dc=city,dc=example

dn: cn=kanbu,ou=groups,dc=city,dc=example
objectClass: groupOfNames
cn: kanbu
member: uid=suzuki,ou=people,dc=city,dc=example

dn: cn=other,ou=groups,dc=city,dc=example
objectClass: groupOfNames
cn: other
member: uid=tanaka,ou=people,dc=city,dc=example
EOF
start_ldap "$T/people.ldif"

config() {	# config URI STARTTLS CA: the scheduler's config file
	cat > "$T/config.yaml" <<EOF
directory:
  uri: $1
  starttls: $2
  ca_file: $3
  base: ou=people,dc=city,dc=example
  user_filter: "(&(objectClass=inetOrgPerson)(uid=%s))"
  groups_base: ou=groups,dc=city,dc=example
  timeout_ms: 3000
  groups:
    - { group: "cn=kaikei-staff,ou=groups,dc=city,dc=example",
        department: 会計課, role: operator }
    - { group: "CN=Kanbu,OU=groups,DC=city,DC=example", global: manager }
EOF
}
login() {	# login NAME PASSWORD: the status; the body in $T/login
	curl -s -o "$T/login" -w '%{http_code}' -H 'Content-Type: application/json' \
		-d "{\"username\": \"$1\", \"password\": \"$2\"}" "$SCHED_URL/api/session"
}
printf 'the local admin password\n' > "$T/pw"
"$SCHED" user set --db "$T/sched.db" --name kanri --role admin \
	--password-file "$T/pw" 2>/dev/null || fail "user kanri"

config "$LDAPS_URI" false "$LDAP_CA"
start_scheduler --config "$T/config.yaml" \
	--kpi-config "$KOBITO_TOP/config/kpi.yaml"
check "sato logs in with the directory (LDAPS)" 200 "$(login sato sato-directory-pw)"
jq -e '.roles == [{"department": "zaisei-keiri-kaikei", "department_name":
	"財政局/経理部/会計課", "role": "operator"}] and .global == []' "$T/login" \
	>/dev/null || fail "sato's roles: $(cat "$T/login")"
check "a wrong password" 401 "$(login sato wrong-password-here)"
check "an unknown name" 401 "$(login yamada sato-directory-pw)"
check "an empty password" 400 "$(login sato '')"
check "no group gives tanaka a role" 403 "$(login tanaka tanaka-directory-pw)"
jq -e '.error | test("none of their groups")' "$T/login" >/dev/null ||
	fail "403: $(cat "$T/login")"
check "suzuki is a manager" 200 "$(login suzuki suzuki-directory-pw)"
jq -e '.global == ["manager"] and .roles == []' "$T/login" >/dev/null ||
	fail "suzuki: $(cat "$T/login")"
check "the local admin" 200 "$(login kanri 'the local admin password')"
n=$(sqlite3 "$T/sched.db" "SELECT count(*) FROM users WHERE name = 'sato'
	AND password_hash IS NULL")
check "the directory's password is kept nowhere here" 1 "$n"
check "its roles are the directory's" directory \
	"$(sqlite3 "$T/sched.db" "SELECT DISTINCT granted_by FROM user_roles r
	JOIN users u ON u.id = r.user_id WHERE u.name = 'sato'")"

# A change in the directory shows at the next login.
cat > "$T/move.ldif" <<'EOF'
dn: cn=kaikei-staff,ou=groups,dc=city,dc=example
changetype: modify
delete: member
member: uid=sato,ou=people,dc=city,dc=example

dn: cn=kanbu,ou=groups,dc=city,dc=example
changetype: modify
add: member
member: uid=sato,ou=people,dc=city,dc=example
EOF
ldap_modify "$T/move.ldif"
check "sato after the move" 200 "$(login sato sato-directory-pw)"
jq -e '.roles == [] and .global == ["manager"]' "$T/login" >/dev/null ||
	fail "sato's roles after the move: $(cat "$T/login")"
stop_scheduler

# StartTLS on the plain port.
config "$LDAP_URI" true "$LDAP_CA"
start_scheduler --config "$T/config.yaml" \
	--kpi-config "$KOBITO_TOP/config/kpi.yaml"
check "StartTLS" 200 "$(login suzuki suzuki-directory-pw)"
stop_scheduler

# A directory whose certificate does not verify is not asked.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=another CA" \
	-keyout "$T/other.key" -out "$T/other.pem" 2>/dev/null
config "$LDAPS_URI" false "$T/other.pem"
start_scheduler --config "$T/config.yaml" \
	--kpi-config "$KOBITO_TOP/config/kpi.yaml"
check "a certificate of another CA" 503 "$(login sato sato-directory-pw)"
grep -q "login of 'sato': directory" "$T/scheduler.log" ||
	fail "the reason is not logged: $(tail -n 3 "$T/scheduler.log")"
grep -q "sato-directory-pw" "$T/scheduler.log" && fail "a password in the log"
check "the local admin still logs in" 200 "$(login kanri 'the local admin password')"
stop_scheduler

# Passwords are never sent in clear.
config "$LDAP_URI" false "$LDAP_CA"
"$SCHED" --db "$T/sched.db" --listen 127.0.0.1:0 --scripts "$T/scripts" \
	--config "$T/config.yaml" > "$T/refused" 2>&1 &&
	fail "started with a directory in clear"
grep -q "config.yaml:2:8: directory.uri: .* is not ldaps://" "$T/refused" ||
	fail "message: $(cat "$T/refused")"
echo "ok: a directory in clear is refused"
