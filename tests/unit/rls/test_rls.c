/* tests/unit/rls/test_rls.c - the resource list server (RFC 4662) on the
 * presence fixture: list subscriptions to the buddy-list convention and
 * to service URIs, RLMI full then partial state, per-member
 * authorization (pending, approved later), members that do not exist,
 * lists that change, 421 and 403. */
#include <stdio.h>
#include <string.h>

#include "../presence/pres_fix.h"
#include "base/buf.h"
#include "base/mem.h"
#include "event/evt.h"
#include "list/rlist.h"
#include "rls/rlmi.h"
#include "rls/rls.h"
#include "store/docwatch.h"
#include "store/store.h"

#define ALICE "alice@example.com"
#define BOB   "bob@example.com"
#define CAROL "carol@example.com"

#define EVENTLIST                                                              \
	"Supported: eventlist\n"                                               \
	"Accept: application/pidf+xml, application/rlmi+xml, "                 \
	"multipart/related\n"

#define RL_HEAD                                                                \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                         \
	"<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\n"
#define RL_TAIL "</resource-lists>\n"

static const char buddies[] =
    RL_HEAD "<list name=\"friends\">\n"
            "<entry uri=\"sip:bob@example.com\">"
            "<display-name>Bob</display-name></entry>\n"
            "<list name=\"work\">"
            "<entry uri=\"sip:carol@example.com\"/>"
            "<entry uri=\"sip:dave@example.com\"/>"
            "</list>\n"
            "</list>\n" RL_TAIL;

static void rcf(struct rls_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->buddies_suffix = "-buddies";
	c->max_resources = 100;
	c->wait_ms = 300;
	c->be_expires = 3600;
}

/* The last NOTIFY's multipart body, decoded. */
static int last_body(const struct pfx_sub *s, struct rlmi_body **bp)
{
	char ct[512], err[128];

	if (!s || !s->last || !s->last->body.l)
		return ENOENT;
	if (pl_strcpy(&s->last->ctype, ct, sizeof(ct)))
		return E2BIG;
	if (strncmp(ct, "multipart/related", 17))
		return EPROTO;
	return rlmi_body_decode(bp, ct, s->last->body.p, s->last->body.l, err,
	                        sizeof(err));
}

static const struct rlmi_res *res_find(const struct rlmi_body *b,
                                       const char *uri)
{
	for (uint32_t i = 0; i < b->rlmi->l.nres; i++)
		if (!strcmp(b->rlmi->l.res[i].uri, uri))
			return &b->rlmi->l.res[i];
	return NULL;
}

/* uri's instance state (and reason) in b, and whether its part holds
 * text: 1 yes, 0 no part, -1 no such resource. */
static int res_is(const struct rlmi_body *b, const char *uri,
                  enum rlmi_state st, const char *reason, const char *text)
{
	const struct rlmi_res *r = res_find(b, uri);
	const struct rlmi_inst *in;

	if (!r || r->ninst != 1)
		return -1;
	in = &r->inst[0];
	if (in->state != st)
		return -1;
	if (reason && (!in->reason || strcmp(in->reason, reason)))
		return -1;
	if (!in->cid)
		return text ? -1 : 0;
	for (uint32_t i = 0; i < b->n; i++)
		if (!strcmp(b->parts[i].cid, in->cid))
			return !text || strstr(b->parts[i].body, text) ? 1 : -1;
	return -1;
}

static int start(struct pfx *f, struct rls **rp, const struct pres_conf *pc,
                 const char *lists)
{
	struct rls_conf c;
	int err;

	err = pfx_init_store(f);
	if (!err && lists)
		err = store_doc_put(f->st, RLIST_AUID, ALICE, "index", lists,
		                    strlen(lists), NULL);
	if (!err)
		err = pfx_start(f, pc);
	if (err)
		return err;
	rcf(&c);
	return rls_alloc(rp, &c, f->evt, f->st, f->tl, NULL);
}

