/*
 * test_script.c - the script loader: what it accepts, and that each error
 * names the right file:line:col in words a script author understands.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "action.h"
#include "script.h"

/* Load text; return the diagnostics joined by newlines, errors then
 * warnings ("" when valid and nothing to warn about). */
static char *
load(const char *text, struct script **out)
{
	struct diag d = { NULL, 0, NULL, 0 };
	struct script *s;
	size_t i, len = 1;
	char *all;

	s = script_load_text("t.yaml", text, strlen(text), &d);
	for (i = 0; i < d.n; i++)
		len += strlen(d.msgs[i]) + 1;
	for (i = 0; i < d.nwarnings; i++)
		len += strlen(d.warnings[i]) + 1;
	all = calloc(1, len);
	for (i = 0; i < d.n; i++) {
		strcat(all, d.msgs[i]);
		strcat(all, "\n");
	}
	for (i = 0; i < d.nwarnings; i++) {
		strcat(all, d.warnings[i]);
		strcat(all, "\n");
	}
	diag_free(&d);
	if (out != NULL)
		*out = s;
	else
		script_free(s);
	return all;
}

static void
expect_error(const char *text, const char *needle)
{
	char *errs = load(text, NULL);

	if (strstr(errs, needle) == NULL)
		fail_msg("expected \"%s\" in:\n%s", needle, errs);
	free(errs);
}

static void
test_valid_script(void **state)
{
	struct script *s;
	char *errs;

	(void)state;
	errs = load(
	    "name: demo\n"
	    "title: 請求書処理\n"
	    "owner: 財政局\n"
	    "kpi:\n"
	    "  manual_minutes_per_run: 5\n"
	    "  manual_minutes_per_item: 2.5\n"
	    "  replaces_inputs: [finance-voucher]\n"
	    "params:\n"
	    "  count: { type: int, default: 3 }\n"
	    "  mode: { type: enum, choices: [a, b], default: a }\n"
	    "requires: [display]\n"
	    "steps:\n"
	    "  - id: first\n"
	    "    set: { total: 0 }\n"
	    "  - for_each: ${[1, 2, params.count]}\n"
	    "    as: n\n"
	    "    steps:\n"
	    "      - log: \"n=${n} total=${total}\"\n"
	    "  - assert: ${steps.first.status == 'succeeded'}\n", &s);
	assert_string_equal(errs, "");
	assert_non_null(s);
	assert_string_equal(s->name, "demo");
	assert_string_equal(s->title, "請求書処理");
	assert_int_equal(s->nparams, 2);
	assert_int_equal(s->steps.n, 3);
	assert_int_equal(s->steps.v[1]->kind, STEP_FOR_EACH);
	assert_string_equal(s->steps.v[1]->as, "n");
	assert_true(s->kpi.manual_minutes_per_item == 2.5);
	assert_int_equal(s->kpi.nreplaces, 1);
	assert_int_equal(strlen(s->digest), 64);
	free(errs);
	script_free(s);
}

/* A loaded script serves many runs: what a run is given is its own. */
static void
test_literals_are_not_shared(void **state)
{
	struct script *s;
	struct expr_error e;
	struct pos where;
	json_t *a, *b;
	char *errs;

	(void)state;
	errs = load("name: x\nsteps:\n  - set: { rows: [1, 2], opts: { k: v } }\n",
	    &s);
	assert_string_equal(errs, "");
	free(errs);
	memset(&e, 0, sizeof e);
	a = tval_eval(s->steps.v[0]->args, NULL, &e, &where);
	assert_non_null(a);
	json_array_append_new(json_object_get(a, "rows"), json_integer(3));
	json_object_set_new(json_object_get(a, "opts"), "k", json_string("w"));
	b = tval_eval(s->steps.v[0]->args, NULL, &e, &where);
	assert_non_null(b);
	assert_int_equal(json_array_size(json_object_get(b, "rows")), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(b,
	    "opts"), "k")), "v");
	json_decref(a);
	json_decref(b);
	script_free(s);
}

static void
test_yaml_syntax_error(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - log: [unclosed\n",
	    "t.yaml:4:1: YAML syntax error");
}

