/* tests/unit/im/test_im_json.c - history JSON objects and times */
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "im/im_http.h"
#include "store/store.h"
#include "test.h"

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

TEST(test_im_json_arch)
{
	struct store_arch a = {
	    .id = 1,
	    .owner = "alice@example.com",
	    .outgoing = true,
	    .peer = "sip:bob@example.com",
	    .sender = "sip:alice@example.com",
	    .recipients = "sip:bob@example.com",
	    .time_ms = 1795341662345ULL,
	    .ctype = "text/plain",
	    .body = "hello",
	    .len = 5,
	    .outcome = "delivered",
	};
	struct buf *mb = NULL;
	int err;

	err = buf_alloc(&mb, 64);
	TEST_ERR(err);
	err = im_json_arch(mb, &a);
	TEST_ERR(err);
	BUF_EQ("{\"id\":1,\"time\":\"2026-11-22T10:01:02.345Z\","
	       "\"direction\":\"out\",\"peer\":\"sip:bob@example.com\","
	       "\"from\":\"sip:alice@example.com\","
	       "\"to\":[\"sip:bob@example.com\"],"
	       "\"content_type\":\"text/plain\",\"body\":\"hello\","
	       "\"outcome\":\"delivered\"}",
	       mb);

	/* incoming, a group message to several, text that needs escaping */
	buf_reset(mb);
	a.id = 42;
	a.outgoing = false;
	a.peer = "sip:team@example.com";
	a.sender = "sip:bob@example.com";
	a.recipients = "sip:alice@example.com, sip:carol@example.com";
	a.time_ms = 0;
	a.body = "line 1\n\"q\" \xc3\xa9";
	a.len = strlen(a.body);
	a.outcome = "failed 480";
	err = im_json_arch(mb, &a);
	TEST_ERR(err);
	BUF_EQ("{\"id\":42,\"time\":\"1970-01-01T00:00:00.000Z\","
	       "\"direction\":\"in\",\"peer\":\"sip:team@example.com\","
	       "\"from\":\"sip:bob@example.com\","
	       "\"to\":[\"sip:alice@example.com\",\"sip:carol@example.com\"],"
	       "\"content_type\":\"text/plain\","
	       "\"body\":\"line 1\\n\\\"q\\\" \xc3\xa9\","
	       "\"outcome\":\"failed 480\"}",
	       mb);

	/* binary body (not UTF-8, or with a NUL): body_base64; appended
	 * after what mb holds */
	buf_reset(mb);
	err = buf_write_str(mb, "x");
	TEST_ERR(err);
	a.id = 3;
	a.ctype = "application/octet-stream";
	a.body = "\xff\x00\x01";
	a.len = 3;
	a.recipients = "";
	a.outcome = "stored";
	err = im_json_arch(mb, &a);
	TEST_ERR(err);
	BUF_EQ("x{\"id\":3,\"time\":\"1970-01-01T00:00:00.000Z\","
	       "\"direction\":\"in\",\"peer\":\"sip:team@example.com\","
	       "\"from\":\"sip:bob@example.com\",\"to\":[],"
	       "\"content_type\":\"application/octet-stream\","
	       "\"body_base64\":\"/wAB\",\"outcome\":\"stored\"}",
	       mb);
	buf_reset(mb);
	a.body = "a\0b";
	a.ctype = "text/plain";
	err = im_json_arch(mb, &a);
	TEST_ERR(err);
	TEST_ASSERT(memmem(mb->b, mb->end, "\"body_base64\":\"YQBi\"", 20));

	/* empty body */
	buf_reset(mb);
	a.body = NULL;
	a.len = 0;
	err = im_json_arch(mb, &a);
	TEST_ERR(err);
	TEST_ASSERT(memmem(mb->b, mb->end, "\"body\":\"\",", 10));

	TEST_ERR_EQ(EINVAL, im_json_arch(NULL, &a));
	TEST_ERR_EQ(EINVAL, im_json_arch(mb, NULL));
	err = 0;
out:
	mem_deref(mb);
	return err;
}

TEST(test_im_json_msg)
{
	struct store_msg m = {
	    .id = 7,
	    .owner = "bob@example.com",
	    .sender = "sip:alice@example.com",
	    .recipient = "sip:bob@example.com",
	    .received_ms = 1795341662345ULL,
	    .ctype = "text/plain",
	    .body = "hello",
	    .len = 5,
	};
	struct buf *mb = NULL;
	int err;

	err = buf_alloc(&mb, 16);
	TEST_ERR(err);
	err = im_json_msg(mb, &m);
	TEST_ERR(err);
	BUF_EQ("{\"id\":7,\"from\":\"sip:alice@example.com\","
	       "\"time\":\"2026-11-22T10:01:02.345Z\","
	       "\"content_type\":\"text/plain\",\"size\":5}",
	       mb);
out:
	mem_deref(mb);
	return err;
}

TEST(test_im_time_parse)
{
	static const struct {
		const char *s;
		int err;
		uint64_t ms;
	} v[] = {
	    {"0", 0, 0},
	    {"1795341662345", 0, 1795341662345ULL},
	    {"2026-11-22T10:01:02.345Z", 0, 1795341662345ULL},
	    {"2026-11-22t10:01:02.3456z", 0, 1795341662345ULL},
	    {"2026-11-22T11:01:02.345+01:00", 0, 1795341662345ULL},
	    {"2026-11-22T11:01:02.345 01:00", 0, 1795341662345ULL},
	    {"2026-11-22 10:01:02.345Z", 0, 1795341662345ULL},
	    {"2026-11-22T00:00:00Z", 0, 1795305600000ULL},
	    {"2026-11-22", 0, 1795305600000ULL},
	    {"2026-11-22T00:00:00", 0, 1795305600000ULL},
	    {"2024-02-29T23:59:59-05:30", 0, 1709270999000ULL},
	    {"1970-01-01T00:00:00Z", 0, 0},
	    {"2016-12-31T23:59:60Z", 0, 1483228799000ULL},
	    {"1969-12-31T23:59:59Z", ERANGE, 0},
	    {"1970-01-01T00:30:00+01:00", ERANGE, 0},
	    {"", EINVAL, 0},
	    {"yesterday", EINVAL, 0},
	    {"2026-13-01", EINVAL, 0},
	    {"2026-02-29", EINVAL, 0},
	    {"2026-04-31", EINVAL, 0},
	    {"2026-11-22T24:00:00Z", EINVAL, 0},
	    {"2026-11-22T10:60:00Z", EINVAL, 0},
	    {"2026-11-22T10:00Z", EINVAL, 0},
	    {"2026-11-22T10:00:00.Z", EINVAL, 0},
	    {"2026-11-22T10:00:00+1:00", EINVAL, 0},
	    {"2026-11-22T10:00:00+01:00x", EINVAL, 0},
	    {"2026-11-22T10:00:00Zx", EINVAL, 0},
	    {"2026-11-22X10:00:00Z", EINVAL, 0},
	    {"99999999999999999999999", EINVAL, 0},
	};
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t ms = 12345;
		int e = im_time_parse(v[i].s, &ms);

		if (e != v[i].err || (!e && ms != v[i].ms)) {
			test_fail(__FILE__, __LINE__,
			          "'%s': expected %d/%llu, got %d/%llu", v[i].s,
			          v[i].err, (unsigned long long)v[i].ms, e,
			          (unsigned long long)ms);
			err = EINVAL;
		}
	}
	TEST_ERR_EQ(EINVAL, im_time_parse(NULL, NULL));
out:
	return err;
}
