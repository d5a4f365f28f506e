// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

#include "cgroup.h"
#include "util.h"

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		r = -errno;
	close(fd);
	return r;
}

static int join(char *buf, size_t len, const char *a, const char *b)
{
	if ((size_t)snprintf(buf, len, "%s/%s", a, b) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static bool has_word(const char *list, const char *word, char sep)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

static void set_path(char *dst, const char *src)
{
	snprintf(dst, CG_PATH_MAX, "%s", src);
}

int cg_layout_detect(struct cg_layout *l)
{
	char *text = NULL, *line, *save = NULL;
	char buf[CG_PATH_MAX];
	int r;

	memset(l, 0, sizeof(*l));
	r = read_file("/proc/self/mountinfo", 4 << 20, &text, NULL);
	if (r < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[6], *dash, *fstype, *opts, *p = line;
		size_t i;

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
		for (i = 0; i < 6 && p; i++) {
			f[i] = p;
			p = strchr(p, ' ');
			if (p)
				*p++ = '\0';
		}
		if (i < 6 || !p)
			continue;
		dash = strstr(p, "- ");
		if (!dash)
			continue;
		fstype = dash + 2;
		p = strchr(fstype, ' ');
		if (!p)
			continue;
		*p++ = '\0';
		p = strchr(p, ' '); /* skip SOURCE */
		opts = p ? p + 1 : "";
		/* A bind mount of a sub-tree, or an escaped path: not a hierarchy root for us. */
		if (strcmp(f[3], "/") != 0 || strchr(f[4], '\\') || strlen(f[4]) >= CG_PATH_MAX)
			continue;
		if (strcmp(fstype, "cgroup2") == 0) {
			if (!l->v2[0])
				set_path(l->v2, f[4]);
		} else if (strcmp(fstype, "cgroup") == 0) {
			if (has_word(opts, "memory", ',') && !l->mem_v1[0])
				set_path(l->mem_v1, f[4]);
			if (has_word(opts, "pids", ',') || !l->any_v1[0])
				set_path(l->any_v1, f[4]);
		}
	}
	free(text);
	if (l->v2[0]) {
		char *ctl = NULL;

		if (join(buf, sizeof(buf), l->v2, "cgroup.controllers") == 0 &&
		    read_file(buf, 4096, &ctl, NULL) == 0) {
			char *nl = strchr(ctl, '\n');

			if (nl)
				*nl = '\0';
			l->mem_v2 = has_word(ctl, "memory", ' ');
		}
		free(ctl);
	}
	if (l->mem_v2)
		l->mem_v1[0] = '\0';
	return l->v2[0] || l->any_v1[0] ? 0 : -ENOENT;
}

static int set_dir(struct cg *g, size_t i, const char *mount, const char *name)
{
	if ((size_t)snprintf(g->dir[i], CG_PATH_MAX, "%s/%s/%s", mount, CG_PARENT, name) >=
	    CG_PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

int cg_plan(const struct cg_layout *l, const char *name, bool want_memory, struct cg *g,
	    char *err, size_t errlen)
{
	const char *track = l->v2[0] ? l->v2 : l->any_v1;
	int r;

	memset(g, 0, sizeof(*g));
	g->mem = -1;
	if (!name || !*name || strchr(name, '/') || name[0] == '.') {
		snprintf(err, errlen, "invalid cgroup name '%s'", name ? name : "");
		return -EINVAL;
	}
	if (!track[0]) {
		snprintf(err, errlen, "no cgroup hierarchy is mounted");
		return -EOPNOTSUPP;
	}
	r = set_dir(g, g->n++, track, name);
	if (r < 0)
		goto toolong;
	if (!want_memory)
		return 0;
	if (l->mem_v2 && l->v2[0]) {
		g->mem = 0;
		g->mem_v2 = true;
	} else if (l->mem_v1[0]) {
		if (strcmp(l->mem_v1, track) == 0) {
			g->mem = 0;
		} else {
			g->mem = (int)g->n;
			r = set_dir(g, g->n++, l->mem_v1, name);
			if (r < 0)
				goto toolong;
		}
	} else {
		snprintf(err, errlen, "no cgroup hierarchy has the memory controller");
		return -EOPNOTSUPP;
	}
	return 0;
toolong:
	snprintf(err, errlen, "cgroup path for '%s' is too long", name);
	return r;
}

static void parent_of(const char *dir, char *out)
{
	char *slash;

	set_path(out, dir);
	slash = strrchr(out, '/');
	if (slash && slash != out)
		*slash = '\0';
}

int cg_create(const struct cg *g, char *err, size_t errlen)
{
	char parent[CG_PATH_MAX], mount[CG_PATH_MAX], buf[CG_PATH_MAX];
	int r = 0;

	for (size_t i = 0; i < g->n; i++) {
		bool enable_mem = g->mem_v2 && (int)i == g->mem;
		int tries = 0;

		parent_of(g->dir[i], parent);
		parent_of(parent, mount);
again:
		if (mkdir(parent, 0755) < 0 && errno != EEXIST) {
			r = -errno;
			snprintf(err, errlen, "cannot create cgroup '%s': %s", parent,
				 strerror(-r));
			return r;
		}
		if (enable_mem) {
			/* Needed in both for memory.* files to appear in our leaf. */
			join(buf, sizeof(buf), mount, "cgroup.subtree_control");
			r = write_str(buf, "+memory");
			if (r == 0) {
				join(buf, sizeof(buf), parent, "cgroup.subtree_control");
				r = write_str(buf, "+memory");
			}
			if (r < 0) {
				snprintf(err, errlen,
					 "cannot enable the memory controller in '%s': %s", buf,
					 strerror(-r));
				return r;
			}
		}
		if (mkdir(g->dir[i], 0755) < 0 && errno != EEXIST) {
			r = -errno;
			/* Another agent removed the empty parent between our two mkdirs. */
			if (r == -ENOENT && ++tries < 5)
				goto again;
			snprintf(err, errlen, "cannot create cgroup '%s': %s", g->dir[i],
				 strerror(-r));
			return r;
		}
	}
	return 0;
}

int cg_set_memory_limit(const struct cg *g, uint64_t bytes, char *err, size_t errlen)
{
	char path[CG_PATH_MAX], val[32];
	const char *dir;
	int r;

	if (g->mem < 0) {
		snprintf(err, errlen, "no memory cgroup was planned");
		return -EINVAL;
	}
	dir = g->dir[g->mem];
	snprintf(val, sizeof(val), "%" PRIu64, bytes);
	join(path, sizeof(path), dir, g->mem_v2 ? "memory.max" : "memory.limit_in_bytes");
	r = write_str(path, val);
	if (r < 0) {
		snprintf(err, errlen, "cannot write '%s' to '%s': %s", val, path, strerror(-r));
		return r;
	}
	/*
	 * Swapping would make the stressor's resident size a lie and let it escape its limit:
	 * no swap for this cgroup.  Optional files (no swap accounting): best effort.
	 */
	if (g->mem_v2) {
		join(path, sizeof(path), dir, "memory.swap.max");
		write_str(path, "0");
	} else {
		join(path, sizeof(path), dir, "memory.memsw.limit_in_bytes");
		if (write_str(path, val) < 0) {
			join(path, sizeof(path), dir, "memory.swappiness");
			write_str(path, "0");
		}
	}
	return 0;
}

int cg_memory_current(const struct cg *g, uint64_t *bytes)
{
	char path[CG_PATH_MAX], *text = NULL;
	int r;

	if (g->mem < 0)
		return -EINVAL;
	join(path, sizeof(path), g->dir[g->mem],
	     g->mem_v2 ? "memory.current" : "memory.usage_in_bytes");
	r = read_file(path, 64, &text, NULL);
	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = '\0';
	r = parse_u64(text, bytes);
	free(text);
	return r;
}

int cg_pids(const char *dir, pid_t **out, size_t *n)
{
	char path[CG_PATH_MAX], *text = NULL, *line, *save = NULL;
	pid_t *v = NULL;
	size_t cnt = 0, cap = 0;
	int r;

	*out = NULL;
	*n = 0;
	r = join(path, sizeof(path), dir, "cgroup.procs");
	if (r < 0)
		return r;
	r = read_file(path, 16 << 20, &text, NULL);
	if (r < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int pid;

		if (parse_int(line, &pid) < 0 || pid <= 0)
			continue;
		if (cnt == cap) {
			pid_t *nv = realloc(v, (cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv) {
				r = -ENOMEM;
				goto out;
			}
			v = nv;
			cap = cap ? cap * 2 : 16;
		}
		v[cnt++] = pid;
	}
	*out = v;
	*n = cnt;
	v = NULL;
out:
	free(v);
	free(text);
	return r;
}

bool cg_is_ours(const char *dir)
{
	char buf[CG_PATH_MAX], mount[CG_PATH_MAX], above[CG_PATH_MAX];
	const char *name, *pname;
	struct statfs sfs;
	char *slash;

	if (!dir || dir[0] != '/' || strlen(dir) >= CG_PATH_MAX || strstr(dir, "//") ||
	    strstr(dir, "/./") || strstr(dir, "/../"))
		return false;
	set_path(buf, dir);
	slash = strrchr(buf, '/');
	name = slash + 1;
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || slash == buf)
		return false;
	*slash = '\0';
	slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return false;
	pname = slash + 1;
	if (strcmp(pname, CG_PARENT) != 0)
		return false;
	*slash = '\0';
	set_path(mount, buf);
	/* MOUNT is a cgroup hierarchy's root: on a cgroup fs whose parent directory is not. */
	if (statfs(mount, &sfs) < 0 ||
	    (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC))
		return false;
	parent_of(mount, above);
	if (strcmp(above, mount) == 0 || statfs(above, &sfs) < 0 ||
	    sfs.f_type == CGROUP_SUPER_MAGIC || sfs.f_type == CGROUP2_SUPER_MAGIC)
		return false;
	return true;
}

static int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/*
 * SIGKILL pid if it is still in our cgroup named rel ("/faultline/NAME"): the pidfd pins the
 * process, and the membership is checked after it is opened, so a recycled pid is never hit.
 */
static void kill_member(pid_t pid, const char *rel)
{
	char path[64], needle[CG_PATH_MAX + 2], *text = NULL;
	int fd = sys_pidfd_open(pid);

	if (fd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	snprintf(needle, sizeof(needle), ":%s\n", rel);
	if (read_file(path, 1 << 16, &text, NULL) == 0 && strstr(text, needle))
		syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
	free(text);
	close(fd);
}

int cg_destroy(const char *dir, uint64_t timeout_ns, char *err, size_t errlen)
{
	struct timespec nap = { 0, 2 * 1000 * 1000 };
	uint64_t deadline = now_mono() + timeout_ns;
	char path[CG_PATH_MAX], parent[CG_PATH_MAX], rel[CG_PATH_MAX];
	bool use_kill;
	pid_t *pids = NULL;
	size_t n = 0;
	int r;

	if (!cg_is_ours(dir)) {
		snprintf(err, errlen, "'%s' is not a faultline cgroup", dir ? dir : "");
		return -EINVAL;
	}
	parent_of(dir, parent);
	snprintf(rel, sizeof(rel), "/%s/%s", CG_PARENT, strrchr(dir, '/') + 1);
	join(path, sizeof(path), dir, "cgroup.kill");
	use_kill = access(path, F_OK) == 0;
	if (use_kill && write_str(path, "1") < 0)
		use_kill = false;
	for (;;) {
		r = cg_pids(dir, &pids, &n);
		if (r == -ENOENT)
			goto parent;
		if (r < 0) {
			snprintf(err, errlen, "cannot list the processes of '%s': %s", dir,
				 strerror(-r));
			return r;
		}
		if (!n)
			break;
		/* Without cgroup.kill, signal each member, again every round (forks race us). */
		for (size_t i = 0; !use_kill && i < n; i++)
			kill_member(pids[i], rel);
		free(pids);
		pids = NULL;
		if (now_mono() >= deadline) {
			snprintf(err, errlen, "%zu process(es) still in '%s' after SIGKILL", n,
				 dir);
			return -EBUSY;
		}
		nanosleep(&nap, NULL);
	}
	free(pids);
	for (;;) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			break;
		r = -errno;
		/* EBUSY while the last exiting task leaves. */
		if (r != -EBUSY || now_mono() >= deadline) {
			snprintf(err, errlen, "cannot remove cgroup '%s': %s", dir, strerror(-r));
			return r;
		}
		nanosleep(&nap, NULL);
	}
parent:
	/* Shared by every fault: it goes once the last one has; busy or gone is fine. */
	rmdir(parent);
	return 0;
}
