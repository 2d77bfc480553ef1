/* sip/uri.c - SIP/SIPS/tel URIs (RFC 3261 19.1, 25.1; RFC 3966; RFC 5118) */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "msg.h"
#include "msg_int.h"

static int bad(struct parse_err *pe, const char *p, const char *base)
{
	pe_set(pe, "Malformed URI", base ? (size_t)(p - base) : 0);
	return EBADMSG;
}

/* Skip 0 or more octets of class mask or %HH escapes. NULL on a broken
 * escape. */
static const char *skip_esc(const char *p, const char *e, uint16_t mask)
{
	while (p < e) {
		if (ct_is(*p, mask)) {
			++p;
		} else if (*p == '%') {
			if (e - p < 3 || hexval(p[1]) < 0 || hexval(p[2]) < 0)
				return NULL;
			p += 3;
		} else {
			break;
		}
	}
	return p;
}

/* Next octet of an escaped string, decoding %HH; -1 at the end. */
static int esc_next(const char **pp, const char *e)
{
	const char *p = *pp;
	int c;

	if (p >= e)
		return -1;
	if (*p == '%' && e - p >= 3 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
		c = hexval(p[1]) * 16 + hexval(p[2]);
		*pp = p + 3;
		return c;
	}
	*pp = p + 1;
	return (uint8_t)*p;
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Escaped slices equal after unescaping (RFC 3261 19.1.4). */
static bool esc_eq(const struct pl *a, const struct pl *b, bool icase)
{
	const char *p, *pe, *q, *qe;

	if (!a->l || !b->l)
		return a->l == b->l;
	p = a->p;
	pe = a->p + a->l;
	q = b->p;
	qe = b->p + b->l;
	for (;;) {
		int x = esc_next(&p, pe), y = esc_next(&q, qe);

		if (icase) {
			x = lower(x);
			y = lower(y);
		}
		if (x != y)
			return false;
		if (x < 0)
			return true;
	}
}

/* Escaped slice equals a lower-case literal, case-insensitively. */
static bool esc_ieq_lit(const char *p, size_t l, const char *lit)
{
	const char *e = p + l;
	size_t i = 0;

	if (!memchr(p, '%', l))
		return pl_ieq(p, l, lit, strlen(lit));
	for (;;) {
		int c = esc_next(&p, e);

		if (c < 0)
			return lit[i] == '\0';
		if (!lit[i] || lower(c) != lit[i])
			return false;
		++i;
	}
}

static void uri_param(struct sip_uri *uri, const char *n, size_t nl,
                      const char *v, size_t vl)
{
	struct pl val = {v, vl};

	if (nl != 2 && nl != 4 && nl != 5 && nl != 9 && !memchr(n, '%', nl))
		return;
	if (esc_ieq_lit(n, nl, "lr")) {
		uri->lr = true;
	} else if (esc_ieq_lit(n, nl, "gr")) {
		uri->has_gr = true;
		uri->gr = val;
	} else if (esc_ieq_lit(n, nl, "user")) {
		uri->user_param = val;
	} else if (esc_ieq_lit(n, nl, "maddr")) {
		uri->maddr = val;
	} else if (esc_ieq_lit(n, nl, "transport")) {
		uri->transport = val;
	}
}

/* ;name[=value] *(...) up to '?' or e (RFC 3261 uri-parameters). */
static const char *uri_params(struct sip_uri *uri, const char *p, const char *e)
{
	while (p < e && *p == ';') {
		const char *n = ++p, *v = NULL;
		size_t nl;

		p = skip_esc(p, e, CT_PARAM);
		if (!p || p == n)
			return NULL;
		nl = (size_t)(p - n);
		if (p < e && *p == '=') {
			v = ++p;
			p = skip_esc(p, e, CT_PARAM);
			if (!p || p == v)
				return NULL;
		}
		if (uri && v)
			uri_param(uri, n, nl, v, (size_t)(p - v));
		else if (uri)
			uri_param(uri, n, nl, p, 0);
	}
	return p;
}

/* hname "=" hvalue *( "&" header ) */
static bool uri_headers(const char *p, const char *e)
{
	for (;;) {
		const char *s = p;

		p = skip_esc(p, e, CT_HNV);
		if (!p || p == s || p == e || *p != '=')
			return false;
		p = skip_esc(p + 1, e, CT_HNV);
		if (!p)
			return false;
		if (p == e)
			return true;
		if (*p != '&')
			return false;
		++p;
	}
}

static int decode_sip(struct sip_uri *uri, const char *p, const char *e,
                      const char *base, struct parse_err *pe)
{
	const char *at = memrchr(p, '@', (size_t)(e - p)), *h, *s;

	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		const char *ue = colon ? colon : at;

		s = skip_esc(p, ue, CT_USER);
		if (!s || s != ue || s == p)
			return bad(pe, p, base);
		uri->user.p = p;
		uri->user.l = (size_t)(ue - p);
		if (colon) {
			s = skip_esc(colon + 1, at, CT_PASS);
			if (!s || s != at)
				return bad(pe, colon, base);
			uri->password.p = colon + 1;
			uri->password.l = (size_t)(at - colon - 1);
		}
		h = at + 1;
	} else {
		h = p;
	}

	if (h == e)
		return bad(pe, h, base);
	if (*h == '[') {
		const char *q = memchr(h, ']', (size_t)(e - h));

		if (!q || !sip_ipv6_valid(h + 1, (size_t)(q - h - 1)))
			return bad(pe, h, base);
		uri->host.p = h + 1;
		uri->host.l = (size_t)(q - h - 1);
		uri->af = AF_INET6;
		h = q + 1;
	} else {
		bool num = true;

		for (s = h; h < e && ct_is(*h, CT_HOST); h++) {
			if (!ct_is(*h, CT_DIGIT) && *h != '.')
				num = false;
		}
		if (h == s)
			return bad(pe, h, base);
		uri->host.p = s;
		uri->host.l = (size_t)(h - s);
		if (num) {
			if (!sip_ipv4_valid(s, uri->host.l))
				return bad(pe, s, base);
			uri->af = AF_INET;
		}
	}

	if (h < e && *h == ':') {
		uint32_t port = 0;

		s = ++h;
		while (h < e && ct_is(*h, CT_DIGIT) && h - s < 6) {
			port = port * 10 + (uint32_t)(*h - '0');
			++h;
		}
		if (h == s || port > 65535)
			return bad(pe, s, base);
		uri->port = (uint16_t)port;
	}

	if (h < e && *h == ';') {
		s = h;
		h = uri_params(uri, h, e);
		if (!h)
			return bad(pe, s, base);
		uri->params.p = s;
		uri->params.l = (size_t)(h - s);
	}

	if (h < e && *h == '?') {
		if (!uri_headers(h + 1, e))
			return bad(pe, h, base);
		uri->headers.p = h + 1;
		uri->headers.l = (size_t)(e - h - 1);
		h = e;
	}

	if (h != e)
		return bad(pe, h, base);
	return 0;
}

