// SPDX-License-Identifier: MIT
/*
 * modsnap: puts simrupt and the vpoll flight recorder in a known, quiet state
 * and prints what the modules report about themselves, for the introspection
 * tests (tests/introspect: kfifo, circ_buf, workqueue and ring checks).
 *
 *   modsnap
 *
 * Reads /dev/simrupt for a while, stops production, lets the work drain,
 * reads part of the kfifo (so in != out and the kfifo holds known values),
 * makes a few vpoll events, counts kworker threads, then prints
 * "WAITSCOPE_EXPECT {...}" with SIMRUPT_IOC_STATS, the first value left in
 * the kfifo, VPOLL_EV_IOC_INFO and the kworker count, and WAITSCOPE_MARK
 * quiet. Nothing changes between that line and the mark.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uapi/simrupt.h>
#include <uapi/vpoll.h>

#include "common.h"

#define PARAM "/sys/module/simrupt/parameters/"

/* Pool workers are "kworker/..."; since v6.9 rescuers are "kworker/R-<wq>". */
static int count_kworkers(int rescuers)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	WS_CHECK(!d, "opendir /proc");
	while ((e = readdir(d))) {
		char path[300], comm[64] = "";
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "kworker/", 8) &&
		    (strncmp(comm + 8, "R-", 2) == 0) == rescuers)
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

int main(void)
{
	struct simrupt_stats st, st2;
	struct vpoll_ring_info ri;
	uint32_t buf[256], last = 0;
	int sim, vp, ev;
	ssize_t n;

	ws_write_file(PARAM "interval_ms", "5");
	ws_write_file(PARAM "burst", "8");
	ws_write_file(PARAM "produce", "1");
	sim = open("/dev/simrupt", O_RDONLY | O_CLOEXEC);
	WS_CHECK(sim < 0, "open /dev/simrupt");
	/* Consume for a while: the indices move well past zero. */
	for (int i = 0; i < 40; i++) {
		n = read(sim, buf, sizeof(buf));
		WS_CHECK(n < 0, "read simrupt");
		if (n >= 4)
			last = buf[n / 4 - 1];
	}
	/* Let the kfifo fill a bit, then stop and drain the circ_buf into it. */
	usleep(100000);
	ws_write_file(PARAM "produce", "0");
	for (int i = 0; i < 100; i++) {
		WS_CHECK(ioctl(sim, SIMRUPT_IOC_STATS, &st) < 0, "SIMRUPT_IOC_STATS");
		if (st.circ_head == st.circ_tail)
			break;
		usleep(10000);
	}
	usleep(50000);
	/* Read a few items so that out moves and some stay. */
	n = read(sim, buf, 5 * sizeof(uint32_t));
	WS_CHECK(n != 5 * sizeof(uint32_t), "read 5 items");
	last = buf[4];

	vp = ws_vpoll_open();
	WS_CHECK(ioctl(vp, VPOLL_IO_ADDEVENTS, EPOLLIN) < 0, "ADDEVENTS");
	WS_CHECK(ioctl(vp, VPOLL_IO_DELEVENTS, EPOLLIN) < 0, "DELEVENTS");
	ev = open("/dev/vpoll_events", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	WS_CHECK(ev < 0, "open /dev/vpoll_events");

	WS_CHECK(ioctl(sim, SIMRUPT_IOC_STATS, &st) < 0, "SIMRUPT_IOC_STATS");
	WS_CHECK(ioctl(ev, VPOLL_EV_IOC_INFO, &ri) < 0, "VPOLL_EV_IOC_INFO");
	printf("WAITSCOPE_EXPECT {\"program\":\"modsnap\",\"pid\":%d,"
	       "\"simrupt\":{\"produced\":%llu,\"dropped_circ\":%llu,\"dropped_fifo\":%llu,"
	       "\"delivered\":%llu,\"works\":%llu,\"circ_head\":%u,\"circ_tail\":%u,"
	       "\"circ_size\":%u,\"fifo_in\":%u,\"fifo_out\":%u,\"fifo_size\":%u},"
	       "\"fifo_first\":%u,"
	       "\"vpoll_ring\":{\"head\":%llu,\"tail\":%llu,\"dropped\":%llu,\"capacity\":%u,"
	       "\"enabled\":%u},\"kworkers\":%d,\"kworker_rescuers\":%d}\n",
	       getpid(), (unsigned long long)st.produced, (unsigned long long)st.dropped_circ,
	       (unsigned long long)st.dropped_fifo, (unsigned long long)st.delivered,
	       (unsigned long long)st.works, st.circ_head, st.circ_tail, st.circ_size,
	       st.fifo_in, st.fifo_out, st.fifo_size, last + 1,
	       (unsigned long long)ri.head, (unsigned long long)ri.tail,
	       (unsigned long long)ri.dropped, ri.capacity, ri.enabled, count_kworkers(0),
	       count_kworkers(1));
	ws_mark("quiet");
	WS_CHECK(ioctl(sim, SIMRUPT_IOC_STATS, &st2) < 0, "SIMRUPT_IOC_STATS");
	if (st2.fifo_in != st.fifo_in || st2.circ_head != st.circ_head)
		printf("modsnap: simrupt moved during the mark\n");
	ws_write_file(PARAM "produce", "1");
	printf("modsnap: done\n");
	return 0;
}
