// SPDX-License-Identifier: MIT
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crashpoint.h"
#include "util.h"

static struct {
	int state; /* 0 not read yet, 1 inert, 2 armed */
	char name[64];
	unsigned long hit, at;
} cp;

static void crashpoint_read(void)
{
	const char *env = getenv(CRASHPOINT_ENV);
	const char *colon;
	size_t len;

	cp.state = 1;
	if (!env || !*env)
		return;
	colon = strchr(env, ':');
	len = colon ? (size_t)(colon - env) : strlen(env);
	if (!len || len >= sizeof(cp.name))
		return;
	memcpy(cp.name, env, len);
	cp.name[len] = '\0';
	cp.at = 1;
	if (colon) {
		uint64_t n;

		if (parse_u64(colon + 1, &n) < 0 || !n)
			return;
		cp.at = (unsigned long)n;
	}
	cp.state = 2;
}

void crashpoint(const char *name)
{
	char msg[160];
	int n;

	if (!cp.state)
		crashpoint_read();
	if (cp.state != 2 || strcmp(name, cp.name) != 0 || ++cp.hit != cp.at)
		return;
	/* Straight to stderr: the test prints where the kill landed. */
	n = snprintf(msg, sizeof(msg), "faultline: crash point '%s' reached (%lu); SIGKILL\n", name,
		     cp.hit);
	if (n > 0 && (size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;
	if (n > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)n);
	raise(SIGKILL);
}
