/*
 * jobs.c - the job state machine (see jobs.h): every change of a job's
 * state goes through set_state() or, where one statement changes more,
 * check_move() and transition(), which check the move against the table
 * and record it, so no code path can move a job in a way the table
 * forbids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "engine.h"
#include "jobs.h"
#include "kpi.h"
#include "textutil.h"
#include "xmalloc.h"

static const char *const state_names[JOB_NSTATES] = {
	[JOB_QUEUED] = "queued",
	[JOB_LEASED] = "leased",
	[JOB_RUNNING] = "running",
	[JOB_SUCCEEDED] = "succeeded",
	[JOB_FAILED] = "failed",
	[JOB_RETRYING] = "retrying",
	[JOB_CANCELLED] = "cancelled",
	[JOB_TIMED_OUT] = "timed_out",
};

#define B(s)	(1u << (s))
/* allowed[from] is the set of states a job may move to from "from". */
static const unsigned allowed[JOB_NSTATES] = {
	[JOB_QUEUED] = B(JOB_LEASED) | B(JOB_CANCELLED),
	[JOB_LEASED] = B(JOB_RUNNING) | B(JOB_SUCCEEDED) | B(JOB_FAILED) |
	    B(JOB_RETRYING) | B(JOB_QUEUED) | B(JOB_CANCELLED) |
	    B(JOB_TIMED_OUT),
	[JOB_RUNNING] = B(JOB_SUCCEEDED) | B(JOB_FAILED) | B(JOB_RETRYING) |
	    B(JOB_QUEUED) | B(JOB_CANCELLED) | B(JOB_TIMED_OUT),
	[JOB_RETRYING] = B(JOB_LEASED) | B(JOB_CANCELLED),
};

const char *
job_state_name(enum job_state s)
{
	return (unsigned)s < JOB_NSTATES ? state_names[s] : "unknown";
}

int
job_state_parse(const char *name, enum job_state *s)
{
	int i;

	for (i = 0; i < JOB_NSTATES; i++)
		if (strcmp(name, state_names[i]) == 0) {
			*s = (enum job_state)i;
			return 0;
		}
	return -1;
}

int
job_state_final(enum job_state s)
{
	return s == JOB_SUCCEEDED || s == JOB_FAILED || s == JOB_CANCELLED ||
	    s == JOB_TIMED_OUT;
}

int64_t
jobs_backoff(int64_t base_ms, int64_t max_ms, int failures)
{
	int64_t d = base_ms;
	int i;

	if (base_ms <= 0)
		return 0;
	for (i = 1; i < failures; i++) {
		if (d >= max_ms / 2) {
			d = max_ms;
			break;
		}
		d *= 2;
	}
	return d > max_ms ? max_ms : d;
}

int
jobs_labels_match(json_t *requires, json_t *labels)
{
	size_t i, j;
	json_t *r, *l;
	int found;

	json_array_foreach(requires, i, r) {
		found = 0;
		json_array_foreach(labels, j, l)
			if (json_equal(r, l)) {
				found = 1;
				break;
			}
		if (!found)
			return 0;
	}
	return 1;
}

static int
db_fail(struct conn *c, char *err, size_t errlen)
{
	snprintf(err, errlen, "database: %s", sqlite3_errmsg(c->db));
	return JOBS_ERROR;
}

/* A move the table does not allow is a program error: abort. */
static void
check_move(int64_t id, enum job_state from, enum job_state to)
{
	if (from != to && !(allowed[from] & B(to))) {
		fprintf(stderr, "kobito-scheduler: job %lld: transition %s -> "
		    "%s is not allowed\n", (long long)id, job_state_name(from),
		    job_state_name(to));
		abort();
	}
}

/* Record the move of job id from "from" to "to". */
static int
transition(struct conn *c, int64_t id, enum job_state from, enum job_state to,
    const char *reason, int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	check_move(id, from, to);
	st = conn_stmt(c, "INSERT INTO job_transitions (job_id, from_state,"
	    " to_state, at, reason) VALUES (?, ?, ?, ?, ?)");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, state_names[from], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, state_names[to], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	bind_text(st, 5, reason);
	return conn_step(c, st, err, errlen) == 0 ? JOBS_OK : JOBS_ERROR;
}

/*
 * Move job id from "from" to "to" and record why.  A job that leaves the
 * leased and running states loses its lease (token, agent, expiry,
 * deadline) in the same statement, so a stale token can never match.
 */
static int
set_state(struct conn *c, int64_t id, enum job_state from, enum job_state to,
    const char *reason, int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int live = to == JOB_LEASED || to == JOB_RUNNING;

	check_move(id, from, to);
	st = conn_stmt(c, "UPDATE jobs SET state = ?2, updated_at = ?3,"
	    " final_at = CASE WHEN ?4 THEN ?3 ELSE NULL END,"
	    " lease_token = CASE WHEN ?5 THEN lease_token END,"
	    " lease_agent_id = CASE WHEN ?5 THEN lease_agent_id END,"
	    " lease_expires = CASE WHEN ?5 THEN lease_expires END,"
	    " deadline = CASE WHEN ?5 THEN deadline END WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, state_names[to], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int(st, 4, job_state_final(to));
	sqlite3_bind_int(st, 5, live);
	if (conn_step(c, st, err, errlen) != 0)
		return JOBS_ERROR;
	/* No retry follows: the exceptions a failed attempt deferred are
	 * a person's now. */
	if (job_state_final(to) && to != JOB_SUCCEEDED &&
	    kpi_charge_deferred(c, id) != 0) {
		snprintf(err, errlen, "job %lld: charging its exception "
		    "minutes: %s", (long long)id, sqlite3_errmsg(c->db));
		return JOBS_ERROR;
	}
	return transition(c, id, from, to, reason, now, err, errlen);
}

/* Record a transition row for a job created in state "to". */
static int
record_new(struct conn *c, int64_t id, enum job_state to, const char *reason,
    int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "INSERT INTO job_transitions (job_id,"
	    " from_state, to_state, at, reason) VALUES (?, NULL, ?, ?, ?)");

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, state_names[to], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	bind_text(st, 4, reason);
	return conn_step(c, st, err, errlen) == 0 ? JOBS_OK : JOBS_ERROR;
}

