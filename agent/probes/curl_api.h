/* SPDX-License-Identifier: MIT */
/*
 * libcurl, loaded with dlopen() on first use instead of linked.  Its dependency chain (OpenSSL,
 * GnuTLS, Kerberos, LDAP, SSH, ...) is most of the agent's idle RSS and of faultctl's start-up
 * time, and only the http and prometheus probes need it.  <curl/curl.h> still provides every
 * type and constant; the functions are called through lcurl, e.g. lcurl->easy_init().
 */
#ifndef FL_PROBES_CURL_API_H
#define FL_PROBES_CURL_API_H

#include <stddef.h>
#include <curl/curl.h>

#define CURL_API_SONAME "libcurl.so.4"
#define CURL_API_DEBIAN_PACKAGE "libcurl4"

/* Every libcurl function faultline calls, without its curl_ prefix. */
#define CURL_API_FUNCS(X)                                                                   \
	X(global_init)                                                                      \
	X(global_cleanup)                                                                   \
	X(version_info)                                                                     \
	X(free)                                                                             \
	X(easy_init)                                                                        \
	X(easy_setopt)                                                                      \
	X(easy_getinfo)                                                                     \
	X(easy_cleanup)                                                                     \
	X(easy_strerror)                                                                    \
	X(multi_init)                                                                       \
	X(multi_setopt)                                                                     \
	X(multi_add_handle)                                                                 \
	X(multi_remove_handle)                                                              \
	X(multi_assign)                                                                     \
	X(multi_socket_action)                                                              \
	X(multi_info_read)                                                                  \
	X(multi_cleanup)                                                                    \
	X(slist_append)                                                                     \
	X(slist_free_all)                                                                   \
	X(url)                                                                              \
	X(url_set)                                                                          \
	X(url_get)                                                                          \
	X(url_cleanup)                                                                      \
	X(url_strerror)

/*
 * Each member has the type of curl.h's own declaration (variadic ones included), so the table
 * cannot drift from the headers it was built with.  curl.h's type-checking wrappers are
 * function-like macros: curl_easy_setopt without "(" names the function itself.
 */
#define CURL_API_MEMBER(name) __typeof__(curl_##name) *name;
struct curl_api {
	CURL_API_FUNCS(CURL_API_MEMBER)
};
#undef CURL_API_MEMBER

/* NULL until curl_api_load() has succeeded. */
extern const struct curl_api *lcurl;

/*
 * Load libcurl and run curl_global_init(), once: later calls return 0 at once.  0, or -errno
 * (-ENOENT: not installed, -ELIBACC: cannot be loaded, -ELIBBAD: too old) with a message in
 * err naming the library and the package that provides it.  A failure is retried next call.
 */
int curl_api_load(char *err, size_t errlen);

/* curl_global_cleanup() when loaded.  The library stays mapped; a later load re-initialises. */
void curl_api_fini(void);

#endif
