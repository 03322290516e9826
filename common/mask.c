/*
 * mask.c - hide secret values in text and JSON.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "buf.h"
#include "mask.h"
#include "textutil.h"
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

int
mask_long_enough(const char *value)
{
	return text_utf8_chars(value, strlen(value)) >= MASK_MIN_CHARS;
}

/* Register one exact string (copied), keeping the list longest first. */
static void
add_one(struct mask *m, const char *value)
{
	size_t i, len = strlen(value);

	if (len == 0)
		return;
	for (i = 0; i < m->n; i++) {
		if (strcmp(m->values[i], value) == 0)
			return;
	}
	m->values = xreallocarray(m->values, m->n + 1, sizeof *m->values);
	for (i = m->n; i > 0 && strlen(m->values[i - 1]) < len; i--)
		m->values[i] = m->values[i - 1];
	m->values[i] = xstrdup(value);
	m->n++;
}

/* value as the inside of a JSON string, with flags; a copy or NULL. */
static char *
json_escaped(const char *value, size_t flags)
{
	json_t *s = json_string(value);
	char *text;
	size_t len;

	if (s == NULL)
		return NULL;	/* not UTF-8: never written as JSON */
	text = json_dumps(s, JSON_ENCODE_ANY | flags);
	json_decref(s);
	if (text == NULL)
		return NULL;
	len = strlen(text);
	memmove(text, text + 1, len - 2);	/* without the quotes */
	text[len - 2] = '\0';
	return text;
}

/*
 * value JSON-escaped, and escaped again as JSON text that holds it is put
 * in a string (a body sent as JSON, echoed in a JSON answer, logged as an
 * object): up to JSON_LEVELS deep, with \u escapes in either case of hex.
 */
#define JSON_LEVELS	3

static void
add_json_escaped(struct mask *m, const char *value, size_t flags)
{
	char *text = xstrdup(value), *next, *p;
	int level;
	size_t i;

	for (level = 0; level < JSON_LEVELS; level++) {
		if ((next = json_escaped(text, flags)) == NULL)
			break;
		free(text);
		text = next;
		add_one(m, text);
		if (!(flags & JSON_ENSURE_ASCII))
			continue;
		/* jansson writes \u00E9, others \u00e9: both. */
		next = xstrdup(text);
		for (p = strstr(next, "\\u"); p != NULL;
		    p = strstr(p + 2, "\\u"))
			for (i = 2; i < 6 && p[i] != '\0'; i++)
				p[i] = (char)tolower((unsigned char)p[i]);
		add_one(m, next);
		free(next);
	}
	free(text);
}

static void
add_base64(struct mask *m, const char *value)
{
	size_t n = strlen(value);
	size_t size = sodium_base64_encoded_len(n,
	    sodium_base64_VARIANT_ORIGINAL);
	char *b = xmalloc(size);

	sodium_bin2base64(b, size, (const unsigned char *)value, n,
	    sodium_base64_VARIANT_ORIGINAL);
	add_one(m, b);
	free(b);
}

int
mask_add(struct mask *m, const char *value)
{
	char *enc;

	if (!mask_long_enough(value))
		return -1;
	add_one(m, value);
	enc = text_percent_encode(value);
	add_one(m, enc);
	free(enc);
	add_json_escaped(m, value, 0);
	add_json_escaped(m, value, JSON_ENSURE_ASCII);
	add_base64(m, value);
	return 0;
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
		/* Keys are names, not data: never changed. */
		json_object_foreach(v, k, item)
			json_object_set_new(r, k, mask_json(m, item));
		return r;
	default:
		return json_incref(v);
	}
}
