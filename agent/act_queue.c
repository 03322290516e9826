/*
 * act_queue.c - the queue.* actions: a running job adds work items to a
 * queue of the scheduler it was leased from, takes them, and finishes
 * each - done, failed (a business or an application exception), handed
 * back, or sent to people for review with what they must check.
 *
 * Every call carries the job's lease token (adding, taking) or the item's
 * (finishing it), so a run whose lease was taken away changes nothing.
 * The scheduler may be away for a while (restarted, killed): a call that
 * got no answer, or a 502/503/504, is sent again until the step's time
 * runs out or the run is stopped.  Each call is safe to repeat: a
 * reference added twice is refused as a duplicate (reported, not failed),
 * a file is stored once by its content, and a done, fail, release or
 * review repeated with the same item token is acknowledged.  Reference:
 * docs/queues.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "buf.h"
#include "client.h"
#include "engine.h"
#include "form.h"
#include "fsutil.h"
#include "normalize.h"
#include "ocr_job.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

#define CLIENT_SLOT	"queue.client"
/* Longest a call waits for an absent scheduler, when the step has no
 * timeout of its own. */
#define WAIT_DEFAULT_MS	300000
#define FILE_MAX	(64u * 1024 * 1024)

/* --- talking to the scheduler -------------------------------------------- */

static int
stopped(void *arg)
{
	return act_cancelled(arg);
}

/* The run's scheduler, or NULL after act_fail when it has none. */
static const struct run_link *
link_of(struct act *a)
{
	const struct run_link *l = act_link(a);

	if (l == NULL || l->url == NULL || l->job_id == NULL ||
	    l->lease_token == NULL) {
		act_fail(a, "%s works only in a job run by an agent for the "
		    "scheduler (not in kobito run)", a->action->name);
		return NULL;
	}
	return l;
}

static void *
client_open(struct act *a)
{
	const struct run_link *l = link_of(a);

	return l != NULL ? client_new(l->url, l->token) : NULL;
}

static void
client_close(void *c)
{
	client_free(c);
}

/*
 * Send a call (JSON body, or raw data with ctype when data is set) until
 * the scheduler answers something other than "not now".  0 with the
 * reply (2xx); -1 after act_fail with the scheduler's message.
 */
static int
call(struct act *a, const char *method, const char *path, json_t *body,
    const char *ctype, const void *data, size_t len,
    struct client_reply *rep)
{
	struct client *c = act_slot(a, CLIENT_SLOT, client_open, client_close);
	int64_t left = act_remaining_ms(a), until, wait = 200;
	char why[400];
	int rc;

	if (c == NULL)
		return -1;
	/* The slot outlives this step: the stop is asked of this one. */
	client_set_cancel(c, stopped, a);
	if (left == INT64_MAX)
		left = WAIT_DEFAULT_MS;
	until = time_mono_ms() + left;
	for (;;) {
		rc = data != NULL ? client_send(c, method, path, ctype, data,
		    len, 0, 1, rep) : client_call(c, method, path, body, 0, 1,
		    rep);
		if (rc == 0 && rep->status >= 200 && rep->status < 300)
			return 0;
		if (act_cancelled(a)) {
			client_reply_free(rep);
			return act_fail(a, "stopped while calling the "
			    "scheduler");
		}
		/* No answer, or the scheduler says "not now": again. */
		if ((rc != 0 || rep->status == 502 || rep->status == 503 ||
		    rep->status == 504) && time_mono_ms() + wait < until) {
			client_reply_free(rep);
			time_sleep_ms(wait, NULL);
			wait = wait * 2 > 2000 ? 2000 : wait * 2;
			continue;
		}
		client_reply_error(rep, why, sizeof why);
		client_reply_free(rep);
		return act_fail(a, "%s %s: %s", method, path, why);
	}
}

