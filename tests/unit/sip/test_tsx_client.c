/* tests/unit/sip/test_tsx_client.c - client tsx (RFC 3261 17.1, 9.1) */
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "base/tmr.h"
#include "base/util.h"
#include "rec_tp.h"
#include "sip/tsx.h"
#include "test.h"

static const struct sip_timers timers = {500, 4000, 5000};

struct cfix {
	struct tmrl *tmrl;
	struct rec_tp *rt;
	struct sip_tsxl *tl;
	struct sip_ctsx *ct;
	struct sip_dst dst;
	uint32_t nresp;
	uint16_t scode; /* last response */
	uint32_t nerr;
	int err;        /* last error */
	uint64_t err_t; /* when it came */
	bool release_in_h;
	bool free_tl_in_h;
};

static void resp_h(int err, const struct sip_msg *rsp, void *arg)
{
	struct cfix *f = arg;

	if (err) {
		f->nerr++;
		f->err = err;
		f->err_t = tmrl_now(f->tmrl);
	} else {
		f->nresp++;
		f->scode = rsp->scode;
	}
	if (f->release_in_h)
		f->ct = sip_ctsx_release(f->ct);
	if (f->free_tl_in_h)
		f->tl = mem_deref(f->tl);
}

static int cfix_init(struct cfix *f, enum sip_transp tp)
{
	int err;

	memset(f, 0, sizeof(*f));
	err = tmrl_alloc_fake(&f->tmrl, 0);
	if (err)
		return err;
	err = rec_tp_alloc(&f->rt, f->tmrl, 64);
	if (err)
		return err;
	err = sip_tsxl_alloc(&f->tl, f->tmrl, rec_tp_ops(), f->rt, &timers,
	                     NULL, NULL);
	if (err)
		return err;
	f->dst.tp = tp;
	return sa_set_str(&f->dst.addr, "192.0.2.2", 5060);
}

static void cfix_close(struct cfix *f)
{
	f->ct = sip_ctsx_release(f->ct);
	f->tl = mem_deref(f->tl);
	f->rt = mem_deref(f->rt);
	f->tmrl = mem_deref(f->tmrl);
}

static const char invite_fmt[] =
    "INVITE sip:bob@192.0.2.2 SIP/2.0\n"
    "Via: SIP/2.0/%s 192.0.2.1:5060;branch=z9hG4bKc1\n"
    "Route: <sip:p1.example.com;lr>\n"
    "Route: <sip:p2.example.com;lr>\n"
    "Max-Forwards: 70\n"
    "From: Alice <sip:alice@example.com>;tag=a1\n"
    "To: Bob <sip:bob@example.com>\n"
    "Call-ID: c1@192.0.2.1\n"
    "CSeq: 7 INVITE\n"
    "Contact: <sip:alice@192.0.2.1>\n"
    "Content-Length: 0\n"
    "\n";

static const char message_fmt[] =
    "MESSAGE sip:bob@example.com SIP/2.0\n"
    "Via: SIP/2.0/%s 192.0.2.1:5060;branch=z9hG4bKm1\n"
    "Max-Forwards: 70\n"
    "From: <sip:alice@example.com>;tag=a2\n"
    "To: <sip:bob@example.com>\n"
    "Call-ID: m1@192.0.2.1\n"
    "CSeq: 3 MESSAGE\n"
    "Content-Type: text/plain\n"
    "Content-Length: 2\n"
    "\n"
    "hi";

/* Start the client transaction for the INVITE or the MESSAGE. */
static int start(struct cfix *f, bool inv)
{
	const char *tpn = sip_transp_name(f->dst.tp);
	struct buf *mb = NULL;
	char text[1024];
	int err;

	if (inv)
		snprintf(text, sizeof(text), invite_fmt, tpn);
	else
		snprintf(text, sizeof(text), message_fmt, tpn);
	err = rec_buf(&mb, text);
	if (err)
		return err;
	err = sip_ctsx_alloc(&f->ct, f->tl, &f->dst, mb, resp_h, f);
	mem_deref(mb);
	return err;
}

