/*
 * test_spool.c - the agent's spool on a real temporary directory: keys,
 * the journal (recovery after a crash, a torn line, rotation), records
 * kept in the outbox, oldest-first listing, acknowledgement, rejection, a
 * damaged record, the one-agent lock, and the backoff arithmetic.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fsutil.h"
#include "spool.h"
#include "xmalloc.h"

struct fixture {
	char		 dir[64];
	char		 err[512];
	struct spool	*sp;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/kobito-spool-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->sp = spool_open(f->dir, f->err, sizeof f->err);
	if (f->sp == NULL)
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

	spool_close(f->sp);
	rc = system(cmd);
	free(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

static int
exists(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct stat st;
	int rc = stat(p, &st) == 0;

	free(p);
	return rc;
}

/* How many entries a directory has, hidden ones included. */
static int
count_entries(const char *dir, const char *sub)
{
	char *p = xasprintf("%s/%s", dir, sub);
	struct dirent *de;
	DIR *d = opendir(p);
	int n = 0;

	free(p);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static long
fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void
test_key(void **state)
{
	char *k;

	(void)state;
	k = spool_key("123", 2);
	assert_string_equal(k, "job-123.a2");
	free(k);
	/* Outside text never escapes the directory or hides a file. */
	k = spool_key("../../etc/passwd", 1);
	assert_string_equal(k, "job-______etc_passwd.a1");
	free(k);
	k = spool_key(".x y", 3);
	assert_string_equal(k, "job-_x_y.a3");
	free(k);
}

static void
test_put_keep_get_done(void **state)
{
	struct fixture *f = *state;
	json_t *rec = json_pack("{s:s, s:i}", "kind", "result", "n", 7), *got;
	char *jobdir;

	/* Put: journaled, no file of its own yet. */
	assert_int_equal(spool_put(f->sp, "job-1.a1", rec, f->err,
	    sizeof f->err), 0);
	assert_false(exists(f->dir, "outbox/job-1.a1.json"));
	assert_int_equal(spool_pending(f->sp), 1);
	/* Kept: a file in the outbox, and nothing half-written beside it. */
	assert_int_equal(spool_keep(f->sp, "job-1.a1", rec, f->err,
	    sizeof f->err), 0);
	assert_true(exists(f->dir, "outbox/job-1.a1.json"));
	assert_int_equal(count_entries(f->dir, "outbox"), 1);
	assert_int_equal(spool_pending(f->sp), 1);
	got = spool_get(f->sp, "job-1.a1", f->err, sizeof f->err);
	assert_non_null(got);
	assert_true(json_equal(got, rec));
	json_decref(got);

	/* The job's directory goes with its record. */
	jobdir = spool_job_dir(f->sp, "job-1.a1");
	assert_int_equal(fsutil_mkdir_p(jobdir, f->err, sizeof f->err), 0);
	free(jobdir);
	assert_true(exists(f->dir, "jobs/job-1.a1"));
	assert_int_equal(spool_done(f->sp, "job-1.a1"), 0);
	assert_false(exists(f->dir, "outbox/job-1.a1.json"));
	assert_false(exists(f->dir, "jobs/job-1.a1"));
	assert_int_equal(spool_pending(f->sp), 0);

	/* Done straight from the journal. */
	assert_int_equal(spool_put(f->sp, "job-2.a1", rec, f->err,
	    sizeof f->err), 0);
	assert_int_equal(spool_done(f->sp, "job-2.a1"), 0);
	assert_int_equal(spool_pending(f->sp), 0);
	assert_int_equal(count_entries(f->dir, "outbox"), 0);
	json_decref(rec);
}

/* A crash leaves records in the journal: the next opening keeps them. */
static void
test_journal_recovery(void **state)
{
	struct fixture *f = *state;
	json_t *a = json_pack("{s:s}", "kind", "a");
	json_t *b = json_pack("{s:s, s:s}", "kind", "b", "text", "line\nbreak");
	json_t *got;
	char *path;
	FILE *fp;

	assert_int_equal(spool_put(f->sp, "job-a.a1", a, f->err,
	    sizeof f->err), 0);
	assert_int_equal(spool_put(f->sp, "job-b.a1", b, f->err,
	    sizeof f->err), 0);
	assert_int_equal(spool_done(f->sp, "job-a.a1"), 0);
	spool_close(f->sp);
	/* The agent died writing a line. */
	path = xasprintf("%s/journal.0", f->dir);
	fp = fopen(path, "a");
	assert_non_null(fp);
	fputs("P 98 job-d.a1 {\"kind\": \"d\n", fp);	/* ended, not whole */
	fputs("P 99 job-c.a1 {\"kind\": \"c", fp);
	fclose(fp);
	f->sp = spool_open(f->dir, f->err, sizeof f->err);
	assert_non_null(f->sp);
	assert_int_equal(spool_pending(f->sp), 1);
	assert_false(exists(f->dir, "outbox/job-a.a1.json"));
	assert_false(exists(f->dir, "outbox/job-c.a1.json"));
	assert_false(exists(f->dir, "outbox/job-d.a1.json"));
	got = spool_get(f->sp, "job-b.a1", f->err, sizeof f->err);
	assert_non_null(got);
	assert_true(json_equal(got, b));
	json_decref(got);
	/* Emptied once its records are safe in the outbox. */
	assert_int_equal(fsize(path), 0);
	free(path);
	json_decref(a);
	json_decref(b);
}

/* Many records through: the journal stays small. */
static void
test_journal_rotates(void **state)
{
	struct fixture *f = *state;
	char *big = xcalloc(1, 4001), key[32], *p0, *p1;
	json_t *rec;
	int i;

	memset(big, 'x', 4000);
	rec = json_pack("{s:s}", "output", big);
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof key, "job-%d.a1", i);
		assert_int_equal(spool_put(f->sp, key, rec, f->err,
		    sizeof f->err), 0);
		assert_int_equal(spool_done(f->sp, key), 0);
	}
	p0 = xasprintf("%s/journal.0", f->dir);
	p1 = xasprintf("%s/journal.1", f->dir);
	/* 12 MB went through; at most one file past 4 MiB is kept. */
	assert_true(fsize(p0) + fsize(p1) < 5 * 1024 * 1024);
	assert_int_equal(spool_pending(f->sp), 0);
	free(p0);
	free(p1);
	free(big);
	json_decref(rec);
}

