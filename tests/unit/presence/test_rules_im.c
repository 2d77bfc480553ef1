/* tests/unit/presence/test_rules_im.c - impd's IM actions in common
 * policy rulesets (RFC 4745 conditions and combination): parsing,
 * evaluation, building with pres_rules_with_im */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "presence/rules.h"
#include "test.h"

enum {
	NOW = 1740000000,        /* 2025-02-19T21:20:00Z */
	WIN_FROM = 1739962800,   /* 2025-02-19T11:00:00Z */
	WIN_UNTIL = 1740006000,  /* 2025-02-19T23:00:00Z */
	WIN2_FROM = 1740567600,  /* 2025-02-26T11:00:00Z */
	WIN2_UNTIL = 1740610800, /* 2025-02-26T23:00:00Z */
};

#define CP "urn:ietf:params:xml:ns:common-policy"
#define PR "urn:ietf:params:xml:ns:pres-rules"
#define IM "urn:x-impd:im-rules"
#define DOC(body)                                                              \
	"<?xml version=\"1.0\"?>\n<cp:ruleset xmlns:cp=\"" CP                  \
	"\" xmlns:im=\"" IM "\">\n" body "</cp:ruleset>\n"
#define ONE(id)     "<cp:identity><cp:one id=\"" id "\"/></cp:identity>"
#define HANDLING(v) "<im:im-handling>" v "</im:im-handling>"
#define RECEPT(v)   "<im:reception>" v "</im:reception>"
#define RULE(id, cond, act)                                                    \
	"<cp:rule id=\"" id "\"><cp:conditions>" cond                          \
	"</cp:conditions><cp:actions>" act "</cp:actions></cp:rule>\n"

static int parse(struct pres_rules **rp, const char *xml)
{
	char e[256];
	int err = pres_rules_parse(rp, xml, strlen(xml), e, sizeof(e));

	if (err && err != ENOMEM)
		test_fail(__FILE__, __LINE__, "%s", e);
	return err;
}

/* Evaluate for sender at t. */
static bool ev(const struct pres_rules *r, const char *uri, bool auth,
               uint64_t t, struct pres_im_perm *p)
{
	struct pres_watcher w = {uri, auth};

	return pres_rules_eval_im(r, &w, t, p);
}

TEST(test_rules_im_block_one)
{
	struct pres_rules *r = NULL;
	struct pres_im_perm p;
	struct pres_perm pp;
	struct pres_watcher w = {"sip:spam@bad.example.net", true};
	int err;

	pres_perm_init(&pp);
	err = parse(&r, DOC(RULE("b", ONE("sip:spam@bad.example.net"),
	                         HANDLING("block"))));
	TEST_ERR(err);
	TEST_EQ(1, pres_rules_count(r));
	TEST_ASSERT(ev(r, "sip:spam@bad.example.net", true, NOW, &p));
	TEST_ASSERT(p.has_handling);
	TEST_EQ(PRES_IM_BLOCK, p.handling);
	TEST_ASSERT(!p.has_reception);
	/* every spelling of the identity */
	TEST_ASSERT(
	    ev(r, "sips:spam@BAD.example.net;transport=tls", true, NOW, &p));
	TEST_EQ(PRES_IM_BLOCK, p.handling);
	/* anybody else: nothing decided, the caller's defaults apply */
	p.has_handling = true;
	TEST_ASSERT(!ev(r, "sip:alice@example.com", true, NOW, &p));
	TEST_ASSERT(!p.has_handling && !p.has_reception);
	/* IM actions say nothing about presence */
	TEST_ASSERT(!pres_rules_eval(r, &w, NULL, NOW, &pp));
	TEST_EQ(PRES_BLOCK, pp.sub_handling);
	/* no rules, no sender */
	TEST_ASSERT(!pres_rules_eval_im(NULL, &w, NOW, &p));
	TEST_ASSERT(!pres_rules_eval_im(r, NULL, NOW, &p));
	TEST_ASSERT(!pres_rules_eval_im(r, &w, NOW, NULL));
out:
	pres_perm_reset(&pp);
	mem_deref(r);
	return err;
}

