/*
 * expr_parse.c - the lexer and parser of the ${...} expression language.
 *
 * Source text is compiled once into a tree of nodes: constants are built
 * as jansson values, function names are resolved to rows of the function
 * tables, regular expressions that are literals are compiled.  Errors
 * carry the byte offset of the offending token.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expr.h"
#include "expr_int.h"
#include "xmalloc.h"
#include "textutil.h"
#include "width.h"


static void
node_free(struct node *n)
{
	json_decref(n->value);
	free(n->name);
	free(n->args);
	if (n->cache_free != NULL)
		n->cache_free(n->cache);
	free(n);
}

void
expr_arena_free(struct arena *ar)
{
	size_t i;

	for (i = 0; i < ar->n; i++)
		node_free(ar->v[i]);
	free(ar->v);
	ar->v = NULL;
	ar->n = ar->size = 0;
}

/* ------------------------------------------------------------------ */
/* Lexer */

enum tok {
	T_EOF, T_NUM, T_STR, T_NAME, T_TRUE, T_FALSE, T_NULL,
	T_AND, T_OR, T_NOT, T_IN,
	T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_COMMA, T_DOT, T_PIPE,
	T_QUESTION, T_COLON, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT,
	T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_BANG, T_LBRACE, T_RBRACE, T_ARROW,
};

static const struct {
	const char	*text;
	enum tok	 tok;
} keywords[] = {
	{ "true", T_TRUE }, { "false", T_FALSE }, { "null", T_NULL },
	{ "and", T_AND }, { "or", T_OR }, { "not", T_NOT }, { "in", T_IN },
};

/* Operators, longest first so "==" wins over "=". */
static const struct {
	const char	*text;
	enum tok	 tok;
} operators[] = {
	{ "=>", T_ARROW }, { "==", T_EQ }, { "!=", T_NE }, { "<=", T_LE }, { ">=", T_GE },
	{ "&&", T_AND }, { "||", T_OR },
	{ "(", T_LPAREN }, { ")", T_RPAREN }, { "[", T_LBRACK },
	{ "]", T_RBRACK }, { ",", T_COMMA }, { ".", T_DOT }, { "|", T_PIPE },
	{ "?", T_QUESTION }, { ":", T_COLON }, { "+", T_PLUS },
	{ "-", T_MINUS }, { "*", T_STAR }, { "/", T_SLASH },
	{ "%", T_PERCENT }, { "<", T_LT }, { ">", T_GT }, { "!", T_BANG },
	{ "{", T_LBRACE }, { "}", T_RBRACE },
};

struct parser {
	const char		*src;	/* the whole source text */
	size_t			 pos;	/* next byte to lex */
	enum tok		 tok;	/* the current token */
	size_t			 off;	/* its offset */
	size_t			 len;	/* and length */
	json_t			*val;	/* its value (numbers, strings) */
	int			 in_tmpl;
	int			 depth;
	int			 failed;
	struct arena		*nodes;
	struct expr_error	*err;
};

static void __attribute__((format(printf, 3, 4)))
perr(struct parser *p, size_t offset, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	expr_vseterr(p->err, offset, fmt, ap);
	va_end(ap);
}

/* U+3000 at s (a NUL-terminated string: no byte past a NUL is read). */
static int
is_ideographic_space(const char *s)
{
	return (unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 &&
	    (unsigned char)s[2] == 0x80;
}

/*
 * Non-ASCII characters that cannot be part of a name: spaces and
 * punctuation, so that a full-width "＃" or "、" is reported as what it is.
 * Letters of any script, kana, kanji, 々 and ー are name characters, so
 * CSV columns like row.氏名 can be written directly.
 */
static const struct {
	uint32_t	from, to;
} not_name[] = {
	{ 0x0080, 0x00BF },	/* Latin-1 controls, signs, punctuation */
	{ 0x00D7, 0x00D7 }, { 0x00F7, 0x00F7 },		/* × ÷ */
	{ 0x2000, 0x206F },	/* general punctuation */
	{ 0x3000, 0x3004 }, { 0x3008, 0x303F },	/* CJK punctuation */
	{ 0xFF01, 0xFF0F }, { 0xFF1A, 0xFF20 },	/* full-width signs */
	{ 0xFF3B, 0xFF40 }, { 0xFF5B, 0xFF65 },
};

/* The length of the name character at s (a digit only when not first),
 * or 0 when there is none. */
static size_t
name_char_len(const char *s, int first)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	size_t len, i;

	if (u[0] < 0x80)
		return isalpha(u[0]) || u[0] == '_' ||
		    (!first && isdigit(u[0])) ? 1 : 0;
	/* A decode stops at the NUL, so 4 is safe for a C string. */
	if ((len = width_utf8_decode(s, 4, &cp)) == 0)
		return 0;
	for (i = 0; i < sizeof(not_name) / sizeof(not_name[0]); i++)
		if (cp >= not_name[i].from && cp <= not_name[i].to)
			return 0;
	return len;
}

