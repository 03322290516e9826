#!/bin/sh
# invoice_mail.sh - the shipped invoice_mail.yaml (請求書メール受付) end to
# end, with every system real: four businesses' mails (tools/demo/
# invoicemail.py: Outlook's ISO-2022-JP with a text-layer PDF,
# Thunderbird's UTF-8 with a scanned PDF, a Shift_JIS system's mail with
# no PDF, a PDF whose registration number fails its check digit) go
# through Exim into Dovecot; the script reads them over IMAPS.
#
# The first run meets a mail server that refuses the answers: both
# invoices are read (one by OCR), entered into the stand-in finance
# screen and filed, the two bad mails go to 要確認 and the review list,
# and the two good ones stay in INBOX.  The second run, with the server
# back, finds the filings, enters nothing twice, answers each business
# with its 受付番号 and files the mails in 処理済.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mail.inc"
PY=/usr/bin/python3
APP="$FIXTURES/legacy_finance"
[ -x "$APP" ] || fail "$APP is not built"

start_mail seikyu@city.example.jp:seikyu-pass-2030 \
	eigyo@torihiki.example.co.jp:x-pass-2030 info@yamato-print.example.jp:x-pass-2030 \
	keiri@minato.example.jp:x-pass-2030 sales@tozai.example.jp:x-pass-2030
$PY "$KOBITO_TOP/tools/demo/invoicemail.py" "$KOBITO" "$T/gen" || fail "invoicemail.py failed"
for i in 1 2 3 4; do
	deliver "$(jq -r ".[$((i - 1))].sender" "$T/gen/invoices.json")" \
		seikyu@city.example.jp "$T/gen/mail-$i.eml"
	wait_mail seikyu@city.example.jp $i
done
echo "ok: four businesses' mails in the invoice mailbox"

start_xvfb
# lib/finance_entry.yaml finds the screen's fields on the accessibility bus.
start_a11y
export GTK_IM_MODULE=gtk-im-context-simple
DISPLAY=$DISPLAY_NUM "$APP" --out "$T/vouchers.csv" 2>>"$T/app.log" &
app_pid=$!
at_exit "kill $app_pid 2>/dev/null"
mail_secrets "$T/secrets.yaml" mail_password=seikyu-pass-2030
mkdir -p "$T/docstore" "$T/review"
invoice_mail() {	# invoice_mail SMTP-URL OUT: one run, its JSON in $T/OUT.json
	"$KOBITO" run "$KOBITO_TOP/scripts/invoice_mail.yaml" --display "$DISPLAY_NUM" \
		--param "imap_server=imaps://localhost:$MAIL_IMAPS_PORT" \
		--param "smtp_server=$1" --param "ca_file=$MAIL_CA" \
		--param "docstore=$T/docstore" --param "review_dir=$T/review" \
		--param method=paste --secrets "$T/secrets.yaml" \
		--json > "$T/$2.json" 2> "$T/$2.err"
}

# --- 1. the answers cannot go out --------------------------------------------------
invoice_mail "smtps://localhost:1" first && fail "the first run did not notice the mail server was away"
check "first run: partial, every mail failed its item" "partial|0|4" \
	"$(jget "$T/first.json" '"\(.status)|\(.items.succeeded)|\(.items.failed)"')"
jget "$T/first.json" '.items.failures[].error' > "$T/reasons"
grep -q "要確認へ回しました（請求明細の送付（①））: PDFの請求書が添付されていません" "$T/reasons" ||
	fail "no reason for the mail without a PDF: $(cat "$T/reasons")"
grep -q "要確認へ回しました（請求書（5月分））: 登録番号 T[0-9]* の検査数字が合いません" "$T/reasons" ||
	fail "no reason for the bad registration number: $(cat "$T/reasons")"
[ "$(grep -c 'sending to localhost:1: cannot connect' "$T/reasons")" -eq 2 ] ||
	fail "the two answers did not fail on the mail server: $(cat "$T/reasons")"
echo "ok: two mails to review with their reasons, two answers not sent"
check "both invoices entered once" 2 "$(wc -l < "$T/vouchers.csv")"

# --- 2. the server is back: answered and filed, nothing entered twice ---------------
invoice_mail "smtps://localhost:$MAIL_SMTPS_PORT" second ||
	{ tail -n 30 "$T/second.err" >&2; fail "the second run failed"; }
check "second run: the two left in INBOX" "succeeded|2|0" \
	"$(jget "$T/second.json" '"\(.status)|\(.items.succeeded)|\(.items.failed)"')"
check "still two vouchers" 2 "$(wc -l < "$T/vouchers.csv")"
wait_mail eigyo@torihiki.example.co.jp 1
wait_mail info@yamato-print.example.jp 1
today=$(date +%Y%m%d)

