/* tests/unit/presence/test_presence.c - the presence package (RFC 3856):
 * composition, registration-derived presence, authorization (RFC 4745,
 * RFC 5025), rule changes, invisible mode */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/tmr.h"
#include "pres_fix.h"
#include "presence/pidf.h"
#include "presence/presence_int.h"
#include "presence/rules.h"
#include "store/store.h"

#define BOB   "bob@example.com"
#define ALICE "alice@example.com"
#define CAROL "carol@example.com"
#define INST  "urn:uuid:5b1e4a4e-2b6a-4d8e-9a0b-6f1c1d2e3f40"

#define RS_HEAD                                                                \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                         \
	"<cr:ruleset xmlns=\"urn:ietf:params:xml:ns:pres-rules\" "             \
	"xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\">\n"
#define RS_TAIL "</cr:ruleset>\n"
/* everything */
#define T_ALL                                                                  \
	"<provide-services><all-services/></provide-services>"                 \
	"<provide-persons><all-persons/></provide-persons>"                    \
	"<provide-devices><all-devices/></provide-devices>"                    \
	"<provide-all-attributes/>"
/* everything but the note */
#define T_NO_NOTE                                                              \
	"<provide-services><all-services/></provide-services>"                 \
	"<provide-persons><all-persons/></provide-persons>"                    \
	"<provide-devices><all-devices/></provide-devices>"                    \
	"<provide-activities>true</provide-activities>"

/* Append one rule: identity one id=who (NULL: no condition). */
static int rule(char *buf, size_t size, const char *id, const char *who,
                const char *handling, const char *transf, const char *validity)
{
	size_t l = strlen(buf);
	int n;

	n = snprintf(buf + l, size - l,
	             "<cr:rule id=\"%s\"><cr:conditions>%s%s%s%s%s%s%s"
	             "</cr:conditions>"
	             "<cr:actions><sub-handling>%s</sub-handling></cr:actions>"
	             "<cr:transformations>%s</cr:transformations></cr:rule>\n",
	             id, who ? "<cr:identity><cr:one id=\"sip:" : "",
	             who ? who : "", who ? "\"/></cr:identity>" : "",
	             validity ? "<cr:validity>" : "", validity ? validity : "",
	             validity ? "</cr:validity>" : "", "", handling,
	             transf ? transf : "");
	return n > 0 && (size_t)n < size - l ? 0 : ERANGE;
}

static int rules1(char *buf, size_t size, const char *who, const char *handling,
                  const char *transf)
{
	int err;

	snprintf(buf, size, "%s", RS_HEAD);
	err = rule(buf, size, "r1", who, handling, transf, NULL);
	if (!err && strlen(buf) + sizeof(RS_TAIL) < size)
		strcat(buf, RS_TAIL);
	return err;
}

static int tuples(const struct pfx_sub *s)
{
	struct pidf *d = NULL;
	int n;

	if (pfx_doc(s, &d))
		return -1;
	n = (int)pidf_tuple_count(d);
	mem_deref(d);
	return n;
}

/* Basic of the tuple with id (NULL if none). */
static const char *basic_of(const struct pfx_sub *s, const char *id)
{
	static char res[16];
	struct pidf *d = NULL;

	res[0] = '\0';
	if (pfx_doc(s, &d))
		return NULL;
	for (size_t i = 0; i < pidf_tuple_count(d); i++)
		if (!strcmp(pidf_tuple_id(d, i), id) && pidf_tuple_basic(d, i))
			snprintf(res, sizeof(res), "%s",
			         pidf_tuple_basic(d, i));
	mem_deref(d);
	return res[0] ? res : NULL;
}

static bool basic_eq(const struct pfx_sub *s, const char *id, const char *want)
{
	const char *b = basic_of(s, id);

	return b && !strcmp(b, want);
}

static bool note_is(const struct pfx_sub *s, const char *note)
{
	struct pidf *d = NULL;
	bool ok;

	if (pfx_doc(s, &d))
		return false;
	ok = note ? pidf_note(d) && !strcmp(pidf_note(d), note)
	          : pidf_note(d) == NULL;
	mem_deref(d);
	return ok;
}

