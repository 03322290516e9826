/*
 * act_web_input.c - the web.* actions that act on a page: click, type,
 * select, check, upload, key, hover and download.
 *
 * Each finds its element first (act_web_find.c: waiting until it is
 * attached, visible and enabled, as a person would) and then acts through
 * WebDriver, so that the page sees real input events.  Typed text is never
 * written to the log when it is a secret or goes into a password field.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "act_web.h"
#include "buf.h"
#include "fsutil.h"
#include "timeutil.h"
#include "xmalloc.h"

#define DOWNLOAD_TIMEOUT_S	30.0

/* Read a locator (required); -1 after act_fail. */
static int
locator(struct act *a, struct web_locator *l, unsigned flags)
{
	return web_locator_get(a, l, flags | WEB_LOC_REQUIRED) == 0 ? 0 : -1;
}

/* "the button '登録' (button#ok)" for the log. */
static const char *
el_desc(const struct web_element *el)
{
	const char *d = json_string_value(json_object_get(el->info, "desc"));

	return d ? d : "element";
}

/* --- web.click ---------------------------------------------------------------- */

static int
pointer_clicks(struct act *a, struct web_session *s, const char *id, int n)
{
	json_t *acts = json_array();
	int i;

	json_array_append_new(acts, json_pack("{s:s, s:i, s:o, s:i, s:i}",
	    "type", "pointerMove", "duration", 0, "origin", wd_element_ref(id),
	    "x", 0, "y", 0));
	for (i = 0; i < n; i++) {
		json_array_append_new(acts, json_pack("{s:s, s:i}", "type",
		    "pointerDown", "button", 0));
		json_array_append_new(acts, json_pack("{s:s, s:i}", "type",
		    "pointerUp", "button", 0));
	}
	if (wd_actions(s->wd, json_pack("[{s:s, s:s, s:{s:s}, s:o}]", "type",
	    "pointer", "id", "mouse", "parameters", "pointerType", "mouse",
	    "actions", acts)) != 0)
		return web_fail(a, s, "cannot click");
	return 0;
}

static int
click_op(struct act *a, struct web_session *s, struct web_element *el,
    void *arg)
{
	int dbl = *(int *)arg;

	if (dbl)
		return pointer_clicks(a, s, el->id, 2);
	if (wd_click(s->wd, el->id, web_cmd_timeout(a, 60000)) != 0)
		return web_fail(a, s, "cannot click");
	return 0;
}

/*
 * A click that submits a form or follows a link starts loading the next
 * page a moment after the click has been answered: a step that looked at
 * once would still see the old page.  So before a click (a choice in a
 * select box, keys) the page is armed: the document gets a stamp, and
 * listeners (last in line, after the page's own) note a submit or a link
 * followed in this frame that nothing cancelled, a form submitted by
 * script, or an unload.  After it, one look: a new document (the stamp
 * gone) has loaded already; a noted navigation is waited for until the
 * new document is there; otherwise the page stayed.
 */
static const char ARM_JS[] =
"const w = window;\n"
"w.__kobitoClick = {stamp: Math.random().toString(36).slice(2), nav: 0};\n"
"const self = t => !t || t === '_self' || t === w.name;\n"
"if (!w.__kobitoArmed) {\n"
"  w.__kobitoArmed = 1;\n"
"  w.addEventListener('submit', e => {\n"
"    const f = e.target, b = e.submitter;\n"
"    const t = (b && b.getAttribute('formtarget')) || f.getAttribute('target');\n"
"    if (!e.defaultPrevented && self(t)) w.__kobitoClick.nav = 1;\n"
"  });\n"
"  w.addEventListener('click', e => {\n"
"    const a = e.target.closest && e.target.closest('a[href]');\n"
"    if (!a || e.defaultPrevented || !self(a.getAttribute('target')) ||\n"
"      a.hasAttribute('download')) return;\n"
"    const u = new URL(a.href, location.href);\n"
"    if (!/^https?:$/.test(u.protocol)) return;\n"
"    if (u.hash && u.href.split('#')[0] === location.href.split('#')[0])\n"
"      return;\n"
"    w.__kobitoClick.nav = 1;\n"
"  });\n"
"  w.addEventListener('beforeunload', () => { w.__kobitoClick.nav = 1; });\n"
"  const P = HTMLFormElement.prototype, submit = P.submit;\n"
"  P.submit = function () {\n"
"    if (self(this.getAttribute('target'))) w.__kobitoClick.nav = 1;\n"
"    return submit.apply(this, arguments);\n"
"  };\n"
"}\n"
"return w.__kobitoClick.stamp;\n";

