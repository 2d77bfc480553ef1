/* presence/presence.c - the presence event package (RFC 3856 6): the
 * presentity's composed document, authorization (RFC 4745, RFC 5025),
 * registration-derived presence, invisible mode, rule changes */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "pres"

#include "../base/buf.h"
#include "../base/hash.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "../event/evt.h"
#include "../proxy/location.h"
#include "../sip/msg.h"
#include "../store/docwatch.h"
#include "../store/store.h"
#include "presence_int.h"
#include "rules.h"

#define PKG_NAME  "presence"
#define PKG_CTYPE "application/pidf+xml"
#define DOC_NAME  "index" /* the document of an owner that impd reads */

/* What a presence subscription holds (its evt_sub_data). */
struct wsub {
	struct pent *pe;       /* reference */
	struct evt_sub *sub;   /* borrowed; NULL once ended */
	bool decided;          /* the user lookup answered, rules applied */
	bool self;             /* the presentity watches itself */
	struct pres_perm perm; /* sub_handling: the decision */
	char key[33];          /* pres_perm_key(perm) */
	struct buf *sent;      /* the last body given to the framework */
};

/* One printed view of the current composition. */
struct pbody {
	struct le le;
	char key[34]; /* "self", "polite" or a permission key */
	struct buf *mb;
};

static const char *handling_name(enum pres_handling h)
{
	switch (h) {
	case PRES_BLOCK:
		return "block";
	case PRES_CONFIRM:
		return "confirm";
	case PRES_POLITE_BLOCK:
		return "polite-block";
	case PRES_ALLOW:
		return "allow";
	}
	return "?";
}

uint64_t pres_wall_ms(struct pres *p)
{
	uint64_t ms = tmrl_wallclock_ms(p->tl);

	if (ms <= p->last_ms)
		ms = p->last_ms + 1;
	p->last_ms = ms;
	return ms;
}

/* --- presentities --- */

static void pbody_destroy(void *data)
{
	struct pbody *b = data;

	list_unlink(&b->le);
	mem_deref(b->mb);
}

static void bodies_flush(struct pent *pe)
{
	list_flush(&pe->bodies);
}

static void pent_destroy(void *data)
{
	struct pent *pe = data;

	hash_unlink(&pe->he);
	tmr_cancel(&pe->rules_tmr);
	LIST_FOREACH(&pe->pubs, le) {
		struct ppub *pub = le->data;

		pub->pe = NULL;
		tmr_cancel(&pub->tmr);
	}
	list_flush(&pe->pubs);
	bodies_flush(pe);
	mem_deref(pe->rules);
	mem_deref(pe->composed);
	mem_deref(pe->printed);
	mem_deref(pe->aor);
	mem_deref(pe->entity);
}

static bool pent_cmp(struct le *le, void *arg)
{
	const struct pent *pe = le->data;

	return !strcmp(pe->aor, arg);
}

struct pent *pres_pent_find(const struct pres *p, const char *aor)
{
	struct le *le;

	if (!p || !aor)
		return NULL;
	le = hash_lookup(p->pents, str_hash_ci(aor), pent_cmp, (void *)aor);
	return le ? le->data : NULL;
}

int pres_pent_get(struct pent **pep, struct pres *p, const char *aor)
{
	struct pent *pe = pres_pent_find(p, aor);
	size_t len;
	int err;

	if (pe) {
		if (!pe->held) {
			pe->held = true;
			mem_ref(pe);
		}
		*pep = pe;
		return 0;
	}
	pe = mem_zalloc(sizeof(*pe), pent_destroy);
	if (!pe)
		return ENOMEM;
	list_init(&pe->pubs);
	list_init(&pe->bodies);
	tmr_init(&pe->rules_tmr);
	len = strlen(aor);
	err = mem_strdup(&pe->aor, aor);
	if (!err) {
		pe->entity = mem_alloc(len + 6, NULL);
		if (pe->entity)
			snprintf(pe->entity, len + 6, "pres:%s", aor);
		else
			err = ENOMEM;
	}
	if (err) {
		mem_deref(pe);
		return err;
	}
	pe->p = p;
	pe->held = true;
	hash_append(p->pents, str_hash_ci(aor), &pe->he, pe);
	*pep = pe;
	return 0;
}

