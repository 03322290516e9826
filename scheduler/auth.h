/*
 * auth.h - bearer tokens and roles.
 *
 * People and programs call the API with personal tokens tied to a role;
 * agents with per-agent tokens.  A token is "kbu_" (user) or "kba_"
 * (agent) followed by 43 base64url characters (32 random bytes).  Only its
 * SHA-256 is stored: the token text is shown once, when it is created, and
 * a stolen database does not yield usable tokens.  (Passwords, which are
 * guessable, are a different matter and use Argon2id; tokens are random.)
 *
 * A user token carries a role that caps what its user holds (perm.h: the
 * roles per department); an agent token's role is "agent", accepted only
 * by agent routes.
 */
#ifndef KOBITO_AUTH_H
#define KOBITO_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "perm.h"
#include "store.h"

#define AUTH_TOKEN_LEN	47	/* "kbu_" + 43 */

/* Who is calling. */
struct identity {
	int64_t		 token_id;
	enum role	 role;
	char		 name[128];	/* user or agent name */
	int64_t		 user_id;	/* or 0 */
	int64_t		 agent_id;	/* or 0 */
	char		 department[128];	/* users only; may be "" */
	struct perm	 perm;		/* users only: roles, capped */
};

/*
 * Create a token (inside a write transaction).  For ROLE_AGENT, name is
 * the agent's (the agent row is created if missing); otherwise the user's
 * (created with that role if missing).  The token text is written to
 * out (AUTH_TOKEN_LEN + 1 bytes) and *id set.  by may be NULL.
 */
int		 auth_token_create(struct conn *, enum role, const char *name,
		    const char *by, int64_t now, char *out, int64_t *id,
		    char *err, size_t errlen);
/*
 * Find the live token "token": 0 and *who, or -1 (unknown, revoked or
 * malformed).
 */
int		 auth_lookup(struct conn *, const char *token,
		    struct identity *who);
/* Revoke token id: 0, or -1 when there is no such live token. */
int		 auth_revoke(struct conn *, int64_t id, int64_t now);

#endif