static bool entity_is(const struct pfx_sub *s, const char *entity)
{
	struct pidf *d = NULL;
	bool ok;

	if (pfx_doc(s, &d))
		return false;
	ok = !strcmp(pidf_entity(d), entity);
	mem_deref(d);
	return ok;
}

static uint32_t istat_transforms(const struct pfx *f)
{
	struct pres_istats is;

	pres_istats_get(f->pres, &is);
	return is.transformations;
}

static bool accepted(const struct pfx_sub *s)
{
	return s && s->scode >= 200 && s->scode < 300;
}

/* Bob publishes from his PC with a note; alice watches. */
TEST(test_pres_watch_allowed)
{
	struct pfx f;
	struct pfx_sub *a = NULL;
	struct pres_stats st;
	char doc[1024], tag[64], hdrs[128];
	uint16_t sc;
	uint32_t n;
	int err;

	PFX_START();
	err = pfx_init(&f, NULL);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "hello", NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, tag);
	PFX_ERR(err);
	PFX_EQ(200, sc);

	err = pfx_subscribe(&f, &a, ALICE, NULL, BOB, 600);
	PFX_ERR(err);
	PFX_ASSERT(accepted(a));
	PFX_EQ(1, a->n);
	PFX_ASSERT(pfx_state_is(a, "active"));
	PFX_ASSERT(entity_is(a, "pres:" BOB));
	PFX_EQ(1, tuples(a));
	PFX_ASSERT(basic_eq(a, "pc", "open"));
	PFX_ASSERT(note_is(a, "hello"));

	/* a modification reaches the watcher */
	err =
	    pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "gone fishing", "away");
	TEST_ERR(err);
	snprintf(hdrs, sizeof(hdrs), "Event: presence\nSIP-If-Match: %s\n",
	         tag);
	err = pfx_pub(&f, BOB, BOB, hdrs, doc, &sc, tag);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(2, a->n);
	PFX_ASSERT(pfx_state_is(a, "active"));
	PFX_ASSERT(note_is(a, "gone fishing"));
	pres_stats_get(f.pres, &st);
	PFX_ASSERT(st.notifies_composed >= 1);

	/* a refresh changes nothing the watcher sees: no NOTIFY */
	n = a->n;
	snprintf(hdrs, sizeof(hdrs), "Event: presence\nSIP-If-Match: %s\n",
	         tag);
	err = pfx_pub(&f, BOB, BOB, hdrs, NULL, &sc, tag);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(n, a->n);
out:
	pfx_close(&f);
	return err;
}

/* PC and phone publish: the watcher sees both tuples; DND on one closes
 * every tuple; the phone's publication expires and its tuple leaves
 * (PRES-04). */
TEST(test_pres_composed)
{
	static const char dnd[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
	    "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" "
	    "xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" "
	    "entity=\"pres:bob@example.com\">\n"
	    "<tuple id=\"pc\"><status><basic>open</basic></status></tuple>\n"
	    "<dm:person id=\"p-pc\"><rpid:activities>"
	    "<rpid:note>Do not disturb</rpid:note><rpid:busy/>"
	    "</rpid:activities></dm:person>\n"
	    "</presence>\n";
	struct pfx f;
	struct pfx_sub *a = NULL;
	char doc[1024], tag[64], hdrs[128];
	uint16_t sc;
	int err;

	PFX_START();
	err = pfx_init(&f, NULL);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, NULL, NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, tag);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	tmrl_fake_advance(f.tl, 1000);
	err = pfx_pidf(doc, sizeof(doc), BOB, "phone", true, NULL, NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, "Event: presence\nExpires: 60\n", doc, &sc,
	              NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);

	err = pfx_subscribe(&f, &a, ALICE, NULL, BOB, 3600);
	PFX_ERR(err);
	PFX_ASSERT(accepted(a));
	PFX_EQ(2, tuples(a));
	PFX_ASSERT(basic_eq(a, "pc", "open"));
	PFX_ASSERT(basic_eq(a, "phone", "open"));

	/* DND from the PC closes the phone's tuple as well (D-04) */
	snprintf(hdrs, sizeof(hdrs), "Event: presence\nSIP-If-Match: %s\n",
	         tag);
	err = pfx_pub(&f, BOB, BOB, hdrs, dnd, &sc, tag);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(2, a->n);
	PFX_EQ(2, tuples(a));
	PFX_ASSERT(basic_eq(a, "pc", "closed"));
	PFX_ASSERT(basic_eq(a, "phone", "closed"));

	/* the phone's publication expires: its tuple leaves */
	err = pfx_run(&f, 60000);
	PFX_ERR(err);
	PFX_EQ(3, a->n);
	PFX_ASSERT(pfx_state_is(a, "active"));
	PFX_EQ(1, tuples(a));
	PFX_ASSERT(basic_of(a, "pc") != NULL);
	PFX_ASSERT(basic_of(a, "phone") == NULL);
out:
	pfx_close(&f);
	return err;
}

