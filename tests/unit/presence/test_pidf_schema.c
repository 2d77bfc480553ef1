/* tests/unit/presence/test_pidf_schema.c - every document impd generates
 * (build, polite, compose, transform; printed with pidf_print) validates
 * against XML Schemas of RFC 3863/4479/4480/5196 (PRES-03). The schemas
 * are impd's own test schemas in tests/data/presence/xsd (pidf.xsd
 * imports the others); they are checked here to reject typical mistakes,
 * so a pass cannot be trivial. */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "pidf_test.h"
#include "presence/pidf.h"
#include "test.h"

#define PIDF_NS "urn:ietf:params:xml:ns:pidf"
#define BOB     "sip:bob@example.com"
#define ALICE   "sip:alice@example.com"

/* The first error libxml2 reports while loading a schema or validating. */
struct verr {
	bool set;
	int line;
	char msg[256];
};

#if LIBXML_VERSION >= 21200
static void verr_handler(void *arg, const xmlError *e)
#else
static void verr_handler(void *arg, xmlErrorPtr e)
#endif
{
	struct verr *ve = arg;
	size_t l;

	if (!ve || !e || e->level < XML_ERR_ERROR || ve->set)
		return;
	ve->set = true;
	ve->line = e->line;
	snprintf(ve->msg, sizeof(ve->msg), "%s",
	         e->message ? e->message : "(no message)");
	l = strlen(ve->msg);
	while (l && (ve->msg[l - 1] == '\n' || ve->msg[l - 1] == ' '))
		ve->msg[--l] = '\0';
}

/* Load tests/data/presence/xsd/pidf.xsd; its imports are found next to
 * it (relative schemaLocation), nothing comes from the network. */
static int schema_load(xmlSchemaPtr *sp)
{
	struct verr ve = {false, 0, ""};
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr s;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/presence/xsd/pidf.xsd",
	         test_datadir());
	pc = xmlSchemaNewParserCtxt(path);
	if (!pc) {
		test_fail(__FILE__, __LINE__, "no schema parser context");
		return EIO;
	}
	xmlSchemaSetParserStructuredErrors(pc, verr_handler, &ve);
	s = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	if (!s) {
		test_fail(__FILE__, __LINE__, "%s: line %d: %s", path, ve.line,
		          ve.set ? ve.msg : "cannot load");
		return EIO;
	}
	*sp = s;
	return 0;
}

/* Validate xml: 0 valid, EBADMSG invalid (not well formed, not a PIDF
 * presence root or against the schema; ve has the first error), EIO when
 * libxml2 could not do the work. */
static int validate(xmlSchemaPtr s, const char *xml, size_t len,
                    struct verr *ve)
{
	const int opts =
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	xmlParserCtxtPtr ctx = NULL;
	xmlSchemaValidCtxtPtr vc = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	int r, err = 0;

	*ve = (struct verr){false, 0, ""};
	if (len > INT_MAX)
		return EINVAL;
	ctx = xmlNewParserCtxt();
	if (!ctx)
		return EIO;
	doc = xmlCtxtReadMemory(ctx, xml, (int)len, NULL, NULL, opts);
	if (!doc || !ctx->wellFormed) {
		snprintf(ve->msg, sizeof(ve->msg), "not well-formed XML");
		err = EBADMSG;
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !root->ns ||
	    strcmp((const char *)root->name, "presence") ||
	    strcmp((const char *)root->ns->href, PIDF_NS)) {
		snprintf(ve->msg, sizeof(ve->msg), "root is not pidf presence");
		err = EBADMSG;
		goto out;
	}
	vc = xmlSchemaNewValidCtxt(s);
	if (!vc) {
		err = EIO;
		goto out;
	}
	xmlSchemaSetValidStructuredErrors(vc, verr_handler, ve);
	r = xmlSchemaValidateDoc(vc, doc);
	if (r > 0)
		err = EBADMSG;
	else if (r < 0)
		err = EIO;
out:
	if (vc)
		xmlSchemaFreeValidCtxt(vc);
	if (doc)
		xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctx);
	return err;
}

