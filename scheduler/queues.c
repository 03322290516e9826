/*
 * queues.c - work queues and their items (see queues.h): the state
 * machine, leases with fencing tokens, content-addressed files, and the
 * read side.  Every change of an item's state goes through move(), which
 * checks it against the table and records it, so that no code path can
 * move an item in a way the table forbids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "queues.h"
#include "xmalloc.h"

static const char *const state_names[QS_NSTATES] = {
	[QS_NEW] = "new",
	[QS_IN_PROGRESS] = "in_progress",
	[QS_DONE] = "done",
	[QS_FAILED] = "failed",
	[QS_NEEDS_REVIEW] = "needs_review",
	[QS_REVIEWED] = "reviewed",
	[QS_ABANDONED] = "abandoned",
};

#define B(s)	(1u << (s))
/* allowed[from] is the set of states an item may move to from "from". */
static const unsigned allowed[QS_NSTATES] = {
	[QS_NEW] = B(QS_IN_PROGRESS),
	[QS_IN_PROGRESS] = B(QS_DONE) | B(QS_FAILED) | B(QS_NEW) |
	    B(QS_ABANDONED) | B(QS_NEEDS_REVIEW),
	[QS_NEEDS_REVIEW] = B(QS_REVIEWED) | B(QS_FAILED),
	[QS_REVIEWED] = B(QS_NEW),
	[QS_FAILED] = B(QS_NEW),
	[QS_ABANDONED] = B(QS_NEW),
};

/* The longest backoff of an application exception. */
#define RETRY_MAX_MS	3600000LL

const char *
qstate_name(enum qstate s)
{
	return (unsigned)s < QS_NSTATES ? state_names[s] : "unknown";
}

int
qstate_parse(const char *name, enum qstate *s)
{
	int i;

	for (i = 0; i < QS_NSTATES; i++)
		if (strcmp(name, state_names[i]) == 0) {
			*s = (enum qstate)i;
			return 0;
		}
	return -1;
}

static int
db_fail(struct conn *c, char *err, size_t errlen)
{
	snprintf(err, errlen, "database: %s", sqlite3_errmsg(c->db));
	return QUEUES_ERROR;
}

static char *
dump(json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* A move the table does not allow is a program error: abort. */
static void
check_move(int64_t id, enum qstate from, enum qstate to)
{
	if (!(allowed[from] & B(to))) {
		fprintf(stderr, "kobito-scheduler: queue item %lld: transition "
		    "%s -> %s is not allowed\n", (long long)id,
		    qstate_name(from), qstate_name(to));
		abort();
	}
}

/* Record a transition of item id (from < 0: the item was created). */
static int
record(struct conn *c, int64_t id, int from, enum qstate to,
    const char *actor, const char *reason, int64_t now, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "INSERT INTO queue_item_transitions"
	    " (item_id, from_state, to_state, at, actor, reason)"
	    " VALUES (?, ?, ?, ?, ?, ?)");

	sqlite3_bind_int64(st, 1, id);
	if (from >= 0)
		sqlite3_bind_text(st, 2, state_names[from], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, state_names[to], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	bind_text(st, 5, actor);
	bind_text(st, 6, reason);
	return conn_step(c, st, err, errlen) == 0 ? QUEUES_OK : QUEUES_ERROR;
}

/*
 * Move item id from "from" to "to" and record it.  An item that leaves
 * in_progress loses its lease in the same statement, so a stale token
 * can never match; one that leaves needs_review loses its review lock.
 */
int
queues_move(struct conn *c, int64_t id, enum qstate from, enum qstate to,
    const char *actor, const char *reason, int64_t now, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;

	check_move(id, from, to);
	st = conn_stmt(c, "UPDATE queue_items SET state = ?2, updated_at = ?3,"
	    " final_at = CASE WHEN ?4 THEN ?3 END, entered_at = ?3,"
	    " lease_token = NULL, lease_expires = NULL,"
	    " lease_agent_id = NULL, lease_job_id = NULL,"
	    " lease_run_id = NULL, lock_user = NULL, lock_until = NULL,"
	    " lock_opened_at = NULL WHERE id = ?1 AND state = ?5");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, state_names[to], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int(st, 4, to == QS_DONE);
	sqlite3_bind_text(st, 5, state_names[from], -1, SQLITE_STATIC);
	if (conn_step(c, st, err, errlen) != 0)
		return QUEUES_ERROR;
	if (conn_changes(c) != 1) {
		/* The caller read the state in this transaction. */
		fprintf(stderr, "kobito-scheduler: queue item %lld is not %s\n",
		    (long long)id, qstate_name(from));
		abort();
	}
	return record(c, id, from, to, actor, reason, now, err, errlen);
}

/* --- queues ---------------------------------------------------------------- */

void
queue_def_defaults(struct queue_def *d)
{
	memset(d, 0, sizeof *d);
	d->unique_refs = 1;
	d->max_attempts = 3;
	d->lease_ttl_ms = 300000;
	d->retry_ms = 10000;
	d->file_max = 10 * 1024 * 1024;
	d->trigger_max = 1;
	d->origin = "api";
}

/* A queue name: a letter, then up to 63 of [a-z0-9_-]. */
static int
name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > QUEUES_NAME_MAX || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int
queues_put(struct conn *c, const struct queue_def *d, int64_t now,
    int *created, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char *params;
	int64_t id;
	char dept[8];

	*created = 0;
	if (d->name == NULL || !name_ok(d->name)) {
		snprintf(err, errlen, "name: expected a letter and up to %d of "
		    "a-z 0-9 _ -", QUEUES_NAME_MAX - 1);
		return QUEUES_INVALID;
	}
	if (d->department == NULL || *d->department == '\0' ||
	    strlen(d->department) > 200) {
		snprintf(err, errlen, "department: required (1-200 bytes)");
		return QUEUES_INVALID;
	}
	if (d->max_attempts < 1 || d->max_attempts > 100 ||
	    d->lease_ttl_ms < 1000 || d->retry_ms < 0 || d->sla_ms < 0 ||
	    d->file_max < 1 || d->trigger_max < 1 || d->trigger_max > 1000) {
		snprintf(err, errlen, "max_attempts, lease_ttl_ms, retry_ms, "
		    "sla_ms, file_max or trigger_max out of range");
		return QUEUES_INVALID;
	}
	*created = queues_find(c, d->name, &id, dept, sizeof dept, err,
	    errlen) == QUEUES_NOT_FOUND;
	params = d->trigger_params ? dump(d->trigger_params) : xstrdup("{}");
	st = conn_stmt(c, "INSERT INTO queues (name, title, department,"
	    " unique_refs, max_attempts, lease_ttl_ms, retry_ms, sla_ms,"
	    " file_max, trigger_script, trigger_max, trigger_params, origin,"
	    " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	    " ?9, ?10, ?11, ?12, ?13, ?14, ?14)"
	    " ON CONFLICT (name) DO UPDATE SET title = ?2, department = ?3,"
	    " unique_refs = ?4, max_attempts = ?5, lease_ttl_ms = ?6,"
	    " retry_ms = ?7, sla_ms = ?8, file_max = ?9, trigger_script = ?10,"
	    " trigger_max = ?11, trigger_params = ?12, origin = ?13,"
	    " updated_at = ?14");
	bind_text(st, 1, d->name);
	bind_text(st, 2, d->title);
	bind_text(st, 3, d->department);
	sqlite3_bind_int(st, 4, d->unique_refs != 0);
	sqlite3_bind_int(st, 5, d->max_attempts);
	sqlite3_bind_int64(st, 6, d->lease_ttl_ms);
	sqlite3_bind_int64(st, 7, d->retry_ms);
	sqlite3_bind_int64(st, 8, d->sla_ms);
	sqlite3_bind_int64(st, 9, d->file_max);
	bind_text(st, 10, d->trigger_script);
	sqlite3_bind_int(st, 11, d->trigger_max);
	sqlite3_bind_text(st, 12, params, -1, free);
	bind_text(st, 13, d->origin ? d->origin : "api");
	sqlite3_bind_int64(st, 14, now);
	return conn_step(c, st, err, errlen) == 0 ? QUEUES_OK : QUEUES_ERROR;
}

