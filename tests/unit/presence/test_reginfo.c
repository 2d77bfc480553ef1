/* tests/unit/presence/test_reginfo.c - reginfo documents (RFC 3680 5) */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "presence/reginfo.h"
#include "test.h"

#define INST "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"

enum { MAXC = 6 };

/* What the parser handed to the callback, copied. */
struct seen {
	unsigned n;
	struct {
		char aor[64], rid[32], rstate[16];
		size_t rn;        /* reg->n */
		bool contacts_ok; /* c points into reg->contacts */
		bool none;        /* called with c == NULL */
		char id[32], state[16], event[16], uri[96], callid[64];
		char instance[64];
		uint32_t expires, duration, q, cseq, reg_id;
	} c[MAXC];
};

static void cpy(char *d, size_t size, const char *s)
{
	snprintf(d, size, "%s", s ? s : "");
}

static void seen_h(const struct reginfo_reg *reg,
                   const struct reginfo_contact *c, void *arg)
{
	struct seen *s = arg;
	unsigned i = s->n++;

	if (i >= MAXC)
		return;
	cpy(s->c[i].aor, sizeof(s->c[i].aor), reg->aor);
	cpy(s->c[i].rid, sizeof(s->c[i].rid), reg->id);
	cpy(s->c[i].rstate, sizeof(s->c[i].rstate), reg->state);
	s->c[i].rn = reg->n;
	s->c[i].none = c == NULL;
	if (!c)
		return;
	s->c[i].contacts_ok = c >= reg->contacts && c < reg->contacts + reg->n;
	cpy(s->c[i].id, sizeof(s->c[i].id), c->id);
	cpy(s->c[i].state, sizeof(s->c[i].state), c->state);
	cpy(s->c[i].event, sizeof(s->c[i].event), c->event);
	cpy(s->c[i].uri, sizeof(s->c[i].uri), c->uri);
	cpy(s->c[i].callid, sizeof(s->c[i].callid), c->callid);
	cpy(s->c[i].instance, sizeof(s->c[i].instance), c->instance);
	s->c[i].expires = c->expires;
	s->c[i].duration = c->duration_s;
	s->c[i].q = c->q;
	s->c[i].cseq = c->cseq;
	s->c[i].reg_id = c->reg_id;
}

static bool has(const struct buf *mb, const char *needle)
{
	return memmem(mb->b, mb->end, needle, strlen(needle)) != NULL;
}

