/* SPDX-License-Identifier: MIT */
/*
 * What this build and this kernel offer, for 'faultctl version' and the agent's version
 * reply.  Detection has no side effects: files in /proc, /sys, /lib/modules and /boot are
 * read, nothing is loaded or created.
 */
#ifndef FL_HOSTCAPS_H
#define FL_HOSTCAPS_H

#include <jansson.h>

/* {"libbpf": "1.1.0", "libnl": "3.7.0", "jansson": "2.14", "libcurl": "7.88.1", "zlib"} */
json_t *hostcaps_libraries(void);
/*
 * {"kernel": RELEASE, "netem": FEATURE, "tcx": FEATURE, "cgroup2": FEATURE, "btf": FEATURE}
 * FEATURE: {"available": true|false|null (unknown), "detail": "how it was found"}.
 */
json_t *hostcaps_kernel(void);

#endif
