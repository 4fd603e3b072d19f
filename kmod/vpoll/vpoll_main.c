// SPDX-License-Identifier: GPL-2.0
/*
 * vpoll: a pollable device whose readiness user space sets with ioctl().
 *
 * Each open() of /dev/vpoll creates one instance with its own wait queue and
 * event mask. VPOLL_IO_ADDEVENTS ORs events in, VPOLL_IO_DELEVENTS clears
 * them; both return the resulting mask and wake the waiters. The point is to
 * have a device whose wait queue epoll, poll() and select() can hook into and
 * whose readiness a test controls exactly. See include/uapi/vpoll.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "vpoll.h"

/*
 * Test only: with debug_deadlock set, ADD/DEL wake the waiters with
 * wake_up_poll() while holding the queue's lock, which wake_up_poll() takes
 * again: the CPU spins forever with interrupts off. That is the bug the
 * design notes warn about, made on purpose so that the lab can show a real
 * lockup in a crash dump (programs/crash_deadlock.c). Root only.
 */
static bool debug_deadlock;
module_param(debug_deadlock, bool, 0600);
MODULE_PARM_DESC(debug_deadlock, "test only: make the next wake deadlock (default off)");

/* Every live instance, for debuggers (waitscope walks this list). */
static LIST_HEAD(vpoll_instances);
static DEFINE_SPINLOCK(vpoll_instances_lock);
static atomic_t vpoll_next_id = ATOMIC_INIT(0);

static int vpoll_open(struct inode *inode, struct file *file)
{
	struct vpoll_data *vd;

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd)
		return -ENOMEM;

	init_waitqueue_head(&vd->wqh);
	vd->id = atomic_inc_return(&vpoll_next_id);
	spin_lock(&vpoll_instances_lock);
	list_add_tail(&vd->node, &vpoll_instances);
	spin_unlock(&vpoll_instances_lock);
	file->private_data = vd;

	vpoll_emit(VPOLL_KIND_OPEN, vd, 0, 0, 0, 0, 0);
	vpoll_events_kick();
	return nonseekable_open(inode, file);
}

static int vpoll_release(struct inode *inode, struct file *file)
{
	struct vpoll_data *vd = file->private_data;

	spin_lock(&vpoll_instances_lock);
	list_del(&vd->node);
	spin_unlock(&vpoll_instances_lock);

	vpoll_emit(VPOLL_KIND_RELEASE, vd, 0, (__force u32)READ_ONCE(vd->events),
		   0, 0, 0);
	vpoll_events_kick();
	kfree(vd);
	return 0;
}

/* Count the entries a wake will visit. Caller holds vd->wqh.lock. */
static void vpoll_count_waiters(struct vpoll_data *vd, u16 *waiters,
				u16 *exclusive)
{
	struct wait_queue_entry *wq_entry;
	unsigned int n = 0, excl = 0;

	list_for_each_entry(wq_entry, &vd->wqh.head, entry) {
		n++;
		if (wq_entry->flags & WQ_FLAG_EXCLUSIVE)
			excl++;
	}
	*waiters = min_t(unsigned int, n, U16_MAX);
	*exclusive = min_t(unsigned int, excl, U16_MAX);
}

static long vpoll_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vpoll_data *vd = file->private_data;
	__poll_t events = (__force __poll_t)(arg & VPOLL_EVENT_MASK);
	enum vpoll_kind kind;
	__poll_t result;
	u16 waiters = 0, exclusive = 0;
	bool woke;

	switch (cmd) {
	case VPOLL_IO_ADDEVENTS:
		kind = VPOLL_KIND_ADD;
		break;
	case VPOLL_IO_DELEVENTS:
		kind = VPOLL_KIND_DEL;
		break;
	default:
		return -ENOTTY;
	}

	/*
	 * The wait queue's own lock guards events, so the update and the wake
	 * are atomic with respect to waiters being added. That is also why the
	 * wake must be the _locked variant: wake_up_poll() would take the lock
	 * again and deadlock.
	 */
	spin_lock_irq(&vd->wqh.lock);
	if (kind == VPOLL_KIND_ADD)
		result = vd->events | events;
	else
		result = vd->events & ~events;
	WRITE_ONCE(vd->events, result);
	/* Lockless check is fine: we hold wqh.lock, which add_wait_queue takes. */
	woke = waitqueue_active(&vd->wqh);
	/*
	 * One record for the update and its wake: they happen under this one
	 * lock, so nothing can come between them (docs/kmod-abi.md).
	 */
	if (woke && vpoll_wake_wanted())
		vpoll_count_waiters(vd, &waiters, &exclusive);
	vpoll_emit(kind, vd, (__force u32)events, (__force u32)result, waiters,
		   exclusive, woke ? VPOLL_REC_WOKE : 0);
	if (woke) {
		if (unlikely(READ_ONCE(debug_deadlock)))
			wake_up_poll(&vd->wqh, result);	/* never returns */
		else
			wake_up_locked_poll(&vd->wqh, result);
	}
	spin_unlock_irq(&vd->wqh.lock);
	vpoll_events_kick();

	return (__force u32)result;
}

static __poll_t vpoll_poll(struct file *file, struct poll_table_struct *wait)
{
	struct vpoll_data *vd = file->private_data;
	__poll_t events;

	poll_wait(file, &vd->wqh, wait);
	events = READ_ONCE(vd->events);
	vpoll_emit(VPOLL_KIND_POLL, vd, 0, (__force u32)events, 0, 0,
		   wait && wait->_qproc ? VPOLL_REC_PT : 0);
	vpoll_events_kick();
	return events;
}

static const struct file_operations vpoll_fops = {
	.owner = THIS_MODULE,
	.open = vpoll_open,
	.release = vpoll_release,
	.unlocked_ioctl = vpoll_ioctl,
	.compat_ioctl = vpoll_ioctl,
	.poll = vpoll_poll,
};

static struct miscdevice vpoll_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vpoll",
	.fops = &vpoll_fops,
	.mode = 0666,
};

static int __init vpoll_init(void)
{
	int ret;

	ret = vpoll_events_init();
	if (ret)
		return ret;

	ret = misc_register(&vpoll_misc);
	if (ret) {
		pr_err("cannot register /dev/vpoll: %d\n", ret);
		goto err_events;
	}
	pr_info("loaded\n");
	return 0;

err_events:
	vpoll_events_exit();
	return ret;
}

static void __exit vpoll_exit(void)
{
	misc_deregister(&vpoll_misc);
	vpoll_events_exit();
	pr_info("unloaded\n");
}

module_init(vpoll_init);
module_exit(vpoll_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("waitscope developers");
MODULE_DESCRIPTION("A pollable device with user-controlled readiness, instrumented");
