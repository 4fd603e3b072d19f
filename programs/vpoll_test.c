// SPDX-License-Identifier: MIT
/*
 * vpoll_test: the vpoll module's semantics, checked from user space in the lab
 * VM. Exits 0 when every check passed (and dmesg is clean), 1 otherwise.
 *
 *   vpoll_test
 *
 * Covers: device modes, ADD/DEL results, bits outside VPOLL_EVENT_MASK, unknown
 * ioctls, poll/select/epoll (LT, ET, blocking waiters), independent instances,
 * 1000 open/close cycles, the flight recorder (read/poll/info, record kinds and
 * fields, the record switch, an undersized ring's exact drop count, a disabled
 * ring), the trace events, and module unload/reload.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <uapi/vpoll.h>

#include "common.h"

#define MODULE_PATH "/lib/modules/vpoll.ko"

static int failures;

#define EXPECT(cond, ...)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("FAIL %s:%d: %s: ", __func__, __LINE__, #cond); \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
			failures++;                                            \
		}                                                              \
	} while (0)

static long vp(int fd, unsigned long cmd, unsigned long arg)
{
	long r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

static void test_modes(void)
{
	struct stat st;

	WS_CHECK(stat("/dev/vpoll", &st) < 0, "stat /dev/vpoll");
	EXPECT((st.st_mode & 0777) == 0666, "mode %o", st.st_mode & 0777);
	EXPECT(S_ISCHR(st.st_mode), "not a char device");
	WS_CHECK(stat("/dev/vpoll_events", &st) < 0, "stat /dev/vpoll_events");
	EXPECT((st.st_mode & 0777) == 0600, "events mode %o", st.st_mode & 0777);
}

static void test_add_del(void)
{
	int fd = ws_vpoll_open();

	EXPECT(vp(fd, VPOLL_IO_ADDEVENTS, EPOLLIN) == EPOLLIN, "add IN");
	EXPECT(vp(fd, VPOLL_IO_ADDEVENTS, EPOLLOUT) == (EPOLLIN | EPOLLOUT), "add OUT");
	EXPECT(vp(fd, VPOLL_IO_ADDEVENTS, EPOLLIN) == (EPOLLIN | EPOLLOUT), "add again");
	EXPECT(vp(fd, VPOLL_IO_DELEVENTS, EPOLLIN) == EPOLLOUT, "del IN");
	EXPECT(vp(fd, VPOLL_IO_DELEVENTS, EPOLLPRI) == EPOLLOUT, "del absent");
	EXPECT(vp(fd, VPOLL_IO_DELEVENTS, VPOLL_EVENT_MASK) == 0, "del all");
	EXPECT(vp(fd, VPOLL_IO_ADDEVENTS, 0) == 0, "add nothing");
	/* Bits outside EPOLLALLMASK (0x0fffffff) are ignored, as in the seed. */
	EXPECT(vp(fd, VPOLL_IO_ADDEVENTS, EPOLLET | EPOLLONESHOT | EPOLLWAKEUP |
					      EPOLLEXCLUSIVE) == 0, "flags ignored");
	EXPECT(vp(fd, VPOLL_IO_ADDEVENTS, 0xffffffff00000000UL | EPOLLIN) == EPOLLIN,
	       "upper bits");
	EXPECT(vp(fd, VPOLL_IO_ADDEVENTS, 0xffffffffUL) == (long)VPOLL_EVENT_MASK, "all bits");
	EXPECT(vp(fd, VPOLL_IO_DELEVENTS, 0xf0000000UL) == (long)VPOLL_EVENT_MASK,
	       "del outside mask");
	/* Unknown commands fail with ENOTTY (the kernel's convention). */
	EXPECT(vp(fd, _IO(VPOLL_IOC_MAGIC, 3), 0) == -ENOTTY, "unknown nr");
	EXPECT(vp(fd, _IOW(VPOLL_IOC_MAGIC, 1, int), 0) == -ENOTTY, "wrong encoding");
	EXPECT(vp(fd, _IO('V', 1), 0) == -ENOTTY, "wrong magic");
	EXPECT(vp(fd, FIONREAD, 0) == -ENOTTY, "FIONREAD");
	EXPECT(vp(fd, VPOLL_EV_IOC_INFO, 0) == -ENOTTY, "events ioctl on vpoll");
	close(fd);
}

