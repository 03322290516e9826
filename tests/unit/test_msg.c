/*
 * test_msg.c - the catalogue of Japanese messages: every Japanese format
 * has the conversions of its English key, in the same order (the same
 * arguments fill both), the language a request prefers, and a message
 * formatted both ways.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "msg.h"

/* The conversions of a printf format ("%s", "%lld", ...) joined. */
static void
conversions(const char *f, char *out, size_t len)
{
	size_t n = 0;
	const char *p;

	out[0] = '\0';
	for (p = f; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		while (*p != '\0' && strchr("-+ #0123456789.", *p))
			p++;
		while (*p != '\0' && strchr("hlzjt", *p) && n + 1 < len)
			out[n++] = *p++;
		if (*p == '\0' || n + 2 >= len)
			break;
		out[n++] = *p;
		out[n++] = ',';
		out[n] = '\0';
	}
}

static void
test_same_conversions(void **state)
{
	const char *en, *ja;
	char a[128], b[128];
	int i;

	(void)state;
	for (i = 0; msg_pair(i, &en, &ja) == 0; i++) {
		conversions(en, a, sizeof a);
		conversions(ja, b, sizeof b);
		if (strcmp(a, b) != 0)
			fail_msg("'%s' (%s) and '%s' (%s)", en, a, ja, b);
	}
	assert_true(i >= 20);
}

static void
say(char *out, size_t len, int ja, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
say(char *out, size_t len, int ja, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vformat(out, len, ja, fmt, ap);
	va_end(ap);
}

static void
test_languages(void **state)
{
	char out[256];

	(void)state;
	assert_true(msg_japanese("ja"));
	assert_true(msg_japanese("ja-JP,en;q=0.5"));
	assert_false(msg_japanese("en-US,ja;q=0.9"));
	assert_false(msg_japanese(NULL));
	say(out, sizeof out, 1, "no job '%s'", "12");
	assert_string_equal(out, "ジョブ '12' はありません");
	say(out, sizeof out, 0, "no job '%s'", "12");
	assert_string_equal(out, "no job '12'");
	/* A whole message passed through "%s". */
	say(out, sizeof out, 1, "%s", "wrong user name or password");
	assert_string_equal(out, "ユーザー名かパスワードが違います");
	/* One the catalogue lacks stays English. */
	say(out, sizeof out, 1, "%s", "the moon is blue");
	assert_string_equal(out, "the moon is blue");
	say(out, sizeof out, 1, "%s: expected an integer from %lld to %lld",
	    "priority", -1000LL, 1000LL);
	assert_string_equal(out, "priority: -1000〜1000の整数を入力してください");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_conversions),
		cmocka_unit_test(test_languages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
