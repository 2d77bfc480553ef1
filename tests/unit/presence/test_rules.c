/* tests/unit/presence/test_rules.c - authorization rules (RFC 4745,
 * RFC 5025): parsing, conditions, combination, building */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "presence/rules.h"
#include "test.h"

/* Window bounds of tests/data/presence/rules/conditions.xml */
enum {
	HOLIDAY1_FROM = 1751320800, /* 2025-07-01T00:00:00+02:00 */
	HOLIDAY1_UNTIL = 1752530400,
	HOLIDAY2_FROM = 1766617200,  /* 2025-12-24T18:00:00.250-05:00 */
	HOLIDAY2_UNTIL = 1766793599, /* 2025-12-26t23:59:59z */
	SOMEDAY = 1740000000,        /* 2025-02-19, no window */
};

static int load(struct pres_rules **rp, const char *file)
{
	char path[256], err[256];
	char *xml = NULL;
	size_t len = 0;
	int e;

	snprintf(path, sizeof(path), "presence/rules/%s", file);
	e = test_read_file(&xml, &len, path);
	if (e)
		return e;
	e = pres_rules_parse(rp, xml, len, err, sizeof(err));
	if (e && e != ENOMEM)
		test_fail(__FILE__, __LINE__, "%s: %s", file, err);
	mem_deref(xml);
	return e;
}

static int parse_str(struct pres_rules **rp, const char *xml, char *err,
                     size_t errsize)
{
	return pres_rules_parse(rp, xml, strlen(xml), err, errsize);
}

static bool set_has(const struct pres_perm_set *s, const char *item)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (!strcmp(s->items[i], item))
			return true;
	return false;
}

/* Evaluate for one watcher at SOMEDAY without a sphere. */
static bool eval(const struct pres_rules *r, const char *uri, bool auth,
                 struct pres_perm *p)
{
	struct pres_watcher w = {uri, auth};

	return pres_rules_eval(r, &w, NULL, SOMEDAY, p);
}

#define CP "urn:ietf:params:xml:ns:common-policy"
#define PR "urn:ietf:params:xml:ns:pres-rules"
#define DOC(body)                                                              \
	"<?xml version=\"1.0\"?>\n<cp:ruleset xmlns:cp=\"" CP                  \
	"\" xmlns:pr=\"" PR "\">\n" body "</cp:ruleset>\n"

TEST(test_rules_parse_basic)
{
	struct pres_rules *r = NULL;
	struct pres_perm p;
	int err;

	pres_perm_init(&p);
	err = load(&r, "basic.xml");
	TEST_ERR(err);
	TEST_EQ(4, pres_rules_count(r));

	/* team: allow, everything */
	TEST_ASSERT(eval(r, "sip:alice@example.com", true, &p));
	TEST_EQ(PRES_ALLOW, p.sub_handling);
	TEST_ASSERT(p.services.all && p.persons.all && p.devices.all);
	TEST_EQ(PRES_ATTR_ALL, p.attrs);
	/* the host compares without case, both in the rule and here */
	TEST_ASSERT(eval(r, "sip:carol@EXAMPLE.com", true, &p));
	TEST_EQ(PRES_ALLOW, p.sub_handling);
	TEST_ASSERT(eval(r, "sips:carol@example.com;transport=tls", true, &p));
	TEST_EQ(PRES_ALLOW, p.sub_handling);
	/* a port makes another URI: only the domain rule holds */
	TEST_ASSERT(eval(r, "sip:carol@example.com:5061", true, &p));
	TEST_EQ(PRES_CONFIRM, p.sub_handling);

	/* the rest of example.com: confirm, nothing provided */
	TEST_ASSERT(eval(r, "sip:frank@example.com", true, &p));
	TEST_EQ(PRES_CONFIRM, p.sub_handling);
	TEST_ASSERT(!p.services.all && !p.persons.all && !p.devices.all);
	TEST_EQ(0, p.attrs);
	/* the user part is case-sensitive: Alice is not alice */
	TEST_ASSERT(eval(r, "sip:Alice@example.com", true, &p));
	TEST_EQ(PRES_CONFIRM, p.sub_handling);

	/* dave is excepted from the company rule: only polite-block */
	TEST_ASSERT(eval(r, "sip:dave@example.com", true, &p));
	TEST_EQ(PRES_POLITE_BLOCK, p.sub_handling);

	/* blocked explicitly: a rule matched */
	TEST_ASSERT(eval(r, "sip:spam@bad.example.net", true, &p));
	TEST_EQ(PRES_BLOCK, p.sub_handling);

	/* nobody's rule: the caller's default applies */
	TEST_ASSERT(!eval(r, "sip:stranger@example.org", true, &p));
	TEST_EQ(PRES_BLOCK, p.sub_handling);
	TEST_EQ(0, p.attrs);

	/* identity conditions need an authenticated watcher */
	TEST_ASSERT(!eval(r, "sip:alice@example.com", false, &p));
	TEST_EQ(PRES_BLOCK, p.sub_handling);
	TEST_ASSERT(!p.services.all);
	/* no time-dependent rule in this document */
	TEST_EQ(0, pres_rules_next_change(r, SOMEDAY));
out:
	pres_perm_reset(&p);
	mem_deref(r);
	return err;
}

