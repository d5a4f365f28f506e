/* SPDX-License-Identifier: MIT */
/*
 * Small pieces shared by the stand-alone traffic tools (tests/helpers/nettraffic.c,
 * bench/udpflood.c): a monotonic clock, fatal errors and strict numbers and addresses from
 * the command line.  Each tool sets cli_name to its own name for the messages.
 */
#ifndef FL_TEST_CLI_H
#define FL_TEST_CLI_H

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

static const char *cli_name = "tool";

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "NAME: WHAT: strerror(errno)", exit 2. */
static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", cli_name, what, strerror(errno));
	exit(2);
}

/* A decimal integer in [min, max], or exit 2. */
static inline long num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "%s: bad number '%s'\n", cli_name, s);
		exit(2);
	}
	return v;
}

/* A numeric address and port into ss (socket type 0: any), or exit 2.  Returns the family. */
static inline int addr_of(const char *host, const char *port, int type,
			  struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = type };
	struct addrinfo *ai;

	if (getaddrinfo(host, port, &hints, &ai) != 0) {
		fprintf(stderr, "%s: bad address '%s' port '%s'\n", cli_name, host, port);
		exit(2);
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return ss->ss_family;
}

#endif
