/* tests/unit/sip/test_tp.h - helpers shared by the transport tests */
#ifndef TEST_TP_H
#define TEST_TP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/loop.h"
#include "sip/tp.h"

/* TEST_PL_EQ of test.h cannot take an expression (its parameter is
 * named like struct pl); this one can. */
#define TP_PL_EQ(expected, plp)                                                \
	do {                                                                   \
		const struct pl *tp_p_ = (plp);                                \
		if (pl_strcmp(tp_p_, (expected))) {                            \
			test_fail(__FILE__, __LINE__,                          \
			          "%s: expected \"%s\", got \"%.*s\"", #plp,   \
			          (expected), PL_PRINT(tp_p_));                \
			err = EINVAL;                                          \
			goto out;                                              \
		}                                                              \
	} while (0)

/* What a transport's receive handler saw. */
struct tp_rx {
	struct sip_msg *msg; /* last decoded message (reference) */
	struct sip_msg *bad; /* last leniently decoded one (reference) */
	unsigned n;          /* decoded messages */
	unsigned nerr;       /* undecodable ones */
	int err;
};

void tp_rx_h(int err, struct sip_msg *msg, const struct parse_err *pe,
             void *arg);
void tp_rx_reset(struct tp_rx *rx);

/* Send-error record: a mem object passed as eh's arg. */
struct tp_ehrec {
	unsigned n;
	int err;
};
void tp_eh(int err, void *arg);

uint64_t tp_now_ms(void);
/* Run loop iterations until cond is true or ms elapsed. */
#define TP_RUN_UNTIL(loop, cond, ms)                                           \
	do {                                                                   \
		uint64_t tp_end_ = tp_now_ms() + (ms);                         \
		while (!(cond) && tp_now_ms() < tp_end_)                       \
			(void)loop_run_once((loop), 5);                        \
	} while (0)

/* A valid request / response; body_len octets of body ('x'). */
int tp_req(struct buf **mbp, const char *via_tp, size_t body_len);
int tp_resp(struct buf **mbp, size_t body_len);
/* A transport with one listener of kind t on 127.0.0.1:0. */
int tp_make(struct sip_tp **tpp, struct loop *loop,
            const struct sip_tp_conf *cf, struct tp_rx *rx, enum sip_transp t,
            struct sa *laddr);
/* A raw blocking TCP client socket connected to a (then non-blocking). */
int tp_raw_connect(int *fdp, const struct sa *a);
/* Non-blocking read: octets read, 0 EOF, -1 nothing yet. */
long tp_raw_read(int fd, char *buf, size_t size);

#endif
