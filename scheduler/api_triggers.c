/*
 * api_triggers.c - file triggers over HTTP (see triggers.h): engineers
 * define them, the agent named in each asks which folders to watch and
 * reports the files that settled there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api_audit.h"
#include "api_triggers.h"
#include "timeutil.h"
#include "triggers.h"

struct ftq {
	struct api	*a;
	const char	*agent;
	json_t		*out;
};

static int
list_read(struct conn *c, void *p)
{
	struct ftq *q = p;

	q->out = q->agent ? triggers_watches(c, q->agent) :
	    triggers_file_list(c, q->a->tf);
	return 0;
}

enum hres
api_h_file_triggers(struct api *a, struct req *r)
{
	struct ftq q = { a, NULL, NULL };
	json_t *list, *keep = json_array(), *ft;
	char code[PERM_DEPT_MAX];
	size_t i;

	store_read(a->st, list_read, &q);
	/* A trigger belongs to the department of the script it starts. */
	list = json_object_get(q.out, "file_triggers");
	json_array_foreach(list, i, ft) {
		perm_dept_code(a->kpi, json_string_value(json_object_get(ft,
		    "script_owner")), code, sizeof code);
		if (perm_allows(a->kpi, &r->who.perm, code, ROLE_VIEWER))
			json_array_append(keep, ft);
	}
	json_object_set_new(q.out, "file_triggers", keep);
	api_reply_json(r, MHD_HTTP_OK, q.out);
	return H_DONE;
}

enum hres
api_h_watches(struct api *a, struct req *r)
{
	struct ftq q = { a, r->who.name, NULL };

	store_read(a->st, list_read, &q);
	api_reply_json(r, MHD_HTTP_OK, q.out);
	return H_DONE;
}

static int
put_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct file_trigger *ft = p;
	const struct script *s;
	char err[512], digest[65], code[PERM_DEPT_MAX];
	int created;

	/* Its engineers make the triggers of a department's script. */
	if (scripts_current(c, ft->script, digest) == 0 &&
	    (s = scripts_get(a->sc, c, digest)) != NULL) {
		perm_dept_code(a->kpi, s->owner, code, sizeof code);
		if (api_perm_need(a, r, code, ROLE_ENGINEER, "file trigger",
		    ft->name) != 0)
			return -1;
	}
	if (triggers_file_put(c, a->sc, ft, time_wall_ms(), &created, err,
	    sizeof err) != 0) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	api_reply_json(r, created ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    json_pack("{s:s, s:b}", "name", ft->name, "created", created));
	return 0;
}

enum hres
api_h_file_trigger_put(struct api *a, struct req *r)
{
	struct file_trigger ft;
	json_int_t settle;
	json_t *en;

	memset(&ft, 0, sizeof ft);
	ft.name = r->args[0];
	if (api_in_str(r, "agent", 1, 64, &ft.agent) != 0 ||
	    api_in_str(r, "folder", 1, 1024, &ft.folder) != 0 ||
	    api_in_str(r, "pattern", 0, 256, &ft.pattern) != 0 ||
	    api_in_str(r, "script", 1, 128, &ft.script) != 0 ||
	    api_in_int(r, "settle_ms", 100, 3600000, 3000, &settle) != 0)
		goto refused;
	ft.params = json_object_get(r->in, "params");
	en = json_object_get(r->in, "enabled");
	if ((ft.params != NULL && !json_is_object(ft.params)) ||
	    (en != NULL && !json_is_boolean(en))) {
		api_reply_error(r, MHD_HTTP_BAD_REQUEST, "params: expected an "
		    "object; enabled: true or false");
		goto refused;
	}
	ft.settle_ms = settle;
	ft.enabled = en == NULL || json_is_true(en);
	r->detail = json_pack("{s:s, s:s, s:s, s:s}", "name", ft.name,
	    "agent", ft.agent, "folder", ft.folder, "script", ft.script);
	api_write_audited(a, r, put_write, &ft);
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

static int
delete_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	(void)a;
	(void)p;
	if (triggers_file_delete(c, r->args[0]) != 0) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND, "no file trigger '%s'",
		    r->args[0]);
		return -1;
	}
	api_reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "deleted",
	    r->args[0]));
	return 0;
}

enum hres
api_h_file_trigger_delete(struct api *a, struct req *r)
{
	r->detail = json_pack("{s:s}", "name", r->args[0]);
	api_write_audited(a, r, delete_write, NULL);
	return H_DONE;
}

struct firew {
	json_t		*files;
	int64_t		 id;
	int		 created, busy;
};

static int
fire_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct firew *w = p;
	char err[512];

	if (triggers_file_fire(c, a->sc, &a->cfg.jobs, r->args[0],
	    r->who.name, w->files, time_wall_ms(), &w->id, &w->created,
	    &w->busy, err, sizeof err) != 0) {
		api_reply_error(r, strncmp(err, "no file trigger", 15) == 0 ?
		    MHD_HTTP_NOT_FOUND : strstr(err, "is watched by") ?
		    MHD_HTTP_FORBIDDEN : MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	if (w->busy)
		r->no_audit = 1;	/* nothing changed; asked again later */
	api_reply_json(r, w->created ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    json_pack("{s:I, s:b, s:b}", "job_id", (json_int_t)w->id,
	    "created", w->created, "busy", w->busy));
	json_object_set_new(r->detail, "job_id", json_integer(w->id));
	return 0;
}

enum hres
api_h_file_trigger_fire(struct api *a, struct req *r)
{
	struct firew w;

	memset(&w, 0, sizeof w);
	w.files = json_object_get(r->in, "files");
	r->detail = json_pack("{s:s, s:I}", "name", r->args[0], "files",
	    (json_int_t)json_array_size(w.files));
	api_write_audited(a, r, fire_write, &w);
	if (w.created && r->status == MHD_HTTP_CREATED) {
		INC(a->m.triggered);
		api_wake(a, NULL, -1);
	}
	return H_DONE;
}
