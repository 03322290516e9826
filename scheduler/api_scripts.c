/*
 * api_scripts.c - scripts (see api_scripts.h): an upload is validated
 * and stored as a new version; reads list them and show one.
 */
#include <stdio.h>
#include <string.h>
#include <microhttpd.h>

#include "api_audit.h"
#include "api_scripts.h"
#include "scripts.h"
#include "timeutil.h"

struct scriptw {
	const struct script	*s;
	const char		*filename;
	int			 created;
};

static int
script_write(struct conn *c, struct api *a, struct req *r, void *p)
{
	struct scriptw *w = p;
	char err[256];

	(void)a;
	if (scripts_store(c, w->s, "api", w->filename, r->who.name,
	    time_wall_ms(), &w->created, err, sizeof err) != 0) {
		api_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
		return -1;
	}
	api_reply_json(r, w->created ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    json_pack("{s:s, s:s, s:s?, s:b}", "name", w->s->name, "digest",
	    w->s->digest, "version", w->s->version, "created", w->created));
	return 0;
}

/* The files sent with a script: an object of relative paths -> text. */
static int
in_files(struct req *r, const char *key, json_t **out)
{
	json_t *v = json_object_get(r->in, key), *f;
	const char *k;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		goto bad;
	json_object_foreach(v, k, f)
		if (!json_is_string(f) || *k == '\0')
			goto bad;
	*out = v;
	return 0;
bad:
	api_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s: expected an object of "
	    "paths relative to the script -> their text", key);
	return -1;
}

enum hres
api_h_script_upload(struct api *a, struct req *r)
{
	struct scriptw w;
	const char *source;
	json_t *errors, *files;

	memset(&w, 0, sizeof w);
	if (api_in_str(r, "source", 1, a->cfg.body_max, &source) != 0 ||
	    api_in_str(r, "filename", 0, 255, &w.filename) != 0 ||
	    in_files(r, "files", &files) != 0)
		goto refused;
	if (w.filename == NULL)
		w.filename = "upload.yaml";
	errors = json_array();
	w.s = scripts_check(a->sc, w.filename, source,
	    json_string_length(json_object_get(r->in, "source")), files,
	    errors);
	if (w.s == NULL) {
		api_reply_json(r, MHD_HTTP_UNPROCESSABLE_CONTENT,
		    json_pack("{s:s, s:o}", "error",
		    "script does not validate", "errors", errors));
		r->detail = json_pack("{s:s}", "filename", w.filename);
		goto refused;
	}
	json_decref(errors);
	r->detail = json_pack("{s:s, s:s}", "name", w.s->name, "digest",
	    w.s->digest);
	api_write_audited(a, r, script_write, &w);
	return H_DONE;
refused:
	api_audit_refusal(a, r);
	return H_DONE;
}

static json_t *
scripts_read(struct conn *c, struct api_readq *q)
{
	return json_pack("{s:o, s:o}", "scripts", scripts_list(c, q->a->tf),
	    "invalid", scripts_invalid(q->a->sc));
}

enum hres
api_h_scripts(struct api *a, struct req *r)
{
	return api_read(a, r, scripts_read, 0, "scripts");
}

static json_t *
script_read(struct conn *c, struct api_readq *q)
{
	return scripts_show(c, q->a->tf, q->name, api_query_arg(q->r,
	    "digest"));
}

enum hres
api_h_script(struct api *a, struct req *r)
{
	return api_read(a, r, script_read, 1, "script");
}
