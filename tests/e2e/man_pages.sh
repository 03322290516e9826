#!/bin/sh
# man_pages.sh - the man pages say what the programs say: every option and
# synopsis line of each program's --help (and of each scheduler command's)
# is in its page, word for word; kobito-script(5) lists every action of the
# build; and man renders each page without a warning.
. "$(dirname "$0")/lib.sh"
command -v man >/dev/null || skip "man is not installed"

sh "$KOBITO_TOP/tools/mkman.sh" "$KOBITO_BIN" "$T/man" || fail "mkman.sh failed"

# The rendered page as one line of text, spaces collapsed.
render() {
	LC_ALL=C.UTF-8 MANWIDTH=4000 man -l "$1" 2>/dev/null | tr -s ' \n' '  '
}
# The options of a --help as "--name ARG<TAB>help text" lines.
help_options() {
	awk '
	/^  --/ { if (opt != "") print opt "\t" text
		  sub(/^  /, ""); n = index($0, "  ")
		  if (n == 0) { opt = $0; text = ""; next }
		  opt = substr($0, 1, n - 1); text = substr($0, n); sub(/^ +/, "", text); next }
	/^                           / && opt != "" { sub(/^ +/, ""); text = text " " $0; next }
	{ if (opt != "") print opt "\t" text; opt = "" }
	END { if (opt != "") print opt "\t" text }'
}
# check_page PAGE HELP-COMMAND...: every option and synopsis line in it.
check_page() {
	_page=$1; shift
	"$@" --help >"$T/help" || fail "$* --help failed"
	render "$_page" >"$T/text"
	_n=0
	help_options <"$T/help" >"$T/opts"
	while IFS='	' read -r opt text; do
		grep -qF -- "$opt" "$T/text" || fail "$_page: no option '$opt' ($*)"
		text=$(printf '%s' "$text" | tr -s ' ')
		grep -qF -- "$text" "$T/text" ||
			fail "$_page: '$opt' does not say '$text' ($*)"
		_n=$((_n + 1))
	done <"$T/opts"
	sed -n 's/^\(usage:\|      \) \(.*\)$/\2/p' "$T/help" | while read -r line; do
		line=$(printf '%s' "$line" | tr -s ' ')
		grep -qF -- "$line" "$T/text" || fail "$_page: no synopsis '$line'"
	done || exit 1
	echo "ok: $_page has the $_n options and the synopsis of '$*'"
}

check_page "$T/man/kobito.1" "$KOBITO"
check_page "$T/man/kobito-agent.8" "$KOBITO_BIN/kobito-agent"
check_page "$T/man/kobito-scheduler.8" "$KOBITO_BIN/kobito-scheduler"
for cmd in $("$KOBITO_BIN/kobito-scheduler" --help |
    sed -n 's/^\(usage:\|      \) kobito-scheduler \([a-z][a-z-]*\) .*/\2/p' | sort -u); do
	case $cmd in user|routes) continue ;; esac
	check_page "$T/man/kobito-scheduler.8" "$KOBITO_BIN/kobito-scheduler" "$cmd"
done

render "$T/man/kobito-script.5" >"$T/text"
n=0
for a in $("$KOBITO" actions --json | jq -r '.[].name'); do
	grep -qF -- " $a " "$T/text" || fail "kobito-script.5 does not list '$a'"
	n=$((n + 1))
done
[ "$n" -gt 20 ] || fail "kobito actions listed only $n actions"
echo "ok: kobito-script(5) lists the $n actions of the build"

for p in "$T"/man/*; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
	[ -z "$w" ] || fail "$(basename "$p"): $w"
done
echo "ok: every page renders without a warning"

# A changed option table shows: the test fails on a page from another
# build (an option left out).
sed '/^\.BI "\\-\\-slots /,+1d' "$T/man/kobito-agent.8" >"$T/stale.8"
if (check_page "$T/stale.8" "$KOBITO_BIN/kobito-agent") >/dev/null 2>&1; then
	fail "a page without --slots passed the check"
fi
echo "ok: a page missing an option fails the check"
