/* tests/unit/proxy/test_proxy_user.c - 404 or 480 (RFC 3261 16.5, 21.4) */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "../sip/rec_tp.h"
#include "../store/store_test.h"
#include "base/loop.h"
#include "base/mem.h"
#include "sip/tsx.h"
#include "store/store.h"
#include "test.h"
#include "test_proxy_util.h"

#define CALLER "192.0.2.1:5062"
#define ALICE  "sip:alice@atlanta.com" /* a foreign caller */
#define BOBC   "192.0.2.20:5070"       /* bob's registered contact */

static const struct pt_binding bob1[] = {
    {"bob@example.com", "sip:bob@" BOBC, "udp:" BOBC, 1000, NULL},
};
static const char *const users[] = {"alice", "bob"};

/* Add user to st in example.com, enabled or not (no credentials needed:
 * the proxy only asks whether the user exists). */
static int user_put(struct store *st, const char *user, bool enabled)
{
	struct store_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.user, sizeof(u.user), "%s", user);
	snprintf(u.domain, sizeof(u.domain), "example.com");
	u.enabled = enabled;
	return store_user_add(st, &u);
}

/* The last record sent to the caller starts with prefix. */
static bool last_is(const struct pfix *f, const char *prefix)
{
	int i = pt_find(f, 0, prefix, CALLER), j = i;

	while (j >= 0) {
		i = j;
		j = pt_find(f, (uint32_t)i + 1, prefix, CALLER);
	}
	return i >= 0 && (uint32_t)i + 1 == pt_n(f);
}

TEST(test_proxy_user_unknown_404)
{
	struct pfix f;
	int err, i;

	PT_START();
	err = pfix_init(&f, NULL, bob1, 1, users, 2, false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "INVITE", "sip:carol@example.com", "z9hG4bKu1", ALICE,
	              NULL, NULL, 70, NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 100 ", CALLER));
	i = pt_find(&f, 0, "SIP/2.0 404 Not Found\r\n", CALLER);
	PT_ASSERT(i >= 0);
	PT_ASSERT(!pt_has(&f, i, "Retry-After"));
	PT_ERR(pt_req(&f, "MESSAGE", "sip:carol@example.com", "z9hG4bKu2",
	              ALICE, NULL, NULL, 70, NULL));
	PT_ASSERT(last_is(&f, "SIP/2.0 404 "));
	/* a user of another domain is not ours */
	PT_ERR(pt_req(&f, "MESSAGE", "sip:alice@127.0.0.1", "z9hG4bKu3", ALICE,
	              NULL, NULL, 70, NULL));
	PT_ASSERT(last_is(&f, "SIP/2.0 404 "));
	/* a temporary GRUU nobody holds */
	PT_ERR(pt_req(&f, "MESSAGE", "sip:tgruu.7hs8kjs@example.com;gr",
	              "z9hG4bKu4", ALICE, NULL, NULL, 70, NULL));
	PT_ASSERT(last_is(&f, "SIP/2.0 404 "));
	PT_EQ(4, pt_count(&f, "SIP/2.0 404 ", CALLER));
	PT_EQ(0, pt_count(&f, "SIP/2.0 480 ", NULL));
	PT_EQ(0, pt_count(&f, "INVITE ", NULL));
	PT_EQ(0, pt_count(&f, "MESSAGE ", NULL));
out:
	pfix_close(&f);
	return err;
}

TEST(test_proxy_user_known_480)
{
	struct pfix f;
	int err;

	PT_START();
	err = pfix_init(&f, NULL, bob1, 1, users, 2, false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "INVITE", "sip:alice@example.com", "z9hG4bKk1", ALICE,
	              NULL, NULL, 70, NULL));
	PT_ASSERT(last_is(&f, "SIP/2.0 480 Temporarily Unavailable\r\n"));
	/* the AoR is normalised as the registrar does it */
	PT_ERR(pt_req(&f, "MESSAGE", "sip:%61lice@EXAMPLE.com", "z9hG4bKk2",
	              ALICE, NULL, NULL, 70, NULL));
	PT_ASSERT(last_is(&f, "SIP/2.0 480 "));
	/* her public GRUU, no instance registered */
	PT_ERR(pt_req(&f, "MESSAGE",
	              "sip:alice@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-"
	              "a765-00a0c91e6bf6",
	              "z9hG4bKk3", ALICE, NULL, NULL, 70, NULL));
	PT_ASSERT(last_is(&f, "SIP/2.0 480 "));
	PT_EQ(3, pt_count(&f, "SIP/2.0 480 ", CALLER));
	PT_EQ(0, pt_count(&f, "SIP/2.0 404 ", NULL));
out:
	pfix_close(&f);
	return err;
}

