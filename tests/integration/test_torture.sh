#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make test's share of the crash torture (scripts/torture.sh; `make torture N=200` runs more).
exec "$(dirname "$0")/../../scripts/torture.sh" "${TORTURE_N:-40}"
