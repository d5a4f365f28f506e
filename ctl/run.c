// SPDX-License-Identifier: MIT
/*
 * faultctl run: validate locally, start the run, and with --wait follow its event stream
 * to the end.  Following is one poll() loop over the events connection, a self-pipe for
 * SIGINT/SIGTERM, and short-lived side connections for status (the live progress block on a
 * terminal, every STATUS_INTERVAL) and abort (the first Ctrl-C).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "ctl.h"
#include "units.h"
#include "util.h"
#include "experiment.h"

#define STATUS_INTERVAL (500 * NSEC_PER_MSEC)

const char cmd_run_usage[] =
	"Usage: faultctl run [--wait] [--json] [--dry-run] [--lease DUR] [--at TIME]\n"
	"                    [--junit FILE] [--report FILE] FILE\n"
	"\n"
	"Validate FILE locally, then ask the agent to run it.  Without --wait, print the run's\n"
	"id and return as soon as the run has started.\n"
	"\n"
	"  -w, --wait      follow the run until it ends: a live progress block on a terminal,\n"
	"                  one line per event otherwise, then a summary.  Ctrl-C (or SIGTERM)\n"
	"                  aborts the run, waits for its faults to be reverted and exits 4; a\n"
	"                  second Ctrl-C stops waiting at once\n"
	"      --json      print the agent's reply (with --wait: the final run object) as JSON\n"
	"  -n, --dry-run   resolve targets and check kernel support, apply nothing; print\n"
	"                  the plan\n"
	"      --lease DUR with --wait: hold a lease on the run (e.g. 15s) and renew it while\n"
	"                  following; if this client disappears the agent aborts the run and\n"
	"                  rolls back when the lease runs out\n"
	"      --at TIME   queue the run to start at TIME: UTC like 2026-11-23T02:00:00Z, or\n"
	"                  +DURATION from now (e.g. +10m)\n"
	"      --junit FILE  with --wait: write a JUnit XML report of the run to FILE\n"
	"      --report FILE with --wait: write an HTML report (.md: Markdown, .json: JSON)\n"
	"  -h, --help      show this help\n"
	"\n"
	"Exit status: 0 started (with --wait: passed), 1 deviated, aborted or not run,\n"
	"2 invalid experiment or usage, 3 agent unreachable, refused, or the run failed,\n"
	"4 cancelled.\n";

static volatile sig_atomic_t sig_count;
static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	static const char again[] = "\nfaultctl: interrupted again, not waiting for the run\n";
	int saved = errno;

	sig_count++;
	if (sig_count > 1) {
		(void)!write(STDERR_FILENO, again, sizeof(again) - 1);
		_exit(CTL_EXIT_CANCELLED);
	}
	if (sig_pipe[1] >= 0)
		(void)!write(sig_pipe[1], "", 1);
	errno = saved;
}

static int setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		return -errno;
	return 0;
}

struct follow {
	const struct ctl *ctl;
	const char *id;
	bool tty;	   /* live progress block on stdout */
	bool json;	   /* no progress output at all, the final run object at the end */
	struct conn ev;	   /* the event stream */
	struct conn st;	   /* an outstanding status request, fd -1 when none */
	struct conn ab;	   /* the outstanding abort request */
	struct conn rn;	   /* the outstanding lease renewal */
	uint64_t lease;	   /* ns; 0 = none */
	uint64_t next_renew;
	bool aborting;
	bool eof;
	json_t *view;	   /* the run as last seen: status replies, updated by events */
	json_t *end;	   /* the "end" event */
	double elapsed_ms; /* the run's age at elapsed_at (monotonic ns) */
	uint64_t elapsed_at;
	uint64_t next_status;
	int block;	   /* lines of the progress block now on screen */
};

/* ---- the progress block -------------------------------------------------------------- */

static void erase_block(struct follow *f)
{
	if (f->block > 0)
		printf("\033[%dA\033[J", f->block);
	f->block = 0;
}

static void draw_block(struct follow *f)
{
	struct winsize ws = { 0 };
	int cols = 80, rows = 24;
	double elapsed;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
		cols = ws.ws_col;
		rows = ws.ws_row;
	}
	elapsed = f->elapsed_ms + (double)(now_mono() - f->elapsed_at) / NSEC_PER_MSEC;
	erase_block(f);
	/* One column and one row to spare, or the terminal scrolls and the block is lost. */
	f->block = render_progress(stdout, f->view, elapsed, cols - 1, rows - 1);
	fflush(stdout);
}

