#!/bin/sh
# lang_cli.sh - the script language from the command line: kobito schema
# is what docs/ ships and accepts the shipped scripts (checked with a JSON
# Schema validator, as an editor would), actions --json publishes output
# shapes and dry-run classes, run --params reads a YAML file of params,
# and validate prints a deprecation warning without failing.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

# --- the schema ------------------------------------------------------------
"$KOBITO" schema > "$T/schema.json" || fail "kobito schema failed"
cmp -s "$T/schema.json" "$KOBITO_TOP/docs/script.schema.json" ||
	fail "docs/script.schema.json is not what kobito schema prints (run: bin/kobito schema > docs/script.schema.json)"
echo "ok: docs/script.schema.json is current"

cat > "$T/check.py" <<'PY'
import json, sys, yaml, jsonschema

# The YAML 1.2 core schema, as kobito and editors read a script: numbers
# and booleans are typed, a date is text.
class Core(yaml.SafeLoader):
    pass
Core.yaml_implicit_resolvers = {k: [(t, r) for t, r in v
    if t != 'tag:yaml.org,2002:timestamp']
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
v = jsonschema.Draft7Validator(schema)
bad = 0
for path in sys.argv[2:]:
    doc = yaml.load(open(path, encoding='utf-8'), Loader=Core)
    errors = list(v.iter_errors(doc))
    for e in errors[:3]:
        print('%s: %s: %s' % (path, '/'.join(map(str, e.path)), e.message[:200]))
    bad += bool(errors)
sys.exit(1 if bad else 0)
PY
"$PY" "$T/check.py" "$T/schema.json" "$KOBITO_TOP"/scripts/*.yaml \
    "$KOBITO_TOP"/scripts/lib/*.yaml ||
	fail "a shipped script does not match the schema"
echo "ok: the shipped scripts match the schema"
cat > "$T/bad.yaml" <<'YAML'
name: bad
steps:
  - csv.raed: { path: a.csv }
  - log: { mesage: hi }
YAML
"$PY" "$T/check.py" "$T/schema.json" "$T/bad.yaml" > "$T/bad.out" &&
	fail "the schema accepts an unknown action"
grep -q "csv.raed" "$T/bad.out" || fail "no message about csv.raed: $(cat "$T/bad.out")"
grep -q "steps/1/log" "$T/bad.out" || fail "no message about log's mesage: $(cat "$T/bad.out")"
echo "ok: the schema refuses an unknown action and argument"

# --- actions --json ------------------------------------------------------------
"$KOBITO" actions --json > "$T/actions.json" || fail "actions --json failed"
check "csv.read declares rows" "list" \
    "$(jq -r '.[] | select(.name == "csv.read") | .output.keys[] | select(.name == "rows") | .type' "$T/actions.json" | sed 's/^a //')"
check "csv.read runs in a dry run" "read" \
    "$(jq -r '.[] | select(.name == "csv.read") | .dry_run' "$T/actions.json")"
check "file.write describes itself in a dry run" "self" \
    "$(jq -r '.[] | select(.name == "file.write") | .dry_run' "$T/actions.json")"
check "every action says what it does in a dry run" "0" \
    "$(jq '[.[] | select(.dry_run != "read" and .dry_run != "self" and .dry_run != "skip")] | length' "$T/actions.json")"

# --- run --params FILE.yaml ------------------------------------------------------
cat > "$T/p.yaml" <<'YAML'
name: p
params:
  who: string
  n: int
  day: date
steps:
  - assert: ${params.who == '山田' and params.n == 3 and params.day == '2024-04-01'}
  - log: "${params.who} ${params.n}"
YAML
cat > "$T/params.yaml" <<'YAML'
who: 鈴木
n: 3
day: 2024-04-01
YAML
"$KOBITO" run "$T/p.yaml" --params "$T/params.yaml" --param who=山田 \
    --json > "$T/out" 2> "$T/err" || fail "run --params failed: $(tail -n 3 "$T/err")"
check "params from the file, --param wins" succeeded "$(jget "$T/out" .status)"
printf 'who: [1, 2]\n' > "$T/bad_params.yaml"
"$KOBITO" run "$T/p.yaml" --params "$T/bad_params.yaml" > "$T/out" 2> "$T/err"
check "a param of the wrong type is a usage error" 2 "$?"
grep -q "param 'who' must be" "$T/err" || fail "no message: $(cat "$T/err")"
printf -- '- a\n' > "$T/list_params.yaml"
"$KOBITO" run "$T/p.yaml" --params "$T/list_params.yaml" > "$T/out" 2> "$T/err"
check "a params file that is not a mapping is refused" 2 "$?"

# --- warnings ----------------------------------------------------------------------
cat > "$T/old.yaml" <<'YAML'
name: old
steps:
  - log: hi
    retry: { attempts: 2, delay_ms: 10 }
YAML
"$KOBITO" validate "$T/old.yaml" > "$T/out" 2> "$T/err" ||
	fail "a deprecated spelling must not fail validate"
grep -q "old.yaml:4:27: warning: retry: 'delay_ms' is deprecated; write 'delay: 10ms'" "$T/err" ||
	fail "no deprecation warning: $(cat "$T/err")"
echo "ok: delay_ms is read with a warning"
