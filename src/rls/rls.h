/* rls/rls.h - the resource list server (RFC 4662): list subscriptions
 * to the service URIs of users' rls-services documents and to each
 * user's buddy list, back-end subscriptions to every member on the
 * watcher's behalf (internal ones for local users, SIP ones for others),
 * and NOTIFYs with an RLMI document and one PIDF part per member. */
#ifndef RLS_RLS_H
#define RLS_RLS_H

#include <stdint.h>

struct evt;
struct store;
struct tmrl;
struct dom;
struct rls;

struct rls_conf {
	const char *buddies_suffix; /* "-buddies": sip:<user><suffix>@<domain>
	                               is <user>'s buddy list: every list of
	                               the user's resource-lists document
	                               "index" ("" turns the convention off) */
	uint32_t max_resources;     /* 1000: members of one list beyond this
	                               are left out (logged) */
	uint32_t poll_ms;           /* 500: how often the store is asked for
	                               list documents changed elsewhere */
	uint32_t wait_ms;           /* 300: the first NOTIFY of a list waits
	                               at most this long for the first state
	                               of its local members */
	uint32_t be_expires;        /* 3600: Expires of SIP back-end
	                               subscriptions */
};

/* Registers the list package for "presence" on e (call after the
 * presence service registered "presence"), loads every rls-services and
 * resource-lists document (synchronously: before evt_restore). */
int rls_alloc(struct rls **rp, const struct rls_conf *cf, struct evt *e,
              struct store *st, struct tmrl *tl, const struct dom *dom);

struct rls_stats {
	uint32_t lists;    /* list subscriptions */
	uint32_t local;    /* internal back-end subscriptions */
	uint32_t remote;   /* SIP back-end subscriptions */
	uint32_t services; /* service URIs known */
	uint64_t notifies; /* list NOTIFY bodies built */
};
void rls_stats_get(const struct rls *r, struct rls_stats *s);

#endif
