/*
 * opts.c - a program's options from one table: command line, configuration
 * file, --help and man page (see opts.h).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "xmalloc.h"
#include "ydoc.h"

/* getopt_long values of the two options every program has. */
#define KEY_HELP	(-2)
#define KEY_MAN		(-3)

static void *
field(const struct opts *o, const struct opt *e)
{
	return (char *)o->out + e->off;
}

/* The configuration key of an option: '-' becomes '_'. */
static void
key_of(const struct opt *e, char *out, size_t len)
{
	size_t i;

	snprintf(out, len, "%s", e->name);
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] == '-')
			out[i] = '_';
}

static void
set_text(char **p, const char *v)
{
	free(*p);
	*p = xstrdup(v);
}

/* Append each entry of a comma list (empty entries skipped). */
static void
list_add(struct opt_list *l, const char *v)
{
	const char *p = v, *comma;

	while (*p != '\0') {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		if (comma > p) {
			l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
			l->v[l->n++] = xstrndup(p, (size_t)(comma - p));
		}
		p = *comma ? comma + 1 : comma;
	}
}

static void
list_clear(struct opt_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* A word of e->words into *out; -1 with the message in err. */
static int
pick_word(const struct opt *e, const char *v, int *out, char *err,
    size_t errlen)
{
	const struct opt_word *w;
	size_t len = 0;

	for (w = e->words; w->text != NULL; w++) {
		if (strcmp(w->text, v) == 0) {
			*out = w->value;
			return 0;
		}
	}
	len += (size_t)snprintf(err, errlen, "must be one of");
	for (w = e->words; w->text != NULL && len < errlen; w++)
		len += (size_t)snprintf(err + len, errlen - len, "%s %s",
		    w == e->words ? "" : ",", w->text);
	if (len < errlen)
		snprintf(err + len, errlen - len, ", not '%s'", v);
	return -1;
}

static int
parse_int(const struct opt *e, const char *v, long long *out, char *err,
    size_t errlen)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < e->min ||
	    n > e->max) {
		snprintf(err, errlen, "needs a whole number from %lld to %lld, "
		    "not '%s'", e->min, e->max, v);
		return -1;
	}
	*out = n;
	return 0;
}

/* Store a command-line value; -1 with the message in err. */
static int
set_arg(struct opts *o, const struct opt *e, const char *v, char *err,
    size_t errlen)
{
	void *p = field(o, e);
	size_t i = (size_t)(e - o->table);

	switch (e->kind) {
	case OPT_FLAG:
		*(int *)p = 1;
		break;
	case OPT_TEXT:
		set_text(p, v);
		break;
	case OPT_INT:
		if (parse_int(e, v, p, err, errlen) != 0)
			return -1;
		break;
	case OPT_WORD:
		if (pick_word(e, v, p, err, errlen) != 0)
			return -1;
		break;
	case OPT_LIST:
		/* The command line replaces the file's list, not adds. */
		if (!o->given[i])
			list_clear(p);
		list_add(p, v);
		break;
	}
	o->given[i] = 1;
	return 0;
}

int
opts_parse(struct opts *o, int argc, char **argv, int start, int *next)
{
	struct option *lo = xcalloc(o->n + 3, sizeof *lo);
	char err[256];
	size_t i;
	int c, idx, rc = 0;

	free(o->given);
	o->given = xcalloc(o->n + 1, 1);
	for (i = 0; i < o->n; i++) {
		lo[i].name = o->table[i].name;
		lo[i].has_arg = o->table[i].kind == OPT_FLAG ? no_argument :
		    required_argument;
		lo[i].val = (int)i;
	}
	lo[i].name = "help";
	lo[i++].val = KEY_HELP;
	lo[i].name = "help-man";
	lo[i++].val = KEY_MAN;
	optind = start;
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, ":", lo, &idx)) != -1) {
		if (c == KEY_HELP) {
			opts_usage(o, stdout);
			rc = 1;
		} else if (c == KEY_MAN) {
			opts_man(o, stdout);
			rc = 1;
		} else if (c == '?' || c == ':') {
			fprintf(stderr, "%s: %s '%s'\n", o->prog, c == ':' ?
			    "missing value for" : "unknown option",
			    argv[optind - 1]);
			rc = -1;
		} else if (set_arg(o, &o->table[c], optarg, err,
		    sizeof err) != 0) {
			fprintf(stderr, "%s: --%s %s\n", o->prog,
			    o->table[c].name, err);
			rc = -1;
		}
	}
	free(lo);
	if (rc < 0)
		opts_usage(o, stderr);
	*next = optind;
	return rc;
}