TEST(test_rules_uri_forms)
{
	static const struct {
		const char *uri;
		bool match;
	} v[] = {
	    {"sip:alice@example.com", true},
	    {"sips:alice@example.com", true},
	    {"pres:alice@example.com", true},
	    {"SIP:alice@Example.Com", true},
	    {"sip:alice@example.com;transport=tcp", true},
	    {"sip:alice:secret@example.com", true},
	    {"sip:alice@example.com?subject=x", true},
	    {"sip:%61lice@example.com", true}, /* escaped 'a' */
	    {"sip:alice@example.com:5060", false},
	    {"sip:alice@example.co", false},
	    {"sip:alicea@example.com", false},
	    {"sip:ALICE@example.com", false},
	    {"sip:example.com", false},
	    {"tel:+15551234567", false},
	    {"alice@example.com", false},
	    {"", false},
	    {"sip:al%6", false},
	};
	struct pres_rules *r = NULL;
	struct pres_perm p;
	char e[128];
	int err;

	pres_perm_init(&p);
	err = parse_str(&r,
	                DOC("<cp:rule id=\"a\"><cp:conditions><cp:identity>"
	                    "<cp:one id=\"sip:alice@EXAMPLE.com\"/>"
	                    "<cp:one id=\"tel:+15550000\"/>"
	                    "</cp:identity></cp:conditions><cp:actions>"
	                    "<pr:sub-handling>allow</pr:sub-handling>"
	                    "</cp:actions></cp:rule>\n"),
	                e, sizeof(e));
	TEST_ERR(err);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bool m = eval(r, v[i].uri, true, &p);

		if (m != v[i].match)
			test_fail(__FILE__, __LINE__, "%s: %s", v[i].uri,
			          m ? "matched" : "did not match");
		TEST_EQ(v[i].match ? PRES_ALLOW : PRES_BLOCK, p.sub_handling);
	}
	/* other schemes compare as written, the scheme without case */
	TEST_ASSERT(eval(r, "TEL:+15550000", true, &p));
	TEST_ASSERT(!eval(r, "tel:+1555000", true, &p));
	TEST_ASSERT(!eval(r, NULL, true, &p));
out:
	pres_perm_reset(&p);
	mem_deref(r);
	return err;
}

TEST(test_rules_transformations)
{
	struct pres_rules *r = NULL;
	struct pres_perm p;
	struct pres_watcher w = {"sip:x@example.net", false};
	int err;

	pres_perm_init(&p);
	err = load(&r, "transformations.xml");
	TEST_ERR(err);
	TEST_EQ(2, pres_rules_count(r));

	/* no conditions: everyone, even unauthenticated */
	TEST_ASSERT(pres_rules_eval(r, &w, NULL, SOMEDAY, &p));
	TEST_EQ(PRES_ALLOW, p.sub_handling);
	TEST_ASSERT(!p.services.all);
	TEST_EQ(5, p.services.n);
	TEST_ASSERT(set_has(&p.services,
	                    "uri:sip:bob@example.com;gr=urn:uuid:"
	                    "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"));
	TEST_ASSERT(set_has(&p.services, "uri-scheme:sips"));
	TEST_ASSERT(set_has(&p.services, "uri-scheme:mailto"));
	TEST_ASSERT(set_has(&p.services, "occurrence-id:svc-17"));
	TEST_ASSERT(set_has(&p.services, "class:business"));
	TEST_EQ(2, p.persons.n);
	TEST_ASSERT(set_has(&p.persons, "occurrence-id:p1"));
	TEST_ASSERT(set_has(&p.persons, "class:public"));
	TEST_EQ(3, p.devices.n);
	TEST_ASSERT(set_has(&p.devices, "deviceID:urn:uuid:d27459b7-8213-4395-"
	                                "aa77-ed859a3e5b3a"));
	TEST_ASSERT(set_has(&p.devices, "occurrence-id:dev-2"));
	TEST_ASSERT(set_has(&p.devices, "class:mobile"));
	TEST_EQ(PRES_ATTR_ACTIVITIES | PRES_ATTR_CLASS | PRES_ATTR_DEVICEID |
	            PRES_ATTR_MOOD | PRES_ATTR_PLACE_IS | PRES_ATTR_PLACE_TYPE |
	            PRES_ATTR_PRIVACY | PRES_ATTR_RELATIONSHIP |
	            PRES_ATTR_STATUS_ICON | PRES_ATTR_SPHERE |
	            PRES_ATTR_TIME_OFFSET | PRES_ATTR_NOTE | PRES_ATTR_ALL,
	        p.attrs);
	TEST_EQ(PRES_UI_THRESHOLDS, p.user_input);
	TEST_EQ(1, p.unknown.n);
	TEST_STR_EQ("urn:example:games level", p.unknown.items[0]);
	TEST_ASSERT(!p.unknown.all);

	/* the second rule alone: false and 0 grant nothing, 1 grants */
	pres_perm_reset(&p);
	mem_deref(r);
	r = NULL;
	err = parse_str(&r,
	                DOC("<cp:rule id=\"b\"><cp:transformations>"
	                    "<pr:provide-note>false</pr:provide-note>"
	                    "<pr:provide-mood> 0 </pr:provide-mood>"
	                    "<pr:provide-place-is>1</pr:provide-place-is>"
	                    "<pr:provide-user-input>false"
	                    "</pr:provide-user-input>"
	                    "</cp:transformations></cp:rule>\n"),
	                NULL, 0);
	TEST_ERR(err);
	/* no sub-handling: the rules do not decide (the caller's default
	 * applies), but what the rule grants is there */
	TEST_ASSERT(!pres_rules_eval(r, &w, NULL, SOMEDAY, &p));
	TEST_EQ(PRES_BLOCK, p.sub_handling);
	TEST_EQ(PRES_ATTR_PLACE_IS, p.attrs);
	TEST_EQ(PRES_UI_FALSE, p.user_input);
	TEST_EQ(0, p.services.n + p.persons.n + p.devices.n + p.unknown.n);
out:
	pres_perm_reset(&p);
	mem_deref(r);
	return err;
}

