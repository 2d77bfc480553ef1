/* proxy/proxy_route.c - loops, Route, targets (RFC 3261 16.3-16.6, 3327) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "../sip/tsx.h"
#include "domain.h"
#include "location.h"
#include "proxy_int.h"

void proxy_log_ctx(struct log_ctx *lctx, const struct sip_msg *msg)
{
	char a[48];
	size_t n;

	memset(lctx, 0, sizeof(*lctx));
	n = MIN(msg->callid.l, sizeof(lctx->callid) - 1);
	if (n)
		memcpy(lctx->callid, msg->callid.p, n);
	n = MIN(msg->via.branch.l, sizeof(lctx->branch) - 1);
	if (n)
		memcpy(lctx->branch, msg->via.branch.p, n);
	if (sa_isset(&msg->src) && !sa_print(&msg->src, a, sizeof(a))) {
		const char *tn = sip_transp_name(msg->tp);
		char lc[8];
		size_t i;

		for (i = 0; tn && tn[i] && i < sizeof(lc) - 1; i++)
			lc[i] = (char)(tn[i] | 0x20);
		lc[i] = '\0';
		snprintf(lctx->peer, sizeof(lctx->peer), "%s:%s", lc, a);
	}
}

/* A URI without user part naming this server or one of its domains. */
bool proxy_uri_is_us(const struct proxy *p, const struct sip_uri *uri)
{
	if (!uri->is_sip || pl_isset(&uri->user) || !p->dom)
		return false;
	return dom_is_self(p->dom, &uri->host, uri->port) ||
	       dom_is_local(p->dom, &uri->host);
}

/* The host of uri is one of our domains or this server's address. */
bool proxy_host_is_local(const struct proxy *p, const struct sip_uri *uri)
{
	if (!uri->is_sip || !p->dom)
		return false;
	return dom_is_local(p->dom, &uri->host) ||
	       dom_is_self(p->dom, &uri->host, uri->port);
}

/* A Route value that designates this proxy (16.4). */
static bool route_is_us(const struct proxy *p, const struct sip_addr *a)
{
	if (!a->uri.is_sip || !p->dom)
		return false;
	if (dom_is_self(p->dom, &a->uri.host, a->uri.port))
		return true;
	return !pl_isset(&a->uri.user) && dom_is_local(p->dom, &a->uri.host);
}

bool proxy_is_dialog_creating(const struct sip_msg *msg)
{
	if (sip_msg_is(msg, "NOTIFY"))
		return true;
	if (pl_isset(&msg->to.tag))
		return false;
	return sip_msg_is(msg, "INVITE") || sip_msg_is(msg, "SUBSCRIBE") ||
	       sip_msg_is(msg, "REFER");
}

/*
 * The branch base (16.6 step 8): a hash of what identifies this request at
 * this hop. The top Via enters by branch and sent-by only, since we add
 * received/rport to it when forwarding. Route values naming us are left
 * out: they are gone from the copy we send.
 */
int proxy_branch_hash(char out[33], const struct proxy *p,
                      const struct sip_msg *msg, const struct sip_via *top)
{
	struct buf *b;
	int err;

	err = buf_alloc(&b, 256);
	if (err)
		return err;
	err = buf_printf(b, "%s\n%.*s\n%.*s\n%.*s\n%.*s\n%u\n%.*s\n%.*s\n",
	                 p->key, PL_PRINT(&msg->ruri), PL_PRINT(&msg->to.tag),
	                 PL_PRINT(&msg->from.tag), PL_PRINT(&msg->callid),
	                 msg->cseq.num, PL_PRINT(&top->branch),
	                 PL_PRINT(&top->sentby));
	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_ROUTE);
	     h && !err; h = sip_msg_hdr_next(msg, h)) {
		struct sip_addr a;
		struct parse_err pe;

		if (!sip_addr_decode(&a, &h->val, &pe) && route_is_us(p, &a))
			continue;
		err = buf_printf(b, "R%.*s\n", PL_PRINT(&h->val));
	}
	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_PROXY_REQUIRE);
	     h && !err; h = sip_msg_hdr_next(msg, h))
		err = buf_printf(b, "P%.*s\n", PL_PRINT(&h->val));
	if (!err)
		md5_hex(out, b->b, b->end);
	mem_deref(b);
	return err;
}

