/*
 * test_calendar.c - the business calendar: Japan's public holidays by rule,
 * the city's closure days, weekends, and the date arithmetic under them.
 *
 * The holidays of 2024-2027 are asserted as exact sets with their names,
 * as published by the Cabinet Office (内閣府「国民の祝日について」).  Every
 * holiday date from 1980 to 2050 is also compared with an independent
 * table, taken from the holiday_jp data set (which follows the Cabinet
 * Office's syukujitsu.csv), so that no amendment of the Act is mis-dated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "calendar.h"

struct named_day {
	int		 m, d;
	const char	*name;
};

/* Assert that the holidays of year Y are exactly DAYS (N of them). */
static void
assert_year(int y, const struct named_day *days, size_t n)
{
	size_t found = 0, i;
	int m, d;

	for (m = 1; m <= 12; m++)
		for (d = 1; d <= calendar_month_days(y, m); d++) {
			const char *name = calendar_holiday_name(y, m, d);

			for (i = 0; i < n; i++)
				if (days[i].m == m && days[i].d == d)
					break;
			if (i == n) {
				if (name != NULL)
					fail_msg("%04d-%02d-%02d is '%s', but is "
					    "not a holiday", y, m, d, name);
				continue;
			}
			if (name == NULL)
				fail_msg("%04d-%02d-%02d (%s) is missing", y, m,
				    d, days[i].name);
			if (strcmp(name, days[i].name) != 0)
				fail_msg("%04d-%02d-%02d is '%s', expected '%s'",
				    y, m, d, name, days[i].name);
			found++;
		}
	assert_int_equal(found, n);
}

#define ASSERT_YEAR(y, days) assert_year(y, days, sizeof(days) / sizeof(days[0]))

static void
test_holidays_2024(void **state)
{
	static const struct named_day days[] = {
		{ 1, 1, "元日" }, { 1, 8, "成人の日" },
		{ 2, 11, "建国記念の日" }, { 2, 12, "振替休日" },
		{ 2, 23, "天皇誕生日" }, { 3, 20, "春分の日" },
		{ 4, 29, "昭和の日" }, { 5, 3, "憲法記念日" },
		{ 5, 4, "みどりの日" }, { 5, 5, "こどもの日" },
		{ 5, 6, "振替休日" }, { 7, 15, "海の日" },
		{ 8, 11, "山の日" }, { 8, 12, "振替休日" },
		{ 9, 16, "敬老の日" }, { 9, 22, "秋分の日" },
		{ 9, 23, "振替休日" }, { 10, 14, "スポーツの日" },
		{ 11, 3, "文化の日" }, { 11, 4, "振替休日" },
		{ 11, 23, "勤労感謝の日" },
	};

	(void)state;
	ASSERT_YEAR(2024, days);
}

static void
test_holidays_2025(void **state)
{
	static const struct named_day days[] = {
		{ 1, 1, "元日" }, { 1, 13, "成人の日" },
		{ 2, 11, "建国記念の日" }, { 2, 23, "天皇誕生日" },
		{ 2, 24, "振替休日" }, { 3, 20, "春分の日" },
		{ 4, 29, "昭和の日" }, { 5, 3, "憲法記念日" },
		{ 5, 4, "みどりの日" }, { 5, 5, "こどもの日" },
		{ 5, 6, "振替休日" }, { 7, 21, "海の日" },
		{ 8, 11, "山の日" }, { 9, 15, "敬老の日" },
		{ 9, 23, "秋分の日" }, { 10, 13, "スポーツの日" },
		{ 11, 3, "文化の日" }, { 11, 23, "勤労感謝の日" },
		{ 11, 24, "振替休日" },
	};

	(void)state;
	ASSERT_YEAR(2025, days);
}

