// SPDX-License-Identifier: MIT
/*
 * The "http" probe: one request per sample, all of them through the agent's single libcurl
 * multi handle, driven by the loop with the multi socket API (curl tells us which fds and
 * which timeout to watch; the loop tells curl what happened).  No threads of ours, no blocking
 * calls.  CURLcode and CURLMcode never leave this file.
 *
 * libcurl is not linked but loaded (curl_api.h) by the first probe that needs it: parse()
 * validates the URL with curl's own parser, so an agent whose experiments have no http or
 * prometheus probe never maps it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <curl/curl.h>

#include "curl_api.h"
#include "log.h"
#include "loop.h"
#include "probe.h"
#include "units.h"
#include "http.h"
#include "util.h"

#ifndef FL_VERSION
#define FL_VERSION "dev"
#endif

#define HTTP_BODY_MAX (64 * 1024)	     /* bytes of a response kept for body_contains */
#define HTTP_STATUS_MAX 32		     /* entries in expect.status */
#define HTTP_DEFAULT_TIMEOUT (10 * NSEC_PER_SEC) /* when the caller set none */
#define HTTP_MAX_LATENCY_MAX (3600 * NSEC_PER_SEC)

struct http_priv {
	struct probe *p;

	/* From parse(). */
	char *url;
	char *host;
	const char *method; /* one of methods[] */
	char *body;	    /* NULL: no request body */
	char **hdr_lines;   /* "Name: value", made into headers by the first start() */
	size_t nhdr_lines;
	int *status; /* NULL: any 2xx or 3xx */
	size_t nstatus;
	char *body_contains;
	uint64_t max_latency; /* 0: no limit */

	/* Set by kinds built on this one (prometheus): they judge the response themselves. */
	struct http_ext ext;

	/* The sample in flight. */
	CURL *easy; /* made at the first start(), reused afterwards */
	struct curl_slist *headers;
	bool inflight;
	probe_done_cb done;
	void *data;
	uint64_t started;
	char *resp; /* the first HTTP_BODY_MAX bytes, only when body_contains is set */
	size_t resp_len;
	char errbuf[CURL_ERROR_SIZE];
	struct http_priv *prev, *next; /* g.inflight */
};

/* One socket curl asked us to watch; attached to it with curl_multi_assign(). */
struct csock {
	struct loop_io *io;
	uint32_t events;
	struct csock *prev, *next; /* g.socks */
};

static struct {
	struct loop *loop; /* from probe_http_global_init() */
	CURLM *multi;	   /* made, with timer, when the first sample starts */
	struct loop_timer *timer;
	struct http_priv *inflight;
	struct csock *socks;
} g;

static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS" };

static const char *const http_keys[] = { "url", "method", "headers", "body", "expect", NULL };
static const char *const expect_keys[] = { "status", "body_contains", "max_latency", NULL };

static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return 0;
	case CURLE_OUT_OF_MEMORY:
		return ENOMEM;
	case CURLE_UNKNOWN_OPTION:
	case CURLE_NOT_BUILT_IN:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return EOPNOTSUPP;
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_URL_MALFORMAT:
		return EINVAL;
	default:
		return EIO;
	}
}

static int curlm_errno(CURLMcode mc)
{
	switch (mc) {
	case CURLM_OK:
		return 0;
	case CURLM_OUT_OF_MEMORY:
		return ENOMEM;
	case CURLM_ADDED_ALREADY:
		return EBUSY;
	case CURLM_BAD_HANDLE:
	case CURLM_BAD_EASY_HANDLE:
		return EINVAL;
	default:
		return EIO;
	}
}

/* Library messages start with a capital ("Connection refused"); ours do not. */
static void decap(char *s)
{
	if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
		s[0] = (char)(s[0] - 'A' + 'a');
}

/* ---- the multi handle, driven by the loop ---------------------------------------------- */

static void complete(struct http_priv *hp, CURLcode rc);

