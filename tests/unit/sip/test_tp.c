/* tests/unit/sip/test_tp.c - UDP and TCP transports (RFC 3261 18, RFC 5626) */
#include "test_tp.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/loop.h"
#include "base/mem.h"
#include "sip/msg.h"
#include "sip/tp.h"
#include "test.h"

static const struct sip_tp_conf base_cf = {
    .max_msg = 65535,
    .max_hdr = 16384,
    .max_conns = 64,
    .connect_ms = 2000,
    .udp_mtu = 1300,
};

TEST(test_sip_tp_addr_decode)
{
	enum sip_transp t = SIP_TRANSP_NONE;
	struct sa a;
	int err = 0;

	err = sip_tp_addr_decode("udp:127.0.0.1:5060", &t, &a);
	TEST_ERR(err);
	TEST_EQ(SIP_TRANSP_UDP, t);
	TEST_EQ(AF_INET, sa_af(&a));
	TEST_EQ(5060, sa_port(&a));

	err = sip_tp_addr_decode("tcp:[::1]:5070", &t, &a);
	TEST_ERR(err);
	TEST_EQ(SIP_TRANSP_TCP, t);
	TEST_EQ(AF_INET6, sa_af(&a));
	TEST_EQ(5070, sa_port(&a));

	err = sip_tp_addr_decode("TLS:0.0.0.0:0", &t, &a);
	TEST_ERR(err);
	TEST_EQ(SIP_TRANSP_TLS, t);
	TEST_EQ(0, sa_port(&a));

	TEST_ERR_EQ(EINVAL, sip_tp_addr_decode("sctp:1.2.3.4:5060", &t, &a));
	TEST_ERR_EQ(EINVAL, sip_tp_addr_decode("udp", &t, &a));
	TEST_ERR_EQ(EINVAL, sip_tp_addr_decode("udp:", &t, &a));
	TEST_ERR_EQ(EINVAL, sip_tp_addr_decode("udp:example.org:5060", &t, &a));
	TEST_ERR_EQ(EINVAL, sip_tp_addr_decode("udp:1.2.3.4:65536", &t, &a));
	TEST_ERR_EQ(EINVAL, sip_tp_addr_decode("tcp:::1:5060", &t, &a));
	err = 0;
out:
	return err;
}

TEST_NO_OOM(test_sip_tp_udp)
{
	struct sip_tp *a = NULL, *b = NULL;
	struct tp_rx rxa = {0}, rxb = {0};
	struct sip_tp_stats st;
	struct loop *loop = NULL;
	struct buf *mb = NULL;
	struct sip_dst dst;
	struct sa aa, ba, la;
	int err;

	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = tp_make(&a, loop, &base_cf, &rxa, SIP_TRANSP_UDP, &aa);
	TEST_ERR(err);
	err = tp_make(&b, loop, &base_cf, &rxb, SIP_TRANSP_UDP, &ba);
	TEST_ERR(err);
	TEST_ASSERT(sa_port(&aa) != 0);
	TEST_ASSERT(sip_tp_has(a, SIP_TRANSP_UDP));
	TEST_ASSERT(!sip_tp_has(a, SIP_TRANSP_TCP));

	err = tp_req(&mb, "UDP", 5);
	TEST_ERR(err);
	memset(&dst, 0, sizeof(dst));
	dst.tp = SIP_TRANSP_UDP;
	dst.addr = ba;
	err = sip_tp_send(a, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxb.n == 1, 2000);
	TEST_EQ(1, rxb.n);
	TEST_EQ(0, rxb.nerr);
	TEST_ASSERT(rxb.msg->req);
	TP_PL_EQ("MESSAGE", &rxb.msg->met);
	TP_PL_EQ("xxxxx", &rxb.msg->body);
	TEST_EQ(SIP_TRANSP_UDP, rxb.msg->tp);
	TEST_ASSERT(rxb.msg->conn == NULL);
	TEST_ASSERT(sa_cmp(&rxb.msg->src, &aa));
	TEST_ASSERT(sa_cmp(&rxb.msg->dst, &ba));
	TEST_ASSERT(rxb.msg->rx_ms > 0);

	/* the response goes back to the source */
	mb = mem_deref(mb);
	err = tp_resp(&mb, 0);
	TEST_ERR(err);
	dst.addr = rxb.msg->src;
	err = sip_tp_send(b, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxa.n == 1, 2000);
	TEST_EQ(1, rxa.n);
	TEST_ASSERT(!rxa.msg->req);
	TEST_EQ(200, rxa.msg->scode);

	sip_tp_stats_get(a, &st);
	TEST_EQ(1, st.tx_msgs);
	TEST_EQ(1, st.rx_msgs);
	TEST_EQ(0, st.rx_bad);
	TEST_EQ(0, st.conns);
	TEST_EQ(mb->end, st.rx_bytes);

	/* local address: the listener's */
	err = sip_tp_ops()->laddr(a, SIP_TRANSP_UDP, &ba, &la);
	TEST_ERR(err);
	TEST_ASSERT(sa_cmp(&la, &aa));
	TEST_ERR_EQ(ENOENT, sip_tp_ops()->laddr(a, SIP_TRANSP_TCP, &ba, &la));

	/* no UDP listener for IPv6, no port */
	err = sa_set_str(&dst.addr, "::1", 5060);
	TEST_ERR(err);
	TEST_ERR_EQ(EAFNOSUPPORT, sip_tp_send(a, &dst, mb, NULL, NULL));
	dst.addr = ba;
	sa_set_port(&dst.addr, 0);
	TEST_ERR_EQ(EINVAL, sip_tp_send(a, &dst, mb, NULL, NULL));
	err = 0;
out:
	tp_rx_reset(&rxa);
	tp_rx_reset(&rxb);
	mem_deref(mb);
	mem_deref(a);
	mem_deref(b);
	mem_deref(loop);
	return err;
}

