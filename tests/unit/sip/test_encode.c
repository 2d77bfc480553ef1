/* tests/unit/sip/test_encode.c - response/header encoding (RFC 3261 8.2.6) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/sa.h"
#include "sip/msg.h"
#include "test.h"

static int dec_bytes(struct sip_msg **msgp, const void *p, size_t n)
{
	struct buf *b = NULL;
	int err = buf_alloc_copy(&b, p, n);

	if (err)
		return err;
	err = sip_msg_decode(msgp, b, false, NULL);
	mem_deref(b);
	return err;
}

static int dec_file(struct sip_msg **msgp, const char *rel)
{
	char *data = NULL;
	size_t n;
	int err = test_read_file(&data, &n, rel);

	if (err)
		return err;
	err = dec_bytes(msgp, data, n);
	mem_deref(data);
	return err;
}

static bool buf_eq(const struct buf *mb, const char *s)
{
	return mb->end == strlen(s) && !memcmp(mb->b, s, mb->end);
}

TEST(test_sip_resp_encode_exact)
{
	struct sip_msg *req = NULL;
	struct buf *mb = NULL;
	int err;

	err = dec_file(&req, "sip/rfc3261/invite.sip");
	TEST_ERR(err);

	err = sip_resp_encode(&mb, req, 180, NULL, "a6c85cf", NULL, NULL);
	TEST_ERR(err);
	TEST_EQ(0, mb->pos);
	TEST_ASSERT(buf_eq(
	    mb, "SIP/2.0 180 Ringing\r\n"
	        "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
	        "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
	        "To: Bob <sip:bob@biloxi.com>;tag=a6c85cf\r\n"
	        "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
	        "CSeq: 314159 INVITE\r\n"
	        "Content-Length: 0\r\n"
	        "\r\n"));
	mb = mem_deref(mb);

	/* 100 never gets a To tag; extra headers; own reason */
	err = sip_resp_encode(&mb, req, 100, "Trying hard", "x", NULL,
	                      "Server: impd\r\nX-N: %d\r\n", 7);
	TEST_ERR(err);
	TEST_ASSERT(buf_eq(
	    mb, "SIP/2.0 100 Trying hard\r\n"
	        "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
	        "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
	        "To: Bob <sip:bob@biloxi.com>\r\n"
	        "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
	        "CSeq: 314159 INVITE\r\n"
	        "Server: impd\r\n"
	        "X-N: 7\r\n"
	        "Content-Length: 0\r\n"
	        "\r\n"));
	mb = mem_deref(mb);

	/* body */
	err = sip_resp_encode(&mb, req, 200, NULL, "t", &PL("v=0\r\n"),
	                      "Content-Type: application/sdp\r\n");
	TEST_ERR(err);
	TEST_ASSERT(mb->end > 20);
	TEST_ASSERT(!memcmp(mb->b + mb->end - 26,
	                    "Content-Length: 5\r\n\r\nv=0\r\n", 26));
	mb = mem_deref(mb);

	TEST_ERR_EQ(EINVAL,
	            sip_resp_encode(&mb, req, 99, NULL, NULL, NULL, NULL));
	TEST_ERR_EQ(EINVAL,
	            sip_resp_encode(&mb, NULL, 200, NULL, NULL, NULL, NULL));
	TEST_ASSERT(mb == NULL);
	err = 0;
out:
	mem_deref(mb);
	mem_deref(req);
	return err;
}

