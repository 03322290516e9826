# mailgen.py - messages written the way Japanese mail clients write them,
# with what kobito must read out of each (truth.json).  Used by the mail
# end-to-end tests (python3 tests/e2e/mailgen.py OUTDIR); not a test.
#
#   a.eml  Outlook: ISO-2022-JP as CP50221 (①, ㈱, 髙 in subject, name and
#          body), filenames as RFC 2047 words inside quotes, base64 PDF
#   b.eml  Thunderbird: UTF-8, 8bit text, multipart/alternative with a
#          quoted-printable HTML part and an inline image (cid), an .xlsx
#          named by RFC 2231
#   c.eml  a Shift_JIS business system: subject split inside a character
#          across two encoded words, quoted-printable CP932 body, a PDF
#          named by RFC 2231 continuations in shift_jis, a CSV uuencoded
#          and named by an RFC 2047 word in Shift_JIS
#   d.eml  an HTML-only notice, Content-Transfer-Encoding: binary, no name
#          in From
#   e.eml  a meeting notice (matches no invoice search)
#   f.eml  a large message (for max_size_mb)
import base64, binascii, hashlib, json, os, quopri, random, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../tools/demo'))
from mailcompose import jis, word, b64lines, pct

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rnd = random.Random(14)


def blob(n, head=b''):
    return head + bytes(rnd.randrange(256) for _ in range(n))


truth = {}
files = {}


def keep(name, data):
    path = os.path.join(out, 'orig-' + name)
    with open(path, 'wb') as f:
        f.write(data)
    return {'sha256': hashlib.sha256(data).hexdigest(), 'size': len(data)}


