/* tests/unit/sip/test_msg.c - SIP message decoder (RFC 3261 7, 20, 25) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "sip/msg.h"
#include "test.h"

static int dec_str(struct sip_msg **msgp, const char *s, bool stream,
                   struct parse_err *pe, bool lenient)
{
	struct buf *b = NULL;
	int err;

	err = buf_alloc_copy(&b, s, strlen(s));
	if (err)
		return err;
	err = lenient ? sip_msg_decode_lenient(msgp, b, stream, pe)
	              : sip_msg_decode(msgp, b, stream, pe);
	mem_deref(b);
	return err;
}

static int dec_file(struct sip_msg **msgp, const char *rel)
{
	struct buf *b = NULL;
	char *data = NULL;
	size_t n;
	int err;

	err = test_read_file(&data, &n, rel);
	if (err)
		return err;
	err = buf_alloc_copy(&b, data, n);
	mem_deref(data);
	if (err)
		return err;
	err = sip_msg_decode(msgp, b, false, NULL);
	mem_deref(b);
	return err;
}

#define HDRS_MIN                                                               \
	"Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"        \
	"To: Bob <sip:bob@biloxi.com>\r\n"                                     \
	"From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"               \
	"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"

TEST(test_sip_msg_rfc3261_invite)
{
	struct sip_msg *msg = NULL;
	const struct sip_hdr *h;
	int err;

	err = dec_file(&msg, "sip/rfc3261/invite.sip");
	TEST_ERR(err);
	TEST_ASSERT(msg->req);
	TEST_ASSERT(sip_msg_is(msg, "INVITE"));
	TEST_PL_EQ("sip:bob@biloxi.com", &msg->ruri);
	TEST_PL_EQ("bob", &msg->uri.user);
	TEST_PL_EQ("biloxi.com", &msg->uri.host);
	TEST_PL_EQ("SIP/2.0", &msg->ver);
	TEST_PL_EQ("SIP/2.0", &msg->via.proto);
	TEST_PL_EQ("UDP", &msg->via.tp_name);
	TEST_PL_EQ("pc33.atlanta.com", &msg->via.sentby);
	TEST_PL_EQ("z9hG4bK776asdhds", &msg->via.branch);
	TEST_EQ(0, msg->via.port);
	TEST_PL_EQ("Bob", &msg->to.dname);
	TEST_PL_EQ("sip:bob@biloxi.com", &msg->to.auri);
	TEST_ASSERT(msg->to.angle);
	TEST_EQ(0, msg->to.tag.l);
	TEST_PL_EQ("1928301774", &msg->from.tag);
	TEST_PL_EQ(";tag=1928301774", &msg->from.params);
	TEST_PL_EQ("a84b4c76e66710@pc33.atlanta.com", &msg->callid);
	TEST_EQ(314159, msg->cseq.num);
	TEST_PL_EQ("INVITE", &msg->cseq.met);
	TEST_EQ(70, msg->maxfwd);
	TEST_EQ(-1, msg->expires);
	TEST_PL_EQ("application/sdp", &msg->ctype);
	TEST_ASSERT(msg->has_clen);
	TEST_EQ(msg->clen, msg->body.l);
	TEST_ASSERT(!strncmp(msg->body.p, "v=0\r\n", 5));
	TEST_EQ(msg->mb->end, msg->raw.l);
	TEST_EQ(9, list_count(&msg->hdrl));
	h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	TEST_ASSERT(h != NULL);
	TEST_PL_EQ("<sip:alice@pc33.atlanta.com>", &h->val);
	TEST_PL_EQ("Contact", &h->name);
	TEST_EQ(6, h->line);
out:
	mem_deref(msg);
	return err;
}

TEST(test_sip_msg_rfc3261_vectors)
{
	static const char *const files[] = {
	    "invite.sip",     "ok200.sip",      "register.sip",
	    "ack.sip",        "bye.sip",        "options.sip",
	    "options200.sip", "proxy_auth.sip", "invite_auth.sip",
	};
	struct sip_msg *msg = NULL;
	const struct sip_hdr *h;
	struct sip_auth au;
	char rel[64];
	int err = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(rel, sizeof(rel), "sip/rfc3261/%s", files[i]);
		err = dec_file(&msg, rel);
		if (err && err != ENOMEM)
			test_fail(__FILE__, __LINE__, "%s: %d", files[i], err);
		TEST_ERR(err);
		msg = mem_deref(msg);
	}

	err = dec_file(&msg, "sip/rfc3261/ok200.sip");
	TEST_ERR(err);
	TEST_ASSERT(!msg->req);
	TEST_EQ(200, msg->scode);
	TEST_PL_EQ("OK", &msg->reason);
	TEST_EQ(3, sip_msg_hdr_count(msg, SIP_HDR_VIA));
	TEST_PL_EQ("192.0.2.3", &msg->via.received);
	TEST_PL_EQ("a6c85cf", &msg->to.tag);
	msg = mem_deref(msg);

	err = dec_file(&msg, "sip/rfc3261/register.sip");
	TEST_ERR(err);
	TEST_EQ(7200, msg->expires);
	TEST_EQ(5060, msg->via.port);
	TEST_EQ(0, msg->body.l);
	msg = mem_deref(msg);

	err = dec_file(&msg, "sip/rfc3261/options200.sip");
	TEST_ERR(err);
	TEST_EQ(5, sip_msg_hdr_count(msg, SIP_HDR_ALLOW));
	TEST_ASSERT(sip_msg_hdr_has_value(msg, SIP_HDR_ALLOW, "bye"));
	TEST_ASSERT(!sip_msg_hdr_has_value(msg, SIP_HDR_ALLOW, "INFO"));
	TEST_EQ(2, sip_msg_hdr_count(msg, SIP_HDR_CONTACT));
	msg = mem_deref(msg);

	/* challenge: folded, commas inside quotes, not split */
	err = dec_file(&msg, "sip/rfc3261/proxy_auth.sip");
	TEST_ERR(err);
	TEST_EQ(1, sip_msg_hdr_count(msg, SIP_HDR_PROXY_AUTHENTICATE));
	h = sip_msg_hdr(msg, SIP_HDR_PROXY_AUTHENTICATE);
	TEST_ERR(sip_auth_decode(&au, &h->val, NULL));
	TEST_PL_EQ("Digest", &au.scheme);
	TEST_PL_EQ("atlanta.com", &au.realm);
	TEST_PL_EQ("auth,auth-int", &au.qop);
	TEST_PL_EQ("f84f1cec41e6cbe5aea9c8e88d359", &au.nonce);
	TEST_PL_EQ("", &au.opaque);
	TEST_ASSERT(au.opaque.p != NULL);
	TEST_PL_EQ("MD5", &au.algorithm);
	TEST_ASSERT(au.has_auth_param); /* domain, stale */
	msg = mem_deref(msg);

	err = dec_file(&msg, "sip/rfc3261/invite_auth.sip");
	TEST_ERR(err);
	h = sip_msg_hdr(msg, SIP_HDR_PROXY_AUTHORIZATION);
	TEST_ASSERT(h != NULL);
	TEST_ERR(sip_auth_decode(&au, &h->val, NULL));
	TEST_PL_EQ("alice", &au.username);
	TEST_PL_EQ("sip:bob@biloxi.com", &au.uri);
	TEST_PL_EQ("42ce3cef44b22f50c6a6071bc8", &au.response);
	TEST_PL_EQ("auth", &au.qop);
	TEST_PL_EQ("00000001", &au.nc);
	TEST_PL_EQ("0a4f113b", &au.cnonce);
	TEST_ASSERT(!au.has_auth_param);
