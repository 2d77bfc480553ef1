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

/* Relaying with a say in the outcome (the IM service: store a MESSAGE
 * when no device takes it). proxy_relay routes st's request the normal
 * way (target set from the location service, GRUU, forking; no local
 * service is offered it again). Whenever a final response is about to go
 * upstream, final_h(scode, resp, arg) runs first: resp is the best
 * branch response or NULL when impd made the answer itself (404, 480 for
 * no binding, 408, 500). For a 2xx the return value is ignored and the
 * 2xx goes upstream. For other codes, true means "the service answers
 * st itself" (it must hold its own reference to st): nothing is sent.
 * ident: the authenticated sender ("user@domain") or NULL; it becomes the
 * P-Asserted-Identity toward registered contacts of local users.
 * proxy_relay takes its own reference to st. ENOMEM, EINVAL. */
struct sip_msg;
typedef bool proxy_final_h(uint16_t scode, const struct sip_msg *resp,
                           void *arg);
int proxy_relay(struct proxy *p, struct sip_stsx *st, const char *ident,
                proxy_final_h *final_h, void *arg);
/* The same toward ruri instead of the request's own Request-URI (a
 * nickname the service resolved): the target set is ruri's, and a
 * request to another domain carries ruri as its Request-URI. EINVAL
 * for a ruri that does not parse. */
int proxy_relay_to(struct proxy *p, struct sip_stsx *st, const char *ident,
                   const char *ruri, proxy_final_h *final_h, void *arg);

/* A request impd itself sends (deferred delivery, group fan-out, IMDN):
 * req is the complete request without Via (Request-URI, From with tag,
 * To, Call-ID, CSeq, Max-Forwards, Content-Type/Length and body; impd
 * adds its Via). It is routed like a received request to its
 * Request-URI: every registered contact of a local AoR (parallel, first
 * 2xx wins), one device for a GRUU, the host of a foreign URI. final_h
 * runs exactly once with the final outcome (resp NULL for a local
 * answer such as 480 when nothing is registered, 408 on timeout); its
 * return value is ignored. pai: the P-Asserted-Identity URI to send to
 * local contacts, or NULL. Not before the loop runs. ENOMEM, EBADMSG. */
int proxy_originate(struct proxy *p, const char *req, size_t len,
                    const char *pai, proxy_final_h *final_h, void *arg);

/* A log context (Call-ID, peer, branch) for msg; services use it too. */
struct log_ctx;
void proxy_log_ctx(struct log_ctx *lctx, const struct sip_msg *msg);

#endif
