/*
 * api.c - the scheduler's HTTP API on libmicrohttpd (see api.h and
 * docs/api.md): the route table, the dispatch and the helpers handlers
 * share.  The handlers live in a file per resource (api_int.h says how).
 *
 * A request goes through one path: the first call of the access handler
 * (headers received) checks the header size (431), finds the route (404,
 * 405), authenticates the bearer token (401, 403) and the announced body
 * size (413) and may answer at once; the following calls collect the body
 * into a capped buffer; the last one parses it and runs the route's
 * handler.  Handlers fill in a reply (status and JSON, or raw bytes) and
 * do their writes through api_write_audited(), which runs the change and
 * its audit row in one durable transaction before the reply is sent.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <microhttpd.h>
#include <sodium.h>

#include "api_int.h"
#include "api_agents.h"
#include "api_assets.h"
#include "api_artifacts.h"
#include "api_audit.h"
#include "api_auth.h"
#include "api_conns.h"
#include "api_control.h"
#include "api_jobs.h"
#include "api_metrics.h"
#include "api_notify.h"
#include "api_queues.h"
#include "api_runs.h"
#include "api_schedules.h"
#include "api_scripts.h"
#include "api_secrets.h"
#include "api_ticker.h"
#include "api_triggers.h"
#include "api_watch.h"
#include "export.h"
#include "msg.h"
#include "api_web.h"
#include "charset.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

/* Bytes of an oversized body read and thrown away before hanging up. */
#define DISCARD_MAX	(64u * 1024 * 1024)

/* --- replies ------------------------------------------------------------- */

void
api_reply_json(struct req *r, int status, json_t *out)
{
	json_decref(r->out);
	r->status = status;
	r->out = out;
}

int
api_japanese(struct req *r)
{
	return r->src.value != NULL && msg_japanese(api_value(r,
	    MHD_HEADER_KIND, "Accept-Language"));
}

void
api_reply_error(struct req *r, int status, const char *fmt, ...)
{
	int ja = api_japanese(r);
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	msg_vformat(msg, sizeof msg, ja, fmt, ap);
	va_end(ap);
	text_utf8_trim_partial(msg);	/* it goes into JSON */
	api_reply_json(r, status, json_pack("{s:s}", "error", msg));
}

int
api_reply_deleted(struct req *r, int gone, const char *what)
{
	if (!gone) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no %s '%s'",
		    msg_word(what, api_japanese(r)), r->args[0]);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "deleted",
	    r->args[0]));
	return 0;
}

/* The HTTP status of a jobs_* failure. */
int
api_jobs_status(int rc)
{
	static const struct {
		int	rc;
		int	status;
	} map[] = {
		{ JOBS_NOT_FOUND, MHD_HTTP_NOT_FOUND },
		{ JOBS_STALE, MHD_HTTP_CONFLICT },
		{ JOBS_CONFLICT, MHD_HTTP_CONFLICT },
		{ JOBS_INVALID, MHD_HTTP_BAD_REQUEST },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].rc == rc)
			return map[i].status;
	return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

/* Map a jobs_* result to an HTTP error reply. */
void
api_reply_jobs_error(struct req *r, int rc, const char *err)
{
	api_reply_error(r, api_jobs_status(rc), "%s", err);
}

void
api_add_header(struct req *r, const char *name, const char *value)
{
	web_headers_add(r->hdr, &r->nhdr, name, value);
}

static int
has_header(const struct req *r, const char *name)
{
	int i;

	for (i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr[2 * i], name) == 0)
			return 1;
	return 0;
}

static enum MHD_Result
send_reply(struct api *a, struct req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text = NULL;
	size_t len = 0;
	int i;

	if (r->raw != NULL) {
		resp = MHD_create_response_from_buffer(r->rawlen, r->raw,
		    MHD_RESPMEM_MUST_FREE);
		r->raw = NULL;
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    r->ctype ? r->ctype : "application/octet-stream");
	} else {
		if (r->out != NULL) {
			text = json_dumps(r->out, JSON_COMPACT);
			len = strlen(text);
			text[len] = '\n';	/* replaces the NUL: not a C string */
			len++;
		}
		resp = MHD_create_response_from_buffer(len, text,
		    MHD_RESPMEM_MUST_FREE);
		if (r->out != NULL)
			MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_CONTENT_TYPE,
			    "application/json; charset=utf-8");
	}
	if (resp == NULL)
		return MHD_NO;
	/* Answers are not kept, but for files that say how (web.c). */
	if (!has_header(r, MHD_HTTP_HEADER_CACHE_CONTROL))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
		    "no-store");
	if (r->status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer");
	for (i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr[2 * i], r->hdr[2 * i + 1]);
	/*
	 * Nothing the API answers is a page to render or to frame: if a
	 * browser is made to open a reply, it is an inert document.  The
	 * dashboard's own files set their policy (web.c).
	 */
	if (!has_header(r, "X-Content-Type-Options"))
		MHD_add_response_header(resp, "X-Content-Type-Options",
		    "nosniff");
	if (!has_header(r, "Content-Security-Policy"))
		MHD_add_response_header(resp, "Content-Security-Policy",
		    API_CSP_INERT);
	/* Over HTTPS, browsers are told to come back only that way. */
	if (a->cfg.tls_cert != NULL)
		MHD_add_response_header(resp, "Strict-Transport-Security",
		    "max-age=31536000");
	if (r->status >= 100 && r->status < 600)
		INC(a->m.http[r->status]);
	ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* --- small helpers ------------------------------------------------------- */

const char *
api_value(struct req *r, int kind, const char *key)
{
	return web_value(&r->src, kind, key);
}

const char *
api_query_arg(struct req *r, const char *key)
{
	return api_value(r, MHD_GET_ARGUMENT_KIND, key);
}

/* A string member: 0 and *out (NULL when absent and optional), or -1. */
int
api_in_str(struct req *r, const char *key, int required, size_t maxlen,
    const char **out)
{
	json_t *v = json_object_get(r->in, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s: required", key);
		return -1;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > maxlen) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "%s: expected a string of 1-%zu bytes", key, maxlen);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int
api_in_int(struct req *r, const char *key, json_int_t lo, json_int_t hi,
    json_int_t dflt, json_int_t *out)
{
	json_t *v = json_object_get(r->in, key);

	if (v == NULL || json_is_null(v)) {
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "%s: expected an integer from %lld to %lld", key,
		    (long long)lo, (long long)hi);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

/* A list of label strings, or -1 with a 400 reply. */
int
api_in_labels(struct req *r, const char *key, json_t **out)
{
	json_t *v = json_object_get(r->in, key), *l;
	size_t i;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > 256)
		goto bad;
	json_array_foreach(v, i, l)
		if (!json_is_string(l) || json_string_length(l) == 0 ||
		    json_string_length(l) > 128)
			goto bad;
	*out = v;
	return 0;
bad:
	api_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s: expected a list of up to "
	    "256 label strings", key);
	return -1;
}