out:
	mem_deref(msg);
	return err;
}

TEST(test_sip_msg_compact_forms)
{
	static const struct {
		const char *name;
		enum sip_hdrid id;
	} v[] = {
	    {"a", SIP_HDR_ACCEPT_CONTACT},
	    {"B", SIP_HDR_REFERRED_BY},
	    {"c", SIP_HDR_CONTENT_TYPE},
	    {"d", SIP_HDR_REQUEST_DISPOSITION},
	    {"e", SIP_HDR_CONTENT_ENCODING},
	    {"f", SIP_HDR_FROM},
	    {"i", SIP_HDR_CALL_ID},
	    {"j", SIP_HDR_REJECT_CONTACT},
	    {"k", SIP_HDR_SUPPORTED},
	    {"l", SIP_HDR_CONTENT_LENGTH},
	    {"M", SIP_HDR_CONTACT},
	    {"n", SIP_HDR_IDENTITY_INFO},
	    {"o", SIP_HDR_EVENT},
	    {"r", SIP_HDR_REFER_TO},
	    {"s", SIP_HDR_SUBJECT},
	    {"t", SIP_HDR_TO},
	    {"u", SIP_HDR_ALLOW_EVENTS},
	    {"V", SIP_HDR_VIA},
	    {"x", SIP_HDR_SESSION_EXPIRES},
	    {"y", SIP_HDR_IDENTITY},
	    {"g", SIP_HDR_OTHER},
	    {"z", SIP_HDR_OTHER},
	    {"1", SIP_HDR_OTHER},
	    {"Call-Id", SIP_HDR_CALL_ID},
	    {"CALL-ID", SIP_HDR_CALL_ID},
	    {"cseq", SIP_HDR_CSEQ},
	    {"www-authenticate", SIP_HDR_WWW_AUTHENTICATE},
	    {"Call-IDx", SIP_HDR_OTHER},
	    {"Call_ID", SIP_HDR_OTHER},
	    {"X-Foo", SIP_HDR_OTHER},
	    {"Contact\r", SIP_HDR_OTHER},
	};
	struct sip_msg *msg = NULL;
	struct pl n;
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		pl_set_str(&n, v[i].name);
		if (sip_hdr_id(&n) != v[i].id) {
			test_fail(__FILE__, __LINE__, "%s", v[i].name);
			err = EINVAL;
			goto out;
		}
	}
	/* every name round-trips, in any case */
	for (int id = 1; id < SIP_HDR__COUNT; id++) {
		char up[64], lo[64];
		const char *s = sip_hdr_name((enum sip_hdrid)id);
		size_t k;

		TEST_ASSERT(s != NULL);
		for (k = 0; s[k] && k < sizeof(up) - 1; k++) {
			up[k] = (char)(s[k] >= 'a' && s[k] <= 'z' ? s[k] - 32
			                                          : s[k]);
			lo[k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] + 32
			                                          : s[k]);
		}
		up[k] = lo[k] = '\0';
		pl_set_str(&n, s);
		TEST_EQ(id, sip_hdr_id(&n));
		pl_set_str(&n, up);
		TEST_EQ(id, sip_hdr_id(&n));
		pl_set_str(&n, lo);
		TEST_EQ(id, sip_hdr_id(&n));
	}
	TEST_ASSERT(sip_hdr_name(SIP_HDR_OTHER) == NULL);
	TEST_ASSERT(sip_hdr_name(SIP_HDR__COUNT) == NULL);
	TEST_EQ(SIP_HDR_OTHER, sip_hdr_id(&pl_null));

	err = dec_str(&msg,
	              "MESSAGE sip:bob@biloxi.com SIP/2.0\r\n"
	              "v: SIP/2.0/TCP pc33.atlanta.com;branch=z9hG4bK1\r\n"
	              "t: <sip:bob@biloxi.com>\r\n"
	              "f: <sip:alice@atlanta.com>;tag=1\r\n"
	              "i: abc@def\r\n"
	              "CSEQ: 1 MESSAGE\r\n"
	              "c: text/plain\r\n"
	              "k: 100rel, path\r\n"
	              "m: <sip:alice@pc33.atlanta.com>\r\n"
	              "l: 5\r\n"
	              "\r\n"
	              "hello",
	              true, NULL, false);
	TEST_ERR(err);
	TEST_EQ(SIP_TRANSP_TCP, msg->via.tp);
	TEST_PL_EQ("abc@def", &msg->callid);
	TEST_PL_EQ("text/plain", &msg->ctype);
	TEST_PL_EQ("hello", &msg->body);
	TEST_EQ(2, sip_msg_hdr_count(msg, SIP_HDR_SUPPORTED));
	TEST_ASSERT(sip_msg_hdr_has_value(msg, SIP_HDR_SUPPORTED, "PATH"));
	TEST_ASSERT(sip_msg_xhdr(msg, "Call-ID") ==
	            sip_msg_hdr(msg, SIP_HDR_CALL_ID));
	TEST_PL_EQ("i", &sip_msg_xhdr(msg, "call-id")->name);
