/*
 * api_assets.c - assets (see api_assets.h): settings that are not secret,
 * per department, handed to the bots of that department and below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_assets.h"
#include "api_audit.h"
#include "scripts.h"
#include "secrets.h"
#include "timeutil.h"

/* Most bytes of one asset's value. */
#define ASSET_MAX	65536

json_t *
api_job_assets(struct api *a, struct conn *c, const char *digest)
{
	const struct script *s = scripts_get(a->sc, c, digest);
	sqlite3_stmt *st = conn_stmt(c, "SELECT name, value, department"
	    " FROM assets ORDER BY name");
	char dept[PERM_DEPT_MAX];
	json_t *out = json_object();

	if (s == NULL)
		return out;
	perm_dept_code(a->kpi, s->owner, dept, sizeof dept);
	while (sqlite3_step(st) == SQLITE_ROW)
		if (perm_dept_under(a->kpi, col_text(st, 2), dept))
			json_object_set_new(out, col_text(st, 0),
			    json_string(col_text(st, 1)));
	sqlite3_reset(st);
	return out;
}

/* The assets of the departments where the caller is an engineer. */
static json_t *
assets_read(struct conn *c, struct api_readq *q)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT name, department, updated_at,"
	    " updated_by, length(value) FROM assets ORDER BY name");
	json_t *list = json_array();

	while (sqlite3_step(st) == SQLITE_ROW)
		if (perm_allows(q->a->kpi, &q->r->who.perm, col_text(st, 1),
		    ROLE_ENGINEER))
			json_array_append_new(list, json_pack("{s:s, s:s, s:o,"
			    " s:s?, s:I}", "name", col_text(st, 0),
			    "department", col_text(st, 1), "updated_at",
			    tfmt_col(q->a->tf, st, 2), "updated_by",
			    (const char *)sqlite3_column_text(st, 3),
			    "length", (json_int_t)sqlite3_column_int64(st,
			    4)));
	sqlite3_reset(st);
	return json_pack("{s:o}", "assets", list);
}

enum hres
api_h_assets(struct api *a, struct req *r)
{
	return api_read(a, r, assets_read, 0, "assets");
}

static int
asset_put_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	const char *value = p;
	json_t *want = json_object_get(r->in, "department");
	char dept[PERM_DEPT_MAX];
	struct perm_obj o;
	sqlite3_stmt *st;
	int64_t now = time_wall_ms();
	int found = perm_object(c, a->kpi, "asset", r->args[0], &o) == 1;

	/* The department named, else the one it has, else everyone's. */
	if (json_is_string(want))
		perm_dept_code(a->kpi, json_string_value(want), dept,
		    sizeof dept);
	else
		snprintf(dept, sizeof dept, "%s", found ? o.dept : "");
	if (api_perm_need(a, r, dept, ROLE_ENGINEER, "asset",
	    r->args[0]) != 0 || (found && api_perm_need(a, r, o.dept,
	    ROLE_ENGINEER, "asset", r->args[0]) != 0))
		return -1;
	st = conn_stmt(c, "INSERT INTO assets (name, value, department,"
	    " updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (name) DO UPDATE SET value = ?2, department = ?3,"
	    " updated_at = ?4, updated_by = ?5");
	bind_text(st, 1, r->args[0]);
	bind_text(st, 2, value);
	bind_text(st, 3, dept);
	sqlite3_bind_int64(st, 4, now);
	bind_text(st, 5, r->who.name);
	if (conn_step(c, st, NULL, 0) != 0) {
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot "
		    "store asset '%s'", r->args[0]);
		return -1;
	}
	json_object_set_new(r->detail, "department", json_string(dept));
	api_reply_json(r, found ? MHD_HTTP_OK : MHD_HTTP_CREATED, json_pack(
	    "{s:s, s:s, s:o}", "name", r->args[0], "department", dept,
	    "updated_at", tfmt_json(a->tf, now)));
	return 0;
}

enum hres
api_h_asset_put(struct api *a, struct req *r)
{
	const char *value;
	json_t *d = json_object_get(r->in, "department");

	r->detail = json_pack("{s:s}", "name", r->args[0]);
	if (!secrets_name_ok(r->args[0])) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "asset names are 1-64 "
		    "characters of a-z 0-9 _ (scripts read ${assets.NAME})");
		goto refused;
	}
	if (api_in_str(r, "value", 1, ASSET_MAX, &value) != 0)
		goto refused;
	if (d != NULL && !json_is_null(d) && !json_is_string(d)) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "department: expected "
		    "a department's code, name or path (\"\" for all)");
		goto refused;
	}
	api_write_audited(a, r, asset_put_write, (void *)value);
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

static int
asset_delete_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	sqlite3_stmt *st = conn_stmt(c, "DELETE FROM assets WHERE name = ?");

	(void)a;
	(void)p;
	bind_text(st, 1, r->args[0]);
	return api_reply_deleted(r, conn_step(c, st, NULL, 0) == 0 &&
	    conn_changes(c) == 1, "asset");
}

enum hres
api_h_asset_delete(struct api *a, struct req *r)
{
	r->detail = json_pack("{s:s}", "name", r->args[0]);
	api_write_audited(a, r, asset_delete_write, NULL);
	return H_DONE;
}
