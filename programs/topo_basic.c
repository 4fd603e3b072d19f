// SPDX-License-Identifier: MIT
/*
 * topo_basic: one process with every common epoll shape, for the walkers'
 * oracle tests and the demo.
 *
 *   topo_basic
 *
 *   v0 v1 v2   /dev/vpoll instances       p[0] p[1]  a pipe
 *   efd        an eventfd                 sp[0] sp[1] a unix socketpair
 *   tfd        a timerfd armed for an hour
 *
 *   ep1 watches v0, v1, v2, p[0], efd (EPOLLET), sp[0] (EPOLLRDHUP), tfd.
 *       v2, efd and v0 become ready in that order: ep1's ready list.
 *   ep2 watches v1 and p[0], neither ready; thread "ep2-waiter" sleeps in
 *       epoll_wait(ep2) and "ep2-poller" in poll(ep2).
 *   ep3 watches ep1 (nested), so ep1's poll_wait holds ep3's callback and
 *       ep3's ready list holds ep1's epitem.
 *   "pipe-poller" sleeps in poll(p[0]), "v1-selector" in select(v1),
 *   "sock-reader" in read(sp[1]).
 *
 * Marks: "setup" (the state above), then "consumed" after one
 * epoll_wait(ep1): the level-triggered v2 and v0 go back on the ready list in
 * that order, the edge-triggered eventfd does not.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <uapi/vpoll.h>

#include "common.h"
#include "sleepers.h"

static void watch(int epfd, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = 0x1000 + fd };

	WS_CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0, "epoll_ctl");
}

static void print_fdinfo(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		ws_print_fdinfo(fds[i]);
}

int main(void)
{
	int v0 = ws_vpoll_open(), v1 = ws_vpoll_open(), v2 = ws_vpoll_open();
	int p[2], sp[2], efd, tfd, ep1, ep2, ep3;
	struct itimerspec hour = { .it_value.tv_sec = 3600 };
	struct ws_sleeper ep2_waiter, ep2_poller, pipe_poller, v1_selector, sock_reader;
	struct epoll_event out[8];
	pid_t pid = getpid();
	uint64_t one = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	WS_CHECK(pipe2(p, O_CLOEXEC) < 0, "pipe");
	WS_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0, "socketpair");
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	WS_CHECK(efd < 0, "eventfd");
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	WS_CHECK(tfd < 0, "timerfd_create");
	WS_CHECK(timerfd_settime(tfd, 0, &hour, NULL) < 0, "timerfd_settime");
	ep1 = epoll_create1(EPOLL_CLOEXEC);
	ep2 = epoll_create1(EPOLL_CLOEXEC);
	ep3 = epoll_create1(EPOLL_CLOEXEC);
	WS_CHECK(ep1 < 0 || ep2 < 0 || ep3 < 0, "epoll_create1");

	watch(ep1, v0, EPOLLIN);
	watch(ep1, v1, EPOLLIN | EPOLLOUT);
	watch(ep1, v2, EPOLLIN | EPOLLOUT);
	watch(ep1, p[0], EPOLLIN);
	watch(ep1, efd, EPOLLIN | EPOLLET);
	watch(ep1, sp[0], EPOLLIN | EPOLLRDHUP);
	watch(ep1, tfd, EPOLLIN);
	watch(ep2, v1, EPOLLIN);
	watch(ep2, p[0], EPOLLIN);
	watch(ep3, ep1, EPOLLIN);

	/* Readiness in a known order: ep1's rdllist is v2, efd, v0. */
	WS_CHECK(ioctl(v2, VPOLL_IO_ADDEVENTS, EPOLLIN | EPOLLOUT) < 0, "ADD v2");
	WS_CHECK(write(efd, &one, sizeof(one)) != sizeof(one), "eventfd write");
	WS_CHECK(ioctl(v0, VPOLL_IO_ADDEVENTS, EPOLLIN) < 0, "ADD v0");

	ep2_waiter = (struct ws_sleeper){ .kind = WS_SLEEP_EPOLL, .fd = ep2, .name = "ep2-waiter" };
	ep2_poller = (struct ws_sleeper){ .kind = WS_SLEEP_POLL, .fd = ep2, .events = POLLIN,
					  .name = "ep2-poller" };
	pipe_poller = (struct ws_sleeper){ .kind = WS_SLEEP_POLL, .fd = p[0], .events = POLLIN,
					   .name = "pipe-poller" };
	v1_selector = (struct ws_sleeper){ .kind = WS_SLEEP_SELECT, .fd = v1, .events = POLLIN,
					   .name = "v1-selector" };
	sock_reader = (struct ws_sleeper){ .kind = WS_SLEEP_READ, .fd = sp[1],
					   .name = "sock-reader" };
	ws_sleeper_start(&ep2_waiter);
	ws_sleeper_start(&ep2_poller);
	ws_sleeper_start(&pipe_poller);
	ws_sleeper_start(&v1_selector);
	ws_sleeper_start(&sock_reader);

	printf("topo_basic: pid %d v0 %d v1 %d v2 %d pipe %d/%d efd %d sock %d/%d tfd %d ep1 %d ep2 %d ep3 %d\n",
	       pid, v0, v1, v2, p[0], p[1], efd, sp[0], sp[1], tfd, ep1, ep2, ep3);
	print_fdinfo((int[]){ ep1, ep2, ep3 }, 3);
	ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[%d,%d,%d],\"ready_order\":\"exact\","
		  "\"wq\":[],\"poll_wait\":[{\"func\":\"ep_poll_callback\",\"epfd\":%d}],\"nested\":[]}",
		  pid, ep1, v2, efd, v0, ep3);
	ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[],\"ready_order\":\"exact\","
		  "\"wq\":[{\"func\":\"ep_autoremove_wake_function\",\"tid\":%d,\"exclusive\":true}],"
		  "\"poll_wait\":[{\"func\":\"pollwake\",\"tid\":%d}],\"nested\":[]}",
		  pid, ep2, ep2_waiter.tid, ep2_poller.tid);
	ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[%d],\"ready_order\":\"exact\","
		  "\"wq\":[],\"poll_wait\":[],\"nested\":[%d]}", pid, ep3, ep1, ep1);
	ws_expect("{\"kind\":\"waitq\",\"pid\":%d,\"fd\":%d,\"entries\":["
		  "{\"func\":\"ep_poll_callback\",\"epfd\":%d,\"exclusive\":false},"
		  "{\"func\":\"ep_poll_callback\",\"epfd\":%d,\"exclusive\":false},"
		  "{\"func\":\"pollwake\",\"tid\":%d,\"exclusive\":false}]}",
		  pid, v1, ep1, ep2, v1_selector.tid);
	ws_expect("{\"kind\":\"waitq\",\"pid\":%d,\"fd\":%d,\"head\":\"rd_wait\",\"entries\":["
		  "{\"func\":\"ep_poll_callback\",\"epfd\":%d,\"exclusive\":false},"
		  "{\"func\":\"ep_poll_callback\",\"epfd\":%d,\"exclusive\":false},"
		  "{\"func\":\"pollwake\",\"tid\":%d,\"exclusive\":false}]}",
		  pid, p[0], ep1, ep2, pipe_poller.tid);
	ws_expect("{\"kind\":\"waitq\",\"pid\":%d,\"fd\":%d,\"entries\":["
		  "{\"func\":\"ep_poll_callback\",\"epfd\":%d,\"exclusive\":false}]}", pid, efd, ep1);
	ws_expect("{\"kind\":\"waitq\",\"pid\":%d,\"fd\":%d,\"entries\":["
		  "{\"func\":\"ep_poll_callback\",\"epfd\":%d,\"exclusive\":false}]}", pid, tfd, ep1);
	ws_expect("{\"kind\":\"waitq\",\"pid\":%d,\"fd\":%d,\"entries\":["
		  "{\"func\":\"*\",\"tid\":%d}]}", pid, sp[1], sock_reader.tid);
	ws_mark("setup");

	/* One epoll_wait(ep1): LT items go back on the list, ET ones do not. */
	WS_CHECK(epoll_wait(ep1, out, 8, 0) != 3, "epoll_wait(ep1) did not report 3 events");
	print_fdinfo((int[]){ ep1, ep2, ep3 }, 3);
	ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[%d,%d],\"ready_order\":\"exact\","
		  "\"wq\":[],\"poll_wait\":[{\"func\":\"ep_poll_callback\",\"epfd\":%d}],\"nested\":[]}",
		  pid, ep1, v2, v0, ep3);
	ws_mark("consumed");
	return 0;
}
