/* proxy/proxy_fork.c - forking, aggregation (RFC 3261 16.7-16.10, 6026) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../base/mem.h"
#include "../base/util.h"
#include "../sip/tsx.h"
#include "proxy_int.h"

#define LOG_MODULE "proxy"

/* RFC 3326 Reason for the branches cancelled after a 2xx. */
#define REASON_ELSEWHERE "SIP;cause=200;text=\"Call completed elsewhere\""

static void check(struct pxreq *r);

static void branch_destructor(void *data)
{
	struct branch *b = data;

	list_unlink(&b->le);
	tmr_cancel(&b->tmr_c);
	if (b->ct)
		sip_ctsx_release(b->ct);
	mem_deref(b->resp);
}

static void pxreq_destructor(void *data)
{
	struct pxreq *r = data;

	list_unlink(&r->le);
	tmr_cancel(&r->tmr_serial);
	tmr_cancel(&r->tmr_linger);
	list_flush(&r->branches);
	list_flush(&r->targets);
	if (r->st)
		sip_stsx_release(r->st);
	mem_deref(r->msg);
	mem_deref(r->final_arg);
	mem_deref(r->ruri);
}

static struct tmrl *tmrl_of(const struct pxreq *r)
{
	return r->p ? sip_tsxl_tmrl(r->p->tl) : NULL;
}

/* The response context is over once the final went upstream, every branch
 * has its final (or gave up) and no 2xx retransmission is expected. */
static void maybe_end(struct pxreq *r)
{
	if (r->ended || !r->final_sent || tmr_isrunning(&r->tmr_linger))
		return;
	LIST_FOREACH(&r->branches, le) {
		const struct branch *b = le->data;

		if (b->ct && !b->scode)
			return;
	}
	proxy_pxreq_end(r);
}

static void st_term_h(int err, void *arg)
{
	struct pxreq *r = arg;

	log_info(&r->lctx, "server transaction ended: %s", err_str(err));
	mem_ref(r);
	r->stop = true;
	list_flush(&r->targets);
	if (!r->final_sent) {
		r->final_sent = true;
		LIST_FOREACH(&r->branches, le) {
			struct branch *b = le->data;

			if (r->invite && b->ct && !b->scode && !b->cancel) {
				b->cancel = true;
				sip_ctsx_cancel(b->ct, NULL);
			}
		}
	}
	maybe_end(r);
	mem_deref(r);
}

int proxy_pxreq_alloc(struct pxreq **rp, struct proxy *p, struct sip_stsx *st,
                      struct sip_msg *msg)
{
	struct pxreq *r = mem_zalloc(sizeof(*r), pxreq_destructor);

	if (!r)
		return ENOMEM;
	r->p = p;
	r->msg = mem_ref(msg);
	r->invite = sip_msg_is(msg, "INVITE");
	list_init(&r->targets);
	list_init(&r->branches);
	tmr_init(&r->tmr_serial);
	tmr_init(&r->tmr_linger);
	proxy_log_ctx(&r->lctx, msg);
	r->st = st; /* the caller's reference moves in (NULL: impd's own
	               request, proxy_originate) */
	if (st)
		sip_stsx_set_termh(st, st_term_h, r);
	*rp = r;
	return 0;
}

/* Unlink from the proxy and drop its reference. */
void proxy_pxreq_end(struct pxreq *r)
{
	if (r->ended)
		return;
	r->ended = true;
	list_unlink(&r->le);
	mem_deref(r);
}

/* The proxy goes away: stop everything, answer nothing more. */
void proxy_pxreq_abandon(struct pxreq *r)
{
	r->p = NULL;
	r->stop = true;
	r->final_sent = true;
	tmr_cancel(&r->tmr_serial);
	tmr_cancel(&r->tmr_linger);
	list_flush(&r->branches);
	list_flush(&r->targets);
	proxy_pxreq_end(r);
}

struct pxreq *proxy_pxreq_find(const struct proxy *p, const struct sip_stsx *st)
{
	LIST_FOREACH(&p->reqs, le) {
		struct pxreq *r = le->data;

		if (r->st == st)
			return r;
	}
	return NULL;
}

