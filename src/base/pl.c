/* base/pl.c - pointer-length slices (zero-copy views into buffers) */
#include "pl.h"

#include <errno.h>
#include <string.h>

#include "mem.h"

const struct pl pl_null = {NULL, 0};

static inline int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

void pl_set_str(struct pl *pl, const char *s)
{
	if (!pl)
		return;
	pl->p = s;
	pl->l = s ? strlen(s) : 0;
}

void pl_set_mem(struct pl *pl, const void *p, size_t l)
{
	if (!pl)
		return;
	pl->p = p;
	pl->l = p ? l : 0;
}

/* Length and pointer of a possibly NULL slice. */
static size_t plen(const struct pl *pl)
{
	return (pl && pl->p) ? pl->l : 0;
}

int pl_strcmp(const struct pl *pl, const char *s)
{
	size_t n = plen(pl), sl = s ? strlen(s) : 0;
	size_t m = n < sl ? n : sl;
	int r = m ? memcmp(pl->p, s, m) : 0;

	if (r)
		return r;
	return n == sl ? 0 : (n < sl ? -1 : 1);
}

int pl_strcasecmp(const struct pl *pl, const char *s)
{
	size_t n = plen(pl), sl = s ? strlen(s) : 0;
	size_t m = n < sl ? n : sl;

	for (size_t i = 0; i < m; i++) {
		int a = lower((unsigned char)pl->p[i]);
		int b = lower((unsigned char)s[i]);
		if (a != b)
			return a - b;
	}
	return n == sl ? 0 : (n < sl ? -1 : 1);
}

int pl_cmp(const struct pl *a, const struct pl *b)
{
	size_t na = plen(a), nb = plen(b);
	size_t m = na < nb ? na : nb;
	int r = m ? memcmp(a->p, b->p, m) : 0;

	if (r)
		return r;
	return na == nb ? 0 : (na < nb ? -1 : 1);
}

int pl_casecmp(const struct pl *a, const struct pl *b)
{
	size_t na = plen(a), nb = plen(b);
	size_t m = na < nb ? na : nb;

	for (size_t i = 0; i < m; i++) {
		int x = lower((unsigned char)a->p[i]);
		int y = lower((unsigned char)b->p[i]);
		if (x != y)
			return x - y;
	}
	return na == nb ? 0 : (na < nb ? -1 : 1);
}

const char *pl_strchr(const struct pl *pl, char c)
{
	size_t n = plen(pl);

	return n ? memchr(pl->p, c, n) : NULL;
}

static inline int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void pl_trim(struct pl *pl)
{
	if (!pl || !pl->p)
		return;
	while (pl->l && is_ws(pl->p[0])) {
		pl->p++;
		pl->l--;
	}
	while (pl->l && is_ws(pl->p[pl->l - 1]))
		pl->l--;
}

int pl_u64(const struct pl *pl, uint64_t *v)
{
	size_t n = plen(pl);
	uint64_t x = 0;

	if (!n || !v)
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)pl->p[i] - '0';
		if (d > 9)
			return EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)pl->p[i] - '0';
		if (x > (UINT64_MAX - d) / 10)
			return ERANGE;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

int pl_u32(const struct pl *pl, uint32_t *v)
{
	uint64_t x;
	int err;

	if (!v)
		return EINVAL;
	err = pl_u64(pl, &x);
	if (err)
		return err;
	if (x > UINT32_MAX)
		return ERANGE;
	*v = (uint32_t)x;
	return 0;
}

int pl_x64(const struct pl *pl, uint64_t *v)
{
	size_t n = plen(pl);
	uint64_t x = 0;
	int range = 0;

	if (!n || !v)
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		int c = lower((unsigned char)pl->p[i]);
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return EINVAL;
		if (x >> 60)
			range = 1;
		x = (x << 4) | d;
	}
	if (range)
		return ERANGE;
	*v = x;
	return 0;
}

int pl_strdup(char **dstp, const struct pl *src)
{
	if (!dstp)
		return EINVAL;
	return mem_strndup(dstp, plen(src) ? src->p : "", plen(src));
}

int pl_strcpy(const struct pl *pl, char *buf, size_t size)
{
	size_t n = plen(pl);

	if (!buf || !size)
		return EINVAL;
	if (n >= size)
		return ERANGE;
	if (n)
		memcpy(buf, pl->p, n);
	buf[n] = '\0';
	return 0;
}

#define FNV_OFFSET 2166136261u
#define FNV_PRIME  16777619u

uint32_t pl_hash_ci(const struct pl *pl)
{
	uint32_t h = FNV_OFFSET;
	size_t n = plen(pl);

	for (size_t i = 0; i < n; i++) {
		h ^= (uint32_t)lower((unsigned char)pl->p[i]);
		h *= FNV_PRIME;
	}
	return h;
}

uint32_t pl_hash(const struct pl *pl)
{
	uint32_t h = FNV_OFFSET;
	size_t n = plen(pl);

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)pl->p[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint32_t str_hash_ci(const char *s)
{
	struct pl pl;

	pl_set_str(&pl, s);
	return pl_hash_ci(&pl);
}
