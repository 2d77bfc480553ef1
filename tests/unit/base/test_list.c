/* tests/unit/base/test_list.c - intrusive lists and the hash table */
#include <stdbool.h>

#include "base/hash.h"
#include "base/list.h"
#include "base/mem.h"
#include "test.h"

struct item {
	struct le le;
	int v;
};

static void item_destroy(void *data)
{
	struct item *it = data;

	list_unlink(&it->le);
}

static int item_alloc(struct item **ip, int v)
{
	struct item *it = mem_zalloc(sizeof(*it), item_destroy);

	if (!it)
		return ENOMEM;
	it->v = v;
	*ip = it;
	return 0;
}

static int list_sum(const struct list *l, int *order)
{
	int n = 0, s = 0;

	LIST_FOREACH(l, le) {
		struct item *it = le->data;
		if (order)
			order[n] = it->v;
		n++;
		s += it->v;
	}
	return s;
}

TEST(test_list_basic)
{
	struct list l = LIST_INIT;
	struct item *it[5] = {NULL};
	int order[5], err = 0;

	for (int i = 0; i < 5; i++) {
		err = item_alloc(&it[i], i);
		TEST_ERR(err);
	}
	list_append(&l, &it[2]->le, it[2]);
	list_prepend(&l, &it[0]->le, it[0]);
	list_append(&l, &it[4]->le, it[4]);
	list_insert_after(&l, &it[0]->le, &it[1]->le, it[1]);
	list_insert_before(&l, &it[4]->le, &it[3]->le, it[3]);
	TEST_EQ(5, list_count(&l));
	TEST_EQ(10, list_sum(&l, order));
	for (int i = 0; i < 5; i++)
		TEST_EQ(i, order[i]);
	TEST_ASSERT(list_head(&l) == &it[0]->le);
	TEST_ASSERT(l.tail == &it[4]->le);
	TEST_ASSERT(list_ledata(list_head(&l)) == it[0]);

	list_unlink(&it[0]->le); /* head */
	list_unlink(&it[4]->le); /* tail */
	list_unlink(&it[2]->le); /* middle */
	list_unlink(&it[2]->le); /* no-op */
	TEST_EQ(2, list_count(&l));
	TEST_EQ(4, list_sum(&l, order));
	TEST_EQ(1, order[0]);
	TEST_EQ(3, order[1]);
	TEST_ASSERT(l.head->prev == NULL && l.tail->next == NULL);
out:
	for (int i = 0; i < 5; i++)
		mem_deref(it[i]);
	return err;
}

TEST(test_list_unlink_during_iteration)
{
	struct list l = LIST_INIT;
	int err = 0, seen = 0;

	for (int i = 0; i < 10; i++) {
		struct item *it;
		err = item_alloc(&it, i);
		TEST_ERR(err);
		list_append(&l, &it->le, it); /* the list holds it */
	}
	/* free every odd element while walking */
	LIST_FOREACH(&l, le) {
		struct item *it = le->data;
		seen++;
		if (it->v % 2)
			mem_deref(it);
	}
	TEST_EQ(10, seen);
	TEST_EQ(5, list_count(&l));
	TEST_EQ(0 + 2 + 4 + 6 + 8, list_sum(&l, NULL));
out:
	list_flush(&l);
	return err;
}

static bool find_v(struct le *le, void *arg)
{
	return ((struct item *)le->data)->v == *(int *)arg;
}

static bool drop_all(struct le *le, void *arg)
{
	(*(int *)arg)++;
	mem_deref(le->data);
	return false;
}

TEST(test_list_apply_flush)
{
	struct list l;
	int err = 0, v = 3, n = 0;

	list_init(&l);
	for (int i = 0; i < 6; i++) {
		struct item *it;
		err = item_alloc(&it, i);
		TEST_ERR(err);
		list_append(&l, &it->le, it);
	}
	TEST_ASSERT(list_apply(&l, find_v, &v) != NULL);
	TEST_EQ(3, ((struct item *)list_apply(&l, find_v, &v)->data)->v);
	v = 42;
	TEST_ASSERT(list_apply(&l, find_v, &v) == NULL);
	TEST_ASSERT(list_apply(&l, drop_all, &n) == NULL);
	TEST_EQ(6, n);
	TEST_EQ(0, list_count(&l));
out:
	list_flush(&l);
	return err;
}

/* Flushing with destructors that unlink other elements too. */
struct pair {
	struct le le;
	struct pair *other; /* borrowed */
};

static void pair_destroy(void *data)
{
	struct pair *p = data;

	list_unlink(&p->le);
	if (p->other) {
		p->other->other = NULL;
		list_unlink(&p->other->le);
		mem_deref(p->other);
	}
}

TEST(test_list_flush_cascade)
{
	struct list l = LIST_INIT;
	struct pair *a = NULL, *b = NULL;
	int err = 0;

	a = mem_zalloc(sizeof(*a), pair_destroy);
	b = mem_zalloc(sizeof(*b), pair_destroy);
	if (!a || !b) {
		mem_deref(a);
		mem_deref(b);
		return ENOMEM;
	}
	a->other = b;
	b->other = a;
	list_append(&l, &a->le, a);
	list_append(&l, &b->le, b);
	list_flush(&l); /* a's destructor unlinks and frees b */
	TEST_EQ(0, list_count(&l));
	TEST_ASSERT(l.head == NULL && l.tail == NULL);
out:
	return err;
}

static bool find_key(struct le *le, void *arg)
{
	return ((struct item *)le->data)->v == *(int *)arg;
}

TEST(test_hash_basic)
{
	struct hash *h = NULL;
	int err, k, total = 0;

	err = hash_alloc(&h, 5);
	TEST_ERR(err);
	TEST_EQ(8, hash_bsize(h));
	for (int i = 0; i < 100; i++) {
		struct item *it;
		err = item_alloc(&it, i);
		TEST_ERR(err);
		hash_append(h, (uint32_t)i * 2654435761u, &it->le, it);
	}
	TEST_EQ(100, hash_count(h));
	k = 37;
	{
		struct le *le = hash_lookup(h, 37u * 2654435761u, find_key, &k);
		TEST_ASSERT(le != NULL);
		TEST_EQ(37, ((struct item *)le->data)->v);
		TEST_ASSERT(le->list == hash_list(h, 37u * 2654435761u));
		hash_unlink(le);
		mem_deref(le->data);
	}
	TEST_ASSERT(hash_lookup(h, 37u * 2654435761u, find_key, &k) == NULL);
	TEST_EQ(99, hash_count(h));
	k = 99;
	TEST_ASSERT(hash_apply(h, find_key, &k) != NULL);
	HASH_FOREACH(h, i, le) {
		struct item *it = le->data;
		total += it->v;
		if (it->v >= 50)
			mem_deref(it); /* unlinks itself */
	}
	TEST_EQ(4950 - 37, total);
	TEST_EQ(49, hash_count(h));
	TEST_ERR_EQ(EINVAL, hash_alloc(&h, 0));
	err = 0;
out:
	hash_flush(h);
	mem_deref(h);
	return err;
}

TEST(test_hash_free_unlinks)
{
	struct hash *h = NULL;
	struct item *it = NULL;
	int err;

	err = hash_alloc(&h, 1);
	TEST_ERR(err);
	err = item_alloc(&it, 1);
	TEST_ERR(err);
	hash_append(h, 7, &it->le, it);
	h = mem_deref(h); /* the item survives, unlinked */
	TEST_ASSERT(it->le.list == NULL);
out:
	mem_deref(h);
	mem_deref(it); /* its destructor's unlink is a no-op */
	return err;
}
