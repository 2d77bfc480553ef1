/* sip/tsx_client.c - client transactions (RFC 3261 17.1, 9.1, RFC 6026) */
#include <errno.h>
#include <string.h>

#define LOG_MODULE "sip.tsx"
#include "../base/mem.h"
#include "../base/util.h"
#include "tsx_int.h"

enum cstate {
	C_CALLING,    /* INVITE sent, nothing heard */
	C_TRYING,     /* non-INVITE sent, nothing heard */
	C_PROCEEDING, /* provisional received */
	C_COMPLETED,  /* final received (non-2xx for INVITE) */
	C_ACCEPTED,   /* INVITE: 2xx received (RFC 6026) */
	C_TERMINATED,
};

struct sip_ctsx {
	struct le he;        /* in tl->cht while live */
	struct sip_tsxl *tl; /* borrowed; NULL once terminated */
	struct sip_msg *req; /* decoded copy of what we sent */
	struct buf *mb;      /* the request as sent (retransmissions) */
	struct buf *ack;     /* ACK for a non-2xx final */
	struct sip_dst dst;
	struct tmr tmr_retx; /* A, E */
	struct tmr tmr_end;  /* B, F, D, K, M; 64*T1 after CANCEL */
	uint32_t retx_ms;
	enum cstate state;
	bool invite;
	bool reliable;
	bool cancel_pending; /* CANCEL waits for a provisional */
	bool cancel_sent;
	char *cancel_reason;
	sip_ctsx_resp_h *h;
	void *arg;
	struct log_ctx lctx;
};

static void ctsx_destroy(void *data)
{
	struct sip_ctsx *ct = data;

	tmr_cancel(&ct->tmr_retx);
	tmr_cancel(&ct->tmr_end);
	hash_unlink(&ct->he);
	mem_deref(ct->req);
	mem_deref(ct->mb);
	mem_deref(ct->ack);
	mem_deref(ct->cancel_reason);
}

static void deliver(struct sip_ctsx *ct, int err, const struct sip_msg *rsp)
{
	if (ct->h)
		ct->h(err, rsp, ct->arg);
}

/* Leave the table and drop the layer's reference; err != 0 is reported
 * to the TU first. ct may be freed on return. */
static void terminate(struct sip_ctsx *ct, int err)
{
	struct sip_tsxl *tl = ct->tl;

	if (!tl)
		return;
	ct->state = C_TERMINATED;
	ct->tl = NULL;
	tl->nct--;
	tmr_cancel(&ct->tmr_retx);
	tmr_cancel(&ct->tmr_end);
	hash_unlink(&ct->he);
	if (err)
		deliver(ct, err, NULL);
	mem_deref(ct); /* the layer's reference */
}

static void send_err_h(int err, void *arg)
{
	struct sip_ctsx *ct = arg;

	if (!ct->tl)
		return;
	/* 17.1.4: a transport failure ends the transaction (the TU treats
	 * it as a 503). After a final only an ACK can have failed. */
	if (ct->state == C_COMPLETED || ct->state == C_ACCEPTED) {
		log_debug(&ct->lctx, "send failed after final: %s",
		          err_str(err));
		return;
	}
	log_notice(&ct->lctx, "transport error: %s", err_str(err));
	terminate(ct, err);
}

static int send_req(struct sip_ctsx *ct, struct buf *mb)
{
	return sip_tsx_send(ct->tl, &ct->dst, mb, send_err_h, ct);
}

static void tmr_retx_h(void *arg)
{
	struct sip_ctsx *ct = arg;
	const struct sip_timers *t = &ct->tl->t;
	int err;

	if (ct->invite) {
		if (ct->state != C_CALLING)
			return;
		ct->retx_ms *= 2; /* Timer A */
	} else if (ct->state == C_PROCEEDING) {
		ct->retx_ms = t->t2; /* Timer E in Proceeding */
	} else if (ct->state == C_TRYING) {
		ct->retx_ms = MIN(2 * ct->retx_ms, t->t2);
	} else {
		return;
	}
	/* The timer just left the heap: restarting it needs no memory. */
	(void)tmr_start(&ct->tmr_retx, ct->tl->tmrl, ct->retx_ms, tmr_retx_h,
	                ct);
	err = send_req(ct, ct->mb);
	if (err && err != ENOMEM) {
		log_notice(&ct->lctx, "retransmission failed: %s",
		           err_str(err));
		terminate(ct, err);
	}
}

