/*
 * expr_func_text.c - the text functions of the expression language:
 * trimming, case, search and replace, padding, widths and kana, byte
 * lengths in legacy encodings, regular expressions, URL and base64.
 */
#include <ctype.h>
#include <limits.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "charset.h"
#include "expr.h"
#include "expr_int.h"
#include "width.h"
#include "textutil.h"
#include "xmalloc.h"

static int
is_space_at(const char *s, size_t n, size_t *len)
{
	if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' ||
	    s[0] == '\r' || s[0] == '\v' || s[0] == '\f')) {
		*len = 1;
		return 1;
	}
	if (n >= 3 && memcmp(s, "\xE3\x80\x80", 3) == 0) {	/* U+3000 */
		*len = 3;
		return 1;
	}
	if (n >= 2 && memcmp(s, "\xC2\xA0", 2) == 0) {		/* U+00A0 */
		*len = 2;
		return 1;
	}
	return 0;
}

static json_t *
fn_trim(struct fctx *c, json_t **argv, int argc)
{
	size_t n, l, start = 0, end, i;
	const char *s = fctx_arg_text(c, argv, 0, &n);

	(void)argc;
	if (s == NULL)
		return NULL;
	while (start < n && is_space_at(s + start, n - start, &l))
		start += l;
	/* Scan forward so multi-byte spaces are found whole. */
	end = start;
	for (i = start; i < n; ) {
		if (is_space_at(s + i, n - i, &l)) {
			i += l;
			continue;
		}
		l = width_utf8_decode(s + i, n - i, &(uint32_t){0});
		i += l ? l : 1;
		end = i;
	}
	return expr_mkstr(s + start, end - start);
}

/* ASCII and full-width Latin letters change case; nothing else does. */
static json_t *
change_case(struct fctx *c, json_t **argv, int upper)
{
	size_t n, i = 0, o = 0, l;
	const char *s = fctx_arg_text(c, argv, 0, &n);
	uint32_t cp;
	char *out;

	if (s == NULL)
		return NULL;
	out = xmalloc(n + 1);
	while (i < n) {
		l = width_utf8_decode(s + i, n - i, &cp);
		if (l == 0) {
			out[o++] = s[i++];
			continue;
		}
		i += l;
		if (upper && ((cp >= 'a' && cp <= 'z') ||
		    (cp >= 0xFF41 && cp <= 0xFF5A)))
			cp -= 0x20;
		else if (!upper && ((cp >= 'A' && cp <= 'Z') ||
		    (cp >= 0xFF21 && cp <= 0xFF3A)))
			cp += 0x20;
		o += width_utf8_encode(cp, out + o);
	}
	out[o] = '\0';
	return expr_mkstr_owned(out);
}

static json_t *
fn_upper(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return change_case(c, argv, 1);
}

static json_t *
fn_lower(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return change_case(c, argv, 0);
}

static json_t *
fn_replace(struct fctx *c, json_t **argv, int argc)
{
	size_t n, on, nn;
	const char *s, *old, *new_, *p, *hit;
	struct buf b;

	(void)argc;
	if ((s = fctx_arg_text(c, argv, 0, &n)) == NULL ||
	    (old = fctx_arg_text(c, argv, 1, &on)) == NULL ||
	    (new_ = fctx_arg_text(c, argv, 2, &nn)) == NULL)
		return NULL;
	if (on == 0)
		return fctx_fail(c, "the text to replace is empty");
	buf_init(&b, 0);
	for (p = s; (hit = strstr(p, old)) != NULL; p = hit + on) {
		if (buf_append(&b, p, (size_t)(hit - p)) != 0 ||
		    buf_append(&b, new_, nn) != 0) {
			buf_free(&b);
			return fctx_fail(c, "result too long");
		}
	}
	if (buf_puts(&b, p) != 0) {
		buf_free(&b);
		return fctx_fail(c, "result too long");
	}
	return expr_mkstr_owned(buf_detach(&b, NULL));
}

