/*
 * web_login.c - logins, their throttling, and passwords (see web.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <microhttpd.h>
#include <sodium.h>

#include "timeutil.h"
#include "web_int.h"
#include "xmalloc.h"

/* Argon2id with libsodium's interactive limits (about 64 MiB, 2 passes). */
int
web_hash_password(const char *pw, char out[crypto_pwhash_STRBYTES])
{
	return crypto_pwhash_str_alg(out, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13);
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
	web_sha256_hex(l->cookie, hash);
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
	if (l->password != NULL &&
	    web_hash_password(l->password, newhash) == 0) {
		st = conn_stmt(c, "UPDATE users SET password_hash = ?"
		    " WHERE id = ?");
		bind_text(st, 1, newhash);
		sqlite3_bind_int64(st, 2, l->u->id);
		conn_step(c, st, NULL, 0);
	}
	return 0;
}

void
web_h_login(struct web *w, struct web_req *r)
{
	const char *name = web_in_string(r, "username", 64);
	const char *pw = web_in_string(r, "password", WEB_PASSWORD_MAX);
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
	    !web_origin_ok(r->conn)) {
		web_reply_error(r, MHD_HTTP_FORBIDDEN, "log in from the "
		    "dashboard (a JSON request from this site)");
		return;
	}
	if (name == NULL || pw == NULL) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "username and password: "
		    "required strings");
		return;
	}
	if (!web_user_name_ok(name)) {
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
	web_set_cookie(w, r, l.cookie, w->cfg.max_ms / 1000);
	for (i = 0; i < (int)sizeof l.cookie; i++)
		l.cookie[i] = 0;
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
	const char *cur = web_in_string(r, "current", WEB_PASSWORD_MAX);
	struct pwchange pc;
	struct user u;

	pc.next = web_in_string(r, "new", WEB_PASSWORD_MAX);
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
		web_set_cookie(w, r, "", 0);
}
