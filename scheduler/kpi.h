/*
 * kpi.h - the city's back-office KPIs: configuration, ledger rollups and
 * the reports the dashboard and the API show.
 *
 * Every finished run writes one row to kpi_ledger (jobs.c, in the same
 * transaction as the run's result).  A trigger on that table (installed by
 * the store's migration, SQL in KPI_SCHEMA_SQL below) keeps, in that same
 * transaction:
 *
 *  - kpi_rollup: sums per local month, script and department, so that a
 *    report reads a few thousand rows whatever the ledger's size;
 *  - "a job counts once": when a later attempt of the same job writes its
 *    row, the earlier attempts' figures are taken back out of the rollup
 *    (they stay in the ledger, marked counted = 0), so a job that failed
 *    twice and then succeeded counts as one successful run; its row
 *    carries the items all its attempts did, each once (jobs.c,
 *    job_items_done);
 *  - the minutes people spend on the bot's exceptions (fix_minutes), from
 *    the rates in the configuration when the row is written, unless a
 *    figure was entered; a failed attempt that a retry follows defers
 *    them (fix_deferred) until the job ends (kpi_charge_deferred), so
 *    they are charged once, and the totals do not sink while it waits;
 *  - units of work (units_ok, units_failed: a run's items, or the run),
 *    which the success rate counts;
 *  - the last successful run of each script version (kpi_script_success),
 *    for the registry of multiple-input points.
 *
 * The migration that adds all this also rolls up the rows a database
 * already had.
 *
 * Fiscal years start in the configured month (April: FY2026 is 1 Apr 2026
 * to 31 Mar 2027).  Months are local months at the configured UTC offset
 * (+09:00: Japan has no daylight-saving time).
 *
 * Staff hours saved are net: the manual minutes the bots replaced, less
 * the minutes people spent fixing their exceptions.  Business (vendor)
 * hours are the minutes the city's counterparts no longer spend.
 *
 * Thread safety: a struct kpi_config is read-only once loaded and may be
 * shared by every thread; the functions taking a struct conn run on the
 * caller's connection inside its transaction.
 */
#ifndef KOBITO_KPI_H
#define KOBITO_KPI_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "store.h"

/* The five KPIs of the city's table, in its order. */
enum kpi_id {
	KPI_INPUT_POINTS,	/* 多重入力箇所: points remaining (goal 0) */
	KPI_STAFF_HOURS,	/* 作業削減時間: net staff hours saved per year */
	KPI_BUSINESS_HOURS,	/* 事業者負担軽減時間: vendor hours saved */
	KPI_PRODUCTIVITY,	/* 生産性向上率: percent */
	KPI_ENGAGEMENT,		/* 職員のやりがい向上: percent */
	KPI_COUNT
};

/* The KPI's key in the configuration and the reports. */
const char	*kpi_id_name(enum kpi_id);

struct kpi_target {
	int		 year;		/* fiscal year */
	double		 value;
};

/* A node of the department tree: 局 (level 0) -> 部 (1) -> 課 (2). */
struct kpi_dept {
	char		*code;		/* unique, e.g. "zaisei-keiri" */
	char		*name;		/* 経理部 */
	char		*name_en;	/* may be NULL */
	char		*path;		/* "財政局/経理部" */
	char		**aliases;	/* other names the ledger may carry */
	size_t		 naliases;
	int		 level;
	int		 parent;	/* index in depts, -1 for a 局 */
};

/* A place where people re-type data that exists elsewhere. */
struct kpi_point {
	char		*id;
	char		*name;
	char		*system;
	char		*screen;
	char		*data;
	char		*owner;		/* a department code */
};

/* Minutes people spend on a bot's exceptions. */
struct kpi_fix_rate {
	char		*script;	/* "" for the default */
	double		 per_failed_item;
	double		 per_failed_run;
};

