/* sip/parse_lex.c - SIP lexical helpers (RFC 3261 25.1, RFC 5118) */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "msg_int.h"

const char *sip_skip_quoted(const char *p, const char *e)
{
	for (const char *q = p + 1; q < e; q++) {
		uint8_t c = (uint8_t)*q;

		if (c == '"')
			return q + 1;
		if (c == '\\') {
			/* quoted-pair: any octet but CR and LF */
			if (q + 1 >= e || q[1] == '\r' || q[1] == '\n')
				return NULL;
			++q;
			continue;
		}
		if (c == '\r' || c == '\n' || c == '\t')
			continue; /* folding: the line joiner checked it */
		if (c < 0x20 || c == 0x7f)
			return NULL;
	}
	return NULL;
}

/* p at '[': the octet after ']' of a valid IPv6 reference, or NULL. */
static const char *skip_v6ref(const char *p, const char *e)
{
	const char *q = memchr(p, ']', (size_t)(e - p));

	if (!q || !sip_ipv6_valid(p + 1, (size_t)(q - p - 1)))
		return NULL;
	return q + 1;
}

int sip_hparam_next(struct hparam_it *it, struct pl *name, struct pl *val,
                    bool *has_val)
{
	const char *p = skip_lws(it->p, it->e), *e = it->e, *s;

	if (p == e) {
		it->p = p;
		return ENOENT;
	}
	if (*p != ';')
		return EBADMSG;
	p = skip_lws(p + 1, e);
	s = p;
	p = skip_token(p, e);
	if (p == s)
		return EBADMSG;
	name->p = s;
	name->l = (size_t)(p - s);
	val->p = p;
	val->l = 0;
	*has_val = false;

	s = skip_lws(p, e);
	if (s < e && *s == '=') {
		s = skip_lws(s + 1, e);
		if (s == e)
			return EBADMSG;
		if (*s == '"') {
			p = sip_skip_quoted(s, e);
		} else if (*s == '[') {
			p = skip_v6ref(s, e);
		} else {
			p = s;
			while (p < e && (ct_is(*p, CT_TOKEN) ||
			                 (it->via_vals && *p == ':')))
				++p;
			if (p == s)
				p = NULL;
		}
		if (!p)
			return EBADMSG;
		val->p = s;
		val->l = (size_t)(p - s);
		*has_val = true;
	}
	it->p = p;
	return 0;
}

int sip_dec_u64(const struct pl *pl, uint64_t *v, bool *ovf)
{
	uint64_t x = 0;
	bool o = false;

	if (!pl->p || !pl->l)
		return EBADMSG;
	for (size_t i = 0; i < pl->l; i++) {
		unsigned d = (uint8_t)pl->p[i] - '0';

		if (d > 9)
			return EBADMSG;
		/* 19 digits always fit; check only beyond */
		if (i >= 19 && !o && x > (UINT64_MAX - d) / 10)
			o = true;
		x = o ? UINT64_MAX : x * 10 + d;
	}
	*v = x;
	if (ovf)
		*ovf = o;
	return 0;
}

bool sip_ipv4_valid(const char *p, size_t n)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0, nd = 0;

		if (part) {
			if (i >= n || p[i] != '.')
				return false;
			++i;
		}
		while (i < n && p[i] >= '0' && p[i] <= '9' && nd < 4) {
			v = v * 10 + (unsigned)(p[i] - '0');
			++nd;
			++i;
		}
		if (!nd || nd > 3 || v > 255)
			return false;
	}
	return i == n;
}

bool sip_ipv6_valid(const char *p, size_t n)
{
	unsigned groups = 0;
	bool dbl = false;
	size_t i = 0;

	if (n < 2 || n > 45)
		return false;
	if (p[0] == ':') {
		if (p[1] != ':')
			return false;
		dbl = true;
		i = 2;
		if (i == n)
			return true;
	}
	for (;;) {
		size_t s = i;

		while (i < n && i - s < 5 && hexval(p[i]) >= 0)
			++i;
		if (i < n && p[i] == '.') {
			if (!sip_ipv4_valid(p + s, n - s))
				return false;
			groups += 2;
			break;
		}
		if (i == s || i - s > 4)
			return false;
		++groups;
		if (i == n)
			break;
		if (p[i] != ':')
			return false;
		if (++i == n)
			return false;
		if (p[i] == ':') {
			if (dbl)
				return false;
			dbl = true;
			if (++i == n)
				break;
		}
	}
	return dbl ? groups <= 7 : groups == 8;
}
