/* tests/unit/im/im_fix.h - fixture for the pager IM service tests: the
 * proxy fixture (fake clock, recording transport, "mem:" store, registrar,
 * digest auth) with the events framework and the IM service on top;
 * requests enter through the proxy and what impd sends is recorded */
#ifndef TEST_IM_FIX_H
#define TEST_IM_FIX_H

#include <stdbool.h>
#include <stdint.h>

#include "base/mem.h"
#include "im/im.h"
#include "presence/pres_fix.h"
#include "proxy/test_proxy_util.h"
#include "sip/msg.h"
#include "test.h"

struct evt;
struct im;

/* Where the test's peers are. Requests come from IMF_CALLER unless a
 * request says otherwise; the devices registered by default bindings. */
#define IMF_CALLER   "192.0.2.1:5062"
#define IMF_ALICE_UA "192.0.2.10:5060" /* alice's device (gets IMDNs) */
#define IMF_BOB_UA1  "192.0.2.20:5070"
#define IMF_BOB_UA2  "192.0.2.21:5070"
#define IMF_BOB_UA3  "192.0.2.30:5070" /* where bob registers later */
#define IMF_CAROL_UA "192.0.2.40:5070"
#define IMF_BOB_SUB  "192.0.2.50:5060" /* bob's message-summary client */

#define IMF_ALICE "sip:alice@example.com"
#define IMF_BOB   "sip:bob@example.com"
#define IMF_CAROL "sip:carol@example.com"
#define IMF_DAVE  "sip:dave@example.com"  /* no such user */
#define IMF_EVE   "sip:eve@other.example" /* foreign: never challenged */

enum { IMF_REQS = 128 };

struct imfix {
	struct pfix p; /* clock, transport, store, proxy (freed last) */
	struct evt *evt;
	struct im *im;
	unsigned n;              /* requests made (Call-IDs, tags) */
	uint32_t cseq[IMF_REQS]; /* the last CSeq sent with Call-ID n */
};

/* The service's settings for tests: im.* defaults except max_body 4096,
 * quota 100 messages / 1 MiB, retry_s 60, max_age_s 7 days, poll_ms 500,
 * exploder "exploder", stream_ok (no 513), no archive. */
void imf_conf(struct im_conf *cf);

/* Users alice, bob, carol (password "secret") in example.com; b: the
 * bindings loaded before the services start. auth: local senders get a
 * 407 (imf_send answers it for requests with auth set). */
int imf_init_store(struct imfix *f, const struct pt_binding *b, uint32_t nb,
                   bool auth);
/* Put documents in between, then start the events framework and the IM
 * service (cf NULL: imf_conf), with MESSAGE and SUBSCRIBE to local AoRs
 * handed to them as the daemon does. */
int imf_start(struct imfix *f, const struct im_conf *cf);
int imf_init(struct imfix *f, const struct im_conf *cf,
             const struct pt_binding *b, uint32_t nb, bool auth);
void imf_close(struct imfix *f);

/* Store a document (content NULL: delete it); the running service sees it
 * at its next poll (imf_advance by poll_ms). */
int imf_doc_put(struct imfix *f, const char *auid, const char *owner,
                const char *content);
/* One IM rule of owner's IM_RULES_AUID document. */
struct imf_rule {
	const char *id;
	const char *sender;    /* identity one, or NULL: everyone */
	const char *handling;  /* "allow", "block", "discard" or NULL */
	const char *reception; /* "deliver", "store", "reject" or NULL */
};
int imf_im_rules(struct imfix *f, const char *owner, const struct imf_rule *r,
                 uint32_t n);
/* owner's rls-services document with one group uri (inline list). */
int imf_group(struct imfix *f, const char *owner, const char *uri,
              const char *const *members, uint32_t n);

/* Let ms of fake time pass (timers fire in order). */
void imf_advance(struct imfix *f, uint64_t ms);
/* Forget what was sent so far (the transport keeps 128 records). */
void imf_clear(struct imfix *f);

/* One request from outside. */
struct imf_req {
	const char *met;  /* NULL: MESSAGE */
	const char *ruri; /* Request-URI */
	const char *from; /* From URI */
	const char *name; /* From display name, or NULL */
	const char *to;   /* To URI, NULL: ruri */
	const char *ctype;
	const char *body; /* exact octets, NULL: none */
	size_t len;       /* 0: strlen(body) */
	const char *hdrs; /* more header lines, each ending in CRLF */
	const char *contact;
	const char *src; /* NULL: IMF_CALLER */
	bool auth;       /* answer a 407 as the From user (password secret) */
};
/* Send r; *idp names it for imf_status/imf_resp. */
int imf_send(struct imfix *f, const struct imf_req *r, unsigned *idp);
/* A MESSAGE from -> ruri with a text/plain body (auth: as local user). */
int imf_msg(struct imfix *f, const char *from, const char *ruri,
            const char *body, bool auth, unsigned *idp);
/* The final status impd answered to request id (its last CSeq), 0 when
 * none (yet). */
uint16_t imf_status(const struct imfix *f, unsigned id);
/* That final response, decoded. ENOENT. */
int imf_resp(const struct imfix *f, unsigned id, struct sip_msg **rspp);
/* REGISTER user ("bob") with Contact sip:user@addr from addr; the status
 * of the answer in *scode. */
int imf_register(struct imfix *f, const char *user, const char *addr,
                 uint32_t expires, uint16_t *scode);

/* Requests impd sent (met "MESSAGE", "NOTIFY") to addr (NULL: anywhere)
 * at or after record from, retransmissions not counted. */
uint32_t imf_count(const struct imfix *f, uint32_t from, const char *met,
                   const char *addr);
/* Record index of the nth (0-based) of them, or -1. */
int imf_find(const struct imfix *f, uint32_t from, const char *met,
             const char *addr, uint32_t nth);
/* Record idx decoded. */
int imf_decode(const struct imfix *f, int idx, struct sip_msg **msgp);
/* The peer that got record idx answers scode. */
int imf_answer(struct imfix *f, int idx, uint16_t scode);
uint32_t imf_nrec(const struct imfix *f);

/* Stored deferred messages as the store lists them. */
enum { IMF_MSGS = 16, IMF_BODY = 1024 };
struct imf_m {
	uint64_t id;
	char owner[64], sender[128], name[64], recipient[128], ctype[128];
	char imdn_id[64];
	uint32_t imdn_disp;
	bool sender_auth;
	uint64_t received_ms, expires;
	char body[IMF_BODY];
	size_t len;
};
struct imf_msgs {
	uint32_t n; /* all of them; m holds the first IMF_MSGS */
	struct imf_m m[IMF_MSGS];
};
/* owner's (NULL: everyone's) stored messages; no allocation. */
int imf_msgs(struct imfix *f, const char *owner, struct imf_msgs *out);

/* Helpers for checks. */
bool imf_pl_eq(const struct pl *pl, const char *p, size_t len);
bool imf_has(const struct pl *pl, const char *s);
/* A header's first value as a C string ("" when absent). */
const char *imf_hdr(const struct sip_msg *msg, enum sip_hdrid id, char *buf,
                    size_t size);

#endif
