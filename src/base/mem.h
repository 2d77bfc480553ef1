/* base/mem.h - reference-counted allocation with destructors */
#ifndef BASE_MEM_H
#define BASE_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Called once, when the last reference goes. Must not fail. */
typedef void mem_destroy_h(void *data);

/* New block with one reference; NULL on failure (or injected failure). */
void *mem_alloc(size_t size, mem_destroy_h *dh);
/* As mem_alloc, zero-filled. */
void *mem_zalloc(size_t size, mem_destroy_h *dh);
/* Resize a block that has exactly one reference. NULL on failure
 * (the old block is untouched then). */
void *mem_realloc(void *data, size_t size);
/* Take a reference; NULL-safe. Returns data. */
void *mem_ref(void *data);
/* Drop a reference; NULL-safe. Always returns NULL: x = mem_deref(x). */
void *mem_deref(void *data);
uint32_t mem_nrefs(const void *data);
/* Replace the destructor of a block. */
void mem_destructor(void *data, mem_destroy_h *dh);

/* Copies of C strings and byte ranges as refcounted blocks. */
int mem_strdup(char **dstp, const char *src);
int mem_strndup(char **dstp, const char *src, size_t n);

struct mem_stat {
	size_t blocks;   /* live blocks */
	size_t bytes;    /* live user bytes */
	uint64_t allocs; /* allocations since start */
};
/* Process-wide statistics (atomic counters; safe from any thread). */
void mem_stat_get(struct mem_stat *st);

/* Failure injection for tests: fail the n-th allocation from now
 * (1 = the next one); 0 turns injection off. Only the calling thread's
 * allocations count. */
void mem_fail_after(uint64_t n);
/* Number of allocations this thread has made since mem_fail_after(). */
uint64_t mem_fail_count(void);

#endif