int
queues_delete(struct conn *c, const char *name, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t id;
	char dept[8];
	int rc;

	if ((rc = queues_find(c, name, &id, dept, sizeof dept, err,
	    errlen)) != QUEUES_OK)
		return rc;
	st = conn_stmt(c, "SELECT 1 FROM queue_items WHERE queue_id = ?"
	    " LIMIT 1");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		snprintf(err, errlen, "queue '%s' still holds items", name);
		return QUEUES_CONFLICT;
	}
	st = conn_stmt(c, "DELETE FROM queues WHERE id = ?");
	sqlite3_bind_int64(st, 1, id);
	return conn_step(c, st, err, errlen) == 0 ? QUEUES_OK : QUEUES_ERROR;
}

int
queues_find(struct conn *c, const char *name, int64_t *id, char *dept,
    size_t deptlen, char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT id, department FROM queues"
	    " WHERE name = ?");
	int rc;

	bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		snprintf(dept, deptlen, "%s", col_text(st, 1));
		sqlite3_reset(st);
		return QUEUES_OK;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(c, err, errlen);
	snprintf(err, errlen, "no queue '%s'", name);
	return QUEUES_NOT_FOUND;
}

/* --- files ----------------------------------------------------------------- */

int
queues_file_put(struct conn *c, const void *data, size_t len,
    const char *content_type, size_t max, int64_t now, char *sha256,
    char *err, size_t errlen)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	sqlite3_stmt *st;

	if (len > max) {
		snprintf(err, errlen, "the file is %zu bytes; the limit is %zu",
		    len, max);
		return QUEUES_TOO_LARGE;
	}
	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(sha256, 65, h, sizeof h);
	st = conn_stmt(c, "INSERT INTO queue_files (sha256, size, content_type,"
	    " data, created_at) VALUES (?, ?, ?, ?, ?)"
	    " ON CONFLICT (sha256) DO UPDATE SET created_at = excluded.created_at");
	bind_text(st, 1, sha256);
	sqlite3_bind_int64(st, 2, (int64_t)len);
	bind_text(st, 3, content_type ? content_type :
	    "application/octet-stream");
	sqlite3_bind_blob64(st, 4, len ? data : "", len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	return conn_step(c, st, err, errlen) == 0 ? QUEUES_OK : QUEUES_ERROR;
}

int
queues_file_get(struct conn *c, int64_t item, const char *name, char **data,
    size_t *len, char **ctype, char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT f.data, f.size, f.content_type"
	    " FROM queue_item_files i JOIN queue_files f ON f.sha256 = i.sha256"
	    " WHERE i.item_id = ? AND i.name = ?");
	const void *p;
	int rc;

	sqlite3_bind_int64(st, 1, item);
	bind_text(st, 2, name);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return db_fail(c, err, errlen);
		snprintf(err, errlen, "item %lld has no file '%s'",
		    (long long)item, name);
		return QUEUES_NOT_FOUND;
	}
	*len = (size_t)sqlite3_column_int64(st, 1);
	p = sqlite3_column_blob(st, 0);
	*data = xmalloc(*len + 1);
	if (*len > 0)
		memcpy(*data, p, *len);
	*ctype = col_strdup(st, 2);
	sqlite3_reset(st);
	return QUEUES_OK;
}

/* A file name an item may carry: one path segment, no leading dot. */
static int
file_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 128 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* Attach the files of spec to item id (each must be stored). */
static int
attach_files(struct conn *c, int64_t id, const struct qitem_spec *s,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	size_t i, j;
	int rc;

	if (s->nfiles > QUEUES_FILES_MAX) {
		snprintf(err, errlen, "files: at most %d per item",
		    QUEUES_FILES_MAX);
		return QUEUES_INVALID;
	}
	for (i = 0; i < s->nfiles; i++) {
		if (s->files[i].name == NULL || !file_name_ok(s->files[i].name)) {
			snprintf(err, errlen, "files[%zu].name: expected 1-128 "
			    "of A-Z a-z 0-9 . _ -, not starting with '.'", i);
			return QUEUES_INVALID;
		}
		for (j = 0; j < i; j++)
			if (strcmp(s->files[j].name, s->files[i].name) == 0) {
				snprintf(err, errlen, "files[%zu].name: '%s' "
				    "twice", i, s->files[i].name);
				return QUEUES_INVALID;
			}
		st = conn_stmt(c, "INSERT INTO queue_item_files (item_id, name,"
		    " sha256) SELECT ?, ?, sha256 FROM queue_files"
		    " WHERE sha256 = ?");
		sqlite3_bind_int64(st, 1, id);
		bind_text(st, 2, s->files[i].name);
		bind_text(st, 3, s->files[i].sha256);
		if ((rc = conn_step(c, st, err, errlen)) != 0)
			return QUEUES_ERROR;
		if (conn_changes(c) != 1) {
			snprintf(err, errlen, "files[%zu]: no stored file with "
			    "sha256 '%s' (upload it first)", i,
			    s->files[i].sha256 ? s->files[i].sha256 : "");
			return QUEUES_INVALID;
		}
	}
	return QUEUES_OK;
}

