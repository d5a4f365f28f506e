# SPDX-License-Identifier: MIT
"""Gather bench/*.sh's section files into results.json; print the table (text) and write
results.md (the Markdown that docs/benchmarks.md holds).

    python3 bench/report.py OUTDIR SECTION...
"""
import datetime
import json
import os
import platform
import subprocess
import sys


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        rev = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, check=False).stdout.strip() or "unknown"
    except OSError:
        rev = "unknown"
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    return {"kernel": platform.release(), "cpus": os.cpu_count(), "cpu": cpu,
            "memory_mib": mem, "git": rev,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return "{:,}".format(v)
    if isinstance(v, float):
        a = abs(v)
        if a == 0:
            return "0"
        if a >= 1000:
            return "{:,.0f}".format(v)
        if a >= 100:
            return "%.0f" % v
        if a >= 10:
            return "%.1f" % v
        if a >= 1:
            return "%.2f" % v
        return "%.3g" % v
    return str(v)


def ratio(r):
    f, p, better = r.get("faultline"), r.get("peer"), r.get("better")
    if not isinstance(f, (int, float)) or not isinstance(p, (int, float)) or not better:
        return None
    if f <= 0 or p <= 0:
        return None
    return p / f if better == "lower" else f / p


def table(sec):
    rows = sec["rows"]
    has_req = any("requested" in r for r in rows)
    has_peer = any(r.get("peer") is not None for r in rows)
    has_ratio = any(ratio(r) is not None for r in rows)
    has_n = any("n" in r for r in rows)
    head = ["measure", "unit"]
    if has_req:
        head.append("requested")
    head.append("faultline")
    if has_peer:
        head += ["peer", "peer's mechanism"]
    if has_ratio:
        head.append("faultline's advantage")
    if has_n:
        head.append("n")
    out = []
    for r in rows:
        line = [r["label"], r.get("unit", "")]
        if has_req:
            line.append(fmt(r.get("requested")))
        line.append(fmt(r.get("faultline")))
        if has_peer:
            line += [fmt(r.get("peer")), r.get("peer_name", "")]
        if has_ratio:
            x = ratio(r)
            line.append("-" if x is None else "%.1fx" % x if x >= 10 else "%.2fx" % x)
        if has_n:
            line.append(fmt(r.get("n")))
        out.append(line)
    return head, out


def text_table(head, rows):
    w = [max(len(str(c)) for c in col) for col in zip(head, *rows)]
    lines = ["  ".join(str(c).ljust(w[i]) for i, c in enumerate(head)).rstrip(),
             "  ".join("-" * x for x in w)]
    for r in rows:
        lines.append("  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)).rstrip())
    return "\n".join(lines)


def md_table(head, rows):
    esc = lambda c: str(c).replace("|", "\\|")
    lines = ["| " + " | ".join(esc(c) for c in head) + " |",
             "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(esc(c) for c in r) + " |")
    return "\n".join(lines)


def goal_line(g):
    met = {True: "met", False: "not met", None: "not measured"}[g.get("met")]
    return "%s: %s (%s)" % (g["goal"], g["measured"], met)


def main():
    out, ids = sys.argv[1], sys.argv[2:]
    res = {"machine": machine(), "command": "make bench", "sections": []}
    for i in ids:
        path = os.path.join(out, i + ".json")
        try:
            with open(path) as f:
                res["sections"].append(json.load(f))
        except (OSError, ValueError) as e:
            res["sections"].append({"id": i, "title": i, "error": "no results: %s" % e,
                                    "rows": [], "goals": [], "notes": [], "method": ""})
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    m = res["machine"]
    hdr = "%s, %d CPUs, %d MiB, kernel %s, faultline %s, %s" % (
        m["cpu"], m["cpus"], m["memory_mib"], m["kernel"], m["git"], m["date"])
    txt, md = ["faultline benchmarks: " + hdr], ["Measured on: " + hdr]
    for n, s in enumerate(res["sections"], 1):
        txt.append("\n%d. %s" % (n, s["title"]))
        md.append("\n### %d. %s\n" % (n, s["title"]))
        if s.get("error"):
            txt.append("  " + s["error"])
            md.append(s["error"])
            continue
        if s.get("method"):
            md.append(s["method"] + "\n")
        if s["rows"]:
            head, rows = table(s)
            txt.append(text_table(head, rows))
            md.append(md_table(head, rows))
        if s["goals"]:
            md.append("")
        for g in s["goals"]:
            txt.append("  goal " + goal_line(g))
            md.append("- Goal " + goal_line(g))
        if s["notes"]:
            md.append("")
        for t in s["notes"]:
            txt.append("  note: " + t)
            md.append("- Note: " + t)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(txt))
    print("\nwritten: %s, %s" % (os.path.join(out, "results.json"),
                                 os.path.join(out, "results.md")))
    return 1 if any(s.get("error") for s in res["sections"]) else 0


sys.exit(main())
