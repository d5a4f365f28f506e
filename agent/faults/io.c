// SPDX-License-Identifier: MIT
/*
 * io.stress: workers doing real IO on files of their own under a directory.
 *
 * Each worker has one file, PATH/.faultline-io-RUN-FAULT-N, created and preallocated by the
 * agent (O_EXCL), and loops over it block by block: writes, reads, or both alternating.  It
 * uses O_DIRECT where the filesystem takes it, so the IO reaches the device instead of the
 * page cache; otherwise buffered IO with fdatasync every 8MiB written and the file's cache
 * dropped (POSIX_FADV_DONTNEED) on every pass, which forces reads back to the device too.
 * Reads need data on the device, so read and mixed workers write their file once first.
 *
 * Throughput in status is measured by the agent from the workers' /proc/PID/io (read_bytes
 * and write_bytes: bytes that went to the block layer), never taken from the workers.
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
#include <sys/random.h>

#include "fault.h"
#include "stress.h"
#include "util.h"
#include "validate.h"

#define KIB 1024ULL
#define MIB (1024ULL * 1024)
#define BLOCK_MIN (4 * KIB)
#define BLOCK_MAX (64 * MIB)
#define BLOCK_DEFAULT MIB
#define FILE_DEFAULT (64 * MIB)
#define FILE_MAX (1024ULL * 1024 * MIB)
#define WORKERS_MAX 64
#define SYNC_EVERY (8 * MIB)

enum io_mode { IO_WRITE, IO_READ, IO_MIXED };
static const char *const mode_names[] = { "write", "read", "mixed" };

struct io_sample {
	uint64_t mono;
	uint64_t rd, wr, sys; /* read_bytes, write_bytes, rchar + wchar over all workers */
};

struct io_fault {
	struct stress s;
	char *path;
	uint64_t workers;
	enum io_mode mode;
	uint64_t block;
	uint64_t file_size;
	bool direct;
	pid_t *wpid;	       /* worker per file */
	struct pid_io *last;   /* last counters read per worker: kept when it is gone */
	struct io_sample first, prev, cur;
	bool sampled;
};

static const char *const io_keys[] = { "path", "workers", "mode", "block_size", "file_size",
				       NULL };

static void io_free(struct fault *f)
{
	struct io_fault *io = f->priv;

	if (!io)
		return;
	stress_fini(&io->s);
	free(io->path);
	free(io->wpid);
	free(io->last);
	free(io);
	f->priv = NULL;
}

static int io_parse(struct fault *f, const json_t *spec, const char *path, struct vctx *v)
{
	char kpath[VPATH_MAX];
	struct io_fault *io;
	const char *p = NULL, *mode = NULL;
	int r = 0, rb, rf;

	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	f->priv = io;
	f->tick_ns = STRESS_TICK_NS;
	io->workers = 1;
	io->block = BLOCK_DEFAULT;
	io->file_size = FILE_DEFAULT;
	if (stress_v_path(v, spec, "path", path, true, &p) < 0)
		r = -EINVAL;
	else if (!(io->path = strdup(p)))
		r = -ENOMEM;
	if (v_uint(v, spec, "workers", path, false, 1, WORKERS_MAX, &io->workers) < 0)
		r = -EINVAL;
	if (v_string(v, spec, "mode", path, false, &mode) < 0) {
		r = -EINVAL;
	} else if (mode) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(mode_names); i++)
			if (strcmp(mode, mode_names[i]) == 0)
				break;
		if (i == ARRAY_SIZE(mode_names)) {
			verr(v, vpath_key(kpath, path, "mode"),
			     "must be \"write\", \"read\" or \"mixed\"");
			r = -EINVAL;
		} else {
			io->mode = (enum io_mode)i;
		}
	}
	rb = v_size(v, spec, "block_size", path, false, &io->block);
	if (rb < 0) {
		r = -EINVAL;
	} else if (io->block < BLOCK_MIN || io->block > BLOCK_MAX || io->block % 4096) {
		verr(v, vpath_key(kpath, path, "block_size"),
		     "must be 4KiB..64MiB and a multiple of 4096 bytes");
		r = -EINVAL;
		rb = -1;
	}
	rf = v_size(v, spec, "file_size", path, false, &io->file_size);
	if (rf < 0) {
		r = -EINVAL;
	} else if (io->file_size > FILE_MAX) {
		verr(v, vpath_key(kpath, path, "file_size"), "must be at most 1TiB");
		r = -EINVAL;
	} else if (rb >= 0 && io->file_size < io->block) {
		verr(v, vpath_key(kpath, path, "file_size"), "must be at least 'block_size'");
		r = -EINVAL;
	}
	/* Whole blocks only. */
	io->file_size -= io->file_size % io->block;
	if (r < 0)
		io_free(f);
	return r;
}

