/* sip/tsx_server.c - server transactions (RFC 3261 17.2, 9.2, RFC 6026 7.1) */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#define LOG_MODULE "sip.tsx"
#include "../base/mem.h"
#include "../base/util.h"
#include "tsx_int.h"

enum sstate {
	S_TRYING,     /* non-INVITE, nothing sent yet */
	S_PROCEEDING, /* provisional sent */
	S_COMPLETED,  /* final sent (non-2xx for INVITE) */
	S_CONFIRMED,  /* INVITE: ACK received */
	S_ACCEPTED,   /* INVITE: 2xx sent (RFC 6026) */
	S_TERMINATED,
};

struct sip_stsx {
	struct le he;        /* in tl->sht while live */
	struct sip_tsxl *tl; /* borrowed; NULL once terminated */
	struct sip_msg *req; /* the request that created us; NULL once
	                        compacted (see compact()) */
	struct pl kbranch, khost, kmet; /* compacted: slices of key */
	uint16_t kport;
	struct sip_dst dst;  /* where responses go */
	struct buf *resp;    /* last response sent */
	struct tmr tmr_retx; /* G */
	struct tmr tmr_end;  /* H, I, J, L */
	uint32_t retx_ms;
	enum sstate state;
	uint16_t status; /* highest status sent */
	bool invite;
	bool rfc2543; /* matched by the RFC 2543 rules */
	bool reliable;
	char *totag;     /* To tag of our own responses */
	char *rsp_totag; /* RFC 2543: To tag of the final sent */
	sip_stsx_term_h *termh;
	void *arg;
	struct log_ctx lctx;
	char key[96];
};

/* What a lookup is for. */
enum smatch {
	M_REQ,    /* same method: retransmission */
	M_ACK,    /* ACK for the INVITE */
	M_CANCEL, /* the INVITE a CANCEL refers to (9.2) */
};

static void stsx_destroy(void *data)
{
	struct sip_stsx *st = data;

	tmr_cancel(&st->tmr_retx);
	tmr_cancel(&st->tmr_end);
	hash_unlink(&st->he);
	mem_deref(st->resp);
	mem_deref(st->req);
	mem_deref(st->totag);
	mem_deref(st->rsp_totag);
}

static uint32_t skey(const struct sip_msg *msg, bool rfc2543)
{
	return rfc2543 ? pl_hash(&msg->callid) : pl_hash_ci(&msg->via.branch);
}

static bool via_eq_2543(const struct sip_via *a, const struct sip_via *b)
{
	return !pl_casecmp(&a->tp_name, &b->tp_name) &&
	       sip_tsx_sentby_eq(a, b) && !pl_casecmp(&a->branch, &b->branch);
}

/* RFC 3261 17.2.3, second part: transactions of RFC 2543 peers. */
static bool match_2543(const struct sip_stsx *st, const struct sip_msg *msg,
                       enum smatch m)
{
	const struct sip_msg *r = st->req;

	if (!st->rfc2543 || pl_cmp(&r->callid, &msg->callid) ||
	    r->cseq.num != msg->cseq.num ||
	    pl_casecmp(&r->from.tag, &msg->from.tag) ||
	    !via_eq_2543(&r->via, &msg->via) ||
	    !sip_uri_cmp(&r->uri, &msg->uri))
		return false;
	switch (m) {
	case M_ACK: {
		/* The ACK's To tag is the one of the response we sent. */
		struct pl tag = PL_INIT;

		if (!st->invite || !st->rsp_totag)
			return false;
		pl_set_str(&tag, st->rsp_totag);
		return !pl_casecmp(&tag, &msg->to.tag);
	}
	case M_CANCEL:
		return st->invite && !pl_casecmp(&r->to.tag, &msg->to.tag);
	default:
		return !pl_cmp(&r->met, &msg->met) &&
		       !pl_casecmp(&r->to.tag, &msg->to.tag);
	}
}

/* RFC 3261 17.2.3: branch, sent-by, and method (ACK goes with INVITE). */
static bool match_3261(const struct sip_stsx *st, const struct sip_msg *msg,
                       enum smatch m)
{
	const struct sip_msg *r = st->req;

