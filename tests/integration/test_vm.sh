#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/vm-test.sh keeps its contract: the script's exit status and output come back, the
# working directory and the host's files are there, writes stay in the VM, and the VM's kernel
# really has netem (the host's may not).  A harness that cannot boot (exit 125) is a failure.
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
VMTEST=$ROOT/scripts/vm-test.sh

# vm [ARGS...]: run scripts/vm-test.sh; sets OUT (stdout) and RC.
vm() {
	OUT=$("$VMTEST" "$@" 2>"$T/vm.err")
	RC=$?
	if [ "$RC" -eq 125 ]; then
		echo "vm-test.sh failed to run the VM; its stderr:"
		cat "$T/vm.err"
	fi
}
has() { grep -qxF -- "$1" <<<"$OUT"; }
lacks() { ! has "$1"; }
absent() { [ ! -e "$1" ] && [ ! -e "$2" ]; }
run_dirs() { ls -d "$ROOT"/build/vm/run.* 2>/dev/null; }
runs_before=$(run_dirs)

# ---- exit status, output, working directory, host files, isolation of writes ------------------
mkdir -p "$T/work dir"
secret=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$secret" >"$T/secret"
echo original >"$T/work dir/keep"
leak=/etc/faultline-vm-leak-$secret
cat >"$T/work dir/inner.sh" <<EOF
echo "args: \$#|\$1|\$2"
echo "cwd: \$(pwd)"
echo "kernel: \$(uname -r)"
echo "secret: \$(cat $T/secret)"
echo "to stderr" >&2
echo changed >keep
echo new >created
touch $leak
echo "writes: \$(cat keep) \$(cat created) \$([ -e $leak ] && echo leak-ok)"
exit 7
EOF
cd "$T/work dir" || exit 1
vm inner.sh "a b" c
cd "$ROOT" || exit 1
check "a script's exit status 7 comes back (got $RC)" [ "$RC" -eq 7 ]
check "arguments reach the script unchanged" has "args: 2|a b|c"
check "the working directory is the host's" has "cwd: $T/work dir"
check "the VM runs its own kernel, not the host's" \
	bash -c '! grep -qxF "kernel: $(uname -r)" <<<"$1" && grep -q "^kernel: ." <<<"$1"' _ "$OUT"
check "host files are readable at the same path" has "secret: $secret"
check "stderr comes out on stdout" has "to stderr"
check "files can be written and created in the VM" has "writes: changed new leak-ok"
check "a write to an existing file does not reach the host" \
	[ "$(cat "$T/work dir/keep")" = original ]
check "created files do not reach the host" absent "$T/work dir/created" "$leak"
check "nothing but the script's output is printed" [ "$(wc -l <<<"$OUT")" -eq 6 ]

printf 'echo zero\n' >"$T/zero.sh"
vm "$T/zero.sh"
check "exit status 0 comes back (got $RC)" [ "$RC" -eq 0 ]
check "its output comes back" has zero

# ---- the VM's environment: mounts, modules, netem ----------------------------------------
cat >"$T/netem.sh" <<'EOF'
for m in /proc:proc /sys:sysfs /dev:devtmpfs /run:tmpfs /sys/fs/bpf:bpf /sys/fs/cgroup:cgroup2; do
	echo "mount ${m%%:*} $(findmnt -no FSTYPE "${m%%:*}")"
done
echo "lo $(cat /sys/class/net/lo/operstate)"
grep -q '^sch_netem ' /proc/modules && echo "netem loaded before use"
modprobe -a sch_htb sch_tbf sch_ingress cls_bpf cls_u32 act_mirred ifb veth && echo "modprobe ok"
set -e
ip netns add fla
ip netns add flb
ip link add fl-va type veth peer name fl-vb
ip link set fl-va netns fla
ip link set fl-vb netns flb
ip -n fla addr add 10.78.0.1/24 dev fl-va
ip -n flb addr add 10.78.0.2/24 dev fl-vb
ip -n fla link set fl-va up
ip -n flb link set fl-vb up
ip netns exec fla tc qdisc add dev fl-va root netem delay 100ms
ip netns exec fla tc qdisc show dev fl-va | grep -q 'netem.*delay 100ms' && echo "netem qdisc"
grep -q '^sch_netem ' /proc/modules && echo "netem loaded on demand"
# Four pings: the minimum excludes the first, which also waits for ARP.
ip netns exec fla busybox ping -c 4 -i 0.2 -W 3 10.78.0.2 |
	sed -n 's|^round-trip min/avg/max = \([0-9.]*\)/.*|rtt-min \1|p'
EOF
vm "$T/netem.sh"
check "netem script exits 0 (got $RC)" [ "$RC" -eq 0 ]
for m in /proc:proc /sys:sysfs /dev:devtmpfs /run:tmpfs /sys/fs/bpf:bpf /sys/fs/cgroup:cgroup2; do
	check "${m%%:*} is ${m#*:} in the VM" has "mount ${m%%:*} ${m#*:}"
done
check "loopback is up" bash -c 'grep -qx "lo \(up\|unknown\)" <<<"$1"' _ "$OUT"
check "the tc modules load with modprobe" has "modprobe ok"
check "netem is not loaded before use" lacks "netem loaded before use"
check "a netem qdisc can be added" has "netem qdisc"
check "sch_netem is loaded on demand" has "netem loaded on demand"
rtt=$(sed -n 's/^rtt-min //p' <<<"$OUT")
check "netem delays ping replies by at least 100 ms (min RTT ${rtt:-none} ms)" \
	awk -v r="${rtt:-0}" 'BEGIN { exit !(r >= 100) }'

# ---- failures of the harness are told apart from failures of the script ------------------
"$VMTEST" --mem lots "$T/zero.sh" >/dev/null 2>&1
rc=$?
check "a bad option exits 125 (got $rc)" [ "$rc" -eq 125 ]

printf 'echo sleeping\nsleep 600\n' >"$T/sleep.sh"
"$VMTEST" --timeout 20 "$T/sleep.sh" >"$T/timeout.out" 2>&1
rc=$?
check "a script that runs past --timeout exits 124 (got $rc)" [ "$rc" -eq 124 ]
check "output before the timeout came through" grep -qx sleeping "$T/timeout.out"

# SIGTERM to the harness: qemu (under timeout) goes too.
"$VMTEST" "$T/sleep.sh" >"$T/term.out" 2>&1 &
h=$!
track "$h"
wait_for 60 grep -qx sleeping "$T/term.out"
kids=$(pgrep -P "$h")
qemu=$(for k in $kids; do pgrep -P "$k"; done)
kill -TERM "$h"
wait "$h"
rc=$?
check "SIGTERM stops the harness (exit $rc)" [ "$rc" -eq 143 ]
check "the VM had been running (qemu ${qemu:-none})" [ -n "$qemu" ]
check "and its qemu is gone" bash -c 'for p in $1; do kill -0 "$p" 2>/dev/null && exit 1; done; exit 0' \
	_ "$kids $qemu"
check "no run directory is left behind" [ "$(run_dirs)" = "$runs_before" ]

t_finish
