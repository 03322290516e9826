/*
 * api_runs.h - runs: what agents report while and after they run a job
 * (heartbeats, events, results, releases) and the routes that read runs
 * and their logs.
 */
#ifndef KOBITO_API_RUNS_H
#define KOBITO_API_RUNS_H

#include "api_int.h"

/* Events one agent call may carry. */
#define API_EVENTS_MAX	1000
#define API_EVENTS_ERR	"events: expected a list of at most 1000 events"

/*
 * The {id} of an agent's job route and the lease token in the body
 * (borrowed): 0, or -1 with the reply made.
 */
int		 api_job_and_token(struct req *, int64_t *id,
		    const char **token);

enum hres	 api_h_heartbeat(struct api *, struct req *);
enum hres	 api_h_events(struct api *, struct req *);
enum hres	 api_h_result(struct api *, struct req *);
enum hres	 api_h_results(struct api *, struct req *);
enum hres	 api_h_release(struct api *, struct req *);
enum hres	 api_h_runs(struct api *, struct req *);
enum hres	 api_h_run(struct api *, struct req *);
enum hres	 api_h_logs(struct api *, struct req *);

#endif
