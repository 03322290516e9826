/*
 * test_perm.c - roles and departments (perm.h): roles held down the tree
 * and never up it, the whole organisation, global roles, the lists of
 * departments a filter reads, token caps, who may run a shared bot and
 * for which department, the objects' departments, the grants' storage
 * and parsing, the migration of the users there were before, and the
 * names written as codes at start.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "perm.h"
#include "store.h"
#include "xmalloc.h"

static const char tree_yaml[] =
	"departments:\n"
	"  - code: zaisei\n"
	"    name: 財政局\n"
	"    children:\n"
	"      - code: zaisei-keiri\n"
	"        name: 経理部\n"
	"        children:\n"
	"          - code: zaisei-keiri-kaikei\n"
	"            name: 会計課\n"
	"            aliases: [会計室]\n"
	"          - code: zaisei-keiri-keiyaku\n"
	"            name: 契約課\n"
	"  - code: shimin\n"
	"    name: 市民局\n"
	"    children:\n"
	"      - code: shimin-kusei\n"
	"        name: 区政部\n";

struct fixture {
	char			 dir[64];
	char			*db;
	struct conn		 c;
	struct kpi_config	 cfg;
	char			 err[512];
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct store *st;

	snprintf(f->dir, sizeof f->dir, "/tmp/kobito-perm-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->db = xasprintf("%s/sched.db", f->dir);
	if ((st = store_open(f->db, 0, f->err, sizeof f->err)) == NULL)
		return -1;
	store_close(st);
	if (conn_open(&f->c, f->db, f->err, sizeof f->err) != 0)
		return -1;
	if (kpi_config_load_text(&f->cfg, "kpi.yaml", tree_yaml,
	    strlen(tree_yaml), f->err, sizeof f->err) != 0) {
		fprintf(stderr, "%s\n", f->err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd;

	conn_close(&f->c);
	kpi_config_free(&f->cfg);
	cmd = xasprintf("rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(cmd);
	free(f->db);
	free(f);
	return 0;
}

static void
exec_ok(struct fixture *f, const char *sql)
{
	if (conn_exec(&f->c, sql) != 0)
		fail_msg("%s: %s", sql, sqlite3_errmsg(f->c.db));
}

static void
grant(struct perm *p, const char *dept, enum role r)
{
	snprintf(p->grants[p->ngrants].dept, PERM_DEPT_MAX, "%s", dept);
	p->grants[p->ngrants++].role = r;
}

static void
test_roles_down_the_tree(void **state)
{
	struct fixture *f = *state;
	const struct kpi_config *k = &f->cfg;
	struct perm p;

	memset(&p, 0, sizeof p);
	grant(&p, "zaisei-keiri", ROLE_ENGINEER);
	grant(&p, "shimin-kusei", ROLE_VIEWER);
	/* A 部's role holds in its 課, by code, name, path or alias... */
	assert_int_equal(perm_role_in(k, &p, "zaisei-keiri"), ROLE_ENGINEER);
	assert_int_equal(perm_role_in(k, &p, "zaisei-keiri-kaikei"),
	    ROLE_ENGINEER);
	assert_int_equal(perm_role_in(k, &p, "会計室"), ROLE_ENGINEER);
	assert_int_equal(perm_role_in(k, &p, "財政局/経理部/契約課"),
	    ROLE_ENGINEER);
	/* ...never in the 局 above it, beside it, or the whole city's. */
	assert_int_equal(perm_role_in(k, &p, "zaisei"), ROLE_NONE);
	assert_int_equal(perm_role_in(k, &p, "shimin"), ROLE_NONE);
	assert_int_equal(perm_role_in(k, &p, ""), ROLE_NONE);
	assert_int_equal(perm_role_in(k, &p, "shimin-kusei"), ROLE_VIEWER);
	assert_true(perm_allows(k, &p, "zaisei-keiri-kaikei", ROLE_OPERATOR));
	assert_false(perm_allows(k, &p, "shimin-kusei", ROLE_OPERATOR));
	assert_int_equal(perm_top(&p), ROLE_ENGINEER);
	/* A text the tree lacks matches only itself. */
	memset(&p, 0, sizeof p);
	grant(&p, "どこか", ROLE_OPERATOR);
	assert_int_equal(perm_role_in(k, &p, "どこか"), ROLE_OPERATOR);
	assert_int_equal(perm_role_in(k, &p, "zaisei"), ROLE_NONE);
	/* The whole organisation: everywhere, org-wide objects included. */
	memset(&p, 0, sizeof p);
	grant(&p, "", ROLE_VIEWER);
	assert_int_equal(perm_role_in(k, &p, ""), ROLE_VIEWER);
	assert_int_equal(perm_role_in(k, &p, "shimin-kusei"), ROLE_VIEWER);
	/* Admins hold everything; managers nothing but every KPI. */
	memset(&p, 0, sizeof p);
	p.manager = 1;
	assert_int_equal(perm_role_in(k, &p, "zaisei"), ROLE_NONE);
	assert_int_equal(perm_top(&p), ROLE_USER);
	assert_true(perm_sees_all_kpi(&p));
	p.admin = 1;
	assert_int_equal(perm_role_in(k, &p, ""), ROLE_ADMIN);
	assert_int_equal(perm_top(&p), ROLE_ADMIN);
	memset(&p, 0, sizeof p);
	grant(&p, "", ROLE_ENGINEER);
	assert_false(perm_sees_all_kpi(&p));
}

