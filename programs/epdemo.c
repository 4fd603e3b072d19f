// SPDX-License-Identifier: MIT
/*
 * epdemo: one process holding every kind of epoll and wait queue state the
 * introspection walkers decode, for their oracle tests (tests/introspect).
 *
 *   epdemo [--no-simrupt]
 *
 * fds: three vpoll instances, a pipe, two eventfds, a unix socketpair, a
 * timerfd and (unless --no-simrupt or absent) /dev/simrupt with production
 * stopped.
 *   ep1 watches vpoll0..2, the pipe, eventfd0 (ET), socket0 (ONESHOT), the
 *       timerfd (WAKEUP) and simrupt; vpoll2, eventfd0, vpoll0 and the timerfd
 *       become ready in that order and stay on ep1's ready list.
 *   ep3 watches ep1 (nested: an ep_poll_callback entry on ep1->poll_wait).
 *   ep2 watches vpoll1 and the pipe; two threads sleep in epoll_wait(ep2)
 *       (two exclusive ep_autoremove_wake_function entries on ep2->wq).
 *   ep4 and ep5 watch eventfd1 with EPOLLEXCLUSIVE.
 *   A thread sleeps in poll() on the pipe and eventfd1 (pollwake entries), one
 *   in select() on socket1, one in read() on simrupt (autoremove_wake_function).
 * Then it prints each epoll fd's /proc/self/fdinfo ("fdinfo <fd> <line>"), a
 * "WAITSCOPE_EXPECT <json>" line describing the above, and WAITSCOPE_MARK
 * setup; after the mark it wakes everything and exits 0.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <uapi/vpoll.h>

#include "common.h"

#define SIM_PRODUCE "/sys/module/simrupt/parameters/produce"

static int vp[3], pipefd[2], efd0, efd1, sp[2], tfd, sim = -1;
static int ep1, ep2, ep3, ep4, ep5;
static int stopping;	/* atomic: set by main, read by the epoll_wait threads */

enum { T_EPWAIT_A, T_EPWAIT_B, T_POLL, T_SELECT, T_SIMREAD, NTHREADS };
static const char *const thread_names[NTHREADS] = {
	"epwait-a", "epwait-b", "poller", "selecter", "simreader",
};
static pid_t tids[NTHREADS];

static void ep_add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	WS_CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0, "epoll_ctl");
}