static void
test_unknown_action_suggests(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - lgo: hello\n",
	    "t.yaml:3:5: unknown action 'lgo' (did you mean 'log'?)");
}

static void
test_missing_required_argument(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - assert: { message: hi }\n",
	    "t.yaml:3:5: assert needs the argument 'that'");
}

static void
test_unknown_argument(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - sleep: { secnds: 1 }\n",
	    "sleep has no argument 'secnds' (did you mean 'seconds'?)");
}

static void
test_type_mismatch(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - sleep: { seconds: soon }\n",
	    "t.yaml:3:23: sleep: argument 'seconds' must be a number, "
	    "not a string");
}

static void
test_undefined_variable(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - log: \"total is ${totl}\"\n",
	    "t.yaml:3:22: undefined name 'totl'\n");
}

static void
test_undefined_step_id(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - id: a\n    log: hi\n"
	    "  - log: ${steps.b.output}\n",
	    "t.yaml:5:18: no step with id 'b' comes before this point");
}

static void
test_step_id_used_before_defined(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - log: ${steps.later.output}\n"
	    "  - id: later\n    log: hi\n",
	    "no step with id 'later' comes before this point");
}

static void
test_undefined_param(void **state)
{
	(void)state;
	expect_error("name: x\nparams:\n  input: path\nsteps:\n"
	    "  - log: ${params.inptu}\n",
	    "t.yaml:5:19: undefined param 'inptu' (did you mean 'input'?)");
}

static void
test_loop_variable_out_of_scope(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - for_each: ${[1]}\n    as: row\n"
	    "    steps:\n      - log: ${row}\n  - log: ${row}\n",
	    "t.yaml:7:12: undefined name 'row'");
}

static void
test_expression_syntax_error(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - log: ${1 +}\n", "t.yaml:3:");
}

static void
test_two_actions_in_one_step(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - log: a\n    fail: b\n",
	    "t.yaml:4:5: a step has one action; 'log' and 'fail' are both "
	    "here");
}

static void
test_bad_metadata(void **state)
{
	(void)state;
	expect_error("name: Bad Name\nsteps:\n  - log: a\n",
	    "t.yaml:1:7: name must be an identifier");
	expect_error("name: x\nstpes:\n  - log: a\n",
	    "t.yaml:2:1: unknown key 'stpes' in a script (did you mean "
	    "'steps'?)");
	expect_error("name: x\nkpi: { manual_minutes_per_run: -1 }\n"
	    "steps:\n  - log: a\n",
	    "manual_minutes_per_run must be a number of zero or more");
}

static void
test_bad_params(void **state)
{
	(void)state;
	expect_error("name: x\nparams:\n  n: { type: integer }\nsteps:\n"
	    "  - log: a\n", "t.yaml:3:14: unknown param type 'integer'");
	expect_error("name: x\nparams:\n  d: { type: date, default: "
	    "2024-02-30 }\nsteps:\n  - log: a\n",
	    "default of param 'd': param 'd' must be a date");
	expect_error("name: x\nparams:\n  e: { type: enum }\nsteps:\n"
	    "  - log: a\n", "param 'e' is an enum and needs choices");
}

static void
test_duplicate_key_and_id(void **state)
{
	(void)state;
	expect_error("name: x\nname: y\nsteps:\n  - log: a\n",
	    "t.yaml:2:1: duplicate key 'name'");
	expect_error("name: x\nsteps:\n  - id: a\n    log: a\n"
	    "  - id: a\n    log: b\n", "t.yaml:5:9: step id 'a' is used twice");
}

static void
test_retry_and_timeout(void **state)
{
	struct script *s;
	char *errs;

	(void)state;
	errs = load("name: x\nsteps:\n  - log: a\n    retry: { attempts: 3, "
	    "delay: 250ms, backoff: 2 }\n    timeout: 1.5s\n", &s);
	assert_string_equal(errs, "");
	assert_int_equal(s->steps.v[0]->retry.attempts, 3);
	assert_int_equal(s->steps.v[0]->retry.delay_ms, 250);
	assert_int_equal(s->steps.v[0]->timeout_ms, 1500);
	free(errs);
	script_free(s);
	expect_error("name: x\nsteps:\n  - log: a\n    timeout: soon\n",
	    "t.yaml:4:14: timeout must be a duration");
}

