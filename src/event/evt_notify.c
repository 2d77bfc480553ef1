/* event/evt_notify.c - the notifier's NOTIFY requests (RFC 6665 4.2.2, 4.1.3
 * Subscription-State; RFC 6446 throttle; RFC 3261 12.2.1.1 route set) */

/*
 * Flow control:
 * - One NOTIFY transaction per subscription at a time. Changes meanwhile
 *   mark the subscription dirty; the next NOTIFY is built when it leaves
 *   (so it carries the latest state) once the previous one has its final
 *   response, and no sooner than max(notify_interval_ms, RFC 6446
 *   throttle) after the previous one left: a burst of changes makes one
 *   NOTIFY.
 * - The first NOTIFY, the one after a refresh and the final (terminated)
 *   one are urgent: they skip the pacing, but still wait for the
 *   transaction in flight and for a retry pause.
 * - At most EVT_MAX_INFLIGHT (512) NOTIFY transactions run across all
 *   subscriptions; the others wait in one FIFO queue and get their body
 *   built when their turn comes, so thousands of watchers of one resource
 *   do not make a storm.
 *
 * Retry policy, by the outcome of a NOTIFY:
 * - 2xx: fine.
 * - 481: the subscriber knows no such subscription: it ends at once,
 *   without another NOTIFY (watcher info event "timeout").
 * - Timeout (Timer F: 64*T1), transport error, 408, 5xx, or a NOTIFY that
 *   could not be built or handed to the transport: the subscription
 *   stays; the current full state is sent again after 1 s, then 2 s, 4 s
 *   ... (doubling), notify_retries times at most; the failure after that
 *   ends the subscription with reason giveup (watcher info event
 *   "giveup"). A success resets the count.
 * - 3xx, any other 4xx, 6xx: the subscriber refuses our NOTIFYs: the
 *   subscription ends (watcher info event "timeout").
 * - The final (terminated) NOTIFY is never retried: whatever its outcome,
 *   the subscription ends after it.
 *
 * Bodies: an active subscription's NOTIFY carries the package's body
 * (full or partial); the final NOTIFY of a subscription that was active
 * and ends by timeout (expiry, unsubscribe, fetch) carries the full
 * state; pending NOTIFYs and other terminated ones carry none, so nothing
 * leaks before authorization (REQUIREMENTS D-06).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LOG_MODULE "evt"

#include "../base/buf.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "../sip/tsx.h"
#include "evt_int.h"

static void ntf_send(struct evt_sub *s);

static uint32_t interval_ms(const struct evt_sub *s)
{
	return MAX(s->e->cf.notify_interval_ms, s->throttle_ms);
}

void evt_ntf_drop(struct evt_sub *s)
{
	if (!s->ct)
		return;
	s->ct = sip_ctsx_release(s->ct);
	if (s->e && s->e->inflight)
		s->e->inflight--;
}

void evt_ntf_pump(struct evt *e)
{
	if (!e || e->closing)
		return;
	while (e->inflight < EVT_MAX_INFLIGHT && e->waitq.head) {
		struct evt_sub *s = e->waitq.head->data;

		list_unlink(&s->qle);
		s->queued = false;
		ntf_send(s);
	}
}

static void gate(struct evt_sub *s)
{
	struct evt *e = s->e;

	if (e->inflight < EVT_MAX_INFLIGHT && !e->waitq.head) {
		ntf_send(s);
		return;
	}
	list_append(&e->waitq, &s->qle, s);
	s->queued = true;
}

static void ntf_tmr_h(void *arg)
{
	struct evt_sub *s = arg;

	if (s->giveup) {
		s->giveup = false;
		evt_sub_end(s, EVT_REASON_GIVEUP);
		return;
	}
	s->backoff = false;
	if (s->internal)
		evt_isub_deliver(s);
	else
		evt_ntf_kick(s);
}

void evt_ntf_kick(struct evt_sub *s)
{
	uint64_t now, due;

	if (!s->e || s->ended || !s->answered || !s->dirty || s->ct ||
	    s->queued || s->final_sent)
		return;
	if (s->held && s->state != EVT_TERMINATED)
		return;
	if (s->internal) {
		/* no pacing, no transaction: a zero timer coalesces what
		 * one pass of the loop changes */
		if (!tmr_isrunning(&s->tmr_ntf))
			tmr_start(&s->tmr_ntf, s->e->tmrl, 0, ntf_tmr_h, s);
		return;
	}
	if (tmr_isrunning(&s->tmr_ntf)) {
		if (s->backoff || s->giveup || !s->urgent)
			return;
		tmr_cancel(&s->tmr_ntf); /* pacing does not hold urgent ones */
	}
	if (!s->urgent && s->sent_any) {
		now = evt_now(s->e);
		due = s->last_ms + interval_ms(s);
		if (now < due && !tmr_start(&s->tmr_ntf, s->e->tmrl, due - now,
		                            ntf_tmr_h, s))
			return;
	}
	gate(s);
}

