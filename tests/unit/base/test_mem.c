/* tests/unit/base/test_mem.c - refcounts, destructors, fail injection */
#include <stdint.h>
#include <string.h>

#include "base/mem.h"
#include "test.h"

static char order[16];
static size_t norder;

struct node {
	char tag;
	struct node *child; /* a reference we hold */
};

static void node_destroy(void *data)
{
	struct node *n = data;

	if (norder < sizeof(order) - 1)
		order[norder++] = n->tag;
	mem_deref(n->child);
}

static int node_alloc(struct node **np, char tag, struct node *child)
{
	struct node *n = mem_zalloc(sizeof(*n), node_destroy);

	if (!n)
		return ENOMEM;
	n->tag = tag;
	n->child = mem_ref(child);
	*np = n;
	return 0;
}

TEST(test_mem_refcount)
{
	struct node *a = NULL, *b = NULL;
	int err;

	memset(order, 0, sizeof(order));
	norder = 0;
	err = node_alloc(&a, 'a', NULL);
	TEST_ERR(err);
	TEST_EQ(1, mem_nrefs(a));
	TEST_ASSERT(mem_ref(a) == a);
	TEST_EQ(2, mem_nrefs(a));
	TEST_ASSERT(mem_deref(a) == NULL);
	TEST_EQ(1, mem_nrefs(a));
	TEST_EQ(0, norder); /* still alive */

	err = node_alloc(&b, 'b', a); /* b holds a */
	TEST_ERR(err);
	TEST_EQ(2, mem_nrefs(a));
	a = mem_deref(a);
	TEST_EQ(0, norder);
	b = mem_deref(b); /* b's destructor drops a */
	TEST_EQ(2, norder);
	TEST_STR_EQ("ba", order);
	TEST_ASSERT(mem_deref(NULL) == NULL);
	TEST_ASSERT(mem_ref(NULL) == NULL);
	TEST_EQ(0, mem_nrefs(NULL));
out:
	mem_deref(b);
	mem_deref(a);
	return err;
}

TEST(test_mem_alignment_zero)
{
	uint8_t *p[5] = {NULL};
	int err = 0;

	for (size_t i = 0; i < 5; i++) {
		p[i] = mem_zalloc(i * 7 + 1, NULL);
		if (!p[i]) {
			err = ENOMEM;
			goto out;
		}
		TEST_EQ(0, (uintptr_t)p[i] % 16);
		for (size_t k = 0; k < i * 7 + 1; k++)
			TEST_EQ(0, p[i][k]);
	}
out:
	for (size_t i = 0; i < 5; i++)
		mem_deref(p[i]);
	return err;
}

TEST(test_mem_stats_realloc)
{
	struct mem_stat s0, s1;
	char *p = NULL, *q;
	int err = 0;

	mem_stat_get(&s0);
	p = mem_alloc(10, NULL);
	if (!p)
		return ENOMEM;
	mem_stat_get(&s1);
	TEST_EQ(s0.blocks + 1, s1.blocks);
	TEST_EQ(s0.bytes + 10, s1.bytes);
	TEST_EQ(s0.allocs + 1, s1.allocs);
	memcpy(p, "0123456789", 10);

	q = mem_realloc(p, 1000);
	if (!q) {
		err = ENOMEM;
		goto out;
	}
	p = q;
	TEST_ASSERT(!memcmp(p, "0123456789", 10));
	mem_stat_get(&s1);
	TEST_EQ(s0.blocks + 1, s1.blocks);
	TEST_EQ(s0.bytes + 1000, s1.bytes);

	/* a shared block cannot be resized */
	mem_ref(p);
	TEST_ASSERT(mem_realloc(p, 20) == NULL);
	mem_deref(p);
	TEST_EQ(1, mem_nrefs(p));

	q = mem_realloc(p, 3);
	if (!q) {
		err = ENOMEM;
		goto out;
	}
	p = q;
	TEST_ASSERT(!memcmp(p, "012", 3));
	mem_stat_get(&s1);
	TEST_EQ(s0.bytes + 3, s1.bytes);
out:
	mem_deref(p);
	mem_stat_get(&s1);
	return err;
}

TEST(test_mem_strdup)
{
	char *a = NULL, *b = NULL;
	int err;

	err = mem_strdup(&a, "hello");
	TEST_ERR(err);
	TEST_STR_EQ("hello", a);
	err = mem_strndup(&b, "hello world", 5);
	TEST_ERR(err);
	TEST_STR_EQ("hello", b);
	TEST_ERR_EQ(EINVAL, mem_strdup(NULL, "x"));
	TEST_ERR_EQ(EINVAL, mem_strdup(&b, NULL));
	err = 0;
out:
	mem_deref(a);
	mem_deref(b);
	return err;
}

static void set_flag(void *data)
{
	*(int *)data = 42;
}

TEST(test_mem_destructor_replace)
{
	int *p = mem_zalloc(sizeof(int), NULL);
	int err = 0;

	if (!p)
		return ENOMEM;
	mem_destructor(p, set_flag);
	mem_ref(p);
	mem_deref(p);
	TEST_EQ(0, *p);
out:
	mem_deref(p);
	return err;
}

/* Injection counts this thread's allocations and fails exactly the n-th;
 * no ENOMEM path of the runner is involved (it is off around us). */
TEST_NO_OOM(test_mem_fail_injection)
{
	void *p[4] = {NULL};
	int err = 0;

	mem_fail_after(3);
	p[0] = mem_alloc(1, NULL);
	p[1] = mem_alloc(1, NULL);
	p[2] = mem_alloc(1, NULL);
	p[3] = mem_alloc(1, NULL);
	TEST_EQ(4, mem_fail_count());
	mem_fail_after(0);
	TEST_ASSERT(p[0] && p[1]);
	TEST_ASSERT(p[2] == NULL);
	/* only the n-th fails */
	TEST_ASSERT(p[3] != NULL);
	p[2] = mem_alloc(1, NULL);
	TEST_ASSERT(p[2] != NULL);
	TEST_EQ(1, mem_fail_count());
	/* mem_realloc counts too */
	mem_fail_after(1);
	TEST_ASSERT(mem_realloc(p[2], 100) == NULL);
	mem_fail_after(0);
out:
	mem_fail_after(0);
	for (size_t i = 0; i < 4; i++)
		mem_deref(p[i]);
	return err;
}
