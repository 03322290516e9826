/*
 * mime_text.c - text in mail as it really arrives, decoded to UTF-8:
 * bodies in declared (or undeclared) character sets, RFC 2047 encoded
 * words in headers, RFC 2231 parameters such as filenames.
 *
 * Real Japanese mail breaks the rules in known ways, and each is taken as
 * its writer meant it: "Shift_JIS" means CP932; ISO-2022-JP carries the
 * NEC and IBM extensions (charset.c reads both); encoded words split one
 * character over two words (the bytes of adjacent words of a charset are
 * joined before decoding); encoded words sit inside quoted strings and
 * inside filename="..."; headers carry raw Shift_JIS or UTF-8.  Decoding
 * never fails: what does not decode becomes U+FFFD.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "charset.h"
#include "mime.h"
#include "xmalloc.h"

#define REPLACEMENT	"\xEF\xBF\xBD"
#define MAX_SECTIONS	100	/* RFC 2231 continuations of one parameter */

/* A charset name as declared: quotes and blanks off, lower case. */
static char *
charset_clean(const char *cs)
{
	char *out, *o;

	if (cs == NULL)
		return xstrdup("");
	while (*cs == '"' || *cs == '\'' || isspace((unsigned char)*cs))
		cs++;
	out = o = xstrdup(cs);
	for (; *o != '\0'; o++) {
		if (*o == '"' || *o == '\'' || isspace((unsigned char)*o) ||
		    *o == ';') {
			*o = '\0';
			break;
		}
		*o = (char)tolower((unsigned char)*o);
	}
	return out;
}

/* Names that say nothing about the bytes. */
static int
charset_unsaid(const char *cs)
{
	static const char *const names[] = {
		"", "us-ascii", "ascii", "unknown-8bit", "x-unknown",
		"unknown", "default", "x-user-defined",
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(cs, names[i]) == 0)
			return 1;
	return 0;
}

/* The iconv name for a lossy pass (charset.c's own table is private). */
static const char *
lossy_name(const char *cs)
{
	if (strstr(cs, "jis") != NULL && strstr(cs, "2022") == NULL)
		return "CP932";
	if (strcmp(cs, "cp932") == 0 || strcmp(cs, "windows-31j") == 0 ||
	    strcmp(cs, "ms932") == 0)
		return "CP932";
	if (strstr(cs, "2022-jp") != NULL || strncmp(cs, "cp5022", 6) == 0)
		return "ISO-2022-JP";
	return cs;
}

/* Convert with iconv, a U+FFFD for each byte that does not decode. */
static char *
lossy_convert(const char *from, const char *in, size_t len, size_t *outlen)
{
	struct buf b;
	iconv_t cd;
	char tmp[4096], *ip = (char *)in, *op;
	size_t il = len, ol;

	buf_init(&b, 0);
	if ((cd = iconv_open("UTF-8", from)) == (iconv_t)-1) {
		char *s = charset_utf8_sanitize(in, len, outlen);

		return s;
	}
	while (il > 0) {
		op = tmp;
		ol = sizeof tmp;
		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 &&
		    errno != E2BIG) {
			buf_append(&b, tmp, (size_t)(op - tmp));
			buf_puts(&b, REPLACEMENT);
			if (errno == EINVAL)
				break;
			ip++;
			il--;
			continue;
		}
		buf_append(&b, tmp, (size_t)(op - tmp));
	}
	iconv_close(cd);
	if (b.data == NULL)
		buf_puts(&b, "");
	return buf_detach(&b, outlen);
}

