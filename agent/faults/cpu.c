// SPDX-License-Identifier: MIT
/*
 * cpu.stress: hold CPU load at a target.
 *
 * per_core (default): one worker pinned to each chosen core runs a duty cycle: in every
 * 100ms period it spins until its own CPU time (CLOCK_THREAD_CPUTIME_ID, so time lost to
 * preemption is made up) reaches load% of the period, then sleeps to the period's end.  A
 * deficit is carried into the next period, at most one period's worth.
 *
 * host: the same workers, but the load is the whole host's, counting everything else that
 * runs: every 500ms each worker reads the host's busy share from /proc/stat and corrects its
 * own duty by gain * (target - measured).  The workers share the correction (each takes
 * 1/workers of it), so together they act as one integral controller.
 *
 * The achieved load in status is measured by the agent from /proc/stat (the chosen cores, or
 * the host), over the last 10s, never taken from the workers.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent_limits.h"
#include "fault.h"
#include "stress.h"
#include "util.h"
#include "validate.h"

#define PERIOD_NS (100 * NSEC_PER_MSEC)
#define HOST_WINDOW_PERIODS 5
#define HOST_GAIN 0.5
#define WINDOW_NS (10 * NSEC_PER_SEC)
#define RING 64
/* A status request this soon after the last sample reuses it. */
#define SAMPLE_MIN_GAP (250 * NSEC_PER_MSEC)

enum cores_form { CORES_ALL, CORES_COUNT, CORES_LIST };

struct snap {
	uint64_t mono;
	struct cpu_sample host;
	struct cpu_sample *cpu; /* per chosen core */
	uint64_t *wticks;	/* per worker (same index), UINT64_MAX when unreadable */
};

struct cpu_fault {
	struct stress s;
	double load; /* 1..100 */
	bool host;
	enum cores_form form;
	uint64_t count;
	int *list; /* CORES_LIST, as given */
	size_t nlist;

	int *cpus; /* planned cores */
	size_t ncpus;
	int ncpu_online;
	pid_t *wpid; /* worker per planned core */

	struct snap ring[RING];
	size_t ring_n, ring_head;
	struct snap first; /* at apply: the mean since then */
	bool have_first;
	size_t nsamp; /* cpu_sample slots to read from /proc/stat */
};

static const char *const cpu_keys[] = { "load", "cores", "mode", NULL };

/* ---- parse ------------------------------------------------------------------------------- */

#define CORES_FORMS "must be a number of cores, a list of CPU numbers or \"all\""

static int parse_cores(struct cpu_fault *cf, const json_t *spec, const char *path,
		       struct vctx *v)
{
	const json_t *c = json_object_get(spec, "cores");
	char cpath[VPATH_MAX], ipath[VPATH_MAX];
	const json_t *e;
	size_t i;
	int bad = 0;

	vpath_key(cpath, path, "cores");
	cf->form = CORES_ALL;
	if (!c)
		return 0;
	if (json_is_string(c)) {
		if (strcmp(json_string_value(c), "all") == 0)
			return 1;
		verr(v, cpath, CORES_FORMS);
		return -1;
	}
	if (json_is_integer(c)) {
		json_int_t n = json_integer_value(c);

		if (n < 1 || n > CPU_SETSIZE) {
			verr(v, cpath, "%lld is out of range 1..%d", (long long)n, CPU_SETSIZE);
			return -1;
		}
		cf->form = CORES_COUNT;
		cf->count = (uint64_t)n;
		return 1;
	}
	if (!json_is_array(c)) {
		verr(v, cpath, CORES_FORMS);
		return -1;
	}
	if (!json_array_size(c) || json_array_size(c) > CPU_SETSIZE) {
		verr(v, cpath, "must list 1..%d CPU numbers", CPU_SETSIZE);
		return -1;
	}
	cf->list = calloc(json_array_size(c), sizeof(*cf->list));
	if (!cf->list)
		return -1;
	json_array_foreach(c, i, e) {
		json_int_t n;

		vpath_idx(ipath, cpath, i);
		if (!json_is_integer(e)) {
			verr(v, ipath, "expected a CPU number");
			bad = 1;
			continue;
		}
		n = json_integer_value(e);
		if (n < 0 || n >= CPU_SETSIZE) {
			verr(v, ipath, "CPU %lld is out of range 0..%d", (long long)n,
			     CPU_SETSIZE - 1);
			bad = 1;
			continue;
		}
		for (size_t k = 0; k < cf->nlist; k++) {
			if (cf->list[k] == (int)n) {
				verr(v, ipath, "CPU %lld is listed twice", (long long)n);
				bad = 1;
			}
		}
		cf->list[cf->nlist++] = (int)n;
	}
	cf->form = CORES_LIST;
	return bad ? -1 : 1;
}

