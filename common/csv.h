/*
 * csv.h - RFC 4180 comma-separated values: a parser from a memory buffer
 * and a writer into a capped buffer.
 *
 * The parser accepts what spreadsheets really write: quoted fields with
 * doubled quotes, commas and line breaks inside quotes, CRLF, LF or lone CR
 * line ends, a UTF-8 byte order mark (skipped), any one-byte delimiter and
 * a last record without a line end.  It is strict where leniency would hide
 * data loss: an unterminated quote and anything but a delimiter or a line
 * end after a closing quote are errors that carry line:col.  A quote inside
 * an unquoted field (ab"c) is kept literally, as spreadsheets do.
 *
 * Positions are 1-based; lines are physical lines of the text (a quoted line
 * break starts a new one) and columns count characters, not bytes, so that
 * "3:7" points at the seventh character a person sees in a Japanese file.
 *
 * The writer quotes a field only when it has to (delimiter, quote, CR or
 * LF inside, or a record that is one empty field) unless asked to quote
 * every field, and ends records with CRLF by default, as Excel does.
 */
#ifndef KOBITO_CSV_H
#define KOBITO_CSV_H

#include <stddef.h>

#include "buf.h"

struct csv_row {
	char	**fields;	/* nfields NUL-terminated strings */
	size_t	  nfields;
	size_t	  line;		/* line where the record starts */
	char	 *pool;		/* when set, the fields' one allocation */
};

/* The parsed records; owned by the table, freed by csv_table_free(). */
struct csv_table {
	struct csv_row	*rows;
	size_t		 nrows;
};

struct csv_error {
	size_t	line;
	size_t	col;
	char	msg[256];	/* "unterminated quoted field starting at 3:7" */
};

/*
 * Parse len bytes of data into table (which the caller provides; its old
 * contents are not freed) and which the caller frees with csv_table_free,
 * also after a failure: the records before the error are kept.  delim is the field
 * separator (',' for CSV, '\t' for TSV); it must not be '"', CR or LF.
 * Return 0, or -1 with err filled in.  An empty input gives no records; an
 * empty line gives a record of one empty field.  A NUL byte is an error
 * (it means the text is UTF-16 or binary).
 */
int	csv_parse(const char *data, size_t len, char delim,
	    struct csv_table *table, struct csv_error *err);
/*
 * A record at a time, for data too large to hold as a table: csv_parse
 * is this loop.  The reader borrows data, which must outlive it.
 */
struct csv_cursor {
	const char	*p;
	const char	*end;
	size_t		 line;
	const char	*bol;	/* where the current line begins */
};

struct csv_reader {
	struct csv_cursor	 c;
	char			 delim;
	struct buf		 field;
	size_t			*offsets;	/* of the fields in field */
	size_t			 noffsets;
};

/* 0, or -1 with err for a delimiter that cannot be one; free it anyway. */
int	csv_reader_init(struct csv_reader *, const char *data, size_t len,
	    char delim, struct csv_error *err);
/* The next record into row, which the caller frees with csv_row_clear:
 * 1, 0 at the end of the data, or -1 with err filled in. */
int	csv_reader_next(struct csv_reader *, struct csv_row *row,
	    struct csv_error *err);
void	csv_reader_free(struct csv_reader *);

/* Free every record and field; the table is left empty and reusable. */
void	csv_table_free(struct csv_table *table);
/*
 * Free one record's fields early, e.g. once it has been converted, so that
 * a large file is not held twice; the row is left with no fields.
 */
void	csv_row_clear(struct csv_row *row);
/* Non-zero when every field of the row is the empty string. */
int	csv_row_is_empty(const struct csv_row *row);

struct csv_writer {
	char		 delim;		/* ',' unless set */
	int		 quote_all;	/* quote every field */
	const char	*eol;		/* "\r\n" unless set */
};

/* Defaults: comma, quote when needed, CRLF. */
void	csv_writer_init(struct csv_writer *w);
/*
 * Append one record of n fields (NUL-terminated strings; NULL is written
 * as an empty field) and its line end to out.  Return 0, or -1 when out's
 * cap would be passed (out then holds a partial record; discard it).
 */
int	csv_write_row(const struct csv_writer *w, struct buf *out,
	    const char *const *fields, size_t n);
/* Append one field, quoted as needed, without delimiter or line end. */
int	csv_write_field(const struct csv_writer *w, struct buf *out,
	    const char *field);

#endif
