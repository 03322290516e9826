/*
 * query.c - JSON views of the scheduler's tables for the API (see query.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "jobs.h"
#include "query.h"
#include "xmalloc.h"

int
tfmt_init(struct tfmt *tf, const char *tz, char *err, size_t errlen)
{
	tf->zone = cron_zone_load(tz, err, errlen);
	return tf->zone ? 0 : -1;
}

void
tfmt_free(struct tfmt *tf)
{
	cron_zone_free(tf->zone);
	tf->zone = NULL;
}

char *
tfmt_text(const struct tfmt *tf, int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)t * 1000);
	struct tm tm;
	long off = cron_zone_offset(tf->zone, t);
	long a = off < 0 ? -off : off;

	cron_zone_localtime(tf->zone, t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld:%02ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, frac, off < 0 ? '-' : '+', a / 3600,
	    a / 60 % 60);
	return buf;
}

json_t *
tfmt_json(const struct tfmt *tf, int64_t ms)
{
	char buf[48];

	return json_string(tfmt_text(tf, ms, buf, sizeof buf));
}

const char *
tfmt_zone(const struct tfmt *tf)
{
	return cron_zone_name(tf->zone);
}

char *
tfmt_label(const struct tfmt *tf, char *buf, size_t len)
{
	long off = cron_zone_offset(tf->zone, time(NULL)), a = off < 0 ?
	    -off : off;

	if (strcmp(cron_zone_name(tf->zone), "Asia/Tokyo") == 0)
		snprintf(buf, len, "JST");
	else if (off == 0)
		snprintf(buf, len, "UTC");
	else
		snprintf(buf, len, "UTC%c%02ld:%02ld", off < 0 ? '-' : '+',
		    a / 3600, a / 60 % 60);
	return buf;
}

int
tfmt_parse(const struct tfmt *tf, const char *text, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, s = 0, frac = 0, n = 0, oh, om;
	const char *p;
	struct tm tm;
	char sign;
	time_t t;

	if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	p = text + 10;
	if (*p == 'T' || *p == ' ') {
		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
			return -1;
		p += 6;
		if (*p == ':') {
			if (sscanf(p + 1, "%2d%n", &s, &n) != 1 || n != 2)
				return -1;
			p += 3;
			if (*p == '.') {
				if (sscanf(p + 1, "%3d%n", &frac, &n) != 1 ||
				    n != 3)
					return -1;
				p += 4;
			}
		}
	}
	if (h > 23 || mi > 59 || s > 59)
		return -1;
	if (*p == '\0') {
		if (cron_zone_resolve(tf->zone, y, mo, d, h, mi, s, &t) != 0)
			return -1;
		*ms = (int64_t)t * 1000 + frac;
		return 0;
	}
	/* An offset: the instant is the text's, whatever the zone. */
	if (strcmp(p, "Z") == 0)
		oh = om = 0, sign = '+';
	else if (sscanf(p, "%c%2d:%2d%n", &sign, &oh, &om, &n) != 3 ||
	    n != 6 || (sign != '+' && sign != '-') || oh > 23 || om > 59)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	t = timegm(&tm) - (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	*ms = (int64_t)t * 1000 + frac;
	return 0;
}

json_t *
tfmt_col(const struct tfmt *tf, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	return tfmt_json(tf, sqlite3_column_int64(st, col));
}

static json_t *
col_json(sqlite3_stmt *st, int col)
{
	json_t *v;

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	v = json_loads(col_text(st, col), JSON_DECODE_ANY, NULL);
	return v ? v : json_null();
}

static json_t *
col_str(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	return json_string(col_text(st, col));
}

static json_t *
col_int(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	return json_integer(sqlite3_column_int64(st, col));
}

static int
limit_of(const struct query_filter *f)
{
	if (f == NULL || f->limit <= 0)
		return 100;
	return f->limit > 1000 ? 1000 : f->limit;
}

/* --- jobs ---------------------------------------------------------------- */

#define JOB_COLS "j.id, j.script, j.digest, j.params, j.priority, j.state," \
	" j.attempt, j.max_attempts, j.timeout_ms, j.idempotency_key," \
	" j.requires, j.created_at, j.updated_at, j.not_before," \
	" j.triggered_by, j.schedule, j.parent_job_id, a.name," \
	" j.cancel_requested, j.run_id, j.attempts_used, j.final_at," \
	" j.lease_expires, j.department, j.retry_of"

