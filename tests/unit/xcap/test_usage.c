/* tests/unit/xcap/test_usage.c - XCAP application usages: schemas,
 * uniqueness and other constraints, xcap-caps (RFC 4825 5, 11, 12;
 * RFC 4826 3.4.3, 4.3.3; RFC 4745; RFC 5025) */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "list/rlist.h"
#include "presence/rules.h"
#include "test.h"
#include "xcap/usage.h"
#include "xcap/xops.h"

#define XD  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define RL  "<resource-lists xmlns=\"" RLIST_NS "\">\n"
#define RLE "</resource-lists>\n"
#define RS  "<rls-services xmlns=\"" RLS_NS "\" xmlns:rl=\"" RLIST_NS "\">\n"
#define RSE "</rls-services>\n"
#define CP                                                                     \
	"<cp:ruleset xmlns:cp=\"" PRES_CP_NS "\" xmlns:pr=\"" PRES_RULES_NS    \
	"\" xmlns:im=\"" IM_RULES_NS "\">\n"
#define CPE "</cp:ruleset>\n"

/* Compiling the schemas takes a while: the tests share one set, made
 * before any test runs (so it is no test's leak), and test_usage_schemas
 * exercises xcap_schemas_alloc itself. */
static struct xcap_schemas *shared;

__attribute__((constructor)) static void shared_init(void)
{
	if (xcap_schemas_alloc(&shared))
		shared = NULL;
}

__attribute__((destructor)) static void shared_fini(void)
{
	shared = mem_deref(shared);
}

static int check(const char *auid, const char *doc, const struct xcap_vctx *vc,
                 struct xcap_err *e)
{
	const struct xcap_usage *u = xcap_usage_find(auid);

	xcap_err_reset(e);
	if (!shared || !u)
		return EINVAL;
	return xcap_usage_validate(shared, u, doc, strlen(doc), vc, e);
}

/* The document must pass. */
static int ok_doc(const char *file, int line, const char *auid, const char *doc,
                  const struct xcap_vctx *vc)
{
	struct xcap_err e = {0};
	int err = check(auid, doc, vc, &e);

	if (err && err != ENOMEM)
		test_fail(file, line, "%s refused (%d): %s", auid, err,
		          e.phrase ? e.phrase : "-");
	xcap_err_reset(&e);
	return err;
}

/* The document must fail with code, a phrase containing phrase and (if
 * not NULL) that field. */
static int bad_doc(const char *file, int line, const char *auid,
                   const char *doc, const struct xcap_vctx *vc,
                   enum xcap_ecode code, const char *phrase, const char *field)
{
	struct xcap_err e = {0};
	int err = check(auid, doc, vc, &e);

	if (err == ENOMEM)
		goto out;
	err = EINVAL;
	if (e.code != code || e.status != 409)
		test_fail(file, line, "expected code %d, got %d/%u (%s)",
		          (int)code, (int)e.code, e.status,
		          e.phrase ? e.phrase : "-");
	else if (!e.phrase || !strstr(e.phrase, phrase))
		test_fail(file, line, "phrase \"%s\" lacks \"%s\"",
		          e.phrase ? e.phrase : "(null)", phrase);
	else if (field && (!e.field || strcmp(e.field, field)))
		test_fail(file, line, "field \"%s\", expected \"%s\"",
		          e.field ? e.field : "(null)", field);
	else if (!field && code != XE_UNIQUENESS_FAILURE && e.field)
		test_fail(file, line, "unexpected field %s", e.field);
	else
		err = 0;
out:
	xcap_err_reset(&e);
	return err;
}

#define OK(auid, doc, vc)                                                      \
	do {                                                                   \
		err = ok_doc(__FILE__, __LINE__, auid, doc, vc);               \
		if (err)                                                       \
			goto out;                                              \
	} while (0)
#define BAD(auid, doc, vc, code, phrase, field)                                \
	do {                                                                   \
		err = bad_doc(__FILE__, __LINE__, auid, doc, vc, code, phrase, \
		              field);                                          \
		if (err)                                                       \
			goto out;                                              \
	} while (0)

TEST(test_usage_table)
{
	const struct xcap_usage *const *v = xcap_usages();
	static const char *const auids[] = {"xcap-caps", "resource-lists",
	                                    "rls-services", "pres-rules",
	                                    "impd-im-rules"};
	const struct xcap_usage *u;
	int err = 0;

	for (size_t i = 0; i < 5; i++) {
		TEST_ASSERT(v[i] != NULL);
		TEST_STR_EQ(auids[i], v[i]->auid);
		TEST_ASSERT(xcap_usage_find(auids[i]) == v[i]);
	}
	TEST_ASSERT(v[5] == NULL);
	TEST_ASSERT(xcap_usage_find("nope") == NULL);
	TEST_ASSERT(xcap_usage_find(NULL) == NULL);

	u = xcap_usage_find("resource-lists");
	TEST_STR_EQ("application/resource-lists+xml", u->mime);
	TEST_STR_EQ(RLIST_NS, u->ns);
	TEST_ASSERT(u->docname == NULL && u->users && !u->global);
	u = xcap_usage_find("rls-services");
	TEST_STR_EQ("application/rls-services+xml", u->mime);
	TEST_STR_EQ("index", u->docname);
	TEST_ASSERT(u->users && u->global && u->global_admin_only);
	u = xcap_usage_find("pres-rules");
	TEST_STR_EQ("application/auth-policy+xml", u->mime);
	TEST_STR_EQ(PRES_RULES_NS, u->ns);
	u = xcap_usage_find("impd-im-rules");
	TEST_STR_EQ(IM_RULES_NS, u->ns);
	TEST_STR_EQ("index", u->docname);
	u = xcap_usage_find("xcap-caps");
	TEST_STR_EQ("application/xcap-caps+xml", u->mime);
	TEST_ASSERT(!u->users && u->global && !u->global_admin_only);
out:
	return err;
}

