/* tests/unit/presence/test_transform.c - what a watcher may see: the
 * RFC 5025 3.3 transformations (provide-services/persons/devices and the
 * attribute permissions) */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "pidf_test.h"
#include "presence/pidf.h"
#include "test.h"

/* Transform in with perm; the result printed (and checked to parse
 * strictly). */
static int run(char **sp, const struct pidf *in, const struct pres_perm *p)
{
	struct pidf *d = NULL, *d2 = NULL;
	struct buf *mb = NULL;
	char msg[160];
	int err;

	err = pres_transform(&d, in, p);
	if (!err)
		err = pidf_print(&mb, d);
	if (!err)
		err = pidf_parse(&d2, (const char *)mb->b, mb->end, false, msg,
		                 sizeof(msg));
	if (err && err != ENOMEM)
		test_fail(__FILE__, __LINE__, "transform: %d", err);
	if (!err)
		err = mem_strndup(sp, (const char *)mb->b, mb->end);
	mem_deref(mb);
	mem_deref(d2);
	mem_deref(d);
	return err;
}

static void set_items(struct pres_perm_set *s, char **items, uint32_t n)
{
	s->all = false;
	s->items = items;
	s->n = n;
}

static bool has(const char *s, const char *what)
{
	return strstr(s, what) != NULL;
}

static const char *const person_attrs[] = {
    "<rpid:activities>", "<rpid:class>",       "<rpid:mood>",
    "<rpid:place-is>",   "<rpid:place-type>",  "<rpid:privacy>",
    "<rpid:sphere>",     "<rpid:status-icon>", "<rpid:time-offset>",
    "<rpid:user-input",  "<c:homepage>",       "<dm:note>",
};

TEST(test_transform_nothing_provided)
{
	struct pidf *in = NULL, *d = NULL;
	struct pres_perm p;
	char *s = NULL;
	int err;

	memset(&p, 0, sizeof(p));
	err = pidf_test_load(&in, "rfc4480-rpid.xml", false);
	TEST_ERR(err);
	err = pres_transform(&d, in, &p);
	TEST_ERR(err);
	TEST_EQ(0, pidf_tuple_count(d));
	TEST_STR_EQ("pres:erin@example.com", pidf_entity(d));
	TEST_EQ(PRES_AVAIL_OFFLINE, pidf_avail(d));
	TEST_ASSERT(pidf_note(d) == NULL);
	err = run(&s, in, &p);
	TEST_ERR(err);
	TEST_STR_EQ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	            "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
	            "entity=\"pres:erin@example.com\"/>\n",
	            s);
	/* the input is not changed */
	TEST_EQ(2, pidf_tuple_count(in));
	TEST_EQ(PRES_AVAIL_BUSY, pidf_avail(in));
out:
	mem_deref(s);
	mem_deref(d);
	mem_deref(in);
	return err;
}

