/*
 * ydoc.c - build a position-keeping tree from libyaml's event stream.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "fsutil.h"
#include "textutil.h"
#include "xmalloc.h"
#include "ydoc.h"

#define YDOC_MAX_DEPTH	64

struct anchor {
	char		*name;
	struct ynode	*node;
	size_t		 nodes;		/* what a copy of it costs */
	size_t		 bytes;
};

struct loader {
	yaml_parser_t	 parser;
	struct ydoc	*doc;
	struct anchor	*anchors;
	size_t		 nanchors;
	json_t		*anchor_index;	/* name -> index into anchors */
	/* What the tree holds so far, aliases expanded: the budget. */
	size_t		 nodes;
	size_t		 bytes;
	size_t		 aliases;
	char		*err;
	size_t		 errlen;
};

static void node_free(struct ynode *);

/* Column in characters, not bytes: libyaml counts characters already. */
static struct ynode *
node_new(struct loader *l, enum ynode_kind kind, const yaml_mark_t *mark)
{
	struct ynode *n = xcalloc(1, sizeof *n);

	n->kind = kind;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	n->file = l->doc->file;
	l->nodes++;
	return n;
}

/*
 * Grow an array of pointers to hold n + 1: capacities are powers of two,
 * so that a long list or a big mapping costs linear time, not quadratic.
 */
static void *
grow(void *v, size_t n, size_t size)
{
	if (n == 0 || (n & (n - 1)) == 0)
		v = xreallocarray(v, n ? n * 2 : 1, size);
	return v;
}

static void
node_add(struct ynode *parent, struct ynode *key, struct ynode *item)
{
	parent->items = grow(parent->items, parent->n, sizeof *parent->items);
	if (parent->kind == YNODE_MAP) {
		parent->keys = grow(parent->keys, parent->n,
		    sizeof *parent->keys);
		parent->keys[parent->n] = key;
	}
	parent->items[parent->n++] = item;
}

static struct ynode *
node_copy(struct loader *l, const struct ynode *src)
{
	struct ynode *n = xcalloc(1, sizeof *n);
	size_t i;

	*n = *src;
	n->keys = NULL;
	n->items = NULL;
	if (src->value != NULL) {
		n->value = xmalloc(src->len + 1);
		memcpy(n->value, src->value, src->len + 1);
	}
	if (src->n > 0) {
		n->items = xcalloc(src->n, sizeof *n->items);
		if (src->kind == YNODE_MAP)
			n->keys = xcalloc(src->n, sizeof *n->keys);
	}
	for (i = 0; i < src->n; i++) {
		n->items[i] = node_copy(l, src->items[i]);
		if (src->kind == YNODE_MAP)
			n->keys[i] = node_copy(l, src->keys[i]);
	}
	l->nodes++;
	l->bytes += src->len;
	return n;
}

static void
node_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++) {
		node_free(n->items[i]);
		if (n->keys != NULL)
			node_free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->value);
	free(n);
}

static int
fail_at(struct loader *l, const yaml_mark_t *mark, const char *msg)
{
	snprintf(l->err, l->errlen, "%s:%zu:%zu: %s", l->doc->file,
	    mark->line + 1, mark->column + 1, msg);
	return -1;
}

static int
parser_error(struct loader *l)
{
	yaml_parser_t *p = &l->parser;
	const yaml_mark_t *m = &p->problem_mark;
	char msg[512];

	if (p->problem == NULL)
		return fail_at(l, m, "invalid YAML");
	if (p->context != NULL)
		snprintf(msg, sizeof msg, "YAML syntax error: %s %s",
		    p->problem, p->context);
	else
		snprintf(msg, sizeof msg, "YAML syntax error: %s", p->problem);
	return fail_at(l, m, msg);
}

/* Remember the anchor of node n, with what a copy of it will cost. */
static void
remember_anchor(struct loader *l, const yaml_char_t *name, struct ynode *n,
    size_t nodes, size_t bytes)
{
	struct anchor *a;

	if (name == NULL)
		return;
	l->anchors = grow(l->anchors, l->nanchors, sizeof *l->anchors);
	a = &l->anchors[l->nanchors];
	a->name = xstrdup((const char *)name);
	a->node = n;
	a->nodes = nodes;
	a->bytes = bytes;
	/* A name defined again means the newer node from here on. */
	json_object_set_new_nocheck(l->anchor_index, a->name,
	    json_integer((json_int_t)l->nanchors));
	l->nanchors++;
}

