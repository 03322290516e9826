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
#include "textdiff.h"
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

/* --- versions: the difference between two, going back to one ---------- */

/* Most lines that may differ between two versions shown as a diff. */
#define DIFF_MAX_EDITS	4000

struct diffq {
	struct api	*a;
	const char	*name, *from, *to;	/* from, to: NULL for defaults */
	char		 dfrom[65], dto[65];
	json_t		*out;
	int		 status;
	char		 err[256];
};

/* The source and the included files of version digest of script name. */
static int
version_text(struct conn *c, const char *name, const char *digest,
    char **source, json_t **files)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT source, files FROM"
	    " script_versions WHERE name = ? AND digest = ?");
	int found;

	bind_text(st, 1, name);
	bind_text(st, 2, digest);
	if ((found = sqlite3_step(st) == SQLITE_ROW)) {
		*source = col_strdup(st, 0);
		*files = json_loads(col_text(st, 1), 0, NULL);
		if (!json_is_object(*files)) {
			json_decref(*files);
			*files = json_object();
		}
	}
	sqlite3_reset(st);
	return found ? 0 : -1;
}

/* Append the diff of one file (text a to text b) to out. */
static int
diff_file(struct buf *out, const char *path, const char *a, const char *b,
    struct textdiff_stat *sum)
{
	struct textdiff_stat st;
	char *an = xasprintf("a/%s", path), *bn = xasprintf("b/%s", path);
	char *d = textdiff_unified(a, strlen(a), b, strlen(b), an, bn, 3,
	    DIFF_MAX_EDITS, &st);

	free(an);
	free(bn);
	if (d == NULL)
		return -1;
	buf_puts(out, d);
	free(d);
	sum->added += st.added;
	sum->removed += st.removed;
	return 0;
}

static int
diff_read(struct conn *c, void *p)
{
	struct diffq *q = p;
	sqlite3_stmt *st;
	char *sa = NULL, *sb = NULL;
	json_t *fa = NULL, *fb = NULL, *v;
	struct textdiff_stat sum = { 0, 0 };
	const char *path;
	struct buf out;
	int bad = 0;

	if (q->to != NULL)
		snprintf(q->dto, sizeof q->dto, "%s", q->to);
	else if (scripts_current(c, q->name, q->dto) != 0) {
		q->status = 404;
		snprintf(q->err, sizeof q->err, "no script '%s'", q->name);
		return 0;
	}
	if (q->from != NULL)
		snprintf(q->dfrom, sizeof q->dfrom, "%s", q->from);
	else {
		/* The version stored before "to". */
		st = conn_stmt(c, "SELECT p.digest FROM script_versions p,"
		    " script_versions t WHERE t.name = ?1 AND t.digest = ?2"
		    " AND p.name = ?1 AND (p.created_at < t.created_at OR"
		    " (p.created_at = t.created_at AND p.rowid < t.rowid))"
		    " ORDER BY p.created_at DESC, p.rowid DESC LIMIT 1");
		bind_text(st, 1, q->name);
		bind_text(st, 2, q->dto);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(q->dfrom, sizeof q->dfrom, "%s",
			    col_text(st, 0));
		sqlite3_reset(st);
	}
	if (q->dfrom[0] == '\0') {
		q->status = 404;
		snprintf(q->err, sizeof q->err, "script '%s' has no version "
		    "before '%.12s'", q->name, q->dto);
		return 0;
	}
	if (version_text(c, q->name, q->dfrom, &sa, &fa) != 0 ||
	    version_text(c, q->name, q->dto, &sb, &fb) != 0) {
		q->status = 404;
		snprintf(q->err, sizeof q->err, "script '%s' has no version "
		    "'%s'", q->name, sa == NULL ? q->dfrom : q->dto);
		goto done;
	}
	buf_init(&out, 0);
	bad |= diff_file(&out, q->name, sa, sb, &sum);
	/* The included files: changed, added (empty before), removed. */
	json_object_foreach(fa, path, v)
		bad |= diff_file(&out, path, json_string_value(v),
		    json_is_string(json_object_get(fb, path)) ?
		    json_string_value(json_object_get(fb, path)) : "", &sum);
	json_object_foreach(fb, path, v)
		if (json_object_get(fa, path) == NULL)
			bad |= diff_file(&out, path, "", json_string_value(v),
			    &sum);
	if (bad) {
		buf_free(&out);
		q->status = 422;
		snprintf(q->err, sizeof q->err, "the versions differ in more "
		    "than %d lines; compare them as a whole", DIFF_MAX_EDITS);
		goto done;
	}
	q->out = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "name", q->name,
	    "from", q->dfrom, "to", q->dto, "diff", buf_str(&out), "added",
	    sum.added, "removed", sum.removed);
	buf_free(&out);
done:
	free(sa);
	free(sb);
	json_decref(fa);
	json_decref(fb);
	return 0;
}

/* GET /api/scripts/{name}/diff?from=D&to=D */
enum hres
api_h_script_diff(struct api *a, struct req *r)
{
	struct diffq q;

	memset(&q, 0, sizeof q);
	q.a = a;
	q.name = r->args[0];
	q.from = api_query_arg(r, "from");
	q.to = api_query_arg(r, "to");
	store_read(a->st, diff_read, &q);
	if (q.out == NULL)
		api_reply_error(r, q.status ? q.status : 500, "%s", q.err);
	else
		api_reply_json(r, MHD_HTTP_OK, q.out);
	return H_DONE;
}

static int
rollback_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	const char *digest = p;
	const struct script *s = scripts_get(a->sc, c, digest);
	char dept[PERM_DEPT_MAX], cur[65] = "";
	sqlite3_stmt *st;

	if (s == NULL || strcmp(s->name, r->args[0]) != 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "script '%s' has no "
		    "version '%s'", r->args[0], digest);
		return -1;
	}
	/* The version taken back is its owner's too. */
	perm_dept_code(a->kpi, s->owner, dept, sizeof dept);
	if (api_perm_need(a, r, dept, ROLE_ENGINEER, "script", s->name) != 0)
		return -1;
	scripts_current(c, s->name, cur);
	st = conn_stmt(c, "UPDATE scripts SET digest = ?, origin = 'api',"
	    " updated_at = ? WHERE name = ?");
	bind_text(st, 1, digest);
	sqlite3_bind_int64(st, 2, time_wall_ms());
	bind_text(st, 3, s->name);
	if (conn_step(c, st, NULL, 0) != 0) {
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot make "
		    "'%s' current", digest);
		return -1;
	}
	json_object_set_new(r->detail, "previous", json_string(cur));
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:s, s:s}", "name",
	    s->name, "digest", digest, "previous", cur));
	return 0;
}

/* POST /api/scripts/{name}/rollback {"digest": D}: D current again. */
enum hres
api_h_script_rollback(struct api *a, struct req *r)
{
	const char *digest;

	if (api_in_str(r, "digest", 1, 64, &digest) != 0) {
		api_audit_refusal(a, r);
		return H_DONE;
	}
	r->detail = json_pack("{s:s, s:s}", "name", r->args[0], "digest",
	    digest);
	api_write_audited(a, r, rollback_write, (void *)digest);
	return H_DONE;
}
