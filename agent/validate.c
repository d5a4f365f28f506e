// SPDX-License-Identifier: MIT
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"
#include "validate.h"

#define JSON_MAX_DEPTH 64
/* Errors kept per document: a hostile one could have a million, each looked up. */
#define VERR_MAX 100

/* ---- positions ---------------------------------------------------------------------------- */

struct jpos_entry {
	char *path;
	int kline, kcol; /* of the key (0 for array elements and the root) */
	int line, col;	 /* of the value */
};

struct jsonpos {
	struct jpos_entry *e;
	size_t n, cap;
	bool too_deep;
	int deep_line, deep_col; /* the bracket that went one level too deep */
	char deep_path[VPATH_MAX];
	struct jpos_entry *dups; /* duplicate keys: path of the second one and its position */
	size_t ndups;
};

struct scanner {
	const char *s;
	size_t len, i;
	int line, col;
	struct jsonpos *pos;
	int depth;
};

static bool is_ident(const char *k)
{
	if (!(*k == '_' || (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z')))
		return false;
	for (k++; *k; k++) {
		if (!(*k == '_' || *k == '-' || (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		      (*k >= '0' && *k <= '9')))
			return false;
	}
	return true;
}

const char *vpath_key(char *buf, const char *path, const char *key)
{
	if (is_ident(key)) {
		snprintf(buf, VPATH_MAX, "%s.%s", path, key);
	} else {
		char esc[VPATH_MAX];
		size_t o = 0;

		for (const char *k = key; *k && o + 7 < sizeof(esc); k++) {
			unsigned char c = (unsigned char)*k;

			if (c == '"' || c == '\\') {
				esc[o++] = '\\';
				esc[o++] = (char)c;
			} else if (c < 0x20) {
				o += (size_t)snprintf(esc + o, sizeof(esc) - o, "\\u%04x", c);
			} else {
				esc[o++] = (char)c;
			}
		}
		esc[o] = '\0';
		snprintf(buf, VPATH_MAX, "%s[\"%s\"]", path, esc);
	}
	return buf;
}

const char *vpath_idx(char *buf, const char *path, size_t i)
{
	snprintf(buf, VPATH_MAX, "%s[%zu]", path, i);
	return buf;
}

static int pos_add(struct jsonpos *p, const char *path, int kl, int kc, int l, int c)
{
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 64;
		struct jpos_entry *ne = realloc(p->e, ncap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		p->e = ne;
		p->cap = ncap;
	}
	p->e[p->n].path = strdup(path);
	if (!p->e[p->n].path)
		return -ENOMEM;
	p->e[p->n].kline = kl;
	p->e[p->n].kcol = kc;
	p->e[p->n].line = l;
	p->e[p->n].col = c;
	p->n++;
	return 0;
}

static void sc_adv(struct scanner *sc)
{
	unsigned char c = (unsigned char)sc->s[sc->i++];

	if (c == '\n') {
		sc->line++;
		sc->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		/* Columns count characters, not UTF-8 continuation bytes. */
		sc->col++;
	}
}

static void sc_ws(struct scanner *sc)
{
	while (sc->i < sc->len && strchr(" \t\r\n", sc->s[sc->i]) && sc->s[sc->i])
		sc_adv(sc);
}

static void put_utf8(char *out, size_t *o, size_t max, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (*o + n < max) {
		memcpy(out + *o, b, n);
		*o += n;
	}
}

static unsigned hex4(const char *p)
{
	unsigned v = 0;

	for (int k = 0; k < 4; k++) {
		char c = p[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
	}
	return v;
}

/* Scan a string at sc->i (a '"'); decode it into out when out is not NULL. */
static int sc_string(struct scanner *sc, char *out, size_t max)
{
	size_t o = 0;

	if (sc->i >= sc->len || sc->s[sc->i] != '"')
		return -EINVAL;
	sc_adv(sc);
	while (sc->i < sc->len && sc->s[sc->i] != '"') {
		char c = sc->s[sc->i];

		if (c == '\\' && sc->i + 1 < sc->len) {
			char e = sc->s[sc->i + 1];

			sc_adv(sc);
			sc_adv(sc);
			if (e == 'u' && sc->i + 4 <= sc->len) {
				unsigned cp = hex4(sc->s + sc->i);

				for (int k = 0; k < 4; k++)
					sc_adv(sc);
				if (cp >= 0xd800 && cp < 0xdc00 && sc->i + 6 <= sc->len &&
				    sc->s[sc->i] == '\\' && sc->s[sc->i + 1] == 'u') {
					unsigned lo = hex4(sc->s + sc->i + 2);

					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					for (int k = 0; k < 6; k++)
						sc_adv(sc);
				}
				if (out)
					put_utf8(out, &o, max, cp);
				continue;
			}
			if (out && o + 1 < max) {
				switch (e) {
				case 'n': out[o++] = '\n'; break;
				case 't': out[o++] = '\t'; break;
				case 'r': out[o++] = '\r'; break;
				case 'b': out[o++] = '\b'; break;
				case 'f': out[o++] = '\f'; break;
				default: out[o++] = e; break;
				}
			}
			continue;
		}
		if (out && o + 1 < max)
			out[o++] = c;
		sc_adv(sc);
	}
	if (sc->i >= sc->len)
		return -EINVAL;
	sc_adv(sc);
	if (out)
		out[o] = '\0';
	return 0;
}

/*
 * The member paths of the object being scanned (pointers to its entries' paths), hashed: a
 * hostile object with 100,000 keys must cost 100,000 lookups, not 10^10 compares.
 */
struct keyset {
	const char **slot;
	size_t cap, n;
};

static size_t key_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static bool keyset_has(const struct keyset *ks, const char *path)
{
	if (!ks->cap)
		return false;
	for (size_t i = key_hash(path) & (ks->cap - 1); ks->slot[i]; i = (i + 1) & (ks->cap - 1))
		if (strcmp(ks->slot[i], path) == 0)
			return true;
	return false;
}

static int keyset_add(struct keyset *ks, const char *path)
{
	size_t i;

	if (2 * (ks->n + 1) > ks->cap) {
		struct keyset big = { .cap = ks->cap ? 2 * ks->cap : 16 };

		big.slot = calloc(big.cap, sizeof(*big.slot));
		if (!big.slot)
			return -ENOMEM;
		for (size_t k = 0; k < ks->cap; k++)
			if (ks->slot[k])
				keyset_add(&big, ks->slot[k]);
		free(ks->slot);
		*ks = big;
	}
	for (i = key_hash(path) & (ks->cap - 1); ks->slot[i]; i = (i + 1) & (ks->cap - 1))
		;
	ks->slot[i] = path;
	ks->n++;
	return 0;
}

/* A member whose path this object already has is a duplicate key. */
static int note_dup(struct jsonpos *p, const struct keyset *ks, const char *path, int l, int c)
{
	struct jpos_entry *nd;

	if (!keyset_has(ks, path))
		return 0;
	nd = realloc(p->dups, (p->ndups + 1) * sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	p->dups = nd;
	nd[p->ndups].path = strdup(path);
	if (!nd[p->ndups].path)
		return -ENOMEM;
	nd[p->ndups].kline = nd[p->ndups].line = l;
	nd[p->ndups].kcol = nd[p->ndups].col = c;
	p->ndups++;
	return 0;
}

static int sc_too_deep(struct scanner *sc, const char *path)
{
	sc->pos->too_deep = true;
	sc->pos->deep_line = sc->line;
	sc->pos->deep_col = sc->col;
	snprintf(sc->pos->deep_path, sizeof(sc->pos->deep_path), "%s", path);
	return -E2BIG;
}

static int sc_value(struct scanner *sc, const char *path, int kl, int kc)
{
	char child[VPATH_MAX];
	int r;

	sc_ws(sc);
	if (sc->i >= sc->len)
		return -EINVAL;
	r = pos_add(sc->pos, path, kl, kc, sc->line, sc->col);
	if (r < 0)
		return r;
	switch (sc->s[sc->i]) {
	case '{': {
		if (++sc->depth > JSON_MAX_DEPTH)
			return sc_too_deep(sc, path);
		sc_adv(sc);
		sc_ws(sc);
		if (sc->i < sc->len && sc->s[sc->i] == '}') {
			sc_adv(sc);
			sc->depth--;
			return 0;
		}
		struct keyset ks = { 0 };

		for (;;) {
			char key[VPATH_MAX];
			size_t at;
			int l, c;

			sc_ws(sc);
			l = sc->line;
			c = sc->col;
			r = sc_string(sc, key, sizeof(key));
			if (r < 0)
				break;
			vpath_key(child, path, key);
			r = note_dup(sc->pos, &ks, child, l, c);
			if (r < 0)
				break;
			sc_ws(sc);
			if (sc->i >= sc->len || sc->s[sc->i] != ':') {
				r = -EINVAL;
				break;
			}
			sc_adv(sc);
			at = sc->pos->n; /* the member's own entry, added first by sc_value() */
			r = sc_value(sc, child, l, c);
			if (r < 0)
				break;
			if (at < sc->pos->n) {
				r = keyset_add(&ks, sc->pos->e[at].path);
				if (r < 0)
					break;
			}
			sc_ws(sc);
			if (sc->i >= sc->len) {
				r = -EINVAL;
				break;
			}
			if (sc->s[sc->i] == ',') {
				sc_adv(sc);
				continue;
			}
			if (sc->s[sc->i] != '}') {
				r = -EINVAL;
				break;
			}
			sc_adv(sc);
			sc->depth--;
			break;
		}
		free(ks.slot);
		return r;
	}
	case '[': {
		size_t idx = 0;

		if (++sc->depth > JSON_MAX_DEPTH)
			return sc_too_deep(sc, path);
		sc_adv(sc);
		sc_ws(sc);
		if (sc->i < sc->len && sc->s[sc->i] == ']') {
			sc_adv(sc);
			sc->depth--;
			return 0;
		}
		for (;;) {
			r = sc_value(sc, vpath_idx(child, path, idx++), 0, 0);
			if (r < 0)
				return r;
			sc_ws(sc);
			if (sc->i >= sc->len)
				return -EINVAL;
			if (sc->s[sc->i] == ',') {
				sc_adv(sc);
				continue;
			}
			if (sc->s[sc->i] != ']')
				return -EINVAL;
			sc_adv(sc);
			sc->depth--;
			return 0;
		}
	}
	case '"':
		return sc_string(sc, NULL, 0);
	default:
		/* number, true, false, null: skip to a delimiter */
		while (sc->i < sc->len && !strchr(",]} \t\r\n", sc->s[sc->i]) && sc->s[sc->i])
			sc_adv(sc);
		return 0;
	}
}

struct jsonpos *jsonpos_build(const char *text, size_t len)
{
	struct jsonpos *p = calloc(1, sizeof(*p));
	struct scanner sc = { .s = text, .len = len, .line = 1, .col = 1 };

	if (!p)
		return NULL;
	sc.pos = p;
	/* A syntax error leaves the entries found so far; jansson reports the error itself. */
	(void)sc_value(&sc, "$", 0, 0);
	return p;
}

void jsonpos_free(struct jsonpos *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->e[i].path);
	for (size_t i = 0; i < p->ndups; i++)
		free(p->dups[i].path);
	free(p->dups);
	free(p->e);
	free(p);
}

void jsonpos_lookup(const struct jsonpos *p, const char *path, bool at_key, int *line, int *col)
{
	char buf[VPATH_MAX];

	*line = 0;
	*col = 0;
	if (!p)
		return;
	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		for (size_t i = 0; i < p->n; i++) {
			if (strcmp(p->e[i].path, buf) != 0)
				continue;
			if (at_key && p->e[i].kline) {
				*line = p->e[i].kline;
				*col = p->e[i].kcol;
			} else {
				*line = p->e[i].line;
				*col = p->e[i].col;
			}
			return;
		}
		/* Not found: fall back to the parent (strip the last .key or [i]). */
		{
			char *dot = strrchr(buf, '.');
			char *br = strrchr(buf, '[');
			char *cut = dot > br ? dot : br;

			if (!cut || cut == buf)
				return;
			*cut = '\0';
			at_key = false;
		}
	}
}

/* ---- error collection --------------------------------------------------------------------- */

void vctx_init(struct vctx *v, const char *file, struct jsonpos *pos)
{
	memset(v, 0, sizeof(*v));
	v->file = file ? file : "<input>";
	v->pos = pos;
}

void vctx_fini(struct vctx *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->errs[i].path);
		free(v->errs[i].msg);
	}
	free(v->errs);
	jsonpos_free(v->pos);
	v->errs = NULL;
	v->pos = NULL;
	v->n = v->cap = 0;
}

/*
 * Messages quote what the input said (keys, names, values): control characters in it become
 * \u00XX, so that one error stays one line and cannot rewrite a terminal.
 */
static void escape_controls(char *s, size_t size)
{
	char tmp[512];
	size_t o = 0;

	for (const char *p = s; *p && o + 7 < sizeof(tmp); p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "\\u%04x", c);
		else
			tmp[o++] = (char)c;
	}
	tmp[o] = '\0';
	snprintf(s, size, "%s", tmp);
}

static void vadd(struct vctx *v, int line, int col, const char *path, const char *fmt, va_list ap)
{
	char msg[512];

	if (v->n > VERR_MAX)
		return;
	if (v->n == VERR_MAX) {
		/* The last line says where the ones not shown begin. */
		path = "$";
		snprintf(msg, sizeof(msg), "more than %d errors; the rest are not shown", VERR_MAX);
	} else {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		escape_controls(msg, sizeof(msg));
	}
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 8;
		struct verror *ne = realloc(v->errs, ncap * sizeof(*ne));

		if (!ne)
			return;
		v->errs = ne;
		v->cap = ncap;
	}
	v->errs[v->n].line = line;
	v->errs[v->n].col = col;
	v->errs[v->n].path = strdup(path ? path : "$");
	v->errs[v->n].msg = strdup(msg);
	if (!v->errs[v->n].path || !v->errs[v->n].msg) {
		free(v->errs[v->n].path);
		free(v->errs[v->n].msg);
		return;
	}
	v->n++;
}