static void
test_holidays_2026(void **state)
{
	static const struct named_day days[] = {
		{ 1, 1, "元日" }, { 1, 12, "成人の日" },
		{ 2, 11, "建国記念の日" }, { 2, 23, "天皇誕生日" },
		{ 3, 20, "春分の日" }, { 4, 29, "昭和の日" },
		{ 5, 3, "憲法記念日" }, { 5, 4, "みどりの日" },
		{ 5, 5, "こどもの日" }, { 5, 6, "振替休日" },
		{ 7, 20, "海の日" }, { 8, 11, "山の日" },
		{ 9, 21, "敬老の日" }, { 9, 22, "国民の休日" },
		{ 9, 23, "秋分の日" }, { 10, 12, "スポーツの日" },
		{ 11, 3, "文化の日" }, { 11, 23, "勤労感謝の日" },
	};

	(void)state;
	ASSERT_YEAR(2026, days);
}

static void
test_holidays_2027(void **state)
{
	static const struct named_day days[] = {
		{ 1, 1, "元日" }, { 1, 11, "成人の日" },
		{ 2, 11, "建国記念の日" }, { 2, 23, "天皇誕生日" },
		{ 3, 21, "春分の日" }, { 3, 22, "振替休日" },
		{ 4, 29, "昭和の日" }, { 5, 3, "憲法記念日" },
		{ 5, 4, "みどりの日" }, { 5, 5, "こどもの日" },
		{ 7, 19, "海の日" }, { 8, 11, "山の日" },
		{ 9, 20, "敬老の日" }, { 9, 23, "秋分の日" },
		{ 10, 11, "スポーツの日" }, { 11, 3, "文化の日" },
		{ 11, 23, "勤労感謝の日" },
	};

	(void)state;
	ASSERT_YEAR(2027, days);
}

/* The 2019 succession: 4/30 and 5/2 follow from the 国民の休日 rule. */
static void
test_holidays_2019(void **state)
{
	static const struct named_day days[] = {
		{ 1, 1, "元日" }, { 1, 14, "成人の日" },
		{ 2, 11, "建国記念の日" }, { 3, 21, "春分の日" },
		{ 4, 29, "昭和の日" }, { 4, 30, "国民の休日" },
		{ 5, 1, "天皇の即位の日" }, { 5, 2, "国民の休日" },
		{ 5, 3, "憲法記念日" }, { 5, 4, "みどりの日" },
		{ 5, 5, "こどもの日" }, { 5, 6, "振替休日" },
		{ 7, 15, "海の日" }, { 8, 11, "山の日" },
		{ 8, 12, "振替休日" }, { 9, 16, "敬老の日" },
		{ 9, 23, "秋分の日" }, { 10, 14, "体育の日" },
		{ 10, 22, "即位礼正殿の儀の行われる日" },
		{ 11, 3, "文化の日" }, { 11, 4, "振替休日" },
		{ 11, 23, "勤労感謝の日" },
	};

	(void)state;
	ASSERT_YEAR(2019, days);
	/* No 天皇誕生日 at all in 2019: the old day is gone, the new not yet. */
	assert_null(calendar_holiday_name(2019, 12, 23));
	assert_null(calendar_holiday_name(2019, 2, 23));
	assert_string_equal(calendar_holiday_name(2018, 12, 23), "天皇誕生日");
}

/* The Olympic years moved 海の日, スポーツの日 and 山の日. */
static void
test_olympic_years(void **state)
{
	(void)state;
	assert_string_equal(calendar_holiday_name(2020, 7, 23), "海の日");
	assert_string_equal(calendar_holiday_name(2020, 7, 24), "スポーツの日");
	assert_string_equal(calendar_holiday_name(2020, 8, 10), "山の日");
	assert_null(calendar_holiday_name(2020, 7, 20));
	assert_null(calendar_holiday_name(2020, 8, 11));
	assert_null(calendar_holiday_name(2020, 10, 12));
	assert_string_equal(calendar_holiday_name(2021, 7, 22), "海の日");
	assert_string_equal(calendar_holiday_name(2021, 7, 23), "スポーツの日");
	assert_string_equal(calendar_holiday_name(2021, 8, 8), "山の日");
	assert_string_equal(calendar_holiday_name(2021, 8, 9), "振替休日");
	assert_null(calendar_holiday_name(2021, 7, 19));
	assert_null(calendar_holiday_name(2021, 8, 11));
	assert_null(calendar_holiday_name(2021, 10, 11));
	assert_string_equal(calendar_holiday_name(2022, 10, 10), "スポーツの日");
	assert_string_equal(calendar_holiday_name(2022, 7, 18), "海の日");
}