/* A user who only registers is open; unregistered, no tuple is open
 * (PRES-07); the contact's feature tags become servcaps (PRES-09);
 * a publication replaces the registration-derived state. */
TEST(test_pres_registration)
{
	struct pfx f;
	struct pfx_sub *a = NULL;
	struct pidf *d = NULL;
	char doc[1024], tag[64], hdrs[128];
	const char *bt0;
	uint16_t sc;
	int err;

	PFX_START();
	err = pfx_init(&f, NULL);
	TEST_ERR(err);
	err = pfx_register(&f, BOB, "sip:bob@192.0.2.60:5070", INST,
	                   ";audio;video;+sip.instance=\"<" INST ">\"", 1000);
	PFX_ERR(err);
	err = pfx_subscribe(&f, &a, ALICE, NULL, BOB, 3600);
	PFX_ERR(err);
	PFX_ASSERT(accepted(a));
	err = pfx_doc(a, &d);
	PFX_ERR(err);
	PFX_EQ(1, pidf_tuple_count(d));
	PFX_ASSERT(!strncmp(pidf_tuple_id(d, 0), "reg-", 4));
	PFX_ASSERT(!strcmp(pidf_tuple_basic(d, 0), "open"));
	PFX_EQ(PRES_AVAIL_AVAILABLE, pidf_avail(d));
	PFX_ASSERT(pfx_body_has(a, "sip:bob@example.com"));
	PFX_ASSERT(pfx_body_has(a, INST));
	PFX_ASSERT(pfx_body_has(a, "audio"));
	PFX_ASSERT(pfx_body_has(a, "video"));
	PFX_ASSERT(!pfx_body_has(a, "192.0.2.60"));
	d = mem_deref(d);

	/* the same registration again: no change, no NOTIFY */
	err = pfx_register(&f, BOB, "sip:bob@192.0.2.60:5070", INST,
	                   ";audio;video;+sip.instance=\"<" INST ">\"", 1000);
	PFX_ERR(err);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(1, a->n);

	/* unregistered: nothing open */
	err = pfx_register(&f, BOB, NULL, NULL, NULL, 0);
	PFX_ERR(err);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(2, a->n);
	err = pfx_doc(a, &d);
	PFX_ERR(err);
	/* the offline document: one closed tuple, as polite-block shows */
	PFX_EQ(1, pidf_tuple_count(d));
	PFX_ASSERT(pidf_tuple_basic(d, 0) &&
	           !strcmp(pidf_tuple_basic(d, 0), "closed"));
	PFX_EQ(PRES_AVAIL_OFFLINE, pidf_avail(d));
	d = mem_deref(d);

	/* registered again, then a publication: only the published tuple */
	err =
	    pfx_register(&f, BOB, "sip:bob@192.0.2.60:5070", NULL, NULL, 1000);
	PFX_ERR(err);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(3, a->n);
	PFX_EQ(1, tuples(a));
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, NULL, NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, tag);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(4, a->n);
	PFX_EQ(1, tuples(a));
	PFX_ASSERT(basic_of(a, "pc") != NULL);
	/* registration changes do not matter while a publication is live */
	err = pfx_register(&f, BOB, NULL, NULL, NULL, 0);
	PFX_ERR(err);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(4, a->n);
	/* the publication goes: back to the registrations (none now) */
	snprintf(hdrs, sizeof(hdrs),
	         "Event: presence\nExpires: 0\nSIP-If-Match: %s\n", tag);
	err = pfx_pub(&f, BOB, BOB, hdrs, NULL, &sc, NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(5, a->n);
	PFX_EQ(1, tuples(a)); /* the offline document */
	PFX_ASSERT(basic_of(a, "pc") == NULL);
	bt0 = basic_of(a, "t0");
	PFX_ASSERT(bt0 && !strcmp(bt0, "closed"));
out:
	mem_deref(d);
	pfx_close(&f);
	return err;
}

