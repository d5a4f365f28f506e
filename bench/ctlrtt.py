#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Time one control request from connect to the complete reply, without a faultctl process
(bench/abort.sh: how long the agent itself takes to abort a run and revert its faults).

    ctlrtt.py SOCKET JSON-REQUEST     prints the milliseconds, exits 1 unless the reply is ok
"""
import json
import socket
import sys
import time

t0 = time.perf_counter()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
t1 = time.perf_counter()
s.close()
reply = json.loads(buf)
if not reply.get("ok", False):
    sys.exit("ctlrtt: %s" % buf.decode(errors="replace").strip())
print("%.3f" % ((t1 - t0) * 1000))