static struct anchor *
find_anchor(struct loader *l, const char *name)
{
	json_t *i = json_object_get(l->anchor_index, name);

	return i != NULL ? &l->anchors[json_integer_value(i)] : NULL;
}

static int parse_node(struct loader *, yaml_event_t *, int, struct ynode **);

static int
next_event(struct loader *l, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&l->parser, ev))
		return parser_error(l);
	return 0;
}

/*
 * Whether a mapping already has key.  Small mappings are searched; from
 * KEYSET_AFTER keys on a set of the keys is kept in *set, so that a
 * mapping of 40,000 keys is not 800 million comparisons.
 */
#define KEYSET_AFTER	8

static int
key_seen(json_t **set, const struct ynode *map, const struct ynode *key)
{
	size_t i;

	if (key->kind != YNODE_SCALAR)
		return 0;
	if (*set == NULL && map->n < KEYSET_AFTER) {
		for (i = 0; i < map->n; i++) {
			const struct ynode *k = map->keys[i];

			if (k->kind == YNODE_SCALAR && k->len == key->len &&
			    memcmp(k->value, key->value, key->len) == 0)
				return 1;
		}
		return 0;
	}
	if (*set == NULL) {
		*set = json_object();
		for (i = 0; i < map->n; i++)
			if (map->keys[i]->kind == YNODE_SCALAR)
				json_object_setn_new_nocheck(*set,
				    map->keys[i]->value, map->keys[i]->len,
				    json_null());
	}
	if (json_object_getn(*set, key->value, key->len) != NULL)
		return 1;
	json_object_setn_new_nocheck(*set, key->value, key->len, json_null());
	return 0;
}

/* Parse the children of a sequence or mapping until its end event. */
static int
parse_children(struct loader *l, struct ynode *parent, int depth)
{
	yaml_event_t ev;
	yaml_event_type_t end = parent->kind == YNODE_MAP ?
	    YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
	struct ynode *key, *item;
	json_t *keyset = NULL;
	int r = -1;

	for (;;) {
		if (next_event(l, &ev) != 0)
			goto out;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			r = 0;
			goto out;
		}
		if (parse_node(l, &ev, depth + 1, &key) != 0)
			goto out;
		if (parent->kind == YNODE_SEQ) {
			node_add(parent, NULL, key);
			continue;
		}
		if (key_seen(&keyset, parent, key)) {
			snprintf(l->err, l->errlen, "%s:%d:%d: duplicate key "
			    "'%.*s'", l->doc->file, key->line, key->col,
			    text_utf8_prefix(key->value, 100), key->value);
			node_free(key);
			goto out;
		}
		if (next_event(l, &ev) != 0 ||
		    parse_node(l, &ev, depth + 1, &item) != 0) {
			node_free(key);
			goto out;
		}
		node_add(parent, key, item);
	}
out:
	json_decref(keyset);
	return r;
}

/* The copy of an alias's node, within the document's budget. */
static int
expand_alias(struct loader *l, const yaml_event_t *ev, struct ynode **out)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct anchor *a = find_anchor(l, name);
	char msg[256];

	if (a == NULL)
		return fail_at(l, &ev->start_mark, "unknown alias");
	if (++l->aliases > YDOC_MAX_ALIASES) {
		snprintf(msg, sizeof msg, "more than %d aliases",
		    YDOC_MAX_ALIASES);
		return fail_at(l, &ev->start_mark, msg);
	}
	if (a->nodes > YDOC_MAX_NODES - l->nodes ||
	    a->bytes > YDOC_MAX_BYTES - l->bytes) {
		snprintf(msg, sizeof msg, "alias '*%.*s' would make the "
		    "document larger than %d values or %d bytes of text: "
		    "aliases may repeat a part, not multiply the document",
		    text_utf8_prefix(name, 40), name, YDOC_MAX_NODES,
		    YDOC_MAX_BYTES);
		return fail_at(l, &ev->start_mark, msg);
	}
	*out = node_copy(l, a->node);
	return 0;
}

