/*
 * client.h - talking to the scheduler's HTTP API (docs/api.md).
 *
 * Shared by the agent daemon and the command-line client.  A struct client
 * holds the scheduler's base URL, a bearer token and one HTTP connection
 * (common/http.h) that stays open between calls; it is not thread-safe, so
 * each thread that talks to the scheduler has its own.
 *
 * Every call returns 0 when a response arrived, whatever its status, and
 * -1 when none did (scheduler down, cut off, timed out).  The caller looks
 * at reply.status and reply.body.  client_reply_error() turns a reply into
 * one line for people: "409 Conflict: the lease is no longer held".
 */
#ifndef KOBITO_CLIENT_H
#define KOBITO_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "buf.h"

/* Largest JSON reply accepted (run lists, logs). */
#define CLIENT_MAX_BODY		(32u * 1024 * 1024)
#define CLIENT_TIMEOUT_MS	15000L

struct client;

struct client_reply {
	long	 status;	/* 0 when no response arrived */
	json_t	*body;		/* the JSON body, or NULL (not JSON, empty) */
	char	*text;		/* the raw body, NUL-terminated, or NULL */
	size_t	 text_len;
	int64_t	 duration_ms;
	char	 err[320];	/* why no response arrived */
};

/*
 * A client for the scheduler at base_url ("http://host:port", a trailing
 * slash is ignored) authenticating with token (may be NULL).  Both strings
 * are copied.  Never fails; free with client_free().
 */
struct client	*client_new(const char *base_url, const char *token);
void		 client_free(struct client *);
/*
 * Verify an https:// scheduler's certificate against the CA certificates
 * in path (PEM; copied), besides the system's.  NULL: the system's only.
 */
void		 client_set_ca_file(struct client *, const char *path);
/*
 * Polled during transfers: when fn returns non-zero the call in progress
 * is abandoned (the reply says "cancelled").  fn may be NULL.
 */
void		 client_set_cancel(struct client *, int (*fn)(void *), void *arg);

/*
 * Send method path (which starts with '/'; the query string is the
 * caller's) with body serialised as JSON when non-NULL (not consumed).
 * timeout_ms bounds the whole exchange (0: CLIENT_TIMEOUT_MS); attempts
 * > 1 retries what common/http.h deems safe to retry.  The reply is
 * initialised here and must be released with client_reply_free().
 */
int		 client_call(struct client *, const char *method,
		    const char *path, const json_t *body, long timeout_ms,
		    int attempts, struct client_reply *);
/* The same with a raw body of the given Content-Type (file uploads). */
int		 client_send(struct client *, const char *method,
		    const char *path, const char *content_type,
		    const void *data, size_t len, long timeout_ms, int attempts,
		    struct client_reply *);
void		 client_reply_free(struct client_reply *);
/*
 * One line describing a reply that is not a success: "409 Conflict: the
 * lease is stale" (the message from the JSON error body when there is
 * one), or the transport error.  Returns buf.
 */
const char	*client_reply_error(const struct client_reply *, char *buf,
		    size_t len);

/*
 * Read a token from the first line of the file at path (blanks around it
 * removed).  Returns a new string, or NULL with a message in err.
 */
char		*client_read_token(const char *path, char *err, size_t errlen);

/*
 * Append "?a=1&b=x" style parameters: each non-NULL value of the
 * NULL-terminated name/value list, URL-encoded, after path.  Returns a new
 * string.
 */
char		*client_path(const char *path, const char *const *namevals);

#endif
