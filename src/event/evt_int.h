/* event/evt_int.h - internals shared by the events framework's files */
#ifndef EVENT_EVT_INT_H
#define EVENT_EVT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/hash.h"
#include "../base/list.h"
#include "../base/log.h"
#include "../base/tmr.h"
#include "../sip/tp.h"
#include "evt.h"

enum {
	EVT_MAX_INFLIGHT = 512,      /* NOTIFY transactions, all subs */
	EVT_CSEQ_CHECKPOINT = 4096,  /* local CSeq stored every this many */
	EVT_CSEQ_RESTORE_GAP = 8192, /* added to the stored CSeq on restore */
	EVT_RETRY_BASE_MS = 1000,    /* first NOTIFY retry pause */
	EVT_THROTTLE_MAX_S = 86400,  /* RFC 6446 throttle values above: cut */
	EVT_WINFO_DEPTH = 2,         /* "x.winfo" and "x.winfo.winfo" */
};

/* A package as the framework knows it: a registered one, or a watcher
 * info template made for one (base: the package it watches). */
struct evt_pent {
	struct le le;     /* in evt.pkgs */
	struct evt_pkg p; /* copy; templates get the framework's handlers */
	char *name;       /* owned copy of the name (templates build it) */
	struct evt_pent *base; /* template: the watched package, else NULL */
	struct evt_pent *list; /* its list package (evt_list_register), or
	                          NULL; owned */
	bool islist;           /* this is a list package */
	uint32_t nlive;        /* live subscriptions */
};

struct evt {
	struct evt_conf cf;
	char *server_name;   /* owned copy of cf.server_name */
	struct sip_tsxl *tl; /* reference */
	struct tmrl *tmrl;   /* borrowed from tl */
	struct store *st;    /* reference, or NULL */
	struct list pkgs;    /* struct evt_pent */
	char *allow;         /* Allow-Events value */
	struct hash *dlgs;   /* every evt_sub not ended, by Call-ID */
	struct hash *res;    /* live evt_sub, by resource */
	struct hash *csubs;  /* evt_csub, by Call-ID (borrowed entries) */
	struct list waitq;   /* evt_sub waiting for a NOTIFY slot, FIFO */
	uint32_t nsubs;      /* evt_sub not ended */
	uint32_t inflight;   /* NOTIFY transactions running */
	bool closing;        /* destructor running */
};

/* A change of one watcher, kept by a watcher info subscription until its
 * next NOTIFY (RFC 3857 partial state). */
struct evt_wchg {
	struct le le;
	char *id; /* the watcher subscription's id; uri and display follow
	             in the same block */
	const char *uri;
	const char *display;
	const char *status; /* static */
	const char *event;  /* static */
	uint32_t duration_s;
	uint32_t expiration_s;
};

/* winfo "event" of a watcher (RFC 3857 3.2.4) */
enum evt_wev {
	EVT_WEV_SUBSCRIBE = 0,
	EVT_WEV_APPROVED,
	EVT_WEV_DEACTIVATED,
	EVT_WEV_PROBATION,
	EVT_WEV_REJECTED,
	EVT_WEV_TIMEOUT,
	EVT_WEV_GIVEUP,
	EVT_WEV_NORESOURCE,
};

/* Where a subscription's NOTIFYs go, compactly: a struct sip_dst takes
 * 272 octets (a sockaddr_storage and a 128-octet host), this about 32,
 * which matters at 100k subscriptions. */
struct evt_hop {
	uint8_t tp; /* enum sip_transp */
	uint8_t af; /* AF_INET, AF_INET6 or 0 (unset) */
	uint16_t port;
	uint8_t ip[16];
	char *host; /* TLS server name (mem), or NULL */
};
/* The subscription's hop as a struct sip_dst, and back (ENOMEM). */
void evt_hop_get(const struct evt_hop *h, struct sip_dst *dst);
int evt_hop_set(struct evt_hop *h, const struct sip_dst *dst);

struct evt_sub {
	struct le dle;        /* in evt.dlgs until ended */
	struct le rle;        /* in evt.res while live */
	struct le qle;        /* in evt.waitq while queued */
	struct evt *e;        /* borrowed; NULL once ended or detached */
	struct evt_pent *pkg; /* borrowed from e */
	struct log_ctx lctx;

	/* dialog and subscription identity (one block: strs) */
	char *strs;
	const char *id, *event_id, *resource, *watcher, *display, *ident,
	    *callid, *ltag, *rtag, *from_hdr, *to_hdr, *route, *lcontact,
	    *accept, *supported;
	char *contact;      /* remote target (a refresh may change it) */
	char *pdata;        /* persisted package text, or NULL */
	void *data;         /* package data (reference) */
	struct evt_hop hop; /* where NOTIFYs go (evt_hop_get) */

	enum evt_state state;
	enum evt_reason reason; /* when terminated */
	uint32_t retry_after;
	enum evt_wev wev; /* last winfo event */

	struct sip_stsx *st; /* the SUBSCRIBE being decided / stored */
	struct sip_ctsx *ct; /* the NOTIFY in flight */
	struct tmr tmr_exp;  /* expiry */
	struct tmr tmr_ntf;  /* pacing, retry pause, give-up */

