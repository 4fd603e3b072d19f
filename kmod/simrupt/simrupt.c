// SPDX-License-Identifier: GPL-2.0
/*
 * simrupt: simulate an interrupt source and move its data to user space the
 * way a driver does, so the deferred-work plumbing has something real to show.
 *
 *   timer (softirq)  --circ_buf-->  work (workqueue)  --kfifo-->  reader
 *
 * The timer is the "interrupt": every interval_ms it produces `burst` items
 * (consecutive __u32 values) into a circular buffer, lock-free as a single
 * producer, and queues the work. The work (process context, a single
 * consumer of the circ_buf and the single producer of the kfifo) moves items
 * into the kfifo and wakes readers, who sleep in wait_event_interruptible()
 * or in poll/epoll. A full buffer drops the item and counts it, so a reader
 * sees every value in order or a gap the module accounted for.
 *
 * Modernised from the sysprog21 simrupt exercise: a workqueue instead of a
 * tasklet, __u32 items instead of bytes, poll() support, and statistics.
 *
 * For debuggers, the deferred work can be frozen in a known state: with the
 * "hold" parameter set, the work function parks (interruptibly, so no
 * hung-task warning) after draining, its worker stays busy with
 * simrupt_work_fn, and the next tick's queue_work() waits on the pool
 * workqueue's inactive list (the workqueue has max_active 1) while the
 * circ_buf fills up and then drops. A delayed work samples the producer every
 * stats_ms, so there is always a timer-backed delayed work to look at.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/circ_buf.h>
#include <linux/fs.h>
#include <linux/kfifo.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/simrupt.h>

static unsigned int interval_ms = 10;
module_param(interval_ms, uint, 0644);
MODULE_PARM_DESC(interval_ms, "timer period in ms (default 10)");

static unsigned int burst = 4;
module_param(burst, uint, 0644);
MODULE_PARM_DESC(burst, "items produced per timer tick (default 4)");

static bool produce = true;
module_param(produce, bool, 0644);
MODULE_PARM_DESC(produce, "produce items while the device is open (default on)");

static unsigned int circ_size = 64;
module_param(circ_size, uint, 0444);
MODULE_PARM_DESC(circ_size, "circ_buf items, a power of two (default 64)");

static unsigned int fifo_size = 256;
module_param(fifo_size, uint, 0444);
MODULE_PARM_DESC(fifo_size, "kfifo items, a power of two (default 256)");

static unsigned int stats_ms = 10000;
module_param(stats_ms, uint, 0644);
MODULE_PARM_DESC(stats_ms, "period of the rate-sampling delayed work in ms (default 10000)");

static bool hold;
static DECLARE_WAIT_QUEUE_HEAD(hold_wait);

static int hold_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_bool(val, kp);

	if (!ret && !READ_ONCE(hold))
		wake_up_all(&hold_wait);
	return ret;
}

static const struct kernel_param_ops hold_ops = {
	.set = hold_set,
	.get = param_get_bool,
};
module_param_cb(hold, &hold_ops, &hold, 0644);
MODULE_PARM_DESC(hold, "park the work function after it drains (default off)");

/* Producer side: written by the timer only. */
static struct circ_buf fast_buf;	/* buf holds circ_size __u32 items */
static u32 next_value;

static DECLARE_KFIFO_PTR(rx_fifo, u32);
static DECLARE_WAIT_QUEUE_HEAD(rx_wait);
static DEFINE_MUTEX(consumer_lock);	/* kfifo has one consumer at a time */

static struct workqueue_struct *simrupt_wq;
static void simrupt_work_fn(struct work_struct *work);
static DECLARE_WORK(simrupt_work, simrupt_work_fn);
static void simrupt_rate_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(simrupt_rate_work, simrupt_rate_fn);
static struct timer_list simrupt_timer;
static atomic_t open_count = ATOMIC_INIT(0);
static bool work_running;	/* simrupt_work_fn is executing */

static struct {
	atomic64_t produced, dropped_circ, dropped_fifo, delivered, works;
	u64 rate_last;		/* produced at the last sample */
	u32 rate;		/* items per second over the last period */
} stats;

