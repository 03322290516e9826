/*
 * triggers.c - queue triggers and file triggers (see triggers.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "queues.h"
#include "triggers.h"
#include "xmalloc.h"

int
triggers_start(struct conn *c, struct scripts *sc,
    const struct trigger_start *ts, int64_t now, int64_t *id, int *created,
    char *err, size_t errlen)
{
	const struct script *scr;
	struct job_spec js;
	json_t *params, *req;
	char digest[65];
	size_t i;
	int rc;

	*id = 0;
	*created = 0;
	if (scripts_current(c, ts->script, digest) != 0 ||
	    (scr = scripts_get(sc, c, digest)) == NULL) {
		snprintf(err, errlen, "no script named '%s'", ts->script);
		return -1;
	}
	if ((params = scripts_params(scr, ts->params, err, errlen)) == NULL)
		return -1;
	req = json_array();
	for (i = 0; i < scr->nrequires; i++)
		json_array_append_new(req, json_string(scr->requires[i]));
	memset(&js, 0, sizeof js);
	js.script = ts->script;
	js.digest = digest;
	js.params = params;
	js.requires = req;
	js.max_attempts = ts->jd->max_attempts;
	js.backoff_ms = ts->jd->backoff_ms;
	js.backoff_max_ms = ts->jd->backoff_max_ms;
	js.timeout_ms = ts->jd->timeout_ms;
	js.triggered_by = ts->by;
	js.idempotency_key = ts->idempotency_key;
	js.department = scr->owner;
	rc = jobs_create(c, &js, now, id, created, err, errlen);
	json_decref(params);
	json_decref(req);
	return rc == JOBS_OK ? 0 : -1;
}

int
triggers_queue_tick(struct conn *c, struct scripts *sc,
    const struct job_defaults *jd, int64_t qid, int64_t now, int *started)
{
	struct trigger_start ts;
	json_t *due = json_array(), *d;
	char err[256], *by;
	int64_t id, n, k;
	size_t i;
	int created;

	*started = 0;
	queues_trigger_due(c, qid, now, due);
	json_array_foreach(due, i, d) {
		by = xasprintf("queue:%s", json_string_value(json_object_get(d,
		    "queue")));
		memset(&ts, 0, sizeof ts);
		ts.script = json_string_value(json_object_get(d, "script"));
		ts.params = json_object_get(d, "params");
		ts.by = by;
		ts.jd = jd;
		n = json_integer_value(json_object_get(d, "start"));
		for (k = 0; k < n; k++) {
			if (triggers_start(c, sc, &ts, now, &id, &created, err,
			    sizeof err) != 0) {
				fprintf(stderr, "kobito-scheduler: queue trigger "
				    "'%s': %s; not started\n", by + 6, err);
				break;
			}
			(*started)++;
		}
		free(by);
	}
	json_decref(due);
	return 0;
}

/* --- file triggers -------------------------------------------------------- */

