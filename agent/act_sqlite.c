/*
 * act_sqlite.c - sqlite.query and sqlite.exec: reading rows from one
 * database and writing them to another, always with bound parameters
 * (values never become SQL text).
 *
 * Types map one to one: INTEGER to integer, REAL to number, TEXT to
 * string, NULL to null, and a BLOB to a base64 string (a parameter
 * {base64: "..."} binds a BLOB back).  sqlite.exec runs in one
 * transaction, so a statement run once per element of rows stores all of
 * them or none.  Long statements stop when the step times out or the run
 * is cancelled (a progress handler interrupts them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "action.h"
#include "textutil.h"
#include "xmalloc.h"

/* How long to wait for another writer's lock, unless the step has less. */
#define BUSY_TIMEOUT_MS	10000

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *
base64_encode(const unsigned char *p, size_t n)
{
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = b64chars[(v >> 18) & 63];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? b64chars[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Decode base64 (padding optional, no whitespace); NULL when invalid. */
static unsigned char *
base64_decode(const char *s, size_t len, size_t *outlen)
{
	unsigned char *out;
	unsigned v = 0;
	size_t n = 0, bits = 0;

	while (len > 0 && s[len - 1] == '=')
		len--;
	out = xmalloc(len * 3 / 4 + 1);
	for (size_t i = 0; i < len; i++) {
		const char *c = strchr(b64chars, s[i]);

		if (s[i] == '\0' || c == NULL) {
			free(out);
			return NULL;
		}
		v = (v << 6) | (unsigned)(c - b64chars);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(v >> bits);
		}
	}
	*outlen = n;
	return out;
}

/* Stop a running statement when the step runs out of time. */
static int
progress(void *arg)
{
	struct act *a = arg;

	return act_cancelled(a) || act_remaining_ms(a) == 0;
}

static sqlite3 *
open_db(struct act *a, const char *path, int flags)
{
	int64_t left = act_remaining_ms(a);
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		act_fail(a, "cannot open database '%s': %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, left < BUSY_TIMEOUT_MS ? (int)left :
	    BUSY_TIMEOUT_MS);
	sqlite3_progress_handler(db, 10000, progress, a);
	return db;
}

/* The message for SQLite's last error, with the offset in the SQL when
 * SQLite knows it. */
static int
db_fail(struct act *a, sqlite3 *db, const char *what, const char *path,
    const char *where)
{
	int off = sqlite3_error_offset(db);
	int code = sqlite3_errcode(db);

	if (code == SQLITE_INTERRUPT)
		return act_fail(a, "%s on '%s'%s: stopped (%s)", what, path,
		    where, act_cancelled(a) ? "the run was cancelled" :
		    "the step timed out");
	if (off >= 0)
		return act_fail(a, "%s on '%s'%s: %s (at character %d of the "
		    "SQL)", what, path, where, sqlite3_errmsg(db), off + 1);
	return act_fail(a, "%s on '%s'%s: %s", what, path, where,
	    sqlite3_errmsg(db));
}

/* Bind one value to parameter idx. */
static int
bind_one(sqlite3_stmt *st, int idx, json_t *v, char *err, size_t errlen)
{
	json_t *b64;
	char *text;
	int rc;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		rc = sqlite3_bind_int64(st, idx, json_integer_value(v));
		break;
	case JSON_REAL:
		rc = sqlite3_bind_double(st, idx, json_real_value(v));
		break;
	case JSON_STRING:
		rc = sqlite3_bind_text64(st, idx, json_string_value(v),
		    json_string_length(v), SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		rc = sqlite3_bind_int(st, idx, json_is_true(v));
		break;
	case JSON_NULL:
		rc = sqlite3_bind_null(st, idx);
		break;
	default:
		/* {base64: "..."} is a BLOB; other structures go in as JSON
		 * text, which SQLite's JSON functions understand. */
		b64 = json_object_get(v, "base64");
		if (json_is_string(b64) && json_object_size(v) == 1) {
			unsigned char *blob;
			size_t n;

			blob = base64_decode(json_string_value(b64),
			    json_string_length(b64), &n);
			if (blob == NULL) {
				snprintf(err, errlen, "parameter %d: invalid "
				    "base64", idx);
				return -1;
			}
			rc = sqlite3_bind_blob64(st, idx, blob, n, free);
			break;
		}
		text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
		rc = sqlite3_bind_text(st, idx, text ? text : "null", -1,
		    SQLITE_TRANSIENT);
		free(text);
		break;
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "parameter %d: %s", idx,
		    sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/*
 * Bind params (a list for ?, ?NNN; a mapping for :name, @name, $name; NULL
 * for none) to the statement.
 */
static int
bind_params(sqlite3_stmt *st, json_t *params, char *err, size_t errlen)
{
	int n = sqlite3_bind_parameter_count(st);
	const char *key;
	json_t *v;

	sqlite3_clear_bindings(st);
	if (params == NULL || json_is_null(params)) {
		if (n > 0) {
			snprintf(err, errlen, "the statement has %d "
			    "parameter%s but no params were given", n,
			    n == 1 ? "" : "s");
			return -1;
		}
		return 0;
	}
	if (json_is_array(params)) {
		if ((size_t)n != json_array_size(params)) {
			snprintf(err, errlen, "the statement has %d "
			    "parameter%s, params has %zu value%s", n,
			    n == 1 ? "" : "s", json_array_size(params),
			    json_array_size(params) == 1 ? "" : "s");
			return -1;
		}
		for (int i = 1; i <= n; i++)
			if (bind_one(st, i, json_array_get(params,
			    (size_t)i - 1), err, errlen) != 0)
				return -1;
		return 0;
	}
	if (!json_is_object(params)) {
		/* A bare value is the one parameter of the statement. */
		if (n != 1) {
			snprintf(err, errlen, "the statement has %d "
			    "parameters, params has one value", n);
			return -1;
		}
		return bind_one(st, 1, params, err, errlen);
	}
	for (int i = 1; i <= n; i++) {
		const char *name = sqlite3_bind_parameter_name(st, i);

		if (name == NULL || name[0] == '?') {
			snprintf(err, errlen, "parameter %d is positional "
			    "(?); give params as a list", i);
			return -1;
		}
		if ((v = json_object_get(params, name + 1)) == NULL &&
		    (v = json_object_get(params, name)) == NULL) {
			snprintf(err, errlen, "params has no value for '%s'",
			    name);
			return -1;
		}
		if (bind_one(st, i, v, err, errlen) != 0)
			return -1;
	}
	/* A key no parameter uses is most likely a misspelt name. */
	json_object_foreach(params, key, v) {
		static const char prefixes[] = ":@$";
		int used = 0;

		for (const char *p = prefixes; *p && !used; p++) {
			char *name = xasprintf("%c%s", *p, key);

			used = sqlite3_bind_parameter_index(st, name) > 0 ||
			    sqlite3_bind_parameter_index(st, key) > 0;
			free(name);
		}
		if (!used) {
			snprintf(err, errlen, "params has '%s', which the "
			    "statement does not use", key);
			return -1;
		}
	}
	return 0;
}

/*
 * Prepare the first statement of sql into *st; *tail is what follows it.
 * Return -1 after act_fail on an error.  *st is NULL when sql holds no
 * statement, which is an error only when need is set.
 */
static int
prepare(struct act *a, sqlite3 *db, const char *path, const char *sql,
    const char **tail, int need, sqlite3_stmt **st)
{
	*st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, st, tail) != SQLITE_OK)
		return db_fail(a, db, "cannot prepare SQL", path, "");
	if (*st == NULL && need)
		return act_fail(a, "sql holds no statement");
	return 0;
}

/* Whether text holds another statement (not just spaces or comments). */
static int
more_sql(sqlite3 *db, const char *text)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, text, -1, &st, NULL);

	sqlite3_finalize(st);
	return rc != SQLITE_OK || st != NULL;
}