/* Hand every finished transfer to its probe.  done() may start, cancel or free probes. */
static void drain(void)
{
	for (;;) {
		struct http_priv *hp = NULL;
		int left;
		CURLMsg *m = lcurl->multi_info_read(g.multi, &left);
		CURLcode rc;

		if (!m)
			break;
		if (m->msg != CURLMSG_DONE)
			continue;
		/* m dies with curl_multi_remove_handle(): copy what we need first. */
		rc = m->data.result;
		lcurl->easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&hp);
		if (hp && hp->inflight)
			complete(hp, rc);
	}
}

static void on_io(struct loop_io *io, uint32_t events, void *data)
{
	struct csock *cs = data;
	int bits = 0, running;

	/*
	 * epoll reports errors and hangups whatever we asked for; like libuv, turn them into the
	 * direction curl waits on so it reads the EOF or the socket error itself.
	 */
	if (events & (EPOLLERR | EPOLLHUP))
		events |= cs->events;
	if (events & EPOLLIN)
		bits |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		bits |= CURL_CSELECT_OUT;
	if (events & EPOLLERR)
		bits |= CURL_CSELECT_ERR;
	/* cs may be freed by the action (CURL_POLL_REMOVE): not touched below. */
	lcurl->multi_socket_action(g.multi, loop_io_fd(io), bits, &running);
	drain();
}

