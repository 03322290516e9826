/*
 * act_csv.c - csv.read and csv.write: spreadsheets in and out, in UTF-8
 * (with or without byte order mark) or Shift_JIS/CP932; csv.open and
 * csv.close for a file written row by row while the run goes on.
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
#include "csvrows.h"
#include "fsutil.h"
#include "textutil.h"
#include "xmalloc.h"

/* The output of csv.write may not grow past this. */
#define WRITE_CAP	(256u * 1024 * 1024)

/* The delimiter argument as a byte; 0 after act_fail when invalid. */
static char
get_delimiter(struct act *a)
{
	const char *s = act_str(a, "delimiter", ",");
	char d = csvrows_delimiter(s);

	if (d == 0)
		act_fail(a, "delimiter must be one character such as \",\", "
		    "\";\" or \"tab\", not '%s'", s);
	return d;
}

static const struct {
	const char	*name;
	const char	*eol;
} line_ends[] = {
	{ "crlf", "\r\n" },
	{ "lf", "\n" },
	{ NULL, NULL },
};

/* Every row at once, for scripts that want the list; a for_each over a
 * large file reads it a row at a time (for_each: { csv: ... }). */
static int
do_read(struct act *a)
{
	struct csvrows *cr;
	json_t *rows, *row;
	char err[1024];
	int rc;

	if ((cr = csvrows_open(a->args, err, sizeof err)) == NULL)
		return act_fail(a, "%s", err);
	rows = json_array();
	while ((rc = csvrows_next(cr, &row, err, sizeof err)) == 1)
		json_array_append_new(rows, row);
	if (rc < 0) {
		act_fail(a, "%s", err);
		json_decref(rows);
		csvrows_close(cr);
		return -1;
	}
	a->out = json_pack("{s:o, s:O, s:I}", "rows", rows, "columns",
	    csvrows_columns(cr), "count", (json_int_t)json_array_size(rows));
	csvrows_close(cr);
	return 0;
}

/* --- csv.write ------------------------------------------------------------ */

/* An integer as text, without printf's cost for every field. */
static char *
int_text(json_int_t v)
{
	char num[24], *p = num + sizeof num;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;

	*--p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	return xstrdup(p);
}