static u32 *fast_items(void)
{
	return (u32 *)fast_buf.buf;
}

/* Timer (softirq): the single producer of fast_buf. */
static void simrupt_produce(unsigned int n)
{
	int head = fast_buf.head;
	/* Pairs with the release in simrupt_work_fn(): see the consumer's frees. */
	int tail = smp_load_acquire(&fast_buf.tail);

	while (n--) {
		u32 value = next_value++;

		atomic64_inc(&stats.produced);
		if (CIRC_SPACE(head, tail, circ_size) < 1) {
			atomic64_inc(&stats.dropped_circ);
			continue;
		}
		fast_items()[head] = value;
		head = (head + 1) & (circ_size - 1);
		/* Publish the item before the index that covers it. */
		smp_store_release(&fast_buf.head, head);
	}
}

static void simrupt_timer_fn(struct timer_list *t)
{
	if (READ_ONCE(produce)) {
		simrupt_produce(READ_ONCE(burst));
		queue_work(simrupt_wq, &simrupt_work);
	}
	if (atomic_read(&open_count))
		mod_timer(&simrupt_timer,
			  jiffies + msecs_to_jiffies(max(1U, READ_ONCE(interval_ms))));
}

/* Work (process context): fast_buf's consumer and rx_fifo's producer. */
static void simrupt_work_fn(struct work_struct *work)
{
	/* Pairs with the release in simrupt_produce(): see the items. */
	int head = smp_load_acquire(&fast_buf.head);
	int tail = fast_buf.tail;
	bool moved = false;

	WRITE_ONCE(work_running, true);
	atomic64_inc(&stats.works);
	while (CIRC_CNT(head, tail, circ_size) >= 1) {
		u32 value = fast_items()[tail];

		if (kfifo_put(&rx_fifo, value))
			moved = true;
		else
			atomic64_inc(&stats.dropped_fifo);
		tail = (tail + 1) & (circ_size - 1);
		/* Free the slot only after the item was read. */
		smp_store_release(&fast_buf.tail, tail);
	}
	if (moved)
		wake_up_interruptible(&rx_wait);
	/* Kworkers take no signals: this sleeps until hold is cleared. */
	if (wait_event_interruptible(hold_wait, !READ_ONCE(hold)))
		pr_warn_once("work woken by a signal while held\n");
	WRITE_ONCE(work_running, false);
}

/* Delayed work: sample the producer's rate, and re-arm while open. */
static void simrupt_rate_fn(struct work_struct *work)
{
	u64 produced = atomic64_read(&stats.produced);
	unsigned int period = max(1U, READ_ONCE(stats_ms));

	WRITE_ONCE(stats.rate, div_u64((produced - stats.rate_last) * 1000, period));
	stats.rate_last = produced;
	if (atomic_read(&open_count))
		schedule_delayed_work(&simrupt_rate_work, msecs_to_jiffies(period));
}

static bool simrupt_readable(void)
{
	return !kfifo_is_empty(&rx_fifo);
}