TEST(test_rls_buddies_full_partial)
{
	struct pfx f;
	struct rls *r = NULL;
	struct pfx_sub *a = NULL;
	struct rlmi_body *b = NULL;
	struct rls_stats st;
	char doc[1024], tag[64], hdrs[128];
	uint16_t sc;
	int err;

	PFX_START();
	err = start(&f, &r, NULL, buddies);
	PFX_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "at lunch", NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, tag);
	PFX_ERR(err);
	PFX_EQ(200, sc);

	err = pfx_subscribe_hdrs(&f, &a, ALICE, NULL,
	                         "alice-buddies@example.com", 600, EVENTLIST);
	PFX_ERR(err);
	PFX_EQ(200, a->scode);
	err = pfx_run(&f, 500);
	PFX_ERR(err);
	PFX_EQ(1, a->n);
	PFX_ASSERT(pfx_state_is(a, "active"));
	err = last_body(a, &b);
	PFX_ERR(err);
	PFX_ASSERT(b->rlmi->l.full);
	PFX_EQ(0, b->rlmi->l.version);
	PFX_EQ(3, b->rlmi->l.nres);
	PFX_ASSERT(!strcmp(b->rlmi->l.uri, "sip:alice-buddies@example.com"));
	PFX_EQ(1,
	       res_is(b, "sip:bob@example.com", RLMI_ACTIVE, NULL, "at lunch"));
	PFX_ASSERT(res_find(b, "sip:bob@example.com")->name &&
	           !strcmp(res_find(b, "sip:bob@example.com")->name, "Bob"));
	PFX_ASSERT(res_is(b, "sip:carol@example.com", RLMI_ACTIVE, NULL,
	                  "carol") >= 0);
	PFX_EQ(0, res_is(b, "sip:dave@example.com", RLMI_TERMINATED,
	                 "noresource", NULL));
	b = mem_deref(b);
	rls_stats_get(r, &st);
	PFX_EQ(1, st.lists);
	PFX_EQ(3, st.local);

	/* bob changes: one partial NOTIFY with bob only */
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "back", NULL);
	TEST_ERR(err);
	snprintf(hdrs, sizeof(hdrs), "Event: presence\nSIP-If-Match: %s\n",
	         tag);
	err = pfx_pub(&f, BOB, BOB, hdrs, doc, &sc, tag);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(2, a->n);
	err = last_body(a, &b);
	PFX_ERR(err);
	PFX_ASSERT(!b->rlmi->l.full);
	PFX_EQ(1, b->rlmi->l.version);
	PFX_EQ(1, b->rlmi->l.nres);
	PFX_EQ(1, res_is(b, "sip:bob@example.com", RLMI_ACTIVE, NULL, "back"));
	b = mem_deref(b);

	/* the list subscription expires: its back-end subscriptions go */
	err = pfx_run(&f, 601 * 1000);
	PFX_ERR(err);
	PFX_ASSERT(pfx_state_is(a, "terminated"));
	rls_stats_get(r, &st);
	PFX_EQ(0, st.lists);
	PFX_EQ(0, st.local);
out:
	mem_deref(b);
	mem_deref(r);
	pfx_close(&f);
	return err;
}

TEST(test_rls_refusals)
{
	struct pfx f;
	struct rls *r = NULL;
	struct pfx_sub *a = NULL;
	int err;

	PFX_START();
	err = start(&f, &r, NULL, buddies);
	PFX_ERR(err);
	/* no eventlist: 421 */
	err = pfx_subscribe(&f, &a, ALICE, NULL, "alice-buddies@example.com",
	                    600);
	PFX_ERR(err);
	PFX_EQ(421, a->scode);
	/* another user's list: 403 */
	err = pfx_subscribe_hdrs(&f, &a, BOB, NULL, "alice-buddies@example.com",
	                         600, EVENTLIST);
	PFX_ERR(err);
	PFX_EQ(403, a->scode);
	/* a plain presentity is still the presence service's */
	err = pfx_subscribe_hdrs(&f, &a, ALICE, NULL, BOB, 600, EVENTLIST);
	PFX_ERR(err);
	PFX_EQ(200, a->scode);
out:
	mem_deref(r);
	pfx_close(&f);
	return err;
}

#define RS_PENDING_OK                                                          \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                         \
	"<cr:ruleset xmlns=\"urn:ietf:params:xml:ns:pres-rules\" "             \
	"xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\">"                   \
	"<cr:rule id=\"a\"><cr:conditions><cr:identity>"                       \
	"<cr:one id=\"sip:alice@example.com\"/></cr:identity>"                 \
	"</cr:conditions><cr:actions><sub-handling>allow</sub-handling>"       \
	"</cr:actions><cr:transformations>"                                    \
	"<provide-services><all-services/></provide-services>"                 \
	"<provide-persons><all-persons/></provide-persons>"                    \
	"<provide-devices><all-devices/></provide-devices>"                    \
	"<provide-all-attributes/></cr:transformations></cr:rule>"             \
	"</cr:ruleset>"

/* bob confirms watchers: pending in the list until his rules allow
 * alice, then active with his document. */
