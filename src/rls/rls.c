/* rls/rls.c - the resource list server (RFC 4662): the list package that
 * takes presence subscriptions to list URIs, list subscriptions and
 * their members, RLMI NOTIFY bodies with full and partial state, and the
 * reaction to list documents that change (XCAP, impctl, other nodes). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LOG_MODULE "rls"

#include "../base/buf.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/pl.h"
#include "../base/util.h"
#include "../list/rlist.h"
#include "../store/docwatch.h"
#include "../store/store.h"
#include "rls_int.h"

#define RLS_CID_DOMAIN "rls.impd"

/* ---- members of a list subscription ---- */

static void lmem_release(struct lmem *m)
{
	list_unlink(&m->le);
	m->be = mem_deref(m->be);
	m->key = mem_deref(m->key);
	m->uri = mem_deref(m->uri);
	m->name = mem_deref(m->name);
}

static void lsub_clear(struct lsub *ls)
{
	for (uint32_t i = 0; i < ls->n; i++)
		lmem_release(&ls->m[i]);
	ls->m = mem_deref(ls->m);
	ls->n = 0;
}

static void lsub_destroy(void *data)
{
	struct lsub *ls = data;

	tmr_cancel(&ls->tmr_wait);
	list_unlink(&ls->le);
	lsub_clear(ls);
	mem_deref(ls->owner);
	mem_deref(ls->uri);
}

static const char *lsub_watcher(const struct lsub *ls, char *buf, size_t size)
{
	const char *ident = evt_sub_ident(ls->sub);

	if (ident && *ident) {
		snprintf(buf, size, "sip:%s", ident);
		return buf;
	}
	return evt_sub_watcher(ls->sub);
}

/* Members of set as lmems, reusing the back-ends of old ones with the
 * same key (old's reused entries lose their back-end). */
static int lmems_build(struct lsub *ls, const struct rset *set,
                       struct lmem *old, uint32_t nold, struct lmem **mp)
{
	struct lmem *m;
	const char *ident = evt_sub_ident(ls->sub);
	char wbuf[512];
	const char *watcher = lsub_watcher(ls, wbuf, sizeof(wbuf));
	int err = 0;
	uint32_t i;

	m = mem_zalloc((set->n ? set->n : 1) * sizeof(*m), NULL);
	if (!m)
		return ENOMEM;
	for (i = 0; i < set->n && !err; i++) {
		struct lmem *x = &m[i];

		x->ls = ls;
		err = rls_member_key(&x->key, set->m[i].uri);
		if (!err)
			err = mem_strdup(&x->uri, set->m[i].uri);
		if (!err && set->m[i].name)
			err = mem_strdup(&x->name, set->m[i].name);
		if (err)
			break;
		for (uint32_t j = 0; j < nold; j++) {
			if (old[j].be && !strcmp(old[j].key, x->key)) {
				x->be = old[j].be;
				old[j].be = NULL;
				list_unlink(&old[j].le);
				x->changed = old[j].changed;
				break;
			}
		}
		if (!x->be) {
			err = rls_be_get(&x->be, ls->r, x->uri, x->key, watcher,
			                 ident && *ident ? ident : NULL,
			                 evt_sub_display(ls->sub));
			x->changed = true;
		}
		if (!err)
			list_append(&x->be->users, &x->le, x);
	}
	if (err) {
		for (uint32_t j = 0; j <= i && j < set->n; j++)
			lmem_release(&m[j]);
		mem_deref(m);
		return err;
	}
	*mp = m;
	return 0;
}

static bool lsub_ready(const struct lsub *ls)
{
	for (uint32_t i = 0; i < ls->n; i++)
		if (!ls->m[i].be->known && ls->m[i].be->isub)
			return false;
	return true;
}

/* The members' first states are in (or the wait is over): the first
 * NOTIFY may go. */
static void lsub_accept(struct lsub *ls)
{
	if (ls->accepted || !ls->sub)
		return;
	ls->accepted = true;
	tmr_cancel(&ls->tmr_wait);
	evt_sub_hold(ls->sub, false);
}

static void wait_h(void *arg)
{
	lsub_accept(arg);
}

