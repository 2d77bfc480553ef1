/* store/store_mem.c - in-memory store backend ("mem:", for tests) */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "base/list.h"
#include "base/mem.h"
#include "store_int.h"

/* Same ordering and case rules as the SQLite backend: domains compare
 * case-insensitively (ASCII), users and AoRs exactly. Lists are kept
 * sorted so listings come out in the same order. */
struct mstore {
	struct list domains; /* struct mdom, by name */
	struct list users;   /* struct muser, by domain then user */
	struct list aors;    /* struct maor, by aor */
	struct list docs;    /* struct mdoc, by seq */
	struct list pubs;    /* struct mpub */
	struct list subs;    /* struct msub */
	uint64_t seq;        /* the last change sequence */
};

struct mdom {
	struct le le;
	char name[128];
};

struct muser {
	struct le le;
	struct store_user u;
};

struct maor {
	struct le le;
	const char *aor;
	uint32_t n;
	struct store_binding *b; /* packed after the struct */
};

/* Each of these is one block: the struct, then its strings. */
struct mdoc {
	struct le le;
	struct store_doc d;
};

struct mpub {
	struct le le;
	struct store_pub p;
};

struct msub {
	struct le le;
	struct store_sub s;
};

static void elem_destroy(void *data)
{
	struct mdom *d = data; /* every element starts with its le */

	list_unlink(&d->le);
}

static struct mdom *dom_find(struct mstore *ms, const char *name)
{
	LIST_FOREACH(&ms->domains, le) {
		struct mdom *d = le->data;

		if (!strcasecmp(d->name, name))
			return d;
	}
	return NULL;
}

static int user_cmp(const char *user, const char *domain,
                    const struct store_user *u)
{
	int c = strcasecmp(domain, u->domain);

	return c ? c : strcmp(user, u->user);
}

static struct muser *user_find(struct mstore *ms, const char *user,
                               const char *domain)
{
	LIST_FOREACH(&ms->users, le) {
		struct muser *mu = le->data;

		if (!user_cmp(user, domain, &mu->u))
			return mu;
	}
	return NULL;
}

static struct maor *aor_find(struct mstore *ms, const char *aor)
{
	LIST_FOREACH(&ms->aors, le) {
		struct maor *ma = le->data;

		if (!strcmp(ma->aor, aor))
			return ma;
	}
	return NULL;
}

static void mstore_destroy(void *data)
{
	struct mstore *ms = data;

	list_flush(&ms->domains);
	list_flush(&ms->users);
	list_flush(&ms->aors);
	list_flush(&ms->docs);
	list_flush(&ms->pubs);
	list_flush(&ms->subs);
}

static int m_open(struct store *st, const char *arg)
{
	struct mstore *ms;

	if (*arg)
		return EINVAL; /* "mem:" takes no argument */
	ms = mem_zalloc(sizeof(*ms), mstore_destroy);
	if (!ms)
		return ENOMEM;
	list_init(&ms->domains);
	list_init(&ms->users);
	list_init(&ms->aors);
	list_init(&ms->docs);
	list_init(&ms->pubs);
	list_init(&ms->subs);
	st->bed = ms;
	return 0;
}

static void m_close(struct store *st)
{
	st->bed = mem_deref(st->bed);
}

static int m_schema_version(struct store *st)
{
	(void)st;
	return STORE_SCHEMA_VERSION;
}

static int m_domain_add(struct store *st, const char *domain)
{
	struct mstore *ms = st->bed;
	struct mdom *d;

	if (dom_find(ms, domain))
		return EEXIST;
	d = mem_zalloc(sizeof(*d), elem_destroy);
	if (!d)
		return ENOMEM;
	strcpy(d->name, domain); /* length checked by store.c */

	LIST_FOREACH(&ms->domains, le) {
		struct mdom *o = le->data;

		if (strcasecmp(domain, o->name) < 0) {
			list_insert_before(&ms->domains, le, &d->le, d);
			return 0;
		}
	}
	list_append(&ms->domains, &d->le, d);
	return 0;
}

static int m_domain_remove(struct store *st, const char *domain)
{
	struct mstore *ms = st->bed;
	struct mdom *d = dom_find(ms, domain);

	if (!d)
		return ENOENT;
	/* the domain's users go with it */
	LIST_FOREACH(&ms->users, le) {
		struct muser *mu = le->data;

		if (!strcasecmp(mu->u.domain, domain))
			mem_deref(mu);
	}
	mem_deref(d);
	return 0;
}

static int m_domain_exists(struct store *st, const char *domain, bool *ex)
{
	*ex = dom_find(st->bed, domain) != NULL;
	return 0;
}

static int m_domain_list(struct store *st, store_domain_h *h, void *arg)
{
	struct mstore *ms = st->bed;

	LIST_FOREACH(&ms->domains, le) {
		struct mdom *d = le->data;

		h(d->name, arg);
	}
	return 0;
}

