/* sip/tp_udp.c - UDP transport (RFC 3261 18.1.1, 18.2.1, 18.3) */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../base/loop.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "tp_int.h"

#define LOG_MODULE "sip.tp"

enum {
	UDP_SOCKBUF = 4 * 1024 * 1024, /* asked for; the kernel may cap it */
	UDP_SLOT_MAX = 65536,
};

/* Datagrams of CR, LF, SP, TAB or NUL only are keep-alives some UAs
 * send; they are dropped without a word. */
static bool is_keepalive(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\r' && p[i] != '\n' && p[i] != ' ' &&
		    p[i] != '\t' && p[i] != '\0')
			return false;
	}
	return true;
}

/* The local address a datagram arrived on (wildcard listeners). */
static void pktinfo_dst(const struct tp_lsnr *l, struct msghdr *mh,
                        struct sa *dst)
{
	*dst = l->laddr;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm;
	     cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			dst->u.in.sin_addr = pi.ipi_addr;
			return;
		}
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			dst->u.in6.sin6_addr = pi.ipi6_addr;
			return;
		}
	}
}

static void udp_datagram(struct tp_lsnr *l, struct mmsghdr *mm, struct sa *src,
                         uint64_t now)
{
	struct sip_tp *tp = l->tp;
	const uint8_t *p = mm->msg_hdr.msg_iov->iov_base;
	size_t n = mm->msg_len;
	struct buf *b;
	struct sa dst;
	int err;

	src->len = mm->msg_hdr.msg_namelen;
	tp->st.rx_bytes += n;
	if (is_keepalive(p, n))
		return;
	if ((mm->msg_hdr.msg_flags & MSG_TRUNC) || n > tp->cf.max_msg) {
		struct log_ctx lctx = {{0}, {0}, {0}};

		tp->st.rx_bad++;
		tp_peer_print(&lctx, SIP_TRANSP_UDP, src);
		tp_log_rl(tp, LOG_LVL_NOTICE, &lctx,
		          "datagram over %u octets dropped", tp->cf.max_msg);
		return;
	}
	if (l->wildcard)
		pktinfo_dst(l, &mm->msg_hdr, &dst);
	else
		dst = l->laddr;
	err = buf_alloc_copy(&b, p, n);
	if (err) {
		tp_log_rl(tp, LOG_LVL_WARN, NULL, "datagram dropped: %s",
		          err_str(err));
		return;
	}
	tp_deliver(tp, b, SIP_TRANSP_UDP, src, &dst, NULL, now);
}

/* Drain up to TP_UDP_BATCH * TP_UDP_ROUNDS datagrams; the loop is
 * level-triggered, so what is left brings us back. */
static void udp_recv(int flags, void *arg)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl[TP_UDP_BATCH];
	struct mmsghdr mm[TP_UDP_BATCH];
	struct iovec iov[TP_UDP_BATCH];
	struct sa src[TP_UDP_BATCH];
	struct tp_lsnr *l = arg;
	struct sip_tp *tp = l->tp;
	uint64_t now;
	int n;

	(void)flags;
	for (int r = 0; r < TP_UDP_ROUNDS; r++) {
		memset(mm, 0, sizeof(mm));
		for (int i = 0; i < TP_UDP_BATCH; i++) {
			struct msghdr *mh = &mm[i].msg_hdr;

			iov[i].iov_base = tp->udp_slots + i * tp->udp_slot_size;
			iov[i].iov_len = tp->udp_slot_size;
			mh->msg_name = &src[i].u.ss;
			mh->msg_namelen = sizeof(src[i].u.ss);
			mh->msg_iov = &iov[i];
			mh->msg_iovlen = 1;
			if (l->wildcard) {
				mh->msg_control = ctl[i].b;
				mh->msg_controllen = sizeof(ctl[i].b);
			}
		}
		n = recvmmsg(l->fd, mm, TP_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				tp_log_rl(tp, LOG_LVL_WARN, NULL,
				          "UDP receive: %s", err_str(errno));
			return;
		}
		now = tmrl_now(tp->tmrl);
		for (int i = 0; i < n; i++)
			udp_datagram(l, &mm[i], &src[i], now);
		if (n < TP_UDP_BATCH)
			return;
	}
}

static void sockbuf(int fd, int opt)
{
	int v = UDP_SOCKBUF;

	(void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

int tp_udp_listen(struct tp_lsnr *l)
{
	struct sip_tp *tp = l->tp;
	int af = sa_af(&l->laddr), on = 1, err = 0;
	size_t slot;

	if (!tp->udp_slots) {
		slot = (size_t)tp->cf.max_msg + 1;
		if (slot > UDP_SLOT_MAX)
			slot = UDP_SLOT_MAX;
		tp->udp_slots = mem_alloc(slot * TP_UDP_BATCH, NULL);
		if (!tp->udp_slots)
			return ENOMEM;
		tp->udp_slot_size = slot;
	}
	l->fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return errno;
	if (af == AF_INET6 &&
	    setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
		return errno;
	if (l->wildcard) {
		if (af == AF_INET)
			err = setsockopt(l->fd, IPPROTO_IP, IP_PKTINFO, &on,
			                 sizeof(on));
		else
			err = setsockopt(l->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO,
			                 &on, sizeof(on));
		if (err < 0)
			return errno;
	}
	sockbuf(l->fd, SO_RCVBUF);
	sockbuf(l->fd, SO_SNDBUF);
	if (bind(l->fd, &l->laddr.u.sa, l->laddr.len) < 0)
		return errno;
	l->laddr.len = sizeof(l->laddr.u);
	if (getsockname(l->fd, &l->laddr.u.sa, &l->laddr.len) < 0)
		return errno;
	return loop_fd_listen(tp->loop, l->fd, FD_READ, udp_recv, l);
}

/* One sendto() from the first UDP listener of dst's family. A full
 * socket buffer loses the datagram like the network would (the
 * transaction layer retransmits). */
int tp_udp_send(struct sip_tp *tp, const struct sa *dst, const uint8_t *p,
                size_t n)
{
	const struct tp_lsnr *l;
	ssize_t r;
	int err;

	if (!sa_port(dst))
		return EINVAL;
	l = tp_lsnr_find(tp, SIP_TRANSP_UDP, sa_af(dst));
	if (!l)
		return EAFNOSUPPORT;
	do
		r = sendto(l->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL, &dst->u.sa,
		           dst->len);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		err = errno;
		if (err != EAGAIN && err != EWOULDBLOCK && err != ENOBUFS)
			return err;
		tp_log_rl(tp, LOG_LVL_WARN, NULL, "UDP send: %s (dropped)",
		          err_str(err));
	}
	tp->st.tx_msgs++;
	tp->st.tx_bytes += n;
	return 0;
}
