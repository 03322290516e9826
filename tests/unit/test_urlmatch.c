/*
 * test_urlmatch.c - destinations (host, *.domain, host:port, URL prefix)
 * and the URLs within them, with the tricks that aim a request elsewhere.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "urlmatch.h"

static void
test_host(void **state)
{
	(void)state;
	assert_true(urlmatch("procure.city.lg.jp",
	    "https://procure.city.lg.jp/api/payments"));
	assert_true(urlmatch("procure.city.lg.jp",
	    "http://PROCURE.City.lg.jp.:8080/"));
	assert_false(urlmatch("procure.city.lg.jp",
	    "https://procure.city.lg.jp.evil.example/"));
	assert_false(urlmatch("procure.city.lg.jp", "https://evil.example/"
	    "procure.city.lg.jp"));
	/* Who the URL names before '@' is not where it goes. */
	assert_false(urlmatch("procure.city.lg.jp",
	    "https://procure.city.lg.jp@evil.example/"));
	assert_false(urlmatch("procure.city.lg.jp",
	    "ftp://procure.city.lg.jp/"));
	assert_false(urlmatch("procure.city.lg.jp", "not a url"));
}

/* Mail servers are destinations like web servers. */
static void
test_mail(void **state)
{
	(void)state;
	assert_true(urlmatch("mail.city.lg.jp", "imaps://mail.city.lg.jp:993"));
	assert_true(urlmatch("mail.city.lg.jp:587", "smtp://mail.city.lg.jp:587"));
	assert_false(urlmatch("mail.city.lg.jp:587", "smtps://mail.city.lg.jp"));
	assert_true(urlmatch("imaps://mail.city.lg.jp", "imaps://mail.city.lg.jp:993/"));
	assert_false(urlmatch("imaps://mail.city.lg.jp", "imap://mail.city.lg.jp/"));
	assert_false(urlmatch("mail.city.lg.jp", "pop3s://mail.city.lg.jp"));
}

static void
test_wild_and_port(void **state)
{
	(void)state;
	assert_true(urlmatch("*.city.lg.jp", "https://a.b.city.lg.jp/x"));
	assert_false(urlmatch("*.city.lg.jp", "https://city.lg.jp/x"));
	assert_false(urlmatch("*.city.lg.jp", "https://evilcity.lg.jp/x"));
	assert_true(urlmatch("127.0.0.1:8931", "http://127.0.0.1:8931/api"));
	assert_false(urlmatch("127.0.0.1:8931", "http://127.0.0.1:8932/api"));
	assert_false(urlmatch("127.0.0.1:8931", "http://127.0.0.1/api"));
	assert_true(urlmatch("[::1]:8080", "http://[::1]:8080/"));
	assert_true(urlmatch("127.0.0.1", "http://127.0.0.1:40123/"));
}

static void
test_prefix(void **state)
{
	const char *list[] = { "https://procure.city.lg.jp/api/",
	    "http://127.0.0.1:8931/v1" };

	(void)state;
	assert_true(urlmatch(list[0],
	    "https://procure.city.lg.jp/api/payments?status=1"));
	assert_true(urlmatch(list[0], "https://procure.city.lg.jp:443/api/"));
	assert_false(urlmatch(list[0], "https://procure.city.lg.jp/apix"));
	assert_false(urlmatch(list[0], "http://procure.city.lg.jp/api/"));
	assert_false(urlmatch(list[0], "https://procure.city.lg.jp:8443/api/"));
	/* Dot segments are resolved before the path is compared. */
	assert_false(urlmatch(list[0],
	    "https://procure.city.lg.jp/api/../admin"));
	assert_true(urlmatch(list[1], "http://127.0.0.1:8931/v1"));
	assert_true(urlmatch(list[1], "http://127.0.0.1:8931/v1/x"));
	assert_false(urlmatch(list[1], "http://127.0.0.1:8931/v10"));
	assert_true(urlmatch_any(list, 2, "http://127.0.0.1:8931/v1/x"));
	assert_false(urlmatch_any(list, 2, "http://127.0.0.1:8931/v2"));
	assert_false(urlmatch_any(list, 0, "http://127.0.0.1:8931/v1"));
}

static void
test_check(void **state)
{
	char err[128];

	(void)state;
	assert_int_equal(urlmatch_check("procure.city.lg.jp", err,
	    sizeof err), 0);
	assert_int_equal(urlmatch_check("https://x.jp/api/", err, sizeof err),
	    0);
	assert_int_equal(urlmatch_check("x.jp:99999", err, sizeof err), -1);
	assert_string_equal(err, "'x.jp:99999' has no port from 1 to 65535 "
	    "after the ':'");
	assert_int_equal(urlmatch_check("ftp://x.jp/", err, sizeof err), -1);
	assert_string_equal(err, "not an http(s)://, imap(s):// or smtp(s):// URL");
	assert_int_equal(urlmatch_check("x y", err, sizeof err), -1);
	assert_int_equal(urlmatch_url_ok("http://127.0.0.1:1/", err,
	    sizeof err), 0);
	assert_int_equal(urlmatch_url_ok("127.0.0.1", err, sizeof err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_wild_and_port),
		cmocka_unit_test(test_mail),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
