/* tests/unit/store/test_store_arch.c - the message archive (both backends) */
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

/* ---- collecting records ---- */

#define MAXRECS 32

struct acol {
	char buf[2048]; /* the records' bodies (text up to a NUL) */
	unsigned n;
	int calls, err;               /* list handlers */
	int puts, put_ok, put_other;  /* put handlers */
	uint64_t put_id[MAXRECS];     /* in handler order */
	int dones, done_ok, done_err; /* done handlers */
	bool wrong;                   /* against the contract */
	pthread_t tid;                /* the loop thread */
	struct {
		uint64_t id;
		char full[512]; /* every field but the id and the body */
		size_t len;
		char body[64];
	} a[MAXRECS];
};

static void arch_h(const struct store_arch *a, void *arg)
{
	struct acol *c = arg;
	size_t l = strlen(c->buf);

	snprintf(c->buf + l, sizeof(c->buf) - l, "%s%s", c->n ? " " : "",
	         a->body);
	if (a->body[a->len] != '\0')
		c->wrong = true; /* bodies come NUL-terminated */
	if (c->n < MAXRECS) {
		c->a[c->n].id = a->id;
		snprintf(c->a[c->n].full, sizeof(c->a[c->n].full),
		         "%s|%s|%s|%s|%s|%llu|%s|%s", a->owner,
		         a->outgoing ? "out" : "in", a->peer, a->sender,
		         a->recipients, (unsigned long long)a->time_ms,
		         a->ctype, a->outcome);
		c->a[c->n].len = a->len;
		memcpy(c->a[c->n].body, a->body,
		       a->len < sizeof(c->a[0].body) ? a->len
		                                     : sizeof(c->a[0].body));
	}
	c->n++;
}

static void archs_h(int err, const struct store_arch *a, uint32_t n, void *arg)
{
	struct acol *c = arg;

	c->calls++;
	c->err = err;
	if (!pthread_equal(c->tid, pthread_self()))
		c->wrong = true;
	if (err && (a || n))
		c->wrong = true;
	for (uint32_t i = 0; i < n; i++)
		arch_h(&a[i], arg);
}

static void aput_h(int err, uint64_t id, void *arg)
{
	struct acol *c = arg;

	if (!pthread_equal(c->tid, pthread_self()))
		c->wrong = true;
	if (err ? id != 0 : id == 0)
		c->wrong = true;
	if (c->puts < MAXRECS)
		c->put_id[c->puts] = id;
	c->puts++;
	if (!err)
		c->put_ok++;
	else
		c->put_other = err;
}

static void adone_h(int err, void *arg)
{
	struct acol *c = arg;

	if (!pthread_equal(c->tid, pthread_self()))
		c->wrong = true;
	c->dones++;
	c->done_err = err;
	if (!err)
		c->done_ok++;
}

static void acol_clear(struct acol *c)
{
	memset(c->buf, 0, sizeof(c->buf));
	memset(c->a, 0, sizeof(c->a));
	c->n = 0;
	c->calls = 0;
	c->err = 0;
}

static struct acol *acol_alloc(void)
{
	struct acol *c = mem_zalloc(sizeof(*c), NULL);

	if (c)
		c->tid = pthread_self();
	return c;
}

/* A query, synchronously and (without a loop) asynchronously: both must
 * give the same answer, which is left in c. */
static int query(struct store *st, const char *owner, const char *peer,
                 uint64_t since_ms, uint64_t after_id, uint32_t limit,
                 struct acol *c)
{
	struct store_arch_query q = {owner, peer, since_ms, after_id, limit};
	char sync[sizeof(c->buf)];
	int err;

	acol_clear(c);
	err = store_arch_list(st, &q, arch_h, c);
	if (err)
		return err;
	snprintf(sync, sizeof(sync), "%s", c->buf);
	acol_clear(c);
	err = store_arch_list_async(st, &q, archs_h, c);
	if (err)
		return err;
	if (c->calls != 1)
		return EPROTO;
	if (c->err)
		return c->err;
	if (strcmp(sync, c->buf)) {
		c->wrong = true;
		return EPROTO;
	}
	return 0;
}