static int raw_udp_sendn(const struct sa *to, const void *p, size_t n)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return errno;
	if (sendto(fd, p, n, 0, &to->u.sa, to->len) < 0)
		err = errno;
	close(fd);
	return err;
}

static int raw_udp_send(const struct sa *to, const char *s)
{
	return raw_udp_sendn(to, s, strlen(s));
}

TEST_NO_OOM(test_sip_tp_udp_bad)
{
	struct tp_rx rx = {0};
	struct sip_tp_stats st;
	struct loop *loop = NULL;
	struct sip_tp *b = NULL;
	struct buf *mb = NULL;
	struct sa ba;
	int err;

	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = tp_make(&b, loop, &base_cf, &rx, SIP_TRANSP_UDP, &ba);
	TEST_ERR(err);

	/* garbage: the handler hears of it */
	err = raw_udp_send(&ba, "this is not SIP\r\n\r\n");
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rx.nerr == 1, 2000);
	TEST_EQ(1, rx.nerr);
	TEST_EQ(0, rx.n);
	TEST_ASSERT(rx.err != 0);

	/* a request with a broken CSeq: err, and a lenient message to
	 * answer (if the parser can) carrying where it came from */
	err = raw_udp_send(
	    &ba, "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-2\r\n"
	         "From: <sip:alice@127.0.0.1>;tag=a1\r\n"
	         "To: <sip:bob@127.0.0.1>\r\n"
	         "Call-ID: c2@127.0.0.1\r\n"
	         "CSeq: x MESSAGE\r\n"
	         "Content-Length: 0\r\n\r\n");
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rx.nerr == 2, 2000);
	TEST_EQ(2, rx.nerr);
	if (rx.bad) {
		TEST_EQ(SIP_TRANSP_UDP, rx.bad->tp);
		TEST_ASSERT(sa_cmp(&rx.bad->dst, &ba));
		TEST_ASSERT(rx.bad->conn == NULL);
	}

	/* a broken response is dropped and counted; keep-alives ignored */
	err = raw_udp_send(&ba, "SIP/2.0 200 OK\r\nVia: broken\r\n\r\n");
	TEST_ERR(err);
	err = raw_udp_send(&ba, "\r\n\r\n");
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, false, 100);
	TEST_EQ(2, rx.nerr);
	TEST_EQ(0, rx.n);
	sip_tp_stats_get(b, &st);
	TEST_EQ(3, st.rx_bad);

	/* and a good one still passes */
	err = tp_req(&mb, "UDP", 0);
	TEST_ERR(err);
	err = raw_udp_sendn(&ba, mb->b, mb->end);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rx.n == 1, 2000);
	TEST_EQ(1, rx.n);
	sip_tp_stats_get(b, &st);
	TEST_EQ(1, st.rx_msgs);
	err = 0;
