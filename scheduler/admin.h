/*
 * admin.h - the scheduler's admin commands: kobito-scheduler init, backup,
 * restore, audit verify, token create and agent-token create.
 *
 * Each command is one row of admin_cmds: its name, its function (given
 * the arguments after the program's name, argv[0] the command's name;
 * it returns the exit status: 0, 1 failure, 2 usage), and the synopsis,
 * summary and option table that print its --help and its part of the
 * man page (scheduler_main.c prints them all for kobito-scheduler(8)).
 */
#ifndef KOBITO_ADMIN_H
#define KOBITO_ADMIN_H

#include <stddef.h>

#include "opts.h"

struct admin_cmd {
	const char		*name;
	int			(*fn)(int argc, char **argv);
	const char *const	*synopsis;	/* after "kobito-scheduler " */
	const char		*summary;
	const struct opt	*table;
	size_t			 n;
};

extern const struct admin_cmd	admin_cmds[];
extern const size_t		admin_ncmds;

/* The opts of a command, for its --help and man page (out is NULL). */
void	admin_opts(const struct admin_cmd *, struct opts *o, char *prog,
	    size_t proglen);

#endif