/* Rules as they stood before the 2007 amendment, and special days. */
static void
test_older_rules(void **state)
{
	(void)state;
	/* Before 2007 a Sunday holiday moved only to the Monday. */
	assert_string_equal(calendar_holiday_name(1998, 5, 4), "振替休日");
	assert_string_equal(calendar_holiday_name(2006, 5, 4), "国民の休日");
	assert_null(calendar_holiday_name(2003, 5, 6));	/* 5/4 was a Sunday */
	assert_string_equal(calendar_holiday_name(2008, 5, 6), "振替休日");
	assert_string_equal(calendar_holiday_name(1988, 5, 4), "国民の休日");
	assert_null(calendar_holiday_name(1985, 5, 4));	/* rule from 1986 */
	assert_string_equal(calendar_holiday_name(1989, 2, 24),
	    "昭和天皇の大喪の礼");
	assert_string_equal(calendar_holiday_name(1990, 11, 12),
	    "即位礼正殿の儀");
	assert_string_equal(calendar_holiday_name(1993, 6, 9),
	    "皇太子徳仁親王の結婚の儀");
	assert_string_equal(calendar_holiday_name(1988, 4, 29), "天皇誕生日");
	assert_string_equal(calendar_holiday_name(1989, 4, 29), "みどりの日");
	assert_string_equal(calendar_holiday_name(1999, 1, 15), "成人の日");
	assert_string_equal(calendar_holiday_name(1999, 10, 11), "振替休日");
	assert_string_equal(calendar_holiday_name(1999, 10, 10), "体育の日");
	assert_null(calendar_holiday_name(1995, 7, 20));	/* 海の日 from 1996 */
	assert_string_equal(calendar_holiday_name(1996, 7, 20), "海の日");
	assert_string_equal(calendar_holiday_name(2009, 9, 22), "国民の休日");
	assert_string_equal(calendar_holiday_name(2016, 8, 11), "山の日");
	assert_null(calendar_holiday_name(2015, 8, 11));
	/* Outside the years the rules cover, and dates that do not exist. */
	assert_null(calendar_holiday_name(1979, 1, 1));
	assert_null(calendar_holiday_name(2100, 1, 1));
	assert_null(calendar_holiday_name(2026, 2, 30));
	assert_null(calendar_holiday_name(2026, 13, 1));
	assert_string_equal(calendar_holiday_name(2099, 1, 1), "元日");
}

