/*
 * api_secrets.c - secrets (see api_secrets.h): the admin routes, and the
 * values a job's script references.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_audit.h"
#include "api_secrets.h"
#include "mask.h"
#include "scripts.h"
#include "secrets.h"
#include "timeutil.h"
#include "urlmatch.h"
#include "xmalloc.h"

/*
 * The names of names (an array, borrowed) the script s may use: those of
 * secrets held at its department or above it (a new array).
 */
static json_t *
usable(struct api *a, struct conn *c, const struct script *s, json_t *names)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT department FROM secrets"
	    " WHERE name = ?");
	char dept[PERM_DEPT_MAX];
	json_t *out = json_array(), *n;
	size_t i;

	perm_dept_code(a->kpi, s->owner, dept, sizeof dept);
	json_array_foreach(names, i, n) {
		bind_text(st, 1, json_string_value(n));
		if (sqlite3_step(st) == SQLITE_ROW &&
		    perm_dept_under(a->kpi, col_text(st, 0), dept))
			json_array_append(out, n);
		sqlite3_reset(st);
	}
	return out;
}

/*
 * The secret values a job's script references, as a mask (for masking
 * what agents send) and as an object (for the lease); either may be NULL.
 * A secret of another department than the script's (or one above it)
 * is not the script's to use: it is left out, as a missing one is.
 */
void
api_job_secrets(struct api *a, struct conn *c, const char *digest,
    struct mask *m, json_t **values)
{
	const struct script *s = scripts_get(a->sc, c, digest);
	json_t *names, *vals, *v;
	const char *k;

	if (values)
		*values = json_object();
	if (s == NULL)
		return;
	names = script_secret_refs(s);
	vals = usable(a, c, s, names);
	json_decref(names);
	names = vals;
	if (json_array_size(names) == 0) {
		json_decref(names);
		return;
	}
	vals = secrets_get(c, a->sk, names);
	json_decref(names);
	if (m != NULL)
		json_object_foreach(vals, k, v)
			mask_add(m, json_string_value(json_object_get(v,
			    "value")));
	if (values) {
		json_decref(*values);
		*values = vals;
	} else
		json_decref(vals);
}

/*
 * v with every secret of the job's script masked (a new reference), on
 * the connection of the write that stores it.
 */
json_t *
api_mask_for_job(struct api *a, struct conn *c, int64_t job_id, json_t *v)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT digest FROM jobs WHERE id = ?");
	struct mask m;
	char *digest = NULL;
	json_t *out;

	sqlite3_bind_int64(st, 1, job_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		digest = col_strdup(st, 0);
	sqlite3_reset(st);
	mask_init(&m);
	if (digest != NULL)
		api_job_secrets(a, c, digest, &m, NULL);
	out = m.n > 0 ? mask_json(&m, v) : json_incref(v);
	mask_free(&m);
	free(digest);
	return out;
}

/* "allow": the destinations, each checked; -1 after a 400. */
static int
in_allow(struct req *r)
{
	json_t *v = json_object_get(r->in, "allow"), *d;
	char err[256];
	size_t i;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "allow: expected a "
		    "list of hosts or URL prefixes");
		return -1;
	}
	json_array_foreach(v, i, d) {
		if (!json_is_string(d) || urlmatch_check(json_string_value(d),
		    err, sizeof err) != 0) {
			api_reply_error(r, MHD_HTTP_BAD_REQUEST, "allow[%zu]: "
			    "%s", i, json_is_string(d) ? err :
			    "expected a string");
			return -1;
		}
	}
	return 0;
}

/*
 * The department of the secret being put: the one the body names, else
 * the one it has, else the whole organisation; the caller must be an
 * engineer there and where it was.  0, or -1 with the reply made.
 */
static int
secret_dept(struct conn *c, struct api *a, struct req *r, char *dept,
    size_t len)
{
	json_t *want = json_object_get(r->in, "department");
	struct perm_obj o;
	int found = perm_object(c, a->kpi, "secret", r->args[0], &o) == 1;

	if (json_is_string(want))
		perm_dept_code(a->kpi, json_string_value(want), dept, len);
	else
		snprintf(dept, len, "%s", found ? o.dept : "");
	if (api_perm_need(a, r, dept, ROLE_ENGINEER, "secret",
	    r->args[0]) != 0)
		return -1;
	if (found && api_perm_need(a, r, o.dept, ROLE_ENGINEER, "secret",
	    r->args[0]) != 0)
		return -1;
	return 0;
}

static int
secret_put_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	const char *value = p;
	char err[256], dept[PERM_DEPT_MAX];
	int64_t now = time_wall_ms();
	sqlite3_stmt *st;

	if (secret_dept(c, a, r, dept, sizeof dept) != 0)
		return -1;
	if (secrets_put(c, a->sk, r->args[0], value, json_object_get(r->in,
	    "allow"), r->who.name, now, err, sizeof err) != 0) {
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
		return -1;
	}
	st = conn_stmt(c, "UPDATE secrets SET department = ? WHERE name = ?");
	bind_text(st, 1, dept);
	bind_text(st, 2, r->args[0]);
	if (conn_step(c, st, err, sizeof err) != 0) {
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
		return -1;
	}
	json_object_set_new(r->detail, "department", json_string(dept));
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:o, s:s}", "name",
	    r->args[0], "updated_at", tfmt_json(a->tf, now), "department",
	    dept));
	return 0;
}

enum hres
api_h_secret_put(struct api *a, struct req *r)
{
	const char *value;

	r->detail = json_pack("{s:s}", "name", r->args[0]);
	if (!secrets_name_ok(r->args[0])) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "secret names are 1-64 characters of a-z 0-9 _");
		goto refused;
	}
	if (api_in_str(r, "value", 1, 65536, &value) != 0)
		goto refused;
	if (json_object_get(r->in, "department") != NULL &&
	    !json_is_string(json_object_get(r->in, "department"))) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "department: expected "
		    "a department's code, name or path (\"\" for all)");
		goto refused;
	}
	if (in_allow(r) != 0)
		goto refused;
	if (!mask_long_enough(value)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "value: a secret must "
		    "have at least %d characters, or it cannot be hidden in "
		    "logs", MASK_MIN_CHARS);
		goto refused;
	}
	api_write_audited(a, r, secret_put_write, (void *)value);
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

static int
secret_delete_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	(void)a;
	(void)p;
	return api_reply_deleted(r, secrets_delete(c, r->args[0]) == 0,
	    "secret");
}

enum hres
api_h_secret_delete(struct api *a, struct req *r)
{
	r->detail = json_pack("{s:s}", "name", r->args[0]);
	api_write_audited(a, r, secret_delete_write, NULL);
	return H_DONE;
}

/* The secrets of the departments where the caller is an engineer. */
static json_t *
secrets_read(struct conn *c, struct api_readq *q)
{
	json_t *list = secrets_list(c, q->a->tf), *s;
	size_t i;

	for (i = json_array_size(list); i-- > 0; ) {
		s = json_array_get(list, i);
		if (!perm_allows(q->a->kpi, &q->r->who.perm, json_string_value(
		    json_object_get(s, "department")), ROLE_ENGINEER))
			json_array_remove(list, i);
	}
	return json_pack("{s:o}", "secrets", list);
}

enum hres
api_h_secrets(struct api *a, struct req *r)
{
	return api_read(a, r, secrets_read, 0, "secrets");
}
