// SPDX-License-Identifier: MIT
/*
 * pingpong: the vpoll seed benchmark. A child hammers one vpoll instance with
 * VPOLL_IO_ADDEVENTS(EPOLLIN) N times, then EPOLLHUP; the parent sits in
 * epoll_wait() and clears whatever it is told about with DELEVENTS until it
 * sees EPOLLHUP. Prints the wall time per iteration.
 *
 *   pingpong [ITERATIONS=100000] [--marks] [--recorder-compare ROUNDS]
 *
 * With --marks it prints WAITSCOPE_MARK at setup and after the run, so the
 * lab can snapshot the epoll state around it.
 *
 * With --recorder-compare it measures the flight recorder's cost: ROUNDS
 * pairs of runs, alternating vpoll's "record" parameter off and on (so drift
 * in the guest hits both alike), and prints the median ns/iter of each
 * ("recorder off: ... ns/iter", "recorder on: ... ns/iter"). Needs root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uapi/vpoll.h>

#include "common.h"

#define RECORD_PARAM "/sys/module/vpoll/parameters/record"
#define MAX_ROUNDS 64

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

/* One timed run of `iters` round trips; returns ns and the parent's wakeups. */
static uint64_t run_once(int efd, int epfd, long iters, long *wakeups)
{
	uint64_t t0, t1;
	int status;
	pid_t pid;

	t0 = ws_now_ns();
	pid = fork();
	WS_CHECK(pid < 0, "fork");
	if (pid == 0) {
		child_loop(efd, iters);
		_exit(0);
	}
	*wakeups = parent_loop(efd, epfd);
	WS_CHECK(waitpid(pid, &status, 0) < 0, "waitpid");
	t1 = ws_now_ns();
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		ws_die("child failed (status 0x%x)", status);
	return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void recorder_compare(int efd, int epfd, long iters, int rounds)
{
	double off[MAX_ROUNDS], on[MAX_ROUNDS];
	long wakeups;

	for (int r = 0; r < rounds; r++) {
		ws_write_file(RECORD_PARAM, "0");
		off[r] = (double)run_once(efd, epfd, iters, &wakeups) / iters;
		ws_write_file(RECORD_PARAM, "1");
		on[r] = (double)run_once(efd, epfd, iters, &wakeups) / iters;
		printf("round %d: off %.1f on %.1f ns/iter\n", r + 1, off[r], on[r]);
	}
	printf("%ld iters x %d rounds\n", iters, rounds);
	printf("recorder off: %f ns/iter\n", median(off, rounds));
	printf("recorder on: %f ns/iter\n", median(on, rounds));
}

int main(int argc, char **argv)
{
	long iters = 100000, wakeups;
	int marks = 0, rounds = 0, efd, epfd;
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLOUT | EPOLLHUP |
			  EPOLLPRI,
		.data.u64 = 0,
	};
	uint64_t ns;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--marks"))
			marks = 1;
		else if (!strcmp(argv[i], "--recorder-compare") && i + 1 < argc)
			rounds = (int)ws_parse_long(argv[++i], "rounds");
		else
			iters = ws_parse_long(argv[i], "iterations");
	}
	if (rounds > MAX_ROUNDS || iters == 0)
		ws_die("need 1..%d rounds and at least one iteration", MAX_ROUNDS);

	efd = ws_vpoll_open();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	WS_CHECK(epfd < 0, "epoll_create1");
	WS_CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, efd, &ev) < 0, "epoll_ctl");
	printf("setup efd %d epfd %d\n", efd, epfd);
	if (marks)
		ws_mark("setup");
	fflush(stdout);

	if (rounds) {
		recorder_compare(efd, epfd, iters, rounds);
		return 0;
	}
	ns = run_once(efd, epfd, iters, &wakeups);
	printf("%ld iters in %llu ns\n", iters, (unsigned long long)ns);
	printf("%f ns/iter\n", (double)ns / iters);
	printf("parent wakeups %ld\n", wakeups);
	if (marks)
		ws_mark("done");
	return 0;
}
