/*
 * agentconf.h - the agent's configuration file (kobito-agent --config).
 *
 * YAML, every setting optional, an unknown one an error with
 * file:line:col:
 *
 *   policy:            what jobs may touch (policy.h)
 *     programs: [/usr/bin/sort]
 *     files: [/srv/kobito/in, { path: /srv/ledger, access: read }]
 *     hosts: [erp.example.lg.jp]
 *   work_dirs:
 *     keep: never      # never (default), failed or always
 *
 * Besides these, the file holds the command-line options (opts.h; read by
 * agent_main.c).
 *
 * The file is read once at start.  docs/agent.md has the whole story.
 */
#ifndef KOBITO_AGENTCONF_H
#define KOBITO_AGENTCONF_H

#include <stddef.h>

struct policy;

enum agentconf_keep {
	AGENTCONF_KEEP_NEVER,
	AGENTCONF_KEEP_FAILED,
	AGENTCONF_KEEP_ALWAYS,
};

struct agentconf {
	struct policy		*policy;	/* NULL: none */
	enum agentconf_keep	 keep;
};

/*
 * Load path into c (zeroed first).  The keys in others (NULL-terminated,
 * or NULL) are someone else's (the command-line options, which the file
 * may also hold: agent_main.c reads those) and are skipped.  0, or -1
 * with "file:line:col: message" in err.  Release with agentconf_release().
 */
int	agentconf_load(const char *path, struct agentconf *c,
	    const char *const *others, char *err, size_t errlen);
/* The keys this module reads (NULL-terminated). */
extern const char *const agentconf_keys[];
void	agentconf_release(struct agentconf *c);

#endif
