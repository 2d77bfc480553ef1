/* tests/unit/xcap/test_xsel.c - XCAP URIs and node selectors (RFC 4825
 * 6.2, 6.3, 6.4) */
#include <libxml/tree.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "base/xml.h"
#include "test.h"
#include "xcap/xsel.h"

#define RL_NS "urn:ietf:params:xml:ns:resource-lists"

static const char doc_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<resource-lists xmlns=\"" RL_NS "\" xmlns:x=\"urn:example:x\">\n"
    " <!-- a comment is no element -->\n"
    " <list name=\"friends\">\n"
    "  <entry uri=\"sip:a@example.com\"><display-name>A</display-name>"
    "</entry>\n"
    "  <entry uri=\"sip:b@example.com\" x:tag=\"vip\"/>\n"
    "  <entry uri=\"sip:c@example.com\"/>\n"
    "  <x:entry uri=\"sip:x@example.com\"/>\n"
    "  <entry uri=\"sip:b@example.com\" xml:lang=\"en\"/>\n"
    " </list>\n"
    " <list name=\"a/b &quot;q&quot; &amp; &#233;\">\n"
    "  <entry uri=\"sip:d@example.com\"/>\n"
    " </list>\n"
    " <list name=\"dup\"/>\n"
    " <list name=\"dup\"/>\n"
    " <x:ext><x:item id=\"1\"/><item id=\"2\"/></x:ext>\n"
    "</resource-lists>\n";

static int load(xmlDocPtr *docp, const char *xml)
{
	return xml_read_strict(docp, xml, strlen(xml), NULL);
}

/* The value of attribute name (no namespace) of n, or "". */
static const char *attr(const xmlNode *n, const char *name, char *buf,
                        size_t size)
{
	xmlChar *v = n ? xmlGetNoNsProp(n, BAD_CAST name) : NULL;

	snprintf(buf, size, "%s", v ? (const char *)v : "");
	xmlFree(v);
	return buf;
}