TEST(test_usage_schemas)
{
	struct xcap_schemas *sc = NULL;
	struct xcap_err e = {0};
	static const char doc[] = XD RL "<list/>" RLE;
	int err;

	TEST_ASSERT(shared != NULL);
	err = xcap_schemas_alloc(&sc);
	TEST_ERR(err);
	err = xcap_usage_validate(sc, xcap_usage_find("resource-lists"), doc,
	                          strlen(doc), NULL, &e);
	TEST_ERR(err);
	TEST_EQ(XE_NONE, e.code);
	/* bad arguments */
	TEST_EQ(EINVAL,
	        xcap_usage_validate(NULL, xcap_usage_find("rls-services"), doc,
	                            strlen(doc), NULL, &e));
	TEST_EQ(EINVAL,
	        xcap_usage_validate(sc, NULL, doc, strlen(doc), NULL, &e));
out:
	xcap_err_reset(&e);
	mem_deref(sc);
	return err;
}

/* RFC 4826 3.3-like: nested lists, every member kind, display names with
 * a language, extensions: copyControl attributes, impd's list metadata
 * (LIST-06) and another namespace's elements at the end of a list. */
static const char rlist_doc[] =
    XD "<resource-lists xmlns=\"" RLIST_NS "\"\n"
       "    xmlns:ip=\"" XCAP_META_NS "\"\n"
       "    xmlns:cc=\"" RLIST_CP_NS "\">\n"
       " <list name=\"friends\">\n"
       "  <display-name xml:lang=\"en\">Friends</display-name>\n"
       "  <entry uri=\"sip:bob@example.com\" cc:copyControl=\"to\">\n"
       "   <display-name>Bob</display-name>\n"
       "   <ip:preferred/>\n"
       "  </entry>\n"
       "  <entry uri=\"sip:carol@example.com\" ip:note=\"x\"/>\n"
       "  <entry-ref ref=\"resource-lists/users/sip:dan@example.com/"
       "index/~~/resource-lists/list%5b@name=%22a%22%5d/"
       "entry%5b@uri=%22sip:eve@example.com%22%5d\"/>\n"
       "  <external anchor=\"http://xcap.example.com/resource-lists/"
       "users/sip:dan@example.com/index/~~/resource-lists/"
       "list%5b@name=%22a%22%5d\"/>\n"
       "  <list name=\"close\">\n"
       "   <entry uri=\"sip:bob@example.com\"/>\n"
       "   <list name=\"friends\"/>\n"
       "  </list>\n"
       "  <list><entry uri=\"tel:+1-555-0100\"/></list>\n"
       "  <ip:tag>x</ip:tag>\n"
       " </list>\n"
       " <list name=\"close\"/>\n"
       " <list/>\n"
       " <list/>\n"
       "</resource-lists>\n";

TEST(test_usage_rlist_valid)
{
	int err = 0;

	OK("resource-lists", rlist_doc, NULL);
	OK("resource-lists", XD RL RLE, NULL);
	/* URIs that differ the RFC 3261 way are not duplicates */
	OK("resource-lists",
	   XD RL "<list>"
	         "<entry uri=\"sip:bob@example.com\"/>"
	         "<entry uri=\"sips:bob@example.com\"/>"
	         "<entry uri=\"sip:Bob@example.com\"/>"
	         "<entry uri=\"sip:bob@example.com:5060\"/>"
	         "<entry uri=\"sip:bob@example.com;transport=tcp\"/>"
	         "<entry uri=\"tel:+1-555-0100\"/>"
	         "<entry uri=\"tel:+15550100\"/>"
	         "</list>" RLE,
	   NULL);
out:
	return err;
}

/* LIST-06: metadata of impd's namespace (or any other) in an entry */
TEST(test_usage_list_meta)
{
	int err = 0;

	OK("resource-lists",
	   XD "<resource-lists xmlns=\"" RLIST_NS "\">\n"
	      " <list name=\"buddies\">\n"
	      "  <entry uri=\"sip:bob@example.com\">\n"
	      "   <ip:preferred xmlns:ip=\"" XCAP_META_NS "\"/>\n"
	      "  </entry>\n"
	      "  <entry uri=\"sip:carol@example.com\">\n"
	      "   <display-name>Carol</display-name>\n"
	      "   <ip:preferred xmlns:ip=\"" XCAP_META_NS "\" ip:rank=\"1\">"
	      "<ip:any-child/></ip:preferred>\n"
	      "  </entry>\n"
	      " </list>\n"
	      "</resource-lists>\n",
	   NULL);
	/* but metadata does not go before the display name (RFC 4826 3.2) */
	BAD("resource-lists",
	    XD RL "<list>\n"
	          "<entry uri=\"sip:bob@example.com\">\n"
	          "<ip:preferred xmlns:ip=\"" XCAP_META_NS "\"/>\n"
	          "<display-name>Bob</display-name>\n"
	          "</entry>\n"
	          "</list>" RLE,
	    NULL, XE_SCHEMA_VALIDATION,
	    "line 6: element 'display-name': This element is not expected",
	    NULL);
out:
	return err;
}

