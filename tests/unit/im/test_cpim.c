/* tests/unit/im/test_cpim.c - message/cpim (RFC 3862) and its DateTime
 * (RFC 3339) */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "im/cpim.h"
#include "im/imdn.h"
#include "im/mime.h"
#include "test.h"

#define SEC_NS "http://example.org/cpim/security"

static const char msg1[] =
    "From: Alice <sip:alice@example.com>\r\n"
    "To: Bob <sip:bob@example.net>\r\n"
    "To: <sip:carol@example.net>\r\n"
    "cc: <sip:dave@example.org>\r\n"
    "DateTime: 2026-03-01T09:30:15.250+01:00\r\n"
    "Subject:;lang=fr Bonjour\r\n"
    "NS: imdn <urn:ietf:params:imdn>\r\n"
    "imdn.Message-ID: Abc123\r\n"
    "imdn.Disposition-Notification: positive-delivery,\r\n"
    " display\r\n"
    "NS: sec <" SEC_NS ">\r\n"
    "sec.Level: high\r\n"
    "\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-ID: <1234@example.com>\r\n"
    "\r\n"
    "Hi Bob!\r\n";

TEST(test_cpim_parse)
{
	struct cpim c;
	const struct pl *v, *to;
	struct pl name, uri;
	const char *why = NULL;
	uint64_t ms = 0;
	int err;

	err = cpim_parse(&c, msg1, sizeof(msg1) - 1, &why);
	TEST_ERR(err);
	TEST_ASSERT(why == NULL);
	TEST_EQ(11, c.nf);
	TEST_EQ(2, c.nns);
	TEST_PL_EQ("", &c.f[0].prefix);
	TEST_PL_EQ("From", &c.f[0].name);
	TEST_PL_EQ("Alice <sip:alice@example.com>", &c.f[0].value);
	TEST_PL_EQ("imdn", &c.f[7].prefix);
	TEST_PL_EQ("Message-ID", &c.f[7].name);
	TEST_PL_EQ("imdn", &c.ns[0].prefix);
	TEST_PL_EQ(IMDN_NS_URI, &c.ns[0].uri);
	TEST_PL_EQ("sec", &c.ns[1].prefix);
	TEST_PL_EQ(SEC_NS, &c.ns[1].uri);

	v = cpim_field(&c, NULL, "From");
	TEST_ASSERT(v == &c.f[0].value);
	TEST_ERR(cpim_addr(v, &name, &uri));
	TEST_PL_EQ("Alice", &name);
	TEST_PL_EQ("sip:alice@example.com", &uri);

	/* repeated To */
	to = cpim_field(&c, NULL, "To");
	TEST_ASSERT(to != NULL);
	TEST_ERR(cpim_addr(to, &name, &uri));
	TEST_PL_EQ("Bob", &name);
	TEST_PL_EQ("sip:bob@example.net", &uri);
	to = cpim_field_next(&c, to);
	TEST_ASSERT(to != NULL);
	TEST_ERR(cpim_addr(to, &name, &uri));
	TEST_PL_EQ("", &name);
	TEST_PL_EQ("sip:carol@example.net", &uri);
	TEST_ASSERT(cpim_field_next(&c, to) == NULL);

	v = cpim_field(&c, NULL, "cc");
	TEST_ASSERT(v != NULL);
	TEST_PL_EQ("<sip:dave@example.org>", v);
	/* names are case-sensitive */
	TEST_ASSERT(cpim_field(&c, NULL, "from") == NULL);
	TEST_ASSERT(cpim_field(&c, NULL, "CC") == NULL);

	v = cpim_field(&c, NULL, "DateTime");
	TEST_ASSERT(v != NULL);
	TEST_ERR(cpim_datetime_parse(v, &ms));
	TEST_EQ(1772353815250ULL, ms);

	/* parameters stay in the raw value */
	v = cpim_field(&c, NULL, "Subject");
	TEST_ASSERT(v != NULL);
	TEST_PL_EQ(";lang=fr Bonjour", v);

	/* prefixed fields resolve through NS */
	v = cpim_field(&c, IMDN_NS_URI, "Message-ID");
	TEST_ASSERT(v != NULL);
	TEST_PL_EQ("Abc123", v);
	TEST_ASSERT(cpim_field(&c, NULL, "Message-ID") == NULL);
	TEST_ASSERT(cpim_field(&c, SEC_NS, "Message-ID") == NULL);
	v = cpim_field(&c, IMDN_NS_URI, "Disposition-Notification");
	TEST_ASSERT(v != NULL);
	TEST_PL_EQ("positive-delivery,\r\n display", v);
	TEST_EQ(IMDN_POSITIVE_DELIVERY | IMDN_DISPLAY, imdn_disp_parse(v));
	v = cpim_field(&c, SEC_NS, "Level");
	TEST_ASSERT(v != NULL);
	TEST_PL_EQ("high", v);
	TEST_ASSERT(cpim_field(&c, NULL, "Level") == NULL);
	TEST_ASSERT(cpim_field(&c, NULL, "Nope") == NULL);
	v = cpim_field(&c, NULL, "NS");
	TEST_ASSERT(v != NULL);
	TEST_PL_EQ("imdn <urn:ietf:params:imdn>", v);

	/* the encapsulated object */
	TEST_PL_EQ("Content-Type: text/plain; charset=utf-8\r\n"
	           "Content-ID: <1234@example.com>\r\n",
	           &c.content_hdrs);
	TEST_PL_EQ("text/plain; charset=utf-8", &c.ctype);
	TEST_PL_EQ("Hi Bob!\r\n", &c.body);
	TEST_ASSERT(c.body.p == msg1 + sizeof(msg1) - 1 - 9);
	TEST_ERR(mime_hdr(&c.content_hdrs, "content-id", &name));
	TEST_PL_EQ("<1234@example.com>", &name);
out:
	return err;
}

