// SPDX-License-Identifier: MIT
/*
 * pingpong: the vpoll seed benchmark. A child hammers one vpoll instance with
 * VPOLL_IO_ADDEVENTS(EPOLLIN) N times, then EPOLLHUP; the parent sits in
 * epoll_wait() and clears whatever it is told about with DELEVENTS until it
 * sees EPOLLHUP. Prints the wall time per iteration.
 *
 *   pingpong [ITERATIONS=100000] [--marks]
 *
 * With --marks it prints WAITSCOPE_MARK at setup and after the run, so the
 * lab can snapshot the epoll state around it.
 */
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uapi/vpoll.h>

#include "common.h"

static void child_loop(int efd, long iters)
{
	for (long i = 0; i < iters; i++)
		WS_CHECK(ioctl(efd, VPOLL_IO_ADDEVENTS, EPOLLIN) < 0, "ADDEVENTS");
	WS_CHECK(ioctl(efd, VPOLL_IO_ADDEVENTS, EPOLLHUP) < 0, "ADDEVENTS EPOLLHUP");
}

static long parent_loop(int efd, int epfd)
{
	struct epoll_event ev;
	long wakeups = 0;

	for (;;) {
		int n = epoll_wait(epfd, &ev, 1, 1000);

		WS_CHECK(n < 0, "epoll_wait");
		if (n == 0) {
			printf("timeout...\n");
			continue;
		}
		wakeups++;
		WS_CHECK(ioctl(efd, VPOLL_IO_DELEVENTS, ev.events) < 0, "DELEVENTS");
		if (ev.events & EPOLLHUP)
			return wakeups;
	}
}

int main(int argc, char **argv)
{
	long iters = 100000, wakeups;
	int marks = 0, efd, epfd, status;
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLOUT | EPOLLHUP |
			  EPOLLPRI,
		.data.u64 = 0,
	};
	uint64_t t0, t1;
	pid_t pid;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--marks"))
			marks = 1;
		else
			iters = ws_parse_long(argv[i], "iterations");
	}

	efd = ws_vpoll_open();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	WS_CHECK(epfd < 0, "epoll_create1");
	WS_CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, efd, &ev) < 0, "epoll_ctl");
	printf("setup efd %d epfd %d\n", efd, epfd);
	if (marks)
		ws_mark("setup");
	fflush(stdout);

	t0 = ws_now_ns();
	pid = fork();
	WS_CHECK(pid < 0, "fork");
	if (pid == 0) {
		child_loop(efd, iters);
		_exit(0);
	}
	wakeups = parent_loop(efd, epfd);
	WS_CHECK(waitpid(pid, &status, 0) < 0, "waitpid");
	t1 = ws_now_ns();
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		ws_die("child failed (status 0x%x)", status);

	printf("%ld iters in %llu ns\n", iters, (unsigned long long)(t1 - t0));
	printf("%f ns/iter\n", iters ? (double)(t1 - t0) / iters : 0.0);
	printf("parent wakeups %ld\n", wakeups);
	if (marks)
		ws_mark("done");
	return 0;
}
