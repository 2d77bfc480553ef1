/* presence/regevent.c - the reg event package as a notifier (RFC 3680 3,
 * 4, 5) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "pres.reg"

#include "../base/log.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "../event/evt.h"
#include "../proxy/location.h"
#include "regevent.h"
#include "reginfo.h"

enum {
	CID_LEN = 10, /* hex digits of a contact id */
	RID_LEN = 8,  /* hex digits of a registration id */
	AOR_MAX = 520,
};

/*
 * Lifetime: there is neither an evt_pkg_unregister nor a loc_unwatch, so
 * evt keeps a pointer to us (package arg) and loc one to evt (watcher
 * arg). We hold a reference to both and drop evt first in our
 * destructor: its subscriptions end (ended runs) while we are still
 * whole. So the caller releases evt and loc before releasing us, and
 * loc's last change comes before evt goes.
 */
struct regevent {
	struct evt *e;   /* reference */
	struct loc *loc; /* reference */
};

/* What a subscriber was last told about one contact. */
struct snap_ent {
	char id[CID_LEN + 1];
	uint64_t expires; /* absolute wall-clock seconds */
	uint32_t cseq;
	uint32_t q;
	uint32_t reg_id;
	const char *uri; /* packed behind the entries */
	const char *instance;
	const char *callid;
};

/* evt_sub_data of a subscription: the contacts of its last NOTIFY. */
struct snap {
	size_t n;
	struct snap_ent e[];
};

static void regevent_destroy(void *data)
{
	struct regevent *r = data;

	r->e = mem_deref(r->e);
	r->loc = mem_deref(r->loc);
}

/* "user@domain" (the resource, the authenticated identity): equal users,
 * domains equal but for case. */
static bool same_aor(const char *a, const char *b)
{
	const char *ata = strrchr(a, '@'), *atb = strrchr(b, '@');

	if (!ata || !atb || ata - a != atb - b)
		return false;
	return !strncmp(a, b, (size_t)(ata - a)) && !strcasecmp(ata, atb);
}

static int subscribe_h(struct evt_sub *sub, bool restored, void *arg)
{
	const char *ident = evt_sub_ident(sub), *res = evt_sub_resource(sub);

	(void)arg;
	/* a restored subscription without a stored identity passed this
	 * check when it was made */
	if ((ident && res && same_aor(ident, res)) || (restored && !ident))
		return evt_sub_accept(sub, EVT_ACTIVE);
	log_info(NULL, "reg subscription to %s by %s refused", res ? res : "",
	         ident ? ident : "(unauthenticated)");
	return evt_sub_reject(sub, 403, NULL, EVT_REASON_REJECTED);
}

static void contact_id(char *id, const struct loc_binding *b)
{
	char key[1024], hex[33];
	int n;

	n = snprintf(key, sizeof(key), "%s\n%s\n%u", b->contact, b->instance,
	             b->reg_id);
	if (n < 0)
		n = 0;
	md5_hex(hex, key, (size_t)n < sizeof(key) ? (size_t)n : sizeof(key));
	memcpy(id, hex, CID_LEN);
	id[CID_LEN] = '\0';
}

static size_t slen(const char *s)
{
	return (s ? strlen(s) : 0) + 1;
}

static const char *scopy(char **pos, const char *s)
{
	char *d = *pos;
	size_t n = slen(s);

	if (s)
		memcpy(d, s, n);
	else
		d[0] = '\0';
	*pos += n;
	return d;
}

/* The snapshot of the bindings in bl (NULL: none). */
static int snap_alloc(struct snap **sp, const struct list *bl)
{
	size_t n = 0, sz = 0, i = 0;
	struct snap *s;
	char *pos;

	if (bl) {
		LIST_FOREACH(bl, le) {
			const struct loc_binding *b = le->data;

			sz += slen(b->contact) + slen(b->instance) +
			      slen(b->callid);
			n++;
		}
	}
	s = mem_zalloc(sizeof(*s) + n * sizeof(s->e[0]) + sz, NULL);
	if (!s)
		return ENOMEM;
	s->n = n;
	pos = (char *)&s->e[n];
	if (bl) {
		LIST_FOREACH(bl, le) {
			const struct loc_binding *b = le->data;
			struct snap_ent *e = &s->e[i++];

			contact_id(e->id, b);
			e->expires = b->expires;
			e->cseq = b->cseq;
			e->q = b->q;
			e->reg_id = b->reg_id;
			e->uri = scopy(&pos, b->contact);
			e->instance = scopy(&pos, b->instance);
			e->callid = scopy(&pos, b->callid);
		}
	}
	*sp = s;
	return 0;
}

static const struct snap_ent *snap_find(const struct snap *s, const char *id)
{
	size_t i;

	for (i = 0; s && i < s->n; i++) {
		if (!strcmp(s->e[i].id, id))
			return &s->e[i];
	}
	return NULL;
}

