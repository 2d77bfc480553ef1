/* tests/unit/store/test_store_msgs.c - deferred messages (both backends) */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "base/loop.h"
#include "base/mem.h"
#include "store/store.h"
#include "store/store_int.h"
#include "store_test.h"
#include "test.h"

typedef int suite_h(const char *uri);

/* ---- collecting messages ---- */

#define MAXMSGS 64

struct mcol {
	char buf[4096]; /* "owner:body" per message (body up to a NUL) */
	unsigned n;     /* messages seen */
	int calls;      /* list/expire handler calls */
	int err;        /* the last list/expire handler error */
	int puts, put_ok, put_quota, put_other; /* put handlers */
	uint64_t put_id[MAXMSGS];               /* ids, in handler order */
	int dones, done_ok, done_other;         /* done handlers */
	int done_err;                           /* the last done error */
	bool wrong;    /* a handler saw what the contract rules out */
	pthread_t tid; /* the loop thread */
	struct {
		uint64_t id;
		uint64_t expires;
		uint32_t attempts;
		size_t len;
		char body[64];
		bool full_ok; /* every other field as msg_tmpl has it */
	} m[MAXMSGS];
};

/* Every message of these tests is this one with another owner, body and
 * expiry. */
static const struct store_msg msg_tmpl = {
    .id = 77, /* ignored by put */
    .owner = "bob@example.com",
    .sender = "sip:alice@example.com",
    .sender_name = "Alice \"A\" Liddell",
    .sender_auth = true,
    .recipient = "sip:bob@example.com;transport=tcp",
    .received_ms = 1700000000123ULL,
    .expires = 4102444800ULL,
    .ctype = "text/plain;charset=utf-8",
    .body = "hello",
    .len = 5,
    .imdn_id = "Msg-1a2b",
    .imdn_disp = 5,
    .attempts = 0,
    .arch_in = 12,
    .arch_out = 34,
};

static bool msg_full_ok(const struct store_msg *m)
{
	const struct store_msg *t = &msg_tmpl;

	return !strcmp(m->sender, t->sender) &&
	       !strcmp(m->sender_name, t->sender_name) &&
	       m->sender_auth == t->sender_auth &&
	       !strcmp(m->recipient, t->recipient) &&
	       m->received_ms == t->received_ms &&
	       !strcmp(m->ctype, t->ctype) && !strcmp(m->imdn_id, t->imdn_id) &&
	       m->imdn_disp == t->imdn_disp && m->arch_in == t->arch_in &&
	       m->arch_out == t->arch_out && m->body[m->len] == '\0';
}

static void msg_h(const struct store_msg *m, void *arg)
{
	struct mcol *c = arg;
	size_t l = strlen(c->buf);

	snprintf(c->buf + l, sizeof(c->buf) - l, "%s%s:%s", c->n ? " " : "",
	         m->owner, m->body);
	if (c->n < MAXMSGS) {
		c->m[c->n].id = m->id;
		c->m[c->n].expires = m->expires;
		c->m[c->n].attempts = m->attempts;
		c->m[c->n].len = m->len;
		memcpy(c->m[c->n].body, m->body,
		       m->len < sizeof(c->m[0].body) ? m->len
		                                     : sizeof(c->m[0].body));
		c->m[c->n].full_ok = msg_full_ok(m);
	}
	c->n++;
}

static void msgs_h(int err, const struct store_msg *msgs, uint32_t n, void *arg)
{
	struct mcol *c = arg;

	c->calls++;
	c->err = err;
	if (!pthread_equal(c->tid, pthread_self()))
		c->wrong = true;
	if (err && (msgs || n))
		c->wrong = true;
	for (uint32_t i = 0; i < n; i++)
		msg_h(&msgs[i], arg);
}

static void put_h(int err, uint64_t id, void *arg)
{
	struct mcol *c = arg;

	if (!pthread_equal(c->tid, pthread_self()))
		c->wrong = true;
	if (c->puts < MAXMSGS)
		c->put_id[c->puts] = id;
	c->puts++;
	if (err ? id != 0 : id == 0)
		c->wrong = true; /* an id exactly when err == 0 */
	if (!err)
		c->put_ok++;
	else if (err == EDQUOT)
		c->put_quota++;
	else
		c->put_other = err;
}

static void done_h(int err, void *arg)
{
	struct mcol *c = arg;

	if (!pthread_equal(c->tid, pthread_self()))
		c->wrong = true;
	c->dones++;
	c->done_err = err;
	if (!err)
		c->done_ok++;
	else
		c->done_other++;
}

static void mcol_clear(struct mcol *c)
{
	memset(c->buf, 0, sizeof(c->buf));
	memset(c->m, 0, sizeof(c->m));
	c->n = 0;
	c->calls = 0;
	c->err = 0;
}

static struct mcol *mcol_alloc(void)
{
	struct mcol *c = mem_zalloc(sizeof(*c), NULL);

	if (c)
		c->tid = pthread_self();
	return c;
}

/* Synchronous listing of owner (NULL: all) into c. */
static int msg_text(struct store *st, const char *owner, struct mcol *c)
{
	mcol_clear(c);
	return store_msg_list(st, owner, msg_h, c);
}

