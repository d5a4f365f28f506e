// SPDX-License-Identifier: MIT
/*
 * prometheus: an instant query through the HTTP API (GET URL/api/v1/query?query=Q), whose one
 * numeric result is the sample's value, compared with below / above / between.  The request
 * runs on the http kind's machinery (libcurl's multi socket API inside the loop).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "http.h"
#include "probe.h"

struct prom_cfg {
	bool has_below, has_above;
	double below, above;
};

static const char *const prom_keys[] = { "url", "query", "expect", NULL };
static const char *const expect_keys[] = { "below", "above", "between", NULL };

/* The one number of an instant query's result, or a reason why there is none. */
static int prom_value(const char *body, size_t len, double *out, char *why, size_t wlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr), *data, *res, *val = NULL;
	const char *type, *status, *num;
	char *end;
	int r = -EINVAL;

	if (!root) {
		snprintf(why, wlen, "response is not JSON: %s", jerr.text);
		return r;
	}
	status = json_string_value(json_object_get(root, "status"));
	if (!status || strcmp(status, "success") != 0) {
		const char *e = json_string_value(json_object_get(root, "error"));

		snprintf(why, wlen, "query failed: %.120s", e ? e : "status is not 'success'");
		goto out;
	}
	data = json_object_get(root, "data");
	type = json_string_value(json_object_get(data, "resultType"));
	res = json_object_get(data, "result");
	if (type && !strcmp(type, "scalar")) {
		val = res;
	} else if (type && !strcmp(type, "vector") && json_is_array(res)) {
		if (json_array_size(res) != 1) {
			snprintf(why, wlen, "query returned %zu series; expected exactly one",
				 json_array_size(res));
			goto out;
		}
		val = json_object_get(json_array_get(res, 0), "value");
	} else {
		snprintf(why, wlen, "unsupported result type '%.20s'", type ? type : "?");
		goto out;
	}
	num = json_string_value(json_array_get(val, 1));
	if (!num) {
		snprintf(why, wlen, "result has no value");
		goto out;
	}
	*out = strtod(num, &end);
	if (end == num || *end || isnan(*out)) {
		snprintf(why, wlen, "result '%.40s' is not a number", num);
		goto out;
	}
	r = 0;
out:
	json_decref(root);
	return r;
}

static void prom_judge(const char *body, size_t len, int status, struct sample *s, void *arg)
{
	const struct prom_cfg *c = arg;
	double v;

	if (status != 200) {
		snprintf(s->reason, sizeof(s->reason), "status %d from the query API", status);
		return;
	}
	if (prom_value(body ? body : "", len, &v, s->reason, sizeof(s->reason)) < 0)
		return;
	s->has_value = true;
	s->value = v;
	if (c->has_below && c->has_above && !(v >= c->above && v <= c->below))
		snprintf(s->reason, sizeof(s->reason), "value %g not between %g and %g", v,
			 c->above, c->below);
	else if (c->has_below && !c->has_above && !(v < c->below))
		snprintf(s->reason, sizeof(s->reason), "value %g not below %g", v, c->below);
	else if (c->has_above && !c->has_below && !(v > c->above))
		snprintf(s->reason, sizeof(s->reason), "value %g not above %g", v, c->above);
}

/* Percent-encode everything but RFC 3986 unreserved characters. */
static char *url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

static int parse_expect(struct prom_cfg *c, const json_t *e, const char *path, struct vctx *v)
{
	const json_t *btw = json_object_get(e, "between");
	char bp[VPATH_MAX];
	int n = 0;

	if (v_object(v, e, path, expect_keys) < 0)
		return -EINVAL;
	if (v_number(v, e, "below", path, false, -INFINITY, INFINITY, &c->below) > 0) {
		c->has_below = true;
		n++;
	}
	if (v_number(v, e, "above", path, false, -INFINITY, INFINITY, &c->above) > 0) {
		c->has_above = true;
		n++;
	}
	if (n == 2 && c->above > c->below) {
		verr(v, path, "'above' %g is greater than 'below' %g: no value could pass", c->above,
		     c->below);
		return -EINVAL;
	}
	if (btw) {
		vpath_key(bp, path, "between");
		if (!json_is_array(btw) || json_array_size(btw) != 2 ||
		    !json_is_number(json_array_get(btw, 0)) || !json_is_number(json_array_get(btw, 1)) ||
		    json_number_value(json_array_get(btw, 0)) > json_number_value(json_array_get(btw, 1))) {
			verr(v, bp, "expected [low, high] with low <= high");
			return -EINVAL;
		}
		if (n) {
			verr(v, bp, "'between' cannot be combined with 'below' or 'above'");
			return -EINVAL;
		}
		c->has_above = c->has_below = true;
		c->above = json_number_value(json_array_get(btw, 0));
		c->below = json_number_value(json_array_get(btw, 1));
		n++;
	}
	if (!n) {
		verr(v, path, "needs one of 'below', 'above' or 'between'");
		return -EINVAL;
	}
	return 0;
}

static void prom_cfg_free(void *arg)
{
	free(arg);
}

static int prom_parse(struct probe *p, const json_t *spec, const char *path, struct vctx *v)
{
	struct prom_cfg *c = calloc(1, sizeof(*c));
	struct http_ext ext = { .judge = prom_judge, .free = prom_cfg_free, .arg = c };
	const char *base = NULL, *query = NULL;
	char *enc = NULL, *url = NULL, kp[VPATH_MAX];
	const json_t *e;
	int r = -EINVAL;

	if (!c)
		return -ENOMEM;
	v_string(v, spec, "url", path, true, &base);
	if (v_string(v, spec, "query", path, true, &query) > 0 && !*query)
		verr(v, vpath_key(kp, path, "query"), "must not be empty");
	e = json_object_get(spec, "expect");
	if (!e)
		verr(v, path, "missing required key 'expect'");
	else
		parse_expect(c, e, vpath_key(kp, path, "expect"), v);
	if (!base || !query) {
		free(c);
		return -EINVAL;
	}
	enc = url_encode(query);
	if (!enc || asprintf(&url, "%s%sapi/v1/query?query=%s", base,
			     base[0] && base[strlen(base) - 1] == '/' ? "" : "/", enc) < 0) {
		free(enc);
		free(c);
		return -ENOMEM;
	}
	/* From here the http machinery owns c (ext.free). */
	r = probe_http_setup(p, url, vpath_key(kp, path, "url"), v, &ext);
	if (!p->priv)
		free(c);
	free(enc);
	free(url);
	return r;
}

const struct probe_ops probe_prometheus_ops = {
	.kind = "prometheus",
	.numeric = true,
	.keys = prom_keys,
	.parse = prom_parse,
	.start = probe_http_start,
	.cancel = probe_http_cancel,
	.free = probe_http_free,
};
