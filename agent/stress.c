// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include "crashpoint.h"
#include "spawn.h"
#include "stress.h"
#include "util.h"

/* A worker that does not go within this long after SIGKILL is stuck in the kernel. */
#define STOP_TIMEOUT_NS (5ULL * NSEC_PER_SEC)
#define STRESS_PATH_MAX 3072

/* ---- lifecycle ------------------------------------------------------------------------- */

static void files_free(struct stress *s)
{
	for (size_t i = 0; i < s->nfiles; i++)
		free(s->files[i]);
	free(s->files);
	free(s->made);
	s->files = NULL;
	s->made = NULL;
	s->nfiles = 0;
}

void stress_fini(struct stress *s)
{
	if (!s)
		return;
	files_free(s);
	free(s->pids);
	s->pids = NULL;
	s->npids = 0;
}

int stress_plan(struct stress *s, const struct fault *f, bool want_memory, char *err,
		size_t errlen)
{
	struct cg_layout l;
	char rnd[13];
	int r;

	files_free(s);
	if (f->run_id) {
		r = snprintf(s->id, sizeof(s->id), "%s-%s", f->run_id, f->name);
	} else {
		/* No run (unit tests, dry runs from elsewhere): any unique id will do. */
		random_hex(rnd, 6);
		r = snprintf(s->id, sizeof(s->id), "%s-%s", rnd, f->name);
	}
	if (r < 0 || (size_t)r >= sizeof(s->id)) {
		snprintf(err, errlen, "the name of '%s' is too long", f->name);
		return -ENAMETOOLONG;
	}
	r = cg_layout_detect(&l);
	if (r < 0) {
		snprintf(err, errlen, "no cgroup hierarchy is mounted; stressors run only in "
				      "cgroups of their own");
		return -EOPNOTSUPP;
	}
	return cg_plan(&l, s->id, want_memory, &s->cg, err, errlen);
}

int stress_add_file(struct stress *s, const char *dir, const char *what, int idx, char *err,
		    size_t errlen)
{
	char path[PATH_MAX], **nf;
	bool *nm;
	int n;

	if (idx < 0)
		n = snprintf(path, sizeof(path), "%s/" STRESS_FILE_PREFIX "%s-%s", dir, what,
			     s->id);
	else
		n = snprintf(path, sizeof(path), "%s/" STRESS_FILE_PREFIX "%s-%s-%d", dir, what,
			     s->id, idx);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "path under '%s' is too long", dir);
		return -ENAMETOOLONG;
	}
	nf = realloc(s->files, (s->nfiles + 1) * sizeof(*nf));
	if (!nf)
		goto nomem;
	s->files = nf;
	nm = realloc(s->made, (s->nfiles + 1) * sizeof(*nm));
	if (!nm)
		goto nomem;
	s->made = nm;
	s->files[s->nfiles] = strdup(path);
	if (!s->files[s->nfiles])
		goto nomem;
	s->made[s->nfiles] = false;
	return (int)s->nfiles++;
nomem:
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

json_t *stress_undo(const struct stress *s, const char *kind)
{
	json_t *cgs = json_array(), *files = json_array();

	if (!cgs || !files)
		goto fail;
	for (size_t i = 0; i < s->cg.n; i++)
		if (json_array_append_new(cgs, json_string(s->cg.dir[i])) < 0)
			goto fail;
	for (size_t i = 0; i < s->nfiles; i++)
		if (json_array_append_new(files, json_string(s->files[i])) < 0)
			goto fail;
	return json_pack("{s:s, s:o, s:o}", "kind", kind, "cgroups", cgs, "files", files);
fail:
	json_decref(cgs);
	json_decref(files);
	return NULL;
}

int stress_begin(struct stress *s, char *err, size_t errlen)
{
	int r;

	s->active = true;
	s->applied_mono = now_mono();
	s->ended[0] = '\0';
	r = cg_create(&s->cg, err, errlen);
	crashpoint("apply-mid");
	return r;
}

int stress_create_file(struct stress *s, size_t i, char *err, size_t errlen)
{
	int fd;

	if (i >= s->nfiles)
		return -EINVAL;
	fd = open(s->files[i], O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int r = -errno;

		snprintf(err, errlen, "cannot create '%s': %s", s->files[i], strerror(-r));
		return r;
	}
	s->made[i] = true;
	return fd;
}