void evt_sub_hold(struct evt_sub *s, bool on)
{
	if (!s || s->held == on)
		return;
	s->held = on;
	if (!on)
		evt_ntf_kick(s);
}

void evt_sub_notify(struct evt_sub *s, bool full)
{
	if (!s || !s->e || s->ended || s->ending || !s->decided ||
	    s->state != EVT_ACTIVE)
		return;
	s->dirty = true;
	if (full)
		s->full = true;
	evt_ntf_kick(s);
}

/* A NOTIFY failed in a way worth retrying (see the policy above). */
static void ntf_failed(struct evt_sub *s, const char *why)
{
	struct evt *e = s->e;
	uint64_t delay;

	s->retries++;
	if (s->ending || s->retries > e->cf.notify_retries) {
		log_notice(&s->lctx, "NOTIFY to %s failed (%s): giving up",
		           s->watcher, why);
		s->giveup = true;
		s->backoff = false;
		/* ended from the timer: callers may be in the middle of
		 * walking subscriptions */
		if (tmr_start(&s->tmr_ntf, e->tmrl, 0, ntf_tmr_h, s)) {
			s->giveup = false;
			evt_sub_end(s, EVT_REASON_GIVEUP);
		}
		return;
	}
	delay = (uint64_t)EVT_RETRY_BASE_MS << MIN(s->retries - 1, 16u);
	s->dirty = true;
	s->full = true;
	s->backoff = true;
	log_notice(&s->lctx, "NOTIFY to %s failed (%s): again in %llu ms",
	           s->watcher, why, (unsigned long long)delay);
	if (tmr_start(&s->tmr_ntf, e->tmrl, delay, ntf_tmr_h, s))
		s->backoff = false; /* the next change sends it */
}

static void resp_h(int err, const struct sip_msg *rsp, void *arg)
{
	struct evt_sub *s = arg;
	struct evt *e = s->e;
	uint16_t sc = err ? 0 : rsp->scode;
	char why[48];

	if (!err && sc < 200)
		return;
	mem_ref(s);
	evt_ntf_drop(s);
	if (!err && sc < 300) {
		s->retries = 0;
		if (s->final_sent)
			evt_sub_end(s, s->reason);
		else
			evt_ntf_kick(s);
	} else if (!err && sc == 481) {
		log_info(&s->lctx, "NOTIFY to %s: 481: subscription gone",
		         s->watcher);
		evt_sub_end(s, EVT_REASON_TIMEOUT);
	} else if (err || sc == 408 || (sc >= 500 && sc < 600)) {
		if (err)
			snprintf(why, sizeof(why), "%s", err_str(err));
		else
			snprintf(why, sizeof(why), "%u", sc);
		if (s->final_sent)
			evt_sub_end(s, s->reason);
		else
			ntf_failed(s, why);
	} else {
		log_notice(&s->lctx, "NOTIFY to %s refused: %u", s->watcher,
		           sc);
		evt_sub_end(s, EVT_REASON_TIMEOUT);
	}
	evt_ntf_pump(e);
	mem_deref(s);
}

static int print_state(struct buf *mb, const struct evt_sub *s)
{
	uint32_t left = evt_sub_expires_in(s);
	int err;

	switch (s->state) {
	case EVT_ACTIVE:
	case EVT_PENDING:
		return buf_printf(mb, "Subscription-State: %s;expires=%u\r\n",
		                  evt_state_name(s->state), left);
	default:
		break;
	}
	err = buf_write_str(mb, "Subscription-State: terminated");
	if (!err && s->reason)
		err = buf_printf(mb, ";reason=%s", evt_reason_name(s->reason));
	if (!err && s->retry_after)
		err = buf_printf(mb, ";retry-after=%u", s->retry_after);
	return err ? err : buf_write_str(mb, "\r\n");
}

