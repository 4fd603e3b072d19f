// SPDX-License-Identifier: MIT
/*
 * vpoll_rate: a known number of vpoll ioctls at a known rate, for the
 * timeline's lossless check.
 *
 *   vpoll_rate COUNT RATE
 *
 * Opens one instance and issues COUNT ioctls, alternately ADDEVENTS(EPOLLIN)
 * and DELEVENTS(EPOLLIN), paced to RATE per second (0: as fast as it can),
 * with nobody waiting (so no WAKE records), then closes it. Prints the
 * instance's pid and the flight recorder's head afterwards: every record the
 * ring ever took is seq 0 .. head-1, so a host-side capture from boot must
 * hold head records minus the ones it reports dropped.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uapi/vpoll.h>

#include "common.h"

int main(int argc, char **argv)
{
	struct vpoll_ring_info info;
	long count, rate;
	uint64_t t0, period;
	int fd, ev;

	if (argc != 3)
		ws_die("usage: vpoll_rate COUNT RATE");
	count = ws_parse_long(argv[1], "count");
	rate = ws_parse_long(argv[2], "rate");
	period = rate ? 1000000000ull / rate : 0;
	fd = ws_vpoll_open();
	t0 = ws_now_ns();
	for (long i = 0; i < count; i++) {
		while (period && ws_now_ns() < t0 + i * period)
			;
		WS_CHECK(ioctl(fd, i % 2 ? VPOLL_IO_DELEVENTS : VPOLL_IO_ADDEVENTS, EPOLLIN) < 0,
			 "ioctl");
	}
	printf("vpoll_rate: pid %d issued %ld ioctls in %.1f ms\n", getpid(), count,
	       (ws_now_ns() - t0) / 1e6);
	close(fd);
	ev = open("/dev/vpoll_events", O_RDONLY | O_CLOEXEC);
	WS_CHECK(ev < 0, "/dev/vpoll_events");
	WS_CHECK(ioctl(ev, VPOLL_EV_IOC_INFO, &info) < 0, "VPOLL_EV_IOC_INFO");
	printf("vpoll_rate: ring head %llu capacity %u\n", (unsigned long long)info.head,
	       info.capacity);
	close(ev);
	return 0;
}
