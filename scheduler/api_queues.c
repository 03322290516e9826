/*
 * api_queues.c - work queues over HTTP (see api_queues.h and docs/api.md).
 *
 * A queue belongs to a department (perm.h): its engineers manage it, its
 * operators add, retry and review items, its viewers read them - the
 * route table checks the role on the queue or item a path names before a
 * handler runs.  Running jobs add, take and finish items with their job's
 * lease token, in queues of their own department's branch of the tree;
 * an item taken carries a lease token of its own, which every call about
 * it must present (409 when it is stale).  Every change is one durable
 * write with its audit row, and every move of an item is recorded with
 * who made it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_agents.h"
#include "api_artifacts.h"
#include "api_audit.h"
#include "api_queues.h"
#include "api_runs.h"
#include "review.h"
#include "textutil.h"
#include "timeutil.h"
#include "triggers.h"
#include "xmalloc.h"

/* --- helpers ---------------------------------------------------------- */

int
api_queues_status(int rc)
{
	static const struct {
		int	rc;
		int	status;
	} map[] = {
		{ QUEUES_NOT_FOUND, MHD_HTTP_NOT_FOUND },
		{ QUEUES_STALE, MHD_HTTP_CONFLICT },
		{ QUEUES_CONFLICT, MHD_HTTP_CONFLICT },
		{ QUEUES_DUPLICATE, MHD_HTTP_CONFLICT },
		{ QUEUES_LOCKED, MHD_HTTP_LOCKED },
		{ QUEUES_INVALID, MHD_HTTP_BAD_REQUEST },
		{ QUEUES_TOO_LARGE, MHD_HTTP_CONTENT_TOO_LARGE },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].rc == rc)
			return map[i].status;
	return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

void
api_reply_queues_error(struct req *r, int rc, const char *err)
{
	api_reply_error(r, api_queues_status(rc), "%s", err);
}

json_t *
api_queues_time(void *tf, int64_t ms)
{
	return tfmt_json(tf, ms);
}

/* "new,failed" into bits; 0, or -1 with a 400 naming the state. */
static int
parse_states(struct req *r, const char *v, unsigned *bits)
{
	const char *p, *comma;
	enum qstate s;
	char one[32];

	*bits = 0;
	for (p = v; p != NULL; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		snprintf(one, sizeof one, "%.*s", comma ? (int)(comma - p) :
		    (int)strlen(p), p);
		if (qstate_parse(one, &s) != 0) {
			api_reply_error(r, MHD_HTTP_BAD_REQUEST, "state: unknown "
			    "state '%s' (new, in_progress, done, failed, "
			    "needs_review, reviewed, abandoned)", one);
			return -1;
		}
		*bits |= 1u << s;
	}
	return 0;
}

/* Who made a change: a person, or an agent and the job it runs. */
static char *
actor(const struct req *r, int64_t job, int64_t run)
{
	if (r->who.role != ROLE_AGENT)
		return xasprintf("user:%s", r->who.name);
	if (job > 0)
		return xasprintf("agent:%s job %lld run %lld", r->who.name,
		    (long long)job, (long long)run);
	return xasprintf("agent:%s", r->who.name);
}

/* A department's path in the tree ("財政局/経理部/会計課"), or its code. */
static json_t *
dept_path(struct api *a, const char *code)
{
	int i = a->kpi != NULL && *code ? kpi_dept_find(a->kpi, code) : -1;

	return json_string(i >= 0 ? a->kpi->depts[i].path : code);
}

void
api_queues_paths(struct api *a, json_t *v)
{
	json_t *o;
	size_t i;

	if (json_is_object(v)) {
		json_object_set_new(v, "department_path", dept_path(a,
		    json_string_value(json_object_get(v, "department")) ?
		    json_string_value(json_object_get(v, "department")) : ""));
		return;
	}
	json_array_foreach(v, i, o)
		api_queues_paths(a, o);
}

/*
 * The job of a job route and its live run, and that the job may use the
 * queue: a job of a department works the queues of its branch of the
 * tree (its own, above or below it), a job of no department any.  0, or
 * -1 with the reply.
 */
static int
job_run(struct conn *c, struct api *a, struct req *r, int64_t job,
    const char *token, const char *qdept, int64_t *run)
{
	sqlite3_stmt *st;
	char err[256], jdept[PERM_DEPT_MAX];
	int rc;

	if ((rc = jobs_check_lease(c, job, token, err, sizeof err)) !=
	    JOBS_OK) {
		api_reply_jobs_error(r, rc, err);
		return -1;
	}
	st = conn_stmt(c, "SELECT run_id, coalesce(department, '') FROM jobs"
	    " WHERE id = ?");
	sqlite3_bind_int64(st, 1, job);
	*run = 0;
	jdept[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW) {
		*run = sqlite3_column_int64(st, 0);
		perm_dept_code(a->kpi, col_text(st, 1), jdept, sizeof jdept);
	}
	sqlite3_reset(st);
	if (qdept != NULL && *jdept && !perm_dept_under(a->kpi, jdept, qdept) &&
	    !perm_dept_under(a->kpi, qdept, jdept)) {
		api_reply_error(r, MHD_HTTP_FORBIDDEN, "job %lld runs for %s; "
		    "the queue belongs to %s, another branch of the tree",
		    (long long)job, jdept, qdept);
		return -1;
	}
	return 0;
}

