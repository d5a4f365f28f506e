// SPDX-License-Identifier: MIT
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "hostcaps.h"
#include "journal.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "runner.h"
#include "server.h"

#define CLIENT_MAX_OUT (8 * 1024 * 1024)
/* Output queued for all clients together; the client whose reply would cross it is dropped. */
#define SERVER_MAX_OUT (64 * 1024 * 1024)
/*
 * Input buffered for all clients together (partial requests).  A first buffer (8KiB, room for
 * any request but "run") is always granted; past the total, the biggest partial request goes.
 */
#define SERVER_MAX_IN (64 * 1024 * 1024)
/* Requests handled per client per turn, so that one pipelining client cannot hold the loop. */
#define CLIENT_BATCH 16
/* Buffers larger than this are released once empty rather than kept for the next request. */
#define CLIENT_KEEP_BUF (64 * 1024)
#define SERVER_MAX_CLIENTS 4096
/* Descriptors kept for the agent's own work (journal, reverts, probes) whatever clients do. */
#define SERVER_FD_RESERVE 256
/* A client that neither sends nor takes a byte for this long is dropped (see client_idle). */
#define CLIENT_IDLE_NS (60 * NSEC_PER_SEC)
#define SWEEP_NS (5 * NSEC_PER_SEC)
/* Out of descriptors: stop accepting for this long rather than spin on the listening socket. */
#define ACCEPT_PAUSE_NS (100 * NSEC_PER_MSEC)

struct client {
	struct server *s;
	struct client *next;
	int fd;
	struct loop_io *io;
	struct ucred cred;
	bool allowed;
	bool closing; /* close once the output is flushed */
	bool dropped; /* too slow a reader: close now, send nothing more */
	bool pending; /* complete requests wait in 'in' for another turn (work_cb) */
	char *in;
	size_t in_len, in_cap;
	size_t in_scan; /* bytes of the partial request at the start of 'in' without a '\n' */
	char *out;
	size_t out_len, out_off, out_cap;
	char *events_run; /* subscribed to this run's events */
	uint64_t last_active; /* CLOCK_MONOTONIC ns of the last byte in or out */
};

struct server {
	struct loop *loop;
	int fd;
	struct loop_io *io;
	char *path;
	bool bound; /* the socket file at path is ours to remove */
	gid_t gid;
	bool have_group;
	char *group;
	struct client *clients;
	size_t nclients, max_clients;
	size_t out_total; /* bytes queued for every client together */
	size_t in_total;  /* input buffer capacity of every client together */
	struct loop_timer *sweep, *accept_timer, *reap_timer, *work_timer;
	uint64_t emfile_logged; /* CLOCK_MONOTONIC ns */
	struct runner *rn;
	struct journal *j;
};

static void client_free(struct client *c)
{
	struct server *s = c->s;

	for (struct client **pp = &s->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	s->nclients--;
	s->out_total -= c->out_len - c->out_off;
	s->in_total -= c->in_cap;
	loop_io_del(c->io);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c->events_run);
	free(c);
}

static void client_update_events(struct client *c)
{
	uint32_t ev = 0;

	/*
	 * Closing, or requests still waiting for their turn: read no more, and do not ask about
	 * the peer's shutdown either, which would be reported again and again until then.
	 */
	if (!c->closing && !c->pending)
		ev = EPOLLIN | EPOLLRDHUP;
	if (c->out_len > c->out_off)
		ev |= EPOLLOUT;
	loop_io_mod(c->io, ev);
}

/* Flush what we can; returns -1 when the client is gone (freed). */
static int client_flush(struct client *c)
{
	if (c->dropped) {
		client_free(c);
		return -1;
	}
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			client_free(c);
			return -1;
		}
		c->out_off += (size_t)n;
		c->s->out_total -= (size_t)n;
		c->last_active = now_mono();
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->closing) {
			client_free(c);
			return -1;
		}
		if (c->out_cap > CLIENT_KEEP_BUF) {
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
	}
	client_update_events(c);
	return 0;
}

/*
 * Drop c for not reading: its queue is released now, the connection closed from the loop
 * (reap_cb), where freeing a client cannot pull one out from under a caller's iteration.
 */