static void
lex_number(struct parser *p)
{
	const char *s = p->src;
	size_t i = p->pos, n;
	int real = 0;
	char *end, q[64];
	long long ll;
	double d;

	while (isdigit((unsigned char)s[i]))
		i++;
	if (s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
		real = 1;
		for (i++; isdigit((unsigned char)s[i]); i++)
			;
	}
	if ((s[i] == 'e' || s[i] == 'E') && (isdigit((unsigned char)s[i + 1])
	    || ((s[i + 1] == '+' || s[i + 1] == '-') &&
	    isdigit((unsigned char)s[i + 2])))) {
		real = 1;
		for (i += 2; isdigit((unsigned char)s[i]); i++)
			;
	}
	p->tok = T_NUM;
	p->len = i - p->pos;
	if ((n = name_char_len(s + i, 0)) > 0) {
		while ((n = name_char_len(s + i, 0)) > 0)
			i += n;
		perr(p, p->off, "invalid number '%s'",
		    expr_quote(s + p->pos, i - p->pos, q, sizeof(q)));
		p->pos = i;
		return;
	}
	if (!real) {
		errno = 0;
		ll = strtoll(s + p->pos, &end, 10);
		if (errno == 0) {
			p->val = json_integer(ll);
			p->pos = i;
			return;
		}
	}
	d = strtod(s + p->pos, &end);
	if (!isfinite(d))
		perr(p, p->off, "number out of range '%s'",
		    expr_quote(s + p->pos, i - p->pos, q, sizeof(q)));
	else
		p->val = json_real(d);
	p->pos = i;
}

static int
hex4(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		v = v * 16 + (uint32_t)(isdigit((unsigned char)s[i]) ?
		    s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	*out = v;
	return 0;
}

/* A string literal in ' or ", with the escapes \\ \' \" \n \t \r \/ and
 * \uXXXX (surrogate pairs joined). */
static void
lex_string(struct parser *p)
{
	const char *s = p->src;
	char quote_ch = s[p->pos], enc[4];
	size_t i = p->pos + 1;
	uint32_t cp, lo;
	struct buf b;

	buf_init(&b, 0);
	p->tok = T_STR;
	for (;;) {
		if (s[i] == '\0') {
			perr(p, p->off, "unterminated string");
			goto out;
		}
		if (s[i] == quote_ch) {
			i++;
			break;
		}
		if (s[i] != '\\') {
			buf_putc(&b, s[i++]);
			continue;
		}
		switch (s[i + 1]) {
		case '\\': case '\'': case '"': case '/':
			buf_putc(&b, s[i + 1]);
			break;
		case 'n': buf_putc(&b, '\n'); break;
		case 't': buf_putc(&b, '\t'); break;
		case 'r': buf_putc(&b, '\r'); break;
		case 'u':
			if (hex4(s + i + 2, &cp) != 0 || cp == 0 ||
			    (cp >= 0xDC00 && cp <= 0xDFFF)) {
				perr(p, i, "invalid \\u escape");
				goto out;
			}
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (s[i + 6] != '\\' || s[i + 7] != 'u' ||
				    hex4(s + i + 8, &lo) != 0 ||
				    lo < 0xDC00 || lo > 0xDFFF) {
					perr(p, i, "invalid \\u escape "
					    "(unpaired surrogate)");
					goto out;
				}
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				    (lo - 0xDC00);
				i += 6;
			}
			buf_append(&b, enc, width_utf8_encode(cp, enc));
			i += 4;
			break;
		case '\0':
			perr(p, p->off, "unterminated string");
			goto out;
		default:
			perr(p, i, "unknown escape '\\%c' in string",
			    isprint((unsigned char)s[i + 1]) ? s[i + 1] : '?');
			goto out;
		}
		i += 2;
	}
	if ((p->val = json_stringn(buf_str(&b), b.len)) == NULL)
		perr(p, p->off, "string is not valid UTF-8");
out:
	p->len = i - p->off;
	p->pos = i;
	buf_free(&b);
}

/* Lex the next token into p. */
static void
lex(struct parser *p)
{
	const char *s = p->src;
	size_t i, n;
	uint32_t cp;

	json_decref(p->val);
	p->val = NULL;
	if (p->failed) {
		p->tok = T_EOF;
		return;
	}
	for (;;) {
		if (s[p->pos] == ' ' || s[p->pos] == '\t' ||
		    s[p->pos] == '\n' || s[p->pos] == '\r')
			p->pos++;
		else if (is_ideographic_space(s + p->pos))
			p->pos += 3;	/* U+3000, typed by accident */
		else
			break;
	}
	p->off = p->pos;
	p->len = 0;
	if (s[p->pos] == '\0') {
		p->tok = T_EOF;
		return;
	}
	if (isdigit((unsigned char)s[p->pos])) {
		lex_number(p);
		return;
	}
	if (s[p->pos] == '\'' || s[p->pos] == '"') {
		lex_string(p);
		return;
	}
	if (name_char_len(s + p->pos, 1) > 0) {
		for (i = p->pos; (n = name_char_len(s + i, i == p->pos)) > 0; )
			i += n;
		p->len = i - p->pos;
		p->pos = i;
		p->tok = T_NAME;
		for (n = 0; n < sizeof(keywords) / sizeof(keywords[0]); n++)
			if (strlen(keywords[n].text) == p->len &&
			    memcmp(keywords[n].text, s + p->off, p->len) == 0)
				p->tok = keywords[n].tok;
		return;
	}
	for (n = 0; n < sizeof(operators) / sizeof(operators[0]); n++) {
		size_t l = strlen(operators[n].text);

		if (strncmp(s + p->pos, operators[n].text, l) == 0) {
			p->tok = operators[n].tok;
			p->len = l;
			p->pos += l;
			return;
		}
	}
	p->tok = T_EOF;
	n = width_utf8_decode(s + p->pos, 4, &cp);
	if (s[p->pos] == '=')
		perr(p, p->off, "'=' is not an operator (did you mean '=='?)");
	else if (s[p->pos] == '&')
		perr(p, p->off, "'&' is not an operator (did you mean '&&'?)");
	else if (n == 0)
		perr(p, p->off, "invalid UTF-8 byte 0x%02x",
		    (unsigned char)s[p->pos]);
	else
		perr(p, p->off, "unexpected character '%.*s'", (int)n,
		    s + p->pos);
}

