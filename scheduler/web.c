/*
 * web.c - logins, sessions, CSRF, login throttling, the dashboard's static
 * files, users, and the KPI routes (see web.h, docs/kpi.md, docs/api.md).
 *
 * Sessions live in the database (web_sessions), so a restart of the
 * scheduler does not log anyone out, and only the SHA-256 of the cookie
 * is stored.  The CSRF token is per session: the dashboard reads it from
 * GET /api/session (JavaScript cannot read the HttpOnly cookie itself) and
 * sends it back in a header with every change; a page on another site
 * can neither read it nor make the browser add the header.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include <sodium.h>

#include "fsutil.h"
#include "textutil.h"
#include "timeutil.h"
#include "web.h"
#include "xmalloc.h"

#define STATIC_MAX	(8u * 1024 * 1024)	/* bytes of one static file */
#define TOUCH_MS	60000	/* last_seen is written at most this often */
#define SESSION_BYTES	32

struct web {
	struct store		*st;
	const struct kpi_config	*kpi;
	struct kpi_config	*own_kpi;	/* web_setup's, freed with us */
	struct web_config	 cfg;
	char			*dashboard_dir;
	char			*chartjs_dir;
	char			 dummy[crypto_pwhash_STRBYTES];
};

void
web_config_defaults(struct web_config *c)
{
	memset(c, 0, sizeof *c);
	c->dashboard_dir = "dashboard";
	c->chartjs_dir = "/usr/share/javascript/chart.js";
	c->idle_ms = 8 * 3600 * 1000LL;
	c->max_ms = 24 * 3600 * 1000LL;
	c->max_failures = 5;
	c->delay_ms = 30000;
	c->delay_max_ms = 3600 * 1000LL;
	c->forget_ms = 15 * 60 * 1000LL;
}

/* Argon2id with libsodium's interactive limits (about 64 MiB, 2 passes). */
static int
hash_password(const char *pw, char out[crypto_pwhash_STRBYTES])
{
	return crypto_pwhash_str_alg(out, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13);
}

struct web *
web_new(struct store *st, const struct kpi_config *kpi,
    const struct web_config *cfg, char *err, size_t errlen)
{
	struct web *w;
	unsigned char junk[16];
	char pw[33];

	if (sodium_init() < 0) {
		snprintf(err, errlen, "cannot initialise libsodium");
		return NULL;
	}
	w = xcalloc(1, sizeof *w);
	w->st = st;
	w->kpi = kpi;
	w->cfg = *cfg;
	w->dashboard_dir = xstrdup(cfg->dashboard_dir);
	w->chartjs_dir = xstrdup(cfg->chartjs_dir);
	w->cfg.dashboard_dir = w->dashboard_dir;
	w->cfg.chartjs_dir = w->chartjs_dir;
	/*
	 * A hash of a random password, verified when the user name is
	 * unknown, so that the answer takes as long as for a known one.
	 */
	randombytes_buf(junk, sizeof junk);
	sodium_bin2hex(pw, sizeof pw, junk, sizeof junk);
	if (hash_password(pw, w->dummy) != 0) {
		snprintf(err, errlen, "cannot hash a password (out of memory?)");
		free(w->dashboard_dir);
		free(w->chartjs_dir);
		free(w);
		return NULL;
	}
	return w;
}

void
web_free(struct web *w)
{
	if (w == NULL)
		return;
	if (w->own_kpi != NULL) {
		kpi_config_free(w->own_kpi);
		free(w->own_kpi);
	}
	free(w->dashboard_dir);
	free(w->chartjs_dir);
	free(w);
}

static int
apply_fn(struct conn *c, void *p)
{
	void **a = p;

	return kpi_apply(c, a[0], a[1], 256);
}

/*
 * A file shipped with kobito, next to the program: BIN/../NAME (the source
 * tree), BIN/../../NAME (a build directory's bin/), BIN/../share/kobito/
 * NAME (installed).  Returns the path of the first that exists (with
 * check appended) with check left off, or NULL.
 */
static char *
find_near(const char *name, const char *check)
{
	static const char *const rel[] = { "..", "../..", "../share/kobito" };
	char exe[PATH_MAX], *slash, *p;
	ssize_t n;
	size_t i;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		p = xasprintf("%s/%s/%s%s", exe, rel[i], name, check);
		if (access(p, R_OK) == 0) {
			p[strlen(p) - strlen(check)] = '\0';
			return p;
		}
		free(p);
	}
	return NULL;
}

struct web *
web_setup(struct store *st, const char *kpi_path, const char *dashboard_dir,
    char *err, size_t errlen)
{
	struct kpi_config *kpi = xcalloc(1, sizeof *kpi);
	struct web_config wc;
	struct web *w;
	char aerr[256] = "", *dir, *found = NULL;
	void *args[2];
	int rc;

	if (kpi_path == NULL)
		kpi_path = found = find_near("config/kpi.yaml", "");
	if (kpi_path == NULL) {
		kpi_config_defaults(kpi);
		rc = 0;
	} else
		rc = kpi_config_load(kpi, kpi_path, err, errlen);
	free(found);
	if (rc != 0) {
		kpi_config_free(kpi);
		free(kpi);
		return NULL;
	}
	args[0] = kpi;
	args[1] = aerr;
	if (store_write(st, apply_fn, args, err, errlen) != 0) {
		if (aerr[0])
			snprintf(err, errlen, "%s", aerr);
		kpi_config_free(kpi);
		free(kpi);
		return NULL;
	}
	dir = dashboard_dir ? xstrdup(dashboard_dir) :
	    find_near("dashboard", "/index.html");
	if (dir == NULL)
		dir = xstrdup("dashboard");
	web_config_defaults(&wc);
	wc.dashboard_dir = dir;
	if ((w = web_new(st, kpi, &wc, err, errlen)) == NULL) {
		kpi_config_free(kpi);
		free(kpi);
		free(dir);
		return NULL;
	}
	w->own_kpi = kpi;
	free(dir);
	return w;
}

