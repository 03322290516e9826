/*
 * textutil.h - small text helpers shared by the loaders and the CLI.
 */
#ifndef KOBITO_TEXTUTIL_H
#define KOBITO_TEXTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Edit distance between two strings in characters, for "did you mean". */
size_t	 text_distance(const char *a, const char *b);
/* Whether candidate is close enough to word to suggest it. */
int	 text_is_near(const char *word, const char *candidate);
/*
 * The word of words[0..n) (stopping early at a NULL) nearest to word, if
 * near enough to suggest; else NULL.  The result points into words.
 */
const char *text_nearest(const char *word, const char *const *words,
	    size_t n);
/* Number of UTF-8 characters in the first n bytes of s. */
size_t	 text_utf8_chars(const char *s, size_t n);
/*
 * The length in bytes of the first maxchars characters of s (all of s when
 * shorter), never ending inside a UTF-8 sequence: what "%.200s" means for
 * bytes, for characters.  Use as printf("%.*s", text_utf8_prefix(s, 200),
 * s) wherever text is cut short, since a cut character makes the line
 * invalid UTF-8 and no longer a JSON string.
 */
int	 text_utf8_prefix(const char *s, size_t maxchars);
/*
 * Cut a string before an incomplete UTF-8 sequence at its end, as a
 * truncating snprintf leaves, so that messages stay valid UTF-8 (they end
 * up in JSON).
 */
void	 text_utf8_trim_partial(char *s);
/*
 * s percent-encoded as kobito writes it in a URL's query or a form body:
 * every byte but A-Z a-z 0-9 - . _ ~ as %XX (upper case).  Caller frees.
 */
char	*text_percent_encode(const char *s);
/* Whether s is an identifier: [A-Za-z_][A-Za-z0-9_]*. */
int	 text_is_ident(const char *s);
/*
 * Parse a duration: a number of seconds (2, 1.5) or a number with a unit
 * (500ms, 2s, 5m, 1h, 90d).  Returns 0 and milliseconds in *ms, or -1.
 */
int	 text_parse_duration(const char *s, long long *ms);
/* A positive decimal id (a path segment, a query value); 0 when s is not one. */
int64_t	 text_parse_id(const char *s);
/*
 * The shortest text that reads back as d, without a trailing ".0" ("0",
 * "1200000", "0.1"), into out (len bytes; 32 are always enough).
 */
void	 text_number(double d, char *out, size_t len);
/* Whether s is a valid calendar date written YYYY-MM-DD. */
int	 text_is_iso_date(const char *s);

/*
 * Whether glibc's regcomp can compile the POSIX extended regular
 * expression re in bounded memory.  regcomp copies what a quantifier
 * applies to ("x+" becomes "xx*", "x{2,5}" five copies), so nested and
 * stacked quantifiers cost the product of their counts: "[0-9]+++...+"
 * or "((a{9}){9}){9}" take gigabytes.  Returns 0 when the copies come to
 * at most TEXT_REGEX_MAX_NODES atoms (far beyond any useful pattern), else
 * -1 with a message in err.
 */
#define TEXT_REGEX_MAX_NODES	20000
int	 text_regex_check(const char *re, char *err, size_t errlen);

#endif
