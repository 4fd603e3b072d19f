// SPDX-License-Identifier: MIT
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

noreturn void ws_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void ws_mark(const char *name)
{
	char line[64];

	printf("WAITSCOPE_MARK %s\n", name);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		clearerr(stdin);
}

void ws_print_fdinfo(int fd)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	WS_CHECK(!f, path);
	while (fgets(line, sizeof(line), f))
		printf("fdinfo %d %s", fd, line);
	fclose(f);
}

uint64_t ws_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

long ws_parse_long(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < 0)
		ws_die("bad %s '%s'", what, s);
	return v;
}

int ws_vpoll_open(void)
{
	int fd = open("/dev/vpoll", O_RDWR | O_CLOEXEC);

	WS_CHECK(fd < 0, "open /dev/vpoll");
	return fd;
}