static void test_poll_select(void)
{
	int fd = ws_vpoll_open();
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	struct timeval tv = { 0, 0 };
	fd_set rd, wr;

	EXPECT(poll(&p, 1, 0) == 0, "idle poll");
	vp(fd, VPOLL_IO_ADDEVENTS, EPOLLIN);
	EXPECT(poll(&p, 1, 0) == 1 && p.revents == POLLIN, "revents 0x%x", p.revents);
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(fd, &rd);
	FD_SET(fd, &wr);
	EXPECT(select(fd + 1, &rd, &wr, NULL, &tv) == 1 && FD_ISSET(fd, &rd) &&
	       !FD_ISSET(fd, &wr), "select");
	close(fd);
}

struct waiter {
	int fd;		/* epoll fd, or the vpoll fd for poll() */
	int use_poll;
	int result;
	unsigned int events;
	uint64_t woke_ns;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	if (w->use_poll) {
		struct pollfd p = { .fd = w->fd, .events = POLLIN };

		w->result = poll(&p, 1, 10000);
		w->events = p.revents;
	} else {
		struct epoll_event ev = { 0 };

		w->result = epoll_wait(w->fd, &ev, 1, 10000);
		w->events = ev.events;
	}
	w->woke_ns = ws_now_ns();
	return NULL;
}

/* Wait until thread `tid` sleeps in a syscall (bounded). */
static int wait_asleep(pid_t tid)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	for (int i = 0; i < 2000; i++) {
		FILE *f = fopen(path, "r");
		char *p = NULL;

		if (f && fgets(buf, sizeof(buf), f))
			p = strrchr(buf, ')');
		if (f)
			fclose(f);
		if (p && p[2] == 'S')
			return 1;
		usleep(1000);
	}
	return 0;
}

struct tid_arg {
	struct waiter *w;
	pid_t tid;
};

static void *tid_main(void *arg)
{
	struct tid_arg *t = arg;

	__atomic_store_n(&t->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	return waiter_main(t->w);
}

static void blocking_wake(int use_poll)
{
	int fd = ws_vpoll_open(), epfd = -1;
	struct epoll_event ev = { .events = EPOLLIN };
	struct waiter w = { .use_poll = use_poll };
	struct tid_arg t = { .w = &w };
	pthread_t th;
	uint64_t t0;

	if (!use_poll) {
		epfd = epoll_create1(EPOLL_CLOEXEC);
		WS_CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0, "epoll_ctl");
	}
	w.fd = use_poll ? fd : epfd;
	pthread_create(&th, NULL, tid_main, &t);
	while (!__atomic_load_n(&t.tid, __ATOMIC_ACQUIRE))
		usleep(100);
	EXPECT(wait_asleep(t.tid), "waiter never slept");
	usleep(20000);
	t0 = ws_now_ns();
	vp(fd, VPOLL_IO_ADDEVENTS, EPOLLIN);
	pthread_join(th, NULL);
	EXPECT(w.result == 1 && (w.events & EPOLLIN), "%s: result %d events 0x%x",
	       use_poll ? "poll" : "epoll", w.result, w.events);
	EXPECT(w.woke_ns - t0 < 2000000000ull, "woke after %llu ns",
	       (unsigned long long)(w.woke_ns - t0));
	if (epfd >= 0)
		close(epfd);
	close(fd);
}

static void test_epoll(void)
{
	int fd = ws_vpoll_open(), lt = epoll_create1(0), et = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1234 }, out;

	WS_CHECK(epoll_ctl(lt, EPOLL_CTL_ADD, fd, &ev) < 0, "add lt");
	ev.events = EPOLLIN | EPOLLET;
	WS_CHECK(epoll_ctl(et, EPOLL_CTL_ADD, fd, &ev) < 0, "add et");
	EXPECT(epoll_wait(lt, &out, 1, 0) == 0, "lt idle");
	vp(fd, VPOLL_IO_ADDEVENTS, EPOLLIN);
	EXPECT(epoll_wait(lt, &out, 1, 0) == 1 && out.data.u64 == 0x1234, "lt ready");
	EXPECT(epoll_wait(lt, &out, 1, 0) == 1, "lt stays ready");
	EXPECT(epoll_wait(et, &out, 1, 0) == 1, "et edge");
	EXPECT(epoll_wait(et, &out, 1, 0) == 0, "et once");
	/* Every ioctl wakes, so an edge-triggered watcher hears each ADD. */
	vp(fd, VPOLL_IO_ADDEVENTS, EPOLLIN);
	EXPECT(epoll_wait(et, &out, 1, 0) == 1, "et re-armed by wake");
	vp(fd, VPOLL_IO_DELEVENTS, EPOLLIN);
	EXPECT(epoll_wait(lt, &out, 1, 0) == 0, "lt cleared");
	close(lt);
	close(et);
	close(fd);
	blocking_wake(0);
	blocking_wake(1);
}

