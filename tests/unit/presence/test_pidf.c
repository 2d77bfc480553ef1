/* tests/unit/presence/test_pidf.c - PIDF parse and print (RFC 3863, 4479,
 * 4480, 5196), lenient and strict input, availability, built documents */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/mem.h"
#include "pidf_test.h"
#include "presence/pidf.h"
#include "test.h"

/* Parse tests/data/presence/<name>. */
static int parse_str(struct pidf **dp, const char *xml, bool lenient, char *err,
                     size_t errsize)
{
	return pidf_parse(dp, xml, strlen(xml), lenient, err, errsize);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

/* Every namespace declaration of s is on the root element. */
static bool ns_on_root(const char *s)
{
	const char *root = strstr(s, "<presence");
	const char *end = root ? strchr(root, '>') : NULL;
	const char *x = strstr(s, "xmlns");

	if (!end)
		return false;
	for (; x; x = strstr(x + 1, "xmlns")) {
		if (x > end && strncmp(x, "xmlns=\"\"", 8))
			return false;
	}
	return true;
}

/* print -> parse (strict) -> print gives the same bytes. */
static int round_trip(const struct pidf *d, char **outp)
{
	struct pidf *d2 = NULL;
	char *s1 = NULL, *s2 = NULL, err[160] = "";
	int e;

	e = pidf_test_print(&s1, d);
	if (!e)
		e = parse_str(&d2, s1, false, err, sizeof(err));
	if (!e)
		e = pidf_test_print(&s2, d2);
	if (!e && strcmp(s1, s2)) {
		test_fail(__FILE__, __LINE__, "round trip differs:\n%s\n%s", s1,
		          s2);
		e = EINVAL;
	}
	if (e && e != ENOMEM && e != EINVAL)
		test_fail(__FILE__, __LINE__, "round trip: %d %s", e, err);
	if (!e && outp) {
		*outp = s1;
		s1 = NULL;
	}
	mem_deref(s1);
	mem_deref(s2);
	mem_deref(d2);
	return e;
}

TEST(test_pidf_seed_notify)
{
	struct pidf *d = NULL;
	char *s = NULL;
	int err;

	err = pidf_test_load(&d, "seed-4.1.1-notify.xml", false);
	TEST_ERR(err);
	TEST_STR_EQ("sip:bob@example.com", pidf_entity(d));
	TEST_EQ(2, pidf_tuple_count(d));
	TEST_STR_EQ("frh78", pidf_tuple_id(d, 0));
	TEST_STR_EQ("fahsaf-hfes-89saf", pidf_tuple_id(d, 1));
	TEST_STR_EQ("open", pidf_tuple_basic(d, 0));
	TEST_STR_EQ("open", pidf_tuple_basic(d, 1));
	TEST_ASSERT(pidf_tuple_id(d, 2) == NULL);
	TEST_ASSERT(pidf_tuple_basic(d, 2) == NULL);
	TEST_EQ(PRES_AVAIL_AVAILABLE, pidf_avail(d));
	TEST_STR_EQ("I am Active", pidf_note(d));
	err = round_trip(d, &s);
	TEST_ERR(err);
	TEST_ASSERT(ns_on_root(s));
	TEST_ASSERT(strstr(s, "<caps:servcaps>") != NULL);
	TEST_ASSERT(strstr(s, "<contact priority=\"0.4\">") != NULL);
out:
	mem_deref(s);
	mem_deref(d);
	return err;
}

TEST(test_pidf_seed_publications)
{
	static const struct {
		const char *file;
		const char *entity;
		size_t ntuples;
		const char *id0;
		enum pres_avail avail;
		const char *note;
	} v[] = {
	    {"seed-4.1.2-pc-away.xml", "sip:bob@example.com", 1, "frh78",
	     PRES_AVAIL_AWAY, "I am Away from my computer now"},
	    {"seed-4.1.2-phone.xml", "sip:bob@example.com", 1,
	     "fahsaf-hfes-89saf", PRES_AVAIL_AVAILABLE, NULL},
	    {"seed-4.1.3-pc-dnd.xml", "sip:bob@example.com", 1, "frh78",
	     PRES_AVAIL_DND, "Do not disturb"},
	    {"seed-4.2.1.1-phone.xml", "sip:alice@example.com", 1, "fabfa341",
	     PRES_AVAIL_AVAILABLE, NULL},
	    {"seed-4.2.1.1-pc.xml", "sip:alice@example.com", 1, "t0983wqh",
	     PRES_AVAIL_AVAILABLE, "I am Active"},
	    {"seed-4.2.1.3-calendar.xml", "sip:alice@example.com", 0, NULL,
	     PRES_AVAIL_OFFLINE, "I am in a Meeting"},
	    {"seed-4.2.2.1-notify.xml", "sip:alice@example.com", 3, "frh78",
	     PRES_AVAIL_AVAILABLE, "I am Active"},
	    {"seed-4.2.2.2-dnd.xml", "sip:alice@example.com", 1, "frh78",
	     PRES_AVAIL_DND, "Busy fixing critical defects"},
	};
	struct pidf *d = NULL;
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (int lenient = 0; lenient < 2; lenient++) {
			err = pidf_test_load(&d, v[i].file, lenient);
			TEST_ERR(err);
			TEST_STR_EQ(v[i].entity, pidf_entity(d));
			TEST_EQ(v[i].ntuples, pidf_tuple_count(d));
			if (v[i].id0)
				TEST_STR_EQ(v[i].id0, pidf_tuple_id(d, 0));
			TEST_EQ(v[i].avail, pidf_avail(d));
			if (v[i].note)
				TEST_STR_EQ(v[i].note, pidf_note(d));
			else
				TEST_ASSERT(pidf_note(d) == NULL);
			err = round_trip(d, NULL);
			TEST_ERR(err);
			d = mem_deref(d);
		}
	}
out:
	mem_deref(d);
	return err;
}

