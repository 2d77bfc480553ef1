/* tests/unit/base/test_loop.c - epoll fds, real-clock timers, posts */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/loop.h"
#include "base/mem.h"
#include "base/tmr.h"
#include "test.h"

struct pipe_ctx {
	struct loop *l;
	int fd[2];
	int reads;
	int flags;
	char got[16];
	int other_fd; /* closed by our handler when >= 0 */
	int other_calls;
};

static void pipe_read(int flags, void *arg)
{
	struct pipe_ctx *c = arg;
	ssize_t n;

	c->flags |= flags;
	n = read(c->fd[0], c->got, sizeof(c->got) - 1);
	if (n > 0)
		c->got[n] = '\0';
	c->reads++;
	loop_stop(c->l);
}

TEST_NO_OOM(test_loop_fd_pipe)
{
	struct pipe_ctx c = {.fd = {-1, -1}, .other_fd = -1};
	int err;

	err = loop_alloc(&c.l);
	TEST_ERR(err);
	TEST_ASSERT(pipe(c.fd) == 0);
	err = loop_fd_listen(c.l, c.fd[0], FD_READ, pipe_read, &c);
	TEST_ERR(err);
	/* nothing ready: a bounded wait returns with no call */
	err = loop_run_once(c.l, 20);
	TEST_ERR(err);
	TEST_EQ(0, c.reads);
	TEST_EQ(4, write(c.fd[1], "ping", 4));
	err = loop_run(c.l);
	TEST_ERR(err);
	TEST_EQ(1, c.reads);
	TEST_ASSERT(c.flags & FD_READ);
	TEST_STR_EQ("ping", c.got);

	/* after loop_fd_close the handler is not called any more */
	loop_fd_close(c.l, c.fd[0]);
	TEST_EQ(4, write(c.fd[1], "pong", 4));
	err = loop_run_once(c.l, 20);
	TEST_ERR(err);
	TEST_EQ(1, c.reads);
	/* flags 0 is a close too; listening again works */
	err = loop_fd_listen(c.l, c.fd[0], FD_READ, pipe_read, &c);
	TEST_ERR(err);
	err = loop_fd_listen(c.l, c.fd[0], 0, NULL, NULL);
	TEST_ERR(err);
	err = loop_run_once(c.l, 20);
	TEST_ERR(err);
	TEST_EQ(1, c.reads);
	err = loop_fd_listen(c.l, c.fd[0], FD_READ, pipe_read, &c);
	TEST_ERR(err);
	err = loop_run(c.l);
	TEST_ERR(err);
	TEST_EQ(2, c.reads);
	TEST_STR_EQ("pong", c.got);
out:
	if (c.l && c.fd[0] >= 0)
		loop_fd_close(c.l, c.fd[0]);
	if (c.fd[0] >= 0) {
		close(c.fd[0]);
		close(c.fd[1]);
	}
	mem_deref(c.l);
	return err;
}

/* Two ready fds in one batch; the first handler to run closes the other:
 * the other handler must not be called. */
static void close_other(int flags, void *arg)
{
	struct pipe_ctx *c = arg;
	char b[8];

	(void)flags;
	c->reads++;
	if (read(c->fd[0], b, sizeof(b)) < 0)
		c->flags = -1;
	if (c->other_fd >= 0) {
		loop_fd_close(c->l, c->other_fd);
		c->other_calls = 0;
	}
}

TEST_NO_OOM(test_loop_close_in_batch)
{
	struct pipe_ctx a = {.fd = {-1, -1}, .other_fd = -1};
	struct pipe_ctx b = {.fd = {-1, -1}, .other_fd = -1};
	struct loop *l = NULL;
	int err;

	err = loop_alloc(&l);
	TEST_ERR(err);
	a.l = b.l = l;
	TEST_ASSERT(pipe(a.fd) == 0);
	TEST_ASSERT(pipe(b.fd) == 0);
	a.other_fd = b.fd[0];
	b.other_fd = a.fd[0];
	err = loop_fd_listen(l, a.fd[0], FD_READ, close_other, &a);
	TEST_ERR(err);
	err = loop_fd_listen(l, b.fd[0], FD_READ, close_other, &b);
	TEST_ERR(err);
	TEST_EQ(1, write(a.fd[1], "x", 1));
	TEST_EQ(1, write(b.fd[1], "y", 1));
	usleep(1000);
	err = loop_run_once(l, 100);
	TEST_ERR(err);
	/* exactly one ran: it closed the other before its turn */
	TEST_EQ(1, a.reads + b.reads);
out:
	if (l) {
		loop_fd_close(l, a.fd[0]);
		loop_fd_close(l, b.fd[0]);
	}
	for (int i = 0; i < 2; i++) {
		if (a.fd[i] >= 0)
			close(a.fd[i]);
		if (b.fd[i] >= 0)
			close(b.fd[i]);
	}
	mem_deref(l);
	return err;
}

