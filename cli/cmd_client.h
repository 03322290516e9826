/*
 * cmd_client.h - what the commands that talk to the scheduler share
 * (cmd_client.c defines it): the connection options every such command
 * takes, the API call that prints the scheduler's error, and aligned
 * tables.  Used by cmd_client.c and cmd_queue.c.
 */
#ifndef KOBITO_CMD_CLIENT_H
#define KOBITO_CMD_CLIENT_H

#include <getopt.h>
#include <jansson.h>

#include "client.h"

/* The connection: options as given, then the open client. */
struct conn {
	const char	*url;
	const char	*token_file;
	int		 json;
	struct client	*client;
	char		*owned_url;		/* from the configuration file */
	char		*owned_token_file;
};

/* The options every command accepts, appended to its own. */
#define COMMON_OPTS \
	{ "scheduler", required_argument, NULL, 'S' }, \
	{ "token-file", required_argument, NULL, 'K' }, \
	{ "json", no_argument, NULL, 'j' }

#define COMMON_USAGE "[--scheduler URL] [--token-file FILE] [--json]"

/* A cell's text from a JSON value; the caller frees it. */
typedef char *(*cell_fn)(const json_t *row, const char *key);

struct column {
	const char	*title;
	const char	*key;
	cell_fn		 cell;
	int		 right;		/* align right (numbers) */
};

/* Handle a common option; 1 when c was one, 0 when it was not. */
int	 cli_common_opt(struct conn *, int c, const char *arg);
/* Open the connection: 0, or 2 (usage) with a message. */
int	 cli_conn_open(struct conn *);
void	 cli_conn_close(struct conn *);
/*
 * Call the API: the JSON body (a new reference, {} when none) of a 2xx
 * answer, or NULL after printing the error.  *status may be NULL.
 */
json_t	*cli_api(struct conn *, const char *method, const char *path,
	    json_t *body, long *status);
void	 cli_print_json(const json_t *);
/* Print rows (an array of objects) as an aligned table. */
void	 cli_print_table(const struct column *cols, const json_t *rows);
/* Cells: a value as text; an ISO time shortened to local date and time. */
char	*cli_cell_plain(const json_t *row, const char *key);
char	*cli_cell_time(const json_t *row, const char *key);

#endif
