/* tests/unit/presence/test_compose.c - composition of a presentity's
 * sources (PRES-04, REQUIREMENTS D-04, D-05; seed 000 4.1.1-4.1.3,
 * 4.2.1.1, 4.2.1.3, 4.2.2.2) */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/util.h"
#include "pidf_test.h"
#include "presence/pidf.h"
#include "test.h"

#define BOB   "sip:bob@example.com"
#define ALICE "sip:alice@example.com"

/* Print, parse strictly, print again: the same bytes (valid output). */
static int checked_print(char **sp, const struct pidf *d)
{
	struct pidf *d2 = NULL;
	char *s2 = NULL;
	int err = pidf_test_print(sp, d);

	if (!err)
		err = pidf_test_parse(&d2, *sp, false);
	if (!err)
		err = pidf_test_print(&s2, d2);
	if (!err && strcmp(*sp, s2)) {
		test_fail(__FILE__, __LINE__, "reprint differs:\n%s\n%s", *sp,
		          s2);
		err = EINVAL;
	}
	if (err)
		*sp = mem_deref(*sp);
	mem_deref(s2);
	mem_deref(d2);
	return err;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

/* a appears before b in s */
static bool before(const char *s, const char *a, const char *b)
{
	const char *pa = strstr(s, a), *pb = strstr(s, b);

	return pa && pb && pa < pb;
}

static int tuple_index(const struct pidf *d, const char *id)
{
	for (size_t i = 0; i < pidf_tuple_count(d); i++) {
		if (!strcmp(pidf_tuple_id(d, i), id))
			return (int)i;
	}
	return -1;
}

TEST(test_compose_pc_and_phone)
{
	struct pidf *pc = NULL, *phone = NULL, *d = NULL;
	struct pres_source src[2];
	char *s = NULL;
	int err;

	err = pidf_test_load(&pc, "seed-4.1.2-pc-away.xml", false);
	TEST_ERR(err);
	err = pidf_test_load(&phone, "seed-4.1.2-phone.xml", false);
	TEST_ERR(err);
	src[0] = (struct pres_source){"pc-etag", PRES_SRC_PUBLISH, 2000, pc};
	src[1] = (struct pres_source){"ph-etag", PRES_SRC_PUBLISH, 1000, phone};
	err = pres_compose(&d, BOB, src, 2);
	TEST_ERR(err);
	TEST_STR_EQ(BOB, pidf_entity(d));
	TEST_EQ(2, pidf_tuple_count(d));
	/* ordered by updated_ms: the phone first */
	TEST_STR_EQ("fahsaf-hfes-89saf", pidf_tuple_id(d, 0));
	TEST_STR_EQ("frh78", pidf_tuple_id(d, 1));
	TEST_STR_EQ("open", pidf_tuple_basic(d, 0));
	TEST_STR_EQ("open", pidf_tuple_basic(d, 1));
	TEST_EQ(PRES_AVAIL_AWAY, pidf_avail(d));
	TEST_STR_EQ("I am Away from my computer now", pidf_note(d));
	err = checked_print(&s, d);
	TEST_ERR(err);
	TEST_EQ(1, count(s, "<dm:person id=\"bob\">"));
	TEST_EQ(1, count(s, "<rpid:away/>"));
	TEST_EQ(2, count(s, "<caps:servcaps>"));
	TEST_ASSERT(before(s, "<tuple id=\"frh78\">", "<dm:person"));
	TEST_ASSERT(before(s, "<rpid:note>", "<rpid:away/>"));
out:
	mem_deref(s);
	mem_deref(d);
	mem_deref(pc);
	mem_deref(phone);
	return err;
}

/* Composing one valid composed document gives it back. */
TEST(test_compose_idempotent)
{
	static const char *const files[] = {
	    "seed-4.1.1-notify.xml",     "seed-4.2.2.1-notify.xml",
	    "seed-4.2.2.2-dnd.xml",      "rfc4479-model.xml",
	    "rfc4480-rpid.xml",          "rfc3863-basic.xml",
	    "seed-4.2.1.3-calendar.xml",
	};
	struct pidf *in = NULL, *d = NULL;
	char *a = NULL, *b = NULL;
	int err = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct pres_source src = {"x", PRES_SRC_PUBLISH, 1, NULL};

		err = pidf_test_load(&in, files[i], false);
		TEST_ERR(err);
		src.doc = in;
		err = pres_compose(&d, pidf_entity(in), &src, 1);
		TEST_ERR(err);
		err = pidf_test_print(&a, in);
		TEST_ERR(err);
		err = checked_print(&b, d);
		TEST_ERR(err);
		/* the same but for the input's comments before the root */
		TEST_ASSERT(strstr(a, "<presence") && strstr(b, "<presence"));
		if (strcmp(strstr(a, "<presence"), strstr(b, "<presence")))
			test_fail(__FILE__, __LINE__, "%s:\n%s\n%s", files[i],
			          a, b);
		TEST_STR_EQ(strstr(a, "<presence"), strstr(b, "<presence"));
		a = mem_deref(a);
		b = mem_deref(b);
		d = mem_deref(d);
		in = mem_deref(in);
	}
out:
	mem_deref(a);
	mem_deref(b);
	mem_deref(d);
	mem_deref(in);
	return err;
}