TEST(test_transform_services)
{
	static const struct {
		const char *item;
		bool work, home;
	} v[] = {
	    {"class:work", true, false},
	    {"class:home", false, true},
	    {"class:Work", false, false},
	    {"occurrence-id:home-phone", false, true},
	    {"occurrence-id:erin", false, false},
	    {"uri:sip:erin@example.com", true, false},
	    {"uri:tel:+15555550100", false, true},
	    {"uri-scheme:SIP", true, false},
	    {"uri-scheme:tel", false, true},
	    {"uri-scheme:te", false, false},
	    {"deviceID:urn:uuid:9c1b2d3e-4f50-4617-8829-3a4b5c6d7e8f", false,
	     false},
	    {"bogus", false, false},
	};
	struct pidf *in = NULL, *d = NULL;
	struct pres_perm p;
	char *s = NULL;
	int err;

	memset(&p, 0, sizeof(p));
	err = pidf_test_load(&in, "rfc4480-rpid.xml", false);
	TEST_ERR(err);

	/* all services, no attributes: status, contact and timestamp */
	p.services.all = true;
	err = run(&s, in, &p);
	TEST_ERR(err);
	TEST_ASSERT(has(s, "  <tuple id=\"work-im\">\n"
	                   "    <status>\n"
	                   "      <basic>open</basic>\n"
	                   "    </status>\n"
	                   "    <contact priority=\"0.9\">sip:erin@example.com"
	                   "</contact>\n"
	                   "  </tuple>\n"
	                   "  <tuple id=\"home-phone\">\n"
	                   "    <status>\n"
	                   "      <basic>open</basic>\n"
	                   "    </status>\n"
	                   "    <contact>tel:+15555550100</contact>\n"
	                   "  </tuple>\n"));
	TEST_ASSERT(!has(s, "person"));
	TEST_ASSERT(!has(s, "device"));
	TEST_ASSERT(!has(s, "rpid"));
	TEST_ASSERT(!has(s, "note"));
	s = mem_deref(s);

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *items[1] = {(char *)v[i].item};

		set_items(&p.services, items, 1);
		err = pres_transform(&d, in, &p);
		TEST_ERR(err);
		if ((pidf_tuple_count(d) == 1 &&
		     !strcmp(pidf_tuple_id(d, 0), "work-im")) != v[i].work ||
		    (pidf_tuple_count(d) == 1 &&
		     !strcmp(pidf_tuple_id(d, 0), "home-phone")) != v[i].home)
			test_fail(__FILE__, __LINE__, "%s", v[i].item);
		TEST_EQ(v[i].work + v[i].home, pidf_tuple_count(d));
		d = mem_deref(d);
	}
	/* any item matching is enough */
	{
		char *items[3] = {"class:none", "uri-scheme:tel",
		                  "occurrence-id:work-im"};

		set_items(&p.services, items, 3);
		err = pres_transform(&d, in, &p);
		TEST_ERR(err);
		TEST_EQ(2, pidf_tuple_count(d));
	}
out:
	mem_deref(s);
	mem_deref(d);
	mem_deref(in);
	return err;
}

TEST(test_transform_persons_devices)
{
	struct pidf *in = NULL;
	struct pres_perm p;
	char *s = NULL;
	int err;

	memset(&p, 0, sizeof(p));
	err = pidf_test_load(&in, "rfc4480-rpid.xml", false);
	TEST_ERR(err);

	p.persons.all = true;
	err = run(&s, in, &p);
	TEST_ERR(err);
	TEST_ASSERT(has(s, "<dm:person id=\"erin\"/>"));
	TEST_ASSERT(!has(s, "<tuple"));
	TEST_ASSERT(!has(s, "<dm:device"));
	s = mem_deref(s);
	{
		char *items[1] = {"class:work"};

		set_items(&p.persons, items, 1);
		err = run(&s, in, &p);
		TEST_ERR(err);
		TEST_ASSERT(has(s, "<dm:person id=\"erin\"/>"));
		s = mem_deref(s);
		items[0] = "class:home";
		err = run(&s, in, &p);
		TEST_ERR(err);
		TEST_ASSERT(!has(s, "person"));
		s = mem_deref(s);
		items[0] = "occurrence-id:erin";
		err = run(&s, in, &p);
		TEST_ERR(err);
		TEST_ASSERT(has(s, "<dm:person id=\"erin\"/>"));
		s = mem_deref(s);
		items[0] = "deviceID:erin";
		err = run(&s, in, &p);
		TEST_ERR(err);
		TEST_ASSERT(!has(s, "person"));
		s = mem_deref(s);
	}
	memset(&p, 0, sizeof(p));
	p.devices.all = true;
	err = run(&s, in, &p);
	TEST_ERR(err);
	/* a device keeps its deviceID, loses the other attributes */
	TEST_ASSERT(has(s, "  <dm:device id=\"laptop\">\n"
	                   "    <dm:deviceID>urn:uuid:9c1b2d3e-4f50-4617-8829-"
	                   "3a4b5c6d7e8f</dm:deviceID>\n"
	                   "  </dm:device>\n"
	                   "  <dm:device id=\"tablet\">\n"));
	TEST_ASSERT(!has(s, "rpid"));
	TEST_ASSERT(!has(s, "person"));
	s = mem_deref(s);
	{
		static const struct {
			const char *item;
			bool laptop, tablet;
		} v[] = {
		    {"class:home", false, true},
		    {"occurrence-id:laptop", true, false},
		    {"deviceID:URN:UUID:9C1B2D3E-4F50-4617-8829-3A4B5C6D7E8F",
		     true, false},
		    {"deviceID:urn:uuid:1a2b", false, false},
		    {"uri-scheme:urn", false, false},
		};

		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			char *items[1] = {(char *)v[i].item};

			set_items(&p.devices, items, 1);
			err = run(&s, in, &p);
			TEST_ERR(err);
			if (has(s, "\"laptop\"") != v[i].laptop ||
			    has(s, "\"tablet\"") != v[i].tablet)
				test_fail(__FILE__, __LINE__, "%s", v[i].item);
			TEST_EQ(v[i].laptop, has(s, "\"laptop\""));
			TEST_EQ(v[i].tablet, has(s, "\"tablet\""));
			s = mem_deref(s);
		}
	}