/* Move to the next token; after an error the token is the end. */
static void
next(struct parser *p)
{
	lex(p);
	if (p->failed) {
		json_decref(p->val);
		p->val = NULL;
		p->tok = T_EOF;
	}
}

/* The current token, for messages: 'text' or "end of expression". */
static const char *
tok_desc(const struct parser *p, char *out, size_t outlen)
{
	char q[48];

	if (p->tok == T_EOF)
		return p->in_tmpl ? "the end of the text" :
		    "the end of the expression";
	if (p->tok == T_ARROW)
		return "'=>' (did you mean '>='? '=>' only writes a function "
		    "argument such as x => x.amount)";
	snprintf(out, outlen, "'%s'", expr_quote(p->src + p->off, p->len, q,
	    sizeof(q)));
	return out;
}

/* ------------------------------------------------------------------ */
/* Parser */

static struct node *
node_new(struct parser *p, enum node_kind kind, size_t offset)
{
	struct node *n = xcalloc(1, sizeof(*n));
	struct arena *ar = p->nodes;

	n->kind = kind;
	n->offset = offset;
	if (ar->n == ar->size) {
		ar->size = ar->size ? ar->size * 2 : 16;
		ar->v = xreallocarray(ar->v, ar->size, sizeof(*ar->v));
	}
	ar->v[ar->n++] = n;
	return n;
}

/*
 * Record the height of a finished node.  Chains such as "a + a + ... + a"
 * or "x | trim | trim ..." are parsed by loops, not recursion, so the
 * parser's depth limit does not see them; evaluation recurses down the
 * tree, so its height is limited here.
 */
static struct node *
sealed(struct parser *p, struct node *n)
{
	struct node *kids[3] = { n->a, n->b, n->c };
	int h = 0, i;

	for (i = 0; i < 3; i++)
		if (kids[i] != NULL && kids[i]->height > h)
			h = kids[i]->height;
	for (i = 0; i < n->nargs; i++)
		if (n->args[i]->height > h)
			h = n->args[i]->height;
	n->height = h + 1;
	if (n->height > MAX_HEIGHT) {
		perr(p, n->offset, "expression nested too deeply");
		return NULL;
	}
	return n;
}

static int
expect(struct parser *p, enum tok t, const char *what)
{
	char d[64];

	if (p->tok == t) {
		next(p);
		return 0;
	}
	perr(p, p->off, "expected %s, found %s", what,
	    tok_desc(p, d, sizeof(d)));
	return -1;
}

static struct node *parse_expr(struct parser *);

/* Comma-separated expressions up to the closing token (already past the
 * opening one); a trailing comma is allowed. */
static int
parse_args(struct parser *p, enum tok close, const char *close_s,
    struct node ***argsp, int *nargsp, int reserve)
{
	int n = reserve, size = reserve + 4;
	struct node **args = xreallocarray(NULL, (size_t)size, sizeof(*args));
	struct node *a;
	char what[32];

	snprintf(what, sizeof(what), "',' or '%s'", close_s);
	for (;;) {
		if (p->tok == close)
			break;
		if ((a = parse_expr(p)) == NULL)
			goto fail;
		if (n == size) {
			size *= 2;
			args = xreallocarray(args, (size_t)size, sizeof(*args));
		}
		args[n++] = a;
		if (p->tok == T_COMMA) {
			next(p);
			continue;
		}
		if (p->tok != close) {
			expect(p, close, what);
			goto fail;
		}
	}
	next(p);
	*argsp = args;
	*nargsp = n;
	return 0;
fail:
	free(args);
	return -1;
}

/* Check a call's argument count against the function's row. */
static int
check_arity(struct parser *p, const struct func *f, int nargs, int filter,
    size_t offset)
{
	int min = f->min_args, max = f->max_args, got = nargs, shift;
	const char *what = filter ? "filter" : "function";

	if (nargs >= min && (max < 0 || nargs <= max))
		return 0;
	if (filter && min == 0) {
		perr(p, offset, "'%s' takes no input and cannot be a filter "
		    "(call %s() instead)", f->name, f->name);
		return -1;
	}
	shift = filter ? 1 : 0;		/* the piped value is not written */
	min -= shift;
	got -= shift;
	if (max >= 0)
		max -= shift;
	if (max < 0)
		perr(p, offset, "%s '%s' takes at least %d argument%s, got %d",
		    what, f->name, min, min == 1 ? "" : "s", got);
	else if (min == max)
		perr(p, offset, "%s '%s' takes %d argument%s, got %d", what,
		    f->name, min, min == 1 ? "" : "s", got);
	else
		perr(p, offset, "%s '%s' takes %d to %d arguments, got %d",
		    what, f->name, min, max, got);
	return -1;
}