/* Print d with pidf_print and require it to be schema valid. */
static int check_doc(xmlSchemaPtr s, const struct pidf *d, const char *what)
{
	struct buf *mb = NULL;
	struct verr ve;
	int err;

	err = pidf_print(&mb, d);
	if (err) {
		if (err != ENOMEM)
			test_fail(__FILE__, __LINE__, "%s: print %d", what,
			          err);
		return err;
	}
	err = validate(s, (const char *)mb->b, mb->end, &ve);
	if (err) {
		test_fail(__FILE__, __LINE__,
		          "%s: invalid (%d): line %d: %s\n%.*s", what, err,
		          ve.line, ve.msg, (int)mb->end, (const char *)mb->b);
		err = EINVAL;
	}
	mem_deref(mb);
	return err;
}

#define HEAD                                                                   \
	"<presence xmlns='urn:ietf:params:xml:ns:pidf' "                       \
	"xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "                   \
	"xmlns:rpid='urn:ietf:params:xml:ns:pidf:rpid' "                       \
	"xmlns:caps='urn:ietf:params:xml:ns:pidf:caps' "                       \
	"entity='sip:bob@example.com'>"
#define STATUS  "<status><basic>open</basic></status>"
#define CONTACT "<contact priority='0.5'>sip:bob@example.com</contact>"
#define PERSON                                                                 \
	"<dm:person id='bob'><rpid:activities><rpid:note>x</rpid:note>"        \
	"<rpid:meeting/></rpid:activities><dm:note>n</dm:note></dm:person>"

/* The schemas catch real mistakes: hand-written documents that are each
 * valid but for one error must fail. */
