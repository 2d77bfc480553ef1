/* event/evt.c - SIP-specific event notification, notifier side (RFC 6665
 * 3.1, 4.1.1, 4.2.1, 4.2.2; RFC 6446 throttle) */

/*
 * The framework owns every notifier-side dialog. A SUBSCRIBE from the
 * proxy is checked here (Event 400/489, Contact 400, body 413, Accept 406,
 * Expires 423 or shortened, max_subs 503), then its package decides
 * (pkg->subscribe, at once or later: the server transaction stays
 * referenced meanwhile; 500 after EVT_DECIDE_MS without a decision). An
 * accepted subscription is stored first (store_sub_put); the 200 leaves
 * once the store has committed, and the first NOTIFY follows at once.
 *
 * Where NOTIFYs go (routing policy):
 * - The Request-URI is the subscriber's Contact (the remote target; an
 *   in-dialog SUBSCRIBE with a Contact replaces it).
 * - The route set is the SUBSCRIBE's Record-Route values in order (RFC
 *   3261 12.1.1); a first route without "lr" is a strict router (12.2.1.1:
 *   it becomes the Request-URI and the remote target goes last).
 * - The next hop is the first route's URI (sip_uri_dst: numeric hosts,
 *   transport/maddr/sips honoured) when there is a route set. Otherwise,
 *   or when that URI cannot be resolved without DNS, it is the flow the
 *   SUBSCRIBE arrived on: its transport and source address and port. For
 *   TCP and TLS the transport reuses the connection still open to that
 *   address; for UDP it is the address the packet came from, which
 *   traverses NATs (RFC 5626 style symmetric routing). Each in-dialog
 *   SUBSCRIBE moves the flow to the one it arrived on.
 * - That destination is stored as "udp:192.0.2.1:5060" text with the
 *   subscription, so NOTIFYs after a restart go the same way.
 *
 * Dialog state persisted: see evt_restore.c. NOTIFY pacing, the global
 * in-flight cap and the retry policy: see evt_notify.c. Watcher info
 * templates: evt_winfo.c. Freeing the evt drops every subscription from
 * memory without NOTIFYs or package calls (the store keeps them for
 * evt_restore after a restart).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "evt"

#include "../base/buf.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "../proxy/location.h"
#include "../sip/tsx.h"
#include "../store/store.h"
#include "evt_int.h"

enum {
	EVT_HASH_SIZE = 8192,
	EVT_DECIDE_MS = 20000, /* a package that has not decided by then:
	                          500 (the client gives up at 32 s) */
	EVT_RESOURCE_MAX = 512,
	EVT_CONTACT_MAX = 160,
};

uint64_t evt_now(const struct evt *e)
{
	return tmrl_now(e->tmrl);
}

uint64_t evt_wall(const struct evt *e)
{
	return tmrl_wallclock(e->tmrl);
}

/* --- the framework object and its packages --- */

static void detach(struct evt_sub *s)
{
	tmr_cancel(&s->tmr_exp);
	tmr_cancel(&s->tmr_ntf);
	list_unlink(&s->qle);
	s->queued = false;
	hash_unlink(&s->rle);
	hash_unlink(&s->dle);
	s->ct = sip_ctsx_release(s->ct);
	if (s->st) {
		s->st = sip_stsx_release(s->st);
	}
	s->live = false;
	s->e = NULL;
	mem_deref(s); /* the table's reference */
}

static void evt_destroy(void *data)
{
	struct evt *e = data;

	e->closing = true;
	if (e->dlgs) {
		HASH_FOREACH(e->dlgs, i, le) {
			detach(le->data);
		}
	}
	mem_deref(e->dlgs);
	mem_deref(e->res);
	mem_deref(e->csubs);
	list_flush(&e->pkgs);
	mem_deref(e->allow);
	mem_deref(e->server_name);
	mem_deref(e->st);
	mem_deref(e->tl);
}

int evt_alloc(struct evt **ep, const struct evt_conf *cf, struct sip_tsxl *tl,
              struct store *st)
{
	struct evt *e;
	int err;

	if (!ep || !cf || !tl || !cf->max_expires ||
	    cf->min_expires > cf->max_expires)
		return EINVAL;
	e = mem_zalloc(sizeof(*e), evt_destroy);
	if (!e)
		return ENOMEM;
	list_init(&e->pkgs);
	list_init(&e->waitq);
	e->cf = *cf;
	e->cf.server_name = NULL;
	e->tl = mem_ref(tl);
	e->tmrl = sip_tsxl_tmrl(tl);
	e->st = mem_ref(st);
	err = hash_alloc(&e->dlgs, EVT_HASH_SIZE);
	if (!err)
		err = hash_alloc(&e->res, EVT_HASH_SIZE);
	if (!err)
		err = hash_alloc(&e->csubs, 256);
	if (!err && cf->server_name && *cf->server_name)
		err = mem_strdup(&e->server_name, cf->server_name);
	if (!err)
		err = mem_strdup(&e->allow, "");
	if (err) {
		mem_deref(e);
		return err;
	}
	e->cf.server_name = e->server_name;
	*ep = e;
	return 0;
}

void evt_pent_destroy(void *data)
{
	struct evt_pent *pk = data;

	list_unlink(&pk->le);
	mem_deref(pk->name);
	mem_deref(pk->list);
}

struct evt_pent *evt_pent_find(const struct evt *e, const struct pl *name)
{
	if (!e || !name || !name->l)
		return NULL;
	LIST_FOREACH(&e->pkgs, le) {
		struct evt_pent *pk = le->data;

		if (!pl_strcasecmp(name, pk->name))
			return pk;
	}
	return NULL;
}

/* Allow-Events: the registered packages and their first-level watcher
 * info templates, in registration order. */
