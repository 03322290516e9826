/*
 * imap.c - the IMAP client of imap.h on libcurl.
 *
 * libcurl speaks the protocol: login (SASL or LOGIN, after STARTTLS),
 * SELECT, and FETCH of a whole message by UID through the URL
 * (imaps://host/FOLDER/;UID=n).  Everything else - SEARCH, FETCH of
 * flags, STORE, MOVE, CREATE - goes as a custom request, whose untagged
 * answers libcurl hands over as the body and are parsed here.  All of
 * them reuse the one connection, and libcurl does not select a folder
 * that is selected already.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap.h"
#include "xmalloc.h"

/*
 * libcurl counts the lines a command is answered with against its limit
 * for HTTP headers (300 KB), and counts a long answer's lines more than
 * once: an answer of 200 FETCH lines (8 KB) already passes it.  So flags
 * are asked for 100 messages at a time, and searches ask for the compact
 * ESEARCH answer when the server has it ("1:1000" rather than a thousand
 * numbers).
 */
#define UIDS_PER_COMMAND	100
#define LIST_CAP		(16u * 1024 * 1024)	/* search and flag answers */

struct imap {
	struct mailconn	c;
};

struct imap *
imap_open(const struct mailconn_opts *o, char *err, size_t errlen)
{
	struct imap *m = xcalloc(1, sizeof *m);

	if (mailconn_init(&m->c, "imap", "imaps", o, err, errlen) != 0) {
		mailconn_free(&m->c);
		free(m);
		return NULL;
	}
	return m;
}

void
imap_close(struct imap *m)
{
	if (m == NULL)
		return;
	mailconn_free(&m->c);
	free(m);
}

void
imap_bind(struct imap *m, const struct mailconn_opts *o)
{
	m->c.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms :
	    MAILCONN_TIMEOUT_MS;
	m->c.deadline_ms = o->deadline_ms;
	m->c.cancelled = o->cancelled;
	m->c.arg = o->arg;
}

/* --- names and strings ----------------------------------------------------- */

/* The next code point of s (advanced); U+FFFD for a bad byte. */
static unsigned long
next_cp(const unsigned char **s)
{
	const unsigned char *p = *s;
	unsigned long c;
	int n, i;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	n = p[0] >= 0xF0 ? 3 : p[0] >= 0xE0 ? 2 : p[0] >= 0xC0 ? 1 : -1;
	c = n == 3 ? p[0] & 7u : n == 2 ? p[0] & 15u : p[0] & 31u;
	for (i = 1; n > 0 && i <= n; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			n = -1;
			break;
		}
		c = (c << 6) | (p[i] & 63u);
	}
	if (n < 0) {
		*s = p + 1;
		return 0xFFFD;
	}
	*s = p + n + 1;
	return c;
}

static const char mb64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

char *
imap_mutf7(const char *utf8)
{
	const unsigned char *s = (const unsigned char *)utf8;
	struct buf b;

	buf_init(&b, 0);
	while (*s != '\0') {
		unsigned bits = 0, nbits = 0;

		if (*s >= 0x20 && *s <= 0x7E) {
			buf_puts(&b, *s == '&' ? "&-" : (char[]){ (char)*s, 0 });
			s++;
			continue;
		}
		/* A run of other characters: UTF-16 in modified base64. */
		buf_putc(&b, '&');
		while (*s != '\0' && !(*s >= 0x20 && *s <= 0x7E)) {
			unsigned long cp = next_cp(&s);
			unsigned units[2];
			int nu = 1;

			if (cp > 0xFFFF) {
				cp -= 0x10000;
				units[0] = 0xD800 | (unsigned)(cp >> 10);
				units[1] = 0xDC00 | (unsigned)(cp & 0x3FF);
				nu = 2;
			} else
				units[0] = (unsigned)cp;
			for (int k = 0; k < nu; k++) {
				bits = (bits << 16) | units[k];
				nbits += 16;
				while (nbits >= 6) {
					nbits -= 6;
					buf_putc(&b, mb64[(bits >> nbits) & 63]);
				}
			}
		}
		if (nbits > 0)
			buf_putc(&b, mb64[(bits << (6 - nbits)) & 63]);
		buf_putc(&b, '-');
	}
	buf_puts(&b, "");
	return buf_detach(&b, NULL);
}

char *
imap_quote(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	buf_putc(&b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '\r' || *s == '\n')
			continue;	/* no line breaks inside a command */
		if (*s == '"' || *s == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, *s);
	}
	buf_putc(&b, '"');
	return buf_detach(&b, NULL);
}

