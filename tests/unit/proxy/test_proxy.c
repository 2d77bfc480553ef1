/* tests/unit/proxy/test_proxy.c - proxy checks and routing (RFC 3261 16) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../sip/rec_tp.h"
#include "base/mem.h"
#include "base/tmr.h"
#include "base/util.h"
#include "sip/tsx.h"
#include "test.h"
#include "test_proxy_util.h"

#define CALLER "192.0.2.1:5062"
#define ALICE  "sip:alice@atlanta.com" /* a foreign caller */
#define LALICE "sip:alice@example.com" /* a local caller */

static const struct pt_binding bob1[] = {
    {"bob@example.com", "sip:bob@192.0.2.20:5070", "udp:192.0.2.20:5070", 1000,
     NULL},
};

/* Forward to the registered contact, responses back, ACK for the 2xx
 * statelessly along the Record-Route. */
TEST(test_proxy_fwd_registered)
{
	struct sip_msg *m = NULL;
	struct pfix f;
	int err, i, j;

	PT_START();
	err = pfix_init(&f, NULL, bob1, 1, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "INVITE", "sip:bob@example.com", "z9hG4bKc1", ALICE,
	              NULL, NULL, 70, NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 100 ", CALLER));
	i = pt_find(&f, 0, "INVITE sip:bob@192.0.2.20:5070 SIP/2.0",
	            "192.0.2.20:5070");
	PT_ASSERT(i >= 0);
	PT_ERR(rec_tp_decode(f.rt, (uint32_t)i, &m));
	PT_EQ(69, m->maxfwd);
	PT_ASSERT(!pl_strcmp(&m->via.sentby, "127.0.0.1:5060"));
	PT_ASSERT(m->via.branch.l > 39 &&
	          !memcmp(m->via.branch.p, "z9hG4bK", 7));
	PT_EQ(2, sip_msg_hdr_count(m, SIP_HDR_VIA));
	PT_EQ(1, sip_msg_hdr_count(m, SIP_HDR_RECORD_ROUTE));
	PT_ASSERT(pt_has(&f, i, "Record-Route: <sip:127.0.0.1:5060;lr;impd>"));
	PT_ASSERT(pt_has(&f, i, ";rport=5062;received=192.0.2.1"));
	PT_ASSERT(pt_has(&f, i, "Contact: <sip:caller@192.0.2.1:5062>"));
	m = mem_deref(m);

	PT_ERR(pt_respond(&f, (uint32_t)i, 180, "b1", NULL));
	j = pt_find(&f, 0, "SIP/2.0 180 ", CALLER);
	PT_ASSERT(j >= 0);
	PT_ERR(rec_tp_decode(f.rt, (uint32_t)j, &m));
	PT_EQ(1, sip_msg_hdr_count(m, SIP_HDR_VIA));
	PT_ASSERT(!pl_strcmp(&m->via.branch, "z9hG4bKc1"));
	PT_ASSERT(!pl_strcmp(&m->to.tag, "b1"));
	m = mem_deref(m);
	PT_ERR(pt_respond(&f, (uint32_t)i, 200, "b1",
	                  "Contact: <sip:bob@192.0.2.20:5070>\n"));
	PT_EQ(1, pt_count(&f, "SIP/2.0 200 ", CALLER));

	/* ACK for the 2xx: Route to us, then the contact */
	PT_ERR(pt_req(&f, "ACK", "sip:bob@192.0.2.20:5070", "z9hG4bKc1a", ALICE,
	              "sip:bob@example.com", "b1", 70,
	              "Route: <sip:127.0.0.1:5060;lr;impd>\n"));
	j = pt_find(&f, 0, "ACK sip:bob@192.0.2.20:5070 SIP/2.0",
	            "192.0.2.20:5070");
	PT_ASSERT(j >= 0);
	PT_ASSERT(!pt_has(&f, j, "Route:"));
	PT_ASSERT(pt_has(&f, j, "Max-Forwards: 69"));
	PT_EQ(1, pt_count(&f, "ACK ", NULL));

	/* The context ends after the 2xx retransmission window */
	tmrl_fake_advance(f.tmrl, 40000);
	PT_EQ(0, sip_tsxl_count(f.tl, false));
out:
	mem_deref(m);
	pfix_close(&f);
	return err;
}

/* RFC 3327: the Path becomes the Route set; the REGISTER's source is the
 * destination. */
TEST(test_proxy_fwd_path)
{
	static const struct pt_binding b[] = {
	    {"bob@example.com", "sip:bob@10.0.0.5:5070", "udp:192.0.2.70:5090",
	     1000, "<sip:192.0.2.70:5090;lr>"},
	};
	struct pfix f;
	int err, i;

	PT_START();
	err = pfix_init(&f, NULL, b, 1, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "MESSAGE", "sip:bob@example.com", "z9hG4bKp1", ALICE,
	              NULL, NULL, -1, NULL));
	i = pt_find(&f, 0, "MESSAGE sip:bob@10.0.0.5:5070 SIP/2.0",
	            "192.0.2.70:5090");
	PT_ASSERT(i >= 0);
	PT_ASSERT(pt_has(&f, i, "Route: <sip:192.0.2.70:5090;lr>"));
	PT_ASSERT(pt_has(&f, i, "Max-Forwards: 70")); /* absent: 70 */
	PT_ASSERT(!pt_has(&f, i, "Record-Route"));
	PT_ERR(pt_respond(&f, (uint32_t)i, 202, "m1", NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 202 ", CALLER));
out:
	pfix_close(&f);
	return err;
}

/* Unknown local user 404 (480 without a user directory), tel: 404, a
 * foreign name 503 (no DNS). */
TEST(test_proxy_not_found)
{
	struct pfix f;
	int err, i;

	PT_START();
	err = pfix_init(&f, NULL, bob1, 1, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "INVITE", "sip:carol@example.com", "z9hG4bKn1", ALICE,
	              NULL, NULL, 70, NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 404 Not Found", CALLER));
	PT_ERR(pt_req(&f, "MESSAGE", "tel:+15551234", "z9hG4bKn2", LALICE,
	              "sip:x@example.com", NULL, 70, NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 404 No route for tel URI", CALLER));
	PT_ERR(pt_req(&f, "MESSAGE", "sip:bob@biloxi.invalid", "z9hG4bKn3",
	              LALICE, NULL, NULL, 70, NULL));
	i = pt_find(&f, 0, "SIP/2.0 503 DNS not available", CALLER);
	PT_ASSERT(i >= 0);
	/* without a user directory the proxy cannot tell: 480 */
	err = proxy_set_store(f.p, NULL);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "MESSAGE", "sip:carol@example.com", "z9hG4bKn4",
	              ALICE, NULL, NULL, 70, NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 480 ", CALLER));
	PT_EQ(4, pt_n(&f) - 1); /* and the 100 of the INVITE */
	TEST_ERR_EQ(EINVAL, proxy_set_store(NULL, f.st));
out:
	pfix_close(&f);
	return err;
}

TEST(test_proxy_max_forwards)
{
	struct pfix f;
	int err, i;

	PT_START();
	err = pfix_init(&f, NULL, bob1, 1, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "INVITE", "sip:bob@example.com", "z9hG4bKm1", ALICE,
	              NULL, NULL, 0, NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 483 ", CALLER));
	PT_EQ(0, pt_count(&f, "INVITE ", NULL));
	/* 16.3 step 3: OPTIONS for us may be answered */
	PT_ERR(pt_req(&f, "OPTIONS", "sip:127.0.0.1:5060", "z9hG4bKm2", ALICE,
	              NULL, NULL, 0, NULL));
	i = pt_find(&f, 0, "SIP/2.0 200 ", CALLER);
	PT_ASSERT(i >= 0);
	PT_ASSERT(pt_has(&f, i, "Allow: INVITE"));
	/* 1 is still forwarded, as 0 */
	PT_ERR(pt_req(&f, "MESSAGE", "sip:bob@example.com", "z9hG4bKm3", ALICE,
	              NULL, NULL, 1, NULL));
	i = pt_find(&f, 0, "MESSAGE ", "192.0.2.20:5070");
	PT_ASSERT(pt_has(&f, i, "Max-Forwards: 0"));
out:
	pfix_close(&f);
	return err;
}

/* A request that comes back unchanged is a loop; with a new Request-URI
 * it is a spiral and goes on. */
TEST(test_proxy_loop_spiral)
{
	struct pfix f;
	char *text = NULL, *spiral = NULL;
	const char *line = "INVITE sip:bob@192.0.2.30 SIP/2.0";
	int err, i;

	PT_START();
	err = pfix_init(&f, NULL, NULL, 0, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "INVITE", "sip:bob@192.0.2.30", "z9hG4bKl1", LALICE,
	              NULL, NULL, 70, NULL));
	i = pt_find(&f, 0, line, "192.0.2.30:5060");
	PT_ASSERT(i >= 0);
	PT_ERR(pt_text(&text, &f, i));
	/* as the next hop sends it back: its own Via on top */
	PT_ERR(mem_strdup(&spiral, text));
	PT_ASSERT(strlen(line) + 2 < strlen(text));

	PT_ERR(
	    pt_recv(&f, SIP_TRANSP_UDP, "192.0.2.30:5060",
	            "%s\r\nVia: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bKdn1"
	            "%s",
	            line, text + strlen(line)));
	PT_EQ(1, pt_count(&f, "SIP/2.0 482 ", NULL));
	PT_EQ(1, pt_count(&f, "INVITE ", NULL));

	/* spiral: the next hop changed the Request-URI */
	PT_ERR(pt_recv(&f, SIP_TRANSP_UDP, "192.0.2.30:5060",
	               "INVITE sip:bob@192.0.2.31 SIP/2.0\r\n"
	               "Via: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bKdn2%s",
	               text + strlen(line)));
	i = pt_find(&f, 0, "INVITE sip:bob@192.0.2.31 ", "192.0.2.31:5060");
	PT_ASSERT(i >= 0);
	PT_ASSERT(pt_has(&f, i, "Max-Forwards: 68"));
	PT_EQ(1, pt_count(&f, "SIP/2.0 482 ", NULL));
out:
	mem_deref(text);
	mem_deref(spiral);
	pfix_close(&f);
	return err;
}

/* 16.4 loose routing, a strict router before us, 16.6 step 6 a strict
 * router after us. */
TEST(test_proxy_route_preprocess)
{
	struct pfix f;
	int err, i;

	PT_START();
	err = pfix_init(&f, NULL, NULL, 0, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "BYE", "sip:bob@192.0.2.30", "z9hG4bKr1", ALICE, NULL,
	              "t1", 70,
	              "Route: <sip:127.0.0.1:5060;lr;impd>, "
	              "<sip:192.0.2.40:5080;lr>\n"));
	i = pt_find(&f, 0, "BYE sip:bob@192.0.2.30 SIP/2.0", "192.0.2.40:5080");
	PT_ASSERT(i >= 0);
	PT_ASSERT(pt_has(&f, i, "Route: <sip:192.0.2.40:5080;lr>"));
	PT_ASSERT(!pt_has(&f, i, "impd>"));

	/* strict router upstream: our RR URI is the Request-URI */
	PT_ERR(
	    pt_req(&f, "BYE", "sip:127.0.0.1:5060;lr;impd", "z9hG4bKr2", ALICE,
	           "sip:bob@biloxi.com", "t1", 70,
	           "Route: <sip:192.0.2.40:5080;lr>, <sip:bob@192.0.2.30>\n"));
	i = pt_find(&f, (uint32_t)i + 1, "BYE sip:bob@192.0.2.30 SIP/2.0",
	            "192.0.2.40:5080");
	PT_ASSERT(i >= 0);
	PT_ASSERT(!pt_has(&f, i, "Route: <sip:bob@"));

	/* strict router downstream */
	PT_ERR(pt_req(
	    &f, "BYE", "sip:bob@192.0.2.30", "z9hG4bKr3", ALICE, NULL, "t1", 70,
	    "Route: <sip:127.0.0.1:5060;lr>, <sip:192.0.2.41:5090>\n"));
	i = pt_find(&f, 0, "BYE sip:192.0.2.41:5090 SIP/2.0",
	            "192.0.2.41:5090");
	PT_ASSERT(i >= 0);
	PT_ASSERT(pt_has(&f, i, "Route: <sip:bob@192.0.2.30>"));
	PT_EQ(3, pt_count(&f, "BYE ", NULL));
out:
	pfix_close(&f);
	return err;
}

/* RFC 5658: UDP in, TCP out: one Record-Route per side; the callee's BYE
 * along both comes back to the caller. */
TEST(test_proxy_double_rr)
{
	static const struct pt_binding b[] = {
	    {"bob@example.com", "sip:bob@192.0.2.21:5070;transport=tcp",
	     "tcp:192.0.2.21:5070", 1000, NULL},
	};
	struct pfix f;
	int err, i;

	PT_START();
	err = pfix_init(&f, NULL, b, 1, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "INVITE", "sip:bob@example.com", "z9hG4bKd1", ALICE,
	              NULL, NULL, 70, NULL));
	i = pt_find(&f, 0, "INVITE ", "192.0.2.21:5070");
	PT_ASSERT(i >= 0);
	PT_EQ(SIP_TRANSP_TCP, rec_tp_get(f.rt, (uint32_t)i)->dst.tp);
	PT_ASSERT(pt_has(&f, i, "Via: SIP/2.0/TCP 127.0.0.1:5060;branch="));
	PT_ASSERT(pt_has(
	    &f, i,
	    "Record-Route: <sip:127.0.0.1:5060;transport=tcp;lr;impd>\r\n"
	    "Record-Route: <sip:127.0.0.1:5060;lr;impd>\r\n"));

	PT_ERR(pt_recv(&f, SIP_TRANSP_TCP, "192.0.2.21:5070",
	               "BYE sip:caller@192.0.2.1:5062 SIP/2.0\n"
	               "Via: SIP/2.0/TCP 192.0.2.21:5070;branch=z9hG4bKbye1\n"
	               "Route: <sip:127.0.0.1:5060;transport=tcp;lr;impd>, "
	               "<sip:127.0.0.1:5060;lr;impd>\n"
	               "Max-Forwards: 70\n"
	               "From: <sip:bob@example.com>;tag=b1\n"
	               "To: <" ALICE ">;tag=f1\n"
	               "Call-ID: c1@192.0.2.1\n"
	               "CSeq: 5 BYE\n"
	               "Content-Length: 0\n\n"));
	i = pt_find(&f, 0, "BYE sip:caller@192.0.2.1:5062 SIP/2.0", CALLER);
	PT_ASSERT(i >= 0);
	PT_ASSERT(!pt_has(&f, i, "Route:"));
	PT_EQ(SIP_TRANSP_UDP, rec_tp_get(f.rt, (uint32_t)i)->dst.tp);
out:
	pfix_close(&f);
	return err;
}

/* CORE-14: what impd answers for itself. */
TEST(test_proxy_local_answers)
{
	struct pfix f;
	int err, i;

	PT_START();
	err = pfix_init(&f, NULL, NULL, 0, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "OPTIONS", "sip:127.0.0.1:5060", "z9hG4bKo1", ALICE,
	              NULL, NULL, 70, NULL));
	i = pt_find(&f, 0, "SIP/2.0 200 ", CALLER);
	PT_ASSERT(i >= 0);
	PT_ASSERT(pt_has(&f, i,
	                 "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, "
	                 "MESSAGE, PRACK, UPDATE, INFO, REFER, NOTIFY, "
	                 "SUBSCRIBE, PUBLISH\r\n"));
	PT_ASSERT(pt_has(&f, i, "Supported: path, gruu\r\n"));
	PT_ASSERT(pt_has(&f, i, "Accept: application/sdp"));
	/* the domain without user is us too */
	PT_ERR(pt_req(&f, "OPTIONS", "sip:example.com", "z9hG4bKo2", ALICE,
	              NULL, NULL, 70, NULL));
	PT_EQ(2, pt_count(&f, "SIP/2.0 200 ", CALLER));
	PT_ERR(pt_req(&f, "OPTIONS", "sip:example.com", "z9hG4bKo3", ALICE,
	              NULL, NULL, 70, "Require: foo, path\n"));
	i = pt_find(&f, 0, "SIP/2.0 420 ", CALLER);
	PT_ASSERT(pt_has(&f, i, "Unsupported: foo\r\n"));
	PT_ERR(pt_recv(&f, SIP_TRANSP_UDP, CALLER,
	               "OPTIONS sip:example.com SIP/2.0\n"
	               "Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKo4\n"
	               "From: <" ALICE ">;tag=f1\n"
	               "To: <sip:example.com>\n"
	               "Call-ID: c1@192.0.2.1\n"
	               "CSeq: 1 OPTIONS\n"
	               "Content-Type: application/x-foo\n"
	               "Content-Length: 5\n\nhello"));
	i = pt_find(&f, 0, "SIP/2.0 415 ", CALLER);
	PT_ASSERT(pt_has(&f, i, "Accept: application/sdp"));
	PT_ERR(pt_req(&f, "FOO", "sip:127.0.0.1:5060", "z9hG4bKo5", ALICE, NULL,
	              NULL, 70, NULL));
	i = pt_find(&f, 0, "SIP/2.0 501 ", CALLER);
	PT_ASSERT(i >= 0);
	PT_ERR(pt_req(&f, "INVITE", "sip:127.0.0.1:5060", "z9hG4bKo6", ALICE,
	              NULL, NULL, 70, NULL));
	i = pt_find(&f, 0, "SIP/2.0 405 ", CALLER);
	PT_ASSERT(pt_has(&f, i, "Allow: INVITE"));
	PT_ERR(pt_req(&f, "BYE", "sip:127.0.0.1:5060", "z9hG4bKo7", ALICE, NULL,
	              NULL, 70, NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 481 ", CALLER));
out:
	pfix_close(&f);
	return err;
}

/* 416 for schemes we cannot route, 420 for Proxy-Require, CORE-17. */
TEST(test_proxy_validation)
{
	struct pfix f;
	int err, i;

	PT_START();
	err = pfix_init(&f, NULL, bob1, 1, NULL, 0, false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "INVITE", "http://example.com/bob", "z9hG4bKv1",
	              ALICE, "sip:bob@example.com", NULL, 70, NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 416 ", CALLER));
	PT_ERR(pt_req(&f, "INVITE", "sip:bob@example.com", "z9hG4bKv2", ALICE,
	              NULL, NULL, 70, "Proxy-Require: bext01\n"));
	i = pt_find(&f, 0, "SIP/2.0 420 ", CALLER);
	PT_ASSERT(pt_has(&f, i, "Unsupported: bext01\r\n"));
	/* Require is for the UAS: passed on */
	PT_ERR(pt_req(&f, "MESSAGE", "sip:bob@example.com", "z9hG4bKv3", ALICE,
	              NULL, NULL, 70, "Require: bext01\n"));
	i = pt_find(&f, 0, "MESSAGE ", "192.0.2.20:5070");
	PT_ASSERT(pt_has(&f, i, "Require: bext01"));
	/* unknown body type to someone else: forwarded */
	PT_ERR(pt_req(&f, "MESSAGE", "sip:bob@example.com", "z9hG4bKv4", ALICE,
	              NULL, NULL, 70, "Content-Type: application/x-foo\n"));
	PT_EQ(2, pt_count(&f, "MESSAGE ", "192.0.2.20:5070"));

	PT_ERR(pt_req(&f, "SUBSCRIBE", "sip:bob@example.com", "z9hG4bKv5",
	              ALICE, NULL, NULL, 70, NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 489 ", CALLER));
	PT_ERR(pt_req(&f, "NOTIFY", "sip:bob@example.com", "z9hG4bKv6", ALICE,
	              NULL, "n1", 70, "Event: presence\n"));
	i = pt_find(&f, 0, "SIP/2.0 400 Missing Subscription-State", CALLER);
	PT_ASSERT(i >= 0);
	PT_EQ(0, pt_count(&f, "SUBSCRIBE ", NULL));
	proxy_set_lenient(f.p, true);
	PT_ERR(pt_req(&f, "SUBSCRIBE", "sip:bob@example.com", "z9hG4bKv7",
	              ALICE, NULL, NULL, 70, NULL));
	i = pt_find(&f, 0, "SUBSCRIBE ", "192.0.2.20:5070");
	PT_ASSERT(i >= 0);
	PT_ASSERT(pt_has(&f, i, "Record-Route:"));
out:
	pfix_close(&f);
	return err;
}

static uint32_t hook_calls;

static bool hook_h(struct sip_stsx *st, const char *ident, void *arg)
{
	(void)arg;
	(void)ident;
	hook_calls++;
	sip_stsx_replyf(st, 202, NULL, NULL);
	return true;
}

/* A service that declines: the proxy routes the request as usual. */
static bool decline_h(struct sip_stsx *st, const char *ident, void *arg)
{
	(void)st;
	(void)ident;
	(void)arg;
	hook_calls++;
	return false;
}

/* Local services hook; REGISTER reaches the registrar and the binding it
 * makes is then used. */
TEST(test_proxy_local_hook_register)
{
	struct pfix f;
	int err, i;

	PT_START();
	hook_calls = 0;
	err = pfix_init(&f, NULL, NULL, 0, NULL, 0, true);
	TEST_ERR(err);
	err =
	    proxy_local_register(f.p, "PUBLISH", PROXY_LOCAL_AOR, hook_h, NULL);
	TEST_ERR(err);
	err = proxy_local_register(f.p, "MESSAGE", PROXY_LOCAL_AOR, decline_h,
	                           NULL);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "PUBLISH", "sip:bob@example.com", "z9hG4bKh1", ALICE,
	              NULL, NULL, 70, "Event: presence\n"));
	PT_EQ(1, hook_calls);
	PT_EQ(1, pt_count(&f, "SIP/2.0 202 ", CALLER));

	PT_ERR(pt_recv(&f, SIP_TRANSP_UDP, CALLER,
	               "REGISTER sip:example.com SIP/2.0\n"
	               "Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKh2\n"
	               "Max-Forwards: 70\n"
	               "From: <sip:dave@example.com>;tag=r1\n"
	               "To: <sip:dave@example.com>\n"
	               "Call-ID: reg1@192.0.2.1\n"
	               "CSeq: 1 REGISTER\n"
	               "Contact: <sip:dave@192.0.2.60:5060>\n"
	               "Expires: 600\n"
	               "Content-Length: 0\n\n"));
	i = pt_find(&f, 0, "SIP/2.0 200 ", CALLER);
	PT_ASSERT(i >= 0);
	PT_ERR(pt_req(&f, "MESSAGE", "sip:dave@example.com", "z9hG4bKh3", ALICE,
	              NULL, NULL, 70, NULL));
	/* the MESSAGE service declined: routed to the contact (a public
	 * address: no NAT in between) */
	PT_EQ(2, hook_calls);
	i = pt_find(&f, 0, "MESSAGE sip:dave@192.0.2.60:5060 SIP/2.0",
	            "192.0.2.60:5060");
	PT_ASSERT(i >= 0);

	/* a private Contact registered from another address is behind NAT:
	 * requests go to the address the REGISTER came from */
	PT_ERR(pt_recv(&f, SIP_TRANSP_UDP, CALLER,
	               "REGISTER sip:example.com SIP/2.0\n"
	               "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKh4\n"
	               "Max-Forwards: 70\n"
	               "From: <sip:erin@example.com>;tag=r2\n"
	               "To: <sip:erin@example.com>\n"
	               "Call-ID: reg2@10.0.0.5\n"
	               "CSeq: 1 REGISTER\n"
	               "Contact: <sip:erin@10.0.0.5:5060>\n"
	               "Expires: 600\n"
	               "Content-Length: 0\n\n"));
	PT_ERR(pt_req(&f, "MESSAGE", "sip:erin@example.com", "z9hG4bKh5", ALICE,
	              NULL, NULL, 70, NULL));
	i = pt_find(&f, 0, "MESSAGE sip:erin@10.0.0.5:5060 SIP/2.0", CALLER);
	PT_ASSERT(i >= 0);
out:
	pfix_close(&f);
	return err;
}

static int digest(char *out, size_t size, const char *nonce, const char *met,
                  const char *uri, uint32_t nc)
{
	char ha1[33], ha2[33], rsp[33], buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "alice:example.com:secret");
	md5_hex(ha1, buf, (size_t)n);
	n = snprintf(buf, sizeof(buf), "%s:%s", met, uri);
	md5_hex(ha2, buf, (size_t)n);
	n = snprintf(buf, sizeof(buf), "%s:%s:%08x:c0ffee:auth:%s", ha1, nonce,
	             nc, ha2);
	md5_hex(rsp, buf, (size_t)n);
	n = snprintf(out, size,
	             "Proxy-Authorization: Digest username=\"alice\", "
	             "realm=\"example.com\", nonce=\"%s\", uri=\"%s\", "
	             "response=\"%s\", algorithm=MD5, cnonce=\"c0ffee\", "
	             "qop=auth, nc=%08x\n",
	             nonce, uri, rsp, nc);
	return n > 0 && (size_t)n < size ? 0 : ERANGE;
}

/* CORE-10: local users authenticate (407), credentials must match From;
 * no open relay. */
TEST(test_proxy_auth_relay)
{
	static const char *const users[] = {"alice"};
	struct sip_msg *m = NULL;
	const struct sip_hdr *h;
	struct sip_auth a;
	struct parse_err pe;
	char nonce[128], cred[512];
	struct pfix f;
	int err, i;

	PT_START();
	err = pfix_init(&f, &(struct proxy_conf){180000, 0, true, "impd-test"},
	                bob1, 1, users, 1, false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "MESSAGE", "sip:bob@example.com", "z9hG4bKa1", LALICE,
	              NULL, NULL, 70, NULL));
	i = pt_find(&f, 0, "SIP/2.0 407 ", CALLER);
	PT_ASSERT(i >= 0);
	PT_EQ(0, pt_count(&f, "MESSAGE ", NULL));
	PT_ERR(rec_tp_decode(f.rt, (uint32_t)i, &m));
	h = sip_msg_hdr(m, SIP_HDR_PROXY_AUTHENTICATE);
	PT_ASSERT(h != NULL);
	PT_ERR(sip_auth_decode(&a, &h->val, &pe));
	PT_ERR(pl_strcpy(&a.nonce, nonce, sizeof(nonce)));
	m = mem_deref(m);

	PT_ERR(digest(cred, sizeof(cred), nonce, "MESSAGE",
	              "sip:bob@example.com", 1));
	PT_ERR(pt_req(&f, "MESSAGE", "sip:bob@example.com", "z9hG4bKa2", LALICE,
	              NULL, NULL, 70, cred));
	i = pt_find(&f, 0, "MESSAGE sip:bob@192.0.2.20:5070 ",
	            "192.0.2.20:5070");
	PT_ASSERT(i >= 0);

	/* good credentials, somebody else's From */
	PT_ERR(digest(cred, sizeof(cred), nonce, "MESSAGE",
	              "sip:bob@example.com", 2));
	PT_ERR(pt_req(&f, "MESSAGE", "sip:bob@example.com", "z9hG4bKa3",
	              "sip:carol@example.com", NULL, NULL, 70, cred));
	PT_EQ(1, pt_count(&f, "SIP/2.0 403 From does not match credentials",
	                  CALLER));

	/* foreign to foreign */
	PT_ERR(pt_req(&f, "MESSAGE", "sip:y@192.0.2.50", "z9hG4bKa4", ALICE,
	              NULL, NULL, 70, NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 403 Relaying denied", CALLER));
	PT_EQ(1, pt_count(&f, "MESSAGE ", NULL));
	i = pt_find(&f, 0, "SIP/2.0 403 ", CALLER);
	PT_ASSERT(pt_has(&f, i, "Server: impd-test"));
out:
	mem_deref(m);
	pfix_close(&f);
	return err;
}

/* RFC 4475 messages a proxy must judge (tests/data/sip/torture). */
static int torture_one(struct pfix *f, const char *name)
{
	struct sip_msg *msg = NULL;
	struct parse_err pe;
	struct buf *b = NULL;
	char rel[64], *data = NULL;
	size_t len;
	int err;

	snprintf(rel, sizeof(rel), "sip/torture/%s.dat", name);
	err = test_read_file(&data, &len, rel);
	if (err)
		return err;
	err = buf_alloc_copy(&b, data, len);
	if (!err)
		err = sip_msg_decode(&msg, b, false, &pe);
	if (!err) {
		msg->tp = SIP_TRANSP_UDP;
		err = sa_set_str(&msg->src, "192.0.2.1", 5062);
	}
	if (!err)
		err = sip_tsxl_recv(f->tl, msg);
	mem_deref(msg);
	mem_deref(b);
	mem_deref(data);
	return err;
}

TEST(test_proxy_torture)
{
	static const struct pt_binding b[] = {
	    {"user@example.com", "sip:user@192.0.2.20:5070",
	     "udp:192.0.2.20:5070", 1000, NULL},
	};
	static const struct {
		const char *name;
		const char *expect;
	} cases[] = {
	    {"unkscm", "SIP/2.0 416 "},
	    {"novelsc", "SIP/2.0 416 "},
	    {"bext01", "SIP/2.0 420 "},
	    {"zeromf", "SIP/2.0 483 "},
	    {"invut", "INVITE sip:user@192.0.2.20:5070 "},
	};
	struct pfix f;
	int err, i;

	PT_START();
	err = pfix_init(&f, NULL, b, 1, NULL, 0, false);
	TEST_ERR(err);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint32_t n = pt_n(&f);

		PT_ERR(torture_one(&f, cases[k].name));
		i = pt_find(&f, n, cases[k].expect, NULL);
		if (i < 0 && !pt_oom)
			test_fail(__FILE__, __LINE__, "%s: no %s",
			          cases[k].name, cases[k].expect);
		PT_ASSERT(i >= 0);
	}
	i = pt_find(&f, 0, "SIP/2.0 420 ", NULL);
	PT_ASSERT(pt_has(&f, i, "noProxiesSupportThis"));
	PT_ASSERT(!pt_has(&f, i, "nothingSupportsThis"));
out:
	pfix_close(&f);
	return err;
}
