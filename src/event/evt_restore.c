/* event/evt_restore.c - durable notifier subscriptions: store records, local
 * CSeq checkpoints, resuming after a restart (RFC 6665 4.2.2) */

/*
 * A subscription is stored when it is accepted (the 200 waits for the
 * commit), on every refresh (same), when its state or package text
 * changes, and every EVT_CSEQ_CHECKPOINT NOTIFYs; it is deleted when it
 * ends. The record holds what NOTIFYs need: the dialog identifiers, the
 * From/To values, remote target, route set, next hop ("udp:192.0.2.1:5060"),
 * impd's Contact, the subscriber's Accept and Supported, expiry (wall
 * clock), state, throttle, the package's text, and the local CSeq.
 *
 * The stored CSeq is only a checkpoint: up to EVT_CSEQ_CHECKPOINT NOTIFYs
 * may have left after it. A restored subscription continues at the
 * stored value plus EVT_CSEQ_RESTORE_GAP and stores that at once, so its
 * CSeq keeps growing across any number of restarts (and evt_sub_version
 * with it: the first NOTIFY after a restart carries the full state).
 */
#include <errno.h>
#include <string.h>

#define LOG_MODULE "evt"

#include "../base/log.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "../store/store.h"
#include "evt_int.h"

int evt_sub_store(struct evt_sub *s, void (*done)(int err, void *arg),
                  void *arg)
{
	struct evt *e = s->e;
	struct store_sub ss;
	struct sip_dst hop;
	char dst[96];

	if (!e || !e->st)
		return EINVAL;
	evt_hop_get(&s->hop, &hop);
	if (evt_dst_print(&hop, dst, sizeof(dst)))
		dst[0] = '\0';
	memset(&ss, 0, sizeof(ss));
	ss.id = s->id;
	ss.event = s->pkg->name;
	ss.event_id = s->event_id;
	ss.resource = s->resource;
	ss.watcher = s->watcher;
	ss.ident = s->ident;
	ss.callid = s->callid;
	ss.local_tag = s->ltag;
	ss.remote_tag = s->rtag;
	ss.from_hdr = s->from_hdr;
	ss.to_hdr = s->to_hdr;
	ss.contact = s->contact;
	ss.route = s->route;
	ss.dst = dst;
	ss.local_contact = s->lcontact;
	ss.accept = s->accept;
	ss.supported = s->supported;
	ss.local_cseq = s->lcseq;
	ss.remote_cseq = s->rcseq;
	/* at accept the expiry timer starts only once this commit is done:
	 * the granted duration counts from now */
	ss.expires =
	    evt_wall(e) + (s->exp_ms ? evt_sub_expires_in(s) : s->expires);
	ss.created = s->created;
	ss.state = (int)s->state;
	ss.throttle_ms = s->throttle_ms;
	ss.data = s->pdata ? s->pdata : "";
	s->ckpt = s->lcseq;
	return store_sub_put(e->st, &ss, done, arg);
}

static void persisted_h(int err, void *arg)
{
	struct evt_sub *s = arg;

	if (err)
		log_warn(&s->lctx, "storing subscription of %s to %s: %s",
		         s->watcher, s->resource, err_str(err));
}

void evt_sub_persist(struct evt_sub *s)
{
	int err;

	if (!s || !s->e || !s->e->st || !s->stored || s->ended)
		return;
	err = evt_sub_store(s, persisted_h, s);
	if (err)
		log_warn(&s->lctx, "storing subscription of %s to %s: %s",
		         s->watcher, s->resource, err_str(err));
}

/* --- restore --- */

/* One stored subscription, copied out of the list call. */
struct rrec {
	struct le le;
	struct store_sub ss; /* strings point into the same block */
};

struct rlist {
	struct list l;
	int err;
};

static size_t ssize(const char *s)
{
	return (s ? strlen(s) : 0) + 1;
}

static const char *scopy(char **cur, const char *s)
{
	char *d = *cur;
	size_t n = s ? strlen(s) : 0;

	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	*cur = d + n + 1;
	return d;
}

static void rrec_destroy(void *data)
{
	struct rrec *r = data;

	list_unlink(&r->le);
}

static void list_h(const struct store_sub *ss, void *arg)
{
	struct rlist *rl = arg;
	const char *const *f[] = {
	    &ss->id,         &ss->event,    &ss->event_id,      &ss->resource,
	    &ss->watcher,    &ss->ident,    &ss->callid,        &ss->local_tag,
	    &ss->remote_tag, &ss->from_hdr, &ss->to_hdr,        &ss->contact,
	    &ss->route,      &ss->dst,      &ss->local_contact, &ss->accept,
	    &ss->supported,  &ss->data,
	};
	struct rrec *r;
	size_t n = sizeof(*r);
	char *cur;

	if (rl->err)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		n += ssize(*f[i]);
	r = mem_zalloc(n, rrec_destroy);
	if (!r) {
		rl->err = ENOMEM;
		return;
	}
	r->ss = *ss;
	cur = (char *)(r + 1);
	{
		const char **d[] = {
		    &r->ss.id,       &r->ss.event,     &r->ss.event_id,
		    &r->ss.resource, &r->ss.watcher,   &r->ss.ident,
		    &r->ss.callid,   &r->ss.local_tag, &r->ss.remote_tag,
		    &r->ss.from_hdr, &r->ss.to_hdr,    &r->ss.contact,
		    &r->ss.route,    &r->ss.dst,       &r->ss.local_contact,
		    &r->ss.accept,   &r->ss.supported, &r->ss.data,
		};

		for (size_t i = 0; i < ARRAY_SIZE(d); i++)
			*d[i] = scopy(&cur, *f[i]);
	}
	list_append(&rl->l, &r->le, r);
}