/* Report through the sink, with the node's place. */
static int
bad(const struct ysink *sink, const struct ynode *n, const char *key,
    const char *msg)
{
	ysink_report(sink, n, "%s %s", key, msg);
	return -1;
}

static int
config_list(struct opt_list *l, const struct ynode *v, const char *key,
    const struct ysink *sink)
{
	const char *t;
	size_t i;

	list_clear(l);
	if (v->kind == YNODE_SCALAR) {
		if ((t = ynode_text(v, key, sink)) == NULL)
			return -1;
		list_add(l, t);
		return 0;
	}
	if (ynode_want(v, YNODE_SEQ, key, sink) != 0)
		return -1;
	for (i = 0; i < v->n; i++) {
		if ((t = ynode_text(v->items[i], key, sink)) == NULL)
			return -1;
		list_add(l, t);
	}
	return 0;
}

/* Store one setting of the file. */
static int
config_one(struct opts *o, const struct opt *e, const struct ynode *v,
    const char *key, const struct ysink *sink)
{
	void *p = field(o, e);
	const char *t;
	char err[256];
	int b;

	switch (e->kind) {
	case OPT_FLAG:
		if (ynode_bool(v, key, &b, sink) != 0)
			return -1;
		*(int *)p = b;
		return 0;
	case OPT_TEXT:
		if ((t = ynode_text(v, key, sink)) == NULL)
			return -1;
		set_text(p, t);
		return 0;
	case OPT_INT:
		return ynode_int(v, key, e->min, e->max, p, sink);
	case OPT_WORD:
		if ((t = ynode_text(v, key, sink)) == NULL)
			return -1;
		if (pick_word(e, t, p, err, sizeof err) != 0)
			return bad(sink, v, key, err);
		return 0;
	case OPT_LIST:
		return config_list(p, v, key, sink);
	}
	return -1;
}

int
opts_config(struct opts *o, const struct ynode *root,
    const char *const *extra, const struct ysink *sink)
{
	const char **keys;
	char key[64];
	const struct ynode *v;
	size_t i, nk = 0, nextra = 0;
	int rc = 0;

	if (root == NULL)
		return 0;
	if (ynode_want(root, YNODE_MAP, "the configuration", sink) != 0)
		return -1;
	while (extra != NULL && extra[nextra] != NULL)
		nextra++;
	keys = xcalloc(o->n + nextra + 1, sizeof *keys);
	for (i = 0; i < o->n; i++) {
		if (o->table[i].flags & OPT_NOCONF)
			continue;
		key_of(&o->table[i], key, sizeof key);
		keys[nk++] = xstrdup(key);
	}
	for (i = 0; i < nextra; i++)
		keys[nk + i] = extra[i];
	if (ynode_check_keys(root, "the configuration", keys, sink) != 0)
		rc = -1;
	for (i = 0; i < nk; i++)
		free((char *)keys[i]);
	free(keys);
	for (i = 0; rc == 0 && i < o->n; i++) {
		if ((o->table[i].flags & OPT_NOCONF) || o->given[i])
			continue;
		key_of(&o->table[i], key, sizeof key);
		if ((v = ynode_get(root, key)) != NULL &&
		    config_one(o, &o->table[i], v, key, sink) != 0)
			rc = -1;
	}
	return rc;
}

int
opts_given(const struct opts *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->table[i].name, name) == 0)
			return o->given != NULL && o->given[i];
	return 0;
}

static int
is_set(const struct opts *o, const struct opt *e)
{
	void *p = field(o, e);

	switch (e->kind) {
	case OPT_TEXT:
		return *(char **)p != NULL;
	case OPT_LIST:
		return ((struct opt_list *)p)->n > 0;
	default:
		return 1;
	}
}

int
opts_check_required(const struct opts *o)
{
	size_t i;
	int missing = 0;

	for (i = 0; i < o->n; i++) {
		if (!(o->table[i].flags & OPT_REQUIRED) ||
		    is_set(o, &o->table[i]))
			continue;
		fprintf(stderr, "%s%s--%s", missing ? "" : o->prog,
		    missing ? " and " : ": ", o->table[i].name);
		missing++;
	}
	if (missing == 0)
		return 0;
	fprintf(stderr, " %s required (on the command line or in the "
	    "configuration file)\n", missing > 1 ? "are" : "is");
	return -1;
}

