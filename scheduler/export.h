/*
 * export.h - lists as files for Excel: runs, jobs and the audit log as
 * CSV (UTF-8 with a byte order mark, kpi_csv's writer) or as .xlsx
 * (libxlsxwriter), with the list's own filters.  Times are local times of
 * the scheduler's zone, the zone named in the column's header
 * ("開始 (JST)"); in a workbook they are date cells.
 */
#ifndef KOBITO_EXPORT_H
#define KOBITO_EXPORT_H

#include <stddef.h>
#include <jansson.h>

/* Most rows one export holds. */
#define EXPORT_MAX	50000

/* A column: where its value is in a row ("items.succeeded"), headers. */
struct export_col {
	const char	*path;
	const char	*ja;
	const char	*en;
	const char	*kind;	/* "text", "int", "time", "json" */
};

/* The columns of "runs", "jobs", "audit" (ncols set), or NULL. */
const struct export_col *export_columns(const char *what, size_t *ncols);

/*
 * Rows (a JSON array of the list's objects, borrowed) as a file of format
 * "csv" or "xlsx", headers in English when english is set, the zone of
 * the times named zone ("JST").  A new buffer of *len bytes (caller
 * frees), or NULL with a message in err.
 */
char	*export_file(const struct export_col *cols, size_t ncols,
	    const json_t *rows, const char *format, int english,
	    const char *zone, size_t *len, char *err, size_t errlen);

#endif