/* The NOTIFY as it goes on the wire (RFC 6665 8.1.2, RFC 3261 12.2.1.1). */
static int ntf_encode(struct buf **mbp, struct evt_sub *s, uint32_t cseq,
                      const struct buf *body, const char *ctype)
{
	struct evt *e = s->e;
	const struct sip_tp_ops *ops;
	void *ctx = NULL;
	struct sip_dst dst;
	struct sa local;
	char la[64], branch[48];
	struct pl rest, first = PL_INIT, v;
	bool strict = false;
	struct buf *mb;
	size_t blen = body ? body->end : 0;
	int err;

	ops = sip_tsxl_tp_ops(e->tl, &ctx);
	if (!ops || !ops->laddr)
		return ENOTSUP;
	evt_hop_get(&s->hop, &dst);
	err = ops->laddr(ctx, dst.tp, &dst.addr, &local);
	if (err)
		return err;
	if (sa_print(&local, la, sizeof(la)))
		return EINVAL;
	sip_tsxl_branch(e->tl, branch, sizeof(branch));

	pl_set_str(&rest, s->route);
	if (evt_list_next(&rest, &first)) {
		struct sip_addr a;
		struct parse_err pe;

		if (!sip_addr_decode(&a, &first, &pe) && !a.uri.lr) {
			strict = true; /* a strict router: RFC 3261 12.2.1.1 */
			first = a.auri;
		}
	}

	err = buf_alloc(&mb, 768 + blen);
	if (err)
		return err;
	if (strict)
		err =
		    buf_printf(mb, "NOTIFY %.*s SIP/2.0\r\n", PL_PRINT(&first));
	else
		err = buf_printf(mb, "NOTIFY %s SIP/2.0\r\n", s->contact);
	if (!err)
		err = buf_printf(mb,
		                 "Via: SIP/2.0/%s %s;branch=%s;rport\r\n"
		                 "Max-Forwards: 70\r\n"
		                 "From: %s;tag=%s\r\n"
		                 "To: %s\r\n"
		                 "Call-ID: %s\r\n"
		                 "CSeq: %u NOTIFY\r\n",
		                 sip_transp_name(dst.tp), la, branch, s->to_hdr,
		                 s->ltag, s->from_hdr, s->callid, cseq);
	pl_set_str(&rest, s->route);
	if (strict)
		(void)evt_list_next(&rest, &v);
	while (!err && evt_list_next(&rest, &v))
		err = buf_printf(mb, "Route: %.*s\r\n", PL_PRINT(&v));
	if (!err && strict)
		err = buf_printf(mb, "Route: <%s>\r\n", s->contact);
	if (!err)
		err = buf_printf(mb, "Contact: <%s>\r\nEvent: %s%s%s\r\n",
		                 s->lcontact, s->pkg->name,
		                 s->event_id[0] ? ";id=" : "", s->event_id);
	if (!err)
		err = print_state(mb, s);
	if (!err && s->pkg->p.notify_hdrs)
		err = buf_write_str(mb, s->pkg->p.notify_hdrs);
	if (!err && e->server_name)
		err = buf_printf(mb, "User-Agent: %s\r\n", e->server_name);
	if (!err && blen)
		err = buf_printf(mb, "Content-Type: %s\r\n", ctype);
	if (!err)
		err = buf_printf(mb, "Content-Length: %zu\r\n\r\n", blen);
	if (!err && blen)
		err = buf_write(mb, body->b, blen);
	if (err) {
		mem_deref(mb);
		return err;
	}
	mb->pos = 0;
	*mbp = mb;
	return 0;
}

bool evt_ntf_has_body(const struct evt_sub *s)
{
	if (s->state == EVT_ACTIVE)
		return true;
	return s->state == EVT_TERMINATED && s->was_active &&
	       (s->reason == EVT_REASON_NONE ||
	        s->reason == EVT_REASON_TIMEOUT);
}

static void ntf_send(struct evt_sub *s)
{
	struct evt *e = s->e;
	struct buf *body = NULL, *mb = NULL;
	char ctype[256];
	const char *why = "";
	bool full;
	uint32_t cseq;
	int err = 0;

	if (!e || s->ended || !s->dirty || s->ct)
		return;
	full = s->full || !s->sent_any || s->state == EVT_TERMINATED;
	cseq = s->lcseq + 1;
	s->lcseq = cseq; /* evt_sub_version() inside pkg->body */
	snprintf(ctype, sizeof(ctype), "%s", s->pkg->p.ctype);
	if (evt_ntf_has_body(s)) {
		mem_ref(s);
		err = s->pkg->p.body(s, full, &body, ctype, sizeof(ctype),
		                     s->pkg->p.arg);
		if (s->ended || !s->e) {
			mem_deref(body);
			mem_deref(s);
			return;
		}
		mem_deref(s);
		if (err)
			why = "no body";
	}
	if (!err) {
		err = ntf_encode(&mb, s, cseq, body, ctype);
		if (!err) {
			struct sip_dst dst;

			evt_hop_get(&s->hop, &dst);
			err =
			    sip_ctsx_alloc(&s->ct, e->tl, &dst, mb, resp_h, s);
		}
	}
	mem_deref(body);
	mem_deref(mb);
	if (err) {
		char w[64];

		snprintf(w, sizeof(w), "%s%s%s", why, *why ? ": " : "",
		         err_str(err));
		ntf_failed(s, w);
		return;
	}
	e->inflight++;
	s->dirty = false;
	s->full = false;
	s->urgent = false;
	s->sent_any = true;
	s->last_ms = evt_now(e);
	if (s->state == EVT_TERMINATED)
		s->final_sent = true;
	log_debug(&s->lctx, "NOTIFY %u to %s: %s%s", cseq, s->watcher,
	          evt_state_name(s->state), full ? " (full)" : "");
	if (s->stored && cseq - s->ckpt >= EVT_CSEQ_CHECKPOINT) {
		s->ckpt = cseq;
		evt_sub_persist(s);
	}
}