void pres_pent_check(struct pent *pe)
{
	if (!pe || !pe->held)
		return;
	if (pe->p && (list_count(&pe->pubs) || pe->npending || pe->rules ||
	              pe->invisible))
		return;
	pe->held = false;
	mem_deref(pe);
}

/* pres is going away: cut every link back to it, drop what only it
 * needed (publications, timers on its clock). */
static void pent_detach(struct pent *pe)
{
	pe->p = NULL;
	tmr_cancel(&pe->rules_tmr);
	LIST_FOREACH(&pe->pubs, le) {
		struct ppub *pub = le->data;

		pub->pe = NULL;
		tmr_cancel(&pub->tmr);
	}
	list_flush(&pe->pubs);
	hash_unlink(&pe->he);
	if (pe->held) {
		pe->held = false;
		mem_deref(pe);
	}
}

/* --- composition --- */

/* Registration-derived presence (PRES-07, PRES-09): one open tuple per
 * registered contact, NULL when there is none. */
static int reg_doc(struct pidf **dp, struct pres *p, const struct pent *pe)
{
	const struct list *bl = loc_find(p->loc, pe->aor);
	struct pidf_tuple_spec *specs = NULL;
	char(*ids)[48] = NULL;
	char *contact = NULL;
	size_t n = list_count(bl), i = 0;
	int err = 0;

	*dp = NULL;
	if (!n)
		return 0;
	specs = mem_zalloc(n * sizeof(*specs), NULL);
	ids = mem_zalloc(n * sizeof(*ids), NULL);
	contact = mem_alloc(strlen(pe->aor) + 5, NULL);
	if (!specs || !ids || !contact) {
		err = ENOMEM;
		goto out;
	}
	sprintf(contact, "sip:%s", pe->aor);
	LIST_FOREACH(bl, le) {
		const struct loc_binding *b = le->data;
		const char *key = b->instance[0] ? b->instance : b->contact;
		char hex[33];
		bool dup;

		if (i == n)
			break;
		md5_hex(hex, key, strlen(key));
		snprintf(ids[i], sizeof(ids[i]), "reg-%.8s", hex);
		/* two bindings with one hash: keep the ids apart */
		dup = false;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ids[j], ids[i]))
				dup = true;
		if (dup)
			snprintf(ids[i], sizeof(ids[i]), "reg-%.8s-%zu", hex,
			         i);
		specs[i].id = ids[i];
		specs[i].open = true;
		specs[i].contact = contact;
		specs[i].priority = b->q;
		specs[i].deviceid =
		    !strncasecmp(b->instance, "urn:", 4) ? b->instance : NULL;
		specs[i].caps = pidf_caps_from_params(b->params);
		i++;
	}
	err = pidf_build(dp, pe->entity, specs, i);
out:
	mem_deref(specs);
	mem_deref(ids);
	mem_deref(contact);
	return err;
}

/* Compose pe's document from its live sources (publications, else
 * registrations) and print it. */