/* --- replies ------------------------------------------------------------- */

void
web_reply_json(struct web_req *r, int status, json_t *out)
{
	json_decref(r->out);
	r->status = status;
	r->out = out;
}

void
web_reply_error(struct web_req *r, int status, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	web_reply_json(r, status, json_pack("{s:s}", "error", msg));
}

void
web_add_header(struct web_req *r, const char *name, const char *value)
{
	if (r->nhdr >= WEB_MAX_HEADERS)
		abort();	/* a handler adds a fixed few: a program error */
	r->hdr[2 * r->nhdr] = xstrdup(name);
	r->hdr[2 * r->nhdr + 1] = xstrdup(value);
	r->nhdr++;
}

void
web_req_clear(struct web_req *r)
{
	int i;

	json_decref(r->out);
	json_decref(r->detail);
	free(r->raw);
	free(r->ctype);
	for (i = 0; i < 2 * r->nhdr; i++)
		free(r->hdr[i]);
	r->out = r->detail = NULL;
	r->raw = r->ctype = NULL;
	r->nhdr = 0;
}

static void
reply_raw(struct web_req *r, int status, char *data, size_t len,
    const char *ctype)
{
	free(r->raw);
	free(r->ctype);
	r->status = status;
	r->raw = data;
	r->rawlen = len;
	r->ctype = xstrdup(ctype);
}

/* --- static files --------------------------------------------------------- */

static const struct {
	const char	*ext;
	const char	*ctype;
} ctypes[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".json", "application/json; charset=utf-8" },
	{ ".txt", "text/plain; charset=utf-8" },
};

/*
 * The content type for a file name the dashboard may serve, or NULL: one
 * path segment of [A-Za-z0-9._-], not starting with a dot, with a known
 * extension.  Nothing else is ever opened, so "..", "/" and their encoded
 * forms (which libmicrohttpd has already decoded) cannot reach a file.
 */
static const char *
static_type(const char *name)
{
	size_t n = strlen(name), i, e;
	const char *p;

	if (n == 0 || n > 128 || name[0] == '.')
		return NULL;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			return NULL;
	if (strstr(name, "..") != NULL)
		return NULL;
	for (i = 0; i < sizeof ctypes / sizeof ctypes[0]; i++) {
		e = strlen(ctypes[i].ext);
		if (n > e && strcmp(name + n - e, ctypes[i].ext) == 0)
			return ctypes[i].ctype;
	}
	return NULL;
}

/* Headers every page gets: no sniffing, no framing, scripts from here only. */
static void
page_headers(struct web_req *r, int html)
{
	web_add_header(r, "X-Content-Type-Options", "nosniff");
	web_add_header(r, "Referrer-Policy", "no-referrer");
	if (html) {
		web_add_header(r, "X-Frame-Options", "DENY");
		web_add_header(r, "Content-Security-Policy",
		    "default-src 'self'; script-src 'self'; style-src 'self'; "
		    "img-src 'self' data: blob:; connect-src 'self'; "
		    "object-src 'none'; base-uri 'none'; form-action 'self'; "
		    "frame-ancestors 'none'");
	}
}

/* Serve dir/name (a regular file; symlinks only when follow is set). */
static void
serve_file(struct web_req *r, const char *dir, const char *name,
    const char *ctype, int follow)
{
	struct stat sb;
	char *path = xasprintf("%s/%s", dir, name), *data;
	size_t len = 0, got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	free(path);
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (size_t)sb.st_size > STATIC_MAX) {
		if (fd >= 0)
			close(fd);
		web_reply_error(r, MHD_HTTP_NOT_FOUND, "no file '%s'", name);
		return;
	}
	len = (size_t)sb.st_size;
	data = xmalloc(len + 1);
	while (got < len && (n = read(fd, data + got, len - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got != len) {
		free(data);
		web_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "'%s'", name);
		return;
	}
	reply_raw(r, MHD_HTTP_OK, data, len, ctype);
	page_headers(r, strncmp(ctype, "text/html", 9) == 0);
	r->no_audit = 1;
}

void
web_h_static(struct web *w, struct web_req *r)
{
	const char *name = r->args[0] ? r->args[0] : "index.html";
	const char *ctype = static_type(name);

	if (ctype == NULL) {
		web_reply_error(r, MHD_HTTP_NOT_FOUND, "no file '%s'", name);
		return;
	}
	serve_file(r, w->dashboard_dir, name, ctype, 0);
}

void
web_h_vendor(struct web *w, struct web_req *r)
{
	/* Only Chart.js, from Debian's libjs-chart.js. */
	if (strcmp(r->args[0], "chart.min.js") != 0 &&
	    strcmp(r->args[0], "chart.js") != 0) {
		web_reply_error(r, MHD_HTTP_NOT_FOUND, "no file '%s'",
		    r->args[0]);
		return;
	}
	serve_file(r, w->chartjs_dir, r->args[0],
	    "text/javascript; charset=utf-8", 1);
}

