/*
 * taint.h - which values of a run derive from its secrets.
 *
 * The mask hides a secret wherever its text appears, but a value computed
 * from it ("${secrets.key | lower}", a substr, "Basic " + base64 of it)
 * no longer holds that text.  So every template's value is traced to the
 * secrets it was computed from: by the names the template reads
 * (secrets.NAME, and the variables, step outputs, loop variables and
 * include params that earlier tainted values went into).  The strings of
 * a tainted value are then registered with the mask like the secret
 * itself, and bound to the same destinations.
 *
 * A set of secret names is a JSON object NAME -> true.  A frame's taint is
 * a JSON object of "v:VAR", "s:STEP", "b:LOOPVAR" and "p:PARAM" -> the set
 * of the secrets its value derives from.  The tracing is by name, so it errs on the
 * side of hiding: a value that merely read a tainted name is tainted.
 * Strings shorter than MASK_MIN_CHARS cannot be masked (a three-letter
 * prefix of a secret would hide parts of every word) and are not.
 *
 * Ownership: every json_t * returned is a new reference; frame taints and
 * names passed in are borrowed.
 */
#ifndef KOBITO_TAINT_H
#define KOBITO_TAINT_H

#include <jansson.h>

#include "expr.h"
#include "script.h"

/* At most this many strings of one value are registered. */
#define TAINT_MAX_STRINGS	256

/*
 * The set of the secrets tmpl's value derives from, given the frame's
 * taint and the set of all the run's secrets (for secrets[expr]); empty
 * when none.
 */
json_t	*taint_tmpl(const struct tmpl *, json_t *frame, json_t *all);
/* The same for one ${...} part of a template. */
json_t	*taint_part(const struct tmpl *, size_t part, json_t *frame,
	    json_t *all);
/* The same for every template of an argument tree (their union). */
json_t	*taint_tval(const struct tval *, json_t *frame, json_t *all);
/*
 * Record that kind:name ('v' variable, 's' step, 'b' loop variable, 'p'
 * param) now holds a value derived from the set names, or from none when
 * it is empty or NULL.
 */
void	 taint_mark(json_t *frame, char kind, const char *name, json_t *names);
/* Add the set names to what kind:name derives from (append: a list). */
void	 taint_add(json_t *frame, char kind, const char *name, json_t *names);
/* Call fn(arg, s) for each string in v, at most TAINT_MAX_STRINGS. */
void	 taint_strings(json_t *v, void (*fn)(void *, const char *), void *arg);

#endif