TEST(test_rules_identity_many_except)
{
	struct pres_rules *r = NULL;
	struct pres_perm p;
	int err;

	pres_perm_init(&p);
	err = load(&r, "conditions.xml");
	TEST_ERR(err);
	TEST_EQ(4, pres_rules_count(r));

	/* <many/>: any authenticated identity ... */
	TEST_ASSERT(eval(r, "sip:joe@example.net", true, &p));
	TEST_EQ(PRES_CONFIRM, p.sub_handling);
	TEST_ASSERT(eval(r, "tel:+15551234567", true, &p));
	TEST_EQ(PRES_CONFIRM, p.sub_handling);
	/* ... but the excepted domain (compared without case) ... */
	TEST_ASSERT(!eval(r, "sip:joe@competitor.example", true, &p));
	TEST_ASSERT(!eval(r, "sip:joe@COMPETITOR.example", true, &p));
	/* (a sub-domain is another domain) */
	TEST_ASSERT(eval(r, "sip:joe@sub.competitor.example", true, &p));
	/* ... and the excepted identity, in any of its URI forms */
	TEST_ASSERT(!eval(r, "sip:eve@example.org", true, &p));
	TEST_ASSERT(!eval(r, "pres:eve@example.org", true, &p));
	TEST_ASSERT(eval(r, "sip:eve2@example.org", true, &p));
	/* no identity condition holds for an unauthenticated watcher */
	TEST_ASSERT(!eval(r, "sip:joe@example.net", false, &p));
out:
	pres_perm_reset(&p);
	mem_deref(r);
	return err;
}

TEST(test_rules_sphere)
{
	struct pres_rules *r = NULL;
	struct pres_perm p;
	struct pres_watcher bob = {"sip:bob@example.com", true};
	int err;

	pres_perm_init(&p);
	err = load(&r, "conditions.xml");
	TEST_ERR(err);

	/* sphere "work meeting": either token, without case, and the
	 * identity condition as well (both must hold) */
	TEST_ASSERT(pres_rules_eval(r, &bob, "work", SOMEDAY, &p));
	TEST_EQ(PRES_ALLOW, p.sub_handling);
	TEST_EQ(PRES_ATTR_NOTE, p.attrs);
	TEST_ASSERT(pres_rules_eval(r, &bob, "Meeting", SOMEDAY, &p));
	TEST_EQ(PRES_ALLOW, p.sub_handling);
	/* another sphere, or none known: only the <many/> rule */
	TEST_ASSERT(pres_rules_eval(r, &bob, "home", SOMEDAY, &p));
	TEST_EQ(PRES_CONFIRM, p.sub_handling);
	TEST_EQ(0, p.attrs);
	TEST_ASSERT(pres_rules_eval(r, &bob, NULL, SOMEDAY, &p));
	TEST_EQ(PRES_CONFIRM, p.sub_handling);
	TEST_ASSERT(pres_rules_eval(r, &bob, "work meeting", SOMEDAY, &p));
	TEST_EQ(PRES_CONFIRM, p.sub_handling);
	/* right sphere, wrong domain */
	bob.uri = "sip:bob@example.net";
	TEST_ASSERT(pres_rules_eval(r, &bob, "work", SOMEDAY, &p));
	TEST_EQ(PRES_CONFIRM, p.sub_handling);
out:
	pres_perm_reset(&p);
	mem_deref(r);
	return err;
}

TEST(test_rules_validity)
{
	static const struct {
		uint64_t now;
		bool in;
	} v[] = {
	    {HOLIDAY1_FROM - 1, false}, {HOLIDAY1_FROM, true},
	    {HOLIDAY1_UNTIL - 1, true}, {HOLIDAY1_UNTIL, false},
	    {HOLIDAY2_FROM - 1, false}, {HOLIDAY2_FROM, true},
	    {HOLIDAY2_UNTIL - 1, true}, {HOLIDAY2_UNTIL, false},
	};
	struct pres_rules *r = NULL;
	struct pres_perm p;
	struct pres_watcher anon = {"sip:anon@example.net", false};
	int err;

	pres_perm_init(&p);
	err = load(&r, "conditions.xml");
	TEST_ERR(err);
	/* the holiday rule has no identity: it holds for anyone inside
	 * one of its windows (the offsets are applied) */
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bool m = pres_rules_eval(r, &anon, NULL, v[i].now, &p);

		/* no sub-handling in it: never a decision */
		if (m)
			test_fail(__FILE__, __LINE__, "at %llu: decided",
			          (unsigned long long)v[i].now);
		TEST_EQ(v[i].in ? PRES_ATTR_ACTIVITIES : 0, p.attrs);
		TEST_EQ(PRES_BLOCK, p.sub_handling);
	}
	/* the next boundary after a time */
	TEST_EQ(HOLIDAY1_FROM, pres_rules_next_change(r, SOMEDAY));
	TEST_EQ(HOLIDAY1_UNTIL, pres_rules_next_change(r, HOLIDAY1_FROM));
	TEST_EQ(HOLIDAY2_FROM, pres_rules_next_change(r, HOLIDAY1_UNTIL));
	TEST_EQ(HOLIDAY2_UNTIL, pres_rules_next_change(r, HOLIDAY2_FROM + 5));
	TEST_EQ(0, pres_rules_next_change(r, HOLIDAY2_UNTIL));
	TEST_EQ(0, pres_rules_next_change(NULL, 0));
