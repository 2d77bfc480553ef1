/* tests/unit/rls/test_rlmi.c - RLMI documents and multipart/related list
 * NOTIFY bodies (RFC 4662 5, RFC 2387) */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "im/mime.h"
#include "rls/rlmi.h"
#include "test.h"

#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static struct rlmi_inst bob_inst[] = {
    {"i1", RLMI_ACTIVE, NULL, "c1@example.com"},
};
static struct rlmi_inst carol_inst[] = {
    {"i2", RLMI_PENDING, NULL, NULL},
};
static struct rlmi_inst dave_inst[] = {
    {"i3", RLMI_TERMINATED, "noresource", NULL},
};
static struct rlmi_res full_res[] = {
    {"sip:bob@example.com", "Bob", bob_inst, 1},
    {"sip:carol@example.org", NULL, carol_inst, 1},
    {"sip:dave@example.net", NULL, dave_inst, 1},
};

static const char full_xml[] =
    XML_DECL "<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" "
             "uri=\"sip:friends@example.com\" version=\"3\" "
             "fullState=\"true\"><name>Friends</name>"
             "<resource uri=\"sip:bob@example.com\"><name>Bob</name>"
             "<instance id=\"i1\" state=\"active\" cid=\"c1@example.com\"/>"
             "</resource>"
             "<resource uri=\"sip:carol@example.org\">"
             "<instance id=\"i2\" state=\"pending\"/></resource>"
             "<resource uri=\"sip:dave@example.net\">"
             "<instance id=\"i3\" state=\"terminated\" "
             "reason=\"noresource\"/></resource></list>\n";

static const char pidf[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
    "entity=\"sip:bob@example.com\"><tuple id=\"t1\"><status><basic>open"
    "</basic></status></tuple></presence>\n";

static void full_list(struct rlmi_list *l)
{
	memset(l, 0, sizeof(*l));
	l->uri = "sip:friends@example.com";
	l->version = 3;
	l->full = true;
	l->name = "Friends";
	l->res = full_res;
	l->nres = 3;
}

static bool buf_is(const struct buf *mb, const char *s)
{
	return mb->end == strlen(s) && !memcmp(mb->b, s, mb->end);
}

static bool mem_has(const void *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s)) != NULL;
}

TEST(test_rlmi_encode_full)
{
	struct rlmi_list l;
	struct buf *mb = NULL;
	int err;

	full_list(&l);
	err = buf_alloc(&mb, 64);
	TEST_ERR(err);
	err = rlmi_encode(mb, &l);
	TEST_ERR(err);
	if (!buf_is(mb, full_xml))
		fprintf(stderr, "    got: %.*s\n", (int)mb->end, mb->b);
	TEST_ASSERT(buf_is(mb, full_xml));

	/* appends at the cursor */
	buf_reset(mb);
	err = buf_write_str(mb, "x");
	TEST_ERR(err);
	err = rlmi_encode(mb, &l);
	TEST_ERR(err);
	TEST_EQ(1 + strlen(full_xml), mb->end);
	TEST_ASSERT(!memcmp(mb->b + 1, full_xml, strlen(full_xml)));
out:
	mem_deref(mb);
	return err;
}

TEST(test_rlmi_encode_partial)
{
	static const char want[] =
	    XML_DECL "<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" "
	             "uri=\"sip:friends@example.com\" version=\"4\" "
	             "fullState=\"false\" cid=\"l9@example.com\">"
	             "<resource uri=\"sip:bob@example.com\">"
	             "<instance id=\"i1\" state=\"active\" "
	             "cid=\"c2@example.com\"/>"
	             "<instance id=\"i9\" state=\"terminated\" "
	             "reason=\"rejected\"/></resource>"
	             "<resource uri=\"sip:erin@example.com\"/></list>\n";
	struct rlmi_inst inst[] = {
	    {"i1", RLMI_ACTIVE, NULL, "c2@example.com"},
	    {"i9", RLMI_TERMINATED, "rejected", NULL},
	};
	struct rlmi_res res[] = {
	    {"sip:bob@example.com", NULL, inst, 2},
	    {"sip:erin@example.com", NULL, NULL, 0},
	};
	struct rlmi_list l = {.uri = "sip:friends@example.com",
	                      .version = 4,
	                      .cid = "l9@example.com",
	                      .res = res,
	                      .nres = 2};
	struct buf *mb = NULL;
	int err;

	err = buf_alloc(&mb, 16);
	TEST_ERR(err);
	err = rlmi_encode(mb, &l);
	TEST_ERR(err);
	if (!buf_is(mb, want))
		fprintf(stderr, "    got: %.*s\n", (int)mb->end, mb->b);
	TEST_ASSERT(buf_is(mb, want));

	/* an empty list */
	l.nres = 0;
	l.res = NULL;
	l.cid = NULL;
	buf_reset(mb);
	err = rlmi_encode(mb, &l);
	TEST_ERR(err);
	TEST_ASSERT(buf_is(mb, XML_DECL "<list xmlns=\"urn:ietf:params:xml:"
	                                "ns:rlmi\" uri=\"sip:friends@example."
	                                "com\" version=\"4\" fullState="
	                                "\"false\"/>\n"));
out:
	mem_deref(mb);
	return err;
}

