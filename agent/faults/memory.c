// SPDX-License-Identifier: MIT
/*
 * memory.stress: make one process resident at a size, optionally ramping up, then hold it.
 *
 * The worker maps anonymous memory and faults it in (MADV_POPULATE_WRITE, or a write to each
 * page on kernels without it) in steps over "ramp", then sleeps in pause(): no CPU once the
 * size is reached.  It sizes its mapping so that its whole resident set (VmRSS, its own code
 * and libraries included) is the target.
 *
 * It never pushes the host into the OOM killer for anybody else:
 *  - preflight (and apply again) refuses a size above MemAvailable minus a safety margin of
 *    max(256MiB, 5% of MemTotal);
 *  - the worker runs in a memory cgroup limited slightly above the target, without swap, so a
 *    misjudged size ends with the worker, and only it, killed by its cgroup's OOM killer;
 *  - the worker sets its oom_score_adj to 1000: if the host runs short anyway, it goes first.
 *
 * status reports the resident size measured by the agent (the worker's VmRSS, and the
 * cgroup's memory.current or memory.usage_in_bytes).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "agent_limits.h"
#include "fault.h"
#include "stress.h"
#include "units.h"
#include "util.h"
#include "validate.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define MIB (1024ULL * 1024)
#define MARGIN_MIN (256 * MIB)
#define MARGIN_PERCENT 5
/* Above the target, room for page tables and the worker's own bits: never the target's limit. */
#define HEADROOM_MIN (32 * MIB)
#define RAMP_STEP (100 * NSEC_PER_MSEC)
#define MEMORY_MIN (1 * MIB)

struct mem_fault {
	struct stress s;
	uint64_t size; /* given size, or 0 */
	double percent; /* given percent, or 0 */
	uint64_t ramp;
	uint64_t target; /* plan: bytes */
	/* last measured */
	uint64_t rss, cg_bytes;
	bool measured;
};

static const char *const mem_keys[] = { "size", "percent", "ramp", NULL };

static void mem_free(struct fault *f)
{
	struct mem_fault *mf = f->priv;

	if (!mf)
		return;
	stress_fini(&mf->s);
	free(mf);
	f->priv = NULL;
}

static int mem_parse(struct fault *f, const json_t *spec, const char *path, struct vctx *v)
{
	char kpath[VPATH_MAX], a[32], b[32];
	bool has_size = json_object_get(spec, "size"), has_pct = json_object_get(spec, "percent");
	struct mem_fault *mf;
	int r = 0;

	mf = calloc(1, sizeof(*mf));
	if (!mf)
		return -ENOMEM;
	f->priv = mf;
	f->tick_ns = STRESS_TICK_NS;
	if (has_size && has_pct) {
		verr(v, path, "give either 'size' or 'percent', not both");
		r = -EINVAL;
	} else if (!has_size && !has_pct) {
		verr(v, path, "needs 'size' or 'percent'");
		r = -EINVAL;
	}
	if (has_size) {
		if (v_size(v, spec, "size", path, false, &mf->size) < 0) {
			r = -EINVAL;
		} else if (mf->size < MEMORY_MIN) {
			verr(v, vpath_key(kpath, path, "size"), "must be at least 1MiB");
			r = -EINVAL;
		}
	}
	if (has_pct) {
		if (v_percent(v, spec, "percent", path, false, &mf->percent) < 0) {
			r = -EINVAL;
		} else if (mf->percent <= 0) {
			verr(v, vpath_key(kpath, path, "percent"), "must be above 0");
			r = -EINVAL;
		}
	}
	if (v_duration(v, spec, "ramp", path, false, 0, 3600 * NSEC_PER_SEC, &mf->ramp) < 0) {
		r = -EINVAL;
	} else if (f->duration && mf->ramp > f->duration) {
		fmt_duration(mf->ramp, a, sizeof(a));
		fmt_duration(f->duration, b, sizeof(b));
		verr(v, vpath_key(kpath, path, "ramp"),
		     "ramp '%s' is longer than the duration '%s'", a, b);
		r = -EINVAL;
	}
	if (r < 0)
		mem_free(f);
	return r;
}