/* "z9hG4bK" + 32 hex digits [+ "." n]: a branch we may have made. */
static bool is_our_branch(const struct pl *br)
{
	if (br->l < 39 || memcmp(br->p, "z9hG4bK", 7))
		return false;
	for (size_t i = 7; i < 39; i++) {
		char c = br->p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return br->l == 39 || br->p[39] == '.';
}

/*
 * 16.3 step 4: a Via of ours whose branch equals what we would compute for
 * this request now (with the Via below it as the top Via we saw then)
 * means the request came back unchanged: a loop. A different value is a
 * spiral (Request-URI or Route changed on the way).
 */
bool proxy_loop_detect(const struct proxy *p, const struct sip_msg *msg)
{
	const struct sip_hdr *h, *next;

	for (h = sip_msg_hdr(msg, SIP_HDR_VIA); h; h = next) {
		struct sip_via v, nv;
		struct parse_err pe;
		char hash[33];

		next = sip_msg_hdr_next(msg, h);
		if (!next || sip_via_decode(&v, &h->val, &pe) ||
		    !is_our_branch(&v.branch))
			continue;
		if (sip_via_decode(&nv, &next->val, &pe))
			continue;
		if (proxy_branch_hash(hash, p, msg, &nv))
			continue;
		if (!memcmp(hash, v.branch.p + 7, 32))
			return true;
	}
	return false;
}

/* 16.4 */
int proxy_route_pre(struct rctx *rc, const struct proxy *p,
                    const struct sip_msg *msg)
{
	const struct sip_hdr *rt[PROXY_MAX_ROUTES];
	struct parse_err pe;
	struct sip_addr a;
	uint32_t n = 0, i;

	memset(rc, 0, sizeof(*rc));
	rc->ruri = msg->ruri;
	rc->uri = msg->uri;
	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_ROUTE); h;
	     h = sip_msg_hdr_next(msg, h)) {
		if (n == PROXY_MAX_ROUTES)
			return E2BIG;
		rt[n++] = h;
	}

	/* A strict router before us put our Record-Route URI into the
	 * Request-URI: the real one is the last Route value. */
	if (n && rc->uri.is_sip && p->dom &&
	    sip_param_exists(&rc->uri.params, PROXY_RR_PARAM) &&
	    dom_is_self(p->dom, &rc->uri.host, rc->uri.port)) {
		if (sip_addr_decode(&a, &rt[n - 1]->val, &pe))
			return EBADMSG;
		rc->ruri = a.auri;
		rc->uri = a.uri;
		rc->skip[rc->nskip++] = rt[n - 1];
		rc->strict = true;
		rc->to_us = true;
		n--;
	}

	/* Our own entries on top (two with double Record-Route). */
	for (i = 0; i < n; i++) {
		if (sip_addr_decode(&a, &rt[i]->val, &pe))
			return EBADMSG;
		if (!route_is_us(p, &a))
			break;
		rc->skip[rc->nskip++] = rt[i];
		rc->to_us = true;
	}
	rc->first = i < n ? rt[i] : NULL;
	rc->nroute = n - i;
	return 0;
}

/* Next hop from a URI, without DNS: numeric hosts and "localhost" only
 * (ENOTSUP for other names, EPROTONOSUPPORT for what we cannot reach). */
int proxy_uri_dst(struct sip_dst *dst, const struct sip_uri *uri)
{
	return sip_uri_dst(dst, uri);
}

int proxy_pl_dst(struct sip_dst *dst, const struct pl *val)
{
	struct sip_addr a;
	struct parse_err pe;

	if (sip_addr_decode(&a, val, &pe))
		return EBADMSG;
	return proxy_uri_dst(dst, &a.uri);
}