/* --- sessions -------------------------------------------------------------- */

static void
sha256_hex(const char *s, char out[crypto_hash_sha256_BYTES * 2 + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
	sodium_bin2hex(out, crypto_hash_sha256_BYTES * 2 + 1, h, sizeof h);
}

/* A session cookie value: 43 base64url characters. */
static int
cookie_ok(const char *v)
{
	size_t n = 0;

	for (; v[n]; n++)
		if (!((v[n] >= 'a' && v[n] <= 'z') || (v[n] >= 'A' &&
		    v[n] <= 'Z') || (v[n] >= '0' && v[n] <= '9') ||
		    v[n] == '-' || v[n] == '_'))
			return 0;
	return n == 43;
}

struct sess {
	char		 hash[crypto_hash_sha256_BYTES * 2 + 1];
	int		 found;
	int64_t		 user_id;
	char		 csrf[65];
	int64_t		 created, last_seen;
	char		 name[128];
	char		 role[16];
	char		 department[128];
	int		 disabled;
};

static int
session_read(struct conn *c, void *p)
{
	struct sess *s = p;
	sqlite3_stmt *st = conn_stmt(c, "SELECT s.user_id, s.csrf,"
	    " s.created_at, s.last_seen, u.name, u.role,"
	    " coalesce(u.department, ''), u.disabled FROM web_sessions s"
	    " JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?");

	bind_text(st, 1, s->hash);
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->found = 1;
		s->user_id = sqlite3_column_int64(st, 0);
		snprintf(s->csrf, sizeof s->csrf, "%s", col_text(st, 1));
		s->created = sqlite3_column_int64(st, 2);
		s->last_seen = sqlite3_column_int64(st, 3);
		snprintf(s->name, sizeof s->name, "%s", col_text(st, 4));
		snprintf(s->role, sizeof s->role, "%s", col_text(st, 5));
		snprintf(s->department, sizeof s->department, "%s",
		    col_text(st, 6));
		s->disabled = sqlite3_column_int(st, 7);
	}
	sqlite3_reset(st);
	return 0;
}

struct touchw {
	const char	*hash;
	int64_t		 now;
};

static int
touch_fn(struct conn *c, void *p)
{
	struct touchw *t = p;
	sqlite3_stmt *st = conn_stmt(c, "UPDATE web_sessions SET last_seen = ?"
	    " WHERE id_hash = ?");

	sqlite3_bind_int64(st, 1, t->now);
	bind_text(st, 2, t->hash);
	return conn_step(c, st, NULL, 0);
}

/* Look up the request's session; 1 found (and live), 0 not. */
static int
find_session(struct web *w, struct MHD_Connection *conn, int64_t now,
    struct sess *s, const char **why)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND,
	    WEB_COOKIE);

	memset(s, 0, sizeof *s);
	*why = NULL;
	if (v == NULL)
		return 0;
	if (!cookie_ok(v)) {
		*why = "malformed session cookie";
		return 0;
	}
	sha256_hex(v, s->hash);
	if (store_read(w->st, session_read, s) != 0 || !s->found) {
		*why = "no such session; log in again";
		return 0;
	}
	if (now - s->last_seen > w->cfg.idle_ms ||
	    now - s->created > w->cfg.max_ms) {
		*why = "the session has expired; log in again";
		return 0;
	}
	if (s->disabled) {
		*why = "the user is disabled";
		return 0;
	}
	return 1;
}

/* Whether Origin (when the browser sent one) names the Host we are. */
static int
origin_ok(struct MHD_Connection *conn)
{
	const char *origin = MHD_lookup_connection_value(conn,
	    MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_HOST);
	const char *rest;

	if (origin == NULL)
		return 1;
	if (host == NULL)
		return 0;
	if (strncmp(origin, "http://", 7) == 0)
		rest = origin + 7;
	else if (strncmp(origin, "https://", 8) == 0)
		rest = origin + 8;
	else
		return 0;
	return strcasecmp(rest, host) == 0;
}

static int
is_change(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

enum web_auth
web_authenticate(struct web *w, struct MHD_Connection *conn,
    const char *method, struct identity *who, char *err, size_t errlen)
{
	int64_t now = time_wall_ms();
	const char *why, *tok;
	struct touchw t;
	struct sess s;
	enum role role;

	if (MHD_lookup_connection_value(conn, MHD_COOKIE_KIND,
	    WEB_COOKIE) == NULL)
		return WEB_AUTH_NONE;
	if (!find_session(w, conn, now, &s, &why) ||
	    role_parse(s.role, &role) != 0 || role == ROLE_AGENT) {
		snprintf(err, errlen, "%s", why ? why : "invalid session");
		return WEB_AUTH_INVALID;
	}
	/* Set before the CSRF check too: a refusal's audit row names him. */
	memset(who, 0, sizeof *who);
	who->role = role;
	who->user_id = s.user_id;
	snprintf(who->name, sizeof who->name, "%s", s.name);
	snprintf(who->department, sizeof who->department, "%s", s.department);
	if (is_change(method)) {
		tok = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    WEB_CSRF_HEADER);
		if (tok == NULL || strlen(tok) != strlen(s.csrf) ||
		    sodium_memcmp(tok, s.csrf, strlen(s.csrf)) != 0) {
			snprintf(err, errlen, "missing or wrong %s header: "
			    "changes made with a session need the session's "
			    "CSRF token", WEB_CSRF_HEADER);
			return WEB_AUTH_CSRF;
		}
		if (!origin_ok(conn)) {
			snprintf(err, errlen, "the request comes from another "
			    "site (Origin does not match Host)");
			return WEB_AUTH_CSRF;
		}
	}
	if (now - s.last_seen > TOUCH_MS) {
		t.hash = s.hash;
		t.now = now;
		store_write(w->st, touch_fn, &t, NULL, 0);
	}
	return WEB_AUTH_OK;
}