TEST(test_pidf_rfc_examples)
{
	struct pidf *d = NULL;
	char *s = NULL;
	int err;

	/* RFC 3863: notes, timestamp, unknown extensions kept */
	err = pidf_test_load(&d, "rfc3863-basic.xml", false);
	TEST_ERR(err);
	TEST_STR_EQ("pres:carol@example.net", pidf_entity(d));
	TEST_ASSERT(pidf_note(d) != NULL);
	TEST_EQ(2, pidf_tuple_count(d));
	TEST_STR_EQ("closed", pidf_tuple_basic(d, 1));
	TEST_EQ(PRES_AVAIL_AVAILABLE, pidf_avail(d));
	TEST_STR_EQ("At my desk", pidf_note(d));
	err = round_trip(d, &s);
	TEST_ERR(err);
	TEST_ASSERT(ns_on_root(s));
	TEST_ASSERT(strstr(s, "xmlns:ex=\"urn:example:presence:mood-light\""));
	TEST_ASSERT(strstr(s, "<ex:lamp colour=\"green\">on</ex:lamp>"));
	TEST_ASSERT(strstr(s, "<ex:client version=\"2\">deskapp</ex:client>"));
	TEST_ASSERT(strstr(s, "<ex:lamp colour=\"red\">off</ex:lamp>"));
	TEST_ASSERT(strstr(s, "<note xml:lang=\"fr\">A mon bureau</note>"));
	TEST_ASSERT(strstr(s, "<timestamp>2024-05-06T07:08:09Z</timestamp>"));
	s = mem_deref(s);
	d = mem_deref(d);

	/* RFC 4479 */
	err = pidf_test_load(&d, "rfc4479-model.xml", false);
	TEST_ERR(err);
	TEST_EQ(1, pidf_tuple_count(d));
	TEST_EQ(PRES_AVAIL_BUSY, pidf_avail(d));
	TEST_STR_EQ("Back in ten minutes", pidf_note(d));
	err = round_trip(d, &s);
	TEST_ERR(err);
	TEST_ASSERT(strstr(s, "<dm:device id=\"handset\">"));
	TEST_ASSERT(strstr(s, "<dm:deviceID>urn:uuid:3f6d0c2e-8a51-4b9e-9d0f-"
	                      "5b2a7c1e4d90</dm:deviceID>"));
	s = mem_deref(s);
	d = mem_deref(d);

	/* RFC 4480 */
	err = pidf_test_load(&d, "rfc4480-rpid.xml", false);
	TEST_ERR(err);
	TEST_EQ(2, pidf_tuple_count(d));
	TEST_EQ(PRES_AVAIL_BUSY, pidf_avail(d));
	TEST_STR_EQ("Erin's status", pidf_note(d));
	err = round_trip(d, &s);
	TEST_ERR(err);
	TEST_ASSERT(ns_on_root(s));
	TEST_ASSERT(strstr(s, "xmlns:lt=\"urn:ietf:params:xml:ns:location-"
	                      "type\""));
	TEST_ASSERT(strstr(s, "xmlns:c=\"urn:ietf:params:xml:ns:pidf:cipid\""));
	TEST_ASSERT(strstr(s, "<rpid:place-type>"));
	TEST_ASSERT(strstr(s, "<lt:office/>"));
out:
	mem_deref(s);
	mem_deref(d);
	return err;
}

/* The seeds' forms: undeclared rpid, dm and sc prefixes, the wrong caps
 * namespace, unprefixed RPID names. */
