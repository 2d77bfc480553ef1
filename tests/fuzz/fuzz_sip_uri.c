/* tests/fuzz/fuzz_sip_uri.c - libFuzzer target: URIs and header values */
#include <stdlib.h>

#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl pl = {(const char *)data, size}, v;
	struct sip_uri u;
	struct sip_contact c;
	struct sip_via via;
	struct sip_auth au;
	struct sip_event ev;
	char buf[256];

	if (!sip_uri_decode(&u, &pl, NULL)) {
		if (!sip_uri_cmp(&u, &u))
			abort();
		sip_uri_aor_print(&u, buf, sizeof(buf));
		sip_param_get(&u.params, "transport", &v);
	}
	sip_contact_decode(&c, &pl, NULL);
	sip_via_decode(&via, &pl, NULL);
	sip_auth_decode(&au, &pl, NULL);
	sip_event_decode(&ev, &pl, NULL);
	sip_unescape(&pl, buf, sizeof(buf), NULL);
	return 0;
}
