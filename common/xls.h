/*
 * xls.h - reading legacy Excel 97-2003 workbooks (.xls, BIFF) through
 * Debian's libfreexl, values only, into the same rows that xlsx.h gives.
 *
 * freexl reads the BIFF records of an OLE compound file; it has no
 * formulas, styles, merged cells or hidden-row flags to offer, so those
 * parts of xlsx.read are empty for an .xls.  Dates come as ISO text.
 *
 * Ownership: struct xls is opaque (xls_open / xls_close); sheet names and
 * a row's cells are borrowed, the cells only during the callback.
 */
#ifndef KOBITO_XLS_H
#define KOBITO_XLS_H

#include <stddef.h>

#include "xlsx.h"

struct xls;

/* Open path; return 0 and *out, or -1 with a message quoting path. */
int		 xls_open(const char *path, struct xls **out, char *err,
		    size_t errlen);
void		 xls_close(struct xls *);
size_t		 xls_sheet_count(const struct xls *);
const char	*xls_sheet_name(const struct xls *, size_t i);
/* Stream sheet i's rows to fn, as xlsx_sheet_read does. */
int		 xls_sheet_read(struct xls *, size_t i, xlsx_row_fn fn,
		    void *arg, char *err, size_t errlen);

#endif