TEST(test_rlmi_encode_invalid)
{
	struct rlmi_inst inst = {"i1", RLMI_ACTIVE, NULL, NULL};
	struct rlmi_res res = {"sip:a@example.com", NULL, &inst, 1};
	struct rlmi_list l = {.uri = "sip:l@example.com",
	                      .version = 1,
	                      .full = true,
	                      .res = &res,
	                      .nres = 1};
	struct buf *mb = NULL;
	int err;

	err = buf_alloc(&mb, 16);
	TEST_ERR(err);
	TEST_ERR_EQ(EINVAL, rlmi_encode(NULL, &l));
	TEST_ERR_EQ(EINVAL, rlmi_encode(mb, NULL));
	l.uri = NULL;
	TEST_ERR_EQ(EINVAL, rlmi_encode(mb, &l));
	l.uri = "";
	TEST_ERR_EQ(EINVAL, rlmi_encode(mb, &l));
	l.uri = "sip:l@example.com";
	l.name = "bad \x01 char";
	TEST_ERR_EQ(EINVAL, rlmi_encode(mb, &l));
	l.name = "bad \xff utf-8";
	TEST_ERR_EQ(EINVAL, rlmi_encode(mb, &l));
	l.name = NULL;
	res.uri = NULL;
	TEST_ERR_EQ(EINVAL, rlmi_encode(mb, &l));
	res.uri = "sip:a@example.com";
	inst.id = "";
	TEST_ERR_EQ(EINVAL, rlmi_encode(mb, &l));
	inst.id = "i1";
	inst.state = (enum rlmi_state)3;
	TEST_ERR_EQ(EINVAL, rlmi_encode(mb, &l));
	inst.state = RLMI_ACTIVE;
	inst.cid = "\x1b";
	TEST_ERR_EQ(EINVAL, rlmi_encode(mb, &l));
	inst.cid = NULL;
	res.inst = NULL;
	TEST_ERR_EQ(EINVAL, rlmi_encode(mb, &l));
	res.inst = &inst;
	l.res = NULL;
	TEST_ERR_EQ(EINVAL, rlmi_encode(mb, &l));
	TEST_EQ(0, mb->end); /* nothing written */
	l.res = &res;
	err = rlmi_encode(mb, &l);
	TEST_ERR(err);
	TEST_ASSERT(mb->end > 0);
out:
	mem_deref(mb);
	return err;
}