static void tmr_end_h(void *arg)
{
	struct sip_ctsx *ct = arg;

	switch (ct->state) {
	case C_CALLING:
	case C_TRYING:
	case C_PROCEEDING:
		if (ct->cancel_sent)
			log_notice(&ct->lctx, "no final after CANCEL");
		else
			log_notice(&ct->lctx, "no response (Timer %c)",
			           ct->invite ? 'B' : 'F');
		terminate(ct, ETIMEDOUT);
		break;
	default: /* Timer D, K, M */
		terminate(ct, 0);
		break;
	}
}

/* Append every header with id as its own line. */
static int print_hdrs(struct buf *mb, const struct sip_msg *msg,
                      enum sip_hdrid id)
{
	int err = 0;

	for (const struct sip_hdr *h = sip_msg_hdr(msg, id); h && !err;
	     h = sip_msg_hdr_next(msg, h))
		err = sip_hdr_encode(mb, h);
	return err;
}

/* ACK (17.1.1.3) and CANCEL (9.1) share their shape: the Request-URI,
 * top Via, Route set, From, Call-ID and CSeq number of the request; To
 * from the response for ACK, from the request for CANCEL. */
static int build_hop(struct buf **mbp, const struct sip_msg *req,
                     const char *met, const struct sip_msg *rsp,
                     const char *reason)
{
	const struct sip_hdr *to = sip_msg_hdr(rsp ? rsp : req, SIP_HDR_TO);
	const struct sip_hdr *from = sip_msg_hdr(req, SIP_HDR_FROM);
	const struct sip_hdr *cid = sip_msg_hdr(req, SIP_HDR_CALL_ID);
	struct buf *mb;
	int err;

	if (!to || !from || !cid)
		return EINVAL;
	err = buf_alloc(&mb, 512);
	if (err)
		return err;
	err = buf_printf(mb, "%s %.*s SIP/2.0\r\nVia: %.*s\r\n", met,
	                 PL_PRINT(&req->ruri), PL_PRINT(&req->via.val));
	if (!err)
		err = print_hdrs(mb, req, SIP_HDR_ROUTE);
	if (!err)
		err = buf_write_str(mb, "Max-Forwards: 70\r\n");
	if (!err)
		err = sip_hdr_encode(mb, from);
	if (!err)
		err = sip_hdr_encode(mb, to);
	if (!err)
		err = sip_hdr_encode(mb, cid);
	if (!err)
		err = buf_printf(mb, "CSeq: %u %s\r\n", req->cseq.num, met);
	if (!err && reason)
		err = buf_printf(mb, "Reason: %s\r\n", reason);
	if (!err)
		err = buf_write_str(mb, "Content-Length: 0\r\n\r\n");
	if (err) {
		mem_deref(mb);
		return err;
	}
	mb->pos = 0;
	*mbp = mb;
	return 0;
}

static int ctsx_new(struct sip_ctsx **ctp, struct sip_tsxl *tl,
                    const struct sip_dst *dst, struct buf *mb,
                    sip_ctsx_resp_h *h, void *arg)
{
	struct sip_ctsx *ct;
	struct buf *copy = NULL;
	struct parse_err pe;
	int err;

	ct = mem_zalloc(sizeof(*ct), ctsx_destroy);
	if (!ct)
		return ENOMEM;
	tmr_init(&ct->tmr_retx);
	tmr_init(&ct->tmr_end);
	ct->dst = *dst;
	ct->reliable = sip_transp_reliable(dst->tp);

	/* Decode our own request once: method, branch, and what ACK and
	 * CANCEL need. */
	err = buf_alloc_copy(&copy, mb->b, mb->end);
	if (err)
		goto out;
	err = sip_msg_decode(&ct->req, copy, ct->reliable, &pe);
	if (err)
		goto out;
	if (!ct->req->req || sip_msg_is(ct->req, "ACK") ||
	    !pl_isset(&ct->req->via.branch)) {
		err = EINVAL;
		goto out;
	}
	ct->req->tp = dst->tp;
	ct->mb = mem_ref(mb);
	ct->invite = sip_msg_is(ct->req, "INVITE");
	ct->state = ct->invite ? C_CALLING : C_TRYING;
	ct->h = h;
	ct->arg = arg;
	sip_tsx_lctx_init(&ct->lctx, ct->req, dst);

	/* Timer A/E only over unreliable transports; B/F always. */
	err =
	    tmr_start(&ct->tmr_end, tl->tmrl, sip_tsx_64t1(tl), tmr_end_h, ct);
	if (!err && !ct->reliable) {
		ct->retx_ms = tl->t.t1;
		err = tmr_start(&ct->tmr_retx, tl->tmrl, ct->retx_ms,
		                tmr_retx_h, ct);
	}
	if (err)
		goto out;

	ct->tl = tl;
	err = send_req(ct, mb);
	if (err) {
		ct->tl = NULL;
		goto out;
	}
	hash_append(tl->cht, pl_hash_ci(&ct->req->via.branch), &ct->he, ct);
	tl->nct++;
out:
	mem_deref(copy);
	if (err)
		mem_deref(ct);
	else
		*ctp = ct; /* the layer's reference */
	return err;
}

