/* SPDX-License-Identifier: MIT */
/*
 * The systemd readiness protocol without libsystemd: one datagram to $NOTIFY_SOCKET (a path,
 * or an abstract name when it starts with '@').  See sd_notify(3).
 */
#ifndef FL_NOTIFY_H
#define FL_NOTIFY_H

/*
 * Send state ("READY=1", "STOPPING=1", "STATUS=...", newline-separated).  Returns 1 when
 * sent, 0 when not running under a service manager ($NOTIFY_SOCKET unset), or -errno.
 */
int notify_send(const char *state);

#endif
