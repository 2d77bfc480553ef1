/* tests/unit/proxy/test_proxy_fork.c - forking, CANCEL (RFC 3261 16.7) */
#include <stdio.h>
#include <string.h>

#include "../sip/rec_tp.h"
#include "base/mem.h"
#include "base/tmr.h"
#include "sip/tsx.h"
#include "test.h"
#include "test_proxy_util.h"

#define CALLER "192.0.2.1:5062"
#define ALICE  "sip:alice@atlanta.com"
#define B20    "192.0.2.20:5070"
#define B21    "192.0.2.21:5070"
#define B22    "192.0.2.22:5070"

static const struct pt_binding bob2[] = {
    {"bob@example.com", "sip:bob@" B20, "udp:" B20, 1000, NULL},
    {"bob@example.com", "sip:bob@" B21, "udp:" B21, 1000, NULL},
};

static const struct pt_binding bob3[] = {
    {"bob@example.com", "sip:bob@" B20, "udp:" B20, 1000, NULL},
    {"bob@example.com", "sip:bob@" B21, "udp:" B21, 1000, NULL},
    {"bob@example.com", "sip:bob@" B22, "udp:" B22, 1000, NULL},
};

static const struct pt_binding bob_serial[] = {
    {"bob@example.com", "sip:bob@" B20, "udp:" B20, 1000, NULL},
    {"bob@example.com", "sip:bob@" B21, "udp:" B21, 500, NULL},
};

static int invite(struct pfix *f)
{
	return pt_req(f, "INVITE", "sip:bob@example.com", "z9hG4bKc1", ALICE,
	              NULL, NULL, 70, NULL);
}

