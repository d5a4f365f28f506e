// SPDX-License-Identifier: MIT
/*
 * The http probe against a real server: a forked child serving a few fixed paths on an
 * ephemeral port of 127.0.0.1, driven through the real loop and the shared curl multi handle.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "loop.h"
#include "probe.h"
#include "util.h"
#include "validate.h"

static struct {
	pid_t server;
	int port;	 /* the forked server */
	int mute_fd;	 /* listens, never accepts */
	int mute_port;
	int closed_port; /* nobody listens */
	struct loop *l;
} fx = { .server = -1, .mute_fd = -1 };

/* ---- the server (child process) ----------------------------------------------------------- */

static void reply(int c, const char *status, const char *extra, const char *body, size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n%s\r\n",
			 status, len, extra);

	send(c, head, (size_t)n, MSG_NOSIGNAL);
	while (len) {
		ssize_t k = send(c, body, len, MSG_NOSIGNAL);

		if (k <= 0)
			return;
		body += k;
		len -= (size_t)k;
	}
}

static void handle(int c)
{
	static char big[100 * 1024 + 5];
	char req[16384], path[256] = "";
	const char *cl;
	char *end = NULL;
	size_t n = 0, want;

	while (!end && n < sizeof(req) - 1) {
		ssize_t k = read(c, req + n, sizeof(req) - 1 - n);

		if (k <= 0)
			return;
		n += (size_t)k;
		req[n] = '\0';
		end = strstr(req, "\r\n\r\n");
	}
	if (!end)
		return;
	want = (size_t)(end + 4 - req);
	cl = strcasestr(req, "\r\ncontent-length:");
	if (cl && cl < end)
		want += strtoul(cl + 17, NULL, 10);
	while (n < want && n < sizeof(req) - 1) {
		ssize_t k = read(c, req + n, sizeof(req) - 1 - n);

		if (k <= 0)
			return;
		n += (size_t)k;
		req[n] = '\0';
	}
	sscanf(req, "%*s %255s", path);
	if (!strcmp(path, "/health")) {
		reply(c, "200 OK", "", "ok\n", 3);
	} else if (!strcmp(path, "/slow")) {
		struct timespec ts = { 0, 300 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		reply(c, "200 OK", "", "ok\n", 3);
	} else if (!strcmp(path, "/echo")) {
		reply(c, "200 OK", "", req, n);
	} else if (!strcmp(path, "/big")) {
		/* 100 KiB of 'x', then a marker past the probe's 64 KiB window. */
		memset(big, 'x', sizeof(big) - 5);
		memcpy(big + sizeof(big) - 5, "TAIL", 4);
		reply(c, "200 OK", "", big, sizeof(big) - 1);
	} else if (!strcmp(path, "/redirect")) {
		reply(c, "302 Found", "Location: /health\r\n", "", 0);
	} else {
		reply(c, "404 Not Found", "", "not found\n", 10);
	}
}

static int listen_any(int *port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static int setup(void **state)
{
	int fd = listen_any(&fx.port);

	if (fd < 0)
		return -1;
	fx.server = fork();
	if (fx.server < 0)
		return -1;
	if (fx.server == 0) {
		/* Die with the test even when it crashes before teardown. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		for (;;) {
			int c = accept(fd, NULL, NULL);

			if (c < 0) {
				if (errno == EINTR)
					continue;
				_exit(1);
			}
			handle(c);
			close(c);
		}
	}
	/* The socket listens already (bound before fork): no wait for readiness needed. */
	close(fd);

	fx.mute_fd = listen_any(&fx.mute_port);
	if (fx.mute_fd < 0)
		return -1;
	fd = listen_any(&fx.closed_port);
	if (fd < 0)
		return -1;
	close(fd);

	/* Probes must ignore proxies from the environment. */
	setenv("http_proxy", "http://127.0.0.1:9", 1);
	setenv("HTTP_PROXY", "http://127.0.0.1:9", 1);
	setenv("all_proxy", "http://127.0.0.1:9", 1);

	fx.l = loop_new();
	if (!fx.l)
		return -1;
	return probe_http_global_init(fx.l) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	probe_http_global_fini();
	loop_free(fx.l);
	if (fx.mute_fd >= 0)
		close(fx.mute_fd);
	if (fx.server > 0) {
		kill(fx.server, SIGKILL);
		waitpid(fx.server, NULL, 0);
	}
	return 0;
}

/* ---- helpers -------------------------------------------------------------------------------- */

struct run {
	struct sample s;
	int calls;
	bool guard_fired;
};

static void on_done(struct probe *p, const struct sample *s, void *data)
{
	struct run *r = data;

	assert_false(p->busy);
	r->s = *s;
	r->calls++;
	loop_quit(fx.l);
}

static void on_guard(struct loop_timer *t, void *data)
{
	struct run *r = data;

	r->guard_fired = true;
	loop_quit(fx.l);
}

/* Run the loop until done() or for at most ns. */
static void run_loop(struct run *r, uint64_t ns)
{
	struct loop_timer *t = loop_timer_new(fx.l, on_guard, r);

	assert_non_null(t);
	assert_int_equal(loop_timer_arm(t, ns, 0), 0);
	assert_int_equal(loop_run(fx.l), 0);
	loop_timer_free(t);
}

static int parse_into(struct probe *p, struct vctx *v, const char *fmt, va_list ap)
{
	char text[2048];
	json_error_t je;
	json_t *spec;
	int r;

	vsnprintf(text, sizeof(text), fmt, ap);
	spec = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!spec)
		fail_msg("bad test JSON: %s: %s", je.text, text);
	memset(p, 0, sizeof(*p));
	p->name = (char *)"t";
	p->kind = PROBE_HTTP;
	p->ops = &probe_http_ops;
	p->timeout = 2 * NSEC_PER_SEC;
	p->interval = NSEC_PER_SEC;
	r = p->ops->parse(p, spec, "$.probes[0]", v);
	json_decref(spec);
	return r;
}

/* Parse a spec that must be valid; fmt may use %d for the server's port. */
static void PRINTF(2, 3) make_probe(struct probe *p, const char *fmt, ...)
{
	struct vctx v;
	va_list ap;
	int r;

	vctx_init(&v, "t.json", NULL);
	va_start(ap, fmt);
	r = parse_into(p, &v, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < v.n; i++)
		print_error("unexpected: %s: %s\n", v.errs[i].path, v.errs[i].msg);
	assert_int_equal(v.n, 0);
	assert_int_equal(r, 0);
	vctx_fini(&v);
}

/* Take one sample; done() must come later, from the loop, exactly once. */
static void sample(struct probe *p, struct run *r)
{
	uint64_t t0 = now_mono(), t1;

	memset(r, 0, sizeof(*r));
	assert_int_equal(p->ops->start(p, fx.l, on_done, r), 0);
	t1 = now_mono();
	assert_int_equal(r->calls, 0);
	assert_true(p->busy);
	assert_int_equal(p->ops->start(p, fx.l, on_done, r), -EBUSY);
	run_loop(r, 10 * NSEC_PER_SEC);
	assert_false(r->guard_fired);
	assert_int_equal(r->calls, 1);
	assert_true(r->s.started >= t0 && r->s.started <= t1);
	/* No second call. */
	run_loop(r, 20 * NSEC_PER_MSEC);
	assert_int_equal(r->calls, 1);
	assert_false(p->busy);
}

static void assert_reason(const struct run *r, const char *want)
{
	if (!strstr(r->s.reason, want))
		fail_msg("reason '%s' does not contain '%s'", r->s.reason, want);
}

/* ---- sampling ------------------------------------------------------------------------------ */

static void test_registry(void **state)
{
	enum probe_kind k = _PROBE_KIND_MAX;

	assert_ptr_equal(probe_ops_find("http", &k), &probe_http_ops);
	assert_int_equal(k, PROBE_HTTP);
	assert_ptr_equal(probe_ops_table[PROBE_HTTP], &probe_http_ops);
	assert_null(probe_ops_find("gopher", &k));
	assert_null(probe_ops_find(NULL, NULL));
	assert_string_equal(probe_http_ops.keys[0], "url");
}

static void test_ok(void **state)
{
	struct probe p;
	struct run r;

	make_probe(&p,
		   "{\"url\":\"http://127.0.0.1:%d/health\",\"method\":\"GET\","
		   "\"headers\":{\"Accept\":\"text/plain\"},"
		   "\"expect\":{\"status\":[200],\"body_contains\":\"ok\",\"max_latency\":\"5s\"}}",
		   fx.port);
	sample(&p, &r);
	assert_true(r.s.ok);
	assert_int_equal(r.s.status, 200);
	assert_string_equal(r.s.reason, "");
	assert_true(r.s.latency > 0 && r.s.latency < 5 * NSEC_PER_SEC);
	/* The same probe samples again. */
	sample(&p, &r);
	assert_true(r.s.ok);
	p.ops->free(&p);
	assert_null(p.priv);
}

static void test_404(void **state)
{
	struct probe p;
	struct run r;

	make_probe(&p, "{\"url\":\"http://127.0.0.1:%d/missing\"}", fx.port);
	sample(&p, &r);
	assert_false(r.s.ok);
	assert_int_equal(r.s.status, 404);
	assert_reason(&r, "status 404");
	p.ops->free(&p);

	make_probe(&p,
		   "{\"url\":\"http://127.0.0.1:%d/missing\","
		   "\"expect\":{\"status\":[200,204]}}",
		   fx.port);
	sample(&p, &r);
	assert_false(r.s.ok);
	assert_string_equal(r.s.reason, "status 404 not in [200, 204]");
	p.ops->free(&p);

	/* A 404 that is expected is a success. */
	make_probe(&p, "{\"url\":\"http://127.0.0.1:%d/missing\",\"expect\":{\"status\":[404]}}",
		   fx.port);
	sample(&p, &r);
	assert_true(r.s.ok);
	p.ops->free(&p);
}

static void test_no_redirects(void **state)
{
	struct probe p;
	struct run r;

	make_probe(&p, "{\"url\":\"http://127.0.0.1:%d/redirect\",\"expect\":{\"status\":[200]}}",
		   fx.port);
	sample(&p, &r);
	assert_false(r.s.ok);
	assert_int_equal(r.s.status, 302);
	assert_string_equal(r.s.reason, "status 302 not in [200]");
	p.ops->free(&p);
}

static void test_body_mismatch(void **state)
{
	struct probe p;
	struct run r;

	make_probe(&p,
		   "{\"url\":\"http://127.0.0.1:%d/health\","
		   "\"expect\":{\"body_contains\":\"nope\"}}",
		   fx.port);
	sample(&p, &r);
	assert_false(r.s.ok);
	assert_int_equal(r.s.status, 200);
	assert_string_equal(r.s.reason, "body does not contain 'nope'");
	p.ops->free(&p);
}

static void test_body_cap(void **state)
{
	struct probe p;
	struct run r;

	/* Only the first 64 KiB are searched; the rest is read and dropped. */
	make_probe(&p,
		   "{\"url\":\"http://127.0.0.1:%d/big\","
		   "\"expect\":{\"body_contains\":\"TAIL\"}}",
		   fx.port);
	sample(&p, &r);
	assert_false(r.s.ok);
	assert_int_equal(r.s.status, 200);
	assert_reason(&r, "does not contain 'TAIL'");
	p.ops->free(&p);

	make_probe(&p,
		   "{\"url\":\"http://127.0.0.1:%d/big\","
		   "\"expect\":{\"body_contains\":\"xxxx\"}}",
		   fx.port);
	sample(&p, &r);
	assert_true(r.s.ok);
	p.ops->free(&p);
}

static void test_request_shape(void **state)
{
	struct probe p;
	struct run r;

	/* /echo answers with the raw request: method, headers and body arrived as configured. */
	make_probe(&p,
		   "{\"url\":\"http://127.0.0.1:%d/echo\",\"method\":\"put\","
		   "\"headers\":{\"X-Probe\":\"yes\"},\"body\":\"hello-body\","
		   "\"expect\":{\"body_contains\":\"PUT /echo HTTP/1.1\"}}",
		   fx.port);
	sample(&p, &r);
	assert_true(r.s.ok);
	p.ops->free(&p);

	make_probe(&p,
		   "{\"url\":\"http://127.0.0.1:%d/echo\",\"method\":\"POST\","
		   "\"headers\":{\"X-Probe\":\"yes\"},\"body\":\"hello-body\","
		   "\"expect\":{\"body_contains\":\"X-Probe: yes\"}}",
		   fx.port);
	sample(&p, &r);
	assert_true(r.s.ok);
	p.ops->free(&p);

	make_probe(&p,
		   "{\"url\":\"http://127.0.0.1:%d/echo\","
		   "\"method\":\"POST\",\"body\":\"hello-body\","
		   "\"expect\":{\"body_contains\":\"\\r\\n\\r\\nhello-body\"}}",
		   fx.port);
	sample(&p, &r);
	assert_true(r.s.ok);
	p.ops->free(&p);

	make_probe(&p, "{\"url\":\"http://127.0.0.1:%d/health\",\"method\":\"HEAD\"}", fx.port);
	sample(&p, &r);
	assert_true(r.s.ok);
	assert_int_equal(r.s.status, 200);
	p.ops->free(&p);
}

static void test_max_latency(void **state)
{
	struct probe p;
	struct run r;

	/* /slow answers after 300ms: a 100ms budget cannot be met. */
	make_probe(&p,
		   "{\"url\":\"http://127.0.0.1:%d/slow\","
		   "\"expect\":{\"max_latency\":\"100ms\"}}",
		   fx.port);
	sample(&p, &r);
	assert_false(r.s.ok);
	assert_int_equal(r.s.status, 200);
	assert_true(r.s.latency >= 250 * NSEC_PER_MSEC);
	assert_reason(&r, "latency ");
	assert_reason(&r, " above 100ms");
	p.ops->free(&p);
}

static void test_refused(void **state)
{
	struct probe p;
	struct run r;

	make_probe(&p, "{\"url\":\"http://127.0.0.1:%d/health\"}", fx.closed_port);
	sample(&p, &r);
	assert_false(r.s.ok);
	assert_int_equal(r.s.status, 0);
	assert_string_equal(r.s.reason, "connection refused");
	p.ops->free(&p);
}

static void test_timeout(void **state)
{
	struct probe p;
	struct run r;

	/* The kernel completes the handshake from the backlog; nobody ever answers. */
	make_probe(&p, "{\"url\":\"http://127.0.0.1:%d/health\"}", fx.mute_port);
	p.timeout = 200 * NSEC_PER_MSEC;
	sample(&p, &r);
	assert_false(r.s.ok);
	assert_int_equal(r.s.status, 0);
	assert_string_equal(r.s.reason, "timeout after 200ms");
	assert_true(r.s.latency >= 190 * NSEC_PER_MSEC && r.s.latency < 2 * NSEC_PER_SEC);
	p.ops->free(&p);
}

struct cancel_ctx {
	struct probe *p;
	struct run *r;
	uint64_t restarted;
	int start_rc;
};

static void on_cancel_timer(struct loop_timer *t, void *data)
{
	struct cancel_ctx *c = data;

	assert_true(c->p->busy);
	c->p->ops->cancel(c->p);
	assert_false(c->p->busy);
	c->p->ops->cancel(c->p); /* idempotent */
	c->restarted = now_mono();
	c->start_rc = c->p->ops->start(c->p, fx.l, on_done, c->r);
}

static void test_cancel(void **state)
{
	struct cancel_ctx c = { .start_rc = -1 };
	struct loop_timer *t;
	struct probe p;
	struct run r = { 0 };

	make_probe(&p, "{\"url\":\"http://127.0.0.1:%d/slow\"}", fx.port);
	c.p = &p;
	c.r = &r;
	assert_int_equal(p.ops->start(&p, fx.l, on_done, &r), 0);
	t = loop_timer_new(fx.l, on_cancel_timer, &c);
	assert_non_null(t);
	assert_int_equal(loop_timer_arm(t, 50 * NSEC_PER_MSEC, 0), 0);
	run_loop(&r, 10 * NSEC_PER_SEC);
	loop_timer_free(t);
	assert_int_equal(c.start_rc, 0);
	assert_false(r.guard_fired);
	/* Only the second request reported. */
	assert_int_equal(r.calls, 1);
	assert_true(r.s.started >= c.restarted);
	assert_true(r.s.ok);
	assert_int_equal(r.s.status, 200);
	run_loop(&r, 20 * NSEC_PER_MSEC);
	assert_int_equal(r.calls, 1);

	/* free() of a probe in flight abandons it silently. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(p.ops->start(&p, fx.l, on_done, &r), 0);
	p.ops->free(&p);
	run_loop(&r, 100 * NSEC_PER_MSEC);
	assert_int_equal(r.calls, 0);

	/* The shared handle still works. */
	make_probe(&p, "{\"url\":\"http://127.0.0.1:%d/health\"}", fx.port);
	sample(&p, &r);
	assert_true(r.s.ok);
	p.ops->free(&p);
}

static void on_done_many(struct probe *p, const struct sample *s, void *data)
{
	int *left = data;

	assert_true(s->ok);
	if (--*left == 0)
		loop_quit(fx.l);
}

static void test_concurrent(void **state)
{
	struct probe p[4];
	struct run guard = { 0 };
	int left = 4;

	for (int i = 0; i < 4; i++) {
		make_probe(&p[i], "{\"url\":\"http://127.0.0.1:%d/health\"}", fx.port);
		assert_int_equal(p[i].ops->start(&p[i], fx.l, on_done_many, &left), 0);
	}
	run_loop(&guard, 10 * NSEC_PER_SEC);
	assert_false(guard.guard_fired);
	assert_int_equal(left, 0);
	for (int i = 0; i < 4; i++)
		p[i].ops->free(&p[i]);
}

/* ---- validation ---------------------------------------------------------------------------- */

/* Parse a spec that must be invalid; returns the number of errors, kept in v. */
static size_t PRINTF(2, 3) bad_probe(struct vctx *v, const char *fmt, ...)
{
	struct probe p;
	va_list ap;
	int r;

	vctx_init(v, "t.json", NULL);
	va_start(ap, fmt);
	r = parse_into(&p, v, fmt, ap);
	va_end(ap);
	assert_int_equal(r, -EINVAL);
	p.ops->free(&p);
	assert_null(p.priv);
	return v->n;
}

/* An error whose path is path and whose message contains msg. */
static void assert_err(const struct vctx *v, const char *path, const char *msg)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->errs[i].path, path) && strstr(v->errs[i].msg, msg))
			return;
	for (size_t i = 0; i < v->n; i++)
		print_error("  have: %s: %s\n", v->errs[i].path, v->errs[i].msg);
	fail_msg("no error at '%s' containing '%s'", path, msg);
}

