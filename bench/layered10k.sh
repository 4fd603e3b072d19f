#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run layered10k: our layered engine on 10,000 nodes / 20,000 edges (goal <= 1 s; dot
# does not finish in 600 s). value = our wall time (parse + layout + plain output, in
# process); baseline, same run, same input: the same engine with crossing reduction cut to
# one median sweep, no transposition, no sifting (the cheapest ordering it has), so the
# ratio shows what the full crossing reduction costs. The graph is ../shared/bench/epollgen.py 10000
# --seed 1, or, without ../shared, a built-in synthetic epoll-like graph of the same size.
set -euo pipefail
n=${1:-10000}
src=${WAITSCOPE_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
build=${BUILD_DIR:-$src/build}
shared=${WAITSCOPE_SHARED:-$src/../shared}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
[ -x "$build/bin/bench_layered" ] || { echo "layered10k: build bench_layered first" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -f "$shared/bench/epollgen.py" ]; then
    "$py" "$shared/bench/epollgen.py" "$n" --seed 1 -o "$tmp/g.dot" 2> /dev/null
    what="epollgen.py $n --seed 1"
else
    "$build/bin/bench_layered" --synthetic "$n" $((2 * n)) "$tmp/g.dot"
    what="built-in synthetic graph ($n nodes, $((2 * n)) edges; no $shared/bench)"
fi
echo "layered10k: $what; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ours (full crossing reduction, median of 3):"
"$build/bin/bench_layered" "$tmp/g.dot" "$tmp/ours.plain" --runs 3 | tee "$tmp/ours.txt"
echo "baseline (same engine, one median sweep, no transposition, no sifting, median of 3):"
"$build/bin/bench_layered" "$tmp/g.dot" "$tmp/base.plain" --runs 3 --sweeps 1 --no-transpose --no-sift |
    tee "$tmp/base.txt"
ours=$(sed -n 's/^ms=\([0-9.]*\) .*/\1/p' "$tmp/ours.txt")
base=$(sed -n 's/^ms=\([0-9.]*\) .*/\1/p' "$tmp/base.txt")
co=$(sed -n 's/.* crossings=\([0-9]*\)$/\1/p' "$tmp/ours.txt")
cb=$(sed -n 's/.* crossings=\([0-9]*\)$/\1/p' "$tmp/base.txt")
if [ -f "$shared/bench/crossings.py" ]; then
    co=$("$py" "$shared/bench/crossings.py" "$tmp/ours.plain" --json |
        "$py" -c "import json,sys; print(json.load(sys.stdin)['crossings_spline'])")
    cb=$("$py" "$shared/bench/crossings.py" "$tmp/base.plain" --json |
        "$py" -c "import json,sys; print(json.load(sys.stdin)['crossings_spline'])")
    how="crossings.py, spline count"
else
    how="the engine's own count"
fi
echo "crossings ($how): ours $co, one-sweep baseline $cb"
echo "goal: ours <= 1000 ms end to end: $(awk -v a="$ours" 'BEGIN { print (a <= 1000 ? "met" : "NOT met") }') ($ours ms)"
ratio=$(awk -v a="$ours" -v b="$base" 'BEGIN { printf "%.4f", a / b }')
echo "RESULT name=layered10k value=$ours unit=ms baseline=$base ratio=$ratio"
