#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# walk100k: full snapshot of a process with 100,000 epitems from a vmcore.
#
#   bench/run walk100k [KERNEL=6.1] [N=100000]
#
# Value: waitscope's capture (bulk reads) + tables + JSON encoding (the C++
# encoder) of that process. Baseline: a straightforward per-member drgn walk
# of the same state (waitscope_introspect.reference, symbol lookups cached),
# in the same process on the same vmcore, interleaved. Debug info loading is
# the same for both and reported separately. The vmcore is made once with
# the lab (epmany N) and cached in $BUILD_DIR/bench-cache.
set -euo pipefail
kernel=${1:-6.1}
n=${2:-100000}
ws=$BUILD_DIR/bin/waitscope
dir=${WAITSCOPE_BENCH_CACHE:-$BUILD_DIR/bench-cache}/walk$n-$kernel
# Made again when the modules were rebuilt since (their debug info must match).
stale=0
for m in vpoll simrupt; do
	for ko in "$BUILD_DIR"/lab/kmod/*/$m/$m.ko; do
		[ "$ko" -nt "$dir/setup.vmcore" ] && stale=1
	done
done
if [ ! -s "$dir/setup.vmcore" ] || [ ! -s "$dir/stdout.txt" ] || [ $stale = 1 ]; then
	rm -rf "$dir"
	echo "walk100k: making the vmcore (lab run epmany $n on $kernel)..." >&2
	"$ws" lab run --kernel "$kernel" --out "$dir" --vmcore --no-snapshot -q -- epmany "$n" >&2
fi
pid=$(sed -n 's/^WAITSCOPE_EXPECT .*"pid":\([0-9]*\).*/\1/p' "$dir/stdout.txt")
release=$(sed -n 's/.*"release": *"\([^"]*\)".*/\1/p' "$dir/run.json")
# The lab's modules, as `waitscope dump` adds them (skipped if rebuilt since).
mods=()
for m in vpoll simrupt; do
	mods+=(--auto-module "$BUILD_DIR/lab/kmod/$release/$m/$m.ko")
done
PYTHONPATH=$BUILD_DIR/share/waitscope/python exec /usr/bin/python3 "$WAITSCOPE_SRC/bench/walk100k.py" \
	--vmcore "$dir/setup.vmcore" --pid "$pid" --lab-dir "$BUILD_DIR/lab" --name "walk${n%000}k" \
	"${mods[@]}"
