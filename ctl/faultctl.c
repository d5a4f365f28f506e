// SPDX-License-Identifier: MIT
/* faultctl: the operator's CLI for faultlined.  Commands live behind a table. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "experiment.h"
#include "hostcaps.h"
#include "journal.h"
#include "log.h"
#include "util.h"
#include "validate.h"

struct command {
	const char *name;
	int (*fn)(const struct ctl *ctl, int argc, char **argv);
	const char *usage;
	const char *summary;
};

static const struct command *find_command(const char *name);
static int cmd_help(const struct ctl *ctl, int argc, char **argv);

/* getopt's messages name the command: "faultctl run: unrecognized option '--x'". */
static char progname[64];

static void set_progname(char **argv)
{
	snprintf(progname, sizeof(progname), "faultctl %s", argv[0]);
	argv[0] = progname;
	optind = 0; /* full re-initialisation of glibc's getopt */
}

int cmd_usage(const char *cmd, const char *usage, bool error)
{
	if (error) {
		fprintf(stderr, "Try 'faultctl %s --help'.\n", cmd);
		return CTL_EXIT_USAGE;
	}
	fputs(usage, stdout);
	return CTL_EXIT_PASSED;
}

/*
 * Options of the commands that have no others: -h/--help and --json.  Returns -1 to go on
 * (optind at the first operand) or the exit code.
 */
static int simple_opts(const char *cmd, const char *usage, int argc, char **argv, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	set_progname(argv);
	for (;;) {
		int c = getopt_long(argc, argv, "h", opts, NULL);

		if (c == -1)
			break;
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'h':
			return cmd_usage(cmd, usage, false);
		default:
			return cmd_usage(cmd, usage, true);
		}
	}
	return -1;
}

static int too_many_args(const char *cmd, const char *usage, const char *arg)
{
	fprintf(stderr, "faultctl %s: unexpected argument '%s'\n", cmd, arg);
	return cmd_usage(cmd, usage, true);
}

/* ---- validate ------------------------------------------------------------------------ */

/* The error array for a file that could not be checked at all. */
static json_t *file_error(const char *name, const char *msg)
{
	json_t *errors;
	char *text = NULL;

	if (asprintf(&text, "%s: %s", name, msg) < 0)
		return NULL;
	errors = json_pack("[{s:s,s:s,s:s}]", "file", name, "message", msg, "text", text);
	free(text);
	return errors;
}

int ctl_validate_file(const char *file, char **textp, size_t *lenp, json_t **errors)
{
	struct experiment_limits lim = { .max_duration = AGENT_DEFAULT_MAX_DURATION };
	bool is_stdin = !strcmp(file, "-");
	const char *name = is_stdin ? "<stdin>" : file;
	struct experiment *e = NULL;
	struct vctx v;
	char *text = NULL;
	size_t len = 0;
	int r;

	*errors = NULL;
	/* One byte over the limit so that a file of exactly the limit is still read. */
	r = read_file(is_stdin ? "/dev/stdin" : file, EXPERIMENT_MAX_BYTES + 1, &text, &len);
	if (r < 0) {
		char msg[128];

		if (r == -EFBIG)
			snprintf(msg, sizeof(msg), "larger than the limit of %d bytes",
				 EXPERIMENT_MAX_BYTES);
		else
			snprintf(msg, sizeof(msg), "cannot read: %s", strerror(-r));
		*errors = file_error(name, msg);
		return -1;
	}
	vctx_init(&v, name, NULL);
	e = experiment_parse(text, len, &lim, &v);
	if (!e) {
		*errors = vctx_to_json(&v);
		if (!json_array_size(*errors)) {
			json_decref(*errors);
			*errors = file_error(name, "cannot validate: out of memory");
		}
		r = -1;
	}
	experiment_free(e);
	vctx_fini(&v);
	if (r == 0 && textp) {
		*textp = text;
		text = NULL;
		if (lenp)
			*lenp = len;
	}
	free(text);
	return r;
}

static const char validate_usage[] =
	"Usage: faultctl validate [--json] FILE...\n"
	"\n"
	"Check experiment files offline, without the agent: syntax, unknown keys, units,\n"
	"cross-field rules.  Targets are not resolved.  FILE '-' reads standard input.\n"
	"Errors go to standard error as 'FILE:LINE:COL: $.path: message'.\n"
	"\n"
	"      --json   print [{\"file\",\"ok\",\"errors\"}] instead\n"
	"  -h, --help   show this help\n"
	"\n"
	"Exit status: 0 all files valid, 2 otherwise.\n";