/* Build the node that starts with event ev (which is consumed). */
static enum ynode_style
style_of(yaml_scalar_style_t style)
{
	switch (style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:	return YNODE_SINGLE;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:	return YNODE_DOUBLE;
	case YAML_LITERAL_SCALAR_STYLE:		return YNODE_LITERAL;
	case YAML_FOLDED_SCALAR_STYLE:		return YNODE_FOLDED;
	default:				return YNODE_PLAIN;
	}
}

static int
parse_node(struct loader *l, yaml_event_t *ev, int depth, struct ynode **out)
{
	struct ynode *n = NULL;
	size_t nodes = l->nodes, bytes = l->bytes;
	char msg[128];
	int r = 0;

	*out = NULL;
	if (depth > YDOC_MAX_DEPTH) {
		r = fail_at(l, &ev->start_mark, "nesting is too deep");
		yaml_event_delete(ev);
		return r;
	}
	if (l->nodes >= YDOC_MAX_NODES) {
		snprintf(msg, sizeof msg, "the document has more than %d "
		    "values", YDOC_MAX_NODES);
		r = fail_at(l, &ev->start_mark, msg);
		yaml_event_delete(ev);
		return r;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = node_new(l, YNODE_SCALAR, &ev->start_mark);
		n->len = ev->data.scalar.length;
		n->value = xmalloc(n->len + 1);
		memcpy(n->value, ev->data.scalar.value, n->len);
		n->value[n->len] = '\0';
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		n->style = style_of(ev->data.scalar.style);
		l->bytes += n->len;
		remember_anchor(l, ev->data.scalar.anchor, n, 1, n->len);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		n = node_new(l, ev->type == YAML_SEQUENCE_START_EVENT ?
		    YNODE_SEQ : YNODE_MAP, &ev->start_mark);
		if (parse_children(l, n, depth) != 0) {
			node_free(n);
			yaml_event_delete(ev);
			return -1;
		}
		remember_anchor(l, ev->type == YAML_SEQUENCE_START_EVENT ?
		    ev->data.sequence_start.anchor :
		    ev->data.mapping_start.anchor, n, l->nodes - nodes,
		    l->bytes - bytes);
		break;
	case YAML_ALIAS_EVENT:
		r = expand_alias(l, ev, &n);
		break;
	default:
		r = fail_at(l, &ev->start_mark, "unexpected YAML event");
		break;
	}
	yaml_event_delete(ev);
	*out = n;
	return r;
}

static int
parse_stream(struct loader *l)
{
	yaml_event_t ev;
	int seen_doc = 0;

	for (;;) {
		if (next_event(l, &ev) != 0)
			return -1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			return 0;
		case YAML_DOCUMENT_START_EVENT:
			if (seen_doc++) {
				int r = fail_at(l, &ev.start_mark,
				    "only one YAML document is allowed");

				yaml_event_delete(&ev);
				return r;
			}
			yaml_event_delete(&ev);
			break;
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			yaml_event_delete(&ev);
			break;
		default:
			if (parse_node(l, &ev, 0, &l->doc->root) != 0)
				return -1;
			break;
		}
	}
}

struct ydoc *
ydoc_load_string(const char *name, const char *text, size_t len, char *err,
    size_t errlen)
{
	struct loader l;
	size_t i;
	int r;

	if (len > YDOC_MAX_INPUT) {
		snprintf(err, errlen, "%s: larger than %u bytes", name,
		    YDOC_MAX_INPUT);
		return NULL;
	}
	memset(&l, 0, sizeof l);
	l.err = err;
	l.errlen = errlen;
	l.doc = xcalloc(1, sizeof *l.doc);
	l.doc->file = xstrdup(name);
	l.anchor_index = json_object();
	if (!yaml_parser_initialize(&l.parser)) {
		snprintf(err, errlen, "%s: cannot initialise the YAML parser",
		    name);
		ydoc_free(l.doc);
		return NULL;
	}
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)text,
	    len);
	r = parse_stream(&l);
	yaml_parser_delete(&l.parser);
	for (i = 0; i < l.nanchors; i++)
		free(l.anchors[i].name);
	free(l.anchors);
	json_decref(l.anchor_index);
	if (r != 0) {
		ydoc_free(l.doc);
		return NULL;
	}
	return l.doc;
}