/* A queue by name in a write: its id and department, or a 404 reply. */
static int
find_queue(struct conn *c, struct req *r, const char *name, int64_t *id,
    char *dept, size_t len)
{
	char err[256];
	int rc = queues_find(c, name, id, dept, len, err, sizeof err);

	if (rc != QUEUES_OK) {
		api_reply_queues_error(r, rc, err);
		return -1;
	}
	return 0;
}

/* --- queue triggers ------------------------------------------------------- */

struct trigw {
	struct api	*a;
	int		 started;
};

static int
trig_write(struct conn *c, void *p)
{
	struct trigw *w = p;

	return triggers_queue_tick(c, w->a->sc, &w->a->cfg.jobs, 0,
	    time_wall_ms(), &w->started);
}

int
api_queue_triggers(struct api *a)
{
	struct trigw w = { a, 0 };

	if (store_write(a->st, trig_write, &w, NULL, 0) != 0)
		return 0;
	if (w.started > 0) {
		ADD(a->m.triggered, (uint64_t)w.started);
		api_wake(a, NULL, -1);
	}
	return w.started;
}

/* --- queues ----------------------------------------------------------------- */

struct listq {
	struct api	*a;
	const char	*name;
	const char	*depts;
	json_t		*out;
};

static int
queues_read(struct conn *c, void *p)
{
	struct listq *q = p;

	q->out = q->name ? queues_get(c, q->name, time_wall_ms(),
	    api_queues_time, (void *)q->a->tf) : queues_list(c, q->depts,
	    time_wall_ms(), api_queues_time, (void *)q->a->tf);
	return 0;
}

enum hres
api_h_queues(struct api *a, struct req *r)
{
	struct listq q = { a, NULL, NULL, NULL };
	char *depts = api_perm_depts(a, r, ROLE_VIEWER);

	q.depts = depts;
	store_read(a->st, queues_read, &q);
	free(depts);
	api_queues_paths(a, json_object_get(q.out, "queues"));
	api_reply_json(r, MHD_HTTP_OK, q.out);
	return H_DONE;
}

enum hres
api_h_queue(struct api *a, struct req *r)
{
	struct listq q = { a, r->args[0], NULL, NULL };

	store_read(a->st, queues_read, &q);
	if (q.out == NULL) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no queue '%s'",
		    r->args[0]);
		return H_DONE;
	}
	api_queues_paths(a, q.out);
	api_reply_json(r, MHD_HTTP_OK, q.out);
	return H_DONE;
}

struct putw {
	struct queue_def d;
	char		 dept[PERM_DEPT_MAX];
};

static int
queue_put_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct putw *w = p;
	char err[256], old[256];
	int64_t id;
	int created, rc;

	/* A queue that moves needs its engineers on both sides. */
	if (queues_find(c, w->d.name, &id, old, sizeof old, err,
	    sizeof err) == QUEUES_OK && strcmp(old, w->d.department) != 0 &&
	    api_perm_need(a, r, old, ROLE_ENGINEER, "queue", w->d.name) != 0)
		return -1;
	rc = queues_put(c, &w->d, time_wall_ms(), &created, err, sizeof err);
	if (rc != QUEUES_OK) {
		api_reply_queues_error(r, rc, err);
		return -1;
	}
	api_reply_json(r, created ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    queues_get(c, w->d.name, time_wall_ms(), api_queues_time,
	    (void *)a->tf));
	return 0;
}

enum hres
api_h_queue_put(struct api *a, struct req *r)
{
	struct putw w;
	json_int_t att, ttl, retry, sla, fmax, tmax;
	json_t *trig, *unique, *params = NULL;
	const char *script = NULL;

	queue_def_defaults(&w.d);
	w.d.name = r->args[0];
	if (api_in_str(r, "title", 0, 200, &w.d.title) != 0 ||
	    api_in_str(r, "department", 1, 200, &w.d.department) != 0 ||
	    api_in_int(r, "max_attempts", 1, 100, 3, &att) != 0 ||
	    api_in_int(r, "lease_ttl_ms", 1000, 86400000, 300000, &ttl) != 0 ||
	    api_in_int(r, "retry_ms", 0, 86400000, 10000, &retry) != 0 ||
	    api_in_int(r, "sla_minutes", 0, 525600, 0, &sla) != 0 ||
	    api_in_int(r, "file_max", 1, (json_int_t)a->cfg.artifact_max,
	    (json_int_t)a->cfg.artifact_max, &fmax) != 0)
		goto refused;
	unique = json_object_get(r->in, "unique_references");
	if (unique != NULL && !json_is_boolean(unique)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "unique_references: "
		    "expected true or false");
		goto refused;
	}
	trig = json_object_get(r->in, "trigger");
	tmax = 1;
	if (trig != NULL && !json_is_null(trig)) {
		script = json_string_value(json_object_get(trig, "script"));
		params = json_object_get(trig, "params");
		tmax = json_is_integer(json_object_get(trig, "max_running")) ?
		    json_integer_value(json_object_get(trig, "max_running")) :
		    json_object_get(trig, "max_running") ? -1 : 1;
		if (!json_is_object(trig) || script == NULL ||
		    (params != NULL && !json_is_object(params)) || tmax < 1 ||
		    tmax > 1000) {
			api_reply_error(r, MHD_HTTP_BAD_REQUEST, "trigger: "
			    "expected {script, max_running (1-1000), params "
			    "(an object)}");
			goto refused;
		}
	}
	perm_dept_code(a->kpi, w.d.department, w.dept, sizeof w.dept);
	if (api_perm_need(a, r, w.dept, ROLE_ENGINEER, "queue", w.d.name) !=
	    0)
		goto refused;
	w.d.department = w.dept;
	w.d.unique_refs = unique == NULL || json_is_true(unique);
	w.d.max_attempts = (int)att;
	w.d.lease_ttl_ms = ttl;
	w.d.retry_ms = retry;
	w.d.sla_ms = sla * 60000;
	w.d.file_max = fmax;
	w.d.trigger_script = script;
	w.d.trigger_max = (int)tmax;
	w.d.trigger_params = params;
	r->detail = json_pack("{s:s, s:s, s:s?}", "queue", w.d.name,
	    "department", w.d.department, "trigger", script);
	api_write_audited(a, r, queue_put_write, &w);
	if (r->status == MHD_HTTP_OK || r->status == MHD_HTTP_CREATED)
		api_queue_triggers(a);
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

