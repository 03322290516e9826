/*
 * imap.h - an IMAP client on libcurl: search a folder, read messages'
 * flags and sizes, fetch them, flag and move them.
 *
 * One struct imap is one libcurl handle, so one connection (and one
 * selected folder) serves every call until imap_close.  Messages are
 * named by UID.  Folder names are UTF-8 ("処理済/2024"); they travel in
 * IMAP's modified UTF-7.  Search terms are UTF-8 too, sent with CHARSET
 * UTF-8 as quoted strings.
 *
 * libcurl's FETCH marks a message \Seen (it has no BODY.PEEK); a caller
 * that must leave messages unread takes their flags first (imap_info)
 * and takes \Seen off again (imap_store) from those that lacked it.
 * Every function returns 0, or -1 with a message in err that says what
 * was being done and quotes the server.
 */
#ifndef KOBITO_IMAP_H
#define KOBITO_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mailconn.h"

struct imap;

/* A message's flags and size, from one UID FETCH (FLAGS RFC822.SIZE). */
struct imap_info {
	uint32_t	uid;
	uint64_t	size;		/* bytes, as the server counts them */
	int		seen;
	int		flagged;
	int		answered;
	char		flags[256];	/* the server's list, e.g. "\\Seen $Label1" */
};

/* Set up a client for o->url (imap:// with STARTTLS, or imaps://). */
struct imap	*imap_open(const struct mailconn_opts *o, char *err,
		    size_t errlen);
void		 imap_close(struct imap *);
/* Take timeout_ms, deadline_ms, cancelled and arg of o for the calls that
 * follow (a client that serves several steps, each with its own). */
void		 imap_bind(struct imap *, const struct mailconn_opts *o);

/*
 * UIDs in folder matching criteria (an IMAP search key such as
 * "UNSEEN SINCE 1-Apr-2024 SUBJECT \"請求書\""; "ALL" when NULL), in
 * ascending order.  *uids is a new array the caller frees.
 */
int	 imap_search(struct imap *, const char *folder, const char *criteria,
	    uint32_t **uids, size_t *n, char *err, size_t errlen);
/* Flags and sizes of n UIDs into info[] (in the order of uids; a UID the
 * server no longer has gets size 0 and uid 0). */
int	 imap_info(struct imap *, const char *folder, const uint32_t *uids,
	    size_t n, struct imap_info *info, char *err, size_t errlen);
/* The whole message uid into out (which the caller set up with its cap). */
int	 imap_fetch(struct imap *, const char *folder, uint32_t uid,
	    struct buf *out, char *err, size_t errlen);
/* Add (add != 0) or remove flags ("\\Seen \\Flagged", IMAP syntax). */
int	 imap_store(struct imap *, const char *folder, const uint32_t *uids,
	    size_t n, int add, const char *flags, char *err, size_t errlen);
/* Move the messages to folder to, which is created when missing. */
int	 imap_move(struct imap *, const char *folder, const uint32_t *uids,
	    size_t n, const char *to, char *err, size_t errlen);

/* A UTF-8 folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3); a new
 * string. */
char	*imap_mutf7(const char *utf8);
/* s as an IMAP quoted string ("a \"b\""); a new string. */
char	*imap_quote(const char *s);

#endif
