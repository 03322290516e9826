/*
 * xls.c - legacy .xls workbooks through libfreexl, as rows of cells.
 *
 * freexl decodes the BIFF records (and their code pages) into UTF-8 and
 * gives dates as ISO text already; this file only walks the active
 * sheet's grid and hands each non-empty row to the caller the way
 * xlsx_sheet_read does, so one row builder serves both formats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <freexl.h>

#include "xls.h"
#include "xmalloc.h"

struct xls {
	char		*path;
	const void	*h;
	size_t		 nsheets;
	char		**names;
};

static const char *
freexl_reason(int rc)
{
	switch (rc) {
	case FREEXL_FILE_NOT_FOUND:
		return "no such file";
	case FREEXL_INSUFFICIENT_MEMORY:
		return "out of memory";
	case FREEXL_CFBF_READ_ERROR:
	case FREEXL_CFBF_SEEK_ERROR:
	case FREEXL_CFBF_INVALID_SIGNATURE:
	case FREEXL_CFBF_INVALID_SECTOR_SIZE:
	case FREEXL_CFBF_EMPTY_FAT_CHAIN:
	case FREEXL_CFBF_ILLEGAL_FAT_ENTRY:
		return "the compound file is corrupt";
	case FREEXL_BIFF_INVALID_BOF:
	case FREEXL_BIFF_INVALID_SST:
	case FREEXL_BIFF_ILLEGAL_SST_INDEX:
	case FREEXL_BIFF_WORKBOOK_NOT_FOUND:
		return "the workbook records are corrupt or missing";
	case FREEXL_INVALID_CFBF_HEADER:
		return "not an Excel 97-2003 workbook";
	case FREEXL_INVALID_CHARACTER:
	case FREEXL_UNSUPPORTED_CHARSET:
		return "text in an unsupported code page";
	case FREEXL_CRAFTED_FILE:
		return "it is malformed (crafted to attack readers?)";
	default:
		return "it cannot be read";
	}
}

int
xls_open(const char *path, struct xls **out, char *err, size_t errlen)
{
	struct xls *x;
	unsigned int n = 0;
	const char *name;
	int rc;

	*out = NULL;
	x = xcalloc(1, sizeof *x);
	x->path = xstrdup(path);
	if ((rc = freexl_open(path, &x->h)) != FREEXL_OK) {
		snprintf(err, errlen, "cannot read the .xls workbook '%s': %s",
		    path, freexl_reason(rc));
		xls_close(x);
		return -1;
	}
	if (freexl_get_info(x->h, FREEXL_BIFF_PASSWORD, &n) == FREEXL_OK &&
	    n == FREEXL_BIFF_OBFUSCATED) {
		snprintf(err, errlen, "'%s' is a password-protected workbook: "
		    "save it without a password to read it", path);
		xls_close(x);
		return -1;
	}
	if (freexl_get_info(x->h, FREEXL_BIFF_SHEET_COUNT, &n) != FREEXL_OK)
		n = 0;
	x->names = xcalloc(n + 1, sizeof *x->names);
	for (unsigned int i = 0; i < n && i < 65535; i++) {
		if (freexl_get_worksheet_name(x->h, (unsigned short)i,
		    &name) != FREEXL_OK || name == NULL)
			name = "";
		x->names[x->nsheets++] = xstrdup(name);
	}
	*out = x;
	return 0;
}

void
xls_close(struct xls *x)
{
	if (x == NULL)
		return;
	if (x->h != NULL)
		freexl_close(x->h);
	for (size_t i = 0; i < x->nsheets; i++)
		free(x->names[i]);
	free(x->names);
	free(x->path);
	free(x);
}

size_t
xls_sheet_count(const struct xls *x)
{
	return x->nsheets;
}

const char *
xls_sheet_name(const struct xls *x, size_t i)
{
	return i < x->nsheets ? x->names[i] : NULL;
}

/* One freexl cell as an xlsx cell; 0 when it holds nothing. */
static int
to_cell(const FreeXL_CellValue *v, struct xlsx_cell *c)
{
	switch (v->type) {
	case FREEXL_CELL_INT:
		c->type = XLSX_NUMBER;
		c->num = v->value.int_value;
		return 1;
	case FREEXL_CELL_DOUBLE:
		c->type = XLSX_NUMBER;
		c->num = v->value.double_value;
		return 1;
	case FREEXL_CELL_TEXT:
	case FREEXL_CELL_SST_TEXT:
		c->type = XLSX_STRING;
		break;
	case FREEXL_CELL_DATE:
	case FREEXL_CELL_DATETIME:
	case FREEXL_CELL_TIME:
		c->type = XLSX_DATE;
		break;
	default:
		return 0;
	}
	c->str = v->value.text_value != NULL ? v->value.text_value : "";
	c->len = strlen(c->str);
	return 1;
}

int
xls_sheet_read(struct xls *x, size_t i, xlsx_row_fn fn, void *arg,
    char *err, size_t errlen)
{
	unsigned int rows = 0;
	unsigned short cols = 0;
	struct xlsx_cell *cells;
	FreeXL_CellValue v;
	struct xlsx_row row;
	int rc = 0;

	if (i >= x->nsheets || freexl_select_active_worksheet(x->h,
	    (unsigned short)i) != FREEXL_OK ||
	    freexl_worksheet_dimensions(x->h, &rows, &cols) != FREEXL_OK) {
		snprintf(err, errlen, "'%s' has no sheet %zu", x->path, i + 1);
		return -1;
	}
	cells = xcalloc((size_t)cols + 1, sizeof *cells);
	for (unsigned int r = 0; r < rows && rc == 0; r++) {
		size_t n = 0;

		for (unsigned short c = 0; c < cols; c++) {
			memset(&cells[n], 0, sizeof cells[n]);
			if (freexl_get_cell_value(x->h, r, c, &v) !=
			    FREEXL_OK || !to_cell(&v, &cells[n]))
				continue;
			cells[n].row = r + 1;
			cells[n].col = (uint32_t)c + 1;
			n++;
		}
		if (n == 0)
			continue;
		row.row = r + 1;
		row.hidden = 0;
		row.cells = cells;
		row.ncells = n;
		rc = fn(arg, &row, err, errlen);
	}
	free(cells);
	if (rc < 0) {
		/* the callback's message, with the file in front */
		char tmp[1024];

		snprintf(tmp, sizeof tmp, "'%s' sheet '%s': %s", x->path,
		    x->names[i], err);
		snprintf(err, errlen, "%s", tmp);
	}
	return rc < 0 ? -1 : 0;
}