static char *
dump(json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/*
 * The job js's idempotency key was first used for: JOBS_OK with *id when
 * js asks for the same (a client sending its request again), JOBS_CONFLICT
 * when it asks for something else under the key, JOBS_NONE for a new key.
 */
static int
idem_job(struct conn *c, const struct job_spec *js, int64_t *id, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT id, params, priority,"
	    " max_attempts, backoff_ms, timeout_ms, coalesce(parent_job_id, 0)"
	    " FROM jobs WHERE script = ? AND idempotency_key = ?");
	const char *differs = NULL;
	json_t *params, *given;
	int rc;

	bind_text(st, 1, js->script);
	bind_text(st, 2, js->idempotency_key);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? JOBS_NONE : db_fail(c, err, errlen);
	}
	*id = sqlite3_column_int64(st, 0);
	params = json_loads(col_text(st, 1), 0, NULL);
	given = js->params ? json_incref(js->params) : json_object();
	if (!json_equal(params, given))
		differs = "params";
	else if (sqlite3_column_int(st, 2) != js->priority)
		differs = "priority";
	else if (sqlite3_column_int(st, 3) != js->max_attempts)
		differs = "max_attempts";
	else if (sqlite3_column_int64(st, 4) != js->backoff_ms)
		differs = "backoff_ms";
	else if (sqlite3_column_int64(st, 5) != js->timeout_ms)
		differs = "timeout_ms";
	else if (sqlite3_column_int64(st, 6) != js->parent_job_id)
		differs = "parent job";
	sqlite3_reset(st);
	json_decref(params);
	json_decref(given);
	if (differs == NULL)
		return JOBS_OK;
	snprintf(err, errlen, "idempotency_key '%s' was used for job %lld "
	    "with another %s; send the same request again to get job %lld, "
	    "or use a new key", js->idempotency_key, (long long)*id, differs,
	    (long long)*id);
	text_utf8_trim_partial(err);
	return JOBS_CONFLICT;
}

int
jobs_create(struct conn *c, const struct job_spec *js, int64_t now,
    int64_t *id, int *created, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char *params, *req, *reason;
	int rc;

	*created = 0;
	if (js->idempotency_key != NULL &&
	    (rc = idem_job(c, js, id, err, errlen)) != JOBS_NONE)
		return rc;
	if (js->max_attempts < 1 || js->timeout_ms <= 0 ||
	    js->backoff_ms < 0 || js->backoff_max_ms < js->backoff_ms) {
		snprintf(err, errlen, "invalid retry or timeout settings");
		return JOBS_INVALID;
	}
	params = js->params ? dump(js->params) : xstrdup("{}");
	req = js->requires ? dump(js->requires) : xstrdup("[]");
	st = conn_stmt(c, "INSERT INTO jobs (script, digest, params, priority,"
	    " state, requires, max_attempts, backoff_ms, backoff_max_ms,"
	    " timeout_ms, not_before, idempotency_key, triggered_by,"
	    " schedule, parent_job_id, department, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	    " ?12, ?13, ?14, ?15, ?10, ?10)");
	bind_text(st, 1, js->script);
	bind_text(st, 2, js->digest);
	sqlite3_bind_text(st, 3, params, -1, free);
	sqlite3_bind_int(st, 4, js->priority);
	sqlite3_bind_text(st, 5, req, -1, free);
	sqlite3_bind_int(st, 6, js->max_attempts);
	sqlite3_bind_int64(st, 7, js->backoff_ms);
	sqlite3_bind_int64(st, 8, js->backoff_max_ms);
	sqlite3_bind_int64(st, 9, js->timeout_ms);
	sqlite3_bind_int64(st, 10, now);
	bind_text(st, 11, js->idempotency_key);
	bind_text(st, 12, js->triggered_by);
	bind_text(st, 13, js->schedule);
	if (js->parent_job_id > 0)
		sqlite3_bind_int64(st, 14, js->parent_job_id);
	bind_text(st, 15, js->department);
	if (conn_step(c, st, err, errlen) != 0)
		return JOBS_ERROR;
	*id = conn_last_id(c);
	*created = 1;
	reason = xasprintf("triggered by %s", js->triggered_by);
	rc = record_new(c, *id, JOB_QUEUED, reason, now, err, errlen);
	free(reason);
	return rc;
}

void
lease_clear(struct lease *l)
{
	free(l->script);
	free(l->digest);
	json_decref(l->params);
	memset(l, 0, sizeof *l);
}

static void
new_token(char out[JOBS_TOKEN_LEN + 1])
{
	unsigned char rnd[JOBS_TOKEN_LEN / 2];

	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(out, JOBS_TOKEN_LEN + 1, rnd, sizeof rnd);
}

