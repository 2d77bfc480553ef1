/* sip/authhdr.c - credentials and challenges (RFC 3261 25.1; RFC 2617 3.2) */
#include <errno.h>
#include <string.h>

#include "msg.h"
#include "msg_int.h"

static int bad(struct parse_err *pe, const char *p, const struct pl *pl)
{
	pe_set(pe, "Malformed authentication header",
	       p && pl->p ? (size_t)(p - pl->p) : 0);
	return EBADMSG;
}

static void auth_param(struct sip_auth *a, const struct pl *n,
                       const struct pl *v)
{
	struct pl *dst = NULL;

	switch (n->l) {
	case 2:
		if (PL_IEQ(n, "nc"))
			dst = &a->nc;
		break;
	case 3:
		if (PL_IEQ(n, "uri"))
			dst = &a->uri;
		else if (PL_IEQ(n, "qop"))
			dst = &a->qop;
		break;
	case 5:
		if (PL_IEQ(n, "realm"))
			dst = &a->realm;
		else if (PL_IEQ(n, "nonce"))
			dst = &a->nonce;
		break;
	case 6:
		if (PL_IEQ(n, "cnonce"))
			dst = &a->cnonce;
		else if (PL_IEQ(n, "opaque"))
			dst = &a->opaque;
		break;
	case 8:
		if (PL_IEQ(n, "username"))
			dst = &a->username;
		else if (PL_IEQ(n, "response"))
			dst = &a->response;
		break;
	case 9:
		if (PL_IEQ(n, "algorithm"))
			dst = &a->algorithm;
		break;
	default:
		break;
	}
	if (dst)
		*dst = *v;
	else
		a->has_auth_param = true;
}

int sip_auth_decode(struct sip_auth *auth, const struct pl *pl,
                    struct parse_err *pe)
{
	const char *p, *e, *s;

	if (!auth || !pl)
		return EINVAL;
	memset(auth, 0, sizeof(*auth));
	p = pl->p;
	e = p ? p + pl->l : p;
	trim_lws(&p, &e);

	s = p;
	p = skip_token(p, e);
	if (p == s)
		return bad(pe, s, pl);
	auth->scheme.p = s;
	auth->scheme.l = (size_t)(p - s);
	if (p == e)
		return 0;
	if (!ct_is(*p, CT_LWS))
		return bad(pe, p, pl);

	/* auth-param *(COMMA auth-param); auth-param = name EQUAL
	 * ( token / quoted-string ) */
	for (;;) {
		struct pl n, v;

		p = skip_lws(p, e);
		s = p;
		p = skip_token(p, e);
		if (p == s)
			return bad(pe, s, pl);
		n.p = s;
		n.l = (size_t)(p - s);
		p = skip_lws(p, e);
		if (p == e || *p != '=')
			return bad(pe, p, pl);
		p = skip_lws(p + 1, e);
		if (p < e && *p == '"') {
			const char *q = sip_skip_quoted(p, e);

			if (!q)
				return bad(pe, p, pl);
			v.p = p + 1;
			v.l = (size_t)(q - p - 2);
			p = q;
		} else {
			/* token, leniently: anything up to ',' or LWS */
			for (s = p; p < e && *p != ',' && *p != '"' &&
			            !ct_is(*p, CT_LWS);
			     p++)
				;
			if (p == s)
				return bad(pe, s, pl);
			v.p = s;
			v.l = (size_t)(p - s);
		}
		auth_param(auth, &n, &v);
		p = skip_lws(p, e);
		if (p == e)
			return 0;
		if (*p != ',')
			return bad(pe, p, pl);
		++p;
	}
}