TEST(test_pidf_schema_rejects)
{
	static const char good[] =
	    HEAD "<tuple id='t1'>" STATUS
	         "<caps:servcaps><caps:audio>true</caps:audio>"
	         "<caps:methods><caps:supported><caps:INVITE/><caps:MESSAGE/>"
	         "</caps:supported></caps:methods>"
	         "<caps:video>false</caps:video></caps:servcaps>" CONTACT
	         "<note xml:lang='en'>hi</note>"
	         "<timestamp>2024-01-02T03:04:05Z</timestamp></tuple>"
	         "<note>doc</note>" PERSON
	         "<dm:device id='d1'><caps:devcaps><caps:mobility>"
	         "<caps:supported><caps:mobile/></caps:supported>"
	         "</caps:mobility></caps:devcaps>"
	         "<dm:deviceID>urn:uuid:1</dm:deviceID></dm:device>"
	         "</presence>";
	static const struct {
		const char *what;
		const char *xml;
	} bad[] = {
	    {"contact before status",
	     HEAD "<tuple id='t1'>" CONTACT STATUS "</tuple></presence>"},
	    {"basic neither open nor closed",
	     HEAD "<tuple id='t1'><status><basic>away</basic></status>"
	          "</tuple></presence>"},
	    {"no entity", "<presence xmlns='urn:ietf:params:xml:ns:pidf'>"
	                  "<tuple id='t1'>" STATUS "</tuple></presence>"},
	    {"tuple without id", HEAD "<tuple>" STATUS "</tuple></presence>"},
	    {"tuple without status",
	     HEAD "<tuple id='t1'>" CONTACT "</tuple></presence>"},
	    {"duplicate ids",
	     HEAD "<tuple id='t1'>" STATUS "</tuple><tuple id='t1'>" STATUS
	          "</tuple></presence>"},
	    {"timestamp before contact",
	     HEAD "<tuple id='t1'>" STATUS
	          "<timestamp>2024-01-02T03:04:05Z</timestamp>" CONTACT
	          "</tuple></presence>"},
	    {"timestamp not a dateTime",
	     HEAD "<tuple id='t1'>" STATUS "<timestamp>yesterday</timestamp>"
	          "</tuple></presence>"},
	    {"priority above 1",
	     HEAD "<tuple id='t1'>" STATUS
	          "<contact priority='1.5'>sip:b@x</contact>"
	          "</tuple></presence>"},
	    /* not here: a presence-level <note> after the person. libxml2
	     * 2.9.14 accepts it (a limit of its content-model automaton
	     * with the trailing ##other wildcard of presence; xmllint says
	     * the same); the same mistake inside a tuple is caught below */
	    {"basic after a status extension",
	     HEAD "<tuple id='t1'><status><dm:x/><basic>open</basic></status>"
	          "</tuple></presence>"},
	    {"tuple note before contact",
	     HEAD "<tuple id='t1'>" STATUS "<note>n</note>" CONTACT
	          "</tuple></presence>"},
	    {"servcaps children out of order",
	     HEAD "<tuple id='t1'>" STATUS
	          "<caps:servcaps><caps:video>true</caps:video>"
	          "<caps:audio>true</caps:audio></caps:servcaps>"
	          "</tuple></presence>"},
	    {"servcaps audio not boolean",
	     HEAD "<tuple id='t1'>" STATUS
	          "<caps:servcaps><caps:audio>yes</caps:audio>"
	          "</caps:servcaps></tuple></presence>"},
	    {"misspelled method",
	     HEAD "<tuple id='t1'>" STATUS
	          "<caps:servcaps><caps:methods><caps:supported>"
	          "<caps:MESAGE/></caps:supported></caps:methods>"
	          "</caps:servcaps></tuple></presence>"},
	    {"misspelled activity",
	     HEAD "<dm:person id='bob'><rpid:activities><rpid:meetting/>"
	          "</rpid:activities></dm:person></presence>"},
	    {"activity note after the activity",
	     HEAD "<dm:person id='bob'><rpid:activities><rpid:away/>"
	          "<rpid:note>x</rpid:note></rpid:activities></dm:person>"
	          "</presence>"},
	    {"unknown with another activity",
	     HEAD "<dm:person id='bob'><rpid:activities><rpid:unknown/>"
	          "<rpid:away/></rpid:activities></dm:person></presence>"},
	    {"user-input neither active nor idle",
	     HEAD "<dm:person id='bob'><rpid:user-input>busy"
	          "</rpid:user-input></dm:person></presence>"},
	    {"person without id",
	     HEAD "<dm:person><dm:note>n</dm:note></dm:person></presence>"},
	    {"person note before RPID",
	     HEAD "<dm:person id='bob'><dm:note>n</dm:note><rpid:activities>"
	          "<rpid:away/></rpid:activities></dm:person></presence>"},
	    {"device without deviceID",
	     HEAD "<dm:device id='d1'><dm:note>n</dm:note></dm:device>"
	          "</presence>"},
	    {"mobility kind misspelled",
	     HEAD "<dm:device id='d1'><caps:devcaps><caps:mobility>"
	          "<caps:supported><caps:moving/></caps:supported>"
	          "</caps:mobility></caps:devcaps>"
	          "<dm:deviceID>urn:uuid:1</dm:deviceID></dm:device>"
	          "</presence>"},
	    {"root not presence",
	     "<dm:person xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
	     "id='bob'/>"},
	};
	xmlSchemaPtr s = NULL;
	struct verr ve;
	int err;

	err = schema_load(&s);
	TEST_ERR(err);
	err = validate(s, good, strlen(good), &ve);
	if (err)
		test_fail(__FILE__, __LINE__, "good: line %d: %s", ve.line,
		          ve.msg);
	TEST_ERR(err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int e = validate(s, bad[i].xml, strlen(bad[i].xml), &ve);

		if (e != EBADMSG)
			test_fail(__FILE__, __LINE__, "%s: got %d", bad[i].what,
			          e);
		TEST_EQ(EBADMSG, e);
		TEST_ASSERT(ve.msg[0] != '\0');
	}
out:
	if (s)
		xmlSchemaFree(s);
	return err;
}

