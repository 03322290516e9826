/*
 * test_totp.c - one-time passwords: RFC 6238's SHA-1 test vectors, base32
 * as RFC 4648 has it, codes of the step before and after taken and older
 * ones not, a code used once, malformed codes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "totp.h"

static const unsigned char rfc_key[] = "12345678901234567890";

static void
test_rfc6238(void **state)
{
	static const struct {
		uint64_t	t;
		uint32_t	code;
	} v[] = {
		{ 59, 94287082 }, { 1111111109, 7081804 },
		{ 1111111111, 14050471 }, { 1234567890, 89005924 },
		{ 2000000000, 69279037 }, { 20000000000ULL, 65353130 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		assert_int_equal(totp_code(rfc_key, 20, v[i].t / 30, 8),
		    v[i].code);
	/* Six digits are the last six of eight. */
	assert_int_equal(totp_code(rfc_key, 20, 59 / 30, 6), 287082);
}

static void
test_base32(void **state)
{
	char out[64];

	(void)state;
	totp_base32((const unsigned char *)"foobar", 6, out, sizeof out);
	assert_string_equal(out, "MZXW6YTBOI");
	totp_base32((const unsigned char *)"f", 1, out, sizeof out);
	assert_string_equal(out, "MY");
	totp_base32(rfc_key, 20, out, sizeof out);
	assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

static void
test_check(void **state)
{
	int64_t now = 1700000000000LL, step = 0, s = now / 30000;
	char code[8];

	(void)state;
	snprintf(code, sizeof code, "%06u", totp_code(rfc_key, 20, s, 6));
	assert_true(totp_check(rfc_key, 20, code, now, 0, &step));
	assert_int_equal(step, s);
	/* Used once: not again at the same step. */
	assert_int_equal(totp_check(rfc_key, 20, code, now, step, &step), -1);
	/* The step before and after, not two away. */
	snprintf(code, sizeof code, "%06u", totp_code(rfc_key, 20, s - 1, 6));
	assert_true(totp_check(rfc_key, 20, code, now, 0, &step));
	snprintf(code, sizeof code, "%06u", totp_code(rfc_key, 20, s + 1, 6));
	assert_true(totp_check(rfc_key, 20, code, now, 0, &step));
	snprintf(code, sizeof code, "%06u", totp_code(rfc_key, 20, s - 2, 6));
	assert_false(totp_check(rfc_key, 20, code, now, 0, &step));
	assert_false(totp_check(rfc_key, 20, "12345", now, 0, &step));
	assert_false(totp_check(rfc_key, 20, "12345a", now, 0, &step));
	assert_false(totp_check(rfc_key, 20, NULL, now, 0, &step));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238),
		cmocka_unit_test(test_base32),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
