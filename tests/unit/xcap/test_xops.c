/* tests/unit/xcap/test_xops.c - XCAP operations on a document (RFC 4825
 * 7, 8, 10, 11) */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "test.h"
#include "xcap/xops.h"
#include "xcap/xsel.h"

#define RLNS  "urn:ietf:params:xml:ns:resource-lists"
#define XD    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define ROOT  "http://xcap.example.com/xcap/resource-lists/users/sip:a@b/index"
#define DIR   "http://xcap.example.com/xcap/resource-lists/users/sip:a@b/"
#define EHEAD XD "<xcap-error xmlns=\"urn:ietf:params:xml:ns:xcap-error\">\n"

/* The stored document most tests work on. */
#define DOC_HEAD XD "<resource-lists xmlns=\"" RLNS "\" xmlns:x=\"urn:x\">\n"
#define LIST_A                                                                 \
	"  <list name=\"a\">\n"                                                \
	"    <entry uri=\"sip:1@x\"/>\n"                                       \
	"    <entry uri=\"sip:2@x\"/>\n"                                       \
	"    <external anchor=\"http://e/x?a=1&amp;b=2\"/>\n"                  \
	"  </list>\n"
#define LIST_B   "  <list name=\"b\"/>\n"
#define DOC_TAIL "</resource-lists>\n"
static const char doc1[] = DOC_HEAD LIST_A LIST_B DOC_TAIL;

#define TEST_BUF_EQ(expected, mb)                                              \
	do {                                                                   \
		const struct buf *tb_ = (mb);                                  \
		const char *te_ = (expected);                                  \
		if (!tb_ || tb_->end != strlen(te_) ||                         \
		    memcmp(tb_->b, te_, tb_->end)) {                           \
			test_fail(__FILE__, __LINE__,                          \
			          "%s: expected\n\"%s\", got\n\"%.*s\"", #mb,  \
			          te_, tb_ ? (int)tb_->end : 6,                \
			          tb_ ? (const char *)tb_->b : "(null)");      \
			err = EINVAL;                                          \
			goto out;                                              \
		}                                                              \
	} while (0)

/* A selector for a test; a parse failure is the test's own bug (EPROTO
 * so that it cannot pass for an expected EINVAL). */
static int sel_parse(struct xsel **sp, const char *sel, const char *query)
{
	char msg[128];
	int err;

	*sp = NULL;
	if (!sel)
		return 0;
	err = xsel_parse(sp, sel, query, msg, sizeof(msg));
	if (err && err != ENOMEM) {
		fprintf(stderr, "    selector %s: %s\n", sel, msg);
		return EPROTO;
	}
	return err;
}

static int get(struct xcap_got *g, const char *doc, const char *sel,
               const char *query, struct xcap_err *e)
{
	struct xsel *s = NULL;
	int err = sel_parse(&s, sel, query);

	if (!err)
		err = xcap_get(g, doc, doc ? strlen(doc) : 0, s, RLNS, e);
	mem_deref(s);
	return err;
}

static int put_q(struct buf **nd, bool *cr, const char *doc, const char *sel,
                 const char *query, const char *body, struct xcap_err *e)
{
	struct xsel *s = NULL;
	int err = sel_parse(&s, sel, query);

	if (!err)
		err = xcap_put(nd, cr, doc, doc ? strlen(doc) : 0, s, body,
		               body ? strlen(body) : 0, RLNS, e);
	mem_deref(s);
	return err;
}

static int put(struct buf **nd, bool *cr, const char *doc, const char *sel,
               const char *body, struct xcap_err *e)
{
	return put_q(nd, cr, doc, sel, NULL, body, e);
}

static int del(struct buf **nd, const char *doc, const char *sel,
               struct xcap_err *e)
{
	struct xsel *s = NULL;
	int err = sel_parse(&s, sel, NULL);

	if (!err)
		err = xcap_delete(nd, doc, doc ? strlen(doc) : 0, s, RLNS, e);
	mem_deref(s);
	return err;
}

/* An expected 409 (or plain HTTP) failure: code, status, phrase start. */
#define TEST_XERR(code_, status_, phrase_, e)                                  \
	do {                                                                   \
		TEST_EQ((code_), (e).code);                                    \
		TEST_EQ((status_), (e).status);                                \
		TEST_ASSERT((e).phrase);                                       \
		if (strncmp((e).phrase, (phrase_), strlen(phrase_))) {         \
			test_fail(__FILE__, __LINE__,                          \
			          "phrase \"%s\" does not start with \"%s\"",  \
			          (e).phrase, (phrase_));                      \
			err = EINVAL;                                          \
			goto out;                                              \
		}                                                              \
	} while (0)

/* --- error bodies --- */

TEST(test_xops_err_set)
{
	struct xcap_err e = {0};
	int err = 0;

	TEST_ERR_EQ(EINVAL, xcap_err_set(&e, XE_CANNOT_INSERT, 0, "pos %d", 4));
	TEST_EQ(XE_CANNOT_INSERT, e.code);
	TEST_EQ(409, e.status);
	TEST_STR_EQ("pos 4", e.phrase);
	TEST_ERR_EQ(EIO, xcap_err_set(&e, XE_HTTP, 500, "store down"));
	TEST_EQ(XE_HTTP, e.code);
	TEST_EQ(500, e.status);
	TEST_STR_EQ("store down", e.phrase);
	TEST_ERR_EQ(EINVAL, xcap_err_set(&e, XE_HTTP, 404, "gone"));
	TEST_EQ(404, e.status);
	xcap_err_reset(&e);
	TEST_EQ(XE_NONE, e.code);
	TEST_ASSERT(e.phrase == NULL);
	/* a plain HTTP code has no xcap-error body */
	TEST_ERR_EQ(EINVAL, xcap_err_set(&e, XE_HTTP, 404, "gone"));
	{
		struct buf *mb = NULL;

		TEST_ERR_EQ(EINVAL, xcap_err_body(&mb, &e, ROOT, DIR));
		TEST_ASSERT(mb == NULL);
	}
out:
	xcap_err_reset(&e);
	return err;
}