static void
test_depts_for_filters(void **state)
{
	struct fixture *f = *state;
	struct perm p;
	json_t *d;
	char *text;

	memset(&p, 0, sizeof p);
	grant(&p, "経理部", ROLE_OPERATOR);
	grant(&p, "shimin", ROLE_VIEWER);
	grant(&p, "どこか", ROLE_VIEWER);
	d = perm_depts(&f->cfg, &p, ROLE_VIEWER);
	text = json_dumps(d, JSON_COMPACT);
	assert_string_equal(text, "[\"zaisei-keiri\",\"zaisei-keiri-kaikei\","
	    "\"zaisei-keiri-keiyaku\",\"shimin\",\"shimin-kusei\",\"どこか\"]");
	free(text);
	json_decref(d);
	d = perm_depts(&f->cfg, &p, ROLE_OPERATOR);
	text = json_dumps(d, JSON_COMPACT);
	assert_string_equal(text, "[\"zaisei-keiri\",\"zaisei-keiri-kaikei\","
	    "\"zaisei-keiri-keiyaku\"]");
	free(text);
	json_decref(d);
	d = perm_depts(&f->cfg, &p, ROLE_ENGINEER);
	assert_int_equal(json_array_size(d), 0);
	json_decref(d);
	/* Everywhere: no filter at all. */
	grant(&p, "", ROLE_VIEWER);
	assert_null(perm_depts(&f->cfg, &p, ROLE_VIEWER));
	d = perm_depts(&f->cfg, &p, ROLE_OPERATOR);
	assert_int_equal(json_array_size(d), 3);
	json_decref(d);
}

static void
test_token_caps(void **state)
{
	struct perm p;

	(void)state;
	memset(&p, 0, sizeof p);
	grant(&p, "zaisei", ROLE_ENGINEER);
	grant(&p, "shimin", ROLE_VIEWER);
	p.manager = 1;
	perm_cap(&p, ROLE_OPERATOR);
	assert_int_equal(p.grants[0].role, ROLE_OPERATOR);
	assert_int_equal(p.grants[1].role, ROLE_VIEWER);
	assert_true(p.manager);
	/* An admin's viewer token views everything and administers nothing. */
	memset(&p, 0, sizeof p);
	p.admin = 1;
	perm_cap(&p, ROLE_VIEWER);
	assert_false(p.admin);
	assert_int_equal(p.ngrants, 1);
	assert_string_equal(p.grants[0].dept, "");
	assert_int_equal(p.grants[0].role, ROLE_VIEWER);
	memset(&p, 0, sizeof p);
	p.admin = 1;
	perm_cap(&p, ROLE_ADMIN);
	assert_true(p.admin);
}