/* --- read routes --------------------------------------------------------- */

struct readw {
	struct api_readq q;
	api_read_fn	 fn;
	json_t		*out;
};

static int
read_op(struct conn *c, void *p)
{
	struct readw *w = p;

	w->out = w->fn(c, &w->q);
	return 0;
}

/* A time of the query: 0 and *ms (0 when absent), or -1 with a 400. */
static int
query_time(struct api *a, struct req *r, const char *key, int64_t *ms)
{
	const char *v = api_query_arg(r, key);

	*ms = 0;
	if (v == NULL || *v == '\0')
		return 0;
	if (tfmt_parse(a->tf, v, ms) == 0)
		return 0;
	api_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s: expected a date "
	    "YYYY-MM-DD or a time YYYY-MM-DDTHH:MM[:SS][+09:00], not '%s'",
	    key, v);
	return -1;
}

/* A text filter of the query, NULL when absent or empty (borrowed). */
static const char *
query_text(struct req *r, const char *key)
{
	const char *v = api_query_arg(r, key);

	return v != NULL && *v != '\0' ? v : NULL;
}

static int
filter_from_query(struct api *a, struct req *r, struct query_filter *f)
{
	const char *v;

	memset(f, 0, sizeof *f);
	if ((v = api_query_arg(r, "format")) != NULL && strcmp(v, "json") != 0 &&
	    strcmp(v, "csv") != 0 && strcmp(v, "xlsx") != 0) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "format: expected json, "
		    "csv or xlsx, not '%s'", v);
		return -1;
	}
	if (query_time(a, r, "since", &f->since) != 0 ||
	    query_time(a, r, "until", &f->until) != 0)
		return -1;
	f->agent = query_text(r, "agent");
	f->department = query_text(r, "department");
	f->text = query_text(r, "q");
	f->mine = (v = api_query_arg(r, "mine")) != NULL &&
	    strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
	f->state = api_query_arg(r, "state");
	f->script = api_query_arg(r, "script");
	f->status = api_query_arg(r, "status");
	f->actor = api_query_arg(r, "actor");
	if ((v = api_query_arg(r, "limit")) != NULL &&
	    ((f->limit = (int)text_parse_id(v)) == 0 || f->limit > 1000)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "limit: expected 1-1000");
		return -1;
	}
	if ((v = api_query_arg(r, "before")) != NULL &&
	    (f->before = text_parse_id(v)) == 0) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "before: expected an id");
		return -1;
	}
	if ((v = api_query_arg(r, "after")) != NULL && strcmp(v, "0") != 0 &&
	    (f->after = text_parse_id(v)) == 0) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "after: expected an id");
		return -1;
	}
	if ((v = api_query_arg(r, "job")) != NULL &&
	    (f->job = text_parse_id(v)) == 0) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "job: expected an id");
		return -1;
	}
	if (f->state != NULL) {
		const char *p = f->state, *comma;
		enum job_state s;
		char one[16];

		for (; p != NULL; p = comma ? comma + 1 : NULL) {
			comma = strchr(p, ',');
			snprintf(one, sizeof one, "%.*s", comma ?
			    (int)(comma - p) : (int)strlen(p), p);
			if (job_state_parse(one, &s) != 0) {
				api_reply_error(r, MHD_HTTP_BAD_REQUEST,
				    "state: unknown state '%s'", one);
				return -1;
			}
		}
	}
	return 0;
}

/* What a list's filter allocates, freed by scope_free(). */
struct listscope {
	char	*depts;		/* the caller's departments, JSON */
	char	*sub;		/* the filter's department and those below */
	char	 me[160];	/* "user:NAME": what the caller started */
};

/*
 * f from the query, narrowed to the caller: a department filter takes the
 * departments below it too, and a list shows the caller's departments and
 * what the caller started.  -1 when the query was answered with an error.
 */
static int
list_scope(struct api *a, struct req *r, struct query_filter *f,
    struct listscope *sc)
{
	json_t *tree;

	memset(sc, 0, sizeof *sc);
	if (filter_from_query(a, r, f) != 0)
		return -1;
	if (f->department != NULL) {
		tree = perm_subtree(a->kpi, f->department);
		f->department = sc->sub = json_dumps(tree, JSON_COMPACT);
		json_decref(tree);
	}
	if (r->route->scope == SCOPE_LIST) {
		sc->depts = api_perm_depts(a, r, r->route->role);
		snprintf(sc->me, sizeof sc->me, "user:%s", r->who.name);
		f->depts = sc->depts;
		f->me = sc->me;
	}
	return 0;
}

static void
scope_free(struct listscope *sc)
{
	free(sc->depts);
	free(sc->sub);
}

enum hres
api_read(struct api *a, struct req *r, api_read_fn fn, int by_name,
    const char *what)
{
	struct readw w;
	struct listscope sc;
	char timing[48];
	int64_t t0 = time_mono_us();

	memset(&w, 0, sizeof w);
	w.q.a = a;
	w.q.r = r;
	w.fn = fn;
	if (list_scope(a, r, &w.q.f, &sc) != 0)
		return H_DONE;
	if (r->args[0] != NULL) {
		w.q.name = r->args[0];
		if (!by_name && (w.q.id = text_parse_id(r->args[0])) == 0) {
			api_reply_error(r, MHD_HTTP_NOT_FOUND, "no %s '%s'",
			    msg_word(what, api_japanese(r)), r->args[0]);
			scope_free(&sc);
			return H_DONE;
		}
	}
	store_read(a->st, read_op, &w);
	scope_free(&sc);
	if (w.out == NULL) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no %s '%s'", msg_word(
		    what, api_japanese(r)), r->args[0] ? r->args[0] : "");
		return H_DONE;
	}
	api_reply_json(r, MHD_HTTP_OK, w.out);
	/* The time spent reading, for the browser's tools and the bench. */
	snprintf(timing, sizeof timing, "read;dur=%.3f",
	    (double)(time_mono_us() - t0) / 1000.0);
	api_add_header(r, "Server-Timing", timing);
	return H_DONE;
}