TEST(test_cpim_parse_forms)
{
	/* LF line ends, empty content headers, NS redeclared */
	static const char lf[] = "From: <im:a@example.com>\n"
	                         "NS: x <urn:example:a>\n"
	                         "x.F: 1\n"
	                         "NS: x <urn:example:b>\n"
	                         "x.F: 2\n"
	                         "x.F: 3\n"
	                         "\n"
	                         "\n"
	                         "body\n\nwith blank line";
	/* no message headers, no content headers, empty content */
	static const char empty[] = "\r\n\r\n";
	/* a default namespace NS moves unprefixed names */
	static const char defns[] = "From: <sip:a@b>\r\n"
	                            "NS: <urn:example:d>\r\n"
	                            "To: <sip:c@d>\r\n"
	                            "\r\n"
	                            "Content-Type: a/b\r\n"
	                            "\r\n";
	static const char bin[] = "\0\r\n\r\nFrom: x\r\n\0";
	char buf[64];
	struct cpim c;
	const struct pl *v;
	const char *why = NULL;
	int err;

	err = cpim_parse(&c, lf, sizeof(lf) - 1, &why);
	TEST_ERR(err);
	TEST_EQ(6, c.nf);
	TEST_EQ(2, c.nns);
	v = cpim_field(&c, "urn:example:a", "F");
	TEST_ASSERT(v != NULL);
	TEST_PL_EQ("1", v);
	TEST_ASSERT(cpim_field_next(&c, v) == NULL);
	v = cpim_field(&c, "urn:example:b", "F");
	TEST_ASSERT(v != NULL);
	TEST_PL_EQ("2", v);
	v = cpim_field_next(&c, v);
	TEST_ASSERT(v != NULL);
	TEST_PL_EQ("3", v);
	TEST_ASSERT(cpim_field_next(&c, v) == NULL);
	TEST_PL_EQ("", &c.content_hdrs);
	TEST_PL_EQ("", &c.ctype);
	TEST_PL_EQ("body\n\nwith blank line", &c.body);

	err = cpim_parse(&c, empty, sizeof(empty) - 1, &why);
	TEST_ERR(err);
	TEST_EQ(0, c.nf);
	TEST_EQ(0, c.nns);
	TEST_EQ(0, c.content_hdrs.l);
	TEST_EQ(0, c.ctype.l);
	TEST_EQ(0, c.body.l);
	TEST_ASSERT(cpim_field(&c, NULL, "From") == NULL);

	err = cpim_parse(&c, defns, sizeof(defns) - 1, &why);
	TEST_ERR(err);
	TEST_ASSERT(cpim_field(&c, NULL, "From") != NULL);
	TEST_ASSERT(cpim_field(&c, NULL, "To") == NULL);
	v = cpim_field(&c, "urn:example:d", "To");
	TEST_ASSERT(v != NULL);
	TEST_PL_EQ("<sip:c@d>", v);
	TEST_PL_EQ("a/b", &c.ctype);
	TEST_EQ(0, c.body.l);

	/* a binary body that looks like headers */
	memcpy(buf, "\r\nContent-Type: a/b\r\n\r\n", 23);
	memcpy(buf + 23, bin, sizeof(bin) - 1);
	err = cpim_parse(&c, buf, 23 + sizeof(bin) - 1, &why);
	TEST_ERR(err);
	TEST_EQ(sizeof(bin) - 1, c.body.l);
	TEST_ASSERT(!memcmp(c.body.p, bin, sizeof(bin) - 1));
out:
	return err;
}

