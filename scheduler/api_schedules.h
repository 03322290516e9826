/* api_schedules.h - schedules: listing, creating or changing, deleting. */
#ifndef KOBITO_API_SCHEDULES_H
#define KOBITO_API_SCHEDULES_H

#include "api_int.h"

enum hres	 api_h_schedules(struct api *, struct req *);
enum hres	 api_h_schedule_put(struct api *, struct req *);
enum hres	 api_h_schedule_delete(struct api *, struct req *);

#endif
