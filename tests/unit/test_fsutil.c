/*
 * test_fsutil.c - atomic writes, appends, mkdir -p, copy and move on a
 * real temporary directory, including failures that must leave no
 * temporary file behind and the old contents intact.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fsutil.h"
#include "xmalloc.h"

struct fixture {
	char	dir[64];
	char	err[512];
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/kobito-fsutil-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
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
	free(f);
	return rc == 0 ? 0 : -1;
}

/* A path inside the fixture directory; the caller frees it. */
static char *
at(const struct fixture *f, const char *name)
{
	return xasprintf("%s/%s", f->dir, name);
}

static char *
slurp(const char *path)
{
	char err[256], *data;
	size_t len;

	if (fsutil_read(path, 0, &data, &len, err, sizeof err) != 0)
		fail_msg("%s", err);
	return data;
}

static void
spit(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* Number of entries in dir whose name starts with a dot (temporaries). */
static int
count_hidden(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_write_and_replace(void **state)
{
	struct fixture *f = *state;
	char *p = at(f, "out.txt"), *s;
	struct stat st;

	assert_int_equal(fsutil_write_atomic(p, "first", 5, -1, f->err,
	    sizeof f->err), 0);
	s = slurp(p);
	assert_string_equal(s, "first");
	free(s);
	/* Replacing keeps the permissions the file had. */
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(fsutil_write_atomic(p, "second", 6, -1, f->err,
	    sizeof f->err), 0);
	s = slurp(p);
	assert_string_equal(s, "second");
	free(s);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* An explicit mode wins. */
	assert_int_equal(fsutil_write_atomic(p, "x", 1, 0600, f->err,
	    sizeof f->err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_hidden(f->dir), 0);
	free(p);
}

static void
test_write_through_symlink(void **state)
{
	struct fixture *f = *state;
	char *real = at(f, "real.txt"), *link = at(f, "link.txt"), *s;
	struct stat st;

	/* Writing to a link replaces what it points to, not the link. */
	spit(real, "old");
	assert_int_equal(symlink("real.txt", link), 0);
	assert_int_equal(fsutil_write_atomic(link, "new", 3, -1, f->err,
	    sizeof f->err), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	s = slurp(real);
	assert_string_equal(s, "new");
	free(s);
	assert_int_equal(fsutil_append_atomic(link, "er", 2, -1, f->err,
	    sizeof f->err), 0);
	s = slurp(real);
	assert_string_equal(s, "newer");
	free(s);
	assert_int_equal(count_hidden(f->dir), 0);
	free(real);
	free(link);
}

static void
test_new_file_gets_umask(void **state)
{
	struct fixture *f = *state;
	char *p = at(f, "new.txt");
	mode_t old = umask(027);
	struct stat st;

	assert_int_equal(fsutil_write_atomic(p, "", 0, -1, f->err,
	    sizeof f->err), 0);
	umask(old);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, 0);
	free(p);
}

static void
test_failure_parent_is_file(void **state)
{
	struct fixture *f = *state;
	char *file = at(f, "plain"), *p = at(f, "plain/child.txt");

	spit(file, "keep");
	assert_int_equal(fsutil_write_atomic(p, "data", 4, -1, f->err,
	    sizeof f->err), -1);
	assert_non_null(strstr(f->err, "cannot write '"));
	assert_non_null(strstr(f->err, "plain/child.txt': Not a directory"));
	assert_int_equal(count_hidden(f->dir), 0);
	free(file);
	free(p);
}

static void
test_failure_after_temp_cleans_up(void **state)
{
	struct fixture *f = *state;
	char *dir = at(f, "target"), *inner = at(f, "target/x"), *p;

	/* The target is a non-empty directory: the temporary file is written
	 * in full, then rename(2) refuses; nothing may remain. */
	assert_int_equal(mkdir(dir, 0755), 0);
	spit(inner, "x");
	assert_int_equal(fsutil_write_atomic(dir, "data", 4, -1, f->err,
	    sizeof f->err), -1);
	assert_non_null(strstr(f->err, "Is a directory"));
	assert_int_equal(count_hidden(f->dir), 0);
	assert_int_equal(fsutil_append_atomic(dir, "data", 4, -1, f->err,
	    sizeof f->err), -1);
	assert_int_equal(count_hidden(f->dir), 0);
	p = slurp(inner);
	assert_string_equal(p, "x");
	free(p);
	free(dir);
	free(inner);
}

static void
test_append(void **state)
{
	struct fixture *f = *state;
	char *p = at(f, "log.csv"), *s;
	struct stat st;

	assert_int_equal(fsutil_append_atomic(p, "a\r\n", 3, -1, f->err,
	    sizeof f->err), 0);
	assert_int_equal(chmod(p, 0604), 0);
	assert_int_equal(fsutil_append_atomic(p, "b\r\n", 3, -1, f->err,
	    sizeof f->err), 0);
	s = slurp(p);
	assert_string_equal(s, "a\r\nb\r\n");
	free(s);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0604);
	assert_int_equal(count_hidden(f->dir), 0);
	free(p);
}

static void
test_mkdir_p(void **state)
{
	struct fixture *f = *state;
	char *p = at(f, "a/b//c/"), *file = at(f, "a/b/file"), *bad;
	struct stat st;

	assert_int_equal(fsutil_mkdir_p(p, f->err, sizeof f->err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Existing directories are fine. */
	assert_int_equal(fsutil_mkdir_p(p, f->err, sizeof f->err), 0);
	spit(file, "x");
	bad = at(f, "a/b/file/d");
	assert_int_equal(fsutil_mkdir_p(bad, f->err, sizeof f->err), -1);
	assert_non_null(strstr(f->err, "a/b/file': it exists and is not a "
	    "directory"));
	free(bad);
	bad = at(f, "n1/n2/leaf.txt");
	assert_int_equal(fsutil_mkdir_parent(bad, f->err, sizeof f->err), 0);
	assert_int_equal(stat(bad, &st), -1);
	*strrchr(bad, '/') = '\0';
	assert_int_equal(stat(bad, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	free(bad);
	free(file);
	free(p);
}

static void
test_copy(void **state)
{
	struct fixture *f = *state;
	char *a = at(f, "a.txt"), *b = at(f, "b.txt"), *s;
	struct stat st;

	spit(a, "original");
	assert_int_equal(chmod(a, 0751), 0);
	assert_int_equal(fsutil_copy(a, b, 0, f->err, sizeof f->err), 0);
	s = slurp(b);
	assert_string_equal(s, "original");
	free(s);
	assert_int_equal(stat(b, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0751);
	/* Without overwrite, the existing file survives untouched. */
	spit(a, "changed");
	assert_int_equal(fsutil_copy(a, b, 0, f->err, sizeof f->err), -1);
	assert_non_null(strstr(f->err, "b.txt' already exists"));
	s = slurp(b);
	assert_string_equal(s, "original");
	free(s);
	assert_int_equal(fsutil_copy(a, b, 1, f->err, sizeof f->err), 0);
	s = slurp(b);
	assert_string_equal(s, "changed");
	free(s);
	assert_int_equal(fsutil_copy(a, a, 1, f->err, sizeof f->err), -1);
	assert_non_null(strstr(f->err, "to itself"));
	assert_int_equal(fsutil_copy(f->dir, b, 1, f->err, sizeof f->err), -1);
	assert_non_null(strstr(f->err, "not a regular file"));
	assert_int_equal(count_hidden(f->dir), 0);
	free(a);
	free(b);
}

static void
test_move(void **state)
{
	struct fixture *f = *state;
	char *a = at(f, "m1"), *b = at(f, "m2"), *missing = at(f, "nope"), *s;

	spit(a, "one");
	spit(b, "two");
	assert_int_equal(fsutil_move(a, b, 0, f->err, sizeof f->err), -1);
	assert_non_null(strstr(f->err, "m2' already exists"));
	assert_int_equal(access(a, F_OK), 0);
	assert_int_equal(fsutil_move(a, b, 1, f->err, sizeof f->err), 0);
	assert_int_equal(access(a, F_OK), -1);
	s = slurp(b);
	assert_string_equal(s, "one");
	free(s);
	assert_int_equal(fsutil_move(missing, a, 0, f->err, sizeof f->err),
	    -1);
	assert_non_null(strstr(f->err, "cannot move '"));
	assert_non_null(strstr(f->err, "No such file or directory"));
	free(a);
	free(b);
	free(missing);
}

static void
test_move_across_filesystems(void **state)
{
	struct fixture *f = *state;
	char *src = at(f, "cross.txt"), *dst, *s;
	char other[] = "/dev/shm/kobito-fsutil-XXXXXX";
	struct stat a, b;

	/* /dev/shm is a tmpfs; when /tmp is on the same filesystem the test
	 * still checks an ordinary move. */
	if (mkdtemp(other) == NULL)
		skip();
	dst = xasprintf("%s/moved.txt", other);
	spit(src, "across");
	assert_int_equal(stat(f->dir, &a), 0);
	assert_int_equal(stat(other, &b), 0);
	assert_int_equal(fsutil_move(src, dst, 0, f->err, sizeof f->err), 0);
	assert_int_equal(access(src, F_OK), -1);
	s = slurp(dst);
	assert_string_equal(s, "across");
	free(s);
	if (a.st_dev == b.st_dev)
		print_message("note: /tmp and /dev/shm share a filesystem\n");
	unlink(dst);
	rmdir(other);
	free(dst);
	free(src);
}

static void
test_read_errors(void **state)
{
	struct fixture *f = *state;
	char *p = at(f, "big"), *data;
	size_t len;

	assert_int_equal(fsutil_read(f->dir, 0, &data, &len, f->err,
	    sizeof f->err), -1);
	assert_non_null(strstr(f->err, "Is a directory"));
	spit(p, "0123456789");
	assert_int_equal(fsutil_read(p, 5, &data, &len, f->err,
	    sizeof f->err), -1);
	assert_non_null(strstr(f->err, "larger than 5 bytes"));
	assert_null(data);
	assert_int_equal(fsutil_read(p, 10, &data, &len, f->err,
	    sizeof f->err), 0);
	assert_int_equal(len, 10);
	free(data);
	free(p);
	p = at(f, "missing.csv");
	assert_int_equal(fsutil_read(p, 0, &data, &len, f->err,
	    sizeof f->err), -1);
	assert_non_null(strstr(f->err, "missing.csv': No such file or "
	    "directory"));
	assert_non_null(strstr(f->err, "cannot open '"));
	free(p);
}

/* read_under(f, "tree", rel, cap): fsutil_read_under's result, err kept. */
static int
read_under(struct fixture *f, const char *rel, size_t cap, char **data)
{
	char *root = at(f, "tree");
	size_t len;
	int rc;

	rc = fsutil_read_under(root, rel, cap, data, &len, f->err,
	    sizeof f->err);
	free(root);
	return rc;
}

static void
test_read_under(void **state)
{
	struct fixture *f = *state;
	char *p, *q, *data;

	p = at(f, "tree/lib");
	assert_int_equal(fsutil_mkdir_p(p, f->err, sizeof f->err), 0);
	free(p);
	p = at(f, "tree/lib/a.yaml");
	spit(p, "inside");
	free(p);
	p = at(f, "outside.txt");
	spit(p, "root:$6$hash");
	free(p);

	/* Inside, also by "..": read. */
	assert_int_equal(read_under(f, "lib/../lib/a.yaml", 0, &data), 0);
	assert_string_equal(data, "inside");
	free(data);
	/* A link inside to a file inside is followed. */
	p = at(f, "tree/link.yaml");
	assert_int_equal(symlink("lib/a.yaml", p), 0);
	free(p);
	assert_int_equal(read_under(f, "link.yaml", 0, &data), 0);
	free(data);

	/* Out by "..", by an absolute path, by a link: refused, unread. */
	assert_int_equal(read_under(f, "../outside.txt", 0, &data), -1);
	assert_null(data);
	assert_string_equal(strstr(f->err, "'../outside.txt' is outside"),
	    f->err);
	assert_int_equal(read_under(f, "/etc/passwd", 0, &data), -1);
	assert_non_null(strstr(f->err, "is not a path relative to"));
	p = at(f, "tree/lib/shadow");
	q = at(f, "outside.txt");
	assert_int_equal(symlink(q, p), 0);
	free(q);
	free(p);
	assert_int_equal(read_under(f, "lib/shadow", 0, &data), -1);
	assert_non_null(strstr(f->err, "'lib/shadow' is outside"));
	assert_null(strstr(f->err, "root:"));
	p = at(f, "tree/zero");
	assert_int_equal(symlink("/dev/zero", p), 0);
	free(p);
	assert_int_equal(read_under(f, "zero", 0, &data), -1);
	assert_non_null(strstr(f->err, "'zero' is outside"));

	/* Inside but not a regular file: refused before it is opened (a
	 * FIFO would block the reader for ever). */
	p = at(f, "tree/fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	free(p);
	assert_int_equal(read_under(f, "fifo", 0, &data), -1);
	assert_string_equal(f->err, "'fifo' is not a regular file");
	assert_int_equal(read_under(f, "lib", 0, &data), -1);
	assert_string_equal(f->err, "'lib' is not a regular file");
	/* Too big: refused by its size. */
	assert_int_equal(read_under(f, "lib/a.yaml", 3, &data), -1);
	assert_string_equal(f->err, "cannot read 'lib/a.yaml': larger than 3 "
	    "bytes");
	assert_int_equal(read_under(f, "lib/none.yaml", 0, &data), -1);
	assert_string_equal(f->err, "cannot open 'lib/none.yaml': No such "
	    "file or directory");
}

static void
test_path_clean(void **state)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "a/b/../c", "a/c" }, { "./a//b/", "a/b" },
		{ "a/../../b", "../b" }, { "../../x", "../../x" },
		{ "/a/../../b", "/b" }, { "/..", "/" }, { "", "." },
		{ "a/..", "." }, { "lib/../common/b.yaml", "common/b.yaml" },
		{ "/srv/in/./x/../y.csv", "/srv/in/y.csv" },
	};
	size_t i;
	char *c;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		c = fsutil_path_clean(cases[i].in);
		if (strcmp(c, cases[i].out) != 0)
			fail_msg("'%s' cleans to '%s', not '%s'", cases[i].in,
			    c, cases[i].out);
		free(c);
	}
	assert_true(fsutil_path_within("/srv/in/a.csv", "/srv/in"));
	assert_true(fsutil_path_within("/srv/in", "/srv/in/"));
	assert_false(fsutil_path_within("/srv/input", "/srv/in"));
	assert_false(fsutil_path_within("/srv/in/../etc/x", "/srv/in"));
	assert_false(fsutil_path_within("in/a.csv", "/srv/in"));
	assert_true(fsutil_path_within("in/a.csv", "in"));
	assert_false(fsutil_path_within("../x", "."));
	assert_true(fsutil_path_within("/anything", "/"));
}

/* Names to store and serve files under, and their types. */
static void
test_safe_name_and_type(void **state)
{
	char long_name[300], *n;

	(void)state;
	n = fsutil_safe_name("/scan/請求書 (1).PNG", 128);
	assert_string_equal(n, "___________1_.PNG");
	assert_string_equal(fsutil_content_type(n), "image/png");
	free(n);
	n = fsutil_safe_name(".hidden", 128);
	assert_string_equal(n, "_hidden");
	free(n);
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	n = fsutil_safe_name(long_name, 128);
	assert_int_equal(strlen(n), 128);
	free(n);
	assert_string_equal(fsutil_content_type("a.txt"),
	    "text/plain; charset=utf-8");
	assert_string_equal(fsutil_content_type("scan.tiff"), "image/tiff");
	assert_string_equal(fsutil_content_type("x.bin"),
	    "application/octet-stream");
	assert_string_equal(fsutil_content_type("png"),
	    "application/octet-stream");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_and_replace, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_through_symlink,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_file_gets_umask, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_failure_parent_is_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_failure_after_temp_cleans_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_across_filesystems,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_read_under, setup,
		    teardown),
		cmocka_unit_test(test_path_clean),
		cmocka_unit_test(test_safe_name_and_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
