/*
 * mask.c - hide secret values in text and JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mask.h"
#include "xmalloc.h"

void
mask_init(struct mask *m)
{
	m->values = NULL;
	m->n = 0;
}

void
mask_free(struct mask *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->values[i]);
	free(m->values);
	mask_init(m);
}

void
mask_add(struct mask *m, const char *value)
{
	size_t i, len = strlen(value);

	if (len == 0)
		return;
	for (i = 0; i < m->n; i++) {
		if (strcmp(m->values[i], value) == 0)
			return;
	}
	/* Keep the list sorted longest first. */
	m->values = xreallocarray(m->values, m->n + 1, sizeof *m->values);
	for (i = m->n; i > 0 && strlen(m->values[i - 1]) < len; i--)
		m->values[i] = m->values[i - 1];
	m->values[i] = xstrdup(value);
	m->n++;
}

int
mask_hits(const struct mask *m, const char *text)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (strstr(text, m->values[i]) != NULL)
			return 1;
	}
	return 0;
}

char *
mask_text(const struct mask *m, const char *text)
{
	struct buf b;
	const char *p = text, *hit, *best;
	size_t i, bestlen;

	if (!mask_hits(m, text))
		return xstrdup(text);
	buf_init(&b, 0);
	for (;;) {
		best = NULL;
		bestlen = 0;
		for (i = 0; i < m->n; i++) {
			hit = strstr(p, m->values[i]);
			if (hit != NULL && (best == NULL || hit < best)) {
				best = hit;
				bestlen = strlen(m->values[i]);
			}
		}
		if (best == NULL)
			break;
		buf_append(&b, p, (size_t)(best - p));
		buf_puts(&b, MASK_TEXT);
		p = best + bestlen;
	}
	buf_puts(&b, p);
	return buf_detach(&b, NULL);
}

json_t *
mask_json(const struct mask *m, json_t *v)
{
	json_t *r, *item;
	const char *k;
	size_t i;
	char *s;

	if (m->n == 0 || v == NULL)
		return json_incref(v);
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (!mask_hits(m, json_string_value(v)))
			return json_incref(v);
		s = mask_text(m, json_string_value(v));
		r = json_string(s);
		free(s);
		return r;
	case JSON_ARRAY:
		r = json_array();
		json_array_foreach(v, i, item)
			json_array_append_new(r, mask_json(m, item));
		return r;
	case JSON_OBJECT:
		r = json_object();
		json_object_foreach(v, k, item) {
			s = mask_text(m, k);
			json_object_set_new(r, s, mask_json(m, item));
			free(s);
		}
		return r;
	default:
		return json_incref(v);
	}
}