static void cpu_free(struct fault *f)
{
	struct cpu_fault *cf = f->priv;

	if (!cf)
		return;
	stress_fini(&cf->s);
	for (size_t i = 0; i < RING; i++) {
		free(cf->ring[i].cpu);
		free(cf->ring[i].wticks);
	}
	free(cf->first.cpu);
	free(cf->first.wticks);
	free(cf->list);
	free(cf->cpus);
	free(cf->wpid);
	free(cf);
	f->priv = NULL;
}

static int cpu_parse(struct fault *f, const json_t *spec, const char *path, struct vctx *v)
{
	struct cpu_fault *cf;
	const char *mode = NULL;
	int r = 0;

	cf = calloc(1, sizeof(*cf));
	if (!cf)
		return -ENOMEM;
	f->priv = cf;
	f->tick_ns = STRESS_TICK_NS;
	if (v_number(v, spec, "load", path, true, 1, 100, &cf->load) < 0) {
		r = -EINVAL;
	} else if (cf->load > agent_limits()->max_cpu_percent) {
		char lp[VPATH_MAX];

		verr(v, vpath_key(lp, path, "load"), "%g%% is above the agent's max_cpu_percent (%g)",
		     cf->load, agent_limits()->max_cpu_percent);
		r = -EINVAL;
	}
	if (parse_cores(cf, spec, path, v) < 0)
		r = -EINVAL;
	if (v_string(v, spec, "mode", path, false, &mode) < 0) {
		r = -EINVAL;
	} else if (mode && strcmp(mode, "host") == 0) {
		cf->host = true;
	} else if (mode && strcmp(mode, "per_core") != 0) {
		char mpath[VPATH_MAX];

		verr(v, vpath_key(mpath, path, "mode"), "must be \"per_core\" or \"host\"");
		r = -EINVAL;
	}
	if (r < 0)
		cpu_free(f);
	return r;
}

/* ---- plan -------------------------------------------------------------------------------- */

/* "0-3,6" for messages. */
static void fmt_set(const cpu_set_t *set, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && o < len; c++) {
		int e = c;

		if (!CPU_ISSET(c, set))
			continue;
		while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
			e++;
		if (e == c)
			o += (size_t)snprintf(buf + o, len - o, "%s%d", o ? "," : "", c);
		else
			o += (size_t)snprintf(buf + o, len - o, "%s%d-%d", o ? "," : "", c, e);
		c = e;
	}
}

static int alloc_snap(struct snap *s, size_t ncpus)
{
	free(s->cpu);
	free(s->wticks);
	s->cpu = calloc(ncpus ? ncpus : 1, sizeof(*s->cpu));
	s->wticks = calloc(ncpus ? ncpus : 1, sizeof(*s->wticks));
	return s->cpu && s->wticks ? 0 : -ENOMEM;
}

static int cpu_plan(struct fault *f, const struct fault_env *env, char *err, size_t errlen)
{
	struct cpu_fault *cf = f->priv;
	cpu_set_t allowed;
	char set[256];
	size_t navail;
	int r;

	if (!cf)
		return -EINVAL;
	/* The agent's own affinity: a core it may not run on is not ours to load. */
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot read the agent's CPU affinity: %s", strerror(-r));
		return r;
	}
	navail = (size_t)CPU_COUNT(&allowed);
	fmt_set(&allowed, set, sizeof(set));
	free(cf->cpus);
	cf->cpus = calloc(navail ? navail : 1, sizeof(*cf->cpus));
	cf->ncpus = 0;
	if (!cf->cpus)
		return -ENOMEM;
	switch (cf->form) {
	case CORES_ALL:
	case CORES_COUNT:
		if (cf->form == CORES_COUNT && cf->count > navail) {
			snprintf(err, errlen, "'%s' asks for %" PRIu64 " cores, but only %zu are "
				 "available (%s)", f->name, cf->count, navail, set);
			return -EINVAL;
		}
		for (int c = 0; c < CPU_SETSIZE && cf->ncpus < navail; c++) {
			if (cf->form == CORES_COUNT && cf->ncpus == cf->count)
				break;
			if (CPU_ISSET(c, &allowed))
				cf->cpus[cf->ncpus++] = c;
		}
		break;
	case CORES_LIST:
		for (size_t i = 0; i < cf->nlist; i++) {
			if (!CPU_ISSET(cf->list[i], &allowed)) {
				snprintf(err, errlen, "CPU %d of '%s' is not available (available: "
					 "%s)", cf->list[i], f->name, set);
				return -EINVAL;
			}
			if (cf->ncpus < navail)
				cf->cpus[cf->ncpus++] = cf->list[i];
		}
		break;
	}
	if (!cf->ncpus) {
		snprintf(err, errlen, "no CPU is available to '%s'", f->name);
		return -EINVAL;
	}
	cf->ncpu_online = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (cf->ncpu_online < 1)
		cf->ncpu_online = 1;
	cf->nsamp = (size_t)sysconf(_SC_NPROCESSORS_CONF) + 1;
	for (size_t i = 0; i < cf->ncpus; i++)
		if ((size_t)cf->cpus[i] + 2 > cf->nsamp)
			cf->nsamp = (size_t)cf->cpus[i] + 2;
	free(cf->wpid);
	cf->wpid = calloc(cf->ncpus, sizeof(*cf->wpid));
	if (!cf->wpid)
		return -ENOMEM;
	for (size_t i = 0; i < RING; i++)
		if (alloc_snap(&cf->ring[i], cf->ncpus) < 0)
			return -ENOMEM;
	if (alloc_snap(&cf->first, cf->ncpus) < 0)
		return -ENOMEM;
	return stress_plan(&cf->s, f, false, err, errlen);
}

