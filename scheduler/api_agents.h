/*
 * api_agents.h - agents: registering, leasing jobs (with the long poll
 * and its list of waiters), and the list of agents.
 */
#ifndef KOBITO_API_AGENTS_H
#define KOBITO_API_AGENTS_H

#include "api_int.h"

/* Most jobs one lease call may take (max_jobs). */
#define API_LEASE_BATCH_MAX	32

/* A lease call's outcome (api_lease_write's argument). */
struct leasew {
	int		 rc;
	int		 status;	/* when the agent cannot lease */
	char		 err[256];
	json_t		*reply;
	int64_t		 waited_ms[API_LEASE_BATCH_MAX];
	int		 n;		/* jobs leased */
};

/*
 * Lease up to r->lp_max jobs to the agent of r in the write on c (an
 * api_write_fn; p is a struct leasew).
 */
int		 api_lease_write(struct conn *, struct api *, struct req *,
		    void *p);
/* Count the dispatch latency of the leases in w. */
void		 api_record_leases(struct api *, const struct leasew *w);

/*
 * Wake up to n waiters (n < 0: all) whose labels satisfy requires (NULL:
 * any), oldest first.
 */
void		 api_wake(struct api *, json_t *requires, int n);
/* Resume waiters whose time is up; all of them when all is set. */
void		 api_expire_waiters(struct api *, int64_t mono, int all);
/*
 * Take the oldest waiting agent that can run a job requiring requires off
 * the list, or NULL.  The caller resumes it.
 */
struct req	*api_claim_waiter(struct api *, json_t *requires);
/* Take r off the list of waiters; wmu held. */
void		 api_wait_unlink(struct api *, struct req *r);

enum hres	 api_h_register(struct api *, struct req *);
enum hres	 api_h_lease(struct api *, struct req *);
enum hres	 api_h_agents(struct api *, struct req *);

#endif
