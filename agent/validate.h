/* SPDX-License-Identifier: MIT */
/*
 * Strict validation of JSON input.  Every error names the file, the line:column of the
 * offending key or value, and its JSON path; all errors are collected, not only the first
 * (up to 100, then one line that says where the rest begin).
 * Fault and probe kinds use these helpers from their parse() so their messages look alike.
 */
#ifndef FL_VALIDATE_H
#define FL_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "util.h"

#define VPATH_MAX 256

struct jsonpos;

struct verror {
	int line;
	int col;
	char *path;
	char *msg;
};

struct vctx {
	const char *file;
	struct jsonpos *pos;
	struct verror *errs;
	size_t n, cap;
};

/* Map of JSON path -> position of key and value, built by a scan of the raw text. */
struct jsonpos *jsonpos_build(const char *text, size_t len);
void jsonpos_free(struct jsonpos *p);
/* Position of the value at path (or of its key when at_key); falls back to the nearest parent. */
void jsonpos_lookup(const struct jsonpos *p, const char *path, bool at_key, int *line, int *col);

void vctx_init(struct vctx *v, const char *file, struct jsonpos *pos);
void vctx_fini(struct vctx *v);
void verr(struct vctx *v, const char *path, const char *fmt, ...) PRINTF(3, 4);
void verr_key(struct vctx *v, const char *path, const char *fmt, ...) PRINTF(3, 4);
void verr_at(struct vctx *v, int line, int col, const char *path, const char *fmt, ...)
	PRINTF(5, 6);
/* "file:line:col: $.path: message", one per line, into a malloc'd string. */
char *vctx_format(const struct vctx *v);
/* JSON array of {"file","line","column","path","message","text"} for the protocol. */
json_t *vctx_to_json(const struct vctx *v);

/*
 * Parse text strictly: JSON_REJECT_DUPLICATES, no NUL bytes, depth limit.  On a syntax error
 * records it in v and returns NULL.  Builds v->pos when v has none.
 */
json_t *vjson_load(struct vctx *v, const char *text, size_t len);

/* path + ".key" / path + "[i]" into buf. */
const char *vpath_key(char *buf, const char *path, const char *key);
const char *vpath_idx(char *buf, const char *path, size_t i);

/*
 * Field helpers.  Each returns 1 when the field is present and valid (out set), 0 when
 * absent (and not required; an error is recorded when required), -1 after recording an error.
 */
int v_object(struct vctx *v, const json_t *j, const char *path, const char *const allowed[]);
int v_string(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	     const char **out);
int v_bool(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	   bool *out);
int v_number(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	     double min, double max, double *out);
int v_uint(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	   uint64_t min, uint64_t max, uint64_t *out);
int v_duration(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	       uint64_t min, uint64_t max, uint64_t *out);
int v_size(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	   uint64_t *out);
int v_percent(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	      double *out);
/* A non-empty identifier: [A-Za-z0-9_.-], at most 64 characters. */
int v_name(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	   const char **out);

#endif
