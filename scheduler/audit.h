/*
 * audit.h - the audit log's hash chain: append-only and tamper-evident.
 *
 * Each row of the audit table carries the hash of the row before it
 * (prev_hash) and its own (hash): SHA-256 over the previous hash and the
 * row's id and columns, each written with its type and length, so that no
 * two rows hash alike by accident of their separators.  Changing a row
 * breaks its hash; removing or reordering rows breaks the link of the row
 * after; rows written by something else than the scheduler have no hash.
 * Triggers refuse updates, deletes and rows without a hash besides, but
 * anyone who can write the file can drop them: the chain is what tells.
 * Removing rows from the end leaves a shorter chain that is intact, which
 * is why audit_verify() gives the last row's hash, to be kept elsewhere
 * (the nightly backup's log, the city's records) and compared later.
 *
 * The rows an older release wrote are chained by the migration that adds
 * the chain (audit_seal()), in their order.
 */
#ifndef KOBITO_AUDIT_H
#define KOBITO_AUDIT_H

#include <stdint.h>

#include "store.h"

#define AUDIT_HASH_HEX	64	/* hex characters of a hash */
#define AUDIT_SCHEMA	12	/* the schema version that chains the log */

/* One row to append; NULL texts and a token_id of 0 are NULL. */
struct audit_row {
	int64_t		 at;
	const char	*actor;
	int64_t		 token_id;
	const char	*role;
	const char	*method;
	const char	*path;
	int		 status;
	const char	*remote;
	const char	*detail;	/* JSON text */
};

/* Append a row after the last one, chained (inside a write).  0 or -1. */
int	audit_append(struct conn *, const struct audit_row *);

/* Chain the rows that have no hash yet, in their order.  0 or -1. */
int	audit_seal(struct conn *);

/* What audit_verify() found. */
struct audit_check {
	int64_t		 rows;
	int64_t		 last_id;	/* 0: the log is empty */
	char		 last_hash[AUDIT_HASH_HEX + 1];
	int64_t		 bad_id;	/* the first row that breaks it */
	char		 why[256];
};

/*
 * Walk the chain from the first row (one read transaction): 0 when it is
 * intact, 1 when a row breaks it (bad_id, why), -1 when it cannot be read
 * (why).  With expect_id > 0, the row expect_id must still be there with
 * the hash expect_hash (one noted earlier): the log was not cut short.
 */
int	audit_verify(struct conn *, int64_t expect_id, const char *expect_hash,
	    struct audit_check *);

#endif
