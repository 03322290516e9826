/*
 * api_review.c - the review station's routes (see review.h and
 * docs/queues.md): the inbox, opening an item (its lock), checking
 * values against the template, approving, rejecting, closing.  Only
 * admins and the operators of the queue's department (perm.h: the route
 * table checks the role on the item before a handler runs) may open,
 * check, approve or reject an item; anyone else is refused with 403
 * whatever the page shows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_audit.h"
#include "api_queues.h"
#include "review.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

struct inboxq {
	struct api	*a;
	struct req	*r;
	int		 limit;
	const char	*review, *see;	/* departments as JSON, NULL: all */
	json_t		*out;
};

static int
inbox_read(struct conn *c, void *p)
{
	struct inboxq *q = p;

	q->out = review_inbox(c, q->review, q->see, q->limit, time_wall_ms(),
	    api_queues_time, (void *)q->a->tf);
	return 0;
}

enum hres
api_h_review_inbox(struct api *a, struct req *r)
{
	struct inboxq q = { a, r, 100, NULL, NULL, NULL };
	char *review, *see = NULL;
	const char *v;

	if ((v = api_query_arg(r, "limit")) != NULL &&
	    ((q.limit = (int)text_parse_id(v)) == 0 || q.limit > 1000)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "limit: expected 1-1000");
		return H_DONE;
	}
	/* Items where the caller may review; figures where they may look,
	 * every department's for a manager. */
	review = api_perm_depts(a, r, ROLE_OPERATOR);
	if (!perm_sees_all_kpi(&r->who.perm))
		see = api_perm_depts(a, r, ROLE_VIEWER);
	q.review = review;
	q.see = see;
	store_read(a->st, inbox_read, &q);
	free(review);
	free(see);
	api_queues_paths(a, json_object_get(q.out, "items"));
	api_queues_paths(a, json_object_get(q.out, "departments"));
	api_reply_json(r, MHD_HTTP_OK, q.out);
	return H_DONE;
}

/* A review call: the item, and whether the caller may review it. */
struct revw {
	struct api	*a;
	int64_t		 id;
	json_t		*values;
	const char	*reason;
	double		 minutes;
	json_t		*result;
	int		 back_to_new;
};

/* The {id} (the route checked the caller may review it): 0, or -1. */
static int
may_review(struct api *a, struct req *r, struct revw *w)
{
	w->a = a;
	if ((w->id = text_parse_id(r->args[0])) == 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no queue item '%s'",
		    r->args[0]);
		return -1;
	}
	return 0;
}

static int
open_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct revw *w = p;
	char err[256];
	json_t *item;
	int rc, renewed;

	rc = review_open(c, w->id, r->who.name, time_wall_ms(),
	    REVIEW_LOCK_MS, &renewed, err, sizeof err);
	if (rc != QUEUES_OK) {
		api_reply_queues_error(r, rc, err);
		return -1;
	}
	/* Keeping it open is not worth an audit row every half minute. */
	r->no_audit = renewed;
	item = queues_item_json(c, w->id, 0, api_queues_time, (void *)a->tf);
	json_object_set_new(item, "lock_ms", json_integer(REVIEW_LOCK_MS));
	api_reply_json(r, MHD_HTTP_OK, item);
	return 0;
}

/* A route on the {id} alone (open, close): fn does the change. */
static enum hres
item_only(struct api *a, struct req *r, api_write_fn fn)
{
	struct revw w;

	memset(&w, 0, sizeof w);
	if (may_review(a, r, &w) != 0) {
		api_audit_refusal(a, r);
		return H_DONE;
	}
	r->detail = json_pack("{s:I}", "item", (json_int_t)w.id);
	api_write_audited(a, r, fn, &w);
	return H_DONE;
}

enum hres
api_h_review_open(struct api *a, struct req *r)
{
	return item_only(a, r, open_write);
}

static int
check_read(struct conn *c, void *p)
{
	struct revw *w = p;
	sqlite3_stmt *st = conn_stmt(c, "SELECT review FROM queue_items"
	    " WHERE id = ? AND state = 'needs_review'");
	json_t *review = NULL;

	sqlite3_bind_int64(st, 1, w->id);
	if (sqlite3_step(st) == SQLITE_ROW)
		review = json_loads(col_text(st, 0), 0, NULL);
	sqlite3_reset(st);
	if (review != NULL)
		w->result = review_check(review, w->values);
	json_decref(review);
	return 0;
}

