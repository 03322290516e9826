/*
 * calendar.c - business calendars and Japan's public holidays by rule.
 *
 * The public holidays are a table of rules, each valid for a span of years,
 * so that every amendment of the Act on National Holidays is one row: the
 * move to Happy Mondays in 2000 and 2003, 山の日 from 2016, the change of
 * 天皇誕生日 with the 2019 succession, the Olympic moves of 2020 and 2021.
 * Three derived kinds of day follow from the table:
 *
 *   振替休日  a holiday on a Sunday gives a day off on the next day that
 *             is not a holiday (from 2007; before, only the Monday);
 *   国民の休日 a day that is not a holiday, between two holidays (from
 *             1986; before 2007 it could not be a Sunday);
 *   one-off days by special acts (1989, 1990, 1993, 2019).
 *
 * The 2019 enthronement's 4/30 and 5/2 are not in the table: they are
 * 国民の休日, sandwiched between 昭和の日, 天皇の即位の日 and 憲法記念日,
 * and the rule finds them.
 */
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "xmalloc.h"

enum rule_kind {
	FIXED,		/* day-of-month n */
	MONDAY,		/* the n-th Monday of the month */
	VERNAL,		/* 春分日, by the equinox formula */
	AUTUMNAL,	/* 秋分日, by the equinox formula */
};

struct holiday_rule {
	int		 month;
	enum rule_kind	 kind;
	int		 n;
	int		 from, to;	/* years, inclusive */
	const char	*name;
};

#define ALWAYS_FROM	CALENDAR_FIRST_YEAR
#define ALWAYS_TO	CALENDAR_LAST_YEAR

static const struct holiday_rule rules[] = {
	{ 1, FIXED,    1, ALWAYS_FROM, ALWAYS_TO, "元日" },
	{ 1, FIXED,   15, ALWAYS_FROM, 1999,      "成人の日" },
	{ 1, MONDAY,   2, 2000,        ALWAYS_TO, "成人の日" },
	{ 2, FIXED,   11, ALWAYS_FROM, ALWAYS_TO, "建国記念の日" },
	{ 2, FIXED,   23, 2020,        ALWAYS_TO, "天皇誕生日" },
	{ 3, VERNAL,   0, ALWAYS_FROM, ALWAYS_TO, "春分の日" },
	{ 4, FIXED,   29, ALWAYS_FROM, 1988,      "天皇誕生日" },
	{ 4, FIXED,   29, 1989,        2006,      "みどりの日" },
	{ 4, FIXED,   29, 2007,        ALWAYS_TO, "昭和の日" },
	{ 5, FIXED,    3, ALWAYS_FROM, ALWAYS_TO, "憲法記念日" },
	{ 5, FIXED,    4, 2007,        ALWAYS_TO, "みどりの日" },
	{ 5, FIXED,    5, ALWAYS_FROM, ALWAYS_TO, "こどもの日" },
	{ 7, FIXED,   20, 1996,        2002,      "海の日" },
	{ 7, MONDAY,   3, 2003,        2019,      "海の日" },
	{ 7, FIXED,   23, 2020,        2020,      "海の日" },
	{ 7, FIXED,   24, 2020,        2020,      "スポーツの日" },
	{ 7, FIXED,   22, 2021,        2021,      "海の日" },
	{ 7, FIXED,   23, 2021,        2021,      "スポーツの日" },
	{ 7, MONDAY,   3, 2022,        ALWAYS_TO, "海の日" },
	{ 8, FIXED,   11, 2016,        2019,      "山の日" },
	{ 8, FIXED,   10, 2020,        2020,      "山の日" },
	{ 8, FIXED,    8, 2021,        2021,      "山の日" },
	{ 8, FIXED,   11, 2022,        ALWAYS_TO, "山の日" },
	{ 9, FIXED,   15, ALWAYS_FROM, 2002,      "敬老の日" },
	{ 9, MONDAY,   3, 2003,        ALWAYS_TO, "敬老の日" },
	{ 9, AUTUMNAL, 0, ALWAYS_FROM, ALWAYS_TO, "秋分の日" },
	{10, FIXED,   10, ALWAYS_FROM, 1999,      "体育の日" },
	{10, MONDAY,   2, 2000,        2019,      "体育の日" },
	{10, MONDAY,   2, 2022,        ALWAYS_TO, "スポーツの日" },
	{11, FIXED,    3, ALWAYS_FROM, ALWAYS_TO, "文化の日" },
	{11, FIXED,   23, ALWAYS_FROM, ALWAYS_TO, "勤労感謝の日" },
	{12, FIXED,   23, 1989,        2018,      "天皇誕生日" },
};