int
jobs_lease(struct conn *c, int64_t agent_id, json_t *labels, int64_t now,
    int64_t ttl_ms, struct lease *out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char *lab, *reason;
	enum job_state from;
	int rc;

	memset(out, 0, sizeof *out);
	lab = labels ? dump(labels) : xstrdup("[]");
	/*
	 * The partial index jobs_ready gives due jobs in priority order, so
	 * the first row that qualifies is the answer; without INDEXED BY the
	 * planner may pick jobs_state and sort the whole queue on every
	 * lease.  The label test runs only for jobs that require something.
	 */
	st = conn_stmt(c, "SELECT id, state, script, digest, params,"
	    " timeout_ms, attempt, not_before FROM jobs INDEXED BY jobs_ready"
	    " WHERE state IN ('queued', 'retrying') AND not_before <= ?1"
	    " AND (requires = '[]' OR NOT EXISTS (SELECT 1 FROM"
	    " json_each(jobs.requires) r WHERE r.value NOT IN"
	    " (SELECT value FROM json_each(?2))))"
	    " ORDER BY priority DESC, id LIMIT 1");
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, lab, -1, free);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return JOBS_NONE;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(c, err, errlen);
	}
	out->job_id = sqlite3_column_int64(st, 0);
	if (job_state_parse(col_text(st, 1), &from) != 0)
		abort();
	out->script = col_strdup(st, 2);
	out->digest = col_strdup(st, 3);
	out->params = json_loads(col_text(st, 4), JSON_DECODE_ANY, NULL);
	if (out->params == NULL)
		out->params = json_object();
	out->timeout_ms = sqlite3_column_int64(st, 5);
	out->attempt = sqlite3_column_int(st, 6) + 1;
	out->waited_ms = now - sqlite3_column_int64(st, 7);
	sqlite3_reset(st);
	new_token(out->token);

	st = conn_stmt(c, "INSERT INTO runs (job_id, attempt, agent_id, script,"
	    " digest, status, started_at, lease_token, department) VALUES (?1,"
	    " ?2, ?3, ?4, ?5, 'running', ?6, ?7, (SELECT department FROM jobs"
	    " WHERE id = ?1))");
	sqlite3_bind_int64(st, 1, out->job_id);
	sqlite3_bind_int(st, 2, out->attempt);
	sqlite3_bind_int64(st, 3, agent_id);
	bind_text(st, 4, out->script);
	bind_text(st, 5, out->digest);
	sqlite3_bind_int64(st, 6, now);
	bind_text(st, 7, out->token);
	if (conn_step(c, st, err, errlen) != 0)
		goto fail;
	out->run_id = conn_last_id(c);

	check_move(out->job_id, from, JOB_LEASED);
	st = conn_stmt(c, "UPDATE jobs SET state = 'leased', updated_at = ?5,"
	    " attempt = ?2, lease_token = ?3, lease_agent_id = ?4,"
	    " lease_expires = ?5 + ?6, leased_at = ?5,"
	    " deadline = ?5 + timeout_ms, run_id = ?7 WHERE id = ?1");
	sqlite3_bind_int64(st, 1, out->job_id);
	sqlite3_bind_int(st, 2, out->attempt);
	bind_text(st, 3, out->token);
	sqlite3_bind_int64(st, 4, agent_id);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, ttl_ms);
	sqlite3_bind_int64(st, 7, out->run_id);
	if (conn_step(c, st, err, errlen) != 0)
		goto fail;
	reason = xasprintf("leased by agent %lld, attempt %d, run %lld",
	    (long long)agent_id, out->attempt, (long long)out->run_id);
	/* The UPDATE above made the move; this records it. */
	rc = transition(c, out->job_id, from, JOB_LEASED, reason, now, err,
	    errlen);
	free(reason);
	if (rc != JOBS_OK)
		goto fail;
	return JOBS_OK;
fail:
	lease_clear(out);
	return JOBS_ERROR;
}

/* The live lease of a job, as checked against a token. */
struct live {
	enum job_state	 state;
	int64_t		 run_id;
	int		 cancel;
	int		 attempts_used;
	int		 max_attempts;
	int64_t		 backoff_ms;
	int64_t		 backoff_max_ms;
};

/*
 * Check that token is job_id's live lease: JOBS_OK and *lv, JOBS_NOT_FOUND,
 * or JOBS_STALE.
 */
static int
check_lease(struct conn *c, int64_t job_id, const char *token,
    struct live *lv, char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT state, lease_token, run_id,"
	    " cancel_requested, attempts_used, max_attempts, backoff_ms,"
	    " backoff_max_ms FROM jobs WHERE id = ?");
	int rc, ok;

	sqlite3_bind_int64(st, 1, job_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		snprintf(err, errlen, "no job %lld", (long long)job_id);
		return JOBS_NOT_FOUND;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(c, err, errlen);
	}
	if (job_state_parse(col_text(st, 0), &lv->state) != 0)
		abort();
	ok = token != NULL && strlen(token) == JOBS_TOKEN_LEN &&
	    sqlite3_column_bytes(st, 1) == JOBS_TOKEN_LEN &&
	    sodium_memcmp(col_text(st, 1), token, JOBS_TOKEN_LEN) == 0 &&
	    (lv->state == JOB_LEASED || lv->state == JOB_RUNNING);
	lv->run_id = sqlite3_column_int64(st, 2);
	lv->cancel = sqlite3_column_int(st, 3);
	lv->attempts_used = sqlite3_column_int(st, 4);
	lv->max_attempts = sqlite3_column_int(st, 5);
	lv->backoff_ms = sqlite3_column_int64(st, 6);
	lv->backoff_max_ms = sqlite3_column_int64(st, 7);
	sqlite3_reset(st);
	if (!ok) {
		snprintf(err, errlen, "stale lease token for job %lld",
		    (long long)job_id);
		return JOBS_STALE;
	}
	return JOBS_OK;
}

int
jobs_check_lease(struct conn *c, int64_t job_id, const char *token,
    char *err, size_t errlen)
{
	struct live lv;

	return check_lease(c, job_id, token, &lv, err, errlen);
}

/* Renew a checked lease; leased becomes running. */
static int
renew(struct conn *c, int64_t job_id, struct live *lv, int64_t now,
    int64_t ttl_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (ttl_ms > 0) {
		st = conn_stmt(c, "UPDATE jobs SET lease_expires = ?,"
		    " updated_at = ? WHERE id = ?");
		sqlite3_bind_int64(st, 1, now + ttl_ms);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, job_id);
		if (conn_step(c, st, err, errlen) != 0)
			return JOBS_ERROR;
	}
	if (lv->state == JOB_LEASED) {
		lv->state = JOB_RUNNING;
		return set_state(c, job_id, JOB_LEASED, JOB_RUNNING,
		    "the agent started the job", now, err, errlen);
	}
	return JOBS_OK;
}

