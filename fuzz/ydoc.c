/*
 * ydoc.c - fuzz target: the YAML loader every configuration, script and
 * template goes through (common/ydoc.h).
 */
#include <jansson.h>

#include "fuzz.h"
#include "ydoc.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ydoc *doc;
	char err[512];

	doc = ydoc_load_string("fuzz.yaml", (const char *)data, size, err,
	    sizeof err);
	if (doc != NULL) {
		json_decref(ynode_to_json(doc->root));
		ydoc_free(doc);
	}
	return 0;
}