static void
test_job_department(void **state)
{
	struct fixture *f = *state;
	const struct kpi_config *k = &f->cfg;
	char out[PERM_DEPT_MAX], err[256];
	struct perm p;

	memset(&p, 0, sizeof p);
	grant(&p, "zaisei-keiri-keiyaku", ROLE_OPERATOR);
	/* Its own department's bot: the job is the bot's department's. */
	assert_int_equal(perm_job_dept(k, &p, "zaisei-keiri-keiyaku", 0, NULL,
	    out, sizeof out, err, sizeof err), PERM_RUN_OK);
	assert_string_equal(out, "zaisei-keiri-keiyaku");
	/* Another's: refused, naming its department. */
	assert_int_equal(perm_job_dept(k, &p, "zaisei-keiri-kaikei", 0, NULL,
	    out, sizeof out, err, sizeof err), PERM_RUN_DENIED);
	assert_non_null(strstr(err, "財政局/経理部/会計課"));
	/* Another's, shared: run for the operator's own department. */
	assert_int_equal(perm_job_dept(k, &p, "zaisei-keiri-kaikei", 1, NULL,
	    out, sizeof out, err, sizeof err), PERM_RUN_OK);
	assert_string_equal(out, "zaisei-keiri-keiyaku");
	/* With two departments, the caller says which, and only theirs. */
	grant(&p, "shimin", ROLE_OPERATOR);
	assert_int_equal(perm_job_dept(k, &p, "zaisei-keiri-kaikei", 1, NULL,
	    out, sizeof out, err, sizeof err), PERM_RUN_ASK);
	assert_int_equal(perm_job_dept(k, &p, "zaisei-keiri-kaikei", 1,
	    "区政部", out, sizeof out, err, sizeof err), PERM_RUN_OK);
	assert_string_equal(out, "shimin-kusei");
	assert_int_equal(perm_job_dept(k, &p, "zaisei-keiri-kaikei", 1,
	    "zaisei", out, sizeof out, err, sizeof err), PERM_RUN_DENIED);
	/* A viewer runs nothing, shared or not. */
	memset(&p, 0, sizeof p);
	grant(&p, "zaisei", ROLE_VIEWER);
	assert_int_equal(perm_job_dept(k, &p, "zaisei", 1, NULL, out,
	    sizeof out, err, sizeof err), PERM_RUN_DENIED);
}

static void
test_objects(void **state)
{
	struct fixture *f = *state;
	struct perm_obj o;
	struct perm p;

	exec_ok(f, "INSERT INTO script_versions (digest, name, owner,"
	    " requires, secrets, describe, source, origin, created_at)"
	    " VALUES ('d1', 'pay', '財政局/経理部/会計課', '[]', '[]', '{}',"
	    " 'x', 'api', 0);"
	    "INSERT INTO scripts (name, digest, origin, updated_at)"
	    " VALUES ('pay', 'd1', 'api', 0);"
	    "INSERT INTO jobs (id, script, digest, params, state,"
	    " max_attempts, backoff_ms, backoff_max_ms, timeout_ms, not_before,"
	    " triggered_by, department, created_at, updated_at) VALUES"
	    " (7, 'pay', 'd1', '{}', 'queued', 1, 0, 0, 1, 0, 'user:sato',"
	    " 'zaisei-keiri-kaikei', 0, 0);"
	    "INSERT INTO runs (id, job_id, attempt, script, digest, status,"
	    " started_at, lease_token, department) VALUES (9, 7, 1, 'pay',"
	    " 'd1', 'running', 0, 't', 'zaisei-keiri-kaikei');");
	assert_int_equal(perm_object(&f->c, &f->cfg, "script", "pay", &o), 1);
	assert_string_equal(o.dept, "zaisei-keiri-kaikei");
	assert_false(o.shared);
	assert_int_equal(perm_object(&f->c, &f->cfg, "job", "7", &o), 1);
	assert_string_equal(o.owner, "sato");
	assert_int_equal(perm_object(&f->c, &f->cfg, "run", "9", &o), 1);
	assert_string_equal(o.dept, "zaisei-keiri-kaikei");
	assert_string_equal(o.owner, "sato");
	assert_int_equal(perm_object(&f->c, &f->cfg, "job", "8", &o), 0);
	assert_int_equal(perm_object(&f->c, &f->cfg, "job", "x", &o), 0);
	assert_int_equal(perm_object(&f->c, &f->cfg, "ship", "x", &o), -1);

	/* Who triggered it sees it (and, an operator anywhere, runs it). */
	assert_int_equal(perm_object(&f->c, &f->cfg, "job", "7", &o), 1);
	memset(&p, 0, sizeof p);
	grant(&p, "shimin", ROLE_OPERATOR);
	assert_int_equal(perm_on(&f->cfg, &p, "suzuki", &o), ROLE_NONE);
	assert_int_equal(perm_on(&f->cfg, &p, "sato", &o), ROLE_OPERATOR);
	p.grants[0].role = ROLE_VIEWER;
	assert_int_equal(perm_on(&f->cfg, &p, "sato", &o), ROLE_VIEWER);
	/* A shared script: seen by all, run by any operator. */
	exec_ok(f, "INSERT INTO script_settings (name, shared)"
	    " VALUES ('pay', 1)");
	assert_int_equal(perm_object(&f->c, &f->cfg, "script", "pay", &o), 1);
	assert_true(o.shared);
	assert_int_equal(perm_on(&f->cfg, &p, "suzuki", &o), ROLE_VIEWER);
	p.grants[0].role = ROLE_ENGINEER;
	assert_int_equal(perm_on(&f->cfg, &p, "suzuki", &o), ROLE_OPERATOR);
}