out:
	mem_deref(msg);
	return err;
}

TEST(test_sip_msg_folding_and_lists)
{
	struct sip_msg *msg = NULL;
	const struct sip_hdr *h;
	struct parse_err pe;
	struct sip_addr a;
	int err;

	err = dec_str(
	    &msg,
	    "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1,"
	    " SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK2\r\n"
	    "Via:\tSIP/2.0/UDP\r\n"
	    "\tc.example.com\r\n"
	    "  ;branch=z9hG4bK3\r\n"
	    "To: Bob\r\n <sip:bob@biloxi.com>\r\n"
	    "From: \"Doe, Alice\" <sip:alice@atlanta.com>;tag=1\r\n"
	    "Call-ID: cid\r\n"
	    "CSeq:\r\n 2\r\n INVITE\r\n"
	    "Contact: \"Doe, John\" <sip:j@a.example.com>,"
	    " <sip:k,1@b.example.com>;x=\"a,b\";q=0.5,"
	    " sip:l@c.example.com;expires=60\r\n"
	    "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
	    "Route: <sip:p3.example.com;lr>\r\n"
	    "Authorization: Digest username=\"a\", realm=\"b\"\r\n"
	    "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
	    "X-List: a, b, c\r\n"
	    "Supported:\r\n"
	    "Subject: lunch, then\r\n"
	    "Content-Length: 0\r\n"
	    "\r\n",
	    false, &pe, false);
	if (err && err != ENOMEM)
		test_fail(__FILE__, __LINE__, "%s", pe.reason);
	TEST_ERR(err);

	/* three Vias: two from line 0, one folded on line 1 */
	TEST_EQ(3, sip_msg_hdr_count(msg, SIP_HDR_VIA));
	h = sip_msg_hdr(msg, SIP_HDR_VIA);
	TEST_EQ(0, h->line);
	TEST_PL_EQ("SIP/2.0/UDP a.example.com;branch=z9hG4bK1", &h->val);
	h = sip_msg_hdr_next(msg, h);
	TEST_EQ(0, h->line);
	TEST_PL_EQ("SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK2", &h->val);
	h = sip_msg_hdr_next(msg, h);
	TEST_EQ(1, h->line);
	{
		struct sip_via v;

		TEST_ERR(sip_via_decode(&v, &h->val, NULL));
		TEST_PL_EQ("c.example.com", &v.host);
		TEST_PL_EQ("z9hG4bK3", &v.branch);
	}
	TEST_ASSERT(sip_msg_hdr_next(msg, h) == NULL);

	TEST_PL_EQ("Bob", &msg->to.dname);
	TEST_PL_EQ("Doe, Alice", &msg->from.dname);
	TEST_EQ(2, msg->cseq.num);

	TEST_EQ(3, sip_msg_hdr_count(msg, SIP_HDR_CONTACT));
	h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	TEST_ERR(sip_addr_decode(&a, &h->val, NULL));
	TEST_PL_EQ("Doe, John", &a.dname);
	h = sip_msg_hdr_next(msg, h);
	TEST_PL_EQ("<sip:k,1@b.example.com>;x=\"a,b\";q=0.5", &h->val);
	h = sip_msg_hdr_next(msg, h);
	TEST_PL_EQ("sip:l@c.example.com;expires=60", &h->val);

	TEST_EQ(3, sip_msg_hdr_count(msg, SIP_HDR_ROUTE));
	TEST_EQ(1, sip_msg_hdr_count(msg, SIP_HDR_AUTHORIZATION));
	TEST_PL_EQ("Sat, 13 Nov 2010 23:29:00 GMT",
	           &sip_msg_hdr(msg, SIP_HDR_DATE)->val);
	TEST_PL_EQ("a, b, c", &sip_msg_xhdr(msg, "x-list")->val);
	TEST_PL_EQ("lunch, then", &sip_msg_hdr(msg, SIP_HDR_SUBJECT)->val);
	h = sip_msg_hdr(msg, SIP_HDR_SUPPORTED);
	TEST_ASSERT(h != NULL);
	TEST_EQ(0, h->val.l);
out:
	mem_deref(msg);
	return err;
}

struct route_count {
	unsigned n;
	unsigned stop;
};