static int
queue_delete_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	char err[256];
	int rc;

	(void)a;
	(void)p;
	if ((rc = queues_delete(c, r->args[0], err, sizeof err)) !=
	    QUEUES_OK) {
		api_reply_queues_error(r, rc, err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "deleted",
	    r->args[0]));
	return 0;
}

enum hres
api_h_queue_delete(struct api *a, struct req *r)
{
	r->detail = json_pack("{s:s}", "queue", r->args[0]);
	api_write_audited(a, r, queue_delete_write, NULL);
	return H_DONE;
}

/* --- reading items ------------------------------------------------------------ */

struct itemsq {
	struct api	*a;
	struct req	*r;
	struct qfilter	 f;
	int64_t		 id;
	int		 status;
	json_t		*out;
};

static int
items_read(struct conn *c, void *p)
{
	struct itemsq *q = p;
	char dept[256], err[256];
	int64_t qid;

	if (queues_find(c, q->r->args[0], &qid, dept, sizeof dept, err,
	    sizeof err) != QUEUES_OK) {
		q->status = MHD_HTTP_NOT_FOUND;
		return 0;
	}
	q->out = queues_items(c, qid, &q->f, api_queues_time,
	    (void *)q->a->tf);
	q->status = MHD_HTTP_OK;
	return 0;
}

enum hres
api_h_queue_items(struct api *a, struct req *r)
{
	struct itemsq q;
	const char *v;

	memset(&q, 0, sizeof q);
	q.a = a;
	q.r = r;
	if ((v = api_query_arg(r, "state")) != NULL &&
	    parse_states(r, v, &q.f.states) != 0)
		return H_DONE;
	if ((v = api_query_arg(r, "limit")) != NULL &&
	    ((q.f.limit = (int)text_parse_id(v)) == 0 || q.f.limit > 1000)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "limit: expected 1-1000");
		return H_DONE;
	}
	if ((v = api_query_arg(r, "before")) != NULL &&
	    (q.f.before = text_parse_id(v)) == 0) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "before: expected an id");
		return H_DONE;
	}
	q.f.reference = api_query_arg(r, "reference");
	store_read(a->st, items_read, &q);
	if (q.status == MHD_HTTP_NOT_FOUND)
		api_reply_error(r, q.status, "no queue '%s'", r->args[0]);
	else
		api_reply_json(r, MHD_HTTP_OK, q.out);
	return H_DONE;
}

static int
item_read(struct conn *c, void *p)
{
	struct itemsq *q = p;

	q->out = queues_item_json(c, q->id, 1, api_queues_time,
	    (void *)q->a->tf);
	return 0;
}

enum hres
api_h_item(struct api *a, struct req *r)
{
	struct itemsq q;

	memset(&q, 0, sizeof q);
	q.a = a;
	q.r = r;
	q.id = text_parse_id(r->args[0]);
	store_read(a->st, item_read, &q);
	if (q.out == NULL)
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no queue item '%s'",
		    r->args[0]);
	else
		api_reply_json(r, MHD_HTTP_OK, q.out);
	return H_DONE;
}

struct fileq {
	int64_t		 item;
	const char	*name;
	char		*data;
	size_t		 len;
	char		*ctype;
	int		 rc;
	char		 err[256];
};

static int
file_read(struct conn *c, void *p)
{
	struct fileq *q = p;

	q->rc = queues_file_get(c, q->item, q->name, &q->data, &q->len,
	    &q->ctype, q->err, sizeof q->err);
	return 0;
}

/*
 * Send a stored file as artifacts are sent: only raster images show in
 * the page (the review station's scan); anything else is a download that
 * cannot run here.
 */
static void
reply_file(struct req *r, struct fileq *q)
{
	r->status = MHD_HTTP_OK;
	r->raw = q->data;
	r->rawlen = q->len;
	r->ctype = q->ctype;
	api_file_disposition(r, q->name, q->ctype);
}

enum hres
api_h_item_file(struct api *a, struct req *r)
{
	struct fileq q;

	memset(&q, 0, sizeof q);
	q.item = text_parse_id(r->args[0]);
	q.name = r->args[1];
	store_read(a->st, file_read, &q);
	if (q.rc != QUEUES_OK) {
		api_reply_queues_error(r, q.rc, q.err);
		return H_DONE;
	}
	reply_file(r, &q);
	return H_DONE;
}

/* --- export ---------------------------------------------------------------------- */

struct exportq {
	struct req	*r;
	const struct tfmt *tf;
	unsigned	 states;
	int		 csv;
	struct buf	 b;
	int		 status;
	int		 full;
};

