#!/bin/sh
# mail_fetch.sh - mail.fetch against a real Dovecot, fed by a real MTA
# (Exim, delivering through Dovecot's LMTP), both started unprivileged
# here.  Messages written as Japanese clients write them (mailgen.py:
# Outlook's ISO-2022-JP with ①㈱髙, Thunderbird's UTF-8 with an HTML
# alternative and an inline image, a Shift_JIS system's split words,
# RFC 2231 continuations and uuencode, an HTML-only notice sent binary)
# travel over SMTP and come back over IMAPS with every field checked and
# every attachment byte for byte.  Then: searches (Japanese subject,
# sender, dates, unseen), reading without taking (\Seen given back),
# a message too large reported, the move to a Japanese folder with
# flags, mail.move and mail.flag per message, and the errors a script
# writer meets (wrong password, masked; a password not from secrets; an
# unknown CA; a missing folder; a bad search).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mail.inc"
PY=/usr/bin/python3

CANARY='Cn4ry+/=Q"w\%2F鍵Zé-P7x'
start_mail seikyu@city.example.jp:seikyu-pass-2030 \
	kakari@city.example.jp:kakari-pass-2030 bulk@city.example.jp:bulk-pass-2030 \
	"canary@city.example.jp:$CANARY"
$PY "$(dirname "$0")/mailgen.py" "$T/gen" || fail "mailgen.py failed"
n=0
for m in a b c d e f; do
	deliver "sender@torihiki.example.co.jp" seikyu@city.example.jp "$T/gen/$m.eml"
	n=$((n + 1))
	wait_mail seikyu@city.example.jp $n	# one at a time: UIDs in order
done
echo "ok: six messages delivered through Exim into Dovecot"

mail_secrets "$T/secrets.yaml" mail_password=seikyu-pass-2030
SECRETS="$T/secrets.yaml"
ACCOUNT="server: \"imaps://localhost:$MAIL_IMAPS_PORT\"
      user: seikyu@city.example.jp
      password: \"\${secrets.mail_password}\"
      ca_file: \"$MAIL_CA\""
ACCT="server: \"imaps://localhost:$MAIL_IMAPS_PORT\", user: seikyu@city.example.jp, password: \"\${secrets.mail_password}\", ca_file: \"$MAIL_CA\""
# fetch NAME ARGS: a script of one mail.fetch step with ARGS (YAML lines
# of 6 spaces), its output as the run's output.
fetch_script() {
	cat > "$T/$1.yaml" <<Y
name: fetch_$1
steps:
  - id: f
    mail.fetch:
      $ACCOUNT
$2
output: "\${steps.f.output}"
Y
}
run() {	# run NAME: the run's JSON summary in $T/NAME.json
	"$KOBITO" run "$T/$1.yaml" --secrets "$SECRETS" --json > "$T/$1.json" \
		2> "$T/$1.err"
}

# --- 1. a Japanese subject: the three invoices, every field --------------------
fetch_script invoices "      search: { subject: 請求書 }
      max_size_mb: 0.1
      save_to: \"$T/att\""
run invoices || { cat "$T/invoices.err" >&2; fail "mail.fetch failed"; }
$PY - "$T/invoices.json" "$T/gen" <<'PYEOF' || fail "the fetched messages differ from what was sent"
import sys, json, hashlib
out = json.loads(open(sys.argv[1]).read().splitlines()[-1])['output']
truth = json.load(open(sys.argv[2] + '/truth.json'))
msgs = out['messages']
assert [m['uid'] for m in msgs] == [1, 3, 4], [m['uid'] for m in msgs]
assert out['count'] == 3 and out['remaining'] == 0, out
assert [s['uid'] for s in out['skipped']] == [6] and out['skipped'][0]['reason'] == 'larger than max_size_mb', out['skipped']
for m, key in zip(msgs, 'acd'):
    t = truth[key]
    for f in ('subject', 'from', 'to', 'date', 'message_id', 'text', 'html'):
        assert m[f] == t[f], (key, f, m[f], t[f])
    assert (m['charset'] or '').lower() == t['charset'].lower(), (key, m['charset'])
    assert m['folder'] == 'INBOX' and m['flags'] == [] and m['warnings'] == [], (key, m['flags'], m['warnings'])
    assert len(m['attachments']) == len(t['attachments']), (key, m['attachments'])
    for got, want in zip(m['attachments'], t['attachments']):
        for f in ('filename', 'content_type', 'inline', 'size'):
            assert got[f] == want[f], (key, f, got[f], want[f])
        data = open(got['path'], 'rb').read()
        assert hashlib.sha256(data).hexdigest() == want['sha256'], (key, got['path'])
        assert got['path'].startswith(sys.argv[2].rsplit('/', 1)[0] + '/att/%d/' % m['uid']), got['path']