static void client_drop(struct client *c)
{
	struct server *s = c->s;

	log_warn("control: client pid %d is not reading (%zu bytes queued for it, %zu for all "
		 "clients); disconnecting it",
		 (int)c->cred.pid, c->out_len - c->out_off, s->out_total);
	s->out_total -= c->out_len - c->out_off;
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = c->out_cap = 0;
	c->closing = c->dropped = true;
	loop_timer_arm(s->reap_timer, 0, 0);
}

static void reap_cb(struct loop_timer *t, void *data)
{
	struct server *s = data;
	struct client *next;

	for (struct client *c = s->clients; c; c = next) {
		next = c->next;
		if (c->dropped)
			client_free(c);
	}
}

static void client_send(struct client *c, json_t *msg)
{
	char *text;
	size_t len;

	if (c->dropped) {
		json_decref(msg);
		return;
	}
	json_object_set_new(msg, "proto", json_integer(PROTO_VERSION));
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text)
		return;
	len = strlen(text);
	/* A reader that does not read is dropped rather than let its queue grow without bound. */
	if (c->out_len - c->out_off + len + 1 > CLIENT_MAX_OUT) {
		client_drop(c);
		free(text);
		return;
	}
	/*
	 * All clients together: room is made by dropping whoever has queued the most, which
	 * may be c, so that many slow readers cannot crowd out one that reads.
	 */
	while (c->s->out_total + len + 1 > SERVER_MAX_OUT) {
		struct client *worst = c;

		for (struct client *o = c->s->clients; o; o = o->next) {
			size_t queued = o->out_len - o->out_off;

			if (!o->dropped && queued > worst->out_len - worst->out_off)
				worst = o;
		}
		client_drop(worst);
		if (worst == c) {
			free(text);
			return;
		}
	}
	/* The idle clock (client_idle) runs from when output starts to wait. */
	if (c->out_len == c->out_off)
		c->last_active = now_mono();
	if (c->out_len + len + 1 > c->out_cap && c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len + 1 > c->out_cap) {
		/* Geometric growth: a replay of 20,000 events must not copy the queue each time. */
		size_t ncap = c->out_cap ? 2 * c->out_cap : 4096;
		char *nb;

		if (ncap < c->out_len + len + 1)
			ncap = c->out_len + len + 1;
		nb = realloc(c->out, ncap);
		if (!nb) {
			free(text);
			c->closing = true;
			return;
		}
		c->out = nb;
		c->out_cap = ncap;
	}
	memcpy(c->out + c->out_len, text, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	c->s->out_total += len + 1;
	free(text);
}

static void send_ok(struct client *c, json_t *body)
{
	json_t *msg = body ? body : json_object();

	json_object_set_new(msg, "ok", json_true());
	client_send(c, msg);
}

static void send_err(struct client *c, const char *code, const char *fmt, ...) PRINTF(3, 4);
static void send_err(struct client *c, const char *code, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	client_send(c, json_pack("{s:b, s:s, s:s}", "ok", 0, "code", code, "error", buf));
}

/*
 * Is the peer in group gid?  Its primary group, its supplementary groups as the kernel saw
 * them at connect() (SO_PEERGROUPS), or, on kernels without that, the group database.
 */
