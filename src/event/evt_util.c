/* event/evt_util.c - small helpers of the events framework: names (RFC 6665
 * 4.1.3, RFC 3857 3.2.4), addresses, comma lists, Accept matching */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../base/mem.h"
#include "../base/sa.h"
#include "../sip/tsx.h"
#include "evt_int.h"

const char *evt_state_name(enum evt_state s)
{
	switch (s) {
	case EVT_PENDING:
		return "pending";
	case EVT_ACTIVE:
		return "active";
	case EVT_TERMINATED:
		return "terminated";
	default:
		return "init";
	}
}

const char *evt_reason_name(enum evt_reason r)
{
	switch (r) {
	case EVT_REASON_DEACTIVATED:
		return "deactivated";
	case EVT_REASON_PROBATION:
		return "probation";
	case EVT_REASON_REJECTED:
		return "rejected";
	case EVT_REASON_TIMEOUT:
		return "timeout";
	case EVT_REASON_GIVEUP:
		return "giveup";
	case EVT_REASON_NORESOURCE:
		return "noresource";
	case EVT_REASON_INVARIANT:
		return "invariant";
	default:
		return "";
	}
}

const char *evt_wev_name(enum evt_wev w)
{
	static const char *const names[] = {
	    "subscribe", "approved", "deactivated", "probation",
	    "rejected",  "timeout",  "giveup",      "noresource",
	};

	return (unsigned)w < sizeof(names) / sizeof(names[0]) ? names[w]
	                                                      : "subscribe";
}

/* RFC 3857 has no "invariant": a watcher whose subscription ended for a
 * reason winfo cannot name shows "timeout" (it is gone). */
enum evt_wev evt_wev_of_reason(enum evt_reason r)
{
	switch (r) {
	case EVT_REASON_DEACTIVATED:
		return EVT_WEV_DEACTIVATED;
	case EVT_REASON_PROBATION:
		return EVT_WEV_PROBATION;
	case EVT_REASON_REJECTED:
		return EVT_WEV_REJECTED;
	case EVT_REASON_GIVEUP:
		return EVT_WEV_GIVEUP;
	case EVT_REASON_NORESOURCE:
		return EVT_WEV_NORESOURCE;
	default:
		return EVT_WEV_TIMEOUT;
	}
}

void evt_hop_get(const struct evt_hop *h, struct sip_dst *dst)
{
	memset(dst, 0, sizeof(*dst));
	dst->tp = (enum sip_transp)h->tp;
	if (h->af == AF_INET) {
		sa_init(&dst->addr, AF_INET);
		memcpy(&dst->addr.u.in.sin_addr, h->ip, 4);
	} else if (h->af == AF_INET6) {
		sa_init(&dst->addr, AF_INET6);
		memcpy(&dst->addr.u.in6.sin6_addr, h->ip, 16);
	} else {
		sa_init(&dst->addr, AF_UNSPEC);
	}
	if (h->af)
		sa_set_port(&dst->addr, h->port);
	if (h->host)
		snprintf(dst->host, sizeof(dst->host), "%s", h->host);
}

int evt_hop_set(struct evt_hop *h, const struct sip_dst *dst)
{
	char *host = NULL;
	int af = sa_af(&dst->addr);

	if (dst->host[0] && mem_strdup(&host, dst->host))
		return ENOMEM;
	mem_deref(h->host);
	memset(h, 0, sizeof(*h));
	h->host = host;
	h->tp = (uint8_t)dst->tp;
	if (af == AF_INET) {
		h->af = AF_INET;
		memcpy(h->ip, &dst->addr.u.in.sin_addr, 4);
	} else if (af == AF_INET6) {
		h->af = AF_INET6;
		memcpy(h->ip, &dst->addr.u.in6.sin6_addr, 16);
	}
	h->port = h->af ? sa_port(&dst->addr) : 0;
	return 0;
}

int evt_dst_print(const struct sip_dst *dst, char *buf, size_t size)
{
	char a[64];
	int n;

	if (!dst || !buf || !size)
		return EINVAL;
	if (sa_print(&dst->addr, a, sizeof(a)))
		return EINVAL;
	n = snprintf(buf, size, "%s:%s", sip_transp_lname(dst->tp), a);
	return n < 0 || (size_t)n >= size ? ERANGE : 0;
}