/* A message on stderr that must not be overwritten by the next redraw. */
static void PRINTF(2, 3) note(struct follow *f, const char *fmt, ...)
{
	va_list ap;

	if (f->tty)
		erase_block(f);
	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (f->tty)
		draw_block(f);
}

/* ---- the live view ------------------------------------------------------------------- */

static json_t *view_entry(json_t *view, const char *array, const char *key, const char *name)
{
	json_t *arr = json_object_get(view, array), *e;
	size_t i;

	if (!json_is_array(arr)) {
		arr = json_array();
		json_object_set_new(view, array, arr);
	}
	json_array_foreach(arr, i, e) {
		const char *n = jstr(e, key);

		if (n && !strcmp(n, name))
			return e;
	}
	e = json_pack("{s:s}", key, name);
	json_array_append_new(arr, e);
	return e;
}

static void set_copy(json_t *dst, const char *key, const json_t *src)
{
	json_t *v = json_object_get(src, key);

	if (v)
		json_object_set(dst, key, v);
	else
		json_object_del(dst, key);
}

static void view_sample(json_t *view, const char *probe, const json_t *ev)
{
	json_t *e = view_entry(view, "probes", "name", probe), *last = json_object();
	double samples = 0, failures = 0;

	set_copy(last, "ok", ev);
	set_copy(last, "latency_ms", ev);
	set_copy(last, "status", ev);
	set_copy(last, "reason", ev);
	json_object_set_new(e, "last", last);
	/* Counted here until the next status reply brings the agent's numbers. */
	jnum(e, "samples", &samples);
	jnum(e, "failures", &failures);
	samples++;
	if (!json_is_true(json_object_get(ev, "ok")))
		failures++;
	json_object_set_new(e, "samples", json_real(samples));
	json_object_set_new(e, "failures", json_real(failures));
	json_object_set_new(e, "success_ratio", json_real((samples - failures) / samples));
}

static void view_apply(struct follow *f, const json_t *ev)
{
	const char *type = jstr(ev, "type");
	const char *fault = jstr(ev, "fault"), *probe = jstr(ev, "probe"), *rule = jstr(ev, "rule");
	json_t *e;
	double t;

	if (jnum(ev, "t_ms", &t)) {
		f->elapsed_ms = t;
		f->elapsed_at = now_mono();
	}
	if (!type)
		return;
	if (!strcmp(type, "phase")) {
		set_copy(f->view, "phase", ev);
	} else if (!strcmp(type, "fault") && fault) {
		e = view_entry(f->view, "faults", "name", fault);
		set_copy(e, "state", ev);
		set_copy(e, "error", ev);
	} else if (!strcmp(type, "sample") && probe) {
		view_sample(f->view, probe, ev);
	} else if (!strcmp(type, "breach") && rule) {
		e = view_entry(f->view, "rules", "desc", rule);
		json_object_set_new(e, "tripped", json_true());
	} else if (!strcmp(type, "end")) {
		set_copy(f->view, "verdict", ev);
		set_copy(f->view, "reason", ev);
		json_object_set_new(f->view, "phase", json_string("done"));
	}
}

/* ---- side requests: status and abort ------------------------------------------------- */

static int side_open(struct follow *f, struct conn *c, json_t *req)
{
	int r = conn_open(c, f->ctl->socket);

	if (r == 0) {
		r = conn_send(c, req);
		if (r < 0)
			conn_close(c);
	}
	json_decref(req);
	return r;
}

static void start_status(struct follow *f)
{
	if (f->st.fd >= 0)
		return;
	/* Best effort: the event stream is what counts, the block just shows less. */
	side_open(f, &f->st, json_pack("{s:s,s:s}", "cmd", "status", "run", f->id));
}

static void start_abort(struct follow *f)
{
	int r;

	f->aborting = true;
	r = side_open(f, &f->ab, json_pack("{s:s,s:s}", "cmd", "abort", "run", f->id));
	if (r < 0)
		note(f, "faultctl: cannot send abort for run %s to %s: %s\n", f->id,
		     f->ctl->socket, strerror(-r));
	else
		note(f, "faultctl: aborting run %s, waiting for its faults to be reverted "
			"(Ctrl-C again to stop waiting)\n",
		     f->id);
}

static void on_status(struct follow *f, json_t *reply)
{
	json_t *run = json_array_get(json_object_get(reply, "runs"), 0);
	double ms;

	if (!reply_ok(reply) || !json_is_object(run))
		return;
	json_decref(f->view);
	f->view = json_deep_copy(run);
	if (jnum(run, "elapsed_ms", &ms)) {
		f->elapsed_ms = ms;
		f->elapsed_at = now_mono();
	}
	if (f->tty)
		draw_block(f);
}

