/*
 * test_textutil.c - cutting text by characters, percent-encoding, and the
 * "did you mean" search.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "textutil.h"

static void
test_utf8_prefix(void **state)
{
	/* 「日本語のテキスト」: 3 bytes a character. */
	const char *ja = "日本語のテキスト";
	char buf[64];

	(void)state;
	assert_int_equal(text_utf8_prefix("abc", 2), 2);
	assert_int_equal(text_utf8_prefix("abc", 10), 3);
	assert_int_equal(text_utf8_prefix("", 10), 0);
	assert_int_equal(text_utf8_prefix(ja, 0), 0);
	assert_int_equal(text_utf8_prefix(ja, 2), 6);
	/* Mixed widths, and a character outside the BMP (4 bytes). */
	assert_int_equal(text_utf8_prefix("a\xf0\xa0\xae\xb7" "b", 2), 5);
	/* What "%.200s" got wrong: a cut inside a character. */
	snprintf(buf, sizeof buf, "%.*s|", text_utf8_prefix(ja, 3), ja);
	assert_string_equal(buf, "日本語|");
	/* A stray continuation byte is part of the character before it. */
	assert_int_equal(text_utf8_prefix("a\x80\x80" "b", 1), 3);
}

static void
test_percent_encode(void **state)
{
	char *s;

	(void)state;
	s = text_percent_encode("a b+c/d=e~f.g_h-i%\"é");
	assert_string_equal(s, "a%20b%2Bc%2Fd%3De~f.g_h-i%25%22%C3%A9");
	free(s);
	s = text_percent_encode("");
	assert_string_equal(s, "");
	free(s);
}

static void
test_nearest(void **state)
{
	static const char *const words[] = { "steps", "params", "name",
	    NULL };

	(void)state;
	assert_string_equal(text_nearest("stpes", words, 3), "steps");
	assert_null(text_nearest("colour", words, 3));
	/* The end of a NULL-terminated list stops the search. */
	assert_string_equal(text_nearest("nmae", words, (size_t)-1), "name");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_prefix),
		cmocka_unit_test(test_percent_encode),
		cmocka_unit_test(test_nearest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
