/* base/tmr.h - timers on an injectable clock (real or fake) */
#ifndef BASE_TMR_H
#define BASE_TMR_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A timer set (struct tmrl) owns a min-heap of pending timers and a clock.
 * The daemon's loop uses a tmrl on CLOCK_MONOTONIC; unit tests create one on
 * a fake clock and advance it by hand: tmrl_fake_advance(tl, 32000) fires
 * Timer F in microseconds of real time. State machines take the tmrl they
 * run on as an argument and never read a clock on their own.
 */

struct tmrl;
struct tmr;

typedef void tmr_h(void *arg);

/* Embedded in the object that owns it; tmr_init before first use;
 * tmr_cancel in the owner's destructor. */
struct tmr {
	struct tmrl *tl;
	uint64_t expire; /* ms on the tmrl's clock */
	uint32_t idx;    /* heap index + 1; 0 = not pending */
	tmr_h *h;
	void *arg;
};

/* Real monotonic clock. */
int tmrl_alloc(struct tmrl **tlp);
/* Fake clock starting at start_ms; moves only by tmrl_fake_advance(). */
int tmrl_alloc_fake(struct tmrl **tlp, uint64_t start_ms);
/* Advance a fake clock by ms, firing every timer that falls due, in
 * expiry order, each seeing now == its expiry time. */
void tmrl_fake_advance(struct tmrl *tl, uint64_t ms);

/* Current time in ms on this tmrl's clock. */
uint64_t tmrl_now(const struct tmrl *tl);
/* Wall-clock time (seconds since the epoch); fake clocks give a fixed
 * epoch plus their offset, so tests are deterministic. */
uint64_t tmrl_wallclock(const struct tmrl *tl);
/* The same in milliseconds (may step back when the system clock is
 * set back: callers that need order keep their own floor). */
uint64_t tmrl_wallclock_ms(const struct tmrl *tl);
/* Fire due timers (real clock). Returns ms until the next timer, or -1
 * if none is pending. */
int64_t tmrl_poll(struct tmrl *tl);
/* Number of pending timers. */
uint32_t tmrl_count(const struct tmrl *tl);

void tmr_init(struct tmr *t);
/* (Re)start: h(arg) runs once, delay_ms from now. ENOMEM only when the
 * heap must grow and cannot. */
int tmr_start(struct tmr *t, struct tmrl *tl, uint64_t delay_ms, tmr_h *h,
              void *arg);
void tmr_cancel(struct tmr *t);
static inline bool tmr_isrunning(const struct tmr *t)
{
	return t->idx != 0;
}
/* ms left before it fires, 0 if not running or due. */
uint64_t tmr_left(const struct tmr *t);

#endif