/* --- adding ---------------------------------------------------------------- */

int
queues_add(struct conn *c, int64_t qid, const struct qitem_spec *s,
    int64_t now, int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int unique, attempts, rc;
	int64_t sla, deadline;
	char *payload;

	st = conn_stmt(c, "SELECT unique_refs, max_attempts, sla_ms FROM"
	    " queues WHERE id = ?");
	sqlite3_bind_int64(st, 1, qid);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return db_fail(c, err, errlen);
		snprintf(err, errlen, "no queue %lld", (long long)qid);
		return QUEUES_NOT_FOUND;
	}
	unique = sqlite3_column_int(st, 0);
	attempts = sqlite3_column_int(st, 1);
	sla = sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	if (s->reference != NULL && (*s->reference == '\0' ||
	    strlen(s->reference) > QUEUES_REF_MAX)) {
		snprintf(err, errlen, "reference: expected 1-%d bytes",
		    QUEUES_REF_MAX);
		return QUEUES_INVALID;
	}
	if (s->payload != NULL && !json_is_object(s->payload)) {
		snprintf(err, errlen, "payload: expected an object");
		return QUEUES_INVALID;
	}
	if (unique && s->reference != NULL) {
		st = conn_stmt(c, "SELECT id, state FROM queue_items WHERE"
		    " queue_id = ? AND ref_key = ?");
		sqlite3_bind_int64(st, 1, qid);
		bind_text(st, 2, s->reference);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*id = sqlite3_column_int64(st, 0);
			snprintf(err, errlen, "reference '%s' is already item "
			    "%lld (%s): refused", s->reference,
			    (long long)*id, col_text(st, 1));
			sqlite3_reset(st);
			return QUEUES_DUPLICATE;
		}
		sqlite3_reset(st);
	}
	deadline = s->deadline > 0 ? s->deadline : sla > 0 ? now + sla :
	    QUEUES_NO_DEADLINE;
	payload = s->payload ? dump(s->payload) : xstrdup("{}");
	st = conn_stmt(c, "INSERT INTO queue_items (queue_id, reference,"
	    " ref_key, priority, state, payload, max_attempts, not_before,"
	    " deadline, created_at, created_by, created_job, updated_at,"
	    " entered_at) VALUES (?1, ?2, ?3, ?4, 'new', ?5, ?6, ?7, ?8, ?7,"
	    " ?9, ?10, ?7, ?7)");
	sqlite3_bind_int64(st, 1, qid);
	bind_text(st, 2, s->reference);
	bind_text(st, 3, unique ? s->reference : NULL);
	sqlite3_bind_int(st, 4, s->priority);
	sqlite3_bind_text(st, 5, payload, -1, free);
	sqlite3_bind_int(st, 6, attempts);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_int64(st, 8, deadline);
	bind_text(st, 9, s->actor);
	if (s->job_id > 0)
		sqlite3_bind_int64(st, 10, s->job_id);
	if (conn_step(c, st, err, errlen) != 0)
		return QUEUES_ERROR;
	*id = conn_last_id(c);
	if ((rc = attach_files(c, *id, s, err, errlen)) != QUEUES_OK)
		return rc;
	return record(c, *id, -1, QS_NEW, s->actor, "added", now, err, errlen);
}

/* --- leases ---------------------------------------------------------------- */

static void
new_token(char out[QUEUES_TOKEN_LEN + 1])
{
	unsigned char rnd[QUEUES_TOKEN_LEN / 2];

	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(out, QUEUES_TOKEN_LEN + 1, rnd, sizeof rnd);
}

/* Lease item id (new) to t: its token into token. */
static int
lease_one(struct conn *c, int64_t id, int64_t ttl, const struct qtaker *t,
    int64_t now, char *token, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char *why;
	int rc;

	new_token(token);
	check_move(id, QS_NEW, QS_IN_PROGRESS);
	/* An item a job's run takes is held as long as the run is. */
	st = conn_stmt(c, "UPDATE queue_items SET state = 'in_progress',"
	    " attempt = attempt + 1, lease_token = ?2,"
	    " lease_expires = CASE WHEN ?6 IS NULL THEN ?3 + ?4 END,"
	    " lease_agent_id = ?5, lease_job_id = ?6, lease_run_id = ?7,"
	    " leased_at = ?3, updated_at = ?3, entered_at = ?3"
	    " WHERE id = ?1 AND state = 'new'");
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, token);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, ttl);
	if (t->agent_id > 0)
		sqlite3_bind_int64(st, 5, t->agent_id);
	if (t->job_id > 0) {
		sqlite3_bind_int64(st, 6, t->job_id);
		sqlite3_bind_int64(st, 7, t->run_id);
	}
	if (conn_step(c, st, err, errlen) != 0)
		return QUEUES_ERROR;
	why = t->job_id > 0 ? xasprintf("taken by job %lld run %lld (held "
	    "while the run is)", (long long)t->job_id, (long long)t->run_id) :
	    xasprintf("taken (lease of %lld ms)", (long long)ttl);
	rc = record(c, id, QS_NEW, QS_IN_PROGRESS, t->actor, why, now, err,
	    errlen);
	free(why);
	return rc;
}

