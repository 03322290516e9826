/*
 * act_csv.c - csv.read and csv.write: spreadsheets in and out, in UTF-8
 * (with or without byte order mark) or Shift_JIS/CP932.
 *
 * Every value read is a string: CSV has no types, and codes such as postal
 * numbers ("0600001") must keep their leading zeros; scripts convert with
 * the number filter where they mean a number.  Writing turns numbers into
 * text without a trailing ".0" and null into an empty field.
 */
#include <sys/stat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "action.h"
#include "buf.h"
#include "charset.h"
#include "csv.h"
#include "fsutil.h"
#include "textutil.h"
#include "xmalloc.h"

/* The output of csv.write may not grow past this. */
#define WRITE_CAP	(256u * 1024 * 1024)

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

/* The delimiter argument as a byte; 0 after act_fail when invalid. */
static char
get_delimiter(struct act *a)
{
	const char *s = act_str(a, "delimiter", ",");

	for (size_t i = 0; delimiters[i].name != NULL; i++)
		if (strcmp(delimiters[i].name, s) == 0)
			return delimiters[i].delim;
	/* Any other single printable ASCII character but a quote. */
	if (strlen(s) == 1 && s[0] > ' ' && s[0] < 0x7f && s[0] != '"')
		return s[0];
	act_fail(a, "delimiter must be one character such as \",\", \";\" "
	    "or \"tab\", not '%s'", s);
	return 0;
}

static const struct {
	const char	*name;
	const char	*eol;
} line_ends[] = {
	{ "crlf", "\r\n" },
	{ "lf", "\n" },
	{ NULL, NULL },
};

/* The text, in UTF-8, from path (decoded) or from text. */
static char *
load_text(struct act *a, const char **source, size_t *len)
{
	const char *path = act_str(a, "path", NULL);
	const char *text = act_str(a, "text", NULL);
	const char *enc = act_str(a, "encoding", "utf-8");
	char err[512], *raw, *out;
	size_t rawlen;

	if ((path == NULL) == (text == NULL)) {
		act_fail(a, "give either path or text");
		return NULL;
	}
	if (text != NULL) {
		*source = "text";
		*len = json_string_length(act_arg(a, "text"));
		if (*len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
			text += 3;
			*len -= 3;
		}
		out = xmalloc(*len + 1);
		memcpy(out, text, *len);
		out[*len] = '\0';
		return out;
	}
	*source = path;
	if (!charset_known(enc)) {
		act_fail(a, "unknown encoding '%s' (use utf-8, shift_jis, "
		    "cp932, euc-jp or auto)", enc);
		return NULL;
	}
	if (fsutil_read(path, 0, &raw, &rawlen, err, sizeof err) != 0) {
		act_fail(a, "%s", err);
		return NULL;
	}
	if (charset_decode(enc, raw, rawlen, &out, len, err, sizeof err) !=
	    0) {
		act_fail(a, "cannot read '%s' as %s: %s", path, enc, err);
		out = NULL;
	}
	free(raw);
	return out;
}

/* Check the header names: none empty, none repeated. */
static int
check_header(struct act *a, const char *source, const struct csv_row *h)
{
	for (size_t i = 0; i < h->nfields; i++) {
		if (h->fields[i][0] == '\0')
			return act_fail(a, "'%s' line %zu: column %zu of the "
			    "header has no name", source, h->line, i + 1);
		for (size_t j = 0; j < i; j++)
			if (strcmp(h->fields[i], h->fields[j]) == 0)
				return act_fail(a, "'%s' line %zu: column %zu "
				    "of the header repeats the name '%s' of "
				    "column %zu", source, h->line, i + 1,
				    h->fields[i], j + 1);
	}
	return 0;
}