TEST(test_reginfo_roundtrip)
{
	const struct reginfo_contact cs[2] = {
	    {"c1", "active", "registered", "sip:bob@192.0.2.4:5060", 3600, 30,
	     500, "a84b4c76e66710", 314, INST, 1},
	    {"c2", "terminated", "expired", "sip:bob@pc.example.com", 0, 0, 0,
	     NULL, 0, NULL, 0},
	};
	const struct reginfo_reg regs[2] = {
	    {"sip:bob@example.com", "r1", "active", cs, 2},
	    {"sip:alice@example.com", "r2", "init", NULL, 0},
	};
	struct reginfo_info info = {77, false};
	struct buf *mb = NULL;
	struct seen s;
	char e[128];
	int err;

	memset(&s, 0, sizeof(s));
	err = reginfo_doc_build(&mb, 0, true, regs, 2);
	TEST_ERR(err);
	TEST_ASSERT(!memcmp(mb->b, "<?xml version=\"1.0\"", 19));
	TEST_ASSERT(has(mb, "<reginfo xmlns=\"urn:ietf:params:xml:ns:reginfo\""
	                    " version=\"0\" state=\"full\">"));
	TEST_ASSERT(has(mb, "<registration aor=\"sip:bob@example.com\" "
	                    "id=\"r1\" state=\"active\">"));
	TEST_ASSERT(has(mb, "<contact id=\"c1\" state=\"active\" "
	                    "event=\"registered\" duration-registered=\"30\" "
	                    "expires=\"3600\" q=\"0.5\" "
	                    "callid=\"a84b4c76e66710\" cseq=\"314\">"));
	TEST_ASSERT(has(mb, "<uri>sip:bob@192.0.2.4:5060</uri>"));
	TEST_ASSERT(has(mb, "<unknown-param name=\"+sip.instance\">"
	                    "&quot;&lt;" INST "&gt;&quot;</unknown-param>"));
	TEST_ASSERT(
	    has(mb, "<unknown-param name=\"reg-id\">1</unknown-param>"));
	/* zeros and NULLs are left out */
	TEST_ASSERT(has(mb, "<contact id=\"c2\" state=\"terminated\" "
	                    "event=\"expired\">"));
	TEST_ASSERT(has(mb, "<registration aor=\"sip:alice@example.com\" "
	                    "id=\"r2\" state=\"init\"/>"));

	err = reginfo_doc_parse((const char *)mb->b, mb->end, &info, seen_h, &s,
	                        e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("", e);
	TEST_EQ(0, info.version);
	TEST_ASSERT(info.full);
	TEST_EQ(3, s.n);
	TEST_STR_EQ("sip:bob@example.com", s.c[0].aor);
	TEST_STR_EQ("r1", s.c[0].rid);
	TEST_STR_EQ("active", s.c[0].rstate);
	TEST_EQ(2, s.c[0].rn);
	TEST_ASSERT(s.c[0].contacts_ok);
	TEST_STR_EQ("c1", s.c[0].id);
	TEST_STR_EQ("active", s.c[0].state);
	TEST_STR_EQ("registered", s.c[0].event);
	TEST_STR_EQ("sip:bob@192.0.2.4:5060", s.c[0].uri);
	TEST_STR_EQ("a84b4c76e66710", s.c[0].callid);
	TEST_STR_EQ(INST, s.c[0].instance);
	TEST_EQ(3600, s.c[0].expires);
	TEST_EQ(30, s.c[0].duration);
	TEST_EQ(500, s.c[0].q);
	TEST_EQ(314, s.c[0].cseq);
	TEST_EQ(1, s.c[0].reg_id);
	TEST_ASSERT(s.c[1].contacts_ok);
	TEST_STR_EQ("c2", s.c[1].id);
	TEST_STR_EQ("terminated", s.c[1].state);
	TEST_STR_EQ("expired", s.c[1].event);
	TEST_STR_EQ("", s.c[1].callid);
	TEST_STR_EQ("", s.c[1].instance);
	TEST_EQ(0, s.c[1].expires);
	TEST_EQ(0, s.c[1].q);
	TEST_EQ(0, s.c[1].reg_id);
	TEST_STR_EQ("sip:alice@example.com", s.c[2].aor);
	TEST_STR_EQ("init", s.c[2].rstate);
	TEST_ASSERT(s.c[2].none);
	TEST_EQ(0, s.c[2].rn);
	mb = mem_deref(mb);

	/* an empty partial document */
	memset(&s, 0, sizeof(s));
	err = reginfo_doc_build(&mb, 9, false, NULL, 0);
	TEST_ERR(err);
	TEST_ASSERT(has(mb, "version=\"9\" state=\"partial\""));
	err = reginfo_doc_parse((const char *)mb->b, mb->end, &info, seen_h, &s,
	                        e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(9, info.version);
	TEST_ASSERT(!info.full);
	TEST_EQ(0, s.n);
out:
	mem_deref(mb);
	return err;
}

TEST(test_reginfo_q_values)
{
	static const struct {
		uint32_t q;
		const char *txt;
	} qs[] = {{1000, "q=\"1\""},
	          {1, "q=\"0.001\""},
	          {250, "q=\"0.25\""},
	          {100, "q=\"0.1\""},
	          {999, "q=\"0.999\""}};
	struct reginfo_contact c = {"c1", "active", "created", "sip:b@x", 0, 0,
	                            0,    NULL,     0,         NULL,      0};
	struct reginfo_reg r = {"sip:b@x", "r", "active", &c, 1};
	struct reginfo_info info;
	struct buf *mb = NULL;
	struct seen s;
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		memset(&s, 0, sizeof(s));
		c.q = qs[i].q;
		err = reginfo_doc_build(&mb, 1, true, &r, 1);
		TEST_ERR(err);
		TEST_ASSERT(has(mb, qs[i].txt));
		err = reginfo_doc_parse((const char *)mb->b, mb->end, &info,
		                        seen_h, &s, NULL, 0);
		TEST_ERR(err);
		TEST_EQ(qs[i].q, s.c[0].q);
		mb = mem_deref(mb);
	}
	c.q = 1001;
	TEST_ERR_EQ(EINVAL, reginfo_doc_build(&mb, 1, true, &r, 1));
out:
	mem_deref(mb);
	return err;
}

TEST(test_reginfo_escaping)
{
	const struct reginfo_contact c = {
	    "id<&>\"", "active",      "refreshed", "sip:b@x;p=\"<&>\"", 10, 0,
	    0,         "cid\"<&>' x", 2,           "<urn:uuid:a&b>",    0};
	const struct reginfo_reg r = {"sip:b&c@example.com", "r\"1", "active",
	                              &c, 1};
	struct reginfo_info info;
	struct buf *mb = NULL;
	struct seen s;
	int err;

	memset(&s, 0, sizeof(s));
	err = reginfo_doc_build(&mb, 3, false, &r, 1);
	TEST_ERR(err);
	TEST_ASSERT(has(mb, "aor=\"sip:b&amp;c@example.com\""));
	TEST_ASSERT(has(mb, "<uri>sip:b@x;p=&quot;&lt;&amp;&gt;&quot;</uri>"));
	TEST_ASSERT(has(mb, "callid=\"cid&quot;&lt;&amp;&gt;' x\""));
	/* an instance given with its brackets is not wrapped twice */
	TEST_ASSERT(has(mb, ">&quot;&lt;urn:uuid:a&amp;b&gt;&quot;<"));
	err = reginfo_doc_parse((const char *)mb->b, mb->end, &info, seen_h, &s,
	                        NULL, 0);
	TEST_ERR(err);
	TEST_EQ(1, s.n);
	TEST_STR_EQ("sip:b&c@example.com", s.c[0].aor);
	TEST_STR_EQ("r\"1", s.c[0].rid);
	TEST_STR_EQ("id<&>\"", s.c[0].id);
	TEST_STR_EQ("sip:b@x;p=\"<&>\"", s.c[0].uri);
	TEST_STR_EQ("cid\"<&>' x", s.c[0].callid);
	TEST_STR_EQ("urn:uuid:a&b", s.c[0].instance);
out:
	mem_deref(mb);
	return err;
}

TEST(test_reginfo_build_invalid)
{
	const struct reginfo_contact good = {
	    "c1", "active", "created", "sip:b@x", 0, 0, 0, NULL, 0, NULL, 0};
	struct reginfo_contact c;
	struct reginfo_reg r;
	struct buf *mb = NULL;
	int err = 0, i;

	for (i = 0; i < 10; i++) {
		c = good;
		r.aor = "sip:b@x";
		r.id = "r";
		r.state = "active";
		r.contacts = &c;
		r.n = 1;
		switch (i) {
		case 0:
			c.state = "gone";
			break;
		case 1:
			c.event = "created-ish";
			break;
		case 2:
			c.uri = "";
			break;
		case 3:
			c.id = NULL;
			break;
		case 4:
			c.callid = "a\x02";
			break;
		case 5:
			c.instance = "\xff";
			break;
		case 6:
			r.state = "pending";
			break;
		case 7:
			r.aor = NULL;
			break;
		case 8:
			r.contacts = NULL;
			break;
		case 9:
			r.id = "\xe0\x80\x80";
			break;
		}
		err = reginfo_doc_build(&mb, 0, true, &r, 1);
		if (err != EINVAL) {
			test_fail(__FILE__, __LINE__, "case %d: %d", i, err);
			err = EINVAL;
			goto out;
		}
	}
	TEST_ERR_EQ(EINVAL, reginfo_doc_build(&mb, 0, true, NULL, 1));
	TEST_ERR_EQ(EINVAL, reginfo_doc_build(NULL, 0, true, NULL, 0));
	TEST_ASSERT(mb == NULL);
	err = 0;
out:
	mem_deref(mb);
	return err;
}

#define NS   "urn:ietf:params:xml:ns:reginfo"
#define HDR  "<?xml version=\"1.0\"?>\n"
#define ROOT HDR "<reginfo xmlns=\"" NS "\" version=\"1\" state=\"full\">\n"
#define REG  "<registration aor=\"sip:b@x\" id=\"r\" state=\"active\">\n"
#define CT   "<contact id=\"c\" state=\"active\" event=\"registered\""
#define END  "</registration></reginfo>"

static const struct {
	const char *doc;
	const char *err; /* expected start of the error text */
} bad_docs[] = {
    {"<reginfo", "line 1: "},
    {ROOT REG CT "><uri>sip:a@x</uri>\n</registration></reginfo>", "line 5: "},
    {HDR "<reginfo xmlns=\"urn:ietf:params:xml:ns:watcherinfo\" "
         "version=\"1\" state=\"full\"/>",
     "line 2: root is not <reginfo>"},
    {HDR "<reginfo version=\"1\" state=\"full\"/>",
     "line 2: root is not <reginfo>"},
    {HDR "<reginfo xmlns=\"" NS "\" state=\"full\"/>",
     "line 2: reginfo: missing or bad version"},
    {HDR "<reginfo xmlns=\"" NS "\" version=\"x\" state=\"full\"/>",
     "line 2: reginfo: missing or bad version"},
    {HDR "<reginfo xmlns=\"" NS "\" version=\"1\" state=\"all\"/>",
     "line 2: reginfo: state"},
    {ROOT "<registration id=\"r\" state=\"active\"/></reginfo>",
     "line 3: registration without aor"},
    {ROOT "<registration aor=\"sip:b@x\" state=\"active\"/></reginfo>",
     "line 3: registration without id"},
    {ROOT "<registration aor=\"sip:b@x\" id=\"r\"/></reginfo>",
     "line 3: registration: missing or unknown state"},
    {ROOT "<registration aor=\"sip:b@x\" id=\"r\" state=\"on\"/></reginfo>",
     "line 3: registration: missing or unknown state"},
    /* the second contact is bad: the first must not reach h */
    {ROOT REG CT "><uri>sip:a@x</uri></contact>\n"
                 "<contact state=\"active\" event=\"registered\">"
                 "<uri>sip:c@x</uri></contact>\n" END,
     "line 5: contact without id"},
    {ROOT REG "<contact id=\"c\" event=\"registered\"><uri>sip:a@x</uri>"
              "</contact>\n" END,
     "line 4: contact: missing or unknown state"},
    {ROOT REG "<contact id=\"c\" state=\"active\" event=\"born\">"
              "<uri>sip:a@x</uri></contact>\n" END,
     "line 4: contact: missing or unknown event"},
    {ROOT REG CT " expires=\"-5\"><uri>sip:a@x</uri></contact>\n" END,
     "line 4: contact: bad number"},
    {ROOT REG CT " cseq=\"1e3\"><uri>sip:a@x</uri></contact>\n" END,
     "line 4: contact: bad number"},
    {ROOT REG CT " q=\"1.5\"><uri>sip:a@x</uri></contact>\n" END,
     "line 4: contact: bad q"},
    {ROOT REG CT " q=\"0.1234\"><uri>sip:a@x</uri></contact>\n" END,
     "line 4: contact: bad q"},
    {ROOT REG CT " q=\".5\"><uri>sip:a@x</uri></contact>\n" END,
     "line 4: contact: bad q"},
    {ROOT REG CT "></contact>\n" END, "line 4: contact without <uri>"},
    {ROOT REG CT ">\n<uri> </uri></contact>\n" END, "line 5: empty <uri>"},
    {ROOT REG CT "><uri>sip:a@x</uri><uri>sip:c@x</uri></contact>\n" END,
     "line 4: second <uri>"},
    {ROOT REG CT "><uri>sip:a@x</uri><unknown-param>1</unknown-param>"
                 "</contact>\n" END,
     "line 4: unknown-param without name"},
    {ROOT REG CT "><uri>sip:a@x</uri><unknown-param name=\"reg-id\">one"
                 "</unknown-param></contact>\n" END,
     "line 4: bad reg-id"},
    {ROOT REG CT "><uri>sip:a@x</uri><url/></contact>\n" END,
     "line 4: unexpected element <url>"},
    {ROOT REG CT ">sip:a@x</contact>\n" END, "line 4: text in contact"},
    {ROOT "<registrations/></reginfo>",
     "line 3: unexpected element <registrations>"},
    {HDR "<!DOCTYPE reginfo SYSTEM \"http://example.com/x.dtd\">\n"
         "<reginfo xmlns=\"" NS "\" version=\"1\" state=\"full\"/>",
     "line 2: DTD not allowed"},
    {HDR "<r:reginfo version=\"1\" state=\"full\"/>", "line 2: "},
};

TEST(test_reginfo_parse_errors)
{
	struct reginfo_info info = {42, true};
	struct seen s;
	char e[160];
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		memset(&s, 0, sizeof(s));
		err =
		    reginfo_doc_parse(bad_docs[i].doc, strlen(bad_docs[i].doc),
		                      &info, seen_h, &s, e, sizeof(e));
		if (err == ENOMEM)
			goto out;
		if (err != EBADMSG ||
		    strncmp(e, bad_docs[i].err, strlen(bad_docs[i].err))) {
			test_fail(__FILE__, __LINE__, "doc %zu: %d \"%s\"", i,
			          err, e);
			err = EINVAL;
			goto out;
		}
		TEST_EQ(0, s.n);
		TEST_EQ(42, info.version); /* untouched */
	}
	err = reginfo_doc_parse(NULL, 0, &info, NULL, NULL, e, sizeof(e));
	TEST_EQ(EINVAL, err);
	err = 0;
out:
	return err;
}