/* Alice's history (and one record of Bob's), put out of time order. */
static const struct store_arch recs[] = {
    {0, "alice@example.com", false, "sip:Carol@Example.com",
     "sip:carol@example.com", "sip:alice@example.com", 2000, "text/plain", "r1",
     2, "delivered"},
    {0, "alice@example.com", true, "sip:bob@example.com",
     "sip:alice@example.com", "sip:bob@example.com", 1000, "text/plain", "r2",
     2, "pending"},
    {0, "alice@example.com", true, "sip:team@lists.example.com",
     "sip:alice@example.com", "sip:bob@example.com, sip:dave@example.com", 1500,
     "message/cpim", "r3", 2, "stored"},
    {0, "alice@example.com", false, "sip:team@lists.example.com",
     "sip:erin@example.com",
     "sip:alice@example.com, sip:bob@example.com, sip:frank@example.com", 1500,
     "text/plain", "r4", 2, "delivered"},
    {0, "bob@example.com", false, "sip:alice@example.com",
     "sip:alice@example.com", "sip:bob@example.com", 1200, "text/plain", "r5",
     2, "delivered"},
    /* a comma inside a URI does not separate recipients */
    {0, "alice@example.com", true, "sip:x,y@example.com",
     "sip:alice@example.com", "sip:x,y@example.com", 3000, "text/plain", "r6",
     2, "failed 480"},
};

static int put_recs(struct store *st, uint64_t ids[])
{
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		int err = store_arch_put_sync(st, &recs[i], &ids[i]);

		if (err)
			return err;
	}
	return 0;
}

/* ---- the suites ---- */

