/*
 * template.c - fuzz target: the form template loader of OCR
 * (recognizers/form.h).
 */
#include "form.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form_template *t;
	char err[8192];

	t = form_template_load_string("fuzz.yaml", (const char *)data, size,
	    err, sizeof err);
	form_template_free(t);
	return 0;
}
