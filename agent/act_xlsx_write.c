/*
 * act_xlsx_write.c - xlsx.write (new workbooks, through libxlsxwriter) and
 * xlsx.fill (values into a template workbook, through common/xlsx_fill.c).
 *
 * Why two ways: libxlsxwriter writes a fresh workbook fast and in
 * constant memory (each row goes to a temporary file as it is written),
 * with proper number formats, widths and frozen panes; but it cannot open
 * an existing workbook.  A city's form (様式) must keep its look, its
 * formulas and its other sheets, so xlsx.fill edits the template instead:
 * it rewrites only the XML of the sheets it writes into and lets libzip
 * copy every other part of the archive byte for byte.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "action.h"
#include "expr.h"
#include "fsutil.h"
#include "textutil.h"
#include "xlsx.h"
#include "xmalloc.h"

enum coltype { COL_AUTO, COL_STRING, COL_NUMBER, COL_DATE, COL_BOOL };

struct wcol {
	const char	*name, *key;
	enum coltype	 type;
	lxw_format	*fmt;
	double		 width;		/* 0: from the contents */
};

static const struct {
	const char	*name;
	enum coltype	 type;
} coltypes[] = {
	{ "auto", COL_AUTO }, { "string", COL_STRING }, { "text", COL_STRING },
	{ "number", COL_NUMBER }, { "date", COL_DATE }, { "datetime", COL_DATE },
	{ "bool", COL_BOOL }, { NULL, COL_AUTO },
};

/* Display width of text in Excel's character units (CJK counts two). */
static double
text_width(const char *s)
{
	double w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p & 0xC0) == 0x80)
			continue;
		w += *p >= 0xE0 ? 2.1 : 1.1;
	}
	return w;
}

/* The columns of one sheet from its spec, or from the first row's keys. */
static struct wcol *
sheet_columns(struct act *a, lxw_workbook *wb, const json_t *spec,
    const json_t *rows, const char *date_fmt, size_t *n)
{
	struct wcol *cols;
	const json_t *c, *first = json_array_get(rows, 0);
	const char *k;
	size_t i = 0;

	if (spec == NULL && json_is_object(first)) {
		cols = xcalloc(json_object_size(first) + 1, sizeof *cols);
		json_object_foreach((json_t *)first, k, c) {
			cols[i].name = cols[i].key = k;
			i++;
		}
		*n = i;
		return cols;
	}
	if (spec == NULL) {
		*n = 0;
		return xcalloc(1, sizeof *cols);
	}
	cols = xcalloc(json_array_size(spec) + 1, sizeof *cols);
	json_array_foreach((json_t *)spec, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		const char *f = json_string_value(json_object_get(c, "format"));
		size_t j;

		cols[i].name = json_is_string(c) ? json_string_value(c) :
		    json_string_value(json_object_get(c, "name"));
		if (cols[i].name == NULL) {
			act_fail(a, "columns: item %zu needs a name", i + 1);
			free(cols);
			return NULL;
		}
		cols[i].key = json_string_value(json_object_get(c, "key"));
		if (cols[i].key == NULL)
			cols[i].key = cols[i].name;
		for (j = 0; t != NULL && coltypes[j].name != NULL; j++)
			if (strcmp(coltypes[j].name, t) == 0)
				break;
		if (t != NULL && coltypes[j].name == NULL) {
			act_fail(a, "columns: '%s' has type '%s'; use auto, "
			    "string, number, date, datetime or bool",
			    cols[i].name, t);
			free(cols);
			return NULL;
		}
		cols[i].type = t ? coltypes[j].type : COL_AUTO;
		if (cols[i].type == COL_DATE || f != NULL) {
			cols[i].fmt = workbook_add_format(wb);
			format_set_num_format(cols[i].fmt, f ? f :
			    t && strcmp(t, "datetime") == 0 ?
			    "yyyy-mm-dd hh:mm:ss" : date_fmt);
		}
		cols[i].width = json_number_value(json_object_get(c, "width"));
	}
	*n = i;
	return cols;
}