static int suite_arch(const char *uri)
{
	struct store *st = NULL;
	struct store_arch a;
	struct acol *c;
	uint64_t id[6] = {0}, nid = 0;
	int err;

	c = acol_alloc();
	if (!c)
		return ENOMEM;
	err = store_open(&st, uri, NULL);
	TEST_ERR(err);
	err = put_recs(st, id);
	TEST_ERR(err);
	TEST_ASSERT(id[0] > 0);
	for (int i = 1; i < 6; i++)
		TEST_ASSERT(id[i] > id[i - 1]);

	/* oldest first: by time, then id */
	err = query(st, "alice@example.com", NULL, 0, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r2 r3 r4 r1 r6", c->buf);
	TEST_EQ(id[1], c->a[0].id);
	TEST_EQ(id[3], c->a[2].id);
	TEST_STR_EQ("alice@example.com|in|sip:team@lists.example.com|"
	            "sip:erin@example.com|sip:alice@example.com, "
	            "sip:bob@example.com, sip:frank@example.com|1500|"
	            "text/plain|delivered",
	            c->a[2].full);
	TEST_STR_EQ("alice@example.com|out|sip:bob@example.com|"
	            "sip:alice@example.com|sip:bob@example.com|1000|"
	            "text/plain|pending",
	            c->a[0].full);
	TEST_EQ(2, c->a[0].len);
	err = query(st, "bob@example.com", NULL, 0, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r5", c->buf);
	/* owners compare exactly */
	err = query(st, "Alice@example.com", NULL, 0, 0, 0, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);

	/* peer: the record's peer, sender or any recipient, any case */
	err = query(st, "alice@example.com", "SIP:BOB@EXAMPLE.COM", 0, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r2 r3 r4", c->buf);
	err =
	    query(st, "alice@example.com", "sip:dave@example.com", 0, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r3", c->buf);
	err =
	    query(st, "alice@example.com", "sip:frank@example.com", 0, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r4", c->buf);
	err =
	    query(st, "alice@example.com", "sip:carol@example.com", 0, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r1", c->buf);
	err = query(st, "alice@example.com", "sip:TEAM@lists.example.com", 0, 0,
	            0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r3 r4", c->buf);
	err =
	    query(st, "alice@example.com", "sip:erin@example.com", 0, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r4", c->buf);
	err =
	    query(st, "alice@example.com", "sip:alice@example.com", 0, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r2 r3 r4 r1 r6", c->buf);
	err = query(st, "alice@example.com", "sip:x,y@example.com", 0, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r6", c->buf);
	/* whole URIs only */
	err = query(st, "alice@example.com", "sip:bob@example.co", 0, 0, 0, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);
	err = query(st, "alice@example.com", "bob@example.com", 0, 0, 0, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);
	err = query(st, "alice@example.com", "sip:x", 0, 0, 0, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);
	err = query(st, "alice@example.com", "y@example.com", 0, 0, 0, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);
	err = query(st, "alice@example.com", "", 0, 0, 0, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);

	/* since (inclusive), after_id, limit, and together */
	err = query(st, "alice@example.com", NULL, 1500, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r3 r4 r1 r6", c->buf);
	err = query(st, "alice@example.com", NULL, 1501, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r1 r6", c->buf);
	err = query(st, "alice@example.com", NULL, 3001, 0, 0, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);
	err = query(st, "alice@example.com", NULL, 0, id[2], 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r4 r6", c->buf);
	err = query(st, "alice@example.com", NULL, 0, 0, 2, c);
	TEST_ERR(err);
	TEST_STR_EQ("r2 r3", c->buf);
	err = query(st, "alice@example.com", "sip:bob@example.com", 1500, 0, 1,
	            c);
	TEST_ERR(err);
	TEST_STR_EQ("r3", c->buf);
	err = query(st, "alice@example.com", "sip:bob@example.com", 1500, id[2],
	            5, c);
	TEST_ERR(err);
	TEST_STR_EQ("r4", c->buf);
	err =
	    query(st, "alice@example.com", NULL, UINT64_MAX, UINT64_MAX, 0, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);

	/* outcome */
	err = store_arch_outcome(st, id[1], "delivered", adone_h, c);
	TEST_ERR(err);
	TEST_EQ(1, c->dones);
	err = c->done_err;
	TEST_ERR(err);
	err = store_arch_outcome(st, id[2], "failed 480", adone_h, c);
	TEST_ERR(err);
	err = c->done_err; /* ENOMEM in the backend */
	TEST_ERR(err);
	err = store_arch_outcome(st, id[5] + 100, "x", adone_h, c);
	TEST_ERR(err);
	TEST_EQ(3, c->dones);
	TEST_EQ(ENOENT, c->done_err);
	err = query(st, "alice@example.com", NULL, 0, 0, 3, c);
	TEST_ERR(err);
	TEST_STR_EQ("r2 r3 r4", c->buf);
	TEST_STR_EQ("alice@example.com|out|sip:bob@example.com|"
	            "sip:alice@example.com|sip:bob@example.com|1000|"
	            "text/plain|delivered",
	            c->a[0].full);
	TEST_ASSERT(strstr(c->a[1].full, "|message/cpim|failed 480"));
	TEST_EQ(id[2], c->a[1].id);

	/* an async put: the id goes to the handler */
	a = recs[4];
	a.body = "r7";
	a.time_ms = 1100;
	err = store_arch_put(st, &a, aput_h, c);
	TEST_ERR(err);
	TEST_EQ(1, c->puts);
	err = c->put_other;
	TEST_ERR(err);
	TEST_ASSERT(c->put_id[0] > id[5]);
	err = query(st, "bob@example.com", NULL, 0, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r7 r5", c->buf);
	TEST_EQ(c->put_id[0], c->a[0].id);

	/* retention: one owner's, then everyone's */
	c->dones = 0;
	err = store_arch_expire(st, "alice@example.com", 1500, adone_h, c);
	TEST_ERR(err);
	TEST_EQ(1, c->dones);
	err = c->done_err;
	TEST_ERR(err);
	err = query(st, "alice@example.com", NULL, 0, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r3 r4 r1 r6", c->buf);
	err = query(st, "bob@example.com", NULL, 0, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r7 r5", c->buf);
	err = store_arch_expire(st, NULL, 2001, NULL, NULL);
	TEST_ERR(err);
	err = query(st, "alice@example.com", NULL, 0, 0, 0, c);
	TEST_ERR(err);
	TEST_STR_EQ("r6", c->buf);
	err = query(st, "bob@example.com", NULL, 0, 0, 0, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);
	err = query(st, "alice@example.com", "sip:bob@example.com", 0, 0, 0, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);

	/* ids are never reused */
	err = store_arch_expire(st, NULL, UINT64_MAX, NULL, NULL);
	TEST_ERR(err);
	err = store_arch_put_sync(st, &recs[0], &nid);
	TEST_ERR(err);
	TEST_ASSERT(nid > c->put_id[0]);

	/* bad arguments: nothing queued, no handler */
	c->puts = c->dones = 0;
	a = recs[0];
	a.owner = NULL;
	TEST_ERR_EQ(EINVAL, store_arch_put_sync(st, &a, &nid));
	TEST_ERR_EQ(EINVAL, store_arch_put(st, &a, aput_h, c));
	a.owner = "";
	TEST_ERR_EQ(EINVAL, store_arch_put_sync(st, &a, &nid));
	a.owner = "alice@example.com";
	a.body = NULL;
	TEST_ERR_EQ(EINVAL, store_arch_put_sync(st, &a, &nid));
	a.body = "x";
	a.len = STORE_MAX_BODY + 1;
	TEST_ERR_EQ(E2BIG, store_arch_put_sync(st, &a, &nid));
	TEST_ERR_EQ(E2BIG, store_arch_put(st, &a, aput_h, c));
	TEST_ERR_EQ(EINVAL, store_arch_put_sync(st, NULL, &nid));
	TEST_ERR_EQ(EINVAL, store_arch_put_sync(NULL, &recs[0], &nid));
	TEST_ERR_EQ(EINVAL, store_arch_outcome(st, 0, "x", adone_h, c));
	TEST_ERR_EQ(EINVAL, store_arch_outcome(st, nid, NULL, adone_h, c));
	TEST_ERR_EQ(EINVAL, store_arch_list(st, NULL, arch_h, c));
	{
		struct store_arch_query q = {NULL, NULL, 0, 0, 0};

		TEST_ERR_EQ(EINVAL, store_arch_list(st, &q, arch_h, c));
		TEST_ERR_EQ(EINVAL, store_arch_list_async(st, &q, archs_h, c));
		q.owner = "";
		TEST_ERR_EQ(EINVAL, store_arch_list(st, &q, arch_h, c));
		q.owner = "alice@example.com";
		TEST_ERR_EQ(EINVAL, store_arch_list(st, &q, NULL, c));
		TEST_ERR_EQ(EINVAL, store_arch_list_async(st, &q, NULL, c));
	}
	TEST_ERR_EQ(EINVAL, store_arch_expire(NULL, NULL, 1, adone_h, c));
	TEST_EQ(0, c->puts);
	TEST_EQ(0, c->dones);
	TEST_ASSERT(!c->wrong);
	TEST_EQ(1, mem_nrefs(c));
out:
	mem_deref(st);
	mem_deref(c);
	return err;
}

/* Bodies are bytes; an empty body is an empty string. */
static int suite_arch_binary(const char *uri)
{
	static const char bin[] = "\0\xff<\xc3\x28>\0z";
	const size_t blen = sizeof(bin) - 1;
	struct store *st = NULL;
	struct store_arch a = recs[1];
	struct acol *c;
	int err;

	c = acol_alloc();
	if (!c)
		return ENOMEM;
	err = store_open(&st, uri, NULL);
	TEST_ERR(err);
	a.body = bin;
	a.len = blen;
	err = store_arch_put_sync(st, &a, NULL);
	TEST_ERR(err);
	a.time_ms++;
	err = store_arch_put(st, &a, aput_h, c);
	TEST_ERR(err);
	err = c->put_other;
	TEST_ERR(err);
	a.time_ms++;
	a.body = NULL;
	a.len = 0;
	a.outcome = NULL;
	a.recipients = NULL;
	err = store_arch_put_sync(st, &a, NULL);
	TEST_ERR(err);

	err = query(st, "alice@example.com", NULL, 0, 0, 0, c);
	TEST_ERR(err);
	TEST_EQ(3, c->n);
	for (int i = 0; i < 2; i++) {
		TEST_EQ(blen, c->a[i].len);
		TEST_ASSERT(!memcmp(c->a[i].body, bin, blen));
	}
	TEST_EQ(0, c->a[2].len);
	/* NULL strings are stored as "" */
	TEST_STR_EQ("alice@example.com|out|sip:bob@example.com|"
	            "sip:alice@example.com||1002|text/plain|",
	            c->a[2].full);
	TEST_ASSERT(!c->wrong);
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

static int suite_arch_loop(const char *uri)
{
	struct store *st = NULL;
	struct loop *l = NULL;
	struct store_arch a = recs[1];
	struct store_arch_query q = {"alice@example.com", NULL, 0, 0, 0};
	struct acol *c;
	char body[16];
	int err;

	c = acol_alloc();
	if (!c)
		return ENOMEM;
	err = loop_alloc(&l);
	TEST_ERR(err);
	err = store_open(&st, uri, l);
	TEST_ERR(err);

	for (int i = 0; i < 20; i++) {
		snprintf(body, sizeof(body), "a%02d", i);
		a.body = body;
		a.len = strlen(body);
		a.time_ms = 5000 - (uint64_t)i; /* newest first */
		err = store_arch_put(st, &a, aput_h, c);
		TEST_ERR(err);
	}
	memset(body, 'x', sizeof(body) - 1);
	TEST_EQ(0, c->puts);
	err = run_until(l, &c->puts, 20);
	TEST_ERR(err);
	TEST_EQ(20, c->put_ok);
	for (int i = 1; i < 20; i++)
		TEST_ASSERT(c->put_id[i] > c->put_id[i - 1]);

	/* outcomes and a query in one batch: the query sees the outcomes */
	err = store_arch_outcome(st, c->put_id[19], "delivered", adone_h, c);
	TEST_ERR(err);
	err = store_arch_outcome(st, c->put_id[18], "blocked", NULL, NULL);
	TEST_ERR(err);
	q.limit = 3;
	err = store_arch_list_async(st, &q, archs_h, c);
	TEST_ERR(err);
	err = run_until(l, &c->calls, 1);
	TEST_ERR(err);
	TEST_EQ(1, c->done_ok);
	TEST_EQ(0, c->err);
	TEST_STR_EQ("a19 a18 a17", c->buf);
	TEST_ASSERT(strstr(c->a[0].full, "|delivered"));
	TEST_ASSERT(strstr(c->a[1].full, "|blocked"));
	TEST_ASSERT(strstr(c->a[2].full, "|pending"));

	/* retention through the worker */
	err = store_arch_expire(st, "alice@example.com", 4990, adone_h, c);
	TEST_ERR(err);
	store_flush(st);
	TEST_EQ(2, c->done_ok);
	acol_clear(c);
	err = store_arch_list(st, &q, arch_h, c);
	TEST_ERR(err);
	TEST_STR_EQ("a10 a09 a08", c->buf);
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

TEST(test_store_mem_arch)
{
	return with_mem(suite_arch);
}

TEST(test_store_sqlite_arch)
{
	return with_sqlite(suite_arch);
}

TEST(test_store_mem_arch_binary)
{
	return with_mem(suite_arch_binary);
}

TEST(test_store_sqlite_arch_binary)
{
	return with_sqlite(suite_arch_binary);
}

TEST_NO_OOM(test_store_mem_arch_loop)
{
	return with_mem(suite_arch_loop);
}

TEST_NO_OOM(test_store_sqlite_arch_loop)
{
	return with_sqlite(suite_arch_loop);
}

/* ---- SQLite only ---- */

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

/* The URIs of the peer index follow the records: one per distinct URI,
 * gone with the record. */
TEST(test_store_sqlite_arch_uris)
{
	struct tmpdb t;
	struct store *st = NULL;
	uint64_t id[6];
	int n = -1, err = tmpdb_init(&t);

	if (err)
		return err;
	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	err = put_recs(st, id);
	TEST_ERR(err);
	/* r1 2 (peer and sender differ in case only: one), r2 2, r3 4,
	 * r4 5, r5 2, r6 2 */
	err = raw_count(t.path, "SELECT count(*) FROM archive_uris", &n);
	TEST_ERR(err);
	TEST_EQ(2 + 2 + 4 + 5 + 2 + 2, n);
	err = store_arch_expire(st, "alice@example.com", 1501, NULL, NULL);
	TEST_ERR(err);
	err = raw_count(t.path, "SELECT count(*) FROM archive_uris", &n);
	TEST_ERR(err);
	TEST_EQ(2 + 2 + 2, n);
	err = raw_count(t.path,
	                "SELECT count(*) FROM archive_uris WHERE arch_id "
	                "NOT IN (SELECT id FROM archive)",
	                &n);
	TEST_ERR(err);
	TEST_EQ(0, n);
	err = store_arch_expire(st, NULL, UINT64_MAX, NULL, NULL);
	TEST_ERR(err);
	err = raw_count(t.path, "SELECT count(*) FROM archive_uris", &n);
	TEST_ERR(err);
	TEST_EQ(0, n);
out:
	mem_deref(st);
	tmpdb_clean(&t);
	return err;
}

/* Acknowledged puts and outcomes survive closing the store. */
TEST_NO_OOM(test_store_sqlite_arch_persist)
{
	struct tmpdb t;
	struct store *st = NULL;
	struct loop *l = NULL;
	struct store_arch_query q = {"alice@example.com",
	                             "sip:dave@example.com", 0, 0, 0};
	struct acol *c = NULL;
	int err = tmpdb_init(&t);

	if (err)
		return err;
	c = acol_alloc();
	if (!c) {
		err = ENOMEM;
		goto out;
	}
	err = loop_alloc(&l);
	TEST_ERR(err);
	err = store_open(&st, t.uri, l);
	TEST_ERR(err);
	err = store_arch_put(st, &recs[2], aput_h, c);
	TEST_ERR(err);
	err = run_until(l, &c->puts, 1);
	TEST_ERR(err);
	TEST_EQ(1, c->put_ok);
	err = store_arch_outcome(st, c->put_id[0], "delivered", adone_h, c);
	TEST_ERR(err);
	err = run_until(l, &c->dones, 1);
	TEST_ERR(err);
	TEST_EQ(1, c->done_ok);
	st = mem_deref(st);
	loop_drain(l);

	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	acol_clear(c);
	err = store_arch_list(st, &q, arch_h, c);
	TEST_ERR(err);
	TEST_STR_EQ("r3", c->buf);
	TEST_EQ(c->put_id[0], c->a[0].id);
	TEST_STR_EQ("alice@example.com|out|sip:team@lists.example.com|"
	            "sip:alice@example.com|sip:bob@example.com, "
	            "sip:dave@example.com|1500|message/cpim|delivered",
	            c->a[0].full);
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
