/* SPDX-License-Identifier: MIT */
/*
 * The metrics endpoint: Prometheus text exposition (format 0.0.4) over a tiny HTTP/1.x server
 * inside the agent's event loop.  GET (or HEAD) /metrics only; one request per connection;
 * requests larger than METRICS_MAX_REQUEST, more than METRICS_MAX_CONNS connections at once
 * and connections idle for METRICS_IDLE_TIMEOUT are refused or closed.  Disabled unless
 * faultlined is given --metrics ADDRESS:PORT (or "metrics =" in faultlined.conf), and then
 * bound to that address only.
 */
#ifndef FL_METRICS_H
#define FL_METRICS_H

#include <stddef.h>
#include <sys/socket.h>
#include <jansson.h>

#define METRICS_MAX_REQUEST 8192
#define METRICS_MAX_CONNS 16
#define METRICS_IDLE_TIMEOUT_MS 10000

struct loop;
struct runner;
struct metrics;

/*
 * "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464": a numeric address and a port.  ss and len
 * may be NULL (validation only).  0 or -EINVAL.
 */
int metrics_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len);
struct metrics *metrics_new(struct loop *l, const char *addr, int *err);
void metrics_set_runner(struct metrics *m, const struct runner *rn);
void metrics_free(struct metrics *m);
/* The exposition text for a runner_metrics() summary (malloc'd, NUL-terminated). */
char *metrics_render(const json_t *summary, size_t *len);

#endif