struct ydoc *
ydoc_load_file(const char *path, char *err, size_t errlen)
{
	struct ydoc *doc;
	char *text;
	size_t len;

	if (fsutil_read(path, YDOC_MAX_INPUT, &text, &len, err, errlen) != 0)
		return NULL;
	doc = ydoc_load_string(path, text, len, err, errlen);
	free(text);
	return doc;
}

void
ydoc_free(struct ydoc *doc)
{
	if (doc == NULL)
		return;
	node_free(doc->root);
	free(doc->file);
	free(doc);
}

char *
ydoc_take_file(struct ydoc *doc)
{
	char *file = doc->file;

	doc->file = NULL;
	return file;
}

struct ynode *
ynode_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->kind != YNODE_MAP)
		return NULL;
	for (i = 0; i < map->n; i++) {
		if (ynode_is(map->keys[i], key))
			return map->items[i];
	}
	return NULL;
}

int
ynode_is(const struct ynode *n, const char *s)
{
	return n != NULL && n->kind == YNODE_SCALAR && strcmp(n->value, s) == 0;
}

const char *
ynode_kind_name(enum ynode_kind kind)
{
	switch (kind) {
	case YNODE_SCALAR:
		return "a scalar";
	case YNODE_SEQ:
		return "a list";
	case YNODE_MAP:
		return "a mapping";
	}
	return "?";
}

static int
parse_int(const char *s, json_int_t *v)
{
	char *end;
	long long x;
	int base = 10;
	const char *p = s;

	if (*p == '+' || *p == '-')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
		base = p[1] == 'x' ? 16 : 8;
		if (p != s)
			return -1;
		p += 2;
	} else {
		p = s;
	}
	if (*p == '\0')
		return -1;
	errno = 0;
	x = strtoll(p, &end, base);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = x;
	return 0;
}

static int
parse_float(const char *s, double *v)
{
	char *end;
	const char *p = s;

	if (strcmp(s, ".inf") == 0 || strcmp(s, "+.inf") == 0) {
		*v = INFINITY;
		return 0;
	}
	if (strcmp(s, "-.inf") == 0) {
		*v = -INFINITY;
		return 0;
	}
	if (*p == '+' || *p == '-')
		p++;
	/* Only what the core schema calls a float: digits, '.', exponent. */
	if (strspn(p, "0123456789.eE+-") != strlen(p) || *p == '\0' ||
	    strpbrk(p, "0123456789") == NULL)
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

json_t *
ynode_scalar_json(const struct ynode *n)
{
	const char *s = n->value;
	json_int_t i;
	double d;

	if (n->quoted)
		return json_stringn(s, n->len);
	if (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0)
		return json_null();
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0)
		return json_true();
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0)
		return json_false();
	if (parse_int(s, &i) == 0)
		return json_integer(i);
	if (parse_float(s, &d) == 0 && isfinite(d))
		return json_real(d);
	return json_stringn(s, n->len);
}

json_t *
ynode_to_json(const struct ynode *n)
{
	json_t *v;
	size_t i;

	if (n == NULL)
		return json_null();
	switch (n->kind) {
	case YNODE_SCALAR:
		return ynode_scalar_json(n);
	case YNODE_SEQ:
		v = json_array();
		for (i = 0; i < n->n; i++)
			json_array_append_new(v, ynode_to_json(n->items[i]));
		return v;
	case YNODE_MAP:
		v = json_object();
		for (i = 0; i < n->n; i++) {
			const char *k = n->keys[i]->kind == YNODE_SCALAR ?
			    n->keys[i]->value : "";

			json_object_set_new(v, k, ynode_to_json(n->items[i]));
		}
		return v;
	}
	return json_null();
}

/* --- typed getters ------------------------------------------------------ */

void
ysink_report(const struct ysink *sink, const struct ynode *n, const char *fmt,
    ...)
{
	va_list ap;
	char *msg, *line;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (n != NULL) {
		line = xasprintf("%s:%d:%d: %s", n->file ? n->file : "?",
		    n->line, n->col, msg);
		free(msg);
		msg = line;
	}
	sink->report(sink->arg, msg);
	free(msg);
}

int
ynode_want(const struct ynode *n, enum ynode_kind kind, const char *what,
    const struct ysink *sink)
{
	if (n->kind == kind)
		return 0;
	ysink_report(sink, n, "%s must be %s, not %s", what,
	    ynode_kind_name(kind), ynode_kind_name(n->kind));
	return -1;
}

