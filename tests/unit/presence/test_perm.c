/* tests/unit/presence/test_perm.c - presence permissions: copy, merge
 * (RFC 4745 10.2) and the sharing key */
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "presence/pidf.h"
#include "presence/rules.h"
#include "test.h"

/* The permission of one rule with these transformations and
 * sub-handling (made through the rules parser: the only maker of item
 * lists). */
static int perm_of(struct pres_perm *p, const char *handling,
                   const char *transformations)
{
	static const char fmt[] =
	    "<cp:ruleset xmlns:cp=\"urn:ietf:params:xml:ns:common-policy\" "
	    "xmlns:pr=\"urn:ietf:params:xml:ns:pres-rules\"><cp:rule id=\"r\">"
	    "<cp:actions><pr:sub-handling>%s</pr:sub-handling></cp:actions>"
	    "<cp:transformations>%s</cp:transformations></cp:rule>"
	    "</cp:ruleset>";
	struct pres_watcher w = {"sip:w@example.com", true};
	struct pres_rules *r = NULL;
	char xml[2048], e[128];
	int n, err;

	n = snprintf(xml, sizeof(xml), fmt, handling, transformations);
	if (n < 0 || (size_t)n >= sizeof(xml))
		return EINVAL;
	err = pres_rules_parse(&r, xml, (size_t)n, e, sizeof(e));
	if (err) {
		if (err != ENOMEM)
			test_fail(__FILE__, __LINE__, "%s", e);
		return err;
	}
	if (!pres_rules_eval(r, &w, NULL, 0, p))
		err = EINVAL;
	mem_deref(r);
	return err;
}

static bool has(const struct pres_perm_set *s, const char *item)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (!strcmp(s->items[i], item))
			return true;
	return false;
}

#define SVC(x) "<pr:provide-services>" x "</pr:provide-services>"
#define PER(x) "<pr:provide-persons>" x "</pr:provide-persons>"
#define DEV(x) "<pr:provide-devices>" x "</pr:provide-devices>"
#define CLS(x) "<pr:class>" x "</pr:class>"

TEST(test_perm_init_full_reset)
{
	struct pres_perm p, q;
	int err = 0;

	pres_perm_init(&p);
	TEST_EQ(PRES_BLOCK, p.sub_handling);
	TEST_EQ(0, p.attrs);
	TEST_EQ(PRES_UI_FALSE, p.user_input);
	TEST_ASSERT(!p.devices.all && !p.persons.all && !p.services.all);
	TEST_ASSERT(!p.unknown.all && !p.unknown.items && !p.unknown.n);

	pres_perm_full(&q, PRES_CONFIRM);
	TEST_EQ(PRES_CONFIRM, q.sub_handling);
	TEST_ASSERT(q.devices.all && q.persons.all && q.services.all);
	TEST_ASSERT(q.unknown.all);
	TEST_ASSERT(q.attrs & PRES_ATTR_ALL);
	TEST_ASSERT(q.attrs & PRES_ATTR_NOTE);
	TEST_ASSERT(q.attrs & PRES_ATTR_ACTIVITIES);
	TEST_EQ(PRES_UI_FULL, q.user_input);

	pres_perm_reset(&q);
	TEST_EQ(PRES_BLOCK, q.sub_handling);
	TEST_EQ(0, q.attrs);
	TEST_ASSERT(!q.services.all);
	pres_perm_reset(NULL);
	pres_perm_init(NULL);
out:
	return err;
}

TEST(test_perm_copy)
{
	struct pres_perm a, b;
	char ka[33], kb[33];
	int err;

	pres_perm_init(&a);
	pres_perm_init(&b);
	err = perm_of(&a, "allow",
	              SVC(CLS("business") "<pr:service-uri>sip:x@example.com"
	                                  "</pr:service-uri>")
	                  DEV(CLS("phone")) "<pr:provide-note>true"
	                                    "</pr:provide-note>");
	TEST_ERR(err);
	err = pres_perm_copy(&b, &a);
	TEST_ERR(err);
	TEST_EQ(PRES_ALLOW, b.sub_handling);
	TEST_EQ(PRES_ATTR_NOTE, b.attrs);
	TEST_EQ(2, b.services.n);
	TEST_ASSERT(has(&b.services, "class:business"));
	TEST_ASSERT(has(&b.services, "uri:sip:x@example.com"));
	TEST_EQ(1, b.devices.n);
	pres_perm_key(&a, ka);
	pres_perm_key(&b, kb);
	TEST_STR_EQ(ka, kb);
	/* the copy lives on without the original */
	pres_perm_reset(&a);
	TEST_ASSERT(has(&b.services, "class:business"));
	TEST_ASSERT(has(&b.devices, "class:phone"));
	pres_perm_key(&b, kb);
	TEST_STR_EQ(ka, kb);
	TEST_ERR_EQ(EINVAL, pres_perm_copy(NULL, &b));
	TEST_ERR_EQ(EINVAL, pres_perm_copy(&a, NULL));
out:
	pres_perm_reset(&a);
	pres_perm_reset(&b);
	return err;
}