out:
	tp_rx_reset(&rx);
	mem_deref(mb);
	mem_deref(b);
	mem_deref(loop);
	return err;
}

TEST_NO_OOM(test_sip_tp_udp_wildcard)
{
	struct tp_rx rx = {0};
	struct loop *loop = NULL;
	struct sip_tp *b = NULL;
	struct buf *mb = NULL;
	struct sa any, ba, to, la;
	int err;

	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = sip_tp_alloc(&b, loop, &base_cf, tp_rx_h, &rx);
	TEST_ERR(err);
	err = sa_set_str(&any, "0.0.0.0", 0);
	TEST_ERR(err);
	err = sip_tp_listen(b, SIP_TRANSP_UDP, &any);
	TEST_ERR(err);
	err = sip_tp_listen_addr(b, SIP_TRANSP_UDP, AF_INET, &ba);
	TEST_ERR(err);
	TEST_ERR_EQ(ENOENT,
	            sip_tp_listen_addr(b, SIP_TRANSP_UDP, AF_INET6, &la));

	/* the real local address towards a destination, listener port */
	err = sa_set_str(&to, "127.0.0.1", 5999);
	TEST_ERR(err);
	err = sip_tp_ops()->laddr(b, SIP_TRANSP_UDP, &to, &la);
	TEST_ERR(err);
	TEST_ASSERT(sa_is_loopback(&la));
	TEST_EQ(sa_port(&ba), sa_port(&la));

	/* a datagram on the wildcard socket: dst is the address used */
	err = tp_req(&mb, "UDP", 0);
	TEST_ERR(err);
	sa_set_port(&to, sa_port(&ba));
	err = raw_udp_sendn(&to, mb->b, mb->end);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rx.n == 1, 2000);
	TEST_EQ(1, rx.n);
	TEST_ASSERT(sa_cmp(&rx.msg->dst, &to));
	err = 0;
out:
	tp_rx_reset(&rx);
	mem_deref(mb);
	mem_deref(b);
	mem_deref(loop);
	return err;
}

