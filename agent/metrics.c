// SPDX-License-Identifier: MIT
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "runner.h"
#include "util.h"

struct mconn {
	struct metrics *m;
	struct mconn *next;
	int fd;
	struct loop_io *io;
	struct loop_timer *timer;
	char in[METRICS_MAX_REQUEST];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	bool draining; /* answered; reading until the client closes */
};

struct metrics {
	struct loop *loop;
	const struct runner *rn;
	int fd;
	struct loop_io *io;
	struct mconn *conns;
	size_t nconns;
	uint64_t start_real;
	uint64_t scrapes;
};

/* ---- rendering ---------------------------------------------------------------------------- */

static void put_value(FILE *f, double v)
{
	if (isnan(v))
		fputs("NaN", f);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else {
		char buf[40];

		/* The shortest form that reads back as the same double. */
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
		fputs(buf, f);
	}
}

/* A label value: backslash, double quote and newline escaped, as the format requires. */
static void put_label(FILE *f, const char *name, const char *val, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = val ? val : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Samples of one histogram; labels is NULL or an object of string label values. */
static void histogram(FILE *f, const char *name, const json_t *h, const json_t *labels)
{
	const json_t *le = json_object_get(h, "le"), *counts = json_object_get(h, "counts");
	const char *k;
	json_t *v;
	size_t i;

	for (i = 0; i <= json_array_size(le); i++) {
		bool first = true;
		char b[32];

		fprintf(f, "%s_bucket{", name);
		json_object_foreach((json_t *)labels, k, v) {
			put_label(f, k, json_string_value(v), first);
			first = false;
		}
		if (i < json_array_size(le))
			snprintf(b, sizeof(b), "%g", json_number_value(json_array_get(le, i)));
		else
			snprintf(b, sizeof(b), "+Inf");
		put_label(f, "le", b, first);
		fputs("} ", f);
		if (i < json_array_size(le))
			put_value(f, json_number_value(json_array_get(counts, i)));
		else
			put_value(f, json_number_value(json_object_get(h, "count")));
		fputc('\n', f);
	}
	for (i = 0; i < 2; i++) {
		bool first = true;

		fprintf(f, "%s_%s", name, i ? "count" : "sum");
		if (json_object_size(labels)) {
			fputc('{', f);
			json_object_foreach((json_t *)labels, k, v) {
				put_label(f, k, json_string_value(v), first);
				first = false;
			}
			fputc('}', f);
		}
		fputc(' ', f);
		put_value(f, json_number_value(json_object_get(h, i ? "count" : "sum")));
		fputc('\n', f);
	}
}

char *metrics_render(const json_t *s, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0;
	const char *k;
	json_t *v, *item;
	size_t i;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	family(f, "faultline_runs_total", "counter",
	       "Experiment runs that ended since the agent started, by verdict.");
	json_object_foreach(json_object_get(s, "runs_total"), k, v) {
		fputs("faultline_runs_total{", f);
		put_label(f, "verdict", k, true);
		fputs("} ", f);
		put_value(f, json_number_value(v));
		fputc('\n', f);
	}
	family(f, "faultline_runs_active", "gauge",
	       "Runs that have not ended yet (queued or in progress).");
	fputs("faultline_runs_active ", f);
	put_value(f, json_number_value(json_object_get(s, "runs_active")));
	fputc('\n', f);
	family(f, "faultline_faults_active", "gauge",
	       "Faults applied and not yet reverted, by kind.");
	json_object_foreach(json_object_get(s, "faults_active"), k, v) {
		fputs("faultline_faults_active{", f);
		put_label(f, "kind", k, true);
		fputs("} ", f);
		put_value(f, json_number_value(v));
		fputc('\n', f);
	}
	family(f, "faultline_rollback_duration_seconds", "histogram",
	       "From the start of a run's rollback until every fault it applied is reverted.");
	histogram(f, "faultline_rollback_duration_seconds", json_object_get(s, "rollback"), NULL);
	family(f, "faultline_probe_latency_seconds", "histogram",
	       "Latency of every probe sample, per run still held by the agent and probe.");
	json_array_foreach(json_object_get(s, "probes"), i, item) {
		json_t *labels = json_pack("{s:O, s:O, s:O}", "run", json_object_get(item, "run"),
					   "probe", json_object_get(item, "probe"), "kind",
					   json_object_get(item, "kind"));

		if (labels)
			histogram(f, "faultline_probe_latency_seconds", item, labels);
		json_decref(labels);
	}
	family(f, "faultline_fault_status_value", "gauge",
	       "Numbers in the live status of the faults of unfinished runs (e.g. BPF counters "
	       "of packets matched and dropped), by run, fault, kind and key.");
	json_array_foreach(json_object_get(s, "fault_values"), i, item) {
		fputs("faultline_fault_status_value{", f);
		put_label(f, "run", json_string_value(json_object_get(item, "run")), true);
		put_label(f, "fault", json_string_value(json_object_get(item, "fault")), false);
		put_label(f, "kind", json_string_value(json_object_get(item, "kind")), false);
		put_label(f, "key", json_string_value(json_object_get(item, "key")), false);
		fputs("} ", f);
		put_value(f, json_number_value(json_object_get(item, "value")));
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	if (lenp)
		*lenp = len;
	return buf;
}

/* The summary plus what only this file knows: build, start time, scrapes. */
static char *render_all(struct metrics *m, size_t *lenp)
{
	json_t *s = m->rn ? runner_metrics(m->rn) : json_object();
	char *body = s ? metrics_render(s, NULL) : NULL, *out = NULL;
	size_t len = 0;
	FILE *f;

	json_decref(s);
	if (!body)
		return NULL;
	f = open_memstream(&out, &len);
	if (!f) {
		free(body);
		return NULL;
	}
	family(f, "faultline_build_info", "gauge",
	       "faultlined's version and git commit; always 1.");
	fputs("faultline_build_info{", f);
	put_label(f, "version", FL_VERSION, true);
	put_label(f, "git", FL_GIT_REV, false);
	fputs("} 1\n", f);
	family(f, "faultline_start_time_seconds", "gauge",
	       "When this faultlined started, in seconds since the Unix epoch.");
	fprintf(f, "faultline_start_time_seconds %.3f\n", (double)m->start_real / 1e9);
	family(f, "faultline_metrics_scrapes_total", "counter",
	       "Requests for /metrics answered, this one included.");
	fprintf(f, "faultline_metrics_scrapes_total %llu\n", (unsigned long long)m->scrapes);
	fputs(body, f);
	free(body);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	*lenp = len;
	return out;
}

/* ---- HTTP ---------------------------------------------------------------------------------- */

static void conn_free(struct mconn *c)
{
	struct metrics *m = c->m;

	for (struct mconn **pp = &m->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	m->nconns--;
	loop_io_del(c->io);
	loop_timer_free(c->timer);
	close(c->fd);
	free(c->out);
	free(c);
}

static void respond(struct mconn *c, int code, const char *reason, const char *ctype,
		    const char *body, size_t blen, bool head)
{
	char *out = NULL;
	int n;

	n = asprintf(&out,
		     "HTTP/1.1 %d %s\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %zu\r\n"
		     "Connection: close\r\n"
		     "Cache-Control: no-store\r\n"
		     "%s"
		     "\r\n",
		     code, reason, ctype, blen, code == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (n < 0) {
		c->out = NULL;
		return;
	}
	if (!head && blen) {
		char *nb = realloc(out, (size_t)n + blen);

		if (!nb) {
			free(out);
			return;
		}
		out = nb;
		memcpy(out + n, body, blen);
		n += (int)blen;
	}
	c->out = out;
	c->out_len = (size_t)n;
	c->out_off = 0;
}

static void respond_text(struct mconn *c, int code, const char *reason, const char *msg)
{
	respond(c, code, reason, "text/plain; charset=utf-8", msg, strlen(msg), false);
}

/* A complete request head is in c->in: answer it. */
static void handle_request(struct mconn *c)
{
	char method[16], target[256], version[16];
	bool head;

	c->in[c->in_len < sizeof(c->in) ? c->in_len : sizeof(c->in) - 1] = '\0';
	if (sscanf(c->in, "%15[A-Z] %255[^ \r\n] %15[^\r\n]", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0 || !version[7] || version[8]) {
		respond_text(c, 400, "Bad Request", "bad request\n");
		return;
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head) {
		respond_text(c, 405, "Method Not Allowed", "only GET and HEAD\n");
		return;
	}
	target[strcspn(target, "?")] = '\0';
	if (strcmp(target, "/metrics")) {
		respond_text(c, 404, "Not Found", "faultlined serves /metrics only\n");
		return;
	}
	{
		size_t len = 0;
		char *body;

		c->m->scrapes++;
		body = render_all(c->m, &len);
		if (!body) {
			respond_text(c, 500, "Internal Server Error", "out of memory\n");
			return;
		}
		respond(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body, len, head);
		free(body);
	}
}

static void conn_write(struct mconn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			conn_free(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	/*
	 * One request per connection: done.  Close our side, but read what the client still
	 * sends (the rest of an oversized request) until it closes: closing with unread data
	 * would reset the connection and could destroy the answer before the client reads it.
	 */
	shutdown(c->fd, SHUT_WR);
	c->draining = true;
	if (loop_io_mod(c->io, EPOLLIN | EPOLLRDHUP) < 0 ||
	    loop_timer_arm(c->timer, 2 * NSEC_PER_SEC, 0) < 0)
		conn_free(c);
}

static void conn_drain(struct mconn *c)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		conn_free(c);
		return;
	}
}

static void conn_cb(struct loop_io *io, uint32_t events, void *data)
{
	struct mconn *c = data;

	if (c->draining) {
		conn_drain(c);
		return;
	}
	if (c->out) {
		conn_write(c);
		return;
	}
	for (;;) {
		ssize_t n;

		if (c->in_len >= sizeof(c->in) - 1) {
			respond_text(c, 431, "Request Header Fields Too Large",
				     "request larger than 8192 bytes\n");
			break;
		}
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			conn_free(c);
			return;
		}
		if (n == 0) {
			conn_free(c);
			return;
		}
		c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n")) {
			handle_request(c);
			break;
		}
	}
	if (!c->out) {
		conn_free(c);
		return;
	}
	if (loop_io_mod(c->io, EPOLLOUT) < 0) {
		conn_free(c);
		return;
	}
	conn_write(c);
}

static void conn_timeout(struct loop_timer *t, void *data)
{
	struct mconn *c = data;

	log_debug("metrics: closing a connection idle for %d ms", METRICS_IDLE_TIMEOUT_MS);
	conn_free(c);
}

static void accept_cb(struct loop_io *io, uint32_t events, void *data)
{
	struct metrics *m = data;

	for (;;) {
		int fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct mconn *c;

		if (fd < 0)
			return;
		if (m->nconns >= METRICS_MAX_CONNS) {
			static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
						   "Content-Length: 0\r\nConnection: close\r\n\r\n";

			/* Best effort, never blocking: a new connection's send buffer is empty. */
			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->m = m;
		c->fd = fd;
		c->io = loop_io_add(m->loop, fd, EPOLLIN | EPOLLRDHUP, conn_cb, c);
		c->timer = loop_timer_new(m->loop, conn_timeout, c);
		if (!c->io || !c->timer ||
		    loop_timer_arm(c->timer, METRICS_IDLE_TIMEOUT_MS * NSEC_PER_MSEC, 0) < 0) {
			loop_io_del(c->io);
			loop_timer_free(c->timer);
			close(fd);
			free(c);
			continue;
		}
		c->next = m->conns;
		m->conns = c;
		m->nconns++;
	}
}

int metrics_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	};
	struct addrinfo *res = NULL;
	char host[64];
	const char *port, *colon;
	uint64_t p;
	size_t hl;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		hl = (size_t)(end - s - 1);
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		port = end + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return -EINVAL; /* IPv6 needs brackets */
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
		port = colon + 1;
	}
	host[hl] = '\0';
	if (parse_u64(port, &p) < 0 || p == 0 || p > 65535)
		return -EINVAL;
	if (getaddrinfo(host, port, &hints, &res) != 0 || !res)
		return -EINVAL;
	if (ss) {
		memcpy(ss, res->ai_addr, res->ai_addrlen);
		*len = res->ai_addrlen;
	}
	freeaddrinfo(res);
	return 0;
}

