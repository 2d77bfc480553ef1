/* tests/fuzz/fuzz_reginfo.c - libFuzzer target: reginfo (RFC 3680) */
#include <errno.h>
#include <stdlib.h>

#include "base/mem.h"
#include "presence/reginfo.h"

/* Whatever parses must build again (once per registration), and that
 * must parse. */
static void contact_h(const struct reginfo_reg *reg,
                      const struct reginfo_contact *c, void *arg)
{
	struct reginfo_info info;
	struct buf *mb = NULL;
	int err;

	(void)arg;
	if (c && c != reg->contacts)
		return;
	err = reginfo_doc_build(&mb, 1, false, reg, 1);
	if (!err)
		err = reginfo_doc_parse((const char *)mb->b, mb->end, &info,
		                        NULL, NULL, NULL, 0);
	if (err && err != ENOMEM)
		abort();
	mem_deref(mb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reginfo_info info;
	char err[128];

	reginfo_doc_parse((const char *)data, size, &info, contact_h, NULL, err,
	                  sizeof(err));
	return 0;
}
