/*
 * schedules.c - schedules: checking definitions, next fire times with the
 * cron and calendar modules, and the tick that fires them (see schedules.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cron.h"
#include "schedules.h"
#include "xmalloc.h"

struct sched {
	pthread_mutex_t		  mu;
	struct cron_zone	**zones;
	size_t			  nzones;
};

static const char *const misfire_names[] = { "skip", "run_once" };
static const char *const overlap_names[] = { "allow", "forbid", "replace" };
static const char *const calendar_names[] = { "none", "weekdays", "jp-gov" };

struct sched *
sched_new(void)
{
	struct sched *s = xcalloc(1, sizeof *s);

	pthread_mutex_init(&s->mu, NULL);
	return s;
}

void
sched_free(struct sched *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nzones; i++)
		cron_zone_free(s->zones[i]);
	free(s->zones);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* A loaded zone, cached for the life of the context. */
static const struct cron_zone *
zone(struct sched *s, const char *tz, char *err, size_t errlen)
{
	struct cron_zone *z;
	size_t i;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nzones; i++)
		if (strcmp(cron_zone_name(s->zones[i]), tz) == 0) {
			pthread_mutex_unlock(&s->mu);
			return s->zones[i];
		}
	if ((z = cron_zone_load(tz, err, errlen)) != NULL) {
		s->zones = xreallocarray(s->zones, s->nzones + 1,
		    sizeof *s->zones);
		s->zones[s->nzones++] = z;
	}
	pthread_mutex_unlock(&s->mu);
	return z;
}

char *
sched_format(struct sched *s, const char *tz, int64_t ms, char *buf,
    size_t len)
{
	const struct cron_zone *z = zone(s, tz, buf, len);

	if (z == NULL)
		return buf;	/* the message */
	return cron_zone_format(z, (time_t)(ms / 1000), buf, len);
}

static int
name_index(const char *const *names, size_t n, const char *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], v) == 0)
			return (int)i;
	return -1;
}

int
sched_next(struct sched *s, const char *expr, const char *tz,
    const char *calname, json_t *closures, int64_t after, int64_t *next,
    char *err, size_t errlen)
{
	struct cron *c;
	struct calendar *cal = NULL;
	const struct cron_zone *z;
	json_t *d;
	size_t i;
	int y, m, dd, rc;
	time_t t;

	if ((c = cron_parse(expr, err, errlen)) == NULL)
		return -1;
	if ((z = zone(s, tz, err, errlen)) == NULL) {
		cron_free(c);
		return -1;
	}
	if (calname != NULL && strcmp(calname, "none") != 0) {
		if ((cal = calendar_new(calname)) == NULL) {
			snprintf(err, errlen, "unknown calendar '%s'", calname);
			cron_free(c);
			return -1;
		}
		json_array_foreach(closures, i, d)
			if (json_is_string(d) && calendar_parse_date(
			    json_string_value(d), &y, &m, &dd) == 0)
				calendar_add_closure(cal, y, m, dd);
	}
	/* cron works in whole seconds: the next one strictly after "after". */
	rc = cron_next_in(c, z, cal, (time_t)(after / 1000), &t);
	cron_free(c);
	calendar_free(cal);
	if (rc != 0) {
		snprintf(err, errlen, "'%s' never fires within %d days", expr,
		    CRON_HORIZON_DAYS);
		return -1;
	}
	*next = (int64_t)t * 1000;
	return 0;
}

int
sched_should_fire(int64_t due, int64_t now, enum misfire m)
{
	if (now < due)
		return 0;
	if (now - due <= SCHED_GRACE_MS)
		return 1;
	return m == MISFIRE_RUN_ONCE;
}

static const char *
get_str(json_t *def, const char *key, const char *dflt, json_t *errors)
{
	json_t *v = json_object_get(def, key);

	if (v == NULL || json_is_null(v))
		return dflt;
	if (!json_is_string(v)) {
		json_array_append_new(errors, json_sprintf("%s: expected a "
		    "string", key));
		return NULL;
	}
	return json_string_value(v);
}

