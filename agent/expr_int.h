/*
 * expr_int.h - what the parts of the expression language share: the
 * compiled tree, the function-table row, and the helpers of values and
 * messages.  Private to expr_*.c; expr.h is the public contract.
 *
 *   expr_parse.c      lexer and parser: text to tree, template splitting
 *   expr_eval.c       values, operators, evaluation of a tree
 *   expr_func.c       the function lookup, argument helpers, misc functions
 *   expr_func_*.c     the functions by family (text, num, date, list)
 *
 * Ownership is as in expr.h: every function returning json_t * returns a
 * new reference; argv values passed to a function row are borrowed (the
 * caller frees them, and fctx_arg_text may replace one in place).
 */
#ifndef KOBITO_EXPR_INT_H
#define KOBITO_EXPR_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <jansson.h>

#include "buf.h"
#include "expr.h"

#define MAX_DEPTH	200	/* nesting limit of the parser */
#define MAX_HEIGHT	256	/* height limit of a compiled tree */
#define STACK_ARGS	8	/* calls with more arguments allocate */

/* ------------------------------------------------------------------ */
/* The compiled form */

enum node_kind {
	N_CONST,	/* value */
	N_NAME,		/* name: a root name looked up in the scope */
	N_MEMBER,	/* a.name */
	N_INDEX,	/* a[b] */
	N_CALL,		/* fn(args) */
	N_LIST,		/* [args] */
	N_OBJECT,	/* {key: arg, ...}: the keys are the array value */
	N_NEG,		/* -a */
	N_NOT,		/* !a */
	N_BIN,		/* a op b */
	N_AND,		/* a && b */
	N_OR,		/* a || b */
	N_COND,		/* a ? b : c */
	N_LAMBDA,	/* name => a: only as an argument of a call */
};

enum binop {
	B_ADD, B_SUB, B_MUL, B_DIV, B_MOD,
	B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_IN,
};

struct func;

struct node {
	enum node_kind		 kind;
	enum binop		 op;
	size_t			 offset;	/* into the source text */
	json_t			*value;
	char			*name;
	const struct func	*fn;
	void			*cache;		/* prepared by fn->prepare */
	void			(*cache_free)(void *);
	struct node		*a, *b, *c;
	struct node		**args;
	int			 nargs;
	int			 height;	/* 1 + the tallest child's */
};

/* Every node of one compiled expression or template, freed together. */
struct arena {
	struct node	**v;
	size_t		  n, size;
};

struct expr {
	struct node	*root;
	struct arena	 nodes;
};

struct part {
	char		*text;		/* a literal part, or NULL */
	size_t		 len;
	struct node	*root;		/* an expression part, or NULL */
};

struct tmpl {
	struct part	*parts;
	size_t		 nparts;
	json_t		*literal;	/* the value of a literal template */
	struct arena	 nodes;
};

void	 expr_arena_free(struct arena *);

/* Evaluate one node of a tree (expr_eval.c). */
json_t	*expr_eval_node(const struct node *, const struct expr_scope *,
	    struct expr_error *);

/* ------------------------------------------------------------------ */
/* Functions */

/* What a function sees of the call being made. */
struct fctx {
	const struct func	*fn;
	struct expr_error	*err;
	size_t			 offset;
	void			*cache;
	const struct node	*call;		/* for fctx_apply, or NULL */
	const struct expr_scope	*scope;
};

typedef json_t *(*func_fn)(struct fctx *, json_t **argv, int argc);

/* One row of a family's table; a table ends with a row whose name is
 * NULL. */
struct func {
	const char	*name;
	int		 min_args;
	int		 max_args;	/* -1: any number */
	func_fn		 fn;
	const char	*summary;	/* one line, for the reference */
	/* Optional: work done once at compile time (a literal regex). */
	int		(*prepare)(struct node *call, struct expr_error *err);
	/*
	 * Optional: the names of the arguments in order, NULL-terminated,
	 * for calls with named arguments: date_add(d, months: 1).  A named
	 * argument fills its place; places left empty before it are null.
	 */
	const char *const *names;
	/* Optional: the 1-based place of an argument that may be a function
	 * written "x => x.amount" (0: none).  See fctx_apply(). */
	int		 fn_arg;
};

extern const struct func expr_text_funcs[];
extern const struct func expr_num_funcs[];
extern const struct func expr_date_funcs[];
extern const struct func expr_list_funcs[];
extern const struct func expr_misc_funcs[];

/* The row named by name[0..len), or NULL. */
const struct func *expr_func_find(const char *name, size_t len);
/* The row whose name is nearest to a misspelt one, if near enough. */
const struct func *expr_func_nearest(const char *name, size_t len);

/* Set the error "NAME(): message" at the call; returns NULL. */
json_t	*fctx_fail(struct fctx *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* "expected WANT, got TYPE" for argument i; returns NULL. */
json_t	*fctx_bad_arg(struct fctx *, json_t **argv, int i, const char *want);
/* argv[i] as text: numbers and booleans are converted in place (argv[i]
 * replaced); NULL with the error set for anything else. */
const char *fctx_arg_text(struct fctx *, json_t **argv, int i, size_t *lenp);
/* argv[i] as a whole number; -1 with the error set. */
int	 fctx_arg_int(struct fctx *, json_t **argv, int i, long long *out);
/* A real result, refusing infinities. */
json_t	*fctx_mkreal(struct fctx *, double d);

/*
 * The value of argument i applied to item, for the list functions: a
 * function "x => expr" is evaluated with x bound to item; a string is a
 * key, so that map(rows, 'amount') is map(rows, r => r.amount); null is
 * the item itself.  Returns a new reference, or NULL with the error set.
 */
json_t	*fctx_apply(struct fctx *, json_t **argv, int i, json_t *item);

/* A sum of numbers that stays an integer while it can (expr_func_num.c). */
struct numsum {
	long long	i;
	double		d;
	int		real;
};
void	 numsum_add(struct numsum *, const json_t *number);
json_t	*numsum_value(struct fctx *, const struct numsum *);

/* "in" and contains(): 1, 0, or -1 with the error set (expr_func_text.c). */
int	 expr_member_of(struct fctx *, json_t **argv, int hay, int needle);

/* ------------------------------------------------------------------ */
/* Messages and values (expr_eval.c) */

void	 expr_vseterr(struct expr_error *, size_t offset, const char *fmt,
	    va_list ap) __attribute__((format(printf, 3, 0)));
void	 expr_seterr(struct expr_error *, size_t offset, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The first n bytes of s for a message, cut at a character with "...". */
const char *expr_quote(const char *s, size_t n, char *out, size_t outlen);
/* "null", "boolean", "number", "string", "list" or "object". */
const char *expr_type_name(const json_t *);
/* Characters in s[0..n); byte offset of character number chars. */
size_t	 expr_u8_count(const char *s, size_t n);
size_t	 expr_u8_offset(const char *s, size_t n, size_t chars);
/* A string value from valid UTF-8 bytes; the _owned form frees s. */
json_t	*expr_mkstr(const char *s, size_t n);
json_t	*expr_mkstr_owned(char *s);
/* The shortest text that reads back as the same double. */
void	 expr_fmt_real(double v, char out[40]);
/* Append v as compact JSON; -1 past the buffer's cap. */
int	 expr_dump(struct buf *, const json_t *);
/* Equality as "==" sees it (1 == 1.0). */
int	 expr_equal(const json_t *, const json_t *);
/* Order two numbers or two strings: <0, 0, >0. */
int	 expr_order(const json_t *, const json_t *);

#endif
