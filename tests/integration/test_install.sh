#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make install / uninstall: the staged tree (DESTDIR) file by file, uninstall removing exactly
# that, the man pages rendered with man -l, the systemd unit passing systemd-analyze verify,
# and the agent working inside the unit's capability bounding set.
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mk() { make -s --no-print-directory -C "$ROOT" "$@"; }

STAGE=$T/stage
mk install DESTDIR="$STAGE" >"$T/install.log" 2>&1
check "make install DESTDIR: succeeds ($(tail -3 "$T/install.log"))" [ $? -eq 0 ]

# ---- the tree, file by file -----------------------------------------------------------------
expected() {
	local e b
	echo etc/faultline/faultlined.conf
	echo usr/local/bin/faultctl
	for b in "$ROOT"/agent/bpf/*.bpf.c; do
		b=$(basename "$b" .c)
		echo "usr/local/lib/faultline/bpf/$b.o"
	done
	echo usr/local/lib/systemd/system/faultlined.service
	echo usr/local/sbin/faultlined
	echo usr/local/share/bash-completion/completions/faultctl
	echo usr/local/share/doc/faultline/experiment-format.md
	for e in "$ROOT"/experiments/*.json; do
		[ "$(basename "$e")" = schema.json ] && continue
		echo "usr/local/share/faultline/experiments/$(basename "$e")"
	done
	echo usr/local/share/faultline/schema.json
	echo usr/local/share/man/man1/faultctl.1
	echo usr/local/share/man/man5/faultline-experiment.5
	echo usr/local/share/man/man8/faultlined.8
	echo usr/local/share/zsh/site-functions/_faultctl
}
expected | sort >"$T/expected"
(cd "$STAGE" && find . -type f -o -type l | sed 's|^\./||' | sort) >"$T/got"
check "install: exactly the expected files ($(diff "$T/expected" "$T/got" | tr '\n' ' '))" \
	cmp -s "$T/expected" "$T/got"

while read -r f; do
	want=0644
	case $f in */bin/* | */sbin/*) want=0755 ;; esac
	got=$(stat -c '%04a %U' "$STAGE/$f" 2>/dev/null)
	check "install: $f is $want root (got $got)" [ "$got" = "$want root" ]
done <"$T/expected"

U=$STAGE/usr/local
check "install: faultlined is the one built" cmp -s "$U/sbin/faultlined" "$BUILD/faultlined"
check "install: faultctl is the one built" cmp -s "$U/bin/faultctl" "$BUILD/faultctl"
check "install: the staged faultlined runs" "$U/sbin/faultlined" --version
check "install: the staged faultctl runs" "$U/bin/faultctl" --version
for o in "$U"/lib/faultline/bpf/*.o; do
	check "install: $(basename "$o") is a BPF object" \
		bash -c "readelf -h '$o' | grep -q 'Machine: *Linux BPF'"
done
check "install: the config is the shipped one" cmp -s "$STAGE/etc/faultline/faultlined.conf" \
	"$ROOT/dist/faultlined.conf"
out=$("$U/sbin/faultlined" --check-config --config "$STAGE/etc/faultline/faultlined.conf" 2>&1)
check "install: the installed config is valid ($out)" grep -q ': ok$' <<<"$out"
out=$("$U/bin/faultctl" validate "$U"/share/faultline/experiments/*.json 2>&1)
check "install: the example experiments validate ($out)" [ $? -eq 0 ]
check "install: schema.json is JSON" /usr/bin/python3 -c \
	'import json, sys; json.load(open(sys.argv[1]))' "$U/share/faultline/schema.json"
unit=$U/lib/systemd/system/faultlined.service
check "install: no @VARIABLE@ left in the unit" bash -c "! grep -q '@[A-Z]*@' '$unit'"
check "install: the unit starts /usr/local/sbin/faultlined" \
	grep -qx 'ExecStart=/usr/local/sbin/faultlined' "$unit"
check "install: the unit names /etc's config for both programs" \
	grep -qx 'Environment=FAULTLINE_CONFIG=/etc/faultline/faultlined.conf' "$unit"

# ---- man pages ------------------------------------------------------------------------------
for page in man1/faultctl.1 man5/faultline-experiment.5 man8/faultlined.8; do
	f=$U/share/man/$page
	name=$(basename "$page" | sed 's/\.[0-9]$//')
	sec=${page##*.}
	MANWIDTH=80 man --warnings -l "$f" >"$T/man.txt" 2>"$T/man.err"
	check "man -l $page: renders without warnings ($(head -3 "$T/man.err"))" \
		[ $? -eq 0 -a ! -s "$T/man.err" ]
	check "man -l $page: header names $name($sec)" grep -q "^$name($sec) " "$T/man.txt"
	for s in NAME DESCRIPTION "SEE ALSO"; do
		check "man -l $page: has $s" grep -qx "$s" "$T/man.txt"
	done
	check "man -l $page: NAME line" grep -qE "^ +$name - " "$T/man.txt"
	check "man: $name found in the staged MANPATH" \
		bash -c "MANPATH='$U/share/man' man -w $sec $name | grep -qx '$f'"
done
MANWIDTH=80 man -l "$U/share/man/man8/faultlined.8" >"$T/man8.txt" 2>/dev/null
for s in OPTIONS CONFIGURATION METRICS SIGNALS "EXIT STATUS" FILES; do
	check "man faultlined(8): section $s" grep -qx "$s" "$T/man8.txt"
done
# Every faultlined flag and config key is documented.
for k in $("$BUILD/faultlined" --help | grep -oE '^  --[a-z-]+'); do
	check "man faultlined(8): documents $k" grep -q -- "$k" "$T/man8.txt"
done
for k in $(grep -oE '^#?[a-z_]+ = ' "$ROOT/dist/faultlined.conf" | tr -d '#= '); do
	check "man faultlined(8): documents the key $k" grep -qw "$k" "$T/man8.txt"
done
MANWIDTH=80 man -l "$U/share/man/man1/faultctl.1" >"$T/man1.txt" 2>/dev/null
for c in validate run watch report status list abort recover version help; do
	check "man faultctl(1): documents '$c'" grep -qE "^       $c( |$)" "$T/man1.txt"
done

# ---- uninstall removes exactly what install put there ----------------------------------------
mkdir -p "$STAGE/usr/local/bin"
echo keep >"$STAGE/usr/local/bin/unrelated"
mk uninstall DESTDIR="$STAGE" >"$T/uninstall.log" 2>&1
check "uninstall: succeeds" [ $? -eq 0 ]
left=$(cd "$STAGE" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')
check "uninstall: only the unrelated file is left ($left)" [ "$left" = "usr/local/bin/unrelated " ]
for d in usr/local/share/faultline usr/local/lib/faultline usr/local/share/doc/faultline \
	etc/faultline; do
	check "uninstall: $d is gone" test ! -e "$STAGE/$d"
done
# An administrator's config survives install and uninstall.
mkdir -p "$STAGE/etc/faultline"
echo 'log_level = debug' >"$STAGE/etc/faultline/faultlined.conf"
mk install DESTDIR="$STAGE" >/dev/null 2>&1
check "install: keeps an existing config" grep -qx 'log_level = debug' \
	"$STAGE/etc/faultline/faultlined.conf"
mk uninstall DESTDIR="$STAGE" >/dev/null 2>&1
check "uninstall: keeps an edited config" grep -qx 'log_level = debug' \
	"$STAGE/etc/faultline/faultlined.conf"

# ---- systemd-analyze verify, on an install whose paths exist --------------------------------
P=$T/prefix
mk install PREFIX="$P" SYSCONFDIR="$P/etc" >"$T/install-prefix.log" 2>&1
unit=$P/lib/systemd/system/faultlined.service
# verify also runs 'man' for Documentation=: the staged pages must be found.
out=$(MANPATH=$P/share/man systemd-analyze verify "$unit" 2>&1); rc=$?
check "systemd-analyze verify: exit 0 and not a word (rc $rc: $out)" [ "$rc" -eq 0 -a -z "$out" ]
# verify only warns about unknown keys and bad values: the empty output is what matters.
sed 's/^Restart=on-failure$/Restart=on-failure\nBogusKey=1/' "$unit" >"$T/broken.service"
out=$(MANPATH=$P/share/man systemd-analyze verify "$T/broken.service" 2>&1)
check "systemd-analyze verify: would report a broken unit ($out)" grep -q BogusKey <<<"$out"

prop() { grep -E "^$1=" "$unit" | tail -1 | cut -d= -f2-; }
check "unit: Type=notify" [ "$(prop Type)" = notify ]
check "unit: RuntimeDirectory=faultline" [ "$(prop RuntimeDirectory)" = faultline ]
check "unit: StateDirectory=faultline" [ "$(prop StateDirectory)" = faultline ]
check "unit: Restart=on-failure" [ "$(prop Restart)" = on-failure ]
check "unit: ExecStopPost runs faultctl recover" [ "$(prop ExecStopPost)" = "$P/bin/faultctl recover" ]
# No --socket or --state-dir: the config decides, and its defaults are the unit's directories.
check "unit: ExecStart leaves the paths to the config" [ "$(prop ExecStart)" = "$P/sbin/faultlined" ]
check "unit: the default socket is in the RuntimeDirectory" \
	bash -c "'$P/sbin/faultlined' --help | grep -q 'socket (default .* or /run/faultline/faultline.sock)'"
check "unit: the default state dir is the StateDirectory" \
	bash -c "'$P/sbin/faultlined' --help | grep -q 'records (default .* or /var/lib/faultline)'"
caps=$(prop CapabilityBoundingSet)
check "unit: capability bounding set ($caps)" [ "$caps" = \
	"CAP_NET_ADMIN CAP_BPF CAP_PERFMON CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_KILL CAP_SYS_RESOURCE CAP_CHOWN" ]
# Every hardening option set is explained in the unit's comments.
for o in $(grep -oE '^(Protect[A-Za-z]+|Private[A-Za-z]+|Restrict[A-Za-z]+|NoNewPrivileges|MemoryDenyWriteExecute|LockPersonality|SystemCall[A-Za-z]+|KillMode)=' "$unit" | tr -d =); do
	check "unit: $o is explained" grep -qE "^#.*\\b$o\\b" "$unit"
done

# ---- the agent inside that bounding set ------------------------------------------------------
# As root, a process's capabilities after exec are its bounding set: run the installed agent
# under setpriv with the unit's set, and check it still does its work on another user's
# process (CAP_KILL) and gives its socket to a group (CAP_CHOWN).  Without CAP_KILL it must
# fail: that shows the check can fail.
GROUP=flcap$$
groupadd "$GROUP" && on_exit "groupdel $GROUP"
setlist=$(tr ' ' '\n' <<<"$caps" | sed 's/^CAP_//' | tr 'A-Z' 'a-z' | sed 's/^/+/' | paste -sd,)
bash -c 'exec setpriv --reuid=65534 --regid=65534 --clear-groups sleep 600' &
VICTIM=$!
track "$VICTIM"
wait_for 5 bash -c "[ \"\$(stat -c %u /proc/$VICTIM)\" = 65534 ] && grep -qx sleep /proc/$VICTIM/comm"
printf '%s\n' '{"version":1,"title":"caps","faults":[{"name":"p","type":"process.pause","target":{"pid":'"$VICTIM"'},"duration":"500ms"}]}' >"$T/caps.json"
# capped_run SETLIST: start the installed agent with that bounding set, run caps.json.
capped_run() {
	setpriv --bounding-set "-all,$1" --inh-caps=-all "$P/sbin/faultlined" --group "$GROUP" \
		--log-level debug >>"$T/capped.log" 2>&1 &
	AGENT_PID=$!
	wait_for 10 "$FAULTCTL" list >/dev/null
	CAPEFF=$(awk '/^CapEff/ {print $2}' "/proc/$AGENT_PID/status")
	SOCKGRP=$(stat -c %G "$FAULTLINE_SOCKET")
	"$P/bin/faultctl" run --wait "$T/caps.json" >"$T/capped.out" 2>&1
	CAPPED_RC=$?
	stop_agent
}
capped_run "$setlist"
want=$(/usr/bin/python3 -c '
import sys
bits = {"net_admin": 12, "bpf": 39, "perfmon": 38, "sys_admin": 21, "sys_ptrace": 19,
        "kill": 5, "sys_resource": 24, "chown": 0}
mine = int(sys.argv[2], 16)  # a container may lack some: the agent cannot have more than we do
print("%016x" % (mine & sum(1 << bits[c.lstrip("+")] for c in sys.argv[1].split(","))))' \
	"$setlist" "$(awk '/^CapBnd/ {print $2}' /proc/self/status)")
check "bounding set: the agent's effective capabilities are the unit's ($CAPEFF)" \
	[ "$CAPEFF" = "$want" ]
check "bounding set: the socket was given to the group (CAP_CHOWN; got $SOCKGRP)" \
	[ "$SOCKGRP" = "$GROUP" ]
check "bounding set: pausing another user's process works ($(tail -2 "$T/capped.out"))" \
	[ "$CAPPED_RC" -eq 0 ]
check "bounding set: that process runs again" is_running "$VICTIM"
capped_run "${setlist/+kill,/}"
check "bounding set: without CAP_KILL the same run fails (rc $CAPPED_RC)" [ "$CAPPED_RC" -eq 3 ]
check "bounding set: and says why" grep -q 'Operation not permitted' "$T/capped.out"
check "bounding set: the process was never left stopped" is_running "$VICTIM"

mk uninstall PREFIX="$P" SYSCONFDIR="$P/etc" >/dev/null 2>&1
left=$(find "$P" -type f | wc -l)
check "uninstall PREFIX: no file left ($left)" [ "$left" -eq 0 ]

t_finish
