/*
 * expr.h - the ${...} expression language of kobito scripts.
 *
 * A template is a YAML string that may contain ${...} parts.  A template
 * that is exactly one ${...} evaluates to the expression's typed value (a
 * number stays a number, a list stays a list); any other template evaluates
 * to a string with each part's value spliced in.  "$${" stands for a
 * literal "${".
 *
 * Expressions are compiled once (at load time, so syntax errors carry a
 * position) and evaluated many times.  Values are jansson values.
 *
 * Grammar, lowest precedence first:
 *   expr    := or ( '?' expr ':' expr )?
 *   or      := and ( ('||' | 'or') and )*
 *   and     := not ( ('&&' | 'and') not )*
 *   not     := ('!' | 'not') not | cmp
 *   cmp     := sum ( ('=='|'!='|'<'|'<='|'>'|'>='|'in') sum )?
 *   sum     := prod ( ('+'|'-') prod )*        '+' joins when either is a string
 *   prod    := unary ( ('*'|'/'|'%') unary )*
 *   unary   := '-' unary | pipe
 *   pipe    := postfix ( '|' NAME ( '(' args ')' )? )*    filters
 *   postfix := primary ( '.' NAME | '[' expr ']' )*
 *   primary := NUMBER | STRING | true | false | null | '[' list ']'
 *            | NAME '(' args ')' | NAME | '(' expr ')'
 *   args    := arg ( ',' arg )* ( ',' NAME ':' arg )*   named arguments
 *   arg     := expr | NAME '=>' expr                   a function argument
 * A filter "x | f(a, b)" is the function call "f(x, a, b)".  A named
 * argument (date_add(d, months: 1)) and a function argument
 * (filter(rows, r => r.amount > 0)) are allowed where the function's
 * table row says so.
 * A missing member or index yields null (so "| default(...)" works); an
 * undefined root name is an error.
 *
 * Ownership: compiled expressions and templates are freed with their _free
 * function.  Evaluation returns a new reference the caller must json_decref.
 */
#ifndef KOBITO_EXPR_H
#define KOBITO_EXPR_H

#include <stddef.h>
#include <jansson.h>

struct expr;
struct tmpl;

struct expr_error {
	size_t	offset;		/* byte offset into the source text */
	char	msg[256];
};

/*
 * Where root names are looked up.  lookup returns a borrowed reference, or
 * NULL when the name is undefined (an evaluation error).  on_part, when
 * set, is called with the value of each ${...} part of a template as it is
 * evaluated (borrowed; the part's index for tmpl_part_refs), so that the
 * caller can tell what each piece of a spliced text was computed from.
 */
struct expr_scope {
	json_t	*(*lookup)(void *ctx, const char *name);
	void	*ctx;
	void	(*on_part)(void *ctx, const struct tmpl *, size_t part,
		    json_t *value);
};

/*
 * A name a template reads, with the fixed member names that follow it:
 * "steps.rows.output.rwos" is root "steps" and the members "rows",
 * "output", "rwos" (at most EXPR_REF_DEPTH; the path stops at a computed
 * index such as [i]).  Offsets are into the template's source text; the
 * strings are borrowed from the compiled template.  Names bound by a
 * function argument (r => r.amount) are not reported.
 */
#define EXPR_REF_DEPTH	4
struct expr_ref {
	const char	*root;
	size_t		 offset;
	const char	*member[EXPR_REF_DEPTH];
	size_t		 member_offset[EXPR_REF_DEPTH];
	int		 nmembers;
};
typedef void (*expr_ref_fn)(void *arg, const struct expr_ref *ref);

struct expr	*expr_compile(const char *src, struct expr_error *err);
json_t		*expr_eval(const struct expr *, const struct expr_scope *,
		    struct expr_error *err);
void		 expr_free(struct expr *);

struct tmpl	*tmpl_compile(const char *src, struct expr_error *err);
/* Non-zero when the template has no ${...} part. */
int		 tmpl_is_literal(const struct tmpl *);
/* Non-zero when src is exactly one ${...} (and so keeps its type). */
int		 tmpl_is_one_expr(const char *src);
json_t		*tmpl_eval(const struct tmpl *, const struct expr_scope *,
		    struct expr_error *err);
void		 tmpl_refs(const struct tmpl *, expr_ref_fn fn, void *arg);
/* The names one ${...} part of a template references (as tmpl_refs). */
void		 tmpl_part_refs(const struct tmpl *, size_t part, expr_ref_fn fn,
		    void *arg);
void		 tmpl_free(struct tmpl *);

/* Truthiness: false, null, 0, "" and empty lists/objects are false. */
int		 expr_truthy(const json_t *);
/* A value as text, as it is spliced into a template; the caller frees it. */
char		*expr_to_string(const json_t *);
/* Call fn for each function/filter name, for the reference and suggestions. */
void		 expr_foreach_function(void (*fn)(const char *name,
		    const char *summary, void *arg), void *arg);

#endif