static bool count_route(const struct sip_hdr *h, const struct sip_msg *msg,
                        void *arg)
{
	struct route_count *rc = arg;

	(void)msg;
	(void)h;
	return ++rc->n == rc->stop;
}

TEST(test_sip_msg_many_headers)
{
	struct sip_msg *msg = NULL;
	struct buf *b = NULL;
	struct route_count rc = {0, 0};
	struct sip_hdr *x = NULL;
	int err;

	err = buf_alloc(&b, 8192);
	TEST_ERR(err);
	err = buf_write_str(b, "OPTIONS sip:bob@biloxi.com SIP/2.0\r\n" HDRS_MIN
	                       "CSeq: 1 OPTIONS\r\n");
	TEST_ERR(err);
	for (int i = 0; i < 150; i++) {
		err = buf_printf(b, "Route: <sip:p%d.example.com;lr>%s\r\n", i,
		                 i % 2 ? ", <sip:q.example.com;lr>" : "");
		TEST_ERR(err);
	}
	err = buf_write_str(b, "Content-Length: 0\r\n\r\n");
	TEST_ERR(err);
	b->pos = 0;
	err = sip_msg_decode(&msg, b, true, NULL);
	TEST_ERR(err);
	TEST_EQ(225, sip_msg_hdr_count(msg, SIP_HDR_ROUTE));
	TEST_ASSERT(sip_msg_hdr_apply(msg, SIP_HDR_ROUTE, count_route, &rc) ==
	            NULL);
	TEST_EQ(225, rc.n);
	rc.n = 0;
	rc.stop = 2;
	TEST_PL_EQ(
	    "<sip:p1.example.com;lr>",
	    &sip_msg_hdr_apply(msg, SIP_HDR_ROUTE, count_route, &rc)->val);

	/* a node appended by a user of the message is freed with it */
	x = mem_zalloc(sizeof(*x), NULL);
	if (!x) {
		err = ENOMEM;
		goto out;
	}
	x->id = SIP_HDR_OTHER;
	x->name = PL("X-Added");
	x->val = PL("1");
	list_append(&msg->hdrl, &x->le, x);
	x = NULL;
	TEST_PL_EQ("1", &sip_msg_xhdr(msg, "x-added")->val);
out:
	mem_deref(x);
	mem_deref(msg);
	mem_deref(b);
	return err;
}

/* Strict rejections with their reasons. */
TEST(test_sip_msg_errors)
{
	static const struct {
		const char *msg;
		bool stream;
		int err;
		const char *reason;
	} v[] = {
	    {"", false, EBADMSG, "Empty message"},
	    {"\r\n\r\n", false, EBADMSG, "Malformed start line"},
	    {"INVITE\r\n\r\n", false, EBADMSG, "Malformed request line"},
	    {"INV ITE sip:a@b SIP/2.0\r\n\r\n", false, EBADMSG,
	     "Malformed request line"},
	    {"INVITE sip:a@b SIP/3.0\r\n\r\n", false, ENOTSUP,
	     "Unsupported SIP version"},
	    {"INVITE sip:a@b SIP/2.0x\r\n\r\n", false, EBADMSG,
	     "Malformed request line"},
	    {"INVITE sip:a@b HTTP/1.1\r\n\r\n", false, EBADMSG,
	     "Malformed request line"},
	    {"SIP/2.0 99 Low\r\n\r\n", false, EBADMSG, "Bad status code"},
	    {"SIP/2.0 700 High\r\n\r\n", false, EBADMSG, "Bad status code"},
	    {"SIP/2.0 1000 Long\r\n\r\n", false, EBADMSG, "Bad status code"},
	    {"SIP/2.1 200 OK\r\n\r\n", false, EBADMSG,
	     "Unsupported SIP version"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN "CSeq: 1 OPTIONS\r\n",
	     false, EBADMSG, "Missing end of headers"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN "CSeq: 1 OPTIONS", false,
	     EBADMSG, "Missing end of headers"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n"
	     " folded: x\r\n" HDRS_MIN "CSeq: 1 OPTIONS\r\n\r\n",
	     false, EBADMSG, "Malformed header field"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN "CSeq 1 OPTIONS\r\n\r\n",
	     false, EBADMSG, "Malformed header field"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN
	     "CSeq: 2147483648 OPTIONS\r\n\r\n",
	     false, EBADMSG, "Invalid CSeq number"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN "CSeq: 1OPTIONS\r\n\r\n",
	     false, EBADMSG, "Malformed CSeq header"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN "CSeq: 1 OPTIONS x\r\n\r\n",
	     false, EBADMSG, "Malformed CSeq header"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN
	     "CSeq: 1 OPTIONS\r\nMax-Forwards: 256\r\n\r\n",
	     false, EBADMSG, "Invalid Max-Forwards"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN
	     "CSeq: 1 OPTIONS\r\nMax-Forwards: -1\r\n\r\n",
	     false, EBADMSG, "Invalid Max-Forwards"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN
	     "CSeq: 1 OPTIONS\r\nExpires: 4294967296\r\n\r\n",
	     false, EBADMSG, "Invalid Expires"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN
	     "CSeq: 1 OPTIONS\r\nContent-Length: 1x\r\n\r\n",
	     false, EBADMSG, "Invalid Content-Length"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN
	     "CSeq: 1 OPTIONS\r\nContent-Length: 4\r\n\r\nabc",
	     false, EBADMSG, "Content-Length mismatch"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN
	     "CSeq: 1 OPTIONS\r\nContent-Length: 2\r\n\r\nabc",
	     true, EBADMSG, "Content-Length mismatch"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN "CSeq: 1 OPTIONS\r\n\r\n",
	     true, EBADMSG, "Missing Content-Length header"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN
	     "CSeq: 1 OPTIONS\r\nContent-Type: text\r\n\r\n",
	     false, EBADMSG, "Malformed Content-Type header"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN
	     "CSeq: 1 OPTIONS\r\nCall-ID: x\r\n\r\n",
	     false, EBADMSG, "Multiple Call-ID headers"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN
	     "CSeq: 1 OPTIONS\r\nContact: <sip:a@b>;q=2\r\n\r\n",
	     false, EBADMSG, "Malformed Contact header"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN
	     "CSeq: 1 OPTIONS\r\nContact: <sip:a@b>,,<sip:c@d>\r\n\r\n",
	     false, EBADMSG, "Malformed Contact header"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN
	     "CSeq: 1 OPTIONS\r\nDate: Sat, 13 Nov 2010 23:29:00 UTC\r\n"
	     "\r\n",
	     false, EBADMSG, "Malformed Date header"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n"
	     "To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\n"
	     "Call-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
	     false, EBADMSG, "Missing Via header"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	     "From: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
	     false, EBADMSG, "Missing To header"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN "\r\n", false, EBADMSG,
	     "Missing CSeq header"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	     "To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\n"
	     "CSeq: 1 OPTIONS\r\n\r\n",
	     false, EBADMSG, "Missing Call-ID header"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	     "To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\n"
	     "Call-ID: a b\r\nCSeq: 1 OPTIONS\r\n\r\n",
	     false, EBADMSG, "Malformed Call-ID header"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP h;branch\r\n"
	     "To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\n"
	     "Call-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
	     false, EBADMSG, "Malformed Via header"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	     "To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\n"
	     "Call-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
	     false, EBADMSG, "CSeq method mismatch"},
	    {"OPTIONS sip:a@b SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	     "To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\n"
	     "Call-ID: x\r\nCSeq: 1 options\r\n\r\n",
	     false, EBADMSG, "CSeq method mismatch"},
	};
	struct sip_msg *msg = NULL;
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct parse_err pe = {"junk", 1};
		int got = dec_str(&msg, v[i].msg, v[i].stream, &pe, false);

		if (got == ENOMEM) {
			err = ENOMEM;
			goto out;
		}
		if (got != v[i].err || msg || !pe.reason ||
		    strcmp(pe.reason, v[i].reason)) {
			test_fail(__FILE__, __LINE__, "#%zu: %d \"%s\"", i, got,
			          pe.reason ? pe.reason : "(null)");
			err = EINVAL;
			goto out;
		}
	}
