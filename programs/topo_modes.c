// SPDX-License-Identifier: MIT
/*
 * topo_modes: the epoll flags that change what the kernel keeps, for the
 * walkers' oracle tests.
 *
 *   topo_modes
 *
 *   epA watches
 *     vone   EPOLLIN | EPOLLONESHOT, fired once and consumed: the kernel keeps
 *            only the private bits, so it is disarmed and stays off the ready
 *            list although vone is readable again
 *     s0     EPOLLIN | EPOLLRDHUP on a socketpair whose peer shut down writing
 *     tfd    a timerfd that expired
 *     vwake  EPOLLIN | EPOLLWAKEUP (a wakeup source; needs root)
 *     ready, in this order: s0, tfd, vwake
 *   vx is watched with EPOLLEXCLUSIVE by epX[0..2], one thread asleep in each,
 *     so vx's wait queue holds three exclusive ep_poll_callback entries
 *   epS is shared by three threads asleep in epoll_wait(epS): three exclusive
 *     ep_autoremove_wake_function entries on epS's wq
 *
 * Mark: "modes".
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <uapi/vpoll.h>

#include "common.h"
#include "sleepers.h"

#define NX 3

static void watch(int epfd, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = 0x2000 + fd };

	WS_CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0, "epoll_ctl");
}

int main(void)
{
	int vone = ws_vpoll_open(), vwake = ws_vpoll_open(), vx = ws_vpoll_open();
	int vs = ws_vpoll_open(), sp[2], tfd, epA, epX[NX], epS;
	struct itimerspec soon = { .it_value.tv_nsec = 1000000 };
	struct ws_sleeper xw[NX], sw[NX];
	struct epoll_event out[8];
	pid_t pid = getpid();
	char buf[512];
	size_t len;

	setvbuf(stdout, NULL, _IOLBF, 0);
	WS_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0, "socketpair");
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	WS_CHECK(tfd < 0, "timerfd_create");
	epA = epoll_create1(EPOLL_CLOEXEC);
	epS = epoll_create1(EPOLL_CLOEXEC);
	WS_CHECK(epA < 0 || epS < 0, "epoll_create1");

	watch(epA, vone, EPOLLIN | EPOLLONESHOT);
	watch(epA, sp[0], EPOLLIN | EPOLLRDHUP);
	watch(epA, tfd, EPOLLIN);
	watch(epA, vwake, EPOLLIN | EPOLLWAKEUP);
	/* Fire the one-shot item and consume it: it is disarmed from now on. */
	WS_CHECK(ioctl(vone, VPOLL_IO_ADDEVENTS, EPOLLIN) < 0, "ADD vone");
	WS_CHECK(epoll_wait(epA, out, 8, 0) != 1, "one-shot event");
	WS_CHECK(ioctl(vone, VPOLL_IO_ADDEVENTS, EPOLLIN) < 0, "ADD vone again");
	/* Then s0, tfd, vwake become ready, in that order. */
	WS_CHECK(shutdown(sp[1], SHUT_WR) < 0, "shutdown");
	WS_CHECK(timerfd_settime(tfd, 0, &soon, NULL) < 0, "timerfd_settime");
	usleep(50000);
	WS_CHECK(ioctl(vwake, VPOLL_IO_ADDEVENTS, EPOLLIN) < 0, "ADD vwake");

	for (int i = 0; i < NX; i++) {
		epX[i] = epoll_create1(EPOLL_CLOEXEC);
		WS_CHECK(epX[i] < 0, "epoll_create1");
		watch(epX[i], vx, EPOLLIN | EPOLLEXCLUSIVE);
		xw[i] = (struct ws_sleeper){ .kind = WS_SLEEP_EPOLL, .fd = epX[i] };
		snprintf(xw[i].name, sizeof(xw[i].name), "excl-%d", i);
		ws_sleeper_start(&xw[i]);
	}
	watch(epS, vs, EPOLLIN);
	for (int i = 0; i < NX; i++) {
		sw[i] = (struct ws_sleeper){ .kind = WS_SLEEP_EPOLL, .fd = epS };
		snprintf(sw[i].name, sizeof(sw[i].name), "shared-%d", i);
		ws_sleeper_start(&sw[i]);
	}

	printf("topo_modes: pid %d vone %d vwake %d vx %d vs %d sock %d/%d tfd %d epA %d epS %d epX %d %d %d\n",
	       pid, vone, vwake, vx, vs, sp[0], sp[1], tfd, epA, epS, epX[0], epX[1], epX[2]);
	ws_print_fdinfo(epA);
	ws_print_fdinfo(epS);
	for (int i = 0; i < NX; i++)
		ws_print_fdinfo(epX[i]);
	ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[%d,%d,%d],\"ready_order\":\"exact\","
		  "\"wq\":[],\"poll_wait\":[],\"nested\":[]}", pid, epA, sp[0], tfd, vwake);
	len = 0;
	for (int i = 0; i < NX; i++)
		len += snprintf(buf + len, sizeof(buf) - len,
				"%s{\"func\":\"ep_autoremove_wake_function\",\"tid\":%d,\"exclusive\":true}",
				i ? "," : "", sw[i].tid);
	ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[],\"wq\":[%s],\"poll_wait\":[]}",
		  pid, epS, buf);
	len = 0;
	for (int i = 0; i < NX; i++) {
		ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[],\"wq\":["
			  "{\"func\":\"ep_autoremove_wake_function\",\"tid\":%d,\"exclusive\":true}]}",
			  pid, epX[i], xw[i].tid);
		len += snprintf(buf + len, sizeof(buf) - len,
				"%s{\"func\":\"ep_poll_callback\",\"epfd\":%d,\"exclusive\":true}",
				i ? "," : "", epX[i]);
	}
	ws_expect("{\"kind\":\"waitq\",\"pid\":%d,\"fd\":%d,\"entries\":[%s]}", pid, vx, buf);
	ws_expect("{\"kind\":\"waitq\",\"pid\":%d,\"fd\":%d,\"entries\":["
		  "{\"func\":\"ep_poll_callback\",\"epfd\":%d,\"exclusive\":false}]}", pid, vone, epA);
	ws_mark("modes");
	return 0;
}
