/* tests/unit/store/test_store.c - one suite, run for both store backends */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/loop.h"
#include "base/mem.h"
#include "store/store.h"
#include "store_test.h"
#include "test.h"

int tmpdb_init(struct tmpdb *t)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(t->dir, sizeof(t->dir), "%s/impd-store-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t->dir))
		return EIO;
	snprintf(t->path, sizeof(t->path), "%s/test.db", t->dir);
	snprintf(t->uri, sizeof(t->uri), "sqlite:%s", t->path);
	return 0;
}

void tmpdb_clean(struct tmpdb *t)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[400];

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, sfx[i]);
		unlink(p);
	}
	rmdir(t->path); /* when a test made it a directory */
	rmdir(t->dir);
}

/* ---- collecting list output ---- */

struct names {
	char buf[8192];
	unsigned n;
};

static void add_name(struct names *nm, const char *s)
{
	size_t l = strlen(nm->buf);

	snprintf(nm->buf + l, sizeof(nm->buf) - l, "%s%s", nm->n ? " " : "", s);
	nm->n++;
}

static void domain_h(const char *domain, void *arg)
{
	add_name(arg, domain);
}

static void user_h(const struct store_user *u, void *arg)
{
	char s[300];

	snprintf(s, sizeof(s), "%s@%s", u->user, u->domain);
	add_name(arg, s);
}

static void binding_h(const struct store_binding *b, void *arg)
{
	char s[300];

	snprintf(s, sizeof(s), "%s>%s", b->aor, b->contact);
	add_name(arg, s);
}

static void user_fill(struct store_user *u, const char *user,
                      const char *domain, char c)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->user, sizeof(u->user), "%s", user);
	snprintf(u->domain, sizeof(u->domain), "%s", domain);
	memset(u->ha1_md5, c, 32);
	memset(u->ha1_sha256, c, 64);
	u->enabled = true;
}

/* ---- the suite: every function takes a store URI ---- */

typedef int suite_h(const char *uri);

static int suite_domains(const char *uri)
{
	struct store *st = NULL;
	struct names nm = {"", 0};
	char longname[200];
	bool ex = true;
	int err;

	err = store_open(&st, uri, NULL);
	TEST_ERR(err);
	TEST_EQ(4, store_schema_version(st));

	err = store_domain_add(st, "example.com");
	TEST_ERR(err);
	err = store_domain_add(st, "b.example");
	TEST_ERR(err);
	err = store_domain_add(st, "a.example");
	TEST_ERR(err);
	TEST_ERR_EQ(EEXIST, store_domain_add(st, "EXAMPLE.com"));
	TEST_ERR_EQ(EINVAL, store_domain_add(st, ""));
	TEST_ERR_EQ(EINVAL, store_domain_add(st, NULL));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	TEST_ERR_EQ(EINVAL, store_domain_add(st, longname));

	err = store_domain_exists(st, "Example.COM", &ex);
	TEST_ERR(err);
	TEST_ASSERT(ex);
	err = store_domain_exists(st, "nowhere.example", &ex);
	TEST_ERR(err);
	TEST_ASSERT(!ex);

	err = store_domain_list(st, domain_h, &nm);
	TEST_ERR(err);
	TEST_STR_EQ("a.example b.example example.com", nm.buf);

	err = store_domain_remove(st, "B.EXAMPLE");
	TEST_ERR(err);
	TEST_ERR_EQ(ENOENT, store_domain_remove(st, "b.example"));
	memset(&nm, 0, sizeof(nm));
	err = store_domain_list(st, domain_h, &nm);
	TEST_ERR(err);
	TEST_STR_EQ("a.example example.com", nm.buf);
out:
	mem_deref(st);
	return err;
}