out:
	pres_perm_reset(&p);
	mem_deref(r);
	return err;
}

TEST(test_rules_unknown_condition)
{
	struct pres_rules *r = NULL;
	struct pres_perm p;
	struct pres_watcher w = {"sip:bob@example.com", true};
	int err;

	pres_perm_init(&p);
	err = load(&r, "conditions.xml");
	TEST_ERR(err);
	/* "located" (allow, all attributes) has a condition impd does not
	 * know: it never applies, in any sphere, at any time */
	for (uint64_t t = SOMEDAY; t < HOLIDAY2_UNTIL; t += 8640000) {
		pres_rules_eval(r, &w, "work", t, &p);
		TEST_ASSERT(!(p.attrs & PRES_ATTR_ALL));
	}
	mem_deref(r);
	r = NULL;

	/* an unknown condition beside a true one still spoils the rule,
	 * and an unknown extension in <many> makes that <many> false */
	err = parse_str(&r,
	                DOC("<cp:rule id=\"x\"><cp:conditions>"
	                    "<cp:identity><cp:many/></cp:identity>"
	                    "<cp:wallclock xmlns:cp=\"" CP "\" hour=\"9\"/>"
	                    "</cp:conditions><cp:actions><pr:sub-handling>"
	                    "allow</pr:sub-handling></cp:actions></cp:rule>\n"
	                    "<cp:rule id=\"y\"><cp:conditions><cp:identity>"
	                    "<cp:many><x:except-group xmlns:x=\"urn:x\" "
	                    "name=\"friends\"/></cp:many></cp:identity>"
	                    "</cp:conditions><cp:actions><pr:sub-handling>"
	                    "confirm</pr:sub-handling></cp:actions>"
	                    "</cp:rule>\n"
	                    "<cp:rule id=\"z\"><cp:conditions><cp:identity>"
	                    "<x:group xmlns:x=\"urn:x\" name=\"friends\"/>"
	                    "<cp:one id=\"sip:ann@example.com\"/>"
	                    "</cp:identity></cp:conditions><cp:actions>"
	                    "<pr:sub-handling>polite-block</pr:sub-handling>"
	                    "</cp:actions></cp:rule>\n"),
	                NULL, 0);
	TEST_ERR(err);
	TEST_EQ(3, pres_rules_count(r));
	TEST_ASSERT(!pres_rules_eval(r, &w, NULL, SOMEDAY, &p));
	TEST_EQ(PRES_BLOCK, p.sub_handling);
	/* the known alternative of an identity still matches */
	w.uri = "sip:ann@example.com";
	TEST_ASSERT(pres_rules_eval(r, &w, NULL, SOMEDAY, &p));
	TEST_EQ(PRES_POLITE_BLOCK, p.sub_handling);
out:
	pres_perm_reset(&p);
	mem_deref(r);
	return err;
}

/* pres_rules_eval fails closed (true, block, nothing provided) when an
 * allocation fails while it combines item lists: under --oom that is the
 * ENOMEM outcome, in a normal run it fails the test. */
static bool failed_closed(bool m, const struct pres_perm *p)
{
	return m && p->sub_handling == PRES_BLOCK && !p->attrs &&
	       !p->services.n && !p->services.all;
}