static void target_destructor(void *data)
{
	struct target *t = data;

	list_unlink(&t->le);
	mem_deref(t->ruri);
	mem_deref(t->path);
}

static struct target *target_new(struct list *tl, uint32_t q)
{
	struct target *t = mem_zalloc(sizeof(*t), target_destructor);

	if (!t)
		return NULL;
	t->q = q;
	list_append(tl, &t->le, t);
	return t;
}

/* Split "a, <b,c>, d" at the commas outside <> and quotes. */
static uint32_t split_list(struct pl *out, uint32_t max, const char *s)
{
	uint32_t n = 0;
	const char *start = s;
	bool quote = false;
	int angle = 0;

	for (const char *c = s;; c++) {
		if (*c == '"' && (c == s || c[-1] != '\\'))
			quote = !quote;
		else if (!quote && *c == '<')
			angle++;
		else if (!quote && *c == '>' && angle)
			angle--;
		if (*c == '\0' || (*c == ',' && !quote && !angle)) {
			struct pl v = {start, (size_t)(c - start)};

			pl_trim(&v);
			if (v.l && n < max)
				out[n++] = v;
			if (*c == '\0')
				break;
			start = c + 1;
		}
	}
	return n;
}

/* Addresses that cannot be reached from outside their own network: a
 * Contact with one of these, registered from somewhere else, is behind
 * NAT. */
