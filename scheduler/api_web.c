/*
 * api_web.c - the bridge to web.c (see api_web.h): a web handler gets a
 * struct web_req, and what it fills in is moved into the request.
 */
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_audit.h"
#include "api_auth.h"
#include "api_web.h"
#include "timeutil.h"

struct webctx {
	struct api	*a;
	struct req	*r;
};

struct webw {
	struct web_req	*w;
	web_write_fn	 fn;
	void		*arg;
};

/* Move what a web handler put in its reply into the request. */
static void
web_take(struct req *r, struct web_req *w)
{
	int i;

	if (w->status != 0)
		r->status = w->status;
	if (w->out != NULL) {
		json_decref(r->out);
		r->out = w->out;
		w->out = NULL;
	}
	if (w->raw != NULL) {
		free(r->raw);
		r->raw = w->raw;
		r->rawlen = w->rawlen;
		w->raw = NULL;
	}
	if (w->ctype != NULL) {
		free(r->ctype);
		r->ctype = w->ctype;
		w->ctype = NULL;
	}
	if (w->detail != NULL) {
		json_decref(r->detail);
		r->detail = w->detail;
		w->detail = NULL;
	}
	for (i = 0; i < w->nhdr && r->nhdr < WEB_MAX_HEADERS; i++) {
		r->hdr[2 * r->nhdr] = w->hdr[2 * i];
		r->hdr[2 * r->nhdr + 1] = w->hdr[2 * i + 1];
		r->nhdr++;
		w->hdr[2 * i] = w->hdr[2 * i + 1] = NULL;
	}
	w->nhdr = 0;
	r->no_audit |= w->no_audit;
	if (w->authed && !r->authed) {
		r->who = w->who;	/* a login: the audit row names the user */
		r->authed = 1;
	}
}

static int
web_write_op(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct webw *x = p;
	int rc = x->fn(c, x->w, x->arg);

	(void)a;
	web_take(r, x->w);
	return rc;
}

/* web_req.write: the change and its audit row in one durable write. */
static int
web_write(struct web_req *w, web_write_fn fn, void *arg)
{
	struct webctx *ctx = w->api_ctx;
	struct webw x = { w, fn, arg };
	json_t *detail = w->detail;

	w->wrote = 1;
	/* The detail stays with fn, which may add to it before its row. */
	w->detail = NULL;
	web_take(ctx->r, w);
	w->detail = detail;
	return api_write_audited(ctx->a, ctx->r, web_write_op, &x);
}

enum hres
api_h_web(struct api *a, struct req *r)
{
	struct webctx ctx = { a, r };
	struct web_req w;
	web_handler_fn fn = web_handler(r->route->method, r->route->pattern);

	if (a->web == NULL || fn == NULL) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no dashboard here");
		api_audit_refusal(a, r);
		return H_DONE;
	}
	memset(&w, 0, sizeof w);
	w.src = &r->src;
	w.method = r->method;
	w.path = r->path;
	w.remote = r->remote;
	w.args = r->args;
	w.in = r->in;
	if (r->route->body == BODY_RAW) {
		w.body = r->body.data;
		w.bodylen = r->body.len;
	}
	w.who = r->who;
	w.authed = r->authed;
	w.now = time_wall_ms();
	w.write = web_write;
	w.api_ctx = &ctx;
	fn(a->web, &w);
	web_take(r, &w);
	web_req_clear(&w);
	/* A changed or disabled user's tokens must be looked up again. */
	if (w.wrote && r->status < 300 && strncmp(r->path, "/api/users",
	    strlen("/api/users")) == 0)
		api_tcache_clear(a);
	if (api_mutating(r) && !w.wrote)
		api_audit_refusal(a, r);
	return H_DONE;
}