struct bad {
	const char *msg;
	const char *why;
};

TEST(test_cpim_parse_errors)
{
	static const struct bad bad[] = {
	    {"", "no blank line after the message headers"},
	    {"From: <sip:a@b>\r\n", "no blank line after the message headers"},
	    {"From: <sip:a@b>", "no blank line after the message headers"},
	    {"From: <sip:a@b>\r\n\r\nContent-Type: text/plain\r\n",
	     "no blank line after the content headers"},
	    {"From: <sip:a@b>\r\n\r\n", "no blank line after the content "
	                                "headers"},
	    {"Subject hello\r\n\r\n\r\n", "header line without colon"},
	    {"From <sip:a@b>\r\n\r\n\r\n", "bad message header name"},
	    {"From: <sip:a@b>\r\n\r\nContent-Type text/plain\r\n\r\nx",
	     "header line without colon"},
	    {" From: <sip:a@b>\r\n\r\n\r\n",
	     "continuation line without a header"},
	    {"imdn.Message-ID: x\r\n\r\n\r\n",
	     "header prefix not declared by NS"},
	    {"imdn.Message-ID: x\r\nNS: imdn <urn:ietf:params:imdn>\r\n"
	     "\r\n\r\n",
	     "header prefix not declared by NS"},
	    {"NS: imdn urn:ietf:params:imdn\r\n\r\n\r\n", "bad NS header"},
	    {"NS: imdn<urn:ietf:params:imdn>\r\n\r\n\r\n", "bad NS header"},
	    {"NS: im dn <urn:x>\r\n\r\n\r\n", "bad NS header"},
	    {"NS: a.b <urn:x>\r\n\r\n\r\n", "bad NS header"},
	    {"NS: x <>\r\n\r\n\r\n", "bad NS header"},
	    {"NS: x <urn:a b>\r\n\r\n\r\n", "bad NS header"},
	    {"NS: x <urn:a> z\r\n\r\n\r\n", "bad NS header"},
	    {"NS:\r\n\r\n\r\n", "bad NS header"},
	    {"NS: x <urn:a>\r\nx.y.z: 1\r\n\r\n\r\n",
	     "bad message header name"},
	    {"NS: x <urn:a>\r\n.z: 1\r\n\r\n\r\n", "bad message header name"},
	    {"NS: x <urn:a>\r\nx.: 1\r\n\r\n\r\n", "bad message header name"},
	    {"Fr om: x\r\n\r\n\r\n", "bad message header name"},
	    {": x\r\n\r\n\r\n", "bad message header name"},
	};
	struct cpim c;
	char big[2048];
	size_t l = 0;
	int err = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		err = cpim_parse(&c, bad[i].msg, strlen(bad[i].msg), &why);
		if (err != EBADMSG)
			test_fail(__FILE__, __LINE__, "case %zu", i);
		TEST_EQ(EBADMSG, err);
		TEST_ASSERT(why != NULL);
		TEST_STR_EQ(bad[i].why, why);
	}

	/* CPIM_MAX_FIELDS fields parse, one more does not */
	for (int i = 0; i < CPIM_MAX_FIELDS; i++)
		l += (size_t)snprintf(big + l, sizeof(big) - l, "X%d: %d\r\n",
		                      i, i);
	memcpy(big + l, "\r\n\r\n", 4);
	err = cpim_parse(&c, big, l + 4, NULL);
	TEST_ERR(err);
	TEST_EQ(CPIM_MAX_FIELDS, c.nf);
	{
		const char *why = NULL;

		memcpy(big + l, "Y: 1\r\n\r\n\r\n", 10);
		err = cpim_parse(&c, big, l + 10, &why);
		TEST_EQ(EBADMSG, err);
		TEST_STR_EQ("too many message headers", why);
	}
	l = 0;
	for (int i = 0; i <= CPIM_MAX_NS; i++)
		l += (size_t)snprintf(big + l, sizeof(big) - l,
		                      "NS: p%d <urn:x:%d>\r\n", i, i);
	memcpy(big + l, "\r\n\r\n", 4);
	{
		const char *why = NULL;

		err = cpim_parse(&c, big, l + 4, &why);
		TEST_EQ(EBADMSG, err);
		TEST_STR_EQ("too many NS headers", why);
	}
	/* why is optional */
	TEST_ERR_EQ(EBADMSG, cpim_parse(&c, "x", 1, NULL));
	TEST_ERR_EQ(EINVAL, cpim_parse(NULL, "x", 1, NULL));
	TEST_ERR_EQ(EINVAL, cpim_parse(&c, NULL, 1, NULL));
	err = 0;
