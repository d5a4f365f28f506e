#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run a test script inside a throw-away VM on Debian's own kernel, for what the host kernel
# lacks (netem, ...).  Usage:
#   scripts/vm-test.sh [--mem 1024M] [--timeout SECONDS] SCRIPT [ARGS...]
# The VM runs `bash SCRIPT ARGS...` as root in the host's current directory.  The host's root
# is mounted read-only over 9p with a tmpfs overlay on top, so every host path is readable at
# the same place and writes stay inside the VM.  The script's stdout and stderr go to our
# stdout; kernel messages go to build/vm/last-console.log (and the full kernel log, after the
# script, to build/vm/last-dmesg.log).
# Exit status: the script's; 124 on timeout; 125 when the VM or this harness failed, so a
# caller can tell a broken harness from a failing test.
#
# The kernel is the linux-image-*-amd64 package that linux-image-amd64 depends on, fetched
# with `apt-get download` and unpacked with `dpkg -x` under build/vm/ (never installed).  It
# is unpacked once and reused; `rm -rf build/vm` picks up a newer one.  qemu uses TCG: the
# host's /dev/kvm cannot run a stock kernel.  VM_TEST_DEBUG=1 prints timings to stderr;
# VM_CPU (qemu64), VM_SMP (1) and VM_BOOT_TIMEOUT (120 s) tune the VM.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VM_DIR=${VM_DIR:-$ROOT/build/vm}
MEM=1024M
TIMEOUT=600
# qemu64 boots about 0.5 s faster than "max" under TCG; both run Debian's userspace.
VM_CPU=${VM_CPU:-qemu64}
VM_SMP=${VM_SMP:-1}
# A kernel that has not started the script by then is taken as hung (about 3 s is usual).
BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-120}
# Modules the initramfs loads before it can mount the host's root.
BOOT_MODULES="virtio_pci 9pnet_virtio 9p overlay"

usage() {
	echo "usage: scripts/vm-test.sh [--mem SIZE] [--timeout SECONDS] SCRIPT [ARGS...]" >&2
	exit 125
}
die() {
	echo "vm-test: $*" >&2
	exit 125
}
debug() {
	if [ -n "${VM_TEST_DEBUG:-}" ]; then echo "vm-test: $*" >&2; fi
}

while [ $# -gt 0 ]; do
	case $1 in
	--mem)
		[ $# -ge 2 ] || usage
		MEM=$2
		shift 2
		;;
	--mem=*)
		MEM=${1#*=}
		shift
		;;
	--timeout)
		[ $# -ge 2 ] || usage
		TIMEOUT=$2
		shift 2
		;;
	--timeout=*)
		TIMEOUT=${1#*=}
		shift
		;;
	-h | --help) usage ;;
	--)
		shift
		break
		;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
[[ $MEM =~ ^[1-9][0-9]*[MG]?$ ]] || die "invalid memory size '$MEM' (e.g. 1024M, 2G)"
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "invalid timeout '$TIMEOUT' (whole seconds)"
[ "$(id -u)" -eq 0 ] || die "run as root (qemu exports the host's root read-only)"
for c in qemu-system-x86_64 apt-get dpkg depmod busybox cpio flock timeout; do
	command -v "$c" >/dev/null || die "'$c' not found (scripts/install-deps.sh installs it)"
done
CWD=$(pwd)

# ---- the kernel: download, unpack, depmod, extract an uncompressed vmlinux --------------------

# The package that linux-image-amd64 depends on, e.g. linux-image-6.1.0-56-amd64.
kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -nE 's/^ *\|?Depends: (linux-image-[0-9][^ ]*-amd64)$/\1/p' | head -n 1
}