bool proxy_pxreq_final_hook(struct pxreq *r, uint16_t scode,
                            const struct sip_msg *resp)
{
	bool taken;

	if (!r->final_h || r->final_called || scode < 200)
		return !r->st;
	r->final_called = true;
	taken = r->final_h(scode, resp, r->final_arg);
	if (!r->st)
		return true; /* impd's own request: nobody upstream */
	if (taken && scode >= 300) {
		/* the service answers on st later: drop our reference
		 * without ending the transaction (as a hand-off does) */
		log_debug(&r->lctx, "final %u taken by the service", scode);
		sip_stsx_set_termh(r->st, NULL, NULL);
		r->st = mem_deref(r->st);
		return true;
	}
	return false;
}

/* A locally generated response (with our Server header). */
void proxy_pxreq_reply(struct pxreq *r, uint16_t scode, const char *reason,
                       const char *hdrs)
{
	const char *sn = r->p ? r->p->server_name : NULL;
	int err;

	if (r->final_sent)
		return;
	if ((scode >= 200 || !r->st) &&
	    proxy_pxreq_final_hook(r, scode, NULL)) {
		if (scode >= 200)
			r->final_sent = true;
		return;
	}
	if (scode >= 200 && sip_stsx_status(r->st) >= 200) {
		r->final_sent = true;
		return;
	}
	err = sip_stsx_replyf(r->st, scode, reason, "%s%s%s%s",
	                      hdrs ? hdrs : "", sn ? "Server: " : "",
	                      sn ? sn : "", sn ? "\r\n" : "");
	if (err)
		log_warn(&r->lctx, "sending %u failed: %s", scode,
		         err_str(err));
	if (scode >= 200)
		r->final_sent = true;
}

static void forward_resp(struct pxreq *r, const struct sip_msg *resp)
{
	struct buf *mb;
	int err;

	if (!r->st)
		return;
	err = proxy_resp_encode(&mb, resp, resp->scode, NULL, NULL);
	if (err) {
		log_warn(&r->lctx, "cannot copy %u: %s", resp->scode,
		         err_str(err));
		return;
	}
	err = sip_stsx_reply(r->st, mb);
	mem_deref(mb);
	if (err)
		log_info(&r->lctx, "%u not forwarded: %s", resp->scode,
		         err_str(err));
}

static bool branch_done(const struct branch *b)
{
	return b->scode || (b->cancel && !b->prov);
}

static void cancel_branch(struct branch *b, const char *reason)
{
	if (b->scode || !b->ct || b->cancel)
		return;
	b->cancel = true;
	if (b->r->invite) {
		int err = sip_ctsx_cancel(b->ct, reason);

		if (err)
			log_info(&b->r->lctx, "CANCEL of branch failed: %s",
			         err_str(err));
	}
}

static void cancel_others(struct pxreq *r, const struct branch *keep,
                          const char *reason)
{
	LIST_FOREACH(&r->branches, le) {
		struct branch *b = le->data;

		if (b != keep)
			cancel_branch(b, reason);
	}
}

/* Timer C (16.8): CANCEL a ringing branch; one that never answered counts
 * as 408. A cancelled branch that still says nothing is given up. */
static void timer_c_h(void *arg)
{
	struct branch *b = arg;
	struct pxreq *r = b->r;
	struct tmrl *tl = tmrl_of(r);

	mem_ref(r);
	if (b->prov && !b->cancel && !b->scode) {
		log_info(&r->lctx, "Timer C: cancelling branch");
		cancel_branch(b, NULL);
		if (tl)
			tmr_start(&b->tmr_c, tl,
			          64ULL * sip_tsxl_timers(r->p->tl)->t1,
			          timer_c_h, b);
	} else if (!b->scode) {
		log_info(&r->lctx, "Timer C: branch timed out");
		if (!b->cancel && b->ct && r->invite)
			sip_ctsx_cancel(b->ct, NULL);
		b->cancel = true;
		b->scode = 408;
	}
	check(r);
	mem_deref(r);
}

static void linger_h(void *arg)
{
	struct pxreq *r = arg;

	maybe_end(r);
}

static void on_prov(struct branch *b, const struct sip_msg *resp)
{
	struct pxreq *r = b->r;
	struct tmrl *tl = tmrl_of(r);

	if (resp->scode == 100 || b->scode)
		return;
	b->prov = true;
	/* 16.7 step 2: provisionals other than 100 reset Timer C */
	if (r->invite && !b->cancel && tl)
		tmr_start(&b->tmr_c, tl, r->p->cf.timer_c_ms, timer_c_h, b);
	if (r->final_sent || r->stop || b->cancel)
		return;
	forward_resp(r, resp);
}