static const char seed_form[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"\n"
    "    entity=\"sip:alice@example.com\">\n"
    "  <dm:person id=\"alice\">\n"
    "    <rpid:activities>\n"
    "      <available/>\n"
    "      <rpid:note>I am Active</rpid:note>\n"
    "    </rpid:activities>\n"
    "  </dm:person>\n"
    "  <tuple id=\"0983wqh\">\n"
    "    <contact priority=\"0.5\">sip:alice@example.com</contact>\n"
    "    <sc:servcaps xmlns:sc=\"urn:ietf:params:xml:ns:pidf:servcaps\">\n"
    "      <sc:text>true</sc:text>\n"
    "    </sc:servcaps>\n"
    "    <user-input>active</user-input>\n"
    "    <status><basic>open</basic></status>\n"
    "  </tuple>\n"
    "  <tuple id=\"fabfa341\">\n"
    "    <status><basic>open</basic></status>\n"
    "    <sc:servcaps><sc:audio>true</sc:audio></sc:servcaps>\n"
    "    <contact priority=\"0.8\">sip:85551234@64.102.224.56</contact>\n"
    "  </tuple>\n"
    "</presence>\n";

TEST(test_pidf_lenient_seed_forms)
{
	struct pidf *d = NULL;
	char msg[160] = "", *s = NULL;
	int err;

	err = parse_str(&d, seed_form, false, msg, sizeof(msg));
	TEST_ERR_EQ(EBADMSG, err);
	TEST_STR_EQ("line 4: namespace prefix dm is not defined", msg);
	TEST_ASSERT(d == NULL);

	err = parse_str(&d, seed_form, true, msg, sizeof(msg));
	TEST_ERR(err);
	TEST_EQ(2, pidf_tuple_count(d));
	TEST_STR_EQ("0983wqh", pidf_tuple_id(d, 0));
	TEST_STR_EQ("open", pidf_tuple_basic(d, 0));
	TEST_EQ(PRES_AVAIL_AVAILABLE, pidf_avail(d));
	TEST_STR_EQ("I am Active", pidf_note(d));
	err = round_trip(d, &s);
	TEST_ERR(err);
	TEST_ASSERT(ns_on_root(s));
	TEST_ASSERT(strstr(s, "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-"
	                      "model\""));
	TEST_ASSERT(strstr(s, "xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:"
	                      "rpid\""));
	TEST_ASSERT(strstr(s, "xmlns:caps=\"urn:ietf:params:xml:ns:pidf:"
	                      "caps\""));
	TEST_ASSERT(!strstr(s, "servcaps\""));
	TEST_ASSERT(!strstr(s, "sc:"));
	TEST_ASSERT(strstr(s, "<rpid:available/>"));
	TEST_ASSERT(strstr(s, "<rpid:user-input>active</rpid:user-input>"));
	TEST_EQ(2, count(s, "<caps:servcaps>"));
	TEST_ASSERT(strstr(s, "<caps:audio>true</caps:audio>"));
	s = mem_deref(s);
	d = mem_deref(d);

	/* the seed's do-not-disturb activity, lenient */
	err = parse_str(&d,
	                "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	                "entity='sip:alice@example.com'><dm:person id='a'>"
	                "<rpid:activities><rpid:do-not-disturb/>"
	                "<rpid:note>Busy fixing critical defect</rpid:note>"
	                "</rpid:activities></dm:person><tuple id='frh78'>"
	                "<status><basic>closed</basic></status></tuple>"
	                "</presence>",
	                true, msg, sizeof(msg));
	TEST_ERR(err);
	TEST_EQ(PRES_AVAIL_DND, pidf_avail(d));
	TEST_STR_EQ("Busy fixing critical defect", pidf_note(d));
	d = mem_deref(d);

	/* an undeclared attribute prefix: bound when known */
	err = parse_str(&d,
	                "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	                "entity='sip:a@example.com'><tuple id='t' rpid:x='1'>"
	                "<status><basic>open</basic></status></tuple>"
	                "</presence>",
	                true, msg, sizeof(msg));
	TEST_ERR(err);
	err = pidf_test_print(&s, d);
	TEST_ERR(err);
	TEST_ASSERT(strstr(s, "<tuple id=\"t\" rpid:x=\"1\">"));
	TEST_ASSERT(ns_on_root(s));
	s = mem_deref(s);
	d = mem_deref(d);
	err = parse_str(&d,
	                "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	                "entity='sip:a@example.com'><tuple id='t' rpid:x='1'>"
	                "<status><basic>open</basic></status></tuple>"
	                "</presence>",
	                false, msg, sizeof(msg));
	TEST_ERR_EQ(EBADMSG, err);
	TEST_STR_EQ("line 1: namespace prefix rpid is not defined", msg);

	/* a prefix impd does not know is an error in both modes */
	err = parse_str(&d,
	                "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	                "entity='sip:a@example.com'>\n<tuple id='t'>"
	                "<status><basic>open</basic></status>\n"
	                "<foo:bar/></tuple></presence>",
	                true, msg, sizeof(msg));
	TEST_ERR_EQ(EBADMSG, err);
	TEST_STR_EQ("line 3: namespace prefix foo is not defined", msg);
	err = 0;
out:
	mem_deref(s);
	mem_deref(d);
	return err;
}

TEST(test_pidf_unknown_kept)
{
	struct pidf *d = NULL;
	char msg[160] = "", *s = NULL;
	int err;

	err = parse_str(
	    &d,
	    "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	    "xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
	    "entity='pres:x@example.com'>"
	    "<tuple id='a'><status><basic>open</basic></status>"
	    "<geo:where xmlns:geo='urn:example:geo' geo:acc='5'>"
	    "<geo:lat>1.5</geo:lat></geo:where></tuple>"
	    "<dm:person id='p'><w:weather xmlns:w='urn:example:weather' "
	    "xmlns='urn:example:default'><sky>blue</sky></w:weather>"
	    "<plain xmlns=''>text</plain></dm:person></presence>",
	    false, msg, sizeof(msg));
	TEST_ERR(err);
	err = round_trip(d, &s);
	TEST_ERR(err);
	TEST_ASSERT(ns_on_root(s));
	TEST_ASSERT(strstr(s, "xmlns:geo=\"urn:example:geo\""));
	TEST_ASSERT(strstr(s, "xmlns:w=\"urn:example:weather\""));
	TEST_ASSERT(strstr(s, "<geo:where geo:acc=\"5\">"));
	TEST_ASSERT(strstr(s, "<geo:lat>1.5</geo:lat>"));
	/* the inner default namespace got a prefix */
	TEST_ASSERT(strstr(s, "xmlns:ns1=\"urn:example:default\""));
	TEST_ASSERT(strstr(s, "<ns1:sky>blue</ns1:sky>"));
	/* an element in no namespace stays in none */
	TEST_ASSERT(strstr(s, "<plain xmlns=\"\">text</plain>"));
out:
	mem_deref(s);
	mem_deref(d);
	return err;
}

TEST(test_pidf_errors)
{
	static const struct {
		const char *xml;
		bool lenient;
		const char *msg;
	} v[] = {
	    {"<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	     "entity='sip:a@b'>\n<tuple id='x'>\n</presence>",
	     true,
	     "line 3: Opening and ending tag mismatch: tuple line 2 "
	     "and presence"},
	    {"<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	     "entity='sip:a@b'>&bogus;</presence>",
	     true, "line 1: Entity 'bogus' not defined"},
	    {"<pres xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@b'/>",
	     true,
	     "line 1: root element is not <presence> of "
	     "urn:ietf:params:xml:ns:pidf"},
	    {"<presence entity='sip:a@b'/>", true,
	     "line 1: root element is not <presence> of "
	     "urn:ietf:params:xml:ns:pidf"},
	    {"<presence xmlns='urn:ietf:params:xml:ns:cpim-pidf' "
	     "entity='sip:a@b'/>",
	     true,
	     "line 1: root element is not <presence> of "
	     "urn:ietf:params:xml:ns:pidf"},
	    {"<presence xmlns='urn:ietf:params:xml:ns:pidf'/>", true,
	     "line 1: <presence> has no entity"},
	    {"<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='bob'/>",
	     true, "line 1: entity bob is not a URI"},
	    {"<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	     "entity='sip:a b@c'/>",
	     true, "line 1: entity sip:a b@c is not a URI"},
	    {"<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	     "entity='sip:a@b'>\n\n<tuple><status><basic>open</basic>"
	     "</status></tuple></presence>",
	     true, "line 3: <tuple> has no id"},
	    {"<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	     "entity='sip:a@b'>\n<tuple id='t1'><contact>sip:a@b</contact>"
	     "</tuple></presence>",
	     true, "line 2: tuple t1 has no <status>"},
	    {"<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	     "entity='sip:a@b'>\n<tuple id='t1'><status/></tuple>\n"
	     "<tuple id='t2'><status/></tuple>\n"
	     "<tuple id='t1'><status/></tuple></presence>",
	     true, "line 4: duplicate tuple id t1"},
	    {"<!DOCTYPE presence [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
	     "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	     "entity='sip:a@b'><note>&x;</note></presence>",
	     true, "line 1: DOCTYPE is not allowed"},
	    {"<?xml version='1.0'?>\n<!DOCTYPE lolz [<!ENTITY lol 'lol'>"
	     "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>]>"
	     "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	     "entity='sip:a@b'><note>&lol2;</note></presence>",
	     true, "line 2: DOCTYPE is not allowed"},
	    {"", true, "line 1: empty document"},
	    {"   ", true, "line 1: Start tag expected, '<' not found"},
	    {"<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	     "entity='sip:a@b'><a:b:c/></presence>",
	     true, "line 1: bad name a:b:c"},
	    {"<presence xmlns='urn:ietf:params:xml:ns:pidf' xmlns:rpid="
	     "'urn:ietf:params:xml:ns:pidf:rpid' entity='sip:a@b'>"
	     "<rpid:-usy/></presence>",
	     true, "line 1: bad name rpid:-usy"},
	    {"<presence xmlns='urn:ietf:params:xml:ns:pidf' xmlns:rpid="
	     "'urn:ietf:params:xml:ns:pidf:rpid' entity='sip:a@b' "
	     "rpid:-x='1'/>",
	     true, "line 1: bad name rpid:-x"},
	};
	struct pidf *d = NULL;
	char msg[160];
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		strcpy(msg, "untouched");
		err = parse_str(&d, v[i].xml, v[i].lenient, msg, sizeof(msg));
		TEST_ERR_EQ(EBADMSG, err);
		TEST_STR_EQ(v[i].msg, msg);
		TEST_ASSERT(d == NULL);
	}
	/* no error buffer is fine */
	err = parse_str(&d, "<presence/>", false, NULL, 0);
	TEST_ERR_EQ(EBADMSG, err);
	/* a short buffer is cut, still terminated */
	err = parse_str(&d, "<presence/>", false, msg, 8);
	TEST_ERR_EQ(EBADMSG, err);
	TEST_STR_EQ("line 1:", msg);
	err = pidf_parse(NULL, "<x/>", 4, false, NULL, 0);
	TEST_ERR_EQ(EINVAL, err);
	err = pidf_parse(&d, NULL, 4, false, NULL, 0);
	TEST_ERR_EQ(EINVAL, err);
	TEST_ASSERT(d == NULL);
	err = 0;
out:
	mem_deref(d);
	return err;
}

