/* tests/unit/list/test_rlist.c - resource lists, rls-services, URI-lists
 * (RFC 4826, RFC 5366, RFC 5364) and list URI comparison */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "list/rlist.h"
#include "test.h"

#define XD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define RL "<resource-lists xmlns=\"" RLIST_NS "\">\n"
#define RLC                                                                    \
	"<resource-lists xmlns=\"" RLIST_NS "\" xmlns:cp=\"" RLIST_CP_NS "\">" \
	"\n"
#define RS "<rls-services xmlns=\"" RLS_NS "\" xmlns:rl=\"" RLIST_NS "\">\n"

static int doc(struct rlist ***v, uint32_t *n, const char *xml, char *e,
               size_t es)
{
	return rlist_doc_parse(v, n, xml, strlen(xml), e, es);
}

static int rls(struct rls_services **s, const char *xml, char *e, size_t es)
{
	return rls_services_parse(s, xml, strlen(xml), e, es);
}

static bool has(const struct buf *mb, const char *needle)
{
	return memmem(mb->b, mb->end, needle, strlen(needle)) != NULL;
}

TEST(test_rlist_doc_nested)
{
	static const char xml[] =
	    XD RL "<list name=\"friends\">\n"
	          " <display-name>Friends</display-name>\n"
	          " <entry uri=\"sip:bill@example.com\">\n"
	          "  <display-name>Bill Doe</display-name>\n"
	          " </entry>\n"
	          " <entry-ref ref=\"users/sip:bill@example.com/index/~~/"
	          "resource-lists/list%5b@name=%22l1%22%5d/entry\"/>\n"
	          " <list name=\"close\">\n"
	          "  <entry uri=\" sip:joe@example.com \"/>\n"
	          "  <entry uri=\"sip:BILL@example.com\"/>\n"
	          "  <list name=\"closest\">\n"
	          "   <entry uri=\"sip:bill@EXAMPLE.com;lr\"/>\n"
	          "   <entry uri=\"tel:+1-555-0100\"/>\n"
	          "  </list>\n"
	          "  <list>\n"
	          "   <entry uri=\"sip:anon@example.com\"/>\n"
	          "  </list>\n"
	          " </list>\n"
	          " <external anchor=\"http://xcap.example.org/x\"/>\n"
	          " <external/>\n"
	          " <x:extra xmlns:x=\"urn:x\"><x:entry uri=\"sip:no@x\"/>"
	          "</x:extra>\n"
	          " <entry uri=\"sip:joe@example.com;transport=tcp\"/>\n"
	          " <entry uri=\"sip:joe@example.com\"/>\n"
	          "</list>\n"
	          "<list name=\"close\"><entry uri=\"sip:z@example.com\"/>"
	          "</list>\n"
	          "<list/>\n"
	          "</resource-lists>\n";
	struct rlist **v = NULL;
	const struct rlist *l;
	uint32_t n = 0;
	char e[128];
	int err;

	err = doc(&v, &n, xml, e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("", e);
	TEST_EQ(3, n);
	TEST_ASSERT(v[3] == NULL);
	l = v[0];
	TEST_STR_EQ("friends", l->name);
	TEST_EQ(6, l->n);
	TEST_STR_EQ("sip:bill@example.com", l->e[0].uri);
	TEST_STR_EQ("Bill Doe", l->e[0].display);
	TEST_STR_EQ("", l->e[0].list);
	TEST_STR_EQ("sip:joe@example.com", l->e[1].uri); /* trimmed */
	TEST_ASSERT(l->e[1].display == NULL);
	TEST_STR_EQ("close", l->e[1].list);
	/* user parts are case-sensitive: BILL is another member */
	TEST_STR_EQ("sip:BILL@example.com", l->e[2].uri);
	TEST_STR_EQ("close", l->e[2].list);
	/* sip:bill@EXAMPLE.com;lr is bill again (host case, lr ignored) */
	TEST_STR_EQ("tel:+1-555-0100", l->e[3].uri);
	TEST_STR_EQ("close/closest", l->e[3].list);
	/* a list without a name adds nothing to the path */
	TEST_STR_EQ("sip:anon@example.com", l->e[4].uri);
	TEST_STR_EQ("close", l->e[4].list);
	/* transport counts; the later plain joe is a duplicate */
	TEST_STR_EQ("sip:joe@example.com;transport=tcp", l->e[5].uri);
	TEST_STR_EQ("", l->e[5].list);
	TEST_EQ(RLIST_TO, l->e[0].copy);
	TEST_ASSERT(!l->e[0].anonymize);
	TEST_EQ(2, l->nrefs);
	TEST_STR_EQ("users/sip:bill@example.com/index/~~/resource-lists/"
	            "list%5b@name=%22l1%22%5d/entry",
	            l->refs[0]);
	TEST_STR_EQ("http://xcap.example.org/x", l->refs[1]);
	TEST_ASSERT(l->refs[2] == NULL);
	/* the same name at another level is fine */
	TEST_STR_EQ("close", v[1]->name);
	TEST_EQ(1, v[1]->n);
	TEST_STR_EQ("", v[2]->name);
	TEST_EQ(0, v[2]->n);
	TEST_EQ(0, v[2]->nrefs);
out:
	mem_deref(v);
	return err;
}

TEST(test_rlist_doc_empty)
{
	struct rlist **v = NULL;
	uint32_t n = 7;
	int err;

	err = doc(&v, &n, RL "</resource-lists>", NULL, 0);
	TEST_ERR(err);
	TEST_EQ(0, n);
	TEST_ASSERT(v && v[0] == NULL);
out:
	mem_deref(v);
	return err;
}

static const struct {
	const char *xml;
	const char *err;
} bad_docs[] = {
    {XD RL "<list>\n <entry uri=\"sip:a@example.com\"/>\n"
           " <entry>\n  <display-name>x</display-name>\n </entry>\n"
           "</list></resource-lists>",
     "line 5: <entry> without uri"},
    {RL "<list><entry uri=\"  \"/></list></resource-lists>",
     "line 2: <entry> with an empty uri"},
    {RL "<list name=\"a\"/>\n<list name=\"b\"/>\n<list name=\"a\"/>\n"
        "</resource-lists>",
     "line 4: two lists named 'a' at one level"},
    {RL "<list name=\"top\">\n <list name=\"x\"/>\n <list name=\"y\"/>\n"
        " <list name=\"x\"/>\n <list name=\"y\"/>\n</list>"
        "</resource-lists>",
     "line 5: two lists named 'x' at one level"},
    {"<resource-lists xmlns=\"urn:other\"/>",
     "line 1: root is not <resource-lists> of " RLIST_NS},
    {"<lists xmlns=\"" RLIST_NS "\"/>",
     "line 1: root is not <resource-lists> of " RLIST_NS},
    {RL "<list>\n<entry uri=\"sip:a@b\">\n</list></resource-lists>", NULL},
    {RL "<list>hello</list></resource-lists>", "line 2: text in <list>"},
    {RL "<list><entry-ref/></list></resource-lists>",
     "line 2: <entry-ref> without ref"},
    {RL "<list><member uri=\"sip:a@b\"/></list></resource-lists>",
     "line 2: unexpected element <member> in <list>"},
    {RL "<list><entry uri=\"sip:a@b\"><list/></entry></list>"
        "</resource-lists>",
     "line 2: unexpected element <list> in <entry>"},
    {RL "<list><display-name>a</display-name><display-name>b"
        "</display-name></list></resource-lists>",
     "line 2: two <display-name> in one <list>"},
    {RL "<list><entry uri=\"sip:a@b\"><display-name>a<b/>"
        "</display-name></entry></list></resource-lists>",
     "line 2: element <b> inside <display-name>"},
    {RL "<entry uri=\"sip:a@b\"/></resource-lists>",
     "line 2: unexpected element <entry> in <resource-lists>"},
    {"<!DOCTYPE r [<!ENTITY x \"y\">]>" RL "</resource-lists>",
     "line 1: DTD not allowed"},
};

TEST(test_rlist_doc_errors)
{
	struct rlist **v = NULL;
	uint32_t n = 0;
	char e[160];
	int err = 0;

	for (size_t i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		err = doc(&v, &n, bad_docs[i].xml, e, sizeof(e));
		if (err == ENOMEM)
			goto out;
		if (err != EBADMSG)
			test_fail(__FILE__, __LINE__, "doc %zu: err %d", i,
			          err);
		TEST_EQ(EBADMSG, err);
		TEST_ASSERT(v == NULL);
		if (bad_docs[i].err && strcmp(bad_docs[i].err, e))
			test_fail(__FILE__, __LINE__, "doc %zu: '%s'", i, e);
		TEST_ASSERT(!bad_docs[i].err || !strcmp(bad_docs[i].err, e));
		TEST_ASSERT(!strncmp(e, "line ", 5));
	}
	err = 0;
	/* the error buffer may be absent */
	TEST_EQ(EBADMSG, doc(&v, &n, "<x", NULL, 0));
	TEST_EQ(EINVAL, rlist_doc_parse(&v, &n, NULL, 0, NULL, 0));
out:
	return err;
}

/* A list nested depth deep (the top list is 1). */
static int nested(struct buf *b, unsigned depth)
{
	int err = buf_write_str(b, RL);

	for (unsigned i = 0; !err && i < depth; i++)
		err = buf_printf(b, "<list name=\"l%u\">", i);
	if (!err)
		err = buf_write_str(b, "<entry uri=\"sip:deep@example.com\"/>");
	for (unsigned i = 0; !err && i < depth; i++)
		err = buf_write_str(b, "</list>");
	if (!err)
		err = buf_write_str(b, "</resource-lists>");
	return err;
}

/* lists of externals (members that cost no memory) and two entries */
static int many(struct buf *b, unsigned externals, unsigned lists)
{
	int err = buf_write_str(b, RL);

	for (unsigned l = 0; !err && l < lists; l++) {
		err = buf_write_str(b, "<list>");
		for (unsigned i = l; !err && i < externals; i += lists)
			err = buf_write_str(b, "<external/>");
		if (!err && l == lists - 1)
			err = buf_write_str(
			    b, "<entry uri=\"sip:a@example.com\"/>"
			       "\n<entry uri=\"sip:b@example.com\"/>");
		if (!err)
			err = buf_write_str(b, "</list>");
	}
	if (!err)
		err = buf_write_str(b, "</resource-lists>");
	return err;
}

TEST(test_rlist_limits)
{
	struct rlist **v = NULL;
	struct buf *b = NULL;
	uint32_t n = 0;
	char e[128], want[64];
	int err;

	err = buf_alloc(&b, 4096);
	TEST_ERR(err);
	err = nested(b, RLIST_MAX_DEPTH);
	TEST_ERR(err);
	err = rlist_doc_parse(&v, &n, (const char *)b->b, b->end, e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(1, v[0]->n);
	TEST_STR_EQ("l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/l11/l12/l13/l14/l15",
	            v[0]->e[0].list);
	v = mem_deref(v);

	buf_reset(b);
	err = nested(b, RLIST_MAX_DEPTH + 1);
	TEST_ERR(err);
	err = rlist_doc_parse(&v, &n, (const char *)b->b, b->end, e, sizeof(e));
	TEST_ERR_EQ(EBADMSG, err);
	snprintf(want, sizeof(want), "line 2: lists nested more than %d deep",
	         RLIST_MAX_DEPTH);
	TEST_STR_EQ(want, e);

	/* RLIST_MAX_ENTRIES members in all, over two lists */
	buf_reset(b);
	err = many(b, RLIST_MAX_ENTRIES - 2, 2);
	TEST_ERR(err);
	err = rlist_doc_parse(&v, &n, (const char *)b->b, b->end, e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(2, n);
	TEST_EQ(2, v[1]->n);
	v = mem_deref(v);

	buf_reset(b);
	err = many(b, RLIST_MAX_ENTRIES - 1, 2);
	TEST_ERR(err);
	err = rlist_doc_parse(&v, &n, (const char *)b->b, b->end, e, sizeof(e));
	TEST_ERR_EQ(EBADMSG, err);
	snprintf(want, sizeof(want), "line 3: more than %d entries",
	         RLIST_MAX_ENTRIES);
	TEST_STR_EQ(want, e);
	err = 0;
out:
	mem_deref(v);
	mem_deref(b);
	return err;
}

TEST(test_rlist_urilist)
{
	static const char xml[] = XD RLC
	    "<list>\n"
	    " <entry uri=\"sip:bill@example.com\" cp:copyControl=\"to\"/>\n"
	    " <entry uri=\"sip:randy@example.net\" cp:copyControl=\"cc\""
	    " cp:anonymize=\"true\"/>\n"
	    " <entry uri=\"sip:eddy@example.com\" cp:copyControl=\" bcc \""
	    " cp:anonymize=\"1\" cp:count=\"3\"/>\n"
	    " <entry uri=\"sip:joe@example.org\" cp:anonymize=\"false\"/>\n"
	    " <entry uri=\"sip:Bill@example.com\" copyControl=\"bcc\"/>\n"
	    " <list name=\"more\">\n"
	    "  <entry uri=\"sip:bill@Example.COM\" cp:copyControl=\"bcc\"/>\n"
	    "  <entry uri=\"tel:+15550100\" cp:copyControl=\"bcc\"/>\n"
	    " </list>\n"
	    "</list>\n</resource-lists>\n";
	struct rlist *l = NULL, **v = NULL;
	uint32_t n = 0;
	char e[128];
	int err;

	err = rlist_urilist_parse(&l, xml, strlen(xml), e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("", l->name);
	TEST_EQ(6, l->n);
	TEST_STR_EQ("sip:bill@example.com", l->e[0].uri);
	TEST_EQ(RLIST_TO, l->e[0].copy);
	TEST_ASSERT(!l->e[0].anonymize);
	TEST_EQ(RLIST_CC, l->e[1].copy);
	TEST_ASSERT(l->e[1].anonymize);
	TEST_EQ(RLIST_BCC, l->e[2].copy);
	TEST_ASSERT(l->e[2].anonymize);
	TEST_EQ(RLIST_TO, l->e[3].copy);
	TEST_ASSERT(!l->e[3].anonymize);
	/* an attribute without the namespace is not copyControl */
	TEST_STR_EQ("sip:Bill@example.com", l->e[4].uri);
	TEST_EQ(RLIST_TO, l->e[4].copy);
	/* bill again (the first one, "to", wins); then the tel URI */
	TEST_STR_EQ("tel:+15550100", l->e[5].uri);
	TEST_EQ(RLIST_BCC, l->e[5].copy);
	TEST_STR_EQ("more", l->e[5].list);
	l = mem_deref(l);

	/* rlist_doc_parse does not read copyControl */
	err = doc(&v, &n, xml, e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("sip:randy@example.net", v[0]->e[1].uri);
	TEST_EQ(RLIST_TO, v[0]->e[1].copy);
	TEST_ASSERT(!v[0]->e[1].anonymize);
out:
	mem_deref(v);
	mem_deref(l);
	return err;
}

TEST(test_rlist_urilist_errors)
{
	static const struct {
		const char *xml, *err;
	} bad[] = {
	    {RLC "<list><entry uri=\"sip:a@b\" cp:copyControl=\"from\"/>"
	         "</list></resource-lists>",
	     "line 2: bad copyControl value 'from'"},
	    {RLC "<list><entry uri=\"sip:a@b\" cp:anonymize=\"yes\"/>"
	         "</list></resource-lists>",
	     "line 2: bad anonymize value 'yes'"},
	    {RLC "<list><entry uri=\"sip:a@b\" cp:count=\"-1\"/>"
	         "</list></resource-lists>",
	     "line 2: bad count value '-1'"},
	    {RLC "</resource-lists>", "line 1: URI-list without <list>"},
	    {RLC "<list/>\n<list/></resource-lists>",
	     "line 3: URI-list with more than one <list>"},
	    {RLC "<list><entry/></list></resource-lists>",
	     "line 2: <entry> without uri"},
	    {RS "</rls-services>",
	     "line 1: root is not <resource-lists> of " RLIST_NS},
	};
	struct rlist *l = NULL;
	char e[128];
	int err = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = rlist_urilist_parse(&l, bad[i].xml, strlen(bad[i].xml), e,
		                          sizeof(e));
		TEST_ERR_EQ(EBADMSG, err);
		TEST_ASSERT(l == NULL);
		if (strcmp(bad[i].err, e))
			test_fail(__FILE__, __LINE__, "%zu: '%s'", i, e);
		TEST_STR_EQ(bad[i].err, e);
	}
	err = 0;
out:
	return err;
}

/* RFC 4826 4.2's example, and a group of groups */
static const char rls_doc[] =
    XD RS " <service uri=\"sip:mybuddies@example.com\">\n"
          "  <resource-list>http://xcap.example.com/resource-lists/users/"
          "sip:joe@example.com/index/~~/resource-lists/"
          "list%5b@name=%22l1%22%5d</resource-list>\n"
          "  <packages>\n"
          "   <package>presence</package>\n"
          "  </packages>\n"
          " </service>\n"
          " <service uri=\"sip:marketing@example.com\">\n"
          "  <list name=\"marketing\">\n"
          "   <rl:entry uri=\"sip:joe@example.com\"/>\n"
          "   <rl:entry uri=\"sip:sudhir@example.com\"/>\n"
          "   <rl:list name=\"sales\">\n"
          "    <rl:entry uri=\"sip:mybuddies@example.com\"/>\n"
          "   </rl:list>\n"
          "  </list>\n"
          "  <packages>\n"
          "   <package>presence</package>\n"
          "   <package>message-summary</package>\n"
          "  </packages>\n"
          " </service>\n"
          " <service uri=\"sip:all@example.com\">\n"
          "  <list/>\n"
          " </service>\n"
          "</rls-services>\n";

TEST(test_rls_services_parse)
{
	struct rls_services *s = NULL;
	const struct rls_service *sv;
	char e[128];
	int err;

	err = rls(&s, rls_doc, e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("", e);
	TEST_EQ(3, s->n);
	sv = &s->s[0];
	TEST_STR_EQ("sip:mybuddies@example.com", sv->uri);
	TEST_ASSERT(sv->list == NULL);
	TEST_STR_EQ("http://xcap.example.com/resource-lists/users/"
	            "sip:joe@example.com/index/~~/resource-lists/"
	            "list%5b@name=%22l1%22%5d",
	            sv->list_ref);
	TEST_EQ(1, sv->npackages);
	TEST_STR_EQ("presence", sv->packages[0]);
	TEST_ASSERT(sv->packages[1] == NULL);
	sv = &s->s[1];
	TEST_ASSERT(sv->list_ref == NULL);
	TEST_STR_EQ("marketing", sv->list->name);
	TEST_EQ(3, sv->list->n);
	TEST_STR_EQ("sip:sudhir@example.com", sv->list->e[1].uri);
	TEST_STR_EQ("sip:mybuddies@example.com", sv->list->e[2].uri);
	TEST_STR_EQ("sales", sv->list->e[2].list);
	TEST_EQ(2, sv->npackages);
	TEST_STR_EQ("message-summary", sv->packages[1]);
	sv = &s->s[2];
	TEST_EQ(0, sv->list->n);
	TEST_EQ(0, sv->npackages);
	TEST_ASSERT(sv->packages == NULL);
out:
	mem_deref(s);
	return err;
}

TEST(test_rls_services_errors)
{
	static const struct {
		const char *xml, *err;
	} bad[] = {
	    {RS "<service uri=\"sip:a@example.com\">\n<list>\n"
	        "<entry uri=\"sip:b@example.com\"/>\n</list>\n</service>\n"
	        "</rls-services>",
	     "line 4: <entry> in the rls-services namespace: list members "
	     "are in " RLIST_NS},
	    {RS "<service uri=\"sip:a@example.com\">\n"
	        "<rl:list><rl:entry uri=\"sip:b@example.com\"/></rl:list>\n"
	        "</service></rls-services>",
	     "line 2: <service> with neither <list> nor <resource-list> (its "
	     "<list> is in the rls-services namespace)"},
	    {RS "<service uri=\"sip:a@example.com\">\n"
	        "<packages/></service></rls-services>",
	     "line 2: <service> with neither <list> nor <resource-list>"},
	    {RS "<service uri=\"sip:a@example.com\">\n<list/>\n"
	        "<resource-list>http://x/</resource-list>\n"
	        "</service></rls-services>",
	     "line 4: <service> with more than one of <list> and "
	     "<resource-list>"},
	    {RS "<service uri=\"sip:a@example.com\">\n<list/>\n<list/>\n"
	        "</service></rls-services>",
	     "line 4: <service> with more than one of <list> and "
	     "<resource-list>"},
	    {RS "<service uri=\"sip:team@example.com\"><list/></service>\n"
	        "<service uri=\"sip:other@example.com\"><list/></service>\n"
	        "<service uri=\"sip:team@EXAMPLE.COM;lr\"><list/></service>\n"
	        "</rls-services>",
	     "line 4: two services with the uri 'sip:team@EXAMPLE.COM;lr'"},
	    {RS "<service><list/></service></rls-services>",
	     "line 2: <service> without uri"},
	    {RS "<service uri=\"sip:a@b\"><list/><packages/>\n<packages/>"
	        "</service></rls-services>",
	     "line 3: two <packages> in one <service>"},
	    {RS "<service uri=\"sip:a@b\"><list/><packages><package> "
	        "</package></packages></service></rls-services>",
	     "line 2: empty <package>"},
	    {RS "<service uri=\"sip:a@b\"><resource-list/></service>"
	        "</rls-services>",
	     "line 2: empty <resource-list>"},
	    {RS "<service uri=\"sip:a@b\"><list><rl:entry/></list></service>"
	        "</rls-services>",
	     "line 2: <entry> without uri"},
	    {RS "<service uri=\"sip:a@b\"><list><rl:list name=\"x\"/>"
	        "<rl:list name=\"x\"/></list></service></rls-services>",
	     "line 2: two lists named 'x' at one level"},
	    {RS "<services/></rls-services>",
	     "line 2: unexpected element <services> in <rls-services>"},
	    {RL "</resource-lists>",
	     "line 1: root is not <rls-services> of " RLS_NS},
	};
	struct rls_services *s = NULL;
	char e[160];
	int err = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = rls(&s, bad[i].xml, e, sizeof(e));
		TEST_ERR_EQ(EBADMSG, err);
		TEST_ASSERT(s == NULL);
		if (strcmp(bad[i].err, e))
			test_fail(__FILE__, __LINE__, "%zu: '%s'", i, e);
		TEST_STR_EQ(bad[i].err, e);
	}
	err = 0;
out:
	return err;
}

TEST(test_rls_services_find)
{
	struct rls_services *s = NULL;
	const struct rls_service *sv;
	int err;

	err = rls(&s, rls_doc, NULL, 0);
	TEST_ERR(err);
	sv = rls_services_find(s, "sip:marketing@EXAMPLE.com");
	TEST_ASSERT(sv == &s->s[1]);
	sv = rls_services_find(s, "SIP:marketing@example.COM;lr;foo=bar");
	TEST_ASSERT(sv == &s->s[1]);
	TEST_ASSERT(rls_services_find(s, "sip:all@example.com") == &s->s[2]);
	TEST_ASSERT(!rls_services_find(s, "sip:Marketing@example.com"));
	TEST_ASSERT(!rls_services_find(s, "sips:marketing@example.com"));
	TEST_ASSERT(!rls_services_find(s, "sip:marketing@example.com:5060"));
	TEST_ASSERT(
	    !rls_services_find(s, "sip:marketing@example.com;transport=tcp"));
	TEST_ASSERT(!rls_services_find(s, "sip:nobody@example.com"));
	TEST_ASSERT(!rls_services_find(NULL, "sip:all@example.com"));
	TEST_ASSERT(!rls_services_find(s, NULL));
out:
	mem_deref(s);
	return err;
}

TEST(test_rlist_uri_eq)
{
	static const struct {
		const char *a, *b;
		bool eq;
	} v[] = {
	    {"sip:alice@example.com", "sip:alice@example.com", true},
	    {"sip:alice@example.com", "sip:alice@EXAMPLE.COM", true},
	    {"sip:alice@example.com", "SIP:alice@example.com", true},
	    {"sip:alice@example.com", "sip:Alice@example.com", false},
	    {"sip:%61lice@example.com", "sip:alice@example.com", true},
	    {"sip:alice:secret@example.com", "sip:alice:Secret@example.com",
	     false},
	    {"sip:alice:secret@example.com", "sip:alice@example.com", false},
	    {"sip:alice@example.com", "sips:alice@example.com", false},
	    {"sip:alice@example.com", "sip:alice@example.com:5060", false},
	    {"sip:alice@example.com:5060", "sip:alice@example.com:5060", true},
	    /* parameters: ignored, except five */
	    {"sip:alice@example.com;lr", "sip:alice@example.com", true},
	    {"sip:alice@example.com;foo=1", "sip:alice@example.com;foo=2",
	     true},
	    {"sip:alice@example.com;transport=tcp", "sip:alice@example.com",
	     false},
	    {"sip:alice@example.com;transport=TCP",
	     "sip:alice@example.com;transport=tcp", true},
	    {"sip:alice@example.com;user=phone", "sip:alice@example.com",
	     false},
	    {"sip:alice@example.com;maddr=239.1.1.1", "sip:alice@example.com",
	     false},
	    {"sip:alice@example.com;ttl=1", "sip:alice@example.com;ttl=2",
	     false},
	    {"sip:alice@example.com;method=INVITE",
	     "sip:alice@example.com;method=invite", false},
	    {"sip:alice@example.com;method=INVITE;lr",
	     "sip:alice@example.com;x;method=INVITE", true},
	    {"sip:alice@example.com?subject=a", "sip:alice@example.com", false},
	    {"sip:alice@[2001:db8::1]", "sip:alice@[2001:DB8:0::1]", true},
	    {"sip:alice@[2001:db8::1]", "sip:alice@[2001:db8::2]", false},
	    {"sip:example.com", "sip:EXAMPLE.com", true},
	    /* other schemes: exactly (but for the scheme's case) */
	    {"tel:+1-555-0100", "tel:+1-555-0100", true},
	    {"tel:+1-555-0100", "tel:+15550100", false},
	    {"TEL:+15550100", "tel:+15550100", true},
	    {"mailto:Bob@example.com", "mailto:bob@example.com", false},
	    {"sip:bad uri", "sip:bad uri", true},
	    {"sip:bad uri", "SIP:bad uri", false},
	    {"nonsense", "nonsense", true},
	    {"nonsense", "Nonsense", false},
	    {"", "", true},
	};
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bool r = rlist_uri_eq(v[i].a, v[i].b),
		     r2 = rlist_uri_eq(v[i].b, v[i].a);

		if (r != v[i].eq || r2 != v[i].eq)
			test_fail(__FILE__, __LINE__, "'%s' '%s': %d %d",
			          v[i].a, v[i].b, r, r2);
		TEST_ASSERT(r == v[i].eq && r2 == v[i].eq);
	}
	TEST_ASSERT(!rlist_uri_eq(NULL, "sip:a@b"));
	TEST_ASSERT(!rlist_uri_eq("sip:a@b", NULL));
out:
	return err;
}

TEST(test_rls_services_with)
{
	const char *const m1[] = {
	    "sip:bob@example.com", "sip:carol@example.com",
	    "sip:BOB@example.com", "sip:bob@EXAMPLE.com", "tel:+15550100"};
	const char *const m2[] = {"sip:dave@example.com",
	                          "sip:x@example.com?a=1&b=<2>"};
	struct rls_services *s = NULL;
	const struct rls_service *sv;
	struct buf *mb = NULL, *mb2 = NULL;
	char e[128];
	int err;

	err = rls_services_with(&mb, NULL, 0, "sip:team@example.com", m1, 5,
	                        "presence");
	TEST_ERR(err);
	TEST_ASSERT(
	    !memcmp(mb->b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38));
	TEST_ASSERT(has(mb, "<rls-services xmlns=\"" RLS_NS
	                    "\" xmlns:rl=\"" RLIST_NS "\">"));
	TEST_ASSERT(has(mb, "<service uri=\"sip:team@example.com\">\n"
	                    "    <list name=\"team\">\n"
	                    "      <rl:entry uri=\"sip:bob@example.com\"/>\n"));
	TEST_ASSERT(has(mb, "<packages>\n      <package>presence</package>\n"));
	err =
	    rls_services_parse(&s, (const char *)mb->b, mb->end, e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(1, s->n);
	sv = &s->s[0];
	TEST_STR_EQ("sip:team@example.com", sv->uri);
	/* the duplicate bob is not written */
	TEST_EQ(4, sv->list->n);
	TEST_STR_EQ("sip:carol@example.com", sv->list->e[1].uri);
	TEST_STR_EQ("sip:BOB@example.com", sv->list->e[2].uri);
	TEST_STR_EQ("tel:+15550100", sv->list->e[3].uri);
	TEST_EQ(1, sv->npackages);
	TEST_ASSERT(!has(mb, "sip:bob@EXAMPLE.com"));
	s = mem_deref(s);

	/* a second service, without packages */
	err = rls_services_with(&mb2, (const char *)mb->b, mb->end,
	                        "sip:ops@example.com", m2, 2, NULL);
	TEST_ERR(err);
	err = rls_services_parse(&s, (const char *)mb2->b, mb2->end, e,
	                         sizeof(e));
	TEST_ERR(err);
	TEST_EQ(2, s->n);
	TEST_STR_EQ("sip:team@example.com", s->s[0].uri);
	TEST_EQ(4, s->s[0].list->n);
	TEST_STR_EQ("sip:ops@example.com", s->s[1].uri);
	TEST_EQ(0, s->s[1].npackages);
	TEST_STR_EQ("sip:x@example.com?a=1&b=<2>", s->s[1].list->e[1].uri);
	s = mem_deref(s);
	mb = mem_deref(mb);

	/* replace team (compared as URIs), keep ops where it is */
	err = rls_services_with(&mb, (const char *)mb2->b, mb2->end,
	                        "sip:team@EXAMPLE.COM", m2, 1, "presence");
	TEST_ERR(err);
	err =
	    rls_services_parse(&s, (const char *)mb->b, mb->end, e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(2, s->n);
	TEST_STR_EQ("sip:team@EXAMPLE.COM", s->s[0].uri);
	TEST_EQ(1, s->s[0].list->n);
	TEST_STR_EQ("sip:dave@example.com", s->s[0].list->e[0].uri);
	TEST_STR_EQ("sip:ops@example.com", s->s[1].uri);
	TEST_EQ(2, s->s[1].list->n);
	s = mem_deref(s);
	mb2 = mem_deref(mb2);

	/* without: one goes, then the other; an empty document stays valid */
	err = rls_services_without(&mb2, (const char *)mb->b, mb->end,
	                           "sip:ops@example.com;lr");
	TEST_ERR(err);
	err = rls_services_parse(&s, (const char *)mb2->b, mb2->end, e,
	                         sizeof(e));
	TEST_ERR(err);
	TEST_EQ(1, s->n);
	TEST_STR_EQ("sip:team@EXAMPLE.COM", s->s[0].uri);
	s = mem_deref(s);
	mb = mem_deref(mb);
	err = rls_services_without(&mb, (const char *)mb2->b, mb2->end,
	                           "sip:ops@example.com");
	TEST_ERR_EQ(ENOENT, err);
	TEST_ASSERT(mb == NULL);
	err = rls_services_without(&mb, (const char *)mb2->b, mb2->end,
	                           "sip:team@example.com");
	TEST_ERR(err);
	err =
	    rls_services_parse(&s, (const char *)mb->b, mb->end, e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(0, s->n);
out:
	mem_deref(s);
	mem_deref(mb);
	mem_deref(mb2);
	return err;
}

TEST(test_rls_services_with_base)
{
	/* a prefixed root, no rl prefix, an extension, a resource-list
	 * service: all kept */
	static const char base[] =
	    "<r:rls-services xmlns:r=\"" RLS_NS "\" xmlns:x=\"urn:x\">\n"
	    " <r:service uri=\"sip:buddies@example.com\" x:a=\"1\">\n"
	    "  <r:resource-list>http://xcap/l1</r:resource-list>\n"
	    "  <x:ext>keep me</x:ext>\n"
	    " </r:service>\n"
	    "</r:rls-services>\n";
	const char *const m[] = {"sip:a@example.com"};
	const char *const bad_m[] = {"sip:a@example.com", " sip:b@x"};
	struct rls_services *s = NULL;
	struct buf *mb = NULL;
	char e[128];
	int err;

	err = rls_services_with(&mb, base, strlen(base), "sip:new@example.com",
	                        m, 1, NULL);
	TEST_ERR(err);
	TEST_ASSERT(has(mb, "<x:ext>keep me</x:ext>"));
	TEST_ASSERT(has(mb, "x:a=\"1\""));
	TEST_ASSERT(has(mb, "<r:service uri=\"sip:new@example.com\">"));
	TEST_ASSERT(has(mb, "<rl:entry uri=\"sip:a@example.com\"/>"));
	err =
	    rls_services_parse(&s, (const char *)mb->b, mb->end, e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(2, s->n);
	TEST_STR_EQ("http://xcap/l1", s->s[0].list_ref);
	TEST_STR_EQ("sip:a@example.com", s->s[1].list->e[0].uri);
	mb = mem_deref(mb);

	/* a base that is not valid is refused */
	err = rls_services_with(&mb, "<r/>", 4, "sip:new@example.com", m, 1,
	                        NULL);
	TEST_ERR_EQ(EBADMSG, err);
	err = rls_services_without(&mb, "<x", 2, "sip:new@example.com");
	TEST_ERR_EQ(EBADMSG, err);
	/* arguments */
	TEST_EQ(EINVAL, rls_services_with(&mb, NULL, 0, "", m, 1, NULL));
	TEST_EQ(EINVAL,
	        rls_services_with(&mb, NULL, 0, "sip:a@b", bad_m, 2, NULL));
	TEST_EQ(EINVAL,
	        rls_services_with(&mb, NULL, 0, "sip:a@b", NULL, 1, NULL));
	TEST_EQ(EINVAL,
	        rls_services_with(&mb, NULL, 0, "sip:a@b\x01", m, 1, NULL));
	TEST_EQ(EINVAL, rls_services_with(&mb, NULL, 0, "sip:a@b", m, 1, ""));
	TEST_EQ(EINVAL, rls_services_without(&mb, NULL, 0, "sip:a@b"));
	TEST_ASSERT(mb == NULL);
	err = 0;
out:
	mem_deref(s);
	mem_deref(mb);
	return err;
}

/* Too many members in all: E2BIG, nothing written. */
TEST(test_rls_services_with_limit)
{
	const char *const m[] = {"sip:a@example.com", "sip:b@example.com"};
	struct buf *b = NULL, *mb = NULL;
	int err;

	err = buf_alloc(&b, 1 << 17);
	TEST_ERR(err);
	err =
	    buf_write_str(b, RS "<service uri=\"sip:big@example.com\"><list>");
	for (int i = 0; !err && i < RLIST_MAX_ENTRIES - 1; i++)
		err = buf_write_str(b, "<rl:external/>");
	if (!err)
		err = buf_write_str(b, "</list></service></rls-services>");
	TEST_ERR(err);
	/* one more member fits, two do not */
	err = rls_services_with(&mb, (const char *)b->b, b->end,
	                        "sip:x@example.com", m, 1, NULL);
	TEST_ERR(err);
	mb = mem_deref(mb);
	err = rls_services_with(&mb, (const char *)b->b, b->end,
	                        "sip:x@example.com", m, 2, NULL);
	TEST_ERR_EQ(E2BIG, err);
	TEST_ASSERT(mb == NULL);
	err = 0;
out:
	mem_deref(mb);
	mem_deref(b);
	return err;
}