static void
test_replace(void **state)
{
	struct fixture *f = *state;
	json_t *a = json_pack("{s:i}", "v", 1), *b = json_pack("{s:i}", "v", 2);
	json_t *got;

	assert_int_equal(spool_put(f->sp, "k", a, f->err, sizeof f->err), 0);
	assert_int_equal(spool_put(f->sp, "k", b, f->err, sizeof f->err), 0);
	assert_int_equal(spool_pending(f->sp), 1);
	/* Reopened as after a crash: the later record wins. */
	spool_close(f->sp);
	f->sp = spool_open(f->dir, f->err, sizeof f->err);
	assert_non_null(f->sp);
	got = spool_get(f->sp, "k", f->err, sizeof f->err);
	assert_int_equal(json_integer_value(json_object_get(got, "v")), 2);
	assert_int_equal(count_entries(f->dir, "outbox"), 1);
	json_decref(got);
	json_decref(a);
	json_decref(b);
}

static void
test_list_oldest_first(void **state)
{
	struct fixture *f = *state;
	json_t *rec = json_object();
	char **keys;
	long n;

	/* Kept b, then a, then c: the order of keeping is kept. */
	assert_int_equal(spool_keep(f->sp, "b", rec, f->err, sizeof f->err), 0);
	usleep(20000);
	assert_int_equal(spool_keep(f->sp, "a", rec, f->err, sizeof f->err), 0);
	usleep(20000);
	assert_int_equal(spool_keep(f->sp, "c", rec, f->err, sizeof f->err), 0);
	n = spool_list(f->sp, &keys, f->err, sizeof f->err);
	assert_int_equal(n, 3);
	assert_string_equal(keys[0], "b");
	assert_string_equal(keys[1], "a");
	assert_string_equal(keys[2], "c");
	spool_keys_free(keys, n);
	json_decref(rec);
}

