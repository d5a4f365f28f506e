#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Network faults on Debian's stock kernel, in a VM (scripts/vm-test.sh): the netem engine
# (tests/vm/netem.sh), which this host's kernel may lack, and the bpf engine's own tests on
# that older kernel (tests/vm/bpf.sh: no tcx there, so the netlink path).  Their checks are
# reported here one by one.  A VM that cannot boot (exit 125) or a run that times out (124)
# is a failure, not a skip: make test must exercise netem.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

if [ "$(id -u)" -ne 0 ]; then
	skip "the VM needs root"
	t_finish
	exit 0
fi

# vm_run LABEL SCRIPT: run SCRIPT in a VM, re-report its checks as "LABEL: ...".
vm_run() {
	local label=$1 script=$2 rc line
	scripts/vm-test.sh --timeout "${NETEM_VM_TIMEOUT:-900}" "$script" >"$T/vm.out" 2>"$T/vm.err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "$label: ${line#ok - }" ;;
		"not ok - "*) not_ok "$label: ${line#not ok - }" ;;
		"skip - "*) skip "$label: ${line#skip - }" ;;
		*) echo "# $line" ;;
		esac
	done <"$T/vm.out"
	case $rc in
	0) ;;
	124) not_ok "$label: the VM run timed out" ;;
	125)
		not_ok "$label: scripts/vm-test.sh could not run the VM"
		sed 's/^/# /' "$T/vm.err"
		;;
	*) grep -q '^not ok' "$T/vm.out" || not_ok "$label: $script exited $rc without saying why" ;;
	esac
}

vm_run "vm netem" tests/vm/netem.sh
vm_run "vm bpf" tests/vm/bpf.sh
vm_run "vm torture" tests/vm/torture.sh
t_finish