static int
write_value(struct act *a, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c,
    const struct wcol *col, const json_t *v, const char *sheet)
{
	lxw_error e = LXW_NO_ERROR;
	double serial;
	char *s, *end;

	if (v == NULL || json_is_null(v))
		return 0;
	if (col->type == COL_DATE && json_is_string(v)) {
		if (xlsx_serial_from_iso(json_string_value(v), &serial) != 0)
			return act_fail(a, "sheet '%s' row %u, column '%s': "
			    "'%s' is not a date (YYYY-MM-DD)", sheet,
			    (unsigned)r, col->name, json_string_value(v));
		e = worksheet_write_number(ws, r, c, serial, col->fmt);
	} else if (json_is_number(v) && col->type != COL_STRING) {
		e = worksheet_write_number(ws, r, c, json_number_value(v),
		    col->fmt);
	} else if (json_is_boolean(v)) {
		e = worksheet_write_boolean(ws, r, c, json_is_true(v), col->fmt);
	} else if (col->type == COL_NUMBER && json_is_string(v)) {
		const char *t = json_string_value(v);
		double d = strtod(t, &end);

		if (*t == '\0' || *end != '\0' || !isfinite(d))
			return act_fail(a, "sheet '%s' row %u, column '%s': "
			    "'%s' is not a number", sheet, (unsigned)r,
			    col->name, t);
		e = worksheet_write_number(ws, r, c, d, col->fmt);
	} else {
		s = expr_to_string(v);
		e = worksheet_write_string(ws, r, c, s, col->fmt);
		free(s);
	}
	if (e != LXW_NO_ERROR)
		return act_fail(a, "sheet '%s' row %u: %s", sheet, (unsigned)r,
		    lxw_strerror(e));
	return 0;
}

static int
write_sheet(struct act *a, lxw_workbook *wb, lxw_format *bold,
    const json_t *sh, size_t idx, json_t *summary)
{
	const char *name = json_string_value(json_object_get(sh, "name"));
	const json_t *rows = json_object_get(sh, "rows"), *row;
	const char *date_fmt = act_str(a, "date_format", "yyyy-mm-dd");
	int header = act_bool(a, "header", 1);
	lxw_worksheet *ws;
	struct wcol *cols;
	double *widths;
	char defname[32];
	size_t n, i;
	lxw_row_t r = 0;
	lxw_error e;

	if (name == NULL) {
		snprintf(defname, sizeof defname, "Sheet%zu", idx + 1);
		name = defname;
	}
	if ((e = workbook_validate_sheet_name(wb, name)) != LXW_NO_ERROR)
		return act_fail(a, "sheet name '%s': %s", name,
		    lxw_strerror(e));
	if (!json_is_array(rows))
		return act_fail(a, "sheet '%s': rows must be a list", name);
	cols = sheet_columns(a, wb, json_object_get(sh, "columns"), rows,
	    date_fmt, &n);
	if (cols == NULL)
		return -1;
	ws = workbook_add_worksheet(wb, name);
	widths = xcalloc(n + 1, sizeof *widths);
	/* Widths are set before any cell: constant-memory mode wants it. */
	for (i = 0; i < n; i++) {
		widths[i] = header ? text_width(cols[i].name) + 2 : 8;
		json_array_foreach((json_t *)rows, r, row) {
			const json_t *v = json_is_array(row) ?
			    json_array_get(row, i) : json_object_get(row,
			    cols[i].key);
			char *s;

			if (r >= 200 || v == NULL || json_is_null(v))
				continue;
			s = expr_to_string(v);
			widths[i] = fmax(widths[i], fmin(text_width(s) + 2, 60));
			free(s);
		}
		if (cols[i].type == COL_DATE)
			widths[i] = fmax(widths[i], 12);
		worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i,
		    cols[i].width > 0 ? cols[i].width : widths[i], NULL);
	}
	r = 0;
	if (header && n > 0) {
		for (i = 0; i < n; i++)
			worksheet_write_string(ws, 0, (lxw_col_t)i,
			    cols[i].name, bold);
		if (act_bool(a, "freeze_header", 1))
			worksheet_freeze_panes(ws, 1, 0);
		r = 1;
	}
	json_array_foreach((json_t *)rows, i, row) {
		if (!json_is_object(row) && !json_is_array(row)) {
			free(widths);
			free(cols);
			return act_fail(a, "sheet '%s': row %zu must be a "
			    "mapping or a list", name, i + 1);
		}
		for (size_t c = 0; c < n || (json_is_array(row) &&
		    c < json_array_size(row)); c++) {
			static const struct wcol plain = { "", "", COL_AUTO,
			    NULL, 0 };
			const struct wcol *col = c < n ? &cols[c] : &plain;
			const json_t *v = json_is_array(row) ?
			    json_array_get(row, c) : json_object_get(row,
			    col->key);

			if (write_value(a, ws, r, (lxw_col_t)c, col, v,
			    name) != 0) {
				free(widths);
				free(cols);
				return -1;
			}
		}
		r++;
	}
	json_array_append_new(summary, json_pack("{s:s, s:I}", "name", name,
	    "rows", (json_int_t)json_array_size(rows)));
	free(widths);
	free(cols);
	return 0;
}