	if (!r) /* compacted: a completed non-INVITE transaction */
		return m == M_REQ && !st->rfc2543 &&
		       !pl_casecmp(&st->kbranch, &msg->via.branch) &&
		       !pl_casecmp(&st->khost, &msg->via.host) &&
		       st->kport == sip_tsx_via_port(&msg->via) &&
		       !pl_cmp(&st->kmet, &msg->met);
	if (st->rfc2543 || pl_casecmp(&r->via.branch, &msg->via.branch) ||
	    !sip_tsx_sentby_eq(&r->via, &msg->via))
		return false;
	if (m == M_REQ)
		return !pl_cmp(&r->met, &msg->met);
	return st->invite;
}

static struct sip_stsx *find(const struct sip_tsxl *tl,
                             const struct sip_msg *msg, enum smatch m)
{
	bool rfc2543 = !sip_tsx_branch_is_rfc3261(&msg->via.branch);

	LIST_FOREACH(hash_list(tl->sht, skey(msg, rfc2543)), le) {
		struct sip_stsx *st = le->data;

		if (rfc2543 ? match_2543(st, msg, m) : match_3261(st, msg, m))
			return st;
	}
	return NULL;
}

/* Leave the table and drop the layer's reference; err != 0 tells the TU
 * first. st may be freed on return. */
static void terminate(struct sip_stsx *st, int err)
{
	struct sip_tsxl *tl = st->tl;

	if (!tl)
		return;
	st->state = S_TERMINATED;
	st->tl = NULL;
	tl->nst--;
	tmr_cancel(&st->tmr_retx);
	tmr_cancel(&st->tmr_end);
	hash_unlink(&st->he);
	if (err && st->termh)
		st->termh(err, st->arg);
	mem_deref(st); /* the layer's reference */
}

static void send_err_h(int err, void *arg)
{
	struct sip_stsx *st = arg;

	if (!st->tl)
		return;
	log_notice(&st->lctx, "response not delivered: %s", err_str(err));
	terminate(st, err);
}

static int send_resp(struct sip_stsx *st, struct buf *mb)
{
	return sip_tsx_send(st->tl, &st->dst, mb, send_err_h, st);
}

/* A failed resend: out of memory is retried by the next timer or
 * retransmission; anything else ends the transaction. */
static void resend_failed(struct sip_stsx *st, int err)
{
	if (err == ENOMEM)
		return;
	log_notice(&st->lctx, "resend failed: %s", err_str(err));
	terminate(st, err);
}

static void tmr_retx_h(void *arg)
{
	struct sip_stsx *st = arg;
	uint32_t t2 = st->tl->t.t2;
	int err;

	if (st->state != S_COMPLETED)
		return;
	/* Timer G: the final again, interval doubling up to T2. */
	st->retx_ms = MIN(2 * st->retx_ms, t2);
	(void)tmr_start(&st->tmr_retx, st->tl->tmrl, st->retx_ms, tmr_retx_h,
	                st);
	err = send_resp(st, st->resp);
	if (err)
		resend_failed(st, err);
}

static void tmr_end_h(void *arg)
{
	struct sip_stsx *st = arg;

	switch (st->state) {
	case S_COMPLETED:
		if (st->invite) {
			log_notice(&st->lctx, "no ACK for %u (Timer H)",
			           st->status);
			terminate(st, ETIMEDOUT);
			break;
		}
		terminate(st, 0); /* Timer J */
		break;
	default: /* Timer I, Timer L */
		terminate(st, 0);
		break;
	}
}

/* The status code of an encoded response ("SIP/2.0 NNN ..."). */
static int resp_scode(const struct buf *mb, uint16_t *scode)
{
	static const char ver[] = "SIP/2.0 ";
	const size_t n = sizeof(ver) - 1;
	const uint8_t *p = mb->b;
	uint16_t v = 0;

	if (!p || mb->end < n + 3 || memcmp(p, ver, n))
		return EINVAL;
	for (size_t i = n; i < n + 3; i++) {
		if (p[i] < '0' || p[i] > '9')
			return EINVAL;
		v = (uint16_t)(v * 10 + (p[i] - '0'));
	}
	if (v < 100 || v > 699)
		return EINVAL;
	*scode = v;
	return 0;
}