TEST(test_perm_merge_union)
{
	struct pres_perm a, b, c;
	char k1[33], k2[33];
	int err;

	pres_perm_init(&a);
	pres_perm_init(&b);
	pres_perm_init(&c);
	err = perm_of(
	    &a, "confirm",
	    SVC(CLS("a") CLS("b")) PER(CLS(
	        "home")) "<pr:provide-note>true</pr:provide-note>"
	                 "<pr:provide-user-input>bare-minimum"
	                 "</pr:provide-user-input>"
	                 "<pr:provide-unknown-attribute ns=\"urn:g\" "
	                 "name=\"lvl\">true</pr:provide-unknown-attribute>");
	TEST_ERR(err);
	err = perm_of(
	    &b, "polite-block",
	    SVC(CLS("b") CLS("c")) DEV(
	        "<pr:all-devices/>") "<pr:provide-mood>true</pr:provide-mood>"
	                             "<pr:provide-user-input>full</"
	                             "pr:provide-user-input>"
	                             "<pr:provide-unknown-attribute "
	                             "ns=\"urn:g\" "
	                             "name=\"xp\">true</"
	                             "pr:provide-unknown-attribute>");
	TEST_ERR(err);
	err = pres_perm_copy(&c, &a);
	TEST_ERR(err);
	pres_perm_key(&c, k1);

	err = pres_perm_merge(&c, &b);
	if (err) {
		/* a failed merge leaves dst as it was */
		pres_perm_key(&c, k2);
		TEST_STR_EQ(k1, k2);
		TEST_EQ(PRES_CONFIRM, c.sub_handling);
		err = ENOMEM;
		goto out;
	}
	TEST_EQ(PRES_POLITE_BLOCK, c.sub_handling);
	TEST_EQ(3, c.services.n);
	TEST_ASSERT(has(&c.services, "class:a"));
	TEST_ASSERT(has(&c.services, "class:b"));
	TEST_ASSERT(has(&c.services, "class:c"));
	TEST_EQ(1, c.persons.n);
	TEST_ASSERT(c.devices.all);
	TEST_EQ(0, c.devices.n);
	TEST_EQ(PRES_ATTR_NOTE | PRES_ATTR_MOOD, c.attrs);
	TEST_EQ(PRES_UI_FULL, c.user_input);
	TEST_EQ(2, c.unknown.n);
	TEST_ASSERT(has(&c.unknown, "urn:g lvl"));
	TEST_ASSERT(has(&c.unknown, "urn:g xp"));
	/* the inputs are untouched */
	TEST_EQ(2, a.services.n);
	TEST_EQ(2, b.services.n);
	TEST_ASSERT(!a.devices.all);

	/* merging again changes nothing; merging nothing changes nothing */
	pres_perm_key(&c, k1);
	err = pres_perm_merge(&c, &b);
	TEST_ERR(err);
	err = pres_perm_merge(&c, &a);
	TEST_ERR(err);
	pres_perm_reset(&a);
	err = pres_perm_merge(&c, &a);
	TEST_ERR(err);
	pres_perm_key(&c, k2);
	TEST_STR_EQ(k1, k2);
	TEST_EQ(3, c.services.n);
	TEST_EQ(PRES_POLITE_BLOCK, c.sub_handling);
	TEST_ERR_EQ(EINVAL, pres_perm_merge(NULL, &a));
out:
	pres_perm_reset(&a);
	pres_perm_reset(&b);
	pres_perm_reset(&c);
	return err;
}

TEST(test_perm_merge_all)
{
	struct pres_perm a, b;
	int err;

	pres_perm_init(&a);
	pres_perm_init(&b);
	err = perm_of(&a, "allow", SVC(CLS("a")) PER(CLS("p")));
	TEST_ERR(err);
	pres_perm_full(&b, PRES_CONFIRM);
	/* all-X absorbs the items */
	err = pres_perm_merge(&a, &b);
	TEST_ERR(err);
	TEST_ASSERT(a.services.all && a.persons.all && a.devices.all);
	TEST_EQ(0, a.services.n);
	TEST_ASSERT(a.services.items == NULL);
	TEST_EQ(PRES_ALLOW, a.sub_handling);
	TEST_EQ(PRES_UI_FULL, a.user_input);
	/* and stays when items come later */
	pres_perm_reset(&b);
	err = perm_of(&b, "block", SVC(CLS("z")));
	TEST_ERR(err);
	err = pres_perm_merge(&a, &b);
	TEST_ERR(err);
	TEST_ASSERT(a.services.all);
	TEST_EQ(0, a.services.n);
out:
	pres_perm_reset(&a);
	pres_perm_reset(&b);
	return err;
}