TEST_NO_OOM(test_sip_tp_tcp)
{
	struct sip_tp *a = NULL, *b = NULL;
	struct tp_rx rxa = {0}, rxb = {0};
	struct sip_msg *first = NULL;
	struct sip_tp_stats st;
	struct loop *loop = NULL;
	struct buf *mb = NULL;
	struct sip_dst dst;
	struct sa aa, ba, la;
	int err;

	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = tp_make(&a, loop, &base_cf, &rxa, SIP_TRANSP_TCP, &aa);
	TEST_ERR(err);
	err = tp_make(&b, loop, &base_cf, &rxb, SIP_TRANSP_TCP, &ba);
	TEST_ERR(err);

	err = tp_req(&mb, "TCP", 5);
	TEST_ERR(err);
	memset(&dst, 0, sizeof(dst));
	dst.tp = SIP_TRANSP_TCP;
	dst.addr = ba;
	err = sip_tp_send(a, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TEST_ASSERT(sip_tp_conn_exists(a, SIP_TRANSP_TCP, &ba));
	TP_RUN_UNTIL(loop, rxb.n == 1, 2000);
	TEST_EQ(1, rxb.n);
	TEST_EQ(SIP_TRANSP_TCP, rxb.msg->tp);
	TEST_ASSERT(rxb.msg->conn != NULL);
	TP_PL_EQ("xxxxx", &rxb.msg->body);
	TEST_ASSERT(sa_cmp(&rxb.msg->dst, &ba));
	TEST_ASSERT(sip_tp_conn_exists(b, SIP_TRANSP_TCP, &rxb.msg->src));
	first = mem_ref(rxb.msg);

	/* the response to the source address reuses the inbound
	 * connection: no new connection anywhere */
	mb = mem_deref(mb);
	err = tp_resp(&mb, 3);
	TEST_ERR(err);
	dst.addr = first->src;
	err = sip_tp_send(b, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxa.n == 1, 2000);
	TEST_EQ(1, rxa.n);
	TEST_EQ(200, rxa.msg->scode);
	TP_PL_EQ("yyy", &rxa.msg->body);
	TEST_ASSERT(sa_cmp(&rxa.msg->src, &ba));
	sip_tp_stats_get(a, &st);
	TEST_EQ(1, st.conns);
	sip_tp_stats_get(b, &st);
	TEST_EQ(1, st.conns);

	/* a request towards the client goes over its connection too */
	mb = mem_deref(mb);
	err = tp_req(&mb, "TCP", 0);
	TEST_ERR(err);
	err = sip_tp_send(b, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxa.n == 2, 2000);
	TEST_EQ(2, rxa.n);
	TEST_ASSERT(rxa.msg->req);

	/* and a second request from a uses its connection again */
	dst.addr = ba;
	err = sip_tp_send(a, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxb.n == 2, 2000);
	TEST_EQ(2, rxb.n);
	TEST_ASSERT(rxb.msg->conn == first->conn);
	sip_tp_stats_get(a, &st);
	TEST_EQ(1, st.conns);
	TEST_EQ(2, st.tx_msgs);
	TEST_EQ(2, st.rx_msgs);
	sip_tp_stats_get(b, &st);
	TEST_EQ(1, st.conns);

	/* local address for a stream: the listener's */
	err = sip_tp_ops()->laddr(a, SIP_TRANSP_TCP, &ba, &la);
	TEST_ERR(err);
	TEST_ASSERT(sa_cmp(&la, &aa));

	/* the message keeps its connection object after the transport
	 * is gone */
	a = mem_deref(a);
	b = mem_deref(b);
	TEST_ASSERT(first->conn != NULL);
	err = 0;
out:
	mem_deref(first);
	tp_rx_reset(&rxa);
	tp_rx_reset(&rxb);
	mem_deref(mb);
	mem_deref(a);
	mem_deref(b);
	mem_deref(loop);
	return err;
}

static int raw_write(int fd, const void *p, size_t n)
{
	return send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : EIO;
}

TEST_NO_OOM(test_sip_tp_tcp_split)
{
	struct tp_rx rx = {0};
	struct sip_tp_stats st;
	struct loop *loop = NULL;
	struct sip_tp *b = NULL;
	struct buf *mb = NULL, *two = NULL;
	struct sa ba;
	int fd = -1, err;

	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = tp_make(&b, loop, &base_cf, &rx, SIP_TRANSP_TCP, &ba);
	TEST_ERR(err);
	err = tp_raw_connect(&fd, &ba);
	TEST_ERR(err);

	/* one octet per write, the loop running in between */
	err = tp_req(&mb, "TCP", 7);
	TEST_ERR(err);
	for (size_t i = 0; i < mb->end; i++) {
		err = raw_write(fd, mb->b + i, 1);
		TEST_ERR(err);
		if (i % 3 == 0)
			(void)loop_run_once(loop, 1);
		TEST_EQ(0, rx.n);
		if (i + 1 < mb->end && rx.n)
			break;
	}
	TP_RUN_UNTIL(loop, rx.n == 1, 2000);
	TEST_EQ(1, rx.n);
	TP_PL_EQ("xxxxxxx", &rx.msg->body);

	/* two messages (and stray CRLFs) in one write */
	err = buf_alloc(&two, 2 * mb->end + 4);
	TEST_ERR(err);
	err = buf_write(two, mb->b, mb->end);
	TEST_ERR(err);
	err = buf_write_str(two, "\r\n");
	TEST_ERR(err);
	err = buf_write(two, mb->b, mb->end);
	TEST_ERR(err);
	err = raw_write(fd, two->b, two->end);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rx.n == 3, 2000);
	TEST_EQ(3, rx.n);
	TEST_EQ(0, rx.nerr);
	sip_tp_stats_get(b, &st);
	TEST_EQ(1, st.conns);
	TEST_EQ(3, st.rx_msgs);
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	tp_rx_reset(&rx);
	mem_deref(two);
	mem_deref(mb);
	mem_deref(b);
	mem_deref(loop);
	return err;
}