out:
	mem_deref(msg);
	return err;
}

TEST(test_sip_msg_accepts)
{
	static const char *const v[] = {
	    /* LF-only line ends, leading CRLFs (7.5) */
	    "\r\n\r\nOPTIONS sip:a@b SIP/2.0\n"
	    "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	    "To: <sip:a@b>\nFrom: <sip:c@d>;tag=1\n"
	    "Call-ID: x\nCSeq: 1 OPTIONS\n\n",
	    /* lower-case version, CSeq 2^31-1, Max-Forwards 255 */
	    "OPTIONS sip:a@b sip/2.0\r\n" HDRS_MIN
	    "CSeq: 2147483647 OPTIONS\r\nMax-Forwards: 255\r\n"
	    "Expires: 4294967295\r\n\r\n",
	    /* response with a reason containing UTF-8 and spaces */
	    "SIP/2.0 486 Busy \xc3\xa9 Here\r\n" HDRS_MIN
	    "CSeq: 1 INVITE\r\n\r\n",
	    /* status code without reason at all */
	    "SIP/2.0 180\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n",
	    /* tel: Request-URI, Contact star, empty Content-Type */
	    "REGISTER tel:+1-201-555-0123 SIP/2.0\r\n" HDRS_MIN
	    "CSeq: 1 REGISTER\r\nContact: *\r\nExpires: 0\r\n"
	    "Content-Type:\r\n\r\n",
	    /* unknown header with empty value, odd token name */
	    "OPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN
	    "CSeq: 1 OPTIONS\r\nX-~!%*_+`'.:\r\n\r\n",
	};
	struct sip_msg *msg = NULL;
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct parse_err pe = {NULL, 0};

		err = dec_str(&msg, v[i], false, &pe, false);
		if (err && err != ENOMEM)
			test_fail(__FILE__, __LINE__, "#%zu: %d %s", i, err,
			          pe.reason ? pe.reason : "");
		TEST_ERR(err);
		TEST_ASSERT(pe.reason == NULL);
		msg = mem_deref(msg);
	}

	err = dec_str(&msg, v[0], false, NULL, false);
	TEST_ERR(err);
	TEST_PL_EQ("x", &msg->callid);
	TEST_ASSERT(!strncmp(msg->raw.p, "OPTIONS", 7));
	msg = mem_deref(msg);

	err = dec_str(&msg, v[2], false, NULL, false);
	TEST_ERR(err);
	TEST_EQ(486, msg->scode);
	TEST_PL_EQ("Busy \xc3\xa9 Here", &msg->reason);
	msg = mem_deref(msg);

	err = dec_str(&msg, v[3], false, NULL, false);
	TEST_ERR(err);
	TEST_EQ(180, msg->scode);
	TEST_EQ(0, msg->reason.l);
	msg = mem_deref(msg);

	err = dec_str(&msg, v[4], false, NULL, false);
	TEST_ERR(err);
	TEST_ASSERT(msg->uri.is_tel);
	TEST_EQ(0, msg->expires);
out:
	mem_deref(msg);
	return err;
}

