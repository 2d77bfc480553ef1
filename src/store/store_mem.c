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
	struct list msgs;    /* struct mmsg, by id */
	struct list archs;   /* struct march, by time_ms then id */
	uint64_t seq;        /* the last change sequence */
	uint64_t msg_id;     /* the last message id given out */
	uint64_t arch_id;    /* the last archive id given out */
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

struct mmsg {
	struct le le;
	struct store_msg m;
};

struct march {
	struct le le;
	struct store_arch a;
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
	list_flush(&ms->msgs);
	list_flush(&ms->archs);
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
	list_init(&ms->msgs);
	list_init(&ms->archs);
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

/* ---- deferred messages: kept in id order; ids only go up ---- */

static struct mmsg *msg_find(struct mstore *ms, uint64_t id)
{
	LIST_FOREACH(&ms->msgs, le) {
		struct mmsg *mm = le->data;

		if (mm->m.id == id)
			return mm;
	}
	return NULL;
}

static int m_msg_put(struct store *st, const struct store_msg *m,
                     uint32_t max_msgs, uint64_t max_bytes, uint64_t *id)
{
	struct mstore *ms = st->bed;
	struct mmsg *mm;
	uint64_t bytes = 0;
	uint32_t n = 0;

	LIST_FOREACH(&ms->msgs, le) {
		struct mmsg *o = le->data;

		if (!strcmp(o->m.owner, m->owner)) {
			n++;
			bytes += o->m.len;
		}
	}
	if (max_msgs && n >= max_msgs)
		return EDQUOT;
	if (max_bytes && (bytes > max_bytes || m->len > max_bytes - bytes))
		return EDQUOT;
	mm = mem_zalloc(sizeof(*mm) + store_msg_strsize(m), elem_destroy);
	if (!mm)
		return ENOMEM;
	store_msg_pack(&mm->m, m, (char *)(mm + 1));
	mm->m.id = ++ms->msg_id;
	list_append(&ms->msgs, &mm->le, mm);
	*id = mm->m.id;
	return 0;
}

static int m_msg_list(struct store *st, const char *owner, uint64_t after_id,
                      uint32_t max, store_msg_h *h, void *arg)
{
	struct mstore *ms = st->bed;
	uint32_t n = 0;

	LIST_FOREACH(&ms->msgs, le) {
		struct mmsg *mm = le->data;

		if (max && n == max)
			break;
		if (mm->m.id <= after_id ||
		    (owner && strcmp(owner, mm->m.owner)))
			continue;
		h(&mm->m, arg);
		n++;
	}
	return 0;
}

static int m_msg_delete(struct store *st, uint64_t id)
{
	struct mmsg *mm = msg_find(st->bed, id);

	if (!mm)
		return ENOENT;
	mem_deref(mm);
	return 0;
}

static int m_msg_tried(struct store *st, uint64_t id)
{
	struct mmsg *mm = msg_find(st->bed, id);

	if (!mm)
		return ENOENT;
	mm->m.attempts++;
	return 0;
}

static int m_msg_owners(struct store *st, store_msg_owner_h *h, void *arg)
{
	struct mstore *ms = st->bed;
	const char *last = NULL;

	/* owner by owner in byte order, like GROUP BY owner ORDER BY owner:
	 * no allocation, quadratic, fine for tests */
	for (;;) {
		const char *owner = NULL;
		uint64_t bytes = 0;
		uint32_t n = 0;

		LIST_FOREACH(&ms->msgs, le) {
			struct mmsg *mm = le->data;

			if ((!last || strcmp(mm->m.owner, last) > 0) &&
			    (!owner || strcmp(mm->m.owner, owner) < 0))
				owner = mm->m.owner;
		}
		if (!owner)
			return 0;
		LIST_FOREACH(&ms->msgs, le) {
			struct mmsg *mm = le->data;

			if (!strcmp(mm->m.owner, owner)) {
				n++;
				bytes += mm->m.len;
			}
		}
		h(owner, n, bytes, arg);
		last = owner;
	}
}

static int m_msg_expire(struct store *st, uint64_t now_s, uint32_t max,
                        struct store_rows *out)
{
	struct mstore *ms = st->bed;
	uint32_t n = 0;