out:
	return err;
}

/* Every prefix of a message in an allocation of exactly its size. */
TEST(test_cpim_parse_truncated)
{
	int err = 0;

	for (size_t l = 0; l < sizeof(msg1); l++) {
		char *b = mem_alloc(l ? l : 1, NULL);
		struct cpim c;
		const char *why = NULL;
		int e;

		if (!b) {
			err = ENOMEM;
			goto out;
		}
		memcpy(b, msg1, l);
		e = cpim_parse(&c, b, l, &why);
		if (!e) {
			TEST_ASSERT(c.body.p + c.body.l == b + l);
			TEST_ASSERT(cpim_field(&c, IMDN_NS_URI, "Message-ID"));
		}
		mem_deref(b);
		/* the content may be cut anywhere; the headers may not */
		if (l < sizeof(msg1) - 1 - 9) {
			TEST_ERR_EQ(EBADMSG, e);
			TEST_ASSERT(why != NULL);
		} else {
			TEST_ERR_EQ(0, e);
		}
	}
out:
	return err;
}

TEST(test_cpim_addr)
{
	static const struct {
		const char *in, *name, *uri;
	} good[] = {
	    {"<sip:a@b>", "", "sip:a@b"},
	    {"  Alice  <sip:a@b> ", "Alice", "sip:a@b"},
	    {"\"Alice <x> \\\"A\\\"\" <im:a@b>", "Alice <x> \\\"A\\\"",
	     "im:a@b"},
	    {"\"\"<pres:a@b>", "", "pres:a@b"},
	    {"MR SANDERS <im:piglet@example.org>", "MR SANDERS",
	     "im:piglet@example.org"},
	};
	static const char *const bad[] = {
	    "",       "sip:a@b",       "<sip:a@b",   "<>",
	    "< >",    "<sip:a@b> x",   "\"Al <s:a>", "\"Al\" x <s:a>",
	    "\"\\\"", "Alice sip:a@b", NULL,
	};
	struct pl name, uri;
	int err = 0;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct pl in;

		pl_set_str(&in, good[i].in);
		TEST_ERR_EQ(0, cpim_addr(&in, &name, &uri));
		TEST_PL_EQ(good[i].name, &name);
		TEST_PL_EQ(good[i].uri, &uri);
		TEST_ERR_EQ(0, cpim_addr(&in, NULL, &uri));
	}
	for (size_t i = 0; bad[i]; i++) {
		struct pl in;

		pl_set_str(&in, bad[i]);
		name = PL("untouched");
		err = cpim_addr(&in, &name, &uri);
		if (err != EBADMSG)
			test_fail(__FILE__, __LINE__, "case %zu", i);
		TEST_EQ(EBADMSG, err);
		TEST_PL_EQ("untouched", &name);
	}
	TEST_ERR_EQ(EBADMSG, cpim_addr(&pl_null, &name, &uri));
	TEST_ERR_EQ(EINVAL, cpim_addr(NULL, &name, &uri));
	err = 0;
out:
	return err;
}