const char *
ynode_text(const struct ynode *n, const char *what, const struct ysink *sink)
{
	return ynode_want(n, YNODE_SCALAR, what, sink) == 0 ? n->value : NULL;
}

char *
ynode_text_dup(const struct ynode *n, const char *what,
    const struct ysink *sink)
{
	const char *s = ynode_text(n, what, sink);

	return s != NULL ? xstrdup(s) : NULL;
}

/* " from 1 to 12", " of zero or more", "" - what a range adds to a type. */
static void
range_words(char *buf, size_t len, double min, double max)
{
	if (min == 0 && isinf(max) && max > 0)
		snprintf(buf, len, " of zero or more");
	else if (isinf(max) && isinf(min))
		buf[0] = '\0';
	else if (isinf(max))
		snprintf(buf, len, " of %.15g or more", min);
	else if (isinf(min))
		snprintf(buf, len, " of %.15g or less", max);
	else
		snprintf(buf, len, " from %.15g to %.15g", min, max);
}

/* The scalar's value typed by the core schema, or NULL when not a scalar. */
static json_t *
typed(const struct ynode *n, const char *what, const struct ysink *sink)
{
	return ynode_want(n, YNODE_SCALAR, what, sink) == 0 ?
	    ynode_scalar_json(n) : NULL;
}

int
ynode_number(const struct ynode *n, const char *what, double min, double max,
    double *out, const struct ysink *sink)
{
	json_t *v = typed(n, what, sink);
	char range[96];
	double d;

	if (v == NULL)
		return -1;
	d = json_is_number(v) ? json_number_value(v) : NAN;
	json_decref(v);
	if (isnan(d) || d < min || d > max) {
		range_words(range, sizeof range, min, max);
		ysink_report(sink, n, "%s must be a number%s, not '%s'", what,
		    range, n->value);
		return -1;
	}
	*out = d;
	return 0;
}

int
ynode_int(const struct ynode *n, const char *what, long long min,
    long long max, long long *out, const struct ysink *sink)
{
	json_t *v = typed(n, what, sink);
	char range[96];
	int ok;

	if (v == NULL)
		return -1;
	ok = json_is_integer(v) && json_integer_value(v) >= min &&
	    json_integer_value(v) <= max;
	if (ok)
		*out = json_integer_value(v);
	json_decref(v);
	if (ok)
		return 0;
	if (min == LLONG_MIN && max == LLONG_MAX)
		range[0] = '\0';
	else if (min == 0 && max == LLONG_MAX)
		snprintf(range, sizeof range, " of zero or more");
	else if (max == LLONG_MAX)
		snprintf(range, sizeof range, " of %lld or more", min);
	else
		snprintf(range, sizeof range, " from %lld to %lld", min, max);
	ysink_report(sink, n, "%s must be a whole number%s, not '%s'", what,
	    range, n->value);
	return -1;
}

int
ynode_bool(const struct ynode *n, const char *what, int *out,
    const struct ysink *sink)
{
	json_t *v = typed(n, what, sink);
	int ok;

	if (v == NULL)
		return -1;
	ok = json_is_boolean(v);
	if (ok)
		*out = json_is_true(v);
	json_decref(v);
	if (ok)
		return 0;
	ysink_report(sink, n, "%s must be true or false, not '%s'", what,
	    n->value);
	return -1;
}

int
ynode_duration(const struct ynode *n, const char *what, long long *ms,
    const struct ysink *sink)
{
	if (ynode_want(n, YNODE_SCALAR, what, sink) != 0)
		return -1;
	if (text_parse_duration(n->value, ms) == 0)
		return 0;
	ysink_report(sink, n, "%s must be a duration such as 30, 1.5s, 500ms "
	    "or 2m, not '%s'", what, n->value);
	return -1;
}

