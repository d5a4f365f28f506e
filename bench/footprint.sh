#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench, section 5 (issue 7): the agent's footprint.  faultlined's resident memory (VmRSS,
# and Pss from smaps_rollup) and CPU (its own, and that of the children it reaped) from /proc,
# idle and then during a run with 10 probes sampled every 100ms, with a harmless fault (a
# process.pause of a sleeper started here).  The goals of the issue: idle RSS under 8 MiB,
# idle CPU under 0.1% of a core.  Where the idle RSS goes is listed from smaps, by mapping.
. "$(dirname "$0")/../tests/lib.sh"
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
IDLE=$(count 60 10) # seconds
RUN=$(count 60 10)

# sample.py PID SECONDS INTERVAL: the agent's memory every INTERVAL and its CPU over SECONDS.
# CPU is taken from the sum of its threads' /proc/PID/task/TID/schedstat (nanoseconds) when
# the same threads lived through the whole window, else from /proc/PID/stat's utime + stime
# (10ms ticks, which keep the time of threads that exited).  Children: cutime + cstime, the
# CPU of the children the agent reaped (command probes).  Prints key=value lines.
cat >"$T/sample.py" <<'EOF'
import os, sys, time
pid, secs, step = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
hz = os.sysconf("SC_CLK_TCK")
def status():
    out = {}
    for l in open("/proc/%s/status" % pid):
        k, _, v = l.partition(":")
        if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
            out[k] = int(v.split()[0])
    for l in open("/proc/%s/smaps_rollup" % pid):
        if l.startswith("Pss:"):
            out["Pss"] = int(l.split()[1])
    return out
def cpu():
    s = open("/proc/%s/stat" % pid).read()
    f = s[s.rindex(")") + 2:].split()
    tasks = {}
    for t in os.listdir("/proc/%s/task" % pid):
        try:
            tasks[t] = int(open("/proc/%s/task/%s/schedstat" % (pid, t)).read().split()[0])
        except OSError:
            pass
    return int(f[11]) + int(f[12]), int(f[13]) + int(f[14]), tasks
c0, t0 = cpu(), time.monotonic()
seen, samples = set(c0[2]), []
end = t0 + secs
while True:
    samples.append(status())
    now = time.monotonic()
    if now >= end:
        break
    time.sleep(min(step, end - now))
    seen |= set(os.listdir("/proc/%s/task" % pid))
c1, t1 = cpu(), time.monotonic()
dt = t1 - t0
if set(c0[2]) == set(c1[2]) == seen:
    own = 100.0 * sum(c1[2][t] - c0[2][t] for t in seen) / 1e9 / dt
    how = "schedstat"
else:
    own = 100.0 * (c1[0] - c0[0]) / hz / dt
    how = "ticks"
kb = lambda k, f: f(s[k] for s in samples) / 1024.0
mean = lambda it: (lambda v: sum(v) / len(v))(list(it))
print("cpu=%.4f" % own)
print("cpu_how=%s" % how)
print("children=%.3f" % (100.0 * (c1[1] - c0[1]) / hz / dt))
print("rss_mean=%.2f" % kb("VmRSS", mean))
print("rss_max=%.2f" % kb("VmRSS", max))
print("pss_mean=%.2f" % kb("Pss", mean))
print("pss_max=%.2f" % kb("Pss", max))
print("anon_max=%.2f" % kb("RssAnon", max))
print("file_max=%.2f" % kb("RssFile", max))
print("hwm=%.2f" % (samples[-1]["VmHWM"] / 1024.0))
print("threads=%d" % max(s["Threads"] for s in samples))
print("tasks_seen=%d" % len(seen))
print("n=%d" % len(samples))
print("secs=%.1f" % dt)
EOF
# smaps.py PID: where the resident memory is, by mapping (KiB of Rss and Pss), and how much
# of it is libcurl and the libraries only it pulls in (ldd of libcurl minus ldd of the other
# libraries the agent links).
cat >"$T/smaps.py" <<'EOF'
import os, re, subprocess, sys
pid = sys.argv[1]
rss, pss, dirty, name = {}, {}, {}, None
for l in open("/proc/%s/smaps" % pid):
    if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", l):
        f = l.split(None, 5)
        name = f[5].strip() if len(f) > 5 and f[5].strip() else "[anon]"
    elif l.startswith("Rss:"):
        rss[name] = rss.get(name, 0) + int(l.split()[1])
    elif l.startswith("Pss:"):
        pss[name] = pss.get(name, 0) + int(l.split()[1])
    elif l.startswith("Private_Dirty:"):
        dirty[name] = dirty.get(name, 0) + int(l.split()[1])
def deps(lib):
    out = subprocess.run(["ldd", lib], capture_output=True, text=True).stdout
    return {os.path.realpath(m.group(1)) for m in re.finditer(r"=> (/\S+)", out)}