int stress_spawn(struct stress *s, const char *kind, const char *const *args, char *err,
		 size_t errlen)
{
	const char *cgs[CG_MAX + 1] = { NULL };
	char comm[32], ppid[24];
	const char **argv = NULL;
	size_t nargs = 0, k = 0;
	pid_t pid, *np;
	int r;

	while (args && args[nargs])
		nargs++;
	argv = calloc(nargs + 6, sizeof(*argv));
	np = realloc(s->pids, (s->npids + 1) * sizeof(*np));
	if (!argv || !np) {
		free(argv);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->pids = np;
	snprintf(comm, sizeof(comm), "faultline-%s", kind);
	snprintf(ppid, sizeof(ppid), "%d", (int)getpid());
	argv[k++] = comm;
	argv[k++] = STRESS_WORKER_ARG;
	argv[k++] = kind;
	argv[k++] = "--parent";
	argv[k++] = ppid;
	for (size_t i = 0; i < nargs; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	for (size_t i = 0; i < s->cg.n; i++)
		cgs[i] = s->cg.dir[i];
	{
		struct spawn_opts o = {
			.path = "/proc/self/exe",
			.argv = (char *const *)argv,
			.cgroups = cgs,
			.pdeath_signal = SIGKILL,
		};

		r = spawn(&o, &pid, err, errlen);
	}
	free(argv);
	if (r < 0)
		return r;
	s->pids[s->npids++] = pid;
	s->spawned++;
	crashpoint("apply-mid");
	return 0;
}

static void drop_pid(struct stress *s, size_t i)
{
	s->pids[i] = s->pids[--s->npids];
}

size_t stress_poll(struct stress *s)
{
	for (size_t i = 0; i < s->npids;) {
		char why[64];
		int st;

		if (waitpid(s->pids[i], &st, WNOHANG) != s->pids[i]) {
			i++;
			continue;
		}
		spawn_describe_status(st, why, sizeof(why));
		if (!s->ended[0])
			snprintf(s->ended, sizeof(s->ended), "worker %d %s", (int)s->pids[i], why);
		drop_pid(s, i);
	}
	return s->npids;
}

int stress_stop(struct stress *s, char *err, size_t errlen)
{
	char e[256];
	int r = 0, rc;

	/* The tracking cgroup first: killing it kills every worker, even ones we never saw. */
	for (size_t i = 0; i < s->cg.n; i++) {
		rc = cg_destroy(s->cg.dir[i], STOP_TIMEOUT_NS, e, sizeof(e));
		if (rc < 0 && !r) {
			snprintf(err, errlen, "%s", e);
			r = rc;
		}
	}
	crashpoint("revert-mid");
	/* Our unreaped children: their pids cannot have been recycled, so a kill is safe. */
	for (size_t i = 0; i < s->npids;) {
		kill(s->pids[i], SIGKILL);
		rc = spawn_reap(s->pids[i], STOP_TIMEOUT_NS, NULL);
		if (rc == -ETIMEDOUT) {
			if (!r) {
				snprintf(err, errlen, "worker %d did not end after SIGKILL",
					 (int)s->pids[i]);
				r = rc;
			}
			i++;
			continue;
		}
		drop_pid(s, i);
	}
	for (size_t i = 0; i < s->nfiles; i++) {
		if (!s->made[i])
			continue;
		rc = unlink_durable(s->files[i]);
		if (rc < 0) {
			if (!r) {
				snprintf(err, errlen, "cannot delete '%s': %s", s->files[i],
					 strerror(-rc));
				r = rc;
			}
			continue;
		}
		s->made[i] = false;
	}
	if (!r)
		s->active = false;
	return r;
}

/* DIR/.faultline-*: the only files recovery may delete. */
static bool file_is_ours(const char *path)
{
	const char *base = strrchr(path, '/');

	return path[0] == '/' && base && !strstr(path, "/../") && !strstr(path, "/./") &&
	       strncmp(base + 1, STRESS_FILE_PREFIX, strlen(STRESS_FILE_PREFIX)) == 0 &&
	       !strchr(base + 1 + strlen(STRESS_FILE_PREFIX), '/');
}

static int recover_file(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int r;

	if (!file_is_ours(path)) {
		snprintf(err, errlen, "refusing to delete '%s': not a faultline file name", path);
		return -EINVAL;
	}
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		snprintf(err, errlen, "cannot stat '%s': %s", path, strerror(-r));
		return r;
	}
	/* The name holds a random run id; a root-owned regular file of that name is ours. */
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(err, errlen, "refusing to delete '%s': not a regular file owned by uid %d",
			 path, (int)geteuid());
		return -EPERM;
	}
	r = unlink_durable(path);
	if (r < 0)
		snprintf(err, errlen, "cannot delete '%s': %s", path, strerror(-r));
	return r;
}

