/*
 * api_call.c - one request handled without a socket (see api_handle() in
 * api.h): the same route table, limits, authentication, handlers and
 * audit as a request over HTTP, for tests and fuzzing.
 *
 * The URL is split and decoded here as libmicrohttpd would (the path,
 * and the query's names and values, with "+" as a space and %XX
 * escapes), the cookies are read from the Cookie header, and the
 * request's values come from those lists instead of a connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <microhttpd.h>

#include "api_int.h"
#include "xmalloc.h"

/* Values of one kind: name, value pairs (owned). */
struct kv {
	char		**v;
	size_t		 n;	/* pairs */
};

struct callsrc {
	struct kv	 kind[3];	/* header, cookie, query */
};

static struct kv *
kv_of(struct callsrc *s, int kind)
{
	switch (kind) {
	case MHD_HEADER_KIND:
		return &s->kind[0];
	case MHD_COOKIE_KIND:
		return &s->kind[1];
	case MHD_GET_ARGUMENT_KIND:
		return &s->kind[2];
	}
	return NULL;
}

static void
kv_add(struct kv *kv, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	kv->v = xreallocarray(kv->v, 2 * (kv->n + 1), sizeof *kv->v);
	kv->v[2 * kv->n] = xstrndup(name, nlen);
	kv->v[2 * kv->n + 1] = xstrndup(value, vlen);
	kv->n++;
}

static void
kv_clear(struct kv *kv)
{
	size_t i;

	for (i = 0; i < 2 * kv->n; i++)
		free(kv->v[i]);
	free(kv->v);
	memset(kv, 0, sizeof *kv);
}

static const char *
call_value(void *ctx, int kind, const char *key)
{
	struct kv *kv = kv_of(ctx, kind);
	size_t i;

	if (kv == NULL)
		return NULL;
	for (i = 0; i < kv->n; i++)
		if ((kind == MHD_HEADER_KIND ? strcasecmp(kv->v[2 * i], key) :
		    strcmp(kv->v[2 * i], key)) == 0)
			return kv->v[2 * i + 1];
	return NULL;
}

static void
call_each(void *ctx, int kind, web_each_fn fn, void *cls)
{
	struct kv *kv = kv_of(ctx, kind);
	size_t i;

	for (i = 0; kv != NULL && i < kv->n; i++)
		if (fn(cls, kind, kv->v[2 * i], kv->v[2 * i + 1]) != 0)
			return;
}

/* The query "a=1&b=x+y" into names and decoded values. */
static void
parse_query(struct kv *kv, const char *q)
{
	const char *amp, *eq;
	char *name, *value, *p;
	size_t len;

	for (; q != NULL && *q != '\0'; q = amp ? amp + 1 : NULL) {
		amp = strchr(q, '&');
		len = amp ? (size_t)(amp - q) : strlen(q);
		if (len == 0)
			continue;
		eq = memchr(q, '=', len);
		name = xstrndup(q, eq ? (size_t)(eq - q) : len);
		value = eq ? xstrndup(eq + 1, len - (size_t)(eq - q) - 1) :
		    xstrdup("");
		for (p = name; *p; p++)
			if (*p == '+')
				*p = ' ';
		for (p = value; *p; p++)
			if (*p == '+')
				*p = ' ';
		api_unescape(name);
		api_unescape(value);
		kv_add(kv, name, strlen(name), value, strlen(value));
		free(name);
		free(value);
	}
}

/* The Cookie header "a=b; c=d" into names and values. */
static void
parse_cookies(struct kv *kv, const char *c)
{
	const char *semi, *eq;
	size_t len;

	for (; c != NULL && *c != '\0'; c = semi ? semi + 1 : NULL) {
		while (*c == ' ')
			c++;
		semi = strchr(c, ';');
		len = semi ? (size_t)(semi - c) : strlen(c);
		if ((eq = memchr(c, '=', len)) != NULL)
			kv_add(kv, c, (size_t)(eq - c), eq + 1,
			    len - (size_t)(eq - c) - 1);
	}
}

/* The reply r made, as an answer. */
static void
answer(struct req *r, struct api_answer *ans)
{
	char *text;

	ans->status = r->status;
	if (r->raw != NULL) {
		ans->body = r->raw;
		ans->len = r->rawlen;
		r->raw = NULL;
		ans->ctype = xstrdup(r->ctype ? r->ctype :
		    "application/octet-stream");
	} else if (r->out != NULL) {
		text = json_dumps(r->out, JSON_COMPACT);
		ans->len = strlen(text);
		ans->body = text;
		ans->ctype = xstrdup("application/json; charset=utf-8");
	} else {
		ans->body = xstrdup("");
		ans->len = 0;
	}
}

int
api_handle(struct api *a, const struct api_call *call,
    struct api_answer *ans)
{
	struct callsrc src;
	struct req *r;
	const char *q;
	char *path;
	size_t i;

	memset(ans, 0, sizeof *ans);
	memset(&src, 0, sizeof src);
	if (call->method == NULL || call->url == NULL || call->url[0] != '/')
		return -1;
	for (i = 0; i < call->nheaders; i++) {
		kv_add(&src.kind[0], call->headers[2 * i],
		    strlen(call->headers[2 * i]), call->headers[2 * i + 1],
		    strlen(call->headers[2 * i + 1]));
		if (strcasecmp(call->headers[2 * i], "Cookie") == 0)
			parse_cookies(&src.kind[1], call->headers[2 * i + 1]);
	}
	q = strchr(call->url, '?');
	path = q ? xstrndup(call->url, (size_t)(q - call->url)) :
	    xstrdup(call->url);
	api_unescape(path);
	if (q != NULL)
		parse_query(&src.kind[2], q + 1);

	r = xcalloc(1, sizeof *r);
	r->src.value = call_value;
	r->src.each = call_each;
	r->src.ctx = &src;
	snprintf(r->remote, sizeof r->remote, "%s", call->remote ?
	    call->remote : "127.0.0.1");
	if (api_begin(a, r, path, call->method) == 0) {
		if (call->bodylen > 0)
			api_body(r, call->body, call->bodylen);
		if (api_run(a, r) != H_DONE)
			abort();	/* nothing parks without a socket */
	}
	answer(r, ans);
	api_req_free(r);
	free(path);
	for (i = 0; i < 3; i++)
		kv_clear(&src.kind[i]);
	return 0;
}

void
api_answer_clear(struct api_answer *ans)
{
	free(ans->body);
	free(ans->ctype);
	memset(ans, 0, sizeof *ans);
}
