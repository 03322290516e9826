/*
 * perm.c - roles and departments (see perm.h): what a caller holds where,
 * the department of each kind of object, and the user_roles table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perm.h"
#include "textutil.h"
#include "xmalloc.h"

/* --- roles ----------------------------------------------------------------- */

static const char *const role_names[] = {
	[ROLE_NONE] = "none",
	[ROLE_USER] = "user",
	[ROLE_VIEWER] = "viewer",
	[ROLE_OPERATOR] = "operator",
	[ROLE_ENGINEER] = "engineer",
	[ROLE_ADMIN] = "admin",
	[ROLE_AGENT] = "agent",
};

const char *
role_name(enum role r)
{
	return (unsigned)r <= ROLE_AGENT ? role_names[r] : "unknown";
}

int
role_parse(const char *name, enum role *r)
{
	int i;

	for (i = ROLE_VIEWER; i <= ROLE_AGENT; i++)
		if (strcmp(name, role_names[i]) == 0) {
			*r = (enum role)i;
			return 0;
		}
	return -1;
}

int
role_allows(enum role have, enum role need)
{
	if (need == ROLE_NONE)
		return 1;
	if (need == ROLE_AGENT || have == ROLE_AGENT)
		return have == need;
	return have >= need;
}

/* A department role: viewer, operator or engineer. */
static int
dept_role_parse(const char *name, enum role *r)
{
	return role_parse(name, r) == 0 && *r >= ROLE_VIEWER &&
	    *r <= ROLE_ENGINEER ? 0 : -1;
}

/* --- departments ----------------------------------------------------------- */

static int
find(const struct kpi_config *cfg, const char *text)
{
	return cfg != NULL ? kpi_dept_find(cfg, text) : -1;
}

void
perm_dept_code(const struct kpi_config *cfg, const char *text, char *out,
    size_t outlen)
{
	int i;

	if (text == NULL || *text == '\0') {
		snprintf(out, outlen, "%s", "");
		return;
	}
	i = find(cfg, text);
	snprintf(out, outlen, "%s", i >= 0 ? cfg->depts[i].code : text);
}

int
perm_dept_under(const struct kpi_config *cfg, const char *above,
    const char *dept)
{
	if (*above == '\0')
		return 1;
	if (cfg == NULL)
		return strcmp(above, dept) == 0;
	return kpi_dept_covers(cfg, above, dept);
}

json_t *
perm_subtree(const struct kpi_config *cfg, const char *text)
{
	json_t *a = json_array();
	char code[PERM_DEPT_MAX];
	size_t i;

	perm_dept_code(cfg, text, code, sizeof code);
	if (find(cfg, code) < 0) {
		json_array_append_new(a, json_string(code));
		return a;
	}
	for (i = 0; i < cfg->ndepts; i++)
		if (perm_dept_under(cfg, code, cfg->depts[i].code))
			json_array_append_new(a,
			    json_string(cfg->depts[i].code));
	return a;
}

/* --- what a caller holds --------------------------------------------------- */

enum role
perm_role_in(const struct kpi_config *cfg, const struct perm *p,
    const char *dept)
{
	enum role best = ROLE_NONE;
	int i;

	if (p->admin)
		return ROLE_ADMIN;
	for (i = 0; i < p->ngrants; i++)
		if (p->grants[i].role > best &&
		    perm_dept_under(cfg, p->grants[i].dept, dept))
			best = p->grants[i].role;
	return best;
}

int
perm_allows(const struct kpi_config *cfg, const struct perm *p,
    const char *dept, enum role need)
{
	return role_allows(perm_role_in(cfg, p, dept), need);
}

enum role
perm_top(const struct perm *p)
{
	enum role best = ROLE_USER;
	int i;

	if (p->admin)
		return ROLE_ADMIN;
	for (i = 0; i < p->ngrants; i++)
		if (p->grants[i].role > best)
			best = p->grants[i].role;
	return best;
}

int
perm_sees_all_kpi(const struct perm *p)
{
	return p->admin || p->manager;
}

static void
add_unique(json_t *a, const char *code)
{
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), code) == 0)
			return;
	json_array_append_new(a, json_string(code));
}

json_t *
perm_depts(const struct kpi_config *cfg, const struct perm *p, enum role need)
{
	json_t *a;
	size_t j;
	int i;

	if (p->admin)
		return NULL;
	for (i = 0; i < p->ngrants; i++)
		if (p->grants[i].role >= need && p->grants[i].dept[0] == '\0')
			return NULL;
	a = json_array();
	for (i = 0; i < p->ngrants; i++) {
		if (p->grants[i].role < need)
			continue;
		if (find(cfg, p->grants[i].dept) < 0) {
			add_unique(a, p->grants[i].dept);
			continue;
		}
		for (j = 0; j < cfg->ndepts; j++)
			if (perm_dept_under(cfg, p->grants[i].dept,
			    cfg->depts[j].code))
				add_unique(a, cfg->depts[j].code);
	}
	return a;
}