static json_t *
job_json(sqlite3_stmt *st, const struct tfmt *tf)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", col_int(st, 0));
	json_object_set_new(o, "script", col_str(st, 1));
	json_object_set_new(o, "digest", col_str(st, 2));
	json_object_set_new(o, "params", col_json(st, 3));
	json_object_set_new(o, "priority", col_int(st, 4));
	json_object_set_new(o, "state", col_str(st, 5));
	json_object_set_new(o, "attempt", col_int(st, 6));
	json_object_set_new(o, "max_attempts", col_int(st, 7));
	json_object_set_new(o, "timeout_ms", col_int(st, 8));
	json_object_set_new(o, "idempotency_key", col_str(st, 9));
	json_object_set_new(o, "requires", col_json(st, 10));
	json_object_set_new(o, "created_at", tfmt_col(tf, st, 11));
	json_object_set_new(o, "updated_at", tfmt_col(tf, st, 12));
	json_object_set_new(o, "not_before", tfmt_col(tf, st, 13));
	json_object_set_new(o, "triggered_by", col_str(st, 14));
	json_object_set_new(o, "schedule", col_str(st, 15));
	json_object_set_new(o, "parent_job_id", col_int(st, 16));
	json_object_set_new(o, "agent", col_str(st, 17));
	json_object_set_new(o, "cancel_requested",
	    json_boolean(sqlite3_column_int(st, 18)));
	json_object_set_new(o, "run_id", col_int(st, 19));
	json_object_set_new(o, "attempts_used", col_int(st, 20));
	json_object_set_new(o, "final_at", tfmt_col(tf, st, 21));
	json_object_set_new(o, "lease_expires", tfmt_col(tf, st, 22));
	json_object_set_new(o, "department", col_str(st, 23));
	json_object_set_new(o, "retry_of", col_int(st, 24));
	return o;
}

json_t *
query_jobs(struct conn *c, const struct tfmt *tf, const struct query_filter *f)
{
	json_t *list = json_array(), *states = json_array();
	sqlite3_stmt *st;
	const char *p, *comma;
	int64_t last = 0;
	int n = 0, limit = limit_of(f);

	for (p = f->state; p != NULL && *p != '\0'; p = comma ? comma + 1 :
	    NULL) {
		comma = strchr(p, ',');
		json_array_append_new(states, json_stringn(p, comma ?
		    (size_t)(comma - p) : strlen(p)));
	}
#define JOBS_WHERE \
	" (?1 = '[]' OR j.state IN (SELECT value FROM json_each(?1)))" \
	" AND (?2 IS NULL OR j.script = ?2) AND (?3 = 0 OR j.id < ?3)" \
	" AND (?5 IS NULL OR j.department IN (SELECT value FROM" \
	" json_each(?5)) OR j.triggered_by = ?6)" \
	" AND (?7 = 0 OR j.triggered_by = ?6)" \
	" AND (?8 = 0 OR j.created_at >= ?8)" \
	" AND (?9 = 0 OR j.created_at < ?9)" \
	" AND (?10 IS NULL OR j.department IN (SELECT value FROM" \
	" json_each(?10)))" \
	" AND (?11 IS NULL OR EXISTS (SELECT 1 FROM runs r JOIN agents g" \
	"  ON g.id = r.agent_id WHERE r.job_id = j.id AND g.name = ?11))" \
	" AND (?12 IS NULL OR EXISTS (SELECT 1 FROM runs r" \
	"  WHERE r.job_id = j.id AND instr(r.error, ?12) > 0))" \
	" ORDER BY j.id DESC LIMIT ?4"
	/*
	 * "Mine" says so plainly, so that the person's jobs are read by
	 * jobs_triggered_by instead of every job being looked at.
	 */
	st = conn_stmt(c, f->mine ? "SELECT " JOB_COLS " FROM jobs j"
	    " LEFT JOIN agents a ON a.id = j.lease_agent_id"
	    " WHERE j.triggered_by = ?6 AND" JOBS_WHERE :
	    "SELECT " JOB_COLS " FROM jobs j"
	    " LEFT JOIN agents a ON a.id = j.lease_agent_id WHERE" JOBS_WHERE);
	sqlite3_bind_text(st, 1, json_dumps(states, JSON_COMPACT), -1, free);
	bind_text(st, 2, f->script);
	sqlite3_bind_int64(st, 3, f->before);
	sqlite3_bind_int(st, 4, limit);
	bind_text(st, 5, f->depts);
	bind_text(st, 6, f->me);
	sqlite3_bind_int(st, 7, f->mine);
	sqlite3_bind_int64(st, 8, f->since);
	sqlite3_bind_int64(st, 9, f->until);
	bind_text(st, 10, f->department);
	bind_text(st, 11, f->agent);
	bind_text(st, 12, f->text);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(list, job_json(st, tf));
		last = sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_reset(st);
	json_decref(states);
	return json_pack("{s:o, s:o}", "jobs", list, "next_before",
	    n == limit ? json_integer(last) : json_null());
}

