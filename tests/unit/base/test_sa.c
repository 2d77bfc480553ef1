/* tests/unit/base/test_sa.c - address parse/print round trips */
#include <string.h>

#include "base/sa.h"
#include "test.h"

TEST(test_sa_decode_print)
{
	static const struct {
		const char *in;
		const char *out;
		int af;
		uint16_t port;
	} ok[] = {
	    {"127.0.0.1:5060", "127.0.0.1:5060", AF_INET, 5060},
	    {"192.0.2.4:65535", "192.0.2.4:65535", AF_INET, 65535},
	    {"10.0.0.1", "10.0.0.1:0", AF_INET, 0},
	    {"[::1]:5060", "[::1]:5060", AF_INET6, 5060},
	    {"[2001:DB8::0001]:5061", "[2001:db8::1]:5061", AF_INET6, 5061},
	    {"[::ffff:1.2.3.4]:1", "[::ffff:1.2.3.4]:1", AF_INET6, 1},
	    {"[fe80::1]", "[fe80::1]:0", AF_INET6, 0},
	};
	static const char *bad[] = {
	    "",
	    "::1",
	    "2001:db8::1:5060",
	    "1.2.3.4:",
	    "1.2.3.4:65536",
	    "1.2.3.4:-1",
	    "1.2.3.4:x",
	    "[::1]5060",
	    "[::1",
	    "[1.2.3.4]:5",
	    "host.example:5060",
	    "1.2.3:5060",
	    "256.1.1.1",
	    "[]:5060",
	    "1.2.3.4:5060 ",
	    " 1.2.3.4",
	};
	char buf[64];
	struct sa sa, sb;
	int err = 0;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		err = sa_decode(&sa, ok[i].in, strlen(ok[i].in));
		if (err)
			test_fail(__FILE__, __LINE__, "decode %s", ok[i].in);
		TEST_ERR(err);
		TEST_EQ(ok[i].af, sa_af(&sa));
		TEST_EQ(ok[i].port, sa_port(&sa));
		TEST_ASSERT(sa_isset(&sa));
		err = sa_print(&sa, buf, sizeof(buf));
		TEST_ERR(err);
		TEST_STR_EQ(ok[i].out, buf);
		/* and back */
		err = sa_decode(&sb, buf, strlen(buf));
		TEST_ERR(err);
		TEST_ASSERT(sa_cmp(&sa, &sb));
		TEST_EQ(sa_hash(&sa), sa_hash(&sb));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = sa_decode(&sa, bad[i], strlen(bad[i]));
		if (err != EINVAL)
			test_fail(__FILE__, __LINE__, "accepted \"%s\"",
			          bad[i]);
		TEST_ERR_EQ(EINVAL, err);
	}
	/* length bounds the input: no NUL needed */
	err = sa_decode(&sa, "1.2.3.4:5060xyz", 12);
	TEST_ERR(err);
	TEST_EQ(5060, sa_port(&sa));
out:
	return err;
}

TEST(test_sa_set_cmp)
{
	struct sa a, b, c;
	char buf[64];
	int err;

	err = sa_set_str(&a, "127.0.0.1", 5060);
	TEST_ERR(err);
	err = sa_set_pl(&b, &PL("127.0.0.1"), 5060);
	TEST_ERR(err);
	TEST_ASSERT(sa_cmp(&a, &b));
	sa_set_port(&b, 5061);
	TEST_ASSERT(!sa_cmp(&a, &b));
	TEST_ASSERT(sa_cmp_addr(&a, &b));
	TEST_ASSERT(sa_hash(&a) != sa_hash(&b));
	TEST_ASSERT(sa_is_loopback(&a));

	err = sa_set_str(&c, "[::1]", 5060);
	TEST_ERR(err);
	TEST_ASSERT(sa_is_loopback(&c));
	TEST_ASSERT(!sa_cmp_addr(&a, &c));
	err = sa_set_str(&c, "2001:db8::1", 1);
	TEST_ERR(err);
	TEST_ASSERT(!sa_is_loopback(&c));
	err = sa_ntop(&c, buf, sizeof(buf));
	TEST_ERR(err);
	TEST_STR_EQ("2001:db8::1", buf);
	TEST_ERR_EQ(ERANGE, sa_print(&c, buf, 10));
	TEST_ERR_EQ(ERANGE, sa_ntop(&c, buf, 5));
	TEST_ERR_EQ(EINVAL, sa_set_str(&c, "example.org", 1));
	TEST_ERR_EQ(EINVAL, sa_set_str(&c, "[127.0.0.1]", 1));

	sa_init(&c, AF_UNSPEC);
	TEST_ASSERT(!sa_isset(&c));
	TEST_EQ(0, sa_port(&c));
	sa_init(&c, AF_INET);
	TEST_ASSERT(sa_isset(&c));
	TEST_EQ(sizeof(struct sockaddr_in), c.len);
	err = sa_print(&c, buf, sizeof(buf));
	TEST_ERR(err);
	TEST_STR_EQ("0.0.0.0:0", buf);
	err = sa_set_str(&c, "::ffff:127.0.0.2", 0);
	TEST_ERR(err);
	TEST_ASSERT(sa_is_loopback(&c));
	TEST_EQ(sizeof(struct sockaddr_in6), c.len);
out:
	return err;
}
