/* sip/msg_int.h - internals shared by the SIP message layer (RFC 3261 25) */
#ifndef SIP_MSG_INT_H
#define SIP_MSG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/pl.h"
#include "msg.h"

/* Character classes of RFC 3261 25.1 (sip_ctype[octet] & mask). */
enum {
	CT_TOKEN = 0x0001, /* token */
	CT_UNRES = 0x0002, /* unreserved */
	CT_USER = 0x0004,  /* user (without escaped) */
	CT_PASS = 0x0008,  /* password */
	CT_PARAM = 0x0010, /* paramchar */
	CT_HNV = 0x0020,   /* hname / hvalue */
	CT_HOST = 0x0040,  /* hostname (plus '_') */
	CT_DIGIT = 0x0080,
	CT_HEX = 0x0100,
	CT_LWS = 0x0200,    /* SP HTAB CR LF (folding inside a field) */
	CT_SCHEME = 0x0400, /* scheme after the first ALPHA */
	CT_TEL = 0x0800,    /* tel: number characters */
	CT_ALPHA = 0x1000,
	CT_LSTOP = 0x2000, /* ',' '"' '<': list splitting stops here */
};

extern const uint16_t sip_ctype[256];

static inline bool ct_is(char c, uint16_t mask)
{
	return (sip_ctype[(uint8_t)c] & mask) != 0;
}

static inline const char *skip_lws(const char *p, const char *e)
{
	while (p < e && ct_is(*p, CT_LWS))
		++p;
	return p;
}

/* Trim LWS (with folding) off both ends. */
static inline void trim_lws(const char **pp, const char **ep)
{
	const char *p = *pp, *e = *ep;

	while (p < e && ct_is(*p, CT_LWS))
		++p;
	while (e > p && ct_is(e[-1], CT_LWS))
		--e;
	*pp = p;
	*ep = e;
}

static inline const char *skip_token(const char *p, const char *e)
{
	while (p < e && ct_is(*p, CT_TOKEN))
		++p;
	return p;
}

static inline int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static inline void pe_set(struct parse_err *pe, const char *reason, size_t off)
{
	if (pe && !pe->reason) {
		pe->reason = reason;
		pe->off = off;
	}
}

/* p at '"': the octet after the closing quote, or NULL when the string is
 * unterminated or holds a raw control octet (quoted-pair escapes any octet
 * but CR and LF; CRLF is allowed as folding). */
const char *sip_skip_quoted(const char *p, const char *e);

/* Header parameters: *( SEMI name [ EQUAL value ] ) with LWS around ';'
 * and '=' (RFC 3261 25.1 SEMI/EQUAL), value = token / host /
 * quoted-string. via_vals also allows ':' in values (bare IPv6 in
 * received=, RFC 5118 4.5). */
struct hparam_it {
	const char *p, *e;
	bool via_vals;
};
/* 0 with the next parameter (val empty and *has_val false when there is
 * no '='), ENOENT at the end, EBADMSG on broken syntax. */
int sip_hparam_next(struct hparam_it *it, struct pl *name, struct pl *val,
                    bool *has_val);

/* Decimal digits of a whole slice, saturating at UINT64_MAX (sets *ovf).
 * EBADMSG when empty or not all digits. */
int sip_dec_u64(const struct pl *pl, uint64_t *v, bool *ovf);

/* Well-formed textual IPv6 address (no brackets). */
bool sip_ipv6_valid(const char *p, size_t n);
bool sip_ipv4_valid(const char *p, size_t n);

/* Whether header id takes a comma-separated list of values. */
bool sip_hdr_is_list(enum sip_hdrid id);

/* Case-insensitive compare of a slice with a literal of length n. */
static inline bool pl_ieq(const char *p, size_t l, const char *s, size_t n)
{
	if (l != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char a = p[i], b = s[i];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a | 0x20);
		if (b >= 'A' && b <= 'Z')
			b = (char)(b | 0x20);
		if (a != b)
			return false;
	}
	return true;
}
#define PL_IEQ(pl, lit) pl_ieq((pl)->p, (pl)->l, lit, sizeof(lit) - 1)

#endif