struct kpi_config {
	char		*file;		/* where it was loaded from */
	int		 fy_start_month;	/* 1-12; 4 = April */
	int		 utc_offset_s;	/* local months: +32400 for +09:00 */
	double		 staff_count;	/* baseline for productivity */
	double		 hours_per_staff;	/* annual working hours */
	int		 window_days;	/* input point eliminated if a run
					   succeeded within this many days */
	struct kpi_target *targets[KPI_COUNT];
	size_t		 ntargets[KPI_COUNT];
	struct kpi_dept	*depts;		/* in tree order (parents first) */
	size_t		 ndepts;
	struct kpi_point *points;
	size_t		 npoints;
	struct kpi_fix_rate *rates;	/* rates[0] is the default ("") */
	size_t		 nrates;
};

/*
 * Load the configuration from a YAML file (or text named name).  Returns
 * 0, or -1 with "file:line:col: message" in err.  The caller frees cfg
 * with kpi_config_free() in both cases.
 */
int		 kpi_config_load(struct kpi_config *cfg, const char *path,
		    char *err, size_t errlen);
int		 kpi_config_load_text(struct kpi_config *cfg, const char *name,
		    const char *text, size_t len, char *err, size_t errlen);
/*
 * The built-in defaults: April, +09:00, the city's targets and baseline,
 * 90 days; no departments, input points or exception rates.  A file
 * overrides what it names (a KPI's targets as a whole).
 */
void		 kpi_config_defaults(struct kpi_config *cfg);
void		 kpi_config_free(struct kpi_config *cfg);
/* The configuration as JSON for the admin view (a new reference). */
json_t		*kpi_config_json(const struct kpi_config *cfg);

/*
 * The department that the ledger's department text means: matched
 * against codes, names, "局/部/課" paths (also with spaces for slashes)
 * and aliases.  Returns the index in cfg->depts or -1.
 */
int		 kpi_dept_find(const struct kpi_config *cfg, const char *text);

/*
 * Write the settings the ledger trigger reads (UTC offset, exception
 * rates) into the database, inside a write transaction.  The scheduler
 * calls it at start, after loading the configuration.  0 or -1.
 */
int		 kpi_apply(struct conn *c, const struct kpi_config *cfg,
		    char *err, size_t errlen);

/*
 * Recompute kpi_rollup, the counted flags, the months, the estimated
 * exception minutes and kpi_script_success from the ledger alone, inside
 * a write transaction (a repair, and the benchmark's fast load).  0 or -1.
 */
int		 kpi_rebuild(struct conn *c, char *err, size_t errlen);

/*
 * Enter the minutes people really spent on run_id's exceptions (replacing
 * the estimate); the rollup follows in the same transaction.  *old (may
 * be NULL) receives the figure replaced.  0, -1 with a message (no such
 * run, negative minutes).
 */
int		 kpi_set_fix_minutes(struct conn *c, int64_t run_id,
		    double minutes, double *old, char *err, size_t errlen);
/*
 * The ledger's department text of run_id into out ("" when it has none):
 * 0, or -1 when the run has no ledger row.
 */
int		 kpi_run_department(struct conn *c, int64_t run_id, char *out,
		    size_t outlen);
/*
 * Whether someone of department user_dept answers for a run of
 * department run_dept: the same department, or one above it in the tree
 * (a 部 for its 課).  Texts the tree does not know match only themselves;
 * an empty text matches nothing.
 */
int		 kpi_dept_covers(const struct kpi_config *cfg,
		    const char *user_dept, const char *run_dept);
/*
 * Job job_id ended without a retry (failed, timed out, cancelled): charge
 * the exception minutes its counted attempt deferred (a failed attempt
 * written while a retry was to follow).  Inside the job's write.  0, -1.
 */
int		 kpi_charge_deferred(struct conn *c, int64_t job_id);

/*
 * Add minutes people measurably spent on run_id's exceptions (a review):
 * the first measured figure replaces the estimate, later ones add to it.
 * 0; 1 when the run has no ledger row yet (the caller keeps the minutes
 * for it, see kpi_review_minutes); -1 with a message.
 */
int		 kpi_add_fix_minutes(struct conn *c, int64_t run_id,
		    double minutes, char *err, size_t errlen);

