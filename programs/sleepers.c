// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include "sleepers.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

pid_t ws_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

const char *ws_sleep_kind_name(enum ws_sleep_kind kind)
{
	static const char *const names[] = {
		[WS_SLEEP_EPOLL] = "epoll_wait", [WS_SLEEP_POLL] = "poll",
		[WS_SLEEP_SELECT] = "select", [WS_SLEEP_READ] = "read",
		[WS_SLEEP_WRITE] = "write",
	};

	return names[kind];
}

/* The syscall number each kind sleeps in (x86-64; glibc's select is pselect6). */
static long sleep_syscall(enum ws_sleep_kind kind)
{
	switch (kind) {
	case WS_SLEEP_EPOLL:
		return SYS_epoll_wait;
	case WS_SLEEP_POLL:
		return SYS_poll;
	case WS_SLEEP_SELECT:
		return SYS_pselect6;
	case WS_SLEEP_READ:
		return SYS_read;
	case WS_SLEEP_WRITE:
		return SYS_write;
	}
	return -1;
}

static void *sleeper_main(void *arg)
{
	struct ws_sleeper *s = arg;
	static char page[4096];
	struct epoll_event ev;
	struct pollfd p = { .fd = s->fd, .events = s->events };
	fd_set set;
	char buf[8];	/* eventfd wants 8 bytes */

	pthread_setname_np(pthread_self(), s->name);
	__atomic_store_n(&s->tid, ws_gettid(), __ATOMIC_RELEASE);
	for (;;) {
		switch (s->kind) {
		case WS_SLEEP_EPOLL:
			epoll_wait(s->fd, &ev, 1, -1);
			break;
		case WS_SLEEP_POLL:
			poll(&p, 1, -1);
			break;
		case WS_SLEEP_SELECT:
			FD_ZERO(&set);
			FD_SET(s->fd, &set);
			if (s->events & POLLOUT)
				select(s->fd + 1, NULL, &set, NULL, NULL);
			else
				select(s->fd + 1, &set, NULL, NULL, NULL);
			break;
		case WS_SLEEP_READ:
			read(s->fd, buf, sizeof(buf));
			break;
		case WS_SLEEP_WRITE:
			write(s->fd, page, sizeof(page));
			break;
		}
		if (s->once) {
			/* Park without touching the fd again: its state stays as the wake left it. */
			__atomic_store_n(&s->woke, 1, __ATOMIC_RELEASE);
			for (;;)
				pause();
		}
		/* Woken: the program has moved on; sleep again without spinning. */
		usleep(1000);
	}
	return NULL;
}

/* True when thread `tid` sleeps (state S) in syscall `nr`. */
static int asleep_in(pid_t tid, long nr)
{
	char path[64], buf[256];
	long cur = -2;
	char *p = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &cur) != 1)
			cur = -2;
		fclose(f);
	}
	if (cur != nr)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			p = strrchr(buf, ')');
		fclose(f);
	}
	return p && p[1] == ' ' && p[2] == 'S';
}

void ws_sleeper_start(struct ws_sleeper *s)
{
	pid_t tid;
	int i;

	s->tid = 0;
	if (!s->name[0])
		snprintf(s->name, sizeof(s->name), "%s-%d", ws_sleep_kind_name(s->kind), s->fd);
	errno = pthread_create(&s->thread, NULL, sleeper_main, s);
	WS_CHECK(errno, "pthread_create");
	while (!(tid = __atomic_load_n(&s->tid, __ATOMIC_ACQUIRE)))
		usleep(100);
	for (i = 0; i < 10000 && !asleep_in(tid, sleep_syscall(s->kind)); i++)
		usleep(1000);
	if (i == 10000)
		ws_die("sleeper %s (tid %d) never slept in %s", s->name, tid,
		       ws_sleep_kind_name(s->kind));
}