static bool peer_in_group(int fd, uid_t uid, gid_t peer_gid, gid_t gid)
{
	struct passwd *pw;
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	int n = (int)ARRAY_SIZE(groups);

	if (peer_gid == gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		for (size_t i = 0; i < len / sizeof(gid_t); i++)
			if (groups[i] == gid)
				return true;
		return false;
	}
	pw = getpwuid(uid);
	if (!pw)
		return false;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* ---- requests ----------------------------------------------------------------------------- */

static void req_version(struct client *c, const struct proto_req *req)
{
	send_ok(c, json_pack("{s:s, s:s, s:i, s:o, s:o}", "version", FL_VERSION, "git", FL_GIT_REV,
			     "proto", PROTO_VERSION, "libraries", hostcaps_libraries(), "kernel",
			     hostcaps_kernel()));
}

static struct run *find_run(struct client *c, const char *id)
{
	struct run *r = runner_find(c->s->rn, id);

	if (!r)
		send_err(c, "not_found", "no run '%s'", id);
	return r;
}

static void req_status(struct client *c, const struct proto_req *req)
{
	struct run *r;

	if (!req->run) {
		send_ok(c, json_pack("{s:o}", "runs", runner_status_all(c->s->rn)));
		return;
	}
	r = find_run(c, req->run);
	if (r)
		send_ok(c, json_pack("{s:[o]}", "runs", run_json(r)));
}

/*
 * A run's record from the state dir: runs the agent forgot, and finished runs, whose events
 * are kept only there.  NULL, with the error sent, when it cannot be read.
 */
static json_t *record_from_disk(struct client *c, const char *id)
{
	char path[PATH_MAX], *text = NULL;
	json_error_t jerr;
	json_t *rec;
	int ret;

	/* The id is hex (checked by the parser), so the path stays inside runs/. */
	snprintf(path, sizeof(path), "%s/runs/%s.json", journal_state_dir(c->s->j), id);
	ret = read_file(path, 64 * 1024 * 1024, &text, NULL);
	if (ret < 0) {
		send_err(c, "not_found", "no run '%s'", id);
		return NULL;
	}
	rec = json_loads(text, 0, &jerr);
	free(text);
	if (!rec)
		send_err(c, "internal", "run record '%s' is corrupt: %s", path, jerr.text);
	return rec;
}

/* A run's full record: from memory, or from the state dir once its events are only there. */
static void req_record(struct client *c, const struct proto_req *req)
{
	struct run *r;
	json_t *rec;

	r = runner_find(c->s->rn, req->run);
	if (r && !run_events_on_disk(r)) {
		send_ok(c, json_pack("{s:o}", "record", run_record(r)));
		return;
	}
	rec = record_from_disk(c, req->run);
	if (rec)
		send_ok(c, json_pack("{s:o}", "record", rec));
}

static void req_list(struct client *c, const struct proto_req *req)
{
	send_ok(c, json_pack("{s:o}", "runs", runner_list(c->s->rn)));
}

static void req_events(struct client *c, const struct proto_req *req)
{
	struct run *r = find_run(c, req->run);
	json_t *rec = NULL, *events, *ev;
	size_t i;

	if (!r)
		return;
	events = run_events(r);
	if (run_events_on_disk(r)) {
		rec = record_from_disk(c, req->run);
		if (!rec)
			return;
		events = json_object_get(rec, "events");
	}
	send_ok(c, NULL);
	/* Replay what happened so far, then stream; the run's "end" closes the stream. */
	json_array_foreach(events, i, ev) {
		if (c->dropped)
			break; /* it does not read: stop building what it would not take */
		client_send(c, json_pack("{s:O}", "event", ev));
	}
	json_decref(rec);
	if (c->dropped)
		return;
	if (run_finished(r)) {
		c->closing = true;
		return;
	}
	free(c->events_run);
	c->events_run = strdup(req->run);
}

static void req_run(struct client *c, const struct proto_req *req)
{
	struct run_request rr = {
		.file = req->file,
		.text = req->text,
		.len = req->text_len,
		.dry_run = req->dry_run,
		.lease = req->lease_ms * NSEC_PER_MSEC,
		.start_at = req->start_at_ms * NSEC_PER_MSEC,
	};
	json_t *reply = NULL;
	int r;

	r = runner_start(c->s->rn, &rr, &reply);
	if (!reply) {
		send_err(c, "internal", "cannot start the run: %s", strerror(-r));
		return;
	}
	if (r < 0) {
		json_object_set_new(reply, "ok", json_false());
		client_send(c, reply);
		return;
	}
	send_ok(c, reply);
}

static void req_abort(struct client *c, const struct proto_req *req)
{
	json_t *ids = json_array();
	struct run *r;

	if (req->all) {
		runner_abort_all(c->s->rn, "aborted by operator", ids);
		send_ok(c, json_pack("{s:o}", "aborted", ids));
		return;
	}
	r = find_run(c, req->run);
	if (!r) {
		json_decref(ids);
		return;
	}
	if (runner_abort(c->s->rn, r, "aborted by operator") == 0)
		json_array_append_new(ids, json_string(req->run));
	send_ok(c, json_pack("{s:o}", "aborted", ids));
}

static void req_renew(struct client *c, const struct proto_req *req)
{
	struct run *r = find_run(c, req->run);

	if (!r)
		return;
	if (runner_renew(c->s->rn, r, req->lease_ms * NSEC_PER_MSEC) < 0) {
		send_err(c, "not_found", "run '%s' has ended", req->run);
		return;
	}
	send_ok(c, NULL);
}

static void req_recover(struct client *c, const struct proto_req *req)
{
	json_t *ids = json_array(), *report = NULL;
	int r;

	/* Everything the journal holds: active runs first (their faults are in it), then the rest. */
	runner_abort_all(c->s->rn, "recover requested", ids);
	r = journal_recover(c->s->j, &report);
	if (r < 0 && !report) {
		json_decref(ids);
		send_err(c, "internal", "cannot read the journal: %s", strerror(-r));
		return;
	}
	json_object_set_new(report, "aborted", ids);
	send_ok(c, report);
}

typedef void (*handler_fn)(struct client *c, const struct proto_req *req);

/* Read-only requests: they never change a run or the host. */
static const handler_fn read_handlers[] = {
	[PROTO_VERSION_CMD] = req_version,
	[PROTO_STATUS] = req_status,
	[PROTO_LIST] = req_list,
	[PROTO_EVENTS] = req_events,
	[PROTO_RECORD] = req_record,
};

/* Mutating requests: logged with who asked. */
static const handler_fn write_handlers[] = {
	[PROTO_RUN] = req_run,
	[PROTO_ABORT] = req_abort,
	[PROTO_RENEW] = req_renew,
	[PROTO_RECOVER] = req_recover,
};

static void handle_line(struct client *c, const char *line, size_t len)
{
	struct proto_req req;
	char err[256];

	if (proto_parse_request(line, len, &req, err, sizeof(err)) < 0) {
		send_err(c, "proto", "%s", err);
		goto out;
	}
	if (!req.mutating) {
		if ((size_t)req.cmd < ARRAY_SIZE(read_handlers) && read_handlers[req.cmd])
			read_handlers[req.cmd](c, &req);
		goto out;
	}
	log_info("control: '%s' from uid %u pid %d", req.name, (unsigned)c->cred.uid,
		 (int)c->cred.pid);
	if ((size_t)req.cmd < ARRAY_SIZE(write_handlers) && write_handlers[req.cmd])
		write_handlers[req.cmd](c, &req);
out:
	proto_req_fini(&req);
}

static void client_release_in(struct client *c)
{
	c->s->in_total -= c->in_cap;
	free(c->in);
	c->in = NULL;
	c->in_cap = c->in_len = c->in_scan = 0;
}

/*
 * Handle the complete requests in c->in, at most CLIENT_BATCH of them.  Returns true when
 * more are left for another turn.  Each byte is searched for '\n' once (in_scan), and the
 * rest moved to the front once, however the requests were split or pipelined.
 */
static bool client_lines(struct client *c)
{
	size_t off = 0;
	int handled = 0;
	bool more = false;

	while (!c->closing) {
		char *nl;
		size_t ll;

		if (off + c->in_scan == c->in_len)
			break; /* nothing new to search */
		if (handled == CLIENT_BATCH) {
			more = true;
			break;
		}
		nl = memchr(c->in + off + c->in_scan, '\n', c->in_len - off - c->in_scan);
		if (!nl) {
			c->in_scan = c->in_len - off;
			if (c->in_scan > PROTO_MAX_MSG) {
				send_err(c, "proto", "message larger than %d bytes", PROTO_MAX_MSG);
				c->closing = true;
			}
			break;
		}
		ll = (size_t)(nl - (c->in + off));
		if (ll > PROTO_MAX_MSG) {
			send_err(c, "proto", "message larger than %d bytes", PROTO_MAX_MSG);
			c->closing = true;
			break;
		}
		/* A stream ignores whatever else its client sends. */
		if (!c->events_run)
			handle_line(c, c->in + off, ll);
		off += ll + 1;
		c->in_scan = 0;
		handled++;
	}
	if (off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	if (!c->in_len && c->in_cap > CLIENT_KEEP_BUF)
		client_release_in(c);
	c->pending = more && !c->closing;
	if (c->pending)
		loop_timer_arm(c->s->work_timer, 0, 0);
	return c->pending;
}

/*
 * Make room for c to grow its input buffer by more bytes: close the clients holding bigger
 * partial requests than c, biggest first.  False when c holds the biggest (c then goes).
 */
static bool make_room_in(struct client *c, size_t more)
{
	struct server *s = c->s;

	while (s->in_total + more > SERVER_MAX_IN) {
		struct client *big = NULL;

		for (struct client *o = s->clients; o; o = o->next)
			if (o != c && !o->closing && o->in_cap > c->in_cap &&
			    (!big || o->in_cap > big->in_cap))
				big = o;
		if (!big)
			return false;
		log_info("control: client pid %d holds a partial request of %zu bytes; closing it "
			 "to make room", (int)big->cred.pid, big->in_len);
		client_release_in(big);
		send_err(big, "busy", "the agent holds too many partial requests; retry later");
		big->closing = true;
		client_flush(big);
	}
	return true;
}

static void client_read(struct client *c)
{
	for (;;) {
		ssize_t n;

		if (client_lines(c) || c->closing)
			return;
		if (c->in_cap - c->in_len < 4096) {
			size_t ncap = c->in_cap ? c->in_cap * 2 : 8192;
			char *nb;

			if (ncap > PROTO_MAX_MSG + 8192)
				ncap = PROTO_MAX_MSG + 8192;
			if (ncap <= c->in_len) {
				send_err(c, "proto", "message larger than %d bytes", PROTO_MAX_MSG);
				c->closing = true;
				return;
			}
			if (c->in_cap && !make_room_in(c, ncap - c->in_cap)) {
				send_err(c, "busy",
					 "the agent holds too many partial requests; retry later");
				c->closing = true;
				return;
			}
			nb = realloc(c->in, ncap);
			if (!nb) {
				c->closing = true;
				return;
			}
			c->s->in_total += ncap - c->in_cap;
			c->in = nb;
			c->in_cap = ncap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->closing = true;
			return;
		}
		if (n == 0) {
			c->closing = true;
			return;
		}
		c->in_len += (size_t)n;
		c->last_active = now_mono();
	}
}

/* Another turn for every client whose requests are waiting (client_lines). */
static void work_cb(struct loop_timer *t, void *data)
{
	struct server *s = data;
	struct client *next;

	for (struct client *c = s->clients; c; c = next) {
		next = c->next;
		if (!c->pending || c->dropped)
			continue;
		client_lines(c);
		client_flush(c);
	}
}

static void client_cb(struct loop_io *io, uint32_t events, void *data)
{
	struct client *c = data;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR))
		client_read(c);
	if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN)) {
		client_free(c);
		return;
	}
	client_flush(c);
}