void rls_be_changed(struct rls_be *be)
{
	struct le *le, *next;

	for (le = be->users.head; le; le = next) {
		struct lmem *m = le->data;
		struct lsub *ls = m->ls;

		next = le->next;
		m->changed = true;
		if (!ls->sub)
			continue;
		evt_sub_notify(ls->sub, false); /* held until accepted */
		if (!ls->accepted && lsub_ready(ls))
			lsub_accept(ls);
	}
}

/* ---- the list package ---- */

static bool pkg_owns(const char *resource, void *arg)
{
	return rls_owns(arg, resource);
}

static bool same_user(const char *a, const char *b)
{
	const char *x = strrchr(a, '@'), *y = strrchr(b, '@');

	if (!strncasecmp(a, "sip:", 4))
		a += 4;
	if (!x || !y || x - a != y - b)
		return false;
	return !strncmp(a, b, (size_t)(x - a)) && !strcasecmp(x, y);
}

static int pkg_subscribe(struct evt_sub *sub, bool restored, void *arg)
{
	struct rls *r = arg;
	const char *res = evt_sub_resource(sub);
	const char *ident = evt_sub_ident(sub);
	struct rset *set = NULL;
	struct lsub *ls;
	char *owner = NULL;
	int err;

	if (!restored && !evt_sub_supports(sub, "eventlist"))
		return evt_sub_reject_hdrs(sub, 421, NULL, EVT_REASON_REJECTED,
		                           "Require: eventlist\r\n");
	err = rls_resolve(r, res, &owner, &set);
	if (err == ENOENT)
		return evt_sub_reject(sub, 404, NULL, EVT_REASON_NORESOURCE);
	if (err)
		return err;
	if (!ident || !same_user(ident, owner)) {
		log_info(NULL, "%s may not subscribe to %s's list %s",
		         ident ? ident : evt_sub_watcher(sub), owner, res);
		mem_deref(set);
		mem_deref(owner);
		return evt_sub_reject(sub, 403, NULL, EVT_REASON_REJECTED);
	}
	ls = mem_zalloc(sizeof(*ls), lsub_destroy);
	if (!ls) {
		mem_deref(set);
		mem_deref(owner);
		return ENOMEM;
	}
	tmr_init(&ls->tmr_wait);
	ls->r = r;
	ls->sub = sub;
	ls->owner = owner;
	err = mem_strdup(&ls->uri, "sip:");
	if (!err) {
		char *u = NULL;

		err = mem_strdup(&u, res);
		if (!err) {
			size_t l = strlen(res) + 5;
			char *x = mem_alloc(l, NULL);

			if (!x)
				err = ENOMEM;
			else {
				snprintf(x, l, "sip:%s", res);
				mem_deref(ls->uri);
				ls->uri = x;
			}
			mem_deref(u);
		}
	}
	if (!err)
		err = lmems_build(ls, set, NULL, 0, &ls->m);
	if (!err)
		ls->n = set->n;
	mem_deref(set);
	if (err) {
		mem_deref(ls);
		return err;
	}
	list_append(&r->lsubs, &ls->le, ls);
	r->stats.lists++;
	evt_sub_set_data(sub, ls);
	mem_deref(ls); /* the subscription holds it */
	log_info(NULL, "list subscription of %s to %s: %u members", ident,
	         ls->uri, ls->n);
	/* 200 now; the first NOTIFY waits a moment for the members */
	if (lsub_ready(ls)) {
		ls->accepted = true;
	} else {
		evt_sub_hold(sub, true);
		tmr_start(&ls->tmr_wait, r->tl, r->cf.wait_ms, wait_h, ls);
	}
	return evt_sub_accept(sub, EVT_ACTIVE);
}

static void pkg_ended(struct evt_sub *sub, void *arg)
{
	struct lsub *ls = evt_sub_data(sub);
	struct rls *r = arg;

	if (!ls)
		return;
	tmr_cancel(&ls->tmr_wait);
	list_unlink(&ls->le);
	lsub_clear(ls);
	ls->sub = NULL;
	if (r->stats.lists)
		r->stats.lists--;
}

static enum rlmi_state be_state(const struct rls_be *be)
{
	return be->known ? be->state : RLMI_PENDING;
}

