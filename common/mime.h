/*
 * mime.h - e-mail messages: parsed into their parts and built from them,
 * with GMime, for the mail.* actions.
 *
 * Parsing (mime_parse.c) takes a message as it came from the server and
 * gives its headers decoded to UTF-8, its text body (an HTML-only body
 * converted to text) and its attachments, decoded from whatever
 * Content-Transfer-Encoding they travelled in.  GMime finds the parts and
 * undoes the transfer encodings; the text is decoded here
 * (mime_text.c), because Japanese mail is written in character sets that
 * GMime's iconv reads wrongly: ISO-2022-JP with the NEC and IBM
 * characters Windows clients use (①, ㈱, 髙), Shift_JIS that is really
 * CP932, RFC 2047 words that split a character between them, RFC 2231
 * filenames in those sets, and bare 8-bit headers.  Text that cannot be
 * decoded is never dropped: undecodable bytes become U+FFFD and the
 * message carries a warning.
 *
 * Building (mime_build.c) makes a message to send: UTF-8 throughout,
 * headers RFC 2047-encoded, filenames RFC 2231-encoded, CRLF line ends.
 *
 * Ownership: every string in the structures below is owned by the
 * structure and freed by its _free function; arguments are borrowed.
 */
#ifndef KOBITO_MIME_H
#define KOBITO_MIME_H

#include <stddef.h>

#include "buf.h"

struct mime_addr {
	char	*name;		/* display name, "" when none */
	char	*addr;		/* local@domain, "" for a group with none */
};

struct mime_addrs {
	struct mime_addr	*v;
	size_t			 n;
};

struct mime_attachment {
	char		*filename;	/* as the sender named it (never "") */
	char		*content_type;	/* "application/pdf", lower case */
	char		*content_id;	/* without <>, or NULL */
	int		 is_inline;	/* shown in the body (a logo), not attached */
	int		 named;		/* the sender gave the filename */
	char		*data;		/* the decoded content */
	size_t		 len;
};

struct mime_message {
	char			*message_id;	/* without <>, or NULL */
	char			*subject;	/* "" when none */
	struct mime_addrs	 from, to, cc, reply_to;
	char			*date;		/* ISO 8601 with offset, or NULL */
	char			*in_reply_to;	/* without <>, or NULL */
	char			*references;	/* ids without <>, space separated, or NULL */
	char			*text;		/* the text body, "" when none */
	char			*html;		/* the HTML body as sent, or NULL */
	char			*charset;	/* of the text body as declared, or NULL */
	struct mime_attachment	*att;
	size_t			 natt;
	char		       **warnings;	/* NULL-terminated, or NULL */
};

/* Limits on what a message may make us hold. */
struct mime_limits {
	size_t	max_attachments;	/* 0: MIME_MAX_ATTACHMENTS */
	size_t	max_parts;		/* 0: MIME_MAX_PARTS */
};

#define MIME_MAX_ATTACHMENTS	200
#define MIME_MAX_PARTS		1000

/* GMime set up for the process, once (thread-safe; the functions below
 * call it themselves). */
void	 mime_init(void);

/*
 * Parse len bytes of a message (RFC 5322 with MIME; LF or CRLF line ends)
 * into *m.  Returns 0, or -1 with a message in err when the bytes are no
 * message at all; a message with broken parts still parses, with
 * warnings.  Free *m with mime_message_free in either case.
 */
int	 mime_parse(const char *data, size_t len, const struct mime_limits *,
	    struct mime_message *m, char *err, size_t errlen);
void	 mime_message_free(struct mime_message *);

/* A file to attach. */
struct mime_file {
	const char	*path;		/* read when the message is built */
	const char	*filename;	/* as the recipient sees it; NULL: path's last part */
	const char	*content_type;	/* NULL: guessed from the name */
};

/* A message to build.  Address fields are "name <addr>" or "addr", UTF-8. */
struct mime_draft {
	const char		 *from;
	const char *const	 *to;		/* NULL-terminated, or NULL */
	const char *const	 *cc;
	const char		 *reply_to;	/* or NULL */
	const char		 *subject;
	const char		 *text;		/* the body, UTF-8 */
	const char		 *html;		/* an HTML alternative, or NULL */
	const char		 *in_reply_to;	/* a message id to answer, or NULL */
	const char		 *references;	/* ids, space separated, or NULL */
	const struct mime_file	 *files;
	size_t			  nfiles;
	size_t			  max_file;	/* largest file attached, bytes */
};

/*
 * Build draft into out (CRLF line ends, 7-bit clean).  The message id
 * made for it (without <>) goes to msgid, msgidlen bytes.  Returns 0, or
 * -1 with a message in err (an address that does not parse, a file that
 * cannot be read or is too big).
 */
int	 mime_build(const struct mime_draft *, struct buf *out, char *msgid,
	    size_t msgidlen, char *err, size_t errlen);

/* Parse an address list ("name <a@b>, c@d") into *out; 0, or -1 with a
 * message in err naming the part that is not an address. */
int	 mime_addrs_parse(const char *text, struct mime_addrs *out, char *err,
	    size_t errlen);
void	 mime_addrs_free(struct mime_addrs *);

/* --- the decoding underneath (mime_text.c), exported for the tests ----- */

/*
 * Decode text in charset (a MIME charset name, or NULL/"" when none was
 * declared) to UTF-8: Shift_JIS as CP932, ISO-2022-JP as Windows writes
 * it, undeclared text as UTF-8 when it is valid, else CP932.  Never fails:
 * bytes that do not decode become U+FFFD and *lossy (when not NULL) is set.
 * Returns a new string.
 */
char	*mime_text_decode(const char *charset, const char *in, size_t len,
	    size_t *outlen, int *lossy);
/*
 * A header value (raw, possibly folded) decoded to UTF-8: RFC 2047 encoded
 * words (also inside words and quotes, as careless mailers write them),
 * adjacent words of one charset joined before decoding, bare 8-bit text
 * guessed.  Returns a new string.
 */
char	*mime_header_decode(const char *raw);
/*
 * The same header with its RFC 2047 words re-encoded as UTF-8 words and
 * bare 8-bit text turned into UTF-8, its structure (quotes, commas, angle
 * brackets) untouched: for handing to a parser that decodes words itself.
 */
char	*mime_header_recode(const char *raw);
/*
 * The value of parameter name in a raw Content-Type or
 * Content-Disposition value, decoded: RFC 2231 (name*=, name*0*=, with
 * its charset), quoted strings, RFC 2047 words inside quotes.  NULL when
 * absent; else a new string.
 */
char	*mime_param(const char *raw, const char *name);

#endif
