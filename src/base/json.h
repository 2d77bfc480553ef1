/* base/json.h - a small JSON writer on struct buf (RFC 8259, RFC 4648 4,
 * RFC 3339 timestamps) */
#ifndef BASE_JSON_H
#define BASE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/*
 * A writer that places the commas and colons itself and keeps the first
 * error (ENOMEM, or EPROTO when objects and arrays do not nest), so a
 * document is written without checking every call:
 *
 *	json_init(&j, mb);
 *	json_obj_begin(&j);
 *	json_key(&j, "id");
 *	json_u64(&j, 1);
 *	json_obj_end(&j);
 *	err = json_end(&j);
 *
 * writes {"id":1}. Strings are always valid JSON: bytes that are not
 * UTF-8 come out as U+FFFD (check json_utf8_valid() first and write
 * json_base64() when the exact bytes matter).
 */
enum { JSON_MAX_DEPTH = 32 };

struct json {
	struct buf *b;
	int err;
	uint32_t depth;
	uint32_t more;  /* bit d: depth d already holds a value */
	uint32_t isarr; /* bit d: depth d is an array */
	bool key;       /* a key was written, its value comes next */
};

void json_init(struct json *j, struct buf *b);
/* The first error, or EPROTO when objects/arrays are still open. */
int json_end(const struct json *j);

void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
/* "key": inside an object. */
void json_key(struct json *j, const char *key);

/* Values. json_str(NULL) writes null. */
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const void *p, size_t n);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* p[0..n) as a base64 string (RFC 4648 section 4, padded). */
void json_base64(struct json *j, const void *p, size_t n);
/* ms since the epoch as an RFC 3339 UTC string with milliseconds:
 * "2026-11-22T10:01:02.345Z". */
void json_time_ms(struct json *j, uint64_t ms);
/* A value already encoded as JSON (copied as is). */
void json_raw(struct json *j, const char *p, size_t n);

/* Plain helpers on a buf (return 0 or ENOMEM). */
/* p[0..n) as a quoted, escaped JSON string (see above for non-UTF-8). */
int json_write_str(struct buf *b, const void *p, size_t n);
/* p[0..n) in base64, without quotes. */
int json_write_base64(struct buf *b, const void *p, size_t n);
/* "2026-11-22T10:01:02.345Z" (24 characters, NUL-terminated) into out. */
void json_fmt_time_ms(char out[25], uint64_t ms);

/* p[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
bool json_utf8_valid(const void *p, size_t n);

#endif