static int avail_of(enum pres_avail *ap, const char *person, bool open)
{
	char xml[1024], msg[160];
	struct pidf *d = NULL;
	int err;

	snprintf(xml, sizeof(xml),
	         "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	         "xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
	         "xmlns:rpid='urn:ietf:params:xml:ns:pidf:rpid' "
	         "xmlns:x='urn:example:x' entity='sip:a@example.com'>"
	         "<tuple id='t'><status><basic>%s</basic></status></tuple>"
	         "%s</presence>",
	         open ? "open" : "closed", person);
	err = parse_str(&d, xml, false, msg, sizeof(msg));
	if (err && err != ENOMEM)
		test_fail(__FILE__, __LINE__, "%s: %s", person, msg);
	if (!err)
		*ap = pidf_avail(d);
	mem_deref(d);
	return err;
}

TEST(test_pidf_avail_table)
{
	static const struct {
		const char *person;
		bool open;
		enum pres_avail a;
	} v[] = {
	    {"", true, PRES_AVAIL_AVAILABLE},
	    {"", false, PRES_AVAIL_OFFLINE},
	    {"<dm:person id='p'/>", true, PRES_AVAIL_AVAILABLE},
	    {"<dm:person id='p'><rpid:activities><rpid:busy/>"
	     "</rpid:activities></dm:person>",
	     true, PRES_AVAIL_BUSY},
	    {"<dm:person id='p'><rpid:activities><rpid:on-the-phone/>"
	     "</rpid:activities></dm:person>",
	     true, PRES_AVAIL_BUSY},
	    {"<dm:person id='p'><rpid:activities><rpid:meeting/>"
	     "</rpid:activities></dm:person>",
	     true, PRES_AVAIL_BUSY},
	    {"<dm:person id='p'><rpid:activities><rpid:presentation/>"
	     "</rpid:activities></dm:person>",
	     true, PRES_AVAIL_BUSY},
	    {"<dm:person id='p'><rpid:activities><rpid:away/>"
	     "</rpid:activities></dm:person>",
	     true, PRES_AVAIL_AWAY},
	    {"<dm:person id='p'><rpid:activities><rpid:vacation/>"
	     "</rpid:activities></dm:person>",
	     true, PRES_AVAIL_AWAY},
	    {"<dm:person id='p'><rpid:activities><rpid:sleeping/>"
	     "</rpid:activities></dm:person>",
	     true, PRES_AVAIL_AWAY},
	    {"<dm:person id='p'><rpid:activities><rpid:appointment/>"
	     "</rpid:activities></dm:person>",
	     true, PRES_AVAIL_AWAY},
	    {"<dm:person id='p'><rpid:activities><rpid:away/><rpid:busy/>"
	     "</rpid:activities></dm:person>",
	     true, PRES_AVAIL_BUSY},
	    {"<dm:person id='p'><rpid:activities><rpid:working/>"
	     "</rpid:activities></dm:person>",
	     true, PRES_AVAIL_AVAILABLE},
	    /* offline wins over busy and away ... */
	    {"<dm:person id='p'><rpid:activities><rpid:away/>"
	     "</rpid:activities></dm:person>",
	     false, PRES_AVAIL_OFFLINE},
	    /* ... but not over dnd, in any form */
	    {"<dm:person id='p'><rpid:activities><rpid:do-not-disturb/>"
	     "</rpid:activities></dm:person>",
	     false, PRES_AVAIL_DND},
	    {"<dm:person id='p'><rpid:activities><x:do-not-disturb/>"
	     "</rpid:activities></dm:person>",
	     true, PRES_AVAIL_DND},
	    {"<dm:person id='p'><rpid:activities><rpid:other>Do Not "
	     "Disturb</rpid:other></rpid:activities></dm:person>",
	     true, PRES_AVAIL_DND},
	    {"<dm:person id='p'><rpid:activities><rpid:note>do not "
	     "disturb</rpid:note><rpid:busy/></rpid:activities>"
	     "</dm:person>",
	     true, PRES_AVAIL_DND},
	    /* the note alone, or with another activity, is no dnd */
	    {"<dm:person id='p'><rpid:activities><rpid:note>Do not "
	     "disturb</rpid:note><rpid:away/></rpid:activities>"
	     "</dm:person>",
	     true, PRES_AVAIL_AWAY},
	    {"<dm:person id='p'><rpid:activities><rpid:other>lunch"
	     "</rpid:other></rpid:activities></dm:person>",
	     true, PRES_AVAIL_AVAILABLE},
	    /* strongest of several persons */
	    {"<dm:person id='p'><rpid:activities><rpid:away/>"
	     "</rpid:activities></dm:person><dm:person id='q'>"
	     "<rpid:activities><rpid:busy/></rpid:activities></dm:person>",
	     true, PRES_AVAIL_BUSY},
	};
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		enum pres_avail a = PRES_AVAIL_UNKNOWN;

		err = avail_of(&a, v[i].person, v[i].open);
		TEST_ERR(err);
		if (a != v[i].a)
			test_fail(__FILE__, __LINE__, "#%zu: %s, not %s", i,
			          pres_avail_name(a), pres_avail_name(v[i].a));
		TEST_EQ(v[i].a, a);
	}
	TEST_STR_EQ("unknown", pres_avail_name(PRES_AVAIL_UNKNOWN));
	TEST_STR_EQ("offline", pres_avail_name(PRES_AVAIL_OFFLINE));
	TEST_STR_EQ("available", pres_avail_name(PRES_AVAIL_AVAILABLE));
	TEST_STR_EQ("away", pres_avail_name(PRES_AVAIL_AWAY));
	TEST_STR_EQ("busy", pres_avail_name(PRES_AVAIL_BUSY));
	TEST_STR_EQ("dnd", pres_avail_name(PRES_AVAIL_DND));
	TEST_EQ(PRES_AVAIL_UNKNOWN, pidf_avail(NULL));
	TEST_ASSERT(pidf_entity(NULL) == NULL);
	TEST_EQ(0, pidf_tuple_count(NULL));
