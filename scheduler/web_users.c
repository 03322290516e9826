/*
 * web_users.c - the users of the dashboard: the admin routes and the
 * `kobito-scheduler user` command (see web.h, docs/kpi.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>
#include <sodium.h>

#include "fsutil.h"
#include "textutil.h"
#include "timeutil.h"
#include "web_int.h"
#include "xmalloc.h"

/* A user name: 1-64 characters of A-Z a-z 0-9 . _ @ -. */
int
web_user_name_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' &&
		    s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9') ||
		    s[n] == '.' || s[n] == '_' || s[n] == '@' || s[n] == '-'))
			return 0;
	return n >= 1 && n <= 64;
}

/*
 * The simple form's role (role, else the user's) held in its department
 * (department, else the user's), as the user's only role.
 */
static int
regrant(struct conn *c, const struct kpi_config *kpi, int64_t id,
    const char *by, int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT role, department FROM users"
	    " WHERE id = ?");
	struct perm p;
	int ok;

	sqlite3_bind_int64(st, 1, id);
	ok = sqlite3_step(st) == SQLITE_ROW && perm_simple(kpi,
	    col_text(st, 0), col_text(st, 1), &p) == 0;
	sqlite3_reset(st);
	if (!ok)
		return 0;	/* "none": roles come from PUT .../roles */
	return perm_store(c, id, &p, by, now, err, errlen);
}

int
web_user_set(struct conn *c, const struct kpi_config *kpi, const char *name,
    const char *role, const char *department, const char *password,
    int disabled, int64_t now, int *created, char *err, size_t errlen)
{
	char hash[crypto_pwhash_STRBYTES];
	sqlite3_stmt *st;
	struct perm p;
	int64_t id = 0;

	*created = 0;
	if (!web_user_name_ok(name)) {
		snprintf(err, errlen, "name: 1-64 characters of A-Z a-z 0-9 . _ "
		    "@ -");
		return -1;
	}
	if (role != NULL && perm_simple(kpi, role, NULL, &p) != 0) {
		snprintf(err, errlen, "role: expected viewer, operator, engineer, "
		    "manager or admin, not '%s'", role);
		return -1;
	}
	if (department != NULL && strlen(department) > 127) {
		snprintf(err, errlen, "department: at most 127 bytes");
		return -1;
	}
	if (password != NULL && (text_utf8_chars(password, strlen(password)) <
	    WEB_PASSWORD_MIN || strlen(password) > WEB_PASSWORD_MAX)) {
		snprintf(err, errlen, "password: %d to %d characters",
		    WEB_PASSWORD_MIN, WEB_PASSWORD_MAX);
		return -1;
	}
	st = conn_stmt(c, "SELECT id FROM users WHERE name = ?");
	bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (id == 0) {
		if (role == NULL) {
			snprintf(err, errlen, "role: required for a new user");
			return -1;
		}
		st = conn_stmt(c, "INSERT INTO users (name, role, created_at)"
		    " VALUES (?, ?, ?)");
		bind_text(st, 1, name);
		bind_text(st, 2, role);
		sqlite3_bind_int64(st, 3, now);
		if (conn_step(c, st, err, errlen) != 0)
			return -1;
		id = conn_last_id(c);
		*created = 1;
	} else if (role != NULL) {
		st = conn_stmt(c, "UPDATE users SET role = ? WHERE id = ?");
		bind_text(st, 1, role);
		sqlite3_bind_int64(st, 2, id);
		if (conn_step(c, st, err, errlen) != 0)
			return -1;
	}
	if (department != NULL) {
		st = conn_stmt(c, "UPDATE users SET department = nullif(?, '')"
		    " WHERE id = ?");
		bind_text(st, 1, department);
		sqlite3_bind_int64(st, 2, id);
		if (conn_step(c, st, err, errlen) != 0)
			return -1;
	}
	if ((role != NULL || department != NULL) &&
	    regrant(c, kpi, id, "user set", now, err, errlen) != 0)
		return -1;
	if (disabled >= 0) {
		st = conn_stmt(c, "UPDATE users SET disabled = ? WHERE id = ?");
		sqlite3_bind_int(st, 1, disabled != 0);
		sqlite3_bind_int64(st, 2, id);
		if (conn_step(c, st, err, errlen) != 0)
			return -1;
	}
	if (password != NULL) {
		if (web_hash_password(password, hash) != 0) {
			snprintf(err, errlen, "cannot hash the password (out of "
			    "memory?)");
			return -1;
		}
		st = conn_stmt(c, "UPDATE users SET password_hash = ?"
		    " WHERE id = ?");
		bind_text(st, 1, hash);
		sqlite3_bind_int64(st, 2, id);
		if (conn_step(c, st, err, errlen) != 0)
			return -1;
	}
	/* A new password, a new role or a disabled user: sessions end. */
	if (password != NULL || disabled > 0 || (role != NULL && !*created)) {
		st = conn_stmt(c, "DELETE FROM web_sessions WHERE user_id = ?");
		sqlite3_bind_int64(st, 1, id);
		if (conn_step(c, st, err, errlen) != 0)
			return -1;
	}
	return 0;
}