static int pent_compose(struct pent *pe)
{
	struct pres *p = pe->p;
	struct pres_source *src = NULL;
	struct pidf *reg = NULL, *d = NULL;
	struct buf *mb = NULL;
	size_t n = 0;
	int err = 0;

	if (!p)
		return ESHUTDOWN;
	if (list_count(&pe->pubs)) {
		src = mem_zalloc(list_count(&pe->pubs) * sizeof(*src), NULL);
		if (!src)
			return ENOMEM;
		LIST_FOREACH(&pe->pubs, le) {
			const struct ppub *pub = le->data;

			src[n].id = pub->sid;
			src[n].kind = pub->kind;
			src[n].updated_ms = pub->updated_ms;
			src[n].created_ms = pub->created_ms;
			src[n].doc = pub->doc;
			n++;
		}
	} else {
		err = reg_doc(&reg, p, pe);
		if (err)
			return err;
		if (reg) {
			src = mem_zalloc(sizeof(*src), NULL);
			if (!src) {
				err = ENOMEM;
				goto out;
			}
			src[0].id = "reg";
			src[0].kind = PRES_SRC_REGISTRATION;
			src[0].doc = reg;
			n = 1;
		}
	}
	err = pres_compose(&d, pe->entity, src, n);
	if (!err)
		err = pidf_print(&mb, d);
	if (err)
		goto out;
	p->is.compositions++;
	mem_deref(pe->composed);
	mem_deref(pe->printed);
	pe->composed = d;
	pe->printed = mb;
	d = NULL;
	mb = NULL;
out:
	mem_deref(src);
	mem_deref(reg);
	mem_deref(d);
	mem_deref(mb);
	return err;
}

static bool same_bytes(const struct buf *a, const struct buf *b)
{
	return a && b && a->end == b->end && !memcmp(a->b, b->b, a->end);
}

static int pent_body(struct buf **mbp, struct pent *pe, const char *key,
                     const struct pres_perm *perm);
static const char *wsub_view(const struct wsub *w);

/* A NOTIFY only for watchers whose view really changed: a politely
 * blocked (or invisible-mode) watcher, or one whose permissions hide what
 * changed, must not learn from the timing of a NOTIFY that something
 * happened. */
static bool view_changed(struct evt_sub *sub, void *arg)
{
	struct wsub *w = evt_sub_data(sub);
	struct buf *mb = NULL;

	(void)arg;
	if (!w || !w->decided || evt_sub_state(sub) != EVT_ACTIVE ||
	    w->perm.sub_handling < PRES_POLITE_BLOCK)
		return false;
	if (w->sent && !pent_body(&mb, w->pe, wsub_view(w), &w->perm) &&
	    same_bytes(mb, w->sent)) {
		mem_deref(mb);
		return false;
	}
	mem_deref(mb);
	evt_sub_notify(sub, true);
	return false;
}

static void notify_views(struct pent *pe)
{
	evt_sub_apply(pe->p->evt, PKG_NAME, pe->aor, view_changed, NULL);
}

void pres_pent_changed(struct pent *pe)
{
	struct pres *p;
	struct buf *old;
	int err;

	if (!pe || !pe->p)
		return;
	p = pe->p;
	old = pe->printed;
	pe->printed = NULL;
	pe->composed = mem_deref(pe->composed);
	if (!pe->nsubs) {
		/* nobody watches: compose when someone asks */
		mem_deref(old);
		bodies_flush(pe);
		pe->version++;
		return;
	}
	err = pent_compose(pe);
	if (err)
		log_warn(NULL, "composing %s: %s", pe->aor, err_str(err));
	if (!err && same_bytes(old, pe->printed)) {
		mem_deref(old);
		return;
	}
	mem_deref(old);
	bodies_flush(pe);
	pe->version++;
	p->notifies++;
	log_debug(NULL, "%s: composition %u", pe->aor, pe->version);
	notify_views(pe);
}

