/* event/evt.h - SIP-specific event notification (RFC 6665): notifier and
 * subscriber dialogs, event packages, watcher information (RFC 3857) */
#ifndef EVENT_EVT_H
#define EVENT_EVT_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/buf.h"

struct sip_tsxl;
struct sip_stsx;
struct sip_msg;
struct sip_dst;
struct store;
struct evt;
struct evt_sub;  /* notifier side: one subscription (a dialog) */
struct evt_csub; /* subscriber side: impd subscribes to someone */

enum evt_state {
	EVT_INIT = 0, /* not decided yet */
	EVT_PENDING,
	EVT_ACTIVE,
	EVT_TERMINATED,
};

/* Subscription-State reasons (RFC 6665 4.1.3). */
enum evt_reason {
	EVT_REASON_NONE = 0,
	EVT_REASON_DEACTIVATED,
	EVT_REASON_PROBATION,
	EVT_REASON_REJECTED,
	EVT_REASON_TIMEOUT,
	EVT_REASON_GIVEUP,
	EVT_REASON_NORESOURCE,
	EVT_REASON_INVARIANT,
};

const char *evt_state_name(enum evt_state s);   /* "active" ... */
const char *evt_reason_name(enum evt_reason r); /* "timeout", "" */

struct evt_conf {
	uint32_t min_expires;        /* 60: shorter non-zero Expires: 423 */
	uint32_t max_expires;        /* 3600: longer ones are shortened */
	uint32_t notify_interval_ms; /* 500: least time between two NOTIFYs
	                                of one subscription; changes in
	                                between are coalesced into one */
	uint32_t notify_retries;     /* 3: a NOTIFY that times out (or gets
	                                408/5xx) is sent again with the
	                                current state, this many times with
	                                growing pauses, before the
	                                subscription ends */
	uint32_t max_body;           /* 65536: larger SUBSCRIBE bodies: 413 */
	uint32_t max_subs;           /* 0: no limit; more: 503 */
	const char *server_name;     /* Server / User-Agent value, or NULL */
	bool lenient; /* sip.lenient: a SUBSCRIBE or NOTIFY without Event is
	                 taken as Event: presence, a NOTIFY without
	                 Subscription-State as active (the seeds' forms,
	                 REQUIREMENTS D-02); each use is logged */
};

/*
 * An event package. The framework owns the dialogs (SUBSCRIBE answers,
 * Expires, refresh, expiry, NOTIFY transactions and their retries,
 * persistence); the package decides who may subscribe and what the state
 * is. Every callback runs on the loop thread.
 */
struct evt_pkg {
	const char *name;         /* "presence", "reg" (borrowed: static) */
	const char *ctype;        /* type of its NOTIFY bodies */
	uint32_t default_expires; /* when the SUBSCRIBE has no Expires */
	bool winfo;               /* also serve "<name>.winfo" (RFC 3857): the
	                             framework answers those itself, for the owner
	                             of the resource only */
	/* A new subscription to evt_sub_resource(sub) (or one restored
	 * after a restart: restored == true). Decide now or later with
	 * evt_sub_accept or evt_sub_reject. An errno return ends it with
	 * 500. */
	int (*subscribe)(struct evt_sub *sub, bool restored, void *arg);
	/* The body of the next NOTIFY: the full state when full, else the
	 * changes since the last NOTIFY (a package without partial state
	 * gives the full state). *bodyp NULL: no body. The framework
	 * only reads the buffer and drops its reference, so a package may
	 * hand out one shared buffer to many subscriptions. ctype: the body's
	 * type when it is not pkg->ctype (e.g. multipart/related), else
	 * left as it is. */
	int (*body)(struct evt_sub *sub, bool full, struct buf **bodyp,
	            char *ctype, size_t ctype_size, void *arg);
	/* The subscription is over, whatever the reason; drop references
	 * and evt_sub_data. Optional. */
	void (*ended)(struct evt_sub *sub, void *arg);
	/* Header lines every NOTIFY of the package carries ("Require:
	 * eventlist\r\n" for a list package, RFC 4662 5.1), or NULL. */
	const char *notify_hdrs;
	/* List packages only (evt_list_register): does this package take
	 * the subscriptions to resource ("alice-buddies@example.com")? */
	bool (*owns)(const char *resource, void *arg);
	void *arg;
};

/* Releasing the evt (mem_deref at shutdown) stops every timer and
 * transaction without sending NOTIFYs and without touching the store, so
 * the stored subscriptions resume after a restart (evt_restore). */
int evt_alloc(struct evt **ep, const struct evt_conf *cf, struct sip_tsxl *tl,
              struct store *st /* NULL: not durable */);
/* pkg is copied; its strings must outlive evt. EEXIST. */
int evt_pkg_register(struct evt *e, const struct evt_pkg *pkg);
/* A list package (RFC 4662 resource list server) for the already
 * registered package named pkg->name: a new (or restored) subscription
 * of that package whose resource pkg->owns claims goes to pkg's
 * callbacks instead of the base package's. Its subscriptions have the
 * same package name but are not visited by evt_sub_apply or
 * evt_notify_resource for the base package. ENOENT (no base), EEXIST. */