int
queues_take(struct conn *c, int64_t qid, const struct qtaker *t, int max,
    int64_t now, json_t *out, queues_time_fn tf, void *targ, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int64_t ids[QUEUES_TAKE_MAX], ttl;
	char token[QUEUES_TOKEN_LEN + 1];
	json_t *item;
	int n = 0, i, rc;

	if (max < 1 || max > QUEUES_TAKE_MAX)
		max = 1;
	st = conn_stmt(c, "SELECT lease_ttl_ms FROM queues WHERE id = ?");
	sqlite3_bind_int64(st, 1, qid);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		snprintf(err, errlen, "no queue %lld", (long long)qid);
		return QUEUES_NOT_FOUND;
	}
	ttl = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	/*
	 * The partial index gives waiting items in the order they are
	 * taken, so the first rows that are due are the answer.
	 */
	st = conn_stmt(c, "SELECT id FROM queue_items INDEXED BY"
	    " queue_items_ready WHERE queue_id = ?1 AND state = 'new'"
	    " AND not_before <= ?2 ORDER BY priority DESC, deadline, id"
	    " LIMIT ?3");
	sqlite3_bind_int64(st, 1, qid);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (n == 0)
		return QUEUES_NONE;
	for (i = 0; i < n; i++) {
		if ((rc = lease_one(c, ids[i], ttl, t, now, token, err,
		    errlen)) != QUEUES_OK)
			return rc;
		if ((item = queues_item_json(c, ids[i], 0, tf, targ)) ==
		    NULL)
			return db_fail(c, err, errlen);
		json_object_set_new(item, "lease_token", json_string(token));
		json_object_set_new(item, "lease_ttl_ms", json_integer(ttl));
		json_array_append_new(out, item);
	}
	return QUEUES_OK;
}

/* The live lease of an item, as checked against a token. */
struct live {
	enum qstate	 state;
	int		 attempts_used;
	int		 max_attempts;
	int64_t		 ttl, retry_ms;
};

/* JOBS-like check: QUEUES_OK and *lv, QUEUES_NOT_FOUND or QUEUES_STALE. */
static int
check_lease(struct conn *c, int64_t id, const char *token, struct live *lv,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT i.state, i.lease_token,"
	    " i.attempts_used, i.max_attempts, q.lease_ttl_ms, q.retry_ms"
	    " FROM queue_items i JOIN queues q ON q.id = i.queue_id"
	    " WHERE i.id = ?");
	int rc, ok;

	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return db_fail(c, err, errlen);
		snprintf(err, errlen, "no queue item %lld", (long long)id);
		return QUEUES_NOT_FOUND;
	}
	if (qstate_parse(col_text(st, 0), &lv->state) != 0)
		abort();
	ok = lv->state == QS_IN_PROGRESS && token != NULL &&
	    strlen(token) == QUEUES_TOKEN_LEN &&
	    sqlite3_column_bytes(st, 1) == QUEUES_TOKEN_LEN &&
	    sodium_memcmp(col_text(st, 1), token, QUEUES_TOKEN_LEN) == 0;
	lv->attempts_used = sqlite3_column_int(st, 2);
	lv->max_attempts = sqlite3_column_int(st, 3);
	lv->ttl = sqlite3_column_int64(st, 4);
	lv->retry_ms = sqlite3_column_int64(st, 5);
	sqlite3_reset(st);
	if (!ok) {
		snprintf(err, errlen, "stale lease token for queue item %lld "
		    "(it is %s)", (long long)id, qstate_name(lv->state));
		return QUEUES_STALE;
	}
	return QUEUES_OK;
}

int
queues_heartbeat(struct conn *c, int64_t id, const char *token, int64_t now,
    char *err, size_t errlen)
{
	struct live lv;
	sqlite3_stmt *st;
	int rc;

	if ((rc = check_lease(c, id, token, &lv, err, errlen)) != QUEUES_OK)
		return rc;
	st = conn_stmt(c, "UPDATE queue_items SET lease_expires = ?2"
	    " WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now + lv.ttl);
	return conn_step(c, st, err, errlen) == 0 ? QUEUES_OK : QUEUES_ERROR;
}

/*
 * Whether the lease token ended the item's last lease with op: a call
 * repeated because its answer was lost is acknowledged, not refused.
 */
static int
ended_by(struct conn *c, int64_t id, const char *token, const char *op)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT 1 FROM queue_items WHERE"
	    " id = ? AND end_token = ? AND end_op = ?");
	int found;

	if (token == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, token);
	bind_text(st, 3, op);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

/* Record that token ended the lease with op. */
static int
mark_end(struct conn *c, int64_t id, const char *token, const char *op,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "UPDATE queue_items SET end_token = ?2,"
	    " end_op = ?3 WHERE id = ?1");

	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, token);
	bind_text(st, 3, op);
	return conn_step(c, st, err, errlen) == 0 ? QUEUES_OK : QUEUES_ERROR;
}

/*
 * Check the lease for op: QUEUES_OK to go on; QUEUES_OK with *duplicate
 * when this token already ended the lease so; else the refusal.
 */
static int
check_for(struct conn *c, int64_t id, const char *token, const char *op,
    struct live *lv, int *duplicate, char *err, size_t errlen)
{
	int rc = check_lease(c, id, token, lv, err, errlen);

	*duplicate = 0;
	if (rc == QUEUES_STALE && ended_by(c, id, token, op)) {
		*duplicate = 1;
		return QUEUES_OK;
	}
	return rc;
}

