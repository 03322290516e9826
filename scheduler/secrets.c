/*
 * secrets.c - sealing named credentials with crypto_secretbox under a key
 * from a file outside the database.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "secrets.h"
#include "xmalloc.h"

int
secrets_load_key(struct secrets *sk, const char *path, int create, char *err,
    size_t errlen)
{
	char hex[2 * crypto_secretbox_KEYBYTES + 2], *data = NULL;
	struct stat sb;
	size_t len, binlen;
	int fd;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "cannot initialise libsodium");
		return -1;
	}
	if (stat(path, &sb) != 0 && errno == ENOENT && create) {
		crypto_secretbox_keygen(sk->key);
		sodium_bin2hex(hex, sizeof hex, sk->key, sizeof sk->key);
		hex[2 * crypto_secretbox_KEYBYTES] = '\n';
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, hex, 2 * crypto_secretbox_KEYBYTES + 1)
		    != 2 * crypto_secretbox_KEYBYTES + 1 || fsync(fd) != 0) {
			snprintf(err, errlen, "cannot create key file '%s': %s",
			    path, strerror(errno));
			if (fd >= 0)
				close(fd);
			sodium_memzero(hex, sizeof hex);
			return -1;
		}
		close(fd);
		sodium_memzero(hex, sizeof hex);
		return 0;
	}
	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "cannot read key file '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if (sb.st_mode & 077) {
		snprintf(err, errlen, "key file '%s' is readable by others "
		    "(mode %03o); chmod 600 it", path,
		    (unsigned)(sb.st_mode & 0777));
		return -1;
	}
	if (fsutil_read(path, 4096, &data, &len, err, errlen) != 0)
		return -1;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' ||
	    data[len - 1] == ' '))
		len--;
	if (len != 2 * crypto_secretbox_KEYBYTES ||
	    sodium_hex2bin(sk->key, sizeof sk->key, data, len, NULL, &binlen,
	    NULL) != 0 || binlen != sizeof sk->key) {
		snprintf(err, errlen, "key file '%s': expected %d hex "
		    "characters", path, 2 * crypto_secretbox_KEYBYTES);
		sodium_memzero(data, len);
		free(data);
		return -1;
	}
	sodium_memzero(data, len);
	free(data);
	return 0;
}

void
secrets_clear(struct secrets *sk)
{
	sodium_memzero(sk->key, sizeof sk->key);
}

int
secrets_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= 64 &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

unsigned char *
secrets_seal(const struct secrets *sk, const void *plain, size_t len,
    size_t *outlen)
{
	unsigned char *out = xmalloc(len + SECRETS_SEAL_OVERHEAD);

	randombytes_buf(out, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, plain, len,
	    out, sk->key);
	*outlen = len + SECRETS_SEAL_OVERHEAD;
	return out;
}

int
secrets_open(const struct secrets *sk, const unsigned char *sealed,
    size_t len, unsigned char *plain)
{
	if (len < SECRETS_SEAL_OVERHEAD)
		return -1;
	return crypto_secretbox_open_easy(plain, sealed +
	    crypto_secretbox_NONCEBYTES, len - crypto_secretbox_NONCEBYTES,
	    sealed, sk->key) == 0 ? 0 : -1;
}

int
secrets_put(struct conn *c, const struct secrets *sk, const char *name,
    const char *value, json_t *allow, const char *by, int64_t now, char *err,
    size_t errlen)
{
	unsigned char nonce[crypto_secretbox_NONCEBYTES], *box;
	size_t vlen = strlen(value), blen = vlen + crypto_secretbox_MACBYTES;
	sqlite3_stmt *st;
	int rc;

	randombytes_buf(nonce, sizeof nonce);
	box = xmalloc(blen);
	crypto_secretbox_easy(box, (const unsigned char *)value, vlen, nonce,
	    sk->key);
	st = conn_stmt(c, "INSERT OR REPLACE INTO secrets (name, nonce, box,"
	    " updated_at, updated_by, allow) VALUES (?, ?, ?, ?, ?, ?)");
	bind_text(st, 1, name);
	sqlite3_bind_blob(st, 2, nonce, sizeof nonce, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, box, (int)blen, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	bind_text(st, 5, by);
	sqlite3_bind_text(st, 6, allow ? json_dumps(allow, JSON_COMPACT) :
	    xstrdup("[]"), -1, free);
	rc = conn_step(c, st, err, errlen);
	free(box);
	return rc;
}

int
secrets_delete(struct conn *c, const char *name)
{
	sqlite3_stmt *st = conn_stmt(c, "DELETE FROM secrets WHERE name = ?");

	bind_text(st, 1, name);
	if (conn_step(c, st, NULL, 0) != 0)
		return -1;
	return conn_changes(c) == 1 ? 0 : -1;
}

/* The allow list in column i (an empty list when none was set). */
static json_t *
allow_json(sqlite3_stmt *st, int i)
{
	json_t *v = NULL;

	if (sqlite3_column_type(st, i) == SQLITE_TEXT)
		v = json_loads((const char *)sqlite3_column_text(st, i), 0,
		    NULL);
	if (!json_is_array(v)) {
		json_decref(v);
		v = json_array();
	}
	return v;
}

json_t *
secrets_get(struct conn *c, const struct secrets *sk, json_t *names)
{
	json_t *out = json_object(), *n;
	sqlite3_stmt *st;
	const unsigned char *nonce, *box;
	unsigned char *plain;
	size_t i, blen;

	json_array_foreach(names, i, n) {
		if (!json_is_string(n))
			continue;
		st = conn_stmt(c, "SELECT nonce, box, allow FROM secrets WHERE"
		    " name = ?");
		bind_text(st, 1, json_string_value(n));
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			continue;
		}
		nonce = sqlite3_column_blob(st, 0);
		box = sqlite3_column_blob(st, 1);
		blen = (size_t)sqlite3_column_bytes(st, 1);
		if (nonce == NULL || box == NULL ||
		    sqlite3_column_bytes(st, 0) != crypto_secretbox_NONCEBYTES ||
		    blen < crypto_secretbox_MACBYTES) {
			sqlite3_reset(st);
			continue;
		}
		plain = xmalloc(blen - crypto_secretbox_MACBYTES + 1);
		if (crypto_secretbox_open_easy(plain, box, blen, nonce,
		    sk->key) != 0) {
			fprintf(stderr, "kobito-scheduler: secret '%s' does not "
			    "open with this key file\n", json_string_value(n));
		} else {
			plain[blen - crypto_secretbox_MACBYTES] = '\0';
			json_object_set_new(out, json_string_value(n),
			    json_pack("{s:s, s:o}", "value", (const char *)plain,
			    "allow", allow_json(st, 2)));
		}
		sodium_memzero(plain, blen - crypto_secretbox_MACBYTES + 1);
		free(plain);
		sqlite3_reset(st);
	}
	return out;
}

json_t *
secrets_list(struct conn *c, const struct tfmt *tf)
{
	json_t *out = json_array();
	sqlite3_stmt *st = conn_stmt(c, "SELECT name, updated_at, updated_by,"
	    " allow, department FROM secrets ORDER BY name");

	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(out, json_pack("{s:s, s:o, s:o, s:s?,"
		    " s:s}", "name", col_text(st, 0), "allow", allow_json(st, 3),
		    "updated_at", tfmt_json(tf, sqlite3_column_int64(st, 1)),
		    "updated_by", (const char *)sqlite3_column_text(st, 2),
		    "department", col_text(st, 4)));
	sqlite3_reset(st);
	return out;
}
