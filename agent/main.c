// SPDX-License-Identifier: MIT
/* faultlined: the faultline agent. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "agent_limits.h"
#include "config.h"
#include "experiment.h"
#include "journal.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "notify.h"
#include "probe.h"
#include "probes/curl_api.h"
#include "proto.h"
#include "runner.h"
#include "server.h"
#include "stress.h"
#include "units.h"

struct agent {
	struct loop *loop;
	struct runner *rn;
	struct server *srv;
	struct metrics *metrics;
	bool stopping;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: faultlined [options]\n"
		"\n"
		"The faultline agent: runs chaos experiments and guarantees their rollback.\n"
		"Runs in the foreground and logs to stderr.  Flags override the config file.\n"
		"\n"
		"  --config PATH        config file (default $%s or %s;\n"
		"                       a missing default file is fine, a given one must exist)\n"
		"  --socket PATH        control socket (default $%s or %s)\n"
		"  --state-dir DIR      journal and run records (default $%s or %s)\n"
		"  --group NAME         group allowed on the socket besides root (default %s)\n"
		"  --max-duration DUR   the agent's cap on any experiment's method (default 1h)\n"
		"  --metrics ADDR:PORT  serve Prometheus metrics on http://ADDR:PORT/metrics\n"
		"                       (e.g. 127.0.0.1:9464; default off)\n"
		"  --log-level LEVEL    error, warning, notice, info, debug (default info)\n"
		"  --log-format FMT     human, json, journal or auto (default auto: journal under\n"
		"                       systemd, human otherwise)\n"
		"  --check-config       check the config file and flags, print 'PATH: ok', exit\n"
		"  -h, --help           this help\n"
		"  -V, --version        print the version\n",
		CONFIG_ENV, CONFIG_DEFAULT_PATH, PROTO_SOCKET_ENV, PROTO_DEFAULT_SOCKET,
		PROTO_STATE_DIR_ENV, PROTO_DEFAULT_STATE_DIR, PROTO_DEFAULT_GROUP);
}

static void on_stop_signal(int signo, void *data)
{
	struct agent *a = data;
	int n;

	if (a->stopping) {
		log_warn("second %s: already stopping", strsignal(signo));
		return;
	}
	a->stopping = true;
	notify_send("STOPPING=1\nSTATUS=rolling back every active run");
	log_notice("%s: rolling back every active run, then exiting", strsignal(signo));
	/* Reverts are synchronous: when this returns every applied fault is undone. */
	n = runner_abort_all(a->rn, "agent received a stop signal", NULL);
	if (n)
		log_notice("rolled back %d run(s)", n);
	loop_quit(a->loop);
}

