/* base/buf.h - growable, refcounted byte buffers */
#ifndef BASE_BUF_H
#define BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "pl.h"

/* b[0..end) holds data; pos is a cursor for readers/writers. */
struct buf {
	uint8_t *b;
	size_t size;
	size_t pos;
	size_t end;
};

/* A new buffer with capacity size (grows on write). */
int buf_alloc(struct buf **bp, size_t size);
/* A new buffer holding a copy of p[0..n). */
int buf_alloc_copy(struct buf **bp, const void *p, size_t n);
int buf_resize(struct buf *b, size_t size);
void buf_reset(struct buf *b);
/* Writes at pos, moving pos and extending end; grow as needed. ENOMEM. */
int buf_write(struct buf *b, const void *p, size_t n);
int buf_write_str(struct buf *b, const char *s);
int buf_write_pl(struct buf *b, const struct pl *pl);
int buf_write_u8(struct buf *b, uint8_t v);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Remaining bytes after pos / data length. */
static inline size_t buf_left(const struct buf *b)
{
	return b->end > b->pos ? b->end - b->pos : 0;
}
static inline const uint8_t *buf_cur(const struct buf *b)
{
	return b->b + b->pos;
}
/* Drop b[0..n) and shift the rest down (for stream receive buffers). */
void buf_consume(struct buf *b, size_t n);
/* The data b[0..end) as a slice. */
static inline struct pl buf_pl(const struct buf *b)
{
	struct pl pl = {(const char *)b->b, b->end};
	return pl;
}

#endif
