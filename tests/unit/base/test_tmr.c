/* tests/unit/base/test_tmr.c - timers on the fake clock */
#include <stdlib.h>

#include "base/mem.h"
#include "base/tmr.h"
#include "test.h"

struct rec {
	struct tmrl *tl;
	int order[64];
	uint64_t at[64];
	int n;
};

struct ent {
	struct tmr t;
	struct rec *r;
	int id;
	int restarts;       /* restart itself this many times */
	struct tmr *cancel; /* cancel this one when fired */
};

static void ent_fire(void *arg)
{
	struct ent *e = arg;
	struct rec *r = e->r;

	if (r->n < 64) {
		r->order[r->n] = e->id;
		r->at[r->n] = tmrl_now(r->tl);
		r->n++;
	}
	if (e->cancel)
		tmr_cancel(e->cancel);
	if (e->restarts > 0) {
		e->restarts--;
		(void)tmr_start(&e->t, r->tl, 10, ent_fire, e);
	}
}

TEST(test_tmr_order_ties)
{
	struct rec r = {0};
	struct ent e[6];
	static const uint64_t delay[6] = {50, 10, 30, 10, 50, 0};
	static const int expect[6] = {5, 1, 3, 2, 0, 4};
	int err = 0;

	err = tmrl_alloc_fake(&r.tl, 1000);
	TEST_ERR(err);
	TEST_EQ(1000, tmrl_now(r.tl));
	for (int i = 0; i < 6; i++) {
		tmr_init(&e[i].t);
		e[i].r = &r;
		e[i].id = i;
		e[i].restarts = 0;
		e[i].cancel = NULL;
	}
	for (int i = 0; i < 6; i++) {
		err = tmr_start(&e[i].t, r.tl, delay[i], ent_fire, &e[i]);
		TEST_ERR(err);
		TEST_ASSERT(tmr_isrunning(&e[i].t));
	}
	TEST_EQ(6, tmrl_count(r.tl));
	TEST_EQ(30, tmr_left(&e[2].t));
	tmrl_fake_advance(r.tl, 9);
	TEST_EQ(1, r.n); /* the zero-delay one */
	TEST_EQ(1009, tmrl_now(r.tl));
	tmrl_fake_advance(r.tl, 100);
	TEST_EQ(6, r.n);
	for (int i = 0; i < 6; i++) {
		TEST_EQ(expect[i], r.order[i]);
		TEST_EQ(1000 + delay[expect[i]], r.at[i]);
		TEST_ASSERT(!tmr_isrunning(&e[i].t));
	}
	TEST_EQ(1109, tmrl_now(r.tl));
	TEST_EQ(0, tmrl_count(r.tl));
	TEST_EQ(1700000001, tmrl_wallclock(r.tl));
out:
	for (int i = 0; i < 6; i++)
		tmr_cancel(&e[i].t);
	mem_deref(r.tl);
	return err;
}

TEST(test_tmr_cancel_restart)
{
	struct rec r = {0};
	struct ent a, b, c;
	int err = 0;

	err = tmrl_alloc_fake(&r.tl, 0);
	TEST_ERR(err);
	tmr_init(&a.t);
	tmr_init(&b.t);
	tmr_init(&c.t);
	a = (struct ent){.r = &r, .id = 1, .restarts = 2};
	b = (struct ent){.r = &r, .id = 2};
	c = (struct ent){.r = &r, .id = 3};
	tmr_cancel(&a.t); /* not running: no-op */
	err = tmr_start(&a.t, r.tl, 5, ent_fire, &a);
	TEST_ERR(err);
	err = tmr_start(&b.t, r.tl, 20, ent_fire, &b);
	TEST_ERR(err);
	err = tmr_start(&c.t, r.tl, 12, ent_fire, &c);
	TEST_ERR(err);
	/* restart before expiry moves it */
	err = tmr_start(&c.t, r.tl, 100, ent_fire, &c);
	TEST_ERR(err);
	TEST_EQ(3, tmrl_count(r.tl));
	tmr_cancel(&b.t);
	TEST_ASSERT(!tmr_isrunning(&b.t));
	TEST_EQ(0, tmr_left(&b.t));
	TEST_EQ(2, tmrl_count(r.tl));

	/* a fires at 5, restarts at 15 and 25; c at 100 */
	tmrl_fake_advance(r.tl, 200);
	TEST_EQ(4, r.n);
	TEST_EQ(1, r.order[0]);
	TEST_EQ(5, r.at[0]);
	TEST_EQ(1, r.order[1]);
	TEST_EQ(15, r.at[1]);
	TEST_EQ(1, r.order[2]);
	TEST_EQ(25, r.at[2]);
	TEST_EQ(3, r.order[3]);
	TEST_EQ(100, r.at[3]);

	/* a handler cancels a timer due at the same time, later in order */
	r.n = 0;
	a = (struct ent){.r = &r, .id = 1, .cancel = &b.t};
	tmr_init(&a.t);
	err = tmr_start(&a.t, r.tl, 10, ent_fire, &a);
	TEST_ERR(err);
	err = tmr_start(&b.t, r.tl, 10, ent_fire, &b);
	TEST_ERR(err);
	tmrl_fake_advance(r.tl, 10);
	TEST_EQ(1, r.n);
	TEST_EQ(0, tmrl_count(r.tl));
out:
	tmr_cancel(&a.t);
	tmr_cancel(&b.t);
	tmr_cancel(&c.t);
	mem_deref(r.tl);
	return err;
}