static json_t *
column_value(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	case SQLITE_TEXT:
		return json_stringn((const char *)sqlite3_column_text(st, i),
		    (size_t)sqlite3_column_bytes(st, i));
	case SQLITE_BLOB: {
		const void *p = sqlite3_column_blob(st, i);
		char *s = base64_encode(p, (size_t)sqlite3_column_bytes(st, i));
		json_t *v = json_string(s);

		free(s);
		return v;
	}
	default:
		return json_null();
	}
}

static int
do_query(struct act *a)
{
	const char *path = act_str(a, "db", ""), *sql = act_str(a, "sql", "");
	int dry = act_dry_run(a), ncols, rc;
	json_t *rows = NULL, *columns = NULL;
	char err[512];
	const char *tail;
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	size_t count = 0;

	db = open_db(a, path, dry ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE);
	if (db == NULL)
		return -1;
	if (prepare(a, db, path, sql, &tail, 1, &st) != 0)
		goto fail;
	if (more_sql(db, tail)) {
		act_fail(a, "sql holds more than one statement; sqlite.query "
		    "runs one");
		goto fail;
	}
	if (bind_params(st, act_arg(a, "params"), err, sizeof err) != 0) {
		act_fail(a, "cannot run SQL on '%s': %s", path, err);
		goto fail;
	}
	rows = json_array();
	columns = json_array();
	ncols = sqlite3_column_count(st);
	for (int i = 0; i < ncols; i++)
		json_array_append_new(columns,
		    json_string(sqlite3_column_name(st, i)));
	if (dry && !sqlite3_stmt_readonly(st)) {
		act_log(a, "dry run: would run a statement that changes '%s'",
		    path);
		goto done;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_object();

		for (int i = 0; i < ncols; i++) {
			json_t *v = column_value(st, i);

			if (v == NULL) {
				json_decref(row);
				act_fail(a, "row %zu, column '%s' of '%s': the "
				    "text is not valid UTF-8", count + 1,
				    sqlite3_column_name(st, i), path);
				goto fail;
			}
			json_object_set_new(row, sqlite3_column_name(st, i), v);
		}
		json_array_append_new(rows, row);
		count++;
	}
	if (rc != SQLITE_DONE) {
		db_fail(a, db, "cannot run SQL", path, "");
		goto fail;
	}
done:
	sqlite3_finalize(st);
	sqlite3_close(db);
	a->out = json_pack("{s:o, s:o, s:I}", "rows", rows, "columns",
	    columns, "count", (json_int_t)count);
	return 0;
fail:
	json_decref(rows);
	json_decref(columns);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return -1;
}

