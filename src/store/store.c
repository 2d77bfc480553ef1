/* store/store.c - store dispatch, argument checks, async completions */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#define LOG_MODULE "store"
#include "base/log.h"
#include "base/loop.h"
#include "base/mem.h"
#include "base/util.h"
#include "store_int.h"

/*
 * Completion queue: executed ops wait here until the loop thread runs
 * them. One loop_post is outstanding at a time (posted). The queue is
 * freed by whoever sees it last: the store's destructor when no post is
 * outstanding, else the posted handler (orphan). Reference counts are not
 * touched from two threads; the mutex decides.
 */
struct store_cq {
	pthread_mutex_t mtx;
	struct store_op *head;
	struct store_op **tail;
	bool posted;
	bool orphan;
	struct loop *loop;
};

static const struct store_be *backends[] = {
    &store_be_sqlite,
    &store_be_mem,
};

static void op_destroy(void *data)
{
	struct store_op *op = data;

	store_docbuf_reset(&op->res);
	store_rows_reset(&op->rows);
	mem_deref(op->arg);
}

static void op_call(struct store_op *op)
{
	switch (op->type) {
	case STORE_OP_REG_REPLACE:
		if (op->h.done)
			op->h.done(op->err, op->arg);
		break;
	case STORE_OP_USER_GET:
		if (op->h.user_get)
			op->h.user_get(op->err, op->err ? NULL : &op->u,
			               op->arg);
		break;
	case STORE_OP_DOC_PUT:
		if (op->h.docs)
			op->h.docs(op->err, op->err ? NULL : &op->doc,
			           op->err ? 0 : 1, op->arg);
		break;
	case STORE_OP_DOC_CHANGES:
	case STORE_OP_DOC_GET:
		if (op->h.docs)
			op->h.docs(op->err, op->err ? NULL : op->res.v,
			           op->err ? 0 : op->res.n, op->arg);
		break;
	case STORE_OP_DOC_DELETE:
		if (op->h.docs)
			op->h.docs(op->err, NULL, 0, op->arg);
		break;
	case STORE_OP_PUB_PUT:
	case STORE_OP_PUB_DELETE:
	case STORE_OP_SUB_PUT:
	case STORE_OP_SUB_DELETE:
	case STORE_OP_MSG_TRIED:
	case STORE_OP_ARCH_OUTCOME:
	case STORE_OP_ARCH_EXPIRE:
		if (op->h.done)
			op->h.done(op->err, op->arg);
		break;
	case STORE_OP_MSG_DELETE: /* gone already: fine */
		if (op->h.done)
			op->h.done(op->err == ENOENT ? 0 : op->err, op->arg);
		break;
	case STORE_OP_MSG_PUT:
		if (op->h.msg_put)
			op->h.msg_put(op->err, op->err ? 0 : op->id, op->arg);
		break;
	case STORE_OP_MSG_LIST:
	case STORE_OP_MSG_EXPIRE:
		if (op->h.msgs)
			op->h.msgs(op->err, op->err ? NULL : op->rows.v,
			           op->err ? 0 : op->rows.n, op->arg);
		break;
	case STORE_OP_ARCH_PUT:
		if (op->h.arch_put)
			op->h.arch_put(op->err, op->err ? 0 : op->id, op->arg);
		break;
	case STORE_OP_ARCH_LIST:
		if (op->h.archs)
			op->h.archs(op->err, op->err ? NULL : op->rows.v,
			            op->err ? 0 : op->rows.n, op->arg);
		break;
	}
}

/* Run the handlers of a detached chain, then free it. */
static void ops_run(struct store_op *ops)
{
	while (ops) {
		struct store_op *next = ops->next;

		ops->next = NULL;
		op_call(ops);
		mem_deref(ops);
		ops = next;
	}
}

static void ops_drop(struct store_op *ops)
{
	while (ops) {
		struct store_op *next = ops->next;

		mem_deref(ops);
		ops = next;
	}
}

/* Detach the queued chain; the caller holds cq->mtx. */
static struct store_op *cq_take_locked(struct store_cq *cq)
{
	struct store_op *ops = cq->head;

	cq->head = NULL;
	cq->tail = &cq->head;
	return ops;
}

static void cq_free(struct store_cq *cq)
{
	pthread_mutex_destroy(&cq->mtx);
	mem_deref(cq);
}

/* On the loop thread. */
static void cq_posted(void *arg)
{
	struct store_cq *cq = arg;
	struct store_op *ops;
	bool orphan;

	pthread_mutex_lock(&cq->mtx);
	ops = cq_take_locked(cq);
	cq->posted = false;
	orphan = cq->orphan;
	pthread_mutex_unlock(&cq->mtx);

	if (orphan) {
		ops_drop(ops);
		cq_free(cq);
		return;
	}
	/* Handlers may free the store; the chain is ours now. */
	ops_run(ops);
}

void store_complete(struct store *st, struct store_op *ops)
{
	struct store_cq *cq = st->cq;
	struct store_op *last;
	bool post;

	if (!ops)
		return;
	if (!cq) { /* no loop: run here */
		ops_run(ops);
		return;
	}

	for (last = ops; last->next; last = last->next)
		;
	pthread_mutex_lock(&cq->mtx);
	*cq->tail = ops;
	cq->tail = &last->next;
	post = !cq->posted;
	cq->posted = true;
	pthread_mutex_unlock(&cq->mtx);
	if (!post)
		return;

	int err = loop_post(cq->loop, cq_posted, cq);
	if (err) {
		/* The ops stay queued: the next completion posts again, and
		 * store_flush runs them. */
		pthread_mutex_lock(&cq->mtx);
		cq->posted = false;
		pthread_mutex_unlock(&cq->mtx);
		log_warn(NULL, "cannot post completions: %s", err_str(err));
	}
}