static void test_parse_scheme(void **state)
{
	struct vctx v;

	assert_int_equal(bad_probe(&v, "{\"url\":\"ftp://127.0.0.1/x\"}"), 1);
	assert_err(&v, "$.probes[0].url", "unsupported scheme 'ftp'");
	assert_int_equal(v.errs[0].line, 0);
	vctx_fini(&v);

	assert_int_equal(bad_probe(&v, "{\"url\":\"127.0.0.1:80/x\"}"), 1);
	assert_err(&v, "$.probes[0].url", "not an absolute URL");
	vctx_fini(&v);

	assert_int_equal(bad_probe(&v, "{\"url\":\"http://\"}"), 1);
	assert_err(&v, "$.probes[0].url", "URL");
	vctx_fini(&v);

	/* url is required. */
	assert_int_equal(bad_probe(&v, "{\"method\":\"GET\"}"), 1);
	vctx_fini(&v);
}

static void test_parse_method(void **state)
{
	struct vctx v;

	assert_int_equal(bad_probe(&v, "{\"url\":\"http://h/\",\"method\":\"FETCH\"}"), 1);
	assert_err(&v, "$.probes[0].method", "unknown method 'FETCH'");
	vctx_fini(&v);

	assert_int_equal(bad_probe(&v, "{\"url\":\"http://h/\","
				       "\"method\":\"HEAD\",\"body\":\"x\"}"),
			 1);
	assert_err(&v, "$.probes[0].body", "HEAD");
	vctx_fini(&v);
}