out:
	mem_deref(s);
	mem_deref(in);
	return err;
}

TEST(test_transform_each_attribute)
{
	static const struct {
		uint32_t bit;
		const char *shown;
		size_t idx; /* its marker in person_attrs */
	} v[] = {
	    {PRES_ATTR_ACTIVITIES,
	     "<rpid:activities>\n"
	     "      <rpid:meeting/>\n"
	     "    </rpid:activities>",
	     0},
	    {PRES_ATTR_CLASS, "<rpid:class>work</rpid:class>", 1},
	    {PRES_ATTR_MOOD,
	     "<rpid:mood>\n"
	     "      <rpid:happy/>\n"
	     "    </rpid:mood>",
	     2},
	    {PRES_ATTR_PLACE_IS, "<rpid:place-is>", 3},
	    {PRES_ATTR_PLACE_TYPE, "<lt:office/>", 4},
	    {PRES_ATTR_PRIVACY, "<rpid:privacy>", 5},
	    {PRES_ATTR_SPHERE, "<rpid:sphere>work</rpid:sphere>", 6},
	    {PRES_ATTR_STATUS_ICON, "<rpid:status-icon>", 7},
	    {PRES_ATTR_TIME_OFFSET, "<rpid:time-offset>-300", 8},
	    {PRES_ATTR_NOTE, "<dm:note>Erin's status</dm:note>", 11},
	};
	struct pidf *in = NULL, *d = NULL;
	struct pres_perm p;
	char *s = NULL;
	int err;

	err = pidf_test_load(&in, "rfc4480-rpid.xml", false);
	TEST_ERR(err);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.persons.all = true;
		p.attrs = v[i].bit;
		err = run(&s, in, &p);
		TEST_ERR(err);
		if (!has(s, v[i].shown))
			test_fail(__FILE__, __LINE__, "#%zu:\n%s", i, s);
		TEST_ASSERT(has(s, v[i].shown));
		for (size_t j = 0;
		     j < sizeof(person_attrs) / sizeof(person_attrs[0]); j++) {
			bool want = j == v[i].idx;

			if (has(s, person_attrs[j]) != want)
				test_fail(__FILE__, __LINE__, "#%zu %s:\n%s", i,
				          person_attrs[j], s);
			TEST_EQ(want, has(s, person_attrs[j]));
		}
		/* notes only with provide-note */
		TEST_EQ(v[i].bit == PRES_ATTR_NOTE, has(s, "note"));
		s = mem_deref(s);
	}
	/* activities hidden: the watcher sees no busy */
	memset(&p, 0, sizeof(p));
	p.persons.all = true;
	p.services.all = true;
	err = pres_transform(&d, in, &p);
	TEST_ERR(err);
	TEST_EQ(PRES_AVAIL_AVAILABLE, pidf_avail(d));
	d = mem_deref(d);
	p.attrs = PRES_ATTR_ACTIVITIES;
	err = pres_transform(&d, in, &p);
	TEST_ERR(err);
	TEST_EQ(PRES_AVAIL_BUSY, pidf_avail(d));
	TEST_ASSERT(pidf_note(d) == NULL);
	d = mem_deref(d);
	/* with notes: the activities note too */
	p.attrs = PRES_ATTR_ACTIVITIES | PRES_ATTR_NOTE;
	err = run(&s, in, &p);
	TEST_ERR(err);
	TEST_ASSERT(has(s, "<rpid:note>Quarterly review</rpid:note>"));
	TEST_ASSERT(!has(s, "Busy but fine"));
	TEST_ASSERT(has(s, "<note>Work messaging</note>"));
	TEST_ASSERT(has(s, "<note>Erin's presence document</note>"));
	s = mem_deref(s);
	/* tuple attributes: class, relationship (and unknown ones) */
	memset(&p, 0, sizeof(p));
	p.services.all = true;
	p.attrs = PRES_ATTR_CLASS | PRES_ATTR_RELATIONSHIP;
	err = run(&s, in, &p);
	TEST_ERR(err);
	TEST_ASSERT(has(s, "<rpid:class>work</rpid:class>"));
	TEST_ASSERT(has(s, "<rpid:class>home</rpid:class>"));
	TEST_ASSERT(has(s, "<rpid:relationship>"));
	TEST_ASSERT(!has(s, "service-class"));
	TEST_ASSERT(!has(s, "user-input"));
	TEST_ASSERT(!has(s, "note"));