TEST(test_rules_combination)
{
	struct pres_rules *r = NULL;
	struct pres_perm p;
	struct pres_watcher w = {"sip:ann@example.com", true};
	bool m;
	int err;

	pres_perm_init(&p);
	err = parse_str(
	    &r,
	    DOC("<cp:rule id=\"r1\"><cp:conditions><cp:identity>"
	        "<cp:many domain=\"example.com\"/></cp:identity>"
	        "</cp:conditions><cp:actions><pr:sub-handling>confirm"
	        "</pr:sub-handling></cp:actions><cp:transformations>"
	        "<pr:provide-services><pr:class>business</pr:class>"
	        "<pr:service-uri-scheme>sip</pr:service-uri-scheme>"
	        "</pr:provide-services>"
	        "<pr:provide-note>true</pr:provide-note>"
	        "<pr:provide-user-input>bare-minimum</pr:provide-user-input>"
	        "</cp:transformations></cp:rule>\n"
	        "<cp:rule id=\"r2\"><cp:conditions><cp:identity>"
	        "<cp:one id=\"sip:ann@example.com\"/></cp:identity>"
	        "</cp:conditions><cp:actions><pr:sub-handling>allow"
	        "</pr:sub-handling></cp:actions><cp:transformations>"
	        "<pr:provide-services><pr:class>personal</pr:class>"
	        "<pr:class>business</pr:class></pr:provide-services>"
	        "<pr:provide-persons><pr:all-persons/></pr:provide-persons>"
	        "<pr:provide-mood>true</pr:provide-mood>"
	        "<pr:provide-user-input>full</pr:provide-user-input>"
	        "</cp:transformations></cp:rule>\n"
	        "<cp:rule id=\"r3\"><cp:conditions><cp:identity>"
	        "<cp:one id=\"sip:ann@example.com\"/></cp:identity>"
	        "</cp:conditions><cp:actions><pr:sub-handling>polite-block"
	        "</pr:sub-handling></cp:actions><cp:transformations>"
	        "<pr:provide-persons><pr:class>x</pr:class>"
	        "</pr:provide-persons>"
	        "<pr:provide-user-input>thresholds</pr:provide-user-input>"
	        "</cp:transformations></cp:rule>\n"),
	    NULL, 0);
	TEST_ERR(err);
	/* ann matches all three: the highest sub-handling, the union of
	 * the rest (RFC 4745 10.2) */
	m = pres_rules_eval(r, &w, NULL, SOMEDAY, &p);
	if (failed_closed(m, &p)) {
		err = ENOMEM;
		goto out;
	}
	TEST_ASSERT(m);
	TEST_EQ(PRES_ALLOW, p.sub_handling);
	TEST_EQ(3, p.services.n);
	TEST_ASSERT(set_has(&p.services, "class:business"));
	TEST_ASSERT(set_has(&p.services, "class:personal"));
	TEST_ASSERT(set_has(&p.services, "uri-scheme:sip"));
	TEST_ASSERT(p.persons.all);
	TEST_EQ(0, p.persons.n);
	TEST_EQ(PRES_ATTR_NOTE | PRES_ATTR_MOOD, p.attrs);
	TEST_EQ(PRES_UI_FULL, p.user_input);

	/* bo matches r1 only */
	w.uri = "sip:bo@example.com";
	TEST_ASSERT(pres_rules_eval(r, &w, NULL, SOMEDAY, &p));
	TEST_EQ(PRES_CONFIRM, p.sub_handling);
	TEST_EQ(2, p.services.n);
	TEST_ASSERT(!set_has(&p.services, "class:personal"));
	TEST_ASSERT(!p.persons.all);
	TEST_EQ(PRES_ATTR_NOTE, p.attrs);
	TEST_EQ(PRES_UI_BARE_MINIMUM, p.user_input);
out:
	pres_perm_reset(&p);
	mem_deref(r);
	return err;
}

static int expect_error(const char *xml, size_t len, const char *want)
{
	struct pres_rules *r = NULL;
	char e[256];
	int err = pres_rules_parse(&r, xml, len, e, sizeof(e));

	if (err == ENOMEM)
		return err;
	if (err != EBADMSG) {
		test_fail(__FILE__, __LINE__, "expected EBADMSG for %s, got %d",
		          want, err);
		mem_deref(r);
		return EINVAL;
	}
	if (r) {
		test_fail(__FILE__, __LINE__, "result set on error");
		return EINVAL;
	}
	if (strncmp(e, want, strlen(want))) {
		test_fail(__FILE__, __LINE__, "expected \"%s...\", got \"%s\"",
		          want, e);
		return EINVAL;
	}
	return 0;
}

static int expect_file_error(const char *file, const char *want)
{
	char path[256];
	char *xml = NULL;
	size_t len = 0;
	int err;

	snprintf(path, sizeof(path), "presence/rules/%s", file);
	err = test_read_file(&xml, &len, path);
	if (!err)
		err = expect_error(xml, len, want);
	mem_deref(xml);
	return err;
}

TEST(test_rules_errors_files)
{
	int err = 0;

	err = expect_file_error("bad-sub-handling.xml",
	                        "line 6: sub-handling 'maybe' is not one of");
	TEST_ERR(err);
	err = expect_file_error("bad-date.xml",
	                        "line 6: <from> '2025-02-30T10:00:00Z' is not");
	TEST_ERR(err);
	err = expect_file_error("bad-duplicate-id.xml",
	                        "line 5: duplicate rule id 'same'");
	TEST_ERR(err);
	err = expect_file_error("bad-no-id.xml", "line 3: <rule> without id");
	TEST_ERR(err);
	err = expect_file_error("bad-namespace.xml",
	                        "line 2: the root <ruleset> in namespace '" PR
	                        "' is not <ruleset> in " CP);
	TEST_ERR(err);
	/* libxml2's own message, with its line */
	err = expect_file_error("bad-not-well-formed.xml", "line 5: ");
	TEST_ERR(err);
out:
	return err;
}

