// SPDX-License-Identifier: MIT
/*
 * topo_manyfds: one process with many epitems, for the walkers' oracle tests
 * at scale and the walk/pause benchmarks.
 *
 *   topo_manyfds N [--epolls M] [--ready-every K] [--no-fdinfo]
 *
 * Creates N eventfds and adds them round-robin to M epolls (default 1), with
 * data = the fd. Every K-th eventfd (default 10) is written to, so it is
 * ready; the ready lists hold them in fd order. Prints each epoll's fdinfo
 * (unless --no-fdinfo: at 100k that is megabytes through the lab's serial
 * channel) and the expected ready lists, then marks "filled".
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common.h"

#define MAX_EPOLLS 64
/* Longer ready lists are checked by count only (one line of JSON each). */
#define MAX_LISTED_READY 20000

int main(int argc, char **argv)
{
	long n = -1, every = 10, nep = 1, *nready, *nitems;
	int fdinfo = 1, ep[MAX_EPOLLS], *fds;
	pid_t pid = getpid();
	uint64_t one = 1, t0 = ws_now_ns();

	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--epolls") && i + 1 < argc)
			nep = ws_parse_long(argv[++i], "epolls");
		else if (!strcmp(argv[i], "--ready-every") && i + 1 < argc)
			every = ws_parse_long(argv[++i], "ready-every");
		else if (!strcmp(argv[i], "--no-fdinfo"))
			fdinfo = 0;
		else
			n = ws_parse_long(argv[i], "N");
	}
	if (n < 1 || nep < 1 || nep > MAX_EPOLLS || every < 1)
		ws_die("usage: topo_manyfds N [--epolls M<=%d] [--ready-every K] [--no-fdinfo]",
		       MAX_EPOLLS);
	ws_raise_nofile(n + nep + 64);
	fds = calloc(n, sizeof(*fds));
	nready = calloc(nep, sizeof(*nready));
	nitems = calloc(nep, sizeof(*nitems));
	WS_CHECK(!fds || !nready || !nitems, "calloc");
	for (int e = 0; e < nep; e++) {
		ep[e] = epoll_create1(EPOLL_CLOEXEC);
		WS_CHECK(ep[e] < 0, "epoll_create1");
	}
	for (long i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN };

		fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		WS_CHECK(fds[i] < 0, "eventfd");
		ev.data.u64 = fds[i];
		WS_CHECK(epoll_ctl(ep[i % nep], EPOLL_CTL_ADD, fds[i], &ev) < 0, "epoll_ctl");
		nitems[i % nep]++;
	}
	for (long i = 0; i < n; i += every) {
		WS_CHECK(write(fds[i], &one, sizeof(one)) != sizeof(one), "eventfd write");
		nready[i % nep]++;
	}
	printf("topo_manyfds: pid %d, %ld eventfds in %ld epolls, %ld ready, set up in %.1f ms\n",
	       pid, n, nep, (n + every - 1) / every, (ws_now_ns() - t0) / 1e6);
	for (int e = 0; e < nep; e++) {
		if (fdinfo)
			ws_print_fdinfo(ep[e]);
		printf("WAITSCOPE_EXPECT {\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"items\":%ld,"
		       "\"ready_count\":%ld", pid, ep[e], nitems[e], nready[e]);
		if (nready[e] <= MAX_LISTED_READY) {
			printf(",\"ready_order\":\"exact\",\"ready\":[");
			for (long i = e, k = 0; i < n; i += nep) {
				if (i % every)
					continue;
				printf("%s%d", k++ ? "," : "", fds[i]);
			}
			printf("]");
		}
		printf(",\"wq\":[],\"poll_wait\":[]}\n");
	}
	fflush(stdout);
	ws_mark("filled");
	return 0;
}