static void
set_cookie(struct web *w, struct web_req *r, const char *value,
    int64_t max_age_s)
{
	char *c = xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Strict; "
	    "Max-Age=%lld%s", WEB_COOKIE, value, (long long)max_age_s,
	    w->cfg.secure_cookie ? "; Secure" : "");

	web_add_header(r, MHD_HTTP_HEADER_SET_COOKIE, c);
	free(c);
}

/* --- login throttling ------------------------------------------------------ */

struct fails {
	const char	*key[2];	/* "user:NAME", "addr:IP" */
	int64_t		 locked_until[2];
};

static int
fails_read(struct conn *c, void *p)
{
	struct fails *f = p;
	sqlite3_stmt *st;
	int i;

	for (i = 0; i < 2; i++) {
		st = conn_stmt(c, "SELECT locked_until FROM web_login_failures"
		    " WHERE key = ?");
		bind_text(st, 1, f->key[i]);
		f->locked_until[i] = sqlite3_step(st) == SQLITE_ROW ?
		    sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
	}
	return 0;
}

/* Count one failure against key; sets the lock once past the limit. */
static int
fail_count(struct conn *c, struct web *w, const char *key, int64_t now)
{
	sqlite3_stmt *st;
	int64_t n = 0, last = 0, delay = 0;
	int k;

	st = conn_stmt(c, "SELECT failures, last_at FROM web_login_failures"
	    " WHERE key = ?");
	bind_text(st, 1, key);
	if (sqlite3_step(st) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
		last = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (now - last > w->cfg.forget_ms)
		n = 0;
	n++;
	if (n >= w->cfg.max_failures) {
		delay = w->cfg.delay_ms;
		for (k = 0; k < n - w->cfg.max_failures &&
		    delay < w->cfg.delay_max_ms; k++)
			delay *= 2;
		if (delay > w->cfg.delay_max_ms)
			delay = w->cfg.delay_max_ms;
	}
	st = conn_stmt(c, "INSERT INTO web_login_failures (key, failures,"
	    " last_at, locked_until) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (key) DO UPDATE SET failures = ?2, last_at = ?3,"
	    " locked_until = ?4");
	bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, n);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, delay ? now + delay : 0);
	return conn_step(c, st, NULL, 0);
}

/* --- login ------------------------------------------------------------------ */

struct user {
	int		 found;
	int64_t		 id;
	char		 name[128];
	char		 role[16];
	char		 department[128];
	char		 hash[crypto_pwhash_STRBYTES];
	int		 disabled;
};

static int
user_read(struct conn *c, void *p)
{
	struct user *u = p;
	sqlite3_stmt *st = conn_stmt(c, "SELECT id, role,"
	    " coalesce(department, ''), coalesce(password_hash, ''), disabled"
	    " FROM users WHERE name = ?");

	bind_text(st, 1, u->name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		u->found = 1;
		u->id = sqlite3_column_int64(st, 0);
		snprintf(u->role, sizeof u->role, "%s", col_text(st, 1));
		snprintf(u->department, sizeof u->department, "%s",
		    col_text(st, 2));
		snprintf(u->hash, sizeof u->hash, "%s", col_text(st, 3));
		u->disabled = sqlite3_column_int(st, 4);
	}
	sqlite3_reset(st);
	return 0;
}

struct loginw {
	struct web	*w;
	struct fails	*f;
	struct user	*u;
	int		 ok;
	const char	*password;	/* to rehash, or NULL */
	char		 cookie[64];
	char		 csrf[65];
};

static int
login_write(struct conn *c, struct web_req *r, void *p)
{
	struct loginw *l = p;
	unsigned char raw[SESSION_BYTES];
	char hash[crypto_hash_sha256_BYTES * 2 + 1];
	char newhash[crypto_pwhash_STRBYTES];
	sqlite3_stmt *st;
	int i;

	if (!l->ok) {
		for (i = 0; i < 2; i++)
			if (fail_count(c, l->w, l->f->key[i], r->now) != 0)
				return -1;
		return 0;	/* the reply (401) is already set */
	}
	for (i = 0; i < 2; i++) {
		st = conn_stmt(c, "DELETE FROM web_login_failures WHERE key = ?");
		bind_text(st, 1, l->f->key[i]);
		conn_step(c, st, NULL, 0);
	}
	/* Sessions past their time are dropped here, at each login. */
	st = conn_stmt(c, "DELETE FROM web_sessions WHERE last_seen < ?1"
	    " OR created_at < ?2");
	sqlite3_bind_int64(st, 1, r->now - l->w->cfg.idle_ms);
	sqlite3_bind_int64(st, 2, r->now - l->w->cfg.max_ms);
	conn_step(c, st, NULL, 0);
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(l->cookie, sizeof l->cookie, raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(l->csrf, sizeof l->csrf, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	sha256_hex(l->cookie, hash);
	st = conn_stmt(c, "INSERT INTO web_sessions (id_hash, user_id, csrf,"
	    " created_at, last_seen, remote) VALUES (?, ?, ?, ?, ?, ?)");
	bind_text(st, 1, hash);
	sqlite3_bind_int64(st, 2, l->u->id);
	bind_text(st, 3, l->csrf);
	sqlite3_bind_int64(st, 4, r->now);
	sqlite3_bind_int64(st, 5, r->now);
	bind_text(st, 6, r->remote);
	if (conn_step(c, st, NULL, 0) != 0) {
		web_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot "
		    "create the session");
		return -1;
	}
	/* A hash made with weaker limits than today's is redone. */
	if (l->password != NULL && hash_password(l->password, newhash) == 0) {
		st = conn_stmt(c, "UPDATE users SET password_hash = ?"
		    " WHERE id = ?");
		bind_text(st, 1, newhash);
		sqlite3_bind_int64(st, 2, l->u->id);
		conn_step(c, st, NULL, 0);
	}
	return 0;
}

/* A user name: 1-64 characters of A-Z a-z 0-9 . _ @ -. */
static int
user_name_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' &&
		    s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9') ||
		    s[n] == '.' || s[n] == '_' || s[n] == '@' || s[n] == '-'))
			return 0;
	return n >= 1 && n <= 64;
}

