/*
 * csvrows.c - CSV rows one at a time as values (see csvrows.h).
 *
 * The file is read and decoded to UTF-8 once; records are parsed from it
 * as they are asked for, and each becomes a value only then.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "csv.h"
#include "csvrows.h"
#include "fsutil.h"
#include "xmalloc.h"

struct csvrows {
	char			*text;		/* UTF-8 */
	char			*source;	/* the path, or "text" */
	struct csv_reader	 reader;
	int			 header;
	int			 skip_empty;
	char			**names;	/* the header, once read */
	size_t			 ncols;
	json_t			*columns;
};

static const struct {
	const char	*name;
	char		 delim;
} delimiters[] = {
	{ ",", ',' },
	{ ";", ';' },
	{ "\t", '\t' },
	{ "\\t", '\t' },
	{ "tab", '\t' },
	{ "|", '|' },
	{ NULL, 0 },
};

char
csvrows_delimiter(const char *s)
{
	size_t i;

	for (i = 0; delimiters[i].name != NULL; i++)
		if (strcmp(delimiters[i].name, s) == 0)
			return delimiters[i].delim;
	/* Any other single printable ASCII character but a quote. */
	if (strlen(s) == 1 && s[0] > ' ' && s[0] < 0x7f && s[0] != '"')
		return s[0];
	return 0;
}

/* A string argument, or def when absent or null; NULL when not a string. */
static const char *
arg_str(json_t *args, const char *name, const char *def)
{
	json_t *v = json_object_get(args, name);

	if (v == NULL || json_is_null(v))
		return def;
	return json_string_value(v);
}

static int
arg_bool(json_t *args, const char *name, int def)
{
	json_t *v = json_object_get(args, name);

	return json_is_boolean(v) ? json_is_true(v) : def;
}