/* A CSV cell: quoted, "" for ", a leading = + - @ made text. */
static void
csv_cell(struct buf *b, const char *s, int last)
{
	buf_putc(b, '"');
	if (s != NULL && strchr("=+-@", s[0]) != NULL && s[0] != '\0')
		buf_putc(b, '\'');
	for (; s != NULL && *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_puts(b, last ? "\"\r\n" : "\",");
}

static int
export_one(void *arg, json_t *item)
{
	struct exportq *q = arg;
	static const char *const cols[] = {
		"id", "reference", "state", "priority", "attempt", "error",
		"exception", "created_at", "created_by", "updated_at", NULL,
	};
	char *text;
	json_t *v;
	size_t i;
	int rc;

	if (!q->csv) {
		text = json_dumps(item, JSON_COMPACT);
		rc = buf_puts(&q->b, text) | buf_putc(&q->b, '\n');
		free(text);
		return rc != 0 ? (q->full = 1) : 0;
	}
	for (i = 0; cols[i] != NULL; i++) {
		v = json_object_get(item, cols[i]);
		text = json_is_string(v) ? xstrdup(json_string_value(v)) :
		    json_is_null(v) || v == NULL ? xstrdup("") :
		    json_dumps(v, JSON_ENCODE_ANY);
		csv_cell(&q->b, text, 0);
		free(text);
	}
	v = json_object_get(item, "payload");
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	csv_cell(&q->b, text, 1);
	free(text);
	if (q->b.len + 1 >= q->b.cap)
		return q->full = 1;
	return 0;
}

static int
export_read(struct conn *c, void *p)
{
	struct exportq *q = p;
	char dept[256], err[256];
	int64_t qid;

	if (queues_find(c, q->r->args[0], &qid, dept, sizeof dept, err,
	    sizeof err) != QUEUES_OK) {
		q->status = MHD_HTTP_NOT_FOUND;
		return 0;
	}
	if (q->csv)
		/* A byte order mark: Excel then reads UTF-8. */
		buf_puts(&q->b, "\xef\xbb\xbf\"id\",\"reference\",\"state\","
		    "\"priority\",\"attempt\",\"error\",\"exception\","
		    "\"created_at\",\"created_by\",\"updated_at\","
		    "\"payload\"\r\n");
	queues_export(c, qid, q->states, export_one, q, api_queues_time,
	    (void *)q->tf);
	q->status = MHD_HTTP_OK;
	return 0;
}

enum hres
api_h_queue_export(struct api *a, struct req *r)
{
	struct exportq q;
	const char *v;

	memset(&q, 0, sizeof q);
	q.r = r;
	q.tf = a->tf;
	if ((v = api_query_arg(r, "state")) != NULL &&
	    parse_states(r, v, &q.states) != 0)
		return H_DONE;
	v = api_query_arg(r, "format");
	if (v != NULL && strcmp(v, "csv") != 0 && strcmp(v, "jsonl") != 0) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "format: expected csv "
		    "or jsonl");
		return H_DONE;
	}
	q.csv = v != NULL && strcmp(v, "csv") == 0;
	buf_init(&q.b, 256u * 1024 * 1024);
	store_read(a->st, export_read, &q);
	if (q.status != MHD_HTTP_OK || q.full) {
		buf_free(&q.b);
		if (q.full)
			api_reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "the "
			    "export is over 256 MiB: filter it by state");
		else
			api_reply_error(r, MHD_HTTP_NOT_FOUND, "no queue '%s'",
			    r->args[0]);
		return H_DONE;
	}
	r->status = MHD_HTTP_OK;
	r->raw = buf_detach(&q.b, &r->rawlen);
	r->ctype = xstrdup(q.csv ? "text/csv; charset=utf-8" :
	    "application/x-ndjson; charset=utf-8");
	return H_DONE;
}

/* --- adding --------------------------------------------------------------------- */

/* Everything an add call carries (people's and jobs' alike). */
struct addw {
	const char	*queue;
	json_t		*items;		/* borrowed, checked */
	int64_t		 job;		/* a job's call, else 0 */
	const char	*token;
	json_t		*results;
	int		 created, duplicates;
	int		 started;	/* jobs its queue's trigger started */
};

/* Check the shape of every item before anything is written. */
static int
items_ok(struct req *r, json_t *items)
{
	json_t *it, *v, *f;
	size_t i, j;

	if (!json_is_array(items) || json_array_size(items) == 0 ||
	    json_array_size(items) > API_QUEUE_ADD_MAX) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "items: expected a "
		    "list of 1-%d items", API_QUEUE_ADD_MAX);
		return -1;
	}
	json_array_foreach(items, i, it) {
		const char *bad = NULL;

		if (!json_is_object(it))
			bad = "expected an object";
		else if ((v = json_object_get(it, "reference")) != NULL &&
		    !json_is_null(v) && (!json_is_string(v) ||
		    json_string_length(v) == 0 ||
		    json_string_length(v) > QUEUES_REF_MAX))
			bad = "reference: expected a string of 1-200 bytes";
		else if ((v = json_object_get(it, "priority")) != NULL &&
		    (!json_is_integer(v) || json_integer_value(v) < -1000 ||
		    json_integer_value(v) > 1000))
			bad = "priority: expected -1000 to 1000";
		else if ((v = json_object_get(it, "payload")) != NULL &&
		    !json_is_object(v))
			bad = "payload: expected an object";
		else if ((v = json_object_get(it, "sla_minutes")) != NULL &&
		    (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 525600))
			bad = "sla_minutes: expected 1 to 525600";
		else if ((v = json_object_get(it, "deadline_ms")) != NULL &&
		    (!json_is_integer(v) || json_integer_value(v) < 1))
			bad = "deadline_ms: expected milliseconds since 1970";
		else if ((v = json_object_get(it, "files")) != NULL &&
		    (!json_is_array(v) || json_array_size(v) >
		    QUEUES_FILES_MAX))
			bad = "files: expected a list of up to 16 {name, sha256}";
		else
			json_array_foreach(json_object_get(it, "files"), j, f)
				if (!json_is_string(json_object_get(f,
				    "name")) || !json_is_string(
				    json_object_get(f, "sha256")))
					bad = "files: expected a list of up "
					    "to 16 {name, sha256}";
		if (bad != NULL) {
			api_reply_error(r, MHD_HTTP_BAD_REQUEST, "items[%zu]: "
			    "%s", i, bad);
			return -1;
		}
	}
	return 0;
}