static void forget(struct evt *e, const char *id)
{
	int err = store_sub_delete(e->st, id, NULL, NULL);

	if (err)
		log_warn(NULL, "cannot delete subscription %s: %s", id,
		         err_str(err));
}

static int depth(const struct evt_pent *pk)
{
	int d = 0;

	for (; pk && pk->base; pk = pk->base)
		d++;
	return d;
}

/* 0: restored or dropped; else an error (the record stays stored). */
static int restore_one(struct evt *e, const struct store_sub *ss,
                       struct evt_pent *pk, uint64_t now)
{
	struct evt_sub_init in;
	struct evt_sub *s;
	struct sip_dst dst;
	struct sip_addr a;
	struct parse_err pe;
	struct pl fh;
	int err;

	if (ss->expires <= now) {
		log_debug(NULL, "stored subscription %s has expired", ss->id);
		forget(e, ss->id);
		return 0;
	}
	memset(&dst, 0, sizeof(dst));
	if (sip_tp_addr_decode(ss->dst, &dst.tp, &dst.addr))
		evt_route_dst(&dst, ss->route, NULL);
	if (dst.tp == SIP_TRANSP_NONE || !ss->contact[0] || !ss->callid[0] ||
	    !ss->local_tag[0]) {
		log_warn(NULL, "stored subscription %s is unusable", ss->id);
		forget(e, ss->id);
		return 0;
	}
	memset(&in, 0, sizeof(in));
	pl_set_str(&in.id, ss->id);
	pl_set_str(&in.event_id, ss->event_id);
	pl_set_str(&in.resource, ss->resource);
	pl_set_str(&in.watcher, ss->watcher);
	pl_set_str(&fh, ss->from_hdr);
	if (!sip_addr_decode(&a, &fh, &pe))
		in.display = a.dname;
	pl_set_str(&in.ident, ss->ident);
	pl_set_str(&in.callid, ss->callid);
	pl_set_str(&in.ltag, ss->local_tag);
	pl_set_str(&in.rtag, ss->remote_tag);
	pl_set_str(&in.from_hdr, ss->from_hdr);
	pl_set_str(&in.to_hdr, ss->to_hdr);
	pl_set_str(&in.route, ss->route);
	pl_set_str(&in.lcontact, ss->local_contact);
	pl_set_str(&in.accept, ss->accept);
	pl_set_str(&in.supported, ss->supported);
	pl_set_str(&in.contact, ss->contact);
	err = evt_sub_alloc(&s, e, pk, &in, &dst);
	if (err)
		return err;
	mem_ref(s);
	s->restored = true;
	s->stored = true;
	s->decided = false;
	s->lcseq = ss->local_cseq + EVT_CSEQ_RESTORE_GAP;
	s->rcseq = ss->remote_cseq;
	s->created = ss->created;
	s->throttle_ms = ss->throttle_ms;
	s->expires = (uint32_t)MIN(ss->expires - now, (uint64_t)UINT32_MAX);
	s->exp_ms = evt_now(e) + (uint64_t)s->expires * 1000;
	if (ss->data[0] && mem_strdup(&s->pdata, ss->data)) {
		err = ENOMEM;
		goto fail;
	}
	evt_sub_persist(s); /* the new CSeq base */
	err = pk->p.subscribe(s, true, pk->p.arg);
	if (err && !s->decided) {
		log_warn(&s->lctx, "%s: cannot resume: %s", pk->name,
		         err_str(err));
		goto fail;
	}
	mem_deref(s);
	return 0;
fail:
	/* leave the record for the next start */
	s->stored = false;
	s->decided = true;
	evt_sub_end(s, EVT_REASON_NONE);
	mem_deref(s);
	return err;
}

int evt_restore(struct evt *e)
{
	struct rlist rl;
	uint64_t now;
	uint32_t n = 0, skipped = 0;
	int err, first = 0;

	if (!e)
		return EINVAL;
	if (!e->st)
		return 0;
	memset(&rl, 0, sizeof(rl));
	list_init(&rl.l);
	err = store_sub_list(e->st, list_h, &rl);
	if (!err)
		err = rl.err;
	if (err) {
		log_err(NULL, "loading subscriptions: %s", err_str(err));
		list_flush(&rl.l);
		return err;
	}
	now = evt_wall(e);
	/* watched packages first, so their watcher info is complete */
	for (int d = 0; d <= EVT_WINFO_DEPTH; d++) {
		LIST_FOREACH(&rl.l, le) {
			struct rrec *r = le->data;
			struct evt_pent *pk;
			struct pl name;

			pl_set_str(&name, r->ss.event);
			pk = evt_pent_find(e, &name);
			if (!pk) {
				log_warn(
				    NULL,
				    "stored subscription %s: no package %s",
				    r->ss.id, r->ss.event);
				forget(e, r->ss.id);
				mem_deref(r);
				skipped++;
				continue;
			}
			if (depth(pk) != d)
				continue;
			pk = evt_pent_for(pk, r->ss.resource);
			err = restore_one(e, &r->ss, pk, now);
			if (err && !first)
				first = err;
			n++;
			mem_deref(r);
		}
	}
	list_flush(&rl.l);
	log_info(NULL, "%u stored subscriptions loaded (%u dropped)", n,
	         skipped);
	return first;
}