static json_t *
run_json(sqlite3_stmt *st, const struct tfmt *tf)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", col_int(st, 0));
	json_object_set_new(o, "job_id", col_int(st, 1));
	json_object_set_new(o, "attempt", col_int(st, 2));
	json_object_set_new(o, "script", col_str(st, 3));
	json_object_set_new(o, "digest", col_str(st, 4));
	json_object_set_new(o, "agent", col_str(st, 5));
	json_object_set_new(o, "status", col_str(st, 6));
	json_object_set_new(o, "error", col_str(st, 7));
	json_object_set_new(o, "started_at", tfmt_col(tf, st, 8));
	json_object_set_new(o, "finished_at", tfmt_col(tf, st, 9));
	json_object_set_new(o, "duration_ms", col_int(st, 10));
	json_object_set_new(o, "items", json_pack("{s:I, s:I, s:I}",
	    "succeeded", (json_int_t)sqlite3_column_int64(st, 11),
	    "failed", (json_int_t)sqlite3_column_int64(st, 12),
	    "skipped", (json_int_t)sqlite3_column_int64(st, 15)));
	json_object_set_new(o, "minutes_saved",
	    json_real(sqlite3_column_double(st, 13)));
	json_object_set_new(o, "vendor_minutes_saved",
	    json_real(sqlite3_column_double(st, 14)));
	json_object_set_new(o, "department", col_str(st, 16));
	return o;
}

#define RUN_COLS "r.id, r.job_id, r.attempt, r.script, r.digest, a.name," \
	" r.status, r.error, r.started_at, r.finished_at, r.duration_ms," \
	" r.items_succeeded, r.items_failed, r.minutes_saved," \
	" r.vendor_minutes_saved, r.items_skipped, r.department"
/* What a query selects after RUN_COLS starts at this column. */
#define RUN_NCOLS	17

json_t *
query_job(struct conn *c, const struct tfmt *tf, int64_t id)
{
	sqlite3_stmt *st;
	json_t *o = NULL, *tr, *runs;

	st = conn_stmt(c, "SELECT " JOB_COLS " FROM jobs j"
	    " LEFT JOIN agents a ON a.id = j.lease_agent_id WHERE j.id = ?");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = job_json(st, tf);
	sqlite3_reset(st);
	if (o == NULL)
		return NULL;
	tr = json_array();
	st = conn_stmt(c, "SELECT from_state, to_state, at, reason FROM"
	    " job_transitions WHERE job_id = ? ORDER BY id");
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(tr, json_pack("{s:o, s:o, s:o, s:o}",
		    "from", col_str(st, 0), "to", col_str(st, 1),
		    "at", tfmt_col(tf, st, 2), "reason", col_str(st, 3)));
	sqlite3_reset(st);
	json_object_set_new(o, "transitions", tr);
	runs = json_array();
	st = conn_stmt(c, "SELECT " RUN_COLS " FROM runs r LEFT JOIN agents a"
	    " ON a.id = r.agent_id WHERE r.job_id = ? ORDER BY r.id");
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(runs, run_json(st, tf));
	sqlite3_reset(st);
	json_object_set_new(o, "runs", runs);
	return o;
}