TEST_NO_OOM(test_sip_tp_tcp_keepalive)
{
	struct tp_rx rx = {0};
	struct loop *loop = NULL;
	struct sip_tp *b = NULL;
	char rbuf[16];
	long r = -1;
	struct sa ba;
	int fd = -1, err;

	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = tp_make(&b, loop, &base_cf, &rx, SIP_TRANSP_TCP, &ba);
	TEST_ERR(err);
	err = tp_raw_connect(&fd, &ba);
	TEST_ERR(err);

	err = raw_write(fd, "\r\n\r\n", 4);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, (r = tp_raw_read(fd, rbuf, sizeof(rbuf))) >= 0,
	             2000);
	TEST_EQ(2, r);
	TEST_ASSERT(!memcmp(rbuf, "\r\n", 2));

	/* a ping split over two writes is still one ping */
	err = raw_write(fd, "\r\n", 2);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, false, 30);
	TEST_EQ(-1, tp_raw_read(fd, rbuf, sizeof(rbuf)));
	err = raw_write(fd, "\r\n", 2);
	TEST_ERR(err);
	r = -1;
	TP_RUN_UNTIL(loop, (r = tp_raw_read(fd, rbuf, sizeof(rbuf))) >= 0,
	             2000);
	TEST_EQ(2, r);
	TEST_EQ(0, rx.n);
	TEST_EQ(0, rx.nerr);
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	tp_rx_reset(&rx);
	mem_deref(b);
	mem_deref(loop);
	return err;
}

TEST_NO_OOM(test_sip_tp_tcp_refused)
{
	struct tp_ehrec *rec = NULL;
	struct tp_rx rx = {0};
	struct sip_tp_stats st;
	struct loop *loop = NULL;
	struct sip_tp *a = NULL;
	struct buf *mb = NULL;
	struct sip_dst dst;
	socklen_t len;
	int fd = -1, err;

	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = tp_make(&a, loop, &base_cf, &rx, SIP_TRANSP_TCP, NULL);
	TEST_ERR(err);

	/* a bound but not listening port refuses */
	memset(&dst, 0, sizeof(dst));
	dst.tp = SIP_TRANSP_TCP;
	err = sa_set_str(&dst.addr, "127.0.0.1", 0);
	TEST_ERR(err);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	TEST_ASSERT(fd >= 0);
	TEST_ASSERT(bind(fd, &dst.addr.u.sa, dst.addr.len) == 0);
	len = dst.addr.len;
	TEST_ASSERT(getsockname(fd, &dst.addr.u.sa, &len) == 0);

	rec = mem_zalloc(sizeof(*rec), NULL);
	TEST_ASSERT(rec != NULL);
	err = tp_req(&mb, "TCP", 0);
	TEST_ERR(err);
	err = sip_tp_send(a, &dst, mb, tp_eh, rec);
	TEST_ERR(err);
	/* queued twice on the same (connecting) connection */
	err = sip_tp_send(a, &dst, mb, tp_eh, rec);
	TEST_ERR(err);
	TEST_EQ(3, mem_nrefs(rec));
	TP_RUN_UNTIL(loop, rec->n == 2, 2000);
	TEST_EQ(2, rec->n);
	TEST_EQ(ECONNREFUSED, rec->err);
	TEST_EQ(1, mem_nrefs(rec));
	TEST_ASSERT(!sip_tp_conn_exists(a, SIP_TRANSP_TCP, &dst.addr));
	sip_tp_stats_get(a, &st);
	TEST_EQ(0, st.conns);

	/* a bad destination fails at once */
	dst.tp = SIP_TRANSP_NONE;
	TEST_ERR_EQ(EPROTONOSUPPORT, sip_tp_send(a, &dst, mb, NULL, NULL));
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	tp_rx_reset(&rx);
	mem_deref(rec);
	mem_deref(mb);
	mem_deref(a);
	mem_deref(loop);
	return err;
}

TEST_NO_OOM(test_sip_tp_tcp_idle)
{
	struct sip_tp_conf cf = base_cf;
	struct tp_rx rx = {0};
	struct sip_tp_stats st = {0};
	struct loop *loop = NULL;
	struct sip_tp *b = NULL;
	char rbuf[16];
	struct sa ba;
	int fd = -1, err;
	long r = -1;

	cf.idle_s = 1;
	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = tp_make(&b, loop, &cf, &rx, SIP_TRANSP_TCP, &ba);
	TEST_ERR(err);
	err = tp_raw_connect(&fd, &ba);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, (sip_tp_stats_get(b, &st), st.conns == 1), 2000);
	TEST_EQ(1, st.conns);
	TP_RUN_UNTIL(loop, (r = tp_raw_read(fd, rbuf, sizeof(rbuf))) >= 0,
	             3000);
	TEST_EQ(0, r);
	sip_tp_stats_get(b, &st);
	TEST_EQ(0, st.conns);
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	tp_rx_reset(&rx);
	mem_deref(b);
	mem_deref(loop);
	return err;
}