static int io_plan(struct fault *f, const struct fault_env *env, char *err, size_t errlen)
{
	struct io_fault *io = f->priv;
	char need[32], a[32], fl[32];
	struct fs_space fs;
	uint64_t floor, total;
	bool state_fs;
	int r;

	if (!io)
		return -EINVAL;
	r = stress_check_dir(io->path, err, errlen);
	if (r < 0)
		return r;
	r = stress_fs_space(io->path, &fs);
	if (r < 0) {
		snprintf(err, errlen, "cannot read the free space of '%s': %s", io->path,
			 strerror(-r));
		return r;
	}
	/* The files are space taken too: the floor of disk.fill applies. */
	floor = stress_floor_bytes(&fs, STRESS_STATE_FLOOR_PERCENT, env ? env->state_dir : NULL,
				   &state_fs);
	total = io->workers * io->file_size;
	if (fs.avail < floor || total > fs.avail - floor) {
		stress_fmt_bytes(total, need, sizeof(need));
		stress_fmt_bytes(fs.avail, a, sizeof(a));
		stress_fmt_bytes(floor, fl, sizeof(fl));
		snprintf(err, errlen, "'%s' needs %s for its files under '%s', which has %s free "
			 "and keeps a floor of %s", f->name, need, io->path, a, fl);
		return -ENOSPC;
	}
	r = stress_plan(&io->s, f, false, err, errlen);
	for (uint64_t i = 0; r >= 0 && i < io->workers; i++)
		r = stress_add_file(&io->s, io->path, "io", (int)i, err, errlen);
	if (r < 0)
		return r;
	free(io->wpid);
	free(io->last);
	io->wpid = calloc(io->workers, sizeof(*io->wpid));
	io->last = calloc(io->workers, sizeof(*io->last));
	return io->wpid && io->last ? 0 : -ENOMEM;
}

static json_t *io_claims(const struct fault *f)
{
	return json_array();
}

static json_t *io_undo(const struct fault *f)
{
	const struct io_fault *io = f->priv;

	return io ? stress_undo(&io->s, "io.stress") : NULL;
}

static void sample(struct io_fault *io)
{
	struct io_sample s = { .mono = now_mono() };

	for (uint64_t i = 0; i < io->workers; i++) {
		struct pid_io x;

		if (io->wpid[i] && stress_pid_io(io->wpid[i], &x) == 0)
			io->last[i] = x;
		s.rd += io->last[i].read_bytes;
		s.wr += io->last[i].write_bytes;
		s.sys += io->last[i].rchar + io->last[i].wchar;
	}
	if (!io->sampled) {
		io->first = io->prev = s;
		io->sampled = true;
	} else if (s.mono - io->cur.mono >= NSEC_PER_SEC / 2) {
		io->prev = io->cur; /* the rate spans at least half a second */
	}
	io->cur = s;
}