static const char *
in_string(struct web_req *r, const char *key, size_t maxlen)
{
	json_t *v = r->in ? json_object_get(r->in, key) : NULL;

	if (v == NULL || !json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > maxlen)
		return NULL;
	return json_string_value(v);
}

void
web_h_login(struct web *w, struct web_req *r)
{
	const char *name = in_string(r, "username", 64);
	const char *pw = in_string(r, "password", WEB_PASSWORD_MAX);
	const char *ctype = MHD_lookup_connection_value(r->conn,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	char ukey[160], akey[96];
	struct fails f;
	struct user u;
	struct loginw l;
	int64_t until;
	char ra[32];
	int i;

	/* A form on another site cannot send JSON (it would need CORS). */
	if (ctype == NULL || strncasecmp(ctype, "application/json", 16) != 0 ||
	    !origin_ok(r->conn)) {
		web_reply_error(r, MHD_HTTP_FORBIDDEN, "log in from the "
		    "dashboard (a JSON request from this site)");
		return;
	}
	if (name == NULL || pw == NULL) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "username and password: "
		    "required strings");
		return;
	}
	if (!user_name_ok(name)) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "username: 1-64 "
		    "characters of A-Z a-z 0-9 . _ @ -");
		return;
	}
	r->detail = json_pack("{s:s}", "username", name);
	snprintf(ukey, sizeof ukey, "user:%s", name);
	snprintf(akey, sizeof akey, "addr:%s", r->remote);
	f.key[0] = ukey;
	f.key[1] = akey;
	store_read(w->st, fails_read, &f);
	until = f.locked_until[0] > f.locked_until[1] ? f.locked_until[0] :
	    f.locked_until[1];
	if (until > r->now) {
		snprintf(ra, sizeof ra, "%lld",
		    (long long)((until - r->now + 999) / 1000));
		web_reply_json(r, MHD_HTTP_TOO_MANY_REQUESTS, json_pack("{s:s,"
		    " s:I}", "error", f.locked_until[0] > r->now ? "too many "
		    "failed logins for this user; wait before trying again" :
		    "too many failed logins from this address; wait before "
		    "trying again", "retry_after_s",
		    (json_int_t)((until - r->now + 999) / 1000)));
		web_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
		json_object_set_new(r->detail, "refused", json_string(
		    "throttled"));
		return;
	}
	memset(&u, 0, sizeof u);
	snprintf(u.name, sizeof u.name, "%s", name);
	store_read(w->st, user_read, &u);
	memset(&l, 0, sizeof l);
	l.w = w;
	l.f = &f;
	l.u = &u;
	if (u.found && u.hash[0] != '\0' && !u.disabled)
		l.ok = crypto_pwhash_str_verify(u.hash, pw, strlen(pw)) == 0;
	else if (crypto_pwhash_str_verify(w->dummy, pw, strlen(pw)) == 0)
		l.ok = 0;	/* the same time spent; never a match */
	if (l.ok && crypto_pwhash_str_needs_rehash(u.hash,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		l.password = pw;
	if (!l.ok) {
		web_reply_error(r, MHD_HTTP_UNAUTHORIZED, "wrong user name or "
		    "password");
		json_object_set_new(r->detail, "refused", json_string(
		    "wrong user name or password"));
		r->write(r, login_write, &l);
		return;
	}
	/* Known from here on: the audit row of the login names the user. */
	memset(&r->who, 0, sizeof r->who);
	(void)role_parse(u.role, &r->who.role);
	r->who.user_id = u.id;
	snprintf(r->who.name, sizeof r->who.name, "%s", u.name);
	snprintf(r->who.department, sizeof r->who.department, "%s",
	    u.department);
	r->authed = 1;
	r->status = MHD_HTTP_OK;
	if (r->write(r, login_write, &l) != 0 || r->status >= 400)
		return;
	web_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:s, s:s, s:s}",
	    "name", u.name, "role", u.role, "department", u.department,
	    "csrf_token", l.csrf));
	set_cookie(w, r, l.cookie, w->cfg.max_ms / 1000);
	for (i = 0; i < (int)sizeof l.cookie; i++)
		l.cookie[i] = 0;
}

