/* sip/frame.c - stream framing (RFC 3261 18.3, RFC 5626 4.4.1) */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "msg.h"
#include "msg_int.h"

/*
 * *scanned is relative to the message start (after keep-alive CRLFs, which
 * are counted again on each call, so a caller may or may not have consumed
 * them). While the header section is incomplete it is the offset where the
 * search for the empty line resumes; once the header section is complete
 * it holds the whole message length with the top bit set, so neither the
 * headers nor Content-Length are looked at again while the body arrives.
 */
#define KNOWN ((size_t)1 << (sizeof(size_t) * 8 - 1))

/* Value of a Content-Length field [p, e) (folding allowed around it). */
static int clen_value(const uint8_t *p, const uint8_t *e, uint64_t *v)
{
	uint64_t x = 0;
	const uint8_t *s;

	while (p < e && ct_is((char)*p, CT_LWS))
		++p;
	for (s = p; p < e && *p >= '0' && *p <= '9'; p++) {
		if (x < (UINT64_MAX / 16))
			x = x * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return EBADMSG;
	while (p < e && ct_is((char)*p, CT_LWS))
		++p;
	if (p != e)
		return EBADMSG;
	*v = x;
	return 0;
}

/* Find Content-Length / l in the header section q[0..n). */
static int find_clen(const uint8_t *q, size_t n, uint64_t *clen)
{
	const uint8_t *e = q + n, *p;
	bool found = false;

	p = memchr(q, '\n', n); /* skip the start line */
	while (p && ++p < e) {
		const uint8_t *s = p, *t, *fe;
		size_t nl;
		uint64_t v;

		/* end of this field: a LF not followed by SP/HTAB */
		for (fe = p;; fe++) {
			fe = memchr(fe, '\n', (size_t)(e - fe));
			if (!fe || fe + 1 >= e ||
			    (fe[1] != ' ' && fe[1] != '\t'))
				break;
		}
		if (!fe)
			fe = e;
		p = fe < e ? fe : NULL;

		if (*s != 'c' && *s != 'C' && *s != 'l' && *s != 'L')
			continue;
		for (t = s; t < fe && ct_is((char)*t, CT_TOKEN); t++)
			;
		nl = (size_t)(t - s);
		if (!pl_ieq((const char *)s, nl, "content-length", 14) &&
		    !pl_ieq((const char *)s, nl, "l", 1))
			continue;
		while (t < fe && (*t == ' ' || *t == '\t'))
			++t;
		if (t == fe || *t != ':')
			return EBADMSG;
		if (clen_value(t + 1, fe, &v))
			return EBADMSG;
		if (found && v != *clen)
			return EBADMSG;
		*clen = v;
		found = true;
	}
	return found ? 0 : EBADMSG;
}

int sip_frame(const uint8_t *p, size_t n, size_t *scanned, size_t *len,
              size_t *ka_len, size_t max_hdr, size_t max_msg)
{
	size_t ka = 0, m, i, hdr_end = 0, total;
	const uint8_t *q;
	uint64_t clen = 0;

	if ((!p && n) || !scanned || !len)
		return EINVAL;
	while (ka < n && (p[ka] == '\r' || p[ka] == '\n'))
		++ka;
	if (ka_len)
		*ka_len = ka;
	q = p + ka;
	m = n - ka;

	if (*scanned & KNOWN) {
		total = *scanned & ~KNOWN;
		if (m < total)
			return ENODATA;
		*len = total;
		return 0;
	}
	if (!m)
		return ENODATA;

	/* the empty line: LF (CR) LF */
	for (i = *scanned < m ? *scanned : m; i < m;) {
		const uint8_t *nl = memchr(q + i, '\n', m - i);

		if (!nl) {
			i = m;
			break;
		}
		i = (size_t)(nl - q);
		if (i + 1 >= m)
			break;
		if (q[i + 1] == '\n') {
			hdr_end = i + 2;
			break;
		}
		if (q[i + 1] == '\r') {
			if (i + 2 >= m)
				break;
			if (q[i + 2] == '\n') {
				hdr_end = i + 3;
				break;
			}
		}
		++i;
	}
	if (!hdr_end) {
		if (max_hdr && m > max_hdr)
			return EBADMSG;
		*scanned = i;
		return ENODATA;
	}
	if (max_hdr && hdr_end > max_hdr)
		return EBADMSG;

	if (find_clen(q, hdr_end, &clen))
		return EBADMSG;
	if (clen > (KNOWN >> 1) - hdr_end)
		return EMSGSIZE;
	total = hdr_end + (size_t)clen;
	if (max_msg && total > max_msg)
		return EMSGSIZE;
	*scanned = total | KNOWN;
	if (m < total)
		return ENODATA;
	*len = total;
	return 0;
}