TEST(test_sip_msg_lenient)
{
	struct sip_msg *msg = NULL;
	struct parse_err pe;
	int err;

	/* problem outside the answer fields: lenient gives a message */
	static const char bad_mf[] = "INVITE sip:a@b SIP/2.0\r\n" HDRS_MIN
	                             "CSeq: 5 INVITE\r\nMax-Forwards: 1000\r\n"
	                             "Content-Length: 0\r\n\r\n";

	err = dec_str(&msg, bad_mf, false, &pe, false);
	TEST_ERR_EQ(EBADMSG, err);
	TEST_STR_EQ("Invalid Max-Forwards", pe.reason);
	err = dec_str(&msg, bad_mf, false, &pe, true);
	TEST_ERR(err);
	TEST_STR_EQ("Invalid Max-Forwards", pe.reason);
	TEST_PL_EQ("a84b4c76e66710@pc33.atlanta.com", &msg->callid);
	TEST_EQ(5, msg->cseq.num);
	msg = mem_deref(msg);

	/* clean message: lenient leaves reason NULL */
	err = dec_str(&msg,
	              "INVITE sip:a@b SIP/2.0\r\n" HDRS_MIN
	              "CSeq: 5 INVITE\r\n\r\n",
	              false, &pe, true);
	TEST_ERR(err);
	TEST_ASSERT(pe.reason == NULL);
	msg = mem_deref(msg);

	/* broken Via params: sent-by is still usable */
	err = dec_str(&msg,
	              "INVITE sip:a@b SIP/2.0\r\n"
	              "Via: SIP/2.0/UDP 192.0.2.7:5070;;branch=x\r\n"
	              "To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\n"
	              "Call-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
	              false, &pe, true);
	TEST_ERR(err);
	TEST_STR_EQ("Malformed Via header", pe.reason);
	TEST_PL_EQ("192.0.2.7", &msg->via.host);
	TEST_EQ(5070, msg->via.port);
	msg = mem_deref(msg);

	/* Via with nothing usable, missing Call-ID, garbage: ENOENT */
	err = dec_str(&msg,
	              "INVITE sip:a@b SIP/2.0\r\n"
	              "Via: garbage\r\n"
	              "To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\n"
	              "Call-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
	              false, &pe, true);
	TEST_ERR_EQ(ENOENT, err);
	TEST_ASSERT(msg == NULL);
	err = dec_str(&msg,
	              "INVITE sip:a@b SIP/2.0\r\n"
	              "Via: SIP/2.0/UDP h\r\n"
	              "To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\n"
	              "CSeq: 1 INVITE\r\n\r\n",
	              false, &pe, true);
	TEST_ERR_EQ(ENOENT, err);
	TEST_STR_EQ("Missing Call-ID header", pe.reason);
	err = dec_str(&msg, "\x01\x02garbage", false, &pe, true);
	TEST_ERR_EQ(ENOENT, err);
	err = dec_str(&msg, "", false, &pe, true);
	TEST_ERR_EQ(ENOENT, err);
	/* a response with a problem: nothing to answer */
	err = dec_str(&msg,
	              "SIP/2.0 200 OK\r\n" HDRS_MIN
	              "CSeq: 1 INVITE\r\nMax-Forwards: 300\r\n\r\n",
	              false, &pe, true);
	TEST_ERR_EQ(ENOENT, err);

	/* version: strict ENOTSUP, lenient decodes the rest */
	err = dec_str(&msg,
	              "INVITE sip:a@b SIP/3.0\r\n" HDRS_MIN
	              "CSeq: 5 INVITE\r\n\r\n",
	              false, &pe, false);
	TEST_ERR_EQ(ENOTSUP, err);
	err = dec_str(&msg,
	              "INVITE sip:a@b SIP/3.0\r\n" HDRS_MIN
	              "CSeq: 5 INVITE\r\n\r\n",
	              false, &pe, true);
	TEST_ERR(err);
	TEST_STR_EQ("Unsupported SIP version", pe.reason);
	TEST_PL_EQ("SIP/3.0", &msg->ver);
	TEST_PL_EQ("1928301774", &msg->from.tag);
out:
	mem_deref(msg);
	return err;
}

