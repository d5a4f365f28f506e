// SPDX-License-Identifier: MIT
/*
 * disk.fill: take space on a filesystem with one file, PATH/.faultline-fill-RUN-FAULT.
 *
 * The agent creates the file (O_EXCL) and a worker grows it with fallocate() in 64MiB steps,
 * or with writes where fallocate is not supported, then holds it.  Before each step, and twice
 * a second while it holds, the worker checks the free space and stays above the floor: if
 * something else fills the filesystem meanwhile, the worker shrinks its file to give the floor
 * back.  Revert kills the worker and deletes exactly that file.
 *
 * Sizes follow df: used = blocks - bfree, avail = bavail (what unprivileged writers may
 * still take), Use% = used / (used + avail).  fill_to_percent aims at that Use%; the floor
 * (floor_percent of used + avail, default 1%) is kept in avail.  A filesystem that holds the
 * agent's state dir keeps at least 1% whatever floor_percent says: the journal must stay
 * writable.  A fill that would cross the floor is refused in preflight, not trimmed.
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
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "fault.h"
#include "stress.h"
#include "util.h"
#include "validate.h"

#define MIB (1024ULL * 1024)
#define STEP (64 * MIB)
#define ALIGN 4096ULL
#define HOLD_CHECK_NS (500 * NSEC_PER_MSEC)
#define FLOOR_DEFAULT 1.0
#define FLOOR_MAX 50.0

struct disk_fault {
	struct stress s;
	char *path;
	uint64_t size;	   /* given, or 0 */
	double to_percent; /* given, or 0 */
	double floor_percent;
	/* plan / apply */
	uint64_t target; /* bytes to fill */
	uint64_t floor;	 /* bytes to keep free */
	dev_t dev;
	/* last measured */
	uint64_t filled;
	struct fs_space fs;
	bool measured;
};

static const char *const disk_keys[] = { "path", "size", "fill_to_percent", "floor_percent",
					 NULL };

static void disk_free(struct fault *f)
{
	struct disk_fault *df = f->priv;

	if (!df)
		return;
	stress_fini(&df->s);
	free(df->path);
	free(df);
	f->priv = NULL;
}

static int disk_parse(struct fault *f, const json_t *spec, const char *path, struct vctx *v)
{
	bool has_size = json_object_get(spec, "size");
	bool has_pct = json_object_get(spec, "fill_to_percent");
	char kpath[VPATH_MAX];
	struct disk_fault *df;
	const char *p = NULL;
	int r = 0, rf;

	df = calloc(1, sizeof(*df));
	if (!df)
		return -ENOMEM;
	f->priv = df;
	f->tick_ns = STRESS_TICK_NS;
	df->floor_percent = FLOOR_DEFAULT;
	if (stress_v_path(v, spec, "path", path, true, &p) < 0)
		r = -EINVAL;
	else if (!(df->path = strdup(p)))
		r = -ENOMEM;
	if (has_size && has_pct) {
		verr(v, path, "give either 'size' or 'fill_to_percent', not both");
		r = -EINVAL;
	} else if (!has_size && !has_pct) {
		verr(v, path, "needs 'size' or 'fill_to_percent'");
		r = -EINVAL;
	}
	if (has_size) {
		if (v_size(v, spec, "size", path, false, &df->size) < 0) {
			r = -EINVAL;
		} else if (df->size < ALIGN) {
			verr(v, vpath_key(kpath, path, "size"), "must be at least 4KiB");
			r = -EINVAL;
		}
	}
	rf = v_number(v, spec, "floor_percent", path, false, 0, FLOOR_MAX, &df->floor_percent);
	if (rf < 0)
		r = -EINVAL;
	if (has_pct) {
		if (v_percent(v, spec, "fill_to_percent", path, false, &df->to_percent) < 0) {
			r = -EINVAL;
		} else if (df->to_percent <= 0) {
			verr(v, vpath_key(kpath, path, "fill_to_percent"), "must be above 0");
			r = -EINVAL;
		} else if (rf >= 0 && df->to_percent > 100 - df->floor_percent) {
			verr(v, vpath_key(kpath, path, "fill_to_percent"),
			     "%g would leave less than the floor of %g%% free", df->to_percent,
			     df->floor_percent);
			r = -EINVAL;
		}
	}
	if (r < 0)
		disk_free(f);
	return r;
}