static json_t *
fn_split(struct fctx *c, json_t **argv, int argc)
{
	size_t n, sn, l;
	const char *s, *sep, *p, *hit;
	json_t *list;
	uint32_t cp;

	(void)argc;
	if ((s = fctx_arg_text(c, argv, 0, &n)) == NULL ||
	    (sep = fctx_arg_text(c, argv, 1, &sn)) == NULL)
		return NULL;
	list = json_array();
	if (sn == 0) {			/* into characters */
		for (p = s; p < s + n; p += l) {
			l = width_utf8_decode(p, (size_t)(s + n - p), &cp);
			if (l == 0)
				l = 1;
			json_array_append_new(list, expr_mkstr(p, l));
		}
		return list;
	}
	for (p = s; (hit = strstr(p, sep)) != NULL; p = hit + sn)
		json_array_append_new(list, expr_mkstr(p, (size_t)(hit - p)));
	json_array_append_new(list, expr_mkstr(p, strlen(p)));
	return list;
}

static json_t *
fn_join(struct fctx *c, json_t **argv, int argc)
{
	const char *sep = "";
	struct buf b;
	json_t *item;
	size_t i;
	char *s;

	if (!json_is_array(argv[0]))
		return fctx_bad_arg(c, argv, 0, "a list");
	if (argc > 1 && (sep = fctx_arg_text(c, argv, 1, NULL)) == NULL)
		return NULL;
	buf_init(&b, 0);
	json_array_foreach(argv[0], i, item) {
		if (i > 0)
			buf_puts(&b, sep);
		if (json_is_string(item))
			buf_append(&b, json_string_value(item),
			    json_string_length(item));
		else {
			s = expr_to_string(item);
			buf_puts(&b, s);
			free(s);
		}
	}
	return expr_mkstr_owned(buf_detach(&b, NULL));
}

static json_t *
fn_substr(struct fctx *c, json_t **argv, int argc)
{
	size_t n, chars, from, to;
	long long start, len = LLONG_MAX;
	const char *s;

	if ((s = fctx_arg_text(c, argv, 0, &n)) == NULL ||
	    fctx_arg_int(c, argv, 1, &start) != 0 ||
	    (argc > 2 && fctx_arg_int(c, argv, 2, &len) != 0))
		return NULL;
	if (len < 0)
		return fctx_fail(c, "the length %lld is negative", len);
	chars = expr_u8_count(s, n);
	if (start < 0)
		start = (long long)chars + start < 0 ? 0 :
		    (long long)chars + start;
	if ((unsigned long long)start >= chars)
		return expr_mkstr("", 0);
	from = expr_u8_offset(s, n, (size_t)start);
	if (len > (long long)(chars - (size_t)start))
		len = (long long)(chars - (size_t)start);
	to = from + expr_u8_offset(s + from, n - from, (size_t)len);
	return expr_mkstr(s + from, to - from);
}

static json_t *
fn_len(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	switch (json_typeof(argv[0])) {
	case JSON_STRING:
		return json_integer((json_int_t)expr_u8_count(
		    json_string_value(argv[0]), json_string_length(argv[0])));
	case JSON_ARRAY:
		return json_integer((json_int_t)json_array_size(argv[0]));
	case JSON_OBJECT:
		return json_integer((json_int_t)json_object_size(argv[0]));
	default:
		return fctx_bad_arg(c, argv, 0, "a string, list or object");
	}
}

/*
 * bytes(s[, encoding]): the length of s in bytes once encoded - what a
 * fixed-width file (a bank transfer record, a mainframe import) counts.
 */
static json_t *
fn_bytes(struct fctx *c, json_t **argv, int argc)
{
	const char *s, *enc = "utf-8";
	char *out = NULL, err[256];
	size_t n, outlen = 0, bad;

	if ((s = fctx_arg_text(c, argv, 0, &n)) == NULL)
		return NULL;
	if (argc > 1) {
		if (!json_is_string(argv[1]))
			return fctx_bad_arg(c, argv, 1, "an encoding name");
		enc = json_string_value(argv[1]);
	}
	if (strcmp(enc, "utf-8") == 0)
		return json_integer((json_int_t)n);
	if (charset_encode(enc, s, n, &out, &outlen, &bad, err,
	    sizeof err) != 0)
		return fctx_fail(c, "%s", err);
	free(out);
	return json_integer((json_int_t)outlen);
}

/* "in" and contains(): list membership, substring, object key.  Return
 * 1, 0, or -1 with an error set. */
