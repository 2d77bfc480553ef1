/* tests/fuzz/fuzz_pres_rules.c - libFuzzer target: pres-rules documents */
#include <errno.h>
#include <stdlib.h>

#include "base/buf.h"
#include "base/mem.h"
#include "presence/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pres_watcher w[] = {{"sip:alice@example.com", true},
	                           {"tel:+15551234", true},
	                           {"sip:eve@example.org", false}};
	struct pres_rules *r = NULL;
	struct pres_perm p;
	struct buf *b = NULL;
	char key[33];
	int e;

	if (pres_rules_parse(&r, (const char *)data, size, key, sizeof(key)))
		return 0;
	pres_perm_init(&p);
	for (size_t i = 0; i < 3; i++) {
		pres_rules_eval(r, &w[i], i ? "work" : NULL, 1750000000, &p);
		pres_perm_key(&p, key);
	}
	pres_rules_next_change(r, 1750000000);
	e = pres_rules_with(&b, (const char *)data, size, "fz", "sip:b@x.org",
	                    PRES_ALLOW);
	if (e && e != ENOMEM)
		abort(); /* a valid base must take a rule */
	pres_perm_reset(&p);
	mem_deref(b);
	mem_deref(r);
	return 0;
}