/* CORE-06 parallel: answer on one, CANCEL to the other, one 2xx up. */
TEST(test_proxy_fork_parallel)
{
	struct pfix f;
	int err, i20, i21, c;

	PT_START();
	err = pfix_init(&f, NULL, bob2, 2, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(invite(&f));
	i20 = pt_find(&f, 0, "INVITE sip:bob@" B20, B20);
	i21 = pt_find(&f, 0, "INVITE sip:bob@" B21, B21);
	PT_ASSERT(i20 >= 0 && i21 >= 0);
	/* branch ids differ per branch */
	PT_ASSERT(pt_has(&f, i20, ".0\r\n") || pt_has(&f, i20, ".0;"));
	PT_ASSERT(pt_has(&f, i21, ".1\r\n") || pt_has(&f, i21, ".1;"));
	PT_ERR(pt_respond(&f, (uint32_t)i20, 180, "b20", NULL));
	PT_ERR(pt_respond(&f, (uint32_t)i21, 180, "b21", NULL));
	PT_EQ(2, pt_count(&f, "SIP/2.0 180 ", CALLER));
	PT_ERR(pt_respond(&f, (uint32_t)i20, 200, "b20", NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 200 ", CALLER));
	c = pt_find(&f, 0, "CANCEL sip:bob@" B21, B21);
	PT_ASSERT(c >= 0);
	PT_ASSERT(pt_has(&f, c, "cause=200"));
	PT_EQ(0, pt_count(&f, "CANCEL ", B20));
	PT_ERR(pt_respond(&f, (uint32_t)c, 200, NULL, NULL));
	PT_ERR(pt_respond(&f, (uint32_t)i21, 487, "b21", NULL));
	PT_EQ(0, pt_count(&f, "SIP/2.0 487 ", CALLER));
	PT_EQ(1, pt_count(&f, "SIP/2.0 200 ", CALLER));
	/* a 2xx retransmission still goes up (RFC 6026) */
	PT_ERR(pt_respond(&f, (uint32_t)i20, 200, "b20", NULL));
	PT_EQ(2, pt_count(&f, "SIP/2.0 200 ", CALLER));
	tmrl_fake_advance(f.tmrl, 40000);
	PT_EQ(0, sip_tsxl_count(f.tl, false));
out:
	pfix_close(&f);
	return err;
}

/* CORE-06 serial: q groups one after the other, on failure. */
TEST(test_proxy_fork_serial_failure)
{
	struct pfix f;
	int err, i20, i21;

	PT_START();
	err = pfix_init(&f, NULL, bob_serial, 2, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(invite(&f));
	i20 = pt_find(&f, 0, "INVITE ", B20);
	PT_ASSERT(i20 >= 0);
	PT_EQ(0, pt_count(&f, "INVITE ", B21));
	PT_ERR(pt_respond(&f, (uint32_t)i20, 486, "b20", NULL));
	i21 = pt_find(&f, 0, "INVITE ", B21);
	PT_ASSERT(i21 >= 0);
	PT_EQ(0, pt_count(&f, "SIP/2.0 486 ", CALLER));
	PT_ERR(pt_respond(&f, (uint32_t)i21, 200, "b21", NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 200 ", CALLER));
	PT_EQ(0, pt_count(&f, "SIP/2.0 486 ", CALLER));
out:
	pfix_close(&f);
	return err;
}

/* CORE-06 serial: no answer within serial_ms -> CANCEL, next group. */
TEST(test_proxy_fork_serial_timeout)
{
	struct pfix f;
	int err, i20, i21;

	PT_START();
	err = pfix_init(&f, &(struct proxy_conf){180000, 5000, false, NULL},
	                bob_serial, 2, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(invite(&f));
	i20 = pt_find(&f, 0, "INVITE ", B20);
	PT_ASSERT(i20 >= 0);
	PT_ERR(pt_respond(&f, (uint32_t)i20, 180, "b20", NULL));
	tmrl_fake_advance(f.tmrl, 4900);
	PT_EQ(0, pt_count(&f, "INVITE ", B21));
	tmrl_fake_advance(f.tmrl, 100);
	PT_EQ(1, pt_count(&f, "CANCEL ", B20));
	i21 = pt_find(&f, 0, "INVITE ", B21);
	PT_ASSERT(i21 >= 0);
	PT_ERR(pt_respond(&f, (uint32_t)i20, 487, "b20", NULL));
	PT_EQ(0, pt_count(&f, "SIP/2.0 487 ", CALLER));
	PT_ERR(pt_respond(&f, (uint32_t)i21, 200, "b21", NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 200 ", CALLER));
out:
	pfix_close(&f);
	return err;
}

/* 16.7 step 6: the best of 503/486/404 is the first 4xx; a lone 503
 * becomes 500. */
TEST(test_proxy_fork_aggregate)
{
	struct pfix f;
	int err, i20, i21, i22, i;

	PT_START();
	err = pfix_init(&f, NULL, bob3, 3, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(invite(&f));
	i20 = pt_find(&f, 0, "INVITE ", B20);
	i21 = pt_find(&f, 0, "INVITE ", B21);
	i22 = pt_find(&f, 0, "INVITE ", B22);
	PT_ASSERT(i20 >= 0 && i21 >= 0 && i22 >= 0);
	PT_ERR(pt_respond(&f, (uint32_t)i20, 503, "b20", NULL));
	PT_ERR(pt_respond(&f, (uint32_t)i21, 486, "b21", NULL));
	PT_EQ(0, pt_count(&f, "SIP/2.0 4", CALLER));
	PT_EQ(0, pt_count(&f, "SIP/2.0 5", CALLER));
	PT_ERR(pt_respond(&f, (uint32_t)i22, 404, "b22", NULL));
	i = pt_find(&f, 0, "SIP/2.0 486 ", CALLER);
	PT_ASSERT(i >= 0);
	PT_ASSERT(pt_has(&f, i, "tag=b21"));
	PT_EQ(0, pt_count(&f, "SIP/2.0 404 ", CALLER));
	PT_EQ(0, pt_count(&f, "SIP/2.0 503 ", CALLER));
	pfix_close(&f);

	err = pfix_init(&f, NULL, bob3, 1, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(invite(&f));
	i20 = pt_find(&f, 0, "INVITE ", B20);
	PT_ERR(pt_respond(&f, (uint32_t)i20, 503, "b20", "Retry-After: 30\n"));
	i = pt_find(&f, 0, "SIP/2.0 500 ", CALLER);
	PT_ASSERT(i >= 0);
	PT_EQ(0, pt_count(&f, "SIP/2.0 503 ", CALLER));
out:
	pfix_close(&f);
	return err;
}

/* 16.7 step 7: challenges of every branch in the one 407. */
TEST(test_proxy_fork_merge_challenges)
{
	struct pfix f;
	int err, i20, i21, i;

	PT_START();
	err = pfix_init(&f, NULL, bob2, 2, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(invite(&f));
	i20 = pt_find(&f, 0, "INVITE ", B20);
	i21 = pt_find(&f, 0, "INVITE ", B21);
	PT_ASSERT(i20 >= 0 && i21 >= 0);
	PT_ERR(pt_respond(&f, (uint32_t)i20, 407, "b20",
	                  "Proxy-Authenticate: Digest realm=\"a.example\", "
	                  "nonce=\"n1\"\n"));
	PT_ERR(pt_respond(&f, (uint32_t)i21, 401, "b21",
	                  "WWW-Authenticate: Digest realm=\"b.example\", "
	                  "nonce=\"n2\"\n"));
	i = pt_find(&f, 0, "SIP/2.0 407 ", CALLER);
	PT_ASSERT(i >= 0);
	PT_ASSERT(pt_has(&f, i, "realm=\"a.example\""));
	PT_ASSERT(
	    pt_has(&f, i, "WWW-Authenticate: Digest realm=\"b.example\""));
out:
	pfix_close(&f);
	return err;
}

/* A 6xx ends the search at once. */
TEST(test_proxy_fork_6xx)
{
	struct pfix f;
	int err, i20, i21;

	PT_START();
	err = pfix_init(&f, NULL, bob2, 2, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(invite(&f));
	i20 = pt_find(&f, 0, "INVITE ", B20);
	i21 = pt_find(&f, 0, "INVITE ", B21);
	PT_ASSERT(i20 >= 0 && i21 >= 0);
	PT_ERR(pt_respond(&f, (uint32_t)i20, 180, "b20", NULL));
	PT_ERR(pt_respond(&f, (uint32_t)i21, 180, "b21", NULL));
	PT_ERR(pt_respond(&f, (uint32_t)i20, 603, "b20", NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 603 ", CALLER));
	PT_EQ(1, pt_count(&f, "CANCEL ", B21));
	PT_ERR(pt_respond(&f, (uint32_t)i21, 487, "b21", NULL));
	PT_EQ(0, pt_count(&f, "SIP/2.0 487 ", CALLER));
out:
	pfix_close(&f);
	return err;
}

/* 16.10: CANCEL from upstream: 200, CANCEL down, 487 up. */
TEST(test_proxy_fork_cancel_upstream)
{
	struct pfix f;
	int err, i20, i21, c;

	PT_START();
	err = pfix_init(&f, NULL, bob2, 2, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(invite(&f));
	i20 = pt_find(&f, 0, "INVITE ", B20);
	i21 = pt_find(&f, 0, "INVITE ", B21);
	PT_ASSERT(i20 >= 0 && i21 >= 0);
	PT_ERR(pt_respond(&f, (uint32_t)i20, 180, "b20", NULL));
	PT_ERR(pt_req(&f, "CANCEL", "sip:bob@example.com", "z9hG4bKc1", ALICE,
	              NULL, NULL, 70, "Reason: SIP;cause=480\n"));
	c = pt_find(&f, 0, "SIP/2.0 200 ", CALLER);
	PT_ASSERT(c >= 0);
	PT_ASSERT(pt_has(&f, c, "CANCEL"));
	c = pt_find(&f, 0, "CANCEL ", B20);
	PT_ASSERT(c >= 0);
	PT_ASSERT(pt_has(&f, c, "Reason: SIP;cause=480"));
	/* no provisional from .21 yet: its CANCEL waits */
	PT_EQ(0, pt_count(&f, "CANCEL ", B21));
	PT_EQ(0, pt_count(&f, "SIP/2.0 487 ", CALLER));
	PT_ERR(pt_respond(&f, (uint32_t)i20, 487, "b20", NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 487 ", CALLER));
	PT_ERR(pt_respond(&f, (uint32_t)i21, 180, "b21", NULL));
	PT_EQ(1, pt_count(&f, "CANCEL ", B21));
	PT_EQ(1, pt_count(&f, "SIP/2.0 180 ", CALLER));
	PT_ERR(pt_respond(&f, (uint32_t)i21, 487, "b21", NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 487 ", CALLER));
	/* a CANCEL for nothing */
	PT_ERR(pt_req(&f, "CANCEL", "sip:bob@example.com", "z9hG4bKzz", ALICE,
	              NULL, NULL, 70, NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 481 ", CALLER));
out:
	pfix_close(&f);
	return err;
}

/* 16.8 Timer C: a ringing branch is CANCELled; a silent one is 408. */
TEST(test_proxy_fork_timer_c)
{
	struct pfix f;
	int err, i20;

	PT_START();
	err = pfix_init(&f, &(struct proxy_conf){10000, 0, false, NULL}, bob2,
	                1, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(invite(&f));
	i20 = pt_find(&f, 0, "INVITE ", B20);
	PT_ASSERT(i20 >= 0);
	tmrl_fake_advance(f.tmrl, 2000);
	PT_ERR(pt_respond(&f, (uint32_t)i20, 180, "b20", NULL));
	tmrl_fake_advance(f.tmrl, 9999); /* restarted by the 180 */
	PT_EQ(0, pt_count(&f, "CANCEL ", B20));
	tmrl_fake_advance(f.tmrl, 1);
	PT_EQ(1, pt_count(&f, "CANCEL ", B20));
	PT_ERR(pt_respond(&f, (uint32_t)i20, 487, "b20", NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 487 ", CALLER));
	pfix_close(&f);

	err = pfix_init(&f, &(struct proxy_conf){10000, 0, false, NULL}, bob2,
	                1, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(invite(&f));
	tmrl_fake_advance(f.tmrl, 10000);
	PT_EQ(1, pt_count(&f, "SIP/2.0 408 ", CALLER));
out:
	pfix_close(&f);
	return err;
}

/* CORE-07: each branch's reliable 183 reaches the caller with its own
 * To tag; each PRACK reaches the device that sent that 183. */
TEST(test_proxy_fork_100rel)
{
	static const char rr[] = "Require: 100rel\nRSeq: 1\n"
	                         "Record-Route: <sip:127.0.0.1:5060;lr;impd>\n";
	struct pfix f;
	int err, i20, i21, i;

	PT_START();
	err = pfix_init(&f, NULL, bob2, 2, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "INVITE", "sip:bob@example.com", "z9hG4bKc1", ALICE,
	              NULL, NULL, 70, "Supported: 100rel\n"));
	i20 = pt_find(&f, 0, "INVITE ", B20);
	i21 = pt_find(&f, 0, "INVITE ", B21);
	PT_ASSERT(i20 >= 0 && i21 >= 0);
	PT_ASSERT(pt_has(&f, i20, "Supported: 100rel"));
	PT_ERR(pt_respond(&f, (uint32_t)i20, 183, "b20", rr));
	PT_ERR(pt_respond(&f, (uint32_t)i21, 183, "b21", rr));
	PT_EQ(2, pt_count(&f, "SIP/2.0 183 ", CALLER));
	i = pt_find(&f, 0, "SIP/2.0 183 ", CALLER);
	PT_ASSERT(pt_has(&f, i, "tag=b20") && pt_has(&f, i, "RSeq: 1"));
	i = pt_find(&f, (uint32_t)i + 1, "SIP/2.0 183 ", CALLER);
	PT_ASSERT(pt_has(&f, i, "tag=b21"));

	PT_ERR(
	    pt_req(&f, "PRACK", "sip:bob@" B21, "z9hG4bKpr1", ALICE,
	           "sip:bob@example.com", "b21", 70,
	           "Route: <sip:127.0.0.1:5060;lr;impd>\nRAck: 1 1 INVITE\n"));
	i = pt_find(&f, 0, "PRACK sip:bob@" B21, B21);
	PT_ASSERT(i >= 0);
	PT_EQ(0, pt_count(&f, "PRACK ", B20));
	PT_ERR(pt_respond(&f, (uint32_t)i, 200, NULL, NULL));
	i = pt_find(&f, 0, "SIP/2.0 200 ", CALLER);
	PT_ASSERT(pt_has(&f, i, "PRACK"));
out:
	pfix_close(&f);
	return err;
}
