/* tests/unit/im/test_mime.c - media types, multipart bodies (RFC 2046
 * 5.1.1), headers inside body parts */
#include <string.h>

#include "base/mem.h"
#include "im/mime.h"
#include "test.h"

/* A slice of a literal that may hold NULs. */
#define PLB(s) ((struct pl){(s), sizeof(s) - 1})

static bool pl_eq_mem(const struct pl *pl, const char *p, size_t l)
{
	return pl->l == l && (!l || !memcmp(pl->p, p, l));
}

TEST(test_mime_type)
{
	struct mime_type t;
	struct pl v;
	int err = 0;

	err = mime_type_parse(&t, &PL("multipart/mixed;boundary=x"));
	TEST_ERR(err);
	TEST_PL_EQ("multipart", &t.type);
	TEST_PL_EQ("mixed", &t.subtype);
	TEST_PL_EQ(";boundary=x", &t.params);
	TEST_ASSERT(mime_type_is(&t, "multipart/mixed"));
	TEST_ASSERT(mime_type_is(&t, "Multipart/MIXED"));
	TEST_ASSERT(mime_type_is(&t, "multipart/*"));
	TEST_ASSERT(mime_type_is(&t, "*/*"));
	TEST_ASSERT(!mime_type_is(&t, "multipart/related"));
	TEST_ASSERT(!mime_type_is(&t, "text/*"));
	TEST_ASSERT(mime_type_is(&t, "*/mixed"));
	TEST_ASSERT(!mime_type_is(&t, "*/related"));
	TEST_ASSERT(!mime_type_is(&t, "multipart"));
	TEST_ASSERT(!mime_type_is(&t, "multipart/"));
	TEST_ASSERT(!mime_type_is(&t, "/mixed"));
	TEST_ERR_EQ(0, mime_param(&t, "boundary", &v));
	TEST_PL_EQ("x", &v);

	/* white space, case, quoted values, several parameters */
	err = mime_type_parse(&t, &PL(" Text/Plain ; charset=\"utf-8\" ;"
	                              "FORMAT = flowed\t"));
	TEST_ERR(err);
	TEST_PL_EQ("Text", &t.type);
	TEST_PL_EQ("Plain", &t.subtype);
	TEST_PL_EQ("; charset=\"utf-8\" ;FORMAT = flowed", &t.params);
	TEST_ASSERT(mime_type_is(&t, "text/plain"));
	TEST_ERR_EQ(0, mime_param(&t, "charset", &v));
	TEST_PL_EQ("utf-8", &v);
	TEST_ERR_EQ(0, mime_param(&t, "format", &v));
	TEST_PL_EQ("flowed", &v);
	TEST_ERR_EQ(ENOENT, mime_param(&t, "boundary", &v));
	TEST_ERR_EQ(ENOENT, mime_param(&t, "charse", &v));

	/* a quoted value keeps its escapes; ';' inside quotes is no break */
	err = mime_type_parse(&t, &PL("multipart/related;a=\"x\\\"y;z\";"
	                              "boundary=\"--=_b 1\";type=\"a/b\""));
	TEST_ERR(err);
	TEST_ERR_EQ(0, mime_param(&t, "a", &v));
	TEST_PL_EQ("x\\\"y;z", &v);
	TEST_ERR_EQ(0, mime_param(&t, "boundary", &v));
	TEST_PL_EQ("--=_b 1", &v);
	TEST_ERR_EQ(0, mime_param(&t, "type", &v));
	TEST_PL_EQ("a/b", &v);

	/* no parameters */
	err = mime_type_parse(&t, &PL("message/cpim"));
	TEST_ERR(err);
	TEST_EQ(0, t.params.l);
	TEST_ERR_EQ(ENOENT, mime_param(&t, "boundary", &v));

	/* an unterminated quote or a broken list hides what follows */
	err = mime_type_parse(&t, &PL("text/plain;a=\"open;boundary=b"));
	TEST_ERR(err);
	TEST_ERR_EQ(ENOENT, mime_param(&t, "boundary", &v));
	err = mime_type_parse(&t, &PL("text/plain;a;boundary=b"));
	TEST_ERR(err);
	TEST_ERR_EQ(ENOENT, mime_param(&t, "boundary", &v));

	/* not a type/subtype pair */
	TEST_ERR_EQ(EBADMSG, mime_type_parse(&t, &PL("text")));
	TEST_ERR_EQ(EBADMSG, mime_type_parse(&t, &PL("/plain")));
	TEST_ERR_EQ(EBADMSG, mime_type_parse(&t, &PL("text/")));
	TEST_ERR_EQ(EBADMSG, mime_type_parse(&t, &PL("text/plain junk")));
	TEST_ERR_EQ(EBADMSG, mime_type_parse(&t, &PL("te xt/plain")));
	TEST_ERR_EQ(EBADMSG, mime_type_parse(&t, &PL("text/pl@in")));
	TEST_ERR_EQ(EBADMSG, mime_type_parse(&t, &PL("  ")));
	TEST_ERR_EQ(EBADMSG, mime_type_parse(&t, &pl_null));
	TEST_ERR_EQ(EINVAL, mime_type_parse(NULL, &PL("a/b")));
	err = 0;
out:
	return err;
}