struct metrics *metrics_new(struct loop *l, const char *addr, int *err)
{
	struct sockaddr_storage ss;
	struct metrics *m = NULL;
	socklen_t sl = 0;
	int one = 1, r;

	r = metrics_parse_addr(addr, &ss, &sl);
	if (r < 0)
		goto fail;
	m = calloc(1, sizeof(*m));
	if (!m) {
		r = -ENOMEM;
		goto fail;
	}
	m->loop = l;
	m->fd = -1;
	m->start_real = now_real();
	m->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0) {
		r = -errno;
		goto fail;
	}
	if (ss.ss_family == AF_INET6)
		setsockopt(m->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(m->fd, (struct sockaddr *)&ss, sl) < 0 || listen(m->fd, 64) < 0) {
		r = -errno;
		goto fail;
	}
	m->io = loop_io_add(l, m->fd, EPOLLIN, accept_cb, m);
	if (!m->io) {
		r = -errno;
		goto fail;
	}
	return m;
fail:
	if (err)
		*err = r;
	if (m && m->fd >= 0)
		close(m->fd);
	free(m);
	return NULL;
}

void metrics_set_runner(struct metrics *m, const struct runner *rn)
{
	if (m)
		m->rn = rn;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	while (m->conns)
		conn_free(m->conns);
	loop_io_del(m->io);
	if (m->fd >= 0)
		close(m->fd);
	free(m);
}
