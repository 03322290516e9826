/*
 * web_totp.c - the one-time passwords of admins (see web.h, totp.h): an
 * admin starts with POST /api/session/totp (the key, shown once, as text
 * and as an otpauth:// URI for an authenticator app), turns it on with a
 * code the app shows (PUT), and from then on logs in with password and
 * code.  The key is sealed with the scheduler's secrets key; an admin
 * takes another's away (DELETE /api/users/{name}/totp) when a phone is
 * lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include <sodium.h>

#include "secrets.h"
#include "totp.h"
#include "web_int.h"
#include "xmalloc.h"

int
web_totp_read(struct conn *c, const struct web *w, int64_t user_id,
    struct web_totp *t)
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT sealed, confirmed, last_step"
	    " FROM user_totp WHERE user_id = ?");
	int rc = 0;

	memset(t, 0, sizeof t[0]);
	sqlite3_bind_int64(st, 1, user_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		t->present = 1;
		t->confirmed = sqlite3_column_int(st, 1);
		t->last_step = sqlite3_column_int64(st, 2);
		if (w->sk == NULL || (size_t)sqlite3_column_bytes(st, 0) !=
		    TOTP_KEY_BYTES + SECRETS_SEAL_OVERHEAD ||
		    secrets_open(w->sk, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), t->key) != 0)
			rc = -1;	/* another key file: it cannot open */
	}
	sqlite3_reset(st);
	return rc;
}

int
web_totp_use(struct conn *c, int64_t user_id, int64_t step)
{
	sqlite3_stmt *st = conn_stmt(c, "UPDATE user_totp SET last_step = ?1"
	    " WHERE user_id = ?2 AND last_step < ?1");

	sqlite3_bind_int64(st, 1, step);
	sqlite3_bind_int64(st, 2, user_id);
	if (conn_step(c, st, NULL, 0) != 0)
		return -1;
	return conn_changes(c) == 1 ? 0 : -1;
}

struct enrollw {
	const struct web *w;
	unsigned char	 key[TOTP_KEY_BYTES];
};

static int
enroll_write(struct conn *c, struct web_req *r, void *p)
{
	struct enrollw *e = p;
	struct web_totp t;
	unsigned char *sealed;
	sqlite3_stmt *st;
	size_t len;
	char b32[64], *uri;

	if (web_totp_read(c, e->w, r->who.user_id, &t) == 0 && t.confirmed) {
		web_reply_error(r, MHD_HTTP_CONFLICT, "one-time passwords are "
		    "on already; another admin takes them away first");
		return -1;
	}
	sodium_memzero(&t, sizeof t);
	sealed = secrets_seal(e->w->sk, e->key, sizeof e->key, &len);
	st = conn_stmt(c, "INSERT OR REPLACE INTO user_totp (user_id, sealed,"
	    " confirmed, last_step, created_at) VALUES (?, ?, 0, 0, ?)");
	sqlite3_bind_int64(st, 1, r->who.user_id);
	sqlite3_bind_blob(st, 2, sealed, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, r->now);
	free(sealed);
	if (conn_step(c, st, NULL, 0) != 0) {
		web_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot "
		    "store the key");
		return -1;
	}
	totp_base32(e->key, sizeof e->key, b32, sizeof b32);
	uri = xasprintf("otpauth://totp/kobito:%s?secret=%s&issuer=kobito&"
	    "digits=6&period=%d", r->who.name, b32, TOTP_STEP_S);
	web_reply_json(r, MHD_HTTP_CREATED, json_pack("{s:s, s:s, s:s}",
	    "secret", b32, "uri", uri, "note", "enter a code of the app with "
	    "PUT /api/session/totp to turn one-time passwords on"));
	sodium_memzero(b32, sizeof b32);
	sodium_memzero(uri, strlen(uri));
	free(uri);
	return 0;
}

void
web_h_totp_begin(struct web *w, struct web_req *r)
{
	struct enrollw e;

	if (w->sk == NULL || r->who.user_id == 0) {
		web_reply_error(r, MHD_HTTP_CONFLICT, "one-time passwords are "
		    "for people who log in (not for tokens)");
		return;
	}
	e.w = w;
	randombytes_buf(e.key, sizeof e.key);
	r->detail = json_pack("{s:s}", "totp", "begun");
	r->write(r, enroll_write, &e);
	sodium_memzero(e.key, sizeof e.key);
}

struct confirmw {
	const struct web *w;
	const char	*code;
};

static int
confirm_write(struct conn *c, struct web_req *r, void *p)
{
	struct confirmw *cw = p;
	struct web_totp t;
	sqlite3_stmt *st;
	int64_t step;
	int ok;

	if (web_totp_read(c, cw->w, r->who.user_id, &t) != 0 || !t.present) {
		web_reply_error(r, MHD_HTTP_CONFLICT, "begin with POST "
		    "/api/session/totp");
		return -1;
	}
	ok = totp_check(t.key, sizeof t.key, cw->code, r->now, t.last_step,
	    &step);
	sodium_memzero(&t, sizeof t);
	if (ok != 1) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "code: not the app's "
		    "code now (check the phone's clock)");
		return -1;
	}
	st = conn_stmt(c, "UPDATE user_totp SET confirmed = 1, last_step = ?"
	    " WHERE user_id = ?");
	sqlite3_bind_int64(st, 1, step);
	sqlite3_bind_int64(st, 2, r->who.user_id);
	if (conn_step(c, st, NULL, 0) != 0)
		return -1;
	web_reply_json(r, MHD_HTTP_OK, json_pack("{s:b}", "totp", 1));
	return 0;
}

void
web_h_totp_confirm(struct web *w, struct web_req *r)
{
	struct confirmw cw = { w, web_in_string(r, "code", 16) };

	if (cw.code == NULL) {
		web_reply_error(r, MHD_HTTP_BAD_REQUEST, "code: the 6 digits "
		    "the app shows");
		return;
	}
	r->detail = json_pack("{s:s}", "totp", "confirmed");
	r->write(r, confirm_write, &cw);
}

static int
remove_write(struct conn *c, struct web_req *r, void *p)
{
	sqlite3_stmt *st = conn_stmt(c, "DELETE FROM user_totp WHERE user_id ="
	    " (SELECT id FROM users WHERE name = ?)");

	(void)p;
	bind_text(st, 1, r->args[0]);
	if (conn_step(c, st, NULL, 0) != 0 || conn_changes(c) != 1) {
		web_reply_error(r, MHD_HTTP_NOT_FOUND, "'%s' has no one-time "
		    "passwords", r->args[0]);
		return -1;
	}
	web_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:b}", "name",
	    r->args[0], "totp", 0));
	return 0;
}

void
web_h_totp_remove(struct web *w, struct web_req *r)
{
	(void)w;
	r->detail = json_pack("{s:s}", "name", r->args[0]);
	r->write(r, remove_write, NULL);
}