static ssize_t simrupt_read(struct file *file, char __user *buf, size_t count,
			    loff_t *ppos)
{
	unsigned int copied = 0;
	int ret;

	count = round_down(count, sizeof(u32));
	if (!count)
		return -EINVAL;

	for (;;) {
		ret = mutex_lock_interruptible(&consumer_lock);
		if (ret)
			return ret;
		if (!kfifo_is_empty(&rx_fifo))
			break;
		mutex_unlock(&consumer_lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(rx_wait, simrupt_readable());
		if (ret)
			return ret;
	}
	ret = kfifo_to_user(&rx_fifo, buf, count, &copied);
	mutex_unlock(&consumer_lock);
	if (ret)
		return ret;
	atomic64_add(copied / sizeof(u32), &stats.delivered);
	return copied;
}

static __poll_t simrupt_poll(struct file *file, poll_table *wait)
{
	poll_wait(file, &rx_wait, wait);
	return simrupt_readable() ? EPOLLIN | EPOLLRDNORM : 0;
}

static long simrupt_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct simrupt_stats st = {};

	if (cmd != SIMRUPT_IOC_STATS)
		return -ENOTTY;

	st.produced = atomic64_read(&stats.produced);
	st.dropped_circ = atomic64_read(&stats.dropped_circ);
	st.dropped_fifo = atomic64_read(&stats.dropped_fifo);
	st.delivered = atomic64_read(&stats.delivered);
	st.works = atomic64_read(&stats.works);
	st.circ_head = READ_ONCE(fast_buf.head);
	st.circ_tail = READ_ONCE(fast_buf.tail);
	st.circ_size = circ_size;
	st.fifo_in = READ_ONCE(rx_fifo.kfifo.in);
	st.fifo_out = READ_ONCE(rx_fifo.kfifo.out);
	st.fifo_size = kfifo_size(&rx_fifo);
	st.work_pending = work_pending(&simrupt_work);
	st.work_running = READ_ONCE(work_running);
	st.held = READ_ONCE(hold);
	st.rate = READ_ONCE(stats.rate);
	if (copy_to_user((void __user *)arg, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

static int simrupt_open(struct inode *inode, struct file *file)
{
	if (atomic_inc_return(&open_count) == 1) {
		mod_timer(&simrupt_timer, jiffies + 1);
		schedule_delayed_work(&simrupt_rate_work,
				      msecs_to_jiffies(max(1U, READ_ONCE(stats_ms))));
	}
	return nonseekable_open(inode, file);
}

static int simrupt_release(struct inode *inode, struct file *file)
{
	/* The last reader stops the source; the timer rearms only while open. */
	if (atomic_dec_and_test(&open_count)) {
		del_timer_sync(&simrupt_timer);
		cancel_delayed_work_sync(&simrupt_rate_work);
	}
	return 0;
}

static const struct file_operations simrupt_fops = {
	.owner = THIS_MODULE,
	.open = simrupt_open,
	.release = simrupt_release,
	.read = simrupt_read,
	.poll = simrupt_poll,
	.unlocked_ioctl = simrupt_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice simrupt_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "simrupt",
	.fops = &simrupt_fops,
	.mode = 0666,
};

static int __init simrupt_init(void)
{
	int ret;

	if (!is_power_of_2(circ_size) || circ_size < 2 ||
	    !is_power_of_2(fifo_size) || fifo_size < 2) {
		pr_err("circ_size and fifo_size must be powers of two >= 2\n");
		return -EINVAL;
	}

	fast_buf.buf = kcalloc(circ_size, sizeof(u32), GFP_KERNEL);
	if (!fast_buf.buf)
		return -ENOMEM;

	ret = kfifo_alloc(&rx_fifo, fifo_size, GFP_KERNEL);
	if (ret)
		goto err_circ;

	/* max_active 1: a second queue_work() while held waits as inactive. */
	simrupt_wq = alloc_workqueue("simruptd", WQ_UNBOUND | WQ_SYSFS, 1);
	if (!simrupt_wq) {
		ret = -ENOMEM;
		goto err_fifo;
	}

	timer_setup(&simrupt_timer, simrupt_timer_fn, 0);

	ret = misc_register(&simrupt_misc);
	if (ret) {
		pr_err("cannot register /dev/simrupt: %d\n", ret);
		goto err_wq;
	}
	pr_info("loaded: circ_buf %u items, kfifo %u items\n", circ_size,
		kfifo_size(&rx_fifo));
	return 0;

err_wq:
	destroy_workqueue(simrupt_wq);
err_fifo:
	kfifo_free(&rx_fifo);
err_circ:
	kfree(fast_buf.buf);
	return ret;
}

static void __exit simrupt_exit(void)
{
	misc_deregister(&simrupt_misc);
	/* No opener is left (the module is pinned while open): no rearm. */
	del_timer_sync(&simrupt_timer);
	cancel_delayed_work_sync(&simrupt_rate_work);
	WRITE_ONCE(hold, false);
	wake_up_all(&hold_wait);
	destroy_workqueue(simrupt_wq);
	kfifo_free(&rx_fifo);
	kfree(fast_buf.buf);
	pr_info("unloaded\n");
}

module_init(simrupt_init);
module_exit(simrupt_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("waitscope developers");
MODULE_DESCRIPTION("Simulated interrupt: timer -> circ_buf -> workqueue -> kfifo -> reader");
