/*
 * cmd_cron.c - "kobito cron": check a schedule offline before deploying it.
 *
 *   kobito cron next EXPR [--tz ZONE] [--from ISO-TIME] [--count N]
 *                    [--calendar jp-gov|weekdays|none] [--closure DATE]...
 *   kobito cron holidays YEAR [--calendar jp-gov|weekdays|none]
 *                    [--closure DATE]...
 *
 * "next" prints the next N fire times of EXPR, one per line, in ISO 8601
 * with the zone's offset, computed exactly as the scheduler computes them
 * (scheduler/cron.c).  "holidays" lists the days off of a calendar in a
 * year other than plain weekends, as "YYYY-MM-DD name".  Exit status: 0,
 * 1 for a bad expression or zone or when no fire time exists, 2 for a
 * usage error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "cmd.h"
#include "cron.h"
#include "xmalloc.h"

#define EXIT_USAGE	2
#define MAX_COUNT	1000
#define DEFAULT_COUNT	5

enum opt_id { OPT_TZ, OPT_FROM, OPT_COUNT, OPT_CALENDAR, OPT_CLOSURE };

#define ACCEPTS(id)	(1u << (id))

static const struct opt_spec {
	const char	*name;
	enum opt_id	 id;
} opt_specs[] = {
	{ "--tz",       OPT_TZ },
	{ "--from",     OPT_FROM },
	{ "--count",    OPT_COUNT },
	{ "--calendar", OPT_CALENDAR },
	{ "--closure",  OPT_CLOSURE },
};

/* The command line of one subcommand, as parsed. */
struct cron_args {
	const char	*value[OPT_CLOSURE];	/* last value of each option */
	const char	**closures;		/* every --closure, in order */
	int		 nclosures;
	const char	*arg;			/* the one positional argument */
};

struct cron_cmd {
	const char	*name;
	const char	*usage;
	unsigned	 accepts;
	int		(*run)(const struct cron_args *);
};

static int run_next(const struct cron_args *);
static int run_holidays(const struct cron_args *);

static const struct cron_cmd cron_cmds[] = {
	{ "next", "next EXPR [--tz ZONE] [--from ISO-TIME] [--count N] "
	    "[--calendar jp-gov|weekdays|none] [--closure YYYY-MM-DD]...",
	    ACCEPTS(OPT_TZ) | ACCEPTS(OPT_FROM) | ACCEPTS(OPT_COUNT) |
	    ACCEPTS(OPT_CALENDAR) | ACCEPTS(OPT_CLOSURE), run_next },
	{ "holidays", "holidays YEAR [--calendar jp-gov|weekdays|none] "
	    "[--closure YYYY-MM-DD]...",
	    ACCEPTS(OPT_CALENDAR) | ACCEPTS(OPT_CLOSURE), run_holidays },
};

#define NCMDS	(sizeof(cron_cmds) / sizeof(cron_cmds[0]))

static void
usage(FILE *f)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		fprintf(f, "%s kobito cron %s\n", i ? "      " : "usage:",
		    cron_cmds[i].usage);
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Report a usage error and the usage; return the exit status for it. */
static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kobito cron: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return EXIT_USAGE;
}

/*
 * Parse ARGV (after the subcommand) into ARGS.  Options take their value
 * as the next word or after '='; "--" ends the options.  Return 0, -1 for
 * --help, or the exit status of a usage error (reported).  ARGS->closures
 * is allocated in every case; the caller frees it.
 */
static int
parse_args(const struct cron_cmd *cmd, int argc, char **argv,
    struct cron_args *args)
{
	int i, npos = 0, opts_done = 0;
	size_t j, n;
	const char *value;

