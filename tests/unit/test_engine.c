/*
 * test_engine.c - running scripts in process: what loops, items, skip,
 * append, while/until, assert, dry runs, run-time errors and the agent's
 * policy on the files the language itself opens do, judged
 * by the run's summary and events.  The actions are the real ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "engine.h"
#include "policy.h"
#include "script.h"
#include "xmalloc.h"
#include "ydoc.h"

/* One run: its summary and every event, in order. */
struct result {
	json_t	*summary;
	json_t	*events;
	int	 rc;
};

static void
collect(void *arg, const json_t *ev)
{
	json_array_append_new(arg, json_deep_copy(ev));
}

/*
 * Load and run text, or the file at path when text is NULL (failing the
 * test when it does not load).
 */
static struct result
run_confined(const char *path, const char *text, int dry_run,
    const struct policy *pol, const char *workdir)
{
	struct diag d = { NULL, 0, NULL, 0 };
	struct run_opts opts;
	struct result res;
	struct script *s;
	struct run *r;
	char err[512];

	s = text != NULL ? script_load_text(path, text, strlen(text), &d) :
	    script_load(path, &d);
	if (s == NULL)
		fail_msg("does not load: %s", d.n ? d.msgs[0] : "?");
	diag_free(&d);
	memset(&opts, 0, sizeof opts);
	opts.dry_run = dry_run;
	opts.policy = pol;
	opts.workdir = workdir;
	opts.artifacts_dir = "/tmp/kobito-test-engine-artifacts";
	res.events = json_array();
	opts.on_event = collect;
	opts.event_arg = res.events;
	if ((r = run_new(s, &opts, err, sizeof err)) == NULL)
		fail_msg("run_new: %s", err);
	res.rc = run_exec(r);
	res.summary = run_summary(r);
	run_free(r);
	script_free(s);
	return res;
}

static struct result
run_script(const char *path, const char *text, int dry_run)
{
	return run_confined(path, text, dry_run, NULL, NULL);
}

static struct result
run_text(const char *text, int dry_run)
{
	return run_script("t.yaml", text, dry_run);
}

static void
result_free(struct result *res)
{
	json_decref(res->summary);
	json_decref(res->events);
}

static json_int_t
items(const struct result *res, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(
	    res->summary, "items"), key));
}

static const char *
summary_str(const struct result *res, const char *key)
{
	const char *s = json_string_value(json_object_get(res->summary, key));

	return s ? s : "";
}

/* Whether some log event's message contains needle. */
static int
logged(const struct result *res, const char *needle)
{
	json_t *ev;
	size_t i;

	json_array_foreach(res->events, i, ev) {
		const char *m = json_string_value(json_object_get(ev,
		    "message"));

		if (m != NULL && strstr(m, needle) != NULL)
			return 1;
	}
	return 0;
}

static void
expect_error(const struct result *res, const char *needle)
{
	if (strcmp(summary_str(res, "status"), "failed") != 0 ||
	    strstr(summary_str(res, "error"), needle) == NULL)
		fail_msg("expected a failed run with \"%s\"; got %s: %s",
		    needle, summary_str(res, "status"),
		    summary_str(res, "error"));
}

/* Write text to path (a test's own file), failing the test if it cannot. */
static void
put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* for_each over anything but a list or mapping is an error. */
static void
test_for_each_needs_a_list(void **state)
{
	struct result res;

	(void)state;
	res = run_text("name: x\nsteps:\n  - set: { data: {} }\n"
	    "  - for_each: ${data.rows}\n    steps:\n      - log: a\n", 0);
	expect_error(&res, "t.yaml:4:5: for_each: for_each: ${data.rows} is "
	    "null, not a list (an empty list [] runs no items)");
	result_free(&res);
	res = run_text("name: x\nsteps:\n  - for_each: ${'abc'}\n"
	    "    steps:\n      - log: a\n", 0);
	expect_error(&res, "is the string 'abc', not a list");
	result_free(&res);
	res = run_text("name: x\nsteps:\n  - id: l\n    for_each: ${[]}\n"
	    "    steps:\n      - log: a\n"
	    "  - assert: ${steps.l.output.count == 0}\n", 0);
	assert_string_equal(summary_str(&res, "status"), "succeeded");
	result_free(&res);
}

/*
 * A loop's timeout stops it between items: the items never started are
 * not run, the one that was running is failed by the loop's time, and the
 * loop fails saying so.  The counts hold however slow the machine is.
 */