/* Percent-decoding, as the HTTP server does before xcap_uri_parse. */
static void pct_decode(char *s)
{
	char *w = s;

	for (; *s; s++) {
		unsigned v;

		if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1) {
			*w++ = (char)v;
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

TEST(test_xsel_parse_steps)
{
	struct xsel *s = NULL;
	char e[160];
	int err;

	err = xsel_parse(&s, "a[1]/b[@c=\"x y\"]/d[2][@e='y']/@f", NULL, e,
	                 sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("", e);
	TEST_EQ(3, s->n);
	TEST_EQ(XSEL_ATTRIBUTE, s->term);
	TEST_ASSERT(!s->tprefix);
	TEST_STR_EQ("f", s->tname);
	TEST_STR_EQ("a", s->steps[0].name);
	TEST_ASSERT(!s->steps[0].prefix);
	TEST_EQ(1, s->steps[0].pos);
	TEST_ASSERT(!s->steps[0].aname);
	TEST_EQ(0, s->steps[1].pos);
	TEST_STR_EQ("c", s->steps[1].aname);
	TEST_STR_EQ("x y", s->steps[1].aval);
	TEST_ASSERT(!s->steps[1].aprefix);
	TEST_EQ(2, s->steps[2].pos);
	TEST_STR_EQ("e", s->steps[2].aname);
	TEST_STR_EQ("y", s->steps[2].aval);
	TEST_EQ(0, s->nns);
	s = mem_deref(s);

	/* prefixes, '*', namespace::*, XPointer escapes and overrides */
	err = xsel_parse(&s, "p:a/*[3]/q:b[@p:c=\"1\"]/namespace::*",
	                 " xmlns(p=urn:old)xmlns( q = urn:q^)x ) "
	                 "xmlns(p=urn:(p))",
	                 e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(XSEL_NSBIND, s->term);
	TEST_EQ(3, s->n);
	TEST_EQ(3, s->nns);
	TEST_STR_EQ("p", s->ns[0].prefix);
	TEST_STR_EQ("urn:old", s->ns[0].uri);
	TEST_STR_EQ("q", s->ns[1].prefix);
	TEST_STR_EQ("urn:q)x", s->ns[1].uri);
	TEST_STR_EQ("urn:(p)", s->ns[2].uri);
	TEST_STR_EQ("p", s->steps[0].prefix);
	TEST_STR_EQ("a", s->steps[0].name);
	TEST_ASSERT(!s->steps[1].name && !s->steps[1].prefix);
	TEST_EQ(3, s->steps[1].pos);
	TEST_STR_EQ("q", s->steps[2].prefix);
	TEST_STR_EQ("p", s->steps[2].aprefix);
	TEST_STR_EQ("c", s->steps[2].aname);
	s = mem_deref(s);

	/* references; '/', ']' and the other quote inside a value */
	err = xsel_parse(&s,
	                 "a/b[@c=\"&quot;&apos;&amp;&lt;&gt;&#65;&#x42;"
	                 "&#xe9;&#8364;&#x1F600;\"]/d[@e='a/b]\"[']",
	                 NULL, e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(3, s->n);
	TEST_STR_EQ("\"'&<>AB\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
	            s->steps[1].aval);
	TEST_STR_EQ("a/b]\"[", s->steps[2].aval);
	TEST_EQ(XSEL_ELEMENT, s->term);
	s = mem_deref(s);

	/* xml is always bound; "namespace" alone is an element name; an
	 * empty value; leading zeros are still decimal */
	err = xsel_parse(&s, "a[007]/namespace[@x=\"\"]/@xml:lang", "", e,
	                 sizeof(e));
	TEST_ERR(err);
	TEST_EQ(7, s->steps[0].pos);
	TEST_STR_EQ("namespace", s->steps[1].name);
	TEST_STR_EQ("", s->steps[1].aval);
	TEST_STR_EQ("xml", s->tprefix);
	TEST_STR_EQ("lang", s->tname);
out:
	mem_deref(s);
	return err;
}

TEST(test_xsel_parse_limits)
{
	char sel[4200], e[128];
	struct xsel *s = NULL;
	int err;

	/* 64 steps are fine, 65 are not */
	sel[0] = '\0';
	for (int i = 0; i < 64; i++)
		strcat(sel, i ? "/a" : "a");
	err = xsel_parse(&s, sel, NULL, e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(64, s->n);
	s = mem_deref(s);
	strcat(sel, "/a");
	TEST_ERR_EQ(EINVAL, xsel_parse(&s, sel, NULL, e, sizeof(e)));
	TEST_STR_EQ("step 65: more than 64 steps", e);
	TEST_ASSERT(!s);

	/* 4096 octets are fine, 4097 are not */
	memset(sel, 'a', 4096);
	sel[4096] = '\0';
	err = xsel_parse(&s, sel, NULL, e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(1, s->n);
	s = mem_deref(s);
	strcat(sel, "a");
	TEST_ERR_EQ(EINVAL, xsel_parse(&s, sel, NULL, e, sizeof(e)));
	TEST_STR_EQ("selector longer than 4096 bytes", e);
	TEST_ERR_EQ(EINVAL, xsel_parse(&s, "a", sel, e, sizeof(e)));
	TEST_STR_EQ("query longer than 4096 bytes", e);

	/* a tiny error buffer is truncated, not overrun; none at all */
	TEST_ERR_EQ(EINVAL, xsel_parse(&s, "a/b[0]", NULL, e, 5));
	TEST_STR_EQ("step", e);
	TEST_ERR_EQ(EINVAL, xsel_parse(&s, "a/b[0]", NULL, NULL, 0));
	TEST_ERR_EQ(EINVAL, xsel_parse(&s, NULL, NULL, e, sizeof(e)));
	TEST_ASSERT(!s);
	err = 0;
out:
	mem_deref(s);
	return err;
}

static const struct {
	const char *sel, *query, *err;
} bad_sels[] = {
    {"", NULL, "empty selector"},
    {"/a", NULL, "step 1: empty step"},
    {"a/", NULL, "step 2: empty step"},
    {"a//b", NULL, "step 2: empty step"},
    {"a/b[0]", NULL, "step 2: position 0"},
    {"a/b[00]", NULL, "step 2: position 0"},
    {"a/b[-1]", NULL, "step 2: expected a position or '@' after '['"},
    {"a/b[+1]", NULL, "step 2: expected a position or '@' after '['"},
    {"a/b[ 1]", NULL, "step 2: expected a position or '@' after '['"},
    {"a/b[]", NULL, "step 2: expected a position or '@' after '['"},
    {"a/b[1x]", NULL, "step 2: expected ']' at 'x]'"},
    {"a/b[1 ]", NULL, "step 2: expected ']' at ' ]'"},
    {"a/b[4294967295]/c[4294967296]", NULL, "step 3: position too large"},
    {"a/b[1", NULL, "step 2: unterminated '['"},
    {"a/b[", NULL, "step 2: unterminated '['"},
    {"a/b[@c=\"d]", NULL, "step 2: unterminated quoted value"},
    {"a/b[@c='d\"]/e", NULL, "step 2: unterminated quoted value"},
    {"a/b[@c=\"d\"", NULL, "step 2: unterminated '['"},
    {"a/b[@c=d]", NULL, "step 2: attribute value must be quoted"},
    {"a/b[@c = \"d\"]", NULL, "step 2: expected '=' after the attribute name"},
    {"a/b[@c]", NULL, "step 2: expected '=' after the attribute name"},
    {"a/b[@=\"d\"]", NULL, "step 2: expected an attribute name after '@'"},
    {"a/b[@c=\"<\"]", NULL, "step 2: '<' in an attribute value"},
    {"a/b[@c=\"\x01\"]", NULL,
     "step 2: control character in an attribute value"},
    {"a/b[@c=\"&bogus;\"]", NULL, "step 2: unknown entity '&bogus;'"},
    {"a/b[@c=\"&;\"]", NULL, "step 2: unknown entity '&;'"},
    {"a/b[@c=\"&amp\"]", NULL, "step 2: '&' without ';' in an attribute value"},
    {"a/b[@c=\"&#0;\"]", NULL, "step 2: bad character reference '&#0;'"},
    {"a/b[@c=\"&#;\"]", NULL, "step 2: bad character reference '&#;'"},
    {"a/b[@c=\"&#x;\"]", NULL, "step 2: bad character reference '&#x;'"},
    {"a/b[@c=\"&#12a;\"]", NULL, "step 2: bad character reference '&#12a;'"},
    {"a/b[@c=\"&#xD800;\"]", NULL,
     "step 2: bad character reference '&#xD800;'"},
    {"a/b[@c=\"&#x110000;\"]", NULL,
     "step 2: bad character reference '&#x110000;'"},
    {"a/b[@c=\"&#99999999999;\"]", NULL,
     "step 2: bad character reference '&#99999999999;'"},
    {"a/b[@c=\"&#8;\"]", NULL, "step 2: bad character reference '&#8;'"},
    {"a/b[@c=\"x\"][1]", NULL,
     "step 2: a position must come before the attribute test"},
    {"a/b[1][2]", NULL, "step 2: more than one position"},
    {"a/b[@c=\"x\"][@d=\"y\"]", NULL, "step 2: more than one attribute test"},
    {"a/b[1][@c=\"x\"][@d=\"y\"]", NULL,
     "step 2: more than one attribute test"},
    {"a/b]", NULL, "step 2: unexpected ']' after the step"},
    {"a/b c", NULL, "step 2: unexpected ' c' after the step"},
    {"a/b[1]x", NULL, "step 2: unexpected 'x' after the step"},
    {"a:", NULL, "step 1: unexpected ':' after the step"},
    {"a/*x", NULL, "step 2: unexpected 'x' after the step"},
    {"a/*:b", NULL, "step 2: unexpected ':b' after the step"},
    {"a/1b", NULL, "step 2: expected a name or '*' at '1b'"},
    {"a/-", NULL, "step 2: expected a name or '*' at '-'"},
    {"a/p:b", NULL, "step 2: prefix 'p' is not bound by xmlns() in the query"},
    {"a/b[@p:c=\"1\"]", "xmlns(q=urn:q)",
     "step 2: prefix 'p' is not bound by xmlns() in the query"},
    {"a/@p:c", NULL, "step 2: prefix 'p' is not bound by xmlns() in the query"},
    {"a/@c/d", NULL, "step 2: an attribute selector must be the last step"},
    {"a/@c[1]", NULL, "step 2: unexpected '[1]' after the step"},
    {"a/@", NULL, "step 2: expected an attribute name after '@'"},
    {"@c", NULL,
     "step 1: an attribute selector needs an element step before it"},
    {"a/namespace::*/b", NULL, "step 2: namespace::* must be the last step"},
    {"a/namespace::*x", NULL, "step 2: unexpected 'x' after the step"},
    {"a/namespace::b", NULL, "step 2: unexpected '::b' after the step"},
    {"namespace::*", NULL,
     "step 1: namespace::* needs an element step before it"},
    {"a", "xmlns(p=)", "query: empty namespace name for 'p'"},
    {"a", "xmlns(p= )", "query: empty namespace name for 'p'"},
    {"a", "xmlns(p=urn:x", "query: unterminated xmlns("},
    {"a", "xmlns(p=urn:(x)", "query: unterminated xmlns("},
    {"a", "foo(p=urn:x)",
     "query: expected xmlns(prefix=namespace) at "
     "'foo(p=urn:x)'"},
    {"a", "xmlns(p=urn:x)x", "query: expected xmlns(prefix=namespace) at 'x'"},
    {"a", "xmlns(=urn:x)", "query: xmlns() without a prefix"},
    {"a", "xmlns(p:q=urn:x)", "query: expected '=' after xmlns(p"},
    {"a", "xmlns(p urn:x)", "query: expected '=' after xmlns(p"},
    {"a", "xmlns(xmlns=urn:x)", "query: prefix 'xmlns' cannot be bound"},
    {"a", "xmlns(xml=urn:x)", "query: prefix 'xml' cannot be bound"},
    {"a", "xmlns(p=a^b)", "query: '^' must escape '^', '(' or ')'"},
    {"a", "xmlns(p=a^", "query: '^' must escape '^', '(' or ')'"},
};

TEST(test_xsel_parse_errors)
{
	struct xsel *s = NULL;
	char e[160];
	int err = 0;

	for (size_t i = 0; i < sizeof(bad_sels) / sizeof(bad_sels[0]); i++) {
		int r = xsel_parse(&s, bad_sels[i].sel, bad_sels[i].query, e,
		                   sizeof(e));

		if (r == ENOMEM) {
			err = ENOMEM;
			goto out;
		}
		if (r != EINVAL || strcmp(e, bad_sels[i].err) || s) {
			test_fail(__FILE__, __LINE__,
			          "'%s' ? '%s': %d \"%s\", expected \"%s\"",
			          bad_sels[i].sel,
			          bad_sels[i].query ? bad_sels[i].query : "", r,
			          e, bad_sels[i].err);
			err = EINVAL;
		}
	}
out:
	mem_deref(s);
	return err;
}

/* Evaluate sel (query q): 0 and the attribute aname of the selected
 * element in out ("" without it), or the error. */
static int sel_attr(xmlDocPtr doc, const char *sel, const char *q,
                    const char *dns, const char *aname, char *out, size_t size,
                    uint32_t *depth)
{
	struct xsel *s = NULL;
	xmlNode *n = NULL;
	char e[160];
	int err;

	out[0] = '\0';
	*depth = 99;
	err = xsel_parse(&s, sel, q, e, sizeof(e));
	if (err) {
		if (err != ENOMEM)
			test_fail(__FILE__, __LINE__, "%s: %s", sel, e);
		return err;
	}
	err = xsel_eval(s, doc, dns, &n, depth);
	if (!err)
		attr(n, aname, out, size);
	mem_deref(s);
	return err;
}

/* sel selects the element whose aname is expected (dep steps) */
#define SELA(expected, aname, dep, sel, q, dns)                                \
	do {                                                                   \
		err = sel_attr(doc, sel, q, dns, aname, v, sizeof(v), &depth); \
		TEST_ERR(err);                                                 \
		TEST_STR_EQ(expected, v);                                      \
		TEST_EQ(dep, depth);                                           \
	} while (0)
#define SEL(expected, dep, sel, q) SELA(expected, "uri", dep, sel, q, RL_NS)

/* sel fails with code after dep steps matched */
#define SELX(code, dep, sel, q, dns)                                           \
	do {                                                                   \
		TEST_ERR_EQ(code, sel_attr(doc, sel, q, dns, "uri", v,         \
		                           sizeof(v), &depth));                \
		TEST_EQ(dep, depth);                                           \
	} while (0)
#define SEL_ERR(code, dep, sel, q) SELX(code, dep, sel, q, RL_NS)

#define F "resource-lists/list[@name=\"friends\"]/"

TEST(test_xsel_eval)
{
	static const char qx[] = "xmlns(x=urn:example:x)";
	static const char qrl[] = "xmlns(rl=" RL_NS ")";
	xmlDocPtr doc = NULL;
	uint32_t depth;
	char v[128];
	int err;

	err = load(&doc, doc_xml);
	TEST_ERR(err);

	/* by-name, by-pos, by-attr; the root is the first step */
	SEL("", 1, "resource-lists", NULL);
	SEL("", 1, "resource-lists[1]", NULL);
	SEL("", 1, "*", NULL);
	SEL("sip:a@example.com", 3, F "entry[1]", NULL);
	SEL("sip:b@example.com", 3, "resource-lists/list[1]/entry[2]", NULL);
	SEL("sip:c@example.com", 3, F "entry[@uri=\"sip:c@example.com\"]",
	    NULL);
	SEL("", 4, F "entry[1]/display-name", NULL);
	/* the position counts only siblings that pass the name test:
	 * x:entry is in another namespace, the comment is no element */
	SEL("sip:b@example.com", 3, F "entry[4]", NULL);
	SEL("sip:x@example.com", 3, F "*[4]", NULL);
	SEL("sip:b@example.com", 3, F "*[5]", NULL);
	SEL("sip:x@example.com", 3, F "x:entry", qx);
	SEL("sip:x@example.com", 3, F "*[@uri=\"sip:x@example.com\"]", NULL);
	/* by-pos-attr: the N-th sibling by name, if it passes the
	 * attribute test (XPath predicate order, RFC 4825 6.3) */
	SEL("sip:c@example.com", 3, F "entry[3][@uri=\"sip:c@example.com\"]",
	    NULL);
	SEL("sip:b@example.com", 3, F "entry[4][@xml:lang=\"en\"]", NULL);
	SEL("sip:x@example.com", 3, F "*[4][@uri='sip:x@example.com']", NULL);
	SEL_ERR(ENOENT, 2, F "entry[2][@uri=\"sip:c@example.com\"]", NULL);
	SEL_ERR(ENOENT, 2, F "entry[1][@uri=\"sip:c@example.com\"]", NULL);
	/* attribute namespaces: unprefixed means no namespace */
	SEL("sip:b@example.com", 3, F "entry[@x:tag=\"vip\"]", qx);
	SEL_ERR(ENOENT, 2, F "entry[@tag=\"vip\"]", NULL);
	SEL_ERR(ENOENT, 2, F "entry[@x:tag=\"VIP\"]", qx);
	SEL_ERR(ENOENT, 2, F "entry[@uri=\"\"]", NULL);
	/* values with '/', quotes and references, either quote */
	SEL("sip:d@example.com", 3,
	    "resource-lists/list[@name=\"a/b &quot;q&quot; &amp; &#233;\"]"
	    "/entry",
	    NULL);
	SEL("sip:d@example.com", 3,
	    "resource-lists/list[@name='a/b \"q\" &amp; \xc3\xa9']/entry",
	    NULL);
	/* prefixed steps, '*', and the default namespace of children */
	SELA("1", "id", 3, "resource-lists/x:ext/x:item", qx, RL_NS);
	SELA("2", "id", 3, "resource-lists/x:ext/item", qx, RL_NS);
	SELA("2", "id", 3, "resource-lists/x:ext/*[2]", qx, RL_NS);
	SELA("1", "id", 3, "resource-lists/*[5]/*[@id=\"1\"]", NULL, RL_NS);
	SEL_ERR(ENOENT, 1, "resource-lists/ext", NULL);
	/* a prefix bound to the usage's namespace; no default namespace */
	SELA("sip:a@example.com", "uri", 3,
	     "rl:resource-lists/rl:list[1]/rl:entry[1]", qrl, NULL);
	SELX(ENOENT, 0, "resource-lists", NULL, NULL);
	SELX(ENOENT, 0, "resource-lists", NULL, "");
	SELX(ENOENT, 0, "resource-lists", NULL, "urn:other");
	/* the terminal: xsel_eval returns the element holding it */
	SEL("sip:a@example.com", 3, F "entry[1]/@uri", NULL);
	SEL("sip:a@example.com", 3, F "entry[1]/namespace::*", NULL);

	/* none and several: depth_ok counts the steps that matched one */
	SEL_ERR(ENOENT, 0, "other", NULL);
	SEL_ERR(ENOENT, 0, "resource-lists[2]", NULL);
	SEL_ERR(ENOENT, 0, "other/list", NULL);
	SEL_ERR(E2BIG, 1, "resource-lists/list", NULL);
	SEL_ERR(E2BIG, 1, "resource-lists/list[@name=\"dup\"]", NULL);
	SEL("", 2, "resource-lists/list[4]", NULL);
	SEL_ERR(ENOENT, 1, "resource-lists/list[6]", NULL);
	SEL_ERR(ENOENT, 1, "resource-lists/list[5]", NULL);
	SEL_ERR(E2BIG, 2, F "entry", NULL);
	SEL_ERR(E2BIG, 2, F "entry[@uri=\"sip:b@example.com\"]", NULL);
	SEL_ERR(E2BIG, 2, F "*", NULL);
	SEL_ERR(ENOENT, 2, F "entry[6]", NULL);
	SEL_ERR(ENOENT, 4, F "entry[1]/display-name/x", NULL);
	SEL_ERR(ENOENT, 3, F "entry[2]/display-name", NULL);
out:
	xmlFreeDoc(doc);
	return err;
}

TEST(test_xsel_eval_no_namespace)
{
	static const char xml[] = "<a><b k=\"1\"/><c:b xmlns:c=\"urn:c\" "
	                          "k=\"2\"/><b k=\"3\" c:k=\"4\" "
	                          "xmlns:c=\"urn:c\"/></a>";
	struct xsel *s = NULL;
	xmlDocPtr doc = NULL;
	xmlNode *n = (xmlNode *)&n;
	uint32_t depth;
	char v[32];
	int err;

	err = load(&doc, xml);
	TEST_ERR(err);
	SELX(E2BIG, 1, "a/b", NULL, NULL);
	SELA("1", "k", 2, "a/b[1]", NULL, NULL);
	SELA("3", "k", 2, "a/b[2]", NULL, "");
	SELA("2", "k", 2, "a/c:b", "xmlns(c=urn:c)", NULL);
	SELA("2", "k", 2, "a/*[2]", NULL, NULL);
	SELA("3", "k", 2, "a/b[@c:k=\"4\"]", "xmlns(c=urn:c)", NULL);
	SELA("3", "k", 2, "a/b[@k=\"3\"]", NULL, NULL);
	SELX(E2BIG, 1, "a/*", NULL, NULL);
	SELX(ENOENT, 0, "a", NULL, "urn:c");

	/* nodep and depth_ok may be NULL; bad arguments */
	err = xsel_parse(&s, "a/b[2]", NULL, NULL, 0);
	TEST_ERR(err);
	TEST_EQ(0, xsel_eval(s, doc, NULL, NULL, NULL));
	TEST_EQ(EINVAL, xsel_eval(s, NULL, NULL, &n, &depth));
	TEST_EQ(0, depth);
	TEST_EQ(EINVAL, xsel_eval(NULL, doc, NULL, &n, NULL));
	TEST_ASSERT(n == (xmlNode *)&n); /* untouched on errors */
	TEST_EQ(ENOENT, xsel_eval(s, doc, "urn:c", &n, NULL));
	TEST_ASSERT(n == (xmlNode *)&n);
out:
	mem_deref(s);
	xmlFreeDoc(doc);
	return err;
}

TEST(test_xsel_step_match)
{
	struct xsel *s = NULL;
	xmlDocPtr doc = NULL;
	xmlNode *list, *k[6];
	int err, i = 0;

	err = load(&doc, doc_xml);
	TEST_ERR(err);
	err = xsel_parse(&s,
	                 "resource-lists/list[9]/entry[3][@uri=\"sip:c@"
	                 "example.com\"]/x:entry[7]/*[@x:tag=\"vip\"]",
	                 "xmlns(x=urn:example:x)", NULL, 0);
	TEST_ERR(err);
	list = xmlDocGetRootElement(doc)->children;
	while (list->type != XML_ELEMENT_NODE)
		list = list->next;
	for (xmlNode *c = list->children; c && i < 6; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			k[i++] = c;
	TEST_EQ(5, i);
	/* the position is not tested */
	TEST_ASSERT(xsel_step_match(s, &s->steps[1], list, RL_NS));
	TEST_ASSERT(!xsel_step_match(s, &s->steps[1], k[0], RL_NS));
	TEST_ASSERT(!xsel_step_match(s, &s->steps[1], list, NULL));
	TEST_ASSERT(!xsel_step_match(s, &s->steps[2], k[0], RL_NS));
	TEST_ASSERT(xsel_step_match(s, &s->steps[2], k[2], RL_NS));
	TEST_ASSERT(!xsel_step_match(s, &s->steps[2], k[3], RL_NS));
	TEST_ASSERT(xsel_step_match(s, &s->steps[3], k[3], RL_NS));
	TEST_ASSERT(xsel_step_match(s, &s->steps[3], k[3], NULL));
	TEST_ASSERT(!xsel_step_match(s, &s->steps[3], k[0], RL_NS));
	TEST_ASSERT(xsel_step_match(s, &s->steps[4], k[1], RL_NS));
	TEST_ASSERT(!xsel_step_match(s, &s->steps[4], k[4], RL_NS));
	/* not an element; NULL arguments */
	TEST_ASSERT(!xsel_step_match(s, &s->steps[4], list->prev, RL_NS));
	TEST_ASSERT(!xsel_step_match(s, &s->steps[2], NULL, RL_NS));
	TEST_ASSERT(!xsel_step_match(NULL, &s->steps[2], k[2], RL_NS));
	TEST_ASSERT(!xsel_step_match(s, NULL, k[2], RL_NS));
out:
	mem_deref(s);
	xmlFreeDoc(doc);
	return err;
}

/* print(n) of sel, then decoded and parsed again prints the same. */
static int round_trip(const char *sel, const char *q, const char *expected)
{
	struct xsel *s = NULL, *s2 = NULL;
	char buf[512], buf2[512], e[160];
	int err;

	err = xsel_parse(&s, sel, q, e, sizeof(e));
	if (err && err != ENOMEM)
		test_fail(__FILE__, __LINE__, "%s: %s", sel, e);
	TEST_ERR(err);
	err = xsel_print(s, s->n, buf, sizeof(buf));
	TEST_ERR(err);
	TEST_STR_EQ(expected, buf);
	pct_decode(buf);
	err = xsel_parse(&s2, buf, q, NULL, 0);
	TEST_ERR(err);
	TEST_EQ(s->n, s2->n);
	err = xsel_print(s2, s2->n, buf2, sizeof(buf2));
	TEST_ERR(err);
	TEST_STR_EQ(expected, buf2);
	for (uint32_t i = 0; i < s->n; i++) {
		const struct xsel_step *a = &s->steps[i], *b = &s2->steps[i];

		TEST_EQ(a->pos, b->pos);
		TEST_ASSERT(!a->aval == !b->aval);
		TEST_ASSERT(!a->aval || !strcmp(a->aval, b->aval));
	}
out:
	mem_deref(s);
	mem_deref(s2);
	return err;
}

TEST(test_xsel_print)
{
	static const char sel[] =
	    "resource-lists/list[@name=\"a/b &quot;q&quot; &amp; &#233;\"]/"
	    "entry[1]/@uri";
	static const char full[] =
	    "resource-lists/list%5b@name=%22a/b%20&quot;"
	    "q&quot;%20&amp;%20%c3%a9%22%5d/entry%5b1%5d";
	struct xsel *s = NULL;
	char buf[256];
	int err;

	err = xsel_parse(&s, sel, NULL, NULL, 0);
	TEST_ERR(err);
	err = xsel_print(s, 3, buf, sizeof(buf));
	TEST_ERR(err);
	TEST_STR_EQ(full, buf);
	TEST_EQ(0, xsel_print(s, 0, buf, sizeof(buf)));
	TEST_STR_EQ("", buf);
	TEST_EQ(0, xsel_print(s, 1, buf, sizeof(buf)));
	TEST_STR_EQ("resource-lists", buf);
	TEST_EQ(EINVAL, xsel_print(s, 4, buf, sizeof(buf)));
	TEST_EQ(EINVAL, xsel_print(s, 1, buf, 0));
	TEST_EQ(EINVAL, xsel_print(NULL, 0, buf, sizeof(buf)));
	/* exactly fits; one short; tiny: always terminated */
	TEST_EQ(0, xsel_print(s, 3, buf, sizeof(full)));
	TEST_STR_EQ(full, buf);
	TEST_EQ(ENOSPC, xsel_print(s, 3, buf, sizeof(full) - 1));
	TEST_ASSERT(strlen(buf) < sizeof(full) - 1);
	TEST_ASSERT(!strncmp(buf, full, strlen(buf)));
	TEST_EQ(ENOSPC, xsel_print(s, 2, buf, 20));
	TEST_STR_EQ("resource-lists/list", buf);
	TEST_EQ(ENOSPC, xsel_print(s, 1, buf, 1));
	TEST_STR_EQ("", buf);

	err = round_trip(sel, NULL, full);
	if (!err)
		err = round_trip("p:a/*[2]/q:b[3][@p:c='1\"&lt;>%']",
		                 "xmlns(p=urn:p)xmlns(q=urn:q)",
		                 "p:a/*%5b2%5d/q:b%5b3%5d%5b@p:c=%221&quot;&lt;"
		                 "%3e%25%22%5d");
	if (!err)
		err = round_trip("a[@b=\"&#x9;&#xA; ]\"]", NULL,
		                 "a%5b@b=%22%09%0a%20%5d%22%5d");
out:
	mem_deref(s);
	return err;
}

TEST(test_xcap_uri_parse)
{
	struct xcap_uri u;
	char e[160];
	int err;

	err = xcap_uri_parse(&u,
	                     "resource-lists/users/sip:alice@Example.COM/"
	                     "index/~~/rl:resource-lists/rl:list[@name="
	                     "\"a/~~/b\"]",
	                     "xmlns(rl=" RL_NS ")", e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("", e);
	TEST_STR_EQ("resource-lists", u.auid);
	TEST_EQ(XCAP_USERS, u.tree);
	TEST_STR_EQ("sip:alice@Example.COM", u.xui);
	TEST_STR_EQ("alice@example.com", u.owner);
	TEST_STR_EQ("index", u.doc);
	TEST_STR_EQ("rl:resource-lists/rl:list[@name=\"a/~~/b\"]", u.nodesel);
	TEST_EQ(2, u.sel->n);
	TEST_STR_EQ("a/~~/b", u.sel->steps[1].aval);
	xcap_uri_reset(&u);
	TEST_ASSERT(!u.auid && !u.sel);

	/* sips:, no scheme, user case kept; a document in a folder */
	err = xcap_uri_parse(&u,
	                     "pres-rules/users/SIPS:Bob.X@B.Example.org"
	                     "/dir/doc.xml",
	                     "ignored(without a selector)", e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("SIPS:Bob.X@B.Example.org", u.xui);
	TEST_STR_EQ("Bob.X@b.example.org", u.owner);
	TEST_STR_EQ("dir/doc.xml", u.doc);
	TEST_ASSERT(!u.nodesel && !u.sel);
	xcap_uri_reset(&u);
	err = xcap_uri_parse(&u, "rls-services/users/carol@[2001:DB8::1]/i",
	                     NULL, e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("carol@[2001:db8::1]", u.owner);
	xcap_uri_reset(&u);

	/* directories: no document */
	static const char *const dirs[] = {
	    "resource-lists/users/sip:a@example.com",
	    "resource-lists/users/sip:a@example.com/",
	    "resource-lists/users/sip:a@example.com/dir/",
	    "resource-lists/users/sip:a@example.com/dir/sub/",
	};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		err = xcap_uri_parse(&u, dirs[i], NULL, e, sizeof(e));
		TEST_ERR(err);
		TEST_ASSERT(!u.doc);
		TEST_STR_EQ("a@example.com", u.owner);
		xcap_uri_reset(&u);
	}

	/* the global tree */
	err = xcap_uri_parse(&u, "xcap-caps/global/index", NULL, e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(XCAP_GLOBAL, u.tree);
	TEST_ASSERT(!u.xui);
	TEST_STR_EQ("", u.owner);
	TEST_STR_EQ("index", u.doc);
	xcap_uri_reset(&u);
	err = xcap_uri_parse(&u, "xcap-caps/global", NULL, e, sizeof(e));
	TEST_ERR(err);
	TEST_ASSERT(!u.doc);
	TEST_STR_EQ("xcap-caps", u.auid);
	xcap_uri_reset(&u);
	err = xcap_uri_parse(&u, "xcap-caps/global/index/~~/xcap-caps/@x", NULL,
	                     e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(XSEL_ATTRIBUTE, u.sel->term);
out:
	xcap_uri_reset(&u);
	return err;
}

static const struct {
	const char *path, *query;
	int code;
	const char *err;
} bad_uris[] = {
    {"", NULL, EINVAL, "no application usage in the XCAP URI"},
    {"/resource-lists/users/sip:a@b.c/index", NULL, EINVAL,
     "no application usage in the XCAP URI"},
    {"resource-lists", NULL, ENOENT,
     "no users or global tree after 'resource-lists'"},
    {"resource-lists/", NULL, ENOENT, "'' is not the users or global tree"},
    {"resource-lists/foo/sip:a@b.c/index", NULL, ENOENT,
     "'foo' is not the users or global tree"},
    {"resource-lists/Users/sip:a@b.c/index", NULL, ENOENT,
     "'Users' is not the users or global tree"},
    {"resource-lists/users", NULL, EINVAL, "no XUI after users/"},
    {"resource-lists/users/", NULL, EINVAL, "no XUI after users/"},
    {"resource-lists/users//index", NULL, EINVAL, "no XUI after users/"},
    {"resource-lists/users/tel:+15550100/index", NULL, EINVAL,
     "XUI 'tel:+15550100' is not user@domain"},
    {"resource-lists/users/sip:alice/index", NULL, EINVAL,
     "XUI 'sip:alice' is not user@domain"},
    {"resource-lists/users/sip:@b.c/index", NULL, EINVAL,
     "XUI 'sip:@b.c' is not user@domain"},
    {"resource-lists/users/sip:a@/index", NULL, EINVAL,
     "XUI 'sip:a@' is not user@domain"},
    {"resource-lists/users/sip:a@b c/index", NULL, EINVAL,
     "XUI 'sip:a@b c' is not user@domain"},
    {"resource-lists/users/sip:a@b.c:5060/index", NULL, EINVAL,
     "XUI 'sip:a@b.c:5060' is not user@domain"},
    {"resource-lists/users/sip:a@b.c;x=y/index", NULL, EINVAL,
     "XUI 'sip:a@b.c;x=y' is not user@domain"},
    {"resource-lists/users/mailto:a@b.c/index", NULL, EINVAL,
     "XUI 'mailto:a@b.c' is not user@domain"},
    {"resource-lists/users/sip:a@[zz]/index", NULL, EINVAL,
     "XUI 'sip:a@[zz]' is not user@domain"},
    {"resource-lists/users/sip:a@b.c/x//y", NULL, EINVAL,
     "document path 'x//y' has an empty, '.' or '..' segment"},
    {"resource-lists/users/sip:a@b.c/../sip:z@b.c/index", NULL, EINVAL,
     "document path '../sip:z@b.c/index' has an empty, '.' or '..' "
     "segment"},
    {"resource-lists/global/./index", NULL, EINVAL,
     "document path './index' has an empty, '.' or '..' segment"},
    {"resource-lists/global//index", NULL, EINVAL,
     "document path '/index' has an empty, '.' or '..' segment"},
    {"resource-lists/users/sip:a@b.c/index/~~", NULL, EINVAL,
     "empty node selector after '~~'"},
    {"resource-lists/users/sip:a@b.c/index/~~/", NULL, EINVAL,
     "empty node selector after '~~'"},
    {"resource-lists/users/sip:a@b.c/~~/resource-lists", NULL, EINVAL,
     "node selector without a document"},
    {"resource-lists/users/sip:a@b.c/dir//~~/resource-lists", NULL, EINVAL,
     "node selector without a document"},
    {"resource-lists/users/sip:a@b.c/index/~~/resource-lists/p:list", NULL,
     EINVAL, "step 2: prefix 'p' is not bound by xmlns() in the query"},
    {"resource-lists/users/sip:a@b.c/index/~~/resource-lists/list[0]",
     "xmlns(p=urn:p)", EINVAL, "step 2: position 0"},
    {"resource-lists/users/sip:a@b.c/index/~~/resource-lists", "xmlns(", EINVAL,
     "query: xmlns() without a prefix"},
};

TEST(test_xcap_uri_parse_errors)
{
	struct xcap_uri u;
	char e[160];
	int err = 0;

	memset(&u, 0, sizeof(u));
	for (size_t i = 0; i < sizeof(bad_uris) / sizeof(bad_uris[0]); i++) {
		int r = xcap_uri_parse(&u, bad_uris[i].path, bad_uris[i].query,
		                       e, sizeof(e));

		if (r == ENOMEM) {
			err = ENOMEM;
			goto out;
		}
		if (r != bad_uris[i].code || strcmp(e, bad_uris[i].err) ||
		    u.sel) {
			test_fail(__FILE__, __LINE__,
			          "'%s': %d \"%s\", expected %d \"%s\"",
			          bad_uris[i].path, r, e, bad_uris[i].code,
			          bad_uris[i].err);
			err = EINVAL;
		}
		xcap_uri_reset(&u);
	}
	/* what was parsed before the error is there to free */
	TEST_ERR_EQ(EINVAL, xcap_uri_parse(&u, "rl/users/sip:a@b.c/index/~~",
	                                   NULL, NULL, 0));
	TEST_STR_EQ("index", u.doc);
	TEST_STR_EQ("", u.nodesel);
	xcap_uri_reset(&u);
	TEST_ERR_EQ(EINVAL, xcap_uri_parse(&u, NULL, NULL, e, sizeof(e)));
	TEST_ASSERT(!u.doc);
	TEST_ERR_EQ(EINVAL,
	            xcap_uri_parse(NULL, "rl/global/x", NULL, e, sizeof(e)));
out:
	xcap_uri_reset(&u);
	return err;
}
