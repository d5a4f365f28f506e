// SPDX-License-Identifier: MIT
/* libFuzzer: the duration, size and time parsers, and their round trip through the formatter. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "experiment.h"
#include "units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[64];
	uint64_t v, w;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (parse_duration(s, &v) == 0) {
		/* What we print, we read back as the same value. */
		fmt_duration(v, buf, sizeof(buf));
		if (parse_duration(buf, &w) != 0 || w != v)
			abort();
	}
	parse_size(s, &v);
	parse_utc_time(s, &v);
	parse_u64(s, &v);
	free(s);
	return 0;
}