# extract_vmlinux VMLINUZ OUT: the ELF kernel inside a bzImage, found the way the kernel's
# scripts/extract-vmlinux does it: try each compression magic at each offset where it occurs.
extract_vmlinux() {
	local z=$1 out=$2 magic tool off
	for magic in '\xfd7zXZ\x00:xz -dc' '\x28\xb5\x2f\xfd:zstd -dcq' '\x1f\x8b\x08:gzip -dc'; do
		tool=${magic#*:}
		command -v "${tool%% *}" >/dev/null || continue
		for off in $(LC_ALL=C grep -obUaP "${magic%%:*}" "$z" | cut -d: -f1); do
			tail -c +$((off + 1)) "$z" | $tool >"$out" 2>/dev/null
			if [ "$(head -c 4 "$out" | od -An -c | tr -d ' ')" = '177ELF' ]; then
				return 0
			fi
		done
	done
	rm -f "$out"
	return 1
}

# Resolve NAME to modules.dep paths, dependencies first (modules.dep lists them transitively).
declare -A MOD_SEEN=()
MOD_ORDER=()
mod_resolve() {
	local name=${1//-/_} line path dep
	[ -z "${MOD_SEEN[$name]:-}" ] || return 0
	MOD_SEEN[$name]=1
	if grep -qE "/${name//_/[-_]}\.ko$" "$KMOD/modules.builtin"; then
		return 0
	fi
	line=$(grep -E "/${name//_/[-_]}\.ko(\.[a-z]+)?:" "$KMOD/modules.dep" | head -n 1)
	[ -n "$line" ] || return 1
	path=${line%%:*}
	for dep in ${line#*:}; do
		dep=${dep##*/}
		mod_resolve "${dep%%.ko*}" || return 1
	done
	MOD_ORDER+=("$path")
}

prepare_kernel() {
	local pkg deb tmp
	if [ -f "$VM_DIR/kernel.ready" ]; then
		KVER=$(cat "$VM_DIR/kernel.ready")
		KMOD=$VM_DIR/kernel/lib/modules/$KVER
		if [ -f "$KMOD/modules.dep" ] && [ -f "$VM_DIR/kernel/boot/vmlinuz-$KVER" ]; then
			return 0
		fi
	fi
	rm -f "$VM_DIR/kernel.ready"
	pkg=$(kernel_package)
	if [ -z "$pkg" ]; then
		apt-get update -qq >/dev/null 2>&1
		pkg=$(kernel_package)
	fi
	[ -n "$pkg" ] || die "cannot tell which kernel package linux-image-amd64 depends on"
	echo "vm-test: fetching $pkg (once; cached in ${VM_DIR#"$ROOT"/})" >&2
	rm -rf "$VM_DIR/deb" "$VM_DIR/kernel" "$VM_DIR/kernel.tmp" "$VM_DIR/vmlinux"
	mkdir -p "$VM_DIR/deb"
	(cd "$VM_DIR/deb" && apt-get download -qq -o APT::Sandbox::User=root "$pkg") >&2 ||
		die "apt-get download $pkg failed"
	deb=$(ls "$VM_DIR/deb/${pkg}"_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || die "apt-get download left no $pkg .deb"
	tmp=$VM_DIR/kernel.tmp
	dpkg -x "$deb" "$tmp" || die "dpkg -x $deb failed"
	KVER=$(ls "$tmp/lib/modules" | head -n 1)
	if [ -z "$KVER" ] || [ ! -f "$tmp/boot/vmlinuz-$KVER" ]; then
		die "$deb holds no kernel"
	fi
	# modules.dep and modules.alias, so that modprobe and on-demand loading work in the VM.
	depmod -b "$tmp" "$KVER" || die "depmod failed for $KVER"
	mv "$tmp" "$VM_DIR/kernel"
	KMOD=$VM_DIR/kernel/lib/modules/$KVER
	echo "$KVER" >"$VM_DIR/kernel.ready"
}

# The uncompressed kernel boots straight through PVH, skipping the decompressor (about 2 s
# under TCG).  Without it, or if it once failed to boot, the bzImage is used.
prepare_vmlinux() {
	KERNEL=$VM_DIR/kernel/boot/vmlinuz-$KVER
	[ ! -f "$VM_DIR/vmlinux.broken" ] || return 0
	if [ ! -f "$VM_DIR/vmlinux" ]; then
		if ! extract_vmlinux "$KERNEL" "$VM_DIR/vmlinux.tmp"; then
			echo "vm-test: no vmlinux in $KERNEL; booting the bzImage" >&2
			touch "$VM_DIR/vmlinux.broken"
			return 0
		fi
		mv "$VM_DIR/vmlinux.tmp" "$VM_DIR/vmlinux"
	fi
	KERNEL=$VM_DIR/vmlinux
}

# ---- the initramfs: busybox, the boot modules, init (stage 1) and stage 2 ----------------------

# shellcheck disable=SC2016 # both stages are scripts for the VM, expanded there
# Stage 1, PID 1 in the initramfs: load the modules, mount the host's root under a tmpfs
# overlay, hand over to stage 2 inside it.  Errors go to the kernel console (ttyS0).
STAGE1='#!/bin/busybox sh
bb=/bin/busybox
fail() {
	echo "vm-test init: $*" >/dev/console
	$bb sleep 1
	$bb poweroff -f
}
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev
for m in $($bb cat /modules.list); do
	$bb insmod "/modules/$m" || fail "insmod $m failed"
done
$bb mkdir -p /lower /rw /newroot
opts=trans=virtio,version=9p2000.L,msize=524288
$bb mount -t 9p -o ro,$opts,cache=mmap hostroot /lower || fail "cannot mount the host root"
$bb mount -t tmpfs -o mode=0755 tmpfs /rw
$bb mkdir -p /rw/upper /rw/work
$bb mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
	fail "cannot mount the overlay root"
$bb mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run
$bb mkdir -p /newroot/run/vm-test/io
$bb mount -t 9p -o $opts vmio /newroot/run/vm-test/io || fail "cannot mount the I/O share"
$bb cp /bin/busybox /stage2 /newroot/run/vm-test/
for d in proc sys dev; do
	$bb mount --move /$d /newroot/$d || fail "cannot move /$d"
done
exec $bb switch_root /newroot /run/vm-test/busybox sh /run/vm-test/stage2
fail "switch_root failed"
'

# shellcheck disable=SC2016
# Stage 2, PID 1 in the overlay root: the usual mounts, modules, run the script on ttyS1,
# write its status to the I/O share, power off.
STAGE2='bb=/run/vm-test/busybox
io=/run/vm-test/io
. $io/config
$bb mount -t cgroup2 cgroup2 /sys/fs/cgroup
$bb mount -t bpf bpf /sys/fs/bpf
$bb mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
$bb mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
$bb mkdir -p /dev/pts /dev/shm
$bb mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
$bb mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
# What udev would make: bash process substitution and "-" for stdin need them.
$bb ln -sf /proc/self/fd /dev/fd
$bb ln -sf /proc/self/fd/0 /dev/stdin
$bb ln -sf /proc/self/fd/1 /dev/stdout
$bb ln -sf /proc/self/fd/2 /dev/stderr
$bb mkdir -p /run/lock /run/netns "/lib/modules/$KVER"
$bb mount --bind "$KMOD" "/lib/modules/$KVER"
if [ ! -x /sbin/modprobe ]; then
	$bb mkdir -p /usr/local/sbin
	$bb ln -sf $bb /usr/local/sbin/modprobe
	echo /usr/local/sbin/modprobe >/proc/sys/kernel/modprobe
fi
$bb hostname faultline-vm
$bb ip link set lo up
$bb stty -F /dev/ttyS1 raw -echo 115200
$bb cat /proc/uptime >$io/started
/bin/bash $io/cmd.sh </dev/null >/dev/ttyS1 2>&1
rc=$?
$bb stty -F /dev/ttyS1 raw
$bb dmesg >$io/dmesg 2>/dev/null
echo $rc >$io/rc.tmp && $bb mv $io/rc.tmp $io/rc
$bb sync
$bb poweroff -f
'

prepare_initramfs() {
	local busybox key tmp p
	# busybox-static's; a dynamically linked busybox cannot run from the initramfs.
	busybox=/bin/busybox
	if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
		die "$busybox is missing or not static (install busybox-static)"
	fi
	MOD_SEEN=()
	MOD_ORDER=()
	for p in $BOOT_MODULES; do
		mod_resolve "$p" || die "kernel $KVER has no module '$p'"
	done
	key=$( (echo "$KVER" "${MOD_ORDER[*]}" "$STAGE1" "$STAGE2"; cat "$busybox") | md5sum)
	INITRD=$VM_DIR/initramfs.cpio
	if [ -f "$INITRD" ] && [ "$(cat "$VM_DIR/initramfs.key" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	tmp=$(mktemp -d "$VM_DIR/initramfs.XXXXXX")
	mkdir -p "$tmp/bin" "$tmp/modules" "$tmp/proc" "$tmp/sys" "$tmp/dev"
	cp "$busybox" "$tmp/bin/busybox"
	printf '%s' "$STAGE1" >"$tmp/init"
	printf '%s' "$STAGE2" >"$tmp/stage2"
	chmod 0755 "$tmp/init"
	for p in "${MOD_ORDER[@]}"; do
		cp "$KMOD/$p" "$tmp/modules/"
		echo "${p##*/}" >>"$tmp/modules.list"
	done
	# Uncompressed: copying is faster than decompressing under TCG.
	(cd "$tmp" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$INITRD.tmp" ||
		die "cpio failed"
	rm -rf "$tmp"
	mv "$INITRD.tmp" "$INITRD"
	echo "$key" >"$VM_DIR/initramfs.key"
}

mkdir -p "$VM_DIR" || die "cannot create $VM_DIR"
exec 9>"$VM_DIR/.lock"
flock 9 || die "cannot lock $VM_DIR/.lock"
prepare_kernel
prepare_vmlinux
prepare_initramfs
flock -u 9
exec 9>&-

# ---- the run -------------------------------------------------------------------------------------

RUN=$(mktemp -d "$VM_DIR/run.XXXXXX") || die "cannot create a run directory"
mkdir "$RUN/io"
QEMU_PID=
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$QEMU_PID" ]; then
		kill -TERM "$QEMU_PID" 2>/dev/null
		wait "$QEMU_PID" 2>/dev/null
	fi
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'echo "vm-test: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

q() { printf '%q' "$1"; }
{
	echo "KVER=$(q "$KVER")"
	echo "KMOD=$(q "$KMOD")"
} >"$RUN/io/config"
{
	printf 'cd -- %s || { echo "vm-test: no directory %s in the VM" >&2; exit 125; }\n' \
		"$(q "$CWD")" "$(q "$CWD")"
	printf 'exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
	printf ' HOME=/root TERM=dumb LANG=C.UTF-8 USER=root LOGNAME=root'
	for v in CI BUILD V; do
		if [ -n "${!v+x}" ]; then printf ' %s' "$(q "$v=${!v}")"; fi
	done
	printf ' bash --'
	for a in "$@"; do printf ' %s' "$(q "$a")"; done
	echo
} >"$RUN/io/cmd.sh"

# run_qemu KERNEL: boot once.  Sets RC (qemu's or timeout's exit status) and NO_BOOT=1 when the
# script had not started within BOOT_TIMEOUT seconds (so the VM was killed).
run_qemu() {
	local kernel=$1 deadline=$((SECONDS + BOOT_TIMEOUT))
	: >"$RUN/console.log"
	NO_BOOT=
	timeout -k 5 "$TIMEOUT" qemu-system-x86_64 \
		-nodefaults -no-user-config -display none -no-reboot \
		-machine pc -accel tcg -cpu "$VM_CPU" -smp "$VM_SMP" -m "$MEM" \
		-kernel "$kernel" -initrd "$INITRD" \
		-append "console=ttyS0 quiet loglevel=4 panic=-1 mitigations=off 8250.nr_uarts=2" \
		-serial "file:$RUN/console.log" \
		-chardev stdio,id=out,signal=off -serial chardev:out \
		-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
		-fsdev local,id=vmio,path="$RUN/io",security_model=none \
		-device virtio-9p-pci,fsdev=vmio,mount_tag=vmio \
		-nic none </dev/null 2>"$RUN/qemu.err" &
	QEMU_PID=$!
	# Until the script starts, watch for a kernel that hangs instead of booting.
	while [ ! -f "$RUN/io/started" ] && kill -0 "$QEMU_PID" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			NO_BOOT=1
			kill -TERM "$QEMU_PID" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	wait "$QEMU_PID"
	RC=$?
	QEMU_PID=
}

start=$(date +%s.%N)
run_qemu "$KERNEL"
if [ ! -f "$RUN/io/started" ] && [ "$RC" -ne 124 ] && [ "$KERNEL" = "$VM_DIR/vmlinux" ]; then
	# The script never started, so it is safe to try again with the bzImage.  If that boots,
	# the bzImage is used from now on; if not, the kernel was not the problem.
	echo "vm-test: the uncompressed kernel did not boot; trying the bzImage" >&2
	cat "$RUN/console.log" "$RUN/qemu.err" >"$VM_DIR/vmlinux-failed-console.log"
	KERNEL=$VM_DIR/kernel/boot/vmlinuz-$KVER
	start=$(date +%s.%N)
	run_qemu "$KERNEL"
	if [ -f "$RUN/io/started" ]; then
		touch "$VM_DIR/vmlinux.broken"
	fi
fi
end=$(date +%s.%N)

cat "$RUN/console.log" "$RUN/qemu.err" >"$VM_DIR/last-console.log.tmp" &&
	mv "$VM_DIR/last-console.log.tmp" "$VM_DIR/last-console.log"
if [ -f "$RUN/io/dmesg" ]; then
	mv "$RUN/io/dmesg" "$VM_DIR/last-dmesg.log"
fi
if [ -f "$RUN/io/started" ]; then
	debug "$(awk -v s="$start" -v e="$end" -v m="$(stat -c %.Y "$RUN/io/started")" \
		-v u="$(cut -d' ' -f1 "$RUN/io/started")" 'BEGIN {
		printf "script started %.2fs after qemu (guest uptime %.2fs); VM gone after %.2fs",
			m - s, u, e - s }')"
fi

if [ -f "$RUN/io/rc" ]; then
	rc=$(cat "$RUN/io/rc")
	[[ $rc =~ ^[0-9]+$ ]] || die "unreadable exit status '$rc' from the VM"
	exit "$rc"
fi
if [ -f "$RUN/io/started" ] && [ "$RC" -eq 124 ]; then
	echo "vm-test: the script timed out after ${TIMEOUT}s" >&2
	exit 124
fi
if [ -n "$NO_BOOT" ] || [ "$RC" -eq 124 ]; then
	echo "vm-test: the VM did not boot within $BOOT_TIMEOUT s;" \
		"kernel log: $VM_DIR/last-console.log" >&2
elif [ -f "$RUN/io/started" ]; then
	echo "vm-test: the VM stopped before the script ended (qemu exit $RC);" \
		"kernel log: $VM_DIR/last-console.log" >&2
else
	echo "vm-test: the VM did not run the script (qemu exit $RC);" \
		"kernel log: $VM_DIR/last-console.log" >&2
fi
tail -n 15 "$VM_DIR/last-console.log" | sed 's/^/vm-test:   /' >&2
exit 125
