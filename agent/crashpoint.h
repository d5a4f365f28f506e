/* SPDX-License-Identifier: MIT */
/*
 * Deterministic crash points, for the crash-torture tests only (docs/reliability.md).
 *
 * FAULTLINE_CRASH_AT=NAME[:N] in the environment makes the process raise SIGKILL the Nth time
 * (default 1) crashpoint(NAME) is reached: the one way a test can kill the agent between two
 * particular system calls, e.g. after the undo record is durable and before the fault is
 * applied.  Without the variable, crashpoint() returns at once.
 */
#ifndef FL_CRASHPOINT_H
#define FL_CRASHPOINT_H

#define CRASHPOINT_ENV "FAULTLINE_CRASH_AT"

void crashpoint(const char *name);

#endif
