/* base/buf.c - growable, refcounted byte buffers */
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

#define BUF_MIN 16

static void buf_destroy(void *data)
{
	struct buf *b = data;

	mem_deref(b->b);
}

int buf_alloc(struct buf **bp, size_t size)
{
	struct buf *b;

	if (!bp)
		return EINVAL;
	if (size < BUF_MIN)
		size = BUF_MIN;
	b = mem_zalloc(sizeof(*b), buf_destroy);
	if (!b)
		return ENOMEM;
	b->b = mem_alloc(size, NULL);
	if (!b->b) {
		mem_deref(b);
		return ENOMEM;
	}
	b->size = size;
	*bp = b;
	return 0;
}

int buf_alloc_copy(struct buf **bp, const void *p, size_t n)
{
	struct buf *b;
	int err;

	if (!bp || (!p && n))
		return EINVAL;
	err = buf_alloc(&b, n);
	if (err)
		return err;
	if (n)
		memcpy(b->b, p, n);
	b->end = n;
	*bp = b;
	return 0;
}

int buf_resize(struct buf *b, size_t size)
{
	uint8_t *nb;

	if (!b)
		return EINVAL;
	if (size < BUF_MIN)
		size = BUF_MIN;
	if (size == b->size)
		return 0;
	nb = mem_realloc(b->b, size);
	if (!nb)
		return ENOMEM;
	b->b = nb;
	b->size = size;
	if (b->end > size)
		b->end = size;
	if (b->pos > size)
		b->pos = size;
	return 0;
}

/* Make room for n more bytes at pos. */
static int grow(struct buf *b, size_t n)
{
	size_t need, nsize;

	if (b->pos > SIZE_MAX - n)
		return ENOMEM;
	need = b->pos + n;
	if (need <= b->size)
		return 0;
	nsize = b->size ? b->size : BUF_MIN;
	while (nsize < need) {
		if (nsize > SIZE_MAX / 2) {
			nsize = need;
			break;
		}
		nsize *= 2;
	}
	return buf_resize(b, nsize);
}

void buf_reset(struct buf *b)
{
	if (!b)
		return;
	b->pos = 0;
	b->end = 0;
}

/* After writing up to pos: zero any gap left by a cursor past end. */
static void fill_gap(struct buf *b)
{
	if (b->pos > b->end)
		memset(b->b + b->end, 0, b->pos - b->end);
}

int buf_write(struct buf *b, const void *p, size_t n)
{
	int err;

	if (!b || (!p && n))
		return EINVAL;
	err = grow(b, n);
	if (err)
		return err;
	fill_gap(b);
	if (n)
		memcpy(b->b + b->pos, p, n);
	b->pos += n;
	if (b->pos > b->end)
		b->end = b->pos;
	return 0;
}

int buf_write_str(struct buf *b, const char *s)
{
	if (!s)
		return EINVAL;
	return buf_write(b, s, strlen(s));
}

int buf_write_pl(struct buf *b, const struct pl *pl)
{
	if (!pl)
		return EINVAL;
	if (!pl->p)
		return buf_write(b, NULL, 0);
	return buf_write(b, pl->p, pl->l);
}

int buf_write_u8(struct buf *b, uint8_t v)
{
	return buf_write(b, &v, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	size_t avail;
	int n, err;

	if (!b || !fmt)
		return EINVAL;
	err = grow(b, 0);
	if (err)
		return err;
	fill_gap(b);
	avail = b->size - b->pos;
	va_copy(aq, ap);
	n = vsnprintf((char *)b->b + b->pos, avail, fmt, aq);
	va_end(aq);
	if (n < 0)
		return EINVAL;
	if ((size_t)n >= avail) {
		/* room for the terminating NUL that vsnprintf writes */
		err = grow(b, (size_t)n + 1);
		if (err)
			return err;
		va_copy(aq, ap);
		n = vsnprintf((char *)b->b + b->pos, b->size - b->pos, fmt, aq);
		va_end(aq);
		if (n < 0)
			return EINVAL;
	}
	b->pos += (size_t)n;
	if (b->pos > b->end)
		b->end = b->pos;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return err;
}

void buf_consume(struct buf *b, size_t n)
{
	if (!b || !n)
		return;
	if (n >= b->end) {
		b->pos = 0;
		b->end = 0;
		return;
	}
	memmove(b->b, b->b + n, b->end - n);
	b->end -= n;
	b->pos = b->pos > n ? b->pos - n : 0;
}