TEST(test_xops_err_body_no_parent)
{
	static const char sel[] = "resource-lists/list%5b@name=%22a%22%5d";
	struct xcap_err e = {0};
	struct buf *mb = NULL;
	int err = 0;

	TEST_ERR_EQ(EINVAL, xcap_err_set(&e, XE_NO_PARENT, 409, "no list"));
	err = mem_strdup(&e.ancestor, sel);
	TEST_ERR(err);
	err = xcap_err_body(&mb, &e, ROOT, DIR);
	TEST_ERR(err);
	TEST_BUF_EQ(EHEAD "  <no-parent phrase=\"no list\">\n"
	                  "    <ancestor>" ROOT "/~~/"
	                  "resource-lists/list%5b@name=%22a%22%5d"
	                  "</ancestor>\n"
	                  "  </no-parent>\n"
	                  "</xcap-error>\n",
	            mb);
	mb = mem_deref(mb);

	/* "": the document itself */
	e.ancestor[0] = '\0';
	err = xcap_err_body(&mb, &e, ROOT, DIR);
	TEST_ERR(err);
	TEST_BUF_EQ(EHEAD "  <no-parent phrase=\"no list\">\n"
	                  "    <ancestor>" ROOT "</ancestor>\n"
	                  "  </no-parent>\n"
	                  "</xcap-error>\n",
	            mb);
	mb = mem_deref(mb);

	/* NULL: no document, the user's directory */
	e.ancestor = mem_deref(e.ancestor);
	err = xcap_err_body(&mb, &e, ROOT, DIR);
	TEST_ERR(err);
	TEST_BUF_EQ(EHEAD "  <no-parent phrase=\"no list\">\n"
	                  "    <ancestor>" DIR "</ancestor>\n"
	                  "  </no-parent>\n"
	                  "</xcap-error>\n",
	            mb);
	mb = mem_deref(mb);

	/* no URI to name */
	err = xcap_err_body(&mb, &e, ROOT, NULL);
	TEST_ERR(err);
	TEST_BUF_EQ(EHEAD "  <no-parent phrase=\"no list\"/>\n"
	                  "</xcap-error>\n",
	            mb);
out:
	mem_deref(mb);
	xcap_err_reset(&e);
	return err;
}

TEST(test_xops_err_body_uniqueness)
{
	struct xcap_err e = {0};
	struct buf *mb = NULL;
	int err = 0;

	TEST_ERR_EQ(EINVAL, xcap_err_set(&e, XE_UNIQUENESS_FAILURE, 409,
	                                 "service URI taken"));
	err = mem_strdup(&e.field, "rls-services/service/@uri");
	TEST_ERR(err);
	e.alt = mem_zalloc(2 * sizeof(*e.alt), NULL);
	if (!e.alt) {
		err = ENOMEM;
		goto out;
	}
	e.nalt = 2;
	err = mem_strdup(&e.alt[0], "sip:a-1@example.com");
	TEST_ERR(err);
	err = mem_strdup(&e.alt[1], "sip:a-2@example.com");
	TEST_ERR(err);
	err = xcap_err_body(&mb, &e, ROOT, DIR);
	TEST_ERR(err);
	TEST_BUF_EQ(EHEAD
	            "  <uniqueness-failure phrase=\"service URI taken\">\n"
	            "    <exists field=\"rls-services/service/@uri\">\n"
	            "      <alt-value>sip:a-1@example.com</alt-value>\n"
	            "      <alt-value>sip:a-2@example.com</alt-value>\n"
	            "    </exists>\n"
	            "  </uniqueness-failure>\n"
	            "</xcap-error>\n",
	            mb);
	mb = mem_deref(mb);

	/* no alternatives */
	for (uint32_t i = 0; i < e.nalt; i++)
		e.alt[i] = mem_deref(e.alt[i]);
	e.nalt = 0;
	err = xcap_err_body(&mb, &e, ROOT, DIR);
	TEST_ERR(err);
	TEST_BUF_EQ(EHEAD
	            "  <uniqueness-failure phrase=\"service URI taken\">\n"
	            "    <exists field=\"rls-services/service/@uri\"/>\n"
	            "  </uniqueness-failure>\n"
	            "</xcap-error>\n",
	            mb);
out:
	mem_deref(mb);
	xcap_err_reset(&e);
	return err;
}

TEST(test_xops_err_body_phrase)
{
	struct xcap_err e = {0};
	struct buf *mb = NULL;
	int err = 0;

	/* escaped, and bytes that are no XML characters become '?' */
	TEST_ERR_EQ(EINVAL,
	            xcap_err_set(&e, XE_CONSTRAINT_FAILURE, 409,
	                         "domain <%s> & \"b\"\x01\xff", "c.org"));
	err = xcap_err_body(&mb, &e, ROOT, DIR);
	TEST_ERR(err);
	TEST_BUF_EQ(EHEAD "  <constraint-failure phrase=\"domain &lt;c.org&gt; "
	                  "&amp; &quot;b&quot;??\"/>\n"
	                  "</xcap-error>\n",
	            mb);
	mb = mem_deref(mb);

	TEST_ERR_EQ(EINVAL, xcap_err_set(&e, XE_NOT_UTF8, 409, "%s", ""));
	err = xcap_err_body(&mb, &e, ROOT, DIR);
	TEST_ERR(err);
	TEST_BUF_EQ(EHEAD "  <not-utf-8/>\n"
	                  "</xcap-error>\n",
	            mb);
out:
	mem_deref(mb);
	xcap_err_reset(&e);
	return err;
}