out:
	mem_deref(s);
	mem_deref(d);
	mem_deref(in);
	return err;
}

TEST(test_transform_user_input)
{
	static const struct {
		enum pres_user_input ui;
		const char *person;
		const char *tuple;
	} v[] = {
	    {PRES_UI_FALSE, NULL, NULL},
	    {PRES_UI_BARE_MINIMUM, "<rpid:user-input>active</rpid:user-input>",
	     "<rpid:user-input>idle</rpid:user-input>"},
	    {PRES_UI_THRESHOLDS,
	     "<rpid:user-input idle-threshold=\"300\">active",
	     "<rpid:user-input idle-threshold=\"600\">idle"},
	    {PRES_UI_FULL,
	     "<rpid:user-input idle-threshold=\"300\" last-input=\"2024-03-04"
	     "T05:06:07Z\">active",
	     "<rpid:user-input idle-threshold=\"600\" last-input=\"2024-03-04"
	     "T05:06:07Z\">idle"},
	};
	struct pidf *in = NULL;
	struct pres_perm p;
	char *s = NULL;
	int err;

	err = pidf_test_load(&in, "rfc4480-rpid.xml", false);
	TEST_ERR(err);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.persons.all = true;
		p.services.all = true;
		p.user_input = v[i].ui;
		err = run(&s, in, &p);
		TEST_ERR(err);
		if (!v[i].person) {
			TEST_ASSERT(!has(s, "user-input"));
		} else {
			if (!has(s, v[i].person) || !has(s, v[i].tuple))
				test_fail(__FILE__, __LINE__, "#%zu:\n%s", i,
				          s);
			TEST_ASSERT(has(s, v[i].person));
			TEST_ASSERT(has(s, v[i].tuple));
		}
		TEST_EQ(v[i].ui == PRES_UI_FULL, has(s, "last-input"));
		s = mem_deref(s);
	}
out:
	mem_deref(s);
	mem_deref(in);
	return err;
}