/* The async listing without a loop: done when the call returns. */
static int msg_list_inline(struct store *st, const char *owner, uint64_t after,
                           uint32_t max, struct mcol *c)
{
	int err;

	mcol_clear(c);
	err = store_msg_list_async(st, owner, after, max, msgs_h, c);
	if (err)
		return err;
	if (c->calls != 1)
		return EPROTO;
	return c->err;
}

static int expire_inline(struct store *st, uint64_t now, uint32_t max,
                         struct mcol *c)
{
	int err;

	mcol_clear(c);
	err = store_msg_expire(st, now, max, msgs_h, c);
	if (err)
		return err;
	if (c->calls != 1)
		return EPROTO;
	return c->err;
}

static int put(struct store *st, const char *owner, const char *body,
               uint64_t expires, uint64_t *id)
{
	struct store_msg m = msg_tmpl;

	m.owner = owner;
	m.body = body;
	m.len = strlen(body);
	m.expires = expires;
	return store_msg_put_sync(st, &m, 0, 0, id);
}

struct owners {
	char buf[1024];
};

static void owner_h(const char *owner, uint32_t n, uint64_t bytes, void *arg)
{
	struct owners *o = arg;
	size_t l = strlen(o->buf);

	snprintf(o->buf + l, sizeof(o->buf) - l, "%s%s=%u/%llu", l ? " " : "",
	         owner, n, (unsigned long long)bytes);
}

/* ---- the suites ---- */