/* --- lists as files ---------------------------------------------------------- */

struct exportw {
	struct api_readq q;
	api_read_fn	 fn;
	const char	*what;
	json_t		*rows;
};

/* The pages of the list, in one snapshot, until the end or the cap. */
static int
export_op(struct conn *c, void *p)
{
	struct exportw *w = p;
	json_t *page, *next;

	w->q.f.limit = 1000;
	for (;;) {
		if ((page = w->fn(c, &w->q)) == NULL)
			return -1;
		json_array_extend(w->rows, json_object_get(page, w->what));
		next = json_object_get(page, "next_before");
		if (!json_is_integer(next) ||
		    json_array_size(w->rows) >= EXPORT_MAX) {
			json_decref(page);
			return 0;
		}
		w->q.f.before = json_integer_value(next);
		json_decref(page);
	}
}

int
api_wants_file(struct req *r)
{
	const char *f = api_query_arg(r, "format");

	return f != NULL && (strcmp(f, "csv") == 0 || strcmp(f, "xlsx") == 0);
}

enum hres
api_export(struct api *a, struct req *r, api_read_fn fn, const char *what)
{
	const struct export_col *cols;
	const char *format = api_query_arg(r, "format");
	const char *lang = api_query_arg(r, "lang");
	struct exportw w;
	struct listscope sc;
	char zone[32], err[256], *data, *disp, day[16];
	size_t ncols, len;

	cols = export_columns(what, &ncols);
	memset(&w, 0, sizeof w);
	w.q.a = a;
	w.q.r = r;
	w.fn = fn;
	w.what = what;
	w.rows = json_array();
	if (list_scope(a, r, &w.q.f, &sc) != 0)
		goto done;
	if (store_read(a->st, export_op, &w) != 0) {
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot "
		    "read the %s", what);
		goto done;
	}
	data = export_file(cols, ncols, w.rows, format, lang != NULL &&
	    strcmp(lang, "en") == 0, tfmt_label(a->tf, zone, sizeof zone),
	    &len, err, sizeof err);
	if (data == NULL) {
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
		goto done;
	}
	free(r->raw);
	free(r->ctype);
	r->raw = data;
	r->rawlen = len;
	r->ctype = xstrdup(strcmp(format, "csv") == 0 ?
	    "text/csv; charset=utf-8" : "application/vnd.openxmlformats-"
	    "officedocument.spreadsheetml.sheet");
	r->status = MHD_HTTP_OK;
	tfmt_text(a->tf, time_wall_ms(), day, sizeof day);
	day[10] = '\0';
	disp = xasprintf("attachment; filename=\"kobito-%s-%s.%s\"", what,
	    day, format);
	api_add_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
	free(disp);
done:
	scope_free(&sc);
	json_decref(w.rows);
	return H_DONE;
}

/* --- the route table ------------------------------------------------------ */

/*
 * Every route of the API, in the order they are matched (the first match
 * wins, so a literal segment goes before a {capture} in the same place).
 * The comments name the file of each group's handlers.
 */
