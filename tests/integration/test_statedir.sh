#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A state dir that cannot take the undo record stops injection before anything is applied.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$T/small"
mount -t tmpfs -o size=256k tmpfs "$T/small" || { skip "cannot mount a tmpfs"; t_finish; exit 0; }
on_exit "umount -l '$T/small'"
export FAULTLINE_STATE_DIR=$T/small/state
start_agent || { not_ok "start faultlined"; t_finish; exit 1; }
start_target fl-statedir

# Fill the filesystem to the last block.
dd if=/dev/zero of="$T/small/fill" bs=4k >/dev/null 2>&1
check "state filesystem is full" [ "$(df --output=avail -k "$T/small" | tail -n 1 | tr -d ' ')" -eq 0 ]

printf '%s\n' '{"version":1,"title":"full","faults":[{"name":"p","type":"process.pause","target":{"pid":'"$TARGET_PID"'},"duration":"5s"}]}' >"$T/full.json"
out=$("$FAULTCTL" run "$T/full.json" --json --wait 2>&1); rc=$?
check "ENOSPC: run exits 3 (got $rc)" [ "$rc" -eq 3 ]
check "ENOSPC: verdict failed" grep -q '"verdict": "failed"' <<<"$out"
check "ENOSPC: failed at the journal step" grep -q '"failed_step": "journal"' <<<"$out"
check "ENOSPC: the error names the cause" grep -q "No space left on device" <<<"$out"
check "ENOSPC: the target was never paused" is_running "$TARGET_PID"
check "ENOSPC: agent still alive" kill -0 "$AGENT_PID"

# Space back: the same experiment now runs.
rm -f "$T/small/fill"
printf '%s\n' '{"version":1,"title":"ok","faults":[{"name":"p","type":"process.pause","target":{"pid":'"$TARGET_PID"'},"duration":"200ms"}]}' >"$T/ok.json"
"$FAULTCTL" run "$T/ok.json" --wait >/dev/null 2>&1; rc=$?
check "with space again: passes (got $rc)" [ "$rc" -eq 0 ]
check "with space again: target running" is_running "$TARGET_PID"
t_finish