/* --- GET --- */

TEST(test_xops_get)
{
	struct xcap_got g = {0};
	struct xcap_err e = {0};
	int err = 0;

	err = get(&g, doc1, NULL, NULL, &e);
	TEST_ERR(err);
	TEST_BUF_EQ(doc1, g.body);
	TEST_ASSERT(g.ctype == NULL);
	g.body = mem_deref(g.body);

	err = get(&g, doc1, "resource-lists/list[@name=\"a\"]/entry[2]", NULL,
	          &e);
	TEST_ERR(err);
	TEST_BUF_EQ("<entry uri=\"sip:2@x\"/>", g.body);
	TEST_STR_EQ("application/xcap-el+xml", g.ctype);
	g.body = mem_deref(g.body);

	/* an element with children, as it stands in the document */
	err = get(&g, doc1, "resource-lists/list[@name=\"a\"]", NULL, &e);
	TEST_ERR(err);
	TEST_BUF_EQ("<list name=\"a\">\n"
	            "    <entry uri=\"sip:1@x\"/>\n"
	            "    <entry uri=\"sip:2@x\"/>\n"
	            "    <external anchor=\"http://e/x?a=1&amp;b=2\"/>\n"
	            "  </list>",
	            g.body);
	g.body = mem_deref(g.body);

	/* an attribute: its value, unescaped */
	err =
	    get(&g, doc1, "resource-lists/list[1]/external/@anchor", NULL, &e);
	TEST_ERR(err);
	TEST_BUF_EQ("http://e/x?a=1&b=2", g.body);
	TEST_STR_EQ("application/xcap-att+xml", g.ctype);
	g.body = mem_deref(g.body);

	/* namespace bindings (RFC 4825 10) */
	err = get(&g, doc1, "resource-lists/list[2]/namespace::*", NULL, &e);
	TEST_ERR(err);
	TEST_BUF_EQ("<list xmlns=\"" RLNS "\" xmlns:x=\"urn:x\"/>", g.body);
	TEST_STR_EQ("application/xcap-ns+xml", g.ctype);
	g.body = mem_deref(g.body);
out:
	mem_deref(g.body);
	xcap_err_reset(&e);
	return err;
}

TEST(test_xops_get_nsbind_prefixed)
{
	static const char doc[] =
	    XD "<a:r xmlns:a=\"urn:a\" xmlns=\"urn:d\">\n"
	       " <a:s xmlns:b=\"urn:b\" xmlns=\"urn:d2\"><b:t/></a:s>\n"
	       "</a:r>\n";
	struct xcap_got g = {0};
	struct xcap_err e = {0};
	int err = 0;

	err = get(&g, doc, "p:r/p:s/q:t/namespace::*",
	          "xmlns(p=urn:a)xmlns(q=urn:b)", &e);
	TEST_ERR(err);
	/* the element's own prefix, bindings innermost first */
	TEST_BUF_EQ("<b:t xmlns:b=\"urn:b\" xmlns=\"urn:d2\" "
	            "xmlns:a=\"urn:a\"/>",
	            g.body);
out:
	mem_deref(g.body);
	xcap_err_reset(&e);
	return err;
}

TEST(test_xops_get_404)
{
	static const char bad[] = XD "<resource-lists><list></resource-lists>";
	struct xcap_got g = {0};
	struct xcap_err e = {0};
	int err = 0;

	TEST_ERR_EQ(EINVAL, get(&g, NULL, NULL, NULL, &e));
	TEST_XERR(XE_HTTP, 404, "no such document", e);
	TEST_ERR_EQ(EINVAL, get(&g, NULL, "resource-lists", NULL, &e));
	TEST_XERR(XE_HTTP, 404, "no such document", e);
	TEST_ERR_EQ(EINVAL, get(&g, doc1, "resource-lists/list[@name=\"z\"]",
	                        NULL, &e));
	TEST_XERR(XE_HTTP, 404, "the selector selects no element", e);
	/* two lists */
	TEST_ERR_EQ(EINVAL, get(&g, doc1, "resource-lists/list", NULL, &e));
	TEST_XERR(XE_HTTP, 404, "the selector selects several elements", e);
	TEST_ERR_EQ(EINVAL,
	            get(&g, doc1, "resource-lists/list[2]/@uri", NULL, &e));
	TEST_XERR(XE_HTTP, 404, "the element has no attribute uri", e);
	/* the attribute is in no namespace, not in the default one */
	TEST_ERR_EQ(EINVAL, get(&g, doc1, "resource-lists/list[2]/@p:name",
	                        "xmlns(p=" RLNS ")", &e));
	TEST_EQ(404, e.status);
	/* a stored document that does not parse is our fault */
	TEST_ERR_EQ(EIO, get(&g, bad, "resource-lists", NULL, &e));
	TEST_XERR(XE_HTTP, 500, "stored document does not parse: line 2:", e);
	TEST_ASSERT(g.body == NULL);
out:
	mem_deref(g.body);
	xcap_err_reset(&e);
	return err;
}

/* --- PUT of documents --- */

