/* sip/tp_tcp.c - TCP/TLS connections (RFC 3261 18.2.2, 18.3, RFC 5626 4.4.1) */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../base/loop.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "tp_int.h"

#define LOG_MODULE "sip.tp"

enum {
	LISTEN_BACKLOG = 1024,
	READS_PER_EVENT = 64,
	RB_SLACK = 4096, /* receive buffer room past max_msg (CRLFs, next) */
	WQ_MAX = 65536,  /* queued writes per connection */
};

static void conn_fd_h(int flags, void *arg);
static void conn_tmr_h(void *arg);

static uint32_t conn_key(enum sip_transp t, const struct sa *peer)
{
	return sa_hash(peer) ^ ((uint32_t)t * 0x9e3779b9u);
}

struct sip_conn *tp_conn_find(const struct sip_tp *tp, enum sip_transp t,
                              const struct sa *peer)
{
	struct list *bl = hash_list(tp->conns, conn_key(t, peer));

	LIST_FOREACH(bl, le) {
		struct sip_conn *c = le->data;

		if (c->t == t && !c->closed && sa_cmp(&c->peer, peer))
			return c;
	}
	return NULL;
}

static void wqe_destroy(void *data)
{
	struct tp_wqe *w = data;

	list_unlink(&w->le);
	mem_deref(w->mb);
	mem_deref(w->arg);
	mem_deref(w->udp_fb);
}

static void conn_destroy(void *data)
{
	struct sip_conn *c = data;

	/* normally conn_close() ran already; this covers a failed alloc */
	hash_unlink(&c->he);
	tmr_cancel(&c->tmr);
	tp_tls_conn_free(c);
	if (c->fd >= 0)
		close(c->fd);
	list_flush(&c->wq);
	mem_deref(c->rb);
}

/* Fail every queued write: eh(err) for each, or the UDP fallback of a
 * request moved to TCP by 18.1.1 when nothing of it was written. */
static void wq_fail(struct sip_tp *tp, struct sip_conn *c, int err)
{
	struct le *le;

	while ((le = list_head(&c->wq))) {
		struct tp_wqe *w = le->data;

		list_unlink(&w->le);
		if (tp->closing)
			goto next;
		if (w->udp_fb && !w->off &&
		    (err == ECONNREFUSED || err == ECONNRESET) &&
		    !tp_udp_send(tp, &c->peer, w->udp_fb->b, w->udp_fb->end)) {
			log_debug(&c->lctx, "request sent over UDP instead");
			goto next;
		}
		if (w->eh)
			w->eh(err, w->arg);
	next:
		mem_deref(w);
	}
}

/* Close now: unlink from the table, stop watching, fail queued writes
 * and drop the table's reference. err 0 = the peer closed. */
static void conn_close(struct sip_conn *c, int err)
{
	struct sip_tp *tp = c->tp;

	if (c->closed)
		return;
	c->closed = true;
	hash_unlink(&c->he);
	tp->nconns--;
	tmr_cancel(&c->tmr);
	if (c->fd >= 0) {
		loop_fd_close(tp->loop, c->fd);
		tp_tls_conn_free(c);
		close(c->fd);
		c->fd = -1;
	}
	log_debug(&c->lctx, "connection closed: %s",
	          err ? err_str(err) : "by peer");
	wq_fail(tp, c, err ? err : ECONNRESET);
	c->tp = NULL;
	mem_deref(c);
}

void tp_conns_close_all(struct sip_tp *tp)
{
	HASH_FOREACH(tp->conns, i, le) {
		conn_close(le->data, ECONNABORTED);
	}
}

/* Watch what the state needs; on failure the connection is closed. */
static void conn_watch(struct sip_conn *c, int hs_want)
{
	int want, err;

	if (c->closed)
		return;
	if (!c->connected) {
		want = FD_WRITE;
	} else if (!c->ready) {
		want = hs_want ? hs_want : FD_READ;
	} else if (c->draining) {
		want = FD_WRITE;
	} else {
		want = FD_READ;
		if ((list_count(&c->wq) && !c->wr_wants_read) ||
		    c->rd_wants_write)
			want |= FD_WRITE;
	}
	if (want == c->fdflags)
		return;
	err = loop_fd_listen(c->tp->loop, c->fd, want, conn_fd_h, c);
	if (err) {
		tp_log_rl(c->tp, LOG_LVL_WARN, &c->lctx, "poll: %s",
		          err_str(err));
		conn_close(c, err);
		return;
	}
	c->fdflags = want;
}