int
jobs_heartbeat(struct conn *c, int64_t job_id, const char *token,
    int64_t now, int64_t ttl_ms, int *cancel, char *err, size_t errlen)
{
	struct live lv;
	int rc;

	if ((rc = check_lease(c, job_id, token, &lv, err, errlen)) != JOBS_OK)
		return rc;
	*cancel = lv.cancel;
	return renew(c, job_id, &lv, now, ttl_ms, err, errlen);
}

int
jobs_events(struct conn *c, int64_t job_id, const char *token,
    json_t *events, int64_t now, int64_t ttl_ms, int *stored, int *cancel,
    char *err, size_t errlen)
{
	struct live lv;
	sqlite3_stmt *st;
	json_t *ev, *seq;
	const char *type;
	int64_t last, s;
	size_t i;
	int rc;

	*stored = 0;
	if ((rc = check_lease(c, job_id, token, &lv, err, errlen)) != JOBS_OK)
		return rc;
	*cancel = lv.cancel;
	if (!json_is_array(events)) {
		snprintf(err, errlen, "events: expected an array");
		return JOBS_INVALID;
	}
	st = conn_stmt(c, "SELECT event_seq FROM runs WHERE id = ?");
	sqlite3_bind_int64(st, 1, lv.run_id);
	last = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	json_array_foreach(events, i, ev) {
		if (!json_is_object(ev) ||
		    (type = json_string_value(json_object_get(ev, "type"))) ==
		    NULL || strlen(type) == 0 || strlen(type) > 32) {
			snprintf(err, errlen, "events[%zu]: expected an object "
			    "with a \"type\" string", i);
			return JOBS_INVALID;
		}
		seq = json_object_get(ev, "seq");
		if (seq != NULL) {
			if (!json_is_integer(seq) ||
			    (s = json_integer_value(seq)) < 1) {
				snprintf(err, errlen, "events[%zu].seq: expected "
				    "an integer >= 1", i);
				return JOBS_INVALID;
			}
			if (s <= last)
				continue;	/* sent before */
			last = s;
		}
		st = conn_stmt(c, "INSERT INTO run_events (run_id, type, at,"
		    " event) VALUES (?, ?, ?, ?)");
		sqlite3_bind_int64(st, 1, lv.run_id);
		bind_text(st, 2, type);
		sqlite3_bind_int64(st, 3, now);
		sqlite3_bind_text(st, 4, dump(ev), -1, free);
		if (conn_step(c, st, err, errlen) != 0)
			return JOBS_ERROR;
		(*stored)++;
	}
	st = conn_stmt(c, "UPDATE runs SET event_seq = ? WHERE id = ?");
	sqlite3_bind_int64(st, 1, last);
	sqlite3_bind_int64(st, 2, lv.run_id);
	if (conn_step(c, st, err, errlen) != 0)
		return JOBS_ERROR;
	return renew(c, job_id, &lv, now, ttl_ms, err, errlen);
}

int
jobs_artifact(struct conn *c, int64_t job_id, const char *token,
    const char *name, const char *content_type, const void *data, size_t len,
    int max_count, int64_t now, char *err, size_t errlen)
{
	struct live lv;
	sqlite3_stmt *st;
	unsigned char hash[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	int rc, n;

	if ((rc = check_lease(c, job_id, token, &lv, err, errlen)) != JOBS_OK)
		return rc;
	st = conn_stmt(c, "SELECT count(*) FROM artifacts WHERE run_id = ?1"
	    " AND name != ?2");
	sqlite3_bind_int64(st, 1, lv.run_id);
	bind_text(st, 2, name);
	n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_reset(st);
	if (n >= max_count) {
		snprintf(err, errlen, "run %lld already has %d artifacts",
		    (long long)lv.run_id, n);
		return JOBS_CONFLICT;
	}
	crypto_hash_sha256(hash, data, len);
	sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
	st = conn_stmt(c, "INSERT OR REPLACE INTO artifacts (run_id, name,"
	    " content_type, size, sha256, data, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_int64(st, 1, lv.run_id);
	bind_text(st, 2, name);
	bind_text(st, 3, content_type);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)len);
	bind_text(st, 5, hex);
	sqlite3_bind_blob64(st, 6, len ? data : "", len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now);
	if (conn_step(c, st, err, errlen) != 0)
		return JOBS_ERROR;
	return JOBS_OK;
}

/* Close the run: status, error, times. */
static int
finish_run(struct conn *c, int64_t run_id, const char *status,
    const char *error, int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "UPDATE runs SET status = ?2,"
	    " error = coalesce(?3, error), finished_at = ?4,"
	    " duration_ms = ?4 - started_at WHERE id = ?1");

	sqlite3_bind_int64(st, 1, run_id);
	bind_text(st, 2, status);
	bind_text(st, 3, error);
	sqlite3_bind_int64(st, 4, now);
	return conn_step(c, st, err, errlen) == 0 ? JOBS_OK : JOBS_ERROR;
}

/*
 * After a failed or lost attempt (already counted in used): retry after
 * backoff (delay_ok) or at once, or fail for good.
 */
static int
retry_or_fail(struct conn *c, int64_t job_id, enum job_state from,
    const struct live *lv, int used, int delay_ok, const char *why,
    int64_t now, enum job_state *to, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t delay;
	char *reason;
	int rc;

	if (used >= lv->max_attempts) {
		*to = JOB_FAILED;
		reason = xasprintf("%s; %d of %d attempts used", why, used,
		    lv->max_attempts);
		delay = 0;
	} else if (delay_ok) {
		*to = JOB_RETRYING;
		delay = jobs_backoff(lv->backoff_ms, lv->backoff_max_ms, used);
		reason = xasprintf("%s; retry %d of %d in %lld ms", why,
		    used + 1, lv->max_attempts, (long long)delay);
	} else {
		*to = JOB_QUEUED;
		delay = 0;
		reason = xasprintf("%s; queued again (attempt %d of %d next)",
		    why, used + 1, lv->max_attempts);
	}
	st = conn_stmt(c, "UPDATE jobs SET attempts_used = ?2,"
	    " not_before = ?3 WHERE id = ?1");
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_int(st, 2, used);
	sqlite3_bind_int64(st, 3, now + delay);
	rc = conn_step(c, st, err, errlen) == 0 ? JOBS_OK : JOBS_ERROR;
	if (rc == JOBS_OK)
		rc = set_state(c, job_id, from, *to, reason, now, err, errlen);
	free(reason);
	return rc;
}