static void accept_resume_cb(struct loop_timer *t, void *data)
{
	struct server *s = data;

	loop_io_mod(s->io, EPOLLIN);
}

/*
 * accept() failed for want of descriptors or memory: the connection stays queued and the
 * listening socket readable, so stop watching it for a moment instead of spinning.
 */
static void accept_pause(struct server *s, int err)
{
	uint64_t now = now_mono();

	if (!s->emfile_logged || now - s->emfile_logged > 10 * NSEC_PER_SEC) {
		log_warn("control: cannot accept connections: %s (%zu clients); pausing",
			 strerror(err), s->nclients);
		s->emfile_logged = now;
	}
	if (loop_io_mod(s->io, 0) == 0 && loop_timer_arm(s->accept_timer, ACCEPT_PAUSE_NS, 0) < 0)
		loop_io_mod(s->io, EPOLLIN);
}

static void accept_cb(struct loop_io *io, uint32_t events, void *data)
{
	struct server *s = data;

	for (;;) {
		socklen_t len = sizeof(struct ucred);
		struct client *c;
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				accept_pause(s, errno);
			return;
		}
		if (s->nclients >= s->max_clients) {
			/* Full: the newcomer is turned away; those already in keep their place. */
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->s = s;
		c->fd = fd;
		c->last_active = now_mono();
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) < 0) {
			free(c);
			close(fd);
			continue;
		}
		c->io = loop_io_add(s->loop, fd, EPOLLIN | EPOLLRDHUP, client_cb, c);
		if (!c->io) {
			free(c);
			close(fd);
			continue;
		}
		c->next = s->clients;
		s->clients = c;
		s->nclients++;
		c->allowed = c->cred.uid == 0 ||
			     (s->have_group && peer_in_group(fd, c->cred.uid, c->cred.gid, s->gid));
		if (!c->allowed) {
			log_warn("control: refused uid %u pid %d", (unsigned)c->cred.uid,
				 (int)c->cred.pid);
			send_err(c, "denied",
				 "permission denied: uid %u is neither root nor a member of group "
				 "'%s'",
				 (unsigned)c->cred.uid, s->group);
			c->closing = true;
			client_flush(c);
		}
	}
}

