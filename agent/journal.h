/* SPDX-License-Identifier: MIT */
/*
 * The undo journal: one file per applied fault under STATE_DIR/journal/, written and fsync'd
 * before the fault is applied and removed once its revert succeeded.  Whatever is in the
 * journal at start-up (or at `faultctl recover`) is reverted before anything else happens.
 *
 * STATE_DIR/lock is held (flock) by whoever owns the journal: the agent for its lifetime, or
 * faultctl recover while it works offline.
 */
#ifndef FL_JOURNAL_H
#define FL_JOURNAL_H

#include <jansson.h>

struct journal;

/* Create STATE_DIR (and journal/, runs/), take the lock.  -EWOULDBLOCK when held. */
struct journal *journal_open(const char *state_dir, int *err);
void journal_close(struct journal *j);
const char *journal_state_dir(const struct journal *j);
/* The pid written into the lock file by its holder, or 0. */
int journal_lock_holder(const char *state_dir);

/* Record the undo for (run, fault): {"run","fault","kind","undo":{...},"written_at"}.  */
int journal_write(struct journal *j, const char *run_id, const char *fault, const char *kind,
		  json_t *undo);
int journal_remove(struct journal *j, const char *run_id, const char *fault);

/*
 * Revert every record through its kind's recover(); remove the ones that succeeded.
 * report (may be NULL) gets {"recovered": N, "failed": N, "corrupt": N, "records":[...]}.
 * Returns the number of records that could not be reverted (0 = journal now empty) or -errno.
 */
int journal_recover(struct journal *j, json_t **report);
/* Number of records currently in the journal, or -errno. */
int journal_count(struct journal *j);

#endif