/* Documents impd makes from nothing: polite block and registrations. */
TEST(test_pidf_schema_build)
{
	struct pidf_tuple_spec rt[3] = {
	    {"reg-1", true, "sip:alice@192.0.2.1:5060", 1000,
	     "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
	     "Desk <phone> & co", 0, 1700000000},
	    {"reg-2", false, "sip:alice@198.51.100.2", 125, NULL, NULL, 0, 0},
	    {"reg-3", true, NULL, 0, "urn:uuid:00000000-0000-4000-8000-1", NULL,
	     0, 0},
	};
	xmlSchemaPtr s = NULL;
	struct pidf *d = NULL;
	int err;

	err = schema_load(&s);
	TEST_ERR(err);

	err = pidf_polite(&d, BOB);
	TEST_ERR(err);
	err = check_doc(s, d, "pidf_polite");
	TEST_ERR(err);
	d = mem_deref(d);

	/* audio, video, message, mobility with a deviceID */
	rt[0].caps = pidf_caps_from_params(
	    ";audio;video;+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-"
	    "00a0c91e6bf6>\";methods=\"INVITE,MESSAGE\";mobility=\"mobile\"");
	TEST_EQ(PIDF_CAP_AUDIO | PIDF_CAP_VIDEO | PIDF_CAP_MESSAGE |
	            PIDF_CAP_MOBILITY_MOBILE,
	        rt[0].caps);
	err = pidf_build(&d, ALICE, rt, 1);
	TEST_ERR(err);
	err = check_doc(s, d, "pidf_build caps");
	TEST_ERR(err);
	d = mem_deref(d);

	/* every caps bit on one tuple, fixed mobility, more tuples */
	rt[0].caps = PIDF_CAP_AUDIO | PIDF_CAP_VIDEO | PIDF_CAP_TEXT |
	             PIDF_CAP_MESSAGE | PIDF_CAP_APPLICATION |
	             PIDF_CAP_CONTROL | PIDF_CAP_AUTOMATA |
	             PIDF_CAP_MOBILITY_FIXED;
	rt[1].caps = pidf_caps_from_params(";text;methods=\"MESSAGE\"");
	rt[2].caps = PIDF_CAP_MOBILITY_MOBILE | PIDF_CAP_MOBILITY_FIXED;
	err = pidf_build(&d, ALICE, rt, 3);
	TEST_ERR(err);
	err = check_doc(s, d, "pidf_build all caps");
	TEST_ERR(err);
	d = mem_deref(d);

	/* nothing registered */
	err = pidf_build(&d, ALICE, NULL, 0);
	TEST_ERR(err);
	err = check_doc(s, d, "pidf_build empty");
	TEST_ERR(err);
out:
	mem_deref(d);
	if (s)
		xmlSchemaFree(s);
	return err;
}