int
expr_member_of(struct fctx *c, json_t **argv, int hay, int needle)
{
	const char *s, *sub;
	json_t *item;
	size_t i;

	switch (json_typeof(argv[hay])) {
	case JSON_ARRAY:
		json_array_foreach(argv[hay], i, item)
			if (expr_equal(item, argv[needle]))
				return 1;
		return 0;
	case JSON_STRING:
		s = json_string_value(argv[hay]);
		if ((sub = fctx_arg_text(c, argv, needle, NULL)) == NULL)
			return -1;
		return strstr(s, sub) != NULL;
	case JSON_OBJECT:
		if (!json_is_string(argv[needle])) {
			fctx_bad_arg(c, argv, needle, "a string (an object key)");
			return -1;
		}
		return json_object_get(argv[hay],
		    json_string_value(argv[needle])) != NULL;
	default:
		fctx_bad_arg(c, argv, hay, "a string, list or object");
		return -1;
	}
}

static json_t *
fn_contains(struct fctx *c, json_t **argv, int argc)
{
	int r = expr_member_of(c, argv, 0, 1);

	(void)argc;
	return r < 0 ? NULL : json_boolean(r);
}

static json_t *
fn_starts_with(struct fctx *c, json_t **argv, int argc)
{
	size_t n, pn;
	const char *s, *p;

	(void)argc;
	if ((s = fctx_arg_text(c, argv, 0, &n)) == NULL ||
	    (p = fctx_arg_text(c, argv, 1, &pn)) == NULL)
		return NULL;
	return json_boolean(pn <= n && memcmp(s, p, pn) == 0);
}

static json_t *
fn_ends_with(struct fctx *c, json_t **argv, int argc)
{
	size_t n, pn;
	const char *s, *p;

	(void)argc;
	if ((s = fctx_arg_text(c, argv, 0, &n)) == NULL ||
	    (p = fctx_arg_text(c, argv, 1, &pn)) == NULL)
		return NULL;
	return json_boolean(pn <= n && memcmp(s + n - pn, p, pn) == 0);
}

static json_t *
pad(struct fctx *c, json_t **argv, int argc, int left)
{
	const char *s, *ch = " ";
	size_t n, chn = 1, have, i;
	long long width;
	struct buf b;

	if ((s = fctx_arg_text(c, argv, 0, &n)) == NULL ||
	    fctx_arg_int(c, argv, 1, &width) != 0 ||
	    (argc > 2 && (ch = fctx_arg_text(c, argv, 2, &chn)) == NULL))
		return NULL;
	if (expr_u8_count(ch, chn) != 1)
		return fctx_fail(c, "the padding must be one character, not '%s'",
		    ch);
	if (width > 100000)
		return fctx_fail(c, "width %lld is too large", width);
	have = expr_u8_count(s, n);
	if (width <= 0 || have >= (size_t)width)
		return json_incref(argv[0]);
	buf_init(&b, 0);
	if (!left)
		buf_append(&b, s, n);
	for (i = have; i < (size_t)width; i++)
		buf_append(&b, ch, chn);
	if (left)
		buf_append(&b, s, n);
	return expr_mkstr_owned(buf_detach(&b, NULL));
}

static json_t *
fn_pad_left(struct fctx *c, json_t **argv, int argc)
{
	return pad(c, argv, argc, 1);
}

static json_t *
fn_pad_right(struct fctx *c, json_t **argv, int argc)
{
	return pad(c, argv, argc, 0);
}

static void
regex_free(void *p)
{
	if (p != NULL) {
		regfree(p);
		free(p);
	}
}

/* Compile a POSIX extended regular expression; NULL with msg set. */
static regex_t *
regex_new(const char *src, char *msg, size_t msglen)
{
	regex_t *re;
	int rc;

	if (text_regex_check(src, msg, msglen) != 0)
		return NULL;
	re = xmalloc(sizeof(*re));
	rc = regcomp(re, src, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, re, msg, msglen);
		free(re);
		return NULL;
	}
	return re;
}