static void test_parse_expect(void **state)
{
	struct vctx v;
	bool found = false;

	assert_int_equal(bad_probe(&v, "{\"url\":\"http://h/\",\"expect\":{\"stauts\":[200]}}"), 1);
	for (size_t i = 0; i < v.n; i++)
		if (!strncmp(v.errs[i].path, "$.probes[0].expect", 18) &&
		    (strstr(v.errs[i].path, "stauts") || strstr(v.errs[i].msg, "stauts")))
			found = true;
	assert_true(found);
	vctx_fini(&v);

	assert_int_equal(bad_probe(&v, "{\"url\":\"http://h/\",\"expect\":{\"status\":[200,700]}}"),
			 1);
	assert_err(&v, "$.probes[0].expect.status[1]", "100 to 599");
	vctx_fini(&v);

	assert_int_equal(bad_probe(&v, "{\"url\":\"http://h/\",\"expect\":{\"status\":[]}}"), 1);
	assert_err(&v, "$.probes[0].expect.status", "non-empty");
	vctx_fini(&v);

	assert_int_equal(bad_probe(&v, "{\"url\":\"http://h/\",\"expect\":{\"status\":[\"200\"]}}"),
			 1);
	assert_err(&v, "$.probes[0].expect.status[0]", "integer");
	vctx_fini(&v);

	assert_int_equal(bad_probe(&v, "{\"url\":\"http://h/\","
				       "\"expect\":{\"max_latency\":\"fast\"}}"),
			 1);
	vctx_fini(&v);

	assert_int_equal(bad_probe(&v, "{\"url\":\"http://h/\",\"expect\":[200]}"), 1);
	vctx_fini(&v);
}