	LIST_FOREACH(&ms->msgs, le) {
		struct mmsg *mm = le->data;

		if (n == max)
			break;
		if (mm->m.expires < now_s) {
			store_msgbuf_add(&mm->m, out);
			n++;
		}
	}
	if (out->err)
		return out->err; /* nothing removed, as after a rollback */
	LIST_FOREACH(&ms->msgs, le) {
		struct mmsg *mm = le->data;

		if (!n)
			break;
		if (mm->m.expires < now_s) {
			mem_deref(mm);
			n--;
		}
	}
	return 0;
}

/* ---- the archive: kept in (time_ms, id) order ---- */

/* Insert ma after the last record not later than it (ids only go up,
 * so equal times keep id order). */
static void arch_insert(struct mstore *ms, struct march *ma)
{
	struct le *le;

	for (le = ms->archs.tail; le; le = le->prev) {
		struct march *o = le->data;

		if (o->a.time_ms < ma->a.time_ms ||
		    (o->a.time_ms == ma->a.time_ms && o->a.id < ma->a.id))
			break;
	}
	if (le)
		list_insert_after(&ms->archs, le, &ma->le, ma);
	else
		list_prepend(&ms->archs, &ma->le, ma);
}

static int m_arch_put(struct store *st, const struct store_arch *a,
                      uint64_t *id)
{
	struct mstore *ms = st->bed;
	struct march *ma;

	ma = mem_zalloc(sizeof(*ma) + store_arch_strsize(a), elem_destroy);
	if (!ma)
		return ENOMEM;
	store_arch_pack(&ma->a, a, (char *)(ma + 1));
	ma->a.id = ++ms->arch_id;
	arch_insert(ms, ma);
	*id = ma->a.id;
	return 0;
}

static int m_arch_outcome(struct store *st, uint64_t id, const char *outcome)
{
	struct mstore *ms = st->bed;
	struct march *old = NULL, *ma;
	struct store_arch a;

	LIST_FOREACH(&ms->archs, le) {
		struct march *o = le->data;

		if (o->a.id == id)
			old = o;
	}
	if (!old)
		return ENOENT;
	a = old->a;
	a.outcome = outcome;
	ma = mem_zalloc(sizeof(*ma) + store_arch_strsize(&a), elem_destroy);
	if (!ma)
		return ENOMEM; /* old stays, as after a rollback */
	store_arch_pack(&ma->a, &a, (char *)(ma + 1));
	list_insert_before(&ms->archs, &old->le, &ma->le, ma);
	mem_deref(old);
	return 0;
}

static int m_arch_list(struct store *st, const struct store_arch_query *q,
                       store_arch_h *h, void *arg)
{
	struct mstore *ms = st->bed;
	uint32_t n = 0;

	LIST_FOREACH(&ms->archs, le) {
		struct march *ma = le->data;

		if (q->limit && n == q->limit)
			break;
		if (strcmp(q->owner, ma->a.owner) ||
		    ma->a.time_ms < q->since_ms || ma->a.id <= q->after_id ||
		    !store_arch_match(&ma->a, q->peer))
			continue;
		h(&ma->a, arg);
		n++;
	}
	return 0;
}

static int m_arch_expire(struct store *st, const char *owner,
                         uint64_t before_ms)
{
	struct mstore *ms = st->bed;

	LIST_FOREACH(&ms->archs, le) {
		struct march *ma = le->data;

		if (ma->a.time_ms < before_ms &&
		    (!owner || !strcmp(owner, ma->a.owner)))
			mem_deref(ma);
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
    .msg_put = m_msg_put,
    .msg_list = m_msg_list,
    .msg_delete = m_msg_delete,
    .msg_tried = m_msg_tried,
    .msg_owners = m_msg_owners,
    .msg_expire = m_msg_expire,
    .arch_put = m_arch_put,
    .arch_outcome = m_arch_outcome,
    .arch_list = m_arch_list,
    .arch_expire = m_arch_expire,
    .submit = NULL,
    .drain = NULL,
};