static int
get_int(json_t *def, const char *key, json_int_t dflt, json_int_t lo,
    json_int_t hi, json_int_t *out, json_t *errors)
{
	json_t *v = json_object_get(def, key);

	if (v == NULL || json_is_null(v)) {
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		json_array_append_new(errors, json_sprintf("%s: expected an "
		    "integer from %lld to %lld", key, (long long)lo,
		    (long long)hi));
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

/* Whether digest is a stored version of script name. */
static int
version_of(struct conn *c, const char *name, const char *digest)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT 1 FROM script_versions"
	    " WHERE digest = ? AND name = ?");
	int found;

	bind_text(st, 1, digest);
	bind_text(st, 2, name);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

json_t *
sched_check(struct sched *s, struct conn *c, struct scripts *sc, json_t *def,
    json_t *errors)
{
	const char *name, *script, *expr, *tz, *cal, *misfire, *overlap, *pin;
	json_t *closures, *params = NULL, *v, *out;
	const struct script *scr = NULL;
	json_int_t prio = 0, att = 0, tmo = 0;
	char digest[65], err[256];
	int64_t next;
	size_t before = json_array_size(errors), i, n;
	int y, m, d, enabled = 1, zone_ok, cron_ok = 0;
	struct cron *cr = NULL;

	if (!json_is_object(def)) {
		json_array_append_new(errors, json_string("expected an object"));
		return NULL;
	}
	name = get_str(def, "name", NULL, errors);
	if (name == NULL || (n = strlen(name)) == 0 || n > 64 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") != n)
		json_array_append_new(errors, json_string("name: expected 1-64 "
		    "characters of A-Z a-z 0-9 . _ -"));
	script = get_str(def, "script", NULL, errors);
	pin = get_str(def, "digest", NULL, errors);
	if (script == NULL)
		json_array_append_new(errors, json_string("script: required"));
	else if (scripts_current(c, script, digest) != 0)
		json_array_append_new(errors, json_sprintf("script: no script "
		    "named '%s'", script));
	else if (pin != NULL && !version_of(c, script, pin))
		json_array_append_new(errors, json_sprintf("digest: script "
		    "'%s' has no version '%s'", script, pin));
	else if ((scr = scripts_get(sc, c, pin ? pin : digest)) == NULL)
		json_array_append_new(errors, json_sprintf("script: '%s' does "
		    "not load", script));
	expr = get_str(def, "cron", NULL, errors);
	if (expr == NULL)
		json_array_append_new(errors, json_string("cron: required"));
	tz = get_str(def, "tz", CRON_DEFAULT_TZ, errors);
	cal = get_str(def, "calendar", "none", errors);
	if (cal != NULL && name_index(calendar_names, 3, cal) < 0)
		json_array_append_new(errors, json_sprintf("calendar: expected "
		    "none, weekdays or jp-gov, not '%s'", cal));
	misfire = get_str(def, "misfire", "skip", errors);
	if (misfire != NULL && name_index(misfire_names, 2, misfire) < 0)
		json_array_append_new(errors, json_sprintf("misfire: expected "
		    "skip or run_once, not '%s'", misfire));
	overlap = get_str(def, "overlap", "allow", errors);
	if (overlap != NULL && name_index(overlap_names, 3, overlap) < 0)
		json_array_append_new(errors, json_sprintf("overlap: expected "
		    "allow, forbid or replace, not '%s'", overlap));
	closures = json_object_get(def, "closures");
	if (closures != NULL && !json_is_null(closures)) {
		if (!json_is_array(closures))
			json_array_append_new(errors, json_string("closures: "
			    "expected a list of YYYY-MM-DD dates"));
		else
			json_array_foreach(closures, i, v)
				if (!json_is_string(v) || calendar_parse_date(
				    json_string_value(v), &y, &m, &d) != 0)
					json_array_append_new(errors,
					    json_sprintf("closures[%zu]: "
					    "expected a date YYYY-MM-DD", i));
	} else
		closures = NULL;
	get_int(def, "priority", 0, -1000, 1000, &prio, errors);
	get_int(def, "max_attempts", 0, 0, 100, &att, errors);
	get_int(def, "timeout_ms", 0, 0, 7 * 86400000LL, &tmo, errors);
	v = json_object_get(def, "enabled");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_boolean(v))
			json_array_append_new(errors, json_string("enabled: "
			    "expected true or false"));
		else
			enabled = json_is_true(v);
	}
	if (scr != NULL) {
		params = scripts_params(scr, json_object_get(def, "params"),
		    err, sizeof err);
		if (params == NULL)
			json_array_append_new(errors, json_string(err));
	}
	zone_ok = tz != NULL && zone(s, tz, err, sizeof err) != NULL;
	if (tz != NULL && !zone_ok)
		json_array_append_new(errors, json_sprintf("tz: %s", err));
	if (expr != NULL) {
		if ((cr = cron_parse(expr, err, sizeof err)) == NULL)
			json_array_append_new(errors, json_sprintf("cron: %s",
			    err));
		cron_ok = cr != NULL;
		cron_free(cr);
	}
	/* A well-formed expression that never fires, e.g. 31 February. */
	if (cron_ok && zone_ok && cal != NULL && sched_next(s, expr, tz,
	    cal, closures, 0, &next, err, sizeof err) != 0)
		json_array_append_new(errors, json_sprintf("cron: %s", err));
	if (json_array_size(errors) != before) {
		json_decref(params);
		return NULL;
	}
	out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:I,"
	    " s:b, s:I, s:I}", "name", name, "script", script, "cron", expr,
	    "tz", tz, "calendar", cal, "closures",
	    closures ? json_incref(closures) : json_array(), "misfire", misfire,
	    "overlap", overlap, "params", params, "priority", prio,
	    "enabled", enabled, "max_attempts", att, "timeout_ms", tmo);
	json_object_set_new(out, "digest", pin ? json_string(pin) :
	    json_null());
	return out;
}