TEST(test_transform_unknown_attributes)
{
	char *items[3] = {"urn:ietf:params:xml:ns:pidf:cipid homepage",
	                  "urn:ietf:params:xml:ns:pidf:rpid service-class",
	                  "urn:example:other homepage"};
	char *items2[1] = {"urn:example:presence:mood-light lamp"};
	struct pidf *in = NULL, *basic = NULL;
	struct pres_perm p;
	char *s = NULL;
	int err;

	err = pidf_test_load(&in, "rfc4480-rpid.xml", false);
	TEST_ERR(err);
	err = pidf_test_load(&basic, "rfc3863-basic.xml", false);
	TEST_ERR(err);
	memset(&p, 0, sizeof(p));
	p.persons.all = true;
	p.services.all = true;
	{
		set_items(&p.unknown, items, 3);
		err = run(&s, in, &p);
		TEST_ERR(err);
		TEST_ASSERT(has(s, "<c:homepage>http://example.com/~erin"
		                   "</c:homepage>"));
		TEST_ASSERT(has(s, "<rpid:service-class>"));
		TEST_ASSERT(!has(s, "<rpid:class>"));
		s = mem_deref(s);
		items[0] = "urn:ietf:params:xml:ns:pidf:cipid homepagex";
		err = run(&s, in, &p);
		TEST_ERR(err);
		TEST_ASSERT(!has(s, "homepage"));
		s = mem_deref(s);
	}
	/* unknown extensions of PIDF itself: in a status, a tuple and the
	 * presence root */
	err = run(&s, basic, &p);
	TEST_ERR(err);
	TEST_ASSERT(!has(s, "ex:"));
	TEST_ASSERT(has(s, "<basic>open</basic>"));
	TEST_ASSERT(has(s, "<timestamp>2024-05-06T07:08:09Z</timestamp>"));
	TEST_ASSERT(!has(s, "<note"));
	s = mem_deref(s);
	{
		set_items(&p.unknown, items2, 1);
		err = run(&s, basic, &p);
		TEST_ERR(err);
		TEST_ASSERT(has(s, "<ex:lamp colour=\"green\">on</ex:lamp>"));
		TEST_ASSERT(has(s, "<ex:lamp colour=\"red\">off</ex:lamp>"));
		TEST_ASSERT(!has(s, "ex:client"));
		s = mem_deref(s);
	}
	p.unknown.all = true;
	p.unknown.items = NULL;
	p.unknown.n = 0;
	err = run(&s, basic, &p);
	TEST_ERR(err);
	TEST_ASSERT(has(s, "ex:client"));
	TEST_EQ(2, (has(s, "\"green\"") + has(s, "\"red\"")));
out:
	mem_deref(s);
	mem_deref(in);
	mem_deref(basic);
	return err;
}

TEST(test_transform_device_id_and_all)
{
	static const char *const files[] = {
	    "rfc4480-rpid.xml",
	    "rfc4479-model.xml",
	    "rfc3863-basic.xml",
	    "seed-4.2.2.2-dnd.xml",
	};
	struct pidf *in = NULL, *d = NULL;
	struct pres_perm p;
	struct buf *a = NULL;
	char *s = NULL, *as = NULL;
	int err;

	err = pidf_test_load(&in, "rfc4479-model.xml", false);
	TEST_ERR(err);
	memset(&p, 0, sizeof(p));
	p.services.all = true;
	err = run(&s, in, &p);
	TEST_ERR(err);
	TEST_ASSERT(!has(s, "deviceID"));
	TEST_ASSERT(has(s, "<timestamp>2024-01-02T03:04:05Z</timestamp>"));
	s = mem_deref(s);
	p.attrs = PRES_ATTR_DEVICEID;
	err = run(&s, in, &p);
	TEST_ERR(err);
	TEST_ASSERT(has(s, "    <dm:deviceID>urn:uuid:3f6d0c2e-8a51-4b9e-9d0f-"
	                   "5b2a7c1e4d90</dm:deviceID>\n"
	                   "    <contact>"));
	s = mem_deref(s);
	in = mem_deref(in);

	/* everything provided: the document unchanged (but for comments) */
	memset(&p, 0, sizeof(p));
	p.services.all = p.persons.all = p.devices.all = true;
	p.attrs = PRES_ATTR_ALL;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		err = pidf_test_load(&in, files[i], false);
		TEST_ERR(err);
		err = pidf_print(&a, in);
		TEST_ERR(err);
		err = run(&s, in, &p);
		TEST_ERR(err);
		err = mem_strndup(&as, (const char *)a->b, a->end);
		TEST_ERR(err);
		TEST_ASSERT(strstr(as, "<presence"));
		TEST_STR_EQ(strstr(as, "<presence"), strstr(s, "<presence"));
		as = mem_deref(as);
		a = mem_deref(a);
		s = mem_deref(s);
		in = mem_deref(in);
	}

	err = pidf_polite(&in, "sip:x@example.com");
	TEST_ERR(err);
	err = pres_transform(&d, in, NULL);
	TEST_ERR_EQ(EINVAL, err);
	err = pres_transform(&d, NULL, &p);
	TEST_ERR_EQ(EINVAL, err);
	err = pres_transform(NULL, in, &p);
	TEST_ERR_EQ(EINVAL, err);
	TEST_ASSERT(d == NULL);
	err = 0;
out:
	mem_deref(as);
	mem_deref(a);
	mem_deref(s);
	mem_deref(d);
	mem_deref(in);
	return err;
}
