/* tests/fuzz/fuzz_mime.c - libFuzzer target: multipart bodies (RFC 2046
 * 5.1). The first line is a Content-Type with a boundary parameter, or
 * else the boundary itself; the rest is the body. */
#include <stdlib.h>
#include <string.h>

#include "im/mime.h"

static bool inside(const struct pl *pl, const char *b, size_t len)
{
	return pl->p >= b && pl->l <= len &&
	       pl->p - b <= (ptrdiff_t)(len - pl->l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *lf = memchr(p, '\n', size);
	struct pl first = {p, lf ? (size_t)(lf - p) : size}, bnd, v;
	size_t off = lf ? first.l + 1 : size;
	struct mime_part parts[MIME_MAX_PARTS];
	struct mime_type t;
	uint32_t n = 0;

	if (first.l && p[first.l - 1] == '\r')
		first.l--;
	bnd = first;
	if (!mime_type_parse(&t, &first) && mime_type_is(&t, "multipart/*") &&
	    mime_param(&t, "boundary", &v) == 0)
		bnd = v;
	if (mime_multipart(&bnd, p + off, size - off, parts, MIME_MAX_PARTS, &n,
	                   NULL))
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!inside(&parts[i].hdrs, p + off, size - off) ||
		    !inside(&parts[i].body, p + off, size - off))
			abort();
		mime_hdr(&parts[i].hdrs, "Content-ID", &v);
	}
	return 0;
}
