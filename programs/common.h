/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the lab programs (static binaries run in the lab VM).
 *
 * ws_mark() implements the lab protocol: print "WAITSCOPE_MARK <name>" and
 * wait for a newline on stdin, which `waitscope lab run` sends once it has
 * captured the paused VM. Run outside the lab (stdin at EOF) it just goes on.
 */
#ifndef WAITSCOPE_PROGRAMS_COMMON_H
#define WAITSCOPE_PROGRAMS_COMMON_H

#include <stdint.h>
#include <stdnoreturn.h>

#define WS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

noreturn void ws_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Die with strerror(errno) when cond is true. */
#define WS_CHECK(cond, what)                                                   \
	do {                                                                   \
		if (cond)                                                      \
			ws_die("%s:%d: %s: %m", __FILE__, __LINE__, what);     \
	} while (0)

void ws_mark(const char *name);
/* Print /proc/self/fdinfo/<fd> as "fdinfo <fd> <line>" lines (the kernel's view). */
void ws_print_fdinfo(int fd);
uint64_t ws_now_ns(void);
/* Parse a non-negative integer argument or die. */
long ws_parse_long(const char *s, const char *what);
/* Open /dev/vpoll or die. */
int ws_vpoll_open(void);
/*
 * Scan the kernel log for oopses, warnings, lockups and hung tasks. Prints
 * each offending line and returns how many there were.
 */
int ws_dmesg_problems(void);
/*
 * Print "WAITSCOPE_EXPECT <json>": what the program set up, for the oracle
 * tests (tests/introspect/oracle.py; the format is in docs/lab-programs.md).
 */
void ws_expect(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Raise RLIMIT_NOFILE to at least n (root may go past the hard limit). */
void ws_raise_nofile(long n);
/* Write a string to a sysfs/procfs file, or die. */
void ws_write_file(const char *path, const char *value);

#endif