static int cmd_validate(const struct ctl *ctl, int argc, char **argv)
{
	json_t *result = NULL, *errors, *item;
	bool json = false, all_ok = true;
	size_t i;
	int r;

	r = simple_opts("validate", validate_usage, argc, argv, &json);
	if (r >= 0)
		return r;
	if (optind >= argc) {
		fprintf(stderr, "faultctl validate: no experiment file given\n");
		return cmd_usage("validate", validate_usage, true);
	}
	result = json_array();
	for (int a = optind; a < argc; a++) {
		const char *name = strcmp(argv[a], "-") ? argv[a] : "<stdin>";
		bool ok = ctl_validate_file(argv[a], NULL, NULL, &errors) == 0;

		all_ok = all_ok && ok;
		json_array_append_new(result, json_pack("{s:s,s:b,s:o}", "file", name, "ok", ok,
							"errors", errors ? errors : json_array()));
	}
	if (json) {
		print_json(result);
	} else {
		json_array_foreach(result, i, item) {
			if (json_is_true(json_object_get(item, "ok")))
				printf("%s: ok\n", jstr(item, "file"));
			else
				print_errors(json_object_get(item, "errors"));
		}
	}
	json_decref(result);
	return all_ok ? CTL_EXIT_PASSED : CTL_EXIT_USAGE;
}

/* ---- plan ---------------------------------------------------------------------------- */

static const char plan_usage[] =
	"Usage: faultctl plan [--json] FILE\n"
	"\n"
	"What 'faultctl run --dry-run FILE' does: validate FILE, then have the agent resolve\n"
	"every target, check that the kernel supports each fault and that nothing conflicts,\n"
	"and print what each fault would do.  For network faults that is the exact match set,\n"
	"exclusions (SSH included) and engine.  Nothing is applied.\n"
	"\n"
	"      --json   print the agent's plan as JSON\n"
	"  -h, --help   show this help\n"
	"\n"
	"Exit status: 0 the plan holds, 2 invalid experiment or usage, 3 agent unreachable or\n"
	"preflight refused (the message says why).\n";

static int cmd_plan(const struct ctl *ctl, int argc, char **argv)
{
	char run[] = "run", dry[] = "--dry-run", js[] = "--json";
	char *args[5];
	bool json = false;
	int n = 0, r;

	r = simple_opts("plan", plan_usage, argc, argv, &json);
	if (r >= 0)
		return r;
	if (optind + 1 != argc) {
		fprintf(stderr, "faultctl plan: %s\n",
			optind >= argc ? "no experiment file given" : "exactly one file, please");
		return cmd_usage("plan", plan_usage, true);
	}
	args[n++] = run;
	args[n++] = dry;
	if (json)
		args[n++] = js;
	args[n++] = argv[optind];
	args[n] = NULL;
	return cmd_run(ctl, n, args);
}

/* ---- status, list -------------------------------------------------------------------- */

static const char status_usage[] =
	"Usage: faultctl status [--json] [ID]\n"
	"\n"
	"Without ID, a table of the runs the agent knows.  With ID, that run in detail: phases,\n"
	"faults (state, applied and reverted times, error, live status), probes, rules, verdict,\n"
	"reason, failed step, time to recover.\n"
	"\n"
	"      --json   print the run object (with ID) or the array of runs\n"
	"  -h, --help   show this help\n";

static int cmd_status(const struct ctl *ctl, int argc, char **argv)
{
	json_t *req = NULL, *reply = NULL, *runs;
	const char *id = NULL;
	bool json = false;
	int r;

	r = simple_opts("status", status_usage, argc, argv, &json);
	if (r >= 0)
		return r;
	if (optind < argc)
		id = argv[optind++];
	if (optind < argc)
		return too_many_args("status", status_usage, argv[optind]);
	req = json_pack("{s:s}", "cmd", "status");
	if (id)
		json_object_set_new(req, "run", json_string(id));
	r = ctl_request(ctl, req, &reply);
	if (r)
		goto out;
	runs = json_object_get(reply, "runs");
	if (id && !json_array_size(runs)) {
		fprintf(stderr, "faultctl: no run '%s'\n", id);
		r = CTL_EXIT_AGENT;
		goto out;
	}
	if (json)
		print_json(id ? json_array_get(runs, 0) : runs ? runs : json_array());
	else if (id)
		render_run_detail(stdout, json_array_get(runs, 0));
	else
		render_run_table(stdout, runs);
out:
	json_decref(req);
	json_decref(reply);
	return r;
}

