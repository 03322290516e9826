/*
 * test_ydoc.c - the YAML tree: positions, typed getters and their messages,
 * and the limits that keep a hostile document from costing what it asks.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "xmalloc.h"
#include "ydoc.h"

/* A sink that keeps every message, one a line. */
struct seen {
	char	text[2048];
	int	n;
};

static void
keep(void *arg, const char *msg)
{
	struct seen *s = arg;
	size_t len = strlen(s->text);

	snprintf(s->text + len, sizeof s->text - len, "%s%s",
	    s->n++ ? "\n" : "", msg);
}

static struct ydoc *
load(const char *text)
{
	char err[512];
	struct ydoc *doc = ydoc_load_string("t.yaml", text, strlen(text), err,
	    sizeof err);

	if (doc == NULL)
		fail_msg("%s", err);
	return doc;
}

static void
test_getters(void **state)
{
	struct ydoc *doc = load("n: 12\nf: 1.5\nq: \"7\"\nb: yes\nt: True\n"
	    "d: 500ms\nl: [1]\ns: text\n");
	struct seen seen = { "", 0 };
	struct ysink sink = { keep, &seen };
	const struct ynode *r = doc->root;
	long long i = 0, ms = 0;
	double d = 0;
	int b = 0;
	char *s;

	(void)state;
	assert_int_equal(ynode_int(ynode_get(r, "n"), "n", 1, 12, &i, &sink),
	    0);
	assert_int_equal(i, 12);
	assert_int_equal(ynode_number(ynode_get(r, "f"), "f", 0, INFINITY, &d,
	    &sink), 0);
	assert_true(d == 1.5);
	assert_int_equal(ynode_bool(ynode_get(r, "t"), "t", &b, &sink), 0);
	assert_int_equal(b, 1);
	assert_int_equal(ynode_duration(ynode_get(r, "d"), "d", &ms, &sink),
	    0);
	assert_int_equal(ms, 500);
	s = ynode_text_dup(ynode_get(r, "s"), "s", &sink);
	assert_string_equal(s, "text");
	free(s);
	assert_int_equal(seen.n, 0);

	/* Each refusal says where, what and why. */
	assert_int_equal(ynode_int(ynode_get(r, "n"), "n", 1, 10, &i, &sink),
	    -1);
	assert_int_equal(ynode_int(ynode_get(r, "f"), "f", LLONG_MIN,
	    LLONG_MAX, &i, &sink), -1);
	assert_int_equal(ynode_number(ynode_get(r, "q"), "q", 0, INFINITY, &d,
	    &sink), -1);
	assert_int_equal(ynode_bool(ynode_get(r, "b"), "b", &b, &sink), -1);
	assert_null(ynode_text(ynode_get(r, "l"), "l", &sink));
	assert_int_equal(ynode_want(ynode_get(r, "s"), YNODE_MAP, "s", &sink),
	    -1);
	assert_string_equal(seen.text,
	    "t.yaml:1:4: n must be a whole number from 1 to 10, not '12'\n"
	    "t.yaml:2:4: f must be a whole number, not '1.5'\n"
	    "t.yaml:3:4: q must be a number of zero or more, not '7'\n"
	    "t.yaml:4:4: b must be true or false, not 'yes'\n"
	    "t.yaml:7:4: l must be a scalar, not a list\n"
	    "t.yaml:8:4: s must be a mapping, not a scalar");
	ydoc_free(doc);
}

static void
test_check_keys(void **state)
{
	static const char *const keys[] = { "steps", "params", NULL };
	struct ydoc *doc = load("stpes: 1\nparams: 2\ncolour: 3\n");
	struct seen seen = { "", 0 };
	struct ysink sink = { keep, &seen };

	(void)state;
	assert_int_equal(ynode_check_keys(doc->root, "a script", keys, &sink),
	    2);
	assert_string_equal(seen.text,
	    "t.yaml:1:1: unknown key 'stpes' in a script (did you mean "
	    "'steps'?)\n"
	    "t.yaml:3:1: unknown key 'colour' in a script");
	ydoc_free(doc);
}

/*
 * The classic "billion laughs": 9 levels of 10 aliases of the level below,
 * each level written between open and close.
 */