int
queues_done(struct conn *c, int64_t id, const char *token, json_t *output,
    const char *actor, int64_t now, int *duplicate, char *err, size_t errlen)
{
	struct live lv;
	sqlite3_stmt *st;
	int rc;

	if ((rc = check_for(c, id, token, "done", &lv, duplicate, err,
	    errlen)) != QUEUES_OK || *duplicate)
		return rc;
	st = conn_stmt(c, "UPDATE queue_items SET output = ?2, error = NULL,"
	    " exception = NULL WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	if (output != NULL)
		sqlite3_bind_text(st, 2, dump(output), -1, free);
	if (conn_step(c, st, err, errlen) != 0 ||
	    mark_end(c, id, token, "done", err, errlen) != QUEUES_OK)
		return QUEUES_ERROR;
	return queues_move(c, id, QS_IN_PROGRESS, QS_DONE, actor, "done", now,
	    err, errlen);
}

/*
 * After an attempt that did not do the item (already counted in used):
 * back to new after the backoff, or abandoned.
 */
static int
retry_or_abandon(struct conn *c, int64_t id, const struct live *lv, int used,
    int delay_ok, const char *why, const char *actor, int64_t now,
    enum qstate *to, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t delay = 0;
	char *reason;
	int i, rc;

	if (used >= lv->max_attempts) {
		*to = QS_ABANDONED;
		reason = xasprintf("%s; %d of %d attempts used", why, used,
		    lv->max_attempts);
	} else {
		*to = QS_NEW;
		if (delay_ok && lv->retry_ms > 0) {
			delay = lv->retry_ms;
			for (i = 1; i < used && delay < RETRY_MAX_MS; i++)
				delay *= 2;
			if (delay > RETRY_MAX_MS)
				delay = RETRY_MAX_MS;
		}
		reason = xasprintf("%s; attempt %d of %d next, in %lld ms", why,
		    used + 1, lv->max_attempts, (long long)delay);
	}
	st = conn_stmt(c, "UPDATE queue_items SET attempts_used = ?2,"
	    " not_before = ?3 WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, used);
	sqlite3_bind_int64(st, 3, now + delay);
	rc = conn_step(c, st, err, errlen) == 0 ? QUEUES_OK : QUEUES_ERROR;
	if (rc == QUEUES_OK)
		rc = queues_move(c, id, QS_IN_PROGRESS, *to, actor, reason, now,
		    err, errlen);
	free(reason);
	return rc;
}

int
queues_fail(struct conn *c, int64_t id, const char *token, enum qexc kind,
    const char *reason, const char *actor, int64_t now, enum qstate *to,
    char *err, size_t errlen)
{
	const char *op = kind == QEXC_BUSINESS ? "fail_business" :
	    "fail_application";
	struct live lv;
	sqlite3_stmt *st;
	char *why;
	int rc, dup;

	if ((rc = check_for(c, id, token, op, &lv, &dup, err, errlen)) !=
	    QUEUES_OK)
		return rc;
	if (dup) {
		*to = lv.state;
		return QUEUES_OK;
	}
	if (reason == NULL || *reason == '\0')
		reason = "no reason given";
	st = conn_stmt(c, "UPDATE queue_items SET error = ?2, exception = ?3"
	    " WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, reason);
	bind_text(st, 3, kind == QEXC_BUSINESS ? "business" : "application");
	if (conn_step(c, st, err, errlen) != 0 ||
	    mark_end(c, id, token, op, err, errlen) != QUEUES_OK)
		return QUEUES_ERROR;
	if (kind == QEXC_BUSINESS) {
		*to = QS_FAILED;
		why = xasprintf("business exception: %s", reason);
		rc = queues_move(c, id, QS_IN_PROGRESS, QS_FAILED, actor, why,
		    now, err, errlen);
	} else {
		why = xasprintf("application exception: %s", reason);
		rc = retry_or_abandon(c, id, &lv, lv.attempts_used + 1, 1, why,
		    actor, now, to, err, errlen);
	}
	free(why);
	return rc;
}

int
queues_release(struct conn *c, int64_t id, const char *token,
    const char *reason, const char *actor, int64_t now, char *err,
    size_t errlen)
{
	struct live lv;
	sqlite3_stmt *st;
	char *why;
	int rc, dup;

	if ((rc = check_for(c, id, token, "release", &lv, &dup, err,
	    errlen)) != QUEUES_OK || dup)
		return rc;
	/* Not an attempt: its count goes back. */
	st = conn_stmt(c, "UPDATE queue_items SET attempt = max(attempt - 1,"
	    " 0), not_before = ?2 WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if (conn_step(c, st, err, errlen) != 0 ||
	    mark_end(c, id, token, "release", err, errlen) != QUEUES_OK)
		return QUEUES_ERROR;
	why = xasprintf("handed back%s%s", reason ? ": " : "",
	    reason ? reason : "");
	rc = queues_move(c, id, QS_IN_PROGRESS, QS_NEW, actor, why, now, err,
	    errlen);
	free(why);
	return rc;
}

int
queues_to_review(struct conn *c, int64_t id, const char *token,
    json_t *review, int64_t run_id, const char *actor, int64_t now,
    char *err, size_t errlen)
{
	struct live lv;
	sqlite3_stmt *st;
	const char *why;
	int rc, dup;

	if ((rc = check_for(c, id, token, "review", &lv, &dup, err,
	    errlen)) != QUEUES_OK || dup)
		return rc;
	if (!json_is_object(review)) {
		snprintf(err, errlen, "review: expected an object");
		return QUEUES_INVALID;
	}
	st = conn_stmt(c, "UPDATE queue_items SET review = ?2,"
	    " review_run_id = ?3, review_values = NULL, reviewed_by = NULL,"
	    " reviewed_at = NULL, review_ms = 0 WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, dump(review), -1, free);
	if (run_id > 0)
		sqlite3_bind_int64(st, 3, run_id);
	if (conn_step(c, st, err, errlen) != 0 ||
	    mark_end(c, id, token, "review", err, errlen) != QUEUES_OK)
		return QUEUES_ERROR;
	why = json_string_value(json_object_get(review, "reason"));
	return queues_move(c, id, QS_IN_PROGRESS, QS_NEEDS_REVIEW, actor,
	    why ? why : "sent to review", now, err, errlen);
}

int
queues_expire(struct conn *c, int64_t now, int *expired, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	struct live lv;
	enum qstate to;
	int64_t *ids = NULL;
	int *lost = NULL;
	size_t n = 0, i;
	int rc = QUEUES_OK, count = 0;

	/*
	 * Collect first: the moves below change the rows scanned.  An item
	 * taken by a job's run is held while the job holds that run (the
	 * job's heartbeats renew both) and lost as soon as it does not.
	 */
	st = conn_stmt(c, "SELECT i.id, i.lease_job_id IS NULL FROM queue_items"
	    " i WHERE i.state = 'in_progress' AND ((i.lease_job_id IS NULL AND"
	    " i.lease_expires <= ?1) OR (i.lease_job_id IS NOT NULL AND"
	    " NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = i.lease_job_id"
	    " AND j.run_id = i.lease_run_id AND j.state IN ('leased',"
	    " 'running'))))");
	sqlite3_bind_int64(st, 1, now);
	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		lost = xreallocarray(lost, n + 1, sizeof *lost);
		ids[n] = sqlite3_column_int64(st, 0);
		lost[n++] = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	for (i = 0; i < n && rc == QUEUES_OK; i++) {
		st = conn_stmt(c, "SELECT i.attempts_used, i.max_attempts,"
		    " q.retry_ms FROM queue_items i JOIN queues q ON"
		    " q.id = i.queue_id WHERE i.id = ?");
		sqlite3_bind_int64(st, 1, ids[i]);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			continue;
		}
		lv.state = QS_IN_PROGRESS;
		lv.attempts_used = sqlite3_column_int(st, 0);
		lv.max_attempts = sqlite3_column_int(st, 1);
		lv.retry_ms = sqlite3_column_int64(st, 2);
		sqlite3_reset(st);
		rc = retry_or_abandon(c, ids[i], &lv, lv.attempts_used + 1, 0,
		    lost[i] ? "the lease expired" : "the job that took it "
		    "ended or lost its lease", "scheduler", now, &to, err,
		    errlen);
		count++;
	}
	free(ids);
	free(lost);
	if (expired != NULL)
		*expired = count;
	return rc;
}

int
queues_extend_leases(struct conn *c, int64_t now, int64_t ttl_ms)
{
	sqlite3_stmt *st = conn_stmt(c, "UPDATE queue_items SET"
	    " lease_expires = ?1 WHERE state = 'in_progress'"
	    " AND lease_expires < ?1 AND lease_job_id IS NULL");

	sqlite3_bind_int64(st, 1, now + ttl_ms);
	return conn_step(c, st, NULL, 0) == 0 ? QUEUES_OK : QUEUES_ERROR;
}

/* The state of item id: QUEUES_OK, or QUEUES_NOT_FOUND with a message. */
int
queues_item_state(struct conn *c, int64_t id, enum qstate *s, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT state FROM queue_items"
	    " WHERE id = ?");
	int rc;

	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return db_fail(c, err, errlen);
		snprintf(err, errlen, "no queue item %lld", (long long)id);
		return QUEUES_NOT_FOUND;
	}
	if (qstate_parse(col_text(st, 0), s) != 0)
		abort();
	sqlite3_reset(st);
	return QUEUES_OK;
}

int
queues_retry(struct conn *c, int64_t id, const char *actor,
    const char *reason, int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	enum qstate s;
	char *why;
	int rc;

	if ((rc = queues_item_state(c, id, &s, err, errlen)) != QUEUES_OK)
		return rc;
	if (s != QS_FAILED && s != QS_ABANDONED) {
		snprintf(err, errlen, "queue item %lld is %s; only failed and "
		    "abandoned items are retried", (long long)id,
		    qstate_name(s));
		return QUEUES_CONFLICT;
	}
	/* A fresh set of attempts. */
	st = conn_stmt(c, "UPDATE queue_items SET attempts_used = 0,"
	    " not_before = ?2 WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if (conn_step(c, st, err, errlen) != 0)
		return QUEUES_ERROR;
	why = xasprintf("retried%s%s", reason ? ": " : "", reason ? reason :
	    "");
	rc = queues_move(c, id, s, QS_NEW, actor, why, now, err, errlen);
	free(why);
	return rc;
}

/* --- reading ------------------------------------------------------------- */

/* A time for an answer: the caller's format, else milliseconds. */
static json_t *
tjson(queues_time_fn tf, void *targ, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	if (tf == NULL)
		return json_integer(sqlite3_column_int64(st, col));
	return tf(targ, sqlite3_column_int64(st, col));
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
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null() :
	    json_string(col_text(st, col));
}

/* The columns every item answer shows, and how (see item_row). */
#define ITEM_COLS \
	"i.id, q.name, i.reference, i.state, i.priority, i.deadline," \
	" i.payload, i.output, i.error, i.exception, i.attempt," \
	" i.attempts_used, i.max_attempts, i.created_at, i.created_by," \
	" i.updated_at, i.entered_at, i.lease_expires, i.review," \
	" i.review_values, i.reviewed_by, i.reviewed_at, i.review_ms," \
	" i.lock_user, i.lock_until, i.not_before, q.department," \
	" i.review_run_id"

static json_t *
item_row(sqlite3_stmt *st, int with_payload, queues_time_fn tf, void *targ)
{
	json_t *o = json_object(), *rv;

	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(o, "queue", col_str(st, 1));
	json_object_set_new(o, "department", col_str(st, 26));
	json_object_set_new(o, "reference", col_str(st, 2));
	json_object_set_new(o, "state", col_str(st, 3));
	json_object_set_new(o, "priority", json_integer(sqlite3_column_int(st,
	    4)));
	json_object_set_new(o, "deadline", sqlite3_column_int64(st, 5) ==
	    QUEUES_NO_DEADLINE ? json_null() : tjson(tf, targ, st, 5));
	if (with_payload) {
		json_object_set_new(o, "payload", col_json(st, 6));
		json_object_set_new(o, "output", col_json(st, 7));
	}
	json_object_set_new(o, "error", col_str(st, 8));
	json_object_set_new(o, "exception", col_str(st, 9));
	json_object_set_new(o, "attempt", json_integer(sqlite3_column_int(st,
	    10)));
	json_object_set_new(o, "attempts_used",
	    json_integer(sqlite3_column_int(st, 11)));
	json_object_set_new(o, "max_attempts",
	    json_integer(sqlite3_column_int(st, 12)));
	json_object_set_new(o, "created_at", tjson(tf, targ, st, 13));
	json_object_set_new(o, "created_by", col_str(st, 14));
	json_object_set_new(o, "updated_at", tjson(tf, targ, st, 15));
	json_object_set_new(o, "entered_at", tjson(tf, targ, st, 16));
	json_object_set_new(o, "lease_expires", tjson(tf, targ, st, 17));
	json_object_set_new(o, "not_before", tjson(tf, targ, st, 25));
	if (with_payload)
		json_object_set_new(o, "review", col_json(st, 18));
	if (sqlite3_column_type(st, 21) != SQLITE_NULL) {
		rv = json_pack("{s:o, s:o, s:o, s:f}", "values",
		    col_json(st, 19), "by", col_str(st, 20), "at",
		    tjson(tf, targ, st, 21), "minutes",
		    (double)sqlite3_column_int64(st, 22) / 60000.0);
		json_object_set_new(o, "reviewed", rv);
	} else
		json_object_set_new(o, "reviewed", json_null());
	json_object_set_new(o, "review_run_id",
	    sqlite3_column_type(st, 27) == SQLITE_NULL ? json_null() :
	    json_integer(sqlite3_column_int64(st, 27)));
	json_object_set_new(o, "locked_by", col_str(st, 23));
	json_object_set_new(o, "locked_until", tjson(tf, targ, st, 24));
	return o;
}

static json_t *
item_files(struct conn *c, int64_t id)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT i.name, f.size, f.content_type,"
	    " f.sha256 FROM queue_item_files i JOIN queue_files f"
	    " ON f.sha256 = i.sha256 WHERE i.item_id = ? ORDER BY i.name");
	json_t *a = json_array();

	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:s, s:I, s:s, s:s}",
		    "name", col_text(st, 0), "size",
		    (json_int_t)sqlite3_column_int64(st, 1), "content_type",
		    col_text(st, 2), "sha256", col_text(st, 3)));
	sqlite3_reset(st);
	return a;
}

