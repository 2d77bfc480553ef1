/* sip/tsx.h - transaction layer (RFC 3261 17, RFC 6026; RFC 2543 matching) */
#ifndef SIP_TSX_H
#define SIP_TSX_H

#include <stdbool.h>
#include <stdint.h>

#include "msg.h"
#include "tp.h"

struct tmrl;
struct sip_tsxl;
struct sip_stsx;
struct sip_ctsx;

struct sip_timers {
	uint32_t t1; /* 500 ms */
	uint32_t t2; /* 4000 ms */
	uint32_t t4; /* 5000 ms */
};

/* A request that matched no server transaction: a new request, an ACK for
 * a 2xx, or a CANCEL (use sip_stsx_find_invite). msg is borrowed; take a
 * reference to keep it. */
typedef void sip_req_h(struct sip_msg *msg, void *arg);

/* Transactions run on tmrl's clock and send through ops(ctx). */
int sip_tsxl_alloc(struct sip_tsxl **tlp, struct tmrl *tmrl,
                   const struct sip_tp_ops *ops, void *tpctx,
                   const struct sip_timers *timers, sip_req_h *reqh, void *arg);
/* Every decoded message from the transport goes here. Responses reach
 * their client transaction (no match: dropped, ENOENT). Requests that
 * match a server transaction are absorbed (retransmissions get the last
 * response again; ACK for a non-2xx final stops its retransmission).
 * Other requests go to reqh. */
int sip_tsxl_recv(struct sip_tsxl *tl, struct sip_msg *msg);
/* Send without a transaction (ACK for 2xx forwarded by a proxy, stateless
 * replies). */
int sip_tsxl_send(struct sip_tsxl *tl, const struct sip_dst *dst,
                  struct buf *mb);
/* A fresh RFC 3261 branch "z9hG4bK..." (buf holds at least 48). */
void sip_tsxl_branch(struct sip_tsxl *tl, char *buf, size_t size);
struct tmrl *sip_tsxl_tmrl(struct sip_tsxl *tl);
const struct sip_tp_ops *sip_tsxl_tp_ops(struct sip_tsxl *tl, void **ctx);
const struct sip_timers *sip_tsxl_timers(const struct sip_tsxl *tl);
uint32_t sip_tsxl_count(const struct sip_tsxl *tl, bool server);

/* Where responses to req go (RFC 3261 18.2.2, RFC 3581): the connection
 * it came on for streams; for UDP the received/rport address. */
void sip_resp_dst(struct sip_dst *dst, const struct sip_msg *req);

/* --- server transactions --- */

/* Called when a server transaction ends without a normal finish: the
 * transport failed to deliver a response, or an INVITE's final non-2xx
 * was never ACKed (Timer H). */
typedef void sip_stsx_term_h(int err, void *arg);

/* Create the server transaction for req (a request that reached reqh).
 * An INVITE gets 100 Trying at once. The caller holds one reference; the
 * layer holds its own until the transaction ends. */
int sip_stsx_alloc(struct sip_stsx **stp, struct sip_tsxl *tl,
                   struct sip_msg *req);
void sip_stsx_set_termh(struct sip_stsx *st, sip_stsx_term_h *h, void *arg);
/* Send a response (mb: from sip_resp_encode). Provisionals any number of
 * times before the final; the first final fixes the outcome; for INVITE,
 * later 2xx pass (RFC 6026 Accepted). Otherwise EPROTO. */
int sip_stsx_reply(struct sip_stsx *st, struct buf *mb);
/* Encode (with this transaction's own To-tag) and send. */
int sip_stsx_replyf(struct sip_stsx *st, uint16_t scode, const char *reason,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Same, with a body. */
int sip_stsx_replyb(struct sip_stsx *st, uint16_t scode, const char *reason,
                    const struct pl *body, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
struct sip_msg *sip_stsx_req(const struct sip_stsx *st);
/* The To-tag used for locally generated responses of this transaction. */
const char *sip_stsx_totag(const struct sip_stsx *st);
/* Highest status sent so far (0 = none). */
uint16_t sip_stsx_status(const struct sip_stsx *st);
/* The INVITE server transaction a CANCEL refers to (RFC 3261 9.2), or
 * NULL. Borrowed. */
struct sip_stsx *sip_stsx_find_invite(struct sip_tsxl *tl,
                                      const struct sip_msg *cancel);
/* Drop the caller's reference and stop calling its handlers. NULL. A
 * transaction without a final response ends here; a completed non-INVITE
 * one keeps only what matching retransmissions needs (the request is
 * dropped: sip_stsx_req gives NULL afterwards to anyone still holding a
 * reference). */
struct sip_stsx *sip_stsx_release(struct sip_stsx *st);

/* --- client transactions --- */

/* err == 0: a response (every provisional; the final; for INVITE, 2xx
 * retransmissions while Accepted). err != 0 (resp NULL): ETIMEDOUT (Timer
 * B/F) or a transport error; the transaction is over. */
typedef void sip_ctsx_resp_h(int err, const struct sip_msg *resp, void *arg);

/* Send request mb (complete, with this hop's top Via and branch) to dst.
 * The layer decodes mb once to learn the method, branch and what CANCEL
 * and ACK need. ACK for non-2xx finals is sent here (17.1.1.3). */
int sip_ctsx_alloc(struct sip_ctsx **ctp, struct sip_tsxl *tl,
                   const struct sip_dst *dst, struct buf *mb,
                   sip_ctsx_resp_h *h, void *arg);
/* CANCEL an INVITE client transaction (RFC 3261 9.1): sent once a
 * provisional has arrived (at once if one has); not at all once a final
 * has. reason: a Reason header value or NULL. */
int sip_ctsx_cancel(struct sip_ctsx *ct, const char *reason);
/* The request as sent (decoded). */
const struct sip_msg *sip_ctsx_req(const struct sip_ctsx *ct);
const struct sip_dst *sip_ctsx_dst(const struct sip_ctsx *ct);
/* Drop the caller's reference and stop calling h; the transaction itself
 * finishes its protocol duties (ACKs, absorbing). NULL. */
struct sip_ctsx *sip_ctsx_release(struct sip_ctsx *ct);

#endif