static int allow_build(struct evt *e)
{
	struct buf *b = NULL;
	char *s = NULL;
	int err;

	err = buf_alloc(&b, 128);
	if (err)
		return err;
	LIST_FOREACH(&e->pkgs, le) {
		const struct evt_pent *pk = le->data;

		if (pk->base && pk->base->base)
			continue;
		if (b->end)
			err = buf_write_str(b, ", ");
		if (!err)
			err = buf_write_str(b, pk->name);
		if (err)
			break;
	}
	if (!err) {
		struct pl pl = buf_pl(b);

		err = pl_strdup(&s, &pl);
	}
	mem_deref(b);
	if (err)
		return err;
	mem_deref(e->allow);
	e->allow = s;
	return 0;
}

int evt_pkg_register(struct evt *e, const struct evt_pkg *pkg)
{
	struct evt_pent *pk;
	struct le *last;
	struct pl name;
	int err;

	if (!e || !pkg || !pkg->name || !*pkg->name || !pkg->ctype ||
	    !pkg->subscribe || !pkg->body)
		return EINVAL;
	pl_set_str(&name, pkg->name);
	if (evt_pent_find(e, &name))
		return EEXIST;
	pk = mem_zalloc(sizeof(*pk), evt_pent_destroy);
	if (!pk)
		return ENOMEM;
	pk->p = *pkg;
	err = mem_strdup(&pk->name, pkg->name);
	if (err) {
		mem_deref(pk);
		return err;
	}
	last = e->pkgs.tail;
	list_append(&e->pkgs, &pk->le, pk);
	if (pkg->winfo)
		err = evt_winfo_register(e, pk);
	if (!err)
		err = allow_build(e);
	if (err) {
		/* drop what this call added */
		while (e->pkgs.tail != last)
			mem_deref(e->pkgs.tail->data);
		return err;
	}
	log_debug(NULL, "package %s registered", pkg->name);
	return 0;
}

int evt_list_register(struct evt *e, const struct evt_pkg *pkg)
{
	struct evt_pent *base, *pk;
	struct pl name;
	int err;

	if (!e || !pkg || !pkg->name || !pkg->ctype || !pkg->subscribe ||
	    !pkg->body || !pkg->owns)
		return EINVAL;
	pl_set_str(&name, pkg->name);
	base = evt_pent_find(e, &name);
	if (!base || base->base)
		return ENOENT;
	if (base->list)
		return EEXIST;
	pk = mem_zalloc(sizeof(*pk), evt_pent_destroy);
	if (!pk)
		return ENOMEM;
	pk->p = *pkg;
	pk->p.winfo = false;
	pk->islist = true;
	err = mem_strdup(&pk->name, pkg->name);
	if (err) {
		mem_deref(pk);
		return err;
	}
	base->list = pk;
	log_debug(NULL, "list package for %s registered", pkg->name);
	return 0;
}

struct evt_pent *evt_pent_for(struct evt_pent *pk, const char *resource)
{
	if (pk && pk->list && resource &&
	    pk->list->p.owns(resource, pk->list->p.arg))
		return pk->list;
	return pk;
}

const char *evt_allow_events(const struct evt *e)
{
	return e && e->allow ? e->allow : "";
}

/* --- subscriptions --- */

static void sub_destroy(void *data)
{
	struct evt_sub *s = data;

	tmr_cancel(&s->tmr_exp);
	tmr_cancel(&s->tmr_ntf);
	list_unlink(&s->qle);
	hash_unlink(&s->rle);
	hash_unlink(&s->dle);
	sip_ctsx_release(s->ct);
	sip_stsx_release(s->st);
	evt_wchg_flush(&s->wchg);
	mem_deref(s->strs);
	mem_deref(s->contact);
	mem_deref(s->pdata);
	mem_deref(s->data);
	mem_deref(s->hop.host);
}

/* Copies of the dialog's strings in one block. */
static int strs_pack(struct evt_sub *s, const struct evt_sub_init *in)
{
	const struct pl *src[] = {
	    &in->id,       &in->event_id, &in->resource,  &in->watcher,
	    &in->display,  &in->ident,    &in->callid,    &in->ltag,
	    &in->rtag,     &in->from_hdr, &in->to_hdr,    &in->route,
	    &in->lcontact, &in->accept,   &in->supported,
	};
	const char **dst[] = {
	    &s->id,     &s->event_id, &s->resource, &s->watcher, &s->display,
	    &s->ident,  &s->callid,   &s->ltag,     &s->rtag,    &s->from_hdr,
	    &s->to_hdr, &s->route,    &s->lcontact, &s->accept,  &s->supported,
	};
	size_t n = 0, i;
	char *p;

	for (i = 0; i < ARRAY_SIZE(src); i++)
		n += (src[i]->p ? src[i]->l : 0) + 1;
	s->strs = mem_alloc(n, NULL);
	if (!s->strs)
		return ENOMEM;
	p = s->strs;
	for (i = 0; i < ARRAY_SIZE(src); i++) {
		size_t l = src[i]->p ? src[i]->l : 0;

		if (l)
			memcpy(p, src[i]->p, l);
		p[l] = '\0';
		*dst[i] = p;
		p += l + 1;
	}
	return 0;
}

int evt_sub_alloc(struct evt_sub **sp, struct evt *e, struct evt_pent *pk,
                  const struct evt_sub_init *in, const struct sip_dst *dst)
{
	struct evt_sub *s;
	int err;

	s = mem_zalloc(sizeof(*s), sub_destroy);
	if (!s)
		return ENOMEM;
	tmr_init(&s->tmr_exp);
	tmr_init(&s->tmr_ntf);
	list_init(&s->wchg);
	s->pkg = pk;
	err = evt_hop_set(&s->hop, dst);
	if (!err)
		err = strs_pack(s, in);
	if (!err)
		err = pl_strdup(&s->contact, &in->contact);
	if (err) {
		mem_deref(s);
		return err;
	}
	evt_lctx(&s->lctx, s->callid, dst);
	s->e = e;
	hash_append(e->dlgs, str_hash_ci(s->callid), &s->dle, s);
	e->nsubs++;
	*sp = s; /* the table's reference */
	return 0;
}

