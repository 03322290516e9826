/*
 * engine_act.c - the services the engine gives actions (action.h): typed
 * arguments, errors, logs, artifacts, deadlines, per-run objects.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "action.h"
#include "buf.h"
#include "engine.h"
#include "engine_int.h"
#include "expr.h"
#include "http.h"
#include "mask.h"
#include "policy.h"
#include "script.h"
#include "textutil.h"
#include "timeutil.h"
#include "urlmatch.h"
#include "xmalloc.h"

/* --- the act_* services for actions ---------------------------------------- */

int
act_fail(struct act *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->err, sizeof a->err, fmt, ap);
	va_end(ap);
	text_utf8_trim_partial(a->err);
	return -1;
}

json_t *
act_arg(struct act *a, const char *name)
{
	json_t *v = json_object_get(a->args, name);

	return json_is_null(v) ? NULL : v;
}

const char *
act_str(struct act *a, const char *name, const char *def)
{
	json_t *v = act_arg(a, name);

	return json_is_string(v) ? json_string_value(v) : def;
}

long long
act_int(struct act *a, const char *name, long long def)
{
	json_t *v = act_arg(a, name);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	return def;
}

double
act_num(struct act *a, const char *name, double def)
{
	json_t *v = act_arg(a, name);

	return json_is_number(v) ? json_number_value(v) : def;
}

int
act_bool(struct act *a, const char *name, int def)
{
	json_t *v = act_arg(a, name);

	if (json_is_boolean(v))
		return json_is_true(v);
	return v != NULL ? expr_truthy(v) : def;
}

void
act_log(struct act *a, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	run_log(a->run, "info", msg);
	free(msg);
}