static json_t *
item_transitions(struct conn *c, int64_t id, queues_time_fn tf, void *targ)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT from_state, to_state, at,"
	    " actor, reason FROM queue_item_transitions WHERE item_id = ?"
	    " ORDER BY id");
	json_t *a = json_array();

	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:o, s:o}",
		    "from", col_str(st, 0), "to", col_str(st, 1), "at",
		    tjson(tf, targ, st, 2), "actor", col_str(st, 3), "reason",
		    col_str(st, 4)));
	sqlite3_reset(st);
	return a;
}

json_t *
queues_item_json(struct conn *c, int64_t id, int full, queues_time_fn tf,
    void *targ)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT " ITEM_COLS " FROM queue_items"
	    " i JOIN queues q ON q.id = i.queue_id WHERE i.id = ?");
	json_t *o = NULL;

	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = item_row(st, 1, tf, targ);
	sqlite3_reset(st);
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "files", item_files(c, id));
	if (full)
		json_object_set_new(o, "transitions", item_transitions(c, id,
		    tf, targ));
	return o;
}

int
queues_item_queue(struct conn *c, int64_t id, char *name, size_t namelen,
    char *dept, size_t deptlen)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT q.name, q.department FROM"
	    " queue_items i JOIN queues q ON q.id = i.queue_id WHERE i.id = ?");
	int rc = QUEUES_NOT_FOUND;

	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(name, namelen, "%s", col_text(st, 0));
		snprintf(dept, deptlen, "%s", col_text(st, 1));
		rc = QUEUES_OK;
	}
	sqlite3_reset(st);
	return rc;
}