/* RFC 4745 10.2: the highest value of the matching rules wins, so a
 * domain-wide allow is stronger than a block for one of its users; a
 * user of the domain is kept out with <except> instead. */
TEST(test_rules_im_domain_allow_single_block)
{
	struct pres_rules *r = NULL;
	struct pres_im_perm p;
	int err;

	err = parse(&r, DOC(RULE("dom",
	                         "<cp:identity><cp:many domain=\"example.com\">"
	                         "<cp:except id=\"sip:eve@example.com\"/>"
	                         "</cp:many></cp:identity>",
	                         HANDLING("allow"))
	                        RULE("m", ONE("sip:mallory@example.com"),
	                             HANDLING("block"))
	                            RULE("e", ONE("sip:eve@example.com"),
	                                 HANDLING("block"))));
	TEST_ERR(err);
	TEST_ASSERT(ev(r, "sip:alice@example.com", true, NOW, &p));
	TEST_EQ(PRES_IM_ALLOW, p.handling);
	/* permissive combining: the domain's allow wins over the block */
	TEST_ASSERT(ev(r, "sip:mallory@example.com", true, NOW, &p));
	TEST_ASSERT(p.has_handling);
	TEST_EQ(PRES_IM_ALLOW, p.handling);
	/* excepted from the domain rule: only the block matches */
	TEST_ASSERT(ev(r, "sip:eve@example.com", true, NOW, &p));
	TEST_EQ(PRES_IM_BLOCK, p.handling);
	/* another domain: not decided */
	TEST_ASSERT(!ev(r, "sip:alice@example.org", true, NOW, &p));
	TEST_ASSERT(!p.has_handling);
out:
	mem_deref(r);
	return err;
}

TEST(test_rules_im_discard)
{
	struct pres_rules *r = NULL;
	struct pres_im_perm p;
	int err;

	err = parse(
	    &r, DOC(RULE("d", ONE("sip:bot@example.com"), HANDLING("discard"))
	                RULE("b", ONE("sip:bot@example.com"), HANDLING("block"))
	                    RULE("d2", ONE("sip:ann@example.com"),
	                         HANDLING(" discard\n"))
	                        RULE("a", ONE("sip:ann@example.com"),
	                             HANDLING("allow"))));
	TEST_ERR(err);
	/* discard is above block */
	TEST_ASSERT(ev(r, "sip:bot@example.com", true, NOW, &p));
	TEST_EQ(PRES_IM_DISCARD, p.handling);
	TEST_ASSERT(!p.has_reception);
	/* and below allow (white space around the value is fine) */
	TEST_ASSERT(ev(r, "sip:ann@example.com", true, NOW, &p));
	TEST_EQ(PRES_IM_ALLOW, p.handling);
	r = mem_deref(r);
	err = parse(&r, DOC(RULE("d", ONE("sip:bot@example.com"),
	                         HANDLING("discard"))));
	TEST_ERR(err);
	TEST_ASSERT(ev(r, "sip:bot@example.com", true, NOW, &p));
	TEST_EQ(PRES_IM_DISCARD, p.handling);
out:
	mem_deref(r);
	return err;
}

