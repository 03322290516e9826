#!/bin/sh
# xlsx_read.sh - xlsx.read against workbooks written the way Excel writes
# them (XML put together here part by part: shared strings with rich-text
# runs and furigana, inline strings, shared formulas with cached values,
# era and 年月日 date formats, merged title cells, a hidden row and a
# hidden sheet, defined names), one from openpyxl, one in the 1904 date
# system, a legacy .xls from xlwt; then bad input: a corrupt zip, a file
# that is no workbook, a password-protected workbook, zip bombs (a part
# declaring 3.75 GB, a part lying about its size, a part past a lowered
# limit) and a missing sheet - each must fail with the file's name.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
$PY -c 'import openpyxl, xlwt' 2>/dev/null || fail "python3-openpyxl and python3-xlwt are needed (make deps)"

$PY - "$T" <<'PYEOF'
import sys, zipfile, struct, datetime
T = sys.argv[1]
CT = '''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'''
RELS = '''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'''
def workbook(date1904):
    return '''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr%s/><sheets><sheet name="表紙" sheetId="1" r:id="rId1"/><sheet name="明細" sheetId="2" r:id="rId2"/><sheet name="作業用" sheetId="3" state="hidden" r:id="rId3"/></sheets><definedNames><definedName name="合計額">明細!$E$9</definedName><definedName name="課名" localSheetId="0">表紙!$C$3</definedName></definedNames></workbook>''' % (' date1904="1"' if date1904 else '')
