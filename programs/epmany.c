// SPDX-License-Identifier: MIT
/*
 * epmany: one epoll instance watching N eventfds, for walker benchmarks and
 * big-tree checks (bench/walk100k.sh, bench/labpause.sh, tests/introspect).
 *
 *   epmany N [--ready EVERY] [--fdinfo] [--marks K]
 *
 * Raises RLIMIT_NOFILE to fit N (needs root for more than the hard limit)
 * and, for N > 10000, fs.epoll.max_user_watches,
 * creates N eventfds and one epoll fd watching all of them (EPOLLIN, data =
 * the fd's index), writes to every EVERY-th eventfd (default 7; 0 = none) so
 * those epitems sit on the ready list in index order, and sleeps one thread
 * in epoll_wait on a second epoll fd watching nothing. Prints
 * "WAITSCOPE_EXPECT {...}" (and the epoll fd's fdinfo with --fdinfo), then
 * WAITSCOPE_MARK setup, and K - 1 more marks over the same state (repeat1...)
 * with --marks K.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

static int idle_ep;
static pid_t waiter_tid;	/* atomic: set by the waiter thread */

static void *waiter(void *arg)
{
	struct epoll_event ev;

	(void)arg;
	__atomic_store_n(&waiter_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	epoll_wait(idle_ep, &ev, 1, -1);
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? ws_parse_long(argv[1], "N") : 1000, every = 7;
	struct rlimit rl = { (rlim_t)n + 64, (rlim_t)n + 64 };
	int fdinfo = 0, ep, first = -1, last = -1, marks = 1;
	long ready = 0;
	uint64_t one = 1;
	pthread_t th;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--ready") && i + 1 < argc)
			every = ws_parse_long(argv[++i], "EVERY");
		else if (!strcmp(argv[i], "--fdinfo"))
			fdinfo = 1;
		else if (!strcmp(argv[i], "--marks") && i + 1 < argc)
			marks = (int)ws_parse_long(argv[++i], "K");
		else
			ws_die("usage: epmany N [--ready EVERY] [--fdinfo] [--marks K]");
	}
	WS_CHECK(setrlimit(RLIMIT_NOFILE, &rl) < 0, "setrlimit RLIMIT_NOFILE");
	/* The per-user epitem limit scales with RAM (4% of it): lift it (root). */
	if (n > 10000) {
		char v[32];

		snprintf(v, sizeof(v), "%ld", n + 1024);
		ws_write_file("/proc/sys/fs/epoll/max_user_watches", v);
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	idle_ep = epoll_create1(EPOLL_CLOEXEC);
	WS_CHECK(ep < 0 || idle_ep < 0, "epoll_create1");
	for (long i = 0; i < n; i++) {
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)i };

		WS_CHECK(fd < 0, "eventfd");
		if (first < 0)
			first = fd;
		last = fd;
		WS_CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0, "epoll_ctl");
		if (every && i % every == 0) {
			WS_CHECK(write(fd, &one, sizeof(one)) != sizeof(one), "write");
			ready++;
		}
	}
	WS_CHECK(pthread_create(&th, NULL, waiter, NULL) != 0, "pthread_create");
	while (!__atomic_load_n(&waiter_tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	usleep(100000);
	if (fdinfo)
		ws_print_fdinfo(ep);
	printf("WAITSCOPE_EXPECT {\"program\":\"epmany\",\"pid\":%d,\"epfd\":%d,\"n\":%ld,"
	       "\"first_fd\":%d,\"last_fd\":%d,\"ready_every\":%ld,\"ready_count\":%ld,"
	       "\"idle_epfd\":%d,\"waiter_tid\":%d}\n",
	       getpid(), ep, n, first, last, every, ready, idle_ep, waiter_tid);
	ws_mark("setup");
	for (int k = 1; k < marks; k++) {
		char name[32];

		snprintf(name, sizeof(name), "repeat%d", k);
		ws_mark(name);
	}
	close(idle_ep);
	printf("epmany: done\n");
	_exit(0);
}