void
web_h_session(struct web *w, struct web_req *r)
{
	const char *why;
	struct sess s;
	int via_session = find_session(w, r->conn, r->now, &s, &why);

	web_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:s, s:s, s:s, s:o}",
	    "name", r->who.name, "role", role_name(r->who.role), "department",
	    r->who.department, "via", via_session ? "session" : "token",
	    "csrf_token", via_session ? json_string(s.csrf) : json_null()));
}

struct hashw {
	const char	*hash;
};

static int
logout_write(struct conn *c, struct web_req *r, void *p)
{
	struct hashw *h = p;
	sqlite3_stmt *st = conn_stmt(c, "DELETE FROM web_sessions"
	    " WHERE id_hash = ?");

	(void)r;
	bind_text(st, 1, h->hash);
	return conn_step(c, st, NULL, 0);
}

void
web_h_logout(struct web *w, struct web_req *r)
{
	const char *why;
	struct sess s;
	struct hashw h;

	if (!find_session(w, r->conn, r->now, &s, &why)) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "no session to end (a "
		    "token has no session)");
		return;
	}
	h.hash = s.hash;
	web_reply_json(r, MHD_HTTP_OK, json_pack("{s:b}", "logged_out", 1));
	if (r->write(r, logout_write, &h) == 0)
		set_cookie(w, r, "", 0);
}

/* --- users ------------------------------------------------------------------ */

int
web_user_set(struct conn *c, const char *name, const char *role,
    const char *department, const char *password, int disabled, int64_t now,
    int *created, char *err, size_t errlen)
{
	char hash[crypto_pwhash_STRBYTES];
	sqlite3_stmt *st;
	enum role rl;
	int64_t id = 0;

	*created = 0;
	if (!user_name_ok(name)) {
		snprintf(err, errlen, "name: 1-64 characters of A-Z a-z 0-9 . _ "
		    "@ -");
		return -1;
	}
	if (role != NULL && (role_parse(role, &rl) != 0 || rl == ROLE_AGENT ||
	    rl == ROLE_NONE)) {
		snprintf(err, errlen, "role: expected viewer, operator, engineer "
		    "or admin, not '%s'", role);
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
	if (disabled >= 0) {
		st = conn_stmt(c, "UPDATE users SET disabled = ? WHERE id = ?");
		sqlite3_bind_int(st, 1, disabled != 0);
		sqlite3_bind_int64(st, 2, id);
		if (conn_step(c, st, err, errlen) != 0)
			return -1;
	}
	if (password != NULL) {
		if (hash_password(password, hash) != 0) {
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
	    "  AND t.revoked_at IS NULL)"
	    " FROM users u ORDER BY u.name");
	json_t *a = json_array();

	sqlite3_bind_int64(st, 1, q->now - q->idle);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:b, s:b,"
		    " s:I, s:I, s:I}", "name", col_text(st, 0), "role",
		    col_text(st, 1), "department", col_text(st, 2), "disabled",
		    sqlite3_column_int(st, 3), "has_password",
		    sqlite3_column_int(st, 4), "created_at",
		    (json_int_t)sqlite3_column_int64(st, 5), "sessions",
		    (json_int_t)sqlite3_column_int64(st, 6), "tokens",
		    (json_int_t)sqlite3_column_int64(st, 7)));
	sqlite3_reset(st);
	q->out = json_pack("{s:o}", "users", a);
	return 0;
}

void
web_h_users(struct web *w, struct web_req *r)
{
	struct usersq q = { r->now, w->cfg.idle_ms, NULL };

	if (store_read(w->st, users_read, &q) != 0 || q.out == NULL) {
		json_decref(q.out);
		web_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "the users");
		return;
	}
	web_reply_json(r, MHD_HTTP_OK, q.out);
}

struct userw {
	const char	*name, *role, *department, *password;
	int		 disabled;
};

static int
user_write(struct conn *c, struct web_req *r, void *p)
{
	struct userw *u = p;
	char err[256];
	int created;

	if (web_user_set(c, u->name, u->role, u->department, u->password,
	    u->disabled, r->now, &created, err, sizeof err) != 0) {
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

	(void)w;
	memset(&u, 0, sizeof u);
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

struct pwchange {
	const char	*next;
};

static int
password_write(struct conn *c, struct web_req *r, void *p)
{
	struct pwchange *pc = p;
	char err[256];
	int created;

	if (web_user_set(c, r->who.name, NULL, NULL, pc->next, -1, r->now,
	    &created, err, sizeof err) != 0) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	web_reply_json(r, MHD_HTTP_OK, json_pack("{s:b, s:s}",
	    "password_changed", 1, "note", "every session of this user has "
	    "ended; log in again"));
	return 0;
}

void
web_h_password(struct web *w, struct web_req *r)
{
	const char *cur = in_string(r, "current", WEB_PASSWORD_MAX);
	struct pwchange pc;
	struct user u;

	pc.next = in_string(r, "new", WEB_PASSWORD_MAX);
	r->detail = json_pack("{s:s}", "name", r->who.name);
	if (cur == NULL || pc.next == NULL) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "current and new: "
		    "required strings");
		return;
	}
	memset(&u, 0, sizeof u);
	snprintf(u.name, sizeof u.name, "%s", r->who.name);
	store_read(w->st, user_read, &u);
	if (!u.found || u.hash[0] == '\0' || crypto_pwhash_str_verify(u.hash,
	    cur, strlen(cur)) != 0) {
		web_reply_error(r, MHD_HTTP_FORBIDDEN, "current: wrong password");
		return;
	}
	if (r->write(r, password_write, &pc) == 0 && r->status == MHD_HTTP_OK)
		set_cookie(w, r, "", 0);
}

