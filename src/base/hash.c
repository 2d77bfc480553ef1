/* base/hash.c - hash table of intrusive lists, keyed by a 32-bit hash */
#include "hash.h"

#include <errno.h>

#include "mem.h"

struct hash {
	struct list *bucket;
	uint32_t bsize;
};

static void hash_destroy(void *data)
{
	struct hash *h = data;

	/* Elements stay alive (their owners hold them); unlink them so they
	 * do not point into freed buckets. */
	if (h->bucket) {
		for (uint32_t i = 0; i < h->bsize; i++)
			while (h->bucket[i].head)
				list_unlink(h->bucket[i].head);
	}
	mem_deref(h->bucket);
}

int hash_alloc(struct hash **hp, uint32_t bsize)
{
	struct hash *h;
	uint32_t n = 1;

	if (!hp || !bsize || bsize > (UINT32_C(1) << 30))
		return EINVAL;
	while (n < bsize)
		n <<= 1;
	h = mem_zalloc(sizeof(*h), hash_destroy);
	if (!h)
		return ENOMEM;
	h->bucket = mem_zalloc(n * sizeof(*h->bucket), NULL);
	if (!h->bucket) {
		mem_deref(h);
		return ENOMEM;
	}
	h->bsize = n;
	*hp = h;
	return 0;
}

void hash_append(struct hash *h, uint32_t key, struct le *le, void *data)
{
	if (!h || !le)
		return;
	list_append(&h->bucket[key & (h->bsize - 1)], le, data);
}

void hash_unlink(struct le *le)
{
	list_unlink(le);
}

struct list *hash_list(const struct hash *h, uint32_t key)
{
	return h ? &h->bucket[key & (h->bsize - 1)] : NULL;
}

struct le *hash_lookup(const struct hash *h, uint32_t key, list_apply_h *ah,
                       void *arg)
{
	if (!h || !ah)
		return NULL;
	return list_apply(&h->bucket[key & (h->bsize - 1)], ah, arg);
}

struct le *hash_apply(const struct hash *h, list_apply_h *ah, void *arg)
{
	if (!h || !ah)
		return NULL;
	for (uint32_t i = 0; i < h->bsize; i++) {
		struct le *le = list_apply(&h->bucket[i], ah, arg);
		if (le)
			return le;
	}
	return NULL;
}

size_t hash_count(const struct hash *h)
{
	size_t n = 0;

	if (!h)
		return 0;
	for (uint32_t i = 0; i < h->bsize; i++)
		n += h->bucket[i].n;
	return n;
}

void hash_flush(struct hash *h)
{
	if (!h)
		return;
	for (uint32_t i = 0; i < h->bsize; i++)
		list_flush(&h->bucket[i]);
}

uint32_t hash_bsize(const struct hash *h)
{
	return h ? h->bsize : 0;
}

struct list *hash_bucket(const struct hash *h, uint32_t i)
{
	return (h && i < h->bsize) ? &h->bucket[i] : NULL;
}
