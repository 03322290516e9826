/*
 * test_policy.c - the agent's policy: loading it with errors that name
 * the place, and judging paths (relative ones, symbolic links, "..")
 * and programs against it, on real directories in a temporary folder.
 */
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
#include "policy.h"
#include "xmalloc.h"
#include "ydoc.h"

static char tmp[] = "/tmp/kobito-policy.XXXXXX";

static struct policy *
load(const char *yaml, char *err, size_t errlen)
{
	struct ydoc *doc = ydoc_load_string("agent.yaml", yaml, strlen(yaml),
	    err, errlen);
	struct policy *p;

	assert_non_null(doc);
	p = policy_from_yaml(doc->root, err, errlen);
	ydoc_free(doc);
	return p;
}

static int
setup(void **state)
{
	char *d;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	d = xasprintf("%s/in", tmp);
	mkdir(d, 0700);
	free(d);
	d = xasprintf("%s/ref", tmp);
	mkdir(d, 0700);
	free(d);
	d = xasprintf("%s/secret", tmp);
	mkdir(d, 0700);
	free(d);
	d = xasprintf("%s/in/link", tmp);
	assert_int_equal(symlink("../secret", d), 0);
	free(d);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	fsutil_remove_tree(tmp);
	return 0;
}

static void
test_load_errors(void **state)
{
	char err[1024];

	(void)state;
	assert_null(load("files: [/no/such/root]\n", err, sizeof err));
	assert_non_null(strstr(err, "agent.yaml:1:9: files: '/no/such/root'"));
	assert_null(load("programs: [sort]\n", err, sizeof err));
	assert_non_null(strstr(err, "agent.yaml:1:12: programs: expected an "
	    "absolute path"));
	assert_null(load("landlock: maybe\n", err, sizeof err));
	assert_non_null(strstr(err, "agent.yaml:1:11: landlock: must be"));
	assert_null(load("filez: []\n", err, sizeof err));
	assert_non_null(strstr(err, "agent.yaml:1:1: policy: unknown setting "
	    "'filez'"));
	assert_null(load("files:\n  - { path: /tmp, access: all }\n", err,
	    sizeof err));
	assert_non_null(strstr(err, "agent.yaml:2:27: files: access must be "
	    "read or write"));
}

static void
test_paths(void **state)
{
	char err[1024], *yaml, *wd, *p;
	struct policy *pol;

	(void)state;
	yaml = xasprintf("files:\n  - %s/in\n  - { path: %s/ref, access: read "
	    "}\nprograms: [/bin/sh]\n", tmp, tmp);
	pol = load(yaml, err, sizeof err);
	assert_non_null(pol);
	assert_true(policy_confines(pol));
	wd = xasprintf("%s/in", tmp);
	/* Relative paths start in the working directory. */
	p = policy_path(pol, wd, "out.csv", 1, err, sizeof err);
	assert_non_null(p);
	assert_true(strncmp(p, tmp, strlen(tmp)) == 0);
	free(p);
	/* A read-only root refuses a write, not a read. */
	free(wd);
	wd = xasprintf("%s/ref/x.csv", tmp);
	assert_null(policy_path(pol, NULL, wd, 1, err, sizeof err));
	assert_non_null(strstr(err, "does not allow writing"));
	p = policy_path(pol, NULL, wd, 0, err, sizeof err);
	assert_non_null(p);
	free(p);
	free(wd);
	/* Through a symbolic link, and climbing out with "..". */
	wd = xasprintf("%s/in/link/a.txt", tmp);
	assert_null(policy_path(pol, NULL, wd, 0, err, sizeof err));
	assert_non_null(strstr(err, "/secret/a.txt)"));
	free(wd);
	wd = xasprintf("%s/in/new/../../secret/b", tmp);
	assert_null(policy_path(pol, NULL, wd, 1, err, sizeof err));
	assert_non_null(strstr(err, "climbs with '..'"));
	free(wd);
	/* Programs by their resolved path. */
	assert_int_equal(policy_program(pol, "/bin/sh", err, sizeof err), 0);
	assert_int_equal(policy_program(pol, "/bin/cat", err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "does not allow running '/bin/cat'"));
	/* No hosts listed: no limit. */
	assert_int_equal(policy_url(pol, "https://example.jp/", err,
	    sizeof err), 0);
	policy_free(pol);
	free(yaml);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_paths),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
