/* tests/unit/sip/test_tsx_server.c - server tsx (RFC 3261 17.2, 18.2.2) */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "base/tmr.h"
#include "base/util.h"
#include "rec_tp.h"
#include "sip/tsx.h"
#include "test.h"

static const struct sip_timers timers = {500, 4000, 5000};

struct sfix {
	struct tmrl *tmrl;
	struct rec_tp *rt;
	struct sip_tsxl *tl;
	struct sip_stsx *st; /* made by req_h when auto_st */
	bool auto_st;
	int st_err;    /* from sip_stsx_alloc in req_h */
	uint32_t nreq; /* requests that reached the TU */
	char last_met[16];
	uint32_t nterm;
	int term_err;
	uint64_t term_t;
	enum sip_transp tp;
};

static void term_h(int err, void *arg)
{
	struct sfix *f = arg;

	f->nterm++;
	f->term_err = err;
	f->term_t = tmrl_now(f->tmrl);
}

static void req_h(struct sip_msg *msg, void *arg)
{
	struct sfix *f = arg;

	f->nreq++;
	(void)pl_strcpy(&msg->met, f->last_met, sizeof(f->last_met));
	if (!f->auto_st || sip_msg_is(msg, "ACK"))
		return;
	f->st = sip_stsx_release(f->st);
	f->st_err = sip_stsx_alloc(&f->st, f->tl, msg);
	if (!f->st_err)
		sip_stsx_set_termh(f->st, term_h, f);
}

static int sfix_init(struct sfix *f, enum sip_transp tp)
{
	int err;

	memset(f, 0, sizeof(*f));
	f->tp = tp;
	f->auto_st = true;
	err = tmrl_alloc_fake(&f->tmrl, 0);
	if (err)
		return err;
	err = rec_tp_alloc(&f->rt, f->tmrl, 64);
	if (err)
		return err;
	return sip_tsxl_alloc(&f->tl, f->tmrl, rec_tp_ops(), f->rt, &timers,
	                      req_h, f);
}

static void sfix_close(struct sfix *f)
{
	f->st = sip_stsx_release(f->st);
	f->tl = mem_deref(f->tl);
	f->rt = mem_deref(f->rt);
	f->tmrl = mem_deref(f->tmrl);
}

/* Feed a request (printf-style text) into the layer; the TU's error from
 * sip_stsx_alloc comes back too. */
static int recv_req(struct sfix *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int recv_req(struct sfix *f, const char *fmt, ...)
{
	struct sip_msg *msg = NULL;
	char text[2048];
	va_list ap;
	int err;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	err = rec_msg(&msg, text, f->tp, "192.0.2.1:5062");
	if (err)
		return err;
	f->st_err = 0;
	err = sip_tsxl_recv(f->tl, msg);
	mem_deref(msg);
	return err ? err : f->st_err;
}

/* An INVITE or ACK/CANCEL for it; branch, To tag and method vary. */
static const char inv_fmt[] = "%s sip:bob@example.com SIP/2.0\n"
                              "Via: SIP/2.0/%s 192.0.2.1:5060;branch=%s\n"
                              "Max-Forwards: 70\n"
                              "From: Alice <sip:alice@example.com>;tag=a1\n"
                              "To: Bob <sip:bob@example.com>%s%s\n"
                              "Call-ID: s1@192.0.2.1\n"
                              "CSeq: 9 %s\n"
                              "Content-Length: 0\n"
                              "\n";

static int invite(struct sfix *f, const char *met, const char *branch,
                  const char *totag)
{
	return recv_req(
	    f, inv_fmt, met, sip_transp_name(f->tp), branch,
	    totag ? ";tag=" : "", totag ? totag : "",
	    !strcmp(met, "ACK") || !strcmp(met, "CANCEL") ? met : "INVITE");
}

static const char msg_fmt[] = "MESSAGE sip:bob@example.com SIP/2.0\n"
                              "Via: SIP/2.0/%s 192.0.2.1:5060;branch=%s\n"
                              "Max-Forwards: 70\n"
                              "From: <sip:alice@example.com>;tag=a2\n"
                              "To: <sip:bob@example.com>\n"
                              "Call-ID: s2@192.0.2.1\n"
                              "CSeq: 4 MESSAGE\n"
                              "Content-Length: 0\n"
                              "\n";

static int sent_at(const struct sfix *f, uint32_t i, uint64_t *t)
{
	const struct rec_sent *s = rec_tp_get(f->rt, i);

	if (!s)
		return ENOENT;
	*t = s->t;
	return 0;
}

/* 100 Trying at once; retransmitted INVITEs get the last response. */
TEST(test_tsx_ist_trying_retrans)
{
	struct sip_msg *rsp = NULL;
	struct sip_dst dst;
	struct sfix f;
	int err;

	err = sfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	TEST_EQ(1, f.nreq);
	TEST_ASSERT(f.st != NULL);
	TEST_EQ(1, sip_tsxl_count(f.tl, true));
	TEST_EQ(1, rec_tp_count(f.rt));
	TEST_EQ(0, rec_tp_get(f.rt, 0)->t);
	err = rec_tp_decode(f.rt, 0, &rsp);
	TEST_ERR(err);
	TEST_EQ(100, rsp->scode);
	TEST_ASSERT(!pl_isset(&rsp->to.tag));
	TEST_PL_EQ("z9hG4bKs1", &rsp->via.branch);
	rsp = mem_deref(rsp);
	TEST_EQ(100, sip_stsx_status(f.st));
	/* 18.2.2: Via port (no rport), source address */
	sip_resp_dst(&dst, sip_stsx_req(f.st));
	TEST_ASSERT(sa_cmp(&dst.addr, &rec_tp_get(f.rt, 0)->dst.addr));
	TEST_EQ(5060, sa_port(&rec_tp_get(f.rt, 0)->dst.addr));

	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	TEST_EQ(1, f.nreq); /* absorbed */
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "SIP/2.0 100 "));

	err = sip_stsx_replyf(f.st, 180, NULL, "Contact: <sip:bob@h>\r\n");
	TEST_ERR(err);
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "SIP/2.0 180 "));
	err = rec_tp_decode(f.rt, 3, &rsp);
	TEST_ERR(err);
	TEST_EQ(180, rsp->scode);
	TEST_PL_EQ(sip_stsx_totag(f.st), &rsp->to.tag);
	TEST_EQ(1, sip_msg_hdr_count(rsp, SIP_HDR_CONTACT));
	TEST_EQ(180, sip_stsx_status(f.st));
	TEST_EQ(1, f.nreq);
