/*
 * agentd.h - the agent daemon: takes jobs from the scheduler and runs them.
 *
 * bin/kobito-agent is agent_main.c around this module.  One struct agentd
 * is the whole daemon's state (its context struct): options, the spool,
 * the displays, the running jobs.  Its threads are
 *
 *   the poller (the caller of agentd_run): registers, then long-polls
 *       POST /api/agents/lease whenever a slot is free;
 *   the workers, one per job at a time (kept between jobs, more started
 *       when every one is busy): each runs a job's script with the engine,
 *       in this process or in a child process (see "isolation" below),
 *       then writes the result to the spool and delivers it;
 *   the reporter, one for all jobs (reporter.c): sends each job's events
 *       in batches (every 200 ms or 50 events) and heartbeats, and stops a
 *       run when its lease is lost, the job timed out or a user cancelled
 *       it;
 *   the deliverer (delivery.c): retries spooled records, with
 *       exponential backoff, until the scheduler acknowledges or refuses
 *       them;
 *   the signal thread: turns SIGTERM/SIGINT into an orderly stop.
 *
 * Isolation.  The engine keeps all of a run's state in its struct run, so
 * runs can share a process; but an action is only as re-entrant as the
 * libraries under it, and Xlib (process-wide error handler), Tesseract and
 * the clipboard helper (fork) are not safe to share between threads.  So a
 * script whose every action is on a short list of actions checked to use
 * no global state (the core actions, file.*, csv.*, json.*, http.request,
 * sqlite.*, exec: each keeps its handles in the run, and exec forks with
 * close-on-exec pipes and a clean child) runs in a
 * thread; any other script runs in a child process (this program again,
 * with --run-job), which also lets the agent kill a step that ignores
 * cancellation and survive an action that crashes.  --isolation thread or
 * process forces one way.  An agent whose policy (policy.h) limits files
 * or programs runs every job in a child process, which enters the
 * Landlock sandbox (sandbox.h) before the script's first step.
 * docs/agent.md has the measurements.
 */
#ifndef KOBITO_AGENTD_H
#define KOBITO_AGENTD_H

#include <stddef.h>

#include "version.h"

#define AGENTD_VERSION	KOBITO_VERSION

enum agentd_on_term {
	AGENTD_TERM_RELEASE,	/* finish the step, hand the job back */
	AGENTD_TERM_FINISH,	/* finish the job, report it */
};

enum agentd_isolation {
	AGENTD_ISOLATE_AUTO,
	AGENTD_ISOLATE_THREAD,
	AGENTD_ISOLATE_PROCESS,
};

/* Options, as given on the command line; strings are borrowed. */
struct agentd_opts {
	const char		*scheduler;	/* base URL */
	const char		*token_file;
	const char		*name;		/* agent name; NULL: host name */
	const char		*const *labels;
	size_t			 nlabels;
	const char		*const *displays;
	size_t			 ndisplays;
	int			 slots;
	const char		*spool;		/* NULL: a default */
	int			 allow_root;
	enum agentd_on_term	 on_term;
	enum agentd_isolation	 isolation;
	long			 poll_wait_ms;	/* long-poll length */
	const char		*self_exe;	/* for child runs */
	const char		*config;	/* --config FILE, or NULL */
	const char *const	*config_keys;	/* its keys that are options */
	const char		*ca_file;	/* the scheduler's CA, or NULL */
	int			 verbose;
};

/*
 * Run the daemon until it is told to stop (SIGTERM, SIGINT) and every job
 * it holds has been handed back or finished.  Blocks SIGTERM, SIGINT and
 * SIGPIPE in the calling thread (so call it from main before any other
 * thread exists).  Returns the exit status: 0 after an orderly stop, 1
 * when it could not start (message on stderr).
 */
int	agentd_run(const struct agentd_opts *);

/*
 * The child side of a run in its own process (kobito-agent --run-job):
 * read one JSON job from in_fd, run it, write JSON lines to out_fd (one
 * {"event": ...} per event, then {"summary": ..., "status": N}).  SIGUSR1
 * cancels the run at once, SIGUSR2 after the step in progress.  Returns
 * the exit status.
 */
int	agentd_child(int in_fd, int out_fd);

/*
 * Whether every action a script uses is known to be safe to run in a
 * thread beside other runs (see "Isolation" above).
 */
struct script;
int	agentd_thread_safe(const struct script *);

#endif
