#!/bin/sh
# budget_survey.sh - the budget survey end to end.  The shipped template
# is what surveygen makes; xlsx.fill writes a department's answers into it
# keeping every other part of the archive byte for byte, the formats of
# the cells it fills, the formulas, the merged cells and the other sheet
# (openpyxl reads the result as a second opinion); then budget_survey.yaml
# consolidates the demo set (three good workbooks, an empty required cell,
# a total typed over its formula that does not add up, a file that is no
# workbook), and budget_entry.yaml types the consolidated lines into the
# stand-in finance system's budget screen: nobody re-types a figure.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
GEN="$FIXTURES/surveygen"
[ -x "$GEN" ] || fail "$GEN is not built"
$PY -c 'import openpyxl' 2>/dev/null || fail "python3-openpyxl is needed (make deps)"
TEMPLATE="$KOBITO_TOP/scripts/templates/予算算定調査票.xlsx"

# --- 1. the shipped template is the generator's ---------------------------------
"$GEN" -t "$T/template.xlsx" || fail "surveygen -t failed"
$PY - "$TEMPLATE" "$T/template.xlsx" <<'PYEOF' || fail "the shipped template differs from what surveygen makes"
import sys, zipfile
a, b = (zipfile.ZipFile(p) for p in sys.argv[1:3])
assert sorted(a.namelist()) == sorted(b.namelist()), (a.namelist(), b.namelist())
for n in a.namelist():
    assert a.read(n) == b.read(n), n
PYEOF
echo "ok: the shipped template is surveygen's"

# --- 2. xlsx.fill into the template ------------------------------------------------
cat > "$T/fill.yaml" <<Y
name: fill_survey
steps:
  - id: fill
    xlsx.fill:
      template: "$TEMPLATE"
      path: "$T/filled/総務課.xlsx"
      cells: { 局名: 総務局, 課名: 総務課, 担当者: 佐藤 花子, 内線: "2101", 提出日: "2024-10-15" }
      table:
        start: B9
        max_rows: 15
        columns: [事業名, コード, 前年度, 要求額]
        rows:
          - { 事業名: 庁舎維持管理事業, コード: "4100", 前年度: 1150000, 要求額: 1200000 }
          - { 事業名: "ＤＸ推進事業 <新規> & 拡充", コード: "4200", 前年度: 0, 要求額: 3500000 }
  - id: back
    xlsx.read:
      path: "\${steps.fill.output.path}"
      range: "A8:G23"
      merged: fill
      formulas: true
      cells: { 局名: 局名, 課名: 課名, 提出日: 提出日, 合計: 要求額合計 }
  - log: "\${json(steps.back.output.rows[0])}|\${json(steps.back.output.rows[1])}|\${json(steps.back.output.cells)}|\${steps.back.output.formulas.F9}"
Y
"$KOBITO" run "$T/fill.yaml" > "$T/fill.out" 2>&1 || { cat "$T/fill.out" >&2; fail "xlsx.fill failed"; }
check "filled values read back; formulas kept, their stale results dropped" \
	'{"No":1,"事業名":"庁舎維持管理事業","予算科目コード":"4100","前年度":1150000,"要求額":1200000,"増減":null,"説明":null}|{"No":2,"事業名":"ＤＸ推進事業 <新規> & 拡充","予算科目コード":"4200","前年度":0,"要求額":3500000,"増減":null,"説明":null}|{"局名":"総務局","課名":"総務課","提出日":"2024-10-15","合計":null}|E9-D9' \
	"$(grep '^  | ' "$T/fill.out" | sed 's/^  | //')"
$PY - "$TEMPLATE" "$T/filled/総務課.xlsx" <<'PYEOF' || fail "the filled workbook lost something of the template"
import sys, zipfile, struct, openpyxl
t, f = sys.argv[1:3]
zt, zf = zipfile.ZipFile(t), zipfile.ZipFile(f)
assert zt.namelist() == zf.namelist(), "members or their order changed"
def raw(path, z, name):
    i = z.getinfo(name)
    with open(path, 'rb') as fh:
        fh.seek(i.header_offset)
        h = fh.read(30)
        n, e = struct.unpack('<HH', h[26:30])
        fh.seek(i.header_offset + 30 + n + e)
        return fh.read(i.compress_size)
