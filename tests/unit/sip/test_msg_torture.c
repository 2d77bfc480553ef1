/* tests/unit/sip/test_msg_torture.c - RFC 4475 / RFC 5118 torture messages */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "sip/msg.h"
#include "test.h"

/* What sip_msg_decode must return for a message, from its manifest
 * class, with the exceptions the decoder owns. */
static int expected_err(const char *name, const char *cls)
{
	static const char *const sem_bad[] = {"insuf", "multi01", "mcl01"};

	if (!strcmp(name, "badvers"))
		return ENOTSUP;
	if (!strcmp(cls, "invalid"))
		return EBADMSG;
	if (!strcmp(cls, "semantic-invalid")) {
		for (size_t i = 0; i < sizeof(sem_bad) / sizeof(sem_bad[0]);
		     i++) {
			if (!strcmp(name, sem_bad[i]))
				return EBADMSG;
		}
	}
	return 0;
}

static int decode_file(struct sip_msg **msgp, const char *name, bool stream,
                       struct parse_err *pe, bool lenient)
{
	char rel[256], *data = NULL;
	struct buf *b = NULL;
	size_t n;
	int err;

	snprintf(rel, sizeof(rel), "sip/torture/%s.dat", name);
	err = test_read_file(&data, &n, rel);
	if (err)
		return err;
	err = buf_alloc_copy(&b, data, n);
	mem_deref(data);
	if (err)
		return err;
	if (lenient)
		err = sip_msg_decode_lenient(msgp, b, stream, pe);
	else
		err = sip_msg_decode(msgp, b, stream, pe);
	mem_deref(b);
	return err;
}

TEST(test_sip_torture_manifest)
{
	char *man = NULL, *line, *save = NULL;
	unsigned n = 0, bad = 0;
	int err;

	err = test_read_file(&man, NULL, "sip/torture/manifest.tsv");
	TEST_ERR(err);

	for (line = strtok_r(man, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64], cls[32], tp[8];
		struct sip_msg *msg = NULL;
		struct parse_err pe;
		int want, got;

		if (sscanf(line, "%63[^\t]\t%*[^\t]\t%31[^\t]\t%7[^\t]", name,
		           cls, tp) != 3 ||
		    !strcmp(name, "name"))
			continue;
		++n;
		want = expected_err(name, cls);
		got = decode_file(&msg, name, false, &pe, false);
		if (got == ENOMEM) {
			err = ENOMEM;
			goto out;
		}
		if (got != want || (got && msg) || (!got && !msg)) {
			test_fail(__FILE__, __LINE__,
			          "%s (%s): expected %d, got %d (%s)", name,
			          cls, want, got, pe.reason ? pe.reason : "");
			++bad;
		}
		if (got && !pe.reason) {
			test_fail(__FILE__, __LINE__, "%s: no reason", name);
			++bad;
		}
		msg = mem_deref(msg);

		/* messages sent over TCP carry Content-Length: same verdict
		 * on a stream */
		if (!strcmp(tp, "tcp")) {
			got = decode_file(&msg, name, true, &pe, false);
			if (got == ENOMEM) {
				err = ENOMEM;
				goto out;
			}
			if (got != want) {
				test_fail(__FILE__, __LINE__,
				          "%s stream: expected %d, got %d",
				          name, want, got);
				++bad;
			}
			msg = mem_deref(msg);
		}
	}
	TEST_EQ(61, n);
	TEST_EQ(0, bad);
out:
	mem_deref(man);
	return err;
}

