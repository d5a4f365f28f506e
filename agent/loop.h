/* SPDX-License-Identifier: MIT */
/*
 * The agent's one event loop: epoll for every descriptor, signalfd for signals and one
 * timerfd per timer.  Everything the agent does is a callback from here; nothing blocks.
 */
#ifndef FL_LOOP_H
#define FL_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>

struct loop;
struct loop_io;
struct loop_timer;

typedef void (*loop_io_cb)(struct loop_io *io, uint32_t events, void *data);
typedef void (*loop_timer_cb)(struct loop_timer *t, void *data);
typedef void (*loop_signal_cb)(int signo, void *data);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Watch fd for epoll events (EPOLLIN, EPOLLOUT, ...).  The fd stays owned by the caller. */
struct loop_io *loop_io_add(struct loop *l, int fd, uint32_t events, loop_io_cb cb, void *data);
int loop_io_mod(struct loop_io *io, uint32_t events);
/* Stop watching; safe to call from inside the io's own callback.  Accepts NULL. */
void loop_io_del(struct loop_io *io);
int loop_io_fd(const struct loop_io *io);

/* One-shot timer firing after delay_ns, or periodic when interval_ns > 0. */
struct loop_timer *loop_timer_new(struct loop *l, loop_timer_cb cb, void *data);
int loop_timer_arm(struct loop_timer *t, uint64_t delay_ns, uint64_t interval_ns);
int loop_timer_disarm(struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);
/* Safe from inside the timer's own callback.  Accepts NULL. */
void loop_timer_free(struct loop_timer *t);

/* Route signo through the loop's signalfd (the signal is blocked for the process). */
int loop_signal(struct loop *l, int signo, loop_signal_cb cb, void *data);

/* Run until loop_quit(); returns 0 or -errno. */
int loop_run(struct loop *l);
void loop_quit(struct loop *l);

#endif