TEST(test_rules_errors_inline)
{
	static const struct {
		const char *xml;
		const char *want;
	} v[] = {
	    {DOC("<cp:rule id=\"a\"><cp:conditions><cp:identity>\n"
	         "<cp:one/></cp:identity></cp:conditions></cp:rule>\n"),
	     "line 4: <one> without id"},
	    {DOC("<cp:rule id=\"a\"><cp:conditions><cp:identity>\n"
	         "<cp:one id=\"bob at example\"/></cp:identity>"
	         "</cp:conditions></cp:rule>\n"),
	     "line 4: one id 'bob at example' is not a URI"},
	    {DOC("<cp:rule id=\"a\"><cp:conditions><cp:identity><cp:many>\n"
	         "<cp:except/></cp:many></cp:identity></cp:conditions>"
	         "</cp:rule>\n"),
	     "line 4: <except> needs an id or a domain"},
	    {DOC("<cp:rule id=\"a\"><cp:conditions><cp:identity>\n"
	         "<cp:many domain=\"a..b\"/></cp:identity></cp:conditions>"
	         "</cp:rule>\n"),
	     "line 4: many domain 'a..b' is not a domain"},
	    {DOC("<cp:rule id=\"a\"><cp:conditions><cp:identity>\n"
	         "<cp:some/></cp:identity></cp:conditions></cp:rule>\n"),
	     "line 4: unexpected element <some> in <identity>"},
	    {DOC("<cp:rule id=\"a\"><cp:conditions>\n<cp:sphere/>"
	         "</cp:conditions></cp:rule>\n"),
	     "line 4: <sphere> without value"},
	    {DOC("<cp:rule id=\"a\"><cp:conditions><cp:validity>\n"
	         "<cp:from>2025-01-01T00:00:00</cp:from>"
	         "<cp:until>2025-01-02T00:00:00Z</cp:until>"
	         "</cp:validity></cp:conditions></cp:rule>\n"),
	     "line 4: <from> '2025-01-01T00:00:00' is not an RFC 3339"},
	    {DOC("<cp:rule id=\"a\"><cp:conditions><cp:validity>"
	         "<cp:from>2025-01-02T00:00:00Z</cp:from>\n"
	         "<cp:until>2025-01-02T01:00:00+01:00</cp:until>"
	         "</cp:validity></cp:conditions></cp:rule>\n"),
	     "line 4: <until> is not after <from>"},
	    {DOC("<cp:rule id=\"a\"><cp:conditions><cp:validity>\n"
	         "<cp:from>2025-01-02T00:00:00Z</cp:from>"
	         "</cp:validity></cp:conditions></cp:rule>\n"),
	     "line 4: <from> without <until>"},
	    {DOC("<cp:rule id=\"a\"><cp:conditions><cp:validity>\n"
	         "<cp:until>2025-01-02T00:00:00Z</cp:until>"
	         "</cp:validity></cp:conditions></cp:rule>\n"),
	     "line 4: <until> where <from> belongs"},
	    {DOC("<cp:rule id=\"a\"><cp:conditions>\n<cp:validity/>"
	         "</cp:conditions></cp:rule>\n"),
	     "line 4: <validity> without <from> and <until>"},
	    {DOC("<cp:rule id=\"a\"><cp:actions>"
	         "<pr:sub-handling>allow</pr:sub-handling>\n"
	         "<pr:sub-handling>block</pr:sub-handling>"
	         "</cp:actions></cp:rule>\n"),
	     "line 4: a second <sub-handling>"},
	    {DOC("<cp:rule id=\"a\"><cp:transformations>\n"
	         "<pr:provide-note>yes</pr:provide-note>"
	         "</cp:transformations></cp:rule>\n"),
	     "line 4: <provide-note> 'yes' is not a boolean"},
	    {DOC("<cp:rule id=\"a\"><cp:transformations>\n"
	         "<pr:provide-user-input>some</pr:provide-user-input>"
	         "</cp:transformations></cp:rule>\n"),
	     "line 4: provide-user-input 'some' is not one of"},
	    {DOC("<cp:rule id=\"a\"><cp:transformations>\n"
	         "<pr:provide-unknown-attribute name=\"x\">true"
	         "</pr:provide-unknown-attribute>"
	         "</cp:transformations></cp:rule>\n"),
	     "line 4: <provide-unknown-attribute> needs ns and name"},
	    {DOC("<cp:rule id=\"a\"><cp:transformations><pr:provide-devices>\n"
	         "<pr:all-devices/><pr:class>x</pr:class>"
	         "</pr:provide-devices></cp:transformations></cp:rule>\n"),
	     "line 4: <all-devices> with other selectors"},
	    {DOC("<cp:rule id=\"a\"><cp:transformations><pr:provide-persons>\n"
	         "<pr:deviceID>urn:x</pr:deviceID>"
	         "</pr:provide-persons></cp:transformations></cp:rule>\n"),
	     "line 4: unexpected element <deviceID> in <provide-persons>"},
	    {DOC("<cp:rule id=\"a\"><cp:transformations><pr:provide-services>\n"
	         "<pr:class><b>x</b></pr:class>"
	         "</pr:provide-services></cp:transformations></cp:rule>\n"),
	     "line 4: <class> holds text only"},
	    {DOC("<cp:rule id=\"a\">\n<cp:conditions/><cp:conditions/>"
	         "</cp:rule>\n"),
	     "line 4: a second <conditions> in rule 'a'"},
	    {DOC("<cp:rule id=\"a\">\n<cp:extras/></cp:rule>\n"),
	     "line 4: unexpected element <extras> in <rule>"},
	    {DOC("<cp:rule id=\"a\">\nhello</cp:rule>\n"),
	     "line 4: text is not allowed in <rule>"},
	    {DOC("<cp:rule id=\"1a\"/>\n"),
	     "line 3: rule id '1a' is not an XML ID"},
	    {DOC("<cp:rules id=\"a\"/>\n"),
	     "line 3: unexpected element <rules> in <ruleset>"},
	    {"<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"b\">]>\n"
	     "<cp:ruleset xmlns:cp=\"" CP "\"/>\n",
	     "line 1: a DOCTYPE is not allowed"},
	    {"<?xml version=\"1.0\"?>\n<cp:ruleset>\n</cp:ruleset>\n",
	     "line 2: "}, /* undeclared prefix */
	    {"", "line 1: "},
	    {"<a/><b/>", "line 1: "},
	};
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		err = expect_error(v[i].xml, strlen(v[i].xml), v[i].want);
		TEST_ERR(err);
	}
out:
	return err;
}

