// SPDX-License-Identifier: MIT
/*
 * demo_story: the bundled demo's recording (tools/make-demo.sh), one lab run
 * so that every snapshot comes from the same boot: topo_basic (every common
 * epoll shape, marks "setup" and "consumed"), then story_herd (level vs edge
 * triggering, the thundering herd vs EPOLLEXCLUSIVE: marks "both-ready",
 * "after-wait", "asleep", "woken"). Each runs as a child with this program's
 * stdin and stdout, so their marks reach the lab as if printed here.
 *
 *   demo_story [DIR]      (the programs' directory, default /lab/bin)
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static void run(const char *dir, const char *name)
{
	char path[256];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fflush(stdout);
	pid = fork();
	WS_CHECK(pid < 0, "fork");
	if (pid == 0) {
		execl(path, name, (char *)NULL);
		ws_die("exec %s: %m", path);
	}
	WS_CHECK(waitpid(pid, &status, 0) < 0, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		ws_die("%s failed (status 0x%x)", name, status);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/lab/bin";

	run(dir, "topo_basic");
	run(dir, "story_herd");
	printf("demo_story: done\n");
	return 0;
}