/* RFC 2543 ACKs carry the To tag of the final response: remember it. */
static int remember_totag(struct sip_stsx *st, struct buf *mb, bool own)
{
	struct sip_msg *rsp = NULL;
	struct buf *copy = NULL;
	struct parse_err pe;
	char *tag = NULL;
	int err;

	if (own) {
		err = mem_strdup(&tag, st->totag);
		goto out;
	}
	err = buf_alloc_copy(&copy, mb->b, mb->end);
	if (err)
		goto out;
	err = sip_msg_decode(&rsp, copy, false, &pe);
	if (err) {
		/* An unreadable To: such an ACK cannot match. */
		err = err == ENOMEM ? ENOMEM : 0;
		goto out;
	}
	err = pl_strdup(&tag, &rsp->to.tag);
out:
	if (!err && tag) {
		mem_deref(st->rsp_totag);
		st->rsp_totag = tag;
	}
	mem_deref(rsp);
	mem_deref(copy);
	return err;
}

static int reply(struct sip_stsx *st, struct buf *mb, bool own)
{
	struct sip_tsxl *tl = st->tl;
	enum sstate next;
	uint16_t scode;
	bool final;
	int err;

	if (!tl)
		return EPROTO;
	err = resp_scode(mb, &scode);
	if (err)
		return err;
	final = scode >= 200;

	switch (st->state) {
	case S_TRYING:
	case S_PROCEEDING:
		if (!final)
			next = S_PROCEEDING;
		else if (!st->invite)
			next = S_COMPLETED;
		else
			next = scode < 300 ? S_ACCEPTED : S_COMPLETED;
		break;
	case S_ACCEPTED:
		/* RFC 6026 7.1: 2xx from the TU pass through. */
		if (scode < 200 || scode >= 300)
			return EPROTO;
		next = S_ACCEPTED;
		break;
	default:
		return EPROTO;
	}

	if (final && st->state != S_ACCEPTED && st->rfc2543 && st->invite) {
		err = remember_totag(st, mb, own);
		if (err)
			return err;
	}

	/* Arm the timers of the next state first: a failure leaves the
	 * state as it was. */
	if (next != st->state) {
		if (next == S_ACCEPTED) {
			err = tmr_start(&st->tmr_end, tl->tmrl,
			                sip_tsx_64t1(tl), tmr_end_h, st);
		} else if (next == S_COMPLETED && st->invite) {
			err = tmr_start(&st->tmr_end, tl->tmrl,
			                sip_tsx_64t1(tl), tmr_end_h, st);
			if (!err && !st->reliable) {
				st->retx_ms = tl->t.t1;
				err = tmr_start(&st->tmr_retx, tl->tmrl,
				                st->retx_ms, tmr_retx_h, st);
			}
		} else if (next == S_COMPLETED && !st->reliable) {
			err = tmr_start(&st->tmr_end, tl->tmrl,
			                sip_tsx_64t1(tl), tmr_end_h, st);
		}
		if (err) {
			tmr_cancel(&st->tmr_retx);
			tmr_cancel(&st->tmr_end);
			return err;
		}
	}

	err = send_resp(st, mb);
	if (err) {
		if (next != st->state) {
			tmr_cancel(&st->tmr_retx);
			tmr_cancel(&st->tmr_end);
		}
		if (err != ENOMEM) {
			log_notice(&st->lctx, "cannot send %u: %s", scode,
			           err_str(err));
			terminate(st, 0); /* the caller learns it from us */
		}
		return err;
	}

	mem_deref(st->resp);
	st->resp = mem_ref(mb);
	if (scode > st->status)
		st->status = scode;
	st->state = next;

	/* Timer J is zero over reliable transports. */
	if (next == S_COMPLETED && !st->invite && st->reliable)
		terminate(st, 0);
	return 0;
}