struct usersq {
	int64_t		 now, idle;
	const struct kpi_config *kpi;
	json_t		*out;
};

static int
users_read(struct conn *c, void *p)
{
	struct usersq *q = p;
	sqlite3_stmt *st = conn_stmt(c, "SELECT u.name, u.role,"
	    " coalesce(u.department, ''), u.disabled,"
	    " u.password_hash IS NOT NULL, u.created_at,"
	    " (SELECT count(*) FROM web_sessions s WHERE s.user_id = u.id"
	    "  AND s.last_seen >= ?1),"
	    " (SELECT count(*) FROM tokens t WHERE t.user_id = u.id"
	    "  AND t.revoked_at IS NULL), u.id,"
	    " EXISTS (SELECT 1 FROM user_totp o WHERE o.user_id = u.id"
	    "  AND o.confirmed)"
	    " FROM users u ORDER BY u.name");
	json_t *a = json_array(), *o;
	struct perm pm;

	sqlite3_bind_int64(st, 1, q->now - q->idle);
	while (sqlite3_step(st) == SQLITE_ROW) {
		o = json_pack("{s:s, s:s, s:s, s:b, s:b, s:I, s:I, s:I, s:b}",
		    "name", col_text(st, 0), "role", col_text(st, 1),
		    "department", col_text(st, 2), "disabled",
		    sqlite3_column_int(st, 3), "has_password",
		    sqlite3_column_int(st, 4), "created_at",
		    (json_int_t)sqlite3_column_int64(st, 5), "sessions",
		    (json_int_t)sqlite3_column_int64(st, 6), "tokens",
		    (json_int_t)sqlite3_column_int64(st, 7), "totp",
		    sqlite3_column_int(st, 9));
		if (perm_load(c, sqlite3_column_int64(st, 8), ROLE_ADMIN,
		    &pm) == 0)
			json_object_update_new(o, perm_json(q->kpi, &pm));
		json_array_append_new(a, o);
	}
	sqlite3_reset(st);
	q->out = json_pack("{s:o}", "users", a);
	return 0;
}

void
web_h_users(struct web *w, struct web_req *r)
{
	struct usersq q = { r->now, w->cfg.idle_ms, w->kpi, NULL };

	if (store_read(w->st, users_read, &q) != 0 || q.out == NULL) {
		json_decref(q.out);
		web_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "the users");
		return;
	}
	web_reply_json(r, MHD_HTTP_OK, q.out);
}

struct userw {
	const struct kpi_config *kpi;
	const char	*name, *role, *department, *password;
	int		 disabled;
};

static int
user_write(struct conn *c, struct web_req *r, void *p)
{
	struct userw *u = p;
	char err[256];
	int created;

	if (web_user_set(c, u->kpi, u->name, u->role, u->department,
	    u->password, u->disabled, r->now, &created, err, sizeof err) != 0) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	web_reply_json(r, created ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    json_pack("{s:s, s:b}", "name", u->name, "created", created));
	return 0;
}

/* An optional string member: 0 (*out NULL when absent), or -1 (replied). */
static int
opt_string(struct web_req *r, const char *key, size_t maxlen,
    const char **out)
{
	json_t *v = json_object_get(r->in, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) > maxlen) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s: expected a string "
		    "of at most %zu bytes", key, maxlen);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