static int
get_int(json_t *o, const char *key, long *out)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (long)json_integer_value(v);
	return 0;
}

/*
 * Write the run's KPI ledger row from the script version's kpi:.  With
 * deferred set (a failed attempt that a retry follows), its exception
 * minutes wait for the job's end (kpi_charge_deferred).
 */
static int
ledger_row(struct conn *c, int64_t job_id, int64_t run_id, const char *status,
    long ok, long bad, long skipped, int deferred, int64_t now,
    double *minutes, double *vendor, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int completed = kpi_completed(strcmp(status, "failed") == 0, ok, bad,
	    skipped);
	double mrun = 0, mitem = 0, vrun = 0, vitem = 0;
	char *script = NULL, *digest = NULL, *version = NULL, *dept = NULL,
	    *by = NULL;
	int64_t started = now;
	int rc;

	st = conn_stmt(c, "SELECT j.script, j.digest, v.version,"
	    " coalesce(v.owner, j.department), j.triggered_by, r.started_at,"
	    " v.manual_per_run, v.manual_per_item, v.vendor_per_run,"
	    " v.vendor_per_item FROM jobs j JOIN runs r ON r.id = ?2"
	    " LEFT JOIN script_versions v ON v.digest = j.digest"
	    " WHERE j.id = ?1");
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_int64(st, 2, run_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		script = col_strdup(st, 0);
		digest = col_strdup(st, 1);
		version = col_strdup(st, 2);
		dept = col_strdup(st, 3);
		by = col_strdup(st, 4);
		started = sqlite3_column_int64(st, 5);
		mrun = sqlite3_column_double(st, 6);
		mitem = sqlite3_column_double(st, 7);
		vrun = sqlite3_column_double(st, 8);
		vitem = sqlite3_column_double(st, 9);
	}
	sqlite3_reset(st);
	*minutes = kpi_minutes(mrun, mitem, completed, ok);
	*vendor = kpi_minutes(vrun, vitem, completed, ok);
	st = conn_stmt(c, "INSERT INTO kpi_ledger (id, run_id, job_id, script,"
	    " digest, version, department, triggered_by, status,"
	    " items_succeeded, items_failed, minutes_saved,"
	    " vendor_minutes_saved, started_at, finished_at, fix_deferred,"
	    " items_skipped, fix_minutes)"
	    " VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, coalesce(?7, ''), ?8, ?9, ?10,"
	    " ?11, ?12, ?13, ?14, ?15, ?16, coalesce((SELECT minutes"
	    " FROM kpi_review_minutes WHERE run_id = ?1), 0))");
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, job_id);
	bind_text(st, 3, script ? script : "");
	bind_text(st, 4, digest ? digest : "");
	bind_text(st, 5, version);
	bind_text(st, 6, dept);
	bind_text(st, 7, by);
	bind_text(st, 8, status);
	sqlite3_bind_int64(st, 9, ok);
	sqlite3_bind_int64(st, 10, bad);
	sqlite3_bind_double(st, 11, *minutes);
	sqlite3_bind_double(st, 12, *vendor);
	sqlite3_bind_int64(st, 13, started);
	sqlite3_bind_int64(st, 14, now);
	sqlite3_bind_int(st, 15, deferred);
	sqlite3_bind_int64(st, 16, skipped);
	rc = conn_step(c, st, err, errlen) == 0 ? JOBS_OK : JOBS_ERROR;
	if (rc == JOBS_OK) {
		/* Reviewers' minutes measured before the run ended (queues). */
		st = conn_stmt(c, "DELETE FROM kpi_review_minutes"
		    " WHERE run_id = ?");
		sqlite3_bind_int64(st, 1, run_id);
		rc = conn_step(c, st, err, errlen) == 0 ? JOBS_OK : JOBS_ERROR;
	}
	free(script);
	free(digest);
	free(version);
	free(dept);
	free(by);
	return rc;
}

/* The most item keys a summary lists (the agent's MAX_DONE_LISTED). */
#define MAX_DONE_KEYS	10000

/* Whether summary.items.done is a list of item keys (or absent). */
static int
done_valid(const json_t *done)
{
	const json_t *k;
	size_t i;

	if (done == NULL)
		return 1;
	if (!json_is_array(done) || json_array_size(done) > MAX_DONE_KEYS)
		return 0;
	json_array_foreach(done, i, k)
		if (!json_is_string(k) || json_string_length(k) == 0 ||
		    json_string_length(k) > 64)
			return 0;
	return 1;
}

/*
 * Merge one attempt's keys into most (key -> count): a key keeps the most
 * times one attempt listed it, since two equal rows are two items.
 */
static void
merge_keys(json_t *most, const json_t *list)
{
	json_t *counts = json_object(), *v;
	const json_t *k;
	const char *key;
	size_t i;

	json_array_foreach(list, i, k) {
		key = json_string_value(k);
		json_object_set_new(counts, key, json_integer(1 +
		    json_integer_value(json_object_get(counts, key))));
	}
	json_object_foreach(counts, key, v)
		if (json_integer_value(v) > json_integer_value(
		    json_object_get(most, key)))
			json_object_set(most, key, v);
	json_decref(counts);
}

/*
 * The items a retried job has done: the keys of this attempt's succeeded
 * items (done) and of its earlier attempts', each once - an item that one
 * attempt did and the next skipped as done, or did again, counts once.
 * -1 when an earlier attempt did items without listing them (more than
 * MAX_DONE_KEYS, or an agent that does not list them): then the attempt's
 * own count stands.
 */
