/*
 * csv.c - RFC 4180 parser and writer (see csv.h for the accepted dialect).
 *
 * The parser is a single pass over the buffer with an explicit cursor that
 * tracks the line and where it begins, so every error can say line:col.
 * Fields are collected in a struct buf so that one huge field cannot grow
 * past a sane cap.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "xmalloc.h"

/* A single field may not exceed this; a runaway quote usually trips it. */
#define FIELD_CAP	(64u * 1024 * 1024)


/* The column of the cursor, in characters: positions are needed only for
 * errors, so they are counted then rather than at every byte. */
static size_t
col(const struct csv_cursor *c)
{
	size_t n = 1;

	for (const char *q = c->bol; q < c->p; q++)
		if (((unsigned char)*q & 0xC0) != 0x80)
			n++;
	return n;
}

/* Note the line breaks in [from, to), bytes the cursor has passed. */
static void
count_lines(struct csv_cursor *c, const char *from, const char *to)
{
	for (const char *q = from; q < to; q++) {
		if (*q == '\n' || (*q == '\r' && (q + 1 == c->end ||
		    q[1] != '\n'))) {
			c->line++;
			c->bol = q + 1;
		}
	}
}

static int fail(struct csv_error *, size_t, size_t, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* Fill err (when given) and return -1. */
static int
fail(struct csv_error *err, size_t line, size_t column, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->line = line;
		err->col = column;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void
table_add(struct csv_table *t, size_t *alloc, struct csv_row *row)
{
	if (t->nrows == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 64;
		t->rows = xreallocarray(t->rows, *alloc, sizeof *t->rows);
	}
	t->rows[t->nrows++] = *row;
	memset(row, 0, sizeof *row);
}

static int
is_eol(char ch)
{
	return ch == '\n' || ch == '\r';
}

/* Skip one line end (CRLF, LF or CR) at the cursor. */
static void
skip_eol(struct csv_cursor *c)
{
	if (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')
		c->p++;
	c->p++;
	c->line++;
	c->bol = c->p;
}

/* Describe the character at the cursor for a message. */
static void
char_at(const struct csv_cursor *c, char *what, size_t len)
{
	size_t n = 1;

	if ((unsigned char)*c->p < 0x20 || *c->p == 0x7f) {
		snprintf(what, len, "\\x%02x", (unsigned char)*c->p);
		return;
	}
	/* Quote the whole character, not a byte. */
	while (n < 4 && c->p + n < c->end &&
	    ((unsigned char)c->p[n] & 0xC0) == 0x80)
		n++;
	snprintf(what, len, "%.*s", (int)n, c->p);
}

/*
 * Read one field at the cursor into field.  On return the cursor is at the
 * delimiter, a line end or the end of the data.  Runs of ordinary bytes
 * are appended at once.
 */
static int
read_field(struct csv_cursor *c, char delim, struct buf *field,
    struct csv_error *err)
{
	size_t qline, qcol;
	const char *q, *nul;
	char what[8];

	if (c->p < c->end && *c->p == '"') {
		qline = c->line;
		qcol = col(c);
		c->p++;
		for (;;) {
			q = memchr(c->p, '"', (size_t)(c->end - c->p));
			if (q == NULL)
				return fail(err, qline, qcol, "unterminated "
				    "quoted field starting at %zu:%zu", qline,
				    qcol);
			if ((nul = memchr(c->p, '\0', (size_t)(q - c->p))) !=
			    NULL) {
				count_lines(c, c->p, nul);
				c->p = nul;
				goto nul;
			}
			if (buf_append(field, c->p, (size_t)(q - c->p)) != 0)
				goto toolong;
			count_lines(c, c->p, q);
			c->p = q + 1;
			if (c->p < c->end && *c->p == '"') {
				/* A doubled quote stands for one. */
				if (buf_putc(field, '"') != 0)
					goto toolong;
				c->p++;
				continue;
			}
			break;
		}
		if (c->p < c->end && *c->p != delim && !is_eol(*c->p)) {
			char_at(c, what, sizeof what);
			return fail(err, c->line, col(c), "unexpected '%s' "
			    "after a closing quote at %zu:%zu (a quote inside "
			    "a quoted field must be doubled)", what, c->line,
			    col(c));
		}
		return 0;
	}
	for (q = c->p; q < c->end && *q != delim && !is_eol(*q); q++)
		if (*q == '\0') {
			c->p = q;
			goto nul;
		}
	if (buf_append(field, c->p, (size_t)(q - c->p)) != 0)
		goto toolong;
	c->p = q;
	return 0;
nul:
	return fail(err, c->line, col(c), "NUL byte at %zu:%zu (is the "
	    "text UTF-16 or binary?)", c->line, col(c));
toolong:
	return fail(err, c->line, col(c), "field longer than %u bytes at "
	    "%zu:%zu", FIELD_CAP, c->line, col(c));
}

int
csv_reader_init(struct csv_reader *r, const char *data, size_t len, char delim,
    struct csv_error *err)
{
	memset(r, 0, sizeof *r);
	r->c.p = r->c.bol = data;
	r->c.end = data + len;
	r->c.line = 1;
	r->delim = delim;
	buf_init(&r->field, FIELD_CAP);
	if (delim == '"' || delim == '\r' || delim == '\n' || delim == '\0')
		return fail(err, 0, 0, "invalid delimiter (a quote, a line "
		    "end or NUL cannot separate fields)");
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		r->c.p = r->c.bol = data + 3;
	return 0;
}

/*
 * The next record.  Its fields are collected in one buffer, NUL after
 * each, which becomes the row's pool: one allocation a record rather than
 * one a field, which is what a large file costs most.
 */
int
csv_reader_next(struct csv_reader *r, struct csv_row *row,
    struct csv_error *err)
{
	struct csv_cursor *c = &r->c;
	size_t n = 0, i;

	memset(row, 0, sizeof *row);
	if (c->p >= c->end)
		return 0;
	row->line = c->line;
	buf_reset(&r->field);
	for (;;) {
		if (n == r->noffsets) {
			r->noffsets = r->noffsets ? r->noffsets * 2 : 16;
			r->offsets = xreallocarray(r->offsets, r->noffsets,
			    sizeof *r->offsets);
		}
		r->offsets[n++] = r->field.len;
		if (read_field(c, r->delim, &r->field, err) != 0) {
			buf_reset(&r->field);
			return -1;
		}
		if (buf_putc(&r->field, '\0') != 0) {
			buf_reset(&r->field);
			return fail(err, c->line, col(c), "record longer than "
			    "%u bytes at %zu:%zu", FIELD_CAP, c->line, col(c));
		}
		if (c->p < c->end && *c->p == r->delim) {
			c->p++;
			continue;
		}
		break;
	}
	if (c->p < c->end)
		skip_eol(c);
	row->pool = buf_detach(&r->field, NULL);
	row->fields = xreallocarray(NULL, n + 1, sizeof *row->fields);
	for (i = 0; i < n; i++)
		row->fields[i] = row->pool + r->offsets[i];
	row->fields[n] = NULL;
	row->nfields = n;
	return 1;
}

void
csv_reader_free(struct csv_reader *r)
{
	buf_free(&r->field);
	free(r->offsets);
	r->offsets = NULL;
	r->noffsets = 0;
}

int
csv_parse(const char *data, size_t len, char delim, struct csv_table *table,
    struct csv_error *err)
{
	struct csv_reader r;
	struct csv_row row;
	size_t talloc = 0;
	int rc;

	table->rows = NULL;
	table->nrows = 0;
	if (csv_reader_init(&r, data, len, delim, err) != 0) {
		csv_reader_free(&r);
		return -1;
	}
	while ((rc = csv_reader_next(&r, &row, err)) == 1)
		table_add(table, &talloc, &row);
	csv_reader_free(&r);
	return rc;
}

void
csv_table_free(struct csv_table *table)
{
	for (size_t i = 0; i < table->nrows; i++)
		csv_row_clear(&table->rows[i]);
	free(table->rows);
	table->rows = NULL;
	table->nrows = 0;
}

void
csv_row_clear(struct csv_row *row)
{
	for (size_t j = 0; row->pool == NULL && j < row->nfields; j++)
		free(row->fields[j]);
	free(row->pool);
	row->pool = NULL;
	free(row->fields);
	row->fields = NULL;
	row->nfields = 0;
}

int
csv_row_is_empty(const struct csv_row *row)
{
	for (size_t i = 0; i < row->nfields; i++)
		if (row->fields[i][0] != '\0')
			return 0;
	return 1;
}

void
csv_writer_init(struct csv_writer *w)
{
	w->delim = ',';
	w->quote_all = 0;
	w->eol = "\r\n";
}

int
csv_write_field(const struct csv_writer *w, struct buf *out, const char *field)
{
	const char *s = field ? field : "";
	int quote = w->quote_all;

	for (const char *p = s; *p != '\0' && !quote; p++)
		if (*p == w->delim || *p == '"' || *p == '\r' || *p == '\n')
			quote = 1;
	if (!quote)
		return buf_puts(out, s);
	if (buf_putc(out, '"') != 0)
		return -1;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"' && buf_putc(out, '"') != 0)
			return -1;
		if (buf_putc(out, *p) != 0)
			return -1;
	}
	return buf_putc(out, '"');
}

int
csv_write_row(const struct csv_writer *w, struct buf *out,
    const char *const *fields, size_t n)
{
	/* A record of one empty field would read back as an empty line. */
	if (n == 1 && (fields[0] == NULL || fields[0][0] == '\0')) {
		if (buf_puts(out, "\"\"") != 0)
			return -1;
		return buf_puts(out, w->eol);
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && buf_putc(out, w->delim) != 0)
			return -1;
		if (csv_write_field(w, out, fields[i]) != 0)
			return -1;
	}
	return buf_puts(out, w->eol);
}