TEST(test_cpim_build)
{
	static const char want[] =
	    "From: \"Alice\" <sip:alice@example.com>\r\n"
	    "To: <sip:bob@example.net>\r\n"
	    "DateTime: 2023-11-14T22:13:20.123Z\r\n"
	    "NS: imdn <urn:ietf:params:imdn>\r\n"
	    "imdn.Message-ID: 7a8b9c\r\n"
	    "imdn.Disposition-Notification: positive-delivery, display\r\n"
	    "\r\n"
	    "Content-Type: text/plain;charset=utf-8\r\n"
	    "\r\n"
	    "hello";
	static const char want2[] = "From: <sip:a@b>\r\n"
	                            "To: <sip:c@d>\r\n"
	                            "DateTime: 1970-01-01T00:00:00.000Z\r\n"
	                            "\r\n"
	                            "Content-Type: message/imdn+xml\r\n"
	                            "Content-Disposition: notification\r\n"
	                            "\r\n";
	struct cpim_wrap w = {
	    .from_name = "Alice",
	    .from_uri = "sip:alice@example.com",
	    .to_uri = "sip:bob@example.net",
	    .datetime_ms = 1700000000123ULL,
	    .imdn_id = "7a8b9c",
	    .imdn_disp = "positive-delivery, display",
	    .ctype = "text/plain;charset=utf-8",
	    .body = "hello",
	    .len = 5,
	};
	struct buf *mb = NULL;
	int err;

	err = cpim_build(&mb, &w);
	TEST_ERR(err);
	TEST_EQ(sizeof(want) - 1, mb->end);
	TEST_ASSERT(!memcmp(mb->b, want, mb->end));
	mb = mem_deref(mb);

	/* no display name, no IMDN, extra headers without their CRLF, no
	 * body */
	w = (struct cpim_wrap){
	    .from_uri = "sip:a@b",
	    .to_uri = "sip:c@d",
	    .ctype = IMDN_CTYPE,
	    .extra_content_hdrs = "Content-Disposition: notification",
	};
	err = cpim_build(&mb, &w);
	TEST_ERR(err);
	TEST_EQ(sizeof(want2) - 1, mb->end);
	TEST_ASSERT(!memcmp(mb->b, want2, mb->end));
	mb = mem_deref(mb);
	w.extra_content_hdrs = "Content-Disposition: notification\r\n";
	w.from_name = "";
	err = cpim_build(&mb, &w);
	TEST_ERR(err);
	TEST_EQ(sizeof(want2) - 1, mb->end);
	TEST_ASSERT(!memcmp(mb->b, want2, mb->end));
out:
	mem_deref(mb);
	return err;
}

/* build, then parse: the same fields and the same bytes */
TEST(test_cpim_roundtrip)
{
	static const char body[] = "\0bin\r\n\r\nFrom: x\r\n--b\r\n\0\n\r";
	struct cpim_wrap w = {
	    .from_name = "Al \"the\" \\ B",
	    .from_uri = "sip:al@example.com;transport=tcp",
	    .to_uri = "sips:bo@example.net",
	    .datetime_ms = 1709208000007ULL,
	    .imdn_id = "id-1",
	    .imdn_disp = "negative-delivery",
	    .ctype = "application/octet-stream",
	    .extra_content_hdrs = "Content-ID: <c1@x>\r\n"
	                          "X-Folded: a\r\n b\r\n",
	    .body = body,
	    .len = sizeof(body) - 1,
	};
	struct buf *mb = NULL;
	struct cpim c;
	struct pl name, uri;
	const struct pl *v;
	uint64_t ms = 0;
	int err;

	err = cpim_build(&mb, &w);
	TEST_ERR(err);
	err = cpim_parse(&c, (const char *)mb->b, mb->end, NULL);
	TEST_ERR(err);
	TEST_EQ(6, c.nf);
	v = cpim_field(&c, NULL, "From");
	TEST_ASSERT(v != NULL);
	TEST_PL_EQ(
	    "\"Al \\\"the\\\" \\\\ B\" <sip:al@example.com;transport=tcp>", v);
	TEST_ERR(cpim_addr(v, &name, &uri));
	TEST_PL_EQ("Al \\\"the\\\" \\\\ B", &name);
	TEST_PL_EQ("sip:al@example.com;transport=tcp", &uri);
	v = cpim_field(&c, NULL, "To");
	TEST_ASSERT(v != NULL);
	TEST_ERR(cpim_addr(v, NULL, &uri));
	TEST_PL_EQ("sips:bo@example.net", &uri);
	v = cpim_field(&c, NULL, "DateTime");
	TEST_ASSERT(v != NULL);
	TEST_PL_EQ("2024-02-29T12:00:00.007Z", v);
	TEST_ERR(cpim_datetime_parse(v, &ms));
	TEST_EQ(w.datetime_ms, ms);
	v = cpim_field(&c, IMDN_NS_URI, "Message-ID");
	TEST_ASSERT(v != NULL);
	TEST_PL_EQ("id-1", v);
	v = cpim_field(&c, IMDN_NS_URI, "Disposition-Notification");
	TEST_ASSERT(v != NULL);
	TEST_EQ(IMDN_NEGATIVE_DELIVERY, imdn_disp_parse(v));
	TEST_PL_EQ("application/octet-stream", &c.ctype);
	TEST_ERR(mime_hdr(&c.content_hdrs, "Content-ID", &name));
	TEST_PL_EQ("<c1@x>", &name);
	TEST_ERR(mime_hdr(&c.content_hdrs, "X-Folded", &name));
	TEST_PL_EQ("a\r\n b", &name);
	TEST_EQ(sizeof(body) - 1, c.body.l);
	TEST_ASSERT(!memcmp(c.body.p, body, sizeof(body) - 1));
out:
	mem_deref(mb);
	return err;
}