/* Compile a literal pattern of matches() once, with the program. */
static int
prepare_matches(struct node *call, struct expr_error *err)
{
	struct node *pat = call->args[1];
	char msg[128], q[64];
	const char *src;

	if (pat->kind != N_CONST || !json_is_string(pat->value))
		return 0;
	src = json_string_value(pat->value);
	if ((call->cache = regex_new(src, msg, sizeof(msg))) == NULL) {
		expr_seterr(err, pat->offset, "invalid regular expression "
		    "'%s': %s", expr_quote(src, strlen(src), q, sizeof(q)), msg);
		return -1;
	}
	call->cache_free = regex_free;
	return 0;
}

static json_t *
fn_matches(struct fctx *c, json_t **argv, int argc)
{
	const char *s, *src;
	regex_t *re = c->cache;
	char msg[128], q[64];
	int r;

	(void)argc;
	if ((s = fctx_arg_text(c, argv, 0, NULL)) == NULL)
		return NULL;
	if (re == NULL) {
		if ((src = fctx_arg_text(c, argv, 1, NULL)) == NULL)
			return NULL;
		if ((re = regex_new(src, msg, sizeof(msg))) == NULL)
			return fctx_fail(c, "invalid regular expression '%s': %s",
			    expr_quote(src, strlen(src), q, sizeof(q)), msg);
	}
	r = regexec(re, s, 0, NULL, 0);
	if (re != c->cache)
		regex_free(re);
	return json_boolean(r == 0);
}

static json_t *
width_fn(struct fctx *c, json_t **argv, char *(*conv)(const char *))
{
	const char *s = fctx_arg_text(c, argv, 0, NULL);

	if (s == NULL)
		return NULL;
	return expr_mkstr_owned(conv(s));
}

static json_t *
fn_hankaku(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return width_fn(c, argv, width_to_half);
}

static json_t *
fn_kana_half(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return width_fn(c, argv, width_kana_to_half);
}

static json_t *
fn_zenkaku(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return width_fn(c, argv, width_to_full);
}

static json_t *
fn_kana_full(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return width_fn(c, argv, width_kana_to_full);
}

static json_t *
fn_katakana(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return width_fn(c, argv, width_to_katakana);
}

static json_t *
fn_hiragana(struct fctx *c, json_t **argv, int argc)
{
	(void)argc;
	return width_fn(c, argv, width_to_hiragana);
}

static json_t *
fn_urlencode(struct fctx *c, json_t **argv, int argc)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s;
	size_t n, i, o = 0;
	char *out;

	(void)argc;
	if ((s = (const unsigned char *)fctx_arg_text(c, argv, 0, &n)) == NULL)
		return NULL;
	out = xreallocarray(NULL, n + 1, 3);
	for (i = 0; i < n; i++) {
		if (isalnum(s[i]) || s[i] == '-' || s[i] == '.' ||
		    s[i] == '_' || s[i] == '~')
			out[o++] = (char)s[i];
		else {
			out[o++] = '%';
			out[o++] = hex[s[i] >> 4];
			out[o++] = hex[s[i] & 15];
		}
	}
	out[o] = '\0';
	return expr_mkstr_owned(out);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static json_t *
