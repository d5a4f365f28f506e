#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The bpf engine's tests (tests/integration/test_network.sh) on the VM's older kernel: the
# classifier must load there, and without tcx (Linux 6.6) every fault attaches through
# clsact and cls_bpf.  One emulated CPU: fewer datagrams per stream, at a gentler pace.
cd "$(dirname "$0")/../.." || exit 1
N=10000 PPS=5000 GRACE=1 exec bash tests/integration/test_network.sh