/* The target, and whether it fits: MemAvailable minus the margin.  err says why not. */
static int check_fit(const struct fault *f, struct mem_fault *mf, char *err, size_t errlen)
{
	uint64_t total, avail, margin, room;
	char t[32], a[32], m[32], rm[32];
	int r;

	r = stress_meminfo(&total, &avail);
	if (r < 0) {
		snprintf(err, errlen, "cannot read /proc/meminfo: %s", strerror(-r));
		return r;
	}
	mf->target = mf->size ? mf->size : (uint64_t)((double)total * mf->percent / 100.0);
	mf->target &= ~((uint64_t)sysconf(_SC_PAGESIZE) - 1);
	if ((double)mf->target > (double)total * agent_limits()->max_memory_percent / 100.0) {
		stress_fmt_bytes(mf->target, t, sizeof(t));
		snprintf(err, errlen, "'%s' asks for %s, more than the agent's max_memory_percent "
			 "(%g%% of MemTotal)", f->name, t, agent_limits()->max_memory_percent);
		return -EPERM;
	}
	margin = total / 100 * MARGIN_PERCENT;
	if (margin < MARGIN_MIN)
		margin = MARGIN_MIN;
	room = avail > margin ? avail - margin : 0;
	if (mf->target <= room)
		return 0;
	stress_fmt_bytes(mf->target, t, sizeof(t));
	stress_fmt_bytes(room, rm, sizeof(rm));
	stress_fmt_bytes(avail, a, sizeof(a));
	stress_fmt_bytes(margin, m, sizeof(m));
	snprintf(err, errlen, "'%s' asks for %s, more than the %s that can be taken safely "
		 "(MemAvailable %s minus a safety margin of %s)", f->name, t, rm, a, m);
	return -ENOMEM;
}

static int mem_plan(struct fault *f, const struct fault_env *env, char *err, size_t errlen)
{
	struct mem_fault *mf = f->priv;
	int r;

	if (!mf)
		return -EINVAL;
	r = check_fit(f, mf, err, errlen);
	if (r < 0)
		return r;
	return stress_plan(&mf->s, f, true, err, errlen);
}

static json_t *mem_claims(const struct fault *f)
{
	/* Two memory stressors could each fit alone and not together: one at a time. */
	return json_pack("[s]", "memory.stress");
}

static json_t *mem_undo(const struct fault *f)
{
	const struct mem_fault *mf = f->priv;

	return mf ? stress_undo(&mf->s, "memory.stress") : NULL;
}

static void sample(struct mem_fault *mf)
{
	uint64_t rss = 0, cgb = 0;
	bool any = false;

	for (size_t i = 0; i < mf->s.npids; i++) {
		uint64_t x;

		if (stress_pid_status_bytes(mf->s.pids[i], "VmRSS:", &x) == 0) {
			rss += x;
			any = true;
		}
	}
	if (cg_memory_current(&mf->s.cg, &cgb) == 0)
		any = true;
	if (!any)
		return;
	mf->rss = rss;
	mf->cg_bytes = cgb;
	mf->measured = true;
}

static int mem_apply(struct fault *f, const struct fault_env *env, char *err, size_t errlen)
{
	struct mem_fault *mf = f->priv;
	char size[24], ramp[24];
	uint64_t lim, head;
	const char *args[] = { "--size", size, "--ramp-ns", ramp, NULL };
	int r;

	if (!mf || !mf->s.cg.n) {
		snprintf(err, errlen, "'%s' was not planned", f->name);
		return -EINVAL;
	}
	/* Memory may have gone since preflight (start_after, other faults of the run). */
	r = check_fit(f, mf, err, errlen);
	if (r < 0)
		return r;
	r = stress_begin(&mf->s, err, errlen);
	if (r < 0)
		return r;
	head = mf->target / 16 > HEADROOM_MIN ? mf->target / 16 : HEADROOM_MIN;
	lim = mf->target + head;
	r = cg_set_memory_limit(&mf->s.cg, lim, err, errlen);
	if (r < 0)
		return r;
	snprintf(size, sizeof(size), "%" PRIu64, mf->target);
	snprintf(ramp, sizeof(ramp), "%" PRIu64, mf->ramp);
	return stress_spawn(&mf->s, "memory", args, err, errlen);
}

