/*
 * charset.h - text encodings of Japanese office files, through iconv.
 *
 * Scripts name encodings the way people do: "utf-8", "utf-8-bom",
 * "shift_jis" (also "sjis"), "cp932" (also "windows-31j", "ms932"),
 * "euc-jp", and "auto" for reading.  Shift_JIS is always treated as CP932
 * (Windows-31J): Japanese spreadsheets write CP932 characters such as the
 * circled digits (①), the ㈱ sign and the IBM/NEC kanji (髙), which strict
 * Shift_JIS lacks.  Other names are passed to iconv unchanged.
 *
 * Conversion errors name the byte offset of the offending input and its
 * line, and say whether the input was malformed or a valid character had no
 * equivalent in the target ("character '😀' (U+1F600) ... has no
 * equivalent in shift_jis").
 */
#ifndef KOBITO_CHARSET_H
#define KOBITO_CHARSET_H

#include <stddef.h>

/*
 * Convert inlen bytes of in from encoding from to encoding to.  On success
 * return 0 and set *out to a new NUL-terminated buffer the caller frees
 * (the terminator is not counted in *outlen).  On failure return -1 with a
 * message in err (errlen bytes) and *out NULL.  from may be "auto"
 * (charset_detect_japanese).  No byte order mark is added or removed.
 */
int	charset_convert(const char *from, const char *to, const char *in,
	    size_t inlen, char **out, size_t *outlen, char *err, size_t errlen);
/* The same; on failure *badoff (when not NULL) is the input byte offset of
 * the error (where an incomplete sequence at the end starts). */
int	charset_convert_at(const char *from, const char *to, const char *in,
	    size_t inlen, char **out, size_t *outlen, size_t *badoff, char *err,
	    size_t errlen);

/*
 * Decode text in encoding enc (any name above, or "auto") into UTF-8 and
 * drop a leading UTF-8 byte order mark.  Ownership as charset_convert.
 */
int	charset_decode(const char *enc, const char *in, size_t inlen,
	    char **out, size_t *outlen, char *err, size_t errlen);
/*
 * Encode UTF-8 text into enc; "utf-8-bom" prepends the byte order mark.
 * Ownership as charset_convert.
 */
int	charset_encode(const char *enc, const char *in, size_t inlen,
	    char **out, size_t *outlen, size_t *badoff, char *err,
	    size_t errlen);

/* Non-zero when name is an encoding we can read ("auto" included). */
int	charset_known(const char *name);

/*
 * Guess the encoding of Japanese text: "utf-8" when it starts with a UTF-8
 * byte order mark or is valid UTF-8 (plain ASCII included), else "cp932".
 * The result is a static string.
 */
const char *charset_detect_japanese(const char *buf, size_t len);

/* Non-zero when s is valid UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF); otherwise *badoff (when not NULL) is the first bad byte. */
int	charset_utf8_valid(const char *s, size_t len, size_t *badoff);
/*
 * A copy of s where every byte that is not part of valid UTF-8 becomes
 * U+FFFD, for showing untrusted output.  The caller frees it; the length
 * is stored in *outlen.
 */
char	*charset_utf8_sanitize(const char *s, size_t len, size_t *outlen);

#endif