out:
	mem_deref(rsp);
	sfix_close(&f);
	return err;
}

/* A non-2xx final: Timer G doubles up to T2, Timer H gives up at 64*T1
 * and tells the TU. */
TEST(test_tsx_ist_timer_g_h)
{
	static const uint64_t at[] = {0,     500,   1500,  3500,  7500, 11500,
	                              15500, 19500, 23500, 27500, 31500};
	struct sip_msg *rsp = NULL;
	struct sfix f;
	int err;

	err = sfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	rec_tp_clear(f.rt);
	err = sip_stsx_replyf(f.st, 486, NULL, NULL);
	TEST_ERR(err);
	TEST_EQ(486, sip_stsx_status(f.st));
	err = rec_tp_decode(f.rt, 0, &rsp);
	TEST_ERR(err);
	TEST_EQ(486, rsp->scode);
	TEST_PL_EQ(sip_stsx_totag(f.st), &rsp->to.tag);
	TEST_ASSERT(strlen(sip_stsx_totag(f.st)) >= 8);
	/* The outcome is fixed. */
	TEST_ERR_EQ(EPROTO, sip_stsx_replyf(f.st, 200, NULL, NULL));
	TEST_ERR_EQ(EPROTO, sip_stsx_replyf(f.st, 180, NULL, NULL));

	tmrl_fake_advance(f.tmrl, 31999);
	TEST_EQ(ARRAY_SIZE(at), rec_tp_count(f.rt));
	for (uint32_t i = 0; i < ARRAY_SIZE(at); i++) {
		uint64_t t = 0;

		err = sent_at(&f, i, &t);
		TEST_ERR(err);
		TEST_EQ(at[i], t);
		TEST_ASSERT(rec_tp_find(f.rt, i, "SIP/2.0 486 ") == (int)i);
	}
	TEST_EQ(0, f.nterm);
	tmrl_fake_advance(f.tmrl, 1);
	TEST_EQ(1, f.nterm);
	TEST_EQ(ETIMEDOUT, f.term_err);
	TEST_EQ(32000, f.term_t);
	TEST_EQ(0, sip_tsxl_count(f.tl, true));
	TEST_EQ(0, tmrl_count(f.tmrl));
	/* Over: a retransmission is a new request for the TU. */
	f.auto_st = false;
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	TEST_EQ(2, f.nreq);
	TEST_ERR_EQ(EPROTO, sip_stsx_replyf(f.st, 486, NULL, NULL));
out:
	mem_deref(rsp);
	sfix_close(&f);
	return err;
}