static void on_timer(struct loop_timer *t, void *data)
{
	int running;

	lcurl->multi_socket_action(g.multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain();
}

static void csock_free(struct csock *cs)
{
	loop_io_del(cs->io);
	if (cs->prev)
		cs->prev->next = cs->next;
	else
		g.socks = cs->next;
	if (cs->next)
		cs->next->prev = cs->prev;
	free(cs);
}

/* CURLMOPT_SOCKETFUNCTION: start, change or stop watching s. */
static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct csock *cs = socketp;
	uint32_t events = 0;

	if (what == CURL_POLL_REMOVE) {
		/* curl closes s right after this; its hash entry (and socketp) go with it. */
		if (cs)
			csock_free(cs);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	if (cs) {
		if (events != cs->events && loop_io_mod(cs->io, events) < 0)
			return -1;
		cs->events = events;
		return 0;
	}
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		return -1;
	cs->events = events;
	cs->io = loop_io_add(g.loop, s, events, on_io, cs);
	if (!cs->io) {
		free(cs);
		return -1;
	}
	cs->next = g.socks;
	if (g.socks)
		g.socks->prev = cs;
	g.socks = cs;
	lcurl->multi_assign(g.multi, s, cs);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: curl wants socket_action(CURL_SOCKET_TIMEOUT) after timeout_ms. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	int r;

	if (!g.timer)
		return 0;
	if (timeout_ms < 0)
		r = loop_timer_disarm(g.timer);
	else
		r = loop_timer_arm(g.timer, (uint64_t)timeout_ms * NSEC_PER_MSEC, 0);
	return r < 0 ? -1 : 0;
}

static void multi_close(void)
{
	if (g.multi)
		lcurl->multi_cleanup(g.multi);
	g.multi = NULL;
	while (g.socks)
		csock_free(g.socks);
	loop_timer_free(g.timer);
	g.timer = NULL;
}

/* The multi handle, on first need: an agent without http probes neither loads nor sets up curl. */
static int multi_open(void)
{
	char err[256];
	int r;

	if (g.multi)
		return 0;
	/* parse() loaded libcurl already, unless curl_api_fini() ran since. */
	r = curl_api_load(err, sizeof(err));
	if (r < 0) {
		log_debug("%s", err);
		goto out;
	}
	g.timer = loop_timer_new(g.loop, on_timer, NULL);
	if (!g.timer) {
		r = errno ? -errno : -ENOMEM;
		goto out;
	}
	g.multi = lcurl->multi_init();
	if (!g.multi) {
		r = -ENOMEM;
		goto out;
	}
	if (lcurl->multi_setopt(g.multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
	    lcurl->multi_setopt(g.multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK) {
		r = -EOPNOTSUPP;
		goto out;
	}
	r = 0;
out:
	if (r < 0)
		multi_close();
	return r;
}

int probe_http_global_init(struct loop *l)
{
	if (!l)
		return -EINVAL;
	if (g.loop)
		return g.loop == l ? 0 : -EBUSY;
	g.loop = l;
	return 0;
}

static void detach(struct http_priv *hp);

void probe_http_global_fini(void)
{
	/* Requests still in flight are abandoned: their done() is never called. */
	while (g.inflight)
		detach(g.inflight);
	multi_close();
	g.loop = NULL;
}

/* ---- one sample ------------------------------------------------------------------------ */

static void detach(struct http_priv *hp)
{
	if (g.multi)
		lcurl->multi_remove_handle(g.multi, hp->easy);
	if (hp->prev)
		hp->prev->next = hp->next;
	else
		g.inflight = hp->next;
	if (hp->next)
		hp->next->prev = hp->prev;
	hp->prev = hp->next = NULL;
	hp->inflight = false;
	hp->p->busy = false;
	hp->done = NULL;
	hp->data = NULL;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_priv *hp = userdata;
	size_t n = size * nmemb, room;

	/* Keep the head for body_contains; the rest is read (latency counts it) and dropped. */
	if (hp->resp) {
		room = HTTP_BODY_MAX - hp->resp_len;
		if (n < room)
			room = n;
		memcpy(hp->resp + hp->resp_len, ptr, room);
		hp->resp_len += room;
	}
	return size * nmemb;
}

/* A duration for people: whole ms from 10ms up (rounded up, so never "300ms above 300ms"). */
static void fmt_latency(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 10 * NSEC_PER_MSEC)
		ns = (ns + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC * NSEC_PER_MSEC;
	else if (ns >= NSEC_PER_USEC)
		ns = (ns + NSEC_PER_USEC - 1) / NSEC_PER_USEC * NSEC_PER_USEC;
	fmt_duration(ns, buf, len);
}

static void transport_reason(struct http_priv *hp, CURLcode rc, char *buf, size_t len)
{
	char tmp[CURL_ERROR_SIZE + 32];
	long oserr = 0;

	lcurl->easy_getinfo(hp->easy, CURLINFO_OS_ERRNO, &oserr);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		fmt_duration(hp->p->timeout ? hp->p->timeout : HTTP_DEFAULT_TIMEOUT, tmp,
			     sizeof(tmp));
		snprintf(buf, len, "timeout after %s", tmp);
		return;
	case CURLE_COULDNT_CONNECT:
		if (oserr == ECONNREFUSED) {
			snprintf(buf, len, "connection refused");
		} else if (oserr) {
			snprintf(tmp, sizeof(tmp), "%s", strerror((int)oserr));
			decap(tmp);
			snprintf(buf, len, "cannot connect: %s", tmp);
		} else {
			snprintf(buf, len, "cannot connect");
		}
		return;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(buf, len, "cannot resolve host '%s'", hp->host ? hp->host : "");
		return;
	case CURLE_GOT_NOTHING:
		snprintf(buf, len, "empty reply from server");
		return;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		if (oserr) {
			snprintf(tmp, sizeof(tmp), "%s", strerror((int)oserr));
			decap(tmp);
			snprintf(buf, len, "connection error: %s", tmp);
			return;
		}
		break;
	default:
		break;
	}
	snprintf(tmp, sizeof(tmp), "%s", hp->errbuf[0] ? hp->errbuf : lcurl->easy_strerror(rc));
	decap(tmp);
	snprintf(buf, len, "%s", tmp);
}

static bool status_ok(const struct http_priv *hp, int status)
{
	if (!hp->status)
		return status >= 200 && status < 400;
	for (size_t i = 0; i < hp->nstatus; i++)
		if (hp->status[i] == status)
			return true;
	return false;
}

/* The transfer worked; does the answer meet expect?  The first unmet condition is the reason. */
static void judge(const struct http_priv *hp, struct sample *s)
{
	char a[32], b[32];

	if (!status_ok(hp, s->status)) {
		char list[96];
		size_t off = 0;

		if (!hp->status) {
			snprintf(s->reason, sizeof(s->reason), "status %d not 2xx or 3xx",
				 s->status);
			return;
		}
		list[0] = '\0';
		for (size_t i = 0; i < hp->nstatus && off + 8 < sizeof(list); i++)
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%d",
						i ? ", " : "", hp->status[i]);
		snprintf(s->reason, sizeof(s->reason), "status %d not in [%s]", s->status, list);
		return;
	}
	if (hp->body_contains &&
	    !memmem(hp->resp, hp->resp_len, hp->body_contains, strlen(hp->body_contains))) {
		snprintf(s->reason, sizeof(s->reason), "body does not contain '%.100s'",
			 hp->body_contains);
		return;
	}
	if (hp->max_latency && s->latency > hp->max_latency) {
		fmt_latency(s->latency, a, sizeof(a));
		fmt_duration(hp->max_latency, b, sizeof(b));
		snprintf(s->reason, sizeof(s->reason), "latency %s above %s", a, b);
		return;
	}
}

static void complete(struct http_priv *hp, CURLcode rc)
{
	struct probe *p = hp->p;
	probe_done_cb done = hp->done;
	void *data = hp->data;
	struct sample s = { .started = hp->started };
	curl_off_t us = 0;
	long code = 0;

	lcurl->easy_getinfo(hp->easy, CURLINFO_RESPONSE_CODE, &code);
	lcurl->easy_getinfo(hp->easy, CURLINFO_TOTAL_TIME_T, &us);
	s.status = (int)code;
	s.latency = us > 0 ? (uint64_t)us * NSEC_PER_USEC : 0;
	if (rc != CURLE_OK)
		transport_reason(hp, rc, s.reason, sizeof(s.reason));
	else if (hp->ext.judge)
		hp->ext.judge(hp->resp, hp->resp_len, s.status, &s, hp->ext.arg);
	else
		judge(hp, &s);
	s.ok = s.reason[0] == '\0';
	detach(hp);
	/* Last: done() may free p (and hp with it) or start the next sample. */
	done(p, &s, data);
}

static int setup_easy(struct http_priv *hp)
{
	CURL *e = lcurl->easy_init();
	struct curl_slist *list = NULL, *l;
	CURLcode rc = CURLE_OK;
	bool post;
	int r;

	if (!e) {
		r = -ENOMEM;
		goto out;
	}
	/* Kept as long as the easy handle, which points at it (and across a failed setup). */
	if (!hp->headers) {
		for (size_t i = 0; i < hp->nhdr_lines; i++) {
			l = lcurl->slist_append(list, hp->hdr_lines[i]);
			if (!l) {
				r = -ENOMEM;
				goto out;
			}
			list = l;
		}
		hp->headers = list;
		list = NULL;
	}
	if ((hp->body_contains || hp->ext.judge) && !hp->resp) {
		hp->resp = malloc(HTTP_BODY_MAX);
		if (!hp->resp) {
			r = -ENOMEM;
			goto out;
		}
	}
#define SET(opt, val)                                         \
	do {                                                  \
		if (rc == CURLE_OK)                           \
			rc = lcurl->easy_setopt(e, opt, val); \
	} while (0)
	SET(CURLOPT_URL, hp->url);
	SET(CURLOPT_PRIVATE, hp);
	SET(CURLOPT_NOSIGNAL, 1L);
	/* Probes hit the target directly, whatever *_proxy the environment holds. */
	SET(CURLOPT_NOPROXY, "*");
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* Every sample measures a whole request, connection set-up included. */
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_USERAGENT, "faultline/" FL_VERSION);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, hp);
	SET(CURLOPT_ERRORBUFFER, hp->errbuf);
	if (hp->headers)
		SET(CURLOPT_HTTPHEADER, hp->headers);
	post = hp->body || !strcmp(hp->method, "POST") || !strcmp(hp->method, "PUT") ||
	       !strcmp(hp->method, "PATCH");
	if (!strcmp(hp->method, "HEAD")) {
		SET(CURLOPT_NOBODY, 1L);
	} else {
		if (post) {
			SET(CURLOPT_POSTFIELDSIZE, (long)(hp->body ? strlen(hp->body) : 0));
			SET(CURLOPT_POSTFIELDS, hp->body ? hp->body : "");
		}
		if (strcmp(hp->method, "POST") && (post || strcmp(hp->method, "GET")))
			SET(CURLOPT_CUSTOMREQUEST, hp->method);
	}