/* The job route path for op: /api/jobs/ID/OP. */
static char *
job_path(struct act *a, const char *op)
{
	return xasprintf("/api/jobs/%s/%s", act_link(a)->job_id, op);
}

/* --- files ---------------------------------------------------------------- */

/* Upload the file at path for queue: its {name, sha256}, or NULL. */
static json_t *
upload(struct act *a, const char *queue, const char *path)
{
	const struct run_link *l = act_link(a);
	struct client_reply rep;
	char *data = NULL, *p, *qs, *full, err[512];
	size_t len;
	json_t *out;

	/* The agent's policy says which files a job may read. */
	if ((full = act_path(a, path, 0)) == NULL)
		return NULL;
	if (fsutil_read(full, FILE_MAX, &data, &len, err, sizeof err) != 0) {
		free(full);
		act_fail(a, "files: %s", err);
		return NULL;
	}
	free(full);
	p = job_path(a, "queue-files");
	qs = client_path(p, (const char *const[]){ "lease_token",
	    l->lease_token, "queue", queue, NULL });
	free(p);
	if (call(a, "POST", qs, NULL, fsutil_content_type(path), data, len,
	    &rep) != 0) {
		free(qs);
		free(data);
		return NULL;
	}
	free(qs);
	free(data);
	/* The scheduler keeps names of up to 128 bytes. */
	p = fsutil_safe_name(path, 128);
	out = json_pack("{s:s, s:O}", "name", p, "sha256",
	    json_object_get(rep.body, "sha256"));
	free(p);
	client_reply_free(&rep);
	return out;
}

/* --- queue.add ------------------------------------------------------------ */

/* One item as the API takes it, from a map of the script's. */
static json_t *
item_of(struct act *a, const char *queue, json_t *src, const char *where)
{
	json_t *it = json_object(), *v, *files, *f, *up;
	static const char *const keys[] = {
		"reference", "priority", "payload", "sla_minutes", NULL,
	};
	const char *const *k;
	const char *path;
	size_t i;

	for (k = keys; *k != NULL; k++)
		if ((v = json_object_get(src, *k)) != NULL && !json_is_null(v))
			json_object_set(it, *k, v);
	if (json_is_integer(json_object_get(it, "reference")) ||
	    json_is_real(json_object_get(it, "reference"))) {
		char *t = json_dumps(json_object_get(it, "reference"),
		    JSON_ENCODE_ANY);

		json_object_set_new(it, "reference", json_string(t));
		free(t);
	}
	files = json_object_get(src, "files");
	if (files == NULL || json_is_null(files))
		return it;
	if (!json_is_array(files)) {
		json_decref(it);
		act_fail(a, "%s.files: expected a list of file paths", where);
		return NULL;
	}
	up = json_array();
	json_array_foreach(files, i, f) {
		path = json_string_value(f);
		if (path == NULL) {
			act_fail(a, "%s.files[%zu]: expected a path", where, i);
			goto bad;
		}
		if ((v = upload(a, queue, path)) == NULL)
			goto bad;
		json_array_append_new(up, v);
	}
	json_object_set_new(it, "files", up);
	return it;
bad:
	json_decref(up);
	json_decref(it);
	return NULL;
}

