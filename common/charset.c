/*
 * charset.c - encoding names, iconv conversion with precise errors, UTF-8
 * validation and the UTF-8 / CP932 guess used by encoding: auto.
 *
 * glibc's iconv reports EILSEQ both for malformed input and for a valid
 * character the target cannot hold.  To tell the two apart we decode the
 * offending character alone into UTF-8: if that works, the character is
 * fine and the target lacks it, and the message shows it.
 *
 * ISO-2022-JP is read the way Japanese mail clients write it, which is
 * Windows' CP50220/CP50221 more often than the standard: the NEC special
 * characters (①, ㈱, ≒) and the IBM kanji (髙) in JIS rows that the
 * standard leaves empty, and half-width katakana after ESC ( I or SO.
 * glibc's ISO-2022-JP refuses all of these, so the JIS text is turned into
 * the CP932 bytes of the same characters first (a fixed arithmetic
 * mapping) and read as CP932.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "xmalloc.h"

struct encoding {
	const char	*name;		/* as scripts write it */
	const char	*iconv;		/* as iconv knows it */
	const char	*label;		/* as error messages say it */
	int		 jis;		/* read as JIS turned into CP932 */
};

static const struct encoding encodings[] = {
	{ "utf-8",		"UTF-8",	"utf-8",	0 },
	{ "utf8",		"UTF-8",	"utf-8",	0 },
	{ "utf-8-bom",		"UTF-8",	"utf-8",	0 },
	{ "utf-8-sig",		"UTF-8",	"utf-8",	0 },
	{ "shift_jis",		"CP932",	"shift_jis",	0 },
	{ "shift-jis",		"CP932",	"shift_jis",	0 },
	{ "sjis",		"CP932",	"shift_jis",	0 },
	{ "cp932",		"CP932",	"cp932",	0 },
	{ "windows-31j",	"CP932",	"cp932",	0 },
	{ "ms932",		"CP932",	"cp932",	0 },
	{ "euc-jp",		"EUC-JP",	"euc-jp",	0 },
	{ "eucjp",		"EUC-JP",	"euc-jp",	0 },
	{ "iso-2022-jp",	"ISO-2022-JP",	"iso-2022-jp",	1 },
	{ "csiso2022jp",	"ISO-2022-JP",	"iso-2022-jp",	1 },
	{ "iso-2022-jp-ms",	"ISO-2022-JP",	"iso-2022-jp",	1 },
	{ "cp50220",		"ISO-2022-JP",	"iso-2022-jp",	1 },
	{ "cp50221",		"ISO-2022-JP",	"iso-2022-jp",	1 },
	{ "cp50222",		"ISO-2022-JP",	"iso-2022-jp",	1 },
	{ NULL,			NULL,		NULL,		0 },
};

static const struct encoding *
lookup(const char *name)
{
	for (const struct encoding *e = encodings; e->name != NULL; e++)
		if (strcasecmp(e->name, name) == 0)
			return e;
	return NULL;
}

static const char *
iconv_name(const char *name)
{
	const struct encoding *e = lookup(name);

	return e ? e->iconv : name;
}

static const char *
label(const char *name)
{
	const struct encoding *e = lookup(name);

	return e ? e->label : name;
}

static int
is_jis(const char *name)
{
	const struct encoding *e = lookup(name);

	return e != NULL && e->jis;
}

/*
 * The CP932 bytes of JIS text: escape sequences switch between ASCII (or
 * JIS-Roman), JIS X 0208 (two bytes a character, mapped arithmetically to
 * Shift_JIS) and half-width katakana (ESC ( I, or SO ... SI).  A line
 * break returns to ASCII, as the standard requires a writer to have done.
 * -1 with *badoff at an escape sequence we cannot read (JIS X 0212, other
 * ISO-2022 sets) or a broken double-byte character.
 */
static int
jis_to_cp932(const char *in, size_t inlen, char **out, size_t *outlen,
    size_t *badoff)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned char *o = xmalloc(inlen + 1), *q = o;
	enum { ASCII, KANJI, KANA } mode = ASCII, saved = ASCII;
	size_t i = 0;

	while (i < inlen) {
		unsigned char c = p[i];

		if (c == 0x1B) {
			if (i + 2 < inlen && p[i + 1] == '(' &&
			    (p[i + 2] == 'B' || p[i + 2] == 'J'))
				mode = ASCII;
			else if (i + 2 < inlen && p[i + 1] == '(' &&
			    p[i + 2] == 'I')
				mode = KANA;
			else if (i + 2 < inlen && p[i + 1] == '$' &&
			    (p[i + 2] == 'B' || p[i + 2] == '@'))
				mode = KANJI;
			else if (i + 5 < inlen && memcmp(p + i + 1, "&@\x1B$B",
			    5) == 0) {
				mode = KANJI;	/* JIS X 0208-1990 */
				i += 3;
			} else
				goto bad;
			i += 3;
			continue;
		}
		if (c == 0x0E || c == 0x0F) {	/* SO, SI: CP50222 kana */
			if (c == 0x0E && mode != KANA)
				saved = mode;
			mode = c == 0x0E ? KANA : saved;
			i++;
			continue;
		}
		if (c == '\n' || c == '\r')
			mode = ASCII;
		if (mode == KANJI && c >= 0x21 && c <= 0x7E) {
			unsigned char j1 = c, j2;

			if (i + 1 >= inlen || (j2 = p[i + 1]) < 0x21 ||
			    j2 > 0x7E)
				goto bad;
			*q++ = (unsigned char)(((j1 + 1) >> 1) +
			    (j1 <= 0x5E ? 0x70 : 0xB0));
			*q++ = (unsigned char)(j2 + ((j1 & 1) ?
			    (j2 < 0x60 ? 0x1F : 0x20) : 0x7E));
			i += 2;
			continue;
		}
		if (mode == KANA && c >= 0x21 && c <= 0x5F)
			c = (unsigned char)(c + 0x80);
		*q++ = c;
		i++;
	}
	*q = '\0';
	*out = (char *)o;
	*outlen = (size_t)(q - o);
	return 0;