static void start_renew(struct follow *f)
{
	if (f->rn.fd >= 0)
		return;
	if (side_open(f, &f->rn,
		      json_pack("{s:s,s:s,s:I}", "cmd", "renew", "run", f->id, "lease_ms",
				(json_int_t)(f->lease / NSEC_PER_MSEC))) < 0)
		note(f, "faultctl: cannot renew the lease of run %s\n", f->id);
}

static void on_renew(struct follow *f, json_t *reply)
{
	const char *err = jstr(reply, "error");

	/* A run that has just ended cannot be renewed; its end event is on its way. */
	if (!reply_ok(reply) && strcmp(jstr(reply, "code") ? jstr(reply, "code") : "", "not_found"))
		note(f, "faultctl: lease renewal refused: %s\n", err ? err : "?");
}

static void on_abort(struct follow *f, json_t *reply)
{
	const char *err = jstr(reply, "error");

	if (!reply_ok(reply))
		note(f, "faultctl: abort: %s\n", err ? err : "refused");
}

/* Input on a side connection: hand its reply (or NULL when it broke) over, then close it. */
static void side_input(struct follow *f, struct conn *c,
		       void (*done)(struct follow *f, json_t *reply))
{
	json_t *reply = NULL;
	int r = conn_fill(c);

	if (r > 0) {
		r = conn_next(c, &reply);
		if (r == 0)
			return; /* more to come */
	}
	if (reply)
		done(f, reply);
	else if (c == &f->ab)
		note(f, "faultctl: no answer to the abort request\n");
	json_decref(reply);
	conn_close(c);
}

/* ---- the event stream ---------------------------------------------------------------- */

/* Whatever complete events are buffered.  1 after "end", 0 to go on, or an exit code. */
static int drain_events(struct follow *f)
{
	for (;;) {
		json_t *msg = NULL, *ev;
		const char *type;
		int r = conn_next(&f->ev, &msg);

		if (r == 0)
			return 0;
		if (r < 0) {
			note(f, "faultctl: event stream of run %s: %s\n", f->id, f->ev.err);
			return -CTL_EXIT_AGENT;
		}
		if (json_object_get(msg, "ok") && !reply_ok(msg)) {
			if (f->tty)
				erase_block(f);
			r = reply_fail(msg);
			json_decref(msg);
			return -r;
		}
		ev = json_object_get(msg, "event");
		type = jstr(ev, "type");
		if (!json_is_object(ev) || !type) {
			json_decref(msg);
			continue;
		}
		view_apply(f, ev);
		if (!f->json && (!f->tty || strcmp(type, "sample"))) {
			/* On a terminal samples only feed the block; the rest scroll above it. */
			if (f->tty)
				erase_block(f);
			render_event(stdout, ev);
			if (f->tty)
				draw_block(f);
			fflush(stdout);
		}
		if (!strcmp(type, "end")) {
			f->end = json_incref(ev);
			json_decref(msg);
			return 1;
		}
		json_decref(msg);
	}
}

static int open_events(struct follow *f)
{
	json_t *req = json_pack("{s:s,s:s}", "cmd", "events", "run", f->id), *reply = NULL;
	int r;

	r = conn_open(&f->ev, f->ctl->socket);
	if (r < 0) {
		r = ctl_unreachable(f->ctl, r);
		goto out;
	}
	r = conn_send(&f->ev, req);
	if (r == 0)
		r = conn_recv(&f->ev, &reply);
	if (r < 0) {
		fprintf(stderr, "faultctl: cannot follow run %s: %s\n", f->id,
			f->ev.err[0] ? f->ev.err : strerror(-r));
		r = CTL_EXIT_AGENT;
		goto out;
	}
	if (!reply_ok(reply)) {
		r = reply_fail(reply);
		goto out;
	}
	r = 0;
out:
	json_decref(req);
	json_decref(reply);
	return r;
}

