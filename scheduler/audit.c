/*
 * audit.c - the audit log's hash chain (see audit.h), SHA-256 from
 * libsodium.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "audit.h"

/* The columns a row's hash covers, in this order (id first). */
#define AUDIT_COLS	"id, at, actor, token_id, role, method, path, status," \
			" remote, detail"
#define NCOLS		10

/* The hash before the first row. */
static const char genesis[AUDIT_HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* A column's value: NULL, an integer, a text (or what else is there). */
struct val {
	int		 type;		/* SQLITE_NULL, _INTEGER, _TEXT, _BLOB */
	int64_t		 i;
	const char	*s;
	size_t		 len;
};

static void
v_int(struct val *v, int64_t i)
{
	v->type = SQLITE_INTEGER;
	v->i = i;
}

static void
v_text(struct val *v, const char *s)
{
	v->type = s ? SQLITE_TEXT : SQLITE_NULL;
	v->s = s;
	v->len = s ? strlen(s) : 0;
}

/* The values of a row selected with AUDIT_COLS (a real is its text). */
static void
v_row(sqlite3_stmt *st, struct val v[NCOLS])
{
	int i;

	for (i = 0; i < NCOLS; i++) {
		memset(&v[i], 0, sizeof v[i]);
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_NULL:
			v[i].type = SQLITE_NULL;
			break;
		case SQLITE_INTEGER:
			v_int(&v[i], sqlite3_column_int64(st, i));
			break;
		default:
			v[i].type = sqlite3_column_type(st, i) == SQLITE_BLOB ?
			    SQLITE_BLOB : SQLITE_TEXT;
			v[i].s = (const char *)sqlite3_column_text(st, i);
			v[i].len = (size_t)sqlite3_column_bytes(st, i);
			break;
		}
	}
}

/*
 * SHA-256 of the previous hash and the values, each as N; or I<digits>;
 * or T<length>:<bytes>; (B for a blob) - so that no two rows read alike.
 */
static void
row_hash(const char *prev, const struct val v[NCOLS],
    char out[AUDIT_HASH_HEX + 1])
{
	crypto_hash_sha256_state h;
	unsigned char md[crypto_hash_sha256_BYTES];
	char head[64];
	int i, n;

	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)prev,
	    strlen(prev));
	for (i = 0; i < NCOLS; i++) {
		if (v[i].type == SQLITE_NULL)
			n = snprintf(head, sizeof head, "N;");
		else if (v[i].type == SQLITE_INTEGER)
			n = snprintf(head, sizeof head, "I%" PRId64 ";", v[i].i);
		else
			n = snprintf(head, sizeof head, "%c%zu:", v[i].type ==
			    SQLITE_BLOB ? 'B' : 'T', v[i].len);
		crypto_hash_sha256_update(&h, (const unsigned char *)head,
		    (unsigned long long)n);
		if (v[i].type == SQLITE_TEXT || v[i].type == SQLITE_BLOB) {
			crypto_hash_sha256_update(&h, (const unsigned char *)
			    v[i].s, v[i].len);
			crypto_hash_sha256_update(&h, (const unsigned char *)";",
			    1);
		}
	}
	crypto_hash_sha256_final(&h, md);
	sodium_bin2hex(out, AUDIT_HASH_HEX + 1, md, sizeof md);
}

