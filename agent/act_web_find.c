/*
 * act_web_find.c - finding elements for the web.* actions, the way a person
 * does: by CSS or XPath, by the text on them, by the label of a form field,
 * by role and accessible name; waiting until they are there.
 *
 * The search itself is one script run in the page (FIND_JS below), so that
 * a poll is one WebDriver round trip whatever the locator.  It returns the
 * element or says how close it came (nothing matched, matched but hidden,
 * disabled, read-only, fewer matches than nth).  When the wait ends empty,
 * the same script in "candidates" mode lists what the page does offer, and
 * the nearest of those (by edit distance) go into the error message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act_web.h"
#include "buf.h"
#include "textutil.h"
#include "timeutil.h"
#include "xmalloc.h"

#define POLL_FIRST_MS	25
#define POLL_MAX_MS	200
#define CANDIDATES	5

/*
 * arguments: [spec, need, mode]; spec {css, xpath, text, label, role, name,
 * match, nth, within}, need {visible, enabled, editable}, mode "find",
 * "count" or "candidates".  Text compares with white space (also U+3000)
 * ignored; labels also without a trailing colon or a required mark.
 */
static const char FIND_JS[] =
"const spec = arguments[0], need = arguments[1] || {}, mode = arguments[2];\n"
"const WS = /[\\s\\u3000\\u00a0\\u200b]+/g;\n"
"const norm = s => String(s == null ? '' : s).replace(WS, ' ').trim();\n"
"const squash = s => String(s == null ? '' : s).replace(WS, '');\n"
"const bare = s => squash(s).replace(/^[*＊※]+/, '')\n"
"  .replace(/[(（]必須[)）]$/, '').replace(/[:：*＊※]+$/, '');\n"
"const esc = s => s.replace(/[.*+?^${}()|[\\]\\\\]/g, '\\\\$&');\n"
"function like(have, want, how, label) {\n"
"  const f = label ? bare : squash, h = f(have), w = f(want);\n"
"  if (how === 'contains') return h.includes(w);\n"
"  if (how === 'word') return new RegExp('(^|[^\\\\p{L}\\\\p{N}])' +\n"
"    esc(norm(want)) + '($|[^\\\\p{L}\\\\p{N}])', 'u').test(norm(have));\n"
"  return h === w;\n"
"}\n"
"const BUTTONISH = /^(submit|button|reset)$/;\n"
"function textOf(e) {\n"
"  if (e.tagName === 'INPUT') return BUTTONISH.test(e.type) ? e.value : '';\n"
"  return e.innerText == null ? e.textContent : e.innerText;\n"
"}\n"
"function visible(e) {\n"
"  if (!e.isConnected) return false;\n"
"  if (e.tagName === 'OPTION') { const s = e.closest('select');\n"
"    return !s || visible(s); }\n"
"  if (e.checkVisibility && !e.checkVisibility({visibilityProperty: true}))\n"
"    return false;\n"
"  for (const r of e.getClientRects()) if (r.width > 0 && r.height > 0)\n"
"    return true;\n"
"  return false;\n"
"}\n"
"function enabled(e) {\n"
"  if (e.matches(':disabled')) return false;\n"
"  return !e.closest('[aria-disabled=\"true\"]');\n"
"}\n"
"function editable(e) {\n"
"  if (e.isContentEditable) return true;\n"
"  if (e.tagName === 'TEXTAREA') return !e.readOnly;\n"
"  if (e.tagName !== 'INPUT') return false;\n"
"  return !e.readOnly && !/^(submit|button|reset|checkbox|radio|file|"
"image|hidden)$/.test(e.type);\n"
"}\n"
"const IMPLICIT = {\n"
"  button: 'button,input[type=button],input[type=submit],input[type=reset],'\n"
"    + 'input[type=image],summary',\n"
"  link: 'a[href],area[href]',\n"
"  textbox: 'input:not([type]),input[type=text],input[type=email],'\n"
"    + 'input[type=tel],input[type=url],input[type=password],'\n"
"    + 'input[type=date],textarea',\n"
"  searchbox: 'input[type=search]', spinbutton: 'input[type=number]',\n"
"  checkbox: 'input[type=checkbox]', radio: 'input[type=radio]',\n"
"  combobox: 'select:not([multiple]):not([size]),input[list]',\n"
"  listbox: 'select[multiple],select[size]', option: 'option',\n"
"  heading: 'h1,h2,h3,h4,h5,h6', img: 'img', table: 'table', row: 'tr',\n"
"  cell: 'td', columnheader: 'th', list: 'ul,ol', listitem: 'li',\n"
"  navigation: 'nav', form: 'form', dialog: 'dialog', group: 'fieldset',\n"
"  slider: 'input[type=range]'\n"
"};\n"
"function roleOf(e) {\n"
"  const r = (e.getAttribute('role') || '').trim().split(/\\s+/)[0];\n"
"  if (r) return r;\n"
"  for (const k in IMPLICIT) if (e.matches(IMPLICIT[k])) return k;\n"
"  return '';\n"
"}\n"
"const NAMED_BY_CONTENT = /^(button|link|heading|cell|columnheader|option|"
"tab|menuitem|listitem|checkbox|radio|row|treeitem|switch|tooltip)$/;\n"
"function byIds(ids) {\n"
"  return ids.split(/\\s+/).map(i => document.getElementById(i))\n"
"    .filter(Boolean).map(x => x.innerText).join(' ');\n"
"}\n"
"function accName(e) {\n"
"  const by = e.getAttribute('aria-labelledby');\n"
"  if (by && norm(byIds(by))) return norm(byIds(by));\n"
"  const al = e.getAttribute('aria-label');\n"
"  if (al && norm(al)) return norm(al);\n"
"  if (e.labels && e.labels.length)\n"
"    return norm([...e.labels].map(l => l.innerText).join(' '));\n"
"  const t = e.tagName;\n"
"  if (t === 'INPUT') {\n"
"    if (BUTTONISH.test(e.type)) return norm(e.value ||\n"
"      (e.type === 'reset' ? 'Reset' : e.type === 'submit' ? 'Submit' : ''));\n"
"    if (e.type === 'image') return norm(e.alt || e.title);\n"
"    return norm(e.title || e.placeholder);\n"
"  }\n"
"  if (t === 'IMG' || t === 'AREA') return norm(e.alt || e.title);\n"
"  if (t === 'TABLE') return norm(e.caption ? e.caption.innerText : e.title);\n"
"  if (t === 'FIELDSET') { const l = e.querySelector(':scope > legend');\n"
"    return norm(l ? l.innerText : e.title); }\n"
"  if (t === 'SELECT' || t === 'TEXTAREA')\n"
"    return norm(e.title || e.placeholder || '');\n"
"  if (t === 'SUMMARY' || NAMED_BY_CONTENT.test(roleOf(e)))\n"
"    return norm(e.innerText);\n"
"  return norm(e.title);\n"
"}\n"
"const LIFT = 'button,a[href],[role=button],[role=link],[role=tab],'\n"
"  + '[role=menuitem],[role=option],label,summary,option';\n"
"function byText(scope, want, how) {\n"
"  const w = squash(want), out = [];\n"
"  for (const e of scope.querySelectorAll('*')) {\n"
"    if (/^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE|HEAD|TITLE|HTML|BODY|FRAMESET)$/\n"
"      .test(e.tagName)) continue;\n"
"    if (e.tagName === 'INPUT') {\n"
"      if (BUTTONISH.test(e.type) && like(e.value, want, how)) out.push(e);\n"
"      continue;\n"
"    }\n"
"    if (!squash(e.textContent).includes(w)) continue;\n"
"    let deeper = false;\n"
"    for (const c of e.children)\n"
"      if (squash(c.textContent).includes(w)) { deeper = true; break; }\n"
"    if (deeper || !like(textOf(e), want, how)) continue;\n"
"    const up = e.closest(LIFT);\n"
"    out.push(up && (scope === document || scope.contains(up)) ? up : e);\n"
"  }\n"
"  return out;\n"
"}\n"
"const CONTROL = 'input:not([type=hidden]),select,textarea,'\n"
"  + '[contenteditable=\"\"],[contenteditable=true],[role=textbox],'\n"
"  + '[role=combobox],[role=checkbox],[role=radio],[role=spinbutton],'\n"
"  + '[role=switch],[role=listbox],[role=slider]';\n"
"function controlIn(n) {\n"
"  return n.matches(CONTROL) ? n : n.querySelector(CONTROL);\n"
"}\n"
"function byLabel(scope, want, how) {\n"
"  const out = [], add = c => { if (c && !out.includes(c)) out.push(c); };\n"
"  for (const l of scope.querySelectorAll('label'))\n"
"    if (like(l.innerText, want, how, true)) add(l.control);\n"
"  for (const e of scope.querySelectorAll('[aria-labelledby]'))\n"
"    if (like(byIds(e.getAttribute('aria-labelledby')), want, how, true))\n"
"      add(e);\n"
"  for (const e of scope.querySelectorAll('[aria-label]'))\n"
"    if (e.matches(CONTROL) &&\n"
"      like(e.getAttribute('aria-label'), want, how, true)) add(e);\n"
"  for (const c of scope.querySelectorAll('th,td,dt')) {\n"
"    if (!like(c.innerText, want, how, true)) continue;\n"
"    for (let n = c.nextElementSibling; n; n = n.nextElementSibling) {\n"
"      const f = controlIn(n);\n"
"      if (f) { add(f); break; }\n"
"    }\n"
"  }\n"
"  const tw = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);\n"
"  for (let t = tw.nextNode(); t; t = tw.nextNode()) {\n"
"    if (!norm(t.data) || !like(t.data, want, how, true)) continue;\n"
"    let from = t;\n"
"    while (from.parentElement && from.parentElement !== scope &&\n"
"      !/^(LABEL|TD|TH|DT|DD|LI|P|DIV|BODY|FORM)$/\n"
"        .test(from.parentElement.tagName) &&\n"
"      norm(from.parentElement.textContent) === norm(t.data))\n"
"      from = from.parentElement;\n"
"    for (let n = from.nextSibling; n; n = n.nextSibling) {\n"
"      if (n.nodeType === 3) { if (norm(n.data)) break; continue; }\n"
"      if (n.nodeType !== 1) continue;\n"
"      const f = controlIn(n);\n"
"      if (f) { add(f); break; }\n"
"      if (norm(n.textContent)) break;\n"
"    }\n"
"  }\n"
"  for (const e of scope.querySelectorAll('[placeholder],[title]'))\n"
"    if (e.matches(CONTROL) && (like(e.getAttribute('placeholder'), want,\n"
"      how, true) || like(e.title, want, how, true))) add(e);\n"
"  return out;\n"
"}\n"
"function byRole(scope, role) {\n"
"  const sel = '[role]' + (IMPLICIT[role] ? ',' + IMPLICIT[role] : '');\n"
"  return [...scope.querySelectorAll(sel)].filter(e => roleOf(e) === role);\n"
"}\n"
"function byXpath(scope, xp) {\n"
"  const r = document.evaluate(xp, scope, null,\n"
"    XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null), out = [];\n"
"  for (let i = 0; i < r.snapshotLength; i++) {\n"
"    const n = r.snapshotItem(i);\n"
"    const e = n.nodeType === 1 ? n : n.parentElement;\n"
"    if (e && !out.includes(e)) out.push(e);\n"
"  }\n"
"  return out;\n"
"}\n"
"function gather(sp, scope) {\n"
"  let set;\n"
"  if (sp.css != null) set = [...scope.querySelectorAll(sp.css)];\n"
"  else if (sp.xpath != null) set = byXpath(scope, sp.xpath);\n"
"  else if (sp.role != null) set = byRole(scope, sp.role);\n"
"  else if (sp.label != null) set = byLabel(scope, sp.label, sp.match);\n"
"  else set = byText(scope, sp.text, sp.match);\n"
"  const base = sp.css != null || sp.xpath != null || sp.role != null;\n"
"  if (base && sp.label != null) {\n"
"    const l = byLabel(scope, sp.label, sp.match);\n"
"    set = set.filter(e => l.includes(e));\n"
"  }\n"
"  if ((base || sp.label != null) && sp.text != null)\n"
"    set = set.filter(e => like(textOf(e), sp.text, sp.match));\n"
"  if (sp.name != null) set = set.filter(e => like(accName(e), sp.name,\n"
"    sp.match));\n"
"  if (scope !== document) set = set.filter(e => scope.contains(e));\n"
"  return [...new Set(set)];\n"
"}\n"
"function describe(e) {\n"
"  let d = e.tagName.toLowerCase();\n"
"  if (e.id) d += '#' + e.id;\n"
"  if (e.getAttribute('name')) d += '[name=' + e.getAttribute('name') + ']';\n"
"  if (e.tagName === 'INPUT') d += '[type=' + e.type + ']';\n"
"  return d;\n"
"}\n"
"function info(e, r) {\n"
"  r.tag = e.tagName.toLowerCase();\n"
"  r.type = e.tagName === 'INPUT' ? e.type : '';\n"
"  r.desc = describe(e);\n"
"  r.name = accName(e).slice(0, 80);\n"
"  return r;\n"
"}\n"
"function pick(sp, scope, nd) {\n"
"  const all = gather(sp, scope);\n"
"  const vis = nd.visible ? all.filter(visible) : all;\n"
"  if (!all.length) return {state: 'none', count: 0};\n"
"  if (!vis.length) return {state: 'hidden', count: all.length};\n"
"  const n = sp.nth || 1, i = n > 0 ? n - 1 : vis.length + n;\n"
"  if (i < 0 || i >= vis.length) return {state: 'nth', count: vis.length};\n"
"  const e = vis[i];\n"
"  const r = {el: e, count: vis.length, index: i, state: 'ok'};\n"
"  if (nd.enabled && !enabled(e)) r.state = 'disabled';\n"
"  else if (nd.editable && !editable(e)) r.state = 'readonly';\n"
"  return info(e, r);\n"
"}\n"
"function scopeOf(sp) {\n"
"  if (sp.within == null) return document;\n"
"  const w = typeof sp.within === 'string' ? {css: sp.within} : sp.within;\n"
"  const s = scopeOf(w);\n"
"  if (!s) return null;\n"
"  const r = pick(w, s, {visible: true});\n"
"  return r.state === 'ok' ? r.el : null;\n"
"}\n"
"function candidates(scope) {\n"
"  const out = [], seen = new Set();\n"
"  const pool = scope.querySelectorAll('a[href],button,input,select,'\n"
"    + 'textarea,label,th,td,dt,summary,legend,caption,h1,h2,h3,h4,h5,h6,'\n"
"    + '[role],[onclick],[title],[placeholder],span,div,li,p,font,b');\n"
"  for (const e of pool) {\n"
"    if (out.length >= 400) break;\n"
"    if (e.tagName === 'INPUT' && e.type === 'hidden') continue;\n"
"    if (!visible(e)) continue;\n"
"    let name = accName(e);\n"
"    const leaf = !e.querySelector('a,button,input,select,textarea,td,th,'\n"
"      + 'div,p,li,span');\n"
"    if (!name && leaf) name = norm(textOf(e)).slice(0, 60);\n"
"    const lab = /^(LABEL|TH|DT)$/.test(e.tagName) ? 1 : 0;\n"
"    const fld = e.matches(CONTROL) ? 1 : 0;\n"
"    if (!name && !fld) continue;\n"
"    const key = name + '\\u0001' + describe(e);\n"
"    if (seen.has(key)) continue;\n"
"    seen.add(key);\n"
"    out.push({name: name, desc: describe(e), role: roleOf(e), label: lab,\n"
"      field: fld});\n"
"  }\n"
"  return out;\n"
"}\n"
"try {\n"
"  const scope = scopeOf(spec);\n"
"  if (mode === 'candidates') return candidates(scope || document);\n"
"  if (!scope) return {state: 'nocontainer', count: 0};\n"
"  if (mode === 'all') {\n"
"    const all = gather(spec, scope);\n"
"    return {els: need.visible ? all.filter(visible) : all};\n"
"  }\n"
"  if (mode === 'count') {\n"
"    const all = gather(spec, scope);\n"
"    const ok = all.filter(e => (!need.visible || visible(e)) &&\n"
"      (!need.enabled || enabled(e)));\n"
"    return {count: all.length, meeting: ok.length};\n"
"  }\n"
"  return pick(spec, scope, need);\n"
"} catch (x) {\n"
"  return {state: 'invalid', message: String(x && x.message || x)};\n"
"}\n";

