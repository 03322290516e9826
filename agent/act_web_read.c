/*
 * act_web_read.c - the web.* actions that look without touching: wait,
 * read and exists.
 *
 * web.read reads text, values, attributes, the state of a checkbox, the
 * options of a select box, and - the usual way to pull a list off an
 * intranet page - a whole <table> as rows whose fields are named by the
 * header cells.  The table is laid out on a grid first, so cells that span
 * columns or rows land under the right header.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act_web.h"
#include "timeutil.h"
#include "xmalloc.h"

/* arguments: [elements, get, attribute, header]; a list of values. */
static const char READ_JS[] =
"const [els, get, attr, header] = arguments;\n"
"const WS = /[\\s\\u3000\\u00a0]+/g;\n"
"const norm = s => String(s == null ? '' : s).replace(WS, ' ').trim();\n"
"const FIELD = /^(INPUT|TEXTAREA|SELECT)$/;\n"
"function cellText(c) {\n"
"  const t = norm(c.innerText);\n"
"  if (t) return t;\n"
"  const f = c.querySelector('input:not([type=hidden]),select,textarea');\n"
"  if (!f) return '';\n"
"  if (f.tagName === 'SELECT') return norm(f.selectedOptions[0] ?\n"
"    f.selectedOptions[0].text : '');\n"
"  return /^(checkbox|radio)$/.test(f.type) ? (f.checked ? 'true' : '') :\n"
"    f.value;\n"
"}\n"
"function grid(t) {\n"
"  const rows = [...t.rows], g = [];\n"
"  rows.forEach((r, y) => {\n"
"    const line = g[y] = g[y] || [];\n"
"    let x = 0;\n"
"    for (const c of r.cells) {\n"
"      while (line[x]) x++;\n"
"      const span = Math.max(1, c.colSpan), down = Math.max(1, c.rowSpan);\n"
"      const cell = {text: cellText(c), th: c.tagName === 'TH'};\n"
"      for (let i = 0; i < span; i++)\n"
"        for (let j = 0; j < Math.min(down, rows.length - y); j++) {\n"
"          const l = g[y + j] = g[y + j] || [];\n"
"          l[x + i] = i === 0 || cell.th ? cell : {text: '', th: false};\n"
"        }\n"
"      x += span;\n"
"    }\n"
"  });\n"
"  return {rows: rows, g: g};\n"
"}\n"
"function table(e) {\n"
"  const t = e.tagName === 'TABLE' ? e : (e.closest('table') ||\n"
"    e.querySelector('table'));\n"
"  if (!t) return {error: 'not a table'};\n"
"  const {rows, g} = grid(t);\n"
"  let hi = -1;\n"
"  if (header === true) hi = 0;\n"
"  else if (header !== false) {\n"
"    if (t.tHead && t.tHead.rows.length)\n"
"      hi = rows.indexOf(t.tHead.rows[t.tHead.rows.length - 1]);\n"
"    else if (g.length && g[0].length && g[0].every(c => c && c.th)) hi = 0;\n"
"  }\n"
"  const width = Math.max(0, ...g.map(l => l.length));\n"
"  const names = [], used = {};\n"
"  for (let i = 0; i < width; i++) {\n"
"    let n = hi >= 0 && g[hi][i] ? g[hi][i].text : '';\n"
"    if (!n) n = 'column' + (i + 1);\n"
"    if (used[n]) { used[n]++; n = n + '_' + used[n]; } else used[n] = 1;\n"
"    names.push(n);\n"
"  }\n"
"  const out = [];\n"
"  g.forEach((l, y) => {\n"
"    if (y <= hi || (t.tHead && rows[y].parentElement === t.tHead)) return;\n"
"    const o = {};\n"
"    names.forEach((n, i) => { o[n] = l[i] ? l[i].text : ''; });\n"
"    out.push(o);\n"
"  });\n"
"  return {header: names, rows: out, count: out.length};\n"
"}\n"
"function one(e) {\n"
"  switch (get) {\n"
"  case 'value':\n"
"    return e.isContentEditable ? e.innerText : (e.value == null ? null :\n"
"      e.value);\n"
"  case 'attribute': return e.getAttribute(attr);\n"
"  case 'html': return e.outerHTML;\n"
"  case 'checked': return !!e.checked;\n"
"  case 'options':\n"
"    if (e.tagName !== 'SELECT') return {error: 'not a select box'};\n"
"    return [...e.options].map(o => ({text: norm(o.text), value: o.value,\n"
"      selected: o.selected}));\n"
"  case 'table': return table(e);\n"
"  default:\n"
"    if (e.tagName === 'SELECT') return norm(e.selectedOptions[0] ?\n"
"      e.selectedOptions[0].text : '');\n"
"    if (FIELD.test(e.tagName)) return e.value;\n"
"    return String(e.innerText == null ? e.textContent : e.innerText)\n"
"      .replace(/\\u00a0/g, ' ').trim();\n"
"  }\n"
"}\n"
"return els.map(one);\n";

