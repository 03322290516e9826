/*
 * reporter.h - what happens in a job while it runs, told to the scheduler.
 *
 * A job's events (the engine's, or lines from its child process) are
 * queued on the job with a sequence number; one reporter thread for all
 * of an agent's jobs sends each job's queue in batches (every 200 ms or
 * 50 events), heartbeats each job every third of its lease, and stops a
 * run whose lease is lost, whose time is up or that a user cancelled.
 * What is still queued when a run ends goes with its result (delivery.h).
 */
#ifndef KOBITO_REPORTER_H
#define KOBITO_REPORTER_H

#include <stddef.h>
#include <jansson.h>

#include "agentd_state.h"

/*
 * Queue a copy of ev (not consumed) on j with the next seq, long texts
 * cut.  Called by the thread that runs j.
 */
void		 reporter_enqueue(struct job *j, const json_t *ev);
/* The engine's event callback for a run in this process; arg is the job. */
void		 reporter_on_event(void *arg, const json_t *ev);
/*
 * A new array of the events of arr from index from on, at most what one
 * call carries (EVENTS_PER_CALL, EVENT_BYTES_PER_CALL).  arr is not
 * changed.
 */
json_t		*reporter_take_batch(json_t *arr, size_t from);
/* POST batch (not consumed) as events of job_id; why on failure. */
enum outcome	 reporter_post_events(struct client *, const char *job_id,
		    const char *lease_token, json_t *batch, char *why,
		    size_t whylen);
/*
 * The reporter thread (arg: the struct agentd): runs until d->report_quit
 * is set, skipping jobs marked finished.
 */
void		*reporter_main(void *arg);

#endif