json_t *
query_runs(struct conn *c, const struct tfmt *tf, const struct query_filter *f)
{
	json_t *list = json_array();
	sqlite3_stmt *st;
	int64_t last = 0;
	int n = 0, limit = limit_of(f);

	st = conn_stmt(c, "SELECT " RUN_COLS " FROM runs r LEFT JOIN agents a"
	    " ON a.id = r.agent_id WHERE (?1 = 0 OR r.job_id = ?1)"
	    " AND (?2 IS NULL OR r.script = ?2) AND (?3 IS NULL OR"
	    " r.status = ?3) AND (?4 = 0 OR r.id < ?4)"
	    " AND (?6 IS NULL OR r.department IN (SELECT value FROM"
	    " json_each(?6)) OR r.job_id IN (SELECT id FROM jobs"
	    " WHERE triggered_by = ?7))"
	    " AND (?8 = 0 OR r.job_id IN (SELECT id FROM jobs"
	    " WHERE triggered_by = ?7))"
	    " AND (?9 = 0 OR r.started_at >= ?9)"
	    " AND (?10 = 0 OR r.started_at < ?10)"
	    " AND (?11 IS NULL OR r.department IN (SELECT value FROM"
	    " json_each(?11)))"
	    " AND (?12 IS NULL OR a.name = ?12)"
	    " AND (?13 IS NULL OR instr(r.error, ?13) > 0)"
	    " ORDER BY r.id DESC LIMIT ?5");
	sqlite3_bind_int64(st, 1, f->job);
	bind_text(st, 2, f->script);
	bind_text(st, 3, f->status);
	sqlite3_bind_int64(st, 4, f->before);
	sqlite3_bind_int(st, 5, limit);
	bind_text(st, 6, f->depts);
	bind_text(st, 7, f->me);
	sqlite3_bind_int(st, 8, f->mine);
	sqlite3_bind_int64(st, 9, f->since);
	sqlite3_bind_int64(st, 10, f->until);
	bind_text(st, 11, f->department);
	bind_text(st, 12, f->agent);
	bind_text(st, 13, f->text);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(list, run_json(st, tf));
		last = sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_reset(st);
	return json_pack("{s:o, s:o}", "runs", list, "next_before",
	    n == limit ? json_integer(last) : json_null());
}

/* Events of one type for a run, oldest first, each with its seq (row id). */
static json_t *
events_of(struct conn *c, int64_t run_id, const char *type, int64_t after,
    int limit, int64_t *last)
{
	json_t *a = json_array(), *ev;
	sqlite3_stmt *st = conn_stmt(c, "SELECT id, event FROM run_events"
	    " WHERE run_id = ? AND type = ? AND id > ? ORDER BY id LIMIT ?");

	sqlite3_bind_int64(st, 1, run_id);
	bind_text(st, 2, type);
	sqlite3_bind_int64(st, 3, after);
	sqlite3_bind_int(st, 4, limit);
	if (last)
		*last = after;
	while (sqlite3_step(st) == SQLITE_ROW) {
		ev = json_loads(col_text(st, 1), 0, NULL);
		if (ev == NULL)
			continue;
		json_object_set_new(ev, "seq", col_int(st, 0));
		if (last)
			*last = sqlite3_column_int64(st, 0);
		json_array_append_new(a, ev);
	}
	sqlite3_reset(st);
	return a;
}

/* Steps: step_start and step_end events in order. */
static json_t *
steps_of(struct conn *c, int64_t run_id)
{
	json_t *a = json_array(), *ev;
	sqlite3_stmt *st = conn_stmt(c, "SELECT id, event FROM run_events"
	    " WHERE run_id = ? AND type IN ('step_start', 'step_end')"
	    " ORDER BY id LIMIT 10000");

	sqlite3_bind_int64(st, 1, run_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if ((ev = json_loads(col_text(st, 1), 0, NULL)) == NULL)
			continue;
		json_object_set_new(ev, "seq", col_int(st, 0));
		json_array_append_new(a, ev);
	}
	sqlite3_reset(st);
	return a;
}