TEST(test_usage_rlist_schema_errors)
{
	int err = 0;

	/* a misspelt element */
	BAD("resource-lists",
	    XD RL "<list name=\"a\">\n"
	          "<entyr uri=\"sip:bob@example.com\"/>\n"
	          "</list>\n" RLE,
	    NULL, XE_SCHEMA_VALIDATION,
	    "line 4: element 'entyr': This element is not expected", NULL);
	/* an entry without uri */
	BAD("resource-lists",
	    XD RL "<list name=\"a\">\n"
	          "<entry/>\n"
	          "</list>\n" RLE,
	    NULL, XE_SCHEMA_VALIDATION,
	    "line 4: element 'entry': The attribute 'uri' is required", NULL);
	/* an attribute of no namespace that the schema does not have */
	BAD("resource-lists", XD RL "<list nmae=\"a\"/>\n" RLE, NULL,
	    XE_SCHEMA_VALIDATION,
	    "line 3: element 'list', attribute 'nmae': The attribute 'nmae' is "
	    "not allowed",
	    NULL);
	/* text in a list */
	BAD("resource-lists", XD RL "<list>hello</list>\n" RLE, NULL,
	    XE_SCHEMA_VALIDATION, "line 3: element 'list'", NULL);
	/* the wrong root */
	BAD("resource-lists", XD "<rls-services xmlns=\"" RLS_NS "\"/>\n", NULL,
	    XE_SCHEMA_VALIDATION,
	    "line 2: the root element 'rls-services' in namespace '" RLS_NS
	    "' is not 'resource-lists' in " RLIST_NS,
	    NULL);
	/* the right name in the wrong namespace */
	BAD("resource-lists",
	    XD "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-list\">"
	       "<list/></resource-lists>\n",
	    NULL, XE_SCHEMA_VALIDATION,
	    "the root element 'resource-lists' in namespace "
	    "'urn:ietf:params:xml:ns:resource-list' is not",
	    NULL);
	BAD("resource-lists", XD "<resource-lists><list/></resource-lists>\n",
	    NULL, XE_SCHEMA_VALIDATION, "in namespace '' is not", NULL);
	/* a member of the list in another namespace is an extension: list
	 * members may not follow it */
	BAD("resource-lists",
	    XD RL "<list>\n"
	          "<entry xmlns=\"" RLS_NS "\" uri=\"sip:a@example.com\"/>\n"
	          "<entry uri=\"sip:b@example.com\"/>\n"
	          "</list>\n" RLE,
	    NULL, XE_SCHEMA_VALIDATION,
	    "line 5: element 'entry': This element is not expected", NULL);
	/* and impd's reader refuses what is clearly a mistake */
	BAD("resource-lists",
	    XD RL "<list>\n"
	          "<entry xmlns=\"" RLS_NS "\" uri=\"sip:a@example.com\"/>\n"
	          "</list>\n" RLE,
	    NULL, XE_CONSTRAINT_FAILURE,
	    "line 4: <entry> in the rls-services namespace", NULL);
	/* not well formed */
	BAD("resource-lists", XD RL "<list>\n</lis>\n" RLE, NULL,
	    XE_NOT_WELL_FORMED, "line 4:", NULL);
	BAD("resource-lists", "", NULL, XE_NOT_WELL_FORMED, "line", NULL);
out:
	return err;
}