int evt_list_register(struct evt *e, const struct evt_pkg *pkg);
/* "presence, presence.winfo, reg, reg.winfo" (what 489 and OPTIONS
 * advertise); valid until the next evt_pkg_register. */
const char *evt_allow_events(const struct evt *e);

/* Requests from the proxy (proxy_local_h): a SUBSCRIBE to a local AoR
 * (PROXY_LOCAL_AOR), or a SUBSCRIBE/NOTIFY to impd itself
 * (PROXY_LOCAL_SELF: refreshes, and NOTIFYs for evt_csub). Always takes
 * the request (answers 489 with Allow-Events for unknown packages, 481 for
 * unknown dialogs). */
bool evt_handle_subscribe(struct sip_stsx *st, const char *ident, void *arg);
bool evt_handle_notify(struct sip_stsx *st, const char *ident, void *arg);

/* After every package is registered: load the stored subscriptions; each
 * goes to its package's subscribe with restored == true and, once
 * accepted, gets a NOTIFY with the current state. Expired ones are
 * deleted. */
int evt_restore(struct evt *e);

/* --- notifier side: what packages see of a subscription --- */
const char *evt_sub_id(const struct evt_sub *s);       /* stable key */
const char *evt_sub_package(const struct evt_sub *s);  /* "presence" */
const char *evt_sub_resource(const struct evt_sub *s); /* "bob@example.com" */
const char *evt_sub_watcher(const struct evt_sub *s);  /* "sip:alice@a.com" */
const char *evt_sub_display(const struct evt_sub *s);  /* From name or "" */
const char *evt_sub_ident(const struct evt_sub *s);    /* or NULL */
enum evt_state evt_sub_state(const struct evt_sub *s);
bool evt_sub_fetch(const struct evt_sub *s); /* Expires: 0 (one NOTIFY) */
/* Seconds since the subscription started / until it expires. */
uint32_t evt_sub_duration(const struct evt_sub *s);
uint32_t evt_sub_expires_in(const struct evt_sub *s);
/* Does the subscriber accept type ("application/rlmi+xml"), support an
 * option tag ("eventlist")? (Accept: absent means pkg->ctype only.) */
bool evt_sub_accepts(const struct evt_sub *s, const char *ctype);
bool evt_sub_supports(const struct evt_sub *s, const char *tag);
/* The SUBSCRIBE being decided (body, headers), or NULL (restored ones,
 * and after the decision). Borrowed. */
const struct sip_msg *evt_sub_request(const struct evt_sub *s);
/* Package data: a mem object the subscription holds a reference to (set
 * replaces and drops the old one). Text persisted with the subscription
 * (survives restarts; evt_sub_pdata after restore). */
void evt_sub_set_data(struct evt_sub *s, void *data);
void *evt_sub_data(const struct evt_sub *s);
int evt_sub_set_pdata(struct evt_sub *s, const char *text);
const char *evt_sub_pdata(const struct evt_sub *s); /* "" if none */
struct evt *evt_sub_evt(const struct evt_sub *s);
/* Inside pkg->body: the sequence number of the NOTIFY being built, for
 * document versions (RFC 3680, 3858, 4662): 0 for the first NOTIFY of
 * the subscription, one more for each later one. It keeps growing across
 * restarts (it may jump then; a restored subscription gets full state
 * first). */
uint32_t evt_sub_version(const struct evt_sub *s);

/* Decisions on a new (or restored) subscription. accept: 200 (after the
 * subscription is stored), then the first NOTIFY at once with state
 * (EVT_PENDING or EVT_ACTIVE). reject: the SUBSCRIBE gets scode (403,
 * 404, 480 ...; reason NULL = standard phrase); a restored one ends with
 * a NOTIFY terminated;reason=ev_reason instead. */
int evt_sub_accept(struct evt_sub *s, enum evt_state state);
int evt_sub_reject(struct evt_sub *s, uint16_t scode, const char *reason,
                   enum evt_reason ev_reason);
/* The same with extra header lines for the answer ("Require:
 * eventlist\r\n" for a 421). */
int evt_sub_reject_hdrs(struct evt_sub *s, uint16_t scode, const char *reason,
                        enum evt_reason ev_reason, const char *hdrs);
/* Why a terminated subscription ended (EVT_REASON_NONE otherwise), and
 * the status a rejected internal subscription got (0 if none). */
enum evt_reason evt_sub_reason(const struct evt_sub *s);
uint16_t evt_sub_scode(const struct evt_sub *s);
/* Change a running subscription: pending -> active (a full NOTIFY),
 * active -> pending, or -> terminated with reason and retry-after (0:
 * none): a final NOTIFY, then the subscription ends (ended runs). */
