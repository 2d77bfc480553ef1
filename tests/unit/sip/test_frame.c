/* tests/unit/sip/test_frame.c - stream framing (RFC 3261 18.3, RFC 5626) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "sip/msg.h"
#include "test.h"

static const char msg1[] = "MESSAGE sip:bob@biloxi.com SIP/2.0\r\n"
                           "Via: SIP/2.0/TCP a.example.com;branch=z9hG4bK1\r\n"
                           "To: <sip:bob@biloxi.com>\r\n"
                           "From: <sip:alice@atlanta.com>;tag=1\r\n"
                           "Call-ID: f1\r\n"
                           "CSeq: 1 MESSAGE\r\n"
                           "Content-Type: text/plain\r\n"
                           "Content-Length:\r\n  12\r\n"
                           "\r\n"
                           "hello\r\n\r\nbob";

static const char msg2[] = "OPTIONS sip:bob@biloxi.com SIP/2.0\r\n"
                           "Via: SIP/2.0/TCP a.example.com;branch=z9hG4bK2\r\n"
                           "To: <sip:bob@biloxi.com>\r\n"
                           "From: <sip:alice@atlanta.com>;tag=1\r\n"
                           "Call-ID: f2\r\n"
                           "CSeq: 2 OPTIONS\r\n"
                           "l: 0\r\n"
                           "\r\n";

static int frame(const char *s, size_t n, size_t *len, size_t *ka)
{
	size_t scanned = 0;

	return sip_frame((const uint8_t *)s, n, &scanned, len, ka, 0, 0);
}

TEST(test_sip_frame_basic)
{
	size_t len, ka;
	char buf[1024];
	int err;

	err = frame(msg1, strlen(msg1), &len, &ka);
	TEST_ERR(err);
	TEST_EQ(strlen(msg1), len);
	TEST_EQ(0, ka);

	/* two messages back to back, with a keep-alive in front */
	snprintf(buf, sizeof(buf), "\r\n\r\n%s%s", msg2, msg1);
	err = frame(buf, strlen(buf), &len, &ka);
	TEST_ERR(err);
	TEST_EQ(4, ka);
	TEST_EQ(strlen(msg2), len);
	err = frame(buf + 4 + len, strlen(buf) - 4 - len, &len, &ka);
	TEST_ERR(err);
	TEST_EQ(strlen(msg1), len);

	/* lone ping and pong */
	TEST_ERR_EQ(ENODATA, frame("\r\n\r\n", 4, &len, &ka));
	TEST_EQ(4, ka);
	TEST_ERR_EQ(ENODATA, frame("\r\n", 2, &len, &ka));
	TEST_EQ(2, ka);
	TEST_ERR_EQ(ENODATA, frame("", 0, &len, &ka));
	TEST_EQ(0, ka);

	/* LF-only header end */
	err = frame("OPTIONS sip:a SIP/2.0\nl: 3\n\nabcdef", 34, &len, &ka);
	TEST_ERR(err);
	TEST_EQ(31, len);
	err = 0;
out:
	return err;
}

TEST(test_sip_frame_errors)
{
	static const struct {
		const char *s;
		int err;
	} v[] = {
	    {"OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n", EBADMSG},
	    {"OPTIONS sip:a SIP/2.0\r\nContent-Length: x\r\n\r\n", EBADMSG},
	    {"OPTIONS sip:a SIP/2.0\r\nContent-Length: -1\r\n\r\n", EBADMSG},
	    {"OPTIONS sip:a SIP/2.0\r\nContent-Length: 1 2\r\n\r\n", EBADMSG},
	    {"OPTIONS sip:a SIP/2.0\r\nContent-Length: +1\r\n\r\n", EBADMSG},
	    {"OPTIONS sip:a SIP/2.0\r\nContent-Length:\r\n\r\n", EBADMSG},
	    {"OPTIONS sip:a SIP/2.0\r\nContent-Length 1\r\n\r\n", EBADMSG},
	    {"OPTIONS sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab",
	     EBADMSG},
	    {"OPTIONS sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 1\r\n\r\na", 0},
	    {"OPTIONS sip:a SIP/2.0\r\nContent-Lengthy: 1\r\nl:0\r\n\r\n", 0},
	    {"OPTIONS sip:a SIP/2.0\r\nX: y\r\n Content-Length: 5\r\nl:0\r\n"
	     "\r\n",
	     0},
	    {"OPTIONS sip:a SIP/2.0\r\nCONTENT-LENGTH : 00\r\n\r\n", 0},
	    {"OPTIONS sip:a SIP/2.0\r\nContent-Length: 99999999999999999999"
	     "\r\n\r\n",
	     EMSGSIZE},
	};
	size_t len, ka;
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int got = frame(v[i].s, strlen(v[i].s), &len, &ka);

		if (got != v[i].err || (!got && len != strlen(v[i].s))) {
			test_fail(__FILE__, __LINE__, "#%zu: %d", i, got);
			err = EINVAL;
		}
	}
	return err;
}