/* Live: visible to evt_sub_apply, evt_notify_resource and winfo. */
static void sub_live(struct evt_sub *s, bool on)
{
	if (on == s->live)
		return;
	s->live = on;
	if (on) {
		hash_append(s->e->res, str_hash_ci(s->resource), &s->rle, s);
		s->pkg->nlive++;
	} else {
		hash_unlink(&s->rle);
		s->pkg->nlive--;
	}
}

static void exp_h(void *arg)
{
	struct evt_sub *s = arg;

	log_info(&s->lctx, "%s subscription of %s to %s expired", s->pkg->name,
	         s->watcher, s->resource);
	evt_sub_terminate(s, EVT_REASON_TIMEOUT, 0);
}

static void decide_h(void *arg)
{
	struct evt_sub *s = arg;

	if (s->decided)
		return;
	log_warn(&s->lctx, "%s: no decision on %s's subscription to %s",
	         s->pkg->name, s->watcher, s->resource);
	if (s->st)
		(void)sip_stsx_replyf(s->st, 500, NULL, "Retry-After: 5\r\n");
	evt_sub_end(s, EVT_REASON_NONE);
}

static void exp_start(struct evt_sub *s, uint32_t expires)
{
	uint64_t now = evt_now(s->e);

	if (s->internal)
		return; /* lasts until its owner ends it */
	s->expires = expires;
	s->exp_ms = now + (uint64_t)expires * 1000;
	if (tmr_start(&s->tmr_exp, s->e->tmrl, (uint64_t)expires * 1000, exp_h,
	              s))
		log_warn(&s->lctx, "no expiry timer (out of memory)");
}

void evt_sub_end(struct evt_sub *s, enum evt_reason why)
{
	struct evt *e;
	bool freed;

	if (!s || !s->e || s->ended)
		return;
	e = s->e;
	mem_ref(s);
	s->ended = true;
	if (s->state != EVT_TERMINATED) {
		s->state = EVT_TERMINATED;
		s->reason = why;
	}
	if (s->reported && !s->term_reported) {
		s->wev = evt_wev_of_reason(s->reason);
		s->term_reported = true;
		evt_winfo_changed(s);
	}
	sub_live(s, false);
	tmr_cancel(&s->tmr_exp);
	tmr_cancel(&s->tmr_ntf);
	list_unlink(&s->qle);
	s->queued = false;
	freed = s->ct != NULL;
	evt_ntf_drop(s);
	if (s->st) {
		if (!sip_stsx_status(s->st) || sip_stsx_status(s->st) < 200)
			(void)sip_stsx_replyf(s->st, 500, NULL,
			                      "Retry-After: 5\r\n");
		s->st = sip_stsx_release(s->st);
	}
	hash_unlink(&s->dle);
	e->nsubs--;
	if (s->stored && e->st) {
		int err = store_sub_delete(e->st, s->id, NULL, NULL);

		if (err)
			log_warn(&s->lctx, "cannot delete subscription: %s",
			         err_str(err));
		s->stored = false;
	}
	log_info(&s->lctx, "%s subscription of %s to %s ended%s%s",
	         s->pkg->name, s->watcher, s->resource, s->reason ? ": " : "",
	         evt_reason_name(s->reason));
	evt_wchg_flush(&s->wchg);
	if (s->pkg->p.ended)
		s->pkg->p.ended(s, s->pkg->p.arg);
	s->e = NULL;
	if (s->internal && s->ih && !s->ialloc && !s->final_sent) {
		/* ended without its final call (rejected after an
		 * asynchronous decision, ended by the package): tell the
		 * owner */
		evt_isub_h *ih = s->ih;

		s->final_sent = true;
		ih(s, EVT_TERMINATED, s->reason, NULL, NULL, s->iarg);
	}
	mem_deref(s); /* the table's reference */
	mem_deref(s);
	if (freed)
		evt_ntf_pump(e);
}

void evt_sub_terminate(struct evt_sub *s, enum evt_reason reason,
                       uint32_t retry_after)
{
	if (!s || !s->e || s->ended || s->ending)
		return;
	s->ending = true;
	s->state = EVT_TERMINATED;
	s->reason = reason;
	s->retry_after = retry_after;
	sub_live(s, false);
	tmr_cancel(&s->tmr_exp);
	log_info(&s->lctx, "%s subscription of %s to %s terminated%s%s",
	         s->pkg->name, s->watcher, s->resource, reason ? ": " : "",
	         evt_reason_name(reason));
	if (s->reported && !s->term_reported) {
		s->wev = evt_wev_of_reason(reason);
		s->term_reported = true;
		evt_winfo_changed(s);
	}
	s->dirty = true;
	s->full = true;
	s->urgent = true;
	evt_ntf_kick(s);
}

/* --- answers --- */

/* Answer st and let it go (a completed transaction keeps only what
 * absorbing retransmissions needs). */
static void st_answer(struct sip_stsx *st, uint16_t scode, const char *reason,
                      const char *hdrs)
{
	int err = sip_stsx_replyf(st, scode, reason, "%s", hdrs ? hdrs : "");

	if (err)
		log_warn(NULL, "sending %u: %s", scode, err_str(err));
	mem_ref(st);
	sip_stsx_release(st);
}