/* decode -> sip_resp_encode -> decode keeps what a response must echo */
TEST(test_sip_resp_encode_roundtrip)
{
	static const char *const files[] = {
	    "rfc3261/invite.sip",
	    "rfc3261/register.sip",
	    "rfc3261/options.sip",
	    "torture/wsinv.dat",
	    "torture/longreq.dat",
	    "torture/intmeth.dat",
	    "torture/mult-ip-in-header.dat",
	    "torture/transports.dat",
	    "torture/esc01.dat",
	    "torture/inv2543.dat",
	};
	struct sip_msg *req = NULL, *rsp = NULL;
	struct buf *mb = NULL;
	char rel[64];
	int err = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const struct sip_hdr *a, *b;

		snprintf(rel, sizeof(rel), "sip/%s", files[i]);
		err = dec_file(&req, rel);
		TEST_ERR(err);
		err =
		    sip_resp_encode(&mb, req, 404, NULL, "totag1", NULL, NULL);
		TEST_ERR(err);
		err = dec_bytes(&rsp, mb->b, mb->end);
		if (err && err != ENOMEM)
			test_fail(__FILE__, __LINE__, "%s", files[i]);
		TEST_ERR(err);

		TEST_ASSERT(!rsp->req);
		TEST_EQ(404, rsp->scode);
		TEST_PL_EQ("Not Found", &rsp->reason);
		TEST_ASSERT(!pl_cmp(&req->callid, &rsp->callid));
		TEST_EQ(req->cseq.num, rsp->cseq.num);
		TEST_ASSERT(!pl_cmp(&req->cseq.met, &rsp->cseq.met));
		TEST_ASSERT(!pl_cmp(&req->from.tag, &rsp->from.tag));
		TEST_ASSERT(!pl_cmp(&req->from.auri, &rsp->from.auri));
		TEST_ASSERT(!pl_cmp(&req->to.auri, &rsp->to.auri));
		if (req->to.tag.l)
			TEST_ASSERT(!pl_cmp(&req->to.tag, &rsp->to.tag));
		else
			TEST_PL_EQ("totag1", &rsp->to.tag);
		TEST_EQ(sip_msg_hdr_count(req, SIP_HDR_VIA),
		        sip_msg_hdr_count(rsp, SIP_HDR_VIA));
		a = sip_msg_hdr(req, SIP_HDR_VIA);
		b = sip_msg_hdr(rsp, SIP_HDR_VIA);
		for (; a && b; a = sip_msg_hdr_next(req, a),
		               b = sip_msg_hdr_next(rsp, b)) {
			struct sip_via va, vb;

			TEST_ERR(sip_via_decode(&va, &a->val, NULL));
			TEST_ERR(sip_via_decode(&vb, &b->val, NULL));
			TEST_ASSERT(!pl_cmp(&va.branch, &vb.branch));
			TEST_ASSERT(!pl_cmp(&va.host, &vb.host));
			TEST_EQ(va.port, vb.port);
			TEST_EQ(va.tp, vb.tp);
		}
		TEST_ASSERT(rsp->has_clen);
		TEST_EQ(0, rsp->clen);
		/* folding is undone on the way out */
		TEST_ASSERT(memchr(rsp->raw.p, '\n', rsp->raw.l) != NULL);
		for (const struct le *le = rsp->hdrl.head; le; le = le->next) {
			const struct sip_hdr *h = le->data;

			TEST_ASSERT(!memchr(h->val.p, '\n', h->val.l));
		}
		rsp = mem_deref(rsp);
		mb = mem_deref(mb);
		req = mem_deref(req);
	}
out:
	mem_deref(rsp);
	mem_deref(mb);
	mem_deref(req);
	return err;
}

TEST(test_sip_hdr_encode)
{
	struct sip_msg *msg = NULL;
	struct buf *mb = NULL;
	int err;

	err = dec_file(&msg, "sip/torture/wsinv.dat");
	TEST_ERR(err);
	err = buf_alloc(&mb, 64);
	TEST_ERR(err);
	for (const struct le *le = msg->hdrl.head; le; le = le->next) {
		const struct sip_hdr *h = le->data;

		if (h->id == SIP_HDR_TO || h->id == SIP_HDR_CSEQ ||
		    h->id == SIP_HDR_SUBJECT || h->id == SIP_HDR_OTHER) {
			err = sip_hdr_encode(mb, h);
			TEST_ERR(err);
		}
	}
	TEST_ASSERT(buf_eq(
	    mb, "To: sip:vivekg@chair-dnrc.example.com ;   tag    = "
	        "1918181833n\r\n"
	        "CSeq: 0009  INVITE\r\n"
	        "Subject: \r\n"
	        "NewFangledHeader: newfangled value continued newfangled "
	        "value\r\n"
	        "UnknownHeaderWithUnusualValue: ;;,,;;,;\r\n"));
	TEST_ERR_EQ(EINVAL, sip_hdr_encode(NULL, NULL));
	err = 0;
out:
	mem_deref(mb);
	mem_deref(msg);
	return err;
}