TEST(test_xops_put_document)
{
	static const char body[] = XD "<resource-lists xmlns=\"" RLNS "\">"
	                              "<list/></resource-lists>";
	struct xcap_err e = {0};
	struct buf *nd = NULL;
	bool cr = false;
	int err = 0;

	err = put(&nd, &cr, NULL, NULL, body, &e);
	TEST_ERR(err);
	TEST_BUF_EQ(body, nd);
	TEST_ASSERT(cr);
	nd = mem_deref(nd);

	err = put(&nd, &cr, doc1, NULL, body, &e);
	TEST_ERR(err);
	TEST_BUF_EQ(body, nd);
	TEST_ASSERT(!cr);
	nd = mem_deref(nd);

	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, NULL,
	                        XD "<resource-lists>\n<list>\n"
	                           "</resource-lists>",
	                        &e));
	TEST_XERR(XE_NOT_WELL_FORMED, 409, "line 4: ", e);
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, NULL, "", &e));
	TEST_XERR(XE_NOT_WELL_FORMED, 409, "the body is empty", e);
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, NULL, "<a>\xff</a>", &e));
	TEST_XERR(XE_NOT_UTF8, 409, "the body is not valid UTF-8", e);
	/* Latin-1 that happens to be ASCII is still not UTF-8 */
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, NULL,
	                        "<?xml version=\"1.0\" "
	                        "encoding=\"ISO-8859-1\"?><a/>",
	                        &e));
	TEST_XERR(XE_NOT_UTF8, 409, "the XML declaration", e);
	TEST_ASSERT(nd == NULL);
out:
	mem_deref(nd);
	xcap_err_reset(&e);
	return err;
}

/* --- PUT of elements --- */

TEST(test_xops_put_element_replace)
{
	struct xcap_err e = {0};
	struct buf *nd = NULL;
	bool cr = true;
	int err = 0;

	err = put(&nd, &cr, doc1, "resource-lists/list[@name=\"a\"]/entry[2]",
	          "<entry uri=\"sip:2@x\">"
	          "<display-name>Two</display-name></entry>\n",
	          &e);
	TEST_ERR(err);
	TEST_ASSERT(!cr);
	TEST_BUF_EQ(DOC_HEAD "  <list name=\"a\">\n"
	                     "    <entry uri=\"sip:1@x\"/>\n"
	                     "    <entry uri=\"sip:2@x\"><display-name>Two"
	                     "</display-name></entry>\n"
	                     "    <external anchor=\"http://e/x?a=1&amp;b=2\"/>"
	                     "\n"
	                     "  </list>\n" LIST_B DOC_TAIL,
	            nd);
	nd = mem_deref(nd);

	/* by attribute, with a new attribute of its own */
	err = put(&nd, &cr, doc1, "resource-lists/list[@name=\"b\"]",
	          "<list name=\"b\" x:flag=\"1\"/>", &e);
	TEST_ERR(err);
	TEST_ASSERT(!cr);
	TEST_BUF_EQ(
	    DOC_HEAD LIST_A "  <list name=\"b\" x:flag=\"1\"/>\n" DOC_TAIL, nd);
	nd = mem_deref(nd);

	/* the root element */
	err = put(&nd, &cr, doc1, "resource-lists",
	          "<resource-lists xmlns=\"" RLNS "\"><list name=\"n\"/>"
	          "</resource-lists>",
	          &e);
	TEST_ERR(err);
	TEST_ASSERT(!cr);
	TEST_BUF_EQ(XD "<resource-lists xmlns=\"" RLNS "\"><list name=\"n\"/>"
	               "</resource-lists>\n",
	            nd);
out:
	mem_deref(nd);
	xcap_err_reset(&e);
	return err;
}

TEST(test_xops_put_element_insert_attr)
{
	struct xcap_err e = {0};
	struct buf *nd = NULL;
	bool cr = false;
	int err = 0;

	/* after the last element child, indented like its siblings */
	err = put(&nd, &cr, doc1,
	          "resource-lists/list[@name=\"a\"]/entry[@uri=\"sip:3@x\"]",
	          "\n  <entry uri=\"sip:3@x\"/>  ", &e);
	TEST_ERR(err);
	TEST_ASSERT(cr);
	TEST_BUF_EQ(DOC_HEAD "  <list name=\"a\">\n"
	                     "    <entry uri=\"sip:1@x\"/>\n"
	                     "    <entry uri=\"sip:2@x\"/>\n"
	                     "    <external anchor=\"http://e/x?a=1&amp;b=2\"/>"
	                     "\n"
	                     "    <entry uri=\"sip:3@x\"/>\n"
	                     "  </list>\n" LIST_B DOC_TAIL,
	            nd);
	nd = mem_deref(nd);

	/* a new list after the last one, at the top level */
	err = put(&nd, &cr, doc1, "resource-lists/list[@name=\"c\"]",
	          "<list name=\"c\"/>", &e);
	TEST_ERR(err);
	TEST_ASSERT(cr);
	TEST_BUF_EQ(DOC_HEAD LIST_A LIST_B "  <list name=\"c\"/>\n" DOC_TAIL,
	            nd);
out:
	mem_deref(nd);
	xcap_err_reset(&e);
	return err;
}

