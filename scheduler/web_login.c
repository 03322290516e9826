/*
 * web_login.c - logins, their throttling, and passwords (see web.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <microhttpd.h>
#include <sodium.h>

#include "timeutil.h"
#include "dirauth.h"
#include "totp.h"
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

/* --- Argon2id, a few at a time -------------------------------------------- */

/*
 * Each Argon2id computation takes 64 MiB and most of a core for a tenth of
 * a second: 64 at once took the scheduler to 1.9 GB.  At most
 * cfg.hash_max run at once; a login that cannot start one within
 * cfg.hash_wait_ms is answered 503.
 */
static int
gate_enter(struct web *w)
{
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(w->cfg.hash_wait_ms / 1000);
	ts.tv_nsec += (long)(w->cfg.hash_wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->gmu);
	while (w->hashing >= w->cfg.hash_max && rc == 0)
		rc = pthread_cond_timedwait(&w->gcv, &w->gmu, &ts);
	if (w->hashing < w->cfg.hash_max) {
		w->hashing++;
		rc = 0;
	} else
		rc = -1;
	pthread_mutex_unlock(&w->gmu);
	return rc;
}

static void
gate_leave(struct web *w)
{
	pthread_mutex_lock(&w->gmu);
	w->hashing--;
	pthread_cond_signal(&w->gcv);
	pthread_mutex_unlock(&w->gmu);
}

/* Whether pw is the password of hash: 1, 0, or -1 when too busy to say. */
static int
verify(struct web *w, const char *hash, const char *pw)
{
	int ok;

	if (gate_enter(w) != 0)
		return -1;
	ok = crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
	gate_leave(w);
	return ok;
}

/* --- login throttling ------------------------------------------------------ */

/*
 * Failed logins are counted against keys, each with its own rule:
 *
 *   dev:HASH      a browser that logged in as this user before (its device
 *                 cookie): only its own failures count, so no one else can
 *                 hold it back;
 *   pair:NAME@IP  this user name from this address: from the 5th failure
 *                 on, a wait that doubles from 30 s to 1 h;
 *   addr:IP       any user name from this address: the same from the 50th
 *                 (someone trying many names; one person's typos stop at
 *                 their pair long before);
 *   user:NAME     this user name from anywhere: never a lock, but from the
 *                 10th failure on, each address that fails for it waits
 *                 10 s before its next try.
 *
 * A browser with the user's device cookie is counted under dev: only;
 * others under pair:, addr: and user:.  So typos behind a shared proxy
 * hold back no one else, and an admin's own browser can always log in.
 *
 * An attempt is counted before its password is checked, in one write with
 * the check of the waits: of 64 attempts at once, the first five are
 * checked and the rest wait (they all used to be checked).  A success
 * takes its count back and clears dev: and pair:.
 */
enum tkind { T_DEV, T_PAIR, T_ADDR, T_USER };

struct throttle {
	struct web	*w;
	int64_t		 now;
	int		 n;
	enum tkind	 kind[3];
	char		 key[3][200];
	int64_t		 until;		/* refused: wait until then */
	enum tkind	 why;
};

/* Add the key "prefix:a" or "prefix:a@b" of this kind. */
static void
throttle_key(struct throttle *t, enum tkind kind, const char *prefix,
    const char *a, const char *b)
{
	t->kind[t->n] = kind;
	snprintf(t->key[t->n], sizeof t->key[t->n], "%s:%s%s%s", prefix, a,
	    b ? "@" : "", b ? b : "");
	t->n++;
}

/* How many failures of this kind of key start the waits (0: never). */
static int
threshold(const struct web *w, enum tkind kind)
{
	switch (kind) {
	case T_DEV:
	case T_PAIR:
		return w->cfg.max_failures;
	case T_ADDR:
		return w->cfg.addr_max_failures;
	case T_USER:
		break;
	}
	return 0;
}

