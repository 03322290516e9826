#!/bin/sh
# yaml_bombs.sh - hostile YAML costs what it says, not what it asks: an
# alias bomb ("billion laughs", 700 bytes) and its merge-key form are
# refused by `kobito validate`, listed as invalid by a scheduler started
# with them in --scripts, and answered 422 with a JSON body by
# POST /api/scripts while the scheduler stays up; a script over the size
# limit is refused the same ways.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

# laughs OPEN CLOSE: 9 levels of 10 aliases of the level below.
laughs() {
	echo 'name: bomb'
	echo 'l0: &l0 "lol"'
	for i in 1 2 3 4 5 6 7 8 9; do
		p=$((i - 1))
		printf 'l%s: &l%s %s' "$i" "$i" "$1"
		printf '*l%s, *l%s, *l%s, *l%s, *l%s, *l%s, *l%s, *l%s, *l%s, *l%s' \
			$p $p $p $p $p $p $p $p $p $p
		printf '%s\n' "$2"
	done
	echo 'steps:'
	echo '  - log: ${params}'
}
laughs '[' ']' >"$T/scripts/bomb.yaml"
laughs '{<<: [' ']}' >"$T/scripts/merge_bomb.yaml"
# A script of 1.5 MB: one long comment line.
{ printf 'name: huge\nsteps:\n  - log: x\n# '; head -c 1500000 /dev/zero | tr '\0' x; echo; } \
	>"$T/big.yaml"
printf 'name: fine\nsteps:\n  - log: fine\n' >"$T/scripts/fine.yaml"
[ "$(wc -c <"$T/scripts/bomb.yaml")" -lt 1000 ] || fail "the bomb is not small"

# Never let a regression eat the machine: bound the memory of what runs
# here (the sanitizers reserve address space of their own: not under them).
case "$KOBITO_BUILD" in *-san) ;; *) ulimit -v 2000000 ;; esac

for f in bomb merge_bomb; do
	"$KOBITO" validate "$T/scripts/$f.yaml" >"$T/out" 2>&1 && fail "$f validated"
	grep -q "^$T/scripts/$f.yaml:[0-9]*:[0-9]*: alias '\*l[0-9]' would make the document larger than 200000 values" "$T/out" ||
		fail "$f: $(cat "$T/out")"
	echo "ok: kobito validate refuses $f.yaml where the alias stands"
done
"$KOBITO" validate "$T/big.yaml" >"$T/out" 2>&1 && fail "a 1.5 MB script validated"
grep -q "cannot read '$T/big.yaml': larger than 1048576 bytes" "$T/out" || fail "$(cat "$T/out")"
echo "ok: kobito validate refuses a script over 1 MB"

# The scheduler starts with the bombs in its scripts folder and lists them
# as invalid; the body limit is raised so that the script's own limit is
# what answers below.
printf 'limits:\n  body_bytes: 8388608\n' >"$T/sched.yaml"
start_scheduler --config "$T/sched.yaml"
ADMIN=$(make_token admin root)
out=$(api GET /api/scripts "$ADMIN")
check "GET /api/scripts" 200 "$(status_of "$out")"
check "the fine script is listed" fine "$(body_of "$out" | jq -r '.scripts[].name')"
check "both bombs are listed as invalid" "bomb.yaml merge_bomb.yaml" \
	"$(body_of "$out" | jq -r '[.invalid[].filename] | sort | join(" ")')"

# POST /api/scripts: 422 with the reason in JSON, and the scheduler goes on.
for f in bomb merge_bomb; do
	body=$(jq -n --rawfile s "$T/scripts/$f.yaml" '{source: $s, filename: "up.yaml"}')
	out=$(api POST /api/scripts "$ADMIN" "$body")
	check "POST $f" 422 "$(status_of "$out")"
	body_of "$out" | jq -e '.errors[0] | test("^up.yaml:[0-9]+:[0-9]+: alias .* would make the document larger")' \
		>/dev/null || fail "POST $f answered: $(body_of "$out")"
done
jq -n --rawfile s "$T/big.yaml" '{source: $s, filename: "big.yaml"}' >"$T/big.json"
out=$(curl -s -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
	--data-binary @"$T/big.json" -w '\n%{http_code}\n' "$SCHED_URL/api/scripts")
check "POST a 1.5 MB script" 422 "$(status_of "$out")"
body_of "$out" | jq -e '.errors[0] == "big.yaml: the script is larger than 1048576 bytes"' \
	>/dev/null || fail "POST big answered: $(body_of "$out")"
kill -0 "$SCHED_PID" || fail "the scheduler died"
check "the scheduler still answers" 200 "$(status_of "$(api GET /api/scripts "$ADMIN")")"
stop_scheduler