static int decode_tel(struct sip_uri *uri, const char *p, const char *e,
                      const char *base, struct parse_err *pe)
{
	const char *s = p;

	while (p < e && ct_is(*p, CT_TEL))
		++p;
	if (p == s)
		return bad(pe, p, base);
	uri->user.p = s;
	uri->user.l = (size_t)(p - s);
	if (p < e && *p == ';') {
		s = p;
		p = uri_params(NULL, p, e);
		if (!p)
			return bad(pe, s, base);
		uri->params.p = s;
		uri->params.l = (size_t)(p - s);
	}
	if (p != e)
		return bad(pe, p, base);
	return 0;
}

int sip_uri_decode(struct sip_uri *uri, const struct pl *pl,
                   struct parse_err *pe)
{
	const char *p, *e, *s;

	if (!uri || !pl)
		return EINVAL;
	memset(uri, 0, sizeof(*uri));
	if (!pl->p || !pl->l)
		return bad(pe, NULL, NULL);
	p = pl->p;
	e = p + pl->l;

	if (!ct_is(*p, CT_ALPHA))
		return bad(pe, p, pl->p);
	for (s = p + 1; s < e && ct_is(*s, CT_SCHEME); s++)
		;
	if (s == e || *s != ':')
		return bad(pe, s, pl->p);
	uri->scheme.p = p;
	uri->scheme.l = (size_t)(s - p);
	++s;

