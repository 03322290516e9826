/*
 * textdiff.h - the difference between two texts, line by line, as a
 * unified diff ("diff -u"): Myers' O((N+M)D) algorithm, for the versions
 * of a script shown side by side in the dashboard.
 */
#ifndef KOBITO_TEXTDIFF_H
#define KOBITO_TEXTDIFF_H

#include <stddef.h>

/* Counts of a diff. */
struct textdiff_stat {
	int	added;		/* lines only in b */
	int	removed;	/* lines only in a */
};

/*
 * The unified diff of a and b (of alen and blen bytes; a last line
 * without a newline is a line), headed "--- aname" and "+++ bname", with
 * context lines of context around each change.  Returns a new string
 * (caller frees; "" when the texts are the same) and fills *st, or NULL
 * when they differ in more than max_edits lines (the work, and memory,
 * grow with the square of the edits).
 */
char	*textdiff_unified(const char *a, size_t alen, const char *b,
	    size_t blen, const char *aname, const char *bname, int context,
	    int max_edits, struct textdiff_stat *st);

#endif