/* Holiday dates (MMDD) 1980-2050 from an independent data set. */
static const struct year_list {
	int		 year;
	const char	*dates;
} reference[] = {
	{ 1980, "0101 0115 0211 0320 0429 0503 0505 0915 0923 1010 1103 1123 "
	    "1124" },
	{ 1981, "0101 0115 0211 0321 0429 0503 0504 0505 0915 0923 1010 1103 "
	    "1123" },
	{ 1982, "0101 0115 0211 0321 0322 0429 0503 0505 0915 0923 1010 1011 "
	    "1103 1123" },
	{ 1983, "0101 0115 0211 0321 0429 0503 0505 0915 0923 1010 1103 1123" },
	{ 1984, "0101 0102 0115 0116 0211 0320 0429 0430 0503 0505 0915 0923 "
	    "0924 1010 1103 1123" },
	{ 1985, "0101 0115 0211 0321 0429 0503 0505 0506 0915 0916 0923 1010 "
	    "1103 1104 1123" },
	{ 1986, "0101 0115 0211 0321 0429 0503 0505 0915 0923 1010 1103 1123 "
	    "1124" },
	{ 1987, "0101 0115 0211 0321 0429 0503 0504 0505 0915 0923 1010 1103 "
	    "1123" },
	{ 1988, "0101 0115 0211 0320 0321 0429 0503 0504 0505 0915 0923 1010 "
	    "1103 1123" },
	{ 1989, "0101 0102 0115 0116 0211 0224 0321 0429 0503 0504 0505 0915 "
	    "0923 1010 1103 1123 1223" },
	{ 1990, "0101 0115 0211 0212 0321 0429 0430 0503 0504 0505 0915 0923 "
	    "0924 1010 1103 1112 1123 1223 1224" },
	{ 1991, "0101 0115 0211 0321 0429 0503 0504 0505 0506 0915 0916 0923 "
	    "1010 1103 1104 1123 1223" },
	{ 1992, "0101 0115 0211 0320 0429 0503 0504 0505 0915 0923 1010 1103 "
	    "1123 1223" },
	{ 1993, "0101 0115 0211 0320 0429 0503 0504 0505 0609 0915 0923 1010 "
	    "1011 1103 1123 1223" },
	{ 1994, "0101 0115 0211 0321 0429 0503 0504 0505 0915 0923 1010 1103 "
	    "1123 1223" },
	{ 1995, "0101 0102 0115 0116 0211 0321 0429 0503 0504 0505 0915 0923 "
	    "1010 1103 1123 1223" },
	{ 1996, "0101 0115 0211 0212 0320 0429 0503 0504 0505 0506 0720 0915 "
	    "0916 0923 1010 1103 1104 1123 1223" },
	{ 1997, "0101 0115 0211 0320 0429 0503 0505 0720 0721 0915 0923 1010 "
	    "1103 1123 1124 1223" },
	{ 1998, "0101 0115 0211 0321 0429 0503 0504 0505 0720 0915 0923 1010 "
	    "1103 1123 1223" },
	{ 1999, "0101 0115 0211 0321 0322 0429 0503 0504 0505 0720 0915 0923 "
	    "1010 1011 1103 1123 1223" },
	{ 2000, "0101 0110 0211 0320 0429 0503 0504 0505 0720 0915 0923 1009 "
	    "1103 1123 1223" },
	{ 2001, "0101 0108 0211 0212 0320 0429 0430 0503 0504 0505 0720 0915 "
	    "0923 0924 1008 1103 1123 1223 1224" },
	{ 2002, "0101 0114 0211 0321 0429 0503 0504 0505 0506 0720 0915 0916 "
	    "0923 1014 1103 1104 1123 1223" },
	{ 2003, "0101 0113 0211 0321 0429 0503 0505 0721 0915 0923 1013 1103 "
	    "1123 1124 1223" },
	{ 2004, "0101 0112 0211 0320 0429 0503 0504 0505 0719 0920 0923 1011 "
	    "1103 1123 1223" },
	{ 2005, "0101 0110 0211 0320 0321 0429 0503 0504 0505 0718 0919 0923 "
	    "1010 1103 1123 1223" },
	{ 2006, "0101 0102 0109 0211 0321 0429 0503 0504 0505 0717 0918 0923 "
	    "1009 1103 1123 1223" },
	{ 2007, "0101 0108 0211 0212 0321 0429 0430 0503 0504 0505 0716 0917 "
	    "0923 0924 1008 1103 1123 1223 1224" },
	{ 2008, "0101 0114 0211 0320 0429 0503 0504 0505 0506 0721 0915 0923 "
	    "1013 1103 1123 1124 1223" },
	{ 2009, "0101 0112 0211 0320 0429 0503 0504 0505 0506 0720 0921 0922 "
	    "0923 1012 1103 1123 1223" },
	{ 2010, "0101 0111 0211 0321 0322 0429 0503 0504 0505 0719 0920 0923 "
	    "1011 1103 1123 1223" },
	{ 2011, "0101 0110 0211 0321 0429 0503 0504 0505 0718 0919 0923 1010 "
	    "1103 1123 1223" },
	{ 2012, "0101 0102 0109 0211 0320 0429 0430 0503 0504 0505 0716 0917 "
	    "0922 1008 1103 1123 1223 1224" },
	{ 2013, "0101 0114 0211 0320 0429 0503 0504 0505 0506 0715 0916 0923 "
	    "1014 1103 1104 1123 1223" },
	{ 2014, "0101 0113 0211 0321 0429 0503 0504 0505 0506 0721 0915 0923 "
	    "1013 1103 1123 1124 1223" },
	{ 2015, "0101 0112 0211 0321 0429 0503 0504 0505 0506 0720 0921 0922 "
	    "0923 1012 1103 1123 1223" },
	{ 2016, "0101 0111 0211 0320 0321 0429 0503 0504 0505 0718 0811 0919 "
	    "0922 1010 1103 1123 1223" },
	{ 2017, "0101 0102 0109 0211 0320 0429 0503 0504 0505 0717 0811 0918 "
	    "0923 1009 1103 1123 1223" },
	{ 2018, "0101 0108 0211 0212 0321 0429 0430 0503 0504 0505 0716 0811 "
	    "0917 0923 0924 1008 1103 1123 1223 1224" },
	{ 2019, "0101 0114 0211 0321 0429 0430 0501 0502 0503 0504 0505 0506 "
	    "0715 0811 0812 0916 0923 1014 1022 1103 1104 1123" },
	{ 2020, "0101 0113 0211 0223 0224 0320 0429 0503 0504 0505 0506 0723 "
	    "0724 0810 0921 0922 1103 1123" },
	{ 2021, "0101 0111 0211 0223 0320 0429 0503 0504 0505 0722 0723 0808 "
	    "0809 0920 0923 1103 1123" },
	{ 2022, "0101 0110 0211 0223 0321 0429 0503 0504 0505 0718 0811 0919 "
	    "0923 1010 1103 1123" },
	{ 2023, "0101 0102 0109 0211 0223 0321 0429 0503 0504 0505 0717 0811 "
	    "0918 0923 1009 1103 1123" },
	{ 2024, "0101 0108 0211 0212 0223 0320 0429 0503 0504 0505 0506 0715 "
	    "0811 0812 0916 0922 0923 1014 1103 1104 1123" },
	{ 2025, "0101 0113 0211 0223 0224 0320 0429 0503 0504 0505 0506 0721 "
	    "0811 0915 0923 1013 1103 1123 1124" },
	{ 2026, "0101 0112 0211 0223 0320 0429 0503 0504 0505 0506 0720 0811 "
	    "0921 0922 0923 1012 1103 1123" },
	{ 2027, "0101 0111 0211 0223 0321 0322 0429 0503 0504 0505 0719 0811 "
	    "0920 0923 1011 1103 1123" },
	{ 2028, "0101 0110 0211 0223 0320 0429 0503 0504 0505 0717 0811 0918 "
	    "0922 1009 1103 1123" },
	{ 2029, "0101 0108 0211 0212 0223 0320 0429 0430 0503 0504 0505 0716 "
	    "0811 0917 0923 0924 1008 1103 1123" },
	{ 2030, "0101 0114 0211 0223 0320 0429 0503 0504 0505 0506 0715 0811 "
	    "0812 0916 0923 1014 1103 1104 1123" },
	{ 2031, "0101 0113 0211 0223 0224 0321 0429 0503 0504 0505 0506 0721 "
	    "0811 0915 0923 1013 1103 1123 1124" },
	{ 2032, "0101 0112 0211 0223 0320 0429 0503 0504 0505 0719 0811 0920 "
	    "0921 0922 1011 1103 1123" },
	{ 2033, "0101 0110 0211 0223 0320 0321 0429 0503 0504 0505 0718 0811 "
	    "0919 0923 1010 1103 1123" },
	{ 2034, "0101 0102 0109 0211 0223 0320 0429 0503 0504 0505 0717 0811 "
	    "0918 0923 1009 1103 1123" },
	{ 2035, "0101 0108 0211 0212 0223 0321 0429 0430 0503 0504 0505 0716 "
	    "0811 0917 0923 0924 1008 1103 1123" },
	{ 2036, "0101 0114 0211 0223 0320 0429 0503 0504 0505 0506 0721 0811 "
	    "0915 0922 1013 1103 1123 1124" },
	{ 2037, "0101 0112 0211 0223 0320 0429 0503 0504 0505 0506 0720 0811 "
	    "0921 0922 0923 1012 1103 1123" },
	{ 2038, "0101 0111 0211 0223 0320 0429 0503 0504 0505 0719 0811 0920 "
	    "0923 1011 1103 1123" },
	{ 2039, "0101 0110 0211 0223 0321 0429 0503 0504 0505 0718 0811 0919 "
	    "0923 1010 1103 1123" },
	{ 2040, "0101 0102 0109 0211 0223 0320 0429 0430 0503 0504 0505 0716 "
	    "0811 0917 0922 1008 1103 1123" },
	{ 2041, "0101 0114 0211 0223 0320 0429 0503 0504 0505 0506 0715 0811 "
	    "0812 0916 0923 1014 1103 1104 1123" },
	{ 2042, "0101 0113 0211 0223 0224 0320 0429 0503 0504 0505 0506 0721 "
	    "0811 0915 0923 1013 1103 1123 1124" },
	{ 2043, "0101 0112 0211 0223 0321 0429 0503 0504 0505 0506 0720 0811 "
	    "0921 0922 0923 1012 1103 1123" },
	{ 2044, "0101 0111 0211 0223 0320 0321 0429 0503 0504 0505 0718 0811 "
	    "0919 0922 1010 1103 1123" },
	{ 2045, "0101 0102 0109 0211 0223 0320 0429 0503 0504 0505 0717 0811 "
	    "0918 0922 1009 1103 1123" },
	{ 2046, "0101 0108 0211 0212 0223 0320 0429 0430 0503 0504 0505 0716 "
	    "0811 0917 0923 0924 1008 1103 1123" },
	{ 2047, "0101 0114 0211 0223 0321 0429 0503 0504 0505 0506 0715 0811 "
	    "0812 0916 0923 1014 1103 1104 1123" },
	{ 2048, "0101 0113 0211 0223 0224 0320 0429 0503 0504 0505 0506 0720 "
	    "0811 0921 0922 1012 1103 1123" },
	{ 2049, "0101 0111 0211 0223 0320 0429 0503 0504 0505 0719 0811 0920 "
	    "0921 0922 1011 1103 1123" },
	{ 2050, "0101 0110 0211 0223 0320 0321 0429 0503 0504 0505 0718 0811 "
	    "0919 0923 1010 1103 1123" },
};