out:
	return err;
}

TEST(test_pidf_print_encoding)
{
	struct pidf *d = NULL;
	char msg[160] = "", *s = NULL;
	int err;

	/* Latin-1 in, UTF-8 out; markup characters escaped */
	err = parse_str(&d,
	                "<?xml version='1.0' encoding='ISO-8859-1'?>"
	                "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	                "entity='sip:j\xf6rg@example.com'><tuple id='t'>"
	                "<status><basic>open</basic></status>"
	                "<note>caf\xe9 &lt;&amp;&gt;</note></tuple></presence>",
	                false, msg, sizeof(msg));
	TEST_ERR(err);
	TEST_STR_EQ("sip:j\xc3\xb6rg@example.com", pidf_entity(d));
	TEST_STR_EQ("caf\xc3\xa9 <&>", pidf_note(d));
	err = round_trip(d, &s);
	TEST_ERR(err);
	TEST_ASSERT(!strncmp(s,
	                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                     "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
	                     "entity=\"sip:j\xc3\xb6rg@example.com\">",
	                     strlen("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	                            "\n<presence xmlns=\"urn:ietf:params:xml:"
	                            "ns:pidf\" entity=\"sip:j\xc3\xb6rg@"
	                            "example.com\">")));
	TEST_ASSERT(strstr(s, "<note>caf\xc3\xa9 &lt;&amp;&gt;</note>"));
	err = pidf_print(NULL, d);
	TEST_ERR_EQ(EINVAL, err);
	err = 0;
out:
	mem_deref(s);
	mem_deref(d);
	return err;
}