/* Work out target and floor from the filesystem now; err says why it cannot be done. */
static int size_fill(const struct fault *f, struct disk_fault *df, const struct fault_env *env,
		     char *err, size_t errlen)
{
	char t[32], a[32], fl[32], u[32];
	struct fs_space fs;
	bool state_fs;
	int r;

	r = stress_fs_space(df->path, &fs);
	if (r < 0) {
		snprintf(err, errlen, "cannot read the free space of '%s': %s", df->path,
			 strerror(-r));
		return r;
	}
	df->dev = fs.dev;
	df->floor = stress_floor_bytes(&fs, df->floor_percent, env ? env->state_dir : NULL,
				       &state_fs);
	if (df->size) {
		df->target = df->size;
	} else {
		double want = (double)fs.usable * df->to_percent / 100.0;

		if (want <= (double)fs.used + ALIGN) {
			snprintf(err, errlen, "'%s' is already %.1f%% full, at or above "
				 "fill_to_percent %g", df->path, stress_fs_used_percent(&fs),
				 df->to_percent);
			return -EEXIST;
		}
		df->target = (uint64_t)(want - (double)fs.used);
	}
	df->target = (df->target + ALIGN - 1) & ~(ALIGN - 1);
	if (fs.avail >= df->floor && df->target <= fs.avail - df->floor)
		return 0;
	stress_fmt_bytes(df->target, t, sizeof(t));
	stress_fmt_bytes(fs.avail, a, sizeof(a));
	stress_fmt_bytes(df->floor, fl, sizeof(fl));
	stress_fmt_bytes(fs.usable, u, sizeof(u));
	snprintf(err, errlen, "filling %s on '%s' (%s free) would cross the floor of %s "
		 "(%g%% of %s)%s", t, df->path, a, fl,
		 state_fs && df->floor_percent < STRESS_STATE_FLOOR_PERCENT
			 ? STRESS_STATE_FLOOR_PERCENT : df->floor_percent, u,
		 state_fs ? " that the filesystem holding the agent's state dir always keeps"
			  : "");
	return -ENOSPC;
}

static int disk_plan(struct fault *f, const struct fault_env *env, char *err, size_t errlen)
{
	struct disk_fault *df = f->priv;
	int r;

	if (!df)
		return -EINVAL;
	r = stress_check_dir(df->path, err, errlen);
	if (r < 0)
		return r;
	r = size_fill(f, df, env, err, errlen);
	if (r < 0)
		return r;
	r = stress_plan(&df->s, f, false, err, errlen);
	if (r < 0)
		return r;
	r = stress_add_file(&df->s, df->path, "fill", -1, err, errlen);
	return r < 0 ? r : 0;
}

static json_t *disk_claims(const struct fault *f)
{
	const struct disk_fault *df = f->priv;
	char key[64];

	/* Two fills of one filesystem would each count the other's file as "used". */
	snprintf(key, sizeof(key), "disk.fill:dev:%u:%u", df ? major(df->dev) : 0,
		 df ? minor(df->dev) : 0);
	return json_pack("[s]", key);
}

static json_t *disk_undo(const struct fault *f)
{
	const struct disk_fault *df = f->priv;

	return df ? stress_undo(&df->s, "disk.fill") : NULL;
}

static void sample(struct disk_fault *df)
{
	struct stat st;

	if (df->s.nfiles && df->s.made[0] && stat(df->s.files[0], &st) == 0)
		df->filled = (uint64_t)st.st_blocks * 512;
	if (stress_fs_space(df->path, &df->fs) == 0)
		df->measured = true;
}

static int disk_apply(struct fault *f, const struct fault_env *env, char *err, size_t errlen)
{
	struct disk_fault *df = f->priv;
	char size[24], floor[24];
	const char *args[] = { "--file", NULL, "--size", size, "--floor", floor, NULL };
	int fd, r;

	if (!df || !df->s.nfiles) {
		snprintf(err, errlen, "'%s' was not planned", f->name);
		return -EINVAL;
	}
	/* The filesystem may have changed since preflight: size it again, refuse again. */
	r = size_fill(f, df, env, err, errlen);
	if (r < 0)
		return r;
	r = stress_begin(&df->s, err, errlen);
	if (r < 0)
		return r;
	fd = stress_create_file(&df->s, 0, err, errlen);
	if (fd < 0)
		return fd;
	close(fd);
	args[1] = df->s.files[0];
	snprintf(size, sizeof(size), "%" PRIu64, df->target);
	snprintf(floor, sizeof(floor), "%" PRIu64, df->floor);
	return stress_spawn(&df->s, "disk", args, err, errlen);
}

