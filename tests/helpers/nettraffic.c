// SPDX-License-Identifier: MIT
/*
 * Real traffic for the network fault tests, with bounded run times.
 *
 *   nettraffic send ADDR PORT COUNT [SIZE [PPS [SPORT]]]
 *       COUNT UDP datagrams of SIZE bytes (default 64), PPS per second (default 20000),
 *       from source port SPORT (default: any).  Each carries its sequence number and a
 *       pattern derived from it, so the receiver can tell lost, duplicated, reordered and
 *       corrupted datagrams apart.
 *   nettraffic recv ADDR PORT COUNT TIMEOUT_MS
 *       Count datagrams until COUNT distinct ones arrived, SIGTERM or SIGINT arrives, or
 *       TIMEOUT_MS passed since the last one (or since the start).  Prints "ready" once bound,
 *       then one line: "received N unique U duplicates D reordered R corrupted C bytes B
 *       span_ms S".  "reordered" counts datagrams that arrive after one with a higher number.
 *   nettraffic echo ADDR PORT
 *       UDP echo server (until killed).
 *   nettraffic rtt ADDR PORT COUNT INTERVAL_MS
 *       COUNT echo probes, one every INTERVAL_MS whatever the replies (so a delay does not
 *       slow the measurement down), replies awaited up to 2 s after the last probe.  Prints
 *       "rtt_ms median M p10 A p90 B min C max D lost L" (milliseconds, 3 decimals).
 *   nettraffic listen ADDR PORT
 *       TCP: accept and close connections (until killed); prints "ready" once listening.
 *   nettraffic connect ADDR PORT TIMEOUT_MS
 *       TCP connect; exit 0 when it succeeds within TIMEOUT_MS, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cli.h"

#define MAGIC 0xfa17u
#define MAX_SIZE 9000
#define MAX_COUNT 10000000

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	stop = 1;
}

static int sock(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return fd;
}

/* Every byte depends on every bit of seq: a flipped bit in seq cannot pass for another seq. */
static uint8_t pattern(uint32_t seq, size_t i)
{
	uint32_t x = seq * 0x9e3779b1u + (uint32_t)i * 0x85ebca6bu;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	x *= 0x297a2d39u;
	x ^= x >> 15;
	return (uint8_t)x;
}

static void fill(uint8_t *buf, size_t size, uint32_t seq)
{
	uint32_t nseq = htonl(seq), magic = htonl(MAGIC);

	memcpy(buf, &nseq, 4);
	memcpy(buf + 4, &magic, 4);
	for (size_t i = 8; i < size; i++)
		buf[i] = pattern(seq, i);
}

/* 0 intact (seq set), 1 corrupted. */
static int check(const uint8_t *buf, size_t len, size_t size, uint32_t *seq)
{
	uint32_t magic;

	if (len < 8)
		return 1;
	memcpy(seq, buf, 4);
	*seq = ntohl(*seq);
	memcpy(&magic, buf + 4, 4);
	if (ntohl(magic) != MAGIC || (size && len != size))
		return 1;
	for (size_t i = 8; i < len; i++)
		if (buf[i] != pattern(*seq, i))
			return 1;
	return 0;
}

