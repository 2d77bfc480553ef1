/* sip/tp.c - transport layer: listeners, send, local address (RFC 3261 18) */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../base/loop.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "tp_int.h"

#define LOG_MODULE       "sip.tp"
#define TRACE_MODULE     "sip.trace"
#define TRACE_MSG_MODULE "sip.trace.msg"

enum {
	DEF_MAX_MSG = 65535,
	DEF_MAX_HDR = 16384,
	DEF_MAX_CONNS = 4096,
	DEF_CONNECT_MS = 5000,
	DEF_UDP_MTU = 1300,
	TRACE_LINE_MAX = 200,
};

void tp_peer_print(struct log_ctx *lctx, enum sip_transp t,
                   const struct sa *peer)
{
	char a[56]; /* "[v6]:port" fits */

	if (sa_print(peer, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(lctx->peer, sizeof(lctx->peer), "%s:%s", sip_transp_lname(t),
	         a);
}

void tp_log_rl(struct sip_tp *tp, enum log_level lvl, const struct log_ctx *ctx,
               const char *fmt, ...)
{
	uint32_t supp = 0;
	char line[512];
	va_list ap;

	if (!log_enabled(LOG_MODULE, lvl) || !log_rl_allow(&tp->rl, &supp))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (supp)
		log_msg(LOG_MODULE, lvl, ctx, "%s (%u suppressed)", line, supp);
	else
		log_msg(LOG_MODULE, lvl, ctx, "%s", line);
}

/* One line per message (direction, transport, peer, first line); the
 * whole text, one log line per message line, in sip.trace.msg. */
void tp_trace(const char *dir, enum sip_transp t, const struct sa *local,
              const struct sa *peer, const uint8_t *p, size_t n)
{
	char pa[64] = "?", la[64] = "?";
	const char *s = (const char *)p;
	size_t fl = 0;

	if (!log_enabled(TRACE_MODULE, LOG_LVL_DEBUG))
		return;
	while (fl < n && fl < TRACE_LINE_MAX && s[fl] != '\r' && s[fl] != '\n')
		fl++;
	(void)sa_print(peer, pa, sizeof(pa));
	if (local)
		(void)sa_print(local, la, sizeof(la));
	log_msg(TRACE_MODULE, LOG_LVL_DEBUG, NULL, "%s %s %s %s %s %zu: %.*s",
	        dir, sip_transp_lname(t), la, dir[0] == 'R' ? "<-" : "->", pa,
	        n, (int)fl, s);
	if (!log_enabled(TRACE_MSG_MODULE, LOG_LVL_DEBUG))
		return;
	for (size_t i = 0; i < n;) {
		size_t e = i;

		while (e < n && s[e] != '\n')
			e++;
		log_msg(TRACE_MSG_MODULE, LOG_LVL_DEBUG, NULL, "| %.*s",
		        (int)(e > i && s[e - 1] == '\r' ? e - i - 1 : e - i),
		        s + i);
		i = e + 1;
	}
}

static bool is_response(const uint8_t *p, size_t n)
{
	return n >= 4 && !strncasecmp((const char *)p, "SIP/", 4);
}

/* Takes over the caller's reference to b. */
void tp_deliver(struct sip_tp *tp, struct buf *b, enum sip_transp t,
                const struct sa *src, const struct sa *dst,
                struct sip_conn *conn, uint64_t now)
{
	struct parse_err pe = {NULL, 0}, pe2 = {NULL, 0};
	bool stream = sip_transp_reliable(t);
	struct sip_msg *msg = NULL;
	int err;

	tp_trace("RX", t, dst, src, b->b, b->end);
	err = sip_msg_decode(&msg, b, stream, &pe);
	if (err) {
		struct log_ctx lctx = {{0}, {0}, {0}};

		tp->st.rx_bad++;
		tp_peer_print(&lctx, t, src);
		if (is_response(b->b, b->end)) {
			tp_log_rl(tp, LOG_LVL_NOTICE, &lctx,
			          "bad response dropped: %s",
			          pe.reason ? pe.reason : err_str(err));
			goto out;
		}
		if (err == ENOMEM) {
			/* not the sender's fault: no 400 */
			tp_log_rl(tp, LOG_LVL_WARN, &lctx,
			          "request dropped: out of memory");
			goto out;
		}
		/* The receiver answers and logs the rejection. */
		if (sip_msg_decode_lenient(&msg, b, stream, &pe2))
			msg = NULL;
		if (!pe.reason)
			pe = pe2;
		if (msg && !msg->req)
			goto out; /* a response after all: drop */
	} else {
		tp->st.rx_msgs++;
	}
	if (msg) {
		msg->src = *src;
		msg->dst = *dst;
		msg->tp = t;
		msg->conn = mem_ref(conn);
		msg->rx_ms = now;
	}
	tp->recvh(err, msg, err ? &pe : NULL, tp->arg);
out:
	mem_deref(msg);
	mem_deref(b);
}

static void tp_destroy(void *data)
{
	struct sip_tp *tp = data;

	tp->closing = true;
	if (tp->conns) {
		tp_conns_close_all(tp);
		mem_deref(tp->conns);
	}
	list_flush(&tp->lsnrs);
	tp_tls_free(tp);
	mem_deref(tp->udp_slots);
	mem_deref(tp->tls_cert);
	mem_deref(tp->tls_key);
	mem_deref(tp->tls_ca);
}

static int dupstr(char **dp, const char *s)
{
	if (!s || !*s) {
		*dp = NULL;
		return 0;
	}
	return mem_strdup(dp, s);
}

/**
 * Allocate a transport layer on loop. cf is copied (file paths too);
 * zero limits take defaults (max_msg 65535, max_hdr 16384, max_conns
 * 4096, connect_ms 5000, udp_mtu 1300; idle_s 0 = no idle timeout).
 * h receives every message (see sip_tp_recv_h).
 */
int sip_tp_alloc(struct sip_tp **tpp, struct loop *loop,
                 const struct sip_tp_conf *cf, sip_tp_recv_h *h, void *arg)
{
	struct sip_tp *tp;
	uint32_t bsize;
	int err;

	if (!tpp || !loop || !cf || !h)
		return EINVAL;
	tp = mem_zalloc(sizeof(*tp), tp_destroy);
	if (!tp)
		return ENOMEM;
	list_init(&tp->lsnrs);
	tp->loop = loop;
	tp->tmrl = loop_tmrl(loop);
	tp->recvh = h;
	tp->arg = arg;
	tp->cf = *cf;
	if (!tp->cf.max_msg)
		tp->cf.max_msg = DEF_MAX_MSG;
	if (!tp->cf.max_hdr)
		tp->cf.max_hdr = DEF_MAX_HDR;
	if (tp->cf.max_hdr > tp->cf.max_msg)
		tp->cf.max_hdr = tp->cf.max_msg;
	if (!tp->cf.max_conns)
		tp->cf.max_conns = DEF_MAX_CONNS;
	if (!tp->cf.connect_ms)
		tp->cf.connect_ms = DEF_CONNECT_MS;
	if (!tp->cf.udp_mtu)
		tp->cf.udp_mtu = DEF_UDP_MTU;
	tp->rl = (struct log_rl)LOG_RL_INIT(10, 10);

	err = dupstr(&tp->tls_cert, cf->tls_cert);
	if (!err)
		err = dupstr(&tp->tls_key, cf->tls_key);
	if (!err)
		err = dupstr(&tp->tls_ca, cf->tls_ca);
	if (err)
		goto out;
	tp->cf.tls_cert = tp->tls_cert;
	tp->cf.tls_key = tp->tls_key;
	tp->cf.tls_ca = tp->tls_ca;

	bsize = tp->cf.max_conns < 16384 ? tp->cf.max_conns : 16384;
	err = hash_alloc(&tp->conns, bsize);
out:
	if (err)
		mem_deref(tp);
	else
		*tpp = tp;
	return err;
}

static void lsnr_destroy(void *data)
{
	struct tp_lsnr *l = data;

	list_unlink(&l->le);
	if (l->fd >= 0) {
		loop_fd_close(l->tp->loop, l->fd);
		close(l->fd);
	}
}

static bool sa_is_any(const struct sa *sa)
{
	switch (sa_af(sa)) {
	case AF_INET:
		return sa->u.in.sin_addr.s_addr == htonl(INADDR_ANY);
	case AF_INET6:
		return IN6_IS_ADDR_UNSPECIFIED(&sa->u.in6.sin6_addr);
	default:
		return false;
	}
}

/**
 * Start a listener of kind t on laddr (port 0: any free port, see
 * sip_tp_listen_addr). A TLS listener needs tls_cert and tls_key.
 */
int sip_tp_listen(struct sip_tp *tp, enum sip_transp t, const struct sa *laddr)
{
	struct tp_lsnr *l;
	char a[64];
	int err;

	if (!tp || !laddr ||
	    (sa_af(laddr) != AF_INET && sa_af(laddr) != AF_INET6))
		return EINVAL;
	if (t != SIP_TRANSP_UDP && t != SIP_TRANSP_TCP && t != SIP_TRANSP_TLS)
		return EPROTONOSUPPORT;
	if (t == SIP_TRANSP_TLS) {
		err = tp_tls_srv_init(tp);
		if (err)
			return err;
	}
	l = mem_zalloc(sizeof(*l), NULL);
	if (!l)
		return ENOMEM;
	l->tp = tp;
	l->t = t;
	l->fd = -1;
	l->laddr = *laddr;
	l->wildcard = sa_is_any(laddr);
	mem_destructor(l, lsnr_destroy);
	err = t == SIP_TRANSP_UDP ? tp_udp_listen(l) : tp_stream_listen(l);
	if (err) {
		if (sa_print(laddr, a, sizeof(a)))
			a[0] = '\0';
		log_warn(&tp->lctx, "cannot listen on %s:%s: %s",
		         sip_transp_lname(t), a, err_str(err));
		mem_deref(l);
		return err;
	}
	list_append(&tp->lsnrs, &l->le, l);
	if (!sa_print(&l->laddr, a, sizeof(a)))
		log_info(&tp->lctx, "listening on %s:%s", sip_transp_lname(t),
		         a);
	return 0;
}

struct tp_lsnr *tp_lsnr_find(const struct sip_tp *tp, enum sip_transp t, int af)
{
	LIST_FOREACH(&tp->lsnrs, le) {
		struct tp_lsnr *l = le->data;

		if (l->t == t && (!af || sa_af(&l->laddr) == af))
			return l;
	}
	return NULL;
}

/** The bound address of the first listener of kind t and family af
 * (0 = any family). ENOENT if there is none. */
int sip_tp_listen_addr(const struct sip_tp *tp, enum sip_transp t, int af,
                       struct sa *laddr)
{
	const struct tp_lsnr *l;

	if (!tp || !laddr)
		return EINVAL;
	l = tp_lsnr_find(tp, t, af);
	if (!l)
		return ENOENT;
	*laddr = l->laddr;
	return 0;
}

/** Is there a listener of kind t? */
bool sip_tp_has(const struct sip_tp *tp, enum sip_transp t)
{
	return tp && tp_lsnr_find(tp, t, 0) != NULL;
}

/* Find the top Via's "UDP" (sent-protocol transport) in a request. */
static const uint8_t *via_udp_find(const uint8_t *p, size_t n)
{
	size_t i = 0;

	/* skip the request line */
	while (i < n && p[i] != '\n')
		i++;
	while (++i < n) {
		size_t slash = 0;

		if (p[i] == '\r' || p[i] == '\n')
			return NULL; /* end of headers */
		if ((p[i] == 'v' || p[i] == 'V') && i + 1 < n) {
			size_t j = i + 1;

			if (j + 1 < n &&
			    !strncasecmp((const char *)p + j, "ia", 2))
				j += 2;
			while (j < n && (p[j] == ' ' || p[j] == '\t'))
				j++;
			if (j < n && p[j] == ':') {
				for (j++; j < n && p[j] != '\n'; j++) {
					if (p[j] == '/' && ++slash == 2)
						break;
				}
				for (j++;
				     j < n && (p[j] == ' ' || p[j] == '\t');
				     j++)
					;
				if (slash == 2 && j + 3 < n &&
				    !strncasecmp((const char *)p + j, "udp",
				                 3) &&
				    (p[j + 3] == ' ' || p[j + 3] == '\t' ||
				     p[j + 3] == '\r' || p[j + 3] == '\n'))
					return p + j;
				return NULL;
			}
		}
		while (i < n && p[i] != '\n')
			i++;
	}
	return NULL;
}

/* 18.1.1: a request too large for UDP goes over TCP, its top Via
 * saying so. */
static int udp_to_tcp(struct sip_tp *tp, const struct sip_dst *dst,
                      struct buf *mb, sip_send_err_h *eh, void *arg)
{
	const uint8_t *v;
	struct buf *nb;
	int err;

	err = buf_alloc_copy(&nb, mb->b, mb->end);
	if (err)
		return err;
	v = via_udp_find(nb->b, nb->end);
	if (v)
		memcpy(nb->b + (v - nb->b), "TCP", 3);
	err = tp_stream_send(tp, SIP_TRANSP_TCP, &dst->addr, dst->host, nb, eh,
	                     arg, mb);
	if (!err)
		tp_trace("TX", SIP_TRANSP_TCP, NULL, &dst->addr, nb->b,
		         nb->end);
	mem_deref(nb);
	return err;
}

/**
 * Send one complete message, mb->b[0..end), to dst. UDP: one sendto().
 * TCP/TLS: over the open connection to dst->addr (inbound or outbound),
 * or a new one; writes that cannot complete at once are queued (mb is
 * referenced, not copied). 0 = sent or queued; a failure after that
 * calls eh(err, arg) once on the loop thread (arg is a mem object held
 * until then). A UDP request over udp_mtu goes over TCP when a TCP
 * listener exists (RFC 3261 18.1.1), falling back to UDP if the
 * connection is refused.
 */
int sip_tp_send(struct sip_tp *tp, const struct sip_dst *dst, struct buf *mb,
                sip_send_err_h *eh, void *arg)
{
	int err;

	if (!tp || !dst || !mb || !mb->end)
		return EINVAL;
	if (mb->end > tp->cf.max_msg)
		return EMSGSIZE;
	switch (dst->tp) {
	case SIP_TRANSP_UDP:
		if (mb->end > tp->cf.udp_mtu && !is_response(mb->b, mb->end) &&
		    tp_lsnr_find(tp, SIP_TRANSP_TCP, sa_af(&dst->addr)))
			return udp_to_tcp(tp, dst, mb, eh, arg);
		err = tp_udp_send(tp, &dst->addr, mb->b, mb->end);
		break;
	case SIP_TRANSP_TCP:
	case SIP_TRANSP_TLS:
		err = tp_stream_send(tp, dst->tp, &dst->addr, dst->host, mb, eh,
		                     arg, NULL);
		break;
	default:
		return EPROTONOSUPPORT;
	}
	if (!err)
		tp_trace("TX", dst->tp, NULL, &dst->addr, mb->b, mb->end);
	return err;
}

/* Which local address does the kernel route towards dst from? (the
 * connected-UDP-socket trick; no packet is sent). Cached briefly. */
static int route_src(struct sip_tp *tp, const struct sa *dst, struct sa *local)
{
	uint64_t now = tmrl_now(tp->tmrl);
	struct tp_laddr_ent *e;
	struct sa d = *dst, s;
	int fd, err = 0;

	for (size_t i = 0; i < TP_LADDR_CACHE; i++) {
		e = &tp->laddr_cache[i];
		if (e->expires > now && sa_cmp_addr(&e->dst, dst)) {
			*local = e->local;
			return 0;
		}
	}
	if (!sa_port(&d))
		sa_set_port(&d, 5060);
	fd = socket(sa_af(&d), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	sa_init(&s, sa_af(&d));
	if (connect(fd, &d.u.sa, d.len) < 0 ||
	    getsockname(fd, &s.u.sa, &s.len) < 0)
		err = errno;
	close(fd);
	if (err)
		return err;
	e = &tp->laddr_cache[tp->laddr_next++ % TP_LADDR_CACHE];
	e->dst = d;
	e->local = s;
	e->expires = now + TP_LADDR_TTL_MS;
	*local = s;
	return 0;
}

static int tp_laddr(void *ctx, enum sip_transp t, const struct sa *dst,
                    struct sa *local)
{
	struct sip_tp *tp = ctx;
	const struct tp_lsnr *l;
	struct sa s;
	int af, err;

	if (!tp || !local)
		return EINVAL;
	af = dst ? sa_af(dst) : 0;
	if (af != AF_INET && af != AF_INET6)
		af = 0;
	l = tp_lsnr_find(tp, t, af);
	if (!l)
		return ENOENT;
	if (!l->wildcard || !af) {
		*local = l->laddr;
		return 0;
	}
	if (sip_transp_reliable(t)) {
		const struct sip_conn *c = tp_conn_find(tp, t, dst);

		if (c && c->connected) {
			s = c->laddr;
			goto found;
		}
	}
	err = route_src(tp, dst, &s);
	if (err)
		return err;
found:
	sa_set_port(&s, sa_port(&l->laddr));
	*local = s;
	return 0;
}

static int tp_send_op(void *ctx, const struct sip_dst *dst, struct buf *mb,
                      sip_send_err_h *eh, void *arg)
{
	return sip_tp_send(ctx, dst, mb, eh, arg);
}

/** Transport operations for state machines; ctx is the struct sip_tp.
 * laddr: the listener address of that transport and family, with the
 * real local IP when the listener is bound to a wildcard address. */
static bool tp_flow_alive(void *ctx, enum sip_transp t, const struct sa *addr)
{
	return sip_tp_conn_exists(ctx, t, addr);
}

const struct sip_tp_ops *sip_tp_ops(void)
{
	static const struct sip_tp_ops ops = {tp_send_op, tp_laddr,
	                                      tp_flow_alive};

	return &ops;
}

/** Is there an open (or opening) connection of kind t to addr? */
bool sip_tp_conn_exists(const struct sip_tp *tp, enum sip_transp t,
                        const struct sa *addr)
{
	if (!tp || !addr || !sip_transp_reliable(t))
		return false;
	return tp_conn_find(tp, t, addr) != NULL;
}

void sip_tp_stats_get(const struct sip_tp *tp, struct sip_tp_stats *st)
{
	if (!tp || !st)
		return;
	*st = tp->st;
	st->conns = tp->nconns;
}

/** "udp:127.0.0.1:5060", "tcp:[::1]:5070", "tls:0.0.0.0" (port 0 or
 * absent: any) -> transport and address. EINVAL. */
int sip_tp_addr_decode(const char *s, enum sip_transp *t, struct sa *addr)
{
	enum sip_transp tt;
	const char *c;
	struct sa a;
	struct pl tn;
	int err;

	if (!s || !t || !addr)
		return EINVAL;
	c = strchr(s, ':');
	if (!c)
		return EINVAL;
	tn.p = s;
	tn.l = (size_t)(c - s);
	if (!pl_strcasecmp(&tn, "udp"))
		tt = SIP_TRANSP_UDP;
	else if (!pl_strcasecmp(&tn, "tcp"))
		tt = SIP_TRANSP_TCP;
	else if (!pl_strcasecmp(&tn, "tls"))
		tt = SIP_TRANSP_TLS;
	else
		return EINVAL;
	err = sa_decode(&a, c + 1, strlen(c + 1));
	if (err)
		return err;
	*t = tt;
	*addr = a;
	return 0;
}

int sip_uri_dst(struct sip_dst *dst, const struct sip_uri *uri)
{
	const struct pl *host;
	uint16_t port;

	memset(dst, 0, sizeof(*dst));
	if (!uri->is_sip)
		return EPROTONOSUPPORT;
	host = pl_isset(&uri->maddr) ? &uri->maddr : &uri->host;
	if (pl_isset(&uri->transport)) {
		dst->tp = sip_transp_decode(&uri->transport);
		if (dst->tp == SIP_TRANSP_NONE)
			return EPROTONOSUPPORT;
	} else {
		dst->tp = SIP_TRANSP_UDP;
	}
	if (uri->sips)
		dst->tp = SIP_TRANSP_TLS;
	port = uri->port ? uri->port : sip_transp_port(dst->tp);
	if (sa_set_pl(&dst->addr, host, port)) {
		if (pl_strcasecmp(host, "localhost"))
			return ENOTSUP;
		if (sa_set_str(&dst->addr, "127.0.0.1", port))
			return EINVAL;
	}
	if (pl_strcpy(host, dst->host, sizeof(dst->host)))
		dst->host[0] = '\0';
	return 0;
}