static void
test_loop_timeout(void **state)
{
	struct result res;
	json_int_t ok, failed, not_run;
	char want[128];
	json_t *f;

	(void)state;
	res = run_text("name: x\nsteps:\n  - for_each: ${range(10)}\n"
	    "    timeout: 0.5s\n    steps:\n      - sleep: 0.2\n", 0);
	ok = items(&res, "succeeded");
	failed = items(&res, "failed");
	not_run = items(&res, "not_run");
	assert_int_equal(ok + failed + not_run, 10);
	assert_true(failed <= 1);
	assert_true(not_run >= 1);
	snprintf(want, sizeof want, "timed out after %lld of 10 items (%lld "
	    "not run)", (long long)(ok + failed), (long long)not_run);
	expect_error(&res, want);
	f = json_array_get(json_object_get(json_object_get(res.summary,
	    "items"), "failures"), 0);
	if (f != NULL)
		assert_non_null(strstr(json_string_value(json_object_get(f,
		    "error")), "not finished when the loop's time ran out"));
	result_free(&res);
}

/* on_error of an item loop runs for each failed item, which stays failed. */
static void
test_on_error_per_item(void **state)
{
	struct result res;

	(void)state;
	res = run_text("name: x\nkpi: { manual_minutes_per_item: 2 }\n"
	    "steps:\n  - for_each: ${[1, 2, 3, 4]}\n    as: n\n    steps:\n"
	    "      - assert: { that: '${n % 2 == 1}', message: 'even ${n}' }\n"
	    "    on_error:\n"
	    "      - append: { to: bad, value: '${n}: ${error.message}' }\n"
	    "output: ${bad}\n", 0);
	assert_string_equal(summary_str(&res, "status"), "partial");
	assert_int_equal(items(&res, "succeeded"), 2);
	assert_int_equal(items(&res, "failed"), 2);
	assert_int_equal(json_array_size(json_object_get(res.summary,
	    "output")), 2);
	assert_non_null(strstr(json_string_value(json_array_get(
	    json_object_get(res.summary, "output"), 1)), "4: t.yaml:7:9: "
	    "assert: even 4"));
	assert_true(json_real_value(json_object_get(res.summary,
	    "minutes_saved")) == 4.0);
	result_free(&res);
}

/* skip: listed with its reason, no minutes, not a failure. */
static void
test_skip(void **state)
{
	struct result res;
	json_t *skips;

	(void)state;
	res = run_text("name: x\nkpi: { manual_minutes_per_run: 5, "
	    "manual_minutes_per_item: 2 }\nsteps:\n"
	    "  - for_each: ${[1, 2, 3, 4]}\n    steps:\n"
	    "      - skip: 'already registered: ${item}'\n"
	    "        if: ${item > 2}\n"
	    "      - log: 'did ${item}'\n", 0);
	assert_string_equal(summary_str(&res, "status"), "succeeded");
	assert_int_equal(items(&res, "succeeded"), 2);
	assert_int_equal(items(&res, "skipped"), 2);
	assert_int_equal(items(&res, "failed"), 0);
	assert_true(json_real_value(json_object_get(res.summary,
	    "minutes_saved")) == 9.0);
	skips = json_object_get(json_object_get(res.summary, "items"),
	    "skips");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    skips, 1), "reason")), "already registered: 4");
	assert_true(logged(&res, "did 2"));
	assert_false(logged(&res, "did 3"));
	result_free(&res);
	/* A batch whose every item was done before earns nothing. */
	res = run_text("name: x\nkpi: { manual_minutes_per_run: 5, "
	    "manual_minutes_per_item: 2 }\nsteps:\n"
	    "  - for_each: ${[1, 2]}\n    steps:\n"
	    "      - skip: done before\n", 0);
	assert_int_equal(items(&res, "skipped"), 2);
	assert_true(json_real_value(json_object_get(res.summary,
	    "minutes_saved")) == 0.0);
	result_free(&res);
	/* From an on_error step: a refusal that means "done before". */
	res = run_text("name: x\nsteps:\n  - for_each: ${[1, 2]}\n    steps:\n"
	    "      - fail: 'HTTP 409 for ${item}'\n        if: ${item == 2}\n"
	    "    on_error:\n      - skip: ${error.message}\n", 0);
	assert_int_equal(items(&res, "succeeded"), 1);
	assert_int_equal(items(&res, "skipped"), 1);
	result_free(&res);
}