static int io_apply(struct fault *f, const struct fault_env *env, char *err, size_t errlen)
{
	struct io_fault *io = f->priv;
	char fsz[24], bsz[24];
	int r;

	if (!io || io->s.nfiles != io->workers) {
		snprintf(err, errlen, "'%s' was not planned", f->name);
		return -EINVAL;
	}
	r = stress_begin(&io->s, err, errlen);
	if (r < 0)
		return r;
	snprintf(fsz, sizeof(fsz), "%" PRIu64, io->file_size);
	snprintf(bsz, sizeof(bsz), "%" PRIu64, io->block);
	for (uint64_t i = 0; i < io->workers; i++) {
		const char *args[] = { "--file",       io->s.files[i],
				       "--file-size",  fsz,
				       "--block-size", bsz,
				       "--mode",       mode_names[io->mode],
				       "--direct",     NULL,
				       NULL };
		int fd = stress_create_file(&io->s, i, err, errlen), dfd;

		if (fd < 0)
			return fd;
		/* Reserve the space now, so the floor check of plan holds. */
		if (fallocate(fd, 0, 0, (off_t)io->file_size) < 0 &&
		    (errno == ENOSPC || ftruncate(fd, (off_t)io->file_size) < 0)) {
			r = -errno;
			snprintf(err, errlen, "cannot allocate '%s': %s", io->s.files[i],
				 strerror(-r));
			close(fd);
			return r;
		}
		close(fd);
		if (i == 0) {
			dfd = open(io->s.files[i], O_RDWR | O_DIRECT | O_NOFOLLOW | O_CLOEXEC);
			io->direct = dfd >= 0;
			if (dfd >= 0)
				close(dfd);
		}
		args[9] = io->direct ? "1" : "0";
		r = stress_spawn(&io->s, "io", args, err, errlen);
		if (r < 0)
			return r;
		io->wpid[i] = io->s.pids[io->s.npids - 1];
	}
	io->sampled = false;
	memset(io->last, 0, io->workers * sizeof(*io->last));
	sample(io);
	return 0;
}

static int io_tick(struct fault *f, const struct fault_env *env)
{
	struct io_fault *io = f->priv;

	if (io && io->s.active) {
		stress_poll(&io->s);
		sample(io);
	}
	return 0;
}

static int io_revert(struct fault *f, char *err, size_t errlen)
{
	struct io_fault *io = f->priv;

	if (!io)
		return 0;
	if (io->s.active && io->sampled)
		sample(io);
	return stress_stop(&io->s, err, errlen);
}

static json_t *rate(uint64_t a, uint64_t b, uint64_t t0, uint64_t t1)
{
	if (t1 <= t0 || b < a)
		return json_null();
	return json_integer((json_int_t)llround((double)(b - a) * 1e9 / (double)(t1 - t0)));
}

static json_t *io_status(const struct fault *f)
{
	struct io_fault *io = f->priv;
	json_t *o;

	if (!io)
		return NULL;
	if (io->s.active && io->sampled)
		sample(io);
	o = stress_status(&io->s);
	if (!o)
		return NULL;
	json_object_set_new(o, "path", json_string(io->path));
	json_object_set_new(o, "mode", json_string(mode_names[io->mode]));
	json_object_set_new(o, "block_size", json_integer((json_int_t)io->block));
	json_object_set_new(o, "file_size", json_integer((json_int_t)io->file_size));
	json_object_set_new(o, "direct", json_boolean(io->direct));
	if (!io->sampled)
		return o;
	json_object_set_new(o, "read_bytes", json_integer((json_int_t)(io->cur.rd - io->first.rd)));
	json_object_set_new(o, "write_bytes",
			    json_integer((json_int_t)(io->cur.wr - io->first.wr)));
	json_object_set_new(o, "syscall_bytes",
			    json_integer((json_int_t)(io->cur.sys - io->first.sys)));
	json_object_set_new(o, "throughput_bytes_per_s",
			    rate(io->prev.rd + io->prev.wr, io->cur.rd + io->cur.wr, io->prev.mono,
				 io->cur.mono));
	json_object_set_new(o, "mean_throughput_bytes_per_s",
			    rate(io->first.rd + io->first.wr, io->cur.rd + io->cur.wr,
				 io->first.mono, io->cur.mono));
	return o;
}

