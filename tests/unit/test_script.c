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

/* Load text; return the diagnostics joined by newlines ("" when valid). */
static char *
load(const char *text, struct script **out)
{
	struct diag d = { NULL, 0 };
	struct script *s;
	size_t i, len = 1;
	char *all;

	s = script_load_text("t.yaml", text, strlen(text), &d);
	for (i = 0; i < d.n; i++)
		len += strlen(d.msgs[i]) + 1;
	all = calloc(1, len);
	for (i = 0; i < d.n; i++) {
		strcat(all, d.msgs[i]);
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

	/* A file that is neither given nor on disk is an error. */
	json_object_del(files, "common/b.yaml");
	s = script_load_bundle("/nonexistent/dir/m.yaml", main_text,
	    strlen(main_text), files, &d);
	assert_null(s);
	assert_true(d.n >= 1);
	assert_non_null(strstr(d.msgs[0], "cannot open '/nonexistent/dir/lib/"
	    "../common/b.yaml'"));
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
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_param_coercion),
		cmocka_unit_test(test_bundle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
