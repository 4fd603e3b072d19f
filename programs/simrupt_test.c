// SPDX-License-Identifier: MIT
/*
 * simrupt_test: a reader of /dev/simrupt receives every produced item in
 * order, or a gap the module counted as a drop.
 *
 *   simrupt_test [SECONDS=5]
 *
 * Phase 1 reads through epoll as fast as it can; phase 2 reads 80 items/s,
 * slower than the producer, so the kfifo and then the circ_buf overflow. Each phase stops production
 * (/sys/module/simrupt/parameters/produce), drains, and checks that the values
 * read are strictly increasing and that read + dropped == produced exactly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uapi/simrupt.h>

#include "common.h"

#define PRODUCE "/sys/module/simrupt/parameters/produce"

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

struct tally {
	uint64_t items, gaps;
	int64_t last;	/* -1: none yet */
	uint64_t disorder;
};

static void take(struct tally *t, const uint32_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (t->last >= 0 && v[i] <= (uint32_t)t->last)
			t->disorder++;
		else if (t->last >= 0)
			t->gaps += v[i] - (uint32_t)t->last - 1;
		else
			t->gaps += v[i];	/* items before the first one we saw */
		t->last = v[i];
		t->items++;
	}
}

static struct simrupt_stats stats(int fd)
{
	struct simrupt_stats st;

	WS_CHECK(ioctl(fd, SIMRUPT_IOC_STATS, &st) < 0, "SIMRUPT_IOC_STATS");
	return st;
}

/*
 * Read for `seconds`, `chunk` items at a time, sleeping `pause_us` between
 * reads; then stop production and drain.
 */
static void phase(const char *name, int fd, int epfd, long seconds, size_t chunk,
		  useconds_t pause_us, struct tally *t)
{
	uint32_t buf[64];
	uint64_t end = ws_now_ns() + (uint64_t)seconds * 1000000000u;
	struct simrupt_stats st;
	ssize_t n;

	ws_write_file(PRODUCE, "1");
	while (ws_now_ns() < end) {
		struct epoll_event ev;

		if (epoll_wait(epfd, &ev, 1, 100) <= 0)
			continue;
		n = read(fd, buf, chunk * sizeof(buf[0]));
		if (n < 0 && errno == EAGAIN)
			continue;
		WS_CHECK(n < 0, "read");
		EXPECT(n % 4 == 0, "partial item");
		take(t, buf, n / 4);
		if (pause_us)
			usleep(pause_us);
	}
	ws_write_file(PRODUCE, "0");
	usleep(200000);	/* the timer's last tick and the queued work finish */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		take(t, buf, n / 4);
	EXPECT(n < 0 && errno == EAGAIN, "drain ended with %zd (%s)", n, strerror(errno));

	st = stats(fd);
	uint64_t dropped = st.dropped_circ + st.dropped_fifo;

	printf("%s: produced %llu read %llu dropped %llu (circ %llu, fifo %llu) gaps %llu",
	       name, (unsigned long long)st.produced, (unsigned long long)t->items,
	       (unsigned long long)dropped, (unsigned long long)st.dropped_circ,
	       (unsigned long long)st.dropped_fifo, (unsigned long long)t->gaps);
	printf(" works %llu; circ %u/%u of %u, kfifo %u/%u of %u\n",
	       (unsigned long long)st.works, st.circ_head, st.circ_tail, st.circ_size,
	       st.fifo_in, st.fifo_out, st.fifo_size);
	EXPECT(t->disorder == 0, "%llu items out of order", (unsigned long long)t->disorder);
	EXPECT(t->items + dropped == st.produced, "read + dropped != produced");
	EXPECT(t->gaps + (st.produced - 1 - (uint64_t)t->last) == dropped,
	       "gaps %llu vs dropped %llu", (unsigned long long)t->gaps,
	       (unsigned long long)dropped);
	EXPECT(st.delivered == t->items, "delivered %llu", (unsigned long long)st.delivered);
	EXPECT(st.circ_head == st.circ_tail && st.fifo_in == st.fifo_out, "buffers not empty");
}

int main(int argc, char **argv)
{
	long seconds = argc > 1 ? ws_parse_long(argv[1], "seconds") : 5;
	struct tally t = { .last = -1 };
	struct epoll_event ev = { .events = EPOLLIN };
	int fd, epfd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ws_write_file(PRODUCE, "0");
	fd = open("/dev/simrupt", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	WS_CHECK(fd < 0, "open /dev/simrupt");
	epfd = epoll_create1(EPOLL_CLOEXEC);
	WS_CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0, "epoll_ctl");
	{
		uint32_t v;

		EXPECT(read(fd, &v, 2) < 0 && errno == EINVAL, "short read");
		EXPECT(read(fd, &v, 4) < 0 && errno == EAGAIN, "empty read");
	}

	/* The producer makes ~250 items/s (4 per 10 ms tick, HZ rounding). */
	phase("fast reader", fd, epfd, seconds, 64, 0, &t);
	EXPECT(t.gaps == 0, "a fast reader lost items");
	phase("slow reader", fd, epfd, seconds, 8, 100000, &t);
	EXPECT(stats(fd).dropped_fifo + stats(fd).dropped_circ > 0, "slow reader saw no drops");

	ws_write_file(PRODUCE, "1");
	close(epfd);
	close(fd);
	failures += ws_dmesg_problems();
	printf("simrupt_test: %s (%d failure%s)\n", failures ? "FAILED" : "ok", failures,
	       failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
