/*
 * textdiff.c - unified diffs of two texts (see textdiff.h).
 *
 * Myers' greedy algorithm: for d = 0, 1, ... the furthest-reaching path
 * with d edits on each diagonal k (x - y = k) is kept in v[k]; the v of
 * every d is kept (d * (2d + 1) entries in all, hence max_edits) so that
 * the path can be walked back into a list of kept, removed and added
 * lines, which is then printed in hunks with their context.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "textdiff.h"
#include "xmalloc.h"

/* The lines of a text: their starts and lengths (without the newline). */
struct lines {
	const char	**at;
	size_t		 *len;
	int		  n;
};

static void
split(const char *t, size_t n, struct lines *l)
{
	size_t i, start = 0;
	int cap = 16;

	l->n = 0;
	l->at = xreallocarray(NULL, (size_t)cap, sizeof *l->at);
	l->len = xreallocarray(NULL, (size_t)cap, sizeof *l->len);
	for (i = 0; i <= n; i++) {
		if (i < n && t[i] != '\n')
			continue;
		if (i == n && start == n)
			break;		/* no line after the last newline */
		if (l->n == cap) {
			cap *= 2;
			l->at = xreallocarray(l->at, (size_t)cap,
			    sizeof *l->at);
			l->len = xreallocarray(l->len, (size_t)cap,
			    sizeof *l->len);
		}
		l->at[l->n] = t + start;
		l->len[l->n++] = i - start;
		start = i + 1;
	}
}

static int
same(const struct lines *a, int i, const struct lines *b, int j)
{
	return a->len[i] == b->len[j] &&
	    memcmp(a->at[i], b->at[j], a->len[i]) == 0;
}

/* One line of the edit script. */
enum op { KEEP, DEL, ADD };
struct edit {
	enum op	 op;
	int	 ai, bi;	/* line in a (KEEP, DEL) and in b (KEEP, ADD) */
};

/*
 * The edit script of a into b in *out (n entries), or -1 when it needs
 * more than max edits.
 */
static int
script(const struct lines *a, const struct lines *b, int max,
    struct edit **out, int *nout)
{
	int N = a->n, M = b->n, d, k, x, y, found = -1;
	int **trace = xcalloc((size_t)max + 1, sizeof *trace);
	struct edit *e;
	int *v, *prev, ne = 0;

	for (d = 0; d <= max && found < 0; d++) {
		/* v[k + d] for k in -d..d. */
		v = trace[d] = xcalloc((size_t)(2 * d + 1), sizeof *v);
		prev = d > 0 ? trace[d - 1] : NULL;
		for (k = -d; k <= d; k += 2) {
			if (d == 0)
				x = 0;
			else if (k == -d || (k != d && prev[k - 1 + d - 1] <
			    prev[k + 1 + d - 1]))
				x = prev[k + 1 + d - 1];	/* down: add */
			else
				x = prev[k - 1 + d - 1] + 1;	/* right: del */
			y = x - k;
			while (x < N && y < M && same(a, x, b, y))
				x++, y++;
			v[k + d] = x;
			if (x >= N && y >= M) {
				found = d;
				break;
			}
		}
	}
	if (found < 0) {
		for (d = 0; d <= max; d++)
			free(trace[d]);
		free(trace);
		return -1;
	}
	/* Walk back from (N, M), writing the script from its end. */
	e = xcalloc((size_t)(N + M + 1), sizeof *e);
	x = N;
	y = M;
	for (d = found; d > 0; d--) {
		int px, py, pk, mx, my;

		prev = trace[d - 1];
		k = x - y;
		if (k == -d || (k != d && prev[k - 1 + d - 1] <
		    prev[k + 1 + d - 1]))
			pk = k + 1;
		else
			pk = k - 1;
		px = prev[pk + d - 1];
		py = px - pk;
		/* The edit took (px, py) to (mx, my), the snake on to (x, y). */
		mx = pk == k + 1 ? px : px + 1;
		my = pk == k + 1 ? py + 1 : py;
		while (x > mx && y > my) {
			x--, y--;
			e[ne++] = (struct edit){ KEEP, x, y };
		}
		e[ne++] = (struct edit){ pk == k + 1 ? ADD : DEL, px, py };
		x = px;
		y = py;
	}
	while (x > 0 && y > 0) {
		x--, y--;
		e[ne++] = (struct edit){ KEEP, x, y };
	}
	for (d = 0; d <= max; d++)
		free(trace[d]);
	free(trace);
	/* Reverse into reading order. */
	for (k = 0; k < ne / 2; k++) {
		struct edit t = e[k];

		e[k] = e[ne - 1 - k];
		e[ne - 1 - k] = t;
	}
	*out = e;
	*nout = ne;
	return 0;
}