TEST(test_compose_dnd_closes_tuples)
{
	struct pidf *pc = NULL, *phone = NULL, *d = NULL;
	struct pres_source src[2];
	char *s = NULL;
	int err;

	err = pidf_test_load(&pc, "seed-4.1.3-pc-dnd.xml", false);
	TEST_ERR(err);
	err = pidf_test_load(&phone, "seed-4.1.2-phone.xml", false);
	TEST_ERR(err);
	/* the phone publishes after the DND: DND still wins */
	src[0] = (struct pres_source){"pc", PRES_SRC_PUBLISH, 1000, pc};
	src[1] = (struct pres_source){"ph", PRES_SRC_PUBLISH, 2000, phone};
	err = pres_compose(&d, BOB, src, 2);
	TEST_ERR(err);
	TEST_EQ(2, pidf_tuple_count(d));
	TEST_STR_EQ("closed", pidf_tuple_basic(d, 0));
	TEST_STR_EQ("closed", pidf_tuple_basic(d, 1));
	TEST_EQ(PRES_AVAIL_DND, pidf_avail(d));
	err = checked_print(&s, d);
	TEST_ERR(err);
	TEST_EQ(0, count(s, "<basic>open</basic>"));
	TEST_EQ(2, count(s, "<basic>closed</basic>"));
	TEST_EQ(1, count(s, "<rpid:busy/>"));
	TEST_EQ(1, count(s, "<rpid:note>Do not disturb</rpid:note>"));
	s = mem_deref(s);
	d = mem_deref(d);
	pc = mem_deref(pc);

	/* the seed's form (000 4.2.2.2): RFC 4480 terms in the output, the
	 * user's note kept on the person */
	err = pidf_test_parse(
	    &pc,
	    "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	    "entity='sip:bob@example.com'><dm:person id='bob'>"
	    "<rpid:activities><rpid:do-not-disturb/>"
	    "<rpid:note> Busy fixing critical defect </rpid:note>"
	    "</rpid:activities></dm:person><tuple id='frh78'>"
	    "<status><basic>open</basic></status>"
	    "<contact>sip:bob@example.com</contact></tuple>"
	    "</presence>",
	    true);
	TEST_ERR(err);
	src[0].doc = pc;
	err = pres_compose(&d, BOB, src, 2);
	TEST_ERR(err);
	TEST_EQ(PRES_AVAIL_DND, pidf_avail(d));
	TEST_STR_EQ("closed", pidf_tuple_basic(d, 0));
	TEST_STR_EQ("closed", pidf_tuple_basic(d, 1));
	TEST_STR_EQ("Busy fixing critical defect", pidf_note(d));
	err = checked_print(&s, d);
	TEST_ERR(err);
	TEST_ASSERT(!strstr(s, "do-not-disturb"));
	TEST_ASSERT(strstr(s, "<rpid:activities>\n"
	                      "      <rpid:note>Do not disturb</rpid:note>\n"
	                      "      <rpid:busy/>\n"
	                      "    </rpid:activities>\n"
	                      "    <dm:note> Busy fixing critical defect "
	                      "</dm:note>"));
	/* the composed document read back (federation): still dnd */
	{
		struct pres_source again = {"up", PRES_SRC_BACKEND, 5, d};
		struct pidf *d2 = NULL;

		err = pres_compose(&d2, BOB, &again, 1);
		TEST_ERR(err);
		TEST_EQ(PRES_AVAIL_DND, pidf_avail(d2));
		mem_deref(d2);
	}
out:
	mem_deref(s);
	mem_deref(d);
	mem_deref(pc);
	mem_deref(phone);
	return err;
}

static const char two_tuples[] =
    "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
    "entity='sip:alice@example.com'>"
    "<tuple id='frh78'><status><basic>open</basic></status>"
    "<contact>sip:alice@pc2.example.com</contact></tuple>"
    "<tuple id='0983wqh'><status><basic>open</basic></status></tuple>"
    "</presence>";