#undef SET
	if (rc != CURLE_OK) {
		r = -curl_errno(rc);
		goto out;
	}
	hp->easy = e;
	e = NULL;
	r = 0;
out:
	lcurl->slist_free_all(list);
	lcurl->easy_cleanup(e);
	return r;
}

int probe_http_start(struct probe *p, struct loop *l, probe_done_cb done, void *data)
{
	struct http_priv *hp = p ? p->priv : NULL;
	uint64_t timeout;
	CURLcode rc;
	CURLMcode mc;
	int r;

	if (!hp || !done || !g.loop || l != g.loop)
		return -EINVAL;
	if (hp->inflight)
		return -EBUSY;
	r = multi_open();
	if (r < 0)
		goto out;
	if (!hp->easy) {
		r = setup_easy(hp);
		if (r < 0)
			goto out;
	}
	/* Set here, not at parse: the caller fills p->timeout around parse(). */
	timeout = p->timeout ? p->timeout : HTTP_DEFAULT_TIMEOUT;
	rc = lcurl->easy_setopt(hp->easy, CURLOPT_TIMEOUT_MS,
				(long)((timeout + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC));
	if (rc != CURLE_OK) {
		r = -curl_errno(rc);
		goto out;
	}
	hp->resp_len = 0;
	hp->errbuf[0] = '\0';
	hp->started = now_mono();
	/* Only arms curl's timer through on_curl_timer(); the work happens in the loop. */
	mc = lcurl->multi_add_handle(g.multi, hp->easy);
	if (mc != CURLM_OK) {
		r = -curlm_errno(mc);
		goto out;
	}
	hp->done = done;
	hp->data = data;
	hp->inflight = true;
	hp->prev = NULL;
	hp->next = g.inflight;
	if (g.inflight)
		g.inflight->prev = hp;
	g.inflight = hp;
	p->busy = true;
	r = 0;
out:
	return r;
}

void probe_http_cancel(struct probe *p)
{
	struct http_priv *hp = p ? p->priv : NULL;

	if (hp && hp->inflight)
		detach(hp);
}

void probe_http_free(struct probe *p)
{
	struct http_priv *hp = p ? p->priv : NULL;

	if (!hp)
		return;
	probe_http_cancel(p);
	/* Both exist only once libcurl is loaded; lcurl is NULL again after curl_api_fini(). */
	if (lcurl) {
		lcurl->easy_cleanup(hp->easy);
		lcurl->slist_free_all(hp->headers);
	}
	for (size_t i = 0; i < hp->nhdr_lines; i++)
		free(hp->hdr_lines[i]);
	free(hp->hdr_lines);
	if (hp->ext.free)
		hp->ext.free(hp->ext.arg);
	free(hp->url);
	free(hp->host);
	free(hp->body);
	free(hp->status);
	free(hp->body_contains);
	free(hp->resp);
	free(hp);
	p->priv = NULL;
}

/* ---- parse ----------------------------------------------------------------------------- */

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == ' ')
			return true;
	return false;
}