static void
test_reference_1980_2050(void **state)
{
	size_t i;
	int total = 0;

	(void)state;
	assert_int_equal(sizeof(reference) / sizeof(reference[0]), 71);
	for (i = 0; i < sizeof(reference) / sizeof(reference[0]); i++) {
		int y = reference[i].year, m, d;
		char list[256] = "", mmdd[32];

		for (m = 1; m <= 12; m++)
			for (d = 1; d <= calendar_month_days(y, m); d++)
				if (calendar_holiday_name(y, m, d) != NULL) {
					snprintf(mmdd, sizeof(mmdd), "%s%02d%02d",
					    list[0] ? " " : "", m, d);
					strncat(list, mmdd,
					    sizeof(list) - strlen(list) - 1);
					total++;
				}
		if (strcmp(list, reference[i].dates) != 0)
			fail_msg("%d: got\n  %s\nexpected\n  %s", y, list,
			    reference[i].dates);
	}
	assert_int_equal(total, 1198);
}

/* The equinoxes by formula, spot-checked at the edges of its range. */
static void
test_equinoxes(void **state)
{
	(void)state;
	assert_string_equal(calendar_holiday_name(1980, 3, 20), "春分の日");
	assert_string_equal(calendar_holiday_name(2092, 3, 19), "春分の日");
	assert_string_equal(calendar_holiday_name(2096, 3, 19), "春分の日");
	assert_string_equal(calendar_holiday_name(2099, 3, 20), "春分の日");
	assert_string_equal(calendar_holiday_name(2012, 9, 22), "秋分の日");
	assert_string_equal(calendar_holiday_name(2044, 9, 22), "秋分の日");
	assert_string_equal(calendar_holiday_name(1980, 9, 23), "秋分の日");
	assert_string_equal(calendar_holiday_name(2099, 9, 23), "秋分の日");
}

