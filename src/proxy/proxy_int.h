/* proxy/proxy_int.h - stateful proxy internals (RFC 3261 16) */
#ifndef PROXY_PROXY_INT_H
#define PROXY_PROXY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/list.h"
#include "../base/log.h"
#include "../base/tmr.h"
#include "../sip/msg.h"
#include "../sip/tp.h"
#include "proxy.h"

/* Flag parameter of our Record-Route URIs: a Request-URI carrying it was
 * put there by a strict router (RFC 3261 16.4). */
#define PROXY_RR_PARAM "impd"
/* Most Route values one request may carry (received plus Path). */
#define PROXY_MAX_ROUTES 32

#define PROXY_ALLOW                                                            \
	"INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, PRACK, "        \
	"UPDATE, INFO, REFER, NOTIFY, SUBSCRIBE, PUBLISH"
#define PROXY_SUPPORTED "path, gruu"
#define PROXY_ACCEPT                                                           \
	"application/sdp, text/plain, message/cpim, application/pidf+xml"

struct sip_stsx;
struct sip_ctsx;

struct proxy {
	struct proxy_conf cf;
	char *server_name;   /* owned copy of cf.server_name, or NULL */
	struct sip_tsxl *tl; /* borrowed: the daemon owns these */
	struct loc *loc;
	struct dom *dom;
	struct auth *auth;
	struct registrar *reg;
	struct store *store;      /* borrowed, or NULL: user directory */
	struct list localhl;      /* struct localh */
	struct list reqs;         /* struct pxreq in progress (one ref each) */
	bool lenient;             /* accept requests missing From tag/Event */
	const char *allow_events; /* borrowed, or NULL */
	char key[33]; /* random, in every branch hash: two impd hops never
	                  take each other's Via for their own */
};

/* The result of Route preprocessing (16.4): what is left of the route. */
struct rctx {
	struct pl ruri; /* Request-URI (maybe the last Route's) */
	struct sip_uri uri;
	const struct sip_hdr *skip[PROXY_MAX_ROUTES]; /* Route values gone */
	uint32_t nskip;
	const struct sip_hdr *first; /* first Route value left, or NULL */
	uint32_t nroute;             /* Route values left */
	bool to_us;                  /* a Route naming us was removed */
	bool strict;                 /* Request-URI came from the last Route */
	bool originated;             /* impd's own request: no Via to keep */
	const char *pai; /* P-Asserted-Identity URI toward local contacts
	                    (borrowed), or NULL */
};

/* One forwarding target (16.5). */
struct target {
	struct le le;
	char *ruri; /* new Request-URI or NULL (keep) */
	char *path; /* Route values to put first ("," list) or
	               NULL */
	struct sip_dst dst;
	uint32_t q;
};

struct pxreq;

/* One client transaction of a forwarded request (16.6, 16.7). */
struct branch {
	struct le le;         /* in pxreq.branches */
	struct pxreq *r;      /* owner (borrowed) */
	struct sip_ctsx *ct;  /* NULL once released */
	struct sip_msg *resp; /* final response kept for 16.7 step 6 */
	struct tmr tmr_c;     /* Timer C (INVITE) */
	uint32_t group;       /* q group number */
	uint16_t scode;       /* final status (0: none yet) */
	bool prov;            /* a provisional above 100 arrived */
	bool cancel;          /* CANCEL asked for */
};

/* The response context of one request (16.7). */
struct pxreq {
	struct le le;        /* in proxy.reqs */
	struct proxy *p;     /* NULL once the proxy has gone */
	struct sip_stsx *st; /* our reference */
	struct sip_msg *msg; /* the request (reference) */
	struct rctx rc;
	struct list targets;   /* struct target not yet tried, q descending */
	struct list branches;  /* struct branch */
	struct tmr tmr_serial; /* serial_ms: next q group */
	struct tmr tmr_linger; /* keep forwarding 2xx retransmissions */
	struct log_ctx lctx;
	char hash[33];          /* loop-detection hash: our branch base */
	char ident[256];        /* authenticated "user@domain", or "" */
	char pai[280];          /* "sip:user@domain" for rc.pai, or "" */
	proxy_final_h *final_h; /* proxy_relay / proxy_originate */
	char *ruri;             /* proxy_relay_to: rc.ruri/uri point here */
	void *final_arg;        /* referenced */
	bool final_called;
	uint32_t nbranch;
	uint32_t group; /* current q group */
	bool invite;
	bool stop; /* no new branches (CANCEL, 2xx, 6xx) */
	bool final_sent;
	bool ended; /* unlinked */
};

/* proxy_route.c */
bool proxy_uri_is_us(const struct proxy *p, const struct sip_uri *uri);
bool proxy_host_is_local(const struct proxy *p, const struct sip_uri *uri);
int proxy_branch_hash(char out[33], const struct proxy *p,
                      const struct sip_msg *msg, const struct sip_via *top);
bool proxy_loop_detect(const struct proxy *p, const struct sip_msg *msg);
int proxy_route_pre(struct rctx *rc, const struct proxy *p,
                    const struct sip_msg *msg);
int proxy_uri_dst(struct sip_dst *dst, const struct sip_uri *uri);
int proxy_pl_dst(struct sip_dst *dst, const struct pl *val);
int proxy_targets(struct list *tl, uint16_t *scode, const char **reason,
                  bool *unbound, struct proxy *p, const struct sip_msg *msg,
                  const struct rctx *rc);
int proxy_req_encode(struct buf **mbp, struct sip_dst *dst, struct proxy *p,
                     const struct sip_msg *msg, const struct rctx *rc,
                     const struct target *t, const char *branch, bool rr);
int proxy_resp_encode(struct buf **mbp, const struct sip_msg *resp,
                      uint16_t scode, const char *reason,
                      const struct list *merge);
bool proxy_is_dialog_creating(const struct sip_msg *msg);

/* proxy_fork.c */
int proxy_pxreq_alloc(struct pxreq **rp, struct proxy *p, struct sip_stsx *st,
                      struct sip_msg *msg);
void proxy_pxreq_end(struct pxreq *r);
/* The final-response hook (proxy_relay, proxy_originate): true when the
 * final is not to be sent upstream. */
bool proxy_pxreq_final_hook(struct pxreq *r, uint16_t scode,
                            const struct sip_msg *resp);
void proxy_pxreq_abandon(struct pxreq *r);
void proxy_pxreq_reply(struct pxreq *r, uint16_t scode, const char *reason,
                       const char *hdrs);
void proxy_fork_start(struct pxreq *r);
void proxy_pxreq_cancel(struct pxreq *r, const char *reason);
struct pxreq *proxy_pxreq_find(const struct proxy *p,
                               const struct sip_stsx *st);

#endif
