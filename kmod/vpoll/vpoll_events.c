// SPDX-License-Identifier: GPL-2.0
/*
 * vpoll flight recorder: every vpoll event goes to a trace event and to a
 * ring of fixed-size records in one physically contiguous block of module
 * memory, so a host can read it from guest RAM while the guest runs, or from
 * a vmcore after a crash, without the module's debug info (the block starts
 * with a self-describing struct vpoll_ring_header; see uapi/vpoll.h).
 *
 * Writers (any CPU, any context) claim a sequence number with a cmpxchg on
 * header->head; record seq & (capacity - 1) is theirs. A record's seq reads
 * VPOLL_SEQ_BUSY while it is being filled, so a lock-free reader that copies
 * a record and sees the same, expected seq before and after the copy has a
 * whole record. The ring overwrites: it always holds the last `capacity`
 * events, and a reader counts what it missed from gaps in seq.
 *
 * /dev/vpoll_events (root only) hands the records to one in-guest consumer
 * through read() and poll(); header->tail and header->dropped are its cursor
 * and its loss count.
 *
 * Timestamps: under QEMU TCG, ktime_get_mono_fast_ns() costs several hundred
 * ns, most of what a record costs, where reading the TSC costs about 20
 * (docs/kmod-abi.md has the measurements). So while the kernel trusts the TSC
 * a record carries the raw TSC (VPOLL_REC_TSC) and the header how to turn it
 * into CLOCK_MONOTONIC ns: a TSC value and the CLOCK_MONOTONIC time sampled
 * with it, and tsc_khz, re-sampled whenever the kernel's tsc_khz changes (its
 * calibration is refined after boot; checked once a second, off the record
 * path). read() converts; a host reader does.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#ifdef CONFIG_X86_TSC
#include <asm/msr.h>
#include <asm/tsc.h>
#endif

#include "vpoll.h"

#define CREATE_TRACE_POINTS
#include "vpoll_trace.h"

/* The block must stay one physically contiguous allocation. */
#define VPOLL_RING_MAX		32768U
/* A record still busy after this many looks is given up as lost. */
#define VPOLL_BUSY_SPINS	100000U

static unsigned int ring_size = 4096;
module_param(ring_size, uint, 0444);
MODULE_PARM_DESC(ring_size,
		 "flight recorder records (rounded up to a power of two, max 32768; 0 disables it)");

static bool record = true;

static struct vpoll_ring_header *ring;
static struct vpoll_record *records;
static size_t ring_bytes;

/* Serialises writers of the header's clock fields, and read()'s use of them. */
static DEFINE_SPINLOCK(clock_lock);

static DEFINE_MUTEX(reader_lock);
static DECLARE_WAIT_QUEUE_HEAD(reader_wq);
static atomic_t nr_readers = ATOMIC_INIT(0);

static int record_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_bool(val, kp);

	if (!ret && ring)
		WRITE_ONCE(ring->enabled, READ_ONCE(record));
	return ret;
}

static const struct kernel_param_ops record_ops = {
	.set = record_set,
	.get = param_get_bool,
};
module_param_cb(record, &record_ops, &record, 0644);
MODULE_PARM_DESC(record, "record events in the flight recorder (default on)");

bool vpoll_wake_wanted(void)
{
	return (ring && READ_ONCE(ring->enabled)) || trace_vpoll_wake_enabled() ||
	       trace_vpoll_add_enabled() || trace_vpoll_del_enabled();
}

static void vpoll_trace(enum vpoll_kind kind, u32 instance, u32 arg, u32 events,
			u16 waiters, u16 exclusive, u32 flags)
{
	switch (kind) {
	case VPOLL_KIND_OPEN:
		trace_vpoll_open(instance, arg, events, waiters, exclusive, flags);
		break;
	case VPOLL_KIND_ADD:
		trace_vpoll_add(instance, arg, events, waiters, exclusive, flags);
		break;
	case VPOLL_KIND_DEL:
		trace_vpoll_del(instance, arg, events, waiters, exclusive, flags);
		break;
	case VPOLL_KIND_POLL:
		trace_vpoll_poll(instance, arg, events, waiters, exclusive, flags);
		break;
	case VPOLL_KIND_WAKE:
		trace_vpoll_wake(instance, arg, events, waiters, exclusive, flags);
		break;
	case VPOLL_KIND_RELEASE:
		trace_vpoll_release(instance, arg, events, waiters, exclusive, flags);
		break;
	}
}

