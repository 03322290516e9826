/*
 * secrets.h - named credentials, sealed at rest.
 *
 * A secret's value is encrypted with libsodium's crypto_secretbox
 * (XSalsa20-Poly1305) under a key kept in a file outside the database, so
 * a copy of the database alone reveals nothing.  Values leave the
 * scheduler only in a lease answer, for a job holding a live lease whose
 * script references them (${secrets.NAME}); they are never logged, never
 * returned by a listing, and masked in the events and results the
 * scheduler stores.
 *
 * The key file holds 64 hex characters (32 bytes).  It must not be
 * readable by group or others.
 *
 * Each secret is bound to where it may be sent: its allow list of
 * destinations (urlmatch.h), set by the admin with the value and handed to
 * the agent with it; the agent's http.* refuses to send it anywhere else.
 * A secret with no destinations may be typed or given to a program, never
 * sent over HTTP.
 */
#ifndef KOBITO_SECRETS_H
#define KOBITO_SECRETS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <sodium.h>

#include "query.h"
#include "store.h"

struct secrets {
	unsigned char	key[crypto_secretbox_KEYBYTES];
};

/*
 * Read the key from path; with create, make a new random key file (mode
 * 0600) when none exists.  0, or -1 with a message in err.
 */
int	secrets_load_key(struct secrets *, const char *path, int create,
	    char *err, size_t errlen);
/* Wipe the key from memory. */
void	secrets_clear(struct secrets *);

/*
 * Seal len bytes of plain under the key: a new buffer (nonce, then the
 * box) of *outlen bytes, the caller frees.
 */
unsigned char *secrets_seal(const struct secrets *, const void *plain,
	    size_t len, size_t *outlen);
/*
 * Open what secrets_seal made (len bytes) into plain, which has room for
 * len - SECRETS_SEAL_OVERHEAD bytes: 0, or -1 when it does not open.
 */
#define SECRETS_SEAL_OVERHEAD \
	(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
int	secrets_open(const struct secrets *, const unsigned char *sealed,
	    size_t len, unsigned char *plain);

/* Whether name is a valid secret name: [a-z0-9_]{1,64}. */
int	secrets_name_ok(const char *name);

/*
 * Seal and store (insert or replace) a value and its destinations (an
 * array of strings, borrowed; NULL for none); inside a write.  0 or -1.
 */
int	secrets_put(struct conn *, const struct secrets *, const char *name,
	    const char *value, json_t *allow, const char *by, int64_t now,
	    char *err, size_t errlen);
/* 0 when deleted, -1 when there was none. */
int	secrets_delete(struct conn *, const char *name);
/*
 * The named secrets (names: array of strings) that exist, as a new object
 * name -> {"value": V, "allow": [DEST...]}.  A value that does not open
 * (wrong key) is left out and reported on stderr by name only.
 */
json_t	*secrets_get(struct conn *, const struct secrets *, json_t *names);
/* [{name, allow, updated_at, updated_by}], a new reference. */
json_t	*secrets_list(struct conn *, const struct tfmt *);

#endif
