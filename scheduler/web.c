/*
 * web.c - the web front's set-up, replies, the dashboard's static files,
 * sessions and CSRF, and the table of web routes (see web.h, docs/kpi.md,
 * docs/api.md; web_int.h says which file has the rest).
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
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <microhttpd.h>
#include <sodium.h>
#include <zlib.h>

#include "msg.h"
#include "timeutil.h"
#include "web_int.h"
#include "xmalloc.h"

#define STATIC_MAX	(8u * 1024 * 1024)	/* bytes of one static file */
#define TOUCH_MS	60000	/* last_seen is written at most this often */

void
web_config_defaults(struct web_config *c)
{
	memset(c, 0, sizeof *c);
	c->dashboard_dir = "dashboard";
	c->chartjs_dir = "/usr/share/javascript/chart.js";
	c->idle_ms = 8 * 3600 * 1000LL;
	c->max_ms = 24 * 3600 * 1000LL;
	c->max_failures = 5;
	c->addr_max_failures = 50;
	c->hot_failures = 10;
	c->delay_ms = 30000;
	c->delay_max_ms = 3600 * 1000LL;
	c->slow_ms = 10000;
	c->forget_ms = 15 * 60 * 1000LL;
	c->hash_max = 2;
	c->hash_wait_ms = 10000;
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
	if (web_hash_password(pw, w->dummy) != 0) {
		snprintf(err, errlen, "cannot hash a password (out of memory?)");
		free(w->dashboard_dir);
		free(w->chartjs_dir);
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->gmu, NULL);
	pthread_cond_init(&w->gcv, NULL);
	return w;
}

void
web_set_secrets(struct web *w, const struct secrets *sk)
{
	w->sk = sk;
}

void
web_set_directory(struct web *w, const struct dirauth *d)
{
	w->dir = d;
}

void
web_set_secure_cookies(struct web *w, int on)
{
	w->cfg.secure_cookie = on != 0;
}

const struct kpi_config *
web_kpi(const struct web *w)
{
	return w->kpi;
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
	pthread_mutex_destroy(&w->gmu);
	pthread_cond_destroy(&w->gcv);
	free(w);
}

static int
apply_fn(struct conn *c, void *p)
{
	void **a = p;

	if (kpi_apply(c, a[0], a[1], 256) != 0)
		return -1;
	/* Department texts written before the tree knew them: codes now. */
	return perm_normalize(c, a[0], a[1], 256);
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

const char *
web_value(const struct web_src *src, int kind, const char *key)
{
	return src != NULL ? src->value(src->ctx, kind, key) : NULL;
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
	int ja = r->src != NULL && msg_japanese(web_value(r->src,
	    MHD_HEADER_KIND, "Accept-Language"));
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	msg_vformat(msg, sizeof msg, ja, fmt, ap);
	va_end(ap);
	web_reply_json(r, status, json_pack("{s:s}", "error", msg));
}

void
web_headers_add(char *hdr[2 * WEB_MAX_HEADERS], int *nhdr, const char *name,
    const char *value)
{
	if (*nhdr >= WEB_MAX_HEADERS)
		abort();	/* a handler adds a fixed few: a program error */
	hdr[2 * *nhdr] = xstrdup(name);
	hdr[2 * *nhdr + 1] = xstrdup(value);
	(*nhdr)++;
}

void
web_add_header(struct web_req *r, const char *name, const char *value)
{
	web_headers_add(r->hdr, &r->nhdr, name, value);
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

void
web_reply_raw(struct web_req *r, int status, char *data, size_t len,
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

/* Whether a client's Accept-Encoding takes gzip (not with q=0). */
static int
takes_gzip(const struct web_src *src)
{
	const char *ae = web_value(src, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT_ENCODING), *g;

	if (ae == NULL || (g = strstr(ae, "gzip")) == NULL)
		return 0;
	g += 4;
	while (*g == ' ')
		g++;
	return strncmp(g, ";q=0", 4) != 0 || strncmp(g, ";q=0.", 5) == 0;
}

/* data (len bytes) gzipped: a new buffer of *out bytes, or NULL. */
static char *
gzip_of(const char *data, size_t len, size_t *out)
{
	z_stream z;
	uLong cap = compressBound((uLong)len) + 32;
	char *buf = xmalloc(cap);

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(buf);
		return NULL;
	}
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(buf);
		return NULL;
	}
	*out = z.total_out;
	deflateEnd(&z);
	return buf;
}

/*
 * Reply with a file's bytes (data, taken over): an ETag of its content,
 * kept by browsers but asked again each time (Cache-Control: no-cache,
 * answered 304 when unchanged: a new version shows at once), gzipped for
 * those who take it when it is text worth compressing.
 */
static void
send_file(struct web_req *r, char *data, size_t len, const char *ctype)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1], etag[80], *z;
	const char *inm = web_value(r->src, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);
	int gz = len > 512 && (strncmp(ctype, "text/", 5) == 0 ||
	    strncmp(ctype, "application/json", 16) == 0 ||
	    strncmp(ctype, "image/svg", 9) == 0) && takes_gzip(r->src);
	size_t zlen;

	crypto_hash_sha256(h, (const unsigned char *)data, len);
	sodium_bin2hex(hex, sizeof hex, h, 16);
	snprintf(etag, sizeof etag, "\"%s%s\"", hex, gz ? "-gz" : "");
	web_add_header(r, MHD_HTTP_HEADER_ETAG, etag);
	web_add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	web_add_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (inm != NULL && strstr(inm, etag) != NULL) {
		free(data);
		r->status = MHD_HTTP_NOT_MODIFIED;
		return;
	}
	if (gz && (z = gzip_of(data, len, &zlen)) != NULL) {
		free(data);
		data = z;
		len = zlen;
		web_add_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	}
	web_reply_raw(r, MHD_HTTP_OK, data, len, ctype);
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
	r->no_audit = 1;
	page_headers(r, strncmp(ctype, "text/html", 9) == 0);
	send_file(r, data, len, ctype);
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

