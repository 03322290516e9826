/*
 * act_web.c - the web.* actions: browsers driven over WebDriver.
 *
 * This file keeps a run's browsers (the "web" slot, see act_web.h), opens
 * and closes them, navigates, moves between frames, tabs and dialogs, runs
 * scripts, takes screenshots, saves the failure artifacts, and holds the
 * table of every web.* action.  Finding elements is act_web_find.c; the
 * actions that act on elements are act_web_input.c and act_web_read.c.
 *
 * Profiles: a browser starts with a fresh temporary profile, removed when
 * it closes.  profile: NAME uses the persistent profile directory NAME
 * under $KOBITO_WEB_PROFILES (kobito-agent --web-profiles sets it), which
 * an administrator prepares (a client certificate, a remembered login); a
 * lock held until the browser is gone keeps two runs from sharing it.
 * Downloads go to a folder of the run's artifacts.
 */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "act_web.h"
#include "buf.h"
#include "fsutil.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

#define DEFAULT_LOAD_S		30.0
#define START_TIMEOUT_MS	60000
#define PROFILES_ENV		"KOBITO_WEB_PROFILES"

/* --- the run's browsers ----------------------------------------------------- */

static void *
run_new(struct act *a)
{
	(void)a;
	return xcalloc(1, sizeof(struct web_run));
}

/* For on_fail: the run's browsers if there are any, never new ones. */
static void *
run_none(struct act *a)
{
	(void)a;
	return NULL;
}

static void
session_free(struct web_session *s)
{
	wd_close(s->wd);
	json_decref(s->frames);
	json_decref(s->handles);
	free(s->handle);
	free(s->downloads);
	free(s->name);
	free(s);
}

static void
run_free(void *p)
{
	struct web_run *r = p;
	size_t i;

	for (i = 0; i < r->n; i++)
		session_free(r->v[i]);
	free(r->v);
	free(r);
}

static struct web_run *
get_run(struct act *a)
{
	return act_slot(a, "web", run_new, run_free);
}

static struct web_session *
lookup(struct web_run *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (strcmp(r->v[i]->name, name) == 0)
			return r->v[i];
	}
	return NULL;
}

static int
cancelled(void *arg)
{
	return act_cancelled(arg);
}

/*
 * A step begins: its cancellation reaches the browser's commands, and the
 * clocks its overhead is measured by start.
 */
static void
step_start(struct act *a, struct web_session *s)
{
	struct wd_stats st;

	wd_set_cancel(s->wd, cancelled, a);
	wd_get_stats(s->wd, &st);
	s->wire_t0 = st.wire_us;
	s->sleep_t0 = s->sleep_us;
	s->step_t0 = time_mono_us();
}

struct web_session *
web_begin(struct act *a)
{
	struct web_run *r = get_run(a);
	const char *name = act_str(a, "session", NULL);
	struct web_session *s;

	s = name != NULL ? lookup(r, name) : r->current;
	if (s == NULL) {
		if (name != NULL)
			act_fail(a, "no browser session '%s' is open (open one "
			    "with web.open and session: %s)", name, name);
		else
			act_fail(a, "no browser is open: start one with "
			    "web.open");
		return NULL;
	}
	r->current = s;
	step_start(a, s);
	return s;
}

int
web_end(struct web_session *s, int rc)
{
	struct wd_stats st;
	int64_t took = time_mono_us() - s->step_t0;

	/* The step's act is gone after this: nobody to cancel commands. */
	wd_set_cancel(s->wd, NULL, NULL);
	wd_get_stats(s->wd, &st);
	s->step_us += took;
	s->own_us += took - (st.wire_us - s->wire_t0) -
	    (s->sleep_us - s->sleep_t0);
	s->steps++;
	return rc;
}

char *
web_where(struct web_session *s)
{
	char *url = NULL, *where;
	struct buf b;
	json_t *f;
	size_t i;

	if (wd_url(s->wd, &url) != 0) {
		free(url);
		url = xstrdup("the page");
	}
	buf_init(&b, 8192);
	/* A data: URL can be the whole page: the start says enough. */
	if (strlen(url) > 160)
		buf_printf(&b, "%.150s...", url);
	else
		buf_puts(&b, url);
	json_array_foreach(s->frames, i, f)
		buf_printf(&b, "%s'%s'", i == 0 ? " in frame " : " > ",
		    json_string_value(f));
	where = buf_detach(&b, NULL);
	free(url);
	return where;
}

int
web_fail(struct act *a, struct web_session *s, const char *doing)
{
	char *where, why[512];
	int rc;

	if (wd_code(s->wd) == WD_ALERT_OPEN)
		return act_fail(a, "%s: a dialog is open (%s); answer it with "
		    "web.dialog first", doing, wd_error(s->wd));
	if (wd_code(s->wd) == WD_GONE || wd_code(s->wd) == WD_CANCELLED)
		return act_fail(a, "%s: %s", doing, wd_error(s->wd));
	/* Finding out where clears the browser's error: keep it first. */
	snprintf(why, sizeof why, "%s", wd_error(s->wd));
	where = web_where(s);
	rc = act_fail(a, "%s: %s (on %s)", doing, why, where);
	text_utf8_trim_partial(a->err);
	free(where);
	return rc;
}

void
web_sleep(struct act *a, struct web_session *s, int64_t ms)
{
	int64_t t0 = time_mono_us();

	(void)a;
	time_sleep_ms(ms, NULL);
	s->sleep_us += time_mono_us() - t0;
}

long
web_cmd_timeout(struct act *a, long want_ms)
{
	int64_t left = act_remaining_ms(a);

	if (left < want_ms)
		want_ms = left < 1000 ? 1000 : (long)left;
	return want_ms;
}

char *
web_save_artifact(struct act *a, const char *base, const void *data,
    size_t len, const char *kind)
{
	char *path = act_artifact_path(a, base), err[512];

	if (fsutil_write_atomic(path, data, len, 0644, err, sizeof err) != 0) {
		act_log(a, "cannot save %s: %s", base, err);
		free(path);
		return NULL;
	}
	act_artifact_add(a, path, kind);
	return path;
}

