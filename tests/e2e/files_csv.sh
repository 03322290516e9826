#!/bin/sh
# files_csv.sh - a Shift_JIS (CP932) CSV such as Japanese spreadsheets
# export, with quoted commas, doubled quotes, a line break inside a field,
# CP932-only characters (①, ㈱, 髙) and a blank line, read with csv.read and
# written back as UTF-8 with a byte order mark and as Shift_JIS; both are
# compared byte for byte with fixtures made here by printf and iconv.  Then
# an append, the file.* actions on the results, a write that cannot be
# encoded (it must fail naming the row and column and leave nothing), and
# exec running an outside converter, with a timeout that must stop the
# program and the children it started.
. "$(dirname "$0")/lib.sh"

command -v iconv >/dev/null || skip "iconv is not installed"
mkdir -p "$T/in"

# The source, as UTF-8 first; the last line has no line end.
printf '受付番号,氏名,住所,金額,備考\r\n0001,"山田, 太郎","札幌市中央区\r\n北1条西2丁目",１２００,"①㈱髙橋"\r\n0002,"O""Brien",東京都,3000,\r\n\r\n0003,髙橋 一郎,"say ""hi""",,ｶﾀｶﾅ' \
	> "$T/source.utf8"
iconv -f UTF-8 -t CP932 "$T/source.utf8" > "$T/in/申請.csv" ||
	fail "iconv cannot make the CP932 source"

# What csv.write must produce: minimal quoting, CRLF, the blank line gone.
printf '受付番号,氏名,住所,金額,備考\r\n0001,"山田, 太郎","札幌市中央区\r\n北1条西2丁目",１２００,①㈱髙橋\r\n0002,"O""Brien",東京都,3000,\r\n0003,髙橋 一郎,"say ""hi""",,ｶﾀｶﾅ\r\n' \
	> "$T/expect.utf8"
{ printf '\357\273\277'; cat "$T/expect.utf8"; } > "$T/expect_bom.csv"
iconv -f UTF-8 -t CP932 "$T/expect.utf8" > "$T/expect_sjis.csv" ||
	fail "iconv cannot make the CP932 fixture"
{ cat "$T/expect_sjis.csv"; printf '0004,追加,,10.5,\r\n' |
	iconv -f UTF-8 -t CP932; } > "$T/expect_appended.csv"

cat > "$T/convert.yaml" <<'Y'
name: convert_csv
params:
  dir: { type: path, required: true }
steps:
  - id: src
    csv.read: { path: "${params.dir}/in/申請.csv", encoding: shift_jis }
  - assert: { that: "${steps.src.output.count == 3}", message: "count ${steps.src.output.count}" }
  - assert: { that: "${steps.src.output.rows[0]['氏名'] == '山田, 太郎'}", message: "name ${steps.src.output.rows[0]['氏名']}" }
  - assert: { that: "${steps.src.output.rows[1]['氏名'] == 'O\"Brien'}", message: "quote ${steps.src.output.rows[1]['氏名']}" }
  - assert: { that: "${steps.src.output.columns[4] == '備考'}" }
  - csv.write:
      path: "${params.dir}/res/utf8_bom.csv"
      rows: "${steps.src.output.rows}"
      encoding: utf-8-bom
  - csv.write:
      path: "${params.dir}/res/sjis.csv"
      rows: "${steps.src.output.rows}"
      columns: "${steps.src.output.columns}"
      encoding: shift_jis
  - id: auto
    csv.read: { path: "${params.dir}/res/sjis.csv", encoding: auto }
  - assert: { that: "${steps.auto.output.rows[2]['住所'] == 'say \"hi\"'}" }
  - for_each: ${steps.src.output.rows}
    as: row
    steps:
      - file.write:
          path: "${params.dir}/res/notes/${row['受付番号']}.txt"
          content: "${row['氏名']}\n"
          encoding: cp932
Y
"$KOBITO" run "$T/convert.yaml" --param "dir=$T" --json > "$T/out" 2> "$T/err"
rc=$?
[ $rc -eq 0 ] || { cat "$T/err" "$T/out" >&2; fail "kobito run exited $rc"; }
check "status" succeeded "$(jget "$T/out" .status)"
check "items" 3 "$(jget "$T/out" .items.succeeded)"
cmp "$T/expect_bom.csv" "$T/res/utf8_bom.csv" ||
	fail "the UTF-8 BOM CSV differs from the fixture"
echo "ok: UTF-8 BOM CSV byte for byte"
cmp "$T/expect_sjis.csv" "$T/res/sjis.csv" ||
	fail "the Shift_JIS CSV differs from the fixture"
echo "ok: Shift_JIS CSV byte for byte"
check "a note in CP932" "髙橋 一郎" \
	"$(iconv -f CP932 -t UTF-8 "$T/res/notes/0003.txt")"

# --- append: no second header; the file's own header orders the columns ----
cat > "$T/append.yaml" <<'Y'
name: append_csv
params:
  file: { type: path, required: true }
steps:
  - csv.write:
      path: "${params.file}"
      rows: [{ 備考: null, 金額: 10.5, 住所: "", 氏名: "追加", 受付番号: "0004" }]
      encoding: shift_jis
      append: true
Y
"$KOBITO" run "$T/append.yaml" --param "file=$T/res/sjis.csv" > "$T/log" 2>&1 ||
	{ cat "$T/log" >&2; fail "the append failed"; }