changed = []
for n in zt.namelist():
    if raw(t, zt, n) != raw(f, zf, n):
        changed.append(n)
assert sorted(changed) == ['xl/workbook.xml', 'xl/worksheets/sheet1.xml'], changed
print("ok: every other member byte for byte:", len(zt.namelist()) - 2)
wt, wf = openpyxl.load_workbook(t), openpyxl.load_workbook(f)
assert wt.sheetnames == wf.sheetnames == ['調査票', '記入要領']
a, b = wt['調査票'], wf['調査票']
assert sorted(map(str, a.merged_cells.ranges)) == sorted(map(str, b.merged_cells.ranges))
for row in range(1, 25):
    for col in range(1, 8):
        x, y = a.cell(row, col), b.cell(row, col)
        assert x.number_format == y.number_format, (x.coordinate, x.number_format, y.number_format)
        assert x.font.b == y.font.b and x.fill.fgColor.rgb == y.fill.fgColor.rgb, x.coordinate
        assert x.border.left.style == y.border.left.style, x.coordinate
        if isinstance(x.value, str) and x.value.startswith('='):
            assert x.value == y.value, (x.coordinate, x.value, y.value)
assert b['C3'].value == '総務局' and b['F3'].value == '総務課'
assert b['C5'].value.isoformat()[:10] == '2024-10-15', b['C5'].value
assert b['C5'].number_format == a['C5'].number_format and '年' in b['C5'].number_format
assert b['B10'].value == 'ＤＸ推進事業 <新規> & 拡充' and b['E10'].value == 3500000
assert b['E24'].value == '=SUM(E9:E23)' and b['F9'].value == '=E9-D9'
assert [c.value for c in wf['記入要領']['A']] == [c.value for c in wt['記入要領']['A']]
assert wf.calculation.fullCalcOnLoad, "not told to recalculate on opening"
print("ok: formats, merged cells, formulas, names and the other sheet kept")
PYEOF

cat > "$T/fillbad.yaml" <<Y
name: fill_bad
params:
  what: { type: string, required: true }
steps:
  - if: "\${params.what == 'formula'}"
    xlsx.fill: { template: "$TEMPLATE", path: "$T/bad.xlsx", cells: { 要求額合計: 100 } }
  - if: "\${params.what == 'overflow'}"
    xlsx.fill:
      template: "$TEMPLATE"
      path: "$T/bad.xlsx"
      table: { start: B9, max_rows: 2, rows: [[a], [b], [c]] }
  - if: "\${params.what == 'name'}"
    xlsx.fill: { template: "$TEMPLATE", path: "$T/bad.xlsx", cells: { 係名: x } }
Y
for w in "formula:cell E24 holds a formula; a template's formulas are not overwritten" \
	"overflow:3 rows do not fit the form's 2 lines" \
	"name:'係名' is neither a cell reference nor a name defined in the workbook"; do
	"$KOBITO" run "$T/fillbad.yaml" --param "what=${w%%:*}" > "$T/bad.out" 2>&1 && fail "${w%%:*}: no error"
	grep -qF "${w#*:}" "$T/bad.out" || { cat "$T/bad.out" >&2; fail "${w%%:*}: wrong error"; }
	[ ! -e "$T/bad.xlsx" ] || fail "${w%%:*}: a file was left behind"
	echo "ok: fill refuses: ${w#*:}"
done

# --- 3. consolidate the demo set -----------------------------------------------------
mkdir -p "$T/inbox" "$T/out"
"$GEN" -d "$T/inbox" || fail "surveygen -d failed"
mv "$T/inbox/truth.json" "$T/truth.json"
"$KOBITO" run "$KOBITO_TOP/scripts/budget_survey.yaml" --param "inbox=$T/inbox" \
	--param "out_dir=$T/out" --json > "$T/survey.json" 2> "$T/survey.err"