print('ok: subjects, names, addresses, dates, ids, bodies and %d attachments as sent'
      % sum(len(m['attachments']) for m in msgs))
PYEOF

# --- 2. a sender's domain, unseen: the business's three, with Thunderbird's ---
fetch_script sender "      search: { from: torihiki.example.co.jp, unseen: true, since: \"$(date +%Y-%m-%d)\" }
      attachments: \"*.xlsx\"
      limit: 2"
run sender || { cat "$T/sender.err" >&2; fail "the search by sender failed"; }
$PY - "$T/sender.json" "$T/gen" <<'PYEOF' || fail "the search by sender is wrong"
import sys, json, hashlib
out = json.loads(open(sys.argv[1]).read().splitlines()[-1])['output']
truth = json.load(open(sys.argv[2] + '/truth.json'))
msgs = out['messages']
# a, b, c, d (its portal) and f are from the business; limit 2
assert [m['uid'] for m in msgs] == [1, 2] and out['remaining'] == 3, (out['remaining'], [m['uid'] for m in msgs])
b, t = msgs[1], truth['b']
for f in ('subject', 'from', 'to', 'cc', 'reply_to', 'date', 'message_id', 'in_reply_to', 'references', 'text', 'html'):
    assert b[f] == t[f], (f, b[f], t[f])
assert [a['filename'] for a in b['attachments']] == ['logo.png', '見積書（第2版）.xlsx']
logo, xlsx = b['attachments']
assert logo['inline'] and logo['content_id'] == 'logo@torihiki' and logo['path'] is None, logo
assert hashlib.sha256(open(xlsx['path'], 'rb').read()).hexdigest() == t['attachments'][1]['sha256']
assert msgs[0]['attachments'][0]['path'] is None    # the PDF: not *.xlsx
print('ok: by sender, unseen, since today, limit 2 (3 remain); Thunderbird\'s message whole; only *.xlsx saved')
PYEOF
fetch_script none "      search: { before: \"2001-01-01\", subject: 会議 }"
run none || fail "an empty search failed"
check "nothing before 2001" 0 "$(jget "$T/none.json" .output.count)"

# --- 3. read, not taken: still unseen; then the move with flags -----------------
fetch_script move "      search: { unseen: true, subject: 請求書 }
      max_size_mb: 0.1
      move_to: 処理済/2024年度
      add_flags: [seen, \$kobito_done]"
run move || { cat "$T/move.err" >&2; fail "the fetch with move failed"; }
check "still unseen after two fetches: the same three" "1 3 4" \
	"$(jget "$T/move.json" '[.output.messages[].uid] | map(tostring) | join(" ")')"
fetch_script moved "      folder: 処理済/2024年度
      search: { seen: true }"
run moved || { cat "$T/moved.err" >&2; fail "the Japanese folder cannot be read"; }
check "moved, with their flags" '[["$kobito_done","\\Seen"],["$kobito_done","\\Seen"],["$kobito_done","\\Seen"]]|請求書送付のお知らせ（㈱サンプル）' \
	"$(jget "$T/moved.json" '"\([.output.messages[].flags | sort] | tojson)|\(.output.messages[1].subject)"')"
ls "$(maildir seikyu@city.example.jp)/.処理済.2024年度/cur" >/dev/null 2>&1 ||
	ls -d "$(maildir seikyu@city.example.jp)"/.* | grep -q '&UeZ0Bm4I-' ||
	fail "no folder for 処理済 in the Maildir"
fetch_script left "      search: { subject: 請求書 }"
run left || fail "fetch after the move failed"
check "only the large one is left in INBOX" "6" "$(jget "$T/left.json" '[.output.messages[].uid] | map(tostring) | join(" ")')"