static int m_user_add(struct store *st, const struct store_user *u)
{
	struct mstore *ms = st->bed;
	struct muser *mu;

	if (!dom_find(ms, u->domain))
		return ENOENT;
	if (user_find(ms, u->user, u->domain))
		return EEXIST;
	mu = mem_zalloc(sizeof(*mu), elem_destroy);
	if (!mu)
		return ENOMEM;
	mu->u = *u;

	LIST_FOREACH(&ms->users, le) {
		struct muser *o = le->data;

		if (user_cmp(u->user, u->domain, &o->u) < 0) {
			list_insert_before(&ms->users, le, &mu->le, mu);
			return 0;
		}
	}
	list_append(&ms->users, &mu->le, mu);
	return 0;
}

static int m_user_update(struct store *st, const struct store_user *u)
{
	struct muser *mu = user_find(st->bed, u->user, u->domain);

	if (!mu)
		return ENOENT;
	/* keys keep their stored spelling, like an SQL UPDATE */
	memcpy(mu->u.ha1_md5, u->ha1_md5, sizeof(mu->u.ha1_md5));
	memcpy(mu->u.ha1_sha256, u->ha1_sha256, sizeof(mu->u.ha1_sha256));
	mu->u.enabled = u->enabled;
	return 0;
}

static int m_user_remove(struct store *st, const char *user, const char *domain)
{
	struct muser *mu = user_find(st->bed, user, domain);

	if (!mu)
		return ENOENT;
	mem_deref(mu);
	return 0;
}

static int m_user_get(struct store *st, const char *user, const char *domain,
                      struct store_user *u)
{
	struct muser *mu = user_find(st->bed, user, domain);

	if (!mu)
		return ENOENT;
	*u = mu->u;
	return 0;
}

static int m_user_list(struct store *st, const char *domain, store_user_h *h,
                       void *arg)
{
	struct mstore *ms = st->bed;

	LIST_FOREACH(&ms->users, le) {
		struct muser *mu = le->data;

		if (!domain || !strcasecmp(domain, mu->u.domain))
			h(&mu->u, arg);
	}
	return 0;
}

static int m_reg_replace(struct store *st, const char *aor,
                         const struct store_binding *b, uint32_t n)
{
	struct mstore *ms = st->bed;
	struct maor *old = aor_find(ms, aor), *ma;

	if (!n) {
		mem_deref(old);
		return 0;
	}
	ma = mem_zalloc(sizeof(*ma) + store_bindings_size(aor, b, n),
	                elem_destroy);
	if (!ma)
		return ENOMEM; /* the old bindings stay, as after a rollback */
	ma->n = n;
	ma->b = (struct store_binding *)(ma + 1);
	ma->aor = store_bindings_pack(ma->b, aor, b, n);
	mem_deref(old);

	LIST_FOREACH(&ms->aors, le) {
		struct maor *o = le->data;

		if (strcmp(aor, o->aor) < 0) {
			list_insert_before(&ms->aors, le, &ma->le, ma);
			return 0;
		}
	}
	list_append(&ms->aors, &ma->le, ma);
	return 0;
}

static int m_reg_list(struct store *st, const char *aor, store_binding_h *h,
                      void *arg)
{
	struct mstore *ms = st->bed;

	LIST_FOREACH(&ms->aors, le) {
		struct maor *ma = le->data;

		if (aor && strcmp(aor, ma->aor))
			continue;
		for (uint32_t i = 0; i < ma->n; i++)
			h(&ma->b[i], arg);
	}
	return 0;
}

/* ---- documents: kept in sequence order (every change moves one to the
 * end), tombstones included ---- */

static struct mdoc *doc_find(struct mstore *ms, const char *auid,
                             const char *owner, const char *name)
{
	LIST_FOREACH(&ms->docs, le) {
		struct mdoc *md = le->data;

		if (!strcmp(md->d.auid, auid) && !strcmp(md->d.owner, owner) &&
		    !strcmp(md->d.name, name))
			return md;
	}
	return NULL;
}

/* Replace old (if any) by a copy of d with the next sequence. */
static int doc_set(struct mstore *ms, struct mdoc *old,
                   const struct store_doc *d, uint64_t *seqp)
{
	struct mdoc *md;

	md = mem_zalloc(sizeof(*md) + store_doc_strsize(d), elem_destroy);
	if (!md)
		return ENOMEM; /* old stays, as after a rollback */
	store_doc_pack(&md->d, d, (char *)(md + 1));
	md->d.seq = ++ms->seq;
	mem_deref(old);
	list_append(&ms->docs, &md->le, md);
	if (seqp)
		*seqp = md->d.seq;
	return 0;
}

static int m_doc_put(struct store *st, const struct store_doc *d, uint64_t *seq)
{
	struct mstore *ms = st->bed;

	return doc_set(ms, doc_find(ms, d->auid, d->owner, d->name), d, seq);
}

static int m_doc_delete(struct store *st, const char *auid, const char *owner,
                        const char *name, uint64_t mtime_ms)
{
	struct mstore *ms = st->bed;
	struct mdoc *old = doc_find(ms, auid, owner, name);
	struct store_doc t;

	if (!old || !old->d.content)
		return ENOENT;
	t = old->d;
	t.etag = "";
	t.content = NULL;
	t.len = 0;
	t.mtime_ms = mtime_ms;
	return doc_set(ms, old, &t, NULL);
}

