/* xcap/xcap.h - the XCAP server (RFC 4825) on impd's HTTP server: the
 * users and global trees of every application usage (xcap/usage.h),
 * digest authentication with the SIP credentials, per-user access
 * control, entity tags and conditional requests, documents in the store
 * (auid, owner, name). Changes reach the presence service, the IM
 * service, the RLS and xcap-diff subscribers through the store's
 * document watchers (docwatch_kick after every write). */
#ifndef XCAP_XCAP_H
#define XCAP_XCAP_H

#include <stdint.h>

struct http;
struct store;
struct tmrl;
struct dom;
struct xcap;

struct xcap_conf {
	const char *root;  /* path of the XCAP root on the HTTP server:
	                      "/xcap" */
	uint32_t max_doc;  /* 1048576: a document larger than this after
	                      a PUT: 409 constraint-failure; request bodies
	                      over http.max_body get 413 from the server */
	const char *realm; /* default realm for the global tree (the
	                      first SIP domain) */
};

/* Routes cf->root on h (GET, PUT, DELETE; others 405 with Allow).
 * dom: the served domains (service URIs must be in one). Loads the
 * rls-services documents of every user (service URI uniqueness across
 * users) synchronously: call before the loop runs. */
int xcap_alloc(struct xcap **xp, const struct xcap_conf *cf, struct http *h,
               struct store *st, struct tmrl *tl, const struct dom *dom);

struct xcap_stats {
	uint64_t gets, puts, deletes, errors;
};
void xcap_stats_get(const struct xcap *x, struct xcap_stats *s);

#endif