TEST(test_sip_via)
{
	static const char *const bad[] = {
	    "",
	    "SIP/2.0/UDP",
	    "SIP/2.0/UDP ",
	    "SIP/2.0 UDP host",
	    "SIP/2.0/UDPhost",
	    "SIP/2.0/UDP host:",
	    "SIP/2.0/UDP host:70000",
	    "SIP/2.0/UDP [::1",
	    "SIP/2.0/UDP [2001:db8:::1]",
	    "SIP/2.0/UDP host;",
	    "SIP/2.0/UDP host;;branch=z9hG4bK1",
	    "SIP/2.0/UDP host;branch",
	    "SIP/2.0/UDP host;branch=",
	    "SIP/2.0/UDP host;received=example.com",
	    "SIP/2.0/UDP host;rport=x",
	    "SIP/2.0/UDP host;rport=65536",
	    "SIP/2.0/UDP host junk",
	    "SIP/2.0/UDP 1.2.3.256",
	};
	struct sip_via v;
	int err = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pl pl;

		pl_set_str(&pl, bad[i]);
		if (sip_via_decode(&v, &pl, NULL) != EBADMSG) {
			test_fail(__FILE__, __LINE__, "accepted: %s", bad[i]);
			err = EINVAL;
			goto out;
		}
	}

	err = sip_via_decode(&v,
	                     &PL("SIP / 2.0 / tls [2001:db8::9:1] : 5061 ;"
	                         " rport ; received = [2001:db8::9:255] ;"
	                         "branch=z9hG4bK776;maddr=224.2.0.1"),
	                     NULL);
	TEST_ERR(err);
	TEST_EQ(SIP_TRANSP_TLS, v.tp);
	TEST_PL_EQ("tls", &v.tp_name);
	TEST_PL_EQ("SIP / 2.0", &v.proto);
	TEST_PL_EQ("2001:db8::9:1", &v.host);
	TEST_PL_EQ("[2001:db8::9:1] : 5061", &v.sentby);
	TEST_EQ(AF_INET6, v.af);
	TEST_EQ(5061, v.port);
	TEST_ASSERT(v.rport);
	TEST_EQ(0, v.rport_val);
	TEST_PL_EQ("2001:db8::9:255", &v.received);
	TEST_PL_EQ("z9hG4bK776", &v.branch);

	err = sip_via_decode(&v,
	                     &PL("SIP/2.0/SCTP 192.0.2.1:5060;rport=1234;"
	                         "received=192.0.2.9"),
	                     NULL);
	TEST_ERR(err);
	TEST_EQ(SIP_TRANSP_NONE, v.tp);
	TEST_PL_EQ("SCTP", &v.tp_name);
	TEST_EQ(AF_INET, v.af);
	TEST_EQ(1234, v.rport_val);
	TEST_PL_EQ("192.0.2.9", &v.received);
	TEST_EQ(0, v.branch.l);

	err = sip_via_decode(&v, &PL("SIP/2.0/UDP h_1.example.com"), NULL);
	TEST_ERR(err);
	TEST_EQ(0, v.af);
	TEST_EQ(0, v.params.l);
out:
	return err;
}

TEST(test_sip_addr_contact_event)
{
	static const char *const bad_addr[] = {
	    "",
	    "\"unterminated <sip:a@b>",
	    "Bell, Alexander <sip:a@b>",
	    "< sip:a@b>",
	    "<sip:a@b >",
	    "<sip:a@b",
	    "sip:a@b?x=y",
	    "<sip:a@b>;",
	    "<sip:a@b>;tag",
	    "<sip:a@b> x",
	    "<sip:a@b>;tag=\"q\"",
	    "\"a\" sip:a@b",
	    "<sip:a@b>;p=\"unterminated",
	    "<>",
	};
	struct sip_addr a;
	struct sip_contact c;
	struct sip_event ev;
	struct pl pl;
	int err = 0;

	for (size_t i = 0; i < sizeof(bad_addr) / sizeof(bad_addr[0]); i++) {
		pl_set_str(&pl, bad_addr[i]);
		if (sip_addr_decode(&a, &pl, NULL) != EBADMSG) {
			test_fail(__FILE__, __LINE__, "accepted: %s",
			          bad_addr[i]);
			err = EINVAL;
			goto out;
		}
	}

	err = sip_addr_decode(&a, &PL("caller<sip:caller@example.com>;tag=323"),
	                      NULL);
	TEST_ERR(err);
	TEST_PL_EQ("caller", &a.dname);
	TEST_PL_EQ("323", &a.tag);
	TEST_PL_EQ("caller", &a.uri.user);

	err = sip_addr_decode(
	    &a, &PL("sip:+1-972@gw.example.net;user=phone ; tag = x;q"), NULL);
	TEST_ERR(err);
	TEST_ASSERT(!a.angle);
	TEST_PL_EQ("sip:+1-972@gw.example.net", &a.auri);
	TEST_PL_EQ("x", &a.tag);
	TEST_PL_EQ(";user=phone ; tag = x;q", &a.params);
	TEST_EQ(0, a.uri.params.l);

	err = sip_addr_decode(&a, &PL("\"\\\"A\\\\\" <sips:a@b;lr>"), NULL);
	TEST_ERR(err);
	TEST_PL_EQ("\\\"A\\\\", &a.dname);
	TEST_ASSERT(a.uri.sips);
	TEST_ASSERT(a.uri.lr);

	/* contacts */
	err = sip_contact_decode(&c, &PL(" * "), NULL);
	TEST_ERR(err);
	TEST_ASSERT(c.star);
	err = sip_contact_decode(&c, &PL("<sip:a@b>"), NULL);
	TEST_ERR(err);
	TEST_EQ(-1, c.expires);
	TEST_EQ(1000, c.q);
	TEST_ASSERT(!c.has_q);
	{
		static const struct {
			const char *q;
			int val; /* -1: invalid */
		} qv[] = {
		    {"0", 0},       {"1", 1000},     {"1.", 1000},
		    {"1.0", 1000},  {"1.000", 1000}, {"0.5", 500},
		    {"0.33", 330},  {"0.001", 1},    {"0.999", 999},
		    {"1.001", -1},  {"1.5", -1},     {"2", -1},
		    {"0.1234", -1}, {".5", -1},      {"0,5", -1},
		    {"x", -1},
		};
		for (size_t i = 0; i < sizeof(qv) / sizeof(qv[0]); i++) {
			char s[64];
			int r;

			snprintf(s, sizeof(s), "<sip:a@b>;q=%s", qv[i].q);
			pl_set_str(&pl, s);
			r = sip_contact_decode(&c, &pl, NULL);
			if (qv[i].val < 0 ? r != EBADMSG
			                  : (r || (int)c.q != qv[i].val)) {
				test_fail(__FILE__, __LINE__, "q=%s", qv[i].q);
				err = EINVAL;
				goto out;
			}
		}
	}
	err = sip_contact_decode(
	    &c,
	    &PL("<sip:a@b>;expires=280297596632815;+sip.instance="
	        "\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\""),
	    NULL);
	TEST_ERR(err);
	TEST_EQ(4294967295LL, c.expires);
	{
		struct pl inst;

		TEST_ERR(sip_param_get(&c.addr.params, "+sip.instance", &inst));
		TEST_PL_EQ(
		    "\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\"",
		    &inst);
	}
	TEST_ERR_EQ(EBADMSG,
	            sip_contact_decode(&c, &PL("<sip:a@b>;expires=x"), NULL));
	TEST_ERR_EQ(EBADMSG, sip_contact_decode(&c, &PL("<sip:a@b>;q"), NULL));
	err = sip_contact_decode(&c, &PL("sip:a@b;expires=60"), NULL);
	TEST_ERR(err);
	TEST_EQ(60, c.expires);

	/* events */
	err = sip_event_decode(&ev, &PL("presence.winfo ; id=17;x"), NULL);
	TEST_ERR(err);
	TEST_PL_EQ("presence.winfo", &ev.package);
	TEST_PL_EQ("17", &ev.id);
	TEST_PL_EQ("; id=17;x", &ev.params);
	err = sip_event_decode(&ev, &PL("presence"), NULL);
	TEST_ERR(err);
	TEST_EQ(0, ev.id.l);
	TEST_ERR_EQ(EBADMSG, sip_event_decode(&ev, &PL(""), NULL));
	TEST_ERR_EQ(EBADMSG, sip_event_decode(&ev, &PL("a b"), NULL));
	TEST_ERR_EQ(EBADMSG, sip_event_decode(&ev, &PL(".x"), NULL));
	err = 0;
out:
	return err;
}