static const char SETTLED_JS[] =
"const c = window.__kobitoClick;\n"
"if (!c || c.stamp !== arguments[0]) return 'new';\n"
"return c.nav ? 'leaving' : 'stayed';\n";

/* Arm the page; the stamp (free it) or NULL when the page cannot be. */
static char *
arm(struct act *a, struct web_session *s)
{
	json_t *v = NULL;
	char *stamp = NULL;

	/* Not armed (a frame that forbids scripts): no wait, as before. */
	if (wd_execute(s->wd, ARM_JS, NULL, &v, web_cmd_timeout(a, 10000)) ==
	    0 && json_is_string(v))
		stamp = xstrdup(json_string_value(v));
	json_decref(v);
	return stamp;
}

/* After the input: wait for the page it started loading, if any. */
static void
settle(struct act *a, struct web_session *s, const char *stamp)
{
	int64_t until = time_mono_ms() + web_cmd_timeout(a, 30000);
	json_t *v;
	int done;

	if (stamp == NULL)
		return;
	for (;;) {
		if (wd_execute(s->wd, SETTLED_JS, json_pack("[s]", stamp), &v,
		    web_cmd_timeout(a, 30000)) != 0) {
			/* A dialog the click opened is the next step's; a
			 * browser gone is the next step's error too. */
			if (wd_code(s->wd) == WD_ALERT_OPEN ||
			    wd_code(s->wd) == WD_GONE ||
			    wd_code(s->wd) == WD_CANCELLED)
				return;
			done = 0;	/* the old page is unloading */
		} else {
			done = !json_is_string(v) || strcmp(json_string_value(v),
			    "leaving") != 0;
			json_decref(v);
		}
		if (done)
			return;
		if (time_mono_ms() >= until || act_cancelled(a)) {
			act_log(a, "the click seemed to start loading a page, "
			    "but no new page came");
			return;
		}
		web_sleep(a, s, 20);
	}
}

/* The element an op acted on, for the log and the output. */
struct acted {
	json_t	*info;
	void	*arg;
};

static int
click_and_note(struct act *a, struct web_session *s, struct web_element *el,
    void *arg)
{
	struct acted *ac = arg;
	char *stamp = arm(a, s);
	int rc;

	rc = click_op(a, s, el, ac->arg);
	if (rc == 0)
		settle(a, s, stamp);
	free(stamp);
	if (rc != 0)
		return -1;
	json_decref(ac->info);
	ac->info = json_incref(el->info);
	return 0;
}

