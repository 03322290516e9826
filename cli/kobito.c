/*
 * kobito.c - the command-line front end: a table of subcommands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "version.h"
#include "opts.h"


struct command {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*usage;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run FILE [--param NAME=VALUE]... [--params "
	    "FILE.yaml] [--secrets FILE] [--dry-run] [--json] [--display :N] "
	    "[--artifacts DIR]" },
	{ "validate", cmd_validate, "validate FILE..." },
	{ "actions", cmd_actions, "actions [--json]" },
	{ "schema", cmd_schema, "schema    (a JSON Schema of the script format)" },
	{ "ocr", cmd_ocr, "ocr IMAGE|PDF|DIR... [--template T] [--lang LANGS] "
	    "[--json] [--jobs N] [--max-pixels N]" },
	{ "cron", cmd_cron, "cron next EXPR [--tz ZONE] [--from ISO-TIME] "
	    "[--count N] [--calendar NAME] | cron holidays YEAR" },
	{ "trigger", cmd_trigger, "trigger NAME [--param K=V]... [--priority N] [--idempotency-key K] [--wait] [--json]" },
	{ "jobs", cmd_jobs, "jobs [--state S] [--script NAME] [--limit N] [--json]" },
	{ "runs", cmd_runs, "runs [--job ID] [--script NAME] [--status S] [--limit N] [--json]" },
	{ "logs", cmd_logs, "logs RUN [--follow] [--json]" },
	{ "agents", cmd_agents, "agents [--json]" },
	{ "schedules", cmd_schedules, "schedules [--json]" },
	{ "token", cmd_token, "token create --role ROLE [--name N] [--json]" },
	{ "queue", cmd_queue, "queue list|show|add|retry|export ... (kobito queue --help)" },
	{ "ui", cmd_ui, "ui tree [--window TITLE] [--app NAME] [--match exact|contains|regex] [--depth N] [--display :N]" },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* The synopsis of every command, then the options they share. */
static void
describe(FILE *f, int man)
{
	const char *synopsis[NCOMMANDS + 2];
	struct opts o;
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		synopsis[i] = commands[i].usage;
	synopsis[i++] = "version";
	synopsis[i] = NULL;
	memset(&o, 0, sizeof o);
	o.prog = "kobito";
	o.synopsis = synopsis;
	o.summary = "Run and check scripts on this machine, read forms, and "
	    "talk to the scheduler.  The options below are those of the "
	    "commands that talk to the scheduler (trigger, jobs, runs, logs, "
	    "agents, schedules, token); scheduler and token_file may also be "
	    "set in the configuration file.";
	o.table = cmd_client_opts;
	o.n = cmd_client_nopts;
	if (man)
		opts_man(&o, f);
	else
		opts_usage(&o, f);
}

/* Commands that answer --help themselves, with more than their usage. */
static const char *const own_help[] = { "ocr", "cron" };

/* Whether the arguments after command c ask for a help this file gives. */
static int
wants_help(const struct command *c, int argc, char **argv)
{
	size_t k;
	int i;

	for (k = 0; k < sizeof own_help / sizeof own_help[0]; k++)
		if (strcmp(c->name, own_help[k]) == 0)
			return 0;
	for (i = 2; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

static const struct command *
command_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		describe(stderr, 0);
		return 2;
	}
	if (strcmp(argv[1], "--help-man") == 0) {
		describe(stdout, 1);
		return 0;
	}
	if (strcmp(argv[1], "version") == 0 ||
	    strcmp(argv[1], "--version") == 0) {
		printf("kobito %s\n", KOBITO_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 && argc == 3 &&
	    (c = command_find(argv[2])) != NULL) {
		printf("usage: kobito %s\n", c->usage);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		describe(stdout, 0);
		return 0;
	}
	if ((c = command_find(argv[1])) != NULL) {
		if (wants_help(c, argc, argv)) {
			printf("usage: kobito %s\n", c->usage);
			return 0;
		}
		return c->fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "kobito: unknown command '%s'\n", argv[1]);
	describe(stderr, 0);
	return 2;
}
