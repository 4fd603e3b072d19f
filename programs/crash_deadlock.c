// SPDX-License-Identifier: MIT
/*
 * crash_deadlock: crash the lab kernel on purpose, the way the design notes
 * warn: a wake with wake_up_poll() under the wait queue's own lock.
 *
 *   crash_deadlock
 *
 * Opens a vpoll instance watched by an epoll that a thread ("ep-waiter")
 * sleeps on, marks "armed", then sets vpoll's test-only debug_deadlock
 * parameter and ADDs: vpoll_ioctl holds vd->wqh.lock (interrupts off) and
 * wake_up_poll() spins on it forever. The other CPU's RCU stall detector
 * reports the stuck CPU and, with kernel.panic_on_rcu_stall set here (and the
 * stall timeout shortened to 3 s), panics; pvpanic tells QEMU, and
 * `waitscope lab run` saves DIR/panic.vmcore. Never returns.
 *
 * The stall is only noticed while a grace period is waited for, and an idle
 * tickless CPU may never start one (seen on 6.12): a child pinned to the other
 * CPU asks for one every 100 ms (membarrier(MEMBARRIER_CMD_GLOBAL) is
 * synchronize_rcu()) while this process, pinned to CPU 0, deadlocks.
 */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <sched.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uapi/vpoll.h>

#include "common.h"
#include "sleepers.h"

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

int main(void)
{
	int v = ws_vpoll_open(), ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 };
	struct ws_sleeper waiter = { .kind = WS_SLEEP_EPOLL, .name = "ep-waiter" };

	setvbuf(stdout, NULL, _IOLBF, 0);
	WS_CHECK(ep < 0, "epoll_create1");
	WS_CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, v, &ev) < 0, "epoll_ctl");
	waiter.fd = ep;
	ws_sleeper_start(&waiter);
	ws_write_file("/proc/sys/kernel/panic_on_rcu_stall", "1");
	ws_write_file("/sys/module/rcupdate/parameters/rcu_cpu_stall_timeout", "3");
	printf("crash_deadlock: pid %d vpoll fd %d epoll fd %d, waiter tid %d\n", getpid(), v, ep,
	       waiter.tid);
	ws_mark("armed");
	pin(0);
	if (fork() == 0) {
		pin(1);
		for (;;) {
			syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
			usleep(100000);
		}
	}
	ws_write_file("/sys/module/vpoll/parameters/debug_deadlock", "1");
	printf("crash_deadlock: ADDEVENTS with wake_up_poll under wqh.lock...\n");
	ioctl(v, VPOLL_IO_ADDEVENTS, EPOLLIN);
	printf("crash_deadlock: still alive?!\n");
	return 1;
}