	memset(args, 0, sizeof(*args));
	args->closures = xcalloc((size_t)argc + 1, sizeof(*args->closures));
	for (i = 0; i < argc; i++) {
		if (!opts_done && (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0))
			return -1;
		if (opts_done || strncmp(argv[i], "--", 2) != 0 ||
		    argv[i][2] == '\0') {
			if (!opts_done && strcmp(argv[i], "--") == 0) {
				opts_done = 1;
				continue;
			}
			if (npos++ > 0)
				return usage_error("unexpected argument '%s'",
				    argv[i]);
			args->arg = argv[i];
			continue;
		}
		for (j = 0; j < sizeof(opt_specs) / sizeof(opt_specs[0]); j++) {
			n = strlen(opt_specs[j].name);
			if (strncmp(argv[i], opt_specs[j].name, n) == 0 &&
			    (argv[i][n] == '\0' || argv[i][n] == '='))
				break;
		}
		if (j == sizeof(opt_specs) / sizeof(opt_specs[0]) ||
		    !(cmd->accepts & ACCEPTS(opt_specs[j].id)))
			return usage_error("unknown option '%s'", argv[i]);
		if (argv[i][n] == '=')
			value = argv[i] + n + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else
			return usage_error("option %s needs a value",
			    opt_specs[j].name);
		if (opt_specs[j].id == OPT_CLOSURE)
			args->closures[args->nclosures++] = value;
		else
			args->value[opt_specs[j].id] = value;
	}
	if (args->arg == NULL)
		return usage_error("%s: an argument is missing", cmd->name);
	return 0;
}

/*
 * The calendar named by --calendar with the --closure days.  Without
 * --calendar: DEF, or when that is NULL, no calendar - unless closures
 * were given, which then make a "none" calendar of their own.
 */
static int
make_calendar(const struct cron_args *args, const char *def,
    struct calendar **calp)
{
	const char *name = args->value[OPT_CALENDAR];
	struct calendar *cal;
	int i, y, m, d;

	if (name == NULL)
		name = def != NULL ? def : args->nclosures > 0 ? "none" : NULL;
	*calp = NULL;
	if (name == NULL)
		return 0;
	if ((cal = calendar_new(name)) == NULL)
		return usage_error("unknown calendar '%s' (use jp-gov, "
		    "weekdays or none)", name);
	for (i = 0; i < args->nclosures; i++)
		if (calendar_parse_date(args->closures[i], &y, &m, &d) < 0 ||
		    calendar_add_closure(cal, y, m, d) < 0) {
			calendar_free(cal);
			return usage_error("--closure: '%s' is not a date "
			    "(YYYY-MM-DD)", args->closures[i]);
		}
	*calp = cal;
	return 0;
}

/* Parse exactly N digits at S. */
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

/*
 * Parse an ISO 8601 time: YYYY-MM-DD, then optionally 'T' or ' ' and
 * HH:MM[:SS], then optionally Z, +HH, +HH:MM or +HHMM.  Without an
 * offset the time is local in Z (a skipped time means the end of the gap,
 * a repeated one its first occurrence).
 */
static int
parse_iso(const char *s, const struct cron_zone *z, time_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	char date[11];
	time_t t;

	if (strlen(s) < 10)
		return -1;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (calendar_parse_date(date, &y, &mo, &d) < 0)
		return -1;
	s += 10;
	if (*s == 'T' || *s == ' ') {
		if (digits(s + 1, 2, &h) < 0 || s[3] != ':' ||
		    digits(s + 4, 2, &mi) < 0)
			return -1;
		s += 6;
		if (*s == ':') {
			if (digits(s + 1, 2, &sec) < 0)
				return -1;
			s += 3;
		}
	}
	if (*s == 'Z')
		sign = 1, s++;
	else if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		if (digits(s + 1, 2, &oh) < 0)
			return -1;
		s += 3;
		if (*s == ':')
			s++;
		if (*s != '\0') {
			if (digits(s, 2, &om) < 0)
				return -1;
			s += 2;
		}
		if (oh > 23 || om > 59)
			return -1;
	}
	if (*s != '\0' || h > 23 || mi > 59 || sec > 59)
		return -1;
	if (sign == 0)
		return cron_zone_resolve(z, y, mo, d, h, mi, sec, out);
	t = (time_t)calendar_day_number(y, mo, d) * 86400 + h * 3600 +
	    mi * 60 + sec;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

