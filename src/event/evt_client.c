/* event/evt_client.c - impd as a subscriber (RFC 6665 4.1, 4.1.2, 4.1.3,
 * 4.4.1; RFC 3261 12.1.2 dialogs of a UAC) */

/*
 * One csub is one dialog:
 * - The SUBSCRIBE goes to params->dst with params->route; later ones go
 *   inside the dialog (Request-URI: the remote target; Route: the route
 *   set; next hop: the first route, else the remote target when it needs
 *   no DNS, else params->dst).
 * - The first 2xx or NOTIFY creates the dialog: a NOTIFY may come before
 *   the 200 (its Record-Route in order is the route set, its Contact the
 *   remote target; a 2xx gives the Record-Route reversed). NOTIFYs from
 *   other forks (another From tag) get 481, which ends those.
 * - Refresh at 90% of the granted time: the 200's Expires, or a smaller
 *   expires= of a NOTIFY's Subscription-State.
 * - 423 is retried once with the Min-Expires value.
 * - A failed refresh: 481 ends the subscription; other failures keep it
 *   until it runs out (RFC 6665 4.1.2.2), then it ends (408).
 * - After a 2xx, no NOTIFY within 64*T1 ends it (408, RFC 6665 4.1.2.4).
 * - evt_csub_end sends Expires: 0 (once a SUBSCRIBE in flight has its
 *   answer); the terminated NOTIFY, or 64*T1 without one, ends it.
 * - Releasing a csub that still runs sends that unsubscribe and forgets
 *   the dialog: the final NOTIFY then gets 481.
 * - A NOTIFY matching no csub gets 481 (evt_handle_notify).
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

enum end_kind {
	END_NONE = 0,
	END_WAIT_NOTIFY, /* 64*T1 after a 2xx without NOTIFY */
	END_RUNOUT,      /* a refresh failed: the subscription runs out */
};

struct evt_csub {
	struct le he;  /* in evt.csubs until over */
	struct evt *e; /* reference */
	char *pkg, *ruri, *to, *from, *route, *accept, *extra;
	struct sip_dst dst;
	char callid[48];
	char ltag[24];
	char *rtag;    /* once the dialog exists */
	char *rtarget; /* remote target */
	char *rset;    /* route set, values joined with "," in send order */
	uint32_t cseq;
	uint32_t rcseq;
	uint32_t want;       /* Expires for refreshes */
	uint32_t sent_exp;   /* Expires of the SUBSCRIBE in flight */
	uint32_t resend_exp; /* a SUBSCRIBE waiting for the one in flight */
	uint64_t end_ms;     /* when the subscription runs out, 0: unknown */
	enum evt_state state;
	enum end_kind end_kind;
	struct sip_ctsx *ct;
	struct tmr tmr_ref;
	struct tmr tmr_end;
	bool dialog;
	bool established; /* 2xx or NOTIFY seen */
	bool got_notify;
	bool retried_423;
	bool ending;
	bool unsub_sent;
	bool resend;
	bool over;
	evt_csub_h *h;
	void *arg;
	struct log_ctx lctx;
};

static int send_sub(struct evt_csub *cs, uint32_t expires);

/* Next hop and Request-URI of the next SUBSCRIBE. */
static void next_hop(const struct evt_csub *cs, struct sip_dst *dst)
{
	struct pl rest, v;
	struct sip_addr a;
	struct sip_uri u;
	struct parse_err pe;

	*dst = cs->dst;
	if (!cs->dialog)
		return;
	pl_set_str(&rest, cs->rset ? cs->rset : "");
	if (evt_list_next(&rest, &v)) {
		if (!sip_addr_decode(&a, &v, &pe) && !sip_uri_dst(dst, &a.uri))
			return;
		*dst = cs->dst;
		return;
	}
	pl_set_str(&v, cs->rtarget);
	if (!sip_uri_decode(&u, &v, &pe) && !sip_uri_dst(dst, &u))
		return;
	*dst = cs->dst;
}

