#!/bin/sh
# ocr_bad_input.sh - bad files cost their own page and nothing else: a
# folder holding an empty file, a text file named .jpg, a damaged PDF and a
# PNG of 40000x40000 pixels (85 bytes whose decoding would take
# gigabytes) beside a good scan is read page by page by `kobito ocr DIR`
# and by the ocr.forms action; each bad file has a page with an error that
# says what is wrong, the good one is read.  The pixel limit is checked from
# the header (the run stays small) and can be set.  Every kobito command
# answers --help.
. "$(dirname "$0")/lib.sh"

GEN="$FIXTURES/formgen"
TPL="$KOBITO_TOP/scripts/templates"
[ -x "$GEN" ] || fail "the formgen fixture is not built"

mkdir -p "$T/in"
"$GEN" -t "$TPL/invoice_en.yaml" -o "$T/in" -n 1 -s 41 -p good -v clean ||
	fail "formgen could not render the page"
: > "$T/in/empty.png"
echo "not a picture" > "$T/in/notes.jpg"
printf '%%PDF-1.4\ngarbage\n' > "$T/in/damaged.pdf"
# A PNG whose header says 40000 x 40000 pixels: 85 bytes.  Decoding it
# would allocate 200 MB at one bit per pixel, and the grey and colour
# copies reading makes 6.4 GB: the header must stop it.
printf '\211PNG\015\012\032\012\000\000\000\015IHDR\000\000\234\100\000\000\234\100\001\000\000\000\000\171\167\063\250\000\000\000\034IDAT\170\234\355\301\041\001\000\000\000\002\040\377\237\326\025\066\040\005\000\000\000\000\356\006\124\263\165\226\221\155\125\166\000\000\000\000IEND\256\102\140\202' \
	> "$T/in/huge.png"

# --- kobito ocr DIR --------------------------------------------------------
/usr/bin/time -f "%M" -o "$T/mem" "$KOBITO" ocr "$T/in" --template invoice_en \
	--jobs 2 --json > "$T/out.json" 2> "$T/err"
check "a folder with bad files exits 1 (some pages unreadable)" 1 $?
[ -s "$T/err" ] && { cat "$T/err"; fail "messages on stderr"; }
check "one page per file" 5 "$(jq '.pages | length' "$T/out.json")"
check "the good page is read" INV \
	"$(jq -r '.pages[] | select(.file | endswith("good-001.png")) | .fields.invoice_no.value[0:3]' "$T/out.json")"
err_of() { jq -r --arg f "$1" '.pages[] | select(.file | endswith($f)) | .error' "$T/out.json"; }
case "$(err_of empty.png)" in *"empty.png: the file is empty") echo "ok: empty file named" ;;
	*) fail "empty file: $(err_of empty.png)" ;; esac
case "$(err_of notes.jpg)" in *"notes.jpg: not an image or PDF"*) echo "ok: text file named" ;;
	*) fail "text file: $(err_of notes.jpg)" ;; esac
case "$(err_of damaged.pdf)" in *"damaged.pdf: the PDF is damaged or not a PDF"*"Couldn't initialise file"*)
	echo "ok: damaged PDF says so" ;;
	*) fail "damaged PDF: $(err_of damaged.pdf)" ;; esac
case "$(err_of huge.png)" in *"huge.png: page 1 is 40000x40000 pixels (1600.0 million), more than the limit of 100.0 million")
	echo "ok: the pixel limit is checked" ;;
	*) fail "huge PNG: $(err_of huge.png)" ;; esac
# Against the good page read alone (the sanitizers' build takes more of
# everything): the large page adds nothing like its 200 MB.
/usr/bin/time -f "%M" -o "$T/mem1" "$KOBITO" ocr "$T/in/good-001.png" --template invoice_en \
	--jobs 2 --json > /dev/null 2>&1
mem=$(tail -n 1 "$T/mem") mem1=$(tail -n 1 "$T/mem1")
[ "$mem" -lt $((mem1 + 100000)) ] ||
	fail "kobito ocr took ${mem} kB against ${mem1} kB for the good page alone: the large page was decoded"
echo "ok: peak memory ${mem} kB (the good page alone: ${mem1} kB)"

# The limit is configurable, on the command line and in the environment.
"$KOBITO" ocr "$T/in/good-001.png" --template invoice_en --max-pixels 1M --json > "$T/small.json"
check "--max-pixels 1M refuses an A4 page at 300 dpi" 1 $?
jq -r '.pages[0].error' "$T/small.json" | grep -q "more than the limit of 1.0 million" ||
	fail "no limit message: $(cat "$T/small.json")"
KOBITO_OCR_MAX_PIXELS=2000000 "$KOBITO" ocr "$T/in/good-001.png" --template invoice_en --json > "$T/env.json"
jq -r '.pages[0].error' "$T/env.json" | grep -q "more than the limit of 2.0 million" ||
	fail "KOBITO_OCR_MAX_PIXELS ignored: $(cat "$T/env.json")"
"$KOBITO" ocr "$T/in/good-001.png" --max-pixels lots > /dev/null 2> "$T/err"
check "a bad --max-pixels is a usage error" 2 $?
grep -q "max-pixels wants a number of pixels" "$T/err" || fail "unclear: $(cat "$T/err")"

# --- the ocr.forms action --------------------------------------------------
cat > "$T/forms.yaml" <<'Y'
name: ocr_bad_files
params:
  dir: { type: path, required: true }
steps:
  - id: all
    ocr.forms: { folder: "${params.dir}", template: invoice_en, threads: 2 }
  - assert: { that: "${steps.all.output.count == 5}", message: "count ${steps.all.output.count}" }
  - assert: { that: "${steps.all.output.errors == 4}", message: "errors ${steps.all.output.errors}" }
  - assert: { that: "${steps.all.output.ok + steps.all.output.review == 1}" }
Y
"$KOBITO" run "$T/forms.yaml" --param dir="$T/in" --json > "$T/run.json" 2> "$T/err"
check "ocr.forms goes on past bad files" 0 $?
check "the script succeeded" succeeded "$(jget "$T/run.json" .status)"

# --- --help on every command -----------------------------------------------
for c in run validate actions ocr cron trigger jobs runs logs agents schedules token; do
	"$KOBITO" "$c" --help > "$T/help" 2>&1
	check "kobito $c --help exits 0" 0 $?
	grep -q "^usage: kobito $c" "$T/help" || fail "kobito $c --help: $(cat "$T/help")"
done
"$KOBITO" ocr --help | grep -q -- "--max-pixels N" || fail "kobito ocr --help lacks --max-pixels"