#ifdef CONFIG_X86_TSC
/*
 * Sample the TSC and CLOCK_MONOTONIC together for the header (ABI 2) and
 * stamp new records with the TSC. Caller holds clock_lock.
 */
static void vpoll_clock_rebase(unsigned int khz)
{
	/* New records carry ns while the pair is rewritten ... */
	WRITE_ONCE(ring->tsc_stamps, 0);
	/* ... and a host that reads khz 0 waits for the next look. */
	WRITE_ONCE(ring->clock_tsc_khz, 0);
	/* khz 0 is visible before the pair changes (a lock-free host reader). */
	smp_wmb();
	WRITE_ONCE(ring->clock_tsc, rdtsc_ordered());
	WRITE_ONCE(ring->clock_mono_ns, ktime_get_mono_fast_ns());
	/* The new pair is visible before the khz that validates it. */
	smp_wmb();
	WRITE_ONCE(ring->clock_tsc_khz, khz);
	/* And the clock before any record stamped with it. */
	smp_wmb();
	WRITE_ONCE(ring->tsc_stamps, 1);
}
#endif

/*
 * Decide, once a second and at load, whether records may carry the TSC: the
 * kernel trusts it (tsc_khz set, not marked unstable), and re-sample the
 * header's pair when tsc_khz changed (the kernel refines its calibration
 * after boot). Kept out of vpoll_emit(): under TCG the per-record check
 * measured several hundred ns (docs/kmod-abi.md).
 */
static void vpoll_clock_check(void)
{
#ifdef CONFIG_X86_TSC
	unsigned int khz = READ_ONCE(tsc_khz);

	spin_lock(&clock_lock);
	if (khz && !check_tsc_unstable()) {
		if (khz != ring->clock_tsc_khz || !ring->tsc_stamps)
			vpoll_clock_rebase(khz);
	} else if (ring->tsc_stamps) {
		WRITE_ONCE(ring->tsc_stamps, 0);
	}
	spin_unlock(&clock_lock);
#endif
}

static void vpoll_clock_work_fn(struct work_struct *work)
{
	vpoll_clock_check();
	schedule_delayed_work(to_delayed_work(work), HZ);
}

static DECLARE_DELAYED_WORK(clock_work, vpoll_clock_work_fn);

/* A record's time: the TSC while the header says so, else CLOCK_MONOTONIC. */
static u64 vpoll_stamp(u32 *flags)
{
#ifdef CONFIG_X86_TSC
	if (likely(READ_ONCE(ring->tsc_stamps))) {
		*flags |= VPOLL_REC_TSC;
		return rdtsc_ordered();
	}
#endif
	return ktime_get_mono_fast_ns();
}

/* A VPOLL_REC_TSC stamp as CLOCK_MONOTONIC ns, by the header's clock. */
static u64 vpoll_tsc_to_ns(u64 tsc)
{
	u64 base_tsc, base_ns;
	u32 khz;

	spin_lock(&clock_lock);
	base_tsc = ring->clock_tsc;
	base_ns = ring->clock_mono_ns;
	khz = ring->clock_tsc_khz;
	spin_unlock(&clock_lock);
	if (!khz)
		return 0;
	if (tsc >= base_tsc)
		return base_ns + mul_u64_u32_div(tsc - base_tsc, NSEC_PER_MSEC, khz);
	return base_ns - mul_u64_u32_div(base_tsc - tsc, NSEC_PER_MSEC, khz);
}