/* --- calendar helpers (pure, for the reports and their tests) ------------ */

/* The local month key YYYYMM of an instant (ms since the epoch). */
int		 kpi_month_of(const struct kpi_config *cfg, int64_t ms);
/* The fiscal year a month key YYYYMM belongs to. */
int		 kpi_fiscal_year(const struct kpi_config *cfg, int month);
/* The first and last month keys of fiscal year fy. */
void		 kpi_fy_months(const struct kpi_config *cfg, int fy, int *first,
		    int *last);
/*
 * Days of fiscal year fy, and of them the days elapsed at now (today
 * counted; 0 before the year, all of them after it).
 */
void		 kpi_fy_days(const struct kpi_config *cfg, int fy, int64_t now,
		    int *days, int *elapsed);
/* Projection of a year-to-date figure to the whole year (linear pace). */
double		 kpi_project(double actual, int days, int elapsed);

/* --- reports -------------------------------------------------------------- */

enum kpi_report_kind {
	KPI_R_OVERVIEW,		/* the KPI table of one fiscal year */
	KPI_R_YEARS,		/* every fiscal year with data */
	KPI_R_MONTHS,		/* the 12 months of a fiscal year */
	KPI_R_DEPARTMENTS,	/* the 局 -> 部 -> 課 tree, sums rolled up */
	KPI_R_SCRIPTS,		/* per script */
	KPI_R_INPUT_POINTS,	/* the registry, eliminated or remaining */
	KPI_R_SURVEYS,		/* staff-engagement survey results */
	KPI_R_COUNT
};

/* "overview", "years", ...; 0 and the kind, or -1. */
int		 kpi_report_parse(const char *name, enum kpi_report_kind *);
const char	*kpi_report_name(enum kpi_report_kind);

/*
 * Build a report for fiscal year fy (0: the year containing now) on a
 * reader connection, as
 *   {"report": NAME, "fiscal_year": FY, ..., "columns": [{key, ja, en,
 *    kind}], "rows": [{...}]}
 * plus report-specific fields (the overview's totals and KPIs).  A new
 * reference, or NULL with a message in err (a database error).
 */
json_t		*kpi_report(struct conn *c, const struct kpi_config *cfg,
		    enum kpi_report_kind kind, int fy, int64_t now, char *err,
		    size_t errlen);
/*
 * The same report over some departments only: depts is the JSON text of
 * an array of the department texts to count (as the ledger and the
 * surveys carry them; the registry's points by their owner's code), NULL
 * for every department.  The answer then lists them as
 * "departments_shown".
 */
json_t		*kpi_report_in(struct conn *c, const struct kpi_config *cfg,
		    enum kpi_report_kind kind, int fy, int64_t now,
		    const char *depts, char *err, size_t errlen);

/*
 * The report's rows as CSV for Excel: UTF-8 with a byte order mark, a
 * header row (Japanese, or English when english is set), CRLF line ends,
 * text cells that a spreadsheet would take for a formula prefixed with
 * an apostrophe.  Returns a new string of *len bytes (caller frees).
 */
char		*kpi_csv(const json_t *report, int english, size_t *len);

/* --- staff-engagement surveys -------------------------------------------- */

/*
 * Record a survey result for a department (code or name, matched with
 * kpi_dept_find) on date (YYYY-MM-DD): positive of respondents found
 * their work rewarding.  Inside a write transaction; *id receives the
 * row's id.  0, or -1 with a message naming the field.
 */
int		 kpi_survey_add(struct conn *c, const struct kpi_config *cfg,
		    const char *department, const char *date, long respondents,
		    long positive, const char *by, int64_t now, int64_t *id,
		    char *err, size_t errlen);
/*
 * Import surveys from CSV text (UTF-8, BOM allowed) with the header
 * department,date,respondents,positive (columns in any order; Japanese
 * headers 部署,調査日,回答者数,肯定回答数 also accepted).  All rows or none:
 * the first problem is returned as "name:line:col: message".  *count
 * receives the rows added.
 */
