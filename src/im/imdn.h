/* im/imdn.h - Instant Message Disposition Notification (RFC 5438):
 * requests in CPIM, and the message/imdn+xml document. Pure code
 * (libxml2). */
#ifndef IM_IMDN_H
#define IM_IMDN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/pl.h"

struct buf;

#define IMDN_CTYPE  "message/imdn+xml"
#define IMDN_XML_NS "urn:ietf:params:xml:ns:imdn"

/* What a sender asked for (imdn.Disposition-Notification values). */
enum imdn_disp {
	IMDN_POSITIVE_DELIVERY = 1 << 0,
	IMDN_NEGATIVE_DELIVERY = 1 << 1,
	IMDN_DISPLAY = 1 << 2,
	IMDN_PROCESSING = 1 << 3,
};
/* Parse a comma-separated Disposition-Notification value; unknown tokens
 * are ignored (RFC 5438 6.3). Returns the bits. */
uint32_t imdn_disp_parse(const struct pl *value);
/* Print bits as a header value ("positive-delivery, negative-delivery");
 * "" for 0. */
int imdn_disp_print(char *buf, size_t size, uint32_t bits);

enum imdn_kind {
	IMDN_KIND_DELIVERY = 1, /* delivery-notification */
	IMDN_KIND_DISPLAY,      /* display-notification */
	IMDN_KIND_PROCESSING,   /* processing-notification */
};
enum imdn_status {
	IMDN_DELIVERED = 1, /* delivery */
	IMDN_FAILED,        /* delivery */
	IMDN_FORBIDDEN,     /* any kind */
	IMDN_ERROR,         /* any kind */
	IMDN_DISPLAYED,     /* display */
	IMDN_PROCESSED,     /* processing */
	IMDN_STORED,        /* processing */
};

/* One notification document (RFC 5438 7.2). Strings are owned by the
 * caller (build) or point into the document (parse: mem strings freed
 * with imdn_reset). */
struct imdn {
	char *message_id;             /* required */
	char *datetime;               /* required, RFC 3339 as sent */
	char *recipient_uri;          /* optional */
	char *original_recipient_uri; /* optional */
	char *subject;                /* optional */
	enum imdn_kind kind;
	enum imdn_status status;
};
/* Parse a message/imdn+xml document: namespace-aware, no DTD. EBADMSG
 * with err "line N: what" (or what is missing) for a document that is not
 * well formed, a wrong root, a missing message-id/datetime, no or two
 * notification elements, a status that does not belong to the kind. */
int imdn_parse(struct imdn *d, const char *xml, size_t len, char *err,
               size_t errsize);
void imdn_reset(struct imdn *d); /* frees the parsed strings */
/* Print d (strings escaped). EINVAL for a missing message_id/datetime or
 * a status that does not fit the kind. */
int imdn_print(struct buf **mbp, const struct imdn *d);
const char *imdn_status_name(enum imdn_status s); /* "stored" ... */

#endif