/* append collects in place; what an earlier step output is unchanged. */
static void
test_append(void **state)
{
	struct result res;

	(void)state;
	res = run_text("name: x\nsteps:\n  - id: s\n    set: { rows: [a] }\n"
	    "  - for_each: ${range(1000)}\n    items: false\n    steps:\n"
	    "      - append: { to: rows, value: '${item}' }\n"
	    "  - id: more\n    append: { to: rows, values: [x, y] }\n"
	    "  - append: { to: fresh, value: 1 }\n"
	    "  - assert: ${len(rows) == 1003 and rows[1000] == 999}\n"
	    "  - assert: ${steps.s.output.rows == ['a']}\n"
	    "  - assert: ${steps.more.output.count == 1003 and fresh == [1]}\n"
	    "  - set: { text: abc }\n"
	    "  - append: { to: text, value: 1 }\n", 0);
	expect_error(&res, "append: 'text' is a string, not a list");
	assert_int_equal(json_array_size(json_object_get(res.summary,
	    "steps")), 9);
	result_free(&res);
}

static void
test_while_until(void **state)
{
	struct result res;

	(void)state;
	res = run_text("name: x\nsteps:\n  - set: { page: 0, seen: [] }\n"
	    "  - id: pages\n    while: ${page < 3}\n    max: 10\n    steps:\n"
	    "      - append: { to: seen, value: '${loop.number}' }\n"
	    "      - set: { page: '${page + 1}' }\n"
	    "  - assert: ${steps.pages.output.iterations == 3}\n"
	    "  - assert: ${seen == [1, 2, 3]}\n"
	    "  - id: once\n    until: ${true}\n    max: 5\n    steps:\n"
	    "      - log: once\n"
	    "  - assert: ${steps.once.output.iterations == 1}\n", 0);
	assert_string_equal(summary_str(&res, "status"), "succeeded");
	result_free(&res);
	res = run_text("name: x\nsteps:\n  - while: ${true}\n    max: 4\n"
	    "    steps:\n      - log: again\n", 0);
	expect_error(&res, "while: ${true} still says go on after 4 passes "
	    "(max: 4)");
	result_free(&res);
	res = run_text("name: x\nsteps:\n  - until: ${false}\n    max: 2\n"
	    "    steps:\n      - log: again\n", 0);
	expect_error(&res, "until: ${false} still says go on after 2 passes "
	    "(max: 2)");
	result_free(&res);
	res = run_text("name: x\nsteps:\n  - while: ${1}\n    max: 2\n"
	    "    steps:\n      - log: again\n", 0);
	expect_error(&res, "while: ${1} is the number 1, not true or false");
	result_free(&res);
}

/* assert wants true or false at run time too. */
static void
test_assert_boolean(void **state)
{
	struct result res;

	(void)state;
	res = run_text("name: x\nsteps:\n  - assert: ${'yes'}\n", 0);
	expect_error(&res, "assert: the condition gave the string 'yes', not "
	    "true or false");
	result_free(&res);
	res = run_text("name: x\nsteps:\n  - assert: ${[1]}\n", 0);
	expect_error(&res, "the condition gave a list, not true or false");
	result_free(&res);
}

/* if: wants true or false too: no truthiness, the condition's place. */
static void
test_if_boolean(void **state)
{
	struct result res;

	(void)state;
	res = run_text("name: x\nsteps:\n  - set: { note: 'paid' }\n"
	    "  - log: noted\n    if: ${note}\n", 0);
	expect_error(&res, "t.yaml:5:9: if: ${note} is the string 'paid', not "
	    "true or false");
	result_free(&res);
	res = run_text("name: x\nsteps:\n  - log: none\n    if: ${0}\n", 0);
	expect_error(&res, "if: ${0} is the number 0, not true or false");
	result_free(&res);
	res = run_text("name: x\nsteps:\n  - log: none\n    if: ${null}\n",
	    0);
	expect_error(&res, "if: ${null} is null, not true or false");
	result_free(&res);
	res = run_text("name: x\nsteps:\n  - set: { n: 0 }\n"
	    "  - set: { n: 1 }\n    if: ${false}\n"
	    "  - set: { n: '${n + 10}' }\n    if: ${n == 0}\n"
	    "  - assert: ${n == 10}\n", 0);
	assert_string_equal(summary_str(&res, "status"), "succeeded");
	result_free(&res);
	/* A dry run makes no response: a condition on it is not met, but a
	 * string is still no condition. */
	res = run_text("name: x\nsteps:\n  - set: { n: 0 }\n  - id: post\n"
	    "    http.request: { url: 'http://127.0.0.1:9/x', method: POST }\n"
	    "  - set: { n: 1 }\n    if: ${steps.post.output.json}\n"
	    "  - assert: ${n == 0}\n", 1);
	assert_string_equal(summary_str(&res, "status"), "succeeded");
	result_free(&res);
	res = run_text("name: x\nsteps:\n  - log: x\n    if: ${'y'}\n", 1);
	expect_error(&res, "if: ${'y'} is the string 'y', not true or false");
	result_free(&res);
}