int sip_stsx_alloc(struct sip_stsx **stp, struct sip_tsxl *tl,
                   struct sip_msg *req)
{
	struct sip_stsx *st;
	struct buf *mb = NULL;
	int err;

	if (!stp || !tl || !req || !req->req || sip_msg_is(req, "ACK"))
		return EINVAL;
	if (find(tl, req, M_REQ))
		return EALREADY;
	st = mem_zalloc(sizeof(*st), stsx_destroy);
	if (!st)
		return ENOMEM;
	tmr_init(&st->tmr_retx);
	tmr_init(&st->tmr_end);
	st->req = mem_ref(req);
	st->invite = sip_msg_is(req, "INVITE");
	st->rfc2543 = !sip_tsx_branch_is_rfc3261(&req->via.branch);
	sip_resp_dst(&st->dst, req);
	st->reliable = sip_transp_reliable(st->dst.tp);
	st->state = st->invite ? S_PROCEEDING : S_TRYING;
	sip_tsx_lctx_init(&st->lctx, req, &st->dst);

	if (pl_isset(&req->to.tag)) {
		err = pl_strdup(&st->totag, &req->to.tag);
	} else {
		char tag[17];

		rand_token(tag, sizeof(tag) - 1);
		err = mem_strdup(&st->totag, tag);
	}
	if (err)
		goto out;

	/* Our reference goes to the table; the caller gets another. */
	st->tl = tl;
	hash_append(tl->sht, skey(req, st->rfc2543), &st->he, st);
	tl->nst++;
	mem_ref(st);

	if (st->invite) {
		/* 17.2.1: 100 Trying, so the client stops retransmitting. */
		err =
		    sip_resp_encode(&mb, req, 100, NULL, NULL, NULL, "%s", "");
		if (!err)
			err = reply(st, mb, true);
		if (err) {
			terminate(st, 0);
			goto out;
		}
	}
out:
	mem_deref(mb);
	if (err)
		mem_deref(st);
	else
		*stp = st;
	return err;
}

void sip_stsx_set_termh(struct sip_stsx *st, sip_stsx_term_h *h, void *arg)
{
	if (!st)
		return;
	st->termh = h;
	st->arg = arg;
}

int sip_stsx_reply(struct sip_stsx *st, struct buf *mb)
{
	if (!st || !mb)
		return EINVAL;
	return reply(st, mb, false);
}

