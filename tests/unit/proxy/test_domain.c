/* tests/unit/proxy/test_domain.c - local domains and self addresses */
#include <string.h>

#include "base/mem.h"
#include "base/sa.h"
#include "proxy/domain.h"
#include "store/store.h"
#include "test.h"

TEST(test_dom_local)
{
	struct store *st = NULL;
	struct dom *d = NULL;
	int err;

	err = store_open(&st, "mem:", NULL);
	TEST_ERR(err);
	err = store_domain_add(st, "Example.COM");
	TEST_ERR(err);
	err = store_domain_add(st, "example.net");
	TEST_ERR(err);

	err = dom_alloc(&d, st);
	TEST_ERR(err);
	TEST_ASSERT(dom_is_local(d, &PL("example.com")));
	TEST_ASSERT(dom_is_local(d, &PL("EXAMPLE.com")));
	TEST_ASSERT(dom_is_local(d, &PL("example.com."))); /* FQDN dot */
	TEST_ASSERT(dom_is_local(d, &PL("example.net")));
	TEST_ASSERT(!dom_is_local(d, &PL("example.org")));
	TEST_ASSERT(!dom_is_local(d, &PL("sub.example.com")));
	TEST_ASSERT(!dom_is_local(d, &PL("")));
	TEST_ASSERT(!dom_is_local(d, NULL));

	err = dom_add(d, "Example.ORG");
	TEST_ERR(err);
	TEST_ASSERT(dom_is_local(d, &PL("example.org")));
	TEST_ERR_EQ(EINVAL, dom_add(d, ""));
out:
	mem_deref(d);
	mem_deref(st);
	return err;
}

TEST(test_dom_default_and_reload)
{
	struct store *st = NULL;
	struct dom *d = NULL;
	int err;

	err = store_open(&st, "mem:", NULL);
	TEST_ERR(err);
	err = dom_alloc(&d, st);
	TEST_ERR(err);
	TEST_ASSERT(dom_default(d) == NULL);

	err = store_domain_add(st, "stored.example");
	TEST_ERR(err);
	TEST_ASSERT(!dom_is_local(d, &PL("stored.example"))); /* not yet */
	err = dom_reload(d);
	TEST_ERR(err);
	TEST_ASSERT(dom_is_local(d, &PL("stored.example")));
	TEST_STR_EQ("stored.example", dom_default(d));

	/* configured domains come first */
	err = dom_add(d, "conf.example");
	TEST_ERR(err);
	err = dom_add(d, "conf2.example");
	TEST_ERR(err);
	TEST_STR_EQ("conf.example", dom_default(d));

	/* a domain removed from the store goes at the next reload; the
	 * configured ones stay */
	err = store_domain_remove(st, "stored.example");
	TEST_ERR(err);
	err = store_domain_add(st, "new.example");
	TEST_ERR(err);
	err = dom_reload(d);
	TEST_ERR(err);
	TEST_ASSERT(!dom_is_local(d, &PL("stored.example")));
	TEST_ASSERT(dom_is_local(d, &PL("new.example")));
	TEST_ASSERT(dom_is_local(d, &PL("conf.example")));
	TEST_ASSERT(dom_is_local(d, &PL("conf2.example")));
	TEST_STR_EQ("conf.example", dom_default(d));
out:
	mem_deref(d);
	mem_deref(st);
	return err;
}

TEST(test_dom_self)
{
	struct dom *d = NULL;
	struct sa a;
	int err;

	err = dom_alloc(&d, NULL);
	TEST_ERR(err);
	err = sa_set_str(&a, "192.0.2.10", 5090);
	TEST_ERR(err);
	err = dom_add_self(d, &a);
	TEST_ERR(err);
	err = sa_set_str(&a, "2001:db8::10", 5061);
	TEST_ERR(err);
	err = dom_add_self(d, &a);
	TEST_ERR(err);

	TEST_ASSERT(dom_is_self(d, &PL("192.0.2.10"), 5090));
	TEST_ASSERT(dom_is_self(d, &PL("192.0.2.10"), 0)); /* no port */
	TEST_ASSERT(!dom_is_self(d, &PL("192.0.2.10"), 5060));
	TEST_ASSERT(!dom_is_self(d, &PL("192.0.2.11"), 5090));
	TEST_ASSERT(dom_is_self(d, &PL("2001:db8::10"), 5061));
	TEST_ASSERT(dom_is_self(d, &PL("2001:DB8:0::10"), 0));
	TEST_ASSERT(!dom_is_self(d, &PL("example.com"), 0));
	TEST_ASSERT(!dom_is_local(d, &PL("192.0.2.10")));
out:
	mem_deref(d);
	return err;
}
