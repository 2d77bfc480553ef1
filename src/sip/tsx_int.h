/* sip/tsx_int.h - transaction layer internals (RFC 3261 17) */
#ifndef SIP_TSX_INT_H
#define SIP_TSX_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/hash.h"
#include "../base/log.h"
#include "../base/tmr.h"
#include "tsx.h"

/* RFC 3261 8.1.1.7: branches of RFC 3261 elements start with this. */
#define SIP_TSX_COOKIE "z9hG4bK"

/* Buckets of each transaction table (thousands of transactions). */
#define SIP_TSX_BUCKETS                                                        \
	65536 /* ~160k live server transactions at 5k/s (Timer J) */

/* Timer D (17.1.1.2: at least 32 s over unreliable transports). */
#define SIP_TSX_TIMER_D 32000

struct sip_tsxl {
	struct tmrl *tmrl;            /* borrowed: owner outlives us */
	const struct sip_tp_ops *ops; /* borrowed */
	void *tpctx;                  /* borrowed */
	struct sip_timers t;
	sip_req_h *reqh;
	void *arg;
	struct hash *sht; /* struct sip_stsx, each holding the layer's ref */
	struct hash *cht; /* struct sip_ctsx, likewise */
	uint32_t nst;
	uint32_t nct;
};

/* tsx.c */
bool sip_tsx_branch_is_rfc3261(const struct pl *branch);
bool sip_tsx_sentby_eq(const struct sip_via *a, const struct sip_via *b);
/* The sent-by port of v, or the transport's default. */
uint16_t sip_tsx_via_port(const struct sip_via *v);
void sip_tsx_lctx_init(struct log_ctx *lctx, const struct sip_msg *msg,
                       const struct sip_dst *dst);
int sip_tsx_send(struct sip_tsxl *tl, const struct sip_dst *dst, struct buf *mb,
                 sip_send_err_h *eh, void *arg);
uint32_t sip_tsx_64t1(const struct sip_tsxl *tl);

/* tsx_server.c: 0 when msg was a retransmission or an ACK handled by a
 * server transaction, ENOENT when it belongs to the TU. */
int sip_tsx_server_recv(struct sip_tsxl *tl, struct sip_msg *msg);
/* Detach every server transaction (the layer is going away). */
void sip_tsx_server_flush(struct sip_tsxl *tl);

/* tsx_client.c: ENOENT when no client transaction matches. */
int sip_tsx_client_recv(struct sip_tsxl *tl, struct sip_msg *msg);
void sip_tsx_client_flush(struct sip_tsxl *tl);

#endif