static int parse_url(struct http_priv *hp, struct vctx *v, const char *path, const char *url)
{
	const char *sep = strstr(url, "://");
	CURLU *u = NULL;
	CURLUcode uc;
	char *host = NULL;
	char msg[256];
	size_t slen = sep ? (size_t)(sep - url) : 0;
	bool https = slen == 5 && !strncasecmp(url, "https", 5);
	int r = 0; /* problems with the URL are recorded in v, not returned */

	if (!sep || !slen) {
		verr(v, path, "'%.200s' is not an absolute URL: expected http://host[:port]/path",
		     url);
		goto out;
	}
	if (!https && !(slen == 4 && !strncasecmp(url, "http", 4))) {
		verr(v, path, "unsupported scheme '%.*s': only http:// and https:// are allowed",
		     (int)(slen < 32 ? slen : 32), url);
		goto out;
	}
	if (has_ctl(url)) {
		verr(v, path, "URL must not contain spaces or control characters");
		goto out;
	}
	/* curl's own parser judges the URL: the first http or prometheus probe loads libcurl. */
	r = curl_api_load(msg, sizeof(msg));
	if (r == -ENOMEM)
		goto out;
	if (r < 0) {
		verr(v, path, "%s", msg);
		r = 0;
		goto out;
	}
	u = lcurl->url();
	if (!u) {
		r = -ENOMEM;
		goto out;
	}
	uc = lcurl->url_set(u, CURLUPART_URL, url, 0);
	if (uc != CURLUE_OK) {
		snprintf(msg, sizeof(msg), "%s", lcurl->url_strerror(uc));
		decap(msg);
		verr(v, path, "invalid URL '%.200s': %s", url, msg);
		goto out;
	}
	if (lcurl->url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !host[0]) {
		verr(v, path, "URL '%.200s' has no host", url);
		goto out;
	}
	if (https && !(lcurl->version_info(CURLVERSION_NOW)->features & CURL_VERSION_SSL)) {
		verr(v, path, "https is not supported by this build of libcurl");
		goto out;
	}
	hp->url = strdup(url);
	hp->host = strdup(host);
	if (!hp->url || !hp->host)
		r = -ENOMEM;
out:
	if (lcurl) {
		lcurl->free(host);
		lcurl->url_cleanup(u);
	}
	return r;
}