/* A disabled account looks like a missing one; nothing is cached: once
 * enabled the next request gets 480. */
TEST(test_proxy_user_disabled_404)
{
	struct store_user u;
	struct pfix f;
	int err;

	PT_START();
	err = pfix_init(&f, NULL, bob1, 1, users, 2, false);
	TEST_ERR(err);
	err = user_put(f.st, "eve", false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "MESSAGE", "sip:eve@example.com", "z9hG4bKd1", ALICE,
	              NULL, NULL, 70, NULL));
	PT_ASSERT(last_is(&f, "SIP/2.0 404 Not Found\r\n"));
	err = store_user_get(f.st, "eve", "example.com", &u);
	TEST_ERR(err);
	u.enabled = true;
	err = store_user_update(f.st, &u);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "MESSAGE", "sip:eve@example.com", "z9hG4bKd2", ALICE,
	              NULL, NULL, 70, NULL));
	PT_ASSERT(last_is(&f, "SIP/2.0 480 "));
	PT_EQ(1, pt_count(&f, "SIP/2.0 404 ", CALLER));
out:
	pfix_close(&f);
	return err;
}

/* With a binding the directory is not asked: forwarded as before, even
 * for a binding whose user is not in the store. */
TEST(test_proxy_user_bound_forwarded)
{
	static const struct pt_binding b[] = {
	    {"bob@example.com", "sip:bob@" BOBC, "udp:" BOBC, 1000, NULL},
	    {"zoe@example.com", "sip:zoe@192.0.2.21:5070",
	     "udp:192.0.2.21:5070", 1000, NULL},
	};
	struct pfix f;
	int err, i;

	PT_START();
	err = pfix_init(&f, NULL, b, 2, users, 2, false);
	TEST_ERR(err);
	PT_ERR(pt_req(&f, "INVITE", "sip:bob@example.com", "z9hG4bKb1", ALICE,
	              NULL, NULL, 70, NULL));
	i = pt_find(&f, 0, "INVITE sip:bob@" BOBC " SIP/2.0", BOBC);
	PT_ASSERT(i >= 0);
	PT_ERR(pt_respond(&f, (uint32_t)i, 486, "b1", NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 486 ", CALLER));
	PT_ERR(pt_req(&f, "MESSAGE", "sip:zoe@example.com", "z9hG4bKb2", ALICE,
	              NULL, NULL, 70, NULL));
	i = pt_find(&f, 0, "MESSAGE sip:zoe@192.0.2.21:5070 SIP/2.0",
	            "192.0.2.21:5070");
	PT_ASSERT(i >= 0);
	PT_ERR(pt_respond(&f, (uint32_t)i, 200, "z1", NULL));
	PT_EQ(1, pt_count(&f, "SIP/2.0 200 ", CALLER));
	PT_EQ(0, pt_count(&f, "SIP/2.0 404 ", NULL));
	PT_EQ(0, pt_count(&f, "SIP/2.0 480 ", NULL));
out:
	pfix_close(&f);
	return err;
}

/*
 * Completions through a real loop: the lookup answers later. The request
 * context outlives a CANCEL that comes meanwhile (ASan and the leak check
 * watch it), and so does the end of the proxy.
 */
TEST_NO_OOM(test_proxy_user_deferred)
{
	struct loop *loop = NULL;
	struct store *st = NULL;
	struct pfix f;
	uint32_t n;
	int err;

	memset(&f, 0, sizeof(f));
	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = store_open(&st, "mem:", loop);
	TEST_ERR(err);
	err = store_domain_add(st, "example.com");
	TEST_ERR(err);
	err = user_put(st, "carol", true);
	TEST_ERR(err);
	err = pfix_init(&f, NULL, bob1, 1, NULL, 0, false);
	TEST_ERR(err);
	err = proxy_set_store(f.p, st);
	TEST_ERR(err);

	/* unknown user: 100 now, 404 once the loop delivers */
	err = pt_req(&f, "INVITE", "sip:dave@example.com", "z9hG4bKa1", ALICE,
	             NULL, NULL, 70, NULL);
	TEST_ERR(err);
	TEST_EQ(1, pt_n(&f));
	TEST_EQ(1, pt_count(&f, "SIP/2.0 100 ", CALLER));
	err = loop_run_once(loop, 1000);
	TEST_ERR(err);
	TEST_ASSERT(last_is(&f, "SIP/2.0 404 "));

	/* known user, CANCEL during the lookup: 200 and 487, then nothing */
	n = pt_n(&f);
	err = pt_req(&f, "INVITE", "sip:carol@example.com", "z9hG4bKa2", ALICE,
	             NULL, NULL, 70, NULL);
	TEST_ERR(err);
	TEST_EQ(n + 1, pt_n(&f)); /* the 100 */
	err = pt_recv(&f, SIP_TRANSP_UDP, CALLER,
	              "CANCEL sip:carol@example.com SIP/2.0\n"
	              "Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKa2;"
	              "rport\n"
	              "Max-Forwards: 70\n"
	              "From: <" ALICE ">;tag=f1\n"
	              "To: <sip:carol@example.com>\n"
	              "Call-ID: c1@192.0.2.1\n"
	              "CSeq: 1 CANCEL\n"
	              "Content-Length: 0\n\n");
	TEST_ERR(err);
	TEST_EQ(1, pt_count(&f, "SIP/2.0 487 ", CALLER));
	TEST_EQ(1, pt_count(&f, "SIP/2.0 200 ", CALLER));
	n = pt_n(&f);
	err = loop_run_once(loop, 1000);
	TEST_ERR(err);
	store_flush(st); /* whatever the loop has not run yet */
	TEST_EQ(n, pt_n(&f));
	TEST_EQ(0, pt_count(&f, "SIP/2.0 480 ", NULL));

	/* known user, nobody cancels: 480 */
	err = pt_req(&f, "MESSAGE", "sip:carol@example.com", "z9hG4bKa3", ALICE,
	             NULL, NULL, 70, NULL);
	TEST_ERR(err);
	TEST_EQ(n, pt_n(&f));
	err = loop_run_once(loop, 1000);
	TEST_ERR(err);
	TEST_ASSERT(last_is(&f, "SIP/2.0 480 "));

	/* the proxy goes away during the lookup: nothing is answered */
	n = pt_n(&f);
	err = pt_req(&f, "MESSAGE", "sip:dave@example.com", "z9hG4bKa4", ALICE,
	             NULL, NULL, 70, NULL);
	TEST_ERR(err);
	f.p = mem_deref(f.p);
	err = loop_run_once(loop, 1000);
	TEST_ERR(err);
	store_flush(st);
	TEST_EQ(n, pt_n(&f));
out:
	pfix_close(&f);
	mem_deref(st);
	mem_deref(loop);
	return err;
}

/* A store that fails: 500 with Retry-After, not a guess. */
TEST_NO_OOM(test_proxy_user_store_error)
{
	struct tmpdb t = {0};
	struct store *st = NULL;
	sqlite3 *db = NULL;
	struct pfix f;
	int err, i;

	memset(&f, 0, sizeof(f));
	err = tmpdb_init(&t);
	TEST_ERR(err);
	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	err = store_domain_add(st, "example.com");
	TEST_ERR(err);
	err = user_put(st, "carol", true);
	TEST_ERR(err);
	err = pfix_init(&f, NULL, bob1, 1, NULL, 0, false);
	TEST_ERR(err);
	err = proxy_set_store(f.p, st);
	TEST_ERR(err);
	err = pt_req(&f, "MESSAGE", "sip:carol@example.com", "z9hG4bKe1", ALICE,
	             NULL, NULL, 70, NULL);
	TEST_ERR(err);
	TEST_ASSERT(last_is(&f, "SIP/2.0 480 "));

	/* the users table disappears under the store */
	TEST_EQ(SQLITE_OK, sqlite3_open(t.path, &db));
	TEST_EQ(SQLITE_OK,
	        sqlite3_exec(db, "DROP TABLE users", NULL, NULL, NULL));
	err = pt_req(&f, "MESSAGE", "sip:carol@example.com", "z9hG4bKe2", ALICE,
	             NULL, NULL, 70, NULL);
	TEST_ERR(err);
	i = pt_find(&f, 0, "SIP/2.0 500 ", CALLER);
	TEST_ASSERT(i >= 0);
	TEST_ASSERT(pt_has(&f, i, "Retry-After: 5\r\n"));
	TEST_EQ(0, pt_count(&f, "SIP/2.0 404 ", NULL));
out:
	if (db)
		sqlite3_close(db);
	pfix_close(&f);
	mem_deref(st);
	if (t.dir[0])
		tmpdb_clean(&t);
	return err;
}
