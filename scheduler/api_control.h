/*
 * api_control.h - what people do to jobs beyond triggering one: retry a
 * failed one (the same version, the same params), run one again (the
 * script's current version, the same or edited params), and cancel or
 * retry many at once (a list of ids, or a filter like the job list's).
 * Every one is a change, audited; a job is acted on only by those who
 * hold the operator role on it (perm.h).
 */
#ifndef KOBITO_API_CONTROL_H
#define KOBITO_API_CONTROL_H

#include "api_int.h"

/* POST /api/jobs/{id}/retry */
enum hres	 api_h_retry(struct api *, struct req *);
/* POST /api/jobs/{id}/rerun {"params": {...}} */
enum hres	 api_h_rerun(struct api *, struct req *);
/* POST /api/jobs/bulk {"action", "ids" | "filter"} */
enum hres	 api_h_bulk(struct api *, struct req *);

#endif
