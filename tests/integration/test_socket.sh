#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The control socket: who may use it (a real unprivileged user is created for it), what it does
# with bad input, and the checks of its directory and path at start-up.
. "$(dirname "$0")/../lib.sh"
PYTHON3=/usr/bin/python3

GROUP=fltest$$
groupadd "$GROUP" || { not_ok "groupadd $GROUP"; t_finish; exit 1; }
on_exit "groupdel $GROUP"
GID=$(getent group "$GROUP" | cut -d: -f3)
NOBODY=65534
start_agent --group "$GROUP" || { not_ok "start faultlined"; t_finish; exit 1; }

mode=$(stat -c '%a %U %G' "$FAULTLINE_SOCKET")
check "socket is 0660 root:$GROUP (got $mode)" [ "$mode" = "660 root $GROUP" ]

as_nobody() { setpriv --reuid=$NOBODY --regid=$NOBODY "$@"; }

out=$(as_nobody --clear-groups "$FAULTCTL" status 2>&1); rc=$?
check "non-root outside the group: refused, exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "non-root outside the group: clear error ($out)" grep -qi "permission denied" <<<"$out"

# Even with the file mode opened up, the agent's own SO_PEERCRED check refuses.
chmod 0666 "$FAULTLINE_SOCKET"
out=$(as_nobody --clear-groups "$FAULTCTL" status 2>&1); rc=$?
check "peercred refusal: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "peercred refusal: names uid and group ($out)" \
	grep -q "uid $NOBODY is neither root nor a member of group '$GROUP'" <<<"$out"
chmod 0660 "$FAULTLINE_SOCKET"

out=$(as_nobody --groups="$GID" "$FAULTCTL" list 2>&1); rc=$?
check "member of the group (supplementary): allowed (got $rc: $out)" [ "$rc" -eq 0 ]
out=$(setpriv --reuid=$NOBODY --regid="$GID" --clear-groups "$FAULTCTL" list 2>&1); rc=$?
check "member of the group (primary): allowed (got $rc: $out)" [ "$rc" -eq 0 ]

# Raw protocol abuse: every answer is an error reply, and the agent keeps serving.
raw() {
	/usr/bin/python3 - "$FAULTLINE_SOCKET" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
kind = sys.argv[2]
if kind == "huge":
    try:
        s.sendall(b"x" * (3 * 1024 * 1024))
    except (BrokenPipeError, ConnectionResetError):
        pass
elif kind == "garbage":
    s.sendall(b"\x00\xffnot json\n")
elif kind == "version":
    s.sendall(b'{"proto":99,"cmd":"list"}\n')
elif kind == "unknown":
    s.sendall(b'{"proto":1,"cmd":"format-disk"}\n')
elif kind == "badrun":
    s.sendall(b'{"proto":1,"cmd":"run","text":5}\n')
s.settimeout(10)
print(s.makefile().readline().strip())
PY
}
check "oversized message: error reply" grep -q '"message larger than' <<<"$(raw huge)"
check "garbage: error reply" grep -q '"code":"proto"' <<<"$(raw garbage)"
check "wrong protocol version: error reply" grep -q 'unsupported protocol version' <<<"$(raw version)"
check "unknown command: error reply" grep -q "unknown command 'format-disk'" <<<"$(raw unknown)"
check "run with bad fields: error reply" grep -q '"code":"proto"' <<<"$(raw badrun)"
check "agent still serves after abuse" "$FAULTCTL" list
check "agent still alive" kill -0 "$AGENT_PID"

# ---- a real unprivileged user, created for this test --------------------------------------------
USER_NAME=fltest-$((RANDOM % 100000))
if useradd -M -s /usr/sbin/nologin "$USER_NAME"; then
	on_exit "userdel '$USER_NAME' 2>/dev/null"
	as_user() { runuser -u "$USER_NAME" -- "$@"; }
	out=$(as_user "$FAULTCTL" status 2>&1); rc=$?
	check "user $USER_NAME (neither root nor in '$GROUP'): refused, exit 3 (got $rc)" [ "$rc" -eq 3 ]
	check "user $USER_NAME: the error says so ($out)" grep -qi "permission denied" <<<"$out"
	# With the file opened up, the agent's own check (SO_PEERCRED) still refuses.
	chmod 0666 "$FAULTLINE_SOCKET"
	out=$(as_user "$FAULTCTL" status 2>&1); rc=$?
	check "user $USER_NAME, socket mode 0666: refused by the agent, exit 3 (got $rc)" [ "$rc" -eq 3 ]
	check "user $USER_NAME, socket mode 0666: names the uid ($out)" \
		grep -q "uid $(id -u "$USER_NAME") is neither root nor a member of group '$GROUP'" <<<"$out"
	check "the agent logged the refusal" grep -q "refused uid $(id -u "$USER_NAME")" "$T/agent.log"
	chmod 0660 "$FAULTLINE_SOCKET"
	usermod -aG "$GROUP" "$USER_NAME"
	out=$(as_user "$FAULTCTL" list 2>&1); rc=$?
	check "user $USER_NAME once in '$GROUP': allowed (got $rc: $out)" [ "$rc" -eq 0 ]
