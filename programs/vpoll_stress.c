// SPDX-License-Identifier: MIT
/*
 * vpoll_stress: threads hammer vpoll for a while and check that no wakeup is
 * lost, that exclusive waiters between them see every event, that the flight
 * recorder's reader accounts for every record, and that dmesg stays clean.
 *
 *   vpoll_stress [SECONDS=60]
 *
 * Threads:
 *   pairs      a producer ADDs EPOLLIN and waits for its waiter (epoll LT, ET,
 *              or poll()) to see it and DEL it; a waiter that times out while
 *              the instance is readable is a lost wakeup
 *   exclusive  waiters in EPOLLEXCLUSIVE epolls on one instance; each ADD must
 *              be claimed (once) by one of them within the timeout
 *   churn      open/epoll_ctl/ADD/close loops against a shared epoll whose
 *              waiter consumes events of fds being closed under it, and
 *              epoll_ctl ADD/MOD/DEL cycles racing with ioctls
 *   recorder   reads /dev/vpoll_events: sequence numbers must increase, and
 *              the gaps must equal the module's drop counter
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
#include <unistd.h>
#include <uapi/vpoll.h>

#include "common.h"

#define NPAIRS 4
#define NEXCL 3
#define ACK_TIMEOUT_NS (30ull * 1000000000ull)

static int stop;	/* accessed with __atomic builtins only */
static int failures;

#define FAIL(...)                                                              \
	do {                                                                   \
		printf("FAIL: " __VA_ARGS__);                                  \
		printf("\n");                                                  \
		__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);            \
	} while (0)

static int running(void)
{
	return !__atomic_load_n(&stop, __ATOMIC_RELAXED);
}

static int readable_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* [pairs] */

enum wait_kind { WAIT_LT, WAIT_ET, WAIT_POLL };

struct pair {
	int vfd, epfd;
	enum wait_kind kind;
	unsigned long token;	/* producer: last token sent */
	unsigned long ack;	/* waiter: last token seen */
	unsigned long rounds;
};