static void reply_ok(struct evt_sub *s, struct sip_stsx *st, bool rr)
{
	const struct sip_msg *msg = sip_stsx_req(st);
	uint64_t now = evt_now(s->e);
	uint32_t left = 0;
	struct buf *b = NULL;
	int err;

	if (!s->fetch && !s->ending && s->exp_ms > now)
		left = (uint32_t)((s->exp_ms - now + 999) / 1000);
	err = buf_alloc(&b, 256);
	if (!err)
		err = buf_printf(b, "Expires: %u\r\nContact: <%s>\r\n", left,
		                 s->lcontact);
	/* RFC 3261 12.1.1: the route set goes back in the 2xx */
	for (const struct sip_hdr *h =
	         rr && msg ? sip_msg_hdr(msg, SIP_HDR_RECORD_ROUTE) : NULL;
	     h && !err; h = sip_msg_hdr_next(msg, h))
		err =
		    buf_printf(b, "Record-Route: %.*s\r\n", PL_PRINT(&h->val));
	if (!err)
		err = buf_write_u8(b, 0);
	if (!err)
		err = sip_stsx_replyf(st, 200, NULL, "%s", (const char *)b->b);
	if (err)
		log_warn(&s->lctx, "sending 200: %s", err_str(err));
	mem_deref(b);
}

/* The subscription is answered (200 sent or restored): NOTIFYs may go. */
static void sub_running(struct evt_sub *s)
{
	s->answered = true;
	if (!s->ending && !s->fetch) {
		if (!tmr_isrunning(&s->tmr_exp))
			exp_start(s, s->expires);
		if (s->wev != EVT_WEV_APPROVED)
			s->wev = EVT_WEV_SUBSCRIBE;
		s->reported = true;
		evt_winfo_changed(s);
	}
	s->dirty = true;
	s->full = true;
	s->urgent = true;
	evt_ntf_kick(s);
}

static void stored_h(int err, void *arg)
{
	struct evt_sub *s = arg;

	if (!s->e || s->ended)
		return;
	if (err) {
		log_err(&s->lctx, "storing subscription of %s to %s: %s",
		        s->watcher, s->resource, err_str(err));
		(void)sip_stsx_replyf(s->st, 500, NULL, "Retry-After: 5\r\n");
		s->reported = false;
		evt_sub_end(s, EVT_REASON_NONE);
		return;
	}
	s->stored = true;
	s->ckpt = s->lcseq;
	log_info(
	    &s->lctx, "%s subscription of %s to %s accepted: %s, %u s",
	    s->pkg->name, s->watcher, s->resource,
	    evt_state_name(s->state == EVT_TERMINATED ? EVT_ACTIVE : s->state),
	    s->expires);
	if (!s->ending)
		exp_start(s, s->expires);
	if (s->st) {
		reply_ok(s, s->st, true);
		s->st = sip_stsx_release(s->st);
	}
	sub_running(s);
}

int evt_sub_accept(struct evt_sub *s, enum evt_state state)
{
	int err;

	if (!s || (state != EVT_PENDING && state != EVT_ACTIVE))
		return EINVAL;
	if (!s->e || s->decided || s->ended)
		return EPROTO;
	s->decided = true;
	tmr_cancel(&s->tmr_exp); /* the decision timer */
	s->state = state;
	s->was_active = state == EVT_ACTIVE;
	sub_live(s, true);
	mem_ref(s);
	if (s->restored) {
		log_info(&s->lctx, "%s subscription of %s to %s resumed: %s",
		         s->pkg->name, s->watcher, s->resource,
		         evt_state_name(state));
		sub_running(s);
	} else if (s->fetch) {
		log_info(&s->lctx, "%s fetch of %s by %s: %s", s->pkg->name,
		         s->resource, s->watcher, evt_state_name(state));
		reply_ok(s, s->st, true);
		s->st = sip_stsx_release(s->st);
		s->answered = true;
		if (state == EVT_PENDING) {
			/* RFC 3857: a fetch that must wait shows as
			 * "waiting" */
			s->wev = EVT_WEV_SUBSCRIBE;
			s->reported = true;
			s->term_reported = true;
			evt_winfo_changed(s);
		}
		evt_sub_terminate(s, EVT_REASON_TIMEOUT, 0);
	} else if (s->e->st && !s->internal) {
		err = evt_sub_store(s, stored_h, s);
		if (err)
			stored_h(err, s);
	} else {
		stored_h(0, s);
	}
	mem_deref(s);
	return 0;
}

int evt_sub_reject(struct evt_sub *s, uint16_t scode, const char *reason,
                   enum evt_reason ev_reason)
{
	return evt_sub_reject_hdrs(s, scode, reason, ev_reason, NULL);
}

int evt_sub_reject_hdrs(struct evt_sub *s, uint16_t scode, const char *reason,
                        enum evt_reason ev_reason, const char *hdrs)
{
	if (!s || scode < 300 || scode > 699)
		return EINVAL;
	if (!s->e || s->decided || s->ended)
		return EPROTO;
	s->decided = true;
	s->scode = scode;
	tmr_cancel(&s->tmr_exp);
	mem_ref(s);
	if (s->restored) {
		log_info(&s->lctx, "%s subscription of %s to %s not resumed",
		         s->pkg->name, s->watcher, s->resource);
		s->answered = true;
		evt_sub_terminate(s, ev_reason, 0);
	} else {
		log_info(&s->lctx, "%s subscription of %s to %s rejected: %u",
		         s->pkg->name, s->watcher, s->resource, scode);
		if (s->st) {
			(void)sip_stsx_replyf(s->st, scode, reason, "%s",
			                      hdrs ? hdrs : "");
			s->st = sip_stsx_release(s->st);
		}
		evt_sub_end(s, ev_reason);
	}
	mem_deref(s);
	return 0;
}

int evt_sub_set_state(struct evt_sub *s, enum evt_state state,
                      enum evt_reason reason, uint32_t retry_after_s)
{
	if (!s)
		return EINVAL;
	if (!s->e || !s->decided || s->ended || s->ending)
		return EPROTO;
	switch (state) {
	case EVT_PENDING:
	case EVT_ACTIVE:
		if (s->state == state)
			return 0;
		log_info(&s->lctx, "%s subscription of %s to %s: %s",
		         s->pkg->name, s->watcher, s->resource,
		         evt_state_name(state));
		s->wev =
		    state == EVT_ACTIVE ? EVT_WEV_APPROVED : EVT_WEV_SUBSCRIBE;
		s->state = state;
		if (state == EVT_ACTIVE)
			s->was_active = true;
		evt_sub_persist(s);
		if (s->answered) {
			evt_winfo_changed(s);
			s->dirty = true;
			s->full = true;
			evt_ntf_kick(s);
		}
		return 0;
	case EVT_TERMINATED:
		evt_sub_terminate(s, reason, retry_after_s);
		return 0;
	default:
		return EINVAL;
	}
}

