/*
 * ydoc.h - a YAML document as a tree of nodes that remember where they were.
 *
 * libyaml's event stream is turned into a small tree so that every loader in
 * kobito (scripts, form templates, configuration) can report errors as
 * file:line:col.  Anchors and aliases are resolved by copying, within the
 * budget below; duplicate mapping keys are errors.  Loading costs time in
 * proportion to the document (anchors and keys are looked up by hash).  Scalars keep their text and whether they were
 * quoted, so that a loader can tell the string "42" from the number 42.
 */
#ifndef KOBITO_YDOC_H
#define KOBITO_YDOC_H

#include <stddef.h>
#include <jansson.h>

/*
 * What one document may cost, whoever wrote it.  Aliases are resolved by
 * copying, so without a budget 700 bytes of nested aliases ("billion
 * laughs", also through merge keys) would ask for gigabytes: the values in
 * the tree (aliases expanded) and their text are counted, and a document
 * that goes past either is refused where the alias that did it stands.
 */
#define YDOC_MAX_INPUT		(8u * 1024 * 1024)	/* bytes of YAML */
#define YDOC_MAX_NODES		200000	/* values, aliases expanded */
#define YDOC_MAX_BYTES		(16 * 1024 * 1024)	/* text, expanded */
#define YDOC_MAX_ALIASES	65536	/* uses of aliases */

enum ynode_kind {
	YNODE_SCALAR,
	YNODE_SEQ,
	YNODE_MAP,
};

/* How a scalar was written: what it takes to find a character of its
 * value in the file (ydoc_pos_at). */
enum ynode_style {
	YNODE_PLAIN,
	YNODE_SINGLE,		/* 'text', '' for a quote */
	YNODE_DOUBLE,		/* "text" with \ escapes */
	YNODE_LITERAL,		/* | block */
	YNODE_FOLDED,		/* > block */
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
	enum ynode_style style;
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
struct ydoc	*ydoc_load_string(const char *name, const char *text,
		    size_t len, char *err, size_t errlen);
void		 ydoc_free(struct ydoc *);
/*
 * Hand the document's file name to the caller, who frees it.  Every node's
 * file pointer still points to it, so a loader that keeps positions past
 * ydoc_free() takes the name and keeps it alive as long as they are used.
 */
char		*ydoc_take_file(struct ydoc *);

/*
 * Where byte off of a scalar's value was written in the file's text: the
 * scalar starts at line:col (its first character, or its quote or block
 * indicator) and was written in style.  Exact inside multi-line scalars,
 * quoted ones with escapes and blocks, for the characters that are not
 * white space; the start when the text does not match the value.
 */
void		 ydoc_pos_at(const char *text, int line, int col,
		    enum ynode_style style, const char *value, size_t off,
		    int *out_line, int *out_col);

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

/* --- typed getters ------------------------------------------------------
 *
 * Every loader (scripts, form templates, configuration, secrets) reads its
 * values through these, so that a value of the wrong kind or type is told
 * the same way everywhere: "file:line:col: WHAT must be ...".  A getter
 * that refuses a value hands that message to the loader's sink and returns
 * -1 (NULL for the text getters); it keeps nothing.  Numbers, whole numbers
 * and booleans must be plain scalars: the quoted "42" is a string.
 */
struct ysink {
	/* Called with the whole message, which it copies if it keeps it. */
	void	(*report)(void *arg, const char *msg);
	void	 *arg;
};

/* Report "file:line:col: message" at n (the message alone when n is NULL). */
void		 ysink_report(const struct ysink *, const struct ynode *n,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* 0 when n is of that kind, else "WHAT must be a list, not a mapping". */
int		 ynode_want(const struct ynode *n, enum ynode_kind,
		    const char *what, const struct ysink *);
/* A scalar's text (borrowed from the node), or NULL. */
const char	*ynode_text(const struct ynode *n, const char *what,
		    const struct ysink *);
/* A scalar's text as a copy the caller frees, or NULL. */
char		*ynode_text_dup(const struct ynode *n, const char *what,
		    const struct ysink *);
/* A number from min to max (-INFINITY, INFINITY for any) into *out. */
int		 ynode_number(const struct ynode *n, const char *what,
		    double min, double max, double *out, const struct ysink *);
/* A whole number from min to max into *out. */
int		 ynode_int(const struct ynode *n, const char *what,
		    long long min, long long max, long long *out,
		    const struct ysink *);
/* true or false (and the core schema's True, FALSE...) into *out as 1/0. */
int		 ynode_bool(const struct ynode *n, const char *what, int *out,
		    const struct ysink *);
/* A duration (30, 1.5s, 500ms, 2m, 1h, 90d) into *ms. */
int		 ynode_duration(const struct ynode *n, const char *what,
		    long long *ms, const struct ysink *);
/*
 * Report every key of map that is not in keys (NULL-terminated) as
 * "unknown key 'x' in WHAT (did you mean 'y'?)"; the number reported.
 */
int		 ynode_check_keys(const struct ynode *map, const char *what,
		    const char *const *keys, const struct ysink *);

#endif
