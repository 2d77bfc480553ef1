/* tests/fuzz/fuzz_rlist.c - libFuzzer target: resource-lists and
 * rls-services (RFC 4826); what the editors write parses again */
#include <errno.h>
#include <stdlib.h>

#include "base/buf.h"
#include "base/mem.h"
#include "list/rlist.h"

/* The editor's result (or E2BIG: too many entries in all) parses. */
static void check(int err, struct buf *mb)
{
	struct rls_services *s = NULL;

	if ((err && err != E2BIG) ||
	    (!err &&
	     rls_services_parse(&s, (const char *)mb->b, mb->end, NULL, 0)))
		abort();
	mem_deref(s);
	mem_deref(mb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *const m[] = {"sip:a@example.com", "tel:+15550100"};
	const char *xml = (const char *)data;
	struct rls_services *s = NULL;
	struct rlist **v = NULL;
	struct buf *mb = NULL;
	uint32_t n;
	int err;

	if (!rlist_doc_parse(&v, &n, xml, size, NULL, 0) && v[n])
		abort();
	mem_deref(v);
	if (rls_services_parse(&s, xml, size, NULL, 0))
		return 0;
	err = rls_services_with(&mb, xml, size, "sip:f@example.com", m, 2,
	                        "presence");
	check(err, err ? NULL : mb);
	mb = NULL;
	if (s->n) {
		err = rls_services_without(&mb, xml, size, s->s[0].uri);
		check(err, err ? NULL : mb);
	}
	mem_deref(s);
	return 0;
}
