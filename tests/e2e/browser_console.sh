#!/bin/sh
# browser_console.sh - the operations console in headless Chromium
# (tests/browser/console.test.js): 10,000 runs of two departments written
# into the database, people of each, a stand-in agent played by the test
# for the live log; then a second scheduler serving HTTPS with logins by a
# real slapd started here.  Screenshots go to tests/out/BUILD/console/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"
. "$(dirname "$0")/ldap.inc"
. "$(dirname "$0")/browser.inc"

cat >"$T/scripts/kaikei.yaml" <<'EOF'
name: kaikei_bot
title: 支払データの確認
owner: 財政局/経理部/会計課
params:
  who: { type: string, default: 会計課, title: 担当 }
steps:
  - log: "check ${params.who}"
EOF
cat >"$T/scripts/live.yaml" <<'EOF'
name: live_bot
title: ライブ表示の確認
owner: 財政局/経理部/会計課
requires: [stand-in]
steps:
  - log: played by the test
EOF
PASSWORD="pass-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$PASSWORD" >"$T/pw"
for u in kanri:admin: kanri2:admin: ka:viewer:会計課 kei:engineer:経理部 op:operator:会計課 \
    shimin:viewer:市民局; do
	IFS=: read -r name role dept <<EOF
$u
EOF
	"$SCHED" user set --db "$T/sched.db" --name "$name" --role "$role" \
		--department "$dept" --password-file "$T/pw" 2>>"$T/users.log" ||
		fail "user set $name: $(cat "$T/users.log")"
done
start_scheduler --kpi-config "$KOBITO_TOP/config/kpi.yaml" \
	--dashboard "$KOBITO_TOP/dashboard"
AGENT_TOKEN=$(make_token agent stand-in)
digest=$(sqlite3 "$T/sched.db" "SELECT digest FROM scripts WHERE name = 'kaikei_bot'")
# 10,000 runs over the last 40 days, one in two of 会計課 and of 戸籍住民課,
# one in ten failed; the newest failed one is the one the test retries.
end=$(( $(date +%s) - 3600 ))
sqlite3 "$T/sched.db" <<EOF || fail "cannot seed the runs"
BEGIN;
INSERT INTO agents (name) VALUES ('pc-seed');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
INSERT INTO jobs (script, digest, params, state, max_attempts, backoff_ms,
	backoff_max_ms, timeout_ms, not_before, triggered_by, department,
	created_at, updated_at, attempt, final_at)
SELECT 'kaikei_bot', '$digest', '{"who": "seed"}', CASE WHEN i % 10 = 0
	THEN 'failed' ELSE 'succeeded' END, 1, 0, 0, 60000, 0, 'schedule:seed',
	CASE WHEN i % 2 = 0 THEN 'zaisei-keiri-kaikei'
	ELSE 'shimin-kusei-koseki' END,
	($end - (10000 - i) * 345) * 1000, ($end - (10000 - i) * 345) * 1000, 1,
	($end - (10000 - i) * 345) * 1000 FROM n;
INSERT INTO runs (job_id, attempt, agent_id, script, digest, status, error,
	started_at, finished_at, duration_ms, items_succeeded, lease_token,
	department)
SELECT id, 1, (SELECT id FROM agents WHERE name = 'pc-seed'), script, digest,
	state, CASE WHEN state = 'failed' THEN 'ui.find: no window 支払' END,
	created_at, created_at + 2000, 2000, 1, 't', department FROM jobs;
UPDATE jobs SET run_id = (SELECT id FROM runs WHERE runs.job_id = jobs.id);
COMMIT;
EOF

# The second scheduler: HTTPS, logins by the directory.
cat > "$T/people.ldif" <<'EOF'
dn: uid=dsato,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
uid: dsato
cn: Sato Directory
sn: Sato
userPassword: directory-pw-of-sato

dn: cn=kaikei-staff,ou=groups,dc=city,dc=example
objectClass: groupOfNames
cn: kaikei-staff
member: uid=dsato,ou=people,dc=city,dc=example
EOF
start_ldap "$T/people.ldif"
cat > "$T/dir.yaml" <<EOF
directory:
  uri: $LDAPS_URI
  ca_file: $LDAP_CA
  base: ou=people,dc=city,dc=example
  groups_base: ou=groups,dc=city,dc=example
  groups:
    - { group: "cn=kaikei-staff,ou=groups,dc=city,dc=example",
        department: 会計課, role: operator }
EOF
# The directory's CA signs the scheduler's certificate too.
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	-keyout "$T/tls.key" -out "$T/tls.csr" 2>/dev/null || fail "the TLS key"
printf 'subjectAltName=IP:127.0.0.1\n' > "$T/tls.ext"
openssl x509 -req -in "$T/tls.csr" -CA "$T/ldap/ca.pem" -CAkey "$T/ldap/ca.key" \
	-CAcreateserial -days 2 -extfile "$T/tls.ext" -out "$T/tls.pem" 2>/dev/null ||
	fail "the TLS certificate"
chmod 600 "$T/tls.key"
mkdir -p "$T/s2/scripts"
"$SCHED" --db "$T/s2/sched.db" --listen 127.0.0.1:0 --port-file "$T/s2/port" \
	--scripts "$T/s2/scripts" --config "$T/dir.yaml" \
	--kpi-config "$KOBITO_TOP/config/kpi.yaml" --dashboard "$KOBITO_TOP/dashboard" \
	--tls-cert "$T/tls.pem" --tls-key "$T/tls.key" >>"$T/s2.log" 2>&1 &
s2=$!
at_exit "kill $s2 2>/dev/null; wait $s2 2>/dev/null"
wait_for 100 test -s "$T/s2/port" || fail "the HTTPS scheduler did not start: $(cat "$T/s2.log")"

OUT="$KOBITO_TOP/tests/out/$(basename "$KOBITO_BUILD")/console"
rm -rf "$OUT"
mkdir -p "$OUT"
URL="$SCHED_URL" OUT="$OUT" PASSWORD="$PASSWORD" CHROMIUM="$CHROMIUM" \
	AGENT_TOKEN="$AGENT_TOKEN" HTTPS_URL="https://127.0.0.1:$(cat "$T/s2/port")" \
	ONLY="${ONLY:-}" node "$BT/console.test.js" || {
	echo "--- scheduler log" >&2
	tail -n 30 "$T/scheduler.log" >&2
	fail "console scenarios failed (screenshots in $OUT)"
}
n=$(ls "$OUT"/*.png | wc -l)
[ -n "${ONLY:-}" ] || [ "$n" -ge 8 ] || fail "only $n screenshots in $OUT"
echo "console: $n screenshots in $OUT"