static int
name_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > 64 || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int
triggers_file_put(struct conn *c, struct scripts *sc,
    const struct file_trigger *ft, int64_t now, int *created, char *err,
    size_t errlen)
{
	const struct script *scr;
	sqlite3_stmt *st;
	json_t *params;
	char digest[65];

	*created = 0;
	if (!name_ok(ft->name)) {
		snprintf(err, errlen, "name: expected a letter and up to 63 of "
		    "a-z 0-9 _ -");
		return -1;
	}
	if (ft->agent == NULL || *ft->agent == '\0') {
		snprintf(err, errlen, "agent: required (the agent that watches "
		    "the folder)");
		return -1;
	}
	if (ft->folder == NULL || ft->folder[0] != '/' ||
	    strlen(ft->folder) > 1024) {
		snprintf(err, errlen, "folder: expected an absolute path on "
		    "the agent");
		return -1;
	}
	if (ft->settle_ms < 100 || ft->settle_ms > 3600000) {
		snprintf(err, errlen, "settle_ms: expected 100-3600000");
		return -1;
	}
	if (ft->script == NULL || scripts_current(c, ft->script, digest) != 0 ||
	    (scr = scripts_get(sc, c, digest)) == NULL) {
		snprintf(err, errlen, "script: no script named '%s'",
		    ft->script ? ft->script : "");
		return -1;
	}
	if ((params = scripts_params(scr, ft->params, err, errlen)) == NULL)
		return -1;
	json_decref(params);
	st = conn_stmt(c, "SELECT 1 FROM file_triggers WHERE name = ?");
	bind_text(st, 1, ft->name);
	*created = sqlite3_step(st) != SQLITE_ROW;
	sqlite3_reset(st);
	st = conn_stmt(c, "INSERT INTO file_triggers (name, agent, folder,"
	    " pattern, settle_ms, script, params, enabled, created_at,"
	    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"
	    " ON CONFLICT (name) DO UPDATE SET agent = ?2, folder = ?3,"
	    " pattern = ?4, settle_ms = ?5, script = ?6, params = ?7,"
	    " enabled = ?8, updated_at = ?9");
	bind_text(st, 1, ft->name);
	bind_text(st, 2, ft->agent);
	bind_text(st, 3, ft->folder);
	bind_text(st, 4, ft->pattern);
	sqlite3_bind_int64(st, 5, ft->settle_ms);
	bind_text(st, 6, ft->script);
	sqlite3_bind_text(st, 7, ft->params ? json_dumps(ft->params,
	    JSON_COMPACT) : xstrdup("{}"), -1, free);
	sqlite3_bind_int(st, 8, ft->enabled);
	sqlite3_bind_int64(st, 9, now);
	return conn_step(c, st, err, errlen);
}

int
triggers_file_delete(struct conn *c, const char *name)
{
	sqlite3_stmt *st = conn_stmt(c, "DELETE FROM file_triggers"
	    " WHERE name = ?");

	bind_text(st, 1, name);
	if (conn_step(c, st, NULL, 0) != 0)
		return -1;
	return conn_changes(c) == 1 ? 0 : -1;
}

/* A JSON column that holds an object. */
static json_t *
params_of(sqlite3_stmt *st, int col)
{
	json_t *v = json_loads(col_text(st, col), 0, NULL);

	return v ? v : json_object();
}

json_t *
triggers_file_list(struct conn *c, const struct tfmt *tf)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT f.name, f.agent, f.folder,"
	    " f.pattern, f.settle_ms, f.script, f.params, f.enabled,"
	    " f.last_job_id, f.last_fired_at, f.updated_at,"
	    " coalesce(v.owner, '') FROM file_triggers f LEFT JOIN scripts s"
	    " ON s.name = f.script LEFT JOIN script_versions v"
	    " ON v.digest = s.digest ORDER BY f.name");
	json_t *a = json_array();

	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s?, s:I,"
		    " s:s, s:o, s:b, s:o, s:o, s:o, s:s}",
		    "name", col_text(st, 0), "agent", col_text(st, 1),
		    "folder", col_text(st, 2),
		    "pattern", sqlite3_column_type(st, 3) == SQLITE_NULL ?
		    NULL : col_text(st, 3),
		    "settle_ms", (json_int_t)sqlite3_column_int64(st, 4),
		    "script", col_text(st, 5),
		    "params", params_of(st, 6),
		    "enabled", sqlite3_column_int(st, 7),
		    "last_job_id", sqlite3_column_type(st, 8) == SQLITE_NULL ?
		    json_null() : json_integer(sqlite3_column_int64(st, 8)),
		    "last_fired_at", tfmt_col(tf, st, 9),
		    "updated_at", tfmt_col(tf, st, 10),
		    "script_owner", col_text(st, 11)));
	sqlite3_reset(st);
	return json_pack("{s:o}", "file_triggers", a);
}

json_t *
triggers_watches(struct conn *c, const char *agent)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT name, folder, pattern,"
	    " settle_ms FROM file_triggers WHERE agent = ? AND enabled"
	    " ORDER BY name");
	json_t *a = json_array();

	bind_text(st, 1, agent);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s?, s:I}",
		    "name", col_text(st, 0), "folder", col_text(st, 1),
		    "pattern", sqlite3_column_type(st, 2) == SQLITE_NULL ?
		    NULL : col_text(st, 2),
		    "settle_ms", (json_int_t)sqlite3_column_int64(st, 3)));
	sqlite3_reset(st);
	return json_pack("{s:o}", "watches", a);
}

/*
 * The idempotency key of a set of files: the SHA-256 of their names,
 * sizes and times in the order given (the agent sorts them by name), so
 * a set reported twice (the agent restarted) starts one job.
 */
