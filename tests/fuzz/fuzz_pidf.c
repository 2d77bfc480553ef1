/* tests/fuzz/fuzz_pidf.c - libFuzzer target: PIDF parse (strict and
 * lenient), print, compose, transform; what impd prints parses again */
#include <stdlib.h>

#include "base/buf.h"
#include "base/mem.h"
#include "presence/pidf.h"

static void reparse(const struct pidf *d)
{
	struct buf *mb = NULL;
	struct pidf *d2 = NULL;

	if (d && (pidf_print(&mb, d) || pidf_parse(&d2, (const char *)mb->b,
	                                           mb->end, false, NULL, 0)))
		abort();
	mem_deref(d2);
	mem_deref(mb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pidf *d[4] = {NULL, NULL, NULL, NULL};
	struct pres_perm p = {.persons.all = true,
	                      .services.all = true,
	                      .attrs = PRES_ATTR_ACTIVITIES};

	pidf_parse(&d[0], (const char *)data, size, false, NULL, 0);
	if (!pidf_parse(&d[1], (const char *)data, size, true, NULL, 0)) {
		struct pres_source src[2] = {{"a", PRES_SRC_PUBLISH, 1, d[1]},
		                             {"b", PRES_SRC_TRUSTED, 1, d[1]}};

		if (pres_compose(&d[2], "sip:a@example.com", src, 2) ||
		    pres_transform(&d[3], d[2], &p))
			abort();
	}
	for (int i = 0; i < 4; i++) {
		reparse(d[i]);
		mem_deref(d[i]);
	}
	return 0;
}
