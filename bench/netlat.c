// SPDX-License-Identifier: MIT
/*
 * Apply and revert latency of faultline's own mechanism (netlink + eBPF), for make bench
 * (bench/latency.sh, bench/vm.sh): the network fault's ops, called the way the runner calls
 * them, without the agent around them.
 *
 *   netlat EXPERIMENT RUNS APPLY_OUT REVERT_OUT PLAN_OUT
 *
 * EXPERIMENT holds one network fault.  Each of RUNS rounds parses it afresh, then times
 * plan() (target resolution, the classifier loaded and its maps filled: the agent does it
 * at preflight, before the fault's start), apply() and revert() with CLOCK_MONOTONIC and
 * appends the three times, in milliseconds, to PLAN_OUT, APPLY_OUT and REVERT_OUT, one per
 * line.  Every round is reverted before the next; a failed apply or
 * revert stops the program with its error (exit 1) after a last revert attempt.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_limits.h"
#include "experiment.h"
#include "fault.h"
#include "util.h"
#include "validate.h"

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static bool nothing_protected(pid_t pid, void *data)
{
	return false;
}

/* One round: 0, or -1 with the reason printed. */
static int round_once(const char *path, const char *text, size_t len, int i, FILE *ap,
		      FILE *rp, FILE *pp)
{
	const struct fault_env env = { .pid_protected = nothing_protected };
	struct experiment_limits lim;
	struct experiment *e;
	struct fault *f;
	struct vctx v;
	char err[512] = "", id[32];
	double tp, t0, t1, t2;
	int ret = -1;

	agent_limits_default(&lim);
	vctx_init(&v, path, NULL);
	e = experiment_parse(text, len, &lim, &v);
	if (!e || e->nfaults != 1) {
		char *all = vctx_format(&v);

		fprintf(stderr, "netlat: %s: %s\n", path,
			e ? "needs exactly one fault" : all ? all : "invalid");
		free(all);
		goto out;
	}
	f = &e->faults[0];
	snprintf(id, sizeof(id), "bench%07d", i);
	f->run_id = id;
	tp = mono_ms();
	if (f->ops->plan && f->ops->plan(f, &env, err, sizeof(err)) < 0) {
		fprintf(stderr, "netlat: plan: %s\n", err);
		goto out;
	}
	t0 = mono_ms();
	if (f->ops->apply(f, &env, err, sizeof(err)) < 0) {
		fprintf(stderr, "netlat: apply (round %d): %s\n", i, err);
		f->ops->revert(f, err, sizeof(err));
		goto out;
	}
	t1 = mono_ms();
	if (f->ops->revert(f, err, sizeof(err)) < 0) {
		fprintf(stderr, "netlat: revert (round %d): %s\n", i, err);
		goto out;
	}
	t2 = mono_ms();
	fprintf(pp, "%.4f\n", t0 - tp);
	fprintf(ap, "%.4f\n", t1 - t0);
	fprintf(rp, "%.4f\n", t2 - t1);
	ret = 0;
out:
	experiment_free(e);
	vctx_fini(&v);
	return ret;
}

int main(int argc, char **argv)
{
	FILE *ap = NULL, *rp = NULL, *pp = NULL;
	char *text = NULL;
	size_t len;
	int runs, i, r, ret = 1;

	if (argc != 6 || (runs = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: netlat EXPERIMENT RUNS APPLY_OUT REVERT_OUT PLAN_OUT\n");
		return 2;
	}
	r = read_file(argv[1], 64 << 20, &text, &len);
	if (r < 0) {
		fprintf(stderr, "netlat: cannot read %s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	ap = fopen(argv[3], "a");
	rp = fopen(argv[4], "a");
	pp = fopen(argv[5], "a");
	if (!ap || !rp || !pp) {
		fprintf(stderr, "netlat: cannot open the output files: %s\n", strerror(errno));
		goto out;
	}
	for (i = 0; i < runs; i++)
		if (round_once(argv[1], text, len, i, ap, rp, pp) < 0)
			goto out;
	ret = 0;
out:
	if (ap)
		fclose(ap);
	if (rp)
		fclose(rp);
	if (pp)
		fclose(pp);
	free(text);
	return ret;
}