int evt_local_contact(struct evt *e, const struct sip_dst *dst, char *buf,
                      size_t size)
{
	const struct sip_tp_ops *ops;
	void *ctx = NULL;
	struct sa local;
	char a[64];
	int err, n;

	ops = sip_tsxl_tp_ops(e->tl, &ctx);
	if (!ops || !ops->laddr)
		return ENOTSUP;
	err = ops->laddr(ctx, dst->tp, &dst->addr, &local);
	if (err)
		return err;
	if (sa_print(&local, a, sizeof(a)))
		return EINVAL;
	n = snprintf(buf, size, "sip:%s%s%s", a,
	             sip_transp_reliable(dst->tp) ? ";transport=" : "",
	             sip_transp_reliable(dst->tp) ? sip_transp_lname(dst->tp)
	                                          : "");
	return n < 0 || (size_t)n >= size ? ERANGE : 0;
}

void evt_lctx(struct log_ctx *lc, const char *callid, const struct sip_dst *dst)
{
	memset(lc, 0, sizeof(*lc));
	if (callid)
		snprintf(lc->callid, sizeof(lc->callid), "%.32s", callid);
	if (dst && evt_dst_print(dst, lc->peer, sizeof(lc->peer)))
		lc->peer[0] = '\0';
}

bool evt_list_next(struct pl *rest, struct pl *val)
{
	const char *p = rest->p, *e = rest->p + rest->l, *s;
	bool quoted = false;
	int angle = 0;

	if (!p)
		return false;
	while (p < e && (*p == ',' || *p == ' ' || *p == '\t'))
		p++;
	if (p >= e) {
		rest->p = e;
		rest->l = 0;
		return false;
	}
	for (s = p; p < e; p++) {
		if (quoted) {
			if (*p == '\\' && p + 1 < e)
				p++;
			else if (*p == '"')
				quoted = false;
		} else if (*p == '"') {
			quoted = true;
		} else if (*p == '<') {
			angle++;
		} else if (*p == '>' && angle) {
			angle--;
		} else if (*p == ',' && !angle) {
			break;
		}
	}
	val->p = s;
	val->l = (size_t)(p - s);
	pl_trim(val);
	rest->p = p;
	rest->l = (size_t)(e - p);
	return true;
}

/* type/subtype of a media range, parameters cut off */
static void media_type(const struct pl *v, struct pl *type, struct pl *sub)
{
	struct pl t = *v;
	const char *semi = pl_strchr(&t, ';'), *slash;

	if (semi)
		t.l = (size_t)(semi - t.p);
	pl_trim(&t);
	slash = pl_strchr(&t, '/');
	*type = t;
	sub->p = t.p + t.l;
	sub->l = 0;
	if (slash) {
		type->l = (size_t)(slash - t.p);
		sub->p = slash + 1;
		sub->l = (size_t)(t.p + t.l - sub->p);
	}
	pl_trim(type);
	pl_trim(sub);
}

static bool media_match(const struct pl *range, const char *ctype)
{
	struct pl rt, rs, ct, cs, c;

	pl_set_str(&c, ctype);
	media_type(range, &rt, &rs);
	media_type(&c, &ct, &cs);
	if (!pl_strcmp(&rt, "*"))
		return true;
	if (pl_casecmp(&rt, &ct))
		return false;
	return !pl_strcmp(&rs, "*") || !pl_casecmp(&rs, &cs);
}

bool evt_accept_match(const char *accept, const char *ctype, const char *dflt)
{
	struct pl rest, v;
	bool any = false;

	if (!ctype)
		return false;
	pl_set_str(&rest, accept ? accept : "");
	while (evt_list_next(&rest, &v)) {
		if (!v.l)
			continue;
		any = true;
		if (media_match(&v, ctype))
			return true;
	}
	if (any || !dflt)
		return false;
	pl_set_str(&v, dflt);
	return media_match(&v, ctype);
}