static json_t *cpu_claims(const struct fault *f)
{
	const struct cpu_fault *cf = f->priv;
	json_t *a = json_array();
	char key[48];

	if (!a || !cf)
		return a;
	if (cf->host) {
		json_array_append_new(a, json_string("cpu.stress:host"));
		return a;
	}
	for (size_t i = 0; i < cf->ncpus; i++) {
		snprintf(key, sizeof(key), "cpu.stress:cpu%d", cf->cpus[i]);
		json_array_append_new(a, json_string(key));
	}
	return a;
}

static json_t *cpu_undo(const struct fault *f)
{
	const struct cpu_fault *cf = f->priv;

	return cf ? stress_undo(&cf->s, "cpu.stress") : NULL;
}

/* ---- measurement ------------------------------------------------------------------------- */

static int take(struct cpu_fault *cf, struct snap *out)
{
	struct cpu_sample *all = calloc(cf->nsamp, sizeof(*all));
	size_t n = 0;
	int r;

	if (!all)
		return -ENOMEM;
	r = stress_read_cpu(all, cf->nsamp, &n);
	if (r == 0) {
		out->mono = now_mono();
		out->host = all[0];
		for (size_t i = 0; i < cf->ncpus; i++) {
			out->cpu[i] = all[cf->cpus[i] + 1];
			if (!cf->wpid[i] || stress_pid_cputime(cf->wpid[i], &out->wticks[i]) < 0)
				out->wticks[i] = UINT64_MAX;
		}
	}
	free(all);
	return r;
}

static void copy_snap(struct snap *dst, const struct snap *src, size_t ncpus)
{
	dst->mono = src->mono;
	dst->host = src->host;
	memcpy(dst->cpu, src->cpu, ncpus * sizeof(*dst->cpu));
	memcpy(dst->wticks, src->wticks, ncpus * sizeof(*dst->wticks));
}

static void push(struct cpu_fault *cf)
{
	/* When full, the slot after the newest is the oldest: overwrite it. */
	size_t idx = (cf->ring_head + cf->ring_n) % RING;

	if (take(cf, &cf->ring[idx]) < 0)
		return;
	if (cf->ring_n == RING)
		cf->ring_head = (cf->ring_head + 1) % RING;
	else
		cf->ring_n++;
}

static const struct snap *newest(const struct cpu_fault *cf)
{
	return cf->ring_n ? &cf->ring[(cf->ring_head + cf->ring_n - 1) % RING] : NULL;
}

/* The oldest sample no more than WINDOW_NS before the newest. */
static const struct snap *window_start(const struct cpu_fault *cf)
{
	const struct snap *nw = newest(cf);

	for (size_t k = 0; nw && k < cf->ring_n; k++) {
		const struct snap *s = &cf->ring[(cf->ring_head + k) % RING];

		if (nw->mono - s->mono <= WINDOW_NS + SAMPLE_MIN_GAP)
			return s;
	}
	return nw;
}