/* arguments: [element or null]: where what goes into it would be sent. */
static const char DESTINATIONS_JS[] =
"const e = arguments[0], out = [location.href];\n"
"if (e && e.form && e.form.action) out.push(e.form.action);\n"
"return out;\n";

static int
holds_secret(struct act *a, const char *const *parts, size_t n)
{
	char *m;
	size_t i;
	int hit = 0;

	for (i = 0; i < n && !hit; i++) {
		if (parts[i] == NULL)
			continue;
		m = act_masked(a, parts[i]);
		hit = strcmp(m, parts[i]) != 0;
		free(m);
	}
	return hit;
}

int
web_send_ok(struct act *a, struct web_session *s, const char *el,
    const char *const *parts, size_t nparts)
{
	json_t *dest, *u;
	size_t i;
	int rc = 0;

	/* Most text holds no secret: then no need to ask the page. */
	if (!holds_secret(a, parts, nparts))
		return 0;
	if (wd_execute(s->wd, DESTINATIONS_JS, json_pack("[o]", el ?
	    wd_element_ref(el) : json_null()), &dest, web_cmd_timeout(a,
	    10000)) != 0)
		return web_fail(a, s, "cannot tell where the page sends it");
	json_array_foreach(dest, i, u) {
		if (rc == 0 && json_is_string(u))
			rc = act_send_ok(a, json_string_value(u), parts,
			    nparts);
	}
	json_decref(dest);
	return rc;
}

/* "https://..." for the output of navigation steps. */
static json_t *
page_json(struct web_session *s)
{
	char *url = NULL, *title = NULL;
	json_t *o;

	wd_url(s->wd, &url);
	wd_title(s->wd, &title);
	o = json_pack("{s:s, s:s}", "url", url ? url : "", "title",
	    title ? title : "");
	free(url);
	free(title);
	return o;
}

/*
 * A page the browser could not load is not a failed navigation to
 * WebDriver: the browser shows its own error page and the command
 * succeeds.  That page says which error it was.
 */
static const char LOAD_ERROR_JS[] =
"if (location.protocol !== 'chrome-error:') return null;\n"
"const e = document.querySelector('#error-code, .error-code');\n"
"return (e && e.textContent.trim()) || document.title ||\n"
"  'the page could not be loaded';\n";

/* After a navigation to what (a URL, or "the page"): -1 when it failed. */
static int
loaded(struct act *a, struct web_session *s, const char *what)
{
	json_t *v;
	int rc = 0;

	if (wd_execute(s->wd, LOAD_ERROR_JS, NULL, &v, web_cmd_timeout(a,
	    10000)) != 0)
		return web_fail(a, s, "cannot read the page");
	if (json_is_string(v))
		rc = act_fail(a, "cannot open %s: %s%s", what,
		    json_string_value(v), strstr(json_string_value(v), "CERT") ?
		    " (the certificate is not trusted; insecure: true accepts "
		    "it)" : "");
	json_decref(v);
	return rc;
}

/* --- web.open, web.close ------------------------------------------------- */

/* The directory of the persistent profile name; NULL after act_fail. */
static char *
profile_dir(struct act *a, const char *name)
{
	const char *root = getenv(PROFILES_ENV), *p;
	struct stat st;
	char *dir;

	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.') || (p == name && *p == '.')) {
			act_fail(a, "profile '%s': a profile name is letters, "
			    "digits, '-', '_' and '.'", name);
			return NULL;
		}
	}
	if (root == NULL || *root == '\0') {
		act_fail(a, "profile '%s': no profiles are configured here "
		    "(kobito-agent --web-profiles DIR, or $%s)", name,
		    PROFILES_ENV);
		return NULL;
	}
	dir = xasprintf("%s/%s", root, name);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		act_fail(a, "profile '%s' is not configured: '%s' is not a "
		    "directory", name, dir);
		free(dir);
		return NULL;
	}
	return dir;
}