void verr(struct vctx *v, const char *path, const char *fmt, ...)
{
	va_list ap;
	int l, c;

	if (v->n > VERR_MAX)
		return;
	jsonpos_lookup(v->pos, path, false, &l, &c);
	va_start(ap, fmt);
	vadd(v, l, c, path, fmt, ap);
	va_end(ap);
}

void verr_key(struct vctx *v, const char *path, const char *fmt, ...)
{
	va_list ap;
	int l, c;

	if (v->n > VERR_MAX)
		return;
	jsonpos_lookup(v->pos, path, true, &l, &c);
	va_start(ap, fmt);
	vadd(v, l, c, path, fmt, ap);
	va_end(ap);
}

void verr_at(struct vctx *v, int line, int col, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(v, line, col, path, fmt, ap);
	va_end(ap);
}

static char *verror_text(const struct vctx *v, const struct verror *e)
{
	char *s = NULL;

	if (asprintf(&s, "%s:%d:%d: %s: %s", v->file, e->line, e->col, e->path, e->msg) < 0)
		return NULL;
	return s;
}

char *vctx_format(const struct vctx *v)
{
	size_t len = 0;
	char *out = NULL;

	for (size_t i = 0; i < v->n; i++) {
		char *line = verror_text(v, &v->errs[i]);
		size_t ll;
		char *no;

		if (!line)
			continue;
		ll = strlen(line);
		no = realloc(out, len + ll + 2);
		if (!no) {
			free(line);
			break;
		}
		out = no;
		memcpy(out + len, line, ll);
		len += ll;
		out[len++] = '\n';
		out[len] = '\0';
		free(line);
	}
	return out ? out : strdup("");
}

