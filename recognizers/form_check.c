/*
 * form_check.c - checks across the fields of a page, as the template
 * declares them: sums, products, tax at a rate.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "buf.h"
#include "form.h"
#include "form_priv.h"
#include "normalize.h"
#include "ocr.h"
#include "preprocess.h"
#include "seal.h"
#include "width.h"
#include "xmalloc.h"

void
form_add_reason(struct form_page *page, const char *fmt, ...)
{
	va_list ap;

	page->reasons = xreallocarray(page->reasons, page->nreasons + 1,
	    sizeof *page->reasons);
	va_start(ap, fmt);
	page->reasons[page->nreasons++] = xvasprintf(fmt, ap);
	va_end(ap);
}

/* The index of field name in the template (names were checked at load). */
static size_t
field_index(const struct form_template *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return i;
	return t->nfields;
}

/* Flag a field for a failed check. */
static void
flag_check(struct field_result *fr, const char *why)
{
	if (fr->status != FIELD_OK && !fr->pending)
		return;
	fr->status = FIELD_LOW_CONFIDENCE;
	fr->pending = 0;
	form_set_reason(fr, "%s", why);
}

#define CAND_MAX	4	/* values tried per field */
#define COMBOS_MAX	4096	/* combinations tried per check */

/* The fields of one check, with the values their readings gave. */
struct check_fields {
	size_t		 n;		/* terms, then equals last */
	size_t		 idx[33];
	double		 cand[33][CAND_MAX];
	size_t		 ncand[33];
	double		 unit;		/* equals' smallest step */
};

/* The unit equals is written in: 1 yen, 0.01 dollars. */
static double
unit_of(const struct form_field *f, const json_t *v)
{
	if (f->spec.decimals >= 0)
		return pow(10, -f->spec.decimals);
	return json_is_integer(v) ? 1 : 0.01;
}

static double
round_to(double x, double unit, enum form_rounding how)
{
	double q = x / unit;

	/* A hair of slack: 1234 * 0.1 is 123.40000000000001. */
	switch (how) {
	case FORM_ROUND_FLOOR:
		q = floor(q + 1e-7);
		break;
	case FORM_ROUND_CEIL:
		q = ceil(q - 1e-7);
		break;
	default:
		q = floor(q + 0.5 + 1e-7);
		break;
	}
	return q * unit;
}

int
form_check_holds(const struct form_check *c, const double *v, size_t n,
    double unit)
{
	double want = v[n - 1], got = 0;
	size_t i;

	switch (c->kind) {
	case FORM_CHECK_SUM:
		for (i = 0; i + 1 < n; i++)
			got += v[i];
		break;
	case FORM_CHECK_PRODUCT:
		got = 1;
		for (i = 0; i + 1 < n; i++)
			got *= v[i];
		got = round_to(got, unit, c->rounding);
		break;
	case FORM_CHECK_TAX:
		got = round_to(v[0] * c->rate / 100.0, unit, c->rounding);
		break;
	}
	return fabs(got - want) < unit / 2;
}

/* Add v to the candidates of field k unless it is there. */
static void
cand_add(struct check_fields *cf, size_t k, const json_t *v)
{
	size_t i;
	double d;

	if (v == NULL || !json_is_number(v) || cf->ncand[k] == CAND_MAX)
		return;
	d = json_number_value(v);
	for (i = 0; i < cf->ncand[k]; i++)
		if (cf->cand[k][i] == d)
			return;
	cf->cand[k][cf->ncand[k]++] = d;
}

/*
 * Gather the fields of c and their candidate values: the value chosen
 * first, then the other values their readings gave.  0 when a field has
 * no value at all (it is flagged already, and the check cannot tell).
 */
