/* sip/addr.c - name-addr, Contact, Event (RFC 3261 20.10, 25.1; RFC 6665) */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "msg.h"
#include "msg_int.h"

static int bad(struct parse_err *pe, const char *reason, const char *p,
               const struct pl *pl)
{
	pe_set(pe, reason, p && pl->p ? (size_t)(p - pl->p) : 0);
	return EBADMSG;
}

/* Walk header params [p, e): set *tag, and the params slice. */
static int addr_params(struct sip_addr *addr, const char *p, const char *e)
{
	struct hparam_it it = {p, e, false};
	struct pl n, v;
	bool hv;
	int err;

	p = skip_lws(p, e);
	addr->params.p = p;
	addr->params.l = (size_t)(e - p);
	while (!(err = sip_hparam_next(&it, &n, &v, &hv))) {
		if (PL_IEQ(&n, "tag")) {
			if (!hv || v.p[0] == '"' || v.p[0] == '[')
				return EBADMSG;
			addr->tag = v;
		}
	}
	return err == ENOENT ? 0 : err;
}

int sip_addr_decode(struct sip_addr *addr, const struct pl *pl,
                    struct parse_err *pe)
{
	const char *p, *e, *q, *r;
	int err;

	if (!addr || !pl)
		return EINVAL;
	memset(addr, 0, sizeof(*addr));
	p = pl->p;
	e = p ? p + pl->l : p;
	trim_lws(&p, &e);
	if (p == e)
		return bad(pe, "Malformed address", p, pl);

	if (*p == '"') {
		q = sip_skip_quoted(p, e);
		if (!q)
			return bad(pe, "Unterminated quoted string", p, pl);
		addr->dname.p = p + 1;
		addr->dname.l = (size_t)(q - p - 2);
		p = skip_lws(q, e);
		if (p == e || *p != '<')
			return bad(pe, "Malformed address", p, pl);
		addr->angle = true;
	} else {
		/* display-name = *(token LWS): only tokens and LWS up to '<' */
		for (q = p; q < e && (ct_is(*q, CT_TOKEN) || ct_is(*q, CT_LWS));
		     q++)
			;
		if (q < e && *q == '<') {
			r = q;
			trim_lws(&p, &r);
			addr->dname.p = p;
			addr->dname.l = (size_t)(r - p);
			p = q;
			addr->angle = true;
		}
	}

	if (addr->angle) {
		/* p at '<'; addr-spec immediately inside (no LWS) */
		q = memchr(p, '>', (size_t)(e - p));
		if (!q)
			return bad(pe, "Malformed address", p, pl);
		addr->auri.p = p + 1;
		addr->auri.l = (size_t)(q - p - 1);
		r = q + 1;
	} else {
		/* addr-spec: the URI ends at ';' or LWS; what follows are
		 * header parameters; '?' and ',' need <> (RFC 3261 20) */
		for (q = p; q < e && *q != ';' && !ct_is(*q, CT_LWS); q++) {
			if (*q == '?' || *q == ',')
				return bad(pe, "URI with '?' or ',' needs <>",
				           q, pl);
		}
		addr->auri.p = p;
		addr->auri.l = (size_t)(q - p);
		r = q;
	}

	err = sip_uri_decode(&addr->uri, &addr->auri, NULL);
	if (err)
		return bad(pe, "Malformed URI", addr->auri.p, pl);
	if (r < e && !ct_is(*r, CT_LWS) && *r != ';')
		return bad(pe, "Malformed address", r, pl);
	err = addr_params(addr, r, e);
	if (err)
		return bad(pe, "Malformed header parameter", r, pl);
	return 0;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
static int qvalue(const struct pl *v, uint32_t *q)
{
	uint32_t x, scale = 100;

	if (!v->l || v->l > 5 || (v->p[0] != '0' && v->p[0] != '1'))
		return EBADMSG;
	x = (uint32_t)(v->p[0] - '0') * 1000;
	if (v->l > 1) {
		if (v->p[1] != '.')
			return EBADMSG;
		for (size_t i = 2; i < v->l; i++, scale /= 10) {
			if (!ct_is(v->p[i], CT_DIGIT))
				return EBADMSG;
			x += (uint32_t)(v->p[i] - '0') * scale;
		}
	}
	if (x > 1000)
		return EBADMSG;
	*q = x;
	return 0;
}

int sip_contact_decode(struct sip_contact *c, const struct pl *pl,
                       struct parse_err *pe)
{
	struct hparam_it it;
	const char *p, *e;
	struct pl n, v;
	bool hv;
	int err;

	if (!c || !pl)
		return EINVAL;
	memset(c, 0, sizeof(*c));
	c->expires = -1;
	c->q = 1000;
	p = pl->p;
	e = p ? p + pl->l : p;
	trim_lws(&p, &e);
	if (e - p == 1 && *p == '*') {
		c->star = true;
		return 0;
	}

	err = sip_addr_decode(&c->addr, pl, pe);
	if (err)
		return err;

	it.p = c->addr.params.p;
	it.e = c->addr.params.p + c->addr.params.l;
	it.via_vals = false;
	while (!(err = sip_hparam_next(&it, &n, &v, &hv))) {
		if (PL_IEQ(&n, "expires")) {
			uint64_t x;

			if (sip_dec_u64(&v, &x, NULL))
				return bad(pe, "Invalid Contact expires", v.p,
				           pl);
			/* too large: treat as the largest delta-seconds */
			c->expires = x > UINT32_MAX ? UINT32_MAX : (int64_t)x;
		} else if (PL_IEQ(&n, "q")) {
			if (qvalue(&v, &c->q))
				return bad(pe, "Invalid Contact q", v.p, pl);
			c->has_q = true;
		}
	}
	return 0;
}

int sip_event_decode(struct sip_event *ev, const struct pl *pl,
                     struct parse_err *pe)
{
	struct hparam_it it;
	const char *p, *e, *s;
	struct pl n, v;
	bool hv;
	int err;

	if (!ev || !pl)
		return EINVAL;
	memset(ev, 0, sizeof(*ev));
	p = pl->p;
	e = p ? p + pl->l : p;
	trim_lws(&p, &e);
	s = p;
	p = skip_token(p, e);
	if (p == s || *s == '.' || p[-1] == '.')
		return bad(pe, "Malformed Event header", s, pl);
	ev->package.p = s;
	ev->package.l = (size_t)(p - s);

	it.p = p;
	it.e = e;
	it.via_vals = false;
	s = skip_lws(p, e);
	ev->params.p = s;
	ev->params.l = (size_t)(e - s);
	while (!(err = sip_hparam_next(&it, &n, &v, &hv))) {
		if (PL_IEQ(&n, "id"))
			ev->id = v;
	}
	if (err != ENOENT)
		return bad(pe, "Malformed Event header", it.p, pl);
	return 0;
}
