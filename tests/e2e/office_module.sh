#!/bin/sh
# office_module.sh - the xlsx, pdf and mail actions live in
# kobito-office.so, loaded only for a script that names one: the program
# is not linked with their libraries, a run without them never maps them,
# a run with them does; the module is found beside the program and in
# PREFIX/lib/kobito/; without it, a script that names one of its actions
# fails validation with a clear error at the step, the others still run,
# and `kobito actions` and `kobito schema` refuse to list an incomplete set.
. "$(dirname "$0")/lib.sh"

ldd "$KOBITO" >"$T/ldd" || fail "ldd $KOBITO failed"
# (GLib is not among them: the ui actions reach controls through AT-SPI,
# which is built on it.)
for lib in poppler qpdf cairo pango gmime xml2 xlsxwriter zip expat freexl; do
	grep -q "lib$lib" "$T/ldd" && fail "kobito is linked with lib$lib: $(grep "lib$lib" "$T/ldd")"
done
echo "ok: kobito is not linked with the office libraries"

# The maps of the running kobito (the parent of the shell): a script
# without office actions, then one with them.
cat >"$T/plain.yaml" <<EOF
name: plain
steps:
  - id: maps
    exec: { argv: [sh, -c, 'cat /proc/\$PPID/maps'] }
  - file.write: { path: "$T/plain-maps", content: "\${steps.maps.output.stdout}" }
EOF
cat >"$T/xlsx.yaml" <<EOF
name: xlsx
steps:
  - xlsx.write: { path: "$T/a.xlsx", rows: [{ 課: 総務課, 額: 1200 }], columns: [課, 額] }
  - id: read
    xlsx.read: { path: "$T/a.xlsx" }
  - id: maps
    exec: { argv: [sh, -c, 'cat /proc/\$PPID/maps'] }
  - file.write: { path: "$T/xlsx-maps", content: "\${steps.maps.output.stdout}" }
  - assert: \${steps.read.output.rows[0]['課'] == '総務課' and steps.read.output.rows[0]['額'] == 1200}
EOF
cat >"$T/office.yaml" <<EOF
name: office
steps:
  - log: start
  - pdf.info: "$T/none.pdf"
EOF
"$KOBITO" run --quiet "$T/plain.yaml" >"$T/out" 2>&1 || fail "the plain run failed: $(cat "$T/out")"
grep -q "kobito-office\|libpoppler\|libxlsxwriter\|libgmime" "$T/plain-maps" &&
	fail "a run without office actions mapped: $(grep -m3 'kobito-office\|poppler\|xlsxwriter\|gmime' "$T/plain-maps")"
"$KOBITO" run --quiet "$T/xlsx.yaml" >"$T/out" 2>&1 || fail "the xlsx run failed: $(cat "$T/out")"
grep -q "kobito-office.so" "$T/xlsx-maps" || fail "the module is not mapped in a run with xlsx steps"
grep -q "libxlsxwriter" "$T/xlsx-maps" || fail "libxlsxwriter is not mapped in a run with xlsx.write"
echo "ok: the module and its libraries are loaded for a script that names an office action, and only then"

# Installed: PREFIX/bin/kobito and PREFIX/lib/kobito/kobito-office.so.
mkdir -p "$T/prefix/bin" "$T/prefix/lib/kobito" "$T/bare"
cp "$KOBITO" "$T/prefix/bin/"
cp "$KOBITO_BIN/kobito-office.so" "$T/prefix/lib/kobito/"
"$T/prefix/bin/kobito" actions --json >"$T/actions.json" ||
	fail "kobito actions failed with the module in lib/kobito"
check "the module's actions listed from PREFIX/lib/kobito" \
	"mail.fetch pdf.info xlsx.read" \
	"$(jq -r '[.[].name | select(. == "xlsx.read" or . == "pdf.info" or . == "mail.fetch")] | sort | join(" ")' "$T/actions.json")"
"$T/prefix/bin/kobito" run --quiet "$T/xlsx.yaml" >"$T/out" 2>&1 ||
	fail "the xlsx run failed with the module in lib/kobito: $(cat "$T/out")"
echo "ok: an installed kobito finds the module in ../lib/kobito"

# No module anywhere: a clear error at the step, the rest still works.
cp "$KOBITO" "$T/bare/"
"$T/bare/kobito" validate "$T/office.yaml" >"$T/out" 2>&1 &&
	fail "a script with pdf.info validated without the module"
grep -q "office.yaml:4:5: pdf.info: the office module (kobito-office.so, with the xlsx, pdf and mail actions) is not installed" "$T/out" ||
	fail "no clear error without the module: $(cat "$T/out")"
echo "ok: $(grep -m1 'office module' "$T/out")"
"$T/bare/kobito" run --quiet "$T/plain.yaml" >"$T/out" 2>&1 ||
	fail "a script without office actions failed without the module: $(cat "$T/out")"
"$T/bare/kobito" actions >"$T/out" 2>&1 &&
	fail "kobito actions listed an incomplete set without the module"
grep -q "kobito actions: the office module" "$T/out" ||
	fail "kobito actions: no clear error: $(cat "$T/out")"
"$T/bare/kobito" schema >"$T/out" 2>&1 &&
	fail "kobito schema printed an incomplete schema without the module"
echo "ok: without the module only its actions are refused"