static int
gather(const struct form_template *t, const struct form_page *page,
    const struct form_check *c, struct check_fields *cf)
{
	size_t k, j;

	memset(cf, 0, sizeof *cf);
	if (c->nterms + 1 > sizeof cf->idx / sizeof cf->idx[0])
		return 0;
	for (k = 0; k <= c->nterms; k++) {
		const char *name = k < c->nterms ? c->terms[k] : c->equals;
		const struct field_result *fr;

		cf->idx[k] = field_index(t, name);
		if (cf->idx[k] == t->nfields)
			return 0;
		fr = &page->fields[cf->idx[k]];
		if (fr->status == FIELD_OK && json_is_null(fr->value)) {
			/* Left empty (an unused line of a table): nothing,
			 * which adds 0. */
			json_t *zero = json_integer(0);

			cand_add(cf, k, zero);
			json_decref(zero);
			continue;
		}
		cand_add(cf, k, fr->value);
		for (j = 0; j < fr->nreadings; j++)
			cand_add(cf, k, fr->readings[j].value);
		if (cf->ncand[k] == 0 || !json_is_number(fr->value))
			return 0;
	}
	cf->n = c->nterms + 1;
	cf->unit = unit_of(&t->fields[cf->idx[cf->n - 1]],
	    page->fields[cf->idx[cf->n - 1]].value);
	/* A product or a tax of nothing says nothing. */
	if (c->kind != FORM_CHECK_SUM && json_is_null(
	    page->fields[cf->idx[cf->n - 1]].value))
		return 0;
	return 1;
}

/*
 * The one combination of candidate values that satisfies c, in pick[]:
 * 1 found, 0 none, -1 several (the check cannot tell which).
 */
static int
search(const struct form_check *c, const struct check_fields *cf,
    size_t pick[])
{
	size_t combos = 1, i, k, sel[33];
	double v[33];
	int found = 0;

	for (k = 0; k < cf->n; k++) {
		combos *= cf->ncand[k];
		if (combos > COMBOS_MAX)
			return 0;
	}
	for (i = 0; i < combos; i++) {
		size_t rest = i;

		for (k = 0; k < cf->n; k++) {
			sel[k] = rest % cf->ncand[k];
			rest /= cf->ncand[k];
			v[k] = cf->cand[k][sel[k]];
		}
		if (!form_check_holds(c, v, cf->n, cf->unit))
			continue;
		if (found++ > 0)
			return -1;
		memcpy(pick, sel, sizeof sel);
	}
	return found;
}

/* Take the reading whose value is d as the field's value. */
static void
adopt(struct field_result *fr, double d)
{
	size_t j;

	if (json_is_number(fr->value) && json_number_value(fr->value) == d)
		return;
	for (j = 0; j < fr->nreadings; j++) {
		const struct field_reading *rd = &fr->readings[j];

		if (rd->value == NULL || !json_is_number(rd->value) ||
		    json_number_value(rd->value) != d)
			continue;
		json_decref(fr->value);
		fr->value = json_incref(rd->value);
		free(fr->raw);
		fr->raw = xstrdup(rd->raw);
		fr->conf = rd->conf;
		fr->opinions = 1;
		return;
	}
}

/* What check c says, for reasons and evidence: "a + b = c". */
static void
describe(const struct form_check *c, struct buf *b, const char *rel)
{
	size_t j;

	switch (c->kind) {
	case FORM_CHECK_SUM:
	case FORM_CHECK_PRODUCT:
		for (j = 0; j < c->nterms; j++)
			buf_printf(b, "%s%s", j > 0 ? c->kind ==
			    FORM_CHECK_SUM ? " + " : " x " : "", c->terms[j]);
		break;
	case FORM_CHECK_TAX:
		buf_printf(b, "%g%% of %s", c->rate, c->terms[0]);
		break;
	}
	buf_printf(b, " %s %s", rel, c->equals);
}

/*
 * A check that holds is an opinion for each of its fields: it makes ok a
 * field that lacked only a second opinion.
 */
static void
confirm(struct form_page *page, const struct form_check *c,
    const struct check_fields *cf, int chosen)
{
	struct buf why;
	size_t k;

	buf_init(&why, 4096);
	buf_puts(&why, "check: ");
	describe(c, &why, "=");
	if (chosen)
		buf_puts(&why, " (values chosen among the readings)");
	for (k = 0; k < cf->n; k++) {
		struct field_result *fr = &page->fields[cf->idx[k]];

		field_result_add_evidence(fr, buf_str(&why));
		if (fr->pending && fr->opinions >= 2) {
			fr->status = FIELD_OK;
			fr->pending = 0;
			free(fr->reason);
			fr->reason = NULL;
		}
	}
	buf_free(&why);
}

