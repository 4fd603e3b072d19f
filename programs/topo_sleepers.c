// SPDX-License-Identifier: MIT
/*
 * topo_sleepers: tasks asleep on wait queues without epoll, for the walkers'
 * oracle tests.
 *
 *   topo_sleepers
 *
 *   pipe a: two readers asleep in read() (exclusive waiters on rd_wait)
 *   pipe b: filled up, a writer asleep in write() (exclusive on wr_wait)
 *   an eventfd with a reader asleep in read()
 *   /dev/simrupt (production off) with a reader asleep in read() and one in
 *       poll(), on the module's rx_wait
 *   a vpoll instance with two pollers and a selector
 *
 * Mark: "asleep".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common.h"
#include "sleepers.h"

#define PRODUCE "/sys/module/simrupt/parameters/produce"

static void start(struct ws_sleeper *s, enum ws_sleep_kind kind, int fd, short events,
		  const char *name)
{
	*s = (struct ws_sleeper){ .kind = kind, .fd = fd, .events = events };
	snprintf(s->name, sizeof(s->name), "%s", name);
	ws_sleeper_start(s);
}

int main(void)
{
	struct ws_sleeper ra[2], wb, er, sr, sp, vp[2], vs;
	int a[2], b[2], efd, sim, v = ws_vpoll_open();
	static char page[4096];
	pid_t pid = getpid();
	uint32_t item;

	setvbuf(stdout, NULL, _IOLBF, 0);
	WS_CHECK(pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0, "pipe");
	efd = eventfd(0, EFD_CLOEXEC);
	WS_CHECK(efd < 0, "eventfd");
	ws_write_file(PRODUCE, "0");
	sim = open("/dev/simrupt", O_RDONLY | O_CLOEXEC);
	WS_CHECK(sim < 0, "open /dev/simrupt");
	/* Drain what an earlier tick left, without blocking. */
	fcntl(sim, F_SETFL, O_NONBLOCK);
	while (read(sim, &item, sizeof(item)) > 0)
		;
	fcntl(sim, F_SETFL, 0);
	/* Fill pipe b so its writer blocks. */
	fcntl(b[1], F_SETFL, O_NONBLOCK);
	while (write(b[1], page, sizeof(page)) > 0)
		;
	WS_CHECK(errno != EAGAIN, "fill pipe");
	fcntl(b[1], F_SETFL, 0);

	start(&ra[0], WS_SLEEP_READ, a[0], 0, "pipe-reader-0");
	start(&ra[1], WS_SLEEP_READ, a[0], 0, "pipe-reader-1");
	start(&wb, WS_SLEEP_WRITE, b[1], 0, "pipe-writer");
	start(&er, WS_SLEEP_READ, efd, 0, "efd-reader");
	start(&sr, WS_SLEEP_READ, sim, 0, "sim-reader");
	start(&sp, WS_SLEEP_POLL, sim, POLLIN, "sim-poller");
	start(&vp[0], WS_SLEEP_POLL, v, POLLIN, "vpoll-poller-0");
	start(&vp[1], WS_SLEEP_POLL, v, POLLOUT, "vpoll-poller-1");
	start(&vs, WS_SLEEP_SELECT, v, POLLOUT, "vpoll-selector");

	printf("topo_sleepers: pid %d pipe a %d/%d pipe b %d/%d efd %d simrupt %d vpoll %d\n", pid,
	       a[0], a[1], b[0], b[1], efd, sim, v);
	ws_expect("{\"kind\":\"waitq\",\"pid\":%d,\"fd\":%d,\"head\":\"rd_wait\",\"entries\":["
		  "{\"func\":\"autoremove_wake_function\",\"tid\":%d,\"exclusive\":true},"
		  "{\"func\":\"autoremove_wake_function\",\"tid\":%d,\"exclusive\":true}]}",
		  pid, a[0], ra[0].tid, ra[1].tid);
	ws_expect("{\"kind\":\"waitq\",\"pid\":%d,\"fd\":%d,\"head\":\"wr_wait\",\"entries\":["
		  "{\"func\":\"autoremove_wake_function\",\"tid\":%d,\"exclusive\":true}]}",
		  pid, b[1], wb.tid);
	/* How eventfd's read waits differs between kernels: any func will do. */
	ws_expect("{\"kind\":\"waitq\",\"pid\":%d,\"fd\":%d,\"entries\":[{\"func\":\"*\",\"tid\":%d}]}",
		  pid, efd, er.tid);
	ws_expect("{\"kind\":\"waitq\",\"pid\":%d,\"fd\":%d,\"entries\":["
		  "{\"func\":\"autoremove_wake_function\",\"tid\":%d,\"exclusive\":false},"
		  "{\"func\":\"pollwake\",\"tid\":%d,\"exclusive\":false}]}", pid, sim, sr.tid, sp.tid);
	ws_expect("{\"kind\":\"waitq\",\"pid\":%d,\"fd\":%d,\"entries\":["
		  "{\"func\":\"pollwake\",\"tid\":%d,\"exclusive\":false},"
		  "{\"func\":\"pollwake\",\"tid\":%d,\"exclusive\":false},"
		  "{\"func\":\"pollwake\",\"tid\":%d,\"exclusive\":false}]}",
		  pid, v, vp[0].tid, vp[1].tid, vs.tid);
	ws_mark("asleep");
	ws_write_file(PRODUCE, "1");
	return 0;
}