/* An RFC 9110 token: what a header name may be. */
static bool header_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c))
			return false;
	}
	return true;
}

static int parse_headers(struct http_priv *hp, struct vctx *v, const char *path, json_t *j)
{
	const char *name;
	json_t *val;

	if (v_object(v, j, path, NULL) < 0)
		return 0;
	/* Lines now, curl's list at the first start(): parse does not need libcurl for them. */
	if (json_object_size(j)) {
		hp->hdr_lines = calloc(json_object_size(j), sizeof(*hp->hdr_lines));
		if (!hp->hdr_lines)
			return -ENOMEM;
	}
	json_object_foreach(j, name, val) {
		char hpath[VPATH_MAX];
		const char *s;
		char *line;
		int r;

		vpath_key(hpath, path, name);
		if (!header_name_ok(name)) {
			verr(v, hpath, "invalid header name: it must be a non-empty token without "
				       "spaces, ':', CR or LF");
			continue;
		}
		if (!json_is_string(val)) {
			verr(v, hpath, "expected a string header value");
			continue;
		}
		s = json_string_value(val);
		if (strpbrk(s, "\r\n")) {
			verr(v, hpath, "header value must not contain CR or LF");
			continue;
		}
		/* "Name;" is how curl is told to send a header with an empty value. */
		if (*s)
			r = asprintf(&line, "%s: %s", name, s);
		else
			r = asprintf(&line, "%s;", name);
		if (r < 0)
			return -ENOMEM;
		hp->hdr_lines[hp->nhdr_lines++] = line;
	}
	return 0;
}

static int parse_status(struct http_priv *hp, struct vctx *v, const char *path, const json_t *j)
{
	size_t n = json_is_array(j) ? json_array_size(j) : 0;
	bool bad = false;

	if (!json_is_array(j) || n == 0 || n > HTTP_STATUS_MAX) {
		verr(v, path, "must be a non-empty array (at most %d) of HTTP status codes",
		     HTTP_STATUS_MAX);
		return 0;
	}
	hp->status = calloc(n, sizeof(*hp->status));
	if (!hp->status)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(j, i);
		char ipath[VPATH_MAX];

		if (!json_is_integer(e) || json_integer_value(e) < 100 ||
		    json_integer_value(e) > 599) {
			vpath_idx(ipath, path, i);
			verr(v, ipath, "must be an integer HTTP status from 100 to 599");
			bad = true;
			continue;
		}
		hp->status[i] = (int)json_integer_value(e);
	}
	if (bad) {
		free(hp->status);
		hp->status = NULL;
		return 0;
	}
	hp->nstatus = n;
	return 0;
}