static int conn_alloc(struct sip_conn **cp, struct sip_tp *tp,
                      enum sip_transp t, int fd, const struct sa *peer,
                      bool outbound)
{
	struct sip_conn *c;
	int err;

	c = mem_zalloc(sizeof(*c), conn_destroy);
	if (!c) {
		close(fd);
		return ENOMEM;
	}
	c->fd = fd;
	c->tp = tp;
	c->t = t;
	c->peer = *peer;
	c->outbound = outbound;
	list_init(&c->wq);
	tmr_init(&c->tmr);
	c->last_ms = tmrl_now(tp->tmrl);
	tp_peer_print(&c->lctx, t, peer);
	err = buf_alloc(&c->rb, TP_RB_MIN);
	if (err) {
		mem_deref(c);
		return err;
	}
	hash_append(tp->conns, conn_key(t, peer), &c->he, c);
	tp->nconns++;
	*cp = c;
	return 0;
}

static long conn_write(struct sip_conn *c, const uint8_t *p, size_t n, int *err)
{
	ssize_t r;
	int want = 0;

	if (c->ssl) {
		long w = tp_tls_write(c, p, n, err, &want);

		c->wr_wants_read = w < 0 && *err == EAGAIN && want == FD_READ;
		return w;
	}
	do
		r = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		*err = (errno == EWOULDBLOCK) ? EAGAIN : errno;
		return -1;
	}
	return (long)r;
}

/* Write queued messages in order until the socket would block. */
static void conn_flush(struct sip_conn *c)
{
	struct le *le;
	int err = 0;

	while ((le = list_head(&c->wq))) {
		struct tp_wqe *w = le->data;
		long r =
		    conn_write(c, w->mb->b + w->off, w->mb->end - w->off, &err);

		if (r < 0) {
			if (err != EAGAIN)
				conn_close(c, err);
			return;
		}
		w->off += (size_t)r;
		c->last_ms = tmrl_now(c->tp->tmrl);
		if (w->off < w->mb->end)
			return;
		list_unlink(&w->le);
		mem_deref(w);
	}
	if (c->draining)
		conn_close(c, EMSGSIZE);
}

static void conn_ready(struct sip_conn *c)
{
	struct sip_tp *tp = c->tp;

	c->ready = true;
	tmr_cancel(&c->tmr);
	if (tp->cf.idle_s)
		(void)tmr_start(&c->tmr, tp->tmrl, tp->cf.idle_s * 1000ull,
		                conn_tmr_h, c);
	log_debug(&c->lctx, "%s connection open",
	          c->outbound ? "outbound" : "inbound");
	conn_flush(c);
}

/* TCP is up: learn the local end, start TLS or go ready. */
static int conn_established(struct sip_conn *c)
{
	int err;

	c->connected = true;
	c->laddr.len = sizeof(c->laddr.u);
	if (getsockname(c->fd, &c->laddr.u.sa, &c->laddr.len) < 0)
		return errno;
	if (c->t == SIP_TRANSP_TLS) {
		err = tp_tls_conn_init(c);
		if (err)
			return err;
		return 0;
	}
	conn_ready(c);
	return 0;
}

static void conn_tmr_h(void *arg)
{
	struct sip_conn *c = arg;
	struct sip_tp *tp = c->tp;
	uint64_t now, idle;

	if (c->pend_err) {
		conn_close(c, c->pend_err);
		return;
	}
	if (c->draining) {
		conn_close(c, ETIMEDOUT);
		return;
	}
	if (!c->ready) {
		tp_log_rl(tp, LOG_LVL_NOTICE, &c->lctx, "%s timed out",
		          c->connected ? "TLS handshake" : "connect");
		conn_close(c, ETIMEDOUT);
		return;
	}
	now = tmrl_now(tp->tmrl);
	idle = tp->cf.idle_s * 1000ull;
	if (now - c->last_ms >= idle) {
		log_debug(&c->lctx, "idle for %us", tp->cf.idle_s);
		conn_close(c, ETIMEDOUT);
		return;
	}
	(void)tmr_start(&c->tmr, tp->tmrl, idle - (now - c->last_ms),
	                conn_tmr_h, c);
}