/* Follow the run until its "end" event: 0, or the exit code of a failure (printed). */
static int follow_loop(struct follow *f)
{
	for (;;) {
		struct pollfd pfd[5];
		int n = 0, timeout = -1, iev, isig, ist = -1, iab = -1, irn = -1, r;

		r = drain_events(f);
		if (r > 0)
			return 0;
		if (r < 0)
			return -r;
		if (f->eof) {
			note(f, "faultctl: lost the connection to faultlined before run %s ended\n",
			     f->id);
			return CTL_EXIT_AGENT;
		}
		if (sig_count && !f->aborting)
			start_abort(f);
		if (f->tty) {
			uint64_t now = now_mono();

			if (now >= f->next_status) {
				/* The status reply redraws; without one, redraw for the clock. */
				start_status(f);
				if (f->st.fd < 0)
					draw_block(f);
				f->next_status = now + STATUS_INTERVAL;
			}
			timeout = (int)((f->next_status - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
		}
		if (f->lease) {
			uint64_t now = now_mono();
			int t;

			if (now >= f->next_renew) {
				/* Three chances per lease: one slow renewal does not lose it. */
				start_renew(f);
				f->next_renew = now + f->lease / 3;
			}
			t = (int)((f->next_renew - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
			if (timeout < 0 || t < timeout)
				timeout = t;
		}
		pfd[n] = (struct pollfd){ .fd = f->ev.fd, .events = POLLIN };
		iev = n++;
		pfd[n] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN };
		isig = n++;
		if (f->st.fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = f->st.fd, .events = POLLIN };
			ist = n++;
		}
		if (f->ab.fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = f->ab.fd, .events = POLLIN };
			iab = n++;
		}
		if (f->rn.fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = f->rn.fd, .events = POLLIN };
			irn = n++;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			note(f, "faultctl: poll: %s\n", strerror(errno));
			return CTL_EXIT_AGENT;
		}
		if (pfd[isig].revents) {
			char drain[16];

			while (read(sig_pipe[0], drain, sizeof(drain)) > 0)
				;
		}
		if (ist >= 0 && pfd[ist].revents)
			side_input(f, &f->st, on_status);
		if (iab >= 0 && pfd[iab].revents)
			side_input(f, &f->ab, on_abort);
		if (irn >= 0 && pfd[irn].revents)
			side_input(f, &f->rn, on_renew);
		if (pfd[iev].revents) {
			r = conn_fill(&f->ev);
			if (r == 0 || r == -ECONNRESET)
				f->eof = true;
			else if (r < 0) {
				note(f, "faultctl: event stream of run %s: %s\n", f->id,
				     strerror(-r));
				return CTL_EXIT_AGENT;
			}
		}
	}
}

/* --junit and --report at the end of run --wait: 0, or an exit code (message printed). */
static int write_reports(const struct ctl *ctl, const char *id, const char *junit,
			 const char *report)
{
	json_t *rec = NULL;
	int r = ctl_fetch_record(ctl, id, &rec);

	if (r)
		return r;
	if (junit)
		r = report_to_file(rec, REPORT_JUNIT, junit);
	if (!r && report)
		r = report_to_file(rec, report_format_for(report), report);
	json_decref(rec);
	return r;
}

int ctl_follow(const struct ctl *ctl, const char *id, const struct follow_opts *o)
{
	struct follow f = {
		.ctl = ctl,
		.id = id,
		.tty = !o->json && !o->plain && (o->force_tty || isatty(STDOUT_FILENO)),
		.json = o->json,
		.ev = CONN_INIT,
		.st = CONN_INIT,
		.ab = CONN_INIT,
		.rn = CONN_INIT,
		.lease = o->lease,
		.elapsed_at = now_mono(),
	};
	bool json = o->json;
	json_t *req = NULL, *reply = NULL;
	const json_t *run;
	const char *verdict;
	int r;

	f.view = json_pack("{s:s,s:s,s:[],s:[],s:[]}", "id", id, "phase", "-", "probes", "faults",
			   "rules");
	r = open_events(&f);
	if (r)
		goto out;
	r = follow_loop(&f);
	if (f.tty)
		erase_block(&f);
	fflush(stdout);
	if (r)
		goto out;

	/* The final word is the agent's status of the run, the end event if that fails. */
	req = json_pack("{s:s,s:s}", "cmd", "status", "run", id);
	run = f.view;
	if (ctl_request(ctl, req, &reply) == 0 &&
	    json_is_object(json_array_get(json_object_get(reply, "runs"), 0)))
		run = json_array_get(json_object_get(reply, "runs"), 0);
	if (json)
		print_json(run);
	else
		render_run_summary(stdout, run);
	if (o->junit || o->report) {
		int w = write_reports(ctl, id, o->junit, o->report);

		if (w)
			r = w;
	}
	verdict = jstr(run, "verdict");
	if (!verdict)
		verdict = jstr(f.end, "verdict");
	if (!r)
		r = verdict_exit(verdict);
	/* Interrupted: cancelled, unless the faults could not be reverted. */
	if (sig_count && r != CTL_EXIT_AGENT)
		r = CTL_EXIT_CANCELLED;
out:
	conn_close(&f.ev);
	conn_close(&f.st);
	conn_close(&f.ab);
	conn_close(&f.rn);
	json_decref(f.view);
	json_decref(f.end);
	json_decref(req);
	json_decref(reply);
	return r;
}