/* Feed a response for branch/method into the layer. */
static int respond(struct cfix *f, uint16_t scode, const char *branch,
                   const char *met)
{
	bool inv = !strcmp(met, "INVITE") || !strcmp(met, "CANCEL");
	struct sip_msg *msg = NULL;
	char text[1024];
	int err;

	snprintf(text, sizeof(text),
	         "SIP/2.0 %u Whatever\n"
	         "Via: SIP/2.0/%s 192.0.2.1:5060;branch=%s\n"
	         "From: Alice <sip:alice@example.com>;tag=%s\n"
	         "To: Bob <sip:bob@example.com>%s\n"
	         "Call-ID: %s\n"
	         "CSeq: %u %s\n"
	         "Content-Length: 0\n"
	         "\n",
	         scode, sip_transp_name(f->dst.tp), branch, inv ? "a1" : "a2",
	         scode > 100 ? ";tag=b1" : "",
	         inv ? "c1@192.0.2.1" : "m1@192.0.2.1", inv ? 7 : 3, met);
	err = rec_msg(&msg, text, f->dst.tp, "192.0.2.2:5060");
	if (err)
		return err;
	err = sip_tsxl_recv(f->tl, msg);
	mem_deref(msg);
	return err;
}

static int sent_at(const struct cfix *f, uint32_t i, uint64_t *t)
{
	const struct rec_sent *s = rec_tp_get(f->rt, i);

	if (!s)
		return ENOENT;
	*t = s->t;
	return 0;
}

/* Timer A doubles from T1 with no cap; Timer B ends it at 64*T1. */
TEST(test_tsx_ict_timer_a_b)
{
	static const uint64_t at[] = {0, 500, 1500, 3500, 7500, 15500, 31500};
	struct cfix f;
	int err;

	err = cfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = start(&f, true);
	TEST_ERR(err);
	TEST_EQ(1, sip_tsxl_count(f.tl, false));
	TEST_EQ(1, rec_tp_count(f.rt));
	TEST_PL_EQ("UDP", &sip_ctsx_req(f.ct)->via.tp_name);
	TEST_ASSERT(sa_cmp(&sip_ctsx_dst(f.ct)->addr, &f.dst.addr));

	tmrl_fake_advance(f.tmrl, 31999);
	TEST_EQ(ARRAY_SIZE(at), rec_tp_count(f.rt));
	for (uint32_t i = 0; i < ARRAY_SIZE(at); i++) {
		uint64_t t = 0;

		err = sent_at(&f, i, &t);
		TEST_ERR(err);
		TEST_EQ(at[i], t);
		TEST_ASSERT(rec_tp_find(f.rt, i, "INVITE ") == (int)i);
		TEST_ASSERT(
		    sa_cmp(&rec_tp_get(f.rt, i)->dst.addr, &f.dst.addr));
	}
	TEST_EQ(0, f.nerr);
	tmrl_fake_advance(f.tmrl, 1);
	TEST_EQ(1, f.nerr);
	TEST_EQ(ETIMEDOUT, f.err);
	TEST_EQ(32000, f.err_t);
	TEST_EQ(0, f.nresp);
	TEST_EQ(0, sip_tsxl_count(f.tl, false));
	TEST_EQ(ARRAY_SIZE(at), rec_tp_count(f.rt));
	/* Once over, responses find nothing. */
	TEST_ERR_EQ(ENOENT, respond(&f, 180, "z9hG4bKc1", "INVITE"));
	TEST_EQ(0, tmrl_count(f.tmrl));
out:
	cfix_close(&f);
	return err;
}

/* Over TCP nothing is retransmitted; Timer B still runs. */
TEST(test_tsx_ict_reliable_timer_b)
{
	struct cfix f;
	int err;

	err = cfix_init(&f, SIP_TRANSP_TCP);
	TEST_ERR(err);
	err = start(&f, true);
	TEST_ERR(err);
	tmrl_fake_advance(f.tmrl, 31999);
	TEST_EQ(1, rec_tp_count(f.rt));
	TEST_EQ(0, f.nerr);
	tmrl_fake_advance(f.tmrl, 1);
	TEST_EQ(1, f.nerr);
	TEST_EQ(ETIMEDOUT, f.err);
	TEST_EQ(1, rec_tp_count(f.rt));
out:
	cfix_close(&f);
	return err;
}