int sip_ctsx_alloc(struct sip_ctsx **ctp, struct sip_tsxl *tl,
                   const struct sip_dst *dst, struct buf *mb,
                   sip_ctsx_resp_h *h, void *arg)
{
	struct sip_ctsx *ct;
	int err;

	if (!ctp || !tl || !dst || !mb || !mb->b || !mb->end)
		return EINVAL;
	err = ctsx_new(&ct, tl, dst, mb, h, arg);
	if (err)
		return err;
	*ctp = mem_ref(ct); /* the caller's */
	return 0;
}

/* The CANCEL is a transaction of its own that only the layer holds: its
 * responses interest nobody. */
static int send_cancel(struct sip_ctsx *ct)
{
	struct sip_tsxl *tl = ct->tl;
	struct sip_ctsx *cc;
	struct buf *mb = NULL;
	int err;

	bool running = tmr_isrunning(&ct->tmr_end);
	uint64_t left = tmr_left(&ct->tmr_end);

	err = build_hop(&mb, ct->req, "CANCEL", NULL, ct->cancel_reason);
	if (err)
		goto out;
	/* 9.1: no final 64*T1 after the CANCEL: give up on the INVITE. */
	err =
	    tmr_start(&ct->tmr_end, tl->tmrl, sip_tsx_64t1(tl), tmr_end_h, ct);
	if (err)
		goto out;
	err = ctsx_new(&cc, tl, &ct->dst, mb, NULL, NULL);
	if (err) {
		/* Put Timer B back as it was (its slot is still ours). */
		if (running)
			(void)tmr_start(&ct->tmr_end, tl->tmrl, left, tmr_end_h,
			                ct);
		else
			tmr_cancel(&ct->tmr_end);
		goto out;
	}
	ct->cancel_pending = false;
	ct->cancel_sent = true;
	log_debug(&ct->lctx, "CANCEL sent");
out:
	mem_deref(mb);
	return err;
}

int sip_ctsx_cancel(struct sip_ctsx *ct, const char *reason)
{
	if (!ct)
		return EINVAL;
	if (!ct->invite)
		return EPROTO;
	/* After a final (or once over) there is nothing to cancel. */
	if (!ct->tl || ct->cancel_pending || ct->cancel_sent ||
	    (ct->state != C_CALLING && ct->state != C_PROCEEDING))
		return 0;
	if (reason && !ct->cancel_reason) {
		int err = mem_strdup(&ct->cancel_reason, reason);

		if (err)
			return err;
	}
	if (ct->state == C_CALLING) {
		/* 9.1: wait for a provisional before sending. */
		ct->cancel_pending = true;
		log_debug(&ct->lctx, "CANCEL waits for a provisional");
		return 0;
	}
	return send_cancel(ct);
}

const struct sip_msg *sip_ctsx_req(const struct sip_ctsx *ct)
{
	return ct ? ct->req : NULL;
}

const struct sip_dst *sip_ctsx_dst(const struct sip_ctsx *ct)
{
	return ct ? &ct->dst : NULL;
}

struct sip_ctsx *sip_ctsx_release(struct sip_ctsx *ct)
{
	if (!ct)
		return NULL;
	ct->h = NULL;
	ct->arg = NULL;
	mem_deref(ct);
	return NULL;
}

/* --- responses from the transport --- */