/* Days made holidays by special acts; they count as 国民の祝日. */
static const struct one_off {
	int		 y, m, d;
	const char	*name;
} one_offs[] = {
	{ 1989,  2, 24, "昭和天皇の大喪の礼" },
	{ 1990, 11, 12, "即位礼正殿の儀" },
	{ 1993,  6,  9, "皇太子徳仁親王の結婚の儀" },
	{ 2019,  5,  1, "天皇の即位の日" },
	{ 2019, 10, 22, "即位礼正殿の儀の行われる日" },
};

#define SUBSTITUTE_NAME	"振替休日"
#define CITIZENS_NAME	"国民の休日"
#define YEAR_END_NAME	"年末年始"
#define CLOSURE_NAME	"休業日"

/* The amended rules for 振替休日 and 国民の休日 apply from this year. */
#define RULES_2007	2007
/* 国民の休日 exists from 1985-12-27, so from 1986 in practice. */
#define CITIZENS_FROM	1986

#define CAL_HOLIDAYS	0x1	/* Japan's public holidays */
#define CAL_YEAR_END	0x2	/* 29 Dec - 3 Jan */
#define CAL_WEEKENDS	0x4	/* Saturday and Sunday */

static const struct calendar_kind {
	const char	*name;
	unsigned	 flags;
} kinds[] = {
	{ "jp-gov",   CAL_HOLIDAYS | CAL_YEAR_END | CAL_WEEKENDS },
	{ "weekdays", CAL_WEEKENDS },
	{ "none",     0 },
};

struct calendar {
	const char	*name;		/* static, from kinds[] */
	unsigned	 flags;
	long		*closures;	/* sorted day numbers, no duplicates */
	size_t		 nclosures;
	size_t		 closures_size;
};

/* Date arithmetic (H. Hinnant's days_from_civil, public domain). */

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
calendar_month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m < 1 || m > 12)
		return 0;
	return days[m - 1] + (m == 2 && is_leap(y));
}

int
calendar_valid_date(int y, int m, int d)
{
	return y >= 1 && y <= 9999 && d >= 1 && d <= calendar_month_days(y, m);
}

long
calendar_day_number(int y, int m, int d)
{
	long yy = (long)y - (m <= 2);
	long era = (yy >= 0 ? yy : yy - 399) / 400;
	long yoe = yy - era * 400;
	long doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
calendar_date(long day, int *y, int *m, int *d)
{
	long z = day + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	long mm = mp < 10 ? mp + 3 : mp - 9;

	*y = (int)(yoe + era * 400 + (mm <= 2));
	*m = (int)mm;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
}

int
calendar_weekday(long day)
{
	long w = (day + 4) % 7;		/* 1970-01-01 was a Thursday */

	return (int)(w < 0 ? w + 7 : w);
}

/*
 * The day of March (VERNAL) or September (AUTUMNAL) of the equinox in
 * Japan, by the approximation used by the National Astronomical
 * Observatory's published tables, valid 1980-2099.
 */
static int
equinox_day(enum rule_kind kind, int y)
{
	/*
	 * int(20.8431 + 0.242194 * (y - 1980) - int((y - 1980) / 4)) for
	 * spring, 23.2488 for autumn, in millionths so that no floating-point
	 * rounding can move a day.
	 */
	long base = kind == VERNAL ? 20843100 : 23248800;
	long n = y - 1980;

	return (int)((base + 242194 * n) / 1000000 - n / 4);
}

/* The day of month M of year Y on which rule R falls. */
static int
rule_day(const struct holiday_rule *r, int y)
{
	int first;

	switch (r->kind) {
	case FIXED:
		return r->n;
	case MONDAY:
		first = calendar_weekday(calendar_day_number(y, r->month, 1));
		return 1 + (8 - first) % 7 + (r->n - 1) * 7;
	case VERNAL:
	case AUTUMNAL:
		return equinox_day(r->kind, y);
	}
	abort();	/* every rule_kind is handled above */
}

/* The name of the 国民の祝日 (a proper holiday) on that day, or NULL. */
static const char *
national_holiday(long day)
{
	int y, m, d;
	size_t i;

	calendar_date(day, &y, &m, &d);
	if (y < CALENDAR_FIRST_YEAR || y > CALENDAR_LAST_YEAR)
		return NULL;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct holiday_rule *r = &rules[i];

		if (r->month == m && y >= r->from && y <= r->to &&
		    rule_day(r, y) == d)
			return r->name;
	}
	for (i = 0; i < sizeof(one_offs) / sizeof(one_offs[0]); i++)
		if (one_offs[i].y == y && one_offs[i].m == m &&
		    one_offs[i].d == d)
			return one_offs[i].name;
	return NULL;
}