int
sched_put(struct sched *s, struct conn *c, json_t *def, const char *origin,
    int64_t now, int *created, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t next;
	const char *name = json_string_value(json_object_get(def, "name"));
	json_t *closures = json_object_get(def, "closures");

	if (sched_next(s, json_string_value(json_object_get(def, "cron")),
	    json_string_value(json_object_get(def, "tz")),
	    json_string_value(json_object_get(def, "calendar")), closures, now,
	    &next, err, errlen) != 0)
		return -1;
	st = conn_stmt(c, "SELECT 1 FROM schedules WHERE name = ?");
	bind_text(st, 1, name);
	*created = sqlite3_step(st) != SQLITE_ROW;
	sqlite3_reset(st);
	st = conn_stmt(c, "INSERT INTO schedules (name, script, cron, tz,"
	    " calendar, closures, misfire, overlap, params, priority, enabled,"
	    " max_attempts, timeout_ms, next_fire, origin, created_at,"
	    " updated_at, digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
	    " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16, ?17) ON CONFLICT (name)"
	    " DO UPDATE SET script = ?2, cron = ?3, tz = ?4, calendar = ?5,"
	    " closures = ?6, misfire = ?7, overlap = ?8, params = ?9,"
	    " priority = ?10, enabled = ?11, max_attempts = ?12,"
	    " timeout_ms = ?13, origin = ?15, updated_at = ?16, digest = ?17,"
	    /*
	     * The same timing keeps its next fire time, even one that
	     * passed while the scheduler was down: the config file's
	     * schedules are put again at every start, and recomputing would
	     * forget the missed time that misfire: run_once catches up.
	     */
	    " next_fire = CASE WHEN enabled AND ?11 AND cron IS ?3 AND"
	    " tz IS ?4 AND calendar IS ?5 AND closures IS ?6 THEN next_fire"
	    " ELSE ?14 END");
	bind_text(st, 1, name);
	bind_text(st, 2, json_string_value(json_object_get(def, "script")));
	bind_text(st, 3, json_string_value(json_object_get(def, "cron")));
	bind_text(st, 4, json_string_value(json_object_get(def, "tz")));
	bind_text(st, 5, json_string_value(json_object_get(def, "calendar")));
	sqlite3_bind_text(st, 6, json_dumps(closures, JSON_COMPACT), -1, free);
	bind_text(st, 7, json_string_value(json_object_get(def, "misfire")));
	bind_text(st, 8, json_string_value(json_object_get(def, "overlap")));
	sqlite3_bind_text(st, 9, json_dumps(json_object_get(def, "params"),
	    JSON_COMPACT), -1, free);
	sqlite3_bind_int64(st, 10,
	    json_integer_value(json_object_get(def, "priority")));
	sqlite3_bind_int(st, 11, json_is_true(json_object_get(def, "enabled")));
	sqlite3_bind_int64(st, 12,
	    json_integer_value(json_object_get(def, "max_attempts")));
	sqlite3_bind_int64(st, 13,
	    json_integer_value(json_object_get(def, "timeout_ms")));
	sqlite3_bind_int64(st, 14, next);
	bind_text(st, 15, origin);
	sqlite3_bind_int64(st, 16, now);
	bind_text(st, 17, json_string_value(json_object_get(def, "digest")));
	return conn_step(c, st, err, errlen);
}