TEST(test_xops_put_element_insert_pos)
{
	static const char doc2[] = DOC_HEAD "  <list name=\"c\">\n"
	                                    "    <entry uri=\"sip:1@x\"/>\n"
	                                    "  </list>\n" DOC_TAIL;
	struct xcap_err e = {0};
	struct buf *nd = NULL;
	bool cr = false;
	int err = 0;

	/* 1: no entry yet */
	err = put(&nd, &cr, doc1, "resource-lists/list[@name=\"b\"]/entry[1]",
	          "<entry uri=\"sip:9@x\"/>", &e);
	TEST_ERR(err);
	TEST_ASSERT(cr);
	TEST_BUF_EQ(DOC_HEAD LIST_A
	            "  <list name=\"b\"><entry uri=\"sip:9@x\"/>"
	            "</list>\n" DOC_TAIL,
	            nd);
	nd = mem_deref(nd);

	/* the middle: after the second entry, before <external> */
	err = put(&nd, &cr, doc1, "resource-lists/list[@name=\"a\"]/entry[3]",
	          "<entry uri=\"sip:3@x\"/>", &e);
	TEST_ERR(err);
	TEST_ASSERT(cr);
	TEST_BUF_EQ(DOC_HEAD "  <list name=\"a\">\n"
	                     "    <entry uri=\"sip:1@x\"/>\n"
	                     "    <entry uri=\"sip:2@x\"/>\n"
	                     "    <entry uri=\"sip:3@x\"/>\n"
	                     "    <external anchor=\"http://e/x?a=1&amp;b=2\"/>"
	                     "\n"
	                     "  </list>\n" LIST_B DOC_TAIL,
	            nd);
	nd = mem_deref(nd);

	/* the end */
	err = put(&nd, &cr, doc2, "resource-lists/list/entry[2]",
	          "<entry uri=\"sip:2@x\"/>", &e);
	TEST_ERR(err);
	TEST_ASSERT(cr);
	TEST_BUF_EQ(DOC_HEAD "  <list name=\"c\">\n"
	                     "    <entry uri=\"sip:1@x\"/>\n"
	                     "    <entry uri=\"sip:2@x\"/>\n"
	                     "  </list>\n" DOC_TAIL,
	            nd);
	nd = mem_deref(nd);

	/* position and attribute: the first entry has another uri, so the
	 * new one goes before it */
	err = put(&nd, &cr, doc2,
	          "resource-lists/list/entry[1][@uri=\"sip:0@x\"]",
	          "<entry uri=\"sip:0@x\"/>", &e);
	TEST_ERR(err);
	TEST_ASSERT(cr);
	TEST_BUF_EQ(DOC_HEAD "  <list name=\"c\">\n"
	                     "    <entry uri=\"sip:0@x\"/>\n"
	                     "    <entry uri=\"sip:1@x\"/>\n"
	                     "  </list>\n" DOC_TAIL,
	            nd);
	nd = mem_deref(nd);

	/* beyond the end */
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1,
	                        "resource-lists/list[@name=\"a\"]/entry[4]",
	                        "<entry uri=\"sip:4@x\"/>", &e));
	TEST_XERR(XE_CANNOT_INSERT, 409, "position 4: only 2 such elements", e);
	TEST_ASSERT(nd == NULL);
out:
	mem_deref(nd);
	xcap_err_reset(&e);
	return err;
}

TEST(test_xops_put_element_cannot_insert)
{
	static const char *const sel =
	    "resource-lists/list[@name=\"a\"]/entry[@uri=\"sip:3@x\"]";
	struct xcap_err e = {0};
	struct buf *nd = NULL;
	bool cr = false;
	int err = 0;

	/* another name */
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, sel,
	                        "<external uri=\"sip:3@x\"/>", &e));
	TEST_XERR(XE_CANNOT_INSERT, 409,
	          "element <external> does not match the selector's last step",
	          e);
	/* another attribute value */
	TEST_ERR_EQ(EINVAL,
	            put(&nd, &cr, doc1, sel, "<entry uri=\"sip:4@x\"/>", &e));
	TEST_XERR(XE_CANNOT_INSERT, 409, "element <entry> does not match", e);
	/* another namespace */
	TEST_ERR_EQ(EINVAL,
	            put(&nd, &cr, doc1, sel, "<x:entry uri=\"sip:3@x\"/>", &e));
	TEST_XERR(XE_CANNOT_INSERT, 409, "element <entry> does not match", e);
	/* a replacement that renames what the selector names */
	TEST_ERR_EQ(EINVAL,
	            put(&nd, &cr, doc1, "resource-lists/list[@name=\"a\"]",
	                "<list name=\"z\"/>", &e));
	TEST_EQ(XE_CANNOT_INSERT, e.code);
	/* a selector that would select two elements afterwards */
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1,
	                        "resource-lists/list[@name=\"a\"]/entry",
	                        "<entry uri=\"sip:5@x\"/>", &e));
	TEST_XERR(XE_CANNOT_INSERT, 409,
	          "the selector would not select the new element", e);
	/* a second root element */
	TEST_ERR_EQ(EINVAL,
	            put(&nd, &cr, doc1, "rls-services", "<rls-services/>", &e));
	TEST_XERR(XE_CANNOT_INSERT, 409, "the document has another root", e);
	TEST_ASSERT(nd == NULL);
out:
	mem_deref(nd);
	xcap_err_reset(&e);
	return err;
}