/*
 * The network watch, run first in every new document (web.open gives it
 * to the browser): it counts the fetch and XMLHttpRequest calls still
 * open and when the last one ended.
 */
const char web_net_watch_js[] =
"(() => {\n"
"  const w = window;\n"
"  if (w.__kobitoNet) return;\n"
"  const n = w.__kobitoNet = {pending: 0, last: performance.now()};\n"
"  const done = () => { n.pending--; n.last = performance.now(); };\n"
"  const f = w.fetch;\n"
"  if (f) w.fetch = function () { n.pending++; n.last = performance.now();\n"
"    return f.apply(this, arguments).finally(done); };\n"
"  const send = XMLHttpRequest.prototype.send;\n"
"  XMLHttpRequest.prototype.send = function () { n.pending++;\n"
"    n.last = performance.now();\n"
"    this.addEventListener('loadend', done, {once: true});\n"
"    return send.apply(this, arguments); };\n"
"})();\n";

/*
 * arguments: [quiet ms, the watch].  Whether the page has been quiet that
 * long: loaded, no request open, none ended or resource loaded since.  In
 * a document the watch missed (a tab opened later), it starts now.
 */
static const char QUIET_JS[] =
"const q = arguments[0];\n"
"if (!window.__kobitoNet) (0, eval)(arguments[1]);\n"
"const n = window.__kobitoNet;\n"
"let last = n.last;\n"
"for (const e of performance.getEntriesByType('resource'))\n"
"  if (e.responseEnd > last) last = e.responseEnd;\n"
"return document.readyState === 'complete' && n.pending <= 0 &&\n"
"  performance.now() - last >= q;\n";

static const char *const gets[] = {
	"text", "value", "attribute", "html", "checked", "options", "table",
};

/* --- web.read ------------------------------------------------------------------ */

struct reading {
	const char	*get;
	const char	*attr;
	json_t		*header;	/* true, false or null */
	json_t		*values;	/* one per element */
};

static int
read_els(struct act *a, struct web_session *s, struct reading *r,
    json_t *els)
{
	json_t *v, *e;
	size_t i;

	if (wd_execute(s->wd, READ_JS, json_pack("[o, s, s?, O]", els, r->get,
	    r->attr, r->header), &v, web_cmd_timeout(a, 30000)) != 0)
		return web_fail(a, s, "cannot read the page");
	json_array_foreach(v, i, e) {
		if (json_is_object(e) && json_is_string(json_object_get(e,
		    "error"))) {
			act_fail(a, "cannot read %s: %s", r->get,
			    json_string_value(json_object_get(e, "error")));
			json_decref(v);
			return -1;
		}
	}
	json_decref(r->values);
	r->values = v;
	return 0;
}

static int
read_op(struct act *a, struct web_session *s, struct web_element *el,
    void *arg)
{
	return read_els(a, s, arg, json_pack("[o]", wd_element_ref(el->id)));
}