TEST(test_compose_id_collision)
{
	struct pidf *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	struct pres_source src[3];
	char sfx[65], want[64];
	int err;

	err =
	    pidf_test_load(&a, "seed-4.2.2.2-dnd.xml", false); /* tuple frh78 */
	TEST_ERR(err);
	err = pidf_test_parse(&b, two_tuples, true);
	TEST_ERR(err);
	err = pidf_test_load(&c, "seed-4.2.1.1-phone.xml", false);
	TEST_ERR(err);
	sha256_hex(sfx, "etag-b", 6);
	snprintf(want, sizeof(want), "frh78-%.6s", sfx);

	src[0] = (struct pres_source){"etag-a", PRES_SRC_PUBLISH, 100, a};
	src[1] = (struct pres_source){"etag-b", PRES_SRC_PUBLISH, 200, b};
	err = pres_compose(&d, ALICE, src, 2);
	TEST_ERR(err);
	TEST_EQ(3, pidf_tuple_count(d));
	TEST_STR_EQ("frh78", pidf_tuple_id(d, 0));
	TEST_STR_EQ(want, pidf_tuple_id(d, 1));
	/* not a valid XML ID in the source: made one */
	TEST_STR_EQ("t0983wqh", pidf_tuple_id(d, 2));
	d = mem_deref(d);

	/* a third source and another order of the array: the same ids */
	src[2] = src[0];
	src[0] = (struct pres_source){"etag-c", PRES_SRC_PUBLISH, 150, c};
	err = pres_compose(&d, ALICE, src, 3);
	TEST_ERR(err);
	TEST_EQ(4, pidf_tuple_count(d));
	TEST_ASSERT(tuple_index(d, "frh78") >= 0);
	TEST_ASSERT(tuple_index(d, want) >= 0);
	TEST_ASSERT(tuple_index(d, "t0983wqh") >= 0);
	TEST_ASSERT(tuple_index(d, "fabfa341") >= 0);
	TEST_ASSERT(tuple_index(d, want) > tuple_index(d, "frh78"));
	d = mem_deref(d);

	/* the same source id twice (never in practice): still unique */
	src[0] = (struct pres_source){"etag-b", PRES_SRC_PUBLISH, 300, b};
	err = pres_compose(&d, ALICE, src, 3);
	TEST_ERR(err);
	TEST_EQ(5, pidf_tuple_count(d));
	snprintf(want, sizeof(want), "frh78-%.6s-2", sfx);
	TEST_ASSERT(tuple_index(d, want) >= 0);
	snprintf(want, sizeof(want), "t0983wqh-%.6s", sfx);
	TEST_ASSERT(tuple_index(d, want) >= 0);
	d = mem_deref(d);

	/* alone, b keeps its ids */
	err = pres_compose(&d, ALICE, &src[1], 1);
	TEST_ERR(err);
	TEST_STR_EQ("frh78", pidf_tuple_id(d, 0));
	d = mem_deref(d);

	/* a modifies after b (updated later) but began first: b keeps the
	 * renamed id, the rename does not move (D-05) */
	snprintf(want, sizeof(want), "frh78-%.6s", sfx);
	src[0] = (struct pres_source){"etag-a", PRES_SRC_PUBLISH, 900, a, 100};
	src[1] = (struct pres_source){"etag-b", PRES_SRC_PUBLISH, 200, b, 200};
	err = pres_compose(&d, ALICE, src, 2);
	TEST_ERR(err);
	TEST_ASSERT(tuple_index(d, "frh78") >= 0);
	TEST_ASSERT(tuple_index(d, want) >= 0);
	TEST_ASSERT(tuple_index(d, want) > tuple_index(d, "frh78"));
out:
	mem_deref(d);
	mem_deref(a);
	mem_deref(b);
	mem_deref(c);
	return err;
}