/* A run-time error names the offending part, inside a block scalar. */
static void
test_runtime_positions(void **state)
{
	struct result res;

	(void)state;
	res = run_text("name: x\nsteps:\n  - set: { s: 'a' }\n  - log: |\n"
	    "      first\n      second ${ 1 + s * 2 }\n", 0);
	expect_error(&res, "t.yaml:6:23: cannot multiply string and number");
	result_free(&res);
	res = run_text("name: x\nsteps:\n  - set: { s: 'a' }\n"
	    "  - log: \"one\n      two ${s | number}\"\n", 0);
	expect_error(&res, "t.yaml:5:17: number(): cannot read 'a' as a "
	    "number");
	result_free(&res);
	res = run_text("name: x\nsteps:\n  - log: a\n    if: ${1 / 0 > 1}\n",
	    0);
	expect_error(&res, "t.yaml:4:13: if: division by zero");
	result_free(&res);
}

/*
 * --dry-run: reads run for real (csv.read), writes describe themselves
 * (file.write), and what declares nothing is not run (sleep).
 */
static void
test_dry_run(void **state)
{
	char dir[] = "/tmp/kobito-dry-XXXXXX", text[1024], path[256];
	struct result res;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/in.csv", dir);
	put_file(path, "a,b\n1,2\n3,4\n");
	snprintf(text, sizeof text, "name: x\nsteps:\n  - id: rows\n"
	    "    csv.read: %s\n  - file.write: { path: %s/out.txt, "
	    "content: '${steps.rows.output.count}' }\n  - sleep: 30\n"
	    "  - assert: ${steps.rows.output.count == 2}\n", path, dir);
	res = run_text(text, 1);
	assert_string_equal(summary_str(&res, "status"), "succeeded");
	assert_true(logged(&res, "dry run: sleep not run"));
	snprintf(path, sizeof path, "%s/out.txt", dir);
	assert_int_not_equal(access(path, F_OK), 0);
	result_free(&res);
	snprintf(path, sizeof path, "%s/in.csv", dir);
	unlink(path);
	rmdir(dir);
}

/* The script of the stream tests: 3 rows to path, then fail or not. */
static struct result
run_stream(const char *path, int fail, int dry_run)
{
	char text[1024];

	snprintf(text, sizeof text, "name: x\nsteps:\n"
	    "  - id: o\n    csv.open: { path: '%s', columns: [id, name], "
	    "encoding: shift_jis }\n"
	    "  - for_each: ${range(3)}\n    steps:\n"
	    "      - csv.write: { handle: '${steps.o.output.handle}', rows: "
	    "[{ id: '${item}', name: '山田${item}' }] }\n"
	    "  - fail: stop\n    if: ${%s}\n", path, fail ? "true" : "false");
	return run_text(text, dry_run);
}