static void on_2xx(struct branch *b, const struct sip_msg *resp)
{
	struct pxreq *r = b->r;
	struct tmrl *tl = tmrl_of(r);

	tmr_cancel(&b->tmr_c);
	if (!b->scode)
		b->scode = resp->scode;
	if (!r->invite) {
		if (r->final_sent)
			return;
		proxy_pxreq_final_hook(r, resp->scode, resp);
		forward_resp(r, resp);
		r->final_sent = true;
		r->stop = true;
		return;
	}
	/* 16.7 step 5: every 2xx of an INVITE goes upstream */
	if (!r->final_sent)
		proxy_pxreq_final_hook(r, resp->scode, resp);
	forward_resp(r, resp);
	r->final_sent = true;
	if (!r->stop) {
		r->stop = true;
		list_flush(&r->targets);
		tmr_cancel(&r->tmr_serial);
		cancel_others(r, b, REASON_ELSEWHERE);
	}
	if (tl && r->p)
		tmr_start(&r->tmr_linger, tl,
		          64ULL * sip_tsxl_timers(r->p->tl)->t1, linger_h, r);
}

static void send_final(struct pxreq *r, const struct branch *best,
                       uint16_t code);

static void on_final(struct branch *b, const struct sip_msg *resp)
{
	struct pxreq *r = b->r;

	tmr_cancel(&b->tmr_c);
	if (b->scode >= 200 && b->scode < 300)
		return;
	b->scode = resp->scode;
	mem_deref(b->resp);
	b->resp = mem_ref((void *)resp);
	if (resp->scode >= 600 && !r->final_sent) {
		/* 16.7 step 5: a 6xx ends the search */
		r->stop = true;
		list_flush(&r->targets);
		tmr_cancel(&r->tmr_serial);
		cancel_others(r, b, NULL);
		send_final(r, b, resp->scode);
	}
}

static void branch_resp_h(int err, const struct sip_msg *resp, void *arg)
{
	struct branch *b = arg;
	struct pxreq *r = b->r;

	mem_ref(r);
	if (err) {
		tmr_cancel(&b->tmr_c);
		log_info(&r->lctx, "branch failed: %s", err_str(err));
		if (!b->scode)
			b->scode = b->cancel          ? 487
			           : err == ETIMEDOUT ? 408
			                              : 503;
	} else if (resp->scode < 200) {
		on_prov(b, resp);
	} else if (resp->scode < 300) {
		on_2xx(b, resp);
	} else {
		on_final(b, resp);
	}
	check(r);
	mem_deref(r);
}

static void branch_start(struct pxreq *r, const struct target *t)
{
	struct proxy *p = r->p;
	struct branch *b;
	struct sip_dst dst;
	struct buf *mb = NULL;
	char id[64];
	int err;

	b = mem_zalloc(sizeof(*b), branch_destructor);
	if (!b) {
		log_warn(&r->lctx, "no memory for a branch");
		return;
	}
	b->r = r;
	b->group = r->group;
	tmr_init(&b->tmr_c);
	list_append(&r->branches, &b->le, b);

	snprintf(id, sizeof(id), "z9hG4bK%s.%u", r->hash, r->nbranch++);
	err = proxy_req_encode(&mb, &dst, p, r->msg, &r->rc, t, id,
	                       proxy_is_dialog_creating(r->msg));
	if (!err)
		err = sip_ctsx_alloc(&b->ct, p->tl, &dst, mb, branch_resp_h, b);
	mem_deref(mb);
	if (err) {
		log_notice(&r->lctx, "forwarding to %s failed: %s",
		           t->ruri ? t->ruri : "next hop", err_str(err));
		b->ct = NULL;
		b->scode = err == ENOMEM ? 500 : 503;
		return;
	}
	if (r->invite)
		tmr_start(&b->tmr_c, sip_tsxl_tmrl(p->tl), p->cf.timer_c_ms,
		          timer_c_h, b);
	if (log_enabled(LOG_MODULE, LOG_LVL_DEBUG)) {
		char a[64] = "";

		sa_print(&dst.addr, a, sizeof(a));
		log_debug(&r->lctx, "branch %s: %s via %s:%s", id,
		          t->ruri ? t->ruri : "(same Request-URI)",
		          sip_transp_name(dst.tp), a);
	}
}

static void serial_h(void *arg);