/* The URL of folder, with suffix (";UID=5") after it. */
static char *
folder_url(struct imap *m, const char *folder, const char *suffix)
{
	char *enc = imap_mutf7(folder), *esc, *url;

	esc = curl_easy_escape(m->c.curl, enc, 0);
	url = xasprintf("%s/%s%s", m->c.base, esc ? esc : "", suffix);
	curl_free(esc);
	free(enc);
	return url;
}

/* "1:3,7,9:10" for uids[from, to), which are in ascending order. */
static char *
uid_set(const uint32_t *uids, size_t from, size_t to)
{
	struct buf b;
	size_t i = from;

	buf_init(&b, 0);
	while (i < to) {
		size_t j = i;

		while (j + 1 < to && uids[j + 1] == uids[j] + 1)
			j++;
		if (j > i)
			buf_printf(&b, "%s%u:%u", b.len ? "," : "", uids[i],
			    uids[j]);
		else
			buf_printf(&b, "%s%u", b.len ? "," : "", uids[i]);
		i = j + 1;
	}
	buf_puts(&b, "");
	return buf_detach(&b, NULL);
}

static int
cmp_uid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The uids sorted, without repeats; a new array. */
static uint32_t *
sorted(const uint32_t *uids, size_t n, size_t *outn)
{
	uint32_t *s = xcalloc(n + 1, sizeof *s);
	size_t k = 0;

	memcpy(s, uids, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_uid);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || s[k - 1] != s[i])
			s[k++] = s[i];
	*outn = k;
	return s;
}

/* --- requests -------------------------------------------------------------- */

/*
 * Select folder (when not selected yet) and send custom, or fetch the
 * message the URL names when custom is NULL.
 */
static int
request(struct imap *m, const char *folder, const char *custom,
    const char *suffix, size_t cap, const char *doing, char *err,
    size_t errlen)
{
	char *url = folder_url(m, folder, suffix);
	CURLcode rc;

	curl_easy_setopt(m->c.curl, CURLOPT_URL, url);
	curl_easy_setopt(m->c.curl, CURLOPT_CUSTOMREQUEST, custom);
	rc = mailconn_perform(&m->c, cap);
	curl_easy_setopt(m->c.curl, CURLOPT_CUSTOMREQUEST, NULL);
	free(url);
	if (rc == CURLE_OK)
		return 0;
	/* libcurl reports a folder it cannot select as a refused login. */
	if (strcmp(m->c.errbuf, "Select failed") == 0)
		snprintf(err, errlen, "%s: the folder '%s' cannot be opened "
		    "(the server said: %s)", doing, folder, m->c.reply[0] ?
		    m->c.reply : "nothing");
	else
		mailconn_describe(&m->c, rc, doing, err, errlen);
	return -1;
}

/* Each untagged line of the last answer that starts with word (after
 * "* " and an optional number), passed to fn. */
static void
each_line(struct imap *m, const char *word,
    void (*fn)(const char *rest, void *arg), void *arg)
{
	char *text = m->c.body.data, *line, *save = NULL;
	size_t wl = strlen(word);

	if (text == NULL)
		return;
	for (line = strtok_r(text, "\r\n", &save); line != NULL;
	    line = strtok_r(NULL, "\r\n", &save)) {
		const char *p = line;

		if (p[0] != '*' || p[1] != ' ')
			continue;
		p += 2;
		while (isdigit((unsigned char)*p))
			p++;
		while (*p == ' ')
			p++;
		if (strncasecmp(p, word, wl) == 0 && (p[wl] == ' ' ||
		    p[wl] == '\0' || p[wl] == '('))
			fn(p + wl, arg);
	}
}

struct uidlist {
	uint32_t	*v;
	size_t		 n;
};

static void
search_line(const char *rest, void *arg)
{
	struct uidlist *l = arg;
	const char *p = rest;
	char *end;

	for (;;) {
		unsigned long u;

		while (*p == ' ')
			p++;
		if (!isdigit((unsigned char)*p))
			break;
		u = strtoul(p, &end, 10);
		l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
		l->v[l->n++] = (uint32_t)u;
		p = end;
	}
}