/* Whether an item row's state is among the filter's. */
static int
state_wanted(unsigned states, const char *name)
{
	enum qstate s;

	return states == 0 || (qstate_parse(name, &s) == 0 &&
	    (states & B(s)));
}

json_t *
queues_items(struct conn *c, int64_t qid, const struct qfilter *f,
    queues_time_fn tf, void *targ)
{
	sqlite3_stmt *st;
	json_t *items = json_array();
	int64_t last = 0;
	int limit = f->limit > 0 ? f->limit : 100, n = 0, more = 0;

	/* Newest first, by id; the state test on the rows read. */
	st = conn_stmt(c, "SELECT " ITEM_COLS " FROM queue_items i"
	    " JOIN queues q ON q.id = i.queue_id WHERE i.queue_id = ?1"
	    " AND i.id < ?2 AND (?3 IS NULL OR i.reference = ?3)"
	    " ORDER BY i.id DESC");
	sqlite3_bind_int64(st, 1, qid);
	sqlite3_bind_int64(st, 2, f->before > 0 ? f->before : INT64_MAX);
	bind_text(st, 3, f->reference);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (!state_wanted(f->states, col_text(st, 3)))
			continue;
		if (n == limit) {
			more = 1;
			break;
		}
		last = sqlite3_column_int64(st, 0);
		json_array_append_new(items, item_row(st, 0, tf, targ));
		n++;
	}
	sqlite3_reset(st);
	return json_pack("{s:o, s:o}", "items", items, "next_before",
	    more ? json_integer(last) : json_null());
}

/* The figures of queue qid: counts by state, oldest waiting, SLA. */
static void
queue_figures(struct conn *c, int64_t qid, int64_t now, json_t *o)
{
	sqlite3_stmt *st;
	json_t *counts = json_object();
	int i;

	for (i = 0; i < QS_NSTATES; i++)
		json_object_set_new(counts, state_names[i], json_integer(0));
	st = conn_stmt(c, "SELECT state, count(*) FROM queue_items"
	    " WHERE queue_id = ? GROUP BY state");
	sqlite3_bind_int64(st, 1, qid);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(counts, col_text(st, 0),
		    json_integer(sqlite3_column_int64(st, 1)));
	sqlite3_reset(st);
	json_object_set_new(o, "counts", counts);
	/* The oldest waiting is the first by id: one row of the index. */
	st = conn_stmt(c, "SELECT created_at FROM queue_items"
	    " WHERE queue_id = ? AND state = 'new' ORDER BY id LIMIT 1");
	sqlite3_bind_int64(st, 1, qid);
	json_object_set_new(o, "oldest_new_ms", sqlite3_step(st) ==
	    SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ?
	    json_integer(now - sqlite3_column_int64(st, 0)) : json_null());
	sqlite3_reset(st);
	st = conn_stmt(c, "SELECT min(entered_at) FROM queue_items"
	    " WHERE queue_id = ? AND state = 'needs_review'");
	sqlite3_bind_int64(st, 1, qid);
	json_object_set_new(o, "oldest_review_ms", sqlite3_step(st) ==
	    SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ?
	    json_integer(now - sqlite3_column_int64(st, 0)) : json_null());
	sqlite3_reset(st);
	st = conn_stmt(c, "SELECT count(*) FROM queue_items INDEXED BY"
	    " queue_items_sla WHERE deadline < ?2 AND state IN ('new',"
	    " 'in_progress', 'needs_review', 'reviewed') AND queue_id = ?1");
	sqlite3_bind_int64(st, 1, qid);
	sqlite3_bind_int64(st, 2, now);
	json_object_set_new(o, "sla_breached", json_integer(sqlite3_step(st) ==
	    SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0));
	sqlite3_reset(st);
}

