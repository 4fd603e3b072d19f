#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# session1000: memory of a 1000-step session of a process with 10,000 epitems.
#
#   bench/run session1000 [KERNEL=6.1] [STEPS=1000] [PER_STEP=4] [SNAPSHOT]
#
# A real 10k-epitem snapshot comes from the lab (topo_manyfds 10000 --epolls 2, the
# process's snapshot at its mark; or SNAPSHOT when given). From it, STEPS snapshots each
# toggle PER_STEP epitems' readiness (on_ready and their eventpoll's ready list), as steps of
# a busy program would, and are written as one session file (waitscope.session/1). A fresh
# process then loads that file: value = its peak RSS (VmHWM), in MiB.
# Baseline, same run and input: the heap the same session takes without sharing unchanged
# objects (each snapshot's objects counted in full; computed with Snapshot::heapBytes, the
# model's own accounting, not measured), in MiB. Goal: value <= 2048 MiB.
set -euo pipefail
kernel=${1:-6.1}
steps=${2:-1000}
per=${3:-4}
snap=${4:-}
out=$(mktemp -d "${TMPDIR:-/tmp}/waitscope-session1000.XXXXXX")
trap 'rm -rf "$out"' EXIT
if [ -z "$snap" ]; then
	"$BUILD_DIR/bin/waitscope" lab run --kernel "$kernel" --out "$out/run" -q --snapshot-pid-auto \
		-- topo_manyfds 10000 --epolls 2 --no-fdinfo >&2
	snap=$out/run/filled.json
fi
tool=$BUILD_DIR/bin/ws_session_steps
"$tool" make "$snap" "$out/s.wss" "$steps" "$per" | tee "$out/make.txt" >&2
"$tool" load "$out/s.wss" | tee "$out/load.txt" >&2
unshared=$(awk '/^UNSHARED_BYTES/ {print $2}' "$out/make.txt")
peak=$(awk '/^PEAK_RSS_KB/ {print $2}' "$out/load.txt")
/usr/bin/python3 - "$peak" "$unshared" "$(stat -c %s "$out/s.wss")" "$steps" <<'PY'
import sys
peak_mib = int(sys.argv[1]) / 1024
unshared_mib = int(sys.argv[2]) / 2**20
print(f"session1000: {sys.argv[4]} steps; reloaded from a {int(sys.argv[3]) / 2**20:.1f} MiB session file: peak RSS {peak_mib:.0f} MiB (goal <= 2048); without sharing {unshared_mib:.0f} MiB")
print(f"RESULT name=session1000 value={peak_mib:.1f} unit=MiB baseline={unshared_mib:.1f} ratio={peak_mib / unshared_mib:.3f}")
PY
