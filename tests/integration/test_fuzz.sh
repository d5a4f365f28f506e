#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make test's share of fuzzing: each libFuzzer harness for 30 s (make fuzz runs longer).
exec env FUZZ_TIME="${FUZZ_TIME:-30}" "$(dirname "$0")/../fuzz/run.sh"