int	xlsx_do_write(struct act *);
int	xlsx_do_fill(struct act *);

int
xlsx_do_write(struct act *a)
{
	const char *path = act_str(a, "path", "");
	json_t *sheets = act_arg(a, "sheets"), *own = NULL, *sh, *summary;
	lxw_workbook_options opt = { .constant_memory = LXW_TRUE };
	lxw_workbook *wb;
	lxw_format *bold;
	char err[512], *tmp;
	size_t i;
	lxw_error e;
	int rc = -1;

	if (sheets == NULL) {
		if (act_arg(a, "rows") == NULL)
			return act_fail(a, "give rows (one sheet) or sheets");
		own = json_pack("[{s:O, s:O?, s:s?}]", "rows", act_arg(a,
		    "rows"), "columns", act_arg(a, "columns"), "name",
		    act_str(a, "sheet", NULL));
		sheets = own;
	}
	if (json_array_size(sheets) == 0)
		return act_fail(a, "sheets must list at least one sheet");
	if (fsutil_mkdir_parent(path, err, sizeof err) != 0) {
		json_decref(own);
		return act_fail(a, "%s", err);
	}
	tmp = xasprintf("%s.part", path);
	wb = workbook_new_opt(tmp, &opt);
	if (wb == NULL) {
		free(tmp);
		json_decref(own);
		return act_fail(a, "cannot create '%s'", path);
	}
	bold = workbook_add_format(wb);
	format_set_bold(bold);
	summary = json_array();
	json_array_foreach(sheets, i, sh)
		if (write_sheet(a, wb, bold, sh, i, summary) != 0)
			break;
	if (i < json_array_size(sheets)) {
		workbook_close(wb);
		goto out;
	}
	if ((e = workbook_close(wb)) != LXW_NO_ERROR) {
		act_fail(a, "cannot write '%s': %s", path, lxw_strerror(e));
		goto out;
	}
	if (act_dry_run(a))
		act_log(a, "dry run: would write '%s'", path);
	else if (fsutil_move(tmp, path, 1, err, sizeof err) != 0) {
		act_fail(a, "%s", err);
		goto out;
	}
	a->out = json_pack("{s:s, s:O}", "path", path, "sheets", summary);
	rc = 0;
out:
	remove(tmp);
	free(tmp);
	json_decref(summary);
	json_decref(own);
	return rc;
}

/* --- xlsx.fill ----------------------------------------------------------- */

