/* sip/tp_int.h - transport internals shared by tp*.c (RFC 3261 18) */
#ifndef SIP_TP_INT_H
#define SIP_TP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/hash.h"
#include "../base/list.h"
#include "../base/log.h"
#include "../base/sa.h"
#include "../base/tmr.h"
#include "tp.h"

struct loop;
typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

enum {
	TP_UDP_BATCH = 16,    /* datagrams per recvmmsg() */
	TP_UDP_ROUNDS = 4,    /* recvmmsg() calls per readiness */
	TP_ACCEPT_BATCH = 32, /* accept() calls per readiness */
	TP_RB_MIN = 4096,     /* initial stream receive buffer */
	TP_LADDR_CACHE = 8,   /* wildcard local-address lookups kept */
	TP_LADDR_TTL_MS = 30000,
};

/* A listening socket (UDP: the socket that also sends). */
struct tp_lsnr {
	struct le le;      /* in sip_tp.lsnrs */
	struct sip_tp *tp; /* borrowed: owner */
	enum sip_transp t;
	int fd;
	struct sa laddr; /* bound address (port resolved) */
	bool wildcard;   /* bound to 0.0.0.0 / :: */
};

struct tp_laddr_ent {
	struct sa dst; /* address only */
	struct sa local;
	uint64_t expires;
};

struct sip_tp {
	struct loop *loop;     /* borrowed */
	struct tmrl *tmrl;     /* borrowed: the loop's */
	struct sip_tp_conf cf; /* strings point at our own copies */
	char *tls_cert, *tls_key, *tls_ca;
	sip_tp_recv_h *recvh;
	void *arg;

	struct list lsnrs;  /* struct tp_lsnr */
	struct hash *conns; /* struct sip_conn by (transport, peer) */
	uint32_t nconns;
	bool closing; /* destructor running: no callbacks */

	/* UDP receive slots (one block; messages are copied out once) */
	uint8_t *udp_slots;
	size_t udp_slot_size;

	SSL_CTX *tls_srv;
	SSL_CTX *tls_cli;

	struct tp_laddr_ent laddr_cache[TP_LADDR_CACHE];
	uint32_t laddr_next;

	struct sip_tp_stats st;
	struct log_rl rl; /* bad input, refused connections */
	struct log_ctx lctx;
};

/* A queued stream write. */
struct tp_wqe {
	struct le le;   /* in sip_conn.wq */
	struct buf *mb; /* reference */
	size_t off;     /* octets of mb already written */
	sip_send_err_h *eh;
	void *arg;          /* reference (mem object) or NULL */
	struct buf *udp_fb; /* 18.1.1 switch: the UDP original, or NULL */
};

/* A TCP or TLS connection (struct sip_conn is opaque outside). */
struct sip_conn {
	struct le he;      /* in sip_tp.conns (the table holds 1 ref) */
	struct sip_tp *tp; /* borrowed; NULL once closed */
	enum sip_transp t;
	int fd;
	struct sa peer;
	struct sa laddr; /* local end (getsockname) */
	bool outbound;
	bool connected; /* TCP connection established */
	bool ready;     /* connected and TLS handshake done */
	bool closed;
	bool draining;       /* last reply queued: close once written */
	int pend_err;        /* connect() failed at once: report from timer */
	int fdflags;         /* what the loop watches now */
	bool wr_wants_read;  /* TLS write blocked on WANT_READ */
	bool rd_wants_write; /* TLS read blocked on WANT_WRITE */
	SSL *ssl;
	struct buf *rb;   /* receive buffer */
	size_t scanned;   /* sip_frame resume point */
	uint32_t ka_lf;   /* LFs seen in CRLF keep-alives so far */
	struct list wq;   /* struct tp_wqe */
	struct tmr tmr;   /* connect/handshake, then idle */
	uint64_t last_ms; /* last activity */
	char host[128];   /* TLS server name (outbound) */
	struct log_ctx lctx;
};

/* tp.c */
void tp_log_rl(struct sip_tp *tp, enum log_level lvl, const struct log_ctx *ctx,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void tp_deliver(struct sip_tp *tp, struct buf *b, enum sip_transp t,
                const struct sa *src, const struct sa *dst,
                struct sip_conn *conn, uint64_t now);
void tp_trace(const char *dir, enum sip_transp t, const struct sa *local,
              const struct sa *peer, const uint8_t *p, size_t n);
struct tp_lsnr *tp_lsnr_find(const struct sip_tp *tp, enum sip_transp t,
                             int af);
void tp_peer_print(struct log_ctx *lctx, enum sip_transp t,
                   const struct sa *peer);

/* tp_udp.c */
int tp_udp_listen(struct tp_lsnr *l);
int tp_udp_send(struct sip_tp *tp, const struct sa *dst, const uint8_t *p,
                size_t n);

/* tp_tcp.c (streams, TCP and TLS) */
int tp_stream_listen(struct tp_lsnr *l);
int tp_stream_send(struct sip_tp *tp, enum sip_transp t, const struct sa *dst,
                   const char *host, struct buf *mb, sip_send_err_h *eh,
                   void *arg, struct buf *udp_fb);
struct sip_conn *tp_conn_find(const struct sip_tp *tp, enum sip_transp t,
                              const struct sa *peer);
void tp_conns_close_all(struct sip_tp *tp);

/* tp_tls.c */
int tp_tls_srv_init(struct sip_tp *tp);
int tp_tls_cli_init(struct sip_tp *tp);
bool tp_tls_pending(const struct sip_conn *c);
int tp_tls_conn_init(struct sip_conn *c);
void tp_tls_free(struct sip_tp *tp);
/* Drive the handshake: 0 done, EAGAIN in progress (c->fdflags wanted
 * set through *want), other errno: failed. */
int tp_tls_handshake(struct sip_conn *c, int *want);
/* >0 octets, 0 on EOF; -1 with *err = EAGAIN (and *want) or failure. */
long tp_tls_read(struct sip_conn *c, uint8_t *p, size_t n, int *err, int *want);
long tp_tls_write(struct sip_conn *c, const uint8_t *p, size_t n, int *err,
                  int *want);
void tp_tls_conn_free(struct sip_conn *c);

#endif