TEST(test_xops_put_element_no_parent)
{
	struct xcap_err e = {0};
	struct buf *nd = NULL;
	bool cr = false;
	int err = 0;

	/* depth 1: the root exists */
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1,
	                        "resource-lists/list[@name=\"q\"]/entry",
	                        "<entry uri=\"sip:1@x\"/>", &e));
	TEST_XERR(XE_NO_PARENT, 409, "the parent", e);
	TEST_STR_EQ("resource-lists", e.ancestor);
	/* depth 2 */
	TEST_ERR_EQ(
	    EINVAL,
	    put(&nd, &cr, doc1,
	        "resource-lists/list[@name=\"a\"]/entry[@uri=\"sip:7@x\"]"
	        "/display-name",
	        "<display-name>x</display-name>", &e));
	TEST_EQ(XE_NO_PARENT, e.code);
	TEST_STR_EQ("resource-lists/list%5b@name=%22a%22%5d", e.ancestor);
	/* depth 0: the root is another element */
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, "rls-services/service",
	                        "<service/>", &e));
	TEST_EQ(XE_NO_PARENT, e.code);
	TEST_STR_EQ("", e.ancestor);
	/* no document */
	TEST_ERR_EQ(EINVAL,
	            put(&nd, &cr, NULL, "resource-lists/list", "<list/>", &e));
	TEST_XERR(XE_NO_PARENT, 409, "the document does not exist", e);
	TEST_ASSERT(e.ancestor == NULL);
	/* the attribute of an element that is not there */
	TEST_ERR_EQ(EINVAL,
	            put(&nd, &cr, doc1,
	                "resource-lists/list[@name=\"a\"]/entry[3]/@uri", "x",
	                &e));
	TEST_EQ(XE_NO_PARENT, e.code);
	TEST_STR_EQ("resource-lists/list%5b@name=%22a%22%5d", e.ancestor);
	TEST_ASSERT(nd == NULL);
out:
	mem_deref(nd);
	xcap_err_reset(&e);
	return err;
}

TEST(test_xops_put_element_not_frag)
{
	static const char *const sel = "resource-lists/list[@name=\"b\"]";
	struct xcap_err e = {0};
	struct buf *nd = NULL;
	bool cr = false;
	int err = 0;

	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, sel,
	                        "<list name=\"b\"/><list name=\"b\"/>", &e));
	TEST_XERR(XE_NOT_XML_FRAG, 409, "2 elements, not one", e);
	TEST_ERR_EQ(EINVAL,
	            put(&nd, &cr, doc1, sel, "hello <list name=\"b\"/>", &e));
	TEST_XERR(XE_NOT_XML_FRAG, 409, "text outside the element", e);
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, sel,
	                        "<list name=\"b\"/><!-- c -->", &e));
	TEST_XERR(XE_NOT_XML_FRAG, 409, "a comment outside", e);
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, sel, "  \n ", &e));
	TEST_XERR(XE_NOT_XML_FRAG, 409, "no element", e);
	/* not well formed: the parser's line */
	TEST_ERR_EQ(EINVAL,
	            put(&nd, &cr, doc1, sel, "<list name=\"b\">\n<entry>", &e));
	TEST_XERR(XE_NOT_XML_FRAG, 409, "line 2: ", e);
	/* closing the wrapper early does not get through */
	TEST_ERR_EQ(EINVAL,
	            put(&nd, &cr, doc1, sel, "<list name=\"b\"/></x><x>", &e));
	TEST_EQ(XE_NOT_XML_FRAG, e.code);
	/* an undeclared prefix */
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, sel,
	                        "<list name=\"b\"><y:e/></list>", &e));
	TEST_XERR(XE_NOT_XML_FRAG, 409, "line 1: ", e);
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, sel,
	                        "<list name=\"b\">\xc3\x28</list>", &e));
	TEST_XERR(XE_NOT_UTF8, 409, "the body is not valid UTF-8", e);
	TEST_ASSERT(nd == NULL);
out:
	mem_deref(nd);
	xcap_err_reset(&e);
	return err;
}

TEST(test_xops_put_element_ancestor_prefix)
{
	struct xcap_err e = {0};
	struct buf *nd = NULL;
	bool cr = false;
	int err = 0;

	/* x is declared on the root only; the default namespace is in
	 * scope too; an XML declaration before the element is tolerated */
	err = put(&nd, &cr, doc1,
	          "resource-lists/list[@name=\"b\"]/entry[@uri=\"sip:5@x\"]",
	          XD "<entry uri=\"sip:5@x\" x:a=\"1\"><x:note>hi</x:note>"
	             "<y:z xmlns:y=\"urn:y\"/></entry>",
	          &e);
	TEST_ERR(err);
	TEST_ASSERT(cr);
	TEST_BUF_EQ(DOC_HEAD LIST_A
	            "  <list name=\"b\"><entry uri=\"sip:5@x\" "
	            "x:a=\"1\"><x:note>hi</x:note><y:z "
	            "xmlns:y=\"urn:y\"/></entry></list>\n" DOC_TAIL,
	            nd);
out:
	mem_deref(nd);
	xcap_err_reset(&e);
	return err;
}

TEST(test_xops_put_nsbind)
{
	struct xcap_err e = {0};
	struct buf *nd = NULL;
	bool cr = false;
	int err = 0;

	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, "resource-lists/namespace::*",
	                        "<x/>", &e));
	TEST_XERR(XE_HTTP, 405, "namespace bindings", e);
	TEST_ERR_EQ(EINVAL, del(&nd, doc1, "resource-lists/namespace::*", &e));
	TEST_XERR(XE_HTTP, 405, "namespace bindings", e);
	TEST_ASSERT(nd == NULL);
out:
	mem_deref(nd);
	xcap_err_reset(&e);
	return err;
}

/* --- PUT of attributes --- */

