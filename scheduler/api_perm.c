/*
 * api_perm.c - the department dimension of the API's routes (see
 * api_int.h and perm.h): the check of a route that names an object, the
 * checks handlers make on what a body names, and the department filter
 * of lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_audit.h"
#include "api_int.h"
#include "msg.h"
#include "xmalloc.h"

static const char *const scope_names[] = {
	[SCOPE_NONE] = "none",
	[SCOPE_GLOBAL] = "global",
	[SCOPE_OBJECT] = "object",
	[SCOPE_LIST] = "list",
	[SCOPE_BODY] = "body",
	[SCOPE_KPI] = "kpi",
	[SCOPE_AGENT] = "agent",
};

const char *
scope_name(enum scope s)
{
	return (unsigned)s <= SCOPE_AGENT ? scope_names[s] : "unknown";
}

/* A department for messages: its path in the tree, or the code. */
static const char *
label(const struct kpi_config *kpi, const char *code)
{
	int i;

	if (*code == '\0')
		return "the whole organisation";
	i = kpi != NULL ? kpi_dept_find(kpi, code) : -1;
	return i >= 0 ? kpi->depts[i].path : code;
}

/* The 403 of a caller holding have in dept where need is needed. */
static void
refuse(struct api *a, struct req *r, const char *dept, enum role have,
    enum role need, const char *what, const char *key)
{
	char whom[256];

	snprintf(whom, sizeof whom, "%s%s%s%s", msg_word(what,
	    api_japanese(r)), key ? " '" : "", key ? key : "", key ? "'" : "");
	if (have < ROLE_VIEWER)
		api_reply_error(r, MHD_HTTP_FORBIDDEN, "%s belongs to %s, where "
		    "'%s' holds no role; %s needs %s there", whom,
		    label(a->kpi, dept), r->who.name, r->route->pattern,
		    role_name(need));
	else
		api_reply_error(r, MHD_HTTP_FORBIDDEN, "%s belongs to %s, where "
		    "'%s' is %s; %s %s needs %s there", whom,
		    label(a->kpi, dept), r->who.name, role_name(have),
		    r->method, r->route->pattern, role_name(need));
	if (r->detail == NULL)
		r->detail = json_object();
	json_object_set_new(r->detail, "department", json_string(dept));
}

int
api_perm_need(struct api *a, struct req *r, const char *dept, enum role need,
    const char *what, const char *key)
{
	enum role have = perm_role_in(a->kpi, &r->who.perm, dept);

	if (role_allows(have, need))
		return 0;
	refuse(a, r, dept, have, need, what, key);
	return -1;
}

char *
api_perm_depts(struct api *a, struct req *r, enum role need)
{
	json_t *d = perm_depts(a->kpi, &r->who.perm, need);
	char *text;

	if (d == NULL)
		return NULL;
	text = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	return text;
}

struct objq {
	struct api	*a;
	struct req	*r;
	struct perm_obj	 o;
	int		 found;
};

static int
object_read(struct conn *c, void *p)
{
	struct objq *q = p;

	q->found = perm_object(c, q->a->kpi, q->r->route->object,
	    q->r->args[0], &q->o);
	return 0;
}

int
api_perm_object(struct api *a, struct req *r)
{
	struct objq q;
	enum role have;

	memset(&q, 0, sizeof q);
	q.a = a;
	q.r = r;
	if (r->args[0] == NULL || store_read(a->st, object_read, &q) != 0)
		return 0;
	if (q.found < 0)
		abort();	/* a route naming a kind perm.c lacks */
	if (q.found == 0)
		return 0;
	have = perm_on(a->kpi, &r->who.perm, r->who.name, &q.o);
	if (role_allows(have, r->route->role))
		return 0;
	refuse(a, r, q.o.dept, have, r->route->role, r->route->object,
	    r->args[0]);
	api_audit_refusal(a, r);
	return 1;
}