/* Whether checks a and b name a field in common. */
static int
share_field(const struct form_check *a, const struct form_check *b)
{
	size_t i, j;

	for (i = 0; i <= a->nterms; i++)
		for (j = 0; j <= b->nterms; j++)
			if (strcmp(i < a->nterms ? a->terms[i] : a->equals,
			    j < b->nterms ? b->terms[j] : b->equals) == 0)
				return 1;
	return 0;
}

/*
 * Checks linked through the fields they share (a line amount is in its
 * product and in the sum, the subtotal in the sum and in the tax) must
 * all hold with the values finally taken.  A check that chose values
 * among the readings may be undone by a later one choosing another value
 * for a shared field, and two fields misread alike (a 9 read as 4 in a
 * line amount and in the subtotal) can satisfy one check and not the
 * next.  So when any check of a linked group fails, none of the group is
 * trusted: every field of every check in it goes to review, whatever the
 * models said, since the misread may be in any of them.
 */
static void
verify_linked(const struct form_template *t, struct form_page *page,
    const int *failed)
{
	size_t n = t->nchecks, i, j, k;
	size_t *group = xcalloc(n + 1, sizeof *group);
	int *bad = xcalloc(n + 1, sizeof *bad);
	int changed = 1;

	for (i = 0; i < n; i++)
		group[i] = i;
	/* Each check takes the lowest group number of a check it shares a
	 * field with, until nothing changes. */
	while (changed) {
		changed = 0;
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				if (group[j] < group[i] &&
				    share_field(&t->checks[i], &t->checks[j])) {
					group[i] = group[j];
					changed = 1;
				}
	}
	for (i = 0; i < n; i++) {
		struct check_fields cf;
		double v[33];

		if (failed[i]) {
			bad[group[i]] = 1;
			continue;
		}
		if (!gather(t, page, &t->checks[i], &cf))
			continue;
		for (k = 0; k < cf.n; k++)
			v[k] = cf.cand[k][0];
		if (!form_check_holds(&t->checks[i], v, cf.n, cf.unit))
			bad[group[i]] = 1;
	}
	for (i = 0; i < n; i++) {
		const struct form_check *c = &t->checks[i];

		if (!bad[group[i]])
			continue;
		for (k = 0; k <= c->nterms; k++) {
			size_t f = field_index(t, k < c->nterms ? c->terms[k] :
			    c->equals);

			/* A field left empty was seen to be empty, not read:
			 * it stays as it is. */
			if (f < t->nfields && !json_is_null(
			    page->fields[f].value))
				flag_check(&page->fields[f], "a check across "
				    "fields linked to this one does not hold "
				    "with the values read");
		}
	}
	free(group);
	free(bad);
}

/*
 * The template's checks.  Each is tried with the values chosen, then, when
 * it fails, with the other values the readings gave: when exactly one
 * combination holds, those values are taken.  A check that cannot hold
 * flags all its fields, since any one may be the misread; a check whose
 * fields are not all read is skipped (those fields are flagged already).
 * Then the checks linked through shared fields are verified together
 * (verify_linked()).
 */
void
form_apply_checks(const struct form_template *t, struct form_page *page)
{
	size_t i, k, pick[33];
	int *failed = xcalloc(t->nchecks + 1, sizeof *failed);

	for (i = 0; i < t->nchecks; i++) {
		const struct form_check *c = &t->checks[i];
		struct check_fields cf;
		struct buf why;
		double v[33];
		int found;

		if (!gather(t, page, c, &cf))
			continue;
		for (k = 0; k < cf.n; k++)
			v[k] = cf.cand[k][0];
		if (form_check_holds(c, v, cf.n, cf.unit)) {
			confirm(page, c, &cf, 0);
			continue;
		}
		found = search(c, &cf, pick);
		if (found == 1) {
			for (k = 0; k < cf.n; k++)
				adopt(&page->fields[cf.idx[k]],
				    cf.cand[k][pick[k]]);
			confirm(page, c, &cf, 1);
			continue;
		}
		buf_init(&why, 4096);
		describe(c, &why, "does not equal");
		for (k = 0; k < cf.n; k++)
			flag_check(&page->fields[cf.idx[k]], buf_str(&why));
		page->review = 1;
		form_add_reason(page, "%s", buf_str(&why));
		buf_free(&why);
		failed[i] = 1;
	}
	verify_linked(t, page, failed);
	free(failed);
}
