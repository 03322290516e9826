/*
 * watch.c - file triggers on the agent (see watch.h): the folders the
 * scheduler names for this agent are looked at every second, and once a
 * folder's files have all stayed unchanged (size and time) for the
 * trigger's settle time, their list is reported; the scheduler starts the
 * trigger's script.  A set reported and accepted is not reported again;
 * a set the scheduler could not start yet (a job of the trigger is still
 * running, or it was away) is reported again on the next look.
 *
 * Polling, not inotify: the inbox may be a network share (scanners write
 * to SMB folders), where inotify sees nothing, and a look a second at a
 * few folders costs nothing.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "textutil.h"
#include "timeutil.h"
#include "watch.h"
#include "xmalloc.h"

#define LOOK_MS		1000	/* how often folders are looked at */
#define REFRESH_MS	5000	/* how often the list of watches */
#define FILES_MAX	10000	/* of one folder */

/* A file seen in a folder. */
struct seen {
	char		*name;
	int64_t		 size, mtime_ms;
	int64_t		 changed;	/* mono ms it last changed */
};

/* One watched folder. */
struct watch {
	char		*name;		/* the trigger */
	char		*folder;
	char		*pattern;	/* or NULL */
	int64_t		 settle_ms;
	struct seen	*files;
	size_t		 nfiles;
	char		*fired;		/* the set last accepted, as text */
	int		 warned;	/* the folder could not be read */
};

struct watcher {
	struct agentd	*d;
	struct client	*c;
	struct watch	*w;
	size_t		 n;
	int64_t		 refreshed;	/* mono ms, 0: never */
};

static int
stop_asked(void *arg)
{
	struct agentd *d = arg;

	return atomic_load(&d->stopping);
}

static void
watch_clear(struct watch *w)
{
	size_t i;

	for (i = 0; i < w->nfiles; i++)
		free(w->files[i].name);
	free(w->files);
	free(w->name);
	free(w->folder);
	free(w->pattern);
	free(w->fired);
	memset(w, 0, sizeof *w);
}

/* The watch named name in the old list, or NULL. */
static struct watch *
find(struct watch *w, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i].name != NULL && strcmp(w[i].name, name) == 0)
			return &w[i];
	return NULL;
}

/* Ask the scheduler which folders to watch; keep what is known of each. */
static void
refresh(struct watcher *x)
{
	struct client_reply rep;
	struct watch *nw, *old;
	json_t *list, *v;
	const char *name, *folder;
	size_t i, n = 0;

	if (client_call(x->c, "GET", "/api/agents/watches", NULL, 0, 1,
	    &rep) != 0 || rep.status != 200) {
		client_reply_free(&rep);
		return;		/* keep watching what we had */
	}
	list = json_object_get(rep.body, "watches");
	nw = xcalloc(json_array_size(list) + 1, sizeof *nw);
	json_array_foreach(list, i, v) {
		name = json_string_value(json_object_get(v, "name"));
		folder = json_string_value(json_object_get(v, "folder"));
		if (name == NULL || folder == NULL)
			continue;
		if ((old = find(x->w, x->n, name)) != NULL &&
		    strcmp(old->folder, folder) == 0) {
			nw[n] = *old;		/* its files and last set */
			memset(old, 0, sizeof *old);
			free(nw[n].pattern);
		} else {
			nw[n].name = xstrdup(name);
			nw[n].folder = xstrdup(folder);
			agentd_say("watching %s for file trigger '%s'", folder,
			    name);
		}
		nw[n].pattern = json_is_string(json_object_get(v, "pattern")) ?
		    xstrdup(json_string_value(json_object_get(v, "pattern"))) :
		    NULL;
		nw[n].settle_ms = agentd_json_long(v, "settle_ms", 3000);
		n++;
	}
	for (i = 0; i < x->n; i++)
		watch_clear(&x->w[i]);
	free(x->w);
	x->w = nw;
	x->n = n;
	client_reply_free(&rep);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct seen *)a)->name,
	    ((const struct seen *)b)->name);
}

/*
 * Look at a folder: update what is seen of each file.  Returns 1 when it
 * holds files and all of them settled, 0 otherwise.
 */