static int suite_users(const char *uri)
{
	struct store *st = NULL;
	struct store_user u, g;
	struct names nm = {"", 0};
	int err;

	err = store_open(&st, uri, NULL);
	TEST_ERR(err);

	user_fill(&u, "alice", "example.com", 'a');
	TEST_ERR_EQ(ENOENT, store_user_add(st, &u)); /* no such domain */
	err = store_domain_add(st, "example.com");
	TEST_ERR(err);
	err = store_domain_add(st, "other.example");
	TEST_ERR(err);
	err = store_user_add(st, &u);
	TEST_ERR(err);
	TEST_ERR_EQ(EEXIST, store_user_add(st, &u));
	user_fill(&u, "bob", "example.com", 'b');
	err = store_user_add(st, &u);
	TEST_ERR(err);
	user_fill(&u, "Alice", "example.com", 'c'); /* user part: exact */
	err = store_user_add(st, &u);
	TEST_ERR(err);
	user_fill(&u, "carol", "other.example", 'd');
	err = store_user_add(st, &u);
	TEST_ERR(err);
	user_fill(&u, "", "example.com", 'd');
	TEST_ERR_EQ(EINVAL, store_user_add(st, &u));

	err = store_user_get(st, "alice", "EXAMPLE.COM", &g);
	TEST_ERR(err);
	TEST_STR_EQ("alice", g.user);
	TEST_STR_EQ("example.com", g.domain);
	TEST_EQ(32, strlen(g.ha1_md5));
	TEST_ASSERT(g.ha1_md5[0] == 'a' && g.ha1_sha256[63] == 'a');
	TEST_ASSERT(g.enabled);
	TEST_ERR_EQ(ENOENT, store_user_get(st, "mallory", "example.com", &g));

	user_fill(&u, "alice", "example.com", 'e');
	u.enabled = false;
	err = store_user_update(st, &u);
	TEST_ERR(err);
	err = store_user_get(st, "alice", "example.com", &g);
	TEST_ERR(err);
	TEST_ASSERT(g.ha1_md5[0] == 'e' && !g.enabled);
	user_fill(&u, "nobody", "example.com", 'e');
	TEST_ERR_EQ(ENOENT, store_user_update(st, &u));

	err = store_user_list(st, NULL, user_h, &nm);
	TEST_ERR(err);
	TEST_STR_EQ("Alice@example.com alice@example.com bob@example.com "
	            "carol@other.example",
	            nm.buf);
	memset(&nm, 0, sizeof(nm));
	err = store_user_list(st, "Other.Example", user_h, &nm);
	TEST_ERR(err);
	TEST_STR_EQ("carol@other.example", nm.buf);

	err = store_user_remove(st, "bob", "example.com");
	TEST_ERR(err);
	TEST_ERR_EQ(ENOENT, store_user_remove(st, "bob", "example.com"));

	/* a domain's users go with it */
	err = store_domain_remove(st, "example.com");
	TEST_ERR(err);
	memset(&nm, 0, sizeof(nm));
	err = store_user_list(st, NULL, user_h, &nm);
	TEST_ERR(err);
	TEST_STR_EQ("carol@other.example", nm.buf);
out:
	mem_deref(st);
	return err;
}

static const struct store_binding b_full = {
    .aor = "ignored",
    .contact = "sip:alice@192.0.2.10:5060;transport=tcp",
    .instance = "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>",
    .reg_id = 1,
    .callid = "843817637684230@998sdasdh09",
    .cseq = 1826,
    .expires = 4102444800ULL, /* 2100-01-01 */
    .q = 700,
    .path = "<sip:p1.example.com;lr>,<sip:p2.example.com;lr>",
    .received = "tcp:192.0.2.10:40000",
    .params = "+sip.instance=\"<urn:uuid:0>\";reg-id=1",
    .user_agent = "test/1.0",
    .temp_gruu = "tgruu.7hs==",
};

static void full_h(const struct store_binding *b, void *arg)
{
	int *ok = arg;

	*ok = !strcmp(b->aor, "alice@example.com") &&
	      !strcmp(b->contact, b_full.contact) &&
	      !strcmp(b->instance, b_full.instance) && b->reg_id == 1 &&
	      !strcmp(b->callid, b_full.callid) && b->cseq == 1826 &&
	      b->expires == b_full.expires && b->q == 700 &&
	      !strcmp(b->path, b_full.path) &&
	      !strcmp(b->received, b_full.received) &&
	      !strcmp(b->params, b_full.params) &&
	      !strcmp(b->user_agent, b_full.user_agent) &&
	      !strcmp(b->temp_gruu, b_full.temp_gruu);
}

static void empty_h(const struct store_binding *b, void *arg)
{
	int *ok = arg;

	/* NULL strings come back as "" */
	*ok = !strcmp(b->instance, "") && !strcmp(b->callid, "") &&
	      !strcmp(b->path, "") && !strcmp(b->temp_gruu, "") &&
	      !strcmp(b->user_agent, "");
}

