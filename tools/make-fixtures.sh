#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerate the test fixtures from the lab VM (never edit them by hand):
#
#   tools/make-fixtures.sh [BUILD_DIR]      (default: build)
#
#   tests/fixtures/timeline/trace_vpoll.txt  tracefs text of a 20-round ping-pong
#                                            (programs/trace_vpoll.c, kernel 6.1)
#   tests/fixtures/timeline/vpoll_rate.json  a live capture of 200 paced ioctls
#                                            (Chrome JSON, lab run --events)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$src/build}")
ws=$build/bin/waitscope
out=$src/tests/fixtures/timeline
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

"$ws" lab run -q --out "$tmp/trace" -- trace_vpoll 20
sed -n '/^TRACE BEGIN$/,/^TRACE END$/p' "$tmp/trace/stdout.txt" | sed '1d;$d' >"$out/trace_vpoll.txt"

"$ws" lab run -q --events --out "$tmp/rate" -- vpoll_rate 200 1000
cp "$tmp/rate/events.json" "$out/vpoll_rate.json"
echo "make-fixtures: $(wc -l <"$out/trace_vpoll.txt") trace lines, $(grep -c '"ph":"i"' "$out/vpoll_rate.json") captured events"