/* ---- hooks -------------------------------------------------------------------------------- */

void server_on_event(const char *run_id, json_t *ev, void *data)
{
	struct server *s = data;
	struct client *next;
	bool end = strcmp(json_string_value(json_object_get(ev, "type")), "end") == 0;

	for (struct client *c = s->clients; c; c = next) {
		next = c->next;
		if (!c->events_run || strcmp(c->events_run, run_id) != 0)
			continue;
		client_send(c, json_pack("{s:O}", "event", ev));
		if (end)
			c->closing = true;
		client_flush(c);
	}
}

bool server_pid_is_client(pid_t pid, void *data)
{
	struct server *s = data;

	for (struct client *c = s->clients; c; c = c->next)
		if (c->cred.pid == pid)
			return true;
	return false;
}

/*
 * Idle: nothing received and nothing taken for CLIENT_IDLE_NS.  An events stream with nothing
 * queued waits for its run and is not idle; one whose output sits unread is.  Dropping idle
 * clients keeps connections that never send (or stop halfway through a request) from holding
 * descriptors forever.
 */
static bool client_idle(const struct client *c, uint64_t now)
{
	if (c->events_run && c->out_len == c->out_off)
		return false;
	return now - c->last_active > CLIENT_IDLE_NS;
}

static void sweep_cb(struct loop_timer *t, void *data)
{
	struct server *s = data;
	uint64_t now = now_mono();
	struct client *next;

	for (struct client *c = s->clients; c; c = next) {
		next = c->next;
		if (!client_idle(c, now))
			continue;
		log_info("control: client pid %d idle for %llus; disconnecting it",
			 (int)c->cred.pid,
			 (unsigned long long)((now - c->last_active) / NSEC_PER_SEC));
		client_free(c);
	}
}