TEST_NO_OOM(test_sip_tp_tcp_oversize)
{
	static const char big[] =
	    "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-3\r\n"
	    "From: <sip:alice@127.0.0.1>;tag=a1\r\n"
	    "To: <sip:bob@127.0.0.1>\r\n"
	    "Call-ID: c3@127.0.0.1\r\n"
	    "CSeq: 1 MESSAGE\r\n"
	    "Content-Length: 50000\r\n\r\n";
	struct sip_tp_conf cf = base_cf;
	struct tp_rx rx = {0};
	struct sip_tp_stats st;
	struct loop *loop = NULL;
	struct sip_tp *b = NULL;
	char rbuf[1024];
	size_t got = 0;
	struct sa ba;
	int fd = -1, err;
	long r = -1;

	cf.max_msg = 2000;
	cf.max_hdr = 1000;
	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = tp_make(&b, loop, &cf, &rx, SIP_TRANSP_TCP, &ba);
	TEST_ERR(err);
	err = tp_raw_connect(&fd, &ba);
	TEST_ERR(err);
	err = raw_write(fd, big, sizeof(big) - 1);
	TEST_ERR(err);
	/* a 513, then the connection is closed */
	for (int i = 0; i < 64 && r != 0; i++) {
		r = -1;
		TP_RUN_UNTIL(loop,
		             (r = tp_raw_read(fd, rbuf + got,
		                              sizeof(rbuf) - 1 - got)) >= 0,
		             2000);
		if (r > 0)
			got += (size_t)r;
	}
	TEST_EQ(0, r);
	rbuf[got] = '\0';
	TEST_ASSERT(!strncmp(rbuf, "SIP/2.0 513 ", 12));
	TEST_EQ(0, rx.n);
	sip_tp_stats_get(b, &st);
	TEST_EQ(0, st.conns);
	TEST_EQ(1, st.rx_bad);
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	tp_rx_reset(&rx);
	mem_deref(b);
	mem_deref(loop);
	return err;
}

TEST_NO_OOM(test_sip_tp_tcp_max_conns)
{
	struct sip_tp_conf cf = base_cf;
	struct tp_rx rx = {0};
	struct sip_tp_stats st = {0};
	struct loop *loop = NULL;
	struct sip_tp *b = NULL;
	int fd1 = -1, fd2 = -1, err;
	char rbuf[16];
	struct sa ba;
	long r = -1;

	cf.max_conns = 1;
	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = tp_make(&b, loop, &cf, &rx, SIP_TRANSP_TCP, &ba);
	TEST_ERR(err);
	err = tp_raw_connect(&fd1, &ba);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, (sip_tp_stats_get(b, &st), st.conns == 1), 2000);
	TEST_EQ(1, st.conns);
	err = tp_raw_connect(&fd2, &ba);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, (r = tp_raw_read(fd2, rbuf, sizeof(rbuf))) >= 0,
	             2000);
	TEST_EQ(0, r);
	TEST_EQ(-1, tp_raw_read(fd1, rbuf, sizeof(rbuf)));
	sip_tp_stats_get(b, &st);
	TEST_EQ(1, st.conns);
	err = 0;
out:
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	tp_rx_reset(&rx);
	mem_deref(b);
	mem_deref(loop);
	return err;
}

/* RFC 3261 18.1.1: a request over udp_mtu goes over TCP (to the same
 * address and port), its Via saying TCP; responses stay on UDP. */