TEST(test_cpim_build_errors)
{
	static const char unfolded[] =
	    "From: \"Al\tPal  \\\"Q\\\"\" <sip:a@b>\r\n";
	const struct cpim_wrap ok = {
	    .from_uri = "sip:a@b",
	    .to_uri = "sip:c@d",
	    .ctype = "text/plain",
	    .body = "x",
	    .len = 1,
	};
	struct cpim_wrap w;
	struct buf *mb = NULL;
	int err = 0;

#define BAD(field, val)                                                        \
	do {                                                                   \
		w = ok;                                                        \
		w.field = val;                                                 \
		TEST_ERR_EQ(EINVAL, cpim_build(&mb, &w));                      \
		TEST_ASSERT(mb == NULL);                                       \
	} while (0)

	BAD(from_uri, NULL);
	BAD(from_uri, "");
	BAD(from_uri, "sip:a@b>");
	BAD(from_uri, "<sip:a@b");
	BAD(to_uri, NULL);
	BAD(to_uri, "sip:c@d\r\nX: y");
	BAD(to_uri, "sip:c@d\n");
	BAD(to_uri, " ");
	BAD(to_uri, "sip:c d@e");
	BAD(from_uri, "sip:a@b\t");
	BAD(from_name, "Al\r\nX: y");
	BAD(from_name, "Al\n Pal");
	BAD(from_name, "Al\r Pal");
	BAD(from_name, "Al\r\n");
	BAD(imdn_id, "");
	BAD(imdn_id, "a\nb");
	BAD(imdn_disp, "display"); /* without imdn_id */
	BAD(ctype, NULL);
	BAD(ctype, "");
	BAD(ctype, "text/plain\r\n\r\nboo");
	BAD(extra_content_hdrs, "A: b\r\n\r\nC: d");
	BAD(extra_content_hdrs, "\r\nA: b");
	BAD(extra_content_hdrs, " A: b");
	BAD(extra_content_hdrs, "A b\r\n");
	BAD(extra_content_hdrs, ": b\r\n");
	BAD(datetime_ms, 253402300800000ULL);
	BAD(body, NULL);
	TEST_ERR_EQ(EINVAL, cpim_build(NULL, &ok));
	TEST_ERR_EQ(EINVAL, cpim_build(&mb, NULL));
#undef BAD
	w = ok;
	w.imdn_id = "x";
	w.imdn_disp = "display";
	err = cpim_build(&mb, &w);
	TEST_ERR(err);
	mb = mem_deref(mb);
	/* a folded display name is unfolded */
	w = ok;
	w.from_name = "Al\r\n\tPal\r\n  \"Q\"";
	err = cpim_build(&mb, &w);
	TEST_ERR(err);
	TEST_ASSERT(mb->end > sizeof(unfolded) - 1);
	TEST_ASSERT(!memcmp(mb->b, unfolded, sizeof(unfolded) - 1));
out:
	mem_deref(mb);
	return err;
}