static int m_doc_get(struct store *st, const char *auid, const char *owner,
                     const char *name, store_doc_h *h, void *arg)
{
	struct mdoc *md = doc_find(st->bed, auid, owner, name);

	if (!md || !md->d.content)
		return ENOENT;
	h(&md->d, arg);
	return 0;
}

static int m_doc_list(struct store *st, const char *auid, const char *owner,
                      store_doc_h *h, void *arg)
{
	struct mstore *ms = st->bed;

	LIST_FOREACH(&ms->docs, le) {
		struct mdoc *md = le->data;

		if (!md->d.content || (auid && strcmp(auid, md->d.auid)) ||
		    (owner && strcmp(owner, md->d.owner)))
			continue;
		h(&md->d, arg);
	}
	return 0;
}

static int m_doc_seq(struct store *st, uint64_t *seq)
{
	*seq = ((struct mstore *)st->bed)->seq;
	return 0;
}

static int m_doc_changes(struct store *st, uint64_t since, uint32_t max,
                         store_doc_h *h, void *arg)
{
	struct mstore *ms = st->bed;
	uint32_t n = 0;

	LIST_FOREACH(&ms->docs, le) {
		struct mdoc *md = le->data;

		if (n == max)
			break;
		if (md->d.seq <= since)
			continue;
		h(&md->d, arg);
		n++;
	}
	return 0;
}

/* ---- publications and subscriptions: insertion order ---- */

static struct mpub *pub_find(struct mstore *ms, const char *etag)
{
	LIST_FOREACH(&ms->pubs, le) {
		struct mpub *mp = le->data;

		if (!strcmp(mp->p.etag, etag))
			return mp;
	}
	return NULL;
}

static int m_pub_put(struct store *st, const struct store_pub *p,
                     const char *old_etag)
{
	struct mstore *ms = st->bed;
	struct mpub *mp;

	mp = mem_zalloc(sizeof(*mp) + store_pub_strsize(p), elem_destroy);
	if (!mp)
		return ENOMEM;
	store_pub_pack(&mp->p, p, (char *)(mp + 1));
	if (old_etag)
		mem_deref(pub_find(ms, old_etag));
	mem_deref(pub_find(ms, mp->p.etag));
	list_append(&ms->pubs, &mp->le, mp);
	return 0;
}

static int m_pub_delete(struct store *st, const char *etag)
{
	mem_deref(pub_find(st->bed, etag));
	return 0;
}

static int m_pub_list(struct store *st, store_pub_h *h, void *arg)
{
	struct mstore *ms = st->bed;

	LIST_FOREACH(&ms->pubs, le) {
		struct mpub *mp = le->data;

		h(&mp->p, arg);
	}
	return 0;
}

static struct msub *sub_find(struct mstore *ms, const char *id)
{
	LIST_FOREACH(&ms->subs, le) {
		struct msub *mb = le->data;

		if (!strcmp(mb->s.id, id))
			return mb;
	}
	return NULL;
}

static int m_sub_put(struct store *st, const struct store_sub *s)
{
	struct mstore *ms = st->bed;
	struct msub *mb;

	mb = mem_zalloc(sizeof(*mb) + store_sub_strsize(s), elem_destroy);
	if (!mb)
		return ENOMEM;
	store_sub_pack(&mb->s, s, (char *)(mb + 1));
	mem_deref(sub_find(ms, s->id));
	list_append(&ms->subs, &mb->le, mb);
	return 0;
}

static int m_sub_delete(struct store *st, const char *id)
{
	mem_deref(sub_find(st->bed, id));
	return 0;
}

static int m_sub_list(struct store *st, store_sub_h *h, void *arg)
{
	struct mstore *ms = st->bed;

	LIST_FOREACH(&ms->subs, le) {
		struct msub *mb = le->data;

		h(&mb->s, arg);
	}
	return 0;
}

const struct store_be store_be_mem = {
    .scheme = "mem",
    .open = m_open,
    .close = m_close,
    .schema_version = m_schema_version,
    .domain_add = m_domain_add,
    .domain_remove = m_domain_remove,
    .domain_exists = m_domain_exists,
    .domain_list = m_domain_list,
    .user_add = m_user_add,
    .user_update = m_user_update,
    .user_remove = m_user_remove,
    .user_get = m_user_get,
    .user_list = m_user_list,
    .reg_replace = m_reg_replace,
    .reg_list = m_reg_list,
    .doc_put = m_doc_put,
    .doc_delete = m_doc_delete,
    .doc_get = m_doc_get,
    .doc_list = m_doc_list,
    .doc_seq = m_doc_seq,
    .doc_changes = m_doc_changes,
    .pub_put = m_pub_put,
    .pub_delete = m_pub_delete,
    .pub_list = m_pub_list,
    .sub_put = m_sub_put,
    .sub_delete = m_sub_delete,
    .sub_list = m_sub_list,
    .submit = NULL,
    .drain = NULL,
};
