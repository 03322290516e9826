/*
 * api_scripts.c - scripts (see api_scripts.h): an upload is validated
 * and stored as a new version; reads list them and show one.  A script
 * belongs to the department its owner: names; only that department's
 * engineers upload it, and its lists show each caller the scripts of
 * their departments and the shared ones.
 */
#include <stdio.h>
#include <string.h>
#include <microhttpd.h>

#include "api_audit.h"
#include "api_scripts.h"
#include "scripts.h"
#include "timeutil.h"
#include "xmalloc.h"

struct scriptw {
	const struct script	*s;
	const char		*filename;
	int			 created;
};

static int
script_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct scriptw *w = p;
	char err[256];

	struct perm_obj o;
	char dept[PERM_DEPT_MAX];

	/* The new owner's engineers, and the current one's: no hijacking. */
	perm_dept_code(a->kpi, w->s->owner, dept, sizeof dept);
	if (api_perm_need(a, r, dept, ROLE_ENGINEER, "script",
	    w->s->name) != 0)
		return -1;
	if (perm_object(c, a->kpi, "script", w->s->name, &o) == 1 &&
	    api_perm_need(a, r, o.dept, ROLE_ENGINEER, "script",
	    w->s->name) != 0)
		return -1;
	if (scripts_store(c, w->s, "api", w->filename, r->who.name,
	    time_wall_ms(), &w->created, err, sizeof err) != 0) {
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
		return -1;
	}
	api_reply_json(r, w->created ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    json_pack("{s:s, s:s, s:s?, s:b}", "name", w->s->name, "digest",
	    w->s->digest, "version", w->s->version, "created", w->created));
	return 0;
}

/* The files sent with a script: an object of relative paths -> text. */
static int
in_files(struct req *r, const char *key, json_t **out)
{
	json_t *v = json_object_get(r->in, key), *f;
	const char *k;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		goto bad;
	json_object_foreach(v, k, f)
		if (!json_is_string(f) || *k == '\0')
			goto bad;
	*out = v;
	return 0;
bad:
	api_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s: expected an object of "
	    "paths relative to the script -> their text", key);
	return -1;
}

enum hres
api_h_script_upload(struct api *a, struct req *r)
{
	struct scriptw w;
	const char *source;
	json_t *errors, *files;

	memset(&w, 0, sizeof w);
	if (api_in_str(r, "source", 1, a->cfg.body_max, &source) != 0 ||
	    api_in_str(r, "filename", 0, 255, &w.filename) != 0 ||
	    in_files(r, "files", &files) != 0)
		goto refused;
	if (w.filename == NULL)
		w.filename = "upload.yaml";
	errors = json_array();
	w.s = scripts_check(a->sc, w.filename, source,
	    json_string_length(json_object_get(r->in, "source")), files,
	    errors);
	if (w.s == NULL) {
		api_reply_json(r, MHD_HTTP_UNPROCESSABLE_CONTENT,
		    json_pack("{s:s, s:o}", "error",
		    "script does not validate", "errors", errors));
		r->detail = json_pack("{s:s}", "filename", w.filename);
		goto refused;
	}
	json_decref(errors);
	r->detail = json_pack("{s:s, s:s}", "name", w.s->name, "digest",
	    w.s->digest);
	api_write_audited(a, r, script_write, &w);
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

void
api_script_may(struct api *a, struct req *r, json_t *o, const char *dept,
    int shared)
{
	const struct perm *p = &r->who.perm;

	json_object_set_new(o, "department", json_string(dept));
	json_object_set_new(o, "shared", json_boolean(shared));
	json_object_set_new(o, "may_run", json_boolean(perm_allows(a->kpi, p,
	    dept, ROLE_OPERATOR) || (shared && perm_top(p) >= ROLE_OPERATOR)));
	json_object_set_new(o, "may_edit", json_boolean(perm_allows(a->kpi, p,
	    dept, ROLE_ENGINEER)));
}

/* Whether script name is marked shared. */
static int
is_shared(struct conn *c, const char *name)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT shared FROM script_settings"
	    " WHERE name = ?");
	int shared;

	bind_text(st, 1, name);
	shared = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return shared;
}

/* The scripts of the caller's departments and the shared ones. */
static json_t *
scripts_read(struct conn *c, struct api_readq *q)
{
	json_t *all = scripts_list(c, q->a->tf), *mine = json_array(), *s;
	struct perm_obj o;
	size_t i;

	json_array_foreach(all, i, s) {
		memset(&o, 0, sizeof o);
		perm_dept_code(q->a->kpi, json_string_value(json_object_get(s,
		    "owner")), o.dept, sizeof o.dept);
		o.shared = is_shared(c, json_string_value(json_object_get(s,
		    "name")));
		if (perm_on(q->a->kpi, &q->r->who.perm, q->r->who.name, &o) <
		    ROLE_VIEWER)
			continue;
		api_script_may(q->a, q->r, s, o.dept, o.shared);
		json_array_append(mine, s);
	}
	json_decref(all);
	return json_pack("{s:o, s:o}", "scripts", mine,
	    "invalid", scripts_invalid(q->a->sc));
}

enum hres
api_h_scripts(struct api *a, struct req *r)
{
	return api_read(a, r, scripts_read, 0, "scripts");
}

static json_t *
script_read(struct conn *c, struct api_readq *q)
{
	json_t *o = scripts_show(c, q->a->tf, q->name, api_query_arg(q->r,
	    "digest"));
	struct perm_obj po;

	if (o != NULL && perm_object(c, q->a->kpi, "script", q->name,
	    &po) == 1)
		api_script_may(q->a, q->r, o, po.dept, po.shared);
	return o;
}

struct sharedw {
	int		 shared;
};

static int
shared_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct sharedw *w = p;
	sqlite3_stmt *st;
	char digest[65];

	(void)a;
	if (scripts_current(c, r->args[0], digest) != 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no script named '%s'",
		    r->args[0]);
		return -1;
	}
	st = conn_stmt(c, "INSERT INTO script_settings (name, shared,"
	    " updated_at, updated_by) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (name) DO UPDATE SET shared = ?2, updated_at = ?3,"
	    " updated_by = ?4");
	bind_text(st, 1, r->args[0]);
	sqlite3_bind_int(st, 2, w->shared);
	sqlite3_bind_int64(st, 3, time_wall_ms());
	bind_text(st, 4, r->who.name);
	if (conn_step(c, st, NULL, 0) != 0) {
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot "
		    "mark script '%s'", r->args[0]);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:b}", "name",
	    r->args[0], "shared", w->shared));
	return 0;
}

enum hres
api_h_script_shared(struct api *a, struct req *r)
{
	json_t *v = json_object_get(r->in, "shared");
	struct sharedw w;

	if (!json_is_boolean(v)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "shared: expected true "
		    "or false");
		api_audit_refusal(a, r);
		return H_DONE;
	}
	w.shared = json_is_true(v);
	r->detail = json_pack("{s:s, s:b}", "name", r->args[0], "shared",
	    w.shared);
	api_write_audited(a, r, shared_write, &w);
	return H_DONE;
}

enum hres
api_h_script(struct api *a, struct req *r)
{
	return api_read(a, r, script_read, 1, "script");
}
