/* tests/unit/sip/test_tp_tls.c - TLS transport, test CA (RFC 3261 26.2) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/loop.h"
#include "base/mem.h"
#include "sip/msg.h"
#include "sip/tp.h"
#include "test.h"
#include "test_tp.h"

struct tls_files {
	char ca[512], srv_cert[512], srv_key[512], cli_cert[512], cli_key[512];
};

static void tls_files(struct tls_files *f)
{
	const char *d = test_datadir();

	snprintf(f->ca, sizeof(f->ca), "%s/tls/ca.pem", d);
	snprintf(f->srv_cert, sizeof(f->srv_cert), "%s/tls/server.pem", d);
	snprintf(f->srv_key, sizeof(f->srv_key), "%s/tls/server.key", d);
	snprintf(f->cli_cert, sizeof(f->cli_cert), "%s/tls/client.pem", d);
	snprintf(f->cli_key, sizeof(f->cli_key), "%s/tls/client.key", d);
}

static const struct sip_tp_conf base_cf = {
    .max_msg = 65535,
    .max_hdr = 16384,
    .max_conns = 64,
    .connect_ms = 3000,
    .udp_mtu = 1300,
};

TEST_NO_OOM(test_sip_tp_tls)
{
	struct sip_tp *a = NULL, *b = NULL, *c = NULL;
	struct tp_rx rxa = {0}, rxb = {0}, rxc = {0};
	struct sip_tp_conf cfa = base_cf, cfb = base_cf;
	struct tp_ehrec *rec = NULL;
	struct sip_tp_stats st;
	struct loop *loop = NULL;
	struct buf *mb = NULL;
	struct tls_files f;
	struct sip_dst dst;
	struct sa ba, la;
	int err;

	tls_files(&f);
	cfb.tls_cert = f.srv_cert;
	cfb.tls_key = f.srv_key;
	cfa.tls_ca = f.ca;
	cfa.tls_verify_server = true;

	err = loop_alloc(&loop);
	TEST_ERR(err);
	/* no certificate: no TLS listener */
	err = sip_tp_alloc(&a, loop, &cfa, tp_rx_h, &rxa);
	TEST_ERR(err);
	err = sa_set_str(&la, "127.0.0.1", 0);
	TEST_ERR(err);
	TEST_ERR_EQ(EINVAL, sip_tp_listen(a, SIP_TRANSP_TLS, &la));
	err = sip_tp_listen(a, SIP_TRANSP_TCP, &la);
	TEST_ERR(err);
	err = tp_make(&b, loop, &cfb, &rxb, SIP_TRANSP_TLS, &ba);
	TEST_ERR(err);

	/* verified by name (SNI localhost) */
	err = tp_req(&mb, "TLS", 5);
	TEST_ERR(err);
	memset(&dst, 0, sizeof(dst));
	dst.tp = SIP_TRANSP_TLS;
	dst.addr = ba;
	snprintf(dst.host, sizeof(dst.host), "localhost");
	err = sip_tp_send(a, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxb.n == 1, 3000);
	TEST_EQ(1, rxb.n);
	TEST_EQ(SIP_TRANSP_TLS, rxb.msg->tp);
	TEST_ASSERT(rxb.msg->conn != NULL);
	TP_PL_EQ("xxxxx", &rxb.msg->body);

	/* the response over the same connection */
	mb = mem_deref(mb);
	err = tp_resp(&mb, 0);
	TEST_ERR(err);
	dst.addr = rxb.msg->src;
	dst.host[0] = '\0';
	err = sip_tp_send(b, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxa.n == 1, 3000);
	TEST_EQ(1, rxa.n);
	TEST_EQ(200, rxa.msg->scode);
	TEST_EQ(SIP_TRANSP_TLS, rxa.msg->tp);

	/* a large message: many records, partial writes */
	mb = mem_deref(mb);
	err = tp_req(&mb, "TLS", 60000);
	TEST_ERR(err);
	dst.addr = ba;
	err = sip_tp_send(a, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	err = sip_tp_send(a, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxb.n == 3, 3000);
	TEST_EQ(3, rxb.n);
	TEST_EQ(60000, rxb.msg->body.l);
	sip_tp_stats_get(a, &st);
	TEST_EQ(1, st.conns);
	sip_tp_stats_get(b, &st);
	TEST_EQ(1, st.conns);

	/* verified by IP address (no host name) from another client */
	err = sip_tp_alloc(&c, loop, &cfa, tp_rx_h, &rxc);
	TEST_ERR(err);
	mb = mem_deref(mb);
	err = tp_req(&mb, "TLS", 0);
	TEST_ERR(err);
	err = sip_tp_send(c, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxb.n == 4, 3000);
	TEST_EQ(4, rxb.n);
	c = mem_deref(c);

	/* a name the certificate does not hold: the handshake fails */
	err = sip_tp_alloc(&c, loop, &cfa, tp_rx_h, &rxc);
	TEST_ERR(err);
	rec = mem_zalloc(sizeof(*rec), NULL);
	TEST_ASSERT(rec != NULL);
	snprintf(dst.host, sizeof(dst.host), "wrong.example");
	err = sip_tp_send(c, &dst, mb, tp_eh, rec);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rec->n == 1, 3000);
	TEST_EQ(1, rec->n);
	TEST_EQ(EPROTO, rec->err);
	TEST_EQ(1, mem_nrefs(rec));
	TP_RUN_UNTIL(loop, false, 50);
	TEST_EQ(4, rxb.n);
	err = 0;