static int sub_encode(struct buf **mbp, struct evt_csub *cs,
                      const struct sip_dst *dst, uint32_t expires)
{
	struct evt *e = cs->e;
	const struct sip_tp_ops *ops;
	void *ctx = NULL;
	struct sa local;
	char la[64], branch[48], lc[160];
	struct pl rest, v;
	struct buf *mb;
	int err;

	ops = sip_tsxl_tp_ops(e->tl, &ctx);
	if (!ops || !ops->laddr)
		return ENOTSUP;
	err = ops->laddr(ctx, dst->tp, &dst->addr, &local);
	if (!err && sa_print(&local, la, sizeof(la)))
		err = EINVAL;
	if (!err)
		err = evt_local_contact(e, dst, lc, sizeof(lc));
	if (err)
		return err;
	sip_tsxl_branch(e->tl, branch, sizeof(branch));
	err = buf_alloc(&mb, 768);
	if (err)
		return err;
	err = buf_printf(mb,
	                 "SUBSCRIBE %s SIP/2.0\r\n"
	                 "Via: SIP/2.0/%s %s;branch=%s;rport\r\n"
	                 "Max-Forwards: 70\r\n",
	                 cs->dialog ? cs->rtarget : cs->ruri,
	                 sip_transp_name(dst->tp), la, branch);
	if (cs->dialog) {
		pl_set_str(&rest, cs->rset ? cs->rset : "");
		while (!err && evt_list_next(&rest, &v))
			err = buf_printf(mb, "Route: %.*s\r\n", PL_PRINT(&v));
	} else if (!err && cs->route) {
		err = buf_printf(mb, "Route: %s\r\n", cs->route);
	}
	if (!err)
		err = buf_printf(mb,
		                 "From: <%s>;tag=%s\r\n"
		                 "To: <%s>%s%s\r\n"
		                 "Call-ID: %s\r\n"
		                 "CSeq: %u SUBSCRIBE\r\n"
		                 "Contact: <%s>\r\n"
		                 "Event: %s\r\n"
		                 "Expires: %u\r\n",
		                 cs->from, cs->ltag, cs->to,
		                 cs->dialog && cs->rtag[0] ? ";tag=" : "",
		                 cs->dialog ? cs->rtag : "", cs->callid,
		                 cs->cseq + 1, lc, cs->pkg, expires);
	if (!err && cs->accept)
		err = buf_printf(mb, "Accept: %s\r\n", cs->accept);
	if (!err && cs->extra)
		err = buf_write_str(mb, cs->extra);
	if (!err && e->server_name)
		err = buf_printf(mb, "User-Agent: %s\r\n", e->server_name);
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

/* The subscription is over: h hears it once. */
static void finish(struct evt_csub *cs, enum evt_reason reason,
                   uint32_t retry_after, const struct sip_msg *notify,
                   uint16_t scode)
{
	if (cs->over)
		return;
	cs->over = true;
	cs->state = EVT_TERMINATED;
	tmr_cancel(&cs->tmr_ref);
	tmr_cancel(&cs->tmr_end);
	cs->ct = sip_ctsx_release(cs->ct);
	hash_unlink(&cs->he);
	log_info(&cs->lctx, "subscription to %s (%s) over: %s%s%u", cs->ruri,
	         cs->pkg, reason ? evt_reason_name(reason) : "",
	         reason ? " " : "", scode);
	if (cs->h)
		cs->h(cs, EVT_TERMINATED, reason, retry_after, notify, scode,
		      cs->arg);
}

static void end_h(void *arg)
{
	struct evt_csub *cs = arg;

	mem_ref(cs);
	log_notice(&cs->lctx, "subscription to %s: %s", cs->ruri,
	           cs->end_kind == END_RUNOUT ? "ran out" : "no NOTIFY");
	cs->end_kind = END_NONE;
	finish(cs, EVT_REASON_NONE, 0, NULL, 408);
	mem_deref(cs);
}

static void end_start(struct evt_csub *cs, enum end_kind k, uint64_t ms)
{
	cs->end_kind = k;
	if (tmr_start(&cs->tmr_end, cs->e->tmrl, ms, end_h, cs))
		log_warn(&cs->lctx, "no timer (out of memory)");
}

static uint64_t t64(const struct evt_csub *cs)
{
	const struct sip_timers *t = sip_tsxl_timers(cs->e->tl);

	return 64ull * (t && t->t1 ? t->t1 : 500);
}

static void ref_h(void *arg)
{
	struct evt_csub *cs = arg;
	int err;

	if (cs->over || cs->ending)
		return;
	err = send_sub(cs, cs->want);
	if (err) {
		uint64_t now = evt_now(cs->e);

		log_warn(&cs->lctx, "refresh of %s: %s", cs->ruri,
		         err_str(err));
		end_start(cs, END_RUNOUT,
		          cs->end_ms > now ? cs->end_ms - now : 0);
	}
}

/* Refresh at 90% of left_ms from now. */
static void refresh_at(struct evt_csub *cs, uint64_t left_ms)
{
	cs->end_ms = evt_now(cs->e) + left_ms;
	if (cs->ending || !cs->want)
		return;
	if (tmr_start(&cs->tmr_ref, cs->e->tmrl, left_ms * 9 / 10, ref_h, cs))
		log_warn(&cs->lctx, "no refresh timer (out of memory)");
}

/* Route set from the Record-Route values of msg, in order or reversed. */
static int rset_take(struct evt_csub *cs, const struct sip_msg *msg,
                     bool reverse)
{
	struct buf *b = NULL;
	struct pl pl;
	char *s = NULL;
	int err;

	if (!sip_msg_hdr(msg, SIP_HDR_RECORD_ROUTE))
		return 0;
	err = buf_alloc(&b, 256);
	if (err)
		return err;
	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_RECORD_ROUTE);
	     h && !err; h = sip_msg_hdr_next(msg, h)) {
		if (!reverse) {
			if (b->end)
				err = buf_write_u8(b, ',');
			if (!err)
				err = buf_write_pl(b, &h->val);
			continue;
		}
		/* prepend */
		size_t n = h->val.l + (b->end ? 1 : 0);

		err = buf_resize(b, b->end + n + 1);
		if (err)
			break;
		memmove(b->b + n, b->b, b->end);
		memcpy(b->b, h->val.p, h->val.l);
		if (b->end)
			b->b[h->val.l] = ',';
		b->end += n;
		b->pos = b->end;
	}
	if (!err) {
		pl = buf_pl(b);
		err = pl_strdup(&s, &pl);
	}
	mem_deref(b);
	if (err)
		return err;
	mem_deref(cs->rset);
	cs->rset = s;
	return 0;
}

