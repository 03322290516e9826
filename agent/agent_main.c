/*
 * agent_main.c - bin/kobito-agent: the command line around agentd.c.
 *
 *   kobito-agent --scheduler URL --token-file FILE [--name NAME]
 *                [--labels display,ocr:jpn] [--slots N] [--display :N]...
 *                [--spool DIR] [--allow-root] [--on-term finish|release]
 *                [--isolation auto|thread|process] [--config FILE]
 *                [--verbose] [--web-profiles DIR] [--ca-file FILE]
 *
 * With --run-job it is instead the child that runs one job (agentd.c
 * starts it that way; it is not meant to be typed).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentd.h"
#include "xmalloc.h"

static const char usage_text[] =
    "usage: kobito-agent --scheduler URL --token-file FILE [--name NAME]\n"
    "                    [--labels L1,L2] [--slots N] [--display :N]...\n"
    "                    [--spool DIR] [--allow-root]\n"
    "                    [--on-term finish|release]\n"
    "                    [--isolation auto|thread|process]\n"
    "                    [--config FILE] [--verbose] [--web-profiles DIR]\n"
    "                    [--ca-file FILE]\n";

/* A value of an option that names one of a few words. */
struct word {
	const char	*text;
	int		 value;
};

static const struct word on_term_words[] = {
	{ "release", AGENTD_TERM_RELEASE },
	{ "finish", AGENTD_TERM_FINISH },
	{ NULL, 0 },
};

static const struct word isolation_words[] = {
	{ "auto", AGENTD_ISOLATE_AUTO },
	{ "thread", AGENTD_ISOLATE_THREAD },
	{ "process", AGENTD_ISOLATE_PROCESS },
	{ NULL, 0 },
};

static int
pick_word(const char *opt, const char *arg, const struct word *w, int *out)
{
	const struct word *p;

	for (p = w; p->text != NULL; p++) {
		if (strcmp(p->text, arg) == 0) {
			*out = p->value;
			return 0;
		}
	}
	fprintf(stderr, "kobito-agent: %s must be one of", opt);
	for (p = w; p->text != NULL; p++)
		fprintf(stderr, " %s", p->text);
	fprintf(stderr, ", not '%s'\n", arg);
	return -1;
}

static int
parse_long(const char *opt, const char *arg, long lo, long hi, long *out)
{
	char *end;
	long v;

	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "kobito-agent: %s needs a whole number from "
		    "%ld to %ld, not '%s'\n", opt, lo, hi, arg);
		return -1;
	}
	*out = v;
	return 0;
}

/* Split a comma list into list (appending); empty entries are skipped. */
static void
add_list(const char ***list, size_t *n, char *arg)
{
	char *p = arg, *comma;

	while (p != NULL && *p != '\0') {
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		if (*p != '\0') {
			*list = xreallocarray(*list, *n + 1, sizeof **list);
			(*list)[(*n)++] = p;
		}
		p = comma ? comma + 1 : NULL;
	}
}

/*
 * The persistent browser profiles this agent offers (web.open profile:):
 * the web actions find them through the environment, which every job's
 * process inherits.  Set before any thread exists.
 */
static int
web_profiles(const char *dir)
{
	struct stat st;
	char *abs;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    (abs = realpath(dir, NULL)) == NULL) {
		fprintf(stderr, "kobito-agent: --web-profiles: '%s' is not a "
		    "directory\n", dir);
		return -1;
	}
	setenv("KOBITO_WEB_PROFILES", abs, 1);
	free(abs);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "scheduler", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "labels", required_argument, NULL, 'l' },
		{ "slots", required_argument, NULL, 'N' },
		{ "display", required_argument, NULL, 'd' },
		{ "spool", required_argument, NULL, 'S' },
		{ "allow-root", no_argument, NULL, 'R' },
		{ "on-term", required_argument, NULL, 'T' },
		{ "isolation", required_argument, NULL, 'I' },
		{ "config", required_argument, NULL, 'C' },
		{ "poll-wait", required_argument, NULL, 'W' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "web-profiles", required_argument, NULL, 'P' },
		{ "ca-file", required_argument, NULL, 'A' },
		{ "run-job", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct agentd_opts o;
	const char **labels = NULL, **displays = NULL;
	long v;
	int c, w, rc;

	if (argc == 2 && strcmp(argv[1], "--run-job") == 0)
		return agentd_child(0, 1);
	memset(&o, 0, sizeof o);
	o.slots = 1;
	o.poll_wait_ms = 30000;
	o.on_term = AGENTD_TERM_RELEASE;
	o.isolation = AGENTD_ISOLATE_AUTO;
	o.self_exe = "/proc/self/exe";
	o.scheduler = getenv("KOBITO_SCHEDULER");
	while ((c = getopt_long(argc, argv, "s:t:n:l:N:d:S:RT:I:C:W:vP:A:hV",
	    longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.scheduler = optarg;
			break;
		case 't':
			o.token_file = optarg;
			break;
		case 'n':
			o.name = optarg;
			break;
		case 'l':
			add_list(&labels, &o.nlabels, optarg);
			break;
		case 'N':
			if (parse_long("--slots", optarg, 1, 256, &v) != 0)
				return 2;
			o.slots = (int)v;
			break;
		case 'd':
			add_list(&displays, &o.ndisplays, optarg);
			break;
		case 'S':
			o.spool = optarg;
			break;
		case 'R':
			o.allow_root = 1;
			break;
		case 'T':
			if (pick_word("--on-term", optarg, on_term_words,
			    &w) != 0)
				return 2;
			o.on_term = (enum agentd_on_term)w;
			break;
		case 'I':
			if (pick_word("--isolation", optarg, isolation_words,
			    &w) != 0)
				return 2;
			o.isolation = (enum agentd_isolation)w;
			break;
		case 'C':
			o.config = optarg;
			break;
		case 'W':
			if (parse_long("--poll-wait", optarg, 0, 60000, &v) !=
			    0)
				return 2;
			o.poll_wait_ms = v;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'A':
			o.ca_file = optarg;
			break;
		case 'P':
			if (web_profiles(optarg) != 0)
				return 2;
			break;
		case 'J':
			fprintf(stderr, "kobito-agent: --run-job takes no "
			    "other options\n");
			return 2;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("kobito-agent %s\n", AGENTD_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "kobito-agent: unexpected argument '%s'\n",
		    argv[optind]);
		fputs(usage_text, stderr);
		return 2;
	}
	if (o.scheduler == NULL || o.token_file == NULL) {
		fprintf(stderr, "kobito-agent: --scheduler (or KOBITO_SCHEDULER) "
		    "and --token-file are required\n");
		fputs(usage_text, stderr);
		return 2;
	}
	o.labels = labels;
	o.displays = displays;
	rc = agentd_run(&o);
	free(labels);
	free(displays);
	return rc;
}