TEST(test_perm_key_equal)
{
	struct pres_perm a, b, ab, ba, full1, full2;
	char k1[33], k2[33];
	int err;

	pres_perm_init(&a);
	pres_perm_init(&b);
	pres_perm_init(&ab);
	pres_perm_init(&ba);
	pres_perm_full(&full1, PRES_ALLOW);
	pres_perm_full(&full2, PRES_POLITE_BLOCK);

	/* two empty permissions */
	pres_perm_key(&a, k1);
	pres_perm_key(&b, k2);
	TEST_STR_EQ(k1, k2);
	TEST_EQ(32, strlen(k1));
	for (size_t i = 0; i < 32; i++)
		TEST_ASSERT(strchr("0123456789abcdef", k1[i]));

	/* the order items came in does not matter, nor the sub-handling */
	err = perm_of(&a, "allow",
	              SVC(CLS("x") CLS("y")) "<pr:provide-note>true"
	                                     "</pr:provide-note>");
	TEST_ERR(err);
	err = perm_of(&b, "confirm",
	              SVC(CLS("z") CLS("y")) "<pr:provide-mood>true"
	                                     "</pr:provide-mood>");
	TEST_ERR(err);
	err = pres_perm_copy(&ab, &a);
	TEST_ERR(err);
	err = pres_perm_merge(&ab, &b);
	TEST_ERR(err);
	err = pres_perm_copy(&ba, &b);
	TEST_ERR(err);
	err = pres_perm_merge(&ba, &a);
	TEST_ERR(err);
	TEST_ASSERT(strcmp(ab.services.items[0], ba.services.items[0]));
	pres_perm_key(&ab, k1);
	pres_perm_key(&ba, k2);
	TEST_STR_EQ(k1, k2);

	/* the same items written twice, in another order */
	pres_perm_reset(&a);
	err = perm_of(&a, "block",
	              SVC(CLS("z") CLS("y") CLS("x") CLS(
	                  "z")) "<pr:provide-mood>true</pr:provide-mood>"
	                        "<pr:provide-note>1</pr:provide-note>");
	TEST_ERR(err);
	pres_perm_key(&a, k2);
	TEST_STR_EQ(k1, k2);

	pres_perm_key(&full1, k1);
	pres_perm_key(&full2, k2);
	TEST_STR_EQ(k1, k2);
out:
	pres_perm_reset(&a);
	pres_perm_reset(&b);
	pres_perm_reset(&ab);
	pres_perm_reset(&ba);
	return err;
}

TEST(test_perm_key_differs)
{
	static const char *const v[] = {
	    "",
	    SVC(CLS("x")),
	    SVC(CLS("y")),
	    SVC(CLS("x") CLS("y")),
	    SVC("<pr:all-services/>"),
	    PER(CLS("x")),
	    DEV(CLS("x")),
	    DEV("<pr:occurrence-id>x</pr:occurrence-id>"),
	    SVC("<pr:service-uri-scheme>x</pr:service-uri-scheme>"),
	    "<pr:provide-note>true</pr:provide-note>",
	    "<pr:provide-mood>true</pr:provide-mood>",
	    "<pr:provide-all-attributes/>",
	    "<pr:provide-user-input>thresholds</pr:provide-user-input>",
	    "<pr:provide-user-input>full</pr:provide-user-input>",
	    "<pr:provide-unknown-attribute ns=\"urn:a\" name=\"b\">true"
	    "</pr:provide-unknown-attribute>",
	    "<pr:provide-unknown-attribute ns=\"urn:a\" name=\"c\">true"
	    "</pr:provide-unknown-attribute>",
	};
	char keys[sizeof(v) / sizeof(v[0])][33];
	struct pres_perm p;
	int err = 0;

	pres_perm_init(&p);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		pres_perm_reset(&p);
		err = perm_of(&p, "allow", v[i]);
		TEST_ERR(err);
		pres_perm_key(&p, keys[i]);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(keys[i], keys[j]))
				test_fail(__FILE__, __LINE__,
				          "same key for '%s' and '%s'", v[i],
				          v[j]);
	}
	/* NULL gives a fixed key */
	pres_perm_key(NULL, keys[0]);
	TEST_STR_EQ("00000000000000000000000000000000", keys[0]);
out:
	pres_perm_reset(&p);
	return err;
}