/* The names in dir, joined by spaces; the caller frees. */
static char *
listing(const char *dir)
{
	char cmd[512], *out = calloc(1, 1024);
	FILE *p;

	snprintf(cmd, sizeof cmd, "ls -A '%s'", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_true(fread(out, 1, 1023, p) < 1023);
	pclose(p);
	return out;
}

/* The whole text of path; the caller frees. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	n = fread(text, 1, 65535, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/*
 * A CSV written row by row: in place when the run succeeds, the old file
 * untouched (and no temporary file left) when it fails, nothing written
 * in a dry run.
 */
static void
test_csv_stream(void **state)
{
	char dir[] = "/tmp/kobito-stream-XXXXXX", path[256];
	struct result res;
	char *got;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/out.csv", dir);
	put_file(path, "old\n");
	res = run_stream(path, 1, 0);
	expect_error(&res, "fail: stop");
	result_free(&res);
	got = slurp(path);
	assert_string_equal(got, "old\n");
	free(got);
	got = listing(dir);
	assert_string_equal(got, "out.csv\n");
	free(got);
	res = run_stream(path, 0, 1);
	assert_string_equal(summary_str(&res, "status"), "succeeded");
	assert_true(logged(&res, "dry run: would write"));
	result_free(&res);
	got = slurp(path);
	assert_string_equal(got, "old\n");
	free(got);
	res = run_stream(path, 0, 0);
	assert_string_equal(summary_str(&res, "status"), "succeeded");
	result_free(&res);
	got = slurp(path);
	/* 山田 in Shift_JIS is 8E 52 93 63. */
	assert_string_equal(got, "id,name\r\n0,\x8e\x52\x93\x63" "0\r\n"
	    "1,\x8e\x52\x93\x63" "1\r\n2,\x8e\x52\x93\x63" "2\r\n");
	free(got);
	unlink(path);
	rmdir(dir);
	res = run_text("name: x\nsteps:\n  - csv.write: { handle: nope, "
	    "rows: [[1]] }\n", 0);
	expect_error(&res, "no csv.open for 'nope' before this step");
	result_free(&res);
	res = run_text("name: x\nsteps:\n  - id: o\n    csv.open: /tmp/x.csv\n"
	    "  - csv.close: ${steps.o.output.handle}\n"
	    "  - csv.write: { handle: /tmp/x.csv, rows: [[1]] }\n", 1);
	expect_error(&res, "'/tmp/x.csv' is closed already");
	result_free(&res);
}

/* for_each: { csv: PATH } reads the rows one at a time. */
static void
test_csv_rows_loop(void **state)
{
	char dir[] = "/tmp/kobito-rows-XXXXXX", path[256], text[1024];
	struct result res;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/in.csv", dir);
	/* Shift_JIS: 氏名 is 8E81 96BC, 山田 8E52 9363. */
	put_file(path, "id,\x8e\x81\x96\xbc\r\n1,\x8e\x52\x93\x63\r\n"
	    "\r\n2,b\r\n3,c\r\n");
	snprintf(text, sizeof text, "name: x\nsteps:\n"
	    "  - id: l\n    for_each: { csv: %s, encoding: shift_jis }\n"
	    "    as: row\n    steps:\n"
	    "      - append: { to: seen, value: '${row.氏名}${loop.number}' }\n"
	    "      - assert: ${loop.count == null and loop.last == null}\n"
	    "  - assert: ${seen == ['山田1', 'b2', 'c3']}\n"
	    "  - assert: ${steps.l.output.count == 3}\n", path);
	res = run_text(text, 0);
	assert_string_equal(summary_str(&res, "status"), "succeeded");
	assert_int_equal(items(&res, "succeeded"), 3);
	result_free(&res);
	/* A row of the wrong width stops the loop, naming its line. */
	put_file(path, "a,b\n1,2\n3\n4,5\n");
	snprintf(text, sizeof text, "name: x\nsteps:\n"
	    "  - for_each: { csv: %s }\n    steps:\n      - log: a\n", path);
	res = run_text(text, 0);
	expect_error(&res, "line 3: the row has 1 fields, the header has 2");
	result_free(&res);
	unlink(path);
	rmdir(dir);
	res = run_text("name: x\nsteps:\n  - for_each: { csv: /nonexistent/x.csv"
	    " }\n    steps:\n      - log: a\n", 0);
	expect_error(&res, "for_each: cannot open '/nonexistent/x.csv'");
	result_free(&res);
}

/* A sub-flow may skip the item it runs in. */
static void
test_skip_in_include(void **state)
{
	char dir[] = "/tmp/kobito-incl-XXXXXX", path[256], main_path[256];
	struct result res;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* Includes are read from the main script's own folder. */
	snprintf(path, sizeof path, "%s/check.yaml", dir);
	snprintf(main_path, sizeof main_path, "%s/main.yaml", dir);
	put_file(path, "name: check\nparams:\n  n: int\nsteps:\n"
	    "  - skip: 'done: ${params.n}'\n    if: ${params.n == 2}\n");
	put_file(main_path, "name: x\nsteps:\n"
	    "  - for_each: ${[1, 2, 3]}\n    steps:\n"
	    "      - include: check.yaml\n        with: { n: '${item}' }\n"
	    "      - log: 'did ${item}'\n");
	res = run_script(main_path, NULL, 0);
	assert_string_equal(summary_str(&res, "status"), "succeeded");
	assert_int_equal(items(&res, "succeeded"), 2);
	assert_int_equal(items(&res, "skipped"), 1);
	assert_false(logged(&res, "did 2"));
	result_free(&res);
	/* Not in an item: the run fails saying so. */
	put_file(main_path, "name: x\nsteps:\n  - include: check.yaml\n"
	    "    with: { n: 2 }\n");
	res = run_script(main_path, NULL, 0);
	expect_error(&res, "skip is not inside an item");
	result_free(&res);
	unlink(path);
	unlink(main_path);
	rmdir(dir);
}

/*
 * The agent's policy holds for what the language reads and writes by
 * itself too: the file of a for_each over CSV rows, a csv.open's file.
 */
static void
test_policy_paths(void **state)
{
	char root[] = "/tmp/kobito-pol-XXXXXX", out[] = "/tmp/kobito-out-XXXXXX";
	char *yaml, *text, *in, *ref, err[512];
	struct ydoc *doc;
	struct policy *pol;
	struct result res;

	(void)state;
	assert_non_null(mkdtemp(root));
	assert_non_null(mkdtemp(out));
	in = xasprintf("%s/in", root);
	ref = xasprintf("%s/ref", root);
	assert_int_equal(mkdir(in, 0700), 0);
	assert_int_equal(mkdir(ref, 0700), 0);
	text = xasprintf("%s/rows.csv", ref);
	put_file(text, "a\n1\n2\n");
	free(text);
	text = xasprintf("%s/rows.csv", out);
	put_file(text, "a\n1\n");
	free(text);
	yaml = xasprintf("files:\n  - %s\n  - { path: %s, access: read }\n",
	    in, ref);
	doc = ydoc_load_string("agent.yaml", yaml, strlen(yaml), err,
	    sizeof err);
	assert_non_null(doc);
	pol = policy_from_yaml(doc->root, err, sizeof err);
	ydoc_free(doc);
	if (pol == NULL)
		fail_msg("policy: %s", err);

	/* Rows from a file under a root: read. */
	text = xasprintf("name: x\nsteps:\n  - for_each: { csv: %s/rows.csv }"
	    "\n    steps:\n      - log: 'row ${item.a}'\n", ref);
	res = run_confined("t.yaml", text, 0, pol, in);
	assert_string_equal(summary_str(&res, "status"), "succeeded");
	assert_int_equal(items(&res, "succeeded"), 2);
	result_free(&res);
	free(text);
	/* From outside every root: refused before it is opened. */
	text = xasprintf("name: x\nsteps:\n  - for_each: { csv: %s/rows.csv }"
	    "\n    steps:\n      - log: 'row ${item.a}'\n", out);
	res = run_confined("t.yaml", text, 0, pol, in);
	expect_error(&res, "the agent's policy does not allow");
	assert_false(logged(&res, "row 1"));
	result_free(&res);
	free(text);
	/* A streamed CSV file is written: a read-only root refuses it. */
	text = xasprintf("name: x\nsteps:\n  - csv.open: { path: %s/new.csv }"
	    "\n", ref);
	res = run_confined("t.yaml", text, 0, pol, in);
	expect_error(&res, "does not allow writing");
	result_free(&res);
	free(text);
	text = xasprintf("%s/new.csv", ref);
	assert_int_not_equal(access(text, F_OK), 0);
	free(text);

	policy_free(pol);
	free(yaml);
	text = xasprintf("rm -rf '%s' '%s'", root, out);
	assert_int_equal(system(text), 0);
	free(text);
	free(in);
	free(ref);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_for_each_needs_a_list),
		cmocka_unit_test(test_loop_timeout),
		cmocka_unit_test(test_on_error_per_item),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_while_until),
		cmocka_unit_test(test_assert_boolean),
		cmocka_unit_test(test_if_boolean),
		cmocka_unit_test(test_runtime_positions),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_csv_stream),
		cmocka_unit_test(test_csv_rows_loop),
		cmocka_unit_test(test_skip_in_include),
		cmocka_unit_test(test_policy_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