int		 kpi_survey_import(struct conn *c, const struct kpi_config *cfg,
		    const char *name, const char *text, size_t len,
		    const char *by, int64_t now, int *count, char *err,
		    size_t errlen);
/* Delete survey id: 0, or -1 when there is none. */
int		 kpi_survey_delete(struct conn *c, int64_t id);

/*
 * The schema the store's migration adds for the KPIs: rollup, settings,
 * exception rates, script successes, surveys, the ledger's extra columns
 * and the trigger.  Kept here, next to the code that reads it.
 */
#define KPI_SCHEMA_SQL \
	"ALTER TABLE kpi_ledger ADD COLUMN month INTEGER;" \
	"ALTER TABLE kpi_ledger ADD COLUMN counted INTEGER NOT NULL DEFAULT 1;" \
	"ALTER TABLE kpi_ledger ADD COLUMN fix_entered INTEGER NOT NULL" \
	"  DEFAULT 0;" \
	"CREATE INDEX kpi_ledger_job ON kpi_ledger(job_id);" \
	"CREATE TABLE kpi_rollup (month INTEGER NOT NULL," \
	"  script TEXT NOT NULL, department TEXT NOT NULL," \
	"  runs INTEGER NOT NULL DEFAULT 0," \
	"  runs_succeeded INTEGER NOT NULL DEFAULT 0," \
	"  runs_partial INTEGER NOT NULL DEFAULT 0," \
	"  runs_failed INTEGER NOT NULL DEFAULT 0," \
	"  attempts INTEGER NOT NULL DEFAULT 0," \
	"  items_succeeded INTEGER NOT NULL DEFAULT 0," \
	"  items_failed INTEGER NOT NULL DEFAULT 0," \
	"  minutes REAL NOT NULL DEFAULT 0," \
	"  vendor_minutes REAL NOT NULL DEFAULT 0," \
	"  fix_minutes REAL NOT NULL DEFAULT 0," \
	"  PRIMARY KEY (month, script, department)) WITHOUT ROWID;" \
	"CREATE TABLE kpi_settings (key TEXT PRIMARY KEY, value REAL NOT NULL);" \
	"CREATE TABLE kpi_fix_rates (script TEXT PRIMARY KEY," \
	"  per_failed_item REAL NOT NULL, per_failed_run REAL NOT NULL);" \
	"CREATE TABLE kpi_script_success (digest TEXT PRIMARY KEY," \
	"  script TEXT NOT NULL, last_ok INTEGER NOT NULL);" \
	"CREATE TABLE kpi_surveys (id INTEGER PRIMARY KEY," \
	"  department TEXT NOT NULL, survey_date TEXT NOT NULL," \
	"  respondents INTEGER NOT NULL, positive INTEGER NOT NULL," \
	"  created_at INTEGER NOT NULL, created_by TEXT);" \
	"CREATE INDEX kpi_surveys_date ON kpi_surveys(survey_date);" \
	/* rows written before this schema: months, counts, rollup */ \
	"UPDATE kpi_ledger SET month = CAST(strftime('%Y%m'," \
	"  finished_at / 1000 + 32400, 'unixepoch') AS INTEGER)," \
	"  counted = (id = (SELECT max(id) FROM kpi_ledger l2" \
	"  WHERE l2.job_id = kpi_ledger.job_id));" \
	"INSERT INTO kpi_rollup (month, script, department, runs," \
	"  runs_succeeded, runs_partial, runs_failed, attempts," \
	"  items_succeeded, items_failed, minutes, vendor_minutes, fix_minutes)" \
	"  SELECT month, script, coalesce(department, ''), sum(counted)," \
	"  sum(counted * (status = 'succeeded'))," \
	"  sum(counted * (status = 'partial'))," \
	"  sum(counted * (status = 'failed')), count(*)," \
	"  sum(counted * items_succeeded), sum(counted * items_failed)," \
	"  sum(counted * minutes_saved), sum(counted * vendor_minutes_saved)," \
	"  sum(counted * fix_minutes) FROM kpi_ledger GROUP BY 1, 2, 3;" \
	"INSERT INTO kpi_script_success (digest, script, last_ok)" \
	"  SELECT digest, max(script), max(finished_at) FROM kpi_ledger" \
	"  WHERE status IN ('succeeded', 'partial') GROUP BY digest;" \
	"CREATE TRIGGER kpi_ledger_insert AFTER INSERT ON kpi_ledger BEGIN" \
	/* earlier attempts of the same job: take their figures back out */ \
	"  INSERT INTO kpi_rollup (month, script, department, runs," \
	"   runs_succeeded, runs_partial, runs_failed, items_succeeded," \
	"   items_failed, minutes, vendor_minutes, fix_minutes)" \
	"  SELECT month, script, coalesce(department, ''), -1," \
	"   -(status = 'succeeded'), -(status = 'partial')," \
	"   -(status = 'failed'), -items_succeeded, -items_failed," \
	"   -minutes_saved, -vendor_minutes_saved, -fix_minutes" \
	"  FROM kpi_ledger WHERE job_id = NEW.job_id AND id <> NEW.id" \
	"   AND counted = 1 AND month IS NOT NULL" \
	"  ON CONFLICT (month, script, department) DO UPDATE SET" \
	"   runs = runs + excluded.runs," \
	"   runs_succeeded = runs_succeeded + excluded.runs_succeeded," \
	"   runs_partial = runs_partial + excluded.runs_partial," \
	"   runs_failed = runs_failed + excluded.runs_failed," \
	"   items_succeeded = items_succeeded + excluded.items_succeeded," \
	"   items_failed = items_failed + excluded.items_failed," \
	"   minutes = minutes + excluded.minutes," \
	"   vendor_minutes = vendor_minutes + excluded.vendor_minutes," \
	"   fix_minutes = fix_minutes + excluded.fix_minutes;" \
	"  UPDATE kpi_ledger SET counted = 0 WHERE job_id = NEW.job_id" \
	"   AND id <> NEW.id AND counted = 1;" \
	/* this row: its local month and estimated exception minutes */ \
	"  UPDATE kpi_ledger SET month = CAST(strftime('%Y%m'," \
	"    NEW.finished_at / 1000 + coalesce((SELECT value FROM" \
	"    kpi_settings WHERE key = 'utc_offset_s'), 32400), 'unixepoch')" \
	"    AS INTEGER)," \
	"   fix_minutes = CASE WHEN NEW.fix_minutes > 0 THEN NEW.fix_minutes" \
	"    ELSE NEW.items_failed * coalesce((SELECT per_failed_item FROM" \
	"    kpi_fix_rates WHERE script = NEW.script), (SELECT" \
	"    per_failed_item FROM kpi_fix_rates WHERE script = ''), 0)" \
	"    + (NEW.status = 'failed') * coalesce((SELECT per_failed_run" \
	"    FROM kpi_fix_rates WHERE script = NEW.script), (SELECT" \
	"    per_failed_run FROM kpi_fix_rates WHERE script = ''), 0) END," \
	"   fix_entered = NEW.fix_minutes > 0" \
	"   WHERE id = NEW.id;" \
	"  INSERT INTO kpi_rollup (month, script, department, runs," \
	"   runs_succeeded, runs_partial, runs_failed, attempts," \
	"   items_succeeded, items_failed, minutes, vendor_minutes," \
	"   fix_minutes)" \
	"  SELECT month, script, coalesce(department, ''), 1," \
	"   status = 'succeeded', status = 'partial', status = 'failed', 1," \
	"   items_succeeded, items_failed, minutes_saved," \
	"   vendor_minutes_saved, fix_minutes" \
	"  FROM kpi_ledger WHERE id = NEW.id" \
	"  ON CONFLICT (month, script, department) DO UPDATE SET" \
	"   runs = runs + excluded.runs," \
	"   runs_succeeded = runs_succeeded + excluded.runs_succeeded," \
	"   runs_partial = runs_partial + excluded.runs_partial," \
	"   runs_failed = runs_failed + excluded.runs_failed," \
	"   attempts = attempts + excluded.attempts," \
	"   items_succeeded = items_succeeded + excluded.items_succeeded," \
	"   items_failed = items_failed + excluded.items_failed," \
	"   minutes = minutes + excluded.minutes," \
	"   vendor_minutes = vendor_minutes + excluded.vendor_minutes," \
	"   fix_minutes = fix_minutes + excluded.fix_minutes;" \
	"  INSERT INTO kpi_script_success (digest, script, last_ok)" \
	"  SELECT NEW.digest, NEW.script, NEW.finished_at" \
	"  WHERE NEW.status IN ('succeeded', 'partial')" \
	"  ON CONFLICT (digest) DO UPDATE SET" \
	"   last_ok = max(last_ok, excluded.last_ok);" \
	"END;"