else
	not_ok "useradd $USER_NAME"
fi

# ---- the socket's directory and path, checked at start-up ------------------------------------------
# try_agent SOCKET [UMASK]: start an agent on SOCKET (state dir of its own); prints "running" and
# stops it when it comes up, else prints its exit status; its log is in $T/try.log.
try_agent() {
	local sock=$1 um=${2:-022} pid i
	(umask "$um"; exec "$FAULTLINED" --socket "$sock" --group "$GROUP" \
		--state-dir "$T/try-state-$RANDOM") >"$T/try.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			echo "exit $?"
			return
		fi
		if grep -q " listening on " "$T/try.log" &&
			FAULTLINE_SOCKET=$sock "$FAULTCTL" list >/dev/null 2>&1; then
			kill -TERM "$pid"
			wait "$pid"
			echo running
			return
		fi
		sleep 0.05
	done
	kill -KILL "$pid"
	wait "$pid"
	echo hung
}

r=$(try_agent "$FAULTLINE_SOCKET")
check "a socket another agent listens on: refused ($r)" [ "$r" = "exit 1" ]
check "a socket in use: the log says why" grep -q "is in use: another agent listens on it" "$T/try.log"
check "a socket in use: the first agent still serves" "$FAULTCTL" list

mkdir -m 0777 "$T/ww"
chmod 0777 "$T/ww" # whatever the umask
r=$(try_agent "$T/ww/s.sock")
check "world-writable socket dir without the sticky bit: refused ($r)" [ "$r" = "exit 1" ]
check "world-writable socket dir: the log says why" grep -q "'$T/ww' (mode 0777) is writable by others without the sticky bit" "$T/try.log"
check "world-writable socket dir: no socket made" [ ! -e "$T/ww/s.sock" ]
chmod 1777 "$T/ww"
r=$(try_agent "$T/ww/s.sock")
check "world-writable socket dir with the sticky bit (like /tmp): accepted ($r)" [ "$r" = running ]

mkdir -m 0770 "$T/gw"
chgrp "$GROUP" "$T/gw"
chmod 0770 "$T/gw"
r=$(try_agent "$T/gw/s.sock")
check "socket dir writable by group '$GROUP': refused ($r)" [ "$r" = "exit 1" ]

if id "$USER_NAME" >/dev/null 2>&1; then
	mkdir -m 0755 "$T/theirs"
	chown "$USER_NAME" "$T/theirs"
	r=$(try_agent "$T/theirs/s.sock")
	check "socket dir owned by $USER_NAME: refused ($r)" [ "$r" = "exit 1" ]
	check "socket dir owned by another user: the log says why" grep -q "'$T/theirs' belongs to uid $(id -u "$USER_NAME"), not root" "$T/try.log"
fi

mkdir -m 0755 "$T/ok"
echo "not a socket" >"$T/ok/s.sock"
r=$(try_agent "$T/ok/s.sock")
check "a regular file at the socket's path: refused ($r)" [ "$r" = "exit 1" ]
check "a regular file at the socket's path: left alone" grep -q "not a socket" "$T/ok/s.sock"
check "a regular file at the socket's path: the log says why" grep -q "'$T/ok/s.sock' exists and is not a socket" "$T/try.log"
rm -f "$T/ok/s.sock"

# A stale socket (a dead agent's) with the wrong owner and mode: replaced, and made right.
$PYTHON3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/ok/s.sock"
chmod 0666 "$T/ok/s.sock"
id "$USER_NAME" >/dev/null 2>&1 && chown "$USER_NAME" "$T/ok/s.sock"
"$FAULTLINED" --socket "$T/ok/s.sock" --group "$GROUP" --state-dir "$T/try-state-stale" >"$T/try.log" 2>&1 &
pid=$!
track "$pid"
wait_for 10 env FAULTLINE_SOCKET="$T/ok/s.sock" "$FAULTCTL" list >/dev/null
mode=$(stat -c '%a %U %G' "$T/ok/s.sock")
check "a stale socket owned by someone else, mode 0666: replaced, now 0660 root:$GROUP (got $mode)" \
	[ "$mode" = "660 root $GROUP" ]
check "a stale socket: the log says it was replaced" grep -q "replacing the stale socket '$T/ok/s.sock'" "$T/try.log"
kill -TERM "$pid"
wait "$pid"

# A missing directory is made 0755 root, whatever the umask.
r=$(try_agent "$T/new/sub/s.sock" 077)
check "missing socket dir: made, and the agent runs ($r)" [ "$r" = running ]
check "missing socket dir: made 0755 root ($(stat -c '%a %U' "$T/new/sub"))" [ "$(stat -c '%a %U' "$T/new/sub")" = "755 root" ]

t_finish
