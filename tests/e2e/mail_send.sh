#!/bin/sh
# mail_send.sh - mail.send to a real MTA (Exim, submission with STARTTLS
# and AUTH against Dovecot's user database, and SMTPS), delivering into
# Dovecot: a Japanese subject, body, HTML alternative and attachments
# with Japanese names, to, cc and a bcc that must not show.  Python's
# email package reads what arrived as a second opinion, and mail.fetch
# reads it back.  A dry run writes the .eml and touches no server; the
# server's refusals (no login, a wrong password, an unknown recipient)
# and bad arguments come back as clear errors, the password masked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mail.inc"
PY=/usr/bin/python3

start_mail kaikei@city.example.jp:kaikei-pass-2030 \
	eigyo@torihiki.example.co.jp:eigyo-pass-2030 \
	keiri@torihiki.example.co.jp:keiri-pass-2030 \
	kanri@city.example.jp:kanri-pass-2030
mail_secrets "$T/secrets.yaml" smtp_password=kaikei-pass-2030 eigyo_password=eigyo-pass-2030
mail_secrets "$T/wrong.yaml" smtp_password=wrong-pass-2030
$PY - "$T" <<'PYEOF'
import sys, random
r = random.Random(7)
open(sys.argv[1] + '/notice.pdf', 'wb').write(b'%PDF-1.4\n' + bytes(r.randrange(256) for _ in range(4000)))
open(sys.argv[1] + '/list.csv', 'wb').write('番号,金額\r\n1,①１２０円\r\n'.encode('cp932'))
PYEOF

cat > "$T/send.yaml" <<Y
name: send_notice
params:
  server: { type: string, required: true }
  subject: { type: string, default: "【受付完了】請求書を受け付けました（受付番号 R-2024-0001）" }
steps:
  - id: s
    mail.send:
      server: "\${params.server}"
      user: kaikei@city.example.jp
      password: "\${secrets.smtp_password}"
      ca_file: "$MAIL_CA"
      from: "札幌市 財政局 会計課 <kaikei@city.example.jp>"
      to: "株式会社サンプル商事 営業部 御中 <eigyo@torihiki.example.co.jp>"
      cc: [keiri@torihiki.example.co.jp]
      bcc: kanri@city.example.jp
      reply_to: "会計課 問合せ <kaikei@city.example.jp>"
      subject: "\${params.subject}"
      text: |
        株式会社サンプル商事 御中

        いつもお世話になっております。札幌市会計課です。
        ご送付いただいた請求書①を受け付けました。
        受付番号：R-2024-0001
        金額：￥１６，５００（㈱サンプル）
      html: "<p>株式会社サンプル商事 御中</p><p>受付番号：<b>R-2024-0001</b></p>"
      attachments:
        - "$T/notice.pdf"
        - { path: "$T/list.csv", filename: "受付明細（2024年5月分）.csv", content_type: "text/csv; charset=Shift_JIS" }
      in_reply_to: "A0001.outlook@torihiki.example.co.jp"
      eml: "$T/sent/控え.eml"
output: "\${steps.s.output}"
Y

# --- 1. submission: STARTTLS, AUTH; to, cc, bcc ---------------------------------
"$KOBITO" run "$T/send.yaml" --secrets "$T/secrets.yaml" --param "server=smtp://localhost:$MAIL_SUBMIT_PORT" \
	--json > "$T/send.json" 2> "$T/send.err" || { cat "$T/send.err" >&2; fail "mail.send failed"; }
check "recipients: to, cc, bcc once each" \
	"eigyo@torihiki.example.co.jp keiri@torihiki.example.co.jp kanri@city.example.jp|true" \
	"$(jget "$T/send.json" '"\(.output.recipients | join(" "))|\(.output.sent)"')"
for a in eigyo@torihiki.example.co.jp keiri@torihiki.example.co.jp kanri@city.example.jp; do
	wait_mail "$a" 1
done
echo "ok: delivered to the three mailboxes"
$PY - "$T" "$(maildir eigyo@torihiki.example.co.jp)" "$(maildir kanri@city.example.jp)" \
	"$(jget "$T/send.json" .output.message_id)" <<'PYEOF' || fail "what arrived is not what was sent"
