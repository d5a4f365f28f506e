// SPDX-License-Identifier: MIT
/* libFuzzer: the experiment parser and validator, as faultctl validate and the agent run it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "experiment.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct experiment_limits lim = { .max_duration = AGENT_DEFAULT_MAX_DURATION };
	struct experiment *e;
	struct vctx v;
	char *all;
	json_t *errs;

	log_set_level(LOG_LVL_ERR);
	vctx_init(&v, "fuzz.json", NULL);
	e = experiment_parse((const char *)data, size, &lim, &v);
	/* Every error renders, both ways, whatever the input. */
	all = vctx_format(&v);
	errs = vctx_to_json(&v);
	if (e) {
		char why[256];

		experiment_schedule_check(e, 0, why, sizeof(why));
	}
	free(all);
	json_decref(errs);
	experiment_free(e);
	vctx_fini(&v);
	return 0;
}