TEST(test_rlmi_roundtrip)
{
	struct rlmi_inst inst[] = {
	    {" sp ace", RLMI_ACTIVE, NULL, "x1@example.com"},
	    {"i&<>\"'", RLMI_TERMINATED, "timeout", NULL},
	};
	struct rlmi_res res[] = {
	    {"sip:a@example.com;x=\"<&>\"", "A & \"B\" <c>\r\n", inst, 2},
	    {"sip:b@example.com", "", NULL, 0},
	};
	struct rlmi_list l = {.uri = "sip:l@example.com",
	                      .version = 4294967295u,
	                      .name = "Liste \xc3\xa0 moi",
	                      .cid = "root@x",
	                      .res = res,
	                      .nres = 2};
	struct rlmi_doc *d = NULL;
	struct buf *mb = NULL;
	char e[128];
	int err;

	err = buf_alloc(&mb, 16);
	TEST_ERR(err);
	err = rlmi_encode(mb, &l);
	TEST_ERR(err);
	err = rlmi_decode(&d, (const char *)mb->b, mb->end, e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("", e);
	TEST_STR_EQ("sip:l@example.com", d->l.uri);
	TEST_EQ(4294967295u, d->l.version);
	TEST_ASSERT(!d->l.full);
	TEST_STR_EQ("Liste \xc3\xa0 moi", d->l.name);
	TEST_STR_EQ("root@x", d->l.cid);
	TEST_EQ(2, d->l.nres);
	TEST_STR_EQ("sip:a@example.com;x=\"<&>\"", d->l.res[0].uri);
	TEST_STR_EQ("A & \"B\" <c>\r\n", d->l.res[0].name);
	TEST_EQ(2, d->l.res[0].ninst);
	TEST_STR_EQ(" sp ace", d->l.res[0].inst[0].id);
	TEST_EQ(RLMI_ACTIVE, d->l.res[0].inst[0].state);
	TEST_ASSERT(!d->l.res[0].inst[0].reason);
	TEST_STR_EQ("x1@example.com", d->l.res[0].inst[0].cid);
	TEST_STR_EQ("i&<>\"'", d->l.res[0].inst[1].id);
	TEST_EQ(RLMI_TERMINATED, d->l.res[0].inst[1].state);
	TEST_STR_EQ("timeout", d->l.res[0].inst[1].reason);
	TEST_ASSERT(!d->l.res[0].inst[1].cid);
	TEST_STR_EQ("sip:b@example.com", d->l.res[1].uri);
	TEST_STR_EQ("", d->l.res[1].name);
	TEST_EQ(0, d->l.res[1].ninst);
	TEST_ASSERT(!d->l.res[1].inst);
	d = mem_deref(d);

	/* the full example decodes to what built it */
	err = rlmi_decode(&d, full_xml, strlen(full_xml), e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("sip:friends@example.com", d->l.uri);
	TEST_EQ(3, d->l.version);
	TEST_ASSERT(d->l.full);
	TEST_STR_EQ("Friends", d->l.name);
	TEST_ASSERT(!d->l.cid);
	TEST_EQ(3, d->l.nres);
	for (uint32_t i = 0; i < 3; i++) {
		TEST_STR_EQ(full_res[i].uri, d->l.res[i].uri);
		TEST_EQ(1, d->l.res[i].ninst);
		TEST_STR_EQ(full_res[i].inst[0].id, d->l.res[i].inst[0].id);
		TEST_EQ(full_res[i].inst[0].state, d->l.res[i].inst[0].state);
	}
	TEST_STR_EQ("Bob", d->l.res[0].name);
	TEST_ASSERT(!d->l.res[1].name);
	TEST_STR_EQ("c1@example.com", d->l.res[0].inst[0].cid);
	TEST_STR_EQ("noresource", d->l.res[2].inst[0].reason);
out:
	mem_deref(d);
	mem_deref(mb);
	return err;
}

TEST(test_rlmi_decode_lenient)
{
	static const char xml[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<r:list xmlns:r=\"urn:ietf:params:xml:ns:rlmi\"\n"
	    "        xmlns:x=\"urn:example:ext\" uri=\" sip:l@example.com \"\n"
	    "        version=\" 12 \" fullState=\"0\" x:foo=\"bar\">\n"
	    "  <r:name xml:lang=\"en\">My Friends</r:name>\n"
	    "  <r:name xml:lang=\"de\">Meine Freunde</r:name>\n"
	    "  <x:ext><r:bogus/>ignored</x:ext>\n"
	    "  <r:resource uri=\"sip:a@example.com\" other=\"1\">\n"
	    "    <r:name>A</r:name>\n"
	    "    <r:instance id=\"x1\" state=\" active \"\n"
	    "                cid=\"a1@example.com\"><x:any>1</x:any>\n"
	    "    </r:instance>\n"
	    "    <x:after/>\n"
	    "  </r:resource>\n"
	    "</r:list>\n";
	static const char one[] = "<list xmlns='urn:ietf:params:xml:ns:rlmi' "
	                          "uri='u' version='0' fullState='1'/>";
	struct rlmi_doc *d = NULL;
	char e[128];
	int err;

	err = rlmi_decode(&d, xml, strlen(xml), e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("sip:l@example.com", d->l.uri);
	TEST_EQ(12, d->l.version);
	TEST_ASSERT(!d->l.full);
	TEST_STR_EQ("My Friends", d->l.name);
	TEST_EQ(1, d->l.nres);
	TEST_STR_EQ("A", d->l.res[0].name);
	TEST_EQ(1, d->l.res[0].ninst);
	TEST_EQ(RLMI_ACTIVE, d->l.res[0].inst[0].state);
	TEST_STR_EQ("a1@example.com", d->l.res[0].inst[0].cid);
	d = mem_deref(d);

	err = rlmi_decode(&d, one, strlen(one), e, sizeof(e));
	TEST_ERR(err);
	TEST_ASSERT(d->l.full);
	TEST_EQ(0, d->l.nres);
	TEST_ASSERT(!d->l.res);
out:
	mem_deref(d);
	return err;
}

#define L0 "<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" uri=\"sip:l@x\" "
#define LV L0 "version=\"1\" fullState=\"true\">\n"

static const struct {
	const char *xml;
	const char *err;
} bad_docs[] = {
    {"", "line 1: "},
    {"<list", "line 1: "},
    {"<!DOCTYPE list [<!ENTITY a 'b'>]><list/>", "line 1: DTD not allowed"},
    {"<list xmlns=\"urn:ietf:params:xml:ns:rlmi2\" uri=\"a\" version=\"1\" "
     "fullState=\"true\"/>",
     "line 1: root is not <list> of urn:ietf:params:xml:ns:rlmi"},
    {"<list uri=\"a\" version=\"1\" fullState=\"true\"/>",
     "line 1: root is not <list> of urn:ietf:params:xml:ns:rlmi"},
    {"<resource xmlns=\"urn:ietf:params:xml:ns:rlmi\" uri=\"a\"/>",
     "line 1: root is not <list> of urn:ietf:params:xml:ns:rlmi"},
    {"<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" version=\"1\" "
     "fullState=\"true\"/>",
     "line 1: <list> without uri"},
    {"<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" uri=\" \" version=\"1\" "
     "fullState=\"true\"/>",
     "line 1: <list> without uri"},
    {"\n" L0 "fullState=\"true\"/>", "line 2: <list>: missing or bad version"},
    {L0 "version=\"-1\" fullState=\"true\"/>",
     "line 1: <list>: missing or bad version"},
    {L0 "version=\"4294967296\" fullState=\"true\"/>",
     "line 1: <list>: missing or bad version"},
    {L0 "version=\"1\"/>", "line 1: <list>: fullState must be true or false"},
    {L0 "version=\"1\" fullState=\"yes\"/>",
     "line 1: <list>: fullState must be true or false"},
    {LV "<resource uri=\"sip:a@x\">\n"
        "<instance id=\"1\" state=\"open\"/></resource></list>",
     "line 3: <instance>: unknown state \"open\""},
    {LV "<resource uri=\"sip:a@x\">\n"
        "<instance id=\"1\"/></resource></list>",
     "line 3: <instance> without state"},
    {LV "<resource uri=\"sip:a@x\">\n"
        "<instance state=\"active\"/></resource></list>",
     "line 3: <instance> without id"},
    {LV "<resource uri=\"sip:a@x\"><instance id=\"1\" state=\"active\"/>\n"
        "<instance id=\"1\" state=\"pending\"/></resource></list>",
     "line 3: duplicate instance id \"1\""},
    {LV "<resource uri=\"sip:a@x\">\n"
        "<instance id=\"1\" state=\"active\">hi</instance></resource></list>",
     "line 3: text in <instance>"},
    {LV "\n<resource><instance id=\"1\" state=\"active\"/></resource></list>",
     "line 3: <resource> without uri"},
    {LV "<resource uri=\"sip:a@x\"/>\n<name>late</name></list>",
     "line 3: <name> after <resource>"},
    {LV "<resource uri=\"sip:a@x\"><instance id=\"1\" state=\"active\"/>"
        "\n<name>late</name></resource></list>",
     "line 3: <name> after <instance>"},
    {LV "<name>a<b/></name></list>", "line 2: element inside <name>"},
    {LV "stray</list>", "line 2: text in <list>"},
    {LV "<resource uri=\"sip:a@x\">stray</resource></list>",
     "line 2: text in <resource>"},
    {LV "<instance id=\"1\" state=\"active\"/></list>",
     "line 2: unexpected element <instance> in <list>"},
    {LV "<resource uri=\"sip:a@x\"><list/></resource></list>",
     "line 2: unexpected element <list> in <resource>"},
};

TEST(test_rlmi_decode_errors)
{
	struct rlmi_doc *d = NULL;
	char e[128];
	int err = 0;

	for (size_t i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		const char *xml = bad_docs[i].xml;
		size_t pl = strlen(bad_docs[i].err);

		err = rlmi_decode(&d, xml, strlen(xml), e, sizeof(e));
		if (err == ENOMEM)
			goto out;
		if (err != EBADMSG || strncmp(e, bad_docs[i].err, pl) ||
		    (strcmp(bad_docs[i].err, "line 1: ") && e[pl])) {
			test_fail(__FILE__, __LINE__, "doc %zu: err %d \"%s\"",
			          i, err, e);
			err = EINVAL;
			goto out;
		}
	}
	TEST_ASSERT(!d);
	TEST_ERR_EQ(EINVAL, rlmi_decode(NULL, "", 0, e, sizeof(e)));
	TEST_ERR_EQ(EINVAL, rlmi_decode(&d, NULL, 1, NULL, 0));
	/* no error buffer is fine */
	TEST_ERR_EQ(EBADMSG, rlmi_decode(&d, "<a/>", 4, NULL, 0));
	err = 0;
out:
	mem_deref(d);
	return err;
}

TEST(test_rlmi_decode_limits)
{
	struct rlmi_doc *d = NULL;
	struct buf *mb = NULL;
	char e[128];
	int err;

	/* 16 instances pass, 17 do not */
	err = buf_alloc(&mb, 2048);
	TEST_ERR(err);
	err = buf_write_str(mb, LV "<resource uri=\"sip:a@x\">");
	for (int i = 0; !err && i < 16; i++)
		err =
		    buf_printf(mb, "<instance id=\"%d\" state=\"active\"/>", i);
	TEST_ERR(err);
	err = buf_write_str(mb, "</resource></list>");
	TEST_ERR(err);
	err = rlmi_decode(&d, (const char *)mb->b, mb->end, e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(16, d->l.res[0].ninst);
	d = mem_deref(d);
	mb->pos = mb->end -= strlen("</resource></list>");
	err = buf_write_str(mb, "<instance id=\"16\" state=\"active\"/>"
	                        "</resource></list>");
	TEST_ERR(err);
	TEST_ERR_EQ(EBADMSG, rlmi_decode(&d, (const char *)mb->b, mb->end, e,
	                                 sizeof(e)));
	TEST_STR_EQ("line 2: more than 16 <instance> in <resource>", e);

	/* 10000 resources pass the count, 10001 do not */
	buf_reset(mb);
	err = buf_write_str(mb, LV);
	for (int i = 0; !err && i < 10001; i++)
		err = buf_printf(mb, "<resource uri=\"sip:%d@x\"/>", i);
	if (!err)
		err = buf_write_str(mb, "\n</list>");
	TEST_ERR(err);
	TEST_ERR_EQ(EBADMSG, rlmi_decode(&d, (const char *)mb->b, mb->end, e,
	                                 sizeof(e)));
	TEST_STR_EQ("line 2: more than 10000 <resource> in <list>", e);
	err = 0;
out:
	mem_deref(d);
	mem_deref(mb);
	return err;
}

/* The boundary from a Content-Type this module made. */
static int ctype_boundary(const char *ctype, const char *start, char *bnd,
                          size_t size)
{
	char want[128];
	size_t wl, bl;

	snprintf(want, sizeof(want),
	         "multipart/related;type=\"application/rlmi+xml\";"
	         "start=\"<%s>\";boundary=\"",
	         start);
	wl = strlen(want);
	if (strncmp(ctype, want, wl))
		return EINVAL;
	bl = strlen(ctype + wl);
	if (bl < 2 || bl - 1 >= size || ctype[wl + bl - 1] != '"')
		return EINVAL;
	memcpy(bnd, ctype + wl, bl - 1);
	bnd[bl - 1] = '\0';
	return 0;
}

TEST(test_rlmi_multipart_layout)
{
	const struct rlmi_part parts[] = {
	    {"c1@example.com", "application/pidf+xml", pidf, strlen(pidf)},
	    {"c9@example.com", "text/plain", NULL, 0},
	};
	struct buf *mb = NULL, *want = NULL;
	struct rlmi_body *b = NULL;
	struct mime_part mp[MIME_MAX_PARTS];
	struct mime_type t;
	struct rlmi_list l;
	struct pl v, bpl;
	char ctype[256], bnd[80], e[128];
	uint32_t n = 0;
	int err;

	full_list(&l);
	err = rlmi_multipart(&mb, ctype, sizeof(ctype), &l, "root@example.com",
	                     parts, 2);
	TEST_ERR(err);
	err = ctype_boundary(ctype, "root@example.com", bnd, sizeof(bnd));
	TEST_ASSERT(!err);
	TEST_ASSERT(strlen(bnd) >= 16 && strlen(bnd) <= 70);
	TEST_ASSERT(strspn(bnd, "abcdefghijklmnopqrstuvwxyz0123456789-") ==
	            strlen(bnd));
	TEST_ASSERT(!strstr(full_xml, bnd) && !strstr(pidf, bnd));

	/* exactly this layout */
	err = buf_alloc(&want, 1024);
	TEST_ERR(err);
	err = buf_printf(want,
	                 "--%s\r\n"
	                 "Content-Transfer-Encoding: binary\r\n"
	                 "Content-ID: <root@example.com>\r\n"
	                 "Content-Type: application/rlmi+xml;"
	                 "charset=\"UTF-8\"\r\n"
	                 "\r\n"
	                 "%s\r\n"
	                 "--%s\r\n"
	                 "Content-Transfer-Encoding: binary\r\n"
	                 "Content-ID: <c1@example.com>\r\n"
	                 "Content-Type: application/pidf+xml\r\n"
	                 "\r\n"
	                 "%s\r\n"
	                 "--%s\r\n"
	                 "Content-Transfer-Encoding: binary\r\n"
	                 "Content-ID: <c9@example.com>\r\n"
	                 "Content-Type: text/plain\r\n"
	                 "\r\n"
	                 "\r\n"
	                 "--%s--\r\n",
	                 bnd, full_xml, bnd, pidf, bnd, bnd);
	TEST_ERR(err);
	if (mb->end != want->end || memcmp(mb->b, want->b, mb->end))
		fprintf(stderr, "    got: %.*s\n", (int)mb->end, mb->b);
	TEST_EQ(want->end, mb->end);
	TEST_ASSERT(!memcmp(mb->b, want->b, mb->end));

	/* the MIME reader of im/ takes it apart the same way */
	pl_set_str(&v, ctype);
	err = mime_type_parse(&t, &v);
	TEST_ERR(err);
	TEST_ASSERT(mime_type_is(&t, "multipart/related"));
	err = mime_param(&t, "type", &v);
	TEST_ERR(err);
	TEST_PL_EQ("application/rlmi+xml", &v);
	err = mime_param(&t, "start", &v);
	TEST_ERR(err);
	TEST_PL_EQ("<root@example.com>", &v);
	err = mime_param(&t, "boundary", &bpl);
	TEST_ERR(err);
	TEST_PL_EQ(bnd, &bpl);
	err = mime_multipart(&bpl, (const char *)mb->b, mb->end, mp,
	                     MIME_MAX_PARTS, &n, NULL);
	TEST_ERR(err);
	TEST_EQ(3, n);
	TEST_PL_EQ("application/rlmi+xml;charset=\"UTF-8\"", &mp[0].ctype);
	err = mime_hdr(&mp[0].hdrs, "Content-ID", &v);
	TEST_ERR(err);
	TEST_PL_EQ("<root@example.com>", &v);
	err = mime_hdr(&mp[1].hdrs, "Content-Transfer-Encoding", &v);
	TEST_ERR(err);
	TEST_PL_EQ("binary", &v);
	TEST_PL_EQ(full_xml, &mp[0].body);
	TEST_PL_EQ(pidf, &mp[1].body);
	TEST_PL_EQ("text/plain", &mp[2].ctype);
	TEST_EQ(0, mp[2].body.l);

	/* and so does ours */
	err = rlmi_body_decode(&b, ctype, (const char *)mb->b, mb->end, e,
	                       sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("", e);
	TEST_STR_EQ("sip:friends@example.com", b->rlmi->l.uri);
	TEST_EQ(3, b->rlmi->l.nres);
	TEST_STR_EQ("c1@example.com", b->rlmi->l.res[0].inst[0].cid);
	TEST_EQ(2, b->n);
	TEST_STR_EQ("c1@example.com", b->parts[0].cid);
	TEST_STR_EQ("application/pidf+xml", b->parts[0].ctype);
	TEST_EQ(strlen(pidf), b->parts[0].len);
	TEST_STR_EQ(pidf, b->parts[0].body);
	TEST_STR_EQ("c9@example.com", b->parts[1].cid);
	TEST_EQ(0, b->parts[1].len);
	TEST_STR_EQ("", b->parts[1].body);
out:
	mem_deref(b);
	mem_deref(want);
	mem_deref(mb);
	return err;
}

TEST(test_rlmi_multipart_boundary)
{
	struct rlmi_part part = {"c1@example.com", "application/pidf+xml", pidf,
	                         strlen(pidf)};
	struct buf *mb = NULL, *mb2 = NULL, *evil = NULL;
	struct rlmi_body *b = NULL;
	struct rlmi_list l;
	char ctype[256], bnd[80], bnd2[80], e[128];
	int err;

	full_list(&l);
	err = rlmi_multipart(&mb, ctype, sizeof(ctype), &l, "r@example.com",
	                     &part, 1);
	TEST_ERR(err);
	err = ctype_boundary(ctype, "r@example.com", bnd, sizeof(bnd));
	TEST_ASSERT(!err);

	/* deterministic */
	err = rlmi_multipart(&mb2, ctype, sizeof(ctype), &l, "r@example.com",
	                     &part, 1);
	TEST_ERR(err);
	TEST_EQ(mb->end, mb2->end);
	TEST_ASSERT(!memcmp(mb->b, mb2->b, mb->end));
	mb2 = mem_deref(mb2);

	/* a part that holds the boundary gets another one */
	err = buf_alloc(&evil, 256);
	TEST_ERR(err);
	err = buf_printf(evil, "x\r\n--%s\r\n--%s--\r\n", bnd, bnd);
	TEST_ERR(err);
	part.body = (const char *)evil->b;
	part.len = evil->end;
	err = rlmi_multipart(&mb2, ctype, sizeof(ctype), &l, "r@example.com",
	                     &part, 1);
	TEST_ERR(err);
	err = ctype_boundary(ctype, "r@example.com", bnd2, sizeof(bnd2));
	TEST_ASSERT(!err);
	TEST_ASSERT(strcmp(bnd, bnd2));
	TEST_ASSERT(!mem_has(evil->b, evil->end, bnd2));
	err = rlmi_body_decode(&b, ctype, (const char *)mb2->b, mb2->end, e,
	                       sizeof(e));
	TEST_ERR(err);
	TEST_EQ(1, b->n);
	TEST_EQ(evil->end, b->parts[0].len);
	TEST_ASSERT(!memcmp(evil->b, b->parts[0].body, evil->end));
	b = mem_deref(b);

	/* also in a Content-ID or a Content-Type */
	part.body = pidf;
	part.len = strlen(pidf);
	snprintf(e, sizeof(e), "application/x;p=%s", bnd);
	part.ctype = e;
	mb2 = mem_deref(mb2);
	err = rlmi_multipart(&mb2, ctype, sizeof(ctype), &l, "r@example.com",
	                     &part, 1);
	TEST_ERR(err);
	err = ctype_boundary(ctype, "r@example.com", bnd2, sizeof(bnd2));
	TEST_ASSERT(!err);
	TEST_ASSERT(strcmp(bnd, bnd2));
out:
	mem_deref(b);
	mem_deref(evil);
	mem_deref(mb2);
	mem_deref(mb);
	return err;
}

TEST(test_rlmi_multipart_cid)
{
	struct rlmi_part part = {"c1@example.com", "application/pidf+xml", pidf,
	                         strlen(pidf)};
	struct rlmi_body *b = NULL;
	struct buf *mb = NULL;
	struct rlmi_list l;
	char ctype[256], e[128];
	const char *p;
	int err;

	/* made from the list URI: rlmi.<16 hex>.<version>@<host> */
	full_list(&l);
	err = rlmi_multipart(&mb, ctype, sizeof(ctype), &l, NULL, &part, 1);
	TEST_ERR(err);
	p = strstr(ctype, ";start=\"<rlmi.");
	TEST_ASSERT(p);
	p += strlen(";start=\"<rlmi.");
	TEST_ASSERT(strspn(p, "0123456789abcdef") == 16);
	TEST_ASSERT(!strncmp(p + 16, ".3@example.com>\";boundary=", 26));
	err = rlmi_body_decode(&b, ctype, (const char *)mb->b, mb->end, e,
	                       sizeof(e));
	TEST_ERR(err);
	TEST_EQ(1, b->n);
	b = mem_deref(b);
	mb = mem_deref(mb);

	/* no usable host */
	l.uri = "urn:x-list:friends";
	err = rlmi_multipart(&mb, ctype, sizeof(ctype), &l, NULL, &part, 1);
	TEST_ERR(err);
	TEST_ASSERT(strstr(ctype, ".3@rls.invalid>\""));
	mb = mem_deref(mb);
	l.uri = "sip:a_b.example.com";
	err = rlmi_multipart(&mb, ctype, sizeof(ctype), &l, NULL, &part, 1);
	TEST_ERR(err);
	TEST_ASSERT(strstr(ctype, ".3@rls.invalid>\""));
	mb = mem_deref(mb);
	l.uri = "sip:[2001:db8::1]";
	err = rlmi_multipart(&mb, ctype, sizeof(ctype), &l, NULL, &part, 1);
	TEST_ERR(err);
	TEST_ASSERT(strstr(ctype, ".3@rls.invalid>\""));
	mb = mem_deref(mb);
	l.uri = "SIP:rls.example.net;lr";
	err = rlmi_multipart(&mb, ctype, sizeof(ctype), &l, NULL, &part, 1);
	TEST_ERR(err);
	TEST_ASSERT(strstr(ctype, ".3@rls.example.net>\""));
	mb = mem_deref(mb);
	l.uri = "sips:x@rls.example.org:5061;transport=tls";
	err = rlmi_multipart(&mb, ctype, sizeof(ctype), &l, NULL, &part, 1);
	TEST_ERR(err);
	TEST_ASSERT(strstr(ctype, ".3@rls.example.org>\""));
	mb = mem_deref(mb);

	/* the list's own cid is the root's */
	full_list(&l);
	l.cid = "own@example.com";
	err = rlmi_multipart(&mb, ctype, sizeof(ctype), &l, NULL, &part, 1);
	TEST_ERR(err);
	TEST_ASSERT(!strncmp(ctype + strlen("multipart/related;type=\""
	                                    "application/rlmi+xml\";"),
	                     "start=\"<own@example.com>\"", 25));
	TEST_ASSERT(mem_has(mb->b, mb->end, "Content-ID: <own@example.com>"));
	TEST_ASSERT(mem_has(mb->b, mb->end, "cid=\"own@example.com\""));
out:
	mem_deref(b);
	mem_deref(mb);
	return err;
}

TEST(test_rlmi_multipart_invalid)
{
	struct rlmi_part parts[2] = {
	    {"c1@example.com", "application/pidf+xml", pidf, strlen(pidf)},
	    {"c2@example.com", "application/pidf+xml", pidf, strlen(pidf)},
	};
	struct buf *mb = NULL;
	struct rlmi_list l;
	char ctype[256], small[60];
	int err;

	full_list(&l);
	TEST_ERR_EQ(EINVAL, rlmi_multipart(NULL, ctype, sizeof(ctype), &l,
	                                   "r@x", parts, 2));
	TEST_ERR_EQ(EINVAL, rlmi_multipart(&mb, NULL, 0, &l, "r@x", parts, 2));
	TEST_ERR_EQ(EINVAL, rlmi_multipart(&mb, ctype, sizeof(ctype), NULL,
	                                   "r@x", parts, 2));
	TEST_ERR_EQ(EINVAL, rlmi_multipart(&mb, ctype, sizeof(ctype), &l, "r@x",
	                                   NULL, 2));
	TEST_ERR_EQ(EINVAL, rlmi_multipart(&mb, ctype, sizeof(ctype), &l,
	                                   "r<x>", parts, 2));
	TEST_ERR_EQ(EINVAL, rlmi_multipart(&mb, ctype, sizeof(ctype), &l, "r x",
	                                   parts, 2));
	TEST_ERR_EQ(EINVAL, rlmi_multipart(&mb, ctype, sizeof(ctype), &l, "",
	                                   parts, 2));
	/* Content-IDs are unique */
	TEST_ERR_EQ(EINVAL, rlmi_multipart(&mb, ctype, sizeof(ctype), &l,
	                                   "c2@example.com", parts, 2));
	parts[1].cid = "c1@example.com";
	TEST_ERR_EQ(EINVAL, rlmi_multipart(&mb, ctype, sizeof(ctype), &l, "r@x",
	                                   parts, 2));
	parts[1].cid = "c2@example.com";
	parts[1].ctype = "text/plain\r\nX-Evil: 1";
	TEST_ERR_EQ(EINVAL, rlmi_multipart(&mb, ctype, sizeof(ctype), &l, "r@x",
	                                   parts, 2));
	parts[1].ctype = "";
	TEST_ERR_EQ(EINVAL, rlmi_multipart(&mb, ctype, sizeof(ctype), &l, "r@x",
	                                   parts, 2));
	parts[1].ctype = "text/plain";
	parts[1].body = NULL;
	TEST_ERR_EQ(EINVAL, rlmi_multipart(&mb, ctype, sizeof(ctype), &l, "r@x",
	                                   parts, 2));
	parts[1].body = pidf;
	/* the list itself is checked */
	l.name = "\x02";
	TEST_ERR_EQ(EINVAL, rlmi_multipart(&mb, ctype, sizeof(ctype), &l, "r@x",
	                                   parts, 2));
	l.name = NULL;
	/* a Content-Type buffer too small */
	strcpy(small, "junk");
	TEST_ERR_EQ(ERANGE, rlmi_multipart(&mb, small, sizeof(small), &l, "r@x",
	                                   parts, 2));
	TEST_STR_EQ("", small);
	TEST_ASSERT(!mb);
	err = rlmi_multipart(&mb, ctype, sizeof(ctype), &l, "r@x", parts, 2);
	TEST_ERR(err);
	TEST_ASSERT(mb && mb->end > 0);
out:
	mem_deref(mb);
	return err;
}

#define CT_OK "multipart/related;type=\"application/rlmi+xml\";boundary=b1"
#define RLMI_SMALL                                                             \
	"<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" uri=\"sip:l@x\" "         \
	"version=\"1\" fullState=\"true\"/>"
#define P_RLMI                                                                 \
	"--b1\r\nContent-ID: <r@x>\r\nContent-Type: application/rlmi+xml\r\n"  \
	"\r\n" RLMI_SMALL "\r\n"
#define P_PIDF(cid)                                                            \
	"--b1\r\nContent-ID: " cid                                             \
	"\r\nContent-Type: application/pidf+xml\r\n"                           \
	"\r\n<presence/>\r\n"

static const struct {
	const char *ctype, *body, *err;
} bad_bodies[] = {
    {"application/rlmi+xml", P_RLMI "--b1--\r\n",
     "Content-Type is not multipart/related"},
    {"multipart/mixed;boundary=b1", P_RLMI "--b1--\r\n",
     "Content-Type is not multipart/related"},
    {"multipart/related;type=\"application/rlmi+xml\"", P_RLMI "--b1--\r\n",
     "Content-Type without boundary"},
    {"multipart/related;boundary=b1", P_RLMI "--b1--\r\n",
     "multipart/related without type"},
    {"multipart/related;boundary=b1;type=\"application/pidf+xml\"",
     P_RLMI "--b1--\r\n", "multipart/related of type application/pidf+xml"},
    {CT_OK ";start=\"<nope@x>\"", P_RLMI "--b1--\r\n",
     "no part with the start Content-ID <nope@x>"},
    {CT_OK, P_PIDF("<p@x>") P_RLMI "--b1--\r\n",
     "root part is not application/rlmi+xml"},
    {CT_OK, P_RLMI "--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1--\r\n",
     "part 2 without Content-ID"},
    {CT_OK, P_RLMI P_PIDF("<p@x>") P_PIDF("<p@x>") "--b1--\r\n",
     "duplicate Content-ID <p@x>"},
    {CT_OK, P_RLMI P_PIDF("<r@x>") "--b1--\r\n", "duplicate Content-ID <r@x>"},
    {CT_OK,
     P_RLMI "--b1\r\nContent-ID: <p@x>\r\nContent-Transfer-Encoding: "
            "base64\r\n\r\nPHAvPg==\r\n--b1--\r\n",
     "part 2: Content-Transfer-Encoding base64 not supported"},
    {CT_OK,
     "--b1\r\nContent-Type: application/rlmi+xml\r\n\r\n<list/>\r\n"
     "--b1--\r\n",
     "root part: line 1: root is not <list> of urn:ietf:params:xml:ns:rlmi"},
    {CT_OK, P_RLMI, "multipart: no close delimiter"},
    {CT_OK, "", "multipart: no opening delimiter"},
};

TEST(test_rlmi_body_decode_errors)
{
	struct rlmi_body *b = NULL;
	char e[128];
	int err = 0;

	for (size_t i = 0; i < sizeof(bad_bodies) / sizeof(bad_bodies[0]);
	     i++) {
		const char *body = bad_bodies[i].body;

		err = rlmi_body_decode(&b, bad_bodies[i].ctype, body,
		                       strlen(body), e, sizeof(e));
		if (err == ENOMEM)
			goto out;
		if (err != EBADMSG || strcmp(e, bad_bodies[i].err)) {
			test_fail(__FILE__, __LINE__, "body %zu: err %d \"%s\"",
			          i, err, e);
			err = EINVAL;
			goto out;
		}
	}
	TEST_ASSERT(!b);
	TEST_ERR_EQ(EINVAL, rlmi_body_decode(NULL, CT_OK, "", 0, e, sizeof(e)));
	TEST_ERR_EQ(EINVAL, rlmi_body_decode(&b, NULL, "", 0, e, sizeof(e)));
	TEST_ERR_EQ(EINVAL, rlmi_body_decode(&b, CT_OK, NULL, 3, NULL, 0));
	err = 0;
out:
	mem_deref(b);
	return err;
}

TEST(test_rlmi_body_decode_start)
{
	/* the root by start, not first; LF line ends; a 7bit part */
	static const char body[] =
	    "preamble\n"
	    "--b1\n"
	    "Content-ID: <p@x>\n"
	    "Content-Transfer-Encoding: 7bit\n"
	    "Content-Type: application/pidf+xml\n"
	    "\n"
	    "<presence/>\n"
	    "--b1\n"
	    "Content-ID: < r@x >\n"
	    "Content-Type: Application/RLMI+XML; charset=UTF-8\n"
	    "\n" RLMI_SMALL "\n"
	    "--b1--\n"
	    "epilogue\n";
	struct rlmi_body *b = NULL;
	char e[128];
	int err;

	err = rlmi_body_decode(&b,
	                       "multipart/related; boundary=\"b1\"; "
	                       "type=\"Application/Rlmi+Xml\"; start=\"<r@x>\"",
	                       body, strlen(body), e, sizeof(e));
	/* "< r@x >" is not "<r@x>" */
	TEST_ERR_EQ(EBADMSG, err);
	TEST_STR_EQ("no part with the start Content-ID <r@x>", e);
	err = rlmi_body_decode(&b,
	                       "multipart/related; boundary=\"b1\"; "
	                       "type=\"Application/Rlmi+Xml\"; "
	                       "start=\"< r@x >\"",
	                       body, strlen(body), e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("sip:l@x", b->rlmi->l.uri);
	TEST_EQ(1, b->n);
	TEST_STR_EQ("p@x", b->parts[0].cid);
	TEST_STR_EQ("application/pidf+xml", b->parts[0].ctype);
	TEST_STR_EQ("<presence/>", b->parts[0].body);
	b = mem_deref(b);

	/* just the root */
	err = rlmi_body_decode(&b, CT_OK, P_RLMI "--b1--\r\n",
	                       strlen(P_RLMI "--b1--\r\n"), e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(0, b->n);
	TEST_ASSERT(!b->parts);
	TEST_EQ(1, b->rlmi->l.version);
out:
	mem_deref(b);
	return err;
}