TEST_NO_OOM(test_sip_tp_udp_to_tcp)
{
	struct sip_tp *a = NULL, *b = NULL;
	struct tp_rx rxa = {0}, rxb = {0};
	struct sip_tp_stats st;
	struct loop *loop = NULL;
	struct buf *mb = NULL;
	struct sip_dst dst;
	struct sa aa, ba;
	int err;

	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = tp_make(&a, loop, &base_cf, &rxa, SIP_TRANSP_UDP, &aa);
	TEST_ERR(err);
	err = sip_tp_listen(a, SIP_TRANSP_TCP, &aa);
	TEST_ERR(err);
	/* b: UDP and TCP on one port number */
	for (int i = 0; i < 10; i++) {
		b = mem_deref(b);
		err = tp_make(&b, loop, &base_cf, &rxb, SIP_TRANSP_UDP, &ba);
		TEST_ERR(err);
		err = sip_tp_listen(b, SIP_TRANSP_TCP, &ba);
		if (err != EADDRINUSE)
			break;
	}
	TEST_ERR(err);

	err = tp_req(&mb, "UDP", 2000);
	TEST_ERR(err);
	memset(&dst, 0, sizeof(dst));
	dst.tp = SIP_TRANSP_UDP;
	dst.addr = ba;
	err = sip_tp_send(a, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxb.n == 1, 2000);
	TEST_EQ(1, rxb.n);
	TEST_EQ(SIP_TRANSP_TCP, rxb.msg->tp);
	TP_PL_EQ("TCP", &rxb.msg->via.tp_name);
	TEST_EQ(2000, rxb.msg->body.l);
	/* the caller's buffer is untouched */
	TEST_ASSERT(memmem(mb->b, mb->end, "SIP/2.0/UDP", 11) != NULL);

	/* a large response stays on UDP */
	mb = mem_deref(mb);
	err = tp_resp(&mb, 2000);
	TEST_ERR(err);
	dst.addr = aa;
	err = sip_tp_send(b, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxa.n == 1, 2000);
	TEST_EQ(1, rxa.n);
	TEST_EQ(SIP_TRANSP_UDP, rxa.msg->tp);
	sip_tp_stats_get(b, &st);
	TEST_EQ(1, st.conns);

	/* no TCP at the far end: the request falls back to UDP */
	mb = mem_deref(mb);
	b = mem_deref(b);
	tp_rx_reset(&rxb);
	TP_RUN_UNTIL(loop, (sip_tp_stats_get(a, &st), st.conns == 0), 2000);
	TEST_EQ(0, st.conns);
	err = tp_make(&b, loop, &base_cf, &rxb, SIP_TRANSP_UDP, &ba);
	TEST_ERR(err);
	err = tp_req(&mb, "UDP", 1500);
	TEST_ERR(err);
	dst.addr = ba;
	err = sip_tp_send(a, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxb.n == 1, 2000);
	TEST_EQ(1, rxb.n);
	TEST_EQ(SIP_TRANSP_UDP, rxb.msg->tp);
	err = 0;
out:
	tp_rx_reset(&rxa);
	tp_rx_reset(&rxb);
	mem_deref(mb);
	mem_deref(a);
	mem_deref(b);
	mem_deref(loop);
	return err;
}

/* CORE-13: the peer goes away; the next send opens a new connection.
 * Also: the local address of a stream on a wildcard listener. */
TEST_NO_OOM(test_sip_tp_tcp_reconnect)
{
	struct sip_tp *a = NULL, *b = NULL;
	struct tp_rx rxa = {0}, rxb = {0};
	struct sip_tp_stats st = {0};
	struct loop *loop = NULL;
	struct buf *mb = NULL;
	struct sip_dst dst;
	struct sa any, ba, la;
	int err;

	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = tp_make(&a, loop, &base_cf, &rxa, SIP_TRANSP_TCP, NULL);
	TEST_ERR(err);
	err = sip_tp_alloc(&b, loop, &base_cf, tp_rx_h, &rxb);
	TEST_ERR(err);
	err = sa_set_str(&any, "0.0.0.0", 0);
	TEST_ERR(err);
	err = sip_tp_listen(b, SIP_TRANSP_TCP, &any);
	TEST_ERR(err);
	err = sip_tp_listen_addr(b, SIP_TRANSP_TCP, AF_INET, &ba);
	TEST_ERR(err);
	sa_set_str(&ba, "127.0.0.1", sa_port(&ba));

	err = tp_req(&mb, "TCP", 0);
	TEST_ERR(err);
	memset(&dst, 0, sizeof(dst));
	dst.tp = SIP_TRANSP_TCP;
	dst.addr = ba;
	err = sip_tp_send(a, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxb.n == 1, 2000);
	TEST_EQ(1, rxb.n);
	TEST_ASSERT(sa_cmp(&rxb.msg->dst, &ba));
	err = sip_tp_ops()->laddr(b, SIP_TRANSP_TCP, &rxb.msg->src, &la);
	TEST_ERR(err);
	TEST_ASSERT(sa_cmp(&la, &ba));

	/* the peer restarts on the same port */
	tp_rx_reset(&rxb);
	b = mem_deref(b);
	err = tp_make(&b, loop, &base_cf, &rxb, SIP_TRANSP_UDP, NULL);
	TEST_ERR(err);
	err = sip_tp_listen(b, SIP_TRANSP_TCP, &ba);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, (sip_tp_stats_get(a, &st), st.conns == 0), 2000);
	TEST_EQ(0, st.conns);
	TEST_ASSERT(!sip_tp_conn_exists(a, SIP_TRANSP_TCP, &ba));

	err = sip_tp_send(a, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxb.n == 1, 2000);
	TEST_EQ(1, rxb.n);
	sip_tp_stats_get(a, &st);
	TEST_EQ(1, st.conns);
	err = 0;
