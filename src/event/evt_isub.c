/* event/evt_isub.c - internal subscriptions: a package's subscription
 * made inside impd (the RLS's back-end subscriptions to local resources).
 * The package decides and notifies exactly as for a SIP subscriber; the
 * framework hands each NOTIFY's state and body to a callback instead of
 * sending a request. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LOG_MODULE "evt"

#include "../base/buf.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "evt_int.h"

int evt_isub_alloc(struct evt_sub **sp, struct evt *e,
                   const struct evt_isub_params *p, evt_isub_h *h, void *arg)
{
	struct evt_sub_init in;
	struct evt_pent *pk;
	struct evt_sub *s;
	struct sip_dst dst;
	struct pl name;
	char id[24];
	int err;

	if (!sp || !e || !p || !p->pkg || !p->resource || !p->watcher || !h)
		return EINVAL;
	pl_set_str(&name, p->pkg);
	pk = evt_pent_find(e, &name);
	if (!pk)
		return ENOENT;
	if (e->cf.max_subs && e->nsubs >= e->cf.max_subs)
		return EOVERFLOW;
	rand_token(id, sizeof(id) - 4);
	memset(&in, 0, sizeof(in));
	pl_set_str(&in.id, id);
	pl_set_str(&in.resource, p->resource);
	pl_set_str(&in.watcher, p->watcher);
	pl_set_str(&in.display, p->display ? p->display : "");
	pl_set_str(&in.ident, p->ident ? p->ident : "");
	pl_set_str(&in.callid, id); /* unique: the dialog table's key */
	pl_set_str(&in.from_hdr, p->watcher);
	pl_set_str(&in.to_hdr, p->resource);
	pl_set_str(&in.accept, p->accept ? p->accept : "");
	memset(&dst, 0, sizeof(dst));
	err = evt_sub_alloc(&s, e, pk, &in, &dst);
	if (err)
		return err;
	s->internal = true;
	s->ih = h;
	s->iarg = arg;
	s->created = evt_wall(e);
	s->ialloc = true;
	mem_ref(s); /* the caller's */
	log_debug(&s->lctx, "internal %s subscription of %s to %s", pk->name,
	          s->watcher, s->resource);
	err = pk->p.subscribe(s, false, pk->p.arg);
	if (err && !s->decided) {
		log_warn(&s->lctx, "%s: %s", pk->name, err_str(err));
		s->decided = true;
		evt_sub_end(s, EVT_REASON_NONE);
	}
	s->ialloc = false;
	*sp = s;
	return 0;
}

struct evt_sub *evt_isub_end(struct evt_sub *s)
{
	if (!s)
		return NULL;
	s->ih = NULL;
	if (s->e && !s->ended)
		evt_sub_end(s, EVT_REASON_TIMEOUT); /* the watcher left */
	mem_deref(s);
	return NULL;
}

void evt_isub_deliver(struct evt_sub *s)
{
	struct buf *body = NULL;
	char ctype[256];
	enum evt_state state;
	enum evt_reason reason;
	bool full;
	int err = 0;

	if (!s->e || s->ended || !s->dirty || s->final_sent)
		return;
	full = s->full || !s->sent_any || s->state == EVT_TERMINATED;
	s->lcseq++;
	snprintf(ctype, sizeof(ctype), "%s", s->pkg->p.ctype);
	mem_ref(s);
	if (evt_ntf_has_body(s)) {
		err = s->pkg->p.body(s, full, &body, ctype, sizeof(ctype),
		                     s->pkg->p.arg);
		if (s->ended || !s->e)
			goto out;
		if (err) {
			log_warn(&s->lctx, "internal NOTIFY body: %s",
			         err_str(err));
			body = mem_deref(body);
			s->full = true; /* try again with the next change */
			goto out;
		}
	}
	s->dirty = false;
	s->full = false;
	s->urgent = false;
	s->sent_any = true;
	s->last_ms = evt_now(s->e);
	state = s->state;
	reason = state == EVT_TERMINATED ? s->reason : EVT_REASON_NONE;
	if (state == EVT_TERMINATED)
		s->final_sent = true;
	if (s->ih)
		s->ih(s, state, reason, body, ctype, s->iarg);
	if (state == EVT_TERMINATED && s->e && !s->ended)
		evt_sub_end(s, s->reason);
out:
	mem_deref(body);
	mem_deref(s);
}