static const struct route routes[] = {
	/* api_metrics.c, api_auth.c */
	{ "GET", "/health", ROLE_NONE, SCOPE_NONE, NULL, BODY_NONE,
	    api_h_health },
	{ "GET", "/metrics", ROLE_VIEWER, SCOPE_NONE, NULL, BODY_NONE,
	    api_h_metrics },
	{ "GET", "/api/whoami", ROLE_USER, SCOPE_NONE, NULL, BODY_NONE,
	    api_h_whoami },

	/* api_agents.c, api_runs.c, api_artifacts.c, api_jobs.c: agents */
	{ "POST", "/api/agents/register", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_JSON, api_h_register },
	{ "POST", "/api/agents/lease", ROLE_AGENT, SCOPE_AGENT, NULL, BODY_JSON,
	    api_h_lease },
	{ "POST", "/api/jobs/{id}/heartbeat", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_JSON, api_h_heartbeat },
	{ "POST", "/api/jobs/{id}/events", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_JSON, api_h_events },
	{ "POST", "/api/jobs/{id}/artifacts", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_RAW, api_h_artifact },
	{ "POST", "/api/jobs/{id}/result", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_JSON, api_h_result },
	{ "POST", "/api/results", ROLE_AGENT, SCOPE_AGENT, NULL, BODY_JSON,
	    api_h_results },
	{ "POST", "/api/jobs/{id}/release", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_JSON, api_h_release },
	{ "POST", "/api/jobs/{id}/children", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_JSON, api_h_children },

	/* api_queues.c, api_triggers.c: work queues and file triggers, agents */
	{ "POST", "/api/jobs/{id}/queue-files", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_RAW, api_h_job_queue_file },
	{ "POST", "/api/jobs/{id}/queue-add", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_JSON, api_h_job_queue_add },
	{ "POST", "/api/jobs/{id}/queue-take", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_JSON, api_h_job_queue_take },
	{ "POST", "/api/queue-items/{id}/heartbeat", ROLE_AGENT, SCOPE_AGENT,
	    NULL, BODY_JSON, api_h_item_heartbeat },
	{ "POST", "/api/queue-items/{id}/done", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_JSON, api_h_item_done },
	{ "POST", "/api/queue-items/{id}/fail", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_JSON, api_h_item_fail },
	{ "POST", "/api/queue-items/{id}/release", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_JSON, api_h_item_release },
	{ "POST", "/api/queue-items/{id}/review", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_JSON, api_h_item_to_review },
	{ "POST", "/api/queue-items/{id}/fetch", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_JSON, api_h_item_fetch },
	{ "GET", "/api/agents/watches", ROLE_AGENT, SCOPE_AGENT, NULL,
	    BODY_NONE, api_h_watches },
	{ "POST", "/api/file-triggers/{name}/fire", ROLE_AGENT, SCOPE_AGENT,
	    NULL, BODY_JSON, api_h_file_trigger_fire },

	/* the files of each resource: people and tools */
	{ "GET", "/api/agents", ROLE_VIEWER, SCOPE_NONE, NULL, BODY_NONE,
	    api_h_agents },
	{ "POST", "/api/scripts", ROLE_ENGINEER, SCOPE_BODY, NULL, BODY_JSON,
	    api_h_script_upload },
	{ "GET", "/api/scripts", ROLE_VIEWER, SCOPE_LIST, NULL, BODY_NONE,
	    api_h_scripts },
	{ "GET", "/api/scripts/{name}", ROLE_VIEWER, SCOPE_OBJECT, "script",
	    BODY_NONE, api_h_script },
	{ "PUT", "/api/scripts/{name}/shared", ROLE_ENGINEER, SCOPE_OBJECT,
	    "script", BODY_JSON, api_h_script_shared },
	{ "GET", "/api/scripts/{name}/diff", ROLE_VIEWER, SCOPE_OBJECT,
	    "script", BODY_NONE, api_h_script_diff },
	{ "POST", "/api/scripts/{name}/rollback", ROLE_ENGINEER, SCOPE_OBJECT,
	    "script", BODY_JSON, api_h_script_rollback },
	{ "POST", "/api/jobs", ROLE_OPERATOR, SCOPE_BODY, NULL, BODY_JSON,
	    api_h_trigger },
	{ "GET", "/api/jobs", ROLE_VIEWER, SCOPE_LIST, NULL, BODY_NONE,
	    api_h_jobs },
	{ "GET", "/api/jobs/{id}", ROLE_VIEWER, SCOPE_OBJECT, "job", BODY_NONE,
	    api_h_job },
	{ "POST", "/api/jobs/bulk", ROLE_OPERATOR, SCOPE_LIST, NULL, BODY_JSON,
	    api_h_bulk },
	{ "POST", "/api/jobs/{id}/cancel", ROLE_OPERATOR, SCOPE_OBJECT, "job",
	    BODY_JSON, api_h_cancel },
	{ "POST", "/api/jobs/{id}/retry", ROLE_OPERATOR, SCOPE_OBJECT, "job",
	    BODY_JSON, api_h_retry },
	{ "POST", "/api/jobs/{id}/rerun", ROLE_OPERATOR, SCOPE_OBJECT, "job",
	    BODY_JSON, api_h_rerun },
	{ "GET", "/api/runs", ROLE_VIEWER, SCOPE_LIST, NULL, BODY_NONE,
	    api_h_runs },
	{ "GET", "/api/runs/{id}", ROLE_VIEWER, SCOPE_OBJECT, "run", BODY_NONE,
	    api_h_run },
	{ "GET", "/api/runs/{id}/logs", ROLE_VIEWER, SCOPE_OBJECT, "run",
	    BODY_NONE, api_h_logs },
	{ "GET", "/api/runs/{id}/events", ROLE_VIEWER, SCOPE_OBJECT, "run",
	    BODY_NONE, api_h_run_events },
	{ "GET", "/api/runs/{id}/artifacts/{name}", ROLE_VIEWER, SCOPE_OBJECT,
	    "run", BODY_NONE, api_h_artifact_get },
	{ "GET", "/api/schedules", ROLE_VIEWER, SCOPE_LIST, NULL, BODY_NONE,
	    api_h_schedules },
	{ "POST", "/api/schedules", ROLE_ENGINEER, SCOPE_BODY, NULL, BODY_JSON,
	    api_h_schedule_put },
	{ "DELETE", "/api/schedules/{name}", ROLE_ENGINEER, SCOPE_OBJECT,
	    "schedule", BODY_NONE, api_h_schedule_delete },
	{ "POST", "/api/schedules/{name}/pause", ROLE_ENGINEER, SCOPE_OBJECT,
	    "schedule", BODY_JSON, api_h_schedule_pause },
	{ "POST", "/api/schedules/{name}/resume", ROLE_ENGINEER, SCOPE_OBJECT,
	    "schedule", BODY_JSON, api_h_schedule_resume },
	{ "POST", "/api/schedules/{name}/run", ROLE_OPERATOR, SCOPE_OBJECT,
	    "schedule", BODY_JSON, api_h_schedule_run },
	{ "GET", "/api/cron/next", ROLE_USER, SCOPE_NONE, NULL, BODY_NONE,
	    api_h_cron_next },
	{ "GET", "/api/watch", ROLE_USER, SCOPE_NONE, NULL, BODY_NONE,
	    api_h_watch },
	{ "GET", "/api/tokens", ROLE_ADMIN, SCOPE_GLOBAL, NULL, BODY_NONE,
	    api_h_tokens },
	{ "POST", "/api/tokens", ROLE_ADMIN, SCOPE_GLOBAL, NULL, BODY_JSON,
	    api_h_token_create },
	{ "DELETE", "/api/tokens/{id}", ROLE_ADMIN, SCOPE_GLOBAL, NULL,
	    BODY_NONE, api_h_token_revoke },
	{ "GET", "/api/audit", ROLE_ADMIN, SCOPE_GLOBAL, NULL, BODY_NONE,
	    api_h_audit },
	{ "GET", "/api/secrets", ROLE_ENGINEER, SCOPE_LIST, NULL, BODY_NONE,
	    api_h_secrets },
	{ "PUT", "/api/secrets/{name}", ROLE_ENGINEER, SCOPE_BODY, NULL,
	    BODY_JSON, api_h_secret_put },
	{ "DELETE", "/api/secrets/{name}", ROLE_ENGINEER, SCOPE_OBJECT,
	    "secret", BODY_NONE, api_h_secret_delete },
	{ "GET", "/api/assets", ROLE_ENGINEER, SCOPE_LIST, NULL, BODY_NONE,
	    api_h_assets },
	{ "PUT", "/api/assets/{name}", ROLE_ENGINEER, SCOPE_BODY, NULL,
	    BODY_JSON, api_h_asset_put },
	{ "DELETE", "/api/assets/{name}", ROLE_ENGINEER, SCOPE_OBJECT, "asset",
	    BODY_NONE, api_h_asset_delete },

	/* api_queues.c, api_review.c, api_triggers.c: people */
	{ "GET", "/api/queues", ROLE_VIEWER, SCOPE_LIST, NULL, BODY_NONE,
	    api_h_queues },
	{ "GET", "/api/queues/{name}", ROLE_VIEWER, SCOPE_OBJECT, "queue",
	    BODY_NONE, api_h_queue },
	{ "PUT", "/api/queues/{name}", ROLE_ENGINEER, SCOPE_BODY, NULL,
	    BODY_JSON, api_h_queue_put },
	{ "DELETE", "/api/queues/{name}", ROLE_ENGINEER, SCOPE_OBJECT, "queue",
	    BODY_NONE, api_h_queue_delete },
	{ "GET", "/api/queues/{name}/items", ROLE_VIEWER, SCOPE_OBJECT, "queue",
	    BODY_NONE, api_h_queue_items },
	{ "POST", "/api/queues/{name}/items", ROLE_OPERATOR, SCOPE_OBJECT,
	    "queue", BODY_JSON, api_h_queue_add },
	{ "POST", "/api/queues/{name}/files", ROLE_OPERATOR, SCOPE_OBJECT,
	    "queue", BODY_RAW, api_h_queue_file_put },
	{ "GET", "/api/queues/{name}/export", ROLE_VIEWER, SCOPE_OBJECT,
	    "queue", BODY_NONE, api_h_queue_export },
	{ "GET", "/api/queue-items/{id}", ROLE_VIEWER, SCOPE_OBJECT,
	    "queue_item", BODY_NONE, api_h_item },
	{ "GET", "/api/queue-items/{id}/files/{name}", ROLE_VIEWER,
	    SCOPE_OBJECT, "queue_item", BODY_NONE, api_h_item_file },
	{ "POST", "/api/queue-items/{id}/retry", ROLE_OPERATOR, SCOPE_OBJECT,
	    "queue_item", BODY_JSON, api_h_item_retry },
	{ "GET", "/api/review", ROLE_USER, SCOPE_LIST, NULL, BODY_NONE,
	    api_h_review_inbox },
	{ "POST", "/api/queue-items/{id}/open", ROLE_OPERATOR, SCOPE_OBJECT,
	    "queue_item", BODY_JSON, api_h_review_open },
	{ "POST", "/api/queue-items/{id}/check", ROLE_OPERATOR, SCOPE_OBJECT,
	    "queue_item", BODY_JSON, api_h_review_check },
	{ "POST", "/api/queue-items/{id}/approve", ROLE_OPERATOR, SCOPE_OBJECT,
	    "queue_item", BODY_JSON, api_h_review_approve },
	{ "POST", "/api/queue-items/{id}/reject", ROLE_OPERATOR, SCOPE_OBJECT,
	    "queue_item", BODY_JSON, api_h_review_reject },
	{ "POST", "/api/queue-items/{id}/close", ROLE_OPERATOR, SCOPE_OBJECT,
	    "queue_item", BODY_JSON, api_h_review_close },
	{ "GET", "/api/file-triggers", ROLE_VIEWER, SCOPE_LIST, NULL, BODY_NONE,
	    api_h_file_triggers },
	{ "PUT", "/api/file-triggers/{name}", ROLE_ENGINEER, SCOPE_BODY, NULL,
	    BODY_JSON, api_h_file_trigger_put },
	{ "DELETE", "/api/file-triggers/{name}", ROLE_ENGINEER, SCOPE_OBJECT,
	    "file_trigger", BODY_NONE, api_h_file_trigger_delete },
	{ "GET", "/api/notifications/rules", ROLE_VIEWER, SCOPE_LIST, NULL,
	    BODY_NONE, api_h_notify_rules },
	{ "PUT", "/api/notifications/rules/{name}", ROLE_ENGINEER, SCOPE_BODY,
	    NULL, BODY_JSON, api_h_notify_rule_put },
	{ "DELETE", "/api/notifications/rules/{name}", ROLE_ENGINEER,
	    SCOPE_OBJECT, "notify_rule", BODY_NONE, api_h_notify_rule_delete },
	{ "GET", "/api/notifications/deliveries", ROLE_VIEWER, SCOPE_LIST, NULL,
	    BODY_NONE, api_h_notify_deliveries },
	{ "GET", "/api/notifications/mail", ROLE_ADMIN, SCOPE_GLOBAL, NULL,
	    BODY_NONE, api_h_notify_mail },
	{ "PUT", "/api/notifications/mail", ROLE_ADMIN, SCOPE_GLOBAL, NULL,
	    BODY_JSON, api_h_notify_mail_put },

	/* api_web.c -> web.c: the dashboard, sessions, users, KPIs */
	{ "GET", "/", ROLE_NONE, SCOPE_NONE, NULL, BODY_NONE, api_h_web },
	{ "GET", "/vendor/{file}", ROLE_NONE, SCOPE_NONE, NULL, BODY_NONE,
	    api_h_web },
	{ "POST", "/api/session", ROLE_NONE, SCOPE_NONE, NULL, BODY_JSON,
	    api_h_web },
	{ "GET", "/api/session", ROLE_USER, SCOPE_NONE, NULL, BODY_NONE,
	    api_h_web },
	{ "DELETE", "/api/session", ROLE_USER, SCOPE_NONE, NULL, BODY_NONE,
	    api_h_web },
	{ "PUT", "/api/session/password", ROLE_USER, SCOPE_NONE, NULL,
	    BODY_JSON, api_h_web },
	{ "POST", "/api/session/totp", ROLE_ADMIN, SCOPE_GLOBAL, NULL,
	    BODY_JSON, api_h_web },
	{ "PUT", "/api/session/totp", ROLE_ADMIN, SCOPE_GLOBAL, NULL,
	    BODY_JSON, api_h_web },
	{ "GET", "/api/users", ROLE_ADMIN, SCOPE_GLOBAL, NULL, BODY_NONE,
	    api_h_web },
	{ "PUT", "/api/users/{name}", ROLE_ADMIN, SCOPE_GLOBAL, NULL,
	    BODY_JSON, api_h_web },
	{ "PUT", "/api/users/{name}/roles", ROLE_ADMIN, SCOPE_GLOBAL, NULL,
	    BODY_JSON, api_h_web },
	{ "DELETE", "/api/users/{name}/totp", ROLE_ADMIN, SCOPE_GLOBAL, NULL,
	    BODY_NONE, api_h_web },
	{ "GET", "/api/kpi/config", ROLE_USER, SCOPE_NONE, NULL, BODY_NONE,
	    api_h_web },
	{ "GET", "/api/kpi/{report}", ROLE_USER, SCOPE_KPI, NULL, BODY_NONE,
	    api_h_web },
	{ "POST", "/api/kpi/surveys", ROLE_ADMIN, SCOPE_GLOBAL, NULL,
	    BODY_JSON, api_h_web },
	{ "POST", "/api/kpi/surveys/import", ROLE_ADMIN, SCOPE_GLOBAL, NULL,
	    BODY_RAW, api_h_web },
	{ "DELETE", "/api/kpi/surveys/{id}", ROLE_ADMIN, SCOPE_GLOBAL, NULL,
	    BODY_NONE, api_h_web },
	{ "PUT", "/api/kpi/runs/{id}/fix_minutes", ROLE_ENGINEER, SCOPE_OBJECT,
	    "ledger", BODY_JSON, api_h_web },
	{ "GET", "/{file}", ROLE_NONE, SCOPE_NONE, NULL, BODY_NONE, api_h_web },
};
#define NROUTES	(sizeof routes / sizeof routes[0])

