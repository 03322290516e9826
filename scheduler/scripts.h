/*
 * scripts.h - the scheduler's script catalogue: loaded from --scripts DIR
 * at start and uploaded through the API, checked by the engine's loader on
 * the way in, and kept as immutable versions named by the SHA-256 of their
 * text.  A job records the digest it runs, so a run always says exactly
 * which version ran; uploading a new version changes only later jobs.
 *
 * Loaded versions are cached in memory by digest (a version never
 * changes, so the cache is never invalidated) for checking params at
 * trigger time without parsing YAML on every request.
 *
 * Thread safety: all functions may be called from any thread; the cache
 * has its own lock, and the struct script it hands out is read-only and
 * lives as long as the cache.
 */
#ifndef KOBITO_SCRIPTS_H
#define KOBITO_SCRIPTS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "query.h"
#include "script.h"
#include "store.h"

struct scripts;

struct scripts	*scripts_new(void);
void		 scripts_free(struct scripts *);

/*
 * Check text with the engine's loader.  On success return the loaded
 * script (owned by the cache, read-only); on failure NULL with every
 * problem, "file:line:col: message", appended to errors (a JSON array).
 * filename is used in messages.  The script's includes come from files (an
 * object of paths relative to it -> their text; borrowed, may be NULL),
 * never from the scheduler's disk.
 */
const struct script *scripts_check(struct scripts *, const char *filename,
		    const char *text, size_t len, json_t *files,
		    json_t *errors);

/*
 * Store the version s (from scripts_check or scripts_load_dir) and make it
 * the current one of its name; inside a write transaction.  *created is 0
 * when that version was stored before.  origin is "api" or "dir".
 */
int		 scripts_store(struct conn *, const struct script *s,
		    const char *origin, const char *filename, const char *by,
		    int64_t now, int *created, char *err, size_t errlen);

/*
 * Load every *.yaml and *.yml file of dir.  Valid scripts are returned in
 * *out (n of them, array owned by the caller, scripts by the cache) to be
 * stored; invalid ones are remembered for scripts_invalid() and their
 * errors printed on stderr.  Returns -1 when dir cannot be read.
 */
int		 scripts_load_dir(struct scripts *, const char *dir,
		    const struct script ***out, size_t *n, char *err,
		    size_t errlen);
/* [{filename, errors: [...]}] for the files of the last load: new ref. */
json_t		*scripts_invalid(struct scripts *);

/*
 * The version with this digest, loaded from the database when it is not
 * cached (c is a reader or the writer connection).  NULL when unknown.
 */
const struct script *scripts_get(struct scripts *, struct conn *,
		    const char *digest);
/* The current digest of the script named name, into out; 0 or -1. */
int		 scripts_current(struct conn *, const char *name, char out[65]);

/*
 * Check params (an object or NULL, borrowed) against the script's params:
 * unknown names, missing required ones, wrong types.  Returns a new
 * object of typed values (defaults filled in), or NULL with a message
 * naming the param in err.
 */
json_t		*scripts_params(const struct script *, json_t *params,
		    char *err, size_t errlen);


/* For the API: the list of current versions, and one script with text. */
json_t		*scripts_list(struct conn *, const struct tfmt *);
/* One script (current, or the version digest when not NULL), or NULL. */
json_t		*scripts_show(struct conn *, const struct tfmt *,
		    const char *name, const char *digest);

#endif