char *
mime_text_decode(const char *charset, const char *in, size_t len,
    size_t *outlen, int *lossy)
{
	char *cs = charset_clean(charset), *out = NULL, err[256];
	size_t n = 0;

	if (charset_unsaid(cs) || strcmp(cs, "utf-8") == 0 ||
	    strcmp(cs, "utf8") == 0) {
		/* Undeclared, or UTF-8 that may not be: valid UTF-8 is
		 * UTF-8; anything else is most likely CP932. */
		if (charset_utf8_valid(in, len, NULL)) {
			out = xmalloc(len + 1);
			memcpy(out, in, len);
			out[len] = '\0';
			n = len;
		} else if (charset_decode("cp932", in, len, &out, &n, err,
		    sizeof err) != 0) {
			out = charset_utf8_sanitize(in, len, &n);
			if (lossy != NULL)
				*lossy = 1;
		}
	} else if (charset_decode(cs, in, len, &out, &n, err,
	    sizeof err) != 0) {
		/* A wrong label is common (UTF-8 sent as Shift_JIS); valid
		 * UTF-8 is taken as such before anything lossy. */
		if (charset_utf8_valid(in, len, NULL)) {
			out = xmalloc(len + 1);
			memcpy(out, in, len);
			out[len] = '\0';
			n = len;
		} else {
			out = lossy_convert(lossy_name(cs), in, len, &n);
			if (lossy != NULL)
				*lossy = 1;
		}
	}
	free(cs);
	if (outlen != NULL)
		*outlen = n;
	return out;
}

/* --- RFC 2047 ----------------------------------------------------------- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Base64 decoded into b, leniently: other characters are skipped. */
static void
b64_decode(struct buf *b, const char *s, size_t len)
{
	unsigned acc = 0;
	int bits = 0, v;

	for (size_t i = 0; i < len; i++) {
		if ((v = b64val((unsigned char)s[i])) < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(b, (char)((acc >> bits) & 0xFF));
		}
	}
}

static void
q_decode(struct buf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '_')
			buf_putc(b, ' ');
		else if (s[i] == '=' && i + 2 < len &&
		    hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			buf_putc(b, (char)(hexval((unsigned char)s[i + 1]) * 16 +
			    hexval((unsigned char)s[i + 2])));
			i += 2;
		} else
			buf_putc(b, s[i]);
	}
}

/* One encoded word found in a header. */
struct word {
	const char	*start, *end;	/* the whole =?...?= */
	char		 charset[64];
	char		 enc;		/* 'B' or 'Q' */
	const char	*text;
	size_t		 textlen;
};

/* Whether an encoded word starts at p (within end); fill w. */
static int
word_at(const char *p, const char *end, struct word *w)
{
	const char *cs, *q, *t;
	size_t cslen;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	cs = p + 2;
	for (q = cs; q < end && *q != '?'; q++)
		if (isspace((unsigned char)*q))
			return 0;
	if (q + 3 >= end || q == cs || strchr("BbQq", q[1]) == NULL ||
	    q[2] != '?')
		return 0;
	cslen = (size_t)(q - cs);
	t = q + 3;
	for (q = t; q + 1 < end && !(q[0] == '?' && q[1] == '='); q++)
		if (isspace((unsigned char)*q))
			return 0;
	if (q + 1 >= end)
		return 0;
	if (cslen >= sizeof w->charset)
		return 0;
	memcpy(w->charset, cs, cslen);
	w->charset[cslen] = '\0';
	/* RFC 2231 adds a language: charset*lang. */
	if (strchr(w->charset, '*') != NULL)
		*strchr(w->charset, '*') = '\0';
	w->enc = (char)toupper((unsigned char)cs[cslen + 1]);
	w->text = t;
	w->textlen = (size_t)(q - t);
	w->start = p;
	w->end = q + 2;
	return 1;
}

/* The next encoded word at or after p, or NULL. */
static const char *
next_word(const char *p, const char *end, struct word *w)
{
	for (; p + 1 < end; p++)
		if (p[0] == '=' && p[1] == '?' && word_at(p, end, w))
			return p;
	return NULL;
}

static int
all_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (!isspace((unsigned char)*p))
			return 0;
	return 1;
}

static int
all_ascii(const char *p, const char *end)
{
	for (; p < end; p++)
		if ((unsigned char)*p >= 0x80)
			return 0;
	return 1;
}

/* Append plain header text, bare 8-bit bytes decoded by guess. */
static void
put_plain(struct buf *out, const char *p, const char *end)
{
	char *s;
	size_t n;

	if (all_ascii(p, end)) {
		buf_append(out, p, (size_t)(end - p));
		return;
	}
	s = mime_text_decode(NULL, p, (size_t)(end - p), &n, NULL);
	buf_append(out, s, n);
	free(s);
}

/*
 * Walk the unfolded header: plain text goes through put_plain; each run
 * of encoded words (only blanks between them, which RFC 2047 drops) is
 * decoded charset by charset, the bytes of adjacent words of one charset
 * joined first, and handed to emit.
 */
