# invoicemail.py - the invoice mails businesses send the city, for the
# demo and the invoice_mail test:
#
#   python3 tools/demo/invoicemail.py KOBITO OUTDIR [SEED]
#
# draws each invoice with KOBITO (tools/demo/invoice_pdf.yaml), makes a
# scanned one image-only with Ghostscript, and writes OUTDIR/mail-N.eml
# as each business's mail program writes it, with OUTDIR/invoices.json:
# per mail, the sender and what invoice_mail.yaml must make of it
# ("entered" with the values, or "review" with the reason).
#
#   1  Outlook, ISO-2022-JP, a PDF with a text layer, 10% tax
#   2  Thunderbird, UTF-8, a scanned PDF (read by OCR), 8% tax
#   3  a Shift_JIS system, a workbook but no PDF: to review
#   4  UTF-8, a PDF whose registration number fails its check digit: to review
import json, os, random, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mailcompose import jis, word, b64lines, pct, regno

kobito, out = sys.argv[1], sys.argv[2]
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
rnd = random.Random(seed)
os.makedirs(out, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))


def render(name, inv):
    path = os.path.join(out, name)
    args = [kobito, 'run', '--quiet', os.path.join(here, 'invoice_pdf.yaml')]
    for k in ('no', 'date', 'vendor', 'reg_no', 'subtotal', 'rate'):
        args += ['--param', '%s=%s' % (k, inv[k])]
    subprocess.run(args + ['--param', 'path=' + path], check=True,
                   stdout=subprocess.DEVNULL)
    return path


def scan(src, name):
    path = os.path.join(out, name)
    subprocess.run(['gs', '-q', '-dSAFER', '-dBATCH', '-dNOPAUSE',
                    '-sDEVICE=pdfimage24', '-r200', '-o', path, src], check=True)
    return path


def n12():
    return ''.join(str(rnd.randrange(10)) for _ in range(12))


invoices = [
    dict(no='INV-%06d' % rnd.randrange(10 ** 6), date='2024-05-15',
         vendor='株式会社サンプル商事', reg_no=regno(n12()),
         subtotal=1000 * rnd.randrange(5, 90), rate=10),
    dict(no='YP-%04d-%02d' % (rnd.randrange(10 ** 4), rnd.randrange(100)),
         date='2024-05-20', vendor='有限会社やまと印刷', reg_no=regno(n12()),
         subtotal=1000 * rnd.randrange(5, 90), rate=8),
    None,
    dict(no='TZ-%05d' % rnd.randrange(10 ** 5), date='2024-05-22',
         vendor='東西商会株式会社', reg_no=None, subtotal=1000 * rnd.randrange(5, 90),
         rate=10),
]
# The fourth's registration number has a wrong check digit.
good = regno(n12())
invoices[3]['reg_no'] = 'T%d%s' % ((int(good[1]) + 1) % 10, good[2:])
for inv in invoices:
    if inv:
        inv['tax'] = round(inv['subtotal'] * inv['rate'] / 100)
        inv['total'] = inv['subtotal'] + inv['tax']

pdf1 = open(render('invoice-1.pdf', invoices[0]), 'rb').read()
pdf2 = open(scan(render('invoice-2-text.pdf', invoices[1]), 'invoice-2.pdf'), 'rb').read()
pdf4 = open(render('invoice-4.pdf', invoices[3]), 'rb').read()
xlsx = b'PK\x03\x04' + bytes(rnd.randrange(256) for _ in range(800))

mails = []

# 1: Outlook
fn = '請求書_%s.pdf' % invoices[0]['no']
m = ('From: %s <eigyo@torihiki.example.co.jp>\r\n'
     'To: %s <seikyu@city.example.jp>\r\n'
     'Subject: %s\r\n'
     'Date: Wed, 15 May 2024 10:20:30 +0900\r\n'
     'Message-ID: <000101daa6$1@torihiki.example.co.jp>\r\n'
     'MIME-Version: 1.0\r\n'
     'Content-Type: multipart/mixed;\r\n\tboundary="----=_NextPart_000_0001"\r\n'
     'X-Mailer: Microsoft Outlook 16.0\r\n\r\n'
     '------=_NextPart_000_0001\r\n'
     'Content-Type: text/plain;\r\n\tcharset="iso-2022-jp"\r\n'
     'Content-Transfer-Encoding: 7bit\r\n\r\n'
     % (word('iso-2022-jp', jis('株式会社サンプル商事 営業部 髙橋')),
        word('iso-2022-jp', jis('札幌市 会計課')),
        word('iso-2022-jp', jis('【請求書送付】2024年5月分 ㈱サンプル商事'))))
m = m.encode() + jis('札幌市 会計課 御中\r\n\r\n5月分の請求書を送付いたします。\r\nご査収のほどお願い申し上げます。\r\n') + (
    '\r\n------=_NextPart_000_0001\r\n'
    'Content-Type: application/pdf;\r\n\tname="%s"\r\n'
    'Content-Transfer-Encoding: base64\r\n'
    'Content-Disposition: attachment;\r\n\tfilename="%s"\r\n\r\n%s\r\n\r\n'
    '------=_NextPart_000_0001--\r\n'
    % (word('iso-2022-jp', jis(fn)), word('iso-2022-jp', jis(fn)), b64lines(pdf1))).encode()