/* Unknown watchers wait (confirm); a rule change approves: a full
 * NOTIFY at once (AUTHZ-01, AUTHZ-02). */
TEST(test_pres_pending_approved)
{
	struct pfx f;
	struct pfx_sub *a = NULL, *d = NULL;
	struct pres_conf cf;
	char doc[1024], rs[2048];
	uint16_t sc;
	int err;

	PFX_START();
	pfx_conf(&cf);
	cf.default_local = PRES_CONFIRM;
	err = pfx_init(&f, &cf);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "hi", NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);

	err = pfx_subscribe(&f, &a, ALICE, NULL, BOB, 3600);
	PFX_ERR(err);
	PFX_ASSERT(accepted(a));
	PFX_EQ(1, a->n);
	PFX_ASSERT(pfx_state_is(a, "pending"));
	PFX_EQ(0, a->last->body.l);
	/* a foreign, unauthenticated watcher waits too (default_foreign) */
	err = pfx_subscribe(&f, &d, NULL, "dave@other.net", BOB, 3600);
	PFX_ERR(err);
	PFX_ASSERT(accepted(d));
	PFX_ASSERT(pfx_state_is(d, "pending"));
	PFX_EQ(0, d->last->body.l);

	/* bob allows alice */
	err = rules1(rs, sizeof(rs), ALICE, "allow", T_ALL);
	TEST_ERR(err);
	err = pfx_doc_put(&f, PRES_RULES_AUID, BOB, rs, true);
	PFX_ERR(err);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(2, a->n);
	PFX_ASSERT(pfx_state_is(a, "active"));
	PFX_ASSERT(note_is(a, "hi"));
	PFX_ASSERT(basic_of(a, "pc") != NULL);
	/* dave is still waiting, and learnt nothing */
	PFX_EQ(1, d->n);
	PFX_ASSERT(pfx_state_is(d, "pending"));
out:
	pfx_close(&f);
	return err;
}

/* block: 403; polite-block: active with a document that reveals
 * nothing; a watcher blocked later: terminated;reason=rejected. */
