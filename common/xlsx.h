/*
 * xlsx.h - reading Office Open XML workbooks (.xlsx, .xlsm) as a stream.
 *
 * A workbook is a zip archive of XML parts.  This module opens it with
 * libzip, reads the small parts (workbook, relationships, styles, shared
 * strings) whole, and streams a worksheet's XML through expat straight
 * from the inflater, handing the caller one row at a time: a sheet of
 * 100,000 rows is never held, neither as XML nor as a tree.
 *
 * Guards against hostile files: a part whose declared inflated size, or
 * whose actual inflated bytes, pass the limits given to xlsx_open is
 * refused before (or while) it is inflated, so a zip bomb costs at most
 * the limit; encrypted members and password-protected workbooks (which are
 * not zips at all but OLE compound files holding an EncryptedPackage) are
 * named as such.  Every error message quotes the file name.
 *
 * Ownership: struct xlsx is opaque, made by xlsx_open and freed by
 * xlsx_close; every pointer it hands out (sheet names, defined names,
 * cell text) is borrowed from it, valid until xlsx_close, or for a
 * row's cells, until the row callback returns.
 */
#ifndef KOBITO_XLSX_H
#define KOBITO_XLSX_H

#include <stddef.h>
#include <stdint.h>
#include <expat.h>

struct xlsx;
struct zip;

#define XLSX_MAX_ROWS	1048576u
#define XLSX_MAX_COLS	16384u

/* Default inflated-size limits (per part, and for the parts read in all). */
#define XLSX_PART_LIMIT		(1024ull * 1024 * 1024)
#define XLSX_TOTAL_LIMIT	(4096ull * 1024 * 1024)

struct xlsx_limits {
	uint64_t	 part;		/* 0: XLSX_PART_LIMIT */
	uint64_t	 total;		/* 0: XLSX_TOTAL_LIMIT */
};

enum xlsx_visibility {
	XLSX_VISIBLE,
	XLSX_HIDDEN,
	XLSX_VERY_HIDDEN,	/* hidden so that Excel's menu cannot show it */
};

struct xlsx_sheet {
	const char		*name;
	const char		*part;	/* "xl/worksheets/sheet1.xml" */
	enum xlsx_visibility	 visibility;
};

/* Cells without a value (styled but empty) are not reported. */
enum xlsx_type {
	XLSX_NUMBER,
	XLSX_STRING,
	XLSX_BOOL,	/* num is 0 or 1 */
	XLSX_DATE,	/* num is the serial; str is the ISO text */
	XLSX_ERROR,	/* str is the error, e.g. "#DIV/0!" */
	XLSX_NONE,	/* a formula with no cached value (never computed) */
};

struct xlsx_cell {
	uint32_t	 row, col;	/* 1-based: A1 is (1, 1) */
	enum xlsx_type	 type;
	double		 num;
	const char	*str;		/* NUL-terminated; NULL for numbers */
	size_t		 len;
	const char	*formula;	/* without '='; NULL when none or not
					   asked for */
	unsigned	 style;		/* index into the cell formats */
};

struct xlsx_row {
	uint32_t		 row;		/* 1-based */
	int			 hidden;
	const struct xlsx_cell	*cells;		/* in column order */
	size_t			 ncells;
};

struct xlsx_range {
	uint32_t	 r1, c1, r2, c2;	/* inclusive, 1-based */
};

/*
 * Called for each row that has at least one cell or is hidden, in order.
 * Return 0 to go on, 1 to stop reading (not an error), or -1 after
 * writing a message into err (errlen bytes) to fail the read with it.
 */
typedef int	(*xlsx_row_fn)(void *arg, const struct xlsx_row *row,
		    char *err, size_t errlen);

/* What xlsx_sheet_read reports besides the rows. */
struct xlsx_sheet_extra {
	struct xlsx_range	*merges;	/* owned by the caller after */
	size_t			 nmerges;
};

#define XLSX_FORMULAS	0x1	/* give each cell's formula text */

/*
 * Open the workbook at path and read its workbook, styles and shared
 * strings.  limits may be NULL for the defaults.  Return 0 and *out, or -1
 * with a message quoting path in err.
 */
int	xlsx_open(const char *path, const struct xlsx_limits *limits,
	    struct xlsx **out, char *err, size_t errlen);
void	xlsx_close(struct xlsx *);