static int
files_key(const char *name, json_t *files, char *out, size_t outlen,
    char *err, size_t errlen)
{
	crypto_hash_sha256_state h;
	unsigned char d[crypto_hash_sha256_BYTES];
	char line[1200], hex[2 * crypto_hash_sha256_BYTES + 1];
	const char *fn;
	json_t *f;
	size_t i;

	if (!json_is_array(files) || json_array_size(files) == 0 ||
	    json_array_size(files) > 10000) {
		snprintf(err, errlen, "files: expected a list of 1-10000 "
		    "{name, size, mtime_ms}");
		return -1;
	}
	crypto_hash_sha256_init(&h);
	json_array_foreach(files, i, f) {
		fn = json_string_value(json_object_get(f, "name"));
		if (fn == NULL || strlen(fn) > 1024 ||
		    !json_is_integer(json_object_get(f, "size")) ||
		    !json_is_integer(json_object_get(f, "mtime_ms"))) {
			snprintf(err, errlen, "files[%zu]: expected {name, size, "
			    "mtime_ms}", i);
			return -1;
		}
		snprintf(line, sizeof line, "%s\t%lld\t%lld\n", fn,
		    (long long)json_integer_value(json_object_get(f, "size")),
		    (long long)json_integer_value(json_object_get(f,
		    "mtime_ms")));
		crypto_hash_sha256_update(&h, (const unsigned char *)line,
		    strlen(line));
	}
	crypto_hash_sha256_final(&h, d);
	sodium_bin2hex(hex, sizeof hex, d, sizeof d);
	snprintf(out, outlen, "files:%s:%.32s", name, hex);
	return 0;
}

int
triggers_file_fire(struct conn *c, struct scripts *sc,
    const struct job_defaults *jd, const char *name, const char *agent,
    json_t *files, int64_t now, int64_t *id, int *created, int *busy,
    char *err, size_t errlen)
{
	struct trigger_start ts;
	sqlite3_stmt *st;
	char key[128], *script = NULL, *by = NULL;
	json_t *params = NULL;
	int64_t last = 0;
	int rc = -1, enabled;

	*id = 0;
	*created = *busy = 0;
	st = conn_stmt(c, "SELECT agent, script, params, enabled, last_job_id"
	    " FROM file_triggers WHERE name = ?");
	bind_text(st, 1, name);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		snprintf(err, errlen, "no file trigger '%s'", name);
		return -1;
	}
	if (strcmp(col_text(st, 0), agent) != 0) {
		snprintf(err, errlen, "file trigger '%s' is watched by agent "
		    "'%s', not '%s'", name, col_text(st, 0), agent);
		sqlite3_reset(st);
		return -1;
	}
	script = col_strdup(st, 1);
	params = json_loads(col_text(st, 2), 0, NULL);
	enabled = sqlite3_column_int(st, 3);
	last = sqlite3_column_int64(st, 4);
	sqlite3_reset(st);
	if (!enabled) {
		snprintf(err, errlen, "file trigger '%s' is disabled", name);
		goto out;
	}
	if (files_key(name, files, key, sizeof key, err, errlen) != 0)
		goto out;
	if (last > 0) {
		st = conn_stmt(c, "SELECT 1 FROM jobs WHERE id = ? AND state IN"
		    " ('queued', 'leased', 'running', 'retrying')");
		sqlite3_bind_int64(st, 1, last);
		*busy = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (*busy) {
			*id = last;
			rc = 0;
			goto out;
		}
	}
	by = xasprintf("files:%s", name);
	memset(&ts, 0, sizeof ts);
	ts.script = script;
	ts.params = params;
	ts.by = by;
	ts.idempotency_key = key;
	ts.jd = jd;
	if ((rc = triggers_start(c, sc, &ts, now, id, created, err,
	    errlen)) != 0)
		goto out;
	st = conn_stmt(c, "UPDATE file_triggers SET last_job_id = ?2,"
	    " last_fired_at = ?3 WHERE name = ?1");
	bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, *id);
	sqlite3_bind_int64(st, 3, now);
	rc = conn_step(c, st, err, errlen);
out:
	free(script);
	free(by);
	json_decref(params);
	return rc;
}
