/* tests/fuzz/fuzz_imdn.c - libFuzzer target: IMDN (RFC 5438) documents
 * and Disposition-Notification values; what parses prints and parses back
 * the same */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "im/imdn.h"

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl v = {(const char *)data, size};
	struct imdn d, d2;
	struct buf *mb = NULL;
	uint32_t bits = imdn_disp_parse(&v);
	char b[80];

	if (imdn_disp_print(b, sizeof(b), bits) ||
	    (pl_set_str(&v, b), imdn_disp_parse(&v) != bits))
		abort();
	if (imdn_parse(&d, (const char *)data, size, b, sizeof(b)))
		return 0;
	memset(&d2, 0, sizeof(d2));
	if (imdn_print(&mb, &d) ||
	    imdn_parse(&d2, (const char *)mb->b, mb->end, NULL, 0) ||
	    !same(d.message_id, d2.message_id) ||
	    !same(d.datetime, d2.datetime) ||
	    !same(d.recipient_uri, d2.recipient_uri) ||
	    !same(d.original_recipient_uri, d2.original_recipient_uri) ||
	    !same(d.subject, d2.subject) || d.kind != d2.kind ||
	    d.status != d2.status)
		abort();
	imdn_reset(&d);
	imdn_reset(&d2);
	mem_deref(mb);
	return 0;
}
