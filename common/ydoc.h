/*
 * ydoc.h - a YAML document as a tree of nodes that remember where they were.
 *
 * libyaml's event stream is turned into a small tree so that every loader in
 * kobito (scripts, form templates, configuration) can report errors as
 * file:line:col.  Anchors and aliases are resolved by copying; duplicate
 * mapping keys are errors.  Scalars keep their text and whether they were
 * quoted, so that a loader can tell the string "42" from the number 42.
 */
#ifndef KOBITO_YDOC_H
#define KOBITO_YDOC_H

#include <stddef.h>
#include <jansson.h>

enum ynode_kind {
	YNODE_SCALAR,
	YNODE_SEQ,
	YNODE_MAP,
};

struct ynode {
	enum ynode_kind	 kind;
	int		 line;		/* 1-based */
	int		 col;		/* 1-based, in characters */
	const char	*file;		/* borrowed from the document */
	/* YNODE_SCALAR */
	char		*value;
	size_t		 len;
	int		 quoted;	/* not a plain scalar */
	/* YNODE_SEQ: items[i]; YNODE_MAP: keys[i] -> items[i] */
	struct ynode	**keys;
	struct ynode	**items;
	size_t		 n;
};

struct ydoc {
	char		*file;
	struct ynode	*root;		/* NULL for an empty document */
};

/*
 * Parse a file or a string.  On failure return NULL and write
 * "file:line:col: message" into err.  The caller frees with ydoc_free().
 */
struct ydoc	*ydoc_load_file(const char *path, char *err, size_t errlen);
struct ydoc	*ydoc_load_string(const char *name, const char *text, size_t len,
		    char *err, size_t errlen);
void		 ydoc_free(struct ydoc *);
/*
 * Hand the document's file name to the caller, who frees it.  Every node's
 * file pointer still points to it, so a loader that keeps positions past
 * ydoc_free() takes the name and keeps it alive as long as they are used.
 */
char		*ydoc_take_file(struct ydoc *);

/* The value of key in a mapping, or NULL (also when map is not a mapping). */
struct ynode	*ynode_get(const struct ynode *map, const char *key);
/* Whether a scalar's text equals s. */
int		 ynode_is(const struct ynode *, const char *s);
const char	*ynode_kind_name(enum ynode_kind);
/*
 * The node as a jansson value (a new reference), typing plain scalars by
 * the YAML 1.2 core schema: null/~, true/false, integers, floats; quoted
 * scalars are always strings.
 */
json_t		*ynode_to_json(const struct ynode *);
/* The typed value of a scalar alone (a new reference). */
json_t		*ynode_scalar_json(const struct ynode *);

#endif
