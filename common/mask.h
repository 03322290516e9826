/*
 * mask.h - hide secret values in text and JSON.
 *
 * A run registers every secret it knows; every log line, error message and
 * output value then passes through mask_text()/mask_json() before anyone
 * sees it, so a secret written into a log by accident is still replaced by
 * "***".  Longer secrets are replaced first so that one secret containing
 * another is hidden whole.
 *
 * A secret is also hidden in the forms kobito itself writes it in:
 * percent-encoded (a query string, a form body), JSON-escaped (inside a
 * logged object, with and without \u escapes) and base64.  Only values are
 * masked, never the keys of JSON objects: a key is a name the program
 * reads ("status"), and a short secret inside one would break the output.
 * A secret shorter than MASK_MIN_CHARS characters is refused: hiding "on"
 * would hide it inside every word.
 */
#ifndef KOBITO_MASK_H
#define KOBITO_MASK_H

#include <stddef.h>
#include <jansson.h>

struct mask {
	char	**values;	/* owned, longest first */
	size_t	  n;
};

#define MASK_TEXT	"***"
#define MASK_MIN_CHARS	6

void	 mask_init(struct mask *);
void	 mask_free(struct mask *);
/* Whether value is long enough to be a secret (MASK_MIN_CHARS). */
int	 mask_long_enough(const char *value);
/*
 * Register a value (copied) and its encoded forms.  Returns 0, or -1 (and
 * nothing registered) when it is shorter than MASK_MIN_CHARS characters.
 */
int	 mask_add(struct mask *, const char *value);
/* Whether text contains any registered value. */
int	 mask_hits(const struct mask *, const char *text);
/* A copy of text with every registered value replaced; the caller frees. */
char	*mask_text(const struct mask *, const char *text);
/* A deep copy of v with every string value masked; a new reference. */
json_t	*mask_json(const struct mask *, json_t *v);

#endif