static int
run_next(const struct cron_args *args)
{
	struct calendar *cal = NULL;
	struct cron_zone *z = NULL;
	struct cron *c = NULL;
	char err[256], when[64];
	long count = DEFAULT_COUNT, i;
	time_t t;
	int rc;

	if (args->value[OPT_COUNT] != NULL) {
		char *end;

		count = strtol(args->value[OPT_COUNT], &end, 10);
		if (end == args->value[OPT_COUNT] || *end != '\0' ||
		    count < 1 || count > MAX_COUNT)
			return usage_error("--count: '%s' is not a number from "
			    "1 to 1000", args->value[OPT_COUNT]);
	}
	if ((rc = make_calendar(args, NULL, &cal)) != 0)
		return rc;
	rc = 1;
	if ((c = cron_parse(args->arg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "kobito cron: '%s': %s\n", args->arg, err);
		goto out;
	}
	if ((z = cron_zone_load(args->value[OPT_TZ], err, sizeof(err))) == NULL) {
		fprintf(stderr, "kobito cron: %s\n", err);
		goto out;
	}
	if (args->value[OPT_FROM] == NULL)
		t = time(NULL);
	else if (parse_iso(args->value[OPT_FROM], z, &t) < 0) {
		rc = usage_error("--from: '%s' is not an ISO 8601 time "
		    "(e.g. 2026-03-08T01:30 or 2026-03-08T01:30:00+09:00)",
		    args->value[OPT_FROM]);
		goto out;
	}
	for (i = 0; i < count; i++) {
		if (cron_next_in(c, z, cal, t, &t) < 0) {
			fprintf(stderr, "kobito cron: '%s' does not fire within "
			    "%d days after %s\n", args->arg, CRON_HORIZON_DAYS,
			    cron_zone_format(z, t, when, sizeof(when)));
			goto out;
		}
		puts(cron_zone_format(z, t, when, sizeof(when)));
	}
	rc = 0;
out:
	cron_free(c);
	cron_zone_free(z);
	calendar_free(cal);
	return rc;
}

static int
run_holidays(const struct cron_args *args)
{
	struct calendar *cal;
	const char *name;
	char *end;
	long year;
	int m, d, rc;

	year = strtol(args->arg, &end, 10);
	if (end == args->arg || *end != '\0' || year < CALENDAR_FIRST_YEAR ||
	    year > CALENDAR_LAST_YEAR)
		return usage_error("'%s' is not a year from 1980 to 2099, the "
		    "years the holiday rules cover", args->arg);
	if ((rc = make_calendar(args, "jp-gov", &cal)) != 0)
		return rc;
	for (m = 1; m <= 12; m++)
		for (d = 1; d <= calendar_month_days((int)year, m); d++)
			if ((name = calendar_day_off_name(cal, (int)year, m, d))
			    != NULL)
				printf("%04ld-%02d-%02d %s\n", year, m, d, name);
	calendar_free(cal);
	return 0;
}

/* Entry point: ARGV[0] is "cron", ARGV[1] the subcommand. */
int
cmd_cron(int argc, char **argv)
{
	struct cron_args args;
	size_t i;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < NCMDS; i++)
		if (strcmp(argv[1], cron_cmds[i].name) == 0)
			break;
	if (i == NCMDS)
		return usage_error("unknown subcommand '%s'", argv[1]);
	rc = parse_args(&cron_cmds[i], argc - 2, argv + 2, &args);
	if (rc == 0)
		rc = cron_cmds[i].run(&args);
	else if (rc < 0) {
		printf("usage: kobito cron %s\n", cron_cmds[i].usage);
		rc = 0;
	}
	free(args.closures);
	return rc;
}