size_t			 xlsx_sheet_count(const struct xlsx *);
const struct xlsx_sheet	*xlsx_sheet_at(const struct xlsx *, size_t i);
/* The index of the sheet called name, or -1. */
long			 xlsx_sheet_find(const struct xlsx *, const char *name);
/* Non-zero when dates count from 1904 (workbooks from old Mac Excel). */
int			 xlsx_date1904(const struct xlsx *);
/*
 * A workbook-level defined name's formula ("'表紙'!$C$3"), or NULL.  A
 * name scoped to one sheet is found when sheet is that sheet's index (or
 * -1 for workbook names only).
 */
const char		*xlsx_defined_name(const struct xlsx *, const char *name,
			    long sheet);
/*
 * Where ref points: a cell reference ("C3", "'表紙'!$C$3") or a defined
 * name of the workbook (looked up for sheet dflt first).  Unqualified
 * references are on sheet dflt.  Return 0 with *sheet, *row, *col, or -1
 * with a message in err: not a reference nor a name, a range rather than
 * one cell, or a sheet the workbook lacks.
 */
int			 xlsx_resolve_cell(const struct xlsx *, const char *ref,
			    size_t dflt, size_t *sheet, uint32_t *row,
			    uint32_t *col, char *err, size_t errlen);
/* The path the workbook was opened from. */
const char		*xlsx_path(const struct xlsx *);
/* The open archive, for xlsx_fill (borrowed). */
struct zip		*xlsx_zip(const struct xlsx *);
/* Whether the cell format at index style shows a date ("date", "time",
 * "datetime") or NULL for other formats. */
const char		*xlsx_style_date_kind(const struct xlsx *, unsigned style);

/*
 * Stream sheet i's rows to fn.  flags: XLSX_FORMULAS.  When extra is not
 * NULL it receives the merged ranges (read after the rows, since they
 * follow the data in the file; stopping early leaves them unread unless
 * the sheet is read to its end).  Return 0, or -1 with a message that
 * names the file and sheet in err.
 */
int	xlsx_sheet_read(struct xlsx *, size_t i, unsigned flags,
	    xlsx_row_fn fn, void *arg, struct xlsx_sheet_extra *extra,
	    char *err, size_t errlen);
/* Only the merged ranges of sheet i (a pass that skips the cells). */
int	xlsx_sheet_merges(struct xlsx *, size_t i, struct xlsx_range **out,
	    size_t *n, char *err, size_t errlen);

/* --- references and values (pure) ------------------------------------- */

/*
 * Parse "C3", "$C$3" into row and column; return the bytes used, or 0.
 * The text after it is not looked at.
 */
size_t	xlsx_ref_parse(const char *s, uint32_t *row, uint32_t *col);
/* "B5:H40" or a single cell ("C3" is C3:C3).  Return 0, or -1. */
int	xlsx_range_parse(const char *s, struct xlsx_range *r);
/*
 * A reference that may name its sheet: "C3", "'表紙'!$C$3", "Sheet1!B5:H40".
 * *sheet gets a new string (caller frees) or NULL when none was given.
 * Return 0, or -1 when s is not such a reference.
 */
int	xlsx_qualified_parse(const char *s, char **sheet,
	    struct xlsx_range *r);
/* Write the column letters of col (1 -> "A", 27 -> "AA") into out[4]. */
void	xlsx_col_name(uint32_t col, char out[4]);
/* "C3" for (3, 3) into out (at least 16 bytes). */
void	xlsx_ref_name(uint32_t row, uint32_t col, char *out, size_t outlen);
/*
 * The calendar date and time of an Excel serial number in the 1900 or
 * 1904 system, written as ISO text for kind "date" (YYYY-MM-DD), "time"
 * (HH:MM:SS) or "datetime" (YYYY-MM-DDTHH:MM:SS).  Return 0, or -1 for a
 * serial outside years 1900..9999.
 */
int	xlsx_serial_text(double serial, int date1904, const char *kind,
	    char *out, size_t outlen);
/* The Excel serial (1900 system) of an ISO date or date-time; -1 if bad. */
int	xlsx_serial_from_iso(const char *s, double *serial);
/*
 * The kind of date a number format code shows: "date", "time",
 * "datetime", or NULL when it is not a date format.  Quoted text,
 * [colours], [$-411] locale tags and \escapes are skipped; era codes
 * (g, e: 令和6年) count as dates.
 */