int
ynode_check_keys(const struct ynode *map, const char *what,
    const char *const *keys, const struct ysink *sink)
{
	const struct ynode *k;
	const char *near;
	size_t i, j;
	int bad = 0;

	for (i = 0; i < map->n; i++) {
		k = map->keys[i];
		if (k->kind != YNODE_SCALAR) {
			ysink_report(sink, k, "%s keys must be scalars", what);
			bad++;
			continue;
		}
		for (j = 0; keys[j] != NULL; j++)
			if (strcmp(k->value, keys[j]) == 0)
				break;
		if (keys[j] != NULL)
			continue;
		bad++;
		if ((near = text_nearest(k->value, keys, SIZE_MAX)) != NULL)
			ysink_report(sink, k, "unknown key '%s' in %s (did you "
			    "mean '%s'?)", k->value, what, near);
		else
			ysink_report(sink, k, "unknown key '%s' in %s",
			    k->value, what);
	}
	return bad;
}

/* --- positions inside scalars ------------------------------------------- */

/* The bytes of the UTF-8 character led by c (1 for a stray byte). */
static size_t
char_len(unsigned char c)
{
	if (c >= 0xF0 && c < 0xF8)
		return 4;
	if (c >= 0xE0)
		return c < 0xF0 ? 3 : 1;
	if (c >= 0xC0)
		return 2;
	return 1;
}

/*
 * The escape of a double-quoted scalar at s (a backslash): the bytes it
 * takes in the text and in the value.
 */
static void
escape_len(const char *s, size_t *slen, size_t *vlen)
{
	static const struct {
		char	c;
		size_t	hex, bytes;	/* hex digits; value bytes (0: by cp) */
	} escapes[] = {
		{ 'x', 2, 0 }, { 'u', 4, 0 }, { 'U', 8, 0 }, { 'N', 0, 2 },
		{ '_', 0, 2 }, { 'L', 0, 3 }, { 'P', 0, 3 },
	};
	unsigned long cp;
	size_t i, k;

	*slen = 2;
	*vlen = 1;
	for (i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		if (s[1] != escapes[i].c)
			continue;
		if (escapes[i].hex == 0) {
			*vlen = escapes[i].bytes;
			return;
		}
		for (k = 0, cp = 0; k < escapes[i].hex && isxdigit(
		    (unsigned char)s[2 + k]); k++)
			cp = cp * 16 + (unsigned long)(isdigit((unsigned char)
			    s[2 + k]) ? s[2 + k] - '0' : (s[2 + k] | 0x20) -
			    'a' + 10);
		*slen = 2 + k;
		*vlen = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		return;
	}
}

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
ydoc_pos_at(const char *text, int line, int col, enum ynode_style style,
    const char *value, size_t off, int *out_line, int *out_col)
{
	size_t i = 0, j = 0, n, slen, vlen;
	int l = 1, c = 1;

	*out_line = line;
	*out_col = col;
	while (text[i] != '\0' && l < line)
		if (text[i++] == '\n')
			l++;
	while (text[i] != '\0' && text[i] != '\n' && c < col) {
		i += char_len((unsigned char)text[i]);
		c++;
	}
	if (l != line || c != col)
		return;
	if (style == YNODE_SINGLE || style == YNODE_DOUBLE) {
		i++;
		c++;
	} else if (style == YNODE_LITERAL || style == YNODE_FOLDED) {
		/* The value starts on the line after the indicator. */
		while (text[i] != '\0' && text[i] != '\n')
			i++;
		if (text[i] == '\0')
			return;
		i++;
		l++;
		c = 1;
	}
	while (j < off) {
		unsigned char s = (unsigned char)text[i];
		unsigned char v = (unsigned char)value[j];

		if (s == '\0' || v == '\0')
			return;
		if (style == YNODE_DOUBLE && s == '\\' && text[i + 1] == '\n') {
			i += 2;			/* an escaped line break */
			l++;
			c = 1;
		} else if (style == YNODE_DOUBLE && s == '\\') {
			escape_len(text + i, &slen, &vlen);
			i += slen;
			c += (int)slen;
			j += vlen;
		} else if (style == YNODE_SINGLE && s == '\'' &&
		    text[i + 1] == '\'') {
			i += 2;
			c += 2;
			j++;
		} else if (s == v) {
			n = char_len(s);
			i += n;
			j += n;
			if (s == '\n') {
				l++;
				c = 1;
			} else
				c++;
		} else if (is_blank(s)) {
			/* Indentation, or a line break folded into a space. */
			i++;
			if (s == '\n') {
				l++;
				c = 1;
			} else
				c++;
		} else if (is_blank(v))
			j++;
		else
			return;		/* the text is not this value */
	}
	*out_line = l;
	*out_col = c;
}
