#!/bin/sh
# pdf_docs.sh - pdf.render draws a Japanese A4 payment notice (title,
# fields, a 70-row table over several pages with its header repeated,
# page numbers, a seal image); pdffonts must find every font embedded,
# and pdf.text must read the same Japanese back, page by page, with word
# boxes where the layout put them.  Then pdf.split and pdf.merge (qpdf)
# keep every page's text; a page made only of an image (as a scanner
# makes it, here by ghostscript) is reported as scanned; an encrypted PDF
# needs its password; a corrupt one fails with its name.
. "$(dirname "$0")/lib.sh"
command -v pdffonts >/dev/null || fail "pdffonts (poppler-utils) is needed (make deps)"
command -v gs >/dev/null || fail "ghostscript is needed (make deps)"

# A red seal, 64x64 PNG, and a scanned page: a grey image, no text.
/usr/bin/python3 - "$T" <<'PYEOF'
import sys, struct, zlib
T = sys.argv[1]
w = h = 64
raw = b''.join(b'\0' + b''.join(bytes([200, 0, 0, 255 if 24 < ((x-32)**2 + (y-32)**2) ** 0.5 < 30 else 0]) for x in range(w)) for y in range(h))
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
open(T + '/seal.png', 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
hexdata = ''.join('%02x' % ((x * 7 + y * 3) % 256) for y in range(40) for x in range(40))
open(T + '/scan.ps', 'w').write('%%!PS\n<< /PageSize [595 842] >> setpagedevice\n/DeviceGray setcolorspace\n50 300 translate 495 495 scale\n40 40 8 [40 0 0 -40 0 40] <%s> image\nshowpage\n' % hexdata)
PYEOF
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -o "$T/scan.pdf" "$T/scan.ps" ||
	fail "ghostscript cannot make the scanned page"
seq 1 70 | jq -s 'map([., "庁舎維持管理業務委託 第\(.)回", "\(. * 1000)円"])' > "$T/rows.json"
printf '%%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n' > "$T/broken.pdf"

cat > "$T/notice.yaml" <<'Y'
name: payment_notice
params:
  dir: { type: path, required: true }
steps:
  - id: rows
    file.read: "${params.dir}/rows.json"
  - id: doc
    pdf.render:
      path: "${params.dir}/docs/支払通知書.pdf"
      title: 支払通知書
      blocks:
        - text: "株式会社サンプル商事　御中"
          size: 12
        - text: "下記のとおりお支払いしましたので、ご通知いたします。"
        - fields: { 支払日: 令和6年5月31日, 支払金額: "¥2,485,000", 登録番号: T1234567890123 }
        - text: "札幌市財政局会計課"
          align: right
        - image: "${params.dir}/seal.png"
          width: 18
          align: right
          overlay: true
        - table:
            columns: [ { name: 番号, width: 15 }, { name: 件名 }, { name: 金額, width: 35, align: right } ]
            rows: "${from_json(steps.rows.output)}"
        - text: "以上"
          align: right
  - id: text
    pdf.text: { path: "${steps.doc.output.path}", positions: true }
  - id: info
    pdf.info: "${steps.doc.output.path}"
  - id: split
    pdf.split: { path: "${steps.doc.output.path}", output: "${params.dir}/pages/p-{n:02}.pdf" }
  - id: merged
    pdf.merge:
      inputs: "${steps.split.output.files + [params.dir + '/scan.pdf']}"
      path: "${params.dir}/docs/merged.pdf"
  - id: mtext
    pdf.text: "${steps.merged.output.path}"
  - id: p2
    pdf.text: { path: "${params.dir}/docs/merged.pdf", pages: [2] }
  - log: "${steps.doc.output.page_count} ${steps.info.output.page_count} ${steps.info.output.title} ${json(steps.info.output.pages[0])}"
  - log: "${json(steps.text.output.pages[0].words[0])}"
  - log: "${steps.merged.output.page_count} ${json(steps.mtext.output.scanned_pages)} ${json(steps.mtext.output.pages_without_text)} ${steps.mtext.output.pages[-1].scanned}"
  - log: "${steps.mtext.output.text == steps.text.output.text + '\f'}"
  - log: "${json(steps.split.output.files)}"
  - log: "${steps.p2.output.pages[0].page} ${steps.p2.output.pages[0].text == steps.text.output.pages[1].text}"
Y
"$KOBITO" run "$T/notice.yaml" --param "dir=$T" > "$T/out" 2>&1 ||
	{ tail -n 30 "$T/out" >&2; fail "the notice run failed"; }
line() { grep '^  | ' "$T/out" | sed -n "${1}p" | sed 's/^  | //'; }

pages=$(line 1 | cut -d' ' -f1)
[ "$pages" -ge 3 ] || fail "70 rows should take 3 or more pages, not $pages"
check "pdf.info: pages, title, A4 in points" "$pages $pages 支払通知書 {\"width\":595.3,\"height\":841.9}" "$(line 1)"
# The title is centred on the page: its box's middle is the page's.
title=$(line 2)
check "the title word" "支払通知書" "$(echo "$title" | jq -r .text)"
mid=$(echo "$title" | jq '(.x + .width / 2) | round')
[ "$mid" -ge 296 ] && [ "$mid" -le 299 ] || fail "the title is not centred: middle at $mid"
echo "ok: the title's box is centred ($mid pt)"

# Every font embedded (a subset), with a Unicode map.
pdffonts "$T/docs/支払通知書.pdf" > "$T/fonts" || fail "pdffonts failed"
cat "$T/fonts"
nfonts=$(tail -n +3 "$T/fonts" | wc -l)
[ "$nfonts" -ge 1 ] || fail "no fonts in the PDF"
check "every font embedded with ToUnicode" "$nfonts" \
	"$(tail -n +3 "$T/fonts" | awk '$(NF-4) == "yes" && $(NF-2) == "yes"' | grep -c NotoSansCJK)"

# The same Japanese back from the text layer.
cat > "$T/text.yaml" <<Y
name: text
steps:
  - id: t
    pdf.text: "$T/docs/支払通知書.pdf"
  - file.write: { path: "$T/text.txt", content: "\${steps.t.output.text}" }
Y
"$KOBITO" run "$T/text.yaml" > "$T/text.out" 2>&1 || { cat "$T/text.out" >&2; fail "pdf.text"; }
for want in 支払通知書 "株式会社サンプル商事" "下記のとおりお支払いしましたので、ご通知いたします。" \
	令和6年5月31日 "¥2,485,000" T1234567890123 札幌市財政局会計課 以上 \
	"庁舎維持管理業務委託 第1回" "庁舎維持管理業務委託 第70回" "70000円"; do
	grep -qF "$want" "$T/text.txt" || fail "'$want' is not in the text layer"
done
echo "ok: the Japanese text comes back from the text layer"
# The header on every page, and "n / N" at each foot.
cat > "$T/pages.yaml" <<Y
name: pages
steps:
  - id: t
    pdf.text: "$T/docs/支払通知書.pdf"
  - for_each: \${steps.t.output.pages}
    as: p
    steps:
      - assert: { that: "\${contains(p.text, '番号') and contains(p.text, '件名') and contains(p.text, '金額')}", message: "no header on page \${p.page}" }
      - assert: { that: "\${contains(replace(p.text, ' ', ''), p.page + '/' + $pages)}", message: "no page number on page \${p.page}" }
      - assert: { that: "\${not p.scanned}" }
Y
"$KOBITO" run "$T/pages.yaml" > "$T/pages.out" 2>&1 || { cat "$T/pages.out" >&2; fail "header or page number missing"; }
echo "ok: the table header and 'n / $pages' on each of the $pages pages"
# Rows are neither lost nor doubled across the page breaks.
n=$(grep -o '庁舎維持管理業務委託 第[0-9]*回' "$T/text.txt" | sort -u | wc -l)
check "no row twice" 70 "$(grep -o '庁舎維持管理業務委託 第[0-9]*回' "$T/text.txt" | wc -l)"
check "70 distinct rows in the text" 70 "$n"

check "merged: the pages and the scan; the scan has no text layer" \
	"$((pages + 1)) [$((pages + 1))] [$((pages + 1))] true" "$(line 3)"
check "merged pages keep their text exactly" "true" "$(line 4)"
check "split file names" "$(seq 1 "$pages" | while read -r i; do printf '"%s/pages/p-%02d.pdf"\n' "$T" "$i"; done | paste -sd, | sed 's/^/[/; s/$/]/')" "$(line 5)"
check "one page by number" "2 true" "$(line 6)"

# --- encrypted and broken files ------------------------------------------------
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -sOwnerPassword=owner -sUserPassword=s3cretPW \
	-o "$T/locked.pdf" "$T/pages/p-01.pdf" || fail "ghostscript cannot encrypt"
cat > "$T/bad.yaml" <<Y
name: bad_pdf
params:
  file: { type: string, required: true }
  pw: { type: string, default: "" }
steps:
  - id: t
    pdf.text: { path: "\${params.file}", password: "\${params.pw == '' ? null : params.pw}" }
  - log: "\${steps.t.output.pages[0].text | substr(0, 5)}"
Y
bad() {	# bad DESCRIPTION FILE PW EXPECTED
	"$KOBITO" run "$T/bad.yaml" --param "file=$2" --param "pw=$3" > "$T/bad.out" 2>&1
	rc=$?
	[ $rc -eq 1 ] || { cat "$T/bad.out" >&2; fail "$1: exit $rc, not 1"; }
	grep -qF -- "$4" "$T/bad.out" || { cat "$T/bad.out" >&2; fail "$1: no '$4'"; }
	echo "ok: $1"
}
bad "an encrypted PDF without its password" "$T/locked.pdf" "" "'$T/locked.pdf' is a password-protected PDF (give password)"
bad "with a wrong password" "$T/locked.pdf" wrong "the password given does not open it"
bad "a broken PDF" "$T/broken.pdf" "" "cannot read the PDF '$T/broken.pdf'"
bad "no such file" "$T/none.pdf" "" "cannot read the PDF '$T/none.pdf'"
"$KOBITO" run "$T/bad.yaml" --param "file=$T/locked.pdf" --param "pw=s3cretPW" > "$T/ok.out" 2>&1 ||
	{ cat "$T/ok.out" >&2; fail "the right password does not open it"; }
check "the right password opens it" "支払通知書" "$(grep '^  | ' "$T/ok.out" | sed 's/^  | //')"
grep -q "s3cretPW" "$T/ok.out" && fail "the password shows in the log"
echo "ok: the password is masked"
