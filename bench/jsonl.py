# SPDX-License-Identifier: MIT
"""Helpers for bench/lib.sh: one JSON line per row/goal/note, and a section's file."""
import json
import os
import re
import sys

NUM = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


def value(v):
    if v in ("true", "false"):
        return v == "true"
    if v in ("null", ""):
        return None
    if NUM.match(v):
        f = float(v)
        return int(f) if f.is_integer() and "." not in v and "e" not in v.lower() else f
    return v


def pairs(args):
    out = {}
    for a in args:
        k, sep, v = a.partition("=")
        if not sep:
            sys.exit("bench: '%s' is not key=value" % a)
        out[k] = value(v)
    return out


def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def main():
    kind = sys.argv[1]
    if kind in ("row", "goal", "note"):
        obj = pairs(sys.argv[2:])
        if kind == "row" and "label" not in obj:
            sys.exit("bench: a row needs label=")
        if kind == "note":
            obj = obj["text"]
        print(json.dumps(obj))
    elif kind == "section":
        d, sid = sys.argv[2], sys.argv[3]
        with open(os.path.join(d, "title")) as f:
            title = f.read().strip()
        with open(os.path.join(d, "method")) as f:
            method = f.read().strip()
        json.dump({"id": sid, "title": title, "method": method,
                   "rows": lines(os.path.join(d, "rows")),
                   "goals": lines(os.path.join(d, "goals")),
                   "notes": lines(os.path.join(d, "notes"))}, sys.stdout, indent=1)
        print()
    else:
        sys.exit("bench: unknown kind " + kind)


main()