/*
 * The current frame's document as HTML, with what was typed into its
 * forms written into the markup (so the artifact shows the form as it
 * was), password fields blanked, and a UTF-8 charset declaration.
 */
static const char HTML_JS[] =
"const root = document.documentElement.cloneNode(true);\n"
"const src = document.querySelectorAll('input,textarea,select');\n"
"const dst = root.querySelectorAll('input,textarea,select');\n"
"src.forEach((e, i) => {\n"
"  const d = dst[i];\n"
"  if (!d) return;\n"
"  if (e.tagName === 'TEXTAREA') { d.textContent = e.value; return; }\n"
"  if (e.tagName === 'SELECT') {\n"
"    [...e.options].forEach((o, j) => { if (!d.options[j]) return;\n"
"      if (o.selected) d.options[j].setAttribute('selected', '');\n"
"      else d.options[j].removeAttribute('selected'); });\n"
"    return;\n"
"  }\n"
"  if (e.type === 'checkbox' || e.type === 'radio') {\n"
"    if (e.checked) d.setAttribute('checked', '');\n"
"    else d.removeAttribute('checked');\n"
"  } else if (e.type !== 'file') d.setAttribute('value', e.value);\n"
"});\n"
"root.querySelectorAll('input[type=password i]').forEach(d =>\n"
"  d.setAttribute('value', ''));\n"
"root.querySelectorAll('meta[charset],meta[http-equiv]').forEach(m => {\n"
"  if (m.hasAttribute('charset') ||\n"
"    /content-type/i.test(m.getAttribute('http-equiv'))) m.remove(); });\n"
"const head = root.querySelector('head');\n"
"if (head) { const m = document.createElement('meta');\n"
"  m.setAttribute('charset', 'utf-8'); head.prepend(m); }\n"
"return '<!DOCTYPE html>\\n' + root.outerHTML;\n";

