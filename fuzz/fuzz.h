/*
 * fuzz.h - the contract of kobito's fuzz targets (docs/fuzzing.md).
 *
 * Each fuzz/NAME.c defines LLVMFuzzerTestOneInput: it is linked with
 * libFuzzer by `make fuzz` (clang), and with replay.c by every build
 * (gcc) as tests/test_fuzz_NAME, which runs it over fuzz/corpus/NAME and
 * fuzz/regressions/NAME.  A target may define LLVMFuzzerInitialize to set
 * up what every input shares (the API target's scheduler).  A target must
 * free everything an input allocated, and must never touch files outside
 * a temporary directory of its own.
 */
#ifndef KOBITO_FUZZ_H
#define KOBITO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

/* A NUL-terminated copy of the input (for APIs that take C strings). */
static inline char *
fuzz_text(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