static void test_parse_headers(void **state)
{
	struct vctx v;

	assert_int_equal(bad_probe(&v, "{\"url\":\"http://h/\","
				       "\"headers\":{\"X-A\":\"a\\r\\nX-B: b\"}}"),
			 1);
	assert_err(&v, "$.probes[0].headers.X-A", "CR or LF");
	vctx_fini(&v);

	assert_int_equal(bad_probe(&v, "{\"url\":\"http://h/\",\"headers\":{\"X A\":\"a\"}}"), 1);
	vctx_fini(&v);

	assert_int_equal(bad_probe(&v, "{\"url\":\"http://h/\",\"headers\":{\"X-A\":1}}"), 1);
	vctx_fini(&v);

	assert_int_equal(bad_probe(&v, "{\"url\":\"http://h/\",\"headers\":[\"X-A\"]}"), 1);
	assert_err(&v, "$.probes[0].headers", "object");
	vctx_fini(&v);
}

static void test_parse_all_errors(void **state)
{
	struct vctx v;

	/* Every problem is reported, not only the first. */
	assert_int_equal(bad_probe(&v, "{\"url\":\"gopher://h/\",\"method\":\"BREW\","
				       "\"headers\":{\"X-A\":\"\\n\"},"
				       "\"expect\":{\"status\":[99],\"bogus\":1}}"),
			 5);
	assert_err(&v, "$.probes[0].url", "scheme");
	assert_err(&v, "$.probes[0].method", "BREW");
	assert_err(&v, "$.probes[0].headers.X-A", "CR or LF");
	assert_err(&v, "$.probes[0].expect.status[0]", "599");
	vctx_fini(&v);
}

static void test_parse_ok(void **state)
{
	struct probe p;

	make_probe(&p, "{\"url\":\"https://example.com:8443/a?b=c\",\"method\":\"options\","
		       "\"headers\":{\"X-Empty\":\"\"},\"body\":\"\",\"expect\":{}}");
	p.ops->free(&p);
	p.ops->free(&p); /* priv is gone: a no-op */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_404),
		cmocka_unit_test(test_no_redirects),
		cmocka_unit_test(test_body_mismatch),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_request_shape),
		cmocka_unit_test(test_max_latency),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_parse_scheme),
		cmocka_unit_test(test_parse_method),
		cmocka_unit_test(test_parse_expect),
		cmocka_unit_test(test_parse_headers),
		cmocka_unit_test(test_parse_all_errors),
		cmocka_unit_test(test_parse_ok),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