static void on_ignored_signal(int signo, void *data)
{
	log_debug("ignoring %s", strsignal(signo));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "group", required_argument, NULL, 'g' },
		{ "max-duration", required_argument, NULL, 'm' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *sock = getenv(PROTO_SOCKET_ENV), *state = getenv(PROTO_STATE_DIR_ENV);
	const char *group = NULL, *config_path = NULL, *metrics_addr = NULL;
	struct server_config scfg = { .group = PROTO_DEFAULT_GROUP };
	struct experiment_limits lim;
	struct agent_config cfg;
	uint64_t max_duration = 0;
	enum log_level lvl = LOG_LVL_INFO;
	enum log_format fmt = LOG_FMT_AUTO;
	bool lvl_set = false, fmt_set = false, config_required, check_only = false;
	char *config_errors = NULL;
	struct agent a = { 0 };
	struct journal *j = NULL;
	json_t *report = NULL;
	int c, r, ret = 1;

	/* Hidden mode: a stressor's worker process, re-executed by the agent (see stress.h). */
	if (argc > 1 && strcmp(argv[1], STRESS_WORKER_ARG) == 0)
		return stress_worker_main(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'd':
			state = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'm':
			if (parse_duration(optarg, &max_duration) < 0 || !max_duration) {
				fprintf(stderr, "faultlined: invalid --max-duration '%s'\n", optarg);
				return 2;
			}
			break;
		case 'l':
			if (log_parse_level(optarg, &lvl) < 0) {
				fprintf(stderr, "faultlined: invalid --log-level '%s'\n", optarg);
				return 2;
			}
			lvl_set = true;
			break;
		case 'f':
			if (log_parse_format(optarg, &fmt) < 0) {
				fprintf(stderr,
					"faultlined: invalid --log-format '%s' (human, json, "
					"journal or auto)\n",
					optarg);
				return 2;
			}
			fmt_set = true;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'M':
			if (strcmp(optarg, "off") && metrics_parse_addr(optarg, NULL, NULL) < 0) {
				fprintf(stderr,
					"faultlined: invalid --metrics '%s' (a numeric "
					"ADDRESS:PORT like 127.0.0.1:9464, or off)\n",
					optarg);
				return 2;
			}
			metrics_addr = optarg;
			break;
		case 'C':
			check_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("faultlined %s (%s), protocol %d\n", FL_VERSION, FL_GIT_REV,
			       PROTO_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "faultlined: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	/* The config file, then flags and environment over it. */
	config_init(&cfg);
	config_required = config_path || (getenv(CONFIG_ENV) && *getenv(CONFIG_ENV));
	if (!config_path)
		config_path = config_required ? getenv(CONFIG_ENV) : CONFIG_DEFAULT_PATH;
	if (config_load(config_path, config_required, &cfg, &config_errors) < 0) {
		/* Before logging is set up, and meant for a human: FILE:LINE: message lines. */
		fputs(config_errors ? config_errors : "", stderr);
		fprintf(stderr, "faultlined: invalid configuration in '%s'; not starting\n",
			config_path);
		free(config_errors);
		config_free(&cfg);
		return 2;
	}
	if (check_only) {
		printf("%s: ok\n", config_path);
		config_free(&cfg);
		return 0;
	}
	log_set_level(lvl_set ? lvl : cfg.log_level_set ? cfg.log_level : LOG_LVL_INFO);
	log_set_format(fmt_set ? fmt : cfg.log_format);
	lim = cfg.lim;
	if (max_duration)
		lim.max_duration = max_duration;
	agent_limits_set(&lim);
	if (!sock || !*sock)
		sock = cfg.socket;
	if (!state || !*state)
		state = cfg.state_dir;
	scfg.group = group ? group : cfg.group ? cfg.group : PROTO_DEFAULT_GROUP;
	if (!metrics_addr)
		metrics_addr = cfg.metrics;
	if (metrics_addr && !strcmp(metrics_addr, "off"))
		metrics_addr = NULL;
	scfg.path = sock && *sock ? sock : PROTO_DEFAULT_SOCKET;
	if (!state || !*state)
		state = PROTO_DEFAULT_STATE_DIR;
	signal(SIGPIPE, SIG_IGN);

	j = journal_open(state, &r);
	if (!j) {
		if (r == -EWOULDBLOCK)
			log_err("state dir '%s' is in use by pid %d (another faultlined or "
				"faultctl recover)",
				state, journal_lock_holder(state));
		else
			log_err("cannot open state dir '%s': %s", state, strerror(-r));
		goto out;
	}
	/* Undo whatever a previous life left behind before taking any command. */
	r = journal_recover(j, &report);
	if (r < 0) {
		log_err("cannot read the journal in '%s': %s", state, strerror(-r));
		goto out;
	}
	if (json_integer_value(json_object_get(report, "recovered")) ||
	    json_integer_value(json_object_get(report, "corrupt")) || r > 0)
		log_notice("journal: recovered %lld, failed %d, corrupt %lld",
			   (long long)json_integer_value(json_object_get(report, "recovered")), r,
			   (long long)json_integer_value(json_object_get(report, "corrupt")));
	if (r > 0)
		log_err("journal: %d record(s) could not be reverted; they stay in '%s/journal' "
			"and are retried by 'faultctl recover'",
			r, state);

	/* Probe children's cgroups left by an agent that died go too. */
	probe_command_sweep();

	a.loop = loop_new();
	if (!a.loop) {
		log_err("cannot create the event loop: %s", strerror(errno));
		goto out;
	}
	if (loop_signal(a.loop, SIGTERM, on_stop_signal, &a) < 0 ||
	    loop_signal(a.loop, SIGINT, on_stop_signal, &a) < 0 ||
	    loop_signal(a.loop, SIGHUP, on_ignored_signal, &a) < 0) {
		log_err("cannot set up signal handling: %s", strerror(errno));
		goto out;
	}
	/* Only hands the loop over: libcurl is loaded when a probe first needs it. */
	r = probe_http_global_init(a.loop);
	if (r < 0) {
		log_err("cannot set up the http probes: %s", strerror(-r));
		goto out;
	}
	a.srv = server_new(a.loop, &scfg, &r);
	if (!a.srv) {
		log_err("cannot listen on '%s': %s", scfg.path, strerror(-r));
		goto out;
	}
	{
		struct runner_hooks hooks = {
			.event = server_on_event,
			.pid_protected = server_pid_is_client,
			.data = a.srv,
		};

		a.rn = runner_new(a.loop, j, &lim, &hooks);
	}
	if (!a.rn) {
		log_err("out of memory");
		goto out;
	}
	server_set_runner(a.srv, a.rn, j);
	if (metrics_addr) {
		a.metrics = metrics_new(a.loop, metrics_addr, &r);
		if (!a.metrics) {
			log_err("cannot serve metrics on '%s': %s", metrics_addr, strerror(-r));
			goto out;
		}
		metrics_set_runner(a.metrics, a.rn);
		log_notice("metrics on http://%s/metrics", metrics_addr);
	}
	log_notice("faultlined %s listening on %s, state in %s", FL_VERSION, scfg.path, state);
	/* The journal is recovered and the socket listens: ready for systemd (Type=notify). */
	r = notify_send("READY=1\nSTATUS=listening");
	if (r < 0)
		log_warn("cannot notify the service manager: %s", strerror(-r));
	r = loop_run(a.loop);
	if (r < 0) {
		log_err("event loop failed: %s", strerror(-r));
		goto out;
	}
	ret = 0;
out:
	metrics_free(a.metrics);
	/* runner_free rolls back anything still active, before the journal is let go. */
	runner_free(a.rn);
	server_free(a.srv);
	probe_http_global_fini();
	/* curl_global_cleanup(), if a probe (or a version request) loaded libcurl. */
	curl_api_fini();
	loop_free(a.loop);
	json_decref(report);
	journal_close(j);
	if (ret == 0)
		log_notice("stopped");
	config_free(&cfg);
	return ret;
}
