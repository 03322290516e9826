/*
 * test_mask.c - secrets hidden in text and JSON: values only (never a
 * key), in the forms kobito writes them (percent-encoded, JSON-escaped,
 * \u-escaped, base64), and too short a secret refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mask.h"
#include "xmalloc.h"

/* A secret with every troublesome class: + / = " \ % and non-ASCII. */
#define CANARY	"Pa+s/s=\"q\\%7é鍵"

static void
expect_masked(const struct mask *m, const char *text, const char *want)
{
	char *got = mask_text(m, text);

	assert_string_equal(got, want);
	free(got);
}

static void
test_too_short(void **state)
{
	struct mask m;

	(void)state;
	mask_init(&m);
	assert_int_equal(mask_add(&m, "a"), -1);
	assert_int_equal(mask_add(&m, "us"), -1);
	assert_int_equal(mask_add(&m, "鍵鍵鍵鍵鍵"), -1);	/* 5 characters */
	assert_int_equal(m.n, 0);
	expect_masked(&m, "status: a us", "status: a us");
	assert_int_equal(mask_add(&m, "鍵鍵鍵鍵鍵鍵"), 0);
	assert_true(mask_long_enough("abcdef"));
	assert_false(mask_long_enough("abcde"));
	mask_free(&m);
}

static void
test_keys_kept(void **state)
{
	struct mask m;
	json_t *v, *masked;
	char *text;

	(void)state;
	mask_init(&m);
	assert_int_equal(mask_add(&m, "status"), 0);
	assert_int_equal(mask_add(&m, "version"), 0);
	v = json_pack("{s:s, s:{s:s}, s:[s]}", "status", "status is fine",
	    "version", "version", "1.0", "list", "no status");
	masked = mask_json(&m, v);
	text = json_dumps(masked, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(text, "{\"list\":[\"no ***\"],\"status\":"
	    "\"*** is fine\",\"version\":{\"version\":\"1.0\"}}");
	free(text);
	json_decref(masked);
	json_decref(v);
	mask_free(&m);
}

static void
test_encodings(void **state)
{
	struct mask m;

	(void)state;
	mask_init(&m);
	assert_int_equal(mask_add(&m, CANARY), 0);
	expect_masked(&m, "raw " CANARY " end", "raw *** end");
	/* In a query string or a form body. */
	expect_masked(&m, "GET /x?k=Pa%2Bs%2Fs%3D%22q%5C%257%C3%A9%E9%8D%B5&n=1",
	    "GET /x?k=***&n=1");
	/* Inside a logged JSON object, escaped, and with \u escapes. */
	expect_masked(&m, "{\"p\":\"Pa+s/s=\\\"q\\\\%7é鍵\"}",
	    "{\"p\":\"***\"}");
	expect_masked(&m, "{\"p\":\"Pa+s/s=\\\"q\\\\%7\\u00e9\\u9375\"}",
	    "{\"p\":\"***\"}");
	/* base64 of it. */
	expect_masked(&m, "b64 UGErcy9zPSJxXCU3w6npjbU= !", "b64 *** !");
	mask_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_too_short),
		cmocka_unit_test(test_keys_kept),
		cmocka_unit_test(test_encodings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
