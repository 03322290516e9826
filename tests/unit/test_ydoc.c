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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_check_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
