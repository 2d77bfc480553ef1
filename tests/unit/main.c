/* tests/unit/main.c - unittest [-v] [--oom] [--list] [filter...] */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "test.h"

static struct test *tests;
static struct test **tail = &tests;
static int failed_assert;
static bool verbose;

void test_register(struct test *t)
{
	*tail = t;
	tail = &t->next;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	failed_assert = 1;
	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *test_datadir(void)
{
	const char *d = getenv("IMPD_TEST_DATA");
	return d ? d : IMPD_TEST_DATA_DEFAULT;
}

int test_read_file(char **bufp, size_t *lenp, const char *rel)
{
	char path[1024];
	FILE *f;
	long n;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", test_datadir(), rel);
	f = fopen(path, "rb");
	if (!f)
		return ENOENT;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return EIO;
	}
	buf = mem_alloc((size_t)n + 1, NULL);
	if (!buf) {
		fclose(f);
		return ENOMEM;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		mem_deref(buf);
		return EIO;
	}
	fclose(f);
	buf[n] = '\0';
	*bufp = buf;
	if (lenp)
		*lenp = (size_t)n;
	return 0;
}

static void quiet_log(enum log_level lvl, const char *module, const char *line,
                      void *arg)
{
	(void)arg;
	if (verbose)
		fprintf(stderr, "      <%d> %s %s\n", lvl, module, line);
}

/* Run once with leak check. Returns 0 pass, else error. */
static int run_one(const struct test *t, int *leaked)
{
	struct mem_stat before, after;
	int err;

	mem_stat_get(&before);
	failed_assert = 0;
	err = t->fn();
	mem_stat_get(&after);
	*leaked = after.blocks != before.blocks;
	if (*leaked)
		fprintf(stderr, "    leak: %zd blocks, %zd bytes\n",
		        (ssize_t)(after.blocks - before.blocks),
		        (ssize_t)(after.bytes - before.bytes));
	if (failed_assert && !err)
		err = EINVAL;
	return err;
}

/* Replay with the n-th allocation failing, for n = 1.. until the test runs
 * through without hitting an injected failure. It must return 0 or ENOMEM
 * each time and never leak. */
static int run_oom(const struct test *t)
{
	for (uint64_t n = 1; n < 100000; n++) {
		int leaked, err;

		mem_fail_after(n);
		err = run_one(t, &leaked);
		uint64_t used = mem_fail_count();
		mem_fail_after(0);
		if (leaked) {
			fprintf(stderr, "    oom #%llu: leak\n",
			        (unsigned long long)n);
			return EINVAL;
		}
		if (err && err != ENOMEM) {
			fprintf(stderr, "    oom #%llu: error %d (%s)\n",
			        (unsigned long long)n, err, strerror(err));
			return err;
		}
		if (used < n) /* finished before the injected failure */
			return 0;
	}
	return 0;
}

static bool match(const struct test *t, int argc, char **argv, int first)
{
	if (first >= argc)
		return true;
	for (int i = first; i < argc; i++)
		if (strstr(t->name, argv[i]) || strstr(t->file, argv[i]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	bool oom = false, list = false;
	int first = 1, passed = 0, failed = 0;

	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "-v"))
			verbose = true;
		else if (!strcmp(argv[first], "--oom"))
			oom = true;
		else if (!strcmp(argv[first], "--list"))
			list = true;
		else {
			fprintf(stderr, "usage: unittest [-v] [--oom] [--list] "
			                "[filter...]\n");
			return 2;
		}
	}
	log_handler_set(quiet_log, NULL);
	if (verbose)
		log_level_set(LOG_LVL_DEBUG);

	for (struct test *t = tests; t; t = t->next) {
		int leaked = 0, err;

		if (!match(t, argc, argv, first))
			continue;
		if (list) {
			printf("%s\n", t->name);
			continue;
		}
		err = run_one(t, &leaked);
		if (!err && !leaked && oom && !t->no_oom)
			err = run_oom(t);
		if (err || leaked) {
			failed++;
			printf("FAIL %s (%s)\n", t->name,
			       leaked ? "leak" : strerror(err));
		} else {
			passed++;
			if (verbose)
				printf("ok   %s\n", t->name);
		}
		fflush(stdout);
	}
	if (list)
		return 0;
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