/* ACK for the non-2xx: G stops, Confirmed absorbs ACKs, Timer I (T4). */
TEST(test_tsx_ist_ack_confirmed)
{
	struct sfix f;
	int err;

	err = sfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	err = sip_stsx_replyf(f.st, 404, "Nobody", NULL);
	TEST_ERR(err);
	TEST_EQ(1, rec_tp_count_prefix(f.rt, "SIP/2.0 404 Nobody\r\n"));
	tmrl_fake_advance(f.tmrl, 700);
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "SIP/2.0 404 "));

	/* The retransmitted INVITE gets the final again. */
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	TEST_EQ(3, rec_tp_count_prefix(f.rt, "SIP/2.0 404 "));

	err = invite(&f, "ACK", "z9hG4bKs1", sip_stsx_totag(f.st));
	TEST_ERR(err);
	TEST_EQ(1, f.nreq); /* absorbed */
	tmrl_fake_advance(f.tmrl, 4999);
	TEST_EQ(3, rec_tp_count_prefix(f.rt, "SIP/2.0 404 ")); /* G off */
	err = invite(&f, "ACK", "z9hG4bKs1", sip_stsx_totag(f.st));
	TEST_ERR(err);
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	TEST_EQ(1, f.nreq);
	TEST_EQ(3, rec_tp_count_prefix(f.rt, "SIP/2.0 404 "));
	TEST_EQ(1, sip_tsxl_count(f.tl, true));
	tmrl_fake_advance(f.tmrl, 1); /* Timer I */
	TEST_EQ(0, sip_tsxl_count(f.tl, true));
	TEST_EQ(0, f.nterm);
	TEST_EQ(0, tmrl_count(f.tmrl));
out:
	sfix_close(&f);
	return err;
}

/* TCP: no G; ACK ends the transaction at once (I is zero); H still
 * runs. Responses go back to the source address. */
TEST(test_tsx_ist_tcp)
{
	struct sfix f;
	struct sa src;
	int err;

	err = sfix_init(&f, SIP_TRANSP_TCP);
	TEST_ERR(err);
	err = sa_set_str(&src, "192.0.2.1", 5062);
	TEST_ERR(err);
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	TEST_EQ(SIP_TRANSP_TCP, rec_tp_get(f.rt, 0)->dst.tp);
	TEST_ASSERT(sa_cmp(&src, &rec_tp_get(f.rt, 0)->dst.addr));
	err = sip_stsx_replyf(f.st, 480, NULL, NULL);
	TEST_ERR(err);
	tmrl_fake_advance(f.tmrl, 20000);
	TEST_EQ(2, rec_tp_count(f.rt));
	err = invite(&f, "ACK", "z9hG4bKs1", sip_stsx_totag(f.st));
	TEST_ERR(err);
	TEST_EQ(0, sip_tsxl_count(f.tl, true));
	TEST_EQ(0, tmrl_count(f.tmrl));
	TEST_EQ(0, f.nterm);

	/* Without the ACK, Timer H. */
	err = invite(&f, "INVITE", "z9hG4bKs2", NULL);
	TEST_ERR(err);
	err = sip_stsx_replyf(f.st, 480, NULL, NULL);
	TEST_ERR(err);
	tmrl_fake_advance(f.tmrl, 32000);
	TEST_EQ(1, f.nterm);
	TEST_EQ(ETIMEDOUT, f.term_err);
	TEST_EQ(4, rec_tp_count(f.rt));
out:
	sfix_close(&f);
	return err;
}

/* RFC 6026: 2xx -> Accepted. INVITE retransmissions are absorbed, 2xx
 * from the TU pass, ACKs go to the TU; Timer L ends it. */