TEST(test_sip_frame_limits)
{
	char big[600];
	size_t scanned = 0, len, ka;
	int err = 0;

	/* header section without end, over max_hdr */
	memset(big, 'a', sizeof(big));
	memcpy(big, "OPTIONS sip:a SIP/2.0\r\nX: ", 26);
	TEST_ERR_EQ(ENODATA, sip_frame((const uint8_t *)big, 400, &scanned,
	                               &len, &ka, 512, 4096));
	TEST_ERR_EQ(EBADMSG, sip_frame((const uint8_t *)big, 600, &scanned,
	                               &len, &ka, 512, 4096));

	/* complete but too long a header section */
	memcpy(big + 590, "\r\nl: 0\r\n\r\n", 10);
	scanned = 0;
	TEST_ERR_EQ(EBADMSG, sip_frame((const uint8_t *)big, 600, &scanned,
	                               &len, &ka, 512, 4096));
	scanned = 0;
	TEST_ERR(sip_frame((const uint8_t *)big, 600, &scanned, &len, &ka, 600,
	                   4096));
	TEST_EQ(600, len);

	/* body over max_msg: known as soon as the headers are in */
	scanned = 0;
	TEST_ERR_EQ(ENODATA, sip_frame((const uint8_t *)msg1, 60, &scanned,
	                               &len, &ka, 0, 100));
	TEST_ERR_EQ(EMSGSIZE,
	            sip_frame((const uint8_t *)msg1, strlen(msg1) - 12,
	                      &scanned, &len, &ka, 0, 100));
	scanned = 0;
	TEST_ERR(sip_frame((const uint8_t *)msg1, strlen(msg1), &scanned, &len,
	                   &ka, 0, strlen(msg1)));
	TEST_ERR_EQ(EINVAL, sip_frame(NULL, 3, &scanned, &len, &ka, 0, 0));
out:
	return err;
}

/* Feed a message one octet at a time: ENODATA until the last octet, and
 * the resume point never goes back. */
TEST(test_sip_frame_bytewise)
{
	static const char *const msgs[] = {msg1, msg2};
	int err = 0;

	for (size_t m = 0; m < 2; m++) {
		const char *s = msgs[m];
		size_t n = strlen(s), scanned = 0, last = 0, len = 0, ka;

		for (size_t k = 0; k <= n; k++) {
			int r = sip_frame((const uint8_t *)s, k, &scanned, &len,
			                  &ka, 0, 0);

			if (k < n && r != ENODATA) {
				test_fail(__FILE__, __LINE__,
				          "msg %zu at %zu: %d", m, k, r);
				return EINVAL;
			}
			if (k == n && (r || len != n)) {
				test_fail(__FILE__, __LINE__, "msg %zu end: %d",
				          m, r);
				return EINVAL;
			}
			/* the header search never rescans from 0 */
			if (scanned < last) {
				test_fail(__FILE__, __LINE__, "rescan at %zu",
				          k);
				return EINVAL;
			}
			last = scanned;
		}
	}
	return err;
}

/* A stream of messages and keep-alives cut at random points, as a
 * transport's receive loop would see it. */