TEST(test_mime_hdr)
{
	const struct pl h = PL("Content-Type: text/plain\r\n"
	                       "X-Folded: one\r\n"
	                       "\ttwo\r\n"
	                       "Content-ID : <a@b> \r\n"
	                       "broken line\r\n"
	                       "Empty:\r\n"
	                       "Content-Disposition: render\n");
	struct pl v;
	int err = 0;

	TEST_ERR_EQ(0, mime_hdr(&h, "content-type", &v));
	TEST_PL_EQ("text/plain", &v);
	TEST_ERR_EQ(0, mime_hdr(&h, "X-FOLDED", &v));
	TEST_PL_EQ("one\r\n\ttwo", &v);
	TEST_ERR_EQ(0, mime_hdr(&h, "Content-ID", &v));
	TEST_PL_EQ("<a@b>", &v);
	TEST_ERR_EQ(0, mime_hdr(&h, "Empty", &v));
	TEST_PL_EQ("", &v);
	TEST_ERR_EQ(0, mime_hdr(&h, "Content-Disposition", &v));
	TEST_PL_EQ("render", &v);
	TEST_ERR_EQ(ENOENT, mime_hdr(&h, "Content", &v));
	TEST_ERR_EQ(ENOENT, mime_hdr(&h, "broken line", &v));
	TEST_ERR_EQ(ENOENT, mime_hdr(&h, "two", &v));
	TEST_ERR_EQ(ENOENT, mime_hdr(&pl_null, "Content-Type", &v));
	TEST_ERR_EQ(EINVAL, mime_hdr(&h, NULL, &v));
	err = 0;
out:
	return err;
}

/* A URI-list MESSAGE body (RFC 5365): the message and the recipients. */
TEST(test_mime_multipart_urilist)
{
	static const char body[] =
	    "--b-42\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "Lunch at noon?\r\n"
	    "--b-42\r\n"
	    "Content-Type: application/resource-lists+xml\r\n"
	    "Content-Disposition: recipient-list\r\n"
	    "\r\n"
	    "<resource-lists/>\r\n"
	    "--b-42--\r\n";
	struct mime_part p[MIME_MAX_PARTS];
	const char *why = NULL;
	uint32_t n = 0;
	int err;

	err = mime_multipart(&PL("b-42"), body, sizeof(body) - 1, p,
	                     MIME_MAX_PARTS, &n, &why);
	TEST_ERR(err);
	TEST_ASSERT(why == NULL);
	TEST_EQ(2, n);
	TEST_PL_EQ("Content-Type: text/plain\r\n", &p[0].hdrs);
	TEST_PL_EQ("text/plain", &p[0].ctype);
	TEST_PL_EQ("", &p[0].disposition);
	TEST_PL_EQ("Lunch at noon?", &p[0].body);
	TEST_PL_EQ("Content-Type: application/resource-lists+xml\r\n"
	           "Content-Disposition: recipient-list\r\n",
	           &p[1].hdrs);
	TEST_PL_EQ("application/resource-lists+xml", &p[1].ctype);
	TEST_PL_EQ("recipient-list", &p[1].disposition);
	TEST_PL_EQ("<resource-lists/>", &p[1].body);
	/* slices point into the body */
	TEST_ASSERT(p[1].body.p > body && p[1].body.p < body + sizeof(body));
out:
	return err;
}