/* A provisional stops A and B; a non-2xx final is ACKed here, each
 * retransmission of it again, and Timer D (32 s) ends the transaction. */
TEST(test_tsx_ict_non2xx_ack)
{
	struct sip_msg *ack = NULL;
	struct cfix f;
	int err;

	err = cfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = start(&f, true);
	TEST_ERR(err);
	tmrl_fake_advance(f.tmrl, 600);
	TEST_EQ(2, rec_tp_count(f.rt));

	err = respond(&f, 180, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	TEST_EQ(1, f.nresp);
	TEST_EQ(180, f.scode);
	tmrl_fake_advance(f.tmrl, 100000);
	TEST_EQ(2, rec_tp_count(f.rt)); /* A stopped */
	TEST_EQ(0, f.nerr);             /* B stopped */
	TEST_EQ(1, sip_tsxl_count(f.tl, false));

	/* Other branch, other method: not ours. */
	TEST_ERR_EQ(ENOENT, respond(&f, 486, "z9hG4bKother", "INVITE"));
	TEST_ERR_EQ(ENOENT, respond(&f, 486, "z9hG4bKc1", "BYE"));

	err = respond(&f, 486, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	TEST_EQ(2, f.nresp);
	TEST_EQ(486, f.scode);
	TEST_EQ(3, rec_tp_count(f.rt));
	TEST_ASSERT(rec_tp_find(f.rt, 2, "ACK sip:bob@192.0.2.2 SIP/2.0\r\n") ==
	            2);
	TEST_ASSERT(sa_cmp(&rec_tp_get(f.rt, 2)->dst.addr, &f.dst.addr));

	/* 17.1.1.3: Request-URI, Call-ID, From, CSeq number of the INVITE,
	 * To of the response, only the top Via, the Route set. */
	err = rec_tp_decode(f.rt, 2, &ack);
	TEST_ERR(err);
	TEST_ASSERT(sip_msg_is(ack, "ACK"));
	TEST_PL_EQ("sip:bob@192.0.2.2", &ack->ruri);
	TEST_PL_EQ("c1@192.0.2.1", &ack->callid);
	TEST_PL_EQ("a1", &ack->from.tag);
	TEST_PL_EQ("b1", &ack->to.tag);
	TEST_EQ(7, ack->cseq.num);
	TEST_PL_EQ("ACK", &ack->cseq.met);
	TEST_PL_EQ("z9hG4bKc1", &ack->via.branch);
	TEST_EQ(1, sip_msg_hdr_count(ack, SIP_HDR_VIA));
	TEST_EQ(2, sip_msg_hdr_count(ack, SIP_HDR_ROUTE));
	TEST_PL_EQ("<sip:p1.example.com;lr>",
	           &sip_msg_hdr(ack, SIP_HDR_ROUTE)->val);
	TEST_EQ(0, sip_msg_hdr_count(ack, SIP_HDR_CONTACT));
	TEST_EQ(0, ack->clen);

	/* The final again: ACK again, the TU hears nothing. */
	tmrl_fake_advance(f.tmrl, 1000);
	err = respond(&f, 486, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	TEST_EQ(2, f.nresp);
	TEST_EQ(4, rec_tp_count(f.rt));
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "ACK "));
	/* A late provisional is dropped. */
	err = respond(&f, 180, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	TEST_EQ(2, f.nresp);

	/* Timer D: 32 s from the first final. */
	tmrl_fake_advance(f.tmrl, 30999);
	TEST_EQ(1, sip_tsxl_count(f.tl, false));
	tmrl_fake_advance(f.tmrl, 1);
	TEST_EQ(0, sip_tsxl_count(f.tl, false));
	TEST_EQ(0, f.nerr);
	TEST_ERR_EQ(ENOENT, respond(&f, 486, "z9hG4bKc1", "INVITE"));
	TEST_EQ(0, tmrl_count(f.tmrl));
out:
	mem_deref(ack);
	cfix_close(&f);
	return err;
}

/* Over TCP, Timer D is zero: the ACK goes out and the transaction ends. */
TEST(test_tsx_ict_non2xx_tcp)
{
	struct cfix f;
	int err;

	err = cfix_init(&f, SIP_TRANSP_TCP);
	TEST_ERR(err);
	err = start(&f, true);
	TEST_ERR(err);
	err = respond(&f, 603, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	TEST_EQ(603, f.scode);
	TEST_EQ(2, rec_tp_count(f.rt));
	TEST_EQ(1, rec_tp_count_prefix(f.rt, "ACK "));
	TEST_EQ(SIP_TRANSP_TCP, rec_tp_get(f.rt, 1)->dst.tp);
	TEST_EQ(0, sip_tsxl_count(f.tl, false));
	TEST_EQ(0, tmrl_count(f.tmrl));
out:
	cfix_close(&f);
	return err;
}

/* RFC 6026: a 2xx moves to Accepted; no ACK from the transaction; 2xx
 * retransmissions reach the TU until Timer M. */
TEST(test_tsx_ict_2xx_accepted)
{
	struct cfix f;
	int err;

	err = cfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = start(&f, true);
	TEST_ERR(err);
	tmrl_fake_advance(f.tmrl, 100);
	err = respond(&f, 200, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	TEST_EQ(1, f.nresp);
	TEST_EQ(200, f.scode);
	TEST_EQ(1, rec_tp_count(f.rt));
	tmrl_fake_advance(f.tmrl, 1000);
	TEST_EQ(1, rec_tp_count(f.rt)); /* A stopped */
	err = respond(&f, 200, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	TEST_EQ(2, f.nresp);
	err = respond(&f, 180, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	err = respond(&f, 486, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	TEST_EQ(2, f.nresp);
	TEST_EQ(1, rec_tp_count(f.rt)); /* never an ACK */

	/* Timer M: 64*T1 after the first 2xx. */
	tmrl_fake_advance(f.tmrl, 30999);
	TEST_EQ(1, sip_tsxl_count(f.tl, false));
	tmrl_fake_advance(f.tmrl, 1);
	TEST_EQ(0, sip_tsxl_count(f.tl, false));
	TEST_EQ(0, f.nerr);
	TEST_ERR_EQ(ENOENT, respond(&f, 200, "z9hG4bKc1", "INVITE"));
	TEST_EQ(2, f.nresp);
out:
	cfix_close(&f);
	return err;
}

/* Timer E doubles up to T2; Timer F ends it at 64*T1. */
TEST(test_tsx_nict_timer_e_f)
{
	static const uint64_t at[] = {0,     500,   1500,  3500,  7500, 11500,
	                              15500, 19500, 23500, 27500, 31500};
	struct cfix f;
	int err;

	err = cfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = start(&f, false);
	TEST_ERR(err);
	tmrl_fake_advance(f.tmrl, 31999);
	TEST_EQ(ARRAY_SIZE(at), rec_tp_count(f.rt));
	for (uint32_t i = 0; i < ARRAY_SIZE(at); i++) {
		uint64_t t = 0;

		err = sent_at(&f, i, &t);
		TEST_ERR(err);
		TEST_EQ(at[i], t);
	}
	TEST_EQ(11, rec_tp_count_prefix(f.rt, "MESSAGE "));
	TEST_EQ(0, f.nerr);
	tmrl_fake_advance(f.tmrl, 1);
	TEST_EQ(1, f.nerr);
	TEST_EQ(ETIMEDOUT, f.err);
	TEST_EQ(0, sip_tsxl_count(f.tl, false));
out:
	cfix_close(&f);
	return err;
}

/* In Proceeding, E fires every T2; the final stops it; Timer K (T4)
 * absorbs retransmitted finals. */
TEST(test_tsx_nict_proceeding_k)
{
	struct cfix f;
	uint64_t t = 0;
	int err;

	err = cfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = start(&f, false);
	TEST_ERR(err);
	tmrl_fake_advance(f.tmrl, 100);
	err = respond(&f, 100, "z9hG4bKm1", "MESSAGE");
	TEST_ERR(err);
	TEST_EQ(1, f.nresp);
	TEST_EQ(100, f.scode);
	tmrl_fake_advance(f.tmrl, 8500);
	/* 0, 500 (pending E), then T2 apart: 4500, 8500 */
	TEST_EQ(4, rec_tp_count(f.rt));
	err = sent_at(&f, 2, &t);
	TEST_ERR(err);
	TEST_EQ(4500, t);
	err = sent_at(&f, 3, &t);
	TEST_ERR(err);
	TEST_EQ(8500, t);

	err = respond(&f, 202, "z9hG4bKm1", "MESSAGE");
	TEST_ERR(err);
	TEST_EQ(2, f.nresp);
	TEST_EQ(202, f.scode);
	err = respond(&f, 202, "z9hG4bKm1", "MESSAGE");
	TEST_ERR(err);
	TEST_EQ(2, f.nresp); /* absorbed */
	tmrl_fake_advance(f.tmrl, 4999);
	TEST_EQ(4, rec_tp_count(f.rt));
	TEST_EQ(1, sip_tsxl_count(f.tl, false));
	tmrl_fake_advance(f.tmrl, 1);
	TEST_EQ(0, sip_tsxl_count(f.tl, false));
	TEST_EQ(0, f.nerr);
	TEST_EQ(0, tmrl_count(f.tmrl));
out:
	cfix_close(&f);
	return err;
}

/* Over TCP: no E, K zero. */
TEST(test_tsx_nict_tcp)
{
	struct cfix f;
	int err;

	err = cfix_init(&f, SIP_TRANSP_TCP);
	TEST_ERR(err);
	err = start(&f, false);
	TEST_ERR(err);
	tmrl_fake_advance(f.tmrl, 20000);
	TEST_EQ(1, rec_tp_count(f.rt));
	err = respond(&f, 200, "z9hG4bKm1", "MESSAGE");
	TEST_ERR(err);
	TEST_EQ(200, f.scode);
	TEST_EQ(0, sip_tsxl_count(f.tl, false));
	TEST_EQ(0, tmrl_count(f.tmrl));
out:
	cfix_close(&f);
	return err;
}

/* Check a CANCEL against RFC 3261 9.1. */
static int check_cancel(struct cfix *f, uint32_t i, const char *reason)
{
	struct sip_msg *c = NULL;
	const struct sip_hdr *h;
	int err;

	err = rec_tp_decode(f->rt, i, &c);
	TEST_ERR(err);
	TEST_ASSERT(sip_msg_is(c, "CANCEL"));
	TEST_PL_EQ("sip:bob@192.0.2.2", &c->ruri);
	TEST_PL_EQ("c1@192.0.2.1", &c->callid);
	TEST_PL_EQ("a1", &c->from.tag);
	TEST_ASSERT(!pl_isset(&c->to.tag));
	TEST_PL_EQ("sip:bob@example.com", &c->to.auri);
	TEST_EQ(7, c->cseq.num);
	TEST_PL_EQ("CANCEL", &c->cseq.met);
	TEST_PL_EQ("z9hG4bKc1", &c->via.branch);
	TEST_EQ(1, sip_msg_hdr_count(c, SIP_HDR_VIA));
	TEST_EQ(2, sip_msg_hdr_count(c, SIP_HDR_ROUTE));
	TEST_ASSERT(sa_cmp(&rec_tp_get(f->rt, i)->dst.addr, &f->dst.addr));
	h = sip_msg_hdr(c, SIP_HDR_REASON);
	if (reason) {
		TEST_ASSERT(h != NULL);
		TEST_PL_EQ(reason, &h->val);
	} else {
		TEST_ASSERT(h == NULL);
	}
out:
	mem_deref(c);
	return err;
}

/* CANCEL before a provisional waits for one (9.1). */
TEST(test_tsx_cancel_before_provisional)
{
	static const char reason[] = "SIP;cause=200;text=\"Call completed "
	                             "elsewhere\"";
	struct cfix f;
	int err;

	err = cfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = start(&f, true);
	TEST_ERR(err);
	err = sip_ctsx_cancel(f.ct, reason);
	TEST_ERR(err);
	err = sip_ctsx_cancel(f.ct, NULL); /* once is enough */
	TEST_ERR(err);
	tmrl_fake_advance(f.tmrl, 1000);
	TEST_EQ(0, rec_tp_count_prefix(f.rt, "CANCEL "));
	TEST_EQ(2, rec_tp_count(f.rt)); /* INVITE at 0, 500 */

	err = respond(&f, 100, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	TEST_EQ(100, f.scode);
	TEST_EQ(1, rec_tp_count_prefix(f.rt, "CANCEL "));
	TEST_EQ(2, sip_tsxl_count(f.tl, false));
	err = check_cancel(&f, 2, reason);
	TEST_ERR(err);

	/* The CANCEL is a non-INVITE transaction: it retransmits (E). */
	tmrl_fake_advance(f.tmrl, 500);
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "CANCEL "));
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "INVITE ")); /* A stopped */
	/* Its 200 is absorbed; the INVITE's 487 is ACKed and reported. */
	err = respond(&f, 200, "z9hG4bKc1", "CANCEL");
	TEST_ERR(err);
	TEST_EQ(1, f.nresp);
	TEST_EQ(100, f.scode);
	err = respond(&f, 487, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	TEST_EQ(2, f.nresp);
	TEST_EQ(487, f.scode);
	TEST_EQ(1, rec_tp_count_prefix(f.rt, "ACK "));
	tmrl_fake_advance(f.tmrl, 32000);
	TEST_EQ(0, sip_tsxl_count(f.tl, false));
	TEST_EQ(0, f.nerr);
	TEST_EQ(0, tmrl_count(f.tmrl));
out:
	cfix_close(&f);
	return err;
}

/* CANCEL after a provisional goes at once; with no final 64*T1 later the
 * INVITE gives up. */
TEST(test_tsx_cancel_after_provisional)
{
	struct cfix f;
	int err;

	err = cfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = start(&f, true);
	TEST_ERR(err);
	err = respond(&f, 180, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	tmrl_fake_advance(f.tmrl, 10000);
	err = sip_ctsx_cancel(f.ct, NULL);
	TEST_ERR(err);
	TEST_EQ(2, rec_tp_count(f.rt));
	err = check_cancel(&f, 1, NULL);
	TEST_ERR(err);
	err = respond(&f, 200, "z9hG4bKc1", "CANCEL");
	TEST_ERR(err);
	tmrl_fake_advance(f.tmrl, 31999);
	TEST_EQ(0, f.nerr);
	tmrl_fake_advance(f.tmrl, 1);
	TEST_EQ(1, f.nerr);
	TEST_EQ(ETIMEDOUT, f.err);
	TEST_EQ(0, sip_tsxl_count(f.tl, false));
out:
	cfix_close(&f);
	return err;
}

/* After a final there is nothing to cancel; a non-INVITE cannot be. */
TEST(test_tsx_cancel_after_final)
{
	struct cfix f;
	int err;

	err = cfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = start(&f, true);
	TEST_ERR(err);
	err = respond(&f, 486, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	err = sip_ctsx_cancel(f.ct, "SIP;cause=487");
	TEST_ERR(err);
	TEST_EQ(0, rec_tp_count_prefix(f.rt, "CANCEL "));
	TEST_EQ(2, rec_tp_count(f.rt));
	f.ct = sip_ctsx_release(f.ct);
	tmrl_fake_advance(f.tmrl, 32000); /* Timer D */
	TEST_EQ(0, sip_tsxl_count(f.tl, false));

	/* 2xx, then CANCEL: nothing either. */
	err = start(&f, true);
	TEST_ERR(err);
	err = respond(&f, 200, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	err = sip_ctsx_cancel(f.ct, NULL);
	TEST_ERR(err);
	TEST_EQ(0, rec_tp_count_prefix(f.rt, "CANCEL "));
	f.ct = sip_ctsx_release(f.ct);

	/* A CANCEL still waiting for a provisional when the final comes:
	 * never sent. */
	tmrl_fake_advance(f.tmrl, 32000); /* Timer M */
	err = start(&f, true);
	TEST_ERR(err);
	err = sip_ctsx_cancel(f.ct, NULL);
	TEST_ERR(err);
	err = respond(&f, 480, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	err = respond(&f, 180, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	TEST_EQ(0, rec_tp_count_prefix(f.rt, "CANCEL "));
	TEST_EQ(480, f.scode);
	f.ct = sip_ctsx_release(f.ct);

	err = start(&f, false);
	TEST_ERR(err);
	TEST_ERR_EQ(EPROTO, sip_ctsx_cancel(f.ct, NULL));
	err = 0;
out:
	cfix_close(&f);
	return err;
}

/* 17.1.4: transport errors end the transaction (a 503 for the TU). */
TEST(test_tsx_ctsx_transport_error)
{
	struct cfix f;
	int err;

	err = cfix_init(&f, SIP_TRANSP_TCP);
	TEST_ERR(err);

	/* At once: nothing is created. */
	rec_tp_fail_next(f.rt, ECONNREFUSED, 1);
	TEST_ERR_EQ(ECONNREFUSED, start(&f, true));
	TEST_ASSERT(f.ct == NULL);
	TEST_EQ(0, sip_tsxl_count(f.tl, false));

	/* Later (connect refused after queueing). */
	rec_tp_hold(f.rt, true);
	err = start(&f, true);
	TEST_ERR(err);
	err = rec_tp_fail(f.rt, 0, ECONNREFUSED);
	TEST_ERR(err);
	TEST_EQ(1, f.nerr);
	TEST_EQ(ECONNREFUSED, f.err);
	TEST_EQ(0, sip_tsxl_count(f.tl, false));
	TEST_EQ(0, tmrl_count(f.tmrl));
	TEST_ERR_EQ(ENOENT, respond(&f, 180, "z9hG4bKc1", "INVITE"));
	f.ct = sip_ctsx_release(f.ct);
	rec_tp_hold(f.rt, false);

	/* A retransmission over UDP that fails. */
	f.dst.tp = SIP_TRANSP_UDP;
	err = start(&f, false);
	TEST_ERR(err);
	rec_tp_fail_next(f.rt, EHOSTUNREACH, 1);
	tmrl_fake_advance(f.tmrl, 500);
	TEST_EQ(2, f.nerr);
	TEST_EQ(EHOSTUNREACH, f.err);
	TEST_EQ(0, sip_tsxl_count(f.tl, false));
out:
	cfix_close(&f);
	return err;
}

/* The handler may release the transaction, or free the whole layer. */
TEST(test_tsx_ctsx_release_in_handler)
{
	struct cfix f;
	int err;

	err = cfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = start(&f, true);
	TEST_ERR(err);
	f.release_in_h = true;
	err = respond(&f, 486, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	TEST_ASSERT(f.ct == NULL);
	/* The released transaction still ACKs retransmissions. */
	err = respond(&f, 486, "z9hG4bKc1", "INVITE");
	TEST_ERR(err);
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "ACK "));
	TEST_EQ(1, f.nresp);
	f.release_in_h = false;

	err = start(&f, false);
	TEST_ERR(err);
	f.free_tl_in_h = true;
	tmrl_fake_advance(f.tmrl, 32000); /* Timer F frees the layer */
	TEST_EQ(1, f.nerr);
	TEST_ASSERT(f.tl == NULL);
	TEST_EQ(0, tmrl_count(f.tmrl)); /* Timer D of the INVITE: gone */
	/* The handle is inert but valid. */
	TEST_ASSERT(sip_ctsx_req(f.ct) != NULL);
	TEST_ASSERT(sip_msg_is(sip_ctsx_req(f.ct), "MESSAGE"));
out:
	cfix_close(&f);
	return err;
}

/* Requests that cannot start a client transaction. */
TEST(test_tsx_ctsx_bad_request)
{
	static const char *bad[] = {
	    /* no branch */
	    "OPTIONS sip:bob@example.com SIP/2.0\n"
	    "Via: SIP/2.0/UDP 192.0.2.1:5060\n"
	    "From: <sip:alice@example.com>;tag=a\n"
	    "To: <sip:bob@example.com>\n"
	    "Call-ID: x\n"
	    "CSeq: 1 OPTIONS\n"
	    "Content-Length: 0\n\n",
	    /* ACK is never a client transaction */
	    "ACK sip:bob@example.com SIP/2.0\n"
	    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx\n"
	    "From: <sip:alice@example.com>;tag=a\n"
	    "To: <sip:bob@example.com>;tag=b\n"
	    "Call-ID: x\n"
	    "CSeq: 1 ACK\n"
	    "Content-Length: 0\n\n",
	    /* a response */
	    "SIP/2.0 200 OK\n"
	    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx\n"
	    "From: <sip:alice@example.com>;tag=a\n"
	    "To: <sip:bob@example.com>;tag=b\n"
	    "Call-ID: x\n"
	    "CSeq: 1 OPTIONS\n"
	    "Content-Length: 0\n\n",
	};
	struct buf *mb = NULL;
	struct cfix f;
	int err;

	err = cfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err = rec_buf(&mb, bad[i]);
		TEST_ERR(err);
		TEST_ERR_EQ(EINVAL, sip_ctsx_alloc(&f.ct, f.tl, &f.dst, mb,
		                                   resp_h, &f));
		mb = mem_deref(mb);
	}
	err = rec_buf(&mb, "garbage\r\n\r\n");
	TEST_ERR(err);
	TEST_ASSERT(sip_ctsx_alloc(&f.ct, f.tl, &f.dst, mb, resp_h, &f) != 0);
	TEST_EQ(0, rec_tp_count(f.rt));
	TEST_EQ(0, sip_tsxl_count(f.tl, false));
	err = 0;
out:
	mem_deref(mb);
	cfix_close(&f);
	return err;
}

/* n concurrent client transactions, a quarter answered, all end and are
 * freed. */
static int ctsx_many(uint32_t n)
{
	struct sip_msg *rsp = NULL;
	struct buf *mb = NULL;
	char text[1024];
	struct cfix f;
	int err;

	err = cfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	for (uint32_t i = 0; i < n; i++) {
		struct sip_ctsx *ct;

		snprintf(text, sizeof(text),
		         "%s sip:bob@example.com SIP/2.0\n"
		         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK%u\n"
		         "From: <sip:alice@example.com>;tag=a\n"
		         "To: <sip:bob@example.com>\n"
		         "Call-ID: many%u\n"
		         "CSeq: 1 %s\n"
		         "Content-Length: 0\n\n",
		         i % 2 ? "INVITE" : "OPTIONS", i, i,
		         i % 2 ? "INVITE" : "OPTIONS");
		err = rec_buf(&mb, text);
		TEST_ERR(err);
		err = sip_ctsx_alloc(&ct, f.tl, &f.dst, mb, resp_h, &f);
		mb = mem_deref(mb);
		TEST_ERR(err);
		sip_ctsx_release(ct);
	}
	TEST_EQ(n, sip_tsxl_count(f.tl, false));

	/* Answer every fourth one. */
	for (uint32_t i = 0; i < n; i += 4) {
		snprintf(text, sizeof(text),
		         "SIP/2.0 404 Not Found\n"
		         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK%u\n"
		         "From: <sip:alice@example.com>;tag=a\n"
		         "To: <sip:bob@example.com>;tag=b\n"
		         "Call-ID: many%u\n"
		         "CSeq: 1 OPTIONS\n"
		         "Content-Length: 0\n\n",
		         i, i);
		err = rec_msg(&rsp, text, SIP_TRANSP_UDP, "192.0.2.2:5060");
		TEST_ERR(err);
		err = sip_tsxl_recv(f.tl, rsp);
		rsp = mem_deref(rsp);
		TEST_ERR(err);
	}
	TEST_EQ(0, f.nresp); /* released: nobody is told */
	tmrl_fake_advance(f.tmrl, 4999);
	TEST_EQ(n, sip_tsxl_count(f.tl, false));
	tmrl_fake_advance(f.tmrl, 1); /* Timer K */
	TEST_EQ(n - n / 4, sip_tsxl_count(f.tl, false));
	tmrl_fake_advance(f.tmrl, 27000); /* Timers B and F */
	TEST_EQ(0, sip_tsxl_count(f.tl, false));
	TEST_EQ(0, f.nerr);
	TEST_EQ(0, tmrl_count(f.tmrl));
out:
	mem_deref(rsp);
	mem_deref(mb);
	cfix_close(&f);
	return err;
}

/* A few dozen under --oom. */
TEST(test_tsx_ctsx_several)
{
	return ctsx_many(40);
}

/* Thousands (no --oom replay: it would run the test once per allocation,
 * tens of thousands of times; test_tsx_ctsx_several covers those paths). */
TEST_NO_OOM(test_tsx_ctsx_many)
{
	return ctsx_many(4000);
}