int
web_do_click(struct act *a)
{
	struct web_session *s;
	struct web_locator l;
	int dbl = act_bool(a, "double", 0), rc;
	struct acted ac = { NULL, &dbl };

	if (act_dry_run(a)) {
		act_log(a, "dry run: would click");
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	if (locator(a, &l, 0) != 0)
		return web_end(s, -1);
	rc = web_on_element(a, s, &l, WEB_VISIBLE | WEB_ENABLED,
	    click_and_note, &ac);
	if (rc == 0) {
		act_log(a, "clicked %s (%s)", l.what, json_string_value(
		    json_object_get(ac.info, "desc")));
		a->out = json_pack("{s:O}", "element", ac.info);
	}
	json_decref(ac.info);
	web_locator_clear(&l);
	return web_end(s, rc);
}

/* --- web.type ------------------------------------------------------------------- */

/*
 * arguments: [input, value].  Date and time fields take no typing that
 * works the same in every locale, so their value is set as the page's
 * own script would set it, with the events typing fires; the value the
 * field then holds is returned ("" when it refused the text).
 */
static const char SET_VALUE_JS[] =
"const [e, v] = arguments;\n"
"Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')\n"
"  .set.call(e, v);\n"
"e.dispatchEvent(new Event('input', {bubbles: true}));\n"
"e.dispatchEvent(new Event('change', {bubbles: true}));\n"
"return e.value;\n";

static const char *const picker_types[] = {
	"date", "time", "datetime-local", "month", "week", "color", "range",
};

static int
picker(const char *type)
{
	size_t i;

	for (i = 0; type != NULL && i < sizeof picker_types /
	    sizeof *picker_types; i++) {
		if (strcmp(type, picker_types[i]) == 0)
			return 1;
	}
	return 0;
}

struct typing {
	const char	*text;
	int		 clear;
	int		 keys;		/* method: keys, not insert */
	int		 password;
	char		*now;		/* the field's value after typing */
	json_t		*info;
};

static int
type_op(struct act *a, struct web_session *s, struct web_element *el,
    void *arg)
{
	struct typing *t = arg;
	const char *type = json_string_value(json_object_get(el->info, "type"));
	json_t *v;

	t->password = type != NULL && strcmp(type, "password") == 0;
	json_decref(t->info);
	t->info = json_incref(el->info);
	if (web_send_ok(a, s, el->id, &t->text, 1) != 0)
		return -1;
	if (picker(type)) {
		if (wd_execute(s->wd, SET_VALUE_JS, json_pack("[o, s]",
		    wd_element_ref(el->id), t->text), &v,
		    web_cmd_timeout(a, 10000)) != 0)
			return web_fail(a, s, "cannot fill the field");
		if (*t->text != '\0' && (!json_is_string(v) ||
		    *json_string_value(v) == '\0')) {
			json_decref(v);
			return act_fail(a, "the %s field refused '%s' (it takes "
			    "the ISO form, such as 2026-04-01 or 17:30)", type,
			    t->text);
		}
		json_decref(v);
		return 0;
	}
	if (t->clear && wd_clear(s->wd, el->id) != 0)
		return web_fail(a, s, "cannot empty the field");
	/* Nothing to type is not an error: an empty remark stays empty. */
	if (*t->text == '\0')
		return 0;
	if (!t->keys && wd_insert_text(s->wd, el->id, t->text) == 0)
		return 0;
	if (!t->keys && wd_code(s->wd) != WD_FAILED)
		return web_fail(a, s, "cannot type");
	/* Keys: asked for, or the only way this browser has. */
	if (wd_send_keys(s->wd, el->id, t->text) != 0)
		return web_fail(a, s, "cannot type");
	if (!t->clear)
		return 0;
	/* What a person would glance at: does the field say what we typed? */
	if (wd_execute(s->wd, "const e = arguments[0]; return e.isContentEditable"
	    " ? e.innerText : e.value;", json_pack("[o]",
	    wd_element_ref(el->id)), &v, web_cmd_timeout(a, 10000)) == 0) {
		free(t->now);
		t->now = xstrdup(json_is_string(v) ? json_string_value(v) : "");
		json_decref(v);
	}
	return 0;
}

int
web_do_type(struct act *a)
{
	struct web_session *s;
	struct web_locator l;
	struct typing t;
	const char *method;
	char *masked;
	int rc, secret;

	memset(&t, 0, sizeof t);
	t.text = act_str(a, "text", "");
	t.clear = act_bool(a, "clear", 0);
	method = act_str(a, "method", "insert");
	if (strcmp(method, "insert") != 0 && strcmp(method, "keys") != 0)
		return act_fail(a, "method must be insert or keys, not '%s'",
		    method);
	t.keys = strcmp(method, "keys") == 0;
	if (act_dry_run(a)) {
		act_log(a, "dry run: would type %zu bytes", strlen(t.text));
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	if (locator(a, &l, WEB_LOC_NO_TEXT) != 0)
		return web_end(s, -1);
	rc = web_on_element(a, s, &l, WEB_VISIBLE | WEB_ENABLED | WEB_EDITABLE,
	    type_op, &t);
	masked = act_masked(a, t.text);
	secret = strcmp(masked, t.text) != 0 || t.password;
	if (rc == 0 && secret)
		act_log(a, "typed a secret into %s", l.what);
	else if (rc == 0)
		act_log(a, "typed '%s' into %s", t.text, l.what);
	if (rc == 0 && t.now != NULL && strcmp(t.now, t.text) != 0) {
		if (secret)
			act_log(a, "warning: %s does not hold what was typed "
			    "(%zu bytes, not %zu)", l.what, strlen(t.now),
			    strlen(t.text));
		else
			act_log(a, "warning: %s holds '%s', not what was typed",
			    l.what, t.now);
	}
	if (rc == 0)
		a->out = json_pack("{s:O}", "element", t.info);
	free(masked);
	if (t.now != NULL) {
		explicit_bzero(t.now, strlen(t.now));
		free(t.now);
	}
	json_decref(t.info);
	web_locator_clear(&l);
	return web_end(s, rc);
}

/* --- web.select ---------------------------------------------------------------- */

/*
 * arguments: [select, by ("text" or "value"), wanted].  Chooses the option
 * and fires input and change, as a person's choice does.
 */
static const char SELECT_JS[] =
"const [sel, by, want] = arguments;\n"
"const WS = /[\\s\\u3000\\u00a0]+/g, sq = s => String(s).replace(WS, '');\n"
"if (sel.tagName !== 'SELECT') return {error: 'not a select box'};\n"
"const opts = [...sel.options];\n"
"const o = opts.find(o => by === 'value' ? o.value === want :\n"
"  sq(o.text) === sq(want));\n"
"if (!o) return {error: 'missing', options: opts.map(o => by === 'value' ?\n"
"  o.value : o.text.replace(WS, ' ').trim())};\n"
"if (o.disabled) return {error: 'disabled'};\n"
"if (!o.selected) {\n"
"  o.selected = true;\n"
"  sel.dispatchEvent(new Event('input', {bubbles: true}));\n"
"  sel.dispatchEvent(new Event('change', {bubbles: true}));\n"
"}\n"
"return {text: o.text.replace(WS, ' ').trim(), value: o.value,\n"
"  index: o.index};\n";

struct choice {
	const char	*by;
	const char	*want;
	json_t		*chosen;
};

static int
select_op(struct act *a, struct web_session *s, struct web_element *el,
    void *arg)
{
	struct choice *c = arg;
	const char *err;
	char *opts, *stamp;
	json_t *v;
	int rc;

	if (web_send_ok(a, s, el->id, &c->want, 1) != 0)
		return -1;
	stamp = arm(a, s);
	/* A select box may submit its form when it changes. */
	rc = wd_execute(s->wd, SELECT_JS, json_pack("[o, s, s]",
	    wd_element_ref(el->id), c->by, c->want), &v,
	    web_cmd_timeout(a, 30000));
	if (rc == 0)
		settle(a, s, stamp);
	free(stamp);
	if (rc != 0)
		return web_fail(a, s, "cannot choose the option");
	if ((err = json_string_value(json_object_get(v, "error"))) != NULL) {
		if (strcmp(err, "missing") == 0) {
			opts = web_json_brief(json_object_get(v, "options"));
			act_fail(a, "the select box has no option with the %s "
			    "'%s'; it has %s", c->by, c->want, opts);
			free(opts);
		} else {
			act_fail(a, "cannot choose '%s': %s", c->want, err);
		}
		json_decref(v);
		return -1;
	}
	c->chosen = v;
	return 0;
}

int
web_do_select(struct act *a)
{
	struct web_session *s;
	struct web_locator l;
	struct choice c;
	int rc;

	memset(&c, 0, sizeof c);
	c.want = act_str(a, "option", NULL);
	c.by = "text";
	if (c.want == NULL) {
		c.want = act_str(a, "value", NULL);
		c.by = "value";
	}
	if (c.want == NULL || (act_arg(a, "option") && act_arg(a, "value")))
		return act_fail(a, "give option (the visible text) or value");
	if (act_dry_run(a)) {
		act_log(a, "dry run: would choose '%s'", c.want);
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	if (locator(a, &l, 0) != 0)
		return web_end(s, -1);
	rc = web_on_element(a, s, &l, WEB_VISIBLE | WEB_ENABLED, select_op, &c);
	if (rc == 0) {
		act_log(a, "chose '%s' in %s", json_string_value(
		    json_object_get(c.chosen, "text")), l.what);
		a->out = c.chosen;
	}
	web_locator_clear(&l);
	return web_end(s, rc);
}

/* --- web.check ------------------------------------------------------------------- */

/*
 * arguments: [input].  Its state, and what to click to change it: the
 * input, or its visible label when the input itself is styled away.
 */
static const char CHECK_JS[] =
"const e = arguments[0];\n"
"if (e.tagName !== 'INPUT' || !/^(checkbox|radio)$/.test(e.type))\n"
"  return {error: 'not a checkbox or radio button'};\n"
"const shown = x => { for (const r of x.getClientRects())\n"
"  if (r.width > 1 && r.height > 1) return getComputedStyle(x).visibility\n"
"    !== 'hidden';\n"
"  return false; };\n"
"let t = e;\n"
"if (!shown(e)) t = [...(e.labels || [])].find(shown) || null;\n"
"return {checked: e.checked, type: e.type, target: t};\n";

static int
check_state(struct act *a, struct web_session *s, const char *id,
    json_t **res)
{
	if (wd_execute(s->wd, CHECK_JS, json_pack("[o]", wd_element_ref(id)),
	    res, web_cmd_timeout(a, 10000)) != 0)
		return web_fail(a, s, "cannot read the checkbox");
	if (json_object_get(*res, "error") != NULL) {
		act_fail(a, "%s", json_string_value(json_object_get(*res,
		    "error")));
		json_decref(*res);
		return -1;
	}
	return 0;
}

static int
check_op(struct act *a, struct web_session *s, struct web_element *el,
    void *arg)
{
	int want = *(int *)arg;
	json_t *st, *after;
	const char *target;
	int rc = 0;

	if (check_state(a, s, el->id, &st) != 0)
		return -1;
	if (json_is_true(json_object_get(st, "checked")) == want) {
		json_decref(st);
		return 0;
	}
	if ((target = wd_element_id(json_object_get(st, "target"))) == NULL) {
		json_decref(st);
		return act_fail(a, "the %s is hidden and has no visible label "
		    "to click", json_string_value(json_object_get(el->info,
		    "type")));
	}
	if (wd_click(s->wd, target, web_cmd_timeout(a, 60000)) != 0)
		rc = web_fail(a, s, "cannot click");
	json_decref(st);
	if (rc != 0 || check_state(a, s, el->id, &after) != 0)
		return -1;
	if (json_is_true(json_object_get(after, "checked")) != want)
		rc = act_fail(a, "clicking it did not %s it%s", want ? "tick" :
		    "untick", strcmp(json_string_value(json_object_get(after,
		    "type")), "radio") == 0 && !want ? " (a radio button is "
		    "unticked by ticking another)" : "");
	json_decref(after);
	return rc;
}

int
web_do_check(struct act *a)
{
	struct web_session *s;
	struct web_locator l;
	int want = act_bool(a, "checked", 1), rc;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would %s a checkbox", want ? "tick" :
		    "untick");
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	if (locator(a, &l, 0) != 0)
		return web_end(s, -1);
	/* Not WEB_VISIBLE: styled checkboxes hide the input, not the label. */
	rc = web_on_element(a, s, &l, WEB_ENABLED, check_op, &want);
	if (rc == 0) {
		act_log(a, "%s %s", want ? "ticked" : "unticked", l.what);
		a->out = json_pack("{s:b}", "checked", want);
	}
	web_locator_clear(&l);
	return web_end(s, rc);
}

/* --- web.upload ------------------------------------------------------------------ */

static int
upload_op(struct act *a, struct web_session *s, struct web_element *el,
    void *arg)
{
	const char *type = json_string_value(json_object_get(el->info, "type"));

	if (type == NULL || strcmp(type, "file") != 0)
		return act_fail(a, "%s is not a file field", el_desc(el));
	if (wd_send_keys(s->wd, el->id, buf_str(arg)) != 0)
		return web_fail(a, s, "cannot attach the file");
	return 0;
}

/* Append the absolute path of a readable regular file to b. */
static int
add_file(struct act *a, struct buf *b, json_t *files, const char *path)
{
	struct stat st;
	char *abs;

	if ((abs = realpath(path, NULL)) == NULL)
		return act_fail(a, "cannot upload '%s': %s", path,
		    strerror(errno));
	if (stat(abs, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(abs);
		return act_fail(a, "cannot upload '%s': not a regular file",
		    path);
	}
	if (b->len > 0)
		buf_putc(b, '\n');
	buf_puts(b, abs);
	json_array_append_new(files, json_string(abs));
	free(abs);
	return 0;
}

int
web_do_upload(struct act *a)
{
	struct web_session *s;
	struct web_locator l;
	json_t *p = act_arg(a, "path"), *files, *v;
	struct buf b;
	size_t i;
	int rc = 0;

	if (!json_is_string(p) && !(json_is_array(p) && json_array_size(p)))
		return act_fail(a, "path must be a file or a list of files");
	if (act_dry_run(a)) {
		act_log(a, "dry run: would upload a file");
		return 0;
	}
	buf_init(&b, 1024 * 1024);
	files = json_array();
	if (json_is_string(p))
		rc = add_file(a, &b, files, json_string_value(p));
	json_array_foreach(json_is_array(p) ? p : NULL, i, v) {
		if (rc == 0 && !json_is_string(v))
			rc = act_fail(a, "path: item %zu is not a file name",
			    i + 1);
		if (rc == 0)
			rc = add_file(a, &b, files, json_string_value(v));
	}
	if (rc != 0 || (s = web_begin(a)) == NULL) {
		buf_free(&b);
		json_decref(files);
		return -1;
	}
	if (locator(a, &l, 0) != 0) {
		buf_free(&b);
		json_decref(files);
		return web_end(s, -1);
	}
	/* File fields are often hidden behind a styled button. */
	rc = web_on_element(a, s, &l, WEB_ENABLED, upload_op, &b);
	if (rc == 0) {
		act_log(a, "attached %zu file%s to %s", json_array_size(files),
		    json_array_size(files) == 1 ? "" : "s", l.what);
		a->out = json_pack("{s:O}", "files", files);
	}
	buf_free(&b);
	json_decref(files);
	web_locator_clear(&l);
	return web_end(s, rc);
}

/* --- web.key --------------------------------------------------------------------- */

/* Key names (case does not matter) and their WebDriver code points. */
static const struct {
	const char	*name;
	unsigned	 code;
	int		 modifier;
} keys[] = {
	{ "enter", 0xE007, 0 }, { "return", 0xE007, 0 }, { "tab", 0xE004, 0 },
	{ "backspace", 0xE003, 0 }, { "escape", 0xE00C, 0 },
	{ "esc", 0xE00C, 0 }, { "delete", 0xE017, 0 }, { "del", 0xE017, 0 },
	{ "insert", 0xE016, 0 }, { "home", 0xE011, 0 }, { "end", 0xE010, 0 },
	{ "pageup", 0xE00E, 0 }, { "page_up", 0xE00E, 0 },
	{ "pagedown", 0xE00F, 0 }, { "page_down", 0xE00F, 0 },
	{ "left", 0xE012, 0 }, { "up", 0xE013, 0 }, { "right", 0xE014, 0 },
	{ "down", 0xE015, 0 }, { "arrowleft", 0xE012, 0 },
	{ "arrowup", 0xE013, 0 }, { "arrowright", 0xE014, 0 },
	{ "arrowdown", 0xE015, 0 }, { "space", 0xE00D, 0 },
	{ "f1", 0xE031, 0 }, { "f2", 0xE032, 0 }, { "f3", 0xE033, 0 },
	{ "f4", 0xE034, 0 }, { "f5", 0xE035, 0 }, { "f6", 0xE036, 0 },
	{ "f7", 0xE037, 0 }, { "f8", 0xE038, 0 }, { "f9", 0xE039, 0 },
	{ "f10", 0xE03A, 0 }, { "f11", 0xE03B, 0 }, { "f12", 0xE03C, 0 },
	{ "shift", 0xE008, 1 }, { "ctrl", 0xE009, 1 }, { "control", 0xE009, 1 },
	{ "alt", 0xE00A, 1 }, { "meta", 0xE03D, 1 }, { "super", 0xE03D, 1 },
};

/* One key's value for a key action: a name, or one character. */
static char *
key_value(const char *name, size_t len, int *modifier)
{
	unsigned c;
	size_t i;

	*modifier = 0;
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strlen(keys[i].name) == len &&
		    strncasecmp(keys[i].name, name, len) == 0) {
			c = keys[i].code;
			*modifier = keys[i].modifier;
			/* U+E000..U+EFFF in UTF-8. */
			return xasprintf("%c%c%c", (char)(0xE0 | (c >> 12)),
			    (char)(0x80 | ((c >> 6) & 0x3F)),
			    (char)(0x80 | (c & 0x3F)));
		}
	}
	/* A single character (any UTF-8 sequence). */
	if (len >= 1 && len <= 4 && ((unsigned char)name[0] < 0x80 ? len == 1 :
	    (size_t)(((unsigned char)name[0] >= 0xF0) + ((unsigned char)
	    name[0] >= 0xE0) + 2) == len))
		return xstrndup(name, len);
	return NULL;
}

static void
key_event(json_t *acts, const char *type, const char *value)
{
	json_array_append_new(acts, json_pack("{s:s, s:s}", "type", type,
	    "value", value));
}

/* One chord ("ctrl+shift+a"): modifiers down, key, modifiers up. */
static int
add_chord(struct act *a, json_t *acts, const char *chord, size_t len)
{
	char *v[8];
	size_t n = 0, i, part;
	int mod;

	while (len > 0) {
		part = 0;
		while (part < len && (chord[part] != '+' || part == 0))
			part++;
		if (n == 8 || (v[n] = key_value(chord, part, &mod)) == NULL) {
			for (i = 0; i < n; i++)
				free(v[i]);
			return act_fail(a, "unknown key '%.*s' (Enter, Tab, "
			    "Escape, F1, ctrl+a, ...)", (int)part, chord);
		}
		n++;
		chord += part;
		len -= part;
		if (len > 0) {
			chord++;
			len--;
		}
	}
	for (i = 0; i < n; i++)
		key_event(acts, "keyDown", v[i]);
	for (i = n; i > 0; i--)
		key_event(acts, "keyUp", v[i - 1]);
	for (i = 0; i < n; i++)
		free(v[i]);
	return 0;
}

static int
focus_op(struct act *a, struct web_session *s, struct web_element *el,
    void *arg)
{
	(void)arg;
	if (wd_execute(s->wd, "arguments[0].focus();", json_pack("[o]",
	    wd_element_ref(el->id)), NULL, web_cmd_timeout(a, 10000)) != 0)
		return web_fail(a, s, "cannot focus");
	return 0;
}

int
web_do_key(struct act *a)
{
	struct web_session *s;
	struct web_locator l;
	const char *keys_arg = act_str(a, "keys", ""), *p;
	long long repeat = act_int(a, "repeat", 1), i;
	char *stamp;
	json_t *acts;
	size_t n;
	int got, rc = 0;

	if (repeat < 1 || repeat > 1000)
		return act_fail(a, "repeat must be 1 to 1000");
	acts = json_array();
	for (i = 0; i < repeat && rc == 0; i++) {
		for (p = keys_arg; *p != '\0' && rc == 0; p += n) {
			p += strspn(p, " \t");
			if ((n = strcspn(p, " \t")) > 0)
				rc = add_chord(a, acts, p, n);
		}
	}
	if (rc == 0 && json_array_size(acts) == 0)
		rc = act_fail(a, "no keys given");
	if (rc != 0 || act_dry_run(a)) {
		json_decref(acts);
		if (rc == 0)
			act_log(a, "dry run: would press %s", keys_arg);
		return rc;
	}
	if ((s = web_begin(a)) == NULL) {
		json_decref(acts);
		return -1;
	}
	if ((got = web_locator_get(a, &l, 0)) < 0) {
		json_decref(acts);
		return web_end(s, -1);
	}
	if (got == 0) {
		rc = web_on_element(a, s, &l, WEB_VISIBLE | WEB_ENABLED,
		    focus_op, NULL);
		web_locator_clear(&l);
	}
	if (rc != 0) {
		json_decref(acts);
		return web_end(s, rc);
	}
	if (web_send_ok(a, s, NULL, &keys_arg, 1) != 0) {
		json_decref(acts);
		return web_end(s, -1);
	}
	/* Enter in a form submits it, as a click does. */
	stamp = arm(a, s);
	if (wd_actions(s->wd, json_pack("[{s:s, s:s, s:o}]", "type", "key",
	    "id", "keyboard", "actions", acts)) != 0) {
		free(stamp);
		return web_end(s, web_fail(a, s, "cannot press the keys"));
	}
	settle(a, s, stamp);
	free(stamp);
	act_log(a, "pressed %s%s", keys_arg, repeat > 1 ? " (repeated)" :
	    "");
	return web_end(s, rc);
}

/* --- web.hover ------------------------------------------------------------------- */

static int
hover_op(struct act *a, struct web_session *s, struct web_element *el,
    void *arg)
{
	(void)arg;
	if (wd_execute(s->wd, "arguments[0].scrollIntoView({block: "
	    "'center', inline: 'center'});", json_pack("[o]",
	    wd_element_ref(el->id)), NULL, web_cmd_timeout(a, 10000)) != 0 ||
	    wd_actions(s->wd, json_pack("[{s:s, s:s, s:{s:s}, s:[{s:s, s:i, "
	    "s:o, s:i, s:i}]}]", "type", "pointer", "id", "mouse", "parameters",
	    "pointerType", "mouse", "actions", "type", "pointerMove",
	    "duration", 0, "origin", wd_element_ref(el->id), "x", 0, "y", 0))
	    != 0)
		return web_fail(a, s, "cannot move the mouse there");
	return 0;
}

int
web_do_hover(struct act *a)
{
	struct web_session *s;
	struct web_locator l;
	int rc;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would hover");
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	if (locator(a, &l, 0) != 0)
		return web_end(s, -1);
	rc = web_on_element(a, s, &l, WEB_VISIBLE, hover_op, NULL);
	if (rc == 0)
		act_log(a, "the mouse is over %s", l.what);
	web_locator_clear(&l);
	return web_end(s, rc);
}

/* --- web.download ---------------------------------------------------------------- */

/* The names in dir, as a JSON array. */
static json_t *
list_dir(const char *dir)
{
	json_t *names = json_array();
	struct dirent *d;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		return names;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] != '.')
			json_array_append_new(names, json_string(d->d_name));
	}
	closedir(dp);
	return names;
}

