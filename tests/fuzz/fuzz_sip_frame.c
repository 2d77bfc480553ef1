/* tests/fuzz/fuzz_sip_frame.c - libFuzzer target: resumable stream framer */
#include <errno.h>
#include <stdlib.h>

#include "base/mem.h"
#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t scanned = 0, len = 0, ka = 0, s2 = 0, len2 = 0, ka2 = 0, n;
	int r = ENODATA, whole;

	if (size < 2)
		return 0;
	/* fed in steps of data[0] octets, the verdict must equal one call */
	whole = sip_frame(data + 1, size - 1, &s2, &len2, &ka2, 2048, 8192);
	for (n = 0; r == ENODATA && n < size - 1;) {
		n += 1 + data[0] % 64;
		n = n > size - 1 ? size - 1 : n;
		r = sip_frame(data + 1, n, &scanned, &len, &ka, 2048, 8192);
	}
	if (whole == 0 && (r != 0 || len != len2 || ka != ka2))
		abort();
	if (whole == 0 && ka2 + len2 > size - 1)
		abort();
	return 0;
}