/* One item of an add: created, or refused as a duplicate. */
static int
add_one(struct conn *c, struct req *r, struct addw *w, int64_t qid,
    size_t i, json_t *it, const char *who, int64_t now)
{
	struct qitem_spec s;
	struct qfile files[QUEUES_FILES_MAX];
	json_t *f, *v;
	char err[512];
	int64_t id = 0;
	size_t j;
	int rc;

	memset(&s, 0, sizeof s);
	s.reference = json_string_value(json_object_get(it, "reference"));
	s.priority = (int)json_integer_value(json_object_get(it, "priority"));
	s.payload = json_object_get(it, "payload");
	if ((v = json_object_get(it, "deadline_ms")) != NULL)
		s.deadline = json_integer_value(v);
	else if ((v = json_object_get(it, "sla_minutes")) != NULL)
		s.deadline = now + json_integer_value(v) * 60000;
	json_array_foreach(json_object_get(it, "files"), j, f) {
		files[j].name = json_string_value(json_object_get(f, "name"));
		files[j].sha256 = json_string_value(json_object_get(f,
		    "sha256"));
	}
	s.files = files;
	s.nfiles = json_array_size(json_object_get(it, "files"));
	s.actor = who;
	s.job_id = w->job;
	rc = queues_add(c, qid, &s, now, &id, err, sizeof err);
	if (rc == QUEUES_DUPLICATE) {
		w->duplicates++;
		json_array_append_new(w->results, json_pack("{s:I, s:s?, s:i,"
		    " s:b, s:s}", "id", (json_int_t)id, "reference",
		    s.reference, "status", MHD_HTTP_CONFLICT, "duplicate", 1,
		    "error", err));
		return 0;
	}
	if (rc != QUEUES_OK) {
		api_reply_error(r, api_queues_status(rc), "items[%zu]: %s", i,
		    err);
		return -1;
	}
	w->created++;
	json_array_append_new(w->results, json_pack("{s:I, s:s?, s:i, s:b}",
	    "id", (json_int_t)id, "reference", s.reference, "status",
	    MHD_HTTP_CREATED, "duplicate", 0));
	return 0;
}

static int
add_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct addw *w = p;
	char dept[256], *who;
	int64_t qid, run = 0, now = time_wall_ms();
	json_t *it;
	size_t i;
	int rc = 0;

	if (find_queue(c, r, w->queue, &qid, dept, sizeof dept) != 0)
		return -1;
	if (w->job > 0 && job_run(c, a, r, w->job, w->token, dept, &run) != 0)
		return -1;
	w->results = json_array();
	w->created = w->duplicates = 0;
	who = actor(r, w->job, run);
	json_array_foreach(w->items, i, it)
		if ((rc = add_one(c, r, w, qid, i, it, who, now)) != 0)
			break;
	free(who);
	if (rc != 0) {
		json_decref(w->results);
		w->results = NULL;
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:i, s:i, s:O}",
	    "queue", w->queue, "created", w->created, "duplicates",
	    w->duplicates, "items", w->results));
	json_object_set_new(r->detail, "created", json_integer(w->created));
	json_object_set_new(r->detail, "duplicates",
	    json_integer(w->duplicates));
	json_decref(w->results);
	w->results = NULL;
	/* The queue's trigger in the same commit: no second fsync. */
	w->started = 0;
	if (w->created > 0)
		triggers_queue_tick(c, a->sc, &a->cfg.jobs, qid, now,
		    &w->started);
	return 0;
}

static void
add(struct api *a, struct req *r, struct addw *w)
{
	if (items_ok(r, w->items) != 0) {
		api_audit_refusal(a, r);
		return;
	}
	r->detail = json_pack("{s:s, s:I}", "queue", w->queue, "items",
	    (json_int_t)json_array_size(w->items));
	if (w->job > 0)
		json_object_set_new(r->detail, "job_id", json_integer(w->job));
	api_write_audited(a, r, add_write, w);
	if (r->status == MHD_HTTP_OK && w->started > 0) {
		ADD(a->m.triggered, (uint64_t)w->started);
		api_wake(a, NULL, -1);
	}
}

enum hres
api_h_queue_add(struct api *a, struct req *r)
{
	struct addw w;

	memset(&w, 0, sizeof w);
	w.queue = r->args[0];
	w.items = json_object_get(r->in, "items");
	add(a, r, &w);
	return H_DONE;
}

