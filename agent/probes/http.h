/* SPDX-License-Identifier: MIT */
/* The http kind's machinery, for kinds that are an HTTP GET with their own judgement. */
#ifndef FL_PROBES_HTTP_H
#define FL_PROBES_HTTP_H

#include <stddef.h>

#include "probe.h"

struct http_ext {
	/* Judge a completed response (body: at most 64 KiB); set s->reason on failure, and
	 * s->value/has_value for numeric kinds. */
	void (*judge)(const char *body, size_t len, int status, struct sample *s, void *arg);
	void (*free)(void *arg);
	void *arg;
};

/* Make p an HTTP GET of url judged by ext; url errors are recorded at path.  0 or -errno. */
int probe_http_setup(struct probe *p, const char *url, const char *path, struct vctx *v,
		     const struct http_ext *ext);
int probe_http_start(struct probe *p, struct loop *l, probe_done_cb done, void *data);
void probe_http_cancel(struct probe *p);
/* Frees the ext's arg through ext->free. */
void probe_http_free(struct probe *p);

#endif