json_t *vctx_to_json(const struct vctx *v)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < v->n; i++) {
		const struct verror *e = &v->errs[i];
		char *text = verror_text(v, e);

		json_array_append_new(arr, json_pack("{s:s, s:i, s:i, s:s, s:s, s:s?}", "file", v->file,
						     "line", e->line, "column", e->col, "path",
						     e->path, "message", e->msg, "text", text));
		free(text);
	}
	return arr;
}

/* ---- strict loading ----------------------------------------------------------------------- */

json_t *vjson_load(struct vctx *v, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *j;

	if (memchr(text, '\0', len)) {
		const char *nul = memchr(text, '\0', len);
		int line = 1, col = 1;

		for (const char *p = text; p < nul; p++) {
			if (*p == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)*p & 0xc0) != 0x80) {
				col++;
			}
		}
		verr_at(v, line, col, "$", "NUL byte in input");
		return NULL;
	}
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		verr_at(v, 1, 1, "$", "byte order mark (U+FEFF) at the start; JSON text must not "
			"begin with one");
		return NULL;
	}
	if (!v->pos)
		v->pos = jsonpos_build(text, len);
	if (v->pos && v->pos->too_deep) {
		verr_at(v, v->pos->deep_line, v->pos->deep_col, v->pos->deep_path,
			"nesting deeper than %d levels", JSON_MAX_DEPTH);
		return NULL;
	}
	if (v->pos && v->pos->ndups) {
		for (size_t i = 0; i < v->pos->ndups; i++) {
			const struct jpos_entry *d = &v->pos->dups[i];
			const char *k = strrchr(d->path, '.');

			verr_at(v, d->line, d->col, d->path, "duplicate key '%s'", k ? k + 1 : d->path);
		}
		return NULL;
	}
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		/* Columns count from 1; jansson says 0 at the end of an empty first line. */
		int col = jerr.column < 0 ? 0 : jerr.column;

		if (jerr.line > 0 && col < 1)
			col = 1;
		verr_at(v, jerr.line < 0 ? 0 : jerr.line, col, "$", "%s", jerr.text);
		return NULL;
	}
	return j;
}