/* --- locators ------------------------------------------------------------- */

/* text last: the actions that type take text as what to type. */
static const char *const locator_keys[] = {
	"css", "xpath", "role", "label", "text",
};
#define NKEYS(flags) (sizeof locator_keys / sizeof *locator_keys - \
	((flags) & WEB_LOC_NO_TEXT ? 1 : 0))

static const char *const match_words[] = { "exact", "contains", "word" };

static int
get_within(struct act *a, json_t *w, json_t **out)
{
	json_t *spec;
	const char *k;
	json_t *v;
	size_t i;
	int known;

	if (json_is_string(w)) {
		*out = json_pack("{s:s}", "css", json_string_value(w));
		return 0;
	}
	if (!json_is_object(w))
		return act_fail(a, "within must be a CSS selector or a "
		    "locator mapping (css, xpath, text, label, role, name)");
	spec = json_object();
	json_object_foreach(w, k, v) {
		known = strcmp(k, "name") == 0 || strcmp(k, "match") == 0 ||
		    strcmp(k, "nth") == 0 || strcmp(k, "within") == 0;
		for (i = 0; i < sizeof locator_keys / sizeof *locator_keys; i++)
			known |= strcmp(k, locator_keys[i]) == 0;
		if (!known) {
			json_decref(spec);
			return act_fail(a, "within: unknown key '%s'", k);
		}
		if (strcmp(k, "within") == 0) {
			json_t *inner;

			if (get_within(a, v, &inner) != 0) {
				json_decref(spec);
				return -1;
			}
			json_object_set_new(spec, k, inner);
		} else {
			json_object_set(spec, k, v);
		}
	}
	*out = spec;
	return 0;
}

