/* tests/unit/sip/rec_tp.h - a recording transport for state machine tests */
#ifndef TEST_REC_TP_H
#define TEST_REC_TP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "sip/msg.h"
#include "sip/tp.h"

struct tmrl;
struct rec_tp;

/* One message handed to send(). */
struct rec_sent {
	struct sip_dst dst;
	struct buf *mb; /* reference held; the message is mb->b[0..end) */
	uint64_t t;     /* tmrl_now() at send time, 0 without a tmrl */
};

/*
 * A transport that sends nothing and remembers everything. It allocates
 * only in rec_tp_alloc (room for max records), so sends never fail for
 * lack of memory and --oom runs stay deterministic; sends beyond max are
 * counted but not kept. tmrl (may be NULL) stamps each record.
 */
int rec_tp_alloc(struct rec_tp **rtp, struct tmrl *tmrl, uint32_t max);
/* The ops to hand to state machines, with ctx = the struct rec_tp. */
const struct sip_tp_ops *rec_tp_ops(void);

/* Successful sends since alloc or the last clear (kept or not). */
uint32_t rec_tp_count(const struct rec_tp *rt);
/* The i-th recorded send (0-based), or NULL. */
const struct rec_sent *rec_tp_get(const struct rec_tp *rt, uint32_t i);
/* The whole i-th message as a slice (empty if none). */
struct pl rec_tp_pl(const struct rec_tp *rt, uint32_t i);
/* How many kept records start with prefix ("ACK ", "SIP/2.0 100"). */
uint32_t rec_tp_count_prefix(const struct rec_tp *rt, const char *prefix);
/* Index of the first kept record at or after from that starts with
 * prefix, or -1. */
int rec_tp_find(const struct rec_tp *rt, uint32_t from, const char *prefix);
/* Decode the i-th record (a datagram decode of a copy). ENOENT. */
int rec_tp_decode(const struct rec_tp *rt, uint32_t i, struct sip_msg **msgp);
/* Forget every record (held error handlers are dropped unreported). */
void rec_tp_clear(struct rec_tp *rt);

/* The next n sends fail at once, returning err (not recorded). */
void rec_tp_fail_next(struct rec_tp *rt, int err, uint32_t n);
/* While on, records keep the send's error handler and a reference to its
 * argument, so a test can report a late failure with rec_tp_fail(). */
void rec_tp_hold(struct rec_tp *rt, bool on);
/* Report err to the error handler held by record i (once). ENOENT. */
int rec_tp_fail(struct rec_tp *rt, uint32_t i, int err);
/* The local address laddr() answers (default 127.0.0.1:5060). */
void rec_tp_set_laddr(struct rec_tp *rt, const struct sa *laddr);

/* Literal text as a wire buffer (lone "\n" become "\r\n"), pos 0. */
int rec_buf(struct buf **bp, const char *text);
/* Build a received message from literal text: lone "\n" become "\r\n",
 * decoded as a datagram (tp UDP) or stream, with msg->tp and msg->src
 * ("192.0.2.1:5060") set as a transport would. EBADMSG if it does not
 * decode. */
int rec_msg(struct sip_msg **msgp, const char *text, enum sip_transp tp,
            const char *src);

#endif
