#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Strict parser for the Prometheus text exposition format 0.0.4, for tests.

Usage: promparse.py [FILE]   (standard input without FILE)

Checks every line against the format's grammar and the rules a scraper relies on: HELP and
TYPE at most once per family and before its samples, a family's samples contiguous, no
duplicate series, valid names, label escapes and values, counters not negative, histograms
with ascending le buckets that are cumulative and end in +Inf equal to _count, with _sum and
_count.  The text is then parsed again with prometheus_client's own parser.  Prints the
samples as JSON {"families": {NAME: {"type", "help", "samples": [[NAME, LABELS, VALUE]]}}}
and exits 0, or prints "promparse: LINE: problem" and exits 1.
"""
import json
import math
import re
import sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*'
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}


class Bad(Exception):
    pass


def parse_value(s, where):
    if s in ('+Inf', 'Inf'):
        return math.inf
    if s == '-Inf':
        return -math.inf
    if s == 'NaN':
        return math.nan
    if not re.fullmatch(r'[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?', s):
        raise Bad(f'{where}: bad value {s!r}')
    return float(s)


def parse_labels(s, where):
    """s starts after '{'; returns (labels, rest after '}')."""
    labels = {}
    i = 0
    while True:
        if s[i:i + 1] == '}':
            return labels, s[i + 1:]
        m = re.match(LABEL, s[i:])
        if not m:
            raise Bad(f'{where}: bad label name at {s[i:i + 20]!r}')
        name = m.group(0)
        i += len(name)
        if s[i:i + 2] != '="':
            raise Bad(f'{where}: expected =" after label {name!r}')
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise Bad(f'{where}: unterminated label value')
            c = s[i]
            if c == '\\':
                nxt = s[i + 1:i + 2]
                if nxt not in ('\\', '"', 'n'):
                    raise Bad(f'{where}: bad escape \\{nxt} in label {name!r}')
                val.append('\n' if nxt == 'n' else nxt)
                i += 2
                continue
            if c == '"':
                i += 1
                break
            if c == '\n':
                raise Bad(f'{where}: raw newline in label value')
            val.append(c)
            i += 1
        if name in labels:
            raise Bad(f'{where}: label {name!r} given twice')
        labels[name] = ''.join(val)
        if s[i:i + 1] == ',':
            i += 1
            if s[i:i + 1] == '}':
                return labels, s[i + 1:]
        elif s[i:i + 1] != '}':
            raise Bad(f'{where}: expected , or }} after label {name!r}')


def family_of(sample, types):
    for suffix in ('_bucket', '_sum', '_count'):
        if sample.endswith(suffix):
            base = sample[:-len(suffix)]
            if types.get(base) in ('histogram', 'summary'):
                return base
    return sample


def parse(text):
    if text and not text.endswith('\n'):
        raise Bad('end: the last line has no newline')
    families = {}
    types, helps = {}, {}
    order, series = [], set()
    current = None
    for n, line in enumerate(text.split('\n')[:-1], 1):
        where = f'line {n}'
        if line == '':
            continue
        if line.startswith('#'):
            m = re.fullmatch(r'# (HELP|TYPE) (' + NAME + r') (.*)', line)
            if not m:
                continue  # a plain comment
            kind, name, rest = m.groups()
            fam = families.setdefault(name, {'type': 'untyped', 'help': None, 'samples': []})
            if kind == 'TYPE':
                if name in types:
                    raise Bad(f'{where}: second TYPE for {name}')
                if fam['samples']:
                    raise Bad(f'{where}: TYPE for {name} after its samples')
                if rest not in TYPES:
                    raise Bad(f'{where}: unknown type {rest!r}')
                types[name] = fam['type'] = rest
            else:
                if name in helps:
                    raise Bad(f'{where}: second HELP for {name}')
                if re.search(r'\\[^\\n]', rest):
                    raise Bad(f'{where}: bad escape in HELP')
                helps[name] = fam['help'] = rest
            if current != name:
                if name in order:
                    raise Bad(f'{where}: family {name} is not contiguous')
                order.append(name)
                current = name
            continue
        m = re.match(NAME, line)
        if not m:
            raise Bad(f'{where}: bad metric name in {line[:40]!r}')
        sname = m.group(0)
        rest = line[len(sname):]
        labels = {}
        if rest.startswith('{'):
            labels, rest = parse_labels(rest[1:], where)
        if not rest.startswith(' '):
            raise Bad(f'{where}: expected a space before the value')
        parts = rest.strip(' ').split(' ')
        if len(parts) not in (1, 2):
            raise Bad(f'{where}: expected VALUE [TIMESTAMP]')
        value = parse_value(parts[0], where)
        if len(parts) == 2 and not re.fullmatch(r'-?\d+', parts[1]):
            raise Bad(f'{where}: bad timestamp {parts[1]!r}')
        fname = family_of(sname, types)
        if fname != current:
            if fname in order:
                raise Bad(f'{where}: family {fname} is not contiguous')
            order.append(fname)
            current = fname
        fam = families.setdefault(fname, {'type': 'untyped', 'help': None, 'samples': []})
        key = (sname, tuple(sorted(labels.items())))
        if key in series:
            raise Bad(f'{where}: duplicate series {sname}{labels}')
        series.add(key)
        if fam['type'] == 'counter' and not value >= 0:
            raise Bad(f'{where}: counter {sname} is {value}')
        if fam['type'] == 'histogram' and sname == fname:
            raise Bad(f'{where}: histogram {fname} sample without _bucket/_sum/_count')
        fam['samples'].append([sname, labels, value])
    for name, fam in families.items():
        if fam['type'] == 'histogram':
            check_histogram(name, fam['samples'])
    return families


def check_histogram(name, samples):
    groups = {}
    for sname, labels, value in samples:
        rest = {k: v for k, v in labels.items() if k != 'le'}
        g = groups.setdefault(tuple(sorted(rest.items())), {'buckets': [], 'sum': None,
                                                             'count': None})
        if sname == name + '_bucket':
            if 'le' not in labels:
                raise Bad(f'{name}: bucket without le')
            g['buckets'].append((parse_value(labels['le'], name), value))
        elif sname == name + '_sum':
            g['sum'] = value
        elif sname == name + '_count':
            g['count'] = value
    for key, g in groups.items():
        b = g['buckets']
        if not b or b[-1][0] != math.inf:
            raise Bad(f'{name}{dict(key)}: the last bucket is not le="+Inf"')
        for (le1, c1), (le2, c2) in zip(b, b[1:]):
            if not le1 < le2:
                raise Bad(f'{name}{dict(key)}: le {le2} after {le1}')
            if c2 < c1:
                raise Bad(f'{name}{dict(key)}: buckets not cumulative at le {le2}')
        if g['count'] is None or g['sum'] is None:
            raise Bad(f'{name}{dict(key)}: _sum or _count missing')
        if g['count'] != b[-1][1]:
            raise Bad(f'{name}{dict(key)}: _count {g["count"]} != +Inf bucket {b[-1][1]}')


def main():
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    try:
        families = parse(text)
    except Bad as e:
        print(f'promparse: {e}', file=sys.stderr)
        return 1
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        print('promparse: prometheus_client is not installed', file=sys.stderr)
        return 1
    try:
        names = {f.name for f in text_string_to_metric_families(text)}
    except Exception as e:  # its parser raises ValueError and others
        print(f'promparse: prometheus_client refuses it: {e}', file=sys.stderr)
        return 1
    if not names:
        print('promparse: no metric families', file=sys.stderr)
        return 1
    json.dump({'families': families}, sys.stdout, default=str)
    print()
    return 0


if __name__ == '__main__':
    sys.exit(main())