int stress_recover(const json_t *undo, char *err, size_t errlen)
{
	const json_t *cgs = json_object_get(undo, "cgroups");
	const json_t *files = json_object_get(undo, "files");
	const json_t *j;
	char e[512];
	size_t i;
	int r = 0, rc;

	if ((cgs && !json_is_array(cgs)) || (files && !json_is_array(files))) {
		snprintf(err, errlen, "stressor undo record: 'cgroups' and 'files' must be arrays");
		return -EINVAL;
	}
	json_array_foreach(cgs, i, j) {
		const char *dir = json_string_value(j);

		/* Gone already (or a hierarchy that is no longer mounted): nothing to remove. */
		if (dir && access(dir, F_OK) < 0 && errno == ENOENT)
			continue;
		if (!dir || !cg_is_ours(dir)) {
			rc = -EINVAL;
			snprintf(e, sizeof(e), "refusing to remove '%s': not a faultline cgroup",
				 dir ? dir : "?");
		} else {
			rc = cg_destroy(dir, STOP_TIMEOUT_NS, e, sizeof(e));
		}
		if (rc < 0 && !r) {
			snprintf(err, errlen, "%s", e);
			r = rc;
		}
	}
	json_array_foreach(files, i, j) {
		const char *path = json_string_value(j);

		rc = path ? recover_file(path, e, sizeof(e)) : -EINVAL;
		if (!path)
			snprintf(e, sizeof(e), "stressor undo record: file %zu is not a string", i);
		if (rc < 0 && !r) {
			snprintf(err, errlen, "%s", e);
			r = rc;
		}
	}
	return r;
}

json_t *stress_status(const struct stress *s)
{
	json_t *o, *pids = json_array();

	if (!pids)
		return NULL;
	for (size_t i = 0; i < s->npids; i++)
		json_array_append_new(pids, json_integer(s->pids[i]));
	o = json_pack("{s:s, s:o}", "cgroup", s->cg.n ? s->cg.dir[0] : "", "workers", pids);
	if (o && s->ended[0])
		json_object_set_new(o, "ended", json_string(s->ended));
	return o;
}

/* ---- validation -------------------------------------------------------------------------- */

int stress_v_path(struct vctx *v, const json_t *spec, const char *key, const char *path,
		  bool req, const char **out)
{
	char kpath[VPATH_MAX];
	const json_t *j;
	int r;

	r = v_string(v, spec, key, path, req, out);
	if (r <= 0)
		return r;
	vpath_key(kpath, path, key);
	j = json_object_get(spec, key);
	if (strlen(*out) != json_string_length(j)) {
		verr(v, kpath, "must not contain NUL characters");
		return -1;
	}
	if ((*out)[0] != '/') {
		verr(v, kpath, "'%s' is not an absolute path", *out);
		return -1;
	}
	if (strlen(*out) > STRESS_PATH_MAX) {
		verr(v, kpath, "path is too long");
		return -1;
	}
	return 1;
}

int stress_check_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		int r = -errno;

		snprintf(err, errlen, "'%s': %s", path, strerror(-r));
		return r;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "'%s' is not a directory", path);
		return -ENOTDIR;
	}
	return 0;
}

/* ---- measurements ------------------------------------------------------------------------ */

int stress_read_cpu(struct cpu_sample *v, size_t max, size_t *n)
{
	char *text = NULL, *line, *save = NULL;
	size_t hi = 0;
	int r;

	r = read_file("/proc/stat", 1 << 22, &text, NULL);
	if (r < 0)
		return r;
	memset(v, 0, max * sizeof(*v));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long f[8] = { 0 };
		size_t idx;
		char *p;

		if (strncmp(line, "cpu", 3) != 0)
			break; /* the cpu lines come first */
		p = line + 3;
		if (*p == ' ') {
			idx = 0;
		} else {
			char *end;
			unsigned long c = strtoul(p, &end, 10);

			if (end == p || *end != ' ')
				continue;
			idx = (size_t)c + 1;
			p = end;
		}
		if (sscanf(p, "%llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2], &f[3],
			   &f[4], &f[5], &f[6], &f[7]) < 4 || idx >= max)
			continue;
		/* user nice system idle iowait irq softirq steal; guest time is in user. */
		v[idx].total = f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7];
		v[idx].busy = v[idx].total - f[3] - f[4];
		if (idx + 1 > hi)
			hi = idx + 1;
	}
	free(text);
	*n = hi;
	return hi ? 0 : -EIO;
}

int stress_pid_cputime(pid_t pid, uint64_t *ticks)
{
	char path[64], *text = NULL, *p;
	unsigned long long ut, st;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	r = read_file(path, 4096, &text, NULL);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	p = strrchr(text, ')');
	/* After "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	 * utime stime */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &st) != 2) {
		free(text);
		return -EIO;
	}
	free(text);
	*ticks = ut + st;
	return 0;
}