/* The end of the wait after n failures of this kind of key, or 0. */
static int64_t
wait_until(const struct web *w, enum tkind kind, int64_t n, int64_t now)
{
	int64_t delay = w->cfg.delay_ms, k, lim = threshold(w, kind);

	if (lim == 0 || n < lim)
		return 0;
	for (k = lim; k < n && delay < w->cfg.delay_max_ms; k++)
		delay *= 2;
	return now + (delay < w->cfg.delay_max_ms ? delay :
	    w->cfg.delay_max_ms);
}

struct tstate {
	int64_t		 failures, last_at, locked_until;
};

static void
tstate_read(struct conn *c, const char *key, struct tstate *s)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT failures, last_at,"
	    " locked_until FROM web_login_failures WHERE key = ?");

	memset(s, 0, sizeof *s);
	bind_text(st, 1, key);
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->failures = sqlite3_column_int64(st, 0);
		s->last_at = sqlite3_column_int64(st, 1);
		s->locked_until = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
}

static int
tstate_write(struct conn *c, const char *key, const struct tstate *s)
{
	sqlite3_stmt *st = conn_stmt(c, "INSERT INTO web_login_failures (key,"
	    " failures, last_at, locked_until) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (key) DO UPDATE SET failures = ?2, last_at = ?3,"
	    " locked_until = ?4");

	bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, s->failures);
	sqlite3_bind_int64(st, 3, s->last_at);
	sqlite3_bind_int64(st, 4, s->locked_until);
	return conn_step(c, st, NULL, 0);
}

/*
 * Refuse the attempt while one of its keys waits (t->until), else count
 * it as a failure in advance.  One write: attempts cannot pass between
 * the check and the count.
 */
static int
reserve_fn(struct conn *c, void *p)
{
	struct throttle *t = p;
	const struct web *w = t->w;
	struct tstate s[3];
	sqlite3_stmt *st;
	int i, hot = 0;

	/* Keys of failures forgotten, a few at each attempt. */
	st = conn_stmt(c, "DELETE FROM web_login_failures WHERE rowid IN"
	    " (SELECT rowid FROM web_login_failures WHERE last_at < ?1 AND"
	    " locked_until < ?2 LIMIT 32)");
	sqlite3_bind_int64(st, 1, t->now - w->cfg.forget_ms);
	sqlite3_bind_int64(st, 2, t->now);
	if (conn_step(c, st, NULL, 0) != 0)
		return -1;
	for (i = 0; i < t->n; i++) {
		tstate_read(c, t->key[i], &s[i]);
		if (t->now - s[i].last_at > w->cfg.forget_ms)
			s[i].failures = 0;
		if (t->kind[i] != T_USER && s[i].locked_until > t->until) {
			t->until = s[i].locked_until;
			t->why = t->kind[i];
		}
		if (t->kind[i] == T_USER && s[i].failures + 1 >=
		    w->cfg.hot_failures)
			hot = 1;
	}
	if (t->until > t->now)
		return 0;
	t->until = 0;
	for (i = 0; i < t->n; i++) {
		s[i].failures++;
		s[i].last_at = t->now;
		s[i].locked_until = wait_until(w, t->kind[i], s[i].failures,
		    t->now);
		if (t->kind[i] == T_PAIR && hot &&
		    s[i].locked_until < t->now + w->cfg.slow_ms)
			s[i].locked_until = t->now + w->cfg.slow_ms;
		if (tstate_write(c, t->key[i], &s[i]) != 0)
			return -1;
	}
	return 0;
}

/*
 * Take back the failure reserve_fn counted in advance: after a success
 * (which also clears dev: and pair:), or when the password could not be
 * checked.
 */
static int
unreserve(struct conn *c, const struct throttle *t, int success)
{
	sqlite3_stmt *st;
	struct tstate s;
	int i;

	for (i = 0; i < t->n; i++) {
		if (success && (t->kind[i] == T_DEV || t->kind[i] == T_PAIR)) {
			st = conn_stmt(c, "DELETE FROM web_login_failures"
			    " WHERE key = ?");
			bind_text(st, 1, t->key[i]);
			if (conn_step(c, st, NULL, 0) != 0)
				return -1;
			continue;
		}
		tstate_read(c, t->key[i], &s);
		if (s.failures > 0)
			s.failures--;
		if (s.failures < threshold(t->w, t->kind[i]) ||
		    threshold(t->w, t->kind[i]) == 0)
			s.locked_until = 0;
		if (tstate_write(c, t->key[i], &s) != 0)
			return -1;
	}
	return 0;
}