static void
test_calendar_kinds(void **state)
{
	struct calendar *gov = calendar_new("jp-gov");
	struct calendar *wd = calendar_new("weekdays");
	struct calendar *none = calendar_new("none");

	(void)state;
	assert_non_null(gov);
	assert_non_null(wd);
	assert_non_null(none);
	assert_null(calendar_new("jp"));
	assert_null(calendar_new(""));
	assert_null(calendar_new(NULL));
	assert_string_equal(calendar_name(gov), "jp-gov");

	/* jp-gov: holidays, 29 Dec - 3 Jan, weekends. */
	assert_int_equal(calendar_is_working_day(gov, 2026, 1, 5), 1);
	assert_int_equal(calendar_is_working_day(gov, 2026, 1, 2), 0);
	assert_int_equal(calendar_is_working_day(gov, 2026, 1, 3), 0);
	assert_int_equal(calendar_is_working_day(gov, 2026, 12, 28), 1);
	assert_int_equal(calendar_is_working_day(gov, 2026, 12, 29), 0);
	assert_int_equal(calendar_is_working_day(gov, 2026, 12, 31), 0);
	assert_int_equal(calendar_is_working_day(gov, 2026, 5, 6), 0);
	assert_int_equal(calendar_is_working_day(gov, 2026, 9, 22), 0);
	assert_int_equal(calendar_is_working_day(gov, 2026, 5, 7), 1);
	assert_int_equal(calendar_is_working_day(gov, 2026, 5, 9), 0);
	assert_int_equal(calendar_is_working_day(gov, 2026, 5, 10), 0);
	assert_int_equal(calendar_is_working_day(gov, 2026, 2, 30), 0);
	assert_string_equal(calendar_day_off_name(gov, 2026, 1, 1), "元日");
	assert_string_equal(calendar_day_off_name(gov, 2026, 1, 2), "年末年始");
	assert_string_equal(calendar_day_off_name(gov, 2026, 12, 29),
	    "年末年始");
	assert_null(calendar_day_off_name(gov, 2026, 5, 9));	/* a Saturday */
	assert_null(calendar_day_off_name(gov, 2026, 5, 7));

	/* weekdays: only weekends are off. */
	assert_int_equal(calendar_is_working_day(wd, 2026, 5, 6), 1);
	assert_int_equal(calendar_is_working_day(wd, 2026, 1, 2), 1);
	assert_int_equal(calendar_is_working_day(wd, 2026, 5, 9), 0);
	assert_int_equal(calendar_is_working_day(wd, 2026, 5, 10), 0);
	assert_null(calendar_day_off_name(wd, 2026, 5, 6));

	/* none, and no calendar at all: every day works. */
	assert_int_equal(calendar_is_working_day(none, 2026, 5, 9), 1);
	assert_int_equal(calendar_is_working_day(none, 2026, 1, 1), 1);
	assert_int_equal(calendar_is_working_day(NULL, 2026, 1, 1), 1);
	assert_int_equal(calendar_is_working_day(NULL, 2026, 2, 29), 0);

	calendar_free(gov);
	calendar_free(wd);
	calendar_free(none);
	calendar_free(NULL);
}