/* "the button named '登録'", "the field labelled '氏名'", ... */
static char *
describe_locator(const json_t *spec)
{
	const char *css = json_string_value(json_object_get(spec, "css"));
	const char *xp = json_string_value(json_object_get(spec, "xpath"));
	const char *role = json_string_value(json_object_get(spec, "role"));
	const char *label = json_string_value(json_object_get(spec, "label"));
	const char *text = json_string_value(json_object_get(spec, "text"));
	const char *name = json_string_value(json_object_get(spec, "name"));
	json_int_t nth = json_integer_value(json_object_get(spec, "nth"));
	struct buf b;

	buf_init(&b, 4096);
	if (css != NULL)
		buf_printf(&b, "an element matching CSS '%s'", css);
	else if (xp != NULL)
		buf_printf(&b, "an element matching XPath '%s'", xp);
	else if (role != NULL)
		buf_printf(&b, "a %s", role);
	else if (label != NULL)
		buf_printf(&b, "the field labelled '%s'", label);
	else
		buf_printf(&b, "an element with the text '%s'", text);
	if (role != NULL && name != NULL)
		buf_printf(&b, " named '%s'", name);
	else if (name != NULL)
		buf_printf(&b, " with the accessible name '%s'", name);
	if (label != NULL && (css || xp || role))
		buf_printf(&b, " labelled '%s'", label);
	if (text != NULL && (css || xp || role || label))
		buf_printf(&b, " with the text '%s'", text);
	if (nth != 0)
		buf_printf(&b, " (match %" JSON_INTEGER_FORMAT ")", nth);
	if (json_object_get(spec, "within") != NULL) {
		char *in = describe_locator(json_object_get(spec, "within"));

		buf_printf(&b, " inside %s", in);
		free(in);
	}
	return buf_detach(&b, NULL);
}