/* Composed documents of the corrected seed documents. */
TEST(test_pidf_schema_compose)
{
	static const char *const files[] = {
	    "seed-4.1.1-notify.xml",     "seed-4.2.2.1-notify.xml",
	    "seed-4.2.2.2-dnd.xml",      "rfc4479-model.xml",
	    "rfc4480-rpid.xml",          "rfc3863-basic.xml",
	    "seed-4.2.1.3-calendar.xml", "seed-4.2.1.1-pc.xml",
	};
	/* 000 4.2.1.1 F2 as the seed writes it (lenient input) */
	static const char seed_pc[] =
	    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"\n"
	    " xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\"\n"
	    " xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\"\n"
	    " entity=\"sip:alice@example.com\">\n"
	    "<dm:person id=\"alice\"><rpid:activities><available/>"
	    "<rpid:note>I am Active </rpid:note><rpid:lunching/>"
	    "</rpid:activities><note>pidf-namespace note</note></dm:person>\n"
	    "<tuple id=\"0983wqh\">"
	    "<contact priority=\"0.5\">sip:alice@example.com</contact>"
	    "<sc:servcaps><sc:text>true</sc:text></sc:servcaps>"
	    "<user-input>active</user-input>"
	    "<status><basic>open</basic></status></tuple>\n"
	    "</presence>\n";
	static const char seed_dnd[] =
	    "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	    "entity='sip:bob@example.com'><dm:person id='bob'>"
	    "<rpid:activities><rpid:do-not-disturb/>"
	    "<rpid:note> Busy fixing critical defect </rpid:note>"
	    "</rpid:activities></dm:person><tuple id='frh78'>"
	    "<status><basic>open</basic></status>"
	    "<contact>sip:bob@example.com</contact></tuple>"
	    "</presence>";
	static const char pub_xml[] =
	    "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	    "xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
	    "xmlns:rpid='urn:ietf:params:xml:ns:pidf:rpid' "
	    "entity='sip:alice@example.com'>"
	    "<tuple id='pc'><status><basic>closed</basic></status>"
	    "<dm:deviceID>urn:uuid:F81D4FAE-7DEC-11D0-A765-"
	    "00A0C91E6BF6</dm:deviceID></tuple>"
	    "<dm:person id='alice'><rpid:activities><rpid:away/>"
	    "</rpid:activities></dm:person></presence>";
	struct pidf_tuple_spec rt[2] = {
	    {"reg-1", true, "sip:alice@192.0.2.1:5060", 1000,
	     "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", NULL, 0, 0},
	    {"reg-2", true, "sip:alice@198.51.100.2", 0, NULL, NULL, 0, 0},
	};
	struct pidf *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	struct pres_source src[3];
	xmlSchemaPtr s = NULL;
	int err;

	err = schema_load(&s);
	TEST_ERR(err);

	/* nothing published: the polite-block form */
	err = pres_compose(&d, BOB, NULL, 0);
	TEST_ERR(err);
	err = check_doc(s, d, "compose none");
	TEST_ERR(err);
	d = mem_deref(d);

	/* PC (away) + desk phone (000 4.1.2) */
	err = pidf_test_load(&a, "seed-4.1.2-pc-away.xml", false);
	TEST_ERR(err);
	err = pidf_test_load(&b, "seed-4.1.2-phone.xml", false);
	TEST_ERR(err);
	src[0] = (struct pres_source){"pc-etag", PRES_SRC_PUBLISH, 2000, a};
	src[1] = (struct pres_source){"ph-etag", PRES_SRC_PUBLISH, 1000, b};
	err = pres_compose(&d, BOB, src, 2);
	TEST_ERR(err);
	err = check_doc(s, d, "compose pc+phone");
	TEST_ERR(err);
	d = mem_deref(d);
	a = mem_deref(a);

	/* DND on the PC closes every tuple (000 4.1.3) */
	err = pidf_test_load(&a, "seed-4.1.3-pc-dnd.xml", false);
	TEST_ERR(err);
	src[0] = (struct pres_source){"pc", PRES_SRC_PUBLISH, 1000, a};
	src[1] = (struct pres_source){"ph", PRES_SRC_PUBLISH, 2000, b};
	err = pres_compose(&d, BOB, src, 2);
	TEST_ERR(err);
	TEST_EQ(PRES_AVAIL_DND, pidf_avail(d));
	err = check_doc(s, d, "compose dnd");
	TEST_ERR(err);
	d = mem_deref(d);
	a = mem_deref(a);

	/* the seed's DND form, made valid on the way */
	err = pidf_test_parse(&a, seed_dnd, true);
	TEST_ERR(err);
	src[0].doc = a;
	err = pres_compose(&d, BOB, src, 2);
	TEST_ERR(err);
	err = check_doc(s, d, "compose seed dnd");
	TEST_ERR(err);
	d = mem_deref(d);
	a = mem_deref(a);
	b = mem_deref(b);

	/* registration-derived + a publication of the same device + a
	 * calendar (000 4.2.1.3) */
	rt[0].caps = pidf_caps_from_params(
	    ";audio;video;+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-"
	    "00a0c91e6bf6>\";methods=\"INVITE,MESSAGE\";mobility=\"mobile\"");
	rt[1].caps = pidf_caps_from_params(";text");
	err = pidf_build(&c, ALICE, rt, 2);
	TEST_ERR(err);
	src[0] = (struct pres_source){"reg", PRES_SRC_REGISTRATION, 1, c};
	err = pres_compose(&d, ALICE, src, 1);
	TEST_ERR(err);
	err = check_doc(s, d, "compose registration");
	TEST_ERR(err);
	d = mem_deref(d);
	err = pidf_test_parse(&a, pub_xml, false);
	TEST_ERR(err);
	err = pidf_test_load(&b, "seed-4.2.1.3-calendar.xml", false);
	TEST_ERR(err);
	src[1] = (struct pres_source){"p1", PRES_SRC_PUBLISH, 2, a};
	src[2] = (struct pres_source){"cal", PRES_SRC_TRUSTED, 3, b};
	err = pres_compose(&d, ALICE, src, 2);
	TEST_ERR(err);
	err = check_doc(s, d, "compose registration+publication");
	TEST_ERR(err);
	d = mem_deref(d);
	err = pres_compose(&d, ALICE, src, 3);
	TEST_ERR(err);
	err = check_doc(s, d, "compose registration+publication+calendar");
	TEST_ERR(err);
	d = mem_deref(d);
	a = mem_deref(a);
	b = mem_deref(b);

	/* the seed's PC document (undeclared prefixes, wrong order) with
	 * the desk phone (000 4.2.1.1) */
	err = pidf_test_parse(&a, seed_pc, true);
	TEST_ERR(err);
	err = pidf_test_load(&b, "seed-4.2.1.1-phone.xml", false);
	TEST_ERR(err);
	src[0] = (struct pres_source){"pc", PRES_SRC_PUBLISH, 7, a};
	src[1] = (struct pres_source){"phone", PRES_SRC_BACKEND, 3, b};
	src[2] = (struct pres_source){"reg", PRES_SRC_REGISTRATION, 1, c};
	err = pres_compose(&d, ALICE, src, 3);
	TEST_ERR(err);
	err = check_doc(s, d, "compose seed pc+phone+reg");
	TEST_ERR(err);
	d = mem_deref(d);
	a = mem_deref(a);
	b = mem_deref(b);

	/* each stored document composed alone */
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		err = pidf_test_load(&a, files[i], false);
		TEST_ERR(err);
		src[0] = (struct pres_source){"x", PRES_SRC_PUBLISH, 1, a};
		err = pres_compose(&d, pidf_entity(a), src, 1);
		TEST_ERR(err);
		err = check_doc(s, d, files[i]);
		TEST_ERR(err);
		d = mem_deref(d);
		a = mem_deref(a);
	}
