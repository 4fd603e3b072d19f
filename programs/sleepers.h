/* SPDX-License-Identifier: MIT */
/*
 * Sleeper threads for the topology programs: each blocks forever in one
 * syscall (epoll_wait, poll, select, read, write) on one fd, so a snapshot
 * taken at a mark finds its wait queue entry. ws_sleeper_start() returns once
 * the thread is asleep in that syscall (read from /proc/self/task/<tid>/syscall
 * and /stat), so the kernel state is settled before the program marks.
 */
#ifndef WAITSCOPE_PROGRAMS_SLEEPERS_H
#define WAITSCOPE_PROGRAMS_SLEEPERS_H

#include <pthread.h>
#include <sys/types.h>

enum ws_sleep_kind {
	WS_SLEEP_EPOLL,		/* epoll_wait(fd, ..., -1) */
	WS_SLEEP_POLL,		/* poll({fd, events}, 1, -1) */
	WS_SLEEP_SELECT,	/* select() with fd in the read set (write set for POLLOUT) */
	WS_SLEEP_READ,		/* read(fd, buf, 8) */
	WS_SLEEP_WRITE,		/* write(fd, page, 4096) until it blocks */
};

struct ws_sleeper {
	enum ws_sleep_kind kind;
	int fd;
	short events;		/* POLL/SELECT: what to wait for (POLLIN or POLLOUT) */
	char name[16];		/* thread name (comm) */
	int once;		/* after the first wake: set woke and pause() for good */
	int woke;		/* set (atomically) when a once-sleeper woke */
	pid_t tid;		/* set by ws_sleeper_start() */
	pthread_t thread;
};

/* Start `s` and wait until it sleeps in its syscall; dies after 10 s. */
void ws_sleeper_start(struct ws_sleeper *s);

/* "epoll_wait", "poll", ... */
const char *ws_sleep_kind_name(enum ws_sleep_kind kind);

/* gettid() */
pid_t ws_gettid(void);

#endif
