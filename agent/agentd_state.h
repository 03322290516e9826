/*
 * agentd_state.h - the state the agent daemon's modules share.
 *
 * agentd.c (leasing, running jobs, the life cycle), reporter.c (events
 * and heartbeats while jobs run), delivery.c (results: batching, the
 * spool, retries) and watch.c (file triggers: it reads o, token and
 * stopping only) work on one struct agentd and its struct jobs.  This
 * header is their contract: which fields each may touch and under which
 * lock.  Nothing outside those four files includes it; the daemon's
 * public face is agentd.h.
 *
 * Locks: d->mu guards the fields of struct agentd marked so, the list of
 * jobs and each job's reporter fields; j->mu guards a job's event queue.
 * d->mu is never taken while j->mu is held.
 */
#ifndef KOBITO_AGENTD_STATE_H
#define KOBITO_AGENTD_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "agentconf.h"
#include "agentd.h"
#include "client.h"

#define EVENTS_PER_CALL		500	/* the API takes at most 1000 */
#define EVENT_BYTES_PER_CALL	(512u * 1024)	/* the API takes 1 MiB */

struct spool;
struct outgoing;
struct redelivery;

struct job {
	struct agentd		*d;
	json_t			*lease;		/* the lease response */
	char			*job_id;	/* as text, for paths */
	long			 attempt;
	char			*run_id;
	const char		*token;		/* in lease */
	long			 timeout_ms;	/* 0: none */
	long			 heartbeat_ms;	/* a third of the lease */
	char			*key;		/* spool key */
	char			*dir;		/* spool/jobs/KEY */
	char			*artdir;	/* dir/artifacts */
	char			*workdir;	/* spool/work/KEY while it runs */
	struct script		*script;	/* NULL: did not load */
	char			*digest;	/* the script's, or NULL */
	char			*load_error;
	int			 display;	/* index, or -1 */
	int			 no_display;	/* none was free: hand it back */
	int			 process;	/* run in a child process */

	atomic_int		 cancel;	/* the engine's stop flag */
	atomic_int		 stop_after_step;
	atomic_int		 lost;		/* the lease is not ours */
	atomic_int		 user_cancel;
	atomic_int		 timed_out;

	pthread_mutex_t		 mu;		/* guards the four below */
	json_t			*queue;		/* events not yet sent */
	long			 next_seq;
	long			 dropped;
	int64_t			 queued_since;	/* mono ms of the oldest */

	/* the reporter's, under d->mu (all times mono ms) */
	int64_t			 started_ms;	/* leased */
	int64_t			 next_hb;
	int64_t			 retry_at;	/* events failed: not before */
	int			 reporting;	/* a call about it is on */
	int			 finished;	/* the run is over */

	struct job		*next;		/* in d->jobs */
	struct job		*next_ready;	/* in d->ready */
};

/*
 * A loaded script kept for the next job of the same version (by digest):
 * loading is a good part of a short job's cost.  One job at a time uses
 * a script; a second job of the same version at once loads its own.
 */
struct cached {
	char			*digest;
	struct script		*script;
	struct cached		*next;
};

#define SCRIPT_CACHE_MAX	32

/* A record queued for POST /api/results. */
struct outgoing {
	char			*key;
	json_t			*rec;
	char			*item;		/* its JSON in the call */
	struct outgoing		*next;
};

struct redelivery {
	char			*key;
	int			 tries;
	int64_t			 due;		/* mono ms */
};

struct agentd {
	const struct agentd_opts *o;
	struct agentconf	 conf;		/* --config: the policy */
	int			 sandbox;	/* Landlock ABI for confined
						 * jobs; 0: none */
	char			**reads;	/* what they may read besides
						 * (kobito's files, X auth) */
	char			*token;
	char			*name;
	struct spool		*spool;
	char			**labels;
	size_t			 nlabels;
	const char		**displays;
	size_t			 ndisplays;
	int			 slots;
	long			 agent_id;
	long			 heartbeat_ms;

	atomic_int		 stopping;	/* SIGTERM: take no new job */
	atomic_int		 hurry;		/* second signal: stop now */
	int			 fatal;		/* could not register */

	pthread_mutex_t		 mu;		/* guards the fields below */

	/* agentd.c: slots, jobs, workers, the script cache */
	pthread_cond_t		 cv;		/* slots, runners */
	int			*display_busy;
	int			 running;	/* jobs holding a slot */
	int			 runners;	/* runner threads alive */
	struct job		*jobs;		/* the reporter reads it */
	struct job		*ready, **ready_tail;	/* for a worker */
	pthread_cond_t		 work_cv;	/* idle workers wait here */
	size_t			 nready;
	int			 idle;		/* workers waiting */
	int			 starting;	/* workers not yet waiting */
	int			 work_quit;
	pthread_t		*workers;
	size_t			 nworkers;
	struct cached		*cache;		/* most recent first */
	size_t			 ncache;

	/* reporter.c */
	pthread_cond_t		 report_cv;	/* the reporter waits here */
	pthread_cond_t		 reported_cv;	/* a call by it ended */
	int			 report_quit;	/* set by agentd.c */

	/* delivery.c */
	char			**inflight;	/* keys a runner delivers */
	size_t			 ninflight;
	struct redelivery	*retries;
	size_t			 nretries;
	struct outgoing		*out, **out_tail;	/* results to send */
	struct outgoing		*unsaved;	/* the spool could not keep */
	int			 sending;	/* a worker is sending them */
	pthread_cond_t		 deliver_cv;	/* the deliverer waits here */
	int			 deliver_wake;
	int			 deliver_quit;	/* set by agentd.c */
	struct client		**pool;		/* idle connections */
	size_t			 npool;
};

/* How a call about a job ended. */
enum outcome {
	OUT_OK,		/* acknowledged */
	OUT_RETRY,	/* no answer or a passing failure: try again later */
	OUT_STALE,	/* 409/404: the lease is not ours; drop the job */
	OUT_REFUSED,	/* refused for good for another reason */
};

/* Helpers of agentd.c the other modules use. */

/* One line on stderr: time, program, message. */
void		 agentd_say(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
/* Wait on cv (made for CLOCK_MONOTONIC) until the monotonic until_ms. */
void		 agentd_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
		    int64_t until_ms);
/* The backoff before try tries+1, spread at random (spool_backoff_ms). */
int64_t		 agentd_backoff(int tries, int64_t base_ms, int64_t max_ms);
/* A client of the scheduler, with the agent's token and CA file. */
struct client	*agentd_client(const struct agentd *d);
/* The integer member k of o, or def. */
long		 agentd_json_long(const json_t *o, const char *k, long def);
/* The outcome of a call that returned rc with reply rep. */
enum outcome	 agentd_classify(int rc, const struct client_reply *rep);

#endif
