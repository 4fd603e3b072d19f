// SPDX-License-Identifier: MIT
/*
 * marks: exercises the lab harness protocol.
 *
 *   marks [--exit N] [--hang] [--partial] NAME...
 *
 * Prints a WAITSCOPE_MARK for each NAME (waiting for the harness's newline
 * after each, and saying so), then hangs forever with --hang, ends with an
 * unterminated line with --partial, and exits with status N (default 0).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv)
{
	int status = 0, hang = 0, partial = 0;

	printf("marks: pid %d\n", getpid());
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--exit") && i + 1 < argc) {
			status = (int)ws_parse_long(argv[++i], "status");
		} else if (!strcmp(argv[i], "--hang")) {
			hang = 1;
		} else if (!strcmp(argv[i], "--partial")) {
			partial = 1;
		} else {
			ws_mark(argv[i]);
			printf("after %s\n", argv[i]);
		}
	}
	fprintf(stderr, "marks: to stderr\n");
	if (hang)
		for (;;)
			pause();
	if (partial)
		printf("no newline at the end");
	return status;
}
