/*
 * api_queues.h - work queues over HTTP (docs/api.md, "Work queues"):
 * queues and their figures, items added by people and by running jobs,
 * items taken, done, failed, handed back or sent to review by jobs, their
 * files, retries, exports; and (api_review.c) the review station's
 * routes.  The store side is queues.h and review.h.
 */
#ifndef KOBITO_API_QUEUES_H
#define KOBITO_API_QUEUES_H

#include "api_int.h"
#include "buf.h"
#include "queues.h"

/* Most items one add may carry. */
#define API_QUEUE_ADD_MAX	1000

/* The HTTP status of a queues_* failure. */
int		 api_queues_status(int rc);
/* Map a queues_* result to an HTTP error reply. */
void		 api_reply_queues_error(struct req *, int rc, const char *err);
/*
 * Add "department_path" (the department's path in the tree) beside the
 * "department" code of an object, or of each object of a list.
 */
void		 api_queues_paths(struct api *, json_t *v);
/* A time for answers (a queues_time_fn over the API's format). */
json_t		*api_queues_time(void *tf, int64_t ms);

/*
 * Start the jobs queue triggers call for (after items were added or came
 * back from review, and from the ticker).  Returns how many.
 */
int		 api_queue_triggers(struct api *);
/* Per-queue lines of /metrics: depth, oldest age, SLA breaches. */
void		 api_queues_metrics(struct api *, struct buf *);

enum hres	 api_h_queues(struct api *, struct req *);
enum hres	 api_h_queue(struct api *, struct req *);
enum hres	 api_h_queue_put(struct api *, struct req *);
enum hres	 api_h_queue_delete(struct api *, struct req *);
enum hres	 api_h_queue_items(struct api *, struct req *);
enum hres	 api_h_queue_add(struct api *, struct req *);
enum hres	 api_h_queue_file_put(struct api *, struct req *);
enum hres	 api_h_queue_export(struct api *, struct req *);
enum hres	 api_h_item(struct api *, struct req *);
enum hres	 api_h_item_file(struct api *, struct req *);
enum hres	 api_h_item_retry(struct api *, struct req *);

/* agents, with a job's lease or an item's */
enum hres	 api_h_job_queue_file(struct api *, struct req *);
enum hres	 api_h_job_queue_add(struct api *, struct req *);
enum hres	 api_h_job_queue_take(struct api *, struct req *);
enum hres	 api_h_item_heartbeat(struct api *, struct req *);
enum hres	 api_h_item_done(struct api *, struct req *);
enum hres	 api_h_item_fail(struct api *, struct req *);
enum hres	 api_h_item_release(struct api *, struct req *);
enum hres	 api_h_item_to_review(struct api *, struct req *);
enum hres	 api_h_item_fetch(struct api *, struct req *);

/* api_review.c: the review station */
enum hres	 api_h_review_inbox(struct api *, struct req *);
enum hres	 api_h_review_open(struct api *, struct req *);
enum hres	 api_h_review_check(struct api *, struct req *);
enum hres	 api_h_review_approve(struct api *, struct req *);
enum hres	 api_h_review_reject(struct api *, struct req *);
enum hres	 api_h_review_close(struct api *, struct req *);

#endif
