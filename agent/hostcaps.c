// SPDX-License-Identifier: MIT
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include <curl/curl.h>
#include <netlink/version.h>
#include <zlib.h>

#include "hostcaps.h"
#include "probes/curl_api.h"
#include "util.h"

/* libcurl is loaded on first use (curl_api.h): this loads it, to report what probes would get. */
static const char *libcurl_version(void)
{
	const curl_version_info_data *cv;
	char err[256];

	if (curl_api_load(err, sizeof(err)) < 0)
		return "unavailable";
	cv = lcurl->version_info(CURLVERSION_NOW);
	return cv && cv->version ? cv->version : "?";
}

json_t *hostcaps_libraries(void)
{
	const char *bpf = libbpf_version_string();
	char nl[32];

	snprintf(nl, sizeof(nl), "%d.%d.%d", nl_ver_maj, nl_ver_min, nl_ver_mic);
	if (bpf && *bpf == 'v')
		bpf++;
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "libbpf", bpf ? bpf : "?", "libnl", nl,
			 "jansson", jansson_version_str(), "libcurl", libcurl_version(), "zlib",
			 zlibVersion());
}

static json_t *feature(int available, const char *fmt, ...) PRINTF(2, 3);
static json_t *feature(int available, const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return json_pack("{s:o, s:s}", "available",
			 available < 0 ? json_null() : json_boolean(available), "detail", detail);
}

static bool file_has_line(const char *path, const char *prefix)
{
	char *text = NULL, *p;
	bool found = false;
	size_t plen = strlen(prefix);

	if (read_file(path, 16 << 20, &text, NULL) < 0)
		return false;
	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, prefix, plen) == 0) {
			found = true;
			break;
		}
	}
	free(text);
	return found;
}

/* The value of CONFIG_NAME in the kernel's config: 'y', 'm', 'n' (not set), or 0 (no config). */
static char kconfig(const char *release, const char *name)
{
	char path[300], line[512], want[128], unset[160];
	gzFile gz = NULL;
	FILE *f = NULL;
	char v = 0;

	snprintf(want, sizeof(want), "%s=", name);
	snprintf(unset, sizeof(unset), "# %s is not set", name);
	gz = gzopen("/proc/config.gz", "rb");
	if (!gz) {
		snprintf(path, sizeof(path), "/boot/config-%s", release);
		f = fopen(path, "re");
		if (!f)
			return 0;
	}
	v = 'n';
	for (;;) {
		char *l = gz ? gzgets(gz, line, sizeof(line)) : fgets(line, sizeof(line), f);

		if (!l)
			break;
		if (strncmp(l, want, strlen(want)) == 0) {
			v = l[strlen(want)];
			break;
		}
		if (strncmp(l, unset, strlen(unset)) == 0)
			break;
	}
	if (gz)
		gzclose(gz);
	if (f)
		fclose(f);
	return v;
}

static json_t *detect_netem(const char *release)
{
	char path[400];
	struct stat st;
	glob_t g;
	char cfg;
	int n;

	if (stat("/sys/module/sch_netem", &st) == 0)
		return feature(1, "sch_netem is loaded");
	if (file_has_line("/proc/modules", "sch_netem "))
		return feature(1, "sch_netem is loaded");
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.builtin", release);
	if (file_has_line(path, "kernel/net/sched/sch_netem.ko"))
		return feature(1, "sch_netem is built into the kernel");
	snprintf(path, sizeof(path), "/lib/modules/%s/kernel/net/sched/sch_netem.ko*", release);
	n = glob(path, 0, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
	if (n)
		snprintf(path, sizeof(path), "%s", g.gl_pathv[0]);
	globfree(&g);
	if (n)
		return feature(1, "module %s (the kernel loads it on first use)", path);
	cfg = kconfig(release, "CONFIG_NET_SCH_NETEM");
	if (cfg == 'y')
		return feature(1, "CONFIG_NET_SCH_NETEM=y");
	if (cfg == 'm')
		return feature(-1, "CONFIG_NET_SCH_NETEM=m but the module is not installed");
	if (cfg == 'n')
		return feature(0, "CONFIG_NET_SCH_NETEM is not set in this kernel");
	return feature(-1, "no module, modules.builtin or kernel config to tell");
}

static json_t *detect_tcx(const char *release)
{
	int maj = 0, min = 0;

	if (sscanf(release, "%d.%d", &maj, &min) != 2)
		return feature(-1, "cannot parse kernel release '%s'", release);
	/* tcx (BPF_TCX_INGRESS/EGRESS links) arrived in Linux 6.6. */
	if (maj > 6 || (maj == 6 && min >= 6))
		return feature(1, "kernel %d.%d >= 6.6", maj, min);
	return feature(0, "kernel %d.%d < 6.6: tc clsact filters are used instead", maj, min);
}

static json_t *detect_cgroup2(void)
{
	char *text = NULL, *line, *save = NULL, mnt[256] = "";
	char path[300], *ctrl = NULL;
	json_t *o;

	if (read_file("/proc/self/mounts", 4 << 20, &text, NULL) < 0)
		return feature(-1, "cannot read /proc/self/mounts");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char dev[64], dir[256], type[32];

		if (sscanf(line, "%63s %255s %31s", dev, dir, type) == 3 &&
		    !strcmp(type, "cgroup2")) {
			snprintf(mnt, sizeof(mnt), "%s", dir);
			break;
		}
	}
	free(text);
	if (!mnt[0])
		return feature(0, "no cgroup2 mount");
	snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
	if (read_file(path, 4096, &ctrl, NULL) == 0) {
		ctrl[strcspn(ctrl, "\n")] = '\0';
		o = feature(1, "mounted at %s, controllers: %s", mnt, *ctrl ? ctrl : "none");
	} else {
		o = feature(1, "mounted at %s", mnt);
	}
	free(ctrl);
	return o;
}

json_t *hostcaps_kernel(void)
{
	struct utsname u;
	struct stat st;

	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	return json_pack("{s:s, s:o, s:o, s:o, s:o}", "kernel", u.release, "netem",
			 detect_netem(u.release), "tcx", detect_tcx(u.release), "cgroup2",
			 detect_cgroup2(), "btf",
			 stat("/sys/kernel/btf/vmlinux", &st) == 0
				 ? feature(1, "/sys/kernel/btf/vmlinux")
				 : feature(0, "no /sys/kernel/btf/vmlinux: CO-RE programs cannot "
					   "load"));
}