TEST(test_tsx_ist_accepted)
{
	struct sfix f;
	int err;

	err = sfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	err = sip_stsx_replyf(f.st, 200, NULL, "Contact: <sip:bob@h>\r\n");
	TEST_ERR(err);
	TEST_EQ(200, sip_stsx_status(f.st));
	TEST_EQ(2, rec_tp_count(f.rt));
	tmrl_fake_advance(f.tmrl, 10000);
	TEST_EQ(2, rec_tp_count(f.rt)); /* the TU retransmits 2xx, not us */
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	TEST_EQ(2, rec_tp_count(f.rt));
	TEST_EQ(1, f.nreq);

	/* The TU's retransmission passes. */
	err = sip_stsx_replyf(f.st, 200, NULL, "Contact: <sip:bob@h>\r\n");
	TEST_ERR(err);
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "SIP/2.0 200 "));
	TEST_ERR_EQ(EPROTO, sip_stsx_replyf(f.st, 486, NULL, NULL));
	TEST_ERR_EQ(EPROTO, sip_stsx_replyf(f.st, 180, NULL, NULL));

	/* ACKs for the 2xx: the TU's, with the INVITE's branch too. */
	err = invite(&f, "ACK", "z9hG4bKack", sip_stsx_totag(f.st));
	TEST_ERR(err);
	TEST_EQ(2, f.nreq);
	TEST_STR_EQ("ACK", f.last_met);
	err = invite(&f, "ACK", "z9hG4bKs1", sip_stsx_totag(f.st));
	TEST_ERR(err);
	TEST_EQ(3, f.nreq);
	TEST_EQ(1, sip_tsxl_count(f.tl, true));

	tmrl_fake_advance(f.tmrl, 22000); /* Timer L: 64*T1 */
	TEST_EQ(0, sip_tsxl_count(f.tl, true));
	TEST_EQ(0, f.nterm);
	TEST_ERR_EQ(EPROTO, sip_stsx_replyf(f.st, 200, NULL, NULL));
out:
	sfix_close(&f);
	return err;
}

/* Non-INVITE: no 100 of our own, Trying absorbs, Proceeding and
 * Completed resend, Timer J (64*T1, zero over TCP). */
TEST(test_tsx_nist)
{
	struct sfix f;
	int err;

	err = sfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = recv_req(&f, msg_fmt, "UDP", "z9hG4bKm1");
	TEST_ERR(err);
	TEST_EQ(1, f.nreq);
	TEST_EQ(0, rec_tp_count(f.rt));
	err = recv_req(&f, msg_fmt, "UDP", "z9hG4bKm1");
	TEST_ERR(err);
	TEST_EQ(1, f.nreq);
	TEST_EQ(0, rec_tp_count(f.rt));

	err = sip_stsx_replyf(f.st, 100, NULL, NULL);
	TEST_ERR(err);
	err = recv_req(&f, msg_fmt, "UDP", "z9hG4bKm1");
	TEST_ERR(err);
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "SIP/2.0 100 "));

	err = sip_stsx_replyb(f.st, 200, NULL, &PL("ok"),
	                      "Content-Type: text/plain\r\n");
	TEST_ERR(err);
	err = recv_req(&f, msg_fmt, "UDP", "z9hG4bKm1");
	TEST_ERR(err);
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "SIP/2.0 200 "));
	TEST_EQ(1, f.nreq);
	TEST_ERR_EQ(EPROTO, sip_stsx_replyf(f.st, 200, NULL, NULL));
	tmrl_fake_advance(f.tmrl, 31999);
	TEST_EQ(4, rec_tp_count(f.rt)); /* no timer retransmits */
	TEST_EQ(1, sip_tsxl_count(f.tl, true));
	tmrl_fake_advance(f.tmrl, 1);
	TEST_EQ(0, sip_tsxl_count(f.tl, true));
	TEST_EQ(0, f.nterm);

	/* TCP: J is zero. */
	f.tp = SIP_TRANSP_TCP;
	err = recv_req(&f, msg_fmt, "TCP", "z9hG4bKm2");
	TEST_ERR(err);
	err = sip_stsx_replyf(f.st, 200, NULL, NULL);
	TEST_ERR(err);
	TEST_EQ(0, sip_tsxl_count(f.tl, true));
	TEST_EQ(0, tmrl_count(f.tmrl));
out:
	sfix_close(&f);
	return err;
}

/* sip_stsx_reply with a response the TU built (a proxy forwarding). */
/* A completed non-INVITE transaction released by its TU keeps only its
 * matching key: retransmissions still get the last response, the request
 * is gone, a new branch is a new request, and Timer J still ends it. */
TEST(test_tsx_nist_compact)
{
	struct sip_stsx *held = NULL;
	struct sfix f;
	int err;

	err = sfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = recv_req(&f, msg_fmt, "UDP", "z9hG4bKc1");
	TEST_ERR(err);
	err = sip_stsx_replyf(f.st, 202, NULL, NULL);
	TEST_ERR(err);
	held = mem_ref(f.st);
	f.st = sip_stsx_release(f.st);
	TEST_ASSERT(sip_stsx_req(held) == NULL);

	err = recv_req(&f, msg_fmt, "UDP", "z9hG4bKc1");
	TEST_ERR(err);
	TEST_EQ(1, f.nreq);
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "SIP/2.0 202 "));

	/* another branch is a new request */
	err = recv_req(&f, msg_fmt, "UDP", "z9hG4bKc2");
	TEST_ERR(err);
	TEST_EQ(2, f.nreq);
	f.st = sip_stsx_release(f.st);

	tmrl_fake_advance(f.tmrl, 64 * 500);
	TEST_EQ(0, sip_tsxl_count(f.tl, true));
