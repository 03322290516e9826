#!/bin/sh
# budget_survey_mail.sh - budget_survey.yaml takes the departments'
# survey workbooks from mail as well as from its folder: three
# departments mail theirs (Outlook's ISO-2022-JP with the filename as an
# RFC 2047 word, Thunderbird's RFC 2231 UTF-8, a Shift_JIS system's one
# with a workbook that fails its checks), through Exim into Dovecot; a
# fourth workbook lies in the folder; a mail about something else stays
# in INBOX.  The consolidated workbook holds the three good departments,
# the bad one is sent back with its reason, the survey mails are filed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mail.inc"
PY=/usr/bin/python3
GEN="$FIXTURES/surveygen"
[ -x "$GEN" ] || fail "$GEN is not built"

start_mail yosan@city.example.jp:yosan-pass-2030
mail_secrets "$T/secrets.yaml" survey_mail_password=yosan-pass-2030
mkdir -p "$T/gen" "$T/inbox" "$T/out"
"$GEN" -d "$T/gen" || fail "surveygen -d failed"
cp "$T/gen/03_戸籍住民課.xlsx" "$T/inbox/"
$PY - "$T/gen" "$KOBITO_TOP" <<'PYEOF' || fail "cannot write the departments' mails"
import sys, os
gen, top = sys.argv[1:3]
sys.path.insert(0, top + '/tools/demo')
from mailcompose import jis, word, b64lines, pct
def mail(n, frm, subject, part):
    head = ('From: %s\r\nTo: yosan@city.example.jp\r\nSubject: %s\r\n'
            'Date: Tue, 15 Oct 2024 1%d:00:00 +0900\r\nMessage-ID: <s%d@city.example.jp>\r\n'
            'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="bb"\r\n\r\n'
            '--bb\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n'
            % (frm, subject, n, n, b64lines('調査票を提出します。\n'.encode())))
    open('%s/mail-%d.eml' % (gen, n), 'wb').write(head.encode() + part + b'\r\n--bb--\r\n')
XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
def data(name):
    return b64lines(open(gen + '/' + name, 'rb').read())
# Outlook: the filename an RFC 2047 word in quotes
fn = '01_総務課.xlsx'
mail(1, 'somu@city.example.jp', word('iso-2022-jp', jis('【予算算定調査】総務課 提出')),
     ('--bb\r\nContent-Type: %s;\r\n\tname="%s"\r\nContent-Transfer-Encoding: base64\r\n'
      'Content-Disposition: attachment;\r\n\tfilename="%s"\r\n\r\n%s\r\n'
      % (XLSX, word('iso-2022-jp', jis(fn)), word('iso-2022-jp', jis(fn)), data(fn))).encode())
# Thunderbird: RFC 2231
fn = '02_財政課.xlsx'
mail(2, 'zaisei@city.example.jp', word('UTF-8', 'Re: 予算算定調査（財政課）'.encode()),
     ('--bb\r\nContent-Type: %s\r\nContent-Disposition: attachment; filename*=UTF-8\'\'%s\r\n'
      'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n' % (XLSX, pct(fn.encode()), data(fn))).encode())
# A Shift_JIS system, a workbook with an empty required cell
fn = '04_国民健康保険課.xlsx'
mail(3, 'kokuho@city.example.jp', word('Shift_JIS', '予算算定調査票の送付'.encode('cp932')),
     ('--bb\r\nContent-Type: %s; name="%s"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n'
      % (XLSX, word('Shift_JIS', fn.encode('cp932')), data(fn))).encode())
# Not the survey
mail(4, 'somu@city.example.jp', word('UTF-8', '会議室の予約'.encode()), b'')
PYEOF
for i in 1 2 3 4; do
	deliver somu@city.example.jp yosan@city.example.jp "$T/gen/mail-$i.eml"
	wait_mail yosan@city.example.jp $i
done

"$KOBITO" run "$KOBITO_TOP/scripts/budget_survey.yaml" --param "inbox=$T/inbox" \
	--param "out_dir=$T/out" --param "mail_server=imaps://localhost:$MAIL_IMAPS_PORT" \
	--param "mail_ca_file=$MAIL_CA" --secrets "$T/secrets.yaml" \
	--json > "$T/survey.json" 2> "$T/survey.err" && fail "the bad workbook was not sent back"
check "three departments in, one sent back" "partial|3|1" \
	"$(jget "$T/survey.json" '"\(.status)|\(.items.succeeded)|\(.items.failed)"')"
jget "$T/survey.json" '.items.failures[0].error' | grep -q "04_国民健康保険課.xlsx: 必須項目が空欄です: 担当者" ||
	fail "no reason for the bad workbook: $(jget "$T/survey.json" '.items.failures[0].error')"
grep -q "メールで届いた調査票: 3 通" "$T/survey.err" || fail "the three survey mails were not counted"
$PY - "$T/out/予算算定調査_集計表.xlsx" <<'PYEOF' || fail "the consolidated workbook is wrong"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
assert wb.sheetnames == ['集計', '戸籍住民課', '総務課', '財政課', '予算登録', '差戻し'], wb.sheetnames
files = [r[8] for r in wb['集計'].iter_rows(min_row=2, values_only=True)]
assert files == ['03_戸籍住民課.xlsx', '01_総務課.xlsx', '02_財政課.xlsx'], files
print('ok: the folder\'s workbook and the two mailed ones consolidated, under their decoded names')
PYEOF
md=$(maildir yosan@city.example.jp)
check "the other mail stays in INBOX" 1 "$(ls "$md/new" "$md/cur" | grep -c '^[0-9]')"
check "the survey mails are filed in 処理済" 3 "$(ls "$md/.&UeZ0Bm4I-/new" "$md/.&UeZ0Bm4I-/cur" | grep -c '^[0-9]')"
