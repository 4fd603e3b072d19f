// SPDX-License-Identifier: MIT
/*
 * trace_vpoll: record vpoll's trace events with the kernel's own tracer, in
 * the guest, and print the text report (the format `trace-cmd report` also
 * prints), for waitscope's trace importer.
 *
 *   trace_vpoll [ITERATIONS=50]
 *
 * Sets tracefs's clock to "mono" (so timestamps line up with vpoll's flight
 * recorder), enables vpoll:*, sched:sched_wakeup, sched:sched_switch and a
 * kprobe on ep_poll_callback (waitscope/ep_poll_callback, removed again
 * after the report: removing it clears the buffer), runs a short ping-pong (a child ADDs, the parent epoll_waits and
 * DELs), and prints the trace between "TRACE BEGIN" and "TRACE END" lines.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uapi/vpoll.h>

#include "common.h"

#define T "/sys/kernel/tracing/"
#define KPROBE "p:waitscope/ep_poll_callback ep_poll_callback wait=%di:x64 key=%cx:x64"

static void append_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(value);

	WS_CHECK(fd < 0, path);
	WS_CHECK(write(fd, value, len) != len, path);
	close(fd);
}

static void set_events(const char *on)
{
	ws_write_file(T "events/vpoll/enable", on);
	ws_write_file(T "events/sched/sched_wakeup/enable", on);
	ws_write_file(T "events/sched/sched_switch/enable", on);
	ws_write_file(T "events/waitscope/enable", on);
}

static void pingpong(long iters)
{
	int vfd = ws_vpoll_open(), ep = epoll_create1(EPOLL_CLOEXEC), status;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLHUP };
	pid_t pid;

	WS_CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, vfd, &ev) < 0, "epoll_ctl");
	pid = fork();
	WS_CHECK(pid < 0, "fork");
	if (pid == 0) {
		for (long i = 0; i < iters; i++) {
			ioctl(vfd, VPOLL_IO_ADDEVENTS, EPOLLIN);
			usleep(1000);
		}
		ioctl(vfd, VPOLL_IO_ADDEVENTS, EPOLLHUP);
		_exit(0);
	}
	for (;;) {
		WS_CHECK(epoll_wait(ep, &ev, 1, 5000) != 1, "epoll_wait");
		ioctl(vfd, VPOLL_IO_DELEVENTS, ev.events);
		if (ev.events & EPOLLHUP)
			break;
	}
	waitpid(pid, &status, 0);
	close(ep);
	close(vfd);
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? ws_parse_long(argv[1], "iterations") : 50;
	char buf[65536];
	ssize_t n;
	int fd;

	ws_write_file(T "tracing_on", "0");
	ws_write_file(T "trace", "");
	ws_write_file(T "trace_clock", "mono");
	append_file(T "kprobe_events", KPROBE);
	set_events("1");
	ws_write_file(T "tracing_on", "1");
	pingpong(iters);
	ws_write_file(T "tracing_on", "0");
	set_events("0");

	printf("TRACE BEGIN\n");
	fflush(stdout);
	fd = open(T "trace", O_RDONLY | O_CLOEXEC);
	WS_CHECK(fd < 0, "trace");
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	close(fd);
	printf("TRACE END\n");
	/* Only now: removing a probe event clears the trace buffer. */
	append_file(T "kprobe_events", "-:waitscope/ep_poll_callback");
	return 0;
}