/* Put, list (sync and async), delete, attempts, owners, arguments. */
static int suite_msgs(const char *uri)
{
	struct store *st = NULL;
	struct store_msg m = msg_tmpl;
	struct owners ow;
	struct mcol *c;
	uint64_t id[6] = {0}, nid = 0;
	int err;

	c = mcol_alloc();
	if (!c)
		return ENOMEM;
	err = store_open(&st, uri, NULL);
	TEST_ERR(err);
	TEST_EQ(4, store_schema_version(st));

	err = msg_text(st, NULL, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);
	err = put(st, "bob@example.com", "b1", 1000, &id[0]);
	TEST_ERR(err);
	err = put(st, "carol@example.com", "c1", 1000, &id[1]);
	TEST_ERR(err);
	err = put(st, "bob@example.com", "b2", 1000, &id[2]);
	TEST_ERR(err);
	err = put(st, "bob@example.com", "b3", 1000, &id[3]);
	TEST_ERR(err);
	/* ids: store-wide, increasing, in arrival order */
	TEST_ASSERT(id[0] > 0);
	for (int i = 1; i < 4; i++)
		TEST_ASSERT(id[i] > id[i - 1]);

	err = msg_text(st, "bob@example.com", c);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com:b1 bob@example.com:b2 bob@example.com:b3",
	            c->buf);
	TEST_EQ(id[0], c->m[0].id);
	TEST_EQ(id[2], c->m[1].id);
	TEST_EQ(id[3], c->m[2].id);
	TEST_ASSERT(c->m[0].full_ok && c->m[1].full_ok && c->m[2].full_ok);
	TEST_EQ(1000, c->m[0].expires);
	TEST_EQ(0, c->m[0].attempts);
	err = msg_text(st, NULL, c);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com:b1 carol@example.com:c1 "
	            "bob@example.com:b2 bob@example.com:b3",
	            c->buf);
	/* owners compare exactly */
	err = msg_text(st, "Bob@example.com", c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);

	/* async listing: after_id and max */
	err = msg_list_inline(st, "bob@example.com", 0, 100, c);
	TEST_ERR(err);
	TEST_EQ(3, c->n);
	TEST_ASSERT(c->m[0].full_ok && c->m[2].full_ok);
	err = msg_list_inline(st, "bob@example.com", id[0], 1, c);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com:b2", c->buf);
	TEST_EQ(id[2], c->m[0].id);
	err = msg_list_inline(st, "bob@example.com", id[2], 10, c);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com:b3", c->buf);
	err = msg_list_inline(st, "bob@example.com", id[3], 10, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);
	err = msg_list_inline(st, "nobody@example.com", 0, 10, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);

	/* the async put: the id goes to the handler before the call
	 * returns (no loop) */
	m.owner = "carol@example.com";
	m.body = "c2";
	m.len = 2;
	err = store_msg_put(st, &m, 0, 0, put_h, c);
	TEST_ERR(err);
	TEST_EQ(1, c->puts);
	err = c->put_other;
	TEST_ERR(err);
	TEST_EQ(1, c->put_ok);
	TEST_ASSERT(c->put_id[0] > id[3]);
	id[4] = c->put_id[0];
	err = msg_text(st, "carol@example.com", c);
	TEST_ERR(err);
	TEST_STR_EQ("carol@example.com:c1 carol@example.com:c2", c->buf);
	TEST_EQ(id[4], c->m[1].id);

	/* owners: count and bytes, by owner */
	memset(&ow, 0, sizeof(ow));
	err = store_msg_owners(st, owner_h, &ow);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com=3/6 carol@example.com=2/4", ow.buf);

	/* delivery attempts */
	err = store_msg_tried(st, id[2], done_h, c);
	TEST_ERR(err);
	err = store_msg_tried(st, id[2], NULL, NULL);
	TEST_ERR(err);
	TEST_EQ(1, c->dones);
	err = c->done_err;
	TEST_ERR(err);
	err = msg_text(st, "bob@example.com", c);
	TEST_ERR(err);
	TEST_EQ(0, c->m[0].attempts);
	TEST_EQ(2, c->m[1].attempts);
	TEST_ASSERT(c->m[1].full_ok);

	/* delete: sync says ENOENT when gone, async says 0 */
	err = store_msg_delete_sync(st, id[2]);
	TEST_ERR(err);
	TEST_ERR_EQ(ENOENT, store_msg_delete_sync(st, id[2]));
	c->dones = c->done_ok = 0;
	err = store_msg_delete(st, id[2], done_h, c);
	TEST_ERR(err);
	TEST_EQ(1, c->dones);
	err = c->done_err;
	TEST_ERR(err);
	err = store_msg_delete(st, id[0], done_h, c);
	TEST_ERR(err);
	TEST_EQ(2, c->dones);
	err = c->done_err;
	TEST_ERR(err);
	err = store_msg_delete(st, id[0], NULL, NULL);
	TEST_ERR(err);
	err = msg_text(st, "bob@example.com", c);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com:b3", c->buf);
	/* attempts on a message that is gone */
	c->dones = 0;
	err = store_msg_tried(st, id[2], done_h, c);
	TEST_ERR(err);
	TEST_EQ(1, c->dones);
	TEST_EQ(ENOENT, c->done_err);

	/* ids are never reused: remove the newest, the next is higher */
	err = store_msg_delete_sync(st, id[4]);
	TEST_ERR(err);
	err = put(st, "carol@example.com", "c3", 1000, &id[5]);
	TEST_ERR(err);
	TEST_ASSERT(id[5] > id[4]);

	memset(&ow, 0, sizeof(ow));
	err = store_msg_owners(st, owner_h, &ow);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com=1/2 carol@example.com=2/4", ow.buf);

	/* an empty body, and a put without id out-parameter */
	m = msg_tmpl;
	m.owner = "dave@example.com";
	m.body = NULL;
	m.len = 0;
	err = store_msg_put_sync(st, &m, 0, 0, NULL);
	TEST_ERR(err);
	err = msg_text(st, "dave@example.com", c);
	TEST_ERR(err);
	TEST_STR_EQ("dave@example.com:", c->buf);
	TEST_EQ(0, c->m[0].len);

	/* bad arguments: nothing queued, no handler */
	c->puts = 0;
	m = msg_tmpl;
	m.owner = NULL;
	TEST_ERR_EQ(EINVAL, store_msg_put_sync(st, &m, 0, 0, &nid));
	TEST_ERR_EQ(EINVAL, store_msg_put(st, &m, 0, 0, put_h, c));
	m.owner = "";
	TEST_ERR_EQ(EINVAL, store_msg_put_sync(st, &m, 0, 0, &nid));
	m.owner = "bob@example.com";
	m.body = NULL;
	m.len = 1;
	TEST_ERR_EQ(EINVAL, store_msg_put_sync(st, &m, 0, 0, &nid));
	m.body = "x";
	m.len = STORE_MAX_BODY + 1;
	TEST_ERR_EQ(E2BIG, store_msg_put_sync(st, &m, 0, 0, &nid));
	TEST_ERR_EQ(E2BIG, store_msg_put(st, &m, 0, 0, put_h, c));
	TEST_ERR_EQ(EINVAL, store_msg_put_sync(NULL, &msg_tmpl, 0, 0, &nid));
	TEST_ERR_EQ(EINVAL, store_msg_put_sync(st, NULL, 0, 0, &nid));
	TEST_ERR_EQ(EINVAL, store_msg_list_async(st, NULL, 0, 1, msgs_h, c));
	TEST_ERR_EQ(EINVAL, store_msg_list_async(st, "", 0, 1, msgs_h, c));
	TEST_ERR_EQ(EINVAL, store_msg_list_async(st, "b@x", 0, 0, msgs_h, c));
	TEST_ERR_EQ(EINVAL, store_msg_list_async(st, "b@x", 0, 1, NULL, c));
	TEST_ERR_EQ(EINVAL, store_msg_list(st, NULL, NULL, NULL));
	TEST_ERR_EQ(EINVAL, store_msg_delete(st, 0, done_h, c));
	TEST_ERR_EQ(EINVAL, store_msg_delete_sync(st, 0));
	TEST_ERR_EQ(EINVAL, store_msg_tried(st, 0, NULL, NULL));
	TEST_ERR_EQ(EINVAL, store_msg_owners(st, NULL, NULL));
	TEST_ERR_EQ(EINVAL, store_msg_expire(st, 10, 0, msgs_h, c));
	TEST_ERR_EQ(EINVAL, store_msg_expire(st, 10, 1, NULL, c));
	TEST_ERR_EQ(EINVAL, store_msg_expire(NULL, 10, 1, msgs_h, c));
	TEST_EQ(0, c->puts);
	TEST_ASSERT(!c->wrong);
	TEST_EQ(1, mem_nrefs(c)); /* every reference given back */
out:
	mem_deref(st);
	mem_deref(c);
	return err;
}