json_t *
query_run(struct conn *c, const struct tfmt *tf, int64_t id)
{
	sqlite3_stmt *st;
	json_t *o = NULL, *arts;

	st = conn_stmt(c, "SELECT " RUN_COLS ", r.summary FROM runs r"
	    " LEFT JOIN agents a ON a.id = r.agent_id WHERE r.id = ?");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		o = run_json(st, tf);
		json_object_set_new(o, "summary", col_json(st, RUN_NCOLS));
	}
	sqlite3_reset(st);
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "steps", steps_of(c, id));
	json_object_set_new(o, "item_events", events_of(c, id, "item_end", 0,
	    10000, NULL));
	json_object_set_new(o, "logs", events_of(c, id, "log", 0, 1000, NULL));
	arts = json_array();
	st = conn_stmt(c, "SELECT name, size, content_type, sha256 FROM"
	    " artifacts WHERE run_id = ? ORDER BY name");
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *url = xasprintf("/api/runs/%lld/artifacts/%s",
		    (long long)id, col_text(st, 0));

		json_array_append_new(arts, json_pack("{s:s, s:I, s:s, s:s,"
		    " s:s}", "name", col_text(st, 0),
		    "size", (json_int_t)sqlite3_column_int64(st, 1),
		    "content_type", col_text(st, 2), "sha256", col_text(st, 3),
		    "url", url));
		free(url);
	}
	sqlite3_reset(st);
	json_object_set_new(o, "artifacts", arts);
	return o;
}

json_t *
query_logs(struct conn *c, const struct tfmt *tf, int64_t run_id,
    const struct query_filter *f)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT 1 FROM runs WHERE id = ?");
	json_t *logs;
	int64_t last;
	int found;

	(void)tf;
	sqlite3_bind_int64(st, 1, run_id);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!found)
		return NULL;
	logs = events_of(c, run_id, "log", f->after, limit_of(f), &last);
	return json_pack("{s:o, s:I}", "logs", logs, "next_after",
	    (json_int_t)last);
}

json_t *
query_run_events(struct conn *c, const struct tfmt *tf, int64_t id,
    const struct query_filter *f)
{
	sqlite3_stmt *st;
	json_t *run = NULL, *job = NULL, *list, *ev;
	int64_t last = f->after;
	int limit = f->limit > 0 ? f->limit : 1000;

	st = conn_stmt(c, "SELECT " RUN_COLS ", j.state, j.cancel_requested"
	    " FROM runs r LEFT JOIN agents a ON a.id = r.agent_id"
	    " JOIN jobs j ON j.id = r.job_id WHERE r.id = ?");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		run = run_json(st, tf);
		job = json_pack("{s:I, s:s, s:b}", "id",
		    (json_int_t)sqlite3_column_int64(st, 1), "state",
		    col_text(st, RUN_NCOLS), "cancel_requested",
		    sqlite3_column_int(st, RUN_NCOLS + 1));
	}
	sqlite3_reset(st);
	if (run == NULL)
		return NULL;
	list = json_array();
	st = conn_stmt(c, "SELECT id, event FROM run_events WHERE run_id = ?"
	    " AND id > ? ORDER BY id LIMIT ?");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, f->after);
	sqlite3_bind_int(st, 3, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		last = sqlite3_column_int64(st, 0);
		if ((ev = json_loads(col_text(st, 1), 0, NULL)) == NULL)
			continue;
		json_object_set_new(ev, "seq", json_integer(last));
		json_array_append_new(list, ev);
	}
	sqlite3_reset(st);
	return json_pack("{s:o, s:I, s:o, s:o}", "events", list, "next_after",
	    (json_int_t)last, "run", run, "job", job);
}

json_t *
query_agents(struct conn *c, const struct tfmt *tf, int64_t now,
    int64_t online_ms)
{
	json_t *list = json_array(), *o, *jobs;
	sqlite3_stmt *st, *js;

	st = conn_stmt(c, "SELECT id, name, labels, slots, version, last_seen,"
	    " registered_at, remote FROM agents ORDER BY name");
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t seen = sqlite3_column_int64(st, 5);

		o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o}",
		    "id", col_int(st, 0), "name", col_str(st, 1),
		    "labels", col_json(st, 2), "slots", col_int(st, 3),
		    "version", col_str(st, 4),
		    "online", sqlite3_column_type(st, 5) != SQLITE_NULL &&
		    now - seen <= online_ms,
		    "last_seen", tfmt_col(tf, st, 5),
		    "registered_at", tfmt_col(tf, st, 6),
		    "remote", col_str(st, 7));
		jobs = json_array();
		js = conn_stmt(c, "SELECT id FROM jobs WHERE lease_agent_id = ?"
		    " AND state IN ('leased', 'running') ORDER BY id");
		sqlite3_bind_int64(js, 1, sqlite3_column_int64(st, 0));
		while (sqlite3_step(js) == SQLITE_ROW)
			json_array_append_new(jobs, col_int(js, 0));
		sqlite3_reset(js);
		json_object_set_new(o, "jobs", jobs);
		json_array_append_new(list, o);
	}
	sqlite3_reset(st);
	return json_pack("{s:o}", "agents", list);
}

