/* event/evt_winfo.c - watcher information templates (RFC 3857; documents per
 * RFC 3858) */

/*
 * Every package registered with winfo = true gets a "<pkg>.winfo" template
 * (and "<pkg>.winfo.winfo": a template of the template) that the framework
 * serves itself:
 * - only the owner of the resource may subscribe (the authenticated
 *   identity equals the resource, user part exact, domain without case):
 *   others get 403, and nothing about the watchers;
 * - the subscription is active at once; its first NOTIFY (and the one
 *   after each refresh or failed NOTIFY) carries the full list, later ones
 *   a partial list with only the watchers that changed since the
 *   previous NOTIFY of that winfo subscription;
 * - the watchers are the subscriptions of the watched package to the same
 *   resource: status pending / active (event subscribe or approved),
 *   terminated (event = its reason: deactivated, probation, rejected,
 *   timeout, giveup, noresource; a subscriber that went away or
 *   unsubscribed shows timeout) and waiting (a fetch while pending). A
 *   terminated watcher appears in one NOTIFY, then is dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LOG_MODULE "evt"

#include "../base/log.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "evt_int.h"
#include "winfo_doc.h"

static const char *status_of(const struct evt_sub *w)
{
	if (w->fetch && !w->was_active)
		return "waiting";
	switch (w->state) {
	case EVT_ACTIVE:
		return "active";
	case EVT_TERMINATED:
		return "terminated";
	default:
		return "pending";
	}
}

static void wchg_destroy(void *data)
{
	struct evt_wchg *c = data;

	list_unlink(&c->le);
}

void evt_wchg_flush(struct list *l)
{
	list_flush(l);
}

/* Remember in winfo subscription w that watcher s changed. */
static void record(struct evt_sub *w, const struct evt_sub *s)
{
	struct evt_wchg *c;
	size_t li = strlen(s->id) + 1, lu = strlen(s->watcher) + 1,
	       ld = strlen(s->display) + 1;
	char *p;

	LIST_FOREACH(&w->wchg, le) {
		c = le->data;
		if (!strcmp(c->id, s->id)) {
			mem_deref(c);
			break;
		}
	}
	c = mem_zalloc(sizeof(*c) + li + lu + ld, wchg_destroy);
	if (!c) {
		w->full = true; /* the full list then says it all */
		return;
	}
	p = (char *)(c + 1);
	c->id = memcpy(p, s->id, li);
	c->uri = memcpy(p + li, s->watcher, lu);
	c->display = memcpy(p + li + lu, s->display, ld);
	c->status = status_of(s);
	c->event = evt_wev_name(s->wev);
	c->duration_s = evt_sub_duration(s);
	c->expiration_s =
	    s->state == EVT_TERMINATED ? 0 : evt_sub_expires_in(s);
	list_append(&w->wchg, &c->le, c);
}

void evt_winfo_changed(struct evt_sub *s)
{
	struct evt *e = s->e;

	if (!e)
		return;
	LIST_FOREACH(hash_list(e->res, str_hash_ci(s->resource)), le) {
		struct evt_sub *w = le->data;

		if (w == s || !w->live || w->pkg->base != s->pkg ||
		    strcmp(w->resource, s->resource))
			continue;
		record(w, s);
		evt_sub_notify(w, false);
	}
}

static int winfo_subscribe(struct evt_sub *s, bool restored, void *arg)
{
	(void)restored;
	(void)arg;
	if (!evt_sub_owner(s)) {
		log_info(&s->lctx, "%s of %s asked by %s: not the owner",
		         s->pkg->name, s->resource,
		         s->ident[0] ? s->ident : "an unauthenticated user");
		return evt_sub_reject(s, 403, NULL, EVT_REASON_REJECTED);
	}
	return evt_sub_accept(s, EVT_ACTIVE);
}

static void fill_live(struct winfo_watcher *w, const struct evt_sub *s)
{
	w->id = s->id;
	w->uri = s->watcher;
	w->display = s->display[0] ? s->display : NULL;
	w->status = status_of(s);
	w->event = evt_wev_name(s->wev);
	w->duration_s = evt_sub_duration(s);
	w->expiration_s = evt_sub_expires_in(s);
}

static void fill_chg(struct winfo_watcher *w, const struct evt_wchg *c)
{
	w->id = c->id;
	w->uri = c->uri;
	w->display = c->display[0] ? c->display : NULL;
	w->status = c->status;
	w->event = c->event;
	w->duration_s = c->duration_s;
	w->expiration_s = c->expiration_s;
}

static int winfo_body(struct evt_sub *s, bool full, struct buf **bodyp,
                      char *ctype, size_t ctype_size, void *arg)
{
	struct evt *e = s->e;
	const struct evt_pent *base = s->pkg->base;
	const struct list *bucket;
	struct winfo_watcher *w = NULL;
	size_t n = 0, max;
	char ruri[600];
	int err;

	(void)ctype;
	(void)ctype_size;
	(void)arg;
	bucket = hash_list(e->res, str_hash_ci(s->resource));
	max = list_count(&s->wchg) + (full ? list_count(bucket) : 0);
	if (max) {
		w = mem_zalloc(max * sizeof(*w), NULL);
		if (!w)
			return ENOMEM;
	}
	if (full) {
		LIST_FOREACH(bucket, le) {
			const struct evt_sub *x = le->data;

			if (x->live && x->pkg == base &&
			    !strcmp(x->resource, s->resource) && n < max)
				fill_live(&w[n++], x);
		}
	}
	LIST_FOREACH(&s->wchg, le) {
		const struct evt_wchg *c = le->data;

		/* in a full list, live watchers are there already */
		if (full && strcmp(c->status, "terminated") &&
		    strcmp(c->status, "waiting"))
			continue;
		if (n < max)
			fill_chg(&w[n++], c);
	}
	snprintf(ruri, sizeof(ruri), "sip:%s", s->resource);
	err = winfo_doc_build(bodyp, evt_sub_version(s), full, ruri, base->name,
	                      w, n);
	if (err == EINVAL) {
		/* a display name that is no XML text must not stop the
		 * owner's watcher list: leave the names out */
		for (size_t i = 0; i < n; i++)
			w[i].display = NULL;
		err = winfo_doc_build(bodyp, evt_sub_version(s), full, ruri,
		                      base->name, w, n);
	}
	if (!err)
		evt_wchg_flush(&s->wchg);
	mem_deref(w);
	return err;
}

int evt_winfo_register(struct evt *e, struct evt_pent *base)
{
	struct evt_pent *b = base;

	for (int d = 1; d <= EVT_WINFO_DEPTH; d++) {
		struct evt_pent *pk;
		struct pl name;
		int err;

		pk = mem_zalloc(sizeof(*pk), evt_pent_destroy);
		if (!pk)
			return ENOMEM;
		pk->name = mem_alloc(strlen(b->name) + 7, NULL);
		if (!pk->name) {
			mem_deref(pk);
			return ENOMEM;
		}
		sprintf(pk->name, "%s.winfo", b->name);
		pl_set_str(&name, pk->name);
		err = evt_pent_find(e, &name) ? EEXIST : 0;
		if (err) {
			mem_deref(pk);
			return err;
		}
		pk->p.name = pk->name;
		pk->p.ctype = WINFO_CTYPE;
		pk->p.default_expires = base->p.default_expires;
		pk->p.subscribe = winfo_subscribe;
		pk->p.body = winfo_body;
		pk->p.arg = e;
		pk->base = b;
		list_append(&e->pkgs, &pk->le, pk);
		b = pk;
	}
	return 0;
}