static int
do_read(struct act *a)
{
	int header = act_bool(a, "header", 1);
	int skip_empty = act_bool(a, "skip_empty", 1);
	const struct csv_row *head = NULL;
	struct csv_table t = { NULL, 0 };
	struct csv_error cerr;
	const char *source = "";
	json_t *rows, *columns;
	char delim, *text;
	size_t len, count = 0;

	if ((delim = get_delimiter(a)) == 0)
		return -1;
	if ((text = load_text(a, &source, &len)) == NULL)
		return -1;
	if (csv_parse(text, len, delim, &t, &cerr) != 0) {
		free(text);
		csv_table_free(&t);
		return act_fail(a, "cannot read CSV '%s': %s", source,
		    cerr.msg);
	}
	free(text);
	rows = json_array();
	columns = json_array();
	for (size_t r = 0; r < t.nrows; r++) {
		const struct csv_row *row = &t.rows[r];
		json_t *v;

		if (skip_empty && csv_row_is_empty(row))
			continue;
		if (header && head == NULL) {
			head = row;
			if (check_header(a, source, head) != 0)
				goto fail;
			for (size_t i = 0; i < head->nfields; i++)
				json_array_append_new(columns,
				    json_string(head->fields[i]));
			continue;
		}
		if (header && row->nfields != head->nfields) {
			act_fail(a, "'%s' line %zu: the row has %zu fields, "
			    "the header has %zu", source, row->line,
			    row->nfields, head->nfields);
			goto fail;
		}
		v = header ? json_object() : json_array();
		for (size_t i = 0; i < row->nfields; i++) {
			json_t *s = json_string(row->fields[i]);

			if (s == NULL) {
				json_decref(v);
				act_fail(a, "'%s' line %zu: field %zu is not "
				    "valid UTF-8", source, row->line, i + 1);
				goto fail;
			}
			if (header)
				json_object_set_new(v, head->fields[i], s);
			else
				json_array_append_new(v, s);
		}
		json_array_append_new(rows, v);
		csv_row_clear(&t.rows[r]);	/* hold the data once, not twice */
		count++;
	}
	csv_table_free(&t);
	a->out = json_pack("{s:o, s:o, s:I}", "rows", rows, "columns",
	    columns, "count", (json_int_t)count);
	return 0;
fail:
	csv_table_free(&t);
	json_decref(rows);
	json_decref(columns);
	return -1;
}

/* --- csv.write ------------------------------------------------------------ */

/* A value as the text of one field; the caller frees it. */
static char *
field_text(const json_t *v)
{
	char num[64];

	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return xstrdup(num);
	case JSON_REAL:
		text_number(json_real_value(v), num, sizeof num);
		return xstrdup(num);
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	case JSON_NULL:
		return xstrdup("");
	default: {
		char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);

		return s ? s : xstrdup("");
	}
	}
}

struct table_out {
	char		**names;	/* column names, or NULL */
	size_t		  ncols;
	size_t		 *row_at;	/* byte offset where rows[i] starts */
};

static void
free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The column order from the columns argument or the first row's keys. */
static int
columns_from_args(struct act *a, json_t *rows, struct table_out *o)
{
	json_t *cols = act_arg(a, "columns"), *first, *v;
	const char *k;
	size_t i;

	if (cols != NULL) {
		o->ncols = json_array_size(cols);
		o->names = xcalloc(o->ncols + 1, sizeof *o->names);
		json_array_foreach(cols, i, v) {
			if (!json_is_string(v) && !json_is_number(v)) {
				free_names(o->names, i);
				o->names = NULL;
				return act_fail(a, "columns[%zu] must be a "
				    "name", i);
			}
			o->names[i] = field_text(v);
		}
		return 0;
	}
	first = json_array_get(rows, 0);
	if (!json_is_object(first))
		return 0;
	o->ncols = json_object_size(first);
	o->names = xcalloc(o->ncols + 1, sizeof *o->names);
	i = 0;
	json_object_foreach(first, k, v)
		o->names[i++] = xstrdup(k);
	return 0;
}

/*
 * When appending to a CSV that has content, its header decides the
 * columns.  Sets *has_content; fails when columns were given and differ.
 */
static int
columns_from_file(struct act *a, const char *path, const char *enc,
    char delim, int header, struct table_out *o, int *has_content,
    int *ends_with_eol)
{
	struct csv_table t = { NULL, 0 };
	struct csv_error cerr;
	char err[512], *raw, *text;
	size_t rawlen, len, r;
	struct stat st;
	int rc = 0;

	*has_content = 0;
	if (stat(path, &st) != 0 || st.st_size == 0)
		return 0;
	*has_content = 1;
	if (fsutil_read(path, 0, &raw, &rawlen, err, sizeof err) != 0)
		return act_fail(a, "%s", err);
	*ends_with_eol = raw[rawlen - 1] == '\n' || raw[rawlen - 1] == '\r';
	if (!header) {
		free(raw);
		return 0;
	}
	if (charset_decode(enc, raw, rawlen, &text, &len, err, sizeof err) !=
	    0) {
		free(raw);
		return act_fail(a, "cannot append to '%s': it is not %s: %s",
		    path, enc, err);
	}
	free(raw);
	if (csv_parse(text, len, delim, &t, &cerr) != 0) {
		free(text);
		csv_table_free(&t);
		return act_fail(a, "cannot append to '%s': %s", path,
		    cerr.msg);
	}
	free(text);
	for (r = 0; r < t.nrows && csv_row_is_empty(&t.rows[r]); r++)
		;
	if (r < t.nrows) {
		const struct csv_row *h = &t.rows[r];
		int same = o->names == NULL || o->ncols == h->nfields;

		for (size_t i = 0; same && o->names && i < o->ncols; i++)
			same = strcmp(o->names[i], h->fields[i]) == 0;
		if (!same && act_arg(a, "columns") != NULL)
			rc = act_fail(a, "cannot append to '%s': columns "
			    "differ from its header (line %zu)", path,
			    h->line);
		else {
			free_names(o->names, o->ncols);
			o->ncols = h->nfields;
			o->names = xcalloc(o->ncols + 1, sizeof *o->names);
			for (size_t i = 0; i < o->ncols; i++)
				o->names[i] = xstrdup(h->fields[i]);
		}
	}
	csv_table_free(&t);
	return rc;
}

