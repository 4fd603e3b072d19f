// SPDX-License-Identifier: MIT
/*
 * pingpong: the vpoll seed benchmark. A child hammers one vpoll instance with
 * VPOLL_IO_ADDEVENTS(EPOLLIN) N times, then EPOLLHUP; the parent sits in
 * epoll_wait() and clears whatever it is told about with DELEVENTS until it
 * sees EPOLLHUP. Prints the wall time per iteration.
 *
 *   pingpong [ITERATIONS=100000] [--marks] [--recorder-compare ROUNDS]
 *            [--ioctl-only]
 *
 * With --marks it prints WAITSCOPE_MARK at setup and after the run, so the
 * lab can snapshot the epoll state around it.
 *
 * With --recorder-compare it measures the flight recorder's cost: ROUNDS
 * pairs of runs, alternating vpoll's "record" parameter off and on (so drift
 * in the guest hits both alike), and prints the median ns/iter of each
 * ("recorder off: ... ns/iter", "recorder on: ... ns/iter"). Needs root.
 * It also prints the guest's clocksource (what the recorder's timestamps
 * read) and the flight-recorder records one iteration costs (from the ring's
 * head before and after an "on" round).
 *
 * With --ioctl-only (and --recorder-compare) there is no child and no epoll
 * waiter: the parent issues ITERATIONS ADDEVENTS/DELEVENTS pairs on an
 * instance nobody waits on, so the cost of one record is measured alone
 * ("recorder off/on: ... ns/op" per ioctl).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>
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

/* The flight recorder's head (records ever taken), or 0 without a ring. */
static uint64_t ring_head(void)
{
	struct vpoll_ring_info info = { 0 };
	int fd = open("/dev/vpoll_events", O_RDONLY | O_CLOEXEC);

	WS_CHECK(fd < 0, "/dev/vpoll_events");
	WS_CHECK(ioctl(fd, VPOLL_EV_IOC_INFO, &info) < 0, "VPOLL_EV_IOC_INFO");
	close(fd);
	return info.head;
}

/* ADD/DEL pairs on an instance nobody waits on; returns ns per ioctl. */
static double ioctl_once(int fd, long iters)
{
	uint64_t t0 = ws_now_ns();

	for (long i = 0; i < iters; i++) {
		WS_CHECK(ioctl(fd, VPOLL_IO_ADDEVENTS, EPOLLIN) < 0, "ADDEVENTS");
		WS_CHECK(ioctl(fd, VPOLL_IO_DELEVENTS, EPOLLIN) < 0, "DELEVENTS");
	}
	return (double)(ws_now_ns() - t0) / (2.0 * iters);
}

/* Print "name: first line of path" (or "?"). */
static void print_sysfs(const char *name, const char *path)
{
	char buf[128] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (n > 0)
		buf[strcspn(buf, "\n")] = 0;
	if (fd >= 0)
		close(fd);
	printf("%s: %s\n", name, n > 0 ? buf : "?");
}

static void print_clocksource(void)
{
	uint64_t t0, t1, sum = 0;

	print_sysfs("clocksource", "/sys/devices/system/clocksource/clocksource0/current_clocksource");
	/* Page-table isolation: a CR3 switch (a TCG TLB flush) per syscall. */
	print_sysfs("meltdown", "/sys/devices/system/cpu/vulnerabilities/meltdown");
	/*
	 * What a kernel timestamp costs here: the vDSO's clock_gettime reads the
	 * TSC like ktime_get_mono_fast_ns() does (under QEMU TCG every RDTSC is a
	 * call into the emulator), and a bare RDTSC.
	 */
	t0 = ws_now_ns();
	for (int i = 0; i < 100000; i++)
		ws_now_ns();
	t1 = ws_now_ns();
	for (int i = 0; i < 100000; i++)
		sum += __rdtsc();
	printf("clock_gettime: %.1f ns/call, rdtsc: %.1f ns (sum %llu)\n",
	       (double)(t1 - t0) / 100000, (double)(ws_now_ns() - t1) / 100000,
	       (unsigned long long)sum % 10);
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

static void recorder_compare(int efd, int epfd, long iters, int rounds, int ioctl_only)
{
	double off[MAX_ROUNDS], on[MAX_ROUNDS], ratio[MAX_ROUNDS];
	const char *unit = ioctl_only ? "ns/op" : "ns/iter";
	uint64_t records = 0, head;
	long wakeups = 0, total_wakeups = 0;
	int fd = -1;

	print_clocksource();
	if (ioctl_only)
		fd = ws_vpoll_open();
	for (int r = 0; r < rounds; r++) {
		ws_write_file(RECORD_PARAM, "0");
		if (ioctl_only)
			off[r] = ioctl_once(fd, iters);
		else
			off[r] = (double)run_once(efd, epfd, iters, &wakeups) / iters;
		ws_write_file(RECORD_PARAM, "1");
		head = ring_head();
		if (ioctl_only)
			on[r] = ioctl_once(fd, iters);
		else
			on[r] = (double)run_once(efd, epfd, iters, &wakeups) / iters;
		records += ring_head() - head;
		total_wakeups += wakeups;
		printf("round %d: off %.1f on %.1f %s\n", r + 1, off[r], on[r], unit);
	}
	printf("%ld iters x %d rounds\n", iters, rounds);
	printf("records per %s: %.3f\n", ioctl_only ? "ioctl" : "iteration",
	       (double)records / rounds / (ioctl_only ? 2.0 * iters : iters));
	if (!ioctl_only)
		printf("parent wakeups per iteration: %.3f\n",
		       (double)total_wakeups / rounds / iters);
	for (int r = 0; r < rounds; r++)
		ratio[r] = on[r] / off[r];
	/* Robust to a round the host stalled: each round's on/off, their median. */
	printf("median round ratio on/off: %.4f\n", median(ratio, rounds));
	printf("recorder off: %f %s\n", median(off, rounds), unit);
	printf("recorder on: %f %s\n", median(on, rounds), unit);
}

int main(int argc, char **argv)
{
	long iters = 100000, wakeups;
	int marks = 0, rounds = 0, ioctl_only = 0, efd, epfd;
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLOUT | EPOLLHUP |
			  EPOLLPRI,
		.data.u64 = 0,
	};
	uint64_t ns;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--marks"))
			marks = 1;
		else if (!strcmp(argv[i], "--ioctl-only"))
			ioctl_only = 1;
		else if (!strcmp(argv[i], "--recorder-compare") && i + 1 < argc)
			rounds = (int)ws_parse_long(argv[++i], "rounds");
		else
			iters = ws_parse_long(argv[i], "iterations");
	}
	if (rounds > MAX_ROUNDS || iters == 0 || (ioctl_only && !rounds))
		ws_die("need 1..%d rounds (--ioctl-only needs --recorder-compare) and at least one iteration",
		       MAX_ROUNDS);

	efd = ws_vpoll_open();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	WS_CHECK(epfd < 0, "epoll_create1");
	WS_CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, efd, &ev) < 0, "epoll_ctl");
	printf("setup efd %d epfd %d\n", efd, epfd);
	if (marks)
		ws_mark("setup");
	fflush(stdout);

	if (rounds) {
		recorder_compare(efd, epfd, iters, rounds, ioctl_only);
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