TEST(test_xops_put_attr)
{
	static const char *const ext =
	    "resource-lists/list[1]/external/@anchor";
	struct xcap_err e = {0};
	struct buf *nd = NULL;
	bool cr = false;
	int err = 0;

	/* a new attribute */
	err = put(&nd, &cr, doc1, "resource-lists/list[@name=\"b\"]/@note",
	          "a &amp; b &lt;c&gt; &#x41;&#66;\"q\" 'r'", &e);
	TEST_ERR(err);
	TEST_ASSERT(cr);
	TEST_BUF_EQ(DOC_HEAD LIST_A
	            "  <list name=\"b\" note=\"a &amp; b &lt;c&gt; AB&quot;q"
	            "&quot; 'r'\"/>\n" DOC_TAIL,
	            nd);
	nd = mem_deref(nd);

	/* replaced; literal line ends and tabs are spaces in XML */
	err = put(&nd, &cr, doc1, "resource-lists/list[1]/external/@anchor",
	          "x\r\ny\tz", &e);
	TEST_ERR(err);
	TEST_ASSERT(!cr);
	TEST_BUF_EQ(DOC_HEAD "  <list name=\"a\">\n"
	                     "    <entry uri=\"sip:1@x\"/>\n"
	                     "    <entry uri=\"sip:2@x\"/>\n"
	                     "    <external anchor=\"x y z\"/>\n"
	                     "  </list>\n" LIST_B DOC_TAIL,
	            nd);
	nd = mem_deref(nd);

	/* the selector's own attribute, unchanged */
	err = put(&nd, &cr, doc1, "resource-lists/list[@name=\"b\"]/@name", "b",
	          &e);
	TEST_ERR(err);
	TEST_ASSERT(!cr);
	TEST_BUF_EQ(doc1, nd);
	nd = mem_deref(nd);

	/* a namespaced attribute uses the document's prefix */
	err = put_q(&nd, &cr, doc1, "resource-lists/list[2]/@p:flag",
	            "xmlns(p=urn:x)", "1", &e);
	TEST_ERR(err);
	TEST_BUF_EQ(
	    DOC_HEAD LIST_A "  <list name=\"b\" x:flag=\"1\"/>\n" DOC_TAIL, nd);
	nd = mem_deref(nd);
	/* ... or declares one */
	err = put_q(&nd, &cr, doc1, "resource-lists/list[2]/@p:flag",
	            "xmlns(p=urn:new)", "1", &e);
	TEST_ERR(err);
	TEST_BUF_EQ(
	    DOC_HEAD LIST_A
	    "  <list xmlns:p=\"urn:new\" name=\"b\" p:flag=\"1\"/>\n" DOC_TAIL,
	    nd);
	nd = mem_deref(nd);

	/* changing the value the selector names */
	TEST_ERR_EQ(EINVAL,
	            put(&nd, &cr, doc1,
	                "resource-lists/list[@name=\"b\"]/@name", "c", &e));
	TEST_XERR(XE_CANNOT_INSERT, 409, "the selector would no longer", e);

	/* not attribute values */
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, ext, "a<b", &e));
	TEST_XERR(XE_NOT_XML_ATT_VALUE, 409, "'<' in an attribute value", e);
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, ext, "a & b", &e));
	TEST_XERR(XE_NOT_XML_ATT_VALUE, 409, "'&' that starts no valid", e);
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, ext, "&nbsp;", &e));
	TEST_EQ(XE_NOT_XML_ATT_VALUE, e.code);
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, ext, "&#1;", &e));
	TEST_EQ(XE_NOT_XML_ATT_VALUE, e.code);
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, ext, "&#x110000;", &e));
	TEST_EQ(XE_NOT_XML_ATT_VALUE, e.code);
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, ext, "&#;", &e));
	TEST_EQ(XE_NOT_XML_ATT_VALUE, e.code);
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, ext, "a\x01", &e));
	TEST_XERR(XE_NOT_XML_ATT_VALUE, 409, "a character XML does not", e);
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc1, ext, "a\xff", &e));
	TEST_XERR(XE_NOT_XML_ATT_VALUE, 409, "invalid UTF-8", e);
	TEST_ASSERT(nd == NULL);
out:
	mem_deref(nd);
	xcap_err_reset(&e);
	return err;
}

/* --- DELETE --- */

TEST(test_xops_delete)
{
	struct xcap_err e = {0};
	struct buf *nd = NULL;
	int err = 0;

	/* the last positional entry: nothing moves up */
	err = del(&nd, doc1, "resource-lists/list[@name=\"a\"]/entry[2]", &e);
	TEST_ERR(err);
	TEST_BUF_EQ(DOC_HEAD "  <list name=\"a\">\n"
	                     "    <entry uri=\"sip:1@x\"/>\n"
	                     "    <external anchor=\"http://e/x?a=1&amp;b=2\"/>"
	                     "\n"
	                     "  </list>\n" LIST_B DOC_TAIL,
	            nd);
	nd = mem_deref(nd);

	err =
	    del(&nd, doc1,
	        "resource-lists/list[@name=\"a\"]/entry[@uri=\"sip:1@x\"]", &e);
	TEST_ERR(err);
	TEST_BUF_EQ(DOC_HEAD "  <list name=\"a\">\n"
	                     "    <entry uri=\"sip:2@x\"/>\n"
	                     "    <external anchor=\"http://e/x?a=1&amp;b=2\"/>"
	                     "\n"
	                     "  </list>\n" LIST_B DOC_TAIL,
	            nd);
	nd = mem_deref(nd);

	err = del(&nd, doc1, "resource-lists/list[1]/external/@anchor", &e);
	TEST_ERR(err);
	TEST_BUF_EQ(DOC_HEAD "  <list name=\"a\">\n"
	                     "    <entry uri=\"sip:1@x\"/>\n"
	                     "    <entry uri=\"sip:2@x\"/>\n"
	                     "    <external/>\n"
	                     "  </list>\n" LIST_B DOC_TAIL,
	            nd);
	nd = mem_deref(nd);

	/* the whole document: the caller deletes it */
	nd = (struct buf *)&err; /* must be overwritten */
	err = del(&nd, doc1, NULL, &e);
	TEST_ERR(err);
	TEST_ASSERT(nd == NULL);
out:
	mem_deref(nd);
	xcap_err_reset(&e);
	return err;
}