int evt_sub_set_state(struct evt_sub *s, enum evt_state state,
                      enum evt_reason reason, uint32_t retry_after_s);
/* The state changed: a NOTIFY with the package's body follows, at most
 * one per notify_interval_ms (and RFC 6446 throttle) per subscription;
 * several changes in that time make one NOTIFY. full: the next NOTIFY
 * must carry the full state. */
void evt_sub_notify(struct evt_sub *s, bool full);
/* Hold back NOTIFYs of s (on) until released (off): an RLS waits a
 * moment for its members' first states so its first NOTIFY is complete.
 * Changes meanwhile are kept; the final NOTIFY is never held. */
void evt_sub_hold(struct evt_sub *s, bool on);
/* evt_sub_notify(s, full) for every live subscription of pkg to
 * resource. */
void evt_notify_resource(struct evt *e, const char *pkg, const char *resource,
                         bool full);
/* Visit the live subscriptions of pkg to resource (NULL: of every
 * resource); stop when h returns true. h may change states. */
typedef bool evt_sub_apply_h(struct evt_sub *s, void *arg);
void evt_sub_apply(struct evt *e, const char *pkg, const char *resource,
                   evt_sub_apply_h *h, void *arg);
uint32_t evt_sub_count(const struct evt *e, const char *pkg /* NULL: all */);

/* --- internal subscriptions (the RLS's back-end subscriptions to local
 * resources): a subscription of a package to a resource on behalf of a
 * watcher, decided by the package exactly like a SIP one (authorization,
 * pending, watcher info: the resource's owner sees the watcher), whose
 * NOTIFYs are calls instead of SIP requests. Not stored, no expiry: it
 * lasts until evt_isub_end or until the package terminates it. --- */
struct evt_isub_params {
	const char *pkg;      /* "presence" (a registered base package) */
	const char *resource; /* "bob@example.com" */
	const char *watcher;  /* "sip:alice@example.com" */
	const char *display;  /* or NULL */
	const char *ident;    /* authenticated identity of the watcher, or
	                         NULL */
	const char *accept;   /* Accept value or NULL (the package's type) */
};
/* A NOTIFY's worth: state and reason, and the body (active ones; NULL
 * otherwise; a reference the callee may take with mem_ref) of type
 * ctype. Called from a timer, never inside evt_isub_alloc. After a call
 * with EVT_TERMINATED the subscription is over (the owner still releases
 * it with evt_isub_end). */
typedef void evt_isub_h(struct evt_sub *s, enum evt_state state,
                        enum evt_reason reason, struct buf *body,
                        const char *ctype, void *arg);
/* The package decides at once or later; a subscription it rejects at
 * once is terminated when this returns (see evt_sub_state, evt_sub_reason,
 * evt_sub_scode), without a call to h. *sp is the caller's reference. */
int evt_isub_alloc(struct evt_sub **sp, struct evt *e,
                   const struct evt_isub_params *p, evt_isub_h *h, void *arg);
/* Unsubscribe (no call to h) and release the caller's reference; NULL. */
struct evt_sub *evt_isub_end(struct evt_sub *s);

/* --- subscriber side (impd as a client: RLS, federation) --- */
struct evt_csub_params {
	const char *pkg;           /* "presence" */
	const char *ruri;          /* Request-URI "sip:bob@example.net" */
	const char *to;            /* To URI (NULL: ruri) */
	const char *from;          /* From URI: the identity impd uses */
	const struct sip_dst *dst; /* next hop */
	const char *route;         /* Route header value(s) to send, or NULL */
	uint32_t expires;          /* asked for (0: fetch) */
	const char *accept;        /* Accept value or NULL */
	const char *extra_hdrs;    /* "Supported: eventlist\r\n" ..., or NULL */
};
/* Called for every NOTIFY (notify: the request, already answered 200;
 * state and reason from its Subscription-State) and when the subscription
 * fails or ends without one (notify NULL, state EVT_TERMINATED, scode:
 * the SUBSCRIBE's final status or 408 for a timeout). After a call with
 * EVT_TERMINATED the csub is over (the caller releases it and may make a
 * new one). */
typedef void evt_csub_h(struct evt_csub *cs, enum evt_state state,
                        enum evt_reason reason, uint32_t retry_after_s,
                        const struct sip_msg *notify, uint16_t scode,
                        void *arg);
/* Sends the SUBSCRIBE; refreshes before expiry (at 90% of the granted
 * time); 423 is retried once with Min-Expires. The caller holds the only
 * reference; releasing it ends the subscription (unsubscribe sent if
 * active). */
int evt_csub_alloc(struct evt_csub **csp, struct evt *e,
                   const struct evt_csub_params *p, evt_csub_h *h, void *arg);
/* Unsubscribe (Expires: 0); h gets the final NOTIFY. */
int evt_csub_end(struct evt_csub *cs);
enum evt_state evt_csub_state(const struct evt_csub *cs);

#endif