static void *pair_waiter(void *arg)
{
	struct pair *p = arg;

	while (running()) {
		struct epoll_event ev;
		int n;

		if (p->kind == WAIT_POLL) {
			struct pollfd pf = { .fd = p->vfd, .events = POLLIN };

			n = poll(&pf, 1, 3000);
		} else {
			n = epoll_wait(p->epfd, &ev, 1, 3000);
		}
		WS_CHECK(n < 0 && errno != EINTR, "wait");
		if (n == 0) {
			/* Timed out: fine only if nothing was pending. */
			if (readable_now(p->vfd) && running())
				FAIL("lost wakeup on pair %d (kind %d, token %lu)",
				     p->vfd, p->kind, __atomic_load_n(&p->token, __ATOMIC_ACQUIRE));
			continue;
		}
		if (!readable_now(p->vfd))
			continue;	/* woken by a DEL or spuriously */
		unsigned long t = __atomic_load_n(&p->token, __ATOMIC_ACQUIRE);

		WS_CHECK(ioctl(p->vfd, VPOLL_IO_DELEVENTS, EPOLLIN) < 0, "DEL");
		__atomic_store_n(&p->ack, t, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *pair_producer(void *arg)
{
	struct pair *p = arg;

	while (running()) {
		unsigned long t = p->token + 1;
		uint64_t t0;

		__atomic_store_n(&p->token, t, __ATOMIC_RELEASE);
		WS_CHECK(ioctl(p->vfd, VPOLL_IO_ADDEVENTS, EPOLLIN) < 0, "ADD");
		t0 = ws_now_ns();
		while (__atomic_load_n(&p->ack, __ATOMIC_ACQUIRE) != t) {
			if (!running())
				return NULL;
			if (ws_now_ns() - t0 > ACK_TIMEOUT_NS) {
				FAIL("pair %d: token %lu never acknowledged", p->vfd, t);
				__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
				return NULL;
			}
			sched_yield();
		}
		p->rounds++;
	}
	return NULL;
}

/* [exclusive] */

struct excl {
	int vfd;
	int epfd[NEXCL];
	unsigned long sent, claimed, claims[NEXCL];
};

struct excl_waiter {
	struct excl *x;
	int i;
};

static void *excl_waiter(void *arg)
{
	struct excl_waiter *w = arg;
	struct excl *x = w->x;

	while (running()) {
		struct epoll_event ev;
		int n = epoll_wait(x->epfd[w->i], &ev, 1, 3000);

		WS_CHECK(n < 0 && errno != EINTR, "epoll_wait excl");
		if (n <= 0)
			continue;
		/* DEL(0) reads the mask; the CAS below makes each claim count once. */
		long before = ioctl(x->vfd, VPOLL_IO_DELEVENTS, 0);

		if (!(before & EPOLLIN))
			continue;
		if (ioctl(x->vfd, VPOLL_IO_DELEVENTS, EPOLLIN) >= 0 &&
		    __atomic_compare_exchange_n(&x->claimed, &(unsigned long){ x->sent - 1 },
						x->sent, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			x->claims[w->i]++;
	}
	return NULL;
}

static void *excl_producer(void *arg)
{
	struct excl *x = arg;

	while (running()) {
		uint64_t t0 = ws_now_ns();

		__atomic_store_n(&x->sent, x->sent + 1, __ATOMIC_RELEASE);
		WS_CHECK(ioctl(x->vfd, VPOLL_IO_ADDEVENTS, EPOLLIN) < 0, "ADD excl");
		while (__atomic_load_n(&x->claimed, __ATOMIC_ACQUIRE) != x->sent) {
			if (!running())
				return NULL;
			if (ws_now_ns() - t0 > ACK_TIMEOUT_NS) {
				FAIL("exclusive: event %lu never claimed (readable %d)", x->sent,
				     readable_now(x->vfd));
				__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
				return NULL;
			}
			sched_yield();
		}
	}
	return NULL;
}

/* [churn] */

static int churn_epfd;
static unsigned long churn_opens, churn_events, churn_ctl;

static void *churn_opener(void *arg)
{
	(void)arg;
	while (running()) {
		int fd = ws_vpoll_open();
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.fd = fd };

		WS_CHECK(epoll_ctl(churn_epfd, EPOLL_CTL_ADD, fd, &ev) < 0, "churn add");
		ioctl(fd, VPOLL_IO_ADDEVENTS, EPOLLIN | EPOLLOUT);
		if (churn_opens % 3 == 0)
			epoll_ctl(churn_epfd, EPOLL_CTL_DEL, fd, NULL);
		close(fd);	/* with or without EPOLL_CTL_DEL first */
		churn_opens++;
	}
	return NULL;
}

static void *churn_consumer(void *arg)
{
	struct epoll_event ev[16];

	(void)arg;
	while (running()) {
		int n = epoll_wait(churn_epfd, ev, 16, 200);

		WS_CHECK(n < 0 && errno != EINTR, "churn wait");
		if (n > 0)
			churn_events += n;
	}
	return NULL;
}

static void *churn_ctl_thread(void *arg)
{
	int fd = ws_vpoll_open(), epfd = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned long i = 0;

	(void)arg;
	while (running()) {
		ev.events = (i & 1) ? EPOLLIN | EPOLLET : EPOLLIN | EPOLLOUT;
		WS_CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0, "ctl add");
		ioctl(fd, (i & 2) ? VPOLL_IO_ADDEVENTS : VPOLL_IO_DELEVENTS, EPOLLIN | EPOLLOUT);
		ev.events ^= EPOLLOUT;
		WS_CHECK(epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0, "ctl mod");
		epoll_wait(epfd, &ev, 1, 0);
		WS_CHECK(epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) < 0, "ctl del");
		i++;
	}
	churn_ctl = i;
	close(epfd);
	close(fd);
	return NULL;
}

/* [recorder] */

struct recorder {
	int fd;
	struct vpoll_ring_info start;
	unsigned long records, gaps, first_seq, last_seq;
	int order_errors;
};

static void recorder_take(struct recorder *r, const struct vpoll_record *rec, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (r->records == 0)
			r->first_seq = rec[i].seq;
		else if (rec[i].seq <= r->last_seq)
			r->order_errors++;
		else
			r->gaps += rec[i].seq - r->last_seq - 1;
		r->last_seq = rec[i].seq;
		r->records++;
	}
}

static void *recorder_main(void *arg)
{
	struct recorder *r = arg;
	struct vpoll_record buf[128];

	while (running()) {
		struct pollfd p = { .fd = r->fd, .events = POLLIN };

		if (poll(&p, 1, 200) <= 0)
			continue;
		ssize_t n = read(r->fd, buf, sizeof(buf));

		if (n < 0 && errno == EAGAIN)
			continue;
		WS_CHECK(n < 0, "read recorder");
		recorder_take(r, buf, n / sizeof(buf[0]));
	}
	return NULL;
}

static void recorder_finish(struct recorder *r)
{
	struct vpoll_record buf[128];
	struct vpoll_ring_info end;
	ssize_t n;

	while ((n = read(r->fd, buf, sizeof(buf))) > 0)
		recorder_take(r, buf, n / sizeof(buf[0]));
	WS_CHECK(ioctl(r->fd, VPOLL_EV_IOC_INFO, &end) < 0, "info");
	unsigned long missed = r->records ? r->last_seq + 1 - r->start.tail - r->records : 0;

	printf("recorder: %lu records, %lu gaps, head %llu, dropped %llu (+%llu)\n", r->records,
	       r->gaps, (unsigned long long)end.head, (unsigned long long)end.dropped,
	       (unsigned long long)(end.dropped - r->start.dropped));
	if (r->order_errors)
		FAIL("recorder: %d records out of order", r->order_errors);
	if (end.tail != end.head)
		FAIL("recorder: tail %llu != head %llu after draining",
		     (unsigned long long)end.tail, (unsigned long long)end.head);
	if (end.dropped - r->start.dropped != missed)
		FAIL("recorder: module dropped %llu, reader missed %lu",
		     (unsigned long long)(end.dropped - r->start.dropped), missed);
}

int main(int argc, char **argv)
{
	long seconds = argc > 1 ? ws_parse_long(argv[1], "seconds") : 60;
	struct pair pairs[NPAIRS];
	struct excl x = { 0 };
	struct excl_waiter xw[NEXCL];
	struct recorder rec = { 0 };
	pthread_t th[2 * NPAIRS + NEXCL + 5];
	int nth = 0;
	unsigned long total = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < NPAIRS; i++) {
		struct epoll_event ev = { .events = EPOLLIN };

		pairs[i] = (struct pair){ .vfd = ws_vpoll_open(), .epfd = epoll_create1(0),
					  .kind = (enum wait_kind)(i % 3) };
		if (pairs[i].kind == WAIT_ET)
			ev.events |= EPOLLET;
		WS_CHECK(epoll_ctl(pairs[i].epfd, EPOLL_CTL_ADD, pairs[i].vfd, &ev) < 0, "pair");
		pthread_create(&th[nth++], NULL, pair_waiter, &pairs[i]);
		pthread_create(&th[nth++], NULL, pair_producer, &pairs[i]);
	}
	x.vfd = ws_vpoll_open();
	for (int i = 0; i < NEXCL; i++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };

		x.epfd[i] = epoll_create1(0);
		WS_CHECK(epoll_ctl(x.epfd[i], EPOLL_CTL_ADD, x.vfd, &ev) < 0, "excl add");
		xw[i] = (struct excl_waiter){ &x, i };
		pthread_create(&th[nth++], NULL, excl_waiter, &xw[i]);
	}
	pthread_create(&th[nth++], NULL, excl_producer, &x);
	churn_epfd = epoll_create1(0);
	pthread_create(&th[nth++], NULL, churn_opener, NULL);
	pthread_create(&th[nth++], NULL, churn_consumer, NULL);
	pthread_create(&th[nth++], NULL, churn_ctl_thread, NULL);
	rec.fd = open("/dev/vpoll_events", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	WS_CHECK(rec.fd < 0, "/dev/vpoll_events");
	WS_CHECK(ioctl(rec.fd, VPOLL_EV_IOC_INFO, &rec.start) < 0, "info");
	pthread_create(&th[nth++], NULL, recorder_main, &rec);

	for (long s = 0; s < seconds && running(); s++) {
		sleep(1);
		if (s % 10 == 9)
			printf("t=%lds pairs %lu/%lu/%lu/%lu exclusive %lu churn %lu opens\n", s + 1,
			       pairs[0].rounds, pairs[1].rounds, pairs[2].rounds, pairs[3].rounds,
			       x.sent, churn_opens);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	recorder_finish(&rec);

	for (int i = 0; i < NPAIRS; i++) {
		printf("pair %d (%s): %lu round trips\n", i,
		       pairs[i].kind == WAIT_LT ? "epoll LT" :
		       pairs[i].kind == WAIT_ET ? "epoll ET" : "poll", pairs[i].rounds);
		total += pairs[i].rounds;
		if (!pairs[i].rounds)
			FAIL("pair %d made no progress", i);
		close(pairs[i].epfd);
		close(pairs[i].vfd);
	}
	printf("exclusive: %lu events claimed (", x.claimed);
	for (int i = 0; i < NEXCL; i++)
		printf("%s%lu", i ? "/" : "", x.claims[i]);
	printf(")\nchurn: %lu opens, %lu events, %lu ctl cycles\n", churn_opens, churn_events,
	       churn_ctl);
	if (x.claimed + 1 < x.sent)
		FAIL("exclusive: %lu sent, %lu claimed", x.sent, x.claimed);
	for (int i = 0; i < NEXCL; i++)
		close(x.epfd[i]);
	close(x.vfd);
	close(churn_epfd);
	close(rec.fd);
	failures += ws_dmesg_problems();
	printf("vpoll_stress: %s after %ld s, %lu round trips (%d failure%s)\n",
	       failures ? "FAILED" : "ok", seconds, total, failures, failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