/* --- SUBSCRIBE --- */

/* Values of every id header joined with ",". */
static int join_hdrs(struct buf *b, const struct sip_msg *msg,
                     enum sip_hdrid id)
{
	int err = 0;
	bool first = true;

	for (const struct sip_hdr *h = sip_msg_hdr(msg, id); h && !err;
	     h = sip_msg_hdr_next(msg, h)) {
		if (!h->val.l)
			continue;
		if (!first)
			err = buf_write_u8(b, ',');
		if (!err)
			err = buf_write_pl(b, &h->val);
		first = false;
	}
	return err;
}

/* Where NOTIFYs of a dialog go: the first route, else the flow. */
void evt_route_dst(struct sip_dst *dst, const char *route,
                   const struct sip_msg *msg)
{
	struct pl rest, v;

	pl_set_str(&rest, route ? route : "");
	if (evt_list_next(&rest, &v)) {
		struct sip_addr a;
		struct parse_err pe;

		if (!sip_addr_decode(&a, &v, &pe) && !sip_uri_dst(dst, &a.uri))
			return;
	}
	if (!msg)
		return;
	memset(dst, 0, sizeof(*dst));
	dst->tp = msg->tp != SIP_TRANSP_NONE       ? msg->tp
	          : msg->via.tp != SIP_TRANSP_NONE ? msg->via.tp
	                                           : SIP_TRANSP_UDP;
	dst->addr = msg->src;
}

static bool ident_owns(const char *ident, const char *resource)
{
	const char *ia, *ra;

	if (!ident || !resource)
		return false;
	ia = strrchr(ident, '@');
	ra = strrchr(resource, '@');
	if (!ia || !ra || ia - ident != ra - resource)
		return false;
	return !strncmp(ident, resource, (size_t)(ia - ident)) &&
	       !strcasecmp(ia, ra);
}

bool evt_sub_owner(const struct evt_sub *s)
{
	return s && ident_owns(s->ident[0] ? s->ident : NULL, s->resource);
}

struct newsub {
	struct buf *b; /* joined lists */
	char res[EVT_RESOURCE_MAX];
	char lcontact[EVT_CONTACT_MAX];
	char id[24];
	struct sip_contact c;
	struct sip_dst dst;
	struct evt_sub_init in;
	uint32_t expires;
	uint32_t throttle_ms;
};

/* Checks before the package sees it; 0 with everything in ns, or the
 * status already sent (scode != 0). */
static uint16_t new_check(struct evt *e, struct sip_stsx *st,
                          const struct sip_msg *msg, const struct sip_event *ev,
                          struct evt_pent *pk, struct newsub *ns)
{
	const struct sip_hdr *h;
	struct parse_err pe;
	char hdr[64];
	int64_t x;
	struct pl v;

	if (loc_aor_print(&msg->uri, ns->res, sizeof(ns->res))) {
		st_answer(st, 404, NULL, NULL);
		return 404;
	}
	h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	if (!h) {
		st_answer(st, 400, "Missing Contact", NULL);
		return 400;
	}
	if (sip_msg_hdr_next(msg, h) ||
	    sip_contact_decode(&ns->c, &h->val, &pe) || ns->c.star ||
	    !ns->c.addr.uri.is_sip) {
		st_answer(st, 400, "Bad Contact", NULL);
		return 400;
	}
	if (e->cf.max_body && msg->body.l > e->cf.max_body) {
		st_answer(st, 413, NULL, NULL);
		return 413;
	}
	x = msg->expires >= 0       ? msg->expires
	    : pk->p.default_expires ? (int64_t)pk->p.default_expires
	                            : (int64_t)e->cf.max_expires;
	if (x > 0 && x < (int64_t)e->cf.min_expires) {
		if (msg->expires < 0) {
			x = e->cf.min_expires;
		} else {
			snprintf(hdr, sizeof(hdr), "Min-Expires: %u\r\n",
			         e->cf.min_expires);
			st_answer(st, 423, NULL, hdr);
			return 423;
		}
	}
	if (x > (int64_t)e->cf.max_expires)
		x = e->cf.max_expires;
	ns->expires = (uint32_t)x;
	if (!sip_param_get(&ev->params, "throttle", &v)) {
		uint32_t t = 0;

		if (pl_u32(&v, &t)) {
			st_answer(st, 400, "Bad throttle parameter", NULL);
			return 400;
		}
		ns->throttle_ms = MIN(t, (uint32_t)EVT_THROTTLE_MAX_S) * 1000;
	}
	if (e->cf.max_subs && e->nsubs >= e->cf.max_subs) {
		log_warn(NULL, "%u subscriptions: SUBSCRIBE to %s refused",
		         e->nsubs, ns->res);
		st_answer(st, 503, NULL, "Retry-After: 60\r\n");
		return 503;
	}
	return 0;
}

static void new_subscribe(struct evt *e, struct sip_stsx *st, const char *ident,
                          const struct sip_msg *msg, const struct sip_event *ev,
                          struct evt_pent *pk)
{
	const struct sip_hdr *fh = sip_msg_hdr(msg, SIP_HDR_FROM);
	const struct sip_hdr *th = sip_msg_hdr(msg, SIP_HDR_TO);
	struct newsub *ns;
	struct evt_sub *s = NULL;
	size_t o_route, o_acc, o_sup;
	char *base;
	int err;

