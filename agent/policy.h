/*
 * policy.h - what an agent's jobs may touch, as its administrator set it.
 *
 * The agent's configuration file (agentconf.h) may hold a policy:
 *
 *   programs   the programs exec may run (absolute paths);
 *   files      the file roots file.*, csv.*, sqlite.*, xlsx.*, pdf.*,
 *              ocr.* and screen images may use, each read-write or
 *              read-only;
 *   hosts      where http.request may go, as urlmatch.h writes
 *              destinations ("erp.example.jp", "*.city.example.jp",
 *              "api.example.jp:8443", "https://erp.example.jp/api/");
 *   landlock   required (default), if-available or off: whether the file
 *              roots and the programs are also enforced by the kernel
 *              (sandbox.h) in the job's own process;
 *   system     directories a job's process may read besides its roots
 *              (programs need their libraries and /etc); the file actions
 *              never use them.
 *
 * A list left out restricts nothing; an empty list allows nothing (but the
 * job's own working directory, always usable).  The actions ask here before
 * they act (act_path, act_allow_program, act_allow_url in action.h) and fail
 * with an error naming the policy; the sandbox makes the same file roots and
 * programs hold for everything the job's process does, programs it runs
 * included.
 *
 * A struct policy is immutable once loaded and may be shared by threads.
 * Paths in it are absolute and free of symbolic links (resolved at load
 * time: a root or program that does not exist is an error).
 */
#ifndef KOBITO_POLICY_H
#define KOBITO_POLICY_H

#include <stddef.h>
#include <jansson.h>

struct ynode;

enum policy_landlock {
	POLICY_LANDLOCK_REQUIRED,	/* refuse to start without it */
	POLICY_LANDLOCK_IF_AVAILABLE,	/* warn, enforce in the actions only */
	POLICY_LANDLOCK_OFF,
};

struct policy_root {
	char		*path;
	int		 write;
};

struct policy {
	int			 has_programs;
	char			**programs;
	size_t			 nprograms;
	int			 has_files;
	struct policy_root	*files;
	size_t			 nfiles;
	int			 has_hosts;
	char			**hosts;	/* urlmatch.h destinations */
	size_t			 nhosts;
	enum policy_landlock	 landlock;
	char			**system;
	size_t			 nsystem;
};

/*
 * The policy in node (a YAML mapping; see above), or NULL with
 * "file:line:col: message" in err.  Free with policy_free().
 */
struct policy	*policy_from_yaml(const struct ynode *, char *err,
		    size_t errlen);
/* The policy as JSON and back (for a job's own process).  New objects. */
json_t		*policy_to_json(const struct policy *);
struct policy	*policy_from_json(const json_t *, char *err, size_t errlen);
void		 policy_free(struct policy *);

/* Whether the policy limits files or programs (so the kernel may enforce it). */
int		 policy_confines(const struct policy *);
/* One line saying what the policy allows, for the agent's start-up log. */
char		*policy_describe(const struct policy *);

/*
 * The path an action is to use: relative to workdir (when not NULL), and
 * when the policy has file roots, inside one of them or workdir after
 * symbolic links are resolved (write: a root that allows writing).
 * Returns a new string (the path as given, made absolute), or NULL with
 * a message naming the policy in err.  pol may be NULL (no limits).
 */
char		*policy_path(const struct policy *pol, const char *workdir,
		    const char *path, int write, char *err, size_t errlen);
/* 0 when the program at path (already found in PATH) may run, else -1
 * with err. */
int		 policy_program(const struct policy *pol, const char *path,
		    char *err, size_t errlen);
/* 0 when url lies within the hosts (urlmatch.h), else -1 with err. */
int		 policy_url(const struct policy *pol, const char *url,
		    char *err, size_t errlen);
/*
 * Whether path lies at or below dir (both absolute, symbolic links
 * resolved where they exist).
 */
int		 policy_beneath(const char *path, const char *dir);

#endif
