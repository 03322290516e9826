/*
 * scripts.c - the scheduler's script catalogue: checking with the engine's
 * loader, versions by digest, the in-memory cache, param checks and the
 * secrets a script references.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "scripts.h"
#include "xmalloc.h"

struct scripts {
	pthread_mutex_t	  mu;
	struct script	**v;		/* every version loaded, by digest */
	size_t		  n;
	json_t		 *invalid;	/* from the last scripts_load_dir */
};

struct scripts *
scripts_new(void)
{
	struct scripts *sc = xcalloc(1, sizeof *sc);

	pthread_mutex_init(&sc->mu, NULL);
	sc->invalid = json_array();
	return sc;
}

void
scripts_free(struct scripts *sc)
{
	size_t i;

	if (sc == NULL)
		return;
	for (i = 0; i < sc->n; i++)
		script_free(sc->v[i]);
	free(sc->v);
	json_decref(sc->invalid);
	pthread_mutex_destroy(&sc->mu);
	free(sc);
}

static struct script *
find_locked(struct scripts *sc, const char *digest)
{
	size_t i;

	for (i = 0; i < sc->n; i++)
		if (strcmp(sc->v[i]->digest, digest) == 0)
			return sc->v[i];
	return NULL;
}

/* Keep s in the cache, or free it for the copy already there. */
static const struct script *
remember(struct scripts *sc, struct script *s)
{
	struct script *have;

	pthread_mutex_lock(&sc->mu);
	if ((have = find_locked(sc, s->digest)) != NULL) {
		pthread_mutex_unlock(&sc->mu);
		script_free(s);
		return have;
	}
	sc->v = xreallocarray(sc->v, sc->n + 1, sizeof *sc->v);
	sc->v[sc->n++] = s;
	pthread_mutex_unlock(&sc->mu);
	return s;
}

static void
diag_to_json(struct diag *d, json_t *errors)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		json_array_append_new(errors, json_string(d->msgs[i]));
}

const struct script *
scripts_check(struct scripts *sc, const char *filename, const char *text,
    size_t len, json_t *errors)
{
	struct diag d = { NULL, 0 };
	struct script *s;

	s = script_load_text(filename, text, len, &d);
	if (s == NULL) {
		diag_to_json(&d, errors);
		if (d.n == 0)
			json_array_append_new(errors, json_sprintf("%s: the "
			    "script does not load", filename));
		diag_free(&d);
		return NULL;
	}
	diag_free(&d);
	return remember(sc, s);
}

/* --- references to secrets ----------------------------------------------- */

static void
ref_fn(void *arg, const struct expr_ref *ref)
{
	const char *member = ref->nmembers > 0 ? ref->member[0] : NULL;
	json_t *names = arg;

	if (strcmp(ref->root, "secrets") == 0 && member != NULL &&
	    json_object_get(names, member) == NULL)
		json_object_set_new(names, member, json_true());
}

static void
walk_tval(const struct tval *t, json_t *names)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->kind == TVAL_TEMPLATE && t->tmpl != NULL)
		tmpl_refs(t->tmpl, ref_fn, names);
	if (t->kind == TVAL_LIST || t->kind == TVAL_MAP)
		for (i = 0; i < t->n; i++)
			walk_tval(t->items[i], names);
}

static void walk_script(const struct script *, json_t *);

static void
walk_steps(const struct steps *ss, json_t *names)
{
	const struct step *p;
	size_t i;

	for (i = 0; i < ss->n; i++) {
		p = ss->v[i];
		walk_tval(p->cond, names);
		walk_tval(p->each, names);
		walk_tval(p->loop_cond, names);
		walk_tval(p->args, names);
		walk_tval(p->with, names);
		walk_steps(&p->body, names);
		walk_steps(&p->handler, names);
		if (p->sub != NULL)
			walk_script(p->sub, names);
	}
}