libs = [n for n in rss if n.startswith("/") and ".so" in n]
curl = [n for n in libs if "/libcurl" in n]
only = set()
if curl:
    others = set()
    for n in libs:
        if re.search(r"/lib(nl-3|nl-route-3|bpf|jansson)\.so", n):
            others |= deps(n) | {n}
    exe = os.path.realpath("/proc/%s/exe" % pid)
    base = {n for n in libs if re.search(r"/(libc|libm|ld-linux[^/]*)\.so", n)}
    only = ({os.path.realpath(n) for n in curl} | deps(curl[0])) - others - base
    only = {n for n in libs if os.path.realpath(n) in only}
def short(n):
    return os.path.basename(n) if n.startswith("/") else n
top = sorted(rss, key=lambda n: -rss[n])[:8]
print("top=" + ", ".join("%s %d" % (short(n), rss[n]) for n in top))
print("curl_rss=%d" % sum(rss[n] for n in only))
print("curl_libs=%d" % len(only))
print("crypto_rss=%d" % sum(rss[n] for n in only if "libcrypto" in n or "libssl" in n))
tls = re.compile(r"lib(gnutls|p11-kit|nettle|hogweed|gmp|tasn1)")
print("tls_rss=%d" % sum(rss[n] for n in only if tls.search(n)))
exe = os.path.realpath("/proc/%s/exe" % pid)
print("exe_rss=%d" % sum(v for n, v in rss.items()
                         if n.startswith("/") and os.path.realpath(n) == exe))
print("anon_rss=%d" % sum(v for n, v in rss.items() if not n.startswith("/")))
print("nss_rss=%d" % sum(v for n, v in rss.items() if "libnss_" in n))
print("dirty=%d" % sum(dirty.values()))
EOF
kv() { sed -n "s/^$1=//p" <<<"$2"; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }

bench_begin footprint "Footprint: the agent's memory and CPU, idle and under probes"
method "faultlined (default log level) is started on its own; /proc/PID/status (VmRSS), \
/proc/PID/smaps_rollup (Pss) and the CPU of its threads (/proc/PID/task/*/schedstat, or \
/proc/PID/stat when threads come and go) are read every second for ${IDLE} s while it is \
idle (nothing calls it), then for ${RUN} s while it runs an experiment with 10 probes \
sampled every 100 ms (4 http GETs of a local busybox httpd, 3 tcp connects to it, 2 process \
probes, 1 command probe running /bin/true) and a process.pause of a sleeper.  CPU is in % of \
one core; the children's CPU is what the processes the agent started and reaped used \
(cutime + cstime).  RSS counts shared library pages in full; Pss divides them among the \
processes that map them."
start_agent --log-level info || { echo "bench: footprint: cannot start faultlined" >&2; exit 1; }
sleep 1

# ---- idle ------------------------------------------------------------------------------------
S=$("$PY" "$T/sample.py" "$AGENT_PID" "$IDLE" 1) || exit 1
S_IDLE=$S
M=$("$PY" "$T/smaps.py" "$AGENT_PID")
idle_rss=$(kv rss_mean "$S") idle_cpu=$(kv cpu "$S")
row label="idle: RSS (VmRSS, mean)" unit=MiB faultline="$idle_rss" better=lower n="$(kv n "$S")"
row label="idle: Pss (mean)" unit=MiB faultline="$(kv pss_mean "$S")" better=lower n="$(kv n "$S")"
row label="idle: CPU" unit="% of a core" faultline="$idle_cpu" better=lower
if lt "$idle_rss" 8; then met=true; else met=false; fi
goal "idle RSS under 8 MiB" "$idle_rss MiB" "$met"
if lt "$idle_cpu" 0.1; then met=true; else met=false; fi
goal "idle CPU under 0.1%" "$idle_cpu%" "$met"
note "idle CPU over $(kv secs "$S") s from $(kv cpu_how "$S") ($(kv threads "$S") thread(s)); \
idle RSS $(kv anon_max "$S") MiB anonymous, $(kv file_max "$S") MiB file-backed (code and \
data of the binary and its libraries)."
note "where the idle RSS is (smaps, KiB by mapping): $(kv top "$M"). libcurl and the \
$(($(kv curl_libs "$M") - 1)) libraries only it pulls in hold $(mib "$(kv curl_rss "$M")") MiB \
(OpenSSL $(mib "$(kv crypto_rss "$M")") MiB, GnuTLS and its helpers $(mib "$(kv tls_rss "$M")") \
MiB); faultlined's own binary $(mib "$(kv exe_rss "$M")") MiB; heap, stack and other anonymous \
mappings $(mib "$(kv anon_rss "$M")") MiB; NSS modules $(mib "$(kv nss_rss "$M")") MiB."

