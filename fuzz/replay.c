/*
 * replay.c - run a fuzz target over its committed inputs, without
 * libFuzzer: how `make test` keeps every input that was ever found to
 * crash as a regression case, in the gcc and the sanitizer builds.
 *
 *   test_fuzz_NAME [FILE|DIR]...
 *
 * Without arguments it replays $KOBITO_TOP/fuzz/corpus/NAME and
 * $KOBITO_TOP/fuzz/regressions/NAME (NAME from its own file name).  An
 * input that crashes ends the program under the sanitizer's report; at
 * the end it prints how many inputs ran.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "fuzz.h"
#include "xmalloc.h"

#define INPUT_MAX	(16u * 1024 * 1024)

/* The targets that need no set-up do not define it. */
int	LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

static int
replay_file(const char *path)
{
	char err[512], *data;
	size_t len;

	if (fsutil_read(path, INPUT_MAX, &data, &len, err, sizeof err) != 0) {
		fprintf(stderr, "replay: %s\n", err);
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay path (a file, or every file in a directory, in name order). */
static long
replay(const char *path)
{
	struct stat st;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;
	long done = 0;
	DIR *d;

	if (stat(path, &st) != 0)
		return 0;	/* no regressions yet */
	if (!S_ISDIR(st.st_mode))
		return replay_file(path) == 0 ? 1 : -1;
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xasprintf("%s/%s", path, e->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, cmp_names);
	for (i = 0; i < n; i++) {
		if (done >= 0 && replay_file(names[i]) == 0)
			done++;
		else
			done = -1;
		free(names[i]);
	}
	free(names);
	return done;
}

int
main(int argc, char **argv)
{
	const char *top = getenv("KOBITO_TOP"), *base = strrchr(argv[0], '/');
	const char *name;
	char *dirs[2];
	long n, total = 0;
	int i;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (i = 1; i < argc; i++) {
			if ((n = replay(argv[i])) < 0)
				return 1;
			total += n;
		}
		printf("replayed %ld input(s)\n", total);
		return 0;
	}
	base = base ? base + 1 : argv[0];
	name = strncmp(base, "test_fuzz_", 10) == 0 ? base + 10 : base;
	dirs[0] = xasprintf("%s/fuzz/corpus/%s", top ? top : ".", name);
	dirs[1] = xasprintf("%s/fuzz/regressions/%s", top ? top : ".", name);
	for (i = 0; i < 2; i++) {
		if ((n = replay(dirs[i])) < 0)
			return 1;
		printf("%s: %ld input(s)\n", dirs[i], n);
		total += n;
		free(dirs[i]);
	}
	if (total == 0) {
		fprintf(stderr, "replay: no inputs for '%s' (is KOBITO_TOP "
		    "the source tree?)\n", name);
		return 1;
	}
	return 0;
}