TEST(test_compose_expired_source_removed)
{
	struct pidf *pc = NULL, *phone = NULL, *d = NULL;
	struct pres_source src[2];
	int err;

	err = pidf_test_load(&pc, "seed-4.1.2-pc-away.xml", false);
	TEST_ERR(err);
	err = pidf_test_load(&phone, "seed-4.1.2-phone.xml", false);
	TEST_ERR(err);
	src[0] = (struct pres_source){"pc", PRES_SRC_PUBLISH, 10, pc};
	src[1] = (struct pres_source){"ph", PRES_SRC_PUBLISH, 20, phone};
	err = pres_compose(&d, BOB, src, 2);
	TEST_ERR(err);
	TEST_EQ(2, pidf_tuple_count(d));
	d = mem_deref(d);
	/* the phone's publication expired: composed without it */
	err = pres_compose(&d, BOB, src, 1);
	TEST_ERR(err);
	TEST_EQ(1, pidf_tuple_count(d));
	TEST_STR_EQ("frh78", pidf_tuple_id(d, 0));
	TEST_EQ(-1, tuple_index(d, "fahsaf-hfes-89saf"));
	d = mem_deref(d);
	/* and the PC's: the person goes with it */
	err = pres_compose(&d, BOB, &src[1], 1);
	TEST_ERR(err);
	TEST_EQ(1, pidf_tuple_count(d));
	TEST_EQ(PRES_AVAIL_AVAILABLE, pidf_avail(d));
	TEST_ASSERT(pidf_note(d) == NULL);
	d = mem_deref(d);
	/* nothing left: offline, and exactly the polite-block document */
	err = pres_compose(&d, BOB, NULL, 0);
	TEST_ERR(err);
	TEST_EQ(1, pidf_tuple_count(d));
	TEST_STR_EQ("closed", pidf_tuple_basic(d, 0));
	TEST_EQ(PRES_AVAIL_OFFLINE, pidf_avail(d));
	TEST_STR_EQ(BOB, pidf_entity(d));
	{
		struct pidf *pol = NULL;
		struct buf *m1 = NULL, *m2 = NULL;

		err = pidf_polite(&pol, BOB);
		if (!err)
			err = pidf_print(&m1, d);
		if (!err)
			err = pidf_print(&m2, pol);
		if (!err &&
		    (m1->end != m2->end || memcmp(m1->b, m2->b, m1->end)))
			err = EINVAL;
		mem_deref(pol);
		mem_deref(m1);
		mem_deref(m2);
		TEST_ERR(err);
	}
out:
	mem_deref(d);
	mem_deref(pc);
	mem_deref(phone);
	return err;
}

static void
permute(struct pres_source *v, size_t n, size_t k,
        void (*fn)(const struct pres_source *v, size_t n, void *arg), void *arg)
{
	if (k == n) {
		fn(v, n, arg);
		return;
	}
	for (size_t i = k; i < n; i++) {
		struct pres_source t = v[k];

		v[k] = v[i];
		v[i] = t;
		permute(v, n, k + 1, fn, arg);
		v[i] = v[k];
		v[k] = t;
	}
}

struct perm_state {
	char *first;
	int err;
	unsigned runs;
};

static void perm_one(const struct pres_source *v, size_t n, void *arg)
{
	struct perm_state *st = arg;
	struct pidf *d = NULL;
	char *s = NULL;
	int err;

	if (st->err)
		return;
	err = pres_compose(&d, ALICE, v, n);
	if (!err)
		err = pidf_test_print(&s, d);
	if (!err && !st->first) {
		st->first = s;
		s = NULL;
	} else if (!err && strcmp(st->first, s)) {
		test_fail(__FILE__, __LINE__,
		          "order changed the result:\n%s\n%s", st->first, s);
		err = EINVAL;
	}
	st->runs += !err;
	st->err = err;
	mem_deref(s);
	mem_deref(d);
}

TEST(test_compose_order_independent)
{
	struct pidf *pc = NULL, *phone = NULL, *cal = NULL, *reg = NULL;
	struct pidf *pc2 = NULL;
	struct pres_source src[5];
	struct perm_state st = {NULL, 0, 0};
	const struct pidf_tuple_spec rt = {
	    "frh78", true, "sip:alice@192.0.2.9", 0,
	    NULL,    NULL, PIDF_CAP_AUDIO,        0};
	int err;

	err = pidf_test_load(&pc, "seed-4.2.1.1-pc.xml", false);
	TEST_ERR(err);
	err = pidf_test_load(&phone, "seed-4.2.1.1-phone.xml", false);
	TEST_ERR(err);
	err = pidf_test_load(&cal, "seed-4.2.1.3-calendar.xml", false);
	TEST_ERR(err);
	err = pidf_test_load(&pc2, "seed-4.2.2.2-dnd.xml", false);
	TEST_ERR(err);
	err = pidf_build(&reg, ALICE, &rt, 1);
	TEST_ERR(err);
	src[0] = (struct pres_source){"a1", PRES_SRC_PUBLISH, 30, pc};
	src[1] = (struct pres_source){"b2", PRES_SRC_PUBLISH, 10, phone};
	src[2] = (struct pres_source){"cal", PRES_SRC_TRUSTED, 20, cal};
	src[3] = (struct pres_source){"reg", PRES_SRC_REGISTRATION, 5, reg};
	permute(src, 4, 0, perm_one, &st);
	err = st.err;
	TEST_ERR(err);
	TEST_EQ(24, st.runs);
	/* calendar busy beats the PC's later "active" person */
	TEST_ASSERT(strstr(st.first, "<rpid:meeting/>"));
	TEST_ASSERT(strstr(st.first, "<rpid:class>calendar</rpid:class>"));
	st.first = mem_deref(st.first);
	st.runs = 0;

	/* five sources, two with the same time (ordered by id): every
	 * rotation, forwards and backwards */
	src[4] = (struct pres_source){"a0", PRES_SRC_PUBLISH, 30, pc2};
	for (size_t r = 0; r < 10; r++) {
		struct pres_source v[5];

		for (size_t i = 0; i < 5; i++)
			v[i] = src[(r < 5 ? i + r : 4 - i + r) % 5];
		perm_one(v, 5, &st);
	}
	err = st.err;
	TEST_ERR(err);
	TEST_EQ(10, st.runs);
	TEST_ASSERT(strstr(st.first, "<rpid:busy/>"));
	TEST_EQ(0, count(st.first, "<basic>open</basic>"));
out:
	mem_deref(st.first);
	mem_deref(pc);
	mem_deref(pc2);
	mem_deref(phone);
	mem_deref(cal);
	mem_deref(reg);
	return err;
}

