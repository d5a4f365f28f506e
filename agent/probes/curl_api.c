// SPDX-License-Identifier: MIT
/*
 * libcurl through dlopen(): see curl_api.h for why.  Single-threaded callers (the agent's event
 * loop, faultctl), so no locking; every entry point is idempotent.  The library is never
 * dlclose()d: its TLS back ends register exit handlers and keep threads' state.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "curl_api.h"

const struct curl_api *lcurl;

static struct curl_api api; /* filled once dlsym() has found every function */
static void *handle;	    /* set together with api */

/* dlerror() repeats the file name first: "libcurl.so.4: cannot open shared object file: ..." */
static const char *dl_reason(const char *e)
{
	size_t n = strlen(CURL_API_SONAME);

	if (!e)
		return "unknown error";
	if (!strncmp(e, CURL_API_SONAME, n) && !strncmp(e + n, ": ", 2))
		return e + n + 2;
	return e;
}

static int open_lib(char *err, size_t errlen)
{
	struct curl_api a = { 0 };
	const char *what = NULL;
	void *h, *sym;
	int saved;

	dlerror();
	errno = 0;
	h = dlopen(CURL_API_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		/* glibc leaves open()'s errno: ENOENT when no directory holds the file. */
		saved = errno;
		snprintf(err, errlen,
			 "cannot load '%s': %s (http and prometheus probes need it; install the "
			 "Debian package '%s')",
			 CURL_API_SONAME, dl_reason(dlerror()), CURL_API_DEBIAN_PACKAGE);
		return saved == ENOENT ? -ENOENT : -ELIBACC;
	}
	/* dlsym() returns void *; POSIX guarantees it converts to a function pointer. */
#define CURL_API_SYM(name)                                        \
	if (!what) {                                              \
		sym = dlsym(h, "curl_" #name);                    \
		if (sym)                                          \
			a.name = (__typeof__(a.name))sym;         \
		else                                              \
			what = "curl_" #name;                     \
	}
	CURL_API_FUNCS(CURL_API_SYM)
#undef CURL_API_SYM
	if (what) {
		snprintf(err, errlen,
			 "'%s' has no %s(): libcurl %s or later is needed (Debian package '%s')",
			 CURL_API_SONAME, what, LIBCURL_VERSION, CURL_API_DEBIAN_PACKAGE);
		dlclose(h);
		return -ELIBBAD;
	}
	api = a;
	handle = h;
	return 0;
}

int curl_api_load(char *err, size_t errlen)
{
	CURLcode rc;
	int r;

	if (lcurl)
		return 0;
	if (!handle) {
		r = open_lib(err, errlen);
		if (r < 0)
			return r;
	}
	rc = api.global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "cannot initialise '%s': %s", CURL_API_SONAME,
			 api.easy_strerror(rc));
		return rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	}
	lcurl = &api;
	return 0;
}

void curl_api_fini(void)
{
	if (!lcurl)
		return;
	lcurl->global_cleanup();
	lcurl = NULL;
}