import sys, os, email, email.header, email.policy, glob
T, md, bccmd, msgid = sys.argv[1:5]
def first(d):
    return open(sorted(glob.glob(d + '/new/*') + glob.glob(d + '/cur/*'))[0], 'rb').read()
raw = first(md)
assert max(raw) < 0x80, 'not 7-bit clean'
m = email.message_from_bytes(raw, policy=email.policy.default)
# Headers through compat32's decoder: policy.default's parser keeps the
# folding blank between two encoded words of a display name.
old = email.message_from_bytes(raw)
def hdr(name):
    return str(email.header.make_header(email.header.decode_header(old[name])))
assert hdr('subject') == '【受付完了】請求書を受け付けました（受付番号 R-2024-0001）', hdr('subject')
assert hdr('from') == '札幌市 財政局 会計課 <kaikei@city.example.jp>', hdr('from')
assert hdr('to') == '株式会社サンプル商事 営業部 御中 <eigyo@torihiki.example.co.jp>', hdr('to')
assert hdr('cc') == 'keiri@torihiki.example.co.jp', hdr('cc')
assert hdr('reply-to') == '会計課 問合せ <kaikei@city.example.jp>', hdr('reply-to')
assert m['bcc'] is None and b'kanri@' not in raw.split(b'\r\n\r\n')[0].split(b'Delivered-To')[0], 'bcc shows'
assert m['message-id'] == '<%s>' % msgid and m['in-reply-to'] == '<A0001.outlook@torihiki.example.co.jp>'
assert m['return-path'] == '<kaikei@city.example.jp>', m['return-path']
text = m.get_body(('plain',)).get_content()
assert text == ('株式会社サンプル商事 御中\n\nいつもお世話になっております。札幌市会計課です。\n'
                'ご送付いただいた請求書①を受け付けました。\n受付番号：R-2024-0001\n'
                '金額：￥１６，５００（㈱サンプル）\n'), repr(text)
assert 'R-2024-0001</b>' in m.get_body(('html',)).get_content()
atts = list(m.iter_attachments())
assert [a.get_filename() for a in atts] == ['notice.pdf', '受付明細（2024年5月分）.csv'], [a.get_filename() for a in atts]
assert atts[0].get_content_type() == 'application/pdf'
assert atts[0].get_content() == open(T + '/notice.pdf', 'rb').read()
assert atts[1].get_content_type() == 'text/csv' and atts[1].get_param('charset') == 'Shift_JIS'
assert atts[1].get_payload(decode=True) == open(T + '/list.csv', 'rb').read()
# the bcc recipient got the same message, without a Bcc header either
b = email.message_from_bytes(first(bccmd), policy=email.policy.default)
assert b['message-id'] == m['message-id'] and b['bcc'] is None
# the copy written with eml: is the message sent
eml = open(T + '/sent/控え.eml', 'rb').read()
assert email.message_from_bytes(eml, policy=email.policy.default)['message-id'] == m['message-id']
print('ok: Python reads subject, names, body, HTML, attachments and threading as sent; no Bcc header')
PYEOF

# --- 2. mail.fetch reads it back ------------------------------------------------
cat > "$T/back.yaml" <<Y
name: back
steps:
  - id: f
    mail.fetch:
      server: "imaps://localhost:$MAIL_IMAPS_PORT"
      user: eigyo@torihiki.example.co.jp
      password: "\${secrets.eigyo_password}"
      ca_file: "$MAIL_CA"
      search: { subject: 受付完了 }
      save_to: "$T/back"
output: "\${steps.f.output.messages[0]}"
Y
"$KOBITO" run "$T/back.yaml" --secrets "$T/secrets.yaml" --json > "$T/back.json" 2> "$T/back.err" ||
	{ cat "$T/back.err" >&2; fail "mail.fetch of the sent message failed"; }
check "read back by mail.fetch" \
	"札幌市 財政局 会計課|A0001.outlook@torihiki.example.co.jp|受付明細（2024年5月分）.csv" \
	"$(jget "$T/back.json" '"\(.output.from.name)|\(.output.in_reply_to)|\(.output.attachments[1].filename)"')"
cmp "$T/list.csv" "$(jget "$T/back.json" '.output.attachments[1].path')" || fail "the CSV came back changed"

