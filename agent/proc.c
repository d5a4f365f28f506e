// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "proc.h"
#include "validate.h"
#include "util.h"

#define CMDLINE_MAX (64 * 1024)
#define CGROUP_PROCS_MAX (16 * 1024 * 1024)
#define CGROUP_DEPTH_MAX 32

int proc_match_init(struct proc_match *m, const char *name, const char *cmdline_re, pid_t pid,
		    const char *cgroup, char *err, size_t errlen)
{
	int r = 0, rc;

	memset(m, 0, sizeof(*m));
	m->pid = pid;
	if (name) {
		m->name = strdup(name);
		if (!m->name) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (cgroup) {
		size_t len = strlen(cgroup);

		m->cgroup = strdup(cgroup);
		if (!m->cgroup) {
			r = -ENOMEM;
			goto out;
		}
		/* "/sys/fs/cgroup/a/" and "/sys/fs/cgroup/a" are the same directory. */
		while (len > 1 && m->cgroup[len - 1] == '/')
			m->cgroup[--len] = '\0';
	}
	if (cmdline_re) {
		rc = regcomp(&m->cmdline, cmdline_re, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			if (err)
				regerror(rc, &m->cmdline, err, errlen);
			r = -EINVAL;
			goto out;
		}
		m->cmdline_src = strdup(cmdline_re);
		if (!m->cmdline_src) {
			regfree(&m->cmdline);
			r = -ENOMEM;
			goto out;
		}
	}
out:
	if (r < 0)
		proc_match_fini(m);
	return r;
}

void proc_match_fini(struct proc_match *m)
{
	if (!m)
		return;
	free(m->name);
	if (m->cmdline_src)
		regfree(&m->cmdline);
	free(m->cmdline_src);
	free(m->cgroup);
	memset(m, 0, sizeof(*m));
}

bool proc_match_empty(const struct proc_match *m)
{
	return !m->name && !m->cmdline_src && !m->pid && !m->cgroup;
}

void proc_match_describe(const struct proc_match *m, char *buf, size_t len)
{
	size_t off = 0;
	int n;

	if (!len)
		return;
	buf[0] = '\0';
#define APPEND(...)                                                                     \
	do {                                                                            \
		if (off < len) {                                                        \
			n = snprintf(buf + off, len - off, __VA_ARGS__);                \
			off += n > 0 ? (size_t)n : 0;                                   \
		}                                                                       \
	} while (0)
	if (m->name)
		APPEND("name '%s'", m->name);
	if (m->cmdline_src)
		APPEND("%scmdline '%s'", off ? ", " : "", m->cmdline_src);
	if (m->pid)
		APPEND("%spid %d", off ? ", " : "", (int)m->pid);
	if (m->cgroup)
		APPEND("%scgroup '%s'", off ? ", " : "", m->cgroup);
#undef APPEND
}

/* Read at most cap bytes of a /proc file; a longer file is truncated, not an error. */
static int read_proc_file(const char *path, char *buf, size_t cap, size_t *len)
{
	size_t off = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	while (off < cap) {
		ssize_t n = read(fd, buf + off, cap - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* A process that exits while we read gives ESRCH; keep that meaning. */
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	*len = off;
out:
	close(fd);
	return r;
}

int proc_read_stat(pid_t pid, struct proc_info *info)
{
	char path[64], buf[2048];
	unsigned long long start;
	const char *open_p, *close_p;
	unsigned int flags;
	size_t len = 0, clen;
	int ppid, r;
	char state;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	r = read_proc_file(path, buf, sizeof(buf) - 1, &len);
	if (r < 0)
		return r;
	buf[len] = '\0';
	/* comm may hold spaces and parentheses: it runs from the first '(' to the last ')'. */
	open_p = strchr(buf, '(');
	close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p < open_p)
		return -EBADMSG;
	/* Fields 3..22: state ppid pgrp session tty tpgid flags, 12 skipped, starttime. */
	if (sscanf(close_p + 1,
		   " %c %d %*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &state, &ppid, &flags, &start) != 4)
		return -EBADMSG;
	memset(info, 0, sizeof(*info));
	info->pid = pid;
	info->ppid = (pid_t)ppid;
	info->state = state;
	info->flags = flags;
	info->starttime = (uint64_t)start;
	clen = (size_t)(close_p - open_p - 1);
	if (clen >= sizeof(info->comm))
		clen = sizeof(info->comm) - 1;
	memcpy(info->comm, open_p + 1, clen);
	info->comm[clen] = '\0';
	return 0;
}

int proc_read_cmdline(pid_t pid, char **out)
{
	char path[64], *buf = NULL;
	size_t len = 0;
	int r;

	buf = malloc(CMDLINE_MAX + 1);
	if (!buf)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	r = read_proc_file(path, buf, CMDLINE_MAX, &len);
	if (r < 0)
		goto out;
	/* Arguments are NUL-terminated; join them with single spaces, drop the last NUL. */
	while (len && buf[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\0')
			buf[i] = ' ';
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
out:
	free(buf);
	return r;
}

bool proc_is_kthread(const struct proc_info *info)
{
	/* kthreadd is pid 2 and the parent of every other kernel thread. */
	return (info->flags & PF_KTHREAD_FLAG) || info->pid == 2 || info->ppid == 2;
}

bool proc_is_untouchable(const struct proc_info *info)
{
	return info->pid <= 1 || info->pid == getpid() || proc_is_kthread(info) ||
	       info->state == 'Z' || info->state == 'X' || info->state == 'x';
}

const char *proc_state_str(char state)
{
	switch (state) {
	case 'R':
		return "running";
	case 'S':
		return "sleeping";
	case 'D':
		return "disk-sleep";
	case 'T':
		return "stopped";
	case 't':
		return "tracing-stop";
	case 'Z':
		return "zombie";
	case 'X':
	case 'x':
		return "dead";
	case 'I':
		return "idle";
	case 'P':
		return "parked";
	case 'W':
		return "waking";
	case 'K':
		return "wakekill";
	default:
		return "unknown";
	}
}

bool proc_state_stopped(char state)
{
	return state == 'T' || state == 't';
}

struct pidset {
	pid_t *v;
	size_t n, cap;
};

static int pidset_add(struct pidset *s, pid_t pid)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		pid_t *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = pid;
	return 0;
}

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* Sort and drop duplicates (cgroup v1's cgroup.procs may list a process twice). */
static void pidset_finish(struct pidset *s)
{
	size_t j = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), pid_cmp);
	for (size_t i = 1; i < s->n; i++) {
		if (s->v[i] != s->v[j])
			s->v[++j] = s->v[i];
	}
	s->n = j + 1;
}

static bool pidset_has(const struct pidset *s, pid_t pid)
{
	if (!s->n)
		return false;
	return bsearch(&pid, s->v, s->n, sizeof(*s->v), pid_cmp) != NULL;
}

/*
 * The processes of a cgroup and of every cgroup below it: a target "the service's cgroup"
 * means all of its processes, also those a delegated manager moved into child cgroups.
 */
static int cgroup_collect(const char *dir, int depth, struct pidset *s)
{
	char path[PATH_MAX], *text = NULL, *p, *end;
	struct dirent *de;
	DIR *d = NULL;
	int r;

	if (depth > CGROUP_DEPTH_MAX)
		return 0;
	if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	r = read_file(path, CGROUP_PROCS_MAX, &text, NULL);
	if (r < 0)
		goto out;
	for (p = text; *p; p = end) {
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (v > 0 && v <= INT_MAX) {
			r = pidset_add(s, (pid_t)v);
			if (r < 0)
				goto out;
		}
	}
	d = opendir(dir);
	if (!d) {
		r = -errno;
		goto out;
	}
	for (;;) {
		de = readdir(d);
		if (!de)
			break;
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		r = cgroup_collect(path, depth + 1, s);
		/* A child cgroup removed while we walk is not an error. */
		if (r == -ENOENT)
			r = 0;
		if (r < 0)
			goto out;
	}
out:
	if (d)
		closedir(d);
	free(text);
	return r;
}

/* 1 when pid is a thread-group leader (a process), 0 when a thread or gone, -errno. */
static int proc_is_tgid(pid_t pid)
{
	char path[64], buf[1024], *p;
	size_t len = 0;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	r = read_proc_file(path, buf, sizeof(buf) - 1, &len);
	if (r == -ESRCH)
		return 0;
	if (r < 0)
		return r;
	buf[len] = '\0';
	p = strstr(buf, "\nTgid:");
	if (!p)
		return -EBADMSG;
	return strtol(p + 6, NULL, 10) == pid;
}

static int proc_list_all(struct pidset *s)
{
	struct dirent *de;
	DIR *d;
	int r = 0;

	d = opendir("/proc");
	if (!d)
		return -errno;
	for (;;) {
		int pid;

		de = readdir(d);
		if (!de)
			break;
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (parse_int(de->d_name, &pid) < 0 || pid <= 0)
			continue;
		r = pidset_add(s, (pid_t)pid);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

/* 1 when the process matches, 0 when not or gone, -errno. */
static int proc_matches(const struct proc_match *m, const struct pidset *cg, pid_t pid,
			bool (*skip)(pid_t, void *), void *data, struct proc_info *info)
{
	char *cmd = NULL;
	int r;

	r = proc_read_stat(pid, info);
	if (r == -ESRCH)
		return 0;
	if (r < 0)
		return r;
	if (proc_is_untouchable(info))
		return 0;
	if (m->pid && info->pid != m->pid)
		return 0;
	if (m->name && strcmp(info->comm, m->name) != 0)
		return 0;
	if (m->cgroup && !pidset_has(cg, pid))
		return 0;
	if (skip && skip(pid, data))
		return 0;
	if (m->cmdline_src) {
		r = proc_read_cmdline(pid, &cmd);
		if (r == -ESRCH)
			return 0;
		if (r < 0)
			return r;
		r = regexec(&m->cmdline, cmd, 0, NULL, 0) == 0;
		free(cmd);
	} else {
		r = 1;
	}
	return r;
}

int proc_find(const struct proc_match *m, bool (*skip)(pid_t pid, void *data), void *data,
	      struct proc_info **out, size_t *n)
{
	struct pidset cg = { 0 }, all = { 0 };
	const struct pidset *cand;
	struct proc_info *res = NULL;
	size_t nres = 0;
	int r = 0;

	*out = NULL;
	*n = 0;
	if (m->cgroup) {
		r = cgroup_collect(m->cgroup, 0, &cg);
		if (r < 0)
			goto out;
		pidset_finish(&cg);
	}
	if (m->pid) {
		/* /proc/TID exists for any thread too; only whole processes are targets. */
		r = proc_is_tgid(m->pid);
		if (r < 0)
			goto out;
		if (r) {
			r = pidset_add(&all, m->pid);
			if (r < 0)
				goto out;
		}
		cand = &all;
	} else if (m->cgroup) {
		cand = &cg;
	} else {
		r = proc_list_all(&all);
		if (r < 0)
			goto out;
		pidset_finish(&all);
		cand = &all;
	}
	if (cand->n) {
		res = calloc(cand->n, sizeof(*res));
		if (!res) {
			r = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < cand->n; i++) {
		r = proc_matches(m, &cg, cand->v[i], skip, data, &res[nres]);
		if (r < 0)
			goto out;
		if (r)
			nres++;
	}
	r = 0;
	if (!nres) {
		free(res);
		res = NULL;
	}
	*out = res;
	*n = nres;
	res = NULL;
out:
	free(res);
	free(cg.v);
	free(all.v);
	return r;
}

static int sys_pidfd_open(pid_t pid, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int proc_signal(pid_t pid, uint64_t starttime, int sig)
{
	struct proc_info info;
	int fd = -1, r;

	if (pid <= 1 || pid == getpid())
		return -EPERM;
	fd = sys_pidfd_open(pid, 0);
	if (fd < 0 && errno != ENOSYS) {
		r = -errno;
		goto out;
	}
	/*
	 * The pidfd now pins one process.  If the pid was recycled before the open, the start
	 * time read now differs; if it is recycled after, the signal goes to the pidfd's (dead)
	 * process and fails with ESRCH.  Either way the newcomer is never signalled.
	 */
	r = proc_read_stat(pid, &info);
	if (r < 0)
		goto out;
	if (info.starttime != starttime) {
		r = -ESRCH;
		goto out;
	}
	if (proc_is_kthread(&info)) {
		r = -EPERM;
		goto out;
	}
	if (fd < 0) {
		/*
		 * No pidfd_open (kernels before 5.3, valgrind): the start time was checked an
		 * instant ago, and a pid is not recycled that fast.
		 */
		if (kill(pid, sig) < 0) {
			r = -errno;
			goto out;
		}
	} else if (sys_pidfd_send_signal(fd, sig) < 0) {
		r = -errno;
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

/* ---- validation, shared by every user of a target ---------------------------------------- */

static int check_cgroup_path(struct vctx *v, const char *kpath, const char *cg)
{
	const char *root = PROC_CGROUP_ROOT "/";
	const char *p;

	if (strncmp(cg, root, strlen(root)) != 0 || !cg[strlen(root)]) {
		verr(v, kpath, "'%s' is not a directory under %s", cg, root);
		return -1;
	}
	/* No way out of the cgroup tree through "..". */
	for (p = strstr(cg, ".."); p; p = strstr(p + 2, "..")) {
		if (p[-1] == '/' && (p[2] == '/' || !p[2])) {
			verr(v, kpath, "'%s' must not contain '..'", cg);
			return -1;
		}
	}
	if (strlen(cg) >= 4096) {
		verr(v, kpath, "path is too long");
		return -1;
	}
	return 1;
}

int proc_match_parse(struct proc_match *m, const json_t *t, const char *tpath, struct vctx *v)
{
	char kpath[VPATH_MAX], rerr[256];
	const char *name = NULL, *cmd = NULL, *cg = NULL;
	uint64_t pid = 0;
	bool bad = false;
	regex_t re;
	int r, rc;

	/* Errors are tracked here, not by v->n: v may fail to record one when memory is short. */
	r = v_string(v, t, "name", tpath, false, &name);
	if (r < 0) {
		bad = true;
	} else if (r > 0) {
		size_t len = strlen(name);

		vpath_key(kpath, tpath, "name");
		if (!len) {
			verr(v, kpath, "must not be empty");
			bad = true;
		} else if (len > PROC_COMM_USER_MAX) {
			verr(v, kpath, "'%s' is %zu characters long; comm is at most %d characters",
			     name, len, PROC_COMM_USER_MAX);
			bad = true;
		}
	}
	r = v_string(v, t, "cmdline", tpath, false, &cmd);
	if (r < 0) {
		bad = true;
	} else if (r > 0) {
		vpath_key(kpath, tpath, "cmdline");
		if (!*cmd) {
			verr(v, kpath, "must not be empty");
			bad = true;
		} else {
			rc = regcomp(&re, cmd, REG_EXTENDED | REG_NOSUB);
			if (rc) {
				regerror(rc, &re, rerr, sizeof(rerr));
				verr(v, kpath, "invalid regular expression '%s': %s", cmd, rerr);
				bad = true;
			} else {
				regfree(&re);
			}
		}
	}
	r = v_uint(v, t, "pid", tpath, false, 1, PROC_PID_MAX, &pid);
	if (r < 0) {
		bad = true;
	} else if (r > 0 && pid == 1) {
		verr(v, vpath_key(kpath, tpath, "pid"), "pid 1 (init) is never targeted");
		bad = true;
	}
	r = v_string(v, t, "cgroup", tpath, false, &cg);
	if (r < 0 || (r > 0 && check_cgroup_path(v, vpath_key(kpath, tpath, "cgroup"), cg) < 0))
		bad = true;
	if (!json_object_get(t, "name") && !json_object_get(t, "cmdline") &&
	    !json_object_get(t, "pid") && !json_object_get(t, "cgroup")) {
		verr(v, tpath, "needs at least one of 'name', 'cmdline', 'pid' or 'cgroup'");
		bad = true;
	}
	if (bad)
		return -EINVAL;

	r = proc_match_init(m, name, cmd, (pid_t)pid, cg, rerr, sizeof(rerr));
	if (r == -EINVAL)
		verr(v, vpath_key(kpath, tpath, "cmdline"), "invalid regular expression '%s': %s",
		     cmd, rerr);
	return r;
}