TEST(test_compose_registration)
{
	struct pidf *reg = NULL, *pub = NULL, *d = NULL;
	struct pres_source src[2];
	struct pidf_tuple_spec rt[2] = {
	    {"reg-1", true, "sip:alice@192.0.2.1:5060", 1000,
	     "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", NULL, 0, 0},
	    {"reg-2", true, "sip:alice@198.51.100.2", 0, NULL, NULL, 0, 0},
	};
	char *s = NULL;
	int err;

	rt[0].caps = pidf_caps_from_params(
	    ";audio;video;+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-"
	    "00a0c91e6bf6>\";methods=\"INVITE,MESSAGE\";mobility=\"mobile\"");
	TEST_EQ(PIDF_CAP_AUDIO | PIDF_CAP_VIDEO | PIDF_CAP_MESSAGE |
	            PIDF_CAP_MOBILITY_MOBILE,
	        rt[0].caps);
	rt[1].caps = pidf_caps_from_params(";text");
	err = pidf_build(&reg, ALICE, rt, 2);
	TEST_ERR(err);

	/* only registered: open tuples with servcaps from feature tags */
	src[0] = (struct pres_source){"reg", PRES_SRC_REGISTRATION, 1, reg};
	err = pres_compose(&d, ALICE, src, 1);
	TEST_ERR(err);
	TEST_EQ(2, pidf_tuple_count(d));
	TEST_STR_EQ("open", pidf_tuple_basic(d, 0));
	TEST_EQ(PRES_AVAIL_AVAILABLE, pidf_avail(d));
	err = checked_print(&s, d);
	TEST_ERR(err);
	TEST_ASSERT(strstr(s, "<caps:servcaps>\n"
	                      "      <caps:audio>true</caps:audio>\n"
	                      "      <caps:methods>\n"
	                      "        <caps:supported>\n"
	                      "          <caps:MESSAGE/>\n"
	                      "        </caps:supported>\n"
	                      "      </caps:methods>\n"
	                      "      <caps:video>true</caps:video>\n"
	                      "    </caps:servcaps>"));
	TEST_ASSERT(strstr(s, "<caps:text>true</caps:text>"));
	TEST_ASSERT(strstr(s, "<caps:mobile/>"));
	TEST_ASSERT(strstr(s, "<dm:device id=\"dev-reg-1\">"));
	s = mem_deref(s);
	d = mem_deref(d);

	/* the device publishes for itself (same deviceID): its registration
	 * tuple goes; the other registered contact stays */
	err = pidf_test_parse(
	    &pub,
	    "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	    "xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
	    "xmlns:rpid='urn:ietf:params:xml:ns:pidf:rpid' "
	    "entity='sip:alice@example.com'>"
	    "<tuple id='pc'><status><basic>closed</basic></status>"
	    "<dm:deviceID>urn:uuid:F81D4FAE-7DEC-11D0-A765-"
	    "00A0C91E6BF6</dm:deviceID></tuple>"
	    "<dm:person id='alice'><rpid:activities><rpid:away/>"
	    "</rpid:activities></dm:person></presence>",
	    false);
	TEST_ERR(err);
	src[1] = (struct pres_source){"p1", PRES_SRC_PUBLISH, 2, pub};
	err = pres_compose(&d, ALICE, src, 2);
	TEST_ERR(err);
	TEST_EQ(2, pidf_tuple_count(d));
	TEST_EQ(-1, tuple_index(d, "reg-1"));
	TEST_ASSERT(tuple_index(d, "reg-2") >= 0);
	TEST_ASSERT(tuple_index(d, "pc") >= 0);
	TEST_EQ(PRES_AVAIL_AWAY, pidf_avail(d));
	d = mem_deref(d);
	pub = mem_deref(pub);

	/* same contact URI */
	err = pidf_test_parse(
	    &pub,
	    "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	    "entity='sip:alice@example.com'>"
	    "<tuple id='x'><status><basic>closed</basic></status>"
	    "<contact> sip:alice@198.51.100.2 </contact></tuple>"
	    "</presence>",
	    false);
	TEST_ERR(err);
	src[1].doc = pub;
	err = pres_compose(&d, ALICE, src, 2);
	TEST_ERR(err);
	TEST_EQ(2, pidf_tuple_count(d));
	TEST_ASSERT(tuple_index(d, "reg-1") >= 0);
	TEST_EQ(-1, tuple_index(d, "reg-2"));
out:
	mem_deref(s);
	mem_deref(d);
	mem_deref(reg);
	mem_deref(pub);
	return err;
}