TEST(test_sip_frame_random_chunks)
{
	struct buf *in = NULL, *rx = NULL;
	uint32_t seed = 12345;
	size_t off = 0, scanned = 0, got = 0;
	int err;

	err = buf_alloc(&in, 4096);
	TEST_ERR(err);
	for (int i = 0; i < 12; i++) {
		err = buf_write_str(in, i % 3 == 1 ? "\r\n\r\n" : "");
		err = err ? err : buf_write_str(in, i % 2 ? msg1 : msg2);
		TEST_ERR(err);
	}
	err = buf_write_str(in, "\r\n\r\n");
	TEST_ERR(err);
	err = buf_alloc(&rx, 256);
	TEST_ERR(err);

	for (int round = 0; round < 20; round++) {
		off = 0;
		scanned = 0;
		got = 0;
		buf_reset(rx);
		while (off < in->end) {
			size_t chunk;

			seed = seed * 1103515245u + 12345u;
			chunk = 1 + (seed >> 16) % (round < 10 ? 7 : 300);
			if (chunk > in->end - off)
				chunk = in->end - off;
			rx->pos = rx->end;
			err = buf_write(rx, in->b + off, chunk);
			TEST_ERR(err);
			off += chunk;

			for (;;) {
				size_t len, ka;
				int r = sip_frame(rx->b, rx->end, &scanned,
				                  &len, &ka, 4096, 65536);

				if (r == ENODATA) {
					/* consume keep-alives right away
					 * (the resume point stays valid) */
					if (ka)
						buf_consume(rx, ka);
					break;
				}
				TEST_ERR(r);
				{
					const char *want =
					    got % 2 ? msg1 : msg2;

					TEST_EQ(strlen(want), len);
					TEST_ASSERT(
					    !memcmp(rx->b + ka, want, len));
				}
				++got;
				buf_consume(rx, ka + len);
				scanned = 0;
			}
		}
		TEST_EQ(12, got);
	}
out:
	mem_deref(in);
	mem_deref(rx);
	return err;
}

/* Every torture message sent over TCP frames as the whole file. */
TEST(test_sip_frame_torture)
{
	static const char *const names[] = {
	    "intmeth",  "esc02",          "longreq",          "scalar02",
	    "trws",     "unkscm",         "novelsc",          "bext01",
	    "regaut01", "port-ambiguous", "port-unambiguous",
	};
	char rel[128], *data = NULL;
	int err = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n, len, ka, scanned = 0;

		snprintf(rel, sizeof(rel), "sip/torture/%s.dat", names[i]);
		err = test_read_file(&data, &n, rel);
		TEST_ERR(err);
		err = sip_frame((const uint8_t *)data, n, &scanned, &len, &ka,
		                8192, 65536);
		TEST_ERR(err);
		TEST_EQ(n, len);
		data = mem_deref(data);
	}
	{
		/* clerr over a stream: waits for 9999 body octets */
		size_t n, len, ka, scanned = 0;

		err = test_read_file(&data, &n, "sip/torture/clerr.dat");
		TEST_ERR(err);
		TEST_ERR_EQ(ENODATA,
		            sip_frame((const uint8_t *)data, n, &scanned, &len,
		                      &ka, 8192, 65536));
		TEST_ERR_EQ(EMSGSIZE,
		            sip_frame((const uint8_t *)data, n, &(size_t){0},
		                      &len, &ka, 8192, 4096));
		data = mem_deref(data);
		/* ncl: negative length cannot frame */
		err = test_read_file(&data, &n, "sip/torture/ncl.dat");
		TEST_ERR(err);
		scanned = 0;
		TEST_ERR_EQ(EBADMSG,
		            sip_frame((const uint8_t *)data, n, &scanned, &len,
		                      &ka, 8192, 65536));
		/* mcl01: two different lengths */
		data = mem_deref(data);
		err = test_read_file(&data, &n, "sip/torture/mcl01.dat");
		TEST_ERR(err);
		scanned = 0;
		TEST_ERR_EQ(EBADMSG,
		            sip_frame((const uint8_t *)data, n, &scanned, &len,
		                      &ka, 8192, 65536));
		err = 0;
	}
out:
	mem_deref(data);
	return err;
}