static int pkg_body(struct evt_sub *sub, bool full, struct buf **bodyp,
                    char *ctype, size_t ctype_size, void *arg)
{
	struct lsub *ls = evt_sub_data(sub);
	struct rls *r = arg;
	struct rlmi_res *res = NULL;
	struct rlmi_inst *inst = NULL;
	struct rlmi_part *parts = NULL;
	char(*cids)[40] = NULL;
	struct rlmi_list l;
	uint32_t nr = 0, np = 0;
	int err = 0;

	if (!ls)
		return EINVAL;
	if (ls->n) {
		res = mem_zalloc(ls->n * sizeof(*res), NULL);
		inst = mem_zalloc(ls->n * sizeof(*inst), NULL);
		parts = mem_zalloc(ls->n * sizeof(*parts), NULL);
		cids = mem_zalloc(ls->n * sizeof(*cids), NULL);
		if (!res || !inst || !parts || !cids) {
			err = ENOMEM;
			goto out;
		}
	}
	for (uint32_t i = 0; i < ls->n; i++) {
		struct lmem *m = &ls->m[i];
		const struct rls_be *be = m->be;
		struct rlmi_inst *in = &inst[nr];

		if (!full && !m->changed)
			continue;
		in->id = be->id;
		in->state = be_state(be);
		in->reason = in->state == RLMI_TERMINATED ? be->reason : NULL;
		if (in->state == RLMI_ACTIVE && be->body && be->body->end) {
			snprintf(cids[np], sizeof(cids[np]), "%s.%u@%s", be->id,
			         i, RLS_CID_DOMAIN);
			in->cid = cids[np];
			parts[np].cid = cids[np];
			parts[np].ctype =
			    be->ctype ? be->ctype : "application/pidf+xml";
			parts[np].body = (const char *)be->body->b;
			parts[np].len = be->body->end;
			np++;
		}
		res[nr].uri = m->uri;
		res[nr].name = m->name;
		res[nr].inst = in;
		res[nr].ninst = 1;
		nr++;
	}
	memset(&l, 0, sizeof(l));
	l.uri = ls->uri;
	l.version = evt_sub_version(sub);
	l.full = full;
	l.res = res;
	l.nres = nr;
	err = rlmi_multipart(bodyp, ctype, ctype_size, &l, NULL, parts, np);
	if (!err) {
		for (uint32_t i = 0; i < ls->n; i++)
			ls->m[i].changed = false;
		r->stats.notifies++;
	}
out:
	mem_deref(res);
	mem_deref(inst);
	mem_deref(parts);
	mem_deref(cids);
	return err;
}

/* ---- documents that change ---- */

