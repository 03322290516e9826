/*
 * era.h - Japanese era dates (和暦) and the Gregorian calendar arithmetic
 * behind them.
 *
 * City forms write dates as 令和6年4月1日, R6.4.1 or 令和六年四月一日; the
 * systems behind them want 2024-04-01.  This module converts both ways for
 * the modern eras:
 *
 *	明治 M	1868-10-23 .. 1912-07-29
 *	大正 T	1912-07-30 .. 1926-12-24
 *	昭和 S	1926-12-25 .. 1989-01-07
 *	平成 H	1989-01-08 .. 2019-04-30
 *	令和 R	2019-05-01 ..
 *
 * Year 1 of an era is the Gregorian year the era began in, so one
 * Gregorian year can belong to two eras (2019 is 平成31年 until April 30
 * and 令和元年 from May 1).  All functions are pure: no clock, no locale.
 */
#ifndef KOBITO_ERA_H
#define KOBITO_ERA_H

#include <stddef.h>

#define ERA_KANJI	0x1	/* kanji numerals: 令和六年四月一日 */
#define ERA_GANNEN	0x2	/* write year 1 as 元年: 令和元年五月一日 */
#define ERA_SHORT	0x4	/* Latin letter and dots: R6.4.1 (never 元) */
/* What forms normally use; pass this unless told otherwise. */
#define ERA_DEFAULT	ERA_GANNEN

/*
 * Write the Gregorian date y-m-d as an era date into out (outlen bytes,
 * always NUL-terminated when outlen > 0): "令和6年4月1日" with flags 0
 * except that year 1 is "1年", "令和元年5月1日" with ERA_GANNEN, kanji
 * numerals with ERA_KANJI, "R6.4.1" with ERA_SHORT.  Return 0, or -1 when
 * the date does not exist, lies before 明治 (1868-10-23), or does not fit.
 */
int	era_format(int y, int m, int d, unsigned flags, char *out,
	    size_t outlen);

/*
 * Read an era date into the Gregorian *y, *m, *d.  Accepted:
 *   era     明治 大正 昭和 平成 令和, the one-character forms ㍾ ㍽ ㍼ ㍻ ㋿,
 *           or the letter M T S H R (either case, ASCII or full-width)
 *           before a number in digits;
 *   numbers ASCII or full-width digits, kanji numerals (一 .. 九, 〇, 十,
 *           百, 千: 十一, 二十九, 三十一, or digit by digit 二〇), and 元
 *           for the year;
 *   layout  年 月 日 (日 may be left out), or '.', '/' or '-' (full-width
 *           too) used twice the same way: R6.4.1, H31/4/30, S64-1-7;
 *           spaces (also U+3000) may stand between the parts and around.
 * The date must exist and lie inside the era: 平成31年5月1日 and
 * 令和1年4月30日 are errors.  Return 0, or -1 (outputs unspecified).
 */
int	era_parse(const char *s, int *y, int *m, int *d);

/*
 * era_parse() that also says what is wrong: on failure a lower-case
 * message naming the problem is written to err (errlen bytes, may be 0).
 */
int	era_parse_err(const char *s, int *y, int *m, int *d, char *err,
	    size_t errlen);

/* Non-zero when y-m-d is a date of the proleptic Gregorian calendar
 * (years 1..9999). */
int	date_valid(int y, int m, int d);

/*
 * Read a strict ISO 8601 calendar date "YYYY-MM-DD" (nothing before or
 * after) that exists.  Return 0, or -1.
 */
int	date_parse_iso(const char *s, int *y, int *m, int *d);

/* Days since 1970-01-01 of a valid date (negative before it). */
long	date_to_days(int y, int m, int d);
/* The date that lies days after 1970-01-01. */
void	date_from_days(long days, int *y, int *m, int *d);
/* Day of the week of a valid date: 0 Sunday .. 6 Saturday. */
int	date_weekday(int y, int m, int d);

#endif