/* Remote target from the Contact of msg (kept when there is none). */
static int target_take(struct evt_csub *cs, const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	struct sip_contact c;
	struct parse_err pe;
	char *s;
	int err;

	if (!h || sip_contact_decode(&c, &h->val, &pe) || c.star ||
	    !c.addr.uri.is_sip)
		return 0;
	err = pl_strdup(&s, &c.addr.auri);
	if (err)
		return err;
	mem_deref(cs->rtarget);
	cs->rtarget = s;
	return 0;
}

/* The dialog comes into being (2xx or NOTIFY). */
static int dialog_make(struct evt_csub *cs, const struct sip_msg *msg,
                       const struct pl *rtag, bool from_response)
{
	char *t = NULL;
	int err;

	err = pl_strdup(&t, rtag);
	if (!err && !cs->rtarget)
		err = mem_strdup(&cs->rtarget, cs->ruri);
	if (!err)
		err = target_take(cs, msg);
	if (!err)
		err = rset_take(cs, msg, from_response);
	if (err) {
		mem_deref(t);
		return err;
	}
	mem_deref(cs->rtag);
	cs->rtag = t;
	cs->dialog = true;
	return 0;
}

static void ok_resp(struct evt_csub *cs, const struct sip_msg *rsp,
                    uint32_t asked)
{
	uint32_t granted;
	int err;

	if (!cs->dialog) {
		err = dialog_make(cs, rsp, &rsp->to.tag, true);
		if (err) {
			log_warn(&cs->lctx, "dialog of %s: %s", cs->ruri,
			         err_str(err));
			finish(cs, EVT_REASON_NONE, 0, NULL, 500);
			return;
		}
	}
	cs->established = true;
	granted = rsp->expires >= 0
	              ? (uint32_t)MIN(rsp->expires, (int64_t)UINT32_MAX)
	              : asked;
	if (!asked || !granted) {
		/* fetch or unsubscribe: the terminated NOTIFY comes next */
		tmr_cancel(&cs->tmr_ref);
		end_start(cs, END_WAIT_NOTIFY, t64(cs));
		return;
	}
	log_debug(&cs->lctx, "subscription to %s: %u s", cs->ruri, granted);
	refresh_at(cs, (uint64_t)granted * 1000);
	if (!cs->got_notify) {
		end_start(cs, END_WAIT_NOTIFY, t64(cs));
	} else {
		tmr_cancel(&cs->tmr_end);
		cs->end_kind = END_NONE;
	}
}