# --- 4. mail.move and mail.flag, one message each, on one connection ------------------
cat > "$T/each.yaml" <<Y
name: each
steps:
  - id: f
    mail.fetch:
      $ACCOUNT
      search: { unseen: true }
  - for_each: "\${steps.f.output.messages}"
    as: m
    steps:
      - mail.flag: { $ACCT, uid: "\${m.uid}", add: [flagged, answered] }
      - mail.move: { $ACCT, uid: "\${m.uid}", to: "受付/\${m.uid}" }
output: "\${len(steps.f.output.messages)}"
Y
"$KOBITO" run "$T/each.yaml" --secrets "$SECRETS" --json > "$T/each.json" 2> "$T/each.err" ||
	{ cat "$T/each.err" >&2; fail "mail.flag and mail.move failed"; }
check "three items (b, e, f), each flagged and moved" "3|3" \
	"$(jget "$T/each.json" '"\(.output)|\(.items.succeeded)"')"
fetch_script each2 "      folder: 受付/5
      search: { flagged: true, answered: true }"
run each2 || { cat "$T/each2.err" >&2; fail "受付/5 cannot be read"; }
check "the meeting notice in 受付/5, flagged and answered" "会議のご案内" "$(jget "$T/each2.json" '.output.messages[0].subject')"
grep -c 'Login: user=<seikyu@city.example.jp>' "$MAIL_DIR/dovecot/log" > "$T/logins"
[ "$(cat "$T/logins")" -le 16 ] || fail "a new login per step: $(cat "$T/logins") logins"

# --- 5. what goes wrong, said clearly ----------------------------------------------
bad() {	# bad DESCRIPTION EXPECTED-TEXT: the last script fails with it
	run bad && fail "$1: no error"
	grep -qF "$2" "$T/bad.err" || { cat "$T/bad.err" >&2; fail "$1: wrong error"; }
	! grep -q -e 'wrong-pass-2030' -e 'seikyu-pass-2030' "$T/bad.err" "$T/bad.json" ||
		fail "$1: the password shows"
	echo "ok: $1"
}
fetch_script bad ""
mail_secrets "$T/wrong.yaml" mail_password=wrong-pass-2030
SECRETS="$T/wrong.yaml"
bad "a wrong password" "refused the user name or password"
printf 'mail_password:\n  value: seikyu-pass-2030\n  allow: [mail.city.example.jp]\n' > "$T/elsewhere.yaml"
chmod 600 "$T/elsewhere.yaml"
SECRETS="$T/elsewhere.yaml"
bad "a password bound to another server" "secret 'mail_password' may not be sent to imaps://localhost:$MAIL_IMAPS_PORT (it may go to mail.city.example.jp)"
printf 'mail_password: seikyu-pass-2030\n' > "$T/unbound.yaml"
chmod 600 "$T/unbound.yaml"
SECRETS="$T/unbound.yaml"
bad "a password bound to no server" "(it may not be sent to any server)"
SECRETS="$T/secrets.yaml"
sed "s|\"\${secrets.mail_password}\"|seikyu-pass-2030|" "$T/invoices.yaml" > "$T/bad.yaml"
bad "a password written in the script" "password: give it from secrets"
sed "/ca_file/d" "$T/invoices.yaml" > "$T/bad.yaml"
bad "a server certificate from an unknown CA" "TLS with localhost:$MAIL_IMAPS_PORT failed"
grep -qF "give ca_file" "$T/bad.err" || fail "no hint about ca_file"
fetch_script bad "      folder: 存在しない"
bad "a folder that does not exist" "the folder '存在しない' cannot be opened"
fetch_script bad "      search: { subjet: x }"
bad "a misspelt search key" "search: unknown key 'subjet'"
fetch_script bad "      search: { since: 2024/05/01 }"
bad "a date that is not ISO" "search.since: '2024/05/01' is not a date (YYYY-MM-DD)"
sed "s|imaps://localhost:$MAIL_IMAPS_PORT|imap://localhost:$MAIL_IMAP_PORT|" "$T/none.yaml" > "$T/starttls.yaml"
run starttls || { cat "$T/starttls.err" >&2; fail "imap:// with STARTTLS failed"; }
echo "ok: imap:// logs in after STARTTLS"
sed "s|imaps://localhost:$MAIL_IMAPS_PORT|imaps://localhost:$MAIL_IMAPS_PORT/INBOX|" "$T/none.yaml" > "$T/bad.yaml"
bad "a folder in the URL" "server: the URL has a path"