json_t *
query_tokens(struct conn *c, const struct tfmt *tf)
{
	json_t *list = json_array();
	sqlite3_stmt *st = conn_stmt(c, "SELECT id, name, kind, role,"
	    " created_at, last_used, revoked_at, created_by FROM tokens"
	    " ORDER BY id");

	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:o,"
		    " s:o, s:o, s:b, s:o, s:o}", "id", col_int(st, 0),
		    "name", col_str(st, 1), "kind", col_str(st, 2),
		    "role", col_str(st, 3), "created_at", tfmt_col(tf, st, 4),
		    "last_used", tfmt_col(tf, st, 5),
		    "revoked", sqlite3_column_type(st, 6) != SQLITE_NULL,
		    "revoked_at", tfmt_col(tf, st, 6),
		    "created_by", col_str(st, 7)));
	sqlite3_reset(st);
	return json_pack("{s:o}", "tokens", list);
}

json_t *
query_audit(struct conn *c, const struct tfmt *tf,
    const struct query_filter *f)
{
	json_t *list = json_array();
	sqlite3_stmt *st;
	int64_t last = 0;
	int n = 0, limit = limit_of(f);

	st = conn_stmt(c, "SELECT id, at, actor, token_id, role, method, path,"
	    " status, remote, detail FROM audit WHERE (?1 IS NULL OR"
	    " actor = ?1) AND (?2 = 0 OR id < ?2)"
	    " AND (?4 = 0 OR at >= ?4) AND (?5 = 0 OR at < ?5)"
	    " AND (?6 IS NULL OR instr(path, ?6) > 0 OR instr(detail, ?6) > 0)"
	    " ORDER BY id DESC LIMIT ?3");
	bind_text(st, 1, f->actor);
	sqlite3_bind_int64(st, 2, f->before);
	sqlite3_bind_int(st, 3, limit);
	sqlite3_bind_int64(st, 4, f->since);
	sqlite3_bind_int64(st, 5, f->until);
	bind_text(st, 6, f->text);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:o,"
		    " s:o, s:o, s:o, s:o, s:o, s:o}", "id", col_int(st, 0),
		    "at", tfmt_col(tf, st, 1), "actor", col_str(st, 2),
		    "token_id", col_int(st, 3), "role", col_str(st, 4),
		    "method", col_str(st, 5), "path", col_str(st, 6),
		    "status", col_int(st, 7), "remote", col_str(st, 8),
		    "detail", col_json(st, 9)));
		last = sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_reset(st);
	return json_pack("{s:o, s:o}", "audit", list, "next_before",
	    n == limit ? json_integer(last) : json_null());
}

json_t *
query_job_counts(struct conn *c, int finals)
{
	json_t *o = json_object();
	sqlite3_stmt *st;
	int i;

	/*
	 * Live states through the partial indexes (a handful of rows);
	 * final states, which grow with every job kept, only when asked.
	 */
	for (i = 0; i < JOB_NSTATES; i++) {
		if (job_state_final((enum job_state)i) && !finals)
			continue;
		st = conn_stmt(c, "SELECT count(*) FROM jobs WHERE state = ?");
		sqlite3_bind_text(st, 1, job_state_name((enum job_state)i), -1,
		    SQLITE_STATIC);
		json_object_set_new(o, job_state_name((enum job_state)i),
		    json_integer(sqlite3_step(st) == SQLITE_ROW ?
		    sqlite3_column_int64(st, 0) : 0));
		sqlite3_reset(st);
	}
	return o;
}
