/*
 * test_textutil.c - cutting text by characters, percent-encoding, and the
 * "did you mean" search, the cost check of regular expressions before
 * glibc's regcomp copies them.
 */
#include <regex.h>
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
test_parse_duration(void **state)
{
	long long ms;

	(void)state;
	assert_int_equal(text_parse_duration("1.5", &ms), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(text_parse_duration("500ms", &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(text_parse_duration("2h", &ms), 0);
	assert_int_equal(ms, 7200000);
	/* Days, for retention times. */
	assert_int_equal(text_parse_duration("90d", &ms), 0);
	assert_int_equal(ms, 90 * 86400000LL);
	assert_int_equal(text_parse_duration("10 years", &ms), -1);
	assert_int_equal(text_parse_duration("-1d", &ms), -1);
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

/* What scripts and templates write compiles, and is accepted. */
static void
test_regex_ordinary(void **state)
{
	static const char *const ok[] = {
		"^INV-[0-9]{6}$", "^[0-9]{3}-[0-9]{4}$", "(ab|cd)+x*y?",
		"[]a]+", "[^]x]{2,5}", "[[:alpha:]]+[[:digit:]]{1,8}",
		"a\\{3\\}", "x{2,}", "^$", "((a|b){3}c){10}",
		NULL,
	};
	char err[256];
	regex_t re;

	(void)state;
	for (int i = 0; ok[i] != NULL; i++) {
		assert_int_equal(text_regex_check(ok[i], err, sizeof err), 0);
		assert_int_equal(regcomp(&re, ok[i], REG_EXTENDED), 0);
		regfree(&re);
	}
}

/* Patterns whose copies multiply: each took gigabytes in regcomp. */
static void
test_regex_explosive(void **state)
{
	char err[256], plus[200];

	(void)state;
	memset(plus, '+', sizeof plus - 1);
	plus[0] = 'a';
	plus[sizeof plus - 1] = '\0';
	assert_int_equal(text_regex_check(plus, err, sizeof err), -1);
	assert_non_null(strstr(err, "repeats too much"));
	assert_int_equal(text_regex_check("((a{99}){99}){99}", err,
	    sizeof err), -1);
	assert_int_equal(text_regex_check("(((((((((((((((((((((a+)+)+)+)+)+"
	    ")+)+)+)+)+)+)+)+)+)+)+)+)+)+)+", err, sizeof err), -1);
	assert_int_equal(text_regex_check("a{30000}", err, sizeof err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_prefix),
		cmocka_unit_test(test_percent_encode),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_nearest),
		cmocka_unit_test(test_regex_ordinary),
		cmocka_unit_test(test_regex_explosive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