	ns = mem_zalloc(sizeof(*ns), NULL);
	if (!ns) {
		st_answer(st, 500, NULL, "Retry-After: 5\r\n");
		return;
	}
	if (new_check(e, st, msg, ev, pk, ns))
		goto out;
	pk = evt_pent_for(pk, ns->res);

	/* joined lists: route set, Accept, Supported */
	err = buf_alloc(&ns->b, 256);
	if (err)
		goto fail;
	o_route = 0;
	err = join_hdrs(ns->b, msg, SIP_HDR_RECORD_ROUTE);
	o_acc = ns->b->end;
	if (!err)
		err = join_hdrs(ns->b, msg, SIP_HDR_ACCEPT);
	o_sup = ns->b->end;
	if (!err)
		err = join_hdrs(ns->b, msg, SIP_HDR_SUPPORTED);
	if (!err)
		err = buf_write_u8(ns->b, 0);
	if (err)
		goto fail;
	base = (char *)ns->b->b;
	ns->in.route.p = base + o_route;
	ns->in.route.l = o_acc - o_route;
	ns->in.accept.p = base + o_acc;
	ns->in.accept.l = o_sup - o_acc;
	ns->in.supported.p = base + o_sup;
	ns->in.supported.l = ns->b->end - 1 - o_sup;

	/* RFC 6665 4.1.2.1 / 3.1.1: a subscriber that accepts no type the
	 * package can send */
	{
		char acc[1024];
		bool ok;

		if (pl_strcpy(&ns->in.accept, acc, sizeof(acc))) {
			st_answer(st, 400, "Accept too long", NULL);
			goto out;
		}
		ok = evt_accept_match(acc, pk->p.ctype, pk->p.ctype) ||
		     (evt_accept_match(acc, "multipart/related", NULL) &&
		      sip_msg_hdr_has_value(msg, SIP_HDR_SUPPORTED,
		                            "eventlist"));
		if (!ok) {
			st_answer(st, 406, NULL, NULL);
			goto out;
		}
	}

	{
		char route[2048];

		if (pl_strcpy(&ns->in.route, route, sizeof(route))) {
			st_answer(st, 400, "Record-Route too long", NULL);
			goto out;
		}
		evt_route_dst(&ns->dst, route, msg);
	}
	err =
	    evt_local_contact(e, &ns->dst, ns->lcontact, sizeof(ns->lcontact));
	if (err)
		goto fail;

	rand_token(ns->id, 20);
	pl_set_str(&ns->in.id, ns->id);
	ns->in.event_id = ev->id;
	pl_set_str(&ns->in.resource, ns->res);
	ns->in.watcher = msg->from.auri;
	ns->in.display = msg->from.dname;
	pl_set_str(&ns->in.ident, ident ? ident : "");
	ns->in.callid = msg->callid;
	pl_set_str(&ns->in.ltag, sip_stsx_totag(st));
	ns->in.rtag = msg->from.tag;
	ns->in.from_hdr = fh ? fh->val : msg->from.auri;
	ns->in.to_hdr = th ? th->val : msg->to.auri;
	pl_set_str(&ns->in.lcontact, ns->lcontact);
	ns->in.contact = ns->c.addr.auri;
	err = evt_sub_alloc(&s, e, pk, &ns->in, &ns->dst);
	if (err)
		goto fail;

	s->st = mem_ref(st);
	s->fetch = ns->expires == 0;
	s->expires = ns->expires;
	s->rcseq = msg->cseq.num;
	s->throttle_ms = ns->throttle_ms;
	s->created = evt_wall(e);
	log_debug(&s->lctx, "SUBSCRIBE %s to %s from %s, %u s", pk->name,
	          s->resource, s->watcher, s->expires);
	mem_ref(s);
	(void)tmr_start(&s->tmr_exp, e->tmrl, EVT_DECIDE_MS, decide_h, s);
	err = pk->p.subscribe(s, false, pk->p.arg);
	if (err && !s->decided) {
		log_warn(&s->lctx, "%s: %s", pk->name, err_str(err));
		s->decided = true;
		evt_sub_end(s, EVT_REASON_NONE); /* answers 500 */
	}
	mem_deref(s);
	goto out;
fail:
	log_warn(NULL, "SUBSCRIBE to %s: %s", ns->res, err_str(err));
	st_answer(st, 500, NULL, "Retry-After: 5\r\n");
out:
	mem_deref(ns->b);
	mem_deref(ns);
}

static struct evt_sub *dlg_find(const struct evt *e, const struct sip_msg *msg,
                                const struct sip_event *ev)
{
	LIST_FOREACH(hash_list(e->dlgs, pl_hash_ci(&msg->callid)), le) {
		struct evt_sub *s = le->data;

		if (!pl_strcmp(&msg->callid, s->callid) &&
		    !pl_strcmp(&msg->to.tag, s->ltag) &&
		    !pl_strcmp(&msg->from.tag, s->rtag) &&
		    !pl_strcasecmp(&ev->package, s->pkg->name) &&
		    !pl_strcmp(&ev->id, s->event_id))
			return s;
	}
	return NULL;
}

/* An in-dialog SUBSCRIBE waiting for the store before its answer. */
struct refresh {
	struct evt_sub *s;
	struct sip_stsx *st;
};

static void refresh_destroy(void *data)
{
	struct refresh *r = data;

	sip_stsx_release(r->st);
	mem_deref(r->s);
}

static void refreshed_h(int err, void *arg)
{
	struct refresh *r = arg;
	struct evt_sub *s = r->s;

	if (!s->e || s->ended || s->ending) {
		(void)sip_stsx_replyf(r->st, 481, NULL, "%s", "");
		return;
	}
	if (err) {
		log_err(&s->lctx, "storing refresh: %s", err_str(err));
		(void)sip_stsx_replyf(r->st, 500, NULL, "Retry-After: 5\r\n");
		return;
	}
	s->ckpt = s->lcseq;
	reply_ok(s, r->st, false);
	s->dirty = true;
	s->full = true;
	s->urgent = true;
	evt_ntf_kick(s);
}