TEST(test_pres_block_polite)
{
	struct pfx f;
	struct pfx_sub *a = NULL, *c = NULL, *k = NULL;
	struct pidf *d = NULL;
	char doc[1024], rs[4096];
	uint16_t sc;
	int err;

	PFX_START();
	err = pfx_init(&f, NULL);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "secret", "busy");
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	snprintf(rs, sizeof(rs), "%s", RS_HEAD);
	err = rule(rs, sizeof(rs), "b1", CAROL, "block", NULL, NULL);
	if (!err)
		err = rule(rs, sizeof(rs), "p1", "calendar@example.com",
		           "polite-block", NULL, NULL);
	TEST_ERR(err);
	strcat(rs, RS_TAIL);
	err = pfx_doc_put(&f, PRES_RULES_AUID, BOB, rs, true);
	PFX_ERR(err);

	err = pfx_subscribe(&f, &c, CAROL, NULL, BOB, 3600);
	PFX_ERR(err);
	PFX_EQ(403, c->scode);
	PFX_EQ(0, c->n);

	err = pfx_subscribe(&f, &k, "calendar@example.com", NULL, BOB, 3600);
	PFX_ERR(err);
	PFX_ASSERT(accepted(k));
	PFX_ASSERT(pfx_state_is(k, "active"));
	err = pfx_doc(k, &d);
	PFX_ERR(err);
	PFX_ASSERT(!strcmp(pidf_entity(d), "pres:" BOB));
	PFX_EQ(1, pidf_tuple_count(d));
	PFX_ASSERT(pidf_tuple_basic(d, 0) &&
	           !strcmp(pidf_tuple_basic(d, 0), "closed"));
	PFX_ASSERT(pidf_note(d) == NULL);
	PFX_ASSERT(!pfx_body_has(k, "secret"));
	PFX_ASSERT(!pfx_body_has(k, "busy"));
	d = mem_deref(d);

	/* alice: no rule, the domain default (allow) */
	err = pfx_subscribe(&f, &a, ALICE, NULL, BOB, 3600);
	PFX_ERR(err);
	PFX_ASSERT(pfx_state_is(a, "active"));
	PFX_ASSERT(note_is(a, "secret"));

	/* bob blocks alice now */
	snprintf(rs, sizeof(rs), "%s", RS_HEAD);
	err = rule(rs, sizeof(rs), "b1", ALICE, "block", NULL, NULL);
	TEST_ERR(err);
	strcat(rs, RS_TAIL);
	err = pfx_doc_put(&f, PRES_RULES_AUID, BOB, rs, true);
	PFX_ERR(err);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(2, a->n);
	PFX_ASSERT(pfx_state_is(a, "terminated"));
	PFX_ASSERT(pfx_state_is(a, "terminated;reason=rejected"));
	PFX_ASSERT(!pfx_body_has(a, "secret"));
	/* the calendar lost its polite-block rule: now the default */
	PFX_ASSERT(pfx_state_is(k, "active"));
	PFX_ASSERT(pfx_body_has(k, "secret"));
out:
	mem_deref(d);
	pfx_close(&f);
	return err;
}

/* Invisible mode (PRES-12): watchers see the polite document, the user
 * still sees everything of itself (PRES-05). */
TEST(test_pres_invisible_self)
{
	struct pfx f;
	struct pfx_sub *a = NULL, *b = NULL;
	char doc[1024], rs[2048];
	uint16_t sc;
	int err;

	PFX_START();
	err = pfx_init(&f, NULL);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "here", NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	/* rules that would block bob himself do not apply to him */
	err = rules1(rs, sizeof(rs), BOB, "block", NULL);
	TEST_ERR(err);
	err = pfx_doc_put(&f, PRES_RULES_AUID, BOB, rs, true);
	PFX_ERR(err);

	err = pfx_subscribe(&f, &a, ALICE, NULL, BOB, 3600);
	PFX_ERR(err);
	err = pfx_subscribe(&f, &b, BOB, NULL, BOB, 3600);
	PFX_ERR(err);
	PFX_ASSERT(accepted(a) && accepted(b));
	PFX_ASSERT(note_is(a, "here"));
	PFX_ASSERT(pfx_state_is(b, "active"));
	PFX_ASSERT(note_is(b, "here"));

	err = pfx_doc_put(&f, PRES_SETTINGS_AUID, BOB,
	                  "# bob's settings\ninvisible = yes\n", true);
	PFX_ERR(err);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(2, a->n);
	PFX_ASSERT(pfx_state_is(a, "active"));
	PFX_EQ(1, tuples(a));
	PFX_ASSERT(basic_of(a, "pc") == NULL);
	PFX_ASSERT(!pfx_body_has(a, "here"));
	PFX_ASSERT(note_is(b, "here"));
	PFX_ASSERT(basic_eq(b, "pc", "open"));

	/* a new watcher sees the same */
	{
		struct pfx_sub *c = NULL;

		err = pfx_subscribe(&f, &c, CAROL, NULL, BOB, 3600);
		PFX_ERR(err);
		PFX_ASSERT(pfx_state_is(c, "active"));
		PFX_ASSERT(!pfx_body_has(c, "here"));
	}

	/* visible again */
	err = pfx_doc_put(&f, PRES_SETTINGS_AUID, BOB, "invisible=no\n", true);
	PFX_ERR(err);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(3, a->n);
	PFX_ASSERT(note_is(a, "here"));
out:
	pfx_close(&f);
	return err;
}