out:
	tp_rx_reset(&rxa);
	tp_rx_reset(&rxb);
	tp_rx_reset(&rxc);
	mem_deref(rec);
	mem_deref(mb);
	mem_deref(a);
	mem_deref(b);
	mem_deref(c);
	mem_deref(loop);
	return err;
}

TEST_NO_OOM(test_sip_tp_tls_client_cert)
{
	struct sip_tp *a = NULL, *b = NULL;
	struct tp_rx rxa = {0}, rxb = {0};
	struct sip_tp_conf cfa = base_cf, cfb = base_cf;
	struct sip_tp_stats st = {0};
	struct loop *loop = NULL;
	struct buf *mb = NULL;
	struct tls_files f;
	struct sip_dst dst;
	struct sa ba;
	int err;

	tls_files(&f);
	cfb.tls_cert = f.srv_cert;
	cfb.tls_key = f.srv_key;
	cfb.tls_ca = f.ca;
	cfb.tls_verify_client = true;
	cfa.tls_ca = f.ca;
	cfa.tls_verify_server = true;

	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = tp_make(&b, loop, &cfb, &rxb, SIP_TRANSP_TLS, &ba);
	TEST_ERR(err);
	err = tp_req(&mb, "TLS", 0);
	TEST_ERR(err);
	memset(&dst, 0, sizeof(dst));
	dst.tp = SIP_TRANSP_TLS;
	dst.addr = ba;

	/* a client without a certificate is turned away */
	err = sip_tp_alloc(&a, loop, &cfa, tp_rx_h, &rxa);
	TEST_ERR(err);
	err = sip_tp_send(a, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, (sip_tp_stats_get(a, &st), st.conns == 0), 3000);
	TEST_EQ(0, st.conns);
	TP_RUN_UNTIL(loop, (sip_tp_stats_get(b, &st), st.conns == 0), 3000);
	TEST_EQ(0, st.conns);
	TEST_EQ(0, rxb.n);
	a = mem_deref(a);

	/* with one, it is let in */
	cfa.tls_cert = f.cli_cert;
	cfa.tls_key = f.cli_key;
	err = sip_tp_alloc(&a, loop, &cfa, tp_rx_h, &rxa);
	TEST_ERR(err);
	err = sip_tp_send(a, &dst, mb, NULL, NULL);
	TEST_ERR(err);
	TP_RUN_UNTIL(loop, rxb.n == 1, 3000);
	TEST_EQ(1, rxb.n);
	TEST_EQ(SIP_TRANSP_TLS, rxb.msg->tp);
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