/* --- KPI routes ---------------------------------------------------------- */

/* Monotonic milliseconds with a fraction, for Server-Timing. */
static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The time spent building a report, for the browser's tools and benches. */
static void
server_timing(struct web_req *r, double t0)
{
	char v[64];

	snprintf(v, sizeof v, "report;dur=%.3f", mono_ms() - t0);
	web_add_header(r, "Server-Timing", v);
}

void
web_h_kpi_config(struct web *w, struct web_req *r)
{
	web_reply_json(r, MHD_HTTP_OK, kpi_config_json(w->kpi));
}

struct reportq {
	struct web		*w;
	enum kpi_report_kind	 kind;
	int			 fy;
	int64_t			 now;
	json_t			*out;
	char			 err[256];
};

static int
report_read(struct conn *c, void *p)
{
	struct reportq *q = p;

	q->out = kpi_report(c, q->w->kpi, q->kind, q->fy, q->now, q->err,
	    sizeof q->err);
	return q->out ? 0 : -1;
}

void
web_h_kpi_report(struct web *w, struct web_req *r)
{
	const char *year = MHD_lookup_connection_value(r->conn,
	    MHD_GET_ARGUMENT_KIND, "year");
	const char *fmt = MHD_lookup_connection_value(r->conn,
	    MHD_GET_ARGUMENT_KIND, "format");
	const char *lang = MHD_lookup_connection_value(r->conn,
	    MHD_GET_ARGUMENT_KIND, "lang");
	char name[64], *dot, *csv, *disp;
	struct reportq q;
	size_t len;
	int want_csv = 0;
	long fy = 0;
	char *end;
	double t0 = mono_ms();

	snprintf(name, sizeof name, "%s", r->args[0]);
	if ((dot = strrchr(name, '.')) != NULL && strcmp(dot, ".csv") == 0) {
		*dot = '\0';
		want_csv = 1;
	}
	if (fmt != NULL) {
		if (strcmp(fmt, "csv") == 0)
			want_csv = 1;
		else if (strcmp(fmt, "json") != 0) {
			web_reply_error(r, MHD_HTTP_BAD_REQUEST, "format: "
			    "expected json or csv, not '%s'", fmt);
			return;
		}
	}
	memset(&q, 0, sizeof q);
	if (kpi_report_parse(name, &q.kind) != 0) {
		web_reply_error(r, MHD_HTTP_NOT_FOUND, "no report '%s' (known: "
		    "overview, years, months, departments, scripts, "
		    "input_points, surveys)", name);
		return;
	}
	if (year != NULL) {
		errno = 0;
		fy = strtol(year, &end, 10);
		if (errno != 0 || *end != '\0' || fy < 2000 || fy > 2200) {
			web_reply_error(r, MHD_HTTP_BAD_REQUEST, "year: expected "
			    "a fiscal year from 2000 to 2200, not '%s'", year);
			return;
		}
	}
	if (lang != NULL && strcmp(lang, "en") != 0 && strcmp(lang, "ja") != 0) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "lang: expected ja or "
		    "en, not '%s'", lang);
		return;
	}
	q.w = w;
	q.fy = (int)fy;
	q.now = r->now;
	if (store_read(w->st, report_read, &q) != 0) {
		web_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", q.err);
		return;
	}
	if (!want_csv) {
		web_reply_json(r, MHD_HTTP_OK, q.out);
		server_timing(r, t0);
		return;
	}
	csv = kpi_csv(q.out, lang != NULL && strcmp(lang, "en") == 0, &len);
	disp = xasprintf("attachment; filename=\"kobito-kpi-%s-%lld.csv\"",
	    kpi_report_name(q.kind), (long long)json_integer_value(
	    json_object_get(q.out, "fiscal_year")));
	json_decref(q.out);
	reply_raw(r, MHD_HTTP_OK, csv, len, "text/csv; charset=utf-8");
	web_add_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
	free(disp);
	server_timing(r, t0);
}

struct surveyw {
	struct web	*w;
	const char	*department, *date;
	long		 respondents, positive;
};

static int
survey_write(struct conn *c, struct web_req *r, void *p)
{
	struct surveyw *s = p;
	char err[256];
	int64_t id;

	if (kpi_survey_add(c, s->w->kpi, s->department, s->date,
	    s->respondents, s->positive, r->who.name, r->now, &id, err,
	    sizeof err) != 0) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	web_reply_json(r, MHD_HTTP_CREATED, json_pack("{s:I}", "id",
	    (json_int_t)id));
	json_object_set_new(r->detail, "id", json_integer(id));
	return 0;
}

static int
count_member(struct web_req *r, const char *key, long *out)
{
	json_t *v = json_object_get(r->in, key);

	if (v == NULL || !json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 10000000) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s: expected a count "
		    "from 0 to 10000000", key);
		return -1;
	}
	*out = (long)json_integer_value(v);
	return 0;
}

void
web_h_survey_add(struct web *w, struct web_req *r)
{
	struct surveyw s;

	s.w = w;
	s.department = in_string(r, "department", 127);
	s.date = in_string(r, "date", 10);
	if (s.department == NULL || s.date == NULL) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "department and date "
		    "(YYYY-MM-DD): required strings");
		return;
	}
	if (count_member(r, "respondents", &s.respondents) != 0 ||
	    count_member(r, "positive", &s.positive) != 0)
		return;
	r->detail = json_pack("{s:s, s:s}", "department", s.department, "date",
	    s.date);
	r->write(r, survey_write, &s);
}