static int suite_regs(const char *uri)
{
	struct store *st = NULL;
	struct store_binding b[3] = {{0}};
	struct names nm = {"", 0};
	int ok = 0, err;

	err = store_open(&st, uri, NULL);
	TEST_ERR(err);

	b[0].contact = "sip:a1@192.0.2.1";
	b[0].expires = 100;
	b[1].contact = "sip:a2@192.0.2.2";
	b[1].expires = 200;
	err = store_reg_replace_sync(st, "alice@example.com", b, 2);
	TEST_ERR(err);
	b[2].contact = "sip:b1@192.0.2.3";
	err = store_reg_replace_sync(st, "bob@example.com", &b[2], 1);
	TEST_ERR(err);

	err = store_reg_list(st, NULL, binding_h, &nm);
	TEST_ERR(err);
	TEST_STR_EQ("alice@example.com>sip:a1@192.0.2.1 "
	            "alice@example.com>sip:a2@192.0.2.2 "
	            "bob@example.com>sip:b1@192.0.2.3",
	            nm.buf);

	/* replace: the old bindings go */
	err = store_reg_replace_sync(st, "alice@example.com", &b_full, 1);
	TEST_ERR(err);
	err = store_reg_list(st, "alice@example.com", full_h, &ok);
	TEST_ERR(err);
	TEST_ASSERT(ok);
	memset(&nm, 0, sizeof(nm));
	err = store_reg_list(st, "alice@example.com", binding_h, &nm);
	TEST_ERR(err);
	TEST_EQ(1, nm.n);

	ok = 0;
	err = store_reg_list(st, "bob@example.com", empty_h, &ok);
	TEST_ERR(err);
	TEST_ASSERT(ok);

	/* n == 0 removes the AoR */
	err = store_reg_replace_sync(st, "alice@example.com", NULL, 0);
	TEST_ERR(err);
	memset(&nm, 0, sizeof(nm));
	err = store_reg_list(st, NULL, binding_h, &nm);
	TEST_ERR(err);
	TEST_STR_EQ("bob@example.com>sip:b1@192.0.2.3", nm.buf);

	/* bad arguments */
	b[0].contact = NULL;
	TEST_ERR_EQ(EINVAL, store_reg_replace_sync(st, "x@example.com", b, 1));
	TEST_ERR_EQ(EINVAL, store_reg_replace_sync(st, "", &b[1], 1));
	TEST_ERR_EQ(EINVAL,
	            store_reg_replace_sync(st, "x@example.com", NULL, 1));
	TEST_ERR_EQ(EINVAL, store_reg_list(st, NULL, NULL, NULL));
out:
	mem_deref(st);
	return err;
}

/* ---- async without a loop: handlers run inline ---- */

struct actx {
	int calls;
	int ok;  /* handlers that saw err == 0 */
	int eio; /* handlers that saw EIO */
	int other;
	int found;
	int nomem; /* handlers that saw ENOMEM (OOM replay) */
	bool wrong_thread;
	pthread_t tid;
};

static void done_h(int err, void *arg)
{
	struct actx *c = arg;

	c->calls++;
	if (!pthread_equal(c->tid, pthread_self()))
		c->wrong_thread = true;
	if (!err)
		c->ok++;
	else if (err == EIO)
		c->eio++;
	else if (err == ENOMEM)
		c->nomem++;
	else
		c->other++;
}

static void uget_h(int err, const struct store_user *u, void *arg)
{
	struct actx *c = arg;

	c->calls++;
	if (!pthread_equal(c->tid, pthread_self()))
		c->wrong_thread = true;
	if (!err && u && !strcmp(u->user, "alice"))
		c->found++;
	else if (err == ENOENT && !u)
		c->other++;
	else if (err == EIO)
		c->eio++;
}

