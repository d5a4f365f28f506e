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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "features.h"
#include "journal.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "runner.h"
#include "server.h"

#define CLIENT_MAX_OUT (8 * 1024 * 1024)
#define SERVER_MAX_CLIENTS 4096

struct client {
	struct server *s;
	struct client *next;
	int fd;
	struct loop_io *io;
	struct ucred cred;
	bool allowed;
	bool closing; /* close once the output is flushed */
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	char *events_run; /* subscribed to this run's events */
};

struct server {
	struct loop *loop;
	int fd;
	struct loop_io *io;
	char *path;
	gid_t gid;
	bool have_group;
	char *group;
	struct client *clients;
	size_t nclients;
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
	loop_io_del(c->io);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c->events_run);
	free(c);
}

static void client_update_events(struct client *c)
{
	uint32_t ev = c->closing ? 0 : EPOLLIN;

	if (c->out_len > c->out_off)
		ev |= EPOLLOUT;
	loop_io_mod(c->io, ev | EPOLLRDHUP);
}

/* Flush what we can; returns -1 when the client is gone (freed). */
static int client_flush(struct client *c)
{
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
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->closing) {
			client_free(c);
			return -1;
		}
	}
	client_update_events(c);
	return 0;
}

static void client_send(struct client *c, json_t *msg)
{
	char *text;
	size_t len;

	json_object_set_new(msg, "proto", json_integer(PROTO_VERSION));
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text)
		return;
	len = strlen(text);
	if (c->out_len - c->out_off + len + 1 > CLIENT_MAX_OUT) {
		/* A reader that does not read is dropped rather than grow without bound. */
		log_warn("control: client pid %d is not reading; disconnecting it", (int)c->cred.pid);
		free(text);
		c->closing = true;
		c->out_len = c->out_off = 0;
		return;
	}
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	{
		char *nb = realloc(c->out, c->out_len + len + 1);

		if (!nb) {
			free(text);
			c->closing = true;
			return;
		}
		c->out = nb;
	}
	memcpy(c->out + c->out_len, text, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
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
	send_ok(c, json_pack("{s:s, s:s, s:i}", "version", FL_VERSION, "git", FL_GIT_REV, "proto",
			     PROTO_VERSION));
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

/* A run's full record: from memory, or from the state dir once the agent forgot it. */
static void req_record(struct client *c, const struct proto_req *req)
{
	char path[PATH_MAX], *text = NULL;
	json_error_t jerr;
	struct run *r;
	json_t *rec;
	int ret;

	r = runner_find(c->s->rn, req->run);
	if (r) {
		send_ok(c, json_pack("{s:o}", "record", run_record(r)));
		return;
	}
	/* The id is hex (checked by the parser), so the path stays inside runs/. */
	snprintf(path, sizeof(path), "%s/runs/%s.json", journal_state_dir(c->s->j), req->run);
	ret = read_file(path, 64 * 1024 * 1024, &text, NULL);
	if (ret < 0) {
		send_err(c, "not_found", "no run '%s'", req->run);
		return;
	}
	rec = json_loads(text, 0, &jerr);
	free(text);
	if (!rec) {
		send_err(c, "internal", "run record '%s' is corrupt: %s", path, jerr.text);
		return;
	}
	send_ok(c, json_pack("{s:o}", "record", rec));
}

static void req_list(struct client *c, const struct proto_req *req)
{
	send_ok(c, json_pack("{s:o}", "runs", runner_list(c->s->rn)));
}

static void req_events(struct client *c, const struct proto_req *req)
{
	struct run *r = find_run(c, req->run);
	size_t i;
	json_t *ev;

	if (!r)
		return;
	send_ok(c, NULL);
	/* Replay what happened so far, then stream; the run's "end" closes the stream. */
	json_array_foreach(run_events(r), i, ev)
		client_send(c, json_pack("{s:O}", "event", ev));
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

static void client_read(struct client *c)
{
	for (;;) {
		ssize_t n;

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
			nb = realloc(c->in, ncap);
			if (!nb) {
				c->closing = true;
				return;
			}
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
			/* Nothing more will be read; drop a subscription nobody will see. */
			if (c->out_len == c->out_off)
				return;
			return;
		}
		c->in_len += (size_t)n;
		for (;;) {
			char *nl = memchr(c->in, '\n', c->in_len);
			size_t ll;

			if (!nl) {
				if (c->in_len > PROTO_MAX_MSG) {
					send_err(c, "proto", "message larger than %d bytes",
						 PROTO_MAX_MSG);
					c->closing = true;
					return;
				}
				break;
			}
			ll = (size_t)(nl - c->in);
			if (ll > PROTO_MAX_MSG) {
				send_err(c, "proto", "message larger than %d bytes", PROTO_MAX_MSG);
				c->closing = true;
				return;
			}
			if (!c->events_run && !c->closing)
				handle_line(c, c->in, ll);
			memmove(c->in, nl + 1, c->in_len - ll - 1);
			c->in_len -= ll + 1;
		}
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

static void accept_cb(struct loop_io *io, uint32_t events, void *data)
{
	struct server *s = data;

	for (;;) {
		socklen_t len = sizeof(struct ucred);
		struct client *c;
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (s->nclients >= SERVER_MAX_CLIENTS) {
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

/* ---- set-up ------------------------------------------------------------------------------- */

struct server *server_new(struct loop *l, const struct server_config *cfg, int *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct server *s = calloc(1, sizeof(*s));
	struct group *gr;
	char dir[PATH_MAX];
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
	if (strrchr(dir, '/') && strrchr(dir, '/') != dir) {
		*strrchr(dir, '/') = '\0';
		r = mkdir_p(dir, 0755);
		if (r < 0)
			goto fail;
	}
	strcpy(sa.sun_path, cfg->path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		r = -errno;
		goto fail;
	}
	/* We hold the state lock, so a socket file left here belongs to a dead agent. */
	if (unlink(cfg->path) < 0 && errno != ENOENT) {
		r = -errno;
		goto fail;
	}
	{
		/* Create it 0660 from the start: no window where others could connect. */
		mode_t old = umask(0117);

		r = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
		umask(old);
		if (r < 0) {
			r = -errno;
			goto fail;
		}
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
	if (!s->io) {
		r = -errno;
		goto fail;
	}
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
	if (s->fd >= 0) {
		close(s->fd);
		unlink(s->path);
	}
	free(s->path);
	free(s->group);
	free(s);
}
