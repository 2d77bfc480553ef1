/* tests/unit/base/test_util.c - digests, random tokens, err_str */
#include <string.h>

#include "base/util.h"
#include "test.h"

TEST(test_util_md5)
{
	char out[33];
	int err = 0;

	/* RFC 1321 A.5 */
	md5_hex(out, "", 0);
	TEST_STR_EQ("d41d8cd98f00b204e9800998ecf8427e", out);
	md5_hex(out, "abc", 3);
	TEST_STR_EQ("900150983cd24fb0d6963f7d28e17f72", out);
	md5_hex(out, "message digest", 14);
	TEST_STR_EQ("f96b697d7cb7938d525a2f31aaf161d0", out);
out:
	return err;
}

TEST(test_util_sha256)
{
	static const char *m =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char out[65];
	int err = 0;

	/* FIPS 180-2 examples */
	sha256_hex(out, "abc", 3);
	TEST_STR_EQ("ba7816bf8f01cfea414140de5dae2223"
	            "b00361a396177a9cb410ff61f20015ad",
	            out);
	sha256_hex(out, m, strlen(m));
	TEST_STR_EQ("248d6a61d20638b8e5c026930c3e6039"
	            "a33ce45964ff2167f6ecedd419db06c1",
	            out);
	sha256_hex(out, "", 0);
	TEST_STR_EQ("e3b0c44298fc1c149afbf4c8996fb924"
	            "27ae41e4649b934ca495991b7852b855",
	            out);
out:
	return err;
}

TEST(test_util_hmac_sha256)
{
	char out[65];
	int err = 0;

	/* RFC 4231 test case 2 */
	hmac_sha256_hex(out, "Jefe", 4, "what do ya want for nothing?", 28);
	TEST_STR_EQ("5bdcc146bf60754e6a042426089575c7"
	            "5a003f089d2739839dec58b964ec3843",
	            out);
out:
	return err;
}

TEST(test_util_rand)
{
	char a[33], b[33];
	uint8_t z[32] = {0}, r[32] = {0};
	int err = 0;

	rand_token(a, 32);
	rand_token(b, 32);
	TEST_EQ(32, strlen(a));
	TEST_ASSERT(strcmp(a, b) != 0);
	for (size_t i = 0; i < 32; i++)
		TEST_ASSERT((a[i] >= '0' && a[i] <= '9') ||
		            (a[i] >= 'a' && a[i] <= 'z'));
	rand_token(a, 0);
	TEST_STR_EQ("", a);
	err = rand_bytes(r, sizeof(r));
	TEST_ERR(err);
	TEST_ASSERT(memcmp(r, z, sizeof(r)) != 0);
	TEST_ASSERT(rand_u32() != rand_u32() || rand_u32() != rand_u32());
out:
	return err;
}

TEST(test_util_err_str)
{
	int err = 0;

	TEST_STR_EQ("Connection refused", err_str(ECONNREFUSED));
	TEST_ASSERT(strlen(err_str(123456)) > 0);
	TEST_ASSERT(err_str(0) != NULL);
out:
	return err;
}