/* The quota, by count and by bytes, exactly at the boundary. */
static int suite_quota(const char *uri)
{
	struct store *st = NULL;
	struct store_msg m = msg_tmpl;
	struct owners ow;
	struct mcol *c;
	uint64_t id = 0, first = 0;
	int err;

	c = mcol_alloc();
	if (!c)
		return ENOMEM;
	err = store_open(&st, uri, NULL);
	TEST_ERR(err);

	/* max_msgs 3: the owner may hold 3 */
	m.owner = "bob@example.com";
	for (int i = 0; i < 3; i++) {
		err = store_msg_put_sync(st, &m, 3, 0, &id);
		TEST_ERR(err);
		if (!i)
			first = id;
	}
	TEST_ERR_EQ(EDQUOT, store_msg_put_sync(st, &m, 3, 0, &id));
	/* the async put hears it too, with no id */
	err = store_msg_put(st, &m, 3, 0, put_h, c);
	TEST_ERR(err);
	TEST_EQ(1, c->puts);
	TEST_EQ(1, c->put_quota);
	TEST_EQ(0, c->put_id[0]);
	/* a higher limit, or none, lets it in; the quota is per owner */
	err = store_msg_put_sync(st, &m, 4, 0, &id);
	TEST_ERR(err);
	err = store_msg_put_sync(st, &m, 0, 0, &id);
	TEST_ERR(err);
	TEST_ERR_EQ(EDQUOT, store_msg_put_sync(st, &m, 5, 0, &id));
	m.owner = "carol@example.com";
	err = store_msg_put_sync(st, &m, 1, 0, &id);
	TEST_ERR(err);
	TEST_ERR_EQ(EDQUOT, store_msg_put_sync(st, &m, 1, 0, &id));
	/* room again after a delete */
	m.owner = "bob@example.com";
	err = store_msg_delete_sync(st, first);
	TEST_ERR(err);
	err = store_msg_put_sync(st, &m, 5, 0, &id);
	TEST_ERR(err);
	TEST_ERR_EQ(EDQUOT, store_msg_put_sync(st, &m, 5, 0, &id));

	/* max_bytes 10: 4 + 6 fit exactly, one more byte does not, an
	 * empty body still fits */
	m.owner = "dave@example.com";
	m.body = "1234";
	m.len = 4;
	err = store_msg_put_sync(st, &m, 0, 10, &id);
	TEST_ERR(err);
	m.body = "567890";
	m.len = 6;
	TEST_ERR_EQ(EDQUOT, store_msg_put_sync(st, &m, 0, 9, &id));
	err = store_msg_put_sync(st, &m, 0, 10, &id);
	TEST_ERR(err);
	m.body = "x";
	m.len = 1;
	TEST_ERR_EQ(EDQUOT, store_msg_put_sync(st, &m, 0, 10, &id));
	c->puts = c->put_quota = 0;
	err = store_msg_put(st, &m, 0, 10, put_h, c);
	TEST_ERR(err);
	TEST_EQ(1, c->put_quota);
	m.body = "";
	m.len = 0;
	err = store_msg_put_sync(st, &m, 0, 10, &id);
	TEST_ERR(err);
	/* count and bytes together: the count bites first here */
	m.body = "x";
	m.len = 1;
	TEST_ERR_EQ(EDQUOT, store_msg_put_sync(st, &m, 3, 100, &id));
	err = store_msg_put_sync(st, &m, 4, 11, &id);
	TEST_ERR(err);
	/* a body larger than the whole quota */
	m.owner = "erin@example.com";
	m.body = "12345678901";
	m.len = 11;
	TEST_ERR_EQ(EDQUOT, store_msg_put_sync(st, &m, 0, 10, &id));

	memset(&ow, 0, sizeof(ow));
	err = store_msg_owners(st, owner_h, &ow);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com=5/25 carol@example.com=1/5 "
	            "dave@example.com=4/11",
	            ow.buf);
	TEST_ASSERT(!c->wrong);
	TEST_EQ(1, mem_nrefs(c));
out:
	mem_deref(st);
	mem_deref(c);
	return err;
}