static int
unreserve_fn(struct conn *c, void *p)
{
	return unreserve(c, p, 0);
}

/* --- devices -------------------------------------------------------------- */

/*
 * A browser that logged in as a user gets a device cookie, sent only to
 * POST /api/session, for 180 days: with it, failures of others never
 * hold its user back (see above).  It grants nothing else.
 */
#define DEVICE_COOKIE	"kobito_device"
#define DEVICE_MAX_AGE	(180 * 86400LL)	/* seconds */
#define DEVICES_KEPT	10		/* per user */

/* The device cookie's hash when it is well-formed, else "". */
static void
device_hash(const struct web_src *src, char out[65])
{
	const char *v = web_value(src, MHD_COOKIE_KIND, DEVICE_COOKIE);

	out[0] = '\0';
	if (v != NULL && strlen(v) == 43 && strspn(v, "ABCDEFGHIJKLMNOPQRSTUV"
	    "WXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43)
		web_sha256_hex(v, out);
}

/* A new device for user_id, its cookie value in cookie (44 bytes). */
static int
device_add(struct conn *c, int64_t user_id, int64_t now, char cookie[64])
{
	unsigned char raw[SESSION_BYTES];
	char hash[65];
	sqlite3_stmt *st;

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(cookie, 64, raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	web_sha256_hex(cookie, hash);
	st = conn_stmt(c, "INSERT INTO web_devices (hash, user_id, created_at,"
	    " last_used) VALUES (?1, ?2, ?3, ?3)");
	bind_text(st, 1, hash);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, now);
	if (conn_step(c, st, NULL, 0) != 0)
		return -1;
	/* The user's oldest devices beyond the few kept, and stale ones. */
	st = conn_stmt(c, "DELETE FROM web_devices WHERE last_used < ?3 OR"
	    " (user_id = ?1 AND hash NOT IN (SELECT hash FROM web_devices"
	    "  WHERE user_id = ?1 ORDER BY last_used DESC LIMIT ?2))");
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int(st, 2, DEVICES_KEPT);
	sqlite3_bind_int64(st, 3, now - DEVICE_MAX_AGE * 1000);
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
	char		 device[65];	/* in: the device cookie's hash */
	int		 trusted;	/* out: the device is this user's */
	int64_t		 max_age_ms;
	int64_t		 now;
	struct perm	 perm;		/* out: the user's roles */
	const struct web *w;		/* in: for the one-time key */
	struct web_totp	 totp;		/* out: the one-time key, if any */
	int		 totp_bad;	/* out: it does not open */
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
	if (u->found && perm_load(c, u->id, ROLE_ADMIN, &u->perm) != 0)
		u->found = 0;
	if (u->found && web_totp_read(c, u->w, u->id, &u->totp) != 0)
		u->totp_bad = 1;
	if (!u->found || u->device[0] == '\0')
		return 0;
	st = conn_stmt(c, "SELECT 1 FROM web_devices WHERE hash = ? AND"
	    " user_id = ? AND last_used >= ?");
	bind_text(st, 1, u->device);
	sqlite3_bind_int64(st, 2, u->id);
	sqlite3_bind_int64(st, 3, u->now - DEVICE_MAX_AGE * 1000);
	u->trusted = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return 0;
}

struct loginw {
	struct web	*w;
	struct throttle	*t;
	struct user	*u;
	const struct perm *dir;		/* a directory login's roles, or NULL */
	const char	*dept;		/* and its department */
	int64_t		 totp_step;	/* the one-time code's step, or 0 */
	const char	*password;	/* to rehash, or NULL */
	char		 cookie[64];
	char		 csrf[65];
	char		 device[64];	/* a new device cookie, or "" */
};

/*
 * A directory login: the user as kobito keeps them (made at the first
 * login, without a password of their own) and the roles their groups give
 * now, which replace those of the login before.
 */
static int
directory_user(struct conn *c, struct web_req *r, struct loginw *l)
{
	sqlite3_stmt *st;
	char err[256];

	if (!l->u->found) {
		st = conn_stmt(c, "INSERT INTO users (name, role, department,"
		    " created_at) VALUES (?, 'none', nullif(?, ''), ?)");
		bind_text(st, 1, l->u->name);
		bind_text(st, 2, l->dept);
		sqlite3_bind_int64(st, 3, r->now);
		if (conn_step(c, st, err, sizeof err) != 0)
			goto fail;
		l->u->id = conn_last_id(c);
		l->u->found = 1;
	} else if (l->dept[0] != '\0') {
		st = conn_stmt(c, "UPDATE users SET department = ?"
		    " WHERE id = ?");
		bind_text(st, 1, l->dept);
		sqlite3_bind_int64(st, 2, l->u->id);
		if (conn_step(c, st, err, sizeof err) != 0)
			goto fail;
	}
	if (perm_store(c, l->u->id, l->dir, "directory", r->now, err,
	    sizeof err) != 0)
		goto fail;
	l->u->perm = *l->dir;
	snprintf(l->u->department, sizeof l->u->department, "%s", l->dept);
	return 0;
fail:
	web_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
	return -1;
}

/* A successful login: the session, the device, the counts taken back. */
static int
login_write(struct conn *c, struct web_req *r, void *p)
{
	struct loginw *l = p;
	unsigned char raw[SESSION_BYTES];
	char hash[crypto_hash_sha256_BYTES * 2 + 1];
	char newhash[crypto_pwhash_STRBYTES];
	sqlite3_stmt *st;

	if (unreserve(c, l->t, 1) != 0)
		return -1;
	if (l->dir != NULL && directory_user(c, r, l) != 0)
		return -1;
	/* A one-time code is good once: a second login with it fails. */
	if (l->totp_step > 0 && web_totp_use(c, l->u->id, l->totp_step) != 0) {
		web_reply_error(r, MHD_HTTP_UNAUTHORIZED, "this one-time code "
		    "was used already; wait for the next one");
		return -1;
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
	if (l->u->trusted) {
		st = conn_stmt(c, "UPDATE web_devices SET last_used = ?"
		    " WHERE hash = ?");
		sqlite3_bind_int64(st, 1, r->now);
		bind_text(st, 2, l->u->device);
		conn_step(c, st, NULL, 0);
	} else if (device_add(c, l->u->id, r->now, l->device) != 0) {
		web_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot "
		    "record the device");
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

/* A failed login of a known user: its audit row names the user. */
static int
failure_write(struct conn *c, struct web_req *r, void *p)
{
	(void)c;
	(void)r;
	(void)p;
	return 0;
}

static void
refuse_throttled(struct web_req *r, const struct throttle *t)
{
	static const char *const why[] = {
		[T_DEV] = "too many failed logins from this browser",
		[T_PAIR] = "too many failed logins for this user from this "
		    "address",
		[T_ADDR] = "too many failed logins from this address",
		[T_USER] = "too many failed logins for this user",
	};
	int64_t secs = (t->until - t->now + 999) / 1000;
	char ra[32];

	snprintf(ra, sizeof ra, "%lld", (long long)secs);
	web_reply_json(r, MHD_HTTP_TOO_MANY_REQUESTS, json_pack("{s:s+, s:I}",
	    "error", why[t->why], "; wait before trying again",
	    "retry_after_s", (json_int_t)secs));
	web_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
}

static void
device_cookie(struct web *w, struct web_req *r, const char *value)
{
	char *c = xasprintf("%s=%s; Path=/api/session; HttpOnly; "
	    "SameSite=Strict; Max-Age=%lld%s", DEVICE_COOKIE, value,
	    DEVICE_MAX_AGE, w->cfg.secure_cookie ? "; Secure" : "");

	web_add_header(r, MHD_HTTP_HEADER_SET_COOKIE, c);
	free(c);
}

/*
 * The one-time code of a user who has them on, after the right password:
 * 0 with its step in l->totp_step, or -1 with the refusal made (no code:
 * 401 otp_required, not counted as a failure; a wrong one: 401, counted).
 */
static int
second_factor(struct web *w, struct web_req *r, struct throttle *t,
    const struct user *u, struct loginw *l)
{
	const char *otp = web_in_string(r, "otp", 16);

	if (u->totp_bad) {
		store_write(w->st, unreserve_fn, t, NULL, 0);
		web_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "the one-time "
		    "key cannot be opened (another secrets key file?)");
		return -1;
	}
	if (otp == NULL) {
		store_write(w->st, unreserve_fn, t, NULL, 0);
		web_reply_json(r, MHD_HTTP_UNAUTHORIZED, json_pack("{s:s, s:b}",
		    "error", "a one-time code is needed", "otp_required", 1));
		return -1;
	}
	switch (totp_check(u->totp.key, sizeof u->totp.key, otp, r->now,
	    u->totp.last_step, &l->totp_step)) {
	case 1:
		return 0;
	case -1:
		web_reply_error(r, MHD_HTTP_UNAUTHORIZED, "this one-time code "
		    "was used already; wait for the next one");
		break;
	default:
		web_reply_error(r, MHD_HTTP_UNAUTHORIZED, "wrong one-time code");
		break;
	}
	json_object_set_new(r->detail, "refused", json_string("wrong "
	    "one-time code"));
	r->write(r, failure_write, NULL);
	return -1;
}

/*
 * Ask the directory: 1 (the password is right and groups give roles:
 * *p, dept), 0 (wrong), or -1 with the refusal made (the directory cannot
 * be reached: 503; it gives no role here: 403).
 */
static int
directory_check(struct web *w, struct web_req *r, struct throttle *t,
    const struct user *u, const char *pw, struct perm *p, char *dept,
    size_t deptlen)
{
	char err[512];

	if (u->found && u->disabled)
		return 0;
	switch (dirauth_login(w->dir, u->name, pw, p, dept, deptlen, err,
	    sizeof err)) {
	case DIRAUTH_OK:
		return 1;
	case DIRAUTH_DENIED:
		return 0;
	case DIRAUTH_NO_ROLE:
		store_write(w->st, unreserve_fn, t, NULL, 0);
		web_reply_error(r, MHD_HTTP_FORBIDDEN, "the directory knows "
		    "'%s', but none of their groups gives a role in kobito",
		    u->name);
		json_object_set_new(r->detail, "refused", json_string(
		    "no role"));
		return -1;
	case DIRAUTH_ERROR:
		break;
	}
	store_write(w->st, unreserve_fn, t, NULL, 0);
	fprintf(stderr, "kobito-scheduler: login of '%s': %s\n", u->name, err);
	web_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "the directory "
	    "cannot be asked now; try again later");
	return -1;
}

void
web_h_login(struct web *w, struct web_req *r)
{
	const char *name = web_in_string(r, "username", 64);
	const char *pw = web_in_string(r, "password", WEB_PASSWORD_MAX);
	const char *ctype = web_value(r->src,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct throttle t;
	struct user u;
	struct loginw l;
	struct perm dirp;
	char dept[PERM_DEPT_MAX];
	int ok;

	/* A form on another site cannot send JSON (it would need CORS). */
	if (ctype == NULL || strncasecmp(ctype, "application/json", 16) != 0 ||
	    !web_origin_ok(r->src)) {
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
	memset(&u, 0, sizeof u);
	snprintf(u.name, sizeof u.name, "%s", name);
	device_hash(r->src, u.device);
	u.now = r->now;
	u.w = w;
	store_read(w->st, user_read, &u);

	memset(&t, 0, sizeof t);
	t.w = w;
	t.now = r->now;
	if (u.trusted)
		throttle_key(&t, T_DEV, "dev", u.device, NULL);
	else {
		throttle_key(&t, T_PAIR, "pair", name, r->remote);
		throttle_key(&t, T_ADDR, "addr", r->remote, NULL);
		throttle_key(&t, T_USER, "user", name, NULL);
	}
	if (store_write(w->st, reserve_fn, &t, NULL, 0) != 0) {
		web_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot count "
		    "the attempt; try again");
		return;
	}
	if (t.until > t.now) {
		refuse_throttled(r, &t);
		json_object_set_new(r->detail, "refused",
		    json_string("throttled"));
		return;
	}

	memset(&l, 0, sizeof l);
	if (w->dir != NULL && (!u.found || u.hash[0] == '\0')) {
		/* No password here: the directory's word. */
		ok = directory_check(w, r, &t, &u, pw, &dirp, dept,
		    sizeof dept);
		if (ok < 0)
			return;
		l.dir = &dirp;
		l.dept = dept;
	} else
		ok = verify(w, u.found && u.hash[0] != '\0' && !u.disabled ?
		    u.hash : w->dummy, pw);
	if (ok > 0 && !l.dir && (!u.found || u.hash[0] == '\0' ||
	    u.disabled))
		ok = 0;		/* the dummy: the same time spent, no match */
	if (ok < 0) {
		store_write(w->st, unreserve_fn, &t, NULL, 0);
		web_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "too many "
		    "logins at once; try again in a few seconds");
		web_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "2");
		return;
	}
	if (!ok) {
		web_reply_error(r, MHD_HTTP_UNAUTHORIZED, "wrong user name or "
		    "password");
		json_object_set_new(r->detail, "refused", json_string(
		    "wrong user name or password"));
		/* A known user's failure is a row of the audit log; an
		 * unknown name's is counted with the anonymous refusals. */
		if (u.found)
			r->write(r, failure_write, NULL);
		return;
	}

	if (u.totp.confirmed && second_factor(w, r, &t, &u, &l) != 0) {
		sodium_memzero(&u.totp, sizeof u.totp);
		return;
	}
	sodium_memzero(&u.totp, sizeof u.totp);
	l.w = w;
	l.t = &t;
	l.u = &u;
	if (l.dir == NULL && crypto_pwhash_str_needs_rehash(u.hash,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		l.password = pw;
	/* Known from here on: the audit row of the login names the user. */
	memset(&r->who, 0, sizeof r->who);
	r->who.perm = u.perm;
	r->who.role = perm_top(&u.perm);
	r->who.user_id = u.id;
	snprintf(r->who.name, sizeof r->who.name, "%s", u.name);
	snprintf(r->who.department, sizeof r->who.department, "%s",
	    u.department);
	r->authed = 1;
	r->status = MHD_HTTP_OK;
	if (r->write(r, login_write, &l) != 0 || r->status >= 400)
		return;
	r->who.perm = u.perm;	/* a directory login's, as they are now */
	r->who.role = perm_top(&u.perm);
	web_reply_json(r, MHD_HTTP_OK, perm_json(w->kpi, &u.perm));
	json_object_update_new(r->out, json_pack("{s:s, s:s, s:s, s:s}",
	    "name", u.name, "role", role_name(r->who.role), "department",
	    u.department, "csrf_token", l.csrf));
	web_set_cookie(w, r, l.cookie, w->cfg.max_ms / 1000);
	if (l.device[0] != '\0')
		device_cookie(w, r, l.device);
	sodium_memzero(l.cookie, sizeof l.cookie);
	sodium_memzero(l.device, sizeof l.device);
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

	if (web_user_set(c, NULL, r->who.name, NULL, NULL, pc->next, -1, r->now,
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
	if (!u.found || u.hash[0] == '\0') {
		web_reply_error(r, MHD_HTTP_FORBIDDEN, "current: wrong password");
		return;
	}
	switch (verify(w, u.hash, cur)) {
	case 1:
		break;
	case 0:
		web_reply_error(r, MHD_HTTP_FORBIDDEN, "current: wrong password");
		return;
	default:
		web_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "too many "
		    "logins at once; try again in a few seconds");
		return;
	}
	if (r->write(r, password_write, &pc) == 0 && r->status == MHD_HTTP_OK)
		web_set_cookie(w, r, "", 0);
}