void vpoll_emit(enum vpoll_kind kind, const struct vpoll_data *vd, u32 arg,
		u32 events, u16 waiters, u16 exclusive, u32 flags)
{
	struct vpoll_record *rec;
	u64 seq;

	vpoll_trace(kind, vd->id, arg, events, waiters, exclusive, flags);
	/* The tracer keeps its separate wake event (trace text imports use it). */
	if (flags & VPOLL_REC_WOKE)
		trace_vpoll_wake(vd->id, 0, events, waiters, exclusive, 0);
	/* The header's copy of "record": the page the record path reads anyway. */
	if (!ring || !READ_ONCE(ring->enabled))
		return;

	/* No preemption between claiming a slot and publishing it. */
	preempt_disable();
	seq = READ_ONCE(ring->head);
	while (!try_cmpxchg64(&ring->head, &seq, seq + 1))
		;
	rec = &records[seq & (ring->capacity - 1)];
	WRITE_ONCE(rec->seq, VPOLL_SEQ_BUSY);
	/* Mark busy before the payload changes; pairs with vpoll_copy_record(). */
	smp_wmb();
	rec->ts_ns = vpoll_stamp(&flags);
	rec->instance = vd->id;
	rec->kind = kind;
	rec->cpu = smp_processor_id();
	rec->pid = current->pid;
	rec->tgid = current->tgid;
	rec->arg = arg;
	rec->events = events;
	rec->waiters = waiters;
	rec->exclusive = exclusive;
	rec->flags = flags;
	memcpy(rec->comm, current->comm, sizeof(rec->comm));
	/* Publish the payload before the seq that vouches for it. */
	smp_wmb();
	WRITE_ONCE(rec->seq, seq);
	preempt_enable();
}

void vpoll_events_kick(void)
{
	if (atomic_read(&nr_readers) && wq_has_sleeper(&reader_wq))
		wake_up_interruptible_poll(&reader_wq, EPOLLIN | EPOLLRDNORM);
}

static bool vpoll_events_pending(void)
{
	return READ_ONCE(ring->head) != READ_ONCE(ring->tail);
}

/*
 * Copy the record at @seq. Returns 0, -EAGAIN while its writer is still
 * filling it in, or -ESTALE if it was overwritten by a newer one.
 */
static int vpoll_copy_record(u64 seq, struct vpoll_record *out)
{
	const struct vpoll_record *rec = &records[seq & (ring->capacity - 1)];
	u64 before, after;

	before = READ_ONCE(rec->seq);
	/* Pairs with the first smp_wmb() in vpoll_emit(). */
	smp_rmb();
	memcpy(out, rec, sizeof(*out));
	/* Pairs with the second smp_wmb() in vpoll_emit(). */
	smp_rmb();
	after = READ_ONCE(rec->seq);
	if (before == seq && after == seq)
		return 0;
	if (before == VPOLL_SEQ_BUSY || after == VPOLL_SEQ_BUSY ||
	    (before < seq && after < seq))
		return -EAGAIN;
	return -ESTALE;
}

static ssize_t vpoll_events_read(struct file *file, char __user *buf,
				 size_t count, loff_t *ppos)
{
	size_t want = count / sizeof(struct vpoll_record), done = 0;
	unsigned int busy_spins = 0;
	struct vpoll_record rec;
	int ret;

	if (!ring)
		return -ENODATA;
	if (!want)
		return -EINVAL;

	ret = mutex_lock_interruptible(&reader_lock);
	if (ret)
		return ret;
	while (done < want) {
		u64 head = READ_ONCE(ring->head);
		u64 tail = ring->tail;

		if (head == tail) {
			if (done)
				break;
			if (file->f_flags & O_NONBLOCK) {
				mutex_unlock(&reader_lock);
				return -EAGAIN;
			}
			mutex_unlock(&reader_lock);
			ret = wait_event_interruptible(reader_wq,
						       vpoll_events_pending());
			if (ret)
				return ret;
			ret = mutex_lock_interruptible(&reader_lock);
			if (ret)
				return ret;
			continue;
		}
		if (head - tail > ring->capacity) {
			WRITE_ONCE(ring->dropped,
				   ring->dropped + head - ring->capacity - tail);
			tail = head - ring->capacity;
			WRITE_ONCE(ring->tail, tail);
		}
		ret = vpoll_copy_record(tail, &rec);
		if (ret == -EAGAIN) {
			/* Its writer has preemption off, so this is brief. */
			if (done)
				break;
			if (++busy_spins < VPOLL_BUSY_SPINS) {
				cond_resched();
				continue;
			}
			ret = -ESTALE;
		}
		busy_spins = 0;
		if (ret == -ESTALE) {
			/* Overwritten while we looked (or never finished): count it. */
			WRITE_ONCE(ring->dropped, ring->dropped + 1);
			WRITE_ONCE(ring->tail, tail + 1);
			continue;
		}
		if (rec.flags & VPOLL_REC_TSC) {
			rec.ts_ns = vpoll_tsc_to_ns(rec.ts_ns);
			rec.flags &= ~VPOLL_REC_TSC;
		}
		if (copy_to_user(buf + done * sizeof(rec), &rec, sizeof(rec))) {
			mutex_unlock(&reader_lock);
			return done ? done * sizeof(rec) : -EFAULT;
		}
		WRITE_ONCE(ring->tail, tail + 1);
		done++;
	}
	mutex_unlock(&reader_lock);
	return done * sizeof(rec);
}

