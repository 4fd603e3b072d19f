// SPDX-License-Identifier: MIT
/*
 * pingpong: the vpoll seed benchmark. A child hammers one vpoll instance with
 * VPOLL_IO_ADDEVENTS(EPOLLIN) N times, then EPOLLHUP; the parent sits in
 * epoll_wait() and clears whatever it is told about with DELEVENTS until it
 * sees EPOLLHUP. Prints the wall time per iteration.
 *
 *   pingpong [ITERATIONS=100000] [--marks] [--recorder-compare ROUNDS]
 *            [--ioctl-only] [--pin] [--control]
 *
 * With --marks it prints WAITSCOPE_MARK at setup and after the run, so the
 * lab can snapshot the epoll state around it.
 *
 * With --recorder-compare it measures the flight recorder's cost: ROUNDS
 * pairs of runs, one with vpoll's "record" parameter off and one with it on,
 * the "on" run first in every other pair (so neither drift in the guest nor
 * going second favours one side), and prints the median ns/iter of each
 * ("recorder off: ... ns/iter", "recorder on: ... ns/iter"). Needs root.
 * It also prints the guest's clocksource (what the recorder's timestamps
 * read) and the flight-recorder records one iteration costs (from the ring's
 * head before and after an "on" round).
 *
 * With --ioctl-only (and --recorder-compare) there is no child and no epoll
 * waiter: the parent issues ITERATIONS ADDEVENTS/DELEVENTS pairs on an
 * instance nobody waits on, so the cost of one record is measured alone
 * ("recorder off/on: ... ns/op" per ioctl).
 *
 * --pin keeps the parent on CPU 0 and the child on CPU 1 (fewer migrations,
 * steadier rounds). --control then runs ROUNDS more pairs with the recorder
 * off in both runs and prints their median round ratio: what the
 * measurement itself gives when nothing differs (docs/timeline.md).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
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

static int pin;

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	WS_CHECK(sched_setaffinity(0, sizeof(set), &set) < 0,
		 "--pin needs CPUs 0 and 1: sched_setaffinity");
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
		if (pin)
			pin_to_cpu(1);
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

/*
 * ROUNDS pairs of runs, one with the recorder on (`with` = 1) and one off, the
 * "on" run first in every other pair. `with` = 0 is the control: the "on" slot
 * runs with the recorder off too.
 */
static void compare_rounds(int efd, int epfd, int fd, long iters, int rounds, int with,
			   double *off, double *on, uint64_t *records, long *total_wakeups)
{
	long wakeups = 0;
	uint64_t head;

	for (int r = 0; r < rounds; r++) {
		for (int half = 0; half < 2; half++) {
			int on_slot = half ^ (r & 1);
			double *slot = on_slot ? &on[r] : &off[r];

			ws_write_file(RECORD_PARAM, on_slot && with ? "1" : "0");
			/* Before both runs, so both follow the same syscalls. */
			head = ring_head();
			if (fd >= 0)
				*slot = ioctl_once(fd, iters);
			else
				*slot = (double)run_once(efd, epfd, iters, &wakeups) / iters;
			if (on_slot) {
				*records += ring_head() - head;
				*total_wakeups += wakeups;
			}
		}
		printf("%s %d: off %.1f %s %.1f %s\n", with ? "round" : "control round", r + 1,
		       off[r], with ? "on" : "off", on[r], fd >= 0 ? "ns/op" : "ns/iter");
	}
}

/* The median of the rounds' on/off ratios. */
static double median_ratio(const double *off, const double *on, int rounds)
{
	double ratio[MAX_ROUNDS];

	for (int r = 0; r < rounds; r++)
		ratio[r] = on[r] / off[r];
	return median(ratio, rounds);
}

static void recorder_compare(int efd, int epfd, long iters, int rounds, int ioctl_only,
			     int control)
{
	double off[MAX_ROUNDS], on[MAX_ROUNDS];
	const char *unit = ioctl_only ? "ns/op" : "ns/iter";
	uint64_t records = 0, unused_records = 0;
	long total_wakeups = 0, unused_wakeups = 0;
	int fd = -1;

	print_clocksource();
	if (ioctl_only)
		fd = ws_vpoll_open();
	compare_rounds(efd, epfd, fd, iters, rounds, 1, off, on, &records, &total_wakeups);
	printf("%ld iters x %d rounds\n", iters, rounds);
	printf("records per %s: %.3f\n", ioctl_only ? "ioctl" : "iteration",
	       (double)records / rounds / (ioctl_only ? 2.0 * iters : iters));
	if (!ioctl_only)
		printf("parent wakeups per iteration: %.3f\n",
		       (double)total_wakeups / rounds / iters);
	/* Robust to a round the host stalled: each round's on/off, their median. */
	printf("median round ratio on/off: %.4f\n", median_ratio(off, on, rounds));
	printf("recorder off: %f %s\n", median(off, rounds), unit);
	printf("recorder on: %f %s\n", median(on, rounds), unit);
	if (control) {
		double coff[MAX_ROUNDS], con[MAX_ROUNDS];

		compare_rounds(efd, epfd, fd, iters, rounds, 0, coff, con, &unused_records,
			       &unused_wakeups);
		printf("control median round ratio off/off: %.4f\n",
		       median_ratio(coff, con, rounds));
	}
}

int main(int argc, char **argv)
{
	long iters = 100000, wakeups;
	int marks = 0, rounds = 0, ioctl_only = 0, control = 0, efd, epfd;
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
		else if (!strcmp(argv[i], "--pin"))
			pin = 1;
		else if (!strcmp(argv[i], "--control"))
			control = 1;
		else if (!strcmp(argv[i], "--recorder-compare") && i + 1 < argc)
			rounds = (int)ws_parse_long(argv[++i], "rounds");
		else
			iters = ws_parse_long(argv[i], "iterations");
	}
	if (rounds > MAX_ROUNDS || iters == 0 || ((ioctl_only || control) && !rounds))
		ws_die("need 1..%d rounds (--ioctl-only and --control need --recorder-compare) and at least one iteration",
		       MAX_ROUNDS);

	efd = ws_vpoll_open();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	WS_CHECK(epfd < 0, "epoll_create1");
	WS_CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, efd, &ev) < 0, "epoll_ctl");
	printf("setup efd %d epfd %d\n", efd, epfd);
	if (marks)
		ws_mark("setup");
	fflush(stdout);

	if (pin)
		pin_to_cpu(0);
	if (rounds) {
		recorder_compare(efd, epfd, iters, rounds, ioctl_only, control);
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