static void
walk(const char *raw, struct buf *out,
    void (*emit)(struct buf *out, const char *utf8, size_t len))
{
	char *text = xstrdup(raw), *o = text;
	const char *p, *end, *at;
	struct word w, nw;
	struct buf bytes, dec;

	/* Unfold: line breaks go, the blanks after them stay. */
	for (p = raw; *p != '\0'; p++)
		if (*p != '\r' && *p != '\n')
			*o++ = *p;
	*o = '\0';
	end = o;
	buf_init(&bytes, 0);
	buf_init(&dec, 0);
	for (p = text; p < end;) {
		if ((at = next_word(p, end, &w)) == NULL) {
			put_plain(out, p, end);
			break;
		}
		put_plain(out, p, at);
		buf_reset(&dec);
		for (;;) {
			char cs[64];
			const char *next;

			memcpy(cs, w.charset, sizeof cs);
			buf_reset(&bytes);
			for (;;) {
				if (w.enc == 'B')
					b64_decode(&bytes, w.text, w.textlen);
				else
					q_decode(&bytes, w.text, w.textlen);
				p = w.end;
				next = next_word(p, end, &nw);
				if (next == NULL || !all_space(p, next) ||
				    strcasecmp(nw.charset, cs) != 0)
					break;
				w = nw;
			}
			{
				size_t n;
				char *s = mime_text_decode(cs, bytes.data ?
				    bytes.data : "", bytes.len, &n, NULL);

				buf_append(&dec, s, n);
				free(s);
			}
			if (next == NULL || !all_space(p, next))
				break;
			w = nw;	/* another charset right after */
		}
		emit(out, dec.data ? dec.data : "", dec.len);
	}
	buf_free(&bytes);
	buf_free(&dec);
	free(text);
}

static void
emit_decoded(struct buf *out, const char *utf8, size_t len)
{
	buf_append(out, utf8, len);
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
emit_recoded(struct buf *out, const char *utf8, size_t len)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t i;

	buf_puts(out, "=?UTF-8?B?");
	for (i = 0; i + 2 < len; i += 3) {
		buf_putc(out, b64chars[s[i] >> 2]);
		buf_putc(out, b64chars[((s[i] & 3) << 4) | (s[i + 1] >> 4)]);
		buf_putc(out, b64chars[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)]);
		buf_putc(out, b64chars[s[i + 2] & 63]);
	}
	if (len - i == 1) {
		buf_putc(out, b64chars[s[i] >> 2]);
		buf_putc(out, b64chars[(s[i] & 3) << 4]);
		buf_puts(out, "==");
	} else if (len - i == 2) {
		buf_putc(out, b64chars[s[i] >> 2]);
		buf_putc(out, b64chars[((s[i] & 3) << 4) | (s[i + 1] >> 4)]);
		buf_putc(out, b64chars[(s[i + 1] & 15) << 2]);
		buf_putc(out, '=');
	}
	buf_puts(out, "?=");
}

char *
mime_header_decode(const char *raw)
{
	struct buf out;

	char *s, *a, *e;

	buf_init(&out, 0);
	walk(raw ? raw : "", &out, emit_decoded);
	buf_puts(&out, "");
	s = buf_detach(&out, NULL);
	/* A value's blanks at either end are the header's, not its own. */
	for (a = s; *a == ' ' || *a == '\t'; a++)
		;
	e = a + strlen(a);
	while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	memmove(s, a, (size_t)(e - a));
	s[e - a] = '\0';
	return s;
}

char *
mime_header_recode(const char *raw)
{
	struct buf out;

	buf_init(&out, 0);
	walk(raw ? raw : "", &out, emit_recoded);
	buf_puts(&out, "");
	return buf_detach(&out, NULL);
}

/* --- parameters (RFC 2045, RFC 2231) -------------------------------------- */

struct section {
	char	*value;		/* raw bytes as written */
	int	 ext;		/* percent-encoded (name*N*=) */
};

/* Read one parameter value at p: a quoted string or a token. */
static char *
read_value(const char **pp)
{
	const char *p = *pp;
	struct buf b;

	buf_init(&b, 0);
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			buf_putc(&b, *p);
		}
		if (*p == '"')
			p++;
	} else {
		const char *start = p, *last;

		/* Up to the next ';': careless writers leave blanks in
		 * unquoted filenames. */
		while (*p != '\0' && *p != ';')
			p++;
		last = p;
		while (last > start && isspace((unsigned char)last[-1]))
			last--;
		buf_append(&b, start, (size_t)(last - start));
	}
	*pp = p;
	buf_puts(&b, "");
	return buf_detach(&b, NULL);
}