static int vreplyb(struct sip_stsx *st, uint16_t scode, const char *reason,
                   const struct pl *body, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
static int vreplyb(struct sip_stsx *st, uint16_t scode, const char *reason,
                   const struct pl *body, const char *fmt, va_list ap)
{
	struct buf *hb = NULL, *mb = NULL;
	int err = 0;

	if (!st)
		return EINVAL;
	if (!st->tl)
		return EPROTO;
	if (fmt && *fmt) {
		err = buf_alloc(&hb, 256);
		if (!err)
			err = buf_vprintf(hb, fmt, ap);
		if (err)
			goto out;
	}
	err = sip_resp_encode(&mb, st->req, scode, reason, st->totag, body,
	                      "%.*s", hb ? (int)hb->end : 0,
	                      hb ? (const char *)hb->b : "");
	if (err)
		goto out;
	err = reply(st, mb, true);
out:
	mem_deref(mb);
	mem_deref(hb);
	return err;
}

int sip_stsx_replyf(struct sip_stsx *st, uint16_t scode, const char *reason,
                    const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vreplyb(st, scode, reason, NULL, fmt, ap);
	va_end(ap);
	return err;
}

int sip_stsx_replyb(struct sip_stsx *st, uint16_t scode, const char *reason,
                    const struct pl *body, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vreplyb(st, scode, reason, body, fmt, ap);
	va_end(ap);
	return err;
}

struct sip_msg *sip_stsx_req(const struct sip_stsx *st)
{
	return st ? st->req : NULL;
}

const char *sip_stsx_totag(const struct sip_stsx *st)
{
	return st ? st->totag : NULL;
}

uint16_t sip_stsx_status(const struct sip_stsx *st)
{
	return st ? st->status : 0;
}

struct sip_stsx *sip_stsx_find_invite(struct sip_tsxl *tl,
                                      const struct sip_msg *cancel)
{
	if (!tl || !cancel || !cancel->req)
		return NULL;
	return find(tl, cancel, M_CANCEL);
}

/*
 * A completed non-INVITE transaction that its TU has let go of only
 * absorbs retransmissions until Timer J (32 s over UDP): keep the matching
 * key (branch, sent-by, method; 17.2.3) and the last response, and drop
 * the request with its receive buffer. At thousands of requests a second
 * this is most of the memory the transaction layer holds. The key lives in
 * the transaction itself; a key too long for it keeps the request.
 */
static void compact(struct sip_stsx *st)
{
	const struct sip_msg *r = st->req;
	size_t nb, nh, nm;
	char *k = st->key;

	if (!r || st->invite || st->rfc2543 || st->state != S_COMPLETED)
		return;
	nb = r->via.branch.l;
	nh = r->via.host.l;
	nm = r->met.l;
	if (nb + nh + nm > sizeof(st->key))
		return;
	memcpy(k, r->via.branch.p, nb);
	memcpy(k + nb, r->via.host.p, nh);
	memcpy(k + nb + nh, r->met.p, nm);
	st->kbranch = (struct pl){k, nb};
	st->khost = (struct pl){k + nb, nh};
	st->kmet = (struct pl){k + nb + nh, nm};
	st->kport = sip_tsx_via_port(&r->via);
	st->req = mem_deref(st->req);
}

struct sip_stsx *sip_stsx_release(struct sip_stsx *st)
{
	if (!st)
		return NULL;
	st->termh = NULL;
	st->arg = NULL;
	/* Nobody can answer any more: a transaction without a final would
	 * otherwise absorb retransmissions forever. */
	if (st->tl && (st->state == S_TRYING || st->state == S_PROCEEDING)) {
		log_notice(&st->lctx, "released without a final response");
		terminate(st, 0);
	} else if (st->tl) {
		compact(st);
	}
	mem_deref(st);
	return NULL;
}

/* --- requests from the transport --- */

static int recv_ack(struct sip_stsx *st)
{
	struct sip_tsxl *tl = st->tl;
	int err;

	switch (st->state) {
	case S_COMPLETED:
		/* Timer I: T4, zero over reliable transports. H is running,
		 * so restarting tmr_end needs no memory. */
		tmr_cancel(&st->tmr_retx);
		if (st->reliable) {
			terminate(st, 0);
			return 0;
		}
		err =
		    tmr_start(&st->tmr_end, tl->tmrl, tl->t.t4, tmr_end_h, st);
		if (err)
			return err;
		st->state = S_CONFIRMED;
		log_debug(&st->lctx, "ACK for %u: confirmed", st->status);
		return 0;
	case S_ACCEPTED:
		/* RFC 6026: ACKs for 2xx belong to the TU. */
		return ENOENT;
	default:
		log_debug(&st->lctx, "ACK absorbed");
		return 0;
	}
}

static int recv_retrans(struct sip_stsx *st)
{
	int err;

	if ((st->state != S_PROCEEDING && st->state != S_COMPLETED) ||
	    !st->resp) {
		log_debug(&st->lctx, "retransmission absorbed");
		return 0;
	}
	log_debug(&st->lctx, "retransmission: resending %u", st->status);
	err = send_resp(st, st->resp);
	if (err)
		resend_failed(st, err);
	return err;
}

int sip_tsx_server_recv(struct sip_tsxl *tl, struct sip_msg *msg)
{
	bool ack = sip_msg_is(msg, "ACK");
	struct sip_stsx *st = find(tl, msg, ack ? M_ACK : M_REQ);
	int err;

	if (!st)
		return ENOENT;
	mem_ref(st);
	err = ack ? recv_ack(st) : recv_retrans(st);
	mem_deref(st);
	return err;
}

void sip_tsx_server_flush(struct sip_tsxl *tl)
{
	HASH_FOREACH(tl->sht, i, le) {
		terminate(le->data, 0);
	}
}