/* The source after the current token, past spaces: what follows a name. */
static const char *
peek(const struct parser *p)
{
	const char *s = p->src + p->pos;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/* The place of a named argument in f's row, or -1 with the error set. */
static int
named_place(struct parser *p, const struct func *f, size_t off, size_t len)
{
	const char *name = p->src + off, *best = NULL;
	char q[64], *word;
	size_t d, bestd = SIZE_MAX;
	int i;

	for (i = 0; f->names != NULL && f->names[i] != NULL; i++) {
		if (strlen(f->names[i]) == len &&
		    memcmp(f->names[i], name, len) == 0)
			return i;
	}
	expr_quote(name, len, q, sizeof(q));
	if (f->names == NULL) {
		perr(p, off, "%s() takes no named arguments ('%s:')", f->name,
		    q);
		return -1;
	}
	word = xstrndup(name, len);
	for (i = 0; f->names[i] != NULL; i++) {
		d = text_distance(word, f->names[i]);
		if (d < bestd) {
			bestd = d;
			best = f->names[i];
		}
	}
	if (best != NULL && text_is_near(word, best))
		perr(p, off, "%s() has no argument '%s' (did you mean '%s'?)",
		    f->name, q, best);
	else
		perr(p, off, "%s() has no argument '%s'", f->name, q);
	free(word);
	return -1;
}

/* A function argument "x => body", the name being the current token. */
static struct node *
parse_lambda(struct parser *p, const struct func *f, int place)
{
	struct node *n;
	size_t off = p->off, len = p->len;

	if (f->fn_arg != place + 1) {
		perr(p, off, "%s() does not take a function as argument %d",
		    f->name, place + 1);
		return NULL;
	}
	n = node_new(p, N_LAMBDA, off);
	n->name = xstrndup(p->src + off, len);
	next(p);		/* the name */
	next(p);		/* '=>' */
	if ((n->a = parse_expr(p)) == NULL)
		return NULL;
	return sealed(p, n);
}

/* Put a into args[place], growing the list and filling gaps with null. */
static void
put_arg(struct parser *p, struct node ***args, int *n, int *size, int place,
    struct node *a)
{
	struct node *null;

	while (place >= *size) {
		*size *= 2;
		*args = xreallocarray(*args, (size_t)*size, sizeof(**args));
	}
	while (*n <= place) {
		null = node_new(p, N_CONST, a->offset);
		null->value = json_null();
		(*args)[(*n)++] = null;
	}
	(*args)[place] = a;
}

/*
 * The arguments of a call of f up to ')' (already past '('): expressions,
 * then optionally named ones "name: expr"; a function "x => expr" where
 * f's row allows one.  reserve places are kept for a piped value.
 */
static int
parse_call_args(struct parser *p, const struct func *f,
    struct node ***argsp, int *nargsp, int reserve)
{
	int n = reserve, size = reserve + 4, place, named = 0;
	struct node **args = xreallocarray(NULL, (size_t)size, sizeof(*args));
	struct node *a;
	const char *after;
	size_t off, len;
	char *done = xcalloc(64, 1);

	while (p->tok != T_RPAREN) {
		after = p->tok == T_NAME ? peek(p) : "";
		place = n;
		if (after[0] == ':') {
			off = p->off;
			len = p->len;
			if ((place = named_place(p, f, off, len)) < 0)
				goto fail;
			if (place < n || place >= 64 || done[place]) {
				perr(p, off, "%s(): argument '%.*s' is given "
				    "twice", f->name, (int)len, p->src + off);
				goto fail;
			}
			next(p);
			next(p);	/* ':' */
			named = 1;
		} else if (named) {
			perr(p, p->off, "%s(): an argument without a name "
			    "cannot follow a named one", f->name);
			goto fail;
		}
		if (after[0] == '=' && after[1] == '>')
			a = parse_lambda(p, f, place);
		else
			a = parse_expr(p);
		if (a == NULL)
			goto fail;
		if (named) {
			put_arg(p, &args, &n, &size, place, a);
			done[place] = 1;
		} else
			put_arg(p, &args, &n, &size, n, a);
		if (p->tok == T_COMMA) {
			next(p);
			continue;
		}
		if (p->tok != T_RPAREN) {
			expect(p, T_RPAREN, "',' or ')'");
			goto fail;
		}
	}
	next(p);
	free(done);
	*argsp = args;
	*nargsp = n;
	return 0;
fail:
	free(done);
	free(args);
	return -1;
}

/*
 * A call of the function named by src[off..off+len], whose name has been
 * consumed.  For a filter, input is the piped value and becomes the first
 * argument.
 */
static struct node *
parse_call(struct parser *p, struct node *input, size_t off, size_t len)
{
	const struct func *f, *near;
	const char *name = p->src + off;
	struct node *n, **args = NULL;
	int nargs = input ? 1 : 0;
	char q[64];

	f = expr_func_find(name, len);
	if (f == NULL) {
		near = expr_func_nearest(name, len);
		expr_quote(name, len, q, sizeof(q));
		if (near != NULL)
			perr(p, off, "unknown %s '%s' (did you mean '%s'?)",
			    input ? "filter" : "function", q, near->name);
		else
			perr(p, off, "unknown %s '%s'",
			    input ? "filter" : "function", q);
		return NULL;
	}
	if (p->tok == T_LPAREN) {
		next(p);
		if (parse_call_args(p, f, &args, &nargs, input ? 1 : 0) != 0)
			return NULL;
	} else if (input == NULL) {
		expect(p, T_LPAREN, "'('");
		return NULL;
	} else
		args = xmalloc(sizeof(*args));
	if (input != NULL)
		args[0] = input;
	if (check_arity(p, f, nargs, input != NULL, off) != 0) {
		free(args);
		return NULL;
	}
	n = node_new(p, N_CALL, off);
	n->fn = f;
	n->args = args;
	n->nargs = nargs;
	if (f->prepare != NULL && f->prepare(n, p->err) != 0) {
		p->failed = 1;
		return NULL;
	}
	return sealed(p, n);
}

static int member_name(enum tok);

/* An object "{name: expr, 'any key': expr}", past the '{'. */
static struct node *
parse_object(struct parser *p, size_t off)
{
	struct node *n = node_new(p, N_OBJECT, off), *v;
	int size = 4;
	char d[64];

	n->value = json_array();
	n->args = xreallocarray(NULL, (size_t)size, sizeof(*n->args));
	while (p->tok != T_RBRACE) {
		if (p->tok == T_STR)
			json_array_append(n->value, p->val);
		else if (p->tok == T_NAME || member_name(p->tok))
			json_array_append_new(n->value, json_stringn(p->src +
			    p->off, p->len));
		else {
			perr(p, p->off, "expected a key, found %s",
			    tok_desc(p, d, sizeof(d)));
			return NULL;
		}
		next(p);
		if (expect(p, T_COLON, "':' after the key") != 0 ||
		    (v = parse_expr(p)) == NULL)
			return NULL;
		if (n->nargs == size) {
			size *= 2;
			n->args = xreallocarray(n->args, (size_t)size,
			    sizeof(*n->args));
		}
		n->args[n->nargs++] = v;
		if (p->tok == T_COMMA) {
			next(p);
			continue;
		}
		if (p->tok != T_RBRACE) {
			expect(p, T_RBRACE, "',' or '}'");
			return NULL;
		}
	}
	next(p);
	return sealed(p, n);
}

static struct node *
parse_primary(struct parser *p)
{
	struct node *n;
	size_t off, len;
	char d[64];

	switch (p->tok) {
	case T_NUM:
	case T_STR:
		n = node_new(p, N_CONST, p->off);
		n->value = p->val;
		p->val = NULL;
		next(p);
		return n;
	case T_TRUE:
	case T_FALSE:
	case T_NULL:
		n = node_new(p, N_CONST, p->off);
		n->value = p->tok == T_NULL ? json_null() :
		    json_boolean(p->tok == T_TRUE);
		next(p);
		return n;
	case T_LBRACK:
		n = node_new(p, N_LIST, p->off);
		next(p);
		if (parse_args(p, T_RBRACK, "]", &n->args, &n->nargs, 0) != 0)
			return NULL;
		return sealed(p, n);
	case T_LBRACE:
		off = p->off;
		next(p);
		return parse_object(p, off);
	case T_LPAREN:
		next(p);
		if ((n = parse_expr(p)) == NULL || expect(p, T_RPAREN,
		    "')'") != 0)
			return NULL;
		return n;
	case T_NAME:
		/* A name followed by '(' is a call, else a root name. */
		off = p->off;
		len = p->len;
		next(p);
		if (p->tok == T_LPAREN)
			return parse_call(p, NULL, off, len);
		n = node_new(p, N_NAME, off);
		n->name = xstrndup(p->src + off, len);
		return n;
	default:
		if (!p->failed) {
			if (p->tok == T_RBRACE && p->in_tmpl)
				perr(p, p->off, "expected a value, found '}'");
			else
				perr(p, p->off, "expected a value, found %s",
				    tok_desc(p, d, sizeof(d)));
		}
		return NULL;
	}
}

/* A name after '.': keywords are fine there (row.in, item.null). */
static int
member_name(enum tok t)
{
	return t == T_NAME || t == T_TRUE || t == T_FALSE || t == T_NULL ||
	    t == T_AND || t == T_OR || t == T_NOT || t == T_IN;
}

static struct node *
parse_postfix(struct parser *p)
{
	struct node *n = parse_primary(p), *m;
	char d[64];

	while (n != NULL) {
		if (p->tok == T_DOT) {
			next(p);
			if (!member_name(p->tok)) {
				perr(p, p->off, "expected a name after '.', "
				    "found %s", tok_desc(p, d, sizeof(d)));
				return NULL;
			}
			m = node_new(p, N_MEMBER, p->off);
			m->a = n;
			m->name = xstrndup(p->src + p->off, p->len);
			next(p);
			n = sealed(p, m);
		} else if (p->tok == T_LBRACK) {
			m = node_new(p, N_INDEX, p->off);
			next(p);
			m->a = n;
			if ((m->b = parse_expr(p)) == NULL ||
			    expect(p, T_RBRACK, "']'") != 0)
				return NULL;
			n = sealed(p, m);
		} else
			break;
	}
	return n;
}

static struct node *
parse_pipe(struct parser *p)
{
	struct node *n = parse_postfix(p);
	size_t off, len;
	char d[64];

	while (n != NULL && p->tok == T_PIPE) {
		next(p);
		if (p->tok != T_NAME) {
			perr(p, p->off, "expected a filter name after '|', "
			    "found %s", tok_desc(p, d, sizeof(d)));
			return NULL;
		}
		off = p->off;
		len = p->len;
		next(p);
		n = parse_call(p, n, off, len);
	}
	return n;
}

/* Enter one level of nesting; fail when the text nests too deeply. */
static int
deeper(struct parser *p)
{
	if (++p->depth > MAX_DEPTH) {
		perr(p, p->off, "expression nested too deeply");
		return -1;
	}
	return 0;
}

static struct node *
parse_unary(struct parser *p)
{
	struct node *n, *operand;
	size_t off = p->off;

	if (p->tok != T_MINUS)
		return parse_pipe(p);
	/*
	 * A minus written right before a digit is part of the number, so
	 * "-1 | abs" is abs(-1); before anything else it applies to the
	 * filtered value, as the grammar says: "-n | abs" is -abs(n).
	 */
	if (isdigit((unsigned char)p->src[p->pos])) {
		next(p);
		if (p->tok == T_NUM && json_is_integer(p->val))
			json_integer_set(p->val, -json_integer_value(p->val));
		else if (p->tok == T_NUM)
			json_real_set(p->val, -json_real_value(p->val));
		if ((n = parse_pipe(p)) != NULL && n->kind == N_CONST &&
		    n->offset == off + 1)
			n->offset = off;
		return n;
	}
	if (deeper(p) != 0)
		return NULL;
	next(p);
	operand = parse_unary(p);
	p->depth--;
	if (operand == NULL)
		return NULL;
	/* Fold "-2" into a constant. */
	if (operand->kind == N_CONST && json_is_integer(operand->value) &&
	    json_integer_value(operand->value) != LLONG_MIN) {
		json_integer_set(operand->value,
		    -json_integer_value(operand->value));
		operand->offset = off;
		return operand;
	}
	if (operand->kind == N_CONST && json_is_real(operand->value)) {
		json_real_set(operand->value, -json_real_value(operand->value));
		operand->offset = off;
		return operand;
	}
	n = node_new(p, N_NEG, off);
	n->a = operand;
	return sealed(p, n);
}

static const struct {
	enum tok	tok;
	enum binop	op;
} binops[] = {
	{ T_PLUS, B_ADD }, { T_MINUS, B_SUB }, { T_STAR, B_MUL },
	{ T_SLASH, B_DIV }, { T_PERCENT, B_MOD }, { T_EQ, B_EQ },
	{ T_NE, B_NE }, { T_LT, B_LT }, { T_LE, B_LE }, { T_GT, B_GT },
	{ T_GE, B_GE }, { T_IN, B_IN },
};

static enum binop
binop_of(enum tok t)
{
	size_t i;

	for (i = 0; i < sizeof(binops) / sizeof(binops[0]); i++)
		if (binops[i].tok == t)
			return binops[i].op;
	abort();	/* only called for tokens of the table */
}

static struct node *
binary(struct parser *p, enum node_kind kind, enum tok t, struct node *l,
    struct node *r, size_t off)
{
	struct node *n = node_new(p, kind, off);

	if (kind == N_BIN)
		n->op = binop_of(t);
	n->a = l;
	n->b = r;
	return sealed(p, n);
}

static struct node *
parse_prod(struct parser *p)
{
	struct node *l = parse_unary(p), *r;
	enum tok t;
	size_t off;

	while (l != NULL && (p->tok == T_STAR || p->tok == T_SLASH ||
	    p->tok == T_PERCENT)) {
		t = p->tok;
		off = p->off;
		next(p);
		if ((r = parse_unary(p)) == NULL)
			return NULL;
		l = binary(p, N_BIN, t, l, r, off);
	}
	return l;
}

static struct node *
parse_sum(struct parser *p)
{
	struct node *l = parse_prod(p), *r;
	enum tok t;
	size_t off;

	while (l != NULL && (p->tok == T_PLUS || p->tok == T_MINUS)) {
		t = p->tok;
		off = p->off;
		next(p);
		if ((r = parse_prod(p)) == NULL)
			return NULL;
		l = binary(p, N_BIN, t, l, r, off);
	}
	return l;
}

static int
is_cmp(enum tok t)
{
	return t == T_EQ || t == T_NE || t == T_LT || t == T_LE ||
	    t == T_GT || t == T_GE || t == T_IN;
}

static struct node *
parse_cmp(struct parser *p)
{
	struct node *l = parse_sum(p), *r;
	enum tok t;
	size_t off;

	if (l == NULL || !is_cmp(p->tok))
		return l;
	t = p->tok;
	off = p->off;
	next(p);
	if ((r = parse_sum(p)) == NULL)
		return NULL;
	if (is_cmp(p->tok)) {
		perr(p, p->off, "comparisons cannot be chained (join them "
		    "with 'and')");
		return NULL;
	}
	return binary(p, N_BIN, t, l, r, off);
}

static struct node *
parse_not(struct parser *p)
{
	struct node *n, *operand;
	size_t off = p->off;

	if (p->tok != T_NOT && p->tok != T_BANG)
		return parse_cmp(p);
	if (deeper(p) != 0)
		return NULL;
	next(p);
	operand = parse_not(p);
	p->depth--;
	if (operand == NULL)
		return NULL;
	n = node_new(p, N_NOT, off);
	n->a = operand;
	return sealed(p, n);
}

static struct node *
parse_and(struct parser *p)
{
	struct node *l = parse_not(p), *r;
	size_t off;

	while (l != NULL && p->tok == T_AND) {
		off = p->off;
		next(p);
		if ((r = parse_not(p)) == NULL)
			return NULL;
		l = binary(p, N_AND, T_AND, l, r, off);
	}
	return l;
}

static struct node *
parse_or(struct parser *p)
{
	struct node *l = parse_and(p), *r;
	size_t off;

	while (l != NULL && p->tok == T_OR) {
		off = p->off;
		next(p);
		if ((r = parse_and(p)) == NULL)
			return NULL;
		l = binary(p, N_OR, T_OR, l, r, off);
	}
	return l;
}

static struct node *
parse_expr(struct parser *p)
{
	struct node *n, *c;
	size_t off;

	if (deeper(p) != 0)
		return NULL;
	n = parse_or(p);
	if (n != NULL && p->tok == T_QUESTION) {
		off = p->off;
		next(p);
		c = node_new(p, N_COND, off);
		c->a = n;
		if ((c->b = parse_expr(p)) == NULL ||
		    expect(p, T_COLON, "':'") != 0 ||
		    (c->c = parse_expr(p)) == NULL)
			n = NULL;
		else
			n = sealed(p, c);
	}
	p->depth--;
	return p->failed ? NULL : n;
}

static void
parser_init(struct parser *p, const char *src, size_t pos,
    struct arena *nodes, struct expr_error *err, int in_tmpl)
{
	memset(p, 0, sizeof(*p));
	p->src = src;
	p->pos = pos;
	p->nodes = nodes;
	p->err = err;
	p->in_tmpl = in_tmpl;
	next(p);
}
/* ------------------------------------------------------------------ */
/* Public interface */

struct expr *
expr_compile(const char *src, struct expr_error *err)
{
	struct expr_error dummy;
	struct parser p;
	struct expr *e = xcalloc(1, sizeof(*e));
	char d[64];

	if (err == NULL)
		err = &dummy;
	parser_init(&p, src, 0, &e->nodes, err, 0);
	if (p.tok == T_EOF && !p.failed)
		perr(&p, 0, "empty expression");
	else if ((e->root = parse_expr(&p)) != NULL && p.tok != T_EOF)
		perr(&p, p.off, "unexpected %s after the expression",
		    tok_desc(&p, d, sizeof(d)));
	json_decref(p.val);
	if (p.failed) {
		expr_free(e);
		return NULL;
	}
	return e;
}

void
expr_free(struct expr *e)
{
	if (e == NULL)
		return;
	expr_arena_free(&e->nodes);
	free(e);
}

static void
add_part(struct tmpl *t, size_t *size, struct part part)
{
	if (t->nparts == *size) {
		*size = *size ? *size * 2 : 4;
		t->parts = xreallocarray(t->parts, *size, sizeof(*t->parts));
	}
	t->parts[t->nparts++] = part;
}

/* End the literal text collected so far as a part of its own. */
static void
flush_literal(struct tmpl *t, size_t *size, struct buf *lit)
{
	struct part part = { NULL, 0, NULL };

	if (lit->len == 0)
		return;
	part.text = buf_detach(lit, &part.len);
	add_part(t, size, part);
}

struct tmpl *
tmpl_compile(const char *src, struct expr_error *err)
{
	struct tmpl *t = xcalloc(1, sizeof(*t));
	struct expr_error dummy;
	struct part part;
	struct parser p;
	struct buf lit;
	size_t i = 0, size = 0;
	char d[64];

	if (err == NULL)
		err = &dummy;
	buf_init(&lit, 0);
	while (src[i] != '\0') {
		if (src[i] == '$' && src[i + 1] == '$' && src[i + 2] == '{') {
			buf_puts(&lit, "${");
			i += 3;
			continue;
		}
		if (src[i] != '$' || src[i + 1] != '{') {
			buf_putc(&lit, src[i++]);
			continue;
		}
		flush_literal(t, &size, &lit);
		parser_init(&p, src, i + 2, &t->nodes, err, 1);
		if (p.tok == T_RBRACE && !p.failed)
			perr(&p, i, "empty '${}'");
		else if ((part.root = parse_expr(&p)) != NULL &&
		    p.tok != T_RBRACE) {
			if (p.tok == T_EOF)
				perr(&p, i, "missing '}' to close '${'");
			else
				perr(&p, p.off, "expected '}', found %s",
				    tok_desc(&p, d, sizeof(d)));
		}
		json_decref(p.val);
		if (p.failed) {
			buf_free(&lit);
			tmpl_free(t);
			return NULL;
		}
		part.text = NULL;
		part.len = 0;
		add_part(t, &size, part);
		i = p.off + 1;		/* past the '}' */
	}
	flush_literal(t, &size, &lit);
	buf_free(&lit);
	if (tmpl_is_literal(t))
		t->literal = t->nparts ? expr_mkstr(t->parts[0].text,
		    t->parts[0].len) : expr_mkstr("", 0);
	return t;
}

int
tmpl_is_literal(const struct tmpl *t)
{
	return t->nparts == 0 || (t->nparts == 1 && t->parts[0].root == NULL);
}

int
tmpl_is_one_expr(const char *src)
{
	struct tmpl *t = tmpl_compile(src, NULL);
	int one = t != NULL && t->nparts == 1 && t->parts[0].root != NULL;

	tmpl_free(t);
	return one;
}

/* Names bound by the functions "x => ..." around a node. */
struct bound {
	const char		*name;
	const struct bound	*up;
};

static int
is_bound(const struct bound *b, const char *name)
{
	for (; b != NULL; b = b->up)
		if (strcmp(b->name, name) == 0)
			return 1;
	return 0;
}

static void refs(const struct node *, const struct bound *, expr_ref_fn,
    void *);

/*
 * Follow a chain of members (a.b.c, a['b']) down to its root name, filling
 * ref from the root outward; 0 when the chain starts at a name.  The
 * members after a computed index are not part of the path.  With ref NULL
 * (the second pass, after the path is reported, to keep source order) the
 * computed indexes and a chain that does not start at a name are walked.
 */
static int
chain(const struct node *n, const struct bound *b, struct expr_ref *ref,
    int *open, expr_ref_fn fn, void *arg)
{
	const char *member;

	switch (n->kind) {
	case N_NAME:
		if (ref != NULL) {
			ref->root = n->name;
			ref->offset = n->offset;
			*open = 1;
		}
		return 0;
	case N_MEMBER:
	case N_INDEX:
		if (chain(n->a, b, ref, open, fn, arg) != 0)
			return -1;
		member = n->kind == N_MEMBER ? n->name :
		    n->b->kind == N_CONST && json_is_string(n->b->value) ?
		    json_string_value(n->b->value) : NULL;
		if (ref == NULL) {
			if (member == NULL)
				refs(n->b, b, fn, arg);
		} else if (member == NULL)
			*open = 0;
		else if (*open && ref->nmembers < EXPR_REF_DEPTH) {
			ref->member[ref->nmembers] = member;
			ref->member_offset[ref->nmembers++] =
			    n->kind == N_MEMBER ? n->offset : n->b->offset;
		}
		return 0;
	default:
		if (ref == NULL)
			refs(n, b, fn, arg);
		return -1;
	}
}

/* Report the names an expression reads, in source order. */
static void
refs(const struct node *n, const struct bound *b, expr_ref_fn fn, void *arg)
{
	struct expr_ref ref;
	struct bound inner;
	int i, open;

	switch (n->kind) {
	case N_NAME:
	case N_MEMBER:
	case N_INDEX:
		memset(&ref, 0, sizeof(ref));
		if (chain(n, b, &ref, &open, fn, arg) == 0 &&
		    !is_bound(b, ref.root))
			fn(arg, &ref);
		chain(n, b, NULL, &open, fn, arg);
		return;
	case N_LAMBDA:
		inner.name = n->name;
		inner.up = b;
		refs(n->a, &inner, fn, arg);
		return;
	case N_CALL:
	case N_LIST:
	case N_OBJECT:
		for (i = 0; i < n->nargs; i++)
			refs(n->args[i], b, fn, arg);
		return;
	case N_CONST:
		return;
	default:
		if (n->a)
			refs(n->a, b, fn, arg);
		if (n->b)
			refs(n->b, b, fn, arg);
		if (n->c)
			refs(n->c, b, fn, arg);
		return;
	}
}

void
tmpl_refs(const struct tmpl *t, expr_ref_fn fn, void *arg)
{
	size_t i;

	for (i = 0; i < t->nparts; i++)
		if (t->parts[i].root != NULL)
			refs(t->parts[i].root, NULL, fn, arg);
}

void
tmpl_part_refs(const struct tmpl *t, size_t part, expr_ref_fn fn, void *arg)
{
	if (part < t->nparts && t->parts[part].root != NULL)
		refs(t->parts[part].root, NULL, fn, arg);
}

void
tmpl_free(struct tmpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nparts; i++)
		free(t->parts[i].text);
	free(t->parts);
	json_decref(t->literal);
	expr_arena_free(&t->nodes);
	free(t);
}