out:
	mem_deref(held);
	sfix_close(&f);
	return err;
}

TEST(test_tsx_stsx_reply_buf)
{
	struct buf *mb = NULL;
	struct sfix f;
	int err;

	err = sfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	err = sip_resp_encode(&mb, sip_stsx_req(f.st), 183, NULL, "down1", NULL,
	                      "%s", "");
	TEST_ERR(err);
	err = sip_stsx_reply(f.st, mb);
	TEST_ERR(err);
	mb = mem_deref(mb);
	TEST_EQ(183, sip_stsx_status(f.st));
	err = sip_resp_encode(&mb, sip_stsx_req(f.st), 486, NULL, "down1", NULL,
	                      "%s", "");
	TEST_ERR(err);
	err = sip_stsx_reply(f.st, mb);
	TEST_ERR(err);
	mb = mem_deref(mb);
	TEST_EQ(486, sip_stsx_status(f.st));
	TEST_EQ(1, rec_tp_count_prefix(f.rt, "SIP/2.0 486 "));

	/* Not a response at all. */
	err = rec_buf(&mb, "OPTIONS sip:x SIP/2.0\n\n");
	TEST_ERR(err);
	TEST_ERR_EQ(EINVAL, sip_stsx_reply(f.st, mb));
out:
	mem_deref(mb);
	sfix_close(&f);
	return err;
}

/* 9.2: the INVITE a CANCEL refers to; the CANCEL is a transaction of its
 * own (retransmissions absorbed). */
TEST(test_tsx_cancel_match)
{
	struct sip_stsx *inv = NULL;
	struct sip_msg *msg = NULL;
	char text[1024];
	struct sfix f;
	int err;

	err = sfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	inv = f.st;
	f.st = NULL;
	sip_stsx_set_termh(inv, term_h, &f);

	/* The CANCEL reaches the TU, which finds the INVITE. */
	err = invite(&f, "CANCEL", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	TEST_EQ(2, f.nreq);
	TEST_STR_EQ("CANCEL", f.last_met);
	TEST_ASSERT(f.st != NULL && f.st != inv);
	TEST_ASSERT(sip_stsx_find_invite(f.tl, sip_stsx_req(f.st)) == inv);
	err = sip_stsx_replyf(f.st, 200, NULL, NULL);
	TEST_ERR(err);
	err = sip_stsx_replyf(inv, 487, NULL, NULL);
	TEST_ERR(err);
	TEST_EQ(2, sip_tsxl_count(f.tl, true));
	/* A retransmitted CANCEL gets its 200 again. */
	err = invite(&f, "CANCEL", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	TEST_EQ(2, f.nreq);
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "SIP/2.0 200 "));

	/* Other branch or sent-by: no INVITE. */
	snprintf(text, sizeof(text), inv_fmt, "CANCEL", "UDP", "z9hG4bKs2", "",
	         "", "CANCEL");
	err = rec_msg(&msg, text, SIP_TRANSP_UDP, "192.0.2.1:5062");
	TEST_ERR(err);
	TEST_ASSERT(sip_stsx_find_invite(f.tl, msg) == NULL);
	msg = mem_deref(msg);
	err = rec_msg(&msg,
	              "CANCEL sip:bob@example.com SIP/2.0\n"
	              "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKs1\n"
	              "From: Alice <sip:alice@example.com>;tag=a1\n"
	              "To: Bob <sip:bob@example.com>\n"
	              "Call-ID: s1@192.0.2.1\n"
	              "CSeq: 9 CANCEL\n"
	              "Content-Length: 0\n\n",
	              SIP_TRANSP_UDP, "192.0.2.9:5060");
	TEST_ERR(err);
	TEST_ASSERT(sip_stsx_find_invite(f.tl, msg) == NULL);
	msg = mem_deref(msg);

	/* ACK for the 487 */
	err = invite(&f, "ACK", "z9hG4bKs1", sip_stsx_totag(inv));
	TEST_ERR(err);
	TEST_EQ(2, f.nreq);
	tmrl_fake_advance(f.tmrl, 40000);
	TEST_EQ(0, sip_tsxl_count(f.tl, true));
	TEST_EQ(0, f.nterm);
out:
	mem_deref(msg);
	sip_stsx_release(inv);
	sfix_close(&f);
	return err;
}

