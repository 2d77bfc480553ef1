/* proxy/domain.c - local domains and our own addresses (RFC 3261 16.4) */
#include <errno.h>
#include <ifaddrs.h>
#include <string.h>

#define LOG_MODULE "proxy.dom"

#include "../base/hash.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../store/store.h"
#include "domain.h"

enum {
	DOM_BUCKETS = 64,
	DOM_MAX = 253, /* longest DNS name */
};

struct dom {
	struct store *st;   /* may be NULL */
	struct hash *names; /* struct dom_ent by name */
	struct list order;  /* configured (dom_add) first, then stored */
	struct list selfs;  /* struct self_ent */
};

struct dom_ent {
	struct le he;
	struct le le;
	bool stored; /* came from the store (dropped by dom_reload) */
	char name[];
};

struct self_ent {
	struct le le;
	struct sa addr;
};

static void ent_destroy(void *data)
{
	struct dom_ent *e = data;

	hash_unlink(&e->he);
	list_unlink(&e->le);
}

static void dom_destroy(void *data)
{
	struct dom *d = data;

	hash_flush(d->names);
	d->names = mem_deref(d->names);
	list_flush(&d->selfs);
	d->st = mem_deref(d->st);
}

/* Lower case, without a trailing dot. EINVAL if empty or too long. */
static int canon(char *out, size_t size, const struct pl *in)
{
	size_t n = in ? in->l : 0, i;

	if (n && in->p[n - 1] == '.')
		n--;
	if (!n || n > DOM_MAX || n >= size)
		return EINVAL;
	for (i = 0; i < n; i++) {
		char c = in->p[i];

		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	out[n] = '\0';
	return 0;
}

static bool ent_cmp(struct le *le, void *arg)
{
	const struct dom_ent *e = le->data;

	return !strcmp(e->name, arg);
}

static uint32_t name_hash(const char *name)
{
	return str_hash_ci(name);
}

static struct dom_ent *ent_find(const struct dom *d, const char *name)
{
	struct le *le;

	le = hash_lookup(d->names, name_hash(name), ent_cmp, (void *)name);
	return le ? le->data : NULL;
}

static int ent_add(struct dom *d, const char *domain, bool stored)
{
	char name[DOM_MAX + 1];
	struct dom_ent *e;
	struct pl pl;
	size_t n;

	pl_set_str(&pl, domain);
	if (canon(name, sizeof(name), &pl))
		return EINVAL;
	e = ent_find(d, name);
	if (e) {
		if (!stored)
			e->stored =
			    false; /* configured now: survives reloads */
		return 0;
	}
	n = strlen(name) + 1;
	e = mem_zalloc(sizeof(*e) + n, ent_destroy);
	if (!e)
		return ENOMEM;
	memcpy(e->name, name, n);
	e->stored = stored;
	hash_append(d->names, name_hash(e->name), &e->he, e);
	if (stored) {
		list_append(&d->order, &e->le, e);
	} else {
		/* after the last configured one */
		struct le *at = d->order.head, *last = NULL;

		while (at && !((struct dom_ent *)at->data)->stored) {
			last = at;
			at = at->next;
		}
		if (last)
			list_insert_after(&d->order, last, &e->le, e);
		else
			list_prepend(&d->order, &e->le, e);
	}
	return 0;
}

struct load_ctx {
	struct dom *d;
	int err;
};

static void load_h(const char *domain, void *arg)
{
	struct load_ctx *lc = arg;
	int err;

	if (lc->err)
		return;
	err = ent_add(lc->d, domain, true);
	if (err == EINVAL)
		log_warn(NULL, "ignoring stored domain \"%s\"", domain);
	else
		lc->err = err;
}

static int load(struct dom *d)
{
	struct load_ctx lc = {d, 0};
	int err;

	if (!d->st)
		return 0;
	err = store_domain_list(d->st, load_h, &lc);
	return err ? err : lc.err;
}

int dom_alloc(struct dom **dp, struct store *st)
{
	struct dom *d;
	int err;

	if (!dp)
		return EINVAL;
	d = mem_zalloc(sizeof(*d), dom_destroy);
	if (!d)
		return ENOMEM;
	list_init(&d->order);
	list_init(&d->selfs);
	d->st = mem_ref(st);
	err = hash_alloc(&d->names, DOM_BUCKETS);
	if (err)
		goto out;
	err = load(d);

out:
	if (err)
		mem_deref(d);
	else
		*dp = d;
	return err;
}

int dom_add(struct dom *d, const char *domain)
{
	if (!d || !domain)
		return EINVAL;
	return ent_add(d, domain, false);
}

int dom_reload(struct dom *d)
{
	struct list old = LIST_INIT;
	int err;

	if (!d)
		return EINVAL;
	/* set the stored entries aside; put them back if loading fails */
	LIST_FOREACH(&d->order, le) {
		struct dom_ent *e = le->data;

		if (!e->stored)
			continue;
		list_unlink(&e->le);
		hash_unlink(&e->he);
		list_append(&old, &e->le, e);
	}
	err = load(d);
	if (err) {
		LIST_FOREACH(&d->order, le) {
			if (((struct dom_ent *)le->data)->stored)
				mem_deref(le->data);
		}
		LIST_FOREACH(&old, le) {
			struct dom_ent *e = le->data;

			list_unlink(&e->le);
			list_append(&d->order, &e->le, e);
			hash_append(d->names, name_hash(e->name), &e->he, e);
		}
		return err;
	}
	list_flush(&old);
	return 0;
}

bool dom_is_local(const struct dom *d, const struct pl *host)
{
	char name[DOM_MAX + 1];

	if (!d || !host)
		return false;
	if (canon(name, sizeof(name), host))
		return false;
	return ent_find(d, name) != NULL;
}

static bool is_any(const struct sa *a)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (sa_af(a) == AF_INET)
		return a->u.in.sin_addr.s_addr == htonl(INADDR_ANY);
	if (sa_af(a) == AF_INET6)
		return !memcmp(&a->u.in6.sin6_addr, &any6, sizeof(any6));
	return false;
}