/* A script that loads, with nothing to say about it. */
static void
expect_valid(const char *text)
{
	char *errs = load(text, NULL);

	if (errs[0] != '\0')
		fail_msg("expected no diagnostics, got:\n%s", errs);
	free(errs);
}

/* Member names are checked against the shapes outputs declare. */
static void
test_member_names(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - id: rows\n    csv.read: a.csv\n"
	    "  - for_each: ${steps.rows.output.rwos}\n    steps:\n"
	    "      - log: hi\n",
	    "t.yaml:5:35: steps.rows.output.rwos: csv.read's output has no "
	    "'rwos' (did you mean 'rows'?)\n");
	expect_error("name: x\nsteps:\n  - id: rows\n    csv.read: a.csv\n"
	    "  - log: ${steps.rows.outptu}\n",
	    "t.yaml:5:23: steps.rows.outptu: a step's result has no 'outptu' "
	    "(did you mean 'output'?)\n");
	expect_error("name: x\nsteps:\n  - id: f\n    file.read: a.txt\n"
	    "  - log: ${steps.f.output.text}\n",
	    "t.yaml:5:27: steps.f.output.text: file.read's output is a "
	    "string, with no member 'text'\n");
	/* set outputs what it sets; a for_each its counts. */
	expect_error("name: x\nsteps:\n  - id: s\n    set: { total: 1 }\n"
	    "  - log: ${steps.s.output.totl}\n",
	    "steps.s.output.totl: set's output has no 'totl' (did you mean "
	    "'total'?)");
	expect_error("name: x\nsteps:\n  - id: l\n    for_each: ${[1]}\n"
	    "    steps:\n      - log: hi\n  - log: ${steps.l.output.faild}\n",
	    "steps.l.output.faild: a for_each's output has no 'faild' (did "
	    "you mean 'failed'?)");
	expect_error("name: x\nsteps:\n  - for_each: ${[1]}\n    steps:\n"
	    "      - log: ${loop.indx}\n",
	    "loop.indx: loop has no 'indx' (did you mean 'index'?)");
	expect_error("name: x\nsteps:\n  - log: ${run.scrpt}\n",
	    "run.scrpt: run has no 'scrpt' (did you mean 'script'?)");
	/* The output of a step whose action is unknown: only that error. */
	expect_error("name: x\nsteps:\n  - id: x\n    nosuch: {}\n"
	    "  - log: ${steps.x.output.y}\n",
	    "t.yaml:4:5: unknown action 'nosuch'\n");
	/* What is not declared is not checked: json.parse, deeper keys. */
	expect_valid("name: x\nsteps:\n  - id: j\n    json.parse: '{}'\n"
	    "  - log: ${steps.j.output.anything}\n  - id: rows\n"
	    "    csv.read: a.csv\n  - log: ${steps.rows.output.rows[0].氏名}\n"
	    "  - log: ${steps.rows.status} ${steps.rows.error} "
	    "${steps.rows.duration_ms}\n");
}

/* A name is defined from the step that sets it on. */
static void
test_names_in_order(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - log: ${total}\n"
	    "  - set: { total: 0 }\n",
	    "t.yaml:3:12: 'total' is used before the step that sets it\n");
	expect_error("name: x\nsteps:\n  - log: ${vars.total}\n"
	    "  - set: { total: 0 }\n",
	    "t.yaml:3:17: variable 'total' is not set before this point");
	expect_valid("name: x\nsteps:\n  - set: { total: 0 }\n"
	    "  - for_each: ${[1, 2]}\n    steps:\n"
	    "      - set: { total: '${total + item}' }\n"
	    "      - append: { to: seen, value: '${item}' }\n"
	    "  - log: ${total} ${seen} ${vars.seen}\n");
	expect_error("name: x\nsteps:\n  - log: ${error.message}\n",
	    "t.yaml:3:12: 'error' is only defined in on_error steps\n");
	expect_error("name: x\nsteps:\n  - log: ${loop.index}\n",
	    "t.yaml:3:12: 'loop' is only defined inside a for_each or while "
	    "loop\n");
	expect_error("name: x\nsteps:\n  - fail: x\n    on_error:\n"
	    "      - log: ${error.mesage}\n",
	    "error.mesage: error has no 'mesage' (did you mean 'message'?)");
	/* A step's own on_error may read its result. */
	expect_valid("name: x\nsteps:\n  - id: f\n    fail: x\n"
	    "    on_error:\n      - log: ${steps.f.status} ${error.message}\n");
	expect_error("name: x\nsteps:\n  - append: { to: '${x}', value: 1 }\n",
	    "append: to must be the name of a variable");
}