	if (PL_IEQ(&uri->scheme, "sip") || PL_IEQ(&uri->scheme, "sips")) {
		uri->is_sip = true;
		uri->sips = uri->scheme.l == 4;
		return decode_sip(uri, s, e, pl->p, pe);
	}
	if (PL_IEQ(&uri->scheme, "tel")) {
		uri->is_tel = true;
		return decode_tel(uri, s, e, pl->p, pe);
	}

	/* any other scheme: opaque, the rest in user */
	if (s == e)
		return bad(pe, s, pl->p);
	for (const char *q = s; q < e; q++) {
		uint8_t c = (uint8_t)*q;

		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"')
			return bad(pe, q, pl->p);
	}
	uri->user.p = s;
	uri->user.l = (size_t)(e - s);
	return 0;
}

/* --- parameters --- */

/* Iterate ";name=value" items of a parameter list (URI or header
 * parameters), skipping quoted strings. */
struct piter {
	const char *p, *e;
};

static bool piter_next(struct piter *it, struct pl *name, struct pl *val,
                       bool *has_val)
{
	const char *p = it->p, *e = it->e, *s, *eq = NULL, *q;

	while (p < e && (*p == ';' || ct_is(*p, CT_LWS)))
		++p;
	if (p >= e)
		return false;
	s = p;
	while (p < e && *p != ';') {
		if (*p == '"') {
			q = sip_skip_quoted(p, e);
			p = q ? q : e;
			continue;
		}
		if (*p == '=' && !eq)
			eq = p;
		++p;
	}
	it->p = p;

	q = eq ? eq : p;
	trim_lws(&s, &q);
	name->p = s;
	name->l = (size_t)(q - s);
	if (eq) {
		const char *vs = eq + 1, *ve = p;

		trim_lws(&vs, &ve);
		val->p = vs;
		val->l = (size_t)(ve - vs);
		*has_val = true;
	} else {
		val->p = p;
		val->l = 0;
		*has_val = false;
	}
	return true;
}

/* The value is returned as written: a quoted-string keeps its quotes,
 * escapes are not undone. */
int sip_param_get(const struct pl *params, const char *name, struct pl *val)
{
	struct piter it;
	struct pl n, v;
	bool hv;
	size_t nl;

	if (!params || !name)
		return EINVAL;
	if (!params->p || !params->l)
		return ENOENT;
	it.p = params->p;
	it.e = params->p + params->l;
	nl = strlen(name);
	while (piter_next(&it, &n, &v, &hv)) {
		if (pl_ieq(n.p, n.l, name, nl)) {
			if (val)
				*val = v;
			return 0;
		}
	}
	return ENOENT;
}

bool sip_param_exists(const struct pl *params, const char *name)
{
	return sip_param_get(params, name, NULL) == 0;
}