/* One value as an edit; -1 after act_fail for a value of no cell type. */
static int
to_edit(struct act *a, const json_t *v, struct xlsx_edit *e, char **keep,
    const char *where)
{
	e->str = "";
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_NULL:
		e->kind = XLSX_V_BLANK;
		return 0;
	case JSON_INTEGER:
	case JSON_REAL:
		e->kind = XLSX_V_NUMBER;
		e->num = json_number_value(v);
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		e->kind = XLSX_V_BOOL;
		e->num = json_is_true(v);
		return 0;
	case JSON_STRING:
		e->str = *keep = xstrdup(json_string_value(v));
		e->kind = text_is_iso_date(e->str) ? XLSX_V_DATE :
		    XLSX_V_STRING;
		return 0;
	default:
		return act_fail(a, "%s: a list or mapping cannot go into a "
		    "cell", where);
	}
}

struct edits {
	struct xlsx_edit	*v;
	char			**keep;		/* strings the edits point to */
	size_t			 n, cap;
};

static struct xlsx_edit *
edits_add(struct edits *es)
{
	if (es->n == es->cap) {
		es->cap = es->cap ? es->cap * 2 : 32;
		es->v = xreallocarray(es->v, es->cap, sizeof *es->v);
		es->keep = xreallocarray(es->keep, es->cap, sizeof *es->keep);
	}
	memset(&es->v[es->n], 0, sizeof es->v[0]);
	es->keep[es->n] = NULL;
	return &es->v[es->n++];
}

static void
edits_free(struct edits *es)
{
	for (size_t i = 0; i < es->n; i++)
		free(es->keep[i]);
	free(es->keep);
	free(es->v);
}

static int
fill_cells(struct act *a, struct xlsx *x, size_t sheet, struct edits *es)
{
	json_t *cells = act_arg(a, "cells"), *v;
	const char *ref;
	char err[512];

	json_object_foreach(cells, ref, v) {
		struct xlsx_edit *e = edits_add(es);

		if (xlsx_resolve_cell(x, ref, sheet, &e->sheet, &e->row,
		    &e->col, err, sizeof err) != 0)
			return act_fail(a, "cells: %s", err);
		if (to_edit(a, v, e, &es->keep[es->n - 1], ref) != 0)
			return -1;
	}
	return 0;
}

static int
fill_table(struct act *a, struct xlsx *x, size_t sheet, struct edits *es)
{
	json_t *t = act_arg(a, "table"), *rows, *cols, *row, *v;
	const char *start = json_string_value(json_object_get(t, "start"));
	json_int_t max = json_integer_value(json_object_get(t, "max_rows"));
	uint32_t r0, c0;
	size_t sh, i, k;
	char err[512], where[64];

	if (start == NULL)
		return act_fail(a, "table: start must name the first cell, "
		    "e.g. B6");
	if (xlsx_resolve_cell(x, start, sheet, &sh, &r0, &c0, err,
	    sizeof err) != 0)
		return act_fail(a, "table: start %s", err);
	rows = json_object_get(t, "rows");
	cols = json_object_get(t, "columns");
	if (!json_is_array(rows))
		return act_fail(a, "table: rows must be a list");
	if (max > 0 && (json_int_t)json_array_size(rows) > max)
		return act_fail(a, "table: %zu rows do not fit the form's %"
		    JSON_INTEGER_FORMAT " lines", json_array_size(rows), max);
	json_array_foreach(rows, i, row) {
		size_t n = json_is_array(row) ? json_array_size(row) :
		    json_array_size(cols);

		if (json_is_object(row) && !json_is_array(cols))
			return act_fail(a, "table: rows that are mappings "
			    "need columns (the keys, left to right)");
		for (k = 0; k < n; k++) {
			struct xlsx_edit *e;

			v = json_is_array(row) ? json_array_get(row, k) :
			    json_object_get(row, json_string_value(
			    json_array_get(cols, k)));
			if (json_is_object(row) && json_is_string(
			    json_array_get(cols, k)) == 0)
				return act_fail(a, "table: columns must be "
				    "key names");
			e = edits_add(es);
			e->sheet = sh;
			e->row = r0 + (uint32_t)i;
			e->col = c0 + (uint32_t)k;
			e->style_row = r0;
			snprintf(where, sizeof where, "table row %zu", i + 1);
			if (to_edit(a, v, e, &es->keep[es->n - 1], where) != 0)
				return -1;
		}
	}
	return 0;
}