static int suite_async_inline(const char *uri)
{
	struct store *st = NULL;
	struct store_binding b = {0};
	struct store_user u;
	struct actx *c;
	struct names nm = {"", 0};
	int err;

	c = mem_zalloc(sizeof(*c), NULL);
	if (!c)
		return ENOMEM;
	c->tid = pthread_self();
	err = store_open(&st, uri, NULL);
	TEST_ERR(err);
	err = store_domain_add(st, "example.com");
	TEST_ERR(err);
	user_fill(&u, "alice", "example.com", 'a');
	err = store_user_add(st, &u);
	TEST_ERR(err);

	b.contact = "sip:alice@192.0.2.1";
	b.expires = 1000;
	err = store_reg_replace(st, "alice@example.com", &b, 1, done_h, c);
	TEST_ERR(err);
	if (c->nomem) {
		err = ENOMEM;
		goto out;
	}
	TEST_EQ(1, c->calls); /* no loop: done before return */
	TEST_EQ(1, c->ok);
	err = store_reg_list(st, NULL, binding_h, &nm);
	TEST_ERR(err);
	TEST_STR_EQ("alice@example.com>sip:alice@192.0.2.1", nm.buf);

	err = store_user_get_async(st, "alice", "example.com", uget_h, c);
	TEST_ERR(err);
	err = store_user_get_async(st, "bob", "example.com", uget_h, c);
	TEST_ERR(err);
	TEST_EQ(3, c->calls);
	TEST_EQ(1, c->found);
	TEST_EQ(1, c->other);

	TEST_ERR_EQ(EINVAL, store_user_get_async(st, "a", NULL, uget_h, c));
	TEST_ERR_EQ(EINVAL, store_reg_replace(st, NULL, &b, 1, done_h, c));
	/* a NULL handler is allowed for writes */
	err = store_reg_replace(st, "alice@example.com", NULL, 0, NULL, NULL);
	TEST_ERR(err);
	TEST_EQ(1, mem_nrefs(c)); /* every reference given back */
	store_flush(st);
out:
	mem_deref(st);
	mem_deref(c);
	return err;
}

/* ---- async through a real loop ---- */

static int run_until(struct loop *l, const int *count, int want)
{
	for (int i = 0; i < 1000 && *count < want; i++) {
		int err = loop_run_once(l, 10);

		if (err)
			return err;
	}
	return *count >= want ? 0 : ETIMEDOUT;
}

/* Posts still queued on the loop hold the store's completion queue. */
static void loop_drain(struct loop *l)
{
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 0);
}

static int suite_async_loop(const char *uri)
{
	struct store *st = NULL;
	struct loop *l = NULL;
	struct store_binding b = {0};
	struct store_user u;
	struct actx *c;
	struct names nm = {"", 0};
	char aor[64], contact[64];
	int err;

	c = mem_zalloc(sizeof(*c), NULL);
	if (!c)
		return ENOMEM;
	c->tid = pthread_self();
	err = loop_alloc(&l);
	TEST_ERR(err);
	err = store_open(&st, uri, l);
	TEST_ERR(err);
	err = store_domain_add(st, "example.com");
	TEST_ERR(err);
	user_fill(&u, "alice", "example.com", 'a');
	err = store_user_add(st, &u);
	TEST_ERR(err);

	/* 100 puts queued at once: all acknowledged, all there */
	for (int i = 0; i < 100; i++) {
		snprintf(aor, sizeof(aor), "u%03d@example.com", i);
		snprintf(contact, sizeof(contact), "sip:u%03d@192.0.2.1", i);
		b.contact = contact;
		b.expires = 1000 + (uint64_t)i;
		err = store_reg_replace(st, aor, &b, 1, done_h, c);
		TEST_ERR(err);
	}
	/* the strings were copied */
	memset(contact, 'x', sizeof(contact) - 1);
	err = run_until(l, &c->calls, 100);
	TEST_ERR(err);
	TEST_EQ(100, c->ok);
	TEST_ASSERT(!c->wrong_thread);
	err = store_reg_list(st, NULL, binding_h, &nm);
	TEST_ERR(err);
	TEST_EQ(100, nm.n);
	TEST_ASSERT(strstr(nm.buf, "u000@example.com>sip:u000@192.0.2.1"));
	TEST_ASSERT(strstr(nm.buf, "u099@example.com>sip:u099@192.0.2.1"));

	/* lookups, found and not */
	err = store_user_get_async(st, "alice", "example.com", uget_h, c);
	TEST_ERR(err);
	err = store_user_get_async(st, "zed", "example.com", uget_h, c);
	TEST_ERR(err);
	err = run_until(l, &c->calls, 102);
	TEST_ERR(err);
	TEST_EQ(1, c->found);
	TEST_EQ(1, c->other);

	/* store_flush: every handler has run when it returns */
	for (int i = 0; i < 50; i++) {
		snprintf(aor, sizeof(aor), "u%03d@example.com", i);
		err = store_reg_replace(st, aor, NULL, 0, done_h, c);
		TEST_ERR(err);
	}
	store_flush(st);
	TEST_EQ(152, c->calls);
	TEST_EQ(150, c->ok);
	TEST_ASSERT(!c->wrong_thread);
	memset(&nm, 0, sizeof(nm));
	err = store_reg_list(st, NULL, binding_h, &nm);
	TEST_ERR(err);
	TEST_EQ(50, nm.n);
	TEST_EQ(1, mem_nrefs(c));
out:
	mem_deref(st);
	if (l)
		loop_drain(l);
	mem_deref(l);
	mem_deref(c);
	return err;
}