TEST(test_pidf_build)
{
	const struct pidf_tuple_spec t[] = {
	    {"c1", true, "sip:alice@192.0.2.1:5060", 500,
	     "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "Desk",
	     PIDF_CAP_AUDIO | PIDF_CAP_VIDEO | PIDF_CAP_MESSAGE |
	         PIDF_CAP_MOBILITY_FIXED,
	     1700000000},
	    {"c2", false, "sip:alice@198.51.100.7", 1000, NULL, NULL,
	     PIDF_CAP_TEXT, 0},
	    {"c3", true, NULL, 0, NULL, "a <note> & more", 0, 0},
	};
	const char *expect =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
	    "xmlns:caps=\"urn:ietf:params:xml:ns:pidf:caps\" "
	    "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" "
	    "entity=\"sip:alice@example.com\">\n"
	    "  <tuple id=\"c1\">\n"
	    "    <status>\n"
	    "      <basic>open</basic>\n"
	    "    </status>\n"
	    "    <caps:servcaps>\n"
	    "      <caps:audio>true</caps:audio>\n"
	    "      <caps:methods>\n"
	    "        <caps:supported>\n"
	    "          <caps:MESSAGE/>\n"
	    "        </caps:supported>\n"
	    "      </caps:methods>\n"
	    "      <caps:video>true</caps:video>\n"
	    "    </caps:servcaps>\n"
	    "    <dm:deviceID>urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
	    "</dm:deviceID>\n"
	    "    <contact priority=\"0.5\">sip:alice@192.0.2.1:5060</contact>\n"
	    "    <note>Desk</note>\n"
	    "    <timestamp>2023-11-14T22:13:20Z</timestamp>\n"
	    "  </tuple>\n"
	    "  <tuple id=\"c2\">\n"
	    "    <status>\n"
	    "      <basic>closed</basic>\n"
	    "    </status>\n"
	    "    <caps:servcaps>\n"
	    "      <caps:text>true</caps:text>\n"
	    "    </caps:servcaps>\n"
	    "    <contact priority=\"1\">sip:alice@198.51.100.7</contact>\n"
	    "  </tuple>\n"
	    "  <tuple id=\"c3\">\n"
	    "    <status>\n"
	    "      <basic>open</basic>\n"
	    "    </status>\n"
	    "    <note>a &lt;note&gt; &amp; more</note>\n"
	    "  </tuple>\n"
	    "  <dm:device id=\"dev-c1\">\n"
	    "    <caps:devcaps>\n"
	    "      <caps:mobility>\n"
	    "        <caps:supported>\n"
	    "          <caps:fixed/>\n"
	    "        </caps:supported>\n"
	    "      </caps:mobility>\n"
	    "    </caps:devcaps>\n"
	    "    <dm:deviceID>urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
	    "</dm:deviceID>\n"
	    "  </dm:device>\n"
	    "</presence>\n";
	struct pidf *d = NULL;
	char *s = NULL;
	int err;

	err = pidf_build(&d, "sip:alice@example.com", t, 3);
	TEST_ERR(err);
	TEST_EQ(3, pidf_tuple_count(d));
	TEST_STR_EQ("closed", pidf_tuple_basic(d, 1));
	TEST_EQ(PRES_AVAIL_AVAILABLE, pidf_avail(d));
	TEST_STR_EQ("Desk", pidf_note(d));
	err = round_trip(d, &s);
	TEST_ERR(err);
	if (strcmp(expect, s))
		test_fail(__FILE__, __LINE__, "got:\n%s", s);
	TEST_STR_EQ(expect, s);
	s = mem_deref(s);
	d = mem_deref(d);

	/* no tuple: an offline document */
	err = pidf_build(&d, "pres:x@example.com", NULL, 0);
	TEST_ERR(err);
	TEST_EQ(0, pidf_tuple_count(d));
	TEST_EQ(PRES_AVAIL_OFFLINE, pidf_avail(d));
	d = mem_deref(d);

	/* bad specifications */
	{
		struct pidf_tuple_spec b = {"ok", true, NULL, 0,
		                            NULL, NULL, 0,    0};
		struct pidf_tuple_spec two[2] = {b, b};

		err = pidf_build(&d, "not a uri", &b, 1);
		TEST_ERR_EQ(EINVAL, err);
		b.id = "1bad";
		err = pidf_build(&d, "sip:a@b", &b, 1);
		TEST_ERR_EQ(EINVAL, err);
		b.id = NULL;
		err = pidf_build(&d, "sip:a@b", &b, 1);
		TEST_ERR_EQ(EINVAL, err);
		b.id = "ok";
		b.priority = 1001;
		err = pidf_build(&d, "sip:a@b", &b, 1);
		TEST_ERR_EQ(EINVAL, err);
		b.priority = 0;
		b.note = "\xff\xfe";
		err = pidf_build(&d, "sip:a@b", &b, 1);
		TEST_ERR_EQ(EINVAL, err);
		err = pidf_build(&d, "sip:a@b", two, 2);
		TEST_ERR_EQ(EINVAL, err);
		err = pidf_build(&d, "sip:a@b", NULL, 1);
		TEST_ERR_EQ(EINVAL, err);
		err = pidf_build(NULL, "sip:a@b", NULL, 0);
		TEST_ERR_EQ(EINVAL, err);
		TEST_ASSERT(d == NULL);
		err = 0;
	}
out:
	mem_deref(s);
	mem_deref(d);
	return err;
}