# --- 6. a mailbox of 250: searched and flagged in chunks, all fetched -----------
$PY - "$MAIL_LMTP_SOCKET" <<'PYEOF' || fail "cannot fill the bulk mailbox"
import sys, smtplib
l = smtplib.LMTP(sys.argv[1])
for i in range(250):
    l.sendmail('a@torihiki.example.co.jp', ['bulk@city.example.jp'],
               ('From: a@torihiki.example.co.jp\r\nSubject: =?UTF-8?B?6KuL5rGC?= %d\r\n'
                'Message-ID: <bulk%d@x>\r\n\r\nbody %d\r\n' % (i, i, i)).encode())
l.quit()
PYEOF
mail_secrets "$T/bulk.yaml" mail_password=bulk-pass-2030
SECRETS="$T/bulk.yaml"
sed 's/user: seikyu@city.example.jp/user: bulk@city.example.jp/' > "$T/bulk.yaml.tmp" <<Y
name: bulk
steps:
  - id: f
    mail.fetch:
      $ACCOUNT
      search: { subject: 請求, unseen: true }
      limit: 1000
      add_flags: [flagged]
output: "\${steps.f.output}"
Y
mv "$T/bulk.yaml.tmp" "$T/bulkrun.yaml"
run bulkrun || { cat "$T/bulkrun.err" >&2; fail "fetching 250 messages failed"; }
check "250 fetched in order, the last one whole" "250|249|body 249" \
	"$(jget "$T/bulkrun.json" '"\(.output.count)|\(.output.messages[-1].uid - 1)|\(.output.messages[-1].text)"')"
sed 's/add_flags: \[flagged\]//; s/unseen: true/flagged: true/' "$T/bulkrun.yaml" > "$T/bulk2.yaml"
run bulk2 || fail "the flagged search failed"
check "all 250 flagged, none left unread-marked" "250|0" \
	"$(jget "$T/bulk2.json" '"\(.output.count)|\([.output.messages[] | select(.flags | index("\\Seen"))] | length)"')"

# --- 7. a password with every troublesome character: used, never shown ---------
{
	secret_forms "$CANARY"
	printf '\0canary@city.example.jp\0%s' "$CANARY" | base64 -w0; echo	# SASL PLAIN
} > "$T/forms"
printf "mail_password: { value: '%s', allow: [localhost] }\n" "$CANARY" > "$T/canary.yaml"
chmod 600 "$T/canary.yaml"
SECRETS="$T/canary.yaml"
sed 's/user: seikyu@city.example.jp/user: canary@city.example.jp/' "$T/none.yaml" > "$T/canaryok.yaml"
run canaryok || { cat "$T/canaryok.err" >&2; fail "the canary password does not log in"; }
fetch_script canarybad "      folder: 無い"
sed -i 's/user: seikyu@city.example.jp/user: canary@city.example.jp/' "$T/canarybad.yaml"
run canarybad && fail "a missing folder: no error"
cat > "$T/canarysend.yaml" <<Y
name: canarysend
steps:
  - mail.send:
      server: "smtps://localhost:$MAIL_SMTPS_PORT"
      user: canary@city.example.jp
      password: "\${secrets.mail_password}"
      ca_file: "$MAIL_CA"
      from: canary@city.example.jp
      to: nobody-here@city.example.jp
      subject: x
Y
"$KOBITO" run "$T/canarysend.yaml" --secrets "$SECRETS" --artifacts "$T/canary-art" \
	--json > "$T/canarysend.json" 2> "$T/canarysend.err" && fail "an unknown recipient: no error"
grep -q "refused: 550" "$T/canarysend.err" || { cat "$T/canarysend.err" >&2; fail "no refusal quoted"; }
if grep -a -F -f "$T/forms" "$T"/canary*.json "$T"/canary*.err >"$T/hit" 2>/dev/null; then
	fail "the password shows: $(head -c 300 "$T/hit")"
fi
echo "ok: a password of + / = \" \\ % and non-ASCII logs in over IMAP and SMTP and shows nowhere"
