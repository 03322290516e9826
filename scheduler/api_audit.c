/*
 * api_audit.c - the audit log of the API (see api_audit.h): a change and
 * its audit row are written in one durable transaction; a refused change
 * gets a row of its own.
 */
#include <stdio.h>
#include <string.h>
#include <microhttpd.h>

#include "api_audit.h"
#include "timeutil.h"

int
api_mutating(const struct req *r)
{
	return strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;
}

static void
actor_of(const struct req *r, char *out, size_t len)
{
	if (!r->authed)
		snprintf(out, len, "anonymous");
	else if (r->who.role == ROLE_AGENT)
		snprintf(out, len, "agent:%s", r->who.name);
	else
		snprintf(out, len, "%s", r->who.name);
}

int
api_audit_insert(struct conn *c, struct req *r)
{
	sqlite3_stmt *st = conn_stmt(c, "INSERT INTO audit (at, actor,"
	    " token_id, role, method, path, status, remote, detail)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
	char actor[160];

	actor_of(r, actor, sizeof actor);
	sqlite3_bind_int64(st, 1, time_wall_ms());
	bind_text(st, 2, actor);
	if (r->authed) {
		sqlite3_bind_int64(st, 3, r->who.token_id);
		bind_text(st, 4, role_name(r->who.role));
	}
	bind_text(st, 5, r->method);
	bind_text(st, 6, r->path);
	sqlite3_bind_int(st, 7, r->status);
	bind_text(st, 8, r->remote);
	if (r->detail != NULL)
		sqlite3_bind_text(st, 9, json_dumps(r->detail, JSON_COMPACT),
		    -1, free);
	return conn_step(c, st, NULL, 0);
}

struct wctx {
	struct api	*a;
	struct req	*r;
	api_write_fn	 fn;
	void		*arg;
	int		 refused;	/* fn returned non-zero */
};

static int
audited_op(struct conn *c, void *p)
{
	struct wctx *w = p;

	if (w->fn != NULL && w->fn(c, w->a, w->r, w->arg) != 0) {
		/* The store rolls this write back; the refusal is audited
		 * in a write of its own. */
		w->refused = 1;
		return -1;
	}
	if (api_mutating(w->r) && !w->r->no_audit &&
	    api_audit_insert(c, w->r) != 0)
		return -1;
	return 0;
}

/*
 * Run fn in a durable write with the request's audit row.  fn sets the
 * reply; it returns non-zero to have its changes rolled back (the audit
 * row of the refusal is still written).  -1 when a commit failed (the
 * reply is then a 500).
 */
int
api_write_audited(struct api *a, struct req *r, api_write_fn fn, void *arg)
{
	struct wctx w = { a, r, fn, arg, 0 };
	char err[256];

	if (store_write(a->st, audited_op, &w, err, sizeof err) == 0)
		return 0;
	if (w.refused) {
		if (!api_mutating(r) || r->no_audit)
			return 0;
		w.fn = NULL;
		if (store_write(a->st, audited_op, &w, err, sizeof err) == 0)
			return 0;
	}
	api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s",
	    err[0] ? err : "database write failed");
	return -1;
}

/* Audit a call refused before its handler ran. */
void
api_audit_refusal(struct api *a, struct req *r)
{
	if (api_mutating(r))
		api_write_audited(a, r, NULL, NULL);
}

static json_t *
audit_read(struct conn *c, struct api_readq *q)
{
	return query_audit(c, q->a->tf, &q->f);
}

enum hres
api_h_audit(struct api *a, struct req *r)
{
	return api_read(a, r, audit_read, 0, "audit");
}