fn_base64(struct fctx *c, json_t **argv, int argc)
{
	const unsigned char *s;
	size_t n, i, o = 0;
	unsigned long w;
	char *out;

	(void)argc;
	if ((s = (const unsigned char *)fctx_arg_text(c, argv, 0, &n)) == NULL)
		return NULL;
	out = xmalloc((n + 2) / 3 * 4 + 1);
	for (i = 0; i < n; i += 3) {
		w = (unsigned long)s[i] << 16;
		if (i + 1 < n)
			w |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < n)
			w |= s[i + 2];
		out[o++] = b64[(w >> 18) & 63];
		out[o++] = b64[(w >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(w >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[w & 63] : '=';
	}
	out[o] = '\0';
	return expr_mkstr_owned(out);
}

static json_t *
fn_base64_decode(struct fctx *c, json_t **argv, int argc)
{
	const char *s, *p;
	size_t n, i, o = 0, bits = 0;
	unsigned long w = 0;
	char *out;
	json_t *v;

	(void)argc;
	if ((s = fctx_arg_text(c, argv, 0, &n)) == NULL)
		return NULL;
	out = xmalloc(n / 4 * 3 + 4);
	for (i = 0; i < n; i++) {
		if (isspace((unsigned char)s[i]))
			continue;
		if (s[i] == '=')
			break;
		if ((p = strchr(b64, s[i])) == NULL || s[i] == '\0') {
			free(out);
			return fctx_fail(c, "invalid base64 character '%c' at %zu",
			    isprint((unsigned char)s[i]) ? s[i] : '?', i);
		}
		w = (w << 6) | (unsigned long)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((w >> bits) & 0xFF);
		}
	}
	for (; i < n; i++)
		if (s[i] != '=' && !isspace((unsigned char)s[i])) {
			free(out);
			return fctx_fail(c, "text after the base64 padding");
		}
	v = json_stringn(out, o);
	free(out);
	if (v == NULL)
		return fctx_fail(c, "the decoded bytes are not UTF-8 text");
	return v;
}


const struct func expr_text_funcs[] = {
	{ "trim", 1, 1, fn_trim,
	    "text without spaces (also full-width) at both ends", NULL },
	{ "upper", 1, 1, fn_upper,
	    "text in upper case (ASCII and full-width Latin letters)", NULL },
	{ "lower", 1, 1, fn_lower,
	    "text in lower case (ASCII and full-width Latin letters)", NULL },
	{ "replace", 3, 3, fn_replace,
	    "replace(s, old, new): every old in s replaced by new", NULL },
	{ "split", 2, 2, fn_split,
	    "split(s, sep): list of the parts of s between seps", NULL },
	{ "join", 1, 2, fn_join,
	    "join(list[, sep]): the items as text, joined by sep", NULL },
	{ "substr", 2, 3, fn_substr,
	    "substr(s, start[, len]): characters from start (negative: "
	    "from the end)", NULL },
	{ "len", 1, 1, fn_len,
	    "characters of a string, items of a list or object", NULL },
	{ "length", 1, 1, fn_len, "same as len", NULL },
	{ "contains", 2, 2, fn_contains,
	    "contains(hay, x): substring, list item or object key", NULL },
	{ "starts_with", 2, 2, fn_starts_with,
	    "starts_with(s, prefix): whether s begins with prefix", NULL },
	{ "ends_with", 2, 2, fn_ends_with,
	    "ends_with(s, suffix): whether s ends with suffix", NULL },
	{ "pad_left", 2, 3, fn_pad_left,
	    "pad_left(s, width[, ch]): s right-aligned in width characters",
	    NULL },
	{ "pad_right", 2, 3, fn_pad_right,
	    "pad_right(s, width[, ch]): s left-aligned in width characters",
	    NULL },
	{ "matches", 2, 2, fn_matches,
	    "matches(s, regex): whether a POSIX extended regex matches "
	    "somewhere in s", prepare_matches },
	{ "hankaku", 1, 1, fn_hankaku,
	    "full-width letters, digits, signs and spaces as half-width", NULL },
	{ "zenkaku", 1, 1, fn_zenkaku,
	    "ASCII and half-width katakana as full-width", NULL },
	{ "kana_full", 1, 1, fn_kana_full,
	    "half-width katakana as full-width (ｶﾞ -> ガ)", NULL },
	{ "bytes", 1, 2, fn_bytes,
	    "bytes(s[, encoding]): length in bytes once encoded (utf-8, "
	    "shift_jis, ...)", NULL },
	{ "kana_half", 1, 1, fn_kana_half,
	    "katakana and letters as half-width, as bank files want them "
	    "(ガッコウ -> ｶﾞｯｺｳ)", NULL },
	{ "urlencode", 1, 1, fn_urlencode,
	    "text percent-encoded for a URL (UTF-8 bytes)", NULL },
	{ "base64", 1, 1, fn_base64, "text encoded as base64", NULL },
	{ "base64_decode", 1, 1, fn_base64_decode,
	    "base64 decoded to text (must be UTF-8)", NULL },
	{ "katakana", 1, 1, fn_katakana,
	    "hiragana (and half-width kana) as katakana: やまだ -> ヤマダ",
	    NULL },
	{ "hiragana", 1, 1, fn_hiragana,
	    "katakana of either width as hiragana: ヤマダ -> やまだ", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};
