/*
 * export.c - lists as CSV or .xlsx (see export.h).  The rows are first
 * made flat (a column per path, times as local text), then written: CSV
 * through kpi_csv (the KPI reports' writer: BOM, CRLF, formula-looking
 * text quoted), a workbook through libxlsxwriter into a temporary file
 * read back whole.
 */
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "export.h"
#include "fsutil.h"
#include "kpi.h"
#include "xmalloc.h"

static const struct export_col run_cols[] = {
	{ "id", "実行ID", "run", "int" },
	{ "job_id", "ジョブID", "job", "int" },
	{ "attempt", "試行", "attempt", "int" },
	{ "script", "ボット", "bot", "text" },
	{ "department", "部署", "department", "text" },
	{ "agent", "エージェント", "agent", "text" },
	{ "status", "状態", "status", "text" },
	{ "started_at", "開始", "started", "time" },
	{ "finished_at", "終了", "finished", "time" },
	{ "duration_ms", "所要時間(ミリ秒)", "duration (ms)", "int" },
	{ "items.succeeded", "処理件数", "items done", "int" },
	{ "items.failed", "失敗件数", "items failed", "int" },
	{ "minutes_saved", "削減時間(分)", "minutes saved", "number" },
	{ "error", "エラー", "error", "text" },
};

static const struct export_col job_cols[] = {
	{ "id", "ジョブID", "job", "int" },
	{ "script", "ボット", "bot", "text" },
	{ "department", "部署", "department", "text" },
	{ "state", "状態", "state", "text" },
	{ "attempt", "試行", "attempt", "int" },
	{ "max_attempts", "最大試行", "max attempts", "int" },
	{ "priority", "優先度", "priority", "int" },
	{ "triggered_by", "起動者", "triggered by", "text" },
	{ "created_at", "登録", "created", "time" },
	{ "updated_at", "更新", "updated", "time" },
	{ "agent", "エージェント", "agent", "text" },
	{ "run_id", "実行ID", "run", "int" },
	{ "retry_of", "再実行元", "retry of", "int" },
};

static const struct export_col audit_cols[] = {
	{ "id", "ID", "id", "int" },
	{ "at", "日時", "time", "time" },
	{ "actor", "操作者", "actor", "text" },
	{ "role", "役割", "role", "text" },
	{ "method", "操作", "method", "text" },
	{ "path", "対象", "path", "text" },
	{ "status", "結果", "status", "int" },
	{ "remote", "接続元", "from", "text" },
	{ "detail", "詳細", "detail", "json" },
};

static const struct {
	const char		*what;
	const struct export_col	*cols;
	size_t			 n;
} tables[] = {
	{ "runs", run_cols, sizeof run_cols / sizeof run_cols[0] },
	{ "jobs", job_cols, sizeof job_cols / sizeof job_cols[0] },
	{ "audit", audit_cols, sizeof audit_cols / sizeof audit_cols[0] },
};

const struct export_col *
export_columns(const char *what, size_t *ncols)
{
	size_t i;

	for (i = 0; i < sizeof tables / sizeof tables[0]; i++)
		if (strcmp(tables[i].what, what) == 0) {
			*ncols = tables[i].n;
			return tables[i].cols;
		}
	return NULL;
}

/* The value at path ("a.b") of row, or NULL. */
static json_t *
at_path(const json_t *row, const char *path)
{
	const char *dot = strchr(path, '.');
	char head[64];

	if (dot == NULL)
		return json_object_get(row, path);
	snprintf(head, sizeof head, "%.*s", (int)(dot - path), path);
	return at_path(json_object_get(row, head), dot + 1);
}

/* "2026-12-08T09:00:01.123+09:00" as "2026-12-08 09:00:01" (the zone is
 * in the header). */
static json_t *
local_text(const json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) < 19)
		return json_null();
	return json_sprintf("%.10s %.8s", s, s + 11);
}

/* The flat cell of v for a column's kind. */
static json_t *
flat(const json_t *v, const char *kind)
{
	if (v == NULL || json_is_null(v))
		return json_null();
	if (strcmp(kind, "time") == 0)
		return local_text(v);
	if (strcmp(kind, "json") == 0 && !json_is_string(v)) {
		char *s = json_dumps(v, JSON_COMPACT);
		json_t *o = json_string(s ? s : "");

		free(s);
		return o;
	}
	return json_deep_copy(v);
}

