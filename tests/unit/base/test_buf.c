/* tests/unit/base/test_buf.c - growth, printf, consume */
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "test.h"

TEST(test_buf_write_grow)
{
	struct buf *b = NULL;
	char big[5000];
	int err;

	err = buf_alloc(&b, 4);
	TEST_ERR(err);
	err = buf_write_str(b, "hello");
	TEST_ERR(err);
	err = buf_write_u8(b, ' ');
	TEST_ERR(err);
	err = buf_write_pl(b, &PL("world"));
	TEST_ERR(err);
	TEST_EQ(11, b->end);
	TEST_EQ(11, b->pos);
	TEST_ASSERT(b->size >= 11);
	{
		struct pl pl = buf_pl(b);
		TEST_ASSERT(!pl_strcmp(&pl, "hello world"));
	}
	memset(big, 'x', sizeof(big));
	err = buf_write(b, big, sizeof(big));
	TEST_ERR(err);
	TEST_EQ(11 + sizeof(big), b->end);
	TEST_ASSERT(!memcmp(b->b, "hello world", 11));
	TEST_EQ('x', b->b[b->end - 1]);

	/* overwrite in the middle: end stays */
	b->pos = 0;
	err = buf_write_str(b, "HE");
	TEST_ERR(err);
	TEST_EQ(2, b->pos);
	TEST_EQ(11 + sizeof(big), b->end);
	TEST_ASSERT(!memcmp(b->b, "HEllo", 5));
	TEST_EQ(11 + sizeof(big) - 2, buf_left(b));
	TEST_EQ('l', *buf_cur(b));

	buf_reset(b);
	TEST_EQ(0, b->end);
	TEST_EQ(0, buf_left(b));
out:
	mem_deref(b);
	return err;
}

TEST(test_buf_printf)
{
	struct buf *b = NULL;
	char expect[600];
	int err;

	err = buf_alloc(&b, 0);
	TEST_ERR(err);
	err = buf_printf(b, "%s/%u", "SIP/2.0", 200);
	TEST_ERR(err);
	{
		struct pl pl = buf_pl(b);
		TEST_ASSERT(!pl_strcmp(&pl, "SIP/2.0/200"));
	}
	/* longer than what is left: grows and retries */
	memset(expect, 'y', 500);
	expect[500] = '\0';
	err = buf_printf(b, " %.*s!", 500, expect);
	TEST_ERR(err);
	TEST_EQ(11 + 1 + 500 + 1, b->end);
	TEST_EQ(' ', b->b[11]);
	TEST_EQ('y', b->b[12]);
	TEST_EQ('!', b->b[b->end - 1]);
	err = buf_printf(b, "%s", "");
	TEST_ERR(err);
	TEST_EQ(513, b->end);
out:
	mem_deref(b);
	return err;
}

TEST(test_buf_copy_consume_resize)
{
	struct buf *b = NULL;
	int err;

	err = buf_alloc_copy(&b, "INVITE sip:a SIP/2.0\r\n", 22);
	TEST_ERR(err);
	TEST_EQ(22, b->end);
	TEST_EQ(0, b->pos);
	b->pos = 10;
	buf_consume(b, 7);
	TEST_EQ(15, b->end);
	TEST_EQ(3, b->pos);
	TEST_ASSERT(!memcmp(b->b, "sip:a SIP/2.0\r\n", 15));
	buf_consume(b, 100);
	TEST_EQ(0, b->end);
	TEST_EQ(0, b->pos);

	err = buf_write_str(b, "0123456789abcdefghijklmnop");
	TEST_ERR(err);
	err = buf_resize(b, 1000);
	TEST_ERR(err);
	TEST_EQ(1000, b->size);
	TEST_ASSERT(!memcmp(b->b, "0123456789", 10));
	err = buf_resize(b, 16);
	TEST_ERR(err);
	TEST_EQ(16, b->end);
	TEST_ASSERT(b->pos <= b->end);
	TEST_ERR_EQ(EINVAL, buf_write(b, NULL, 3));
	err = 0;
out:
	mem_deref(b);
	return err;
}