# ---- under probes ----------------------------------------------------------------------------
PORT=$(free_port) || exit 1
start_http "$PORT" || { echo "bench: footprint: busybox httpd did not start" >&2; exit 1; }
start_target fl-bench-sleeper
sleeper=$TARGET_PID
start_target fl-bench-paused
url=http://127.0.0.1:$PORT/health
probes=
for i in 1 2 3 4; do
	probes+='{"name":"http'$i'","type":"http","url":"'"$url"'","interval":"100ms",
	 "timeout":"1s","expect":{"status":[200],"body_contains":"ok"}},'
done
for i in 1 2 3; do
	probes+='{"name":"tcp'$i'","type":"tcp","host":"127.0.0.1","port":'"$PORT"',
	 "interval":"100ms","timeout":"1s"},'
done
for i in 1 2; do
	probes+='{"name":"proc'$i'","type":"process","target":{"pid":'"$sleeper"'},"interval":"100ms"},'
done
probes+='{"name":"cmd","type":"command","argv":["/bin/true"],"interval":"100ms","timeout":"1s"}'
cat >"$T/run.json" <<EOF
{"version":1,"title":"bench footprint","hypothesis":{"probes":[$probes],
 "before":{"duration":"1s"},"after":{"within":"10s"}},
 "faults":[{"name":"pause","type":"process.pause","target":{"pid":$TARGET_PID},
  "duration":"$((RUN + 30))s"}],
 "safety":{"max_duration":"$((RUN + 60))s"}}
EOF
id=$("$FAULTCTL" run "$T/run.json") || { echo "bench: footprint: faultctl run failed" >&2; exit 1; }
on_exit "'$FAULTCTL' abort '$id' >/dev/null 2>&1"
fault_active() { [ "$(run_field "$id" "r['faults'][0]['state']")" = active ]; }
wait_for 15 fault_active || echo "bench: footprint: the fault did not become active" >&2
S=$("$PY" "$T/sample.py" "$AGENT_PID" "$RUN" 1) || exit 1
samples=$(run_field "$id" "sum(p.get('samples', 0) for p in r.get('probes', []))" 2>/dev/null)
# abort returns once the fault is rolled back.
"$FAULTCTL" abort "$id" >/dev/null 2>&1
total=$(run_field "$id" "sum(p.get('samples', 0) for p in r.get('probes', []))" 2>/dev/null)
P="10 probes every 100ms:"
row label="$P RSS (VmRSS, peak)" unit=MiB faultline="$(kv rss_max "$S")" better=lower \
	n="$(kv n "$S")"
row label="$P Pss (peak)" unit=MiB faultline="$(kv pss_max "$S")" better=lower n="$(kv n "$S")"
row label="$P CPU" unit="% of a core" faultline="$(kv cpu "$S")" better=lower
row label="$P children's CPU (command probe)" unit="% of a core" faultline="$(kv children "$S")" \
	better=lower
note "under probes: CPU over $(kv secs "$S") s from $(kv cpu_how "$S") (up to $(kv threads "$S") \
thread(s), $(kv tasks_seen "$S") seen); VmHWM at the end $(kv hwm "$S") MiB${samples:+; the run \
took $samples probe samples}."

# ---- idle again ------------------------------------------------------------------------------
sleep 2
S=$("$PY" "$T/sample.py" "$AGENT_PID" 3 1) || exit 1
row label="after the run, idle again: RSS" unit=MiB faultline="$(kv rss_mean "$S")" better=lower \
	n="$(kv n "$S")"
M2=$("$PY" "$T/smaps.py" "$AGENT_PID")
note "after the run: RssAnon $(kv anon_max "$S") MiB (idle before: $(kv anon_max "$S_IDLE")), \
RssFile $(kv file_max "$S") MiB (before: $(kv file_max "$S_IDLE")); by mapping, heap and \
other anonymous mappings $(mib "$(kv anon_rss "$M2")") MiB (before: \
$(mib "$(kv anon_rss "$M")")), libcurl and its libraries $(mib "$(kv curl_rss "$M2")") MiB \
(before: $(mib "$(kv curl_rss "$M")")), faultlined's binary $(mib "$(kv exe_rss "$M2")") MiB \
(before: $(mib "$(kv exe_rss "$M")"))."
if [ -n "$total" ] && [ "$total" -gt 0 ]; then
	note "the heap the run added stays after it ends: $(awk -v a="$(kv anon_rss "$M2")" \
-v b="$(kv anon_rss "$M")" -v n="$total" 'BEGIN { printf "%.0f bytes per probe sample (%.1f MiB \
over %d samples)", (a - b) * 1024 / n, (a - b) / 1024, n }')."
fi
stop_agent
bench_end