/* A fetch (Expires: 0) gets one NOTIFY with the state; a watcher that
 * would wait gets none of it. */
TEST(test_pres_fetch)
{
	struct pfx f;
	struct pfx_sub *a = NULL, *d = NULL;
	char doc[1024];
	uint16_t sc;
	int err;

	PFX_START();
	err = pfx_init(&f, NULL);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "fetched", NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	err = pfx_subscribe(&f, &a, ALICE, NULL, BOB, 0);
	PFX_ERR(err);
	PFX_ASSERT(accepted(a));
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(1, a->n);
	PFX_ASSERT(pfx_state_is(a, "terminated"));
	PFX_ASSERT(note_is(a, "fetched"));
	err = pfx_subscribe(&f, &d, NULL, "dave@other.net", BOB, 0);
	PFX_ERR(err);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(1, d->n);
	PFX_EQ(0, d->last->body.l);
out:
	pfx_close(&f);
	return err;
}

TEST(test_pres_unknown_presentity)
{
	struct pfx f;
	struct pfx_sub *s = NULL;
	int err;

	PFX_START();
	err = pfx_init(&f, NULL);
	TEST_ERR(err);
	err = pfx_subscribe(&f, &s, ALICE, NULL, "nobody@example.com", 3600);
	PFX_ERR(err);
	PFX_EQ(404, s->scode);
	PFX_EQ(0, s->n);
	err = pfx_subscribe(&f, &s, ALICE, NULL, "dis@example.com", 3600);
	PFX_ERR(err);
	PFX_EQ(404, s->scode);
	PFX_EQ(0, s->n);
out:
	pfx_close(&f);
	return err;
}

/* AUTHZ-03: one watcher may see the note, another may not; watchers
 * with the same permissions share one transformation. */
TEST(test_pres_transform)
{
	struct pfx f;
	struct pfx_sub *a = NULL, *c = NULL, *k = NULL, *c2 = NULL;
	char doc[1024], rs[4096], tag[64], hdrs[128];
	uint32_t t0;
	uint16_t sc;
	int err;

	PFX_START();
	err = pfx_init(&f, NULL);
	TEST_ERR(err);
	err =
	    pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "private note", "away");
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, tag);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	snprintf(rs, sizeof(rs), "%s", RS_HEAD);
	err = rule(rs, sizeof(rs), "a1", ALICE, "allow", T_ALL, NULL);
	if (!err)
		err =
		    rule(rs, sizeof(rs), "c1", CAROL, "allow", T_NO_NOTE, NULL);
	if (!err)
		err = rule(rs, sizeof(rs), "k1", "calendar@example.com",
		           "allow", T_NO_NOTE, NULL);
	TEST_ERR(err);
	strcat(rs, RS_TAIL);
	err = pfx_doc_put(&f, PRES_RULES_AUID, BOB, rs, true);
	PFX_ERR(err);

	t0 = istat_transforms(&f);
	err = pfx_subscribe(&f, &a, ALICE, NULL, BOB, 3600);
	PFX_ERR(err);
	err = pfx_subscribe(&f, &c, CAROL, NULL, BOB, 3600);
	PFX_ERR(err);
	err = pfx_subscribe(&f, &k, "calendar@example.com", NULL, BOB, 3600);
	PFX_ERR(err);
	err = pfx_subscribe(&f, &c2, CAROL, NULL, BOB, 3600);
	PFX_ERR(err);
	PFX_ASSERT(note_is(a, "private note"));
	PFX_ASSERT(pfx_state_is(c, "active"));
	PFX_ASSERT(note_is(c, NULL));
	PFX_ASSERT(!pfx_body_has(c, "private note"));
	PFX_ASSERT(pfx_body_has(c, "away"));
	PFX_ASSERT(basic_of(c, "pc") != NULL);
	PFX_ASSERT(note_is(k, NULL));
	PFX_ASSERT(note_is(c2, NULL));
	/* alice's view and the shared one of carol and the calendar */
	PFX_EQ(t0 + 2, istat_transforms(&f));

	/* a change: again one transformation per view */
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "other note", "busy");
	TEST_ERR(err);
	snprintf(hdrs, sizeof(hdrs), "Event: presence\nSIP-If-Match: %s\n",
	         tag);
	err = pfx_pub(&f, BOB, BOB, hdrs, doc, &sc, tag);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(2, c->n);
	PFX_EQ(2, k->n);
	PFX_ASSERT(pfx_body_has(c, "busy"));
	PFX_ASSERT(!pfx_body_has(c, "other note"));
	PFX_ASSERT(note_is(a, "other note"));
	PFX_EQ(t0 + 4, istat_transforms(&f));

	/* bob stops hiding the note from carol */
	snprintf(rs, sizeof(rs), "%s", RS_HEAD);
	err = rule(rs, sizeof(rs), "a1", ALICE, "allow", T_ALL, NULL);
	if (!err)
		err = rule(rs, sizeof(rs), "c1", CAROL, "allow", T_ALL, NULL);
	if (!err)
		err = rule(rs, sizeof(rs), "k1", "calendar@example.com",
		           "allow", T_NO_NOTE, NULL);
	TEST_ERR(err);
	strcat(rs, RS_TAIL);
	err = pfx_doc_put(&f, PRES_RULES_AUID, BOB, rs, true);
	PFX_ERR(err);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(3, c->n);
	PFX_ASSERT(note_is(c, "other note"));
	/* nothing changed for alice and the calendar: no NOTIFY */
	PFX_EQ(2, a->n);
	PFX_EQ(2, k->n);