# --- 3. SMTPS, TLS from the first byte ---------------------------------------------
"$KOBITO" run "$T/send.yaml" --secrets "$T/secrets.yaml" --param "server=smtps://localhost:$MAIL_SMTPS_PORT" \
	--param "subject=SMTPS で送信" --json > "$T/smtps.json" 2> "$T/smtps.err" ||
	{ cat "$T/smtps.err" >&2; fail "mail.send over SMTPS failed"; }
wait_mail eigyo@torihiki.example.co.jp 2
echo "ok: sent over SMTPS"

# --- 4. a dry run writes the .eml and talks to no server ------------------------------
sed "s|eml: \"$T/sent/控え.eml\"||" "$T/send.yaml" > "$T/dry.yaml"
"$KOBITO" run "$T/dry.yaml" --secrets "$T/secrets.yaml" --dry-run --param "server=smtps://localhost:1" \
	--artifacts "$T/art" --json > "$T/dry.json" 2> "$T/dry.err" ||
	{ cat "$T/dry.err" >&2; fail "the dry run failed"; }
check "the dry run sends nothing" false "$(jget "$T/dry.json" .output.sent)"
eml=$(jget "$T/dry.json" .output.eml)
case $eml in "$T/art/"*message.eml) ;; *) fail "the .eml is not in the run's folder: $eml" ;; esac
$PY -c 'import sys, email, email.policy; m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default); assert m["subject"].startswith("【受付完了】"), m["subject"]' "$eml" ||
	fail "the dry run's .eml does not read back"
check "the .eml is a run artifact" mail "$(jget "$T/dry.json" '.artifacts[0].kind')"
echo "ok: dry run: the .eml in the run's folder, nothing sent"

# --- 5. refusals and mistakes ---------------------------------------------------------
bad() {	# bad DESCRIPTION EXPECTED-TEXT [ARGS...]: the send fails with it
	_d=$1 _e=$2
	shift 2
	"$KOBITO" run "$T/send.yaml" --secrets "${SECRETS:-$T/secrets.yaml}" "$@" --json > "$T/bad.json" 2> "$T/bad.err" && fail "$_d: no error"
	grep -qF "$_e" "$T/bad.err" || { cat "$T/bad.err" >&2; fail "$_d: wrong error"; }
	! grep -q -e 'kaikei-pass-2030' -e 'wrong-pass-2030' "$T/bad.err" "$T/bad.json" || fail "$_d: the password shows"
	echo "ok: $_d"
}
SECRETS="$T/wrong.yaml"
bad "a wrong password" "refused the user name or password" \
	--param "server=smtp://localhost:$MAIL_SUBMIT_PORT"
SECRETS="$T/secrets.yaml"
sed '/user: kaikei/d; /password:/d' "$T/send.yaml" > "$T/noauth.yaml"
"$KOBITO" run "$T/noauth.yaml" --param "server=smtp://localhost:$MAIL_SUBMIT_PORT" > "$T/bad.err" 2>&1 &&
	fail "submission without a login: no error"
grep -qF "refused: 550 authentication required" "$T/bad.err" || { cat "$T/bad.err" >&2; fail "no authentication error"; }
echo "ok: submission without a login is refused, the server quoted"
sed 's/cc: \[keiri@torihiki.example.co.jp\]/cc: [nobody@torihiki.example.co.jp]/' "$T/send.yaml" > "$T/send2.yaml"
mv "$T/send2.yaml" "$T/send.yaml"
bad "an unknown recipient" "refused: 550" --param "server=smtp://localhost:$MAIL_SUBMIT_PORT"
sed 's/cc: \[nobody@torihiki.example.co.jp\]/cc: [経理]/' "$T/send.yaml" > "$T/send2.yaml"
mv "$T/send2.yaml" "$T/send.yaml"
bad "an address that is none" "cc: '経理' is not a mail address" --param "server=smtp://localhost:$MAIL_SUBMIT_PORT"
sed 's/cc: \[経理\]/cc: []/; s|"'"$T"'/notice.pdf"|"'"$T"'/nothing.pdf"|' "$T/send.yaml" > "$T/send2.yaml"
mv "$T/send2.yaml" "$T/send.yaml"
bad "a missing attachment" "attachment: cannot open '$T/nothing.pdf'" --param "server=smtp://localhost:$MAIL_SUBMIT_PORT"
