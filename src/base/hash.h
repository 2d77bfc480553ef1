/* base/hash.h - hash table of intrusive lists, keyed by a 32-bit hash */
#ifndef BASE_HASH_H
#define BASE_HASH_H

#include <stdint.h>

#include "list.h"

struct hash;

/* bsize is rounded up to a power of two. */
int hash_alloc(struct hash **hp, uint32_t bsize);
void hash_append(struct hash *h, uint32_t key, struct le *le, void *data);
void hash_unlink(struct le *le);
/* The bucket list for key (walk it and compare the real key). */
struct list *hash_list(const struct hash *h, uint32_t key);
/* First element in key's bucket for which h returns true. */
struct le *hash_lookup(const struct hash *h, uint32_t key, list_apply_h *ah,
                       void *arg);
/* Every element of every bucket until ah returns true. */
struct le *hash_apply(const struct hash *h, list_apply_h *ah, void *arg);
size_t hash_count(const struct hash *h);
/* mem_deref every element's data. */
void hash_flush(struct hash *h);

#define HASH_FOREACH(h, i, le)                                                 \
	for (uint32_t i = 0; i < hash_bsize(h); i++)                           \
		LIST_FOREACH(hash_bucket(h, i), le)

uint32_t hash_bsize(const struct hash *h);
struct list *hash_bucket(const struct hash *h, uint32_t i);

#endif