/* The printed view key of pe's current composition (cached). */
static int pent_body(struct buf **mbp, struct pent *pe, const char *key,
                     const struct pres_perm *perm)
{
	struct pres *p = pe->p;
	struct pidf *d = NULL;
	struct pbody *b = NULL;
	struct buf *mb = NULL;
	int err = 0;

	LIST_FOREACH(&pe->bodies, le) {
		b = le->data;
		if (!strcmp(b->key, key)) {
			*mbp = mem_ref(b->mb);
			return 0;
		}
	}
	if (!pe->printed) {
		err = pent_compose(pe);
		if (err)
			return err;
	}
	if (!strcmp(key, "self")) {
		mb = mem_ref(pe->printed);
	} else {
		if (!strcmp(key, "polite"))
			err = pidf_polite(&d, pe->entity);
		else
			err = pres_transform(&d, pe->composed, perm);
		if (!err) {
			p->is.transformations++;
			err = pidf_print(&mb, d);
		}
		if (err)
			goto out;
	}
	b = mem_zalloc(sizeof(*b), pbody_destroy);
	if (!b) {
		err = ENOMEM;
		goto out;
	}
	snprintf(b->key, sizeof(b->key), "%s", key);
	b->mb = mem_ref(mb);
	if (list_count(&pe->bodies) >= PRES_BODY_CACHE)
		mem_deref(list_ledata(list_head(&pe->bodies)));
	list_append(&pe->bodies, &b->le, b);
	*mbp = mb;
	mb = NULL;
out:
	mem_deref(d);
	mem_deref(mb);
	return err;
}

/* --- authorization --- */

static void wsub_destroy(void *data)
{
	struct wsub *w = data;

	pres_perm_reset(&w->perm);
	if (w->pe)
		w->pe->nsubs--;
	mem_deref(w->pe);
	mem_deref(w->sent);
}