bad:
	free(o);
	*badoff = i;
	return -1;
}

static int
is_utf8(const char *name)
{
	return strcasecmp(iconv_name(name), "UTF-8") == 0;
}

int
charset_known(const char *name)
{
	iconv_t cd;

	if (strcasecmp(name, "auto") == 0 || lookup(name) != NULL)
		return 1;
	if ((cd = iconv_open("UTF-8", name)) == (iconv_t)-1)
		return 0;
	iconv_close(cd);
	return 1;
}

/* Length of the valid UTF-8 sequence at s (at most len bytes), 0 if none. */
static size_t
utf8_seq(const unsigned char *s, size_t len, unsigned long *cp)
{
	unsigned long c;
	size_t n;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		c = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	/* Overlong forms, surrogates and values past Unicode. */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
		return 0;
	*cp = c;
	return n;
}

int
charset_utf8_valid(const char *s, size_t len, size_t *badoff)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_seq(p + i, len - i, &cp)) == 0) {
			if (badoff != NULL)
				*badoff = i;
			return 0;
		}
		i += n;
	}
	return 1;
}

char *
charset_utf8_sanitize(const char *s, size_t len, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc(len * 3 + 1), *o = out;
	unsigned long cp;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i, &cp)) == 0) {
			memcpy(o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(o, p + i, n);
		o += n;
		i += n;
	}
	*o = '\0';
	if (outlen != NULL)
		*outlen = (size_t)(o - out);
	return out;
}

/* Whether the bytes at p (left of them) are the start of a valid UTF-8
 * sequence cut short by the end of the text. */
static int
utf8_truncated(const unsigned char *p, size_t left)
{
	size_t need;

	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		need = 2;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		need = 3;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		need = 4;
	else
		return 0;
	if (left >= need)
		return 0;
	for (size_t i = 1; i < left; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return 1;
}

const char *
charset_detect_japanese(const char *buf, size_t len)
{
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		return "utf-8";
	if (charset_utf8_valid(buf, len, NULL))
		return "utf-8";
	/* Anything else is taken as CP932: when it is not, the conversion
	 * error names the first byte that does not fit. */
	return "cp932";
}

static size_t
line_at(const char *in, size_t off)
{
	size_t line = 1;
	const char *p = in, *end = in + off, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		line++;
		p = nl + 1;
	}
	return line;
}

/*
 * Describe the error at in[off]: decode that one character from the source
 * encoding; when it decodes, the target lacks it, otherwise the input is
 * malformed there.
 */
static void
describe(const char *from, const char *to, const char *in, size_t inlen,
    size_t off, int incomplete, char *err, size_t errlen)
{
	char where[64], chr[8], bytes[32];
	size_t left = inlen - off, n, blen = 0;
	unsigned long cp = 0;
	iconv_t cd;

	if (lookup(from) != NULL)
		snprintf(where, sizeof where, "byte offset %zu (line %zu)",
		    off, line_at(in, off));
	else
		snprintf(where, sizeof where, "byte offset %zu", off);
	if (incomplete) {
		snprintf(err, errlen, "incomplete %s sequence at the end of "
		    "the text, %s", label(from), where);
		return;
	}
	/* Decode the first character alone: an output of at most one UTF-8
	 * character can hold only one. */
	n = 0;
	if ((cd = iconv_open("UTF-8", iconv_name(from))) != (iconv_t)-1) {
		for (size_t take = 1; take <= 4 && take <= left && n == 0;
		    take++) {
			char tmp[16], *ip = (char *)in + off, *op = tmp;
			size_t il = take, ol = sizeof tmp;

			iconv(cd, NULL, NULL, NULL, NULL);
			if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1 &&
			    il == 0 && op > tmp) {
				n = utf8_seq((unsigned char *)tmp,
				    (size_t)(op - tmp), &cp);
				if (n > 0 && n < sizeof chr) {
					memcpy(chr, tmp, n);
					chr[n] = '\0';
				} else
					n = 0;
			} else if (errno != EINVAL)
				break;
		}
		iconv_close(cd);
	}
	if (n > 0) {
		snprintf(err, errlen, "character '%s' (U+%04lX) at %s has no "
		    "equivalent in %s", chr, cp, where, label(to));
		return;
	}
	for (size_t i = 0; i < 2 && i < left; i++)
		blen += (size_t)snprintf(bytes + blen, sizeof bytes - blen,
		    "%s0x%02x", i ? " " : "", (unsigned char)in[off + i]);
	snprintf(err, errlen, "invalid %s text (bytes %s) at %s", label(from),
	    bytes, where);
}

