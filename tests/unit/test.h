/* tests/unit/test.h - the unit test framework (leak check, OOM replay) */
#ifndef TEST_H
#define TEST_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/pl.h"

struct test {
	const char *name;
	const char *file;
	int (*fn)(void);
	struct test *next;
	int no_oom; /* skip the --oom replay (threads, sockets) */
};

void test_register(struct test *t);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Directory of test vectors (tests/data), from IMPD_TEST_DATA or the
 * build-time default. */
const char *test_datadir(void);
/* Read tests/data/<rel> into a mem buffer (NUL-terminated); ENOENT. */
int test_read_file(char **bufp, size_t *lenp, const char *rel);

#define TEST_DEFINE(fname, oomflag)                                            \
	static int fname(void);                                                \
	static struct test fname##_t = {#fname, __FILE__, fname, NULL,         \
	                                oomflag};                              \
	__attribute__((constructor)) static void fname##_reg(void)             \
	{                                                                      \
		test_register(&fname##_t);                                     \
	}                                                                      \
	static int fname(void)

/* TEST(test_sip_uri_params) { ... out: return err; } */
#define TEST(fname) TEST_DEFINE(fname, 0)
/* A test that must not run under --oom (threads, real sockets). */
#define TEST_NO_OOM(fname) TEST_DEFINE(fname, 1)

#define TEST_ERR(e)                                                            \
	do {                                                                   \
		if ((e)) {                                                     \
			if ((e) != ENOMEM)                                     \
				test_fail(__FILE__, __LINE__, "error %d (%s)", \
				          (e), strerror(e));                   \
			goto out;                                              \
		}                                                              \
	} while (0)

/* Expect a specific error code. */
#define TEST_ERR_EQ(expected, e)                                               \
	do {                                                                   \
		int te_ = (e);                                                 \
		if (te_ == ENOMEM && (expected) != ENOMEM) {                   \
			err = ENOMEM;                                          \
			goto out;                                              \
		}                                                              \
		if (te_ != (expected)) {                                       \
			test_fail(__FILE__, __LINE__,                          \
			          "expected error %d, got %d (%s)",            \
			          (expected), te_, strerror(te_));             \
			err = EINVAL;                                          \
			goto out;                                              \
		}                                                              \
	} while (0)

#define TEST_ASSERT(c)                                                         \
	do {                                                                   \
		if (!(c)) {                                                    \
			test_fail(__FILE__, __LINE__, "assertion: %s", #c);    \
			err = EINVAL;                                          \
			goto out;                                              \
		}                                                              \
	} while (0)

#define TEST_EQ(expected, actual)                                              \
	do {                                                                   \
		long long te_e = (long long)(expected);                        \
		long long te_a = (long long)(actual);                          \
		if (te_e != te_a) {                                            \
			test_fail(__FILE__, __LINE__,                          \
			          "%s: expected %lld, got %lld", #actual,      \
			          te_e, te_a);                                 \
			err = EINVAL;                                          \
			goto out;                                              \
		}                                                              \
	} while (0)

#define TEST_STR_EQ(expected, actual)                                          \
	do {                                                                   \
		const char *te_e = (expected), *te_a = (actual);               \
		if (!te_a || strcmp(te_e, te_a)) {                             \
			test_fail(__FILE__, __LINE__,                          \
			          "%s: expected \"%s\", got \"%s\"", #actual,  \
			          te_e, te_a ? te_a : "(null)");               \
			err = EINVAL;                                          \
			goto out;                                              \
		}                                                              \
	} while (0)

#define TEST_PL_EQ(expected, plp)                                              \
	do {                                                                   \
		const struct pl *te_p = (plp);                                 \
		if (pl_strcmp(te_p, (expected))) {                             \
			test_fail(__FILE__, __LINE__,                          \
			          "%s: expected \"%s\", got \"%.*s\"", #plp,   \
			          (expected), PL_PRINT(te_p));                 \
			err = EINVAL;                                          \
			goto out;                                              \
		}                                                              \
	} while (0)

#endif
