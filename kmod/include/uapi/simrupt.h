/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * simrupt: a simulated interrupt source feeding a reader through the kernel's
 * deferred-work plumbing (timer -> circ_buf -> workqueue -> kfifo -> wait
 * queue). /dev/simrupt (0666): read() returns whole __u32 items, each the
 * next value of a producer counter, so a reader sees every item in order or a
 * gap that the module counted as a drop. poll() reports EPOLLIN while the
 * kfifo holds items. Production runs while the device is open. The module
 * parameters under /sys/module/simrupt/parameters/ (interval_ms, burst,
 * produce, hold, stats_ms) steer it; see simrupt.c.
 */
#ifndef _UAPI_LINUX_SIMRUPT_H
#define _UAPI_LINUX_SIMRUPT_H

#include <linux/ioctl.h>
#include <linux/types.h>

struct simrupt_stats {
	__u64 produced;		/* items the timer generated */
	__u64 dropped_circ;	/* lost because the circ_buf was full */
	__u64 dropped_fifo;	/* lost because the kfifo was full */
	__u64 delivered;	/* items copied to readers */
	__u64 works;		/* times the work function ran */
	__u32 circ_head;	/* circ_buf indices (size is a power of two) */
	__u32 circ_tail;
	__u32 circ_size;
	__u32 fifo_in;		/* kfifo counters (free-running, in items) */
	__u32 fifo_out;
	__u32 fifo_size;
	__u32 work_pending;	/* the work is queued (WORK_STRUCT_PENDING) */
	__u32 work_running;	/* the work function is executing (or held) */
	__u32 held;		/* the "hold" parameter */
	__u32 rate;		/* items/s over the last stats_ms period */
};

#define SIMRUPT_IOC_MAGIC	'~'
#define SIMRUPT_IOC_STATS	_IOR(SIMRUPT_IOC_MAGIC, 1, struct simrupt_stats)

#endif /* _UAPI_LINUX_SIMRUPT_H */