static int self_add(struct dom *d, const struct sa *addr)
{
	struct self_ent *s;

	LIST_FOREACH(&d->selfs, le) {
		if (sa_cmp(&((struct self_ent *)le->data)->addr, addr))
			return 0;
	}
	s = mem_zalloc(sizeof(*s), NULL);
	if (!s)
		return ENOMEM;
	s->addr = *addr;
	list_append(&d->selfs, &s->le, s);
	return 0;
}

/* A wildcard listener is reachable on every interface address of its
 * family: list them. */
static int self_add_any(struct dom *d, const struct sa *addr)
{
	struct ifaddrs *ifa = NULL;
	int err = 0;

	if (getifaddrs(&ifa)) {
		struct sa lo;

		err = sa_set_str(&lo,
		                 sa_af(addr) == AF_INET6 ? "::1" : "127.0.0.1",
		                 sa_port(addr));
		return err ? err : self_add(d, &lo);
	}
	for (struct ifaddrs *i = ifa; i && !err; i = i->ifa_next) {
		struct sa a;

		if (!i->ifa_addr || i->ifa_addr->sa_family != sa_af(addr))
			continue;
		sa_init(&a, sa_af(addr));
		if (sa_af(addr) == AF_INET) {
			memcpy(&a.u.in, i->ifa_addr, sizeof(a.u.in));
			a.len = sizeof(a.u.in);
		} else {
			memcpy(&a.u.in6, i->ifa_addr, sizeof(a.u.in6));
			a.len = sizeof(a.u.in6);
		}
		sa_set_port(&a, sa_port(addr));
		err = self_add(d, &a);
	}
	freeifaddrs(ifa);
	return err;
}

int dom_add_self(struct dom *d, const struct sa *addr)
{
	int err;

	if (!d || !addr || !sa_isset(addr))
		return EINVAL;
	err = self_add(d, addr);
	if (!err && is_any(addr))
		err = self_add_any(d, addr);
	return err;
}

bool dom_is_self(const struct dom *d, const struct pl *host, uint16_t port)
{
	struct sa a;

	if (!d || !pl_isset(host))
		return false;
	if (sa_set_pl(&a, host, port))
		return false; /* a name: see dom_is_local */
	LIST_FOREACH(&d->selfs, le) {
		const struct sa *s = &((struct self_ent *)le->data)->addr;

		if (!sa_cmp_addr(s, &a))
			continue;
		if (!port || sa_port(s) == port)
			return true;
	}
	return false;
}

const char *dom_default(const struct dom *d)
{
	const struct dom_ent *e;

	if (!d)
		return NULL;
	e = list_ledata(list_head(&d->order));
	return e ? e->name : NULL;
}