TEST(test_usage_rlist_unique)
{
	int err = 0;

	/* list names among siblings (RFC 4826 3.4.3) */
	BAD("resource-lists",
	    XD RL
	    "<list name=\"a\"/>\n<list name=\"b\"/>\n<list name=\"a\"/>\n" RLE,
	    NULL, XE_UNIQUENESS_FAILURE, "line 5: list name 'a' repeats 'a'",
	    "resource-lists/list/@name");
	BAD("resource-lists",
	    XD RL "<list name=\"a\">\n"
	          " <list name=\"x\"/>\n"
	          " <list name=\"x\"/>\n"
	          "</list>" RLE,
	    NULL, XE_UNIQUENESS_FAILURE,
	    "list name 'x' repeats 'x' in list 'a'",
	    "resource-lists/list[@name=\"a\"]/list/@name");
	/* entry URIs, compared the RFC 3261 way */
	BAD("resource-lists",
	    XD RL "<list name=\"a\">\n"
	          " <entry uri=\"sip:bob@example.com\"/>\n"
	          " <entry uri=\"sip:carol@example.com\"/>\n"
	          " <entry uri=\" sip:bob@EXAMPLE.com;lr \"/>\n"
	          "</list>" RLE,
	    NULL, XE_UNIQUENESS_FAILURE,
	    "line 6: entry uri 'sip:bob@EXAMPLE.com;lr' repeats "
	    "'sip:bob@example.com' in list 'a'",
	    "resource-lists/list[@name=\"a\"]/entry/@uri");
	BAD("resource-lists",
	    XD RL "<list name=\"a\">\n"
	          " <list name=\"b\">\n"
	          "  <entry uri=\"sip:b%6fb@example.com\"/>\n"
	          "  <entry uri=\"sip:bob@example.com\"/>\n"
	          " </list>\n"
	          "</list>" RLE,
	    NULL, XE_UNIQUENESS_FAILURE, "in list 'b'",
	    "resource-lists/list[@name=\"a\"]/list[@name=\"b\"]/entry/@uri");
	/* a list without a name: by position among its sibling lists */
	BAD("resource-lists",
	    XD RL "<list name=\"a\"/>\n"
	          "<list>\n"
	          " <entry uri=\"tel:+1-555-0100\"/>\n"
	          " <entry uri=\"TEL:+1-555-0100\"/>\n"
	          "</list>" RLE,
	    NULL, XE_UNIQUENESS_FAILURE, "in one list",
	    "resource-lists/list[2]/entry/@uri");
	/* entry-ref and external */
	BAD("resource-lists",
	    XD RL "<list name=\"a\">\n"
	          " <entry-ref ref=\"resource-lists/users/sip:x@example.com/"
	          "index/~~/resource-lists/list/entry\"/>\n"
	          " <entry-ref ref=\"resource-lists/users/sip:x@example.com/"
	          "index/~~/resource-lists/list/entry\"/>\n"
	          "</list>" RLE,
	    NULL, XE_UNIQUENESS_FAILURE, "entry-ref ref",
	    "resource-lists/list[@name=\"a\"]/entry-ref/@ref");
	BAD("resource-lists",
	    XD RL "<list name=\"a\">\n"
	          " <external anchor=\"http://x.example.com/a\"/>\n"
	          " <external anchor=\"http://x.example.com/a\"/>\n"
	          "</list>" RLE,
	    NULL, XE_UNIQUENESS_FAILURE, "external anchor",
	    "resource-lists/list[@name=\"a\"]/external/@anchor");
	/* the same values at other levels or in other lists are fine */
	OK("resource-lists",
	   XD RL
	   "<list name=\"a\">\n"
	   " <entry uri=\"sip:bob@example.com\"/>\n"
	   " <external anchor=\"http://x.example.com/a\"/>\n"
	   " <list name=\"a\"><entry uri=\"sip:bob@example.com\"/>"
	   "<external anchor=\"http://x.example.com/a\"/></list>\n"
	   "</list>\n"
	   "<list name=\"b\"><entry uri=\"sip:bob@example.com\"/></list>" RLE,
	   NULL);
out:
	return err;
}

/* ---- rls-services ---- */

struct owners {
	const char *taken[4]; /* service URIs other users have */
	const char *owner;    /* who has them */
	unsigned calls;
};

static const char *owner_of(const char *uri, void *arg)
{
	struct owners *o = arg;

	o->calls++;
	for (size_t i = 0; i < 4 && o->taken[i]; i++) {
		if (rlist_uri_eq(o->taken[i], uri))
			return o->owner;
	}
	return NULL;
}

static bool example_com(const char *domain, void *arg)
{
	(void)arg;
	return !strcmp(domain, "example.com");
}

static int alts_are(const struct xcap_err *e, const char *a, const char *b,
                    const char *c)
{
	const char *want[3] = {a, b, c};

	if (e->nalt != 3 || !e->alt) {
		test_fail(__FILE__, __LINE__, "%u alt values", e->nalt);
		return EINVAL;
	}
	for (int i = 0; i < 3; i++) {
		if (!e->alt[i] || strcmp(e->alt[i], want[i])) {
			test_fail(__FILE__, __LINE__, "alt %d: %s, not %s", i,
			          e->alt[i] ? e->alt[i] : "(null)", want[i]);
			return EINVAL;
		}
	}
	return 0;
}

static const char rls_doc[] =
    XD RS " <service uri=\"sip:team@example.com\">\n"
          "  <list name=\"team\">\n"
          "   <rl:display-name>The team</rl:display-name>\n"
          "   <rl:entry uri=\"sip:bob@example.com\"/>\n"
          "   <rl:entry uri=\"sip:carol@example.com\">\n"
          "    <ip:preferred xmlns:ip=\"" XCAP_META_NS "\"/>\n"
          "   </rl:entry>\n"
          "   <rl:list name=\"more\"><rl:entry uri=\"sip:dan@example.com\"/>"
          "</rl:list>\n"
          "  </list>\n"
          "  <packages>\n"
          "   <package>presence</package>\n"
          "  </packages>\n"
          " </service>\n"
          " <service uri=\"sip:ref@example.com\">\n"
          "  <resource-list>http://xcap.example.com/xcap-root/"
          "resource-lists/users/sip:alice@example.com/index/~~/"
          "resource-lists/list%5b@name=%22l1%22%5d</resource-list>\n"
          " </service>\n"
          " <service uri=\"sip:rel@example.com\">\n"
          "  <resource-list>resource-lists/users/sip:alice@example.com/"
          "friends/~~/resource-lists/list%5b@name=%22a/b%22%5d/"
          "list%5b@name=%22c%22%5d</resource-list>\n"
          "  <packages/>\n"
          " </service>\n"
          " <service uri=\"sip:team-1@example.com\">\n"
          "  <list/>\n"
          " </service>\n" RSE;

