/*
 * csv.c - fuzz target: reading CSV in every encoding kobito reads
 * (common/csv.h, common/charset.h).  The first byte picks the encoding
 * and the separator; the rest is the file's bytes, decoded to UTF-8 and
 * parsed, as csv.read does.
 */
#include <stdlib.h>

#include "charset.h"
#include "csv.h"
#include "fuzz.h"

static const char *const encodings[] = {
	"utf-8", "shift_jis", "cp932", "euc-jp", "auto", "utf-8-bom",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_table table = { 0 };
	struct csv_error cerr;
	const char *enc;
	char err[256], *text, *back;
	size_t len, blen, bad;

	if (size < 1)
		return 0;
	enc = encodings[data[0] % (sizeof encodings / sizeof encodings[0])];
	if (charset_decode(enc, (const char *)data + 1, size - 1, &text, &len,
	    err, sizeof err) != 0)
		return 0;
	if (csv_parse(text, len, data[0] & 0x80 ? '\t' : ',', &table,
	    &cerr) == 0 && charset_encode(enc, text, len, &back, &blen, &bad,
	    err, sizeof err) == 0)
		free(back);
	csv_table_free(&table);
	free(text);
	return 0;
}