/* Freeing the store cancels undelivered completions: no handler runs,
 * every argument is released, and queued writes are not lost. */
static int suite_async_cancel(const char *uri)
{
	struct store *st = NULL;
	struct loop *l = NULL;
	struct store_binding b = {0};
	struct actx *c;
	struct names nm = {"", 0};
	int err;

	c = mem_zalloc(sizeof(*c), NULL);
	if (!c)
		return ENOMEM;
	err = loop_alloc(&l);
	TEST_ERR(err);
	err = store_open(&st, uri, l);
	TEST_ERR(err);
	b.contact = "sip:x@192.0.2.1";
	for (int i = 0; i < 10; i++) {
		err = store_reg_replace(st, "x@example.com", &b, 1, done_h, c);
		TEST_ERR(err);
	}
	st = mem_deref(st);
	loop_drain(l);
	TEST_EQ(0, c->calls);
	TEST_EQ(1, mem_nrefs(c));

	if (!strncmp(uri, "sqlite:", 7)) {
		err = store_open(&st, uri, NULL);
		TEST_ERR(err);
		err = store_reg_list(st, NULL, binding_h, &nm);
		TEST_ERR(err);
		TEST_STR_EQ("x@example.com>sip:x@192.0.2.1", nm.buf);
	}
out:
	mem_deref(st);
	if (l)
		loop_drain(l);
	mem_deref(l);
	mem_deref(c);
	return err;
}

/* ---- the same suite for each backend ---- */

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

TEST(test_store_mem_domains)
{
	return with_mem(suite_domains);
}

TEST(test_store_sqlite_domains)
{
	return with_sqlite(suite_domains);
}

TEST(test_store_mem_users)
{
	return with_mem(suite_users);
}

TEST(test_store_sqlite_users)
{
	return with_sqlite(suite_users);
}

TEST(test_store_mem_regs)
{
	return with_mem(suite_regs);
}

TEST(test_store_sqlite_regs)
{
	return with_sqlite(suite_regs);
}

TEST(test_store_mem_async_inline)
{
	return with_mem(suite_async_inline);
}

TEST(test_store_sqlite_async_inline)
{
	return with_sqlite(suite_async_inline);
}

TEST_NO_OOM(test_store_mem_async_loop)
{
	return with_mem(suite_async_loop);
}

TEST_NO_OOM(test_store_sqlite_async_loop)
{
	return with_sqlite(suite_async_loop);
}

TEST_NO_OOM(test_store_mem_async_cancel)
{
	return with_mem(suite_async_cancel);
}

TEST_NO_OOM(test_store_sqlite_async_cancel)
{
	return with_sqlite(suite_async_cancel);
}

TEST(test_store_bad_uri)
{
	struct store *st = NULL;
	int err = 0;

	TEST_ERR_EQ(EINVAL, store_open(&st, "nosuch:x", NULL));
	TEST_ERR_EQ(EINVAL, store_open(&st, "impd.db", NULL));
	TEST_ERR_EQ(EINVAL, store_open(&st, "sqlite:", NULL));
	TEST_ERR_EQ(EINVAL, store_open(&st, "mem:x", NULL));
	TEST_ERR_EQ(EINVAL, store_open(NULL, "mem:", NULL));
	TEST_ASSERT(st == NULL);
out:
	mem_deref(st);
	return err;
}
