/*
 * script.c - fuzz target: loading and checking a script (what
 * `kobito validate`, the scheduler and every agent do with a script they
 * are given).  Included files come from an empty bundle: the loader is
 * asked to read from a directory of its own that holds nothing.
 */
#include <jansson.h>

#include "fuzz.h"
#include "script.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag diag = { NULL, 0 };
	struct script *s;
	json_t *files = json_object(), *desc;

	s = script_load_bundle("fuzz.yaml", (const char *)data, size, files,
	    &diag);
	if (s != NULL) {
		desc = script_describe(s);
		json_decref(desc);
		script_free(s);
	}
	diag_free(&diag);
	json_decref(files);
	return 0;
}
