/*
 * calendar.h - business calendars: which days are working days.
 *
 * A schedule may be told to fire only on working days.  A calendar knows
 * three kinds of days off: weekends (Saturday and Sunday), Japan's public
 * holidays, and closure days (the city's year-end closure, 29 December to
 * 3 January, plus extra days an administrator adds).  The built-in
 * calendars are chosen by name:
 *
 *   "jp-gov"    public holidays + year-end closure + weekends (the city's
 *               own office calendar)
 *   "weekdays"  weekends only
 *   "none"      every day is a working day
 *
 * Japanese public holidays are computed by rule from the Act on National
 * Holidays (国民の祝日に関する法律) as amended, not read from a list: the
 * fixed days, the Happy Monday days, the equinoxes by the standard
 * approximation formula, substitute holidays (振替休日), citizens'
 * holidays (国民の休日) and the one-off days of 1989, 1990, 1993, 2019,
 * 2020 and 2021.  The rules are implemented for 1980-2099, the range of
 * the equinox formula; outside it no public holiday is known.
 *
 * Everything here is pure: no clock is read, no file is opened.  Dates are
 * proleptic Gregorian year, month (1-12), day (1-31).
 */
#ifndef KOBITO_CALENDAR_H
#define KOBITO_CALENDAR_H

#define CALENDAR_FIRST_YEAR	1980	/* holiday rules are known from... */
#define CALENDAR_LAST_YEAR	2099	/* ...to, inclusive */

struct calendar;

/*
 * A new calendar of the built-in kind NAME ("jp-gov", "weekdays", "none"),
 * or NULL when NAME is none of them.  The caller frees it with
 * calendar_free().
 */
struct calendar	*calendar_new(const char *name);

/* Free CAL and its closure days; NULL is allowed. */
void		 calendar_free(struct calendar *cal);

/* The name CAL was created with; owned by CAL. */
const char	*calendar_name(const struct calendar *cal);

/*
 * Add a closure day (a day off that is not a public holiday or weekend,
 * e.g. a system maintenance day).  Adding the same day twice is harmless.
 * Return 0, or -1 when the date does not exist (CAL is then unchanged).
 */
int		 calendar_add_closure(struct calendar *cal, int y, int m, int d);

/*
 * 1 when the date is a working day in CAL, 0 when it is a day off or does
 * not exist.  A NULL calendar makes every existing date a working day.
 */
int		 calendar_is_working_day(const struct calendar *cal,
		    int y, int m, int d);

/*
 * The Japanese name of the public holiday on that date ("元日",
 * "振替休日", "国民の休日", ...), or NULL when it is not one (or the year
 * is outside CALENDAR_FIRST_YEAR..CALENDAR_LAST_YEAR).  The string is
 * static.  This does not depend on any calendar.
 */
const char	*calendar_holiday_name(int y, int m, int d);

/*
 * Why the date is a day off in CAL other than for being a weekend: the
 * public holiday's name (when CAL includes holidays), "年末年始" for the
 * built-in year-end closure, "休業日" for a day added with
 * calendar_add_closure(); NULL otherwise.  The string is static.
 */
const char	*calendar_day_off_name(const struct calendar *cal,
		    int y, int m, int d);

/*
 * Parse a strict YYYY-MM-DD date of an existing day.  Return 0, or -1
 * (outputs untouched) when S is anything else.
 */
int		 calendar_parse_date(const char *s, int *y, int *m, int *d);

/* Date arithmetic shared with the cron module. */

/* 1 when the date exists in the proleptic Gregorian calendar. */
int		 calendar_valid_date(int y, int m, int d);
/* Days in month M of year Y (0 when M is not 1-12). */
int		 calendar_month_days(int y, int m);
/* Days since 1970-01-01 (negative before it). */
long		 calendar_day_number(int y, int m, int d);
/* The inverse of calendar_day_number(). */
void		 calendar_date(long day, int *y, int *m, int *d);
/* Day of the week of a day number: 0 = Sunday ... 6 = Saturday. */
int		 calendar_weekday(long day);

#endif