static void store_destroy(void *data)
{
	struct store *st = data;
	struct store_cq *cq = st->cq;
	struct store_op *ops = NULL;
	bool free_cq = true;

	/* watchers that outlive the store must not touch it */
	while (st->dwatch.head)
		list_unlink(st->dwatch.head);
	if (st->be && st->bed)
		st->be->close(st);

	if (cq) {
		pthread_mutex_lock(&cq->mtx);
		ops = cq_take_locked(cq);
		if (cq->posted) {
			cq->orphan = true;
			free_cq = false;
		}
		pthread_mutex_unlock(&cq->mtx);
		/* freeing the store cancels completions not yet delivered */
		ops_drop(ops);
		if (free_cq)
			cq_free(cq);
	}
}

static int cq_alloc(struct store_cq **cqp, struct loop *loop)
{
	struct store_cq *cq = mem_zalloc(sizeof(*cq), NULL);

	if (!cq)
		return ENOMEM;
	if (pthread_mutex_init(&cq->mtx, NULL)) {
		mem_deref(cq);
		return ENOMEM;
	}
	cq->tail = &cq->head;
	cq->loop = loop;
	*cqp = cq;
	return 0;
}

int store_open(struct store **stp, const char *uri, struct loop *loop)
{
	const struct store_be *be = NULL;
	struct store *st;
	const char *colon;
	int err;

	if (!stp || !uri)
		return EINVAL;

	colon = strchr(uri, ':');
	for (size_t i = 0; colon && i < ARRAY_SIZE(backends); i++) {
		size_t n = strlen(backends[i]->scheme);

		if ((size_t)(colon - uri) == n &&
		    !strncmp(uri, backends[i]->scheme, n))
			be = backends[i];
	}
	if (!be) {
		log_err(NULL,
		        "unknown store URI '%s' (expected sqlite:PATH or mem:)",
		        uri);
		return EINVAL;
	}

	st = mem_zalloc(sizeof(*st), store_destroy);
	if (!st)
		return ENOMEM;
	st->loop = loop;
	if (loop) {
		err = cq_alloc(&st->cq, loop);
		if (err)
			goto out;
	}
	err = be->open(st, colon + 1);
	if (err)
		goto out;
	st->be = be;

out:
	if (err)
		mem_deref(st);
	else
		*stp = st;
	return err;
}

int store_schema_version(struct store *st)
{
	return st ? st->be->schema_version(st) : 0;
}

/* A C string that fits a field of size (NUL included) and is not empty. */
static bool name_ok(const char *s, size_t size)
{
	return s && *s && strnlen(s, size) < size;
}

static bool user_ok(const struct store_user *u)
{
	return u && name_ok(u->user, sizeof(u->user)) &&
	       name_ok(u->domain, sizeof(u->domain)) &&
	       strnlen(u->ha1_md5, sizeof(u->ha1_md5)) < sizeof(u->ha1_md5) &&
	       strnlen(u->ha1_sha256, sizeof(u->ha1_sha256)) <
	           sizeof(u->ha1_sha256);
}

int store_domain_add(struct store *st, const char *domain)
{
	if (!st || !name_ok(domain, sizeof(((struct store_user *)0)->domain)))
		return EINVAL;
	return st->be->domain_add(st, domain);
}

int store_domain_remove(struct store *st, const char *domain)
{
	if (!st || !domain)
		return EINVAL;
	return st->be->domain_remove(st, domain);
}

int store_domain_exists(struct store *st, const char *domain, bool *exists)
{
	if (!st || !domain || !exists)
		return EINVAL;
	return st->be->domain_exists(st, domain, exists);
}

int store_domain_list(struct store *st, store_domain_h *h, void *arg)
{
	if (!st || !h)
		return EINVAL;
	return st->be->domain_list(st, h, arg);
}

int store_user_add(struct store *st, const struct store_user *u)
{
	if (!st || !user_ok(u))
		return EINVAL;
	return st->be->user_add(st, u);
}

int store_user_update(struct store *st, const struct store_user *u)
{
	if (!st || !user_ok(u))
		return EINVAL;
	return st->be->user_update(st, u);
}

int store_user_remove(struct store *st, const char *user, const char *domain)
{
	if (!st || !user || !domain)
		return EINVAL;
	return st->be->user_remove(st, user, domain);
}

int store_user_get(struct store *st, const char *user, const char *domain,
                   struct store_user *u)
{
	if (!st || !user || !domain || !u)
		return EINVAL;
	return st->be->user_get(st, user, domain, u);
}

int store_user_list(struct store *st, const char *domain, store_user_h *h,
                    void *arg)
{
	if (!st || !h)
		return EINVAL;
	return st->be->user_list(st, domain, h, arg);
}

static bool bindings_ok(const char *aor, const struct store_binding *b,
                        uint32_t n)
{
	if (!aor || !*aor || (n && !b))
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (!b[i].contact || !*b[i].contact)
			return false;
	return true;
}