const struct fault_ops fault_io_stress_ops = {
	.kind = "io.stress",
	.parse = io_parse,
	.keys = io_keys,
	.plan = io_plan,
	.claims = io_claims,
	.undo = io_undo,
	.apply = io_apply,
	.tick = io_tick,
	.revert = io_revert,
	.recover = stress_recover,
	.status = io_status,
	.free = io_free,
};

/* ---- the worker -------------------------------------------------------------------------- */

static int open_file(const char *file, bool direct)
{
	return open(file, O_RDWR | O_NOFOLLOW | O_CLOEXEC | (direct ? O_DIRECT : 0));
}

/* One block at off; a refusal of O_DIRECT (EINVAL) switches to buffered IO for good. */
static int do_io(int *fd, const char *file, bool *direct, bool write, void *buf, size_t len,
		 off_t off)
{
	for (;;) {
		ssize_t n = write ? pwrite(*fd, buf, len, off) : pread(*fd, buf, len, off);

		if (n >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EINVAL && *direct) {
			int nfd = open_file(file, false);

			if (nfd < 0)
				return -errno;
			close(*fd);
			*fd = nfd;
			*direct = false;
			continue;
		}
		return -errno;
	}
}

int io_worker_main(int argc, char **argv)
{
	const char *file = stress_arg(argc, argv, "--file"), *m = stress_arg(argc, argv, "--mode");
	uint64_t fsize, bs, direct_arg = 0, nblocks, unsynced = 0;
	struct timespec nap = { 0, 100 * 1000 * 1000 };
	bool direct, rd, mixed;
	void *buf = NULL;
	int fd;

	if (!file || !m || stress_arg_u64(argc, argv, "--file-size", &fsize) < 0 ||
	    stress_arg_u64(argc, argv, "--block-size", &bs) < 0 ||
	    stress_arg_u64(argc, argv, "--direct", &direct_arg) < 0 || !bs || fsize < bs)
		return 2;
	rd = strcmp(m, "read") == 0;
	mixed = strcmp(m, "mixed") == 0;
	direct = direct_arg != 0;
	nblocks = fsize / bs;
	if (posix_memalign(&buf, 4096, (size_t)bs) != 0) {
		fprintf(stderr, "faultline-io: out of memory\n");
		return 1;
	}
	/* Incompressible data: no device or filesystem gets to shortcut the writes. */
	for (size_t o = 0; o < bs; o += 256)
		(void)!getrandom((char *)buf + o, bs - o < 256 ? bs - o : 256, 0);
	fd = open_file(file, direct);
	if (fd < 0 && direct) {
		direct = false;
		fd = open_file(file, false);
	}
	if (fd < 0) {
		fprintf(stderr, "faultline-io: cannot open '%s': %s\n", file, strerror(errno));
		return 1;
	}
	/* Reads need blocks that hold data: an unwritten extent reads as zeros with no IO. */
	for (uint64_t b = 0; (rd || mixed) && b < nblocks; b++) {
		if (do_io(&fd, file, &direct, true, buf, (size_t)bs, (off_t)(b * bs)) < 0)
			break;
	}
	if ((rd || mixed) && !direct)
		fdatasync(fd);
	for (uint64_t i = 0;; i++) {
		uint64_t b = i % nblocks;
		bool w = mixed ? (i & 1) == 0 : !rd;
		int r;

		if (b == 0 && !direct && i)
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		r = do_io(&fd, file, &direct, w, buf, (size_t)bs, (off_t)(b * bs));
		if (r < 0) {
			/* Out of space or a device error: keep trying, gently. */
			nanosleep(&nap, NULL);
			continue;
		}
		if (w && !direct) {
			unsynced += bs;
			if (unsynced >= SYNC_EVERY) {
				fdatasync(fd);
				unsynced = 0;
			}
		}
	}
	return 0;
}