TEST(test_pidf_caps_from_params)
{
	static const struct {
		const char *params;
		uint32_t caps;
	} v[] = {
	    {NULL, 0},
	    {"", 0},
	    {";expires=3600;q=0.5", 0},
	    {";audio", PIDF_CAP_AUDIO},
	    {"audio;video", PIDF_CAP_AUDIO | PIDF_CAP_VIDEO},
	    {";Audio;VIDEO=\"TRUE\";text=\"FALSE\";automata=\"!TRUE\"",
	     PIDF_CAP_AUDIO | PIDF_CAP_VIDEO},
	    {";+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-"
	     "00a0c91e6bf6>\";methods=\"INVITE,ACK,MESSAGE,BYE\"",
	     PIDF_CAP_MESSAGE},
	    {";methods=\"INVITE,MESSAGES\"", 0},
	    {";application;control;automata;text",
	     PIDF_CAP_APPLICATION | PIDF_CAP_CONTROL | PIDF_CAP_AUTOMATA |
	         PIDF_CAP_TEXT},
	    {";mobility=\"mobile\"", PIDF_CAP_MOBILITY_MOBILE},
	    {";mobility=\"fixed\";audio",
	     PIDF_CAP_MOBILITY_FIXED | PIDF_CAP_AUDIO},
	    {";mobility=\"!fixed\"", 0},
	    {"; audio ; video = \"TRUE\" ", PIDF_CAP_AUDIO | PIDF_CAP_VIDEO},
	    {";x=\"a;audio\";video", PIDF_CAP_VIDEO},
	    {";x=\"unterminated;audio", 0},
	    {";audiox;videos", 0},
	};
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint32_t c = pidf_caps_from_params(v[i].params);

		if (c != v[i].caps)
			test_fail(__FILE__, __LINE__, "#%zu: %s", i,
			          v[i].params ? v[i].params : "NULL");
		TEST_EQ(v[i].caps, c);
	}
out:
	return err;
}