/* Expiry returns the expired messages and leaves the rest. */
static int suite_expire(const char *uri)
{
	struct store *st = NULL;
	struct mcol *c;
	uint64_t id[6] = {0};
	int err;

	c = mcol_alloc();
	if (!c)
		return ENOMEM;
	err = store_open(&st, uri, NULL);
	TEST_ERR(err);
	err = put(st, "bob@example.com", "e100", 100, &id[0]);
	TEST_ERR(err);
	err = put(st, "carol@example.com", "e300", 300, &id[1]);
	TEST_ERR(err);
	err = put(st, "bob@example.com", "e150", 150, &id[2]);
	TEST_ERR(err);
	err = put(st, "dave@example.com", "e50", 50, &id[3]);
	TEST_ERR(err);
	err = put(st, "bob@example.com", "e200", 200, &id[4]);
	TEST_ERR(err);
	err = put(st, "bob@example.com", "e149", 149, &id[5]);
	TEST_ERR(err);

	/* nothing below 50 */
	err = expire_inline(st, 50, 10, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);
	/* below 150: 100, 50 and 149, in id order, with every field; 150
	 * itself stays */
	err = expire_inline(st, 150, 10, c);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com:e100 dave@example.com:e50 "
	            "bob@example.com:e149",
	            c->buf);
	TEST_EQ(id[0], c->m[0].id);
	TEST_EQ(id[3], c->m[1].id);
	TEST_EQ(id[5], c->m[2].id);
	TEST_EQ(50, c->m[1].expires);
	TEST_ASSERT(c->m[0].full_ok && c->m[1].full_ok && c->m[2].full_ok);
	err = msg_text(st, NULL, c);
	TEST_ERR(err);
	TEST_STR_EQ("carol@example.com:e300 bob@example.com:e150 "
	            "bob@example.com:e200",
	            c->buf);
	err = expire_inline(st, 150, 10, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);

	/* at most max per call */
	err = expire_inline(st, 1000, 2, c);
	TEST_ERR(err);
	TEST_STR_EQ("carol@example.com:e300 bob@example.com:e150", c->buf);
	err = msg_text(st, NULL, c);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com:e200", c->buf);
	err = expire_inline(st, 1000, 2, c);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com:e200", c->buf);
	err = expire_inline(st, UINT64_MAX, 2, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);

	/* an expiry beyond what SQLite holds is "never" */
	err = put(st, "bob@example.com", "never", UINT64_MAX, &id[0]);
	TEST_ERR(err);
	err = expire_inline(st, 4102444800ULL, 10, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);
	err = msg_text(st, NULL, c);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com:never", c->buf);
	TEST_EQ(INT64_MAX, c->m[0].expires);
	TEST_ASSERT(!c->wrong);
	TEST_EQ(1, mem_nrefs(c));
out:
	mem_deref(st);
	mem_deref(c);
	return err;
}

/* Bodies are bytes: NULs, invalid UTF-8, every byte value. */
static int suite_binary(const char *uri)
{
	static const char bin[] = "\0a\xff\xfe\x80\0\xc3(\0";
	const size_t blen = sizeof(bin) - 1; /* 9 bytes, NUL first */
	struct store *st = NULL;
	struct store_msg m = msg_tmpl;
	struct owners ow;
	struct mcol *c;
	char all[256], want[64];
	int err;

	c = mcol_alloc();
	if (!c)
		return ENOMEM;
	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (char)(255 - i);
	err = store_open(&st, uri, NULL);
	TEST_ERR(err);
	m.body = bin;
	m.len = blen;
	err = store_msg_put_sync(st, &m, 0, 0, NULL);
	TEST_ERR(err);
	err = store_msg_put(st, &m, 0, 0, put_h, c);
	TEST_ERR(err);
	err = c->put_other; /* ENOMEM in the backend */
	TEST_ERR(err);
	m.body = all;
	m.len = sizeof(all);
	err = store_msg_put_sync(st, &m, 0, 0, NULL);
	TEST_ERR(err);

	err = msg_text(st, NULL, c);
	TEST_ERR(err);
	TEST_EQ(3, c->n);
	for (int i = 0; i < 2; i++) {
		TEST_EQ(blen, c->m[i].len);
		TEST_ASSERT(!memcmp(c->m[i].body, bin, blen));
		TEST_ASSERT(c->m[i].full_ok);
	}
	TEST_EQ(sizeof(all), c->m[2].len);
	TEST_ASSERT(!memcmp(c->m[2].body, all, sizeof(c->m[2].body)));
	err = msg_list_inline(st, "bob@example.com", 0, 10, c);
	TEST_ERR(err);
	TEST_EQ(3, c->n);
	TEST_EQ(blen, c->m[1].len);
	TEST_ASSERT(!memcmp(c->m[1].body, bin, blen));
	TEST_ASSERT(c->m[1].full_ok && c->m[2].full_ok);
	/* the byte count is the body's length, NULs included */
	memset(&ow, 0, sizeof(ow));
	err = store_msg_owners(st, owner_h, &ow);
	TEST_ERR(err);
	snprintf(want, sizeof(want), "bob@example.com=3/%zu",
	         2 * blen + sizeof(all));
	TEST_STR_EQ(want, ow.buf);
	TEST_ERR_EQ(EDQUOT,
	            store_msg_put_sync(st, &m, 0,
	                               2 * blen + 2 * sizeof(all) - 1, NULL));
	err = expire_inline(st, UINT64_MAX, 10, c);
	TEST_ERR(err);
	TEST_EQ(3, c->n);
	TEST_EQ(blen, c->m[0].len);
	TEST_ASSERT(!memcmp(c->m[0].body, bin, blen));
	TEST_ASSERT(!memcmp(c->m[2].body, all, sizeof(c->m[2].body)));
	TEST_ASSERT(c->m[2].full_ok);
out:
	mem_deref(st);
	mem_deref(c);
	return err;
}

/* ---- through a real loop ---- */

static int run_until(struct loop *l, const int *count, int want)
{
	for (int i = 0; i < 1000 && *count < want; i++) {
		int err = loop_run_once(l, 10);

		if (err)
			return err;
	}
	return *count >= want ? 0 : ETIMEDOUT;
}

static void loop_drain(struct loop *l)
{
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 0);
}