static void
test_store_and_parse(void **state)
{
	struct fixture *f = *state;
	struct perm p, back;
	json_t *in, *out;
	char *text;
	int64_t id;

	exec_ok(f, "INSERT INTO users (name, role, created_at)"
	    " VALUES ('sato', 'viewer', 0)");
	id = conn_last_id(&f->c);
	in = json_loads("{\"roles\": [{\"department\": \"会計課\", \"role\":"
	    " \"engineer\"}, {\"department\": \"\", \"role\": \"viewer\"}],"
	    " \"global\": [\"manager\"]}", 0, NULL);
	assert_int_equal(perm_parse(&f->cfg, in, &p, f->err, sizeof f->err),
	    0);
	json_decref(in);
	assert_int_equal(perm_store(&f->c, id, &p, "admin", 5, f->err,
	    sizeof f->err), 0);
	assert_int_equal(perm_load(&f->c, id, ROLE_ADMIN, &back), 0);
	assert_true(back.manager);
	assert_false(back.admin);
	assert_int_equal(back.ngrants, 2);
	out = perm_json(&f->cfg, &back);
	text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"global\":[\"manager\"],\"roles\":["
	    "{\"department\":\"\",\"department_name\":\"\",\"role\":\"viewer\"},"
	    "{\"department\":\"zaisei-keiri-kaikei\",\"department_name\":"
	    "\"財政局/経理部/会計課\",\"role\":\"engineer\"}]}");
	free(text);
	json_decref(out);
	/* The users row keeps the highest role as its summary. */
	{
		sqlite3_stmt *st = conn_stmt(&f->c, "SELECT role FROM users"
		    " WHERE name = 'sato'");

		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal(col_text(st, 0), "engineer");
		sqlite3_reset(st);
	}

	/* Each problem named by its member. */
	static const struct {
		const char	*json;
		const char	*err;
	} bad[] = {
		{ "{\"roles\": [{\"department\": \"x\", \"role\": \"viewer\"}]}",
		  "roles[0].department: unknown department 'x'" },
		{ "{\"roles\": [{\"department\": \"zaisei\", \"role\": \"boss\"}]}",
		  "roles[0].role: expected viewer, operator or engineer" },
		{ "{\"roles\": [{\"department\": \"zaisei\", \"role\": \"admin\"}]}",
		  "roles[0].role: expected viewer, operator or engineer" },
		{ "{\"roles\": [{\"department\": \"zaisei\", \"role\": \"viewer\"},"
		  " {\"department\": \"財政局\", \"role\": \"engineer\"}]}",
		  "roles[1].department: a second role in '財政局' (one role per"
		  " department)" },
		{ "{\"roles\": {}}",
		  "roles: expected a list of {\"department\", \"role\"}" },
		{ "{\"global\": [\"king\"]}",
		  "global[0]: expected \"manager\" or \"admin\"" },
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		in = json_loads(bad[i].json, 0, NULL);
		assert_non_null(in);
		assert_int_equal(perm_parse(&f->cfg, in, &p, f->err,
		    sizeof f->err), -1);
		assert_string_equal(f->err, bad[i].err);
		json_decref(in);
	}
	/* The simple form of `user set`. */
	assert_int_equal(perm_simple(&f->cfg, "operator", "会計室", &p), 0);
	assert_string_equal(p.grants[0].dept, "zaisei-keiri-kaikei");
	assert_int_equal(perm_simple(&f->cfg, "viewer", NULL, &p), 0);
	assert_string_equal(p.grants[0].dept, "");
	assert_int_equal(perm_simple(&f->cfg, "admin", "x", &p), 0);
	assert_true(p.admin);
	assert_int_equal(perm_simple(&f->cfg, "boss", "x", &p), -1);
}

