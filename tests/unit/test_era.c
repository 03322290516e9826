/*
 * test_era.c - Japanese era dates both ways, the day arithmetic behind
 * them, and the boundaries between eras (above all 平成31年4月30日 /
 * 令和元年5月1日).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "era.h"

/* Assert that y-m-d formats as want under flags. */
static void
check_format(int y, int m, int d, unsigned flags, const char *want)
{
	char out[128];

	if (era_format(y, m, d, flags, out, sizeof(out)) != 0)
		fail_msg("%04d-%02d-%02d (flags %u) did not format", y, m, d,
		    flags);
	if (strcmp(out, want) != 0)
		fail_msg("%04d-%02d-%02d (flags %u) gave '%s', expected '%s'",
		    y, m, d, flags, out, want);
}

/* Assert that s parses as y-m-d. */
static void
check_parse(const char *s, int y, int m, int d)
{
	char err[256];
	int gy = 0, gm = 0, gd = 0;

	if (era_parse_err(s, &gy, &gm, &gd, err, sizeof(err)) != 0)
		fail_msg("'%s' did not parse: %s", s, err);
	if (gy != y || gm != m || gd != d)
		fail_msg("'%s' gave %04d-%02d-%02d, expected %04d-%02d-%02d", s,
		    gy, gm, gd, y, m, d);
	assert_int_equal(era_parse(s, &gy, &gm, &gd), 0);
}

/* Assert that s is refused with a message containing want. */
static void
check_refused(const char *s, const char *want)
{
	char err[256];
	int y, m, d;

	if (era_parse_err(s, &y, &m, &d, err, sizeof(err)) == 0)
		fail_msg("'%s' was accepted as %04d-%02d-%02d", s, y, m, d);
	if (strstr(err, want) == NULL)
		fail_msg("'%s': message '%s' does not say '%s'", s, err, want);
	assert_int_equal(era_parse(s, &y, &m, &d), -1);
}

static void
test_format_long(void **state)
{
	(void)state;
	check_format(2024, 4, 1, ERA_DEFAULT, "令和6年4月1日");
	check_format(2019, 5, 1, ERA_DEFAULT, "令和元年5月1日");
	check_format(2019, 4, 30, ERA_DEFAULT, "平成31年4月30日");
	check_format(1989, 1, 8, ERA_DEFAULT, "平成元年1月8日");
	check_format(1989, 1, 7, ERA_DEFAULT, "昭和64年1月7日");
	check_format(1926, 12, 25, ERA_DEFAULT, "昭和元年12月25日");
	check_format(1926, 12, 24, ERA_DEFAULT, "大正15年12月24日");
	check_format(1912, 7, 30, ERA_DEFAULT, "大正元年7月30日");
	check_format(1912, 7, 29, ERA_DEFAULT, "明治45年7月29日");
	check_format(1868, 10, 23, ERA_DEFAULT, "明治元年10月23日");
	/* Without ERA_GANNEN year 1 is a digit. */
	check_format(2019, 5, 1, 0, "令和1年5月1日");
	check_format(2020, 2, 29, 0, "令和2年2月29日");
}

static void
test_format_kanji(void **state)
{
	(void)state;
	check_format(2024, 4, 1, ERA_KANJI, "令和六年四月一日");
	check_format(2019, 5, 1, ERA_KANJI | ERA_GANNEN, "令和元年五月一日");
	check_format(2019, 5, 1, ERA_KANJI, "令和一年五月一日");
	check_format(2017, 12, 31, ERA_KANJI, "平成二十九年十二月三十一日");
	check_format(1988, 10, 10, ERA_KANJI, "昭和六十三年十月十日");
	check_format(2030, 11, 20, ERA_KANJI, "令和十二年十一月二十日");
	check_format(2118, 1, 1, ERA_KANJI, "令和百年一月一日");
	check_format(2139, 1, 1, ERA_KANJI, "令和百二十一年一月一日");
}

static void
test_format_short(void **state)
{
	(void)state;
	check_format(2024, 4, 1, ERA_SHORT, "R6.4.1");
	check_format(2019, 4, 30, ERA_SHORT, "H31.4.30");
	check_format(1989, 1, 7, ERA_SHORT, "S64.1.7");
	check_format(1920, 3, 3, ERA_SHORT, "T9.3.3");
	check_format(1900, 1, 1, ERA_SHORT, "M33.1.1");
	/* The short form never writes 元. */
	check_format(2019, 5, 1, ERA_SHORT | ERA_GANNEN, "R1.5.1");
}