TEST(test_compose_person_policy)
{
	static const char reg_person[] =
	    "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	    "xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
	    "xmlns:rpid='urn:ietf:params:xml:ns:pidf:rpid' "
	    "entity='sip:alice@example.com'>"
	    "<tuple id='r'><status><basic>open</basic></status></tuple>"
	    "<dm:person id='reg'><rpid:activities><rpid:busy/>"
	    "</rpid:activities></dm:person></presence>";
	static const char pc_active[] =
	    "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	    "xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
	    "entity='sip:alice@example.com'>"
	    "<tuple id='pc'><status><basic>open</basic></status></tuple>"
	    "<dm:person id='alice'><dm:note>At work</dm:note></dm:person>"
	    "</presence>";
	struct pidf *reg = NULL, *pc = NULL, *cal = NULL, *away = NULL;
	struct pidf *d = NULL;
	struct pres_source src[3];
	int err;

	err = pidf_test_parse(&reg, reg_person, false);
	TEST_ERR(err);
	err = pidf_test_parse(&pc, pc_active, false);
	TEST_ERR(err);
	err = pidf_test_load(&cal, "seed-4.2.1.3-calendar.xml", false);
	TEST_ERR(err);
	err = pidf_test_load(&away, "seed-4.1.2-pc-away.xml", false);
	TEST_ERR(err);

	/* a registration-derived person never overrides a published one,
	 * even newer and busier */
	src[0] = (struct pres_source){"pc", PRES_SRC_PUBLISH, 1, pc};
	src[1] = (struct pres_source){"reg", PRES_SRC_REGISTRATION, 9, reg};
	err = pres_compose(&d, ALICE, src, 2);
	TEST_ERR(err);
	TEST_EQ(PRES_AVAIL_AVAILABLE, pidf_avail(d));
	TEST_STR_EQ("At work", pidf_note(d));
	d = mem_deref(d);
	/* ... but it is used when nothing else has a person */
	err = pres_compose(&d, ALICE, &src[1], 1);
	TEST_ERR(err);
	TEST_EQ(PRES_AVAIL_BUSY, pidf_avail(d));
	d = mem_deref(d);

	/* an older calendar "meeting" beats a newer "available" */
	src[0] = (struct pres_source){"cal", PRES_SRC_TRUSTED, 1, cal};
	src[1] = (struct pres_source){"pc", PRES_SRC_PUBLISH, 2, pc};
	err = pres_compose(&d, ALICE, src, 2);
	TEST_ERR(err);
	TEST_EQ(PRES_AVAIL_BUSY, pidf_avail(d));
	TEST_STR_EQ("I am in a Meeting", pidf_note(d));
	d = mem_deref(d);
	/* and a newer "away": busy is the stronger */
	src[1] = (struct pres_source){"away", PRES_SRC_PUBLISH, 2, away};
	err = pres_compose(&d, ALICE, src, 2);
	TEST_ERR(err);
	TEST_EQ(PRES_AVAIL_BUSY, pidf_avail(d));
	d = mem_deref(d);
	/* equal strength: the most recent */
	src[0] = (struct pres_source){"pc", PRES_SRC_PUBLISH, 5, pc};
	src[1] = (struct pres_source){"pc2", PRES_SRC_PUBLISH, 3, pc};
	src[2] = (struct pres_source){"old", PRES_SRC_PUBLISH, 4, reg};
	err = pres_compose(&d, ALICE, src, 3);
	TEST_ERR(err);
	TEST_EQ(PRES_AVAIL_BUSY, pidf_avail(d));
	TEST_EQ(3, pidf_tuple_count(d));
out:
	mem_deref(d);
	mem_deref(reg);
	mem_deref(pc);
	mem_deref(cal);
	mem_deref(away);
	return err;
}

