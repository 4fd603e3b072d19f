#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The post-mortem end to end (ctest lab.crash.<kernel>):
#
#   crash_test.sh WAITSCOPE OUTDIR KERNEL
#
# crash_deadlock deadlocks the guest on vpoll's wait queue lock (wake_up_poll under
# wqh.lock); the RCU stall detector panics, QEMU pauses, `lab run` saves
# DIR/panic.vmcore and exits 123. Then `waitscope report DIR/panic.vmcore --format json`
# must name the reason (rcu_stall), the crashing task (crash_deadlock, the pid it
# printed), the function (vpoll_ioctl and the wake-up on its stack) and the held lock
# (the wqh of the vpoll instance behind the fd it printed, found independently in
# `waitscope dump --pid`); `dump --format text` must print the report first.
set -uo pipefail
ws=$1 out=$2 kernel=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out"
"$ws" lab run --kernel "$kernel" --vmcore --timeout 400 --out "$out" -q -- crash_deadlock
status=$?
if [ $status -ne 123 ] || [ ! -s "$out/panic.vmcore" ]; then
	echo "crash-test: lab run exited $status (want 123, the guest panicked) or no panic.vmcore"
	tail -n 20 "$out/stdout.txt" "$out/console.log" 2>/dev/null
	exit 1
fi
pid=$(sed -n 's/^crash_deadlock: pid \([0-9]*\) vpoll fd \([0-9]*\).*/\1/p' "$out/stdout.txt")
vfd=$(sed -n 's/^crash_deadlock: pid \([0-9]*\) vpoll fd \([0-9]*\).*/\2/p' "$out/stdout.txt")
if [ -z "$pid" ] || [ -z "$vfd" ]; then
	echo "crash-test: no pid line in stdout.txt"
	exit 1
fi
"$ws" report "$out/panic.vmcore" --format json --out "$out/report.json" || exit 1
"$ws" report "$out/panic.vmcore" >"$out/report.txt" || exit 1
"$ws" dump --vmcore "$out/panic.vmcore" --pid "$pid" --no-workqueues --out "$out/panic-dump.json" ||
	exit 1
"$ws" dump --vmcore "$out/panic.vmcore" --pid "$pid" --no-workqueues --format text \
	--out "$out/panic-dump.txt" || exit 1
/usr/bin/python3 "$here/crash_check.py" "$out" "$pid" "$vfd" "$kernel"