static void
test_closures(void **state)
{
	struct calendar *gov = calendar_new("jp-gov");
	struct calendar *none = calendar_new("none");
	int d;

	(void)state;
	assert_int_equal(calendar_add_closure(gov, 2026, 2, 29), -1);
	assert_int_equal(calendar_add_closure(gov, 2026, 0, 1), -1);
	assert_int_equal(calendar_is_working_day(gov, 2026, 8, 13), 1);
	assert_int_equal(calendar_add_closure(gov, 2026, 8, 13), 0);
	assert_int_equal(calendar_add_closure(gov, 2026, 8, 13), 0);
	assert_int_equal(calendar_is_working_day(gov, 2026, 8, 13), 0);
	assert_int_equal(calendar_is_working_day(gov, 2026, 8, 14), 1);
	assert_string_equal(calendar_day_off_name(gov, 2026, 8, 13), "休業日");
	/* A closure on a holiday is still named after the holiday. */
	assert_int_equal(calendar_add_closure(gov, 2026, 5, 5), 0);
	assert_string_equal(calendar_day_off_name(gov, 2026, 5, 5),
	    "こどもの日");

	/* Many closures added out of order are all found, and only they. */
	for (d = 31; d >= 1; d -= 2)
		assert_int_equal(calendar_add_closure(none, 2027, 3, d), 0);
	for (d = 1; d <= 31; d++)
		assert_int_equal(calendar_is_working_day(none, 2027, 3, d),
		    d % 2 == 0);
	assert_int_equal(calendar_is_working_day(none, 2027, 4, 1), 1);
	calendar_free(gov);
	calendar_free(none);
}