static int cmd_send(int argc, char **argv)
{
	struct sockaddr_storage dst, src;
	socklen_t dlen, slen;
	long count, size = 64, pps = 20000, sport = 0;
	uint8_t buf[MAX_SIZE];
	uint64_t start;
	int fd;

	if (argc < 5)
		return 2;
	count = num(argv[4], 1, MAX_COUNT);
	if (argc > 5)
		size = num(argv[5], 8, MAX_SIZE);
	if (argc > 6)
		pps = num(argv[6], 1, 10000000);
	if (argc > 7)
		sport = num(argv[7], 1, 65535);
	fd = sock(addr_of(argv[2], argv[3], 0, &dst, &dlen), SOCK_DGRAM);
	if (sport) {
		char p[16];

		snprintf(p, sizeof(p), "%ld", sport);
		addr_of(dst.ss_family == AF_INET6 ? "::" : "0.0.0.0", p, 0, &src, &slen);
		if (bind(fd, (struct sockaddr *)&src, slen) < 0)
			die("bind");
	}
	start = now_ns();
	for (long i = 0; i < count; i++) {
		uint64_t due = start + (uint64_t)i * 1000000000ull / (uint64_t)pps;

		while (now_ns() < due)
			; /* short waits: nanosleep's granularity would cap the rate */
		fill(buf, (size_t)size, (uint32_t)i);
		/* ENOBUFS and friends count as loss; the test decides what loss means. */
		(void)!sendto(fd, buf, (size_t)size, 0, (struct sockaddr *)&dst, dlen);
	}
	close(fd);
	return 0;
}

static int cmd_recv(int argc, char **argv)
{
	struct sockaddr_storage a;
	socklen_t alen;
	long count, timeout;
	uint8_t buf[MAX_SIZE + 1], *seen;
	uint64_t received = 0, unique = 0, dups = 0, reordered = 0, corrupted = 0, bytes = 0;
	uint64_t first = 0, last = 0, deadline;
	int64_t maxseq = -1;
	int fd, rcvbuf = 16 << 20;

	if (argc < 6)
		return 2;
	count = num(argv[4], 1, MAX_COUNT);
	timeout = num(argv[5], 1, 3600000);
	seen = calloc((size_t)count + 1, 1);
	if (!seen)
		die("calloc");
	fd = sock(addr_of(argv[2], argv[3], 0, &a, &alen), SOCK_DGRAM);
	/* Root may go past rmem_max: the test measures the fault, not our socket buffer. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&a, alen) < 0)
		die("bind");
	/* No SA_RESTART: a signal must end poll() at once. */
	struct sigaction sa = { .sa_handler = on_stop };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	deadline = now_ns() + (uint64_t)timeout * 1000000ull;
	while ((long)unique < count && !stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ns();
		uint32_t seq;
		ssize_t n;

		if (now >= deadline)
			break;
		if (poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			continue;
		received++;
		bytes += (uint64_t)n;
		last = now_ns();
		if (!first)
			first = last;
		deadline = last + (uint64_t)timeout * 1000000ull;
		if (check(buf, (size_t)n, 0, &seq) || seq >= (uint32_t)count) {
			corrupted++;
			continue;
		}
		if (seen[seq]) {
			dups++;
			continue;
		}
		seen[seq] = 1;
		unique++;
		if ((int64_t)seq < maxseq)
			reordered++;
		else
			maxseq = seq;
	}
	printf("received %llu unique %llu duplicates %llu reordered %llu corrupted %llu bytes %llu "
	       "span_ms %llu\n",
	       (unsigned long long)received, (unsigned long long)unique,
	       (unsigned long long)dups, (unsigned long long)reordered,
	       (unsigned long long)corrupted, (unsigned long long)bytes,
	       (unsigned long long)(last > first ? (last - first) / 1000000ull : 0));
	free(seen);
	close(fd);
	return 0;
}

static int cmd_echo(int argc, char **argv)
{
	struct sockaddr_storage a, peer;
	socklen_t alen, plen;
	uint8_t buf[MAX_SIZE];
	int fd;

	if (argc < 4)
		return 2;
	fd = sock(addr_of(argv[2], argv[3], 0, &a, &alen), SOCK_DGRAM);
	if (bind(fd, (struct sockaddr *)&a, alen) < 0)
		die("bind");
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		ssize_t n;

		plen = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);
		if (n > 0)
			(void)!sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, plen);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double pct(const uint64_t *v, size_t n, double p)
{
	return (double)v[(size_t)((double)(n - 1) * p + 0.5)] / 1e6;
}