int
web_locator_get(struct act *a, struct web_locator *l, unsigned flags)
{
	const char *match = act_str(a, "match", NULL), *q = NULL;
	json_t *v, *within;
	size_t i;
	int any = 0, ok;

	memset(l, 0, sizeof *l);
	for (i = 0; i < NKEYS(flags); i++)
		any |= act_arg(a, locator_keys[i]) != NULL;
	if (!any) {
		if (act_arg(a, "name") != NULL)
			return act_fail(a, "name needs role (role: button, "
			    "name: 登録)");
		if (flags & WEB_LOC_REQUIRED)
			return act_fail(a, "say which element: give css, xpath, "
			    "text, label or role");
		return 1;
	}
	if (match != NULL) {
		ok = 0;
		for (i = 0; i < 3; i++)
			ok |= strcmp(match, match_words[i]) == 0;
		if (!ok)
			return act_fail(a, "match must be exact, contains or "
			    "word, not '%s'", match);
	}
	if (act_int(a, "nth", 1) == 0)
		return act_fail(a, "nth counts from 1 (the first) or from -1 "
		    "(the last); 0 is neither");
	l->spec = json_object();
	for (i = 0; i < NKEYS(flags); i++) {
		if ((v = act_arg(a, locator_keys[i])) != NULL)
			json_object_set(l->spec, locator_keys[i], v);
	}
	if ((v = act_arg(a, "name")) != NULL)
		json_object_set(l->spec, "name", v);
	if (match != NULL)
		json_object_set_new(l->spec, "match", json_string(match));
	if ((v = act_arg(a, "nth")) != NULL)
		json_object_set(l->spec, "nth", v);
	if ((v = act_arg(a, "within")) != NULL) {
		if (get_within(a, v, &within) != 0) {
			web_locator_clear(l);
			return -1;
		}
		json_object_set_new(l->spec, "within", within);
	}
	l->what = describe_locator(l->spec);
	/* What a person would read on the thing wanted, else its selector. */
	q = (flags & WEB_LOC_NO_TEXT) ? NULL : act_str(a, "text", NULL);
	if (q == NULL)
		q = act_str(a, "name", NULL);
	if (q == NULL)
		q = act_str(a, "label", NULL);
	if (q == NULL)
		q = act_str(a, "css", NULL);
	if (q == NULL)
		q = act_str(a, "xpath", "");
	l->query = xstrdup(q);
	return 0;
}