void
perm_cap(struct perm *p, enum role cap)
{
	int i;

	if (cap >= ROLE_ADMIN)
		return;
	if (p->admin) {
		/* An admin's token of a lesser role: that role everywhere. */
		p->admin = 0;
		p->ngrants = 1;
		memset(&p->grants[0], 0, sizeof p->grants[0]);
		p->grants[0].role = cap;
		return;
	}
	for (i = 0; i < p->ngrants; i++)
		if (p->grants[i].role > cap)
			p->grants[i].role = cap;
}

/* --- objects --------------------------------------------------------------- */

/*
 * Each kind of object and how to find its department: the query takes the
 * key (?1) and gives department text, shared flag, triggering user.
 */
static const struct {
	const char	*kind;
	int		 by_id;
	const char	*sql;
} objects[] = {
	{ "job", 1, "SELECT coalesce(department, ''), 0,"
	    " CASE WHEN triggered_by LIKE 'user:%' THEN substr(triggered_by, 6)"
	    " ELSE '' END FROM jobs WHERE id = ?1" },
	{ "run", 1, "SELECT coalesce(r.department, ''), 0,"
	    " CASE WHEN j.triggered_by LIKE 'user:%'"
	    " THEN substr(j.triggered_by, 6) ELSE '' END"
	    " FROM runs r JOIN jobs j ON j.id = r.job_id WHERE r.id = ?1" },
	{ "schedule", 0, "SELECT coalesce(department, ''), 0, ''"
	    " FROM schedules WHERE name = ?1" },
	{ "secret", 0, "SELECT department, 0, '' FROM secrets WHERE name = ?1" },
	{ "asset", 0, "SELECT department, 0, '' FROM assets WHERE name = ?1" },
	{ "script", 0, "SELECT coalesce(v.owner, ''), coalesce(ss.shared, 0),"
	    " '' FROM scripts s JOIN script_versions v ON v.digest = s.digest"
	    " LEFT JOIN script_settings ss ON ss.name = s.name"
	    " WHERE s.name = ?1" },
	{ "ledger", 1, "SELECT coalesce(department, ''), 0, ''"
	    " FROM kpi_ledger WHERE run_id = ?1" },
	{ "queue", 0, "SELECT department, 0, '' FROM queues WHERE name = ?1" },
	{ "queue_item", 1, "SELECT q.department, 0, '' FROM queue_items i"
	    " JOIN queues q ON q.id = i.queue_id WHERE i.id = ?1" },
	{ "notify_rule", 0, "SELECT department, 0, '' FROM notify_rules"
	    " WHERE name = ?1" },
	{ "file_trigger", 0, "SELECT coalesce(v.owner, ''), 0, ''"
	    " FROM file_triggers f JOIN scripts s ON s.name = f.script"
	    " JOIN script_versions v ON v.digest = s.digest"
	    " WHERE f.name = ?1" },
};

int
perm_object(struct conn *c, const struct kpi_config *cfg, const char *kind,
    const char *key, struct perm_obj *o)
{
	sqlite3_stmt *st;
	size_t i;
	int64_t id = 0;
	int found;

	memset(o, 0, sizeof *o);
	for (i = 0; i < sizeof objects / sizeof objects[0]; i++)
		if (strcmp(objects[i].kind, kind) == 0)
			break;
	if (i == sizeof objects / sizeof objects[0])
		return -1;
	if (objects[i].by_id && (id = text_parse_id(key)) == 0)
		return 0;
	st = conn_stmt(c, objects[i].sql);
	if (objects[i].by_id)
		sqlite3_bind_int64(st, 1, id);
	else
		bind_text(st, 1, key);
	if ((found = sqlite3_step(st) == SQLITE_ROW)) {
		perm_dept_code(cfg, col_text(st, 0), o->dept, sizeof o->dept);
		o->shared = sqlite3_column_int(st, 1) != 0;
		snprintf(o->owner, sizeof o->owner, "%s", col_text(st, 2));
	}
	sqlite3_reset(st);
	return found;
}

