/*
 * api_watch.h - pages that follow what happens, without polling: a
 * counter of the changes committed to jobs and runs, and a long poll on
 * it (GET /api/watch?change=N): the request is parked (suspended) until
 * the counter passes N or its time is up, then answered with the
 * counter (without change, at once: a page's first call); the page reads what it shows again and asks once more.  A
 * run's page reads only what is new (GET /api/runs/{id}/events?after=).
 */
#ifndef KOBITO_API_WATCH_H
#define KOBITO_API_WATCH_H

#include "api_int.h"

/*
 * Something was committed that a page may show (a job or a run changed):
 * bump the counter and answer every parked watch.
 */
void		 api_changed(struct api *);
/* Answer the parked watches whose time is up (every one when all). */
void		 api_watch_expire(struct api *, int64_t mono, int all);
/* Take r off the list of watches (it is going away); vmu not held. */
void		 api_watch_forget(struct api *, struct req *r);

/* GET /api/watch?change=N&wait_ms=W */
enum hres	 api_h_watch(struct api *, struct req *);
/* GET /api/runs/{id}/events?after=SEQ&limit=N */
enum hres	 api_h_run_events(struct api *, struct req *);

#endif