TEST(test_mime_multipart_framing)
{
	/* preamble, padding after delimiters, a line that only starts
	 * with the boundary, a body that ends in CRLF, epilogue */
	static const char b1[] = "This is the preamble.\r\n"
	                         "--xyz \t\r\n"
	                         "\r\n"
	                         "no headers\r\n"
	                         "--xyzzy is not a delimiter\r\n"
	                         "and -- xyz neither\r\n"
	                         "\r\n"
	                         "--xyz\r\n"
	                         "Content-Type: text/x\r\n"
	                         "\r\n"
	                         "ends in CRLF\r\n"
	                         "\r\n"
	                         "--xyz-- \r\n"
	                         "the epilogue\r\n"
	                         "--xyz\r\n";
	/* LF line ends, a binary body with NUL and "--xyz" mid-line */
	static const char b2[] = "--xyz\n"
	                         "Content-Type: application/octet-stream\n"
	                         "\n"
	                         "\0\r\n--xy\r--xyz\0\n"
	                         "--xyz\n"
	                         "Content-Type: a/b\n"
	                         "\n"
	                         "--xyz--";
	/* empty part, part with headers only, part without headers */
	static const char b3[] = "--xyz\r\n"
	                         "\r\n"
	                         "--xyz\r\n"
	                         "Content-Type: a/b\r\n"
	                         "\r\n"
	                         "--xyz\r\n"
	                         "\r\n"
	                         "x\r\n"
	                         "--xyz--";
	static const char bin[] = "\0\r\n--xy\r--xyz\0";
	struct mime_part p[4];
	const char *why = NULL;
	uint32_t n = 0;
	int err;

	err = mime_multipart(&PL("xyz"), b1, sizeof(b1) - 1, p, 4, &n, &why);
	TEST_ERR(err);
	TEST_EQ(2, n);
	TEST_EQ(0, p[0].hdrs.l);
	TEST_ASSERT(p[0].hdrs.p == b1 + 32);
	TEST_PL_EQ("", &p[0].ctype);
	TEST_PL_EQ("no headers\r\n--xyzzy is not a delimiter\r\n"
	           "and -- xyz neither\r\n",
	           &p[0].body);
	TEST_PL_EQ("text/x", &p[1].ctype);
	TEST_PL_EQ("ends in CRLF\r\n", &p[1].body);

	err = mime_multipart(&PL("xyz"), b2, sizeof(b2) - 1, p, 4, &n, &why);
	TEST_ERR(err);
	TEST_EQ(2, n);
	TEST_PL_EQ("application/octet-stream", &p[0].ctype);
	TEST_ASSERT(pl_eq_mem(&p[0].body, bin, sizeof(bin) - 1));
	TEST_PL_EQ("Content-Type: a/b\n", &p[1].hdrs);
	TEST_PL_EQ("", &p[1].body);

	err = mime_multipart(&PL("xyz"), b3, sizeof(b3) - 1, p, 4, &n, &why);
	TEST_ERR(err);
	TEST_EQ(3, n);
	TEST_PL_EQ("", &p[0].hdrs);
	TEST_PL_EQ("", &p[0].body);
	TEST_PL_EQ("Content-Type: a/b\r\n", &p[1].hdrs);
	TEST_PL_EQ("a/b", &p[1].ctype);
	TEST_PL_EQ("", &p[1].body);
	TEST_PL_EQ("", &p[2].hdrs);
	TEST_PL_EQ("x", &p[2].body);

	/* a boundary of 70 characters is fine */
	{
		static const char b70[] =
		    "--0123456789012345678901234567890123456789012345678901"
		    "234567890123456789\r\n\r\nx\r\n"
		    "--0123456789012345678901234567890123456789012345678901"
		    "234567890123456789--";

		err = mime_multipart(
		    &PL("0123456789012345678901234567890123456789012345678901"
		        "234567890123456789"),
		    b70, sizeof(b70) - 1, p, 4, &n, &why);
		TEST_ERR(err);
		TEST_EQ(1, n);
		TEST_PL_EQ("x", &p[0].body);
	}
out:
	return err;
}

