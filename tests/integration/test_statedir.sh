#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A state dir that cannot take the undo record (full, read-only) stops injection before anything
# is applied; one that is read-only at start keeps the agent from starting; a corrupt journal is
# reported, its parseable records are still reverted, and the agent keeps running.
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

# ---- a journal that becomes read-only under a running agent ------------------------------------
stop_agent
RO=$T/ro
mkdir -p "$RO/state/journal"
# The journal directory on a tmpfs of its own, so that it can be remounted read-only while the
# agent holds its lock file (open for writing) one level up.
mount -t tmpfs -o size=1m fl-ro "$RO/state/journal" || { not_ok "mount a tmpfs"; t_finish; exit 1; }
on_exit "umount -l '$RO/state/journal'"
export FAULTLINE_STATE_DIR=$RO/state
start_agent || { not_ok "start faultlined on $RO"; t_finish; exit 1; }
mount -o remount,ro "$RO/state/journal"
printf '%s\n' '{"version":1,"title":"ro","faults":[{"name":"p","type":"process.pause","target":{"pid":'"$TARGET_PID"'},"duration":"5s"}]}' >"$T/ro.json"
out=$("$FAULTCTL" run "$T/ro.json" --json --wait 2>&1); rc=$?
check "EROFS: run exits 3 (got $rc)" [ "$rc" -eq 3 ]
check "EROFS: verdict failed" grep -q '"verdict": "failed"' <<<"$out"
check "EROFS: failed at the journal step" grep -q '"failed_step": "journal"' <<<"$out"
check "EROFS: the error names the cause" grep -q "Read-only file system" <<<"$out"
check "EROFS: the target was never paused" is_running "$TARGET_PID"
check "EROFS: agent still alive" kill -0 "$AGENT_PID"
mount -o remount,rw "$RO/state/journal"
"$FAULTCTL" run "$T/ok.json" --wait >/dev/null 2>&1; rc=$?
check "writable again: passes (got $rc)" [ "$rc" -eq 0 ]
stop_agent

# ---- a state dir that is read-only from the start: the agent refuses to start --------------------
mkdir -p "$T/rostart"
mount -t tmpfs -o size=1m fl-rostart "$T/rostart" && on_exit "umount -l '$T/rostart'"
mkdir -p "$T/rostart/state"
mount -o remount,ro "$T/rostart"
FAULTLINE_STATE_DIR=$T/rostart/state timeout 10 "$FAULTLINED" >"$T/rostart.log" 2>&1; rc=$?
check "read-only state dir at start: the agent exits 1 (got $rc)" [ "$rc" -eq 1 ]
check "read-only state dir at start: says why ($(tail -n 1 "$T/rostart.log"))" \
	grep -q "cannot open state dir '$T/rostart/state': Read-only file system" "$T/rostart.log"

# ---- a corrupt journal: reported, the parseable records reverted, the agent keeps running -------
export FAULTLINE_STATE_DIR=$T/corrupt/state
J=$FAULTLINE_STATE_DIR/journal
mkdir -p "$J"
start_target fl-corrupt
victim=$TARGET_PID
kill -STOP "$victim"
wait_for 5 is_stopped "$victim"
starttime=$(awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$victim/stat")
good='{"run":"0123456789ab","fault":"p","kind":"process.pause","undo":{"kind":"process.pause","targets":[{"pid":'"$victim"',"starttime":'"$starttime"',"comm":"sleep"}]},"written_at":"2026-01-01T00:00:00Z","pid":1}'
printf '%s' "$good" >"$J/0123456789ab--p.json"
printf '%s' "${good:0:60}" >"$J/0123456789ab--truncated.json"
head -c 300 /dev/urandom >"$J/0123456789ab--garbage.json"
: >"$J/0123456789ab--empty.json"
head -c 64 /dev/zero >"$J/0123456789ab--nul.json"
printf '{"run":"\xff\xfe","fault":"x","kind":"process.pause"}' >"$J/0123456789ab--utf8.json"
printf '[1,2,3]' >"$J/0123456789ab--array.json"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$J/0123456789ab--huge.json"
printf '%s' '{"run":"0123456789ab","fault":"k","kind":"process.teleport","undo":{}}' >"$J/0123456789ab--unknown.json"
printf '%s' '{"run":"0123456789ab","fault":"b","kind":"process.pause","undo":{"targets":7}}' >"$J/0123456789ab--badundo.json"
printf '%s' "${good:0:30}" >"$J/0123456789ab--q.json.tmp"
ncorrupt=7
start_agent || { not_ok "the agent starts on a corrupt journal"; t_finish; exit 1; }
check "corrupt journal: agent running" kill -0 "$AGENT_PID"
check "corrupt journal: the parseable record was reverted" is_running "$victim"
check "corrupt journal: agent log counts $ncorrupt corrupt records" \
	grep -q "journal: recovered 1, failed 2, corrupt $ncorrupt" "$T/agent.log"
check "corrupt journal: every corrupt record set aside as .corrupt" \
	[ "$(find "$J" -name '*.json.corrupt' | wc -l)" -eq "$ncorrupt" ]
check "corrupt journal: an interrupted write (.tmp) removed" [ ! -e "$J/0123456789ab--q.json.tmp" ]
check "corrupt journal: the unknown kind and the bad undo stay for a human" \
	[ "$(journal_count)" -eq 2 ]
out=$("$FAULTCTL" recover 2>&1); rc=$?
check "corrupt journal: faultctl recover exits 3 (got $rc)" [ "$rc" -eq 3 ]
check "corrupt journal: recover names the unknown kind" grep -q "unknown fault kind 'process.teleport'" <<<"$out"
check "corrupt journal: recover names the bad undo" grep -q "no 'targets' array" <<<"$out"
check "corrupt journal: agent still serves" "$FAULTCTL" list
stop_agent

# Offline, with no agent: the same promises from faultctl recover.
rm -f "$J"/*
kill -STOP "$victim"
wait_for 5 is_stopped "$victim"
printf '%s' "$good" >"$J/0123456789ab--p.json"
printf '%s' "${good:0:60}" >"$J/0123456789ab--truncated.json"
out=$("$FAULTCTL" recover 2>&1); rc=$?
check "offline, corrupt journal: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "offline, corrupt journal: reported ($(head -n 1 <<<"$out"))" grep -q "recovered 1, failed 0, corrupt 1" <<<"$out"
check "offline, corrupt journal: the parseable record reverted" is_running "$victim"
out=$("$FAULTCTL" recover 2>&1); rc=$?
check "offline, corrupt journal: set aside, so the next recover is clean (exit $rc)" [ "$rc" -eq 0 ]
t_finish
