/* base/loop.c - the event loop: epoll fds, timers, cross-thread posts */
#include "loop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "mem.h"
#include "tmr.h"

#define LOOP_MAX_EVENTS 64
#define EVFD_TAG        UINT64_MAX

struct fdent {
	fd_h *h;
	void *arg;
	int flags;
	uint32_t gen; /* bumped on close: stale events are skipped */
};

struct post {
	struct post *next;
	loop_post_h *h;
	void *arg;
};

struct loop {
	int epfd;
	int evfd;
	struct fdent *fds;
	size_t nfds;
	struct tmrl *tl;
	pthread_mutex_t mtx;
	bool mtx_ok;
	struct post *qhead;
	struct post **qtail;
	volatile sig_atomic_t stop;
};

static void drop_posts(struct post *p)
{
	while (p) {
		struct post *next = p->next;
		mem_deref(p);
		p = next;
	}
}

static void loop_destroy(void *data)
{
	struct loop *l = data;

	if (l->mtx_ok) {
		pthread_mutex_lock(&l->mtx);
		drop_posts(l->qhead);
		l->qhead = NULL;
		pthread_mutex_unlock(&l->mtx);
		pthread_mutex_destroy(&l->mtx);
	}
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->evfd >= 0)
		close(l->evfd);
	mem_deref(l->fds);
	mem_deref(l->tl);
}

int loop_alloc(struct loop **lp)
{
	struct epoll_event ev;
	struct loop *l;
	int err;

	if (!lp)
		return EINVAL;
	l = mem_zalloc(sizeof(*l), loop_destroy);
	if (!l)
		return ENOMEM;
	l->epfd = -1;
	l->evfd = -1;
	l->qtail = &l->qhead;
	err = pthread_mutex_init(&l->mtx, NULL);
	if (err)
		goto out;
	l->mtx_ok = true;
	err = tmrl_alloc(&l->tl);
	if (err)
		goto out;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		err = errno;
		goto out;
	}
	l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->evfd < 0) {
		err = errno;
		goto out;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = EVFD_TAG;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->evfd, &ev) < 0) {
		err = errno;
		goto out;
	}
out:
	if (err)
		mem_deref(l);
	else
		*lp = l;
	return err;
}

struct tmrl *loop_tmrl(struct loop *l)
{
	return l ? l->tl : NULL;
}

static int grow_fds(struct loop *l, int fd)
{
	size_t n = l->nfds ? l->nfds : 64;
	struct fdent *nf;

	if ((size_t)fd < l->nfds)
		return 0;
	while (n <= (size_t)fd)
		n *= 2;
	nf = l->fds ? mem_realloc(l->fds, n * sizeof(*nf))
	            : mem_alloc(n * sizeof(*nf), NULL);
	if (!nf)
		return ENOMEM;
	memset(nf + l->nfds, 0, (n - l->nfds) * sizeof(*nf));
	l->fds = nf;
	l->nfds = n;
	return 0;
}

int loop_fd_listen(struct loop *l, int fd, int flags, fd_h *h, void *arg)
{
	struct epoll_event ev;
	struct fdent *fe;
	int err;

	if (!l || fd < 0 || (flags && !h))
		return EINVAL;
	if (!(flags & (FD_READ | FD_WRITE))) {
		loop_fd_close(l, fd);
		return 0;
	}
	err = grow_fds(l, fd);
	if (err)
		return err;
	fe = &l->fds[fd];
	memset(&ev, 0, sizeof(ev));
	if (flags & FD_READ)
		ev.events |= EPOLLIN;
	if (flags & FD_WRITE)
		ev.events |= EPOLLOUT;
	ev.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)fe->gen << 32);
	if (fe->h) {
		if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
			goto set;
		if (errno != ENOENT)
			return errno;
		/* the old fd was closed without loop_fd_close and the
		 * number reused: a new registration */
		fe->gen++;
		ev.data.u64 =
		    (uint64_t)(uint32_t)fd | ((uint64_t)fe->gen << 32);
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			err = errno;
			fe->h = NULL;
			fe->arg = NULL;
			fe->flags = 0;
			return err;
		}
	} else if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		if (errno != EEXIST ||
		    epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
			return errno;
	}
