#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run layered3k: our layered engine vs Graphviz dot on the same 3,000-node epoll-shaped
# graph (../shared/bench/epollgen.py 3000 --seed 1), in the same run. value = our wall time
# (parse + layout + plain output, in process), baseline = dot -Tplain's wall time; both
# drawings' crossings are counted by ../shared/bench/crossings.py.
set -euo pipefail
n=${1:-3000}
src=${WAITSCOPE_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
build=${BUILD_DIR:-$src/build}
shared=${WAITSCOPE_SHARED:-$src/../shared}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if [ ! -f "$shared/bench/epollgen.py" ] || [ ! -f "$shared/bench/crossings.py" ]; then
    echo "layered3k: skipped: no $shared/bench/epollgen.py and crossings.py" \
        "(set WAITSCOPE_SHARED to the shared directory)"
    exit 0
fi
if ! command -v dot > /dev/null; then
    echo "layered3k: skipped: Graphviz dot is not installed"
    exit 0
fi
[ -x "$build/bin/bench_layered" ] || { echo "layered3k: build bench_layered first" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$py" "$shared/bench/epollgen.py" "$n" --seed 1 -o "$tmp/g.dot" 2> /dev/null
echo "layered3k: epollgen.py $n --seed 1 ($(grep -c -- '->' "$tmp/g.dot") edges); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ours (waitscope layered engine, in process, median of 3):"
"$build/bin/bench_layered" "$tmp/g.dot" "$tmp/ours.plain" --runs 3 | tee "$tmp/ours.txt"
ours=$(sed -n 's/^ms=\([0-9.]*\) .*/\1/p' "$tmp/ours.txt")
echo "dot ($(dot -V 2>&1 | head -1)), one run:"
t0=$(date +%s%N)
dot -Tplain "$tmp/g.dot" > "$tmp/dot.plain"
t1=$(date +%s%N)
dotms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
echo "  dot -Tplain wall: $dotms ms"
cross() { "$py" "$shared/bench/crossings.py" "$1" --json; }
cross "$tmp/ours.plain" > "$tmp/ours.json"
cross "$tmp/dot.plain" > "$tmp/dot.json"
field() { "$py" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
co=$(field "$tmp/ours.json" crossings_spline)
cd=$(field "$tmp/dot.json" crossings_spline)
echo "crossings (crossings.py, spline count, as drawn): ours $co, dot $cd" \
    "(ours/dot = $(awk -v a="$co" -v b="$cd" 'BEGIN { printf "%.3f", a / b }'); goal <= 1.1)"
echo "crossings (adjacent-rank edges only): ours $(field "$tmp/ours.json" crossings_adjacent)," \
    "dot $(field "$tmp/dot.json" crossings_adjacent); ranks: ours $(field "$tmp/ours.json" ranks)," \
    "dot $(field "$tmp/dot.json" ranks)"
ratio=$(awk -v a="$ours" -v b="$dotms" 'BEGIN { printf "%.4f", a / b }')
echo "speed: ours $ours ms vs dot $dotms ms ($(awk -v a="$ours" -v b="$dotms" 'BEGIN { printf "%.0f", b / a }')x faster; goal ratio <= 0.02)"
echo "RESULT name=layered3k value=$ours unit=ms baseline=$dotms ratio=$ratio"