static int
do_add(struct act *a)
{
	const char *queue = act_str(a, "queue", NULL);
	const char *dup = act_str(a, "on_duplicate", "skip");
	const struct run_link *l;
	json_t *items = act_arg(a, "items"), *list, *body, *it, *res;
	struct client_reply rep;
	char where[32], *p;
	size_t i;
	long dups;
	int rc;

	if (strcmp(dup, "skip") != 0 && strcmp(dup, "fail") != 0)
		return act_fail(a, "on_duplicate: expected skip or fail");
	if (items != NULL && !json_is_array(items))
		return act_fail(a, "items: expected a list of items");
	if (items == NULL && act_arg(a, "payload") == NULL &&
	    act_arg(a, "reference") == NULL)
		return act_fail(a, "give items, or one item's payload and "
		    "reference");
	if (act_dry_run(a)) {
		/* Nothing is sent, so nothing is known to be a duplicate. */
		act_log(a, "dry run: would add %zu item(s) to queue '%s'",
		    items ? json_array_size(items) : (size_t)1, queue);
		a->out = json_pack("{s:i, s:i, s:[]}", "added", 0,
		    "duplicates", 0, "items");
		return 0;
	}
	if ((l = link_of(a)) == NULL)
		return -1;
	list = json_array();
	if (items == NULL) {
		if ((it = item_of(a, queue, a->args, "item")) == NULL)
			goto fail;
		json_array_append_new(list, it);
	} else {
		json_array_foreach(items, i, it) {
			snprintf(where, sizeof where, "items[%zu]", i);
			if (!json_is_object(it)) {
				act_fail(a, "%s: expected a map", where);
				goto fail;
			}
			if ((it = item_of(a, queue, it, where)) == NULL)
				goto fail;
			json_array_append_new(list, it);
		}
	}
	body = json_pack("{s:s, s:s, s:O}", "lease_token", l->lease_token,
	    "queue", queue, "items", list);
	p = job_path(a, "queue-add");
	rc = call(a, "POST", p, body, NULL, NULL, 0, &rep);
	free(p);
	json_decref(body);
	json_decref(list);
	if (rc != 0)
		return -1;
	res = rep.body;
	dups = (long)json_integer_value(json_object_get(res, "duplicates"));
	json_array_foreach(json_object_get(res, "items"), i, it)
		if (json_is_true(json_object_get(it, "duplicate")))
			act_log(a, "%s: already in queue '%s' as item %lld (a "
			    "duplicate is refused)", json_string_value(
			    json_object_get(it, "reference")), queue,
			    (long long)json_integer_value(json_object_get(it,
			    "id")));
	if (dups > 0 && strcmp(dup, "fail") == 0) {
		act_fail(a, "%ld of the items are already in queue '%s'", dups,
		    queue);
		client_reply_free(&rep);
		return -1;
	}
	a->out = json_pack("{s:O, s:O, s:O}", "added", json_object_get(res,
	    "created"), "duplicates", json_object_get(res, "duplicates"),
	    "items", json_object_get(res, "items"));
	client_reply_free(&rep);
	return 0;
fail:
	json_decref(list);
	return -1;
}

/* --- queue.get ------------------------------------------------------------ */

/* Fetch the files of a taken item; files becomes {name: local path}. */
static int
fetch_files(struct act *a, json_t *item)
{
	struct client_reply rep;
	json_t *files = json_object(), *f, *body;
	const char *name;
	char *path, *p, base[160], err[512];
	size_t i;

	json_array_foreach(json_object_get(item, "files"), i, f) {
		name = json_string_value(json_object_get(f, "name"));
		body = json_pack("{s:O, s:s}", "lease_token",
		    json_object_get(item, "lease_token"), "name", name);
		p = xasprintf("/api/queue-items/%lld/fetch",
		    (long long)json_integer_value(json_object_get(item, "id")));
		if (call(a, "POST", p, body, NULL, NULL, 0, &rep) != 0) {
			free(p);
			json_decref(body);
			json_decref(files);
			return -1;
		}
		free(p);
		json_decref(body);
		snprintf(base, sizeof base, "item%lld-%s",
		    (long long)json_integer_value(json_object_get(item, "id")),
		    name);
		path = act_artifact_path(a, base);
		if (fsutil_write_atomic(path, rep.text ? rep.text : "",
		    rep.text_len, 0600, err, sizeof err) != 0) {
			client_reply_free(&rep);
			free(path);
			json_decref(files);
			return act_fail(a, "%s", err);
		}
		client_reply_free(&rep);
		json_object_set_new(files, name, json_string(path));
		free(path);
	}
	json_object_set_new(item, "files", files);
	return 0;
}