static int suite_loop(const char *uri)
{
	struct store *st = NULL;
	struct loop *l = NULL;
	struct store_msg m = msg_tmpl;
	struct mcol *c;
	char body[32];
	int err;

	c = mcol_alloc();
	if (!c)
		return ENOMEM;
	err = loop_alloc(&l);
	TEST_ERR(err);
	err = store_open(&st, uri, l);
	TEST_ERR(err);

	/* 30 puts queued at once, quota 20: the quota is checked in order,
	 * put by put, even inside one group commit */
	for (int i = 0; i < 30; i++) {
		snprintf(body, sizeof(body), "m%02d", i);
		m.body = body;
		m.len = strlen(body);
		m.expires = 100 + (uint64_t)i;
		err = store_msg_put(st, &m, 20, 0, put_h, c);
		TEST_ERR(err);
	}
	memset(body, 'x', sizeof(body) - 1); /* the request was copied */
	TEST_EQ(0, c->puts);                 /* handlers run from the loop */
	err = run_until(l, &c->puts, 30);
	TEST_ERR(err);
	TEST_EQ(20, c->put_ok);
	TEST_EQ(10, c->put_quota);
	for (int i = 1; i < 20; i++)
		TEST_ASSERT(c->put_id[i] > c->put_id[i - 1]);
	for (int i = 20; i < 30; i++)
		TEST_EQ(0, c->put_id[i]);

	err = store_msg_list_async(st, "bob@example.com", c->put_id[4], 100,
	                           msgs_h, c);
	TEST_ERR(err);
	TEST_EQ(0, c->calls);
	err = run_until(l, &c->calls, 1);
	TEST_ERR(err);
	TEST_EQ(0, c->err);
	TEST_EQ(15, c->n);
	TEST_EQ(c->put_id[5], c->m[0].id);
	TEST_ASSERT(!strncmp(c->buf, "bob@example.com:m05 ", 20));
	TEST_ASSERT(c->m[14].full_ok);

	/* expiry and delete through the worker */
	mcol_clear(c);
	err = store_msg_expire(st, 105, 100, msgs_h, c);
	TEST_ERR(err);
	err = store_msg_delete(st, c->put_id[19], done_h, c);
	TEST_ERR(err);
	err = store_msg_tried(st, c->put_id[18], done_h, c);
	TEST_ERR(err);
	store_flush(st);
	TEST_EQ(1, c->calls);
	TEST_EQ(0, c->err);
	TEST_STR_EQ("bob@example.com:m00 bob@example.com:m01 "
	            "bob@example.com:m02 bob@example.com:m03 "
	            "bob@example.com:m04",
	            c->buf);
	TEST_EQ(2, c->done_ok);
	mcol_clear(c);
	err = msg_text(st, NULL, c);
	TEST_ERR(err);
	TEST_EQ(14, c->n);
	TEST_EQ(c->put_id[5], c->m[0].id);
	TEST_EQ(c->put_id[18], c->m[13].id);
	TEST_EQ(1, c->m[13].attempts);
	TEST_ASSERT(!c->wrong);
	TEST_EQ(1, mem_nrefs(c));
out:
	mem_deref(st);
	if (l)
		loop_drain(l);
	mem_deref(l);
	mem_deref(c);
	return err;
}

/* ---- backends ---- */

static int with_mem(suite_h *fn)
{
	return fn("mem:");
}

static int with_sqlite(suite_h *fn)
{
	struct tmpdb t;
	int err = tmpdb_init(&t);

	if (err)
		return err;
	err = fn(t.uri);
	tmpdb_clean(&t);
	return err;
}

TEST(test_store_mem_msgs)
{
	return with_mem(suite_msgs);
}

TEST(test_store_sqlite_msgs)
{
	return with_sqlite(suite_msgs);
}

TEST(test_store_mem_msg_quota)
{
	return with_mem(suite_quota);
}

TEST(test_store_sqlite_msg_quota)
{
	return with_sqlite(suite_quota);
}

TEST(test_store_mem_msg_expire)
{
	return with_mem(suite_expire);
}

TEST(test_store_sqlite_msg_expire)
{
	return with_sqlite(suite_expire);
}

TEST(test_store_mem_msg_binary)
{
	return with_mem(suite_binary);
}

TEST(test_store_sqlite_msg_binary)
{
	return with_sqlite(suite_binary);
}

TEST_NO_OOM(test_store_mem_msg_loop)
{
	return with_mem(suite_loop);
}

TEST_NO_OOM(test_store_sqlite_msg_loop)
{
	return with_sqlite(suite_loop);
}

/* ---- SQLite only ---- */

/* A put acknowledged through the worker survives closing the store; ids
 * keep growing across a restart even when the newest was removed. */
