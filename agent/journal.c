// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "crashpoint.h"
#include "fault.h"
#include "journal.h"
#include "log.h"
#include "util.h"

#define JOURNAL_MAX_RECORD (1024 * 1024)

struct journal {
	char *dir;
	char jdir[PATH_MAX];
	int lockfd;
};

static int lock_path(const char *state_dir, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/lock", state_dir) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int journal_lock_holder(const char *state_dir)
{
	char path[PATH_MAX], *buf = NULL;
	int pid = 0;

	if (lock_path(state_dir, path, sizeof(path)) < 0)
		return 0;
	if (read_file(path, 64, &buf, NULL) < 0)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_int(buf, &pid) < 0)
		pid = 0;
	free(buf);
	return pid;
}

static bool has_suffix(const char *s, const char *suf);

/* Run records whose write a crash interrupted (RUN.json.tmp): never complete, never read. */
static void remove_tmp_records(const char *state_dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/runs", state_dir);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!has_suffix(de->d_name, ".json.tmp"))
			continue;
		snprintf(path, sizeof(path), "%s/runs/%s", state_dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

struct journal *journal_open(const char *state_dir, int *err)
{
	struct journal *j = calloc(1, sizeof(*j));
	char path[PATH_MAX], pidbuf[32];
	int r;

	if (!j) {
		r = -ENOMEM;
		goto fail;
	}
	j->lockfd = -1;
	j->dir = strdup(state_dir);
	if (!j->dir) {
		r = -ENOMEM;
		goto fail;
	}
	r = mkdir_p(state_dir, 0700);
	if (r < 0)
		goto fail;
	snprintf(j->jdir, sizeof(j->jdir), "%s/journal", state_dir);
	r = mkdir_p(j->jdir, 0700);
	if (r < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/runs", state_dir);
	r = mkdir_p(path, 0700);
	if (r < 0)
		goto fail;
	lock_path(state_dir, path, sizeof(path));
	j->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (j->lockfd < 0) {
		r = -errno;
		goto fail;
	}
	if (flock(j->lockfd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
		goto fail;
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)getpid());
	if (ftruncate(j->lockfd, 0) < 0 || pwrite(j->lockfd, pidbuf, strlen(pidbuf), 0) < 0) {
		r = -errno;
		goto fail;
	}
	remove_tmp_records(state_dir);
	return j;
fail:
	if (j) {
		if (j->lockfd >= 0)
			close(j->lockfd);
		free(j->dir);
		free(j);
	}
	if (err)
		*err = r;
	errno = -r;
	return NULL;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->lockfd >= 0) {
		/* Leave the file (others may hold it open); just say nobody owns it. */
		(void)!ftruncate(j->lockfd, 0);
		close(j->lockfd);
	}
	free(j->dir);
	free(j);
}

const char *journal_state_dir(const struct journal *j)
{
	return j->dir;
}

static int record_path(const struct journal *j, const char *run_id, const char *fault, char *buf,
		       size_t len)
{
	if (snprintf(buf, len, "%s/%s--%s.json", j->jdir, run_id, fault) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int journal_write(struct journal *j, const char *run_id, const char *fault, const char *kind,
		  json_t *undo)
{
	char path[PATH_MAX], ts[40];
	json_t *rec;
	char *text = NULL;
	int r;

	r = record_path(j, run_id, fault, path, sizeof(path));
	if (r < 0)
		return r;
	fmt_time_iso(now_real(), ts, sizeof(ts));
	rec = json_pack("{s:s, s:s, s:s, s:O, s:s, s:i}", "run", run_id, "fault", fault, "kind",
			kind, "undo", undo ? undo : json_null(), "written_at", ts, "pid",
			(int)getpid());
	if (!rec)
		return -ENOMEM;
	text = json_dumps(rec, JSON_COMPACT);
	json_decref(rec);
	if (!text)
		return -ENOMEM;
	r = write_file_durable(path, text, strlen(text), 0600);
	free(text);
	/*
	 * The caller applies nothing after a failure, so no record may stay behind: the rename
	 * may have happened before the directory's fsync failed.
	 */
	if (r < 0)
		unlink(path);
	return r;
}

int journal_remove(struct journal *j, const char *run_id, const char *fault)
{
	char path[PATH_MAX];
	int r;

	r = record_path(j, run_id, fault, path, sizeof(path));
	if (r < 0)
		return r;
	return unlink_durable(path);
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

int journal_count(struct journal *j)
{
	struct dirent *de;
	DIR *d = opendir(j->jdir);
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (has_suffix(de->d_name, ".json"))
			n++;
	closedir(d);
	return n;
}

/* Revert one record; returns 0 when it is gone from the journal. */
static int recover_one(struct journal *j, const char *name, json_t *report, int *corrupt)
{
	char path[PATH_MAX], err[256] = "";
	const struct fault_ops *ops;
	const char *kind = NULL, *run = "?", *fault = "?";
	enum fault_kind k;
	json_t *rec = NULL, *undo, *item;
	json_error_t jerr;
	char *text = NULL;
	int r;

	snprintf(path, sizeof(path), "%s/%s", j->jdir, name);
	r = read_file(path, JOURNAL_MAX_RECORD, &text, NULL);
	if (r == -EFBIG) {
		/* No record the agent writes comes near the limit: garbage, not an undo. */
		snprintf(jerr.text, sizeof(jerr.text), "larger than %d bytes", JOURNAL_MAX_RECORD);
	} else if (r < 0) {
		snprintf(err, sizeof(err), "cannot read: %s", strerror(-r));
		goto done;
	}
	rec = r < 0 ? NULL : json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!rec || json_unpack_ex(rec, &jerr, 0, "{s:s, s:s, s:s}", "run", &run, "fault", &fault,
				   "kind", &kind) < 0) {
		char bad[PATH_MAX];

		/* Keep it for a human to read, out of the way of the next recovery. */
		snprintf(err, sizeof(err), "corrupt record: %s", jerr.text);
		snprintf(bad, sizeof(bad), "%s.corrupt", path);
		if (rename(path, bad) == 0)
			fsync_dir_of(bad);
		(*corrupt)++;
		r = -EBADMSG;
		goto done;
	}
	undo = json_object_get(rec, "undo");
	ops = fault_ops_find(kind, &k);
	if (!ops) {
		snprintf(err, sizeof(err), "unknown fault kind '%s'", kind);
		r = -ENOTSUP;
		goto done;
	}
	r = ops->recover ? ops->recover(undo, err, sizeof(err)) : 0;
	if (r < 0) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s", strerror(-r));
		goto done;
	}
	crashpoint("recover-reverted");
	r = unlink_durable(path);
	if (r < 0)
		snprintf(err, sizeof(err), "reverted, but cannot remove the record: %s",
			 strerror(-r));
done:
	if (r < 0)
		log_warn("journal: cannot revert '%s': %s", name, err);
	else
		log_notice("journal: reverted %s fault '%s' of run %s", kind, fault, run);
	item = json_pack("{s:s, s:s, s:s?, s:s, s:s?}", "record", name, "run", run, "kind", kind,
			 "result", r < 0 ? "failed" : "reverted", "error", r < 0 ? err : NULL);
	if (report && item)
		json_array_append_new(report, item);
	else
		json_decref(item);
	json_decref(rec);
	free(text);
	return r;
}

int journal_recover(struct journal *j, json_t **report)
{
	struct dirent **names = NULL;
	json_t *items = json_array();
	int n, failed = 0, ok = 0, corrupt = 0;

	if (!items)
		return -ENOMEM;
	n = scandir(j->jdir, &names, NULL, alphasort);
	if (n < 0) {
		json_decref(items);
		return -errno;
	}
	/* Newest first would be reverse apply order; names sort by run then fault, and faults
	 * of one run touch disjoint targets, so any order is safe.  Reverse keeps it LIFO-ish. */
	for (int i = n - 1; i >= 0; i--) {
		const char *name = names[i]->d_name;

		if (has_suffix(name, ".json.tmp")) {
			/* A crash during the write: the fault was never applied. */
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "%s/%s", j->jdir, name);
			unlink_durable(path);
		} else if (has_suffix(name, ".json")) {
			if (recover_one(j, name, items, &corrupt) < 0)
				failed++;
			else
				ok++;
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (report)
		*report = json_pack("{s:i, s:i, s:i, s:o}", "recovered", ok, "failed",
				    failed - corrupt, "corrupt", corrupt, "records", items);
	else
		json_decref(items);
	return failed - corrupt;
}
