#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Capture the inputs of the app's benchmarks from the lab VM (not committed: large):
#
#   tools/make-bench-data.sh [BUILD_DIR]      (default: build)
#
#   BUILD_DIR/bench-data/manyfds-100000/filled.json   topo_manyfds 100000: one process,
#                                                     100k eventfds in one epoll, every
#                                                     10th ready (bench/run frame100k)
#
# WAITSCOPE (default BUILD_DIR/bin/waitscope) must be a build whose `lab run` writes
# <mark>.json snapshots; the program comes from BUILD_DIR/lab/programs (-DWAITSCOPE_LAB=ON).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$src/build}")
ws=${WAITSCOPE:-$build/bin/waitscope}
prog=$build/lab/programs/topo_manyfds
out=$build/bench-data/manyfds-100000
[ -x "$prog" ] || { echo "make-bench-data: no $prog (build with -DWAITSCOPE_LAB=ON)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$(dirname "$out")"
"$ws" lab run -q --mem 2048 --timeout 1800 --out "$out" -- "$prog" 100000 --ready-every 10 --no-fdinfo
[ -s "$out/filled.json" ] || { echo "make-bench-data: no $out/filled.json" >&2; exit 1; }
echo "make-bench-data: $out/filled.json ($(du -h "$out/filled.json" | cut -f1))"