static void
test_format_refuses(void **state)
{
	char out[128] = "unchanged", tiny[8] = "x";

	(void)state;
	assert_int_equal(era_format(1868, 10, 22, ERA_DEFAULT, out,
	    sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(era_format(2023, 2, 29, 0, out, sizeof(out)), -1);
	assert_int_equal(era_format(2024, 13, 1, 0, out, sizeof(out)), -1);
	assert_int_equal(era_format(2024, 4, 0, 0, out, sizeof(out)), -1);
	/* "令和6年4月1日" needs 20 bytes: it does not fit in 8. */
	assert_int_equal(era_format(2024, 4, 1, 0, tiny, sizeof(tiny)), -1);
	assert_string_equal(tiny, "");
}

static void
test_parse_forms(void **state)
{
	(void)state;
	check_parse("令和6年4月1日", 2024, 4, 1);
	check_parse("令和元年5月1日", 2019, 5, 1);
	check_parse("令和六年四月一日", 2024, 4, 1);
	check_parse("平成二十九年十二月三十一日", 2017, 12, 31);
	check_parse("平成三十一年四月三十日", 2019, 4, 30);
	check_parse("昭和六十四年一月七日", 1989, 1, 7);
	check_parse("令和十年十月十日", 2028, 10, 10);
	check_parse("令和二〇年一月一日", 2038, 1, 1);
	check_parse("令和６年４月１日", 2024, 4, 1);
	check_parse("令和 6年 4月 1日", 2024, 4, 1);
	check_parse("　令和　６年　４月　１日　", 2024, 4, 1);
	check_parse("令和6年4月1", 2024, 4, 1);
	check_parse("平成31年4月30日", 2019, 4, 30);
	check_parse("R6.4.1", 2024, 4, 1);
	check_parse("r6.4.1", 2024, 4, 1);
	check_parse("H31/4/30", 2019, 4, 30);
	check_parse("S64.1.7", 1989, 1, 7);
	check_parse("T15-12-24", 1926, 12, 24);
	check_parse("M45.7.29", 1912, 7, 29);
	check_parse("Ｒ６．４．１", 2024, 4, 1);
	check_parse("Ｈ３１／４／３０", 2019, 4, 30);
	check_parse("R 6 . 4 . 1", 2024, 4, 1);
	check_parse("R6年4月1日", 2024, 4, 1);
	check_parse("㋿6年4月1日", 2024, 4, 1);
	check_parse("㍻31年4月30日", 2019, 4, 30);
	check_parse("明治元年10月23日", 1868, 10, 23);
	check_parse("令和2年2月29日", 2020, 2, 29);
}

static void
test_parse_boundaries(void **state)
{
	(void)state;
	/* Heisei ended on 2019-04-30; Reiwa began on 2019-05-01. */
	check_parse("平成31年4月30日", 2019, 4, 30);
	check_parse("令和元年5月1日", 2019, 5, 1);
	check_parse("令和1年5月1日", 2019, 5, 1);
	check_refused("平成31年5月1日",
	    "date after the end of 平成 (2019-04-30)");
	check_refused("令和1年4月30日",
	    "date before the start of 令和 (2019-05-01)");
	check_refused("令和元年4月30日", "before the start of 令和");
	check_refused("昭和64年1月8日",
	    "date after the end of 昭和 (1989-01-07)");
	check_refused("平成元年1月7日", "before the start of 平成");
	check_refused("大正15年12月25日", "after the end of 大正");
	check_refused("明治45年7月30日", "after the end of 明治");
	check_refused("明治元年10月22日",
	    "date before the start of 明治 (1868-10-23)");
}

static void
test_parse_refuses(void **state)
{
	(void)state;
	check_refused("", "empty date");
	check_refused("   ", "empty date");
	check_refused("2024-04-01", "expected an era");
	check_refused("X6.4.1", "expected an era");
	/* A letter is an era only before digits. */
	check_refused("tomorrow", "expected an era");
	check_refused("Heisei 31", "expected an era");
	check_refused("令和", "expected a year after 令和");
	check_refused("令和6", "expected 年, '.', '/' or '-' after the year");
	check_refused("令和6年", "expected a month");
	check_refused("令和6年4", "expected 月 after the month");
	check_refused("R6.4/1", "expected '.' after the month");
	check_refused("令和6年4月", "expected a day");
	check_refused("令和6年4月1日です", "unexpected text after the date");
	check_refused("令和0年1月1日", "no year 0 in an era");
	check_refused("令和6年2月30日", "no such date (2024-02-30)");
	check_refused("令和5年2月29日", "no such date (2023-02-29)");
	check_refused("令和6年13月1日", "no such date");
	check_refused("令和6年0月1日", "no such date");
	check_refused("令和十十年1月1日", "expected a year");
	check_refused("令和二十三四年1月1日", "expected a year");
	check_refused("令和元.5.1x", "unexpected text");
	check_refused("令和6年元月1日", "expected a month");
	/* The subject is quoted in the message. */
	check_refused("令和6年2月30日", "'令和6年2月30日'");
}

/* Every day from the first of Meiji to 2040 survives a round trip
 * through each written form. */
static void
test_round_trip_every_day(void **state)
{
	static const unsigned forms[] = {
		ERA_DEFAULT, 0, ERA_KANJI | ERA_GANNEN, ERA_KANJI, ERA_SHORT,
	};
	long day, first = date_to_days(1868, 10, 23);
	long last = date_to_days(2040, 12, 31);
	char out[128];
	int y, m, d, py, pm, pd;
	size_t f;

	(void)state;
	for (day = first; day <= last; day++) {
		date_from_days(day, &y, &m, &d);
		for (f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
			if (era_format(y, m, d, forms[f], out, sizeof(out)) != 0)
				fail_msg("%04d-%02d-%02d did not format", y, m,
				    d);
			if (era_parse(out, &py, &pm, &pd) != 0 || py != y ||
			    pm != m || pd != d)
				fail_msg("%04d-%02d-%02d -> '%s' -> %04d-%02d-"
				    "%02d", y, m, d, out, py, pm, pd);
		}
	}
	/* The day before Meiji is out of reach. */
	date_from_days(first - 1, &y, &m, &d);
	assert_int_equal(era_format(y, m, d, 0, out, sizeof(out)), -1);
}

static void
test_calendar_helpers(void **state)
{
	int y, m, d;

	(void)state;
	assert_true(date_valid(2024, 2, 29));
	assert_true(date_valid(2000, 2, 29));
	assert_false(date_valid(1900, 2, 29));
	assert_false(date_valid(2023, 2, 29));
	assert_false(date_valid(2024, 4, 31));
	assert_false(date_valid(0, 1, 1));
	assert_false(date_valid(10000, 1, 1));
	assert_int_equal(date_to_days(1970, 1, 1), 0);
	assert_int_equal(date_to_days(2000, 3, 1), 11017);
	assert_int_equal(date_to_days(1969, 12, 31), -1);
	date_from_days(19814, &y, &m, &d);		/* 2024-04-01 */
	assert_int_equal(y, 2024);
	assert_int_equal(m, 4);
	assert_int_equal(d, 1);
	assert_int_equal(date_weekday(2024, 4, 1), 1);		/* Monday */
	assert_int_equal(date_weekday(2019, 5, 1), 3);		/* Wednesday */
	assert_int_equal(date_weekday(1970, 1, 1), 4);		/* Thursday */
	assert_int_equal(date_weekday(1868, 10, 23), 5);	/* Friday */
	assert_int_equal(date_parse_iso("2024-04-01", &y, &m, &d), 0);
	assert_int_equal(y * 10000 + m * 100 + d, 20240401);
	assert_int_equal(date_parse_iso("2024-02-29", &y, &m, &d), 0);
	assert_int_equal(date_parse_iso("2023-02-29", &y, &m, &d), -1);
	assert_int_equal(date_parse_iso("2024-4-1", &y, &m, &d), -1);
	assert_int_equal(date_parse_iso("2024-04-01 ", &y, &m, &d), -1);
	assert_int_equal(date_parse_iso("2024/04/01", &y, &m, &d), -1);
	assert_int_equal(date_parse_iso("", &y, &m, &d), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_long),
		cmocka_unit_test(test_format_kanji),
		cmocka_unit_test(test_format_short),
		cmocka_unit_test(test_format_refuses),
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_boundaries),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_round_trip_every_day),
		cmocka_unit_test(test_calendar_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
