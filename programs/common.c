// SPDX-License-Identifier: MIT
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/resource.h>
#include <sys/wait.h>
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

/*
 * `waitscope lab run --guest-dump`: the guest's init exports
 * WAITSCOPE_GUEST_DUMP (a tools disk's /disk/ws/guest-dump); run it on this
 * process, its output framed for the harness, which saves it as
 * <mark>.kcore.json. The state it reads is the one the mark captures.
 */
static void ws_guest_dump(void)
{
	const char *dump = getenv("WAITSCOPE_GUEST_DUMP");
	char pid[16];
	pid_t child;
	int st = 0;

	if (!dump || !*dump)
		return;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	printf("WAITSCOPE_GUEST_DUMP_BEGIN\n");
	fflush(stdout);
	child = fork();
	WS_CHECK(child < 0, "fork");
	if (child == 0) {
		execl(dump, dump, pid, (char *)NULL);
		_exit(127);
	}
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	printf("\nWAITSCOPE_GUEST_DUMP_END %d\n",
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	fflush(stdout);
}

void ws_mark(const char *name)
{
	char line[64];

	ws_guest_dump();
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

int ws_dmesg_problems(void)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "general protection", "Call Trace",
		"soft lockup", "hard LOCKUP", "hung_task", "blocked for more than",
		"rcu_sched self-detected stall", "rcu: INFO", "list_add corruption",
		"list_del corruption", "Kernel panic",
	};
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	int n, problems = 0;
	char *buf, *line, *save;

	WS_CHECK(size <= 0, "klogctl size");
	buf = malloc(size + 1);
	WS_CHECK(!buf, "malloc");
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	WS_CHECK(n < 0, "klogctl read");
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		for (size_t i = 0; i < WS_ARRAY_SIZE(bad); i++) {
			if (strstr(line, bad[i])) {
				printf("dmesg problem: %s\n", line);
				problems++;
				break;
			}
		}
	}
	free(buf);
	return problems;
}

void ws_write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(value);

	WS_CHECK(fd < 0, path);
	WS_CHECK(write(fd, value, len) != len, path);
	close(fd);
}

void ws_expect(const char *fmt, ...)
{
	va_list ap;

	fputs("WAITSCOPE_EXPECT ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

void ws_raise_nofile(long n)
{
	struct rlimit rl;

	WS_CHECK(getrlimit(RLIMIT_NOFILE, &rl) < 0, "getrlimit");
	if ((long)rl.rlim_cur >= n)
		return;
	rl.rlim_cur = n;
	if ((long)rl.rlim_max < n)
		rl.rlim_max = n;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		/* fs.nr_open caps it; raise that first (root). */
		char v[32];

		snprintf(v, sizeof(v), "%ld", n + 1024);
		ws_write_file("/proc/sys/fs/nr_open", v);
		WS_CHECK(setrlimit(RLIMIT_NOFILE, &rl) < 0, "setrlimit");
	}
}