/* Step a statement to its end, ignoring any rows it returns. */
static int
run_stmt(sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	return rc == SQLITE_DONE ? 0 : -1;
}

/* One line of SQL for the log: the first line, shortened. */
static void
sql_summary(const char *sql, char *out, size_t len)
{
	size_t n = strcspn(sql, "\r\n");

	while (*sql == ' ' || *sql == '\t') {
		sql++;
		n--;
	}
	if (n + 1 > len) {
		/* Cut by characters: SQL holds Japanese names and text. */
		snprintf(out, len - 3, "%.*s", (int)n, sql);
		text_utf8_trim_partial(out);
		snprintf(out + strlen(out), 4, "...");
	} else
		snprintf(out, len, "%.*s", (int)n, sql);
}

static int
do_exec(struct act *a)
{
	const char *path = act_str(a, "db", ""), *sql = act_str(a, "sql", "");
	json_t *params = act_arg(a, "params"), *rows = act_arg(a, "rows"), *v;
	sqlite3_int64 before;
	sqlite3_stmt *st = NULL;
	const char *tail, *next;
	char err[512], where[64], line[120];
	sqlite3 *db;
	size_t i;

	if (params != NULL && rows != NULL)
		return act_fail(a, "give params or rows, not both");
	if (act_dry_run(a)) {
		sql_summary(sql, line, sizeof line);
		act_log(a, "dry run: would run on '%s': %s%s", path, line,
		    rows ? " (once per row)" : "");
		a->out = json_pack("{s:I, s:I}", "changes", (json_int_t)0,
		    "last_insert_id", (json_int_t)0);
		return 0;
	}
	if ((db = open_db(a, path, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE)) == NULL)
		return -1;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		db_fail(a, db, "cannot start a transaction", path, "");
		sqlite3_close(db);
		return -1;
	}
	before = sqlite3_total_changes64(db);
	if (params != NULL || rows != NULL) {
		/* One statement, bound once or once per row. */
		if (prepare(a, db, path, sql, &tail, 1, &st) != 0)
			goto fail;
		if (more_sql(db, tail)) {
			act_fail(a, "with params or rows, sql must be one "
			    "statement");
			goto fail;
		}
		if (rows == NULL) {
			if (bind_params(st, params, err, sizeof err) != 0) {
				act_fail(a, "cannot run SQL on '%s': %s", path,
				    err);
				goto fail;
			}
			if (run_stmt(st) != 0) {
				db_fail(a, db, "cannot run SQL", path, "");
				goto fail;
			}
		} else {
			json_array_foreach(rows, i, v) {
				snprintf(where, sizeof where, ", rows[%zu]", i);
				sqlite3_reset(st);
				if (bind_params(st, v, err, sizeof err) != 0) {
					act_fail(a, "cannot run SQL on '%s'%s: "
					    "%s", path, where, err);
					goto fail;
				}
				if (run_stmt(st) != 0) {
					db_fail(a, db, "cannot run SQL", path,
					    where);
					goto fail;
				}
			}
		}
		sqlite3_finalize(st);
		st = NULL;
	} else {
		/* A script of statements (a schema, say), in order. */
		for (next = sql; next != NULL && *next != '\0'; next = tail) {
			if (prepare(a, db, path, next, &tail, 0, &st) != 0)
				goto fail;
			if (st == NULL)
				break;
			if (sqlite3_bind_parameter_count(st) > 0) {
				act_fail(a, "the SQL has parameters but no "
				    "params were given");
				goto fail;
			}
			if (run_stmt(st) != 0) {
				db_fail(a, db, "cannot run SQL", path, "");
				goto fail;
			}
			sqlite3_finalize(st);
			st = NULL;
		}
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(a, db, "cannot commit", path, "");
		goto fail;
	}
	a->out = json_pack("{s:I, s:I}",
	    "changes", (json_int_t)(sqlite3_total_changes64(db) - before),
	    "last_insert_id", (json_int_t)sqlite3_last_insert_rowid(db));
	sqlite3_close(db);
	return 0;