TEST(test_usage_rls_valid)
{
	struct owners o = {{"sip:other@example.com"}, "carol@example.com", 0};
	struct xcap_vctx vc = {"alice@example.com", "index", owner_of,
	                       example_com, &o};
	int err = 0;

	OK("rls-services", rls_doc, &vc);
	TEST_EQ(4, o.calls);
	OK("rls-services", rls_doc, NULL);
	OK("rls-services", XD RS RSE, &vc);
	/* the owner's own services are not a clash */
	o.taken[0] = "sip:team@example.com";
	o.owner = "alice@example.com";
	OK("rls-services", rls_doc, &vc);
out:
	return err;
}

TEST(test_usage_rls_schema_errors)
{
	int err = 0;

	/* a service with neither list nor resource-list */
	BAD("rls-services",
	    XD RS "<service uri=\"sip:a@example.com\">\n"
	          "<packages/>\n"
	          "</service>\n" RSE,
	    NULL, XE_SCHEMA_VALIDATION,
	    "line 4: element 'packages': This element is not expected", NULL);
	/* without uri */
	BAD("rls-services", XD RS "<service><list/></service>\n" RSE, NULL,
	    XE_SCHEMA_VALIDATION,
	    "line 3: element 'service': The attribute 'uri' is required", NULL);
	/* a list member of the wrong namespace passes the schema (another
	 * namespace is an extension there) but not impd's reader */
	BAD("rls-services",
	    XD RS "<service uri=\"sip:a@example.com\">\n"
	          "<list><entry uri=\"sip:b@example.com\"/></list>\n"
	          "</service>\n" RSE,
	    NULL, XE_CONSTRAINT_FAILURE, "line 4:", NULL);
	/* misspelt package */
	BAD("rls-services",
	    XD RS "<service uri=\"sip:a@example.com\">\n"
	          "<list/>\n"
	          "<packages><pakage>presence</pakage></packages>\n"
	          "</service>\n" RSE,
	    NULL, XE_SCHEMA_VALIDATION, "line 5: element 'pakage'", NULL);
out:
	return err;
}

TEST(test_usage_rls_unique)
{
	struct owners o = {{"sip:team-2@example.com"}, "carol@example.com", 0};
	struct xcap_vctx vc = {"alice@example.com", "index", owner_of,
	                       example_com, &o};
	struct xcap_err e = {0};
	static const char twice[] = XD RS
	    "<service uri=\"sip:team@example.com\"><list/></service>\n"
	    "<service uri=\"sip:team-1@example.com\"><list/></service>\n"
	    "<service uri=\"sip:team@EXAMPLE.COM;lr\"><list/></service>\n" RSE;
	int err;

	/* twice in the document: the alternatives are neither in the
	 * document nor taken by another user */
	err = check("rls-services", twice, &vc, &e);
	TEST_ERR_EQ(EINVAL, err);
	err = 0;
	TEST_EQ(XE_UNIQUENESS_FAILURE, e.code);
	TEST_EQ(409, e.status);
	TEST_STR_EQ("line 5: service uri 'sip:team@EXAMPLE.COM;lr' repeats "
	            "'sip:team@example.com' of this document",
	            e.phrase);
	TEST_STR_EQ("rls-services/service/@uri", e.field);
	err = alts_are(&e, "sip:team-3@example.com", "sip:team-4@example.com",
	               "sip:team-5@example.com");
	if (err)
		goto out;

	/* another user's service URI */
	o.taken[0] = "sip:team@example.com";
	o.taken[1] = "sip:team-1@example.com";
	err = check("rls-services",
	            XD RS "<service uri=\"sip:friends@example.com\"><list/>"
	                  "</service>\n"
	                  "<service uri=\"sips:team-1@example.com\"><list/>"
	                  "</service>\n"
	                  "<service uri=\"sip:team@example.com\"><list/>"
	                  "</service>\n" RSE,
	            &vc, &e);
	TEST_ERR_EQ(EINVAL, err);
	err = 0;
	TEST_EQ(XE_UNIQUENESS_FAILURE, e.code);
	TEST_STR_EQ("line 5: service uri 'sip:team@example.com' is already "
	            "used by another user",
	            e.phrase);
	TEST_STR_EQ("rls-services/service/@uri", e.field);
	/* team-1 is taken too; sips:team-1 is another URI, but not sip: */
	err = alts_are(&e, "sip:team-2@example.com", "sip:team-3@example.com",
	               "sip:team-4@example.com");
	if (err)
		goto out;

	/* "-<n>" at the end of the user is replaced, the port kept */
	o.taken[0] = "sip:team-7@example.com:5070";
	err = check("rls-services",
	            XD RS "<service uri=\"SIP:team-7@example.com:5070\"><list/>"
	                  "</service>\n" RSE,
	            &vc, &e);
	TEST_ERR_EQ(EINVAL, err);
	err = 0;
	TEST_EQ(XE_UNIQUENESS_FAILURE, e.code);
	err = alts_are(&e, "sip:team-1@example.com:5070",
	               "sip:team-2@example.com:5070",
	               "sip:team-3@example.com:5070");
out:
	xcap_err_reset(&e);
	return err;
}