/*
 * A ledger row's units of work, for the success rate: its items, or the
 * run itself when it reported none; a run that failed as a whole with no
 * failed item counts one failed unit besides the items it did.
 */
#define KPI_UNITS_OK \
	"(items_succeeded + (items_succeeded = 0 AND items_failed = 0 AND" \
	" status <> 'failed'))"
#define KPI_UNITS_FAILED \
	"(items_failed + (status = 'failed' AND items_failed = 0))"

/* kpi_rollup from the ledger's counted rows (the rebuild, the migration). */
#define KPI_ROLLUP_FILL_SQL \
	"DELETE FROM kpi_rollup;" \
	"INSERT INTO kpi_rollup (month, script, department, runs," \
	"  runs_succeeded, runs_partial, runs_failed, attempts," \
	"  items_succeeded, items_failed, units_ok, units_failed, minutes," \
	"  vendor_minutes, fix_minutes)" \
	"  SELECT month, script, coalesce(department, ''), sum(counted)," \
	"  sum(counted * (status = 'succeeded'))," \
	"  sum(counted * (status = 'partial'))," \
	"  sum(counted * (status = 'failed')), count(*)," \
	"  sum(counted * items_succeeded), sum(counted * items_failed)," \
	"  sum(counted * " KPI_UNITS_OK ")," \
	"  sum(counted * " KPI_UNITS_FAILED ")," \
	"  sum(counted * minutes_saved), sum(counted * vendor_minutes_saved)," \
	"  sum(counted * fix_minutes) FROM kpi_ledger GROUP BY 1, 2, 3;"

