// SPDX-License-Identifier: MIT
/*
 * Parsing of control requests: everything about a request's shape is checked here, before
 * dispatch, so handlers see only well-formed requests.  Pure (no I/O): fuzzed directly.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "util.h"

struct cmd_spec {
	const char *name;
	enum proto_cmd cmd;
	bool mutating;
	const char *const keys[8]; /* allowed besides proto and cmd */
};

static const struct cmd_spec cmds[] = {
	{ "version", PROTO_VERSION_CMD, false, { NULL } },
	{ "status", PROTO_STATUS, false, { "run", NULL } },
	{ "list", PROTO_LIST, false, { NULL } },
	{ "events", PROTO_EVENTS, false, { "run", NULL } },
	{ "record", PROTO_RECORD, false, { "run", NULL } },
	{ "run", PROTO_RUN, true,
	  { "file", "text", "dry_run", "lease_ms", "start_at_ms", NULL } },
	{ "abort", PROTO_ABORT, true, { "run", "all", NULL } },
	{ "renew", PROTO_RENEW, true, { "run", "lease_ms", NULL } },
	{ "recover", PROTO_RECOVER, true, { NULL } },
};

static int fail(char *err, size_t len, const char *fmt, ...) PRINTF(3, 4);
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool run_id_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 32 && strspn(s, "0123456789abcdef") == n;
}

static int get_ms(const json_t *req, const char *key, uint64_t min, uint64_t max, uint64_t *out,
		  char *err, size_t len)
{
	const json_t *j = json_object_get(req, key);

	if (!j)
		return 0;
	if (!json_is_integer(j) || json_integer_value(j) < 0 ||
	    (uint64_t)json_integer_value(j) < min || (uint64_t)json_integer_value(j) > max)
		return fail(err, len, "'%s' must be an integer in %llu..%llu", key,
			    (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)json_integer_value(j);
	return 1;
}

int proto_parse_request(const char *line, size_t len, struct proto_req *out, char *err,
			size_t errlen)
{
	const struct cmd_spec *spec = NULL;
	json_error_t jerr;
	const json_t *ver, *cmd, *v;
	const char *key;
	json_t *val, *req;
	int r;

	memset(out, 0, sizeof(*out));
	if (len > PROTO_MAX_MSG)
		return fail(err, errlen, "message larger than %d bytes", PROTO_MAX_MSG);
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req)
		return fail(err, errlen, "malformed request: %s", jerr.text);
	out->json = req;
	if (!json_is_object(req))
		return fail(err, errlen, "malformed request: not an object");
	ver = json_object_get(req, "proto");
	if (!json_is_integer(ver) || json_integer_value(ver) != PROTO_VERSION)
		return fail(err, errlen, "unsupported protocol version (this agent speaks %d)",
			    PROTO_VERSION);
	cmd = json_object_get(req, "cmd");
	if (!json_is_string(cmd))
		return fail(err, errlen, "missing 'cmd'");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (!strcmp(json_string_value(cmd), cmds[i].name)) {
			spec = &cmds[i];
			break;
		}
	}
	if (!spec)
		return fail(err, errlen, "unknown command '%.64s'", json_string_value(cmd));
	out->cmd = spec->cmd;
	out->name = spec->name;
	out->mutating = spec->mutating;
	json_object_foreach(req, key, val) {
		bool ok = !strcmp(key, "proto") || !strcmp(key, "cmd");

		for (size_t k = 0; !ok && spec->keys[k]; k++)
			ok = !strcmp(key, spec->keys[k]);
		if (!ok)
			return fail(err, errlen, "'%s' does not take '%.64s'", spec->name, key);
	}
	v = json_object_get(req, "run");
	if (v) {
		if (!json_is_string(v) || !run_id_ok(json_string_value(v)))
			return fail(err, errlen, "'run' must be a run id (hex)");
		out->run = json_string_value(v);
	}
	switch (spec->cmd) {
	case PROTO_EVENTS:
	case PROTO_RECORD:
	case PROTO_RENEW:
		if (!out->run)
			return fail(err, errlen, "'%s' needs 'run'", spec->name);
		break;
	case PROTO_ABORT:
		v = json_object_get(req, "all");
		if (v && !json_is_boolean(v))
			return fail(err, errlen, "'all' must be a boolean");
		out->all = json_is_true(v);
		if (out->all == (out->run != NULL))
			return fail(err, errlen, "'abort' needs exactly one of 'run' or 'all': true");
		break;
	case PROTO_RUN: {
		const json_t *text = json_object_get(req, "text"), *file = json_object_get(req, "file");
		const json_t *dry = json_object_get(req, "dry_run");

		if (!json_is_string(text))
			return fail(err, errlen, "'run' needs 'text' (the experiment, a string)");
		if (file && (!json_is_string(file) || !json_string_length(file) ||
			     json_string_length(file) > 4096 ||
			     strlen(json_string_value(file)) != json_string_length(file)))
			return fail(err, errlen, "'file' must be a non-empty string without NUL");
		if (dry && !json_is_boolean(dry))
			return fail(err, errlen, "'dry_run' must be a boolean");
		out->text = json_string_value(text);
		out->text_len = json_string_length(text);
		out->file = file ? json_string_value(file) : "<input>";
		out->dry_run = json_is_true(dry);
		r = get_ms(req, "start_at_ms", 0, UINT32_MAX * 1000ULL, &out->start_at_ms, err,
			   errlen);
		if (r < 0)
			return r;
		break;
	}
	default:
		break;
	}
	if (spec->cmd == PROTO_RUN || spec->cmd == PROTO_RENEW) {
		r = get_ms(req, "lease_ms", PROTO_MIN_LEASE_MS, PROTO_MAX_LEASE_MS, &out->lease_ms,
			   err, errlen);
		if (r < 0)
			return r;
		if (!r && spec->cmd == PROTO_RENEW)
			return fail(err, errlen, "'renew' needs 'lease_ms'");
	}
	return 0;
}

void proto_req_fini(struct proto_req *req)
{
	json_decref(req->json);
	req->json = NULL;
}