out:
	mem_deref(a);
	mem_deref(b);
	mem_deref(c);
	mem_deref(d);
	if (s)
		xmlSchemaFree(s);
	return err;
}

/* What a watcher with restricted permissions is sent (RFC 5025 3.3). */
TEST(test_pidf_schema_transform)
{
	char *work[1] = {"class:work"};
	char *laptop[1] = {"occurrence-id:laptop"};
	struct pidf *in = NULL, *d = NULL;
	struct pres_perm p;
	xmlSchemaPtr s = NULL;
	int err;

	err = schema_load(&s);
	TEST_ERR(err);
	err = pidf_test_load(&in, "rfc4480-rpid.xml", false);
	TEST_ERR(err);

	/* nothing provided: an empty presence */
	memset(&p, 0, sizeof(p));
	err = pres_transform(&d, in, &p);
	TEST_ERR(err);
	err = check_doc(s, d, "transform nothing");
	TEST_ERR(err);
	d = mem_deref(d);

	/* work services, the person, one device; some attributes (the
	 * items are the test's own arrays: p holds no allocation) */
	p.services.items = work;
	p.services.n = 1;
	p.persons.all = true;
	p.devices.items = laptop;
	p.devices.n = 1;
	p.attrs = PRES_ATTR_ACTIVITIES | PRES_ATTR_NOTE | PRES_ATTR_CLASS |
	          PRES_ATTR_TIME_OFFSET;
	p.user_input = PRES_UI_THRESHOLDS;
	err = pres_transform(&d, in, &p);
	TEST_ERR(err);
	TEST_EQ(1, pidf_tuple_count(d));
	TEST_EQ(PRES_AVAIL_BUSY, pidf_avail(d));
	err = check_doc(s, d, "transform restricted");
	TEST_ERR(err);
	d = mem_deref(d);

	/* services and devices only, no attributes */
	memset(&p, 0, sizeof(p));
	p.services.all = true;
	p.devices.all = true;
	p.user_input = PRES_UI_BARE_MINIMUM;
	err = pres_transform(&d, in, &p);
	TEST_ERR(err);
	err = check_doc(s, d, "transform services+devices");
	TEST_ERR(err);
	d = mem_deref(d);

	/* everything */
	pres_perm_full(&p, PRES_ALLOW);
	err = pres_transform(&d, in, &p);
	TEST_ERR(err);
	err = check_doc(s, d, "transform full");
	TEST_ERR(err);
	d = mem_deref(d);
	in = mem_deref(in);

	/* a composed DND document, notes hidden */
	err = pidf_test_load(&in, "seed-4.2.2.2-dnd.xml", false);
	TEST_ERR(err);
	memset(&p, 0, sizeof(p));
	p.services.all = true;
	p.persons.all = true;
	p.attrs = PRES_ATTR_ACTIVITIES;
	err = pres_transform(&d, in, &p);
	TEST_ERR(err);
	err = check_doc(s, d, "transform dnd no notes");
	TEST_ERR(err);
out:
	mem_deref(d);
	mem_deref(in);
	if (s)
		xmlSchemaFree(s);
	return err;
}