set:
	fe->h = h;
	fe->arg = arg;
	fe->flags = flags;
	return 0;
}

void loop_fd_close(struct loop *l, int fd)
{
	struct fdent *fe;

	if (!l || fd < 0 || (size_t)fd >= l->nfds)
		return;
	fe = &l->fds[fd];
	if (!fe->h)
		return;
	/* EBADF when the caller already closed it: nothing left to do */
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	fe->h = NULL;
	fe->arg = NULL;
	fe->flags = 0;
	fe->gen++;
}

static void run_posts(struct loop *l)
{
	struct post *p;
	uint64_t cnt;

	while (read(l->evfd, &cnt, sizeof(cnt)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&l->mtx);
	p = l->qhead;
	l->qhead = NULL;
	l->qtail = &l->qhead;
	pthread_mutex_unlock(&l->mtx);
	while (p) {
		struct post *next = p->next;

		p->h(p->arg);
		mem_deref(p);
		p = next;
	}
}

static void dispatch(struct loop *l, const struct epoll_event *ev)
{
	int fd = (int)(uint32_t)ev->data.u64;
	uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
	struct fdent *fe;
	int flags = 0;

	if ((size_t)fd >= l->nfds)
		return;
	fe = &l->fds[fd];
	/* closed (or closed and re-registered) earlier in this batch */
	if (!fe->h || fe->gen != gen)
		return;
	if (ev->events & EPOLLIN)
		flags |= FD_READ;
	if (ev->events & EPOLLOUT)
		flags |= FD_WRITE;
	if (ev->events & (EPOLLERR | EPOLLHUP))
		flags |= FD_EXCEPT;
	fe->h(flags, fe->arg);
}

int loop_run_once(struct loop *l, int max_wait_ms)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	int64_t next;
	int timeout, n;

	if (!l)
		return EINVAL;
	next = tmrl_poll(l->tl);
	timeout = max_wait_ms;
	if (next >= 0 && (timeout < 0 || next < timeout))
		timeout = next > 3600000 ? 3600000 : (int)next;
	if (l->stop)
		timeout = 0;
	n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, timeout);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return errno;
	}
	for (int i = 0; i < n; i++) {
		if (evs[i].data.u64 == EVFD_TAG)
			run_posts(l);
		else
			dispatch(l, &evs[i]);
	}
	(void)tmrl_poll(l->tl);
	return 0;
}

int loop_run(struct loop *l)
{
	int err = 0;

	if (!l)
		return EINVAL;
	while (!l->stop) {
		err = loop_run_once(l, -1);
		if (err)
			break;
	}
	l->stop = 0;
	return err;
}

/* Async-signal-safe: sets a flag and writes the eventfd, nothing else;
 * a signal handler may call it. */
void loop_stop(struct loop *l)
{
	uint64_t one = 1;
	int saved = errno;

	if (!l)
		return;
	l->stop = 1;
	if (write(l->evfd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, it wakes anyway */
	}
	errno = saved;
}

int loop_post(struct loop *l, loop_post_h *h, void *arg)
{
	uint64_t one = 1;
	struct post *p;

	if (!l || !h)
		return EINVAL;
	p = mem_zalloc(sizeof(*p), NULL);
	if (!p)
		return ENOMEM;
	p->h = h;
	p->arg = arg;
	pthread_mutex_lock(&l->mtx);
	*l->qtail = p;
	l->qtail = &p->next;
	pthread_mutex_unlock(&l->mtx);
	if (write(l->evfd, &one, sizeof(one)) < 0) {
		/* EAGAIN: already signalled */
	}
	return 0;
}
