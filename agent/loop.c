// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "loop.h"
#include "util.h"

enum src_type { SRC_IO, SRC_TIMER, SRC_SIGNAL, SRC_PRIO };

/* Every epoll registration points at one of these; dead ones are freed after dispatch. */
struct src {
	enum src_type type;
	bool dead;
	struct src *next_dead;
};

struct loop_io {
	struct src src;
	struct loop *l;
	int fd;
	loop_io_cb cb;
	void *data;
};

struct loop_timer {
	struct src src;
	struct loop *l;
	int fd;
	bool armed;
	loop_timer_cb cb;
	void *data;
};

struct sig_handler {
	loop_signal_cb cb;
	void *data;
};

/*
 * Timers and signals live in an epoll set of their own (tepfd), itself watched by the main one,
 * and are dispatched before every descriptor: epoll hands out ready descriptors in the order
 * they became ready, so a timer that fires behind a thousand ready clients would otherwise
 * wait for all of them, and a fault would outlast its duration.
 */
struct loop {
	int epfd;
	int tepfd;
	struct src prio;
	int sigfd;
	struct src sigsrc;
	sigset_t sigmask;
	struct sig_handler sigs[_NSIG];
	bool quit;
	struct src *dead;
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->sigfd = -1;
	l->sigsrc.type = SRC_SIGNAL;
	l->prio.type = SRC_PRIO;
	sigemptyset(&l->sigmask);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->tepfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0 || l->tepfd < 0) {
		int e = errno;

		if (l->epfd >= 0)
			close(l->epfd);
		if (l->tepfd >= 0)
			close(l->tepfd);
		free(l);
		errno = e;
		return NULL;
	}
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &l->prio };

		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->tepfd, &ev) < 0) {
			int e = errno;

			close(l->epfd);
			close(l->tepfd);
			free(l);
			errno = e;
			return NULL;
		}
	}
	return l;
}

static void reap_dead(struct loop *l)
{
	while (l->dead) {
		struct src *s = l->dead;

		l->dead = s->next_dead;
		if (s->type == SRC_IO)
			free((struct loop_io *)s);
		else if (s->type == SRC_TIMER)
			free((struct loop_timer *)s);
	}
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	reap_dead(l);
	if (l->sigfd >= 0) {
		close(l->sigfd);
		sigprocmask(SIG_UNBLOCK, &l->sigmask, NULL);
	}
	close(l->tepfd);
	close(l->epfd);
	free(l);
}

static void bury(struct loop *l, struct src *s)
{
	s->dead = true;
	s->next_dead = l->dead;
	l->dead = s;
}

struct loop_io *loop_io_add(struct loop *l, int fd, uint32_t events, loop_io_cb cb, void *data)
{
	struct epoll_event ev = { .events = events };
	struct loop_io *io = calloc(1, sizeof(*io));

	if (!io)
		return NULL;
	io->src.type = SRC_IO;
	io->l = l;
	io->fd = fd;
	io->cb = cb;
	io->data = data;
	ev.data.ptr = &io->src;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;

		free(io);
		errno = e;
		return NULL;
	}
	return io;
}

int loop_io_mod(struct loop_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = &io->src };

	if (epoll_ctl(io->l->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
		return -errno;
	return 0;
}

void loop_io_del(struct loop_io *io)
{
	if (!io || io->src.dead)
		return;
	/* The fd may already be closed by its owner; then the kernel dropped it for us. */
	epoll_ctl(io->l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	bury(io->l, &io->src);
}

int loop_io_fd(const struct loop_io *io)
{
	return io->fd;
}

struct loop_timer *loop_timer_new(struct loop *l, loop_timer_cb cb, void *data)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct loop_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->src.type = SRC_TIMER;
	t->l = l;
	t->cb = cb;
	t->data = data;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->fd < 0)
		goto fail;
	ev.data.ptr = &t->src;
	if (epoll_ctl(l->tepfd, EPOLL_CTL_ADD, t->fd, &ev) < 0)
		goto fail;
	return t;
fail:
	if (t->fd >= 0)
		close(t->fd);
	free(t);
	return NULL;
}

static void ns_to_ts(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
}

int loop_timer_arm(struct loop_timer *t, uint64_t delay_ns, uint64_t interval_ns)
{
	struct itimerspec its = { 0 };

	/* A zero it_value disarms a timerfd: fire "now" as 1 ns instead. */
	ns_to_ts(delay_ns ? delay_ns : 1, &its.it_value);
	ns_to_ts(interval_ns, &its.it_interval);
	if (timerfd_settime(t->fd, 0, &its, NULL) < 0)
		return -errno;
	t->armed = true;
	return 0;
}

int loop_timer_disarm(struct loop_timer *t)
{
	struct itimerspec its = { 0 };

	t->armed = false;
	if (timerfd_settime(t->fd, 0, &its, NULL) < 0)
		return -errno;
	return 0;
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return t->armed;
}

void loop_timer_free(struct loop_timer *t)
{
	if (!t || t->src.dead)
		return;
	epoll_ctl(t->l->tepfd, EPOLL_CTL_DEL, t->fd, NULL);
	close(t->fd);
	t->fd = -1;
	bury(t->l, &t->src);
}

int loop_signal(struct loop *l, int signo, loop_signal_cb cb, void *data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &l->sigsrc };
	int fd;

	if (signo <= 0 || signo >= _NSIG)
		return -EINVAL;
	sigaddset(&l->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &l->sigmask, NULL) < 0)
		return -errno;
	fd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (l->sigfd < 0) {
		l->sigfd = fd;
		if (epoll_ctl(l->tepfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -errno;
	}
	l->sigs[signo].cb = cb;
	l->sigs[signo].data = data;
	return 0;
}

static void dispatch_signals(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int signo = (int)si.ssi_signo;

		if (signo > 0 && signo < _NSIG && l->sigs[signo].cb)
			l->sigs[signo].cb(signo, l->sigs[signo].data);
	}
}

static void dispatch_timer(struct loop_timer *t)
{
	uint64_t n;

	if (read(t->fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return;
	if (!loop_timer_armed(t))
		return;
	{
		struct itimerspec cur;

		/* A one-shot timer is no longer armed once it fired. */
		if (timerfd_gettime(t->fd, &cur) == 0 && cur.it_interval.tv_sec == 0 &&
		    cur.it_interval.tv_nsec == 0)
			t->armed = false;
	}
	t->cb(t, t->data);
}

/* Every timer and signal that is due, now. */
static void dispatch_prio(struct loop *l)
{
	struct epoll_event evs[32];
	int n = epoll_wait(l->tepfd, evs, (int)ARRAY_SIZE(evs), 0);

	for (int i = 0; i < n; i++) {
		struct src *s = evs[i].data.ptr;

		if (s->dead)
			continue;
		if (s->type == SRC_SIGNAL)
			dispatch_signals(l);
		else if (s->type == SRC_TIMER)
			dispatch_timer((struct loop_timer *)s);
	}
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[64];

	l->quit = false;
	while (!l->quit) {
		int n = epoll_wait(l->epfd, evs, (int)ARRAY_SIZE(evs), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct src *s = evs[i].data.ptr;

			dispatch_prio(l);
			if (l->quit)
				break;
			if (s->dead || s->type != SRC_IO)
				continue;
			((struct loop_io *)s)->cb((struct loop_io *)s, evs[i].events,
						  ((struct loop_io *)s)->data);
		}
		reap_dead(l);
	}
	return 0;
}

void loop_quit(struct loop *l)
{
	l->quit = true;
}
