#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Hostile and many control-socket clients for tests/integration/test_clients.sh.

    clients.py SOCKET status N          N connections at once, each sends one "status" and
                                        reads its answer; prints "answered N of N in S s" and
                                        exits 1 unless every answer is a well-formed ok reply
    clients.py SOCKET hold N KIND FILE  N connections that misbehave, held open until the agent
                                        closes them; KIND: idle (never send), half (half a
                                        request), bigpartial (1.9MiB of a request, no end),
                                        noread RUN (ask for RUN's events, never read); when
                                        every one is closed by the agent, writes "closed N
                                        after S s" to FILE (a line per closure batch: "open K"
                                        while waiting)
    clients.py SOCKET garbage BYTES     BYTES of random bytes without a newline; prints the
                                        agent's answer
    clients.py SOCKET pipeline N RUN    one connection, N "status RUN" requests in one write,
                                        then every answer read; exits 1 unless all N are ok
    clients.py SOCKET drip BYTES CHUNK  a BYTES-long junk request written CHUNK bytes at a
                                        time; prints the agent's answer
"""
import json
import os
import resource
import selectors
import socket
import sys
import time

sock_path = sys.argv[1]
what = sys.argv[2]


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, min(hard, n + 64)) if hard != resource.RLIM_INFINITY else max(soft, n + 64)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    return s


def status(n):
    raise_nofile(n)
    t0 = time.monotonic()
    socks = [connect() for _ in range(n)]
    req = b'{"proto":1,"cmd":"status"}\n'
    for s in socks:
        s.sendall(req)
    sel = selectors.DefaultSelector()
    bufs = {}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        bufs[s] = b""
    good = 0
    bad = []
    deadline = time.monotonic() + 60
    while bufs and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                chunk = s.recv(1 << 16)
            except BlockingIOError:
                continue
            bufs[s] += chunk
            if chunk and not bufs[s].endswith(b"\n"):
                continue
            line = bufs.pop(s)
            sel.unregister(s)
            s.close()
            try:
                r = json.loads(line)
                if r.get("ok") is True and r.get("proto") == 1 and isinstance(r.get("runs"), list):
                    good += 1
                else:
                    bad.append(line[:120])
            except ValueError:
                bad.append(line[:120])
    for s in bufs:
        s.close()
    dt = time.monotonic() - t0
    print("answered %d of %d in %.2fs" % (good, n, dt))
    for b in bad[:5]:
        print("bad answer: %r" % b)
    if bufs:
        print("%d never answered" % len(bufs))
    return 0 if good == n else 1


def hold(n, kind, out, run=None):
    raise_nofile(n)
    socks = []
    for _ in range(n):
        s = connect()
        if kind == "half":
            s.sendall(b'{"proto":1,"cmd":"sta')
        elif kind == "bigpartial":
            s.settimeout(10)
            try:
                s.sendall(b'{"proto":1,"cmd":"status","pad":"' + b"x" * (1900 * 1024))
            except (BrokenPipeError, ConnectionResetError, socket.timeout):
                pass
            s.settimeout(None)
        elif kind == "noread":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(json.dumps({"proto": 1, "cmd": "events", "run": run}).encode() + b"\n")
        socks.append(s)
    t0 = time.monotonic()
    with open(out, "w") as f:
        f.write("open %d\n" % n)
    # The agent closing its end shows as EOF (after whatever it had queued) or a reset.  A
    # non-reader only finds out by reading, so it reads now and then, a little, from the end.
    open_socks = set(socks)
    while open_socks:
        time.sleep(1)
        for s in list(open_socks):
            try:
                s.setblocking(False)
                data = s.recv(1 << 20) if kind != "noread" else _drain_if_closed(s)
                if data == b"":
                    open_socks.discard(s)
                    s.close()
            except BlockingIOError:
                pass
            except (ConnectionResetError, BrokenPipeError):
                open_socks.discard(s)
                s.close()
        with open(out, "a") as f:
            f.write("open %d after %.0fs\n" % (len(open_socks), time.monotonic() - t0))
    with open(out, "a") as f:
        f.write("closed %d after %.1fs\n" % (n, time.monotonic() - t0))
    return 0


def _drain_if_closed(s):
    # Peek at the connection state without consuming the backlog the agent is holding: only a
    # peer that has shut down its side gives POLLRDHUP-like EOF after the data, so read in big
    # gulps only once the agent has given up on us (the kernel then holds what was sent).
    import select
    p = select.poll()
    p.register(s, select.POLLIN | select.POLLRDHUP | select.POLLHUP)
    for _, ev in p.poll(0):
        if ev & (select.POLLRDHUP | select.POLLHUP):
            while True:
                try:
                    chunk = s.recv(1 << 20)
                except BlockingIOError:
                    return b"x"
                if not chunk:
                    return b""
    return b"x"


def garbage(nbytes):
    s = connect()
    s.settimeout(20)
    data = os.urandom(nbytes).replace(b"\n", b" ")
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        print(s.makefile("rb").readline().decode(errors="replace").strip())
    except (ConnectionResetError, socket.timeout):
        print("(no answer)")
    return 0


def pipeline(n, run):
    s = connect()
    s.settimeout(60)
    s.sendall((json.dumps({"proto": 1, "cmd": "status", "run": run}) + "\n").encode() * n)
    f = s.makefile("rb")
    good = 0
    for _ in range(n):
        line = f.readline()
        if not line:
            break
        r = json.loads(line)
        good += r.get("ok") is True
    print("answered %d of %d" % (good, n))
    return 0 if good == n else 1


def drip(nbytes, chunk):
    s = connect()
    s.settimeout(30)
    data = b"x" * nbytes + b"\n"
    for i in range(0, len(data), chunk):
        s.sendall(data[i:i + chunk])
    print(s.makefile("rb").readline().decode(errors="replace").strip())
    return 0


if what == "status":
    sys.exit(status(int(sys.argv[3])))
elif what == "hold":
    sys.exit(hold(int(sys.argv[3]), sys.argv[4], sys.argv[-1],
                  sys.argv[5] if sys.argv[4] == "noread" else None))
elif what == "garbage":
    sys.exit(garbage(int(sys.argv[3])))
elif what == "pipeline":
    sys.exit(pipeline(int(sys.argv[3]), sys.argv[4]))
elif what == "drip":
    sys.exit(drip(int(sys.argv[3]), int(sys.argv[4])))
sys.exit(2)