static void
walk_script(const struct script *s, json_t *names)
{
	walk_steps(&s->steps, names);
	walk_tval(s->output, names);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *
scripts_secret_refs(const struct script *s)
{
	json_t *names = json_object(), *v, *out = json_array();
	const char *k, **keys;
	size_t n = 0, i;

	walk_script(s, names);
	keys = xcalloc(json_object_size(names) + 1, sizeof *keys);
	json_object_foreach(names, k, v)
		keys[n++] = k;
	qsort(keys, n, sizeof *keys, cmp_str);
	for (i = 0; i < n; i++)
		json_array_append_new(out, json_string(keys[i]));
	free(keys);
	json_decref(names);
	return out;
}

/* --- storing versions ---------------------------------------------------- */

static json_t *
requires_json(const struct script *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < s->nrequires; i++)
		json_array_append_new(a, json_string(s->requires[i]));
	return a;
}

int
scripts_store(struct conn *c, const struct script *s, const char *origin,
    const char *filename, const char *by, int64_t now, int *created,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	json_t *req = requires_json(s), *sec = scripts_secret_refs(s);
	json_t *desc = script_describe(s);

	st = conn_stmt(c, "INSERT OR IGNORE INTO script_versions (digest, name,"
	    " version, title, description, owner, requires, secrets, describe,"
	    " manual_per_run, manual_per_item, vendor_per_run, vendor_per_item,"
	    " source, origin, filename, created_at, created_by, files) VALUES"
	    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	bind_text(st, 1, s->digest);
	bind_text(st, 2, s->name);
	bind_text(st, 3, s->version);
	bind_text(st, 4, s->title);
	bind_text(st, 5, s->description);
	bind_text(st, 6, s->owner);
	sqlite3_bind_text(st, 7, json_dumps(req, JSON_COMPACT), -1, free);
	sqlite3_bind_text(st, 8, json_dumps(sec, JSON_COMPACT), -1, free);
	sqlite3_bind_text(st, 9, json_dumps(desc, JSON_COMPACT), -1, free);
	sqlite3_bind_double(st, 10, s->kpi.manual_minutes_per_run);
	sqlite3_bind_double(st, 11, s->kpi.manual_minutes_per_item);
	sqlite3_bind_double(st, 12, s->kpi.vendor_minutes_per_run);
	sqlite3_bind_double(st, 13, s->kpi.vendor_minutes_per_item);
	sqlite3_bind_text(st, 14, s->source, (int)s->source_len,
	    SQLITE_STATIC);
	bind_text(st, 15, origin);
	bind_text(st, 16, filename);
	sqlite3_bind_int64(st, 17, now);
	bind_text(st, 18, by);
	if (json_object_size(script_files(s)) > 0)
		sqlite3_bind_text(st, 19, json_dumps(script_files(s),
		    JSON_COMPACT), -1, free);
	else
		sqlite3_bind_null(st, 19);
	json_decref(req);
	json_decref(sec);
	json_decref(desc);
	if (conn_step(c, st, err, errlen) != 0)
		return -1;
	*created = conn_changes(c) == 1;
	st = conn_stmt(c, "INSERT INTO scripts (name, digest, origin,"
	    " updated_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE"
	    " SET digest = ?2, origin = ?3, updated_at = ?4"
	    " WHERE digest != ?2");
	bind_text(st, 1, s->name);
	bind_text(st, 2, s->digest);
	bind_text(st, 3, origin);
	sqlite3_bind_int64(st, 4, now);
	return conn_step(c, st, err, errlen);
}

static int
yaml_name(const char *n)
{
	size_t len = strlen(n);

	if (n[0] == '.')
		return 0;
	return (len > 5 && strcmp(n + len - 5, ".yaml") == 0) ||
	    (len > 4 && strcmp(n + len - 4, ".yml") == 0);
}

int
scripts_load_dir(struct scripts *sc, const char *dir,
    const struct script ***out, size_t *n, char *err, size_t errlen)
{
	struct dirent **ents = NULL;
	struct diag d;
	struct script *s;
	json_t *invalid = json_array(), *errors;
	char *path;
	int i, count;

	*out = NULL;
	*n = 0;
	if ((count = scandir(dir, &ents, NULL, alphasort)) < 0) {
		snprintf(err, errlen, "cannot read scripts directory '%s': %m",
		    dir);
		json_decref(invalid);
		return -1;
	}
	for (i = 0; i < count; i++) {
		if (!yaml_name(ents[i]->d_name)) {
			free(ents[i]);
			continue;
		}
		path = xasprintf("%s/%s", dir, ents[i]->d_name);
		memset(&d, 0, sizeof d);
		if ((s = script_load(path, &d)) == NULL) {
			errors = json_array();
			diag_to_json(&d, errors);
			for (size_t j = 0; j < d.n; j++)
				fprintf(stderr, "kobito-scheduler: %s\n",
				    d.msgs[j]);
			json_array_append_new(invalid, json_pack("{s:s, s:o}",
			    "filename", ents[i]->d_name, "errors", errors));
		} else {
			*out = xreallocarray(*out, *n + 1, sizeof **out);
			(*out)[(*n)++] = remember(sc, s);
		}
		diag_free(&d);
		free(path);
		free(ents[i]);
	}
	free(ents);
	pthread_mutex_lock(&sc->mu);
	json_decref(sc->invalid);
	sc->invalid = invalid;
	pthread_mutex_unlock(&sc->mu);
	return 0;
}

json_t *
scripts_invalid(struct scripts *sc)
{
	json_t *v;

	pthread_mutex_lock(&sc->mu);
	v = json_deep_copy(sc->invalid);
	pthread_mutex_unlock(&sc->mu);
	return v;
}

const struct script *
scripts_get(struct scripts *sc, struct conn *c, const char *digest)
{
	struct script *s;
	sqlite3_stmt *st;
	struct diag d = { NULL, 0 };
	char *src = NULL, *fname = NULL;
	json_t *files = NULL;
	int len = 0;

	pthread_mutex_lock(&sc->mu);
	s = find_locked(sc, digest);
	pthread_mutex_unlock(&sc->mu);
	if (s != NULL)
		return s;
	st = conn_stmt(c, "SELECT source, coalesce(filename, name), files FROM"
	    " script_versions WHERE digest = ?");
	bind_text(st, 1, digest);
	if (sqlite3_step(st) == SQLITE_ROW) {
		len = sqlite3_column_bytes(st, 0);
		src = xstrndup(col_text(st, 0), (size_t)len);
		fname = col_strdup(st, 1);
		if (sqlite3_column_type(st, 2) == SQLITE_TEXT)
			files = json_loads(col_text(st, 2), 0, NULL);
	}
	sqlite3_reset(st);
	if (src == NULL)
		return NULL;
	s = script_load_bundle(fname, src, (size_t)len, files, &d);
	json_decref(files);
	if (s == NULL) {
		/* It loaded when stored: the engine changed since. */
		fprintf(stderr, "kobito-scheduler: stored script %s no longer "
		    "loads: %s\n", digest, d.n ? d.msgs[0] : "");
	}
	diag_free(&d);
	free(src);
	free(fname);
	return s ? remember(sc, s) : NULL;
}

int
scripts_current(struct conn *c, const char *name, char out[65])
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT digest FROM scripts WHERE"
	    " name = ?");
	int rc = -1;

	bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, 65, "%s", col_text(st, 0));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

