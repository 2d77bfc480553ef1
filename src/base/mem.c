/* base/mem.c - reference-counted allocation with destructors */
#include "mem.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEM_MAGIC 0x6d656d21u /* "mem!" */

/* The header sits in front of the user data. Its size is a multiple of 16
 * so the user data keeps malloc's 16-byte alignment (x86_64, aarch64). */
struct mem_hdr {
	_Alignas(16) uint32_t nrefs;
	uint32_t magic;
	size_t size;
	mem_destroy_h *dh;
};

_Static_assert(sizeof(struct mem_hdr) % 16 == 0, "mem header alignment");

static atomic_size_t stat_blocks;
static atomic_size_t stat_bytes;
static atomic_uint_least64_t stat_allocs;

static _Thread_local uint64_t fail_after;
static _Thread_local uint64_t fail_count;

static struct mem_hdr *hdr_of(const void *data)
{
	struct mem_hdr *m = (struct mem_hdr *)((char *)(uintptr_t)data -
	                                       sizeof(struct mem_hdr));

	if (m->magic != MEM_MAGIC) {
		/* A programming error (not a runtime condition): a pointer
		 * that mem did not allocate, or a double free. */
		fprintf(stderr, "mem: bad block %p\n", data);
		abort();
	}
	return m;
}

/* Counts the attempt; true when this one must fail (injection). */
static int inject_fail(void)
{
	fail_count++;
	return fail_after && fail_count == fail_after;
}

void *mem_alloc(size_t size, mem_destroy_h *dh)
{
	struct mem_hdr *m;

	if (inject_fail())
		return NULL;
	if (size > SIZE_MAX - sizeof(*m))
		return NULL;
	m = malloc(sizeof(*m) + size);
	if (!m)
		return NULL;
	m->nrefs = 1;
	m->magic = MEM_MAGIC;
	m->size = size;
	m->dh = dh;
	atomic_fetch_add_explicit(&stat_blocks, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&stat_bytes, size, memory_order_relaxed);
	atomic_fetch_add_explicit(&stat_allocs, 1, memory_order_relaxed);
	return m + 1;
}

void *mem_zalloc(size_t size, mem_destroy_h *dh)
{
	void *p = mem_alloc(size, dh);

	if (p)
		memset(p, 0, size);
	return p;
}

void *mem_realloc(void *data, size_t size)
{
	struct mem_hdr *m, *m2;
	size_t old;

	if (!data)
		return mem_alloc(size, NULL);
	m = hdr_of(data);
	if (m->nrefs != 1)
		return NULL;
	if (inject_fail())
		return NULL;
	if (size > SIZE_MAX - sizeof(*m))
		return NULL;
	old = m->size;
	m2 = realloc(m, sizeof(*m2) + size);
	if (!m2)
		return NULL;
	m2->size = size;
	if (size >= old)
		atomic_fetch_add_explicit(&stat_bytes, size - old,
		                          memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&stat_bytes, old - size,
		                          memory_order_relaxed);
	atomic_fetch_add_explicit(&stat_allocs, 1, memory_order_relaxed);
	return m2 + 1;
}

void *mem_ref(void *data)
{
	if (data)
		hdr_of(data)->nrefs++;
	return data;
}

void *mem_deref(void *data)
{
	struct mem_hdr *m;

	if (!data)
		return NULL;
	m = hdr_of(data);
	if (m->nrefs == 0) {
		/* deref from inside its own destructor: already dying */
		return NULL;
	}
	if (--m->nrefs > 0)
		return NULL;
	if (m->dh)
		m->dh(data);
	/* The destructor may have taken and dropped references; the block
	 * still goes now. */
	atomic_fetch_sub_explicit(&stat_blocks, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&stat_bytes, m->size, memory_order_relaxed);
	m->magic = 0;
	free(m);
	return NULL;
}

uint32_t mem_nrefs(const void *data)
{
	return data ? hdr_of(data)->nrefs : 0;
}

void mem_destructor(void *data, mem_destroy_h *dh)
{
	if (data)
		hdr_of(data)->dh = dh;
}

int mem_strdup(char **dstp, const char *src)
{
	if (!dstp || !src)
		return EINVAL;
	return mem_strndup(dstp, src, strlen(src));
}

int mem_strndup(char **dstp, const char *src, size_t n)
{
	char *s;

	if (!dstp || (!src && n))
		return EINVAL;
	if (n == SIZE_MAX)
		return ENOMEM;
	s = mem_alloc(n + 1, NULL);
	if (!s)
		return ENOMEM;
	if (n)
		memcpy(s, src, n);
	s[n] = '\0';
	*dstp = s;
	return 0;
}

void mem_stat_get(struct mem_stat *st)
{
	if (!st)
		return;
	st->blocks = atomic_load_explicit(&stat_blocks, memory_order_relaxed);
	st->bytes = atomic_load_explicit(&stat_bytes, memory_order_relaxed);
	st->allocs = atomic_load_explicit(&stat_allocs, memory_order_relaxed);
}

void mem_fail_after(uint64_t n)
{
	fail_after = n;
	fail_count = 0;
}

uint64_t mem_fail_count(void)
{
	return fail_count;
}