TEST_NO_OOM(test_store_sqlite_msg_persist)
{
	struct tmpdb t;
	struct store *st = NULL;
	struct loop *l = NULL;
	struct store_msg m = msg_tmpl;
	struct mcol *c = NULL;
	uint64_t id = 0, last;
	int err = tmpdb_init(&t);

	if (err)
		return err;
	c = mcol_alloc();
	if (!c) {
		err = ENOMEM;
		goto out;
	}
	err = loop_alloc(&l);
	TEST_ERR(err);
	err = store_open(&st, t.uri, l);
	TEST_ERR(err);
	err = store_msg_put(st, &m, 0, 0, put_h, c);
	TEST_ERR(err);
	m.body = "second";
	m.len = 6;
	err = store_msg_put(st, &m, 0, 0, put_h, c);
	TEST_ERR(err);
	err = run_until(l, &c->puts, 2);
	TEST_ERR(err);
	TEST_EQ(2, c->put_ok);
	last = c->put_id[1];
	/* acknowledged: now the process "dies" */
	st = mem_deref(st);
	loop_drain(l);

	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	err = msg_text(st, "bob@example.com", c);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com:hello bob@example.com:second", c->buf);
	TEST_EQ(c->put_id[0], c->m[0].id);
	TEST_EQ(last, c->m[1].id);
	TEST_ASSERT(c->m[0].full_ok && c->m[1].full_ok);
	err = store_msg_delete_sync(st, last);
	TEST_ERR(err);
	st = mem_deref(st);

	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	err = store_msg_put_sync(st, &m, 0, 0, &id);
	TEST_ERR(err);
	TEST_ASSERT(id > last);
	TEST_ASSERT(!c->wrong);
out:
	mem_deref(st);
	if (l)
		loop_drain(l);
	mem_deref(l);
	mem_deref(c);
	tmpdb_clean(&t);
	return err;
}

/* A failed group commit: the put is not acknowledged (EIO, no id) and
 * not there; an expiry that fails to commit removes nothing. */
TEST_NO_OOM(test_store_sqlite_msg_commit_fails)
{
	struct tmpdb t;
	struct store *st = NULL;
	struct loop *l = NULL;
	struct store_msg m = msg_tmpl;
	struct mcol *c = NULL;
	int err = tmpdb_init(&t);

	if (err)
		return err;
	c = mcol_alloc();
	if (!c) {
		err = ENOMEM;
		goto out;
	}
	err = loop_alloc(&l);
	TEST_ERR(err);
	err = store_open(&st, t.uri, l);
	TEST_ERR(err);
	m.expires = 10;
	err = store_msg_put_sync(st, &m, 0, 0, NULL);
	TEST_ERR(err);

	/* two: the worker may take the two requests apart */
	store_sqlite_fail_commits(2);
	err = store_msg_put(st, &m, 0, 0, put_h, c);
	TEST_ERR(err);
	err = store_msg_expire(st, 100, 10, msgs_h, c);
	TEST_ERR(err);
	store_flush(st);
	store_sqlite_fail_commits(0);
	TEST_EQ(1, c->puts);
	TEST_EQ(EIO, c->put_other);
	TEST_EQ(0, c->put_id[0]);
	TEST_EQ(1, c->calls);
	TEST_EQ(EIO, c->err);
	TEST_EQ(0, c->n);
	mcol_clear(c);
	err = msg_text(st, NULL, c);
	TEST_ERR(err);
	TEST_EQ(1, c->n);

	/* and again, committed */
	mcol_clear(c);
	err = store_msg_expire(st, 100, 10, msgs_h, c);
	TEST_ERR(err);
	store_flush(st);
	TEST_EQ(0, c->err);
	TEST_EQ(1, c->n);
	mcol_clear(c);
	err = msg_text(st, NULL, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);
	TEST_ASSERT(!c->wrong);
	TEST_EQ(1, mem_nrefs(c));
out:
	store_sqlite_fail_commits(0);
	mem_deref(st);
	if (l)
		loop_drain(l);
	mem_deref(l);
	mem_deref(c);
	tmpdb_clean(&t);
	return err;
}

/* The schema as version 3 shipped it, with some data: a fixture, kept
 * apart from the migrations on purpose. */