enum role
perm_on(const struct kpi_config *cfg, const struct perm *p, const char *name,
    const struct perm_obj *o)
{
	enum role have = perm_role_in(cfg, p, o->dept), top = perm_top(p);
	enum role floor;

	if (o->shared || (o->owner[0] != '\0' && name != NULL &&
	    strcmp(o->owner, name) == 0)) {
		/* Their own job, a shared bot: see it; run it as an operator. */
		floor = top > ROLE_OPERATOR ? ROLE_OPERATOR : top;
		if (floor < ROLE_VIEWER)
			floor = ROLE_VIEWER;
		if (floor > have)
			have = floor;
	}
	return have;
}

/* The name of department code for messages: its path, or the code. */
static const char *
dept_label(const struct kpi_config *cfg, const char *code)
{
	int i;

	if (*code == '\0')
		return "(the whole organisation)";
	i = find(cfg, code);
	return i >= 0 ? cfg->depts[i].path : code;
}

enum perm_run
perm_job_dept(const struct kpi_config *cfg, const struct perm *p,
    const char *script_dept, int shared, const char *want, char *out,
    size_t outlen, char *err, size_t errlen)
{
	const char *only = NULL;
	char code[PERM_DEPT_MAX];
	int i, n = 0;

	if (perm_allows(cfg, p, script_dept, ROLE_OPERATOR)) {
		snprintf(out, outlen, "%s", script_dept);
		return PERM_RUN_OK;
	}
	if (!shared) {
		snprintf(err, errlen, "the bot belongs to %s; only its "
		    "operators may run it (it is not shared)",
		    dept_label(cfg, script_dept));
		return PERM_RUN_DENIED;
	}
	if (want != NULL) {
		perm_dept_code(cfg, want, code, sizeof code);
		if (!perm_allows(cfg, p, code, ROLE_OPERATOR)) {
			snprintf(err, errlen, "department: you are not an "
			    "operator of '%s'", want);
			return PERM_RUN_DENIED;
		}
		snprintf(out, outlen, "%s", code);
		return PERM_RUN_OK;
	}
	for (i = 0; i < p->ngrants; i++)
		if (p->grants[i].role >= ROLE_OPERATOR) {
			only = p->grants[i].dept;
			n++;
		}
	if (n == 1) {
		snprintf(out, outlen, "%s", only);
		return PERM_RUN_OK;
	}
	if (n == 0) {
		snprintf(err, errlen, "running a bot needs the operator role "
		    "in a department");
		return PERM_RUN_DENIED;
	}
	snprintf(err, errlen, "department: you run bots for %d departments; "
	    "say which this run is for", n);
	return PERM_RUN_ASK;
}

/* --- storage --------------------------------------------------------------- */

/* Each table that keeps departments: its texts, and how to rename one. */
static const struct {
	const char	*texts;
	const char	*rename;
} dept_tables[] = {
	{ "SELECT DISTINCT department FROM jobs WHERE department <> ''",
	  "UPDATE jobs SET department = ?2 WHERE department = ?1" },
	{ "SELECT DISTINCT department FROM runs WHERE department <> ''",
	  "UPDATE runs SET department = ?2 WHERE department = ?1" },
	{ "SELECT DISTINCT department FROM schedules WHERE department <> ''",
	  "UPDATE schedules SET department = ?2 WHERE department = ?1" },
	{ "SELECT DISTINCT department FROM secrets WHERE department <> ''",
	  "UPDATE secrets SET department = ?2 WHERE department = ?1" },
	{ "SELECT DISTINCT department FROM assets WHERE department <> ''",
	  "UPDATE assets SET department = ?2 WHERE department = ?1" },
	{ "SELECT DISTINCT department FROM queues WHERE department <> ''",
	  "UPDATE queues SET department = ?2 WHERE department = ?1" },
	/* A user may hold the role under both names: keep one. */
	{ "SELECT DISTINCT department FROM user_roles WHERE department <> ''",
	  "UPDATE OR REPLACE user_roles SET department = ?2"
	  " WHERE department = ?1" },
};

static int
normalize_table(struct conn *c, const struct kpi_config *cfg, size_t t,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, dept_tables[t].texts);
	char **texts = NULL, code[PERM_DEPT_MAX];
	size_t n = 0, i;
	int rc = 0;

	while (sqlite3_step(st) == SQLITE_ROW) {
		texts = xreallocarray(texts, n + 1, sizeof *texts);
		texts[n++] = col_strdup(st, 0);
	}
	sqlite3_reset(st);
	for (i = 0; i < n; i++) {
		perm_dept_code(cfg, texts[i], code, sizeof code);
		if (rc == 0 && strcmp(code, texts[i]) != 0) {
			st = conn_stmt(c, dept_tables[t].rename);
			bind_text(st, 1, texts[i]);
			bind_text(st, 2, code);
			rc = conn_step(c, st, err, errlen);
		}
		free(texts[i]);
	}
	free(texts);
	return rc;
}

