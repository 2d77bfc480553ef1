/* sip/via.c - Via values (RFC 3261 20.42, 25.1; RFC 3581; RFC 5118 4.5) */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "msg.h"
#include "msg_int.h"

static int bad(struct parse_err *pe, const char *p, const struct pl *pl)
{
	pe_set(pe, "Malformed Via header",
	       p && pl->p ? (size_t)(p - pl->p) : 0);
	return EBADMSG;
}

/* token SWS "/" SWS: returns the octet after the slash's LWS, or NULL. */
static const char *proto_part(const char *p, const char *e, struct pl *tok,
                              bool slash)
{
	const char *s = p;

	p = skip_token(p, e);
	if (p == s)
		return NULL;
	tok->p = s;
	tok->l = (size_t)(p - s);
	if (!slash)
		return p;
	p = skip_lws(p, e);
	if (p == e || *p != '/')
		return NULL;
	return skip_lws(p + 1, e);
}

static int port_val(const struct pl *v, uint16_t *port)
{
	uint64_t x;

	if (sip_dec_u64(v, &x, NULL) || x > 65535)
		return EBADMSG;
	*port = (uint16_t)x;
	return 0;
}

static int via_params(struct sip_via *via, const char *p, const char *e)
{
	struct hparam_it it = {p, e, true};
	struct pl n, v;
	bool hv;
	int err;

	while (!(err = sip_hparam_next(&it, &n, &v, &hv))) {
		switch (n.l) {
		case 5:
			if (PL_IEQ(&n, "rport")) {
				via->rport = true;
				if (hv && port_val(&v, &via->rport_val))
					return EBADMSG;
			}
			break;
		case 6:
			if (PL_IEQ(&n, "branch")) {
				if (!hv || v.p[0] == '"')
					return EBADMSG;
				via->branch = v;
			}
			break;
		case 8:
			if (!PL_IEQ(&n, "received"))
				break;
			if (!hv)
				return EBADMSG;
			if (v.p[0] == '[') { /* RFC 5118 4.5: be robust */
				v.p++;
				v.l -= 2;
			}
			if (!sip_ipv4_valid(v.p, v.l) &&
			    !sip_ipv6_valid(v.p, v.l))
				return EBADMSG;
			via->received = v;
			break;
		default:
			break;
		}
	}
	return err == ENOENT ? 0 : err;
}

int sip_via_decode(struct sip_via *via, const struct pl *pl,
                   struct parse_err *pe)
{
	const char *p, *e, *s, *q;
	struct pl name, ver;

	if (!via || !pl)
		return EINVAL;
	memset(via, 0, sizeof(*via));
	p = pl->p;
	e = p ? p + pl->l : p;
	trim_lws(&p, &e);
	via->val.p = p;
	via->val.l = (size_t)(e - p);

	/* sent-protocol = protocol-name SLASH protocol-version SLASH
	 * transport */
	s = p;
	p = proto_part(p, e, &name, true);
	if (p)
		p = proto_part(p, e, &ver, true);
	if (!p)
		return bad(pe, s, pl);
	via->proto.p = name.p;
	via->proto.l = (size_t)(ver.p + ver.l - name.p);
	p = proto_part(p, e, &via->tp_name, false);
	if (!p)
		return bad(pe, s, pl);
	via->tp = sip_transp_decode(&via->tp_name);

	/* LWS sent-by */
	q = skip_lws(p, e);
	if (q == p || q == e)
		return bad(pe, p, pl);
	p = q;
	s = p;
	if (*p == '[') {
		q = memchr(p, ']', (size_t)(e - p));
		if (!q || !sip_ipv6_valid(p + 1, (size_t)(q - p - 1)))
			return bad(pe, p, pl);
		via->host.p = p + 1;
		via->host.l = (size_t)(q - p - 1);
		via->af = AF_INET6;
		p = q + 1;
	} else {
		bool num = true;

		for (q = p; q < e && ct_is(*q, CT_HOST); q++) {
			if (!ct_is(*q, CT_DIGIT) && *q != '.')
				num = false;
		}
		if (q == p)
			return bad(pe, p, pl);
		via->host.p = p;
		via->host.l = (size_t)(q - p);
		if (num) {
			if (!sip_ipv4_valid(p, via->host.l))
				return bad(pe, p, pl);
			via->af = AF_INET;
		}
		p = q;
	}
	via->sentby.p = s;
	via->sentby.l = (size_t)(p - s);

	/* [ COLON port ] */
	q = skip_lws(p, e);
	if (q < e && *q == ':') {
		struct pl port;

		q = skip_lws(q + 1, e);
		for (s = q; q < e && ct_is(*q, CT_DIGIT); q++)
			;
		port.p = s;
		port.l = (size_t)(q - s);
		if (port_val(&port, &via->port))
			return bad(pe, s, pl);
		p = q;
		via->sentby.l = (size_t)(p - via->sentby.p);
	}

	q = skip_lws(p, e);
	via->params.p = q;
	via->params.l = (size_t)(e - q);
	if (via_params(via, q, e))
		return bad(pe, q, pl);
	return 0;
}