int
sched_set_enabled(struct sched *s, struct conn *c, const char *name,
    int enabled, int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT cron, tz, calendar, closures"
	    " FROM schedules WHERE name = ?");
	char *cron = NULL, *tz = NULL, *cal = NULL;
	json_t *closures = NULL;
	int64_t next = 0;
	int rc = -1;

	bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		cron = col_strdup(st, 0);
		tz = col_strdup(st, 1);
		cal = col_strdup(st, 2);
		closures = json_loads(col_text(st, 3), 0, NULL);
	}
	sqlite3_reset(st);
	if (cron == NULL) {
		snprintf(err, errlen, "no schedule '%s'", name);
		return -1;
	}
	/* Resumed, it fires next after now: the paused times are not due. */
	if (enabled && sched_next(s, cron, tz, cal, closures, now, &next, err,
	    errlen) != 0)
		goto done;
	st = conn_stmt(c, "UPDATE schedules SET enabled = ?1, updated_at = ?2,"
	    " next_fire = CASE WHEN ?1 THEN ?3 ELSE next_fire END"
	    " WHERE name = ?4");
	sqlite3_bind_int(st, 1, enabled != 0);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, next);
	bind_text(st, 4, name);
	rc = conn_step(c, st, err, errlen);
done:
	free(cron);
	free(tz);
	free(cal);
	json_decref(closures);
	return rc;
}

int
sched_delete(struct conn *c, const char *name)
{
	sqlite3_stmt *st = conn_stmt(c, "DELETE FROM schedules WHERE name = ?");

	bind_text(st, 1, name);
	if (conn_step(c, st, NULL, 0) != 0)
		return -1;
	return conn_changes(c) == 1 ? 0 : -1;
}

#define SCHED_COLS "id, name, script, cron, tz, calendar, closures," \
	" misfire, overlap, params, priority, enabled, max_attempts," \
	" timeout_ms, next_fire, last_fire, last_job_id, origin," \
	" coalesce(department, ''), digest"

static json_t *
sched_json(sqlite3_stmt *st, const struct tfmt *tf)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s,"
	    " s:o, s:I, s:b, s:I, s:I, s:o, s:o, s:o, s:s}",
	    "id", (json_int_t)sqlite3_column_int64(st, 0),
	    "name", col_text(st, 1), "script", col_text(st, 2),
	    "cron", col_text(st, 3), "tz", col_text(st, 4),
	    "calendar", col_text(st, 5),
	    "closures", json_loads(col_text(st, 6), 0, NULL),
	    "misfire", col_text(st, 7), "overlap", col_text(st, 8),
	    "params", json_loads(col_text(st, 9), 0, NULL),
	    "priority", (json_int_t)sqlite3_column_int64(st, 10),
	    "enabled", sqlite3_column_int(st, 11),
	    "max_attempts", (json_int_t)sqlite3_column_int64(st, 12),
	    "timeout_ms", (json_int_t)sqlite3_column_int64(st, 13),
	    "next_fire", tfmt_col(tf, st, 14),
	    "last_fire", tfmt_col(tf, st, 15),
	    "last_job_id", sqlite3_column_type(st, 16) == SQLITE_NULL ?
	    json_null() : json_integer(sqlite3_column_int64(st, 16)),
	    "source", col_text(st, 17));

	if (o != NULL) {
		json_object_set_new(o, "department",
		    json_string(col_text(st, 18)));
		json_object_set_new(o, "digest", sqlite3_column_type(st, 19) ==
		    SQLITE_NULL ? json_null() : json_string(col_text(st, 19)));
	}
	return o ? o : json_object();
}