/* The text, in UTF-8, from path (decoded) or from text; NULL with err. */
static char *
load_text(json_t *args, const char **source, size_t *len, char *err,
    size_t errlen)
{
	const char *path = arg_str(args, "path", NULL);
	const char *text = arg_str(args, "text", NULL);
	const char *enc = arg_str(args, "encoding", "utf-8");
	char why[512], *raw, *out;
	size_t rawlen;

	if ((path == NULL) == (text == NULL)) {
		snprintf(err, errlen, "give either path or text");
		return NULL;
	}
	if (text != NULL) {
		*source = "text";
		*len = json_string_length(json_object_get(args, "text"));
		out = xmalloc(*len + 1);
		memcpy(out, text, *len);
		out[*len] = '\0';
		return out;
	}
	*source = path;
	if (enc == NULL || !charset_known(enc)) {
		snprintf(err, errlen, "unknown encoding '%s' (use utf-8, "
		    "shift_jis, cp932, euc-jp or auto)", enc ? enc : "?");
		return NULL;
	}
	if (fsutil_read(path, 0, &raw, &rawlen, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	/* UTF-8 is used as it is, not copied: a large file is held once
	 * (the reader skips a byte order mark). */
	if (strcasecmp(enc, "auto") == 0)
		enc = charset_detect_japanese(raw, rawlen);
	if ((strncasecmp(enc, "utf-8", 5) == 0 || strcasecmp(enc, "utf8") ==
	    0) && charset_utf8_valid(raw, rawlen, NULL)) {
		*len = rawlen;
		return raw;
	}
	if (charset_decode(enc, raw, rawlen, &out, len, why, sizeof why) !=
	    0) {
		snprintf(err, errlen, "cannot read '%s' as %s: %s", path, enc,
		    why);
		out = NULL;
	}
	free(raw);
	return out;
}

struct csvrows *
csvrows_open(json_t *args, char *err, size_t errlen)
{
	const char *source = "", *d = arg_str(args, "delimiter", ",");
	struct csv_error cerr;
	struct csvrows *cr;
	char delim;
	size_t len;
	char *text;

	if (d == NULL || (delim = csvrows_delimiter(d)) == 0) {
		snprintf(err, errlen, "delimiter must be one character such "
		    "as \",\", \";\" or \"tab\", not '%s'", d ? d : "?");
		return NULL;
	}
	if ((text = load_text(args, &source, &len, err, errlen)) == NULL)
		return NULL;
	cr = xcalloc(1, sizeof *cr);
	cr->text = text;
	cr->source = xstrdup(source);
	cr->header = arg_bool(args, "header", 1);
	cr->skip_empty = arg_bool(args, "skip_empty", 1);
	cr->columns = json_array();
	if (csv_reader_init(&cr->reader, text, len, delim, &cerr) != 0) {
		snprintf(err, errlen, "%s", cerr.msg);
		csvrows_close(cr);
		return NULL;
	}
	return cr;
}

/* Take the header row: names none empty, none repeated. */
static int
take_header(struct csvrows *cr, struct csv_row *h, char *err, size_t errlen)
{
	size_t i, j;

	for (i = 0; i < h->nfields; i++) {
		if (h->fields[i][0] == '\0') {
			snprintf(err, errlen, "'%s' line %zu: column %zu of "
			    "the header has no name", cr->source, h->line,
			    i + 1);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(h->fields[i], h->fields[j]) == 0) {
				snprintf(err, errlen, "'%s' line %zu: column "
				    "%zu of the header repeats the name '%s' "
				    "of column %zu", cr->source, h->line,
				    i + 1, h->fields[i], j + 1);
				return -1;
			}
	}
	cr->names = xcalloc(h->nfields + 1, sizeof *cr->names);
	for (i = 0; i < h->nfields; i++) {
		json_array_append_new(cr->columns, json_string(h->fields[i]));
		cr->names[i] = xstrdup(h->fields[i]);
	}
	cr->ncols = h->nfields;
	return 0;
}

/* One record as a value. */
static json_t *
row_value(struct csvrows *cr, const struct csv_row *row)
{
	json_t *v = cr->header ? json_object() : json_array(), *s;
	size_t i;

	/* The text was checked (or decoded) as a whole: valid UTF-8, split
	 * at ASCII bytes only. */
	for (i = 0; i < row->nfields; i++) {
		s = json_stringn_nocheck(row->fields[i],
		    strlen(row->fields[i]));
		if (cr->header)
			json_object_set_new_nocheck(v, cr->names[i], s);
		else
			json_array_append_new(v, s);
	}
	return v;
}

int
csvrows_next(struct csvrows *cr, json_t **out, char *err, size_t errlen)
{
	struct csv_error cerr;
	struct csv_row row;
	int rc;

	for (;;) {
		rc = csv_reader_next(&cr->reader, &row, &cerr);
		if (rc < 0) {
			snprintf(err, errlen, "cannot read CSV '%s': %s",
			    cr->source, cerr.msg);
			return -1;
		}
		if (rc == 0)
			return 0;
		if (cr->skip_empty && csv_row_is_empty(&row)) {
			csv_row_clear(&row);
			continue;
		}
		if (cr->header && cr->names == NULL) {
			rc = take_header(cr, &row, err, errlen);
			csv_row_clear(&row);
			if (rc != 0)
				return -1;
			continue;
		}
		break;
	}
	if (cr->header && row.nfields != cr->ncols) {
		snprintf(err, errlen, "'%s' line %zu: the row has %zu fields, "
		    "the header has %zu", cr->source, row.line, row.nfields,
		    cr->ncols);
		csv_row_clear(&row);
		return -1;
	}
	*out = row_value(cr, &row);
	csv_row_clear(&row);
	return 1;
}

json_t *
csvrows_columns(struct csvrows *cr)
{
	return cr->columns;
}

void
csvrows_close(struct csvrows *cr)
{
	size_t i;

	if (cr == NULL)
		return;
	csv_reader_free(&cr->reader);
	for (i = 0; i < cr->ncols; i++)
		free(cr->names[i]);
	free(cr->names);
	json_decref(cr->columns);
	free(cr->source);
	free(cr->text);
	free(cr);
}