TEST(test_rules_im_reception)
{
	struct pres_rules *r = NULL;
	struct pres_im_perm p;
	int err;

	/* a catch-all rule (no conditions) and one sender's own */
	err = parse(&r, DOC(RULE("reception", "", RECEPT("store"))
	                        RULE("boss", ONE("sip:boss@example.com"),
	                             RECEPT("deliver"))
	                            RULE("x", ONE("sip:x@example.com"),
	                                 HANDLING("allow") RECEPT("reject"))));
	TEST_ERR(err);
	TEST_ASSERT(ev(r, "sip:boss@example.com", true, NOW, &p));
	TEST_ASSERT(p.has_reception && !p.has_handling);
	TEST_EQ(PRES_IM_DELIVER, p.reception);
	TEST_ASSERT(ev(r, "sip:anyone@example.org", true, NOW, &p));
	TEST_ASSERT(p.has_reception && !p.has_handling);
	TEST_EQ(PRES_IM_STORE, p.reception);
	/* both actions in one rule; reject is below the catch-all's store */
	TEST_ASSERT(ev(r, "sip:x@example.com", true, NOW, &p));
	TEST_ASSERT(p.has_reception && p.has_handling);
	TEST_EQ(PRES_IM_ALLOW, p.handling);
	TEST_EQ(PRES_IM_STORE, p.reception);
	r = mem_deref(r);

	/* catch-all reject, one sender stored */
	err = parse(&r, DOC(RULE("reception", "", RECEPT("reject")) RULE(
	                    "s", ONE("sip:s@example.com"), RECEPT("store"))));
	TEST_ERR(err);
	TEST_ASSERT(ev(r, "sip:s@example.com", true, NOW, &p));
	TEST_EQ(PRES_IM_STORE, p.reception);
	TEST_ASSERT(ev(r, "sip:t@example.com", true, NOW, &p));
	TEST_ASSERT(p.has_reception);
	TEST_EQ(PRES_IM_REJECT, p.reception);
out:
	mem_deref(r);
	return err;
}

TEST(test_rules_im_validity)
{
	struct pres_rules *r = NULL;
	struct pres_im_perm p;
	int err;

	/* blocked on two evenings only (11:00 to 23:00 UTC) */
	err = parse(
	    &r, DOC(RULE("v",
	                 ONE("sip:carol@example.com") "<cp:validity>"
	                                              "<cp:from>2025-02-19T12:"
	                                              "00:00+01:00</cp:from>"
	                                              "<cp:until>2025-02-19T23:"
	                                              "00:00Z</cp:until>"
	                                              "<cp:from>2025-02-26T11:"
	                                              "00:00Z</cp:from>"
	                                              "<cp:until>2025-02-26T18:"
	                                              "00:00-05:00</cp:until>"
	                                              "</cp:validity>",
	                 HANDLING("block"))));
	TEST_ERR(err);
	TEST_ASSERT(ev(r, "sip:carol@example.com", true, NOW, &p));
	TEST_EQ(PRES_IM_BLOCK, p.handling);
	TEST_ASSERT(ev(r, "sip:carol@example.com", true, WIN_FROM, &p));
	TEST_ASSERT(!ev(r, "sip:carol@example.com", true, WIN_FROM - 1, &p));
	/* until is exclusive */
	TEST_ASSERT(ev(r, "sip:carol@example.com", true, WIN_UNTIL - 1, &p));
	TEST_ASSERT(!ev(r, "sip:carol@example.com", true, WIN_UNTIL, &p));
	TEST_ASSERT(!p.has_handling);
	TEST_ASSERT(ev(r, "sip:carol@example.com", true, WIN2_FROM + 60, &p));
	TEST_ASSERT(!ev(r, "sip:carol@example.com", true, WIN2_UNTIL, &p));
	/* the caller knows when to look again */
	TEST_EQ(WIN_UNTIL, pres_rules_next_change(r, NOW));
	TEST_EQ(WIN2_FROM, pres_rules_next_change(r, WIN_UNTIL));
out:
	mem_deref(r);
	return err;
}