out:
	pfx_close(&f);
	return err;
}

/* impctl changes are found by polling; a rules document that does not
 * parse leaves the domain defaults (and a warning). */
struct logcap {
	char line[512];
	unsigned n;
};

static void logcap_h(enum log_level lvl, const char *module, const char *line,
                     void *arg)
{
	struct logcap *c = arg;

	if (lvl <= LOG_LVL_WARN && !strcmp(module, "pres") &&
	    strstr(line, "do not parse")) {
		snprintf(c->line, sizeof(c->line), "%s", line);
		c->n++;
	}
}

TEST(test_pres_rules_poll)
{
	struct pfx f;
	struct pfx_sub *a = NULL, *c = NULL;
	struct pres_conf cf;
	struct logcap cap;
	log_h *oh = NULL;
	void *oarg = NULL;
	char doc[1024], rs[2048];
	uint16_t sc;
	int err;

	PFX_START();
	memset(&cap, 0, sizeof(cap));
	log_handler_get(&oh, &oarg);
	pfx_conf(&cf);
	cf.default_local = PRES_CONFIRM;
	cf.rules_poll_ms = 500;
	err = pfx_init(&f, &cf);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, NULL, NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	err = pfx_subscribe(&f, &a, ALICE, NULL, BOB, 3600);
	PFX_ERR(err);
	PFX_ASSERT(pfx_state_is(a, "pending"));

	/* impctl writes the store; nobody tells the service */
	err = rules1(rs, sizeof(rs), ALICE, "allow", T_ALL);
	TEST_ERR(err);
	err = pfx_doc_put(&f, PRES_RULES_AUID, BOB, rs, false);
	PFX_ERR(err);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_EQ(2, a->n);
	PFX_ASSERT(pfx_state_is(a, "active"));

	/* a broken document: warned about, bob has no rules any more */
	log_handler_set(logcap_h, &cap);
	err = pfx_doc_put(&f, PRES_RULES_AUID, BOB, RS_HEAD "<cr:rule", false);
	if (!err)
		err = pfx_run(&f, 1000);
	log_handler_set(oh, oarg);
	PFX_ERR(err);
	PFX_ASSERT(cap.n >= 1);
	PFX_ASSERT(strstr(cap.line, BOB) != NULL);
	/* alice goes back to waiting; a new watcher waits too */
	PFX_ASSERT(pfx_state_is(a, "pending"));
	err = pfx_subscribe(&f, &c, CAROL, NULL, BOB, 3600);
	PFX_ERR(err);
	PFX_ASSERT(pfx_state_is(c, "pending"));

	/* the document deleted: still the defaults, nothing breaks */
	err = pfx_doc_put(&f, PRES_RULES_AUID, BOB, NULL, false);
	PFX_ERR(err);
	err = pfx_run(&f, 1000);
	PFX_ERR(err);
	PFX_ASSERT(pfx_state_is(a, "pending"));
out:
	log_handler_set(oh, oarg);
	pfx_close(&f);
	return err;
}

