/* tests/unit/base/test_json.c - the JSON writer (RFC 8259, RFC 4648) */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "test.h"

/* The buffer's bytes equal s exactly. */
#define BUF_EQ(s, mb)                                                          \
	do {                                                                   \
		const char *be_s = (s);                                        \
		if ((mb)->end != strlen(be_s) ||                               \
		    memcmp((mb)->b, be_s, (mb)->end)) {                        \
			test_fail(__FILE__, __LINE__,                          \
			          "expected '%s', got '%.*s'", be_s,           \
			          (int)(mb)->end, (const char *)(mb)->b);      \
			err = EINVAL;                                          \
			goto out;                                              \
		}                                                              \
	} while (0)

static int str_case(struct buf *mb, const char *in, size_t n,
                    const char *expect)
{
	int err;

	buf_reset(mb);
	err = json_write_str(mb, in, n);
	TEST_ERR(err);
	BUF_EQ(expect, mb);
out:
	return err;
}

TEST(test_json_str_escape)
{
	struct buf *mb = NULL;
	int err;

	err = buf_alloc(&mb, 16);
	TEST_ERR(err);
	err = str_case(mb, "", 0, "\"\"");
	TEST_ERR(err);
	err = str_case(mb, "hello", 5, "\"hello\"");
	TEST_ERR(err);
	err = str_case(mb, "a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"");
	TEST_ERR(err);
	err = str_case(mb, "\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
	TEST_ERR(err);
	/* other control characters, NUL and DEL as \u00XX */
	err = str_case(mb, "x\0y\x01\x1f\x7fz", 7,
	               "\"x\\u0000y\\u0001\\u001f\\u007fz\"");
	TEST_ERR(err);
	/* UTF-8 passes through (2, 3 and 4 octets) */
	err = str_case(mb, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
	               "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	TEST_ERR(err);
	/* U+2028/U+2029 escaped */
	err = str_case(mb,
	               "a\xe2\x80\xa8"
	               "b\xe2\x80\xa9",
	               8, "\"a\\u2028b\\u2029\"");
	TEST_ERR(err);
	/* bytes that are not UTF-8: each one becomes U+FFFD */
	err = str_case(mb,
	               "a\xff"
	               "b\xc3",
	               4, "\"a\\ufffdb\\ufffd\"");
	TEST_ERR(err);
	err = str_case(mb, "\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
	TEST_ERR(err);
	err = str_case(mb, "\xed\xa0\x80z", 4, "\"\\ufffd\\ufffd\\ufffdz\"");
	TEST_ERR(err);
	TEST_ERR_EQ(EINVAL, json_write_str(mb, NULL, 1));
	err = 0;
out:
	mem_deref(mb);
	return err;
}

TEST(test_json_utf8_valid)
{
	static const struct {
		const char *s;
		size_t n;
		bool ok;
	} v[] = {
	    {"", 0, true},
	    {"plain ascii", 11, true},
	    {"\0", 1, true},
	    {"\xc2\x80", 2, true},          /* U+0080 */
	    {"\xdf\xbf", 2, true},          /* U+07FF */
	    {"\xe0\xa0\x80", 3, true},      /* U+0800 */
	    {"\xef\xbf\xbd", 3, true},      /* U+FFFD */
	    {"\xed\x9f\xbf", 3, true},      /* U+D7FF */
	    {"\xee\x80\x80", 3, true},      /* U+E000 */
	    {"\xf0\x90\x80\x80", 4, true},  /* U+10000 */
	    {"\xf4\x8f\xbf\xbf", 4, true},  /* U+10FFFF */
	    {"\x80", 1, false},             /* lone continuation */
	    {"\xc0\x80", 2, false},         /* overlong NUL */
	    {"\xc1\xbf", 2, false},         /* overlong */
	    {"\xe0\x9f\xbf", 3, false},     /* overlong U+07FF */
	    {"\xed\xa0\x80", 3, false},     /* surrogate U+D800 */
	    {"\xed\xbf\xbf", 3, false},     /* surrogate U+DFFF */
	    {"\xf0\x8f\xbf\xbf", 4, false}, /* overlong U+FFFF */
	    {"\xf4\x90\x80\x80", 4, false}, /* U+110000 */
	    {"\xf5\x80\x80\x80", 4, false}, /* lead beyond U+10FFFF */
	    {"\xff", 1, false},
	    {"\xe2\x82", 2, false}, /* truncated */
	    {"\xe2\x28\xa1", 3, false},
	    {"ok\xc3", 3, false},
	};
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (json_utf8_valid(v[i].s, v[i].n) != v[i].ok) {
			test_fail(__FILE__, __LINE__, "case %zu: expected %s",
			          i, v[i].ok ? "valid" : "invalid");
			err = EINVAL;
		}
	}
	TEST_ASSERT(json_utf8_valid(NULL, 0));
	TEST_ASSERT(!json_utf8_valid(NULL, 1));
out:
	return err;
}

TEST(test_json_base64)
{
	/* RFC 4648 section 10 */
	static const char *const in[] = {"",     "f",     "fo",    "foo",
	                                 "foob", "fooba", "foobar"};
	static const char *const out[] = {
	    "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	static const unsigned char bin[] = {0x00, 0xff, 0xfe, 0x3e, 0x3f};
	struct buf *mb = NULL;
	int err;

	err = buf_alloc(&mb, 8);
	TEST_ERR(err);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		buf_reset(mb);
		err = json_write_base64(mb, in[i], strlen(in[i]));
		TEST_ERR(err);
		BUF_EQ(out[i], mb);
	}
	buf_reset(mb);
	err = json_write_base64(mb, bin, sizeof(bin));
	TEST_ERR(err);
	BUF_EQ("AP/+Pj8=", mb);
out:
	mem_deref(mb);
	return err;
}

TEST(test_json_time)
{
	char t[25];
	int err = 0;

	json_fmt_time_ms(t, 0);
	TEST_STR_EQ("1970-01-01T00:00:00.000Z", t);
	json_fmt_time_ms(t, 1795341662345ULL);
	TEST_STR_EQ("2026-11-22T10:01:02.345Z", t);
	json_fmt_time_ms(t, 951868799999ULL);
	TEST_STR_EQ("2000-02-29T23:59:59.999Z", t);
	json_fmt_time_ms(t, 253402300799999ULL);
	TEST_STR_EQ("9999-12-31T23:59:59.999Z", t);
	/* beyond year 9999: clamped, still four digits */
	json_fmt_time_ms(t, UINT64_MAX);
	TEST_STR_EQ("9999-12-31T23:59:59.999Z", t);
out:
	return err;
}

TEST(test_json_writer)
{
	struct buf *mb = NULL;
	struct json j;
	int err;

	err = buf_alloc(&mb, 16);
	TEST_ERR(err);
	json_init(&j, mb);
	json_obj_begin(&j);
	json_key(&j, "id");
	json_u64(&j, 18446744073709551615ULL);
	json_key(&j, "neg");
	json_i64(&j, -42);
	json_key(&j, "s");
	json_str(&j, "a\"b");
	json_key(&j, "none");
	json_str(&j, NULL);
	json_key(&j, "list");
	json_arr_begin(&j);
	json_bool(&j, true);
	json_bool(&j, false);
	json_null(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_raw(&j, "{\"x\":1}", 7);
	json_arr_end(&j);
	json_key(&j, "b64");
	json_base64(&j, "foo", 3);
	json_key(&j, "t");
	json_time_ms(&j, 1795341662345ULL);
	json_key(&j, "n");
	json_strn(&j, "x\0y", 3);
	json_obj_end(&j);
	err = json_end(&j);
	TEST_ERR(err);
	BUF_EQ("{\"id\":18446744073709551615,\"neg\":-42,\"s\":\"a\\\"b\","
	       "\"none\":null,\"list\":[true,false,null,[],{},{\"x\":1}],"
	       "\"b64\":\"Zm9v\",\"t\":\"2026-11-22T10:01:02.345Z\","
	       "\"n\":\"x\\u0000y\"}",
	       mb);

	/* top-level array and scalar */
	buf_reset(mb);
	json_init(&j, mb);
	json_arr_begin(&j);
	json_u64(&j, 1);
	json_u64(&j, 2);
	json_arr_end(&j);
	err = json_end(&j);
	TEST_ERR(err);
	BUF_EQ("[1,2]", mb);
	err = 0;
out:
	mem_deref(mb);
	return err;
}

TEST(test_json_writer_misuse)
{
	struct buf *mb = NULL;
	struct json j;
	int err;

	err = buf_alloc(&mb, 16);
	TEST_ERR(err);

	/* a value in an object without a key */
	json_init(&j, mb);
	json_obj_begin(&j);
	json_u64(&j, 1);
	TEST_ERR_EQ(EPROTO, json_end(&j));

	/* a key in an array */
	buf_reset(mb);
	json_init(&j, mb);
	json_arr_begin(&j);
	json_key(&j, "k");
	TEST_ERR_EQ(EPROTO, json_end(&j));

	/* mismatched close, unclosed, dangling key */
	json_init(&j, mb);
	json_obj_begin(&j);
	json_arr_end(&j);
	TEST_ERR_EQ(EPROTO, json_end(&j));
	json_init(&j, mb);
	json_arr_begin(&j);
	TEST_ERR_EQ(EPROTO, json_end(&j));
	json_init(&j, mb);
	json_obj_begin(&j);
	json_key(&j, "k");
	json_obj_end(&j);
	TEST_ERR_EQ(EPROTO, json_end(&j));
	json_init(&j, mb);
	json_arr_end(&j);
	TEST_ERR_EQ(EPROTO, json_end(&j));

	/* too deep */
	json_init(&j, mb);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_arr_begin(&j);
	TEST_ERR_EQ(EPROTO, json_end(&j));

	/* no buffer */
	json_init(&j, NULL);
	json_null(&j);
	TEST_ERR_EQ(EINVAL, json_end(&j));
	err = 0;
out:
	mem_deref(mb);
	return err;
}
