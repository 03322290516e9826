/*
 * cron.h - cron expressions and their next fire times, in IANA time zones.
 *
 * Expressions are the standard five fields (minute hour day-of-month month
 * day-of-week) with lists, ranges, steps, names (JAN-DEC, SUN-SAT), 7 for
 * Sunday and Vixie cron's rule that when both day fields are restricted a
 * day matching either fires; or one of @yearly @annually @monthly @weekly
 * @daily @midnight @hourly.  docs/schedules.md is the reference.
 *
 * Time zones are read from the system's tz database (TZif files under
 * CRON_ZONEINFO_DIR) by a parser in this module: no TZ variable is set, no
 * localtime() or mktime() is called, so computing a schedule touches no
 * process-wide state and is safe from any thread.  A loaded zone is
 * immutable and may be shared.
 *
 * Daylight-saving time.  Each fire time is a local wall-clock time; how it
 * maps to instants depends on the kind of expression:
 *
 *   fixed-time    (neither the minute nor the hour field starts with '*',
 *                 e.g. "30 2 * * *", @daily): fires at the first instant
 *                 the local clock shows that time or later.  A time inside
 *                 a skipped hour (spring forward) therefore fires once, at
 *                 the first valid instant after the gap (02:30 -> 03:00);
 *                 a time inside a repeated hour (fall back) fires once, at
 *                 its first occurrence.
 *   interval      (minute or hour starts with '*', e.g. "0 * * * *",
 *                 @hourly, or a step on '*' such as every 15 minutes):
 *                 fires whenever the local clock
 *                 shows a matching time, so it keeps its rhythm in elapsed
 *                 time - it runs in both occurrences of a repeated hour
 *                 and not for wall times that were skipped.
 *
 * This is the behaviour of Vixie cron and cronie.  Nothing here reads the
 * clock: "now" is always passed in.
 */
#ifndef KOBITO_CRON_H
#define KOBITO_CRON_H

#include <stddef.h>
#include <time.h>

#include "calendar.h"

#define CRON_DEFAULT_TZ		"Asia/Tokyo"
#define CRON_ZONEINFO_DIR	"/usr/share/zoneinfo"
/* cron_next() gives up when no fire time exists within this many days. */
#define CRON_HORIZON_DAYS	(5 * 366)

struct cron;
struct cron_zone;

/*
 * Parse EXPR.  Return a new schedule the caller frees with cron_free(), or
 * NULL with a message in ERR (ERRLEN bytes, always NUL-terminated when
 * ERRLEN > 0) that names the field and the fault, e.g. "minute field: 61
 * is out of range 0-59".  EXPR is copied.
 */
struct cron	*cron_parse(const char *expr, char *err, size_t errlen);

/* Free C; NULL is allowed. */
void		 cron_free(struct cron *c);

/* The expression C was parsed from, as given; owned by C. */
const char	*cron_expr(const struct cron *c);

/*
 * The first fire time of C strictly after AFTER, computed in the zone
 * named TZ (NULL means CRON_DEFAULT_TZ) and, when CAL is not NULL, only on
 * days CAL says are working days (the day is the local date of the
 * scheduled wall-clock time).  Store it in *NEXT and return 0; return -1
 * when there is none within CRON_HORIZON_DAYS, -2 when the zone cannot be
 * loaded (use cron_zone_load() to get the reason).  Loads the zone file on
 * every call; a caller computing many times keeps a zone and uses
 * cron_next_in().
 */
int		 cron_next(const struct cron *c, const char *tz,
		    const struct calendar *cal, time_t after, time_t *next);

/* Like cron_next() in a loaded zone Z; returns 0 or -1. */
int		 cron_next_in(const struct cron *c, const struct cron_zone *z,
		    const struct calendar *cal, time_t after, time_t *next);

/*
 * Load the zone NAME (an IANA name such as "Europe/London"; NULL means
 * CRON_DEFAULT_TZ) from CRON_ZONEINFO_DIR.  Return it (the caller frees it
 * with cron_zone_free()), or NULL with a message in ERR when the name is
 * malformed, no such zone exists, or its file is not a TZif file this
 * module can use (files with leap seconds, the "right/" zones, are
 * refused).
 */
struct cron_zone *cron_zone_load(const char *name, char *err, size_t errlen);

/* Free Z; NULL is allowed. */
void		 cron_zone_free(struct cron_zone *z);

/* The zone's name as given to cron_zone_load(); owned by Z. */
const char	*cron_zone_name(const struct cron_zone *z);

/* The offset from UTC, in seconds east, in force at instant T. */
long		 cron_zone_offset(const struct cron_zone *z, time_t t);

/*
 * The instant at which the local clock of Z first shows the given
 * wall-clock time or later: the time itself, the first occurrence of a
 * repeated time, or the end of the gap for a skipped time - the same rule
 * as fixed-time schedules.  Return 0, or -1 when the fields do not form a
 * valid date and time.
 */
int		 cron_zone_resolve(const struct cron_zone *z, int year,
		    int month, int day, int hour, int minute, int second,
		    time_t *t);

/*
 * Local date and time of instant T in Z as struct tm fields, with
 * tm_gmtoff set; tm_isdst is -1 and tm_zone NULL.  T is clamped to about
 * +-35,000 years around 1970.
 */
void		 cron_zone_localtime(const struct cron_zone *z, time_t t,
		    struct tm *tm);

/*
 * Write T as ISO 8601 local time with its offset in Z,
 * "2026-03-08T03:00:00-04:00" (seconds are added to the offset only for
 * the historical offsets that have them), into BUF; LEN >= 32 is always
 * enough, the text is truncated otherwise.  Return BUF.
 */
char		*cron_zone_format(const struct cron_zone *z, time_t t,
		    char *buf, size_t len);

#endif