/* Specific expectations on what valid torture messages decode to. */
TEST(test_sip_torture_valid_fields)
{
	struct sip_msg *msg = NULL;
	const struct sip_hdr *h;
	struct parse_err pe;
	int err;

	/* wsinv: folding, odd case, compact forms, spaces around params */
	err = decode_file(&msg, "wsinv", false, &pe, false);
	TEST_ERR(err);
	TEST_PL_EQ("INVITE", &msg->met);
	TEST_PL_EQ("1918181833n", &msg->to.tag);
	TEST_PL_EQ("98asjd8", &msg->from.tag);
	TEST_PL_EQ("J Rosenberg \\\\\\\"", &msg->from.dname);
	TEST_EQ(68, msg->maxfwd);
	TEST_EQ(9, msg->cseq.num);
	TEST_PL_EQ("INVITE", &msg->cseq.met);
	TEST_EQ(150, msg->clen);
	TEST_EQ(150, msg->body.l);
	TEST_EQ(3, sip_msg_hdr_count(msg, SIP_HDR_VIA));
	TEST_PL_EQ("390skdjuw", &msg->via.branch);
	TEST_PL_EQ("192.0.2.2", &msg->via.host);
	TEST_EQ(SIP_TRANSP_UDP, msg->via.tp);
	h = sip_msg_hdr(msg, SIP_HDR_VIA);
	h = sip_msg_hdr_next(msg, h);
	TEST_ASSERT(h != NULL);
	{
		struct sip_via v;

		TEST_ERR(sip_via_decode(&v, &h->val, NULL));
		TEST_EQ(SIP_TRANSP_TCP, v.tp);
		TEST_PL_EQ("spindle.example.com", &v.host);
		TEST_PL_EQ("z9hG4bK9ikj8", &v.branch);
		h = sip_msg_hdr_next(msg, h);
		TEST_ERR(sip_via_decode(&v, &h->val, NULL));
		TEST_PL_EQ("z9hG4bK30239", &v.branch);
		TEST_PL_EQ("192.168.255.111", &v.host);
	}
	h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	TEST_ASSERT(h != NULL);
	{
		struct sip_contact c;

		TEST_ERR(sip_contact_decode(&c, &h->val, NULL));
		TEST_EQ(330, c.q);
		TEST_PL_EQ("Quoted string \\\"\\\"", &c.addr.dname);
	}
	h = sip_msg_xhdr(msg, "NewFangledHeader");
	TEST_ASSERT(h != NULL);
	TEST_PL_EQ("newfangled value\r\n continued newfangled value", &h->val);
	h = sip_msg_hdr(msg, SIP_HDR_SUBJECT);
	TEST_ASSERT(h != NULL);
	TEST_EQ(0, h->val.l);
	msg = mem_deref(msg);

	/* intmeth: token method, odd URI user and password */
	err = decode_file(&msg, "intmeth", true, &pe, false);
	TEST_ERR(err);
	TEST_PL_EQ("!interesting-Method0123456789_*+`.%indeed'~", &msg->met);
	TEST_PL_EQ("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
	           &msg->uri.user);
	TEST_PL_EQ("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)",
	           &msg->uri.password);
	TEST_PL_EQ("example.com", &msg->uri.host);
	TEST_PL_EQ("_token~1'+`*%!-.", &msg->from.tag);
	TEST_EQ(255, msg->maxfwd);
	msg = mem_deref(msg);

	/* esc02: RE%47IST%45R is a method of its own */
	err = decode_file(&msg, "esc02", true, &pe, false);
	TEST_ERR(err);
	TEST_PL_EQ("RE%47IST%45R", &msg->met);
	TEST_ASSERT(!sip_msg_is(msg, "REGISTER"));
	TEST_EQ(2, sip_msg_hdr_count(msg, SIP_HDR_CONTACT));
	TEST_ASSERT(sip_msg_xhdr(msg, "C%6Fntact") != NULL);
	msg = mem_deref(msg);

	/* semiuri: user part up to the last '@' */
	err = decode_file(&msg, "semiuri", false, &pe, false);
	TEST_ERR(err);
	TEST_PL_EQ("user;par=u%40example.net", &msg->uri.user);
	TEST_PL_EQ("example.com", &msg->uri.host);
	TEST_EQ(0, msg->uri.params.l);
	TEST_EQ(6, sip_msg_hdr_count(msg, SIP_HDR_ACCEPT));
	TEST_ASSERT(
	    sip_msg_hdr_has_value(msg, SIP_HDR_ACCEPT, "message/sipfrag"));
	msg = mem_deref(msg);

	/* dblreq: datagram, the trailing INVITE is ignored */
	err = decode_file(&msg, "dblreq", false, &pe, false);
	TEST_ERR(err);
	TEST_ASSERT(sip_msg_is(msg, "REGISTER"));
	TEST_EQ(0, msg->body.l);
	TEST_ASSERT(msg->raw.l < msg->mb->end / 2);
	msg = mem_deref(msg);
	err = decode_file(&msg, "dblreq", true, &pe, false);
	TEST_ERR_EQ(EBADMSG, err);
	err = 0;

	/* mpart01: binary body intact */
	err = decode_file(&msg, "mpart01", false, &pe, false);
	TEST_ERR(err);
	TEST_EQ(553, msg->body.l);
	TEST_ASSERT(memchr(msg->body.p, '\0', msg->body.l) != NULL);
	TEST_ASSERT(msg->body.p + msg->body.l ==
	            (const char *)msg->mb->b + msg->mb->end);
	TEST_EQ(1, msg->via.rport);
	TEST_EQ(0, msg->via.rport_val);
	TEST_EQ(5070, msg->via.port);
	msg = mem_deref(msg);

	/* inv2543: no Max-Forwards, no Content-Length, no branch */
	err = decode_file(&msg, "inv2543", false, &pe, false);
	TEST_ERR(err);
	TEST_EQ(-1, msg->maxfwd);
	TEST_ASSERT(!msg->has_clen);
	TEST_EQ(msg->body.l, msg->clen);
	TEST_ASSERT(msg->body.l > 0);
	TEST_EQ(0, msg->via.branch.l);
	TEST_EQ(0, msg->from.tag.l);
	msg = mem_deref(msg);

	/* responses */
	err = decode_file(&msg, "noreason", false, &pe, false);
	TEST_ERR(err);
	TEST_ASSERT(!msg->req);
	TEST_EQ(100, msg->scode);
	TEST_EQ(0, msg->reason.l);
	msg = mem_deref(msg);

	/* unknown schemes decode */
	err = decode_file(&msg, "unkscm", false, &pe, false);
	TEST_ERR(err);
	TEST_PL_EQ("nobodyKnowsThisScheme", &msg->uri.scheme);
	TEST_ASSERT(!msg->uri.is_sip);
	msg = mem_deref(msg);
	err = decode_file(&msg, "unksm2", false, &pe, false);
	TEST_ERR(err);
	TEST_PL_EQ("isbn", &msg->to.uri.scheme);
	TEST_PL_EQ("http", &msg->from.uri.scheme);
	msg = mem_deref(msg);

	/* IPv6 */
	err = decode_file(&msg, "port-ambiguous", true, &pe, false);
	TEST_ERR(err);
	TEST_PL_EQ("2001:db8::10:5070", &msg->uri.host);
	TEST_EQ(0, msg->uri.port);
	msg = mem_deref(msg);
	err = decode_file(&msg, "port-unambiguous", true, &pe, false);
	TEST_ERR(err);
	TEST_PL_EQ("2001:db8::10", &msg->uri.host);
	TEST_EQ(5070, msg->uri.port);
	TEST_EQ(AF_INET6, msg->uri.af);
	msg = mem_deref(msg);
	err = decode_file(&msg, "via-received-param-with-delim", false, &pe,
	                  false);
	TEST_ERR(err);
	TEST_PL_EQ("2001:db8::9:255", &msg->via.received);
	TEST_PL_EQ("2001:db8::9:1", &msg->via.host);
	TEST_EQ(AF_INET6, msg->via.af);
	msg = mem_deref(msg);
	err =
	    decode_file(&msg, "via-received-param-no-delim", false, &pe, false);
	TEST_ERR(err);
	TEST_PL_EQ("2001:db8::9:255", &msg->via.received);
	msg = mem_deref(msg);
	err = decode_file(&msg, "longreq", true, &pe, false);
	TEST_ERR(err);
	TEST_EQ(34, sip_msg_hdr_count(msg, SIP_HDR_VIA));
	msg = mem_deref(msg);
out:
	mem_deref(msg);
	return err;
}