void
web_h_user_put(struct web *w, struct web_req *r)
{
	struct userw u;
	json_t *d;

	memset(&u, 0, sizeof u);
	u.kpi = w->kpi;
	u.name = r->args[0];
	u.disabled = -1;
	if (opt_string(r, "role", 16, &u.role) != 0 ||
	    opt_string(r, "department", 127, &u.department) != 0 ||
	    opt_string(r, "password", WEB_PASSWORD_MAX, &u.password) != 0)
		return;
	d = json_object_get(r->in, "disabled");
	if (d != NULL && !json_is_null(d)) {
		if (!json_is_boolean(d)) {
			web_reply_error(r, MHD_HTTP_BAD_REQUEST, "disabled: "
			    "expected true or false");
			return;
		}
		u.disabled = json_is_true(d);
	}
	/* The audit row names what changed, never the password. */
	r->detail = json_pack("{s:s, s:o, s:o, s:b, s:o}", "name", u.name,
	    "role", u.role ? json_string(u.role) : json_null(), "department",
	    u.department ? json_string(u.department) : json_null(),
	    "password_changed", u.password != NULL, "disabled",
	    u.disabled < 0 ? json_null() : json_boolean(u.disabled));
	if (strcmp(u.name, r->who.name) == 0 && (u.disabled > 0 ||
	    (u.role != NULL && strcmp(u.role, "admin") != 0))) {
		web_reply_error(r, MHD_HTTP_CONFLICT, "an admin cannot disable "
		    "or demote themself; ask another admin");
		return;
	}
	r->write(r, user_write, &u);
}

struct rolesw {
	const struct kpi_config *kpi;
	const char	*name;
	struct perm	 p;
};

static int
roles_write(struct conn *c, struct web_req *r, void *arg)
{
	struct rolesw *w = arg;
	sqlite3_stmt *st = conn_stmt(c, "SELECT id FROM users WHERE name = ?");
	struct perm old;
	char err[256];
	int64_t id = 0;

	bind_text(st, 1, w->name);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (id == 0) {
		web_reply_error(r, MHD_HTTP_NOT_FOUND, "no user '%s'", w->name);
		return -1;
	}
	/* The audit row keeps what the user held before. */
	if (perm_load(c, id, ROLE_ADMIN, &old) != 0 ||
	    perm_store(c, id, &w->p, r->who.name, r->now, err,
	    sizeof err) != 0) {
		web_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
		return -1;
	}
	json_object_set_new(r->detail, "old", perm_json(w->kpi, &old));
	web_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:o}", "name",
	    w->name, "roles", perm_json(w->kpi, &w->p)));
	return 0;
}

void
web_h_user_roles(struct web *w, struct web_req *r)
{
	struct rolesw rw;
	char err[256];

	memset(&rw, 0, sizeof rw);
	rw.kpi = w->kpi;
	rw.name = r->args[0];
	if (perm_parse(w->kpi, r->in, &rw.p, err, sizeof err) != 0) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	r->detail = json_pack("{s:s, s:o}", "name", rw.name, "new",
	    perm_json(w->kpi, &rw.p));
	if (strcmp(rw.name, r->who.name) == 0 && !rw.p.admin) {
		web_reply_error(r, MHD_HTTP_CONFLICT, "an admin cannot demote "
		    "themself; ask another admin");
		return;
	}
	r->write(r, roles_write, &rw);
}

/* --- the user command -------------------------------------------------------- */

static const char user_usage[] =
"usage: kobito-scheduler user set --db FILE --name NAME [--role ROLE]\n"
"                             [--department DEPT]\n"
"                             [--password-file FILE | --password-stdin]\n"
"                             [--disable | --enable]\n"
"       kobito-scheduler user list --db FILE\n";

struct usercmd {
	const char	*name, *role, *department;
	char		*password;
	int		 disabled, created;
	char		 err[256];
};