static const char v3_schema[] =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version VALUES (3);"
    "CREATE TABLE domains (name TEXT NOT NULL COLLATE NOCASE PRIMARY KEY);"
    "CREATE TABLE users (user TEXT NOT NULL,"
    " domain TEXT NOT NULL COLLATE NOCASE,"
    " ha1_md5 TEXT NOT NULL DEFAULT '', ha1_sha256 TEXT NOT NULL DEFAULT '',"
    " enabled INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (user, domain));"
    "CREATE TABLE registrations (aor TEXT NOT NULL, contact TEXT NOT NULL,"
    " instance TEXT NOT NULL DEFAULT '', reg_id INTEGER NOT NULL DEFAULT 0,"
    " callid TEXT NOT NULL DEFAULT '', cseq INTEGER NOT NULL DEFAULT 0,"
    " expires INTEGER NOT NULL, q INTEGER NOT NULL DEFAULT 1000,"
    " path TEXT NOT NULL DEFAULT '', received TEXT NOT NULL DEFAULT '',"
    " params TEXT NOT NULL DEFAULT '', user_agent TEXT NOT NULL DEFAULT '',"
    " temp_gruu TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX registrations_aor ON registrations (aor);"
    "CREATE INDEX registrations_expires ON registrations (expires);"
    "CREATE TABLE docs (auid TEXT NOT NULL, owner TEXT NOT NULL,"
    " name TEXT NOT NULL, etag TEXT NOT NULL, content BLOB,"
    " seq INTEGER NOT NULL, mtime_ms INTEGER NOT NULL,"
    " PRIMARY KEY (auid, owner, name));"
    "CREATE UNIQUE INDEX docs_seq ON docs (seq);"
    "CREATE TABLE doc_seq (seq INTEGER NOT NULL);"
    "INSERT INTO doc_seq VALUES (7);"
    "CREATE TABLE publications (etag TEXT NOT NULL PRIMARY KEY,"
    " event TEXT NOT NULL, resource TEXT NOT NULL,"
    " publisher TEXT NOT NULL DEFAULT '', expires INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL, ctype TEXT NOT NULL DEFAULT '',"
    " body BLOB NOT NULL);"
    "CREATE TABLE subscriptions (id TEXT NOT NULL PRIMARY KEY,"
    " event TEXT NOT NULL, event_id TEXT NOT NULL DEFAULT '',"
    " resource TEXT NOT NULL, watcher TEXT NOT NULL DEFAULT '',"
    " ident TEXT NOT NULL DEFAULT '', callid TEXT NOT NULL DEFAULT '',"
    " local_tag TEXT NOT NULL DEFAULT '', remote_tag TEXT NOT NULL DEFAULT '',"
    " from_hdr TEXT NOT NULL DEFAULT '', to_hdr TEXT NOT NULL DEFAULT '',"
    " contact TEXT NOT NULL DEFAULT '', route TEXT NOT NULL DEFAULT '',"
    " dst TEXT NOT NULL DEFAULT '', local_contact TEXT NOT NULL DEFAULT '',"
    " accept TEXT NOT NULL DEFAULT '', supported TEXT NOT NULL DEFAULT '',"
    " local_cseq INTEGER NOT NULL DEFAULT 0,"
    " remote_cseq INTEGER NOT NULL DEFAULT 0, expires INTEGER NOT NULL,"
    " created INTEGER NOT NULL DEFAULT 0, state INTEGER NOT NULL DEFAULT 0,"
    " throttle_ms INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL DEFAULT '');"
    "INSERT INTO domains VALUES ('example.com');"
    "INSERT INTO docs VALUES ('pres-rules', 'a@x', 'index', 'e7', '<r/>',"
    " 7, 1000);"
    "INSERT INTO publications VALUES ('p1', 'presence', 'bob@example.com',"
    " 'bob@example.com', 4000000000, 1000, 'application/pidf+xml',"
    " '<presence/>');"
    "INSERT INTO subscriptions (id, event, resource, expires)"
    " VALUES ('s1', 'presence', 'bob@example.com', 4000000000);";

static int raw_count(const char *path, const char *sql, int *n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_open(path, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		*n = sqlite3_column_int(s, 0);
	else
		rc = SQLITE_ERROR;
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : EIO;
}

static void count_pub_h(const struct store_pub *p, void *arg)
{
	(void)p;
	++*(int *)arg;
}

static void count_sub_h(const struct store_sub *s, void *arg)
{
	(void)s;
	++*(int *)arg;
}

/* A file at schema version 3 gets the new tables and keeps its data. */
TEST(test_store_sqlite_migrate_v3_msgs)
{
	struct tmpdb t;
	struct store *st = NULL;
	struct store_arch a = {0};
	struct mcol *c = NULL;
	sqlite3 *db = NULL;
	uint64_t seq = 0, id = 0, aid = 0;
	bool ex = false;
	int n = 0, rc, err = tmpdb_init(&t);

	if (err)
		return err;
	c = mcol_alloc();
	if (!c) {
		err = ENOMEM;
		goto out;
	}
	rc = sqlite3_open(t.path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, v3_schema, NULL, NULL, NULL);
	sqlite3_close(db);
	TEST_EQ(SQLITE_OK, rc);

	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	TEST_EQ(4, store_schema_version(st));
	/* the data of version 3 survived */
	err = store_domain_exists(st, "example.com", &ex);
	TEST_ERR(err);
	TEST_ASSERT(ex);
	err = store_doc_seq(st, &seq);
	TEST_ERR(err);
	TEST_EQ(7, seq);
	err = store_pub_list(st, count_pub_h, &n);
	TEST_ERR(err);
	TEST_EQ(1, n);
	n = 0;
	err = store_sub_list(st, count_sub_h, &n);
	TEST_ERR(err);
	TEST_EQ(1, n);
	/* the new tables work */
	err = store_msg_put_sync(st, &msg_tmpl, 0, 0, &id);
	TEST_ERR(err);
	TEST_EQ(1, id);
	a.owner = "bob@example.com";
	a.peer = "sip:alice@example.com";
	a.time_ms = 1;
	err = store_arch_put_sync(st, &a, &aid);
	TEST_ERR(err);
	TEST_EQ(1, aid);
	err = msg_text(st, NULL, c);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com:hello", c->buf);
	st = mem_deref(st);

	err = raw_count(t.path, "SELECT version FROM schema_version", &n);
	TEST_ERR(err);
	TEST_EQ(4, n);
	err = raw_count(t.path,
	                "SELECT count(*) FROM sqlite_master WHERE name IN "
	                "('messages', 'archive', 'archive_uris', "
	                "'messages_owner', 'messages_expires', "
	                "'archive_owner_time', 'archive_time', "
	                "'archive_uris_uri', 'archive_uris_del')",
	                &n);
	TEST_ERR(err);
	TEST_EQ(9, n);
	/* opening again migrates nothing and keeps everything */
	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	TEST_EQ(4, store_schema_version(st));
	err = msg_text(st, NULL, c);
	TEST_ERR(err);
	TEST_EQ(1, c->n);
out:
	mem_deref(st);
	mem_deref(c);
	tmpdb_clean(&t);
	return err;
}