struct tctx {
	struct loop *l;
	struct tmr t;
	uint64_t started;
	uint64_t fired_at;
};

static void tmr_stop_loop(void *arg)
{
	struct tctx *c = arg;

	c->fired_at = tmrl_now(loop_tmrl(c->l));
	loop_stop(c->l);
}

TEST_NO_OOM(test_loop_timer_real)
{
	struct tctx c = {0};
	int err;

	tmr_init(&c.t);
	err = loop_alloc(&c.l);
	TEST_ERR(err);
	c.started = tmrl_now(loop_tmrl(c.l));
	err = tmr_start(&c.t, loop_tmrl(c.l), 50, tmr_stop_loop, &c);
	TEST_ERR(err);
	err = loop_run(c.l);
	TEST_ERR(err);
	TEST_ASSERT(c.fired_at >= c.started + 50);
	TEST_ASSERT(c.fired_at < c.started + 50 + 200);
	TEST_ASSERT(tmrl_wallclock(loop_tmrl(c.l)) >= 1700000000);
out:
	tmr_cancel(&c.t);
	mem_deref(c.l);
	return err;
}

struct post_ctx {
	struct loop *l;
	int count;
	int last;
	int misorder;
	int posted;
};

static void on_post(void *arg)
{
	struct post_ctx *c = arg;

	c->count++;
	if (c->count == 1000)
		loop_stop(c->l);
}