WBRELS = '''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet2.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet3.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'''
# cellXfs: 0 general, 1 date (14), 2 era (176), 3 datetime (22), 4 time (177), 5 #,##0 (3), 6 年月日 (31), 7 scientific (11)
STYLES = '''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2"><numFmt numFmtId="176" formatCode="[$-ja-JP-x-gannen]ggge&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/><numFmt numFmtId="177" formatCode="h:mm;@"/></numFmts><cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="8"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="176" applyNumberFormat="1"/><xf numFmtId="22" applyNumberFormat="1"/><xf numFmtId="177" applyNumberFormat="1"/><xf numFmtId="3" applyNumberFormat="1"/><xf numFmtId="31" applyNumberFormat="1"/><xf numFmtId="11" applyNumberFormat="1"/></cellXfs></styleSheet>'''
SST = '''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="9" uniqueCount="9"><si><t>令和6年度 予算算定調査票</t></si><si><t>課名</t></si><si><r><t>総務</t></r><r><rPr><b/></rPr><t>課</t></r><rPh sb="0" eb="2"><t>ソウム</t></rPh><phoneticPr fontId="1"/></si><si><t>事業名</t></si><si><t>数量</t></si><si><t>単価</t></si><si><t>金額</t></si><si><t>計上日</t></si><si><t xml:space="preserve"> 庁舎 &amp; 維持 </t></si></sst>'''
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
SHEET1 = '''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet %s><dimension ref="A1:F3"/><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="0"/><c r="C1"/></row><row r="3"><c r="B3" t="s"><v>1</v></c><c r="C3" t="s"><v>2</v></c></row><row r="4"><c r="B4" t="inlineStr"><is><t>提出日</t></is></c><c r="C4" s="2"><v>45383</v></c><c r="D4" s="6"><v>45383</v></c></row></sheetData><mergeCells count="1"><mergeCell ref="A1:F1"/></mergeCells></worksheet>''' % NS
SHEET2 = '''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet %s><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><r><t>明細</t></r><r><t>一覧</t></r></is></c></row>
<row r="3" spans="1:6"><c r="A3" t="s"><v>3</v></c><c r="B3" t="s"><v>4</v></c><c r="C3" t="s"><v>5</v></c><c r="D3" t="s"><v>6</v></c><c r="E3" t="s"><v>7</v></c><c r="F3" t="inlineStr"><is><t>確認</t></is></c></row>
<row r="4"><c r="A4" t="s"><v>8</v></c><c r="B4"><v>3</v></c><c r="C4" s="5"><v>1500.5</v></c><c r="D4"><f t="shared" ref="D4:D6" si="0">B4*C4</f><v>4501.5</v></c><c r="E4" s="1"><v>45383</v></c><c r="F4" t="b"><v>1</v></c></row>
<row r="5" hidden="1"><c r="A5" t="inlineStr"><is><t>隠れた行</t></is></c><c r="B5"><v>2</v></c><c r="C5"><v>10</v></c><c r="D5"><f t="shared" si="0"/><v>20</v></c><c r="E5" s="3"><v>45383.5</v></c><c r="F5" t="b"><v>0</v></c></row>
<row r="6"><c r="A6" t="str"><f>"DX"&amp;"推進"</f><v>DX推進</v></c><c r="B6"><v>-1E-3</v></c><c r="C6" s="7"><v>12345678901234</v></c><c r="D6"><f t="shared" si="0"/><v>-12345678901.234</v></c><c r="E6" s="4"><v>0.75</v></c><c r="F6" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>
<row r="7"><c r="A7" s="5"/><c r="B7" s="5"/></row>
<row r="8"><c r="A8" t="inlineStr"><is><t>結合</t></is></c><c r="E8" s="1"><v>1</v></c></row>
<row r="9"><c r="A9" t="inlineStr"><is><t>合計</t></is></c><c r="D9"><f>SUM(D4:D6)</f><v>-12345674379.734</v></c><c r="E9"><f>SUM($D$4:D6)+0</f></c></row>
</sheetData><mergeCells count="2"><mergeCell ref="A8:D8"/><mergeCell ref="B1:C2"/></mergeCells></worksheet>''' % NS
SHEET3 = '''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet %s><sheetData><row r="1"><c r="A1"><v>42</v></c></row></sheetData></worksheet>''' % NS
def book(path, date1904=False, extra=None):
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', CT)
        z.writestr('_rels/.rels', RELS)
        z.writestr('xl/workbook.xml', workbook(date1904))
        z.writestr('xl/_rels/workbook.xml.rels', WBRELS)
        z.writestr('xl/styles.xml', STYLES)
        z.writestr('xl/sharedStrings.xml', SST)
        z.writestr('xl/worksheets/sheet1.xml', SHEET1)
        z.writestr('xl/worksheets/sheet2.xml', SHEET2 if extra is None else extra)
        z.writestr('xl/worksheets/sheet3.xml', SHEET3)