static char *
laughs(const char *open, const char *close)
{
	char *text = xstrdup("l0: &l0 \"lol\"\n"), *line, *next;
	int i, j;

	for (i = 1; i <= 9; i++) {
		line = xasprintf("l%d: &l%d %s", i, i, open);
		for (j = 0; j < 10; j++) {
			next = xasprintf("%s%s*l%d", line, j ? ", " : "",
			    i - 1);
			free(line);
			line = next;
		}
		next = xasprintf("%s%s%s\n", text, line, close);
		free(text);
		free(line);
		text = next;
	}
	return text;
}

static void
expect_refused(const char *text, const char *where, const char *what)
{
	char err[512];
	struct ydoc *doc = ydoc_load_string("t.yaml", text, strlen(text), err,
	    sizeof err);

	if (doc != NULL)
		fail_msg("the document loaded; expected: %s", what);
	if (strstr(err, where) == NULL || strstr(err, what) == NULL)
		fail_msg("'%s' lacks '%s' or '%s'", err, where, what);
}

static void
test_alias_bombs(void **state)
{
	char *text;

	(void)state;
	/* Lists of aliases. */
	text = laughs("[", "]");
	expect_refused(text, "t.yaml:", "would make the document larger "
	    "than 200000 values");
	free(text);
	/* The same through merge keys: {<<: [*l8, *l8, ...]}. */
	text = laughs("{<<: [", "]}");
	expect_refused(text, "t.yaml:", "aliases may repeat a part, not "
	    "multiply the document");
	free(text);
}

static void
test_alias_bytes(void **state)
{
	char *big = xmalloc(2 * 1024 * 1024 + 64), *text;
	size_t i, n = 0;

	(void)state;
	/* Few values, much text: a 2 MB scalar repeated 9 times. */
	n += (size_t)sprintf(big, "a: &a ");
	for (i = 0; i < 2 * 1024 * 1024; i++)
		big[n++] = 'x';
	big[n] = '\0';
	text = xasprintf("%s\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n",
	    big);
	expect_refused(text, "t.yaml:2:", "bytes of text");
	free(text);
	free(big);
}

static void
test_alias_count(void **state)
{
	size_t i, len, size = 8 * (YDOC_MAX_ALIASES + 16);
	char *text = xmalloc(size);

	(void)state;
	len = (size_t)snprintf(text, size, "a: &a 1\nb: [");
	for (i = 0; i <= YDOC_MAX_ALIASES; i++)
		len += (size_t)snprintf(text + len, size - len, "*a,");
	snprintf(text + len, size - len, "*a]\n");
	expect_refused(text, "t.yaml:2:", "more than 65536 aliases");
	free(text);
}

static void
test_input_limit(void **state)
{
	size_t len = YDOC_MAX_INPUT + 1;
	char *text = xmalloc(len + 1), err[256];

	(void)state;
	memset(text, '#', len);
	text[len] = '\0';
	assert_null(ydoc_load_string("big.yaml", text, len, err, sizeof err));
	assert_string_equal(err, "big.yaml: larger than 8388608 bytes");
	free(text);
}

/*
 * 40,000 anchors, each used once, in a mapping of 40,000 keys: linear
 * work (it took 3.5 s of CPU when anchors and keys were searched one by
 * one).  CPU time, not wall time, so that a busy machine does not fail it;
 * the bound is ten times what a sanitizer build needs.
 */
static void
test_many_anchors(void **state)
{
	enum { N = 40000 };
	size_t size = (size_t)N * 40, len = 0;
	char *text = xmalloc(size), err[256];
	struct ydoc *doc;
	clock_t t0;
	double secs;
	int i;

	(void)state;
	len += (size_t)snprintf(text + len, size - len, "defs:\n");
	for (i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, size - len,
		    "  k%d: &a%d v%d\n", i, i, i);
	len += (size_t)snprintf(text + len, size - len, "uses:\n");
	for (i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, size - len, "  - *a%d\n",
		    i);
	t0 = clock();
	doc = ydoc_load_string("t.yaml", text, len, err, sizeof err);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	if (doc == NULL)
		fail_msg("%s", err);
	assert_int_equal(ynode_get(doc->root, "defs")->n, N);
	assert_string_equal(ynode_get(doc->root, "uses")->items[N - 1]->value,
	    "v39999");
	if (secs > 1.0)
		fail_msg("40,000 anchors took %.2f s of CPU", secs);
	ydoc_free(doc);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_check_keys),
		cmocka_unit_test(test_alias_bombs),
		cmocka_unit_test(test_alias_bytes),
		cmocka_unit_test(test_alias_count),
		cmocka_unit_test(test_input_limit),
		cmocka_unit_test(test_many_anchors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