TEST(test_compose_seed_forms_made_valid)
{
	/* 000 4.2.1.1 F2 as the seed writes it (lenient input) */
	static const char seed_pc[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"\n"
	    " xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\"\n"
	    " xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\"\n"
	    " entity=\"sip:alice@example.com\">\n"
	    "<dm:person id=\"alice\">\n"
	    " <rpid:activities>\n"
	    "  <available/>\n"
	    "  <rpid:note>I am Active </rpid:note>\n"
	    "  <rpid:lunching/>\n"
	    " </rpid:activities>\n"
	    " <note>pidf-namespace note</note>\n"
	    " <ex:mood-ring xmlns:ex=\"urn:example:ring\">teal</ex:mood-ring>\n"
	    "</dm:person>\n"
	    "<tuple id=\"0983wqh\">\n"
	    " <contact priority=\"0.5\">sip:alice@example.com</contact>\n"
	    " <sc:servcaps>\n"
	    "  <sc:text>true</sc:text>\n"
	    " </sc:servcaps>\n"
	    " <user-input>active</user-input>\n"
	    " <status>\n"
	    "  <basic>open</basic>\n"
	    " </status>\n"
	    " <ex:where xmlns:ex=\"urn:example:where\">desk</ex:where>\n"
	    "</tuple>\n"
	    "<ex:top xmlns:ex=\"urn:example:top\">kept</ex:top>\n"
	    "</presence>\n";
	const char *expect =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
	    "xmlns:caps=\"urn:ietf:params:xml:ns:pidf:caps\" "
	    "xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" "
	    "xmlns:ns1=\"urn:example:where\" "
	    "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" "
	    "xmlns:ex=\"urn:example:ring\" xmlns:ns2=\"urn:example:top\" "
	    "entity=\"sip:alice@example.com\">\n"
	    "  <tuple id=\"fabfa341\">\n"
	    "    <status>\n"
	    "      <basic>open</basic>\n"
	    "    </status>\n"
	    "    <caps:servcaps>\n"
	    "      <caps:audio>true</caps:audio>\n"
	    "    </caps:servcaps>\n"
	    "    <contact priority=\"0.8\">sip:85551234@64.102.224.56"
	    "</contact>\n"
	    "  </tuple>\n"
	    "  <tuple id=\"t0983wqh\">\n"
	    "    <status>\n"
	    "      <basic>open</basic>\n"
	    "    </status>\n"
	    "    <caps:servcaps>\n"
	    "      <caps:text>true</caps:text>\n"
	    "    </caps:servcaps>\n"
	    "    <rpid:user-input>active</rpid:user-input>\n"
	    "    <ns1:where>desk</ns1:where>\n"
	    "    <contact priority=\"0.5\">sip:alice@example.com</contact>\n"
	    "  </tuple>\n"
	    "  <dm:person id=\"alice\">\n"
	    "    <rpid:activities>\n"
	    "      <rpid:note>I am Active </rpid:note>\n"
	    "      <rpid:other>lunching</rpid:other>\n"
	    "    </rpid:activities>\n"
	    "    <ex:mood-ring>teal</ex:mood-ring>\n"
	    "    <dm:note>pidf-namespace note</dm:note>\n"
	    "  </dm:person>\n"
	    "  <ns2:top>kept</ns2:top>\n"
	    "</presence>\n";
	struct pidf *pc = NULL, *phone = NULL, *d = NULL;
	struct pres_source src[2];
	char *s = NULL;
	int err;

	err = pidf_test_parse(&pc, seed_pc, true);
	TEST_ERR(err);
	err = pidf_test_load(&phone, "seed-4.2.1.1-phone.xml", false);
	TEST_ERR(err);
	src[0] = (struct pres_source){"pc", PRES_SRC_PUBLISH, 7, pc};
	src[1] = (struct pres_source){"phone", PRES_SRC_BACKEND, 3, phone};
	err = pres_compose(&d, ALICE, src, 2);
	TEST_ERR(err);
	err = checked_print(&s, d);
	TEST_ERR(err);
	if (strcmp(expect, s))
		test_fail(__FILE__, __LINE__, "got:\n%s", s);
	TEST_STR_EQ(expect, s);
	s = mem_deref(s);
	d = mem_deref(d);
	pc = mem_deref(pc);

	/* only the seed's <available/>: the activities go, the note moves */
	err = pidf_test_parse(
	    &pc,
	    "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	    "entity='sip:bob@example.com'><tuple id='frh78'>"
	    "<status><basic>open</basic></status></tuple>"
	    "<dm:person id='bob'><rpid:activities><rpid:available/>"
	    "<rpid:note>I am Active</rpid:note></rpid:activities>"
	    "</dm:person></presence>",
	    true);
	TEST_ERR(err);
	src[0].doc = pc;
	err = pres_compose(&d, BOB, src, 1);
	TEST_ERR(err);
	err = checked_print(&s, d);
	TEST_ERR(err);
	TEST_ASSERT(!strstr(s, "activities"));
	TEST_ASSERT(!strstr(s, "available"));
	TEST_ASSERT(strstr(s, "<dm:person id=\"bob\">\n"
	                      "    <dm:note>I am Active</dm:note>\n"
	                      "  </dm:person>"));
	TEST_EQ(PRES_AVAIL_AVAILABLE, pidf_avail(d));
out:
	mem_deref(s);
	mem_deref(d);
	mem_deref(pc);
	mem_deref(phone);
	return err;
}

TEST(test_compose_devices_and_ids)
{
	static const char fmt[] =
	    "<presence xmlns='urn:ietf:params:xml:ns:pidf' "
	    "xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
	    "entity='sip:carol@example.com'>"
	    "<tuple id='%s'><status><basic>open</basic></status></tuple>"
	    "<dm:device id='%s'><dm:deviceID>%s</dm:deviceID>"
	    "<dm:note>%s</dm:note></dm:device>"
	    "<dm:device id='nodevid'/>"
	    "</presence>";
	char xml[1024];
	struct pidf *a = NULL, *b = NULL, *d = NULL;
	struct pres_source src[2];
	char *s = NULL;
	int err;

	snprintf(xml, sizeof(xml), fmt, "dev", "dev", "urn:uuid:1", "old");
	err = pidf_test_parse(&a, xml, false);
	TEST_ERR(err);
	snprintf(xml, sizeof(xml), fmt, "t2", "d2", "urn:uuid:1", "new");
	err = pidf_test_parse(&b, xml, false);
	TEST_ERR(err);
	src[0] = (struct pres_source){"sa", PRES_SRC_PUBLISH, 1, a};
	src[1] = (struct pres_source){"sb", PRES_SRC_PUBLISH, 2, b};
	err = pres_compose(&d, "sip:carol@example.com", src, 2);
	TEST_ERR(err);
	err = checked_print(&s, d);
	TEST_ERR(err);
	/* one device (the newer one), no device without deviceID */
	TEST_EQ(1, count(s, "<dm:device "));
	TEST_ASSERT(strstr(s, "<dm:note>new</dm:note>"));
	TEST_ASSERT(!strstr(s, "nodevid"));
	TEST_ASSERT(strstr(s, "<dm:device id=\"d2\">"));
	s = mem_deref(s);
	d = mem_deref(d);

	/* a device id taken by a tuple gets the source suffix */
	snprintf(xml, sizeof(xml), fmt, "t9", "dev", "urn:uuid:1", "newer");
	b = mem_deref(b);
	err = pidf_test_parse(&b, xml, false);
	TEST_ERR(err);
	src[1].doc = b;
	err = pres_compose(&d, "sip:carol@example.com", src, 2);
	TEST_ERR(err);
	err = checked_print(&s, d);
	TEST_ERR(err);
	{
		char sfx[65], want[64];

		sha256_hex(sfx, "sb", 2);
		snprintf(want, sizeof(want), "<dm:device id=\"dev-%.6s\">",
		         sfx);
		TEST_ASSERT(strstr(s, want));
	}
	TEST_ASSERT(strstr(s, "<dm:note>newer</dm:note>"));
out:
	mem_deref(s);
	mem_deref(d);
	mem_deref(a);
	mem_deref(b);
	return err;
}

TEST(test_compose_bad_args)
{
	struct pidf *d = NULL, *x = NULL;
	struct pres_source src = {"a", PRES_SRC_PUBLISH, 1, NULL};
	int err;

	err = pres_compose(&d, "bob", NULL, 0);
	TEST_ERR_EQ(EINVAL, err);
	err = pres_compose(&d, NULL, NULL, 0);
	TEST_ERR_EQ(EINVAL, err);
	err = pres_compose(NULL, BOB, NULL, 0);
	TEST_ERR_EQ(EINVAL, err);
	err = pres_compose(&d, BOB, NULL, 1);
	TEST_ERR_EQ(EINVAL, err);
	err = pres_compose(&d, BOB, &src, 1);
	TEST_ERR_EQ(EINVAL, err);
	TEST_ASSERT(d == NULL);
	/* a source's entity does not matter: the presentity's is used */
	err = pidf_polite(&x, "sip:someone@example.org");
	TEST_ERR(err);
	src.doc = x;
	err = pres_compose(&d, BOB, &src, 1);
	TEST_ERR(err);
	TEST_STR_EQ(BOB, pidf_entity(d));
out:
	mem_deref(x);
	mem_deref(d);
	return err;
}
