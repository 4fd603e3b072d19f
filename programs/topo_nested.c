// SPDX-License-Identifier: MIT
/*
 * topo_nested: epolls watching epolls, and epoll files held by several fds and
 * processes, for the walkers' oracle tests.
 *
 *   topo_nested
 *
 *   v <- epC <- epB <- epA      a chain: each watches the one to its left
 *   epD watches epB and epC     a diamond
 *   epE watches nothing ready; a forked child (which inherits every fd)
 *       sleeps in epoll_wait(epE); epA is also dup()ed
 *
 * When v becomes ready the readiness climbs the chain through each epoll's
 * poll_wait queue: epC's ready list holds v, epB's holds epC, epA's holds
 * epB, and epD's holds epB and epC. Every epoll is owned by both processes;
 * epA by two fds of each. Mark: "chain".
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <uapi/vpoll.h>

#include "common.h"
#include "sleepers.h"

static void watch(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x3000 + fd };

	WS_CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0, "epoll_ctl");
}

static int new_epoll(void)
{
	int fd = epoll_create1(EPOLL_CLOEXEC);

	WS_CHECK(fd < 0, "epoll_create1");
	return fd;
}

int main(void)
{
	int v = ws_vpoll_open(), epA = new_epoll(), epB = new_epoll(), epC = new_epoll();
	int epD = new_epoll(), epE = new_epoll(), epA2, sync[2];
	pid_t pid = getpid(), child;
	struct epoll_event ev;
	char c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	watch(epC, v);
	watch(epB, epC);
	watch(epA, epB);
	watch(epD, epB);
	watch(epD, epC);
	epA2 = dup(epA);
	WS_CHECK(epA2 < 0, "dup");
	WS_CHECK(pipe(sync) < 0, "pipe");

	child = fork();
	WS_CHECK(child < 0, "fork");
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "nested-child");
		WS_CHECK(write(sync[1], "x", 1) != 1, "sync");
		for (;;)
			epoll_wait(epE, &ev, 1, -1);
	}
	WS_CHECK(read(sync[0], &c, 1) != 1, "sync");
	/* Until the child sleeps in epoll_wait(epE). */
	for (int i = 0; i < 10000; i++) {
		char path[64];
		long nr = -1;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/syscall", child);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%ld", &nr) != 1)
				nr = -1;
			fclose(f);
		}
		if (nr == 232)	/* epoll_wait */
			break;
		usleep(1000);
	}
	WS_CHECK(ioctl(v, VPOLL_IO_ADDEVENTS, EPOLLIN) < 0, "ADD v");

	printf("topo_nested: pid %d child %d v %d epA %d (and %d) epB %d epC %d epD %d epE %d\n",
	       pid, child, v, epA, epA2, epB, epC, epD, epE);
	for (int fd = epA; fd <= epE; fd++)
		ws_print_fdinfo(fd);
	ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[%d],\"wq\":[],\"poll_wait\":["
		  "{\"func\":\"ep_poll_callback\",\"epfd\":%d},{\"func\":\"ep_poll_callback\",\"epfd\":%d}],"
		  "\"nested\":[]}", pid, epC, v, epB, epD);
	ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[%d],\"wq\":[],\"poll_wait\":["
		  "{\"func\":\"ep_poll_callback\",\"epfd\":%d},{\"func\":\"ep_poll_callback\",\"epfd\":%d}],"
		  "\"nested\":[%d]}", pid, epB, epC, epA, epD, epC);
	ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[%d],\"wq\":[],\"poll_wait\":[],"
		  "\"nested\":[%d],\"owners\":[[%d,%d],[%d,%d],[%d,%d],[%d,%d]]}",
		  pid, epA, epB, epB, pid, epA, pid, epA2, child, epA, child, epA2);
	ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[%d,%d],\"ready_order\":\"set\","
		  "\"wq\":[],\"poll_wait\":[],\"nested\":[%d,%d]}", pid, epD, epB, epC, epB, epC);
	ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[],\"wq\":["
		  "{\"func\":\"ep_autoremove_wake_function\",\"tid\":%d,\"exclusive\":true}],"
		  "\"poll_wait\":[],\"nested\":[]}", pid, epE, child);
	ws_mark("chain");
	kill(child, SIGKILL);
	return 0;
}