static int mem_tick(struct fault *f, const struct fault_env *env)
{
	struct mem_fault *mf = f->priv;

	if (mf && mf->s.active) {
		stress_poll(&mf->s);
		sample(mf);
	}
	return 0;
}

static int mem_revert(struct fault *f, char *err, size_t errlen)
{
	struct mem_fault *mf = f->priv;

	if (!mf)
		return 0;
	if (mf->s.active)
		sample(mf);
	return stress_stop(&mf->s, err, errlen);
}

static json_t *mem_status(const struct fault *f)
{
	struct mem_fault *mf = f->priv;
	json_t *o;

	if (!mf)
		return NULL;
	if (mf->s.active)
		sample(mf);
	o = stress_status(&mf->s);
	if (!o)
		return NULL;
	json_object_set_new(o, "target_bytes", json_integer((json_int_t)mf->target));
	if (mf->ramp) {
		char d[32];

		fmt_duration(mf->ramp, d, sizeof(d));
		json_object_set_new(o, "ramp", json_string(d));
	}
	if (mf->measured) {
		json_object_set_new(o, "resident_bytes", json_integer((json_int_t)mf->rss));
		json_object_set_new(o, "cgroup_bytes", json_integer((json_int_t)mf->cg_bytes));
		json_object_set_new(o, "resident_percent_of_target",
				    json_real(mf->target ? round(1000.0 * (double)mf->rss /
								 (double)mf->target) / 10
							 : 0));
	}
	return o;
}

const struct fault_ops fault_memory_stress_ops = {
	.kind = "memory.stress",
	.parse = mem_parse,
	.keys = mem_keys,
	.plan = mem_plan,
	.claims = mem_claims,
	.undo = mem_undo,
	.apply = mem_apply,
	.tick = mem_tick,
	.revert = mem_revert,
	.recover = stress_recover,
	.status = mem_status,
	.free = mem_free,
};

/* ---- the worker -------------------------------------------------------------------------- */

static void populate(char *p, size_t len, size_t page)
{
	if (madvise(p, len, MADV_POPULATE_WRITE) == 0)
		return;
	for (size_t o = 0; o < len; o += page)
		((volatile char *)p)[o] = 1;
}

int memory_worker_main(int argc, char **argv)
{
	uint64_t size, ramp = 0, base = 0, t0, steps = 1;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len, per, off = 0;
	int fd;
	char *p;

	if (stress_arg_u64(argc, argv, "--size", &size) < 0)
		return 2;
	if (stress_arg(argc, argv, "--ramp-ns") &&
	    stress_arg_u64(argc, argv, "--ramp-ns", &ramp) < 0)
		return 2;
	/* First to go if the host runs short after all. */
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "1000", 4);
		close(fd);
	}
	/* What this process holds already (code, libraries, stack) counts towards the size. */
	stress_pid_status_bytes(0, "VmRSS:", &base);
	len = (size_t)(size > base + page ? size - base : page);
	len &= ~(page - 1);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "faultline-mem: cannot map %zu bytes: %s\n", len, strerror(errno));
		return 1;
	}
	if (ramp)
		steps = ramp / RAMP_STEP ? ramp / RAMP_STEP : 1;
	per = (len / steps + page - 1) & ~(page - 1);
	t0 = now_mono();
	for (uint64_t i = 1; off < len; i++) {
		size_t n = len - off < per ? len - off : per;

		populate(p + off, n, page);
		off += n;
		if (ramp && off < len) {
			uint64_t at = t0 + ramp * i / steps;
			struct timespec ts = { (time_t)(at / NSEC_PER_SEC),
					       (long)(at % NSEC_PER_SEC) };

			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		}
	}
	for (;;)
		pause();
	return 0;
}