static int
listed(const json_t *names, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(names, i, v) {
		if (strcmp(json_string_value(v), name) == 0)
			return 1;
	}
	return 0;
}

static int
partial(const char *name)
{
	size_t n = strlen(name);

	return n > 11 && strcmp(name + n - 11, ".crdownload") == 0;
}

/*
 * Wait for a file that was not there before and is complete: no partial
 * download left and its size unchanged since the last look.
 */
static char *
wait_download(struct act *a, struct web_session *s, const json_t *before,
    int64_t until, off_t *size)
{
	char *found = NULL, *path;
	off_t last = -1;
	struct stat st;
	json_t *now, *v;
	size_t i;
	int busy;

	for (;;) {
		now = list_dir(s->downloads);
		busy = 0;
		free(found);
		found = NULL;
		json_array_foreach(now, i, v) {
			const char *n = json_string_value(v);

			if (partial(n))
				busy = 1;
			else if (!listed(before, n) && found == NULL)
				found = xstrdup(n);
		}
		json_decref(now);
		if (found != NULL && !busy) {
			path = xasprintf("%s/%s", s->downloads, found);
			if (stat(path, &st) == 0 && st.st_size == last) {
				*size = st.st_size;
				free(found);
				return path;
			}
			last = stat(path, &st) == 0 ? st.st_size : -1;
			free(path);
		}
		if (time_mono_ms() >= until || act_cancelled(a))
			break;
		web_sleep(a, s, 100);
	}
	free(found);
	return NULL;
}