static int cmd_rtt(int argc, char **argv)
{
	struct sockaddr_storage a;
	socklen_t alen;
	long count, interval;
	uint64_t *sent, *rtt, start, end;
	size_t n = 0;
	long next = 0;
	int fd;

	if (argc < 6)
		return 2;
	count = num(argv[4], 1, 100000);
	interval = num(argv[5], 1, 60000);
	sent = calloc((size_t)count, sizeof(*sent));
	rtt = calloc((size_t)count, sizeof(*rtt));
	if (!sent || !rtt)
		die("calloc");
	fd = sock(addr_of(argv[2], argv[3], 0, &a, &alen), SOCK_DGRAM);
	if (connect(fd, (struct sockaddr *)&a, alen) < 0)
		die("connect");
	start = now_ns();
	end = start + (uint64_t)count * (uint64_t)interval * 1000000ull + 2000000000ull;
	while ((long)n < count) {
		uint64_t now = now_ns(), due = start + (uint64_t)next * (uint64_t)interval * 1000000ull;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint8_t buf[64];
		uint32_t seq;
		int wait_ms;
		ssize_t r;

		if (now >= end)
			break;
		if (next < count && now >= due) {
			fill(buf, sizeof(buf), (uint32_t)next);
			sent[next] = now;
			(void)!send(fd, buf, sizeof(buf), 0);
			next++;
			continue;
		}
		wait_ms = (int)(((next < count ? due : end) - now) / 1000000ull) + 1;
		if (poll(&p, 1, wait_ms) <= 0)
			continue;
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r > 0 && !check(buf, (size_t)r, sizeof(buf), &seq) && seq < (uint32_t)next &&
		    sent[seq]) {
			rtt[n++] = now_ns() - sent[seq];
			sent[seq] = 0; /* a duplicate echo counts once */
		}
	}
	if (!n) {
		printf("rtt_ms median -1 p10 -1 p90 -1 min -1 max -1 lost %ld\n", count);
		return 1;
	}
	qsort(rtt, n, sizeof(*rtt), cmp_u64);
	printf("rtt_ms median %.3f p10 %.3f p90 %.3f min %.3f max %.3f lost %ld\n",
	       pct(rtt, n, 0.5), pct(rtt, n, 0.1), pct(rtt, n, 0.9), (double)rtt[0] / 1e6,
	       (double)rtt[n - 1] / 1e6, count - (long)n);
	free(sent);
	free(rtt);
	return 0;
}

static int cmd_listen(int argc, char **argv)
{
	struct sockaddr_storage a;
	socklen_t alen;
	int fd;

	if (argc < 4)
		return 2;
	fd = sock(addr_of(argv[2], argv[3], 0, &a, &alen), SOCK_STREAM);
	if (bind(fd, (struct sockaddr *)&a, alen) < 0 || listen(fd, 64) < 0)
		die("listen");
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c >= 0)
			close(c);
	}
}

static int cmd_connect(int argc, char **argv)
{
	struct sockaddr_storage a;
	socklen_t alen;
	struct pollfd p;
	long timeout;
	int fd, err = 0;
	socklen_t elen = sizeof(err);

	if (argc < 5)
		return 2;
	timeout = num(argv[4], 1, 600000);
	fd = sock(addr_of(argv[2], argv[3], 0, &a, &alen), SOCK_STREAM);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&a, alen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return 1;
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, (int)timeout) != 1)
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err)
		return 1;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "send", cmd_send },	  { "recv", cmd_recv },	    { "echo", cmd_echo },
		{ "rtt", cmd_rtt },	  { "listen", cmd_listen }, { "connect", cmd_connect },
	};

	cli_name = "nettraffic";
	for (size_t i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[1], cmds[i].name)) {
			int r = cmds[i].fn(argc, argv);

			if (r == 2)
				fprintf(stderr, "nettraffic %s: missing arguments (see the source)\n",
					argv[1]);
			return r;
		}
	}
	fprintf(stderr, "usage: nettraffic send|recv|echo|rtt|listen|connect ...\n");
	return 2;
}