TEST(test_rules_errors_args)
{
	struct pres_rules *r = NULL;
	static const char ok[] = DOC("<cp:rule id=\"a\"/>\n");
	char small[12];
	int err = 0;

	/* no error buffer, a short one (truncated, NUL-terminated) */
	TEST_ERR_EQ(EBADMSG, pres_rules_parse(&r, "<x", 2, NULL, 0));
	memset(small, 'x', sizeof(small));
	TEST_ERR_EQ(EBADMSG,
	            pres_rules_parse(&r, "<x", 2, small, sizeof(small)));
	TEST_EQ(sizeof(small) - 1, strlen(small));
	TEST_ERR_EQ(EBADMSG, pres_rules_parse(&r, NULL, 0, NULL, 0));
	TEST_ERR_EQ(EINVAL, pres_rules_parse(NULL, ok, strlen(ok), NULL, 0));
	TEST_ASSERT(r == NULL);
	/* a ruleset with an empty rule: it matches everyone */
	err = pres_rules_parse(&r, ok, strlen(ok), NULL, 0);
	TEST_ERR(err);
	TEST_EQ(1, pres_rules_count(r));
	TEST_EQ(0, pres_rules_count(NULL));
out:
	mem_deref(r);
	return err;
}

TEST(test_rules_empty_rule_matches_all)
{
	struct pres_rules *r = NULL;
	struct pres_perm p;
	struct pres_watcher w = {"sip:nobody@nowhere.example", false};
	int err;

	pres_perm_init(&p);
	err = parse_str(&r,
	                DOC("<cp:rule id=\"a\"><cp:conditions/><cp:actions>"
	                    "<pr:sub-handling>polite-block</pr:sub-handling>"
	                    "</cp:actions></cp:rule>\n"),
	                NULL, 0);
	TEST_ERR(err);
	TEST_ASSERT(pres_rules_eval(r, &w, NULL, SOMEDAY, &p));
	TEST_EQ(PRES_POLITE_BLOCK, p.sub_handling);
	w.uri = "garbage";
	TEST_ASSERT(pres_rules_eval(r, &w, NULL, SOMEDAY, &p));
	/* no rules at all: nothing matched */
	TEST_ASSERT(!pres_rules_eval(NULL, &w, NULL, SOMEDAY, &p));
out:
	pres_perm_reset(&p);
	mem_deref(r);
	return err;
}

static int with(struct pres_rules **rp, struct buf **bp, const char *base,
                const char *id, const char *uri, enum pres_handling h)
{
	struct buf *b = NULL;
	char e[256];
	int err;

	err = pres_rules_with(&b, base, base ? strlen(base) : 0, id, uri, h);
	if (err)
		return err;
	err = pres_rules_parse(rp, (const char *)b->b, b->end, e, sizeof(e));
	if (err && err != ENOMEM)
		test_fail(__FILE__, __LINE__, "%s: %.*s", e, (int)b->end,
		          (const char *)b->b);
	if (err) {
		mem_deref(b);
		return err;
	}
	*bp = b;
	return 0;
}

static char *str_of(struct buf *b)
{
	char *s = NULL;

	if (b)
		mem_strndup(&s, (const char *)b->b, b->end);
	return s;
}

TEST(test_rules_with)
{
	struct pres_rules *r = NULL;
	struct buf *b = NULL;
	struct pres_perm p;
	char *doc = NULL;
	int err;

	pres_perm_init(&p);
	/* a new document with one allow rule: everything provided */
	err = with(&r, &b, NULL, "w1", "sip:ann@example.com", PRES_ALLOW);
	TEST_ERR(err);
	TEST_EQ(1, pres_rules_count(r));
	TEST_ASSERT(eval(r, "sip:ann@example.com", true, &p));
	TEST_EQ(PRES_ALLOW, p.sub_handling);
	TEST_ASSERT(p.services.all && p.persons.all && p.devices.all);
	TEST_ASSERT(p.attrs & PRES_ATTR_ALL);
	TEST_EQ(PRES_UI_FULL, p.user_input);
	TEST_ASSERT(!eval(r, "sip:ann@example.com", false, &p));
	TEST_ASSERT(!eval(r, "sip:bo@example.com", true, &p));
	doc = str_of(b);
	if (!doc) {
		err = ENOMEM;
		goto out;
	}
	TEST_ASSERT(strstr(doc, "xmlns:cp=\"" CP "\""));
	TEST_ASSERT(strstr(doc, "xmlns:pr=\"" PR "\""));
	r = mem_deref(r);
	b = mem_deref(b);

	/* a second rule appended; characters XML escapes survive */
	err = with(&r, &b, doc, "w2", "sip:a&b<c@example.com", PRES_BLOCK);
	TEST_ERR(err);
	TEST_EQ(2, pres_rules_count(r));
	TEST_ASSERT(eval(r, "sip:a&b<c@example.com", true, &p));
	TEST_EQ(PRES_BLOCK, p.sub_handling);
	TEST_EQ(0, p.attrs);
	TEST_ASSERT(eval(r, "sip:ann@example.com", true, &p));
	TEST_EQ(PRES_ALLOW, p.sub_handling);
	mem_deref(doc);
	doc = str_of(b);
	if (!doc) {
		err = ENOMEM;
		goto out;
	}
	r = mem_deref(r);
	b = mem_deref(b);

	/* the same id again: replaced, not added */
	err = with(&r, &b, doc, "w1", "sip:ann@example.com", PRES_CONFIRM);
	TEST_ERR(err);
	TEST_EQ(2, pres_rules_count(r));
	TEST_ASSERT(eval(r, "sip:ann@example.com", true, &p));
	TEST_EQ(PRES_CONFIRM, p.sub_handling);
	TEST_EQ(0, p.attrs);
	TEST_ASSERT(!p.services.all);
	r = mem_deref(r);
	b = mem_deref(b);
	err = with(&r, &b, doc, "w1", "sip:ann@example.com", PRES_POLITE_BLOCK);
	TEST_ERR(err);
	TEST_ASSERT(eval(r, "sip:ann@example.com", true, &p));
	TEST_EQ(PRES_POLITE_BLOCK, p.sub_handling);
out:
	pres_perm_reset(&p);
	mem_deref(doc);
	mem_deref(b);
	mem_deref(r);
	return err;
}