/* Percent-decoded bytes of s appended to b. */
static void
pct_decode(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '%' && hexval((unsigned char)s[1]) >= 0 &&
		    hexval((unsigned char)s[2]) >= 0) {
			buf_putc(b, (char)(hexval((unsigned char)s[1]) * 16 +
			    hexval((unsigned char)s[2])));
			s += 2;
		} else
			buf_putc(b, *s);
	}
}

/* The RFC 2231 value from its sections, decoded. */
static char *
join_sections(struct section *sec, size_t nsec)
{
	struct buf bytes;
	char *charset = NULL, *out;
	size_t n;

	buf_init(&bytes, 0);
	for (size_t i = 0; i < nsec && sec[i].value != NULL; i++) {
		const char *v = sec[i].value;

		if (sec[i].ext && i == 0) {
			const char *q1 = strchr(v, '\''), *q2;

			if (q1 != NULL && (q2 = strchr(q1 + 1, '\'')) != NULL) {
				charset = xstrndup(v, (size_t)(q1 - v));
				v = q2 + 1;
			}
		}
		if (sec[i].ext)
			pct_decode(&bytes, v);
		else
			buf_puts(&bytes, v);
	}
	out = mime_text_decode(charset, bytes.data ? bytes.data : "",
	    bytes.len, &n, NULL);
	free(charset);
	buf_free(&bytes);
	return out;
}

/* A plain value: RFC 2047 words inside it, or bare 8-bit text. */
static char *
plain_value(const char *v)
{
	if (strstr(v, "=?") != NULL || !all_ascii(v, v + strlen(v)))
		return mime_header_decode(v);
	return xstrdup(v);
}

char *
mime_param(const char *raw, const char *name)
{
	struct section sec[MAX_SECTIONS];
	const char *p;
	char *plain = NULL, *out = NULL;
	size_t nlen = strlen(name), nsec = 0;

	memset(sec, 0, sizeof sec);
	if (raw == NULL)
		return NULL;
	/* Skip the type or disposition itself; quotes may hide ';'. */
	for (p = raw; *p != '\0' && *p != ';'; p++)
		if (*p == '"')
			while (p[1] != '\0' && *++p != '"')
				;
	while (*p != '\0') {
		const char *attr;
		size_t alen;
		char *v;

		while (*p == ';' || isspace((unsigned char)*p))
			p++;
		attr = p;
		while (*p != '\0' && *p != '=' && *p != ';' &&
		    !isspace((unsigned char)*p))
			p++;
		alen = (size_t)(p - attr);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=')
			continue;
		p++;
		while (isspace((unsigned char)*p))
			p++;
		v = read_value(&p);
		if (alen == nlen && strncasecmp(attr, name, nlen) == 0) {
			free(plain);
			plain = v;
		} else if (alen > nlen && strncasecmp(attr, name, nlen) == 0 &&
		    attr[nlen] == '*') {
			const char *s = attr + nlen + 1;
			int ext = attr[alen - 1] == '*';
			long idx = 0;

			if (s < attr + alen && isdigit((unsigned char)*s)) {
				char *e;

				idx = strtol(s, &e, 10);
				if (e != attr + alen - (ext ? 1 : 0))
					idx = -1;
			} else if (!(alen == nlen + 1))
				idx = -1;
			else
				ext = 1;	/* name*= */
			if (idx >= 0 && idx < MAX_SECTIONS &&
			    sec[idx].value == NULL) {
				sec[idx].value = v;
				sec[idx].ext = ext;
				if ((size_t)idx + 1 > nsec)
					nsec = (size_t)idx + 1;
				v = NULL;
			}
			free(v);
		} else
			free(v);
	}
	if (nsec > 0 && sec[0].value != NULL)
		out = join_sections(sec, nsec);
	else if (plain != NULL)
		out = plain_value(plain);
	for (size_t i = 0; i < nsec; i++)
		free(sec[i].value);
	free(plain);
	return out;
}