static const char list_usage[] =
	"Usage: faultctl list [--json]\n"
	"\n"
	"One line per run: id, verdict (or phase while running), title.\n"
	"\n"
	"      --json   print the array of run summaries\n"
	"  -h, --help   show this help\n";

static int cmd_list(const struct ctl *ctl, int argc, char **argv)
{
	json_t *req = NULL, *reply = NULL, *runs;
	bool json = false;
	int r;

	r = simple_opts("list", list_usage, argc, argv, &json);
	if (r >= 0)
		return r;
	if (optind < argc)
		return too_many_args("list", list_usage, argv[optind]);
	req = json_pack("{s:s}", "cmd", "list");
	r = ctl_request(ctl, req, &reply);
	if (r)
		goto out;
	runs = json_object_get(reply, "runs");
	if (json)
		print_json(runs ? runs : json_array());
	else
		render_run_list(stdout, runs);
out:
	json_decref(req);
	json_decref(reply);
	return r;
}

/* ---- abort --------------------------------------------------------------------------- */

static const char abort_usage[] =
	"Usage: faultctl abort [--json] ID | --all\n"
	"\n"
	"Abort a running experiment (or all of them).  Returns once every fault is reverted,\n"
	"and prints the ids of the aborted runs.\n"
	"\n"
	"      --all    abort every running experiment\n"
	"      --json   print {\"aborted\": [ID...]}\n"
	"  -h, --help   show this help\n"
	"\n"
	"Exit status: 0 done, 3 no such run or agent unreachable.\n";

static int cmd_abort(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *req = NULL, *reply = NULL, *aborted, *id, *out;
	bool json = false, all = false;
	size_t i;
	int r;

	set_progname(argv);
	for (;;) {
		int c = getopt_long(argc, argv, "h", opts, NULL);

		if (c == -1)
			break;
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			return cmd_usage("abort", abort_usage, false);
		default:
			return cmd_usage("abort", abort_usage, true);
		}
	}
	if (all == (optind < argc)) {
		fprintf(stderr, "faultctl abort: give either a run ID or --all\n");
		return cmd_usage("abort", abort_usage, true);
	}
	if (optind + 1 < argc)
		return too_many_args("abort", abort_usage, argv[optind + 1]);
	if (all)
		req = json_pack("{s:s,s:b}", "cmd", "abort", "all", 1);
	else
		req = json_pack("{s:s,s:s}", "cmd", "abort", "run", argv[optind]);
	r = ctl_request(ctl, req, &reply);
	if (r)
		goto out;
	aborted = json_object_get(reply, "aborted");
	if (json) {
		out = json_pack("{s:O}", "aborted", aborted ? aborted : json_array());
		print_json(out);
		json_decref(out);
	} else {
		json_array_foreach(aborted, i, id)
			printf("%s\n", json_string_value(id) ? json_string_value(id) : "?");
	}
out:
	json_decref(req);
	json_decref(reply);
	return r;
}

/* ---- recover ------------------------------------------------------------------------- */

static const char recover_usage[] =
	"Usage: faultctl recover [--json]\n"
	"\n"
	"Revert every fault left in the undo journal.  Asks the agent; when its socket does not\n"
	"exist or refuses connections, works offline on the journal in --state-dir (taking its\n"
	"lock, so never while an agent owns it).\n"
	"\n"
	"      --json   print {\"source\",\"recovered\",\"failed\",\"corrupt\",\"records\"}\n"
	"  -h, --help   show this help\n"
	"\n"
	"Exit status: 0 nothing left to revert, 3 a record could not be reverted or read, or the\n"
	"journal could not be reached.\n";