check "the run is partial: good ones in, bad ones out" partial "$(jget "$T/survey.json" .status)"
check "items" "3|3" "$(jget "$T/survey.json" '"\(.items.succeeded)|\(.items.failed)"')"
jget "$T/survey.json" '.items.failures[].error' > "$T/reasons"
grep -q "04_国民健康保険課.xlsx: 必須項目が空欄です: 担当者" "$T/reasons" || fail "no reason for the empty 担当者: $(cat "$T/reasons")"
grep -q "05_道路課.xlsx: 合計欄 16,800,000 円が明細の要求額の計 17,300,000 円と一致しません" "$T/reasons" || fail "no reason for the bad total"
grep -q "06_下水道課.xlsx: 調査票として読み取れません.*is not an Excel workbook" "$T/reasons" || fail "no reason for the broken file"
echo "ok: three workbooks sent back with their reasons"
$PY - "$T/out/予算算定調査_集計表.xlsx" "$T/truth.json" <<'PYEOF' || fail "the consolidated workbook is wrong"
import sys, json, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
truth = [t for t in json.load(open(sys.argv[2])) if t['ok']]
assert wb.sheetnames == ['集計'] + [t['section'] for t in truth] + ['予算登録', '差戻し'], wb.sheetnames
s = list(wb['集計'].iter_rows(values_only=True))
assert s[0] == ('局名', '課名', '担当者', '提出日', '件数', '前年度', '要求額', '増減', 'ファイル'), s[0]
for row, t in zip(s[1:], truth):
    assert row[1] == t['section'] and row[4] == t['lines'] and row[6] == t['requested'], (row, t)
assert wb['集計']['D2'].is_date and wb['集計']['G2'].number_format == '#,##0'
assert wb['集計']['A1'].font.b and wb['集計'].freeze_panes == 'A2'
e = list(wb['予算登録'].iter_rows(values_only=True))
assert e[0] == ('計上日', '事業名', '予算科目コード', '予算額', '備考')
assert len(e) - 1 == sum(t['lines'] for t in truth)
assert sum(r[3] for r in e[1:]) == sum(t['requested'] for t in truth)
d = list(wb['差戻し'].iter_rows(values_only=True))
assert [r[0] for r in d[1:]] == ['04_国民健康保険課.xlsx', '05_道路課.xlsx', '06_下水道課.xlsx'], d
print("ok: summary, a sheet per department, 9 lines for entry, 3 sent back")
PYEOF

# --- 4. hand the lines to budget_entry.yaml: into the finance screen -------------
APP="$FIXTURES/legacy_finance"
[ -x "$APP" ] || fail "$APP is not built"
start_xvfb
# lib/finance_entry.yaml finds the screen's fields on the accessibility bus.
start_a11y
export GTK_IM_MODULE=gtk-im-context-simple
DISPLAY=$DISPLAY_NUM "$APP" --screen budget --out "$T/budget.csv" 2>>"$T/app.log" &
app_pid=$!
at_exit "kill $app_pid 2>/dev/null"
"$KOBITO" run "$KOBITO_TOP/scripts/budget_entry.yaml" --display "$DISPLAY_NUM" \
	--param "input=$T/out/予算算定調査_集計表.xlsx" --param method=paste --json > "$T/entry.json" 2> "$T/entry.err" ||
	{ tail -n 20 "$T/entry.err" >&2; fail "budget_entry on the consolidated workbook failed"; }
check "every consolidated line entered" "9|0" "$(jget "$T/entry.json" '"\(.items.succeeded)|\(.items.failed)"')"
tail -n +2 "$T/out/予算登録.csv" | tr -d '\r' | cut -d, -f1-4 > "$T/want"
cut -d, -f1-4 "$T/budget.csv" | tr -d '\r' > "$T/got"
cmp "$T/want" "$T/got" || { diff "$T/want" "$T/got" >&2; fail "the budget screen does not hold the consolidated lines"; }
echo "ok: the budget screen holds the 9 consolidated lines, typed by nobody"