static const char old_fmt[] = /* RFC 2543 style: branch=%s or none */
    "%s sip:bob@example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060%s%s\n"
    "From: Alice <sip:alice@example.com>;tag=a1\n"
    "To: Bob <sip:bob@example.com>%s%s\n"
    "Call-ID: old@192.0.2.1\n"
    "CSeq: %u %s\n"
    "Content-Length: 0\n"
    "\n";

static int old_req(struct sfix *f, const char *met, const char *branch,
                   const char *totag, uint32_t cseq)
{
	return recv_req(
	    f, old_fmt, met, branch ? ";branch=" : "", branch ? branch : "",
	    totag ? ";tag=" : "", totag ? totag : "", cseq,
	    !strcmp(met, "CANCEL") || !strcmp(met, "ACK") ? met : "INVITE");
}

/* 17.2.3 (second part) for RFC 2543 peers: branch=1 and no branch. */
static int rfc2543_case(const char *branch)
{
	struct sip_stsx *inv = NULL;
	struct sfix f;
	int err;

	err = sfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = old_req(&f, "INVITE", branch, NULL, 1);
	TEST_ERR(err);
	TEST_EQ(1, f.nreq);
	TEST_EQ(1, rec_tp_count_prefix(f.rt, "SIP/2.0 100 "));
	inv = f.st;
	f.st = NULL;
	sip_stsx_set_termh(inv, term_h, &f);
	err = old_req(&f, "INVITE", branch, NULL, 1);
	TEST_ERR(err);
	TEST_EQ(1, f.nreq);
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "SIP/2.0 100 "));
	/* Another CSeq is another transaction. */
	err = old_req(&f, "INVITE", branch, NULL, 2);
	TEST_ERR(err);
	TEST_EQ(2, f.nreq);
	TEST_EQ(2, sip_tsxl_count(f.tl, true));
	f.st = sip_stsx_release(f.st); /* no final: it ends */
	TEST_EQ(1, sip_tsxl_count(f.tl, true));

	err = old_req(&f, "CANCEL", branch, NULL, 1);
	TEST_ERR(err);
	TEST_EQ(3, f.nreq);
	TEST_ASSERT(sip_stsx_find_invite(f.tl, sip_stsx_req(f.st)) == inv);
	err = sip_stsx_replyf(f.st, 200, NULL, NULL);
	TEST_ERR(err);
	err = old_req(&f, "CANCEL", branch, NULL, 1);
	TEST_ERR(err);
	TEST_EQ(3, f.nreq);
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "SIP/2.0 200 "));

	err = sip_stsx_replyf(inv, 487, NULL, NULL);
	TEST_ERR(err);
	err = old_req(&f, "INVITE", branch, NULL, 1);
	TEST_ERR(err);
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "SIP/2.0 487 "));
	/* An ACK with a foreign To tag is not ours. */
	err = old_req(&f, "ACK", branch, "other", 1);
	TEST_ERR(err);
	TEST_EQ(4, f.nreq);
	err = old_req(&f, "ACK", branch, sip_stsx_totag(inv), 1);
	TEST_ERR(err);
	TEST_EQ(4, f.nreq);
	tmrl_fake_advance(f.tmrl, 1000);
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "SIP/2.0 487 ")); /* G off */
	tmrl_fake_advance(f.tmrl, 40000);
	TEST_EQ(0, sip_tsxl_count(f.tl, true));
	TEST_EQ(0, f.nterm);
out:
	sip_stsx_release(inv);
	sfix_close(&f);
	return err;
}

TEST(test_tsx_rfc2543_branch1)
{
	return rfc2543_case("1");
}

TEST(test_tsx_rfc2543_nobranch)
{
	return rfc2543_case(NULL);
}

/* RFC 2543 ACK after a response the TU forwarded: its To tag counts. */
TEST(test_tsx_rfc2543_forwarded_tag)
{
	struct buf *mb = NULL;
	struct sfix f;
	int err;

	err = sfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = old_req(&f, "INVITE", "1", NULL, 5);
	TEST_ERR(err);
	err = sip_resp_encode(&mb, sip_stsx_req(f.st), 486, NULL, "far", NULL,
	                      "%s", "");
	TEST_ERR(err);
	err = sip_stsx_reply(f.st, mb);
	TEST_ERR(err);
	err = old_req(&f, "ACK", "1", sip_stsx_totag(f.st), 5);
	TEST_ERR(err);
	TEST_EQ(2, f.nreq); /* our own tag is not the one sent */
	err = old_req(&f, "ACK", "1", "far", 5);
	TEST_ERR(err);
	TEST_EQ(2, f.nreq);
	tmrl_fake_advance(f.tmrl, 5000);
	TEST_EQ(0, sip_tsxl_count(f.tl, true));
out:
	mem_deref(mb);
	sfix_close(&f);
	return err;
}