json_t *
api_routes_json(void)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < NROUTES; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s?}",
		    "method", routes[i].method, "path", routes[i].pattern,
		    "role", role_name(routes[i].role), "scope",
		    scope_name(routes[i].scope), "object", routes[i].object));
	return a;
}

/*
 * Match path against pattern; captures (up to 2) are copied into args.
 * Returns 1 on a match.
 */
static int
match(const char *pattern, const char *path, char **args)
{
	const char *p = pattern, *q = path, *pe, *qe;
	int n = 0;

	while (*p == '/' && *q == '/') {
		p++;
		q++;
		pe = p + strcspn(p, "/");
		qe = q + strcspn(q, "/");
		if (*p == '{') {
			if (qe == q || n >= 2)
				goto no;
			args[n++] = xstrndup(q, (size_t)(qe - q));
		} else if (pe - p != qe - q || strncmp(p, q,
		    (size_t)(pe - p)) != 0)
			goto no;
		p = pe;
		q = qe;
	}
	if (*p == '\0' && *q == '\0')
		return 1;
no:
	while (n > 0)
		free(args[--n]), args[n] = NULL;
	return 0;
}

/* --- the access handler ------------------------------------------------- */

void
api_req_free(struct req *r)
{
	if (r == NULL)
		return;
	free(r->args[0]);
	free(r->args[1]);
	free(r->path);
	buf_free(&r->body);
	json_decref(r->in);
	json_decref(r->out);
	json_decref(r->detail);
	json_decref(r->lp_labels);
	free(r->raw);
	free(r->ctype);
	while (r->nhdr > 0) {
		r->nhdr--;
		free(r->hdr[2 * r->nhdr]);
		free(r->hdr[2 * r->nhdr + 1]);
	}
	free(r);
}