/* {"columns": [{key, ja, en, kind}], "rows": [{key: cell}]}, for kpi_csv. */
static json_t *
flatten(const struct export_col *cols, size_t n, const json_t *rows,
    const char *zone)
{
	json_t *out = json_pack("{s:[], s:[]}", "columns", "rows"), *row, *f;
	json_t *oc = json_object_get(out, "columns");
	json_t *orows = json_object_get(out, "rows");
	size_t i, j;

	for (i = 0; i < n; i++) {
		int time = strcmp(cols[i].kind, "time") == 0;

		json_array_append_new(oc, json_pack("{s:s, s:o, s:o, s:s}",
		    "key", cols[i].path, "ja", time ? json_sprintf("%s (%s)",
		    cols[i].ja, zone) : json_string(cols[i].ja), "en", time ?
		    json_sprintf("%s (%s)", cols[i].en, zone) :
		    json_string(cols[i].en), "kind", cols[i].kind));
	}
	json_array_foreach(rows, j, row) {
		f = json_object();
		for (i = 0; i < n; i++)
			json_object_set_new(f, cols[i].path, flat(at_path(row,
			    cols[i].path), cols[i].kind));
		json_array_append_new(orows, f);
	}
	return out;
}

/* A "YYYY-MM-DD HH:MM:SS" text as a workbook's date and time. */
static int
to_datetime(const char *s, lxw_datetime *dt)
{
	int y, mo, d, h, mi;
	double sec;

	if (s == NULL || sscanf(s, "%4d-%2d-%2d %2d:%2d:%lf", &y, &mo, &d, &h,
	    &mi, &sec) != 6)
		return -1;
	dt->year = y;
	dt->month = mo;
	dt->day = d;
	dt->hour = h;
	dt->min = mi;
	dt->sec = sec;
	return 0;
}

static int
write_xlsx(const char *path, const json_t *flatrep, int english, char *err,
    size_t errlen)
{
	lxw_workbook_options opt = { .constant_memory = LXW_TRUE,
	    .tmpdir = NULL };
	json_t *cols = json_object_get(flatrep, "columns");
	json_t *rows = json_object_get(flatrep, "rows"), *c, *row, *v;
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	lxw_worksheet *ws;
	lxw_format *bold, *date;
	lxw_datetime dt;
	const char *kind, *s;
	size_t i, j;
	lxw_error e;

	if (wb == NULL) {
		snprintf(err, errlen, "cannot create a workbook");
		return -1;
	}
	ws = workbook_add_worksheet(wb, NULL);
	bold = workbook_add_format(wb);
	format_set_bold(bold);
	date = workbook_add_format(wb);
	format_set_num_format(date, "yyyy-mm-dd hh:mm:ss");
	json_array_foreach(cols, i, c) {
		worksheet_write_string(ws, 0, (lxw_col_t)i, json_string_value(
		    json_object_get(c, english ? "en" : "ja")), bold);
		worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i,
		    strcmp(json_string_value(json_object_get(c, "kind")),
		    "time") == 0 ? 20 : 14, NULL);
	}
	json_array_foreach(rows, j, row) {
		json_array_foreach(cols, i, c) {
			kind = json_string_value(json_object_get(c, "kind"));
			v = json_object_get(row, json_string_value(
			    json_object_get(c, "key")));
			s = json_string_value(v);
			if (json_is_number(v))
				worksheet_write_number(ws, (lxw_row_t)(j + 1),
				    (lxw_col_t)i, json_number_value(v), NULL);
			else if (strcmp(kind, "time") == 0 &&
			    to_datetime(s, &dt) == 0)
				worksheet_write_datetime(ws, (lxw_row_t)(j + 1),
				    (lxw_col_t)i, &dt, date);
			else if (s != NULL)
				worksheet_write_string(ws, (lxw_row_t)(j + 1),
				    (lxw_col_t)i, s, NULL);
		}
	}
	if ((e = workbook_close(wb)) != LXW_NO_ERROR) {
		snprintf(err, errlen, "cannot write the workbook: %s",
		    lxw_strerror(e));
		return -1;
	}
	return 0;
}

char *
export_file(const struct export_col *cols, size_t ncols, const json_t *rows,
    const char *format, int english, const char *zone, size_t *len,
    char *err, size_t errlen)
{
	json_t *rep = flatten(cols, ncols, rows, zone);
	char path[] = "/tmp/kobito-export-XXXXXX", *data = NULL;
	int fd;

	if (strcmp(format, "csv") == 0) {
		data = kpi_csv(rep, english, len);
		json_decref(rep);
		return data;
	}
	if ((fd = mkstemp(path)) < 0) {
		snprintf(err, errlen, "cannot make a temporary file");
		json_decref(rep);
		return NULL;
	}
	close(fd);
	if (write_xlsx(path, rep, english, err, errlen) == 0 &&
	    fsutil_read(path, 256u * 1024 * 1024, &data, len, err,
	    errlen) != 0)
		data = NULL;
	unlink(path);
	json_decref(rep);
	return data;
}