void
web_sha256_hex(const char *s, char out[crypto_hash_sha256_BYTES * 2 + 1])
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
	if (s->found && perm_load(c, s->user_id, ROLE_ADMIN, &s->perm) != 0)
		s->found = 0;
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
int
web_find_session(struct web *w, const struct web_src *src, int64_t now,
    struct sess *s, const char **why)
{
	const char *v = web_value(src, MHD_COOKIE_KIND, WEB_COOKIE);

	memset(s, 0, sizeof *s);
	*why = NULL;
	if (v == NULL)
		return 0;
	if (!cookie_ok(v)) {
		*why = "malformed session cookie";
		return 0;
	}
	web_sha256_hex(v, s->hash);
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
int
web_origin_ok(const struct web_src *src)
{
	const char *origin = web_value(src, MHD_HEADER_KIND, "Origin");
	const char *host = web_value(src, MHD_HEADER_KIND,
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
web_authenticate(struct web *w, const struct web_src *src,
    const char *method, struct identity *who, char *err, size_t errlen)
{
	int64_t now = time_wall_ms();
	const char *why, *tok;
	struct touchw t;
	struct sess s;

	if (web_value(src, MHD_COOKIE_KIND, WEB_COOKIE) == NULL)
		return WEB_AUTH_NONE;
	if (!web_find_session(w, src, now, &s, &why)) {
		snprintf(err, errlen, "%s", why ? why : "invalid session");
		return WEB_AUTH_INVALID;
	}
	/* Set before the CSRF check too: a refusal's audit row names him. */
	memset(who, 0, sizeof *who);
	who->perm = s.perm;
	who->role = perm_top(&s.perm);
	who->user_id = s.user_id;
	snprintf(who->name, sizeof who->name, "%s", s.name);
	snprintf(who->department, sizeof who->department, "%s", s.department);
	if (is_change(method)) {
		tok = web_value(src, MHD_HEADER_KIND, WEB_CSRF_HEADER);
		if (tok == NULL || strlen(tok) != strlen(s.csrf) ||
		    sodium_memcmp(tok, s.csrf, strlen(s.csrf)) != 0) {
			snprintf(err, errlen, "missing or wrong %s header: "
			    "changes made with a session need the session's "
			    "CSRF token", WEB_CSRF_HEADER);
			return WEB_AUTH_CSRF;
		}
		if (!web_origin_ok(src)) {
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

void
web_set_cookie(struct web *w, struct web_req *r, const char *value,
    int64_t max_age_s)
{
	char *c = xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Strict; "
	    "Max-Age=%lld%s", WEB_COOKIE, value, (long long)max_age_s,
	    w->cfg.secure_cookie ? "; Secure" : "");

	web_add_header(r, MHD_HTTP_HEADER_SET_COOKIE, c);
	free(c);
}

void
web_h_session(struct web *w, struct web_req *r)
{
	const char *why;
	struct sess s;
	int via_session = web_find_session(w, r->src, r->now, &s, &why);

	json_t *out = perm_json(w->kpi, &r->who.perm);

	json_object_update_new(out, json_pack("{s:s, s:s, s:s, s:s, s:o}",
	    "name", r->who.name, "role", role_name(r->who.role), "department",
	    r->who.department, "via", via_session ? "session" : "token",
	    "csrf_token", via_session ? json_string(s.csrf) : json_null()));
	web_reply_json(r, MHD_HTTP_OK, out);
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

	if (!web_find_session(w, r->src, r->now, &s, &why)) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "no session to end (a "
		    "token has no session)");
		return;
	}
	h.hash = s.hash;
	web_reply_json(r, MHD_HTTP_OK, json_pack("{s:b}", "logged_out", 1));
	if (r->write(r, logout_write, &h) == 0)
		web_set_cookie(w, r, "", 0);
}

const char *
web_in_string(struct web_req *r, const char *key, size_t maxlen)
{
	json_t *v = r->in ? json_object_get(r->in, key) : NULL;

	if (v == NULL || !json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > maxlen)
		return NULL;
	return json_string_value(v);
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
	{ "PUT", "/api/users/{name}/roles", web_h_user_roles },
	{ "DELETE", "/api/users/{name}/totp", web_h_totp_remove },
	{ "POST", "/api/session/totp", web_h_totp_begin },
	{ "PUT", "/api/session/totp", web_h_totp_confirm },
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
