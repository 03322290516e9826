/*
 * auth.c - bearer tokens: random text shown once, SHA-256 stored, looked
 * up by hash in constant time per request (one indexed read).
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "auth.h"
#include "xmalloc.h"

static void
hash_token(const char *token, char hex[crypto_hash_sha256_BYTES * 2 + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(hex, crypto_hash_sha256_BYTES * 2 + 1, h, sizeof h);
}

/* Find or create the agent or user named name; its id in *id. */
static int
owner_id(struct conn *c, enum role r, const char *name, int64_t now,
    int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	st = r == ROLE_AGENT ?
	    conn_stmt(c, "SELECT id FROM agents WHERE name = ?") :
	    conn_stmt(c, "SELECT id FROM users WHERE name = ?");
	bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (r == ROLE_AGENT) {
		st = conn_stmt(c, "INSERT INTO agents (name) VALUES (?)");
		bind_text(st, 1, name);
	} else {
		st = conn_stmt(c, "INSERT INTO users (name, role, created_at)"
		    " VALUES (?, ?, ?)");
		bind_text(st, 1, name);
		bind_text(st, 2, role_name(r));
		sqlite3_bind_int64(st, 3, now);
	}
	if (conn_step(c, st, err, errlen) != 0)
		return -1;
	*id = conn_last_id(c);
	if (r != ROLE_AGENT) {
		struct perm p;

		/* A new user holds the token's role everywhere. */
		perm_simple(NULL, role_name(r), NULL, &p);
		if (perm_store(c, *id, &p, "token", now, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
auth_token_create(struct conn *c, enum role r, const char *name,
    const char *by, int64_t now, char *out, int64_t *id, char *err,
    size_t errlen)
{
	unsigned char rnd[32];
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	sqlite3_stmt *st;
	int64_t owner;
	size_t n;

	if (r == ROLE_NONE || name == NULL || (n = strlen(name)) == 0 ||
	    n > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@") != n) {
		snprintf(err, errlen, "name: expected 1-64 characters of "
		    "A-Z a-z 0-9 . _ - @");
		return -1;
	}
	if (owner_id(c, r, name, now, &owner, err, errlen) != 0)
		return -1;
	randombytes_buf(rnd, sizeof rnd);
	memcpy(out, r == ROLE_AGENT ? "kba_" : "kbu_", 4);
	sodium_bin2base64(out + 4, AUTH_TOKEN_LEN + 1 - 4, rnd, sizeof rnd,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	hash_token(out, hex);
	st = conn_stmt(c, "INSERT INTO tokens (hash, kind, role, name, user_id,"
	    " agent_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	bind_text(st, 1, hex);
	bind_text(st, 2, r == ROLE_AGENT ? "agent" : "user");
	bind_text(st, 3, role_name(r));
	bind_text(st, 4, name);
	if (r == ROLE_AGENT) {
		sqlite3_bind_null(st, 5);
		sqlite3_bind_int64(st, 6, owner);
	} else {
		sqlite3_bind_int64(st, 5, owner);
		sqlite3_bind_null(st, 6);
	}
	sqlite3_bind_int64(st, 7, now);
	bind_text(st, 8, by);
	if (conn_step(c, st, err, errlen) != 0)
		return -1;
	*id = conn_last_id(c);
	return 0;
}

int
auth_lookup(struct conn *c, const char *token, struct identity *who)
{
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	sqlite3_stmt *st;
	int found = 0;

	memset(who, 0, sizeof *who);
	if (token == NULL || strlen(token) != AUTH_TOKEN_LEN ||
	    (strncmp(token, "kbu_", 4) != 0 && strncmp(token, "kba_", 4) != 0))
		return -1;
	hash_token(token, hex);
	st = conn_stmt(c, "SELECT t.id, t.role, t.name, t.user_id, t.agent_id,"
	    " coalesce(u.department, '') FROM tokens t"
	    " LEFT JOIN users u ON u.id = t.user_id"
	    " WHERE t.hash = ? AND t.revoked_at IS NULL"
	    " AND coalesce(u.disabled, 0) = 0");
	bind_text(st, 1, hex);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    role_parse(col_text(st, 1), &who->role) == 0) {
		who->token_id = sqlite3_column_int64(st, 0);
		snprintf(who->name, sizeof who->name, "%s", col_text(st, 2));
		who->user_id = sqlite3_column_int64(st, 3);
		who->agent_id = sqlite3_column_int64(st, 4);
		snprintf(who->department, sizeof who->department, "%s",
		    col_text(st, 5));
		found = 1;
	}
	sqlite3_reset(st);
	if (!found)
		return -1;
	if (who->role != ROLE_AGENT) {
		if (perm_load(c, who->user_id, who->role, &who->perm) != 0)
			return -1;
		who->role = perm_top(&who->perm);
	}
	return 0;
}

int
auth_revoke(struct conn *c, int64_t id, int64_t now)
{
	sqlite3_stmt *st = conn_stmt(c, "UPDATE tokens SET revoked_at = ?"
	    " WHERE id = ? AND revoked_at IS NULL");

	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	if (conn_step(c, st, NULL, 0) != 0)
		return -1;
	return conn_changes(c) == 1 ? 0 : -1;
}