book(T + '/survey.xlsx')
book(T + '/mac.xlsx', date1904=True)
# A big sheet for the limits: 2 MB of XML that deflates to almost nothing.
rows = ''.join('<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(1, 40001))
big = '<?xml version="1.0"?><worksheet %s><sheetData>%s</sheetData></worksheet>' % (NS, rows)
book(T + '/big.xlsx', extra=big)
# Bombs: patch the declared size of sheet2 (local header and central
# directory) to 3.75 GB, or to 100 bytes while it inflates to 2 MB.
def patch(src, dst, size):
    data = bytearray(open(src, 'rb').read())
    name = b'xl/worksheets/sheet2.xml'
    i = 0
    while True:
        i = data.find(name, i)
        if i < 0: break
        if data[i-30:i-26] == b'PK\x03\x04':
            struct.pack_into('<I', data, i - 30 + 22, size)
        elif data[i-46:i-42] == b'PK\x01\x02':
            struct.pack_into('<I', data, i - 46 + 24, size)
        i += 1
    open(dst, 'wb').write(data)
patch(T + '/big.xlsx', T + '/bomb.xlsx', 0xF0000000)
patch(T + '/big.xlsx', T + '/liar.xlsx', 100)
# A corrupt zip: the archive cut in half.
d = open(T + '/survey.xlsx', 'rb').read()
open(T + '/cut.xlsx', 'wb').write(d[:len(d) // 2])
open(T + '/notes.xlsx', 'wb').write('これは表ではありません\n'.encode())
# What Excel saves when a password is set: an OLE compound file whose
# directory holds EncryptionInfo and EncryptedPackage streams.
def dirent(name, typ, start=0xFFFFFFFE, size=0):
    n = (name + '\0').encode('utf-16-le')
    e = n.ljust(64, b'\0') + struct.pack('<HBB', len(n), typ, 1)
    e += struct.pack('<III', 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF) + b'\0' * 16 + b'\0' * 4 + b'\0' * 16
    return e + struct.pack('<IQ', start, size)
hdr = bytes.fromhex('D0CF11E0A1B11AE1') + b'\0' * 16 + struct.pack('<HHHHH', 0x3E, 3, 0xFFFE, 9, 6)
hdr += b'\0' * 6 + struct.pack('<IIIIIIII', 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE) + struct.pack('<I', 0)
hdr += struct.pack('<I', 0) + struct.pack('<108I', *([0xFFFFFFFF] * 108))
fat = struct.pack('<128I', *([0xFFFFFFFD, 0xFFFFFFFE] + [0xFFFFFFFF] * 126))
dirs = dirent('Root Entry', 5) + dirent('EncryptionInfo', 2) + dirent('EncryptedPackage', 2) + dirent('', 0)
open(T + '/locked.xlsx', 'wb').write(hdr.ljust(512, b'\0') + fat + dirs)
# A second producer: openpyxl.
import openpyxl
wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Data'
ws.append(['id', 'name', 'when', 'ok'])
ws.append([1, '山田', datetime.date(2019, 4, 30), True])
ws.append([2, '鈴木', datetime.datetime(2019, 5, 1, 9, 30), False])
wb.save(T + '/openpyxl.xlsx')
# A legacy .xls from xlwt.
import xlwt
wb = xlwt.Workbook(encoding='utf-8'); ws = wb.add_sheet('台帳')
for c, h in enumerate(['番号', '氏名', '金額', '日付']): ws.write(0, c, h)
ds = xlwt.easyxf(num_format_str='yyyy/mm/dd')
ws.write(1, 0, 1); ws.write(1, 1, '髙橋'); ws.write(1, 2, 12000.5); ws.write(1, 3, datetime.date(2024, 4, 1), ds)
ws.write(2, 0, 2); ws.write(2, 1, 'ｶﾀｶﾅ'); ws.write(2, 2, -3); ws.write(2, 3, datetime.date(1999, 12, 31), ds)
wb.add_sheet('空')
wb.save(T + '/legacy.xls')
PYEOF
[ -s "$T/legacy.xls" ] || fail "the fixtures were not made"

cat > "$T/read.yaml" <<'Y'
name: read_xlsx
params:
  dir: { type: path, required: true }
steps:
  - id: detail
    xlsx.read: { path: "${params.dir}/survey.xlsx", sheet: 明細, header_row: 3, formulas: true }
  - id: filled
    xlsx.read: { path: "${params.dir}/survey.xlsx", sheet: 2, header_row: 3, merged: fill, skip_hidden: true }
  - id: cover
    xlsx.read:
      path: "${params.dir}/survey.xlsx"
      cells: { title: A1, 課: 課名, 提出日: C4, 年月日: D4, total: 合計額, uncomputed: "明細!E9", nothing: Z99 }
      formulas: true
  - id: box
    xlsx.read: { path: "${params.dir}/survey.xlsx", sheet: 明細, range: "B4:C6", header: false }
  - id: all
    xlsx.read: { path: "${params.dir}/survey.xlsx", all_sheets: true, header: false }
  - id: mac
    xlsx.read: { path: "${params.dir}/mac.xlsx", cells: { a: "明細!E8", b: "表紙!C4" } }
  - id: op
    xlsx.read: { path: "${params.dir}/openpyxl.xlsx" }
  - id: xls
    xlsx.read: { path: "${params.dir}/legacy.xls", sheet: 台帳 }
  - log: "${json(steps.detail.output)}"
  - log: "${json(steps.filled.output.rows)}"
  - log: "${json(steps.cover.output.cells)}|${json(steps.cover.output.cell_formulas)}|${json(steps.cover.output.hidden_sheets)}"
  - log: "${json(steps.box.output.rows)}"
  - log: "${json(steps.all.output.sheets[2])}"
  - log: "${json(steps.mac.output.cells)}"
  - log: "${json(steps.op.output.rows)}"
  - log: "${json(steps.xls.output.rows)}|${json(steps.xls.output.sheet_names)}"
Y
"$KOBITO" run "$T/read.yaml" --param "dir=$T" > "$T/out" 2> "$T/err" ||
	{ cat "$T/out" "$T/err" >&2; fail "kobito run failed"; }
line() { grep '^  | ' "$T/out" | sed -n "${1}p" | sed 's/^  | //'; }

want='{"sheet":"明細","hidden":false,"rows":[{"事業名":" 庁舎 & 維持 ","数量":3,"単価":1500.5,"金額":4501.5,"計上日":"2024-04-01","確認":true},{"事業名":"隠れた行","数量":2,"単価":10,"金額":20,"計上日":"2024-04-01T12:00:00","確認":false},{"事業名":"DX推進","数量":-0.001,"単価":12345678901234,"金額":-12345678901.234,"計上日":"18:00:00","確認":"#DIV/0!"},{"事業名":"結合","数量":null,"単価":null,"金額":null,"計上日":"1900-01-01","確認":null},{"事業名":"合計","数量":null,"単価":null,"金額":-12345674379.734,"計上日":null,"確認":null}],"count":5,"columns":["事業名","数量","単価","金額","計上日","確認"],"hidden_rows":[5],"merged":["A8:D8","B1:C2"],"formulas":{"D4":"B4*C4","D5":"B5*C5","A6":"\"DX\"&\"推進\"","D6":"B6*C6","F6":"1/0","D9":"SUM(D4:D6)","E9":"SUM($D$4:D6)+0"},"sheet_names":["表紙","明細","作業用"],"hidden_sheets":["作業用"],"date1904":false}'
check "rows by header: types, rich text, dates, shared formulas, hidden row" "$want" "$(line 1)"
check "merged: fill repeats the top-left value; hidden rows left out" \
	'[{"事業名":" 庁舎 & 維持 ","数量":3,"単価":1500.5,"金額":4501.5,"計上日":"2024-04-01","確認":true},{"事業名":"DX推進","数量":-0.001,"単価":12345678901234,"金額":-12345678901.234,"計上日":"18:00:00","確認":"#DIV/0!"},{"事業名":"結合","数量":"結合","単価":"結合","金額":"結合","計上日":"1900-01-01","確認":null},{"事業名":"合計","数量":null,"単価":null,"金額":-12345674379.734,"計上日":null,"確認":null}]' \
	"$(line 2)"
check "named cells: reference, sheet-scoped and workbook names, era and 年月日 formats, furigana left out" \
	'{"title":"令和6年度 予算算定調査票","課":"総務課","提出日":"2024-04-01","年月日":"2024-04-01","total":null,"uncomputed":null,"nothing":null}|{"total":"SUM($D$4:D6)+0","uncomputed":"SUM($D$4:D6)+0"}|["作業用"]' \
	"$(line 3)"
check "a range without header: arrays" '[[3,1500.5],[2,10],[-0.001,12345678901234]]' "$(line 4)"
check "all sheets: the hidden one too" \
	'{"sheet":"作業用","hidden":true,"rows":[[42]],"count":1,"columns":[],"hidden_rows":[],"merged":[]}' "$(line 5)"
check "the 1904 date system" '{"a":"1904-01-02","b":"2028-04-02"}' "$(line 6)"
check "a workbook from openpyxl" \
	'[{"id":1,"name":"山田","when":"2019-04-30","ok":true},{"id":2,"name":"鈴木","when":"2019-05-01T09:30:00","ok":false}]' \
	"$(line 7)"
check "a legacy .xls through freexl" \
	'[{"番号":1,"氏名":"髙橋","金額":12000.5,"日付":"2024-04-01"},{"番号":2,"氏名":"ｶﾀｶﾅ","金額":-3,"日付":"1999-12-31"}]|["台帳","空"]' \
	"$(line 8)"

# --- bad input: a clear error naming the file, never a crash ----------------
bad() {	# bad DESCRIPTION FILE EXTRA-ARGS EXPECTED-SUBSTRING
	cat > "$T/bad.yaml" <<Y
name: bad_xlsx
steps:
  - xlsx.read: { path: "$T/$2" $3 }
Y
	"$KOBITO" run "$T/bad.yaml" > "$T/bad.out" 2>&1
	rc=$?
	[ $rc -eq 1 ] || { cat "$T/bad.out" >&2; fail "$1: exit $rc, not 1"; }
	grep -qF -- "$4" "$T/bad.out" || { cat "$T/bad.out" >&2; fail "$1: no '$4' in the error"; }
	echo "ok: $1"
}
bad "a corrupt zip" cut.xlsx "" "'$T/cut.xlsx' is not a workbook"
bad "not a workbook at all" notes.xlsx "" "'$T/notes.xlsx' is not an Excel workbook"
bad "a password-protected workbook" locked.xlsx "" "'$T/locked.xlsx' is a password-protected workbook"
bad "a part declaring 3.75 GB" bomb.xlsx ", sheet: 2" "sheet '明細' (xl/worksheets/sheet2.xml) would inflate to 4026531840 bytes, past the limit of 1073741824"
bad "a part inflating past its declared size" liar.xlsx ", sheet: 2" "'$T/liar.xlsx'"
bad "a part past a lowered limit" big.xlsx ", sheet: 2, max_inflated_mb: 1" "past the limit of 1048576 (a zip bomb?)"
bad "a missing sheet by name" survey.xlsx ", sheet: 予算" "'$T/survey.xlsx' has no sheet '予算' (its sheets: '表紙', '明細', '作業用')"
bad "a missing sheet by number" legacy.xls ", sheet: 3" "'$T/legacy.xls' has 2 sheets; there is no sheet 3"
bad "a missing file" nothere.xlsx "" "cannot open '$T/nothere.xlsx'"
bad "a bad range" survey.xlsx ", range: 'B5-H4'" "range must look like B5:H40"
bad "an empty header row" survey.xlsx ", sheet: 2, header_row: 2" "the header row 2 is empty"
bad "a repeated header name" survey.xlsx ", sheet: 2, header_row: 8, merged: fill" "sheet '明細' line 9: header cell B8 repeats the column name '結合'"
bad "a cell name that is nothing" survey.xlsx ", cells: { x: 合計 }" "is neither a cell reference nor a name defined"

# The big sheet still reads under the default limit, and stops early.
cat > "$T/big.yaml" <<Y
name: big_xlsx
steps:
  - id: r
    xlsx.read: { path: "$T/big.xlsx", sheet: 2, header: false }
  - id: c
    xlsx.read: { path: "$T/big.xlsx", sheet: 2, cells: { last: A40000 } }
  - log: "\${steps.r.output.count} \${steps.r.output.rows[-1][0]} \${steps.c.output.cells.last}"
Y
"$KOBITO" run "$T/big.yaml" > "$T/out" 2>&1 || { cat "$T/out" >&2; fail "the big sheet"; }
check "40,000 rows streamed" "40000 40000 40000" "$(line 1)"