static void in_dialog(struct evt *e, struct sip_stsx *st,
                      const struct sip_msg *msg, const struct sip_event *ev)
{
	struct evt_sub *s = dlg_find(e, msg, ev);
	const struct sip_hdr *ch;
	struct refresh *r;
	char hdr[64];
	int64_t x;
	int err;

	if (!s || s->ending) {
		st_answer(st, 481, NULL, NULL);
		return;
	}
	if (!s->answered) {
		st_answer(st, 500, NULL, "Retry-After: 1\r\n");
		return;
	}
	/* RFC 3261 12.2.2 */
	if (msg->cseq.num <= s->rcseq) {
		st_answer(st, 500, "CSeq out of order", NULL);
		return;
	}
	s->rcseq = msg->cseq.num;
	x = msg->expires >= 0           ? msg->expires
	    : s->pkg->p.default_expires ? (int64_t)s->pkg->p.default_expires
	                                : (int64_t)e->cf.max_expires;
	if (x > 0 && x < (int64_t)e->cf.min_expires) {
		snprintf(hdr, sizeof(hdr), "Min-Expires: %u\r\n",
		         e->cf.min_expires);
		st_answer(st, 423, NULL, hdr);
		return;
	}
	if (x > (int64_t)e->cf.max_expires)
		x = e->cf.max_expires;

	/* target refresh (RFC 6665 4.1.2.2 / RFC 3261 12.2.2) */
	ch = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	if (ch) {
		struct sip_contact c;
		struct parse_err pe;
		char *nc;

		if (!sip_contact_decode(&c, &ch->val, &pe) && !c.star &&
		    c.addr.uri.is_sip && pl_strcmp(&c.addr.auri, s->contact) &&
		    !pl_strdup(&nc, &c.addr.auri)) {
			mem_deref(s->contact);
			s->contact = nc;
		}
	}
	if (!s->route[0]) {
		struct sip_dst d;

		evt_hop_get(&s->hop, &d);
		evt_route_dst(&d, NULL, msg);
		if (evt_hop_set(&s->hop, &d))
			log_warn(&s->lctx, "keeping the old next hop: %s",
			         err_str(ENOMEM));
	}

	mem_ref(s);
	if (x == 0) {
		log_info(&s->lctx, "%s subscription of %s to %s: unsubscribe",
		         s->pkg->name, s->watcher, s->resource);
		s->exp_ms = evt_now(e);
		reply_ok(s, st, false);
		mem_ref(st);
		sip_stsx_release(st);
		evt_sub_terminate(s, EVT_REASON_TIMEOUT, 0);
		goto out;
	}
	exp_start(s, (uint32_t)x);
	log_debug(&s->lctx, "%s subscription of %s to %s refreshed: %u s",
	          s->pkg->name, s->watcher, s->resource, s->expires);
	r = mem_zalloc(sizeof(*r), refresh_destroy);
	if (!r) {
		st_answer(st, 500, NULL, "Retry-After: 5\r\n");
		goto out;
	}
	r->s = mem_ref(s);
	r->st = mem_ref(st);
	if (s->stored && e->st) {
		err = evt_sub_store(s, refreshed_h, r);
		if (err)
			refreshed_h(err, r);
	} else {
		refreshed_h(0, r);
	}
	mem_deref(r);
out:
	mem_deref(s);
}

bool evt_handle_subscribe(struct sip_stsx *st, const char *ident, void *arg)
{
	struct evt *e = arg;
	const struct sip_msg *msg = sip_stsx_req(st);
	const struct sip_hdr *h;
	struct sip_event ev;
	struct parse_err pe;
	struct evt_pent *pk;
	char hdr[1200];

	if (!e || !msg)
		return false;
	h = sip_msg_hdr(msg, SIP_HDR_EVENT);
	if (!h && !e->cf.lenient) {
		st_answer(st, 400, "Missing Event header", NULL);
		return true;
	}
	if (!h) {
		log_notice(NULL, "SUBSCRIBE without Event taken as presence "
		                 "(lenient)");
		memset(&ev, 0, sizeof(ev));
		pl_set_str(&ev.package, "presence");
	} else if (sip_event_decode(&ev, &h->val, &pe)) {
		st_answer(st, 400, pe.reason ? pe.reason : "Bad Event header",
		          NULL);
		return true;
	}
	pk = evt_pent_find(e, &ev.package);
	if (!pk) {
		log_debug(NULL, "SUBSCRIBE for unknown package %.*s",
		          PL_PRINT(&ev.package));
		snprintf(hdr, sizeof(hdr), "Allow-Events: %s\r\n", e->allow);
		st_answer(st, 489, NULL, e->allow[0] ? hdr : NULL);
		return true;
	}
	if (pl_isset(&msg->to.tag))
		in_dialog(e, st, msg, &ev);
	else
		new_subscribe(e, st, ident, msg, &ev, pk);
	return true;
}

bool evt_handle_notify(struct sip_stsx *st, const char *ident, void *arg)
{
	struct evt *e = arg;

	(void)ident;
	if (!e || !sip_stsx_req(st))
		return false;
	if (!evt_client_notify(e, st))
		st_answer(st, 481, NULL, NULL);
	return true;
}

/* --- what packages see --- */

const char *evt_sub_id(const struct evt_sub *s)
{
	return s ? s->id : NULL;
}

const char *evt_sub_package(const struct evt_sub *s)
{
	return s ? s->pkg->name : NULL;
}

const char *evt_sub_resource(const struct evt_sub *s)
{
	return s ? s->resource : NULL;
}

const char *evt_sub_watcher(const struct evt_sub *s)
{
	return s ? s->watcher : NULL;
}

const char *evt_sub_display(const struct evt_sub *s)
{
	return s ? s->display : NULL;
}

