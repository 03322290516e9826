#!/bin/sh
# bench/office.sh - office documents: a 100,000-row x 10-column workbook
# read and written back as a new workbook, kobito against Python's
# openpyxl (Debian's python3-openpyxl) on the same file, back to back.
#
# The input is written by openpyxl (shared strings, dates, numbers,
# booleans, Japanese text), BENCH_OFFICE_ROWS rows (default 100000).
# kobito: one `kobito run` of xlsx.read (the data rows as lists, as
# openpyxl's values_only gives them) then xlsx.write (the header, dates as
# dates).  The peer:
# load_workbook() and a new Workbook() as a script would use them
# ("default"), and again in openpyxl's read_only / write_only modes
# ("fast"), which trade features for memory.  Times are wall clock and
# CPU seconds (user + system): on a machine shared with other work the
# clock is noisy, CPU time less so, and the speed goal is checked on it.
# Peak memory is the maximum resident set (GNU time).  Both outputs are checked:
# the same number of rows, the same last row.
#
# Goal: kobito at least 5x as fast as openpyxl's default mode (in CPU
# time), in at most a quarter of its memory; the bench fails when either
# is missed.
#
# Mail: BENCH_OFFICE_MAILS messages (default 1000; Japanese mails in
# ISO-2022-JP, UTF-8 and Shift_JIS, every fourth with a 20 KB PDF) are
# delivered into a local Dovecot (tools/mailserver.sh, over LMTP), then
# fetched over IMAPS by one mail.fetch step (decoded, attachments saved)
# and, back to back, by the peer: Python's imaplib and email package
# doing the same (one UID FETCH BODY.PEEK[] per message, headers and body
# decoded, attachments saved).  Goal: kobito needs no more CPU time per
# message than the peer.
#
# Prints one line (details on stderr):
# bench office: rows=... kobito_s=... kobito_cpu_s=... kobito_rss_mb=...
#   openpyxl_s=... openpyxl_cpu_s=... openpyxl_rss_mb=... speed_ratio=...
#   cpu_ratio=... memory_ratio=... openpyxl_fast_s=... openpyxl_fast_cpu_s=...
#   openpyxl_fast_rss_mb=... cpu_ratio_fast=... imap_msgs=...
#   imap_msgs_per_s=... imap_cpu_s=... imap_python_msgs_per_s=...
#   imap_python_cpu_s=... imap_cpu_ratio=...
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${KOBITO_BIN:-$TOP/bin}
ROWS=${BENCH_OFFICE_ROWS:-100000}
PY=/usr/bin/python3
TMP=$(mktemp -d "${TMPDIR:-/var/tmp}/kobito-bench-office.XXXXXX")
trap 'sh "$TOP/tools/mailserver.sh" stop "$TMP/mail"; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
say() { echo "bench office: $*" >&2; }
[ -x /usr/bin/time ] || { echo "bench office: GNU time is needed (make deps)" >&2; exit 1; }
$PY -c 'import openpyxl' || { echo "bench office: python3-openpyxl is needed (make deps)" >&2; exit 1; }

cat > "$TMP/gen.py" <<'PYEOF'
import sys, datetime, openpyxl
n = int(sys.argv[2])
wb = openpyxl.Workbook(write_only=True)
ws = wb.create_sheet('明細')
ws.append(['番号', '計上日', '取引先', '科目コード', '金額', '数量', '確認', '摘要', '区分', '単価'])
base = datetime.date(2024, 4, 1)
names = ['株式会社さくら商事', '有限会社やまと', '合同会社みなと設備', '東西印刷株式会社', '田中文具店']
for i in range(1, n + 1):
    ws.append([i, base + datetime.timedelta(days=i % 365), names[i % 5] + str(i % 997),
               '%04d' % (4000 + i % 900), i * 1.25, i % 50, i % 2 == 0, '摘要 第%d号' % i,
               '区分%d' % (i % 7), (i % 1000) / 8])
wb.save(sys.argv[1])
PYEOF
cat > "$TMP/peer.py" <<'PYEOF'
import sys, openpyxl
src, dst, mode = sys.argv[1:4]
if mode == 'default':
    rows = [list(r) for r in openpyxl.load_workbook(src).active.iter_rows(values_only=True)]
    out = openpyxl.Workbook(); ws = out.active; ws.title = '明細'
else:
    rows = [list(r) for r in openpyxl.load_workbook(src, read_only=True).active.iter_rows(values_only=True)]
    out = openpyxl.Workbook(write_only=True); ws = out.create_sheet('明細')
for r in rows:
    ws.append(r)
out.save(dst)
PYEOF
cat > "$TMP/copy.yaml" <<'Y'
name: bench_office
params:
  input: { type: path, required: true }
  output: { type: path, required: true }
steps:
  - id: r
    xlsx.read: { path: "${params.input}", range: "A2:J1048576", header: false }
  - xlsx.write:
      path: "${params.output}"
      sheet: 明細
      rows: "${steps.r.output.rows}"
      columns: [番号, { name: 計上日, type: date }, 取引先, { name: 科目コード, type: string }, 金額, 数量, 確認, 摘要, 区分, 単価]