json_t *
sched_list(struct conn *c, const struct tfmt *tf)
{
	json_t *a = json_array();
	sqlite3_stmt *st = conn_stmt(c, "SELECT " SCHED_COLS " FROM schedules"
	    " ORDER BY name");

	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, sched_json(st, tf));
	sqlite3_reset(st);
	return json_pack("{s:o}", "schedules", a);
}

json_t *
sched_get(struct conn *c, const struct tfmt *tf, const char *name)
{
	json_t *o = NULL;
	sqlite3_stmt *st = conn_stmt(c, "SELECT " SCHED_COLS " FROM schedules"
	    " WHERE name = ?");

	bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = sched_json(st, tf);
	sqlite3_reset(st);
	return o;
}

/* One due schedule, as read from the database. */
struct due {
	int64_t		 id;
	char		*name, *script, *cron, *tz, *calendar;
	char		*department;	/* or NULL */
	char		*digest;	/* the version pinned, or NULL */
	json_t		*closures, *params;
	enum misfire	 misfire;
	enum overlap	 overlap;
	int		 priority, max_attempts;
	int64_t		 timeout_ms, next_fire, last_job_id;
};

static void
due_free(struct due *d)
{
	free(d->name);
	free(d->script);
	free(d->cron);
	free(d->tz);
	free(d->calendar);
	free(d->department);
	free(d->digest);
	json_decref(d->closures);
	json_decref(d->params);
}

/* Whether job id is still live (not final). */
static int
job_live(struct conn *c, int64_t id)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT state FROM jobs WHERE id = ?");
	enum job_state s;
	int live = 0;

	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    job_state_parse(col_text(st, 0), &s) == 0)
		live = !job_state_final(s);
	sqlite3_reset(st);
	return live;
}

/* Queue the job of a firing schedule; its id in *id (0 when skipped). */
static int
fire(struct conn *c, struct scripts *sc, const struct job_defaults *jd,
    struct due *d, int64_t now, int64_t *id, char *err, size_t errlen)
{
	const struct script *scr;
	struct job_spec js;
	enum job_state s;
	json_t *params, *req;
	char digest[65], *by, msg[256];
	int created, rc;
	size_t i;

	*id = 0;
	if (d->last_job_id > 0 && job_live(c, d->last_job_id)) {
		if (d->overlap == OVERLAP_FORBID) {
			fprintf(stderr, "kobito-scheduler: schedule '%s': "
			    "skipped, job %lld is still running (overlap: "
			    "forbid)\n", d->name, (long long)d->last_job_id);
			return 0;
		}
		if (d->overlap == OVERLAP_REPLACE) {
			snprintf(msg, sizeof msg, "replaced by the next fire "
			    "of schedule '%s'", d->name);
			rc = jobs_cancel(c, d->last_job_id, msg, now, &s, err,
			    errlen);
			if (rc != JOBS_OK && rc != JOBS_CONFLICT)
				return -1;
		}
	}
	if (d->digest != NULL)
		snprintf(digest, sizeof digest, "%s", d->digest);
	if ((d->digest == NULL && scripts_current(c, d->script, digest) != 0) ||
	    (scr = scripts_get(sc, c, digest)) == NULL) {
		fprintf(stderr, "kobito-scheduler: schedule '%s': no script "
		    "'%s'; not fired\n", d->name, d->script);
		return 0;
	}
	if ((params = scripts_params(scr, d->params, msg, sizeof msg)) ==
	    NULL) {
		fprintf(stderr, "kobito-scheduler: schedule '%s': %s; not "
		    "fired\n", d->name, msg);
		return 0;
	}
	req = json_array();
	for (i = 0; i < scr->nrequires; i++)
		json_array_append_new(req, json_string(scr->requires[i]));
	by = xasprintf("schedule:%s", d->name);
	memset(&js, 0, sizeof js);
	js.script = d->script;
	js.digest = digest;
	js.params = params;
	js.requires = req;
	js.priority = d->priority;
	js.max_attempts = d->max_attempts > 0 ? d->max_attempts :
	    jd->max_attempts;
	js.backoff_ms = jd->backoff_ms;
	js.backoff_max_ms = jd->backoff_max_ms;
	js.timeout_ms = d->timeout_ms > 0 ? d->timeout_ms : jd->timeout_ms;
	js.triggered_by = by;
	js.schedule = d->name;
	js.department = d->department;
	rc = jobs_create(c, &js, now, id, &created, err, errlen);
	free(by);
	json_decref(params);
	json_decref(req);
	return rc == JOBS_OK ? 0 : -1;
}