static int
mkdir_p(const char *path)
{
	char *p = xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

char *
act_artifact_path(struct act *a, const char *base)
{
	struct run *r = a->run;

	if (!r->artifacts_made) {
		if (mkdir_p(r->artifacts_dir) != 0)
			run_log(r, "warn", "cannot create the artifact "
			    "directory");
		r->artifacts_made = 1;
	}
	r->artifact_seq++;
	if (r->item_index >= 0)
		return xasprintf("%s/%03u-item%d-%s", r->artifacts_dir,
		    r->artifact_seq, r->item_index, base);
	return xasprintf("%s/%03u-%s", r->artifacts_dir, r->artifact_seq,
	    base);
}

void
act_artifact_add(struct act *a, const char *path, const char *kind)
{
	struct run *r = a->run;
	json_t *art = json_pack("{s:s, s:s, s:s?}", "path", path, "kind",
	    kind, "step", r->current ? r->current->label : NULL);

	if (r->item_index >= 0)
		json_object_set_new(art, "item", json_integer(r->item_index));
	json_array_append(r->artifacts, art);
	json_object_set_new(art, "type", json_string("artifact"));
	eng_emit(r, art);
}

int64_t
act_remaining_ms(const struct act *a)
{
	int64_t left;

	if (a->deadline_ms == 0)
		return INT64_MAX;
	left = a->deadline_ms - time_mono_ms();
	return left > 0 ? left : 0;
}

int
act_cancelled(const struct act *a)
{
	return eng_cancelled(a->run);
}

const char *
act_display(const struct act *a)
{
	const char *d = a->run->opts.display;

	if (d == NULL || *d == '\0')
		d = getenv("DISPLAY");
	return d ? d : "";
}

const struct run_link *
act_link(const struct act *a)
{
	return a->run->opts.link;
}

int
act_dry_run(const struct act *a)
{
	return a->run->opts.dry_run;
}

char *
act_path(struct act *a, const char *path, int write)
{
	char err[1024], *p;

	p = policy_path(a->run->opts.policy, a->run->opts.workdir, path,
	    write, err, sizeof err);
	if (p == NULL)
		act_fail(a, "%s", err);
	return p;
}

int
act_allow_program(struct act *a, const char *path)
{
	char err[1024];

	if (policy_program(a->run->opts.policy, path, err, sizeof err) != 0)
		return act_fail(a, "%s", err);
	return 0;
}

int
act_allow_url(struct act *a, const char *url)
{
	char err[1024];

	if (policy_url(a->run->opts.policy, url, err, sizeof err) != 0)
		return act_fail(a, "%s", err);
	return 0;
}

const char *
act_workdir(const struct act *a)
{
	return a->run->opts.workdir;
}

void
act_secret(struct act *a, const char *value)
{
	mask_add(&a->run->mask, value);
}

/* The destinations of b as "a, b", or NULL when it has none. */
static char *
allowed_text(const struct bound *b)
{
	struct buf t;
	json_t *v;
	size_t i;

	if (json_array_size(b->allow) == 0)
		return NULL;
	buf_init(&t, 4096);
	json_array_foreach(b->allow, i, v)
		buf_printf(&t, "%s%s", i ? ", " : "", json_string_value(v));
	return buf_detach(&t, NULL);
}

/* Whether b's allow list takes url. */
static int
bound_allows(const struct bound *b, const char *url)
{
	const char **pats;
	json_t *v;
	size_t i, n = json_array_size(b->allow);
	int yes;

	if (n == 0)
		return 0;
	pats = xcalloc(n, sizeof *pats);
	json_array_foreach(b->allow, i, v)
		pats[i] = json_string_value(v);
	yes = urlmatch_any(pats, n, url);
	free(pats);
	return yes;
}

int
act_send_ok(struct act *a, const char *url, const char *const *parts,
    size_t nparts)
{
	const struct bound *b;
	size_t i, j;
	char *list, *shown;
	int hit;

	for (i = 0; i < a->run->nbound; i++) {
		b = &a->run->bound[i];
		hit = mask_hits(&b->forms, url);
		for (j = 0; j < nparts && !hit; j++)
			hit = parts[j] != NULL && mask_hits(&b->forms,
			    parts[j]);
		if (!hit || bound_allows(b, url))
			continue;
		list = allowed_text(b);
		shown = http_url_redact(url);
		act_fail(a, "secret '%s' may not be sent to %s (%s%s)",
		    b->name, shown, list ? "it may go to " : "it may not be "
		    "sent to any server", list ? list : "");
		free(shown);
		free(list);
		return -1;
	}
	return 0;
}

int
act_arg_secret(const struct act *a, const char *name)
{
	return json_object_size(json_object_get(a->run->args_taint,
	    name)) > 0;
}

char *
act_masked(struct act *a, const char *text)
{
	return mask_text(&a->run->mask, text);
}

void *
act_slot(struct act *a, const char *key, void *(*open)(struct act *),
    void (*close)(void *))
{
	struct run *r = a->run;
	void *obj;
	size_t i;

	for (i = 0; i < r->nslots; i++) {
		if (strcmp(r->slots[i].key, key) == 0)
			return r->slots[i].obj;
	}
	if ((obj = open(a)) == NULL)
		return NULL;
	r->slots = xreallocarray(r->slots, r->nslots + 1, sizeof *r->slots);
	r->slots[r->nslots].key = xstrdup(key);
	r->slots[r->nslots].obj = obj;
	r->slots[r->nslots].close = close;
	r->slots[r->nslots].end = NULL;
	r->nslots++;
	return obj;
}


void
act_slot_end(struct act *a, const char *key,
    int (*end)(void *, int, char *, size_t))
{
	struct run *r = a->run;
	size_t i;

	for (i = 0; i < r->nslots; i++)
		if (strcmp(r->slots[i].key, key) == 0)
			r->slots[i].end = end;
}

long long
act_duration_ms(struct act *a, const char *name, long long def)
{
	json_t *v = act_arg(a, name);
	long long ms;

	if (v == NULL)
		return def;
	if (json_is_number(v) && json_number_value(v) >= 0)
		return (long long)(json_number_value(v) * 1000);
	if (json_is_string(v) && text_parse_duration(json_string_value(v),
	    &ms) == 0)
		return ms;
	act_fail(a, "%s must be a duration such as 1.5, 500ms or 2s", name);
	return -1;
}