TEST(test_reginfo_parse_forms)
{
	/* a prefix, extensions, display-name, other unknown-params, an
	 * instance without quotes, white space around values */
	static const char doc[] =
	    HDR "<r:reginfo xmlns:r=\"" NS "\" xmlns:x=\"urn:example:x\" "
	        "version=\"4294967295\" state=\"partial\">\n"
	        " <x:ext><r:registration/></x:ext>\n"
	        " <r:registration aor=\" sip:b@x \" id=\"a1\" "
	        "state=\"terminated\">\n"
	        "  <r:contact id=\"c9\" state=\"terminated\" "
	        "event=\"unregistered\" q=\" 1.000 \" expires=\"0\" "
	        "retry-after=\"30\" x:y=\"z\">\n"
	        "   <r:uri>\n sip:b@192.0.2.9\n </r:uri>\n"
	        "   <r:display-name xml:lang=\"en\">Bob</r:display-name>\n"
	        "   <r:unknown-param name=\"+sip.instance\">" INST
	        "</r:unknown-param>\n"
	        "   <r:unknown-param name=\"video\"/>\n"
	        "   <r:unknown-param name=\"reg-id\"> 2 </r:unknown-param>\n"
	        "   <x:more/>\n"
	        "  </r:contact>\n"
	        " </r:registration>\n"
	        "</r:reginfo>\n";
	struct reginfo_info info;
	struct seen s;
	char e[128];
	int err;

	memset(&s, 0, sizeof(s));
	err = reginfo_doc_parse(doc, sizeof(doc) - 1, &info, seen_h, &s, e,
	                        sizeof(e));
	TEST_ERR(err);
	TEST_EQ(UINT32_MAX, info.version);
	TEST_ASSERT(!info.full);
	TEST_EQ(1, s.n);
	TEST_STR_EQ("sip:b@x", s.c[0].aor);
	TEST_STR_EQ("terminated", s.c[0].rstate);
	TEST_STR_EQ("c9", s.c[0].id);
	TEST_STR_EQ("unregistered", s.c[0].event);
	TEST_STR_EQ("sip:b@192.0.2.9", s.c[0].uri);
	TEST_STR_EQ(INST, s.c[0].instance);
	TEST_EQ(1000, s.c[0].q);
	TEST_EQ(2, s.c[0].reg_id);
	TEST_EQ(0, s.c[0].expires);
out:
	return err;
}