/* A fresh folder among the run's artifacts for this browser's downloads. */
static char *
downloads_dir(struct act *a)
{
	char *path = act_artifact_path(a, "downloads"), err[512], *abs;

	if (fsutil_mkdir_p(path, err, sizeof err) != 0) {
		act_fail(a, "%s", err);
		free(path);
		return NULL;
	}
	if ((abs = realpath(path, NULL)) == NULL) {
		act_fail(a, "cannot resolve '%s': %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	free(path);
	return abs;
}

static int
open_session(struct act *a, struct web_run *r, const char *name)
{
	struct wd_options o;
	struct web_session *s;
	const char *pname = act_str(a, "profile", NULL);
	char *profile = NULL, *downloads, err[1024];
	double load = act_num(a, "timeout", DEFAULT_LOAD_S);
	int64_t left = act_remaining_ms(a);
	struct wd *wd;

	if (load <= 0 || load > 3600)
		return act_fail(a, "timeout must be between 0 and 3600 seconds, "
		    "not %g", load);
	memset(&o, 0, sizeof o);
	o.browser = act_str(a, "browser", "chromium");
	o.headless = act_bool(a, "headless", 1);
	if (!o.headless) {
		o.display = act_display(a);
		if (*o.display == '\0')
			return act_fail(a, "headless: false needs a display: "
			    "give kobito run --display :N or set DISPLAY");
	}
	o.width = (int)act_int(a, "width", 1280);
	o.height = (int)act_int(a, "height", 1024);
	if (o.width < 200 || o.height < 200 || o.width > 8192 ||
	    o.height > 8192)
		return act_fail(a, "the window must be 200 to 8192 pixels wide "
		    "and high");
	o.lang = act_str(a, "lang", "ja-JP");
	o.insecure = act_bool(a, "insecure", 0);
	o.page_load_ms = (long)(load * 1000);
	o.init_script = web_net_watch_js;
	o.deadline_ms = time_mono_ms() + (left < START_TIMEOUT_MS ? left :
	    START_TIMEOUT_MS);
	o.cancelled = cancelled;
	o.arg = a;
	if (pname != NULL && (profile = profile_dir(a, pname)) == NULL)
		return -1;
	o.profile = profile;
	if ((downloads = downloads_dir(a)) == NULL) {
		free(profile);
		return -1;
	}
	o.downloads = downloads;
	wd = wd_open(&o, err, sizeof err);
	free(profile);
	if (wd == NULL) {
		free(downloads);
		return act_fail(a, "%s", err);
	}
	s = xcalloc(1, sizeof *s);
	s->name = xstrdup(name);
	s->wd = wd;
	s->frames = json_array();
	s->downloads = downloads;
	s->handles = json_array();
	if (wd_window(wd, &s->handle) == 0)
		json_array_append_new(s->handles, json_string(s->handle));
	r->v = xreallocarray(r->v, r->n + 1, sizeof *r->v);
	r->v[r->n++] = s;
	r->current = s;
	step_start(a, s);
	return 0;
}

static int
do_open(struct act *a)
{
	struct web_run *r;
	struct web_session *s;
	struct wd_stats st;
	const char *name = act_str(a, "session", "default");
	const char *url = act_str(a, "url", NULL);

	if (act_dry_run(a)) {
		act_log(a, "dry run: would open a browser%s%s", url ? " at " :
		    "", url ? url : "");
		return 0;
	}
	if (wd_driver_find(act_str(a, "browser", "chromium")) == NULL)
		return act_fail(a, "unknown browser '%s' (known: chromium)",
		    act_str(a, "browser", ""));
	r = get_run(a);
	if (lookup(r, name) != NULL)
		return act_fail(a, "browser session '%s' is already open; close "
		    "it with web.close first, or give another session:", name);
	if (open_session(a, r, name) != 0)
		return -1;
	s = r->current;
	if (url != NULL && act_send_ok(a, url, NULL, 0) != 0)
		return web_end(s, -1);
	if (url != NULL && wd_navigate(s->wd, url, web_cmd_timeout(a,
	    (long)(act_num(a, "timeout", DEFAULT_LOAD_S) * 1000) + 5000)) != 0)
		return web_end(s, act_fail(a, "cannot open %s: %s", url,
		    wd_error(s->wd)));
	if (url != NULL && loaded(a, s, url) != 0)
		return web_end(s, -1);
	wd_get_stats(s->wd, &st);
	a->out = page_json(s);
	json_object_set_new(a->out, "session", json_string(name));
	json_object_set_new(a->out, "start_ms", json_integer(st.start_ms));
	act_log(a, "browser '%s' started in %lld ms%s%s", name,
	    (long long)st.start_ms, url ? "; at " : "", url ? url : "");
	return web_end(s, 0);
}

static json_t *
stats_json(struct web_session *s)
{
	struct wd_stats st;
	double own;

	wd_get_stats(s->wd, &st);
	own = s->steps > 0 ? (double)s->own_us / (double)s->steps / 1000.0 :
	    0.0;
	return json_pack("{s:I, s:I, s:I, s:f, s:f, s:f, s:f}", "steps",
	    (json_int_t)s->steps, "commands", (json_int_t)st.commands,
	    "start_ms", (json_int_t)st.start_ms,
	    "step_ms", (double)s->step_us / 1000.0, "driver_ms",
	    (double)st.wire_us / 1000.0, "wait_ms", (double)s->sleep_us /
	    1000.0, "overhead_ms_per_step", own);
}

static int
do_close(struct act *a)
{
	struct web_run *r;
	struct web_session *s;
	size_t i;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would close the browser");
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	web_end(s, 0);
	r = get_run(a);
	a->out = stats_json(s);
	json_object_set_new(a->out, "session", json_string(s->name));
	act_log(a, "browser '%s' closed: %ld steps, %" JSON_INTEGER_FORMAT
	    " WebDriver commands, %.3f ms a step of kobito's own", s->name,
	    s->steps, json_integer_value(json_object_get(a->out, "commands")),
	    json_real_value(json_object_get(a->out, "overhead_ms_per_step")));
	for (i = 0; i < r->n && r->v[i] != s; i++)
		;
	memmove(r->v + i, r->v + i + 1, (r->n - i - 1) * sizeof *r->v);
	r->n--;
	r->current = r->n > 0 ? r->v[r->n - 1] : NULL;
	session_free(s);
	return 0;
}

/* --- navigation ------------------------------------------------------------ */

/* Back at the top of the page: navigation leaves every frame. */
static void
top_level(struct web_session *s)
{
	json_array_clear(s->frames);
}

static long
load_timeout(struct act *a)
{
	return web_cmd_timeout(a, (long)(act_num(a, "timeout",
	    DEFAULT_LOAD_S) * 1000) + 5000);
}

static int
do_goto(struct act *a)
{
	struct web_session *s;
	const char *url = act_str(a, "url", "");
	json_t *abs = NULL;
	int rc;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would go to %s", url);
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	/* A relative URL is relative to the page, as in a link. */
	if (strstr(url, ":") == NULL && wd_execute(s->wd, "return new URL("
	    "arguments[0], document.baseURI).href", json_pack("[s]", url),
	    &abs, 10000) != 0)
		return web_end(s, web_fail(a, s, "cannot resolve the URL"));
	if (act_send_ok(a, json_is_string(abs) ? json_string_value(abs) : url,
	    NULL, 0) != 0) {
		json_decref(abs);
		return web_end(s, -1);
	}
	rc = wd_navigate(s->wd, json_is_string(abs) ? json_string_value(abs) :
	    url, load_timeout(a));
	json_decref(abs);
	top_level(s);
	if (rc != 0)
		return web_end(s, act_fail(a, "cannot open %s: %s", url,
		    wd_error(s->wd)));
	if (loaded(a, s, url) != 0)
		return web_end(s, -1);
	a->out = page_json(s);
	act_log(a, "at %s", json_string_value(json_object_get(a->out, "url")));
	return web_end(s, 0);
}

static int
history(struct act *a, int back)
{
	struct web_session *s;
	int rc;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would %s", back ? "go back" : "reload");
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	rc = back ? wd_back(s->wd, load_timeout(a)) :
	    wd_refresh(s->wd, load_timeout(a));
	top_level(s);
	if (rc != 0)
		return web_end(s, web_fail(a, s, back ? "cannot go back" :
		    "cannot reload"));
	if (loaded(a, s, "the page") != 0)
		return web_end(s, -1);
	a->out = page_json(s);
	return web_end(s, 0);
}

static int
do_back(struct act *a)
{
	return history(a, 1);
}

static int
do_reload(struct act *a)
{
	return history(a, 0);
}

/* --- web.frame ------------------------------------------------------------- */

/* The CSS that finds a frame by its name or id. */
static char *
frame_css(const char *name)
{
	struct buf q;
	const char *p;
	char *css;

	buf_init(&q, 4096);
	for (p = name; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(&q, '\\');
		buf_putc(&q, *p);
	}
	css = xasprintf("frame[name=\"%s\"],iframe[name=\"%s\"],"
	    "frame[id=\"%s\"],iframe[id=\"%s\"]", buf_str(&q), buf_str(&q),
	    buf_str(&q), buf_str(&q));
	buf_free(&q);
	return css;
}

static int
enter_frame(struct act *a, struct web_session *s, struct web_element *el,
    void *arg)
{
	(void)arg;
	if (wd_frame(s->wd, wd_element_ref(el->id)) != 0)
		return web_fail(a, s, "cannot enter the frame");
	return 0;
}

static int
frame_by_index(struct act *a, struct web_session *s, json_int_t index)
{
	int64_t until;

	if (web_deadline(a, WEB_DEFAULT_TIMEOUT_S, &until) != 0)
		return -1;
	while (wd_frame(s->wd, json_integer(index)) != 0) {
		if (wd_code(s->wd) != WD_NO_FRAME || time_mono_ms() >= until)
			return web_fail(a, s, "cannot enter the frame");
		web_sleep(a, s, 50);
	}
	return 0;
}

static int
do_frame(struct act *a)
{
	struct web_session *s;
	struct web_locator l;
	json_t *which = act_arg(a, "frame");
	char *css = NULL, *label;
	int rc = 0, got;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would change frames");
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	if (act_bool(a, "top", 0)) {
		if (wd_frame(s->wd, NULL) != 0)
			return web_end(s, web_fail(a, s, "cannot leave the "
			    "frames"));
		top_level(s);
		a->out = json_pack("{s:[]}", "frames");
		return web_end(s, 0);
	}
	if (act_bool(a, "parent", 0)) {
		if (wd_frame_parent(s->wd) != 0)
			return web_end(s, web_fail(a, s, "cannot leave the "
			    "frame"));
		if (json_array_size(s->frames) > 0)
			json_array_remove(s->frames,
			    json_array_size(s->frames) - 1);
		a->out = json_pack("{s:O}", "frames", s->frames);
		return web_end(s, 0);
	}
	if (json_is_integer(which)) {
		label = xasprintf("#%" JSON_INTEGER_FORMAT,
		    json_integer_value(which));
		rc = frame_by_index(a, s, json_integer_value(which));
	} else {
		if ((got = web_locator_get(a, &l, 0)) < 0)
			return web_end(s, -1);
		if (got == 1) {
			if (!json_is_string(which))
				return web_end(s, act_fail(a, "say which frame: "
				    "frame: NAME, frame: INDEX, a locator, "
				    "top: true or parent: true"));
			css = frame_css(json_string_value(which));
			l.spec = json_pack("{s:s}", "css", css);
			l.what = xasprintf("the frame '%s'",
			    json_string_value(which));
			l.query = xstrdup(css);
			label = xstrdup(json_string_value(which));
		} else {
			label = xstrdup(l.query);
		}
		rc = web_on_element(a, s, &l, 0, enter_frame, NULL);
		web_locator_clear(&l);
		free(css);
	}
	if (rc == 0) {
		json_array_append_new(s->frames, json_string(label));
		a->out = json_pack("{s:O}", "frames", s->frames);
		act_log(a, "in frame '%s'", label);
	}
	free(label);
	return web_end(s, rc);
}

/* --- web.tab ---------------------------------------------------------------- */

static int
seen(struct web_session *s, const char *handle)
{
	json_t *h;
	size_t i;

	json_array_foreach(s->handles, i, h) {
		if (strcmp(json_string_value(h), handle) == 0)
			return 1;
	}
	return 0;
}

static int
switch_to(struct web_session *s, const char *handle)
{
	if (wd_switch_window(s->wd, handle) != 0)
		return -1;
	free(s->handle);
	s->handle = xstrdup(handle);
	if (!seen(s, handle))
		json_array_append_new(s->handles, json_string(handle));
	top_level(s);
	return 0;
}

/* Whether the current window's title or URL matches re. */
static int
window_matches(struct web_session *s, const regex_t *re, int by_url)
{
	char *text = NULL;
	int m;

	if ((by_url ? wd_url(s->wd, &text) : wd_title(s->wd, &text)) != 0) {
		free(text);
		return 0;
	}
	m = regexec(re, text, 0, NULL, 0) == 0;
	free(text);
	return m;
}

/* One look for the tab a step wants; 1 found (switched), 0 not yet. */
static int
look_for_tab(struct act *a, struct web_session *s, const char *which,
    const regex_t *re, int by_url, json_int_t index)
{
	json_t *list = NULL, *h;
	const char *id;
	size_t i, n;
	int found = 0;

	if (wd_windows(s->wd, &list) != 0)
		return web_fail(a, s, "cannot list the tabs");
	n = json_array_size(list);
	for (i = 0; i < n && !found; i++) {
		id = json_string_value(json_array_get(list, i));
		if (id == NULL)
			continue;
		if (which != NULL && strcmp(which, "new") == 0) {
			found = !seen(s, id) && switch_to(s, id) == 0;
		} else if (index >= 0) {
			found = (json_int_t)i == index && switch_to(s, id) == 0;
		} else if (re != NULL) {
			if (switch_to(s, id) == 0 && window_matches(s, re, by_url))
				found = 1;
		}
	}
	/* Everything seen now is known, so "new" means newer than this. */
	json_array_foreach(list, i, h) {
		if (!seen(s, json_string_value(h)))
			json_array_append(s->handles, h);
	}
	json_decref(list);
	return found;
}

static int
close_tab(struct act *a, struct web_session *s)
{
	json_t *list = NULL;
	const char *next;
	size_t i;

	if (wd_close_window(s->wd) != 0)
		return web_fail(a, s, "cannot close the tab");
	for (i = 0; i < json_array_size(s->handles); i++) {
		if (strcmp(json_string_value(json_array_get(s->handles, i)),
		    s->handle) == 0) {
			json_array_remove(s->handles, i);
			break;
		}
	}
	if (wd_windows(s->wd, &list) != 0 || json_array_size(list) == 0) {
		json_decref(list);
		return act_fail(a, "the last tab is closed: close the browser "
		    "with web.close instead");
	}
	/* Back to the tab opened before it, as a person would be. */
	next = json_string_value(json_array_get(list, json_array_size(list)
	    - 1));
	for (i = json_array_size(s->handles); i > 0; i--) {
		const char *h = json_string_value(json_array_get(s->handles,
		    i - 1));
		size_t j;

		for (j = 0; j < json_array_size(list); j++) {
			if (strcmp(h, json_string_value(json_array_get(list,
			    j))) == 0) {
				next = h;
				i = 1;
				break;
			}
		}
	}
	if (switch_to(s, next) != 0) {
		json_decref(list);
		return web_fail(a, s, "cannot switch tabs");
	}
	json_decref(list);
	return 0;
}

static int
tab_missing(struct act *a, const char *which, const char *title,
    const char *url, json_int_t index)
{
	double secs = act_num(a, "timeout", WEB_DEFAULT_TIMEOUT_S);

	if (which != NULL && strcmp(which, "new") == 0)
		return act_fail(a, "no new tab opened within %g s", secs);
	if (title != NULL)
		return act_fail(a, "no tab with a title matching '%s' within "
		    "%g s", title, secs);
	if (url != NULL)
		return act_fail(a, "no tab with a URL matching '%s' within %g s",
		    url, secs);
	return act_fail(a, "there is no tab %" JSON_INTEGER_FORMAT " (counted "
	    "from 0) after %g s", index, secs);
}

static int
do_tab(struct act *a)
{
	struct web_session *s;
	const char *which = act_str(a, "which", NULL);
	const char *title = act_str(a, "title", NULL), *url = act_str(a, "url",
	    NULL);
	json_int_t index = act_int(a, "index", -1);
	regex_t re;
	int have_re = 0, r, rc = 0;
	int64_t until;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would switch tabs");
		return 0;
	}
	if (which != NULL && strcmp(which, "new") != 0 &&
	    strcmp(which, "first") != 0)
		return act_fail(a, "which must be new or first, not '%s'",
		    which);
	if (which != NULL && strcmp(which, "first") == 0)
		index = 0;
	if ((s = web_begin(a)) == NULL)
		return -1;
	if (act_bool(a, "close", 0)) {
		if ((rc = close_tab(a, s)) == 0)
			a->out = page_json(s);
		return web_end(s, rc);
	}
	if (which == NULL && index < 0 && title == NULL && url == NULL)
		return web_end(s, act_fail(a, "say which tab: which: new, "
		    "index, title, url or close: true"));
	if (title != NULL || url != NULL) {
		if ((r = regcomp(&re, title ? title : url, REG_EXTENDED |
		    REG_NOSUB)) != 0) {
			char msg[256];

			regerror(r, &re, msg, sizeof msg);
			return web_end(s, act_fail(a, "%s: %s", title ? "title" :
			    "url", msg));
		}
		have_re = 1;
	}
	if (web_deadline(a, WEB_DEFAULT_TIMEOUT_S, &until) != 0)
		rc = -1;
	while (rc == 0) {
		char *old = xstrdup(s->handle ? s->handle : "");

		r = look_for_tab(a, s, which, have_re ? &re : NULL, url != NULL,
		    index);
		if (r != 1 && *old != '\0')
			switch_to(s, old);	/* stay where we were */
		free(old);
		if (r < 0)
			rc = -1;
		else if (r == 1)
			break;
		else if (time_mono_ms() >= until)
			rc = tab_missing(a, which, title, url, index);
		else
			web_sleep(a, s, 100);
	}
	if (have_re)
		regfree(&re);
	if (rc == 0) {
		a->out = page_json(s);
		json_object_set_new(a->out, "tabs",
		    json_integer((json_int_t)json_array_size(s->handles)));
		act_log(a, "in tab '%s'", json_string_value(json_object_get(
		    a->out, "title")));
	}
	return web_end(s, rc);
}

/* --- web.dialog ------------------------------------------------------------- */

static int
do_dialog(struct act *a)
{
	struct web_session *s;
	const char *action = act_str(a, "action", "accept");
	const char *answer = act_str(a, "text", NULL);
	char *text = NULL;
	int accept, rc = 0;
	int64_t until;

	if (strcmp(action, "accept") != 0 && strcmp(action, "dismiss") != 0)
		return act_fail(a, "action must be accept or dismiss, not '%s'",
		    action);
	accept = strcmp(action, "accept") == 0;
	if (act_dry_run(a)) {
		act_log(a, "dry run: would %s a dialog", action);
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	if (web_deadline(a, WEB_DEFAULT_TIMEOUT_S, &until) != 0)
		return web_end(s, -1);
	while (wd_alert_text(s->wd, &text) != 0) {
		free(text);
		text = NULL;
		if (wd_code(s->wd) != WD_NO_ALERT)
			return web_end(s, web_fail(a, s, "cannot read the "
			    "dialog"));
		if (time_mono_ms() >= until)
			return web_end(s, act_fail(a, "no dialog appeared "
			    "within %g s", act_num(a, "timeout",
			    WEB_DEFAULT_TIMEOUT_S)));
		web_sleep(a, s, 50);
	}
	if (answer != NULL && holds_secret(a, &answer, 1)) {
		char *url = NULL;

		/* With a dialog open the page cannot be asked: the top's URL. */
		rc = wd_url(s->wd, &url) != 0 ? web_fail(a, s, "cannot tell "
		    "where the page sends it") : act_send_ok(a, url, &answer, 1);
		free(url);
	}
	if (rc == 0 && answer != NULL && wd_alert_send(s->wd, answer) != 0)
		rc = web_fail(a, s, "cannot answer the prompt");
	if (rc == 0 && wd_alert_answer(s->wd, accept) != 0)
		rc = web_fail(a, s, "cannot close the dialog");
	if (rc == 0) {
		a->out = json_pack("{s:s, s:s}", "message", text, "action",
		    action);
		act_log(a, "dialog '%s': %s", text, accept ? "accepted" :
		    "dismissed");
	}
	free(text);
	return web_end(s, rc);
}

/* --- web.eval, web.screenshot ----------------------------------------------- */

static int
do_eval(struct act *a)
{
	struct web_session *s;
	const char *expr = act_str(a, "expr", NULL);
	const char *script = act_str(a, "script", NULL);
	json_t *args = act_arg(a, "args"), *v;
	char *body;
	int rc;

	if ((expr == NULL) == (script == NULL))
		return act_fail(a, "give expr (an expression) or script (a "
		    "function body with return)");
	if (act_dry_run(a)) {
		act_log(a, "dry run: would run a script in the page");
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	body = expr ? xasprintf("return (%s\n);", expr) : xstrdup(script);
	{
		char *argtext = args ? json_dumps(args, JSON_COMPACT) : NULL;
		const char *parts[2] = { body, argtext };

		rc = web_send_ok(a, s, NULL, parts, 2);
		free(argtext);
	}
	if (rc != 0) {
		free(body);
		return web_end(s, -1);
	}
	rc = wd_execute(s->wd, body, args ? json_deep_copy(args) : NULL, &v,
	    web_cmd_timeout(a, 30000));
	free(body);
	if (rc != 0)
		return web_end(s, web_fail(a, s, "the script failed"));
	a->out = json_pack("{s:o}", "value", v);
	return web_end(s, 0);
}

struct shot {
	unsigned char	*png;
	size_t		 len;
};

static int
shoot_element(struct act *a, struct web_session *s, struct web_element *el,
    void *arg)
{
	struct shot *sh = arg;

	if (wd_screenshot(s->wd, el->id, &sh->png, &sh->len) != 0)
		return web_fail(a, s, "cannot take the screenshot");
	return 0;
}

static int
do_screenshot(struct act *a)
{
	struct web_session *s;
	struct web_locator l;
	struct shot sh = { NULL, 0 };
	const char *to = act_str(a, "path", NULL);
	char *path, err[512];
	int got, rc;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would take a screenshot");
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	if ((got = web_locator_get(a, &l, 0)) < 0)
		return web_end(s, -1);
	if (got == 0) {
		rc = web_on_element(a, s, &l, WEB_VISIBLE, shoot_element, &sh);
		web_locator_clear(&l);
	} else if ((rc = wd_screenshot(s->wd, NULL, &sh.png, &sh.len)) != 0) {
		rc = web_fail(a, s, "cannot take the screenshot");
	}
	if (rc != 0)
		return web_end(s, -1);
	if (to != NULL) {
		if (fsutil_mkdir_parent(to, err, sizeof err) != 0 ||
		    fsutil_write_atomic(to, sh.png, sh.len, -1, err,
		    sizeof err) != 0) {
			free(sh.png);
			return web_end(s, act_fail(a, "%s", err));
		}
		path = xstrdup(to);
	} else if ((path = web_save_artifact(a, act_str(a, "name",
	    "screenshot.png"), sh.png, sh.len, "screenshot")) == NULL) {
		free(sh.png);
		return web_end(s, act_fail(a, "cannot save the screenshot"));
	}
	free(sh.png);
	a->out = json_pack("{s:s}", "path", path);
	act_log(a, "screenshot %s", path);
	free(path);
	return web_end(s, 0);
}

/* --- failures ---------------------------------------------------------------- */

void
web_on_fail(struct act *a)
{
	struct web_run *r;
	struct web_session *s;
	unsigned char *png;
	size_t len, n;
	char saved[sizeof a->err], *shot = NULL, *page = NULL, *html;

	if (act_dry_run(a))
		return;
	memcpy(saved, a->err, sizeof saved);
	r = act_slot(a, "web", run_none, run_free);
	if (r == NULL || (s = r->current) == NULL || wd_code(s->wd) == WD_GONE)
		goto out;
	if (wd_screenshot(s->wd, NULL, &png, &len) == 0) {
		shot = web_save_artifact(a, "failure.png", png, len,
		    "screenshot");
		free(png);
	}
	if ((html = web_page_html(a, s)) != NULL) {
		page = web_save_artifact(a, "failure.html", html, strlen(html),
		    "page");
		free(html);
	}
out:
	memcpy(a->err, saved, sizeof saved);
	n = strlen(a->err);
	if (shot != NULL || page != NULL)
		snprintf(a->err + n, sizeof a->err - n, " (%s%s%s%s%s)",
		    shot ? "screenshot: " : "", shot ? shot : "",
		    shot && page ? ", " : "", page ? "page: " : "",
		    page ? page : "");
	text_utf8_trim_partial(a->err);
	free(shot);
	free(page);
}

/* --- the table --------------------------------------------------------------- */

static const struct action_arg open_args[] = {
	{ "url", ARG_STRING, 0, "the page to open" },
	{ "session", ARG_STRING, 0, "a name for this browser (default: "
	    "default)" },
	{ "headless", ARG_BOOL, 0, "without a window (default true); false "
	    "shows it on the run's display" },
	{ "width", ARG_INT, 0, "window width in pixels (default 1280)" },
	{ "height", ARG_INT, 0, "window height in pixels (default 1024)" },
	{ "lang", ARG_STRING, 0, "the browser's language (default ja-JP)" },
	{ "insecure", ARG_BOOL, 0, "accept self-signed certificates (default "
	    "false)" },
	{ "profile", ARG_STRING, 0, "a persistent profile configured on the "
	    "agent (default: a fresh one)" },
	{ "timeout", ARG_NUMBER, 0, "seconds a page may take to load "
	    "(default 30)" },
	{ "browser", ARG_STRING, 0, "which browser (default chromium)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg session_args[] = {
	{ "session", ARG_STRING, 0, "which browser (default: the current "
	    "one)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg goto_args[] = {
	{ "url", ARG_STRING, 1, "the page: absolute, or relative to the "
	    "current one" },
	{ "timeout", ARG_NUMBER, 0, "seconds the page may take to load "
	    "(default 30)" },
	{ "session", ARG_STRING, 0, "which browser (default: the current "
	    "one)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg history_args[] = {
	{ "timeout", ARG_NUMBER, 0, "seconds the page may take to load "
	    "(default 30)" },
	{ "session", ARG_STRING, 0, "which browser (default: the current "
	    "one)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg frame_args[] = {
	{ "frame", ARG_ANY, 0, "the frame's name or id, or its index" },
	{ "top", ARG_BOOL, 0, "back to the top page" },
	{ "parent", ARG_BOOL, 0, "up one frame" },
	WEB_LOCATOR_ARGS,
	{ NULL, 0, 0, NULL },
};

static const struct action_arg tab_args[] = {
	{ "which", ARG_STRING, 0, "new (a tab opened since the last look) or "
	    "first" },
	{ "index", ARG_INT, 0, "the tab's position, from 0" },
	{ "title", ARG_STRING, 0, "a regular expression the title matches" },
	{ "url", ARG_STRING, 0, "a regular expression the URL matches" },
	{ "close", ARG_BOOL, 0, "close the current tab, back to the one "
	    "before" },
	{ "timeout", ARG_NUMBER, 0, "seconds to wait (default 10)" },
	{ "session", ARG_STRING, 0, "which browser (default: the current "
	    "one)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg dialog_args[] = {
	{ "action", ARG_STRING, 0, "accept (default) or dismiss" },
	{ "text", ARG_STRING, 0, "the answer to a prompt" },
	{ "timeout", ARG_NUMBER, 0, "seconds to wait for it (default 10)" },
	{ "session", ARG_STRING, 0, "which browser (default: the current "
	    "one)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg eval_args[] = {
	{ "expr", ARG_STRING, 0, "a JavaScript expression; its value is the "
	    "output" },
	{ "script", ARG_STRING, 0, "a function body that returns the output" },
	{ "args", ARG_LIST, 0, "values passed as arguments[0], [1], ..." },
	{ "session", ARG_STRING, 0, "which browser (default: the current "
	    "one)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg screenshot_args[] = {
	{ "path", ARG_PATH_WRITE, 0, "where to write the PNG (default: an "
	    "artifact)" },
	{ "name", ARG_STRING, 0, "the artifact's name (default "
	    "screenshot.png)" },
	WEB_LOCATOR_ARGS,
	{ NULL, 0, 0, NULL },
};

static const struct action_arg click_args[] = {
	WEB_LOCATOR_ARGS,
	{ "double", ARG_BOOL, 0, "a double click" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg type_args[] = {
	WEB_FIELD_ARGS,
	{ "text", ARG_STRING, 1, "what to type (any Unicode)" },
	{ "clear", ARG_BOOL, 0, "empty the field first (default false)" },
	{ "method", ARG_STRING, 0, "insert (default: at once, as an input "
	    "method commits) or keys (key by key)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg select_args[] = {
	WEB_FIELD_ARGS,
	{ "option", ARG_STRING, 0, "the option's visible text" },
	{ "value", ARG_STRING, 0, "the option's value" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg check_args[] = {
	WEB_LOCATOR_ARGS,
	{ "checked", ARG_BOOL, 0, "the state wanted (default true)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg upload_args[] = {
	WEB_FIELD_ARGS,
	{ "path", ARG_PATHS_READ, 1, "the file, or a list of files" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg key_args[] = {
	{ "keys", ARG_STRING, 1, "key chords: Enter, Tab, ctrl+a, "
	    "\"shift+Tab Enter\"" },
	{ "repeat", ARG_INT, 0, "press them this many times (default 1)" },
	WEB_LOCATOR_ARGS,
	{ NULL, 0, 0, NULL },
};

static const struct action_arg hover_args[] = {
	WEB_LOCATOR_ARGS,
	{ NULL, 0, 0, NULL },
};

static const struct action_arg download_args[] = {
	WEB_LOCATOR_ARGS,
	{ "url", ARG_STRING, 0, "go to this URL instead of clicking" },
	{ "to", ARG_PATH_WRITE, 0, "also copy the file here" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg wait_args[] = {
	WEB_LOCATOR_ARGS,
	{ "gone", ARG_BOOL, 0, "wait until the element is gone instead" },
	{ "url", ARG_STRING, 0, "wait until the URL matches this regular "
	    "expression" },
	{ "network_quiet", ARG_NUMBER, 0, "wait until no request has been "
	    "open for this many seconds" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg read_args[] = {
	WEB_LOCATOR_ARGS,
	{ "get", ARG_STRING, 0, "text (default), value, attribute, html, "
	    "checked, options or table" },
	{ "attribute", ARG_STRING, 0, "with get: attribute, its name" },
	{ "all", ARG_BOOL, 0, "every match, as a list" },
	{ "header", ARG_BOOL, 0, "with get: table, whether the first row is "
	    "the header (default: th cells or thead decide)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg exists_args[] = {
	WEB_LOCATOR_ARGS,
	{ "visible", ARG_BOOL, 0, "count only visible elements (default "
	    "true)" },
	{ NULL, 0, 0, NULL },
};

/* What the actions give (docs/actions-web.md). */
static const struct action_out page_out[] = {
	{ "url", ARG_STRING, "the page's URL" },
	{ "title", ARG_STRING, "the page's title" },
	{ NULL, 0, NULL },
};

static const struct action_out open_out[] = {
	{ "session", ARG_STRING, "the browser's name" },
	{ "url", ARG_STRING, "the page's URL" },
	{ "title", ARG_STRING, "the page's title" },
	{ "start_ms", ARG_INT, "how long the driver and browser took to "
	    "start" },
	{ NULL, 0, NULL },
};

static const struct action_out close_out[] = {
	{ "session", ARG_STRING, "the browser's name" },
	{ "steps", ARG_INT, "the web.* steps it ran" },
	{ "commands", ARG_INT, "WebDriver round trips" },
	{ "start_ms", ARG_INT, "how long it took to start" },
	{ "step_ms", ARG_NUMBER, "time in web.* steps" },
	{ "driver_ms", ARG_NUMBER, "of which waiting for the driver" },
	{ "wait_ms", ARG_NUMBER, "of which waiting between looks" },
	{ "overhead_ms_per_step", ARG_NUMBER, "kobito's own work a step" },
	{ NULL, 0, NULL },
};

static const struct action_out element_out[] = {
	{ "element", ARG_MAP, "tag, type, desc, name, count, index" },
	{ NULL, 0, NULL },
};

static const struct action_out select_out[] = {
	{ "text", ARG_STRING, "the option chosen" },
	{ "value", ARG_STRING, "its value" },
	{ "index", ARG_INT, "its position, from 0" },
	{ NULL, 0, NULL },
};

static const struct action_out check_out[] = {
	{ "checked", ARG_BOOL, "the box's state, read back" },
	{ NULL, 0, NULL },
};

static const struct action_out upload_out[] = {
	{ "files", ARG_LIST, "the files attached (absolute paths)" },
	{ NULL, 0, NULL },
};

static const struct action_out wait_out[] = {
	{ "waited_ms", ARG_INT, "how long it waited" },
	{ "element", ARG_MAP, "for a locator, the element found" },
	{ NULL, 0, NULL },
};

static const struct action_out read_out[] = {
	{ "value", ARG_ANY, "what was read" },
	{ "values", ARG_LIST, "with all: every match's" },
	{ "count", ARG_INT, "with all or a table: how many" },
	{ "header", ARG_LIST, "for a table: the column names" },
	{ "rows", ARG_LIST, "for a table: the rows, by column name" },
	{ NULL, 0, NULL },
};

static const struct action_out exists_out[] = {
	{ "exists", ARG_BOOL, "whether a matching element is there" },
	{ "count", ARG_INT, "how many match" },
	{ NULL, 0, NULL },
};

static const struct action_out download_out[] = {
	{ "path", ARG_STRING, "the file (where to: copied it, if given)" },
	{ "name", ARG_STRING, "its name" },
	{ "size", ARG_INT, "its size in bytes" },
	{ NULL, 0, NULL },
};

static const struct action_out path_out[] = {
	{ "path", ARG_STRING, "the PNG written" },
	{ NULL, 0, NULL },
};

static const struct action_out value_out[] = {
	{ "value", ARG_ANY, "the script's value" },
	{ NULL, 0, NULL },
};

static const struct action_out frame_out[] = {
	{ "frames", ARG_LIST, "the frames entered, outermost first" },
	{ NULL, 0, NULL },
};

static const struct action_out tab_out[] = {
	{ "url", ARG_STRING, "the tab's URL" },
	{ "title", ARG_STRING, "the tab's title" },
	{ "tabs", ARG_INT, "how many tabs are open" },
	{ NULL, 0, NULL },
};

static const struct action_out dialog_out[] = {
	{ "message", ARG_STRING, "the dialog's text" },
	{ "action", ARG_STRING, "accept or dismiss" },
	{ NULL, 0, NULL },
};

#define WEB	ACTION_SCALAR, web_on_fail

/*
 * In a dry run, the actions that say what they would do (open, navigate,
 * click, frames, tabs, dialogs, scripts, screenshots) are called; the
 * others need a page that a dry run never opened, and are not run.
 */
const struct action web_actions[] = {
	{ "web.open", "start a browser (Chromium over WebDriver)",
	    open_args, do_open, WEB, ARG_MAP, open_out, ACTION_DRY_SELF },
	{ "web.goto", "go to a URL", goto_args, do_goto, WEB, ARG_MAP,
	    page_out, ACTION_DRY_SELF },
	{ "web.back", "go back one page", history_args, do_back, WEB,
	    ARG_MAP, page_out, ACTION_DRY_SELF },
	{ "web.reload", "reload the page", history_args, do_reload, WEB,
	    ARG_MAP, page_out, ACTION_DRY_SELF },
	{ "web.close", "close the browser", session_args, do_close, WEB,
	    ARG_MAP, close_out, ACTION_DRY_SELF },
	{ "web.click", "click an element (waits until it can be clicked)",
	    click_args, web_do_click, WEB, ARG_MAP, element_out,
	    ACTION_DRY_SELF },
	{ "web.type", "type text into a field (exact Unicode)", type_args,
	    web_do_type, 0, web_on_fail, ARG_MAP, element_out },
	{ "web.select", "choose an option of a select box", select_args,
	    web_do_select, 0, web_on_fail, ARG_MAP, select_out },
	{ "web.check", "tick or untick a checkbox or radio button",
	    check_args, web_do_check, WEB, ARG_MAP, check_out },
	{ "web.upload", "put a file into a file field", upload_args,
	    web_do_upload, 0, web_on_fail, ARG_MAP, upload_out },
	{ "web.key", "press keys", key_args, web_do_key, WEB, ARG_NULL },
	{ "web.hover", "move the mouse over an element", hover_args,
	    web_do_hover, WEB, ARG_NULL },
	{ "web.wait", "wait for an element, text, URL, or network quiet",
	    wait_args, web_do_wait, WEB, ARG_MAP, wait_out },
	{ "web.read", "read text, a value, an attribute or a whole table",
	    read_args, web_do_read, WEB, ARG_MAP, read_out },
	{ "web.exists", "whether an element is there (never fails for "
	    "absence)", exists_args, web_do_exists, WEB, ARG_MAP,
	    exists_out },
	{ "web.download", "click (or go to a URL) and wait for the file",
	    download_args, web_do_download, WEB, ARG_MAP, download_out },
	{ "web.screenshot", "save the page or an element as a PNG",
	    screenshot_args, do_screenshot, WEB, ARG_MAP, path_out,
	    ACTION_DRY_SELF },
	{ "web.eval", "run JavaScript in the page; its value is the output",
	    eval_args, do_eval, WEB, ARG_MAP, value_out, ACTION_DRY_SELF },
	{ "web.frame", "enter a frame or iframe, or leave it", frame_args,
	    do_frame, WEB, ARG_MAP, frame_out, ACTION_DRY_SELF },
	{ "web.tab", "switch to another tab or window, or close one",
	    tab_args, do_tab, WEB, ARG_MAP, tab_out, ACTION_DRY_SELF },
	{ "web.dialog", "accept or dismiss an alert, confirm or prompt",
	    dialog_args, do_dialog, WEB, ARG_MAP, dialog_out,
	    ACTION_DRY_SELF },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
