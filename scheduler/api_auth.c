/*
 * api_auth.c - who is calling (see api_auth.h): bearer tokens looked up
 * through a small cache, the dashboard's session cookie, the record of
 * when tokens and agents were last seen, and the token routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include <sodium.h>

#include "api_audit.h"
#include "api_auth.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

static void
touch(struct touches *t, int64_t id, int64_t at, const char *remote)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->id[i] == id)
			break;
	if (i == t->n) {
		t->id = xreallocarray(t->id, t->n + 1, sizeof *t->id);
		t->at = xreallocarray(t->at, t->n + 1, sizeof *t->at);
		t->remote = xreallocarray(t->remote, t->n + 1,
		    sizeof *t->remote);
		t->id[i] = id;
		t->remote[i] = NULL;
		t->n++;
	}
	t->at[i] = at;
	if (remote != NULL && (t->remote[i] == NULL ||
	    strcmp(t->remote[i], remote) != 0)) {
		free(t->remote[i]);
		t->remote[i] = xstrdup(remote);
	}
}

void
api_touches_clear(struct touches *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->remote[i]);
	free(t->id);
	free(t->at);
	free(t->remote);
	memset(t, 0, sizeof *t);
}

void
api_note_caller(struct api *a, struct req *r)
{
	int64_t now = time_wall_ms();

	pthread_mutex_lock(&a->tmu);
	touch(&a->tokens, r->who.token_id, now, NULL);
	if (r->who.role == ROLE_AGENT)
		touch(&a->agents, r->who.agent_id, now, r->remote);
	pthread_mutex_unlock(&a->tmu);
}

static size_t
tcache_slot(const char *token)
{
	uint64_t h = 1469598103934665603ull;

	for (; *token; token++)
		h = (h ^ (unsigned char)*token) * 1099511628211ull;
	return (size_t)(h % API_TCACHE_SIZE);
}

void
api_tcache_clear(struct api *a)
{
	pthread_rwlock_wrlock(&a->tclock);
	a->tcgen++;
	memset(a->tcache, 0, API_TCACHE_SIZE * sizeof *a->tcache);
	pthread_rwlock_unlock(&a->tclock);
}

static int
auth_read(struct conn *c, void *p)
{
	struct req *r = p;
	const char *h = api_value(r, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);

	return auth_lookup(c, h + 7, &r->who);
}

/* Who the request's bearer token belongs to: 0, or -1 when no one. */
int
api_authenticate(struct api *a, struct req *r, const char *token)
{
	struct tcache_ent *e;
	size_t slot;
	uint64_t gen;
	int found = 0;

	if (strlen(token) != AUTH_TOKEN_LEN)
		return -1;
	slot = tcache_slot(token);
	pthread_rwlock_rdlock(&a->tclock);
	e = &a->tcache[slot];
	if (sodium_memcmp(e->token, token, AUTH_TOKEN_LEN + 1) == 0) {
		r->who = e->who;
		found = 1;
	}
	gen = a->tcgen;
	pthread_rwlock_unlock(&a->tclock);
	if (found)
		return 0;
	if (store_read(a->st, auth_read, r) != 0)
		return -1;
	pthread_rwlock_wrlock(&a->tclock);
	if (a->tcgen == gen) {
		memcpy(a->tcache[slot].token, token, AUTH_TOKEN_LEN + 1);
		a->tcache[slot].who = r->who;
	}
	pthread_rwlock_unlock(&a->tclock);
	return 0;
}

/*
 * A call without a bearer token: a browser's session cookie stands for
 * one (web.c).  0 when r->who is set, else 1 with the refusal made.
 */
int
api_session_auth(struct api *a, struct req *r, const char *method)
{
	char msg[256];
	enum web_auth rc = a->web == NULL ? WEB_AUTH_NONE :
	    web_authenticate(a->web, &r->src, method, &r->who, msg,
	    sizeof msg);

	switch (rc) {
	case WEB_AUTH_OK:
		return 0;
	case WEB_AUTH_CSRF:
		/* A real user's session: the refusal is a row naming him. */
		r->authed = 1;
		api_reply_error(r, MHD_HTTP_FORBIDDEN, "%s", msg);
		break;
	case WEB_AUTH_INVALID:
		api_reply_error(r, MHD_HTTP_UNAUTHORIZED, "%s", msg);
		break;
	case WEB_AUTH_NONE:
		api_reply_error(r, MHD_HTTP_UNAUTHORIZED,
		    "missing bearer token");
		break;
	}
	api_audit_refusal(a, r);
	return 1;
}

enum hres
api_h_whoami(struct api *a, struct req *r)
{
	(void)a;
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:s, s:I}", "name",
	    r->who.name, "role", role_name(r->who.role), "token_id",
	    (json_int_t)r->who.token_id));
	return H_DONE;
}

struct tokw {
	enum role	 role;
	const char	*name;
};

static int
token_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct tokw *w = p;
	char tok[AUTH_TOKEN_LEN + 1], err[256];
	int64_t id;

	(void)a;
	if (auth_token_create(c, w->role, w->name, r->who.name, time_wall_ms(),
	    tok, &id, err, sizeof err) != 0) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_CREATED, json_pack("{s:I, s:s, s:s, s:s}",
	    "id", (json_int_t)id, "token", tok, "name", w->name, "role",
	    role_name(w->role)));
	sodium_memzero(tok, sizeof tok);
	json_object_set_new(r->detail, "id", json_integer(id));
	return 0;
}

enum hres
api_h_token_create(struct api *a, struct req *r)
{
	struct tokw w;
	const char *role;

	if (api_in_str(r, "role", 1, 16, &role) != 0 ||
	    api_in_str(r, "name", 1, 64, &w.name) != 0)
		goto refused;
	if (role_parse(role, &w.role) != 0) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "role: expected viewer, operator, engineer, admin or "
		    "agent, not '%s'", role);
		goto refused;
	}
	r->detail = json_pack("{s:s, s:s}", "name", w.name, "role", role);
	api_write_audited(a, r, token_write, &w);
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

static int
token_revoke_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	int64_t id = *(int64_t *)p;

	(void)a;
	if (auth_revoke(c, id, time_wall_ms()) != 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no live token %lld",
		    (long long)id);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:I}", "revoked",
	    (json_int_t)id));
	return 0;
}

enum hres
api_h_token_revoke(struct api *a, struct req *r)
{
	int64_t id = text_parse_id(r->args[0]);

	if (id == 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no token '%s'",
		    r->args[0]);
		api_audit_refusal(a, r);
		return H_DONE;
	}
	r->detail = json_pack("{s:I}", "id", (json_int_t)id);
	api_write_audited(a, r, token_revoke_write, &id);
	if (r->status == MHD_HTTP_OK)
		api_tcache_clear(a);
	return H_DONE;
}

static json_t *
tokens_read(struct conn *c, struct api_readq *q)
{
	return query_tokens(c, q->a->tf);
}

enum hres
api_h_tokens(struct api *a, struct req *r)
{
	return api_read(a, r, tokens_read, 0, "tokens");
}