enum hres
api_h_job_queue_add(struct api *a, struct req *r)
{
	struct addw w;

	memset(&w, 0, sizeof w);
	if (api_job_and_token(r, &w.job, &w.token) != 0 ||
	    api_in_str(r, "queue", 1, QUEUES_NAME_MAX, &w.queue) != 0) {
		api_audit_refusal(a, r);
		return H_DONE;
	}
	w.items = json_object_get(r->in, "items");
	add(a, r, &w);
	return H_DONE;
}

/* --- files ------------------------------------------------------------------------ */

struct filew {
	const char	*queue;
	int64_t		 job;
	const char	*token;
	const char	*ctype;
	char		 sha[65];
};

static int
file_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct filew *w = p;
	sqlite3_stmt *st;
	char dept[256], err[256];
	int64_t qid, run, max;
	int rc;

	if (find_queue(c, r, w->queue, &qid, dept, sizeof dept) != 0)
		return -1;
	if (w->job > 0 && job_run(c, a, r, w->job, w->token, dept, &run) != 0)
		return -1;
	st = conn_stmt(c, "SELECT file_max FROM queues WHERE id = ?");
	sqlite3_bind_int64(st, 1, qid);
	max = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	rc = queues_file_put(c, r->body.data ? r->body.data : "", r->body.len,
	    w->ctype, (size_t)max, time_wall_ms(), w->sha, err, sizeof err);
	if (rc != QUEUES_OK) {
		api_reply_queues_error(r, rc, err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_CREATED, json_pack("{s:s, s:I, s:s}",
	    "sha256", w->sha, "size", (json_int_t)r->body.len,
	    "content_type", w->ctype));
	json_object_set_new(r->detail, "sha256", json_string(w->sha));
	return 0;
}

static void
file_put(struct api *a, struct req *r, struct filew *w)
{
	w->ctype = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (w->ctype == NULL || strlen(w->ctype) > 128 ||
	    strpbrk(w->ctype, "\r\n") != NULL)
		w->ctype = "application/octet-stream";
	r->detail = json_pack("{s:s, s:I}", "queue", w->queue, "size",
	    (json_int_t)r->body.len);
	api_write_audited(a, r, file_write, w);
}

enum hres
api_h_queue_file_put(struct api *a, struct req *r)
{
	struct filew w;

	memset(&w, 0, sizeof w);
	w.queue = r->args[0];
	file_put(a, r, &w);
	return H_DONE;
}

enum hres
api_h_job_queue_file(struct api *a, struct req *r)
{
	struct filew w;

	memset(&w, 0, sizeof w);
	w.job = text_parse_id(r->args[0]);
	w.token = api_query_arg(r, "lease_token");
	w.queue = api_query_arg(r, "queue");
	if (w.job == 0 || w.token == NULL || w.queue == NULL) {
		api_reply_error(r, w.job == 0 ? MHD_HTTP_NOT_FOUND :
		    MHD_HTTP_BAD_REQUEST, w.job == 0 ? "no job '%s'" :
		    "lease_token and queue are required query parameters",
		    r->args[0]);
		api_audit_refusal(a, r);
		return H_DONE;
	}
	file_put(a, r, &w);
	return H_DONE;
}

/* --- taking and finishing (jobs) ------------------------------------------------- */

struct takew {
	struct api	*a;
	int64_t		 job;
	const char	*token;
	const char	*queue;
	json_int_t	 max;
};

static int
take_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct takew *w = p;
	struct qtaker t;
	char dept[256], err[256];
	int64_t qid, run;
	json_t *items;
	int rc;

	if (find_queue(c, r, w->queue, &qid, dept, sizeof dept) != 0 ||
	    job_run(c, a, r, w->job, w->token, dept, &run) != 0)
		return -1;
	memset(&t, 0, sizeof t);
	t.actor = actor(r, w->job, run);
	t.agent_id = r->who.agent_id;
	t.job_id = w->job;
	t.run_id = run;
	items = json_array();
	rc = queues_take(c, qid, &t, (int)w->max, time_wall_ms(), items,
	    api_queues_time, (void *)a->tf, err, sizeof err);
	free((char *)t.actor);
	if (rc != QUEUES_OK && rc != QUEUES_NONE) {
		json_decref(items);
		api_reply_queues_error(r, rc, err);
		return -1;
	}
	if (json_array_size(items) == 0)
		r->no_audit = 1;	/* nothing changed */
	json_object_set_new(r->detail, "taken",
	    json_integer((json_int_t)json_array_size(items)));
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:o}", "items", items));
	return 0;
}

enum hres
api_h_job_queue_take(struct api *a, struct req *r)
{
	struct takew w;

	memset(&w, 0, sizeof w);
	w.a = a;
	if (api_job_and_token(r, &w.job, &w.token) != 0 ||
	    api_in_str(r, "queue", 1, QUEUES_NAME_MAX, &w.queue) != 0 ||
	    api_in_int(r, "max", 1, QUEUES_TAKE_MAX, 1, &w.max) != 0) {
		api_audit_refusal(a, r);
		return H_DONE;
	}
	r->detail = json_pack("{s:I, s:s}", "job_id", (json_int_t)w.job,
	    "queue", w.queue);
	api_write_audited(a, r, take_write, &w);
	return H_DONE;
}

/* An item route's {id} and lease token: 0, or -1 with the reply. */
static int
item_and_token(struct req *r, int64_t *id, const char **token)
{
	if ((*id = text_parse_id(r->args[0])) == 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no queue item '%s'",
		    r->args[0]);
		return -1;
	}
	return api_in_str(r, "lease_token", 1, 64, token);
}