/* Without the agent: the journal in state_dir, under its lock.  *report or an exit code. */
static int recover_offline(const struct ctl *ctl, json_t **report, bool *left)
{
	struct journal *j;
	int err = 0, r;

	/* The report says what happened; the agent's log lines would only repeat it. */
	log_set_level(LOG_LVL_ERR);
	j = journal_open(ctl->state_dir, &err);
	if (!j) {
		if (err == -EWOULDBLOCK)
			fprintf(stderr,
				"faultctl: the agent (pid %d) holds %s but its socket %s is "
				"unreachable\n",
				journal_lock_holder(ctl->state_dir), ctl->state_dir, ctl->socket);
		else
			fprintf(stderr, "faultctl: cannot open the journal in '%s': %s\n",
				ctl->state_dir, strerror(err ? -err : EIO));
		return CTL_EXIT_AGENT;
	}
	r = journal_recover(j, report);
	journal_close(j);
	if (r < 0) {
		fprintf(stderr, "faultctl: cannot recover the journal in '%s': %s\n",
			ctl->state_dir, strerror(-r));
		json_decref(*report);
		*report = NULL;
		return CTL_EXIT_AGENT;
	}
	*left = r > 0;
	if (!*report)
		*report = json_pack("{s:i,s:i,s:i,s:[]}", "recovered", 0, "failed", r, "corrupt", 0,
				    "records");
	return 0;
}

static int cmd_recover(const struct ctl *ctl, int argc, char **argv)
{
	json_t *req = NULL, *reply = NULL, *report = NULL;
	bool json = false, left = false;
	double failed = 0, corrupt = 0;
	int r;

	r = simple_opts("recover", recover_usage, argc, argv, &json);
	if (r >= 0)
		return r;
	if (optind < argc)
		return too_many_args("recover", recover_usage, argv[optind]);
	req = json_pack("{s:s}", "cmd", "recover");
	r = ctl_call(ctl, req, &reply);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		r = recover_offline(ctl, &report, &left);
		if (r)
			goto out;
		json_object_set_new(report, "source", json_string("offline"));
	} else if (r < 0) {
		r = ctl_unreachable(ctl, r);
		goto out;
	} else if (r > 0) {
		r = CTL_EXIT_AGENT;
		goto out;
	} else if (!reply_ok(reply)) {
		r = reply_fail(reply);
		goto out;
	} else {
		report = json_deep_copy(reply);
		json_object_del(report, "ok");
		json_object_del(report, "proto");
		json_object_set_new(report, "source", json_string("agent"));
	}
	if (json)
		print_json(report);
	else
		render_recover_report(stdout, report);
	jnum(report, "failed", &failed);
	jnum(report, "corrupt", &corrupt);
	r = left || failed > 0 || corrupt > 0 ? CTL_EXIT_AGENT : CTL_EXIT_PASSED;
out:
	json_decref(req);
	json_decref(reply);
	json_decref(report);
	return r;
}

/* ---- version ------------------------------------------------------------------------- */

static const char version_usage[] =
	"Usage: faultctl version [--json]\n"
	"\n"
	"The versions of faultctl and, when reachable, of faultlined: release, git commit,\n"
	"protocol, the libraries each was built with (libbpf, libnl, jansson, libcurl, zlib),\n"
	"and the kernel features the agent detected (netem, tcx, cgroup v2, BTF).  With no agent,\n"
	"faultctl detects the kernel features itself.\n"
	"\n"
	"      --json   print {\"client\":{...},\"agent\":{...}|null,\"agent_error\",\n"
	"               \"kernel\":{...},\"kernel_detected_by\":\"faultlined\"|\"faultctl\"}\n"
	"  -h, --help   show this help\n";

static void print_libraries(const json_t *libs)
{
	const char *k;
	json_t *v;
	bool first = true;

	if (!json_object_size(libs))
		return;
	fputs("  built with", stdout);
	json_object_foreach((json_t *)libs, k, v) {
		printf("%s %s %s", first ? "" : ",", k,
		       json_string_value(v) ? json_string_value(v) : "?");
		first = false;
	}
	putchar('\n');
}

static void print_kernel(const json_t *kernel, const char *by)
{
	static const char *const names[] = { "netem", "tcx", "cgroup2", "btf" };

	printf("kernel %s (features detected by %s):\n",
	       jstr(kernel, "kernel") ? jstr(kernel, "kernel") : "?", by);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const json_t *f = json_object_get(kernel, names[i]);
		const json_t *av = json_object_get(f, "available");

		printf("  %-8s %-7s %s\n", names[i],
		       json_is_true(av) ? "yes" : json_is_false(av) ? "no" : "unknown",
		       jstr(f, "detail") ? jstr(f, "detail") : "");
	}
}