int
xlsx_do_fill(struct act *a)
{
	const char *tmpl = act_str(a, "template", "");
	const char *out = act_str(a, "path", "");
	json_t *s = act_arg(a, "sheet");
	struct xlsx *x;
	struct edits es = { NULL, NULL, 0, 0 };
	char err[1024];
	size_t sheet = 0;
	long i;
	int rc = -1;

	if (xlsx_open(tmpl, NULL, &x, err, sizeof err) != 0)
		return act_fail(a, "%s", err);
	if (json_is_integer(s)) {
		if (json_integer_value(s) < 1 || (size_t)json_integer_value(s) >
		    xlsx_sheet_count(x)) {
			act_fail(a, "'%s' has no sheet %" JSON_INTEGER_FORMAT,
			    tmpl, json_integer_value(s));
			goto out;
		}
		sheet = (size_t)json_integer_value(s) - 1;
	} else if (json_is_string(s)) {
		if ((i = xlsx_sheet_find(x, json_string_value(s))) < 0) {
			act_fail(a, "'%s' has no sheet '%s'", tmpl,
			    json_string_value(s));
			goto out;
		}
		sheet = (size_t)i;
	}
	if (act_arg(a, "cells") != NULL && fill_cells(a, x, sheet, &es) != 0)
		goto out;
	if (act_arg(a, "table") != NULL && fill_table(a, x, sheet, &es) != 0)
		goto out;
	if (es.n == 0) {
		act_fail(a, "nothing to fill: give cells or table");
		goto out;
	}
	if (act_dry_run(a)) {
		act_log(a, "dry run: would fill %zu cells of '%s' into '%s'",
		    es.n, tmpl, out);
	} else if (xlsx_fill(x, out, es.v, es.n, err, sizeof err) != 0) {
		act_fail(a, "%s", err);
		goto out;
	}
	a->out = json_pack("{s:s, s:s, s:I}", "path", out, "template", tmpl,
	    "cells", (json_int_t)es.n);
	rc = 0;
out:
	edits_free(&es);
	xlsx_close(x);
	return rc;
}

const struct action_arg xlsx_fill_args[] = {
	{ "template", ARG_PATH_READ, 1, "the template workbook (様式)" },
	{ "path", ARG_PATH_WRITE, 1, "the filled workbook to write" },
	{ "sheet", ARG_ANY, 0, "the sheet for unqualified cells (default the "
	    "first)" },
	{ "cells", ARG_MAP, 0,
	    "values by cell or defined name: { C3: 総務課, 提出日: ... }" },
	{ "table", ARG_MAP, 0,
	    "{ start: B6, rows, columns, max_rows }: rows into a table region" },
	{ NULL, 0, 0, NULL },
};

const struct action_arg xlsx_write_args[] = {
	{ "path", ARG_PATH_WRITE, 1, "the workbook to write (.xlsx)" },
	{ "rows", ARG_LIST, 0, "one sheet's rows: mappings or lists" },
	{ "columns", ARG_LIST, 0,
	    "names, or { name, key, type, format, width } each" },
	{ "sheet", ARG_STRING, 0, "the one sheet's name" },
	{ "sheets", ARG_LIST, 0, "several sheets: { name, rows, columns }" },
	{ "header", ARG_BOOL, 0, "write a bold header row (default true)" },
	{ "freeze_header", ARG_BOOL, 0, "keep the header in view (default true)" },
	{ "date_format", ARG_STRING, 0,
	    "number format of date columns (default yyyy-mm-dd)" },
	{ NULL, 0, 0, NULL },
};
