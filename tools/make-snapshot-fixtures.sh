#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerate the golden snapshot fixtures from the lab VM (never edit them by hand):
#
#   tools/make-snapshot-fixtures.sh [BUILD_DIR]      (default: build)
#
#   tests/fixtures/snapshots/topo_basic-{setup,consumed}.json   topo_basic's two marks
#   tests/fixtures/snapshots/topo_workq-held.json               simrupt's pipeline frozen
#   tests/fixtures/snapshots/crash_deadlock-panic.json          crash_deadlock's panic (6.1):
#                                                               `waitscope dump` of its panic.vmcore
#   tests/fixtures/diffs/topo_basic-setup-consumed.json         their diff, computed by
#                                                               tests/model/diff_oracle.py
#
# WAITSCOPE (default BUILD_DIR/bin/waitscope) is the binary whose `lab run` writes a
# <mark>.json snapshot at each mark; the lab programs come from BUILD_DIR/lab/programs
# (configure with -DWAITSCOPE_LAB=ON).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$src/build}")
ws=${WAITSCOPE:-$build/bin/waitscope}
snaps=$src/tests/fixtures/snapshots
diffs=$src/tests/fixtures/diffs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$snaps" "$diffs"

program() {
	local p=$build/lab/programs/$1
	[ -x "$p" ] || { echo "make-snapshot-fixtures: no $p (build with -DWAITSCOPE_LAB=ON)" >&2; exit 1; }
	echo "$p"
}

capture() { # NAME PROGRAM MARK...
	local name=$1 prog=$2
	shift 2
	"$ws" lab run -q --out "$tmp/$name" -- "$(program "$prog")"
	for mark in "$@"; do
		[ -s "$tmp/$name/$mark.json" ] || {
			echo "make-snapshot-fixtures: $ws wrote no $mark.json (does its lab run capture snapshots?)" >&2
			exit 1
		}
		cp "$tmp/$name/$mark.json" "$snaps/$name-$mark.json"
	done
}

crash() { # crash_deadlock panics the guest (6.1); the snapshot of its vmcore
	local status=0
	"$ws" lab run -q --vmcore --out "$tmp/crash" -- "$(program crash_deadlock)" || status=$?
	if [ "$status" -ne 123 ] || [ ! -s "$tmp/crash/panic.vmcore" ]; then
		echo "make-snapshot-fixtures: crash_deadlock exited $status without a panic.vmcore" >&2
		exit 1
	fi
	"$ws" dump --vmcore "$tmp/crash/panic.vmcore" --out "$snaps/crash_deadlock-panic.json"
	rm -f "$tmp/crash/"*.vmcore
}

capture topo_basic topo_basic setup consumed
capture topo_workq topo_workq held
crash
python3 "$src/tests/model/diff_oracle.py" "$snaps/topo_basic-setup.json" \
	"$snaps/topo_basic-consumed.json" >"$diffs/topo_basic-setup-consumed.json"
echo "make-snapshot-fixtures: $(ls "$snaps" | wc -l) snapshots, diff:" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["added"]), "added,", len(d["removed"]), "removed,", len(d["changed"]), "changed")' "$diffs/topo_basic-setup-consumed.json")"