static long
job_items_done(struct conn *c, int64_t job_id, int64_t run_id,
    const json_t *done)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT summary FROM runs WHERE"
	    " job_id = ?1 AND id <> ?2 AND summary IS NOT NULL");
	json_t *most = json_object(), *sum, *items, *earlier, *v;
	const char *key;
	long n = 0;

	merge_keys(most, done);
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_int64(st, 2, run_id);
	while (n >= 0 && sqlite3_step(st) == SQLITE_ROW) {
		sum = json_loads(col_text(st, 0), 0, NULL);
		items = json_object_get(sum, "items");
		earlier = json_object_get(items, "done");
		if (json_is_array(earlier) && done_valid(earlier))
			merge_keys(most, earlier);
		else if (json_integer_value(json_object_get(items,
		    "succeeded")) > 0)
			n = -1;
		json_decref(sum);
	}
	sqlite3_reset(st);
	json_object_foreach(most, key, v)
		if (n >= 0)
			n += (long)json_integer_value(v);
	json_decref(most);
	return n;
}

/* Whether a result was already stored for this job under this token. */
static int
result_stored(struct conn *c, int64_t job_id, const char *token)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT 1 FROM runs WHERE job_id = ?"
	    " AND lease_token = ? AND summary IS NOT NULL");
	int found;

	sqlite3_bind_int64(st, 1, job_id);
	bind_text(st, 2, token);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

/*
 * When a run ended: its start plus the duration its agent measured
 * (summary.duration_ms), not the time the result arrived, which is later
 * when the agent could not reach the scheduler for a while.  Never later
 * than now: an agent's figure cannot stretch a run past its lease.
 */
static int64_t
run_finished(struct conn *c, int64_t run_id, json_t *summary, int64_t now)
{
	json_t *d = json_object_get(summary, "duration_ms");
	sqlite3_stmt *st;
	int64_t started = now;

	if (!json_is_integer(d) || json_integer_value(d) < 0)
		return now;
	st = conn_stmt(c, "SELECT started_at FROM runs WHERE id = ?");
	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		started = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (json_integer_value(d) >= now - started)
		return now;
	return started + json_integer_value(d);
}

int
jobs_result(struct conn *c, int64_t job_id, const char *token,
    json_t *summary, int64_t now, enum job_state *state, int *duplicate,
    char *err, size_t errlen)
{
	struct live lv;
	sqlite3_stmt *st;
	const char *status, *error;
	json_t *items, *done;
	long ok = 0, bad = 0, skipped = 0, credited;
	double minutes, vendor;
	int64_t fin;
	char *why;
	int rc;

	*duplicate = 0;
	if ((rc = check_lease(c, job_id, token, &lv, err, errlen)) != JOBS_OK) {
		if (rc == JOBS_STALE && token != NULL &&
		    result_stored(c, job_id, token)) {
			*duplicate = 1;
			*state = lv.state;
			return JOBS_OK;
		}
		return rc;
	}
	status = json_string_value(json_object_get(summary, "status"));
	if (status == NULL || (strcmp(status, "succeeded") != 0 &&
	    strcmp(status, "partial") != 0 && strcmp(status, "failed") != 0)) {
		snprintf(err, errlen, "summary.status: expected succeeded, "
		    "partial or failed");
		return JOBS_INVALID;
	}
	items = json_object_get(summary, "items");
	if (items != NULL && !json_is_null(items) && (!json_is_object(items) ||
	    get_int(items, "succeeded", &ok) != 0 ||
	    get_int(items, "failed", &bad) != 0)) {
		snprintf(err, errlen, "summary.items: expected {succeeded, "
		    "failed} as counts");
		return JOBS_INVALID;
	}
	/* skipped came later: a summary without it skipped nothing. */
	if (json_object_get(items, "skipped") != NULL &&
	    get_int(items, "skipped", &skipped) != 0) {
		snprintf(err, errlen, "summary.items.skipped: expected a "
		    "count");
		return JOBS_INVALID;
	}
	done = json_object_get(items, "done");
	if (!done_valid(done)) {
		snprintf(err, errlen, "summary.items.done: expected a list of "
		    "at most %d item keys", MAX_DONE_KEYS);
		return JOBS_INVALID;
	}
	/* The ledger credits the job's items, not only this attempt's. */
	credited = ok;
	if (done != NULL && lv.attempts_used > 0 &&
	    (credited = job_items_done(c, job_id, lv.run_id, done)) < 0)
		credited = ok;
	error = json_string_value(json_object_get(summary, "error"));
	fin = run_finished(c, lv.run_id, summary, now);
	if ((rc = ledger_row(c, job_id, lv.run_id, status, credited, bad,
	    skipped,
	    strcmp(status, "failed") == 0 && !lv.cancel &&
	    lv.attempts_used + 1 < lv.max_attempts, fin, &minutes, &vendor,
	    err, errlen)) != JOBS_OK)
		return rc;
	st = conn_stmt(c, "UPDATE runs SET status = ?2, error = ?3,"
	    " finished_at = ?4, duration_ms = ?4 - started_at,"
	    " items_succeeded = ?5, items_failed = ?6, minutes_saved = ?7,"
	    " vendor_minutes_saved = ?8, summary = ?9, items_skipped = ?10"
	    " WHERE id = ?1");
	sqlite3_bind_int64(st, 1, lv.run_id);
	bind_text(st, 2, status);
	bind_text(st, 3, error);
	sqlite3_bind_int64(st, 4, fin);
	sqlite3_bind_int64(st, 5, ok);
	sqlite3_bind_int64(st, 6, bad);
	sqlite3_bind_double(st, 7, minutes);
	sqlite3_bind_double(st, 8, vendor);
	sqlite3_bind_text(st, 9, dump(summary), -1, free);
	sqlite3_bind_int64(st, 10, skipped);
	if (conn_step(c, st, err, errlen) != 0)
		return JOBS_ERROR;
	if (lv.cancel) {
		*state = JOB_CANCELLED;
		why = xasprintf("cancelled; the run ended %s", status);
		rc = set_state(c, job_id, lv.state, JOB_CANCELLED, why, now,
		    err, errlen);
		free(why);
		return rc;
	}
	if (strcmp(status, "failed") != 0) {
		*state = JOB_SUCCEEDED;
		why = xasprintf("run %lld %s", (long long)lv.run_id, status);
		rc = set_state(c, job_id, lv.state, JOB_SUCCEEDED, why, now,
		    err, errlen);
		free(why);
		return rc;
	}
	why = xasprintf("run %lld failed%s%s", (long long)lv.run_id,
	    error ? ": " : "", error ? error : "");
	rc = retry_or_fail(c, job_id, lv.state, &lv, lv.attempts_used + 1, 1,
	    why, now, state, err, errlen);
	free(why);
	return rc;
}

