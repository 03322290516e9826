/*
 * htmltext.h - the text of an HTML document, laid out as plain text, for
 * mail whose only body is HTML.
 *
 * libxml2's HTML parser reads the document (tag soup included: unclosed
 * tags, stray ends, entities), and the tree is walked: blocks (p, div,
 * headings, tables' rows, list items) start new lines, br breaks one,
 * cells of a row are separated by a tab, list items get "・", a link
 * whose text is not its address is followed by it in parentheses, images
 * give their alt text, script, style and head give nothing; runs of
 * blanks collapse except in pre; no more than one empty line in a row.
 */
#ifndef KOBITO_HTMLTEXT_H
#define KOBITO_HTMLTEXT_H

#include <stddef.h>

/*
 * The text of len bytes of UTF-8 HTML, as a new string the caller frees
 * (never NULL; "" for a document with no text).
 */
char	*htmltext_convert(const char *html, size_t len);

#endif