void
web_locator_clear(struct web_locator *l)
{
	json_decref(l->spec);
	free(l->what);
	free(l->query);
	memset(l, 0, sizeof *l);
}

void
web_element_clear(struct web_element *e)
{
	free(e->id);
	json_decref(e->info);
	memset(e, 0, sizeof *e);
}

int
web_deadline(struct act *a, double default_s, int64_t *until)
{
	double secs = act_num(a, "timeout", default_s);
	int64_t left = act_remaining_ms(a), ms;

	if (secs < 0 || secs > 86400)
		return act_fail(a, "timeout must be between 0 and 86400 "
		    "seconds, not %g", secs);
	ms = (int64_t)(secs * 1000);
	if (ms > left)
		ms = left;
	*until = time_mono_ms() + ms;
	return 0;
}

/* --- the search ------------------------------------------------------------- */

static json_t *
need_json(unsigned need)
{
	return json_pack("{s:b, s:b, s:b}", "visible", (need & WEB_VISIBLE) != 0,
	    "enabled", (need & WEB_ENABLED) != 0, "editable",
	    (need & WEB_EDITABLE) != 0);
}

/* One run of FIND_JS; the page's answer in *res. */
static int
run_find(struct act *a, struct web_session *s, const json_t *spec,
    unsigned need, const char *mode, json_t **res)
{
	return wd_execute(s->wd, FIND_JS, json_pack("[O, o, s]", spec,
	    need_json(need), mode), res, web_cmd_timeout(a, 30000));
}

char *
web_json_brief(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), *r;

	if (s == NULL)
		return xstrdup("?");
	if (strlen(s) <= 200)
		return s;
	r = xasprintf("%.200s...", s);
	free(s);
	return r;
}

struct cand {
	const char	*name;
	const char	*desc;
	size_t		 dist;
	size_t		 pos;		/* in the page, for ties */
};

static int
cand_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;

	if (a->dist != b->dist)
		return a->dist < b->dist ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Whether the name was already shown (one line per text is enough). */
static int
shown_before(const struct cand *v, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++) {
		if (strcmp(v[j].name, v[i].name) == 0)
			return 1;
	}
	return 0;
}

