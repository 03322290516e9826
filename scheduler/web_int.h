/*
 * web_int.h - what the files of the scheduler's web front share (not a
 * public header: web.h is the contract).
 *
 * web.c has the set-up, the replies, the dashboard's static files, the
 * sessions and the table of web routes; web_login.c logins, their
 * throttling and passwords; web_users.c the users and their command;
 * web_kpi.c the KPI routes.
 */
#ifndef KOBITO_WEB_INT_H
#define KOBITO_WEB_INT_H

#include <pthread.h>
#include <sodium.h>

#include "web.h"

#define SESSION_BYTES	32	/* random bytes of a session cookie */

struct web {
	struct store		*st;
	const struct kpi_config	*kpi;
	struct kpi_config	*own_kpi;	/* web_setup's, freed with us */
	struct web_config	 cfg;
	char			*dashboard_dir;
	char			*chartjs_dir;
	char			 dummy[crypto_pwhash_STRBYTES];
	const struct dirauth	*dir;	/* directory logins, or NULL */
	const struct secrets	*sk;	/* seals one-time keys, or NULL */
	pthread_mutex_t		 gmu;	/* the Argon2id gate (web_login.c) */
	pthread_cond_t		 gcv;
	int			 hashing;
};

/* A live session, as web_find_session() found it. */
struct sess {
	char		 hash[crypto_hash_sha256_BYTES * 2 + 1];
	int		 found;
	int64_t		 user_id;
	char		 csrf[65];
	int64_t		 created, last_seen;
	char		 name[128];
	char		 role[16];
	char		 department[128];
	int		 disabled;
	struct perm	 perm;		/* the user's roles */
};


/* --- web.c ----------------------------------------------------------------- */

/* Set a raw reply: data (taken over) of ctype (copied). */
void		 web_reply_raw(struct web_req *, int status, char *data,
		    size_t len, const char *ctype);
/* The hex SHA-256 of the string s. */
void		 web_sha256_hex(const char *s,
		    char out[crypto_hash_sha256_BYTES * 2 + 1]);
/*
 * The request's session, when its cookie names a live one: 1 and *s;
 * else 0, with *why saying what was wrong (NULL without a cookie).
 */
int		 web_find_session(struct web *, const struct web_src *,
		    int64_t now, struct sess *s, const char **why);
/* Whether Origin (when the browser sent one) names the Host we are. */
int		 web_origin_ok(const struct web_src *);
/* Set the session cookie (value "" and max_age 0 removes it). */
void		 web_set_cookie(struct web *, struct web_req *,
		    const char *value, int64_t max_age_s);
/* A string member of 1-maxlen bytes of the JSON body (borrowed), or NULL. */
const char	*web_in_string(struct web_req *, const char *key,
		    size_t maxlen);

/* --- web_login.c ----------------------------------------------------------- */

/* Argon2id with libsodium's interactive limits (about 64 MiB, 2 passes). */
int		 web_hash_password(const char *pw,
		    char out[crypto_pwhash_STRBYTES]);

/* --- web_totp.c ------------------------------------------------------------ */

/* A user's one-time password key, opened. */
struct web_totp {
	int		 present, confirmed;
	int64_t		 last_step;	/* the step of the code used last */
	unsigned char	 key[20];	/* TOTP_KEY_BYTES */
};

/*
 * The one-time key of user_id into *t (present 0 when none): 0, or -1
 * when it does not open (another key file).  Wipe t after use.
 */
int		 web_totp_read(struct conn *, const struct web *,
		    int64_t user_id, struct web_totp *t);
/* Record step as used (inside the login's write): 0, -1 if used before. */
int		 web_totp_use(struct conn *, int64_t user_id, int64_t step);

/* --- web_users.c ----------------------------------------------------------- */

/* A user name: 1-64 characters of A-Z a-z 0-9 . _ @ -. */
int		 web_user_name_ok(const char *);

#endif