/* ---- field helpers ------------------------------------------------------------------------ */

static const char *type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

int v_object(struct vctx *v, const json_t *j, const char *path, const char *const allowed[])
{
	const char *key;
	json_t *val;
	int bad = 0;

	if (!json_is_object(j)) {
		verr(v, path, "expected an object, got %s", type_name(j));
		return -1;
	}
	if (!allowed)
		return 1;
	json_object_foreach((json_t *)j, key, val) {
		bool ok = false;
		char p[VPATH_MAX];

		for (size_t i = 0; allowed[i]; i++) {
			if (strcmp(allowed[i], key) == 0) {
				ok = true;
				break;
			}
		}
		if (!ok) {
			verr_key(v, vpath_key(p, path, key), "unknown key '%s'", key);
			bad = 1;
		}
	}
	return bad ? -1 : 1;
}

static json_t *field(struct vctx *v, const json_t *obj, const char *key, const char *path,
		     bool req, char *fpath)
{
	json_t *j = json_object_get(obj, key);

	vpath_key(fpath, path, key);
	if (!j && req)
		verr(v, path, "missing required key '%s'", key);
	return j;
}

int v_string(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	     const char **out)
{
	char p[VPATH_MAX];
	json_t *j = field(v, obj, key, path, req, p);

	if (!j)
		return req ? -1 : 0;
	if (!json_is_string(j)) {
		verr(v, p, "expected a string, got %s", type_name(j));
		return -1;
	}
	*out = json_string_value(j);
	return 1;
}

