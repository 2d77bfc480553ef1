/* sip/tp.h - SIP transports: UDP, TCP, TLS (RFC 3261 18, RFC 3581, RFC
 * 5626 4.4.1) */
#ifndef SIP_TP_H
#define SIP_TP_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/sa.h"
#include "msg.h"

struct loop;

/* Where to send: transport and remote address. For streams, an open
 * connection to addr (outbound, or inbound from that client address) is
 * reused; otherwise one is opened. host (optional) is the name used for
 * TLS server-name indication and certificate checks. */
struct sip_dst {
	enum sip_transp tp;
	struct sa addr;
	char host[128];
};

/* A stream send that failed after it was queued (connect refused, TLS
 * handshake failed, connection reset with data pending). */
typedef void sip_send_err_h(int err, void *arg);

/* What state machines (transactions) see of the transport layer. */
struct sip_tp_ops {
	/* Send one complete message. 0 = queued. For a later failure eh(err,
	 * arg) runs once on the loop thread; arg, when not NULL, must be a
	 * mem object: the transport holds a reference until the send has
	 * completed or failed. */
	int (*send)(void *ctx, const struct sip_dst *dst, struct buf *mb,
	            sip_send_err_h *eh, void *arg);
	/* The local address a message to dst leaves from (for Via sent-by
	 * and Record-Route). */
	int (*laddr)(void *ctx, enum sip_transp tp, const struct sa *dst,
	             struct sa *local);
	/* Optional (NULL: never): is a stream connection of kind tp to addr
	 * open right now? Routing prefers a client's live connection. */
	bool (*flow_alive)(void *ctx, enum sip_transp tp,
	                   const struct sa *addr);
};

struct sip_tp_conf {
	uint32_t max_msg;     /* largest message accepted/sent, octets */
	uint32_t max_hdr;     /* largest header section, octets */
	uint32_t max_conns;   /* open stream connections, all kinds */
	uint32_t idle_s;      /* close idle stream connections after */
	uint32_t connect_ms;  /* TCP connect + TLS handshake timeout */
	uint32_t udp_mtu;     /* over this, requests go over TCP (18.1.1) */
	const char *tls_cert; /* PEM file paths (TLS listeners/clients) */
	const char *tls_key;
	const char *tls_ca;     /* CA file to verify peers, or NULL */
	bool tls_verify_client; /* ask for and verify client certificates */
	bool tls_verify_server; /* verify servers impd connects to */
};

/* What arrived. err == 0: msg is a decoded message (the receiver takes its
 * own reference if it keeps it). err != 0: the octets could not be
 * decoded; msg is a leniently decoded request (enough to answer with 400
 * or 505) or NULL, and pe says why. */
typedef void sip_tp_recv_h(int err, struct sip_msg *msg,
                           const struct parse_err *pe, void *arg);

struct sip_tp;

int sip_tp_alloc(struct sip_tp **tpp, struct loop *loop,
                 const struct sip_tp_conf *cf, sip_tp_recv_h *h, void *arg);
/* Start a listener. port 0 picks a free port (see sip_tp_listen_addr). */
int sip_tp_listen(struct sip_tp *tp, enum sip_transp t, const struct sa *laddr);
/* The bound address of the first listener of kind t and family af. */
int sip_tp_listen_addr(const struct sip_tp *tp, enum sip_transp t, int af,
                       struct sa *laddr);
bool sip_tp_has(const struct sip_tp *tp, enum sip_transp t);
int sip_tp_send(struct sip_tp *tp, const struct sip_dst *dst, struct buf *mb,
                sip_send_err_h *eh, void *arg);
/* Adapter for state machines: ops with ctx = the struct sip_tp. */
const struct sip_tp_ops *sip_tp_ops(void);
/* Is there an open stream connection to addr? (flow liveness for the
 * registrar and tests) */
bool sip_tp_conn_exists(const struct sip_tp *tp, enum sip_transp t,
                        const struct sa *addr);

struct sip_tp_stats {
	uint64_t rx_msgs, tx_msgs, rx_bad, rx_bytes, tx_bytes;
	uint32_t conns;
};
void sip_tp_stats_get(const struct sip_tp *tp, struct sip_tp_stats *st);

/* "udp:127.0.0.1:5060", "tls:[::1]:5061" -> transport and address. */
/* Next hop for a URI without DNS (RFC 3263 lookups come later): numeric
 * hosts and "localhost"; maddr, transport and sips respected. ENOTSUP for
 * names, EPROTONOSUPPORT for non-SIP URIs or unknown transports. */
int sip_uri_dst(struct sip_dst *dst, const struct sip_uri *uri);
int sip_tp_addr_decode(const char *s, enum sip_transp *t, struct sa *addr);

#endif