const char *evt_sub_ident(const struct evt_sub *s)
{
	return s && s->ident[0] ? s->ident : NULL;
}

enum evt_state evt_sub_state(const struct evt_sub *s)
{
	return s ? s->state : EVT_TERMINATED;
}

bool evt_sub_fetch(const struct evt_sub *s)
{
	return s && s->fetch;
}

uint32_t evt_sub_duration(const struct evt_sub *s)
{
	uint64_t now;

	if (!s || !s->e)
		return 0;
	now = evt_wall(s->e);
	return now > s->created ? (uint32_t)(now - s->created) : 0;
}

enum evt_reason evt_sub_reason(const struct evt_sub *s)
{
	return s && s->state == EVT_TERMINATED ? s->reason : EVT_REASON_NONE;
}

uint16_t evt_sub_scode(const struct evt_sub *s)
{
	return s ? s->scode : 0;
}

uint32_t evt_sub_expires_in(const struct evt_sub *s)
{
	uint64_t now;

	if (!s || !s->e || s->ending || s->fetch)
		return 0;
	if (s->internal)
		return s->e->cf.max_expires;
	now = evt_now(s->e);
	return s->exp_ms > now ? (uint32_t)((s->exp_ms - now + 999) / 1000) : 0;
}

bool evt_sub_accepts(const struct evt_sub *s, const char *ctype)
{
	if (!s)
		return false;
	return evt_accept_match(s->accept, ctype, s->pkg->p.ctype);
}

bool evt_sub_supports(const struct evt_sub *s, const char *tag)
{
	struct pl rest, v;

	if (!s || !tag)
		return false;
	pl_set_str(&rest, s->supported);
	while (evt_list_next(&rest, &v))
		if (!pl_strcasecmp(&v, tag))
			return true;
	return false;
}

const struct sip_msg *evt_sub_request(const struct evt_sub *s)
{
	if (!s || s->decided || !s->st)
		return NULL;
	return sip_stsx_req(s->st);
}

void evt_sub_set_data(struct evt_sub *s, void *data)
{
	void *old;

	if (!s)
		return;
	old = s->data;
	s->data = mem_ref(data);
	mem_deref(old);
}

void *evt_sub_data(const struct evt_sub *s)
{
	return s ? s->data : NULL;
}

int evt_sub_set_pdata(struct evt_sub *s, const char *text)
{
	char *t = NULL;
	int err;

	if (!s)
		return EINVAL;
	if (text && *text) {
		err = mem_strdup(&t, text);
		if (err)
			return err;
	}
	mem_deref(s->pdata);
	s->pdata = t;
	evt_sub_persist(s);
	return 0;
}

const char *evt_sub_pdata(const struct evt_sub *s)
{
	return s && s->pdata ? s->pdata : "";
}

struct evt *evt_sub_evt(const struct evt_sub *s)
{
	return s ? s->e : NULL;
}

uint32_t evt_sub_version(const struct evt_sub *s)
{
	return s && s->lcseq ? s->lcseq - 1 : 0;
}

/* --- many at once --- */

struct collect {
	struct evt_sub **v;
	uint32_t n;
};

static void collect_destroy(void *data)
{
	struct collect *c = data;

	for (uint32_t i = 0; i < c->n; i++)
		mem_deref(c->v[i]);
	mem_deref(c->v);
}

static bool sub_match(const struct evt_sub *s, const char *pkg,
                      const char *resource)
{
	if (!s->live)
		return false;
	if (pkg && (strcasecmp(pkg, s->pkg->name) || s->pkg->islist))
		return false;
	return !resource || !strcmp(resource, s->resource);
}

/* References to the live subscriptions of pkg to resource, so handlers
 * may end any of them while we walk. */
static struct collect *collect(struct evt *e, const char *pkg,
                               const char *resource)
{
	struct collect *c;
	uint32_t max = 0;

	c = mem_zalloc(sizeof(*c), collect_destroy);
	if (!c)
		return NULL;
	if (resource) {
		max = (uint32_t)list_count(
		    hash_list(e->res, str_hash_ci(resource)));
	} else {
		max = (uint32_t)hash_count(e->res);
	}
	if (!max)
		return c;
	c->v = mem_zalloc(max * sizeof(*c->v), NULL);
	if (!c->v)
		return mem_deref(c);
	if (resource) {
		LIST_FOREACH(hash_list(e->res, str_hash_ci(resource)), le) {
			if (sub_match(le->data, pkg, resource) && c->n < max)
				c->v[c->n++] = mem_ref(le->data);
		}
	} else {
		HASH_FOREACH(e->res, i, le) {
			if (sub_match(le->data, pkg, NULL) && c->n < max)
				c->v[c->n++] = mem_ref(le->data);
		}
	}
	return c;
}

void evt_sub_apply(struct evt *e, const char *pkg, const char *resource,
                   evt_sub_apply_h *h, void *arg)
{
	struct collect *c;

	if (!e || !h)
		return;
	c = collect(e, pkg, resource);
	if (!c) {
		log_warn(NULL, "cannot visit subscriptions: out of memory");
		return;
	}
	for (uint32_t i = 0; i < c->n; i++) {
		if (!c->v[i]->live)
			continue;
		if (h(c->v[i], arg))
			break;
	}
	mem_deref(c);
}

static bool notify_h(struct evt_sub *s, void *arg)
{
	evt_sub_notify(s, *(bool *)arg);
	return false;
}

void evt_notify_resource(struct evt *e, const char *pkg, const char *resource,
                         bool full)
{
	evt_sub_apply(e, pkg, resource, notify_h, &full);
}

uint32_t evt_sub_count(const struct evt *e, const char *pkg)
{
	uint32_t n = 0;

	if (!e)
		return 0;
	LIST_FOREACH(&e->pkgs, le) {
		const struct evt_pent *pk = le->data;

		if (!pkg || !strcasecmp(pkg, pk->name))
			n += pk->nlive;
	}
	return n;
}