TEST(test_rules_im_unauthenticated)
{
	struct pres_rules *r = NULL;
	struct pres_im_perm p;
	int err;

	err =
	    parse(&r, DOC(RULE("all", "", RECEPT("store"))
	                      RULE("a", ONE("sip:alice@example.com"),
	                           HANDLING("allow") RECEPT("deliver"))
	                          RULE("dom",
	                               "<cp:identity><cp:many/>"
	                               "</cp:identity>",
	                               HANDLING("discard"))
	                              RULE("sph", "<cp:sphere value=\"work\"/>",
	                                   HANDLING("allow"))));
	TEST_ERR(err);
	TEST_ASSERT(ev(r, "sip:alice@example.com", true, NOW, &p));
	TEST_EQ(PRES_IM_ALLOW, p.handling);
	TEST_EQ(PRES_IM_DELIVER, p.reception);
	/* the same URI, not authenticated: no identity condition holds
	 * (not even <many/>), only the catch-all */
	TEST_ASSERT(ev(r, "sip:alice@example.com", false, NOW, &p));
	TEST_ASSERT(!p.has_handling);
	TEST_ASSERT(p.has_reception);
	TEST_EQ(PRES_IM_STORE, p.reception);
	/* any other authenticated sender: <many/> */
	TEST_ASSERT(ev(r, "sip:zed@example.net", true, NOW, &p));
	TEST_EQ(PRES_IM_DISCARD, p.handling);
	/* a sender URI impd cannot read is never an identity */
	TEST_ASSERT(ev(r, "not a uri", true, NOW, &p));
	TEST_ASSERT(!p.has_handling);
	TEST_EQ(PRES_IM_STORE, p.reception);
out:
	mem_deref(r);
	return err;
}

TEST(test_rules_im_errors)
{
	static const struct {
		const char *xml;
		const char *msg;
	} v[] = {
	    {DOC(RULE("a", "", HANDLING("maybe"))),
	     "line 3: im-handling 'maybe' is not one of block, discard, allow"},
	    {DOC(RULE("a", "", HANDLING(""))),
	     "line 3: im-handling '' is not one of block, discard, allow"},
	    {DOC(RULE("a", "", HANDLING("Allow"))),
	     "line 3: im-handling 'Allow' is not one of block, discard, "
	     "allow"},
	    {DOC(RULE("a", "", RECEPT("later"))),
	     "line 3: reception 'later' is not one of reject, store, deliver"},
	    {DOC(RULE("a", "", HANDLING("block") HANDLING("allow"))),
	     "line 3: a second <im-handling>"},
	    {DOC(RULE("a", "", RECEPT("store") RECEPT("store"))),
	     "line 3: a second <reception>"},
	    {DOC(RULE("a", "", "<im:reception><x/></im:reception>")),
	     "line 3: <reception> holds text only"},
	};
	struct pres_rules *r = NULL;
	char e[256];
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		TEST_ERR_EQ(EBADMSG,
		            pres_rules_parse(&r, v[i].xml, strlen(v[i].xml), e,
		                             sizeof(e)));
		TEST_STR_EQ(v[i].msg, e);
		TEST_ASSERT(r == NULL);
	}
	/* other elements of the namespace are actions impd does not know:
	 * ignored; the IM actions need their namespace */
	err = parse(
	    &r,
	    DOC(RULE("a", "",
	             "<im:future>x</im:future>"
	             "<cp:im-handling>x</cp:im-handling>" RECEPT("deliver"))));
	TEST_ERR(err);
	TEST_EQ(1, pres_rules_count(r));
out:
	mem_deref(r);
	return err;
}

struct info_rec {
	unsigned n;
	char line[4][160];
};

static void info_h(const struct pres_rule_info *ri, void *arg)
{
	struct info_rec *ir = arg;

	if (ir->n >= 4)
		return;
	snprintf(ir->line[ir->n++], sizeof(ir->line[0]),
	         "%s %u %s%s h%d:%d r%d:%d s%d:%d", ri->id, ri->nconds,
	         ri->one ? ri->one : "-", ri->never ? " never" : "",
	         ri->im.has_handling, ri->im.handling, ri->im.has_reception,
	         ri->im.reception, ri->has_sub_handling, ri->sub_handling);
}

