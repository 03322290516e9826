/*
 * csvrows.h - the rows of a CSV file (or text) one at a time, as values:
 * objects by column name (header: true) or lists of strings.  What
 * csv.read and a for_each over a CSV file share; the loop holds one row
 * at a time, so a 100,000-row file costs its text, not 100,000 objects.
 *
 * Every value is a string: codes such as postal numbers keep their
 * leading zeros, and scripts convert with number() where they mean one.
 *
 * Ownership: csvrows_open borrows args only for the call; csvrows_next
 * hands out a new reference; csvrows_close frees everything.
 */
#ifndef KOBITO_CSVROWS_H
#define KOBITO_CSVROWS_H

#include <stddef.h>
#include <jansson.h>

struct csvrows;

/*
 * Open from the arguments of csv.read: path or text, encoding (utf-8,
 * shift_jis, cp932, euc-jp or auto), header (default true), delimiter
 * (",", ";", "tab", "|" or one printable character), skip_empty (default
 * true).  NULL with a message in err.
 */
struct csvrows	*csvrows_open(json_t *args, char *err, size_t errlen);
/* The next row in *row: 1, 0 at the end, or -1 with a message naming the
 * file and line. */
int		 csvrows_next(struct csvrows *, json_t **row, char *err,
		    size_t errlen);
/* The column names read so far (the header's), borrowed. */
json_t		*csvrows_columns(struct csvrows *);
void		 csvrows_close(struct csvrows *);

/*
 * A delimiter argument as a byte: ",", ";", "\t", "tab", "|" or any one
 * printable ASCII character but a quote.  0 when it is none of those.
 */
char		 csvrows_delimiter(const char *s);

#endif