fail:
	/* The message is set; undo everything this step did. */
	sqlite3_finalize(st);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return -1;
}

static const struct action_arg query_args[] = {
	{ "db", ARG_PATH_READ, 1, "the database file (must exist)" },
	{ "sql", ARG_STRING, 1, "one statement, with ? or :name parameters" },
	{ "params", ARG_ANY, 0, "a list for ?, a mapping for :name" },
	{ NULL, 0, 0, NULL },
};

static const struct action_arg exec_args[] = {
	{ "db", ARG_PATH_WRITE, 1, "the database file (created when missing)" },
	{ "sql", ARG_STRING, 1,
	    "the statement; several separated by ; without params or rows" },
	{ "params", ARG_ANY, 0, "a list for ?, a mapping for :name" },
	{ "rows", ARG_LIST, 0,
	    "run the statement once per element (its params), atomically" },
	{ NULL, 0, 0, NULL },
};

static const struct action_out query_out[] = {
	{ "rows", ARG_LIST, "the rows, each an object by column name" },
	{ "columns", ARG_LIST, "the column names, in order" },
	{ "count", ARG_INT, "the number of rows" },
	{ NULL, 0, NULL },
};

static const struct action_out exec_out[] = {
	{ "changes", ARG_INT, "rows changed" },
	{ "last_insert_id", ARG_INT, "the rowid of the last insert" },
	{ NULL, 0, NULL },
};

/* A dry run opens the database read-only: a query that writes fails. */
const struct action sqlite_actions[] = {
	{ "sqlite.query", "run a query and return its rows", query_args,
	    do_query, 0, NULL, ARG_MAP, query_out, ACTION_DRY_SELF },
	{ "sqlite.exec", "change a database in one transaction", exec_args,
	    do_exec, 0, NULL, ARG_MAP, exec_out, ACTION_DRY_SELF },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
