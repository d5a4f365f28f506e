#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The control socket: who may use it, and what it does with bad input.
. "$(dirname "$0")/../lib.sh"

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

t_finish