TEST(test_sip_reason_transp)
{
	int err = 0;

	TEST_STR_EQ("Trying", sip_reason(100));
	TEST_STR_EQ("OK", sip_reason(200));
	TEST_STR_EQ("Accepted", sip_reason(202));
	TEST_STR_EQ("No Notification", sip_reason(204));
	TEST_STR_EQ("Not Found", sip_reason(404));
	TEST_STR_EQ("Conditional Request Failed", sip_reason(412));
	TEST_STR_EQ("Unsupported URI Scheme", sip_reason(416));
	TEST_STR_EQ("Bad Extension", sip_reason(420));
	TEST_STR_EQ("Interval Too Brief", sip_reason(423));
	TEST_STR_EQ("Bad Event", sip_reason(489));
	TEST_STR_EQ("Version Not Supported", sip_reason(505));
	TEST_STR_EQ("Message Too Large", sip_reason(513));
	TEST_STR_EQ("Decline", sip_reason(603));
	TEST_STR_EQ("Rejected", sip_reason(608));
	TEST_STR_EQ("Successful", sip_reason(299));
	TEST_STR_EQ("Client Error", sip_reason(499));
	TEST_STR_EQ("Unknown", sip_reason(0));
	TEST_STR_EQ("Unknown", sip_reason(700));

	TEST_STR_EQ("UDP", sip_transp_name(SIP_TRANSP_UDP));
	TEST_STR_EQ("TLS", sip_transp_name(SIP_TRANSP_TLS));
	TEST_EQ(SIP_TRANSP_TCP, sip_transp_decode(&PL("tcp")));
	TEST_EQ(SIP_TRANSP_UDP, sip_transp_decode(&PL("UDP")));
	TEST_EQ(SIP_TRANSP_TLS, sip_transp_decode(&PL("Tls")));
	TEST_EQ(SIP_TRANSP_NONE, sip_transp_decode(&PL("sctp")));
	TEST_EQ(SIP_TRANSP_NONE, sip_transp_decode(&pl_null));
	TEST_EQ(5061, sip_transp_port(SIP_TRANSP_TLS));
	TEST_EQ(5060, sip_transp_port(SIP_TRANSP_TCP));
	TEST_ASSERT(sip_transp_reliable(SIP_TRANSP_TLS));
	TEST_ASSERT(!sip_transp_reliable(SIP_TRANSP_UDP));
out:
	return err;
}

/* RFC 3261 18.2.1 / RFC 3581 4: the top Via of a response carries the
 * source address (received) and port (rport) of the request; lower Vias
 * and requests without a known source are copied as they are. */
TEST(test_sip_resp_encode_received_rport)
{
	static const char req[] =
	    "REGISTER sip:example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKr1\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKr0\r\n"
	    "From: <sip:a@example.com>;tag=1\r\n"
	    "To: <sip:a@example.com>\r\n"
	    "Call-ID: rr1\r\n"
	    "CSeq: 1 REGISTER\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct sip_msg *msg = NULL, *rsp = NULL;
	struct buf *mb = NULL;
	const struct sip_hdr *h;
	int err;

	err = dec_bytes(&msg, req, sizeof(req) - 1);
	TEST_ERR(err);

	/* no source known: unchanged */
	err = sip_resp_encode(&mb, msg, 200, NULL, "t", NULL, NULL);
	TEST_ERR(err);
	err = sip_msg_decode(&rsp, mb, false, NULL);
	TEST_ERR(err);
	TEST_ASSERT(!rsp->via.rport_val && !pl_isset(&rsp->via.received));
	rsp = mem_deref(rsp);
	mb = mem_deref(mb);

	err = sa_set_str(&msg->src, "192.0.2.7", 40000);
	TEST_ERR(err);
	err = sip_resp_encode(&mb, msg, 200, NULL, "t", NULL, NULL);
	TEST_ERR(err);
	err = sip_msg_decode(&rsp, mb, false, NULL);
	TEST_ERR(err);
	TEST_EQ(40000, rsp->via.rport_val);
	TEST_PL_EQ("192.0.2.7", &rsp->via.received);
	TEST_PL_EQ("z9hG4bKr1", &rsp->via.branch);
	h = sip_msg_hdr(rsp, SIP_HDR_VIA);
	TEST_ASSERT(h != NULL);
	h = sip_msg_hdr_next(rsp, h);
	TEST_ASSERT(h != NULL);
	TEST_PL_EQ("SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKr0", &h->val);
out:
	mem_deref(rsp);
	mem_deref(mb);
	mem_deref(msg);
	return err;
}