/* What an agent's item call does, and with what. */
enum item_op { OP_HEARTBEAT, OP_DONE, OP_FAIL, OP_RELEASE, OP_REVIEW };

struct itemw {
	enum item_op	 op;
	int64_t		 id;
	const char	*token;
	json_t		*output;
	enum qexc	 kind;
	const char	*reason;
	json_t		*review;
	int		 back_to_new;	/* a trigger may start */
};

/* The run an item's lease belongs to (0 when taken outside a job). */
static void
item_holder(struct conn *c, int64_t id, int64_t *job, int64_t *run)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT lease_job_id, lease_run_id"
	    " FROM queue_items WHERE id = ?");

	*job = *run = 0;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*job = sqlite3_column_int64(st, 0);
		*run = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
}

static int
item_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct itemw *w = p;
	int64_t now = time_wall_ms(), job, run;
	enum qstate to = QS_IN_PROGRESS;
	char err[512], *who;
	int rc, dup = 0;

	(void)a;
	item_holder(c, w->id, &job, &run);
	who = actor(r, job, run);
	switch (w->op) {
	case OP_HEARTBEAT:
		rc = queues_heartbeat(c, w->id, w->token, now, err,
		    sizeof err);
		break;
	case OP_DONE:
		rc = queues_done(c, w->id, w->token, w->output, who, now, &dup,
		    err, sizeof err);
		to = QS_DONE;
		break;
	case OP_FAIL:
		rc = queues_fail(c, w->id, w->token, w->kind, w->reason, who,
		    now, &to, err, sizeof err);
		break;
	case OP_RELEASE:
		rc = queues_release(c, w->id, w->token, w->reason, who, now,
		    err, sizeof err);
		to = QS_NEW;
		break;
	case OP_REVIEW:
		rc = queues_to_review(c, w->id, w->token, w->review, run, who,
		    now, err, sizeof err);
		to = QS_NEEDS_REVIEW;
		break;
	default:
		abort();
	}
	free(who);
	if (rc != QUEUES_OK) {
		api_reply_queues_error(r, rc, err);
		return -1;
	}
	if (dup)
		r->no_audit = 1;
	w->back_to_new = to == QS_NEW;
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:I, s:s, s:b}", "id",
	    (json_int_t)w->id, "state", qstate_name(to), "duplicate", dup));
	return 0;
}

static enum hres
item_call(struct api *a, struct req *r, struct itemw *w)
{
	if (item_and_token(r, &w->id, &w->token) != 0) {
		api_audit_refusal(a, r);
		return H_DONE;
	}
	r->detail = json_pack("{s:I}", "item", (json_int_t)w->id);
	api_write_audited(a, r, item_write, w);
	if (w->back_to_new && r->status == MHD_HTTP_OK)
		api_queue_triggers(a);
	return H_DONE;
}

enum hres
api_h_item_heartbeat(struct api *a, struct req *r)
{
	struct itemw w;

	memset(&w, 0, sizeof w);
	w.op = OP_HEARTBEAT;
	return item_call(a, r, &w);
}

enum hres
api_h_item_done(struct api *a, struct req *r)
{
	struct itemw w;

	memset(&w, 0, sizeof w);
	w.op = OP_DONE;
	w.output = json_object_get(r->in, "output");
	if (w.output != NULL && !json_is_object(w.output) &&
	    !json_is_null(w.output)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "output: expected an "
		    "object");
		api_audit_refusal(a, r);
		return H_DONE;
	}
	return item_call(a, r, &w);
}

enum hres
api_h_item_fail(struct api *a, struct req *r)
{
	struct itemw w;
	const char *kind;

	memset(&w, 0, sizeof w);
	w.op = OP_FAIL;
	if (api_in_str(r, "kind", 1, 16, &kind) != 0 ||
	    api_in_str(r, "reason", 1, 2000, &w.reason) != 0)
		goto refused;
	if (strcmp(kind, "business") == 0)
		w.kind = QEXC_BUSINESS;
	else if (strcmp(kind, "application") == 0)
		w.kind = QEXC_APPLICATION;
	else {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "kind: expected "
		    "business (the data is wrong: no retry) or application "
		    "(a system failed: retried)");
		goto refused;
	}
	return item_call(a, r, &w);
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

enum hres
api_h_item_release(struct api *a, struct req *r)
{
	struct itemw w;

	memset(&w, 0, sizeof w);
	w.op = OP_RELEASE;
	if (api_in_str(r, "reason", 0, 2000, &w.reason) != 0) {
		api_audit_refusal(a, r);
		return H_DONE;
	}
	return item_call(a, r, &w);
}

enum hres
api_h_item_to_review(struct api *a, struct req *r)
{
	struct itemw w;

	memset(&w, 0, sizeof w);
	w.op = OP_REVIEW;
	w.review = json_object_get(r->in, "review");
	if (!json_is_object(w.review) || !json_is_object(json_object_get(
	    w.review, "fields"))) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "review: expected "
		    "{fields: {NAME: {value, raw, confidence, box, kind, "
		    "...}}, image, reason, checks}");
		api_audit_refusal(a, r);
		return H_DONE;
	}
	return item_call(a, r, &w);
}

/* A file of an item the caller holds, for the bot that took it. */
struct fetchq {
	struct fileq	 f;
	const char	*token;
	int		 stale;
	char		 err[256];
};