enum hres
api_h_review_check(struct api *a, struct req *r)
{
	struct revw w;

	memset(&w, 0, sizeof w);
	r->no_audit = 1;	/* nothing changes */
	if (may_review(a, r, &w) != 0)
		return H_DONE;
	w.values = json_object_get(r->in, "values");
	if (w.values != NULL && !json_is_object(w.values)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "values: expected an "
		    "object of field names and values");
		return H_DONE;
	}
	store_read(a->st, check_read, &w);
	if (w.result == NULL)
		api_reply_error(r, MHD_HTTP_CONFLICT, "queue item %lld is not "
		    "waiting for review", (long long)w.id);
	else
		api_reply_json(r, MHD_HTTP_OK, w.result);
	return H_DONE;
}

static int
approve_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct revw *w = p;
	char err[256];
	int rc;

	(void)a;
	json_decref(w->result);
	w->result = NULL;
	rc = review_approve(c, w->id, r->who.name, w->values, time_wall_ms(),
	    &w->minutes, &w->result, err, sizeof err);
	if (rc == QUEUES_INVALID && w->result != NULL) {
		/* 422: the values as the template judges them. */
		json_object_set_new(w->result, "error", json_string(err));
		api_reply_json(r, MHD_HTTP_UNPROCESSABLE_CONTENT,
		    json_incref(w->result));
		return -1;
	}
	if (rc != QUEUES_OK) {
		api_reply_queues_error(r, rc, err);
		return -1;
	}
	w->back_to_new = 1;
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:I, s:s, s:f, s:O}", "id",
	    (json_int_t)w->id, "state", "new", "minutes", w->minutes,
	    "values", json_object_get(w->result, "values")));
	json_object_set_new(r->detail, "minutes", json_real(w->minutes));
	return 0;
}

enum hres
api_h_review_approve(struct api *a, struct req *r)
{
	struct revw w;

	memset(&w, 0, sizeof w);
	if (may_review(a, r, &w) != 0)
		goto refused;
	w.values = json_object_get(r->in, "values");
	if (w.values != NULL && !json_is_object(w.values)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "values: expected an "
		    "object of field names and values");
		goto refused;
	}
	r->detail = json_pack("{s:I}", "item", (json_int_t)w.id);
	api_write_audited(a, r, approve_write, &w);
	json_decref(w.result);
	if (w.back_to_new && r->status == MHD_HTTP_OK)
		api_queue_triggers(a);
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

static int
reject_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct revw *w = p;
	char err[256];
	int rc;

	(void)a;
	rc = review_reject(c, w->id, r->who.name, w->reason, time_wall_ms(),
	    &w->minutes, err, sizeof err);
	if (rc != QUEUES_OK) {
		api_reply_queues_error(r, rc, err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:I, s:s, s:s, s:f}", "id",
	    (json_int_t)w->id, "state", "failed", "exception", "business",
	    "minutes", w->minutes));
	json_object_set_new(r->detail, "minutes", json_real(w->minutes));
	return 0;
}

enum hres
api_h_review_reject(struct api *a, struct req *r)
{
	struct revw w;

	memset(&w, 0, sizeof w);
	if (may_review(a, r, &w) != 0 ||
	    api_in_str(r, "reason", 1, 2000, &w.reason) != 0)
		goto refused;
	r->detail = json_pack("{s:I, s:s}", "item", (json_int_t)w.id,
	    "reason", w.reason);
	api_write_audited(a, r, reject_write, &w);
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

static int
close_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct revw *w = p;
	char err[256];
	int rc;

	(void)a;
	rc = review_close(c, w->id, r->who.name, time_wall_ms(), err,
	    sizeof err);
	if (rc != QUEUES_OK) {
		api_reply_queues_error(r, rc, err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:I, s:b}", "id",
	    (json_int_t)w->id, "closed", 1));
	return 0;
}

enum hres
api_h_review_close(struct api *a, struct req *r)
{
	return item_only(a, r, close_write);
}
