/*
 * api_jobs.h - jobs: triggering (by people and by running jobs, with the
 * direct hand-off to a waiting agent), cancelling, reading.
 */
#ifndef KOBITO_API_JOBS_H
#define KOBITO_API_JOBS_H

#include "api_int.h"

enum hres	 api_h_trigger(struct api *, struct req *);
enum hres	 api_h_children(struct api *, struct req *);
enum hres	 api_h_cancel(struct api *, struct req *);
enum hres	 api_h_jobs(struct api *, struct req *);
enum hres	 api_h_job(struct api *, struct req *);

#endif