int sip_unescape(const struct pl *in, char *buf, size_t size, size_t *len)
{
	const char *p, *e;
	size_t n = 0;

	if (!in || !buf || !size)
		return EINVAL;
	p = in->p;
	e = p ? p + in->l : p;
	while (p < e) {
		char c = *p;

		if (c == '%') {
			if (e - p < 3 || hexval(p[1]) < 0 || hexval(p[2]) < 0)
				return EBADMSG;
			c = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 3;
		} else {
			++p;
		}
		if (n + 1 >= size)
			return ERANGE;
		buf[n++] = c;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return 0;
}

/* --- comparison (RFC 3261 19.1.4) --- */

static bool host_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->af == AF_INET6 && b->af == AF_INET6) {
		char sa[64], sb[64];
		uint8_t xa[16], xb[16];

		if (a->host.l >= sizeof(sa) || b->host.l >= sizeof(sb))
			return false;
		memcpy(sa, a->host.p, a->host.l);
		sa[a->host.l] = '\0';
		memcpy(sb, b->host.p, b->host.l);
		sb[b->host.l] = '\0';
		/* forms inet_pton refuses (leading zeros in an IPv4
		 * tail) compare as text */
		if (inet_pton(AF_INET6, sa, xa) == 1 &&
		    inet_pton(AF_INET6, sb, xb) == 1)
			return !memcmp(xa, xb, 16);
	}
	return !pl_casecmp(&a->host, &b->host);
}

/* Find parameter name (escape-aware) in params. */
static bool param_find(const struct pl *params, const struct pl *name,
                       struct pl *val, bool *has_val)
{
	struct piter it;
	struct pl n;

	if (!params->p)
		return false;
	it.p = params->p;
	it.e = params->p + params->l;
	while (piter_next(&it, &n, val, has_val)) {
		if (esc_eq(&n, name, true))
			return true;
	}
	return false;
}

static bool is_strict_param(const struct pl *n)
{
	static const char *const strict[] = {"user", "ttl", "method", "maddr",
	                                     "transport"};

	for (size_t i = 0; i < sizeof(strict) / sizeof(strict[0]); i++) {
		if (esc_ieq_lit(n->p, n->l, strict[i]))
			return true;
	}
	return false;
}

/* Each parameter of a found in b must match; strict ones must exist in
 * both. A repeated name counts by its first occurrence. */
static bool params_sub(const struct pl *a, const struct pl *b, bool all)
{
	struct piter it;
	struct pl n, v, bv, done;
	bool hv, bhv;

	if (!a->p)
		return true;
	it.p = a->p;
	it.e = a->p + a->l;
	while (piter_next(&it, &n, &v, &hv)) {
		done.p = a->p;
		done.l = (size_t)(n.p - a->p);
		if (param_find(&done, &n, &bv, &bhv))
			continue;
		if (!param_find(b, &n, &bv, &bhv)) {
			if (all || is_strict_param(&n))
				return false;
			continue;
		}
		if (hv != bhv || !esc_eq(&v, &bv, true))
			return false;
	}
	return true;
}

/* All URI headers of a present and equal in b. */
static bool headers_sub(const struct pl *a, const struct pl *b)
{
	const char *p, *e;

	if (!a->l)
		return true;
	if (!b->l)
		return false;
	p = a->p;
	e = a->p + a->l;
	while (p < e) {
		const char *s = p, *eq, *amp = memchr(p, '&', (size_t)(e - p));
		const char *q = b->p, *qe = b->p + b->l; /* b->l > 0 */
		struct pl an, av;
		bool found = false;

		if (!amp)
			amp = e;
		eq = memchr(s, '=', (size_t)(amp - s));
		if (!eq)
			eq = amp;
		an.p = s;
		an.l = (size_t)(eq - s);
		av.p = eq < amp ? eq + 1 : amp;
		av.l = (size_t)(amp - av.p);

		while (q && q < qe) {
			const char *bamp = memchr(q, '&', (size_t)(qe - q));
			const char *beq;
			struct pl bn, bv;

			if (!bamp)
				bamp = qe;
			beq = memchr(q, '=', (size_t)(bamp - q));
			if (!beq)
				beq = bamp;
			bn.p = q;
			bn.l = (size_t)(beq - q);
			bv.p = beq < bamp ? beq + 1 : bamp;
			bv.l = (size_t)(bamp - bv.p);
			if (esc_eq(&an, &bn, true) && esc_eq(&av, &bv, false)) {
				found = true;
				break;
			}
			q = bamp + 1;
		}
		if (!found)
			return false;
		p = amp + 1;
	}
	return true;
}