static bool sa_is_private(const struct sa *a)
{
	if (sa_af(a) == AF_INET) {
		uint32_t ip = ntohl(a->u.in.sin_addr.s_addr);

		return (ip >> 24) == 10 || (ip >> 20) == 0xac1 ||
		       (ip >> 16) == 0xc0a8 || (ip >> 22) == 0x191 ||
		       (ip >> 16) == 0xa9fe;
	}
	if (sa_af(a) == AF_INET6) {
		const uint8_t *b = a->u.in6.sin6_addr.s6_addr;

		return (b[0] & 0xfe) == 0xfc ||
		       (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
	}
	return false;
}

static bool flow_alive(const struct proxy *p, enum sip_transp tp,
                       const struct sa *addr)
{
	const struct sip_tp_ops *ops;
	void *ctx;

	if (!p->tl || !sip_transp_reliable(tp))
		return false;
	ops = sip_tsxl_tp_ops(p->tl, &ctx);
	return ops && ops->flow_alive && ops->flow_alive(ctx, tp, addr);
}

/*
 * Where a request for binding b goes (RFC 3261 16.5/16.6, RFC 3327,
 * RFC 5626), in this order:
 * 1. the first Path value, when the REGISTER came through proxies;
 * 2. the client's own stream connection while it is open (CORE-13: no new
 *    connection to the client's listening port is needed);
 * 3. an RFC 5626 flow (instance and reg-id): the address it registered
 *    from;
 * 4. UDP behind NAT (the Contact's address is private and differs from
 *    the source of the REGISTER): the source address;
 * 5. otherwise the Contact URI itself.
 */
static int binding_target(struct list *tl, const struct proxy *p,
                          const struct loc_binding *b)
{
	struct target *t = target_new(tl, b->q);
	bool have_rx = b->rx_tp != SIP_TRANSP_NONE && sa_isset(&b->rx_addr);
	struct sip_uri u;
	struct parse_err pe;
	struct pl cu;
	int err;

	if (!t)
		return ENOMEM;
	err = mem_strdup(&t->ruri, b->contact);
	if (!err && b->path && b->path[0])
		err = mem_strdup(&t->path, b->path);
	if (err)
		goto out;
	if (t->path) {
		struct pl v[1];

		if (!split_list(v, 1, t->path) || proxy_pl_dst(&t->dst, v))
			err = EHOSTUNREACH;
		goto out;
	}
	if (have_rx && (flow_alive(p, b->rx_tp, &b->rx_addr) ||
	                (b->reg_id && b->instance && b->instance[0]))) {
		t->dst.tp = b->rx_tp;
		t->dst.addr = b->rx_addr;
		goto out;
	}
	pl_set_str(&cu, t->ruri);
	if (sip_uri_decode(&u, &cu, &pe) || proxy_uri_dst(&t->dst, &u)) {
		/* a Contact we cannot resolve (a name: no DNS yet) is
		 * reached where it registered from */
		if (!have_rx) {
			err = EHOSTUNREACH;
			goto out;
		}
		t->dst.tp = b->rx_tp;
		t->dst.addr = b->rx_addr;
		goto out;
	}
	if (have_rx && b->rx_tp == SIP_TRANSP_UDP &&
	    t->dst.tp == SIP_TRANSP_UDP && sa_is_private(&t->dst.addr) &&
	    !sa_cmp_addr(&t->dst.addr, &b->rx_addr))
		t->dst.addr = b->rx_addr;
out:
	if (err)
		mem_deref(t);
	return err;
}

/*
 * 16.5: the target set. 0 with targets appended to tl, or 0 with *scode
 * (and *reason) set when the request is to be answered here; errno on
 * failure (ENOMEM). *unbound (may be NULL) is set with *scode 480 when a
 * local AoR (or GRUU) has no binding at all: whether its user exists is
 * then for the caller to find out (404 or 480).
 */
int proxy_targets(struct list *tl, uint16_t *scode, const char **reason,
                  bool *unbound, struct proxy *p, const struct sip_msg *msg,
                  const struct rctx *rc)
{
	struct target *t;
	bool dummy;
	int err;

	if (!unbound)
		unbound = &dummy;
	*scode = 0;
	*reason = NULL;
	*unbound = false;

	/* Pre-loaded or dialog route: the Request-URI stays. */
	if (rc->first) {
		t = target_new(tl, 1000);
		if (!t)
			return ENOMEM;
		err = proxy_pl_dst(&t->dst, &rc->first->val);
		if (err) {
			mem_deref(t);
			*scode = err == ENOTSUP ? 503 : 400;
			*reason = err == ENOTSUP ? "DNS not available"
			                         : "Bad Route header";
		}
		return 0;
	}

	if (proxy_host_is_local(p, &rc->uri) && pl_isset(&rc->uri.user)) {
		const struct list *bl;
		char aor[512];
		uint32_t n = 0;

		if (rc->uri.has_gr) {
			struct loc_binding *b =
			    p->loc ? loc_find_gruu(p->loc, &rc->uri) : NULL;

			if (!b) {
				*scode = 480;
				*unbound = true;
				return 0;
			}
			err = binding_target(tl, p, b);
			if (err == EHOSTUNREACH)
				*scode = 480;
			return err == EHOSTUNREACH ? 0 : err;
		}
		if (loc_aor_print(&rc->uri, aor, sizeof(aor))) {
			*scode = 404;
			return 0;
		}
		bl = p->loc ? loc_find(p->loc, aor) : NULL;
		for (struct le *le = list_head(bl); le; le = le->next) {
			err = binding_target(tl, p, le->data);
			if (err == EHOSTUNREACH)
				continue;
			if (err)
				return err;
			n++;
		}
		if (!n) {
			*scode = 480;
			*unbound = !list_head(bl);
		}
		return 0;
	}

	if (rc->uri.is_tel) {
		*scode = 404;
		*reason = "No route for tel URI";
		return 0;
	}
	if (proxy_host_is_local(p, &rc->uri)) {
		*scode = 404;
		return 0;
	}

	t = target_new(tl, 1000);
	if (!t)
		return ENOMEM;
	err = proxy_uri_dst(&t->dst, &rc->uri);
	if (err) {
		mem_deref(t);
		*scode = err == ENOTSUP ? 503 : 416;
		*reason = err == ENOTSUP ? "DNS not available" : NULL;
	}
	return 0;
}

static int rr_write(struct buf *mb, enum sip_transp tp, const struct sa *a)
{
	char s[64];
	const char *tps = tp == SIP_TRANSP_TCP   ? ";transport=tcp"
	                  : tp == SIP_TRANSP_TLS ? ";transport=tls"
	                                         : "";

	if (sa_print(a, s, sizeof(s)))
		return EINVAL;
	return buf_printf(mb, "Record-Route: <sip:%s%s;lr;%s>\r\n", s, tps,
	                  PROXY_RR_PARAM);
}

/*
 * 16.6: the copy of msg for target t, with our Via (branch), Record-Route
 * when rr, the Route set (Path first; strict next hop rewritten, step 6),
 * Max-Forwards decremented; *dst is where it goes.
 */
static bool is_identity_hdr(const struct sip_hdr *h)
{
	return !pl_strcasecmp(&h->name, "P-Asserted-Identity") ||
	       !pl_strcasecmp(&h->name, "P-Preferred-Identity");
}

static bool own_credentials(const struct proxy *p, const struct sip_hdr *h)
{
	struct sip_auth a;
	struct parse_err pe;

	return !sip_auth_decode(&a, &h->val, &pe) &&
	       dom_is_local(p->dom, &a.realm);
}

int proxy_req_encode(struct buf **mbp, struct sip_dst *dst, struct proxy *p,
                     const struct sip_msg *msg, const struct rctx *rc,
                     const struct target *t, const char *branch, bool rr)
{
	struct pl routes[PROXY_MAX_ROUTES + 1];
	struct pl ruri, tail = PL_INIT;
	const struct sip_tp_ops *ops;
	struct sa local;
	struct buf *mb = NULL;
	char ls[64];
	uint32_t n = 0, first = 0;
	bool first_via = true;
	void *ctx;
	int err;

	if (t->path)
		n = split_list(routes, PROXY_MAX_ROUTES, t->path);
	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_ROUTE); h;
	     h = sip_msg_hdr_next(msg, h)) {
		bool skip = false;

		for (uint32_t i = 0; i < rc->nskip; i++)
			skip |= rc->skip[i] == h;
		if (skip)
			continue;
		if (n == PROXY_MAX_ROUTES)
			return E2BIG;
		routes[n++] = h->val;
	}
	if (t->ruri)
		pl_set_str(&ruri, t->ruri);
	else
		ruri = rc->ruri;

	/* Next hop is a strict router (16.6 step 6). */
	if (n) {
		struct sip_addr a;
		struct parse_err pe;

		if (sip_addr_decode(&a, &routes[0], &pe))
			return EBADMSG;
		if (!a.uri.lr) {
			tail = ruri;
			ruri = a.auri;
			first = 1;
		}
	}

	*dst = t->dst;
	ops = sip_tsxl_tp_ops(p->tl, &ctx);
	if (!ops || !ops->laddr)
		return ENOTCONN;
	err = ops->laddr(ctx, dst->tp, &dst->addr, &local);
	if (!err)
		err = sa_print(&local, ls, sizeof(ls));
	if (err)
		return err;

	err = buf_alloc(&mb, msg->raw.l + 512);
	if (err)
		return err;
	err = buf_printf(mb, "%.*s %.*s SIP/2.0\r\n", PL_PRINT(&msg->met),
	                 PL_PRINT(&ruri));
	if (!err)
		err = buf_printf(mb, "Via: SIP/2.0/%s %s;branch=%s\r\n",
		                 sip_transp_name(dst->tp), ls, branch);
	if (!err && rr) {
		struct sa in;

		err = rr_write(mb, dst->tp, &local);
		/* RFC 5658: one entry for each side when they differ. The
		 * upstream side is the address we would use toward the
		 * previous hop (msg->dst may be a wildcard). */
		if (!err && sa_isset(&msg->src) &&
		    !ops->laddr(ctx, msg->tp, &msg->src, &in) &&
		    (msg->tp != dst->tp || !sa_cmp(&in, &local)))
			err = rr_write(mb, msg->tp, &in);
	}
	for (uint32_t i = first; i < n && !err; i++)
		err = buf_printf(mb, "Route: %.*s\r\n", PL_PRINT(&routes[i]));
	if (!err && tail.p)
		err = buf_printf(mb, "Route: <%.*s>\r\n", PL_PRINT(&tail));

	LIST_FOREACH(&msg->hdrl, le) {
		const struct sip_hdr *h = le->data;

		if (err)
			break;
		switch (h->id) {
		case SIP_HDR_ROUTE:
		case SIP_HDR_MAX_FORWARDS:
		case SIP_HDR_CONTENT_LENGTH:
			continue;
		case SIP_HDR_VIA:
			if (rc->originated)
				continue;
			if (first_via) {
				first_via = false;
				err = sip_via_encode_rx(mb, msg, h);
				continue;
			}
			break;
		default:
			/* RFC 3325 9.1: an asserted identity is only taken
			 * from trusted hosts; impd has none yet, so it
			 * asserts identities itself (rc->pai) */
			if (is_identity_hdr(h))
				continue;
			break;
		case SIP_HDR_PROXY_AUTHORIZATION:
			/* RFC 3261 22.3: credentials for impd's own realm
			 * stop here */
			if (own_credentials(p, h))
				continue;
			break;
		}
		err = sip_hdr_encode(mb, h);
	}
	if (!err && rc->pai)
		err = buf_printf(mb, "P-Asserted-Identity: <%s>\r\n", rc->pai);
	if (!err)
		err = buf_printf(mb, "Max-Forwards: %d\r\n",
		                 msg->maxfwd < 0 ? 70 : msg->maxfwd - 1);
	if (!err)
		err =
		    buf_printf(mb, "Content-Length: %zu\r\n\r\n", msg->body.l);
	if (!err && msg->body.l)
		err = buf_write_pl(mb, &msg->body);
	if (err) {
		mem_deref(mb);
		return err;
	}
	mb->pos = 0;
	*mbp = mb;
	return 0;
}

