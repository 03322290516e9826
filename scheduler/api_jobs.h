/*
 * api_jobs.h - jobs: triggering (by people and by running jobs, with the
 * direct hand-off to a waiting agent), cancelling, reading.
 */
#ifndef KOBITO_API_JOBS_H
#define KOBITO_API_JOBS_H

#include "api_int.h"

enum hres	 api_h_trigger(struct api *, struct req *);
/*
 * Queue a job from body (borrowed: the request's own is set aside) as
 * POST /api/jobs does: as a run of job "of" again when of > 0 (recorded
 * as its retry_of, and in the audit row), of version pin of the script
 * when pin is not NULL (else its current one).
 */
void		 api_trigger_from(struct api *, struct req *r, json_t *body,
		    int64_t of, const char *pin);
enum hres	 api_h_children(struct api *, struct req *);
enum hres	 api_h_cancel(struct api *, struct req *);
enum hres	 api_h_jobs(struct api *, struct req *);
enum hres	 api_h_job(struct api *, struct req *);

#endif