cmp "$T/expect_appended.csv" "$T/res/sjis.csv" ||
	fail "the appended Shift_JIS CSV differs from the fixture"
echo "ok: appended row in the header's order, without a header"

# --- the file actions on the results ----------------------------------------
cat > "$T/files.yaml" <<'Y'
name: files
params:
  dir: { type: path, required: true }
steps:
  - id: notes
    file.list: "${params.dir}/res/notes/*.txt"
  - assert: { that: "${steps.notes.output | length == 3}" }
  - assert: { that: "${steps.notes.output[0].name == '0001.txt'}" }
  - id: all
    file.list: { pattern: "${params.dir}/res/**/*.csv" }
  - assert: { that: "${steps.all.output | length == 2}" }
  - file.mkdir: "${params.dir}/done"
  - file.copy: { from: "${params.dir}/res/sjis.csv", to: "${params.dir}/done/" }
  - file.move: { from: "${params.dir}/res/utf8_bom.csv", to: "${params.dir}/done/bom.csv" }
  - id: gone
    file.exists: "${params.dir}/res/utf8_bom.csv"
  - assert: { that: "${steps.gone.output == false}" }
  - id: text
    file.read: { path: "${params.dir}/done/bom.csv" }
  - assert: { that: "${steps.text.output | starts_with('受付番号,')}", message: "BOM not dropped" }
  - file.delete: "${params.dir}/res/notes/0002.txt"
  - file.delete: { path: "${params.dir}/res/notes/0002.txt", missing_ok: true }
Y
"$KOBITO" run "$T/files.yaml" --param "dir=$T" > "$T/log" 2>&1 ||
	{ cat "$T/log" >&2; fail "the file actions failed"; }
cmp "$T/res/sjis.csv" "$T/done/sjis.csv" || fail "file.copy changed the bytes"
cmp "$T/expect_bom.csv" "$T/done/bom.csv" || fail "file.move changed the bytes"
[ ! -e "$T/res/notes/0002.txt" ] || fail "file.delete left the file"
echo "ok: copy, move, list, read, delete"

# --- a character Shift_JIS lacks: the step fails and writes nothing ----------
cat > "$T/bad.yaml" <<'Y'
name: bad
params:
  dir: { type: path, required: true }
steps:
  - csv.write:
      path: "${params.dir}/bad/out.csv"
      rows: [{ id: "1", name: "ok" }, { id: "2", name: "絵文字😀" }]
      encoding: shift_jis
Y
"$KOBITO" run "$T/bad.yaml" --param "dir=$T" --json > "$T/out" 2> "$T/err"
check "an unencodable row fails the run" 1 $?
case $(jget "$T/out" .error) in
*"rows[1], column 'name': character '😀' (U+1F600)"*"no equivalent in shift_jis"*)
	echo "ok: the error names the row, column and character" ;;
*) fail "unexpected error: $(jget "$T/out" .error)" ;;
esac
[ ! -e "$T/bad/out.csv" ] || fail "a failed csv.write left a file"
[ -z "$(ls -A "$T/bad" 2>/dev/null)" ] || fail "a failed csv.write left $(ls -A "$T/bad")"
echo "ok: nothing written"

# --- exec: an outside converter, no shell; a timeout stops the whole group ---
cat > "$T/exec.yaml" <<'Y'
name: exec
params:
  dir: { type: path, required: true }
steps:
  - id: conv
    exec:
      argv: [iconv, -f, "${env.FROM_ENC}", -t, UTF-8, sjis.csv]
      cwd: "${params.dir}/done"
  - assert: { that: "${steps.conv.output.stdout | starts_with('受付番号,氏名')}" }
  - id: env
    exec: { argv: [sh, -c, 'printf "%s|%s" "$KOBITO_X" "$(cat)"'], env: { KOBITO_X: "値 1" }, stdin: "入力" }
  - assert: { that: "${steps.env.output.stdout == '値 1|入力'}", message: "got ${steps.env.output.stdout}" }
  - id: status
    exec: { argv: [sh, -c, "echo 問題 >&2; exit 3"], check: false }
  - assert: { that: "${steps.status.output.exit_code == 3 && steps.status.output.stderr == '問題\n'}" }
  - exec:
      argv: [sh, -c, 'sleep 30 & echo $! > "$1"; wait', sh, "${params.dir}/bg.pid"]
      timeout: 0.5
Y
FROM_ENC=CP932 "$KOBITO" run "$T/exec.yaml" --param "dir=$T" --json \
	> "$T/out" 2> "$T/err"
check "a program past its timeout fails the run" 1 $?
case $(jget "$T/out" .error) in
*"'sh' timed out after 0.5 s and was stopped"*) echo "ok: timeout reported" ;;
*) cat "$T/err" >&2; fail "unexpected error: $(jget "$T/out" .error)" ;;
esac
check "the steps before the timeout succeeded" 6 \
	"$(jget "$T/out" '[.steps[] | select(.status == "succeeded")] | length')"
bg=$(cat "$T/bg.pid")
[ -n "$bg" ] || fail "the background process did not start"
wait_for 20 sh -c "! kill -0 $bg" ||
	fail "the background child $bg of the timed-out program still runs"
echo "ok: the timed-out program's children were stopped too"
exit 0