/* Keys misspelt, and what a step cannot have. */
static void
test_step_keys(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - fail: x\n    on_eror: continue\n",
	    "t.yaml:4:5: unknown step key 'on_eror' (did you mean "
	    "'on_error'?)\n");
	expect_error("name: x\nsteps:\n  - for_each: ${[1]}\n    step:\n"
	    "      - log: a\n",
	    "t.yaml:4:5: unknown step key 'step' (did you mean 'steps'?)");
	expect_error("name: x\nsteps:\n  - lgo: a\n",
	    "t.yaml:3:5: unknown action 'lgo' (did you mean 'log'?)");
	expect_error("name: x\nsteps:\n  - for_each: ${[1]}\n    retry: 3\n"
	    "    steps:\n      - log: a\n",
	    "t.yaml:4:12: retry applies to actions, not to a for_each: put "
	    "retry on the steps inside (a failed item is recorded and the loop "
	    "goes on)\n");
	expect_error("name: x\nsteps:\n  - while: ${true}\n    max: 2\n"
	    "    retry: 3\n    steps:\n      - log: a\n",
	    "retry applies to actions, not to a while loop");
	expect_error("name: x\nsteps:\n  - log: a\n    retry: { attempts: 2, "
	    "dealy: 1s }\n",
	    "unknown key 'dealy' in retry (did you mean 'delay'?)");
	expect_error("name: x\nsteps:\n  - log: a\n    steps: []\n",
	    "'steps' belongs to for_each, while and until");
	expect_error("name: x\nsteps:\n  - log: a\n    for_each: ${[1]}\n",
	    "a step does one thing");
	expect_error("name: x\nsteps:\n  - for_each: { path: a.csv }\n"
	    "    steps:\n      - log: a\n",
	    "t.yaml:3:17: unknown key 'path' in for_each");
	expect_error("name: x\nsteps:\n  - for_each: { csv: a.csv, header: "
	    "maybe }\n    steps:\n      - log: a\n",
	    "t.yaml:3:37: for_each: argument 'header' must be true or false");
}

/* delay_ms: still read, with a warning; delay is the one spelling. */
static void
test_delay_spelling(void **state)
{
	struct script *s;
	char *errs;

	(void)state;
	errs = load("name: x\nsteps:\n  - log: a\n"
	    "    retry: { attempts: 2, delay_ms: 250 }\n", &s);
	assert_string_equal(errs, "t.yaml:4:27: warning: retry: 'delay_ms' "
	    "is deprecated; write 'delay: 250ms' (a duration: 500ms, 1.5s, "
	    "2m)\n");
	assert_int_equal(s->steps.v[0]->retry.delay_ms, 250);
	free(errs);
	script_free(s);
	errs = load("name: x\nsteps:\n  - http.request:\n"
	    "      url: http://127.0.0.1:1/\n"
	    "      retry: { attempts: 2, delay_ms: 100 }\n", NULL);
	assert_string_equal(errs, "t.yaml:5:29: warning: http.request: "
	    "'delay_ms' is deprecated; write 'delay: 100ms' (a duration: "
	    "500ms, 1.5s, 2m)\n");
	free(errs);
	expect_error("name: x\nsteps:\n  - log: a\n"
	    "    retry: { delay: 1s, delay_ms: 250 }\n",
	    "retry has both delay and delay_ms; keep delay");
}