#define QUEUE_COLS \
	"id, name, title, department, unique_refs, max_attempts," \
	" lease_ttl_ms, retry_ms, sla_ms, file_max, trigger_script," \
	" trigger_max, trigger_params, origin, created_at, updated_at"

static json_t *
queue_row(struct conn *c, sqlite3_stmt *st, int64_t now, queues_time_fn tf,
    void *targ)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", col_str(st, 1));
	json_object_set_new(o, "title", col_str(st, 2));
	json_object_set_new(o, "department", col_str(st, 3));
	json_object_set_new(o, "unique_references",
	    json_boolean(sqlite3_column_int(st, 4)));
	json_object_set_new(o, "on_duplicate", json_string("refuse"));
	json_object_set_new(o, "max_attempts",
	    json_integer(sqlite3_column_int(st, 5)));
	json_object_set_new(o, "lease_ttl_ms",
	    json_integer(sqlite3_column_int64(st, 6)));
	json_object_set_new(o, "retry_ms",
	    json_integer(sqlite3_column_int64(st, 7)));
	json_object_set_new(o, "sla_ms",
	    json_integer(sqlite3_column_int64(st, 8)));
	json_object_set_new(o, "file_max",
	    json_integer(sqlite3_column_int64(st, 9)));
	json_object_set_new(o, "trigger", sqlite3_column_type(st, 10) ==
	    SQLITE_NULL ? json_null() : json_pack("{s:o, s:i, s:o}", "script",
	    col_str(st, 10), "max_running", sqlite3_column_int(st, 11),
	    "params", col_json(st, 12)));
	json_object_set_new(o, "origin", col_str(st, 13));
	json_object_set_new(o, "created_at", tjson(tf, targ, st, 14));
	json_object_set_new(o, "updated_at", tjson(tf, targ, st, 15));
	queue_figures(c, sqlite3_column_int64(st, 0), now, o);
	return o;
}

json_t *
queues_list(struct conn *c, const char *depts, int64_t now, queues_time_fn tf,
    void *targ)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT " QUEUE_COLS " FROM queues"
	    " WHERE ?1 IS NULL OR department IN (SELECT value FROM"
	    " json_each(?1)) ORDER BY name");
	json_t *a = json_array();

	bind_text(st, 1, depts);
	/* queue_figures steps statements of its own beside this one. */
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, queue_row(c, st, now, tf, targ));
	sqlite3_reset(st);
	return json_pack("{s:o}", "queues", a);
}

json_t *
queues_get(struct conn *c, const char *name, int64_t now, queues_time_fn tf,
    void *targ)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT " QUEUE_COLS " FROM queues"
	    " WHERE name = ?");
	json_t *o = NULL;

	bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = queue_row(c, st, now, tf, targ);
	sqlite3_reset(st);
	return o;
}

int
queues_export(struct conn *c, int64_t qid, unsigned states,
    int (*fn)(void *arg, json_t *item), void *arg, queues_time_fn tf,
    void *targ)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT " ITEM_COLS " FROM queue_items"
	    " i JOIN queues q ON q.id = i.queue_id WHERE i.queue_id = ?"
	    " ORDER BY i.id");
	json_t *o;
	int stop = 0;

	sqlite3_bind_int64(st, 1, qid);
	while (!stop && sqlite3_step(st) == SQLITE_ROW) {
		if (!state_wanted(states, col_text(st, 3)))
			continue;
		o = item_row(st, 1, tf, targ);
		json_object_set_new(o, "files", item_files(c,
		    sqlite3_column_int64(st, 0)));
		stop = fn(arg, o);
		json_decref(o);
	}
	sqlite3_reset(st);
	return stop ? -1 : 0;
}

int
queues_trigger_due(struct conn *c, int64_t qid, int64_t now, json_t *out)
{
	/*
	 * Running jobs first: the items waiting are counted only as far as
	 * the free places go, so a queue of a hundred thousand costs a
	 * few rows of its index, not all of them.
	 */
	sqlite3_stmt *st = conn_stmt(c, "SELECT q.name, q.trigger_script,"
	    " q.trigger_params, q.id, q.trigger_max - (SELECT count(*) FROM"
	    " jobs j WHERE j.state IN ('queued', 'leased', 'running',"
	    " 'retrying') AND j.triggered_by = 'queue:' || q.name)"
	    " FROM queues q WHERE q.trigger_script IS NOT NULL"
	    " AND (?1 = 0 OR q.id = ?1)");
	sqlite3_stmt *cnt;
	int64_t waiting, free, start;

	sqlite3_bind_int64(st, 1, qid);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if ((free = sqlite3_column_int64(st, 4)) <= 0)
			continue;
		cnt = conn_stmt(c, "SELECT count(*) FROM (SELECT 1 FROM"
		    " queue_items INDEXED BY queue_items_ready WHERE"
		    " queue_id = ?1 AND state = 'new' AND not_before <= ?2"
		    " LIMIT ?3)");
		sqlite3_bind_int64(cnt, 1, sqlite3_column_int64(st, 3));
		sqlite3_bind_int64(cnt, 2, now);
		sqlite3_bind_int64(cnt, 3, free);
		waiting = sqlite3_step(cnt) == SQLITE_ROW ?
		    sqlite3_column_int64(cnt, 0) : 0;
		sqlite3_reset(cnt);
		start = free < waiting ? free : waiting;
		if (start <= 0)
			continue;
		json_array_append_new(out, json_pack("{s:s, s:s, s:o, s:I}",
		    "queue", col_text(st, 0), "script", col_text(st, 1),
		    "params", col_json(st, 2), "start", (json_int_t)start));
	}
	sqlite3_reset(st);
	return 0;
}

int
queues_purge_files(struct conn *c, int64_t before, int *deleted)
{
	sqlite3_stmt *st = conn_stmt(c, "DELETE FROM queue_files WHERE"
	    " created_at < ? AND NOT EXISTS (SELECT 1 FROM queue_item_files i"
	    " WHERE i.sha256 = queue_files.sha256)");

	sqlite3_bind_int64(st, 1, before);
	if (conn_step(c, st, NULL, 0) != 0)
		return QUEUES_ERROR;
	*deleted = conn_changes(c);
	return QUEUES_OK;
}