static int
fetch_read(struct conn *c, void *p)
{
	struct fetchq *q = p;
	sqlite3_stmt *st = conn_stmt(c, "SELECT 1 FROM queue_items WHERE"
	    " id = ? AND state = 'in_progress' AND lease_token = ?");

	sqlite3_bind_int64(st, 1, q->f.item);
	bind_text(st, 2, q->token);
	q->stale = sqlite3_step(st) != SQLITE_ROW;
	sqlite3_reset(st);
	if (!q->stale)
		file_read(c, &q->f);
	return 0;
}

enum hres
api_h_item_fetch(struct api *a, struct req *r)
{
	struct fetchq q;

	memset(&q, 0, sizeof q);
	if (item_and_token(r, &q.f.item, &q.token) != 0 ||
	    api_in_str(r, "name", 1, 128, &q.f.name) != 0)
		return H_DONE;
	r->no_audit = 1;	/* a read */
	store_read(a->st, fetch_read, &q);
	if (q.stale) {
		api_reply_error(r, MHD_HTTP_CONFLICT, "stale lease token for "
		    "queue item %lld", (long long)q.f.item);
		return H_DONE;
	}
	if (q.f.rc != QUEUES_OK) {
		api_reply_queues_error(r, q.f.rc, q.f.err);
		return H_DONE;
	}
	reply_file(r, &q.f);
	return H_DONE;
}

/* --- retry (people) --------------------------------------------------------------- */

struct retryw {
	int64_t		 id;
	const char	*reason;
};

static int
retry_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct retryw *w = p;
	char err[256], *who;
	int rc;

	(void)a;
	who = actor(r, 0, 0);
	rc = queues_retry(c, w->id, who, w->reason, time_wall_ms(), err,
	    sizeof err);
	free(who);
	if (rc != QUEUES_OK) {
		api_reply_queues_error(r, rc, err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:I, s:s}", "id",
	    (json_int_t)w->id, "state", "new"));
	return 0;
}

enum hres
api_h_item_retry(struct api *a, struct req *r)
{
	struct retryw w;

	memset(&w, 0, sizeof w);
	w.id = text_parse_id(r->args[0]);
	if (api_in_str(r, "reason", 0, 2000, &w.reason) != 0)
		goto refused;
	r->detail = json_pack("{s:I, s:s?}", "item", (json_int_t)w.id,
	    "reason", w.reason);
	api_write_audited(a, r, retry_write, &w);
	if (r->status == MHD_HTTP_OK)
		api_queue_triggers(a);
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

/* --- /metrics ---------------------------------------------------------------------- */

static int
metrics_read(struct conn *c, void *p)
{
	json_t **out = p;

	*out = queues_list(c, NULL, time_wall_ms(), NULL, NULL);
	return 0;
}

void
api_queues_metrics(struct api *a, struct buf *b)
{
	json_t *list = NULL, *q;
	const char *name;
	size_t i;

	store_read(a->st, metrics_read, &list);
	buf_puts(b, "# HELP kobito_work_queue_items Work items by queue and "
	    "state.\n# TYPE kobito_work_queue_items gauge\n");
	json_array_foreach(json_object_get(list, "queues"), i, q) {
		const char *st;
		json_t *n;

		name = json_string_value(json_object_get(q, "name"));
		json_object_foreach(json_object_get(q, "counts"), st, n)
			buf_printf(b, "kobito_work_queue_items{queue=\"%s\","
			    "state=\"%s\"} %lld\n", name, st,
			    (long long)json_integer_value(n));
	}
	buf_puts(b, "# HELP kobito_work_queue_depth Items waiting for a bot "
	    "(new).\n# TYPE kobito_work_queue_depth gauge\n");
	json_array_foreach(json_object_get(list, "queues"), i, q)
		buf_printf(b, "kobito_work_queue_depth{queue=\"%s\"} %lld\n",
		    json_string_value(json_object_get(q, "name")),
		    (long long)json_integer_value(json_object_get(
		    json_object_get(q, "counts"), "new")));
	buf_puts(b, "# HELP kobito_work_queue_oldest_seconds Age of the oldest "
	    "item waiting for a bot.\n# TYPE kobito_work_queue_oldest_seconds "
	    "gauge\n");
	json_array_foreach(json_object_get(list, "queues"), i, q)
		buf_printf(b, "kobito_work_queue_oldest_seconds{queue=\"%s\"} "
		    "%.3f\n", json_string_value(json_object_get(q, "name")),
		    (double)json_integer_value(json_object_get(q,
		    "oldest_new_ms")) / 1000.0);
	buf_puts(b, "# HELP kobito_work_queue_review_oldest_seconds Age of the "
	    "oldest item waiting for review.\n"
	    "# TYPE kobito_work_queue_review_oldest_seconds gauge\n");
	json_array_foreach(json_object_get(list, "queues"), i, q)
		buf_printf(b, "kobito_work_queue_review_oldest_seconds{queue="
		    "\"%s\"} %.3f\n", json_string_value(json_object_get(q,
		    "name")), (double)json_integer_value(json_object_get(q,
		    "oldest_review_ms")) / 1000.0);
	buf_puts(b, "# HELP kobito_work_queue_sla_breached Items past their "
	    "deadline and not finished.\n"
	    "# TYPE kobito_work_queue_sla_breached gauge\n");
	json_array_foreach(json_object_get(list, "queues"), i, q)
		buf_printf(b, "kobito_work_queue_sla_breached{queue=\"%s\"} "
		    "%lld\n", json_string_value(json_object_get(q, "name")),
		    (long long)json_integer_value(json_object_get(q,
		    "sla_breached")));
	json_decref(list);
}
