/*
 * api_schedules.h - schedules: listing, creating or changing, deleting,
 * pausing and resuming, running now; the next fire times of a cron field.
 */
#ifndef KOBITO_API_SCHEDULES_H
#define KOBITO_API_SCHEDULES_H

#include "api_int.h"

enum hres	 api_h_schedules(struct api *, struct req *);
/* POST /api/schedules/{name}/pause, .../resume, .../run */
enum hres	 api_h_schedule_pause(struct api *, struct req *);
enum hres	 api_h_schedule_resume(struct api *, struct req *);
enum hres	 api_h_schedule_run(struct api *, struct req *);
/* GET /api/cron/next */
enum hres	 api_h_cron_next(struct api *, struct req *);
enum hres	 api_h_schedule_put(struct api *, struct req *);
enum hres	 api_h_schedule_delete(struct api *, struct req *);

#endif