static void resp_h(int err, const struct sip_msg *rsp, void *arg)
{
	struct evt_csub *cs = arg;
	uint16_t sc = err ? 408 : rsp->scode;
	uint32_t asked = cs->sent_exp;

	if (!err && sc < 200)
		return;
	cs->ct = sip_ctsx_release(cs->ct);
	mem_ref(cs);
	if (cs->over)
		goto out;
	if (sc < 300) {
		ok_resp(cs, rsp, asked);
	} else if (sc == 423 && !cs->retried_423 && asked) {
		const struct sip_hdr *h = sip_msg_hdr(rsp, SIP_HDR_MIN_EXPIRES);
		uint32_t min = 0;

		cs->retried_423 = true;
		if (!h || pl_u32(&h->val, &min) || min <= asked) {
			finish(cs, EVT_REASON_NONE, 0, NULL, sc);
			goto out;
		}
		log_info(&cs->lctx, "subscription to %s: again with %u s",
		         cs->ruri, min);
		cs->want = min;
		err = send_sub(cs, min);
		if (err)
			finish(cs, EVT_REASON_NONE, 0, NULL, 500);
	} else if (!cs->established || sc == 481 || !asked) {
		finish(cs, EVT_REASON_NONE, 0, NULL, sc);
	} else {
		uint64_t now = evt_now(cs->e);

		log_notice(&cs->lctx, "refresh of %s failed: %u", cs->ruri, sc);
		end_start(cs, END_RUNOUT,
		          cs->end_ms > now ? cs->end_ms - now : 0);
	}
	if (!cs->over && cs->resend && !cs->ct) {
		cs->resend = false;
		err = send_sub(cs, cs->resend_exp);
		if (err)
			log_warn(&cs->lctx, "SUBSCRIBE to %s: %s", cs->ruri,
			         err_str(err));
	}
out:
	mem_deref(cs);
}

static int send_sub(struct evt_csub *cs, uint32_t expires)
{
	struct sip_dst dst;
	struct buf *mb = NULL;
	int err;

	if (cs->ct) {
		cs->resend = true;
		cs->resend_exp = expires;
		return 0;
	}
	next_hop(cs, &dst);
	err = sub_encode(&mb, cs, &dst, expires);
	if (!err)
		err = sip_ctsx_alloc(&cs->ct, cs->e->tl, &dst, mb, resp_h, cs);
	mem_deref(mb);
	if (err)
		return err;
	cs->cseq++;
	cs->sent_exp = expires;
	if (!expires)
		cs->unsub_sent = true;
	return 0;
}

static void csub_destroy(void *data)
{
	struct evt_csub *cs = data;

	tmr_cancel(&cs->tmr_ref);
	tmr_cancel(&cs->tmr_end);
	hash_unlink(&cs->he);
	cs->ct = sip_ctsx_release(cs->ct);
	if (!cs->over && cs->established && !cs->unsub_sent) {
		/* RFC 6665 4.1.2.3: unsubscribe; nobody waits for the answer */
		struct sip_ctsx *ct = NULL;
		struct sip_dst dst;
		struct buf *mb = NULL;

		next_hop(cs, &dst);
		if (!sub_encode(&mb, cs, &dst, 0) &&
		    !sip_ctsx_alloc(&ct, cs->e->tl, &dst, mb, NULL, NULL))
			sip_ctsx_release(ct);
		else
			log_warn(&cs->lctx, "cannot unsubscribe from %s",
			         cs->ruri);
		mem_deref(mb);
	}
	mem_deref(cs->pkg);
	mem_deref(cs->ruri);
	mem_deref(cs->to);
	mem_deref(cs->from);
	mem_deref(cs->route);
	mem_deref(cs->accept);
	mem_deref(cs->extra);
	mem_deref(cs->rtag);
	mem_deref(cs->rtarget);
	mem_deref(cs->rset);
	mem_deref(cs->e);
}