/* The reasons given for rejected ones, and lenient decoding. */
TEST(test_sip_torture_reasons)
{
	static const struct {
		const char *name;
		int err;
		const char *reason;
		int lenient;  /* 0: decodes leniently, ENOENT: cannot */
		bool resp_ok; /* our reply decodes (it echoes bad fields) */
	} v[] = {
	    {"mismatch01", EBADMSG, "CSeq method mismatch", 0, true},
	    {"mismatch02", EBADMSG, "CSeq method mismatch", 0, true},
	    {"badvers", ENOTSUP, "Unsupported SIP version", 0, true},
	    {"scalar02", EBADMSG, "Invalid CSeq number", 0, false},
	    {"clerr", EBADMSG, "Content-Length mismatch", 0, true},
	    {"ncl", EBADMSG, "Invalid Content-Length", 0, true},
	    {"mcl01", EBADMSG, "Multiple Content-Length headers", 0, true},
	    {"multi01", EBADMSG, "Multiple CSeq headers", 0, true},
	    {"insuf", EBADMSG, "Missing From header", ENOENT, false},
	    {"quotbal", EBADMSG, "Malformed To header", 0, false},
	    {"baddn", EBADMSG, "Malformed From header", 0, false},
	    {"badaspec", EBADMSG, "Malformed To header", 0, false},
	    {"ltgtruri", EBADMSG, "Malformed Request-URI", 0, true},
	    {"escruri", EBADMSG, "Malformed Request-URI", 0, true},
	    {"lwsruri", EBADMSG, "Malformed request line", 0, true},
	    {"lwsstart", EBADMSG, "Malformed request line", 0, true},
	    {"trws", EBADMSG, "Malformed request line", 0, true},
	    {"baddate", EBADMSG, "Malformed Date header", 0, true},
	    {"regbadct", EBADMSG, "Malformed Contact header", 0, true},
	    {"badinv01", EBADMSG, "Malformed Via header", 0, false},
	    {"ipv6-bad", EBADMSG, "Malformed Request-URI", 0, true},
	    {"ipv6-bug-abnf-3-colons", EBADMSG, "Malformed Request-URI", 0,
	     false},
	    {"bigcode", EBADMSG, "Bad status code", ENOENT, false},
	    {"scalarlg", EBADMSG, "Invalid CSeq number", ENOENT, false},
	};
	struct sip_msg *msg = NULL, *rsp = NULL;
	struct buf *mb = NULL;
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct parse_err pe;
		int got = decode_file(&msg, v[i].name, false, &pe, false);

		if (got == ENOMEM) {
			err = ENOMEM;
			goto out;
		}
		if (got != v[i].err || !pe.reason ||
		    strcmp(pe.reason, v[i].reason)) {
			test_fail(__FILE__, __LINE__, "%s: %d \"%s\"",
			          v[i].name, got, pe.reason ? pe.reason : "");
			err = EINVAL;
			goto out;
		}
		got = decode_file(&msg, v[i].name, false, &pe, true);
		if (got == ENOMEM) {
			err = ENOMEM;
			goto out;
		}
		if (got != v[i].lenient || !pe.reason ||
		    strcmp(pe.reason, v[i].reason)) {
			test_fail(__FILE__, __LINE__, "%s lenient: %d \"%s\"",
			          v[i].name, got, pe.reason ? pe.reason : "");
			err = EINVAL;
			goto out;
		}
		if (got)
			continue;

		/* enough to answer */
		TEST_ASSERT(msg->req);
		TEST_ASSERT(msg->callid.l > 0);
		TEST_ASSERT(msg->via.host.l > 0);
		err = sip_resp_encode(&mb, msg, v[i].err == ENOTSUP ? 505 : 400,
		                      pe.reason, "abc", NULL, NULL);
		TEST_ERR(err);
		TEST_ASSERT(!memcmp(mb->b, "SIP/2.0 ", 8));
		err = sip_msg_decode(&rsp, mb, false, NULL);
		if (err == ENOMEM)
			goto out;
		TEST_EQ(v[i].resp_ok, err == 0);
		err = 0;
		if (rsp) {
			TEST_ASSERT(!pl_cmp(&rsp->callid, &msg->callid));
			TEST_EQ(v[i].err == ENOTSUP ? 505 : 400, rsp->scode);
			TEST_ASSERT(!pl_cmp(&rsp->to.tag, msg->to.tag.l
			                                      ? &msg->to.tag
			                                      : &PL("abc")));
		}
		rsp = mem_deref(rsp);
		mb = mem_deref(mb);
		msg = mem_deref(msg);
	}
out:
	mem_deref(rsp);
	mem_deref(mb);
	mem_deref(msg);
	return err;
}