static int cmd_version(const struct ctl *ctl, int argc, char **argv)
{
	json_t *req = NULL, *reply = NULL, *result = NULL, *agent = json_null(), *kernel;
	char why[256] = "";
	bool json = false;
	int r;

	r = simple_opts("version", version_usage, argc, argv, &json);
	if (r >= 0)
		return r;
	if (optind < argc)
		return too_many_args("version", version_usage, argv[optind]);
	req = json_pack("{s:s}", "cmd", "version");
	r = ctl_call(ctl, req, &reply);
	if (r < 0)
		snprintf(why, sizeof(why), "cannot reach faultlined at %s: %s", ctl->socket,
			 strerror(-r));
	else if (r > 0)
		snprintf(why, sizeof(why), "no answer from faultlined at %s", ctl->socket);
	else if (!reply_ok(reply))
		snprintf(why, sizeof(why), "%s", jstr(reply, "error") ? jstr(reply, "error") : "?");
	else
		agent = json_pack("{s:O?,s:O?,s:O?,s:O?}", "version",
				  json_object_get(reply, "version"), "git",
				  json_object_get(reply, "git"), "proto",
				  json_object_get(reply, "proto"), "libraries",
				  json_object_get(reply, "libraries"));
	/* An older agent does not report kernel features: then faultctl looks itself. */
	kernel = json_object_get(reply, "kernel");
	result = json_pack("{s:{s:s,s:s,s:i,s:o},s:o,s:o,s:s}", "client", "version", FL_VERSION,
			   "git", FL_GIT_REV, "proto", PROTO_VERSION, "libraries",
			   hostcaps_libraries(), "agent", agent, "kernel",
			   json_is_object(kernel) ? json_incref(kernel) : hostcaps_kernel(),
			   "kernel_detected_by",
			   json_is_object(kernel) ? "faultlined" : "faultctl");
	if (why[0])
		json_object_set_new(result, "agent_error", json_string(why));
	if (json) {
		print_json(result);
	} else {
		const json_t *cl = json_object_get(result, "client");

		printf("faultctl %s (git %s, protocol %d)\n", FL_VERSION, FL_GIT_REV,
		       PROTO_VERSION);
		print_libraries(json_object_get(cl, "libraries"));
		if (why[0]) {
			printf("faultlined: %s\n", why);
		} else {
			printf("faultlined %s (git %s, protocol %lld)\n",
			       jstr(agent, "version") ? jstr(agent, "version") : "?",
			       jstr(agent, "git") ? jstr(agent, "git") : "?",
			       (long long)json_integer_value(json_object_get(agent, "proto")));
			print_libraries(json_object_get(agent, "libraries"));
		}
		print_kernel(json_object_get(result, "kernel"),
			     jstr(result, "kernel_detected_by"));
	}
	json_decref(req);
	json_decref(reply);
	json_decref(result);
	return CTL_EXIT_PASSED;
}

/* ---- help and main ------------------------------------------------------------------- */

static const char main_usage[] =
	"Usage: faultctl [--socket PATH] [--state-dir DIR] COMMAND [ARGS...]\n"
	"\n"
	"Drive faultlined, the faultline fault-injection agent.\n"
	"\n"
	"Commands:\n"
	"%s"
	"\n"
	"Options:\n"
	"      --socket PATH     the agent's socket (default $" PROTO_SOCKET_ENV ", else\n"
	"                        'socket' in faultlined.conf, else " PROTO_DEFAULT_SOCKET ")\n"
	"      --state-dir DIR   the agent's state directory, for offline recover (default\n"
	"                        $" PROTO_STATE_DIR_ENV ", else 'state_dir' in faultlined.conf,\n"
	"                        else " PROTO_DEFAULT_STATE_DIR ")\n"
	"  -h, --help            show this help ('faultctl COMMAND --help' for a command)\n"
	"      --version         show the version\n"
	"\n"
	"Exit status:\n"
	"  0  passed (or the command succeeded)\n"
	"  1  the experiment deviated, was aborted, or did not run\n"
	"  2  invalid input or usage\n"
	"  3  agent unreachable or refused the request, or the run failed\n"
	"  4  cancelled (interrupted)\n";

static const char help_usage[] =
	"Usage: faultctl help [COMMAND]\n"
	"\n"
	"Show the overall help, or a command's.\n";

