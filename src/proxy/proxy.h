/* proxy/proxy.h - request routing and the stateful proxy (RFC 3261 16) */
#ifndef PROXY_PROXY_H
#define PROXY_PROXY_H

#include <stdbool.h>
#include <stdint.h>

struct sip_tsxl;
struct sip_msg;
struct loc;
struct dom;
struct auth;
struct registrar;
struct proxy;

struct proxy_conf {
	uint32_t timer_c_ms;     /* 180000: INVITE branch without final */
	uint32_t serial_ms;      /* 0: a q-group gets this long before the
	                            next group is tried (0 = until final) */
	bool auth_local;         /* 407 for requests from local users (on) */
	const char *server_name; /* Server / User-Agent header value */
};

/*
 * Every request that reaches the core goes through proxy_recv: checks
 * (Max-Forwards 483, loops 482, Proxy-Require 420, Require 420 for requests
 * addressed to impd), Route preprocessing (16.4), local handling (REGISTER
 * to the registrar, OPTIONS to impd answered 200, other methods to impd
 * 405/501), authentication of local users (407), target set (location
 * service, GRUU, foreign domains by host), forwarding with parallel and
 * serial forking, response aggregation, CANCEL, ACK.
 */
int proxy_alloc(struct proxy **pp, const struct proxy_conf *cf,
                struct sip_tsxl *tl, struct loc *loc, struct dom *dom,
                struct auth *auth, struct registrar *reg);
/* A request that matched no server transaction (sip_req_h). */
void proxy_recv(struct sip_msg *msg, void *arg /* struct proxy */);

/* Services inside impd (presence, events, IM). A request goes to h when
 * its method is met and either
 * - PROXY_LOCAL_AOR: its Request-URI is an AoR of a local domain (after
 *   authentication of local senders), or
 * - PROXY_LOCAL_SELF: its Request-URI is impd itself (in-dialog requests
 *   to a Contact impd gave out: SUBSCRIBE refreshes, NOTIFYs to impd's
 *   own subscriptions).
 * ident is the authenticated identity "user@domain" of the sender, or NULL
 * when the request was not authenticated (foreign senders, in-dialog
 * requests, auth.proxy = no). h returns true when it took the request (it
 * holds its own reference to st and answers on it), false to let the
 * proxy route it as usual. */
struct sip_stsx;
enum proxy_local_flags {
	PROXY_LOCAL_AOR = 1 << 0,
	PROXY_LOCAL_SELF = 1 << 1,
};
typedef bool proxy_local_h(struct sip_stsx *st, const char *ident, void *arg);
int proxy_local_register(struct proxy *p, const char *met, unsigned flags,
                         proxy_local_h *h, void *arg);
/* Allow-Events value the proxy advertises in OPTIONS answers and 489s
 * (borrowed; NULL: none). */
void proxy_set_allow_events(struct proxy *p, const char *events);
/* added by proxy: CORE-17 lenient mode (conf "lenient"): requests without
 * From tag, SUBSCRIBE/NOTIFY without Event, NOTIFY without
 * Subscription-State are logged and accepted instead of rejected. */
void proxy_set_lenient(struct proxy *p, bool lenient);

/* added by proxy: the user directory (borrowed: the daemon owns it and
 * frees it after the proxy). A Request-URI in a local domain with no
 * binding is then looked up asynchronously: 404 when the user does not
 * exist or is disabled, 480 when it exists, 500 (Retry-After) when the
 * store fails. Without a store (NULL) such requests get 480. EINVAL. */
struct store;
int proxy_set_store(struct proxy *p, struct store *st);

#endif
