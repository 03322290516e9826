/*
 * cmd.h - the subcommands of bin/kobito, one function each.
 *
 * Each takes the arguments after its name (argv[0] is the command name)
 * and returns the process exit status: 0 success, 1 failure of the work,
 * 2 a usage or load error.
 */
#ifndef KOBITO_CMD_H
#define KOBITO_CMD_H

int	cmd_run(int, char **);
int	cmd_validate(int, char **);
int	cmd_actions(int, char **);
int	cmd_schema(int, char **);
int	cmd_cron(int, char **);
int	cmd_trigger(int, char **);
int	cmd_jobs(int, char **);
int	cmd_runs(int, char **);
int	cmd_logs(int, char **);
int	cmd_agents(int, char **);
int	cmd_schedules(int, char **);
int	cmd_token(int, char **);
int	cmd_ocr(int, char **);
int	cmd_queue(int, char **);
int	cmd_ui(int, char **);

/*
 * Shared by the commands that take --param NAME=VALUE: add the pair to
 * params as a string (converted to the param's type later, by the script).
 * Returns 0, or -1 after saying on stderr what is wrong.
 */
struct json_t;
int	cmd_param_add(struct json_t *params, const char *arg);

/*
 * The options of the commands that talk to the scheduler (trigger, jobs,
 * runs, logs, agents, schedules, token): also the keys of the
 * configuration file, for kobito --help and kobito(1).
 */
#define CMD_SYSTEM_CONFIG	"/etc/kobito/kobito.yaml"
#include "opts.h"
extern const struct opt	cmd_client_opts[];
extern const size_t	cmd_client_nopts;

#endif