static const struct command commands[] = {
	{ "validate", cmd_validate, validate_usage, "check experiment files offline" },
	{ "run", cmd_run, cmd_run_usage, "start an experiment (--wait to follow it)" },
	{ "plan", cmd_plan, plan_usage, "what a run would do, match sets included (run --dry-run)" },
	{ "watch", cmd_watch, cmd_watch_usage, "a live view of a run, refreshed in place" },
	{ "report", cmd_report, cmd_report_usage, "a run's report: json, junit, md or html" },
	{ "status", cmd_status, status_usage, "show runs, or one run in detail" },
	{ "list", cmd_list, list_usage, "one line per run" },
	{ "abort", cmd_abort, abort_usage, "abort a run (or --all) and revert its faults" },
	{ "recover", cmd_recover, recover_usage, "revert what the undo journal holds" },
	{ "version", cmd_version, version_usage, "versions, libraries and kernel features" },
	{ "help", cmd_help, help_usage, "show help" },
	{ NULL, NULL, NULL, NULL },
};


static void print_main_usage(FILE *f)
{
	char list[2048];
	size_t off = 0;

	list[0] = '\0';
	for (const struct command *c = commands; c->name; c++) {
		int n = snprintf(list + off, sizeof(list) - off, "  %-10s %s\n", c->name,
				 c->summary);

		if (n < 0 || (size_t)n >= sizeof(list) - off)
			break;
		off += (size_t)n;
	}
	fprintf(f, main_usage, list);
}

static int cmd_help(const struct ctl *ctl, int argc, char **argv)
{
	bool json = false;
	const struct command *c;
	int r;

	r = simple_opts("help", help_usage, argc, argv, &json);
	if (r >= 0)
		return r;
	if (optind >= argc) {
		print_main_usage(stdout);
		return CTL_EXIT_PASSED;
	}
	c = find_command(argv[optind]);
	if (!c) {
		fprintf(stderr, "faultctl: unknown command '%s'\n", argv[optind]);
		return CTL_EXIT_USAGE;
	}
	fputs(c->usage, stdout);
	return CTL_EXIT_PASSED;
}


static const struct command *find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct agent_config cfg;
	struct ctl ctl;
	const struct command *cmd;
	int ret;

	/*
	 * The agent's config file names its socket and state dir: use them, below flags and the
	 * environment.  A file that is missing, unreadable or invalid is the agent's to report.
	 */
	config_init(&cfg);
	if (config_load(env_or(CONFIG_ENV, CONFIG_DEFAULT_PATH), false, &cfg, NULL) < 0) {
		config_free(&cfg);
		config_init(&cfg);
	}
	ctl.socket = env_or(PROTO_SOCKET_ENV, cfg.socket ? cfg.socket : PROTO_DEFAULT_SOCKET);
	ctl.state_dir = env_or(PROTO_STATE_DIR_ENV,
			       cfg.state_dir ? cfg.state_dir : PROTO_DEFAULT_STATE_DIR);

	/* A vanished agent must give an error from write(), not kill us. */
	signal(SIGPIPE, SIG_IGN);
	argv[0] = "faultctl";
	for (;;) {
		int c = getopt_long(argc, argv, "+h", opts, NULL);

		if (c == -1)
			break;
		switch (c) {
		case 's':
		case 'd':
			if (!*optarg) {
				fprintf(stderr, "faultctl: --%s needs a non-empty value\n",
					c == 's' ? "socket" : "state-dir");
				return CTL_EXIT_USAGE;
			}
			if (c == 's')
				ctl.socket = optarg;
			else
				ctl.state_dir = optarg;
			break;
		case 'h':
			print_main_usage(stdout);
			return CTL_EXIT_PASSED;
		case 'V':
			printf("faultctl %s (git %s, protocol %d)\n", FL_VERSION, FL_GIT_REV,
			       PROTO_VERSION);
			return CTL_EXIT_PASSED;
		default:
			fprintf(stderr, "Try 'faultctl --help'.\n");
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "faultctl: no command given\n");
		print_main_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "faultctl: unknown command '%s'\nTry 'faultctl --help'.\n",
			argv[optind]);
		return CTL_EXIT_USAGE;
	}
	ret = cmd->fn(&ctl, argc - optind, argv + optind);
	config_free(&cfg);
	return ret;
}
