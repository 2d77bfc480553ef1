/* tests/unit/base/test_pl.c - slices: compare, trim, number parsing */
#include <stdint.h>

#include "base/mem.h"
#include "base/pl.h"
#include "test.h"

TEST(test_pl_cmp)
{
	struct pl a = PL("Hello"), b = PL("hello"), c;
	int err = 0;

	TEST_EQ(0, pl_strcmp(&a, "Hello"));
	TEST_ASSERT(pl_strcmp(&a, "hello") != 0);
	TEST_ASSERT(pl_strcmp(&a, "Hell") > 0);
	TEST_ASSERT(pl_strcmp(&a, "Hello!") < 0);
	TEST_EQ(0, pl_strcasecmp(&a, "hELLO"));
	TEST_ASSERT(pl_strcasecmp(&a, "hELL") != 0);
	TEST_ASSERT(pl_cmp(&a, &b) != 0);
	TEST_EQ(0, pl_casecmp(&a, &b));
	TEST_EQ(0, pl_strcmp(&pl_null, ""));
	TEST_ASSERT(pl_strcmp(&pl_null, "x") < 0);
	TEST_ASSERT(!pl_isset(&pl_null));
	TEST_ASSERT(pl_isset(&a));

	pl_set_str(&c, "abc;def");
	TEST_EQ(7, c.l);
	TEST_ASSERT(pl_strchr(&c, ';') == c.p + 3);
	TEST_ASSERT(pl_strchr(&c, 'x') == NULL);
	TEST_ASSERT(pl_strchr(&pl_null, 'x') == NULL);
	pl_set_mem(&c, "abcdef", 2);
	TEST_ASSERT(!pl_strcmp(&c, "ab"));
out:
	return err;
}

TEST(test_pl_trim)
{
	struct pl a = PL(" \t\r\n value \r\n"), e = PL(" \t ");
	int err = 0;

	pl_trim(&a);
	TEST_ASSERT(!pl_strcmp(&a, "value"));
	pl_trim(&e);
	TEST_EQ(0, e.l);
out:
	return err;
}

TEST(test_pl_numbers)
{
	uint32_t v32 = 7;
	uint64_t v64 = 7;
	int err = 0;

	TEST_ERR(pl_u32(&PL("0"), &v32));
	TEST_EQ(0, v32);
	TEST_ERR(pl_u32(&PL("4294967295"), &v32));
	TEST_EQ(4294967295u, v32);
	TEST_ERR_EQ(ERANGE, pl_u32(&PL("4294967296"), &v32));
	TEST_EQ(4294967295u, v32); /* untouched on error */
	TEST_ERR_EQ(EINVAL, pl_u32(&PL(""), &v32));
	TEST_ERR_EQ(EINVAL, pl_u32(&pl_null, &v32));
	TEST_ERR_EQ(EINVAL, pl_u32(&PL("12a"), &v32));
	TEST_ERR_EQ(EINVAL, pl_u32(&PL("-1"), &v32));
	TEST_ERR_EQ(EINVAL, pl_u32(&PL(" 1"), &v32));
	TEST_ERR_EQ(EINVAL, pl_u32(&PL("+1"), &v32));

	TEST_ERR(pl_u64(&PL("18446744073709551615"), &v64));
	TEST_ASSERT(v64 == UINT64_MAX);
	TEST_ERR_EQ(ERANGE, pl_u64(&PL("18446744073709551616"), &v64));
	TEST_ERR_EQ(ERANGE, pl_u64(&PL("99999999999999999999999"), &v64));
	/* an overflowing number with junk after it is still invalid */
	TEST_ERR_EQ(EINVAL, pl_u64(&PL("99999999999999999999999x"), &v64));
	TEST_ERR(pl_u64(&PL("00000000000000000000000001"), &v64));
	TEST_EQ(1, v64);

	TEST_ERR(pl_x64(&PL("ffffffffffffffff"), &v64));
	TEST_ASSERT(v64 == UINT64_MAX);
	TEST_ERR(pl_x64(&PL("DeadBeef"), &v64));
	TEST_EQ(0xdeadbeef, v64);
	TEST_ERR_EQ(ERANGE, pl_x64(&PL("10000000000000000"), &v64));
	TEST_ERR_EQ(EINVAL, pl_x64(&PL("0x10"), &v64));
	TEST_ERR_EQ(EINVAL, pl_x64(&PL(""), &v64));
	err = 0;
out:
	return err;
}

TEST(test_pl_copy)
{
	struct pl a = PL("abcdef");
	char buf[7], *d = NULL;
	int err;

	err = pl_strcpy(&a, buf, sizeof(buf));
	TEST_ERR(err);
	TEST_STR_EQ("abcdef", buf);
	TEST_ERR_EQ(ERANGE, pl_strcpy(&a, buf, 6));
	err = pl_strdup(&d, &a);
	TEST_ERR(err);
	TEST_STR_EQ("abcdef", d);
	d = mem_deref(d);
	err = pl_strdup(&d, &pl_null);
	TEST_ERR(err);
	TEST_STR_EQ("", d);
out:
	mem_deref(d);
	return err;
}

TEST(test_pl_hash)
{
	int err = 0;

	/* FNV-1a 32-bit reference values */
	TEST_EQ(0x811c9dc5u, pl_hash(&pl_null));
	TEST_EQ(0xe40c292cu, pl_hash(&PL("a")));
	TEST_EQ(0xbf9cf968u, pl_hash(&PL("foobar")));
	TEST_EQ(pl_hash(&PL("foobar")), pl_hash_ci(&PL("FooBAR")));
	TEST_EQ(pl_hash_ci(&PL("Via")), str_hash_ci("VIA"));
	TEST_ASSERT(pl_hash(&PL("Via")) != pl_hash(&PL("via")));
out:
	return err;
}