/* Rules and settings in the store when the service starts. */
TEST(test_pres_rules_startup)
{
	struct pfx f;
	struct pfx_sub *a = NULL, *c = NULL;
	char doc[1024], rs[2048];
	uint16_t sc;
	int err;

	PFX_START();
	err = pfx_init_store(&f);
	TEST_ERR(err);
	err = rules1(rs, sizeof(rs), CAROL, "block", NULL);
	TEST_ERR(err);
	err = store_doc_put(f.st, PRES_RULES_AUID, BOB, "index", rs, strlen(rs),
	                    NULL);
	TEST_ERR(err);
	err = store_doc_put(f.st, PRES_SETTINGS_AUID, ALICE, "index",
	                    "invisible=yes", 13, NULL);
	TEST_ERR(err);
	err = pfx_start(&f, NULL);
	TEST_ERR(err);
	err = pfx_subscribe(&f, &c, CAROL, NULL, BOB, 3600);
	PFX_ERR(err);
	PFX_EQ(403, c->scode);
	err = pfx_pidf(doc, sizeof(doc), ALICE, "pc", true, "hidden", NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, ALICE, ALICE, NULL, doc, &sc, NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	err = pfx_subscribe(&f, &a, BOB, NULL, ALICE, 3600);
	PFX_ERR(err);
	PFX_ASSERT(pfx_state_is(a, "active"));
	PFX_ASSERT(!pfx_body_has(a, "hidden"));
out:
	pfx_close(&f);
	return err;
}

/* Validity windows: a rule stops applying at its end, and the watcher
 * is re-evaluated then. */
static void rfc3339(char *buf, size_t size, uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

TEST(test_pres_rules_validity)
{
	struct pfx f;
	struct pfx_sub *a = NULL;
	struct pres_conf cf;
	char doc[1024], rs[2048], from[40], until[40], val[128];
	uint64_t now;
	uint16_t sc;
	int err;

	PFX_START();
	pfx_conf(&cf);
	cf.default_local = PRES_CONFIRM;
	err = pfx_init(&f, &cf);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, NULL, NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	now = tmrl_wallclock(f.tl);
	rfc3339(from, sizeof(from), now - 10);
	rfc3339(until, sizeof(until), now + 120);
	snprintf(val, sizeof(val),
	         "<cr:from>%s</cr:from><cr:until>%s</cr:until>", from, until);
	snprintf(rs, sizeof(rs), "%s", RS_HEAD);
	err = rule(rs, sizeof(rs), "v1", ALICE, "allow", T_ALL, val);
	TEST_ERR(err);
	strcat(rs, RS_TAIL);
	err = pfx_doc_put(&f, PRES_RULES_AUID, BOB, rs, true);
	PFX_ERR(err);
	err = pfx_subscribe(&f, &a, ALICE, NULL, BOB, 3600);
	PFX_ERR(err);
	PFX_ASSERT(pfx_state_is(a, "active"));
	err = pfx_run(&f, 110000);
	PFX_ERR(err);
	PFX_EQ(1, a->n);
	err = pfx_run(&f, 12000);
	PFX_ERR(err);
	PFX_EQ(2, a->n);
	PFX_ASSERT(pfx_state_is(a, "pending"));
out:
	pfx_close(&f);
	return err;
}