static bool str_same(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

/* Does set hold exactly the members ls has, in the same order and with
 * the same names? */
static bool same_members(const struct lsub *ls, const struct rset *set)
{
	if (set->n != ls->n)
		return false;
	for (uint32_t i = 0; i < set->n; i++) {
		if (!str_same(set->m[i].uri, ls->m[i].uri) ||
		    !str_same(set->m[i].name, ls->m[i].name))
			return false;
	}
	return true;
}

static void lsub_redo(struct lsub *ls)
{
	struct rls *r = ls->r;
	struct rset *set = NULL;
	struct lmem *m = NULL;
	char *owner = NULL;
	int err;

	ls->redo = false;
	if (!ls->sub)
		return;
	err = rls_resolve(r, evt_sub_resource(ls->sub), &owner, &set);
	if (err == ENOENT) {
		log_info(NULL, "list %s is gone", ls->uri);
		(void)evt_sub_set_state(ls->sub, EVT_TERMINATED,
		                        EVT_REASON_NORESOURCE, 0);
		return;
	}
	if (!err && strcmp(owner, ls->owner)) {
		/* the service URI moved to another user */
		(void)evt_sub_set_state(ls->sub, EVT_TERMINATED,
		                        EVT_REASON_DEACTIVATED, 0);
		goto out;
	}
	if (!err && same_members(ls, set))
		goto out; /* another list of the owner changed */
	if (!err)
		err = lmems_build(ls, set, ls->m, ls->n, &m);
	if (err) {
		log_warn(NULL, "list %s: %s", ls->uri, err_str(err));
		goto out;
	}
	lsub_clear(ls);
	ls->m = m;
	ls->n = set->n;
	log_info(NULL, "list %s of %s changed: %u members", ls->uri, ls->owner,
	         ls->n);
	if (!lsub_ready(ls)) {
		/* new members: hold the NOTIFY a moment for their state */
		ls->accepted = false;
		evt_sub_hold(ls->sub, true);
		tmr_start(&ls->tmr_wait, r->tl, r->cf.wait_ms, wait_h, ls);
	}
	evt_sub_notify(ls->sub, true);
out:
	mem_deref(set);
	mem_deref(owner);
}

static void redo_h(void *arg)
{
	struct rls *r = arg;
	struct le *le, *next;

	for (le = r->lsubs.head; le; le = next) {
		struct lsub *ls = le->data;

		next = le->next;
		if (ls->redo) {
			mem_ref(ls);
			lsub_redo(ls);
			mem_deref(ls);
		}
	}
}

static int doc_h(const struct store_doc *d, bool startup, void *arg)
{
	struct rls *r = arg;
	int err;

	err = rls_doc_update(r, d->auid, d->owner, d->name, d->content, d->len);
	if (err || startup)
		return err;
	LIST_FOREACH(&r->lsubs, le) {
		struct lsub *ls = le->data;

		if (!strcasecmp(ls->owner, d->owner))
			ls->redo = true;
	}
	/* a service may have appeared for a list URI someone watches as a
	 * plain resource, or gone: nothing to do for those (the next
	 * SUBSCRIBE decides) */
	tmr_start(&r->tmr_redo, r->tl, 0, redo_h, r);
	return 0;
}

/* ---- the server ---- */

static void rls_destroy(void *data)
{
	struct rls *r = data;
	struct le *le;

	tmr_cancel(&r->tmr_redo);
	r->docs = mem_deref(r->docs);
	/* subscriptions outlive us in the events framework: detach */
	while ((le = r->lsubs.head)) {
		struct lsub *ls = le->data;

		list_unlink(&ls->le);
		lsub_clear(ls);
		tmr_cancel(&ls->tmr_wait);
		ls->sub = NULL;
	}
	if (r->bes)
		hash_flush(r->bes);
	mem_deref(r->bes);
	if (r->svcs)
		hash_flush(r->svcs);
	mem_deref(r->svcs);
	if (r->ldocs)
		hash_flush(r->ldocs);
	mem_deref(r->ldocs);
	mem_deref(r->suffix);
}

int rls_alloc(struct rls **rp, const struct rls_conf *cf, struct evt *e,
              struct store *st, struct tmrl *tl, const struct dom *dom)
{
	static const char *const auids[] = {RLIST_AUID, RLS_AUID, NULL};
	struct evt_pkg pkg;
	struct rls *r;
	int err;

	if (!rp || !cf || !e || !st || !tl)
		return EINVAL;
	r = mem_zalloc(sizeof(*r), rls_destroy);
	if (!r)
		return ENOMEM;
	r->cf = *cf;
	r->e = e;
	r->st = st;
	r->tl = tl;
	r->dom = dom;
	list_init(&r->lsubs);
	tmr_init(&r->tmr_redo);
	err = mem_strdup(&r->suffix,
	                 cf->buddies_suffix ? cf->buddies_suffix : "");
	r->cf.buddies_suffix = r->suffix;
	if (!err)
		err = hash_alloc(&r->ldocs, 256);
	if (!err)
		err = hash_alloc(&r->svcs, 256);
	if (!err)
		err = hash_alloc(&r->bes, 1024);
	if (!err)
		err = docwatch_alloc(&r->docs, st, tl, cf->poll_ms, auids,
		                     doc_h, r);
	if (err)
		goto fail;
	memset(&pkg, 0, sizeof(pkg));
	pkg.name = "presence";
	pkg.ctype = "application/pidf+xml";
	pkg.default_expires = 3600;
	pkg.subscribe = pkg_subscribe;
	pkg.body = pkg_body;
	pkg.ended = pkg_ended;
	pkg.owns = pkg_owns;
	pkg.notify_hdrs = "Require: eventlist\r\n";
	pkg.arg = r;
	err = evt_list_register(e, &pkg);
	if (err)
		goto fail;
	*rp = r;
	return 0;
fail:
	mem_deref(r);
	return err;
}

void rls_stats_get(const struct rls *r, struct rls_stats *s)
{
	if (!s)
		return;
	memset(s, 0, sizeof(*s));
	if (!r)
		return;
	*s = r->stats;
	s->services = (uint32_t)hash_count(r->svcs);
}