/* The last row's id and hash (0 and the genesis hash when empty). */
static int
last_row(struct conn *c, int64_t *id, char hash[AUDIT_HASH_HEX + 1])
{
	sqlite3_stmt *st = conn_stmt(c, "SELECT id, coalesce(hash, '')"
	    " FROM audit ORDER BY id DESC LIMIT 1");
	int rc;

	*id = 0;
	snprintf(hash, AUDIT_HASH_HEX + 1, "%s", genesis);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		snprintf(hash, AUDIT_HASH_HEX + 1, "%s", col_text(st, 1));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
audit_append(struct conn *c, const struct audit_row *r)
{
	sqlite3_stmt *st;
	struct val v[NCOLS];
	char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1];
	int64_t id;

	/* Writes are serialised: nobody appends between these two. */
	if (last_row(c, &id, prev) != 0)
		return -1;
	v_int(&v[0], id + 1);
	v_int(&v[1], r->at);
	v_text(&v[2], r->actor);
	if (r->token_id > 0)
		v_int(&v[3], r->token_id);
	else
		v_text(&v[3], NULL);
	v_text(&v[4], r->role);
	v_text(&v[5], r->method);
	v_text(&v[6], r->path);
	v_int(&v[7], r->status);
	v_text(&v[8], r->remote);
	v_text(&v[9], r->detail);
	row_hash(prev, v, hash);
	st = conn_stmt(c, "INSERT INTO audit (" AUDIT_COLS ", prev_hash,"
	    " hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	sqlite3_bind_int64(st, 1, id + 1);
	sqlite3_bind_int64(st, 2, r->at);
	bind_text(st, 3, r->actor);
	if (r->token_id > 0)
		sqlite3_bind_int64(st, 4, r->token_id);
	bind_text(st, 5, r->role);
	bind_text(st, 6, r->method);
	bind_text(st, 7, r->path);
	sqlite3_bind_int(st, 8, r->status);
	bind_text(st, 9, r->remote);
	bind_text(st, 10, r->detail);
	bind_text(st, 11, prev);
	bind_text(st, 12, hash);
	return conn_step(c, st, NULL, 0);
}

int
audit_seal(struct conn *c)
{
	sqlite3_stmt *st, *up;
	struct val v[NCOLS];
	char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1];
	int rc, bad = 0;

	snprintf(prev, sizeof prev, "%s", genesis);
	if (sqlite3_prepare_v2(c->db, "SELECT " AUDIT_COLS " FROM audit ORDER"
	    " BY id", -1, &st, NULL) != SQLITE_OK)
		return -1;
	up = conn_stmt(c, "UPDATE audit SET prev_hash = ?, hash = ? WHERE"
	    " id = ?");
	while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		v_row(st, v);
		row_hash(prev, v, hash);
		bind_text(up, 1, prev);
		bind_text(up, 2, hash);
		sqlite3_bind_int64(up, 3, v[0].i);
		bad = conn_step(c, up, NULL, 0) != 0;
		memcpy(prev, hash, sizeof prev);
	}
	sqlite3_finalize(st);
	return bad || rc != SQLITE_DONE ? -1 : 0;
}

static int
broken(struct audit_check *k, int64_t id, const char *why)
{
	k->bad_id = id;
	snprintf(k->why, sizeof k->why, "%s", why);
	return 1;
}

int
audit_verify(struct conn *c, int64_t expect_id, const char *expect_hash,
    struct audit_check *k)
{
	sqlite3_stmt *st;
	struct val v[NCOLS];
	char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1];
	const char *have_prev, *have;
	int rc = 0, step, seen = 0;

	memset(k, 0, sizeof *k);
	snprintf(prev, sizeof prev, "%s", genesis);
	if (sqlite3_prepare_v2(c->db, "SELECT " AUDIT_COLS ", prev_hash, hash"
	    " FROM audit ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
		snprintf(k->why, sizeof k->why, "cannot read the audit log: %s",
		    sqlite3_errmsg(c->db));
		return -1;
	}
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		v_row(st, v);
		have_prev = (const char *)sqlite3_column_text(st, NCOLS);
		have = (const char *)sqlite3_column_text(st, NCOLS + 1);
		row_hash(prev, v, hash);
		if (have == NULL)
			rc = broken(k, v[0].i, "it has no hash: it was not "
			    "written by the scheduler");
		else if (have_prev == NULL || strcmp(have_prev, prev) != 0)
			rc = broken(k, v[0].i, "it does not follow the row "
			    "before it: a row before it was removed, added or "
			    "changed");
		else if (strcmp(have, hash) != 0)
			rc = broken(k, v[0].i, "its contents do not match its "
			    "hash: it was changed after it was written");
		if (rc != 0)
			break;
		if (expect_id > 0 && v[0].i == expect_id) {
			seen = 1;
			if (strcmp(hash, expect_hash) != 0)
				rc = broken(k, expect_id, "its hash is not the "
				    "one noted: the log was rewritten from "
				    "there");
		}
		k->rows++;
		k->last_id = v[0].i;
		memcpy(prev, hash, sizeof prev);
	}
	if (rc == 0 && step != SQLITE_DONE) {
		snprintf(k->why, sizeof k->why, "cannot read the audit log: %s",
		    sqlite3_errmsg(c->db));
		rc = -1;
	}
	sqlite3_finalize(st);
	if (rc == 0 && expect_id > 0 && !seen) {
		snprintf(k->why, sizeof k->why, "the row %" PRId64 " noted "
		    "earlier is missing: the log was cut short", expect_id);
		k->bad_id = expect_id;
		rc = 1;
	}
	memcpy(k->last_hash, prev, sizeof k->last_hash);
	return rc;
}