int
jobs_release(struct conn *c, int64_t job_id, const char *token,
    const char *reason, int64_t now, enum job_state *state, char *err,
    size_t errlen)
{
	struct live lv;
	sqlite3_stmt *st;
	char *why;
	int rc;

	if ((rc = check_lease(c, job_id, token, &lv, err, errlen)) != JOBS_OK)
		return rc;
	if ((rc = finish_run(c, lv.run_id, "released", reason, now, err,
	    errlen)) != JOBS_OK)
		return rc;
	why = xasprintf("released by the agent%s%s", reason ? ": " : "",
	    reason ? reason : "");
	if (lv.cancel) {
		*state = JOB_CANCELLED;
		rc = set_state(c, job_id, lv.state, JOB_CANCELLED, why, now,
		    err, errlen);
	} else {
		*state = JOB_QUEUED;
		st = conn_stmt(c, "UPDATE jobs SET not_before = ? WHERE id = ?");
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, job_id);
		rc = conn_step(c, st, err, errlen) == 0 ? JOBS_OK : JOBS_ERROR;
		if (rc == JOBS_OK)
			rc = set_state(c, job_id, lv.state, JOB_QUEUED, why,
			    now, err, errlen);
	}
	free(why);
	return rc;
}

int
jobs_cancel(struct conn *c, int64_t job_id, const char *reason, int64_t now,
    enum job_state *state, char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT state, cancel_requested FROM"
	    " jobs WHERE id = ?");
	enum job_state s;
	int rc, already;
	char *why;

	sqlite3_bind_int64(st, 1, job_id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return db_fail(c, err, errlen);
		snprintf(err, errlen, "no job %lld", (long long)job_id);
		return JOBS_NOT_FOUND;
	}
	if (job_state_parse(col_text(st, 0), &s) != 0)
		abort();
	already = sqlite3_column_int(st, 1);
	sqlite3_reset(st);
	*state = s;
	if (job_state_final(s)) {
		snprintf(err, errlen, "job %lld is already %s",
		    (long long)job_id, job_state_name(s));
		return JOBS_CONFLICT;
	}
	why = xasprintf("cancelled%s%s", reason ? ": " : "",
	    reason ? reason : "");
	if (s == JOB_QUEUED || s == JOB_RETRYING) {
		*state = JOB_CANCELLED;
		rc = set_state(c, job_id, s, JOB_CANCELLED, why, now, err,
		    errlen);
	} else if (already) {
		rc = JOBS_OK;
	} else {
		st = conn_stmt(c, "UPDATE jobs SET cancel_requested = 1,"
		    " updated_at = ? WHERE id = ?");
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, job_id);
		rc = conn_step(c, st, err, errlen) == 0 ? JOBS_OK : JOBS_ERROR;
		/* Not a change of state, but recorded like one. */
		free(why);
		why = xasprintf("cancel requested%s%s; the agent is told on "
		    "its next heartbeat", reason ? ": " : "",
		    reason ? reason : "");
		if (rc == JOBS_OK)
			rc = set_state(c, job_id, s, s, why, now, err, errlen);
	}
	free(why);
	return rc;
}

int
jobs_expire(struct conn *c, int64_t now, int *expired, int *timed_out,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	struct live lv;
	enum job_state to;
	int64_t *ids = NULL;
	size_t n = 0, i;
	int rc = JOBS_OK, nexp = 0, nto = 0, timeout;
	char *why;

	/* Collect first: the updates below change the rows being scanned. */
	st = conn_stmt(c, "SELECT id FROM jobs INDEXED BY jobs_live WHERE state"
	    " IN ('leased', 'running') AND (lease_expires <= ?1 OR"
	    " deadline <= ?1)");
	sqlite3_bind_int64(st, 1, now);
	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	for (i = 0; i < n && rc == JOBS_OK; i++) {
		st = conn_stmt(c, "SELECT state, run_id, cancel_requested,"
		    " attempts_used, max_attempts, backoff_ms, backoff_max_ms,"
		    " deadline <= ?2 FROM jobs WHERE id = ?1");
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, now);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			continue;
		}
		if (job_state_parse(col_text(st, 0), &lv.state) != 0)
			abort();
		lv.run_id = sqlite3_column_int64(st, 1);
		lv.cancel = sqlite3_column_int(st, 2);
		lv.attempts_used = sqlite3_column_int(st, 3);
		lv.max_attempts = sqlite3_column_int(st, 4);
		lv.backoff_ms = sqlite3_column_int64(st, 5);
		lv.backoff_max_ms = sqlite3_column_int64(st, 6);
		timeout = sqlite3_column_int(st, 7);
		sqlite3_reset(st);
		if (timeout) {
			nto++;
			rc = finish_run(c, lv.run_id, "timed_out",
			    "the job ran longer than its timeout", now, err,
			    errlen);
			if (rc == JOBS_OK)
				rc = set_state(c, ids[i], lv.state,
				    lv.cancel ? JOB_CANCELLED : JOB_TIMED_OUT,
				    "the job ran longer than its timeout", now,
				    err, errlen);
			continue;
		}
		nexp++;
		rc = finish_run(c, lv.run_id, "lost", "the lease expired "
		    "(no heartbeat from the agent)", now, err, errlen);
		if (rc != JOBS_OK)
			break;
		if (lv.cancel) {
			rc = set_state(c, ids[i], lv.state, JOB_CANCELLED,
			    "cancelled; the agent's lease expired", now, err,
			    errlen);
			continue;
		}
		why = xasprintf("lease of run %lld expired",
		    (long long)lv.run_id);
		rc = retry_or_fail(c, ids[i], lv.state, &lv,
		    lv.attempts_used + 1, 0, why, now, &to, err, errlen);
		free(why);
	}
	free(ids);
	if (expired)
		*expired = nexp;
	if (timed_out)
		*timed_out = nto;
	return rc;
}

