/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vpoll: a pollable device whose readiness is set from user space, and its
 * flight recorder. This header is the one ABI shared by the module, the lab's
 * user programs and the waitscope app (docs/kmod-abi.md).
 *
 * /dev/vpoll (0666): each open() is one instance with its own wait queue.
 *   ioctl(fd, VPOLL_IO_ADDEVENTS, mask)  events |= mask & VPOLL_EVENT_MASK
 *   ioctl(fd, VPOLL_IO_DELEVENTS, mask)  events &= ~(mask & VPOLL_EVENT_MASK)
 *   Both return the resulting event mask (>= 0) and wake the instance's
 *   waiters when there are any. Any other command fails with ENOTTY.
 *   poll/select/epoll report the current event mask.
 *
 * /dev/vpoll_events (0600): read() returns whole struct vpoll_record entries
 *   in sequence order; poll() reports EPOLLIN while records are pending.
 *
 * The flight recorder is one physically contiguous block: a struct
 * vpoll_ring_header followed by `capacity` records. It is self-describing so
 * that a host can find and decode it in guest RAM or in a vmcore without the
 * module's debug info: scan page-aligned physical memory for
 * VPOLL_RING_MAGIC and check that `self_phys` equals the address it was
 * found at.
 */
#ifndef _UAPI_LINUX_VPOLL_H
#define _UAPI_LINUX_VPOLL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define VPOLL_IOC_MAGIC		'^'
#define VPOLL_IO_ADDEVENTS	_IO(VPOLL_IOC_MAGIC, 1)
#define VPOLL_IO_DELEVENTS	_IO(VPOLL_IOC_MAGIC, 2)

/* EPOLLALLMASK: bits of the ioctl argument outside it are ignored. */
#define VPOLL_EVENT_MASK	0x0fffffffU

/* "VPOLLREC" read as a little-endian 64-bit integer. */
#define VPOLL_RING_MAGIC	0x4345524c4c4f5056ULL
/*
 * 2: an ADD/DEL that wakes carries the wake (VPOLL_REC_WOKE) instead of a
 *    separate WAKE record after it; same layout as 1, which readers still take.
 */
#define VPOLL_RING_ABI		2

/* A record's seq while its writer is filling it in. */
#define VPOLL_SEQ_BUSY		(~0ULL)

/* Record kinds; the module has one trace event per kind (vpoll:vpoll_<kind>). */
enum vpoll_kind {
	VPOLL_KIND_OPEN = 1,
	VPOLL_KIND_ADD = 2,
	VPOLL_KIND_DEL = 3,
	VPOLL_KIND_POLL = 4,
	VPOLL_KIND_WAKE = 5,	/* ABI 1 records only (ABI 2: VPOLL_REC_WOKE) */
	VPOLL_KIND_RELEASE = 6,
};

/* Record flags. */
#define VPOLL_REC_PT		0x1	/* POLL: called with a poll table (registers a waiter) */
#define VPOLL_REC_WOKE		0x2	/* ADD, DEL: woke the waiters (ABI 2) */
/*
 * ts_ns holds the raw TSC (ABI 2), not ns: CLOCK_MONOTONIC ns =
 * clock_mono_ns + (ts_ns - clock_tsc) * 1000000 / clock_tsc_khz, from the
 * ring header (a signed difference). read() returns ns, never this flag.
 */
#define VPOLL_REC_TSC		0x4

/*
 * One event, 64 bytes. Field use by kind:
 *   OPEN, RELEASE: events = the instance's mask at that time
 *   ADD, DEL:      arg = the ioctl argument (masked), events = resulting mask;
 *                  with VPOLL_REC_WOKE in flags the update woke the instance's
 *                  waiters, under the same lock, with the resulting mask as the
 *                  wake key: waiters = entries on the wait queue, exclusive =
 *                  how many of them are WQ_FLAG_EXCLUSIVE. The wake calls every
 *                  non-exclusive entry and stops at the first exclusive one
 *                  that accepts (nr_exclusive = 1).
 *   POLL:          events = the mask returned, flags & VPOLL_REC_PT
 *   WAKE (ABI 1):  a separate record right after its ADD/DEL: events = the
 *                  wake key, waiters and exclusive as above.
 */
struct vpoll_record {
	__u64 seq;		/* global sequence number; VPOLL_SEQ_BUSY while written */
	__u64 ts_ns;		/* CLOCK_MONOTONIC, ns; the TSC with VPOLL_REC_TSC */
	__u32 instance;		/* instance id (struct vpoll_data.id), never reused */
	__u16 kind;		/* enum vpoll_kind */
	__u16 cpu;
	__s32 pid;		/* task (thread) id */
	__s32 tgid;		/* process id */
	__u32 arg;
	__u32 events;
	__u16 waiters;
	__u16 exclusive;
	__u32 flags;
	char comm[16];		/* the task's comm, NUL-padded */
};

struct vpoll_ring_header {
	__u64 magic;		/* VPOLL_RING_MAGIC */
	__u32 abi;		/* VPOLL_RING_ABI */
	__u32 header_size;	/* sizeof(struct vpoll_ring_header) */
	__u32 record_size;	/* sizeof(struct vpoll_record) */
	__u32 capacity;		/* records; a power of two */
	__u64 self_phys;	/* physical address of this header */
	__u64 self_virt;	/* kernel virtual address of this header */
	__u64 records_offset;	/* byte offset of record 0 from the header */
	__u64 head;		/* next sequence number to be claimed */
	__u64 tail;		/* next sequence number read() returns */
	__u64 dropped;		/* records overwritten before read() returned them */
	__u64 load_ns;		/* CLOCK_MONOTONIC at module load */
	__u32 enabled;		/* recording on (module parameter "record") */
	__u32 reserved;
	/* ABI 2: how VPOLL_REC_TSC records convert to CLOCK_MONOTONIC ns. */
	__u64 clock_tsc;	/* the TSC ... */
	__u64 clock_mono_ns;	/* ... at this CLOCK_MONOTONIC time */
	__u32 clock_tsc_khz;	/* the kernel's tsc_khz (0: not sampled, or being rewritten) */
	__u32 tsc_stamps;	/* 1 while new records are stamped with the TSC */
	__u64 reserved2[2];
};

/* ioctl on /dev/vpoll_events: a consistent copy of the header's counters. */
struct vpoll_ring_info {
	__u64 head;
	__u64 tail;
	__u64 dropped;
	__u32 capacity;
	__u32 enabled;
};

#define VPOLL_EV_IOC_INFO	_IOR(VPOLL_IOC_MAGIC, 0x10, struct vpoll_ring_info)

#endif /* _UAPI_LINUX_VPOLL_H */