static double busy_pct(const struct cpu_sample *a, const struct cpu_sample *b)
{
	uint64_t dt = b->total - a->total;

	if (b->total <= a->total || b->busy < a->busy)
		return NAN;
	return 100.0 * (double)(b->busy - a->busy) / (double)dt;
}

static json_t *num1(double x)
{
	return isnan(x) ? json_null() : json_real(round(x * 10) / 10);
}

/* {"load", "cores": [{"cpu","load","worker_load"}]} between two samples. */
static json_t *measure(const struct cpu_fault *cf, const struct snap *a, const struct snap *b,
		       double *load)
{
	long hz = sysconf(_SC_CLK_TCK);
	double secs = (double)(b->mono - a->mono) / 1e9, sum = 0;
	json_t *cores = json_array();
	size_t nsum = 0;

	for (size_t i = 0; cores && i < cf->ncpus; i++) {
		double l = busy_pct(&a->cpu[i], &b->cpu[i]), w = NAN;

		if (a->wticks[i] != UINT64_MAX && b->wticks[i] != UINT64_MAX && secs > 0 &&
		    b->wticks[i] >= a->wticks[i])
			w = 100.0 * (double)(b->wticks[i] - a->wticks[i]) / (double)hz / secs;
		if (!isnan(l)) {
			sum += l;
			nsum++;
		}
		json_array_append_new(cores, json_pack("{s:i, s:o, s:o}", "cpu", cf->cpus[i],
						       "load", num1(l), "worker_load", num1(w)));
	}
	*load = cf->host ? busy_pct(&a->host, &b->host) : nsum ? sum / (double)nsum : NAN;
	return cores;
}

/* ---- apply, tick, revert ----------------------------------------------------------------- */

static int cpu_apply(struct fault *f, const struct fault_env *env, char *err, size_t errlen)
{
	struct cpu_fault *cf = f->priv;
	char load[24], cpu[16], workers[16], ncpu[16];
	int r;

	if (!cf || !cf->ncpus) {
		snprintf(err, errlen, "'%s' was not planned", f->name);
		return -EINVAL;
	}
	r = stress_begin(&cf->s, err, errlen);
	if (r < 0)
		return r;
	/* Basis points: the worker's arguments stay integers. */
	snprintf(load, sizeof(load), "%" PRIu64, (uint64_t)llround(cf->load * 100));
	snprintf(workers, sizeof(workers), "%zu", cf->ncpus);
	snprintf(ncpu, sizeof(ncpu), "%d", cf->ncpu_online);
	for (size_t i = 0; i < cf->ncpus; i++) {
		const char *args[] = { "--load-bp", load, "--cpu", cpu, "--mode",
				       cf->host ? "host" : "per_core", "--workers", workers,
				       "--ncpu", ncpu, NULL };

		snprintf(cpu, sizeof(cpu), "%d", cf->cpus[i]);
		r = stress_spawn(&cf->s, "cpu", args, err, errlen);
		if (r < 0)
			return r;
		cf->wpid[i] = cf->s.pids[cf->s.npids - 1];
	}
	cf->ring_n = cf->ring_head = 0;
	push(cf);
	if (newest(cf)) {
		copy_snap(&cf->first, newest(cf), cf->ncpus);
		cf->have_first = true;
	}
	return 0;
}

static int cpu_tick(struct fault *f, const struct fault_env *env)
{
	struct cpu_fault *cf = f->priv;

	if (!cf || !cf->s.active)
		return 0;
	stress_poll(&cf->s);
	push(cf);
	return 0;
}

static int cpu_revert(struct fault *f, char *err, size_t errlen)
{
	struct cpu_fault *cf = f->priv;

	if (!cf)
		return 0;
	if (cf->s.active && cf->have_first)
		push(cf); /* the final numbers, for the run record */
	return stress_stop(&cf->s, err, errlen);
}

static json_t *cpu_status(const struct fault *f)
{
	struct cpu_fault *cf = f->priv;
	const struct snap *a, *b;
	json_t *o, *cores = NULL, *wcores;
	double load = NAN, mean = NAN;

	if (!cf)
		return NULL;
	o = stress_status(&cf->s);
	if (!o)
		return NULL;
	json_object_set_new(o, "mode", json_string(cf->host ? "host" : "per_core"));
	json_object_set_new(o, "target", json_real(cf->load));
	cores = json_array();
	for (size_t i = 0; cores && i < cf->ncpus; i++)
		json_array_append_new(cores, json_integer(cf->cpus[i]));
	json_object_set_new(o, "cores", cores ? cores : json_array());
	if (cf->s.active && cf->have_first) {
		b = newest(cf);
		if (!b || now_mono() - b->mono >= SAMPLE_MIN_GAP)
			push(cf);
	}
	a = window_start(cf);
	b = newest(cf);
	if (a && b && b->mono > a->mono) {
		wcores = measure(cf, a, b, &load);
		json_object_set_new(o, "load", num1(load));
		json_object_set_new(o, "window_s", json_real(round((double)(b->mono - a->mono) /
								   1e8) / 10));
		json_object_set_new(o, "per_core", wcores ? wcores : json_array());
	}
	if (cf->have_first && b && b->mono > cf->first.mono) {
		json_decref(measure(cf, &cf->first, b, &mean));
		json_object_set_new(o, "mean_load", num1(mean));
	}
	return o;
}

