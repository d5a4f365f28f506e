/* SPDX-License-Identifier: MIT */
/*
 * faultlined.conf: one "key = value" per line, '#' starts a comment line, blank lines are
 * ignored.  Strict: an unknown key, a key given twice, a line without '=', an empty or
 * malformed value are each refused with "FILE:LINE: message", and the agent does not start.
 * Lists (allowed_interfaces, protected_processes) are separated by commas and/or spaces.
 *
 * Precedence: command-line flags, then $FAULTLINE_SOCKET / $FAULTLINE_STATE_DIR, then the
 * file, then the built-in defaults.  See man/faultlined.8.scd and dist/faultlined.conf.
 */
#ifndef FL_CONFIG_H
#define FL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "experiment.h"
#include "log.h"

#define CONFIG_DEFAULT_PATH FL_SYSCONFDIR "/faultline/faultlined.conf"
#define CONFIG_ENV "FAULTLINE_CONFIG"
#define CONFIG_MAX_BYTES (256 * 1024)
#define CONFIG_MAX_LINE 4096

#ifndef FL_SYSCONFDIR
#define FL_SYSCONFDIR "/etc"
#endif

struct agent_config {
	char *socket;	 /* NULL: not set */
	char *group;
	char *state_dir;
	char *metrics;	 /* listen address, NULL or "off": disabled */
	enum log_level log_level;
	bool log_level_set;
	enum log_format log_format; /* LOG_FMT_AUTO unless set */
	struct experiment_limits lim;
};

/* Defaults: nothing set, limits as agent_limits_default(). */
void config_init(struct agent_config *cfg);
void config_free(struct agent_config *cfg);
/*
 * Parse text (len bytes) named name into cfg.  Returns 0, or -EINVAL with *errors holding
 * every problem, one "NAME:LINE: message" per line (malloc'd; the caller frees it).
 */
int config_parse(const char *name, const char *text, size_t len, struct agent_config *cfg,
		 char **errors);
/*
 * Read and parse path.  A missing file is fine (returns 0, cfg untouched) unless required.
 * On failure -errno with *errors as for config_parse ("PATH: cannot read: ..." for I/O).
 */
int config_load(const char *path, bool required, struct agent_config *cfg, char **errors);

#endif