int
perm_normalize(struct conn *c, const struct kpi_config *cfg, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	char **names = NULL, code[PERM_DEPT_MAX];
	size_t t, n = 0, i;
	int rc = 0;

	for (t = 0; t < sizeof dept_tables / sizeof dept_tables[0]; t++)
		if (normalize_table(c, cfg, t, err, errlen) != 0)
			return -1;
	st = conn_stmt(c, "SELECT s.name, coalesce(v.owner, '')"
	    " FROM schedules s JOIN scripts p ON p.name = s.script"
	    " JOIN script_versions v ON v.digest = p.digest"
	    " WHERE s.department IS NULL");
	while (sqlite3_step(st) == SQLITE_ROW) {
		names = xreallocarray(names, 2 * (n + 1), sizeof *names);
		names[2 * n] = col_strdup(st, 0);
		names[2 * n + 1] = col_strdup(st, 1);
		n++;
	}
	sqlite3_reset(st);
	for (i = 0; i < n; i++) {
		perm_dept_code(cfg, names[2 * i + 1], code, sizeof code);
		if (rc == 0) {
			st = conn_stmt(c, "UPDATE schedules SET department = ?"
			    " WHERE name = ?");
			bind_text(st, 1, code);
			bind_text(st, 2, names[2 * i]);
			rc = conn_step(c, st, err, errlen);
		}
		free(names[2 * i]);
		free(names[2 * i + 1]);
	}
	free(names);
	return rc;
}

int
perm_load(struct conn *c, int64_t user_id, enum role cap, struct perm *p)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT department, role FROM"
	    " user_roles WHERE user_id = ? ORDER BY department, role");
	const char *role;
	enum role r;
	int rc;

	memset(p, 0, sizeof *p);
	sqlite3_bind_int64(st, 1, user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		role = col_text(st, 1);
		if (strcmp(role, "admin") == 0)
			p->admin = 1;
		else if (strcmp(role, "manager") == 0)
			p->manager = 1;
		else if (dept_role_parse(role, &r) == 0 &&
		    p->ngrants < PERM_GRANTS_MAX) {
			snprintf(p->grants[p->ngrants].dept, PERM_DEPT_MAX,
			    "%s", col_text(st, 0));
			p->grants[p->ngrants].role = r;
			p->ngrants++;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	perm_cap(p, cap);
	return 0;
}

static int
insert_role(struct conn *c, int64_t user_id, const char *dept,
    const char *role, const char *by, int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "INSERT INTO user_roles (user_id,"
	    " department, role, granted_at, granted_by) VALUES (?, ?, ?, ?, ?)");

	sqlite3_bind_int64(st, 1, user_id);
	bind_text(st, 2, dept);
	bind_text(st, 3, role);
	sqlite3_bind_int64(st, 4, now);
	bind_text(st, 5, by);
	return conn_step(c, st, err, errlen);
}

int
perm_store(struct conn *c, int64_t user_id, const struct perm *p,
    const char *by, int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	const char *summary;
	int i;

	st = conn_stmt(c, "DELETE FROM user_roles WHERE user_id = ?");
	sqlite3_bind_int64(st, 1, user_id);
	if (conn_step(c, st, err, errlen) != 0)
		return -1;
	if ((p->admin && insert_role(c, user_id, "", "admin", by, now, err,
	    errlen) != 0) || (p->manager && insert_role(c, user_id, "",
	    "manager", by, now, err, errlen) != 0))
		return -1;
	for (i = 0; i < p->ngrants; i++)
		if (insert_role(c, user_id, p->grants[i].dept,
		    role_name(p->grants[i].role), by, now, err, errlen) != 0)
			return -1;
	summary = perm_top(p) != ROLE_USER ? role_name(perm_top(p)) :
	    p->manager ? "manager" : "none";
	st = conn_stmt(c, "UPDATE users SET role = ? WHERE id = ?");
	bind_text(st, 1, summary);
	sqlite3_bind_int64(st, 2, user_id);
	return conn_step(c, st, err, errlen);
}

/* The code of a department named in a grant, or -1 with a message. */
static int
grant_dept(const struct kpi_config *cfg, const char *text, const char *what,
    char *out, size_t outlen, char *err, size_t errlen)
{
	int i;

	if (*text == '\0') {
		out[0] = '\0';
		return 0;
	}
	if ((i = find(cfg, text)) < 0) {
		snprintf(err, errlen, "%s: unknown department '%s'", what, text);
		return -1;
	}
	if (strlen(cfg->depts[i].code) >= outlen) {
		snprintf(err, errlen, "%s: the code of '%s' is longer than %zu "
		    "bytes", what, text, outlen - 1);
		return -1;
	}
	snprintf(out, outlen, "%s", cfg->depts[i].code);
	return 0;
}