/* The users there were before departments keep what they could do. */
static void
test_migration_and_names(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	struct perm p;
	char *db = xasprintf("%s/old.db", f->dir);
	struct conn c;
	sqlite3_stmt *s;

	/* A database of schema 6, with users and a job. */
	if (store_migrate_to(db, 6, f->err, sizeof f->err) != 0)
		fail_msg("%s", f->err);
	assert_int_equal(conn_open(&c, db, f->err, sizeof f->err), 0);
	assert_int_equal(conn_schema_version(&c), 6);
	assert_int_equal(conn_exec(&c, "INSERT INTO users (id, name, role, department, created_at)"
	    " VALUES (1, 'a', 'admin', NULL, 0), (2, 'b', 'operator', NULL, 0),"
	    " (3, 'c', 'engineer', '経理部', 0);"
	    "INSERT INTO jobs (id, script, digest, params, state,"
	    " max_attempts, backoff_ms, backoff_max_ms, timeout_ms,"
	    " not_before, triggered_by, department, created_at, updated_at)"
	    " VALUES (1, 's', 'd', '{}', 'queued', 1, 0, 0, 1, 0, 'user:c',"
	    " '会計室', 0, 0);"
	    "INSERT INTO runs (id, job_id, attempt, script, digest, status,"
	    " started_at, lease_token) VALUES (5, 1, 1, 's', 'd', 'running', 0,"
	    " 't')"), 0);
	conn_close(&c);
	if ((st = store_open(db, 0, f->err, sizeof f->err)) == NULL)
		fail_msg("%s", f->err);
	store_close(st);
	assert_int_equal(conn_open(&c, db, f->err, sizeof f->err), 0);
	assert_int_equal(conn_schema_version(&c), STORE_SCHEMA_VERSION);
	/* An admin stays one; a role without a department holds everywhere. */
	assert_int_equal(perm_load(&c, 1, ROLE_ADMIN, &p), 0);
	assert_true(p.admin);
	assert_int_equal(perm_load(&c, 2, ROLE_ADMIN, &p), 0);
	assert_int_equal(perm_role_in(&f->cfg, &p, "shimin"), ROLE_OPERATOR);
	assert_int_equal(perm_role_in(&f->cfg, &p, ""), ROLE_OPERATOR);
	/* One with a department, there and below only. */
	assert_int_equal(perm_load(&c, 3, ROLE_ADMIN, &p), 0);
	assert_int_equal(perm_role_in(&f->cfg, &p, "会計課"), ROLE_ENGINEER);
	assert_int_equal(perm_role_in(&f->cfg, &p, "shimin"), ROLE_NONE);
	/* A run is its job's department's. */
	s = conn_stmt(&c, "SELECT department FROM runs WHERE id = 5");
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal(col_text(s, 0), "会計室");
	sqlite3_reset(s);
	/* At start, names the tree knows become codes. */
	assert_int_equal(perm_normalize(&c, &f->cfg, f->err, sizeof f->err),
	    0);
	s = conn_stmt(&c, "SELECT (SELECT department FROM jobs WHERE id = 1),"
	    " (SELECT department FROM runs WHERE id = 5),"
	    " (SELECT department FROM user_roles WHERE user_id = 3)");
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal(col_text(s, 0), "zaisei-keiri-kaikei");
	assert_string_equal(col_text(s, 1), "zaisei-keiri-kaikei");
	assert_string_equal(col_text(s, 2), "zaisei-keiri");
	sqlite3_reset(s);
	conn_close(&c);
	free(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roles_down_the_tree, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_depts_for_filters, setup,
		    teardown),
		cmocka_unit_test(test_token_caps),
		cmocka_unit_test_setup_teardown(test_job_department, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_and_parse, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migration_and_names, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