mails.append(dict(mail=m, sender='eigyo@torihiki.example.co.jp', name='株式会社サンプル商事 営業部 髙橋',
                  subject='【請求書送付】2024年5月分 ㈱サンプル商事', outcome='entered', pdf=fn,
                  invoice=invoices[0]))

# 2: Thunderbird, the scan
fn = '御請求書（スキャン）.pdf'
m = ('From: %s <info@yamato-print.example.jp>\r\n'
     'To: seikyu@city.example.jp\r\n'
     'Subject: %s\r\n'
     'Date: Mon, 20 May 2024 15:00:00 +0900\r\n'
     'Message-ID: <7a1c-yamato@yamato-print.example.jp>\r\n'
     'User-Agent: Mozilla Thunderbird\r\n'
     'MIME-Version: 1.0\r\n'
     'Content-Type: multipart/mixed; boundary="------------yp2"\r\n\r\n'
     '--------------yp2\r\n'
     'Content-Type: text/plain; charset=UTF-8; format=flowed\r\n'
     'Content-Transfer-Encoding: 8bit\r\n\r\n'
     '札幌市 会計課 御中\r\n\r\n請求書をスキャンして送ります。\r\n\r\n'
     '--------------yp2\r\n'
     'Content-Type: application/pdf; name*=UTF-8\'\'%s\r\n'
     'Content-Disposition: attachment; filename*=UTF-8\'\'%s\r\n'
     'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n'
     '--------------yp2--\r\n'
     % (word('UTF-8', '有限会社やまと印刷'.encode()), word('UTF-8', '請求書送付のご案内'.encode()),
        pct(fn.encode()), pct(fn.encode()), b64lines(pdf2))).encode()
mails.append(dict(mail=m, sender='info@yamato-print.example.jp', name='有限会社やまと印刷',
                  subject='請求書送付のご案内', outcome='entered', pdf=fn, invoice=invoices[1]))

# 3: a Shift_JIS system, no PDF
fn = '請求明細.xlsx'
m = ('From: %s <keiri@minato.example.jp>\r\n'
     'To: seikyu@city.example.jp\r\n'
     'Subject: %s\r\n'
     'Date: Tue, 21 May 2024 09:30:00 +0900\r\n'
     'Message-ID: <20240521093000.3@minato.example.jp>\r\n'
     'MIME-Version: 1.0\r\n'
     'Content-Type: multipart/mixed; boundary="=_m3"\r\n\r\n'
     '--=_m3\r\n'
     'Content-Type: text/plain; charset=Shift_JIS\r\n'
     'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n'
     '--=_m3\r\n'
     'Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n'
     'Content-Disposition: attachment; filename*=shift_jis\'\'%s\r\n'
     'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n'
     '--=_m3--\r\n'
     % (word('Shift_JIS', '合同会社みなと設備 経理'.encode('cp932')),
        word('Shift_JIS', '請求明細の送付（①）'.encode('cp932')),
        b64lines('請求明細をお送りします。\r\n'.encode('cp932')),
        pct(fn.encode('cp932')), b64lines(xlsx))).encode()
mails.append(dict(mail=m, sender='keiri@minato.example.jp', name='合同会社みなと設備 経理',
                  subject='請求明細の送付（①）', outcome='review', reason='PDFの請求書が添付されていません'))

# 4: a registration number that does not check
fn = 'invoice_%s.pdf' % invoices[3]['no']
m = ('From: %s <sales@tozai.example.jp>\r\n'
     'To: seikyu@city.example.jp\r\n'
     'Subject: %s\r\n'
     'Date: Wed, 22 May 2024 11:00:00 +0900\r\n'
     'Message-ID: <tz-0004@tozai.example.jp>\r\n'
     'MIME-Version: 1.0\r\n'
     'Content-Type: multipart/mixed; boundary="b4"\r\n\r\n'
     '--b4\r\n'
     'Content-Type: text/plain; charset=UTF-8\r\n'
     'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n'
     '--b4\r\n'
     'Content-Type: application/pdf; name="%s"\r\n'
     'Content-Disposition: attachment; filename="%s"\r\n'
     'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n'
     '--b4--\r\n'
     % (word('UTF-8', '東西商会'.encode()), word('UTF-8', '請求書（5月分）'.encode()),
        b64lines('請求書を添付します。\n'.encode()), fn, fn, b64lines(pdf4))).encode()
mails.append(dict(mail=m, sender='sales@tozai.example.jp', name='東西商会',
                  subject='請求書（5月分）', outcome='review',
                  reason='登録番号 %s の検査数字が合いません' % invoices[3]['reg_no']))

for i, mm in enumerate(mails, 1):
    with open(os.path.join(out, 'mail-%d.eml' % i), 'wb') as f:
        f.write(mm.pop('mail'))
with open(os.path.join(out, 'invoices.json'), 'w') as f:
    json.dump(mails, f, ensure_ascii=False, indent=1)