static void test_instances(void)
{
	int a = ws_vpoll_open(), b = ws_vpoll_open();
	struct pollfd p[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };

	vp(a, VPOLL_IO_ADDEVENTS, EPOLLIN);
	EXPECT(poll(p, 2, 0) == 1 && p[0].revents == POLLIN && !p[1].revents,
	       "instances share state");
	close(a);
	close(b);
}

static long module_refcnt(void)
{
	char buf[32] = "";
	FILE *f = fopen("/sys/module/vpoll/refcnt", "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return atol(buf);
}

static void test_open_close_cycles(void)
{
	int epfd = epoll_create1(0);
	long before = module_refcnt();

	for (int i = 0; i < 1000; i++) {
		int fd = ws_vpoll_open();
		struct epoll_event ev = { .events = EPOLLIN };

		WS_CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0, "epoll_ctl");
		vp(fd, VPOLL_IO_ADDEVENTS, EPOLLIN);
		close(fd);
	}
	struct epoll_event out;

	EXPECT(epoll_wait(epfd, &out, 1, 0) == 0, "closed fds still reported");
	close(epfd);
	EXPECT(module_refcnt() == before, "refcnt %ld -> %ld", before, module_refcnt());
}

static int events_open(int flags)
{
	int fd = open("/dev/vpoll_events", O_RDONLY | O_CLOEXEC | flags);

	WS_CHECK(fd < 0, "open /dev/vpoll_events");
	return fd;
}

static struct vpoll_ring_info ring_info(int efd)
{
	struct vpoll_ring_info info;

	WS_CHECK(ioctl(efd, VPOLL_EV_IOC_INFO, &info) < 0, "VPOLL_EV_IOC_INFO");
	return info;
}

/*
 * Read pending records (non-blocking) into recs; more than max are read and
 * dropped. Returns how many were stored.
 */
static int drain(int efd, struct vpoll_record *recs, int max)
{
	struct vpoll_record scratch[64];
	int n = 0;

	while (n < max) {
		ssize_t r = read(efd, recs + n, (max - n) * sizeof(*recs));

		if (r < 0 && errno == EAGAIN)
			break;
		WS_CHECK(r < 0, "read events");
		EXPECT(r % sizeof(*recs) == 0, "partial record");
		n += r / sizeof(*recs);
	}
	while (n == max && read(efd, scratch, sizeof(scratch)) > 0)
		;
	return n;
}