# --- a: Outlook, ISO-2022-JP ---------------------------------------------
pdf_a = blob(3000, b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n')
subj_a = '【請求書】2024年5月分のご請求 ㈱サンプル商事①'
name_a = '株式会社サンプル商事 営業部 髙橋'
body_a = ('札幌市 会計課 御中\r\n\r\nいつもお世話になっております。\r\n'
          '㈱サンプル商事の髙橋です。\r\n5月分の請求書①を添付いたします。\r\n'
          '登録番号：T1234567890123\r\n')
fn_a = '請求書_2024年5月分.pdf'
a = ('From: %s <eigyo@torihiki.example.co.jp>\r\n'
     'To: %s <seikyu@city.example.jp>\r\n'
     'Subject: %s\r\n %s\r\n'
     'Date: Wed, 15 May 2024 10:20:30 +0900\r\n'
     'Message-ID: <A0001.outlook@torihiki.example.co.jp>\r\n'
     'MIME-Version: 1.0\r\n'
     'Content-Type: multipart/mixed;\r\n\tboundary="----=_NextPart_000_0001_01DAA6"\r\n'
     'X-Mailer: Microsoft Outlook 16.0\r\n'
     'Content-Language: ja\r\n\r\n'
     'This is a multi-part message in MIME format.\r\n\r\n'
     '------=_NextPart_000_0001_01DAA6\r\n'
     'Content-Type: text/plain;\r\n\tcharset="iso-2022-jp"\r\n'
     'Content-Transfer-Encoding: 7bit\r\n\r\n'
     ) % (word('iso-2022-jp', jis(name_a)), word('iso-2022-jp', jis('会計課')),
          word('iso-2022-jp', jis(subj_a[:10])), word('iso-2022-jp', jis(subj_a[10:])))
a = a.encode() + jis(body_a) + (
     '\r\n------=_NextPart_000_0001_01DAA6\r\n'
     'Content-Type: application/pdf;\r\n\tname="%s"\r\n'
     'Content-Transfer-Encoding: base64\r\n'
     'Content-Disposition: attachment;\r\n\tfilename="%s"\r\n\r\n%s\r\n\r\n'
     '------=_NextPart_000_0001_01DAA6--\r\n'
     % (word('iso-2022-jp', jis(fn_a)), word('iso-2022-jp', jis(fn_a)), b64lines(pdf_a))).encode()
files['a'] = a
truth['a'] = {
    'subject': subj_a, 'from': {'name': name_a, 'address': 'eigyo@torihiki.example.co.jp'},
    'to': [{'name': '会計課', 'address': 'seikyu@city.example.jp'}],
    'date': '2024-05-15T10:20:30+09:00', 'message_id': 'A0001.outlook@torihiki.example.co.jp',
    'text': body_a.replace('\r\n', '\n').rstrip('\n'), 'html': None, 'charset': 'iso-2022-jp',
    'attachments': [dict(filename=fn_a, content_type='application/pdf', inline=False, **keep('a.pdf', pdf_a))],
}

# --- b: Thunderbird, UTF-8 ------------------------------------------------
xlsx_b = blob(2500, b'PK\x03\x04')
png_b = blob(300, b'\x89PNG\r\n\x1a\n')
subj_b = 'Re: 見積書の件 〜 ご確認ください'
text_b = '山田様\n\nお見積りをお送りします。\n金額：１２３，４５６円\n'
html_b = '<html><body><p>山田様</p><p>お見積りを<b>お送り</b>します。</p><img src="cid:logo@torihiki"></body></html>'
fn_b = '見積書（第2版）.xlsx'
b = ('From: %s <hanako@torihiki.example.co.jp>\r\n'
     'To: kakari@city.example.jp\r\n'
     'Cc: %s <seikyu@city.example.jp>\r\n'
     'Reply-To: sales@torihiki.example.co.jp\r\n'
     'Subject: %s\r\n'
     'Date: Thu, 16 May 2024 01:02:03 +0000\r\n'
     'Message-ID: <b2c3-4d5e@torihiki.example.co.jp>\r\n'
     'In-Reply-To: <prev-1@city.example.jp>\r\n'
     'References: <root-0@city.example.jp> <prev-1@city.example.jp>\r\n'
     'User-Agent: Mozilla Thunderbird\r\n'
     'MIME-Version: 1.0\r\n'
     'Content-Type: multipart/mixed; boundary="------------mixB"\r\n\r\n'
     '--------------mixB\r\n'
     'Content-Type: multipart/alternative; boundary="------------altB"\r\n\r\n'
     '--------------altB\r\n'
     'Content-Type: text/plain; charset=UTF-8; format=flowed\r\n'
     'Content-Transfer-Encoding: 8bit\r\n\r\n'
     ) % (word('UTF-8', '山田 花子'.encode()), word('UTF-8', '会計課'.encode()),
          word('UTF-8', subj_b.encode()))
b = b.encode() + text_b.replace('\n', '\r\n').encode() + (
     '\r\n--------------altB\r\n'
     'Content-Type: multipart/related; boundary="------------relB"\r\n\r\n'
     '--------------relB\r\n'
     'Content-Type: text/html; charset=UTF-8\r\n'
     'Content-Transfer-Encoding: quoted-printable\r\n\r\n'
     ).encode() + quopri.encodestring(html_b.encode()).replace(b'\n', b'\r\n') + (
     '\r\n--------------relB\r\n'
     'Content-Type: image/png; name="logo.png"\r\n'
     'Content-Disposition: inline; filename="logo.png"\r\n'
     'Content-Id: <logo@torihiki>\r\n'
     'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n'
     '--------------relB--\r\n\r\n'
     '--------------altB--\r\n\r\n'
     '--------------mixB\r\n'
     'Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;\r\n'
     ' name*=UTF-8\'\'%s\r\n'
     'Content-Disposition: attachment;\r\n filename*=UTF-8\'\'%s\r\n'
     'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n\r\n'
     '--------------mixB--\r\n'
     % (b64lines(png_b), pct(fn_b.encode()),
        pct(fn_b.encode()), b64lines(xlsx_b))).encode()
files['b'] = b
truth['b'] = {
    'subject': subj_b, 'from': {'name': '山田 花子', 'address': 'hanako@torihiki.example.co.jp'},
    'to': [{'name': '', 'address': 'kakari@city.example.jp'}],
    'cc': [{'name': '会計課', 'address': 'seikyu@city.example.jp'}],
    'reply_to': {'name': '', 'address': 'sales@torihiki.example.co.jp'},
    'date': '2024-05-16T01:02:03+00:00', 'message_id': 'b2c3-4d5e@torihiki.example.co.jp',
    'in_reply_to': 'prev-1@city.example.jp', 'references': 'root-0@city.example.jp prev-1@city.example.jp',
    'text': text_b.rstrip('\n'), 'html': html_b, 'charset': 'UTF-8',
    'attachments': [
        dict(filename='logo.png', content_type='image/png', inline=True, content_id='logo@torihiki', **keep('b.png', png_b)),
        dict(filename=fn_b, content_type='application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
             inline=False, **keep('b.xlsx', xlsx_b)),
    ],
}

# --- c: a Shift_JIS business system ---------------------------------------
pdf_c = blob(1500, b'%PDF-1.5\n')
csv_c = '品名,数量,金額\r\nコピー用紙①,10,4500\r\n㈱トナー,2,12000\r\n'.encode('cp932')
subj_c = '請求書送付のお知らせ（㈱サンプル）'
raw_c = subj_c.encode('cp932')
cut = 7   # inside the fourth character: split as such systems do
name_c = '経理担当（㈱サンプル）'
body_c = '会計課 ご担当者様\r\n\r\n請求書①を送付します。\r\n合計金額：￥１６，５００\r\n'
fn_c = '御請求書_サンプル.pdf'
fn_c2 = '明細①.csv'
pc = pct(fn_c.encode('cp932'))
c = ('From: %s <keiri@torihiki.example.co.jp>\r\n'
     'To: seikyu@city.example.jp\r\n'
     'Subject: %s\r\n\t%s\r\n'
     'Date: Fri, 17 May 2024 09:00:00 +0900\r\n'
     'Message-Id: <20240517090000.C3@keiri.torihiki.example.co.jp>\r\n'
     'MIME-Version: 1.0\r\n'
     'Content-Type: multipart/mixed; boundary="=_c3c3c3"\r\n\r\n'
     '--=_c3c3c3\r\n'
     'Content-Type: text/plain; charset=Shift_JIS\r\n'
     'Content-Transfer-Encoding: quoted-printable\r\n\r\n'
     ) % (word('Shift_JIS', name_c.encode('cp932')), word('Shift_JIS', raw_c[:cut]),
          word('Shift_JIS', raw_c[cut:]))
c = c.encode() + quopri.encodestring(body_c.replace('\r\n', '\n').encode('cp932')).replace(b'\n', b'\r\n') + (
     '\r\n--=_c3c3c3\r\n'
     'Content-Type: application/pdf\r\n'
     'Content-Disposition: attachment;\r\n filename*0*=shift_jis\'ja\'%s;\r\n filename*1*=%s\r\n'
     'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n'
     '--=_c3c3c3\r\n'
     'Content-Type: text/csv; charset=Shift_JIS; name="%s"\r\n'
     'Content-Transfer-Encoding: x-uuencode\r\n\r\n'
     'begin 644 meisai.csv\r\n%s`\r\nend\r\n'
     '--=_c3c3c3--\r\n'
     % (pc[:len(pc) // 2 // 3 * 3], pc[len(pc) // 2 // 3 * 3:], b64lines(pdf_c),
        word('Shift_JIS', fn_c2.encode('cp932')),
        ''.join(binascii.b2a_uu(csv_c[i:i + 45]).decode().replace('\n', '\r\n')
                for i in range(0, len(csv_c), 45)))).encode()
files['c'] = c
truth['c'] = {
    'subject': subj_c, 'from': {'name': name_c, 'address': 'keiri@torihiki.example.co.jp'},
    'to': [{'name': '', 'address': 'seikyu@city.example.jp'}],
    'date': '2024-05-17T09:00:00+09:00', 'message_id': '20240517090000.C3@keiri.torihiki.example.co.jp',
    'text': body_c.replace('\r\n', '\n').rstrip('\n'), 'html': None, 'charset': 'Shift_JIS',
    'attachments': [
        dict(filename=fn_c, content_type='application/pdf', inline=False, **keep('c.pdf', pdf_c)),
        dict(filename=fn_c2, content_type='text/csv', inline=False, **keep('c.csv', csv_c)),
    ],
}

# --- d: HTML only, binary ---------------------------------------------------
html_d = ('<html><head><style>td{color:red}</style></head><body>'
          '<h2>電子請求書発行のお知らせ</h2><p>株式会社サンプル商事より請求書が発行されました。</p>'
          '<table><tr><th>請求番号</th><td>INV-000123</td></tr><tr><th>金額</th><td>55,000円</td></tr></table>'
          '<p>詳細は<a href="https://portal.torihiki.example.co.jp/inv/123">ポータル</a>でご確認ください。</p>'
          '</body></html>')
d = ('From: no-reply@portal.torihiki.example.co.jp\r\n'
     'To: seikyu@city.example.jp\r\n'
     'Subject: =?UTF-8?Q?=E3=80=90=E9=9B=BB=E5=AD=90=E8=AB=8B=E6=B1=82=E3=80=91?= '
     '=?UTF-8?Q?=E8=AB=8B=E6=B1=82=E6=9B=B8=E3=81=8C=E7=99=BA=E8=A1=8C=E3=81=95=E3=82=8C=E3=81=BE=E3=81=97=E3=81=9F?=\r\n'
     'Date: Sat, 18 May 2024 12:00:00 +0900\r\n'
     'Message-ID: <d4@portal.torihiki.example.co.jp>\r\n'
     'MIME-Version: 1.0\r\n'
     'Content-Type: text/html; charset="UTF-8"\r\n'
     'Content-Transfer-Encoding: binary\r\n\r\n').encode() + html_d.encode() + b'\r\n'
files['d'] = d
truth['d'] = {
    'subject': '【電子請求】請求書が発行されました',
    'from': {'name': '', 'address': 'no-reply@portal.torihiki.example.co.jp'},
    'to': [{'name': '', 'address': 'seikyu@city.example.jp'}],
    'date': '2024-05-18T12:00:00+09:00', 'message_id': 'd4@portal.torihiki.example.co.jp',
    'text': '電子請求書発行のお知らせ\n\n株式会社サンプル商事より請求書が発行されました。\n\n'
            '請求番号\tINV-000123\n金額\t55,000円\n\n'
            '詳細はポータル (https://portal.torihiki.example.co.jp/inv/123)でご確認ください。',
    'html': html_d, 'charset': 'UTF-8', 'attachments': [],
}

# --- e: not an invoice --------------------------------------------------------
e = ('From: %s <somu@other.example.jp>\r\nTo: seikyu@city.example.jp\r\n'
     'Subject: %s\r\nDate: Sun, 19 May 2024 08:00:00 +0900\r\n'
     'Message-ID: <e5@other.example.jp>\r\nMIME-Version: 1.0\r\n'
     'Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n'
     % (word('UTF-8', '総務'.encode()), word('UTF-8', '会議のご案内'.encode()),
        b64lines('来週の会議について。\n'.encode()))).encode()
files['e'] = e

# --- f: too large ----------------------------------------------------------------
big = blob(120000)
f = ('From: big@torihiki.example.co.jp\r\nTo: seikyu@city.example.jp\r\n'
     'Subject: %s\r\nDate: Sun, 19 May 2024 09:00:00 +0900\r\n'
     'Message-ID: <f6@torihiki.example.co.jp>\r\nMIME-Version: 1.0\r\n'
     'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n'
     % (word('UTF-8', '請求書（大きな添付）'.encode()), b64lines(big))).encode()
files['f'] = f

for k, v in files.items():
    with open(os.path.join(out, k + '.eml'), 'wb') as fh:
        fh.write(v)
with open(os.path.join(out, 'truth.json'), 'w') as fh:
    json.dump(truth, fh, ensure_ascii=False, indent=1)