static int
look(struct watch *w, int64_t now)
{
	struct seen *cur = NULL, *old;
	struct dirent *de;
	struct stat sb;
	size_t n = 0, i, j;
	char *path;
	int quiet = 1;
	DIR *dir;

	if ((dir = opendir(w->folder)) == NULL) {
		if (!w->warned)
			agentd_say("file trigger '%s': cannot read %s", w->name,
			    w->folder);
		w->warned = 1;
		return 0;
	}
	w->warned = 0;
	while ((de = readdir(dir)) != NULL && n < FILES_MAX) {
		if (de->d_name[0] == '.' || (w->pattern != NULL &&
		    fnmatch(w->pattern, de->d_name, 0) != 0))
			continue;
		path = xasprintf("%s/%s", w->folder, de->d_name);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			cur = xreallocarray(cur, n + 1, sizeof *cur);
			cur[n].name = xstrdup(de->d_name);
			cur[n].size = (int64_t)sb.st_size;
			cur[n].mtime_ms = (int64_t)sb.st_mtim.tv_sec * 1000 +
			    sb.st_mtim.tv_nsec / 1000000;
			cur[n].changed = now;
			n++;
		}
		free(path);
	}
	closedir(dir);
	if (n > 0)
		qsort(cur, n, sizeof *cur, by_name);
	/* A file as it was: it keeps the time it last changed. */
	for (i = 0, j = 0; i < n; i++) {
		old = NULL;
		while (j < w->nfiles && strcmp(w->files[j].name,
		    cur[i].name) < 0)
			j++;
		if (j < w->nfiles && strcmp(w->files[j].name, cur[i].name) ==
		    0)
			old = &w->files[j];
		if (old != NULL && old->size == cur[i].size &&
		    old->mtime_ms == cur[i].mtime_ms)
			cur[i].changed = old->changed;
		if (now - cur[i].changed < w->settle_ms)
			quiet = 0;
	}
	for (i = 0; i < w->nfiles; i++)
		free(w->files[i].name);
	free(w->files);
	w->files = cur;
	w->nfiles = n;
	return n > 0 && quiet;
}

/* Report the settled set of w; remember it when the scheduler took it. */
static void
report(struct watcher *x, struct watch *w)
{
	struct client_reply rep;
	json_t *files = json_array(), *body;
	char *set, *path, *enc;
	size_t i;
	struct buf b;

	buf_init(&b, 16u * 1024 * 1024);
	for (i = 0; i < w->nfiles; i++) {
		json_array_append_new(files, json_pack("{s:s, s:I, s:I}", "name",
		    w->files[i].name, "size", (json_int_t)w->files[i].size,
		    "mtime_ms", (json_int_t)w->files[i].mtime_ms));
		buf_printf(&b, "%s\t%lld\t%lld\n", w->files[i].name,
		    (long long)w->files[i].size,
		    (long long)w->files[i].mtime_ms);
	}
	set = xstrdup(buf_str(&b));
	buf_free(&b);
	if (w->fired != NULL && strcmp(w->fired, set) == 0) {
		free(set);
		json_decref(files);
		return;		/* this set was started already */
	}
	body = json_pack("{s:o}", "files", files);
	enc = text_percent_encode(w->name);
	path = xasprintf("/api/file-triggers/%s/fire", enc);
	free(enc);
	if (client_call(x->c, "POST", path, body, 0, 1, &rep) == 0 &&
	    (rep.status == 200 || rep.status == 201) &&
	    !json_is_true(json_object_get(rep.body, "busy"))) {
		if (rep.status == 201)
			agentd_say("file trigger '%s': %zu file(s) settled in %s;"
			    " job %lld started", w->name, w->nfiles, w->folder,
			    (long long)json_integer_value(json_object_get(
			    rep.body, "job_id")));
		free(w->fired);
		w->fired = set;
		set = NULL;
	} else if (rep.status >= 400 && rep.status != 503) {
		char why[400];

		agentd_say("file trigger '%s': %s", w->name,
		    client_reply_error(&rep, why, sizeof why));
	}
	client_reply_free(&rep);
	json_decref(body);
	free(path);
	free(set);
}

void *
watch_main(void *arg)
{
	struct watcher x;
	int64_t now, next;
	size_t i;

	memset(&x, 0, sizeof x);
	x.d = arg;
	x.c = client_new(x.d->o->scheduler, x.d->token);
	client_set_cancel(x.c, stop_asked, x.d);
	while (!atomic_load(&x.d->stopping)) {
		now = time_mono_ms();
		if (x.refreshed == 0 || now - x.refreshed >= REFRESH_MS) {
			refresh(&x);
			x.refreshed = now;
		}
		for (i = 0; i < x.n; i++)
			if (look(&x.w[i], now))
				report(&x, &x.w[i]);
		next = now + LOOK_MS;
		while (!atomic_load(&x.d->stopping) && time_mono_ms() < next)
			time_sleep_ms(100, NULL);
	}
	for (i = 0; i < x.n; i++)
		watch_clear(&x.w[i]);
	free(x.w);
	client_free(x.c);
	return NULL;
}