int
jobs_extend_leases(struct conn *c, int64_t now, int64_t ttl_ms)
{
	sqlite3_stmt *st = conn_stmt(c, "UPDATE jobs SET lease_expires = ?1"
	    " WHERE state IN ('leased', 'running') AND lease_expires < ?1");

	sqlite3_bind_int64(st, 1, now + ttl_ms);
	return conn_step(c, st, NULL, 0) == 0 ? JOBS_OK : JOBS_ERROR;
}

int64_t
jobs_next_due(struct conn *c, int64_t now)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT min(not_before) FROM jobs"
	    " WHERE state IN ('queued', 'retrying') AND not_before > ?");
	int64_t t = 0;

	sqlite3_bind_int64(st, 1, now);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		t = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return t;
}

int64_t
jobs_ready_count(struct conn *c, int64_t now)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT count(*) FROM jobs"
	    " WHERE state IN ('queued', 'retrying') AND not_before <= ?");
	int64_t n = 0;

	sqlite3_bind_int64(st, 1, now);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

int64_t
jobs_retention_min(const struct jobs_retention *r)
{
	int64_t min = r->default_ms;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->keep[i].ms > 0 && (min == 0 || r->keep[i].ms < min))
			min = r->keep[i].ms;
	return min;
}

static int64_t
keep_ms(const struct jobs_retention *r, const char *department)
{
	size_t i;

	for (i = 0; department != NULL && i < r->n; i++)
		if (strcmp(r->keep[i].department, department) == 0)
			return r->keep[i].ms;
	return r->default_ms;
}

/*
 * Add to the purge table up to *left jobs of one department (NULL: of
 * none) that ended before now - its retention.
 */
static int
purge_pick(struct conn *c, const struct jobs_retention *r,
    const char *department, int64_t now, int *left)
{
	sqlite3_stmt *st;
	int64_t ms = keep_ms(r, department);

	if (ms <= 0 || *left <= 0)
		return 0;
	if (department == NULL) {
		st = conn_stmt(c, "INSERT INTO purge SELECT id FROM jobs WHERE"
		    " department IS NULL AND final_at IS NOT NULL AND"
		    " final_at < ?1 ORDER BY final_at LIMIT ?2");
	} else {
		st = conn_stmt(c, "INSERT INTO purge SELECT id FROM jobs WHERE"
		    " department = ?3 AND final_at IS NOT NULL AND"
		    " final_at < ?1 ORDER BY final_at LIMIT ?2");
		bind_text(st, 3, department);
	}
	sqlite3_bind_int64(st, 1, now - ms);
	sqlite3_bind_int(st, 2, *left);
	if (conn_step(c, st, NULL, 0) != 0)
		return -1;
	*left -= conn_changes(c);
	return 0;
}

/*
 * The departments that have final jobs, one after the other through the
 * index on (department, final_at): a few lookups however many jobs.
 */
static char *
next_department(struct conn *c, const char *after)
{
	sqlite3_stmt *st;
	char *d = NULL;

	if (after == NULL) {
		st = conn_stmt(c, "SELECT min(department) FROM jobs WHERE"
		    " final_at IS NOT NULL AND department IS NOT NULL");
	} else {
		st = conn_stmt(c, "SELECT min(department) FROM jobs WHERE"
		    " final_at IS NOT NULL AND department > ?");
		bind_text(st, 1, after);
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		d = col_strdup(st, 0);
	sqlite3_reset(st);
	return d;
}

int
jobs_purge(struct conn *c, const struct jobs_retention *r, int64_t now,
    int limit, int *deleted)
{
	static const char *const steps[] = {
		"DELETE FROM run_events WHERE run_id IN (SELECT r.id FROM runs r"
		" JOIN purge p ON p.id = r.job_id)",
		"DELETE FROM artifacts WHERE run_id IN (SELECT r.id FROM runs r"
		" JOIN purge p ON p.id = r.job_id)",
		"DELETE FROM runs WHERE job_id IN (SELECT id FROM purge)",
		"DELETE FROM job_transitions WHERE job_id IN (SELECT id FROM"
		" purge)",
		"DELETE FROM jobs WHERE id IN (SELECT id FROM purge)",
	};
	char *d, *next;
	size_t i;
	int left = limit, rc = 0;

	*deleted = 0;
	if (conn_exec(c, "CREATE TEMP TABLE IF NOT EXISTS purge (id INTEGER"
	    " PRIMARY KEY)") != 0 || conn_exec(c, "DELETE FROM purge") != 0)
		return JOBS_ERROR;
	rc = purge_pick(c, r, NULL, now, &left);
	for (d = next_department(c, NULL); d != NULL && rc == 0 && left > 0;
	    d = next) {
		rc = purge_pick(c, r, d, now, &left);
		next = next_department(c, d);
		free(d);
	}
	free(d);
	if (rc != 0)
		return JOBS_ERROR;
	*deleted = limit - left;
	for (i = 0; i < sizeof steps / sizeof steps[0] && *deleted > 0; i++)
		if (conn_step(c, conn_stmt(c, steps[i]), NULL, 0) != 0)
			return JOBS_ERROR;
	return JOBS_OK;
}