/*
 * A response to send upstream: resp without our Via; scode/reason replace
 * its status (503 -> 500); with merge, the challenges of the other 401/407
 * branches are added (16.7 step 7).
 */
int proxy_resp_encode(struct buf **mbp, const struct sip_msg *resp,
                      uint16_t scode, const char *reason,
                      const struct list *merge)
{
	struct buf *mb;
	bool first_via = true;
	int err;

	err = buf_alloc(&mb, resp->raw.l + 64);
	if (err)
		return err;
	if (reason)
		err = buf_printf(mb, "SIP/2.0 %u %s\r\n", scode, reason);
	else
		err = buf_printf(mb, "SIP/2.0 %u %.*s\r\n", scode,
		                 PL_PRINT(&resp->reason));
	LIST_FOREACH(&resp->hdrl, le) {
		const struct sip_hdr *h = le->data;

		if (err)
			break;
		if (h->id == SIP_HDR_CONTENT_LENGTH)
			continue;
		if (h->id == SIP_HDR_VIA && first_via) {
			first_via = false;
			continue;
		}
		err = sip_hdr_encode(mb, h);
	}
	if (merge) {
		LIST_FOREACH(merge, le) {
			const struct branch *b = le->data;

			if (err)
				break;
			if (!b->resp || b->resp == resp ||
			    (b->scode != 401 && b->scode != 407))
				continue;
			for (struct le *hle = b->resp->hdrl.head; hle;
			     hle = hle->next) {
				const struct sip_hdr *h = hle->data;

				if (err)
					break;
				if (h->id == SIP_HDR_WWW_AUTHENTICATE ||
				    h->id == SIP_HDR_PROXY_AUTHENTICATE)
					err = sip_hdr_encode(mb, h);
			}
		}
	}
	if (!err)
		err =
		    buf_printf(mb, "Content-Length: %zu\r\n\r\n", resp->body.l);
	if (!err && resp->body.l)
		err = buf_write_pl(mb, &resp->body);
	if (err) {
		mem_deref(mb);
		return err;
	}
	mb->pos = 0;
	*mbp = mb;
	return 0;
}