int
web_do_read(struct act *a)
{
	struct web_session *s;
	struct web_locator l;
	struct reading r;
	json_t *els, *first;
	size_t i;
	int ok = 0, rc;
	/* A table or a hidden field is read where it is, seen or not. */
	unsigned need;

	memset(&r, 0, sizeof r);
	r.get = act_str(a, "get", act_str(a, "attribute", NULL) ? "attribute" :
	    "text");
	r.attr = act_str(a, "attribute", NULL);
	r.header = act_arg(a, "header") ? act_arg(a, "header") : json_null();
	for (i = 0; i < sizeof gets / sizeof gets[0]; i++)
		ok |= strcmp(r.get, gets[i]) == 0;
	if (!ok)
		return act_fail(a, "get must be text, value, attribute, html, "
		    "checked, options or table, not '%s'", r.get);
	if (strcmp(r.get, "attribute") == 0 && r.attr == NULL)
		return act_fail(a, "get: attribute needs attribute: NAME");
	if (act_dry_run(a)) {
		act_log(a, "dry run: would read the page");
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	if (web_locator_get(a, &l, WEB_LOC_REQUIRED) != 0)
		return web_end(s, -1);
	need = strcmp(r.get, "text") == 0 ? WEB_VISIBLE : 0;
	rc = web_on_element(a, s, &l, need, read_op, &r);
	if (rc == 0 && act_bool(a, "all", 0)) {
		rc = web_find_all(a, s, &l, need, &els);
		if (rc == 0)
			rc = read_els(a, s, &r, els);
	}
	if (rc == 0) {
		first = json_array_get(r.values, 0);
		if (act_bool(a, "all", 0))
			a->out = json_pack("{s:O, s:I}", "values", r.values,
			    "count", (json_int_t)json_array_size(r.values));
		else if (strcmp(r.get, "table") == 0)
			a->out = json_incref(first);
		else
			a->out = json_pack("{s:O}", "value", first ? first :
			    json_null());
		if (strcmp(r.get, "table") == 0 && !act_bool(a, "all", 0))
			act_log(a, "read %" JSON_INTEGER_FORMAT " rows from %s",
			    json_integer_value(json_object_get(first, "count")),
			    l.what);
		else
			act_log(a, "read %s of %s", r.get, l.what);
	}
	json_decref(r.values);
	web_locator_clear(&l);
	return web_end(s, rc);
}

/* --- web.exists ------------------------------------------------------------------ */

int
web_do_exists(struct act *a)
{
	struct web_session *s;
	struct web_locator l;
	long matches = 0, meeting = 0;
	unsigned need = act_bool(a, "visible", 1) ? WEB_VISIBLE : 0;
	int64_t until;
	int rc;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would look for an element");
		a->out = json_pack("{s:b, s:i}", "exists", 0, "count", 0);
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	if (web_locator_get(a, &l, WEB_LOC_REQUIRED) != 0)
		return web_end(s, -1);
	rc = web_deadline(a, 0.0, &until);
	while (rc == 0) {
		if ((rc = web_count(a, s, &l, need, &matches, &meeting)) != 0)
			break;
		if (meeting > 0 || time_mono_ms() >= until)
			break;
		web_sleep(a, s, 100);
	}
	if (rc == 0) {
		a->out = json_pack("{s:b, s:i}", "exists", meeting > 0, "count",
		    (int)meeting);
		act_log(a, "%s %s (%ld)", l.what, meeting > 0 ? "is there" :
		    "is not there", meeting);
	}
	web_locator_clear(&l);
	return web_end(s, rc);
}

/* --- web.wait -------------------------------------------------------------------- */

static int
wait_gone(struct act *a, struct web_session *s, const struct web_locator *l,
    int64_t until)
{
	long matches, meeting;

	for (;;) {
		if (web_count(a, s, l, WEB_VISIBLE, &matches, &meeting) != 0)
			return -1;
		if (meeting == 0)
			return 0;
		if (time_mono_ms() >= until) {
			char *where = web_where(s);

			act_fail(a, "%s is still there after %g s on %s", l->what,
			    act_num(a, "timeout", WEB_DEFAULT_TIMEOUT_S), where);
			free(where);
			return -1;
		}
		web_sleep(a, s, 100);
	}
}

static int
wait_url(struct act *a, struct web_session *s, const char *pattern,
    int64_t until)
{
	regex_t re;
	char *url = NULL, msg[256];
	int r;

	if ((r = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(r, &re, msg, sizeof msg);
		return act_fail(a, "url: %s", msg);
	}
	for (;;) {
		free(url);
		url = NULL;
		if (wd_url(s->wd, &url) != 0) {
			r = web_fail(a, s, "cannot read the URL");
			break;
		}
		if (regexec(&re, url, 0, NULL, 0) == 0) {
			r = 0;
			break;
		}
		if (time_mono_ms() >= until) {
			r = act_fail(a, "the URL is still %s, not matching '%s', "
			    "after %g s", url, pattern, act_num(a, "timeout",
			    WEB_DEFAULT_TIMEOUT_S));
			break;
		}
		web_sleep(a, s, 100);
	}
	free(url);
	regfree(&re);
	return r;
}

static int
wait_quiet(struct act *a, struct web_session *s, double quiet_s,
    int64_t until)
{
	json_t *v;
	int quiet;

	if (quiet_s <= 0 || quiet_s > 600)
		return act_fail(a, "network_quiet must be 0 to 600 seconds");
	for (;;) {
		if (wd_execute(s->wd, QUIET_JS, json_pack("[f, s]", quiet_s *
		    1000.0, web_net_watch_js), &v,
		    web_cmd_timeout(a, 10000)) != 0)
			return web_fail(a, s, "cannot watch the network");
		quiet = json_is_true(v);
		json_decref(v);
		if (quiet)
			return 0;
		if (time_mono_ms() >= until)
			return act_fail(a, "the page was still busy after %g s",
			    act_num(a, "timeout", WEB_DEFAULT_TIMEOUT_S));
		web_sleep(a, s, 100);
	}
}

int
web_do_wait(struct act *a)
{
	struct web_session *s;
	struct web_locator l;
	struct web_element el;
	const char *url = act_str(a, "url", NULL);
	json_t *quiet = act_arg(a, "network_quiet");
	int64_t start = time_mono_ms(), until;
	int got, rc;

	if (act_dry_run(a)) {
		act_log(a, "dry run: would wait");
		return 0;
	}
	if ((s = web_begin(a)) == NULL)
		return -1;
	if ((got = web_locator_get(a, &l, 0)) < 0)
		return web_end(s, -1);
	if ((got == 0) + (url != NULL) + (quiet != NULL) != 1) {
		if (got == 0)
			web_locator_clear(&l);
		return web_end(s, act_fail(a, "wait for one thing: an element "
		    "(a locator), url or network_quiet"));
	}
	if (web_deadline(a, WEB_DEFAULT_TIMEOUT_S, &until) != 0) {
		if (got == 0)
			web_locator_clear(&l);
		return web_end(s, -1);
	}
	if (url != NULL) {
		rc = wait_url(a, s, url, until);
	} else if (quiet != NULL) {
		rc = wait_quiet(a, s, act_num(a, "network_quiet", 0.5), until);
	} else if (act_bool(a, "gone", 0)) {
		rc = wait_gone(a, s, &l, until);
	} else {
		rc = web_find(a, s, &l, WEB_VISIBLE, until, &el);
		if (rc == 0) {
			a->out = json_pack("{s:O}", "element", el.info);
			web_element_clear(&el);
		}
	}
	if (got == 0)
		web_locator_clear(&l);
	if (rc == 0) {
		if (a->out == NULL)
			a->out = json_object();
		json_object_set_new(a->out, "waited_ms",
		    json_integer(time_mono_ms() - start));
	}
	return web_end(s, rc);
}