TEST(test_rules_with_foreign_prefixes)
{
	struct pres_rules *r = NULL;
	struct buf *b = NULL;
	struct pres_perm p;
	char *xml = NULL;
	int err;

	pres_perm_init(&p);
	/* basic.xml binds pres-rules as the default namespace and common
	 * policy as "cr": the new rule uses those bindings */
	err = test_read_file(&xml, NULL, "presence/rules/basic.xml");
	TEST_ERR(err);
	err = with(&r, &b, xml, "spam", "sip:spam@bad.example.net", PRES_ALLOW);
	TEST_ERR(err);
	TEST_EQ(4, pres_rules_count(r));
	TEST_ASSERT(eval(r, "sip:spam@bad.example.net", true, &p));
	TEST_EQ(PRES_ALLOW, p.sub_handling);
	/* the other rules are intact */
	TEST_ASSERT(eval(r, "sip:dave@example.com", true, &p));
	TEST_EQ(PRES_POLITE_BLOCK, p.sub_handling);
	r = mem_deref(r);
	b = mem_deref(b);
	err = with(&r, &b, xml, "new", "tel:+15551234567", PRES_CONFIRM);
	TEST_ERR(err);
	TEST_EQ(5, pres_rules_count(r));
	TEST_ASSERT(eval(r, "tel:+15551234567", true, &p));
	TEST_EQ(PRES_CONFIRM, p.sub_handling);
out:
	pres_perm_reset(&p);
	mem_deref(xml);
	mem_deref(b);
	mem_deref(r);
	return err;
}

TEST(test_rules_with_errors)
{
	static const char ok[] = DOC("<cp:rule id=\"a\"/>\n");
	struct buf *b = NULL;
	int err = 0;

	TEST_ERR_EQ(EINVAL, pres_rules_with(&b, NULL, 0, "1x", "sip:a@b.c",
	                                    PRES_ALLOW));
	TEST_ERR_EQ(EINVAL,
	            pres_rules_with(&b, NULL, 0, "", "sip:a@b.c", PRES_ALLOW));
	TEST_ERR_EQ(EINVAL,
	            pres_rules_with(&b, NULL, 0, "x", "no uri", PRES_ALLOW));
	TEST_ERR_EQ(EINVAL, pres_rules_with(&b, NULL, 0, "x", "sip:a@b.c",
	                                    (enum pres_handling)5));
	TEST_ERR_EQ(EINVAL, pres_rules_with(NULL, ok, strlen(ok), "x",
	                                    "sip:a@b.c", PRES_ALLOW));
	/* the base must be a ruleset */
	TEST_ERR_EQ(EBADMSG, pres_rules_with(&b, "<x/>", 4, "x", "sip:a@b.c",
	                                     PRES_ALLOW));
	TEST_ERR_EQ(EBADMSG,
	            pres_rules_with(&b, ok, 10, "x", "sip:a@b.c", PRES_ALLOW));
	TEST_ASSERT(b == NULL);
out:
	mem_deref(b);
	return err;
}

TEST(test_rules_watcher_id)
{
	char a[80], b[80];
	struct buf *mb = NULL;
	int err;

	err = pres_rules_watcher_id(a, sizeof(a), "sip:bob@Example.COM");
	TEST_ERR(err);
	TEST_ASSERT(!strncmp(a, "w-bob_example.com-", 18));
	TEST_EQ(18 + 12, strlen(a));
	/* every spelling of the same identity gives the same id */
	err = pres_rules_watcher_id(b, sizeof(b),
	                            "sips:bob@example.com;transport=tls");
	TEST_ERR(err);
	TEST_STR_EQ(a, b);
	err = pres_rules_watcher_id(b, sizeof(b), "pres:bob@example.com");
	TEST_ERR(err);
	TEST_STR_EQ(a, b);
	/* another identity, another id (even when the readable part is
	 * the same) */
	err = pres_rules_watcher_id(b, sizeof(b), "sip:Bob@example.com");
	TEST_ERR(err);
	TEST_ASSERT(strcmp(a, b));
	err = pres_rules_watcher_id(b, sizeof(b), "sip:bob_example.com");
	TEST_ERR(err);
	TEST_ASSERT(strcmp(a, b));
	/* the id is an XML ID pres_rules_with takes */
	err = pres_rules_watcher_id(b, sizeof(b), "tel:+1-555-0100");
	TEST_ERR(err);
	err = pres_rules_with(&mb, NULL, 0, b, "tel:+1-555-0100", PRES_BLOCK);
	TEST_ERR(err);
	TEST_ERR_EQ(EINVAL, pres_rules_watcher_id(b, sizeof(b), "bob"));
	TEST_ERR_EQ(EINVAL, pres_rules_watcher_id(b, 20, "sip:bob@x.org"));
out:
	mem_deref(mb);
	return err;
}