static int ict_recv(struct sip_ctsx *ct, const struct sip_msg *rsp)
{
	struct sip_tsxl *tl = ct->tl;
	uint16_t scode = rsp->scode;
	int err;

	switch (ct->state) {
	case C_CALLING:
	case C_PROCEEDING:
		break;
	case C_ACCEPTED:
		/* RFC 6026 7.2: every 2xx goes up (retransmissions and other
		 * forks); the TU ACKs them. */
		if (scode >= 200 && scode < 300)
			deliver(ct, 0, rsp);
		else
			log_debug(&ct->lctx, "%u after 2xx dropped", scode);
		return 0;
	case C_COMPLETED:
		if (scode < 300) {
			log_debug(&ct->lctx, "%u after final dropped", scode);
			return 0;
		}
		log_debug(&ct->lctx, "final %u again: ACK resent", scode);
		err = send_req(ct, ct->ack);
		return err == ENOMEM ? err : 0;
	default:
		return 0;
	}

	if (scode < 200) {
		if (ct->cancel_pending) {
			/* Before any change: out of memory leaves the state
			 * as it was, the next provisional tries again. */
			err = send_cancel(ct);
			if (err == ENOMEM)
				return err;
			if (err)
				log_warn(&ct->lctx, "cannot send CANCEL: %s",
				         err_str(err));
		}
		ct->state = C_PROCEEDING;
		tmr_cancel(&ct->tmr_retx);
		if (!ct->cancel_sent)
			tmr_cancel(&ct->tmr_end); /* Timer B */
		deliver(ct, 0, rsp);
		return 0;
	}

	if (scode < 300) {
		/* Timer M absorbs-and-forwards further 2xx. */
		err = tmr_start(&ct->tmr_end, tl->tmrl, sip_tsx_64t1(tl),
		                tmr_end_h, ct);
		if (err)
			return err;
		tmr_cancel(&ct->tmr_retx);
		ct->state = C_ACCEPTED;
		ct->cancel_pending = false;
		deliver(ct, 0, rsp);
		return 0;
	}

	/* 300-699: ACK here (17.1.1.3), Timer D. */
	err = build_hop(&ct->ack, ct->req, "ACK", rsp, NULL);
	if (err)
		return err;
	if (!ct->reliable) {
		err = tmr_start(&ct->tmr_end, tl->tmrl, SIP_TSX_TIMER_D,
		                tmr_end_h, ct);
		if (err) {
			ct->ack = mem_deref(ct->ack);
			return err;
		}
	}
	tmr_cancel(&ct->tmr_retx);
	ct->state = C_COMPLETED;
	ct->cancel_pending = false;
	err = send_req(ct, ct->ack);
	if (err)
		log_notice(&ct->lctx, "cannot send ACK: %s", err_str(err));
	deliver(ct, 0, rsp);
	if (ct->reliable)
		terminate(ct, 0); /* Timer D is zero */
	return 0;
}

static int nict_recv(struct sip_ctsx *ct, const struct sip_msg *rsp)
{
	struct sip_tsxl *tl = ct->tl;
	int err;

	if (ct->state != C_TRYING && ct->state != C_PROCEEDING) {
		log_debug(&ct->lctx, "%u after final absorbed", rsp->scode);
		return 0;
	}
	if (rsp->scode < 200) {
		ct->state = C_PROCEEDING;
		deliver(ct, 0, rsp);
		return 0;
	}
	/* Timer K: T4, zero over reliable transports. F is running, so the
	 * restart needs no memory. */
	tmr_cancel(&ct->tmr_retx);
	if (ct->reliable) {
		tmr_cancel(&ct->tmr_end);
	} else {
		err =
		    tmr_start(&ct->tmr_end, tl->tmrl, tl->t.t4, tmr_end_h, ct);
		if (err)
			return err;
	}
	ct->state = C_COMPLETED;
	deliver(ct, 0, rsp);
	if (ct->reliable)
		terminate(ct, 0);
	return 0;
}

static struct sip_ctsx *find(const struct sip_tsxl *tl,
                             const struct sip_msg *rsp)
{
	/* 17.1.3: top Via branch and CSeq method. */
	LIST_FOREACH(hash_list(tl->cht, pl_hash_ci(&rsp->via.branch)), le) {
		struct sip_ctsx *ct = le->data;

		if (!pl_casecmp(&ct->req->via.branch, &rsp->via.branch) &&
		    !pl_cmp(&ct->req->met, &rsp->cseq.met))
			return ct;
	}
	return NULL;
}

int sip_tsx_client_recv(struct sip_tsxl *tl, struct sip_msg *msg)
{
	struct sip_ctsx *ct;
	int err;

	if (msg->scode < 100 || msg->scode > 699 || !pl_isset(&msg->via.branch))
		return ENOENT;
	ct = find(tl, msg);
	if (!ct)
		return ENOENT;
	mem_ref(ct); /* the handler may release or free anything */
	err = ct->invite ? ict_recv(ct, msg) : nict_recv(ct, msg);
	mem_deref(ct);
	return err;
}

void sip_tsx_client_flush(struct sip_tsxl *tl)
{
	HASH_FOREACH(tl->cht, i, le) {
		terminate(le->data, 0);
	}
}