static void
test_date_arithmetic(void **state)
{
	long day;
	int y, m, d;

	(void)state;
	assert_int_equal(calendar_day_number(1970, 1, 1), 0);
	assert_int_equal(calendar_day_number(2000, 3, 1), 11017);
	assert_int_equal(calendar_day_number(1969, 12, 31), -1);
	assert_int_equal(calendar_weekday(0), 4);		/* Thursday */
	assert_int_equal(calendar_weekday(-1), 3);
	assert_int_equal(calendar_weekday(calendar_day_number(2026, 3, 8)), 0);
	for (day = -700000; day <= 800000; day += 37) {
		calendar_date(day, &y, &m, &d);
		assert_true(calendar_valid_date(y, m, d));
		assert_int_equal(calendar_day_number(y, m, d), day);
	}
	assert_int_equal(calendar_month_days(2024, 2), 29);
	assert_int_equal(calendar_month_days(2100, 2), 28);
	assert_int_equal(calendar_month_days(2000, 2), 29);
	assert_int_equal(calendar_month_days(2026, 13), 0);

	assert_int_equal(calendar_parse_date("2024-02-29", &y, &m, &d), 0);
	assert_int_equal(y, 2024);
	assert_int_equal(m, 2);
	assert_int_equal(d, 29);
	assert_int_equal(calendar_parse_date("2026-02-29", &y, &m, &d), -1);
	assert_int_equal(calendar_parse_date("2026-1-01", &y, &m, &d), -1);
	assert_int_equal(calendar_parse_date("2026-01-01x", &y, &m, &d), -1);
	assert_int_equal(calendar_parse_date("2026/01/01", &y, &m, &d), -1);
	assert_int_equal(calendar_parse_date("", &y, &m, &d), -1);
	assert_int_equal(y, 2024);	/* untouched on failure */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_holidays_2024),
		cmocka_unit_test(test_holidays_2025),
		cmocka_unit_test(test_holidays_2026),
		cmocka_unit_test(test_holidays_2027),
		cmocka_unit_test(test_holidays_2019),
		cmocka_unit_test(test_olympic_years),
		cmocka_unit_test(test_older_rules),
		cmocka_unit_test(test_reference_1980_2050),
		cmocka_unit_test(test_equinoxes),
		cmocka_unit_test(test_calendar_kinds),
		cmocka_unit_test(test_closures),
		cmocka_unit_test(test_date_arithmetic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