int
charset_convert_at(const char *from, const char *to, const char *in,
    size_t inlen, char **out, size_t *outlen, size_t *badoff, char *err,
    size_t errlen)
{
	char *buf, *ip, *op;
	size_t size, il, ol, off;
	int incomplete;
	iconv_t cd;

	*out = NULL;
	if (strcasecmp(from, "auto") == 0)
		from = charset_detect_japanese(in, inlen);
	if (is_jis(from) && !is_jis(to)) {
		char *sj;
		size_t sjlen;
		int rc;

		if (jis_to_cp932(in, inlen, &sj, &sjlen, &off) != 0) {
			if (badoff != NULL)
				*badoff = off;
			snprintf(err, errlen, "invalid iso-2022-jp text (an "
			    "escape sequence or character kobito cannot read) "
			    "at byte offset %zu", off);
			return -1;
		}
		rc = charset_convert_at("cp932", to, sj, sjlen, out, outlen,
		    badoff, err, errlen);
		free(sj);
		return rc;
	}
	if (is_utf8(from) && is_utf8(to)) {
		/* Nothing to convert, but still refuse malformed text. */
		if (!charset_utf8_valid(in, inlen, &off))
			goto bad;
		*out = xmalloc(inlen + 1);
		memcpy(*out, in, inlen);
		(*out)[inlen] = '\0';
		*outlen = inlen;
		return 0;
	}
	if ((cd = iconv_open(iconv_name(to), iconv_name(from))) ==
	    (iconv_t)-1) {
		snprintf(err, errlen, "cannot convert from %s to %s: unknown "
		    "encoding '%s'", from, to,
		    charset_known(from) ? to : from);
		return -1;
	}
	size = inlen * 2 + 16;
	buf = xmalloc(size);
	ip = (char *)in;
	il = inlen;
	op = buf;
	ol = size - 1;
	while (il > 0) {
		if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1)
			continue;
		if (errno == E2BIG) {
			size_t used = (size_t)(op - buf);

			size *= 2;
			buf = xrealloc(buf, size);
			op = buf + used;
			ol = size - 1 - used;
			continue;
		}
		incomplete = errno == EINVAL;
		off = (size_t)(ip - in);
		free(buf);
		iconv_close(cd);
		if (badoff != NULL)
			*badoff = off;
		describe(from, to, in, inlen, off, incomplete, err, errlen);
		return -1;
	}
	/* Flush any shift state of stateful encodings. */
	while (iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1 && errno == E2BIG) {
		size_t used = (size_t)(op - buf);

		size *= 2;
		buf = xrealloc(buf, size);
		op = buf + used;
		ol = size - 1 - used;
	}
	iconv_close(cd);
	*op = '\0';
	*out = buf;
	*outlen = (size_t)(op - buf);
	return 0;
bad:
	if (badoff != NULL)
		*badoff = off;
	describe(from, to, in, inlen, off,
	    utf8_truncated((const unsigned char *)in + off, inlen - off), err,
	    errlen);
	return -1;
}

int
charset_convert(const char *from, const char *to, const char *in,
    size_t inlen, char **out, size_t *outlen, char *err, size_t errlen)
{
	return charset_convert_at(from, to, in, inlen, out, outlen, NULL, err,
	    errlen);
}

int
charset_decode(const char *enc, const char *in, size_t inlen, char **out,
    size_t *outlen, char *err, size_t errlen)
{
	if (strcasecmp(enc, "auto") == 0)
		enc = charset_detect_japanese(in, inlen);
	if (is_utf8(enc) && inlen >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0) {
		in += 3;
		inlen -= 3;
	}
	return charset_convert(enc, "utf-8", in, inlen, out, outlen, err,
	    errlen);
}

int
charset_encode(const char *enc, const char *in, size_t inlen, char **out,
    size_t *outlen, size_t *badoff, char *err, size_t errlen)
{
	char *body;
	size_t blen;

	if (strcasecmp(enc, "auto") == 0) {
		snprintf(err, errlen, "encoding 'auto' is for reading; name "
		    "the encoding to write");
		*out = NULL;
		return -1;
	}
	if (charset_convert_at("utf-8", enc, in, inlen, &body, &blen, badoff,
	    err, errlen) != 0) {
		*out = NULL;
		return -1;
	}
	if (strcasecmp(enc, "utf-8-bom") == 0 ||
	    strcasecmp(enc, "utf-8-sig") == 0) {
		*out = xmalloc(blen + 4);
		memcpy(*out, "\xEF\xBB\xBF", 3);
		memcpy(*out + 3, body, blen + 1);
		*outlen = blen + 3;
		free(body);
		return 0;
	}
	*out = body;
	*outlen = blen;
	return 0;
}