/* Conditions are expressions: a plain string is always true. */
static void
test_conditions(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - assert: \"amount > 100\"\n",
	    "t.yaml:3:13: assert needs a condition written as one expression, "
	    "such as ${amount > 100}: a plain string is always true\n");
	expect_error("name: x\nsteps:\n  - assert: { that: \"false\" }\n",
	    "t.yaml:3:21: assert needs a condition");
	expect_error("name: x\nsteps:\n  - assert: \"total ${1} > 0\"\n",
	    "t.yaml:3:13: assert needs a condition");
	expect_valid("name: x\nsteps:\n  - assert: ${1 > 0}\n"
	    "  - assert: { that: true }\n");
	expect_error("name: x\nsteps:\n  - log: a\n    if: \"yes ${1}\"\n",
	    "t.yaml:4:9: if needs a condition written as one expression");
	expect_error("name: x\nsteps:\n  - while: ${true}\n    steps:\n"
	    "      - log: a\n",
	    "t.yaml:3:12: a while loop needs max: the most times it may run");
	expect_error("name: x\nsteps:\n  - until: yes\n    max: 3\n"
	    "    steps:\n      - log: a\n",
	    "until needs a condition written as one expression");
	expect_error("name: x\nsteps:\n  - skip: done\n",
	    "t.yaml:3:5: skip ends an item: it belongs in the steps of a "
	    "for_each whose iterations are items");
	expect_valid("name: x\nsteps:\n  - for_each: ${[1]}\n    steps:\n"
	    "      - skip: done\n    on_error:\n      - skip: ${error.message}\n");
	expect_error("name: x\nsteps:\n  - for_each: ${[1]}\n    items: false\n"
	    "    steps:\n      - skip: done\n", "skip ends an item");
}

/* An include's with: constants must fit the params' types. */
static void
test_include_types(void **state)
{
	const char *main_text = "name: m\nsteps:\n  - include: lib/a.yaml\n"
	    "    with: { n: many, d: 2024-02-30, ok: 3 }\n";
	json_t *files = json_object();
	struct diag d = { NULL, 0, NULL, 0 };
	struct script *s;
	size_t i;
	int found = 0;

	(void)state;
	json_object_set_new(files, "lib/a.yaml", json_string("name: a\n"
	    "params:\n  n: int\n  d: date\n  ok: string\nsteps:\n"
	    "  - log: ${params.n}\n"));
	s = script_load_bundle("m.yaml", main_text, strlen(main_text), files,
	    &d);
	assert_null(s);
	for (i = 0; i < d.n; i++) {
		if (strcmp(d.msgs[i], "m.yaml:4:16: with: param 'n' must be a "
		    "whole number (lib/a.yaml)") == 0 ||
		    strcmp(d.msgs[i], "m.yaml:4:25: with: param 'd' must be a "
		    "date written YYYY-MM-DD (lib/a.yaml)") == 0)
			found++;
	}
	if (found != 2)
		fail_msg("%zu messages, first: %s", d.n, d.n ? d.msgs[0] : "-");
	diag_free(&d);
	json_decref(files);
}

/* file:line:col is exact inside multi-line and block scalars. */
static void
test_positions_in_scalars(void **state)
{
	(void)state;
	expect_error("name: x\nsteps:\n  - log: |\n      first line\n"
	    "      total ${totl}\n",
	    "t.yaml:5:15: undefined name 'totl'");
	expect_error("name: x\nsteps:\n  - log: >-\n      folded\n"
	    "        more ${nope} x\n",
	    "t.yaml:5:16: undefined name 'nope'");
	expect_error("name: x\nsteps:\n  - log: \"a \\\"q\\\" b\n"
	    "      c ${nope}\"\n",
	    "t.yaml:4:11: undefined name 'nope'");
	expect_error("name: x\nsteps:\n  - log: 'it''s\n      ${nope}'\n",
	    "t.yaml:4:9: undefined name 'nope'");
	expect_error("name: x\nsteps:\n  - log: plain text\n"
	    "      continued ${1 +}\n",
	    "t.yaml:4:22: expected a value, found '}'");
}

static void
test_all_errors_reported(void **state)
{
	char *errs;
	size_t lines = 0;
	const char *p;

	(void)state;
	errs = load("name: x\nsteps:\n  - lgo: a\n  - sleep: {}\n"
	    "  - log: ${nope}\n", NULL);
	for (p = errs; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 3);
	free(errs);
}