static int parse_expect(struct http_priv *hp, struct vctx *v, const char *path, const json_t *j)
{
	char kpath[VPATH_MAX];
	const json_t *st;
	const char *s;
	int r;

	/* Unknown keys are errors, but the known ones are still checked so all errors show. */
	v_object(v, j, path, expect_keys);
	if (!json_is_object(j))
		return 0;
	st = json_object_get(j, "status");
	if (st) {
		r = parse_status(hp, v, vpath_key(kpath, path, "status"), st);
		if (r < 0)
			return r;
	}
	if (v_string(v, j, "body_contains", path, false, &s) == 1) {
		if (!*s) {
			verr(v, vpath_key(kpath, path, "body_contains"), "must not be empty");
		} else if (!strcmp(hp->method, "HEAD")) {
			verr(v, vpath_key(kpath, path, "body_contains"),
			     "a HEAD request gets no body to search");
		} else {
			hp->body_contains = strdup(s);
			if (!hp->body_contains)
				return -ENOMEM;
		}
	}
	v_duration(v, j, "max_latency", path, false, 1, HTTP_MAX_LATENCY_MAX, &hp->max_latency);
	return 0;
}

static int http_parse(struct probe *p, const json_t *spec, const char *path, struct vctx *v)
{
	char kpath[VPATH_MAX];
	struct http_priv *hp;
	size_t nerr = v->n;
	const json_t *j;
	const char *s;
	int r = 0;

	hp = calloc(1, sizeof(*hp));
	if (!hp)
		return -ENOMEM;
	hp->p = p;
	hp->method = "GET";
	p->priv = hp;

	if (v_string(v, spec, "url", path, true, &s) == 1) {
		r = parse_url(hp, v, vpath_key(kpath, path, "url"), s);
		if (r < 0)
			goto out;
	}
	if (v_string(v, spec, "method", path, false, &s) == 1) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(methods); i++)
			if (!strcasecmp(s, methods[i]))
				break;
		if (i < ARRAY_SIZE(methods))
			hp->method = methods[i];
		else
			verr(v, vpath_key(kpath, path, "method"),
			     "unknown method '%.32s': expected GET, HEAD, POST, PUT, DELETE, PATCH "
			     "or OPTIONS", s);
	}
	j = json_object_get(spec, "headers");
	if (j) {
		/* jansson's iterators take a non-const object; nothing here modifies it. */
		r = parse_headers(hp, v, vpath_key(kpath, path, "headers"), (json_t *)j);
		if (r < 0)
			goto out;
	}
	if (v_string(v, spec, "body", path, false, &s) == 1) {
		if (!strcmp(hp->method, "HEAD")) {
			verr(v, vpath_key(kpath, path, "body"),
			     "a HEAD request cannot carry a body");
		} else {
			hp->body = strdup(s);
			if (!hp->body) {
				r = -ENOMEM;
				goto out;
			}
		}
	}
	j = json_object_get(spec, "expect");
	if (j) {
		r = parse_expect(hp, v, vpath_key(kpath, path, "expect"), j);
		if (r < 0)
			goto out;
	}
	r = v->n > nerr ? -EINVAL : 0;
out:
	return r;
}

const struct probe_ops probe_http_ops = {
	.kind = "http",
	.keys = http_keys,
	.parse = http_parse,
	.start = probe_http_start,
	.cancel = probe_http_cancel,
	.free = probe_http_free,
};

int probe_http_setup(struct probe *p, const char *url, const char *path, struct vctx *v,
		     const struct http_ext *ext)
{
	struct http_priv *hp = calloc(1, sizeof(*hp));
	size_t nerr = v->n;
	int r;

	if (!hp)
		return -ENOMEM;
	hp->p = p;
	hp->method = "GET";
	hp->ext = *ext;
	p->priv = hp;
	r = parse_url(hp, v, path, url);
	if (r < 0)
		return r;
	return v->n > nerr ? -EINVAL : 0;
}