TEST(test_rules_im_info)
{
	struct pres_rules *r = NULL;
	struct info_rec ir;
	int err;

	memset(&ir, 0, sizeof(ir));
	err = parse(
	    &r,
	    "<cp:ruleset xmlns:cp=\"" CP "\" xmlns:im=\"" IM "\" xmlns:pr=\"" PR
	    "\" xmlns:x=\"urn:x\">" RULE(
	        "a", ONE("sips:Ann@Example.com;transport=tls"),
	        HANDLING("block")) RULE("b", "",
	                                RECEPT("store") HANDLING("discard"))
	        RULE("c", ONE("sip:c@d.org") "<cp:sphere value=\"w\"/>",
	             "<pr:sub-handling>allow</pr:sub-handling>")
	            RULE("d", "<x:odd/>", RECEPT("deliver")) "</cp:ruleset>");
	TEST_ERR(err);
	pres_rules_info(r, info_h, &ir);
	TEST_EQ(4, ir.n);
	TEST_STR_EQ("a 1 Ann@example.com h1:0 r0:0 s0:0", ir.line[0]);
	TEST_STR_EQ("b 0 - h1:20 r1:10 s0:0", ir.line[1]);
	TEST_STR_EQ("c 2 - h0:0 r0:0 s1:30", ir.line[2]);
	TEST_STR_EQ("d 0 - never h0:0 r1:20 s0:0", ir.line[3]);
	pres_rules_info(NULL, info_h, &ir);
	pres_rules_info(r, NULL, &ir);
	TEST_EQ(4, ir.n);
out:
	mem_deref(r);
	return err;
}

