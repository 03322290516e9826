/*
 * test_textdiff.c - unified diffs: the hunks `diff -u` prints for a few
 * known cases (a change, lines added at either end, far apart changes in
 * two hunks, a last line without a newline, the same texts), the limit on
 * edits, and for 2,000 random pairs of texts that the diff, applied to
 * the first, gives the second with no more edits than needed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "textdiff.h"
#include "xmalloc.h"

static char *
diff(const char *a, const char *b, int max, struct textdiff_stat *st)
{
	return textdiff_unified(a, strlen(a), b, strlen(b), "a", "b", 3, max,
	    st);
}

static void
test_known(void **state)
{
	struct textdiff_stat st;
	char *d;

	(void)state;
	d = diff("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n",
	    "a\nB\nc\nd\ne\nf\ng\nh\nI\nj\nk", 100, &st);
	assert_string_equal(d, "--- a\n+++ b\n@@ -1,10 +1,11 @@\n a\n-b\n+B\n"
	    " c\n d\n e\n f\n g\n h\n-i\n+I\n j\n+k\n");
	assert_int_equal(st.added, 3);
	assert_int_equal(st.removed, 2);
	free(d);
	/* Far apart: two hunks. */
	d = diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
	    "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n", 100, &st);
	assert_string_equal(d, "--- a\n+++ b\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n"
	    " 3\n@@ -9,4 +10,3 @@\n 9\n 10\n 11\n-12\n");
	free(d);
	/* The same: nothing. */
	d = diff("x\ny\n", "x\ny\n", 0, &st);
	assert_string_equal(d, "");
	assert_int_equal(st.added + st.removed, 0);
	free(d);
	/* Everything new. */
	d = diff("", "x\n", 10, &st);
	assert_string_equal(d, "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n");
	free(d);
	/* Too many edits for the limit. */
	assert_null(diff("a\nb\nc\n", "x\ny\nz\n", 5, &st));
	d = diff("a\nb\nc\n", "x\ny\nz\n", 6, &st);
	assert_non_null(d);
	assert_int_equal(st.added, 3);
	free(d);
}

/* A hunk's range "L,N" or "L" (N is then 1): 0, or -1. */
static int
range(const char *p, int *l, int *n)
{
	if (sscanf(p, "%d,%d", l, n) == 2)
		return 0;
	*n = 1;
	return sscanf(p, "%d", l) == 1 ? 0 : -1;
}

/* Apply diff d to text a; the result (a new string) or NULL if it fails. */
static char *
patch(const char *a, const char *d)
{
	const char *lines[4096], *p;
	size_t lens[4096];
	int n = 0, at = 0, old, oc, nw, nc;
	struct buf o;

	for (p = a; *p != '\0'; ) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		lines[n] = p;
		lens[n++] = len;
		p += len + (nl != NULL);
	}
	buf_init(&o, 0);
	p = strstr(d, "@@");
	while (p != NULL && *p != '\0') {
		if (range(p + 4, &old, &oc) != 0 || range(strchr(p + 4, '+') +
		    1, &nw, &nc) != 0)
			goto bad;
		if (oc > 0)
			old--;
		while (at < old) {
			buf_append(&o, lines[at], lens[at]);
			buf_putc(&o, '\n');
			at++;
		}
		p = strchr(p, '\n') + 1;
		while (*p == ' ' || *p == '-' || *p == '+') {
			const char *nl = strchr(p, '\n');
			size_t len = (size_t)(nl - p) - 1;

			if (*p != '+') {
				if (at >= n || lens[at] != len ||
				    memcmp(lines[at], p + 1, len) != 0)
					goto bad;
				at++;
			}
			if (*p != '-') {
				buf_append(&o, p + 1, len);
				buf_putc(&o, '\n');
			}
			p = nl + 1;
		}
	}
	while (at < n) {
		buf_append(&o, lines[at], lens[at]);
		buf_putc(&o, '\n');
		at++;
	}
	return o.len ? buf_detach(&o, NULL) : (buf_free(&o), xstrdup(""));
bad:
	buf_free(&o);
	return NULL;
}

/* A random text of up to 40 lines from a small alphabet of lines. */
static void
random_text(unsigned *seed, char *out, size_t len)
{
	int n = (int)(rand_r(seed) % 40), i;
	size_t at = 0;

	for (i = 0; i < n && at + 4 < len; i++)
		at += (size_t)snprintf(out + at, len - at, "%c\n",
		    'a' + (int)(rand_r(seed) % 5));
	out[at] = '\0';
}

/* The length of a longest common subsequence of lines (1-char lines). */
static int
lcs(const char *a, const char *b)
{
	int na = (int)strlen(a) / 2, nb = (int)strlen(b) / 2, i, j;
	static int t[41][41];

	for (i = 0; i <= na; i++)
		for (j = 0; j <= nb; j++)
			t[i][j] = i == 0 || j == 0 ? 0 : a[2 * (i - 1)] ==
			    b[2 * (j - 1)] ? t[i - 1][j - 1] + 1 :
			    t[i - 1][j] > t[i][j - 1] ? t[i - 1][j] :
			    t[i][j - 1];
	return t[na][nb];
}

static void
test_random(void **state)
{
	char a[256], b[256], *d, *back;
	struct textdiff_stat st;
	unsigned seed = 17;
	int i, common;

	(void)state;
	for (i = 0; i < 2000; i++) {
		random_text(&seed, a, sizeof a);
		random_text(&seed, b, sizeof b);
		d = diff(a, b, 100, &st);
		assert_non_null(d);
		back = patch(a, d);
		if (back == NULL || strcmp(back, b) != 0)
			fail_msg("case %d:\na:\n%sb:\n%sdiff:\n%sgot:\n%s", i, a,
			    b, d, back ? back : "(does not apply)");
		/* The fewest edits: everything but a longest common part. */
		common = lcs(a, b);
		assert_int_equal(st.removed, (int)strlen(a) / 2 - common);
		assert_int_equal(st.added, (int)strlen(b) / 2 - common);
		free(back);
		free(d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