static void
test_reject_keeps_reason(void **state)
{
	struct fixture *f = *state;
	json_t *rec = json_pack("{s:s}", "kind", "result"), *kept;
	char *path, *data;
	size_t len;

	/* From the outbox (the record read back from there)... */
	assert_int_equal(spool_keep(f->sp, "job-8.a1", rec, f->err,
	    sizeof f->err), 0);
	assert_int_equal(spool_reject(f->sp, "job-8.a1", NULL, "400"), 0);
	assert_false(exists(f->dir, "outbox/job-8.a1.json"));
	assert_true(exists(f->dir, "rejected/job-8.a1.json"));
	/* ...and from the journal (the record given). */
	assert_int_equal(spool_put(f->sp, "job-9.a1", rec, f->err,
	    sizeof f->err), 0);
	assert_int_equal(spool_reject(f->sp, "job-9.a1", rec,
	    "409 Conflict: stale lease token"), 0);
	assert_false(exists(f->dir, "outbox/job-9.a1.json"));
	path = xasprintf("%s/rejected/job-9.a1.json", f->dir);
	assert_int_equal(fsutil_read(path, 0, &data, &len, f->err,
	    sizeof f->err), 0);
	kept = json_loads(data, 0, NULL);
	assert_non_null(kept);
	assert_string_equal(json_string_value(json_object_get(kept,
	    "rejected")), "409 Conflict: stale lease token");
	assert_string_equal(json_string_value(json_object_get(kept, "kind")),
	    "result");
	assert_int_equal(spool_pending(f->sp), 0);
	json_decref(kept);
	json_decref(rec);
	free(data);
	free(path);
}

static void
test_damaged_record(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/outbox/job-5.a1.json", f->dir);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs("{\"kind\": \"res", fp);	/* cut short */
	fclose(fp);
	assert_null(spool_get(f->sp, "job-5.a1", f->err, sizeof f->err));
	assert_non_null(strstr(f->err, "job-5.a1.json:1:"));
	assert_non_null(strstr(f->err, "damaged"));
	/* Moved aside so that it is not retried forever. */
	assert_false(exists(f->dir, "outbox/job-5.a1.json"));
	assert_true(exists(f->dir, "rejected/job-5.a1.json"));
	free(path);
}

static void
test_one_agent_per_spool(void **state)
{
	struct fixture *f = *state;
	char err[512];
	struct spool *second = spool_open(f->dir, err, sizeof err);

	assert_null(second);
	assert_non_null(strstr(err, "in use by another agent"));
	/* Once the first lets go, a new one may take it. */
	spool_close(f->sp);
	f->sp = spool_open(f->dir, err, sizeof err);
	assert_non_null(f->sp);
}

static void
test_backoff(void **state)
{
	(void)state;
	/* 1 s, 2 s, 4 s ... capped at 60 s, spread by +-20%. */
	assert_int_equal(spool_backoff_ms(1, 1000, 60000, 0.5), 1000);
	assert_int_equal(spool_backoff_ms(2, 1000, 60000, 0.5), 2000);
	assert_int_equal(spool_backoff_ms(4, 1000, 60000, 0.5), 8000);
	assert_int_equal(spool_backoff_ms(7, 1000, 60000, 0.5), 60000);
	assert_int_equal(spool_backoff_ms(1000, 1000, 60000, 0.5), 60000);
	assert_int_equal(spool_backoff_ms(1, 1000, 60000, 0.0), 800);
	assert_int_equal(spool_backoff_ms(1, 1000, 60000, 0.999999), 1199);
	assert_int_equal(spool_backoff_ms(3, 1000, 60000, 0.0), 3200);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test_setup_teardown(test_put_keep_get_done, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_journal_recovery, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_journal_rotates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_oldest_first, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reject_keeps_reason, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_damaged_record, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_one_agent_per_spool, setup,
		    teardown),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
