/*
 * htmltext.c - HTML to plain text through libxml2's HTML parser; the
 * rules are in htmltext.h.
 *
 * Text is gathered into a buffer with two pieces of state: a pending
 * blank (collapsed runs of white space become one space, written only
 * when more text follows on the line) and the number of line breaks owed
 * (a block asks for one, a paragraph for two; they are written before the
 * next text, so a document does not start or end with empty lines).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "buf.h"
#include "htmltext.h"
#include "xmalloc.h"

#define MAX_DEPTH	200	/* deeper nesting is read as flat text */

struct out {
	struct buf	b;
	int		blank;		/* a space is owed */
	int		breaks;		/* line breaks owed (at most 2) */
	int		pre;		/* inside <pre> */
	int		at_start;	/* nothing written yet */
};

enum kind {
	K_INLINE,
	K_SKIP,		/* script, style, head: nothing */
	K_BLOCK,	/* a line of its own */
	K_PARA,		/* a paragraph: an empty line around it */
	K_BR,
	K_CELL,		/* td, th: a tab before all but the first */
	K_ITEM,		/* li */
	K_HR,
	K_IMG,
	K_LINK,
	K_PRE,
};

static const struct {
	const char	*name;
	enum kind	 kind;
} tags[] = {
	{ "script", K_SKIP }, { "style", K_SKIP }, { "head", K_SKIP },
	{ "title", K_SKIP }, { "noscript", K_SKIP }, { "template", K_SKIP },
	{ "p", K_PARA }, { "h1", K_PARA }, { "h2", K_PARA }, { "h3", K_PARA },
	{ "h4", K_PARA }, { "h5", K_PARA }, { "h6", K_PARA },
	{ "blockquote", K_PARA }, { "table", K_PARA }, { "ul", K_PARA },
	{ "ol", K_PARA }, { "dl", K_PARA },
	{ "div", K_BLOCK }, { "tr", K_BLOCK }, { "dt", K_BLOCK },
	{ "dd", K_BLOCK }, { "section", K_BLOCK }, { "article", K_BLOCK },
	{ "header", K_BLOCK }, { "footer", K_BLOCK }, { "address", K_BLOCK },
	{ "caption", K_BLOCK }, { "center", K_BLOCK }, { "form", K_BLOCK },
	{ "nav", K_BLOCK }, { "main", K_BLOCK }, { "aside", K_BLOCK },
	{ "figure", K_BLOCK }, { "fieldset", K_BLOCK },
	{ "br", K_BR }, { "td", K_CELL }, { "th", K_CELL }, { "li", K_ITEM },
	{ "hr", K_HR }, { "img", K_IMG }, { "a", K_LINK }, { "pre", K_PRE },
};

static enum kind
kind_of(const xmlNode *n)
{
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
		if (strcasecmp((const char *)n->name, tags[i].name) == 0)
			return tags[i].kind;
	return K_INLINE;
}

static void
owe_breaks(struct out *o, int n)
{
	if (!o->at_start && o->breaks < n)
		o->breaks = n;
	o->blank = 0;
}

/* Write what is owed before text. */
static void
settle(struct out *o)
{
	while (o->breaks > 0) {
		buf_putc(&o->b, '\n');
		o->breaks--;
		o->blank = 0;
	}
	if (o->blank)
		buf_putc(&o->b, ' ');
	o->blank = 0;
}

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void
put_text(struct out *o, const char *s)
{
	if (o->pre) {
		if (*s == '\0')
			return;
		settle(o);
		buf_puts(&o->b, s);
		o->at_start = 0;
		return;
	}
	for (; *s != '\0'; s++) {
		if (is_blank((unsigned char)*s)) {
			if (!o->at_start && o->breaks == 0)
				o->blank = 1;
			continue;
		}
		settle(o);
		buf_putc(&o->b, *s);
		o->at_start = 0;
	}
}

static const char *
attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a != NULL; a = a->next)
		if (strcasecmp((const char *)a->name, name) == 0 &&
		    a->children != NULL && a->children->content != NULL)
			return (const char *)a->children->content;
	return NULL;
}