TEST(test_sip_auth)
{
	struct sip_auth au;
	int err;

	err = sip_auth_decode(&au,
	                      &PL("Digest username=\"bob\",realm=\"biloxi.com\""
	                          " , nonce=\"dcd98b\", uri=\"sip:a@b\","
	                          "response=\"6629fae4\",algorithm=MD5,"
	                          "cnonce=\"0a4f\",opaque=\"5ccc\",qop=auth,"
	                          "nc=00000001,foo=\"a,b\""),
	                      NULL);
	TEST_ERR(err);
	TEST_PL_EQ("bob", &au.username);
	TEST_PL_EQ("biloxi.com", &au.realm);
	TEST_PL_EQ("dcd98b", &au.nonce);
	TEST_PL_EQ("sip:a@b", &au.uri);
	TEST_PL_EQ("6629fae4", &au.response);
	TEST_PL_EQ("MD5", &au.algorithm);
	TEST_PL_EQ("0a4f", &au.cnonce);
	TEST_PL_EQ("5ccc", &au.opaque);
	TEST_PL_EQ("auth", &au.qop);
	TEST_PL_EQ("00000001", &au.nc);
	TEST_ASSERT(au.has_auth_param);

	err = sip_auth_decode(&au, &PL("NoOneKnowsThisScheme opaque-data=here"),
	                      NULL);
	TEST_ERR(err);
	TEST_PL_EQ("NoOneKnowsThisScheme", &au.scheme);
	TEST_ASSERT(au.has_auth_param);
	err = sip_auth_decode(&au, &PL("Digest"), NULL);
	TEST_ERR(err);
	TEST_ERR_EQ(EBADMSG, sip_auth_decode(&au, &PL(""), NULL));
	TEST_ERR_EQ(EBADMSG,
	            sip_auth_decode(&au, &PL("Digest realm=\"x"), NULL));
	TEST_ERR_EQ(EBADMSG, sip_auth_decode(&au, &PL("Digest realm"), NULL));
	TEST_ERR_EQ(EBADMSG,
	            sip_auth_decode(&au, &PL("Digest realm=a,,nonce=b"), NULL));
	TEST_ERR_EQ(EBADMSG,
	            sip_auth_decode(&au, &PL("Digest realm=a nonce=b"), NULL));
	err = 0;
out:
	return err;
}

/* The message is b->b[pos..end): octets before pos are not looked at. */
TEST(test_sip_msg_buf_pos)
{
	static const char data[] = "XXXXOPTIONS sip:a@b SIP/2.0\r\n" HDRS_MIN
	                           "CSeq: 1 OPTIONS\r\nMax-Forwards: 300\r\n"
	                           "\r\n";
	struct sip_msg *msg = NULL;
	struct buf *b = NULL;
	struct parse_err pe;
	int err;

	err = buf_alloc_copy(&b, data, sizeof(data) - 1);
	TEST_ERR(err);
	b->pos = 4;
	err = sip_msg_decode(&msg, b, false, &pe);
	TEST_ERR_EQ(EBADMSG, err);
	TEST_STR_EQ("Invalid Max-Forwards", pe.reason);
	TEST_EQ(strstr(data, "300") - data - 4, pe.off);
	err = sip_msg_decode_lenient(&msg, b, false, &pe);
	TEST_ERR(err);
	TEST_ASSERT(msg->raw.p == (const char *)b->b + 4);
	TEST_EQ(sizeof(data) - 5, msg->raw.l);
	TEST_EQ(2, mem_nrefs(b));
	msg = mem_deref(msg);
	TEST_EQ(1, mem_nrefs(b));
	b->pos = b->end;
	TEST_ERR_EQ(EBADMSG, sip_msg_decode(&msg, b, false, &pe));
	TEST_ERR_EQ(EINVAL, sip_msg_decode(NULL, b, false, &pe));
	TEST_ERR_EQ(EINVAL, sip_msg_decode(&msg, NULL, false, &pe));
	err = 0;
out:
	mem_deref(msg);
	mem_deref(b);
	return err;
}
