/*
 * schedconf.h - the scheduler's settings: its command-line options and its
 * configuration file (/etc/kobito/scheduler.yaml when packaged).
 *
 * Every command-line option of the daemon is also a key of the file
 * (--key-file is key_file); the file has more settings of its own
 * (limits, job defaults, schedules, retention, directory logins).  The command line wins
 * over the file, the file over the defaults.  The admin commands (init,
 * backup, restore, audit) find the database the same way: --db, else the
 * db: of --config, else that of SCHEDCONF_DEFAULT when it exists.
 */
#ifndef KOBITO_SCHEDCONF_H
#define KOBITO_SCHEDCONF_H

#include <stdint.h>
#include <jansson.h>

#include "api.h"
#include "opts.h"

/* Where the packaged scheduler's configuration lives. */
#define SCHEDCONF_DEFAULT	"/etc/kobito/scheduler.yaml"

struct schedconf {
	/* The daemon's command-line options (also keys of the file). */
	char		*db;
	char		*listen;
	char		*scripts;
	char		*config;	/* command line only */
	char		*key_file;
	char		*port_file;
	char		*kpi_config;
	char		*dashboard;
	long long	 threads;
	char		*tls_cert;	/* HTTPS: the certificate (chain), PEM */
	char		*tls_key;	/* and its private key, 0600 */
	int		 secure_cookies;	/* HTTPS is a proxy's */

	/* Settings of the file only. */
	struct api_config api;
	int64_t		 retention, artifacts;	/* retention_days */
	/*
	 * retention: default (-1: retention_days says) and the departments'
	 * own times (their names owned here), for api.retention.
	 */
	int64_t		 retention_ms;
	struct jobs_keep *keep;
	size_t		 nkeep;
	char		*timezone;
	json_t		*schedules;	/* from the file, or NULL */
};

extern const struct opt	schedconf_opts[];
extern const size_t	schedconf_nopts;

/* Defaults into c, and o set up to parse into it. */
void	schedconf_init(struct schedconf *c, struct opts *o,
	    const char *const *synopsis);
/*
 * Apply the configuration file at path (settings the command line gave
 * stay); 0, or -1 after printing each problem as file:line:col on stderr.
 */
int	schedconf_load(struct schedconf *c, struct opts *o, const char *path);
/* Free every value in c (call opts_release() on o first when parsed). */
void	schedconf_release(struct schedconf *c);

/*
 * The database of an admin command: db when given, else the db: of the
 * config file (config, or SCHEDCONF_DEFAULT when it exists).  c, set up
 * by schedconf_init(), receives the file's other settings (key_file,
 * listen, ...), freed by schedconf_release().  A new string, or NULL
 * after saying on stderr why there is none.
 */
char	*schedconf_db(struct schedconf *c, const char *db, const char *config);

#endif