static void
test_param_coercion(void **state)
{
	struct param p = { 0 };
	char err[256];
	json_t *v;

	(void)state;
	p.name = "n";
	p.type = PARAM_INT;
	v = param_parse(&p, "42", err, sizeof err);
	assert_int_equal(json_integer_value(v), 42);
	json_decref(v);
	assert_null(param_parse(&p, "4x", err, sizeof err));
	assert_string_equal(err, "param 'n' must be a whole number");
	p.type = PARAM_BOOL;
	v = param_parse(&p, "yes", err, sizeof err);
	assert_true(json_is_true(v));
	json_decref(v);
	p.type = PARAM_DATE;
	assert_null(param_parse(&p, "2023-02-29", err, sizeof err));
	v = param_parse(&p, "2024-02-29", err, sizeof err);
	assert_non_null(v);
	json_decref(v);
}

/* Includes travel with the script: loaded from the given files, not disk. */
static void
test_bundle(void **state)
{
	const char *main_text = "name: m\nsteps:\n  - id: s\n"
	    "    include: lib/a.yaml\n    with: { who: x }\n"
	    "  - log: ${steps.s.output}\n";
	json_t *files = json_object(), *loaded;
	struct diag d = { NULL, 0 };
	struct script *s, *s2;
	char digest[65];

	(void)state;
	json_object_set_new(files, "lib/a.yaml", json_string(
	    "name: a\nparams:\n  who: string\nsteps:\n"
	    "  - include: ../common/b.yaml\noutput: ${params.who}\n"));
	json_object_set_new(files, "common/b.yaml", json_string(
	    "name: b\nsteps:\n  - log: hello\n"));
	/* The directory does not exist: only the given files can serve. */
	s = script_load_bundle("/nonexistent/dir/m.yaml", main_text,
	    strlen(main_text), files, &d);
	if (s == NULL)
		fail_msg("%s", d.n ? d.msgs[0] : "?");
	loaded = script_files(s);
	assert_int_equal(json_object_size(loaded), 2);
	assert_non_null(json_object_get(loaded, "lib/a.yaml"));
	assert_non_null(json_object_get(loaded, "common/b.yaml"));
	memcpy(digest, s->digest, sizeof digest);

	/* A changed sub-flow is a new version of the main script. */
	json_object_set_new(files, "common/b.yaml", json_string(
	    "name: b\nsteps:\n  - log: changed\n"));
	s2 = script_load_bundle("/nonexistent/dir/m.yaml", main_text,
	    strlen(main_text), files, &d);
	assert_non_null(s2);
	assert_string_not_equal(digest, s2->digest);
	script_free(s2);
	script_free(s);

	/* A file that is not given is an error: the disk is not looked at. */
	json_object_del(files, "common/b.yaml");
	s = script_load_bundle("/nonexistent/dir/m.yaml", main_text,
	    strlen(main_text), files, &d);
	assert_null(s);
	assert_true(d.n >= 1);
	assert_non_null(strstr(d.msgs[0], "cannot include '../common/b.yaml': "
	    "it is not among the files given with the script"));
	diag_free(&d);
	json_decref(files);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_script),
		cmocka_unit_test(test_literals_are_not_shared),
		cmocka_unit_test(test_yaml_syntax_error),
		cmocka_unit_test(test_unknown_action_suggests),
		cmocka_unit_test(test_missing_required_argument),
		cmocka_unit_test(test_unknown_argument),
		cmocka_unit_test(test_type_mismatch),
		cmocka_unit_test(test_undefined_variable),
		cmocka_unit_test(test_undefined_step_id),
		cmocka_unit_test(test_step_id_used_before_defined),
		cmocka_unit_test(test_undefined_param),
		cmocka_unit_test(test_loop_variable_out_of_scope),
		cmocka_unit_test(test_expression_syntax_error),
		cmocka_unit_test(test_two_actions_in_one_step),
		cmocka_unit_test(test_bad_metadata),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_duplicate_key_and_id),
		cmocka_unit_test(test_retry_and_timeout),
		cmocka_unit_test(test_member_names),
		cmocka_unit_test(test_names_in_order),
		cmocka_unit_test(test_step_keys),
		cmocka_unit_test(test_delay_spelling),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_include_types),
		cmocka_unit_test(test_positions_in_scalars),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_param_coercion),
		cmocka_unit_test(test_bundle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
