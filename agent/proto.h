/* SPDX-License-Identifier: MIT */
/*
 * The control protocol between faultctl and faultlined.
 *
 * Transport: AF_UNIX stream socket (default /run/faultline/faultline.sock, mode 0660, owner
 * root, group 'faultline' when that group exists).  The agent checks SO_PEERCRED on every
 * connection: root, or a member of the socket group; anybody else gets one error reply and
 * the connection is closed.
 *
 * Framing: newline-delimited JSON, one object per line, at most PROTO_MAX_MSG bytes per line.
 * Every request and every reply carries "proto": PROTO_VERSION.  A client may send several
 * requests on one connection; replies come back in order.  "events" turns the connection into
 * a stream that ends, and is closed by the agent, after the run's "end" event.
 *
 * Requests ("cmd"):                      reply on success ({"proto":1,"ok":true, ...})
 *   read-only
 *   version                              "version", "git", "proto", "libraries" {"libbpf",
 *                                        "libnl","jansson","libcurl","zlib"}, "kernel"
 *                                        {"kernel", "netem"|"tcx"|"cgroup2"|"btf":
 *                                        {"available": bool|null, "detail"}}
 *   status   [run]                       "runs": [RUN...]      (one element when run given)
 *   list                                 "runs": [SUMMARY...]
 *   events   run                         {"ok":true} then {"proto":1,"event":EVENT} lines
 *   record   run                         "record": RUN plus "events": [EVENT...]
 *   mutating
 *   run      file text [dry_run] [lease_ms] [start_at_ms]
 *                                        "run": ID   (returns once the run has started or
 *                                        is queued: then also "queued_until")
 *   renew    run lease_ms                extend the run's lease; when a lease lapses the
 *                                        run is aborted and rolled back
 *   abort    run | all:true              "aborted": [ID...]   (after every fault is reverted)
 *   recover                              "recovered": N, "failed": N, "records": [...]
 *
 * Errors: {"proto":1,"ok":false,"code":CODE,"error":"one line"}; code is one of
 *   "proto" (bad framing, version, size or fields), "denied" (peer not allowed),
 *   "invalid" (experiment invalid; also "errors": [{file,line,column,path,message,text}]),
 *   "preflight" (targets or kernel support; "run" holds the failed run's id),
 *   "conflict" (a running experiment holds a target; the message names it),
 *   "schedule" (outside the experiment's run windows or before its not_before),
 *   "not_found", "busy", "internal".
 *
 * RUN: {"id","title","file","phase","verdict"|null,"reason","failed_step","started_at",
 *       "ended_at","elapsed_ms","time_to_recover_ms"|null,
 *       "faults":[{"name","kind","state","applied_at","reverted_at","error","status":{...}}],
 *       "probes":[{"name","kind","samples","failures","success_ratio","last":{...}}],
 *       "phases":[{"name","started_at","ended_at","samples","failures","ratio","met"}],
 *       "rules":[{"desc","tripped"}]}
 * EVENT: {"run","time","t_ms","type", ...}; type is one of
 *   "phase" {phase}, "sample" {probe, ok, latency_ms, status, reason},
 *   "fault" {fault, state, error}, "breach" {rule, probe, reason}, "log" {message},
 *   "recovered" {time_to_recover_ms}, "end" {verdict, reason}.
 *
 * Changelog:
 *   1  first version.  Additions that old clients ignore: "libraries" and "kernel" in the
 *      version reply.
 */
#ifndef FL_PROTO_H
#define FL_PROTO_H

#define PROTO_VERSION 1
#define PROTO_MAX_MSG (2 * 1024 * 1024)
#define PROTO_DEFAULT_SOCKET "/run/faultline/faultline.sock"
#define PROTO_SOCKET_ENV "FAULTLINE_SOCKET"
#define PROTO_DEFAULT_STATE_DIR "/var/lib/faultline"
#define PROTO_STATE_DIR_ENV "FAULTLINE_STATE_DIR"
#define PROTO_DEFAULT_GROUP "faultline"

#define PROTO_MIN_LEASE_MS 100
#define PROTO_MAX_LEASE_MS 86400000

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum proto_cmd {
	PROTO_VERSION_CMD,
	PROTO_STATUS,
	PROTO_LIST,
	PROTO_EVENTS,
	PROTO_RECORD,
	PROTO_RUN,
	PROTO_ABORT,
	PROTO_RENEW,
	PROTO_RECOVER,
};

/* A request whose shape has been checked completely; strings point into json. */
struct proto_req {
	json_t *json;
	enum proto_cmd cmd;
	const char *name;
	bool mutating;
	const char *run; /* NULL when absent */
	bool all;
	const char *file, *text;
	size_t text_len;
	bool dry_run;
	uint64_t lease_ms, start_at_ms; /* 0 when absent */
};

/*
 * Parse and check one request line.  0, or -EINVAL with a one-line reason in err; either way
 * proto_req_fini() releases it.
 */
int proto_parse_request(const char *line, size_t len, struct proto_req *out, char *err,
			size_t errlen);
void proto_req_fini(struct proto_req *req);

/* faultctl exit codes; stable, documented in faultctl --help and the README. */
enum ctl_exit {
	CTL_EXIT_PASSED = 0,
	CTL_EXIT_NOT_PASSED = 1, /* deviated, aborted, not_run */
	CTL_EXIT_USAGE = 2,	 /* invalid input or usage */
	CTL_EXIT_AGENT = 3,	 /* agent unreachable, refused, or run failed */
	CTL_EXIT_CANCELLED = 4,
};

#endif