	uint64_t exp_ms;  /* end of the subscription, tmrl clock */
	uint64_t created; /* wall clock, s */
	uint64_t last_ms; /* when the last NOTIFY left */
	uint32_t expires; /* granted (for the 200) */
	uint32_t lcseq;   /* CSeq of the last NOTIFY built */
	uint32_t ckpt;    /* lcseq as last stored */
	uint32_t rcseq;   /* last SUBSCRIBE CSeq */
	uint32_t throttle_ms;
	uint32_t retries; /* NOTIFY failures in a row */

	bool restored; /* came from the store */
	bool fetch;    /* Expires: 0 */
	bool decided;  /* accept or reject called */
	bool answered; /* 200 sent (or restored and accepted) */
	bool live;     /* in evt.res */
	bool ending;   /* terminated: the final NOTIFY goes next */
	bool ended;
	bool stored;     /* in the store */
	bool was_active; /* active at some point */
	bool dirty;      /* a NOTIFY is due */
	bool full;       /* the next one carries the full state */
	bool urgent;     /* the next one ignores pacing */
	bool queued;     /* in evt.waitq */
	bool backoff;    /* tmr_ntf is a retry pause */
	bool giveup;     /* tmr_ntf ends the subscription */
	bool sent_any;   /* a NOTIFY has left */
	bool final_sent; /* the terminated NOTIFY has left */
	bool reported;   /* shown to watcher info subscribers */
	bool term_reported;
	bool internal;  /* evt_isub: NOTIFYs are calls to ih */
	bool ialloc;    /* inside evt_isub_alloc: no calls to ih yet */
	bool held;      /* evt_sub_hold */
	uint16_t scode; /* the status of a rejection */
	evt_isub_h *ih; /* NULL once the owner let go */
	void *iarg;

	struct list wchg; /* winfo template subscriptions: struct evt_wchg */
};

/* What a new subscription is made of (slices copied). */
struct evt_sub_init {
	struct pl id, event_id, resource, watcher, display, ident, callid, ltag,
	    rtag, from_hdr, to_hdr, route, lcontact, accept, supported, contact;
};

/* evt.c */
/* A new subscription in e's dialog table (which holds the reference
 * *sp borrows). */
int evt_sub_alloc(struct evt_sub **sp, struct evt *e, struct evt_pent *pk,
                  const struct evt_sub_init *in, const struct sip_dst *dst);
/* The next hop of a dialog: the first route of route (joined values),
 * else the flow msg came on (msg NULL: dst is left as it is). */
void evt_route_dst(struct sip_dst *dst, const char *route,
                   const struct sip_msg *msg);
/* Is the subscriber (authenticated) the owner of the resource? */
bool evt_sub_owner(const struct evt_sub *s);
void evt_sub_end(struct evt_sub *s, enum evt_reason why);
void evt_sub_terminate(struct evt_sub *s, enum evt_reason reason,
                       uint32_t retry_after);

/* evt_notify.c: does the next NOTIFY carry the package's body? */
bool evt_ntf_has_body(const struct evt_sub *s);
/* evt_isub.c: deliver an internal subscription's NOTIFY now. */
void evt_isub_deliver(struct evt_sub *s);

/* evt_restore.c */
/* Store the subscription as it is now; done(err, arg) after the commit. */
int evt_sub_store(struct evt_sub *s, void (*done)(int err, void *arg),
                  void *arg);
void evt_sub_persist(struct evt_sub *s); /* fire and forget */

/* evt.c (and evt_util.c: names, addresses, lists) */
void evt_pent_destroy(void *data);
struct evt_pent *evt_pent_find(const struct evt *e, const struct pl *name);
/* pk, or its list package when that one owns resource. */
struct evt_pent *evt_pent_for(struct evt_pent *pk, const char *resource);
uint64_t evt_now(const struct evt *e);
uint64_t evt_wall(const struct evt *e);
/* "sip:192.0.2.1:5060;transport=tcp" for messages to dst. */
int evt_local_contact(struct evt *e, const struct sip_dst *dst, char *buf,
                      size_t size);
/* "udp:192.0.2.1:5060" */
int evt_dst_print(const struct sip_dst *dst, char *buf, size_t size);
void evt_lctx(struct log_ctx *lc, const char *callid,
              const struct sip_dst *dst);
/* Next value of a comma list that respects quotes and <>: *rest moves
 * on. false at the end. */
bool evt_list_next(struct pl *rest, struct pl *val);
/* Does the Accept list (joined with ",") take ctype? Empty list:
 * only dflt. */
bool evt_accept_match(const char *accept, const char *ctype, const char *dflt);
const char *evt_wev_name(enum evt_wev w);
enum evt_wev evt_wev_of_reason(enum evt_reason r);

/* evt_notify.c */
void evt_ntf_kick(struct evt_sub *s);
/* Drop the NOTIFY in flight, if any (no response handling). */
void evt_ntf_drop(struct evt_sub *s);
void evt_ntf_pump(struct evt *e);

/* evt_winfo.c */
int evt_winfo_register(struct evt *e, struct evt_pent *base);
/* A watcher's winfo-visible state changed: tell the watcher info
 * subscriptions of its resource. */
void evt_winfo_changed(struct evt_sub *s);
void evt_wchg_flush(struct list *l);

/* evt_client.c */
/* A NOTIFY for impd's own subscriptions; false when none matches. */
bool evt_client_notify(struct evt *e, struct sip_stsx *st);

#endif