static void
completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct api *a = cls;
	struct req *r = *con_cls;

	(void)toe;
	api_conns_done(a, conn);
	if (r != NULL && r->watching)
		api_watch_forget(a, r);
	if (r != NULL && r->lp == LP_WAITING) {
		/* Cannot happen (suspended requests are not completed). */
		pthread_mutex_lock(&a->wmu);
		api_wait_unlink(a, r);
		pthread_mutex_unlock(&a->wmu);
	}
	api_req_free(r);
	*con_cls = NULL;
}

static int
header_size(void *cls, int kind, const char *key, const char *value)
{
	size_t *n = cls;

	(void)kind;
	*n += strlen(key) + (value ? strlen(value) : 0) + 4;
	return 0;
}

/*
 * libmicrohttpd's unescaping of the path and the query, except that
 * "%00" becomes C0 80, the overlong (so invalid) UTF-8 form of NUL: a
 * NUL would end the string there and cut a name short ("a%00b" would
 * name "a"); C0 80 is refused with the rest of invalid UTF-8 (text_ok).
 */
size_t
api_unescape(char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *h, *l;
	char *in = s, *out = s;

	while (*in != '\0') {
		if (in[0] == '%' && in[1] != '\0' && in[2] != '\0' &&
		    (h = strchr(hex, tolower((unsigned char)in[1]))) != NULL &&
		    (l = strchr(hex, tolower((unsigned char)in[2]))) != NULL) {
			if (h == hex && l == hex) {
				*out++ = (char)0xc0;
				*out++ = (char)0x80;
			} else
				*out++ = (char)((h - hex) * 16 + (l - hex));
			in += 3;
		} else
			*out++ = *in++;
	}
	*out = '\0';
	return (size_t)(out - s);
}

static size_t
unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return api_unescape(s);
}

/* Whether a path or a query item is UTF-8 text without control bytes. */
static int
text_ok(const char *s)
{
	const unsigned char *p;

	if (s == NULL)
		return 1;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return charset_utf8_valid(s, strlen(s), NULL);
}

static int
query_item_ok(void *cls, int kind, const char *key, const char *value)
{
	int *ok = cls;

	(void)kind;
	if (!text_ok(key) || !text_ok(value)) {
		*ok = 0;
		return 1;
	}
	return 0;
}

/* --- a libmicrohttpd connection as the source of a request's values ---- */

static const char *
mhd_value(void *ctx, int kind, const char *key)
{
	return MHD_lookup_connection_value(ctx, (enum MHD_ValueKind)kind, key);
}

struct mhd_each {
	web_each_fn	 fn;
	void		*cls;
};

static enum MHD_Result
mhd_each_one(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct mhd_each *e = cls;

	return e->fn(e->cls, (int)kind, key, value) == 0 ? MHD_YES : MHD_NO;
}

static void
mhd_each(void *ctx, int kind, web_each_fn fn, void *cls)
{
	struct mhd_each e = { fn, cls };

	MHD_get_connection_values(ctx, (enum MHD_ValueKind)kind, mhd_each_one,
	    &e);
}

