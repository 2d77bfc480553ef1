/* base/loop.h - the event loop: epoll fds, timers, cross-thread posts */
#ifndef BASE_LOOP_H
#define BASE_LOOP_H

#include <stdint.h>

struct loop;
struct tmrl;

enum {
	FD_READ = 1 << 0,
	FD_WRITE = 1 << 1,
	FD_EXCEPT = 1 << 2, /* error or hang-up */
};

typedef void fd_h(int flags, void *arg);
typedef void loop_post_h(void *arg);

int loop_alloc(struct loop **lp);
/* The loop's timers (real monotonic clock). */
struct tmrl *loop_tmrl(struct loop *l);
/* Watch fd for flags (FD_READ|FD_WRITE); calling again changes flags,
 * handler or argument. flags 0 is like loop_fd_close. */
int loop_fd_listen(struct loop *l, int fd, int flags, fd_h *h, void *arg);
/* Stop watching fd (does not close it). */
void loop_fd_close(struct loop *l, int fd);
/* Run until loop_stop(); returns 0 or an errno from epoll. */
int loop_run(struct loop *l);
/* Run one iteration, waiting at most max_wait_ms (-1 = until an event). */
int loop_run_once(struct loop *l, int max_wait_ms);
/* Make loop_run return after the current iteration. Async-signal-safe
 * (sets a flag and writes the loop's eventfd): a signal handler or another
 * thread may call it. A stop before loop_run makes the next run return at
 * once. */
void loop_stop(struct loop *l);
/* Thread-safe: run h(arg) on the loop thread soon. ENOMEM. */
int loop_post(struct loop *l, loop_post_h *h, void *arg);

#endif