$PY - "$T" "$MAIL_HOME" "$KOBITO_TOP" <<'PYEOF' || fail "what the businesses, the finance screen and the document store got is wrong"
import sys, os, json, glob, csv, email, email.header, email.policy, base64
T, home = sys.argv[1:3]
sys.path.insert(0, sys.argv[3] + '/tools/demo')
from mailcompose import header
mails = json.load(open(T + '/gen/invoices.json'))
def mbox(addr, folder=''):
    d = home + '/' + addr + '/Maildir' + ('/.' + folder if folder else '')
    return sorted(glob.glob(d + '/new/*') + glob.glob(d + '/cur/*'))
def mutf7(name):
    return '&' + base64.b64encode(name.encode('utf-16-be')).decode().rstrip('=').replace('/', ',') + '-'
# The finance screen: date, vendor, account, amount, purpose.
rows = list(csv.reader(open(T + '/vouchers.csv', encoding='utf-8')))
entered = [m for m in mails if m['outcome'] == 'entered']
for row, m in zip(rows, entered):
    inv = m['invoice']
    assert row[:4] == [inv['date'], inv['vendor'], '04100', str(inv['total'])], (row, inv)
    assert inv['no'] in row[4] and inv['reg_no'] in row[4], row
# The document store: PDF, the mail as received, meta.json last.
metas = sorted(glob.glob(T + '/docstore/invoice/*/R-*/meta.json'))
assert len(metas) == 2, metas
for path, m in zip(metas, entered):
    meta, inv, d = json.load(open(path)), m['invoice'], os.path.dirname(path)
    assert meta['date'] == inv['date'] and meta['amount'] == inv['total'], meta
    assert meta['vendor'] == inv['vendor'] and meta['registration_no'] == inv['reg_no'], meta
    assert meta['category'] == 'invoice' and meta['id'] == os.path.basename(d), meta
    assert meta['invoice']['source'] == ('ocr' if m['name'] == '有限会社やまと印刷' else 'text'), meta['invoice']
    assert sorted(os.listdir(d)) == sorted([m['pdf'], '受信メール.eml', 'meta.json']), os.listdir(d)
    eml = email.message_from_bytes(open(d + '/受信メール.eml', 'rb').read())
    assert header(eml['subject']) == m['subject'], header(eml['subject'])
    pdf = [p for p in eml.walk() if p.get_content_type() == 'application/pdf'][0].get_payload(decode=True)
    assert open(d + '/' + m['pdf'], 'rb').read() == pdf
    m['receipt'] = meta['id']
# Each business got its answer, in reply to its mail, with its number.
for m in entered:
    got = mbox(m['sender'])
    assert len(got) == 1, (m['sender'], got)
    r = email.message_from_bytes(open(got[0], 'rb').read(), policy=email.policy.default)
    subj = header(email.message_from_bytes(open(got[0], 'rb').read())['subject'])
    assert subj == '【受付】請求書を受け付けました（受付番号 %s）' % m['receipt'], subj
    body = r.get_body(('plain',)).get_content()
    inv = m['invoice']
    for want in (m['receipt'], inv['no'], '{:,}円'.format(inv['total']), inv['reg_no'], inv['vendor'] + ' 御中'):
        assert want in body, (want, body)
    assert r['in-reply-to'].startswith('<') and r['from'].addresses[0].addr_spec == 'seikyu@city.example.jp'
for m in mails:
    if m['outcome'] == 'review':
        assert mbox(m['sender']) == [], m['sender']
assert glob.glob(home + '/../exim/spool/input/*') == [], 'answers still queued'
# The mailbox: INBOX empty, two in 処理済, two in 要確認.
assert mbox('seikyu@city.example.jp') == []
assert len(mbox('seikyu@city.example.jp', mutf7('処理済'))) == 2
assert len(mbox('seikyu@city.example.jp', mutf7('要確認'))) == 2
# The review list, for Excel.
raw = open(T + '/review/review_list.csv', 'rb').read()
assert raw.startswith(b'\xef\xbb\xbf')
rev = list(csv.DictReader(raw.decode('utf-8-sig').splitlines()))
assert [r['差出人'] for r in rev] == ['keiri@minato.example.jp', 'sales@tozai.example.jp'], rev
assert rev[0]['理由'] == 'PDFの請求書が添付されていません' and rev[1]['移動先'] == '要確認', rev
print('ok: entered once each, filed with date, amount, counterparty and T-number, '
      'answered with the receipt number, mails in 処理済 and 要確認')
PYEOF
case $(jget "$T/second.json" '.output.received') in 2) ;; *) fail "the second run did not see two mails" ;; esac
grep -q "R-2024051[0-9]-0000[12]" "$T/docstore/invoice/2024/"*/meta.json || fail "receipt numbers not from the mails' dates and uids"