/* ---- set-up ------------------------------------------------------------------------------- */

/*
 * Room for SERVER_MAX_CLIENTS clients besides the agent's own descriptors (the usual soft
 * limit, 1024, is less than that).  Returns how many clients fit.
 */
static size_t raise_nofile(void)
{
	rlim_t want = SERVER_MAX_CLIENTS + SERVER_FD_RESERVE + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024 - SERVER_FD_RESERVE;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		struct rlimit nl = { want, rl.rlim_max };

		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
			nl.rlim_max = want; /* root may raise the hard limit too */
		if (setrlimit(RLIMIT_NOFILE, &nl) < 0) {
			nl.rlim_cur = nl.rlim_max = rl.rlim_max;
			if (rl.rlim_max > rl.rlim_cur)
				(void)setrlimit(RLIMIT_NOFILE, &nl);
		}
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			return 1024 - SERVER_FD_RESERVE;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return SERVER_MAX_CLIENTS;
	return rl.rlim_cur > 2 * SERVER_FD_RESERVE ? (size_t)rl.rlim_cur - 2 * SERVER_FD_RESERVE
						   : 16;
}

/*
 * Whoever can write to the socket's directory (or to one above it) can replace the socket
 * and receive every faultctl's commands, so each must belong to root (or to us) and be
 * writable by nobody else, unless it is sticky (/tmp): a sticky directory keeps others from
 * removing or renaming what they do not own.  -EPERM, logged, when one is unsafe.
 */
static int check_socket_dir(const char *dir)
{
	char buf[PATH_MAX];
	size_t len;

	len = (size_t)snprintf(buf, sizeof(buf), "%s", dir);
	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	for (;;) {
		struct stat st;
		char *slash;

		if (stat(buf[0] ? buf : "/", &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode)) {
			log_err("control socket directory '%s' is not a directory", buf);
			return -ENOTDIR;
		}
		if (st.st_uid != 0 && st.st_uid != geteuid()) {
			log_err("control socket directory '%s' belongs to uid %u, not root; not "
				"listening there", buf[0] ? buf : "/", (unsigned)st.st_uid);
			return -EPERM;
		}
		if (!(st.st_mode & S_ISVTX) &&
		    ((st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) && st.st_gid != 0))) {
			log_err("control socket directory '%s' (mode %04o) is writable by others "
				"without the sticky bit, so anybody could replace the socket; not "
				"listening there",
				buf[0] ? buf : "/", (unsigned)(st.st_mode & 07777));
			return -EPERM;
		}
		if (!buf[0] || !strcmp(buf, "/"))
			return 0;
		slash = strrchr(buf, '/');
		if (!slash)
			return 0; /* relative: checked up to the working directory */
		*slash = '\0';
	}
}