struct bad {
	const char *boundary;
	const char *body;
	int err;
	const char *why;
};

TEST(test_mime_multipart_errors)
{
	static const struct bad bad[] = {
	    {NULL, "--b\r\n\r\nx\r\n--b--", EBADMSG, "missing boundary"},
	    {"", "--\r\n\r\nx\r\n----", EBADMSG, "missing boundary"},
	    {"012345678901234567890123456789012345678901234567890123456789"
	     "01234567890",
	     "", EBADMSG, "boundary longer than 70 characters"},
	    {"b", "", EBADMSG, "no opening delimiter"},
	    {"b", "hello\r\n", EBADMSG, "no opening delimiter"},
	    {"b", "x--b\r\n\r\nx\r\n--b--", EBADMSG,
	     "close delimiter before the first body part"},
	    {"b", "--bb\r\n\r\nx\r\n--bb--", EBADMSG, "no opening delimiter"},
	    {"b", "--b--\r\n", EBADMSG,
	     "close delimiter before the first body part"},
	    {"b", "--b\r\n\r\nx\r\n", EBADMSG, "no close delimiter"},
	    {"b", "--b\r\n\r\nx\r\n--c--", EBADMSG, "no close delimiter"},
	    {"b", "--b\r\n\r\nx", EBADMSG, "no close delimiter"},
	    {"b", "--b\r\nContent-Type: a/b\r\n--b--", EBADMSG,
	     "body part without blank line after its headers"},
	    {"b", "--b\r\nhello\r\n\r\nx\r\n--b--", EBADMSG,
	     "body part header line without colon"},
	    {"b", "--b\r\n folded\r\n\r\nx\r\n--b--", EBADMSG,
	     "body part header starts with a continuation line"},
	    {"b", "--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b\r\n\r\n3\r\n--b--",
	     E2BIG, "too many body parts"},
	};
	struct mime_part p[2];
	uint32_t n = 77;
	int err = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pl b, *bp = NULL;
		const char *why = NULL;

		if (bad[i].boundary) {
			pl_set_str(&b, bad[i].boundary);
			bp = &b;
		}
		err = mime_multipart(bp, bad[i].body, strlen(bad[i].body), p, 2,
		                     &n, &why);
		if (err != bad[i].err)
			test_fail(__FILE__, __LINE__, "case %zu: err %d", i,
			          err);
		TEST_EQ(bad[i].err, err);
		TEST_ASSERT(why != NULL);
		TEST_STR_EQ(bad[i].why, why);
		TEST_EQ(77, n); /* untouched on error */
	}
	TEST_ERR_EQ(EINVAL,
	            mime_multipart(&PL("b"), "--b", 3, NULL, 1, &n, NULL));
	TEST_ERR_EQ(EINVAL, mime_multipart(&PL("b"), NULL, 3, p, 1, &n, NULL));
	/* why is optional */
	TEST_ERR_EQ(EBADMSG, mime_multipart(&PL("b"), "x", 1, p, 1, &n, NULL));
	err = 0;
out:
	return err;
}

/* Every prefix of a valid body, in an allocation of exactly its size:
 * AddressSanitizer reports any read past the end. */
TEST(test_mime_multipart_truncated)
{
	static const char body[] = "pre\r\n--bb \r\n"
	                           "Content-Type: a/b\r\n"
	                           " ;x=y\r\n"
	                           "\r\n"
	                           "one\r\n"
	                           "--bb\n"
	                           "\n"
	                           "two\n"
	                           "--bb--\r\n";
	struct mime_part p[4];
	int err = 0;

	for (size_t l = 0; l < sizeof(body); l++) {
		char *b = mem_alloc(l ? l : 1, NULL);
		const char *why = NULL;
		uint32_t n = 0;
		int e;

		if (!b) {
			err = ENOMEM;
			goto out;
		}
		memcpy(b, body, l);
		e = mime_multipart(&PL("bb"), b, l, p, 4, &n, &why);
		mem_deref(b);
		if (l < sizeof(body) - 3) {
			TEST_ERR_EQ(EBADMSG, e);
			TEST_ASSERT(why != NULL);
		} else {
			TEST_ERR_EQ(0, e);
			TEST_EQ(2, n);
		}
	}
out:
	return err;
}