TEST(test_rls_pending_approved)
{
	struct pfx f;
	struct rls *r = NULL;
	struct pfx_sub *a = NULL;
	struct rlmi_body *b = NULL;
	struct pres_conf pc;
	char doc[1024], tag[64];
	uint16_t sc;
	uint32_t n;
	int err;

	PFX_START();
	pfx_conf(&pc);
	pc.default_local = PRES_CONFIRM;
	err = start(&f, &r, &pc, buddies);
	PFX_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "secret", NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, tag);
	PFX_ERR(err);
	err = pfx_subscribe_hdrs(&f, &a, ALICE, NULL,
	                         "alice-buddies@example.com", 600, EVENTLIST);
	PFX_ERR(err);
	PFX_EQ(200, a->scode);
	err = pfx_run(&f, 500);
	PFX_ERR(err);
	err = last_body(a, &b);
	PFX_ERR(err);
	PFX_EQ(0, res_is(b, "sip:bob@example.com", RLMI_PENDING, NULL, NULL));
	PFX_ASSERT(!memmem(a->last->body.p, a->last->body.l, "secret", 6));
	b = mem_deref(b);
	n = a->n;

	err = pfx_doc_put(&f, "pres-rules", BOB, RS_PENDING_OK, true);
	PFX_ERR(err);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_ASSERT(a->n > n);
	err = last_body(a, &b);
	PFX_ERR(err);
	PFX_EQ(1,
	       res_is(b, "sip:bob@example.com", RLMI_ACTIVE, NULL, "secret"));
out:
	mem_deref(b);
	mem_deref(r);
	pfx_close(&f);
	return err;
}

/* A service URI whose list is a reference into alice's resource-lists
 * document; the document changes while subscribed: a full NOTIFY with
 * the new member follows. */
TEST(test_rls_service_ref_and_change)
{
	static const char svc[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\">"
	    "<service uri=\"sip:team@example.com\"><resource-list>"
	    "http://xcap.example.com/xcap/resource-lists/users/"
	    "sip:alice@example.com/index/~~/resource-lists/"
	    "list%5b@name=%22friends%22%5d/list%5b@name=%22work%22%5d"
	    "</resource-list><packages><package>presence</package>"
	    "</packages></service></rls-services>";
	static const char more[] =
	    RL_HEAD "<list name=\"friends\">"
	            "<entry uri=\"sip:bob@example.com\"/>"
	            "<list name=\"work\">"
	            "<entry uri=\"sip:carol@example.com\"/>"
	            "<entry uri=\"sip:bob@example.com\"/>"
	            "</list></list>" RL_TAIL;
	struct pfx f;
	struct rls *r = NULL;
	struct pfx_sub *a = NULL;
	struct rlmi_body *b = NULL;
	uint32_t n;
	int err;

	PFX_START();
	err = pfx_init_store(&f);
	PFX_ERR(err);
	err = store_doc_put(f.st, RLS_AUID, ALICE, "index", svc, strlen(svc),
	                    NULL);
	PFX_ERR(err);
	{
		struct rls_conf c;

		err = store_doc_put(f.st, RLIST_AUID, ALICE, "index", buddies,
		                    strlen(buddies), NULL);
		if (!err)
			err = pfx_start(&f, NULL);
		rcf(&c);
		if (!err)
			err = rls_alloc(&r, &c, f.evt, f.st, f.tl, NULL);
		PFX_ERR(err);
	}
	err = pfx_subscribe_hdrs(&f, &a, ALICE, NULL, "team@example.com", 600,
	                         EVENTLIST);
	PFX_ERR(err);
	PFX_EQ(200, a->scode);
	err = pfx_run(&f, 500);
	PFX_ERR(err);
	err = last_body(a, &b);
	PFX_ERR(err);
	PFX_EQ(2, b->rlmi->l.nres);
	PFX_ASSERT(res_find(b, "sip:carol@example.com"));
	PFX_ASSERT(res_find(b, "sip:dave@example.com"));
	b = mem_deref(b);
	n = a->n;

	err = store_doc_put(f.st, RLIST_AUID, ALICE, "index", more,
	                    strlen(more), NULL);
	PFX_ERR(err);
	docwatch_kick(f.st);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_ASSERT(a->n > n);
	err = last_body(a, &b);
	PFX_ERR(err);
	PFX_ASSERT(b->rlmi->l.full);
	PFX_EQ(2, b->rlmi->l.nres);
	PFX_ASSERT(res_is(b, "sip:bob@example.com", RLMI_ACTIVE, NULL, "bob") >=
	           0);
	PFX_ASSERT(!res_find(b, "sip:dave@example.com"));
	b = mem_deref(b);

	/* bob subscribing to alice's service: 403 */
	err = pfx_subscribe_hdrs(&f, &a, BOB, NULL, "team@example.com", 600,
	                         EVENTLIST);
	PFX_ERR(err);
	PFX_EQ(403, a->scode);
out:
	mem_deref(b);
	mem_deref(r);
	pfx_close(&f);
	return err;
}