TEST(test_xops_delete_fail)
{
	struct xcap_err e = {0};
	struct buf *nd = NULL;
	int err = 0;

	/* the next entry would move up into position 1 */
	TEST_ERR_EQ(
	    EINVAL,
	    del(&nd, doc1, "resource-lists/list[@name=\"a\"]/entry[1]", &e));
	TEST_XERR(XE_CANNOT_DELETE, 409,
	          "the selector would then select another element", e);
	TEST_ERR_EQ(EINVAL, del(&nd, doc1, "resource-lists", &e));
	TEST_XERR(XE_CANNOT_DELETE, 409, "the root element cannot be deleted",
	          e);
	TEST_ERR_EQ(EINVAL,
	            del(&nd, doc1, "resource-lists/list[@name=\"z\"]", &e));
	TEST_XERR(XE_HTTP, 404, "the selector selects no element", e);
	TEST_ERR_EQ(EINVAL, del(&nd, doc1,
	                        "resource-lists/list[@name=\"a\"]/entry", &e));
	TEST_XERR(XE_HTTP, 404, "the selector selects several elements", e);
	TEST_ERR_EQ(EINVAL, del(&nd, doc1, "resource-lists/list[2]/@uri", &e));
	TEST_XERR(XE_HTTP, 404, "the element has no attribute uri", e);
	TEST_ERR_EQ(EINVAL, del(&nd, NULL, NULL, &e));
	TEST_XERR(XE_HTTP, 404, "no such document", e);
	TEST_ERR_EQ(EINVAL, del(&nd, NULL, "resource-lists/list", &e));
	TEST_EQ(404, e.status);
	TEST_ASSERT(nd == NULL);
out:
	mem_deref(nd);
	xcap_err_reset(&e);
	return err;
}

TEST(test_xops_put_edge)
{
	static const char doc2[] = XD "<resource-lists xmlns=\"" RLNS "\">\n"
	                              "  <list name=\"c\">\n"
	                              "  </list>\n"
	                              "</resource-lists>";
	char sel[512], aval[301], doc3[512];
	struct xcap_err e = {0};
	struct buf *nd = NULL;
	bool cr = false;
	int err = 0;

	/* into an element with white space only */
	err = put(&nd, &cr, doc2, "resource-lists/list/entry",
	          "<entry uri=\"sip:1@x\"/>", &e);
	TEST_ERR(err);
	TEST_BUF_EQ(XD "<resource-lists xmlns=\"" RLNS "\">\n"
	               "  <list name=\"c\">\n"
	               "  <entry uri=\"sip:1@x\"/></list>\n"
	               "</resource-lists>\n",
	            nd);
	nd = mem_deref(nd);

	/* the xml prefix needs no declaration, at the root too */
	err = put(&nd, &cr, doc2, "resource-lists",
	          "<resource-lists xmlns=\"" RLNS "\" xml:lang=\"en\"/>", &e);
	TEST_ERR(err);
	TEST_BUF_EQ(XD "<resource-lists xmlns=\"" RLNS "\" xml:lang=\"en\"/>\n",
	            nd);
	nd = mem_deref(nd);
	err = put(&nd, &cr, doc2, "resource-lists/list",
	          "<list name=\"c\" xml:lang=\"en\"/>", &e);
	TEST_ERR(err);
	TEST_BUF_EQ(XD "<resource-lists xmlns=\"" RLNS "\">\n"
	               "  <list name=\"c\" xml:lang=\"en\"/>\n"
	               "</resource-lists>\n",
	            nd);
	nd = mem_deref(nd);

	/* a namespace declaration is no attribute */
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc2, "resource-lists/list/@xmlns",
	                        "urn:evil", &e));
	TEST_EQ(XE_CANNOT_INSERT, e.code);

	/* an ancestor longer than a first guess */
	memset(aval, 'v', sizeof(aval) - 1);
	aval[sizeof(aval) - 1] = '\0';
	snprintf(doc3, sizeof(doc3),
	         "<resource-lists xmlns=\"" RLNS "\"><list name=\"%s\"/>"
	         "</resource-lists>",
	         aval);
	snprintf(sel, sizeof(sel),
	         "resource-lists/list[@name=\"%s\"]/entry[2]/display-name",
	         aval);
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc3, sel, "<display-name/>", &e));
	TEST_EQ(XE_NO_PARENT, e.code);
	TEST_ASSERT(e.ancestor);
	TEST_EQ(strlen("resource-lists/list%5b@name=%22%22%5d") + 300,
	        strlen(e.ancestor));
	TEST_ASSERT(
	    !strncmp(e.ancestor, "resource-lists/list%5b@name=%22vvv", 34));
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc2, sel, "<display-name/>", &e));
	TEST_EQ(XE_NO_PARENT, e.code);
	TEST_STR_EQ("resource-lists", e.ancestor);
	TEST_ERR_EQ(EINVAL, put(&nd, &cr, doc2, sel + strlen("resource-lists/"),
	                        "<display-name/>", &e));
	TEST_EQ(XE_NO_PARENT, e.code);
	TEST_STR_EQ("", e.ancestor);
	TEST_ASSERT(nd == NULL);
out:
	mem_deref(nd);
	xcap_err_reset(&e);
	return err;
}