/* The nearest things the page offers, as '"登録する" (button#ok), ...'. */
static void
nearest(struct act *a, struct web_session *s, const struct web_locator *l,
    struct buf *msg)
{
	json_t *list = NULL, *c;
	struct cand *v;
	size_t i, n = 0, shown = 0;
	int want_label = json_object_get(l->spec, "label") != NULL;
	int by_desc = json_object_get(l->spec, "css") != NULL ||
	    json_object_get(l->spec, "xpath") != NULL;

	if (run_find(a, s, l->spec, 0, "candidates", &list) != 0 ||
	    !json_is_array(list) || json_array_size(list) == 0) {
		json_decref(list);
		buf_puts(msg, "; the page offers nothing close");
		return;
	}
	v = xcalloc(json_array_size(list), sizeof *v);
	json_array_foreach(list, i, c) {
		v[n].name = json_string_value(json_object_get(c, "name"));
		v[n].desc = json_string_value(json_object_get(c, "desc"));
		if (v[n].name == NULL || v[n].desc == NULL ||
		    (*v[n].name == '\0' && !by_desc))
			continue;
		/* A label is looked for among labels and named fields. */
		if (want_label && json_integer_value(json_object_get(c,
		    "label")) == 0 && json_integer_value(json_object_get(c,
		    "field")) == 0)
			continue;
		v[n].dist = text_distance(l->query, by_desc ? v[n].desc :
		    v[n].name);
		v[n].pos = i;
		n++;
	}
	qsort(v, n, sizeof *v, cand_cmp);
	for (i = 0; i < n && shown < CANDIDATES; i++) {
		if (shown_before(v, i))
			continue;
		buf_printf(msg, "%s\"%s\" (%s)", shown ? ", " : "; nearest: ",
		    v[i].name, v[i].desc);
		shown++;
	}
	if (shown == 0)
		buf_puts(msg, "; the page offers nothing close");
	free(v);
	json_decref(list);
}

/* The error once the wait is over, from the last answer's state. */
static int
not_found(struct act *a, struct web_session *s, const struct web_locator *l,
    const json_t *last)
{
	double secs = act_num(a, "timeout", WEB_DEFAULT_TIMEOUT_S);
	const char *state = json_string_value(json_object_get(last, "state"));
	json_int_t count = json_integer_value(json_object_get(last, "count"));
	char *where = web_where(s);
	struct buf msg;
	int rc;

	buf_init(&msg, sizeof a->err);
	if (state == NULL || strcmp(state, "none") == 0)
		buf_printf(&msg, "%s did not appear within %g s", l->what,
		    secs);
	else if (strcmp(state, "hidden") == 0)
		buf_printf(&msg, "%s is there (%" JSON_INTEGER_FORMAT
		    ") but not visible after %g s", l->what, count,
		    secs);
	else if (strcmp(state, "disabled") == 0)
		buf_printf(&msg, "%s is there but disabled after %g s", l->what,
		    secs);
	else if (strcmp(state, "readonly") == 0)
		buf_printf(&msg, "%s is there but read-only", l->what);
	else if (strcmp(state, "nth") == 0)
		buf_printf(&msg, "%s: only %" JSON_INTEGER_FORMAT " match%s",
		    l->what, count, count == 1 ? "" : "es");
	else if (strcmp(state, "nocontainer") == 0)
		buf_printf(&msg, "%s: the container did not appear within %g s",
		    l->what, secs);
	else
		buf_printf(&msg, "%s: %s", l->what, state);
	buf_printf(&msg, " on %s", where);
	if (state == NULL || strcmp(state, "none") == 0 ||
	    strcmp(state, "nocontainer") == 0)
		nearest(a, s, l, &msg);
	rc = act_fail(a, "%s", buf_str(&msg));
	text_utf8_trim_partial(a->err);
	buf_free(&msg);
	free(where);
	return rc;
}

/* Errors that another poll may cure: the page is changing under us. */
static int
transient(enum wd_code c)
{
	return c == WD_STALE || c == WD_NO_ELEMENT || c == WD_INTERCEPTED ||
	    c == WD_NOT_INTERACTABLE || c == WD_SCRIPT;
}

static int
alert_open(struct act *a, struct web_session *s)
{
	return act_fail(a, "a dialog is open (%s); answer it with web.dialog "
	    "first", wd_error(s->wd));
}