/*
 * What is at the socket's path: nothing, or a socket left by an agent that died, which is
 * removed whatever its owner and mode.  A socket somebody still listens on (an agent with
 * another state dir) and anything that is not a socket are refused.
 */
static int clear_socket_path(const struct sockaddr_un *sa)
{
	const char *path = sa->sun_path;
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("'%s' exists and is not a socket; not replacing it", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
		close(fd);
		log_err("'%s' is in use: another agent listens on it", path);
		return -EADDRINUSE;
	}
	if (fd >= 0)
		close(fd);
	if (st.st_uid != 0 || (st.st_mode & 07777) != 0660)
		log_notice("control: replacing the stale socket '%s' (uid %u, mode %04o)", path,
			   (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

struct server *server_new(struct loop *l, const struct server_config *cfg, int *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct server *s = calloc(1, sizeof(*s));
	struct group *gr;
	char dir[PATH_MAX], *slash;
	int r;

	if (!s) {
		r = -ENOMEM;
		goto fail;
	}
	s->loop = l;
	s->fd = -1;
	s->path = strdup(cfg->path);
	s->group = strdup(cfg->group ? cfg->group : PROTO_DEFAULT_GROUP);
	if (!s->path || !s->group) {
		r = -ENOMEM;
		goto fail;
	}
	if (strlen(cfg->path) >= sizeof(sa.sun_path)) {
		r = -ENAMETOOLONG;
		goto fail;
	}
	gr = getgrnam(s->group);
	if (gr) {
		s->have_group = true;
		s->gid = gr->gr_gid;
	}
	snprintf(dir, sizeof(dir), "%s", cfg->path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, F_OK) < 0 && errno == ENOENT) {
		/* Ours: 0755 whatever the umask, so that group members reach the socket. */
		r = mkdir_p(dir, 0755);
		if (r < 0)
			goto fail;
		if (chmod(dir, 0755) < 0) {
			r = -errno;
			goto fail;
		}
	}
	r = check_socket_dir(dir);
	if (r < 0)
		goto fail;
	s->max_clients = raise_nofile();
	strcpy(sa.sun_path, cfg->path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		r = -errno;
		goto fail;
	}
	r = clear_socket_path(&sa);
	if (r < 0)
		goto fail;
	{
		/* Create it 0660 from the start: no window where others could connect. */
		mode_t old = umask(0117);

		r = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
		umask(old);
		if (r < 0) {
			r = -errno;
			goto fail;
		}
		s->bound = true;
	}
	if (chown(cfg->path, 0, s->have_group ? s->gid : 0) < 0 || chmod(cfg->path, 0660) < 0) {
		r = -errno;
		goto fail;
	}
	if (listen(s->fd, 128) < 0) {
		r = -errno;
		goto fail;
	}
	s->io = loop_io_add(l, s->fd, EPOLLIN, accept_cb, s);
	s->accept_timer = loop_timer_new(l, accept_resume_cb, s);
	s->sweep = loop_timer_new(l, sweep_cb, s);
	s->reap_timer = loop_timer_new(l, reap_cb, s);
	s->work_timer = loop_timer_new(l, work_cb, s);
	if (!s->io || !s->accept_timer || !s->sweep || !s->reap_timer || !s->work_timer) {
		r = -errno;
		goto fail;
	}
	r = loop_timer_arm(s->sweep, SWEEP_NS, SWEEP_NS);
	if (r < 0)
		goto fail;
	return s;
fail:
	if (err)
		*err = r;
	server_free(s);
	return NULL;
}

void server_set_runner(struct server *s, struct runner *rn, struct journal *j)
{
	s->rn = rn;
	s->j = j;
}

void server_free(struct server *s)
{
	if (!s)
		return;
	while (s->clients) {
		/* Give every client its last words (e.g. an "end" event) before we go. */
		struct client *c = s->clients;

		c->closing = true;
		if (client_flush(c) == 0)
			client_free(c);
	}
	loop_io_del(s->io);
	loop_timer_free(s->accept_timer);
	loop_timer_free(s->sweep);
	loop_timer_free(s->reap_timer);
	loop_timer_free(s->work_timer);
	if (s->fd >= 0)
		close(s->fd);
	if (s->bound)
		unlink(s->path);
	free(s->path);
	free(s->group);
	free(s);
}
