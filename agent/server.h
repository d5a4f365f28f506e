/* SPDX-License-Identifier: MIT */
/* The control socket: see proto.h for the protocol. */
#ifndef FL_SERVER_H
#define FL_SERVER_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

struct loop;
struct runner;
struct journal;
struct server;

struct server_config {
	const char *path;
	const char *group; /* allowed besides root; may not exist */
};

struct server *server_new(struct loop *l, const struct server_config *cfg, int *err);
void server_set_runner(struct server *s, struct runner *rn, struct journal *j);
void server_free(struct server *s);
/* Hooks for the runner. */
void server_on_event(const char *run_id, json_t *ev, void *data);
bool server_pid_is_client(pid_t pid, void *data);

#endif