int
web_find(struct act *a, struct web_session *s, const struct web_locator *l,
    unsigned need, int64_t until, struct web_element *el)
{
	json_t *res = NULL, *last = NULL;
	const char *state;
	int64_t pause = POLL_FIRST_MS;

	memset(el, 0, sizeof *el);
	for (;;) {
		if (act_cancelled(a))
			return act_fail(a, "the run was cancelled");
		if (run_find(a, s, l->spec, need, "find", &res) != 0) {
			if (wd_code(s->wd) == WD_ALERT_OPEN)
				return alert_open(a, s);
			if (!transient(wd_code(s->wd)) ||
			    time_mono_ms() >= until) {
				json_decref(last);
				return web_fail(a, s, "cannot search the page");
			}
		} else {
			state = json_string_value(json_object_get(res, "state"));
			if (state != NULL && strcmp(state, "ok") == 0 &&
			    wd_element_id(json_object_get(res, "el")) != NULL) {
				el->id = xstrdup(wd_element_id(json_object_get(
				    res, "el")));
				json_object_del(res, "el");
				el->info = res;
				json_decref(last);
				return 0;
			}
			if (state != NULL && strcmp(state, "invalid") == 0) {
				act_fail(a, "%s: %s", l->what,
				    json_string_value(json_object_get(res,
				    "message")));
				json_decref(res);
				json_decref(last);
				return -1;
			}
			json_decref(last);
			last = res;
		}
		if (time_mono_ms() >= until)
			break;
		web_sleep(a, s, pause);
		pause = pause * 3 / 2 > POLL_MAX_MS ? POLL_MAX_MS :
		    pause * 3 / 2;
	}
	not_found(a, s, l, last);
	json_decref(last);
	return -1;
}

int
web_on_element(struct act *a, struct web_session *s,
    const struct web_locator *l, unsigned need, web_op op, void *arg)
{
	struct web_element el;
	int64_t until;
	char saved[sizeof a->err];

	if (web_deadline(a, WEB_DEFAULT_TIMEOUT_S, &until) != 0)
		return -1;
	for (;;) {
		if (web_find(a, s, l, need, until, &el) != 0)
			return -1;
		if (op(a, s, &el, arg) == 0) {
			web_element_clear(&el);
			return 0;
		}
		web_element_clear(&el);
		/* Only a page that changed between the find and the op is
		 * worth another look; op has set a->err. */
		if (!transient(wd_code(s->wd)) || time_mono_ms() >= until)
			return -1;
		memcpy(saved, a->err, sizeof saved);
		web_sleep(a, s, POLL_FIRST_MS);
		memcpy(a->err, saved, sizeof saved);
	}
}

/* One look in mode; -1 after act_fail, also for a locator the page
 * cannot use (an invalid selector). */
static int
look(struct act *a, struct web_session *s, const struct web_locator *l,
    unsigned need, const char *mode, json_t **res)
{
	if (run_find(a, s, l->spec, need, mode, res) != 0) {
		if (wd_code(s->wd) == WD_ALERT_OPEN)
			return alert_open(a, s);
		return web_fail(a, s, "cannot search the page");
	}
	if (json_object_get(*res, "message") != NULL) {
		act_fail(a, "%s: %s", l->what, json_string_value(
		    json_object_get(*res, "message")));
		json_decref(*res);
		*res = NULL;
		return -1;
	}
	return 0;
}

int
web_count(struct act *a, struct web_session *s, const struct web_locator *l,
    unsigned need, long *matches, long *meeting)
{
	json_t *res;

	if (look(a, s, l, need, "count", &res) != 0)
		return -1;
	*matches = (long)json_integer_value(json_object_get(res, "count"));
	*meeting = (long)json_integer_value(json_object_get(res, "meeting"));
	json_decref(res);
	return 0;
}

int
web_find_all(struct act *a, struct web_session *s,
    const struct web_locator *l, unsigned need, json_t **els)
{
	json_t *res;

	*els = NULL;
	if (look(a, s, l, need, "all", &res) != 0)
		return -1;
	*els = json_incref(json_object_get(res, "els"));
	json_decref(res);
	if (!json_is_array(*els)) {
		json_decref(*els);
		*els = json_array();
	}
	return 0;
}

char *
web_page_html(struct act *a, struct web_session *s)
{
	json_t *v;
	char *html, *masked;

	if (wd_execute(s->wd, HTML_JS, NULL, &v, web_cmd_timeout(a, 10000))
	    != 0)
		return NULL;
	html = xstrdup(json_is_string(v) ? json_string_value(v) : "");
	json_decref(v);
	masked = act_masked(a, html);
	explicit_bzero(html, strlen(html));
	free(html);
	return masked;
}