static int wq_add(struct sip_conn *c, struct buf *mb, size_t off,
                  sip_send_err_h *eh, void *arg, struct buf *udp_fb)
{
	struct tp_wqe *w = mem_zalloc(sizeof(*w), wqe_destroy);

	if (!w)
		return ENOMEM;
	w->mb = mem_ref(mb);
	w->off = off;
	w->eh = eh;
	w->arg = mem_ref(arg);
	w->udp_fb = mem_ref(udp_fb);
	list_append(&c->wq, &w->le, w);
	return 0;
}

/* Write at once when nothing is queued, queue the rest. */
static int conn_send(struct sip_conn *c, struct buf *mb, sip_send_err_h *eh,
                     void *arg, struct buf *udp_fb)
{
	size_t off = 0;
	int err = 0;

	if (c->ready && !list_count(&c->wq)) {
		long r = conn_write(c, mb->b, mb->end, &err);

		if (r < 0 && err != EAGAIN)
			return err; /* caller closes */
		if (r > 0)
			off = (size_t)r;
		if (off == mb->end) {
			c->last_ms = tmrl_now(c->tp->tmrl);
			return 0;
		}
	}
	/* a peer that stopped reading does not get to eat our memory */
	err = list_count(&c->wq) >= WQ_MAX
	          ? ENOBUFS
	          : wq_add(c, mb, off, eh, arg, udp_fb);
	if (err) {
		if (off) /* half a message on the wire: the stream is lost */
			conn_close(c, err);
		return err;
	}
	conn_watch(c, 0);
	return 0;
}

