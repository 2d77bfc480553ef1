/* im/mime.h - MIME pieces SIP bodies need: media types with parameters,
 * multipart bodies (RFC 2046 5.1) such as the multipart/mixed of a
 * URI-list MESSAGE (RFC 5365). Pure code. */
#ifndef IM_MIME_H
#define IM_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/pl.h"

#define MIME_MAX_PARTS 16

/* A Content-Type value split up: "multipart/mixed;boundary=x" gives
 * type "multipart", subtype "mixed", params ";boundary=x". EBADMSG when
 * there is no type/subtype token pair. */
struct mime_type {
	struct pl type, subtype, params;
};
int mime_type_parse(struct mime_type *t, const struct pl *value);
/* Case-insensitive match against "type/subtype"; a "*" subtype matches
 * any subtype, and a "*" type any type. */
bool mime_type_is(const struct mime_type *t, const char *ts);
/* Value of parameter name (quotes removed; backslash escapes are left
 * as they are) or ENOENT. */
int mime_param(const struct mime_type *t, const char *name, struct pl *val);

/* One body part: its header block (CRLFs included, no blank line), its
 * Content-Type value ("" when absent: text/plain) and its content. */
struct mime_part {
	struct pl hdrs;
	struct pl ctype;
	struct pl disposition; /* Content-Disposition value or "" */
	struct pl body;
};
/* Split body (with boundary from the Content-Type) into at most max parts
 * (preamble and epilogue skipped). EBADMSG with *why for a missing or
 * over-long (70) boundary, no opening or closing delimiter, a part
 * without its blank line; E2BIG for more than max parts. */
int mime_multipart(const struct pl *boundary, const char *body, size_t len,
                   struct mime_part *parts, uint32_t max, uint32_t *n,
                   const char **why);
/* A header's value inside a part header block (case-insensitive name),
 * or ENOENT. */
int mime_hdr(const struct pl *hdrs, const char *name, struct pl *val);

#endif