static int disk_tick(struct fault *f, const struct fault_env *env)
{
	struct disk_fault *df = f->priv;

	if (df && df->s.active) {
		stress_poll(&df->s);
		sample(df);
	}
	return 0;
}

static int disk_revert(struct fault *f, char *err, size_t errlen)
{
	struct disk_fault *df = f->priv;

	if (!df)
		return 0;
	if (df->s.active)
		sample(df);
	return stress_stop(&df->s, err, errlen);
}

static json_t *disk_status(const struct fault *f)
{
	struct disk_fault *df = f->priv;
	json_t *o;

	if (!df)
		return NULL;
	if (df->s.active)
		sample(df);
	o = stress_status(&df->s);
	if (!o)
		return NULL;
	json_object_set_new(o, "path", json_string(df->path));
	json_object_set_new(o, "file", json_string(df->s.nfiles ? df->s.files[0] : ""));
	json_object_set_new(o, "target_bytes", json_integer((json_int_t)df->target));
	json_object_set_new(o, "floor_bytes", json_integer((json_int_t)df->floor));
	if (df->measured) {
		json_object_set_new(o, "filled_bytes", json_integer((json_int_t)df->filled));
		json_object_set_new(o, "fs_avail_bytes", json_integer((json_int_t)df->fs.avail));
		json_object_set_new(o, "fs_used_percent",
				    json_real(round(stress_fs_used_percent(&df->fs) * 10) / 10));
	}
	return o;
}

const struct fault_ops fault_disk_fill_ops = {
	.kind = "disk.fill",
	.parse = disk_parse,
	.keys = disk_keys,
	.plan = disk_plan,
	.claims = disk_claims,
	.undo = disk_undo,
	.apply = disk_apply,
	.tick = disk_tick,
	.revert = disk_revert,
	.recover = stress_recover,
	.status = disk_status,
	.free = disk_free,
};

/* ---- the worker -------------------------------------------------------------------------- */

static uint64_t avail_of(int fd)
{
	struct statvfs sv;

	if (fstatvfs(fd, &sv) < 0)
		return 0;
	return (uint64_t)sv.f_bavail * sv.f_frsize;
}

/* Allocate [off, off + len): fallocate, or writes of zeros where it is not supported. */
static int grow(int fd, uint64_t off, uint64_t len, bool *use_write)
{
	static char zero[1 << 20];

	if (!*use_write) {
		if (fallocate(fd, 0, (off_t)off, (off_t)len) == 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != ENOSYS)
			return -errno;
		*use_write = true;
	}
	while (len) {
		size_t n = len < sizeof(zero) ? (size_t)len : sizeof(zero);
		ssize_t w = pwrite(fd, zero, n, (off_t)off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (uint64_t)w;
		len -= (uint64_t)w;
	}
	return fdatasync(fd) < 0 ? -errno : 0;
}

int disk_worker_main(int argc, char **argv)
{
	const char *file = stress_arg(argc, argv, "--file");
	uint64_t size, floor, done = 0;
	bool use_write = false;
	struct timespec nap = { 0, (long)HOLD_CHECK_NS };
	int fd, r;

	if (!file || stress_arg_u64(argc, argv, "--size", &size) < 0 ||
	    stress_arg_u64(argc, argv, "--floor", &floor) < 0)
		return 2;
	/* The agent created it (O_EXCL); never follow a link someone put in its place. */
	fd = open(file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "faultline-disk: cannot open '%s': %s\n", file, strerror(errno));
		return 1;
	}
	while (done < size) {
		uint64_t n = size - done < STEP ? size - done : STEP, avail = avail_of(fd);

		if (avail <= floor)
			break;
		if (n > avail - floor)
			n = (avail - floor) & ~(ALIGN - 1);
		if (!n)
			break;
		r = grow(fd, done, n, &use_write);
		if (r == -ENOSPC)
			break;
		if (r < 0) {
			fprintf(stderr, "faultline-disk: cannot fill '%s': %s\n", file,
				strerror(-r));
			return 1;
		}
		done += n;
	}
	/* Hold, giving space back if the floor is crossed by somebody else. */
	for (;;) {
		uint64_t avail = avail_of(fd);

		if (avail < floor && done) {
			uint64_t give = (floor - avail + ALIGN - 1) & ~(ALIGN - 1);

			done = give < done ? done - give : 0;
			if (ftruncate(fd, (off_t)done) < 0)
				fprintf(stderr, "faultline-disk: cannot shrink '%s': %s\n", file,
					strerror(errno));
		}
		nanosleep(&nap, NULL);
	}
	return 0;
}