static int dup_opt(char **dst, const char *s)
{
	return s && *s ? mem_strdup(dst, s) : 0;
}

int evt_csub_alloc(struct evt_csub **csp, struct evt *e,
                   const struct evt_csub_params *p, evt_csub_h *h, void *arg)
{
	struct evt_csub *cs;
	char tok[25];
	int err;

	if (!csp || !e || !p || !p->pkg || !*p->pkg || !p->ruri || !p->from ||
	    !p->dst || p->dst->tp == SIP_TRANSP_NONE || !h)
		return EINVAL;
	cs = mem_zalloc(sizeof(*cs), csub_destroy);
	if (!cs)
		return ENOMEM;
	tmr_init(&cs->tmr_ref);
	tmr_init(&cs->tmr_end);
	cs->e = mem_ref(e);
	cs->dst = *p->dst;
	cs->h = h;
	cs->arg = arg;
	cs->want = p->expires;
	err = mem_strdup(&cs->pkg, p->pkg);
	if (!err)
		err = mem_strdup(&cs->ruri, p->ruri);
	if (!err)
		err = mem_strdup(&cs->to, p->to ? p->to : p->ruri);
	if (!err)
		err = mem_strdup(&cs->from, p->from);
	if (!err)
		err = dup_opt(&cs->route, p->route);
	if (!err)
		err = dup_opt(&cs->accept, p->accept);
	if (!err)
		err = dup_opt(&cs->extra, p->extra_hdrs);
	if (err)
		goto out;
	rand_token(tok, 24);
	snprintf(cs->callid, sizeof(cs->callid), "%s@impd", tok);
	rand_token(cs->ltag, 16);
	evt_lctx(&cs->lctx, cs->callid, &cs->dst);
	err = send_sub(cs, p->expires);
	if (err)
		goto out;
	hash_append(e->csubs, str_hash_ci(cs->callid), &cs->he, cs);
	log_debug(&cs->lctx, "SUBSCRIBE %s to %s, %u s", cs->pkg, cs->ruri,
	          p->expires);
out:
	if (err)
		mem_deref(cs);
	else
		*csp = cs;
	return err;
}

int evt_csub_end(struct evt_csub *cs)
{
	int err;

	if (!cs)
		return EINVAL;
	if (cs->over || cs->ending)
		return 0;
	cs->ending = true;
	tmr_cancel(&cs->tmr_ref);
	if (cs->ct) {
		cs->resend = true;
		cs->resend_exp = 0;
		return 0;
	}
	err = send_sub(cs, 0);
	if (err)
		cs->ending = false;
	return err;
}

enum evt_state evt_csub_state(const struct evt_csub *cs)
{
	return cs ? cs->state : EVT_TERMINATED;
}

/* --- NOTIFY --- */

static enum evt_reason reason_decode(const struct pl *v)
{
	static const enum evt_reason all[] = {
	    EVT_REASON_DEACTIVATED, EVT_REASON_PROBATION, EVT_REASON_REJECTED,
	    EVT_REASON_TIMEOUT,     EVT_REASON_GIVEUP,    EVT_REASON_NORESOURCE,
	    EVT_REASON_INVARIANT,
	};

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (!pl_strcasecmp(v, evt_reason_name(all[i])))
			return all[i];
	return EVT_REASON_NONE;
}

struct substate {
	enum evt_state state;
	enum evt_reason reason;
	uint32_t retry_after;
	int64_t expires; /* -1: absent */
};

/* Subscription-State (RFC 6665 8.2.3). EBADMSG. */
static int substate_decode(struct substate *ss, const struct pl *val)
{
	struct pl v = *val, params = PL_INIT, x;
	const char *semi = pl_strchr(&v, ';');
	uint32_t n;

	memset(ss, 0, sizeof(*ss));
	ss->expires = -1;
	if (semi) {
		params.p = semi;
		params.l = (size_t)(v.p + v.l - semi);
		v.l = (size_t)(semi - v.p);
	}
	pl_trim(&v);
	if (!pl_strcasecmp(&v, "active"))
		ss->state = EVT_ACTIVE;
	else if (!pl_strcasecmp(&v, "terminated"))
		ss->state = EVT_TERMINATED;
	else if (v.l)
		ss->state = EVT_PENDING; /* pending, or an extension value */
	else
		return EBADMSG;
	if (!sip_param_get(&params, "reason", &x))
		ss->reason = reason_decode(&x);
	if (!sip_param_get(&params, "expires", &x)) {
		if (pl_u32(&x, &n))
			return EBADMSG;
		ss->expires = n;
	}
	if (!sip_param_get(&params, "retry-after", &x)) {
		if (pl_u32(&x, &n))
			return EBADMSG;
		ss->retry_after = n;
	}
	return 0;
}