/*
 * A later migration: the success rate counts units of work (kpi_rollup's
 * units_ok and units_failed), and the exception minutes of a failed
 * attempt that a retry follows wait for the job's end (fix_deferred):
 * they are charged once, to its last attempt, when no retry follows
 * (kpi_charge_deferred); until then the totals do not sink.  The trigger
 * is made again with both, and the rollup rebuilt.
 */
#define KPI_SCHEMA_UNITS_SQL \
	"ALTER TABLE kpi_ledger ADD COLUMN fix_deferred INTEGER NOT NULL" \
	"  DEFAULT 0;" \
	"ALTER TABLE kpi_rollup ADD COLUMN units_ok INTEGER NOT NULL" \
	"  DEFAULT 0;" \
	"ALTER TABLE kpi_rollup ADD COLUMN units_failed INTEGER NOT NULL" \
	"  DEFAULT 0;" \
	"DROP TRIGGER kpi_ledger_insert;" \
	"CREATE TRIGGER kpi_ledger_insert AFTER INSERT ON kpi_ledger BEGIN" \
	/* earlier attempts of the same job: take their figures back out */ \
	"  INSERT INTO kpi_rollup (month, script, department, runs," \
	"   runs_succeeded, runs_partial, runs_failed, items_succeeded," \
	"   items_failed, units_ok, units_failed, minutes, vendor_minutes," \
	"   fix_minutes)" \
	"  SELECT month, script, coalesce(department, ''), -1," \
	"   -(status = 'succeeded'), -(status = 'partial')," \
	"   -(status = 'failed'), -items_succeeded, -items_failed," \
	"   -" KPI_UNITS_OK ", -" KPI_UNITS_FAILED "," \
	"   -minutes_saved, -vendor_minutes_saved, -fix_minutes" \
	"  FROM kpi_ledger WHERE job_id = NEW.job_id AND id <> NEW.id" \
	"   AND counted = 1 AND month IS NOT NULL" \
	"  ON CONFLICT (month, script, department) DO UPDATE SET" \
	KPI_ROLLUP_ADD_SQL ";" \
	"  UPDATE kpi_ledger SET counted = 0 WHERE job_id = NEW.job_id" \
	"   AND id <> NEW.id AND counted = 1;" \
	/* this row: its local month and estimated exception minutes */ \
	"  UPDATE kpi_ledger SET month = CAST(strftime('%Y%m'," \
	"    NEW.finished_at / 1000 + coalesce((SELECT value FROM" \
	"    kpi_settings WHERE key = 'utc_offset_s'), 32400), 'unixepoch')" \
	"    AS INTEGER)," \
	"   fix_minutes = CASE WHEN NEW.fix_minutes > 0 THEN NEW.fix_minutes" \
	"    WHEN NEW.fix_deferred THEN 0" \
	"    ELSE NEW.items_failed * coalesce((SELECT per_failed_item FROM" \
	"    kpi_fix_rates WHERE script = NEW.script), (SELECT" \
	"    per_failed_item FROM kpi_fix_rates WHERE script = ''), 0)" \
	"    + (NEW.status = 'failed') * coalesce((SELECT per_failed_run" \
	"    FROM kpi_fix_rates WHERE script = NEW.script), (SELECT" \
	"    per_failed_run FROM kpi_fix_rates WHERE script = ''), 0) END," \
	"   fix_entered = NEW.fix_minutes > 0" \
	"   WHERE id = NEW.id;" \
	"  INSERT INTO kpi_rollup (month, script, department, runs," \
	"   runs_succeeded, runs_partial, runs_failed, attempts," \
	"   items_succeeded, items_failed, units_ok, units_failed, minutes," \
	"   vendor_minutes, fix_minutes)" \
	"  SELECT month, script, coalesce(department, ''), 1," \
	"   status = 'succeeded', status = 'partial', status = 'failed', 1," \
	"   items_succeeded, items_failed, " KPI_UNITS_OK "," \
	"   " KPI_UNITS_FAILED ", minutes_saved, vendor_minutes_saved," \
	"   fix_minutes" \
	"  FROM kpi_ledger WHERE id = NEW.id" \
	"  ON CONFLICT (month, script, department) DO UPDATE SET" \
	KPI_ROLLUP_ADD_SQL ";" \
	"  INSERT INTO kpi_script_success (digest, script, last_ok)" \
	"  SELECT NEW.digest, NEW.script, NEW.finished_at" \
	"  WHERE NEW.status IN ('succeeded', 'partial')" \
	"  ON CONFLICT (digest) DO UPDATE SET" \
	"   last_ok = max(last_ok, excluded.last_ok);" \
	"END;" \
	KPI_ROLLUP_FILL_SQL

/* A rollup row plus the excluded one (the trigger's upserts). */
#define KPI_ROLLUP_ADD_SQL \
	"   runs = runs + excluded.runs," \
	"   runs_succeeded = runs_succeeded + excluded.runs_succeeded," \
	"   runs_partial = runs_partial + excluded.runs_partial," \
	"   runs_failed = runs_failed + excluded.runs_failed," \
	"   attempts = attempts + excluded.attempts," \
	"   items_succeeded = items_succeeded + excluded.items_succeeded," \
	"   items_failed = items_failed + excluded.items_failed," \
	"   units_ok = units_ok + excluded.units_ok," \
	"   units_failed = units_failed + excluded.units_failed," \
	"   minutes = minutes + excluded.minutes," \
	"   vendor_minutes = vendor_minutes + excluded.vendor_minutes," \
	"   fix_minutes = fix_minutes + excluded.fix_minutes"

#endif