int cmd_run(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", no_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "lease", required_argument, NULL, 'L' },
		{ "at", required_argument, NULL, 'A' },
		{ "junit", required_argument, NULL, 'J' },
		{ "report", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char progname[] = "faultctl run";
	json_t *req = NULL, *reply = NULL, *errors = NULL, *text_json;
	bool wait = false, json = false, dry_run = false;
	struct follow_opts fo = { 0 };
	uint64_t start_at = 0;
	const char *file, *id;
	char *text = NULL;
	size_t len = 0;
	int r;

	argv[0] = progname;
	optind = 0;
	for (;;) {
		int c = getopt_long(argc, argv, "wnh", opts, NULL);

		if (c == -1)
			break;
		switch (c) {
		case 'w':
			wait = true;
			break;
		case 'j':
			json = true;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'L':
			if (parse_duration(optarg, &fo.lease) < 0 || fo.lease < 100 * NSEC_PER_MSEC ||
			    fo.lease > 86400 * NSEC_PER_SEC) {
				fprintf(stderr, "faultctl run: invalid --lease '%s' (100ms..24h)\n",
					optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'A':
			if (parse_when(optarg, &start_at) < 0) {
				fprintf(stderr,
					"faultctl run: invalid --at '%s' (UTC like "
					"2026-11-23T02:00:00Z, or +DURATION)\n",
					optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'J':
			fo.junit = optarg;
			break;
		case 'R':
			fo.report = optarg;
			break;
		case 'h':
			return cmd_usage("run", cmd_run_usage, false);
		default:
			return cmd_usage("run", cmd_run_usage, true);
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "faultctl run: %s\n",
			optind >= argc ? "no experiment file given" : "exactly one file, please");
		return cmd_usage("run", cmd_run_usage, true);
	}
	file = argv[optind];
	if ((fo.lease || fo.junit || fo.report) && !wait) {
		fprintf(stderr, "faultctl run: --lease, --junit and --report need --wait\n");
		return cmd_usage("run", cmd_run_usage, true);
	}

	/* Nothing reaches the agent unless it validates here first. */
	if (ctl_validate_file(file, &text, &len, &errors) < 0) {
		print_errors(errors);
		r = CTL_EXIT_USAGE;
		goto out;
	}
	text_json = json_stringn(text, len);
	if (!text_json) {
		fprintf(stderr, "faultctl: '%s' is not valid UTF-8\n", file);
		r = CTL_EXIT_USAGE;
		goto out;
	}
	req = json_pack("{s:s,s:s,s:o}", "cmd", "run", "file", file, "text", text_json);
	if (dry_run)
		json_object_set_new(req, "dry_run", json_true());
	if (fo.lease)
		json_object_set_new(req, "lease_ms", json_integer((json_int_t)(fo.lease / NSEC_PER_MSEC)));
	if (start_at)
		json_object_set_new(req, "start_at_ms",
				    json_integer((json_int_t)(start_at / NSEC_PER_MSEC)));
	if (wait && !dry_run) {
		/* Before the request: a Ctrl-C from now on aborts the run once it has an id. */
		r = setup_signals();
		if (r < 0) {
			fprintf(stderr, "faultctl: cannot set up signal handling: %s\n",
				strerror(-r));
			r = CTL_EXIT_AGENT;
			goto out;
		}
	}
	r = ctl_request(ctl, req, &reply);
	if (r)
		goto out;
	if (dry_run) {
		/* Nothing started, so nothing to wait for: the plan is the answer. */
		if (json)
			print_json(reply);
		else
			render_dry_run(stdout, reply);
		r = CTL_EXIT_PASSED;
		goto out;
	}
	id = jstr(reply, "run");
	if (!id || !*id) {
		fprintf(stderr, "faultctl: faultlined accepted the run but sent no id\n");
		r = CTL_EXIT_AGENT;
		goto out;
	}
	if (!wait) {
		if (json)
			print_json(reply);
		else
			printf("%s\n", id);
		r = CTL_EXIT_PASSED;
		goto out;
	}
	fo.json = json;
	r = ctl_follow(ctl, id, &fo);
out:
	free(text);
	json_decref(errors);
	json_decref(req);
	json_decref(reply);
	return r;
}

/* "+10m" from now, or UTC "2026-11-23T02:00:00Z", as CLOCK_REALTIME ns. */
int parse_when(const char *s, uint64_t *out)
{
	uint64_t d;

	if (s[0] == '+') {
		if (parse_duration(s + 1, &d) < 0)
			return -EINVAL;
		*out = now_real() + d;
		return 0;
	}
	return parse_utc_time(s, out);
}