static __poll_t vpoll_events_poll(struct file *file, poll_table *wait)
{
	if (!ring)
		return EPOLLERR;
	poll_wait(file, &reader_wq, wait);
	return vpoll_events_pending() ? EPOLLIN | EPOLLRDNORM : 0;
}

static long vpoll_events_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	struct vpoll_ring_info info = {};

	if (cmd != VPOLL_EV_IOC_INFO)
		return -ENOTTY;
	if (ring) {
		mutex_lock(&reader_lock);
		info.head = READ_ONCE(ring->head);
		info.tail = ring->tail;
		info.dropped = ring->dropped;
		info.capacity = ring->capacity;
		info.enabled = READ_ONCE(ring->enabled);
		mutex_unlock(&reader_lock);
	}
	if (copy_to_user((void __user *)arg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static int vpoll_events_open(struct inode *inode, struct file *file)
{
	atomic_inc(&nr_readers);
	return nonseekable_open(inode, file);
}

static int vpoll_events_release(struct inode *inode, struct file *file)
{
	atomic_dec(&nr_readers);
	return 0;
}

static const struct file_operations vpoll_events_fops = {
	.owner = THIS_MODULE,
	.open = vpoll_events_open,
	.release = vpoll_events_release,
	.read = vpoll_events_read,
	.poll = vpoll_events_poll,
	.unlocked_ioctl = vpoll_events_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice vpoll_events_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vpoll_events",
	.fops = &vpoll_events_fops,
	.mode = 0600,
};

static int vpoll_ring_alloc(void)
{
	unsigned int capacity;

	BUILD_BUG_ON(sizeof(struct vpoll_record) != 64);
	BUILD_BUG_ON(sizeof(struct vpoll_ring_header) != 128);

	if (!ring_size)
		return 0;
	capacity = roundup_pow_of_two(min(ring_size, VPOLL_RING_MAX));
	ring_bytes = sizeof(*ring) + (size_t)capacity * sizeof(*records);
	ring = alloc_pages_exact(ring_bytes, GFP_KERNEL | __GFP_ZERO);
	if (!ring)
		return -ENOMEM;
	records = (struct vpoll_record *)(ring + 1);

	ring->abi = VPOLL_RING_ABI;
	ring->header_size = sizeof(*ring);
	ring->record_size = sizeof(*records);
	ring->capacity = capacity;
	ring->self_phys = virt_to_phys(ring);
	ring->self_virt = (unsigned long)ring;
	ring->records_offset = sizeof(*ring);
	ring->load_ns = ktime_get_ns();
	ring->enabled = READ_ONCE(record);
	vpoll_clock_check();
	/* The magic goes last: a scanner never sees a half-built header. */
	smp_wmb();
	WRITE_ONCE(ring->magic, VPOLL_RING_MAGIC);
	pr_info("flight recorder: %u records at phys 0x%llx\n", capacity,
		ring->self_phys);
	return 0;
}

int vpoll_events_init(void)
{
	int ret;

	ret = vpoll_ring_alloc();
	if (ret)
		return ret;
	ret = misc_register(&vpoll_events_misc);
	if (ret) {
		pr_err("cannot register /dev/vpoll_events: %d\n", ret);
		goto err_free;
	}
	if (ring)
		schedule_delayed_work(&clock_work, HZ);
	return 0;

err_free:
	vpoll_events_exit();
	return ret;
}

void vpoll_events_exit(void)
{
	cancel_delayed_work_sync(&clock_work);
	if (vpoll_events_misc.this_device)
		misc_deregister(&vpoll_events_misc);
	if (ring) {
		/* A scanner must not find a stale ring in freed memory. */
		WRITE_ONCE(ring->magic, 0);
		free_pages_exact(ring, ring_bytes);
		ring = NULL;
	}
}