TEST(test_usage_rls_domain)
{
	struct xcap_vctx vc = {"alice@example.com", "index", NULL, example_com,
	                       NULL};
	int err = 0;

	BAD("rls-services",
	    XD RS
	    "<service uri=\"sip:team@example.com\"><list/></service>\n"
	    "<service uri=\"sip:team@example.org\"><list/></service>\n" RSE,
	    &vc, XE_CONSTRAINT_FAILURE,
	    "line 4: service uri 'sip:team@example.org' is not in a domain "
	    "this server serves",
	    NULL);
	BAD("rls-services",
	    XD RS "<service uri=\"tel:+1-555-0100\"><list/></service>\n" RSE,
	    &vc, XE_CONSTRAINT_FAILURE,
	    "service uri 'tel:+1-555-0100' has no domain", NULL);
	/* the host is compared without case and without port */
	OK("rls-services",
	   XD RS "<service uri=\"sip:a@Example.COM:5061\"><list/></service>\n"
	         "<service uri=\"pres:b@example.com\"><list/></service>\n" RSE,
	   &vc);
	/* no domain check without local_domain */
	vc.local_domain = NULL;
	OK("rls-services",
	   XD RS "<service uri=\"tel:+1-555-0100\"><list/></service>\n" RSE,
	   &vc);
out:
	return err;
}

TEST(test_usage_rls_resource_list)
{
	static const char *const bad[] = {
	    "http://example.com/foo",
	    "http://xcap.example.com/resource-lists/users/sip:a@example.com/"
	    "index",
	    "http://xcap.example.com/pres-rules/users/sip:a@example.com/index/"
	    "~~/cp:ruleset",
	    "resource-lists/users/sip:a@example.com/index/~~/resource-lists/"
	    "list/entry",
	    "/resource-lists/users/sip:a@example.com/index/~~/resource-lists/"
	    "list",
	    "ftp://x.example.com/resource-lists/users/a/index/~~/"
	    "resource-lists/list",
	};
	char doc[1024];
	int err = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(doc, sizeof(doc),
		         XD RS "<service uri=\"sip:a@example.com\">\n"
		               "<resource-list>%s</resource-list>\n"
		               "</service>\n" RSE,
		         bad[i]);
		BAD("rls-services", doc, NULL, XE_CONSTRAINT_FAILURE,
		    "line 4: resource-list", NULL);
	}
	OK("rls-services",
	   XD RS "<service uri=\"sip:a@example.com\">\n"
	         "<resource-list>HTTPS://x.example.com/resource-lists/global/"
	         "index/~~/resource-lists/rl:list%5B@name=%22x%22%5D"
	         "</resource-list>\n"
	         "</service>\n" RSE,
	   NULL);
out:
	return err;
}

TEST(test_usage_rls_list_members)
{
	int err = 0;

	BAD("rls-services",
	    XD RS "<service uri=\"sip:team@example.com\">\n"
	          "<list>\n"
	          " <rl:entry uri=\"sip:bob@example.com\"/>\n"
	          " <rl:entry uri=\"sip:bob@example.com;lr\"/>\n"
	          "</list>\n"
	          "</service>\n" RSE,
	    NULL, XE_UNIQUENESS_FAILURE, "line 6: entry uri",
	    "rls-services/service[@uri=\"sip:team@example.com\"]/list/"
	    "rl:entry/@uri");
	BAD("rls-services",
	    XD RS "<service uri=\"sip:team@example.com\">\n"
	          "<list>\n"
	          " <rl:list name=\"x\"/>\n"
	          " <rl:list>\n"
	          "  <rl:list name=\"y\"/><rl:list name=\"y\"/>\n"
	          " </rl:list>\n"
	          "</list>\n"
	          "</service>\n" RSE,
	    NULL, XE_UNIQUENESS_FAILURE, "line 7: list name 'y'",
	    "rls-services/service[@uri=\"sip:team@example.com\"]/list/"
	    "rl:list[2]/rl:list/@name");
out:
	return err;
}

/* ---- rule sets ---- */