static void sock_nodelay(int fd)
{
	int on = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

static int conn_connect(struct sip_conn **cp, struct sip_tp *tp,
                        enum sip_transp t, const struct sa *dst,
                        const char *host)
{
	struct sip_conn *c;
	int fd, err;

	if ((sa_af(dst) != AF_INET && sa_af(dst) != AF_INET6) || !sa_port(dst))
		return EINVAL;
	if (tp->nconns >= tp->cf.max_conns) {
		tp_log_rl(tp, LOG_LVL_WARN, NULL,
		          "connection limit (%u) reached: not connecting",
		          tp->cf.max_conns);
		return EMFILE;
	}
	if (t == SIP_TRANSP_TLS) {
		err = tp_tls_cli_init(tp);
		if (err)
			return err;
	}
	fd = socket(sa_af(dst), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	sock_nodelay(fd);
	err = conn_alloc(&c, tp, t, fd, dst, true);
	if (err)
		return err;
	if (host)
		snprintf(c->host, sizeof(c->host), "%s", host);
	err = loop_fd_listen(tp->loop, fd, FD_WRITE, conn_fd_h, c);
	if (err)
		goto out;
	c->fdflags = FD_WRITE;
	if (connect(fd, &dst->u.sa, dst->len) < 0 && errno != EINPROGRESS)
		c->pend_err = errno; /* reported from the loop, like others */
	err = tmr_start(&c->tmr, tp->tmrl, c->pend_err ? 0 : tp->cf.connect_ms,
	                conn_tmr_h, c);
	if (err)
		goto out;
	log_debug(&c->lctx, "connecting");
out:
	if (err)
		conn_close(c, err);
	else
		*cp = c;
	return err;
}

int tp_stream_send(struct sip_tp *tp, enum sip_transp t, const struct sa *dst,
                   const char *host, struct buf *mb, sip_send_err_h *eh,
                   void *arg, struct buf *udp_fb)
{
	struct sip_conn *c;
	int err;

	for (int tries = 0;; tries++) {
		c = tp_conn_find(tp, t, dst);
		if (!c) {
			err = conn_connect(&c, tp, t, dst, host);
			if (err)
				return err;
		}
		err = conn_send(c, mb, eh, arg, udp_fb);
		if (!err)
			break;
		if (err == ENOMEM)
			return err;
		/* dead connection found on write: close, and once more on
		 * a fresh one if it was ours */
		{
			bool retry = c->outbound && !tries;

			conn_close(c, err);
			if (!retry)
				return err;
		}
	}
	tp->st.tx_msgs++;
	tp->st.tx_bytes += mb->end;
	return 0;
}

/* "\r\n" answers a "\r\n\r\n" ping (RFC 5626 4.4.1). */
static void conn_pong(struct sip_conn *c)
{
	static const uint8_t crlf[2] = {'\r', '\n'};
	struct buf *b;
	int err;

	if (list_count(&c->wq))
		return; /* not reading what we send: no use */
	err = buf_alloc_copy(&b, crlf, sizeof(crlf));
	if (!err)
		err = conn_send(c, b, NULL, NULL, NULL);
	mem_deref(b);
	if (err && !c->closed)
		conn_close(c, err);
}

/* A request over max_msg: answer 513 from its header section (when it
 * is all here and readable), then close once that is written. */
static bool conn_reply_513(struct sip_conn *c, const uint8_t *p, size_t n)
{
	const uint8_t *e = memmem(p, n, "\r\n\r\n", 4);
	struct sip_msg *req = NULL;
	struct buf *hb = NULL, *mb = NULL;
	struct parse_err pe;
	bool ok = false;

	if (!e || (n >= 4 && !strncasecmp((const char *)p, "SIP/", 4)))
		return false;
	if (buf_alloc_copy(&hb, p, (size_t)(e - p) + 4) ||
	    sip_msg_decode_lenient(&req, hb, false, &pe) || !req->req ||
	    sip_resp_encode(&mb, req, 513, NULL, NULL, NULL, NULL))
		goto out;
	tp_trace("TX", c->t, &c->laddr, &c->peer, mb->b, mb->end);
	if (conn_send(c, mb, NULL, NULL, NULL) || c->closed)
		goto out;
	ok = true;
	c->tp->st.tx_msgs++;
	c->tp->st.tx_bytes += mb->end;
	c->draining = true;
	tmr_cancel(&c->tmr);
	if (!list_count(&c->wq)) {
		conn_close(c, EMSGSIZE);
		goto out;
	}
	(void)tmr_start(&c->tmr, c->tp->tmrl, c->tp->cf.connect_ms, conn_tmr_h,
	                c);
	conn_watch(c, 0);
out:
	mem_deref(mb);
	mem_deref(req);
	mem_deref(hb);
	return ok;
}

/* Frame and deliver every complete message in the receive buffer. */
static void conn_parse(struct sip_conn *c, uint64_t now)
{
	struct sip_tp *tp = c->tp;
	struct buf *rb = c->rb;
	size_t off = 0;
	int err;

	while (!c->closed) {
		const uint8_t *p = rb->b + off;
		size_t n = rb->end - off, len = 0, ka = 0;
		struct buf *b;

		if (!c->scanned) {
			size_t k = 0;

			while (k < n && (p[k] == '\r' || p[k] == '\n')) {
				if (p[k] == '\n' && ++c->ka_lf == 2) {
					c->ka_lf = 0;
					conn_pong(c);
					if (c->closed)
						return;
				}
				k++;
			}
			off += k;
			p += k;
			n -= k;
		}
		if (!n)
			break;
		c->ka_lf = 0;
		err = sip_frame(p, n, &c->scanned, &len, &ka, tp->cf.max_hdr,
		                tp->cf.max_msg);
		if (err == ENODATA)
			break;
		if (!err && (!len || ka + len > n))
			err = EBADMSG;
		if (err) {
			tp->st.rx_bad++;
			tp_log_rl(tp, LOG_LVL_NOTICE, &c->lctx,
			          "cannot frame stream (%s): closing",
			          err_str(err));
			if (err != EMSGSIZE || !conn_reply_513(c, p, n))
				conn_close(c, err);
			return;
		}
		c->scanned = 0;
		err = buf_alloc_copy(&b, p + ka, len);
		off += ka + len;
		if (err) {
			tp_log_rl(tp, LOG_LVL_WARN, &c->lctx,
			          "message dropped: %s", err_str(err));
			continue;
		}
		tp_deliver(tp, b, c->t, &c->peer, &c->laddr, c, now);
	}
	if (off)
		buf_consume(rb, off);
	if (!rb->end && rb->size > 4 * TP_RB_MIN)
		(void)buf_resize(rb, TP_RB_MIN); /* after a large message */
}

static void conn_read(struct sip_conn *c)
{
	struct sip_tp *tp = c->tp;
	struct buf *rb = c->rb;
	size_t cap = (size_t)tp->cf.max_msg + RB_SLACK;

	for (int i = 0; !c->closed && !c->draining; i++) {
		size_t space;
		long r;
		int err = 0, want = 0;

		if (i >= READS_PER_EVENT && !(c->ssl && tp_tls_pending(c)))
			break;
		if (rb->size - rb->end < 1024 && rb->size < cap) {
			size_t ns = rb->size * 2;

			err = buf_resize(rb, ns < cap ? ns : cap);
			if (err) {
				conn_close(c, err);
				return;
			}
		}
		space = rb->size - rb->end;
		if (!space) { /* the framer should have refused it */
			conn_close(c, EMSGSIZE);
			return;
		}
		if (c->ssl) {
			r = tp_tls_read(c, rb->b + rb->end, space, &err, &want);
		} else {
			do
				r = recv(c->fd, rb->b + rb->end, space,
				         MSG_DONTWAIT);
			while (r < 0 && errno == EINTR);
			if (r < 0)
				err = errno == EWOULDBLOCK ? EAGAIN : errno;
		}
		if (r == 0) {
			conn_close(c, 0);
			return;
		}
		if (r < 0) {
			if (err != EAGAIN) {
				tp_log_rl(tp, LOG_LVL_INFO, &c->lctx,
				          "receive: %s", err_str(err));
				conn_close(c, err);
			} else if (want == FD_WRITE) {
				c->rd_wants_write = true;
			}
			return;
		}
		rb->end += (size_t)r;
		tp->st.rx_bytes += (uint64_t)r;
		c->last_ms = tmrl_now(tp->tmrl);
		conn_parse(c, c->last_ms);
		if (!c->ssl && (size_t)r < space)
			break; /* socket drained */
	}
}

static void conn_fd_h(int flags, void *arg)
{
	struct sip_conn *c = arg;
	int err, want = 0;

	mem_ref(c);
	if (!c->connected) {
		int e = 0;
		socklen_t el = sizeof(e);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (!e && !(flags & FD_WRITE))
			goto out; /* not yet */
		if (!e)
			e = conn_established(c);
		if (e) {
			tp_log_rl(c->tp, LOG_LVL_INFO, &c->lctx, "connect: %s",
			          err_str(e));
			conn_close(c, e);
			goto out;
		}
	}
	if (!c->ready) {
		err = tp_tls_handshake(c, &want);
		if (err == EAGAIN) {
			conn_watch(c, want);
			goto out;
		}
		if (err) {
			conn_close(c, err);
			goto out;
		}
		conn_ready(c);
		if (c->closed)
			goto out;
	}
	if (c->rd_wants_write)
		flags |= FD_READ; /* retry the read that wanted to write */
	c->rd_wants_write = false;
	if (list_count(&c->wq))
		conn_flush(c);
	if (!c->closed && (flags & (FD_READ | FD_EXCEPT)))
		conn_read(c);
	conn_watch(c, 0);
out:
	mem_deref(c);
}

static void lsnr_accept(int flags, void *arg)
{
	struct tp_lsnr *l = arg;
	struct sip_tp *tp = l->tp;

	(void)flags;
	for (int i = 0; i < TP_ACCEPT_BATCH; i++) {
		struct sip_conn *c;
		struct sa peer;
		int fd, err;

		peer.len = sizeof(peer.u);
		fd = accept4(l->fd, &peer.u.sa, &peer.len,
		             SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				tp_log_rl(tp, LOG_LVL_WARN, NULL, "accept: %s",
				          err_str(errno));
			return;
		}
		if (tp->nconns >= tp->cf.max_conns) {
			struct log_ctx lctx = {{0}, {0}, {0}};

			tp_peer_print(&lctx, l->t, &peer);
			tp_log_rl(tp, LOG_LVL_WARN, &lctx,
			          "connection limit (%u) reached: refused",
			          tp->cf.max_conns);
			close(fd);
			continue;
		}
		sock_nodelay(fd);
		err = conn_alloc(&c, tp, l->t, fd, &peer, false);
		if (err)
			continue;
		err = conn_established(c);
		if (!err && !c->ready)
			err = tmr_start(&c->tmr, tp->tmrl, tp->cf.connect_ms,
			                conn_tmr_h, c);
		if (!err) {
			conn_watch(c, 0);
			continue;
		}
		tp_log_rl(tp, LOG_LVL_WARN, &c->lctx, "accept: %s",
		          err_str(err));
		conn_close(c, err);
	}
}

int tp_stream_listen(struct tp_lsnr *l)
{
	int af = sa_af(&l->laddr), on = 1;

	l->fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return errno;
	if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		return errno;
	if (af == AF_INET6 &&
	    setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
		return errno;
	if (bind(l->fd, &l->laddr.u.sa, l->laddr.len) < 0)
		return errno;
	if (listen(l->fd, LISTEN_BACKLOG) < 0)
		return errno;
	l->laddr.len = sizeof(l->laddr.u);
	if (getsockname(l->fd, &l->laddr.u.sa, &l->laddr.len) < 0)
		return errno;
	return loop_fd_listen(l->tp->loop, l->fd, FD_READ, lsnr_accept, l);
}