/* A value as the text of one field; the caller frees it. */
static char *
field_text(const json_t *v)
{
	char num[64];

	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		return xstrndup(json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return int_text(json_integer_value(v));
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

#define ROW_STACK	16	/* fields a row holds without allocating */

/* The value of column c of row, which is a mapping or a list. */
static json_t *
row_field(const struct table_out *o, json_t *row, size_t c)
{
	return json_is_object(row) ? json_object_get(row, o->names[c]) :
	    json_array_get(row, c);
}

/*
 * Append rows[i] as one record.  Strings are written from the values
 * themselves; only other values are turned into text first.
 */
static int
write_row(struct act *a, const struct csv_writer *w, struct buf *b,
    const struct table_out *o, json_t *row, size_t i)
{
	const char *stack[ROW_STACK], **fields = stack;
	char *ostack[ROW_STACK], **owned = ostack;
	size_t n, c;
	json_t *v;
	int rc;

	if (json_is_object(row)) {
		if (o->names == NULL)
			return act_fail(a, "rows[%zu] is a mapping but there "
			    "are no columns", i);
		n = o->ncols;
	} else if (json_is_array(row)) {
		n = json_array_size(row);
		if (o->names != NULL && n != o->ncols)
			return act_fail(a, "rows[%zu] has %zu values, there "
			    "are %zu columns", i, n, o->ncols);
	} else
		return act_fail(a, "rows[%zu] must be a mapping or a list",
		    i);
	if (n > ROW_STACK) {
		fields = xcalloc(n, sizeof *fields);
		owned = xcalloc(n, sizeof *owned);
	}
	for (c = 0; c < n; c++) {
		v = row_field(o, row, c);
		owned[c] = json_is_string(v) ? NULL : field_text(v);
		fields[c] = owned[c] ? owned[c] : json_string_value(v);
	}
	rc = csv_write_row(w, b, fields, n);
	for (c = 0; c < n; c++)
		free(owned[c]);
	if (fields != stack) {
		free(fields);
		free(owned);
	}
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

/* --- streams: csv.open, csv.write with a handle, csv.close ---------------- */

#define STREAM_FLUSH	(64u * 1024)	/* bytes kept before a write(2) */

/*
 * A CSV written row by row: rows go to a temporary file beside the
 * target, which takes the target's place when the run succeeds (or at
 * csv.close) and is removed when it fails, leaving the old file as it
 * was.  Each row costs what writing it costs, so a loop of 100,000
 * csv.write steps is linear, not a rewrite of the file per row.
 */
struct csv_stream {
	char			*path;
	char			*enc;		/* the target encoding */
	struct csv_writer	 w;
	struct table_out	 o;
	int			 header;	/* a header row still to write */
	int			 fresh;		/* just made by csv.open */
	int			 staged;	/* a temporary file (not dry) */
	int			 done;		/* closed: in place */
	long			 count;
	struct fsutil_stage	 stage;
	struct buf		 row;		/* one row, UTF-8 */
	struct buf		 out;		/* encoded, not yet written */
};

/* The slot key of path's stream; the caller frees it. */
static char *
stream_key(const char *path)
{
	size_t n = strlen(path);
	char *key = xmalloc(n + 5);

	memcpy(key, "csv:", 4);
	memcpy(key + 4, path, n + 1);
	return key;
}

/* {path, count}: made for every row, so without json_pack's parsing. */
static json_t *
write_output(const char *path, long count)
{
	json_t *o = json_object();

	json_object_set_new_nocheck(o, "path", json_string(path));
	json_object_set_new_nocheck(o, "count", json_integer(count));
	return o;
}

static void
stream_free(void *p)
{
	struct csv_stream *cs = p;

	if (cs->staged && !cs->done)
		fsutil_stage_abort(&cs->stage);
	buf_free(&cs->row);
	buf_free(&cs->out);
	free_names(cs->o.names, cs->o.ncols);
	free(cs->path);
	free(cs->enc);
	free(cs);
}

/* Write what is buffered to the temporary file. */
static int
stream_flush(struct csv_stream *cs, char *err, size_t errlen)
{
	int rc = 0;

	if (cs->staged && cs->out.len > 0)
		rc = fsutil_stage_write(&cs->stage, cs->out.data, cs->out.len,
		    err, errlen);
	buf_reset(&cs->out);
	return rc;
}

/* Put the file in place: at csv.close or when the run ends well. */
static int
stream_commit(struct csv_stream *cs, char *err, size_t errlen)
{
	if (cs->done)
		return 0;
	cs->done = 1;
	if (!cs->staged)
		return 0;
	if (stream_flush(cs, err, errlen) != 0) {
		fsutil_stage_abort(&cs->stage);
		return -1;
	}
	return fsutil_stage_commit(&cs->stage, err, errlen);
}

static int
stream_end(void *p, int ok, char *err, size_t errlen)
{
	struct csv_stream *cs = p;

	if (ok)
		return stream_commit(cs, err, errlen);
	if (cs->staged && !cs->done)
		fsutil_stage_abort(&cs->stage);
	cs->done = 1;
	return 0;
}

/* The stream csv.open made, from the act of csv.open. */
static void *
stream_open(struct act *a)
{
	const char *path = act_str(a, "path", "");
	const char *enc = act_str(a, "encoding", "utf-8");
	const char *eol = act_str(a, "line_end", "crlf");
	struct csv_stream *cs;
	char err[512], delim;
	size_t i;

	if (strcasecmp(enc, "auto") == 0 || !charset_known(enc)) {
		act_fail(a, "unknown encoding '%s' for writing (use utf-8, "
		    "utf-8-bom, shift_jis, cp932 or euc-jp)", enc);
		return NULL;
	}
	if ((delim = get_delimiter(a)) == 0)
		return NULL;
	for (i = 0; line_ends[i].name != NULL; i++)
		if (strcasecmp(line_ends[i].name, eol) == 0)
			break;
	if (line_ends[i].name == NULL) {
		act_fail(a, "line_end must be crlf or lf, not '%s'", eol);
		return NULL;
	}
	cs = xcalloc(1, sizeof *cs);
	cs->path = xstrdup(path);
	cs->enc = xstrdup(enc);
	csv_writer_init(&cs->w);
	cs->w.delim = delim;
	cs->w.quote_all = act_bool(a, "quote_all", 0);
	cs->w.eol = line_ends[i].eol;
	cs->header = act_bool(a, "header", 1);
	cs->fresh = 1;
	buf_init(&cs->row, WRITE_CAP);
	buf_init(&cs->out, 2 * WRITE_CAP);
	if (columns_from_args(a, NULL, &cs->o) != 0) {
		stream_free(cs);
		return NULL;
	}
	if (act_dry_run(a))
		return cs;
	if (fsutil_mkdir_parent(path, err, sizeof err) != 0 ||
	    fsutil_stage_open(&cs->stage, path, err, sizeof err) != 0) {
		act_fail(a, "%s", err);
		stream_free(cs);
		return NULL;
	}
	cs->staged = 1;
	if (strcasecmp(enc, "utf-8-bom") == 0 ||
	    strcasecmp(enc, "utf-8-sig") == 0)
		buf_append(&cs->out, "\xEF\xBB\xBF", 3);
	return cs;
}

static void *
stream_missing(struct act *a)
{
	act_fail(a, "no csv.open for '%s' before this step",
	    act_str(a, "handle", ""));
	return NULL;
}

/* The open stream named by the handle argument, or NULL after act_fail. */
static struct csv_stream *
stream_get(struct act *a)
{
	char *key = stream_key(act_str(a, "handle", ""));
	struct csv_stream *cs = act_slot(a, key, stream_missing, stream_free);

	free(key);
	if (cs != NULL && cs->done) {
		act_fail(a, "'%s' is closed already", cs->path);
		return NULL;
	}
	return cs;
}

static int
do_open(struct act *a)
{
	const char *path = act_str(a, "path", "");
	char *key = stream_key(path);
	struct csv_stream *cs = act_slot(a, key, stream_open, stream_free);

	if (cs != NULL && !cs->fresh) {
		free(key);
		return act_fail(a, "'%s' is open already in this run", path);
	}
	if (cs != NULL) {
		cs->fresh = 0;
		act_slot_end(a, key, stream_end);
		if (!cs->staged)
			act_log(a, "dry run: would write '%s'", path);
		a->out = json_pack("{s:s, s:s}", "handle", path, "path",
		    path);
	}
	free(key);
	return cs != NULL ? 0 : -1;
}

/* Append rows to an open stream, encoding each as it comes. */
static int
stream_write(struct act *a, struct csv_stream *cs, json_t *rows)
{
	char err[512], *bytes;
	size_t i, blen, bad;
	json_t *row;
	int full;

	if (cs->o.names == NULL && json_is_object(json_array_get(rows, 0)) &&
	    columns_from_args(a, rows, &cs->o) != 0)
		return -1;
	json_array_foreach(rows, i, row) {
		buf_reset(&cs->row);
		if (cs->header && cs->o.names != NULL) {
			if (csv_write_row(&cs->w, &cs->row, (const char *const *)
			    cs->o.names, cs->o.ncols) != 0)
				return act_fail(a, "the header is too long");
			cs->header = 0;
		}
		if (write_row(a, &cs->w, &cs->row, &cs->o, row, i) != 0)
			return -1;
		if (strncasecmp(cs->enc, "utf-8", 5) == 0)
			full = buf_append(&cs->out, cs->row.data, cs->row.len);
		else if (charset_encode(cs->enc, buf_str(&cs->row),
		    cs->row.len, &bytes, &blen, &bad, err, sizeof err) != 0)
			return act_fail(a, "cannot write rows[%zu] to '%s' in "
			    "%s: %s", i, cs->path, cs->enc, err);
		else {
			full = buf_append(&cs->out, bytes, blen);
			free(bytes);
		}
		if (full != 0)
			return act_fail(a, "rows[%zu] is larger than %u bytes",
			    i, WRITE_CAP);
		cs->count++;
		if (cs->out.len >= STREAM_FLUSH &&
		    stream_flush(cs, err, sizeof err) != 0)
			return act_fail(a, "%s", err);
	}
	if (a->keep_out)
		a->out = write_output(cs->path, cs->count);
	return 0;
}

static int
do_close(struct act *a)
{
	struct csv_stream *cs = stream_get(a);
	char err[512];

	if (cs == NULL)
		return -1;
	if (stream_commit(cs, err, sizeof err) != 0)
		return act_fail(a, "%s", err);
	if (!cs->staged)
		act_log(a, "dry run: would put %ld rows in '%s'", cs->count,
		    cs->path);
	a->out = json_pack("{s:s, s:I}", "path", cs->path, "count",
	    (json_int_t)cs->count);
	return 0;
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

	if (act_arg(a, "handle") != NULL) {
		struct csv_stream *cs;

		if (act_arg(a, "path") != NULL)
			return act_fail(a, "give path or handle, not both");
		if ((cs = stream_get(a)) == NULL)
			return -1;
		return stream_write(a, cs, rows);
	}
	if (act_arg(a, "path") == NULL)
		return act_fail(a, "give path (or the handle of a csv.open)");
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
	{ "path", ARG_PATH_WRITE, 0, "the CSV file to write (or give "
	    "handle)" },
	{ "handle", ARG_STRING, 0, "a csv.open's handle: the rows are added "
	    "to that file" },
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

static const struct action_arg open_args[] = {
	{ "path", ARG_PATH_WRITE, 1, "the CSV file: replaced when the run "
	    "succeeds (or at csv.close), left as it was when it fails" },
	{ "columns", ARG_LIST, 0,
	    "column order (default: the first row's keys)" },
	{ "encoding", ARG_STRING, 0,
	    "utf-8 (default), utf-8-bom, shift_jis, cp932 or euc-jp" },
	{ "header", ARG_BOOL, 0, "write a header row (default true)" },
	{ "delimiter", ARG_STRING, 0, "\",\" (default), \";\", \"tab\", ..." },
	{ "quote_all", ARG_BOOL, 0, "quote every field (default false)" },
	{ "line_end", ARG_STRING, 0, "crlf (default) or lf" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg close_args[] = {
	{ "handle", ARG_STRING, 1, "the csv.open's handle" },
	{ NULL, 0, 0, NULL },
};

static const struct action_out open_out[] = {
	{ "handle", ARG_STRING, "for csv.write and csv.close" },
	{ "path", ARG_STRING, "the file" },
	{ NULL, 0, NULL },
};

static const struct action_out read_out[] = {
	{ "rows", ARG_LIST, "the rows: objects by column name (header: "
	    "true), else lists of strings" },
	{ "columns", ARG_LIST, "the column names, in order" },
	{ "count", ARG_INT, "the number of rows" },
	{ NULL, 0, NULL },
};

static const struct action_out write_out[] = {
	{ "path", ARG_STRING, "the file written" },
	{ "count", ARG_INT, "the number of rows written" },
	{ NULL, 0, NULL },
};

const struct action csv_actions[] = {
	{ "csv.read", "read CSV rows (a file or text), keyed by the header",
	    read_args, do_read, ACTION_SCALAR, NULL, ARG_MAP, read_out,
	    ACTION_DRY_READ },
	{ "csv.write", "write rows as a CSV file atomically, or add them to "
	    "a csv.open's file", write_args, do_write, 0, NULL, ARG_MAP,
	    write_out, ACTION_DRY_SELF },
	{ "csv.open", "start a CSV file written row by row (csv.write with "
	    "its handle), put in place when the run succeeds", open_args,
	    do_open, ACTION_SCALAR, NULL, ARG_MAP, open_out, ACTION_DRY_SELF },
	{ "csv.close", "put a csv.open's file in place now", close_args,
	    do_close, ACTION_SCALAR, NULL, ARG_MAP, write_out,
	    ACTION_DRY_SELF },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