static void test_recorder(void)
{
	static struct vpoll_record recs[256];
	int efd = events_open(O_NONBLOCK), fd, n, i;
	struct vpoll_ring_info info = ring_info(efd);
	struct pollfd p = { .fd = efd, .events = POLLIN };
	pid_t tid = (pid_t)syscall(SYS_gettid);
	uint32_t id;
	char small[10];

	EXPECT(info.capacity == 4096 && info.enabled == 1, "info cap %u en %u", info.capacity,
	       info.enabled);
	drain(efd, recs, 256);	/* whatever earlier tests left */
	EXPECT(poll(&p, 1, 0) == 0, "pending after drain");
	EXPECT(read(efd, recs, sizeof(recs[0])) < 0 && errno == EAGAIN, "EAGAIN");
	EXPECT(read(efd, small, sizeof(small)) < 0 && errno == EINVAL, "short buffer");

	fd = ws_vpoll_open();
	vp(fd, VPOLL_IO_ADDEVENTS, EPOLLIN | 0x10000000);
	vp(fd, VPOLL_IO_DELEVENTS, EPOLLIN);
	close(fd);
	EXPECT(poll(&p, 1, 0) == 1 && (p.revents & POLLIN), "poll on events");
	n = drain(efd, recs, 256);
	EXPECT(n == 4, "%d records", n);
	if (n != 4)
		goto out;
	id = recs[0].instance;
	EXPECT(recs[0].kind == VPOLL_KIND_OPEN, "kind %u", recs[0].kind);
	EXPECT(recs[1].kind == VPOLL_KIND_ADD && recs[1].arg == EPOLLIN &&
	       recs[1].events == EPOLLIN, "add rec arg 0x%x events 0x%x", recs[1].arg,
	       recs[1].events);
	EXPECT(recs[2].kind == VPOLL_KIND_DEL && recs[2].events == 0, "del rec");
	EXPECT(recs[3].kind == VPOLL_KIND_RELEASE, "release rec");
	for (i = 0; i < n; i++) {
		EXPECT(recs[i].instance == id, "instance %u vs %u", recs[i].instance, id);
		EXPECT(recs[i].pid == tid && recs[i].tgid == getpid(), "pid %d", recs[i].pid);
		EXPECT(!strncmp(recs[i].comm, "vpoll_test", sizeof(recs[i].comm)), "comm %.16s",
		       recs[i].comm);
		EXPECT(i == 0 || (recs[i].seq == recs[i - 1].seq + 1 &&
				  recs[i].ts_ns >= recs[i - 1].ts_ns), "order at %d", i);
	}
	info = ring_info(efd);
	EXPECT(info.head == recs[n - 1].seq + 1 && info.tail == info.head, "head %llu tail %llu",
	       (unsigned long long)info.head, (unsigned long long)info.tail);

	/*
	 * A wake with waiters is one ADD record that says it woke them and how
	 * many (ring ABI 2: no separate WAKE record), and read() hands out
	 * CLOCK_MONOTONIC ns whatever the ring stamped (never VPOLL_REC_TSC).
	 */
	fd = ws_vpoll_open();
	int ep1 = epoll_create1(0), ep2 = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	struct timespec now;

	epoll_ctl(ep1, EPOLL_CTL_ADD, fd, &ev);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	epoll_ctl(ep2, EPOLL_CTL_ADD, fd, &ev);
	drain(efd, recs, 256);
	vp(fd, VPOLL_IO_ADDEVENTS, EPOLLOUT);
	clock_gettime(CLOCK_MONOTONIC, &now);
	n = drain(efd, recs, 256);
	EXPECT(n == 1 && recs[0].kind == VPOLL_KIND_ADD && (recs[0].flags & VPOLL_REC_WOKE),
	       "add that woke: %d records, kind %u flags 0x%x", n, recs[0].kind, recs[0].flags);
	if (n == 1) {
		uint64_t t = (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec;

		EXPECT(recs[0].waiters == 2 && recs[0].exclusive == 1 &&
		       recs[0].events == EPOLLOUT && recs[0].arg == EPOLLOUT,
		       "wake waiters %u excl %u", recs[0].waiters, recs[0].exclusive);
		EXPECT(!(recs[0].flags & VPOLL_REC_TSC) && recs[0].ts_ns <= t &&
		       recs[0].ts_ns + 1000000000ull > t,
		       "ts_ns %llu not CLOCK_MONOTONIC just before %llu",
		       (unsigned long long)recs[0].ts_ns, (unsigned long long)t);
	}
	vp(fd, VPOLL_IO_DELEVENTS, EPOLLOUT);
	n = drain(efd, recs, 256);
	EXPECT(n == 1 && recs[0].kind == VPOLL_KIND_DEL && (recs[0].flags & VPOLL_REC_WOKE) &&
	       recs[0].waiters == 2, "del that woke: %d records", n);
	close(ep1);
	close(ep2);

	/* The record switch stops recording, and says so in the header. */
	ws_write_file("/sys/module/vpoll/parameters/record", "0");
	drain(efd, recs, 256);
	vp(fd, VPOLL_IO_ADDEVENTS, EPOLLIN);
	EXPECT(drain(efd, recs, 256) == 0, "recorded while off");
	EXPECT(ring_info(efd).enabled == 0, "enabled still set");
	ws_write_file("/sys/module/vpoll/parameters/record", "1");
	vp(fd, VPOLL_IO_ADDEVENTS, EPOLLIN);
	EXPECT(drain(efd, recs, 256) == 1, "not recording after re-enable");
	close(fd);
out:
	close(efd);
}

static void test_trace_events(void)
{
	const char *dir = "/sys/kernel/tracing/events/vpoll";
	static const char *const kinds[] = { "open", "add", "del", "poll", "wake", "release" };
	char path[128], buf[4096];
	int fd, tfd;
	ssize_t n;

	for (size_t i = 0; i < WS_ARRAY_SIZE(kinds); i++) {
		snprintf(path, sizeof(path), "%s/vpoll_%s/format", dir, kinds[i]);
		EXPECT(access(path, R_OK) == 0, "no %s", path);
	}
	ws_write_file("/sys/kernel/tracing/trace", "");
	ws_write_file("/sys/kernel/tracing/events/vpoll/vpoll_add/enable", "1");
	fd = ws_vpoll_open();
	vp(fd, VPOLL_IO_ADDEVENTS, EPOLLPRI);
	close(fd);
	ws_write_file("/sys/kernel/tracing/events/vpoll/vpoll_add/enable", "0");
	tfd = open("/sys/kernel/tracing/trace", O_RDONLY);
	WS_CHECK(tfd < 0, "trace");
	n = read(tfd, buf, sizeof(buf) - 1);
	close(tfd);
	buf[n > 0 ? n : 0] = '\0';
	EXPECT(strstr(buf, "vpoll_add:") && strstr(buf, "arg=0x2 events=0x2"),
	       "trace output:\n%s", buf);
}

static int load_module(const char *params)
{
	int fd = open(MODULE_PATH, O_RDONLY | O_CLOEXEC);
	int r;

	WS_CHECK(fd < 0, MODULE_PATH);
	r = (int)syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	return r < 0 ? -errno : 0;
}

static int unload_module(void)
{
	return syscall(SYS_delete_module, "vpoll", O_NONBLOCK) < 0 ? -errno : 0;
}

static int wait_for_dev(const char *path)
{
	for (int i = 0; i < 1000; i++) {
		if (access(path, F_OK) == 0)
			return 1;
		usleep(1000);
	}
	return 0;
}

static void reload(const char *params)
{
	EXPECT(unload_module() == 0, "unload: %s", strerror(errno));
	EXPECT(access("/dev/vpoll", F_OK) != 0, "/dev/vpoll still there");
	EXPECT(load_module(params) == 0, "load '%s'", params);
	EXPECT(wait_for_dev("/dev/vpoll") && wait_for_dev("/dev/vpoll_events"),
	       "device nodes did not come back");
}

static void test_small_and_disabled_ring(void)
{
	struct vpoll_record recs[16];
	struct vpoll_ring_info info;
	int efd, fd, n;

	/* ring_size=5 rounds up to 8; 2 + 2 * 10 + 1 records overflow it. */
	reload("ring_size=5");
	efd = events_open(O_NONBLOCK);
	fd = ws_vpoll_open();
	for (int i = 0; i < 10; i++) {
		vp(fd, VPOLL_IO_ADDEVENTS, EPOLLIN);
		vp(fd, VPOLL_IO_DELEVENTS, EPOLLIN);
	}
	close(fd);
	info = ring_info(efd);
	EXPECT(info.capacity == 8 && info.head == 22, "cap %u head %llu", info.capacity,
	       (unsigned long long)info.head);
	n = drain(efd, recs, 16);
	info = ring_info(efd);
	EXPECT(n == 8 && info.dropped == 14 && recs[0].seq == 14 &&
	       recs[7].kind == VPOLL_KIND_RELEASE, "n %d dropped %llu first %llu", n,
	       (unsigned long long)info.dropped, (unsigned long long)recs[0].seq);
	close(efd);

	reload("ring_size=0");
	efd = events_open(O_NONBLOCK);
	EXPECT(read(efd, recs, sizeof(recs)) < 0 && errno == ENODATA, "disabled read");
	EXPECT(ring_info(efd).capacity == 0, "disabled capacity");
	close(efd);
	fd = ws_vpoll_open();
	EXPECT(vp(fd, VPOLL_IO_ADDEVENTS, EPOLLIN) == EPOLLIN, "vpoll without a ring");
	close(fd);

	reload("");
}

static void test_unload_busy(void)
{
	int fd = ws_vpoll_open();

	EXPECT(unload_module() == -EWOULDBLOCK, "unloaded while open");
	close(fd);
}

#define RUN(test)                                                              \
	do {                                                                   \
		printf("== %s\n", #test);                                      \
		fflush(stdout);                                                \
		test();                                                        \
	} while (0)

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(test_modes);
	RUN(test_add_del);
	RUN(test_poll_select);
	RUN(test_epoll);
	RUN(test_instances);
	RUN(test_open_close_cycles);
	RUN(test_recorder);
	RUN(test_trace_events);
	RUN(test_unload_busy);
	RUN(test_small_and_disabled_ring);
	RUN(test_add_del);
	failures += ws_dmesg_problems();
	printf("vpoll_test: %s (%d failure%s)\n", failures ? "FAILED" : "ok", failures,
	       failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