TEST(test_pidf_polite)
{
	struct pidf *d = NULL, *d2 = NULL;
	struct buf *a = NULL, *b = NULL;
	char *s = NULL;
	int err;

	err = pidf_polite(&d, "sip:bob@example.com");
	TEST_ERR(err);
	TEST_EQ(1, pidf_tuple_count(d));
	TEST_STR_EQ("closed", pidf_tuple_basic(d, 0));
	TEST_EQ(PRES_AVAIL_OFFLINE, pidf_avail(d));
	TEST_ASSERT(pidf_note(d) == NULL);
	err = round_trip(d, &s);
	TEST_ERR(err);
	TEST_STR_EQ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	            "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
	            "entity=\"sip:bob@example.com\">\n"
	            "  <tuple id=\"t0\">\n"
	            "    <status>\n"
	            "      <basic>closed</basic>\n"
	            "    </status>\n"
	            "  </tuple>\n"
	            "</presence>\n",
	            s);
	/* the same for every presentity but the entity */
	err = pidf_polite(&d2, "sip:bob@example.com");
	TEST_ERR(err);
	err = pidf_print(&a, d);
	TEST_ERR(err);
	err = pidf_print(&b, d2);
	TEST_ERR(err);
	TEST_EQ(a->end, b->end);
	TEST_ASSERT(!memcmp(a->b, b->b, a->end));
	err = pidf_polite(&d2, "bob");
	TEST_ERR_EQ(EINVAL, err);
	err = 0;
out:
	mem_deref(a);
	mem_deref(b);
	mem_deref(s);
	mem_deref(d2);
	mem_deref(d);
	return err;
}

/* Input that fails in libxml2's encoding layer (outside any parser
 * context) is an error, and nothing is printed. */
TEST(test_pidf_silent)
{
	static const char jp[] =
	    "<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?><presence "
	    "xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@b\">"
	    "<note>\x1b$B\xff\xff</note></presence>";
	struct pidf *d = NULL;
	char msg[160] = "";
	FILE *f = tmpfile();
	int saved = -1, err;
	long n = -1;

	TEST_ASSERT(f != NULL);
	fflush(stderr);
	saved = dup(2);
	TEST_ASSERT(saved >= 0);
	dup2(fileno(f), 2);
	err = pidf_parse(&d, jp, sizeof(jp) - 1, true, msg, sizeof(msg));
	fflush(stderr);
	dup2(saved, 2);
	n = ftell(f) >= 0 ? (fseek(f, 0, SEEK_END), ftell(f)) : -1;
	TEST_ERR_EQ(EBADMSG, err);
	TEST_ASSERT(!strncmp(msg, "line 1: ", 8));
	TEST_EQ(0, n);
	err = 0;
out:
	if (saved >= 0)
		close(saved);
	if (f)
		fclose(f);
	mem_deref(d);
	return err;
}

TEST(test_pidf_note_order)
{
	struct pidf *d = NULL;
	char msg[160];
	int err;

	/* empty notes are passed over; the person's first, then the
	 * tuples', then the document's */
	err = parse_str(&d,
	                "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	                "xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
	                "xmlns:rpid='urn:ietf:params:xml:ns:pidf:rpid' "
	                "entity='sip:a@example.com'><tuple id='t'><status/>"
	                "<note>tuple</note></tuple><note>doc</note>"
	                "<dm:person id='p'><dm:note> </dm:note>"
	                "<rpid:activities><rpid:note/><rpid:note>act"
	                "</rpid:note><rpid:away/></rpid:activities>"
	                "</dm:person></presence>",
	                false, msg, sizeof(msg));
	TEST_ERR(err);
	TEST_STR_EQ("act", pidf_note(d));
	d = mem_deref(d);
	err = parse_str(&d,
	                "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	                "xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
	                "entity='sip:a@example.com'><tuple id='t'><status/>"
	                "<note/></tuple><note>doc</note>"
	                "<dm:person id='p'><dm:note/></dm:person></presence>",
	                false, msg, sizeof(msg));
	TEST_ERR(err);
	TEST_STR_EQ("doc", pidf_note(d));
	TEST_ASSERT(pidf_tuple_basic(d, 0) == NULL);
	TEST_EQ(PRES_AVAIL_OFFLINE, pidf_avail(d));
out:
	mem_deref(d);
	return err;
}

/* <basic> other than open or closed (baresip 1.0 sends "unknown"):
 * refused in strict mode, dropped in lenient mode, every one of them. */
TEST(test_pidf_bad_basic)
{
	static const char xml[] =
	    "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	    "entity='sip:a@example.com'>\n<tuple id='t'><status>\n"
	    "<basic>unknown</basic><basic>clsed</basic></status></tuple>\n"
	    "<tuple id='u'><status><basic>OPEN</basic><basic>open</basic>"
	    "</status></tuple></presence>";
	struct pidf *d = NULL;
	char msg[160] = "", *s = NULL;
	int err;

	err = parse_str(&d, xml, false, msg, sizeof(msg));
	TEST_ERR_EQ(EBADMSG, err);
	TEST_STR_EQ("line 3: <basic> is neither open nor closed", msg);
	err = parse_str(&d, xml, true, msg, sizeof(msg));
	TEST_ERR(err);
	TEST_ASSERT(pidf_tuple_basic(d, 0) == NULL);
	TEST_STR_EQ("open", pidf_tuple_basic(d, 1));
	TEST_EQ(PRES_AVAIL_AVAILABLE, pidf_avail(d));
	err = round_trip(d, &s);
	TEST_ERR(err);
	TEST_EQ(1, count(s, "<basic>"));
out:
	mem_deref(s);
	mem_deref(d);
	return err;
}