/* pres_rules_with_im into *bp, parsed into *rp. */
static int with(struct pres_rules **rp, struct buf **bp, const char *base,
                const char *id, const char *uri, const char *h, const char *rc)
{
	struct buf *b = NULL;
	char e[256];
	int err;

	err = pres_rules_with_im(&b, base, base ? strlen(base) : 0, id, uri, h,
	                         rc);
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

static int dup_buf(char **sp, const struct buf *b)
{
	*sp = mem_deref(*sp);
	return mem_strndup(sp, (const char *)b->b, b->end);
}

TEST(test_rules_im_with)
{
	struct pres_rules *r = NULL;
	struct buf *b = NULL;
	struct pres_im_perm p;
	struct pres_perm pp;
	struct pres_watcher w = {"sip:ann@example.com", true};
	char *doc = NULL;
	int err;

	pres_perm_init(&pp);
	/* a new document: one block */
	err = with(&r, &b, NULL, "im-1", "sip:spam@example.net", "block", NULL);
	TEST_ERR(err);
	TEST_EQ(1, pres_rules_count(r));
	TEST_ASSERT(ev(r, "sip:spam@example.net", true, NOW, &p));
	TEST_EQ(PRES_IM_BLOCK, p.handling);
	TEST_ASSERT(p.has_handling && !p.has_reception);
	TEST_ASSERT(!ev(r, "sip:ann@example.com", true, NOW, &p));
	err = dup_buf(&doc, b);
	TEST_ERR(err);
	TEST_ASSERT(strstr(doc, "xmlns:cp=\"" CP "\""));
	TEST_ASSERT(strstr(doc, "xmlns:im=\"" IM "\""));
	TEST_ASSERT(strstr(doc, "<im:im-handling>block</im:im-handling>"));
	TEST_ASSERT(!strstr(doc, PR));
	r = mem_deref(r);
	b = mem_deref(b);

	/* a catch-all reception rule appended */
	err = with(&r, &b, doc, "reception", NULL, NULL, "store");
	TEST_ERR(err);
	TEST_EQ(2, pres_rules_count(r));
	TEST_ASSERT(ev(r, "sip:ann@example.com", false, NOW, &p));
	TEST_ASSERT(!p.has_handling && p.has_reception);
	TEST_EQ(PRES_IM_STORE, p.reception);
	TEST_ASSERT(ev(r, "sip:spam@example.net", true, NOW, &p));
	TEST_EQ(PRES_IM_BLOCK, p.handling);
	TEST_EQ(PRES_IM_STORE, p.reception);
	err = dup_buf(&doc, b);
	TEST_ERR(err);
	TEST_ASSERT(strstr(doc, "<cp:conditions/>"));
	r = mem_deref(r);
	b = mem_deref(b);

	/* the same ids again: replaced, not added */
	err = with(&r, &b, doc, "im-1", "sip:spam@example.net", "allow",
	           "deliver");
	TEST_ERR(err);
	TEST_EQ(2, pres_rules_count(r));
	TEST_ASSERT(ev(r, "sip:spam@example.net", true, NOW, &p));
	TEST_EQ(PRES_IM_ALLOW, p.handling);
	TEST_EQ(PRES_IM_DELIVER, p.reception);
	err = dup_buf(&doc, b);
	TEST_ERR(err);
	r = mem_deref(r);
	b = mem_deref(b);
	err = with(&r, &b, doc, "reception", NULL, NULL, "reject");
	TEST_ERR(err);
	TEST_EQ(2, pres_rules_count(r));
	TEST_ASSERT(ev(r, "sip:ann@example.com", true, NOW, &p));
	TEST_EQ(PRES_IM_REJECT, p.reception);
	TEST_ASSERT(ev(r, "sip:spam@example.net", true, NOW, &p));
	TEST_EQ(PRES_IM_ALLOW, p.handling);
	TEST_EQ(PRES_IM_DELIVER, p.reception);
	err = dup_buf(&doc, b);
	TEST_ERR(err);
	r = mem_deref(r);
	b = mem_deref(b);

	/* an IM rule into a presence document, and a presence rule into
	 * the result: both kinds live side by side */
	err = pres_rules_with(&b, NULL, 0, "w1", "sip:ann@example.com",
	                      PRES_ALLOW);
	TEST_ERR(err);
	err = dup_buf(&doc, b);
	TEST_ERR(err);
	b = mem_deref(b);
	err = with(&r, &b, doc, "im-2", "sip:ann@example.com", "discard", NULL);
	TEST_ERR(err);
	TEST_EQ(2, pres_rules_count(r));
	TEST_ASSERT(ev(r, "sip:ann@example.com", true, NOW, &p));
	TEST_EQ(PRES_IM_DISCARD, p.handling);
	TEST_ASSERT(pres_rules_eval(r, &w, NULL, NOW, &pp));
	TEST_EQ(PRES_ALLOW, pp.sub_handling);
out:
	pres_perm_reset(&pp);
	mem_deref(doc);
	mem_deref(b);
	mem_deref(r);
	return err;
}

TEST(test_rules_im_with_errors)
{
	static const char ok[] = DOC("<cp:rule id=\"a\"/>\n");
	struct buf *b = NULL;
	int err = 0;

	TEST_ERR_EQ(EINVAL, pres_rules_with_im(NULL, NULL, 0, "x", NULL,
	                                       "allow", NULL));
	TEST_ERR_EQ(EINVAL,
	            pres_rules_with_im(&b, NULL, 0, "1x", NULL, "allow", NULL));
	TEST_ERR_EQ(EINVAL, pres_rules_with_im(&b, NULL, 0, "x", "no uri",
	                                       "allow", NULL));
	/* at least one action, and only known values */
	TEST_ERR_EQ(EINVAL,
	            pres_rules_with_im(&b, NULL, 0, "x", NULL, NULL, NULL));
	TEST_ERR_EQ(EINVAL, pres_rules_with_im(&b, NULL, 0, "x", NULL,
	                                       "polite-block", NULL));
	TEST_ERR_EQ(EINVAL,
	            pres_rules_with_im(&b, NULL, 0, "x", NULL, NULL, "Store"));
	/* the base must be a valid ruleset */
	TEST_ERR_EQ(EBADMSG, pres_rules_with_im(&b, "<x/>", 4, "x", NULL, NULL,
	                                        "store"));
	TEST_ERR_EQ(EBADMSG,
	            pres_rules_with_im(&b, ok, 10, "x", NULL, NULL, "store"));
	TEST_ASSERT(b == NULL);
out:
	mem_deref(b);
	return err;
}
