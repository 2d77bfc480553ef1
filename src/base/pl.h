/* base/pl.h - pointer-length slices (zero-copy views into buffers) */
#ifndef BASE_PL_H
#define BASE_PL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl {
	const char *p;
	size_t l;
};

/* A slice of a string literal: &PL("sip") */
#define PL(s) ((struct pl){(s), sizeof(s) - 1})
#define PL_INIT                                                                \
	{                                                                      \
		NULL, 0                                                        \
	}
/* For printf: "%.*s", PL_PRINT(&pl) */
#define PL_PRINT(pl) (int)(pl)->l, (pl)->p

extern const struct pl pl_null;

static inline bool pl_isset(const struct pl *pl)
{
	return pl && pl->p && pl->l;
}

void pl_set_str(struct pl *pl, const char *s);
void pl_set_mem(struct pl *pl, const void *p, size_t l);
/* Compare with a C string; 0 when equal (like strcmp's zero). */
int pl_strcmp(const struct pl *pl, const char *s);
int pl_strcasecmp(const struct pl *pl, const char *s);
int pl_cmp(const struct pl *a, const struct pl *b);
int pl_casecmp(const struct pl *a, const struct pl *b);
/* Find c; NULL when absent. */
const char *pl_strchr(const struct pl *pl, char c);
/* Remove leading/trailing SP, HTAB, CR, LF. */
void pl_trim(struct pl *pl);
/* Decimal parse of the whole slice. EINVAL if empty or not all digits,
 * ERANGE if it does not fit. */
int pl_u32(const struct pl *pl, uint32_t *v);
int pl_u64(const struct pl *pl, uint64_t *v);
/* Hex parse of the whole slice. */
int pl_x64(const struct pl *pl, uint64_t *v);
/* Allocate a NUL-terminated copy (mem_alloc). ENOMEM. */
int pl_strdup(char **dstp, const struct pl *src);
/* Copy into a caller's buffer, NUL-terminated; ERANGE if it does not fit. */
int pl_strcpy(const struct pl *pl, char *buf, size_t size);
/* Case-insensitive hash (FNV-1a over lower-cased bytes). */
uint32_t pl_hash_ci(const struct pl *pl);
uint32_t pl_hash(const struct pl *pl);
uint32_t str_hash_ci(const char *s);

#endif