/* Start the next group of targets with equal q (16.6 and 16.7: parallel
 * inside a group, serial across groups). */
static void start_group(struct pxreq *r)
{
	struct le *le = list_head(&r->targets);
	uint32_t q;

	if (!le || !r->p)
		return;
	q = ((struct target *)le->data)->q;
	r->group++;
	while ((le = list_head(&r->targets))) {
		struct target *t = le->data;

		if (t->q != q)
			break;
		branch_start(r, t);
		mem_deref(t);
	}
	if (r->p->cf.serial_ms && list_head(&r->targets))
		tmr_start(&r->tmr_serial, sip_tsxl_tmrl(r->p->tl),
		          r->p->cf.serial_ms, serial_h, r);
}

/* serial_ms: the current group had its time; CANCEL it and go on. */
static void serial_h(void *arg)
{
	struct pxreq *r = arg;

	if (r->stop || r->final_sent)
		return;
	mem_ref(r);
	log_info(&r->lctx, "no answer from q group %u, trying the next",
	         r->group);
	LIST_FOREACH(&r->branches, le) {
		struct branch *b = le->data;

		if (b->group == r->group)
			cancel_branch(b, NULL);
	}
	start_group(r);
	check(r);
	mem_deref(r);
}

/* 16.7 step 6: 6xx first, then the lowest class; in 4xx the answers that
 * let the caller retry (401, 407, 415, 420, 484) first. */
static int rank(uint16_t c)
{
	if (c >= 600)
		return 0;
	if (c >= 400 && c < 500)
		return (c == 401 || c == 407 || c == 415 || c == 420 ||
		        c == 484)
		           ? 40
		           : 41;
	if (c == 503)
		return 51;
	return (c / 100) * 10;
}

static void send_final(struct pxreq *r, const struct branch *best,
                       uint16_t code)
{
	uint16_t out = code == 503 ? 500 : code;
	struct buf *mb;
	int err;

	if (r->final_sent)
		return;
	if (!best || !best->resp || best->scode != code) {
		proxy_pxreq_reply(r, out, NULL, NULL);
		return;
	}
	if (proxy_pxreq_final_hook(r, out, best->resp)) {
		r->final_sent = true;
		return;
	}
	err = proxy_resp_encode(
	    &mb, best->resp, out, out != code ? sip_reason(out) : NULL,
	    (code == 401 || code == 407) ? &r->branches : NULL);
	if (!err) {
		err = sip_stsx_reply(r->st, mb);
		mem_deref(mb);
	}
	if (err) {
		log_warn(&r->lctx, "sending %u upstream failed: %s", out,
		         err_str(err));
		proxy_pxreq_reply(r, out, NULL, NULL);
	}
	r->final_sent = true;
	log_info(&r->lctx, "final %u upstream", out);
}

static void send_best(struct pxreq *r)
{
	const struct branch *best = NULL;
	uint16_t code = 0;

	LIST_FOREACH(&r->branches, le) {
		const struct branch *b = le->data;
		uint16_t c = b->scode ? b->scode : 487;

		if (!code || rank(c) < rank(code)) {
			best = b;
			code = c;
		}
	}
	if (!code) {
		code = r->stop ? 487 : 500;
		best = NULL;
	}
	send_final(r, best, code);
}

static void check(struct pxreq *r)
{
	if (r->ended)
		return;
	if (!r->final_sent) {
		for (;;) {
			LIST_FOREACH(&r->branches, le) {
				if (!branch_done(le->data))
					return;
			}
			if (r->stop || !list_head(&r->targets))
				break;
			tmr_cancel(&r->tmr_serial);
			start_group(r);
		}
		send_best(r);
	}
	maybe_end(r);
}

/* Forward to the targets in r->targets (q descending). */
void proxy_fork_start(struct pxreq *r)
{
	mem_ref(r);
	start_group(r);
	check(r);
	mem_deref(r);
}

/* CANCEL from upstream (16.10), or the server giving up. */
void proxy_pxreq_cancel(struct pxreq *r, const char *reason)
{
	mem_ref(r);
	if (!r->final_sent) {
		r->stop = true;
		list_flush(&r->targets);
		tmr_cancel(&r->tmr_serial);
		LIST_FOREACH(&r->branches, le)
			cancel_branch(le->data, reason);
		if (!list_head(&r->branches))
			proxy_pxreq_reply(r, 487, NULL, NULL);
	}
	check(r);
	mem_deref(r);
}