/* Start a download of url from the page, as a link with download does. */
static int
download_url(struct act *a, struct web_session *s, const char *url)
{
	if (wd_execute(s->wd, "const a = document.createElement('a');"
	    "a.href = arguments[0]; a.download = ''; document.body.append(a);"
	    " a.click(); a.remove();", json_pack("[s]", url), NULL,
	    web_cmd_timeout(a, 30000)) != 0)
		return web_fail(a, s, "cannot start the download");
	return 0;
}

int
web_do_download(struct act *a)
{
	struct web_session *s;
	struct web_locator l;
	const char *url = act_str(a, "url", NULL), *to = act_str(a, "to", NULL);
	json_t *before;
	char *path, err[512];
	int64_t until;
	off_t size = 0;
	int rc, dbl = 0, got;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would download a file");
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	if ((got = web_locator_get(a, &l, 0)) < 0)
		return web_end(s, -1);
	if ((got == 1) == (url == NULL)) {
		if (got == 0)
			web_locator_clear(&l);
		return web_end(s, act_fail(a, "give what to click (a locator) "
		    "or url, not both"));
	}
	if (url != NULL && act_send_ok(a, url, NULL, 0) != 0)
		return web_end(s, -1);
	before = list_dir(s->downloads);
	if (url != NULL) {
		rc = download_url(a, s, url);
	} else {
		rc = web_on_element(a, s, &l, WEB_VISIBLE | WEB_ENABLED,
		    click_op, &dbl);
		web_locator_clear(&l);
	}
	if (rc != 0 || web_deadline(a, DOWNLOAD_TIMEOUT_S, &until) != 0) {
		json_decref(before);
		return web_end(s, -1);
	}
	path = wait_download(a, s, before, until, &size);
	json_decref(before);
	if (path == NULL)
		return web_end(s, act_fail(a, "no download finished within "
		    "%g s (in %s)", act_num(a, "timeout", DOWNLOAD_TIMEOUT_S),
		    s->downloads));
	act_artifact_add(a, path, "download");
	if (to != NULL && (fsutil_mkdir_parent(to, err, sizeof err) != 0 ||
	    fsutil_copy(path, to, 1, err, sizeof err) != 0)) {
		free(path);
		return web_end(s, act_fail(a, "%s", err));
	}
	a->out = json_pack("{s:s, s:s, s:I}", "path", to ? to : path, "name",
	    strrchr(path, '/') + 1, "size", (json_int_t)size);
	act_log(a, "downloaded %s (%lld bytes)", strrchr(path, '/') + 1,
	    (long long)size);
	free(path);
	return web_end(s, 0);
}