static int
has_8bit(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* The UIDs of a sequence set ("1:3,7") appended to l. */
static void
parse_set(const char *p, struct uidlist *l)
{
	char *end;

	while (isdigit((unsigned char)*p)) {
		unsigned long a = strtoul(p, &end, 10), b = a;

		p = end;
		if (*p == ':' && isdigit((unsigned char)p[1])) {
			b = strtoul(p + 1, &end, 10);
			p = end;
		}
		if (b < a) {
			unsigned long t = a;

			a = b;
			b = t;
		}
		for (unsigned long u = a; u <= b && b - a < 10000000; u++) {
			l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
			l->v[l->n++] = (uint32_t)u;
		}
		if (*p != ',')
			break;
		p++;
	}
}

/* "* ESEARCH (TAG "A5") UID ALL 1:3,7": the set after ALL. */
static void
esearch_line(const char *rest, void *arg)
{
	const char *all = strstr(rest, " ALL ");

	if (all != NULL)
		parse_set(all + 5, arg);
}

int
imap_search(struct imap *m, const char *folder, const char *criteria,
    uint32_t **uids, size_t *n, char *err, size_t errlen)
{
	struct uidlist l = { NULL, 0 };
	char *cmd, doing[300];
	const char *cs;
	int rc;

	if (criteria == NULL || *criteria == '\0')
		criteria = "ALL";
	cs = has_8bit(criteria) ? "CHARSET UTF-8 " : "";
	snprintf(doing, sizeof doing, "searching '%s' on %s", folder,
	    m->c.host);
	cmd = xasprintf("UID SEARCH RETURN (ALL) %s%s", cs, criteria);
	rc = request(m, folder, cmd, "", LIST_CAP, doing, err, errlen);
	free(cmd);
	if (rc == 0) {
		each_line(m, "ESEARCH", esearch_line, &l);
	} else if (strncasecmp(m->c.reply, "BAD", 3) == 0) {
		/* No ESEARCH (RFC 4731): the plain answer. */
		cmd = xasprintf("UID SEARCH %s%s", cs, criteria);
		rc = request(m, folder, cmd, "", LIST_CAP, doing, err, errlen);
		free(cmd);
		if (rc == 0)
			each_line(m, "SEARCH", search_line, &l);
	}
	if (rc != 0) {
		free(l.v);
		return -1;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof *l.v, cmp_uid);
	*uids = l.v ? l.v : xcalloc(1, sizeof **uids);
	*n = l.n;
	return 0;
}

struct infolist {
	struct imap_info	*v;
	size_t			 n;
	const uint32_t		*uids;
};

/* The number after key in s ("UID 12"), or -1. */
static long long
number_after(const char *s, const char *key)
{
	const char *p = s;
	size_t kl = strlen(key);

	while ((p = strcasestr(p, key)) != NULL) {
		if ((p == s || p[-1] == ' ' || p[-1] == '(') && p[kl] == ' ')
			return strtoll(p + kl + 1, NULL, 10);
		p += kl;
	}
	return -1;
}

static void
fetch_line(const char *rest, void *arg)
{
	struct infolist *l = arg;
	long long uid = number_after(rest, "UID"),
	    size = number_after(rest, "RFC822.SIZE");
	const char *f = strcasestr(rest, "FLAGS (");
	struct imap_info *in = NULL;

	for (size_t i = 0; i < l->n && uid > 0; i++)
		if (l->uids[i] == (uint32_t)uid)
			in = &l->v[i];
	if (in == NULL)
		return;
	in->uid = (uint32_t)uid;
	in->size = size > 0 ? (uint64_t)size : 0;
	if (f != NULL) {
		const char *e = strchr(f + 7, ')');
		size_t len = e ? (size_t)(e - (f + 7)) : strlen(f + 7);

		if (len >= sizeof in->flags)
			len = sizeof in->flags - 1;
		memcpy(in->flags, f + 7, len);
		in->flags[len] = '\0';
		in->seen = strcasestr(in->flags, "\\Seen") != NULL;
		in->flagged = strcasestr(in->flags, "\\Flagged") != NULL;
		in->answered = strcasestr(in->flags, "\\Answered") != NULL;
	}
}

int
imap_info(struct imap *m, const char *folder, const uint32_t *uids, size_t n,
    struct imap_info *info, char *err, size_t errlen)
{
	struct infolist l = { info, n, uids };
	uint32_t *s;
	size_t ns;
	char doing[300];

	memset(info, 0, n * sizeof *info);
	s = sorted(uids, n, &ns);
	snprintf(doing, sizeof doing, "reading the flags in '%s' on %s",
	    folder, m->c.host);
	for (size_t i = 0; i < ns; i += UIDS_PER_COMMAND) {
		char *set = uid_set(s, i, i + UIDS_PER_COMMAND < ns ?
		    i + UIDS_PER_COMMAND : ns);
		char *cmd = xasprintf("UID FETCH %s (UID FLAGS RFC822.SIZE)",
		    set);
		int rc = request(m, folder, cmd, "", LIST_CAP, doing, err,
		    errlen);

		free(cmd);
		free(set);
		if (rc != 0) {
			free(s);
			return -1;
		}
		each_line(m, "FETCH", fetch_line, &l);
	}
	free(s);
	return 0;
}

int
imap_fetch(struct imap *m, const char *folder, uint32_t uid, struct buf *out,
    char *err, size_t errlen)
{
	char suffix[32], doing[300];

	snprintf(suffix, sizeof suffix, "/;UID=%u", uid);
	snprintf(doing, sizeof doing, "fetching message %u from '%s' on %s",
	    uid, folder, m->c.host);
	if (request(m, folder, NULL, suffix, out->cap, doing, err,
	    errlen) != 0)
		return -1;
	if (m->c.body.len == 0) {
		snprintf(err, errlen, "%s: the server has no such message",
		    doing);
		return -1;
	}
	/* The body is handed over, not copied: messages can be large. */
	buf_free(out);
	*out = m->c.body;
	buf_init(&m->c.body, 0);
	return 0;
}

/* Run "UID <verb> <set> <tail>" over uids, in chunks. */
static int
each_chunk(struct imap *m, const char *folder, const uint32_t *uids,
    size_t n, const char *verb, const char *tail, const char *doing,
    char *err, size_t errlen)
{
	uint32_t *s;
	size_t ns;
	int rc = 0;

	s = sorted(uids, n, &ns);
	for (size_t i = 0; i < ns && rc == 0; i += UIDS_PER_COMMAND) {
		char *set = uid_set(s, i, i + UIDS_PER_COMMAND < ns ?
		    i + UIDS_PER_COMMAND : ns);
		char *cmd = xasprintf("UID %s %s%s%s", verb, set,
		    *tail ? " " : "", tail);

		rc = request(m, folder, cmd, "", LIST_CAP, doing, err, errlen);
		free(cmd);
		free(set);
	}
	free(s);
	return rc;
}

int
imap_store(struct imap *m, const char *folder, const uint32_t *uids,
    size_t n, int add, const char *flags, char *err, size_t errlen)
{
	char *tail, doing[300];
	int rc;

	if (n == 0)
		return 0;
	tail = xasprintf("%cFLAGS.SILENT (%s)", add ? '+' : '-', flags);
	snprintf(doing, sizeof doing, "%s the flags %s in '%s' on %s",
	    add ? "setting" : "clearing", flags, folder, m->c.host);
	rc = each_chunk(m, folder, uids, n, "STORE", tail, doing, err, errlen);
	free(tail);
	return rc;
}

int
imap_move(struct imap *m, const char *folder, const uint32_t *uids, size_t n,
    const char *to, char *err, size_t errlen)
{
	char *enc = imap_mutf7(to), *q = imap_quote(enc), doing[300];
	int rc;

	free(enc);
	if (n == 0) {
		free(q);
		return 0;
	}
	snprintf(doing, sizeof doing, "moving messages from '%s' to '%s' on "
	    "%s", folder, to, m->c.host);
	rc = each_chunk(m, folder, uids, n, "MOVE", q, doing, err, errlen);
	if (rc != 0 && strstr(m->c.reply, "TRYCREATE") != NULL) {
		char *cmd = xasprintf("CREATE %s", q);

		rc = request(m, folder, cmd, "", LIST_CAP, doing, err, errlen);
		free(cmd);
		if (rc == 0)
			rc = each_chunk(m, folder, uids, n, "MOVE", q, doing,
			    err, errlen);
	}
	if (rc != 0 && (strncasecmp(m->c.reply, "BAD", 3) == 0 ||
	    strncasecmp(m->c.reply, "* BAD", 5) == 0)) {
		/* No MOVE (RFC 6851): copy, mark deleted, expunge those. */
		rc = each_chunk(m, folder, uids, n, "COPY", q, doing, err,
		    errlen);
		if (rc == 0)
			rc = imap_store(m, folder, uids, n, 1, "\\Deleted",
			    err, errlen);
		if (rc == 0)
			rc = each_chunk(m, folder, uids, n, "EXPUNGE", "",
			    doing, err, errlen);
	}
	free(q);
	return rc;
}