/* Append rows[i] as one record. */
static int
write_row(struct act *a, const struct csv_writer *w, struct buf *b,
    const struct table_out *o, json_t *row, size_t i)
{
	char **fields;
	size_t n;
	int rc;

	if (json_is_object(row)) {
		if (o->names == NULL)
			return act_fail(a, "rows[%zu] is a mapping but there "
			    "are no columns", i);
		n = o->ncols;
		fields = xcalloc(n + 1, sizeof *fields);
		for (size_t c = 0; c < n; c++)
			fields[c] = field_text(json_object_get(row,
			    o->names[c]));
	} else if (json_is_array(row)) {
		n = json_array_size(row);
		if (o->names != NULL && n != o->ncols)
			return act_fail(a, "rows[%zu] has %zu values, there "
			    "are %zu columns", i, n, o->ncols);
		fields = xcalloc(n + 1, sizeof *fields);
		for (size_t c = 0; c < n; c++)
			fields[c] = field_text(json_array_get(row, c));
	} else
		return act_fail(a, "rows[%zu] must be a mapping or a list",
		    i);
	rc = csv_write_row(w, b, (const char *const *)fields, n);
	free_names(fields, n);
	if (rc != 0)
		return act_fail(a, "the CSV is larger than %u bytes",
		    WRITE_CAP);
	return 0;
}

/*
 * Say which row (and, by encoding its fields one by one, which column)
 * holds the byte at off of the UTF-8 text that could not be encoded.
 */
static void
locate(const struct table_out *o, json_t *rows, const char *enc, size_t off,
    char *out, size_t len)
{
	size_t i = json_array_size(rows), n;
	json_t *row;

	while (i > 0 && o->row_at[i - 1] > off)
		i--;
	if (i == 0) {
		snprintf(out, len, "the header");
		return;
	}
	row = json_array_get(rows, i - 1);
	n = json_is_object(row) ? o->ncols : json_array_size(row);
	for (size_t c = 0; c < n; c++) {
		char err[256], *field, *bytes;
		size_t blen, bad;
		int rc;

		field = field_text(json_is_object(row) ?
		    json_object_get(row, o->names[c]) : json_array_get(row, c));
		rc = charset_encode(enc, field, strlen(field), &bytes, &blen,
		    &bad, err, sizeof err);
		free(field);
		free(bytes);
		if (rc == 0)
			continue;
		if (o->names != NULL)
			snprintf(out, len, "rows[%zu], column '%s'", i - 1,
			    o->names[c]);
		else
			snprintf(out, len, "rows[%zu], field %zu", i - 1,
			    c + 1);
		return;
	}
	snprintf(out, len, "rows[%zu]", i - 1);
}

