// SPDX-License-Identifier: MIT
/* faultctl's side of the control protocol (agent/proto.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ctl.h"
#include "util.h"

#define CONN_INITIAL_BUF (64 * 1024)

int conn_open(struct conn *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = -1, r;

	c->fd = -1;
	c->buf = NULL;
	c->len = c->cap = 0;
	c->err[0] = '\0';
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	do {
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	c->fd = fd;
	return 0;
}

void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

int conn_send(struct conn *c, json_t *req)
{
	char *line = NULL;
	size_t len;
	int r;

	if (json_object_set_new(req, "proto", json_integer(PROTO_VERSION)) < 0)
		return -ENOMEM;
	line = json_dumps(req, JSON_COMPACT);
	if (!line)
		return -ENOMEM;
	len = strlen(line);
	if (len >= PROTO_MAX_MSG) {
		snprintf(c->err, sizeof(c->err), "request of %zu bytes exceeds the limit of %d",
			 len, PROTO_MAX_MSG);
		r = -EMSGSIZE;
		goto out;
	}
	line[len] = '\n';
	r = write_all(c->fd, line, len + 1);
out:
	free(line);
	return r;
}

int conn_fill(struct conn *c)
{
	ssize_t n;

	if (c->len == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : CONN_INITIAL_BUF;
		char *nb;

		/* One line of PROTO_MAX_MSG bytes plus its newline must fit. */
		if (ncap > PROTO_MAX_MSG + 1)
			ncap = PROTO_MAX_MSG + 1;
		if (ncap <= c->cap)
			return -EMSGSIZE;
		nb = realloc(c->buf, ncap);
		if (!nb)
			return -ENOMEM;
		c->buf = nb;
		c->cap = ncap;
	}
	do {
		n = read(c->fd, c->buf + c->len, c->cap - c->len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	c->len += (size_t)n;
	return (int)n;
}

int conn_next(struct conn *c, json_t **msg)
{
	json_error_t jerr;
	json_t *m = NULL, *proto;
	char *nl;
	size_t linelen;

	*msg = NULL;
	nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
	if (!nl) {
		if (c->len > PROTO_MAX_MSG) {
			snprintf(c->err, sizeof(c->err),
				 "reply longer than the limit of %d bytes", PROTO_MAX_MSG);
			return -EMSGSIZE;
		}
		return 0;
	}
	linelen = (size_t)(nl - c->buf);
	m = json_loadb(c->buf, linelen, JSON_REJECT_DUPLICATES, &jerr);
	memmove(c->buf, nl + 1, c->len - linelen - 1);
	c->len -= linelen + 1;
	if (!m || !json_is_object(m)) {
		snprintf(c->err, sizeof(c->err), "malformed reply: %s",
			 m ? "not an object" : jerr.text);
		json_decref(m);
		return -EBADMSG;
	}
	proto = json_object_get(m, "proto");
	if (!json_is_integer(proto) || json_integer_value(proto) != PROTO_VERSION) {
		if (json_is_integer(proto))
			snprintf(c->err, sizeof(c->err),
				 "faultlined speaks protocol %lld, faultctl speaks %d",
				 (long long)json_integer_value(proto), PROTO_VERSION);
		else
			snprintf(c->err, sizeof(c->err), "reply without a protocol version");
		json_decref(m);
		return -EPROTO;
	}
	*msg = m;
	return 1;
}

int conn_recv(struct conn *c, json_t **msg)
{
	for (;;) {
		int r = conn_next(c, msg);

		if (r != 0)
			return r < 0 ? r : 0;
		r = conn_fill(c);
		if (r < 0) {
			snprintf(c->err, sizeof(c->err), "%s", strerror(-r));
			return r;
		}
		if (r == 0) {
			snprintf(c->err, sizeof(c->err), "connection closed by faultlined");
			return -ECONNRESET;
		}
	}
}

int ctl_call(const struct ctl *ctl, json_t *req, json_t **reply)
{
	struct conn c = CONN_INIT;
	int r, sr;

	*reply = NULL;
	r = conn_open(&c, ctl->socket);
	if (r < 0)
		return r;
	/*
	 * A refused peer gets one error reply before the agent closes, so even when the
	 * request cannot be written, a reply may be waiting to be read.
	 */
	sr = conn_send(&c, req);
	r = conn_recv(&c, reply);
	if (r < 0) {
		if (sr < 0 && sr != -EMSGSIZE)
			snprintf(c.err, sizeof(c.err), "%s", strerror(-sr));
		fprintf(stderr, "faultctl: request to faultlined at %s failed: %s\n", ctl->socket,
			c.err);
		r = CALL_BROKEN;
	}
	conn_close(&c);
	return r;
}

int ctl_unreachable(const struct ctl *ctl, int err)
{
	fprintf(stderr, "faultctl: cannot reach faultlined at %s: %s\n", ctl->socket,
		strerror(-err));
	return CTL_EXIT_AGENT;
}

int ctl_request(const struct ctl *ctl, json_t *req, json_t **reply)
{
	int r = ctl_call(ctl, req, reply);

	if (r < 0)
		return ctl_unreachable(ctl, r);
	if (r > 0)
		return CTL_EXIT_AGENT;
	if (!reply_ok(*reply)) {
		r = reply_fail(*reply);
		json_decref(*reply);
		*reply = NULL;
		return r;
	}
	return 0;
}

bool reply_ok(const json_t *reply)
{
	return json_is_true(json_object_get(reply, "ok"));
}

void print_errors(const json_t *errors)
{
	size_t i;
	json_t *e;

	json_array_foreach(errors, i, e) {
		const char *text = jstr(e, "text");

		if (!text)
			text = jstr(e, "message");
		fprintf(stderr, "%s\n", text ? text : "invalid experiment");
	}
}

int reply_fail(const json_t *reply)
{
	const char *code = jstr(reply, "code");
	const char *err = jstr(reply, "error");

	if (!code)
		code = "internal";
	if (!err)
		err = code;
	if (!strcmp(code, "invalid")) {
		const json_t *errors = json_object_get(reply, "errors");

		if (json_array_size(errors))
			print_errors(errors);
		else
			fprintf(stderr, "faultctl: %s\n", err);
		return CTL_EXIT_USAGE;
	}
	if (!strcmp(code, "denied") && strncasecmp(err, "permission denied", 17))
		fprintf(stderr, "faultctl: permission denied: %s\n", err);
	else
		fprintf(stderr, "faultctl: %s\n", err);
	return CTL_EXIT_AGENT;
}

const char *jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

bool jnum(const json_t *obj, const char *key, double *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

void print_json(const json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}
