/* xcap/xcap_int.h - the XCAP request logic apart from the HTTP server
 * (RFC 4825 6-8), so that unit tests drive it without sockets, under
 * allocation failure injection */
#ifndef XCAP_XCAP_INT_H
#define XCAP_XCAP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "xcap.h"

/* What the XCAP logic needs from an HTTP request. Strings are copied by
 * xcap_handle; body must stay valid until the reply handler has run. */
struct xcap_rq {
	const char *method; /* "GET", "PUT", "DELETE" (others: 405) */
	const char *rest;   /* the path below the root and its '/',
	                       percent-decoded */
	const char *query;  /* the query component, decoded, or NULL */
	const char *base;   /* "http://host:port" for absolute URIs in error
	                       bodies ("" when unknown) */
	const char *user;   /* authenticated "user@domain" or NULL */
	bool admin;         /* the user is an administrator */
	const char *ctype;  /* Content-Type, If-Match, If-None-Match header
	                       values, or NULL */
	const char *if_match;
	const char *if_none_match;
	const char *body;
	size_t blen;
};

/* The response: called exactly once per request, now or later (a write
 * waits for the store). hdrs: extra "Name: value\r\n" lines or NULL. */
typedef void xcap_reply_h(unsigned status, const char *ctype, const char *body,
                          size_t len, const char *hdrs, void *arg);

/* xcap_alloc without the HTTP route (h is not needed). */
int xcap_core_alloc(struct xcap **xp, const struct xcap_conf *cf,
                    struct store *st, struct tmrl *tl, const struct dom *dom);

/* Serve one request; rh(arg) gets the response. arg must stay valid
 * until then. */
void xcap_handle(struct xcap *x, const struct xcap_rq *rq, xcap_reply_h *rh,
                 void *arg);

#endif
