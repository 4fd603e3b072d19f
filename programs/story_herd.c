// SPDX-License-Identifier: MIT
/*
 * story_herd: the story the bundled demo tells, in four marks, each checked
 * by the oracle (tests/introspect/oracle.py).
 *
 *   story_herd [N]      (N sleepers per herd, default 4, at most 16)
 *
 * Level vs edge: epLT and epET watch the same vpoll v, epET with EPOLLET.
 *   "both-ready"  ADDEVENTS(v, EPOLLIN): v's epitem is on both ready lists
 *   "after-wait"  one epoll_wait on each: ep_send_events puts a level-
 *                 triggered item back on the ready list while v stays
 *                 readable; the edge-triggered one is gone until the next edge
 * Thundering herd: N threads, each asleep in epoll_wait on its own epoll fd;
 * the herd's epolls watch vpoll h, the exclusive ones vpoll x with
 * EPOLLEXCLUSIVE (so x's wait queue holds N exclusive ep_poll_callback
 * entries at its tail).
 *   "asleep"      everybody asleep: 2N ep_autoremove_wake_function entries
 *   "woken"       ADDEVENTS(h) then ADDEVENTS(x): all N herd threads woke and
 *                 h is on all N ready lists; one exclusive thread woke (the
 *                 first entry: __wake_up_common stops after one exclusive
 *                 callback that woke someone) and x is on one ready list
 * A woken thread parks in pause() so the state stays as the wake left it.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uapi/vpoll.h>

#include "common.h"
#include "sleepers.h"

#define MAX_N 16

static int new_epoll(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);

	WS_CHECK(ep < 0, "epoll_create1");
	return ep;
}

static void watch(int epfd, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = 0x3000 + fd };

	WS_CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0, "epoll_ctl");
}

static void add_events(int fd, unsigned long events)
{
	WS_CHECK(ioctl(fd, VPOLL_IO_ADDEVENTS, events) < 0, "VPOLL_IO_ADDEVENTS");
}

/* Wait up to 5 s for at least `want` of the sleepers to wake; return how many did. */
static int await_woken(struct ws_sleeper *s, int n, int want)
{
	int woke = 0;

	for (int tries = 0; tries < 5000; tries++) {
		woke = 0;
		for (int i = 0; i < n; i++)
			woke += __atomic_load_n(&s[i].woke, __ATOMIC_ACQUIRE);
		if (woke >= want)
			break;
		usleep(1000);
	}
	return woke;
}

static void expect_ready(pid_t pid, int epfd, int fd, int ready)
{
	if (ready)
		ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[%d]}", pid, epfd, fd);
	else
		ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[]}", pid, epfd);
}

/* The wait queue of vpoll `fd`: one ep_poll_callback entry per epoll in `eps`. */
static void expect_watchers(pid_t pid, int fd, const int *eps, int n, int exclusive)
{
	char buf[2048];
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - len,
				"%s{\"func\":\"ep_poll_callback\",\"epfd\":%d,\"exclusive\":%s}",
				i ? "," : "", eps[i], exclusive ? "true" : "false");
	ws_expect("{\"kind\":\"waitq\",\"pid\":%d,\"fd\":%d,\"entries\":[%s]}", pid, fd, buf);
}

/*
 * The sleeper's epoll: asleep, its entry on ep->wq and nothing ready; woken,
 * ep->wq empty and the level-triggered item back on the ready list.
 */
static void expect_sleeper(pid_t pid, const struct ws_sleeper *s, int ready_fd)
{
	if (__atomic_load_n(&s->woke, __ATOMIC_ACQUIRE))
		ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[%d],\"wq\":[]}",
			  pid, s->fd, ready_fd);
	else
		ws_expect("{\"kind\":\"epoll\",\"pid\":%d,\"epfd\":%d,\"ready\":[],\"wq\":["
			  "{\"func\":\"ep_autoremove_wake_function\",\"tid\":%d,\"exclusive\":true}]}",
			  pid, s->fd, s->tid);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? (int)ws_parse_long(argv[1], "N") : 4;
	int v = ws_vpoll_open(), h = ws_vpoll_open(), x = ws_vpoll_open();
	int epLT = new_epoll(), epET = new_epoll(), herd[MAX_N], excl[MAX_N];
	struct ws_sleeper hs[MAX_N], xs[MAX_N];
	struct epoll_event ev;
	pid_t pid = getpid();
	int woke_h, woke_x;

	if (n < 1 || n > MAX_N)
		ws_die("N must be 1..%d", MAX_N);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("story_herd: pid %d v %d h %d x %d epLT %d epET %d\n", pid, v, h, x, epLT, epET);

	/* Level vs edge. */
	watch(epLT, v, EPOLLIN);
	watch(epET, v, EPOLLIN | EPOLLET);
	add_events(v, EPOLLIN);
	expect_ready(pid, epLT, v, 1);
	expect_ready(pid, epET, v, 1);
	ws_mark("both-ready");
	WS_CHECK(epoll_wait(epLT, &ev, 1, 0) != 1, "epoll_wait(epLT)");
	WS_CHECK(epoll_wait(epET, &ev, 1, 0) != 1, "epoll_wait(epET)");
	expect_ready(pid, epLT, v, 1);
	expect_ready(pid, epET, v, 0);
	ws_mark("after-wait");

	/* The herd and the exclusive watchers, all asleep. */
	for (int i = 0; i < n; i++) {
		herd[i] = new_epoll();
		watch(herd[i], h, EPOLLIN);
		excl[i] = new_epoll();
		watch(excl[i], x, EPOLLIN | EPOLLEXCLUSIVE);
	}
	for (int i = 0; i < n; i++) {
		hs[i] = (struct ws_sleeper){ .kind = WS_SLEEP_EPOLL, .fd = herd[i], .once = 1 };
		snprintf(hs[i].name, sizeof(hs[i].name), "herd-%d", i);
		ws_sleeper_start(&hs[i]);
		xs[i] = (struct ws_sleeper){ .kind = WS_SLEEP_EPOLL, .fd = excl[i], .once = 1 };
		snprintf(xs[i].name, sizeof(xs[i].name), "excl-%d", i);
		ws_sleeper_start(&xs[i]);
	}
	for (int i = 0; i < n; i++) {
		expect_sleeper(pid, &hs[i], h);
		expect_sleeper(pid, &xs[i], x);
	}
	expect_watchers(pid, h, herd, n, 0);
	expect_watchers(pid, x, excl, n, 1);
	ws_mark("asleep");

	/* One event each. */
	add_events(h, EPOLLIN);
	woke_h = await_woken(hs, n, n);
	add_events(x, EPOLLIN);
	woke_x = await_woken(xs, n, 1);
	usleep(200000); /* a second exclusive wake would show by now */
	woke_x = await_woken(xs, n, 0);
	printf("story_herd: herd woke %d of %d, exclusive woke %d of %d\n", woke_h, n, woke_x, n);
	if (woke_h != n || woke_x != 1)
		ws_die("expected the whole herd (%d) and one exclusive waiter to wake", n);
	for (int i = 0; i < n; i++) {
		expect_sleeper(pid, &hs[i], h);
		expect_sleeper(pid, &xs[i], x);
	}
	expect_watchers(pid, h, herd, n, 0);
	expect_watchers(pid, x, excl, n, 1);
	ws_mark("woken");
	return 0;
}