json_t *
scripts_params(const struct script *s, json_t *given, char *err,
    size_t errlen)
{
	json_t *out = json_object(), *v, *c;
	const struct param *p;
	const char *k;
	size_t i;

	if (given != NULL && !json_is_object(given) && !json_is_null(given)) {
		snprintf(err, errlen, "params: expected an object");
		goto fail;
	}
	if (json_is_object(given))
		json_object_foreach(given, k, v)
			if (script_param(s, k) == NULL) {
				snprintf(err, errlen, "params.%s: script '%s' "
				    "has no such param", k, s->name);
				goto fail;
			}
	for (i = 0; i < s->nparams; i++) {
		p = &s->params[i];
		v = json_is_object(given) ? json_object_get(given, p->name) :
		    NULL;
		if (v == NULL || json_is_null(v)) {
			if (p->def != NULL)
				json_object_set(out, p->name, p->def);
			else if (p->required) {
				snprintf(err, errlen, "params.%s: required",
				    p->name);
				goto fail;
			}
			continue;
		}
		if (json_is_string(v) && p->type != PARAM_STRING &&
		    p->type != PARAM_PATH && p->type != PARAM_DATE &&
		    p->type != PARAM_ENUM)
			c = param_parse(p, json_string_value(v), err, errlen);
		else
			c = param_coerce(p, v, err, errlen);
		if (c == NULL) {
			char msg[256];

			snprintf(msg, sizeof msg, "%s", err);
			snprintf(err, errlen, "params.%s: %s", p->name, msg);
			goto fail;
		}
		json_object_set_new(out, p->name, c);
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

/* --- listings ------------------------------------------------------------ */

static json_t *
version_json(sqlite3_stmt *st, const struct tfmt *tf)
{
	json_t *o, *desc;

	desc = json_loads(col_text(st, 7), 0, NULL);
	o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s, s:o, s:s, s:o?,"
	    " s:o?}",
	    "name", col_text(st, 0),
	    "title", (const char *)sqlite3_column_text(st, 1),
	    "description", (const char *)sqlite3_column_text(st, 2),
	    "owner", (const char *)sqlite3_column_text(st, 3),
	    "version", (const char *)sqlite3_column_text(st, 4),
	    "digest", col_text(st, 5),
	    "updated_at", tfmt_json(tf, sqlite3_column_int64(st, 6)),
	    "source", col_text(st, 8),
	    "requires", json_loads(col_text(st, 9), 0, NULL),
	    "secrets", json_loads(col_text(st, 10), 0, NULL));
	if (desc != NULL) {
		json_object_set(o, "params", json_object_get(desc, "params"));
		json_object_set(o, "kpi", json_object_get(desc, "kpi"));
		json_decref(desc);
	}
	return o;
}

json_t *
scripts_list(struct conn *c, const struct tfmt *tf)
{
	json_t *a = json_array();
	sqlite3_stmt *st = conn_stmt(c, "SELECT v.name, v.title,"
	    " v.description, v.owner, v.version, v.digest, s.updated_at,"
	    " v.describe, s.origin, v.requires, v.secrets FROM scripts s"
	    " JOIN script_versions v ON v.digest = s.digest ORDER BY s.name");

	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, version_json(st, tf));
	sqlite3_reset(st);
	return a;
}

