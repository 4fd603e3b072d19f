#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One lab VM test (ctest calls this; see tests/lab/CMakeLists.txt):
#
#   lab-test.sh WAITSCOPE OUTDIR KERNEL TIMEOUT PROGRAM [ARGS...]
#
# Runs PROGRAM in a fresh lab VM with `waitscope lab run`, expects exit status
# 0 (lab programs check themselves, dmesg included), and checks the harness
# left no VM behind: no QEMU process of ours, no /dev/shm/waitscope-lab-* file.
# Extra `waitscope lab run` options can be given in LAB_RUN_OPTS (LAB_CMD=step runs
# `waitscope lab step` instead, its --script in LAB_RUN_OPTS); LAB_POST is a
# command run afterwards with OUTDIR as its last argument (e.g. the oracle).
set -uo pipefail
ws=$1 out=$2 kernel=$3 timeout=$4
shift 4
rm -rf "$out"
# shellcheck disable=SC2086
"$ws" lab "${LAB_CMD:-run}" --kernel "$kernel" --timeout "$timeout" --out "$out" -q ${LAB_RUN_OPTS:-} -- "$@"
status=$?
if [ $status -ne 0 ]; then
	echo "lab-test: '$*' on $kernel exited with $status; its output:"
	tail -n 60 "$out/stdout.txt" 2>/dev/null
	echo "lab-test: console:"
	tail -n 40 "$out/console.log" 2>/dev/null
fi
# A RAM file whose owner (the pid in its name) is gone, or a QEMU of ours
# that outlived its harness (reparented to init), is a leak.
for f in /dev/shm/waitscope-lab-*; do
	[ -e "$f" ] || continue
	pid=${f#/dev/shm/waitscope-lab-}
	pid=${pid%%-*}
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "lab-test: $f left behind"
		status=1
	fi
done
for pid in $(pgrep -f "qemu-system-x86_64 -name waitscope-lab-run"); do
	if [ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = 1 ]; then
		echo "lab-test: orphaned QEMU $pid"
		status=1
	fi
done
if [ $status -eq 0 ] && [ -n "${LAB_POST:-}" ]; then
	# shellcheck disable=SC2086
	$LAB_POST "$out" || status=1
fi
tail -n 5 "$out/stdout.txt" 2>/dev/null | grep -v '^fdinfo '
exit $status
