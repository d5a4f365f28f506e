/* SPDX-License-Identifier: MIT */
/*
 * faultctl internals: the connection to faultlined (conn.c), rendering of replies as text
 * (render.c), the commands (faultctl.c, run.c).  Only agent/proto.h, the experiment validator
 * and the journal are shared with the agent.
 */
#ifndef FL_CTL_H
#define FL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "proto.h"

/* Global options, resolved once in main(). */
struct ctl {
	const char *socket;
	const char *state_dir;
};

/* One connection to the agent: newline-delimited JSON, at most PROTO_MAX_MSG per line. */
struct conn {
	int fd;
	char *buf;
	size_t len, cap;
	char err[160]; /* why conn_next() failed, for the message */
};

#define CONN_INIT { .fd = -1 }

/* Connect to path.  0 or -errno (nothing printed). */
int conn_open(struct conn *c, const char *path);
void conn_close(struct conn *c);
/* Add "proto" to req and send it as one line.  0 or -errno. */
int conn_send(struct conn *c, json_t *req);
/* One read() into the buffer: bytes read, 0 at end of stream, or -errno. */
int conn_fill(struct conn *c);
/*
 * Take the next complete message from the buffer: 1 with *msg set, 0 when more input is
 * needed, -EMSGSIZE / -EBADMSG / -EPROTO with c->err describing the problem.
 */
int conn_next(struct conn *c, json_t **msg);
/* Blocking: the next message.  0, -ECONNRESET at end of stream, or -errno (c->err set). */
int conn_recv(struct conn *c, json_t **msg);

/*
 * One request on a fresh connection.  Returns 0 with *reply set (which may say ok:false),
 * -errno when the socket cannot be connected (nothing printed), or CALL_BROKEN when the
 * exchange failed after connecting (message printed).
 */
#define CALL_BROKEN 1
int ctl_call(const struct ctl *ctl, json_t *req, json_t **reply);
/* ctl_call() that prints every failure: 0 with an ok reply, or the exit code to use. */
int ctl_request(const struct ctl *ctl, json_t *req, json_t **reply);
/* "faultctl: cannot reach faultlined at SOCKET: ..."; returns CTL_EXIT_AGENT. */
int ctl_unreachable(const struct ctl *ctl, int err);
bool reply_ok(const json_t *reply);
/* Print an ok:false reply; returns the exit code (CTL_EXIT_USAGE for "invalid"). */
int reply_fail(const json_t *reply);

/* JSON accessors that tolerate missing keys and wrong types. */
const char *jstr(const json_t *obj, const char *key);
bool jnum(const json_t *obj, const char *key, double *out);
/* Write j to stdout as indented JSON plus a newline. */
void print_json(const json_t *j);

/* Rendering (render.c).  Times may be ISO strings or epoch numbers. */
void fmt_jtime(const json_t *t, char *buf, size_t len);
void fmt_ms(double ms, char *buf, size_t len);
/* "2026-11-23T04:30:01.123Z +1.250s phase inject" */
void render_event(FILE *f, const json_t *ev);
void render_run_table(FILE *f, const json_t *runs);
void render_run_list(FILE *f, const json_t *runs);
void render_run_detail(FILE *f, const json_t *run);
void render_run_summary(FILE *f, const json_t *run);
/* The plan a dry run returns: {"title","plan":[{"fault","kind","claims","status"}]}. */
void render_dry_run(FILE *f, const json_t *reply);
/* Lines of the live progress block for a run, at most width columns each; returns count. */
int render_progress(FILE *f, const json_t *run, double elapsed_ms, int width, int max_lines);
void render_recover_report(FILE *f, const json_t *report);
/* The exit code for a verdict string (NULL: the run has none). */
int verdict_exit(const char *verdict);

/*
 * Offline validation of one experiment file ("-" is standard input).  Returns 0 when valid,
 * else *errors holds an array of {"file","line","column","path","message","text"}.  *text
 * and *len receive the content when not NULL (and the file could be read).
 */
int ctl_validate_file(const char *file, char **text, size_t *len, json_t **errors);
/* Errors' "text" lines to stderr. */
void print_errors(const json_t *errors);

/* Usage: print a command's help and return 0, or an error hint and return CTL_EXIT_USAGE. */
int cmd_usage(const char *cmd, const char *usage, bool error);

int cmd_run(const struct ctl *ctl, int argc, char **argv);
int cmd_watch(const struct ctl *ctl, int argc, char **argv);
int cmd_report(const struct ctl *ctl, int argc, char **argv);
extern const char cmd_watch_usage[];
extern const char cmd_report_usage[];

struct follow_opts {
	bool json;	    /* no live output; the final run object as JSON */
	bool force_tty;	    /* the live block even when stdout is not a terminal */
	bool plain;	    /* one line per event even on a terminal */
	uint64_t lease;	    /* ns; renew a lease while following */
	const char *junit;  /* write reports at the end */
	const char *report;
};
/* Follow a run's events to its end; returns the exit code for its verdict. */
int ctl_follow(const struct ctl *ctl, const char *id, const struct follow_opts *o);
int parse_when(const char *s, uint64_t *out);

/* Reports (report.c). */
enum report_format { REPORT_JSON, REPORT_JUNIT, REPORT_MD, REPORT_HTML };
int report_parse_format(const char *s, enum report_format *out);
/* By the file's extension: .xml junit, .md Markdown, .json JSON, else HTML. */
enum report_format report_format_for(const char *file);
int report_render(FILE *f, const json_t *rec, enum report_format fmt);
/* Render to file (atomically); 0 or an exit code (message printed). */
int report_to_file(const json_t *rec, enum report_format fmt, const char *file);
/* The full record of a run: from the agent, or offline from the state dir. */
int ctl_fetch_record(const struct ctl *ctl, const char *id, json_t **rec);
extern const char cmd_run_usage[];

#endif
