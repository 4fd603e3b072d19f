#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# labpause: how long the lab VM stays paused for a snapshot of a process with
# 10,000 epitems, read host-side from guest RAM.
#
#   bench/run labpause [KERNEL=6.1] [N=10000] [MARKS=5]
#
# epmany N sets the state up and prints MARKS marks over the same state; at
# each, `waitscope lab run` pauses the VM, reads the snapshot of that process
# (the pause covers only the reads; encoding happens after the VM resumed)
# and, in the same pause on the same memory, times a straightforward
# per-member drgn walk of the same process (the baseline). Value and baseline
# are medians over the marks.
set -euo pipefail
kernel=${1:-6.1}
n=${2:-10000}
marks=${3:-5}
ws=$BUILD_DIR/bin/waitscope
out=$(mktemp -d "${TMPDIR:-/tmp}/waitscope-labpause.XXXXXX")
trap 'rm -rf "$out"' EXIT
"$ws" lab run --kernel "$kernel" --out "$out" -q --snapshot-pid-auto --snapshot-baseline \
	-- epmany "$n" --marks "$marks" >&2
/usr/bin/python3 - "$out/run.json" "$n" <<'PY'
import json, statistics, sys
run = json.load(open(sys.argv[1]))
snaps = [m["snapshot"] for m in run["marks"] if "snapshot" in m]
bad = [s for s in snaps if "pause_ms" not in s or "baseline_ms" not in s]
if not snaps or bad:
    sys.exit(f"labpause: snapshots failed: {bad or run['marks']}")
pause = statistics.median(s["pause_ms"] for s in snaps)
read = statistics.median(s["read_ms"] for s in snaps)
base = statistics.median(s["baseline_ms"] for s in snaps)
render = statistics.median(s["render_ms"] for s in snaps)
print(f"labpause: {sys.argv[2]} epitems, {len(snaps)} pauses: {[round(s['pause_ms'], 1) for s in snaps]} ms (max {max(s['pause_ms'] for s in snaps):.1f}) "
      f"(copied {statistics.median(s.get('copied_bytes', 0) for s in snaps) / 1e6:.1f} MB; strategies {sorted(set(s.get('strategy') for s in snaps))}; after resume: walk of the copy {read:.0f} ms, encoding {render:.0f} ms); per-member walk in the same pauses "
      f"{[round(s['baseline_ms']) for s in snaps]} ms; debug info load {snaps[0]['load_ms']:.0f} ms (before the first mark)")
print(f"RESULT name=labpause value={pause:.1f} unit=ms baseline={base:.1f} ratio={pause / base:.3f}")
PY
