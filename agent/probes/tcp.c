// SPDX-License-Identifier: MIT
/*
 * tcp: a sample succeeds when a TCP connection to host:port is established within the
 * timeout.  Non-blocking connect() watched by the loop; the host must be an IP literal so no
 * name resolution ever blocks the loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "loop.h"
#include "probe.h"
#include "units.h"

struct tcp_priv {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char where[80];

	int fd;
	struct loop_io *io;
	struct loop_timer *timer;
	probe_done_cb done;
	void *data;
	struct sample s;
	int early;	  /* connect() finished at once: 0 or its errno, reported from the loop */
	bool early_done;
};

static const char *const tcp_keys[] = { "host", "port", NULL };

static void tcp_reset(struct tcp_priv *tp)
{
	loop_io_del(tp->io);
	tp->io = NULL;
	loop_timer_free(tp->timer);
	tp->timer = NULL;
	if (tp->fd >= 0)
		close(tp->fd);
	tp->fd = -1;
}

static void tcp_finish(struct probe *p, const char *reason)
{
	struct tcp_priv *tp = p->priv;
	probe_done_cb done = tp->done;
	void *data = tp->data;
	struct sample s = tp->s;

	s.latency = now_mono() - s.started;
	if (reason)
		snprintf(s.reason, sizeof(s.reason), "%s", reason);
	s.ok = !reason;
	tcp_reset(tp);
	p->busy = false;
	done(p, &s, data);
}

static void tcp_io(struct loop_io *io, uint32_t events, void *data)
{
	struct probe *p = data;
	struct tcp_priv *tp = p->priv;
	int err = 0;
	socklen_t len = sizeof(err);
	char why[160];

	if (getsockopt(tp->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (!err && !(events & (EPOLLERR | EPOLLHUP))) {
		tcp_finish(p, NULL);
		return;
	}
	snprintf(why, sizeof(why), "connect to %s: %s", tp->where, strerror(err ? err : EIO));
	tcp_finish(p, why);
}

static void tcp_timeout(struct loop_timer *t, void *data)
{
	struct probe *p = data;
	struct tcp_priv *tp = p->priv;
	char why[160], d[32];

	if (tp->early_done) {
		if (!tp->early) {
			tcp_finish(p, NULL);
			return;
		}
		snprintf(why, sizeof(why), "connect to %s: %s", tp->where, strerror(tp->early));
		tcp_finish(p, why);
		return;
	}
	fmt_duration(p->timeout, d, sizeof(d));
	snprintf(why, sizeof(why), "connect to %s: timeout after %s", tp->where, d);
	tcp_finish(p, why);
}

static int tcp_start(struct probe *p, struct loop *l, probe_done_cb done, void *data)
{
	struct tcp_priv *tp = p->priv;
	int r;

	if (tp->fd >= 0)
		return -EBUSY;
	memset(&tp->s, 0, sizeof(tp->s));
	tp->s.started = now_mono();
	tp->done = done;
	tp->data = data;
	tp->fd = socket(tp->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (tp->fd < 0)
		return -errno;
	tp->timer = loop_timer_new(l, tcp_timeout, p);
	if (!tp->timer) {
		r = -errno;
		goto fail;
	}
	tp->early_done = false;
	r = connect(tp->fd, (struct sockaddr *)&tp->addr, tp->addrlen) < 0 ? errno : 0;
	if (r != EINPROGRESS) {
		/* Done at once (loopback often is): still reported from the loop, never from here. */
		tp->early = r;
		tp->early_done = true;
		loop_timer_arm(tp->timer, 0, 0);
		p->busy = true;
		return 0;
	}
	tp->io = loop_io_add(l, tp->fd, EPOLLOUT, tcp_io, p);
	if (!tp->io) {
		r = -errno;
		goto fail;
	}
	loop_timer_arm(tp->timer, p->timeout, 0);
	p->busy = true;
	return 0;
fail:
	tcp_reset(tp);
	return r;
}

static void tcp_cancel(struct probe *p)
{
	struct tcp_priv *tp = p->priv;

	if (tp)
		tcp_reset(tp);
	p->busy = false;
}

static void tcp_free(struct probe *p)
{
	tcp_cancel(p);
	free(p->priv);
	p->priv = NULL;
}

static int tcp_parse(struct probe *p, const json_t *spec, const char *path, struct vctx *v)
{
	struct tcp_priv *tp = calloc(1, sizeof(*tp));
	struct sockaddr_in *a4;
	struct sockaddr_in6 *a6;
	const char *host = NULL;
	uint64_t port = 0;
	char hp[VPATH_MAX];
	int r1, r2;

	if (!tp)
		return -ENOMEM;
	tp->fd = -1;
	p->priv = tp;
	r1 = v_string(v, spec, "host", path, true, &host);
	r2 = v_uint(v, spec, "port", path, true, 1, 65535, &port);
	if (r1 <= 0 || r2 <= 0)
		return -EINVAL;
	a4 = (struct sockaddr_in *)&tp->addr;
	a6 = (struct sockaddr_in6 *)&tp->addr;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		tp->addrlen = sizeof(*a4);
		snprintf(tp->where, sizeof(tp->where), "%s:%u", host, (unsigned)port);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		tp->addrlen = sizeof(*a6);
		snprintf(tp->where, sizeof(tp->where), "[%s]:%u", host, (unsigned)port);
	} else {
		verr(v, vpath_key(hp, path, "host"),
		     "'%s' is not an IPv4 or IPv6 address (names are not resolved, so a probe "
		     "never waits on DNS)",
		     host);
		return -EINVAL;
	}
	return 0;
}

const struct probe_ops probe_tcp_ops = {
	.kind = "tcp",
	.keys = tcp_keys,
	.parse = tcp_parse,
	.start = tcp_start,
	.cancel = tcp_cancel,
	.free = tcp_free,
};