/* tel numbers equal ignoring visual separators (RFC 3966 4). */
static bool tel_eq(const struct pl *a, const struct pl *b)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < a->l && strchr("-.()", a->p[i]))
			++i;
		while (j < b->l && strchr("-.()", b->p[j]))
			++j;
		if (i == a->l || j == b->l)
			return i == a->l && j == b->l;
		if (lower((uint8_t)a->p[i]) != lower((uint8_t)b->p[j]))
			return false;
		++i;
		++j;
	}
}

bool sip_uri_cmp(const struct sip_uri *a, const struct sip_uri *b)
{
	if (!a || !b)
		return false;
	if (pl_casecmp(&a->scheme, &b->scheme))
		return false;
	if (a->is_tel) {
		return tel_eq(&a->user, &b->user) &&
		       params_sub(&a->params, &b->params, true) &&
		       params_sub(&b->params, &a->params, true);
	}
	if (!a->is_sip)
		return !pl_cmp(&a->user, &b->user);

	if (!esc_eq(&a->user, &b->user, false) ||
	    !esc_eq(&a->password, &b->password, false))
		return false;
	if (!host_eq(a, b) || a->port != b->port)
		return false;
	if (!params_sub(&a->params, &b->params, false) ||
	    !params_sub(&b->params, &a->params, false))
		return false;
	return headers_sub(&a->headers, &b->headers) &&
	       headers_sub(&b->headers, &a->headers);
}

/* --- printing --- */

/* The user part is unescaped except for octets that cannot stand in a user
 * part unescaped (NUL, SP, '@', ':', '%' ...), which are printed as %XX
 * in upper case: URIs equal by 19.1.4 (scheme, user, host, port) print
 * the same key, and "%00" and "%00%00" stay distinct (RFC 4475 escnull).
 * Non-SIP schemes are printed as received, scheme in lower case. */
int sip_uri_aor_print(const struct sip_uri *uri, char *buf, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *p, *e;
	size_t n = 0;

#define PUT(c)                                                                 \
	do {                                                                   \
		if (n + 1 >= size)                                             \
			return ERANGE;                                         \
		buf[n++] = (char)(c);                                          \
	} while (0)

	if (!uri || !buf || !size)
		return EINVAL;
	for (size_t i = 0; i < uri->scheme.l; i++)
		PUT(lower((uint8_t)uri->scheme.p[i]));
	PUT(':');

	if (!uri->is_sip) {
		for (size_t i = 0; i < uri->user.l; i++)
			PUT(uri->user.p[i]);
		buf[n] = '\0';
		return 0;
	}
	/* user: unescaped, except octets that cannot stand unescaped in a
	 * user part (so distinct users keep distinct keys: %00, '@'...) */
	p = uri->user.p;
	e = p ? p + uri->user.l : p;
	while (p < e) {
		int c = esc_next(&p, e);

		if (ct_is((char)c, CT_USER)) {
			PUT(c);
		} else {
			PUT('%');
			PUT(hex[c >> 4]);
			PUT(hex[c & 15]);
		}
	}
	if (uri->user.l)
		PUT('@');
	if (uri->af == AF_INET6)
		PUT('[');
	for (size_t i = 0; i < uri->host.l; i++)
		PUT(lower((uint8_t)uri->host.p[i]));
	if (uri->af == AF_INET6)
		PUT(']');
	if (uri->port) {
		char pb[8];
		int k = snprintf(pb, sizeof(pb), ":%u", uri->port);

		for (int i = 0; i < k; i++)
			PUT(pb[i]);
	}
	buf[n] = '\0';
	return 0;
#undef PUT
}