/* RFC 5025 (after its section 7 example), with impd's IM actions */
static const char pres_doc[] =
    XD CP " <cp:rule id=\"a7c\">\n"
          "  <cp:conditions>\n"
          "   <cp:identity>\n"
          "    <cp:one id=\"sip:bob@example.com\"/>\n"
          "    <cp:many domain=\"example.org\">\n"
          "     <cp:except id=\"sip:mallory@example.org\"/>\n"
          "    </cp:many>\n"
          "   </cp:identity>\n"
          "   <cp:validity>\n"
          "    <cp:from>2025-01-01T00:00:00Z</cp:from>\n"
          "    <cp:until>2035-01-01T00:00:00+01:00</cp:until>\n"
          "   </cp:validity>\n"
          "  </cp:conditions>\n"
          "  <cp:actions>\n"
          "   <pr:sub-handling>allow</pr:sub-handling>\n"
          "   <im:im-handling>allow</im:im-handling>\n"
          "  </cp:actions>\n"
          "  <cp:transformations>\n"
          "   <pr:provide-services>\n"
          "    <pr:service-uri-scheme>sip</pr:service-uri-scheme>\n"
          "    <pr:class>work</pr:class>\n"
          "   </pr:provide-services>\n"
          "   <pr:provide-persons><pr:all-persons/></pr:provide-persons>\n"
          "   <pr:provide-devices><pr:deviceID>urn:x:1</pr:deviceID>"
          "</pr:provide-devices>\n"
          "   <pr:provide-activities>true</pr:provide-activities>\n"
          "   <pr:provide-note>1</pr:provide-note>\n"
          "   <pr:provide-user-input>bare-minimum</pr:provide-user-input>\n"
          "   <pr:provide-unknown-attribute ns=\"urn:x\" name=\"y\">"
          "false</pr:provide-unknown-attribute>\n"
          "  </cp:transformations>\n"
          " </cp:rule>\n"
          " <cp:rule id=\"b\">\n"
          "  <cp:conditions><cp:sphere value=\"work\"/></cp:conditions>\n"
          "  <cp:actions><pr:sub-handling>polite-block</pr:sub-handling>"
          "</cp:actions>\n"
          "  <cp:transformations><pr:provide-all-attributes/>"
          "</cp:transformations>\n"
          " </cp:rule>\n"
          " <cp:rule id=\"c\"/>\n" CPE;

TEST(test_usage_pres_rules)
{
	int err = 0;

	OK("pres-rules", pres_doc, NULL);
	OK("pres-rules", XD CP CPE, NULL);
	/* rule ids are unique */
	BAD("pres-rules",
	    XD CP "<cp:rule id=\"x\"/>\n<cp:rule id=\"y\"/>\n"
	          "<cp:rule id=\"x\"/>\n" CPE,
	    NULL, XE_UNIQUENESS_FAILURE, "line 5: rule id 'x' is used twice",
	    "cp:ruleset/cp:rule/@id");
	/* a value outside the enumeration */
	BAD("pres-rules",
	    XD CP "<cp:rule id=\"x\">\n<cp:actions>\n"
	          "<pr:sub-handling>maybe</pr:sub-handling>\n"
	          "</cp:actions></cp:rule>\n" CPE,
	    NULL, XE_SCHEMA_VALIDATION, "line 5: element 'sub-handling'", NULL);
	/* a misspelt common-policy element */
	BAD("pres-rules",
	    XD CP "<cp:rule id=\"x\">\n<cp:condition/>\n</cp:rule>\n" CPE, NULL,
	    XE_SCHEMA_VALIDATION,
	    "line 4: element 'condition': This element is not expected", NULL);
	/* a rule without id, an id that is not an XML ID */
	BAD("pres-rules", XD CP "<cp:rule/>\n" CPE, NULL, XE_SCHEMA_VALIDATION,
	    "line 3: element 'rule': The attribute 'id' is required", NULL);
	BAD("pres-rules", XD CP "<cp:rule id=\"1x\"/>\n" CPE, NULL,
	    XE_SCHEMA_VALIDATION, "line 3: element 'rule', attribute 'id'",
	    NULL);
	/* a date that is not one */
	BAD("pres-rules",
	    XD CP "<cp:rule id=\"x\"><cp:conditions><cp:validity>\n"
	          "<cp:from>tomorrow</cp:from>\n"
	          "<cp:until>2035-01-01T00:00:00Z</cp:until>\n"
	          "</cp:validity></cp:conditions></cp:rule>\n" CPE,
	    NULL, XE_SCHEMA_VALIDATION, "line 4: element 'from'", NULL);
	/* valid for the schema, refused by the rules engine */
	BAD("pres-rules",
	    XD CP "<cp:rule id=\"x\"><cp:conditions><cp:validity>\n"
	          "<cp:from>2035-01-01T00:00:00Z</cp:from>\n"
	          "<cp:until>2025-01-01T00:00:00Z</cp:until>\n"
	          "</cp:validity></cp:conditions></cp:rule>\n" CPE,
	    NULL, XE_CONSTRAINT_FAILURE, "line 5: <until> is not after <from>",
	    NULL);
	/* the wrong root */
	BAD("pres-rules", XD "<ruleset xmlns=\"" PRES_RULES_NS "\"/>\n", NULL,
	    XE_SCHEMA_VALIDATION,
	    "the root element 'ruleset' in namespace '" PRES_RULES_NS
	    "' is not 'ruleset' in " PRES_CP_NS,
	    NULL);
out:
	return err;
}