const char	*xlsx_format_date_kind(const char *code);
/*
 * A formula moved drow rows down and dcol columns right, as a shared
 * formula is for each cell it covers: relative references shift,
 * $-anchored parts stay, text and quoted sheet names are left alone.
 * Returns a new string the caller frees.
 */
char	*xlsx_formula_shift(const char *formula, long drow, long dcol);


/* --- filling a template (xlsx_fill.c) -------------------------------- */

enum xlsx_value {
	XLSX_V_BLANK,		/* clear the value, keep the cell's format */
	XLSX_V_NUMBER,
	XLSX_V_STRING,
	XLSX_V_BOOL,
	XLSX_V_DATE,		/* str is ISO text: a date serial where the
				   cell's format shows dates, else text */
};

struct xlsx_edit {
	size_t		 sheet;
	uint32_t	 row, col;
	enum xlsx_value	 kind;
	double		 num;
	const char	*str;		/* borrowed */
	/* a row of the template whose cell in this column lends its
	   format to a cell the template does not have (0: none) */
	uint32_t	 style_row;
};

/*
 * Write the template x with the edits applied to out (atomically: a
 * temporary file renamed).  Only the XML of the sheets edited is rewritten
 * (streamed through expat, everything else in it kept), plus the
 * workbook part, which is told to recalculate on opening; libzip copies
 * every other member of the archive byte for byte.  A cell holding a
 * formula is never overwritten (an error names it); formula cells of an
 * edited sheet lose their cached values, which would be stale.  Strings
 * are written inline, so the shared strings part is not touched.
 * Return 0, or -1 with a message naming the template or the cell.
 */
int	xlsx_fill(struct xlsx *x, const char *out, const struct xlsx_edit *e,
	    size_t n, char *err, size_t errlen);

/* --- for the other xlsx*.c files and xlsx_fill ------------------------- */

/* What xlsx_sniff finds at the start of a file. */
enum {
	XLSX_KIND_OTHER,
	XLSX_KIND_ZIP,		/* a zip archive: .xlsx, .xlsm */
	XLSX_KIND_OLE,		/* an OLE compound file: legacy .xls */
	XLSX_KIND_ENCRYPTED,	/* an OLE file holding an EncryptedPackage:
				   a password-protected .xlsx */
};
/* The kind of file at path, or -1 with a message when it cannot be read. */
int	xlsx_sniff(const char *path, char *err, size_t errlen);

/*
 * One part streamed through expat (namespace-aware: element and attribute
 * names arrive as "URI|local").  The handlers get the struct xlsx_parse
 * as their user data, so a caller embeds it first in its own state.
 */
struct xlsx_parse {
	XML_StartElementHandler	 start;
	XML_EndElementHandler	 end;
	XML_CharacterDataHandler text;		/* may be NULL */
	/* raw: no namespace processing, names as written ("x:row"), and
	   these three reported too; for rewriting a part faithfully */
	int			 raw;
	XML_XmlDeclHandler	 decl;
	XML_CommentHandler	 comment;
	XML_ProcessingInstructionHandler pi;
	const char		*label;		/* for messages ("sheet
						   '明細'"); NULL: the part */
	XML_Parser		 parser;	/* set while parsing */
	int			 stopped;	/* stopped early, no error */
	char			 err[512];
};
/*
 * Stream part (a name in the archive) through p's handlers, checking the
 * inflated size against the limits as it goes.  Return 0 (also when a
 * handler stopped early without error), or -1 with a message naming the
 * file, the part and the line in err.
 */
int	xlsx_part_parse(struct xlsx *, const char *part, struct xlsx_parse *p,
	    char *err, size_t errlen);
/* From a handler: stop parsing with an error. */
void	xlsx_parse_stop(struct xlsx_parse *p, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* From a handler: stop parsing, not an error (the rest is not needed). */
void	xlsx_parse_done(struct xlsx_parse *p);
int	xlsx_has_part(const struct xlsx *, const char *part);
/* The local part of an expat "URI|local" name. */
const char *xlsx_local_name(const char *name);
/* The value of the attribute whose local name is local, or NULL. */
const char *xlsx_attr(const char **atts, const char *local);
/* Shared string i and its length, or NULL when there is none. */
const char *xlsx_shared_string(const struct xlsx *, size_t i, size_t *len);
/* The workbook part's name ("xl/workbook.xml"). */
const char *xlsx_workbook_part(const struct xlsx *);

#endif