static void
put_line(struct buf *o, char c, const struct lines *l, int i)
{
	buf_putc(o, c);
	buf_append(o, l->at[i], l->len[i]);
	buf_putc(o, '\n');
}

/* A hunk's range as diff -u has it: "L,N", "L" for one line. */
static void
range(struct buf *o, int start, int count)
{
	if (count == 1)
		buf_printf(o, "%d", start + 1);
	else
		buf_printf(o, "%d,%d", count ? start + 1 : start, count);
}

/* Print the hunks of edit script e (n entries). */
static void
hunks(struct buf *o, const struct lines *a, const struct lines *b,
    const struct edit *e, int n, int context)
{
	int i = 0, start, end, j, last, as, bs, ac, bc;

	while (i < n) {
		while (i < n && e[i].op == KEEP)
			i++;
		if (i == n)
			break;
		/* The hunk: this change and those within 2 * context. */
		start = i - context < 0 ? 0 : i - context;
		last = i;
		for (j = i; j < n; j++) {
			if (e[j].op != KEEP)
				last = j;
			else if (j - last > 2 * context)
				break;
		}
		end = last + context + 1 > n ? n : last + context + 1;
		as = e[start].ai;
		bs = e[start].bi;
		ac = bc = 0;
		for (j = start; j < end; j++) {
			ac += e[j].op != ADD;
			bc += e[j].op != DEL;
		}
		buf_puts(o, "@@ -");
		range(o, as, ac);
		buf_puts(o, " +");
		range(o, bs, bc);
		buf_puts(o, " @@\n");
		for (j = start; j < end; j++)
			if (e[j].op == KEEP)
				put_line(o, ' ', a, e[j].ai);
			else if (e[j].op == DEL)
				put_line(o, '-', a, e[j].ai);
			else
				put_line(o, '+', b, e[j].bi);
		i = end;
	}
}

char *
textdiff_unified(const char *a, size_t alen, const char *b, size_t blen,
    const char *aname, const char *bname, int context, int max_edits,
    struct textdiff_stat *st)
{
	struct lines la, lb;
	struct edit *e = NULL;
	struct buf o;
	int n = 0, i;

	memset(st, 0, sizeof *st);
	split(a, alen, &la);
	split(b, blen, &lb);
	if (script(&la, &lb, max_edits, &e, &n) != 0) {
		free(la.at);
		free(la.len);
		free(lb.at);
		free(lb.len);
		return NULL;
	}
	buf_init(&o, 0);
	for (i = 0; i < n; i++) {
		st->added += e[i].op == ADD;
		st->removed += e[i].op == DEL;
	}
	if (st->added + st->removed > 0) {
		buf_printf(&o, "--- %s\n+++ %s\n", aname, bname);
		hunks(&o, &la, &lb, e, n, context);
	}
	free(e);
	free(la.at);
	free(la.len);
	free(lb.at);
	free(lb.len);
	if (o.len == 0) {
		buf_free(&o);
		return xstrdup("");
	}
	return buf_detach(&o, NULL);
}