/*
 * An item's field values: what people approved when it was reviewed,
 * else the value of each field of its payload's "fields" (as ocr.form
 * reads them), else null.
 */
static json_t *
values_of(json_t *it)
{
	json_t *rv = json_object_get(json_object_get(it, "reviewed"),
	    "values"), *fields, *f, *out;
	const char *name;

	if (json_is_object(rv))
		return json_incref(rv);
	fields = json_object_get(json_object_get(it, "payload"), "fields");
	if (!json_is_object(fields))
		return json_null();
	out = json_object();
	json_object_foreach(fields, name, f)
		json_object_set(out, name, json_is_object(f) &&
		    json_object_get(f, "value") ? json_object_get(f, "value") :
		    json_null());
	return out;
}

static int
do_get(struct act *a)
{
	const char *queue = act_str(a, "queue", NULL);
	long long max = act_int(a, "max", 1);
	const struct run_link *l;
	struct client_reply rep;
	json_t *body, *items, *it;
	size_t i;
	char *p;
	int rc;

	if (max < 1 || max > 32)
		return act_fail(a, "max: expected 1-32");
	if (act_dry_run(a)) {
		/* A take is a lease: a dry run takes nothing. */
		act_log(a, "dry run: would take up to %lld item(s) of queue "
		    "'%s'", max, queue);
		a->out = json_pack("{s:[], s:i, s:n}", "items", "count", 0,
		    "item");
		return 0;
	}
	if ((l = link_of(a)) == NULL)
		return -1;
	body = json_pack("{s:s, s:s, s:I}", "lease_token", l->lease_token,
	    "queue", queue, "max", (json_int_t)max);
	p = job_path(a, "queue-take");
	rc = call(a, "POST", p, body, NULL, NULL, 0, &rep);
	free(p);
	json_decref(body);
	if (rc != 0)
		return -1;
	items = json_incref(json_object_get(rep.body, "items"));
	client_reply_free(&rep);
	json_array_foreach(items, i, it) {
		json_object_set_new(it, "values", values_of(it));
		if (act_bool(a, "download", 1) && fetch_files(a, it) != 0) {
			json_decref(items);
			return -1;
		}
		act_log(a, "took item %lld%s%s of queue '%s'%s",
		    (long long)json_integer_value(json_object_get(it, "id")),
		    json_is_string(json_object_get(it, "reference")) ? " " : "",
		    json_is_string(json_object_get(it, "reference")) ?
		    json_string_value(json_object_get(it, "reference")) : "",
		    queue, json_is_null(json_object_get(it, "reviewed")) ? "" :
		    " (reviewed)");
	}
	a->out = json_pack("{s:O, s:I, s:O}", "items", items, "count",
	    (json_int_t)json_array_size(items), "item",
	    json_array_size(items) ? json_array_get(items, 0) : json_null());
	json_decref(items);
	return 0;
}

/* --- finishing an item ------------------------------------------------------ */

/* The item's id and lease token from "item" (a map, or an id). */
static int
item_ref(struct act *a, long long *id, const char **token)
{
	json_t *it = act_arg(a, "item");

	*token = act_str(a, "lease_token", NULL);
	if (json_is_object(it)) {
		*id = json_integer_value(json_object_get(it, "id"));
		if (*token == NULL)
			*token = json_string_value(json_object_get(it,
			    "lease_token"));
	} else if (json_is_integer(it)) {
		*id = json_integer_value(it);
	} else if (json_is_string(it)) {
		*id = text_parse_id(json_string_value(it));
	} else
		*id = 0;
	if (*id <= 0)
		return act_fail(a, "item: expected an item from queue.get, or "
		    "its id");
	if (*token == NULL)
		return act_fail(a, "lease_token: required when item is an id");
	return 0;
}