/* The host of a SIP URI string, lower-case, into buf ("" if none). */
static void uri_host(char *buf, size_t size, const char *uri)
{
	const char *at = strrchr(uri, '@'), *s = at ? at + 1 : NULL;
	size_t n = 0;

	if (!s) {
		s = strchr(uri, ':');
		s = s ? s + 1 : uri;
	}
	while (s[n] && !strchr(";:>?", s[n]) && n + 1 < size) {
		char c = s[n];

		buf[n] = (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
		n++;
	}
	buf[n] = '\0';
}

/* What the watcher of w may see now (perm.sub_handling: the decision). */
static void wsub_eval(struct wsub *w, struct pres_perm *perm)
{
	const struct pent *pe = w->pe;
	const struct pres *p = pe->p;
	const char *ident = evt_sub_ident(w->sub);
	const char *dom = strrchr(pe->aor, '@');
	struct pres_watcher pw;
	char uri[PRES_AOR_MAX + 8], host[PRES_AOR_MAX];
	bool same, matched = false;

	pres_perm_reset(perm);
	w->self = ident && !strcmp(ident, pe->aor);
	if (w->self) {
		/* PRES-05: the presentity sees all of itself */
		pres_perm_full(perm, PRES_ALLOW);
		return;
	}
	if (ident)
		snprintf(uri, sizeof(uri), "sip:%s", ident);
	else
		snprintf(uri, sizeof(uri), "%s", evt_sub_watcher(w->sub));
	uri_host(host, sizeof(host), uri);
	same = dom && !strcasecmp(host, dom + 1);
	pw.uri = uri;
	pw.authenticated = ident || (p->cf.trust_foreign_from && !same);
	if (pe->rules)
		matched = pres_rules_eval(pe->rules, &pw, NULL,
		                          tmrl_wallclock(p->tl), perm);
	if (!matched) {
		pres_perm_reset(perm);
		pres_perm_full(perm, same ? p->cf.default_local
		                          : p->cf.default_foreign);
	}
}

static const char *wsub_watcher(const struct wsub *w)
{
	const char *ident = evt_sub_ident(w->sub);

	return ident ? ident : evt_sub_watcher(w->sub);
}

/* The user lookup of a new (or restored) subscription answered. */
static void user_got(int err, const struct store_user *u, void *arg)
{
	struct wsub *w = arg;
	struct evt_sub *sub = w->sub;
	struct log_ctx lc;
	enum pres_handling h;

	if (!sub || !w->pe->p)
		return;
	pres_lctx(&lc, evt_sub_request(sub));
	if (err == ENOENT || (!err && !u->enabled)) {
		log_info(&lc, "%s watches %s: no such user", wsub_watcher(w),
		         w->pe->aor);
		err = evt_sub_reject(sub, 404, NULL, EVT_REASON_NORESOURCE);
		goto out;
	}
	if (err) {
		log_warn(&lc, "user lookup for %s: %s", w->pe->aor,
		         err_str(err));
		err = evt_sub_reject(sub, 500, NULL, EVT_REASON_PROBATION);
		goto out;
	}
	wsub_eval(w, &w->perm);
	pres_perm_key(&w->perm, w->key);
	w->decided = true;
	h = w->perm.sub_handling;
	log_info(&lc, "%s watches %s: %s%s", wsub_watcher(w), w->pe->aor,
	         w->self ? "self, " : "", handling_name(h));
	if (h == PRES_BLOCK)
		err = evt_sub_reject(sub, 403, NULL, EVT_REASON_REJECTED);
	else
		err = evt_sub_accept(sub, h == PRES_CONFIRM ? EVT_PENDING
		                                            : EVT_ACTIVE);
out:
	if (err)
		log_warn(&lc, "deciding on %s: %s", w->pe->aor, err_str(err));
}

static int pkg_subscribe(struct evt_sub *sub, bool restored, void *arg)
{
	struct pres *p = arg;
	const char *aor = evt_sub_resource(sub);
	char user[PRES_AOR_MAX];
	const char *at = aor ? strrchr(aor, '@') : NULL;
	struct pent *pe = NULL;
	struct wsub *w;
	int err;

	(void)restored;
	if (!p || !at || at == aor || (size_t)(at - aor) >= sizeof(user))
		return evt_sub_reject(sub, 404, NULL, EVT_REASON_NORESOURCE);
	memcpy(user, aor, (size_t)(at - aor));
	user[at - aor] = '\0';
	err = pres_pent_get(&pe, p, aor);
	if (err)
		return err;
	w = mem_zalloc(sizeof(*w), wsub_destroy);
	if (!w) {
		pres_pent_check(pe);
		return ENOMEM;
	}
	pres_perm_init(&w->perm);
	w->pe = mem_ref(pe);
	pe->nsubs++;
	w->sub = sub;
	pres_pent_check(pe);
	evt_sub_set_data(sub, w);
	err = store_user_get_async(p->st, user, at + 1, user_got, w);
	mem_deref(w);
	return err;
}

/* Which printed view of the composition a watcher gets. */
static const char *wsub_view(const struct wsub *w)
{
	if (w->self)
		return "self";
	if (w->pe->invisible || w->perm.sub_handling == PRES_POLITE_BLOCK)
		return "polite";
	return w->key;
}

static int pkg_body(struct evt_sub *sub, bool full, struct buf **bodyp,
                    char *ctype, size_t ctype_size, void *arg)
{
	struct wsub *w = evt_sub_data(sub);
	struct buf *mb = NULL;
	struct pent *pe;
	const char *key;
	int err;

	(void)full; /* every body is the full state */
	(void)ctype;
	(void)ctype_size;
	(void)arg;
	*bodyp = NULL;
	if (!w || !w->decided || !w->pe->p ||
	    evt_sub_state(sub) == EVT_PENDING ||
	    w->perm.sub_handling < PRES_POLITE_BLOCK)
		return 0; /* nothing the watcher may see */
	pe = w->pe;
	key = wsub_view(w);
	err = pent_body(&mb, pe, key, &w->perm);
	if (err)
		return err;
	/* the cached view itself: the framework only reads it */
	mem_deref(w->sent);
	w->sent = mem_ref(mb);
	pe->p->is.bodies++;
	*bodyp = mb;
	return 0;
}

static void pkg_ended(struct evt_sub *sub, void *arg)
{
	struct wsub *w = evt_sub_data(sub);

	(void)arg;
	if (w)
		w->sub = NULL;
}

/* Apply the current rules to a running subscription. */
static bool reeval_h(struct evt_sub *sub, void *arg)
{
	struct wsub *w = evt_sub_data(sub);
	enum evt_state state = evt_sub_state(sub);
	struct pres_perm perm;
	enum pres_handling h;
	char key[33];
	bool changed;
	int err = 0;

	(void)arg;
	if (!w || !w->decided || !w->sub || !w->pe->p ||
	    (state != EVT_PENDING && state != EVT_ACTIVE))
		return false;
	pres_perm_init(&perm);
	wsub_eval(w, &perm);
	h = perm.sub_handling;
	pres_perm_key(&perm, key);
	changed = h != w->perm.sub_handling || strcmp(key, w->key);
	pres_perm_reset(&w->perm);
	w->perm = perm; /* the items move over */
	memcpy(w->key, key, sizeof(w->key));
	if (changed)
		log_info(NULL, "%s watching %s: now %s", wsub_watcher(w),
		         w->pe->aor, handling_name(h));
	if (h == PRES_BLOCK)
		err = evt_sub_set_state(sub, EVT_TERMINATED,
		                        EVT_REASON_REJECTED, 0);
	else if (h == PRES_CONFIRM && state == EVT_ACTIVE)
		err = evt_sub_set_state(sub, EVT_PENDING, EVT_REASON_NONE, 0);
	else if (h >= PRES_POLITE_BLOCK && state == EVT_PENDING)
		err = evt_sub_set_state(sub, EVT_ACTIVE, EVT_REASON_NONE, 0);
	else if (h >= PRES_POLITE_BLOCK && changed)
		evt_sub_notify(sub, true);
	if (err)
		log_warn(NULL, "%s watching %s: %s", wsub_watcher(w),
		         w->pe->aor, err_str(err));
	return false;
}

static void pent_reeval(struct pent *pe)
{
	if (!pe->p || !pe->nsubs)
		return;
	mem_ref(pe);
	evt_sub_apply(pe->p->evt, PKG_NAME, pe->aor, reeval_h, NULL);
	mem_deref(pe);
}

/* --- rules and settings documents --- */

static void rules_tmr_h(void *arg);

/* Validity windows: look again at the next boundary. */
static void rules_schedule(struct pent *pe)
{
	struct pres *p = pe->p;
	uint64_t now, next;

	if (!p || !pe->rules) {
		tmr_cancel(&pe->rules_tmr);
		return;
	}
	now = tmrl_wallclock(p->tl);
	next = pres_rules_next_change(pe->rules, now);
	if (next <= now) {
		tmr_cancel(&pe->rules_tmr);
		return;
	}
	if (tmr_start(&pe->rules_tmr, p->tl, (next - now) * 1000, rules_tmr_h,
	              pe))
		log_warn(NULL,
		         "rules of %s: no timer for the next validity "
		         "boundary",
		         pe->aor);
}

static void rules_tmr_h(void *arg)
{
	struct pent *pe = arg;

	mem_ref(pe);
	log_debug(NULL, "rules of %s: validity boundary", pe->aor);
	pent_reeval(pe);
	rules_schedule(pe);
	mem_deref(pe);
}

static int rules_apply(struct pres *p, const char *owner, const char *xml,
                       size_t len, bool startup)
{
	struct pres_rules *r = NULL;
	struct pent *pe;
	char errbuf[160];
	int err;

	if (xml) {
		errbuf[0] = '\0';
		err = pres_rules_parse(&r, xml, len, errbuf, sizeof(errbuf));
		if (err == EBADMSG) {
			log_warn(NULL,
			         "rules of %s do not parse (%s): domain "
			         "defaults apply",
			         owner, errbuf);
			p->is.rules_bad++;
		} else if (err) {
			return err;
		}
	}
	pe = pres_pent_find(p, owner);
	if (!r && (!pe || !pe->rules))
		return 0;
	err = pres_pent_get(&pe, p, owner);
	if (err) {
		mem_deref(r);
		return err;
	}
	mem_deref(pe->rules);
	pe->rules = r;
	p->is.rules_loaded++;
	if (r)
		log_info(NULL, "rules of %s: %zu rule(s)", owner,
		         pres_rules_count(r));
	else
		log_info(NULL, "rules of %s: none", owner);
	mem_ref(pe);
	rules_schedule(pe);
	if (!startup)
		pent_reeval(pe);
	pres_pent_check(pe);
	mem_deref(pe);
	return 0;
}

/* "invisible=yes" among "key=value" lines. */
static bool settings_invisible(const char *s, size_t len)
{
	struct pl rest = {s, len};

	while (rest.l) {
		struct pl line = rest, key, val;
		const char *nl = pl_strchr(&rest, '\n'), *eq;

		if (nl) {
			line.l = (size_t)(nl - rest.p);
			rest.p = nl + 1;
			rest.l -= line.l + 1;
		} else {
			rest.l = 0;
		}
		eq = pl_strchr(&line, '=');
		if (!eq)
			continue;
		key.p = line.p;
		key.l = (size_t)(eq - line.p);
		val.p = eq + 1;
		val.l = line.l - key.l - 1;
		pl_trim(&key);
		pl_trim(&val);
		if (pl_strcasecmp(&key, "invisible"))
			continue;
		return !pl_strcasecmp(&val, "yes") ||
		       !pl_strcasecmp(&val, "true") ||
		       !pl_strcasecmp(&val, "on") || !pl_strcmp(&val, "1");
	}
	return false;
}

static int settings_apply(struct pres *p, const char *owner, const char *s,
                          size_t len, bool startup)
{
	bool inv = s && settings_invisible(s, len);
	struct pent *pe = pres_pent_find(p, owner);
	int err;

	if ((pe ? pe->invisible : false) == inv)
		return 0;
	err = pres_pent_get(&pe, p, owner);
	if (err)
		return err;
	pe->invisible = inv;
	log_info(NULL, "%s is %s", owner, inv ? "invisible" : "visible");
	mem_ref(pe);
	if (!startup && pe->nsubs)
		notify_views(pe);
	pres_pent_check(pe);
	mem_deref(pe);
	return 0;
}

static int doc_apply(struct pres *p, const struct store_doc *d, bool startup)
{
	if (!d->auid || !d->owner || !d->owner[0] || !d->name ||
	    strcmp(d->name, DOC_NAME))
		return 0;
	if (!strcmp(d->auid, PRES_RULES_AUID))
		return rules_apply(p, d->owner, d->content, d->len, startup);
	if (!strcmp(d->auid, PRES_SETTINGS_AUID))
		return settings_apply(p, d->owner, d->content, d->len, startup);
	return 0;
}

static int doc_h(const struct store_doc *d, bool startup, void *arg)
{
	return doc_apply(arg, d, startup);
}

void pres_rules_changed(struct pres *p, const char *aor)
{
	struct pent *pe = pres_pent_find(p, aor);

	if (!p)
		return;
	if (pe)
		pent_reeval(pe);
	docwatch_poll(p->docs); /* and read the new document */
}

/* --- registrations --- */

static void loc_changed(const char *aor, void *arg)
{
	struct pres *p = arg;
	struct pent *pe = pres_pent_find(p, aor);

	if (!pe || list_count(&pe->pubs))
		return; /* publications hide registration-derived state */
	mem_ref(pe);
	pres_pent_changed(pe);
	mem_deref(pe);
}

/* --- the service --- */

static void pres_destroy(void *data)
{
	struct pres *p = data;

	p->docs = mem_deref(p->docs);
	pres_pub_detach(p);
	if (p->pents) {
		HASH_FOREACH(p->pents, i, le)
			pent_detach(le->data);
	}
	mem_deref(p->pents);
	for (uint32_t i = 0; i < p->n_trusted; i++)
		mem_deref(p->trusted[i]);
	mem_deref(p->trusted_s);
	mem_deref(p->st);
	mem_deref(p->tl);
}

/* "calendar@Example.COM, gw@example.com" -> entries with lower-case
 * hosts. */
static int trusted_parse(struct pres *p, const char *s)
{
	struct pl rest;
	int err;

	err = mem_strdup(&p->trusted_s, s ? s : "");
	if (err)
		return err;
	pl_set_str(&rest, p->trusted_s);
	while (rest.l) {
		struct pl item = rest;
		const char *comma = pl_strchr(&rest, ',');
		char *e, *at;

		if (comma) {
			item.l = (size_t)(comma - rest.p);
			rest.p = comma + 1;
			rest.l -= item.l + 1;
		} else {
			rest.l = 0;
		}
		pl_trim(&item);
		if (!item.l)
			continue;
		if (p->n_trusted == PRES_TRUSTED_MAX)
			return E2BIG;
		if (item.l > 4 &&
		    !pl_strcasecmp(&(struct pl){item.p, 4}, "sip:")) {
			item.p += 4;
			item.l -= 4;
		}
		err = pl_strdup(&e, &item);
		if (err)
			return err;
		at = strrchr(e, '@');
		for (char *c = at; c && *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c | 0x20);
		p->trusted[p->n_trusted++] = e;
	}
	return 0;
}

int pres_alloc(struct pres **pp, const struct pres_conf *cf, struct evt *e,
               struct store *st, struct loc *loc, struct tmrl *tl)
{
	static const struct evt_pkg pkg0 = {
	    .name = PKG_NAME,
	    .ctype = PKG_CTYPE,
	    .winfo = true,
	    .subscribe = pkg_subscribe,
	    .body = pkg_body,
	    .ended = pkg_ended,
	};
	static const char *const auids[] = {PRES_RULES_AUID, PRES_SETTINGS_AUID,
	                                    NULL};
	struct evt_pkg pkg = pkg0;
	struct pres *p;
	int err;

	if (!pp || !cf || !e || !st || !loc || !tl)
		return EINVAL;
	if (cf->pub_min_expires > cf->pub_max_expires || !cf->max_pubs)
		return EINVAL;
	p = mem_zalloc(sizeof(*p), pres_destroy);
	if (!p)
		return ENOMEM;
	p->cf = *cf;
	if (p->cf.pub_default_expires > p->cf.pub_max_expires)
		p->cf.pub_default_expires = p->cf.pub_max_expires;
	if (p->cf.pub_default_expires < p->cf.pub_min_expires)
		p->cf.pub_default_expires = p->cf.pub_min_expires;
	p->evt = e;
	p->loc = loc;
	p->st = mem_ref(st);
	p->tl = mem_ref(tl);
	list_init(&p->reqs);
	err = trusted_parse(p, cf->trusted);
	if (err)
		goto out;
	p->cf.trusted = p->trusted_s;
	err = hash_alloc(&p->pents, 1024);
	if (err)
		goto out;

	/* documents first, then they are followed by polling */
	err = docwatch_alloc(&p->docs, st, tl, cf->rules_poll_ms, auids, doc_h,
	                     p);
	if (!err)
		err = pres_pub_load(p);
	if (err)
		goto out;

	pkg.default_expires = cf->sub_default_expires;
	pkg.arg = p;
	err = evt_pkg_register(e, &pkg);
	if (!err)
		err = loc_watch(loc, loc_changed, p);
	if (err)
		goto out;
	log_info(NULL, "presence: %u presentit%s, %u publication(s)",
	         (unsigned)hash_count(p->pents),
	         hash_count(p->pents) == 1 ? "y" : "ies", p->npubs);
out:
	if (err)
		mem_deref(p);
	else
		*pp = p;
	return err;
}

void pres_stats_get(const struct pres *p, struct pres_stats *s)
{
	if (!s)
		return;
	memset(s, 0, sizeof(*s));
	if (!p)
		return;
	s->presentities = (uint32_t)hash_count(p->pents);
	s->publications = p->npubs;
	s->notifies_composed = p->notifies;
}

void pres_istats_get(const struct pres *p, struct pres_istats *s)
{
	if (!s)
		return;
	memset(s, 0, sizeof(*s));
	if (p)
		*s = p->is;
}
