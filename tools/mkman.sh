#!/bin/sh
# mkman.sh - build the man pages from man/*.in and the programs themselves.
#
#   sh tools/mkman.sh BIN OUT
#
# Each page's SYNOPSIS, DESCRIPTION and OPTIONS (and the scheduler's
# COMMANDS) are what the program prints with --help-man, from the same
# option table that prints its --help; kobito-script(5)'s ACTIONS are
# `kobito actions` of the same build.  So the pages cannot drift from the
# programs; tests/e2e/man_pages.sh checks them against --help.
set -eu
BIN=$1
OUT=$2
TOP=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
VERSION=$("$BIN/kobito" version | sed 's/^kobito //')
# The date of the source, for pages that build the same twice.
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	DATE=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
else
	DATE=$(git -C "$TOP" log -1 --format=%cs 2>/dev/null || date -u +%Y-%m-%d)
fi

# The actions as a .TP list: "name   summary" lines, and "    arg  help"
# lines under them.
actions_roff() {
	"$BIN/kobito" actions | awk '
	function esc(s) {
		gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s)
		if (s ~ /^[.'\'']/) s = "\\&" s
		return s
	}
	/^[^ ]/ {
		name = $1; sub(/^[^ ]+ +/, "")
		print ".TP"; print ".B " esc(name); print esc($0); next
	}
	/^    [^ ]/ {
		sub(/^ +/, ""); arg = $1; sub(/^[^ ]+ +/, "")
		print ".br"; print "\\fI" esc(arg) "\\fR: " esc($0); next
	}
	/./ { sub(/^ +/, ""); print ".br"; print esc($0) }'
}

page() {
	_in=$TOP/man/$1.in
	_gen=$OUT/.$1.gen
	shift
	"$@" >"$_gen"
	sed -e "s/@VERSION@/$VERSION/g" -e "s/@DATE@/$DATE/g" \
	    -e "/^@GENERATED@\$/{r $_gen" -e 'd}' \
	    -e "/^@ACTIONS@\$/{r $_gen" -e 'd}' "$_in" >"$OUT/$(basename "$_in" .in)"
	rm -f "$_gen"
}

page kobito.1 "$BIN/kobito" --help-man
page kobito-agent.8 "$BIN/kobito-agent" --help-man
page kobito-scheduler.8 "$BIN/kobito-scheduler" --help-man
page kobito-script.5 actions_roff
