/* tests/fuzz/fuzz_conf.c - conf_load_text on arbitrary bytes; what loads
 * must dump and load back the same */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf a, b;
	char eb[256], *out = NULL;
	size_t outlen = 0;
	FILE *f;

	conf_defaults(&a);
	if (conf_load_text(&a, (const char *)data, size, "fuzz", eb,
	                   sizeof(eb)))
		return 0;
	(void)conf_validate(&a, eb, sizeof(eb));
	f = open_memstream(&out, &outlen);
	if (!f)
		return 0;
	conf_dump(&a, f);
	fclose(f);
	conf_defaults(&b);
	if (conf_load_text(&b, out, outlen, "dump", eb, sizeof(eb)))
		abort(); /* conf_dump wrote something conf_load_text refuses */
	free(out);
	return 0;
}
