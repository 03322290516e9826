#!/bin/sh
# scripts_validate.sh - every shipped script and sub-flow loads cleanly, and
# each top-level script says what it saves (honest kpi figures) and who
# owns it.
. "$(dirname "$0")/lib.sh"
cd "$KOBITO_TOP/scripts" || fail "no scripts folder"
"$KOBITO" validate *.yaml lib/*.yaml > "$T/out" 2>&1 ||
	fail "shipped scripts do not validate: $(cat "$T/out")"
cat "$T/out"
for f in *.yaml; do
	grep -q "^kpi:" "$f" || fail "$f has no kpi figures"
	grep -q "^owner: " "$f" || fail "$f has no owner"
	grep -q "^title: " "$f" || fail "$f has no title"
	grep -q "^description: " "$f" || fail "$f has no description"
done
check "eleven shipped scripts (with the two dispatchers)" 11 "$(ls *.yaml | wc -l)"