int v_bool(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	   bool *out)
{
	char p[VPATH_MAX];
	json_t *j = field(v, obj, key, path, req, p);

	if (!j)
		return req ? -1 : 0;
	if (!json_is_boolean(j)) {
		verr(v, p, "expected a boolean, got %s", type_name(j));
		return -1;
	}
	*out = json_is_true(j);
	return 1;
}

int v_number(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	     double min, double max, double *out)
{
	char p[VPATH_MAX];
	json_t *j = field(v, obj, key, path, req, p);
	double d;

	if (!j)
		return req ? -1 : 0;
	if (!json_is_number(j)) {
		verr(v, p, "expected a number, got %s", type_name(j));
		return -1;
	}
	d = json_number_value(j);
	if (!isfinite(d) || d < min || d > max) {
		verr(v, p, "%g is out of range %g..%g", d, min, max);
		return -1;
	}
	*out = d;
	return 1;
}

int v_uint(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	   uint64_t min, uint64_t max, uint64_t *out)
{
	char p[VPATH_MAX];
	json_t *j = field(v, obj, key, path, req, p);
	json_int_t i;

	if (!j)
		return req ? -1 : 0;
	if (!json_is_integer(j)) {
		verr(v, p, "expected an integer, got %s", type_name(j));
		return -1;
	}
	i = json_integer_value(j);
	if (i < 0 || (uint64_t)i < min || (uint64_t)i > max) {
		verr(v, p, "%lld is out of range %llu..%llu", (long long)i, (unsigned long long)min,
		     (unsigned long long)max);
		return -1;
	}
	*out = (uint64_t)i;
	return 1;
}

