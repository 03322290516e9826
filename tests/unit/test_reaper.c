/*
 * test_reaper.c - the guard that leaves no process behind, with real
 * processes: a shell that starts children in its group, a child that
 * leaves the group with setsid, and an orphan re-parented to the guard;
 * stopped by the owner, by the owner's death (SIGKILL), and by the
 * program's own end.  Each time every one of them must be gone, the
 * directory removed, and a lock handed to the guard released only then.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fsutil.h"
#include "reaper.h"
#include "timeutil.h"
#include "xmalloc.h"

/* Three sleepers that each escape differently; their pids in a file. */
static const char TREE_SH[] =
    "sleep 300 & a=$!\n"
    "setsid sleep 300 & b=$!\n"
    "(sleep 300 & echo $! >\"$1.orphan\") \n"
    "while [ ! -s \"$1.orphan\" ]; do sleep 0.01; done\n"
    "echo \"$a $b $(cat \"$1.orphan\")\" >\"$1.tmp\" && mv \"$1.tmp\" \"$1\"\n"
    "exec sleep 300\n";

struct fixture {
	char	 dir[64];
	char	*pids;		/* the file the shell writes */
	char	*victim;	/* the directory the guard removes */
	char	*lock;		/* a file the guard holds locked */
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	char err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/kobito-reaper-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->pids = xasprintf("%s/pids", f->dir);
	f->victim = xasprintf("%s/victim", f->dir);
	f->lock = xasprintf("%s/lock", f->dir);
	if (fsutil_mkdir_p(f->victim, err, sizeof err) != 0 ||
	    fsutil_write_atomic(f->lock, "", 0, 0600, err, sizeof err) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);
	int rc = system(cmd);

	free(cmd);
	free(f->pids);
	free(f->victim);
	free(f->lock);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* Wait up to ms for cond(arg); non-zero when it came true. */
static int
eventually(int (*cond)(void *), void *arg, int64_t ms)
{
	int64_t until = time_mono_ms() + ms;

	while (!cond(arg)) {
		if (time_mono_ms() > until)
			return 0;
		time_sleep_ms(10, NULL);
	}
	return 1;
}

static int
file_there(void *path)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_size > 0;
}

static int
gone(void *path)
{
	struct stat st;

	return stat(path, &st) != 0 && errno == ENOENT;
}

/* The three pids the shell reported. */
static void
read_pids(const struct fixture *f, pid_t pid[3])
{
	char *data, err[256];
	size_t n;
	long a, b, c;

	assert_true(eventually(file_there, f->pids, 20000));
	assert_int_equal(fsutil_read(f->pids, 0, &data, &n, err, sizeof err),
	    0);
	assert_int_equal(sscanf(data, "%ld %ld %ld", &a, &b, &c), 3);
	pid[0] = (pid_t)a;
	pid[1] = (pid_t)b;
	pid[2] = (pid_t)c;
	free(data);
}

static int
all_dead(void *arg)
{
	pid_t *pid = arg;
	int i;

	for (i = 0; i < 3; i++) {
		if (kill(pid[i], 0) == 0 || errno != ESRCH)
			return 0;
	}
	return 1;
}

/* Whether someone else holds the lock on path. */
static int
locked(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), r;

	assert_true(fd >= 0);
	r = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return r;
}

static int
spawn_tree(struct fixture *f, struct reaper *r, int keep)
{
	char *argv[] = { "/bin/sh", "-c", (char *)TREE_SH, "tree", f->pids,
	    NULL };
	char err[256];
	extern char **environ;
	int rc = reaper_spawn(r, argv, environ, NULL, f->victim, keep, err,
	    sizeof err);

	if (rc != 0)
		fail_msg("%s", err);
	return rc;
}

static void
test_stop_kills_the_tree(void **state)
{
	struct fixture *f = *state;
	struct reaper r;
	pid_t pid[3];
	int fd = open(f->lock, O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(spawn_tree(f, &r, fd), 0);
	close(fd);		/* the guard still holds it */
	read_pids(f, pid);
	assert_true(reaper_running(&r));
	assert_int_equal(kill(pid[0], 0), 0);
	assert_int_equal(kill(pid[1], 0), 0);
	assert_int_equal(kill(pid[2], 0), 0);
	assert_true(locked(f->lock));

	reaper_stop(&r);
	assert_true(all_dead(pid));
	assert_true(gone(f->victim));
	assert_false(locked(f->lock));
	reaper_stop(&r);	/* twice is harmless */
}

static void
test_owner_killed(void **state)
{
	struct fixture *f = *state;
	struct reaper r;
	pid_t owner, pid[3];
	int status;

	owner = fork();
	assert_true(owner >= 0);
	if (owner == 0) {
		if (spawn_tree(f, &r, -1) != 0)
			_exit(1);
		pause();
		_exit(0);
	}
	read_pids(f, pid);
	assert_int_equal(kill(pid[1], 0), 0);
	kill(owner, SIGKILL);
	assert_int_equal(waitpid(owner, &status, 0), owner);
	assert_true(WIFSIGNALED(status));
	assert_true(eventually(all_dead, pid, 10000));
	assert_true(eventually(gone, f->victim, 10000));
}

static void
test_program_ends(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "/bin/true", NULL };
	char err[256];
	struct reaper r;
	extern char **environ;

	assert_int_equal(reaper_spawn(&r, argv, environ, NULL, f->victim, -1,
	    err, sizeof err), 0);
	while (reaper_running(&r))
		time_sleep_ms(10, NULL);
	assert_true(gone(f->victim));
	reaper_stop(&r);
}

static void
test_output_and_refusals(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "/bin/sh", "-c", "echo 起動しました; echo err >&2",
	    NULL };
	char *rel[] = { "sh", NULL }, *log = xasprintf("%s/out.log", f->dir);
	char err[256], *data;
	struct reaper r;
	size_t n;
	extern char **environ;

	assert_int_equal(reaper_spawn(&r, rel, environ, NULL, NULL, -1, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "absolute path"));
	assert_int_equal(reaper_spawn(&r, argv, environ, log, NULL, -1, err,
	    sizeof err), 0);
	while (reaper_running(&r))
		time_sleep_ms(10, NULL);
	reaper_stop(&r);
	assert_int_equal(fsutil_read(log, 0, &data, &n, err, sizeof err), 0);
	assert_string_equal(data, "起動しました\nerr\n");
	free(data);
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stop_kills_the_tree, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_owner_killed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_program_ends, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_output_and_refusals, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