/* 18.2.2 and RFC 3581: received/rport values are the ones this server
 * adds (source address and port); values the sender wrote itself
 * (RFC 5118 4.5) are ignored. */
TEST(test_tsx_resp_dst)
{
	static const struct {
		const char *via;
		enum sip_transp tp;
		const char *expect;
	} v[] = {
	    {"SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKa", SIP_TRANSP_UDP,
	     "192.0.2.7:5070"},
	    {"SIP/2.0/UDP h.example.com;branch=z9hG4bKa", SIP_TRANSP_UDP,
	     "192.0.2.7:5060"},
	    {"SIP/2.0/UDP 192.0.2.1:5070;rport;branch=z9hG4bKa", SIP_TRANSP_UDP,
	     "192.0.2.7:40000"},
	    {"SIP/2.0/UDP 192.0.2.1:5070;rport=1234;received=192.0.2.8;"
	     "branch=z9hG4bKa",
	     SIP_TRANSP_UDP, "192.0.2.7:40000"},
	    {"SIP/2.0/UDP 192.0.2.1;received=192.0.2.8;maddr=239.1.1.1;"
	     "branch=z9hG4bKa",
	     SIP_TRANSP_UDP, "192.0.2.7:5060"},
	    {"SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];"
	     "branch=z9hG4bKa",
	     SIP_TRANSP_UDP, "192.0.2.7:5060"},
	    {"SIP/2.0/TCP 192.0.2.1:5070;branch=z9hG4bKa", SIP_TRANSP_TCP,
	     "192.0.2.7:40000"},
	    {"SIP/2.0/TLS 192.0.2.1;rport;branch=z9hG4bKa", SIP_TRANSP_TLS,
	     "192.0.2.7:40000"},
	};
	struct sip_msg *msg = NULL;
	char text[1024], out[64];
	struct sip_dst dst;
	int err = 0;

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		snprintf(text, sizeof(text),
		         "OPTIONS sip:x@example.com SIP/2.0\n"
		         "Via: %s\n"
		         "From: <sip:a@example.com>;tag=1\n"
		         "To: <sip:x@example.com>\n"
		         "Call-ID: d\n"
		         "CSeq: 1 OPTIONS\n"
		         "Content-Length: 0\n\n",
		         v[i].via);
		err = rec_msg(&msg, text, v[i].tp, "192.0.2.7:40000");
		TEST_ERR(err);
		sip_resp_dst(&dst, msg);
		msg = mem_deref(msg);
		TEST_EQ(v[i].tp, dst.tp);
		err = sa_print(&dst.addr, out, sizeof(out));
		TEST_ERR(err);
		TEST_STR_EQ(v[i].expect, out);
	}
out:
	mem_deref(msg);
	return err;
}

/* Transport errors reach the term handler and end the transaction. */
TEST(test_tsx_stsx_transport_error)
{
	struct sfix f;
	int err;

	err = sfix_init(&f, SIP_TRANSP_TCP);
	TEST_ERR(err);
	rec_tp_hold(f.rt, true);
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	err = sip_stsx_replyf(f.st, 486, NULL, NULL);
	TEST_ERR(err);
	err = rec_tp_fail(f.rt, 1, ECONNRESET);
	TEST_ERR(err);
	TEST_EQ(1, f.nterm);
	TEST_EQ(ECONNRESET, f.term_err);
	TEST_EQ(0, sip_tsxl_count(f.tl, true));
	TEST_EQ(0, tmrl_count(f.tmrl));
	rec_tp_hold(f.rt, false);

	/* At once: the caller hears it from reply. */
	err = recv_req(&f, msg_fmt, "TCP", "z9hG4bKm1");
	TEST_ERR(err);
	rec_tp_fail_next(f.rt, EPIPE, 1);
	TEST_ERR_EQ(EPIPE, sip_stsx_replyf(f.st, 200, NULL, NULL));
	TEST_EQ(1, f.nterm);
	TEST_EQ(0, sip_tsxl_count(f.tl, true));

	/* The 100 Trying cannot go: no transaction. */
	rec_tp_fail_next(f.rt, EPIPE, 1);
	TEST_ERR_EQ(EPIPE, invite(&f, "INVITE", "z9hG4bKs3", NULL));
	TEST_ASSERT(f.st == NULL);
	TEST_EQ(0, sip_tsxl_count(f.tl, true));

	/* A Timer G resend over UDP that fails. */
	f.tp = SIP_TRANSP_UDP;
	err = invite(&f, "INVITE", "z9hG4bKs4", NULL);
	TEST_ERR(err);
	err = sip_stsx_replyf(f.st, 486, NULL, NULL);
	TEST_ERR(err);
	rec_tp_fail_next(f.rt, EHOSTUNREACH, 1);
	tmrl_fake_advance(f.tmrl, 500);
	TEST_EQ(2, f.nterm);
	TEST_EQ(EHOSTUNREACH, f.term_err);
	TEST_EQ(0, sip_tsxl_count(f.tl, true));
out:
	sfix_close(&f);
	return err;
}