int v_duration(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	       uint64_t min, uint64_t max, uint64_t *out)
{
	char p[VPATH_MAX], a[32], b[32];
	json_t *j = field(v, obj, key, path, req, p);
	uint64_t ns;
	int r;

	if (!j)
		return req ? -1 : 0;
	if (!json_is_string(j)) {
		verr(v, p, "expected a duration string such as \"250ms\" or \"10s\", got %s",
		     type_name(j));
		return -1;
	}
	r = parse_duration(json_string_value(j), &ns);
	if (r == -ERANGE) {
		verr(v, p, "duration '%s' is too large", json_string_value(j));
		return -1;
	}
	if (r < 0) {
		verr(v, p, "invalid duration '%s' (use a number and ns, us, ms, s, m or h)",
		     json_string_value(j));
		return -1;
	}
	if (ns < min || ns > max) {
		fmt_duration(min, a, sizeof(a));
		fmt_duration(max, b, sizeof(b));
		verr(v, p, "duration '%s' is out of range %s..%s", json_string_value(j), a, b);
		return -1;
	}
	*out = ns;
	return 1;
}

int v_size(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	   uint64_t *out)
{
	char p[VPATH_MAX];
	json_t *j = field(v, obj, key, path, req, p);
	int r;

	if (!j)
		return req ? -1 : 0;
	if (!json_is_string(j)) {
		verr(v, p, "expected a size string such as \"512MiB\", got %s", type_name(j));
		return -1;
	}
	r = parse_size(json_string_value(j), out);
	if (r == -ERANGE) {
		verr(v, p, "size '%s' is too large", json_string_value(j));
		return -1;
	}
	if (r < 0) {
		verr(v, p, "invalid size '%s' (use a number and B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)",
		     json_string_value(j));
		return -1;
	}
	return 1;
}

int v_percent(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	      double *out)
{
	return v_number(v, obj, key, path, req, 0, 100, out);
}

int v_name(struct vctx *v, const json_t *obj, const char *key, const char *path, bool req,
	   const char **out)
{
	char p[VPATH_MAX];
	const char *s;
	int r = v_string(v, obj, key, path, req, &s);

	if (r <= 0)
		return r;
	vpath_key(p, path, key);
	if (!*s || strlen(s) > 64 || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					       "0123456789_.-") != strlen(s)) {
		verr(v, p, "invalid name '%s' (1 to 64 of A-Z a-z 0-9 _ . -)", s);
		return -1;
	}
	*out = s;
	return 1;
}