/* Run op now on the caller's thread through the sync functions. */
static void op_exec_inline(struct store *st, struct store_op *op)
{
	switch (op->type) {
	case STORE_OP_REG_REPLACE:
		op->err = st->be->reg_replace(st, op->aor, op->b, op->n);
		break;
	case STORE_OP_USER_GET:
		op->err = st->be->user_get(st, op->user, op->domain, &op->u);
		break;
	case STORE_OP_DOC_PUT:
		op->err = st->be->doc_put(st, &op->doc, &op->doc.seq);
		break;
	case STORE_OP_DOC_CHANGES:
		op->err = st->be->doc_changes(st, op->since, op->max,
		                              store_docbuf_add, &op->res);
		op->err = store_docbuf_finish(&op->res, op->err);
		break;
	case STORE_OP_DOC_GET:
		op->err =
		    st->be->doc_get(st, op->doc.auid, op->doc.owner,
		                    op->doc.name, store_docbuf_add, &op->res);
		op->err = store_docbuf_finish(&op->res, op->err);
		break;
	case STORE_OP_DOC_DELETE:
		op->err = st->be->doc_delete(st, op->doc.auid, op->doc.owner,
		                             op->doc.name, op->doc.mtime_ms);
		break;
	case STORE_OP_PUB_PUT:
		op->err = st->be->pub_put(st, &op->pub, op->old_etag);
		break;
	case STORE_OP_PUB_DELETE:
		op->err = st->be->pub_delete(st, op->pub.etag);
		break;
	case STORE_OP_SUB_PUT:
		op->err = st->be->sub_put(st, &op->sub);
		break;
	case STORE_OP_SUB_DELETE:
		op->err = st->be->sub_delete(st, op->sub.id);
		break;
	case STORE_OP_MSG_PUT:
		op->err = st->be->msg_put(st, &op->msg, op->max_msgs,
		                          op->max_bytes, &op->id);
		break;
	case STORE_OP_MSG_LIST:
		op->err =
		    st->be->msg_list(st, op->msg.owner, op->since, op->max,
		                     store_msgbuf_add, &op->rows);
		op->err = store_msgbuf_finish(&op->rows, op->err);
		break;
	case STORE_OP_MSG_DELETE:
		op->err = st->be->msg_delete(st, op->id);
		break;
	case STORE_OP_MSG_TRIED:
		op->err = st->be->msg_tried(st, op->id);
		break;
	case STORE_OP_MSG_EXPIRE:
		op->err = st->be->msg_expire(st, op->since, op->max, &op->rows);
		op->err = store_msgbuf_finish(&op->rows, op->err);
		break;
	case STORE_OP_ARCH_PUT:
		op->err = st->be->arch_put(st, &op->arch, &op->id);
		break;
	case STORE_OP_ARCH_OUTCOME:
		op->err = st->be->arch_outcome(st, op->id, op->arch.outcome);
		break;
	case STORE_OP_ARCH_LIST:
		op->err = st->be->arch_list(st, &op->query, store_archbuf_add,
		                            &op->rows);
		op->err = store_archbuf_finish(&op->rows, op->err);
		break;
	case STORE_OP_ARCH_EXPIRE:
		op->err = st->be->arch_expire(st, op->arch.owner, op->since);
		break;
	}
}

static int op_start(struct store *st, struct store_op *op)
{
	if (st->loop && st->be->submit)
		return st->be->submit(st, op);
	op_exec_inline(st, op);
	store_complete(st, op);
	return 0;
}

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 1;
}

/* Copy s (NULL as "") to *cursor and advance it. */
static const char *str_pack(char **cursor, const char *s)
{
	char *d = *cursor;
	size_t n = s ? strlen(s) : 0;

	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	*cursor = d + n + 1;
	return d;
}

size_t store_bindings_size(const char *aor, const struct store_binding *b,
                           uint32_t n)
{
	size_t size = str_size(aor) + (size_t)n * sizeof(*b);

	for (uint32_t i = 0; i < n; i++)
		size += str_size(b[i].contact) + str_size(b[i].instance) +
		        str_size(b[i].callid) + str_size(b[i].path) +
		        str_size(b[i].received) + str_size(b[i].params) +
		        str_size(b[i].user_agent) + str_size(b[i].temp_gruu);
	return size;
}

const char *store_bindings_pack(struct store_binding *dst, const char *aor,
                                const struct store_binding *b, uint32_t n)
{
	char *cur = (char *)(dst + n);
	const char *a = str_pack(&cur, aor);

	for (uint32_t i = 0; i < n; i++) {
		struct store_binding *d = &dst[i];

		*d = b[i];
		d->aor = a;
		d->contact = str_pack(&cur, b[i].contact);
		d->instance = str_pack(&cur, b[i].instance);
		d->callid = str_pack(&cur, b[i].callid);
		d->path = str_pack(&cur, b[i].path);
		d->received = str_pack(&cur, b[i].received);
		d->params = str_pack(&cur, b[i].params);
		d->user_agent = str_pack(&cur, b[i].user_agent);
		d->temp_gruu = str_pack(&cur, b[i].temp_gruu);
	}
	return a;
}