json_t *
scripts_show(struct conn *c, const struct tfmt *tf, const char *name,
    const char *digest)
{
	json_t *o = NULL, *vs;
	sqlite3_stmt *st;

	st = conn_stmt(c, "SELECT v.name, v.title, v.description, v.owner,"
	    " v.version, v.digest, v.created_at, v.describe, v.origin,"
	    " v.requires, v.secrets, v.source FROM script_versions v"
	    " WHERE v.name = ?1 AND v.digest = coalesce(?2,"
	    " (SELECT digest FROM scripts WHERE name = ?1))");
	bind_text(st, 1, name);
	bind_text(st, 2, digest);
	if (sqlite3_step(st) == SQLITE_ROW) {
		o = version_json(st, tf);
		json_object_set_new(o, "text", json_string(col_text(st, 11)));
	}
	sqlite3_reset(st);
	if (o == NULL)
		return NULL;
	vs = json_array();
	st = conn_stmt(c, "SELECT digest, version, created_at, origin,"
	    " created_by FROM script_versions WHERE name = ?"
	    " ORDER BY created_at DESC, rowid DESC");
	bind_text(st, 1, name);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(vs, json_pack("{s:s, s:s?, s:o, s:s,"
		    " s:s?}", "digest", col_text(st, 0),
		    "version", (const char *)sqlite3_column_text(st, 1),
		    "created_at", tfmt_json(tf, sqlite3_column_int64(st, 2)),
		    "source", col_text(st, 3),
		    "created_by", (const char *)sqlite3_column_text(st, 4)));
	sqlite3_reset(st);
	json_object_set_new(o, "versions", vs);
	return o;
}
