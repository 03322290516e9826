/*
 * api_schedules.c - schedules (see api_schedules.h and docs/schedules.md).
 */
#include <stdio.h>
#include <string.h>
#include <microhttpd.h>

#include "api_audit.h"
#include "api_schedules.h"
#include "schedules.h"
#include "timeutil.h"

static int
schedule_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	json_t *errors = json_array(), *def;
	char err[256];
	int created;

	(void)p;
	def = sched_check(a->sched, c, a->sc, r->in, errors);
	if (def == NULL) {
		api_reply_json(r, MHD_HTTP_UNPROCESSABLE_CONTENT,
		    json_pack("{s:s, s:o}", "error",
		    "schedule does not validate", "errors", errors));
		return -1;
	}
	json_decref(errors);
	if (sched_put(a->sched, c, def, "api", time_wall_ms(), &created, err,
	    sizeof err) != 0) {
		json_decref(def);
		api_reply_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "%s", err);
		return -1;
	}
	api_reply_json(r, created ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    sched_get(c, a->tf, json_string_value(json_object_get(def,
	    "name"))));
	json_decref(def);
	return 0;
}

enum hres
api_h_schedule_put(struct api *a, struct req *r)
{
	json_t *name = json_object_get(r->in, "name");

	r->detail = json_pack("{s:O?}", "name", name);
	api_write_audited(a, r, schedule_write, NULL);
	return H_DONE;
}

static int
schedule_delete_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	(void)a;
	(void)p;
	if (sched_delete(c, r->args[0]) != 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no schedule '%s'",
		    r->args[0]);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "deleted",
	    r->args[0]));
	return 0;
}

enum hres
api_h_schedule_delete(struct api *a, struct req *r)
{
	r->detail = json_pack("{s:s}", "name", r->args[0]);
	api_write_audited(a, r, schedule_delete_write, NULL);
	return H_DONE;
}

static json_t *
schedules_read(struct conn *c, struct api_readq *q)
{
	return sched_list(c, q->a->tf);
}

enum hres
api_h_schedules(struct api *a, struct req *r)
{
	return api_read(a, r, schedules_read, 0, "schedules");
}