static void contact_fill(struct reginfo_contact *c, const struct snap_ent *e,
                         uint64_t now, bool active, const char *event)
{
	uint64_t left = e->expires > now ? e->expires - now : 1;

	memset(c, 0, sizeof(*c));
	c->id = e->id;
	c->state = active ? "active" : "terminated";
	c->event = event;
	c->uri = e->uri;
	c->expires = active ? (uint32_t)MIN(left, UINT32_MAX) : 0;
	c->q = e->q;
	c->callid = e->callid[0] ? e->callid : NULL;
	c->cseq = e->cseq;
	c->instance = e->instance[0] ? e->instance : NULL;
	c->reg_id = e->reg_id;
}

/* The contacts of a NOTIFY: every current one (full), or those that
 * changed since old (partial). Returns the count. */
static size_t contacts_fill(struct reginfo_contact *cv, const struct snap *cur,
                            const struct snap *old, bool full, uint64_t now)
{
	size_t n = 0, i;

	for (i = 0; i < cur->n; i++) {
		const struct snap_ent *e = &cur->e[i], *o;
		const char *ev = "registered";

		o = full ? NULL : snap_find(old, e->id);
		if (o && o->expires == e->expires && o->cseq == e->cseq)
			continue; /* unchanged */
		if (o)
			ev =
			    e->expires < o->expires ? "shortened" : "refreshed";
		contact_fill(&cv[n++], e, now, true, ev);
	}
	for (i = 0; !full && old && i < old->n; i++) {
		const struct snap_ent *o = &old->e[i];

		if (snap_find(cur, o->id))
			continue;
		contact_fill(&cv[n++], o, now, false,
		             o->expires <= now ? "expired" : "unregistered");
	}
	return n;
}

static int body_h(struct evt_sub *sub, bool full, struct buf **bodyp,
                  char *ctype, size_t ctype_size, void *arg)
{
	struct regevent *r = arg;
	const char *key = evt_sub_resource(sub);
	const struct snap *old = evt_sub_data(sub);
	struct reginfo_contact *cv = NULL;
	struct snap *cur = NULL;
	struct reginfo_reg reg;
	char aor[AOR_MAX], rid[33];
	uint64_t now;
	int err;

	(void)ctype;
	(void)ctype_size;
	if (!key ||
	    snprintf(aor, sizeof(aor), "sip:%s", key) >= (int)sizeof(aor))
		return EINVAL;
	if (!old)
		full = true; /* nothing told yet (or restored): all of it */
	now = loc_wallclock(r->loc);

	err = snap_alloc(&cur, loc_find(r->loc, key));
	if (err)
		return err;
	cv = mem_zalloc((cur->n + (full ? 0 : old->n) + 1) * sizeof(*cv), NULL);
	if (!cv) {
		err = ENOMEM;
		goto out;
	}

	md5_hex(rid, key, strlen(key));
	rid[RID_LEN] = '\0';
	memset(&reg, 0, sizeof(reg));
	reg.aor = aor;
	reg.id = rid;
	reg.contacts = cv;
	reg.n = contacts_fill(cv, cur, old, full, now);
	if (cur->n)
		reg.state = "active";
	else if (!full && old->n)
		reg.state = "terminated"; /* the last contact went */
	else
		reg.state = "init";

	err = reginfo_doc_build(bodyp, evt_sub_version(sub), full, &reg, 1);
	if (err)
		goto out;
	/* old is dropped here: not used below */
	evt_sub_set_data(sub, cur);
out:
	mem_deref(cv);
	mem_deref(cur);
	return err;
}

static void ended_h(struct evt_sub *sub, void *arg)
{
	(void)arg;
	evt_sub_set_data(sub, NULL);
}

/* arg: the evt (borrowed) */
static void change_h(const char *aor, void *arg)
{
	evt_notify_resource(arg, "reg", aor, false);
}

int regevent_alloc(struct regevent **rp, struct evt *e, struct loc *loc)
{
	struct evt_pkg pkg;
	struct regevent *r;
	int err;

	if (!rp || !e || !loc)
		return EINVAL;
	r = mem_zalloc(sizeof(*r), regevent_destroy);
	if (!r)
		return ENOMEM;
	r->e = mem_ref(e);
	r->loc = mem_ref(loc);

	memset(&pkg, 0, sizeof(pkg));
	pkg.name = "reg";
	pkg.ctype = REGINFO_CTYPE;
	pkg.default_expires = 3600;
	pkg.winfo = true;
	pkg.subscribe = subscribe_h;
	pkg.body = body_h;
	pkg.ended = ended_h;
	pkg.arg = r;
	/* loc's watcher needs only evt, which lives at least as long as we
	 * do: so a failed package registration leaves a harmless watcher,
	 * not a dangling one */
	err = loc_watch(loc, change_h, e);
	if (!err)
		err = evt_pkg_register(e, &pkg);
	if (err) {
		mem_deref(r);
		return err;
	}
	*rp = r;
	return 0;
}
