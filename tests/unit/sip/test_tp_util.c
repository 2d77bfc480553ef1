/* tests/unit/sip/test_tp_util.c - helpers for the transport tests */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/mem.h"
#include "sip/msg.h"
#include "test_tp.h"

void tp_rx_h(int err, struct sip_msg *msg, const struct parse_err *pe,
             void *arg)
{
	struct tp_rx *rx = arg;

	(void)pe;
	if (err) {
		rx->nerr++;
		rx->err = err;
		mem_deref(rx->bad);
		rx->bad = mem_ref(msg);
		return;
	}
	rx->n++;
	mem_deref(rx->msg);
	rx->msg = mem_ref(msg);
}

void tp_rx_reset(struct tp_rx *rx)
{
	rx->msg = mem_deref(rx->msg);
	rx->bad = mem_deref(rx->bad);
	rx->n = 0;
	rx->nerr = 0;
	rx->err = 0;
}

void tp_eh(int err, void *arg)
{
	struct tp_ehrec *r = arg;

	r->n++;
	r->err = err;
}

uint64_t tp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int tp_req(struct buf **mbp, const char *via_tp, size_t body_len)
{
	struct buf *mb;
	int err;

	err = buf_alloc(&mb, 512 + body_len);
	if (err)
		return err;
	err = buf_printf(mb,
	                 "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n"
	                 "Via: SIP/2.0/%s 127.0.0.1:5070;branch=z9hG4bK-t1\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "From: <sip:alice@127.0.0.1>;tag=a1\r\n"
	                 "To: <sip:bob@127.0.0.1>\r\n"
	                 "Call-ID: c1@127.0.0.1\r\n"
	                 "CSeq: 1 MESSAGE\r\n"
	                 "Content-Type: text/plain\r\n"
	                 "Content-Length: %zu\r\n"
	                 "\r\n",
	                 via_tp, body_len);
	for (size_t i = 0; !err && i < body_len; i++)
		err = buf_write_u8(mb, 'x');
	if (err)
		mem_deref(mb);
	else
		*mbp = mb;
	return err;
}

int tp_resp(struct buf **mbp, size_t body_len)
{
	struct buf *mb;
	int err;

	err = buf_alloc(&mb, 512 + body_len);
	if (err)
		return err;
	err = buf_printf(mb,
	                 "SIP/2.0 200 OK\r\n"
	                 "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-t1\r\n"
	                 "From: <sip:alice@127.0.0.1>;tag=a1\r\n"
	                 "To: <sip:bob@127.0.0.1>;tag=b1\r\n"
	                 "Call-ID: c1@127.0.0.1\r\n"
	                 "CSeq: 1 MESSAGE\r\n"
	                 "Content-Length: %zu\r\n"
	                 "\r\n",
	                 body_len);
	for (size_t i = 0; !err && i < body_len; i++)
		err = buf_write_u8(mb, 'y');
	if (err)
		mem_deref(mb);
	else
		*mbp = mb;
	return err;
}

int tp_make(struct sip_tp **tpp, struct loop *loop,
            const struct sip_tp_conf *cf, struct tp_rx *rx, enum sip_transp t,
            struct sa *laddr)
{
	struct sip_tp *tp;
	struct sa a;
	int err;

	err = sip_tp_alloc(&tp, loop, cf, tp_rx_h, rx);
	if (err)
		return err;
	err = sa_set_str(&a, "127.0.0.1", 0);
	if (!err)
		err = sip_tp_listen(tp, t, &a);
	if (!err && laddr)
		err = sip_tp_listen_addr(tp, t, AF_INET, laddr);
	if (err)
		mem_deref(tp);
	else
		*tpp = tp;
	return err;
}

int tp_raw_connect(int *fdp, const struct sa *a)
{
	int fd = socket(sa_af(a), SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	if (connect(fd, &a->u.sa, a->len) < 0) {
		int err = errno;

		close(fd);
		return err;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	*fdp = fd;
	return 0;
}

long tp_raw_read(int fd, char *buf, size_t size)
{
	ssize_t r = recv(fd, buf, size, MSG_DONTWAIT);

	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : 0;
	return (long)r;
}
