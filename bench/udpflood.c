// SPDX-License-Identifier: MIT
/*
 * A max-rate UDP sender and a counting receiver, for the per-packet cost benchmark
 * (bench/packets.sh).  tests/helpers/nettraffic paces its datagrams; this one does not.
 *
 *   udpflood send ADDR PORT MS [SIZE [BATCH]]
 *       Send datagrams of SIZE bytes (default 64) to ADDR:PORT as fast as sendmmsg() takes
 *       them, BATCH (default 64) per call, for MS milliseconds.  Prints one line:
 *       "sent N errors E elapsed_ns T".  Errors (ECONNREFUSED before the receiver is bound,
 *       ENOBUFS) are counted, not fatal.
 *   udpflood recv ADDR PORT TIMEOUT_MS [IDLE_MS]
 *       Count datagrams until IDLE_MS (default 300) pass without one after the first,
 *       TIMEOUT_MS pass in all, or SIGTERM or SIGINT arrives.  Prints "ready" once bound,
 *       then one line: "received N span_ns S" (S: from the first datagram to the last).
 *   udpflood bpfstats MS
 *       Keep the kernel's BPF run-time statistics on (BPF_ENABLE_STATS, so every program's
 *       run_time_ns and run_cnt count, as bpftool prog show prints them) for MS milliseconds
 *       or until SIGTERM or SIGINT.  Prints "ready" once they are on.  They go off with the
 *       process, whatever ends it; the sysctl kernel.bpf_stats_enabled is not touched.
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <bpf/bpf.h>

#include "../tests/helpers/cli.h"

#define MAX_SIZE 9000
#define MAX_BATCH 256

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	stop = 1;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int sock_for(const char *host, const char *port, struct sockaddr_storage *ss,
		    socklen_t *len)
{
	int fd = socket(addr_of(host, port, SOCK_DGRAM, ss, len), SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	return fd;
}

static int cmd_send(int argc, char **argv)
{
	static uint8_t buf[MAX_SIZE];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov;
	struct sockaddr_storage dst;
	socklen_t dlen;
	uint64_t sent = 0, errors = 0, start, end, now, cpu0;
	long ms, size = 64, batch = 64;
	int fd;

	if (argc < 5)
		return 2;
	ms = num(argv[4], 1, 3600 * 1000);
	if (argc > 5)
		size = num(argv[5], 1, MAX_SIZE);
	if (argc > 6)
		batch = num(argv[6], 1, MAX_BATCH);
	fd = sock_for(argv[2], argv[3], &dst, &dlen);
	/* Connected: no route lookup per datagram, as a client that talks to one server. */
	if (connect(fd, (struct sockaddr *)&dst, dlen) < 0)
		die("connect");
	memset(buf, 0xa5, sizeof(buf));
	iov.iov_base = buf;
	iov.iov_len = (size_t)size;
	memset(msgs, 0, sizeof(msgs));
	for (long i = 0; i < batch; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	cpu0 = cpu_ns();
	start = now_ns();
	end = start + (uint64_t)ms * 1000000ull;
	do {
		int n = sendmmsg(fd, msgs, (unsigned int)batch, 0);

		if (n > 0)
			sent += (uint64_t)n;
		else
			errors++;
		now = now_ns();
	} while (now < end && !stop);
	cpu0 = cpu_ns() - cpu0;
	close(fd);
	printf("sent %llu errors %llu elapsed_ns %llu cpu_ns %llu\n", (unsigned long long)sent,
	       (unsigned long long)errors, (unsigned long long)(now - start),
	       (unsigned long long)cpu0);
	return 0;
}

static int cmd_recv(int argc, char **argv)
{
	static uint8_t bufs[MAX_BATCH][64];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iovs[MAX_BATCH];
	struct sockaddr_storage a;
	struct timeval tv = { .tv_usec = 50000 };
	socklen_t alen;
	uint64_t received = 0, first = 0, last = 0, start, deadline, idle;
	long timeout, idle_ms = 300;
	int fd, rcvbuf = 16 << 20;

	if (argc < 5)
		return 2;
	timeout = num(argv[4], 1, 3600 * 1000);
	if (argc > 5)
		idle_ms = num(argv[5], 1, 3600 * 1000);
	fd = sock_for(argv[2], argv[3], &a, &alen);
	/* A deep buffer, so that a receiver descheduled for a moment does not lose datagrams. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* The timeout lets the loop notice the idle time, the deadline and signals. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&a, alen) < 0)
		die("bind");
	/* Only the count matters: datagrams longer than 64 bytes are truncated. */
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < MAX_BATCH; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	printf("ready\n");
	fflush(stdout);
	start = now_ns();
	deadline = start + (uint64_t)timeout * 1000000ull;
	idle = (uint64_t)idle_ms * 1000000ull;
	while (!stop) {
		int n = recvmmsg(fd, msgs, MAX_BATCH, MSG_WAITFORONE, NULL);
		uint64_t now = now_ns();

		if (n > 0) {
			if (!received)
				first = now;
			received += (uint64_t)n;
			last = now;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			die("recvmmsg");
		}
		if (now >= deadline || (received && now - last >= idle))
			break;
	}
	close(fd);
	printf("received %llu span_ns %llu\n", (unsigned long long)received,
	       (unsigned long long)(last - first));
	return 0;
}

static int cmd_bpfstats(int argc, char **argv)
{
	struct timespec ts;
	long ms;
	int fd;

	if (argc < 3)
		return 2;
	ms = num(argv[2], 1, 3600 * 1000);
	fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (fd < 0) {
		errno = -fd;
		die("BPF_ENABLE_STATS");
	}
	printf("ready\n");
	fflush(stdout);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	/* A signal ends the sleep early (no SA_RESTART); either way the fd's close ends it. */
	nanosleep(&ts, NULL);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop };

	cli_name = "udpflood";
	/* No SA_RESTART: a signal ends a blocking recvmmsg() at once. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "send"))
		return cmd_send(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "recv"))
		return cmd_recv(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "bpfstats"))
		return cmd_bpfstats(argc, argv);
	fprintf(stderr, "usage: udpflood send ADDR PORT MS [SIZE [BATCH]]\n"
			"       udpflood recv ADDR PORT TIMEOUT_MS [IDLE_MS]\n"
			"       udpflood bpfstats MS\n");
	return 2;
}
