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