Y
cat > "$TMP/check.py" <<'PYEOF'
import sys, openpyxl
for p in sys.argv[2:]:
    rows = list(openpyxl.load_workbook(p, read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == int(sys.argv[1]) + 1, (p, len(rows))
    last = rows[-1]
    assert last[0] == int(sys.argv[1]) and last[4] == int(sys.argv[1]) * 1.25, (p, last)
PYEOF

say "writing $ROWS rows x 10 columns with openpyxl"
$PY "$TMP/gen.py" "$TMP/in.xlsx" "$ROWS"
measure() {	# measure OUTFILE COMMAND...: "seconds cpu-seconds kb" of one run
	_o=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$_o" "$@" >/dev/null 2>"$_o.err" ||
		{ cat "$_o.err" >&2; exit 1; }
	awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$_o"
}
set -- $(measure "$TMP/k.time" "$BIN/kobito" run "$TMP/copy.yaml" \
	--param "input=$TMP/in.xlsx" --param "output=$TMP/k.xlsx")
k_s=$1 k_cpu=$2 k_kb=$3
say "kobito: ${k_s}s (${k_cpu}s CPU), $((k_kb / 1024)) MB"
set -- $(measure "$TMP/p.time" $PY "$TMP/peer.py" "$TMP/in.xlsx" "$TMP/p.xlsx" default)
p_s=$1 p_cpu=$2 p_kb=$3
say "openpyxl: ${p_s}s (${p_cpu}s CPU), $((p_kb / 1024)) MB"
set -- $(measure "$TMP/f.time" $PY "$TMP/peer.py" "$TMP/in.xlsx" "$TMP/f.xlsx" fast)
f_s=$1 f_cpu=$2 f_kb=$3
say "openpyxl read_only/write_only: ${f_s}s (${f_cpu}s CPU), $((f_kb / 1024)) MB"
$PY "$TMP/check.py" "$ROWS" "$TMP/k.xlsx" "$TMP/p.xlsx" "$TMP/f.xlsx" ||
	{ echo "bench office: the outputs differ from the input" >&2; exit 1; }

LINE=$(awk -v r="$ROWS" -v ks="$k_s" -v kc="$k_cpu" -v kk="$k_kb" \
	-v ps="$p_s" -v pc="$p_cpu" -v pk="$p_kb" -v fs="$f_s" -v fc="$f_cpu" \
	-v fk="$f_kb" 'BEGIN {
	printf "rows=%d kobito_s=%.2f kobito_cpu_s=%.2f kobito_rss_mb=%.0f", r, ks, kc, kk / 1024
	printf " openpyxl_s=%.2f openpyxl_cpu_s=%.2f openpyxl_rss_mb=%.0f", ps, pc, pk / 1024
	printf " speed_ratio=%.1f cpu_ratio=%.1f memory_ratio=%.2f", ps / ks, pc / kc, kk / pk
	printf " openpyxl_fast_s=%.2f openpyxl_fast_cpu_s=%.2f openpyxl_fast_rss_mb=%.0f cpu_ratio_fast=%.1f", fs, fc, fk / 1024, fc / kc }')
# --- IMAP: messages a second from the local Dovecot ----------------------------
MAILS=${BENCH_OFFICE_MAILS:-1000}
sh "$TOP/tools/mailserver.sh" start "$TMP/mail" bench@city.example.jp:bench-pass-2030 ||
	{ echo "bench office: the mail servers did not start" >&2; exit 1; }
. "$TMP/mail/env"
say "delivering $MAILS Japanese mails into Dovecot"
$PY - "$MAIL_LMTP_SOCKET" "$MAILS" "$TOP/tools/demo" <<'PYEOF'
import sys, smtplib, random
sys.path.insert(0, sys.argv[3])
from mailcompose import jis, word, b64lines, pct
sock, n = sys.argv[1], int(sys.argv[2])
r = random.Random(3)
pdf = b'%PDF-1.4\n' + bytes(r.randrange(256) for _ in range(20000))
lmtp = smtplib.LMTP(sock)
for i in range(n):
    if i % 3 == 0:
        subj = word('iso-2022-jp', jis('【請求書】第%d号 ㈱サンプル商事' % i))
        body = (b'Content-Type: text/plain; charset="iso-2022-jp"\r\n\r\n' +
                jis('いつもお世話になっております。\r\n請求書第%d号を送付します。\r\n' % i))
    elif i % 3 == 1:
        subj = word('UTF-8', ('見積書の件 %d' % i).encode())
        body = ('Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n'
                % b64lines(('見積書をお送りします。%d\n' % i).encode() * 20)).encode()
    else:
        subj = word('Shift_JIS', ('請求書送付のお知らせ %d' % i).encode('cp932'))
        body = ('Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n'
                % b64lines('請求書を送付します。\r\n'.encode('cp932'))).encode()
    att = b''
    if i % 4 == 0:
        att = ('--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; '
               'filename*=UTF-8\'\'%s\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n'
               % (pct(('請求書_%04d.pdf' % i).encode()), b64lines(pdf))).encode()
    head = ('From: %s <vendor%d@torihiki.example.co.jp>\r\nTo: bench@city.example.jp\r\n'
            'Subject: %s\r\nDate: Wed, 15 May 2024 10:20:30 +0900\r\n'
            'Message-ID: <b%d@torihiki.example.co.jp>\r\nMIME-Version: 1.0\r\n'
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            % (word('UTF-8', ('取引先%d' % i).encode()), i, subj, i)).encode()
    lmtp.sendmail('vendor@torihiki.example.co.jp', ['bench@city.example.jp'], head + body + b'\r\n' + att + b'--b--\r\n')
lmtp.quit()
PYEOF
printf 'mail_password:\n  value: bench-pass-2030\n  allow: [localhost]\n' > "$TMP/secrets.yaml"
chmod 600 "$TMP/secrets.yaml"
cat > "$TMP/fetch.yaml" <<Y
name: bench_imap
steps:
  - id: f
    mail.fetch:
      server: "imaps://localhost:$MAIL_IMAPS_PORT"
      user: bench@city.example.jp
      password: "\${secrets.mail_password}"
      ca_file: "$MAIL_CA"
      limit: $MAILS
      save_to: "$TMP/att-kobito"
Y
cat > "$TMP/imap_peer.py" <<'PYEOF'
import sys, os, ssl, imaplib, email, email.policy
port, ca, out = sys.argv[1:4]
m = imaplib.IMAP4_SSL('localhost', int(port), ssl_context=ssl.create_default_context(cafile=ca))
m.login('bench@city.example.jp', 'bench-pass-2030')
m.select('INBOX')
n = 0
for u in m.uid('SEARCH', None, 'ALL')[1][0].split():
    msg = email.message_from_bytes(m.uid('FETCH', u, '(BODY.PEEK[])')[1][0][1], policy=email.policy.default)
    fields = (str(msg['subject']), str(msg['from']), str(msg['to']), str(msg['date']), msg['message-id'])
    body = msg.get_body(('plain', 'html'))
    text = body.get_content() if body else ''
    for a in msg.iter_attachments():
        os.makedirs('%s/%s' % (out, u.decode()), exist_ok=True)
        with open('%s/%s/%s' % (out, u.decode(), a.get_filename()), 'wb') as f:
            f.write(a.get_content())
    n += 1
m.logout()
assert n == int(sys.argv[4]), n
PYEOF
# Dovecot indexes new mail on its first look: give it that before timing.
$PY "$TMP/imap_peer.py" "$MAIL_IMAPS_PORT" "$MAIL_CA" "$TMP/att-warm" "$MAILS"
set -- $(measure "$TMP/m.time" "$BIN/kobito" run "$TMP/fetch.yaml" --secrets "$TMP/secrets.yaml")
m_s=$1 m_cpu=$2
got=$(find "$TMP/att-kobito" -name '*.pdf' | wc -l)
[ "$got" -eq $(( (MAILS + 3) / 4 )) ] ||
	{ echo "bench office: mail.fetch saved $got PDFs, not $(( (MAILS + 3) / 4 ))" >&2; exit 1; }
say "mail.fetch: $MAILS messages in ${m_s}s (${m_cpu}s CPU)"
set -- $(measure "$TMP/q.time" $PY "$TMP/imap_peer.py" "$MAIL_IMAPS_PORT" "$MAIL_CA" "$TMP/att-python" "$MAILS")
q_s=$1 q_cpu=$2
say "Python imaplib + email: $MAILS messages in ${q_s}s (${q_cpu}s CPU)"
LINE="$LINE $(awk -v n="$MAILS" -v ms="$m_s" -v mc="$m_cpu" -v qs="$q_s" -v qc="$q_cpu" 'BEGIN {
	printf "imap_msgs=%d imap_msgs_per_s=%.0f imap_cpu_s=%.2f imap_python_msgs_per_s=%.0f imap_python_cpu_s=%.2f imap_cpu_ratio=%.1f", n, n / ms, mc, n / qs, qc, qc / mc }')"
echo "bench office: $LINE"
awk -v kc="$k_cpu" -v kk="$k_kb" -v pc="$p_cpu" -v pk="$p_kb" -v mc="$m_cpu" -v qc="$q_cpu" 'BEGIN {
	bad = 0
	if (mc > qc) { print "bench office: GOAL MISSED: mail.fetch needs " mc "s CPU for what Python does in " qc "s" > "/dev/stderr"; bad = 1 }
	if (pc / kc < 5) { print "bench office: GOAL MISSED: kobito is " pc / kc "x as fast as openpyxl (CPU), not 5x" > "/dev/stderr"; bad = 1 }
	if (kk / pk > 0.25) { print "bench office: GOAL MISSED: kobito needs " kk / pk " of openpyxl memory, not 1/4" > "/dev/stderr"; bad = 1 }
	exit bad }'