TEST(test_tmr_tmrl_free_drops)
{
	struct tmrl *tl = NULL;
	struct tmr t;
	int err;

	tmr_init(&t);
	err = tmrl_alloc_fake(&tl, 0);
	TEST_ERR(err);
	err = tmr_start(&t, tl, 10, NULL, NULL);
	TEST_ERR(err);
	tl = mem_deref(tl);
	TEST_ASSERT(!tmr_isrunning(&t));
	tmr_cancel(&t); /* safe after the set is gone */
out:
	tmr_cancel(&t);
	mem_deref(tl);
	return err;
}

struct many {
	struct tmr t;
	uint64_t expire;
	uint32_t seq;
	uint64_t *last_expire;
	uint32_t *last_seq;
	int *bad;
	int *fired;
	struct tmrl *tl;
};

static void many_fire(void *arg)
{
	struct many *m = arg;

	if (tmrl_now(m->tl) != m->expire)
		(*m->bad)++;
	if (m->expire < *m->last_expire ||
	    (m->expire == *m->last_expire && m->seq < *m->last_seq))
		(*m->bad)++;
	*m->last_expire = m->expire;
	*m->last_seq = m->seq;
	(*m->fired)++;
}

/* 10000 random timers (many ties), some cancelled and some restarted:
 * they fire in (expiry, start order) and each sees now == its expiry. */
TEST_NO_OOM(test_tmr_random_10000)
{
	enum { N = 10000 };
	struct many *m = NULL;
	struct tmrl *tl = NULL;
	uint64_t last_expire = 0;
	uint32_t last_seq = 0, seq = 0;
	int bad = 0, fired = 0, cancelled = 0, err;
	unsigned int rs = 12345;

	m = mem_zalloc(N * sizeof(*m), NULL);
	if (!m)
		return ENOMEM;
	err = tmrl_alloc_fake(&tl, 0);
	TEST_ERR(err);
	for (int i = 0; i < N; i++) {
		m[i].expire = (uint64_t)(rand_r(&rs) % 5000);
		m[i].seq = seq++;
		m[i].last_expire = &last_expire;
		m[i].last_seq = &last_seq;
		m[i].bad = &bad;
		m[i].fired = &fired;
		m[i].tl = tl;
		err = tmr_start(&m[i].t, tl, m[i].expire, many_fire, &m[i]);
		TEST_ERR(err);
	}
	for (int i = 0; i < N; i += 7) {
		tmr_cancel(&m[i].t);
		cancelled++;
	}
	for (int i = 3; i < N; i += 11) {
		if (!tmr_isrunning(&m[i].t))
			continue;
		m[i].expire = (uint64_t)(rand_r(&rs) % 5000);
		m[i].seq = seq++;
		err = tmr_start(&m[i].t, tl, m[i].expire, many_fire, &m[i]);
		TEST_ERR(err);
	}
	TEST_EQ(N - cancelled, tmrl_count(tl));
	tmrl_fake_advance(tl, 2500);
	tmrl_fake_advance(tl, 2500);
	TEST_EQ(N - cancelled, fired);
	TEST_EQ(0, bad);
	TEST_EQ(0, tmrl_count(tl));
out:
	if (m)
		for (int i = 0; i < N; i++)
			tmr_cancel(&m[i].t);
	mem_deref(tl);
	mem_deref(m);
	return err;
}

TEST(test_tmr_poll_fake)
{
	struct rec r = {0};
	struct ent a;
	int err;

	err = tmrl_alloc_fake(&r.tl, 0);
	TEST_ERR(err);
	TEST_EQ(-1, tmrl_poll(r.tl));
	a = (struct ent){.r = &r, .id = 1};
	tmr_init(&a.t);
	err = tmr_start(&a.t, r.tl, 30, ent_fire, &a);
	TEST_ERR(err);
	TEST_EQ(30, tmrl_poll(r.tl));
	TEST_EQ(0, r.n);
	a.restarts = 1;
	tmr_cancel(&a.t);
	err = tmr_start(&a.t, r.tl, 0, ent_fire, &a);
	TEST_ERR(err);
	/* fires the due one, which restarts itself 10 ms out */
	TEST_EQ(10, tmrl_poll(r.tl));
	TEST_EQ(1, r.n);
out:
	tmr_cancel(&a.t);
	mem_deref(r.tl);
	return err;
}
