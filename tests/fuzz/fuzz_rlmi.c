/* tests/fuzz/fuzz_rlmi.c - libFuzzer target: RLMI documents (RFC 4662 5)
 * and multipart/related list bodies (boundary "fz"). A document that
 * decodes must encode, and that must decode to as many resources. */
#include <errno.h>
#include <stdlib.h>

#include "base/buf.h"
#include "base/mem.h"
#include "rls/rlmi.h"

#define CTYPE "multipart/related;type=\"application/rlmi+xml\";boundary=fz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rlmi_doc *d = NULL, *d2 = NULL;
	struct rlmi_body *b = NULL;
	struct buf *mb = NULL;
	char e[128];
	int err;

	if (!rlmi_decode(&d, (const char *)data, size, e, sizeof(e))) {
		err = buf_alloc(&mb, size);
		if (!err)
			err = rlmi_encode(mb, &d->l);
		if (!err)
			err = rlmi_decode(&d2, (const char *)mb->b, mb->end, e,
			                  sizeof(e));
		if ((err && err != ENOMEM) || (!err && d2->l.nres != d->l.nres))
			abort();
	}
	if (!rlmi_body_decode(&b, CTYPE, (const char *)data, size, e,
	                      sizeof(e)) &&
	    b->n && b->parts[b->n - 1].body[b->parts[b->n - 1].len])
		abort();
	mem_deref(b);
	mem_deref(mb);
	mem_deref(d2);
	mem_deref(d);
	return 0;
}