static void
client_address(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(out, len, "unknown");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		    (socklen_t)len);
}

/*
 * Headers are in: limits, route, token.  Returns 0 to go on, or 1 when a
 * reply was made (r->status set).
 */
int
api_begin(struct api *a, struct req *r, const char *url, const char *method)
{
	size_t hsize = strlen(url) + strlen(method) + 16, i, clen;
	const char *h;
	int path_known = 0, query_ok = 1;
	char *end;

	snprintf(r->method, sizeof r->method, "%s", method);
	r->path = xstrdup(url);
	if (r->conn != NULL)
		client_address(r->conn, r->remote, sizeof r->remote);
	r->src.each(r->src.ctx, MHD_HEADER_KIND, header_size, &hsize);
	if (hsize > a->cfg.header_max) {
		api_reply_error(r, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
		    "request headers are %zu bytes; the limit is %zu", hsize,
		    a->cfg.header_max);
		return 1;
	}
	r->src.each(r->src.ctx, MHD_GET_ARGUMENT_KIND, query_item_ok,
	    &query_ok);
	if (!text_ok(url) || !query_ok) {
		free(r->path);
		r->path = xstrdup("(not UTF-8 text)");
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "the path and the "
		    "query must be UTF-8 text without NUL or other control "
		    "characters");
		return 1;
	}
	for (i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, url, r->args))
			continue;
		if (strcmp(routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		    strcmp(routes[i].method, "GET") == 0)) {
			r->route = &routes[i];
			break;
		}
		path_known = 1;
		free(r->args[0]);
		free(r->args[1]);
		r->args[0] = r->args[1] = NULL;
	}
	if (r->route == NULL) {
		if (path_known)
			api_reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "%s is not allowed on %s", method, url);
		else
			api_reply_error(r, MHD_HTTP_NOT_FOUND, "no route %s",
			    url);
		return 1;
	}
	if (r->route->role != ROLE_NONE) {
		h = api_value(r, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_AUTHORIZATION);
		if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
			if (api_session_auth(a, r, method) != 0)
				return 1;
		} else if (api_authenticate(a, r, h + 7) != 0) {
			api_reply_error(r, MHD_HTTP_UNAUTHORIZED,
			    "invalid token");
			api_audit_refusal(a, r);
			return 1;
		}
		r->authed = 1;
		api_note_caller(a, r);
		if (!role_allows(r->who.role, r->route->role)) {
			if (r->route->role == ROLE_AGENT)
				api_reply_error(r, MHD_HTTP_FORBIDDEN,
				    "%s %s is for agents; this is a %s token",
				    method, r->route->pattern,
				    role_name(r->who.role));
			else if (r->who.role == ROLE_AGENT)
				api_reply_error(r, MHD_HTTP_FORBIDDEN,
				    "%s %s needs a user token (role %s); agent "
				    "tokens cannot use it", method,
				    r->route->pattern,
				    role_name(r->route->role));
			else
				api_reply_error(r, MHD_HTTP_FORBIDDEN,
				    "%s %s needs role %s; '%s' is %s", method,
				    r->route->pattern,
				    role_name(r->route->role), r->who.name,
				    role_name(r->who.role));
			api_audit_refusal(a, r);
			return 1;
		}
		if (r->route->scope == SCOPE_OBJECT &&
		    api_perm_object(a, r) != 0)
			return 1;
	}
	buf_init(&r->body, r->route->body == BODY_RAW ? a->cfg.artifact_max :
	    a->cfg.body_max);
	h = api_value(r, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (h != NULL) {
		errno = 0;
		clen = strtoul(h, &end, 10);
		if (errno == 0 && *end == '\0' && clen > r->body.cap) {
			api_reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE,
			    "request body is %zu bytes; the limit is %zu", clen,
			    r->body.cap);
			api_audit_refusal(a, r);
			return 1;
		}
	}
	return 0;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct api *a = cls;
	struct req *r = *con_cls;

	(void)version;
	if (r == NULL) {
		api_conns_begun(a, conn);
		r = xcalloc(1, sizeof *r);
		r->conn = conn;
		r->src.value = mhd_value;
		r->src.each = mhd_each;
		r->src.ctx = conn;
		*con_cls = r;
		if (api_begin(a, r, url, method) != 0)
			return send_reply(a, r);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		api_body(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		if (r->discarded > DISCARD_MAX)
			return MHD_NO;	/* hang up */
		return MHD_YES;
	}
	if (api_run(a, r) == H_SUSPEND)
		return MHD_YES;
	return send_reply(a, r);
}

void
api_body(struct req *r, const char *data, size_t len)
{
	if (!r->too_large && r->route->body != BODY_NONE &&
	    buf_append(&r->body, data, len) != 0)
		r->too_large = 1;
	if (r->too_large)
		r->discarded += len;
}

enum hres
api_run(struct api *a, struct req *r)
{
	json_error_t jerr;

	if (r->lp == LP_NONE) {
		/* The whole request is in (first time through). */
		if (r->too_large) {
			api_reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE,
			    "request body is over the limit of %zu bytes",
			    r->body.cap);
			api_audit_refusal(a, r);
			return H_DONE;
		}
		if (r->route->body == BODY_JSON && r->in == NULL) {
			if (r->body.len == 0)
				r->in = json_object();
			else if ((r->in = json_loadb(r->body.data, r->body.len,
			    JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
			    !json_is_object(r->in)) {
				if (r->in == NULL)
					api_reply_error(r, MHD_HTTP_BAD_REQUEST,
					    "request body: invalid JSON at "
					    "line %d column %d: %s", jerr.line,
					    jerr.column, jerr.text);
				else
					api_reply_error(r, MHD_HTTP_BAD_REQUEST,
					    "request body: expected a JSON "
					    "object");
				api_audit_refusal(a, r);
				return H_DONE;
			}
		}
	}
	if (r->lp == LP_WAITING || r->lp == LP_CLAIMED)
		return H_SUSPEND;	/* resumed spuriously: still parked */
	if (r->route->handler(a, r) == H_SUSPEND)
		return H_SUSPEND;
	if (r->status == 0)
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "no reply");
	return H_DONE;
}

/* --- life cycle ---------------------------------------------------------- */