out:
	tp_rx_reset(&rxa);
	tp_rx_reset(&rxb);
	mem_deref(mb);
	mem_deref(a);
	mem_deref(b);
	mem_deref(loop);
	return err;
}

/* IPv6: UDP and TCP on ::1 next to IPv4 listeners on the same port
 * numbers (IPV6_V6ONLY). */
TEST_NO_OOM(test_sip_tp_ipv6)
{
	struct sip_tp *a = NULL, *b = NULL;
	struct tp_rx rxa = {0}, rxb = {0};
	struct loop *loop = NULL;
	struct buf *mb = NULL;
	struct sip_dst dst;
	struct sa l6, a6, b6, b4;
	int err;

	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = sa_set_str(&l6, "::1", 0);
	TEST_ERR(err);
	err = sip_tp_alloc(&a, loop, &base_cf, tp_rx_h, &rxa);
	TEST_ERR(err);
	err = sip_tp_listen(a, SIP_TRANSP_UDP, &l6);
	TEST_ERR(err);
	err = sip_tp_listen_addr(a, SIP_TRANSP_UDP, AF_INET6, &a6);
	TEST_ERR(err);
	err = tp_make(&b, loop, &base_cf, &rxb, SIP_TRANSP_TCP, &b4);
	TEST_ERR(err);
	sa_set_port(&l6, sa_port(&b4));
	err = sip_tp_listen(b, SIP_TRANSP_TCP, &l6);
	TEST_ERR(err);
	sa_set_port(&l6, 0);
	err = sip_tp_listen(b, SIP_TRANSP_UDP, &l6);
	TEST_ERR(err);
	err = sip_tp_listen_addr(b, SIP_TRANSP_TCP, AF_INET6, &b6);
	TEST_ERR(err);
	TEST_EQ(sa_port(&b4), sa_port(&b6));

	err = tp_req(&mb, "TCP", 1);
	TEST_ERR(err);
	memset(&dst, 0, sizeof(dst));
	dst.tp = SIP_TRANSP_TCP;
	dst.addr = b6;
	err = sip_tp_send(a, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxb.n == 1, 2000);
	TEST_EQ(1, rxb.n);
	TEST_EQ(AF_INET6, sa_af(&rxb.msg->src));
	TEST_ASSERT(sa_cmp(&rxb.msg->dst, &b6));

	mb = mem_deref(mb);
	err = tp_resp(&mb, 0);
	TEST_ERR(err);
	dst.tp = SIP_TRANSP_UDP;
	dst.addr = a6;
	err = sip_tp_send(b, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxa.n == 1, 2000);
	TEST_EQ(1, rxa.n);
	TEST_EQ(SIP_TRANSP_UDP, rxa.msg->tp);
	TEST_EQ(AF_INET6, sa_af(&rxa.msg->src));
	err = 0;
out:
	tp_rx_reset(&rxa);
	tp_rx_reset(&rxb);
	mem_deref(mb);
	mem_deref(a);
	mem_deref(b);
	mem_deref(loop);
	return err;
}