static void answer(struct sip_stsx *st, uint16_t scode, const char *reason)
{
	int err = sip_stsx_replyf(st, scode, reason, "%s", "");

	if (err)
		log_warn(NULL, "sending %u: %s", scode, err_str(err));
	mem_ref(st);
	sip_stsx_release(st);
}

static struct evt_csub *csub_find(const struct evt *e,
                                  const struct sip_msg *msg,
                                  const struct sip_event *ev)
{
	LIST_FOREACH(hash_list(e->csubs, pl_hash_ci(&msg->callid)), le) {
		struct evt_csub *cs = le->data;

		if (!pl_strcmp(&msg->callid, cs->callid) &&
		    !pl_strcmp(&msg->to.tag, cs->ltag) &&
		    !pl_strcasecmp(&ev->package, cs->pkg) && !ev->id.l)
			return cs;
	}
	return NULL;
}

bool evt_client_notify(struct evt *e, struct sip_stsx *st)
{
	const struct sip_msg *msg = sip_stsx_req(st);
	const struct sip_hdr *h;
	struct sip_event ev;
	struct parse_err pe;
	struct substate ss;
	struct evt_csub *cs;
	int err;

	h = sip_msg_hdr(msg, SIP_HDR_EVENT);
	if (!h && e->cf.lenient) {
		log_notice(NULL, "NOTIFY without Event taken as presence "
		                 "(lenient)");
		memset(&ev, 0, sizeof(ev));
		pl_set_str(&ev.package, "presence");
	} else if (!h || sip_event_decode(&ev, &h->val, &pe)) {
		return false;
	}
	cs = csub_find(e, msg, &ev);
	if (!cs || cs->over)
		return false;
	if (cs->dialog && pl_strcmp(&msg->from.tag, cs->rtag)) {
		log_info(&cs->lctx, "NOTIFY from another fork of %s: 481",
		         cs->ruri);
		return false;
	}
	if (cs->got_notify && msg->cseq.num <= cs->rcseq) {
		answer(st, 500, "CSeq out of order");
		return true;
	}
	h = sip_msg_hdr(msg, SIP_HDR_SUBSCRIPTION_STATE);
	if (!h && e->cf.lenient) {
		struct pl active = PL("active");

		log_notice(&cs->lctx, "NOTIFY without Subscription-State "
		                      "taken as active (lenient)");
		(void)substate_decode(&ss, &active);
	} else if (!h || substate_decode(&ss, &h->val)) {
		answer(st, 400,
		       h ? "Bad Subscription-State"
		         : "Missing Subscription-State header");
		return true;
	}
	err = cs->dialog ? target_take(cs, msg)
	                 : dialog_make(cs, msg, &msg->from.tag, false);
	if (err) {
		answer(st, 500, NULL);
		return true;
	}
	cs->rcseq = msg->cseq.num;
	cs->got_notify = true;
	cs->established = true;
	answer(st, 200, NULL);

	mem_ref(cs);
	if (ss.state == EVT_TERMINATED) {
		finish(cs, ss.reason, ss.retry_after, msg, 0);
		goto out;
	}
	cs->state = ss.state;
	if (cs->end_kind == END_WAIT_NOTIFY) {
		tmr_cancel(&cs->tmr_end);
		cs->end_kind = END_NONE;
	}
	if (ss.expires >= 0 && !cs->ending && cs->want) {
		uint64_t left = (uint64_t)ss.expires * 1000, now = evt_now(e);

		if (!cs->end_ms || now + left < cs->end_ms)
			refresh_at(cs, left);
	}
	if (cs->h)
		cs->h(cs, ss.state, ss.reason, ss.retry_after, msg, 0, cs->arg);
out:
	mem_deref(cs);
	return true;
}
