/* tests/fuzz/fuzz_urilist.c - libFuzzer target: URI-list bodies
 * (RFC 5366 with the copyControl attributes of RFC 5364) */
#include <stdlib.h>

#include "base/mem.h"
#include "list/rlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rlist *l = NULL;
	char err[128];

	if (rlist_urilist_parse(&l, (const char *)data, size, err, sizeof(err)))
		return 0;
	/* flattened: every member once, with a uri and a known copy */
	for (uint32_t i = 0; i < l->n; i++) {
		if (!l->e[i].uri[0] || !l->e[i].list ||
		    l->e[i].copy > RLIST_BCC)
			abort();
		for (uint32_t j = 0; j < i && l->n < 300; j++)
			if (rlist_uri_eq(l->e[i].uri, l->e[j].uri))
				abort();
	}
	mem_deref(l);
	return 0;
}
