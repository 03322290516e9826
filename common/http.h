/*
 * http.h - a small HTTP client on libcurl, with retries and hard limits.
 *
 * Used by the http.request action and by the agent daemon to talk to the
 * scheduler.  A caller fills a struct http_request, calls http_send(), and
 * reads a struct http_response: status, headers (names lower-cased) and a
 * body held in a capped struct buf, so a runaway peer cannot exhaust memory.
 *
 * Retry rule (see docs/actions-http.md):
 *   - an attempt is retried when no response arrived (could not connect,
 *     timed out, connection broke) or the status is 5xx;
 *   - for POST, PATCH and other methods that are not idempotent, a retry
 *     happens only when the request was never sent (resolve/connect failed)
 *     or the status is 502, 503 or 504, which say the server did not handle
 *     it; retry_post lifts this restriction;
 *   - TLS failures, an oversized body and cancellation are never retried;
 *   - the wait before attempt n+1 is delay_ms * backoff^(n-1), or the
 *     server's Retry-After (in seconds, at most 60) when that is longer;
 *     no wait or attempt goes past the deadline.
 *
 * TLS peer and host verification are on unless the caller turns them off.
 * Only http and https URLs are accepted, also on redirects.  The module
 * never logs header values or request bodies; the URLs it logs have any
 * user:password@ part removed.
 */
#ifndef KOBITO_HTTP_H
#define KOBITO_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define HTTP_DEFAULT_TIMEOUT_MS	30000L
#define HTTP_DEFAULT_ATTEMPTS	3
#define HTTP_DEFAULT_DELAY_MS	500L
#define HTTP_DEFAULT_BACKOFF	2.0
#define HTTP_DEFAULT_MAX_BODY	(10u * 1024 * 1024)
#define HTTP_MAX_HEADER_BYTES	(64u * 1024)
#define HTTP_MAX_RETRY_AFTER_MS	60000L

/* How an exchange ended; HTTP_OK means a response arrived, whatever its status. */
enum http_error {
	HTTP_OK = 0,
	HTTP_ERR_USAGE,		/* bad URL, header with a newline, ... */
	HTTP_ERR_CONNECT,	/* could not resolve or connect: nothing was sent */
	HTTP_ERR_TIMEOUT,	/* the attempt's time or the deadline ran out */
	HTTP_ERR_TLS,		/* certificate or handshake failure */
	HTTP_ERR_TOO_BIG,	/* the body passed max_body, or headers 64 KiB */
	HTTP_ERR_CANCELLED,	/* cancelled() returned non-zero */
	HTTP_ERR_TRANSFER,	/* connection broke, malformed reply, ... */
};

/*
 * A request.  Every pointer is borrowed for the duration of http_send();
 * zero means the default for every numeric field, so a request may be
 * initialised with "= { 0 }" and then given a url.
 */
struct http_request {
	const char	 *method;	/* "GET" when NULL */
	const char	 *url;		/* http:// or https:// */
	const char *const *headers;	/* "Name: value" lines, NULL-terminated */
	const void	 *body;		/* sent when non-NULL (also when empty) */
	size_t		  body_len;
	const char	 *user;		/* basic authentication when non-NULL */
	const char	 *password;
	const char	 *bearer;	/* "Authorization: Bearer ..." when non-NULL */

	long		  timeout_ms;	/* per attempt; HTTP_DEFAULT_TIMEOUT_MS */
	int		  attempts;	/* HTTP_DEFAULT_ATTEMPTS; 1 = no retry */
	long		  delay_ms;	/* HTTP_DEFAULT_DELAY_MS; <0 means 0 */
	double		  backoff;	/* HTTP_DEFAULT_BACKOFF */
	int		  retry_post;	/* retry non-idempotent methods freely */
	int		  no_verify_tls; /* turn off certificate checks */
	const char	 *ca_file;	/* extra CA bundle (PEM) */
	size_t		  max_body;	/* response body cap; HTTP_DEFAULT_MAX_BODY */
	int		  no_redirects;	/* do not follow 3xx (else up to 10) */
	int64_t		  deadline_ms;	/* http_now_ms() time to give up; 0 none */

	/* Polled during transfers and waits; non-zero aborts.  May be NULL. */
	int		(*cancelled)(void *arg);
	/*
	 * Asked before the request goes to url, and before each redirect's
	 * request is sent (its connection is made by then, nothing sent);
	 * non-zero refuses it: the exchange fails with HTTP_ERR_USAGE and
	 * why in err, and is not retried.  May be NULL.
	 */
	int		(*url_refused)(void *arg, const char *url, char *why,
			    size_t whylen);
	/* Receives one line per attempt, without newline.  May be NULL. */
	void		(*log)(void *arg, const char *line);
	void		 *arg;
};

struct http_header {
	char	*name;		/* lower case */
	char	*value;		/* surrounding blanks removed */
};

/* A response; owns everything it points to.  Free with http_response_free. */
struct http_response {
	long			 status;	/* 0 when none arrived */
	char			 reason[64];	/* standard phrase, else the server's */
	struct http_header	*headers;	/* of the final response only */
	size_t			 nheaders;
	struct buf		 body;
	int			 attempts;	/* attempts made, >= 1 once sent */
	int64_t			 duration_ms;	/* all attempts and waits */
	enum http_error		 error;
	char			 err[256];	/* why no response, when error != HTTP_OK */
};

/*
 * A reusable client: one libcurl handle whose connections stay open.  A
 * client serves one thread at a time; threads that send concurrently each
 * need their own (creating clients is thread-safe).
 */
struct http_client;

/* A new client; it never fails (out of memory aborts).  Free it with
 * http_client_free. */
struct http_client *http_client_new(void);
void		 http_client_free(struct http_client *);

/*
 * Perform req through client (NULL: a one-off client), retrying per the rule
 * above.  resp is initialised here (the caller need not) and must be freed
 * with http_response_free whatever the result.  Returns 0 when a response
 * arrived (check resp->status), -1 when none did, with resp->error and
 * resp->err saying why.
 */
int		 http_send(struct http_client *, const struct http_request *req,
		    struct http_response *resp);
void		 http_response_free(struct http_response *);

/* The value of header name (case-insensitive) in resp, or NULL; borrowed.
 * Repeated headers are joined with ", ". */
const char	*http_response_header(const struct http_response *,
		    const char *name);
/* Non-zero when the response's Content-Type is JSON (application/json or
 * any type ending in +json). */
int		 http_response_is_json(const struct http_response *);

/* The standard reason phrase of status ("Not Found"), or "" if unknown. */
const char	*http_reason(long status);
/* Non-zero when method may be repeated without changing the outcome. */
int		 http_method_idempotent(const char *method);
/* Current monotonic time in milliseconds, the clock of deadline_ms. */
int64_t		 http_now_ms(void);
/*
 * url without its user:password@ part, for logs and messages; the caller
 * frees it.
 */
char		*http_url_redact(const char *url);
/*
 * Append name=value to b, percent-encoded for a query string or an
 * application/x-www-form-urlencoded body (a space becomes %20, which both
 * read as a space), preceded by '&' when b is not empty.  Returns -1, with
 * b unchanged, when b's cap would be passed.
 */
int		 http_form_append(struct buf *b, const char *name,
		    const char *value);

#endif