/* Is DAY (not itself a national holiday) a 振替休日? */
static int
is_substitute(long day, int y)
{
	long k;

	if (y < RULES_2007)
		/* 1973 rule: only the day right after a Sunday holiday. */
		return national_holiday(day - 1) != NULL &&
		    calendar_weekday(day - 1) == 0;
	/* 2007 rule: the first non-holiday after a Sunday holiday. */
	for (k = day - 1; national_holiday(k) != NULL; k--)
		if (calendar_weekday(k) == 0)
			return 1;
	return 0;
}

/* Is DAY (neither a national holiday nor a 振替休日) a 国民の休日? */
static int
is_citizens(long day, int y)
{
	if (y < CITIZENS_FROM)
		return 0;
	if (y < RULES_2007 && calendar_weekday(day) == 0)
		return 0;
	return national_holiday(day - 1) != NULL &&
	    national_holiday(day + 1) != NULL;
}

const char *
calendar_holiday_name(int y, int m, int d)
{
	const char *name;
	long day;

	if (!calendar_valid_date(y, m, d) ||
	    y < CALENDAR_FIRST_YEAR || y > CALENDAR_LAST_YEAR)
		return NULL;
	day = calendar_day_number(y, m, d);
	if ((name = national_holiday(day)) != NULL)
		return name;
	if (is_substitute(day, y))
		return SUBSTITUTE_NAME;
	if (is_citizens(day, y))
		return CITIZENS_NAME;
	return NULL;
}

struct calendar *
calendar_new(const char *name)
{
	struct calendar *cal;
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return NULL;
	cal = xcalloc(1, sizeof(*cal));
	cal->name = kinds[i].name;
	cal->flags = kinds[i].flags;
	return cal;
}

void
calendar_free(struct calendar *cal)
{
	if (cal == NULL)
		return;
	free(cal->closures);
	free(cal);
}

const char *
calendar_name(const struct calendar *cal)
{
	return cal->name;
}

/* Index of the first closure >= DAY. */
static size_t
closure_index(const struct calendar *cal, long day)
{
	size_t lo = 0, hi = cal->nclosures;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cal->closures[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
calendar_add_closure(struct calendar *cal, int y, int m, int d)
{
	long day;
	size_t i;

	if (!calendar_valid_date(y, m, d))
		return -1;
	day = calendar_day_number(y, m, d);
	i = closure_index(cal, day);
	if (i < cal->nclosures && cal->closures[i] == day)
		return 0;
	if (cal->nclosures == cal->closures_size) {
		cal->closures_size = cal->closures_size ? cal->closures_size * 2 : 8;
		cal->closures = xreallocarray(cal->closures, cal->closures_size,
		    sizeof(*cal->closures));
	}
	memmove(&cal->closures[i + 1], &cal->closures[i],
	    (cal->nclosures - i) * sizeof(*cal->closures));
	cal->closures[i] = day;
	cal->nclosures++;
	return 0;
}

static int
is_year_end(int m, int d)
{
	return (m == 12 && d >= 29) || (m == 1 && d <= 3);
}

const char *
calendar_day_off_name(const struct calendar *cal, int y, int m, int d)
{
	const char *name;
	size_t i;
	long day;

	if (cal == NULL || !calendar_valid_date(y, m, d))
		return NULL;
	if ((cal->flags & CAL_HOLIDAYS) &&
	    (name = calendar_holiday_name(y, m, d)) != NULL)
		return name;
	if ((cal->flags & CAL_YEAR_END) && is_year_end(m, d))
		return YEAR_END_NAME;
	day = calendar_day_number(y, m, d);
	i = closure_index(cal, day);
	if (i < cal->nclosures && cal->closures[i] == day)
		return CLOSURE_NAME;
	return NULL;
}

int
calendar_is_working_day(const struct calendar *cal, int y, int m, int d)
{
	int wday;

	if (!calendar_valid_date(y, m, d))
		return 0;
	if (cal == NULL)
		return 1;
	wday = calendar_weekday(calendar_day_number(y, m, d));
	if ((cal->flags & CAL_WEEKENDS) && (wday == 0 || wday == 6))
		return 0;
	return calendar_day_off_name(cal, y, m, d) == NULL;
}

/* Parse exactly N decimal digits at S. */
static int
digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
calendar_parse_date(const char *s, int *y, int *m, int *d)
{
	int yy, mm, dd;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    digits(s, 4, &yy) < 0 || digits(s + 5, 2, &mm) < 0 ||
	    digits(s + 8, 2, &dd) < 0 || !calendar_valid_date(yy, mm, dd))
		return -1;
	*y = yy;
	*m = mm;
	*d = dd;
	return 0;
}
