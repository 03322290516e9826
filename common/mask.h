/*
 * mask.h - hide secret values in text and JSON.
 *
 * A run registers every secret it knows; every log line, error message and
 * output value then passes through mask_text()/mask_json() before anyone
 * sees it, so a secret written into a log by accident is still replaced by
 * "***".  Longer secrets are replaced first so that one secret containing
 * another is hidden whole.
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

void	 mask_init(struct mask *);
void	 mask_free(struct mask *);
/* Register a value (copied).  Empty values are ignored. */
void	 mask_add(struct mask *, const char *value);
/* Whether text contains any registered value. */
int	 mask_hits(const struct mask *, const char *text);
/* A copy of text with every registered value replaced; the caller frees. */
char	*mask_text(const struct mask *, const char *text);
/* A deep copy of v with every string masked; a new reference. */
json_t	*mask_json(const struct mask *, json_t *v);

#endif
