/*
 * smtp.h - sending one message over SMTP with libcurl.
 *
 * The server is a URL: smtps://host:465 (TLS from the start) or
 * smtp://host:587 (STARTTLS, required).  Authentication is SASL (PLAIN
 * or LOGIN, whichever the server offers, after TLS).  libcurl sends
 * MAIL FROM, one RCPT TO per recipient and the message, dot-stuffed.
 */
#ifndef KOBITO_SMTP_H
#define KOBITO_SMTP_H

#include <stddef.h>

#include "mailconn.h"

/*
 * Send len bytes of msg (CRLF line ends) from the envelope sender from to
 * the n envelope recipients rcpt (bare addresses).  Returns 0 when the
 * server took the message for every recipient, or -1 with a message in
 * err that quotes the server's refusal.
 */
int	smtp_send(const struct mailconn_opts *o, const char *from,
	    const char *const *rcpt, size_t n, const char *msg, size_t len,
	    char *err, size_t errlen);

#endif