static int
usercmd_fn(struct conn *c, void *p)
{
	struct usercmd *u = p;

	return web_user_set(c, NULL, u->name, u->role, u->department,
	    u->password,
	    u->disabled, time_wall_ms(), &u->created, u->err, sizeof u->err);
}

/* The first line of a file or of standard input, as the password. */
char *
web_read_password(const char *path, char *err, size_t errlen)
{
	char *data = NULL, *nl;
	size_t len = 0, cap = 0;
	ssize_t n;

	if (path != NULL) {
		if (fsutil_read(path, 64 * 1024, &data, &len, err, errlen) != 0)
			return NULL;
	} else {
		data = xmalloc(cap = 4096);
		while (len < cap - 1 && (n = read(0, data + len,
		    cap - 1 - len)) > 0)
			len += (size_t)n;
		data[len] = '\0';
	}
	if ((nl = strpbrk(data, "\r\n")) != NULL)
		*nl = '\0';
	return data;
}

static int
list_fn(struct conn *c, void *p)
{
	struct usersq *q = p;

	return users_read(c, q);
}

int
web_cmd_user(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "role", required_argument, NULL, 'r' },
		{ "department", required_argument, NULL, 'D' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "password-stdin", no_argument, NULL, 'P' },
		{ "disable", no_argument, NULL, 'x' },
		{ "enable", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *pwfile = NULL;
	struct usercmd u;
	struct usersq q;
	struct store *st;
	char err[512];
	int c, pwstdin = 0, list;
	size_t i;
	json_t *v;

	memset(&u, 0, sizeof u);
	u.disabled = -1;
	if (argc < 2 || (strcmp(argv[1], "set") != 0 &&
	    strcmp(argv[1], "list") != 0)) {
		fputs(user_usage, stderr);
		return 2;
	}
	list = strcmp(argv[1], "list") == 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'n': u.name = optarg; break;
		case 'r': u.role = optarg; break;
		case 'D': u.department = optarg; break;
		case 'p': pwfile = optarg; break;
		case 'P': pwstdin = 1; break;
		case 'x': u.disabled = 1; break;
		case 'e': u.disabled = 0; break;
		default:
			fputs(user_usage, stderr);
			return 2;
		}
	}
	if (db == NULL || optind != argc || (!list && u.name == NULL) ||
	    (pwfile != NULL && pwstdin)) {
		fputs(user_usage, stderr);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "kobito-scheduler: cannot initialise "
		    "libsodium\n");
		return 1;
	}
	if ((pwfile != NULL || pwstdin) &&
	    (u.password = web_read_password(pwfile, err, sizeof err)) == NULL) {
		fprintf(stderr, "kobito-scheduler: %s\n", err);
		return 1;
	}
	if ((st = store_open(db, 0, err, sizeof err)) == NULL) {
		fprintf(stderr, "kobito-scheduler: %s\n", err);
		free(u.password);
		return 1;
	}
	if (list) {
		memset(&q, 0, sizeof q);
		q.now = time_wall_ms();
		q.idle = 8 * 3600 * 1000LL;
		store_read(st, list_fn, &q);
		json_array_foreach(json_object_get(q.out, "users"), i, v)
			printf("%-24s %-9s %-8s %s%s\n",
			    json_string_value(json_object_get(v, "name")),
			    json_string_value(json_object_get(v, "role")),
			    json_is_true(json_object_get(v, "has_password")) ?
			    "password" : "-",
			    json_string_value(json_object_get(v, "department")),
			    json_is_true(json_object_get(v, "disabled")) ?
			    " (disabled)" : "");
		json_decref(q.out);
		store_close(st);
		return 0;
	}
	if (store_write(st, usercmd_fn, &u, err, sizeof err) != 0) {
		fprintf(stderr, "kobito-scheduler: user '%s': %s\n", u.name,
		    u.err[0] ? u.err : err);
		store_close(st);
		if (u.password != NULL)
			sodium_memzero(u.password, strlen(u.password));
		free(u.password);
		return 1;
	}
	store_close(st);
	if (u.password != NULL)
		sodium_memzero(u.password, strlen(u.password));
	free(u.password);
	fprintf(stderr, "kobito-scheduler: user '%s' %s\n", u.name,
	    u.created ? "created" : "updated");
	return 0;
}