/* "--name ARG" of an entry. */
static void
option_text(const struct opt *e, char *out, size_t len)
{
	snprintf(out, len, "--%s%s%s", e->name, e->arg ? " " : "",
	    e->arg ? e->arg : "");
}

/*
 * Print text from column col on, folded at spaces before column 80, the
 * lines after the first indented to column indent.
 */
static void
fold(FILE *f, const char *text, size_t col, size_t indent)
{
	const char *p = text, *sp, *end;
	size_t width = col < 79 ? 79 - col : 20;

	while (*p != '\0') {
		end = p + strlen(p);
		if ((size_t)(end - p) > width) {
			/* The last space that fits, else the first after. */
			for (sp = p + width; sp > p && *sp != ' '; sp--)
				;
			if (sp == p && (sp = strchr(p + width, ' ')) == NULL)
				sp = end;
			end = sp;
		}
		sp = end;
		while (end > p && end[-1] == ' ')
			end--;
		fprintf(f, "%.*s\n", (int)(end - p), p);
		p = sp;
		while (*p == ' ')
			p++;
		if (*p != '\0')
			fprintf(f, "%*s", (int)indent, "");
		width = indent < 79 ? 79 - indent : 20;
	}
}

void
opts_usage(const struct opts *o, FILE *f)
{
	char text[128];
	size_t i;

	for (i = 0; o->synopsis[i] != NULL; i++)
		fprintf(f, "%s %s %s\n", i == 0 ? "usage:" : "      ", o->prog,
		    o->synopsis[i]);
	if (o->summary != NULL) {
		fputc('\n', f);
		fold(f, o->summary, 0, 0);
	}
	if (o->n > 0)
		fprintf(f, "\noptions:\n");
	for (i = 0; i < o->n; i++) {
		option_text(&o->table[i], text, sizeof text);
		if (strlen(text) > 24)
			fprintf(f, "  %s\n%27s", text, "");
		else
			fprintf(f, "  %-24s ", text);
		fold(f, o->table[i].help, 27, 27);
	}
}

/* Text for roff: '-' and '\' escaped, a leading '.' or '\'' guarded. */
static void
roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s != '\0'; s++) {
		if (*s == '-')
			fputs("\\-", f);
		else if (*s == '\\')
			fputs("\\e", f);
		else
			fputc(*s, f);
	}
}

/* The synopsis lines, each "prog" in bold and its arguments. */
static void
man_synopsis(const struct opts *o, FILE *f)
{
	size_t i;

	for (i = 0; o->synopsis[i] != NULL; i++) {
		fputs(i ? ".br\n.B " : ".B ", f);
		roff(f, o->prog);
		fputc('\n', f);
		roff(f, o->synopsis[i]);
		fputc('\n', f);
	}
}

/* The options as a .TP list. */
static void
man_options(const struct opts *o, FILE *f)
{
	const struct opt *e;
	size_t i;

	for (i = 0; i < o->n; i++) {
		e = &o->table[i];
		fputs(e->arg ? ".TP\n.BI \"" : ".TP\n.B ", f);
		roff(f, "--");
		roff(f, e->name);
		if (e->arg != NULL) {
			fputs(" \" ", f);
			roff(f, e->arg);
		}
		fputc('\n', f);
		roff(f, e->help);
		fputc('\n', f);
	}
}

void
opts_man(const struct opts *o, FILE *f)
{
	fputs(".SH SYNOPSIS\n", f);
	man_synopsis(o, f);
	if (o->summary != NULL) {
		fputs(".SH DESCRIPTION\n", f);
		roff(f, o->summary);
		fputc('\n', f);
	}
	if (o->n == 0)
		return;
	fputs(".SH OPTIONS\n", f);
	man_options(o, f);
}

void
opts_man_command(const struct opts *o, FILE *f)
{
	fputs(".SS \"", f);
	roff(f, o->prog);
	fputs("\"\n", f);
	man_synopsis(o, f);
	if (o->summary != NULL) {
		fputs(".PP\n", f);
		roff(f, o->summary);
		fputc('\n', f);
	}
	man_options(o, f);
}

void
opts_release(struct opts *o)
{
	size_t i;
	void *p;

	for (i = 0; i < o->n; i++) {
		p = field(o, &o->table[i]);
		if (o->table[i].kind == OPT_TEXT) {
			free(*(char **)p);
			*(char **)p = NULL;
		} else if (o->table[i].kind == OPT_LIST) {
			list_clear(p);
		}
	}
	free(o->given);
	o->given = NULL;
}
