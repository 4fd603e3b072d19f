// SPDX-License-Identifier: MIT
/*
 * topo_workq: freeze simrupt's pipeline in a known state, so the walkers'
 * workqueue, kfifo and circ_buf views can be checked against what the module
 * and the kernel report about themselves.
 *
 *   topo_workq
 *
 * Reads /dev/simrupt for a moment, stops reading, sets simrupt's "hold"
 * parameter (the work function parks after its next drain, so its worker is
 * busy and the next tick's work waits as inactive: the workqueue has
 * max_active 1), lets the circ_buf fill a little, then stops production.
 * Prints the module's stats (kfifo in/out and first value, circ_buf head and
 * tail, work pending/running), the workqueue's pool ids from sysfs, and the
 * kworker threads per pool from /proc, then marks "held". Afterwards it
 * releases the hold, drains, and marks "released".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uapi/simrupt.h>

#include "common.h"

#define PARAM "/sys/module/simrupt/parameters/"
#define MAX_POOLS 64

static struct simrupt_stats stats(int fd)
{
	struct simrupt_stats st;

	WS_CHECK(ioctl(fd, SIMRUPT_IOC_STATS, &st) < 0, "SIMRUPT_IOC_STATS");
	return st;
}

/* Read until the kfifo is empty; returns the last value read, or -1. */
static long drain(int fd)
{
	uint32_t buf[64];
	long last = -1;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		last = buf[n / 4 - 1];
	WS_CHECK(n < 0 && errno != EAGAIN, "read");
	return last;
}

struct pool_count {
	char name[16];	/* "u5", "0", "0H" */
	int n;
};

/* kworker/<pool>:<id>[-<desc>] threads per pool, as the guest lists them. */
static int count_kworkers(struct pool_count *pools)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int npools = 0;

	WS_CHECK(!d, "/proc");
	while ((e = readdir(d))) {
		char path[300], comm[64], name[16];
		FILE *f;
		int i;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
		/* Rescuers are kworker/R-<wq> on newer kernels: not pool workers. */
		if (strncmp(comm, "kworker/", 8) || comm[8] == 'R')
			continue;
		if (sscanf(comm + 8, "%14[^:]", name) != 1)
			continue;
		/*
		 * kworker/<cpu>:<n>H is the cpu's high-priority pool: "<cpu>H".
		 * /proc/<pid>/comm may append "-<workqueue>" (wq_worker_comm()).
		 */
		comm[strcspn(comm, "\n-")] = '\0';
		if (comm[strlen(comm) - 1] == 'H' && name[0] != 'u')
			strcat(name, "H");
		for (i = 0; i < npools && strcmp(pools[i].name, name); i++)
			;
		if (i == npools) {
			if (npools == MAX_POOLS)
				continue;
			snprintf(pools[npools++].name, sizeof(pools[0].name), "%s", name);
		}
		pools[i].n++;
	}
	closedir(d);
	return npools;
}

/*
 * sysfs pool_ids of an unbound workqueue ("node:pool_id ...") as
 * ',"pool_ids":[...]', or "" where the kernel has no such file (it went away
 * with the affinity-scope rework in 6.6).
 */
static void pool_ids_json(char *out, size_t size)
{
	char line[256], *tok, *save;
	size_t len = 0;
	FILE *f = fopen("/sys/devices/virtual/workqueue/simruptd/pool_ids", "r");

	out[0] = '\0';
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	len += snprintf(out + len, size - len, ",\"pool_ids\":[");
	for (tok = strtok_r(line, "\n ", &save); tok; tok = strtok_r(NULL, "\n ", &save)) {
		char *colon = strchr(tok, ':');

		len += snprintf(out + len, size - len, "%s%s", out[len - 1] == '[' ? "" : ",",
				colon ? colon + 1 : tok);
	}
	snprintf(out + len, size - len, "]");
}

static void expect_state(int fd, long first)
{
	struct simrupt_stats st = stats(fd);
	struct pool_count pools[MAX_POOLS] = { 0 }, again[MAX_POOLS] = { 0 };
	char ids[256], workers[2048];
	size_t len = 0;
	int n, m;

	/* Workers come and go: take the count when two looks agree. */
	for (;;) {
		memset(pools, 0, sizeof(pools));
		memset(again, 0, sizeof(again));
		n = count_kworkers(pools);
		usleep(50000);
		m = count_kworkers(again);
		if (n == m && !memcmp(pools, again, sizeof(pools)))
			break;
	}
	for (int i = 0; i < n; i++)
		len += snprintf(workers + len, sizeof(workers) - len, "%s\"%s\":%d", i ? "," : "",
				pools[i].name, pools[i].n);
	pool_ids_json(ids, sizeof(ids));
	printf("simrupt: produced %llu dropped circ %llu fifo %llu, works %llu, kfifo %u..%u, circ %u..%u, pending %u running %u held %u\n",
	       (unsigned long long)st.produced, (unsigned long long)st.dropped_circ,
	       (unsigned long long)st.dropped_fifo, (unsigned long long)st.works, st.fifo_out,
	       st.fifo_in, st.circ_tail, st.circ_head, st.work_pending, st.work_running, st.held);
	ws_expect("{\"kind\":\"simrupt\",\"fifo\":{\"in\":%u,\"out\":%u,\"size\":%u,\"first\":%ld},"
		  "\"circ\":{\"head\":%u,\"tail\":%u,\"size\":%u},"
		  "\"work\":{\"pending\":%s,\"running\":%s%s}%s,\"rate_work\":true}",
		  st.fifo_in, st.fifo_out, st.fifo_size, first, st.circ_head, st.circ_tail,
		  st.circ_size, st.work_pending ? "true" : "false",
		  st.work_running ? "true" : "false",
		  st.work_pending && st.work_running ? ",\"list\":\"inactive\"" : "", ids);
	ws_expect("{\"kind\":\"workers\",\"pools\":{%s}}", workers);
}

int main(void)
{
	struct simrupt_stats st;
	long last;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ws_write_file(PARAM "hold", "0");
	ws_write_file(PARAM "produce", "1");
	fd = open("/dev/simrupt", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	WS_CHECK(fd < 0, "open /dev/simrupt");
	for (int i = 0; i < 20; i++) {
		drain(fd);
		usleep(20000);
	}
	last = drain(fd);
	st = stats(fd);
	ws_write_file(PARAM "hold", "1");
	/* Until the work parks and the next tick has queued it again. */
	for (int i = 0; i < 2000; i++) {
		st = stats(fd);
		if (st.work_running && st.work_pending)
			break;
		usleep(1000);
	}
	if (!(st.work_running && st.work_pending))
		ws_die("the held work never parked with another one queued");
	usleep(30000);
	ws_write_file(PARAM "produce", "0");
	usleep(30000);	/* the last tick is done */
	if (stats(fd).dropped_fifo)
		ws_die("kfifo dropped items: its contents are not a known sequence");
	expect_state(fd, last + 1);
	ws_mark("held");

	ws_write_file(PARAM "hold", "0");
	usleep(100000);
	last = drain(fd);
	expect_state(fd, last + 1);
	ws_mark("released");
	close(fd);
	ws_write_file(PARAM "produce", "1");
	return 0;
}
