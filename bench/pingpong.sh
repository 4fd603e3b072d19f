#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run pingpong [ITERATIONS=20000] [ROUNDS=11] [KERNEL=6.1]
#
# The vpoll seed benchmark (programs/pingpong.c) in one lab VM run, with the
# flight recorder on (value) and off (baseline), alternating rounds in the
# same guest ("on" first in every other pair), the parent pinned to CPU 0 and
# the child to CPU 1. value/baseline are the median wall time of ITERATIONS
# round trips in ms; ns/iter is printed above. Then as many control pairs with
# the recorder off in both runs: their median round ratio (printed, ~1.00)
# is what the measurement gives when nothing differs. The seed measured
# 1136.67 ns/iter on bare metal; the lab runs under QEMU TCG, so expect
# 2.5-10x that. A cross-CPU ping-pong is at the mercy of the host's
# scheduler: many short alternating rounds and their medians keep a busy host
# from biasing one side. No snapshots are taken (loading debug info would
# compete for the CPUs).
# The program also prints the guest's clocksource, what a clock read costs
# there, and the flight-recorder records one iteration wrote (ring ABI 2:
# 1.0 when the parent rarely wakes; docs/timeline.md has the measurements).
set -euo pipefail
iters=${1:-20000} rounds=${2:-11} kernel=${3:-6.1}
ws=$BUILD_DIR/bin/waitscope
[ -x "$ws" ] || { echo "bench pingpong: build first ($ws missing)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$ws" lab run --kernel "$kernel" -q --no-snapshot --out "$out" -- pingpong "$iters" --pin --recorder-compare "$rounds" --control
cat "$out/stdout.txt"
off=$(sed -n 's/^recorder off: \([0-9.]*\) ns\/iter$/\1/p' "$out/stdout.txt")
on=$(sed -n 's/^recorder on: \([0-9.]*\) ns\/iter$/\1/p' "$out/stdout.txt")
round=$(sed -n 's/^median round ratio on\/off: //p' "$out/stdout.txt")
control=$(sed -n 's/^control median round ratio off\/off: //p' "$out/stdout.txt")
[ -n "$on" ] && [ -n "$off" ] || { echo "bench pingpong: no result" >&2; exit 1; }
awk -v on="$on" -v off="$off" -v n="$iters" -v k="$kernel" -v round="$round" -v control="$control" 'BEGIN {
	printf "kernel %s (TCG): recorder on %.1f ns/iter, off %.1f ns/iter, overhead %+.1f%% (median round ratio %s; control off/off %s)\n",
		k, on, off, (on / off - 1) * 100, round, control
	printf "RESULT name=pingpong value=%.3f unit=ms baseline=%.3f ratio=%.4f\n",
		on * n / 1e6, off * n / 1e6, on / off
}'