static int
do_write(struct act *a)
{
	const char *path = act_str(a, "path", "");
	const char *enc = act_str(a, "encoding", "utf-8");
	const char *eol = act_str(a, "line_end", "crlf");
	json_t *rows = act_arg(a, "rows"), *row;
	int header = act_bool(a, "header", 1);
	int append = act_bool(a, "append", 0);
	int has_content = 0, ends_with_eol = 1, rc = -1;
	struct table_out o = { NULL, 0, NULL };
	char err[512], where[160], *bytes = NULL, delim;
	const char *write_enc = enc;
	struct csv_writer w;
	size_t i, blen, off, nrows = json_array_size(rows);
	struct buf b;

	if (strcasecmp(enc, "auto") == 0)
		return act_fail(a, "encoding 'auto' is for reading; name the "
		    "encoding to write");
	if (!charset_known(enc))
		return act_fail(a, "unknown encoding '%s' (use utf-8, "
		    "utf-8-bom, shift_jis, cp932 or euc-jp)", enc);
	if ((delim = get_delimiter(a)) == 0)
		return -1;
	csv_writer_init(&w);
	w.delim = delim;
	w.quote_all = act_bool(a, "quote_all", 0);
	for (i = 0; line_ends[i].name != NULL; i++)
		if (strcasecmp(line_ends[i].name, eol) == 0)
			break;
	if (line_ends[i].name == NULL)
		return act_fail(a, "line_end must be crlf or lf, not '%s'", eol);
	w.eol = line_ends[i].eol;
	if (columns_from_args(a, rows, &o) != 0)
		return -1;
	if (append && columns_from_file(a, path, enc, delim, header, &o,
	    &has_content, &ends_with_eol) != 0)
		goto out;
	buf_init(&b, WRITE_CAP);
	if (has_content && !ends_with_eol)
		buf_puts(&b, w.eol);
	if (header && o.names != NULL && !has_content &&
	    csv_write_row(&w, &b, (const char *const *)o.names, o.ncols) != 0) {
		act_fail(a, "the CSV is larger than %u bytes", WRITE_CAP);
		goto outbuf;
	}
	o.row_at = xcalloc(nrows + 1, sizeof *o.row_at);
	json_array_foreach(rows, i, row) {
		o.row_at[i] = b.len;
		if (write_row(a, &w, &b, &o, row, i) != 0)
			goto outbuf;
	}
	/* A file that has its byte order mark must not get a second one. */
	if (has_content && (strcasecmp(enc, "utf-8-bom") == 0 ||
	    strcasecmp(enc, "utf-8-sig") == 0))
		write_enc = "utf-8";
	if (charset_encode(write_enc, buf_str(&b), b.len, &bytes, &blen, &off,
	    err, sizeof err) != 0) {
		locate(&o, rows, write_enc, off, where, sizeof where);
		act_fail(a, "cannot write '%s' in %s: %s: %s", path, enc, where,
		    err);
		goto outbuf;
	}
	a->out = json_pack("{s:s, s:I}", "path", path, "count",
	    (json_int_t)nrows);
	if (act_dry_run(a)) {
		act_log(a, "dry run: would %s %zu rows (%zu bytes, %s) to '%s'",
		    append ? "append" : "write", nrows, blen, enc, path);
		rc = 0;
		goto outbuf;
	}
	if (fsutil_mkdir_parent(path, err, sizeof err) != 0 ||
	    (append ? fsutil_append_atomic : fsutil_write_atomic)(path, bytes,
	    blen, -1, err, sizeof err) != 0) {
		act_fail(a, "%s", err);
		goto outbuf;
	}
	rc = 0;
outbuf:
	buf_free(&b);
out:
	free(bytes);
	free(o.row_at);
	free_names(o.names, o.ncols);
	return rc;
}

static const struct action_arg read_args[] = {
	{ "path", ARG_PATH_READ, 0, "the CSV file (or give text)" },
	{ "text", ARG_STRING, 0, "CSV text to parse instead of a file" },
	{ "encoding", ARG_STRING, 0,
	    "utf-8 (default), shift_jis, cp932, euc-jp or auto" },
	{ "header", ARG_BOOL, 0,
	    "the first row names the columns (default true)" },
	{ "delimiter", ARG_STRING, 0, "\",\" (default), \";\", \"tab\", ..." },
	{ "skip_empty", ARG_BOOL, 0,
	    "skip rows whose fields are all empty (default true)" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg write_args[] = {
	{ "path", ARG_PATH_WRITE, 1, "the CSV file to write" },
	{ "rows", ARG_LIST, 1, "a list of mappings or of lists" },
	{ "columns", ARG_LIST, 0,
	    "column order (default: the first row's keys)" },
	{ "encoding", ARG_STRING, 0,
	    "utf-8 (default), utf-8-bom, shift_jis, cp932 or euc-jp" },
	{ "header", ARG_BOOL, 0, "write a header row (default true)" },
	{ "append", ARG_BOOL, 0, "add the rows to the end of the file" },
	{ "delimiter", ARG_STRING, 0, "\",\" (default), \";\", \"tab\", ..." },
	{ "quote_all", ARG_BOOL, 0, "quote every field (default false)" },
	{ "line_end", ARG_STRING, 0, "crlf (default) or lf" },
	{ NULL, 0, 0, NULL },
};

const struct action csv_actions[] = {
	{ "csv.read", "read CSV rows (a file or text), keyed by the header",
	    read_args, do_read, ACTION_SCALAR, NULL },
	{ "csv.write", "write rows as a CSV file atomically", write_args,
	    do_write, 0, NULL },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