struct importw {
	struct web	*w;
	int		 n;
};

static int
import_write(struct conn *c, struct web_req *r, void *p)
{
	struct importw *im = p;
	char err[512];

	if (kpi_survey_import(c, im->w->kpi, "surveys.csv", r->body,
	    r->bodylen, r->who.name, r->now, &im->n, err, sizeof err) != 0) {
		web_reply_json(r, MHD_HTTP_UNPROCESSABLE_CONTENT, json_pack(
		    "{s:s, s:[s]}", "error", "the survey file does not import",
		    "errors", err));
		return -1;
	}
	web_reply_json(r, MHD_HTTP_CREATED, json_pack("{s:i}", "imported",
	    im->n));
	r->detail = json_pack("{s:i}", "imported", im->n);
	return 0;
}

void
web_h_survey_import(struct web *w, struct web_req *r)
{
	struct importw im = { w, 0 };

	if (r->body == NULL || r->bodylen == 0) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "the body must be the "
		    "CSV file (department,date,respondents,positive)");
		return;
	}
	r->write(r, import_write, &im);
}


static int
survey_delete_write(struct conn *c, struct web_req *r, void *p)
{
	int64_t id = *(int64_t *)p;

	if (kpi_survey_delete(c, id) != 0) {
		web_reply_error(r, MHD_HTTP_NOT_FOUND, "no survey %lld",
		    (long long)id);
		return -1;
	}
	web_reply_json(r, MHD_HTTP_OK, json_pack("{s:I}", "deleted",
	    (json_int_t)id));
	return 0;
}

void
web_h_survey_delete(struct web *w, struct web_req *r)
{
	int64_t id = text_parse_id(r->args[0]);

	(void)w;
	if (id == 0) {
		web_reply_error(r, MHD_HTTP_NOT_FOUND, "no survey '%s'",
		    r->args[0]);
		return;
	}
	r->detail = json_pack("{s:I}", "id", (json_int_t)id);
	r->write(r, survey_delete_write, &id);
}

struct fixw {
	int64_t		 run;
	double		 minutes;
};

static int
fix_write(struct conn *c, struct web_req *r, void *p)
{
	struct fixw *f = p;
	char err[256];

	if (kpi_set_fix_minutes(c, f->run, f->minutes, err, sizeof err) != 0) {
		web_reply_error(r, strstr(err, "no ledger row") ?
		    MHD_HTTP_NOT_FOUND : MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	web_reply_json(r, MHD_HTTP_OK, json_pack("{s:I, s:f}", "run",
	    (json_int_t)f->run, "fix_minutes", f->minutes));
	return 0;
}

void
web_h_fix_minutes(struct web *w, struct web_req *r)
{
	json_t *m = json_object_get(r->in, "minutes");
	struct fixw f;

	(void)w;
	f.run = text_parse_id(r->args[0]);
	if (f.run == 0) {
		web_reply_error(r, MHD_HTTP_NOT_FOUND, "no run '%s'", r->args[0]);
		return;
	}
	if (m == NULL || !json_is_number(m)) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "minutes: expected a "
		    "number");
		return;
	}
	f.minutes = json_number_value(m);
	r->detail = json_pack("{s:I, s:f}", "run", (json_int_t)f.run,
	    "minutes", f.minutes);
	r->write(r, fix_write, &f);
}

/* --- the route table ------------------------------------------------------ */

/*
 * The API's route table has a row for each web route (its role and body);
 * this table says which function answers it.
 */
static const struct {
	const char	*method;
	const char	*pattern;
	web_handler_fn	 fn;
} handlers[] = {
	{ "GET", "/", web_h_static },
	{ "GET", "/{file}", web_h_static },
	{ "GET", "/vendor/{file}", web_h_vendor },
	{ "POST", "/api/session", web_h_login },
	{ "GET", "/api/session", web_h_session },
	{ "DELETE", "/api/session", web_h_logout },
	{ "PUT", "/api/session/password", web_h_password },
	{ "GET", "/api/users", web_h_users },
	{ "PUT", "/api/users/{name}", web_h_user_put },
	{ "GET", "/api/kpi/config", web_h_kpi_config },
	{ "GET", "/api/kpi/{report}", web_h_kpi_report },
	{ "POST", "/api/kpi/surveys", web_h_survey_add },
	{ "POST", "/api/kpi/surveys/import", web_h_survey_import },
	{ "DELETE", "/api/kpi/surveys/{id}", web_h_survey_delete },
	{ "PUT", "/api/kpi/runs/{id}/fix_minutes", web_h_fix_minutes },
};

web_handler_fn
web_handler(const char *method, const char *pattern)
{
	size_t i;

	for (i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
		if (strcmp(handlers[i].method, method) == 0 &&
		    strcmp(handlers[i].pattern, pattern) == 0)
			return handlers[i].fn;
	return NULL;
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

	return web_user_set(c, u->name, u->role, u->department, u->password,
	    u->disabled, time_wall_ms(), &u->created, u->err, sizeof u->err);
}

/* The first line of a file or of standard input, as the password. */
static char *
read_password(const char *path, char *err, size_t errlen)
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
	    (u.password = read_password(pwfile, err, sizeof err)) == NULL) {
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
