/*
 * test_imap.c - the parts of the IMAP client that need no server:
 * folder names in modified UTF-7 (Japanese, "&", characters past the
 * BMP) and quoted strings.  The protocol itself is tested against a
 * real Dovecot (tests/e2e/mail_fetch.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "imap.h"

static void
check_mutf7(const char *in, const char *want)
{
	char *s = imap_mutf7(in);

	assert_string_equal(s, want);
	free(s);
}

static void
test_mutf7(void **state)
{
	(void)state;
	check_mutf7("INBOX", "INBOX");
	check_mutf7("処理済", "&UeZ0Bm4I-");
	check_mutf7("処理済/2024年度", "&UeZ0Bm4I-/2024&XnRepg-");
	check_mutf7("A&B", "A&-B");
	check_mutf7("\xF0\x9F\x98\x80x", "&2D3eAA-x");	/* a surrogate pair */
	check_mutf7("", "");
}

static void
test_quote(void **state)
{
	char *s;

	(void)state;
	s = imap_quote("請求書 \"至急\" a\\b\r\nX");
	assert_string_equal(s, "\"請求書 \\\"至急\\\" a\\\\bX\"");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutf7),
		cmocka_unit_test(test_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