/* Release without a final ends it; the term handler can free the
 * layer; a double alloc for one request is refused. */
TEST(test_tsx_stsx_lifetime)
{
	struct sip_stsx *dup = NULL;
	struct sfix f;
	int err;

	err = sfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL);
	TEST_ERR(err);
	TEST_ERR_EQ(EALREADY, sip_stsx_alloc(&dup, f.tl, sip_stsx_req(f.st)));
	f.st = sip_stsx_release(f.st);
	TEST_EQ(0, sip_tsxl_count(f.tl, true));
	err = invite(&f, "INVITE", "z9hG4bKs1", NULL); /* new again */
	TEST_ERR(err);
	TEST_EQ(2, f.nreq);

	/* Released after the final: the transaction finishes its job. */
	err = sip_stsx_replyf(f.st, 500, NULL, NULL);
	TEST_ERR(err);
	f.st = sip_stsx_release(f.st);
	tmrl_fake_advance(f.tmrl, 500);
	TEST_EQ(2, rec_tp_count_prefix(f.rt, "SIP/2.0 500 "));
	tmrl_fake_advance(f.tmrl, 40000);
	TEST_EQ(0, f.nterm); /* released: silent */
	TEST_EQ(0, sip_tsxl_count(f.tl, true));

	/* Freeing the layer leaves the TU's handle inert. */
	err = invite(&f, "INVITE", "z9hG4bKs9", NULL);
	TEST_ERR(err);
	f.tl = mem_deref(f.tl);
	TEST_ERR_EQ(EPROTO, sip_stsx_replyf(f.st, 200, NULL, NULL));
	TEST_EQ(0, tmrl_count(f.tmrl));
	TEST_ASSERT(sip_stsx_req(f.st) != NULL);
out:
	sfix_close(&f);
	return err;
}

/* n concurrent server transactions end and are freed. */
static int stsx_many(uint32_t n)
{
	struct sfix f;
	int err;

	err = sfix_init(&f, SIP_TRANSP_UDP);
	TEST_ERR(err);
	rec_tp_clear(f.rt);
	for (uint32_t i = 0; i < n; i++) {
		char br[32];

		snprintf(br, sizeof(br), "z9hG4bKn%u", i);
		if (i % 2)
			err = invite(&f, "INVITE", br, NULL);
		else
			err = recv_req(&f, msg_fmt, "UDP", br);
		TEST_ERR(err);
		err = sip_stsx_replyf(f.st, i % 4 == 1 ? 200 : 486, NULL, NULL);
		TEST_ERR(err);
	}
	TEST_EQ(n, sip_tsxl_count(f.tl, true));
	f.st = sip_stsx_release(f.st);
	/* Each is found again among the others. */
	err = invite(&f, "INVITE", "z9hG4bKn13", NULL);
	TEST_ERR(err);
	TEST_EQ(n, f.nreq);
	tmrl_fake_advance(f.tmrl, 64 * 500);
	TEST_EQ(0, sip_tsxl_count(f.tl, true));
	/* Every final, a 100 per INVITE, ten Timer G resends per 486 to an
	 * INVITE (500 ... 31500 ms). */
	TEST_EQ(n + n / 2 + 10 * n / 4, rec_tp_count(f.rt));
	TEST_EQ(0, tmrl_count(f.tmrl));
out:
	sfix_close(&f);
	return err;
}

/* A few dozen under --oom. */
TEST(test_tsx_stsx_several)
{
	return stsx_many(40);
}

/* Thousands (no --oom replay: it would run the test once per allocation,
 * tens of thousands of times; test_tsx_stsx_several covers those paths). */
TEST_NO_OOM(test_tsx_stsx_many)
{
	return stsx_many(4000);
}