int store_reg_replace(struct store *st, const char *aor,
                      const struct store_binding *bindings, uint32_t n,
                      store_done_h *done, void *arg)
{
	struct store_op *op;
	int err;

	if (!st || !bindings_ok(aor, bindings, n))
		return EINVAL;
	if (n > STORE_MAX_BINDINGS)
		return E2BIG;

	op = mem_zalloc(sizeof(*op) + store_bindings_size(aor, bindings, n),
	                op_destroy);
	if (!op)
		return ENOMEM;
	op->type = STORE_OP_REG_REPLACE;
	op->h.done = done;
	op->arg = mem_ref(arg);
	op->n = n;
	op->b = (struct store_binding *)(op + 1);
	op->aor = store_bindings_pack(op->b, aor, bindings, n);

	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

int store_reg_replace_sync(struct store *st, const char *aor,
                           const struct store_binding *bindings, uint32_t n)
{
	if (!st || !bindings_ok(aor, bindings, n))
		return EINVAL;
	if (n > STORE_MAX_BINDINGS)
		return E2BIG;
	return st->be->reg_replace(st, aor, bindings, n);
}

int store_reg_list(struct store *st, const char *aor, store_binding_h *h,
                   void *arg)
{
	if (!st || !h)
		return EINVAL;
	return st->be->reg_list(st, aor, h, arg);
}

int store_user_get_async(struct store *st, const char *user, const char *domain,
                         store_user_get_h *h, void *arg)
{
	struct store_op *op;
	char *cur;
	int err;

	if (!st || !user || !domain || !h)
		return EINVAL;
	op = mem_zalloc(sizeof(*op) + strlen(user) + strlen(domain) + 2,
	                op_destroy);
	if (!op)
		return ENOMEM;
	op->type = STORE_OP_USER_GET;
	op->h.user_get = h;
	op->arg = mem_ref(arg);
	cur = (char *)(op + 1);
	op->user = str_pack(&cur, user);
	op->domain = str_pack(&cur, domain);

	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

/* ---- documents, publications, subscriptions ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t bytes_size(const char *p, size_t len)
{
	return p ? len + 1 : 0;
}

/* Copy len bytes of p plus a NUL to *cursor and advance it; NULL stays
 * NULL. */
static const char *bytes_pack(char **cursor, const char *p, size_t len)
{
	char *d = *cursor;

	if (!p)
		return NULL;
	if (len)
		memcpy(d, p, len);
	d[len] = '\0';
	*cursor = d + len + 1;
	return d;
}

size_t store_doc_strsize(const struct store_doc *d)
{
	return str_size(d->auid) + str_size(d->owner) + str_size(d->name) +
	       str_size(d->etag) + bytes_size(d->content, d->len);
}

char *store_doc_pack(struct store_doc *dst, const struct store_doc *d,
                     char *cur)
{
	*dst = *d;
	dst->auid = str_pack(&cur, d->auid);
	dst->owner = str_pack(&cur, d->owner);
	dst->name = str_pack(&cur, d->name);
	dst->etag = str_pack(&cur, d->etag);
	dst->content = bytes_pack(&cur, d->content, d->len);
	if (!d->content)
		dst->len = 0;
	return cur;
}

size_t store_pub_strsize(const struct store_pub *p)
{
	return str_size(p->etag) + str_size(p->event) + str_size(p->resource) +
	       str_size(p->publisher) + str_size(p->ctype) + p->len + 1;
}

char *store_pub_pack(struct store_pub *dst, const struct store_pub *p,
                     char *cur)
{
	*dst = *p;
	dst->etag = str_pack(&cur, p->etag);
	dst->event = str_pack(&cur, p->event);
	dst->resource = str_pack(&cur, p->resource);
	dst->publisher = str_pack(&cur, p->publisher);
	dst->ctype = str_pack(&cur, p->ctype);
	dst->body = bytes_pack(&cur, p->body ? p->body : "", p->len);
	return cur;
}

size_t store_sub_strsize(const struct store_sub *s)
{
	return str_size(s->id) + str_size(s->event) + str_size(s->event_id) +
	       str_size(s->resource) + str_size(s->watcher) +
	       str_size(s->ident) + str_size(s->callid) +
	       str_size(s->local_tag) + str_size(s->remote_tag) +
	       str_size(s->from_hdr) + str_size(s->to_hdr) +
	       str_size(s->contact) + str_size(s->route) + str_size(s->dst) +
	       str_size(s->local_contact) + str_size(s->accept) +
	       str_size(s->supported) + str_size(s->data);
}

char *store_sub_pack(struct store_sub *dst, const struct store_sub *s,
                     char *cur)
{
	*dst = *s;
	dst->id = str_pack(&cur, s->id);
	dst->event = str_pack(&cur, s->event);
	dst->event_id = str_pack(&cur, s->event_id);
	dst->resource = str_pack(&cur, s->resource);
	dst->watcher = str_pack(&cur, s->watcher);
	dst->ident = str_pack(&cur, s->ident);
	dst->callid = str_pack(&cur, s->callid);
	dst->local_tag = str_pack(&cur, s->local_tag);
	dst->remote_tag = str_pack(&cur, s->remote_tag);
	dst->from_hdr = str_pack(&cur, s->from_hdr);
	dst->to_hdr = str_pack(&cur, s->to_hdr);
	dst->contact = str_pack(&cur, s->contact);
	dst->route = str_pack(&cur, s->route);
	dst->dst = str_pack(&cur, s->dst);
	dst->local_contact = str_pack(&cur, s->local_contact);
	dst->accept = str_pack(&cur, s->accept);
	dst->supported = str_pack(&cur, s->supported);
	dst->data = str_pack(&cur, s->data);
	return cur;
}

/* Room for one more document in db; ENOMEM. */
static int docbuf_room(struct store_docbuf *db, size_t need)
{
	size_t scap = db->scap ? db->scap : 4096;

	if (db->n == db->cap) {
		size_t cap = db->cap ? (size_t)db->cap * 2 : 16;
		struct store_doc *v;
		size_t *off;

		if (db->cap == UINT32_MAX)
			return E2BIG;
		if (cap > UINT32_MAX)
			cap = UINT32_MAX;
		v = mem_realloc(db->v, cap * sizeof(*v));
		if (!v)
			return ENOMEM;
		db->v = v;
		off = mem_realloc(db->off, cap * sizeof(*off));
		if (!off)
			return ENOMEM; /* v is bigger: harmless */
		db->off = off;
		db->cap = (uint32_t)cap;
	}
	if (need > SIZE_MAX / 2 - db->slen)
		return ENOMEM;
	if (db->slen + need > db->scap) {
		char *ns;

		while (scap < db->slen + need)
			scap *= 2;
		ns = mem_realloc(db->s, scap);
		if (!ns)
			return ENOMEM;
		db->s = ns;
		db->scap = scap;
	}
	return 0;
}

void store_docbuf_add(const struct store_doc *d, void *arg)
{
	struct store_docbuf *db = arg;
	char *cur;

	if (db->err)
		return;
	db->err = docbuf_room(db, store_doc_strsize(d));
	if (db->err)
		return;
	/* the string pointers are set by store_docbuf_finish (s may still
	 * move); until then content only tells live from tombstone */
	cur = store_doc_pack(&db->v[db->n], d, db->s + db->slen);
	db->off[db->n] = db->slen;
	db->slen = (size_t)(cur - db->s);
	db->n++;
}

int store_docbuf_finish(struct store_docbuf *db, int err)
{
	if (!err)
		err = db->err;
	if (err) {
		store_docbuf_reset(db);
		return err;
	}
	for (uint32_t i = 0; i < db->n; i++) {
		struct store_doc *v = &db->v[i];
		char *p = db->s + db->off[i];
		bool live = v->content != NULL;

		v->auid = p;
		p += strlen(p) + 1;
		v->owner = p;
		p += strlen(p) + 1;
		v->name = p;
		p += strlen(p) + 1;
		v->etag = p;
		p += strlen(p) + 1;
		v->content = live ? p : NULL;
	}
	return 0;
}

void store_docbuf_reset(struct store_docbuf *db)
{
	mem_deref(db->v);
	mem_deref(db->off);
	mem_deref(db->s);
	memset(db, 0, sizeof(*db));
}

static bool doc_key_ok(const char *auid, const char *name)
{
	return auid && *auid && name && *name;
}

/* A request for doc_put: NULL owner and content as "", a fresh etag. */
static int doc_req(struct store_doc *d, char etag[33], const char *auid,
                   const char *owner, const char *name, const char *content,
                   size_t len)
{
	if (!doc_key_ok(auid, name) || (!content && len))
		return EINVAL;
	if (len > STORE_MAX_BODY)
		return E2BIG;
	rand_token(etag, 32);
	memset(d, 0, sizeof(*d));
	d->auid = auid;
	d->owner = owner ? owner : "";
	d->name = name;
	d->etag = etag;
	d->content = content ? content : "";
	d->len = len;
	d->mtime_ms = now_ms();
	return 0;
}

int store_doc_put(struct store *st, const char *auid, const char *owner,
                  const char *name, const char *content, size_t len,
                  char *etag_out)
{
	struct store_doc d;
	char etag[33];
	uint64_t seq = 0;
	int err;

	if (!st)
		return EINVAL;
	err = doc_req(&d, etag, auid, owner, name, content, len);
	if (err)
		return err;
	err = st->be->doc_put(st, &d, &seq);
	if (!err && etag_out)
		memcpy(etag_out, etag, sizeof(etag));
	return err;
}

int store_doc_delete(struct store *st, const char *auid, const char *owner,
                     const char *name)
{
	if (!st || !doc_key_ok(auid, name))
		return EINVAL;
	return st->be->doc_delete(st, auid, owner ? owner : "", name, now_ms());
}

int store_doc_get(struct store *st, const char *auid, const char *owner,
                  const char *name, store_doc_h *h, void *arg)
{
	if (!st || !doc_key_ok(auid, name) || !h)
		return EINVAL;
	return st->be->doc_get(st, auid, owner ? owner : "", name, h, arg);
}

int store_doc_list(struct store *st, const char *auid, const char *owner,
                   store_doc_h *h, void *arg)
{
	if (!st || !h)
		return EINVAL;
	return st->be->doc_list(st, auid, owner, h, arg);
}

int store_doc_seq(struct store *st, uint64_t *seq)
{
	if (!st || !seq)
		return EINVAL;
	return st->be->doc_seq(st, seq);
}

int store_doc_changes_async(struct store *st, uint64_t since, uint32_t max,
                            store_docs_h *h, void *arg)
{
	struct store_op *op;
	int err;

	if (!st || !h || !max)
		return EINVAL;
	op = mem_zalloc(sizeof(*op), op_destroy);
	if (!op)
		return ENOMEM;
	op->type = STORE_OP_DOC_CHANGES;
	op->h.docs = h;
	op->arg = mem_ref(arg);
	op->since = since;
	op->max = max;

	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

/* An operation on one document (a packed copy of d goes with it). */
static int doc_op_start(struct store *st, enum store_op_type type,
                        const struct store_doc *d, store_docs_h *h, void *arg)
{
	struct store_op *op;
	int err;

	op = mem_zalloc(sizeof(*op) + store_doc_strsize(d), op_destroy);
	if (!op)
		return ENOMEM;
	op->type = type;
	op->h.docs = h;
	op->arg = mem_ref(arg);
	store_doc_pack(&op->doc, d, (char *)(op + 1));
	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

int store_doc_put_async(struct store *st, const char *auid, const char *owner,
                        const char *name, const char *content, size_t len,
                        store_docs_h *h, void *arg)
{
	struct store_doc d;
	char etag[33];
	int err;

	if (!st)
		return EINVAL;
	err = doc_req(&d, etag, auid, owner, name, content, len);
	if (err)
		return err;
	return doc_op_start(st, STORE_OP_DOC_PUT, &d, h, arg);
}

/* A get or delete of one document by its key. */
static int doc_key_op(struct store *st, enum store_op_type type,
                      const char *auid, const char *owner, const char *name,
                      store_docs_h *h, void *arg)
{
	struct store_doc d;

	if (!st || !doc_key_ok(auid, name) || !h)
		return EINVAL;
	memset(&d, 0, sizeof(d));
	d.auid = auid;
	d.owner = owner ? owner : "";
	d.name = name;
	d.etag = "";
	d.mtime_ms = now_ms();
	return doc_op_start(st, type, &d, h, arg);
}

int store_doc_get_async(struct store *st, const char *auid, const char *owner,
                        const char *name, store_docs_h *h, void *arg)
{
	return doc_key_op(st, STORE_OP_DOC_GET, auid, owner, name, h, arg);
}

int store_doc_delete_async(struct store *st, const char *auid,
                           const char *owner, const char *name, store_docs_h *h,
                           void *arg)
{
	return doc_key_op(st, STORE_OP_DOC_DELETE, auid, owner, name, h, arg);
}

static int pub_check(const struct store_pub *p)
{
	if (!p || !p->etag || !*p->etag || (!p->body && p->len))
		return EINVAL;
	return p->len > STORE_MAX_BODY ? E2BIG : 0;
}

int store_pub_put(struct store *st, const struct store_pub *p,
                  const char *old_etag, store_done_h *done, void *arg)
{
	struct store_op *op;
	char *cur;
	int err;

	if (!st)
		return EINVAL;
	err = pub_check(p);
	if (err)
		return err;
	op = mem_zalloc(sizeof(*op) + store_pub_strsize(p) +
	                    (old_etag ? str_size(old_etag) : 0),
	                op_destroy);
	if (!op)
		return ENOMEM;
	op->type = STORE_OP_PUB_PUT;
	op->h.done = done;
	op->arg = mem_ref(arg);
	cur = store_pub_pack(&op->pub, p, (char *)(op + 1));
	if (old_etag)
		op->old_etag = str_pack(&cur, old_etag);

	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

int store_pub_put_sync(struct store *st, const struct store_pub *p,
                       const char *old_etag)
{
	struct store_pub n;
	int err;

	if (!st)
		return EINVAL;
	err = pub_check(p);
	if (err)
		return err;
	n = *p;
	if (!n.body)
		n.body = "";
	return st->be->pub_put(st, &n, old_etag);
}

/* An async request carrying only a key (pub.etag or sub.id). */
static int key_op(struct store *st, enum store_op_type type, const char *key,
                  store_done_h *done, void *arg)
{
	struct store_op *op;
	char *cur;
	int err;

	if (!st || !key || !*key)
		return EINVAL;
	op = mem_zalloc(sizeof(*op) + str_size(key), op_destroy);
	if (!op)
		return ENOMEM;
	op->type = type;
	op->h.done = done;
	op->arg = mem_ref(arg);
	cur = (char *)(op + 1);
	if (type == STORE_OP_PUB_DELETE)
		op->pub.etag = str_pack(&cur, key);
	else
		op->sub.id = str_pack(&cur, key);

	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

int store_pub_delete(struct store *st, const char *etag, store_done_h *done,
                     void *arg)
{
	return key_op(st, STORE_OP_PUB_DELETE, etag, done, arg);
}

int store_pub_list(struct store *st, store_pub_h *h, void *arg)
{
	if (!st || !h)
		return EINVAL;
	return st->be->pub_list(st, h, arg);
}

static bool sub_ok(const struct store_sub *s)
{
	return s && s->id && *s->id;
}

int store_sub_put(struct store *st, const struct store_sub *s,
                  store_done_h *done, void *arg)
{
	struct store_op *op;
	int err;

	if (!st || !sub_ok(s))
		return EINVAL;
	op = mem_zalloc(sizeof(*op) + store_sub_strsize(s), op_destroy);
	if (!op)
		return ENOMEM;
	op->type = STORE_OP_SUB_PUT;
	op->h.done = done;
	op->arg = mem_ref(arg);
	store_sub_pack(&op->sub, s, (char *)(op + 1));

	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

int store_sub_put_sync(struct store *st, const struct store_sub *s)
{
	if (!st || !sub_ok(s))
		return EINVAL;
	return st->be->sub_put(st, s);
}

int store_sub_delete(struct store *st, const char *id, store_done_h *done,
                     void *arg)
{
	return key_op(st, STORE_OP_SUB_DELETE, id, done, arg);
}

int store_sub_list(struct store *st, store_sub_h *h, void *arg)
{
	if (!st || !h)
		return EINVAL;
	return st->be->sub_list(st, h, arg);
}

/* ---- deferred messages and the message archive ---- */

/* SQLite keeps signed 64-bit integers: larger values are stored as the
 * largest, by both backends alike. */
static uint64_t clamp63(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : v;
}

size_t store_msg_strsize(const struct store_msg *m)
{
	return str_size(m->owner) + str_size(m->sender) +
	       str_size(m->sender_name) + str_size(m->recipient) +
	       str_size(m->ctype) + str_size(m->imdn_id) + m->len + 1;
}

char *store_msg_pack(struct store_msg *dst, const struct store_msg *m,
                     char *cur)
{
	*dst = *m;
	dst->owner = str_pack(&cur, m->owner);
	dst->sender = str_pack(&cur, m->sender);
	dst->sender_name = str_pack(&cur, m->sender_name);
	dst->recipient = str_pack(&cur, m->recipient);
	dst->ctype = str_pack(&cur, m->ctype);
	dst->imdn_id = str_pack(&cur, m->imdn_id);
	/* last: the body may hold NULs, the fix-up walks by strlen */
	dst->body = bytes_pack(&cur, m->body ? m->body : "", m->len);
	return cur;
}

size_t store_arch_strsize(const struct store_arch *a)
{
	return str_size(a->owner) + str_size(a->peer) + str_size(a->sender) +
	       str_size(a->recipients) + str_size(a->ctype) +
	       str_size(a->outcome) + a->len + 1;
}

char *store_arch_pack(struct store_arch *dst, const struct store_arch *a,
                      char *cur)
{
	*dst = *a;
	dst->owner = str_pack(&cur, a->owner);
	dst->peer = str_pack(&cur, a->peer);
	dst->sender = str_pack(&cur, a->sender);
	dst->recipients = str_pack(&cur, a->recipients);
	dst->ctype = str_pack(&cur, a->ctype);
	dst->outcome = str_pack(&cur, a->outcome);
	dst->body = bytes_pack(&cur, a->body ? a->body : "", a->len);
	return cur;
}

/* Room for one more row of esize bytes and need bytes of strings. */
static int rows_room(struct store_rows *r, size_t esize, size_t need)
{
	size_t scap = r->scap ? r->scap : 4096;

	if (r->n == r->cap) {
		size_t cap = r->cap ? (size_t)r->cap * 2 : 16;
		size_t *off;
		void *v;

		if (r->cap == UINT32_MAX)
			return E2BIG;
		if (cap > UINT32_MAX)
			cap = UINT32_MAX;
		v = mem_realloc(r->v, cap * esize);
		if (!v)
			return ENOMEM;
		r->v = v;
		off = mem_realloc(r->off, cap * sizeof(*off));
		if (!off)
			return ENOMEM; /* v is bigger: harmless */
		r->off = off;
		r->cap = (uint32_t)cap;
	}
	if (need > SIZE_MAX / 2 - r->slen)
		return ENOMEM;
	if (r->slen + need > r->scap) {
		char *ns;

		while (scap < r->slen + need)
			scap *= 2;
		ns = mem_realloc(r->s, scap);
		if (!ns)
			return ENOMEM;
		r->s = ns;
		r->scap = scap;
	}
	return 0;
}

void store_rows_reset(struct store_rows *r)
{
	mem_deref(r->v);
	mem_deref(r->off);
	mem_deref(r->s);
	memset(r, 0, sizeof(*r));
}

/* The next NUL-terminated string at *p; advances *p past it. */
static const char *str_next(char **p)
{
	char *s = *p;

	*p = s + strlen(s) + 1;
	return s;
}

void store_msgbuf_add(const struct store_msg *m, void *arg)
{
	struct store_rows *r = arg;
	struct store_msg *v;
	char *cur;

	if (r->err)
		return;
	r->err = rows_room(r, sizeof(*v), store_msg_strsize(m));
	if (r->err)
		return;
	/* pointers are set by store_msgbuf_finish (s may still move) */
	v = (struct store_msg *)r->v + r->n;
	cur = store_msg_pack(v, m, r->s + r->slen);
	r->off[r->n] = r->slen;
	r->slen = (size_t)(cur - r->s);
	r->n++;
}

int store_msgbuf_finish(struct store_rows *r, int err)
{
	if (!err)
		err = r->err;
	if (err) {
		store_rows_reset(r);
		return err;
	}
	for (uint32_t i = 0; i < r->n; i++) {
		struct store_msg *v = (struct store_msg *)r->v + i;
		char *p = r->s + r->off[i];

		v->owner = str_next(&p);
		v->sender = str_next(&p);
		v->sender_name = str_next(&p);
		v->recipient = str_next(&p);
		v->ctype = str_next(&p);
		v->imdn_id = str_next(&p);
		v->body = p;
	}
	return 0;
}

void store_archbuf_add(const struct store_arch *a, void *arg)
{
	struct store_rows *r = arg;
	struct store_arch *v;
	char *cur;

	if (r->err)
		return;
	r->err = rows_room(r, sizeof(*v), store_arch_strsize(a));
	if (r->err)
		return;
	v = (struct store_arch *)r->v + r->n;
	cur = store_arch_pack(v, a, r->s + r->slen);
	r->off[r->n] = r->slen;
	r->slen = (size_t)(cur - r->s);
	r->n++;
}

int store_archbuf_finish(struct store_rows *r, int err)
{
	if (!err)
		err = r->err;
	if (err) {
		store_rows_reset(r);
		return err;
	}
	for (uint32_t i = 0; i < r->n; i++) {
		struct store_arch *v = (struct store_arch *)r->v + i;
		char *p = r->s + r->off[i];

		v->owner = str_next(&p);
		v->peer = str_next(&p);
		v->sender = str_next(&p);
		v->recipients = str_next(&p);
		v->ctype = str_next(&p);
		v->outcome = str_next(&p);
		v->body = p;
	}
	return 0;
}

static int uri_one(const char *p, size_t n, store_uri_h *h, void *arg)
{
	struct pl uri;

	pl_set_mem(&uri, p, n);
	pl_trim(&uri);
	return uri.l ? h(&uri, arg) : 0;
}

int store_arch_uris(const struct store_arch *a, store_uri_h *h, void *arg)
{
	const char *p = a->recipients ? a->recipients : "";
	int err = 0;

	if (a->peer)
		err = uri_one(a->peer, strlen(a->peer), h, arg);
	if (!err && a->sender)
		err = uri_one(a->sender, strlen(a->sender), h, arg);
	/* ", " separates: a bare comma may be part of a URI's user part */
	while (!err && *p) {
		const char *sep = strstr(p, ", ");
		size_t n = sep ? (size_t)(sep - p) : strlen(p);

		err = uri_one(p, n, h, arg);
		p += sep ? n + 2 : n;
	}
	return err;
}

static int uri_match(const struct pl *uri, void *arg)
{
	return pl_casecmp(uri, arg) ? 0 : 1;
}

bool store_arch_match(const struct store_arch *a, const char *peer)
{
	struct pl p;

	if (!peer)
		return true;
	pl_set_str(&p, peer);
	return store_arch_uris(a, uri_match, &p) == 1;
}

/* A request for msg_put: body NULL as "", values clamped. */
static int msg_req(struct store_msg *n, const struct store_msg *m)
{
	if (!m || !m->owner || !*m->owner || (!m->body && m->len))
		return EINVAL;
	if (m->len > STORE_MAX_BODY)
		return E2BIG;
	*n = *m;
	n->id = 0;
	n->body = m->body ? m->body : "";
	n->received_ms = clamp63(m->received_ms);
	n->expires = clamp63(m->expires);
	n->arch_in = clamp63(m->arch_in);
	n->arch_out = clamp63(m->arch_out);
	return 0;
}

int store_msg_put(struct store *st, const struct store_msg *m,
                  uint32_t max_msgs, uint64_t max_bytes, store_msg_put_h *h,
                  void *arg)
{
	struct store_msg n;
	struct store_op *op;
	int err;

	if (!st)
		return EINVAL;
	err = msg_req(&n, m);
	if (err)
		return err;
	op = mem_zalloc(sizeof(*op) + store_msg_strsize(&n), op_destroy);
	if (!op)
		return ENOMEM;
	op->type = STORE_OP_MSG_PUT;
	op->h.msg_put = h;
	op->arg = mem_ref(arg);
	store_msg_pack(&op->msg, &n, (char *)(op + 1));
	op->max_msgs = max_msgs;
	op->max_bytes = max_bytes;

	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

int store_msg_put_sync(struct store *st, const struct store_msg *m,
                       uint32_t max_msgs, uint64_t max_bytes, uint64_t *id)
{
	struct store_msg n;
	uint64_t nid = 0;
	int err;

	if (!st)
		return EINVAL;
	err = msg_req(&n, m);
	if (err)
		return err;
	err = st->be->msg_put(st, &n, max_msgs, max_bytes, &nid);
	if (!err && id)
		*id = nid;
	return err;
}

int store_msg_list_async(struct store *st, const char *owner, uint64_t after_id,
                         uint32_t max, store_msgs_h *h, void *arg)
{
	struct store_op *op;
	char *cur;
	int err;

	if (!st || !owner || !*owner || !max || !h)
		return EINVAL;
	op = mem_zalloc(sizeof(*op) + str_size(owner), op_destroy);
	if (!op)
		return ENOMEM;
	op->type = STORE_OP_MSG_LIST;
	op->h.msgs = h;
	op->arg = mem_ref(arg);
	cur = (char *)(op + 1);
	op->msg.owner = str_pack(&cur, owner);
	op->since = clamp63(after_id);
	op->max = max;

	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

int store_msg_list(struct store *st, const char *owner, store_msg_h *h,
                   void *arg)
{
	if (!st || !h)
		return EINVAL;
	return st->be->msg_list(st, owner, 0, 0, h, arg);
}

/* An async request carrying only an id. */
static int id_op(struct store *st, enum store_op_type type, uint64_t id,
                 store_done_h *done, void *arg)
{
	struct store_op *op;
	int err;

	if (!st || !id)
		return EINVAL;
	op = mem_zalloc(sizeof(*op), op_destroy);
	if (!op)
		return ENOMEM;
	op->type = type;
	op->h.done = done;
	op->arg = mem_ref(arg);
	op->id = id;

	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

int store_msg_delete(struct store *st, uint64_t id, store_done_h *done,
                     void *arg)
{
	return id_op(st, STORE_OP_MSG_DELETE, id, done, arg);
}

int store_msg_delete_sync(struct store *st, uint64_t id)
{
	if (!st || !id)
		return EINVAL;
	return st->be->msg_delete(st, id);
}

int store_msg_tried(struct store *st, uint64_t id, store_done_h *done,
                    void *arg)
{
	return id_op(st, STORE_OP_MSG_TRIED, id, done, arg);
}

int store_msg_owners(struct store *st, store_msg_owner_h *h, void *arg)
{
	if (!st || !h)
		return EINVAL;
	return st->be->msg_owners(st, h, arg);
}

int store_msg_expire(struct store *st, uint64_t now_s, uint32_t max,
                     store_msgs_h *h, void *arg)
{
	struct store_op *op;
	int err;

	if (!st || !max || !h)
		return EINVAL;
	op = mem_zalloc(sizeof(*op), op_destroy);
	if (!op)
		return ENOMEM;
	op->type = STORE_OP_MSG_EXPIRE;
	op->h.msgs = h;
	op->arg = mem_ref(arg);
	op->since = clamp63(now_s);
	op->max = max;

	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

/* A request for arch_put: body NULL as "", time clamped. */
static int arch_req(struct store_arch *n, const struct store_arch *a)
{
	if (!a || !a->owner || !*a->owner || (!a->body && a->len))
		return EINVAL;
	if (a->len > STORE_MAX_BODY)
		return E2BIG;
	*n = *a;
	n->id = 0;
	n->body = a->body ? a->body : "";
	n->time_ms = clamp63(a->time_ms);
	return 0;
}

int store_arch_put(struct store *st, const struct store_arch *a,
                   store_arch_put_h *h, void *arg)
{
	struct store_arch n;
	struct store_op *op;
	int err;

	if (!st)
		return EINVAL;
	err = arch_req(&n, a);
	if (err)
		return err;
	op = mem_zalloc(sizeof(*op) + store_arch_strsize(&n), op_destroy);
	if (!op)
		return ENOMEM;
	op->type = STORE_OP_ARCH_PUT;
	op->h.arch_put = h;
	op->arg = mem_ref(arg);
	store_arch_pack(&op->arch, &n, (char *)(op + 1));

	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

int store_arch_put_sync(struct store *st, const struct store_arch *a,
                        uint64_t *id)
{
	struct store_arch n;
	uint64_t nid = 0;
	int err;

	if (!st)
		return EINVAL;
	err = arch_req(&n, a);
	if (err)
		return err;
	err = st->be->arch_put(st, &n, &nid);
	if (!err && id)
		*id = nid;
	return err;
}

int store_arch_outcome(struct store *st, uint64_t id, const char *outcome,
                       store_done_h *done, void *arg)
{
	struct store_op *op;
	char *cur;
	int err;

	if (!st || !id || !outcome)
		return EINVAL;
	op = mem_zalloc(sizeof(*op) + str_size(outcome), op_destroy);
	if (!op)
		return ENOMEM;
	op->type = STORE_OP_ARCH_OUTCOME;
	op->h.done = done;
	op->arg = mem_ref(arg);
	op->id = id;
	cur = (char *)(op + 1);
	op->arch.outcome = str_pack(&cur, outcome);

	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

static bool query_ok(const struct store_arch_query *q)
{
	return q && q->owner && *q->owner;
}

int store_arch_list(struct store *st, const struct store_arch_query *q,
                    store_arch_h *h, void *arg)
{
	struct store_arch_query n;

	if (!st || !query_ok(q) || !h)
		return EINVAL;
	n = *q;
	n.since_ms = clamp63(q->since_ms);
	n.after_id = clamp63(q->after_id);
	return st->be->arch_list(st, &n, h, arg);
}

int store_arch_list_async(struct store *st, const struct store_arch_query *q,
                          store_archs_h *h, void *arg)
{
	struct store_op *op;
	char *cur;
	int err;

	if (!st || !query_ok(q) || !h)
		return EINVAL;
	op = mem_zalloc(sizeof(*op) + str_size(q->owner) +
	                    (q->peer ? str_size(q->peer) : 0),
	                op_destroy);
	if (!op)
		return ENOMEM;
	op->type = STORE_OP_ARCH_LIST;
	op->h.archs = h;
	op->arg = mem_ref(arg);
	op->query = *q;
	op->query.since_ms = clamp63(q->since_ms);
	op->query.after_id = clamp63(q->after_id);
	cur = (char *)(op + 1);
	op->query.owner = str_pack(&cur, q->owner);
	if (q->peer)
		op->query.peer = str_pack(&cur, q->peer);

	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

int store_arch_expire(struct store *st, const char *owner, uint64_t before_ms,
                      store_done_h *done, void *arg)
{
	struct store_op *op;
	char *cur;
	int err;

	if (!st)
		return EINVAL;
	op =
	    mem_zalloc(sizeof(*op) + (owner ? str_size(owner) : 0), op_destroy);
	if (!op)
		return ENOMEM;
	op->type = STORE_OP_ARCH_EXPIRE;
	op->h.done = done;
	op->arg = mem_ref(arg);
	op->since = clamp63(before_ms);
	cur = (char *)(op + 1);
	if (owner)
		op->arch.owner = str_pack(&cur, owner);

	err = op_start(st, op);
	if (err)
		mem_deref(op);
	return err;
}

void store_flush(struct store *st)
{
	struct store_op *ops;

	if (!st)
		return;
	/* Handlers may queue more work: repeat until nothing is left. */
	for (;;) {
		if (st->be->drain)
			st->be->drain(st);
		if (!st->cq)
			return;
		/* Deliver here what waits for the loop; a post still
		 * outstanding then finds the queue empty. */
		pthread_mutex_lock(&st->cq->mtx);
		ops = cq_take_locked(st->cq);
		pthread_mutex_unlock(&st->cq->mtx);
		if (!ops)
			return;
		ops_run(ops);
	}
}