static int
parse_grant(const struct kpi_config *cfg, json_t *g, size_t idx,
    struct perm *p, char *err, size_t errlen)
{
	json_t *d = json_object_get(g, "department");
	json_t *r = json_object_get(g, "role");
	char what[64];
	enum role role;
	int i;

	snprintf(what, sizeof what, "roles[%zu].department", idx);
	if (!json_is_object(g) || (d != NULL && !json_is_null(d) &&
	    !json_is_string(d))) {
		snprintf(err, errlen, "%s: expected a department's code, name "
		    "or path (\"\" for the whole organisation)", what);
		return -1;
	}
	if (!json_is_string(r) || dept_role_parse(json_string_value(r),
	    &role) != 0) {
		snprintf(err, errlen, "roles[%zu].role: expected viewer, "
		    "operator or engineer", idx);
		return -1;
	}
	if (p->ngrants == PERM_GRANTS_MAX) {
		snprintf(err, errlen, "roles: at most %d departments",
		    PERM_GRANTS_MAX);
		return -1;
	}
	if (grant_dept(cfg, d && json_is_string(d) ? json_string_value(d) : "",
	    what, p->grants[p->ngrants].dept, PERM_DEPT_MAX, err, errlen) != 0)
		return -1;
	for (i = 0; i < p->ngrants; i++)
		if (strcmp(p->grants[i].dept, p->grants[p->ngrants].dept) == 0) {
			snprintf(err, errlen, "%s: a second role in '%s' (one "
			    "role per department)", what,
			    dept_label(cfg, p->grants[i].dept));
			return -1;
		}
	p->grants[p->ngrants++].role = role;
	return 0;
}

int
perm_parse(const struct kpi_config *cfg, const json_t *in, struct perm *p,
    char *err, size_t errlen)
{
	json_t *roles = json_object_get(in, "roles");
	json_t *global = json_object_get(in, "global"), *v;
	const char *g;
	size_t i;

	memset(p, 0, sizeof *p);
	if (roles != NULL && !json_is_null(roles) && !json_is_array(roles)) {
		snprintf(err, errlen, "roles: expected a list of {\"department\","
		    " \"role\"}");
		return -1;
	}
	json_array_foreach(roles, i, v)
		if (parse_grant(cfg, v, i, p, err, errlen) != 0)
			return -1;
	if (global != NULL && !json_is_null(global) && !json_is_array(global)) {
		snprintf(err, errlen, "global: expected a list of \"manager\" "
		    "and \"admin\"");
		return -1;
	}
	json_array_foreach(global, i, v) {
		g = json_string_value(v);
		if (g != NULL && strcmp(g, "admin") == 0)
			p->admin = 1;
		else if (g != NULL && strcmp(g, "manager") == 0)
			p->manager = 1;
		else {
			snprintf(err, errlen, "global[%zu]: expected \"manager\" "
			    "or \"admin\"", i);
			return -1;
		}
	}
	return 0;
}

json_t *
perm_json(const struct kpi_config *cfg, const struct perm *p)
{
	json_t *roles = json_array(), *global = json_array();
	int i, d;

	for (i = 0; i < p->ngrants; i++) {
		d = find(cfg, p->grants[i].dept);
		json_array_append_new(roles, json_pack("{s:s, s:s, s:s}",
		    "department", p->grants[i].dept, "department_name",
		    d >= 0 ? cfg->depts[d].path : "", "role",
		    role_name(p->grants[i].role)));
	}
	if (p->manager)
		json_array_append_new(global, json_string("manager"));
	if (p->admin)
		json_array_append_new(global, json_string("admin"));
	return json_pack("{s:o, s:o}", "roles", roles, "global", global);
}

int
perm_simple(const struct kpi_config *cfg, const char *role,
    const char *department, struct perm *p)
{
	enum role r;

	memset(p, 0, sizeof *p);
	if (strcmp(role, "admin") == 0) {
		p->admin = 1;
		return 0;
	}
	if (strcmp(role, "manager") == 0) {
		p->manager = 1;
		return 0;
	}
	if (dept_role_parse(role, &r) != 0)
		return -1;
	perm_dept_code(cfg, department, p->grants[0].dept, PERM_DEPT_MAX);
	p->grants[0].role = r;
	p->ngrants = 1;
	return 0;
}