/* POST /api/queue-items/ID/op with body (the token is added). */
static int
item_call(struct act *a, const char *op, json_t *body)
{
	struct client_reply rep;
	const char *token;
	long long id;
	char *p;
	int rc;

	if (item_ref(a, &id, &token) != 0) {
		json_decref(body);
		return -1;
	}
	json_object_set_new(body, "lease_token", json_string(token));
	p = xasprintf("/api/queue-items/%lld/%s", id, op);
	rc = call(a, "POST", p, body, NULL, NULL, 0, &rep);
	free(p);
	json_decref(body);
	if (rc != 0)
		return -1;
	a->out = json_incref(rep.body);
	act_log(a, "item %lld: %s", id, json_string_value(json_object_get(
	    rep.body, "state")));
	client_reply_free(&rep);
	return 0;
}

static int
do_done(struct act *a)
{
	json_t *out = act_arg(a, "output");

	if (out != NULL && !json_is_object(out))
		return act_fail(a, "output: expected a map");
	return item_call(a, "done", json_pack("{s:O?}", "output", out));
}

static int
do_fail(struct act *a)
{
	const char *kind = act_str(a, "kind", "application");

	if (strcmp(kind, "business") != 0 && strcmp(kind, "application") != 0)
		return act_fail(a, "kind: expected business (the data is "
		    "wrong: not retried) or application (a system failed: "
		    "retried)");
	return item_call(a, "fail", json_pack("{s:s, s:s}", "kind", kind,
	    "reason", act_str(a, "reason", "")));
}

static int
do_release(struct act *a)
{
	return item_call(a, "release", json_pack("{s:s?}", "reason",
	    act_str(a, "reason", NULL)));
}

/* --- queue.review ------------------------------------------------------------ */

/* A field's check as the template says, added to its review entry. */
static void
add_spec(json_t *f, const struct form_field *ff)
{
	json_t *list;
	size_t i;

	json_object_set_new(f, "kind", json_string(norm_kind_name(
	    ff->spec.kind)));
	if (ff->label != NULL)
		json_object_set_new(f, "label", json_string(ff->label));
	if (ff->spec.pattern != NULL)
		json_object_set_new(f, "pattern", json_string(ff->spec.pattern));
	if (ff->spec.whitelist != NULL)
		json_object_set_new(f, "whitelist",
		    json_string(ff->spec.whitelist));
	if (ff->spec.nlist > 0) {
		list = json_array();
		for (i = 0; i < ff->spec.nlist; i++)
			json_array_append_new(list, json_string(
			    ff->spec.list[i]));
		json_object_set_new(f, "list", list);
	}
	if (ff->spec.decimals >= 0)
		json_object_set_new(f, "decimals",
		    json_integer(ff->spec.decimals));
	if (ff->spec.dmy)
		json_object_set_new(f, "dmy", json_true());
	json_object_set_new(f, "required", json_boolean(ff->required));
}

/* The template's specs and sums into the review request. */
static int
add_template(struct act *a, json_t *review, const char *name)
{
	struct form_template *t;
	json_t *fields = json_object_get(review, "fields"), *f, *checks;
	char *path, err[2048];
	size_t i;

	if ((path = ocr_template_path(name)) == NULL)
		return act_fail(a, "template: no template '%s' (give a path, or "
		    "a name in scripts/templates)", name);
	t = form_template_load(path, err, sizeof err);
	free(path);
	if (t == NULL)
		return act_fail(a, "template: %s", err);
	for (i = 0; i < t->nfields; i++) {
		if ((f = json_object_get(fields, t->fields[i].name)) == NULL) {
			f = json_pack("{s:n}", "value");
			json_object_set_new(fields, t->fields[i].name, f);
		}
		add_spec(f, &t->fields[i]);
	}
	checks = json_array();
	for (i = 0; i < t->nchecks; i++)
		json_array_append_new(checks, form_check_json(&t->checks[i]));
	json_object_set_new(review, "checks", checks);
	json_object_set_new(review, "template", json_string(t->name));
	form_template_free(t);
	return 0;
}