/* The text a subtree would give, to compare a link's text with its href. */
static void
flat_text(const xmlNode *n, struct buf *b)
{
	for (; n != NULL; n = n->next) {
		if (n->type == XML_TEXT_NODE && n->content != NULL)
			buf_puts(b, (const char *)n->content);
		else if (n->type == XML_ELEMENT_NODE)
			flat_text(n->children, b);
	}
}

static void walk(struct out *, const xmlNode *, int depth);

static void
element(struct out *o, const xmlNode *n, int depth)
{
	enum kind k = kind_of(n);
	const char *v;

	switch (k) {
	case K_SKIP:
		return;
	case K_BR:
		settle(o);
		buf_putc(&o->b, '\n');
		o->at_start = 0;
		return;
	case K_HR:
		owe_breaks(o, 1);
		put_text(o, "----------");
		owe_breaks(o, 1);
		return;
	case K_IMG:
		if ((v = attr(n, "alt")) != NULL)
			put_text(o, v);
		return;
	case K_CELL: {
		const xmlNode *p = n->prev;

		while (p != NULL && p->type != XML_ELEMENT_NODE)
			p = p->prev;
		if (p != NULL) {
			settle(o);
			buf_putc(&o->b, '\t');
		}
		walk(o, n->children, depth + 1);
		return;
	}
	case K_ITEM:
		owe_breaks(o, 1);
		put_text(o, "・");
		walk(o, n->children, depth + 1);
		owe_breaks(o, 1);
		return;
	case K_LINK: {
		struct buf t;
		const char *href = attr(n, "href");

		walk(o, n->children, depth + 1);
		if (href == NULL || strncasecmp(href, "mailto:", 7) == 0 ||
		    href[0] == '#')
			return;
		buf_init(&t, 0);
		flat_text(n->children, &t);
		if (t.data == NULL || strstr(t.data, href) == NULL) {
			put_text(o, " (");
			put_text(o, href);
			put_text(o, ")");
		}
		buf_free(&t);
		return;
	}
	case K_PRE:
		owe_breaks(o, 2);
		o->pre++;
		walk(o, n->children, depth + 1);
		o->pre--;
		owe_breaks(o, 2);
		return;
	case K_PARA:
	case K_BLOCK:
		owe_breaks(o, k == K_PARA ? 2 : 1);
		walk(o, n->children, depth + 1);
		owe_breaks(o, k == K_PARA ? 2 : 1);
		return;
	case K_INLINE:
		walk(o, n->children, depth + 1);
		return;
	}
}

static void
walk(struct out *o, const xmlNode *n, int depth)
{
	for (; n != NULL; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
			put_text(o, n->content ? (const char *)n->content : "");
		else if (n->type == XML_ELEMENT_NODE) {
			if (depth < MAX_DEPTH)
				element(o, n, depth);
			else
				walk(o, n->children, depth);
		}
	}
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
init(void)
{
	xmlInitParser();
}

char *
htmltext_convert(const char *html, size_t len)
{
	struct out o = { .at_start = 1 };
	htmlDocPtr doc;
	char *s, *r, *w;

	pthread_once(&init_once, init);
	buf_init(&o.b, 0);
	if (len > 0 && len <= (size_t)0x7fffffff) {
		doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
		    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
		    HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
		if (doc != NULL) {
			walk(&o, xmlDocGetRootElement(doc), 0);
			xmlFreeDoc(doc);
		}
	}
	buf_puts(&o.b, "");
	s = buf_detach(&o.b, NULL);
	/* No blanks at line ends; at most one empty line in a row. */
	for (r = w = s; *r != '\0'; r++) {
		if (*r == '\n') {
			while (w > s && (w[-1] == ' ' || w[-1] == '\t'))
				w--;
			if (w - s >= 2 && w[-1] == '\n' && w[-2] == '\n')
				continue;
		}
		/* U+00A0 becomes a plain space. */
		if ((unsigned char)r[0] == 0xC2 && (unsigned char)r[1] == 0xA0) {
			*w++ = ' ';
			r++;
			continue;
		}
		*w++ = *r;
	}
	while (w > s && (w[-1] == '\n' || w[-1] == ' ' || w[-1] == '\t'))
		w--;
	*w = '\0';
	return s;
}