const struct fault_ops fault_cpu_stress_ops = {
	.kind = "cpu.stress",
	.parse = cpu_parse,
	.keys = cpu_keys,
	.plan = cpu_plan,
	.claims = cpu_claims,
	.undo = cpu_undo,
	.apply = cpu_apply,
	.tick = cpu_tick,
	.revert = cpu_revert,
	.recover = stress_recover,
	.status = cpu_status,
	.free = cpu_free,
};

/* ---- the worker -------------------------------------------------------------------------- */

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t mono_ns)
{
	struct timespec ts = { (time_t)(mono_ns / NSEC_PER_SEC), (long)(mono_ns % NSEC_PER_SEC) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* A few tens of microseconds of integer work between clock reads. */
static void spin(void)
{
	static volatile uint64_t sink;
	uint64_t x = sink | 1;

	for (int i = 0; i < 20000; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	sink = x;
}

int cpu_worker_main(int argc, char **argv)
{
	uint64_t bp, cpu = UINT64_MAX, workers = 1, ncpu = 1, t0, c0, acc = 0, k = 0;
	const char *mode = stress_arg(argc, argv, "--mode");
	const char *cpu_s = stress_arg(argc, argv, "--cpu");
	struct cpu_sample prev[1], cur[1];
	bool host = mode && strcmp(mode, "host") == 0, have_prev = false;
	double target, u, gain;
	size_t n;

	if (stress_arg_u64(argc, argv, "--load-bp", &bp) < 0 || bp < 1 || bp > 10000)
		return 2;
	if (cpu_s && parse_u64(cpu_s, &cpu) < 0)
		return 2;
	if (host && (stress_arg_u64(argc, argv, "--workers", &workers) < 0 ||
		     stress_arg_u64(argc, argv, "--ncpu", &ncpu) < 0 || !workers || !ncpu))
		return 2;
	if (cpu != UINT64_MAX) {
		cpu_set_t set;

		CPU_ZERO(&set);
		if (cpu >= CPU_SETSIZE)
			return 2;
		CPU_SET((int)cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			fprintf(stderr, "faultline-cpu: cannot pin to CPU %" PRIu64 ": %s\n", cpu,
				strerror(errno));
			return 1;
		}
	}
	target = (double)bp / 10000.0;
	/* host: start from the share that would give the target on an otherwise idle host. */
	u = host ? target * (double)ncpu / (double)workers : target;
	gain = HOST_GAIN * (double)ncpu / (double)workers;
	if (u > 1)
		u = 1;
	t0 = now_mono();
	c0 = thread_cpu_ns();
	for (;;) {
		uint64_t end, used, now;

		k++;
		end = t0 + k * PERIOD_NS;
		acc += (uint64_t)(u * (double)PERIOD_NS);
		used = thread_cpu_ns() - c0;
		/* Make up for preemption, but never more than one period at once. */
		if (acc > used + PERIOD_NS)
			acc = used + PERIOD_NS;
		while (thread_cpu_ns() - c0 < acc && now_mono() < end)
			spin();
		now = now_mono();
		if (now > end + PERIOD_NS) {
			/* Stopped or starved for a while: start the schedule afresh. */
			t0 = now;
			k = 0;
			acc = thread_cpu_ns() - c0;
		} else if (u < 1) {
			sleep_until(end);
		}
		if (!host || k % HOST_WINDOW_PERIODS)
			continue;
		if (stress_read_cpu(cur, 1, &n) < 0)
			continue;
		if (have_prev && cur[0].total > prev[0].total) {
			double got = (double)(cur[0].busy - prev[0].busy) /
				     (double)(cur[0].total - prev[0].total);

			u += gain * (target - got);
			u = u < 0 ? 0 : u > 1 ? 1 : u;
		}
		prev[0] = cur[0];
		have_prev = true;
	}
	return 0;
}