/* What was read of each field, as people need to see it. */
static json_t *
review_fields(json_t *given)
{
	static const char *const keep[] = {
		"value", "raw", "confidence", "box", "status", "reason",
		"readings", "label", "kind", "pattern", "list", "whitelist",
		"decimals", "dmy", "required", NULL,
	};
	const char *const *k;
	const char *name;
	json_t *out = json_object(), *f, *g, *v;

	json_object_foreach(given, name, g) {
		f = json_object();
		for (k = keep; *k != NULL; k++)
			if ((v = json_object_get(g, *k)) != NULL)
				json_object_set(f, *k, v);
		json_object_set_new(out, name, f);
	}
	return out;
}

/* The reasons of the fields that are not ok, for the inbox. */
static json_t *
reason_of(json_t *fields)
{
	struct buf b;
	const char *name, *st, *why;
	json_t *f, *out;

	buf_init(&b, 2000);
	json_object_foreach(fields, name, f) {
		st = json_string_value(json_object_get(f, "status"));
		if (st == NULL || strcmp(st, "ok") == 0)
			continue;
		why = json_string_value(json_object_get(f, "reason"));
		buf_printf(&b, "%s%s: %s%s%s%s", b.len ? " / " : "", name, st,
		    why ? " (" : "", why ? why : "", why ? ")" : "");
	}
	out = json_string(b.len ? buf_str(&b) : "to be checked");
	buf_free(&b);
	return out;
}

static int
do_review(struct act *a)
{
	json_t *it = act_arg(a, "item"), *given = act_arg(a, "fields"), *rv;
	const char *image = act_str(a, "image", NULL), *tmpl;
	const char *fname;
	json_t *files;

	if (given == NULL && json_is_object(it))
		given = json_object_get(json_object_get(it, "payload"),
		    "fields");
	if (!json_is_object(given))
		return act_fail(a, "fields: expected the fields to check, each "
		    "{value, raw, confidence, box, ...} as ocr.form gives them");
	if (image == NULL && json_is_object(it)) {
		/* The item's first file: the scan. */
		files = json_object_get(it, "files");
		json_object_foreach(files, fname, rv) {
			image = fname;
			break;
		}
		if (image == NULL && json_is_array(files))
			image = json_string_value(json_object_get(
			    json_array_get(files, 0), "name"));
	}
	rv = json_pack("{s:o, s:s?}", "fields", review_fields(given), "image",
	    image);
	if ((tmpl = act_str(a, "template", NULL)) != NULL &&
	    add_template(a, rv, tmpl) != 0) {
		json_decref(rv);
		return -1;
	}
	json_object_set_new(rv, "reason", act_str(a, "reason", NULL) ?
	    json_string(act_str(a, "reason", NULL)) :
	    reason_of(json_object_get(rv, "fields")));
	return item_call(a, "review", json_pack("{s:o}", "review", rv));
}

/* --- the table ---------------------------------------------------------------- */

