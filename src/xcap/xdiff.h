/* xcap/xdiff.h - the xcap-diff event package (RFC 5875): a user
 * subscribes (Event: xcap-diff, to its own AoR) and learns which of its
 * XCAP documents changed, with their new and previous entity tags,
 * whoever changed them (XCAP, impctl, another node). */
#ifndef XCAP_XDIFF_H
#define XCAP_XDIFF_H

#include <stdint.h>

struct evt;
struct store;
struct tmrl;
struct xdiff;

#define XDIFF_PKG   "xcap-diff"
#define XDIFF_CTYPE "application/xcap-diff+xml"

struct xdiff_conf {
	const char *root_uri; /* absolute XCAP root advertised in bodies:
	                         "http://127.0.0.1:8080/xcap" */
	uint32_t poll_ms;     /* 500: how often the store is asked for
	                         changes made elsewhere */
};

/*
 * Registers the package on e. A SUBSCRIBE body may be a URI-list
 * (application/resource-lists+xml, RFC 5875 4.1) of XCAP URIs relative to
 * the root: documents ("resource-lists/users/sip:a@b/index") or
 * directories ("pres-rules/users/sip:a@b/"); without a body the
 * subscription covers every document of the subscriber. Only the owner
 * of the documents may subscribe (403 otherwise; 400 for a body that
 * does not parse or names another user's documents). The first NOTIFY
 * lists every covered document with its new-etag; later ones list the
 * changed documents with previous-etag and new-etag (a deleted document:
 * previous-etag only). Documents are the store's (auid, owner, name) of
 * the XCAP usages (xcap/usage.h).
 */
int xdiff_alloc(struct xdiff **xp, const struct xdiff_conf *cf, struct evt *e,
                struct store *st, struct tmrl *tl);

#endif