static void *thread_main(void *arg)
{
	int which = (int)(long)arg;
	struct epoll_event ev;
	uint32_t buf[16];

	tids[which] = (pid_t)syscall(SYS_gettid);
	pthread_setname_np(pthread_self(), thread_names[which]);
	switch (which) {
	case T_EPWAIT_A:
	case T_EPWAIT_B:
		while (!__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
			WS_CHECK(epoll_wait(ep2, &ev, 1, -1) < 0, "epoll_wait");
		break;
	case T_POLL: {
		struct pollfd p[2] = { { pipefd[0], POLLIN, 0 }, { efd1, POLLIN, 0 } };

		WS_CHECK(poll(p, 2, -1) < 0, "poll");
		break;
	}
	case T_SELECT: {
		fd_set r;

		FD_ZERO(&r);
		FD_SET(sp[1], &r);
		WS_CHECK(select(sp[1] + 1, &r, NULL, NULL, NULL) < 0, "select");
		break;
	}
	case T_SIMREAD:
		WS_CHECK(read(sim, buf, sizeof(buf)) < 0, "read simrupt");
		break;
	}
	return NULL;
}

/* Wait until thread `tid` sleeps interruptibly in a syscall. */
static void wait_sleeping(pid_t tid)
{
	char path[64], stat[512];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	for (int i = 0; i < 2000; i++) {
		FILE *f = fopen(path, "r");
		char *p = NULL;

		if (f) {
			if (fgets(stat, sizeof(stat), f))
				p = strrchr(stat, ')');
			fclose(f);
		}
		if (p && p[1] == ' ' && p[2] == 'S') {
			usleep(20000);	/* past the last instructions before schedule() */
			return;
		}
		usleep(5000);
	}
	ws_die("thread %d never slept", tid);
}

int main(int argc, char **argv)
{
	int use_sim = !(argc > 1 && !strcmp(argv[1], "--no-simrupt"));
	struct itimerspec its = { .it_value = { 0, 1000000 } };
	pthread_t th[NTHREADS];
	uint64_t one = 1;

	for (int i = 0; i < 3; i++)
		vp[i] = ws_vpoll_open();
	WS_CHECK(pipe2(pipefd, O_CLOEXEC) < 0, "pipe");
	efd0 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd1 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	WS_CHECK(efd0 < 0 || efd1 < 0, "eventfd");
	WS_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0, "socketpair");
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	WS_CHECK(tfd < 0, "timerfd_create");
	if (use_sim && access("/dev/simrupt", R_OK) == 0) {
		ws_write_file(SIM_PRODUCE, "0");
		sim = open("/dev/simrupt", O_RDONLY | O_CLOEXEC);
		WS_CHECK(sim < 0, "open /dev/simrupt");
	}

	ep1 = epoll_create1(EPOLL_CLOEXEC);
	ep2 = epoll_create1(EPOLL_CLOEXEC);
	ep3 = epoll_create1(EPOLL_CLOEXEC);
	ep4 = epoll_create1(EPOLL_CLOEXEC);
	ep5 = epoll_create1(EPOLL_CLOEXEC);
	WS_CHECK(ep1 < 0 || ep2 < 0 || ep3 < 0 || ep4 < 0 || ep5 < 0, "epoll_create1");

	ep_add(ep1, vp[0], EPOLLIN, 0x1000);
	ep_add(ep1, vp[1], EPOLLIN | EPOLLOUT, 0x1001);
	ep_add(ep1, vp[2], EPOLLIN | EPOLLOUT | EPOLLET, 0x1002);
	ep_add(ep1, pipefd[0], EPOLLIN | EPOLLRDHUP, 0x1003);
	ep_add(ep1, efd0, EPOLLIN | EPOLLET, 0x1004);
	ep_add(ep1, sp[0], EPOLLIN | EPOLLONESHOT, 0x1005);
	ep_add(ep1, tfd, EPOLLIN | EPOLLWAKEUP, 0x1006);
	if (sim >= 0)
		ep_add(ep1, sim, EPOLLIN, 0x1007);
	ep_add(ep2, vp[1], EPOLLIN, 0x2001);
	ep_add(ep2, pipefd[0], EPOLLIN, 0x2003);
	ep_add(ep4, efd1, EPOLLIN | EPOLLEXCLUSIVE, 0x4000);
	ep_add(ep5, efd1, EPOLLIN | EPOLLEXCLUSIVE, 0x5000);

	/* ep1's ready list, in this order: vpoll2, eventfd0, vpoll0, timerfd. */
	WS_CHECK(ioctl(vp[2], VPOLL_IO_ADDEVENTS, EPOLLIN) < 0, "ADDEVENTS");
	WS_CHECK(write(efd0, &one, sizeof(one)) != sizeof(one), "eventfd write");
	WS_CHECK(ioctl(vp[0], VPOLL_IO_ADDEVENTS, EPOLLIN) < 0, "ADDEVENTS");
	WS_CHECK(timerfd_settime(tfd, 0, &its, NULL) < 0, "timerfd_settime");
	usleep(50000);
	/* ep3 polls ep1 now: ep1 is readable, so ep3's item is ready too. */
	ep_add(ep3, ep1, EPOLLIN, 0x3001);

	for (long i = 0; i < NTHREADS; i++) {
		if (i == T_SIMREAD && sim < 0)
			continue;
		WS_CHECK(pthread_create(&th[i], NULL, thread_main, (void *)i) != 0,
			 "pthread_create");
		while (!__atomic_load_n(&tids[i], __ATOMIC_ACQUIRE))
			usleep(1000);
		wait_sleeping(tids[i]);
	}

	for (int fd = ep1; fd <= ep5; fd++)
		ws_print_fdinfo(fd);
	printf("WAITSCOPE_EXPECT {\"program\":\"epdemo\",\"pid\":%d,"
	       "\"fds\":{\"vpoll\":[%d,%d,%d],\"pipe\":[%d,%d],\"eventfd\":[%d,%d],"
	       "\"socket\":[%d,%d],\"timerfd\":%d,\"simrupt\":%d,"
	       "\"epoll\":[%d,%d,%d,%d,%d]},"
	       "\"eps\":["
	       "{\"epfd\":%d,\"ready\":[%d,%d,%d,%d],\"wq_waiters\":[],"
	       "\"poll_wait\":[{\"func\":\"ep_poll_callback\",\"epfd\":%d}]},"
	       "{\"epfd\":%d,\"ready\":[],\"wq_waiters\":["
	       "{\"tid\":%d,\"func\":\"ep_autoremove_wake_function\",\"exclusive\":true},"
	       "{\"tid\":%d,\"func\":\"ep_autoremove_wake_function\",\"exclusive\":true}],"
	       "\"poll_wait\":[]},"
	       "{\"epfd\":%d,\"ready\":[%d],\"wq_waiters\":[],\"poll_wait\":[],\"nested\":[%d]},"
	       "{\"epfd\":%d,\"ready\":[],\"wq_waiters\":[],\"poll_wait\":[]},"
	       "{\"epfd\":%d,\"ready\":[],\"wq_waiters\":[],\"poll_wait\":[]}],"
	       "\"pollwake\":[{\"tid\":%d,\"fds\":[%d,%d]},{\"tid\":%d,\"fds\":[%d]}],"
	       "\"task_waiters\":[{\"tid\":%d,\"fd\":%d,\"func\":\"autoremove_wake_function\","
	       "\"exclusive\":false}],"
	       "\"exclusive_hooks\":[{\"fd\":%d,\"epfds\":[%d,%d]}]}\n",
	       getpid(), vp[0], vp[1], vp[2], pipefd[0], pipefd[1], efd0, efd1, sp[0], sp[1],
	       tfd, sim, ep1, ep2, ep3, ep4, ep5,
	       ep1, vp[2], efd0, vp[0], tfd, ep3,
	       ep2, tids[T_EPWAIT_A], tids[T_EPWAIT_B],
	       ep3, ep1, ep1, ep4, ep5,
	       tids[T_POLL], pipefd[0], efd1, tids[T_SELECT], sp[1],
	       sim >= 0 ? tids[T_SIMREAD] : -1, sim, efd1, ep4, ep5);
	ws_mark("setup");

	/* Wake everybody and leave. */
	__atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);
	WS_CHECK(ioctl(vp[1], VPOLL_IO_ADDEVENTS, EPOLLIN) < 0, "ADDEVENTS");
	WS_CHECK(write(pipefd[1], "x", 1) != 1, "pipe write");
	WS_CHECK(write(sp[0], "x", 1) != 1, "socket write");
	if (sim >= 0)
		ws_write_file(SIM_PRODUCE, "1");
	for (int i = 0; i < NTHREADS; i++)
		if (tids[i])
			pthread_join(th[i], NULL);
	printf("epdemo: done\n");
	return 0;
}
