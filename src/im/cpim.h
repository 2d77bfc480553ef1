/* im/cpim.h - Common Presence and Instant Messaging message format
 * (message/cpim, RFC 3862): parse and build. Pure code. */
#ifndef IM_CPIM_H
#define IM_CPIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/pl.h"

struct buf;

#define CPIM_MAX_FIELDS 32
#define CPIM_MAX_NS     8
#define IMDN_NS_URI     "urn:ietf:params:imdn"

/* One message header: "prefix.Name: value" (prefix empty for the
 * default namespace urn:ietf:params:cpim-headers:). */
struct cpim_field {
	struct pl prefix; /* "" or "imdn" */
	struct pl name;   /* "From", "Message-ID" */
	struct pl value;  /* raw value, folded white space kept */
};

/* A parsed message. Every pl points into the parsed buffer. */
struct cpim {
	struct cpim_field f[CPIM_MAX_FIELDS];
	uint32_t nf;
	struct {
		struct pl prefix; /* "imdn" */
		struct pl uri;    /* "urn:ietf:params:imdn" */
	} ns[CPIM_MAX_NS];
	uint32_t nns;
	struct pl content_hdrs; /* the encapsulated MIME header block,
	                           CRLFs included, without the blank line */
	struct pl ctype;        /* its Content-Type value ("" if none) */
	struct pl body;         /* the encapsulated content, byte for byte */
};

/*
 * Parse a message/cpim body as carried in SIP (RFC 3862 2, 3; the body of
 * a request with Content-Type message/cpim): message headers (From, To,
 * DateTime, NS, imdn.Message-ID...), a blank line, the headers of the
 * encapsulated MIME object (Content-Type...), a blank line, its content
 * (every remaining byte). Either header block may be empty. Lines end in
 * CRLF (LF alone is accepted); a line starting with SP or HTAB continues
 * the previous field. A prefix applies from the NS field that declares
 * it on. EBADMSG with *why set for missing blank lines, a field without
 * a colon, more than CPIM_MAX_FIELDS fields (or CPIM_MAX_NS NS fields), a
 * prefix not declared by NS, an NS field that does not parse. Never reads
 * past buf[len].
 */
int cpim_parse(struct cpim *c, const char *buf, size_t len, const char **why);

/* The first field named name (case-sensitive per RFC 3862) in namespace
 * ns_uri (NULL: the default namespace), or NULL. */
const struct pl *cpim_field(const struct cpim *c, const char *ns_uri,
                            const char *name);
/* The next field after prev with the same namespace and name, or NULL
 * (To and cc may repeat). */
const struct pl *cpim_field_next(const struct cpim *c, const struct pl *prev);

/* The URI inside a From/To/cc value ("Alice <sip:alice@example.com>" or
 * "<sip:...>"): into uri (without the angle brackets) and the optional
 * display name into name (may be NULL). EBADMSG without <...>. */
int cpim_addr(const struct pl *value, struct pl *name, struct pl *uri);

/* What impd puts in a CPIM wrapper (deferred delivery, IMDN). */
struct cpim_wrap {
	const char *from_name; /* display name or NULL */
	const char *from_uri;  /* "sip:alice@example.com" */
	const char *to_uri;
	uint64_t datetime_ms;  /* wall clock, written as RFC 3339 UTC with
	                          milliseconds */
	const char *imdn_id;   /* adds NS: imdn and imdn.Message-ID, or NULL */
	const char *imdn_disp; /* imdn.Disposition-Notification value or NULL
	                          (only with imdn_id) */
	const char *ctype;     /* content type of the inner content */
	const char *extra_content_hdrs; /* e.g. "Content-Disposition:
	                                   notification\r\n", or NULL */
	const char *body;
	size_t len;
};
/* The complete message/cpim body (no outer SIP headers): From, To,
 * DateTime, the imdn fields, a blank line, Content-Type and the extra
 * content headers (a CRLF is added when they lack one), a blank line, the
 * body. A display name (unescaped text) is quoted and escaped; a line
 * fold in it (CRLF before SP or HTAB) is unfolded. EINVAL for a missing or
 * empty URI or ctype, URIs with white space, controls, '<' or '>', CR or
 * LF in the other values, extra headers with a blank line or a line
 * without a colon, imdn_disp without imdn_id. */
int cpim_build(struct buf **mbp, const struct cpim_wrap *w);

/* RFC 3339 date-time: print ms as "2026-11-22T10:01:02.345Z" (buf at
 * least 32), and parse any RFC 3339 form (offsets, fractions) into ms.
 * EINVAL on bad input. */
int cpim_datetime_print(char *buf, size_t size, uint64_t ms);
int cpim_datetime_parse(const struct pl *s, uint64_t *ms);

#endif