int stress_pid_io(pid_t pid, struct pid_io *io)
{
	char path[64], *text = NULL, *line, *save = NULL;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	r = read_file(path, 4096, &text, NULL);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	memset(io, 0, sizeof(*io));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long x;

		if (sscanf(line, "rchar: %llu", &x) == 1)
			io->rchar = x;
		else if (sscanf(line, "wchar: %llu", &x) == 1)
			io->wchar = x;
		else if (sscanf(line, "read_bytes: %llu", &x) == 1)
			io->read_bytes = x;
		else if (sscanf(line, "write_bytes: %llu", &x) == 1)
			io->write_bytes = x;
	}
	free(text);
	return 0;
}

/* "Key:   123 kB" in a /proc status-like file. */
static int kb_field(const char *path, const char *key, uint64_t *bytes)
{
	char *text = NULL, *p;
	unsigned long long kb;
	size_t klen = strlen(key);
	int r;

	r = read_file(path, 1 << 16, &text, NULL);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	r = -ENOENT;
	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && sscanf(p + klen, " %llu", &kb) == 1) {
			*bytes = (uint64_t)kb * 1024;
			r = 0;
			break;
		}
	}
	free(text);
	return r;
}

int stress_pid_status_bytes(pid_t pid, const char *key, uint64_t *bytes)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	return kb_field(path, key, bytes);
}

int stress_meminfo(uint64_t *total, uint64_t *avail)
{
	int r = kb_field("/proc/meminfo", "MemTotal:", total);

	if (r == 0)
		r = kb_field("/proc/meminfo", "MemAvailable:", avail);
	return r;
}

int stress_fs_space(const char *path, struct fs_space *fs)
{
	struct statvfs sv;
	struct stat st;

	if (statvfs(path, &sv) < 0 || stat(path, &st) < 0)
		return -errno;
	fs->used = (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
	fs->avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	fs->usable = fs->used + fs->avail;
	fs->dev = st.st_dev;
	return 0;
}

double stress_fs_used_percent(const struct fs_space *fs)
{
	return fs->usable ? 100.0 * (double)fs->used / (double)fs->usable : 0;
}

uint64_t stress_floor_bytes(const struct fs_space *fs, double floor_percent, const char *state_dir,
			    bool *state_fs)
{
	struct stat st;
	double pct = floor_percent;

	*state_fs = state_dir && stat(state_dir, &st) == 0 && st.st_dev == fs->dev;
	if (*state_fs && pct < STRESS_STATE_FLOOR_PERCENT)
		pct = STRESS_STATE_FLOOR_PERCENT;
	return (uint64_t)((double)fs->usable * pct / 100.0);
}

void stress_fmt_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double x = (double)bytes;
	int u = -1;
	char *dot;

	while (x >= 1024 && u < 4) {
		x /= 1024;
		u++;
	}
	if (u < 0) {
		snprintf(buf, len, "%" PRIu64 "B", bytes);
		return;
	}
	snprintf(buf, len, "%.1f", x);
	dot = strstr(buf, ".0");
	if (dot && !dot[2])
		*dot = '\0';
	snprintf(buf + strlen(buf), len - strlen(buf), "%s", unit[u]);
}

/* ---- the worker side ------------------------------------------------------------------- */

const char *stress_arg(int argc, char **argv, const char *key)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], key) == 0)
			return argv[i + 1];
	return NULL;
}

int stress_arg_u64(int argc, char **argv, const char *key, uint64_t *out)
{
	const char *s = stress_arg(argc, argv, key);

	if (!s || parse_u64(s, out) < 0) {
		fprintf(stderr, "faultline worker: missing or invalid %s\n", key);
		return -EINVAL;
	}
	return 0;
}

int stress_worker_main(int argc, char **argv)
{
	static const struct {
		const char *kind, *comm;
		int (*main)(int argc, char **argv);
	} kinds[] = {
		{ "cpu", "faultline-cpu", cpu_worker_main },
		{ "memory", "faultline-mem", memory_worker_main },
		{ "disk", "faultline-disk", disk_worker_main },
		{ "io", "faultline-io", io_worker_main },
	};
	uint64_t parent;
	int sig = 0;

	if (argc < 2)
		return 2;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (strcmp(argv[1], kinds[i].kind) != 0)
			continue;
		prctl(PR_SET_NAME, kinds[i].comm);
		if (stress_arg_u64(argc, argv, "--parent", &parent) < 0)
			return 2;
		/* spawn() set it before exec; exec keeps it for us, but never run without it. */
		if (prctl(PR_GET_PDEATHSIG, &sig) < 0 || !sig)
			prctl(PR_SET_PDEATHSIG, SIGKILL);
		if ((uint64_t)getppid() != parent)
			return 1; /* the agent is gone already */
		return kinds[i].main(argc, argv);
	}
	fprintf(stderr, "faultline worker: unknown kind '%s'\n", argv[1]);
	return 2;
}