/* doc/im.md's example */
static const char im_doc[] =
    XD "<cp:ruleset xmlns:cp=\"" PRES_CP_NS "\"\n"
       "            xmlns:im=\"" IM_RULES_NS "\">\n"
       "  <cp:rule id=\"colleagues\">\n"
       "    <cp:conditions>\n"
       "      <cp:identity>\n"
       "        <cp:many domain=\"example.com\">\n"
       "          <cp:except id=\"sip:mallory@example.com\"/>\n"
       "        </cp:many>\n"
       "      </cp:identity>\n"
       "    </cp:conditions>\n"
       "    <cp:actions><im:im-handling>allow</im:im-handling></cp:actions>\n"
       "  </cp:rule>\n"
       "  <cp:rule id=\"mallory\">\n"
       "    <cp:conditions>\n"
       "      <cp:identity><cp:one id=\"sip:mallory@example.com\"/>"
       "</cp:identity>\n"
       "    </cp:conditions>\n"
       "    <cp:actions><im:im-handling>block</im:im-handling></cp:actions>\n"
       "  </cp:rule>\n"
       "  <cp:rule id=\"reception\">\n"
       "    <cp:conditions/>\n"
       "    <cp:actions><im:reception>store</im:reception></cp:actions>\n"
       "  </cp:rule>\n"
       "</cp:ruleset>\n";

TEST(test_usage_im_rules)
{
	int err = 0;

	OK("impd-im-rules", im_doc, NULL);
	OK("impd-im-rules",
	   XD CP "<cp:rule id=\"r\"><cp:actions>"
	         "<im:im-handling> discard </im:im-handling>"
	         "<im:reception>reject</im:reception>"
	         "</cp:actions></cp:rule>\n"
	         "<cp:rule id=\"s\"><cp:actions>"
	         "<im:reception>deliver</im:reception>"
	         "</cp:actions></cp:rule>\n" CPE,
	   NULL);
	BAD("impd-im-rules",
	    XD CP "<cp:rule id=\"r\"><cp:actions>\n"
	          "<im:im-handling>maybe</im:im-handling>\n"
	          "</cp:actions></cp:rule>\n" CPE,
	    NULL, XE_SCHEMA_VALIDATION, "line 4: element 'im-handling'", NULL);
	BAD("impd-im-rules",
	    XD CP "<cp:rule id=\"r\"><cp:actions>\n"
	          "<im:reception>later</im:reception>\n"
	          "</cp:actions></cp:rule>\n" CPE,
	    NULL, XE_SCHEMA_VALIDATION, "line 4: element 'reception'", NULL);
	/* two im-handling actions in one rule: the engine refuses them */
	BAD("impd-im-rules",
	    XD CP "<cp:rule id=\"r\"><cp:actions>\n"
	          "<im:im-handling>allow</im:im-handling>\n"
	          "<im:im-handling>block</im:im-handling>\n"
	          "</cp:actions></cp:rule>\n" CPE,
	    NULL, XE_CONSTRAINT_FAILURE, "line 5: a second <im-handling>",
	    NULL);
	BAD("impd-im-rules",
	    XD CP "<cp:rule id=\"r\"/>\n<cp:rule id=\" r \"/>\n" CPE, NULL,
	    XE_UNIQUENESS_FAILURE, "line 4: rule id 'r' is used twice",
	    "cp:ruleset/cp:rule/@id");
out:
	return err;
}

/* ---- xcap-caps ---- */

TEST(test_usage_caps)
{
	struct buf *b = NULL;
	char *doc = NULL;
	int err;

	err = xcap_caps_doc(&b);
	TEST_ERR(err);
	doc = mem_zalloc(b->end + 1, NULL);
	if (!doc) {
		err = ENOMEM;
		goto out;
	}
	memcpy(doc, b->b, b->end);
	TEST_ASSERT(strstr(doc, "<xcap-caps xmlns=\"urn:ietf:params:xml:ns:"
	                        "xcap-caps\">"));
	TEST_ASSERT(strstr(doc, "<auid>xcap-caps</auid>\n"
	                        "    <auid>resource-lists</auid>\n"
	                        "    <auid>rls-services</auid>\n"
	                        "    <auid>pres-rules</auid>\n"
	                        "    <auid>impd-im-rules</auid>\n"));
	TEST_ASSERT(strstr(doc, "<namespace>" RLIST_NS "</namespace>"));
	TEST_ASSERT(strstr(doc, "<namespace>" RLS_NS "</namespace>"));
	TEST_ASSERT(strstr(doc, "<namespace>" PRES_RULES_NS "</namespace>"));
	TEST_ASSERT(strstr(doc, "<namespace>" PRES_CP_NS "</namespace>"));
	TEST_ASSERT(strstr(doc, "<namespace>" IM_RULES_NS "</namespace>"));
	TEST_ASSERT(strstr(doc, "<namespace>" XCAP_META_NS "</namespace>"));
	TEST_ASSERT(strstr(doc, "<namespace>" RLIST_CP_NS "</namespace>"));
	TEST_ASSERT(strstr(doc, "<namespace>urn:ietf:params:xml:ns:xcap-error"
	                        "</namespace>"));
	OK("xcap-caps", doc, NULL);
	BAD("xcap-caps",
	    XD "<xcap-caps xmlns=\"urn:ietf:params:xml:ns:xcap-caps\">\n"
	       "<auids/>\n<namespace/>\n</xcap-caps>\n",
	    NULL, XE_SCHEMA_VALIDATION,
	    "line 4: element 'namespace': This element is not expected", NULL);
out:
	mem_deref(doc);
	mem_deref(b);
	return err;
}