int
sched_tick(struct sched *s, struct conn *c, struct scripts *sc,
    const struct job_defaults *jd, int64_t now, int *queued, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	struct due *dues = NULL, *d;
	size_t n = 0, i;
	int64_t next, job;
	int rc = 0, mi, ov;

	*queued = 0;
	st = conn_stmt(c, "SELECT id, name, script, cron, tz, calendar,"
	    " closures, misfire, overlap, params, priority, max_attempts,"
	    " timeout_ms, next_fire, coalesce(last_job_id, 0), department,"
	    " digest FROM schedules WHERE enabled AND next_fire <= ?");
	sqlite3_bind_int64(st, 1, now);
	while (sqlite3_step(st) == SQLITE_ROW) {
		dues = xreallocarray(dues, n + 1, sizeof *dues);
		d = &dues[n++];
		memset(d, 0, sizeof *d);
		d->id = sqlite3_column_int64(st, 0);
		d->name = col_strdup(st, 1);
		d->script = col_strdup(st, 2);
		d->cron = col_strdup(st, 3);
		d->tz = col_strdup(st, 4);
		d->calendar = col_strdup(st, 5);
		d->closures = json_loads(col_text(st, 6), 0, NULL);
		mi = name_index(misfire_names, 2, col_text(st, 7));
		ov = name_index(overlap_names, 3, col_text(st, 8));
		d->misfire = mi < 0 ? MISFIRE_SKIP : (enum misfire)mi;
		d->overlap = ov < 0 ? OVERLAP_ALLOW : (enum overlap)ov;
		d->params = json_loads(col_text(st, 9), 0, NULL);
		d->priority = sqlite3_column_int(st, 10);
		d->max_attempts = sqlite3_column_int(st, 11);
		d->timeout_ms = sqlite3_column_int64(st, 12);
		d->next_fire = sqlite3_column_int64(st, 13);
		d->last_job_id = sqlite3_column_int64(st, 14);
		d->department = col_strdup(st, 15);
		d->digest = col_strdup(st, 16);
	}
	sqlite3_reset(st);
	for (i = 0; i < n && rc == 0; i++) {
		d = &dues[i];
		job = 0;
		if (sched_should_fire(d->next_fire, now, d->misfire)) {
			if (fire(c, sc, jd, d, now, &job, err, errlen) != 0) {
				rc = -1;
				break;
			}
			if (job > 0)
				(*queued)++;
		} else {
			fprintf(stderr, "kobito-scheduler: schedule '%s': "
			    "missed fire time skipped (misfire: skip)\n",
			    d->name);
		}
		if (sched_next(s, d->cron, d->tz, d->calendar, d->closures,
		    now, &next, err, errlen) != 0)
			next = 0;	/* never again: disabled below */
		st = conn_stmt(c, "UPDATE schedules SET next_fire = ?2,"
		    " enabled = enabled AND ?2 IS NOT NULL,"
		    " last_fire = CASE WHEN ?3 > 0 THEN ?4 ELSE last_fire END,"
		    " last_job_id = CASE WHEN ?3 > 0 THEN ?3 ELSE last_job_id"
		    " END WHERE id = ?1");
		sqlite3_bind_int64(st, 1, d->id);
		if (next > 0)
			sqlite3_bind_int64(st, 2, next);
		else
			sqlite3_bind_null(st, 2);
		sqlite3_bind_int64(st, 3, job);
		sqlite3_bind_int64(st, 4, now);
		if (conn_step(c, st, err, errlen) != 0)
			rc = -1;
	}
	for (i = 0; i < n; i++)
		due_free(&dues[i]);
	free(dues);
	return rc;
}

int64_t
sched_next_due(struct conn *c)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT min(next_fire) FROM schedules"
	    " WHERE enabled");
	int64_t t = 0;

	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		t = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return t;
}