static void *poster(void *arg)
{
	struct post_ctx *c = arg;

	for (int i = 0; i < 1000; i++) {
		if (loop_post(c->l, on_post, c) == 0)
			__atomic_add_fetch(&c->posted, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void stop_h(void *arg)
{
	loop_stop(arg);
}

TEST_NO_OOM(test_loop_post_thread)
{
	struct post_ctx c = {0};
	struct tmr guard;
	pthread_t th;
	int err, started = 0;

	tmr_init(&guard);
	err = loop_alloc(&c.l);
	TEST_ERR(err);
	/* a guard so a bug cannot hang the run */
	err = tmr_start(&guard, loop_tmrl(c.l), 5000, stop_h, c.l);
	TEST_ERR(err);
	err = pthread_create(&th, NULL, poster, &c);
	TEST_ERR(err);
	started = 1;
	err = loop_run(c.l);
	TEST_ERR(err);
	pthread_join(th, NULL);
	started = 0;
	TEST_EQ(1000, c.posted);
	TEST_EQ(1000, c.count);
	TEST_ASSERT(tmr_isrunning(&guard));

	/* posts not run before the loop is freed are dropped, not leaked */
	err = loop_post(c.l, on_post, &c);
	TEST_ERR(err);
out:
	if (started)
		pthread_join(th, NULL);
	tmr_cancel(&guard);
	mem_deref(c.l);
	return err;
}

TEST_NO_OOM(test_loop_stop_before_run)
{
	struct loop *l = NULL;
	struct timespec t0, t1;
	int err;

	err = loop_alloc(&l);
	TEST_ERR(err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	loop_stop(l); /* e.g. from a signal handler before the run */
	err = loop_run(l);
	TEST_ERR(err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	TEST_ASSERT(t1.tv_sec - t0.tv_sec < 2);
out:
	mem_deref(l);
	return err;
}

static void on_write(int flags, void *arg)
{
	int *got = arg;

	*got |= flags;
}

/* An fd closed without loop_fd_close whose number comes back: listening
 * on the new one works; FD_WRITE readiness is reported. */
TEST_NO_OOM(test_loop_fd_reuse_write)
{
	struct pipe_ctx c = {.fd = {-1, -1}, .other_fd = -1};
	int old0, got = 0, err;

	err = loop_alloc(&c.l);
	TEST_ERR(err);
	TEST_ASSERT(pipe(c.fd) == 0);
	err = loop_fd_listen(c.l, c.fd[0], FD_READ, pipe_read, &c);
	TEST_ERR(err);
	old0 = c.fd[0];
	close(c.fd[0]);
	close(c.fd[1]);
	c.fd[0] = c.fd[1] = -1;
	TEST_ASSERT(pipe(c.fd) == 0);
	TEST_EQ(old0, c.fd[0]); /* lowest free numbers come back */
	err = loop_fd_listen(c.l, c.fd[0], FD_READ, pipe_read, &c);
	TEST_ERR(err);
	TEST_EQ(2, write(c.fd[1], "ok", 2));
	err = loop_run(c.l);
	TEST_ERR(err);
	TEST_EQ(1, c.reads);
	TEST_STR_EQ("ok", c.got);

	err = loop_fd_listen(c.l, c.fd[1], FD_WRITE, on_write, &got);
	TEST_ERR(err);
	err = loop_run_once(c.l, 100);
	TEST_ERR(err);
	TEST_ASSERT(got & FD_WRITE);
	loop_fd_close(c.l, c.fd[1]);
	/* the reader's end sees the hang-up */
	close(c.fd[1]);
	c.fd[1] = -1;
	c.flags = 0;
	err = loop_run(c.l);
	TEST_ERR(err);
	TEST_ASSERT(c.flags & FD_EXCEPT);
out:
	if (c.l && c.fd[0] >= 0)
		loop_fd_close(c.l, c.fd[0]);
	for (int i = 0; i < 2; i++)
		if (c.fd[i] >= 0)
			close(c.fd[i]);
	mem_deref(c.l);
	return err;
}

struct swap_ctx {
	struct loop *l;
	int fd[2];
	struct swap_ctx *victim;
	int *done;
	int calls;
	int newfd[2];
	int new_calls;
};

static void on_new(int flags, void *arg)
{
	struct swap_ctx *c = arg;

	(void)flags;
	c->new_calls++;
}

/* The first handler in the batch closes the other fd and opens a new one
 * that gets the same number (not readable): the stale event from the
 * batch must not reach the new registration. */
static void swap_other(int flags, void *arg)
{
	struct swap_ctx *c = arg, *v = c->victim;
	char b[8];

	(void)flags;
	c->calls++;
	if (read(c->fd[0], b, sizeof(b)) < 0)
		return;
	if (*c->done)
		return;
	*c->done = 1;
	loop_fd_close(c->l, v->fd[0]);
	close(v->fd[0]);
	v->fd[0] = -1;
	if (pipe(v->newfd) < 0)
		return;
	(void)loop_fd_listen(c->l, v->newfd[0], FD_READ, on_new, v);
}

TEST_NO_OOM(test_loop_reregister_in_batch)
{
	struct swap_ctx a = {.fd = {-1, -1}, .newfd = {-1, -1}};
	struct swap_ctx b = {.fd = {-1, -1}, .newfd = {-1, -1}};
	struct loop *l = NULL;
	int done = 0, err;

	err = loop_alloc(&l);
	TEST_ERR(err);
	a.l = b.l = l;
	a.victim = &b;
	b.victim = &a;
	a.done = b.done = &done;
	TEST_ASSERT(pipe(a.fd) == 0);
	TEST_ASSERT(pipe(b.fd) == 0);
	err = loop_fd_listen(l, a.fd[0], FD_READ, swap_other, &a);
	TEST_ERR(err);
	err = loop_fd_listen(l, b.fd[0], FD_READ, swap_other, &b);
	TEST_ERR(err);
	TEST_EQ(1, write(a.fd[1], "x", 1));
	TEST_EQ(1, write(b.fd[1], "y", 1));
	err = loop_run_once(l, 100);
	TEST_ERR(err);
	TEST_EQ(1, done);
	TEST_EQ(1, a.calls + b.calls);
	/* the new fd really reused the number, and was not called */
	TEST_ASSERT(a.newfd[0] >= 0 || b.newfd[0] >= 0);
	TEST_EQ(0, a.new_calls + b.new_calls);
out:
	if (l) {
		struct swap_ctx *cs[2] = {&a, &b};
		for (int i = 0; i < 2; i++) {
			if (cs[i]->fd[0] >= 0)
				loop_fd_close(l, cs[i]->fd[0]);
			if (cs[i]->newfd[0] >= 0)
				loop_fd_close(l, cs[i]->newfd[0]);
		}
	}
	for (int i = 0; i < 2; i++) {
		if (a.fd[i] >= 0)
			close(a.fd[i]);
		if (b.fd[i] >= 0)
			close(b.fd[i]);
		if (a.newfd[i] >= 0)
			close(a.newfd[i]);
		if (b.newfd[i] >= 0)
			close(b.newfd[i]);
	}
	mem_deref(l);
	return err;
}

static struct loop *sig_loop;

static void on_alarm(int sig)
{
	(void)sig;
	loop_stop(sig_loop);
}

/* loop_stop from a signal handler ends a run blocked in epoll_wait. */
TEST_NO_OOM(test_loop_stop_from_signal)
{
	struct sigaction sa, old;
	struct itimerval it = {{0, 0}, {0, 30000}};
	struct tmr guard;
	int err, installed = 0;

	tmr_init(&guard);
	err = loop_alloc(&sig_loop);
	TEST_ERR(err);
	err = tmr_start(&guard, loop_tmrl(sig_loop), 5000, stop_h, sig_loop);
	TEST_ERR(err);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	TEST_ASSERT(sigaction(SIGALRM, &sa, &old) == 0);
	installed = 1;
	TEST_ASSERT(setitimer(ITIMER_REAL, &it, NULL) == 0);
	err = loop_run(sig_loop);
	TEST_ERR(err);
	/* stopped by the signal, long before the guard */
	TEST_ASSERT(tmr_isrunning(&guard));
	TEST_ASSERT(tmr_left(&guard) > 4000);
out:
	if (installed)
		sigaction(SIGALRM, &old, NULL);
	tmr_cancel(&guard);
	sig_loop = mem_deref(sig_loop);
	return err;
}
