/* SPDX-License-Identifier: MIT */
#ifndef FL_UTIL_H
#define FL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The Makefile passes both; a build without it (an IDE, a lone cc) still compiles. */
#ifndef FL_VERSION
#define FL_VERSION "unknown"
#endif
#ifndef FL_GIT_REV
#define FL_GIT_REV "unknown"
#endif

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC 1000000000ULL

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED __attribute__((unused))
#define PRINTF(a, b) __attribute__((format(printf, a, b)))

/* CLOCK_MONOTONIC and CLOCK_REALTIME in nanoseconds. */
uint64_t now_mono(void);
uint64_t now_real(void);
/* "2026-11-23T04:17:37.123Z" */
void fmt_time_iso(uint64_t real_ns, char *buf, size_t len);

/* Write all of buf, retrying on EINTR and short writes.  0 or -errno. */
int write_all(int fd, const void *buf, size_t len);
/* Read a whole (small) file into a NUL-terminated buffer.  0 or -errno. */
int read_file(const char *path, size_t max, char **out, size_t *out_len);
/* Write path atomically and durably: tmp file, fsync, rename, fsync of the directory. */
int write_file_durable(const char *path, const void *buf, size_t len, mode_t mode);
/* unlink(path) and fsync its directory; a missing file is success. */
int unlink_durable(const char *path);
int fsync_dir_of(const char *path);
/* mkdir -p with mode for the created components. */
int mkdir_p(const char *path, mode_t mode);

/* Lowercase hex of n random bytes into buf (2n+1 bytes). */
int random_hex(char *buf, size_t nbytes);

/* Strict decimal parsers: no empty string, no trailing junk, no overflow. */
int parse_u64(const char *s, uint64_t *out);
int parse_int(const char *s, int *out);

/* asprintf that returns the string, or NULL. */
char *fl_asprintf(const char *fmt, ...) PRINTF(1, 2);

#endif