static const struct action_arg add_args[] = {
	{ "queue", ARG_STRING, 1, "the queue's name" },
	{ "items", ARG_LIST, 0, "items, each {reference, payload, priority, "
	    "sla_minutes, files: [paths]}" },
	{ "reference", ARG_STRING, 0, "one item: its reference (unique in the "
	    "queue: a duplicate is refused)" },
	{ "payload", ARG_MAP, 0, "one item: its data" },
	{ "priority", ARG_INT, 0, "one item: -1000 to 1000, higher first" },
	{ "sla_minutes", ARG_INT, 0, "one item: its deadline, minutes from now" },
	{ "files", ARG_LIST, 0, "one item: paths of files stored with it" },
	{ "on_duplicate", ARG_STRING, 0, "skip (default: report it) or fail" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg get_args[] = {
	{ "queue", ARG_STRING, 1, "the queue's name" },
	{ "max", ARG_INT, 0, "items to take at once, 1-32 (default 1)" },
	{ "download", ARG_BOOL, 0, "fetch the items' files (default true)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg done_args[] = {
	{ "item", ARG_ANY, 1, "the item from queue.get, or its id" },
	{ "lease_token", ARG_STRING, 0, "the item's lease, when item is an id" },
	{ "output", ARG_MAP, 0, "what the bot made of it (kept with the item)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg fail_args[] = {
	{ "item", ARG_ANY, 1, "the item from queue.get, or its id" },
	{ "lease_token", ARG_STRING, 0, "the item's lease, when item is an id" },
	{ "kind", ARG_STRING, 0, "application (default: a system failed, "
	    "retried) or business (the data is wrong: failed for good)" },
	{ "reason", ARG_STRING, 1, "why" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg release_args[] = {
	{ "item", ARG_ANY, 1, "the item from queue.get, or its id" },
	{ "lease_token", ARG_STRING, 0, "the item's lease, when item is an id" },
	{ "reason", ARG_STRING, 0, "why it is handed back untouched" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg review_args[] = {
	{ "item", ARG_ANY, 1, "the item from queue.get, or its id" },
	{ "lease_token", ARG_STRING, 0, "the item's lease, when item is an id" },
	{ "fields", ARG_MAP, 0, "the fields to check as ocr.form reads them "
	    "(default: the payload's fields)" },
	{ "image", ARG_STRING, 0, "the item's file to show (default: its "
	    "first)" },
	{ "template", ARG_STRING, 0, "the form template whose kinds, patterns "
	    "and sums the values must pass" },
	{ "reason", ARG_STRING, 0, "why (default: the fields not read surely)" },
	{ NULL, 0, 0, NULL },
};

/* What the actions give (docs/queues.md). */
static const struct action_out add_out[] = {
	{ "added", ARG_INT, "the items added" },
	{ "duplicates", ARG_INT, "the items refused: their reference was "
	    "there already" },
	{ "items", ARG_LIST, "each {id, reference, status, duplicate}, in "
	    "the order given" },
	{ NULL, 0, NULL },
};

static const struct action_out get_out[] = {
	{ "items", ARG_LIST, "the items taken, each {id, reference, payload, "
	    "values, files, reviewed, lease_token, ...}" },
	{ "count", ARG_INT, "how many were taken (0: the queue had none)" },
	{ "item", ARG_ANY, "the first item taken, or null" },
	{ NULL, 0, NULL },
};

static const struct action_out end_out[] = {
	{ "id", ARG_INT, "the item's id" },
	{ "state", ARG_STRING, "the item's state now (done, new, failed, "
	    "abandoned, needs_review)" },
	{ "duplicate", ARG_BOOL, "the same call was made before (its answer "
	    "was lost): nothing changed" },
	{ NULL, 0, NULL },
};

const struct action queue_actions[] = {
	{ "queue.add", "add work items (with files) to a queue of the "
	    "scheduler", add_args, do_add, 0, NULL, ARG_MAP, add_out,
	    ACTION_DRY_SELF },
	{ "queue.get", "take the next items of a queue (each a lease)",
	    get_args, do_get, 0, NULL, ARG_MAP, get_out, ACTION_DRY_SELF },
	{ "queue.done", "finish a taken item", done_args, do_done, 0, NULL,
	    ARG_MAP, end_out, ACTION_DRY_SKIP },
	{ "queue.fail", "fail a taken item: a business or an application "
	    "exception", fail_args, do_fail, 0, NULL, ARG_MAP, end_out,
	    ACTION_DRY_SKIP },
	{ "queue.release", "hand a taken item back untouched", release_args,
	    do_release, 0, NULL, ARG_MAP, end_out, ACTION_DRY_SKIP },
	{ "queue.review", "send a taken item to people with the fields they "
	    "must check", review_args, do_review, 0, NULL, ARG_MAP, end_out,
	    ACTION_DRY_SKIP },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