void
api_config_defaults(struct api_config *c)
{
	memset(c, 0, sizeof *c);
	c->body_max = 1024 * 1024;
	c->artifact_max = 10 * 1024 * 1024;
	c->header_max = 16 * 1024;
	c->artifacts_per_run = 100;
	c->lease_ttl_ms = 30000;
	c->wait_max_ms = 60000;
	c->threads = 32;
	c->max_connections = 4096;
	c->connections_per_address = 128;
	c->header_timeout_ms = 15000;
	c->retention.default_ms = 90 * 86400000LL;
	c->jobs.max_attempts = 3;
	c->jobs.backoff_ms = 10000;
	c->jobs.backoff_max_ms = 600000;
	c->jobs.timeout_ms = 3600000;
}

struct api *
api_new(struct store *st, struct scripts *sc, struct sched *sched,
    struct secrets *sk, const struct tfmt *tf, const struct api_config *cfg)
{
	struct api *a = xcalloc(1, sizeof *a);

	a->st = st;
	a->sc = sc;
	a->sched = sched;
	a->sk = sk;
	a->tf = tf;
	a->cfg = *cfg;
	pthread_mutex_init(&a->wmu, NULL);
	pthread_mutex_init(&a->tmu, NULL);
	pthread_mutex_init(&a->kmu, NULL);
	pthread_cond_init(&a->kcv, NULL);
	pthread_rwlock_init(&a->tclock, NULL);
	pthread_mutex_init(&a->vmu, NULL);
	/* Never a value a page saw before a restart: it is told at once. */
	a->change = (uint64_t)time_wall_ms();
	pthread_mutex_init(&a->pmu, NULL);
	pthread_mutex_init(&a->amu, NULL);
	pthread_mutex_init(&a->lmu, NULL);
	a->tcache = xcalloc(API_TCACHE_SIZE, sizeof *a->tcache);
	return a;
}

int
api_start(struct api *a, int fd, char *err, size_t errlen)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	unsigned limit = api_conns_limit(a);

	if (limit < (unsigned)a->cfg.max_connections)
		fprintf(stderr, "kobito-scheduler: the open-file limit allows "
		    "%u connections, not %d (raise it with ulimit -n or "
		    "LimitNOFILE=)\n", limit, a->cfg.max_connections);

	/*
	 * The pool holds the request line and headers plus MHD's buffers:
	 * the header limit and room to spare, so that our own check (431
	 * with a JSON body) sees oversized headers before MHD runs out of
	 * room.  MHD clears the pool for every request: no bigger.
	 *
	 * Connections are capped in all (below the open-file limit: at that
	 * limit MHD fails to accept in a busy loop) and per client address,
	 * so that one client cannot take them all (api_conns.h).
	 */
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)a->cfg.tls_cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)a->cfg.tls_key },
		{ MHD_OPTION_END, 0, NULL },
	};

	if (a->cfg.tls_cert != NULL && a->cfg.tls_key != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(err, errlen, "this libmicrohttpd cannot serve "
			    "HTTPS (built without TLS)");
			return -1;
		}
		flags |= MHD_USE_TLS;
	} else
		tls[0].option = MHD_OPTION_END;
	a->mhd = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, a,
	    MHD_OPTION_ARRAY, tls,
	    MHD_OPTION_EXTERNAL_LOGGER, api_conns_log, a,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)a->cfg.threads,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)(a->cfg.header_max + 16 * 1024),
	    MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)a->cfg.connections_per_address,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_NOTIFY_CONNECTION, api_conns_notify, a,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, a,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
	    MHD_OPTION_END);
	if (a->mhd == NULL) {
		snprintf(err, errlen, "cannot start the HTTP server");
		return -1;
	}
	if (pthread_create(&a->ticker, NULL, api_ticker_main, a) != 0) {
		snprintf(err, errlen, "cannot start the ticker thread");
		MHD_stop_daemon(a->mhd);
		a->mhd = NULL;
		return -1;
	}
	a->ticker_running = 1;
	/* Notifications on a thread of their own: a slow webhook holds up
	 * nothing else. */
	if (pthread_create(&a->notifier, NULL, api_notifier_main, a) == 0)
		a->notifier_running = 1;
	else
		fprintf(stderr, "kobito-scheduler: cannot start the notifier "
		    "thread; no notifications will be sent\n");
	return 0;
}

void
api_stop(struct api *a)
{
	pthread_mutex_lock(&a->kmu);
	a->stopping = 1;
	pthread_cond_signal(&a->kcv);
	pthread_mutex_unlock(&a->kmu);
	if (a->ticker_running) {
		pthread_join(a->ticker, NULL);
		a->ticker_running = 0;
	}
	if (a->notifier_running) {
		pthread_join(a->notifier, NULL);
		a->notifier_running = 0;
	}
	pthread_mutex_lock(&a->wmu);
	a->gen++;
	pthread_mutex_unlock(&a->wmu);
	if (a->mhd != NULL) {
		/* Every parked long poll answers 204 before the end. */
		api_expire_waiters(a, INT64_MAX, 1);
		api_watch_expire(a, INT64_MAX, 1);
		time_sleep_ms(100, NULL);
		MHD_stop_daemon(a->mhd);
		a->mhd = NULL;
	}
	api_audit_flush(a, 1);
}

void
api_set_web(struct api *a, struct web *w)
{
	a->web = w;
	a->kpi = w != NULL ? web_kpi(w) : NULL;
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	api_touches_clear(&a->agents);
	api_touches_clear(&a->tokens);
	json_decref(a->finals);
	pthread_mutex_destroy(&a->wmu);
	pthread_mutex_destroy(&a->tmu);
	pthread_mutex_destroy(&a->kmu);
	pthread_cond_destroy(&a->kcv);
	pthread_rwlock_destroy(&a->tclock);
	api_conns_clear(a);
	api_audit_clear(a);
	pthread_mutex_destroy(&a->vmu);
	pthread_mutex_destroy(&a->pmu);
	pthread_mutex_destroy(&a->amu);
	pthread_mutex_destroy(&a->lmu);
	sodium_memzero(a->tcache, API_TCACHE_SIZE * sizeof *a->tcache);
	free(a->tcache);
	free(a);
}
