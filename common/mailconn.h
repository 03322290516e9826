/*
 * mailconn.h - a libcurl handle set up for a mail server, shared by the
 * IMAP client (imap.h) and the SMTP client (smtp.h).
 *
 * The policy is here, once: the server is a URL (imaps://host:993,
 * imap://host:143, smtps://host:465, smtp://host:587) with no user,
 * password or path in it; the plain-text scheme means STARTTLS, which is
 * required unless the caller allows plain text explicitly, and then only
 * without a password; certificates and host names are verified (a private
 * CA is given as ca_file); every transfer is capped by the caller's
 * timeout and deadline and stops when the caller cancels.  The server's
 * first refusal is kept so that errors can quote it ("NO [TRYCREATE]
 * Mailbox doesn't exist: 処理済"); lines we send are never kept, since
 * they carry the login.
 */
#ifndef KOBITO_MAILCONN_H
#define KOBITO_MAILCONN_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

#include "buf.h"

#define MAILCONN_TIMEOUT_MS	60000L	/* one exchange, when none is given */
#define MAILCONN_CONNECT_MS	15000L

/* What the caller gives; strings are copied by mailconn_init. */
struct mailconn_opts {
	const char	*url;
	const char	*user;
	const char	*password;
	const char	*ca_file;		/* extra trusted CAs, PEM */
	int		 allow_plaintext;	/* imap:// or smtp:// without TLS */
	long		 timeout_ms;		/* per exchange; 0: MAILCONN_TIMEOUT_MS */
	int64_t		 deadline_ms;		/* time_mono_ms() time; 0: none */
	int		(*cancelled)(void *arg);
	void		*arg;
};

struct mailconn {
	CURL		*curl;
	char		*base;		/* scheme://host:port, no path */
	char		*host;		/* for messages: host:port */
	int		 tls;		/* implicit TLS (imaps, smtps) */
	char		*user, *password, *ca_file;
	long		 timeout_ms;
	int64_t		 deadline_ms;
	int		(*cancelled)(void *arg);
	void		*arg;
	struct buf	 body;		/* what the write callback got */
	char		 reply[512];	/* the server's first refusal, or "" */
	char		 errbuf[CURL_ERROR_SIZE];
};

/*
 * Check o->url against the two schemes allowed (e.g. "imap", "imaps"; the
 * second means implicit TLS) and set c up.  No connection is made yet.
 * Returns 0, or -1 with a message in err; c needs mailconn_free either way.
 */
int	 mailconn_init(struct mailconn *c, const char *plain, const char *tls,
	    const struct mailconn_opts *o, char *err, size_t errlen);
void	 mailconn_free(struct mailconn *c);
/*
 * Perform the transfer set up on c->curl (URL and request set by the
 * caller), the body collected into c->body (emptied first, capped at
 * body_cap bytes, 0 for none) and the timeout cut to the deadline.
 */
CURLcode mailconn_perform(struct mailconn *c, size_t body_cap);
/* A lower-case message for a failed transfer: what was being done
 * (doing), libcurl's reason, the server's own words when it gave any. */
void	 mailconn_describe(struct mailconn *c, CURLcode rc, const char *doing,
	    char *err, size_t errlen);

#endif
