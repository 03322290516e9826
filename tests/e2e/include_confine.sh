#!/bin/sh
# include_confine.sh - `include:` reads only inside the script's own
# version tree: the scripts folder for a script on disk, the files sent
# with it for an upload.  /dev/zero, a FIFO, a path out by "..", a link out
# of the folder and an absolute path are refused at once, and an error
# never quotes a file that is not a script.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched.inc"

S="$T/scripts"
mkdir -p "$S/lib"
printf 'name: greet\nsteps:\n  - log: hello\n' >"$S/lib/greet.yaml"
# Something that is not a script, inside the folder and out of it.
printf 'root:$6$CANARYHASH:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n' >"$T/shadow"
cp "$T/shadow" "$S/lib/shadow"
ln -s "$T/shadow" "$S/lib/link_out"
ln -s /dev/zero "$S/lib/zero"
mkfifo "$S/lib/fifo"
printf 'name: outside\nsteps:\n  - log: out\n' >"$T/outside.yaml"

# Never let a regression eat the machine (reading /dev/zero grows without
# end): bound the memory here, except under the sanitizers, which reserve
# address space of their own.
case "$KOBITO_BUILD" in *-san) ;; *) ulimit -v 2000000 ;; esac

# One script per way in; each is refused, quickly, saying why.
inc() {
	printf 'name: %s\nsteps:\n  - include: %s\n' "$1" "$2" >"$S/$1.yaml"
}
inc dev_zero /dev/zero
inc abs_shadow "$T/shadow"
inc dotdot ../outside.yaml
inc link_out lib/link_out
inc via_zero lib/zero
inc fifo lib/fifo
inc shadow_inside lib/shadow
inc fine lib/greet.yaml

validate() {
	timeout 20 "$KOBITO" validate "$S/$1.yaml" >"$T/out" 2>&1
	rc=$?
	[ $rc = 124 ] && fail "$1: kobito validate hung"
	[ $rc = 0 ] && fail "$1: validated"
	grep -q "$2" "$T/out" || fail "$1: $(cat "$T/out")"
	grep -q CANARYHASH "$T/out" && fail "$1: the error quotes the file: $(cat "$T/out")"
	echo "ok: $1 refused: $2"
}
validate dev_zero "dev_zero.yaml:3:14: cannot include '/dev/zero': includes are paths inside the script's own folder"
validate abs_shadow "cannot include '$T/shadow': includes are paths inside"
validate dotdot "cannot include '../outside.yaml': includes are paths inside"
validate link_out "cannot include 'lib/link_out': 'lib/link_out' is outside"
validate via_zero "cannot include 'lib/zero': 'lib/zero' is outside"
validate fifo "cannot include 'lib/fifo': 'lib/fifo' is not a regular file"
validate shadow_inside "cannot include 'lib/shadow': it is not a kobito script (a YAML mapping with steps), and what it holds is not shown"
"$KOBITO" validate "$S/fine.yaml" >"$T/out" 2>&1 || fail "fine: $(cat "$T/out")"

# The scheduler starts with all of them in --scripts (no FIFO blocks it)
# and keeps only the fine one.
start_scheduler
ADMIN=$(make_token admin root)
out=$(api GET /api/scripts "$ADMIN")
check "the scheduler lists the fine script" fine "$(body_of "$out" | jq -r '.scripts[].name')"
check "the others are invalid" 7 "$(body_of "$out" | jq '.invalid | length')"
body_of "$out" | grep -q CANARYHASH && fail "GET /api/scripts quotes the shadow file"

# An upload never reads the scheduler's disk: not by absolute path, not
# relative to its working directory, not the scripts folder.
post() {
	jq -n --arg s "$1" --argjson f "${2:-null}" \
		'{source: $s, filename: "up.yaml", files: $f}' >"$T/body.json"
	out=$(api POST /api/scripts "$ADMIN" "$(cat "$T/body.json")")
}
for p in "$T/shadow" /dev/zero lib/greet.yaml "$S/lib/fifo"; do
	post "$(printf 'name: up\nsteps:\n  - include: %s\n' "$p")"
	check "POST with include: $p" 422 "$(status_of "$out")"
	body_of "$out" | jq -e '.errors | length > 0' >/dev/null || fail "no errors: $out"
	body_of "$out" | grep -q CANARYHASH && fail "the 422 quotes the shadow file"
done
body_of "$out" | jq -e '.errors[0] | test("^up.yaml:3:14: cannot include .*fifo")' >/dev/null ||
	fail "$(body_of "$out")"
# Files sent with it are the tree; a non-script among them is not quoted.
post "$(printf 'name: up\nsteps:\n  - include: lib/x.yaml\n')" \
	"$(jq -n --rawfile x "$T/shadow" '{"lib/x.yaml": $x}')"
check "POST with a non-script file" 422 "$(status_of "$out")"
body_of "$out" | grep -q CANARYHASH && fail "the 422 quotes the sent file: $out"
body_of "$out" | jq -e '.errors[0] | test("not a kobito script")' >/dev/null || fail "$out"
post "$(printf 'name: up\nsteps:\n  - include: lib/x.yaml\n')" \
	"$(jq -n '{"lib/x.yaml": "name: x\nsteps:\n  - log: sent\n"}')"
check "POST with its sub-flow sent along" 201 "$(status_of "$out")"
d=$(body_of "$out" | jq -r .digest)
check "the stored version holds the sent file" '["lib/x.yaml"]' \
	"$(sqlite3 "$T/sched.db" "SELECT json_group_array(key) FROM script_versions, json_each(files) WHERE digest = '$d'")"
stop_scheduler
