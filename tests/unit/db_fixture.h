/*
 * db_fixture.h - what the scheduler database tests of audit and retention
 * share: a fresh database with the current schema in a directory of its
 * own, and a bare connection to it (cmocka setup and teardown).  Included
 * by test_audit.c and test_retention.c only.
 */
#ifndef KOBITO_DB_FIXTURE_H
#define KOBITO_DB_FIXTURE_H

struct fixture {
	char		 dir[64];
	char		*db;
	struct conn	 c;
	char		 err[256];
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct store *st;

	snprintf(f->dir, sizeof f->dir, "/tmp/kobito-db-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->db = xasprintf("%s/sched.db", f->dir);
	if ((st = store_open(f->db, 0, f->err, sizeof f->err)) == NULL)
		return -1;
	store_close(st);
	if (conn_open(&f->c, f->db, f->err, sizeof f->err) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);
	int rc;

	conn_close(&f->c);
	rc = system(cmd);
	free(cmd);
	free(f->db);
	free(f);
	return rc == 0 ? 0 : -1;
}

#endif
