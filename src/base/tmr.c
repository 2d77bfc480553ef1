/* base/tmr.c - timers on an injectable clock (real or fake) */
#include "tmr.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "mem.h"

/* One pending timer: ordered by expiry, then by start order. */
struct hent {
	uint64_t expire;
	uint64_t seq;
	struct tmr *t;
};

struct tmrl {
	struct hent *heap;
	uint32_t n;
	uint32_t cap;
	uint64_t seq;
	bool fake;
	uint64_t fake_now;
};

#define FAKE_EPOCH UINT64_C(1700000000)

static void tmrl_destroy(void *data)
{
	struct tmrl *tl = data;

	/* Pending timers are dropped: their owners see them as stopped. */
	for (uint32_t i = 0; i < tl->n; i++) {
		tl->heap[i].t->idx = 0;
		tl->heap[i].t->tl = NULL;
	}
	mem_deref(tl->heap);
}

static int alloc_tl(struct tmrl **tlp, bool fake, uint64_t start_ms)
{
	struct tmrl *tl;

	if (!tlp)
		return EINVAL;
	tl = mem_zalloc(sizeof(*tl), tmrl_destroy);
	if (!tl)
		return ENOMEM;
	/* room for a few timers up front: most sets never grow */
	tl->heap = mem_alloc(16 * sizeof(*tl->heap), NULL);
	if (!tl->heap) {
		mem_deref(tl);
		return ENOMEM;
	}
	tl->cap = 16;
	tl->fake = fake;
	tl->fake_now = start_ms;
	*tlp = tl;
	return 0;
}

int tmrl_alloc(struct tmrl **tlp)
{
	return alloc_tl(tlp, false, 0);
}

int tmrl_alloc_fake(struct tmrl **tlp, uint64_t start_ms)
{
	return alloc_tl(tlp, true, start_ms);
}

uint64_t tmrl_now(const struct tmrl *tl)
{
	struct timespec ts;

	if (tl && tl->fake)
		return tl->fake_now;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t tmrl_wallclock(const struct tmrl *tl)
{
	if (tl && tl->fake)
		return FAKE_EPOCH + tl->fake_now / 1000;
	return (uint64_t)time(NULL);
}

uint64_t tmrl_wallclock_ms(const struct tmrl *tl)
{
	struct timespec ts;

	if (tl && tl->fake)
		return FAKE_EPOCH * 1000 + tl->fake_now;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint32_t tmrl_count(const struct tmrl *tl)
{
	return tl ? tl->n : 0;
}

static inline bool before(const struct hent *a, const struct hent *b)
{
	return a->expire < b->expire ||
	       (a->expire == b->expire && a->seq < b->seq);
}

static inline void place(struct tmrl *tl, uint32_t i, struct hent e)
{
	tl->heap[i] = e;
	e.t->idx = i + 1;
}

static void sift_up(struct tmrl *tl, uint32_t i)
{
	struct hent e = tl->heap[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!before(&e, &tl->heap[p]))
			break;
		place(tl, i, tl->heap[p]);
		i = p;
	}
	place(tl, i, e);
}

static void sift_down(struct tmrl *tl, uint32_t i)
{
	struct hent e = tl->heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= tl->n)
			break;
		if (c + 1 < tl->n && before(&tl->heap[c + 1], &tl->heap[c]))
			c++;
		if (!before(&tl->heap[c], &e))
			break;
		place(tl, i, tl->heap[c]);
		i = c;
	}
	place(tl, i, e);
}

/* Remove heap entry i (its timer's idx is cleared). */
static void heap_remove(struct tmrl *tl, uint32_t i)
{
	struct tmr *t = tl->heap[i].t;

	t->idx = 0;
	tl->n--;
	if (i == tl->n)
		return;
	tl->heap[i] = tl->heap[tl->n];
	tl->heap[i].t->idx = i + 1;
	if (i > 0 && before(&tl->heap[i], &tl->heap[(i - 1) / 2]))
		sift_up(tl, i);
	else
		sift_down(tl, i);
}

static int heap_reserve(struct tmrl *tl)
{
	struct hent *nh;
	uint32_t ncap;

	if (tl->n < tl->cap)
		return 0;
	if (tl->cap >= UINT32_MAX / 2)
		return ENOMEM;
	ncap = tl->cap ? tl->cap * 2 : 16;
	nh = tl->heap ? mem_realloc(tl->heap, ncap * sizeof(*nh))
	              : mem_alloc(ncap * sizeof(*nh), NULL);
	if (!nh)
		return ENOMEM;
	tl->heap = nh;
	tl->cap = ncap;
	return 0;
}

void tmr_init(struct tmr *t)
{
	if (t)
		memset(t, 0, sizeof(*t));
}

void tmr_cancel(struct tmr *t)
{
	if (!t || !t->idx || !t->tl)
		return;
	heap_remove(t->tl, t->idx - 1);
}

int tmr_start(struct tmr *t, struct tmrl *tl, uint64_t delay_ms, tmr_h *h,
              void *arg)
{
	struct hent e;
	uint64_t now;
	int err;

	if (!t || !tl)
		return EINVAL;
	if (t->idx && t->tl == tl) {
		/* already here: reuse its slot, no growth needed */
		heap_remove(tl, t->idx - 1);
	} else {
		err = heap_reserve(tl);
		if (err)
			return err;
		tmr_cancel(t);
	}
	now = tmrl_now(tl);
	e.expire = delay_ms > UINT64_MAX - now ? UINT64_MAX : now + delay_ms;
	e.seq = tl->seq++;
	e.t = t;
	t->tl = tl;
	t->expire = e.expire;
	t->h = h;
	t->arg = arg;
	tl->heap[tl->n] = e;
	t->idx = tl->n + 1;
	tl->n++;
	sift_up(tl, tl->n - 1);
	return 0;
}

uint64_t tmr_left(const struct tmr *t)
{
	uint64_t now;

	if (!t || !t->idx || !t->tl)
		return 0;
	now = tmrl_now(t->tl);
	return t->expire > now ? t->expire - now : 0;
}

/* Pop the first timer and call it. */
static void fire_top(struct tmrl *tl)
{
	struct tmr *t = tl->heap[0].t;
	tmr_h *h = t->h;
	void *arg = t->arg;

	heap_remove(tl, 0);
	if (h)
		h(arg);
}

void tmrl_fake_advance(struct tmrl *tl, uint64_t ms)
{
	uint64_t target;

	if (!tl || !tl->fake)
		return;
	target =
	    ms > UINT64_MAX - tl->fake_now ? UINT64_MAX : tl->fake_now + ms;
	while (tl->n && tl->heap[0].expire <= target) {
		if (tl->heap[0].expire > tl->fake_now)
			tl->fake_now = tl->heap[0].expire;
		fire_top(tl);
	}
	tl->fake_now = target;
}

int64_t tmrl_poll(struct tmrl *tl)
{
	uint64_t now, seq_limit, left;

	if (!tl)
		return -1;
	now = tmrl_now(tl);
	/* Timers (re)started by handlers during this poll wait for the
	 * next one, so a handler restarting itself with 0 cannot livelock
	 * the loop. */
	seq_limit = tl->seq;
	while (tl->n && tl->heap[0].expire <= now &&
	       tl->heap[0].seq < seq_limit)
		fire_top(tl);
	if (!tl->n)
		return -1;
	now = tmrl_now(tl);
	if (tl->heap[0].expire <= now)
		return 0;
	left = tl->heap[0].expire - now;
	return left > INT64_MAX ? INT64_MAX : (int64_t)left;
}