TEST(test_cpim_datetime)
{
	static const struct {
		uint64_t ms;
		const char *s;
	} print[] = {
	    {0, "1970-01-01T00:00:00.000Z"},
	    {1700000000123ULL, "2023-11-14T22:13:20.123Z"},
	    {1709208000000ULL, "2024-02-29T12:00:00.000Z"},
	    {951782400000ULL, "2000-02-29T00:00:00.000Z"},
	    {4107542400000ULL, "2100-03-01T00:00:00.000Z"},
	    {4107542399999ULL, "2100-02-28T23:59:59.999Z"},
	    {253402300799999ULL, "9999-12-31T23:59:59.999Z"},
	};
	static const struct {
		const char *s;
		uint64_t ms;
	} parse[] = {
	    {"2023-11-14T22:13:20.123Z", 1700000000123ULL},
	    {"2023-11-14t23:13:20.1239999+01:00", 1700000000123ULL},
	    {"2023-11-14T17:13:20.12-05:00", 1700000000120ULL},
	    {"2023-11-14T22:13:20z", 1700000000000ULL},
	    {"2023-11-14T22:13:20.5Z", 1700000000500ULL},
	    {" 2023-11-14T22:13:20+00:00 ", 1700000000000ULL},
	    {"2023-11-15T03:43:20+05:30", 1700000000000ULL},
	    {"1970-01-01T00:00:00Z", 0},
	    {"1969-12-31T23:30:00-01:00", 1800000ULL},
	    {"2016-12-31T23:59:60Z", 1483228800000ULL}, /* leap second */
	    {"2000-02-29T00:00:00Z", 951782400000ULL},
	};
	static const char *const bad[] = {
	    "2023-13-01T00:00:00Z",
	    "2023-00-01T00:00:00Z",
	    "2023-02-29T00:00:00Z",
	    "2024-02-30T00:00:00Z",
	    "2100-02-29T00:00:00Z",
	    "2023-04-31T00:00:00Z",
	    "2023-01-00T00:00:00Z",
	    "2023-01-01T24:00:00Z",
	    "2023-01-01T23:60:00Z",
	    "2023-01-01T23:59:61Z",
	    "2023-01-01T00:00:00",
	    "2023-01-01 00:00:00Z",
	    "2023-01-01T00:00:00.Z",
	    "2023-01-01T00:00:00+24:00",
	    "2023-01-01T00:00:00+01:60",
	    "2023-01-01T00:00:00+0100",
	    "2023-1-01T00:00:00Z",
	    "23-01-01T00:00:00Z",
	    "2023-01-01T00:00:00Zx",
	    "2023-01-01T00:00:00ZZ",
	    "1970-01-01T00:30:00+01:00",
	    "1969-12-31T23:59:59Z",
	    "0000-01-01T00:00:00Z",
	    "",
	    "2023-01-01",
	    "x023-01-01T00:00:00Z",
	    NULL,
	};
	char buf[32];
	uint64_t ms;
	int err = 0;

	for (size_t i = 0; i < sizeof(print) / sizeof(print[0]); i++) {
		struct pl s;

		TEST_ERR_EQ(0,
		            cpim_datetime_print(buf, sizeof(buf), print[i].ms));
		TEST_STR_EQ(print[i].s, buf);
		pl_set_str(&s, buf);
		TEST_ERR_EQ(0, cpim_datetime_parse(&s, &ms));
		TEST_EQ(print[i].ms, ms);
	}
	for (size_t i = 0; i < sizeof(parse) / sizeof(parse[0]); i++) {
		struct pl s;

		pl_set_str(&s, parse[i].s);
		ms = 1;
		err = cpim_datetime_parse(&s, &ms);
		if (err)
			test_fail(__FILE__, __LINE__, "case %zu", i);
		TEST_ERR_EQ(0, err);
		TEST_EQ(parse[i].ms, ms);
	}
	for (size_t i = 0; bad[i]; i++) {
		struct pl s;

		pl_set_str(&s, bad[i]);
		ms = 42;
		err = cpim_datetime_parse(&s, &ms);
		if (err != EINVAL)
			test_fail(__FILE__, __LINE__, "case %s", bad[i]);
		TEST_EQ(EINVAL, err);
		TEST_EQ(42, ms);
	}
	TEST_ERR_EQ(EINVAL, cpim_datetime_parse(&pl_null, &ms));
	TEST_ERR_EQ(EINVAL, cpim_datetime_print(buf, 24, 0));
	TEST_ERR_EQ(0, cpim_datetime_print(buf, 25, 0));
	TEST_ERR_EQ(EINVAL, cpim_datetime_print(NULL, 32, 0));
	TEST_ERR_EQ(EINVAL,
	            cpim_datetime_print(buf, sizeof(buf), 253402300800000ULL));
	err = 0;
out:
	return err;
}
